/* Unit tests for the canary's open-loop schedule: every probe's moment exact
 * in integers at rates that divide a second and one that does not (3/s), no
 * drift after a million probes, every due probe taken once and in order after
 * a stall, nothing before the start, and a new rate from now with the
 * numbering going on. */
#include <config.h>

#include "canary/schedule.h"
#include "test.h"

#define S 1000000ull /* µs */

/* due(k) = t0 + floor((k - first) * 10^9 / rate_milli), in 128 bits so that
 * the reference itself cannot overflow */
static uint64_t want_due(uint64_t t0, uint64_t first, uint64_t rate_milli, uint64_t k)
{
    unsigned __int128 n = (unsigned __int128)(k - first) * 1000000000u;
    return t0 + (uint64_t)(n / rate_milli);
}

static void test_init(void)
{
    struct mo_sched s;
    mo_sched_init(&s, 1000);
    TEST_CHECK(!s.started);
    TEST_EQ_INT(s.rate_milli, 1000);
    TEST_EQ_INT(s.first, 1);
    TEST_EQ_INT(s.next, 1);
    /* nothing is taken before the start, however late it is */
    uint64_t seq = 77, due = 77;
    TEST_CHECK(!mo_sched_take(&s, 0, &seq, &due));
    TEST_CHECK(!mo_sched_take(&s, 1000 * S, &seq, &due));
    TEST_CHECK(!mo_sched_take(&s, UINT64_MAX, &seq, &due));
    TEST_EQ_INT(seq, 77);
    TEST_EQ_INT(due, 77);
    TEST_EQ_INT(s.next, 1);
}

/* The first steps at each rate, written out. */
static void test_steps(void)
{
    static const struct {
        uint64_t rate_milli;
        uint64_t step[4]; /* due(k + 1) - due(k) for k = 1..4 */
    } cases[] = {
        {100, {10 * S, 10 * S, 10 * S, 10 * S}},      /* 0.1/s */
        {1000, {S, S, S, S}},                         /* 1/s */
        {3000, {333333, 333333, 333334, 333333}},     /* 3/s: a second does not divide */
        {100000, {10000, 10000, 10000, 10000}},       /* 100/s */
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        struct mo_sched s;
        mo_sched_init(&s, cases[c].rate_milli);
        mo_sched_start(&s, 5 * S);
        TEST_EQ_INT(mo_sched_due(&s, 1), 5 * S);
        TEST_EQ_INT(mo_sched_next_due(&s), 5 * S);
        for (uint64_t k = 1; k <= 4; k++)
            TEST_EQ_INT(mo_sched_due(&s, k + 1) - mo_sched_due(&s, k), cases[c].step[k - 1]);
    }
    /* 3/s: every third probe lands on a whole second */
    struct mo_sched s;
    mo_sched_init(&s, 3000);
    mo_sched_start(&s, 0);
    TEST_EQ_INT(mo_sched_due(&s, 2), 333333);
    TEST_EQ_INT(mo_sched_due(&s, 3), 666666);
    TEST_EQ_INT(mo_sched_due(&s, 4), S);
    TEST_EQ_INT(mo_sched_due(&s, 7), 2 * S);
    TEST_EQ_INT(mo_sched_due(&s, 3001), 1000 * S);
}

/* A million probes at each rate: every moment is the exact formula, so the
 * schedule never drifts; and far out (10^12 probes) it still is. */
static void test_no_drift(void)
{
    static const uint64_t rates[] = {100, 1000, 3000, 7, 100000, 99999};
    for (size_t c = 0; c < sizeof rates / sizeof rates[0]; c++) {
        struct mo_sched s;
        mo_sched_init(&s, rates[c]);
        const uint64_t t0 = 123456789;
        mo_sched_start(&s, t0);
        int bad = 0;
        uint64_t prev = 0;
        for (uint64_t k = 1; k <= 1000001; k++) {
            uint64_t d = mo_sched_due(&s, k);
            if (d != want_due(t0, 1, rates[c], k) || (k > 1 && d <= prev))
                bad++;
            prev = d;
        }
        TEST_EQ_INT(bad, 0);
        /* the millionth step is exactly 10^6 steps of 10^9 / rate, floored once */
        TEST_EQ_INT(mo_sched_due(&s, 1000001) - t0, want_due(0, 0, rates[c], 1000000));
        for (uint64_t k = 1000000000000ull; k < 1000000000000ull + 1000; k += 37)
            if (mo_sched_due(&s, k) != want_due(t0, 1, rates[c], k))
                bad++;
        TEST_EQ_INT(bad, 0);
    }
    /* 3/s over 10^6 probes: exactly 333333.33... s, floored once */
    struct mo_sched s;
    mo_sched_init(&s, 3000);
    mo_sched_start(&s, 0);
    TEST_EQ_INT(mo_sched_due(&s, 1000001), 333333333333ull);
    TEST_EQ_INT(mo_sched_due(&s, 3000001), 1000000 * S);
}

/* take(): each probe once, in order, at its own moment. */
static void test_take(void)
{
    struct mo_sched s;
    uint64_t seq, due;
    mo_sched_init(&s, 1000);
    const uint64_t t0 = 10 * S;
    mo_sched_start(&s, t0);
    TEST_CHECK(mo_sched_take(&s, t0, &seq, &due));
    TEST_EQ_INT(seq, 1);
    TEST_EQ_INT(due, t0);
    TEST_CHECK(!mo_sched_take(&s, t0, &seq, &due));
    TEST_CHECK(!mo_sched_take(&s, t0 + S - 1, &seq, &due));
    TEST_EQ_INT(mo_sched_next_due(&s), t0 + S);
    TEST_CHECK(mo_sched_take(&s, t0 + S, &seq, &due)); /* exactly at its moment */
    TEST_EQ_INT(seq, 2);
    TEST_EQ_INT(due, t0 + S);
    /* a 2 s stall: two probes at once, each with its own moment */
    uint64_t now = t0 + 3 * S + 400000;
    TEST_CHECK(mo_sched_take(&s, now, &seq, &due));
    TEST_EQ_INT(seq, 3);
    TEST_EQ_INT(due, t0 + 2 * S);
    TEST_CHECK(mo_sched_take(&s, now, &seq, &due));
    TEST_EQ_INT(seq, 4);
    TEST_EQ_INT(due, t0 + 3 * S);
    TEST_CHECK(!mo_sched_take(&s, now, &seq, &due));
    TEST_EQ_INT(s.next, 5);
    /* the stall moved nothing after it */
    TEST_CHECK(mo_sched_take(&s, t0 + 4 * S, &seq, &due));
    TEST_EQ_INT(seq, 5);
    TEST_EQ_INT(due, t0 + 4 * S);

    /* 3/s, a 10 s stall: 31 probes (the 31st due exactly at its end), in
     * order, with the exact moments */
    mo_sched_init(&s, 3000);
    mo_sched_start(&s, 0);
    int bad = 0;
    uint64_t want = 1, n = 0;
    while (mo_sched_take(&s, 10 * S, &seq, &due)) {
        if (seq != want++ || due != want_due(0, 1, 3000, seq) || due > 10 * S)
            bad++;
        n++;
    }
    TEST_EQ_INT(bad, 0);
    TEST_EQ_INT(n, 31);
    TEST_EQ_INT(mo_sched_next_due(&s), 10 * S + 333333);

    /* 100/s, an hour's stall: 360000 probes and one, each once */
    mo_sched_init(&s, 100000);
    mo_sched_start(&s, S);
    n = 0;
    bad = 0;
    want = 1;
    while (mo_sched_take(&s, S + 3600 * S, &seq, &due)) {
        if (seq != want++ || due != S + (seq - 1) * 10000)
            bad++;
        n++;
    }
    TEST_EQ_INT(bad, 0);
    TEST_EQ_INT(n, 360001);
    TEST_CHECK(!mo_sched_take(&s, S + 3600 * S, &seq, &due));
}

/* A new rate starts a new schedule from the moment it is given, the
 * numbering going on. */
static void test_rebase(void)
{
    struct mo_sched s;
    uint64_t seq, due;
    mo_sched_init(&s, 1000);
    mo_sched_start(&s, 0);
    for (int i = 0; i < 5; i++)
        TEST_CHECK(mo_sched_take(&s, 4 * S, &seq, &due));
    TEST_EQ_INT(seq, 5);
    /* at 4.5 s, 3/s: probe 6 due at once, then every 1/3 s from 4.5 s */
    const uint64_t at = 4 * S + 500000;
    mo_sched_rebase(&s, 3000, at);
    TEST_EQ_INT(s.rate_milli, 3000);
    TEST_EQ_INT(s.first, 6);
    TEST_EQ_INT(s.next, 6);
    TEST_EQ_INT(mo_sched_next_due(&s), at);
    TEST_EQ_INT(mo_sched_due(&s, 7), at + 333333);
    TEST_EQ_INT(mo_sched_due(&s, 8), at + 666666);
    TEST_EQ_INT(mo_sched_due(&s, 9), at + S);
    TEST_CHECK(mo_sched_take(&s, at, &seq, &due));
    TEST_EQ_INT(seq, 6);
    TEST_EQ_INT(due, at);
    TEST_CHECK(!mo_sched_take(&s, at + 333332, &seq, &due));
    TEST_CHECK(mo_sched_take(&s, at + 333333, &seq, &due));
    TEST_EQ_INT(seq, 7);
    TEST_EQ_INT(due, at + 333333);
    /* a rebase with probes overdue: they are not taken at the old moments,
     * the next one is due at the new start */
    mo_sched_rebase(&s, 100, at + 10 * S);
    TEST_EQ_INT(s.next, 8);
    TEST_CHECK(!mo_sched_take(&s, at + 10 * S - 1, &seq, &due));
    TEST_CHECK(mo_sched_take(&s, at + 10 * S, &seq, &due));
    TEST_EQ_INT(seq, 8);
    TEST_EQ_INT(due, at + 10 * S);
    TEST_EQ_INT(mo_sched_next_due(&s), at + 20 * S);
    /* the same rate again: a new start all the same (the caller only rebases
     * on a change) */
    mo_sched_rebase(&s, 100, at + 12 * S);
    TEST_EQ_INT(mo_sched_next_due(&s), at + 12 * S);
    TEST_EQ_INT(s.next, 9);

    /* before the start a rebase only takes the rate */
    mo_sched_init(&s, 1000);
    mo_sched_rebase(&s, 100000, 7 * S);
    TEST_CHECK(!s.started);
    TEST_EQ_INT(s.rate_milli, 100000);
    TEST_CHECK(!mo_sched_take(&s, 100 * S, &seq, &due));
    mo_sched_start(&s, 9 * S);
    TEST_EQ_INT(s.first, 1);
    TEST_CHECK(mo_sched_take(&s, 9 * S, &seq, &due));
    TEST_EQ_INT(seq, 1);
    TEST_EQ_INT(due, 9 * S);
    TEST_EQ_INT(mo_sched_next_due(&s), 9 * S + 10000);
}

int main(void)
{
    test_init();
    test_steps();
    test_no_drift();
    test_take();
    test_rebase();
    return test_result("test-canary-schedule");
}
