/* stream.c - Subscribe streams: heartbeats, replay, live items, ends, faults. */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/support/alloc.h>

#include "cleanup.h"
#include "rpc.h"
#include "stream.h"

/* What a gRPC C-core client reports for a stream reset with RST_STREAM
 * (NO_ERROR) before any status: INTERNAL with this message (its chttp2
 * transport's wording, code 0 being NO_ERROR). */
#define TL_RST_NO_ERROR_DETAILS "Received RST_STREAM with error code 0"

enum stream_state {
    ST_OPEN,    /* sending */
    ST_STALLED, /* --fault-stall-after: open, silent */
    ST_ENDING,  /* status sent (--fault-end-after, --stream-items, --stream-lifetime) */
    ST_DONE,    /* finished or cancelled; waiting for the last tags */
};

struct tl_stream {
    struct tl_env *env;
    grpc_call *call;
    tl_cache *cache;
    tl_topic *topic;
    uint64_t id;
    enum stream_state state;
    bool watching;

    struct tl_watcher watcher;
    mo_timer hb_timer;
    mo_timer life_timer; /* --stream-lifetime */
    bool end_due;        /* the lifetime ran out while a message was in flight */
    const char *end_why; /* for the log line once the call is closed */
    mo_tag send_tag, close_tag, status_tag;
    unsigned tags_out; /* batches not yet completed */
    bool closed;       /* RECV_CLOSE_ON_SERVER came back */
    int cancelled;

    /* what goes out next */
    uint64_t cursor; /* next ring position */
    bool hb_due;
    bool disc_due;
    bool malformed_due;  /* --fault-malformed-every */
    uint64_t malformed;  /* malformed messages sent */
    struct tl_start disc;
    /* what the client knows: the last sequence number and page it was given */
    uint64_t known_seq, known_page;

    bool sending;
    bool sending_item;
    uint64_t sending_seq; /* the item's sequence number, for the ledger */
    grpc_byte_buffer *bb;
    uint64_t items;     /* items sent on this stream */
    uint64_t msgs;      /* messages of any kind sent */
    struct tl_md_fault mf; /* the call's metadata faults */
    bool held;          /* delay-ms: nothing goes out until first_timer */
    mo_timer first_timer;
    uint64_t discs;     /* discontinuities sent */
    uint64_t fell_behind;

    grpc_slice status_details;
    grpc_metadata trailer;

    struct tl_stream *prev_open, *next_open; /* env->open */
    /* tl_streams_end while a message was in flight: on_sent ends it */
    bool kill_due;
    grpc_status_code kill_code;
    char kill_details[128];
};

static void pump(struct tl_stream *st);

static void stop_sending(struct tl_stream *st)
{
    if (st->watching) {
        tl_topic_unwatch(st->topic, &st->watcher);
        st->watching = false;
    }
    mo_timer_stop(st->env->loop, &st->hb_timer);
    mo_timer_stop(st->env->loop, &st->life_timer);
    if (mo_timer_armed(&st->first_timer)) { /* held by delay-ms: the hold ends with it */
        mo_timer_stop(st->env->loop, &st->first_timer);
        st->tags_out--;
    }
}

static void stream_detach(struct tl_stream *st, const char *why)
{
    if (st->state == ST_DONE)
        return;
    st->state = ST_DONE;
    stop_sending(st);
    tl_cache_add_subscribers(st->cache, -1);
    tl_log(st->env, "stream %" PRIu64 " closed (%s/%s): %s; %" PRIu64 " items, %" PRIu64
                    " discontinuities sent",
           st->id, tl_cache_name(st->cache), tl_topic_name(st->topic), why, st->items, st->discs);
}

static void stream_release_if_done(struct tl_stream *st)
{
    if (st->tags_out > 0)
        return;
    stream_detach(st, "ended");
    struct tl_env *env = st->env;
    if (st->bb)
        grpc_byte_buffer_destroy(st->bb);
    grpc_slice_unref(st->status_details);
    grpc_call_unref(st->call);
    if (st->prev_open)
        st->prev_open->next_open = st->next_open;
    else
        env->open = st->next_open;
    if (st->next_open)
        st->next_open->prev_open = st->prev_open;
    free(st);
    env->live--;
    env->released(env);
}

/* The call cannot go on (a batch was refused): cancel it and wait for the tags. */
static void stream_abort(struct tl_stream *st, grpc_call_error e)
{
    tl_log(st->env, "stream %" PRIu64 ": gRPC refused a batch (error %d); cancelling", st->id, e);
    grpc_call_cancel(st->call, NULL);
    stream_detach(st, "cancelled after a gRPC error");
}

static void on_status_sent(mo_tag *tag, bool ok)
{
    struct tl_stream *st = container_of(tag, struct tl_stream, status_tag);
    st->tags_out--;
    stream_release_if_done(st);
}

/* Finishes the stream with `code` and `details` (no message may be in flight);
 * `cause` names the option in the log, `why` says it when the call closes. */
static void stream_end(struct tl_stream *st, grpc_status_code code, const char *details,
                       const char *cause, const char *why)
{
    st->state = ST_ENDING;
    st->end_why = why;
    stop_sending(st);
    tl_log(st->env, "%s: stream %" PRIu64 " ended with %s after %" PRIu64 " items", cause, st->id,
           mo_status_name(code), st->items);
    st->status_details = grpc_slice_from_copied_string(details);
    grpc_op op = mo_op(GRPC_OP_SEND_STATUS_FROM_SERVER);
    op.data.send_status_from_server.status = code;
    op.data.send_status_from_server.status_details = &st->status_details;
    grpc_call_error e = grpc_call_start_batch(st->call, &op, 1, &st->status_tag, NULL);
    if (e != GRPC_CALL_OK)
        stream_abort(st, e);
    else
        st->tags_out++;
}

/* --fault-end-after: finish the stream as a broken backend would. */
static void stream_end_unavailable(struct tl_stream *st)
{
    char details[128];
    snprintf(details, sizeof details,
             "stream ended by fault injection (--fault-end-after) after %" PRIu64 " items",
             st->items);
    stream_end(st, GRPC_STATUS_UNAVAILABLE, details, "fault", "ended by fault");
}

/* --stream-items, --stream-lifetime: the end of a healthy stream, in the shape
 * --stream-end asked for (src/proto/README.md §7.1). A gRPC C-core server
 * cannot send a bare RST_STREAM(NO_ERROR): every way it has to end a call sends
 * the status trailers first. `rst` therefore sends the status a C-core client
 * reports when it receives one (INTERNAL, with the transport's own message),
 * which is what the daemon sees from a server that does. */
static void stream_end_normal(struct tl_stream *st, const char *option)
{
    if (st->env->opts->stream_end == TL_END_RST)
        stream_end(st, GRPC_STATUS_INTERNAL, TL_RST_NO_ERROR_DETAILS, option, "ended as a reset");
    else
        stream_end(st, GRPC_STATUS_OK, "", option, "ended with OK");
}

static void stream_stall(struct tl_stream *st)
{
    st->state = ST_STALLED;
    stop_sending(st);
    tl_log(st->env, "fault: stream %" PRIu64 " stalled after %" PRIu64 " items", st->id,
           st->items);
}

static void on_sent(mo_tag *tag, bool ok)
{
    struct tl_stream *st = container_of(tag, struct tl_stream, send_tag);
    st->tags_out--;
    st->sending = false;
    grpc_byte_buffer_destroy(st->bb);
    st->bb = NULL;
    if (!ok) {
        stream_detach(st, "client gone");
        stream_release_if_done(st);
        return;
    }
    const struct tl_opts *o = st->env->opts;
    st->msgs++;
    if (st->sending_item) {
        st->items++;
        tl_ledger_delivered(st->env->ledger, tl_cache_name(st->cache), tl_topic_name(st->topic),
                            st->sending_seq, st->id);
        if (o->fault_malformed_every && st->items % o->fault_malformed_every == 0)
            st->malformed_due = true; /* sent next, before anything else */
    }
    if (st->state == ST_OPEN) {
        if (st->kill_due)
            stream_end(st, st->kill_code, st->kill_details, "control", "ended by the server");
        else if (st->mf.stream_error && st->msgs >= st->mf.stream_error_after)
            stream_end(st, st->mf.stream_error_code,
                       "fault asked for in the call's metadata (stream-error)", "stream-error",
                       "ended by the call's metadata");
        else if (o->fault_end_after != TL_OFF && st->items >= o->fault_end_after)
            stream_end_unavailable(st);
        else if (o->fault_stall_after != TL_OFF && st->items >= o->fault_stall_after)
            stream_stall(st);
        else if (o->stream_items && st->items >= o->stream_items)
            stream_end_normal(st, "--stream-items");
        else if (st->end_due)
            stream_end_normal(st, "--stream-lifetime");
    }
    pump(st);
    stream_release_if_done(st);
}

static void on_closed(mo_tag *tag, bool ok)
{
    struct tl_stream *st = container_of(tag, struct tl_stream, close_tag);
    st->tags_out--;
    st->closed = true;
    if (st->state == ST_ENDING)
        stream_detach(st, st->end_why);
    else
        stream_detach(st, st->cancelled ? "cancelled" : "ended");
    stream_release_if_done(st);
}

/* Sends `msg` (the caller's ref is kept by the byte buffer's own ref). */
static void send_msg(struct tl_stream *st, grpc_slice msg, bool item, uint64_t seq,
                     bool with_headers)
{
    st->bb = grpc_raw_byte_buffer_create(&msg, 1);
    grpc_op ops[2];
    size_t n = 0;
    if (with_headers)
        ops[n++] = mo_op(GRPC_OP_SEND_INITIAL_METADATA);
    ops[n] = mo_op(GRPC_OP_SEND_MESSAGE);
    ops[n++].data.send_message.send_message = st->bb;
    grpc_call_error e = grpc_call_start_batch(st->call, ops, n, &st->send_tag, NULL);
    if (e != GRPC_CALL_OK) {
        grpc_byte_buffer_destroy(st->bb);
        st->bb = NULL;
        stream_abort(st, e);
        return;
    }
    st->tags_out++;
    st->sending = true;
    st->sending_item = item;
    st->sending_seq = seq;
}

static void send_discontinuity(struct tl_stream *st, const struct tl_start *d)
{
    grpc_slice s = tl_store_discontinuity(st->env->store, d);
    st->known_seq = d->new_seq;
    st->known_page = d->page;
    st->discs++;
    send_msg(st, s, false, 0, false);
    grpc_slice_unref(s);
}

/* Sends the next thing due, if nothing is in flight. */
static void pump(struct tl_stream *st)
{
    if (st->state != ST_OPEN || st->sending || st->held)
        return;
    if (st->malformed_due) {
        /* garbled bytes first, then an item of no kind, in turn */
        bool no_kind = st->malformed++ % 2 == 1;
        st->malformed_due = false;
        tl_log(st->env, "fault: stream %" PRIu64 " sends %s after %" PRIu64 " items", st->id,
               no_kind ? "an item of no kind" : "a garbled item", st->items);
        send_msg(st, tl_wire_malformed(no_kind), false, 0, false);
        return;
    }
    if (st->hb_due) {
        st->hb_due = false;
        send_msg(st, tl_wire_heartbeat(), false, 0, false);
        return;
    }
    if (st->disc_due) {
        st->disc_due = false;
        send_discontinuity(st, &st->disc);
        return;
    }
    if (st->cursor >= tl_topic_end(st->topic))
        return; /* idle until the topic grows (watcher) */
    if (tl_topic_gone(st->topic, st->cursor)) {
        /* fell out of the ring or the window: the client was slower than
         * the publishers */
        struct tl_start s;
        tl_topic_catch_up(st->topic, st->known_seq, &s);
        st->fell_behind++;
        tl_log(st->env,
               "stream %" PRIu64 " fell behind: %" PRIu64 " entries skipped; discontinuity %" PRIu64
               " -> %" PRIu64 " (page %" PRIu64 ")",
               st->id, s.pos - st->cursor, s.last, s.new_seq, s.page);
        st->cursor = s.pos;
        send_discontinuity(st, &s);
        return;
    }
    const struct tl_entry *e = tl_topic_entry(st->topic, st->cursor++);
    if (e->kind == TL_ENTRY_ITEM) {
        st->known_seq = e->seq;
        st->known_page = e->page;
    } else {
        st->known_seq = e->kind == TL_ENTRY_DROP ? e->seq : 0;
        st->known_page = e->page;
        st->discs++;
    }
    send_msg(st, e->msg, e->kind == TL_ENTRY_ITEM, e->seq, false);
}

static void on_topic_grew(struct tl_watcher *w)
{
    pump(container_of(w, struct tl_stream, watcher));
}

static void on_heartbeat(mo_timer *t)
{
    struct tl_stream *st = container_of(t, struct tl_stream, hb_timer);
    if (st->state != ST_OPEN)
        return;
    st->hb_due = true;
    mo_timer_start(st->env->loop, &st->hb_timer, st->env->opts->heartbeat_us);
    pump(st);
}

static void on_lifetime(mo_timer *t)
{
    struct tl_stream *st = container_of(t, struct tl_stream, life_timer);
    if (st->state != ST_OPEN)
        return;
    if (st->sending)
        st->end_due = true; /* on_sent ends it */
    else
        stream_end_normal(st, "--stream-lifetime");
}

/* The first message and the timers: at once, or after delay-ms. */
static void stream_open(struct tl_stream *st)
{
    struct tl_env *env = st->env;
    st->held = false;
    /* The heartbeat goes out with the response headers: the SDKs wait for it. */
    send_msg(st, tl_wire_heartbeat(), false, 0, true);
    if (st->state == ST_OPEN && env->opts->heartbeat_us)
        mo_timer_start(env->loop, &st->hb_timer, env->opts->heartbeat_us);
    if (st->state == ST_OPEN && env->opts->stream_lifetime_us)
        mo_timer_start(env->loop, &st->life_timer, env->opts->stream_lifetime_us);
}

static void on_first_due(mo_timer *t)
{
    struct tl_stream *st = container_of(t, struct tl_stream, first_timer);
    st->tags_out--;
    if (st->state == ST_OPEN)
        stream_open(st);
    stream_release_if_done(st);
}

int tl_stream_start(struct tl_env *env, grpc_call *call, tl_cache *cache, tl_topic *topic,
                    const struct tl_subscribe_req *req, const struct tl_md_fault *mf)
{
    struct tl_stream *st = calloc(1, sizeof *st);
    if (!st)
        return -ENOMEM;
    st->env = env;
    st->call = call;
    st->cache = cache;
    st->topic = topic;
    st->id = ++env->streams;
    st->send_tag.fn = on_sent;
    st->close_tag.fn = on_closed;
    st->status_tag.fn = on_status_sent;
    st->watcher.fn = on_topic_grew;
    st->status_details = grpc_empty_slice();
    mo_timer_init(&st->hb_timer, on_heartbeat);
    mo_timer_init(&st->life_timer, on_lifetime);
    mo_timer_init(&st->first_timer, on_first_due);
    if (mf)
        st->mf = *mf;

    struct tl_start start;
    tl_topic_resume(topic, req->resume_at, req->page, &start);
    st->cursor = start.pos;
    st->disc_due = start.disc;
    st->disc = start;
    st->known_seq = req->resume_at ? req->resume_at - 1 : tl_topic_latest(topic);
    st->known_page = tl_topic_page(topic);

    grpc_op op = mo_op(GRPC_OP_RECV_CLOSE_ON_SERVER);
    op.data.recv_close_on_server.cancelled = &st->cancelled;
    grpc_call_error e = grpc_call_start_batch(call, &op, 1, &st->close_tag, NULL);
    if (e != GRPC_CALL_OK) {
        free(st);
        return -EIO;
    }
    st->tags_out++;
    env->live++;
    st->next_open = env->open;
    if (env->open)
        env->open->prev_open = st;
    env->open = st;
    tl_cache_add_subscribers(cache, +1);
    tl_topic_watch(topic, &st->watcher);
    st->watching = true;

    if (env->opts->verbose) {
        char *peer = grpc_call_get_peer(call);
        tl_log(env,
               "stream %" PRIu64 " opened (%s/%s) from %s: resume_at %" PRIu64 " page %" PRIu64
               " -> position %" PRIu64 "%s",
               st->id, tl_cache_name(cache), tl_topic_name(topic), peer ? peer : "?",
               req->resume_at, req->page, start.pos, start.disc ? " after a discontinuity" : "");
        gpr_free(peer);
    }

    if (st->mf.delay_ms) { /* delay-ms: the first message (and the headers) held back */
        st->held = true;
        st->tags_out++; /* the timer holds the stream as a tag would */
        mo_timer_start(env->loop, &st->first_timer, st->mf.delay_ms * 1000);
        return 0;
    }
    stream_open(st);
    return 0;
}

void tl_streams_end(struct tl_env *env, const tl_cache *cache, grpc_status_code code,
                    const char *details)
{
    for (struct tl_stream *st = env->open; st; st = st->next_open) {
        if ((cache && st->cache != cache) || (st->state != ST_OPEN && st->state != ST_STALLED))
            continue;
        if (st->sending) {
            st->kill_due = true;
            st->kill_code = code;
            snprintf(st->kill_details, sizeof st->kill_details, "%s", details);
            stop_sending(st); /* nothing more after the message in flight */
        } else {
            stream_end(st, code, details, "control", "ended by the server");
        }
    }
}
