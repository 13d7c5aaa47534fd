/* Unit tests for reading and checking summary fields (src/report/summary.c),
 * the clock's among them, and the histogram additions it relies on
 * (mo_hist_key, mo_hist_set_range). */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hist.h"
#include "summary.h"
#include "test.h"

/* A record as key/value texts; a NULL value removes the key. */
#define MAX_F 32
struct rec {
    const char *key[MAX_F];
    const char *val[MAX_F];
    size_t n;
};

static const char *lookup(void *ud, const char *key)
{
    struct rec *r = ud;
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->key[i], key) == 0)
            return r->val[i];
    return NULL;
}

static void set(struct rec *r, const char *key, const char *val)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->key[i], key) == 0) {
            r->val[i] = val;
            return;
        }
    r->key[r->n] = key;
    r->val[r->n++] = val;
}

static char hist_text[65536];

/* A valid summary of 1000 latencies from -130 us to 29.84 ms, as the daemon writes it. */
static void good(struct rec *r, mo_hist *src)
{
    mo_hist_reset(src);
    for (int i = 0; i < 1000; i++)
        mo_hist_record(src, (int64_t)i * 30 - 130);
    mo_hist_encode(src, hist_text, sizeof hist_text);
    *r = (struct rec){0};
    set(r, "cache", "prices");
    set(r, "topic", "eu");
    set(r, "interval_s", "60.002");
    set(r, "count", "1003");
    set(r, "decode_errors", "3");
    set(r, "negative", "5");
    set(r, "gaps", "7");
    set(r, "duplicates", "1");
    set(r, "discontinuities", "2");
    set(r, "resets", "0");
    set(r, "reconnects", "4");
    set(r, "min_us", "-130");
    set(r, "max_us", "29840");
    set(r, "histogram", hist_text);
    set(r, "rate_per_s", "16.7"); /* read by nobody: fine */
}

static int parse(struct rec *r, struct lr_summary *s, char *err)
{
    err[0] = '\0';
    return lr_summary_parse(lookup, r, s, err, 256);
}

static void test_good(void)
{
    mo_hist *src, *h;
    mo_hist_new(&src);
    mo_hist_new(&h);
    struct rec r;
    good(&r, src);
    TEST_EQ_INT(mo_hist_negative(src), 5);
    TEST_EQ_INT(mo_hist_max(src), 29840);
    struct lr_summary s = {.hist = h};
    char err[256];
    TEST_EQ_INT(parse(&r, &s, err), 0);
    TEST_EQ_STR(s.cache, "prices");
    TEST_EQ_STR(s.topic, "eu");
    TEST_CHECK(s.interval_s > 60.0019 && s.interval_s < 60.0021);
    TEST_EQ_INT(s.count, 1003);
    TEST_EQ_INT(s.decode_errors, 3);
    TEST_EQ_INT(s.negative, 5);
    TEST_EQ_INT(s.gaps, 7);
    TEST_EQ_INT(s.duplicates, 1);
    TEST_EQ_INT(s.discontinuities, 2);
    TEST_EQ_INT(s.resets, 0);
    TEST_EQ_INT(s.reconnects, 4);
    TEST_EQ_INT(s.log_dropped, 0); /* absent: 0 */
    TEST_EQ_INT(s.lost, 0);
    TEST_EQ_INT(s.warnings_dropped, 0);
    TEST_EQ_INT(s.protocol_errors, 0);
    /* an older daemon's: no clock field, every bound unknown */
    TEST_EQ_INT(s.clock_source, 0);
    TEST_CHECK(!s.has_clock_bound && !s.has_publisher_bound);
    TEST_EQ_INT(s.skewed, 0);
    TEST_EQ_INT(s.min_us, -130);
    TEST_EQ_INT(s.max_us, 29840);
    /* the decoded histogram with its exact extremes answers as the original */
    TEST_EQ_INT(mo_hist_count(h), 1000);
    TEST_EQ_INT(mo_hist_min(h), -130);
    TEST_EQ_INT(mo_hist_max(h), 29840);
    const double qs[] = {0.001, 0.01, 0.5, 0.9, 0.99, 0.999, 1.0};
    for (size_t i = 0; i < sizeof qs / sizeof *qs; i++)
        TEST_EQ_INT(mo_hist_quantile(h, qs[i]), mo_hist_quantile(src, qs[i]));
    TEST_CHECK(!lr_summary_is_total(&s));

    const char *seconds[] = {"60", "60.", ".5", "0.000"};
    for (size_t i = 0; i < 4; i++) {
        set(&r, "interval_s", seconds[i]);
        TEST_EQ_INT(parse(&r, &s, err), 0);
    }
    TEST_CHECK(s.interval_s == 0);
    set(&r, "log_dropped", "12");
    set(&r, "lost", "9");
    set(&r, "warnings_dropped", "31");
    set(&r, "protocol_errors", "17");
    TEST_EQ_INT(parse(&r, &s, err), 0);
    TEST_EQ_INT(s.protocol_errors, 17);
    TEST_EQ_INT(s.log_dropped, 12);
    TEST_EQ_INT(s.lost, 9);
    TEST_EQ_INT(s.warnings_dropped, 31);
    set(&r, "with_latency", "1000");
    set(&r, "decode_errors", "9");
    TEST_EQ_INT(parse(&r, &s, err), 0);
    set(&r, "with_latency", "1001");
    TEST_EQ_INT(parse(&r, &s, err), -EINVAL);
    set(&r, "with_latency", "1000");
    /* the same object parsed again starts from an empty histogram */
    TEST_EQ_INT(mo_hist_count(h), 1000);

    /* an interval with no message */
    r = (struct rec){0};
    const char *zero[] = {"count", "decode_errors", "negative", "gaps", "duplicates", "discontinuities",
                          "resets", "reconnects", "min_us", "max_us"};
    for (size_t i = 0; i < sizeof zero / sizeof *zero; i++)
        set(&r, zero[i], "0");
    set(&r, "cache", "*");
    set(&r, "topic", "*");
    set(&r, "interval_s", "0.000");
    set(&r, "histogram", "h1");
    TEST_EQ_INT(parse(&r, &s, err), 0);
    TEST_EQ_INT(mo_hist_count(h), 0);
    TEST_CHECK(lr_summary_is_total(&s));
    set(&r, "topic", "t");
    TEST_EQ_INT(parse(&r, &s, err), 0);
    TEST_CHECK(!lr_summary_is_total(&s));
    mo_hist_free(src);
    mo_hist_free(h);
}

/* One change to a good summary, and the words the error must contain. */
static void expect_bad(const char *key, const char *val, const char *words)
{
    mo_hist *src, *h;
    mo_hist_new(&src);
    mo_hist_new(&h);
    struct rec r;
    good(&r, src);
    set(&r, key, val);
    struct lr_summary s = {.hist = h};
    char err[256];
    TEST_EQ_INT(parse(&r, &s, err), -EINVAL);
    TEST_CONTAINS(err, words);
    mo_hist_free(src);
    mo_hist_free(h);
}

static void test_bad(void)
{
    const char *required[] = {"cache", "topic", "interval_s", "count", "decode_errors", "negative",
                              "gaps", "duplicates", "discontinuities", "resets", "reconnects",
                              "min_us", "max_us", "histogram"};
    for (size_t i = 0; i < sizeof required / sizeof *required; i++) {
        char words[64];
        snprintf(words, sizeof words, "no field %s", required[i]);
        expect_bad(required[i], NULL, words);
    }
    expect_bad("cache", "", "field cache is empty");
    expect_bad("count", "12x", "field count: \"12x\" is not a whole number");
    expect_bad("count", "-1", "field count");
    expect_bad("count", "1.5", "field count");
    expect_bad("gaps", "", "field gaps");
    expect_bad("log_dropped", "many", "field log_dropped");
    expect_bad("lost", "-3", "field lost");
    expect_bad("warnings_dropped", "1e3", "field warnings_dropped");
    expect_bad("min_us", "--5", "field min_us");
    expect_bad("max_us", "99999999999999999999", "field max_us");
    expect_bad("interval_s", "abc", "field interval_s");
    expect_bad("interval_s", "-1", "field interval_s");
    expect_bad("interval_s", "inf", "field interval_s");
    expect_bad("interval_s", "nan", "field interval_s");
    expect_bad("interval_s", "0x10", "field interval_s");
    expect_bad("interval_s", " 1", "field interval_s");
    expect_bad("interval_s", ".", "field interval_s");
    expect_bad("interval_s", "1e3", "field interval_s");
    expect_bad("interval_s", "1.5.", "field interval_s");
    /* the clock's fields, when there, are the daemon's */
    expect_bad("clock_source", "chrony", "field clock_source: \"chrony\" is neither clockbound nor adjtimex");
    expect_bad("clock_source", "", "field clock_source: \"\" is neither");
    expect_bad("clock_source", "ClockBound", "field clock_source");
    expect_bad("clock_bound_us", "wide", "field clock_bound_us: \"wide\" is not a whole number");
    expect_bad("clock_bound_us", "1.5", "field clock_bound_us");
    expect_bad("publisher_bound_us", "--1", "field publisher_bound_us");
    expect_bad("publisher_bound_us", "", "field publisher_bound_us");
    expect_bad("skewed", "-1", "field skewed");
    expect_bad("skewed", "6", "skewed is 6, but negative is 5: a skewed latency is negative");
    /* damaged encodings */
    expect_bad("histogram", "h2,5:1", "not a histogram encoding");
    expect_bad("histogram", "h1,5:", "not a histogram encoding");
    expect_bad("histogram", "h1,5:1,0:2", "not a histogram encoding");
    /* an encoding that decodes but does not match the summary: cut short,
     * or from another summary */
    char cut[65536];
    mo_hist *src;
    mo_hist_new(&src);
    struct rec r;
    good(&r, src);
    snprintf(cut, sizeof cut, "%s", hist_text);
    *strrchr(cut, ',') = '\0';
    expect_bad("histogram", cut, "the histogram holds");
    expect_bad("count", "1004", "count - decode_errors is 1004 - 3");
    expect_bad("decode_errors", "2000", "count - decode_errors");
    /* a daemon that writes with_latency: the histogram holds exactly that many,
     * whatever decode_errors says (older daemons counted a server message the
     * protocol does not allow as a decode error outside count) */
    expect_bad("with_latency", "999", "but with_latency is 999 (count 1003)");
    expect_bad("with_latency", "x", "field with_latency");
    expect_bad("negative", "4", "the histogram holds 5 negative latencies, but negative is 4");
    expect_bad("min_us", "-30", "min_us -30 or max_us 29840 lies outside the histogram");
    expect_bad("min_us", "100", "lies outside the histogram");
    expect_bad("max_us", "31000", "lies outside the histogram");
    /* a long value is quoted short */
    char lng[200];
    memset(lng, '7', sizeof lng - 2);
    lng[sizeof lng - 2] = 'x';
    lng[sizeof lng - 1] = '\0';
    expect_bad("gaps", lng, "...\" is not a whole number");
    mo_hist_free(src);
}

static void test_clock(void)
{
    mo_hist *src, *h;
    mo_hist_new(&src);
    mo_hist_new(&h);
    struct rec r;
    good(&r, src);
    struct lr_summary s = {.hist = h};
    char err[256];
    set(&r, "clock_source", "clockbound");
    set(&r, "clock_bound_us", "350");
    set(&r, "clock_status", "synchronized");
    set(&r, "publisher_bound_us", "200");
    set(&r, "skewed", "5"); /* all 5 negative latencies */
    TEST_EQ_INT(parse(&r, &s, err), 0);
    TEST_EQ_INT(s.clock_source, LR_CLOCK_CLOCKBOUND);
    TEST_CHECK(s.has_clock_bound && s.has_publisher_bound);
    TEST_EQ_INT(s.clock_bound_us, 350);
    TEST_EQ_INT(s.publisher_bound_us, 200);
    TEST_EQ_INT(s.skewed, 5);
    /* -1: unknown, as the daemon writes it; 0 is a bound */
    set(&r, "clock_source", "adjtimex");
    set(&r, "clock_bound_us", "-1");
    set(&r, "publisher_bound_us", "0");
    set(&r, "skewed", "0");
    TEST_EQ_INT(parse(&r, &s, err), 0);
    TEST_EQ_INT(s.clock_source, LR_CLOCK_ADJTIMEX);
    TEST_CHECK(!s.has_clock_bound);
    TEST_CHECK(s.has_publisher_bound);
    TEST_EQ_INT(s.publisher_bound_us, 0);
    set(&r, "clock_bound_us", "12");
    set(&r, "publisher_bound_us", "-1");
    TEST_EQ_INT(parse(&r, &s, err), 0);
    TEST_CHECK(s.has_clock_bound && !s.has_publisher_bound);
    TEST_EQ_INT(s.clock_bound_us, 12);
    /* a record parsed again forgets the last one's */
    set(&r, "clock_source", NULL);
    set(&r, "clock_bound_us", NULL);
    set(&r, "publisher_bound_us", NULL);
    set(&r, "skewed", NULL);
    s.skewed = 9;
    TEST_EQ_INT(parse(&r, &s, err), 0);
    TEST_EQ_INT(s.clock_source, 0);
    TEST_CHECK(!s.has_clock_bound && !s.has_publisher_bound);
    TEST_EQ_INT(s.skewed, 0);

    char buf[64];
    TEST_EQ_STR(lr_clock_sources_format(0, buf, sizeof buf), "");
    TEST_EQ_STR(lr_clock_sources_format(LR_CLOCK_CLOCKBOUND, buf, sizeof buf), "clockbound");
    TEST_EQ_STR(lr_clock_sources_format(LR_CLOCK_ADJTIMEX, buf, sizeof buf), "adjtimex");
    TEST_EQ_STR(lr_clock_sources_format(LR_CLOCK_ADJTIMEX | LR_CLOCK_CLOCKBOUND, buf, sizeof buf),
                "clockbound+adjtimex");
    char tiny[12]; /* too short for both: the names that fit */
    TEST_EQ_STR(lr_clock_sources_format(LR_CLOCK_ADJTIMEX | LR_CLOCK_CLOCKBOUND, tiny, sizeof tiny), "clockbound");
    mo_hist_free(src);
    mo_hist_free(h);
}

static void test_hist_range(void)
{
    TEST_EQ_INT(mo_hist_key(0), 0);
    TEST_EQ_INT(mo_hist_key(255), 255);
    TEST_EQ_INT(mo_hist_key(-1), -2);
    TEST_EQ_INT(mo_hist_key(1000), 506);
    TEST_EQ_INT(mo_hist_key(1003), 506);
    TEST_EQ_INT(mo_hist_key(-1003), -507);
    for (int64_t v = -5000; v <= 5000; v += 7)
        TEST_CHECK(mo_hist_key(mo_hist_key_value(mo_hist_key(v))) == mo_hist_key(v));
    mo_hist *h;
    mo_hist_new(&h);
    TEST_EQ_INT(mo_hist_set_range(h, 0, 0), -EINVAL); /* empty */
    TEST_EQ_INT(mo_hist_decode(h, "h1,506:3,2:1"), 0);  /* three in [1000,1004), one in [1008,1012) */
    TEST_EQ_INT(mo_hist_min(h), 1001);
    TEST_EQ_INT(mo_hist_max(h), 1009);
    TEST_EQ_INT(mo_hist_set_range(h, 1003, 1008), 0);
    TEST_EQ_INT(mo_hist_min(h), 1003);
    TEST_EQ_INT(mo_hist_max(h), 1008);
    TEST_EQ_INT(mo_hist_quantile(h, 0.0), 1003);
    TEST_EQ_INT(mo_hist_quantile(h, 1.0), 1008);
    TEST_EQ_INT(mo_hist_quantile(h, 0.5), 1003); /* bucket middle 1001, clamped to the exact min */
    TEST_EQ_INT(mo_hist_quantile(h, 0.9), 1008); /* 1009, clamped to the exact max */
    TEST_EQ_INT(mo_hist_set_range(h, 1004, 1008), -EINVAL); /* not in the first bucket */
    TEST_EQ_INT(mo_hist_set_range(h, 1000, 1012), -EINVAL); /* not in the last bucket */
    TEST_EQ_INT(mo_hist_set_range(h, 1008, 1003), -EINVAL);
    TEST_EQ_INT(mo_hist_min(h), 1003); /* unchanged by the refusals */
    /* the exact extremes carry through a merge */
    mo_hist *sum;
    mo_hist_new(&sum);
    mo_hist_merge(sum, h);
    TEST_EQ_INT(mo_hist_min(sum), 1003);
    TEST_EQ_INT(mo_hist_max(sum), 1008);
    mo_hist_free(sum);
    mo_hist_free(h);
}

int main(void)
{
    test_good();
    test_bad();
    test_clock();
    test_hist_range();
    return test_result("test-report-summary");
}
