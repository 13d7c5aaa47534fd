/* export.h - the exports of export: in the configuration, written at every
 * summary: the Prometheus textfile (export-prom.h) and CloudWatch EMF
 * documents (export-emf.h).
 *
 * The daemon hands each subscription's interval here just before its summary
 * resets it (mo_export_interval): the interval is added into the topic's
 * series since start, and with emf: its EMF documents go to the log output
 * as lines of their own. With the round's total, mo_export_commit
 * rewrites the textfile atomically: a temporary file in the same directory,
 * then rename(2), so node_exporter never reads half a file. A failure to
 * write is logged (export_error) once per distinct reason, and the next
 * summary tries again. Series are kept for every topic since start, whether
 * or not the textfile is configured, so that one configured by a reload holds
 * the counts since start too; a topic removed by a reload keeps its last
 * values until the daemon restarts.
 *
 * The canary's interval comes the same way (mo_export_canary, from its
 * summary's report, canary.h): folded into its series since start, kept per
 * cache/topic like a topic's (a canary retired or moved by a reload keeps its
 * last values until the daemon restarts; one on the same cache/topic again
 * counts on), and with emf: its documents.
 *
 *   mo_export_new / mo_export_free     (free accepts NULL)
 *   mo_export_configure                the export: settings (start, reload)
 *   mo_export_interval                 one topic's interval: series, EMF documents
 *   mo_export_canary                   the canary's interval: series, EMF documents
 *   mo_export_commit                   the textfile, after a round of summaries
 */
#ifndef MO_EXPORT_H
#define MO_EXPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "canary/canary.h"
#include "clock.h"
#include "config/config.h"
#include "sub/stats.h"

typedef struct mo_export mo_export;

int mo_export_new(mo_export **ret); /* -ENOMEM */
void mo_export_free(mo_export *x);

/* Takes copies of cfg's export: settings. -ENOMEM (the old ones are kept). */
int mo_export_configure(mo_export *x, const struct mo_config *cfg);

/* The interval s of cache/topic ends at monotonic now_us, real time now_ns;
 * `up`: its stream is up. */
void mo_export_interval(mo_export *x, const char *cache, const char *topic, const struct mo_stats *s,
                        bool up, uint64_t now_us, int64_t now_ns, int64_t clock_bound_us);

/* The canary's interval iv (before its summary resets it) at real time now_ns. */
void mo_export_canary(mo_export *x, const struct mo_canary_interval *iv, int64_t now_ns);

/* After a round of summaries, with its total (the "*" interval, before its
 * summary resets it): adds the total's log_dropped and
 * state_saves_ahead_of_log into the host's counts since start, and rewrites
 * the textfile, if one is configured, with those counts and the clock's
 * state. */
void mo_export_commit(mo_export *x, const struct mo_stats *total, const struct mo_clock_summary *clk);

#endif
