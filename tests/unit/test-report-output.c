/* Unit tests for the report's output (src/report/table.c, json.c, plot.c):
 * every line within 80 columns whatever the names and numbers, the clock
 * table's exact lines, the JSON a document with the merged figures, the plots' labels and bars in UTF-8 and
 * ASCII. */
#include <config.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "json.h"
#include "merge.h"
#include "plot.h"
#include "series.h"
#include "table.h"
#include "test.h"

#define S 1000000LL

/* Display columns of a line: code points (all we print are one column wide). */
static size_t columns(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xc0) != 0x80;
    return c;
}

/* The widest line of a text, and whether it has any byte above 127. */
static size_t widest(const char *text, bool *non_ascii)
{
    size_t w = 0;
    *non_ascii = false;
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        size_t c = columns(p, n);
        if (c > w)
            w = c;
        for (size_t i = 0; i < n; i++)
            *non_ascii |= (unsigned char)p[i] > 127;
        p += n + (nl != NULL);
    }
    return w;
}

static char enc[1 << 18];

static void add(lr_merge *m, lr_series *series, const char *host, const char *cache, const char *topic,
                int64_t ts, const int64_t *v, size_t n, uint64_t extra)
{
    mo_hist *src, *h;
    mo_hist_new(&src);
    mo_hist_new(&h);
    for (size_t i = 0; i < n; i++)
        mo_hist_record(src, v[i]);
    mo_hist_encode(src, enc, sizeof enc);
    mo_hist_decode(h, enc);
    struct lr_summary s = {.cache = cache, .topic = topic, .histogram = enc, .interval_s = 60,
                           .count = n + extra, .decode_errors = extra, .negative = mo_hist_negative(src),
                           .gaps = extra * 1000, .duplicates = extra, .discontinuities = extra,
                           .resets = extra, .reconnects = extra, .log_dropped = extra * 77,
                           .lost = extra * 3, .warnings_dropped = extra * 11,
                           .protocol_errors = extra * 13,
                           .hist = h, .host = host, .ts_us = ts};
    if (n) {
        s.min_us = mo_hist_min(src);
        s.max_us = mo_hist_max(src);
        mo_hist_set_range(h, s.min_us, s.max_us);
    }
    TEST_EQ_INT(lr_merge_add(m, &s), 0);
    if (series)
        TEST_EQ_INT(lr_series_add(series, &s), 0);
    mo_hist_free(src);
    mo_hist_free(h);
}

__attribute__((noinline)) static char *render_table_cs(const struct lr_report *r, bool utf8)
{
    char *text;
    size_t len;
    FILE *f = open_memstream(&text, &len);
    TEST_EQ_INT(lr_table_print(f, r, utf8), 0);
    fclose(f);
    return text;
}

static char *render_table(const struct lr_report *r) { return render_table_cs(r, false); }

/* add, with the clock's fields (-1: unknown) */
static void add_clock(lr_merge *m, const char *host, const char *topic, unsigned source, int64_t bound,
                      int64_t publisher, uint64_t skewed)
{
    int64_t v[3] = {-2000, 400, 900};
    mo_hist *src, *h;
    mo_hist_new(&src);
    mo_hist_new(&h);
    for (size_t i = 0; i < 3; i++)
        mo_hist_record(src, v[i]);
    mo_hist_encode(src, enc, sizeof enc);
    mo_hist_decode(h, enc);
    mo_hist_set_range(h, -2000, 900);
    struct lr_summary s = {.cache = "c", .topic = topic, .histogram = enc, .interval_s = 60, .count = 3,
                           .negative = 1, .min_us = -2000, .max_us = 900, .hist = h, .host = host,
                           .ts_us = 100 * S, .clock_source = source, .has_clock_bound = bound >= 0,
                           .clock_bound_us = bound >= 0 ? (uint64_t)bound : 0,
                           .has_publisher_bound = publisher >= 0,
                           .publisher_bound_us = publisher >= 0 ? (uint64_t)publisher : 0, .skewed = skewed};
    TEST_EQ_INT(lr_merge_add(m, &s), 0);
    mo_hist_free(src);
    mo_hist_free(h);
}

/* The lines of text from the one starting with `from` to the next empty one. */
static char *section(const char *text, const char *from)
{
    const char *p = strstr(text, from);
    if (!p)
        return strdup("");
    const char *e = strstr(p, "\n\n");
    return strndup(p, e ? (size_t)(e - p) + 1 : strlen(p));
}

static void test_clock_table(void)
{
    setenv("TZ", "UTC0", 1);
    lr_merge *m;
    lr_merge_new(false, &m);
    add_clock(m, "web-1", "eu", LR_CLOCK_CLOCKBOUND, 350, 200, 0);
    add_clock(m, "web-1", "eu", LR_CLOCK_ADJTIMEX, 300, 350, 1);
    add_clock(m, "web-2", "us", LR_CLOCK_CLOCKBOUND, 350, -1, 0);
    add_clock(m, "web-2", "old", 0, -1, -1, 0); /* an older daemon's */
    /* a bound past 100 ms without the publishers': the widest cell */
    add_clock(m, "web-2", "wide", LR_CLOCK_ADJTIMEX, 123456, -1, 123456789012ULL);
    struct lr_report r;
    TEST_EQ_INT(lr_merge_report(m, &r), 0);
    char *text = render_table_cs(&r, false);
    bool non_ascii;
    TEST_CHECK(widest(text, &non_ascii) <= LR_TABLE_WIDTH);
    TEST_CHECK(!non_ascii);
    char *clock = section(text, "clock (ms)");
    TEST_EQ_STR(clock, "clock (ms)         +-bound    host publisher    skewed\n"
                       "c/eu                 0.700   0.350     0.350         1\n"
                       "c/old                    -       -         -         0\n"
                       "c/us               0.350+?   0.350         -         0\n"
                       "c/wide            123.46+?  123.46         -   123457M\n"
                       "total               123.81  123.46     0.350   123457M\n"
                       "clock source  web-1: clockbound+adjtimex, web-2: clockbound+adjtimex\n");
    /* between the latency and the counts tables; the latency table keeps its columns */
    TEST_CHECK(strstr(text, "latency (ms)") < strstr(text, "clock (ms)"));
    TEST_CHECK(strstr(text, "clock (ms)") < strstr(text, "counts "));
    TEST_CONTAINS(text, "latency (ms)         min     p50     p90     p99   p99.9     max  negative\n");
    free(clock);
    free(text);
    /* UTF-8: the header's ± in the same columns */
    text = render_table_cs(&r, true);
    TEST_CHECK(widest(text, &non_ascii) <= LR_TABLE_WIDTH);
    TEST_CHECK(non_ascii);
    TEST_CONTAINS(text, "\nclock (ms)          \u00b1bound    host publisher    skewed\n");
    free(text);
    lr_merge_free(m);

    /* older daemons only: no clock table, what the report printed before */
    lr_merge_new(false, &m);
    add_clock(m, "web-1", "eu", 0, -1, -1, 0);
    TEST_EQ_INT(lr_merge_report(m, &r), 0);
    text = render_table(&r);
    TEST_CHECK(strstr(text, "clock") == NULL);
    TEST_CONTAINS(text, "\n\ncounts ");
    free(text);
    lr_merge_free(m);

    /* many hosts: their sources wrap within the width, a long name is cut */
    lr_merge_new(true, &m);
    char host[40];
    for (int i = 0; i < 12; i++) {
        snprintf(host, sizeof host, "web-%02d.example.com", i);
        add_clock(m, host, "t", i % 3 == 0 ? LR_CLOCK_ADJTIMEX : LR_CLOCK_CLOCKBOUND, 100 + i, 50, 0);
    }
    add_clock(m, "a-host-name-that-is-really-long-very-long-indeed-and-then-some-more-of-it.example.com", "t",
              LR_CLOCK_CLOCKBOUND, 10, 10, 0);
    add_clock(m, "zz-no-source", "t", 0, 10, 10, 0);
    TEST_EQ_INT(lr_merge_report(m, &r), 0);
    text = render_table(&r);
    size_t w = widest(text, &non_ascii);
    if (w > LR_TABLE_WIDTH)
        fprintf(stderr, "%s", text);
    TEST_CHECK(w <= LR_TABLE_WIDTH);
    clock = section(text, "clock (ms)");
    TEST_CONTAINS(clock, "\nall hosts            0.161   0.111     0.050         0\n");
    TEST_CONTAINS(clock, "\nclock source  a-host-name-that-is-really-long-very-long-indeed-and-then-some-...\n"
                         "              web-00.example.com: adjtimex, web-01.example.com: clockbound\n"
                         "              web-02.example.com: clockbound, web-03.example.com: adjtimex\n");
    TEST_CONTAINS(clock, "web-11.example.com: clockbound\n");
    TEST_CHECK(strstr(clock, "zz-no-source:") == NULL); /* no source named: not listed */
    free(clock);
    free(text);
    lr_merge_free(m);
}

static void test_formats(void)
{
    char buf[64];
    TEST_EQ_STR(lr_fmt_ms(512, buf, sizeof buf), "0.512");
    TEST_EQ_STR(lr_fmt_ms(12345, buf, sizeof buf), "12.345");
    TEST_EQ_STR(lr_fmt_ms(123456, buf, sizeof buf), "123.46");
    TEST_EQ_STR(lr_fmt_ms(1234567, buf, sizeof buf), "1234.6");
    TEST_EQ_STR(lr_fmt_ms(12345678, buf, sizeof buf), "12346");
    TEST_EQ_STR(lr_fmt_ms(-250, buf, sizeof buf), "-0.250");
    TEST_EQ_STR(lr_fmt_ms(0, buf, sizeof buf), "0.000");
    /* never wider than 7 (8 with a sign), at every magnitude and rounding edge */
    bool ok = true;
    for (int64_t v = 1; v > 0 && v < INT64_MAX / 3; v = v * 3 + 1) {
        const int64_t tries[] = {v, v - 1, 99999, 99999 + v % 2, 999995, 9999950, 999999499, 999999500};
        for (size_t i = 0; i < sizeof tries / sizeof *tries; i++) {
            ok = ok && strlen(lr_fmt_ms(tries[i], buf, sizeof buf)) <= 7;
            ok = ok && strlen(lr_fmt_ms(-tries[i], buf, sizeof buf)) <= 8;
        }
    }
    TEST_CHECK(ok);
    TEST_EQ_STR(lr_fmt_count(123456, 6, buf, sizeof buf), "123456");
    TEST_EQ_STR(lr_fmt_count(1234567, 6, buf, sizeof buf), "1235k");
    TEST_EQ_STR(lr_fmt_count(1234567, 4, buf, sizeof buf), "1.2M");
    TEST_EQ_STR(lr_fmt_count(1234567, 9, buf, sizeof buf), "1234567");
    TEST_EQ_STR(lr_fmt_count(999999, 5, buf, sizeof buf), "1000k");
    TEST_EQ_STR(lr_fmt_count(UINT64_MAX, 6, buf, sizeof buf), "18447P");
    TEST_EQ_STR(lr_fmt_count(UINT64_MAX, 5, buf, sizeof buf), "18E");
    ok = true;
    for (uint64_t v = 1; v < UINT64_MAX / 7; v = v * 7 + 3)
        for (int w = 4; w <= 9; w++)
            ok = ok && strlen(lr_fmt_count(v, w, buf, sizeof buf)) <= (size_t)w;
    TEST_CHECK(ok);
}

static void test_table(void)
{
    setenv("TZ", "UTC0", 1);
    lr_merge *m;
    lr_merge_new(false, &m);
    int64_t v[1000];
    for (int i = 0; i < 1000; i++)
        v[i] = 200 + i * 3;
    add(m, NULL, "h", "prices", "eu", 1353694522 * S, v, 1000, 0);
    /* a name too long for its column, huge counters, extreme latencies */
    int64_t wild[3] = {-123456789012LL, 5, 987654321098LL};
    add(m, NULL, "h", "a-cache-with-a-rather-long-name", "and-a-topic-name-even-longer-than-that-one-is",
        1353694522 * S, wild, 3, 123456789012345ULL);
    add(m, NULL, "h", "idle", "t", 1353694522 * S, v, 0, 0);
    struct lr_report r;
    TEST_EQ_INT(lr_merge_report(m, &r), 0);
    char *text = render_table(&r);
    bool non_ascii;
    size_t w = widest(text, &non_ascii);
    if (w > LR_TABLE_WIDTH)
        fprintf(stderr, "%s", text);
    TEST_CHECK(w <= LR_TABLE_WIDTH);
    TEST_CHECK(!non_ascii);
    TEST_CONTAINS(text, "window  2012-11-23 18:14:22 UTC .. 2012-11-23 18:15:22 UTC\n");
    TEST_CONTAINS(text, "input   3 summaries, 3 topics, 1 host\n");
    TEST_CONTAINS(text, "latency (ms)         min     p50     p90     p99   p99.9     max  negative\n");
    TEST_CONTAINS(text, "counts            messages   rate/s decode   gaps   dups discont reconn dropped\n");
    /* exact min and max, percentiles of the merged histogram */
    char line[200];
    char p50[16], p90[16], p99[16], p999[16];
    snprintf(line, sizeof line, "prices/eu          0.200 %7s %7s %7s %7s   3.197         0\n",
             lr_fmt_ms(r.rows[2].p50_us, p50, sizeof p50), lr_fmt_ms(r.rows[2].p90_us, p90, sizeof p90),
             lr_fmt_ms(r.rows[2].p99_us, p99, sizeof p99), lr_fmt_ms(r.rows[2].p999_us, p999, sizeof p999));
    TEST_EQ_STR(r.rows[2].topic, "eu");
    TEST_CONTAINS(text, line);
    TEST_CHECK(fabs((double)r.rows[2].p50_us - 1697) <= 17); /* exact: value 500 of 200..3197 */
    TEST_CONTAINS(text, "prices/eu             1000     16.7      0      0      0       0      0       0\n");
    /* the long name alone on its line, the figures under it */
    TEST_CONTAINS(text, "\na-cache-with-a-rather-long-name/and-a-topic-name-even-longer-than-that-one-is\n"
                        "                 -1.2e+08   0.005 ");
    TEST_CONTAINS(text, "  123457G ");
    TEST_CONTAINS(text, "idle/t                 -       -       -       -       -       -         0\n");
    free(text);
    lr_merge_free(m);

    /* split by host: headings, indented rows, host totals, all hosts */
    lr_merge_new(true, &m);
    add(m, NULL, "web-1.example.com", "c", "t", 100 * S, v, 1000, 0);
    add(m, NULL, "web-2.example.com", "c", "t", 100 * S, v, 500, 0);
    add(m, NULL, "a-host-name-that-is-really-long-very-long-indeed-and-then-some-more-of-it.example.com",
        "c", "t", 100 * S, v, 10, 0);
    TEST_EQ_INT(lr_merge_report(m, &r), 0);
    text = render_table(&r);
    w = widest(text, &non_ascii);
    TEST_CHECK(w <= LR_TABLE_WIDTH);
    TEST_CONTAINS(text, "input   3 summaries, 1 topic, 3 hosts\n");
    TEST_CONTAINS(text, "\na-host-name-that-is-really-long-very-long-indeed-and-then-some-more-of-it.exa...\n  c/t ");
    TEST_CONTAINS(text, "\nweb-1.example.com\n  c/t            ");
    TEST_CONTAINS(text, "\n  total          ");
    TEST_CONTAINS(text, "\nall hosts        ");
    TEST_CONTAINS(text, "\nweb-2.example.com\n  c/t                  500      8.3 ");
    TEST_CONTAINS(text, "\nall hosts             1510 ");
    free(text);
    lr_merge_free(m);
}

static void test_json(void)
{
    lr_merge *m;
    lr_merge_new(true, &m);
    int64_t v[100];
    for (int i = 0; i < 100; i++)
        v[i] = i * 10 - 50;
    add(m, NULL, "h1", "c", "t\"quoted\"", 100 * S, v, 100, 1);
    add(m, NULL, "h2", "c", "t\"quoted\"", 200 * S, v, 50, 0);
    add(m, NULL, "h2", "c", "idle", 200 * S, v, 0, 0);
    struct lr_report r;
    TEST_EQ_INT(lr_merge_report(m, &r), 0);
    char *text;
    size_t len;
    FILE *f = open_memstream(&text, &len);
    TEST_EQ_INT(lr_json_print(f, &r), 0);
    fclose(f);
    TEST_CHECK(len > 0 && text[len - 1] == '\n');
    cJSON *doc = cJSON_Parse(text);
    TEST_CHECK(doc != NULL);
    if (!doc) {
        free(text);
        lr_merge_free(m);
        return;
    }
    TEST_EQ_STR(cJSON_GetObjectItem(doc, "first")->valuestring, "1970-01-01T00:00:40.000000Z");
    TEST_EQ_STR(cJSON_GetObjectItem(doc, "last")->valuestring, "1970-01-01T00:03:20.000000Z");
    TEST_EQ_INT(cJSON_GetObjectItem(doc, "summaries")->valuedouble, 3);
    TEST_EQ_INT(cJSON_GetObjectItem(doc, "host_count")->valuedouble, 2);
    TEST_EQ_INT(cJSON_GetObjectItem(doc, "topic_count")->valuedouble, 2);
    TEST_CHECK(cJSON_IsTrue(cJSON_GetObjectItem(doc, "by_host")));
    cJSON *topics = cJSON_GetObjectItem(doc, "topics"), *hosts = cJSON_GetObjectItem(doc, "hosts");
    TEST_EQ_INT(cJSON_GetArraySize(topics), 3);
    TEST_EQ_INT(cJSON_GetArraySize(hosts), 2);
    cJSON *t0 = cJSON_GetArrayItem(topics, 0);
    TEST_EQ_STR(cJSON_GetObjectItem(t0, "host")->valuestring, "h1");
    TEST_EQ_STR(cJSON_GetObjectItem(t0, "topic")->valuestring, "t\"quoted\"");
    TEST_EQ_INT(cJSON_GetObjectItem(t0, "messages")->valuedouble, 101);
    TEST_EQ_INT(cJSON_GetObjectItem(t0, "measured")->valuedouble, 100);
    TEST_EQ_INT(cJSON_GetObjectItem(t0, "min_us")->valuedouble, -50);
    TEST_EQ_INT(cJSON_GetObjectItem(t0, "max_us")->valuedouble, 940);
    TEST_EQ_INT(cJSON_GetObjectItem(t0, "p50_us")->valuedouble, r.rows[0].p50_us);
    TEST_EQ_INT(cJSON_GetObjectItem(t0, "negative")->valuedouble, 5);
    TEST_EQ_INT(cJSON_GetObjectItem(t0, "log_dropped")->valuedouble, 77);
    TEST_EQ_INT(cJSON_GetObjectItem(t0, "lost")->valuedouble, 3);
    TEST_EQ_INT(cJSON_GetObjectItem(t0, "warnings_dropped")->valuedouble, 11);
    TEST_EQ_INT(cJSON_GetObjectItem(t0, "decode_errors")->valuedouble, 1);
    TEST_EQ_INT(cJSON_GetObjectItem(t0, "protocol_errors")->valuedouble, 13);
    TEST_EQ_INT(cJSON_GetObjectItem(t0, "gaps")->valuedouble, 1000);
    TEST_CHECK(fabs(cJSON_GetObjectItem(t0, "covered_s")->valuedouble - 60) < 1e-9);
    TEST_CHECK(fabs(cJSON_GetObjectItem(t0, "rate_per_s")->valuedouble - 1.683) < 1e-9);
    cJSON *idle = cJSON_GetArrayItem(topics, 1);
    TEST_EQ_STR(cJSON_GetObjectItem(idle, "topic")->valuestring, "idle");
    TEST_CHECK(cJSON_IsNull(cJSON_GetObjectItem(idle, "p99_us")));
    TEST_CHECK(cJSON_IsNull(cJSON_GetObjectItem(idle, "min_us")));
    cJSON *h2 = cJSON_GetArrayItem(hosts, 1);
    TEST_EQ_STR(cJSON_GetObjectItem(h2, "host")->valuestring, "h2");
    TEST_CHECK(cJSON_GetObjectItem(h2, "cache") == NULL);
    TEST_CHECK(cJSON_GetObjectItem(h2, "covered_s") == NULL);
    TEST_EQ_INT(cJSON_GetObjectItem(h2, "messages")->valuedouble, 50);
    /* summaries without the clock's fields: unknown bounds, no source */
    TEST_CHECK(cJSON_IsNull(cJSON_GetObjectItem(t0, "clock_bound_us")));
    TEST_CHECK(cJSON_IsNull(cJSON_GetObjectItem(t0, "publisher_bound_us")));
    TEST_CHECK(cJSON_IsNull(cJSON_GetObjectItem(t0, "bound_us")));
    TEST_CHECK(cJSON_IsFalse(cJSON_GetObjectItem(t0, "bound_partial")));
    TEST_EQ_INT(cJSON_GetObjectItem(t0, "skewed")->valuedouble, 0);
    TEST_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItem(t0, "clock_sources")), 0);
    cJSON *total = cJSON_GetObjectItem(doc, "total");
    TEST_EQ_INT(cJSON_GetObjectItem(total, "messages")->valuedouble, 151);
    TEST_EQ_INT(cJSON_GetObjectItem(total, "measured")->valuedouble, 150);
    TEST_CHECK(cJSON_GetObjectItem(total, "host") == NULL);
    TEST_EQ_INT(cJSON_GetObjectItem(total, "p99_us")->valuedouble, r.rows[r.n_rows - 1].p99_us);
    cJSON_Delete(doc);
    free(text);
    lr_merge_free(m);
}

/* The clock's members of a row: [clock_bound_us, publisher_bound_us,
 * bound_us, bound_partial, skewed, clock_sources] printed back. */
static char *clock_members(const cJSON *row)
{
    static const char *const keys[] = {"clock_bound_us", "publisher_bound_us", "bound_us",
                                       "bound_partial",  "skewed",             "clock_sources"};
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        const cJSON *v = cJSON_GetObjectItem(row, keys[i]);
        cJSON_AddItemToArray(a, v ? cJSON_Duplicate(v, true) : cJSON_CreateString("(missing)"));
    }
    char *text = cJSON_PrintUnformatted(a);
    cJSON_Delete(a);
    return text;
}

static void test_json_clock(void)
{
    lr_merge *m;
    lr_merge_new(true, &m);
    add_clock(m, "h1", "eu", LR_CLOCK_CLOCKBOUND, 350, 200, 0);
    add_clock(m, "h1", "eu", LR_CLOCK_ADJTIMEX, 300, 350, 1);
    add_clock(m, "h1", "us", LR_CLOCK_CLOCKBOUND, 350, -1, 0);
    add_clock(m, "h2", "dark", LR_CLOCK_ADJTIMEX, -1, 250, 0);
    add_clock(m, "h2", "old", 0, -1, -1, 0);
    struct lr_report r;
    TEST_EQ_INT(lr_merge_report(m, &r), 0);
    char *text;
    size_t len;
    FILE *f = open_memstream(&text, &len);
    TEST_EQ_INT(lr_json_print(f, &r), 0);
    fclose(f);
    cJSON *doc = cJSON_Parse(text);
    TEST_CHECK(doc != NULL);
    cJSON *topics = cJSON_GetObjectItem(doc, "topics"), *hosts = cJSON_GetObjectItem(doc, "hosts");
    const char *want_topics[] = {
        "[350,350,700,false,1,[\"clockbound\",\"adjtimex\"]]", /* h1 eu */
        "[350,null,350,true,0,[\"clockbound\"]]",              /* h1 us */
        "[null,250,null,false,0,[\"adjtimex\"]]",              /* h2 dark */
        "[null,null,null,false,0,[]]",                          /* h2 old */
    };
    TEST_EQ_INT(cJSON_GetArraySize(topics), 4);
    for (int i = 0; i < 4; i++) {
        char *got = clock_members(cJSON_GetArrayItem(topics, i));
        TEST_EQ_STR(got, want_topics[i]);
        free(got);
    }
    char *got = clock_members(cJSON_GetArrayItem(hosts, 0));
    TEST_EQ_STR(got, "[350,350,700,false,1,[\"clockbound\",\"adjtimex\"]]");
    free(got);
    got = clock_members(cJSON_GetArrayItem(hosts, 1));
    TEST_EQ_STR(got, "[null,250,null,false,0,[\"adjtimex\"]]");
    free(got);
    got = clock_members(cJSON_GetObjectItem(doc, "total"));
    TEST_EQ_STR(got, "[350,350,700,false,1,[\"clockbound\",\"adjtimex\"]]");
    free(got);
    cJSON_Delete(doc);
    free(text);
    lr_merge_free(m);
}

__attribute__((noinline)) static char *render_plots(const struct lr_report *r, lr_series *series, bool utf8)
{
    char *text;
    size_t len;
    FILE *f = open_memstream(&text, &len);
    const struct lr_row *tot = &r->rows[r->n_rows - 1];
    TEST_EQ_INT(lr_plot_distribution(f, "latency distribution, all topics", tot->hist, utf8), 0);
    struct lr_column *cols;
    size_t n;
    int64_t step;
    TEST_EQ_INT(lr_series_columns(series, LR_PLOT_COLUMNS, &cols, &n, &step), 0);
    TEST_EQ_INT(lr_plot_time(f, "p99 over time", cols, n, step, utf8), 0);
    free(cols);
    fclose(f);
    return text;
}

static void test_plots(void)
{
    setenv("TZ", "UTC0", 1);
    /* 200 summaries a minute apart, latencies from 0 to about 30 ms with a
     * few negative ones, p99 rising over time */
    lr_merge *m;
    lr_series *series;
    lr_merge_new(false, &m);
    lr_series_new(&series);
    int64_t v[500];
    srand(3);
    for (int k = 0; k < 200; k++) {
        for (int i = 0; i < 500; i++) {
            double x = -log((rand() + 1.0) / (RAND_MAX + 2.0));
            v[i] = i == 7 ? -1 - k : (int64_t)(x * x * 300 * (1 + k / 50.0));
        }
        add(m, series, "h", "c", "t", (1353600000 + 60 * (k + 1)) * S, v, 500, 0);
    }
    struct lr_report r;
    TEST_EQ_INT(lr_merge_report(m, &r), 0);
    for (int utf8 = 0; utf8 < 2; utf8++) {
        char *text = render_plots(&r, series, utf8);
        bool non_ascii;
        size_t w = widest(text, &non_ascii);
        if (w > LR_PLOT_WIDTH || non_ascii != (bool)utf8)
            fprintf(stderr, "%s", text);
        TEST_CHECK(w <= LR_PLOT_WIDTH);
        TEST_CHECK(non_ascii == (bool)utf8); /* ASCII only outside UTF-8 */
        TEST_CHECK(strstr(text, " \n") == NULL); /* no trailing blanks */
        TEST_CONTAINS(text, "latency distribution, all topics\n  latency (ms)     count  share\n");
        TEST_CONTAINS(text, "       < 0           200   0.2% ");
        TEST_CONTAINS(text, " p50");
        TEST_CONTAINS(text, " p90");
        TEST_CONTAINS(text, " p99");
        TEST_CONTAINS(text, " p99.9");
        TEST_CONTAINS(text, "p99 over time\n  ms, one column per 3 min\n"); /* 200 min in 70 columns */
        TEST_CONTAINS(text, "       0");
        TEST_CONTAINS(text, "16:00:00"); /* the first column's start */
        TEST_CONTAINS(text, utf8 ? "\u2588" : "#");
        TEST_CONTAINS(text, utf8 ? "\u2514\u2500\u2500" : "+--");
        /* the top of the axis is the highest column's p99 */
        char top[16];
        int64_t max_p99 = 0;
        struct lr_column *cols;
        size_t n;
        int64_t step;
        lr_series_columns(series, LR_PLOT_COLUMNS, &cols, &n, &step);
        TEST_EQ_INT(n, 67);
        for (size_t i = 0; i < n; i++)
            if (cols[i].p99_us > max_p99)
                max_p99 = cols[i].p99_us;
        free(cols);
        char axis[32];
        snprintf(axis, sizeof axis, "%8s%s", lr_fmt_ms(max_p99, top, sizeof top), utf8 ? "\u2524" : "+");
        TEST_CONTAINS(text, axis);
        /* the distribution's rows add up to every latency */
        uint64_t sum = 0;
        const char *p = strstr(text, "share\n") + 6;
        while (*p && strncmp(p, "p99 over", 8) != 0) {
            unsigned long long c;
            TEST_CHECK(sscanf(p + 16, "%llu", &c) == 1);
            sum += c;
            p = strchr(p, '\n') + 1;
        }
        TEST_EQ_INT(sum, 200 * 500);
        free(text);
    }
    lr_merge_free(m);
    lr_series_free(series);

    /* negative latencies have their row; the others' rows start at the
     * smallest of them, not at 0 */
    mo_hist *d;
    mo_hist_new(&d);
    mo_hist_record(d, -5);
    for (int i = 100; i <= 1000; i++)
        mo_hist_record(d, i);
    char *dt;
    size_t dlen;
    FILE *df = open_memstream(&dt, &dlen);
    lr_plot_distribution(df, "d", d, false);
    fclose(df);
    TEST_CONTAINS(dt, "share\n       < 0             1   0.1% .\n    0.1-0.125         25   2.8% ");
    TEST_CONTAINS(dt, "\n    0.8-1            200  22.2% ");
    TEST_CHECK(strstr(dt, "\n      0-") == NULL);
    free(dt);
    mo_hist_free(d);

    /* nothing measured: said so, no axis */
    mo_hist *h;
    mo_hist_new(&h);
    char *text;
    size_t len;
    FILE *f = open_memstream(&text, &len);
    lr_plot_distribution(f, "d", h, true);
    lr_plot_time(f, "t", NULL, 0, 0, true);
    fclose(f);
    TEST_EQ_STR(text, "d\n  (no latencies)\nt\n  (no summaries)\n");
    free(text);
    mo_hist_free(h);
}

int main(void)
{
    test_formats();
    test_table();
    test_clock_table();
    test_json();
    test_json_clock();
    test_plots();
    return test_result("test-report-output");
}
