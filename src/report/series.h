/* series.h - p99 over time: the window cut into columns of equal time, each
 * the merge of the summaries (every topic and host) that fall in it.
 *
 * A column is the typical summary interval (the median of the summaries'
 * interval_s) when that many columns fit, so with few summaries each column
 * is one interval; a longer window gets columns of a round duration (1, 2,
 * 5, 10, 15, 20, 30 s, 1, 2, 3, 5, 10, 15, 20, 30 min, 1, 2, 3, 4, 6, 8,
 * 12 h, 1, 2 days, whole weeks), the shortest that fits. A summary belongs
 * to the column holding the middle of its interval. Pure.
 */
#ifndef LR_SERIES_H
#define LR_SERIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "summary.h"

typedef struct lr_series lr_series;

struct lr_column {
    int64_t start_us; /* the column covers [start_us, start_us + step) */
    uint64_t summaries, measured;
    int64_t p99_us, max_us; /* valid when measured > 0 */
};

int lr_series_new(lr_series **ret);
void lr_series_free(lr_series *s); /* accepts NULL */

/* Keeps what a column needs of a checked summary (its time, interval,
 * extremes and histogram encoding). Returns 0 or -ENOMEM. */
int lr_series_add(lr_series *s, const struct lr_summary *sum);

/* Cuts the kept summaries into at most max_cols columns; *ret (to free())
 * and *n_cols are 0/NULL when none was kept. Returns 0 or -ENOMEM. */
int lr_series_columns(const lr_series *s, size_t max_cols, struct lr_column **ret, size_t *n_cols,
                      int64_t *step_us);

#endif
