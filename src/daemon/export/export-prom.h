/* export-prom.h - the Prometheus textfile's contents: each topic's latency
 * histogram and counters since the daemon started, in the text exposition
 * format that node_exporter's textfile collector reads.
 *
 * Pure: a topic's series are plain data, folded from each summary interval
 * (mo_prom_fold); mo_prom_render writes every metric family to a stream. The
 * file itself, and replacing it atomically, are export.c's.
 *
 * Latency buckets: `le` takes the MO_PROM_NBOUNDS values of mo_prom_bounds_us,
 * in seconds, plus +Inf. Each is an edge of the daemon's log-linear histogram
 * buckets (hist.h): the edge at or just below 50, 100, 200, 300, 500 us, 1, 2,
 * 3, 5, 10, 20, 30, 50, 100, 200, 300, 500 ms, 1, 2, 3, 5, 10, 20, 30 and
 * 60 s (at most 0.4% below), so every histogram bucket lies wholly below or
 * wholly above each bound and the counts are exact: `le="0.009984"` counts
 * the latencies below 9.984 ms (a latency is measured to the microsecond,
 * rounded down; one of exactly 9984 us counts in the next bound). Negative
 * latencies (a publisher's clock ahead of this host's) are below every bound,
 * so they are in every bucket, as the format wants, and in _sum; the counter
 * momento_subscriber_latency_negative_total says how many there were.
 *
 * The canary's series (canary.h), one set per cache/topic it has probed,
 * are folded from each of its intervals in the same way: its round trips on
 * the same bounds (momento_subscriber_canary_rtt_seconds), its counters since
 * start, and gauges: probes in flight and the last interval's burn rate at
 * the last summary, the availability since start. None is written while the
 * daemon has had no canary.
 *
 *   mo_prom_bounds_us        the bounds, in microseconds
 *   mo_prom_fold             adds one summary interval into a topic's series
 *   mo_prom_fold_canary      adds one interval of the canary into its series
 *   mo_prom_render           every family, HELP and TYPE lines, to a stream
 */
#ifndef MO_EXPORT_PROM_H
#define MO_EXPORT_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "canary/account.h"
#include "clock.h"
#include "sub/stats.h"

#define MO_PROM_NBOUNDS 25
extern const int64_t mo_prom_bounds_us[MO_PROM_NBOUNDS];

/* One topic since start. */
struct mo_prom_series {
    /* latencies in [bound i-1, bound i); [0] also holds every negative one;
     * [MO_PROM_NBOUNDS]: at or above the last bound. Summed up into `le`
     * buckets when rendered. */
    uint64_t bin[MO_PROM_NBOUNDS + 1];
    int64_t sum_us;  /* of every latency (saturating, like mo_hist_sum) */
    uint64_t count;  /* latencies measured */
    uint64_t negative;
    uint64_t messages; /* delivered, whether or not their time decoded */
    uint64_t decode_errors, protocol_errors, gaps, duplicates, discontinuities, resets, reconnects;
    uint64_t skewed; /* latencies below -(both clocks' bounds) */
    /* the widest clock bound the publishers wrote in the last interval that had one */
    bool have_publisher_bound;
    int64_t publisher_bound_us;
};

/* What the file says of one topic. */
struct mo_prom_topic {
    const char *cache, *topic;
    const struct mo_prom_series *series;
    bool up; /* its stream is up (the last summary's view) */
};

/* The canary on one cache/topic since start. */
struct mo_prom_canary_series {
    uint64_t bin[MO_PROM_NBOUNDS + 1]; /* round trips, binned as a topic's latencies */
    int64_t sum_us;
    uint64_t count;
    uint64_t sent, received, lost, late, duplicates, out_of_order, after_deadline;
    uint64_t publish_errors_by[MO_CANARY_STATUSES]; /* by gRPC status, as account.h */
    uint64_t in_flight; /* at the last summary */
    double burn_rate;   /* of the last interval; -1: it had none */
};

/* What the file says of one canary. */
struct mo_prom_canary {
    const char *cache, *topic;
    const struct mo_prom_canary_series *series;
};

/* What it says of the daemon as a whole. */
struct mo_prom_host {
    struct mo_clock_summary clk;
    /* the daemon's own counters since start, when it keeps them: message
     * events the log left out, saves of resume positions ahead of the log */
    bool have_log_dropped;
    uint64_t log_dropped, state_saves_ahead_of_log;
    bool have_event_fields_dropped; /* fields events lost to their limit (event.h) */
    uint64_t event_fields_dropped;
    /* the canaries it has had since start (a retired one keeps its last values) */
    const struct mo_prom_canary *canaries;
    size_t n_canaries;
};

/* Adds the interval in s (its histogram and counters) into ps. */
void mo_prom_fold(struct mo_prom_series *ps, const struct mo_stats *s);

/* Adds the canary's interval in a (its round trips and counters, a->iv)
 * into cs, with in_flight probes and the interval's burn rate as its gauges. */
void mo_prom_fold_canary(struct mo_prom_canary_series *cs, const struct mo_canary_account *a,
                         uint64_t in_flight);

/* Writes the exposition text for n topics and the host (its canaries
 * included) to f. Returns 0, or -EIO when the stream reports an error. */
int mo_prom_render(FILE *f, const struct mo_prom_topic *t, size_t n, const struct mo_prom_host *h);

#endif
