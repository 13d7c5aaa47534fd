/* Unit tests for a subscription's lifecycle (src/daemon/sub/sub.h): every
 * state and every change of state, driven by a fake call and a fake clock.
 *
 * sub.c and message.c are built into this program with MO_SUB_FAKE: the call
 * (subcall.h: open, re-arm, cancel, release) and the loop's timers are this
 * file's, so no gRPC call, channel or completion queue exists. The server's
 * messages are real _SubscriptionItem bytes (src/local/wire.c's encoder) in
 * real byte buffers, so the message path runs as it does in the daemon.
 * Time moves only when a test says so; due timers then run in order.
 */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/byte_buffer.h>
#include <grpc/grpc.h>
#include <grpc/slice.h>

#include "clock.h"
#include "hist.h"
#include "log/event.h"
#include "loop.h"
#include "sub/sub.h"
#include "sub/subcall.h"
#include "test.h"
#include "timefmt.h"
#include "wire.h"

/* ---- the fake clock ---- */

static uint64_t now_us = 1000 * MO_USEC_PER_SEC;
static uint64_t fake_mono(void) { return now_us; }
/* real time runs with the monotonic one, 1 ms after the publish times below */
static int64_t fake_real(void) { return 1700000000LL * MO_NSEC_PER_SEC + (int64_t)now_us * 1000 + 1000000; }

/* ---- the fake loop: its timers ---- */

#define MAX_TIMERS 32
static mo_timer *armed[MAX_TIMERS];
static size_t n_armed;

grpc_completion_queue *mo_loop_cq(mo_loop *loop)
{
    (void)loop;
    return NULL;
}
void mo_timer_init(mo_timer *t, mo_timer_fn fn)
{
    t->fn = fn;
    t->slot = 0;
}
void mo_timer_stop(mo_loop *loop, mo_timer *t)
{
    (void)loop;
    for (size_t i = 0; i < n_armed; i++)
        if (armed[i] == t) {
            armed[i] = armed[--n_armed];
            break;
        }
    t->slot = 0;
}
void mo_timer_start_at(mo_loop *loop, mo_timer *t, uint64_t due)
{
    mo_timer_stop(loop, t);
    t->due_us = due;
    t->slot = 1;
    if (n_armed < MAX_TIMERS)
        armed[n_armed++] = t;
}
void mo_timer_start(mo_loop *loop, mo_timer *t, uint64_t delay) { mo_timer_start_at(loop, t, now_us + delay); }

/* Moves time on by `us`, running every timer due by then, earliest first. */
static void advance(uint64_t us)
{
    uint64_t until = now_us + us;
    for (;;) {
        mo_timer *next = NULL;
        for (size_t i = 0; i < n_armed; i++)
            if (armed[i]->due_us <= until && (!next || armed[i]->due_us < next->due_us))
                next = armed[i];
        if (!next)
            break;
        if (next->due_us > now_us)
            now_us = next->due_us;
        mo_timer_stop(NULL, next);
        next->fn(next);
    }
    now_us = until;
}

/* Runs the earliest armed timer alone, time moving to its moment. */
static void step(void)
{
    mo_timer *next = NULL;
    for (size_t i = 0; i < n_armed; i++)
        if (!next || armed[i]->due_us < next->due_us)
            next = armed[i];
    TEST_CHECK(next != NULL);
    if (!next)
        return;
    if (next->due_us > now_us)
        now_us = next->due_us;
    mo_timer_stop(NULL, next);
    next->fn(next);
}

/* ---- the fake call ---- */

static struct {
    struct mo_subcall *c; /* the call in flight, NULL when none */
    int opens, rearms;
    bool fail_open;       /* the next open starts nothing */
    bool recv_armed;      /* batch C is waiting for a message */
    bool cancelled;
    grpc_status_code cancel_status;
    uint64_t resume_at, page; /* what the last open asked for */
} F;
static int a_call; /* its address stands for the grpc_call */

void mo_subcall_init(struct mo_subcall *c) { c->details = grpc_empty_slice(); }

bool mo_subcall_open(struct mo_subcall *c, mo_conn *conn, grpc_completion_queue *cq, const char *cache,
                     const char *topic, uint64_t resume_at, uint64_t page)
{
    (void)conn, (void)cq, (void)cache, (void)topic;
    TEST_CHECK(F.c == NULL); /* never two calls of one subscription at once */
    F.opens++;
    F.resume_at = resume_at;
    F.page = page;
    grpc_metadata_array_init(&c->initial_md);
    grpc_metadata_array_init(&c->trailing_md);
    c->status = GRPC_STATUS_OK;
    c->local_failure[0] = '\0';
    c->pending = 0;
    if (F.fail_open) {
        F.fail_open = false;
        snprintf(c->local_failure, sizeof c->local_failure, "could not create the call (test)");
        return false;
    }
    c->call = (grpc_call *)&a_call;
    c->pending = 3;
    F.c = c;
    F.recv_armed = true;
    F.cancelled = false;
    return true;
}

bool mo_subcall_rearm(struct mo_subcall *c)
{
    (void)c;
    F.rearms++;
    F.recv_armed = true;
    return true;
}

void mo_subcall_refused(struct mo_subcall *c, grpc_call_error e)
{
    (void)c, (void)e;
    TEST_CHECK(!"no batch is refused in these tests");
}

void mo_subcall_cancel(struct mo_subcall *c, grpc_status_code status, const char *why)
{
    TEST_CHECK(c->call != NULL);
    F.cancelled = true;
    F.cancel_status = why ? status : GRPC_STATUS_CANCELLED;
}

void mo_subcall_release(struct mo_subcall *c)
{
    TEST_EQ_INT(c->pending, 0); /* only once every tag is back */
    c->call = NULL;
    if (c->recv) {
        grpc_byte_buffer_destroy(c->recv);
        c->recv = NULL;
    }
    grpc_metadata_array_destroy(&c->initial_md);
    grpc_metadata_array_destroy(&c->trailing_md);
    grpc_slice_unref(c->details);
    c->details = grpc_empty_slice();
    if (F.c == c)
        F.c = NULL;
}

/* The server sends one message (the slice is taken). */
static void deliver(grpc_slice msg)
{
    struct mo_subcall *c = F.c;
    TEST_CHECK(c && F.recv_armed);
    if (!c || !F.recv_armed) {
        grpc_slice_unref(msg);
        return;
    }
    c->recv = grpc_raw_byte_buffer_create(&msg, 1);
    grpc_slice_unref(msg);
    F.recv_armed = false;
    c->tag_recv.fn(&c->tag_recv, true); /* re-armed, or back for good */
}

static void heartbeat(void) { deliver(tl_wire_heartbeat()); }

/* Item `seq` on `page`, published 0 ms before now (text RFC 3339). */
static void item(uint64_t seq, uint64_t page)
{
    char ts[64];
    int64_t pub = fake_real() - 1000000; /* 1 ms ago */
    mo_time_format_rfc3339(pub, 9, 0, ts, sizeof ts);
    deliver(tl_wire_item(seq, page, false, (const uint8_t *)ts, strlen(ts), NULL, 0));
}

/* The call ends as gRPC ends one: the receive comes back empty, then the
 * batch of the headers, then the status (the cancel's, when cancelled). */
static void finish(grpc_status_code status, const char *details)
{
    struct mo_subcall *c = F.c;
    TEST_CHECK(c != NULL);
    if (!c)
        return;
    if (F.cancelled) {
        status = F.cancel_status;
        details = status == GRPC_STATUS_CANCELLED ? "Cancelled" : "no message or heartbeat";
    }
    c->status = status;
    grpc_slice_unref(c->details);
    c->details = grpc_slice_from_copied_string(details);
    /* s may be freed or restarted once the last tag is back: take the tags first */
    mo_tag *recv = &c->tag_recv, *start = &c->tag_start, *st = &c->tag_status;
    if (F.recv_armed) {
        F.recv_armed = false;
        recv->fn(recv, false);
    }
    start->fn(start, true);
    st->fn(st, true);
}

/* ---- the owner, and what it saw ---- */

static int ups, stops;
static bool restart_on_stop; /* owner->stopped restarts it (a move) */
static mo_conn *const other_conn = (mo_conn *)&ups; /* never dereferenced by the fakes */

static bool seen[MO_SUB__STATES][MO_SUB__STATES];
void mo_sub_fake_transition(const mo_sub *s, enum mo_sub_state from, enum mo_sub_state to)
{
    (void)s;
    TEST_CHECK(mo_sub_transition_allowed(from, to));
    seen[from][to] = true;
}

static void on_up(void *ctx, mo_sub *s)
{
    (void)ctx, (void)s;
    ups++;
}
static void on_stopped(void *ctx, mo_sub *s)
{
    (void)ctx;
    stops++;
    TEST_EQ_INT(mo_sub_state(s), MO_SUB_STOPPED);
    if (restart_on_stop)
        TEST_EQ_INT(mo_sub_restart(s, other_conn), 0);
}

static struct mo_budget budget;
static const struct mo_sub_settings settings = {
    .idle_timeout_us = MO_USEC_PER_SEC,
    .backoff_initial_us = 100 * MO_USEC_PER_MSEC,
    .backoff_max_us = MO_USEC_PER_SEC,
    .log = {.messages = MO_LOG_MESSAGES_NONE, .sample_every = 1, .message_budget = &budget,
            .warnings_per_interval = 3},
    .key_source = "test", .target = "127.0.0.1:9", .config_path = "test.yaml",
};

static mo_sub *new_sub(void)
{
    struct mo_sub_config sc = {.cache = "c", .topic = "t",
                               .decoder = {.mode = MO_DECODE_TEXT, .format = MO_TS_RFC3339}};
    const struct mo_sub_owner owner = {.up = on_up, .stopped = on_stopped};
    mo_sub *s;
    TEST_EQ_INT(mo_sub_new(NULL, (mo_conn *)&a_call, &settings, &owner, &sc, &s), 0);
    TEST_EQ_INT(mo_sub_state(s), MO_SUB_IDLE);
    ups = stops = 0;
    restart_on_stop = false;
    return s;
}

static void done(mo_sub *s)
{
    TEST_CHECK(F.c == NULL); /* nothing in flight */
    mo_sub_free(s);
    TEST_EQ_INT(n_armed, 0); /* and no timer left behind */
}

#define STATE(s, st) TEST_EQ_STR(mo_sub_state_name(mo_sub_state(s)), mo_sub_state_name(st))

/* ---- the tests ---- */

/* The table itself: exactly the changes sub.h draws. */
static void test_table(void)
{
    static const enum mo_sub_state want[][2] = {
        {MO_SUB_IDLE, MO_SUB_CONNECTING},    {MO_SUB_IDLE, MO_SUB_STOPPING},     {MO_SUB_IDLE, MO_SUB_MOVING},
        {MO_SUB_CONNECTING, MO_SUB_UP},      {MO_SUB_CONNECTING, MO_SUB_SILENT}, {MO_SUB_CONNECTING, MO_SUB_BACKOFF},
        {MO_SUB_CONNECTING, MO_SUB_STOPPING}, {MO_SUB_CONNECTING, MO_SUB_MOVING}, {MO_SUB_UP, MO_SUB_SILENT},
        {MO_SUB_UP, MO_SUB_BACKOFF},         {MO_SUB_UP, MO_SUB_STOPPING},       {MO_SUB_UP, MO_SUB_MOVING},
        {MO_SUB_SILENT, MO_SUB_BACKOFF},     {MO_SUB_SILENT, MO_SUB_STOPPING},   {MO_SUB_SILENT, MO_SUB_MOVING},
        {MO_SUB_BACKOFF, MO_SUB_CONNECTING}, {MO_SUB_BACKOFF, MO_SUB_STOPPING},  {MO_SUB_BACKOFF, MO_SUB_MOVING},
        {MO_SUB_STOPPING, MO_SUB_STOPPED},   {MO_SUB_MOVING, MO_SUB_STOPPING},   {MO_SUB_MOVING, MO_SUB_STOPPED},
        {MO_SUB_STOPPED, MO_SUB_CONNECTING},
    };
    bool w[MO_SUB__STATES][MO_SUB__STATES] = {{false}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        w[want[i][0]][want[i][1]] = true;
    for (int a = 0; a < MO_SUB__STATES; a++)
        for (int b = 0; b < MO_SUB__STATES; b++)
            if (mo_sub_transition_allowed((enum mo_sub_state)a, (enum mo_sub_state)b) != w[a][b]) {
                fprintf(stderr, "table: %s -> %s\n", mo_sub_state_name((enum mo_sub_state)a),
                        mo_sub_state_name((enum mo_sub_state)b));
                TEST_CHECK(!"the table differs from sub.h's diagram");
            }
    TEST_CHECK(!mo_sub_transition_allowed(MO_SUB__STATES, MO_SUB_IDLE));
    TEST_EQ_STR(mo_sub_state_name(MO_SUB_SILENT), "silent");
    TEST_EQ_STR(mo_sub_state_name(MO_SUB__STATES), "?");
}

/* IDLE -> CONNECTING -> UP, items through every room, the server ends it
 * after a healthy life: BACKOFF for 0 s, then CONNECTING where it stopped. */
static void test_up_and_resubscribe(void)
{
    mo_sub *s = new_sub();
    mo_sub_start(s);
    STATE(s, MO_SUB_CONNECTING);
    TEST_EQ_INT(F.resume_at, 0); /* new messages */
    heartbeat();
    STATE(s, MO_SUB_UP);
    TEST_EQ_INT(ups, 1);
    TEST_CHECK(mo_sub_ever_up(s));
    item(1, 7);
    item(2, 7);
    item(3, 7);
    item(2, 7); /* a duplicate */
    item(5, 7); /* a gap of one */
    const struct mo_stats *st = mo_sub_stats(s);
    TEST_EQ_INT(st->count, 4);
    TEST_EQ_INT(mo_sub_delivered(s), 4);
    TEST_EQ_INT(st->duplicates, 1);
    TEST_EQ_INT(st->gaps, 1);
    TEST_EQ_INT(mo_hist_count(st->hist), 4);
    TEST_EQ_INT(mo_hist_quantile(st->hist, 0.5), 1000); /* 1 ms, on the fake clocks */
    TEST_EQ_INT(st->decode_errors, 0);
    deliver(tl_wire_malformed(true)); /* the server's fault: not a message */
    TEST_EQ_INT(st->protocol_errors, 1);
    TEST_EQ_INT(st->count, 4);
    uint64_t page, last;
    TEST_CHECK(mo_sub_position(s, &page, &last) && page == 7 && last == 5);

    finish(GRPC_STATUS_OK, "");
    STATE(s, MO_SUB_BACKOFF); /* at once: it delivered */
    TEST_EQ_INT(st->ends[MO_END_OK], 1);
    advance(0);
    STATE(s, MO_SUB_CONNECTING);
    TEST_EQ_INT(F.resume_at, 6);
    TEST_EQ_INT(F.page, 7);
    TEST_EQ_INT(st->resubscribes, 1);
    heartbeat();
    STATE(s, MO_SUB_UP);
    TEST_EQ_INT(ups, 1); /* owner->up once per subscription */
    item(6, 7);
    TEST_EQ_INT(st->resumes[MO_CONT_RESUME_EXACT], 1);

    /* UP -> BACKOFF, a failure: backoff, then CONNECTING again */
    finish(GRPC_STATUS_UNAVAILABLE, "connection reset");
    STATE(s, MO_SUB_BACKOFF);
    advance(0);
    STATE(s, MO_SUB_CONNECTING); /* it delivered: healthy, at once */
    mo_sub_stop(s);
    STATE(s, MO_SUB_STOPPING);
    finish(GRPC_STATUS_CANCELLED, "");
    STATE(s, MO_SUB_STOPPED);
    TEST_EQ_INT(stops, 1);
    done(s);
}

/* CONNECTING -> BACKOFF without a message: backoff grows, a refused open
 * goes straight to BACKOFF, BACKOFF -> CONNECTING after the delay. */
static void test_failures_back_off(void)
{
    mo_sub *s = new_sub();
    int opens = F.opens;
    mo_sub_start(s);
    finish(GRPC_STATUS_UNAVAILABLE, "failed to connect");
    STATE(s, MO_SUB_BACKOFF);
    advance(settings.backoff_initial_us / 4 - 1); /* jitter never takes it below a quarter */
    STATE(s, MO_SUB_BACKOFF);
    step();
    STATE(s, MO_SUB_CONNECTING);
    TEST_EQ_INT(F.opens, opens + 2);
    /* an open that starts nothing: BACKOFF from within to_connecting */
    finish(GRPC_STATUS_UNAVAILABLE, "failed to connect");
    F.fail_open = true;
    step();
    STATE(s, MO_SUB_BACKOFF);
    TEST_CHECK(F.c == NULL);
    TEST_EQ_INT(mo_sub_stats(s)->ends[MO_END_ERROR], 3);
    step();
    STATE(s, MO_SUB_CONNECTING);
    TEST_EQ_INT(mo_sub_stats(s)->resubscribes, 3);
    TEST_EQ_INT(ups, 0);
    /* BACKOFF -> STOPPING -> STOPPED, through the done timer (never from
     * inside mo_sub_stop) */
    finish(GRPC_STATUS_UNAVAILABLE, "failed to connect");
    STATE(s, MO_SUB_BACKOFF);
    mo_sub_stop(s);
    STATE(s, MO_SUB_STOPPING);
    TEST_EQ_INT(stops, 0);
    advance(0);
    STATE(s, MO_SUB_STOPPED);
    TEST_EQ_INT(stops, 1);
    mo_sub_stop(s); /* a second stop does nothing */
    advance(MO_USEC_PER_SEC);
    TEST_EQ_INT(stops, 1);
    done(s);
}

/* The idle watchdog: CONNECTING -> SILENT and UP -> SILENT, then BACKOFF;
 * traffic re-arms it lazily; SILENT -> STOPPING and SILENT -> MOVING. */
static void test_silent(void)
{
    mo_sub *s = new_sub();
    mo_sub_start(s);
    advance(settings.idle_timeout_us);
    STATE(s, MO_SUB_SILENT);
    TEST_CHECK(F.cancelled && F.cancel_status == GRPC_STATUS_DEADLINE_EXCEEDED);
    finish(GRPC_STATUS_OK, "");
    STATE(s, MO_SUB_BACKOFF);
    TEST_EQ_INT(mo_sub_stats(s)->ends[MO_END_IDLE], 1);
    advance(settings.backoff_max_us);
    STATE(s, MO_SUB_CONNECTING);

    heartbeat();
    for (int i = 0; i < 5; i++) { /* a heartbeat every 0.6 s: never silent */
        advance(600 * MO_USEC_PER_MSEC);
        heartbeat();
    }
    STATE(s, MO_SUB_UP);
    TEST_EQ_INT(mo_sub_stats(s)->max_silence_us, 600 * MO_USEC_PER_MSEC);
    advance(settings.idle_timeout_us);
    STATE(s, MO_SUB_SILENT);
    /* a message racing the cancel is counted, and changes no state */
    item(1, 3);
    STATE(s, MO_SUB_SILENT);
    TEST_EQ_INT(mo_sub_stats(s)->count, 1);
    mo_sub_stop(s); /* SILENT -> STOPPING */
    STATE(s, MO_SUB_STOPPING);
    finish(GRPC_STATUS_OK, "");
    STATE(s, MO_SUB_STOPPED);
    TEST_EQ_INT(stops, 1);
    done(s);

    s = new_sub();
    restart_on_stop = true;
    mo_sub_start(s);
    advance(settings.idle_timeout_us);
    STATE(s, MO_SUB_SILENT);
    mo_sub_stop_to_move(s); /* SILENT -> MOVING */
    STATE(s, MO_SUB_MOVING);
    finish(GRPC_STATUS_OK, "");
    STATE(s, MO_SUB_CONNECTING); /* restarted from owner->stopped */
    restart_on_stop = false;
    mo_sub_stop(s);
    finish(GRPC_STATUS_OK, "");
    done(s);
}

/* Stops from every running state, for good and to move. */
static void test_stops(void)
{
    /* IDLE -> STOPPING -> STOPPED, no call ever opened */
    int opens0 = F.opens;
    mo_sub *s = new_sub();
    mo_sub_stop(s);
    STATE(s, MO_SUB_STOPPING);
    advance(0);
    STATE(s, MO_SUB_STOPPED);
    TEST_EQ_INT(stops, 1);
    TEST_EQ_INT(F.opens, opens0);
    done(s);

    /* IDLE -> MOVING -> STOPPED -> CONNECTING (restart) */
    int opens = F.opens;
    s = new_sub();
    restart_on_stop = true;
    mo_sub_stop_to_move(s);
    STATE(s, MO_SUB_MOVING);
    advance(0);
    STATE(s, MO_SUB_CONNECTING);
    TEST_EQ_INT(F.opens, opens + 1);
    TEST_CHECK(mo_sub_conn(s) == other_conn);
    /* CONNECTING -> MOVING -> STOPPING: a stop for good wins over a move */
    restart_on_stop = false;
    mo_sub_stop_to_move(s);
    STATE(s, MO_SUB_MOVING);
    mo_sub_stop_to_move(s); /* nothing */
    mo_sub_stop(s);
    STATE(s, MO_SUB_STOPPING);
    finish(GRPC_STATUS_OK, "");
    STATE(s, MO_SUB_STOPPED);
    TEST_EQ_INT(mo_sub_restart(s, other_conn) == 0, 1); /* STOPPED -> CONNECTING */
    STATE(s, MO_SUB_CONNECTING);
    TEST_EQ_INT(mo_sub_restart(s, other_conn), -EBUSY); /* only when stopped */
    /* CONNECTING -> STOPPING */
    mo_sub_stop(s);
    TEST_CHECK(F.cancelled && F.cancel_status == GRPC_STATUS_CANCELLED);
    finish(GRPC_STATUS_OK, "");
    STATE(s, MO_SUB_STOPPED);
    done(s);

    /* UP -> STOPPING, with a message racing the cancel: counted, still STOPPING */
    s = new_sub();
    mo_sub_start(s);
    heartbeat();
    item(1, 9);
    mo_sub_stop(s);
    STATE(s, MO_SUB_STOPPING);
    item(2, 9);
    STATE(s, MO_SUB_STOPPING);
    TEST_EQ_INT(mo_sub_stats(s)->count, 2);
    finish(GRPC_STATUS_OK, "");
    STATE(s, MO_SUB_STOPPED);
    TEST_EQ_INT(mo_sub_stats(s)->ends[MO_END_CANCELLED], 1);
    done(s);

    /* UP -> MOVING -> STOPPED -> CONNECTING on the new connection, resuming
     * after the last item the old stream delivered */
    s = new_sub();
    restart_on_stop = true;
    mo_sub_start(s);
    heartbeat();
    item(1, 9);
    item(2, 9);
    mo_sub_stop_to_move(s);
    STATE(s, MO_SUB_MOVING);
    finish(GRPC_STATUS_OK, "");
    STATE(s, MO_SUB_CONNECTING);
    TEST_EQ_INT(F.resume_at, 3);
    TEST_EQ_INT(F.page, 9);
    heartbeat();
    item(3, 9);
    TEST_EQ_INT(mo_sub_stats(s)->count, 3);
    TEST_EQ_INT(mo_sub_stats(s)->duplicates + mo_sub_stats(s)->gaps, 0);
    restart_on_stop = false;

    /* BACKOFF -> MOVING */
    finish(GRPC_STATUS_UNAVAILABLE, "gone");
    STATE(s, MO_SUB_BACKOFF);
    restart_on_stop = true;
    mo_sub_stop_to_move(s);
    STATE(s, MO_SUB_MOVING);
    advance(0);
    STATE(s, MO_SUB_CONNECTING);
    restart_on_stop = false;
    mo_sub_stop(s);
    finish(GRPC_STATUS_OK, "");
    done(s);
}

/* A saved position before the first start; a position only IDLE takes. */
static void test_positions(void)
{
    mo_sub *s = new_sub();
    TEST_EQ_INT(mo_sub_set_position(s, 4, 0), -EINVAL);
    TEST_EQ_INT(mo_sub_set_position(s, 4, 41), 0);
    mo_sub_start(s);
    TEST_EQ_INT(F.resume_at, 42);
    TEST_EQ_INT(F.page, 4);
    TEST_EQ_INT(mo_sub_set_position(s, 4, 50), -EINVAL);
    heartbeat();
    item(42, 4);
    TEST_EQ_INT(mo_sub_stats(s)->resumes[MO_CONT_RESUME_EXACT], 1);
    mo_sub_stop(s);
    finish(GRPC_STATUS_OK, "");
    done(s);
}

int main(void)
{
    mo_clock_override(fake_mono, fake_real);
    mo_event_set_format(MO_LOG_JSON); /* the events go to stdout, the harness's log */
    mo_budget_set(&budget, 1000, 1000, now_us);
    test_table();
    test_up_and_resubscribe();
    test_failures_back_off();
    test_silent();
    test_stops();
    test_positions();
    /* every change of state the table has, seen at least once */
    for (int a = 0; a < MO_SUB__STATES; a++)
        for (int b = 0; b < MO_SUB__STATES; b++)
            if (mo_sub_transition_allowed((enum mo_sub_state)a, (enum mo_sub_state)b) && !seen[a][b]) {
                fprintf(stderr, "never driven: %s -> %s\n", mo_sub_state_name((enum mo_sub_state)a),
                        mo_sub_state_name((enum mo_sub_state)b));
                TEST_CHECK(!"a change of state no test drives");
            }
    mo_event_close(MO_USEC_PER_SEC);
    return test_result("test-sub");
}
