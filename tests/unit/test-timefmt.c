/* Unit tests for the time formats (src/lib/timefmt.c): RFC 3339 both ways,
 * epoch numbers, durations. The calendar is checked against the C library's
 * gmtime_r for every day the int64 nanosecond range holds. */
#include <config.h>

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "test.h"
#include "timefmt.h"

#define SENTINEL INT64_C(0x5a5a5a5a5a5a5a5a)
#define T0 INT64_C(1795403877000000000) /* 2026-11-23T03:17:57Z */

static char reason[512];
static int64_t ns;

/* Parses a private copy of exactly strlen(s) bytes (no terminating NUL), so
 * the sanitizers catch any read past the text. */
static int run_len(enum mo_time_format f, const char *s, size_t len)
{
    char *copy = malloc(len ? len : 1);
    memcpy(copy, s, len);
    memset(reason, 'X', sizeof reason - 1);
    reason[sizeof reason - 1] = '\0';
    ns = SENTINEL;
    int r = mo_time_parse(copy, len, f, &ns, reason, sizeof reason);
    free(copy);
    if (r < 0 && strlen(reason) >= MO_TIME_REASON_MAX)
        TEST_CHECK(!"reason longer than MO_TIME_REASON_MAX");
    return r;
}
static int run(enum mo_time_format f, const char *s) { return run_len(f, s, strlen(s)); }

#define OKS(f, s, expect)                                                                          \
    do {                                                                                           \
        int _r = run(f, s);                                                                        \
        TEST_EQ_INT(_r, 0);                                                                        \
        if (_r)                                                                                    \
            fprintf(stderr, "  %s: %s\n", s, reason);                                              \
        TEST_EQ_INT(ns, expect);                                                                   \
    } while (0)

/* An error with exactly this reason; *ret_ns untouched. */
#define ERRS(f, s, code, why)                                                                      \
    do {                                                                                           \
        TEST_EQ_INT(run(f, s), code);                                                              \
        TEST_EQ_STR(reason, why);                                                                  \
        TEST_EQ_INT(ns, SENTINEL);                                                                 \
    } while (0)

/* An error whose reason contains `part`. */
#define ERRC(f, s, code, part)                                                                     \
    do {                                                                                           \
        TEST_EQ_INT(run(f, s), code);                                                              \
        TEST_CONTAINS(reason, part);                                                               \
        TEST_EQ_INT(ns, SENTINEL);                                                                 \
    } while (0)

/* ---- parsing instants ---- */

static void test_parse_rfc3339(void)
{
    const enum mo_time_format d = MO_TIME_RFC3339;

    OKS(d, "2026-11-23T03:17:57Z", T0);
    OKS(d, "2026-11-23t03:17:57z", T0);
    OKS(d, "2026-11-23 03:17:57Z", T0);
    OKS(d, "2026-11-23T08:47:57+05:30", T0);
    OKS(d, "2026-11-22T19:17:57-08:00", T0);
    OKS(d, "2026-11-23T03:17:57-00:00", T0);
    OKS(d, "2026-11-23T03:17:57+00:00", T0);
    OKS(d, "1970-01-01T00:00:00Z", 0);
    OKS(d, "1969-12-31T23:59:59.5Z", -500000000);
    OKS(d, "2024-02-29T00:00:00Z", INT64_C(1709164800000000000));
    OKS(d, "2000-02-29T00:00:00Z", INT64_C(951782400000000000));
    OKS(d, "2000-03-01T00:00:00Z", INT64_C(951868800000000000));

    /* fractions of 1..9 digits, and more (truncated to nanoseconds) */
    static const char digits[] = "123456789";
    for (int k = 1; k <= 9; k++) {
        char s[64];
        snprintf(s, sizeof s, "2026-11-23T03:17:57.%.*sZ", k, digits);
        int64_t frac = 123456789;
        for (int i = k; i < 9; i++)
            frac = frac / 10;
        for (int i = k; i < 9; i++)
            frac *= 10;
        OKS(d, s, T0 + frac);
    }
    OKS(d, "2026-11-23T03:17:57.000000001Z", T0 + 1);
    OKS(d, "2026-11-23T03:17:57.123456789999Z", T0 + 123456789);
    OKS(d, "2026-11-23T08:47:57.25+05:30", T0 + 250000000);

    /* leap second: only at 23:59 UTC, read as the repeated 23:59:59 */
    OKS(d, "2016-12-31T23:59:60Z", INT64_C(1483228799000000000));
    OKS(d, "2016-12-31T23:59:60.5Z", INT64_C(1483228799500000000));
    OKS(d, "2017-01-01T05:29:60+05:30", INT64_C(1483228799000000000));
    ERRS(d, "2016-12-31T12:00:60Z", -EINVAL,
         "timestamp \"2016-12-31T12:00:60Z\" is not RFC 3339: second 60 (a leap second) is only "
         "valid at 23:59 UTC");

    /* ranges */
    ERRS(d, "2026-13-01T00:00:00Z", -EINVAL,
         "timestamp \"2026-13-01T00:00:00Z\" is not RFC 3339: month 13 out of range");
    ERRC(d, "2026-00-01T00:00:00Z", -EINVAL, "month 0 out of range");
    ERRC(d, "2027-02-29T00:00:00Z", -EINVAL, "day 29 out of range for 2027-02");
    ERRC(d, "1900-02-29T00:00:00Z", -EINVAL, "day 29 out of range for 1900-02");
    ERRC(d, "2026-04-31T00:00:00Z", -EINVAL, "day 31 out of range for 2026-04");
    ERRC(d, "2026-01-00T00:00:00Z", -EINVAL, "day 0 out of range");
    ERRC(d, "2026-01-01T24:00:00Z", -EINVAL, "hour 24 out of range");
    ERRC(d, "2026-01-01T00:60:00Z", -EINVAL, "minute 60 out of range");
    ERRC(d, "2026-01-01T00:00:61Z", -EINVAL, "second 61 out of range");
    ERRC(d, "2026-01-01T00:00:00+24:00", -EINVAL, "offset hour 24 out of range");
    ERRC(d, "2026-01-01T00:00:00+05:60", -EINVAL, "offset minute 60 out of range");

    /* syntax */
    ERRC(d, "2026-11-23T03:17:57Zx", -EINVAL,
         "unexpected character after the time zone at byte 20");
    ERRC(d, "2026-11-23T03:17:57", -EINVAL, "time zone (Z or +hh:mm) missing at byte 19");
    ERRC(d, "2026-11-23T03:17:57.Z", -EINVAL, "expected a digit at byte 20");
    ERRC(d, "2026-11-23T03:17:57GMT", -EINVAL, "expected Z or an offset (+hh:mm) at byte 19");
    ERRC(d, "2026-11-23T03:17:57+0530", -EINVAL, "expected ':' at byte 22");
    ERRC(d, "2026-11-23_03:17:57Z", -EINVAL, "expected 'T' at byte 10");
    ERRC(d, "2026-11-23T3:17:57Z", -EINVAL, "expected a digit at byte 12");
    ERRC(d, "26-11-23T03:17:57Z", -EINVAL, "expected a digit at byte 2");
    ERRC(d, "2026/11/23T03:17:57Z", -EINVAL, "expected '-' at byte 4");
    ERRC(d, "2026-11-23", -EINVAL, "expected 'T' at byte 10");
    ERRC(d, "1700000000", -EINVAL, "is not RFC 3339: expected '-' at byte 4");

    /* the edges of int64 nanoseconds */
    OKS(d, "2262-04-11T23:47:16.854775807Z", INT64_MAX);
    ERRS(d, "2262-04-11T23:47:16.854775808Z", -ERANGE,
         "timestamp out of range: \"2262-04-11T23:47:16.854775808Z\" is outside "
         "1677-09-21..2262-04-11");
    OKS(d, "1677-09-21T00:12:43.145224192Z", INT64_MIN);
    ERRC(d, "1677-09-21T00:12:43.145224191Z", -ERANGE, "timestamp out of range");
    ERRC(d, "0000-01-01T00:00:00Z", -ERANGE, "timestamp out of range");
    ERRC(d, "9999-12-31T23:59:59+23:59", -ERANGE, "timestamp out of range");
    ERRC(d, "0000-01-01T00:00:00-23:59", -ERANGE, "timestamp out of range");

    /* the reason quotes at most 40 characters, escaped */
    ERRS(d, "2026-11-23T03:17:57Z and then a great deal more text", -EINVAL,
         "timestamp \"2026-11-23T03:17:57Z and then a great de...\" is not RFC 3339: "
         "unexpected character after the time zone at byte 20");
    ERRS(d, "2026-11-23T03:17:57\"\x01", -EINVAL,
         "timestamp \"2026-11-23T03:17:57\\\"\\x01\" is not RFC 3339: expected Z or an offset "
         "(+hh:mm) at byte 19");
}

static void test_epoch(void)
{
    const enum mo_time_format s = MO_TIME_EPOCH_S, ms = MO_TIME_EPOCH_MS, us = MO_TIME_EPOCH_US,
                              nsd = MO_TIME_EPOCH_NS;

    OKS(s, "1700000000", INT64_C(1700000000000000000));
    OKS(s, "1700000000.5", INT64_C(1700000000500000000));
    OKS(s, "1700000000.123456789", INT64_C(1700000000123456789));
    OKS(s, "1700000000.1234567899", INT64_C(1700000000123456789)); /* truncated */
    OKS(s, "1.7e9", INT64_C(1700000000000000000));
    OKS(s, "17E8", INT64_C(1700000000000000000));
    OKS(s, "1700000000.", INT64_C(1700000000000000000));
    OKS(s, ".5", 500000000);
    OKS(s, "+1", 1000000000);
    OKS(s, "0", 0);
    OKS(s, "-0", 0);
    OKS(s, "0e999999999999", 0);
    OKS(s, "1e-99999999999", 0);
    OKS(s, "000000000000000000000000001", 1000000000);
    OKS(ms, "1700000000123", INT64_C(1700000000123000000));
    OKS(ms, "1700000000123.456789", INT64_C(1700000000123456789));
    OKS(us, "1700000000123456", INT64_C(1700000000123456000));
    OKS(nsd, "1700000000123456789", INT64_C(1700000000123456789));
    OKS(nsd, "1700000000123456789.9", INT64_C(1700000000123456789));
    OKS(nsd, "9223372036854775807", INT64_MAX);
    OKS(nsd, "0.9", 0);

    /* negative epochs: before 1970, truncated toward zero */
    OKS(s, "-1", -1000000000);
    OKS(s, "-1.5", -1500000000);
    OKS(nsd, "-1.9", -1);
    OKS(nsd, "-9223372036854775808", INT64_MIN);
    OKS(s, "-9223372036.854775808", INT64_MIN);
    ERRC(nsd, "-9223372036854775809", -ERANGE, "timestamp out of range");
    ERRC(s, "-9223372036.854775809", -ERANGE, "timestamp out of range");

    /* overflow is an error, never wrapped */
    ERRS(nsd, "9223372036854775808", -ERANGE,
         "timestamp out of range: \"9223372036854775808\" as epoch_ns is outside "
         "1677-09-21..2262-04-11");
    ERRC(nsd, "99999999999999999999999", -ERANGE, "timestamp out of range");
    ERRC(s, "9223372037", -ERANGE, "timestamp out of range");
    ERRC(s, "1e30", -ERANGE, "as epoch_s is outside");
    ERRC(s, "1e99999999999999", -ERANGE, "timestamp out of range");

    /* not numbers */
    ERRS(ms, "17x", -EINVAL, "timestamp \"17x\" is not a number: unexpected character at byte 2");
    ERRC(ms, "-", -EINVAL, "is not a number: it ends early");
    ERRC(ms, ".", -EINVAL, "is not a number: it ends early");
    ERRC(ms, "1e", -EINVAL, "is not a number: it ends early");
    ERRC(ms, "1e+", -EINVAL, "is not a number: it ends early");
    ERRC(ms, "0x10", -EINVAL, "unexpected character at byte 1");
    ERRC(ms, "1 2", -EINVAL, "unexpected character at byte 1");
    ERRC(ms, "1,5", -EINVAL, "unexpected character at byte 1");
    ERRC(ms, "inf", -EINVAL, "unexpected character at byte 0");
    ERRC(ms, "NaN", -EINVAL, "unexpected character at byte 0");
    ERRC(ms, "--1", -EINVAL, "unexpected character at byte 1");
    ERRC(ms, "2026-11-23T03:17:57Z", -EINVAL, "is not a number");
}

static void test_auto(void)
{
    const enum mo_time_format a = MO_TIME_AUTO;

    OKS(a, "2026-11-23T03:17:57.123456Z", T0 + 123456000);
    OKS(a, "1700000000", INT64_C(1700000000000000000));
    OKS(a, "1700000000.25", INT64_C(1700000000250000000));
    OKS(a, "1700000000123", INT64_C(1700000000123000000));
    OKS(a, "1700000000123456", INT64_C(1700000000123456000));
    OKS(a, "1700000000123456789", INT64_C(1700000000123456789));
    OKS(a, "-1700000000", INT64_C(-1700000000000000000));
    OKS(a, "1.7e12", INT64_C(1700000000000000000)); /* 1.7e12 ms */
    OKS(a, "0", 0);

    /* each boundary: just below is the smaller unit (and beyond 2262 there),
     * at the boundary the larger */
    ERRS(a, "99999999999", -ERANGE,
         "timestamp out of range: \"99999999999\" as epoch_s (auto) is outside "
         "1677-09-21..2262-04-11");
    ERRC(a, "99999999999.999", -ERANGE, "as epoch_s (auto)");
    ERRC(a, "-99999999999", -ERANGE, "as epoch_s (auto)");
    OKS(a, "9223372036", INT64_C(9223372036000000000));
    OKS(a, "100000000000", INT64_C(100000000000000000));  /* 1e11 ms */
    OKS(a, "-100000000000", INT64_C(-100000000000000000));
    OKS(a, "1e11", INT64_C(100000000000000000));
    ERRC(a, "99999999999999", -ERANGE, "as epoch_ms (auto)");
    OKS(a, "100000000000000", INT64_C(100000000000000000)); /* 1e14 us */
    ERRC(a, "99999999999999999", -ERANGE, "as epoch_us (auto)");
    OKS(a, "100000000000000000", INT64_C(100000000000000000)); /* 1e17 ns */
    ERRC(a, "99999999999999999999999", -ERANGE, "as epoch_ns (auto)");
    ERRC(a, "1e30", -ERANGE, "as epoch_ns (auto)");

    ERRS(a, "yesterday", -EINVAL, "timestamp \"yesterday\" is neither RFC 3339 nor an epoch number");
    ERRC(a, "2026-13-01T00:00:00Z", -EINVAL, "is not RFC 3339: month 13 out of range");
}


static void test_parse_direct(void)
{
    int64_t v = SENTINEL;
    char why[MO_TIME_REASON_MAX];

    /* the length is what counts, not a NUL */
    TEST_EQ_INT(mo_time_parse_rfc3339("2026-11-23T03:17:57Z", 20, &v, why, sizeof why), 0);
    TEST_EQ_INT(v, T0);
    TEST_EQ_INT(mo_time_parse_rfc3339("2026-11-23T03:17:57Zjunk", 20, &v, why, sizeof why), 0);
    TEST_EQ_INT(mo_time_parse_rfc3339("2026-11-23T03:17:57Z", 19, &v, why, sizeof why), -EINVAL);
    TEST_EQ_INT(mo_time_parse_rfc3339("2026-11-23T03:17:57+05:30 ", 26, &v, why, sizeof why),
                -EINVAL);
    TEST_CONTAINS(why, "unexpected character after the time zone at byte 25");
    /* no reason buffer, or a tiny one */
    TEST_EQ_INT(mo_time_parse_rfc3339("2026-13-23T03:17:57Z", 20, &v, NULL, 0), -EINVAL);
    char tiny[8];
    TEST_EQ_INT(mo_time_parse_rfc3339("2026-13-23T03:17:57Z", 20, &v, tiny, sizeof tiny), -EINVAL);
    TEST_EQ_STR(tiny, "timesta");
    TEST_EQ_INT(v, T0);

    TEST_EQ_INT(mo_time_parse_epoch("1700000000123", 13, MO_TIME_AUTO, &v, why, sizeof why), 0);
    TEST_EQ_INT(v, INT64_C(1700000000123000000));
    TEST_EQ_INT(mo_time_parse_epoch("1700000000123", 10, MO_TIME_EPOCH_S, &v, why, sizeof why), 0);
    TEST_EQ_INT(v, INT64_C(1700000000000000000));
    TEST_EQ_INT(mo_time_parse_epoch("", 0, MO_TIME_EPOCH_S, &v, why, sizeof why), -EINVAL);
    TEST_CONTAINS(why, "it is empty");
    TEST_EQ_INT(mo_time_parse_epoch("1", 1, MO_TIME_RFC3339, &v, why, sizeof why), -EINVAL);
    TEST_EQ_STR(why, "format rfc3339 is not an epoch format");
    TEST_EQ_INT(mo_time_parse_epoch("1", 1, (enum mo_time_format)42, &v, why, sizeof why),
                -EINVAL);
    TEST_EQ_STR(why, "format (invalid) is not an epoch format");
    TEST_EQ_INT(mo_time_parse_epoch("1e30", 4, MO_TIME_AUTO, &v, NULL, 0), -ERANGE);

    /* the dispatcher: each format reads only its own kind */
    OKS(MO_TIME_EPOCH_S, "1700000000", INT64_C(1700000000000000000));
    ERRC(MO_TIME_EPOCH_S, "2026-11-23T03:17:57Z", -EINVAL, "is not a number");
    ERRC(MO_TIME_RFC3339, "1700000000", -EINVAL, "is not RFC 3339");
    ERRS(MO_TIME_AUTO, "", -EINVAL, "timestamp \"\" is neither RFC 3339 nor an epoch number");
    ERRC((enum mo_time_format)42, "1", -EINVAL, "not an epoch format");
}

static void test_leap_years(void)
{
    /* Gregorian: every 4th year, but not every 100th, but every 400th */
    OKS(MO_TIME_RFC3339, "2000-02-29T00:00:00Z", INT64_C(951782400000000000));
    OKS(MO_TIME_RFC3339, "2024-02-29T12:00:00Z", INT64_C(1709208000000000000));
    OKS(MO_TIME_RFC3339, "1972-02-29T00:00:00Z", INT64_C(68169600000000000));
    OKS(MO_TIME_RFC3339, "1968-02-29T00:00:00Z", INT64_C(-58060800000000000));
    OKS(MO_TIME_RFC3339, "2096-02-29T00:00:00Z", INT64_C(3981312000000000000));
    ERRC(MO_TIME_RFC3339, "2100-02-29T00:00:00Z", -EINVAL, "day 29 out of range for 2100-02");
    ERRC(MO_TIME_RFC3339, "1900-02-29T00:00:00Z", -EINVAL, "day 29 out of range for 1900-02");
    ERRC(MO_TIME_RFC3339, "1700-02-29T00:00:00Z", -EINVAL, "day 29 out of range for 1700-02");
    ERRC(MO_TIME_RFC3339, "2023-02-29T00:00:00Z", -EINVAL, "day 29 out of range for 2023-02");
    ERRC(MO_TIME_RFC3339, "2024-02-30T00:00:00Z", -EINVAL, "day 30 out of range for 2024-02");
    /* valid dates outside int64 nanoseconds are a range error, not a date error */
    ERRC(MO_TIME_RFC3339, "1600-02-29T00:00:00Z", -ERANGE, "timestamp out of range");
    ERRC(MO_TIME_RFC3339, "2400-02-29T00:00:00Z", -ERANGE, "timestamp out of range");
    ERRC(MO_TIME_RFC3339, "9999-12-31T23:59:59Z", -ERANGE, "timestamp out of range");
    /* Feb 29 across an offset: the instant is on March 1st in UTC */
    OKS(MO_TIME_RFC3339, "2024-02-29T23:30:00-01:00", INT64_C(1709253000000000000));
    char buf[MO_TIME_RFC3339_MAX];
    mo_time_format_rfc3339(INT64_C(1709253000000000000), 0, 0, buf, sizeof buf);
    TEST_EQ_STR(buf, "2024-03-01T00:30:00Z");
    mo_time_format_rfc3339(INT64_C(1709253000000000000), 0, -60, buf, sizeof buf);
    TEST_EQ_STR(buf, "2024-02-29T23:30:00-01:00");

    /* the length of every month of every year of the range */
    for (int y = 1678; y <= 2261; y++)
        for (int m = 1; m <= 12; m++) {
            static const int dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
            bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
            int last = m == 2 && leap ? 29 : dim[m - 1];
            char s[32];
            snprintf(s, sizeof s, "%04d-%02d-%02dT00:00:00Z", y, m, last);
            TEST_EQ_INT(run(MO_TIME_RFC3339, s), 0);
            snprintf(s, sizeof s, "%04d-%02d-%02dT00:00:00Z", y, m, last + 1);
            TEST_EQ_INT(run(MO_TIME_RFC3339, s), -EINVAL);
        }
}

/* Every day of the range: the date written is the C library's, and reading it
 * back gives the same instant, at 9 digits and under an offset. */
static void test_calendar(void)
{
    const int64_t day_ns = INT64_C(86400) * 1000000000;
    int64_t first = INT64_MIN / day_ns + 1, last = INT64_MAX / day_ns - 1;
    int bad = 0;
    for (int64_t d = first; d <= last && bad < 10; d++) {
        /* a different time of day, fraction and offset each day */
        int64_t tod = (d * 7919) % 86400;
        if (tod < 0)
            tod += 86400;
        int64_t frac = (d * 104729) % 1000000000;
        if (frac < 0)
            frac += 1000000000;
        int offset = (int)(((d % 2879) + 2879) % 2879) - 1439;
        int64_t t = d * day_ns + tod * 1000000000 + frac;

        char mine[MO_TIME_RFC3339_MAX], libc[64], local[64];
        time_t sec = (time_t)(d * 86400 + tod);
        struct tm tm;
        gmtime_r(&sec, &tm);
        strftime(libc, sizeof libc, "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(libc + strlen(libc), sizeof libc - strlen(libc), ".%09dZ", (int)frac);
        int n = mo_time_format_rfc3339(t, 9, 0, mine, sizeof mine);
        bool ok = n == 30 && strcmp(mine, libc) == 0;
        ok = ok && run(MO_TIME_RFC3339, mine) == 0 && ns == t;

        /* the same instant in local time */
        time_t lsec = sec + offset * 60;
        gmtime_r(&lsec, &tm);
        strftime(local, sizeof local, "%Y-%m-%dT%H:%M:%S", &tm);
        n = mo_time_format_rfc3339(t, 9, offset, mine, sizeof mine);
        ok = ok && (offset == 0 ? n == 30 : n == 35) &&
             strncmp(mine, local, 19) == 0 && run(MO_TIME_RFC3339, mine) == 0 && ns == t;
        if (!ok) {
            fprintf(stderr, "day %lld: %s (libc %s, local %s)\n", (long long)d, mine, libc, local);
            bad++;
        }
        test_checks++;
    }
    test_failures += bad;
}

static void test_format(void)
{
    char buf[MO_TIME_RFC3339_MAX];
    const int64_t t = 1763867877123456789LL; /* 2025-11-23T03:17:57.123456789Z */
    static const char *const want[] = {
        "2025-11-23T03:17:57Z",           "2025-11-23T03:17:57.1Z",
        "2025-11-23T03:17:57.12Z",        "2025-11-23T03:17:57.123Z",
        "2025-11-23T03:17:57.1234Z",      "2025-11-23T03:17:57.12345Z",
        "2025-11-23T03:17:57.123456Z",    "2025-11-23T03:17:57.1234567Z",
        "2025-11-23T03:17:57.12345678Z",  "2025-11-23T03:17:57.123456789Z",
    };
    for (int k = 0; k <= 9; k++) {
        TEST_EQ_INT(mo_time_format_rfc3339(t, k, 0, buf, sizeof buf), (int)strlen(want[k]));
        TEST_EQ_STR(buf, want[k]);
    }
    mo_time_format_rfc3339(t + 800000000, 6, 0, buf, sizeof buf);
    TEST_EQ_STR(buf, "2025-11-23T03:17:57.923456Z");
    mo_time_format_rfc3339(t + 900000000, 6, 0, buf, sizeof buf);
    TEST_EQ_STR(buf, "2025-11-23T03:17:58.023456Z");
    mo_time_format_rfc3339(0, 6, 0, buf, sizeof buf);
    TEST_EQ_STR(buf, "1970-01-01T00:00:00.000000Z");

    /* before the epoch: the fraction counts forward from the second below */
    mo_time_format_rfc3339(-1, 9, 0, buf, sizeof buf);
    TEST_EQ_STR(buf, "1969-12-31T23:59:59.999999999Z");
    mo_time_format_rfc3339(-1500000000, 3, 0, buf, sizeof buf);
    TEST_EQ_STR(buf, "1969-12-31T23:59:58.500Z");

    /* offsets east and west, across midnight and the year */
    TEST_EQ_INT(mo_time_format_rfc3339(T0 + 123456789, 9, 120, buf, sizeof buf), 35);
    TEST_EQ_STR(buf, "2026-11-23T05:17:57.123456789+02:00");
    mo_time_format_rfc3339(T0, 0, -330, buf, sizeof buf);
    TEST_EQ_STR(buf, "2026-11-22T21:47:57-05:30");
    mo_time_format_rfc3339(0, 3, 1439, buf, sizeof buf);
    TEST_EQ_STR(buf, "1970-01-01T23:59:00.000+23:59");
    mo_time_format_rfc3339(0, 0, -1439, buf, sizeof buf);
    TEST_EQ_STR(buf, "1969-12-31T00:01:00-23:59");
    mo_time_format_rfc3339(0, 0, -1, buf, sizeof buf);
    TEST_EQ_STR(buf, "1969-12-31T23:59:00-00:01");

    /* the ends of int64 nanoseconds, and past them in local time */
    mo_time_format_rfc3339(INT64_MAX, 9, 0, buf, sizeof buf);
    TEST_EQ_STR(buf, "2262-04-11T23:47:16.854775807Z");
    mo_time_format_rfc3339(INT64_MIN, 9, 0, buf, sizeof buf);
    TEST_EQ_STR(buf, "1677-09-21T00:12:43.145224192Z");
    mo_time_format_rfc3339(INT64_MAX, 9, 1439, buf, sizeof buf);
    TEST_EQ_STR(buf, "2262-04-12T23:46:16.854775807+23:59");
    OKS(MO_TIME_RFC3339, buf, INT64_MAX);
    mo_time_format_rfc3339(INT64_MIN, 0, -1439, buf, sizeof buf);
    TEST_EQ_STR(buf, "1677-09-20T00:13:43-23:59");

    /* bad arguments and small buffers: an error and an empty string, never a
     * cut timestamp */
    strcpy(buf, "x");
    TEST_EQ_INT(mo_time_format_rfc3339(t, 10, 0, buf, sizeof buf), -EINVAL);
    TEST_EQ_STR(buf, "");
    TEST_EQ_INT(mo_time_format_rfc3339(t, -1, 0, buf, sizeof buf), -EINVAL);
    TEST_EQ_INT(mo_time_format_rfc3339(t, 0, 1440, buf, sizeof buf), -EINVAL);
    TEST_EQ_INT(mo_time_format_rfc3339(t, 0, -1440, buf, sizeof buf), -EINVAL);
    for (size_t len = 0; len <= 36; len++) {
        char small[40];
        memset(small, 'x', sizeof small);
        int r = mo_time_format_rfc3339(t, 9, 60, small, len);
        if (len < 36) {
            TEST_EQ_INT(r, -ENOBUFS);
            TEST_CHECK(len == 0 ? small[0] == 'x' : small[0] == '\0');
        } else {
            TEST_EQ_INT(r, 35);
            TEST_EQ_STR(small, "2025-11-23T04:17:57.123456789+01:00");
        }
    }
    char exact[21];
    TEST_EQ_INT(mo_time_format_rfc3339(t, 0, 0, exact, sizeof exact), 20);
    TEST_EQ_INT(mo_time_format_rfc3339(t, 0, 0, exact, sizeof exact - 1), -ENOBUFS);
}

/* Fractions of every length, and round trips through every digit count. */
static void test_round_trips(void)
{
    static const int64_t instants[] = {
        0, 1, -1, 999999999, -999999999, 1000000000, T0, T0 + 123456789, INT64_MAX, INT64_MIN,
        INT64_C(951782400000000000) /* 2000-02-29 */, INT64_C(1483228799999999999),
    };
    static const int offsets[] = {0, 1, -1, 60, -60, 330, -330, 345, 1439, -1439};
    for (size_t i = 0; i < sizeof instants / sizeof *instants; i++)
        for (size_t o = 0; o < sizeof offsets / sizeof *offsets; o++) {
            char buf[MO_TIME_RFC3339_MAX];
            TEST_CHECK(mo_time_format_rfc3339(instants[i], 9, offsets[o], buf, sizeof buf) > 0);
            OKS(MO_TIME_RFC3339, buf, instants[i]);
            /* fewer digits: the instant truncated toward the past */
            for (int k = 0; k < 9; k++) {
                int64_t unit = 1;
                for (int j = k; j < 9; j++)
                    unit *= 10;
                int64_t floor;
                bool below = __builtin_sub_overflow(instants[i],
                                                    ((instants[i] % unit) + unit) % unit, &floor);
                mo_time_format_rfc3339(instants[i], k, offsets[o], buf, sizeof buf);
                if (below) { /* written, but before the first instant int64 holds */
                    TEST_EQ_INT(run(MO_TIME_RFC3339, buf), -ERANGE);
                    continue;
                }
                TEST_EQ_INT(run(MO_TIME_RFC3339, buf), 0);
                TEST_EQ_INT(ns, floor);
            }
        }
}

static void test_garbage(void)
{
    static const char *const bad[] = {
        "",
        " ",
        "Z",
        "T",
        "2026",
        "2026-",
        "2026-11",
        "2026-11-23T",
        "2026-11-23T03",
        "2026-11-23T03:17",
        "2026-11-23T03:17:",
        "2026-11-23T03:17:57.",
        "2026-11-23T03:17:57+",
        "2026-11-23T03:17:57+05",
        "2026-11-23T03:17:57+05:",
        "2026-11-23T03:17:57+05:3",
        "2026-11-23T03:17:57+5:30",
        "2026-11-23T03:17:57ZZ",
        "2026-11-23T03:17:57 Z",
        " 2026-11-23T03:17:57Z",
        "2026-11-23T03:17:57Z ",
        "2026-11-23TT03:17:57Z",
        "2026-11-23T03:17:57.1.2Z",
        "2026-11-23T03:17:57,5Z",
        "+2026-11-23T03:17:57Z",
        "-2026-11-23T03:17:57Z",
        "20261-11-23T03:17:57Z",
        "2026-1-23T03:17:57Z",
        "2026-11-3T03:17:57Z",
        "2026-11-23T03:17:5Z",
        "2026-11-23T03:17:57UTC",
        "2026-11-23T03:17:57+05:30:00",
        "2026-11-23T03:17:57\xef\xbc\xba", /* a full-width Z */
        "\xd9\xa2\xd9\xa0\xd9\xa2\xd9\xa6-11-23T03:17:57Z", /* Arabic-Indic digits */
        "2026-11-23t03:17:57.123456789-",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int r = run(MO_TIME_RFC3339, bad[i]);
        TEST_EQ_INT(r, -EINVAL);
        TEST_EQ_INT(ns, SENTINEL);
        TEST_CONTAINS(reason, "is not RFC 3339");
        if (r != -EINVAL)
            fprintf(stderr, "  accepted \"%s\"\n", bad[i]);
    }
    /* a NUL inside the text is a byte like any other */
    TEST_EQ_INT(run_len(MO_TIME_RFC3339, "2026-11-23T03:17:57Z\0", 21), -EINVAL);
    TEST_CONTAINS(reason, "\\x00");
    TEST_EQ_INT(run_len(MO_TIME_EPOCH_S, "17\0", 3), -EINVAL);
}

static void test_epoch_numbers(void)
{
    int64_t v = SENTINEL;
    char why[MO_TIME_REASON_MAX];

    /* from a double */
    TEST_EQ_INT(mo_time_epoch_double(1700000000.5, MO_TIME_EPOCH_S, &v, why, sizeof why), 0);
    TEST_EQ_INT(v, INT64_C(1700000000500000000));
    TEST_EQ_INT(mo_time_epoch_double(1700000000000.0, MO_TIME_AUTO, &v, why, sizeof why), 0);
    TEST_EQ_INT(v, INT64_C(1700000000000000000)); /* ms by magnitude, exact in a double */
    TEST_EQ_INT(mo_time_epoch_double(1700000000123.0, MO_TIME_EPOCH_MS, &v, why, sizeof why), 0);
    TEST_CHECK(llabs(v - INT64_C(1700000000123000000)) <= 256); /* one ulp */
    TEST_EQ_INT(mo_time_epoch_double(-1.5, MO_TIME_EPOCH_MS, &v, why, sizeof why), 0);
    TEST_EQ_INT(v, -1500000);
    TEST_EQ_INT(mo_time_epoch_double(1e30, MO_TIME_EPOCH_S, &v, why, sizeof why), -ERANGE);
    TEST_EQ_STR(why, "timestamp out of range: 1e+30 as epoch_s is outside 1677-09-21..2262-04-11");
    TEST_EQ_INT(mo_time_epoch_double(99999999999.0, MO_TIME_AUTO, &v, why, sizeof why), -ERANGE);
    TEST_CONTAINS(why, "as epoch_s (auto)");
    TEST_EQ_INT(mo_time_epoch_double(9223372036854775808.0, MO_TIME_EPOCH_NS, &v, NULL, 0),
                -ERANGE);
    TEST_EQ_INT(mo_time_epoch_double(-9223372036854775808.0, MO_TIME_EPOCH_NS, &v, NULL, 0), 0);
    TEST_EQ_INT(v, INT64_MIN);
    TEST_EQ_INT(mo_time_epoch_double(NAN, MO_TIME_EPOCH_NS, &v, NULL, 0), -ERANGE);
    TEST_EQ_INT(mo_time_epoch_double(1, MO_TIME_RFC3339, &v, why, sizeof why), -EINVAL);
    TEST_EQ_STR(why, "format rfc3339 is not an epoch format");

    /* from an unsigned count */
    v = SENTINEL;
    TEST_EQ_INT(mo_time_epoch_u64(1700000000, MO_TIME_EPOCH_S, &v), 0);
    TEST_EQ_INT(v, INT64_C(1700000000000000000));
    TEST_EQ_INT(mo_time_epoch_u64(1700000000123, MO_TIME_EPOCH_MS, &v), 0);
    TEST_EQ_INT(v, INT64_C(1700000000123000000));
    TEST_EQ_INT(mo_time_epoch_u64(1700000000123456, MO_TIME_EPOCH_US, &v), 0);
    TEST_EQ_INT(v, INT64_C(1700000000123456000));
    TEST_EQ_INT(mo_time_epoch_u64((uint64_t)INT64_MAX, MO_TIME_EPOCH_NS, &v), 0);
    TEST_EQ_INT(v, INT64_MAX);
    v = SENTINEL;
    TEST_EQ_INT(mo_time_epoch_u64((uint64_t)INT64_MAX + 1, MO_TIME_EPOCH_NS, &v), -ERANGE);
    TEST_EQ_INT(mo_time_epoch_u64(UINT64_MAX, MO_TIME_EPOCH_NS, &v), -ERANGE);
    TEST_EQ_INT(mo_time_epoch_u64(9223372037, MO_TIME_EPOCH_S, &v), -ERANGE);
    TEST_EQ_INT(mo_time_epoch_u64(9223372036854776, MO_TIME_EPOCH_US, &v), -ERANGE);
    TEST_EQ_INT(mo_time_epoch_u64(UINT64_MAX, MO_TIME_EPOCH_S, &v), -ERANGE); /* wraps in 64 bits */
    TEST_EQ_INT(mo_time_epoch_u64(1, MO_TIME_AUTO, &v), -EINVAL);
    TEST_EQ_INT(v, SENTINEL);

    TEST_EQ_STR(mo_time_unit_name(MO_TIME_EPOCH_S), "s");
    TEST_EQ_STR(mo_time_unit_name(MO_TIME_EPOCH_MS), "ms");
    TEST_EQ_STR(mo_time_unit_name(MO_TIME_EPOCH_US), "us");
    TEST_EQ_STR(mo_time_unit_name(MO_TIME_EPOCH_NS), "ns");
    TEST_CHECK(mo_time_unit_name(MO_TIME_AUTO) == NULL);
    TEST_CHECK(mo_time_unit_name(MO_TIME_RFC3339) == NULL);
}

/* ---- durations ---- */

#define DUR_OK(s, expect)                                                                          \
    do {                                                                                           \
        uint64_t _v = 7;                                                                           \
        TEST_EQ_INT(mo_time_parse_duration(s, &_v), 0);                                            \
        TEST_EQ_INT(_v, expect);                                                                   \
    } while (0)
#define DUR_ERR(s, code)                                                                           \
    do {                                                                                           \
        uint64_t _v = 7;                                                                           \
        TEST_EQ_INT(mo_time_parse_duration(s, &_v), code);                                         \
        TEST_EQ_INT(_v, 7);                                                                        \
    } while (0)

static void test_duration(void)
{
    DUR_OK("0s", 0);
    DUR_OK("0us", 0);
    DUR_OK("7us", 7);
    DUR_OK("250ms", 250000);
    DUR_OK("30s", 30000000);
    DUR_OK("5m", 300000000);
    DUR_OK("1h", UINT64_C(3600000000));
    DUR_OK("24h", UINT64_C(86400000000));
    DUR_OK("1.5s", 1500000);
    DUR_OK("1.5m", 90000000);
    DUR_OK("0.25h", 900000000);
    DUR_OK("0.5ms", 500);
    DUR_OK("007s", 7000000);
    DUR_OK("1.000000s", 1000000);
    DUR_OK("1.0s", 1000000);
    /* exact: no double rounding, digits below a microsecond truncated */
    DUR_OK("0.000001s", 1);
    DUR_OK("0.0000009s", 0);
    DUR_OK("1.9999999s", 1999999);
    DUR_OK("0.1s", 100000);
    DUR_OK("0.3s", 300000);
    DUR_OK("0.7ms", 700);
    DUR_OK("2.2h", UINT64_C(7920000000));
    DUR_OK("0.333333333333333333333333333333h", UINT64_C(1199999999));
    DUR_OK("0.0166666666666666666666666666667h", UINT64_C(60000000)); /* just over a minute */
    DUR_OK("0.01666666666666666666666666666666h", UINT64_C(59999999)); /* just under */
    DUR_OK("0.1us", 0);
    DUR_OK("1.9us", 1);
    DUR_OK("12345678.123456789s", UINT64_C(12345678123456));
    DUR_OK("0000000000000000000000000000001s", 1000000);
    /* the largest, and just past it */
    DUR_OK("1000000000s", UINT64_C(1000000000000000));
    DUR_OK("1000000000000000us", UINT64_C(1000000000000000));
    DUR_OK("277777.7777777777h", UINT64_C(999999999999999));
    DUR_ERR("1000000000.000001s", -ERANGE);
    DUR_ERR("1000000000000001us", -ERANGE);
    DUR_ERR("277778h", -ERANGE);
    DUR_ERR("16666667m", -ERANGE);
    DUR_ERR("18446744073709551616s", -ERANGE);
    DUR_ERR("99999999999999999999999999999999999999h", -ERANGE);

    /* only digits, a fraction and a unit */
    static const char *const bad[] = {
        "",    "s",     "1",     "1.5",   "10 s", " 1s",   "1s ",   "1.s",   ".5s",   "1..5s",
        "1.5.5s", "+1s", "-1s",  "-0s",   "0x10s", "0X10s", "1e1m",  "1E3ms", "1e-3s", "1.5e1s",
        "inf", "infs",  "nans",  "1ss",   "1S",    "1MS",   "1sec",  "1 ms",  "1,5s",  "1_000s",
        "1d",  "1w",    "1ns",   "1µs",   "1min",  "s1",    "1s1",   "1h30m", "\xd9\xa1s",
        "1\n", "1s\n",  "\t1s",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        uint64_t v = 7;
        int r = mo_time_parse_duration(bad[i], &v);
        TEST_EQ_INT(r, -EINVAL);
        if (r != -EINVAL)
            fprintf(stderr, "  \"%s\" gave %d, %llu\n", bad[i], r, (unsigned long long)v);
        TEST_EQ_INT(v, 7);
    }
    DUR_ERR(NULL, -EINVAL);
}

/* The fraction against 128-bit arithmetic, for many digit strings. */
static void test_duration_exact(void)
{
    static const struct {
        const char *name;
        uint64_t us;
    } units[] = {{"us", 1}, {"ms", 1000}, {"s", 1000000}, {"m", 60000000}, {"h", 3600000000u}};
    uint64_t x = 88172645463325252u; /* xorshift64, fixed seed */
    int bad = 0;
    for (int i = 0; i < 200000 && bad < 10; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        size_t u = x % 5, ni = 1 + (x >> 3) % 6, nf = (x >> 6) % 20;
        char s[64];
        size_t o = 0;
        uint64_t whole = 0;
        unsigned __int128 frac = 0, scale = 1;
        uint64_t r = x;
        for (size_t k = 0; k < ni; k++, r = r * 6364136223846793005u + 1442695040888963407u) {
            int digit = (int)((r >> 33) % 10);
            s[o++] = (char)('0' + digit);
            whole = whole * 10 + (uint64_t)digit;
        }
        if (nf) {
            s[o++] = '.';
            for (size_t k = 0; k < nf; k++, r = r * 6364136223846793005u + 1442695040888963407u) {
                int digit = (int)((r >> 33) % 10);
                s[o++] = (char)('0' + digit);
                frac = frac * 10 + (unsigned)digit;
                scale *= 10;
            }
        }
        strcpy(s + o, units[u].name);
        uint64_t want = whole * units[u].us + (uint64_t)(frac * units[u].us / scale);
        uint64_t got = 0;
        int rc = mo_time_parse_duration(s, &got);
        bool ok = want > MO_TIME_DURATION_MAX_US ? rc == -ERANGE : rc == 0 && got == want;
        if (!ok) {
            fprintf(stderr, "  %s: %d %llu, expected %llu\n", s, rc, (unsigned long long)got,
                    (unsigned long long)want);
            bad++;
        }
        test_checks++;
    }
    test_failures += bad;
}

static void test_format_duration(void)
{
    static const struct {
        uint64_t us;
        const char *text;
    } cases[] = {
        {0, "0s"},
        {1, "1us"},
        {999, "999us"},
        {1000, "1ms"},
        {1500, "1500us"},
        {50000, "50ms"},
        {1000000, "1s"},
        {1500000, "1500ms"},
        {60000000, "1m"},
        {90000000, "90s"},
        {3600000000u, "1h"},
        {86400000000u, "24h"},
        {5400000000u, "90m"},
        {MO_TIME_DURATION_MAX_US, "1000000000s"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char buf[32];
        TEST_EQ_INT(mo_time_format_duration(cases[i].us, buf, sizeof buf),
                    (int)strlen(cases[i].text));
        TEST_EQ_STR(buf, cases[i].text);
        /* and it reads back */
        uint64_t v = 0;
        TEST_EQ_INT(mo_time_parse_duration(buf, &v), 0);
        TEST_EQ_INT(v, cases[i].us);
    }
}

int main(void)
{
    test_parse_rfc3339();
    test_epoch();
    test_auto();
    test_parse_direct();
    test_leap_years();
    test_calendar();
    test_format();
    test_round_trips();
    test_garbage();
    test_epoch_numbers();
    test_duration();
    test_duration_exact();
    test_format_duration();
    return test_result("test-timefmt");
}
