/* clockwatch.h - tells the operator when the local clock is not synchronised.
 *
 * A latency compares the publisher's clock with this host's; when the kernel
 * says this host's clock is not synchronised (adjtimex: TIME_ERROR or
 * STA_UNSYNC), every latency is suspect. The daemon reads the clock's state at
 * start and then every second or so; this module turns the readings into
 * events: `clock_unsynced` (warning) when the clock is unsynchronised at start
 * or becomes so, `clock_synced` (notice) when it is synchronised again.
 *
 *   struct mo_clockwatch w = {0};       nothing known yet
 *   mo_clockwatch_step                  pure: the change a reading makes
 *   mo_clockwatch_check                 reads the clock, emits the event of a change
 */
#ifndef MO_CLOCKWATCH_H
#define MO_CLOCKWATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "clock.h"

struct mo_clockwatch {
    bool known;         /* a reading was taken */
    bool synced;        /* as of the last reading */
    uint64_t since_us;  /* monotonic time the current state began (as first seen) */
};

enum mo_clock_change {
    MO_CLOCK_SAME,
    MO_CLOCK_UNSYNCED_AT_START, /* the first reading: not synchronised */
    MO_CLOCK_LOST,              /* was synchronised, is not */
    MO_CLOCK_REGAINED,          /* was not synchronised, is */
};

/* Takes a reading at monotonic time now_us into w and says what changed.
 * A first reading that is synchronised is MO_CLOCK_SAME: nothing to say. */
enum mo_clock_change mo_clockwatch_step(struct mo_clockwatch *w, bool synced, uint64_t now_us);

/* Reads the clock (mo_clock_state_read) and emits clock_unsynced or
 * clock_synced when its state changed; the reading is left in *ret (may be
 * NULL). */
void mo_clockwatch_check(struct mo_clockwatch *w, struct mo_clock_state *ret);

#endif
