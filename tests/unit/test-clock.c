/* Unit tests for the clocks (src/lib/clock.c): both tick, in their units, and
 * tests can replace them. Writing times as text is tested in test-timefmt.c. */
#include <config.h>

#include <time.h>

#include "clock.h"
#include "test.h"

static uint64_t fake_mono(void) { return 42; }
static int64_t fake_real(void) { return -7; }

int main(void)
{
    /* real time in nanoseconds: the C library's seconds, give or take one */
    time_t before = time(NULL);
    int64_t real = mo_real_ns();
    time_t after = time(NULL);
    TEST_CHECK(real / MO_NSEC_PER_SEC >= (int64_t)before - 1);
    TEST_CHECK(real / MO_NSEC_PER_SEC <= (int64_t)after + 1);

    /* monotonic time in microseconds never goes back, and a 20 ms sleep shows */
    uint64_t m0 = mo_mono_us();
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
    uint64_t m1 = mo_mono_us();
    TEST_CHECK(m1 >= m0 + 20 * MO_USEC_PER_MSEC);
    TEST_CHECK(m1 - m0 < 60 * MO_USEC_PER_SEC); /* microseconds, not nanoseconds */

    /* the test hooks, and back */
    mo_clock_override(fake_mono, fake_real);
    TEST_EQ_INT(mo_mono_us(), 42);
    TEST_EQ_INT(mo_real_ns(), -7);
    mo_clock_override(NULL, NULL);
    TEST_CHECK(mo_mono_us() >= m1);
    return test_result("test-clock");
}
