/* Unit tests for the canary's events in the report: reading and checking
 * them (src/report/canary.c), merging them (cmerge.c) with the availability
 * arithmetic, the sink's window (sink.c), and their tables and JSON (table.c,
 * json.c). */
#include <config.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "canary.h"
#include "cmerge.h"
#include "json.h"
#include "sink.h"
#include "table.h"
#include "test.h"

#define S 1000000LL

/* ---- a record as key/value texts; a NULL value removes the key ---- */

#define MAX_F 40
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

static char enc[1 << 16];

/* A canary event as the daemon writes it: 998 round trips from 4 to 13.97 ms. */
static void good_canary(struct rec *r, mo_hist *src)
{
    mo_hist_reset(src);
    for (int i = 0; i < 998; i++)
        mo_hist_record(src, 4000 + (int64_t)i * 10);
    mo_hist_encode(src, enc, sizeof enc);
    *r = (struct rec){0};
    set(r, "cache", "c");
    set(r, "topic", "canary");
    set(r, "host", "web-1");
    set(r, "id", "0123456789abcdef");
    set(r, "interval_s", "60.001");
    set(r, "sent", "1001");
    set(r, "received", "998");
    set(r, "lost", "2");
    set(r, "late", "3");
    set(r, "duplicates", "1");
    set(r, "out_of_order", "4");
    set(r, "after_deadline", "1");
    set(r, "publish_errors", "0");
    set(r, "sent_total", "5000"); /* read by nobody: fine */
    set(r, "in_flight", "1");
    set(r, "rtt_min_us", "4000");
    set(r, "rtt_max_us", "13970");
    set(r, "availability", "0.995");
    set(r, "histogram", enc);
}

static void test_parse_canary(void)
{
    mo_hist *src, *h;
    mo_hist_new(&src);
    mo_hist_new(&h);
    struct rec r;
    struct lr_canary c = {.hist = h};
    char err[256];
    good_canary(&r, src);
    TEST_EQ_INT(lr_canary_parse(lookup, &r, &c, err, sizeof err), 0);
    TEST_EQ_STR(c.cache, "c");
    TEST_EQ_STR(c.topic, "canary");
    TEST_EQ_STR(c.host, "web-1");
    TEST_CHECK(fabs(c.interval_s - 60.001) < 1e-9);
    TEST_EQ_INT(c.sent, 1001);
    TEST_EQ_INT(c.received, 998);
    TEST_EQ_INT(c.lost, 2);
    TEST_EQ_INT(c.late, 3);
    TEST_EQ_INT(c.duplicates, 1);
    TEST_EQ_INT(c.out_of_order, 4);
    TEST_EQ_INT(c.after_deadline, 1);
    TEST_EQ_INT(c.publish_errors, 0);
    TEST_EQ_INT(c.rtt_min_us, 4000);
    TEST_EQ_INT(c.rtt_max_us, 13970);
    TEST_EQ_INT(mo_hist_count(h), 998);
    TEST_EQ_INT(mo_hist_min(h), 4000); /* exact, from rtt_min_us */
    TEST_EQ_INT(mo_hist_max(h), 13970);

    /* every count must be there */
    const char *counts[] = {"sent",       "received",     "lost",           "late",
                            "duplicates", "out_of_order", "after_deadline", "publish_errors"};
    for (size_t i = 0; i < sizeof counts / sizeof *counts; i++) {
        good_canary(&r, src);
        set(&r, counts[i], NULL);
        TEST_EQ_INT(lr_canary_parse(lookup, &r, &c, err, sizeof err), -EINVAL);
        char want[64];
        snprintf(want, sizeof want, "no field %s", counts[i]);
        TEST_EQ_STR(err, want);
        set(&r, counts[i], "-1");
        TEST_EQ_INT(lr_canary_parse(lookup, &r, &c, err, sizeof err), -EINVAL);
        TEST_CONTAINS(err, "is not a whole number");
    }
    const struct {
        const char *key, *val, *reason;
    } bad[] = {
        {"cache", NULL, "no field cache"},
        {"topic", "", "field topic is empty"},
        {"host", NULL, "no field host"},
        {"interval_s", "1e3", "field interval_s: \"1e3\" is not a number of seconds"},
        {"histogram", "h1,5:", "field histogram: \"h1,5:\" is not a histogram encoding (h1,...)"},
        {"histogram", NULL, "no field histogram"},
        {"received", "999", "late 3 is more than received 999"}, /* first: the histogram */
        {"late", "999", "late 999 is more than received 998"},
        {"rtt_min_us", NULL, "no field rtt_min_us"},
        {"rtt_max_us", "x", "field rtt_max_us: \"x\" is not a whole number"},
        {"rtt_max_us", "20000", "rtt_min_us 4000 or rtt_max_us 20000 lies outside the histogram"},
        {"rtt_min_us", "3000", "rtt_min_us 3000 or rtt_max_us 13970 lies outside the histogram"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        good_canary(&r, src);
        set(&r, bad[i].key, bad[i].val);
        err[0] = '\0';
        TEST_EQ_INT(lr_canary_parse(lookup, &r, &c, err, sizeof err), -EINVAL);
        if (i == 6)
            TEST_EQ_STR(err, "the histogram holds 998 probes, but received is 999");
        else
            TEST_EQ_STR(err, bad[i].reason);
    }
    /* nothing received: no rtt_* needed, an empty histogram */
    good_canary(&r, src);
    set(&r, "received", "0");
    set(&r, "late", "0");
    set(&r, "rtt_min_us", NULL);
    set(&r, "rtt_max_us", NULL);
    set(&r, "histogram", "h1");
    TEST_EQ_INT(lr_canary_parse(lookup, &r, &c, err, sizeof err), 0);
    TEST_EQ_INT(c.received, 0);
    TEST_EQ_INT(c.rtt_min_us, 0);
    TEST_EQ_INT(mo_hist_count(h), 0);
    set(&r, "histogram", enc); /* but a histogram that holds some is damage */
    TEST_EQ_INT(lr_canary_parse(lookup, &r, &c, err, sizeof err), -EINVAL);
    TEST_EQ_STR(err, "the histogram holds 998 probes, but received is 0");
    mo_hist_free(src);
    mo_hist_free(h);
}

static void test_parse_peer(void)
{
    mo_hist *src, *h;
    mo_hist_new(&src);
    mo_hist_new(&h);
    for (int i = 0; i < 100; i++)
        mo_hist_record(src, -300 + i * 50); /* one-way: negative ones too */
    mo_hist_encode(src, enc, sizeof enc);
    struct rec r = {0};
    set(&r, "host", "web-2");
    set(&r, "id", "fedcba9876543210");
    set(&r, "received", "100");
    set(&r, "lost", "1");
    set(&r, "p50_us", "2200");
    set(&r, "max_us", "4650");
    set(&r, "histogram", enc);
    struct lr_canary_peer p = {.hist = h};
    char err[256];
    TEST_EQ_INT(lr_canary_peer_parse(lookup, &r, &p, err, sizeof err), 0);
    TEST_EQ_STR(p.host, "web-2");
    TEST_EQ_INT(p.received, 100);
    TEST_EQ_INT(p.lost, 1);
    TEST_EQ_INT(p.max_us, 4650);
    TEST_CHECK(!p.has_bound);
    TEST_EQ_INT(mo_hist_max(h), 4650);
    TEST_EQ_INT(mo_hist_min(h), -300);
    set(&r, "bound_us", "350");
    TEST_EQ_INT(lr_canary_peer_parse(lookup, &r, &p, err, sizeof err), 0);
    TEST_CHECK(p.has_bound);
    TEST_EQ_INT(p.bound_us, 350);
    set(&r, "bound_us", "-1");
    TEST_EQ_INT(lr_canary_peer_parse(lookup, &r, &p, err, sizeof err), -EINVAL);
    TEST_EQ_STR(err, "field bound_us: \"-1\" is not a whole number");
    set(&r, "bound_us", NULL);
    set(&r, "max_us", "5000");
    TEST_EQ_INT(lr_canary_peer_parse(lookup, &r, &p, err, sizeof err), -EINVAL);
    TEST_EQ_STR(err, "max_us 5000 lies outside the histogram");
    set(&r, "max_us", NULL);
    TEST_EQ_INT(lr_canary_peer_parse(lookup, &r, &p, err, sizeof err), -EINVAL);
    TEST_EQ_STR(err, "no field max_us");
    set(&r, "max_us", "4650");
    set(&r, "received", "101");
    TEST_EQ_INT(lr_canary_peer_parse(lookup, &r, &p, err, sizeof err), -EINVAL);
    TEST_EQ_STR(err, "the histogram holds 100 probes, but received is 101");
    set(&r, "lost", NULL);
    TEST_EQ_INT(lr_canary_peer_parse(lookup, &r, &p, err, sizeof err), -EINVAL);
    TEST_EQ_STR(err, "no field lost");
    /* one value in one bucket, max_us below the bucket's middle */
    mo_hist_reset(src);
    mo_hist_record(src, 2993); /* bucket [2992, 3008), middle 2999 */
    mo_hist_encode(src, enc, sizeof enc);
    r = (struct rec){0};
    set(&r, "host", "web-2");
    set(&r, "received", "1");
    set(&r, "lost", "0");
    set(&r, "max_us", "2993");
    set(&r, "histogram", enc);
    TEST_EQ_INT(lr_canary_peer_parse(lookup, &r, &p, err, sizeof err), 0);
    TEST_EQ_INT(mo_hist_quantile(h, 0.5), 2993);
    /* none received: no max_us */
    set(&r, "received", "0");
    set(&r, "max_us", NULL);
    set(&r, "histogram", "h1");
    TEST_EQ_INT(lr_canary_peer_parse(lookup, &r, &p, err, sizeof err), 0);
    TEST_EQ_INT(p.max_us, 0);
    mo_hist_free(src);
    mo_hist_free(h);
}

static void test_availability(void)
{
    uint64_t ppm;
    TEST_CHECK(lr_cmerge_availability(998, 3, 2, &ppm));
    TEST_EQ_INT(ppm, 995000); /* (998 - 3) / (998 + 2) */
    TEST_CHECK(lr_cmerge_availability(300, 0, 0, &ppm));
    TEST_EQ_INT(ppm, 1000000);
    TEST_CHECK(lr_cmerge_availability(0, 0, 10, &ppm));
    TEST_EQ_INT(ppm, 0);
    TEST_CHECK(!lr_cmerge_availability(0, 0, 0, &ppm));
    TEST_EQ_INT(ppm, 0);
    TEST_CHECK(lr_cmerge_availability(2, 0, 1, &ppm));
    TEST_EQ_INT(ppm, 666666); /* rounded down */
    TEST_CHECK(lr_cmerge_availability(999999, 0, 1, &ppm));
    TEST_EQ_INT(ppm, 999999); /* never 100% with a probe lost */
    TEST_CHECK(lr_cmerge_availability(5, 5, 0, &ppm));
    TEST_EQ_INT(ppm, 0); /* all late */
    /* no overflow with counts far beyond any window */
    TEST_CHECK(lr_cmerge_availability(UINT64_MAX - 1, 0, 1, &ppm));
    TEST_EQ_INT(ppm, 999999);
    TEST_CHECK(lr_cmerge_availability(UINT64_MAX / 2, UINT64_MAX / 4, 0, &ppm));
    TEST_EQ_INT(ppm, 500000);

    char buf[32];
    TEST_EQ_STR(lr_fmt_ppm(995000, buf, sizeof buf), "99.50%");
    TEST_EQ_STR(lr_fmt_ppm(1000000, buf, sizeof buf), "100.00%");
    TEST_EQ_STR(lr_fmt_ppm(999999, buf, sizeof buf), "99.99%");
    TEST_EQ_STR(lr_fmt_ppm(988549, buf, sizeof buf), "98.85%");
    TEST_EQ_STR(lr_fmt_ppm(99, buf, sizeof buf), "0.00%");
    TEST_EQ_STR(lr_fmt_ppm(0, buf, sizeof buf), "0.00%");
    TEST_EQ_STR(lr_fmt_ppm(50000, buf, sizeof buf), "5.00%");
}

/* ---- merging ---- */

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int64_t exact(int64_t *v, size_t n, double q)
{
    qsort(v, n, sizeof *v, cmp64);
    size_t rank = (size_t)ceil(q * (double)n);
    return v[rank ? rank - 1 : 0];
}

static bool close_enough(int64_t got, int64_t want)
{
    return fabs((double)(got - want)) <= fabs((double)want) * 0.01;
}

/* A canary of values v[0..n) as a reader hands it over: the histogram went
 * through its encoding, its extremes come from rtt_min_us / rtt_max_us. */
static void make_canary(struct lr_canary *c, mo_hist *h, const char *source, const char *host,
                        const char *topic, int64_t ts_us, const int64_t *v, size_t n, uint64_t lost,
                        uint64_t late)
{
    mo_hist *src;
    mo_hist_new(&src);
    for (size_t i = 0; i < n; i++)
        mo_hist_record(src, v[i]);
    mo_hist_encode(src, enc, sizeof enc);
    mo_hist_reset(h);
    mo_hist_decode(h, enc);
    *c = (struct lr_canary){.cache = "c", .topic = topic, .host = host, .histogram = enc, .interval_s = 10,
                            .sent = n + lost + 1, .received = n, .lost = lost, .late = late,
                            .duplicates = 1, .out_of_order = 2, .after_deadline = 3, .publish_errors = 4,
                            .hist = h, .source = source, .ts_us = ts_us};
    if (n) {
        c->rtt_min_us = mo_hist_min(src);
        c->rtt_max_us = mo_hist_max(src);
        TEST_EQ_INT(mo_hist_set_range(h, c->rtt_min_us, c->rtt_max_us), 0);
    }
    mo_hist_free(src);
}

static void make_peer(struct lr_canary_peer *p, mo_hist *h, const char *source, const char *host,
                      const int64_t *v, size_t n, uint64_t lost, int64_t bound)
{
    mo_hist *src;
    mo_hist_new(&src);
    for (size_t i = 0; i < n; i++)
        mo_hist_record(src, v[i]);
    mo_hist_encode(src, enc, sizeof enc);
    mo_hist_reset(h);
    mo_hist_decode(h, enc);
    *p = (struct lr_canary_peer){.host = host, .histogram = enc, .received = n, .lost = lost,
                                 .has_bound = bound >= 0, .bound_us = bound >= 0 ? (uint64_t)bound : 0,
                                 .hist = h, .source = source, .ts_us = 0};
    if (n) {
        p->max_us = mo_hist_max(src);
        mo_hist_set_range(h, mo_hist_min(h) < p->max_us ? mo_hist_min(h) : p->max_us, p->max_us);
    }
    mo_hist_free(src);
}

enum { EVENTS = 30, PER = 400 };
static int64_t host_v[2][EVENTS * PER], all_v[2 * EVENTS * PER];

static void test_merge(void)
{
    lr_cmerge *m;
    TEST_EQ_INT(lr_cmerge_new(&m), 0);
    struct lr_canary_report rep;
    TEST_EQ_INT(lr_cmerge_report(m, &rep), 0);
    TEST_EQ_INT(rep.n_rows, 0);
    TEST_EQ_INT(rep.n_peers, 0);
    TEST_CHECK(rep.all == NULL);

    mo_hist *h;
    mo_hist_new(&h);
    srand(7);
    const char *hosts[2] = {"web-2", "web-1"}; /* out of order: rows are sorted */
    size_t na = 0;
    int64_t v[PER];
    for (int k = 0; k < EVENTS; k++) {
        for (int hi = 0; hi < 2; hi++) {
            for (int i = 0; i < PER; i++) {
                double x = -log((rand() + 1.0) / (RAND_MAX + 2.0));
                v[i] = 3000 + (int64_t)(x * x * 2000) * (hi + 1);
                host_v[hi][k * PER + i] = all_v[na++] = v[i];
            }
            struct lr_canary c;
            make_canary(&c, h, hosts[hi], hosts[hi], "canary", k * 10 * S, v, PER, hi, k % 2);
            TEST_EQ_INT(lr_cmerge_note_source(m, c.source, c.host), 0);
            TEST_EQ_INT(lr_cmerge_add(m, &c), 0);
        }
    }
    TEST_EQ_INT(lr_cmerge_report(m, &rep), 0);
    TEST_EQ_INT(rep.n_rows, 2);
    TEST_EQ_INT(rep.n_hosts, 2);
    TEST_EQ_INT(rep.n_topics, 1);
    TEST_EQ_INT(rep.n_canary, 2 * EVENTS);
    const int index[2] = {1, 0}; /* web-1 is hosts[1] */
    for (int r = 0; r < 2; r++) {
        const struct lr_canary_row *row = &rep.rows[r];
        int hi = index[r];
        TEST_EQ_STR(row->host, r == 0 ? "web-1" : "web-2");
        TEST_EQ_STR(row->topic, "canary");
        TEST_EQ_INT(row->events, EVENTS);
        TEST_EQ_INT(row->received, EVENTS * PER);
        TEST_EQ_INT(row->lost, EVENTS * hi);
        TEST_EQ_INT(row->sent, EVENTS * (PER + hi + 1));
        TEST_EQ_INT(row->late, EVENTS / 2);
        TEST_EQ_INT(row->duplicates, EVENTS);
        TEST_EQ_INT(row->out_of_order, 2 * EVENTS);
        TEST_EQ_INT(row->after_deadline, 3 * EVENTS);
        TEST_EQ_INT(row->publish_errors, 4 * EVENTS);
        uint64_t want;
        lr_cmerge_availability(EVENTS * PER, EVENTS / 2, EVENTS * hi, &want);
        TEST_CHECK(row->has_availability);
        TEST_EQ_INT(row->availability_ppm, want);
        /* percentiles of the merged histograms, never averaged */
        size_t n = EVENTS * PER;
        TEST_CHECK(close_enough(row->p50_us, exact(host_v[hi], n, 0.5)));
        TEST_CHECK(close_enough(row->p90_us, exact(host_v[hi], n, 0.9)));
        TEST_CHECK(close_enough(row->p99_us, exact(host_v[hi], n, 0.99)));
        TEST_CHECK(close_enough(row->p999_us, exact(host_v[hi], n, 0.999)));
        TEST_EQ_INT(row->min_us, exact(host_v[hi], n, 0));
        TEST_EQ_INT(row->max_us, exact(host_v[hi], n, 1));
    }
    const struct lr_canary_row *all = rep.all;
    TEST_CHECK(all && all->host == NULL && all->cache == NULL);
    TEST_EQ_INT(all->events, 2 * EVENTS);
    TEST_EQ_INT(all->received, 2 * EVENTS * PER);
    TEST_EQ_INT(all->lost, EVENTS);
    TEST_EQ_INT(all->late, EVENTS);
    uint64_t want;
    lr_cmerge_availability(2 * EVENTS * PER, EVENTS, EVENTS, &want);
    TEST_EQ_INT(all->availability_ppm, want);
    TEST_CHECK(close_enough(all->p99_us, exact(all_v, na, 0.99)));
    TEST_CHECK(close_enough(all->p50_us, exact(all_v, na, 0.5)));
    TEST_EQ_INT(all->max_us, exact(all_v, na, 1));
    TEST_EQ_INT(all->min_us, exact(all_v, na, 0));

    /* the same host on a second topic (and an event of nothing received) */
    struct lr_canary c;
    make_canary(&c, h, "web-1", "web-1", "canary-eu", 0, v, 0, 5, 0);
    TEST_EQ_INT(lr_cmerge_add(m, &c), 0);
    TEST_EQ_INT(lr_cmerge_report(m, &rep), 0);
    TEST_EQ_INT(rep.n_rows, 3);
    TEST_EQ_INT(rep.n_hosts, 2);
    TEST_EQ_INT(rep.n_topics, 2);
    TEST_EQ_STR(rep.rows[0].topic, "canary");
    TEST_EQ_STR(rep.rows[1].topic, "canary-eu");
    TEST_EQ_INT(rep.rows[1].received, 0);
    TEST_EQ_INT(rep.rows[1].availability_ppm, 0);
    TEST_CHECK(rep.rows[1].has_availability);
    TEST_EQ_INT(rep.all->lost, EVENTS + 5);
    mo_hist_free(h);
    lr_cmerge_free(m);
    lr_cmerge_free(NULL);
}

static void test_peers(void)
{
    lr_cmerge *m;
    lr_cmerge_new(&m);
    mo_hist *h;
    mo_hist_new(&h);
    struct lr_canary_peer p;
    int64_t a[100], b[100];
    for (int i = 0; i < 100; i++) {
        a[i] = 1000 + i;
        b[i] = 5000 + i * 100;
    }
    /* a.jsonl's peer events come before its canary: the reporter is known at the end */
    make_peer(&p, h, "a.jsonl", "web-2", a, 100, 1, 200);
    TEST_EQ_INT(lr_cmerge_add_peer(m, &p), 0);
    make_peer(&p, h, "a.jsonl", "web-2", b, 100, 0, 450);
    TEST_EQ_INT(lr_cmerge_add_peer(m, &p), 0);
    make_peer(&p, h, "a.jsonl", "web-3", a, 0, 4, -1);
    TEST_EQ_INT(lr_cmerge_add_peer(m, &p), 0);
    TEST_EQ_INT(lr_cmerge_note_source(m, "a.jsonl", "web-1"), 0);
    /* a second file of web-1 (rotated): merged into the same rows */
    TEST_EQ_INT(lr_cmerge_note_source(m, "a.1.jsonl", "web-1"), 0);
    make_peer(&p, h, "a.1.jsonl", "web-2", a, 50, 0, 300);
    TEST_EQ_INT(lr_cmerge_add_peer(m, &p), 0);
    /* a source that names two hosts, and one that names none */
    TEST_EQ_INT(lr_cmerge_note_source(m, "stdin", "web-1"), 0);
    TEST_EQ_INT(lr_cmerge_note_source(m, "stdin", "web-2"), 0);
    make_peer(&p, h, "stdin", "web-3", a, 10, 0, -1);
    TEST_EQ_INT(lr_cmerge_add_peer(m, &p), 0);
    make_peer(&p, h, "b.jsonl", "web-1", b, 10, 0, -1);
    TEST_EQ_INT(lr_cmerge_add_peer(m, &p), 0);

    struct lr_canary_report rep;
    TEST_EQ_INT(lr_cmerge_report(m, &rep), 0);
    TEST_EQ_INT(rep.n_rows, 0);
    TEST_CHECK(rep.all == NULL);
    TEST_EQ_INT(rep.n_peer, 6);
    TEST_EQ_INT(rep.n_peers, 4);
    const struct lr_peer_row *r = rep.peers;
    TEST_EQ_STR(r[0].reporter, "b.jsonl");
    TEST_EQ_STR(r[0].host, "web-1");
    TEST_EQ_STR(r[1].reporter, "stdin");
    TEST_EQ_STR(r[1].host, "web-3");
    TEST_EQ_STR(r[2].reporter, "web-1");
    TEST_EQ_STR(r[2].host, "web-2");
    TEST_EQ_INT(r[2].events, 3);
    TEST_EQ_INT(r[2].received, 250);
    TEST_EQ_INT(r[2].lost, 1);
    TEST_CHECK(r[2].has_bound);
    TEST_EQ_INT(r[2].bound_us, 450); /* the largest */
    /* 150 values from 1000 to 1099 and 100 from 5000 to 14900: rank 125 is 1074 */
    TEST_CHECK(close_enough(r[2].p50_us, 1074));
    TEST_EQ_INT(r[2].max_us, 14900);
    TEST_EQ_STR(r[3].reporter, "web-1");
    TEST_EQ_STR(r[3].host, "web-3");
    TEST_EQ_INT(r[3].received, 0);
    TEST_EQ_INT(r[3].lost, 4);
    TEST_CHECK(!r[3].has_bound);
    mo_hist_free(h);
    lr_cmerge_free(m);
}

/* The sink: the window applies, but a source's host is noted outside it too. */
static void test_sink(void)
{
    struct lr_sink k = {.window = {.has_since = true, .since_us = 100 * S}};
    lr_cmerge_new(&k.canary);
    lr_series_new(&k.canary_series);
    mo_hist *h;
    mo_hist_new(&h);
    int64_t v[3] = {4000, 5000, 6000};
    struct lr_canary c;
    make_canary(&c, h, "a.jsonl", "web-1", "canary", 50 * S, v, 3, 0, 0);
    TEST_EQ_INT(lr_sink_take_canary(&k, &c), 0); /* outside */
    make_canary(&c, h, "a.jsonl", "web-1", "canary", 150 * S, v, 3, 1, 1);
    TEST_EQ_INT(lr_sink_take_canary(&k, &c), 0);
    struct lr_canary_peer p;
    make_peer(&p, h, "b.jsonl", "web-1", v, 3, 0, -1);
    p.ts_us = 50 * S;
    TEST_EQ_INT(lr_sink_take_peer(&k, &p), 0); /* outside */
    make_peer(&p, h, "a.jsonl", "web-2", v, 3, 0, -1);
    p.ts_us = 150 * S;
    TEST_EQ_INT(lr_sink_take_peer(&k, &p), 0);
    struct lr_canary_report rep;
    TEST_EQ_INT(lr_cmerge_report(k.canary, &rep), 0);
    TEST_EQ_INT(rep.n_rows, 1);
    TEST_EQ_INT(rep.rows[0].events, 1);
    TEST_EQ_INT(rep.rows[0].lost, 1);
    TEST_EQ_INT(rep.n_peers, 1);
    TEST_EQ_STR(rep.peers[0].reporter, "web-1");
    /* the round trips' series: the one canary in the window */
    struct lr_column *cols;
    size_t n;
    int64_t step;
    TEST_EQ_INT(lr_series_columns(k.canary_series, 70, &cols, &n, &step), 0);
    TEST_EQ_INT(n, 1);
    TEST_EQ_INT(cols[0].measured, 3);
    TEST_EQ_INT(cols[0].max_us, 6000);
    free(cols);
    mo_hist_free(h);
    lr_cmerge_free(k.canary);
    lr_series_free(k.canary_series);
}

/* ---- output ---- */

static char *render(const struct lr_canary_report *c)
{
    char *text;
    size_t len;
    FILE *f = open_memstream(&text, &len);
    TEST_EQ_INT(lr_table_print_canary(f, c), 0);
    fclose(f);
    return text;
}

static void test_output(void)
{
    lr_cmerge *m;
    lr_cmerge_new(&m);
    struct lr_canary_report rep;
    TEST_EQ_INT(lr_cmerge_report(m, &rep), 0);
    char *text = render(&rep);
    TEST_EQ_STR(text, ""); /* no canary: nothing */
    free(text);

    mo_hist *h;
    mo_hist_new(&h);
    int64_t v[4] = {200, 200, 200, 250};
    struct lr_canary c;
    make_canary(&c, h, "a", "web-1", "canary", 0, v, 4, 0, 1);
    lr_cmerge_note_source(m, "a", "web-1");
    lr_cmerge_add(m, &c);
    make_canary(&c, h, "a", "web-1", "canary-eu", 0, v, 0, 0, 0);
    lr_cmerge_add(m, &c);
    struct lr_canary_peer p;
    make_peer(&p, h, "a", "a-host-name-longer-than-its-column", v, 4, 0, 90);
    lr_cmerge_add_peer(m, &p);
    TEST_EQ_INT(lr_cmerge_report(m, &rep), 0);
    text = render(&rep);
    /* two topics: the host heads its rows; one host: "total" */
    TEST_EQ_STR(text, "\n"
                      "canary round trip (ms; each host's own probes, one clock)\n"
                      "host               sent   recv lost late   avail     p50     p99   p99.9     max\n"
                      "web-1\n"
                      "  c/canary            5      4    0    1  75.00%   0.200   0.250   0.250   0.250\n"
                      "  c/canary-eu         1      0    0    0       -       -       -       -       -\n"
                      "total                 6      4    0    1  75.00%   0.200   0.250   0.250   0.250\n"
                      "\n"
                      "canary peers (ms; one-way, two clocks)\n"
                      "reporter         peer host          recv   lost     p50     p99     max   bound\n"
                      "web-1 from a-host-name-longer-than-its-column\n"
                      "                                       4      0   0.200   0.250   0.250   0.090\n");
    free(text);

    /* --json: the canary's members after the total; without a canary, none */
    struct lr_report r = {0};
    lr_merge *mm;
    lr_merge_new(false, &mm);
    TEST_EQ_INT(lr_merge_report(mm, &r), 0);
    char *a, *b;
    size_t la, lb;
    FILE *f = open_memstream(&a, &la);
    TEST_EQ_INT(lr_json_print(f, &r), 0);
    fclose(f);
    struct lr_canary_report none = {0};
    f = open_memstream(&b, &lb);
    TEST_EQ_INT(lr_json_print_with(f, &r, &none), 0);
    fclose(f);
    TEST_EQ_STR(a, b);
    free(b);
    f = open_memstream(&b, &lb);
    TEST_EQ_INT(lr_json_print_with(f, &r, &rep), 0);
    fclose(f);
    cJSON *doc = cJSON_Parse(b);
    TEST_CHECK(doc != NULL);
    const cJSON *rows = cJSON_GetObjectItem(doc, "canary"), *total = cJSON_GetObjectItem(doc, "canary_total"),
                *peers = cJSON_GetObjectItem(doc, "canary_peers");
    TEST_EQ_INT(cJSON_GetArraySize(rows), 2);
    TEST_EQ_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(rows, 1), "topic")->valuestring, "canary-eu");
    TEST_CHECK(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(rows, 1), "availability")));
    TEST_CHECK(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(rows, 1), "rtt_p50_us")));
    TEST_CHECK(fabs(cJSON_GetObjectItem(total, "availability")->valuedouble - 0.75) < 1e-12);
    TEST_EQ_INT(cJSON_GetObjectItem(total, "rtt_max_us")->valuedouble, 250);
    TEST_CHECK(!cJSON_GetObjectItem(total, "host"));
    TEST_EQ_INT(cJSON_GetArraySize(peers), 1);
    TEST_EQ_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(peers, 0), "reporter")->valuestring, "web-1");
    TEST_EQ_INT(cJSON_GetObjectItem(cJSON_GetArrayItem(peers, 0), "bound_us")->valuedouble, 90);
    /* the topics' members are those of the document without a canary */
    cJSON *plain = cJSON_Parse(a);
    for (const char *k[] = {"canary", "canary_total", "canary_peers"}, **kk = k; kk < k + 3; kk++)
        cJSON_DeleteItemFromObject(doc, *kk);
    TEST_CHECK(cJSON_Compare(doc, plain, true));
    cJSON_Delete(plain);
    cJSON_Delete(doc);
    free(a);
    free(b);
    lr_merge_free(mm);
    mo_hist_free(h);
    lr_cmerge_free(m);
}

int main(void)
{
    test_parse_canary();
    test_parse_peer();
    test_availability();
    test_merge();
    test_peers();
    test_sink();
    test_output();
    return test_result("test-report-canary");
}
