/* export-emf.c - CloudWatch Embedded Metric Format documents of one interval
 * (a topic's, the canary's). */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/export-emf.h"
#include "hist.h"

/* ---- a growing text buffer ---- */

struct buf {
    char *p;
    size_t len, cap;
    bool oom;
};

static void put(struct buf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void puts_(struct buf *b, const char *s) { put(b, s, strlen(s)); }

/* printf into the buffer; the formats here hold numbers and fixed names only */
static void __attribute__((format(printf, 2, 3))) putf(struct buf *b, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp)
        b->oom = true; /* a programming error: never silently cut JSON */
    else
        put(b, tmp, (size_t)n);
}

/* A JSON string. The names come from the YAML file (UTF-8); quotes,
 * backslashes and control characters are escaped. */
static void put_str(struct buf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    put(b, "\"", 1);
    for (const char *run = s;; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        put(b, run, (size_t)(s - run));
        if (!c)
            break;
        char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
        if (c == '"' || c == '\\')
            put(b, (char[]){'\\', (char)c}, 2);
        else
            put(b, esc, 6);
        run = s + 1;
    }
    put(b, "\"", 1);
}

/* ---- the interval's distribution ---- */

struct point {
    int64_t value;
    uint64_t count;
};

struct points {
    struct point *v;
    size_t n, cap;
    int64_t min, max;
    bool oom;
};

static bool collect(bool negative, size_t bucket, uint64_t count, void *ud)
{
    struct points *p = ud;
    if (p->n == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 256;
        struct point *v = realloc(p->v, cap * sizeof *v);
        if (!v) {
            p->oom = true;
            return false;
        }
        p->v = v;
        p->cap = cap;
    }
    int64_t key = negative ? -(int64_t)bucket - 1 : (int64_t)bucket;
    int64_t value = mo_hist_key_value(key);
    /* held within the exact extremes, as mo_hist_quantile does */
    if (value < p->min)
        value = p->min;
    if (value > p->max)
        value = p->max;
    p->v[p->n++] = (struct point){value, count};
    return true;
}

/* ---- documents ---- */

/* One metric of a document's first part: a count, or a ratio (unit None). */
struct metric {
    const char *name;
    bool ratio;
    bool micros; /* a count of microseconds (unit Microseconds) */
    uint64_t count;
    double value;
};

/* What the documents of one interval hold besides the distribution. */
struct docs {
    const char *ns, *cache, *topic;
    const char *host, *id; /* context members of the canary's, or NULL */
    int64_t timestamp_ms;
    double interval_s;
    const mo_hist *h;
    const char *dist;         /* the distribution's metric name */
    const struct metric *m;   /* in the first document only */
    size_t nm;
};

/* The part before the metric values: metadata, dimensions, context. */
static void head(struct buf *b, const struct docs *in, bool latency, bool with_counters)
{
    putf(b, "{\"_aws\":{\"Timestamp\":%" PRId64 ",\"CloudWatchMetrics\":[{\"Namespace\":",
         in->timestamp_ms);
    put_str(b, in->ns);
    puts_(b, ",\"Dimensions\":[[\"cache\",\"topic\"]],\"Metrics\":[");
    bool first = true;
    if (latency) {
        putf(b, "{\"Name\":\"%s\",\"Unit\":\"Microseconds\"}", in->dist);
        first = false;
    }
    for (size_t i = 0; with_counters && i < in->nm; i++) {
        putf(b, "%s{\"Name\":\"%s\",\"Unit\":\"%s\"}", first ? "" : ",", in->m[i].name,
             in->m[i].ratio ? "None" : in->m[i].micros ? "Microseconds" : "Count");
        first = false;
    }
    puts_(b, "]}]},\"cache\":");
    put_str(b, in->cache);
    puts_(b, ",\"topic\":");
    put_str(b, in->topic);
    if (in->host) {
        puts_(b, ",\"host\":");
        put_str(b, in->host);
    }
    if (in->id) {
        puts_(b, ",\"id\":");
        put_str(b, in->id);
    }
    putf(b, ",\"interval_s\":%.3f", in->interval_s);
}

/* sum + v * n, held at the int64 limits rather than wrap (as hist.c's sum) */
static int64_t sum_add(int64_t sum, int64_t v, uint64_t n)
{
    int64_t prod, r;
    if (n > INT64_MAX || __builtin_mul_overflow(v, (int64_t)n, &prod) ||
        __builtin_add_overflow(sum, prod, &r))
        return v < 0 ? INT64_MIN : INT64_MAX;
    return r;
}

static void latency(struct buf *b, const char *name, const struct point *v, size_t n, int64_t min,
                    int64_t max)
{
    putf(b, ",\"%s\":{\"Values\":[", name);
    for (size_t i = 0; i < n; i++)
        putf(b, "%s%" PRId64, i ? "," : "", v[i].value);
    puts_(b, "],\"Counts\":[");
    uint64_t count = 0;
    int64_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        putf(b, "%s%" PRIu64, i ? "," : "", v[i].count);
        count += v[i].count;
        sum = sum_add(sum, v[i].value, v[i].count);
    }
    putf(b, "],\"Min\":%" PRId64 ",\"Max\":%" PRId64 ",\"Count\":%" PRIu64 ",\"Sum\":%" PRId64 "}",
         min, max, count, sum);
}

/* The documents of one interval: the distribution split at MO_EMF_MAX_VALUES,
 * the metrics in the first. */
static int render(const struct docs *in, void (*out)(void *ud, const char *line, size_t len), void *ud)
{
    const mo_hist *h = in->h;
    struct points pts = {.min = mo_hist_min(h), .max = mo_hist_max(h)};
    if (mo_hist_count(h))
        mo_hist_foreach(h, collect, &pts);
    struct buf b = {0};
    int docs = 0;
    size_t at = 0;
    do {
        size_t n = pts.n - at < MO_EMF_MAX_VALUES ? pts.n - at : MO_EMF_MAX_VALUES;
        bool first = at == 0;
        b.len = 0;
        head(&b, in, n > 0, first);
        if (n) {
            int64_t lo = first ? pts.min : pts.v[at].value;
            int64_t hi = at + n == pts.n ? pts.max : pts.v[at + n - 1].value;
            latency(&b, in->dist, pts.v + at, n, lo, hi);
        }
        for (size_t i = 0; first && i < in->nm; i++) {
            if (in->m[i].ratio)
                putf(&b, ",\"%s\":%.6f", in->m[i].name, in->m[i].value);
            else
                putf(&b, ",\"%s\":%" PRIu64, in->m[i].name, in->m[i].count);
        }
        put(&b, "}", 1);
        if (b.oom || pts.oom)
            break;
        out(ud, b.p, b.len);
        docs++;
        at += n;
    } while (at < pts.n);
    bool oom = b.oom || pts.oom;
    free(b.p);
    free(pts.v);
    return oom ? -ENOMEM : docs;
}

int mo_emf_render(const struct mo_emf_input *in,
                  void (*out)(void *ud, const char *line, size_t len), void *ud)
{
    const struct mo_stats *s = in->s;
    int64_t pub = mo_pubtally_bound(&s->all);
    struct metric m[13] = {
        {.name = "Messages", .count = s->count},
        {.name = "DecodeErrors", .count = s->decode_errors},
        {.name = "ProtocolErrors", .count = s->protocol_errors},
        {.name = "Gaps", .count = s->gaps},
        {.name = "Duplicates", .count = s->duplicates},
        {.name = "Discontinuities", .count = s->discontinuities},
        {.name = "Resets", .count = s->resets},
        {.name = "Reconnects", .count = s->resubscribes},
        {.name = "LogDropped", .count = s->log_dropped}, /* message events not logged */
        {.name = "NegativeLatencies", .count = mo_hist_negative(s->hist)},
        {.name = "SkewedLatencies", .count = s->all.skewed},
    };
    size_t nm = 11;
    /* the error bars, when known */
    if (in->clock_bound_us >= 0)
        m[nm++] = (struct metric){.name = "ClockBound", .micros = true, .count = (uint64_t)in->clock_bound_us};
    if (pub >= 0)
        m[nm++] = (struct metric){.name = "PublisherClockBound", .micros = true, .count = (uint64_t)pub};
    struct docs d = {.ns = in->ns, .cache = in->cache, .topic = in->topic,
                     .timestamp_ms = in->timestamp_ms, .interval_s = in->interval_s,
                     .h = s->hist, .dist = "Latency", .m = m, .nm = nm};
    return render(&d, out, ud);
}

int mo_emf_render_canary(const struct mo_emf_canary_input *in,
                         void (*out)(void *ud, const char *line, size_t len), void *ud)
{
    const struct mo_canary_counts *iv = &in->acct->iv;
    double avail = mo_canary_availability(iv);
    const struct metric m[] = {
        {.name = "CanarySent", .count = iv->sent},
        {.name = "CanaryReceived", .count = iv->received},
        {.name = "CanaryLost", .count = iv->lost},
        {.name = "CanaryLate", .count = iv->late},
        {.name = "CanaryPublishErrors", .count = iv->publish_errors},
        {.name = "CanaryAvailability", .ratio = true, .value = avail}, /* left out below without one */
    };
    size_t nm = sizeof m / sizeof *m - (avail < 0);
    struct docs d = {.ns = in->ns, .cache = in->cache, .topic = in->topic, .host = in->host,
                     .id = in->id, .timestamp_ms = in->timestamp_ms, .interval_s = in->interval_s,
                     .h = in->acct->rtt, .dist = "CanaryRoundTrip", .m = m, .nm = nm};
    return render(&d, out, ud);
}
