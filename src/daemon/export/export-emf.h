/* export-emf.h - CloudWatch Embedded Metric Format documents for one topic's
 * summary interval, so that CloudWatch computes percentiles over any set of
 * hosts from the interval's latency distribution.
 *
 * Pure: renders JSON text and hands each document to a callback; writing it
 * to the log output is export.c's. One interval makes one document, or more
 * when its latencies need more than MO_EMF_MAX_VALUES distinct values:
 *
 *   {"_aws":{"Timestamp":MS,"CloudWatchMetrics":[{"Namespace":NS,
 *     "Dimensions":[["cache","topic"]],"Metrics":[{"Name":"Latency","Unit":"Microseconds"},
 *     {"Name":"Messages","Unit":"Count"},...]}]},
 *    "cache":C,"topic":T,"interval_s":60.000,
 *    "Latency":{"Values":[...],"Counts":[...],"Min":..,"Max":..,"Count":..,"Sum":..},
 *    "Messages":N,"DecodeErrors":N,"ProtocolErrors":N,"Gaps":N,"Duplicates":N,
 *    "Discontinuities":N,"Resets":N,"Reconnects":N,"LogDropped":N,"NegativeLatencies":N,
 *    "SkewedLatencies":N,"ClockBound":US,"PublisherClockBound":US}
 *
 * ClockBound (this host's largest clock error bound in the interval) and
 * PublisherClockBound (the widest its publishers wrote) are in microseconds
 * and left out when unknown; SkewedLatencies counts latencies below minus
 * both, which prove a clock wrong.
 *
 * Values are the histogram buckets' representative values in microseconds
 * (each bucket's middle, as mo_hist_quantile reports it, held within the
 * interval's exact min and max), ascending, each once; Counts the number of
 * latencies in each bucket. Min and Max are the exact min and max in the
 * documents holding the lowest and highest buckets, else the document's
 * first and last value; Count is the sum of Counts; Sum the sum of
 * Values x Counts (within the histogram's 1% of the exact sum). The first
 * document carries the counters; the next ones only more of Latency. An
 * interval without a latency has no Latency metric.
 *
 * The canary's interval (canary.h) makes documents of the same shape, with
 * the same dimensions, and the canary's host and instance id as members:
 *
 *   {"_aws":{...,"Dimensions":[["cache","topic"]],"Metrics":[
 *     {"Name":"CanaryRoundTrip","Unit":"Microseconds"},{"Name":"CanarySent","Unit":"Count"},...,
 *     {"Name":"CanaryAvailability","Unit":"None"}]}]},
 *    "cache":C,"topic":T,"host":H,"id":I,"interval_s":60.000,
 *    "CanaryRoundTrip":{"Values":[...],"Counts":[...],...},
 *    "CanarySent":N,"CanaryReceived":N,"CanaryLost":N,"CanaryLate":N,"CanaryPublishErrors":N,
 *    "CanaryAvailability":0.998000}
 *
 * CanaryRoundTrip is the interval's round trips as Latency is a topic's
 * latencies (split alike); CanaryAvailability the interval's (received -
 * late) / (received + lost), 0 to 1, left out when neither happened.
 *
 *   mo_emf_render          the documents of one topic's interval
 *   mo_emf_render_canary   the documents of one interval of the canary
 */
#ifndef MO_EXPORT_EMF_H
#define MO_EXPORT_EMF_H

#include <stddef.h>
#include <stdint.h>

#include "canary/account.h"
#include "sub/stats.h"

#define MO_EMF_MAX_VALUES 100 /* distinct values per metric per document (the EMF spec) */
#define MO_EMF_NAMESPACE_DEFAULT "MomentoSubscriber"

struct mo_emf_input {
    const char *ns;           /* CloudWatch namespace */
    const char *cache, *topic;
    int64_t timestamp_ms;     /* the summary's time, ms since the epoch */
    double interval_s;
    const struct mo_stats *s; /* the interval */
    int64_t clock_bound_us;   /* this host's largest clock bound in it; -1 unknown */
};

/* Calls out(ud, line, len) once per document, each one line of JSON without
 * a newline. Returns the number of documents, or -ENOMEM. */
int mo_emf_render(const struct mo_emf_input *in,
                  void (*out)(void *ud, const char *line, size_t len), void *ud);

struct mo_emf_canary_input {
    const char *ns;
    const char *cache, *topic, *host, *id;
    int64_t timestamp_ms;
    double interval_s;
    const struct mo_canary_account *acct; /* its iv and rtt: the interval */
};

/* As mo_emf_render. */
int mo_emf_render_canary(const struct mo_emf_canary_input *in,
                         void (*out)(void *ud, const char *line, size_t len), void *ud);

#endif
