/* sub.c - one subscription (sub.h).
 *
 * A stream holds three batches (GRPC-C-CORE.md section 3): A sends the request
 * and receives the headers, B waits for the status, C receives one message at
 * a time and is re-armed after each. gRPC writes into the sub's buffers until
 * a batch's tag comes back, so the stream is over only when all three tags are
 * back (`pending` reaches 0): only then is the call released (stream_done) and
 * the next step decided. Every path that ends a stream goes through there.
 *
 * Where it resumes and what each item means for continuity is continuity.c's;
 * here the verdicts become counters and events.
 */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/support/alloc.h>

#include "cleanup.h"
#include "clock.h"
#include "continuity.h"
#include "event.h"
#include "pubsub.h"
#include "rpc.h"
#include "sub.h"
#include "timefmt.h"
#include "util.h"

/* A stream that lived this long counts as healthy even without items, so the
 * next resubscribe starts again from the initial backoff. */
#define HEALTHY_STREAM_US (10 * MO_USEC_PER_SEC)

struct mo_sub {
    mo_loop *loop;
    mo_conn *conn;
    const struct mo_sub_settings *set;
    struct mo_sub_owner owner;
    char *cache, *topic;
    char *field; /* the decoder's dotted path points into this copy */
    struct mo_decoder dec;
    enum mo_sub_state state;
    bool stop_requested;
    bool ever_up;

    /* the current call */
    grpc_call *call;
    int pending; /* tags not yet back */
    mo_tag tag_start, tag_status, tag_recv;
    grpc_metadata md[MO_CALL_MD_MAX];
    grpc_byte_buffer *request;
    grpc_byte_buffer *recv;
    grpc_metadata_array initial_md, trailing_md;
    grpc_status_code status;
    grpc_slice details;
    const char *error_string;
    uint64_t stream_started_us;
    bool stream_got_message, stream_got_item, idle_cancelled;
    /* a failure of ours (a batch gRPC refused, a call it could not create):
     * reported instead of the CANCELLED status gRPC then delivers */
    char local_failure[128];
    uint64_t resume_at, resume_page; /* what this stream asked for */

    struct mo_cont cont;

    /* reconnect */
    unsigned attempt; /* resubscribes since the last healthy stream */
    unsigned seed;
    mo_timer backoff_timer, idle_timer, done_timer;
    uint64_t last_activity_us;

    struct mo_stats stats;
    uint64_t warned[4]; /* warnings logged this interval, by kind (warning_emit) */
    uint64_t delivered; /* since mo_sub_new, for the owner's rates */
    uint64_t sample_counter;
};

static void on_start(mo_tag *tag, bool ok);
static void on_status(mo_tag *tag, bool ok);
static void on_recv(mo_tag *tag, bool ok);
static void on_backoff(mo_timer *t);
static void on_idle_timeout(mo_timer *t);
static void on_done(mo_timer *t);

const char *mo_sub_cache(const mo_sub *s) { return s->cache; }
const char *mo_sub_topic(const mo_sub *s) { return s->topic; }
mo_conn *mo_sub_conn(const mo_sub *s) { return s->conn; }
enum mo_sub_state mo_sub_state(const mo_sub *s) { return s->state; }
bool mo_sub_ever_up(const mo_sub *s) { return s->ever_up; }
const struct mo_stats *mo_sub_stats(const mo_sub *s) { return &s->stats; }
uint64_t mo_sub_delivered(const mo_sub *s) { return s->delivered; }

void mo_sub_end_interval(mo_sub *s, uint64_t now_us, const struct mo_clock_state *clk,
                         struct mo_stats *add_to)
{
    mo_stats_end_interval(&s->stats, s->cache, s->topic, now_us, clk, add_to);
    memset(s->warned, 0, sizeof s->warned);
}

int mo_sub_set_decoder(mo_sub *s, const struct mo_decoder *dec)
{
    char *field = NULL;
    struct mo_decoder copy = *dec;
    if (dec->mode == MO_DECODE_JSON) {
        field = strdup(dec->field ? dec->field : "");
        if (!field)
            return -ENOMEM;
        int r = mo_decoder_set_field(&copy, field);
        if (r < 0) {
            free(field);
            return r;
        }
    }
    free(s->field);
    s->field = field;
    s->dec = copy;
    return 0;
}

int mo_sub_new(mo_loop *loop, mo_conn *conn, const struct mo_sub_settings *set,
               const struct mo_sub_owner *owner, const struct mo_sub_config *sc, mo_sub **ret)
{
    mo_sub *s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    s->loop = loop;
    s->conn = conn;
    s->set = set;
    s->owner = *owner;
    s->cache = strdup(sc->cache);
    s->topic = strdup(sc->topic);
    s->details = grpc_empty_slice();
    mo_cont_init(&s->cont);
    s->seed = (unsigned)mo_mono_us() ^ (unsigned)(uintptr_t)s;
    s->tag_start.fn = on_start;
    s->tag_status.fn = on_status;
    s->tag_recv.fn = on_recv;
    mo_timer_init(&s->backoff_timer, on_backoff);
    mo_timer_init(&s->idle_timer, on_idle_timeout);
    mo_timer_init(&s->done_timer, on_done);
    int r = -ENOMEM;
    if (!s->cache || !s->topic || (r = mo_stats_init(&s->stats)) < 0 ||
        (r = mo_sub_set_decoder(s, &sc->decoder)) < 0) {
        mo_sub_free(s);
        return r;
    }
    *ret = s;
    return 0;
}

/* See sub.h: never while a call is in flight. The timers are stopped here
 * because an owner may free a subscription it never started or whose stop
 * has not been asked for (start-up failure). */
void mo_sub_free(mo_sub *s)
{
    if (!s)
        return;
    mo_timer_stop(s->loop, &s->backoff_timer);
    mo_timer_stop(s->loop, &s->idle_timer);
    mo_timer_stop(s->loop, &s->done_timer);
    free(s->cache);
    free(s->topic);
    free(s->field);
    mo_stats_clear(&s->stats);
    free(s);
}

/* ---- the stream ---- */

/* Frees everything of the current call: the call reference, the request, a
 * received buffer not taken yet, both metadata arrays, the status details and
 * the error string.
 * Before: no batch of the call is pending (gRPC writes into all of these until
 * its tag is back), and start_stream initialised the metadata arrays.
 * Exactly once per start_stream: grpc_metadata_array_destroy does not reset
 * the array, so a second call would free it twice.
 * After: call, request, recv and error_string are NULL, details is empty; the
 * next start_stream initialises the arrays again. */
static void release_call(mo_sub *s)
{
    if (s->call) {
        grpc_call_unref(s->call);
        s->call = NULL;
    }
    if (s->request) {
        grpc_byte_buffer_destroy(s->request);
        s->request = NULL;
    }
    if (s->recv) {
        grpc_byte_buffer_destroy(s->recv);
        s->recv = NULL;
    }
    grpc_metadata_array_destroy(&s->initial_md);
    grpc_metadata_array_destroy(&s->trailing_md);
    grpc_slice_unref(s->details);
    s->details = grpc_empty_slice();
    if (s->error_string) {
        gpr_free((void *)s->error_string);
        s->error_string = NULL;
    }
}

static void stream_done(mo_sub *s);

/* Starts one batch of ops on the current call with `tag`, counted in pending.
 * The ops point into s (request, md, recv, status fields), which must stay put
 * until the tag is back; s does.
 * If gRPC refuses the batch, nothing was started and the tag never comes
 * back: the call is cancelled (GRPC-C-CORE.md 7.2: a failed batch leaves it
 * unusable), local_failure says why, and false is returned. The caller must
 * then run stream_done itself if pending is 0; otherwise the batches still
 * pending come back (cancelled) and the last one runs it. */
static bool start_batch(mo_sub *s, const grpc_op *ops, size_t n, mo_tag *tag)
{
    grpc_call_error e = grpc_call_start_batch(s->call, ops, n, tag, NULL);
    if (e != GRPC_CALL_OK) {
        /* a failed batch poisons the call (GRPC-C-CORE.md 7.2): end it */
        snprintf(s->local_failure, sizeof s->local_failure,
                 "could not start a call batch (grpc_call_error %d)", (int)e);
        grpc_call_cancel(s->call, NULL);
        return false;
    }
    s->pending++;
    return true;
}

/* Starts one Subscribe call, resuming where continuity says, with its three
 * batches (A: request and headers, B: status, C: one message).
 * Before: no call of s is in flight (call NULL, pending 0, the last stream's
 * release_call done), stop is not requested, the backoff timer is not armed.
 * Callers: mo_sub_start (IDLE) and on_backoff, nothing else.
 * After, one of:
 *  - all three batches started: pending 3, CONNECTING, idle watchdog armed;
 *    each tag comes back once through the loop (C once per message while
 *    on_recv re-arms it) and the last one back runs stream_done;
 *  - a batch refused after others started: the call is cancelled, the started
 *    batches come back and the last one runs stream_done;
 *  - nothing started (no call, no request, batch A refused): stream_done has
 *    already run, so s is in BACKOFF when this returns.
 * From here until stream_done's release_call, s owns the call, the request,
 * the metadata arrays, recv, details and error_string; s->md points into
 * s->cache and the connection's strings, which outlive the call. */
static void start_stream(mo_sub *s)
{
    mo_cont_resume_point(&s->cont, &s->resume_page, &s->resume_at);
    s->call = mo_conn_call(s->conn, mo_loop_cq(s->loop), MO_METHOD_SUBSCRIBE,
                           gpr_inf_future(GPR_CLOCK_REALTIME));
    s->request = mo_subscribe_request(s->cache, s->topic, s->resume_at, s->resume_page);
    grpc_metadata_array_init(&s->initial_md);
    grpc_metadata_array_init(&s->trailing_md);
    s->status = GRPC_STATUS_OK;
    s->local_failure[0] = '\0';
    s->pending = 0;
    s->stream_got_message = s->stream_got_item = s->idle_cancelled = false;
    s->stream_started_us = s->last_activity_us = mo_mono_us();
    s->state = MO_SUB_CONNECTING;

    size_t nmd = mo_conn_metadata(s->conn, s->cache, s->md);
    grpc_op a[4] = {mo_op(GRPC_OP_SEND_INITIAL_METADATA), mo_op(GRPC_OP_SEND_MESSAGE),
                    mo_op(GRPC_OP_SEND_CLOSE_FROM_CLIENT), mo_op(GRPC_OP_RECV_INITIAL_METADATA)};
    a[0].data.send_initial_metadata.count = nmd;
    a[0].data.send_initial_metadata.metadata = s->md;
    a[1].data.send_message.send_message = s->request;
    a[3].data.recv_initial_metadata.recv_initial_metadata = &s->initial_md;
    grpc_op b = mo_op(GRPC_OP_RECV_STATUS_ON_CLIENT);
    b.data.recv_status_on_client.trailing_metadata = &s->trailing_md;
    b.data.recv_status_on_client.status = &s->status;
    b.data.recv_status_on_client.status_details = &s->details;
    b.data.recv_status_on_client.error_string = &s->error_string;
    grpc_op c = mo_op(GRPC_OP_RECV_MESSAGE);
    c.data.recv_message.recv_message = &s->recv;

    if (!s->call || !s->request)
        snprintf(s->local_failure, sizeof s->local_failure, "could not create the call (out of memory?)");
    if (!s->call || !s->request || !start_batch(s, a, 4, &s->tag_start) ||
        !start_batch(s, &b, 1, &s->tag_status) || !start_batch(s, &c, 1, &s->tag_recv)) {
        if (s->pending == 0) {
            stream_done(s);
            return;
        }
    }
    mo_timer_start(s->loop, &s->idle_timer, s->set->idle_timeout_us);
}

void mo_sub_start(mo_sub *s)
{
    if (s->state == MO_SUB_IDLE)
        start_stream(s);
}

/* After: stop_requested, no resubscribe or watchdog timer armed. With a call
 * in flight it is cancelled; its tags come back and stream_done, seeing the
 * stop, calls owner->stopped instead of resubscribing. With none (IDLE or
 * BACKOFF) the done timer does it at once, from the loop, so the owner is never
 * called back from inside its own mo_sub_stop (it may be walking its list). */
void mo_sub_stop(mo_sub *s)
{
    if (s->stop_requested)
        return;
    s->stop_requested = true;
    mo_timer_stop(s->loop, &s->backoff_timer);
    mo_timer_stop(s->loop, &s->idle_timer);
    if (s->call) {
        s->state = MO_SUB_STOPPING;
        grpc_call_cancel(s->call, NULL);
    } else {
        /* nothing in flight: report it from the loop, not from inside the caller */
        s->state = MO_SUB_STOPPED;
        mo_timer_start(s->loop, &s->done_timer, 0);
    }
}

/* mo_sub_stop's report when no call was in flight. May free s. */
static void on_done(mo_timer *t)
{
    mo_sub *s = container_of(t, mo_sub, done_timer);
    s->owner.stopped(s->owner.ctx, s);
}

/* One of the call's tags is back and will not be re-armed; the last one ends
 * the stream. s may be freed on return (stream_done -> owner->stopped), so
 * every caller returns right after. */
static void tag_back(mo_sub *s)
{
    if (--s->pending == 0)
        stream_done(s);
}

/* Tag callbacks run from mo_loop_run, once per batch; s is alive because its
 * owner frees it only after owner->stopped, which waits for every tag. */
static void on_start(mo_tag *tag, bool ok)
{
    (void)ok; /* the outcome arrives with the status */
    tag_back(container_of(tag, mo_sub, tag_start));
}

static void on_status(mo_tag *tag, bool ok)
{
    (void)ok; /* RECV_STATUS_ON_CLIENT always completes with ok */
    tag_back(container_of(tag, mo_sub, tag_status));
}

/* ---- what the status means to an operator ---- */

static void error_event(mo_sub *s, enum mo_event_type type, const char *status, const char *details,
                        const char *hint)
{
    struct mo_event e;
    mo_event_init(&e, type, s->cache, s->topic);
    mo_event_str(&e, "status", status);
    mo_event_str(&e, "details", details);
    mo_event_str(&e, "hint", hint);
    mo_event_msg(&e, "%s/%s: %s (%s): %s", s->cache, s->topic, status, details, hint);
    mo_event_emit(&e);
}

static void classify(mo_sub *s, const char *details, const char *err)
{
    char hint[2048];
    const char *name = mo_status_name(s->status);
    switch (s->status) {
    case GRPC_STATUS_UNAUTHENTICATED:
    case GRPC_STATUS_PERMISSION_DENIED:
        snprintf(hint, sizeof hint,
                 "the service rejected the API key (%s); check that it is valid, not expired, and "
                 "allowed to subscribe to cache %.200s; the daemon keeps retrying",
                 s->set->key_source, s->cache);
        error_event(s, MO_EV_AUTH_ERROR, name, details, hint);
        break;
    case GRPC_STATUS_NOT_FOUND:
        snprintf(hint, sizeof hint,
                 "cache %.200s does not exist at %.200s; create it or fix the subscription in %.400s; the "
                 "daemon keeps retrying",
                 s->cache, s->set->target, s->set->config_path);
        error_event(s, MO_EV_NOT_FOUND, name, details, hint);
        break;
    case GRPC_STATUS_RESOURCE_EXHAUSTED:
        if (strcmp(err, "topic_subscriptions_limit_exceeded") == 0 || strstr(details, "subscribers"))
            snprintf(hint, sizeof hint,
                     "too many subscriptions for cache %.200s; remove subscriptions or ask Momento "
                     "to raise the limit; the daemon keeps retrying",
                     s->cache);
        else
            snprintf(hint, sizeof hint,
                     "a service limit was exceeded%s%s; the daemon keeps retrying with backoff",
                     *err ? ": " : "", err);
        error_event(s, MO_EV_LIMIT_EXCEEDED, name, details, hint);
        break;
    default:
        break;
    }
}

static uint64_t backoff_delay(mo_sub *s)
{
    const struct mo_sub_settings *cfg = s->set;
    uint64_t delay = cfg->backoff_initial_us;
    for (unsigned i = 1; i < s->attempt && delay < cfg->backoff_max_us; i++)
        delay *= 2;
    if (delay > cfg->backoff_max_us)
        delay = cfg->backoff_max_us;
    /* up to 20% less, so that many streams cut at once do not return at once */
    uint64_t jitter = delay / 5;
    if (jitter)
        delay -= (uint64_t)rand_r(&s->seed) % jitter;
    if (delay < cfg->backoff_initial_us)
        delay = cfg->backoff_initial_us;
    return delay;
}

/* The end of a stream, exactly once per start_stream: from tag_back (the last
 * tag), from on_recv (re-arming refused, nothing else pending) or from
 * start_stream (nothing could be started).
 * Before: no batch of the call is pending, so gRPC writes nothing more and the
 * status, details and trailers can be read, then freed (release_call).
 * After: the idle watchdog is stopped, and either
 *  - stop was requested: STOPPED and owner->stopped has run, which may have
 *    freed s: nothing touches s after this returns (every caller returns);
 *  - else: the status is explained (classify), `resubscribing` is logged and
 *    the backoff timer is armed (BACKOFF); on_backoff starts the next stream. */
static void stream_done(mo_sub *s)
{
    uint64_t now = mo_mono_us();
    mo_timer_stop(s->loop, &s->idle_timer);

    char details[512], err[128] = "";
    if (s->local_failure[0]) {
        s->status = GRPC_STATUS_INTERNAL;
        snprintf(details, sizeof details, "%s", s->local_failure);
    } else {
        size_t dl = GRPC_SLICE_LENGTH(s->details);
        if (dl >= sizeof details)
            dl = sizeof details - 1;
        memcpy(details, GRPC_SLICE_START_PTR(s->details), dl);
        details[dl] = '\0';
    }
    mo_md_copy(&s->trailing_md, "err", err, sizeof err);
    bool healthy = s->stream_got_item || now - s->stream_started_us >= HEALTHY_STREAM_US;
    release_call(s);

    if (s->stop_requested) {
        s->state = MO_SUB_STOPPED;
        s->owner.stopped(s->owner.ctx, s); /* may free s */
        return;
    }

    if (s->status == GRPC_STATUS_OK && !*details)
        snprintf(details, sizeof details, "the server ended the stream");
    classify(s, details, err);
    if (healthy)
        s->attempt = 0;
    s->attempt++;
    uint64_t delay = backoff_delay(s);

    struct mo_event e;
    mo_event_init(&e, MO_EV_RESUBSCRIBING, s->cache, s->topic);
    mo_event_str(&e, "status", mo_status_name(s->status));
    mo_event_str(&e, "details", details);
    mo_event_uint(&e, "delay_ms", delay / 1000);
    mo_event_uint(&e, "attempt", s->attempt);
    mo_event_msg(&e, "%s/%s: stream ended with %s (%s); resubscribing in %llu ms (attempt %u)",
                 s->cache, s->topic, mo_status_name(s->status), details,
                 (unsigned long long)(delay / 1000), s->attempt);
    mo_event_emit(&e);

    s->state = MO_SUB_BACKOFF;
    mo_timer_start(s->loop, &s->backoff_timer, delay);
}

/* The backoff delay is over (never armed once stop is requested). */
static void on_backoff(mo_timer *t)
{
    mo_sub *s = container_of(t, mo_sub, backoff_timer);
    s->stats.resubscribes++;
    start_stream(s);
}

/* The idle watchdog. start_stream arms it for idle_timeout; messages only move
 * last_activity_us (no timer work per message), so it is re-armed lazily here
 * until the stream has really been silent that long. Then the call is
 * cancelled with DEADLINE_EXCEEDED: on_recv stops re-arming (idle_cancelled),
 * the tags come back and stream_done resubscribes as after any other end.
 * stream_done and mo_sub_stop disarm it; with no call it does nothing. */
static void on_idle_timeout(mo_timer *t)
{
    mo_sub *s = container_of(t, mo_sub, idle_timer);
    uint64_t idle = s->set->idle_timeout_us;
    uint64_t now = mo_mono_us();
    if (!s->call)
        return;
    if (now - s->last_activity_us < idle) {
        /* traffic since the timer was armed: it is re-armed lazily, not per message */
        mo_timer_start_at(s->loop, &s->idle_timer, s->last_activity_us + idle);
        return;
    }
    uint64_t idle_ms = (now - s->last_activity_us) / 1000;
    struct mo_event e;
    mo_event_init(&e, MO_EV_IDLE_TIMEOUT, s->cache, s->topic);
    mo_event_uint(&e, "idle_ms", idle_ms);
    mo_event_msg(&e, "%s/%s: no message or heartbeat for %llu ms; resubscribing", s->cache,
                 s->topic, (unsigned long long)idle_ms);
    mo_event_emit(&e);
    s->idle_cancelled = true;
    char why[96];
    snprintf(why, sizeof why, "no message or heartbeat for %llu ms", (unsigned long long)idle_ms);
    grpc_call_cancel_with_status(s->call, GRPC_STATUS_DEADLINE_EXCEEDED, why, NULL);
}

/* ---- messages ---- */

/* Per-message warnings: the first warnings_per_interval of each kind in a
 * summary interval are logged, the others only counted (the summary's
 * counters are exact either way), as are those a slow output refuses. */
static void warning_emit(mo_sub *s, const struct mo_event *e)
{
    uint64_t *n = &s->warned[e->type == MO_EV_DECODE_ERROR ? 0
                             : e->type == MO_EV_GAP        ? 1
                             : e->type == MO_EV_RESET      ? 2
                                                           : 3];
    if (*n >= s->set->warnings_per_interval || mo_event_emit(e) < 0) {
        s->stats.warnings_dropped++;
        return;
    }
    (*n)++;
}

static void decode_error(mo_sub *s, uint64_t seq, const char *reason)
{
    s->stats.decode_errors++;
    mo_reasons_add(&s->stats.decode_reasons, reason, 1);
    struct mo_event e;
    mo_event_init(&e, MO_EV_DECODE_ERROR, s->cache, s->topic);
    mo_event_uint(&e, "seq", seq);
    mo_event_str(&e, "reason", reason);
    mo_event_msg(&e, "%s/%s: cannot read the publish time of message %llu: %s", s->cache,
                 s->topic, (unsigned long long)seq, reason);
    warning_emit(s, &e);
}

static void first_message(mo_sub *s)
{
    s->stream_got_message = true;
    s->state = MO_SUB_UP;
    struct mo_event e;
    mo_event_init(&e, MO_EV_SUBSCRIBED, s->cache, s->topic);
    mo_event_uint(&e, "resume_at", s->resume_at);
    mo_event_uint(&e, "page", s->resume_page);
    mo_event_uint(&e, "attempt", s->attempt);
    if (s->resume_at)
        mo_event_msg(&e, "Subscribed to %s/%s, resuming at %llu on page %llu", s->cache, s->topic,
                     (unsigned long long)s->resume_at, (unsigned long long)s->resume_page);
    else
        mo_event_msg(&e, "Subscribed to %s/%s (new messages)", s->cache, s->topic);
    mo_event_emit(&e);
    if (!s->ever_up) {
        s->ever_up = true;
        s->owner.up(s->owner.ctx, s);
    }
}

static void reset_event(mo_sub *s, uint64_t old_page, uint64_t new_page)
{
    s->stats.resets++;
    struct mo_event e;
    mo_event_init(&e, MO_EV_RESET, s->cache, s->topic);
    mo_event_uint(&e, "old_page", old_page);
    mo_event_uint(&e, "new_page", new_page);
    mo_event_msg(&e, "%s/%s: topic restarted on page %llu (was %llu); sequence numbers start over",
                 s->cache, s->topic, (unsigned long long)new_page, (unsigned long long)old_page);
    warning_emit(s, &e);
}

static void on_discontinuity(mo_sub *s, const struct mo_item *it)
{
    struct mo_cont_step st;
    mo_cont_discontinuity(&s->cont, it->new_page, it->new_seq, &st);
    s->stats.discontinuities++;
    struct mo_event e;
    mo_event_init(&e, MO_EV_DISCONTINUITY, s->cache, s->topic);
    mo_event_uint(&e, "last_seq", it->last_seq);
    mo_event_uint(&e, "new_seq", it->new_seq);
    mo_event_uint(&e, "new_page", it->new_page);
    mo_event_msg(&e, "%s/%s: the server skipped from %llu to %llu (page %llu); messages in between are lost",
                 s->cache, s->topic, (unsigned long long)it->last_seq,
                 (unsigned long long)it->new_seq, (unsigned long long)it->new_page);
    warning_emit(s, &e);
    if (st.page_changed)
        reset_event(s, st.old_page, st.new_page);
}

static void gap_event(mo_sub *s, const struct mo_cont_step *st, uint64_t got_seq)
{
    s->stats.gaps += st->missing;
    struct mo_event e;
    mo_event_init(&e, MO_EV_GAP, s->cache, s->topic);
    mo_event_uint(&e, "expected_seq", st->expected_seq);
    mo_event_uint(&e, "got_seq", got_seq);
    mo_event_uint(&e, "missing", st->missing);
    mo_event_msg(&e, "%s/%s: expected message %llu but got %llu; %llu missing", s->cache, s->topic,
                 (unsigned long long)st->expected_seq, (unsigned long long)got_seq,
                 (unsigned long long)st->missing);
    warning_emit(s, &e);
}

/* Counts and reports what the item means for continuity; returns false when
 * it is a duplicate and must be dropped. */
static bool continuity(mo_sub *s, const struct mo_item *it)
{
    struct mo_cont_step st;
    enum mo_cont_verdict v = mo_cont_item(&s->cont, it->page, it->seq, &st);
    switch (v) {
    case MO_CONT_DUPLICATE:
        s->stats.duplicates++;
        break;
    case MO_CONT_GAP:
        gap_event(s, &st, it->seq);
        break;
    case MO_CONT_RESET:
        reset_event(s, st.old_page, st.new_page);
        break;
    default:
        break;
    }
    return mo_cont_delivers(v);
}

static bool should_log(mo_sub *s, int64_t latency_us)
{
    const struct mo_sub_settings *cfg = s->set;
    switch (cfg->messages) {
    case MO_LOG_MESSAGES_ALL:
        return true;
    case MO_LOG_MESSAGES_NONE:
        return false;
    default:
        return ++s->sample_counter % cfg->sample_every == 0 ||
               (latency_us >= 0 && (uint64_t)latency_us >= cfg->slow_threshold_us);
    }
}

/* A message event, if the budget allows (last_activity_us is now: on_message
 * has just set it); what is not logged is counted. */
static void message_event(mo_sub *s, const struct mo_item *it, int64_t published_ns,
                          int64_t received_ns, int64_t latency_us)
{
    if (!mo_budget_take(s->set->message_budget, s->last_activity_us)) {
        s->stats.log_dropped++;
        return;
    }
    char pub[48], recv[48], pid[256], ms[32];
    mo_time_format_rfc3339(published_ns, 6, 0, pub, sizeof pub);
    mo_time_format_rfc3339(received_ns, 6, 0, recv, sizeof recv);
    struct mo_event e;
    mo_event_init(&e, MO_EV_MESSAGE, s->cache, s->topic);
    mo_event_uint(&e, "seq", it->seq);
    mo_event_uint(&e, "page", it->page);
    mo_event_str(&e, "kind", it->value_kind == MO_VALUE_BINARY ? "binary" : "text");
    mo_event_uint(&e, "bytes", it->value_len);
    if (it->publisher_id_len) {
        size_t n = it->publisher_id_len < sizeof pid ? it->publisher_id_len : sizeof pid - 1;
        memcpy(pid, it->publisher_id, n);
        pid[n] = '\0';
        mo_event_str(&e, "publisher_id", pid);
    }
    mo_event_str(&e, "published_at", pub);
    mo_event_str(&e, "received_at", recv);
    mo_event_int(&e, "latency_us", latency_us);
    mo_event_msg(&e, "%s/%s #%llu: %s ms", s->cache, s->topic, (unsigned long long)it->seq,
                 mo_fmt_ms(latency_us, ms, sizeof ms));
    if (mo_event_emit(&e) < 0)
        s->stats.log_dropped++;
}

static void on_item(mo_sub *s, const struct mo_item *it, int64_t received_ns)
{
    s->stream_got_item = true;
    if (!continuity(s, it))
        return;
    s->stats.count++;
    s->delivered++;

    char reason[MO_DECODE_REASON_MAX];
    int64_t published_ns, diff;
    if (it->value_kind == MO_VALUE_NONE) {
        decode_error(s, it->seq, "the item carries no value");
        return;
    }
    if (mo_decode_timestamp(&s->dec, it->value, it->value_len, &published_ns, reason, sizeof reason) < 0) {
        decode_error(s, it->seq, reason);
        return;
    }
    if (__builtin_sub_overflow(received_ns, published_ns, &diff) || diff == INT64_MIN) {
        decode_error(s, it->seq, "timestamp out of range");
        return;
    }
    /* floor, so that -1 ns is -1 us and counted negative, not rounded to 0 */
    int64_t latency_us = diff >= 0 ? diff / 1000 : -((-diff + 999) / 1000);
    mo_hist_record(s->stats.hist, latency_us);
    if (should_log(s, latency_us))
        message_event(s, it, published_ns, received_ns, latency_us);
}

static void on_message(mo_sub *s, grpc_byte_buffer *bb, int64_t received_ns)
{
    s->last_activity_us = mo_mono_us();
    grpc_slice data;
    if (!mo_bb_read(bb, &data)) {
        if (!s->stream_got_message)
            first_message(s);
        decode_error(s, 0, "unreadable gRPC message (bad compression?)");
        return;
    }
    struct mo_item it;
    int r = mo_item_decode(GRPC_SLICE_START_PTR(data), GRPC_SLICE_LENGTH(data), &it);
    if (!s->stream_got_message)
        first_message(s);
    if (r < 0) {
        char reason[96];
        snprintf(reason, sizeof reason, "malformed _SubscriptionItem (%zu bytes)",
                 (size_t)GRPC_SLICE_LENGTH(data));
        decode_error(s, 0, reason);
    } else {
        switch (it.kind) {
        case MO_ITEM_HEARTBEAT:
            break;
        case MO_ITEM_MESSAGE:
            on_item(s, &it, received_ns);
            break;
        case MO_ITEM_DISCONTINUITY:
            on_discontinuity(s, &it);
            break;
        default:
            decode_error(s, 0, "subscription item with no kind (neither item, discontinuity nor heartbeat)");
        }
    }
    grpc_slice_unref(data);
}

/* Batch C is back. Without a message (!ok or no buffer) the receiving side is
 * over: the tag is back for good and the status (batch B) says why. With one,
 * the buffer is ours: it is taken out of s->recv first (so release_call cannot
 * destroy it again) and destroyed after on_message. Then RECV_MESSAGE is
 * re-armed with the same tag, so pending does not change, unless the stream
 * is being cancelled (stop, idle watchdog); if gRPC refuses, the call is
 * cancelled and the stream ends once the other tags are back, or at once if
 * none is pending. s may be freed on return. */
static void on_recv(mo_tag *tag, bool ok)
{
    /* the receive time is taken first, before anything else happens */
    int64_t received_ns = mo_real_ns();
    mo_sub *s = container_of(tag, mo_sub, tag_recv);
    if (!ok || !s->recv) {
        tag_back(s); /* end of stream: the status tells why */
        return;
    }
    grpc_byte_buffer *bb = s->recv;
    s->recv = NULL;
    on_message(s, bb, received_ns);
    grpc_byte_buffer_destroy(bb);
    if (s->stop_requested || s->idle_cancelled) {
        tag_back(s);
        return;
    }
    grpc_op c = mo_op(GRPC_OP_RECV_MESSAGE);
    c.data.recv_message.recv_message = &s->recv;
    s->pending--; /* start_batch counts it again */
    if (!start_batch(s, &c, 1, &s->tag_recv) && s->pending == 0)
        stream_done(s);
}
