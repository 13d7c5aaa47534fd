/* clock.c - monotonic and real-time clocks, replaceable for tests. */
#include <config.h>

#include <stddef.h>
#include <sys/timex.h>
#include <time.h>

#include "clock.h"

static uint64_t (*mono_hook)(void);
static int64_t (*real_hook)(void);

uint64_t mo_mono_us(void)
{
    if (mono_hook)
        return mono_hook();
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * MO_USEC_PER_SEC + (uint64_t)ts.tv_nsec / 1000;
}

int64_t mo_real_ns(void)
{
    if (real_hook)
        return real_hook();
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * MO_NSEC_PER_SEC + ts.tv_nsec;
}

struct timespec mo_mono_deadline(uint64_t timeout_us)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    t.tv_sec += (time_t)(timeout_us / 1000000);
    t.tv_nsec += (long)(timeout_us % 1000000) * 1000;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}

void mo_mono_cond_init(pthread_cond_t *c)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(c, &ca);
    pthread_condattr_destroy(&ca);
}

void mo_clock_override(uint64_t (*mono_us)(void), int64_t (*real_ns)(void))
{
    mono_hook = mono_us;
    real_hook = real_ns;
}

void mo_clock_state_read(struct mo_clock_state *ret)
{
    struct timex tx = {0};
    int r = adjtimex(&tx);
    /* TIME_ERROR or STA_UNSYNC: the kernel does not consider the clock synchronised */
    ret->synced = r >= 0 && r != TIME_ERROR && !(tx.status & STA_UNSYNC);
    ret->error_us = r >= 0 ? (int64_t)tx.maxerror : -1;
    ret->esterror_us = r >= 0 ? (int64_t)tx.esterror : -1;
}
