/* server.c - accepting calls, Publish, refusals and the clean stop. */
#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <grpc/grpc_security.h>

#include "cleanup.h"
#include "clock.h"
#include "conn.h"
#include "ctl.h"
#include "env.h"
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
#define SLOTS_PER_CONTROL 4 /* control calls are few and quick */

/* The control kinds are in tl_ctl's order, after the two topic methods. */
enum slot_kind {
    SLOT_PUBLISH,
    SLOT_SUBSCRIBE,
    SLOT_CREATE,
    SLOT_DELETE,
    SLOT_LIST,
    SLOT_OTHER,
    SLOT_KINDS
};
static const char *const slot_method[SLOT_KINDS] = {
    MO_METHOD_PUBLISH,      MO_METHOD_SUBSCRIBE,   MO_METHOD_CREATE_CACHE,
    MO_METHOD_DELETE_CACHE, MO_METHOD_LIST_CACHES, NULL,
};

static bool is_control(enum slot_kind k) { return k >= SLOT_CREATE && k <= SLOT_LIST; }
static int slots_of(enum slot_kind k) { return is_control(k) ? SLOTS_PER_CONTROL : SLOTS_PER_METHOD; }

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
    void *methods[SLOT_KINDS]; /* registered methods; SLOT_OTHER's is NULL */
    int port;
    struct slot slots[SLOT_KINDS][SLOTS_PER_METHOD];
    size_t armed;
    uint64_t rejected; /* calls refused by --fault-reject */
    tl_mdfault *mdf;   /* the metadata faults' counts per request id */
    struct reply late; /* head of the circular list of replies held back */
    bool started, stopping, stopped;
    mo_tag shutdown_tag;
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
    grpc_server_shutdown_and_notify(s->srv, mo_loop_cq(s->env.loop), &s->shutdown_tag);
    /* streams never end by themselves: cancel them so the shutdown completes */
    grpc_server_cancel_all_calls(s->srv);
    /* and replies held back go now (to cancelled calls), so that they are released */
    while (s->late.next != &s->late) {
        struct reply *r = s->late.next;
        mo_timer_stop(s->env.loop, &r->timer);
        reply_send(r);
    }
    maybe_stopped(s);
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
 * meanwhile). `err` (may be NULL) goes into the trailing metadata; `body`
 * (NULL: zero bytes, common._Empty) is the reply message when code is OK.
 * Takes the slot's call. */
static void reply_body(struct slot *sl, grpc_status_code code, const char *details,
                       const char *err, grpc_slice *body)
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
        r->msg = grpc_raw_byte_buffer_create(body, body ? 1 : 0);
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

static void reply(struct slot *sl, grpc_status_code code, const char *details, const char *err)
{
    reply_body(sl, code, details, err, NULL);
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

static const char *rpc_name(enum slot_kind k)
{
    static const char *const names[SLOT_KINDS] = {"publish", "subscribe", "create-cache",
                                                  "delete-cache", "list-caches", "other"};
    return names[k];
}

/* Whether --fault-reject refuses this call (--fault-reject-rpc, COUNT). */
static bool fault_rejects(const tl_server *s, enum slot_kind kind)
{
    const struct tl_opts *o = s->env.opts;
    if (o->fault_reject_code <= 0)
        return false;
    if (is_control(kind) != (o->fault_reject_rpc == TL_RPC_CONTROL) ||
        (o->fault_reject_rpc == TL_RPC_PUBLISH && kind != SLOT_PUBLISH) ||
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
            replyf(sl, code, NULL, "the API key does not have permission to %s",
                   sl->kind == SLOT_PUBLISH     ? "publish to this topic"
                   : sl->kind == SLOT_SUBSCRIBE ? "subscribe to this topic"
                                                : "use the control plane");
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
    if (is_control(sl->kind))
        return false; /* (the metadata faults name topic RPCs only) */
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
    } else if (o->topic_limits.max_publish_message_size_kb &&
               req.value_len > (uint64_t)o->topic_limits.max_publish_message_size_kb * 1024) {
        replyf(sl, GRPC_STATUS_RESOURCE_EXHAUSTED, "item_size_limit_exceeded",
               "item size %zu bytes exceeds the limit of %" PRIu32 " KiB", req.value_len,
               o->topic_limits.max_publish_message_size_kb);
    } else if (!tl_cache_take_publish(c, o->topic_limits.max_publish_rate, mo_mono_us())) {
        replyf(sl, GRPC_STATUS_RESOURCE_EXHAUSTED, "operations_rate_limit_exceeded",
               "publish rate for cache %s exceeds the limit of %" PRIu32
               " operations per second",
               tl_cache_name(c), o->topic_limits.max_publish_rate);
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
    /* the lower of --max-subscribers and --topic-limits' */
    uint64_t max_subs = o->max_subscribers;
    uint64_t tl_subs = o->topic_limits.max_subscription_count;
    if (tl_subs && (!max_subs || tl_subs < max_subs))
        max_subs = tl_subs;
    if (tl_wire_subscribe_decode(GRPC_SLICE_START_PTR(body), GRPC_SLICE_LENGTH(body), &req) < 0) {
        replyf(sl, GRPC_STATUS_INTERNAL, NULL,
               "failed to decode the _SubscriptionRequest message");
    } else if (!(c = find_cache(s, sl, req.cache, req.topic))) {
        /* answered */
    } else if (max_subs && tl_cache_subscribers(c) >= max_subs) {
        replyf(sl, GRPC_STATUS_RESOURCE_EXHAUSTED, "topic_subscriptions_limit_exceeded",
               "Number of subscribers for cache %s exceeds the limit of %" PRIu64
               " concurrent subscribers",
               tl_cache_name(c), max_subs);
    } else if (!(t = tl_cache_topic(c, req.topic))) {
        replyf(sl, GRPC_STATUS_INTERNAL, NULL, "out of memory");
    } else if (tl_stream_start(&s->env, sl->call, c, t, &req, &sl->mf) < 0) {
        replyf(sl, GRPC_STATUS_INTERNAL, NULL, "cannot start the stream");
    } else {
        sl->call = NULL; /* the stream's now */
    }
    grpc_slice_unref(body);
}

static void handle_control(tl_server *s, struct slot *sl)
{
    grpc_slice body;
    if (!accept_call(s, sl, &body))
        return;
    struct tl_ctl_answer a;
    tl_control_answer(&s->env, (enum tl_ctl)(sl->kind - SLOT_CREATE), GRPC_SLICE_START_PTR(body),
                      GRPC_SLICE_LENGTH(body), &a);
    grpc_slice_unref(body);
    if (a.code != GRPC_STATUS_OK)
        tl_log(&s->env, "refused a call: %s: %s", mo_status_name(a.code), a.details);
    reply_body(sl, a.code, a.details, NULL, &a.body);
    grpc_slice_unref(a.body);
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
        e = grpc_server_request_registered_call(s->srv, s->methods[sl->kind], &sl->call,
                                                &sl->deadline, &sl->md, &sl->payload, cq, cq,
                                                &sl->tag);
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
    if (ok && sl->call) {
        switch (sl->kind) {
        case SLOT_PUBLISH:
            handle_publish(s, sl);
            break;
        case SLOT_SUBSCRIBE:
            handle_subscribe(s, sl);
            break;
        case SLOT_CREATE:
        case SLOT_DELETE:
        case SLOT_LIST:
            handle_control(s, sl);
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
    if (ok && !s->stopping)
        slot_arm(sl);
    maybe_stopped(s);
}

/* ---- creation ---- */

static char *read_pem(const char *path, const char *what, char *err, size_t errlen)
{
    _cleanup_fclose_ FILE *f = fopen(path, "re");
    if (!f) {
        snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
        return NULL;
    }
    char *buf = NULL;
    size_t len = 0;
    _cleanup_fclose_ FILE *m = open_memstream(&buf, &len);
    if (!m)
        return NULL;
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        fwrite(chunk, 1, n, m);
    bool rd_err = ferror(f);
    fclose(m);
    m = NULL;
    if (rd_err || !strstr(buf, "-----BEGIN ")) {
        snprintf(err, errlen, "%s %s: %s", what, path,
                 rd_err ? "read error" : "not a PEM file (no -----BEGIN line)");
        free(buf);
        return NULL;
    }
    return buf;
}

/* gRPC only says that adding the port failed; find out why with a plain
 * bind(). Returns false when binding works (the reason is something else). */
static bool explain_bind_failure(const char *listen, char *err, size_t errlen)
{
    char host[256];
    const char *colon = strrchr(listen, ':');
    size_t hl = (size_t)(colon - listen);
    if (listen[0] == '[') {
        hl = hl >= 2 ? hl - 2 : 0;
        snprintf(host, sizeof host, "%.*s", (int)hl, listen + 1);
    } else {
        snprintf(host, sizeof host, "%.*s", (int)hl, listen);
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE};
    struct addrinfo *ai = NULL;
    int g = getaddrinfo(host, colon + 1, &hints, &ai);
    if (g != 0) {
        snprintf(err, errlen, "cannot listen on %s: %s", listen, gai_strerror(g));
        return true;
    }
    int e = 0;
    for (struct addrinfo *a = ai; a; a = a->ai_next) {
        int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) {
            e = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, a->ai_addr, a->ai_addrlen) < 0)
            e = errno;
        close(fd);
        if (e)
            break;
    }
    freeaddrinfo(ai);
    if (e == EADDRINUSE)
        snprintf(err, errlen, "address %s is in use", listen);
    else if (e)
        snprintf(err, errlen, "cannot listen on %s: %s", listen, strerror(e));
    else
        snprintf(err, errlen, "cannot listen on %s", listen);
    return e != 0;
}

int tl_server_new(const struct tl_opts *o, mo_loop *loop, tl_store *store, tl_ledger *ledger,
                  tl_server **ret, char *err, size_t errlen)
{
    grpc_server_credentials *creds;
    if (o->tls_cert) {
        _cleanup_free_ char *cert = read_pem(o->tls_cert, "--tls-cert", err, errlen);
        if (!cert)
            return -EINVAL;
        _cleanup_free_ char *key = read_pem(o->tls_key, "--tls-key", err, errlen);
        if (!key)
            return -EINVAL;
        grpc_ssl_pem_key_cert_pair pair = {.private_key = key, .cert_chain = cert};
        creds = grpc_ssl_server_credentials_create(NULL, &pair, 1, 0, NULL);
        explicit_bzero(key, strlen(key));
    } else {
        creds = grpc_insecure_server_credentials_create();
    }
    if (!creds) {
        snprintf(err, errlen, "cannot create the server credentials");
        return -EINVAL;
    }

    tl_server *s = calloc(1, sizeof *s);
    if (!s) {
        grpc_server_credentials_release(creds);
        return -ENOMEM;
    }
    s->env = (struct tl_env){.loop = loop, .opts = o, .store = store, .ledger = ledger,
                             .released = on_released};
    s->late.next = s->late.prev = &s->late;
    s->shutdown_tag.fn = on_shutdown_done;
    if (tl_mdfault_new(&s->mdf) < 0) {
        grpc_server_credentials_release(creds);
        free(s);
        return -ENOMEM;
    }

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
    grpc_server_register_completion_queue(s->srv, mo_loop_cq(loop), NULL);
    for (int k = 0; k < SLOT_KINDS; k++)
        if (slot_method[k])
            s->methods[k] = grpc_server_register_method(
                s->srv, slot_method[k], NULL, GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER, 0);
    s->port = grpc_server_add_http2_port(s->srv, o->listen, creds);
    grpc_server_credentials_release(creds);
    if (s->port <= 0) {
        if (!explain_bind_failure(o->listen, err, errlen) && o->tls_cert)
            snprintf(err, errlen,
                     "cannot serve TLS with --tls-cert %s and --tls-key %s: the key does not "
                     "match the certificate, or one of them is not valid (--verbose shows "
                     "gRPC's reason)",
                     o->tls_cert, o->tls_key);
        tl_server_free(s);
        return -EADDRINUSE;
    }
    grpc_server_start(s->srv);
    s->started = true;
    for (int k = 0; k < SLOT_KINDS; k++)
        for (int i = 0; i < slots_of((enum slot_kind)k); i++) {
            struct slot *sl = &s->slots[k][i];
            sl->tag.fn = on_call;
            sl->srv = s;
            sl->kind = (enum slot_kind)k;
            slot_arm(sl);
        }
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
            grpc_server_shutdown_and_notify(s->srv, mo_loop_cq(s->env.loop), &s->shutdown_tag);
            grpc_server_cancel_all_calls(s->srv);
        }
        grpc_server_destroy(s->srv);
    }
    tl_mdfault_free(s->mdf);
    free(s);
}
