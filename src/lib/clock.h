/* clock.h - the two clocks of the project, in one unit each.
 *
 * Monotonic time (microseconds) drives timers, backoff and rates; real time
 * (nanoseconds since the epoch) is only compared with publisher timestamps.
 * The two never meet in one variable. Tests may replace either clock.
 */
#ifndef MO_CLOCK_H
#define MO_CLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MO_USEC_PER_SEC 1000000ULL
#define MO_USEC_PER_MSEC 1000ULL
#define MO_NSEC_PER_SEC 1000000000LL

/* Monotonic clock in microseconds (CLOCK_MONOTONIC). */
uint64_t mo_mono_us(void);

/* Real-time clock in nanoseconds since the Unix epoch (CLOCK_REALTIME). */
int64_t mo_real_ns(void);

/* Test hooks: NULL restores the system clock. */
void mo_clock_override(uint64_t (*mono_us)(void), int64_t (*real_ns)(void));

/* Formats an epoch time in nanoseconds as RFC 3339 UTC with `frac_digits`
 * fractional digits (0, 3, 6 or 9), e.g. 2026-11-23T03:17:57.123456Z.
 * Returns the length written (buf should hold at least 40 bytes). */
int mo_format_rfc3339(int64_t epoch_ns, int frac_digits, char *buf, size_t len);

/* The kernel's view of the real-time clock (adjtimex(2)), reported with
 * latencies: a latency is only as good as the two clocks it compares. */
struct mo_clock_state {
    bool synced;      /* false on TIME_ERROR or STA_UNSYNC */
    int64_t error_us; /* the kernel's maximum error estimate; -1 if unknown */
};
void mo_clock_state_read(struct mo_clock_state *ret);

#endif
