/* Unit tests for the CloudWatch EMF renderer (src/daemon/export/export-emf.c):
 * the documents parse, hold what the header promises, split at 100 values, and
 * their Counts add up to the interval's count; the canary's documents, from
 * an account built by hand (canary/account.h), likewise. The schema check of
 * real documents is in tests/integration/daemon-exports.sh. */
#include <config.h>

#include <cjson/cJSON.h>
#include <stdlib.h>

#include "canary/account.h"
#include "export/export-emf.h"
#include "hist.h"
#include "sub/stats.h"
#include "test.h"

#define MAX_DOCS 64

static struct {
    char *line[MAX_DOCS];
    size_t n;
} got;

static void collect(void *ud, const char *line, size_t len)
{
    (void)ud;
    TEST_CHECK(strlen(line) == len);
    TEST_CHECK(memchr(line, '\n', len) == NULL);
    if (got.n < MAX_DOCS)
        got.line[got.n++] = strdup(line);
}

static void reset(void)
{
    for (size_t i = 0; i < got.n; i++)
        free(got.line[i]);
    got.n = 0;
}

static int64_t num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    TEST_CHECK(cJSON_IsNumber(v));
    return v ? (int64_t)v->valuedouble : -999;
}

/* Checks one document's structure; returns the sum of its Counts (0 without Latency). */
static uint64_t check_doc(const cJSON *d, const char *ns, int64_t ts, bool counters)
{
    const cJSON *aws = cJSON_GetObjectItemCaseSensitive(d, "_aws");
    TEST_EQ_INT(num(aws, "Timestamp"), ts);
    const cJSON *dirs = cJSON_GetObjectItemCaseSensitive(aws, "CloudWatchMetrics");
    TEST_EQ_INT(cJSON_GetArraySize(dirs), 1);
    const cJSON *dir = cJSON_GetArrayItem(dirs, 0);
    TEST_EQ_STR(cJSON_GetObjectItemCaseSensitive(dir, "Namespace")->valuestring, ns);
    char *dims = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(dir, "Dimensions"));
    TEST_EQ_STR(dims, "[[\"cache\",\"topic\"]]");
    free(dims);
    /* every metric named is a number or a Values/Counts object on the root */
    const cJSON *m;
    bool has_latency = false;
    size_t metrics = 0;
    cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(dir, "Metrics"))
    {
        const char *name = cJSON_GetObjectItemCaseSensitive(m, "Name")->valuestring;
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(d, name);
        TEST_CHECK(v != NULL);
        if (strcmp(name, "Latency") == 0) {
            has_latency = true;
            TEST_EQ_STR(cJSON_GetObjectItemCaseSensitive(m, "Unit")->valuestring, "Microseconds");
        } else if (strstr(name, "ClockBound")) { /* the bounds, when known: not counters */
            TEST_CHECK(cJSON_IsNumber(v));
            TEST_EQ_STR(cJSON_GetObjectItemCaseSensitive(m, "Unit")->valuestring, "Microseconds");
            metrics--;
        } else {
            TEST_CHECK(cJSON_IsNumber(v));
            TEST_EQ_STR(cJSON_GetObjectItemCaseSensitive(m, "Unit")->valuestring, "Count");
        }
        metrics++;
    }
    TEST_EQ_INT(metrics, (has_latency ? 1 : 0) + (counters ? 11 : 0));
    TEST_EQ_INT(cJSON_GetObjectItemCaseSensitive(d, "Messages") != NULL, counters);
    if (!has_latency)
        return 0;
    const cJSON *lat = cJSON_GetObjectItemCaseSensitive(d, "Latency");
    const cJSON *vals = cJSON_GetObjectItemCaseSensitive(lat, "Values");
    const cJSON *cnts = cJSON_GetObjectItemCaseSensitive(lat, "Counts");
    int n = cJSON_GetArraySize(vals);
    TEST_CHECK(n >= 1 && n <= MO_EMF_MAX_VALUES);
    TEST_EQ_INT(cJSON_GetArraySize(cnts), n);
    uint64_t count = 0;
    int64_t sum = 0, prev = INT64_MIN;
    int64_t min = num(lat, "Min"), max = num(lat, "Max");
    for (int i = 0; i < n; i++) {
        int64_t v = (int64_t)cJSON_GetArrayItem(vals, i)->valuedouble;
        uint64_t c = (uint64_t)cJSON_GetArrayItem(cnts, i)->valuedouble;
        TEST_CHECK(v > prev); /* ascending, each once */
        TEST_CHECK(c >= 1);
        TEST_CHECK(v >= min && v <= max);
        prev = v;
        count += c;
        sum += v * (int64_t)c;
    }
    TEST_EQ_INT(num(lat, "Count"), count);
    TEST_EQ_INT(num(lat, "Sum"), sum);
    return count;
}

static void test_one_document(void)
{
    struct mo_stats s;
    TEST_EQ_INT(mo_stats_init(&s), 0);
    const int64_t v[] = {-2500, -1, 0, 7, 7, 7, 300, 302, 1000000, 123456789};
    for (size_t i = 0; i < sizeof v / sizeof *v; i++)
        mo_hist_record(s.hist, v[i]);
    s.count = 12;
    s.decode_errors = 2;
    s.protocol_errors = 6;
    s.gaps = 3;
    s.resubscribes = 1;
    s.log_dropped = 4;
    struct mo_latency skewed = {.ok = true, .latency_us = -900, .publisher_bound_us = 300, .skew_us = 250};
    mo_pubtally_add(&s.all, &skewed);
    struct mo_emf_input in = {.ns = "My/NS", .cache = "c\"1", .topic = "t\\2", .s = &s,
                              .timestamp_ms = 1765000000123, .interval_s = 60,
                              .clock_bound_us = 350};
    TEST_EQ_INT(mo_emf_render(&in, collect, NULL), 1);
    TEST_EQ_INT(got.n, 1);
    cJSON *d = cJSON_Parse(got.line[0]);
    TEST_CHECK(d != NULL);
    TEST_EQ_INT(check_doc(d, "My/NS", 1765000000123, true), 10);
    TEST_EQ_STR(cJSON_GetObjectItemCaseSensitive(d, "cache")->valuestring, "c\"1");
    TEST_EQ_STR(cJSON_GetObjectItemCaseSensitive(d, "topic")->valuestring, "t\\2");
    TEST_EQ_INT(num(d, "Messages"), 12);
    TEST_EQ_INT(num(d, "DecodeErrors"), 2);
    TEST_EQ_INT(num(d, "ProtocolErrors"), 6);
    TEST_EQ_INT(num(d, "Gaps"), 3);
    TEST_EQ_INT(num(d, "SkewedLatencies"), 1);
    TEST_EQ_INT(num(d, "ClockBound"), 350);
    TEST_EQ_INT(num(d, "PublisherClockBound"), 300);
    TEST_EQ_INT(num(d, "Duplicates"), 0);
    TEST_EQ_INT(num(d, "Reconnects"), 1);
    TEST_EQ_INT(num(d, "LogDropped"), 4);
    TEST_EQ_INT(num(d, "NegativeLatencies"), 2);
    const cJSON *lat = cJSON_GetObjectItemCaseSensitive(d, "Latency");
    /* the exact extremes; 7 three times in one bucket; 300 and 302 in their own */
    TEST_EQ_INT(num(lat, "Min"), -2500);
    TEST_EQ_INT(num(lat, "Max"), 123456789);
    char *vals = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(lat, "Values"));
    char *cnts = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(lat, "Counts"));
    TEST_EQ_STR(cnts, "[1,1,1,3,1,1,1,1]");
    /* each value lies in its bucket: within 1% of what was recorded */
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(lat, "Values");
    TEST_EQ_INT(cJSON_GetArraySize(a), 8);
    TEST_CHECK(cJSON_GetArrayItem(a, 0)->valuedouble <= -2475 && cJSON_GetArrayItem(a, 0)->valuedouble >= -2500);
    TEST_EQ_INT(cJSON_GetArrayItem(a, 1)->valuedouble, -1);
    TEST_EQ_INT(cJSON_GetArrayItem(a, 2)->valuedouble, 0);
    TEST_EQ_INT(cJSON_GetArrayItem(a, 3)->valuedouble, 7);
    TEST_EQ_INT(cJSON_GetArrayItem(a, 4)->valuedouble, 300);
    TEST_EQ_INT(cJSON_GetArrayItem(a, 5)->valuedouble, 302);
    TEST_CHECK(cJSON_GetArrayItem(a, 6)->valuedouble >= 990000 && cJSON_GetArrayItem(a, 6)->valuedouble <= 1010000);
    TEST_EQ_INT(cJSON_GetArrayItem(a, 7)->valuedouble, 123456789); /* held at the exact max */
    free(vals);
    free(cnts);
    cJSON_Delete(d);
    reset();

    /* an interval without latencies: the counters alone */
    mo_stats_end_interval(&s, "c", "t", mo_mono_us(), &(struct mo_clock_summary){.bound_us = -1}, NULL);
    s.decode_errors = 5;
    s.protocol_errors = 1;
    s.count = 5;
    TEST_EQ_INT(mo_emf_render(&in, collect, NULL), 1);
    d = cJSON_Parse(got.line[0]);
    TEST_EQ_INT(check_doc(d, "My/NS", 1765000000123, true), 0);
    TEST_CHECK(cJSON_GetObjectItemCaseSensitive(d, "Latency") == NULL);
    TEST_EQ_INT(num(d, "DecodeErrors"), 5);
    TEST_EQ_INT(num(d, "ProtocolErrors"), 1);
    cJSON_Delete(d);
    reset();
    mo_stats_clear(&s);
}

/* 250 distinct buckets: three documents of 100, 100 and 50 values, the
 * counters in the first only, all Counts adding up to the interval's count */
static void test_split(void)
{
    struct mo_stats s;
    TEST_EQ_INT(mo_stats_init(&s), 0);
    uint64_t total = 0;
    for (int64_t v = 1; v <= 250; v++)
        for (int64_t k = 0; k < v % 3 + 1; k++) {
            mo_hist_record(s.hist, v - 100); /* -99 .. 150: both signs */
            total++;
        }
    s.count = total;
    struct mo_emf_input in = {.ns = "NS", .cache = "c", .topic = "t", .s = &s,
                              .timestamp_ms = 5, .interval_s = 1, .clock_bound_us = -1};
    TEST_EQ_INT(mo_emf_render(&in, collect, NULL), 3);
    uint64_t counted = 0;
    int64_t last_max = INT64_MIN;
    int sizes[3] = {0};
    for (size_t i = 0; i < got.n && i < 3; i++) {
        cJSON *d = cJSON_Parse(got.line[i]);
        TEST_CHECK(d != NULL);
        counted += check_doc(d, "NS", 5, i == 0);
        const cJSON *lat = cJSON_GetObjectItemCaseSensitive(d, "Latency");
        sizes[i] = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(lat, "Values"));
        TEST_CHECK(num(lat, "Min") > last_max); /* the documents follow one another */
        last_max = num(lat, "Max");
        if (i == 0)
            TEST_EQ_INT(num(lat, "Min"), -99);
        if (i == 2)
            TEST_EQ_INT(num(lat, "Max"), 150);
        cJSON_Delete(d);
    }
    TEST_EQ_INT(sizes[0], 100);
    TEST_EQ_INT(sizes[1], 100);
    TEST_EQ_INT(sizes[2], 50);
    TEST_EQ_INT(counted, total);
    reset();
    mo_stats_clear(&s);
}

/* A canary document: its metadata, dimensions and members; every metric
 * named is on the root with its unit. `first`: the counters are there.
 * Returns the sum of CanaryRoundTrip's Counts (0 without it). */
static uint64_t check_canary_doc(const cJSON *d, bool first, bool availability)
{
    const cJSON *aws = cJSON_GetObjectItemCaseSensitive(d, "_aws");
    TEST_EQ_INT(num(aws, "Timestamp"), 1765000000456);
    const cJSON *dir = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(aws, "CloudWatchMetrics"), 0);
    TEST_EQ_STR(cJSON_GetObjectItemCaseSensitive(dir, "Namespace")->valuestring, "NS");
    char *dims = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(dir, "Dimensions"));
    TEST_EQ_STR(dims, "[[\"cache\",\"topic\"]]");
    free(dims);
    TEST_EQ_STR(cJSON_GetObjectItemCaseSensitive(d, "cache")->valuestring, "canary");
    TEST_EQ_STR(cJSON_GetObjectItemCaseSensitive(d, "topic")->valuestring, "momento-subscriber-canary");
    TEST_EQ_STR(cJSON_GetObjectItemCaseSensitive(d, "host")->valuestring, "web-1");
    TEST_EQ_STR(cJSON_GetObjectItemCaseSensitive(d, "id")->valuestring, "0123456789abcdef");
    TEST_EQ_INT(num(d, "interval_s"), 60);
    static const char *const counts[] = {"CanarySent", "CanaryReceived", "CanaryLost", "CanaryLate",
                                         "CanaryPublishErrors"};
    bool rtt = false, avail = false;
    size_t n = 0, nc = 0;
    const cJSON *m;
    cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(dir, "Metrics"))
    {
        const char *name = cJSON_GetObjectItemCaseSensitive(m, "Name")->valuestring;
        const char *unit = cJSON_GetObjectItemCaseSensitive(m, "Unit")->valuestring;
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(d, name);
        TEST_CHECK(v != NULL);
        n++;
        if (strcmp(name, "CanaryRoundTrip") == 0) {
            rtt = true;
            TEST_EQ_STR(unit, "Microseconds");
        } else if (strcmp(name, "CanaryAvailability") == 0) {
            avail = true;
            TEST_EQ_STR(unit, "None");
            TEST_CHECK(cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble <= 1);
        } else {
            bool known = false;
            for (size_t i = 0; i < sizeof counts / sizeof *counts; i++)
                known |= strcmp(name, counts[i]) == 0;
            TEST_CHECK(known);
            TEST_EQ_STR(unit, "Count");
            TEST_CHECK(cJSON_IsNumber(v));
            nc++;
        }
    }
    TEST_EQ_INT(nc, first ? 5 : 0);
    TEST_EQ_INT(avail, first && availability);
    TEST_EQ_INT(cJSON_GetObjectItemCaseSensitive(d, "CanaryAvailability") != NULL, first && availability);
    TEST_EQ_INT(n, nc + avail + rtt);
    if (!rtt)
        return 0;
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(d, "CanaryRoundTrip");
    const cJSON *vals = cJSON_GetObjectItemCaseSensitive(r, "Values");
    const cJSON *cnts = cJSON_GetObjectItemCaseSensitive(r, "Counts");
    int k = cJSON_GetArraySize(vals);
    TEST_CHECK(k >= 1 && k <= MO_EMF_MAX_VALUES);
    TEST_EQ_INT(cJSON_GetArraySize(cnts), k);
    uint64_t count = 0;
    int64_t prev = INT64_MIN;
    for (int i = 0; i < k; i++) {
        int64_t v = (int64_t)cJSON_GetArrayItem(vals, i)->valuedouble;
        TEST_CHECK(v > prev && v >= num(r, "Min") && v <= num(r, "Max"));
        prev = v;
        count += (uint64_t)cJSON_GetArrayItem(cnts, i)->valuedouble;
    }
    TEST_EQ_INT(num(r, "Count"), count);
    return count;
}

static void test_canary(void)
{
    struct mo_canary_account a;
    TEST_EQ_INT(mo_canary_account_init(&a, 500000, 999000), 0);
    for (int i = 0; i < 8; i++)
        mo_canary_account_sent(&a, 0);
    mo_canary_account_received(&a, 1, 1500);
    mo_canary_account_received(&a, 2, 1500);
    mo_canary_account_received(&a, 3, 2500);
    mo_canary_account_received(&a, 4, 700000); /* late */
    mo_canary_account_lost(&a);
    mo_canary_account_publish(&a, 14, 1000);
    mo_canary_account_publish(&a, 4, 1000);
    mo_canary_account_publish(&a, 0, 1000);
    struct mo_emf_canary_input in = {.ns = "NS", .cache = "canary", .topic = "momento-subscriber-canary",
                                     .host = "web-1", .id = "0123456789abcdef",
                                     .timestamp_ms = 1765000000456, .interval_s = 60, .acct = &a};
    TEST_EQ_INT(mo_emf_render_canary(&in, collect, NULL), 1);
    cJSON *d = cJSON_Parse(got.line[0]);
    TEST_CHECK(d != NULL);
    TEST_EQ_INT(check_canary_doc(d, true, true), 4);
    TEST_EQ_INT(num(d, "CanarySent"), 8);
    TEST_EQ_INT(num(d, "CanaryReceived"), 4);
    TEST_EQ_INT(num(d, "CanaryLost"), 1);
    TEST_EQ_INT(num(d, "CanaryLate"), 1);
    TEST_EQ_INT(num(d, "CanaryPublishErrors"), 2);
    /* (4 - 1) / (4 + 1) */
    TEST_CHECK(cJSON_GetObjectItemCaseSensitive(d, "CanaryAvailability")->valuedouble == 0.6);
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(d, "CanaryRoundTrip");
    TEST_EQ_INT(num(r, "Min"), 1500);
    TEST_EQ_INT(num(r, "Max"), 700000);
    char *cnts = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(r, "Counts"));
    TEST_EQ_STR(cnts, "[2,1,1]");
    free(cnts);
    cJSON_Delete(d);
    reset();

    /* the next interval: the interval's counts only; nothing received or
     * lost: no round trip and no availability */
    mo_canary_account_end_interval(&a);
    mo_canary_account_sent(&a, 0);
    TEST_EQ_INT(mo_emf_render_canary(&in, collect, NULL), 1);
    d = cJSON_Parse(got.line[0]);
    TEST_EQ_INT(check_canary_doc(d, true, false), 0);
    TEST_CHECK(cJSON_GetObjectItemCaseSensitive(d, "CanaryRoundTrip") == NULL);
    TEST_EQ_INT(num(d, "CanarySent"), 1);
    TEST_EQ_INT(num(d, "CanaryReceived"), 0);
    TEST_EQ_INT(num(d, "CanaryPublishErrors"), 0);
    cJSON_Delete(d);
    reset();

    /* 150 distinct round trips: split as a topic's latencies, the counters
     * in the first document only */
    mo_canary_account_end_interval(&a);
    for (uint64_t i = 0; i < 150; i++) {
        mo_canary_account_sent(&a, 0);
        mo_canary_account_received(&a, 10 + i, 1000 + 40 * i); /* 1 ms to 7 ms, 4%..0.6% apart */
    }
    int docs = mo_emf_render_canary(&in, collect, NULL);
    TEST_EQ_INT(docs, 2);
    uint64_t counted = 0;
    for (size_t i = 0; i < got.n && i < 2; i++) {
        d = cJSON_Parse(got.line[i]);
        TEST_CHECK(d != NULL);
        counted += check_canary_doc(d, i == 0, true);
        cJSON_Delete(d);
    }
    TEST_EQ_INT(counted, 150);
    reset();
    mo_canary_account_clear(&a);
}

int main(void)
{
    test_one_document();
    test_split();
    test_canary();
    return test_result("test-export-emf");
}
