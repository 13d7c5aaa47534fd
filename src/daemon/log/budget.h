/* budget.h - a token bucket: how many events may be logged, and when.
 *
 * At most `rate` events a second on average and `burst` at once: over any
 * span of T seconds, at most burst + rate * T events pass. The bucket starts
 * full. Pure: the caller gives the monotonic time in microseconds; tokens
 * are counted in millionths, so the arithmetic is exact in integers.
 *
 *   mo_budget_set     (re)configure; a new bucket starts full, a changed one
 *                     keeps what it has saved, up to the new burst
 *   mo_budget_take    true and one token less, or false (over budget)
 *
 * And a cap: at most `limit` events of each kind in an interval (the
 * per-message warnings of logging.warnings_per_interval).
 *
 *   mo_cap_allows     whether one more of `kind` may be logged this interval
 *   mo_cap_used       one of `kind` was logged
 *   mo_cap_reset      a new interval
 */
#ifndef MO_BUDGET_H
#define MO_BUDGET_H

#include <stdbool.h>
#include <stdint.h>

struct mo_budget {
    uint64_t rate;  /* tokens a second; 0: nothing passes */
    uint64_t burst; /* tokens that can be saved up */
    uint64_t micro; /* saved tokens, in millionths */
    uint64_t last_us;
    bool set;
};

void mo_budget_set(struct mo_budget *b, uint64_t rate, uint64_t burst, uint64_t now_us);
bool mo_budget_take(struct mo_budget *b, uint64_t now_us);

#define MO_CAP_KINDS 8

struct mo_cap {
    uint64_t used[MO_CAP_KINDS];
};

static inline bool mo_cap_allows(const struct mo_cap *c, unsigned kind, uint64_t limit)
{
    return kind < MO_CAP_KINDS && c->used[kind] < limit;
}
static inline void mo_cap_used(struct mo_cap *c, unsigned kind)
{
    if (kind < MO_CAP_KINDS)
        c->used[kind]++;
}
static inline void mo_cap_reset(struct mo_cap *c) { *c = (struct mo_cap){{0}}; }

#endif
