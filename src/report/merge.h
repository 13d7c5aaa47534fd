/* merge.h - summaries merged per topic (and per host), with totals.
 *
 * Histograms are added, never percentiles averaged: a row's percentiles come
 * from the sum of its summaries' histograms (at most 1% from the exact value),
 * its min and max are the exact extremes of the summaries' min_us / max_us.
 *
 * A topic's rate is its messages divided by the time its summaries cover (the
 * sum of their interval_s): a rate per subscription, so two hosts subscribed
 * to the same topic do not add up. A total row's rate is the sum of its
 * topics' rates; its other figures are sums over its topics, and its
 * histogram their sum. The daemon's own "*" summaries are not added (the
 * readers skip them): totals are rebuilt from the per-topic summaries, which
 * cover the same messages, so the two agree over a whole log.
 *
 * The clock error bounds (summary.h) are not added: a row's host bound is
 * the largest clock_bound_us of its summaries (a total's the largest of its
 * topics'), its publisher bound the largest publisher_bound_us, each unknown
 * when no summary knew it; skewed is summed; the clock sources are the set
 * its summaries named. Its ±bound (lr_row_bound_us) is the two summed: the
 * most any of its latencies can be off by two clocks.
 *
 * Rows come out in print order: without hosts, each topic (sorted by cache,
 * then topic) then the total; split by host, for each host (sorted) its
 * topics and its total, then the total of all hosts, which equals the total
 * of the unsplit report.
 */
#ifndef LR_MERGE_H
#define LR_MERGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hist.h"
#include "summary.h"

typedef struct lr_merge lr_merge;

struct lr_row {
    const char *host;          /* NULL: every host */
    const char *cache, *topic; /* NULL: a total row */
    uint64_t summaries, messages, measured, negative, decode_errors, protocol_errors, gaps,
        duplicates, discontinuities, lost, resets, reconnects, log_dropped, warnings_dropped;
    double covered_s; /* sum of interval_s (topics only; 0 for a total row) */
    double rate;      /* messages per second, see above */
    /* latency in microseconds, valid when measured > 0 */
    int64_t min_us, p50_us, p90_us, p99_us, p999_us, max_us;
    const mo_hist *hist;
    /* the clock, see above */
    bool has_clock_bound, has_publisher_bound;
    uint64_t clock_bound_us, publisher_bound_us; /* the largest, when known */
    uint64_t skewed;
    unsigned clock_sources; /* LR_CLOCK_* bits */
};

/* The clock sources one host's summaries named. */
struct lr_host_clock {
    const char *host;
    unsigned clock_sources; /* LR_CLOCK_* bits; 0: none named */
};

struct lr_report {
    const struct lr_row *rows; /* print order, see above; the last is the grand total */
    size_t n_rows;
    bool by_host;
    size_t n_hosts, n_topics; /* distinct hosts, distinct (cache, topic) */
    uint64_t n_summaries;
    int64_t first_us, last_us; /* start of the earliest interval, end of the latest */
    const struct lr_host_clock *host_clocks; /* n_hosts of them, sorted by host */
    bool has_clock; /* some summary named a clock source, gave a bound or counted a skew */
};

/* A row's ±bound: this host's bound plus the publishers' (0 when unknown,
 * and *partial is then true); -1 when this host's bound is unknown. */
int64_t lr_row_bound_us(const struct lr_row *r, bool *partial);

int lr_merge_new(bool by_host, lr_merge **ret);
void lr_merge_free(lr_merge *m); /* accepts NULL */

/* Adds a checked per-topic summary (not a "*" one; host and ts_us set).
 * Returns 0 or -ENOMEM. */
int lr_merge_add(lr_merge *m, const struct lr_summary *s);

/* The rows, valid until the next lr_merge_add or lr_merge_free. 0 or -ENOMEM. */
int lr_merge_report(lr_merge *m, struct lr_report *ret);

#endif
