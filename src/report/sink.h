/* sink.h - where the readers put what they read: checked summaries go to
 * the merge (and the time series, for --plot) unless they are "*" totals or
 * outside the window; checked canary and canary_peer events to the canary
 * merge (and the round trips' time series) unless outside the window;
 * skipped input is counted in the diag. Both readers (jsonl.h, journal.h)
 * use it, so they treat events alike. Without a canary merge the readers
 * count canary events among the other events.
 */
#ifndef LR_SINK_H
#define LR_SINK_H

#include <stdbool.h>
#include <stdint.h>

#include "canary.h"
#include "cmerge.h"
#include "diag.h"
#include "merge.h"
#include "series.h"
#include "summary.h"

struct lr_window {
    bool has_since, has_until;
    int64_t since_us, until_us; /* inclusive, as journalctl's --since/--until */
};

struct lr_sink {
    lr_merge *merge;
    lr_series *series; /* NULL unless plotting */
    lr_cmerge *canary; /* NULL: canary events are not read */
    lr_series *canary_series; /* their round trips; NULL unless plotting */
    struct lr_diag diag;
    struct lr_window window;
};

bool lr_window_contains(const struct lr_window *w, int64_t ts_us);

/* Takes a summary that passed lr_summary_parse (host and ts_us set).
 * Returns 0 or -ENOMEM. */
int lr_sink_take(struct lr_sink *k, const struct lr_summary *s);

/* Take a canary or canary_peer event that passed its parser (source and
 * ts_us set; k->canary set). Return 0 or -ENOMEM. */
int lr_sink_take_canary(struct lr_sink *k, const struct lr_canary *c);
int lr_sink_take_peer(struct lr_sink *k, const struct lr_canary_peer *p);

#endif
