/* Unit tests for the resubscribe delay: none after a healthy stream, doubling
 * per consecutive failure up to the maximum, jitter within a fifth and never
 * below the initial delay, no overflow at the ends of uint64. */
#include <config.h>

#include "sub/backoff.h"
#include "test.h"

#define MS 1000ull
#define MAX UINT64_MAX

static void test_no_failure(void)
{
    /* a healthy stream ended: at once, whatever the settings and the dice */
    TEST_EQ_INT(mo_backoff_delay(100 * MS, 30000 * MS, 0, 0), 0);
    TEST_EQ_INT(mo_backoff_delay(100 * MS, 30000 * MS, 0, 12345), 0);
    TEST_EQ_INT(mo_backoff_delay(MAX, MAX, 0, MAX), 0);
}

static void test_doubling(void)
{
    /* random 0: no jitter taken off */
    static const uint64_t want[] = {0, 100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000};
    for (unsigned f = 1; f < sizeof want / sizeof want[0]; f++)
        TEST_EQ_INT(mo_backoff_delay(100 * MS, 5000 * MS, f, 0), want[f] * MS);
    /* many failures: still the maximum, no overflow of the doubling */
    TEST_EQ_INT(mo_backoff_delay(100 * MS, 5000 * MS, 1000000, 0), 5000 * MS);
    TEST_EQ_INT(mo_backoff_delay(100 * MS, 5000 * MS, ~0u, 0), 5000 * MS);
    /* a maximum that is not a power of two times the initial delay */
    TEST_EQ_INT(mo_backoff_delay(300 * MS, 1000 * MS, 3, 0), 1000 * MS);
    /* initial equal to the maximum: constant */
    for (unsigned f = 1; f < 5; f++)
        TEST_EQ_INT(mo_backoff_delay(250 * MS, 250 * MS, f, 0), 250 * MS);
    /* initial above the maximum: the initial delay wins */
    TEST_EQ_INT(mo_backoff_delay(500 * MS, 100 * MS, 1, 0), 500 * MS);
    TEST_EQ_INT(mo_backoff_delay(500 * MS, 100 * MS, 9, 0), 500 * MS);
}

static void test_jitter(void)
{
    /* at most a fifth less, never below the initial delay */
    int bad = 0;
    for (unsigned f = 1; f <= 8; f++)
        for (uint64_t r = 0; r < 5000; r += 7) {
            uint64_t full = mo_backoff_delay(100 * MS, 5000 * MS, f, 0);
            uint64_t d = mo_backoff_delay(100 * MS, 5000 * MS, f, r * 977);
            if (d > full || d < full - full / 5 || d < 100 * MS)
                bad++;
        }
    TEST_EQ_INT(bad, 0);
    /* the jitter is random % (delay / 5) */
    TEST_EQ_INT(mo_backoff_delay(100 * MS, 5000 * MS, 3, 1234), 400 * MS - 1234);
    TEST_EQ_INT(mo_backoff_delay(100 * MS, 5000 * MS, 3, 80 * MS), 400 * MS); /* 80 ms % 80 ms */
    /* the first failure cannot go below initial: jitter is cut off there */
    TEST_EQ_INT(mo_backoff_delay(100 * MS, 5000 * MS, 1, 19 * MS), 100 * MS);
    /* a delay too small for a fifth to be a microsecond: no jitter */
    TEST_EQ_INT(mo_backoff_delay(4, 4, 1, 3), 4);
    TEST_EQ_INT(mo_backoff_delay(0, 0, 1, 3), 0);
    TEST_EQ_INT(mo_backoff_delay(0, 1000, 5, 3), 0); /* 0 doubles to 0 */
}

static void test_extremes(void)
{
    /* at the top of uint64: capped, not wrapped */
    TEST_CHECK(mo_backoff_delay(MAX / 2 + 1, MAX, 2, 0) == MAX);
    TEST_CHECK(mo_backoff_delay(MAX / 3, MAX, 3, 0) == MAX);
    TEST_CHECK(mo_backoff_delay(MAX, MAX, 64, 0) == MAX);
    uint64_t d = mo_backoff_delay(1, MAX, 64, MAX);
    TEST_CHECK(d <= (1ull << 63) && d >= (1ull << 63) - (1ull << 63) / 5);
}

int main(void)
{
    test_no_failure();
    test_doubling();
    test_jitter();
    test_extremes();
    return test_result("test-backoff");
}
