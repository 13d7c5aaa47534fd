/* Unit tests for the state file's writer thread (src/daemon/state/saver.c): a
 * job written whole, its outcome polled once, a failure reported with its
 * detail, a waiting job replaced by a newer one (latest wins), the wait's time
 * limit, free writing what still waits, and a job's barrier waited for on the
 * writer's thread before its write, the write going ahead when it times out.
 *
 * state.c's mo_state_write is replaced here by a fake that can be held (a
 * slow disk) and that records what it wrote; the real one is tested in
 * test-state. */
#include <config.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "state/saver.h"
#include "test.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static bool hold;        /* the fake disk blocks while set */
static bool in_write;    /* a write is under way (and blocked if hold) */
static int writes;       /* writes done */
static char written[64]; /* the last bytes written */
static char written_dir[64];

int mo_state_write(const char *dir, const char *buf, size_t len, char *err, size_t err_len)
{
    pthread_mutex_lock(&lock);
    in_write = true;
    pthread_cond_broadcast(&cond);
    while (hold)
        pthread_cond_wait(&cond, &lock);
    in_write = false;
    writes++;
    snprintf(written, sizeof written, "%.*s", (int)len, buf);
    snprintf(written_dir, sizeof written_dir, "%s", dir);
    pthread_mutex_unlock(&lock);
    if (strcmp(dir, "/bad") == 0) {
        snprintf(err, err_len, "cannot create /bad/positions.tmp: Permission denied");
        return -EACCES;
    }
    return 0;
}

static void set_hold(bool h)
{
    pthread_mutex_lock(&lock);
    hold = h;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&lock);
}

/* Waits until the thread is inside a write. */
static void wait_in_write(void)
{
    pthread_mutex_lock(&lock);
    while (!in_write)
        pthread_cond_wait(&cond, &lock);
    pthread_mutex_unlock(&lock);
}

static char *dup_str(const char *s) { return strdup(s); }

/* The fake barrier: what it was called with, where, and before how many writes. */
static pthread_t main_thread;
static bool barrier_result, barrier_off_main;
static int barrier_calls, barrier_writes_before;
static uint64_t barrier_mark, barrier_timeout;

static bool fake_barrier(uint64_t mark, uint64_t timeout_us)
{
    pthread_mutex_lock(&lock);
    barrier_calls++;
    barrier_mark = mark;
    barrier_timeout = timeout_us;
    barrier_writes_before = writes;
    barrier_off_main = !pthread_equal(pthread_self(), main_thread);
    pthread_mutex_unlock(&lock);
    return barrier_result;
}

static void test_barrier(void)
{
    main_thread = pthread_self();
    mo_saver *sv;
    TEST_EQ_INT(mo_saver_new(&sv), 0);
    struct mo_saver_result res;
    int before = writes;

    /* met: waited for on the writer's thread, before the write */
    barrier_result = true;
    const struct mo_saver_barrier b = {fake_barrier, 4242, 300000};
    TEST_EQ_INT(mo_saver_submit(sv, "/ok", dup_str("after-log"), 9, 7, &b), 0);
    TEST_CHECK(mo_saver_wait(sv, 5000000));
    TEST_EQ_INT(barrier_calls, 1);
    TEST_EQ_INT(barrier_mark, 4242);
    TEST_EQ_INT(barrier_timeout, 300000);
    TEST_EQ_INT(barrier_writes_before, before);
    TEST_CHECK(barrier_off_main);
    TEST_EQ_INT(writes - before, 1);
    TEST_EQ_STR(written, "after-log");
    TEST_CHECK(mo_saver_poll(sv, &res));
    TEST_EQ_INT(res.r, 0);
    TEST_CHECK(!res.barrier_missed);

    /* timed out: the save goes ahead all the same, and says so */
    barrier_result = false;
    TEST_EQ_INT(mo_saver_submit(sv, "/ok", dup_str("log-stalled"), 11, 8, &b), 0);
    TEST_CHECK(mo_saver_wait(sv, 5000000));
    TEST_EQ_INT(barrier_calls, 2);
    TEST_EQ_STR(written, "log-stalled");
    TEST_CHECK(mo_saver_poll(sv, &res));
    TEST_EQ_INT(res.r, 0);
    TEST_CHECK(res.barrier_missed);

    /* none: not called */
    TEST_EQ_INT(mo_saver_submit(sv, "/ok", dup_str("plain"), 5, 9, NULL), 0);
    TEST_CHECK(mo_saver_wait(sv, 5000000));
    TEST_EQ_INT(barrier_calls, 2);
    TEST_CHECK(mo_saver_poll(sv, &res));
    TEST_CHECK(!res.barrier_missed);
    mo_saver_free(sv);
}

static void test_saver(void)
{
    mo_saver *sv;
    TEST_EQ_INT(mo_saver_new(&sv), 0);
    struct mo_saver_result res;
    TEST_CHECK(!mo_saver_poll(sv, &res)); /* nothing yet */
    TEST_CHECK(!mo_saver_busy(sv));

    /* one job: written, its outcome polled once */
    TEST_EQ_INT(mo_saver_submit(sv, "/ok", dup_str("one"), 3, 111, NULL), 0);
    TEST_CHECK(mo_saver_wait(sv, 5000000));
    TEST_CHECK(!mo_saver_busy(sv));
    TEST_CHECK(mo_saver_poll(sv, &res));
    TEST_EQ_INT(res.r, 0);
    TEST_EQ_INT(res.submitted_us, 111);
    TEST_EQ_STR(res.dir, "/ok");
    TEST_EQ_STR(written, "one");
    TEST_CHECK(!mo_saver_poll(sv, &res)); /* once */

    /* a failure: its detail comes back */
    TEST_EQ_INT(mo_saver_submit(sv, "/bad", dup_str("two"), 3, 222, NULL), 0);
    TEST_CHECK(mo_saver_wait(sv, 5000000));
    TEST_CHECK(mo_saver_poll(sv, &res));
    TEST_EQ_INT(res.r, -EACCES);
    TEST_EQ_INT(res.submitted_us, 222);
    TEST_EQ_STR(res.err, "cannot create /bad/positions.tmp: Permission denied");

    /* a slow disk: while one write blocks, a second job waits and a third
     * replaces it; the second is never written */
    set_hold(true);
    int before = writes;
    TEST_EQ_INT(mo_saver_submit(sv, "/ok", dup_str("slow"), 4, 1, NULL), 0);
    wait_in_write();
    TEST_CHECK(mo_saver_busy(sv));
    TEST_EQ_INT(mo_saver_submit(sv, "/ok", dup_str("stale"), 5, 2, NULL), 0);
    TEST_EQ_INT(mo_saver_submit(sv, "/ok", dup_str("latest"), 6, 3, NULL), 0);
    /* the time limit: the write is held, so the wait gives up */
    TEST_CHECK(!mo_saver_wait(sv, 20000));
    TEST_CHECK(!mo_saver_poll(sv, &res));
    set_hold(false);
    TEST_CHECK(mo_saver_wait(sv, 5000000));
    TEST_EQ_INT(writes - before, 2); /* "slow", then "latest"; "stale" dropped */
    TEST_EQ_STR(written, "latest");
    TEST_CHECK(mo_saver_poll(sv, &res)); /* the latest outcome */
    TEST_EQ_INT(res.submitted_us, 3);
    TEST_CHECK(!mo_saver_poll(sv, &res));

    /* no buffer: refused */
    TEST_EQ_INT(mo_saver_submit(sv, "/ok", NULL, 0, 4, NULL), -EINVAL);

    /* free writes what still waits, then joins */
    set_hold(true);
    before = writes;
    TEST_EQ_INT(mo_saver_submit(sv, "/ok", dup_str("busy"), 4, 5, NULL), 0);
    wait_in_write();
    TEST_EQ_INT(mo_saver_submit(sv, "/last", dup_str("at-free"), 7, 6, NULL), 0);
    set_hold(false);
    mo_saver_free(sv);
    TEST_EQ_INT(writes - before, 2);
    TEST_EQ_STR(written, "at-free");
    TEST_EQ_STR(written_dir, "/last");
    mo_saver_free(NULL);
}

int main(void)
{
    test_saver();
    test_barrier();
    return test_result("test-saver");
}
