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
    struct mo_clockwatch w = {0};
    struct mo_clock_state a = {.error_us = -2}, b = {.error_us = -2};
    mo_clockwatch_check(&w, &a);
    TEST_CHECK(w.known);
    TEST_CHECK(a.error_us >= -1 && a.esterror_us >= -1);
    TEST_EQ_INT(w.synced, a.synced);
    mo_clockwatch_check(&w, &b);
    TEST_EQ_INT(b.synced, a.synced);
}

int main(void)
{
    mo_event_set_format(MO_LOG_JSON);
    test_synced_at_start();
    test_unsynced_at_start();
    test_check_reads_the_clock();
    return test_result("test-clockwatch");
}
