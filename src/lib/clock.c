/* clock.c - monotonic and real-time clocks, replaceable for tests. */
#include <config.h>

#include <stddef.h>
#include <stdio.h>
#include <string.h>
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

void mo_clock_override(uint64_t (*mono_us)(void), int64_t (*real_ns)(void))
{
    mono_hook = mono_us;
    real_hook = real_ns;
}

/* Writes n decimal digits of v, zero-padded. */
static char *put_digits(char *p, uint64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return p + n;
}

int mo_format_rfc3339(int64_t epoch_ns, int frac_digits, char *buf, size_t len)
{
    int64_t sec = epoch_ns / MO_NSEC_PER_SEC;
    int64_t nsec = epoch_ns % MO_NSEC_PER_SEC;
    if (nsec < 0) {
        nsec += MO_NSEC_PER_SEC;
        sec -= 1;
    }
    /* the date and time of day change once a second: format them only then
     * (several timestamps per event, thousands of events per second) */
    static _Thread_local int64_t cached_sec = INT64_MIN;
    static _Thread_local char cached[32];
    static _Thread_local size_t cached_len;
    if (sec != cached_sec) {
        time_t t = (time_t)sec;
        struct tm tm;
        if (!gmtime_r(&t, &tm))
            return snprintf(buf, len, "invalid-time");
        cached_len = strftime(cached, sizeof cached, "%Y-%m-%dT%H:%M:%S", &tm);
        cached_sec = sec;
    }
    int digits = frac_digits == 3 || frac_digits == 6 || frac_digits == 9 ? frac_digits : 0;
    size_t need = cached_len + (digits ? 1 + (size_t)digits : 0) + 1;
    if (need + 1 > len)
        return snprintf(buf, len, "%s", "");
    memcpy(buf, cached, cached_len);
    char *p = buf + cached_len;
    if (digits) {
        *p++ = '.';
        uint64_t frac = (uint64_t)nsec;
        for (int i = digits; i < 9; i++)
            frac /= 10;
        p = put_digits(p, frac, digits);
    }
    *p++ = 'Z';
    *p = '\0';
    return (int)(p - buf);
}

void mo_clock_state_read(struct mo_clock_state *ret)
{
    struct timex tx = {0};
    int r = adjtimex(&tx);
    /* TIME_ERROR or STA_UNSYNC: the kernel does not consider the clock synchronised */
    ret->synced = r >= 0 && r != TIME_ERROR && !(tx.status & STA_UNSYNC);
    ret->error_us = r >= 0 ? (int64_t)tx.maxerror : -1;
}
