/* Unit tests for the clock watch (src/daemon/latency/clockwatch.c): which
 * readings of the clock's synchronisation make an event, and which do not. */
#include <config.h>

#include "latency/clockwatch.h"
#include "log/event.h"
#include "test.h"

static void test_synced_at_start(void)
{
    struct mo_clockwatch w = {0};
    TEST_EQ_INT(mo_clockwatch_step(&w, true, 100), MO_CLOCK_SAME); /* nothing to say */
    TEST_CHECK(w.known && w.synced);
    TEST_EQ_INT(mo_clockwatch_step(&w, true, 200), MO_CLOCK_SAME);
    TEST_EQ_INT(mo_clockwatch_step(&w, false, 300), MO_CLOCK_LOST);
    TEST_EQ_INT(w.since_us, 300);
    TEST_EQ_INT(mo_clockwatch_step(&w, false, 400), MO_CLOCK_SAME); /* said once */
    TEST_EQ_INT(w.since_us, 300);
    TEST_EQ_INT(mo_clockwatch_step(&w, true, 900), MO_CLOCK_REGAINED);
    TEST_EQ_INT(w.since_us, 900);
    TEST_EQ_INT(mo_clockwatch_step(&w, true, 1000), MO_CLOCK_SAME);
}

static void test_unsynced_at_start(void)
{
    struct mo_clockwatch w = {0};
    TEST_EQ_INT(mo_clockwatch_step(&w, false, 5), MO_CLOCK_UNSYNCED_AT_START);
    TEST_EQ_INT(mo_clockwatch_step(&w, false, 6), MO_CLOCK_SAME);
    TEST_EQ_INT(mo_clockwatch_step(&w, true, 7), MO_CLOCK_REGAINED);
    TEST_EQ_INT(mo_clockwatch_step(&w, false, 8), MO_CLOCK_LOST); /* not "at start" again */
}

static void test_check_reads_the_clock(void)
{
    /* the real clock: whatever its state, the reading comes back and a second
     * check of an unchanged state is silent */
    struct mo_clockwatch w;
    TEST_EQ_INT(mo_clockwatch_init(&w, MO_CLOCK_ADJTIMEX, NULL), 0);
    struct mo_clock_reading a = {.bound_us = -2}, b = {.bound_us = -2};
    mo_clockwatch_check(&w, &a);
    TEST_CHECK(w.known);
    TEST_EQ_INT(a.source, MO_SOURCE_ADJTIMEX);
    TEST_CHECK(!a.cb_looked);
    TEST_EQ_INT(a.bound_us, a.kernel.error_us);
    TEST_EQ_INT(w.bound_us, a.bound_us);
    TEST_EQ_INT(w.synced, a.kernel.synced);
    mo_clockwatch_check(&w, &b);
    TEST_EQ_INT(b.kernel.synced, a.kernel.synced);
    mo_clockwatch_fini(&w);
}

static struct mo_clock_reading reading(enum mo_clock_source src, int64_t bound, enum mo_cb_state st)
{
    return (struct mo_clock_reading){.source = src, .bound_us = bound, .cb_looked = true,
                                     .cb_state = st, .status = MO_CB_SYNCHRONIZED};
}

/* which source readings are said, and the interval's largest bound */
static void test_source_steps(void)
{
    struct mo_clockwatch w;
    /* clock.source clockbound, not usable at start: said */
    TEST_EQ_INT(mo_clockwatch_init(&w, MO_CLOCK_CLOCKBOUND, "/nonexistent/shm0"), 0);
    struct mo_clock_reading r = reading(MO_SOURCE_ADJTIMEX, 16000, MO_CB_ABSENT);
    TEST_EQ_INT(mo_clockwatch_source_step(&w, &r), MO_SOURCE_UNUSABLE_AT_START);
    TEST_EQ_INT(w.bound_us, 16000);
    r = reading(MO_SOURCE_ADJTIMEX, 15000, MO_CB_ABSENT);
    TEST_EQ_INT(mo_clockwatch_source_step(&w, &r), MO_SOURCE_SAME); /* said once */
    r = reading(MO_SOURCE_CLOCKBOUND, 350, MO_CB_GOOD);
    TEST_EQ_INT(mo_clockwatch_source_step(&w, &r), MO_SOURCE_BACK);
    TEST_EQ_INT(w.bound_us, 350);
    r = reading(MO_SOURCE_ADJTIMEX, 900, MO_CB_STALE);
    TEST_EQ_INT(mo_clockwatch_source_step(&w, &r), MO_SOURCE_FELL_BACK);
    /* the largest bound of the interval, then the next starts at the current one */
    struct mo_clock_summary sum;
    mo_clockwatch_summary(&w, false, &sum);
    TEST_EQ_INT(sum.bound_us, 16000);
    TEST_EQ_INT(sum.source, MO_SOURCE_ADJTIMEX);
    mo_clockwatch_summary(&w, true, &sum);
    TEST_EQ_INT(sum.bound_us, 16000);
    mo_clockwatch_summary(&w, true, &sum);
    TEST_EQ_INT(sum.bound_us, 900);
    mo_clockwatch_fini(&w);

    /* auto: no segment is the normal case, a bad one is said */
    TEST_EQ_INT(mo_clockwatch_init(&w, MO_CLOCK_AUTO, NULL), 0);
    r = reading(MO_SOURCE_ADJTIMEX, 100, MO_CB_ABSENT);
    TEST_EQ_INT(mo_clockwatch_source_step(&w, &r), MO_SOURCE_SAME);
    mo_clockwatch_fini(&w);
    TEST_EQ_INT(mo_clockwatch_init(&w, MO_CLOCK_AUTO, NULL), 0);
    r = reading(MO_SOURCE_ADJTIMEX, 100, MO_CB_BAD);
    TEST_EQ_INT(mo_clockwatch_source_step(&w, &r), MO_SOURCE_UNUSABLE_AT_START);
    mo_clockwatch_fini(&w);
    /* a good segment at start: nothing to say */
    TEST_EQ_INT(mo_clockwatch_init(&w, MO_CLOCK_AUTO, NULL), 0);
    r = reading(MO_SOURCE_CLOCKBOUND, 40, MO_CB_GOOD);
    TEST_EQ_INT(mo_clockwatch_source_step(&w, &r), MO_SOURCE_SAME);
    /* a reload to the same keys keeps the source; to others makes a new one */
    bool changed = true;
    TEST_EQ_INT(mo_clockwatch_configure(&w, MO_CLOCK_AUTO, NULL, &changed), 0);
    TEST_CHECK(!changed);
    TEST_EQ_INT(mo_clockwatch_configure(&w, MO_CLOCK_AUTO, "/x/shm0", &changed), 0);
    TEST_CHECK(changed);
    TEST_EQ_INT(mo_clockwatch_configure(&w, MO_CLOCK_AUTO, "/x/shm0", &changed), 0);
    TEST_CHECK(!changed);
    TEST_EQ_INT(mo_clockwatch_configure(&w, MO_CLOCK_ADJTIMEX, "/x/shm0", &changed), 0);
    TEST_CHECK(changed);
    mo_clockwatch_fini(&w);
}

int main(void)
{
    mo_event_set_format(MO_LOG_JSON);
    test_synced_at_start();
    test_unsynced_at_start();
    test_check_reads_the_clock();
    test_source_steps();
    return test_result("test-clockwatch");
}
