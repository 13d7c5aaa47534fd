/* pubfloor.h - the latency floor of each publisher of a topic, per summary
 * interval: the fewest microseconds any of its messages took.
 *
 * A message's latency is the network and the service's queueing, plus the
 * offset between the publisher's clock and this host's. The first part has a
 * floor that all publishers of a topic share, about the same within a few
 * milliseconds; the second is each publisher's own. So a publisher whose floor
 * sits far from the others', or below zero, has a clock off by about that
 * difference (momento-subscriberd(8), PUBLISHER FLOOR).
 *
 * Items carry the publisher's id (`publisher_id`, the token id of its
 * disposable token) when the service knows it. A subscription keeps a small
 * fixed table of ids for the interval: the first MO_PUBFLOOR_SLOTS ids seen
 * take a slot each; messages of ids that find the table full are counted
 * together as "*other*". At the end of an interval the busiest
 * MO_PUBFLOOR_ROWS ids are reported, the rest of the table joins "*other*",
 * and the busiest half of the table keeps its slots for the next interval, so
 * a steady publisher stays in it and a newcomer finds room. Counting a
 * message allocates nothing and compares a few bytes.
 *
 *   mo_pubfloor_new / mo_pubfloor_free     the table (free accepts NULL)
 *   mo_pubfloor_record                     one message's latency (the message path)
 *   mo_pubfloor_end                        pure: the interval's rows; the next interval starts
 *   mo_pubfloor_emit                       one publisher_floor event per row, and
 *                                          publisher_skewed for a clock proved wrong
 *
 * Each row also carries the widest clock error bound the publisher wrote
 * (`clock_error_us` in its payloads) and how many of its latencies fell
 * below -(this host's bound + its own): no delivery explains those, so one
 * of the two clocks is wrong by at least the skew (SPEC, "Clock error bound").
 */
#ifndef MO_PUBFLOOR_H
#define MO_PUBFLOOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "latency/decode.h"

#define MO_PUBFLOOR_SLOTS 32  /* ids counted on their own per interval */
#define MO_PUBFLOOR_ROWS 8    /* of which reported on their own; the rest as "*other*" */
#define MO_PUBFLOOR_ID_MAX 64 /* bytes of an id kept; longer ids are cut (and told apart by a hash) */
#define MO_PUBFLOOR_OTHER "*other*"

typedef struct mo_pubfloor mo_pubfloor;

/* What one publisher's messages of an interval add up to. */
struct mo_pubtally {
    uint64_t count;   /* messages with a latency */
    int64_t min_us;   /* the lowest of their latencies */
    uint64_t bounded; /* of them, messages that carried their clock's bound */
    int64_t bound_us; /* the widest of those bounds (when bounded) */
    uint64_t skewed;  /* of them, latencies below -(both bounds): a wrong clock */
    int64_t skew_us;  /* the largest skew those prove (mo_latency.skew_us) */
};
#define MO_PUBTALLY_EMPTY ((struct mo_pubtally){0})
/* The widest bound, or -1 when no message carried one. */
int64_t mo_pubtally_bound(const struct mo_pubtally *t);
/* Counts one measured latency (l->ok) in. */
void mo_pubtally_add(struct mo_pubtally *t, const struct mo_latency *l);
/* Adds src into dst. */
void mo_pubtally_merge(struct mo_pubtally *dst, const struct mo_pubtally *src);

/* One line of the report. */
struct mo_pubfloor_row {
    char id[MO_PUBFLOOR_ID_MAX + 4]; /* NUL-terminated; a cut id ends in "..." */
    bool other;                      /* the row of every other publisher */
    struct mo_pubtally t;
};

int mo_pubfloor_new(mo_pubfloor **ret); /* -ENOMEM */
void mo_pubfloor_free(mo_pubfloor *f);

/* Counts one message of publisher `id` (len bytes, any bytes, len > 0) with
 * its measured latency (l->ok). */
void mo_pubfloor_record(mo_pubfloor *f, const char *id, size_t len, const struct mo_latency *l);

/* Ends the interval: fills rows (at most MO_PUBFLOOR_ROWS + 1) with the
 * busiest publishers, most messages first (ties: lower floor first), then the
 * "*other*" row if any message is left; returns how many rows. Publishers with
 * no message this interval are not listed. Then starts the next interval. */
size_t mo_pubfloor_end(mo_pubfloor *f, struct mo_pubfloor_row rows[MO_PUBFLOOR_ROWS + 1]);

/* One `publisher_floor` event per row, for cache/topic, and a
 * `publisher_skewed` after each row whose messages proved a clock wrong;
 * host_bound_us is this host's largest bound of the interval, for the text. */
void mo_pubfloor_emit(const char *cache, const char *topic, const struct mo_pubfloor_row *rows,
                      size_t n, int64_t host_bound_us);
/* The `publisher_skewed` event of one publisher's tally (id "unknown" for
 * messages that carry no publisher id); nothing when t->skewed is 0. */
void mo_pubfloor_emit_skewed(const char *cache, const char *topic, const char *id,
                             const struct mo_pubtally *t, int64_t host_bound_us);

#endif
