/* util.c - duration and integer parsing, small formatting helpers. */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "util.h"

const char *mo_progname = PACKAGE_NAME;

int mo_parse_u64(const char *s, uint64_t *ret)
{
    if (!s || !isdigit((unsigned char)*s))
        return -EINVAL;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end)
        return -EINVAL;
    if (errno == ERANGE)
        return -ERANGE;
    *ret = v;
    return 0;
}

int mo_parse_duration_us(const char *s, uint64_t *ret)
{
    if (!s || !(isdigit((unsigned char)*s) || *s == '.'))
        return -EINVAL;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno == ERANGE || !isfinite(v) || v < 0)
        return -EINVAL;
    double mult;
    if (strcmp(end, "ms") == 0)
        mult = 1e3;
    else if (strcmp(end, "s") == 0)
        mult = 1e6;
    else if (strcmp(end, "m") == 0)
        mult = 60e6;
    else if (strcmp(end, "h") == 0)
        mult = 3600e6;
    else if (strcmp(end, "us") == 0)
        mult = 1;
    else
        return -EINVAL;
    double us = v * mult;
    if (us > 1e15) /* about 31 years */
        return -ERANGE;
    *ret = (uint64_t)llround(us);
    return 0;
}

const char *mo_fmt_ms(int64_t us, char *buf, size_t len)
{
    uint64_t mag = us < 0 ? (uint64_t)0 - (uint64_t)us : (uint64_t)us;
    snprintf(buf, len, "%s%llu.%03llu", us < 0 ? "-" : "", (unsigned long long)(mag / 1000),
             (unsigned long long)(mag % 1000));
    return buf;
}

void mo_vwarn(const char *fmt, va_list ap)
{
    fprintf(stderr, "%s: ", mo_progname);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void mo_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    mo_vwarn(fmt, ap);
    va_end(ap);
}
