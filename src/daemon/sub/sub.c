/* sub.c - one subscription's lifecycle (sub.h).
 *
 * A stream is one call of three batches (subcall.h: A sends the request and
 * receives the headers, B waits for the status, C receives one message at a
 * time and is re-armed after each). gRPC writes into the call's buffers until
 * a batch's tag comes back, so the stream is over only when all three tags are
 * back (`pending` reaches 0): only then is the call released (stream_done) and
 * the next state decided. Every path that ends a stream goes through there.
 *
 * The file reads caller first: the entry points of sub.h, then the changes of
 * state (one function each, every one through set_state, which holds the
 * lifecycle's table), then the tags and timers that drive them. What a message
 * means is message.c's.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "clock.h"
#include "rpc.h"
#include "secret.h"
#include "sub/backoff.h"
#include "sub/ending.h"
#include "sub/sub-int.h"
#include "timefmt.h"

/* A stream that lived this long counts as healthy even without items, so it
 * is resubscribed at once and the backoff starts over. */
#define HEALTHY_STREAM_US (10 * MO_USEC_PER_SEC)

static void set_state(mo_sub *s, enum mo_sub_state to);
static void to_connecting(mo_sub *s);
static void to_up(mo_sub *s);
static void to_silent(mo_sub *s);
static void to_backoff(mo_sub *s, const char *details, const char *err);
static void to_stopping(mo_sub *s, enum mo_sub_state how);
static void to_stopped(mo_sub *s);
static void on_start(mo_tag *tag, bool ok);
static void on_status(mo_tag *tag, bool ok);
static void on_recv(mo_tag *tag, bool ok);
static void on_backoff(mo_timer *t);
static void on_idle_timeout(mo_timer *t);
static void on_done(mo_timer *t);

/* ---- entry points (sub.h) ---- */

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
    mo_sublog_init(&s->log, s->cache, s->topic, &set->log);
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

void mo_sub_start(mo_sub *s)
{
    if (s->state == MO_SUB_IDLE)
        to_connecting(s);
}

void mo_sub_stop(mo_sub *s)
{
    if (s->state == MO_SUB_MOVING) {
        set_state(s, MO_SUB_STOPPING); /* the same wind-down, now for good */
        return;
    }
    if (s->state != MO_SUB_STOPPING && s->state != MO_SUB_STOPPED)
        to_stopping(s, MO_SUB_STOPPING);
}

void mo_sub_stop_to_move(mo_sub *s)
{
    if (s->state != MO_SUB_STOPPING && s->state != MO_SUB_MOVING && s->state != MO_SUB_STOPPED)
        to_stopping(s, MO_SUB_MOVING);
}

int mo_sub_restart(mo_sub *s, mo_conn *conn)
{
    /* STOPPED comes with no call, no tag pending and no timer armed
     * (stream_done, on_done): to_connecting's precondition */
    if (s->state != MO_SUB_STOPPED || s->rpc.call)
        return -EBUSY;
    s->conn = conn;
    s->failures = 0;
    to_connecting(s);
    return 0;
}

void mo_sub_set_tap(mo_sub *s, mo_sub_tap_fn fn, void *ctx)
{
    s->tap = fn;
    s->tap_ctx = fn ? ctx : NULL;
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

void mo_sub_end_interval(mo_sub *s, uint64_t now_us, const struct mo_clock_summary *clk,
                         struct mo_stats *add_to)
{
    /* a silence still going on counts up to now */
    if (s->rpc.call && s->stream.got_message && now_us - s->last_activity_us > s->stats.max_silence_us &&
        now_us > s->last_activity_us)
        s->stats.max_silence_us = now_us - s->last_activity_us;
    struct mo_pubtally anonymous = s->stats.anonymous;
    mo_stats_end_interval(&s->stats, s->cache, s->topic, now_us, clk, add_to);
    mo_sublog_end_interval(&s->log);
    if (s->floor) {
        struct mo_pubfloor_row rows[MO_PUBFLOOR_ROWS + 1];
        mo_pubfloor_emit(s->cache, s->topic, rows, mo_pubfloor_end(s->floor, rows), clk->bound_us);
    }
    mo_pubfloor_emit_skewed(s->cache, s->topic, "unknown", &anonymous, clk->bound_us);
}

const char *mo_sub_cache(const mo_sub *s) { return s->cache; }
const char *mo_sub_topic(const mo_sub *s) { return s->topic; }
mo_conn *mo_sub_conn(const mo_sub *s) { return s->conn; }
enum mo_sub_state mo_sub_state(const mo_sub *s) { return s->state; }
bool mo_sub_ever_up(const mo_sub *s) { return s->ever_up; }
const struct mo_stats *mo_sub_stats(const mo_sub *s) { return &s->stats; }
uint64_t mo_sub_delivered(const mo_sub *s) { return s->delivered; }

/* Positions across restarts and connections. The owner reads positions when
 * it saves them (once a second at most), so the message path does no more
 * than it did; it gives a saved one before the first start. */

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

/* ---- the lifecycle ---- */

static const char *const state_names[MO_SUB__STATES] = {
    [MO_SUB_IDLE] = "idle",         [MO_SUB_CONNECTING] = "connecting", [MO_SUB_UP] = "up",
    [MO_SUB_SILENT] = "silent",     [MO_SUB_BACKOFF] = "backoff",       [MO_SUB_STOPPING] = "stopping",
    [MO_SUB_MOVING] = "moving",     [MO_SUB_STOPPED] = "stopped",
};

const char *mo_sub_state_name(enum mo_sub_state st)
{
    return (unsigned)st < MO_SUB__STATES ? state_names[st] : "?";
}

#define BIT(st) (1u << (st))
/* allowed[from]: the states it may change to (sub.h's diagram) */
static const unsigned allowed[MO_SUB__STATES] = {
    [MO_SUB_IDLE] = BIT(MO_SUB_CONNECTING) | BIT(MO_SUB_STOPPING) | BIT(MO_SUB_MOVING),
    [MO_SUB_CONNECTING] = BIT(MO_SUB_UP) | BIT(MO_SUB_SILENT) | BIT(MO_SUB_BACKOFF) | BIT(MO_SUB_STOPPING) |
                          BIT(MO_SUB_MOVING),
    [MO_SUB_UP] = BIT(MO_SUB_SILENT) | BIT(MO_SUB_BACKOFF) | BIT(MO_SUB_STOPPING) | BIT(MO_SUB_MOVING),
    [MO_SUB_SILENT] = BIT(MO_SUB_BACKOFF) | BIT(MO_SUB_STOPPING) | BIT(MO_SUB_MOVING),
    [MO_SUB_BACKOFF] = BIT(MO_SUB_CONNECTING) | BIT(MO_SUB_STOPPING) | BIT(MO_SUB_MOVING),
    [MO_SUB_STOPPING] = BIT(MO_SUB_STOPPED),
    [MO_SUB_MOVING] = BIT(MO_SUB_STOPPING) | BIT(MO_SUB_STOPPED),
    [MO_SUB_STOPPED] = BIT(MO_SUB_CONNECTING),
};

bool mo_sub_transition_allowed(enum mo_sub_state from, enum mo_sub_state to)
{
    return (unsigned)from < MO_SUB__STATES && (unsigned)to < MO_SUB__STATES && (allowed[from] & BIT(to));
}

/* Every change of state passes here. One the table does not have is a bug
 * of this file: it is said and the process aborts (a subscription in a state
 * nobody named could lose or double-count messages). */
#ifdef MO_SUB_FAKE
/* tests/unit/test-sub.c sees every change of state */
void mo_sub_fake_transition(const mo_sub *s, enum mo_sub_state from, enum mo_sub_state to);
#endif
static void set_state(mo_sub *s, enum mo_sub_state to)
{
#ifdef MO_SUB_FAKE
    mo_sub_fake_transition(s, s->state, to);
#endif
    if (__builtin_expect(!mo_sub_transition_allowed(s->state, to), 0)) {
        fprintf(stderr, "momento-subscriberd: bug: %s/%s from %s to %s\n", s->cache, s->topic,
                mo_sub_state_name(s->state), mo_sub_state_name(to));
        abort();
    }
    s->state = to;
}

/* -> CONNECTING: one Subscribe call, resuming where continuity says, with its
 * three batches (A: request and headers, B: status, C: one message).
 * From IDLE (mo_sub_start), BACKOFF (on_backoff) or STOPPED (mo_sub_restart).
 * Before: no call of s is in flight (the last stream's mo_subcall_release
 * done), no backoff timer armed.
 * After, one of:
 *  - all three batches started: pending 3, the idle watchdog armed; each tag
 *    comes back once through the loop (C once per message while on_recv
 *    re-arms it) and the last one back runs stream_done;
 *  - a batch refused after others started: the call is cancelled, the started
 *    batches come back and the last one runs stream_done;
 *  - nothing started (no call, no request, batch A refused): stream_done has
 *    already run, so s is in BACKOFF when this returns.
 * From here until stream_done's mo_subcall_release, s->rpc owns the call and
 * its buffers (subcall.h). */
static void stream_done(mo_sub *s);
static void to_connecting(mo_sub *s)
{
    struct mo_sub_stream *st = &s->stream;
    *st = (struct mo_sub_stream){.delivered_before = s->delivered};
    st->resumed = mo_cont_resume_point(&s->cont, &st->resume_page, &st->resume_at);
    st->started_us = s->last_activity_us = mo_mono_us();
    set_state(s, MO_SUB_CONNECTING);
    if (!mo_subcall_open(&s->rpc, s->conn, mo_loop_cq(s->loop), s->cache, s->topic, st->resume_at,
                         st->resume_page)) {
        stream_done(s);
        return;
    }
    mo_timer_start(s->loop, &s->idle_timer, s->set->idle_timeout_us);
}

/* CONNECTING -> UP: the stream's first server message (on_recv). In any
 * other state (a message that raced a cancel) only the fact is noted. */
static void to_up(mo_sub *s)
{
    s->stream.got_message = true;
    if (s->state != MO_SUB_CONNECTING)
        return;
    set_state(s, MO_SUB_UP);
    s->connect_said = NULL; /* connected: a later failure is said again */
    mo_sublog_subscribed(s->cache, s->topic, s->stream.resume_at, s->stream.resume_page, s->failures + 1);
    if (!s->ever_up) {
        s->ever_up = true;
        s->owner.up(s->owner.ctx, s);
    }
}

/* CONNECTING, UP -> SILENT: the idle watchdog found no server message for
 * idle_timeout. The call is cancelled with DEADLINE_EXCEEDED: on_recv stops
 * re-arming, the tags come back and stream_done resubscribes as after any
 * other end. */
static void to_silent(mo_sub *s)
{
    uint64_t idle_ms = (mo_mono_us() - s->last_activity_us) / 1000;
    set_state(s, MO_SUB_SILENT);
    mo_sublog_idle_timeout(s->cache, s->topic, idle_ms);
    char why[96];
    snprintf(why, sizeof why, "no message or heartbeat for %llu ms", (unsigned long long)idle_ms);
    mo_subcall_cancel(&s->rpc, GRPC_STATUS_DEADLINE_EXCEEDED, why);
}

/* A refusal the operator must act on gets its error event (ending.h). */
static void explain(mo_sub *s, const char *details, const char *err)
{
    char hint[2048];
    enum mo_event_type type;
    int64_t exp = s->set->key_expires_at ? *s->set->key_expires_at : 0;
    char at[48] = "";
    if (exp && mo_real_ns() / MO_NSEC_PER_SEC >= exp)
        mo_time_format_rfc3339(exp * MO_NSEC_PER_SEC, 0, 0, at, sizeof at);
    const struct mo_ending_names names = {.cache = s->cache, .key_source = s->set->key_source,
                                          .target = s->set->target, .config_path = s->set->config_path,
                                          .key_expired_at = at[0] ? at : NULL,
                                          .ca_file = s->set->ca_file};
    if (!mo_ending_explain(s->rpc.status, details, err, &names, &type, hint, sizeof hint))
        return;
    if (type == MO_EV_CONNECT_ERROR) { /* once per cause, until a stream comes up */
        const char *cause = mo_ending_connect_cause(s->rpc.status, details);
        if (cause == s->connect_said)
            return;
        s->connect_said = cause;
    }
    mo_sublog_refusal(type, s->cache, s->topic, mo_status_name(s->rpc.status), details, err, hint);
}

/* CONNECTING, UP, SILENT -> BACKOFF: the stream ended on its own (the server,
 * the network, the watchdog). The status is explained, `resubscribing` is
 * logged and the backoff timer armed; on_backoff starts the next stream.
 * Healthy (it delivered, got past a message too large, or lived long
 * enough): at once (src/proto/README.md §7); backoff is for consecutive
 * failures only. */
static void to_backoff(mo_sub *s, const char *details, const char *err)
{
    uint64_t now = mo_mono_us();
    enum mo_ending end = mo_ending_classify(s->rpc.status, details, false, s->state == MO_SUB_SILENT);
    s->stats.ends[end]++;
    if (end == MO_END_OVERSIZED)
        mo_sub_skip_oversized(s, details);
    else
        explain(s, details, err);
    bool healthy = s->delivered != s->stream.delivered_before || end == MO_END_OVERSIZED ||
                   now - s->stream.started_us >= HEALTHY_STREAM_US;
    s->failures = healthy ? 0 : s->failures + 1;
    uint64_t delay = mo_backoff_delay(s->set->backoff_initial_us, s->set->backoff_max_us, s->failures,
                                      (uint64_t)rand_r(&s->seed));
    const struct mo_sub_stream *st = &s->stream;
    const struct mo_sublog_end x = {
        .status = mo_status_name(s->rpc.status), .details = details, .end = end,
        .lifetime_us = now - st->started_us, .items = st->items,
        .resumed = st->resumed, .resume_at = st->resume_at,
        .answered = st->answered, .outcome = st->resume_outcome,
        .got_item = st->got_item, .first_seq = st->first_seq,
        .delay_us = delay, .attempt = s->failures + 1};
    mo_sublog_resubscribing(s->cache, s->topic, &x);
    set_state(s, MO_SUB_BACKOFF);
    mo_timer_start(s->loop, &s->backoff_timer, delay);
}

/* Any running state -> STOPPING or MOVING (`how`): no resubscribe or watchdog
 * timer stays armed. With a call in flight it is cancelled; its tags come back
 * and stream_done goes to STOPPED. With none (IDLE or BACKOFF) the done timer
 * does it at once, from the loop, so the owner is never called back from
 * inside its own mo_sub_stop (it may be walking its list). */
static void to_stopping(mo_sub *s, enum mo_sub_state how)
{
    set_state(s, how);
    mo_timer_stop(s->loop, &s->backoff_timer);
    mo_timer_stop(s->loop, &s->idle_timer);
    if (s->rpc.call)
        mo_subcall_cancel(&s->rpc, GRPC_STATUS_CANCELLED, NULL);
    else
        mo_timer_start(s->loop, &s->done_timer, 0);
}

/* STOPPING, MOVING -> STOPPED: nothing of s is in flight. Stopped for good,
 * a discontinuity no item followed is reported now (how many it lost cannot
 * be known); then the owner is told, and may free or restart s. */
static void to_stopped(mo_sub *s)
{
    bool for_good = s->state == MO_SUB_STOPPING;
    set_state(s, MO_SUB_STOPPED);
    struct mo_cont_step st;
    if (for_good && mo_cont_pending(&s->cont, &st)) {
        s->stats.lost += st.lost;
        mo_sublog_lost_at_stop(&s->log, &s->stats, &st);
    }
    s->owner.stopped(s->owner.ctx, s);
}

/* ---- what drives it: the call's tags and the timers ---- */

/* The end of a stream, exactly once per to_connecting: from tag_back (the
 * last tag), from on_recv (re-arming refused, nothing else pending) or from
 * to_connecting (nothing could be started).
 * Before: no batch of the call is pending, so gRPC writes nothing more and the
 * status, details and trailers can be read, then freed (mo_subcall_release).
 * After: the idle watchdog is stopped, and s is in BACKOFF, or STOPPED with
 * owner->stopped run, which may have freed s: nothing touches s after this
 * returns (every caller returns). */
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
    if (s->stream.got_message && now - s->last_activity_us > s->stats.max_silence_us)
        s->stats.max_silence_us = now - s->last_activity_us;

    if (s->state == MO_SUB_STOPPING || s->state == MO_SUB_MOVING) {
        s->stats.ends[MO_END_CANCELLED]++;
        to_stopped(s); /* may free s */
        return;
    }
    if (s->rpc.status == GRPC_STATUS_OK && !*details)
        snprintf(details, sizeof details, "the server ended the stream");
    to_backoff(s, details, err);
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

/* Batch C is back. Without a message (!ok or no buffer) the receiving side is
 * over: the tag is back for good and the status (batch B) says why. With one,
 * the buffer is ours: it is taken out of s->rpc.recv first (so mo_subcall_release
 * cannot destroy it again) and destroyed after the message path. Then
 * RECV_MESSAGE is re-armed with the same tag, so pending does not change,
 * unless the stream is being cancelled (stop, move, idle watchdog); if gRPC
 * refuses, the call is cancelled and the stream ends once the other tags are
 * back, or at once if none is pending. s may be freed on return. */
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
    /* the activity the idle watchdog reads, and the silence before it (from
     * the first server message: not the call's set-up) */
    uint64_t now = mo_mono_us();
    if (s->stream.got_message && now - s->last_activity_us > s->stats.max_silence_us)
        s->stats.max_silence_us = now - s->last_activity_us;
    s->last_activity_us = now;
    if (__builtin_expect(!s->stream.got_message, 0))
        to_up(s);
    mo_sub_on_message(s, bb, received_ns);
    grpc_byte_buffer_destroy(bb);
    if (__builtin_expect(s->state > MO_SUB_UP, 0)) { /* SILENT, STOPPING, MOVING */
        tag_back(s);
        return;
    }
    if (!mo_subcall_rearm(&s->rpc) && s->rpc.pending == 0)
        stream_done(s);
}

/* BACKOFF -> CONNECTING: the delay is over (never armed once stopping). */
static void on_backoff(mo_timer *t)
{
    mo_sub *s = container_of(t, mo_sub, backoff_timer);
    s->stats.resubscribes++;
    to_connecting(s);
}

/* The idle watchdog. to_connecting arms it for idle_timeout; messages only
 * move last_activity_us (no timer work per message), so it is re-armed lazily
 * here until the stream has really been silent that long (to_silent).
 * stream_done and to_stopping disarm it; with no call it does nothing. */
static void on_idle_timeout(mo_timer *t)
{
    mo_sub *s = container_of(t, mo_sub, idle_timer);
    uint64_t idle = s->set->idle_timeout_us;
    if (!s->rpc.call)
        return;
    if (mo_mono_us() - s->last_activity_us < idle) {
        /* traffic since the timer was armed: it is re-armed lazily, not per message */
        mo_timer_start_at(s->loop, &s->idle_timer, s->last_activity_us + idle);
        return;
    }
    to_silent(s);
}

/* to_stopping's report when no call was in flight. May free s. */
static void on_done(mo_timer *t)
{
    to_stopped(container_of(t, mo_sub, done_timer));
}
