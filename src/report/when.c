/* when.c - parse --since/--until times (see when.h for the accepted forms). */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "timefmt.h"
#include "when.h"

#define USEC 1000000LL
#define MAX_SPAN_US 1e17 /* about 3000 years: beyond it is a typo */

struct unit {
    const char *name;
    double us;
};

/* Longest names first, so that "min" is not read as "m" followed by "in". */
static const struct unit units[] = {
    {"minutes", 60e6}, {"seconds", 1e6}, {"months", 2629800e6},
    {"minute", 60e6}, {"second", 1e6}, {"month", 2629800e6},
    {"hours", 3600e6}, {"weeks", 604800e6}, {"years", 31557600e6},
    {"usec", 1}, {"msec", 1e3}, {"hour", 3600e6}, {"days", 86400e6}, {"week", 604800e6},
    {"year", 31557600e6},
    {"\xc2\xb5s", 1}, /* MICRO SIGN */
    {"\xce\xbcs", 1}, /* GREEK SMALL LETTER MU */
    {"sec", 1e6}, {"min", 60e6}, {"day", 86400e6},
    {"us", 1}, {"ms", 1e3}, {"hr", 3600e6},
    {"s", 1e6}, {"m", 60e6}, {"h", 3600e6}, {"d", 86400e6}, {"w", 604800e6},
    {"M", 2629800e6}, {"y", 31557600e6},
};

static const char *skip_spaces(const char *s)
{
    while (*s == ' ')
        s++;
    return s;
}

/* A time span (systemd.time(7) "PARSING TIME SPANS") into microseconds. */
static int parse_span(const char *s, int64_t *ret)
{
    double total = 0;
    s = skip_spaces(s);
    if (!*s)
        return -EINVAL;
    while (*s) {
        /* NUMBER[.FRACTION], by hand: strtod would take exponents, hex, inf */
        if (!isdigit((unsigned char)*s) && *s != '.')
            return -EINVAL;
        double v = 0, scale = 1;
        bool any = false;
        for (; isdigit((unsigned char)*s); s++, any = true)
            v = v * 10 + (*s - '0');
        if (*s == '.') {
            for (s++; isdigit((unsigned char)*s); s++, any = true)
                v += (*s - '0') * (scale /= 10);
        }
        if (!any)
            return -EINVAL;
        const char *after = s;
        s = skip_spaces(s);
        double mult = 1e6; /* no unit: seconds */
        bool unit = false;
        for (size_t i = 0; i < sizeof units / sizeof *units; i++) {
            size_t n = strlen(units[i].name);
            if (strncmp(s, units[i].name, n) == 0) {
                mult = units[i].us;
                s += n;
                if (*s && *s != ' ' && !isdigit((unsigned char)*s) && *s != '.')
                    return -EINVAL; /* "5mx": not a unit */
                unit = true;
                break;
            }
        }
        if (!unit && *s && s == after)
            return -EINVAL; /* "1e3", "1..5": a number runs into something else */
        total += v * mult;
        if (total > MAX_SPAN_US)
            return -EINVAL;
        s = skip_spaces(s);
    }
    *ret = (int64_t)llround(total);
    return 0;
}

/* Exactly n digits. */
static bool num(const char **s, int n, int *ret)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*s)[i]))
            return false;
        v = v * 10 + ((*s)[i] - '0');
    }
    *s += n;
    *ret = v;
    return true;
}

static bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int days_in_month(int y, int m)
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : d[m - 1];
}

struct civil {
    int year, mon, day, hour, min, sec;
    int usec;
};

/* YYYY-MM-DD */
static bool parse_date(const char **s, struct civil *c)
{
    const char *p = *s;
    if (!num(&p, 4, &c->year) || *p++ != '-' || !num(&p, 2, &c->mon) || *p++ != '-' ||
        !num(&p, 2, &c->day))
        return false;
    if (c->year < 1970 || c->mon < 1 || c->mon > 12 || c->day < 1 ||
        c->day > days_in_month(c->year, c->mon))
        return false;
    *s = p;
    return true;
}

/* HH:MM[:SS[.FRACTION]]; *had_sec tells whether the seconds were there. */
static bool parse_clock(const char **s, struct civil *c, bool *had_sec)
{
    const char *p = *s;
    c->sec = c->usec = 0;
    *had_sec = false;
    if (!num(&p, 2, &c->hour) || *p++ != ':' || !num(&p, 2, &c->min))
        return false;
    if (*p == ':') {
        p++;
        if (!num(&p, 2, &c->sec))
            return false;
        *had_sec = true;
        if (*p == '.') {
            p++;
            if (!isdigit((unsigned char)*p))
                return false;
            /* microseconds: the first six digits, the rest ignored */
            int digits = 0;
            for (; isdigit((unsigned char)*p); p++)
                if (digits < 6) {
                    c->usec = c->usec * 10 + (*p - '0');
                    digits++;
                }
            for (; digits < 6; digits++)
                c->usec *= 10;
        }
    }
    if (c->hour > 23 || c->min > 59 || c->sec > 59)
        return false;
    *s = p;
    return true;
}

/* Seconds since the epoch of a civil time, in UTC or local time. */
static int64_t to_epoch(const struct civil *c, bool utc)
{
    struct tm tm = {.tm_year = c->year - 1900, .tm_mon = c->mon - 1, .tm_mday = c->day,
                    .tm_hour = c->hour, .tm_min = c->min, .tm_sec = c->sec, .tm_isdst = -1};
    return (int64_t)(utc ? timegm(&tm) : mktime(&tm));
}

/* Today's date (plus `days`) as seen in UTC or local time at `now_us`. */
static void today(int64_t now_us, bool utc, int days, struct civil *c)
{
    time_t t = (time_t)(now_us / USEC);
    struct tm tm;
    if (utc)
        gmtime_r(&t, &tm);
    else
        localtime_r(&t, &tm);
    tm.tm_mday += days;
    tm.tm_hour = 12; /* normalise the date at noon, away from DST changes */
    timegm(&tm);     /* (only normalises the fields) */
    *c = (struct civil){.year = tm.tm_year + 1900, .mon = tm.tm_mon + 1, .day = tm.tm_mday};
}

static int weekday_of(const struct civil *c)
{
    struct tm tm = {.tm_year = c->year - 1900, .tm_mon = c->mon - 1, .tm_mday = c->day, .tm_hour = 12};
    timegm(&tm);
    return tm.tm_wday;
}

/* "Mon" or "Monday", any case, followed by a space: the day's number, or -1. */
static int parse_weekday(const char **s)
{
    static const char *const names[] = {"sunday", "monday", "tuesday", "wednesday",
                                        "thursday", "friday", "saturday"};
    for (int i = 0; i < 7; i++) {
        size_t full = strlen(names[i]);
        size_t n = strncasecmp(*s, names[i], full) == 0 ? full
                   : strncasecmp(*s, names[i], 3) == 0 ? 3
                                                      : 0;
        if (n && (*s)[n] == ' ') {
            *s = skip_spaces(*s + n);
            return i;
        }
    }
    return -1;
}

static bool ends_with(const char *s, size_t len, const char *suffix)
{
    size_t n = strlen(suffix);
    return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

int lr_when_parse_rfc3339(const char *s, int64_t *ret_us)
{
    int64_t ns;
    int r = mo_time_parse_rfc3339(s, strlen(s), &ns, NULL, 0);
    if (r < 0)
        return r;
    /* floor to the microsecond, also before 1970 */
    *ret_us = ns / 1000 - (ns % 1000 < 0);
    return 0;
}

int lr_when_parse(const char *in, int64_t now_us, int64_t *ret_us)
{
    char buf[128];
    in = skip_spaces(in);
    size_t len = strlen(in);
    while (len && in[len - 1] == ' ')
        len--;
    if (len == 0 || len >= sizeof buf)
        return -EINVAL;
    memcpy(buf, in, len);
    buf[len] = '\0';

    int64_t span;
    if (strcmp(buf, "now") == 0) {
        *ret_us = now_us;
        return 0;
    }
    if (buf[0] == '@') { /* a span from the epoch; seconds without a unit */
        if (parse_span(buf + 1, &span) < 0)
            return -EINVAL;
        *ret_us = span;
        return 0;
    }
    if (buf[0] == '+' || buf[0] == '-') {
        if (parse_span(buf + 1, &span) < 0)
            return -EINVAL;
        *ret_us = buf[0] == '+' ? now_us + span : now_us - span;
        return 0;
    }
    if (ends_with(buf, len, " ago") || ends_with(buf, len, " left")) {
        bool ago = ends_with(buf, len, " ago");
        buf[len - (ago ? 4 : 5)] = '\0';
        if (parse_span(buf, &span) < 0)
            return -EINVAL;
        *ret_us = ago ? now_us - span : now_us + span;
        return 0;
    }
    if (lr_when_parse_rfc3339(buf, ret_us) == 0)
        return 0;

    bool utc = false;
    if (ends_with(buf, len, " UTC")) {
        utc = true;
        len -= 4;
        while (len && buf[len - 1] == ' ')
            len--;
        buf[len] = '\0';
    }
    struct civil c;
    static const char *const words[] = {"yesterday", "today", "tomorrow"};
    for (int i = 0; i < 3; i++) {
        if (strcmp(buf, words[i]) == 0) {
            today(now_us, utc, i - 1, &c);
            *ret_us = to_epoch(&c, utc) * USEC;
            return 0;
        }
    }

    const char *s = buf;
    int wday = parse_weekday(&s);
    bool had_sec;
    if (parse_date(&s, &c)) {
        c.hour = c.min = c.sec = c.usec = 0;
        if (*s == ' ') {
            s = skip_spaces(s);
            if (!parse_clock(&s, &c, &had_sec))
                return -EINVAL;
        }
    } else {
        struct civil t;
        if (!parse_clock(&s, &t, &had_sec))
            return -EINVAL;
        today(now_us, utc, 0, &c);
        c.hour = t.hour;
        c.min = t.min;
        c.sec = t.sec;
        c.usec = t.usec;
    }
    if (*s || (wday >= 0 && weekday_of(&c) != wday))
        return -EINVAL;
    *ret_us = to_epoch(&c, utc) * USEC + c.usec;
    return 0;
}
