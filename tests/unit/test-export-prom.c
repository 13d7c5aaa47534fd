/* Unit tests for the Prometheus textfile renderer
 * (src/daemon/export/export-prom.c): the bounds are bucket edges, the buckets
 * count exactly, the text follows the exposition format (HELP and TYPE per
 * family, escaped labels, exact decimal seconds); the canary's series fold
 * its intervals from an account built by hand (canary/account.h). promtool
 * checks the daemon's real file in tests/integration/daemon-exports.sh. */
#include <config.h>

#include <stdlib.h>

#include "canary/account.h"
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
    struct mo_prom_host h = {.clk = {.kernel = {.synced = true, .error_us = 1500, .esterror_us = 20},
                                     .synced = true,
                                     .source = MO_SOURCE_CLOCKBOUND,
                                     .bound_us = 350,
                                     .status = MO_CB_SYNCHRONIZED}};
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
    TEST_CONTAINS(text, "momento_subscriber_clock_info{source=\"clockbound\",status=\"synchronized\"} 1\n");
    TEST_CONTAINS(text, "momento_subscriber_clock_bound_seconds 0.00035\n");
    TEST_CHECK(strstr(text, "log_dropped") == NULL); /* not counted: not written */
    TEST_CHECK(strstr(text, "ahead_of_log") == NULL);
    TEST_CHECK(strstr(text, "canary") == NULL); /* no canary: none of its families */
    /* every family has its HELP and TYPE once; every line ends with a newline */
    size_t helps = 0, types = 0;
    for (const char *p = text; (p = strstr(p, "# HELP ")); p++)
        helps++;
    for (const char *p = text; (p = strstr(p, "# TYPE ")); p++)
        types++;
    TEST_EQ_INT(helps, 17);
    TEST_EQ_INT(types, 17);
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
    struct mo_prom_host h = {.clk = {.kernel = {.error_us = -1, .esterror_us = -1}, .bound_us = -1},
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

/* the text of the host h with one canary of series cs (and no topic) */
static char *render_canary(const struct mo_prom_canary_series *cs, const char *cache, const char *topic)
{
    struct mo_prom_canary c = {.cache = cache, .topic = topic, .series = cs};
    struct mo_prom_host h = {.clk = {.kernel = {.synced = true, .error_us = -1, .esterror_us = -1}, .synced = true, .bound_us = -1},
                             .canaries = &c, .n_canaries = 1};
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    TEST_EQ_INT(mo_prom_render(f, NULL, 0, &h), 0);
    fclose(f);
    return text;
}

static size_t count_of(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *p = text; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

#define CS "{cache=\"canary\",topic=\"momento-subscriber-canary\""

static void test_canary(void)
{
    struct mo_canary_account a;
    /* SLO: 500 ms, 99.9% */
    TEST_EQ_INT(mo_canary_account_init(&a, 500000, 999000), 0);
    for (int i = 0; i < 10; i++)
        mo_canary_account_sent(&a, 0);
    mo_canary_account_received(&a, 1, 800);
    mo_canary_account_received(&a, 2, 1200);
    mo_canary_account_received(&a, 4, 60000);
    mo_canary_account_received(&a, 3, 600000); /* late, and out of order */
    mo_canary_account_received(&a, 5, 9984);   /* a bound: counts in the next bucket */
    mo_canary_account_lost(&a);
    mo_canary_account_lost(&a);
    mo_canary_account_after_deadline(&a);
    mo_canary_account_duplicate(&a);
    mo_canary_account_publish(&a, 0, 700);
    mo_canary_account_publish(&a, 14, 900);
    mo_canary_account_publish(&a, 14, 900);
    mo_canary_account_publish(&a, 4, 5000000);
    mo_canary_account_publish(&a, 99, 10); /* no such status: counted as UNKNOWN */
    TEST_CHECK(mo_canary_account_balanced(&a, 3));

    struct mo_prom_canary_series cs = {.burn_rate = -1};
    mo_prom_fold_canary(&cs, &a, 3);
    char *text = render_canary(&cs, "canary", "momento-subscriber-canary");
    TEST_CONTAINS(text, "# HELP momento_subscriber_canary_rtt_seconds ");
    TEST_CONTAINS(text, "# TYPE momento_subscriber_canary_rtt_seconds histogram\n");
    /* the topic histogram's bounds, 25 and +Inf */
    TEST_EQ_INT(count_of(text, "momento_subscriber_canary_rtt_seconds_bucket{"), 26);
    TEST_CONTAINS(text, "momento_subscriber_canary_rtt_seconds_bucket" CS ",le=\"0.0005\"} 0\n");
    TEST_CONTAINS(text, "momento_subscriber_canary_rtt_seconds_bucket" CS ",le=\"0.001\"} 1\n");
    TEST_CONTAINS(text, "momento_subscriber_canary_rtt_seconds_bucket" CS ",le=\"0.002\"} 2\n");
    TEST_CONTAINS(text, "momento_subscriber_canary_rtt_seconds_bucket" CS ",le=\"0.009984\"} 2\n");
    TEST_CONTAINS(text, "momento_subscriber_canary_rtt_seconds_bucket" CS ",le=\"0.019968\"} 3\n");
    TEST_CONTAINS(text, "momento_subscriber_canary_rtt_seconds_bucket" CS ",le=\"0.09984\"} 4\n");
    TEST_CONTAINS(text, "momento_subscriber_canary_rtt_seconds_bucket" CS ",le=\"0.499712\"} 4\n");
    TEST_CONTAINS(text, "momento_subscriber_canary_rtt_seconds_bucket" CS ",le=\"0.999424\"} 5\n");
    TEST_CONTAINS(text, "momento_subscriber_canary_rtt_seconds_bucket" CS ",le=\"+Inf\"} 5\n");
    TEST_CONTAINS(text, "momento_subscriber_canary_rtt_seconds_sum" CS "} 0.671984\n");
    TEST_CONTAINS(text, "momento_subscriber_canary_rtt_seconds_count" CS "} 5\n");
    TEST_CONTAINS(text, "# TYPE momento_subscriber_canary_sent_total counter\n"
                        "momento_subscriber_canary_sent_total" CS "} 10\n");
    TEST_CONTAINS(text, "momento_subscriber_canary_received_total" CS "} 5\n");
    TEST_CONTAINS(text, "momento_subscriber_canary_lost_total" CS "} 2\n");
    TEST_CONTAINS(text, "momento_subscriber_canary_late_total" CS "} 1\n");
    TEST_CONTAINS(text, "momento_subscriber_canary_duplicates_total" CS "} 1\n");
    TEST_CONTAINS(text, "momento_subscriber_canary_out_of_order_total" CS "} 1\n");
    TEST_CONTAINS(text, "momento_subscriber_canary_after_deadline_total" CS "} 1\n");
    /* by status, those that happened only, in status order */
    TEST_CONTAINS(text, "# TYPE momento_subscriber_canary_publish_errors_total counter\n"
                        "momento_subscriber_canary_publish_errors_total" CS ",status=\"UNKNOWN\"} 1\n"
                        "momento_subscriber_canary_publish_errors_total" CS ",status=\"DEADLINE_EXCEEDED\"} 1\n"
                        "momento_subscriber_canary_publish_errors_total" CS ",status=\"UNAVAILABLE\"} 2\n");
    TEST_EQ_INT(count_of(text, "momento_subscriber_canary_publish_errors_total{"), 3);
    TEST_CHECK(strstr(text, "status=\"OK\"") == NULL);
    TEST_CONTAINS(text, "# TYPE momento_subscriber_canary_in_flight gauge\n"
                        "momento_subscriber_canary_in_flight" CS "} 3\n");
    /* (5 - 1) / (5 + 2) */
    TEST_CONTAINS(text, "# TYPE momento_subscriber_canary_availability gauge\n"
                        "momento_subscriber_canary_availability" CS "} 0.571428571\n");
    /* (1 - 4/7) / (1 - 0.999) */
    TEST_CONTAINS(text, "# TYPE momento_subscriber_canary_burn_rate gauge\n"
                        "momento_subscriber_canary_burn_rate" CS "} 428.571429\n");
    /* 12 canary families and the clock's two; HELP and TYPE once each */
    TEST_EQ_INT(count_of(text, "# HELP "), 14);
    TEST_EQ_INT(count_of(text, "# TYPE "), 14);
    free(text);

    /* a second interval adds up; the gauges are the last summary's */
    mo_canary_account_end_interval(&a);
    mo_canary_account_sent(&a, 0);
    mo_canary_account_sent(&a, 0);
    mo_canary_account_received(&a, 6, 150);
    mo_canary_account_received(&a, 7, 150);
    mo_canary_account_publish(&a, 14, 900);
    mo_prom_fold_canary(&cs, &a, 3);
    text = render_canary(&cs, "canary", "momento-subscriber-canary");
    TEST_CONTAINS(text, "momento_subscriber_canary_rtt_seconds_bucket" CS ",le=\"0.0002\"} 2\n");
    TEST_CONTAINS(text, "momento_subscriber_canary_rtt_seconds_bucket" CS ",le=\"0.001\"} 3\n");
    TEST_CONTAINS(text, "momento_subscriber_canary_rtt_seconds_count" CS "} 7\n");
    TEST_CONTAINS(text, "momento_subscriber_canary_rtt_seconds_sum" CS "} 0.672284\n");
    TEST_CONTAINS(text, "momento_subscriber_canary_sent_total" CS "} 12\n");
    TEST_CONTAINS(text, "momento_subscriber_canary_received_total" CS "} 7\n");
    TEST_CONTAINS(text, "momento_subscriber_canary_lost_total" CS "} 2\n");
    TEST_CONTAINS(text, "momento_subscriber_canary_publish_errors_total" CS ",status=\"UNAVAILABLE\"} 3\n");
    TEST_CONTAINS(text, "momento_subscriber_canary_availability" CS "} 0.666666667\n"); /* 6 / 9 */
    TEST_CONTAINS(text, "momento_subscriber_canary_burn_rate" CS "} 0\n"); /* all in time */
    free(text);

    /* an interval in which nothing came back or was lost: no burn rate;
     * the availability since start stays */
    mo_canary_account_end_interval(&a);
    mo_canary_account_sent(&a, 0);
    mo_prom_fold_canary(&cs, &a, 4);
    text = render_canary(&cs, "canary", "momento-subscriber-canary");
    TEST_CHECK(strstr(text, "canary_burn_rate") == NULL);
    TEST_CONTAINS(text, "momento_subscriber_canary_availability" CS "} 0.666666667\n");
    TEST_CONTAINS(text, "momento_subscriber_canary_in_flight" CS "} 4\n");
    TEST_CONTAINS(text, "momento_subscriber_canary_sent_total" CS "} 13\n");
    free(text);
    mo_canary_account_clear(&a);

    /* a canary with nothing resolved yet: neither availability nor burn
     * rate, no publish error family; labels escaped as a topic's */
    TEST_EQ_INT(mo_canary_account_init(&a, 500000, 999000), 0);
    mo_canary_account_sent(&a, 0);
    struct mo_prom_canary_series fresh = {.burn_rate = -1};
    mo_prom_fold_canary(&fresh, &a, 1);
    text = render_canary(&fresh, "c\"x", "t\\y");
    TEST_CHECK(strstr(text, "canary_availability") == NULL);
    TEST_CHECK(strstr(text, "canary_burn_rate") == NULL);
    TEST_CHECK(strstr(text, "canary_publish_errors_total") == NULL);
    TEST_CONTAINS(text, "momento_subscriber_canary_sent_total{cache=\"c\\\"x\",topic=\"t\\\\y\"} 1\n");
    TEST_CONTAINS(text, "momento_subscriber_canary_rtt_seconds_count{cache=\"c\\\"x\",topic=\"t\\\\y\"} 0\n");
    TEST_CONTAINS(text, "momento_subscriber_canary_in_flight{cache=\"c\\\"x\",topic=\"t\\\\y\"} 1\n");
    free(text);
    mo_canary_account_clear(&a);
}

int main(void)
{
    test_bounds();
    test_render();
    test_labels_and_host();
    test_canary();
    return test_result("test-export-prom");
}
