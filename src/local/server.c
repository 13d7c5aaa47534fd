/* server.c - accepting calls, Publish, refusals, the data port cut off and
 * restored (test-admin /block, /unblock) and the clean stop. */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/grpc_security.h>

#include "cleanup.h"
#include "conn.h"
#include "env.h"
#include "port.h"
#include "pubsub.h"
#include "rpc.h"
#include "server.h"
#include "stream.h"
#include "util.h"
#include "wire.h"

/* Requests kept armed per method. Calls that find none armed wait in gRPC's
 * pending queue, which refuses calls past 1000 (grpc.server.max_pending_requests):
 * keep enough armed for a burst of new calls from several clients. */
#define SLOTS_PER_METHOD 64

enum slot_kind { SLOT_PUBLISH, SLOT_SUBSCRIBE, SLOT_OTHER, SLOT_KINDS };

/* The data port (the gRPC server), which the test-admin port cuts off. */
enum port_state {
    PORT_OPEN,    /* s->srv serving */
    PORT_CLOSING, /* /block: s->srv shutting down, its streams ending */
    PORT_CLOSED,  /* no s->srv: blocked, or /unblock waiting for the slots */
};

/* What a stream cut off by /block ends with, and a call that comes meanwhile. */
#define BLOCKED_DETAILS "the data port is blocked (test-admin /block)"
/* How long the streams ended at /block have to send their status before
 * whatever holds the shutdown up is cancelled. */
#define DRAIN_GRACE_US (1000 * 1000)
#define REOPEN_RETRY_US (500 * 1000)

struct slot {
    mo_tag tag;
    tl_server *srv;
    enum slot_kind kind;
    bool armed;
    grpc_call *call;
    gpr_timespec deadline;
    grpc_metadata_array md;
    grpc_byte_buffer *payload;
    grpc_call_details details;
    struct tl_md_fault mf; /* what the call's metadata asks for (mdfault.h) */
};

/* A unary answer: a Publish reply or a Trailers-Only refusal. */
struct reply {
    mo_tag tag;
    struct tl_env *env;
    grpc_call *call;
    int cancelled;
    grpc_status_code code;
    grpc_byte_buffer *msg;
    grpc_slice details;
    grpc_metadata trailer;
    bool has_trailer;
    /* --fault-delay-publish: waiting to be sent, in the server's list */
    mo_timer timer;
    struct reply *prev, *next;
};

struct tl_server {
    struct tl_env env;
    grpc_server *srv;
    void *m_publish, *m_subscribe;
    int port;
    struct slot slots[SLOT_KINDS][SLOTS_PER_METHOD];
    size_t armed;
    uint64_t rejected; /* calls refused by --fault-reject */
    tl_mdfault *mdf;   /* the metadata faults' counts per request id */
    struct reply late; /* head of the circular list of replies held back */
    bool started, stopping, stopped;
    mo_tag shutdown_tag;

    /* the test-admin port's /block and /unblock (tl_server_block) */
    grpc_server_credentials *creds; /* one ref, to listen again */
    char addr[300];                 /* --listen with the real port */
    enum port_state data;
    bool blocked;          /* /block asked for it (and no /unblock since) */
    mo_tag drain_tag;      /* the blocked server's shutdown */
    mo_timer drain_timer;  /* what has not ended after the grace is cancelled */
    mo_timer reopen_timer; /* listening again failed: try again */
    bool reopen_failed;
};

static void reply_send(struct reply *r);

/* ---- shutdown bookkeeping ---- */

static void maybe_stopped(tl_server *s)
{
    if (s->stopping && s->stopped && s->armed == 0 && s->env.live == 0)
        mo_loop_quit(s->env.loop);
}

static void on_released(struct tl_env *env)
{
    maybe_stopped(container_of(env, tl_server, env));
}

static void on_shutdown_done(mo_tag *tag, bool ok)
{
    tl_server *s = container_of(tag, tl_server, shutdown_tag);
    s->stopped = true;
    maybe_stopped(s);
}

void tl_server_shutdown(tl_server *s)
{
    if (s->stopping)
        return;
    s->stopping = true;
    tl_log(&s->env, "stopping: %zu calls open", s->env.live);
    mo_timer_stop(s->env.loop, &s->reopen_timer);
    if (s->data == PORT_OPEN)
        grpc_server_shutdown_and_notify(s->srv, mo_loop_cq(s->env.loop), &s->shutdown_tag);
    else if (s->data == PORT_CLOSED)
        s->stopped = true; /* (PORT_CLOSING: on_drained says when) */
    /* streams never end by themselves: cancel them so the shutdown completes */
    if (s->srv)
        grpc_server_cancel_all_calls(s->srv);
    /* and replies held back go now (to cancelled calls), so that they are released */
    while (s->late.next != &s->late) {
        struct reply *r = s->late.next;
        mo_timer_stop(s->env.loop, &r->timer);
        reply_send(r);
    }
    maybe_stopped(s);
}

/* ---- the test-admin port: /block and /unblock ---- */

static int server_open(tl_server *s, const char *addr, char *err, size_t errlen);

/* Listens again once nothing of the old server is left: its shutdown done and
 * every slot back (they are armed again on the new one). */
static void reopen_if_due(tl_server *s)
{
    if (s->data != PORT_CLOSED || s->blocked || s->stopping || s->armed > 0)
        return;
    char err[512];
    if (server_open(s, s->addr, err, sizeof err) < 0) {
        if (!s->reopen_failed) /* once, not at every retry */
            mo_warn("test-admin /unblock: %s; trying again every %d ms", err,
                    REOPEN_RETRY_US / 1000);
        s->reopen_failed = true;
        mo_timer_start(s->env.loop, &s->reopen_timer, REOPEN_RETRY_US);
        return;
    }
    s->reopen_failed = false;
    tl_log(&s->env, "test-admin /unblock: the data port listens again on %s", s->addr);
}

static void on_reopen_due(mo_timer *t) { reopen_if_due(container_of(t, tl_server, reopen_timer)); }

static void on_drain_slow(mo_timer *t)
{
    tl_server *s = container_of(t, tl_server, drain_timer);
    tl_log(&s->env, "test-admin /block: %zu calls still open after %d ms: cancelled", s->env.live,
           DRAIN_GRACE_US / 1000);
    grpc_server_cancel_all_calls(s->srv);
}

static void on_drained(mo_tag *tag, bool ok)
{
    tl_server *s = container_of(tag, tl_server, drain_tag);
    mo_timer_stop(s->env.loop, &s->drain_timer);
    grpc_server_destroy(s->srv);
    s->srv = NULL;
    s->data = PORT_CLOSED;
    tl_log(&s->env, "test-admin /block: the data port is closed");
    if (s->stopping)
        s->stopped = true;
    reopen_if_due(s);
    maybe_stopped(s);
}

bool tl_server_block(tl_server *s)
{
    if (s->stopping || s->blocked)
        return false;
    s->blocked = true;
    mo_timer_stop(s->env.loop, &s->reopen_timer);
    if (s->data != PORT_OPEN) { /* an /unblock had not opened it yet */
        tl_log(&s->env, "test-admin /block: the data port stays closed");
        return true;
    }
    tl_log(&s->env, "test-admin /block: cutting the data port off (%zu calls open)", s->env.live);
    /* The listeners close and GOAWAY tells the clients' channels to go, so
     * that new calls and reconnects fail until /unblock; then the streams are
     * lost, as UNAVAILABLE (what a client sees when its connection breaks).
     * In this order, a client that subscribes again at once, on the status,
     * has seen the GOAWAY before it: it does not try the old connection, where
     * the shutting-down server would cancel its call. */
    s->data = PORT_CLOSING;
    grpc_server_shutdown_and_notify(s->srv, mo_loop_cq(s->env.loop), &s->drain_tag);
    mo_timer_start(s->env.loop, &s->drain_timer, DRAIN_GRACE_US);
    tl_streams_end(&s->env, NULL, GRPC_STATUS_UNAVAILABLE, BLOCKED_DETAILS);
    while (s->late.next != &s->late) { /* Publish answers held back are lost too */
        struct reply *r = s->late.next;
        mo_timer_stop(s->env.loop, &r->timer);
        r->code = GRPC_STATUS_UNAVAILABLE;
        grpc_slice_unref(r->details);
        r->details = grpc_slice_from_static_string(BLOCKED_DETAILS);
        grpc_byte_buffer_destroy(r->msg);
        r->msg = NULL;
        reply_send(r);
    }
    return true;
}

bool tl_server_unblock(tl_server *s)
{
    if (s->stopping || !s->blocked)
        return false;
    s->blocked = false;
    tl_log(&s->env, "test-admin /unblock: opening the data port%s",
           s->data == PORT_CLOSING ? " once the blocked server has shut down" : "");
    reopen_if_due(s);
    return true;
}

/* ---- replies ---- */

static void on_reply_done(mo_tag *tag, bool ok)
{
    struct reply *r = container_of(tag, struct reply, tag);
    struct tl_env *env = r->env;
    if (r->msg)
        grpc_byte_buffer_destroy(r->msg);
    grpc_slice_unref(r->details);
    grpc_call_unref(r->call);
    free(r);
    env->live--;
    env->released(env);
}

/* Sends a reply in one batch (taken off the list of late ones first, if it
 * is there). With a non-OK code nothing but the status goes out, so the
 * transport sends Trailers-Only (one HEADERS frame); the `err` trailer, if
 * any, goes into the trailing metadata. */
static void reply_send(struct reply *r)
{
    if (r->next) {
        r->prev->next = r->next;
        r->next->prev = r->prev;
        r->next = r->prev = NULL;
    }
    grpc_op ops[4];
    size_t n = 0;
    ops[n++] = mo_op(GRPC_OP_SEND_INITIAL_METADATA);
    if (r->msg) {
        ops[n] = mo_op(GRPC_OP_SEND_MESSAGE);
        ops[n++].data.send_message.send_message = r->msg;
    }
    ops[n] = mo_op(GRPC_OP_SEND_STATUS_FROM_SERVER);
    ops[n].data.send_status_from_server.status = r->code;
    ops[n].data.send_status_from_server.status_details = &r->details;
    if (r->has_trailer) {
        ops[n].data.send_status_from_server.trailing_metadata_count = 1;
        ops[n].data.send_status_from_server.trailing_metadata = &r->trailer;
    }
    n++;
    ops[n] = mo_op(GRPC_OP_RECV_CLOSE_ON_SERVER);
    ops[n++].data.recv_close_on_server.cancelled = &r->cancelled;
    grpc_call_error e = grpc_call_start_batch(r->call, ops, n, &r->tag, NULL);
    if (e != GRPC_CALL_OK) {
        mo_warn("cannot answer a call (gRPC error %d)", e);
        grpc_call_cancel(r->call, NULL);
        on_reply_done(&r->tag, false);
    }
}

static void on_reply_due(mo_timer *t)
{
    reply_send(container_of(t, struct reply, timer));
}

/* Answers a call and releases it: at once, or, for a Publish with
 * --fault-delay-publish, that much later (on a timer: the loop goes on
 * meanwhile). `err` (may be NULL) goes into the trailing metadata. Takes the
 * slot's call. */
static void reply(struct slot *sl, grpc_status_code code, const char *details, const char *err)
{
    tl_server *s = sl->srv;
    grpc_call *call = sl->call;
    sl->call = NULL;
    struct reply *r = calloc(1, sizeof *r);
    if (!r) {
        grpc_call_cancel(call, NULL);
        grpc_call_unref(call);
        return;
    }
    r->tag.fn = on_reply_done;
    r->env = &s->env;
    r->call = call;
    r->code = code;
    r->details = grpc_slice_from_copied_string(details ? details : "");
    if (code == GRPC_STATUS_OK)
        r->msg = grpc_raw_byte_buffer_create(NULL, 0); /* common._Empty: zero bytes */
    if (err) {
        r->trailer.key = grpc_slice_from_static_string("err");
        r->trailer.value = grpc_slice_from_static_string(err);
        r->has_trailer = true;
    }
    s->env.live++;
    uint64_t delay = s->env.opts->fault_delay_publish_us;
    if (sl->mf.delay_ms) /* delay-ms asked in the metadata */
        delay = sl->mf.delay_ms * 1000;
    if (sl->kind == SLOT_PUBLISH && delay && !s->stopping) {
        mo_timer_init(&r->timer, on_reply_due);
        r->next = &s->late;
        r->prev = s->late.prev;
        s->late.prev->next = r;
        s->late.prev = r;
        mo_timer_start(s->env.loop, &r->timer, delay);
        return;
    }
    reply_send(r);
}

static void replyf(struct slot *sl, grpc_status_code code, const char *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void replyf(struct slot *sl, grpc_status_code code, const char *err, const char *fmt, ...)
{
    char details[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(details, sizeof details, fmt, ap);
    va_end(ap);
    if (code != GRPC_STATUS_OK)
        tl_log(&sl->srv->env, "refused a call: %s: %s", mo_status_name(code), details);
    reply(sl, code, details, err);
}

/* ---- checks shared by both methods ---- */

static const char *rpc_name(enum slot_kind k) { return k == SLOT_PUBLISH ? "publish" : "subscribe"; }

/* Whether --fault-reject refuses this call (--fault-reject-rpc, COUNT). */
static bool fault_rejects(const tl_server *s, enum slot_kind kind)
{
    const struct tl_opts *o = s->env.opts;
    if (o->fault_reject_code <= 0)
        return false;
    if ((o->fault_reject_rpc == TL_RPC_PUBLISH && kind != SLOT_PUBLISH) ||
        (o->fault_reject_rpc == TL_RPC_SUBSCRIBE && kind != SLOT_SUBSCRIBE))
        return false;
    /* only calls it applies to get here, and each is refused until COUNT:
     * the refusals count exactly the calls COUNT is about */
    return o->fault_reject_count == 0 || s->rejected < o->fault_reject_count;
}

/* Applies --fault-reject and --token; true when the call was answered. */
static bool refuse_early(tl_server *s, struct slot *sl)
{
    const struct tl_opts *o = s->env.opts;
    if (fault_rejects(s, sl->kind)) {
        grpc_status_code code = (grpc_status_code)o->fault_reject_code;
        s->rejected++;
        tl_log(&s->env, "fault: rejecting %s call %" PRIu64 " with %s", rpc_name(sl->kind),
               s->rejected, mo_status_name(code));
        tl_ledger_rejected(s->env.ledger, rpc_name(sl->kind), mo_status_name(code));
        if (code == GRPC_STATUS_PERMISSION_DENIED)
            /* what a key without the right to this method meets (the service's
             * own wording is not known: a plain sentence) */
            replyf(sl, code, NULL, "the API key does not have permission to %s this topic",
                   sl->kind == SLOT_PUBLISH ? "publish to" : "subscribe to");
        else
            replyf(sl, code, NULL, "rejected by fault injection (--fault-reject)");
        return true;
    }
    if (o->token) {
        const grpc_slice *auth = mo_md_get(&sl->md, "authorization");
        size_t len = strlen(o->token);
        bool match = auth ? GRPC_SLICE_LENGTH(*auth) == len &&
                                memcmp(GRPC_SLICE_START_PTR(*auth), o->token, len) == 0
                          : len == 0;
        if (!match) {
            replyf(sl, GRPC_STATUS_UNAUTHENTICATED, NULL, "Invalid signature");
            return true;
        }
    }
    /* the faults momento-local takes in the call's metadata */
    char why[256];
    if (tl_mdfault_read(s->mdf, &sl->md, sl->kind == SLOT_PUBLISH ? TL_MD_PUBLISH : TL_MD_SUBSCRIBE,
                        &sl->mf, why, sizeof why) < 0) {
        sl->mf = (struct tl_md_fault){0};
        replyf(sl, GRPC_STATUS_INVALID_ARGUMENT, NULL, "invalid fault metadata: %s", why);
        return true;
    }
    if (sl->mf.error) {
        grpc_status_code code = sl->mf.error_code;
        sl->mf = (struct tl_md_fault){0};
        tl_ledger_rejected(s->env.ledger, rpc_name(sl->kind), mo_status_name(code));
        if (code == GRPC_STATUS_NOT_FOUND)
            replyf(sl, code, NULL, "cache not found (return-error in the call's metadata)");
        else
            replyf(sl, code, NULL, "fault asked for in the call's metadata (return-error)");
        return true;
    }
    return false;
}

/* Checks the names and finds the cache; NULL when the call was answered. */
static tl_cache *find_cache(tl_server *s, struct slot *sl, struct tl_str cache,
                            struct tl_str topic)
{
    if (tl_str_blank(cache)) {
        replyf(sl, GRPC_STATUS_INVALID_ARGUMENT, NULL, "cache name must not be empty or blank");
        return NULL;
    }
    if (tl_str_blank(topic)) {
        replyf(sl, GRPC_STATUS_INVALID_ARGUMENT, NULL, "topic name must not be empty or blank");
        return NULL;
    }
    errno = 0;
    tl_cache *c = tl_store_cache(s->env.store, cache);
    if (!c) {
        if (errno == ENOMEM)
            replyf(sl, GRPC_STATUS_INTERNAL, NULL, "out of memory");
        else
            replyf(sl, GRPC_STATUS_NOT_FOUND, NULL, "cache not found: %.*s",
                   (int)(cache.len > 200 ? 200 : cache.len), cache.p);
    }
    return c;
}

/* What every method does first: refuse_early, then the request message as
 * one slice into out; false (and the call answered) if either stops it. */
static bool accept_call(tl_server *s, struct slot *sl, grpc_slice *out)
{
    if (refuse_early(s, sl))
        return false;
    if (!sl->payload || !mo_bb_read(sl->payload, out)) {
        replyf(sl, GRPC_STATUS_INVALID_ARGUMENT, NULL, "the call carried no request message");
        return false;
    }
    return true;
}

/* ---- methods ---- */

static void handle_publish(tl_server *s, struct slot *sl)
{
    grpc_slice body;
    if (!accept_call(s, sl, &body))
        return;
    struct tl_publish_req req;
    const struct tl_opts *o = s->env.opts;
    tl_cache *c;
    if (tl_wire_publish_decode(GRPC_SLICE_START_PTR(body), GRPC_SLICE_LENGTH(body), &req) < 0) {
        replyf(sl, GRPC_STATUS_INTERNAL, NULL, "failed to decode the _PublishRequest message");
    } else if (!(c = find_cache(s, sl, req.cache, req.topic))) {
        /* answered */
    } else if (!req.has_value) {
        replyf(sl, GRPC_STATUS_INVALID_ARGUMENT, NULL,
               "the message has no value (neither text nor binary)");
    } else if (o->max_payload && req.value_len > o->max_payload) {
        replyf(sl, GRPC_STATUS_RESOURCE_EXHAUSTED, "item_size_limit_exceeded",
               "item size %zu bytes exceeds the limit of %" PRIu64 " bytes", req.value_len,
               o->max_payload);
    } else {
        tl_topic *t = tl_cache_topic(c, req.topic);
        struct tl_published p;
        int r = -ENOMEM;
        if (t && o->publisher_id_from_token) {
            /* the service puts the id of the publisher's token there; here
             * the token itself stands for it */
            const grpc_slice *auth = mo_md_get(&sl->md, "authorization");
            r = tl_topic_publish_as(t, req.binary, req.value, req.value_len,
                                    auth ? (const char *)GRPC_SLICE_START_PTR(*auth) : NULL,
                                    auth ? GRPC_SLICE_LENGTH(*auth) : 0, &p);
        } else if (t) {
            r = tl_topic_publish(t, req.binary, req.value, req.value_len, &p);
        }
        if (r < 0) {
            replyf(sl, GRPC_STATUS_INTERNAL, NULL, "out of memory");
        } else {
            /* (the streams it went to were only handed it: their delivered
             * lines come when gRPC has sent it, after this one) */
            tl_ledger_published(s->env.ledger, tl_cache_name(c), tl_topic_name(t), p.seq,
                                req.binary, req.value, req.value_len);
            if (p.dropped) {
                tl_log(&s->env, "fault: message %" PRIu64 " of %s/%s (page %" PRIu64 ") lost",
                       p.seq, tl_cache_name(c), tl_topic_name(t), p.page);
                tl_ledger_dropped(s->env.ledger, tl_cache_name(c), tl_topic_name(t), p.seq);
            }
            if (p.new_page)
                tl_log(&s->env, "fault: %s/%s reset to page %" PRIu64 " after %" PRIu64
                                " messages",
                       tl_cache_name(c), tl_topic_name(t), p.new_page, p.seq);
            reply(sl, GRPC_STATUS_OK, NULL, NULL);
        }
    }
    grpc_slice_unref(body);
}

static void handle_subscribe(tl_server *s, struct slot *sl)
{
    grpc_slice body;
    if (!accept_call(s, sl, &body))
        return;
    struct tl_subscribe_req req;
    const struct tl_opts *o = s->env.opts;
    tl_cache *c;
    tl_topic *t;
    if (tl_wire_subscribe_decode(GRPC_SLICE_START_PTR(body), GRPC_SLICE_LENGTH(body), &req) < 0) {
        replyf(sl, GRPC_STATUS_INTERNAL, NULL,
               "failed to decode the _SubscriptionRequest message");
    } else if (!(c = find_cache(s, sl, req.cache, req.topic))) {
        /* answered */
    } else if (o->max_subscribers && tl_cache_subscribers(c) >= o->max_subscribers) {
        replyf(sl, GRPC_STATUS_RESOURCE_EXHAUSTED, "topic_subscriptions_limit_exceeded",
               "Number of subscribers for cache %s exceeds the limit of %" PRIu64
               " concurrent subscribers",
               tl_cache_name(c), o->max_subscribers);
    } else if (!(t = tl_cache_topic(c, req.topic))) {
        replyf(sl, GRPC_STATUS_INTERNAL, NULL, "out of memory");
    } else if (tl_stream_start(&s->env, sl->call, c, t, &req, &sl->mf) < 0) {
        replyf(sl, GRPC_STATUS_INTERNAL, NULL, "cannot start the stream");
    } else {
        sl->call = NULL; /* the stream's now */
    }
    grpc_slice_unref(body);
}

/* ---- accepting calls ---- */

static void on_call(mo_tag *tag, bool ok);

static void slot_arm(struct slot *sl)
{
    tl_server *s = sl->srv;
    grpc_completion_queue *cq = mo_loop_cq(s->env.loop);
    grpc_call_error e;
    sl->call = NULL;
    sl->payload = NULL;
    grpc_metadata_array_init(&sl->md);
    if (sl->kind == SLOT_OTHER) {
        grpc_call_details_init(&sl->details);
        e = grpc_server_request_call(s->srv, &sl->call, &sl->details, &sl->md, cq, cq, &sl->tag);
    } else {
        e = grpc_server_request_registered_call(
            s->srv, sl->kind == SLOT_PUBLISH ? s->m_publish : s->m_subscribe, &sl->call,
            &sl->deadline, &sl->md, &sl->payload, cq, cq, &sl->tag);
    }
    if (e != GRPC_CALL_OK) {
        mo_warn("cannot wait for calls (gRPC error %d)", e);
        grpc_metadata_array_destroy(&sl->md);
        if (sl->kind == SLOT_OTHER)
            grpc_call_details_destroy(&sl->details);
        return;
    }
    sl->armed = true;
    s->armed++;
}

static void on_call(mo_tag *tag, bool ok)
{
    struct slot *sl = container_of(tag, struct slot, tag);
    tl_server *s = sl->srv;
    sl->armed = false;
    s->armed--;
    if (ok && sl->call && s->data != PORT_OPEN) {
        /* came in just before /block shut the server down */
        replyf(sl, GRPC_STATUS_UNAVAILABLE, NULL, "%s", BLOCKED_DETAILS);
    } else if (ok && sl->call) {
        switch (sl->kind) {
        case SLOT_PUBLISH:
            handle_publish(s, sl);
            break;
        case SLOT_SUBSCRIBE:
            handle_subscribe(s, sl);
            break;
        default: {
            char method[256];
            size_t n = GRPC_SLICE_LENGTH(sl->details.method);
            if (n >= sizeof method)
                n = sizeof method - 1;
            memcpy(method, GRPC_SLICE_START_PTR(sl->details.method), n);
            method[n] = '\0';
            replyf(sl, GRPC_STATUS_UNIMPLEMENTED, NULL, "unknown method %s", method);
        }
        }
    }
    if (sl->payload)
        grpc_byte_buffer_destroy(sl->payload);
    sl->payload = NULL;
    grpc_metadata_array_destroy(&sl->md);
    if (sl->kind == SLOT_OTHER)
        grpc_call_details_destroy(&sl->details);
    if (ok && !s->stopping && s->data == PORT_OPEN)
        slot_arm(sl);
    reopen_if_due(s);
    maybe_stopped(s);
}

/* ---- creation ---- */

/* Creates the gRPC server on `addr`, binds and starts it, and arms every slot
 * not armed: at start, and again after a /block (reopen). Returns 0 (s->srv
 * serving on s->port), or a negative errno with a sentence in err. */
static int server_open(tl_server *s, const char *addr, char *err, size_t errlen)
{
    const struct tl_opts *o = s->env.opts;
    grpc_arg args[] = {
        {GRPC_ARG_INTEGER, GRPC_ARG_MAX_CONCURRENT_STREAMS, {.integer = MO_STREAMS_PER_CONN}},
        /* the SDKs ping every 5 s (Node.js), also with no call open */
        {GRPC_ARG_INTEGER, GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, {.integer = 1000}},
        {GRPC_ARG_INTEGER, GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, {.integer = 1}},
        {GRPC_ARG_INTEGER, GRPC_ARG_HTTP2_MAX_PING_STRIKES, {.integer = 0}},
        /* a taken port must be an error, not a shared port */
        {GRPC_ARG_INTEGER, GRPC_ARG_ALLOW_REUSEPORT, {.integer = 0}},
        /* a client's grpc-timeout must not cut a Subscribe stream on our side */
        {GRPC_ARG_INTEGER, GRPC_ARG_ENABLE_DEADLINE_CHECKS, {.integer = 0}},
        /* find dead clients (a half-open connection) within a minute */
        {GRPC_ARG_INTEGER, GRPC_ARG_KEEPALIVE_TIME_MS, {.integer = 30000}},
        {GRPC_ARG_INTEGER, GRPC_ARG_KEEPALIVE_TIMEOUT_MS, {.integer = 20000}},
        /* no optional filters: 20% less CPU per Publish (measured: 24 -> 19 us on
         * this 2-core box), which matters as this server is a benchmark's load
         * sink. What they would add is off or ours anyway: deadlines (off,
         * above), message size (--max-payload), compression (no SDK uses it). */
        {GRPC_ARG_INTEGER, GRPC_ARG_MINIMAL_STACK, {.integer = 1}},
    };
    grpc_channel_args cargs = {.num_args = ARRAY_SIZE(args), .args = args};
    s->srv = grpc_server_create(&cargs, NULL);
    grpc_server_register_completion_queue(s->srv, mo_loop_cq(s->env.loop), NULL);
    s->m_publish = grpc_server_register_method(s->srv, MO_METHOD_PUBLISH, NULL,
                                               GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER, 0);
    s->m_subscribe = grpc_server_register_method(s->srv, MO_METHOD_SUBSCRIBE, NULL,
                                                 GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER, 0);
    int port = grpc_server_add_http2_port(s->srv, addr, s->creds);
    if (port <= 0) {
        if (!tl_port_explain_bind_failure(addr, err, errlen) && o->tls_cert)
            snprintf(err, errlen,
                     "cannot serve TLS with --tls-cert %s and --tls-key %s: the key does not "
                     "match the certificate, or one of them is not valid (--verbose shows "
                     "gRPC's reason)",
                     o->tls_cert, o->tls_key);
        grpc_server_destroy(s->srv); /* never started: no shutdown needed */
        s->srv = NULL;
        return -EADDRINUSE;
    }
    s->port = port;
    grpc_server_start(s->srv);
    s->started = true;
    s->data = PORT_OPEN;
    for (int k = 0; k < SLOT_KINDS; k++)
        for (int i = 0; i < SLOTS_PER_METHOD; i++) {
            struct slot *sl = &s->slots[k][i];
            sl->tag.fn = on_call;
            sl->srv = s;
            sl->kind = (enum slot_kind)k;
            if (!sl->armed)
                slot_arm(sl);
        }
    return 0;
}

int tl_server_new(const struct tl_opts *o, mo_loop *loop, tl_store *store, tl_ledger *ledger,
                  tl_server **ret, char *err, size_t errlen)
{
    grpc_server_credentials *creds = tl_port_credentials(o, err, errlen);
    if (!creds)
        return -EINVAL;

    tl_server *s = calloc(1, sizeof *s);
    if (!s) {
        grpc_server_credentials_release(creds);
        return -ENOMEM;
    }
    s->creds = creds; /* kept (one ref) to listen again after a /block */
    s->env = (struct tl_env){.loop = loop, .opts = o, .store = store, .ledger = ledger,
                             .released = on_released};
    s->late.next = s->late.prev = &s->late;
    s->shutdown_tag.fn = on_shutdown_done;
    s->drain_tag.fn = on_drained;
    mo_timer_init(&s->drain_timer, on_drain_slow);
    mo_timer_init(&s->reopen_timer, on_reopen_due);
    int r = tl_mdfault_new(&s->mdf) < 0 ? -ENOMEM : server_open(s, o->listen, err, errlen);
    if (r < 0) {
        tl_server_free(s);
        return r;
    }
    /* where /unblock listens again: the same port, also when --listen said 0 */
    tl_port_addr(o->listen, s->port, s->addr, sizeof s->addr);
    *ret = s;
    return 0;
}

int tl_server_port(const tl_server *s) { return s->port; }

void tl_server_free(tl_server *s)
{
    if (!s)
        return;
    if (s->srv) {
        if (s->started && !s->stopping) {
            /* never started, or the loop was left early: stop without waiting */
            if (s->data == PORT_OPEN)
                grpc_server_shutdown_and_notify(s->srv, mo_loop_cq(s->env.loop),
                                                &s->shutdown_tag);
            grpc_server_cancel_all_calls(s->srv);
        }
        grpc_server_destroy(s->srv);
    }
    mo_timer_stop(s->env.loop, &s->drain_timer);
    mo_timer_stop(s->env.loop, &s->reopen_timer);
    if (s->creds)
        grpc_server_credentials_release(s->creds);
    tl_mdfault_free(s->mdf);
    free(s);
}
