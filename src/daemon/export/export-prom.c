/* export-prom.c - the Prometheus text exposition of each topic's series. */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "export/export-prom.h"
#include "hist.h"

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

static bool fold_bucket(bool negative, size_t b, uint64_t count, void *ud)
{
    struct mo_prom_series *ps = ud;
    ps->bin[negative ? 0 : bin_of(b)] += count;
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
    mo_hist_foreach(s->hist, fold_bucket, ps);
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

/* name{cache="...",topic="..."[,le="..."]} */
static void series(FILE *f, const char *name, const struct mo_prom_topic *t, const char *le)
{
    fputs(PREFIX, f);
    fputs(name, f);
    fputs("{cache=\"", f);
    label_value(f, t->cache);
    fputs("\",topic=\"", f);
    label_value(f, t->topic);
    if (le)
        fprintf(f, "\",le=\"%s", le);
    fputs("\"} ", f);
}

static void histogram(FILE *f, const struct mo_prom_topic *t, size_t n)
{
    family(f, "latency_seconds", "histogram",
           "Publish-to-receive latency of the messages whose publish time was read, since the "
           "daemon started.");
    for (size_t i = 0; i < n; i++) {
        const struct mo_prom_series *ps = t[i].series;
        uint64_t below = 0;
        char le[32];
        for (size_t b = 0; b < MO_PROM_NBOUNDS; b++) {
            below += ps->bin[b];
            seconds(mo_prom_bounds_us[b], le, sizeof le);
            series(f, "latency_seconds_bucket", &t[i], le);
            fprintf(f, "%" PRIu64 "\n", below);
        }
        series(f, "latency_seconds_bucket", &t[i], "+Inf");
        fprintf(f, "%" PRIu64 "\n", ps->count);
        seconds(ps->sum_us, le, sizeof le);
        series(f, "latency_seconds_sum", &t[i], NULL);
        fprintf(f, "%s\n", le);
        series(f, "latency_seconds_count", &t[i], NULL);
        fprintf(f, "%" PRIu64 "\n", ps->count);
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
#undef C
};

static void clock_gauges(FILE *f, const struct mo_clock_state *clk)
{
    char v[32];
    family(f, "clock_synchronized", "gauge",
           "1 when the kernel considers the system clock synchronised (adjtimex), else 0.");
    fprintf(f, PREFIX "clock_synchronized %d\n", clk->synced ? 1 : 0);
    if (clk->error_us >= 0) {
        family(f, "clock_max_error_seconds", "gauge",
               "The kernel's maximum error of the system clock (adjtimex maxerror).");
        seconds(clk->error_us, v, sizeof v);
        fprintf(f, PREFIX "clock_max_error_seconds %s\n", v);
    }
    if (clk->esterror_us >= 0) {
        family(f, "clock_estimated_error_seconds", "gauge",
               "The kernel's estimated error of the system clock (adjtimex esterror).");
        seconds(clk->esterror_us, v, sizeof v);
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
            series(f, counters[c].name, &t[i], NULL);
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
            series(f, "stream_up", &t[i], NULL);
            fprintf(f, "%d\n", t[i].up ? 1 : 0);
        }
    }
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
