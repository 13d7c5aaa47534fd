/* clocksrc.h - this host's clock error bound, from the source the
 * configuration names (`clock.source`, momento-subscriber.yaml(5)).
 *
 *   auto        ClockBound when a segment can be used (the configured path,
 *               or by default v2's shm0, then v1's shm), else adjtimex
 *   clockbound  ClockBound; while it cannot be used, adjtimex (the caller
 *               warns: the daemon measures either way)
 *   adjtimex    the kernel's maxerror, only
 *
 * One reading a second (mo_clocksrc_read) says which source the bound comes
 * from, the bound, the status, and why ClockBound is not used when it is not.
 * adjtimex is read on every reading, whatever the source, for the summary's
 * clock_synced / clock_error_us / clock_esterror_us. The bound a reading
 * gives holds until the next one: it is ClockBound's bound at the reading's
 * moment plus MO_CLOCKSRC_HOLD_NS of drift (momento-subscriberd(8)), so that a
 * latency measured before the next reading is never given a bound too small.
 *
 *   mo_clocksrc_new / _free    readers of the configured path(s); opens nothing yet
 *   mo_clocksrc_read           one reading (at most a stat and a copy per path)
 *   mo_clocksrc_source_name    "clockbound", "adjtimex"
 */
#ifndef MO_CLOCKSRC_H
#define MO_CLOCKSRC_H

#include <stdbool.h>
#include <stdint.h>

#include "clock.h"
#include "clockbound.h"

#define MO_CLOCKSRC_HOLD_NS (1500LL * 1000000) /* a reading's bound covers this long */

enum mo_clock_config { MO_CLOCK_AUTO, MO_CLOCK_CLOCKBOUND, MO_CLOCK_ADJTIMEX };
enum mo_clock_source { MO_SOURCE_ADJTIMEX, MO_SOURCE_CLOCKBOUND };

const char *mo_clocksrc_source_name(enum mo_clock_source s);
const char *mo_clocksrc_config_name(enum mo_clock_config c); /* "auto", "clockbound", "adjtimex" */

struct mo_clock_reading {
    enum mo_clock_source source; /* where bound_us comes from */
    int64_t bound_us;            /* this host's bound until the next reading; -1: unknown */
    enum mo_cb_status status;    /* ClockBound's at this moment; adjtimex: SYNCHRONIZED
                                    when the kernel says synchronised, else UNKNOWN */
    struct mo_clock_state kernel; /* adjtimex, read every time */
    /* ClockBound, when configured or looked for (auto): */
    bool cb_looked;              /* false for clock.source adjtimex */
    enum mo_cb_state cb_state;   /* of the path used; else of the first that exists,
                                    else of the last one tried */
    const char *cb_path;         /* that path (the source's: valid until mo_clocksrc_free) */
    char cb_reason[MO_CB_REASON_MAX]; /* why not used, or a kept snapshot's note; "" */
    struct mo_cb_snapshot snap;  /* valid when source is CLOCKBOUND */
};

typedef struct mo_clocksrc mo_clocksrc;

/* path: clock.clockbound_path, or NULL for the defaults (v2, then v1). */
int mo_clocksrc_new(mo_clocksrc **ret, enum mo_clock_config cfg, const char *path); /* -ENOMEM */
void mo_clocksrc_free(mo_clocksrc *c); /* accepts NULL */
enum mo_clock_config mo_clocksrc_config(const mo_clocksrc *c);
/* The path given to mo_clocksrc_new (its copy), NULL for the defaults. */
const char *mo_clocksrc_path(const mo_clocksrc *c);

/* Reads the clock now. The source is CLOCKBOUND when a configured or found
 * segment polls GOOD and its bound is usable at this moment (mo_cb_bound_at:
 * synchronized or free-running); its bound is then the bound at now +
 * MO_CLOCKSRC_HOLD_NS, in µs rounded up. Otherwise ADJTIMEX: maxerror when
 * the kernel reports one, -1 if adjtimex failed. */
void mo_clocksrc_read(mo_clocksrc *c, struct mo_clock_reading *ret);

#endif
