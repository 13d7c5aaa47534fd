/* summary.h - one summary event, read from any source and checked.
 *
 * The fields are those momento-subscriberd writes (momento-subscriberd(8),
 * event "summary"), by their lower-case names; the journal reader looks them
 * up upper-cased. A source hands its fields over as text through a lookup
 * function, so the journal and JSON lines share one parser. Everything a
 * summary must carry is checked, and its histogram is decoded and held
 * against the summary's own count, decode_errors, negative, min_us and max_us,
 * so that a cut or edited record is rejected whole instead of half counted.
 * `lost`, `log_dropped`, `warnings_dropped` and `protocol_errors` are
 * optional (0 when absent: older daemons, which counted a server message the
 * protocol does not allow among decode_errors).
 *
 * So are the clock's fields (momento-subscriberd(8), CLOCK ERROR BOUND), which
 * older daemons do not write: `clock_source` ("clockbound" or "adjtimex"),
 * `clock_bound_us` (this host's largest bound in the interval) and
 * `publisher_bound_us` (the widest bound the publishers put in their
 * payloads), each unknown when absent or negative (the daemon writes -1), and
 * `skewed` (the latencies below -(both bounds), 0 when absent), which are
 * negative latencies, so never more than `negative`. `clock_status` is not
 * read: the report prints bounds, not statuses. Pure: no I/O, no logging.
 */
#ifndef LR_SUMMARY_H
#define LR_SUMMARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "field.h"
#include "hist.h"

struct lr_summary {
    /* set by lr_summary_parse; strings borrowed from the source's record */
    const char *cache, *topic;
    const char *histogram; /* the encoding as read */
    double interval_s;
    uint64_t count, decode_errors, protocol_errors, negative, gaps, duplicates, discontinuities, lost,
        resets, reconnects, log_dropped, warnings_dropped;
    int64_t min_us, max_us; /* exact; meaningful when the histogram is not empty */
    mo_hist *hist;          /* the caller's; reset and filled by lr_summary_parse */
    unsigned clock_source;  /* one LR_CLOCK_* bit; 0 when the summary names none */
    bool has_clock_bound, has_publisher_bound; /* known (>= 0) */
    uint64_t clock_bound_us, publisher_bound_us; /* when known */
    uint64_t skewed;
    /* set by the reader */
    const char *host;
    int64_t ts_us; /* when the summary was logged: the end of its interval */
};

/* The sources of this host's clock error bound, as a set: bit i is
 * lr_clock_source_names[i]. */
enum { LR_CLOCK_CLOCKBOUND = 1u << 0, LR_CLOCK_ADJTIMEX = 1u << 1 };
#define LR_CLOCK_SOURCES 2
extern const char *const lr_clock_source_names[LR_CLOCK_SOURCES]; /* "clockbound", "adjtimex" */

/* A set's names joined by '+' in that order ("clockbound+adjtimex"); "" for
 * the empty set. */
const char *lr_clock_sources_format(unsigned set, char *buf, size_t len);

/* Reads and checks a summary's fields into s (s->hist must be set). Returns 0,
 * or -EINVAL with a reason in err (e.g. "field gaps: \"x\" is not a whole
 * number"), or -ENOMEM. */
int lr_summary_parse(lr_field_fn get, void *ud, struct lr_summary *s, char *err, size_t errlen);

/* The all-subscriptions summary (cache and topic "*"), which the report does
 * not add: its totals are rebuilt from the per-topic summaries. */
bool lr_summary_is_total(const struct lr_summary *s);

#endif
