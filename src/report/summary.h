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
 * protocol does not allow among decode_errors). Pure: no I/O, no logging.
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
    /* set by the reader */
    const char *host;
    int64_t ts_us; /* when the summary was logged: the end of its interval */
};

/* Reads and checks a summary's fields into s (s->hist must be set). Returns 0,
 * or -EINVAL with a reason in err (e.g. "field gaps: \"x\" is not a whole
 * number"), or -ENOMEM. */
int lr_summary_parse(lr_field_fn get, void *ud, struct lr_summary *s, char *err, size_t errlen);

/* The all-subscriptions summary (cache and topic "*"), which the report does
 * not add: its totals are rebuilt from the per-topic summaries. */
bool lr_summary_is_total(const struct lr_summary *s);

#endif
