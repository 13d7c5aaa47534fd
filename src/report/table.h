/* table.h - the report as text: a header, a latency table, a clock table
 * and a counts table, every line at most LR_TABLE_WIDTH columns.
 *
 *   window  START .. END            (local time, as journalctl shows it)
 *   input   N summaries, T topics, H hosts
 *
 *   latency (ms)        min     p50     p90     p99   p99.9     max  negative
 *   CACHE/TOPIC ...
 *   total ...
 *
 *   clock (ms)         ±bound    host publisher    skewed
 *   CACHE/TOPIC ...
 *   total ...
 *   clock source  HOST: SOURCES, ...
 *
 *   counts         messages   rate/s decode   gaps   dups discont reconn dropped
 *
 * The latency and counts tables are full (74 and 79 columns), so the clock
 * error bounds have a table of their own, the same rows in the same order,
 * right under the latencies: ±bound is the row's two bounds summed
 * (lr_row_bound_us), "0.350+?" when the publishers' is unknown, "-" when this
 * host's is; "+-bound" outside UTF-8, as the plot draws in ASCII. It is left
 * out, with its source lines, when no summary of the window had the clock's
 * fields (older daemons), as the canary's tables are without canary events.
 *
 * A name longer than its column goes on a line of its own, the figures on
 * the next. Latencies are milliseconds, with fewer decimals as they grow;
 * counts too wide for their column are shortened with k, M, G, T. Split by
 * host, each host's name heads its topics and its total, and "all hosts"
 * closes the table. The number formatters are exposed for the plot and tests.
 *
 * The canary's tables (lr_table_print_canary), after those, when the window
 * has canary events:
 *
 *   canary round trip (ms; each host's own probes, one clock)
 *   host               sent   recv  lost  late   avail     p50     p99   p99.9     max
 *   HOST ...
 *   all hosts ...                  (when there is more than one row)
 *
 *   canary peers (ms; one-way, two clocks)
 *   reporter         peer host           recv   lost     p50     p99     max   bound
 *
 * With more than one canary topic, each host's name heads its CACHE/TOPIC
 * rows. Availability is a percentage with two decimals, rounded down; "-"
 * when no probe was received or lost, as latencies are when none arrived.
 */
#ifndef LR_TABLE_H
#define LR_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cmerge.h"
#include "merge.h"

#define LR_TABLE_WIDTH 80

/* Writes the report (utf8: the character set is UTF-8); returns 0 or -EIO
 * when the stream failed. */
int lr_table_print(FILE *f, const struct lr_report *r, bool utf8);

/* Writes the canary's tables, each after an empty line: nothing when the
 * window has no canary event. Returns 0 or -EIO when the stream failed. */
int lr_table_print_canary(FILE *f, const struct lr_canary_report *c);

/* Millionths as a percentage with two decimals, rounded down ("99.50%"). */
const char *lr_fmt_ppm(uint64_t ppm, char *buf, size_t len);

/* Microseconds as milliseconds in at most 7 characters ("0.512", "12.345",
 * "123.46", "1234.6", "12346", "1.2e+06"); one more for a minus sign. */
const char *lr_fmt_ms(int64_t us, char *buf, size_t len);

/* A count in at most `width` characters: exact when it fits, else with a
 * k/M/G/T/P suffix ("1.2M"). */
const char *lr_fmt_count(uint64_t v, int width, char *buf, size_t len);

/* A local time as "YYYY-MM-DD HH:MM:SS ZONE". */
const char *lr_fmt_time(int64_t us, char *buf, size_t len);

#endif
