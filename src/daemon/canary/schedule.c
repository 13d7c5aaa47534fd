/* schedule.c - the canary's open-loop schedule (schedule.h). */
#include <config.h>

#include "canary/schedule.h"

void mo_sched_init(struct mo_sched *s, uint64_t rate_milli)
{
    *s = (struct mo_sched){.rate_milli = rate_milli ? rate_milli : 1, .first = 1, .next = 1};
}

void mo_sched_start(struct mo_sched *s, uint64_t now_us)
{
    s->started = true;
    s->t0_us = now_us;
    s->first = s->next;
}

void mo_sched_rebase(struct mo_sched *s, uint64_t rate_milli, uint64_t now_us)
{
    s->rate_milli = rate_milli ? rate_milli : 1;
    if (s->started)
        mo_sched_start(s, now_us);
}

uint64_t mo_sched_due(const struct mo_sched *s, uint64_t k)
{
    /* (k - first) / (rate_milli / 1000) seconds, exactly, in two steps so
     * that no product overflows: rate_milli is at most 10^5 */
    uint64_t n = k - s->first, q = n / s->rate_milli, r = n % s->rate_milli;
    return s->t0_us + q * UINT64_C(1000000000) + r * UINT64_C(1000000000) / s->rate_milli;
}

bool mo_sched_take(struct mo_sched *s, uint64_t now_us, uint64_t *ret_seq, uint64_t *ret_due_us)
{
    if (!s->started)
        return false;
    uint64_t due = mo_sched_due(s, s->next);
    if (due > now_us)
        return false;
    *ret_seq = s->next++;
    *ret_due_us = due;
    return true;
}
