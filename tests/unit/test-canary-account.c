/* Unit tests for what the canary's own probes came to: availability and burn
 * rate, degraded and recovered at the integer edge of the target, intervals
 * that reset while the totals carry on, publish errors by status, out of
 * order, late only past the SLO's latency, and the balance of sent against
 * received, lost and in flight. */
#include <config.h>

#include <math.h>

#include "canary/account.h"
#include "test.h"

#define NEAR(a, b) (fabs((a) - (b)) < 1e-9)

static void test_availability(void)
{
    struct mo_canary_counts c = {0};
    TEST_CHECK(mo_canary_availability(&c) == -1); /* nothing received or lost: none */
    c.sent = 10;                                   /* in flight only: still none */
    TEST_CHECK(mo_canary_availability(&c) == -1);
    c = (struct mo_canary_counts){.received = 998, .late = 3, .lost = 2};
    TEST_CHECK(NEAR(mo_canary_availability(&c), 0.995));
    c = (struct mo_canary_counts){.received = 10};
    TEST_CHECK(mo_canary_availability(&c) == 1);
    c = (struct mo_canary_counts){.lost = 10};
    TEST_CHECK(mo_canary_availability(&c) == 0);
    c = (struct mo_canary_counts){.received = 4, .late = 4};
    TEST_CHECK(mo_canary_availability(&c) == 0);
    /* what arrived after its deadline, duplicates and the like change nothing */
    c = (struct mo_canary_counts){.received = 3, .lost = 1, .after_deadline = 1, .duplicates = 5,
                                  .out_of_order = 2, .too_old = 9, .publish_errors = 4};
    TEST_CHECK(NEAR(mo_canary_availability(&c), 0.75));

    TEST_CHECK(NEAR(mo_canary_burn_rate(0.995, 999000), 5));
    TEST_CHECK(NEAR(mo_canary_burn_rate(0.999, 999000), 1));
    TEST_CHECK(mo_canary_burn_rate(1, 999000) == 0);
    TEST_CHECK(NEAR(mo_canary_burn_rate(0, 999000), 1000));
    TEST_CHECK(NEAR(mo_canary_burn_rate(0.9, 990000), 10));
    TEST_CHECK(mo_canary_burn_rate(-1, 999000) == -1);
}

static void test_counts(void)
{
    struct mo_canary_account a;
    TEST_EQ_INT(mo_canary_account_init(&a, 100000, 999000), 0);
    TEST_CHECK(a.rtt && a.publish);
    TEST_CHECK(!a.degraded);
    TEST_CHECK(mo_canary_account_balanced(&a, 0));
    for (int i = 0; i < 6; i++)
        mo_canary_account_sent(&a, (uint64_t)i * 100);
    TEST_EQ_INT(a.iv.sent, 6);
    TEST_EQ_INT(a.schedule_lag_max_us, 500);
    TEST_CHECK(mo_canary_account_balanced(&a, 6));
    TEST_CHECK(!mo_canary_account_balanced(&a, 5));
    /* late: over slo.latency, not at it */
    mo_canary_account_received(&a, 1, 100000);
    TEST_EQ_INT(a.iv.late, 0);
    mo_canary_account_received(&a, 2, 100001);
    TEST_EQ_INT(a.iv.late, 1);
    mo_canary_account_received(&a, 3, 0);
    TEST_EQ_INT(a.iv.received, 3);
    TEST_EQ_INT(a.iv.out_of_order, 0);
    TEST_EQ_INT(mo_hist_count(a.rtt), 3);
    TEST_EQ_INT(mo_hist_max(a.rtt), 100001);
    TEST_CHECK(mo_canary_account_balanced(&a, 3));
    /* out of order: received after a higher number */
    mo_canary_account_received(&a, 6, 10);
    mo_canary_account_received(&a, 4, 10);
    TEST_EQ_INT(a.iv.out_of_order, 1);
    TEST_EQ_INT(a.highest_received, 6);
    mo_canary_account_lost(&a);
    TEST_EQ_INT(a.iv.lost, 1);
    TEST_CHECK(mo_canary_account_balanced(&a, 0));
    TEST_CHECK(!mo_canary_account_balanced(&a, 1));
    /* what does not change the balance */
    mo_canary_account_after_deadline(&a);
    mo_canary_account_duplicate(&a);
    mo_canary_account_duplicate(&a);
    mo_canary_account_too_old(&a);
    TEST_EQ_INT(a.iv.after_deadline, 1);
    TEST_EQ_INT(a.iv.duplicates, 2);
    TEST_EQ_INT(a.iv.too_old, 1);
    TEST_EQ_INT(a.iv.received, 5);
    TEST_EQ_INT(a.iv.lost, 1);
    TEST_CHECK(mo_canary_account_balanced(&a, 0));
    TEST_EQ_INT(mo_hist_count(a.rtt), 5);

    /* publishes: latency for each, errors by status; codes outside 1..16 as UNKNOWN */
    mo_canary_account_publish(&a, 0, 1500);
    mo_canary_account_publish(&a, 14, 2500);
    mo_canary_account_publish(&a, 14, 2500);
    mo_canary_account_publish(&a, 16, 10);
    mo_canary_account_publish(&a, 2, 10);
    mo_canary_account_publish(&a, 17, 10);
    mo_canary_account_publish(&a, 99, 10);
    mo_canary_account_publish(&a, -1, 10);
    TEST_EQ_INT(a.iv.publishes, 8);
    TEST_EQ_INT(a.iv.publish_errors, 7);
    TEST_EQ_INT(a.iv.publish_errors_by[0], 0);
    TEST_EQ_INT(a.iv.publish_errors_by[14], 2);
    TEST_EQ_INT(a.iv.publish_errors_by[16], 1);
    TEST_EQ_INT(a.iv.publish_errors_by[2], 4);
    uint64_t sum = 0;
    for (int i = 0; i < MO_CANARY_STATUSES; i++)
        sum += a.iv.publish_errors_by[i];
    TEST_EQ_INT(sum, a.iv.publish_errors);
    TEST_EQ_INT(mo_hist_count(a.publish), 8);
    TEST_EQ_INT(a.total.publish_errors_by[2], 4);
    /* publishes are apart from the probes' balance */
    TEST_CHECK(mo_canary_account_balanced(&a, 0));

    /* the interval ends: it starts again, the totals carry on */
    TEST_EQ_INT(mo_canary_account_end_interval(&a), MO_CANARY_DEGRADED); /* 4 of 6 good */
    struct mo_canary_counts zero = {0};
    TEST_CHECK(memcmp(&a.iv, &zero, sizeof zero) == 0);
    TEST_EQ_INT(a.schedule_lag_max_us, 0);
    TEST_EQ_INT(mo_hist_count(a.rtt), 0);
    TEST_EQ_INT(mo_hist_count(a.publish), 0);
    TEST_EQ_INT(a.total.sent, 6);
    TEST_EQ_INT(a.total.received, 5);
    TEST_EQ_INT(a.total.lost, 1);
    TEST_EQ_INT(a.total.late, 1);
    TEST_EQ_INT(a.total.out_of_order, 1);
    TEST_EQ_INT(a.total.after_deadline, 1);
    TEST_EQ_INT(a.total.duplicates, 2);
    TEST_EQ_INT(a.total.too_old, 1);
    TEST_EQ_INT(a.total.publishes, 8);
    TEST_EQ_INT(a.total.publish_errors, 7);
    TEST_EQ_INT(a.total.publish_errors_by[14], 2);
    TEST_CHECK(mo_canary_account_balanced(&a, 0));
    /* the highest number received carries across intervals */
    mo_canary_account_sent(&a, 7);
    mo_canary_account_received(&a, 5, 10);
    TEST_EQ_INT(a.iv.out_of_order, 1);
    TEST_EQ_INT(a.total.out_of_order, 2);
    TEST_EQ_INT(a.iv.sent, 1);
    TEST_EQ_INT(a.total.sent, 7);
    TEST_EQ_INT(a.schedule_lag_max_us, 7);
    TEST_CHECK(mo_canary_account_balanced(&a, 0));
    TEST_CHECK(NEAR(mo_canary_availability(&a.total), 5.0 / 7)); /* 6 received, 1 late, 1 lost */
    TEST_CHECK(mo_canary_availability(&a.iv) == 1);
    mo_canary_account_clear(&a);
    TEST_CHECK(!a.rtt && !a.publish);
    mo_canary_account_clear(&a); /* twice is harmless */
}

/* n probes received (late of them over the SLO) and lost in one interval */
static enum mo_canary_turn interval(struct mo_canary_account *a, uint64_t received, uint64_t late, uint64_t lost)
{
    static uint64_t seq;
    for (uint64_t i = 0; i < received + lost; i++)
        mo_canary_account_sent(a, 0);
    for (uint64_t i = 0; i < received; i++)
        mo_canary_account_received(a, ++seq, i < late ? a->slo_latency_us + 1 : a->slo_latency_us);
    for (uint64_t i = 0; i < lost; i++)
        mo_canary_account_lost(a);
    return mo_canary_account_end_interval(a);
}

static void test_turns(void)
{
    struct mo_canary_account a;
    TEST_EQ_INT(mo_canary_account_init(&a, 1000, 999000), 0); /* 99.9% */
    TEST_EQ_INT(interval(&a, 999, 0, 1), MO_CANARY_STEADY);  /* exactly at the target: not degraded */
    TEST_CHECK(!a.degraded);
    TEST_EQ_INT(interval(&a, 1000, 1, 0), MO_CANARY_STEADY); /* one late of 1000: exactly at the target */
    TEST_EQ_INT(interval(&a, 999, 1, 0), MO_CANARY_DEGRADED); /* one late of 999: under */
    TEST_EQ_INT(interval(&a, 999, 0, 1), MO_CANARY_RECOVERED);
    TEST_EQ_INT(interval(&a, 998, 0, 2), MO_CANARY_DEGRADED); /* just under */
    TEST_CHECK(a.degraded);
    TEST_EQ_INT(interval(&a, 10, 0, 10), MO_CANARY_STEADY);   /* still degraded: no new turn */
    TEST_CHECK(a.degraded);
    TEST_EQ_INT(interval(&a, 0, 0, 0), MO_CANARY_STEADY);     /* empty: changes nothing */
    TEST_CHECK(a.degraded);
    TEST_EQ_INT(interval(&a, 999, 0, 1), MO_CANARY_RECOVERED); /* at the target again */
    TEST_CHECK(!a.degraded);
    TEST_EQ_INT(interval(&a, 0, 0, 0), MO_CANARY_STEADY);
    TEST_CHECK(!a.degraded);
    TEST_EQ_INT(interval(&a, 1000, 0, 0), MO_CANARY_STEADY);
    TEST_EQ_INT(interval(&a, 1000, 2, 0), MO_CANARY_DEGRADED); /* late ones alone */
    TEST_EQ_INT(interval(&a, 1, 0, 0), MO_CANARY_RECOVERED);
    TEST_EQ_INT(interval(&a, 0, 0, 1), MO_CANARY_DEGRADED);   /* one probe, lost */
    TEST_EQ_INT(interval(&a, 0, 0, 0), MO_CANARY_STEADY);
    TEST_EQ_INT(interval(&a, 1998, 0, 2), MO_CANARY_RECOVERED); /* 99.9% again */
    /* probes in flight at the end of an interval are neither */
    mo_canary_account_sent(&a, 0);
    TEST_EQ_INT(mo_canary_account_end_interval(&a), MO_CANARY_STEADY);
    TEST_CHECK(!a.degraded);
    mo_canary_account_clear(&a);

    /* the edge in integers for a target a double cannot hold exactly: 99.99% */
    TEST_EQ_INT(mo_canary_account_init(&a, 1000, 999900), 0);
    TEST_EQ_INT(interval(&a, 9999, 0, 1), MO_CANARY_STEADY);
    TEST_EQ_INT(interval(&a, 99989, 0, 11), MO_CANARY_DEGRADED);
    TEST_EQ_INT(interval(&a, 99990, 0, 10), MO_CANARY_RECOVERED);
    mo_canary_account_clear(&a);

    /* a target of 100%: any loss degrades; none recovers */
    TEST_EQ_INT(mo_canary_account_init(&a, 1000, 1000000), 0);
    TEST_EQ_INT(interval(&a, 100, 0, 0), MO_CANARY_STEADY);
    TEST_EQ_INT(interval(&a, 100, 0, 1), MO_CANARY_DEGRADED);
    TEST_EQ_INT(interval(&a, 100, 0, 0), MO_CANARY_RECOVERED);
    mo_canary_account_clear(&a);
    /* a target of 0: never degraded */
    TEST_EQ_INT(mo_canary_account_init(&a, 1000, 0), 0);
    TEST_EQ_INT(interval(&a, 0, 0, 100), MO_CANARY_STEADY);
    TEST_CHECK(!a.degraded);
    mo_canary_account_clear(&a);
}

int main(void)
{
    test_availability();
    test_counts();
    test_turns();
    return test_result("test-canary-account");
}
