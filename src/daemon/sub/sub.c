/* sub.c - one subscription (sub.h).
 *
 * A stream is one call of three batches (subcall.h: A sends the request and
 * receives the headers, B waits for the status, C receives one message at a
 * time and is re-armed after each). gRPC writes into the call's buffers until
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

#include "sub/backoff.h"
#include "cleanup.h"
#include "clock.h"
#include "sub/continuity.h"
#include "sub/ending.h"
#include "log/event.h"
#include "latency/pubfloor.h"
#include "pubsub.h"
#include "rpc.h"
#include "secret.h"
#include "sub/sub.h"
#include "sub/subcall.h"
#include "sub/sublog.h"
#include "util.h"

/* A stream that lived this long counts as healthy even without items, so it
 * is resubscribed at once and the backoff starts over. */
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
    bool moving; /* stopped to start again on another connection (mo_sub_set_moving) */
    bool ever_up;

    struct mo_subcall rpc; /* the current call */
    uint64_t stream_started_us;
    bool stream_got_message, stream_got_item, idle_cancelled;
    uint64_t stream_items; /* items received, duplicates included */
    uint64_t delivered_before; /* `delivered` when the stream started */
    /* how the server answered a resume (resumed: this stream asked for a
     * position), known at its first item or discontinuity (answered) */
    bool resumed, answered;
    enum mo_cont_resume resume_outcome;
    uint64_t first_seq; /* the first item's number, when an item came */
    uint64_t resume_at, resume_page; /* what this stream asked for */

    struct mo_cont cont;

    /* reconnect */
    unsigned failures; /* consecutive streams that ended without being healthy */
    unsigned seed;
    mo_timer backoff_timer, idle_timer, done_timer;
    uint64_t last_activity_us;

    struct mo_stats stats;
    uint64_t warned[MO_SUBLOG_WARNINGS]; /* per-message warnings logged this interval, by kind */
    mo_pubfloor *floor; /* per-publisher floors; made at the first publisher_id */
    uint64_t delivered; /* since mo_sub_new, for the owner's rates */
    uint64_t sample_counter;
};

static void on_start(mo_tag *tag, bool ok);
static void on_status(mo_tag *tag, bool ok);
static void on_recv(mo_tag *tag, bool ok);
static void on_backoff(mo_timer *t);
static void discontinuity_event(mo_sub *s, const struct mo_cont_step *st, bool known, uint64_t next_seq);
static bool continuity(mo_sub *s, uint64_t page, uint64_t seq);
static void skip_oversized(mo_sub *s, const char *details);
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
    /* a silence still going on counts up to now */
    if (s->rpc.call && s->stream_got_message && now_us - s->last_activity_us > s->stats.max_silence_us &&
        now_us > s->last_activity_us)
        s->stats.max_silence_us = now_us - s->last_activity_us;
    mo_stats_end_interval(&s->stats, s->cache, s->topic, now_us, clk, add_to);
    memset(s->warned, 0, sizeof s->warned);
    if (s->floor) {
        struct mo_pubfloor_row rows[MO_PUBFLOOR_ROWS + 1];
        mo_pubfloor_emit(s->cache, s->topic, rows, mo_pubfloor_end(s->floor, rows));
    }
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
    mo_subcall_init(&s->rpc);
    mo_cont_init(&s->cont);
    s->seed = (unsigned)mo_mono_us() ^ (unsigned)(uintptr_t)s;
    s->rpc.tag_start.fn = on_start;
    s->rpc.tag_status.fn = on_status;
    s->rpc.tag_recv.fn = on_recv;
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
    mo_pubfloor_free(s->floor);
    free(s);
}

/* ---- the stream ---- */

static void stream_done(mo_sub *s);

/* Starts one Subscribe call, resuming where continuity says, with its three
 * batches (A: request and headers, B: status, C: one message).
 * Before: no call of s is in flight (call NULL, pending 0, the last stream's
 * mo_subcall_release done), stop is not requested, the backoff timer is not armed.
 * Callers: mo_sub_start (IDLE) and on_backoff, nothing else.
 * After, one of:
 *  - all three batches started: pending 3, CONNECTING, idle watchdog armed;
 *    each tag comes back once through the loop (C once per message while
 *    on_recv re-arms it) and the last one back runs stream_done;
 *  - a batch refused after others started: the call is cancelled, the started
 *    batches come back and the last one runs stream_done;
 *  - nothing started (no call, no request, batch A refused): stream_done has
 *    already run, so s is in BACKOFF when this returns.
 * From here until stream_done's mo_subcall_release, s->rpc owns the call and
 * its buffers (subcall.h). */
static void start_stream(mo_sub *s)
{
    s->resumed = mo_cont_resume_point(&s->cont, &s->resume_page, &s->resume_at);
    s->stream_got_message = s->stream_got_item = s->idle_cancelled = s->answered = false;
    s->stream_items = 0;
    s->delivered_before = s->delivered;
    s->stream_started_us = s->last_activity_us = mo_mono_us();
    s->state = MO_SUB_CONNECTING;
    if (!mo_subcall_open(&s->rpc, s->conn, mo_loop_cq(s->loop), s->cache, s->topic, s->resume_at,
                         s->resume_page)) {
        stream_done(s);
        return;
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
    if (s->rpc.call) {
        s->state = MO_SUB_STOPPING;
        grpc_call_cancel(s->rpc.call, NULL);
    } else {
        /* nothing in flight: report it from the loop, not from inside the caller */
        s->state = MO_SUB_STOPPED;
        mo_timer_start(s->loop, &s->done_timer, 0);
    }
}

/* The subscription is over: a discontinuity no item followed is reported
 * now (how many it lost cannot be known), then the owner is told. May free s. */
static void stopped(mo_sub *s)
{
    struct mo_cont_step st;
    if (!s->moving && mo_cont_pending(&s->cont, &st))
        discontinuity_event(s, &st, false, 0);
    s->owner.stopped(s->owner.ctx, s);
}

/* mo_sub_stop's report when no call was in flight. May free s. */
static void on_done(mo_timer *t)
{
    stopped(container_of(t, mo_sub, done_timer));
}

/* One of the call's tags is back and will not be re-armed; the last one ends
 * the stream. s may be freed on return (stream_done -> owner->stopped), so
 * every caller returns right after. */
static void tag_back(mo_sub *s)
{
    if (--s->rpc.pending == 0)
        stream_done(s);
}

/* Tag callbacks run from mo_loop_run, once per batch; s is alive because its
 * owner frees it only after owner->stopped, which waits for every tag. */
static void on_start(mo_tag *tag, bool ok)
{
    (void)ok; /* the outcome arrives with the status */
    tag_back(container_of(tag, mo_sub, rpc.tag_start));
}

static void on_status(mo_tag *tag, bool ok)
{
    (void)ok; /* RECV_STATUS_ON_CLIENT always completes with ok */
    tag_back(container_of(tag, mo_sub, rpc.tag_status));
}

/* ---- what the status means to an operator ---- */

/* A refusal the operator must act on gets its error event (ending.h). */
static void explain(mo_sub *s, const char *details, const char *err)
{
    char hint[2048];
    enum mo_event_type type;
    const struct mo_ending_names names = {.cache = s->cache, .key_source = s->set->key_source,
                                          .target = s->set->target, .config_path = s->set->config_path};
    if (mo_ending_explain(s->rpc.status, details, err, &names, &type, hint, sizeof hint))
        mo_sublog_refusal(type, s->cache, s->topic, mo_status_name(s->rpc.status), details, hint);
}

/* The end of a stream, exactly once per start_stream: from tag_back (the last
 * tag), from on_recv (re-arming refused, nothing else pending) or from
 * start_stream (nothing could be started).
 * Before: no batch of the call is pending, so gRPC writes nothing more and the
 * status, details and trailers can be read, then freed (mo_subcall_release).
 * After: the idle watchdog is stopped, and either
 *  - stop was requested: STOPPED and owner->stopped has run, which may have
 *    freed s: nothing touches s after this returns (every caller returns);
 *  - else: the status is explained (explain), `resubscribing` is logged and
 *    the backoff timer is armed (BACKOFF); on_backoff starts the next stream. */
static void stream_done(mo_sub *s)
{
    uint64_t now = mo_mono_us();
    mo_timer_stop(s->loop, &s->idle_timer);

    char details[512], err[128] = "";
    if (s->rpc.local_failure[0]) {
        s->rpc.status = GRPC_STATUS_INTERNAL;
        snprintf(details, sizeof details, "%s", s->rpc.local_failure);
    } else { /* what a server sends can hold anything, a key included (secret.h) */
        mo_secret_scrub((const char *)GRPC_SLICE_START_PTR(s->rpc.details),
                        GRPC_SLICE_LENGTH(s->rpc.details), details, sizeof details);
    }
    mo_md_copy(&s->rpc.trailing_md, "err", err, sizeof err);
    mo_subcall_release(&s->rpc);
    /* the server's last silence on this stream: up to its end */
    if (s->stream_got_message && now - s->last_activity_us > s->stats.max_silence_us)
        s->stats.max_silence_us = now - s->last_activity_us;
    /* a failure of ours is INTERNAL with our words: an error */
    enum mo_ending end = mo_ending_classify(s->rpc.status, details, s->stop_requested, s->idle_cancelled);
    s->stats.ends[end]++;

    if (s->stop_requested) {
        s->state = MO_SUB_STOPPED;
        stopped(s); /* may free s */
        return;
    }

    if (s->rpc.status == GRPC_STATUS_OK && !*details)
        snprintf(details, sizeof details, "the server ended the stream");
    if (end == MO_END_OVERSIZED)
        skip_oversized(s, details);
    else
        explain(s, details, err);
    /* healthy: it delivered (duplicates alone are no progress), or got past
     * a message too large, or lived long enough: resubscribe at once
     * (src/proto/README.md §7.1); backoff is for consecutive failures only */
    bool healthy = s->delivered != s->delivered_before || end == MO_END_OVERSIZED ||
                   now - s->stream_started_us >= HEALTHY_STREAM_US;
    s->failures = healthy ? 0 : s->failures + 1;
    uint64_t delay = mo_backoff_delay(s->set->backoff_initial_us, s->set->backoff_max_us, s->failures,
                                      (uint64_t)rand_r(&s->seed));
    const struct mo_sublog_end x = {
        .status = mo_status_name(s->rpc.status), .details = details, .end = end,
        .lifetime_us = now - s->stream_started_us, .items = s->stream_items,
        .resumed = s->resumed, .resume_at = s->resume_at,
        .answered = s->answered, .outcome = s->resume_outcome,
        .got_item = s->stream_got_item, .first_seq = s->first_seq,
        .delay_us = delay, .attempt = s->failures + 1};
    mo_sublog_resubscribing(s->cache, s->topic, &x);
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
    if (!s->rpc.call)
        return;
    if (now - s->last_activity_us < idle) {
        /* traffic since the timer was armed: it is re-armed lazily, not per message */
        mo_timer_start_at(s->loop, &s->idle_timer, s->last_activity_us + idle);
        return;
    }
    uint64_t idle_ms = (now - s->last_activity_us) / 1000;
    mo_sublog_idle_timeout(s->cache, s->topic, idle_ms);
    s->idle_cancelled = true;
    char why[96];
    snprintf(why, sizeof why, "no message or heartbeat for %llu ms", (unsigned long long)idle_ms);
    grpc_call_cancel_with_status(s->rpc.call, GRPC_STATUS_DEADLINE_EXCEEDED, why, NULL);
}

/* ---- messages ---- */

/* Per-message warnings (decode_error, protocol_error, gap, reset, discontinuity): the first
 * warnings_per_interval of each kind in a summary interval are logged, the
 * others only counted in warnings_dropped (the summary's counters are exact
 * either way), as are those a slow output refuses. */
static bool warning_allowed(mo_sub *s, enum mo_sublog_warning k)
{
    if (s->warned[k] < s->set->warnings_per_interval)
        return true;
    s->stats.warnings_dropped++;
    return false;
}

static void warning_logged(mo_sub *s, enum mo_sublog_warning k, int emitted)
{
    if (emitted < 0)
        s->stats.warnings_dropped++;
    else
        s->warned[k]++;
}

/* A delivered message whose payload gives no latency: the publisher's doing. */
static void decode_error(mo_sub *s, uint64_t seq, const char *reason)
{
    s->stats.decode_errors++;
    mo_reasons_add(&s->stats.decode_reasons, reason, 1);
    if (warning_allowed(s, MO_SUBLOG_DECODE_ERROR))
        warning_logged(s, MO_SUBLOG_DECODE_ERROR, mo_sublog_decode_error(s->cache, s->topic, seq, reason));
}

/* A server message the wire format does not allow: the service's doing, not a message. */
static void protocol_error(mo_sub *s, const char *reason)
{
    s->stats.protocol_errors++;
    mo_reasons_add(&s->stats.protocol_reasons, reason, 1);
    if (warning_allowed(s, MO_SUBLOG_PROTOCOL_ERROR))
        warning_logged(s, MO_SUBLOG_PROTOCOL_ERROR, mo_sublog_protocol_error(s->cache, s->topic, reason));
}

static void first_message(mo_sub *s)
{
    s->stream_got_message = true;
    s->state = MO_SUB_UP;
    mo_sublog_subscribed(s->cache, s->topic, s->resume_at, s->resume_page, s->failures + 1);
    if (!s->ever_up) {
        s->ever_up = true;
        s->owner.up(s->owner.ctx, s);
    }
}

/* The first item or discontinuity of a resumed stream: how the server
 * answered what was asked (src/proto/README.md §4), counted. */
static void answered(mo_sub *s, bool disc, uint64_t page, uint64_t seq)
{
    uint64_t k;
    s->answered = true;
    s->resume_outcome = mo_cont_resume_outcome(s->resume_page, s->resume_at, disc, page, seq, &k);
    s->stats.resumes[s->resume_outcome]++;
}

/* A discontinuity is counted when it comes and reported with its loss at the
 * first item after it (continuity.h), by discontinuity_event. */
static void on_discontinuity(mo_sub *s, const struct mo_item *it)
{
    struct mo_cont_step st;
    if (s->resumed && !s->answered)
        answered(s, true, 0, 0);
    switch (mo_cont_discontinuity(&s->cont, it->last_seq, it->new_page, it->new_seq, &st)) {
    case MO_CONT_ANNOUNCE:
        /* a fresh stream learns its topic's page (src/proto/README.md §6.1): information */
        mo_sublog_page_announced(s->cache, s->topic, it->new_page, it->new_seq);
        break;
    case MO_CONT_DISCONTINUITY:
        s->stats.discontinuities++;
        break;
    default: /* the pending one again: already counted */
        break;
    }
}

/* The loss of discontinuities, known at the item after them (known, numbered
 * next_seq), or not known at all (a subscription that stops first). */
static void discontinuity_event(mo_sub *s, const struct mo_cont_step *st, bool known, uint64_t next_seq)
{
    s->stats.lost += st->lost;
    if (warning_allowed(s, MO_SUBLOG_DISCONTINUITY))
        warning_logged(s, MO_SUBLOG_DISCONTINUITY,
                       mo_sublog_discontinuity(s->cache, s->topic, st, known, next_seq));
}

/* Counts and reports what an item numbered (page, seq) means for
 * continuity; returns false when it is a duplicate and must be dropped. */
static bool continuity(mo_sub *s, uint64_t page, uint64_t seq)
{
    struct mo_cont_step st;
    enum mo_cont_verdict v = mo_cont_item(&s->cont, page, seq, &st);
    if (__builtin_expect(st.discontinuities != 0, 0))
        discontinuity_event(s, &st, true, seq);
    switch (v) {
    case MO_CONT_DUPLICATE:
        s->stats.duplicates++;
        break;
    case MO_CONT_GAP:
        s->stats.gaps += st.missing;
        if (warning_allowed(s, MO_SUBLOG_GAP))
            warning_logged(s, MO_SUBLOG_GAP, mo_sublog_gap(s->cache, s->topic, &st, seq));
        break;
    case MO_CONT_RESET:
        s->stats.resets++;
        if (warning_allowed(s, MO_SUBLOG_RESET))
            warning_logged(s, MO_SUBLOG_RESET, mo_sublog_reset(s->cache, s->topic, st.old_page, st.new_page));
        break;
    default:
        break;
    }
    return mo_cont_delivers(v);
}

/* A message over the receive limit ended the stream: it takes the number due
 * (the next one, or the lower reading after a discontinuity), so the next
 * stream resumes past it, and it is reported. With no position the next
 * stream asks for new messages, which skips it too. */
static void skip_oversized(mo_sub *s, const char *details)
{
    uint64_t page, seq, size, limit;
    bool known = mo_cont_resume_point(&s->cont, &page, &seq);
    if (known)
        (void)continuity(s, page, seq);
    bool sized = mo_ending_oversize(details, &size, &limit);
    mo_sublog_oversized(s->cache, s->topic, known, page, seq, sized, size, limit);
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

/* The first item of a stream. */
static void first_item(mo_sub *s, const struct mo_item *it)
{
    s->stream_got_item = true;
    s->first_seq = it->seq;
    if (s->resumed && !s->answered)
        answered(s, false, it->page, it->seq);
}

static void on_item(mo_sub *s, const struct mo_item *it, int64_t received_ns)
{
    if (__builtin_expect(!s->stream_got_item, 0))
        first_item(s, it);
    s->stream_items++;
    if (!continuity(s, it->page, it->seq))
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
    if (it->publisher_id_len && (s->floor || mo_pubfloor_new(&s->floor) == 0))
        mo_pubfloor_record(s->floor, it->publisher_id, it->publisher_id_len, latency_us);
    /* a message event if the budget allows (last_activity_us is now: on_message
     * has just set it); what is not logged is counted */
    if (should_log(s, latency_us) &&
        (!mo_budget_take(s->set->message_budget, s->last_activity_us) ||
         mo_sublog_message(s->cache, s->topic, it, published_ns, received_ns, latency_us) < 0))
        s->stats.log_dropped++;
}

static void on_message(mo_sub *s, grpc_byte_buffer *bb, int64_t received_ns)
{
    uint64_t now = mo_mono_us();
    /* silence between server messages (from the first: not the call's set-up) */
    if (s->stream_got_message && now - s->last_activity_us > s->stats.max_silence_us)
        s->stats.max_silence_us = now - s->last_activity_us;
    s->last_activity_us = now;
    grpc_slice data;
    if (!mo_bb_read(bb, &data)) {
        if (!s->stream_got_message)
            first_message(s);
        protocol_error(s, "unreadable gRPC message (bad compression?)");
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
        protocol_error(s, reason);
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
            protocol_error(s, "subscription item with no kind (neither item, discontinuity nor heartbeat)");
        }
    }
    grpc_slice_unref(data);
}

/* Batch C is back. Without a message (!ok or no buffer) the receiving side is
 * over: the tag is back for good and the status (batch B) says why. With one,
 * the buffer is ours: it is taken out of s->rpc.recv first (so mo_subcall_release
 * cannot destroy it again) and destroyed after on_message. Then RECV_MESSAGE is
 * re-armed with the same tag, so pending does not change, unless the stream
 * is being cancelled (stop, idle watchdog); if gRPC refuses, the call is
 * cancelled and the stream ends once the other tags are back, or at once if
 * none is pending. s may be freed on return. */
static void on_recv(mo_tag *tag, bool ok)
{
    /* the receive time is taken first, before anything else happens */
    int64_t received_ns = mo_real_ns();
    mo_sub *s = container_of(tag, mo_sub, rpc.tag_recv);
    if (!ok || !s->rpc.recv) {
        tag_back(s); /* end of stream: the status tells why */
        return;
    }
    grpc_byte_buffer *bb = s->rpc.recv;
    s->rpc.recv = NULL;
    on_message(s, bb, received_ns);
    grpc_byte_buffer_destroy(bb);
    if (s->stop_requested || s->idle_cancelled) {
        tag_back(s);
        return;
    }
    if (!mo_subcall_rearm(&s->rpc) && s->rpc.pending == 0)
        stream_done(s);
}

/* ---- positions across restarts and connections (sub.h) ----
 * Apart from the stream machinery above. The owner reads positions when it
 * saves them (once a second at most), so the message path does no more than
 * it did; it gives a saved one before the first start, and moves a stopped
 * subscription to another connection (new credentials or endpoint). */

bool mo_sub_position(const mo_sub *s, uint64_t *ret_page, uint64_t *ret_last)
{
    /* The position itself (the last item delivered), not the resume point:
     * with a discontinuity pending (no item after it yet), the resume point
     * is a guess between two readings of new_topic_sequence, and a restart
     * that took the guess for an item would hide the loss the discontinuity
     * stands for. From the last item, the restarted stream asks for last + 1
     * and meets the same discontinuity again, and counts it then. Last 0
     * would read as "from the first message kept": never a position. */
    if (!s->cont.have_pos || s->cont.seq == 0)
        return false;
    *ret_page = s->cont.page;
    *ret_last = s->cont.seq;
    return true;
}

int mo_sub_set_position(mo_sub *s, uint64_t page, uint64_t last)
{
    if (s->state != MO_SUB_IDLE || last == 0)
        return -EINVAL;
    /* the saved position is the last item received: taken as one, it sets
     * the position exactly as that item did before the restart */
    struct mo_cont_step st;
    mo_cont_init(&s->cont);
    (void)mo_cont_item(&s->cont, page, last, &st);
    return 0;
}

int mo_sub_restart(mo_sub *s, mo_conn *conn)
{
    /* STOPPED comes with no call, no tag pending and no timer armed
     * (stream_done, on_done): start_stream's precondition */
    if (s->state != MO_SUB_STOPPED || s->rpc.call)
        return -EBUSY;
    s->conn = conn;
    s->stop_requested = false;
    s->moving = false;
    s->failures = 0;
    s->state = MO_SUB_IDLE;
    start_stream(s);
    return 0;
}

void mo_sub_set_moving(mo_sub *s, bool moving) { s->moving = moving; }
