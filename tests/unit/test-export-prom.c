/* Unit tests for the Prometheus textfile renderer
 * (src/daemon/export/export-prom.c): the bounds are bucket edges, the buckets
 * count exactly, the text follows the exposition format (HELP and TYPE per
 * family, escaped labels, exact decimal seconds). promtool checks the daemon's
 * real file in tests/integration/daemon-exports.sh. */
#include <config.h>

#include <stdlib.h>

#include "export/export-prom.h"
#include "hist.h"
#include "sub/stats.h"
#include "test.h"

static void test_bounds(void)
{
    static const int64_t ladder[MO_PROM_NBOUNDS] = {
        50, 100, 200, 300, 500, 1000, 2000, 3000, 5000, 10000, 20000, 30000, 50000,
        100000, 200000, 300000, 500000, 1000000, 2000000, 3000000, 5000000, 10000000,
        20000000, 30000000, 60000000};
    for (size_t i = 0; i < MO_PROM_NBOUNDS; i++) {
        int64_t b = mo_prom_bounds_us[i];
        /* an edge: the low end of its own bucket */
        TEST_EQ_INT(mo_hist_bucket_low(mo_hist_bucket((uint64_t)b)), b);
        /* at or below its round value, by at most 0.4% */
        TEST_CHECK(b <= ladder[i] && (double)(ladder[i] - b) / (double)ladder[i] < 0.004);
        /* the edge nearest below: the next one is above the round value */
        size_t nb = mo_hist_bucket((uint64_t)b);
        TEST_CHECK((int64_t)mo_hist_bucket_low(nb + 1) > ladder[i]);
        if (i)
            TEST_CHECK(b > mo_prom_bounds_us[i - 1]);
    }
}

/* the rendered text of one topic's series folded from `values` */
static char *render(const int64_t *values, size_t n, const char *cache, const char *topic,
                    const struct mo_prom_host *h, struct mo_prom_series *ps)
{
    struct mo_stats s;
    TEST_EQ_INT(mo_stats_init(&s), 0);
    for (size_t i = 0; i < n; i++)
        mo_hist_record(s.hist, values[i]);
    s.count = n + 2;
    s.decode_errors = 2;
    s.protocol_errors = 8;
    s.gaps = 3;
    s.duplicates = 4;
    s.discontinuities = 5;
    s.resets = 6;
    s.resubscribes = 7;
    mo_prom_fold(ps, &s);
    mo_stats_clear(&s);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    struct mo_prom_topic t = {.cache = cache, .topic = topic, .series = ps, .up = true};
    TEST_EQ_INT(mo_prom_render(f, &t, 1, h), 0);
    fclose(f);
    return text;
}

static void test_render(void)
{
    /* around the bounds: 50 us is the first bound, so 49 is below it and 50 is not */
    const int64_t v[] = {-2000000, -5, 0, 49, 50, 99, 100, 9983, 9984, 9985,
                         59768831, 59768832, 1000000000};
    struct mo_prom_series ps = {0};
    struct mo_prom_host h = {.clk = {.synced = true, .error_us = 1500, .esterror_us = 20}};
    char *text = render(v, sizeof v / sizeof *v, "prices", "eu", &h, &ps);
    TEST_CONTAINS(text, "# HELP momento_subscriber_latency_seconds ");
    TEST_CONTAINS(text, "# TYPE momento_subscriber_latency_seconds histogram\n");
    TEST_CONTAINS(text, "momento_subscriber_latency_seconds_bucket{cache=\"prices\",topic=\"eu\",le=\"0.00005\"} 4\n");
    TEST_CONTAINS(text, "momento_subscriber_latency_seconds_bucket{cache=\"prices\",topic=\"eu\",le=\"0.0001\"} 6\n");
    TEST_CONTAINS(text, "momento_subscriber_latency_seconds_bucket{cache=\"prices\",topic=\"eu\",le=\"0.0002\"} 7\n");
    TEST_CONTAINS(text, "momento_subscriber_latency_seconds_bucket{cache=\"prices\",topic=\"eu\",le=\"0.009984\"} 8\n");
    TEST_CONTAINS(text, "momento_subscriber_latency_seconds_bucket{cache=\"prices\",topic=\"eu\",le=\"0.019968\"} 10\n");
    TEST_CONTAINS(text, "momento_subscriber_latency_seconds_bucket{cache=\"prices\",topic=\"eu\",le=\"59.768832\"} 11\n");
    TEST_CONTAINS(text, "momento_subscriber_latency_seconds_bucket{cache=\"prices\",topic=\"eu\",le=\"+Inf\"} 13\n");
    TEST_CONTAINS(text, "momento_subscriber_latency_seconds_count{cache=\"prices\",topic=\"eu\"} 13\n");
    /* the exact sum, in seconds */
    TEST_CONTAINS(text, "momento_subscriber_latency_seconds_sum{cache=\"prices\",topic=\"eu\"} 1117.567908\n");
    TEST_CONTAINS(text, "# TYPE momento_subscriber_latency_negative_total counter\n");
    TEST_CONTAINS(text, "momento_subscriber_latency_negative_total{cache=\"prices\",topic=\"eu\"} 2\n");
    TEST_CONTAINS(text, "momento_subscriber_messages_total{cache=\"prices\",topic=\"eu\"} 15\n");
    TEST_CONTAINS(text, "momento_subscriber_decode_errors_total{cache=\"prices\",topic=\"eu\"} 2\n");
    /* apart: not messages (messages_total holds none of them) */
    TEST_CONTAINS(text, "# TYPE momento_subscriber_protocol_errors_total counter\n"
                        "momento_subscriber_protocol_errors_total{cache=\"prices\",topic=\"eu\"} 8\n");
    TEST_CONTAINS(text, "momento_subscriber_gaps_total{cache=\"prices\",topic=\"eu\"} 3\n");
    TEST_CONTAINS(text, "momento_subscriber_duplicates_total{cache=\"prices\",topic=\"eu\"} 4\n");
    TEST_CONTAINS(text, "momento_subscriber_discontinuities_total{cache=\"prices\",topic=\"eu\"} 5\n");
    TEST_CONTAINS(text, "momento_subscriber_resets_total{cache=\"prices\",topic=\"eu\"} 6\n");
    TEST_CONTAINS(text, "momento_subscriber_reconnects_total{cache=\"prices\",topic=\"eu\"} 7\n");
    TEST_CONTAINS(text, "# TYPE momento_subscriber_stream_up gauge\n");
    TEST_CONTAINS(text, "momento_subscriber_stream_up{cache=\"prices\",topic=\"eu\"} 1\n");
    TEST_CONTAINS(text, "momento_subscriber_clock_synchronized 1\n");
    TEST_CONTAINS(text, "momento_subscriber_clock_max_error_seconds 0.0015\n");
    TEST_CONTAINS(text, "momento_subscriber_clock_estimated_error_seconds 0.00002\n");
    TEST_CHECK(strstr(text, "log_dropped") == NULL); /* not counted: not written */
    TEST_CHECK(strstr(text, "ahead_of_log") == NULL);
    /* every family has its HELP and TYPE once; every line ends with a newline */
    size_t helps = 0, types = 0;
    for (const char *p = text; (p = strstr(p, "# HELP ")); p++)
        helps++;
    for (const char *p = text; (p = strstr(p, "# TYPE ")); p++)
        types++;
    TEST_EQ_INT(helps, 14);
    TEST_EQ_INT(types, 14);
    TEST_CHECK(text[strlen(text) - 1] == '\n');
    free(text);

    /* a second interval adds up */
    const int64_t w[] = {75};
    text = render(w, 1, "prices", "eu", &h, &ps);
    TEST_CONTAINS(text, "le=\"0.00005\"} 4\n");
    TEST_CONTAINS(text, "le=\"0.0001\"} 7\n");
    TEST_CONTAINS(text, "latency_seconds_count{cache=\"prices\",topic=\"eu\"} 14\n");
    TEST_CONTAINS(text, "messages_total{cache=\"prices\",topic=\"eu\"} 18\n");
    TEST_CONTAINS(text, "protocol_errors_total{cache=\"prices\",topic=\"eu\"} 16\n");
    TEST_CONTAINS(text, "decode_errors_total{cache=\"prices\",topic=\"eu\"} 4\n");
    free(text);
}

static void test_labels_and_host(void)
{
    struct mo_prom_series ps = {0};
    struct mo_prom_host h = {.clk = {.synced = false, .error_us = -1, .esterror_us = -1},
                             .have_log_dropped = true, .log_dropped = 42,
                             .state_saves_ahead_of_log = 3,
                             .have_event_fields_dropped = true, .event_fields_dropped = 7};
    const int64_t v[] = {-1500000};
    char *text = render(v, 1, "a\"b\\c", "line\nbreak", &h, &ps);
    TEST_CONTAINS(text, "{cache=\"a\\\"b\\\\c\",topic=\"line\\nbreak\"}");
    TEST_CONTAINS(text, "latency_seconds_sum{cache=\"a\\\"b\\\\c\",topic=\"line\\nbreak\"} -1.5\n");
    TEST_CONTAINS(text, "# TYPE momento_subscriber_log_dropped_total counter\n"
                        "momento_subscriber_log_dropped_total 42\n");
    TEST_CONTAINS(text, "# TYPE momento_subscriber_state_saves_ahead_of_log_total counter\n"
                        "momento_subscriber_state_saves_ahead_of_log_total 3\n");
    TEST_CONTAINS(text, "# TYPE momento_subscriber_event_fields_dropped_total counter\n"
                        "momento_subscriber_event_fields_dropped_total 7\n");
    TEST_CONTAINS(text, "momento_subscriber_clock_synchronized 0\n");
    TEST_CHECK(strstr(text, "clock_max_error") == NULL); /* unknown: not written */
    free(text);

    /* no topic at all: only the host's lines */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    TEST_EQ_INT(mo_prom_render(f, NULL, 0, &h), 0);
    fclose(f);
    TEST_CHECK(strstr(buf, "latency") == NULL && strstr(buf, "stream_up") == NULL);
    TEST_CONTAINS(buf, "momento_subscriber_clock_synchronized 0\n");
    free(buf);
}

int main(void)
{
    test_bounds();
    test_render();
    test_labels_and_host();
    return test_result("test-export-prom");
}
