/* Unit tests for the merge (src/report/merge.c), the sink that feeds it
 * (sink.c) and the p99 time series (series.c): percentiles of merged
 * histograms against exact percentiles of the same values; the clock error
 * bounds merged per topic, per host and in the totals. */
#include <config.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "merge.h"
#include "series.h"
#include "sink.h"
#include "test.h"

#define S 1000000LL

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int64_t exact(const int64_t *sorted, size_t n, double q)
{
    size_t rank = (size_t)ceil(q * (double)n);
    return sorted[rank ? rank - 1 : 0];
}

/* Within the histogram's error: 1% of the value (values under 256 us are exact). */
static bool close_enough(int64_t got, int64_t want)
{
    return fabs((double)(got - want)) <= fabs((double)want) * 0.01;
}

static char enc[1 << 18];

/* A summary of values[0..n) as a reader hands it over: the histogram went
 * through its text encoding, its extremes come from min_us / max_us. */
static void make_summary(struct lr_summary *s, mo_hist *h, const char *host, const char *cache,
                         const char *topic, int64_t ts_us, double interval_s, const int64_t *v, size_t n)
{
    mo_hist *src;
    mo_hist_new(&src);
    for (size_t i = 0; i < n; i++)
        mo_hist_record(src, v[i]);
    mo_hist_encode(src, enc, sizeof enc);
    mo_hist_reset(h);
    mo_hist_decode(h, enc);
    *s = (struct lr_summary){.cache = cache, .topic = topic, .histogram = enc, .interval_s = interval_s,
                             .count = n + 2, .decode_errors = 2, .protocol_errors = 9,
                             .negative = mo_hist_negative(src),
                             .gaps = 1, .duplicates = 2, .discontinuities = 3, .resets = 4,
                             .reconnects = 5, .log_dropped = 6, .lost = 7, .warnings_dropped = 8, .hist = h,
                             .host = host, .ts_us = ts_us};
    if (n) {
        s->min_us = mo_hist_min(src);
        s->max_us = mo_hist_max(src);
        TEST_EQ_INT(mo_hist_set_range(h, s->min_us, s->max_us), 0);
    }
    mo_hist_free(src);
}

/* long-tailed latencies with a few negative ones */
static int64_t draw(void)
{
    double x = -log((rand() + 1.0) / (RAND_MAX + 2.0));
    return (int64_t)(x * x * 800.0) + 40 - (rand() % 200 == 0 ? 400 : 0);
}

static void check_latency(const struct lr_row *row, int64_t *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp64);
    TEST_EQ_INT(row->measured, n);
    TEST_EQ_INT(row->min_us, v[0]);
    TEST_EQ_INT(row->max_us, v[n - 1]);
    const struct {
        double q;
        int64_t got;
    } p[] = {{0.5, row->p50_us}, {0.9, row->p90_us}, {0.99, row->p99_us}, {0.999, row->p999_us}};
    for (size_t i = 0; i < 4; i++) {
        int64_t want = exact(v, n, p[i].q);
        if (!close_enough(p[i].got, want))
            fprintf(stderr, "q %g: got %lld, exact %lld\n", p[i].q, (long long)p[i].got, (long long)want);
        TEST_CHECK(close_enough(p[i].got, want));
    }
    uint64_t neg = 0;
    for (size_t i = 0; i < n; i++)
        neg += v[i] < 0;
    TEST_EQ_INT(row->negative, neg);
}

enum { HOSTS = 3, TOPICS = 2, SUMMARIES = 20, PER = 500 };
static const char *const host_name[HOSTS] = {"web-2", "web-1", "db"};
static const char *const topic_name[TOPICS] = {"us", "eu"};

/* Every (host, topic) gets SUMMARIES summaries of PER values; returns the merge. */
static lr_merge *build(bool by_host, int64_t *all, int64_t per_topic[TOPICS][HOSTS * SUMMARIES * PER],
                       int64_t per_host_topic[HOSTS][TOPICS][SUMMARIES * PER])
{
    lr_merge *m;
    TEST_EQ_INT(lr_merge_new(by_host, &m), 0);
    mo_hist *h;
    mo_hist_new(&h);
    srand(11);
    size_t na = 0, nt[TOPICS] = {0};
    int64_t v[PER];
    for (int k = 0; k < SUMMARIES; k++) {
        for (int hi = 0; hi < HOSTS; hi++) {
            for (int t = 0; t < TOPICS; t++) {
                for (int i = 0; i < PER; i++) {
                    v[i] = draw() * (t + 1); /* eu is slower */
                    all[na++] = v[i];
                    per_topic[t][nt[t]++] = v[i];
                    per_host_topic[hi][t][k * PER + i] = v[i];
                }
                struct lr_summary s;
                make_summary(&s, h, host_name[hi], "prices", topic_name[t], (1000 + k * 10) * S + hi * 1000,
                             10.0, v, PER);
                TEST_EQ_INT(lr_merge_add(m, &s), 0);
            }
        }
    }
    mo_hist_free(h);
    return m;
}

static int64_t all_v[HOSTS * TOPICS * SUMMARIES * PER];
static int64_t topic_v[TOPICS][HOSTS * SUMMARIES * PER];
static int64_t host_topic_v[HOSTS][TOPICS][SUMMARIES * PER];

static void test_merge(void)
{
    lr_merge *m = build(false, all_v, topic_v, host_topic_v);
    struct lr_report r;
    TEST_EQ_INT(lr_merge_report(m, &r), 0);
    TEST_EQ_INT(r.n_rows, TOPICS + 1);
    TEST_EQ_INT(r.n_hosts, HOSTS);
    TEST_EQ_INT(r.n_topics, TOPICS);
    TEST_EQ_INT(r.n_summaries, HOSTS * TOPICS * SUMMARIES);
    TEST_EQ_INT(r.first_us, 990 * S);              /* the first summary's interval start */
    TEST_EQ_INT(r.last_us, (1000 + 190) * S + 2000); /* the last one's end */
    /* sorted by cache, then topic: eu before us */
    TEST_EQ_STR(r.rows[0].topic, "eu");
    TEST_EQ_STR(r.rows[1].topic, "us");
    TEST_CHECK(r.rows[2].cache == NULL && r.rows[2].topic == NULL && r.rows[2].host == NULL);
    uint64_t n_topic = HOSTS * SUMMARIES * PER;
    for (int t = 0; t < TOPICS; t++) {
        const struct lr_row *row = &r.rows[t == 0 ? 1 : 0]; /* topic_v[0] is "us" */
        TEST_EQ_INT(row->summaries, HOSTS * SUMMARIES);
        TEST_EQ_INT(row->messages, n_topic + 2 * HOSTS * SUMMARIES);
        TEST_EQ_INT(row->decode_errors, 2 * HOSTS * SUMMARIES);
        TEST_EQ_INT(row->protocol_errors, 9 * HOSTS * SUMMARIES);
        TEST_EQ_INT(row->gaps, HOSTS * SUMMARIES);
        TEST_EQ_INT(row->duplicates, 2 * HOSTS * SUMMARIES);
        TEST_EQ_INT(row->discontinuities, 3 * HOSTS * SUMMARIES);
        TEST_EQ_INT(row->resets, 4 * HOSTS * SUMMARIES);
        TEST_EQ_INT(row->reconnects, 5 * HOSTS * SUMMARIES);
        TEST_EQ_INT(row->log_dropped, 6 * HOSTS * SUMMARIES);
        TEST_EQ_INT(row->lost, 7 * HOSTS * SUMMARIES);
        TEST_EQ_INT(row->warnings_dropped, 8 * HOSTS * SUMMARIES);
        TEST_CHECK(fabs(row->covered_s - 10.0 * HOSTS * SUMMARIES) < 1e-6);
        /* a rate per subscription: the three hosts do not add up */
        TEST_CHECK(fabs(row->rate - (double)row->messages / (10.0 * HOSTS * SUMMARIES)) < 1e-9);
        check_latency(row, topic_v[t], n_topic);
    }
    const struct lr_row *tot = &r.rows[2];
    TEST_EQ_INT(tot->messages, r.rows[0].messages + r.rows[1].messages);
    TEST_EQ_INT(tot->summaries, HOSTS * TOPICS * SUMMARIES);
    TEST_EQ_INT(tot->gaps, 2 * HOSTS * SUMMARIES);
    TEST_EQ_INT(tot->decode_errors, 2 * TOPICS * HOSTS * SUMMARIES);
    TEST_EQ_INT(tot->protocol_errors, 9 * TOPICS * HOSTS * SUMMARIES);
    TEST_CHECK(fabs(tot->rate - (r.rows[0].rate + r.rows[1].rate)) < 1e-9);
    TEST_EQ_INT(tot->covered_s, 0);
    check_latency(tot, all_v, HOSTS * TOPICS * SUMMARIES * PER);
    struct lr_row unsplit_total = *tot;
    lr_merge_free(m);

    /* split by host: hosts sorted, each with its topics and total, then a
     * grand total equal to the unsplit one */
    m = build(true, all_v, topic_v, host_topic_v);
    TEST_EQ_INT(lr_merge_report(m, &r), 0);
    TEST_EQ_INT(r.n_rows, HOSTS * (TOPICS + 1) + 1);
    TEST_CHECK(r.by_host);
    const char *order[HOSTS] = {"db", "web-1", "web-2"};
    const int index[HOSTS] = {2, 1, 0}; /* into host_name */
    for (int hi = 0; hi < HOSTS; hi++) {
        const struct lr_row *rows = &r.rows[hi * (TOPICS + 1)];
        for (int t = 0; t < TOPICS; t++) {
            TEST_EQ_STR(rows[t].host, order[hi]);
            TEST_EQ_STR(rows[t].topic, t == 0 ? "eu" : "us");
            TEST_EQ_INT(rows[t].summaries, SUMMARIES);
            TEST_CHECK(fabs(rows[t].rate - (double)rows[t].messages / (10.0 * SUMMARIES)) < 1e-9);
            check_latency(&rows[t], host_topic_v[index[hi]][t == 0 ? 1 : 0], SUMMARIES * PER);
        }
        const struct lr_row *ht = &rows[TOPICS];
        TEST_EQ_STR(ht->host, order[hi]);
        TEST_CHECK(ht->cache == NULL);
        TEST_EQ_INT(ht->messages, rows[0].messages + rows[1].messages);
        TEST_CHECK(fabs(ht->rate - (rows[0].rate + rows[1].rate)) < 1e-9);
    }
    tot = &r.rows[r.n_rows - 1];
    TEST_CHECK(tot->host == NULL && tot->cache == NULL);
    TEST_EQ_INT(tot->messages, unsplit_total.messages);
    TEST_EQ_INT(tot->protocol_errors, unsplit_total.protocol_errors);
    TEST_EQ_INT(tot->measured, unsplit_total.measured);
    TEST_EQ_INT(tot->p50_us, unsplit_total.p50_us);
    TEST_EQ_INT(tot->p99_us, unsplit_total.p99_us);
    TEST_EQ_INT(tot->p999_us, unsplit_total.p999_us);
    TEST_EQ_INT(tot->min_us, unsplit_total.min_us);
    TEST_EQ_INT(tot->max_us, unsplit_total.max_us);
    TEST_CHECK(fabs(tot->rate - unsplit_total.rate) < 1e-9);
    lr_merge_free(m);
    lr_merge_free(NULL);
}

/* Many topics: the hash table grows and every summary finds its group. */
static void test_many_topics(void)
{
    lr_merge *m;
    lr_merge_new(false, &m);
    mo_hist *h;
    mo_hist_new(&h);
    char topic[32];
    for (int round = 0; round < 3; round++) {
        for (int t = 0; t < 1000; t++) {
            int j = (t * 7919) % 1000; /* every topic once, out of order */
            snprintf(topic, sizeof topic, "t%04d", j);
            int64_t v[1] = {j};
            struct lr_summary s;
            make_summary(&s, h, "h", "c", topic, (round + 1) * S, 1.0, v, 1);
            TEST_EQ_INT(lr_merge_add(m, &s), 0);
        }
        struct lr_report r; /* a report between additions must not lose groups */
        TEST_EQ_INT(lr_merge_report(m, &r), 0);
        TEST_EQ_INT(r.n_topics, 1000);
    }
    struct lr_report r;
    TEST_EQ_INT(lr_merge_report(m, &r), 0);
    TEST_EQ_INT(r.n_rows, 1001);
    TEST_EQ_STR(r.rows[0].topic, "t0000");
    TEST_EQ_STR(r.rows[999].topic, "t0999");
    bool ok = true;
    for (int t = 0; t < 1000; t++)
        ok = ok && r.rows[t].summaries == 3 && r.rows[t].min_us == t && r.rows[t].max_us == t;
    TEST_CHECK(ok);
    TEST_EQ_INT(r.rows[1000].measured, 3000);
    mo_hist_free(h);
    lr_merge_free(m);
}

/* A summary of one interval with its clock's fields (bound or publisher -1:
 * unknown, as the daemon writes them). */
static void add_clock(lr_merge *m, mo_hist *h, const char *host, const char *topic, int64_t ts_us,
                      unsigned source, int64_t bound, int64_t publisher, uint64_t skewed)
{
    int64_t v[4] = {-5000, 100, 200, 300};
    struct lr_summary s;
    make_summary(&s, h, host, "c", topic, ts_us, 10.0, v, 4);
    s.clock_source = source;
    s.has_clock_bound = bound >= 0;
    s.clock_bound_us = bound >= 0 ? (uint64_t)bound : 0;
    s.has_publisher_bound = publisher >= 0;
    s.publisher_bound_us = publisher >= 0 ? (uint64_t)publisher : 0;
    s.skewed = skewed;
    TEST_EQ_INT(lr_merge_add(m, &s), 0);
}

/* A row's clock: bound and publisher bound (-1 unknown), skewed, sources. */
static void check_clock(const char *what, const struct lr_row *row, int64_t bound, int64_t publisher,
                        uint64_t skewed, unsigned sources)
{
    int64_t got_b = row->has_clock_bound ? (int64_t)row->clock_bound_us : -1;
    int64_t got_p = row->has_publisher_bound ? (int64_t)row->publisher_bound_us : -1;
    if (got_b != bound || got_p != publisher || row->skewed != skewed || row->clock_sources != sources)
        fprintf(stderr, "%s: bound %lld publisher %lld skewed %llu sources %u\n", what, (long long)got_b,
                (long long)got_p, (unsigned long long)row->skewed, row->clock_sources);
    TEST_EQ_INT(got_b, bound);
    TEST_EQ_INT(got_p, publisher);
    TEST_EQ_INT(row->skewed, skewed);
    TEST_EQ_INT(row->clock_sources, sources);
    bool partial;
    int64_t sum = lr_row_bound_us(row, &partial);
    TEST_EQ_INT(sum, bound < 0 ? -1 : bound + (publisher < 0 ? 0 : publisher));
    TEST_CHECK(partial == (bound >= 0 && publisher < 0));
}

static void test_clock(void)
{
    enum { CB = LR_CLOCK_CLOCKBOUND, AT = LR_CLOCK_ADJTIMEX };
    for (int by_host = 0; by_host < 2; by_host++) {
        lr_merge *m;
        lr_merge_new(by_host, &m);
        mo_hist *h;
        mo_hist_new(&h);
        struct lr_report r;
        /* summaries of older daemons only: nothing known, no clock */
        add_clock(m, h, "web-1", "eu", 100 * S, 0, -1, -1, 0);
        TEST_EQ_INT(lr_merge_report(m, &r), 0);
        TEST_CHECK(!r.has_clock);
        check_clock("old only", &r.rows[r.n_rows - 1], -1, -1, 0, 0);
        /* web-1, eu: the largest bound of each kind, whatever the order */
        add_clock(m, h, "web-1", "eu", 110 * S, CB, 350, 200, 0);
        add_clock(m, h, "web-1", "eu", 120 * S, CB, 300, 350, 1);
        add_clock(m, h, "web-1", "eu", 130 * S, AT, 400, -1, 0);
        /* web-1, us: no publisher bound; web-2, eu: one unknown interval */
        add_clock(m, h, "web-1", "us", 110 * S, CB, 350, -1, 0);
        add_clock(m, h, "web-2", "eu", 120 * S, AT, 1200, 100, 2);
        add_clock(m, h, "web-2", "eu", 130 * S, AT, -1, -1, 0);
        /* web-2, dark: this host's bound unknown, the publishers' known */
        add_clock(m, h, "web-2", "dark", 130 * S, AT, -1, 250, 0);
        TEST_EQ_INT(lr_merge_report(m, &r), 0);
        TEST_CHECK(r.has_clock);
        TEST_EQ_INT(r.n_hosts, 2);
        TEST_EQ_STR(r.host_clocks[0].host, "web-1");
        TEST_EQ_INT(r.host_clocks[0].clock_sources, CB | AT);
        TEST_EQ_STR(r.host_clocks[1].host, "web-2");
        TEST_EQ_INT(r.host_clocks[1].clock_sources, AT);
        if (!by_host) {
            TEST_EQ_INT(r.n_rows, 4);
            TEST_EQ_STR(r.rows[0].topic, "dark");
            check_clock("dark", &r.rows[0], -1, 250, 0, AT);
            check_clock("eu", &r.rows[1], 1200, 350, 3, CB | AT);
            check_clock("us", &r.rows[2], 350, -1, 0, CB);
            check_clock("total", &r.rows[3], 1200, 350, 3, CB | AT);
        } else {
            TEST_EQ_INT(r.n_rows, 7);
            TEST_EQ_STR(r.rows[0].host, "web-1");
            check_clock("web-1 eu", &r.rows[0], 400, 350, 1, CB | AT);
            check_clock("web-1 us", &r.rows[1], 350, -1, 0, CB);
            check_clock("web-1 total", &r.rows[2], 400, 350, 1, CB | AT);
            TEST_EQ_STR(r.rows[3].topic, "dark");
            check_clock("web-2 dark", &r.rows[3], -1, 250, 0, AT);
            check_clock("web-2 eu", &r.rows[4], 1200, 100, 2, AT);
            check_clock("web-2 total", &r.rows[5], 1200, 250, 2, AT);
            check_clock("all hosts", &r.rows[6], 1200, 350, 3, CB | AT);
        }
        /* a skew alone is the clock's too */
        lr_merge_free(m);
        lr_merge_new(by_host, &m);
        add_clock(m, h, "web-1", "eu", 100 * S, 0, -1, -1, 1);
        TEST_EQ_INT(lr_merge_report(m, &r), 0);
        TEST_CHECK(r.has_clock);
        mo_hist_free(h);
        lr_merge_free(m);
    }
    /* a sum past int64 is saturated, not wrapped */
    struct lr_row big = {.has_clock_bound = true, .clock_bound_us = (uint64_t)INT64_MAX,
                         .has_publisher_bound = true, .publisher_bound_us = 5};
    bool partial;
    TEST_EQ_INT(lr_row_bound_us(&big, &partial), INT64_MAX);
    TEST_CHECK(!partial);
}

static void test_sink(void)
{
    struct lr_sink k = {.window = {.has_since = true, .since_us = 100 * S, .has_until = true,
                                   .until_us = 200 * S}};
    lr_merge_new(false, &k.merge);
    lr_series_new(&k.series);
    mo_hist *h;
    mo_hist_new(&h);
    int64_t v[3] = {100, 200, 300};
    struct lr_summary s;
    const int64_t times[] = {99 * S, 100 * S, 150 * S, 200 * S, 200 * S + 1};
    for (size_t i = 0; i < 5; i++) {
        make_summary(&s, h, "h", "c", "t", times[i], 1.0, v, 3);
        TEST_EQ_INT(lr_sink_take(&k, &s), 0);
    }
    make_summary(&s, h, "h", "*", "*", 150 * S, 1.0, v, 3); /* the daemon's total: not added */
    TEST_EQ_INT(lr_sink_take(&k, &s), 0);
    TEST_EQ_INT(k.diag.used, 3); /* the window's ends are inside it */
    TEST_EQ_INT(k.diag.outside, 2);
    TEST_EQ_INT(k.diag.totals, 1);
    struct lr_report r;
    TEST_EQ_INT(lr_merge_report(k.merge, &r), 0);
    TEST_EQ_INT(r.n_rows, 2);
    TEST_EQ_INT(r.rows[1].measured, 9);
    TEST_CHECK(lr_window_contains(&(struct lr_window){0}, INT64_MIN));
    TEST_CHECK(!lr_window_contains(&(struct lr_window){.has_until = true, .until_us = 5}, 6));
    mo_hist_free(h);
    lr_merge_free(k.merge);
    lr_series_free(k.series);
}

static void test_series(void)
{
    lr_series *s;
    TEST_EQ_INT(lr_series_new(&s), 0);
    struct lr_column *cols;
    size_t n;
    int64_t step;
    TEST_EQ_INT(lr_series_columns(s, 70, &cols, &n, &step), 0);
    TEST_EQ_INT(n, 0);
    TEST_CHECK(cols == NULL);
    mo_hist *h, *want;
    mo_hist_new(&h);
    mo_hist_new(&want);
    /* ten 1-second summaries, logged a little late, as a daemon does; the
     * 4th is empty; values grow with k */
    int64_t v[100];
    for (int k = 0; k < 10; k++) {
        for (int i = 0; i < 100; i++)
            v[i] = (k + 1) * 1000 + i * 10;
        struct lr_summary sum;
        make_summary(&sum, h, "h", "c", "t", 1000 * S + (k + 1) * S + 3000, 1.0 + 1e-3 * (k % 3), v,
                     k == 3 ? 0 : 100);
        TEST_EQ_INT(lr_series_add(s, &sum), 0);
    }
    TEST_EQ_INT(lr_series_columns(s, 70, &cols, &n, &step), 0);
    TEST_EQ_INT(step, 1001000); /* the median interval */
    TEST_EQ_INT(n, 10);
    for (int k = 0; k < 10; k++) {
        TEST_EQ_INT(cols[k].summaries, 1);
        if (k == 3) {
            TEST_EQ_INT(cols[k].measured, 0);
            continue;
        }
        TEST_EQ_INT(cols[k].measured, 100);
        /* rank 99 of (k+1)*1000 + 10*i is i = 98 */
        TEST_CHECK(close_enough(cols[k].p99_us, (k + 1) * 1000 + 980));
        TEST_EQ_INT(cols[k].max_us, (k + 1) * 1000 + 990);
    }
    free(cols);
    /* five columns at most: two summaries each, p99 of their merge */
    TEST_EQ_INT(lr_series_columns(s, 5, &cols, &n, &step), 0);
    TEST_EQ_INT(n, 5);
    TEST_CHECK(step >= 2000000 && step < 2020000);
    uint64_t total = 0;
    for (size_t c = 0; c < n; c++)
        total += cols[c].summaries;
    TEST_EQ_INT(total, 10);
    TEST_EQ_INT(cols[0].summaries, 2);
    TEST_EQ_INT(cols[0].measured, 200);
    /* summaries 1 and 2 (values 1000..1990 and 2000..2990): rank 198 of 200 */
    TEST_CHECK(close_enough(cols[0].p99_us, 2970));
    TEST_EQ_INT(cols[0].max_us, 2990);
    TEST_EQ_INT(cols[1].measured, 100); /* the 3rd, and the empty 4th */
    free(cols);
    mo_hist_free(h);
    mo_hist_free(want);
    lr_series_free(s);
    lr_series_free(NULL);
}

int main(void)
{
    test_merge();
    test_many_topics();
    test_clock();
    test_sink();
    test_series();
    return test_result("test-report-merge");
}
