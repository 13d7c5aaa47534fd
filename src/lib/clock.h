/* clock.h - the two clocks of the project, in one unit each.
 *
 * Monotonic time (microseconds) drives timers, backoff and rates; real time
 * (nanoseconds since the epoch) is only compared with publisher timestamps.
 * The two never meet in one variable. Tests may replace either clock.
 * Writing times as text is the time module's (timefmt.h).
 */
#ifndef MO_CLOCK_H
#define MO_CLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>

#define MO_USEC_PER_SEC 1000000ULL
#define MO_USEC_PER_MSEC 1000ULL
#define MO_NSEC_PER_SEC 1000000000LL

/* Monotonic clock in microseconds (CLOCK_MONOTONIC). */
uint64_t mo_mono_us(void);

/* Real-time clock in nanoseconds since the Unix epoch (CLOCK_REALTIME). */
int64_t mo_real_ns(void);

/* CLOCK_MONOTONIC's now plus timeout_us, as pthread_cond_timedwait takes it
 * on a condition variable set to that clock (the system's, never the hook's:
 * it is for threads that wait). */
struct timespec mo_mono_deadline(uint64_t timeout_us);
/* A condition variable whose timed waits take mo_mono_deadline's times. */
void mo_mono_cond_init(pthread_cond_t *c);

/* Test hooks: NULL restores the system clock. */
void mo_clock_override(uint64_t (*mono_us)(void), int64_t (*real_ns)(void));

/* The kernel's view of the real-time clock (adjtimex(2)), reported with
 * latencies: a latency is only as good as the two clocks it compares. */
struct mo_clock_state {
    bool synced;         /* false on TIME_ERROR or STA_UNSYNC */
    int64_t error_us;    /* the kernel's maximum error (timex.maxerror); -1 if unknown */
    int64_t esterror_us; /* its estimated error (timex.esterror); -1 if unknown */
};
void mo_clock_state_read(struct mo_clock_state *ret);

#endif
