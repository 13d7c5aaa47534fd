/* export-emf.c - CloudWatch Embedded Metric Format documents of one interval. */
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

static const struct counter {
    const char *name;
    size_t off;
} counters[] = {
    {"Messages", offsetof(struct mo_stats, count)},
    {"DecodeErrors", offsetof(struct mo_stats, decode_errors)},
    {"ProtocolErrors", offsetof(struct mo_stats, protocol_errors)},
    {"Gaps", offsetof(struct mo_stats, gaps)},
    {"Duplicates", offsetof(struct mo_stats, duplicates)},
    {"Discontinuities", offsetof(struct mo_stats, discontinuities)},
    {"Resets", offsetof(struct mo_stats, resets)},
    {"Reconnects", offsetof(struct mo_stats, resubscribes)},
    {"LogDropped", offsetof(struct mo_stats, log_dropped)}, /* message events not logged */
};

static uint64_t counter_value(const struct mo_stats *s, const struct counter *c)
{
    uint64_t v;
    memcpy(&v, (const char *)s + c->off, sizeof v);
    return v;
}

/* The part before the metric values: metadata, dimensions, context. */
static void head(struct buf *b, const struct mo_emf_input *in, bool latency, bool with_counters)
{
    putf(b, "{\"_aws\":{\"Timestamp\":%" PRId64 ",\"CloudWatchMetrics\":[{\"Namespace\":",
         in->timestamp_ms);
    put_str(b, in->ns);
    puts_(b, ",\"Dimensions\":[[\"cache\",\"topic\"]],\"Metrics\":[");
    bool first = true;
    if (latency) {
        puts_(b, "{\"Name\":\"Latency\",\"Unit\":\"Microseconds\"}");
        first = false;
    }
    if (with_counters) {
        for (size_t i = 0; i < sizeof counters / sizeof *counters; i++) {
            putf(b, "%s{\"Name\":\"%s\",\"Unit\":\"Count\"}", first ? "" : ",", counters[i].name);
            first = false;
        }
        putf(b, ",{\"Name\":\"NegativeLatencies\",\"Unit\":\"Count\"}");
    }
    puts_(b, "]}]},\"cache\":");
    put_str(b, in->cache);
    puts_(b, ",\"topic\":");
    put_str(b, in->topic);
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

static void latency(struct buf *b, const struct point *v, size_t n, int64_t min, int64_t max)
{
    puts_(b, ",\"Latency\":{\"Values\":[");
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

int mo_emf_render(const struct mo_emf_input *in,
                  void (*out)(void *ud, const char *line, size_t len), void *ud)
{
    const mo_hist *h = in->s->hist;
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
            latency(&b, pts.v + at, n, lo, hi);
        }
        if (first) {
            for (size_t i = 0; i < sizeof counters / sizeof *counters; i++)
                putf(&b, ",\"%s\":%" PRIu64, counters[i].name, counter_value(in->s, &counters[i]));
            putf(&b, ",\"NegativeLatencies\":%" PRIu64, mo_hist_negative(h));
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
