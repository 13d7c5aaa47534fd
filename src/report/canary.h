/* canary.h - one canary or canary_peer event, read from any source and
 * checked, as summary.h reads a summary.
 *
 * The fields are those momento-subscriberd writes with a canary
 * (momento-subscriberd(8), events "canary" and "canary_peer"), by their
 * lower-case names. A `canary` event is one instance's own probes over one
 * summary interval; the report relies on `cache`, `topic`, `host`,
 * `interval_s`, the interval's counts `sent`, `received`, `lost`, `late`,
 * `duplicates`, `out_of_order`, `after_deadline`, `publish_errors`, the round
 * trip `histogram` and, when received > 0, `rtt_min_us` and `rtt_max_us`.
 * Its own percentiles, availability and totals since start are not read: the
 * report rebuilds them over its window from the counts and histograms. A
 * `canary_peer` event is another instance's probes as this one received them
 * (one-way latencies, two clocks): `host` (the peer's), `received`, `lost`,
 * `histogram`, `max_us` when received > 0, and `bound_us` when known.
 *
 * Every one of these must be there and be what it says; the histogram must
 * hold `received` values (a round trip or one-way latency per probe
 * received), lie within the event's extremes, and `late` may not exceed
 * `received`; an event that fails is rejected whole, with a reason. Pure.
 */
#ifndef LR_CANARY_H
#define LR_CANARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "field.h"
#include "hist.h"

struct lr_canary {
    /* set by lr_canary_parse; strings borrowed from the source's record */
    const char *cache, *topic;
    const char *host; /* the reporting instance's host, as its probes name it */
    const char *histogram;
    double interval_s;
    uint64_t sent, received, lost, late, duplicates, out_of_order, after_deadline, publish_errors;
    int64_t rtt_min_us, rtt_max_us; /* exact; 0 when received is 0 */
    mo_hist *hist;                  /* the caller's; reset and filled by lr_canary_parse */
    /* set by the reader */
    const char *source; /* what the report calls the source otherwise (file name, _HOSTNAME) */
    int64_t ts_us;
};

struct lr_canary_peer {
    const char *host; /* the peer's */
    const char *histogram;
    uint64_t received, lost;
    int64_t max_us; /* exact; 0 when received is 0 */
    bool has_bound;
    uint64_t bound_us;
    mo_hist *hist;
    /* set by the reader: the reporting instance is known by its source only */
    const char *source;
    int64_t ts_us;
};

/* Read and check an event's fields into c (c->hist must be set). Return 0,
 * or -EINVAL with a reason in err. */
int lr_canary_parse(lr_field_fn get, void *ud, struct lr_canary *c, char *err, size_t errlen);
int lr_canary_peer_parse(lr_field_fn get, void *ud, struct lr_canary_peer *p, char *err, size_t errlen);

#endif
