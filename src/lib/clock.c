/* clock.c - monotonic and real-time clocks, replaceable for tests. */
#include <config.h>

#include <stddef.h>
#include <stdio.h>
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

int mo_format_rfc3339(int64_t epoch_ns, int frac_digits, char *buf, size_t len)
{
    int64_t sec = epoch_ns / MO_NSEC_PER_SEC;
    int64_t nsec = epoch_ns % MO_NSEC_PER_SEC;
    if (nsec < 0) {
        nsec += MO_NSEC_PER_SEC;
        sec -= 1;
    }
    time_t t = (time_t)sec;
    struct tm tm;
    if (!gmtime_r(&t, &tm))
        return snprintf(buf, len, "invalid-time");
    char base[32];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    switch (frac_digits) {
    case 3:
        return snprintf(buf, len, "%s.%03lldZ", base, (long long)(nsec / 1000000));
    case 6:
        return snprintf(buf, len, "%s.%06lldZ", base, (long long)(nsec / 1000));
    case 9:
        return snprintf(buf, len, "%s.%09lldZ", base, (long long)nsec);
    default:
        return snprintf(buf, len, "%sZ", base);
    }
}
