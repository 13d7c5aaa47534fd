/* json.h - the report as one JSON document (--json), the same figures as the
 * tables, latencies in exact integer microseconds:
 *
 *   {"first":RFC3339,"last":RFC3339,"summaries":N,"host_count":H,"topic_count":T,
 *    "by_host":BOOL,"topics":[ROW...],"hosts":[ROW...],"total":ROW}
 *
 * ROW: "host" (split by host), "cache" and "topic" (not in totals),
 * "summaries", "messages", "measured", "covered_s" (topics), "rate_per_s",
 * "min_us", "p50_us", "p90_us", "p99_us", "p999_us", "max_us" (null when no
 * latency was measured), "negative", "decode_errors", "protocol_errors",
 * "gaps", "duplicates", "discontinuities", "lost", "resets", "reconnects",
 * "log_dropped", "warnings_dropped" (the last two, "lost" and
 * "protocol_errors" 0 from daemons that do not report them). "hosts" holds
 * each host's total and is empty unless split by host.
 */
#ifndef LR_JSON_H
#define LR_JSON_H

#include <stdio.h>

#include "merge.h"

/* Writes the document and a newline; returns 0, -ENOMEM or -EIO. */
int lr_json_print(FILE *f, const struct lr_report *r);

#endif
