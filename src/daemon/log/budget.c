/* budget.c - a token bucket (budget.h). */
#include <config.h>

#include "log/budget.h"

#define MICRO UINT64_C(1000000)

static void refill(struct mo_budget *b, uint64_t now_us)
{
    uint64_t full = b->burst * MICRO;
    if (now_us <= b->last_us)
        return; /* the same microsecond (or a clock that did not move) */
    uint64_t dt = now_us - b->last_us;
    b->last_us = now_us;
    /* dt * rate millionths of a token: a second at rate r brings r tokens.
     * Past the time a full refill takes, the bucket is full (and dt * rate
     * cannot overflow below it). */
    if (b->rate == 0)
        return;
    if (dt >= (full - b->micro) / b->rate + 1)
        b->micro = full;
    else
        b->micro += dt * b->rate;
}

void mo_budget_set(struct mo_budget *b, uint64_t rate, uint64_t burst, uint64_t now_us)
{
    if (b->set)
        refill(b, now_us);
    b->rate = rate;
    b->burst = burst;
    if (!b->set || b->micro > burst * MICRO)
        b->micro = burst * MICRO;
    b->last_us = now_us;
    b->set = true;
}

bool mo_budget_take(struct mo_budget *b, uint64_t now_us)
{
    refill(b, now_us);
    if (b->micro < MICRO)
        return false;
    b->micro -= MICRO;
    return true;
}
