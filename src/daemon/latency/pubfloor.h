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
 *   mo_pubfloor_emit                       one publisher_floor event per row
 */
#ifndef MO_PUBFLOOR_H
#define MO_PUBFLOOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MO_PUBFLOOR_SLOTS 32  /* ids counted on their own per interval */
#define MO_PUBFLOOR_ROWS 8    /* of which reported on their own; the rest as "*other*" */
#define MO_PUBFLOOR_ID_MAX 64 /* bytes of an id kept; longer ids are cut (and told apart by a hash) */
#define MO_PUBFLOOR_OTHER "*other*"

typedef struct mo_pubfloor mo_pubfloor;

/* One line of the report. */
struct mo_pubfloor_row {
    char id[MO_PUBFLOOR_ID_MAX + 4]; /* NUL-terminated; a cut id ends in "..." */
    bool other;                      /* the row of every other publisher */
    uint64_t count;                  /* messages with a latency */
    int64_t min_us;                  /* the lowest of their latencies */
};

int mo_pubfloor_new(mo_pubfloor **ret); /* -ENOMEM */
void mo_pubfloor_free(mo_pubfloor *f);

/* Counts one message of publisher `id` (len bytes, any bytes, len > 0). */
void mo_pubfloor_record(mo_pubfloor *f, const char *id, size_t len, int64_t latency_us);

/* Ends the interval: fills rows (at most MO_PUBFLOOR_ROWS + 1) with the
 * busiest publishers, most messages first (ties: lower floor first), then the
 * "*other*" row if any message is left; returns how many rows. Publishers with
 * no message this interval are not listed. Then starts the next interval. */
size_t mo_pubfloor_end(mo_pubfloor *f, struct mo_pubfloor_row rows[MO_PUBFLOOR_ROWS + 1]);

/* One `publisher_floor` event per row, for cache/topic. */
void mo_pubfloor_emit(const char *cache, const char *topic, const struct mo_pubfloor_row *rows,
                      size_t n);

#endif
