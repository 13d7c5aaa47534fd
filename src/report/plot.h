/* plot.h - the terminal plots of --plot, within LR_PLOT_WIDTH columns:
 * Unicode block characters when `utf8`, plain ASCII otherwise.
 *
 * The distribution: one row per latency range on a log scale (bounds from
 * the 1-1.25-1.6-2-2.5-3.15-4-5-6.3-8 series, or a coarser one of 1-1.6-2.5-
 * 4-6.3, 1-2-5 or powers of ten so that at most LR_PLOT_ROWS rows are
 * needed), plus a row for negative latencies when there are any; each row
 * gives its count, its share and a bar scaled to the fullest row, and marks
 * the rows holding p50, p90, p99 and p99.9.
 *
 * p99 over time: one column per lr_series column, LR_PLOT_HEIGHT rows tall,
 * a linear axis from 0 to the highest p99 (negative p99s draw as 0), the
 * times of the first and last columns below. A column with no latency is
 * blank; one with a p99 too small to draw shows the lowest mark.
 */
#ifndef LR_PLOT_H
#define LR_PLOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hist.h"
#include "series.h"

#define LR_PLOT_WIDTH 80
#define LR_PLOT_ROWS 24   /* distribution rows at most, besides the negative one */
#define LR_PLOT_HEIGHT 8  /* rows of the p99 plot */
#define LR_PLOT_COLUMNS 70 /* time columns at most (80 minus the axis labels) */

/* Both return 0, or -EIO when the stream failed. */
int lr_plot_distribution(FILE *f, const char *title, const mo_hist *h, bool utf8);
int lr_plot_time(FILE *f, const char *title, const struct lr_column *cols, size_t n, int64_t step_us,
                 bool utf8);

#endif
