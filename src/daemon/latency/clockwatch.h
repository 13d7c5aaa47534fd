/* clockwatch.h - this host's clock: its bound, and the events its changes make
 * (momento-subscriberd(8), CLOCK ERROR BOUND).
 *
 * A one-way latency compares the publisher's clock with this host's, so each
 * is given this host's clock error bound. The daemon reads the clock once a
 * second (clocksrc.h: ClockBound or adjtimex, by `clock.source`); this module
 * keeps the reading for the message path (`bound_us`, which subscriptions
 * read through a pointer: no call and no syscall per message), the largest
 * bound of the summary interval, and turns changes into events:
 *   clock_unsynced (warning)        the source says the clock is not
 *                                   synchronised, at start or from now
 *   clock_synced (notice)           it is synchronised again
 *   clock_source_changed            the bound comes from another source now
 *                                   (warning to adjtimex, notice back to
 *                                   ClockBound), and at start when
 *                                   `clock.source: clockbound` (or a segment
 *                                   auto found) cannot be used
 *
 *   mo_clockwatch_init / _fini      the source of the configuration
 *   mo_clockwatch_configure         a reload's clock: keys (a new source when they changed)
 *   mo_clockwatch_step              pure: the change a synchronisation reading makes
 *   mo_clockwatch_source_step       pure: the change a source reading makes
 *   mo_clockwatch_check             reads the clock, emits the events of a change
 *   mo_clockwatch_summary           what the interval's summaries say; the next one starts
 */
#ifndef MO_CLOCKWATCH_H
#define MO_CLOCKWATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "clock.h"
#include "clocksrc.h"

struct mo_clockwatch {
    bool known;         /* a reading was taken */
    bool synced;        /* as of the last reading */
    uint64_t since_us;  /* monotonic time the current state began (as first seen) */
    /* the source */
    mo_clocksrc *src;             /* of the configuration (mo_clocksrc_config says which) */
    bool source_known;            /* a source reading was taken, into last */
    struct mo_clock_reading last; /* the last reading */
    int64_t bound_us;             /* this host's bound now, for each latency; -1 unknown */
    int64_t interval_max_us;      /* the largest since the interval began; -1 none */
};

enum mo_clock_change {
    MO_CLOCK_SAME,
    MO_CLOCK_UNSYNCED_AT_START, /* the first reading: not synchronised */
    MO_CLOCK_LOST,              /* was synchronised, is not */
    MO_CLOCK_REGAINED,          /* was not synchronised, is */
};

enum mo_clock_source_change {
    MO_SOURCE_SAME,
    MO_SOURCE_UNUSABLE_AT_START, /* first reading: ClockBound configured or found, not usable */
    MO_SOURCE_FELL_BACK,         /* was ClockBound, is adjtimex */
    MO_SOURCE_BACK,              /* was adjtimex, is ClockBound */
};

/* What a summary says of this host's clock. */
struct mo_clock_summary {
    struct mo_clock_state kernel; /* adjtimex: clock_error_us, clock_esterror_us */
    bool synced;                  /* clock_synced: the source says synchronised */
    enum mo_clock_source source;  /* clock_source, of the last reading */
    int64_t bound_us;             /* clock_bound_us: the largest of the interval; -1 unknown */
    enum mo_cb_status status;     /* clock_status, of the last reading */
    /* not the clock's, but carried with it to every summary and the textfile:
     * the API key's seconds left (key_expires_in_s), when it has an expiry */
    bool key_expires_known;
    int64_t key_expires_in_s;
};

/* path: clock.clockbound_path or NULL. -ENOMEM. */
int mo_clockwatch_init(struct mo_clockwatch *w, enum mo_clock_config cfg, const char *path);
void mo_clockwatch_fini(struct mo_clockwatch *w);
/* After a reload: a new source when cfg or path differ from the current
 * (the next check compares with the last reading, so a change of source is
 * one clock_source_changed). Whether it changed is in *changed. -ENOMEM
 * keeps the current source. */
int mo_clockwatch_configure(struct mo_clockwatch *w, enum mo_clock_config cfg, const char *path,
                            bool *changed);

/* Takes a reading at monotonic time now_us into w and says what changed.
 * A first reading that is synchronised is MO_CLOCK_SAME: nothing to say. */
enum mo_clock_change mo_clockwatch_step(struct mo_clockwatch *w, bool synced, uint64_t now_us);

/* Takes a source reading into w (source, last, bound_us, interval_max_us)
 * and says what changed. At the first reading, an adjtimex source is said
 * (UNUSABLE_AT_START) only when ClockBound was configured, or auto found a
 * segment it cannot use (BAD or STALE; ABSENT is auto's normal). */
enum mo_clock_source_change mo_clockwatch_source_step(struct mo_clockwatch *w,
                                                      const struct mo_clock_reading *r);

/* Reads the clock (mo_clocksrc_read), takes it in, and emits the events of
 * what changed; the reading is left in *ret (may be NULL). */
void mo_clockwatch_check(struct mo_clockwatch *w, struct mo_clock_reading *ret);

/* The summary's clock: the last reading, with the interval's largest bound;
 * `next` starts the next interval (at the current bound). */
void mo_clockwatch_summary(struct mo_clockwatch *w, bool next, struct mo_clock_summary *ret);

#endif
