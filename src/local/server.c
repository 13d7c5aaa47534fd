/* server.c - accepting calls: the checks, Publish, Subscribe handed to a
 * stream, the control calls handed to ctl, refusals and replies. */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/grpc_security.h>

#include "cleanup.h"
#include "clock.h"
#include "conn.h"
#include "ctl.h"
#include "env.h"
#include "pubsub.h"
#include "rpc.h"
#include "server-int.h"
#include "stream.h"
#include "util.h"
#include "wire.h"

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
void tl_reply_send(struct reply *r)
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
    tl_reply_send(container_of(t, struct reply, timer));
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
    tl_reply_send(r);
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

void tl_slot_arm(struct slot *sl)
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

void tl_on_call(mo_tag *tag, bool ok)
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
    if (ok && !s->stopping && s->data == PORT_OPEN)
        tl_slot_arm(sl);
    s->slot_back(s); /* (dataport.c: a reopen or a stop may wait for it) */
}

