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
 * "protocol_errors" 0 from daemons that do not report them),
 * "clock_bound_us", "publisher_bound_us" (the largest; null when unknown),
 * "bound_us" (their sum, the publishers' counted 0 when unknown and
 * "bound_partial" then true; null when this host's is unknown), "skewed",
 * "clock_sources" (["clockbound", "adjtimex"], those named; merge.h). "hosts"
 * holds each host's total and is empty unless split by host.
 *
 * When the window has canary events (cmerge.h), three more members follow:
 *
 *   "canary":[CANARY...],"canary_total":CANARY,"canary_peers":[PEER...]
 *
 * CANARY: "host", "cache", "topic" (not in the total), "events", "sent",
 * "received", "lost", "late", "duplicates", "out_of_order",
 * "after_deadline", "publish_errors", "availability" (a fraction, rounded
 * down to millionths; null when received + lost = 0), "rtt_min_us",
 * "rtt_p50_us", "rtt_p90_us", "rtt_p99_us", "rtt_p999_us", "rtt_max_us"
 * (null when none was received). "canary_total" is every row together (null
 * when there are only peer rows). PEER: "reporter", "host" (the peer),
 * "events", "received", "lost", "p50_us", "p90_us", "p99_us", "p999_us",
 * "max_us" (one-way; null when none was received), "bound_us" (the largest;
 * null when unknown).
 */
#ifndef LR_JSON_H
#define LR_JSON_H

#include <stdio.h>

#include "cmerge.h"
#include "merge.h"

/* Writes the document and a newline; returns 0, -ENOMEM or -EIO. The
 * second adds the canary's members (c may be NULL: none). */
int lr_json_print(FILE *f, const struct lr_report *r);
int lr_json_print_with(FILE *f, const struct lr_report *r, const struct lr_canary_report *c);

#endif
