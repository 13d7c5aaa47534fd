/* sub.c - one subscription: a Subscribe stream per (cache, topic), kept alive.
 *
 * States: IDLE -> CONNECTING (call started) -> UP (first server message) ->
 * BACKOFF (stream ended) -> CONNECTING ... ; STOPPING -> STOPPED on cancel.
 * A stream holds three batches (GRPC-C-CORE.md section 3): A sends the request
 * and receives the headers, B waits for the status, C receives one message at
 * a time and is re-armed after each. The stream is over when all three tags are
 * back; only then is the call released and the next step decided.
 *
 * Continuity (SPEC.md): the last (page, seq) is kept; a resubscribe asks for
 * last + 1 on the last page; items at or below it are dropped as duplicates,
 * holes on the same page are gaps, a new page is a reset.
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
#include "daemon.h"
#include "event.h"
#include "pubsub.h"
#include "rpc.h"
#include "timefmt.h"
#include "util.h"

/* A stream that lived this long counts as healthy even without items, so the
 * next resubscribe starts again from the initial backoff. */
#define HEALTHY_STREAM_US (10 * MO_USEC_PER_SEC)

struct mo_sub {
    struct mo_daemon *d;
    char *cache, *topic;
    char *field; /* the decoder's dotted path points into this copy */
    struct mo_decoder dec;
    size_t conn_index;
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

    /* continuity */
    bool have_pos;
    uint64_t last_seq, last_page;

    /* reconnect */
    unsigned attempt; /* resubscribes since the last healthy stream */
    unsigned seed;
    mo_timer backoff_timer, idle_timer, done_timer;
    uint64_t last_activity_us;

    struct mo_stats stats;
    uint64_t sample_counter;
};

static void on_start(mo_tag *tag, bool ok);
static void on_status(mo_tag *tag, bool ok);
static void on_recv(mo_tag *tag, bool ok);
static void on_backoff(mo_timer *t);
static void on_idle(mo_timer *t);
static void on_done(mo_timer *t);

const char *mo_sub_cache(const mo_sub *s) { return s->cache; }
const char *mo_sub_topic(const mo_sub *s) { return s->topic; }
size_t mo_sub_conn_index(const mo_sub *s) { return s->conn_index; }
enum mo_sub_state mo_sub_state(const mo_sub *s) { return s->state; }
bool mo_sub_ever_up(const mo_sub *s) { return s->ever_up; }
struct mo_stats *mo_sub_stats(mo_sub *s) { return &s->stats; }

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

int mo_sub_new(struct mo_daemon *d, const struct mo_sub_config *sc, size_t conn_index, mo_sub **ret)
{
    mo_sub *s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    s->d = d;
    s->conn_index = conn_index;
    s->cache = strdup(sc->cache);
    s->topic = strdup(sc->topic);
    s->details = grpc_empty_slice();
    s->seed = (unsigned)mo_mono_us() ^ (unsigned)(uintptr_t)s;
    s->tag_start.fn = on_start;
    s->tag_status.fn = on_status;
    s->tag_recv.fn = on_recv;
    mo_timer_init(&s->backoff_timer, on_backoff);
    mo_timer_init(&s->idle_timer, on_idle);
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

void mo_sub_free(mo_sub *s)
{
    if (!s)
        return;
    if (s->d && s->d->loop) {
        mo_timer_stop(s->d->loop, &s->backoff_timer);
        mo_timer_stop(s->d->loop, &s->idle_timer);
        mo_timer_stop(s->d->loop, &s->done_timer);
    }
    free(s->cache);
    free(s->topic);
    free(s->field);
    mo_stats_clear(&s->stats);
    free(s);
}

/* ---- the stream ---- */

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

static void start_stream(mo_sub *s)
{
    struct mo_daemon *d = s->d;
    mo_conn *conn = d->conns[s->conn_index].conn;

    s->resume_at = s->have_pos ? s->last_seq + 1 : 0;
    s->resume_page = s->have_pos ? s->last_page : 0;
    s->call = mo_conn_call(conn, mo_loop_cq(d->loop), MO_METHOD_SUBSCRIBE,
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

    size_t nmd = mo_conn_metadata(conn, s->cache, s->md);
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
    mo_timer_start(d->loop, &s->idle_timer, d->cfg->idle_timeout_us);
}

void mo_sub_start(mo_sub *s)
{
    if (s->state == MO_SUB_IDLE)
        start_stream(s);
}

void mo_sub_stop(mo_sub *s)
{
    if (s->stop_requested)
        return;
    s->stop_requested = true;
    mo_timer_stop(s->d->loop, &s->backoff_timer);
    mo_timer_stop(s->d->loop, &s->idle_timer);
    if (s->call) {
        s->state = MO_SUB_STOPPING;
        grpc_call_cancel(s->call, NULL);
    } else {
        /* nothing in flight: report it from the loop, not from inside the caller */
        s->state = MO_SUB_STOPPED;
        mo_timer_start(s->d->loop, &s->done_timer, 0);
    }
}

static void on_done(mo_timer *t)
{
    mo_sub *s = container_of(t, mo_sub, done_timer);
    s->d->on_sub_stopped(s->d, s);
}

static void tag_back(mo_sub *s)
{
    if (--s->pending == 0)
        stream_done(s);
}

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
                 s->d->creds.source, s->cache);
        error_event(s, MO_EV_AUTH_ERROR, name, details, hint);
        break;
    case GRPC_STATUS_NOT_FOUND:
        snprintf(hint, sizeof hint,
                 "cache %.200s does not exist at %.200s; create it or fix the subscription in %.400s; the "
                 "daemon keeps retrying",
                 s->cache, s->d->endpoint.target, s->d->cfg->path);
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
    const struct mo_config *cfg = s->d->cfg;
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

static void stream_done(mo_sub *s)
{
    struct mo_daemon *d = s->d;
    uint64_t now = mo_mono_us();
    mo_timer_stop(d->loop, &s->idle_timer);

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
        d->on_sub_stopped(d, s);
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
    mo_timer_start(d->loop, &s->backoff_timer, delay);
}

static void on_backoff(mo_timer *t)
{
    mo_sub *s = container_of(t, mo_sub, backoff_timer);
    s->stats.reconnects++;
    start_stream(s);
}

static void on_idle(mo_timer *t)
{
    mo_sub *s = container_of(t, mo_sub, idle_timer);
    uint64_t idle = s->d->cfg->idle_timeout_us;
    uint64_t now = mo_mono_us();
    if (!s->call)
        return;
    if (now - s->last_activity_us < idle) {
        /* traffic since the timer was armed: it is re-armed lazily, not per message */
        mo_timer_start_at(s->d->loop, &s->idle_timer, s->last_activity_us + idle);
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

static void decode_error(mo_sub *s, uint64_t seq, const char *reason)
{
    s->stats.decode_errors++;
    struct mo_event e;
    mo_event_init(&e, MO_EV_DECODE_ERROR, s->cache, s->topic);
    mo_event_uint(&e, "seq", seq);
    mo_event_str(&e, "reason", reason);
    mo_event_msg(&e, "%s/%s: cannot read the publish time of message %llu: %s", s->cache,
                 s->topic, (unsigned long long)seq, reason);
    mo_event_emit(&e);
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
        s->d->on_sub_up(s->d, s);
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
    mo_event_emit(&e);
}

static void on_discontinuity(mo_sub *s, const struct mo_item *it)
{
    s->stats.discontinuities++;
    struct mo_event e;
    mo_event_init(&e, MO_EV_DISCONTINUITY, s->cache, s->topic);
    mo_event_uint(&e, "last_seq", it->last_seq);
    mo_event_uint(&e, "new_seq", it->new_seq);
    mo_event_uint(&e, "new_page", it->new_page);
    mo_event_msg(&e, "%s/%s: the server skipped from %llu to %llu (page %llu); messages in between are lost",
                 s->cache, s->topic, (unsigned long long)it->last_seq,
                 (unsigned long long)it->new_seq, (unsigned long long)it->new_page);
    mo_event_emit(&e);
    if (s->have_pos && it->new_page && it->new_page != s->last_page)
        reset_event(s, s->last_page, it->new_page);
    /* items resume after new_seq */
    s->last_seq = it->new_seq;
    if (it->new_page)
        s->last_page = it->new_page;
    s->have_pos = true;
}

/* Returns false when the item is a duplicate and must be dropped. */
static bool continuity(mo_sub *s, const struct mo_item *it)
{
    if (s->have_pos) {
        if (it->page != s->last_page) {
            reset_event(s, s->last_page, it->page);
        } else if (it->seq <= s->last_seq) {
            s->stats.duplicates++;
            return false;
        } else if (it->seq > s->last_seq + 1) {
            uint64_t missing = it->seq - s->last_seq - 1;
            s->stats.gaps += missing;
            struct mo_event e;
            mo_event_init(&e, MO_EV_GAP, s->cache, s->topic);
            mo_event_uint(&e, "expected_seq", s->last_seq + 1);
            mo_event_uint(&e, "got_seq", it->seq);
            mo_event_uint(&e, "missing", missing);
            mo_event_msg(&e, "%s/%s: expected message %llu but got %llu; %llu missing", s->cache,
                         s->topic, (unsigned long long)(s->last_seq + 1),
                         (unsigned long long)it->seq, (unsigned long long)missing);
            mo_event_emit(&e);
        }
    }
    s->have_pos = true;
    s->last_seq = it->seq;
    s->last_page = it->page;
    return true;
}

static bool should_log(mo_sub *s, int64_t latency_us)
{
    const struct mo_config *cfg = s->d->cfg;
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

static void message_event(mo_sub *s, const struct mo_item *it, int64_t published_ns,
                          int64_t received_ns, int64_t latency_us)
{
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
    mo_event_emit(&e);
}

static void on_item(mo_sub *s, const struct mo_item *it, int64_t received_ns)
{
    s->stream_got_item = true;
    if (!continuity(s, it))
        return;
    s->stats.count++;
    s->d->messages_total++;

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
