/* backoff.c - the resubscribe delay (backoff.h). */
#include <config.h>

#include "sub/backoff.h"

uint64_t mo_backoff_delay(uint64_t initial_us, uint64_t max_us, unsigned failures, uint64_t random)
{
    if (failures == 0)
        return 0;
    uint64_t delay = initial_us;
    for (unsigned i = 1; i < failures && delay < max_us; i++)
        delay = delay > max_us / 2 ? max_us : delay * 2; /* never past max, never wrapping */
    if (delay > max_us)
        delay = max_us;
    /* up to a fifth less, so that many streams cut at once do not return at once */
    uint64_t jitter = delay / 5;
    if (jitter)
        delay -= random % jitter;
    if (delay < initial_us)
        delay = initial_us;
    return delay;
}
