/* Unit tests for the event loop: timer order, re-arming, stopping, signals. */
#include <config.h>

#include <signal.h>
#include <unistd.h>

#include "cleanup.h"
#include "clock.h"
#include "loop.h"
#include "test.h"

static mo_loop *loop;
static int order[16];
static int norder;

struct tt {
    mo_timer t;
    int id;
};

static void on_timer(mo_timer *t)
{
    struct tt *x = container_of(t, struct tt, t);
    order[norder++] = x->id;
    if (x->id == 99)
        mo_loop_quit(loop);
}

static void test_timers(void)
{
    struct tt t[6];
    for (int i = 0; i < 6; i++) {
        mo_timer_init(&t[i].t, on_timer);
        t[i].id = i;
    }
    /* armed out of order, one re-armed, one stopped */
    mo_timer_start(loop, &t[3].t, 30000);
    mo_timer_start(loop, &t[1].t, 10000);
    mo_timer_start(loop, &t[4].t, 40000);
    mo_timer_start(loop, &t[2].t, 20000);
    mo_timer_start(loop, &t[0].t, 1000);
    mo_timer_start(loop, &t[5].t, 5000);
    mo_timer_start(loop, &t[5].t, 35000); /* re-arm later */
    mo_timer_stop(loop, &t[2].t);
    TEST_CHECK(!mo_timer_armed(&t[2].t));
    TEST_CHECK(mo_timer_armed(&t[3].t));
    struct tt last = {.id = 99};
    mo_timer_init(&last.t, on_timer);
    mo_timer_start(loop, &last.t, 60000);
    uint64_t t0 = mo_mono_us();
    mo_loop_run(loop);
    uint64_t took = mo_mono_us() - t0;
    TEST_EQ_INT(norder, 6);
    const int want[] = {0, 1, 3, 5, 4, 99};
    for (int i = 0; i < 6; i++)
        TEST_EQ_INT(order[i], want[i]);
    TEST_CHECK(took >= 60000);
}

static int got_signal;
static void on_signal(int signo, void *ud)
{
    (void)ud;
    got_signal = signo;
    mo_loop_quit(loop);
}

static struct tt guard;
static void test_signals(void)
{
    /* the guard timer ends the loop if the signal never arrives */
    mo_timer_init(&guard.t, on_timer);
    guard.id = 99;
    mo_timer_start(loop, &guard.t, 5 * MO_USEC_PER_SEC);
    TEST_EQ_INT(mo_loop_watch_signals(loop, on_signal, NULL), 0);
    kill(getpid(), SIGUSR1);
    mo_loop_run(loop);
    TEST_EQ_INT(got_signal, SIGUSR1);
    TEST_CHECK(mo_timer_armed(&guard.t)); /* woken by the signal, not the guard */
    mo_timer_stop(loop, &guard.t);
}

int main(void)
{
    const int sigs[] = {SIGUSR1};
    TEST_EQ_INT(mo_signals_block(sigs, 1), 0);
    grpc_init();
    TEST_EQ_INT(mo_loop_new(&loop), 0);
    test_timers();
    test_signals();
    mo_loop_free(loop);
    grpc_shutdown();
    return test_result("test-loop");
}
