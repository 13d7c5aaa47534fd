/* account.c - the canary's own probes counted (account.h). */
#include <config.h>

#include <errno.h>
#include <string.h>

#include "canary/account.h"

int mo_canary_account_init(struct mo_canary_account *a, uint64_t slo_latency_us, uint32_t target_ppm)
{
    *a = (struct mo_canary_account){.slo_latency_us = slo_latency_us, .target_ppm = target_ppm};
    if (mo_hist_new(&a->rtt) < 0 || mo_hist_new(&a->publish) < 0) {
        mo_canary_account_clear(a);
        return -ENOMEM;
    }
    return 0;
}

void mo_canary_account_clear(struct mo_canary_account *a)
{
    mo_hist_free(a->rtt);
    mo_hist_free(a->publish);
    a->rtt = a->publish = NULL;
}

#define BOTH(a, field) ((a)->iv.field++, (a)->total.field++)

void mo_canary_account_sent(struct mo_canary_account *a, uint64_t lag_us)
{
    BOTH(a, sent);
    if (lag_us > a->schedule_lag_max_us)
        a->schedule_lag_max_us = lag_us;
}

void mo_canary_account_received(struct mo_canary_account *a, uint64_t seq, uint64_t rtt_us)
{
    BOTH(a, received);
    if (rtt_us > a->slo_latency_us)
        BOTH(a, late);
    if (seq < a->highest_received)
        BOTH(a, out_of_order);
    else
        a->highest_received = seq;
    mo_hist_record(a->rtt, rtt_us > INT64_MAX ? INT64_MAX : (int64_t)rtt_us);
}

void mo_canary_account_lost(struct mo_canary_account *a) { BOTH(a, lost); }
void mo_canary_account_after_deadline(struct mo_canary_account *a) { BOTH(a, after_deadline); }
void mo_canary_account_duplicate(struct mo_canary_account *a) { BOTH(a, duplicates); }
void mo_canary_account_too_old(struct mo_canary_account *a) { BOTH(a, too_old); }

void mo_canary_account_publish(struct mo_canary_account *a, int status, uint64_t latency_us)
{
    BOTH(a, publishes);
    if (latency_us != MO_CANARY_NOT_STARTED)
        mo_hist_record(a->publish, latency_us > INT64_MAX ? INT64_MAX : (int64_t)latency_us);
    if (status == 0)
        return;
    BOTH(a, publish_errors);
    size_t i = status > 0 && status < MO_CANARY_STATUSES ? (size_t)status : 2;
    a->iv.publish_errors_by[i]++;
    a->total.publish_errors_by[i]++;
}

double mo_canary_availability(const struct mo_canary_counts *c)
{
    uint64_t all = c->received + c->lost;
    if (all == 0)
        return -1;
    return (double)(c->received - c->late) / (double)all;
}

double mo_canary_burn_rate(double availability, uint32_t target_ppm)
{
    if (availability < 0)
        return -1;
    double budget = 1.0 - (double)target_ppm / 1e6;
    return budget > 0 ? (1.0 - availability) / budget : -1;
}

enum mo_canary_turn mo_canary_account_end_interval(struct mo_canary_account *a)
{
    enum mo_canary_turn turn = MO_CANARY_STEADY;
    /* burn rate > 1, i.e. availability < target, in integers: exact at the edge */
    uint64_t good = a->iv.received - a->iv.late, all = a->iv.received + a->iv.lost;
    if (all) {
        bool burning = good * UINT64_C(1000000) < (uint64_t)a->target_ppm * all;
        if (burning && !a->degraded)
            turn = MO_CANARY_DEGRADED;
        else if (!burning && a->degraded)
            turn = MO_CANARY_RECOVERED;
        a->degraded = burning;
    }
    memset(&a->iv, 0, sizeof a->iv);
    a->schedule_lag_max_us = 0;
    mo_hist_reset(a->rtt);
    mo_hist_reset(a->publish);
    return turn;
}
