/* Unit tests for --since/--until parsing (src/report/when.c), with a fixed
 * "now" and time zones given as POSIX TZ strings (no tzdata needed). */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "test.h"
#include "when.h"

#define S 1000000LL
/* 2012-11-23 18:15:22 UTC, the "now" of systemd.time(7)'s examples */
static const int64_t NOW = 1353694522 * S;
static const int64_t DAY = 1353628800 * S; /* 2012-11-23 00:00:00 UTC */

static void set_tz(const char *tz)
{
    setenv("TZ", tz, 1);
    tzset();
}

static int64_t parse(const char *s)
{
    int64_t v = -1;
    int r = lr_when_parse(s, NOW, &v);
    if (r < 0) {
        fprintf(stderr, "\"%s\" did not parse\n", s);
        return INT64_MIN;
    }
    return v;
}

static void test_utc(void)
{
    set_tz("UTC0");
    TEST_EQ_INT(parse("now"), NOW);
    TEST_EQ_INT(parse("  now  "), NOW);
    TEST_EQ_INT(parse("today"), DAY);
    TEST_EQ_INT(parse("yesterday"), DAY - 86400 * S);
    TEST_EQ_INT(parse("tomorrow"), DAY + 86400 * S);
    TEST_EQ_INT(parse("2012-11-23"), DAY);
    TEST_EQ_INT(parse("2012-11-23 11:12:13"), 1353669133 * S);
    TEST_EQ_INT(parse("2012-11-23 11:12"), 1353669120 * S);
    TEST_EQ_INT(parse("2012-11-23 11:12:13 UTC"), 1353669133 * S);
    TEST_EQ_INT(parse("Fri 2012-11-23 11:12:13"), 1353669133 * S);
    TEST_EQ_INT(parse("friday 2012-11-23 11:12:13"), 1353669133 * S);
    TEST_EQ_INT(parse("11:12:13"), 1353669133 * S);
    TEST_EQ_INT(parse("11:12"), 1353669120 * S);
    TEST_EQ_INT(parse("Fri 11:12"), 1353669120 * S);
    TEST_EQ_INT(parse("2014-03-25 03:59:56.654563"), 1395719996654563LL);
    TEST_EQ_INT(parse("2014-03-25 03:59:56.6"), 1395719996600000LL);
    TEST_EQ_INT(parse("2014-03-25 03:59:56.1234567"), 1395719996123456LL);
    TEST_EQ_INT(parse("2012-02-29"), 1330473600 * S);
    TEST_EQ_INT(parse("2000-02-29 00:00:00"), 951782400 * S);
    /* relative */
    TEST_EQ_INT(parse("+3h30min"), NOW + 12600 * S);
    TEST_EQ_INT(parse("-5s"), NOW - 5 * S);
    TEST_EQ_INT(parse("11min ago"), NOW - 660 * S);
    TEST_EQ_INT(parse("-1h"), NOW - 3600 * S);
    TEST_EQ_INT(parse("-30min"), NOW - 1800 * S);
    TEST_EQ_INT(parse("-2d"), NOW - 2 * 86400 * S);
}

static void test_spans(void)
{
    set_tz("UTC0");
    struct {
        const char *s;
        int64_t us;
    } ok[] = {
        {"-2 h", 7200 * S},          {"-2hours", 7200 * S},     {"-48hr", 48 * 3600 * S},
        {"-1y 12month", (31557600LL + 12 * 2629800LL) * S},   {"-55s500ms", 55500000},
        {"-300ms20s 5day", 300000 + 20 * S + 5 * 86400 * S},   {"-1.5h", 5400 * S},
        {"-1h30m", 5400 * S},       {"-90", 90 * S},           {"-1w", 604800 * S},
        {"-1 week", 604800 * S},    {"-3 weeks", 3 * 604800 * S}, {"-1M", 2629800 * S},
        {"-1 month", 2629800 * S},  {"-1y", 31557600 * S},     {"-1 year", 31557600 * S},
        {"-7usec", 7},              {"-7us", 7},               {"-7\xc2\xb5s", 7},
        {"-7\xce\xbcs", 7},         {"-3msec", 3000},          {"-1 second", S},
        {"-2 seconds", 2 * S},      {"-2sec", 2 * S},          {"-2 minutes", 120 * S},
        {"-1 minute", 60 * S},      {"-1 hour", 3600 * S},     {"-1 day", 86400 * S},
        {"-3 days", 3 * 86400 * S}, {"-.5s", 500000},          {"-1h 30min", 5400 * S},
    };
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        int64_t got = parse(ok[i].s);
        if (got != NOW - ok[i].us)
            fprintf(stderr, "span \"%s\": %lld, expected %lld\n", ok[i].s, (long long)(NOW - got),
                    (long long)ok[i].us);
        TEST_EQ_INT(got, NOW - ok[i].us);
    }
    TEST_EQ_INT(parse("1h 30min left"), NOW + 5400 * S);
    TEST_EQ_INT(parse("2h30min ago"), NOW - 9000 * S);
    TEST_EQ_INT(parse("+0"), NOW);
    /* epoch */
    TEST_EQ_INT(parse("@1395716396"), 1395716396 * S);
    TEST_EQ_INT(parse("@1395716396.5"), 1395716396500000LL);
    TEST_EQ_INT(parse("@0"), 0);
}

static void test_rfc3339(void)
{
    set_tz("CET-1"); /* must not matter */
    int64_t v;
    TEST_EQ_INT(parse("2012-11-23T11:12:13Z"), 1353669133 * S);
    TEST_EQ_INT(parse("2012-11-23t11:12:13z"), 1353669133 * S);
    TEST_EQ_INT(parse("2012-11-23 11:12:13Z"), 1353669133 * S);
    TEST_EQ_INT(parse("2012-11-23T11:12:13.5+01:00"), 1353669133 * S - 3600 * S + 500000);
    TEST_EQ_INT(parse("2012-11-23T11:12:13-05:30"), 1353669133 * S + 19800 * S);
    TEST_EQ_INT(lr_when_parse_rfc3339("2026-11-23T03:35:17.021422Z", &v), 0);
    TEST_EQ_INT(v, 1795404917021422LL);
    /* the daemon's ts only: no other form */
    TEST_EQ_INT(lr_when_parse_rfc3339("2026-11-23 03:35:17", &v), -EINVAL);
    TEST_EQ_INT(lr_when_parse_rfc3339("now", &v), -EINVAL);
    TEST_EQ_INT(lr_when_parse_rfc3339("2026-11-23T03:35Z", &v), -EINVAL);
    TEST_EQ_INT(lr_when_parse_rfc3339("2026-11-23T03:35:17Zx", &v), -EINVAL);
}

static void test_local(void)
{
    /* UTC+1 all year: local times are an hour ahead of UTC */
    set_tz("CET-1");
    TEST_EQ_INT(parse("2012-11-23 11:12:13"), (1353669133 - 3600) * S);
    TEST_EQ_INT(parse("2012-11-23 11:12:13 UTC"), 1353669133 * S);
    TEST_EQ_INT(parse("2012-11-23"), DAY - 3600 * S);
    TEST_EQ_INT(parse("today"), DAY - 3600 * S); /* it is 19:15 on the 23rd there */
    TEST_EQ_INT(parse("today UTC"), DAY);
    TEST_EQ_INT(parse("yesterday UTC"), DAY - 86400 * S);
    TEST_EQ_INT(parse("11:12"), (1353669120 - 3600) * S);
    /* UTC-10: at 18:15 UTC it is still 08:15 on the 23rd; at 23:00 UTC... */
    set_tz("HST10");
    TEST_EQ_INT(parse("today"), DAY + 10 * 3600 * S);
    int64_t v;
    TEST_EQ_INT(lr_when_parse("today", (1353628800LL + 3600) * S, &v), 0); /* 2012-11-22 15:00 local */
    TEST_EQ_INT(v, DAY - 86400 * S + 10 * 3600 * S);
    /* with daylight saving time: summer is UTC+2 */
    set_tz("CET-1CEST,M3.5.0,M10.5.0/3");
    TEST_EQ_INT(parse("2012-07-01 12:00:00"), (1341144000 - 7200) * S);
    TEST_EQ_INT(parse("2012-12-01 12:00:00"), (1354363200 - 3600) * S);
}

static void test_invalid(void)
{
    set_tz("UTC0");
    const char *bad[] = {
        "", "   ", "nowish", "2012-13-01", "2012-00-10", "2012-02-30", "2013-02-29", "2012-11-31",
        "2012-11-23 25:00", "2012-11-23 24:00", "2012-11-23 11:60", "2012-11-23 11:12:60",
        "2012-11-23 11", "11:12:13 x", "5 parsecs ago", "-", "+", "@", "ago", " ago", "-1hh",
        "1x ago", "-5mx", "Fri2012-11-23", "Thu 2012-11-23 11:12:13", "Fr 2012-11-23",
        "2012-11-23T11:12:13", "2012-11-23T11:12Z", "2012-11-23T11:12:13+1:00",
        "2012-11-23T11:12:13+01:60", "tomorrow x", "12-11-23", "1969-12-31", "2012/11/23",
        "-1e3s", "-0x10s", "-inf", "-nan", "-1..5s", "-.s", "-99999999999y", "today  UTC UTC",
        "2012-11-23 11:12:13.", "2012-11-23 11:12:13 PST", "@-5", "2 h", "5",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int64_t v = 12345;
        int r = lr_when_parse(bad[i], NOW, &v);
        if (r != -EINVAL)
            fprintf(stderr, "\"%s\" parsed (%lld)\n", bad[i], (long long)v);
        TEST_EQ_INT(r, -EINVAL);
        TEST_EQ_INT(v, 12345); /* untouched on error */
    }
}

int main(void)
{
    test_utc();
    test_spans();
    test_rfc3339();
    test_local();
    test_invalid();
    return test_result("test-report-when");
}
