/* stats.h - what one subscription, or all of them, saw in one summary
 * interval, and the `summary` event that reports it (momento-subscriberd(8), EVENTS).
 *
 * A struct mo_stats is plain data: counters and a latency histogram, with the
 * monotonic time its interval started. A subscription counts into its own;
 * its owner ends the interval (mo_stats_end_interval): the summary event is
 * emitted, the counts are added into a total, and the next interval starts.
 *
 *   mo_stats_init / mo_stats_clear     allocate and free the histogram
 *   mo_stats_item                      what one item counts for: continuity, delivery, latency
 *   mo_stats_protocol_error            a server message the wire format does not allow
 *   mo_stats_add                       sum one interval into another
 *   mo_stats_end_interval              summary event, add, start the next
 */
#ifndef MO_STATS_H
#define MO_STATS_H

#include <stdint.h>

#include "sub/continuity.h"
#include "sub/ending.h"
#include "hist.h"
#include "latency/clockwatch.h"
#include "latency/decode.h"
#include "latency/pubfloor.h"
#include "latency/reasons.h"

struct mo_stats {
    uint64_t start_us; /* monotonic start of the interval */
    /* latency in microseconds, of every delivered message whose publish time
     * could be read: its count is the summary's `with_latency`, and the
     * percentiles are over those */
    mo_hist *hist;
    uint64_t count;    /* messages delivered (duplicates excluded), with a latency or not */
    /* Of those, the messages whose payload gave no latency (no value, no
     * publish time, one that cannot be read or is out of range): a
     * publisher's doing. count = with_latency + decode_errors. */
    uint64_t decode_errors;
    /* Server messages the wire format does not allow (a gRPC message that
     * cannot be read, a malformed _SubscriptionItem, an item of no kind):
     * the service's doing, skipped; not messages, so not in count. */
    uint64_t protocol_errors;
    uint64_t gaps, duplicates, discontinuities, resets;
    /* messages lost in discontinuities, counted at the first item after them
     * (continuity.h), so possibly in a later interval than the discontinuity */
    uint64_t lost;
    /* Subscribe calls started again after a stream ended (each time the backoff
     * delay runs out), whether or not the new stream then came up; the first
     * call of a subscription is not one. The summary event names this field
     * `reconnects` (momento-subscriberd(8), EVENTS); gRPC's own reconnects of
     * the TCP connection underneath are not counted. */
    uint64_t resubscribes;
    /* Stream ends by class (ending.h); ends[MO_END_OVERSIZED] is the
     * summary's `oversized`, the messages skipped for being too large. */
    uint64_t ends[MO_END__COUNT];
    /* Resumed streams by how their first item answered (continuity.h). */
    uint64_t resumes[MO_CONT_RESUME__COUNT];
    /* The longest time the server said nothing on a stream that had sent a
     * message: between two messages, from the last one to the stream's end,
     * or to the end of the interval for a stream silent then. */
    uint64_t max_silence_us;
    /* What the log left out (momento-subscriberd(8), Logging): message
     * events over logging.message_budget or refused by a slow output;
     * per-message warnings (decode_error, protocol_error, gap, discontinuity, reset) past
     * logging.warnings_per_interval or refused likewise; in the total only,
     * every other event the output lost (mo_event_take_lost). */
    uint64_t log_dropped, warnings_dropped, sink_dropped;
    /* In the total only: saves of resume positions that went ahead of the
     * log (mo_positions_take_ahead_of_log). */
    uint64_t state_saves_ahead_of_log;
    /* The clocks (SPEC, "Clock error bound"): all measured latencies as one
     * publisher's tally, for the widest bound publishers wrote
     * (`publisher_bound_us`) and the latencies that prove a clock wrong
     * (`skewed`); and those of messages with no publisher id, whose
     * publisher_skewed names the publisher "unknown". */
    struct mo_pubtally all, anonymous;
    struct mo_reasons decode_reasons;   /* decode_errors by kind of reason */
    struct mo_reasons protocol_reasons; /* protocol_errors by kind of reason */
};

/* An empty interval starting now; -ENOMEM if the histogram cannot be made. */
int mo_stats_init(struct mo_stats *s);
/* Frees the histogram; s is left empty. */
void mo_stats_clear(struct mo_stats *s);
void mo_stats_add(struct mo_stats *dst, const struct mo_stats *src);

/* One item judged `v` by continuity (st: its step, mo_cont_item) is counted:
 * the loss of discontinuities it closes, a duplicate, the missing numbers of
 * a gap, a reset; delivered, it counts in `count` and, with `lat`, either in
 * the histogram or as a decode error with its reason. lat NULL: the item is
 * not a message (one skipped for its size only takes its number). */
void mo_stats_item(struct mo_stats *s, enum mo_cont_verdict v, const struct mo_cont_step *st,
                   const struct mo_latency *lat);
void mo_stats_protocol_error(struct mo_stats *s, const char *reason);

/* Ends the interval [s->start_us, now_us): emits its summary event for
 * cache/topic ("*" for the total of all subscriptions), adds it into `add_to`
 * (NULL: nowhere), and empties s for the next interval, which starts at now_us. */
void mo_stats_end_interval(struct mo_stats *s, const char *cache, const char *topic, uint64_t now_us,
                           const struct mo_clock_summary *clk, struct mo_stats *add_to);

#endif
