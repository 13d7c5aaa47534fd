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

#include "fake-loop.h"
#include "fake-call.h"

/* real time runs with the monotonic one, 1 ms after the publish times below */
static int64_t fake_real(void) { return 1700000000LL * MO_NSEC_PER_SEC + (int64_t)fake_now_us * 1000 + 1000000; }

/* the subscription's call: one at a time */
static struct mo_subcall *call(void)
{
    TEST_CHECK(fake_n_calls <= 1);
    return fake_newest();
}
static void deliver(grpc_slice msg) { fake_deliver(call(), msg); }
static void finish(grpc_status_code status, const char *details) { fake_finish(call(), status, details); }
static bool cancelled_with(grpc_status_code st)
{
    struct fake_call *k = call() ? fake_call_of(call()) : NULL;
    return k && k->cancelled && k->cancel_status == st;
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
    TEST_EQ_INT(mo_sub_new(NULL, (mo_conn *)&fake_call_object, &settings, &owner, &sc, &s), 0);
    TEST_EQ_INT(mo_sub_state(s), MO_SUB_IDLE);
    ups = stops = 0;
    restart_on_stop = false;
    return s;
}

static void done(mo_sub *s)
{
    TEST_CHECK(fake_n_calls == 0); /* nothing in flight */
    mo_sub_free(s);
    TEST_EQ_INT(fake_n_armed, 0); /* and no timer left behind */
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
    TEST_EQ_INT(fake_resume_at, 0); /* new messages */
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
    fake_advance(0);
    STATE(s, MO_SUB_CONNECTING);
    TEST_EQ_INT(fake_resume_at, 6);
    TEST_EQ_INT(fake_page, 7);
    TEST_EQ_INT(st->resubscribes, 1);
    heartbeat();
    STATE(s, MO_SUB_UP);
    TEST_EQ_INT(ups, 1); /* owner->up once per subscription */
    item(6, 7);
    TEST_EQ_INT(st->resumes[MO_CONT_RESUME_EXACT], 1);

    /* UP -> BACKOFF, a failure: backoff, then CONNECTING again */
    finish(GRPC_STATUS_UNAVAILABLE, "connection reset");
    STATE(s, MO_SUB_BACKOFF);
    fake_advance(0);
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
    int opens = fake_opens;
    mo_sub_start(s);
    finish(GRPC_STATUS_UNAVAILABLE, "failed to connect");
    STATE(s, MO_SUB_BACKOFF);
    fake_advance(settings.backoff_initial_us / 4 - 1); /* jitter never takes it below a quarter */
    STATE(s, MO_SUB_BACKOFF);
    fake_step();
    STATE(s, MO_SUB_CONNECTING);
    TEST_EQ_INT(fake_opens, opens + 2);
    /* an open that starts nothing: BACKOFF from within to_connecting */
    finish(GRPC_STATUS_UNAVAILABLE, "failed to connect");
    fake_fail_open = true;
    fake_step();
    STATE(s, MO_SUB_BACKOFF);
    TEST_CHECK(fake_n_calls == 0);
    TEST_EQ_INT(mo_sub_stats(s)->ends[MO_END_ERROR], 3);
    fake_step();
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
    fake_advance(0);
    STATE(s, MO_SUB_STOPPED);
    TEST_EQ_INT(stops, 1);
    mo_sub_stop(s); /* a second stop does nothing */
    fake_advance(MO_USEC_PER_SEC);
    TEST_EQ_INT(stops, 1);
    done(s);
}

/* The idle watchdog: CONNECTING -> SILENT and UP -> SILENT, then BACKOFF;
 * traffic re-arms it lazily; SILENT -> STOPPING and SILENT -> MOVING. */
static void test_silent(void)
{
    mo_sub *s = new_sub();
    mo_sub_start(s);
    fake_advance(settings.idle_timeout_us);
    STATE(s, MO_SUB_SILENT);
    TEST_CHECK(cancelled_with(GRPC_STATUS_DEADLINE_EXCEEDED));
    finish(GRPC_STATUS_OK, "");
    STATE(s, MO_SUB_BACKOFF);
    TEST_EQ_INT(mo_sub_stats(s)->ends[MO_END_IDLE], 1);
    fake_advance(settings.backoff_max_us);
    STATE(s, MO_SUB_CONNECTING);

    heartbeat();
    for (int i = 0; i < 5; i++) { /* a heartbeat every 0.6 s: never silent */
        fake_advance(600 * MO_USEC_PER_MSEC);
        heartbeat();
    }
    STATE(s, MO_SUB_UP);
    TEST_EQ_INT(mo_sub_stats(s)->max_silence_us, 600 * MO_USEC_PER_MSEC);
    fake_advance(settings.idle_timeout_us);
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
    fake_advance(settings.idle_timeout_us);
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
    int opens0 = fake_opens;
    mo_sub *s = new_sub();
    mo_sub_stop(s);
    STATE(s, MO_SUB_STOPPING);
    fake_advance(0);
    STATE(s, MO_SUB_STOPPED);
    TEST_EQ_INT(stops, 1);
    TEST_EQ_INT(fake_opens, opens0);
    done(s);

    /* IDLE -> MOVING -> STOPPED -> CONNECTING (restart) */
    int opens = fake_opens;
    s = new_sub();
    restart_on_stop = true;
    mo_sub_stop_to_move(s);
    STATE(s, MO_SUB_MOVING);
    fake_advance(0);
    STATE(s, MO_SUB_CONNECTING);
    TEST_EQ_INT(fake_opens, opens + 1);
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
    TEST_CHECK(cancelled_with(GRPC_STATUS_CANCELLED));
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
    TEST_EQ_INT(fake_resume_at, 3);
    TEST_EQ_INT(fake_page, 9);
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
    fake_advance(0);
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
    TEST_EQ_INT(fake_resume_at, 42);
    TEST_EQ_INT(fake_page, 4);
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
    mo_budget_set(&budget, 1000, 1000, fake_now_us);
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
