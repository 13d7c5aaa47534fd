/* export-prom.c - the Prometheus text exposition of each topic's series and the canary's. */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "export/export-prom.h"
#include "hist.h"
#include "rpc.h"

/* Bucket edges of hist.h at or just below a 1-2-3-5 ladder (export-prom.h);
 * test-export-prom checks that each is an edge. */
const int64_t mo_prom_bounds_us[MO_PROM_NBOUNDS] = {
    50,       100,      200,      300,       500,       1000,     2000,
    2992,     4992,     9984,     19968,     29952,     49920,    99840,
    199680,   299008,   499712,   999424,    1998848,   2998272,  4980736,
    9961472,  19922944, 29884416, 59768832,
};

/* ---- folding an interval ---- */

/* the bin of the histogram bucket b (positive side): the first bound above
 * its low edge; the bucket lies wholly below that bound, since bounds are edges */
static size_t bin_of(size_t b)
{
    int64_t lo = (int64_t)mo_hist_bucket_low(b);
    size_t i = 0;
    while (i < MO_PROM_NBOUNDS && mo_prom_bounds_us[i] <= lo)
        i++;
    return i;
}

/* ud: the bins, MO_PROM_NBOUNDS + 1 of them */
static bool fold_bucket(bool negative, size_t b, uint64_t count, void *ud)
{
    uint64_t *bin = ud;
    bin[negative ? 0 : bin_of(b)] += count;
    return true;
}

static int64_t add_sat(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_add_overflow(a, b, &r))
        return b < 0 ? INT64_MIN : INT64_MAX;
    return r;
}

void mo_prom_fold(struct mo_prom_series *ps, const struct mo_stats *s)
{
    mo_hist_foreach(s->hist, fold_bucket, ps->bin);
    ps->sum_us = add_sat(ps->sum_us, mo_hist_sum(s->hist));
    ps->count += mo_hist_count(s->hist);
    ps->negative += mo_hist_negative(s->hist);
    ps->messages += s->count;
    ps->decode_errors += s->decode_errors;
    ps->protocol_errors += s->protocol_errors;
    ps->gaps += s->gaps;
    ps->duplicates += s->duplicates;
    ps->discontinuities += s->discontinuities;
    ps->resets += s->resets;
    ps->reconnects += s->resubscribes;
    ps->skewed += s->all.skewed;
    if (s->all.bounded) {
        ps->have_publisher_bound = true;
        ps->publisher_bound_us = s->all.bound_us;
    }
}

void mo_prom_fold_canary(struct mo_prom_canary_series *cs, const struct mo_canary_account *a,
                         uint64_t in_flight)
{
    const struct mo_canary_counts *iv = &a->iv;
    mo_hist_foreach(a->rtt, fold_bucket, cs->bin);
    cs->sum_us = add_sat(cs->sum_us, mo_hist_sum(a->rtt));
    cs->count += mo_hist_count(a->rtt);
    cs->sent += iv->sent;
    cs->received += iv->received;
    cs->lost += iv->lost;
    cs->late += iv->late;
    cs->duplicates += iv->duplicates;
    cs->out_of_order += iv->out_of_order;
    cs->after_deadline += iv->after_deadline;
    for (size_t i = 0; i < MO_CANARY_STATUSES; i++)
        cs->publish_errors_by[i] += iv->publish_errors_by[i];
    cs->in_flight = in_flight;
    cs->burn_rate = mo_canary_burn_rate(mo_canary_availability(iv), a->target_ppm);
}

/* ---- rendering ---- */

#define PREFIX "momento_subscriber_"

/* Microseconds as seconds, exactly: "0.009984", "60", "-1.5". */
static void seconds(int64_t us, char *buf, size_t len)
{
    uint64_t mag = us < 0 ? (uint64_t)0 - (uint64_t)us : (uint64_t)us;
    int n = snprintf(buf, len, "%s%" PRIu64 ".%06" PRIu64, us < 0 ? "-" : "", mag / 1000000,
                     mag % 1000000);
    if (n <= 0 || (size_t)n >= len)
        return;
    char *end = buf + n;
    while (end[-1] == '0')
        *--end = '\0';
    if (end[-1] == '.')
        end[-1] = '\0';
}

/* A label value: backslash, double quote and line feed escaped, as the
 * format asks. (Cache and topic names come from the YAML file, which is
 * UTF-8, as label values must be.) */
static void label_value(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\')
            fputs("\\\\", f);
        else if (*s == '"')
            fputs("\\\"", f);
        else if (*s == '\n')
            fputs("\\n", f);
        else
            fputc(*s, f);
    }
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
    fprintf(f, "# HELP " PREFIX "%s %s\n# TYPE " PREFIX "%s %s\n", name, help, name, type);
}

/* name{cache="...",topic="..."[,KEY="VALUE"]} (VALUE a label value as is:
 * a bound, a status name) */
static void labelled(FILE *f, const char *name, const char *cache, const char *topic, const char *key,
                     const char *value)
{
    fputs(PREFIX, f);
    fputs(name, f);
    fputs("{cache=\"", f);
    label_value(f, cache);
    fputs("\",topic=\"", f);
    label_value(f, topic);
    if (key)
        fprintf(f, "\",%s=\"%s", key, value);
    fputs("\"} ", f);
}

/* name{cache="...",topic="..."} of a topic */
static void series(FILE *f, const char *name, const struct mo_prom_topic *t)
{
    labelled(f, name, t->cache, t->topic, NULL, NULL);
}

/* The _bucket, _sum and _count lines of one histogram series `name`. */
static void hist_lines(FILE *f, const char *name, const char *cache, const char *topic,
                       const uint64_t *bin, int64_t sum_us, uint64_t count)
{
    char bucket[96], sum[96], cnt[96], v[32];
    snprintf(bucket, sizeof bucket, "%s_bucket", name);
    snprintf(sum, sizeof sum, "%s_sum", name);
    snprintf(cnt, sizeof cnt, "%s_count", name);
    uint64_t below = 0;
    for (size_t b = 0; b < MO_PROM_NBOUNDS; b++) {
        below += bin[b];
        seconds(mo_prom_bounds_us[b], v, sizeof v);
        labelled(f, bucket, cache, topic, "le", v);
        fprintf(f, "%" PRIu64 "\n", below);
    }
    labelled(f, bucket, cache, topic, "le", "+Inf");
    fprintf(f, "%" PRIu64 "\n", count);
    seconds(sum_us, v, sizeof v);
    labelled(f, sum, cache, topic, NULL, NULL);
    fprintf(f, "%s\n", v);
    labelled(f, cnt, cache, topic, NULL, NULL);
    fprintf(f, "%" PRIu64 "\n", count);
}

static void histogram(FILE *f, const struct mo_prom_topic *t, size_t n)
{
    family(f, "latency_seconds", "histogram",
           "Publish-to-receive latency of the messages whose publish time was read, since the "
           "daemon started.");
    for (size_t i = 0; i < n; i++) {
        const struct mo_prom_series *ps = t[i].series;
        hist_lines(f, "latency_seconds", t[i].cache, t[i].topic, ps->bin, ps->sum_us, ps->count);
    }
}

/* The per-topic counters, in the order they are written. */
static const struct {
    const char *name, *help;
    size_t off;
} counters[] = {
#define C(name, field, help) {name, help, offsetof(struct mo_prom_series, field)}
    C("latency_negative_total", negative,
      "Messages whose latency was negative: the publisher's clock ahead of this host's."),
    C("messages_total", messages, "Messages delivered (duplicates excluded)."),
    C("decode_errors_total", decode_errors,
      "Messages whose publish time could not be read from the payload."),
    C("protocol_errors_total", protocol_errors,
      "Server messages the protocol does not allow (unreadable, malformed, or an item of no kind), "
      "skipped."),
    C("gaps_total", gaps, "Messages missing from the sequence (gaps)."),
    C("duplicates_total", duplicates, "Messages received again and dropped."),
    C("discontinuities_total", discontinuities,
      "Discontinuities the service announced (messages it could not deliver)."),
    C("resets_total", resets, "Changes of the topic's sequence page."),
    C("reconnects_total", reconnects, "Subscribe calls started again after a stream ended."),
    C("latency_skewed_total", skewed,
      "Messages whose latency was below minus both clocks' error bounds (this host's and the "
      "publisher's): proof that one of the two clocks is wrong."),
#undef C
};

/* ---- the canary ---- */

/* The canary's counters, in the order they are written (publish errors,
 * labelled by status, apart). */
static const struct {
    const char *name, *help;
    size_t off;
} canary_counters[] = {
#define C(name, field, help) {name, help, offsetof(struct mo_prom_canary_series, field)}
    C("canary_sent_total", sent, "Probes the canary's schedule issued."),
    C("canary_received_total", received, "The canary's own probes received within their deadline."),
    C("canary_lost_total", lost, "The canary's own probes not received by their deadline."),
    C("canary_late_total", late,
      "Probes received within their deadline but slower than canary.slo.latency (also in "
      "received_total)."),
    C("canary_duplicates_total", duplicates, "Copies of a probe received again, dropped."),
    C("canary_out_of_order_total", out_of_order,
      "Probes received after a higher-numbered one (also in received_total)."),
    C("canary_after_deadline_total", after_deadline,
      "Probes that arrived after their deadline (they stay in lost_total)."),
#undef C
};

static uint64_t canary_counter(const struct mo_prom_canary *c, size_t i)
{
    uint64_t v;
    memcpy(&v, (const char *)c->series + canary_counters[i].off, sizeof v);
    return v;
}

/* (received - late) / (received + lost) since start, or -1 with neither */
/* since start: account.h's availability of the series' sums */
static double canary_availability(const struct mo_prom_canary_series *cs)
{
    const struct mo_canary_counts k = {.received = cs->received, .lost = cs->lost, .late = cs->late};
    return mo_canary_availability(&k);
}

/* A ratio as a sample value: enough digits for an availability target of
 * five nines and more, no trailing noise. */
static void ratio(FILE *f, double v) { fprintf(f, "%.9g\n", v); }

static void canaries(FILE *f, const struct mo_prom_canary *c, size_t n)
{
    family(f, "canary_rtt_seconds", "histogram",
           "Round trip of the canary's own probes, from the moment each was due to its receipt "
           "(monotonic clock), since the daemon started.");
    for (size_t i = 0; i < n; i++) {
        const struct mo_prom_canary_series *cs = c[i].series;
        hist_lines(f, "canary_rtt_seconds", c[i].cache, c[i].topic, cs->bin, cs->sum_us, cs->count);
    }
    for (size_t k = 0; k < sizeof canary_counters / sizeof *canary_counters; k++) {
        family(f, canary_counters[k].name, "counter", canary_counters[k].help);
        for (size_t i = 0; i < n; i++) {
            labelled(f, canary_counters[k].name, c[i].cache, c[i].topic, NULL, NULL);
            fprintf(f, "%" PRIu64 "\n", canary_counter(&c[i], k));
        }
    }
    /* by status, the statuses that happened only; the family once there is one */
    bool said = false;
    for (size_t i = 0; i < n; i++)
        for (int st = 0; st < MO_CANARY_STATUSES; st++) {
            uint64_t v = c[i].series->publish_errors_by[st];
            if (!v)
                continue;
            if (!said)
                family(f, "canary_publish_errors_total", "counter",
                       "The canary's publish calls that failed, by gRPC status (a failed publish "
                       "is not a lost probe until its deadline passes).");
            said = true;
            labelled(f, "canary_publish_errors_total", c[i].cache, c[i].topic, "status",
                     mo_status_name((grpc_status_code)st));
            fprintf(f, "%" PRIu64 "\n", v);
        }
    family(f, "canary_in_flight", "gauge",
           "The canary's probes sent and neither received nor lost yet, at the last summary.");
    for (size_t i = 0; i < n; i++) {
        labelled(f, "canary_in_flight", c[i].cache, c[i].topic, NULL, NULL);
        fprintf(f, "%" PRIu64 "\n", c[i].series->in_flight);
    }
    said = false;
    for (size_t i = 0; i < n; i++) {
        double a = canary_availability(c[i].series);
        if (a < 0)
            continue;
        if (!said)
            family(f, "canary_availability", "gauge",
                   "The canary's availability since the daemon started: (received - late) / "
                   "(received + lost), from 0 to 1; none before a probe was received or lost.");
        said = true;
        labelled(f, "canary_availability", c[i].cache, c[i].topic, NULL, NULL);
        ratio(f, a);
    }
    said = false;
    for (size_t i = 0; i < n; i++) {
        double b = c[i].series->burn_rate;
        if (b < 0)
            continue;
        if (!said)
            family(f, "canary_burn_rate", "gauge",
                   "The last summary interval's error budget burn rate, (1 - availability) / "
                   "(1 - canary.slo.target): above 1 spends it faster than the SLO allows; none "
                   "for an interval in which no probe was received or lost.");
        said = true;
        labelled(f, "canary_burn_rate", c[i].cache, c[i].topic, NULL, NULL);
        ratio(f, b);
    }
}

static void clock_gauges(FILE *f, const struct mo_clock_summary *clk)
{
    char v[32];
    family(f, "clock_synchronized", "gauge",
           "1 when the clock's source (clock_info) says the system clock is synchronised, else 0.");
    fprintf(f, PREFIX "clock_synchronized %d\n", clk->synced ? 1 : 0);
    family(f, "clock_info", "gauge",
           "Always 1: where this host's clock error bound comes from (source: clockbound or "
           "adjtimex) and the status that source gave at the last summary.");
    fprintf(f, PREFIX "clock_info{source=\"%s\",status=\"%s\"} 1\n",
            mo_clocksrc_source_name(clk->source), mo_cb_status_name(clk->status));
    if (clk->bound_us >= 0) {
        family(f, "clock_bound_seconds", "gauge",
               "The largest error bound of this host's clock in the last summary interval "
               "(ClockBound's bound, or the kernel's maximum error under adjtimex).");
        seconds(clk->bound_us, v, sizeof v);
        fprintf(f, PREFIX "clock_bound_seconds %s\n", v);
    }
    if (clk->key_expires_known) {
        family(f, "key_expires_in_seconds", "gauge",
               "Seconds until the API key expires (negative once it has), for keys that carry an "
               "expiry; none for a key that never expires.");
        fprintf(f, PREFIX "key_expires_in_seconds %lld\n", (long long)clk->key_expires_in_s);
    }
    const struct mo_clock_state *k = &clk->kernel;
    if (k->error_us >= 0) {
        family(f, "clock_max_error_seconds", "gauge",
               "The kernel's maximum error of the system clock (adjtimex maxerror).");
        seconds(k->error_us, v, sizeof v);
        fprintf(f, PREFIX "clock_max_error_seconds %s\n", v);
    }
    if (k->esterror_us >= 0) {
        family(f, "clock_estimated_error_seconds", "gauge",
               "The kernel's estimated error of the system clock (adjtimex esterror).");
        seconds(k->esterror_us, v, sizeof v);
        fprintf(f, PREFIX "clock_estimated_error_seconds %s\n", v);
    }
}

int mo_prom_render(FILE *f, const struct mo_prom_topic *t, size_t n, const struct mo_prom_host *h)
{
    if (n)
        histogram(f, t, n);
    for (size_t c = 0; c < sizeof counters / sizeof *counters && n; c++) {
        family(f, counters[c].name, "counter", counters[c].help);
        for (size_t i = 0; i < n; i++) {
            series(f, counters[c].name, &t[i]);
            const char *field = (const char *)t[i].series + counters[c].off;
            uint64_t v;
            memcpy(&v, field, sizeof v);
            fprintf(f, "%" PRIu64 "\n", v);
        }
    }
    if (n) {
        family(f, "stream_up", "gauge",
               "1 when the topic's Subscribe stream was up at the last summary, else 0.");
        for (size_t i = 0; i < n; i++) {
            series(f, "stream_up", &t[i]);
            fprintf(f, "%d\n", t[i].up ? 1 : 0);
        }
    }
    bool said = false;
    for (size_t i = 0; i < n; i++) {
        if (!t[i].series->have_publisher_bound)
            continue;
        if (!said)
            family(f, "publisher_clock_bound_seconds", "gauge",
                   "The widest clock error bound the topic's publishers wrote in their payloads "
                   "(clock_error_us), in the last summary interval that carried one.");
        said = true;
        char v[32];
        series(f, "publisher_clock_bound_seconds", &t[i]);
        seconds(t[i].series->publisher_bound_us, v, sizeof v);
        fprintf(f, "%s\n", v);
    }
    if (h->n_canaries)
        canaries(f, h->canaries, h->n_canaries);
    if (h->have_log_dropped) {
        family(f, "log_dropped_total", "counter",
               "Message events left out of the log since start (over logging.message_budget, "
               "or refused by a slow log output).");
        fprintf(f, PREFIX "log_dropped_total %" PRIu64 "\n", h->log_dropped);
        family(f, "state_saves_ahead_of_log_total", "counter",
               "Saves of resume positions since start that did not wait for the log output to "
               "write the events of the messages they cover (it was too far behind): a crash "
               "before it caught up would have lost those events.");
        fprintf(f, PREFIX "state_saves_ahead_of_log_total %" PRIu64 "\n", h->state_saves_ahead_of_log);
    }
    if (h->have_event_fields_dropped) {
        family(f, "event_fields_dropped_total", "counter",
               "Fields left out of events since start, past the number an event holds (a bug: "
               "each event type it happened to is named once in a fields_dropped warning).");
        fprintf(f, PREFIX "event_fields_dropped_total %" PRIu64 "\n", h->event_fields_dropped);
    }
    clock_gauges(f, &h->clk);
    return ferror(f) ? -EIO : 0;
}
