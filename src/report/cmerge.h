/* cmerge.h - canary events merged over the window: each host's own probes
 * (round trips, one clock) and what each host saw of the others' (one-way
 * latencies, two clocks).
 *
 * As in merge.h, histograms are added, never percentiles averaged, and the
 * counts are summed. `canary` events merge per (host, cache, topic), the host
 * being the one the event names (the instance's own, as its probes carry
 * it; two instances on one host add up); one more row holds them all.
 * Availability is rebuilt from the sums:
 *
 *   availability = (received - late) / (received + lost)
 *
 * in millionths, rounded down (so 1000000 means no probe late or lost), and
 * none when received + lost = 0.
 *
 * A `canary_peer` event names the peer but not the instance that reported
 * it, so it merges per (source, peer host); the report calls its reporter
 * by the host the same source's `canary` events name (read in the window or
 * not), or by the source's name (a file's name, the journal's _HOSTNAME)
 * when they name none or several. Rows of one (reporter, peer) are merged:
 * received and lost summed, the one-way histogram added, the largest bound.
 *
 * Rows come out sorted: canary rows by host, cache and topic; peer rows by
 * reporter, then peer.
 */
#ifndef LR_CMERGE_H
#define LR_CMERGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "canary.h"
#include "hist.h"

typedef struct lr_cmerge lr_cmerge;

struct lr_canary_row {
    const char *host;          /* NULL: every host */
    const char *cache, *topic; /* NULL: every host */
    uint64_t events, sent, received, lost, late, duplicates, out_of_order, after_deadline, publish_errors;
    bool has_availability; /* received + lost > 0 */
    uint64_t availability_ppm;
    /* round trip in microseconds, valid when received > 0 */
    int64_t min_us, p50_us, p90_us, p99_us, p999_us, max_us;
    const mo_hist *hist;
};

struct lr_peer_row {
    const char *reporter, *host; /* the instance that received, the peer that sent */
    uint64_t events, received, lost;
    /* one-way latency in microseconds, valid when received > 0; min_us is
     * the middle of the lowest bucket (the events carry no minimum) */
    int64_t min_us, p50_us, p90_us, p99_us, p999_us, max_us;
    bool has_bound; /* some event gave bound_us */
    uint64_t bound_us; /* the largest */
    const mo_hist *hist;
};

struct lr_canary_report {
    const struct lr_canary_row *rows; /* sorted, see above */
    size_t n_rows;
    const struct lr_canary_row *all; /* every row merged; NULL when there is none */
    size_t n_hosts, n_topics;         /* distinct hosts, distinct (cache, topic) of the rows */
    const struct lr_peer_row *peers;
    size_t n_peers;
    uint64_t n_canary, n_peer; /* events merged */
};

int lr_cmerge_new(lr_cmerge **ret);
void lr_cmerge_free(lr_cmerge *m); /* accepts NULL */

/* Notes the host a source's canary event names (for every one read, in the
 * window or not). Returns 0 or -ENOMEM. */
int lr_cmerge_note_source(lr_cmerge *m, const char *source, const char *host);
/* Add a checked event (source and ts_us set). Return 0 or -ENOMEM. */
int lr_cmerge_add(lr_cmerge *m, const struct lr_canary *c);
int lr_cmerge_add_peer(lr_cmerge *m, const struct lr_canary_peer *p);

/* The rows, valid until the next addition or lr_cmerge_free. 0 or -ENOMEM. */
int lr_cmerge_report(lr_cmerge *m, struct lr_canary_report *ret);

/* (received - late) / (received + lost) in millionths, rounded down, in
 * *ppm; false (and 0) when received + lost = 0. late <= received. */
bool lr_cmerge_availability(uint64_t received, uint64_t late, uint64_t lost, uint64_t *ppm);

#endif
