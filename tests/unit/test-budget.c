/* Unit tests for the token bucket (budget.h) and the reason tally (reasons.h). */
#include <config.h>

#include <stdlib.h>

#include "log/budget.h"
#include "latency/reasons.h"
#include "test.h"

static void test_bucket(void)
{
    struct mo_budget b = {0};
    mo_budget_set(&b, 100, 10, 5000000);
    /* starts full: a burst of 10, then nothing until time passes */
    for (int i = 0; i < 10; i++)
        TEST_CHECK(mo_budget_take(&b, 5000000));
    TEST_CHECK(!mo_budget_take(&b, 5000000));
    TEST_CHECK(!mo_budget_take(&b, 5009999)); /* 9.999 ms at 100/s: 0.9999 of a token */
    TEST_CHECK(mo_budget_take(&b, 5010000));
    TEST_CHECK(!mo_budget_take(&b, 5010000));
    /* a long pause fills it to the burst, no more */
    int n = 0;
    while (mo_budget_take(&b, 3600000000ULL))
        n++;
    TEST_EQ_INT(n, 10);
    /* a clock that does not move (or goes back) brings nothing */
    TEST_CHECK(!mo_budget_take(&b, 3500000000ULL));

    /* a reload keeps what is saved, up to the new burst */
    mo_budget_set(&b, 100, 10, 3600100000ULL); /* 100 ms later: 10 tokens */
    mo_budget_set(&b, 1, 3, 3600100000ULL);
    n = 0;
    while (mo_budget_take(&b, 3600100000ULL))
        n++;
    TEST_EQ_INT(n, 3);
    TEST_CHECK(!mo_budget_take(&b, 3600100999ULL));
    TEST_CHECK(mo_budget_take(&b, 3601100000ULL)); /* 1 s at 1/s */

    /* the largest values neither overflow nor lose tokens */
    struct mo_budget big = {0};
    mo_budget_set(&big, 1000000, 1000000, 0);
    n = 0;
    while (mo_budget_take(&big, 0))
        n++;
    TEST_EQ_INT(n, 1000000);
    TEST_CHECK(!mo_budget_take(&big, 0));
    TEST_CHECK(mo_budget_take(&big, 1)); /* 1 us at 1e6/s */
    TEST_CHECK(mo_budget_take(&big, UINT64_MAX / 2));
}

/* Over any span of T seconds at most burst + rate * T pass, and with demand
 * all the time nearly that many do. Random arrival times, every span checked. */
static void test_bucket_spans(void)
{
    enum { N = 3000 };
    static uint64_t at[N];
    const uint64_t rates[] = {1, 7, 100, 2500};
    unsigned seed = 12345;
    for (size_t k = 0; k < sizeof rates / sizeof rates[0]; k++) {
        uint64_t rate = rates[k], burst = k == 0 ? 1 : rate / 2 + 3;
        struct mo_budget b = {0};
        uint64_t t = 1000000;
        mo_budget_set(&b, rate, burst, t);
        size_t passed = 0;
        uint64_t tries = 0;
        while (passed < N) {
            t += (uint64_t)rand_r(&seed) % (1000000 / rate + 1); /* twice as many as pass */
            tries++;
            if (mo_budget_take(&b, t))
                at[passed++] = t;
        }
        int bad = 0;
        for (size_t i = 0; i < N && !bad; i++)
            for (size_t j = i; j < N; j++) {
                /* events i..j lie within at[j] - at[i] microseconds */
                uint64_t allowed = burst + (at[j] - at[i]) * rate / 1000000;
                if (j - i + 1 > allowed) {
                    fprintf(stderr, "rate %llu: %zu events in %llu us\n", (unsigned long long)rate,
                            j - i + 1, (unsigned long long)(at[j] - at[i]));
                    bad = 1;
                    break;
                }
            }
        TEST_EQ_INT(bad, 0);
        TEST_CHECK(tries > N); /* some were refused: the bucket did limit */
    }
    /* steady demand every 100 us for 10 s at 50/s, burst 50: 50 + 500 pass */
    struct mo_budget b = {0};
    mo_budget_set(&b, 50, 50, 0);
    int n = 0;
    for (uint64_t t = 0; t <= 10000000; t += 100)
        n += mo_budget_take(&b, t);
    TEST_EQ_INT(n, 550);
}

static void test_kinds(void)
{
    char k[MO_REASON_KIND_MAX];
    mo_reasons_kind("invalid JSON at byte 12", k, sizeof k);
    TEST_EQ_STR(k, "invalid JSON at byte N");
    mo_reasons_kind("payload is 7 bytes; a u64be at offset 16 needs 24", k, sizeof k);
    TEST_EQ_STR(k, "payload is N bytes; a u64be at offset N needs N");
    mo_reasons_kind("timestamp \"12:3\\\"4 x\" is not RFC 3339: month 13", k, sizeof k);
    TEST_EQ_STR(k, "timestamp \"...\" is not RFC 3339: month N");
    mo_reasons_kind("field meta.v2 missing (no meta)", k, sizeof k);
    TEST_EQ_STR(k, "field meta.v2 missing (no meta)");
    mo_reasons_kind("timestamp out of range: 1.5e+20 as epoch_ms", k, sizeof k);
    TEST_EQ_STR(k, "timestamp out of range: N.Ne+N as epoch_ms");
    mo_reasons_kind("unterminated \"quote", k, sizeof k);
    TEST_EQ_STR(k, "unterminated \"...\"");
    mo_reasons_kind("0", k, sizeof k);
    TEST_EQ_STR(k, "N");
    mo_reasons_kind("abcdefgh", k, 5);
    TEST_EQ_STR(k, "abcd");
    mo_reasons_kind("ab \"x\"", k, 6); /* a quote's replacement is not cut in half */
    TEST_EQ_STR(k, "ab ");
}

static void test_tally(void)
{
    struct mo_reasons r = {0};
    char buf[512];
    mo_reasons_format(&r, 3, buf, sizeof buf);
    TEST_EQ_STR(buf, "");
    for (int i = 0; i < 5; i++) {
        char reason[64];
        snprintf(reason, sizeof reason, "invalid JSON at byte %d", i * 7);
        mo_reasons_add(&r, reason, 1);
    }
    mo_reasons_add(&r, "empty payload", 1);
    mo_reasons_add(&r, "field timestamp missing", 2);
    mo_reasons_add(&r, "payload is only white space", 2);
    mo_reasons_format(&r, 3, buf, sizeof buf);
    /* the most frequent first; equal counts in the order first seen */
    TEST_EQ_STR(buf, "5: invalid JSON at byte N | 2: field timestamp missing | "
                     "2: payload is only white space | 1: other reasons");
    mo_reasons_format(&r, 1, buf, sizeof buf);
    TEST_EQ_STR(buf, "5: invalid JSON at byte N | 5: other reasons");
    mo_reasons_format(&r, 3, buf, 40); /* cut at a whole entry */
    TEST_EQ_STR(buf, "5: invalid JSON at byte N");

    /* past MO_REASONS_MAX kinds, the rest are other reasons; merge adds up */
    struct mo_reasons total = {0};
    for (int i = 0; i < MO_REASONS_MAX + 4; i++) {
        char reason[64];
        snprintf(reason, sizeof reason, "kind %c", 'a' + i);
        mo_reasons_add(&total, reason, (uint64_t)i + 1);
    }
    TEST_EQ_INT(total.n, MO_REASONS_MAX);
    TEST_EQ_INT(total.other, 9 + 10 + 11 + 12);
    mo_reasons_merge(&total, &r);
    mo_reasons_format(&total, 3, buf, sizeof buf);
    uint64_t all = 0;
    for (int i = 0; i < MO_REASONS_MAX + 4; i++)
        all += (uint64_t)i + 1;
    all += 10;
    /* kind h (8) is the largest counted kind, then g, then f; the rest is other */
    char want[256];
    snprintf(want, sizeof want, "8: kind h | 7: kind g | 6: kind f | %llu: other reasons",
             (unsigned long long)(all - 21));
    TEST_EQ_STR(buf, want);
}

int main(void)
{
    test_bucket();
    test_bucket_spans();
    test_kinds();
    test_tally();
    return test_result("test-budget");
}
