/* hist.c - log-linear latency histogram with lazily allocated octaves. */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hist.h"

/* One side (positive or negative magnitudes). */
struct side {
    uint64_t linear[MO_HIST_LINEAR];
    uint64_t *octave[MO_HIST_OCTAVES]; /* MO_HIST_SUB counters each, NULL until used */
    uint64_t count;
};

struct mo_hist {
    struct side pos, neg;
    int64_t min, max;
    int64_t sum; /* of the values recorded, saturated at the int64 range */
};

size_t mo_hist_bucket(uint64_t v)
{
    if (v < MO_HIST_LINEAR)
        return (size_t)v;
    unsigned m = 63u - (unsigned)__builtin_clzll(v) - 7u; /* v >> m is in [128, 256) */
    return MO_HIST_LINEAR + (size_t)(m - 1) * MO_HIST_SUB + (size_t)((v >> m) - MO_HIST_SUB);
}

uint64_t mo_hist_bucket_low(size_t b)
{
    if (b < MO_HIST_LINEAR)
        return b;
    size_t k = b - MO_HIST_LINEAR;
    unsigned m = (unsigned)(k / MO_HIST_SUB) + 1;
    return (uint64_t)(MO_HIST_SUB + k % MO_HIST_SUB) << m;
}

uint64_t mo_hist_bucket_width(size_t b)
{
    if (b < MO_HIST_LINEAR)
        return 1;
    return (uint64_t)1 << ((b - MO_HIST_LINEAR) / MO_HIST_SUB + 1);
}

int mo_hist_new(mo_hist **ret)
{
    mo_hist *h = calloc(1, sizeof *h);
    if (!h)
        return -ENOMEM;
    *ret = h;
    return 0;
}

static void side_free(struct side *s)
{
    for (size_t i = 0; i < MO_HIST_OCTAVES; i++)
        free(s->octave[i]);
}

void mo_hist_free(mo_hist *h)
{
    if (!h)
        return;
    side_free(&h->pos);
    side_free(&h->neg);
    free(h);
}

static void side_reset(struct side *s)
{
    memset(s->linear, 0, sizeof s->linear);
    for (size_t i = 0; i < MO_HIST_OCTAVES; i++)
        if (s->octave[i])
            memset(s->octave[i], 0, MO_HIST_SUB * sizeof(uint64_t));
    s->count = 0;
}

void mo_hist_reset(mo_hist *h)
{
    side_reset(&h->pos);
    side_reset(&h->neg);
    h->min = h->max = h->sum = 0;
}

static uint64_t *slot(struct side *s, size_t b, bool create)
{
    if (b < MO_HIST_LINEAR)
        return &s->linear[b];
    size_t k = b - MO_HIST_LINEAR;
    size_t o = k / MO_HIST_SUB;
    if (o >= MO_HIST_OCTAVES)
        return NULL;
    if (!s->octave[o]) {
        if (!create)
            return NULL;
        s->octave[o] = calloc(MO_HIST_SUB, sizeof(uint64_t));
        if (!s->octave[o])
            return NULL;
    }
    return &s->octave[o][k % MO_HIST_SUB];
}

static uint64_t slot_get(const struct side *s, size_t b)
{
    uint64_t *p = slot((struct side *)s, b, false);
    return p ? *p : 0;
}

static uint64_t magnitude(int64_t v) { return v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v; }

static int64_t saturate(bool negative) { return negative ? INT64_MIN : INT64_MAX; }

/* sum + v * n, held at the int64 limit it would pass (some 292,000 years of
 * microseconds: only a run of absurd timestamps gets there) */
static int64_t sum_add(int64_t sum, int64_t v, uint64_t n)
{
    int64_t prod, r;
    if (n > INT64_MAX || __builtin_mul_overflow(v, (int64_t)n, &prod))
        return saturate(v < 0);
    if (__builtin_add_overflow(sum, prod, &r))
        return saturate(prod < 0);
    return r;
}

void mo_hist_record_n(mo_hist *h, int64_t v, uint64_t n)
{
    if (n == 0)
        return;
    struct side *s = v < 0 ? &h->neg : &h->pos;
    uint64_t *p = slot(s, mo_hist_bucket(magnitude(v)), true);
    if (!p)
        return; /* out of memory: the value is lost from the distribution only */
    *p += n;
    s->count += n;
    h->sum = sum_add(h->sum, v, n);
    if (h->pos.count + h->neg.count == n) {
        h->min = h->max = v;
    } else {
        if (v < h->min)
            h->min = v;
        if (v > h->max)
            h->max = v;
    }
}

void mo_hist_record(mo_hist *h, int64_t v) { mo_hist_record_n(h, v, 1); }

static void side_merge(struct side *d, const struct side *s)
{
    for (size_t i = 0; i < MO_HIST_LINEAR; i++)
        d->linear[i] += s->linear[i];
    for (size_t o = 0; o < MO_HIST_OCTAVES; o++) {
        if (!s->octave[o])
            continue;
        if (!d->octave[o] && !(d->octave[o] = calloc(MO_HIST_SUB, sizeof(uint64_t))))
            continue;
        for (size_t i = 0; i < MO_HIST_SUB; i++)
            d->octave[o][i] += s->octave[o][i];
    }
    d->count += s->count;
}

void mo_hist_merge(mo_hist *dst, const mo_hist *src)
{
    uint64_t had = mo_hist_count(dst);
    if (mo_hist_count(src) == 0)
        return;
    side_merge(&dst->pos, &src->pos);
    side_merge(&dst->neg, &src->neg);
    dst->sum = sum_add(dst->sum, src->sum, 1);
    if (had == 0) {
        dst->min = src->min;
        dst->max = src->max;
    } else {
        if (src->min < dst->min)
            dst->min = src->min;
        if (src->max > dst->max)
            dst->max = src->max;
    }
}

uint64_t mo_hist_count(const mo_hist *h) { return h->pos.count + h->neg.count; }
uint64_t mo_hist_negative(const mo_hist *h) { return h->neg.count; }
int64_t mo_hist_min(const mo_hist *h) { return h->min; }
int64_t mo_hist_max(const mo_hist *h) { return h->max; }
int64_t mo_hist_sum(const mo_hist *h) { return h->sum; }

/* The middle of bucket b as a value of its side, as quantiles report it. The
 * top buckets reach past int64: the middle is clamped to what the side can
 * hold (INT64_MIN is alone in its bucket, whose middle lies below it). */
static int64_t bucket_mid(bool negative, size_t b)
{
    uint64_t mid = mo_hist_bucket_low(b) + (mo_hist_bucket_width(b) - 1) / 2;
    if (negative)
        return mid > (uint64_t)INT64_MAX ? INT64_MIN : -(int64_t)mid;
    return mid > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)mid;
}

struct qstate {
    uint64_t rank, seen;
    bool found, negative;
    size_t bucket;
};

static bool q_step(bool negative, size_t b, uint64_t count, void *ud)
{
    struct qstate *q = ud;
    q->seen += count;
    if (q->seen >= q->rank) {
        q->found = true;
        q->negative = negative;
        q->bucket = b;
        return false;
    }
    return true;
}

int64_t mo_hist_quantile(const mo_hist *h, double q)
{
    uint64_t n = mo_hist_count(h);
    if (n == 0)
        return 0;
    if (q <= 0)
        return h->min;
    if (q >= 1)
        return h->max;
    struct qstate st = {.rank = (uint64_t)ceil(q * (double)n)};
    if (st.rank == 0)
        st.rank = 1;
    mo_hist_foreach(h, q_step, &st);
    if (!st.found)
        return h->max;
    int64_t v = bucket_mid(st.negative, st.bucket);
    if (v < h->min)
        v = h->min;
    if (v > h->max)
        v = h->max;
    return v;
}

void mo_hist_foreach(const mo_hist *h, bool (*fn)(bool, size_t, uint64_t, void *), void *ud)
{
    if (h->neg.count) {
        for (size_t b = MO_HIST_BUCKETS; b-- > 0;) {
            if (b >= MO_HIST_LINEAR && !h->neg.octave[(b - MO_HIST_LINEAR) / MO_HIST_SUB]) {
                b -= (b - MO_HIST_LINEAR) % MO_HIST_SUB; /* skip the empty octave */
                continue;
            }
            uint64_t c = slot_get(&h->neg, b);
            if (c && !fn(true, b, c, ud))
                return;
        }
    }
    for (size_t b = 0; b < MO_HIST_BUCKETS; b++) {
        if (b >= MO_HIST_LINEAR && !h->pos.octave[(b - MO_HIST_LINEAR) / MO_HIST_SUB]) {
            b += MO_HIST_SUB - 1 - (b - MO_HIST_LINEAR) % MO_HIST_SUB;
            continue;
        }
        uint64_t c = slot_get(&h->pos, b);
        if (c && !fn(false, b, c, ud))
            return;
    }
}

/* ---- text encoding ---- */

struct enc {
    char *buf;
    size_t len, pos;
    int64_t prev;
    bool overflow;
};

static bool enc_step(bool negative, size_t b, uint64_t count, void *ud)
{
    struct enc *e = ud;
    int64_t key = negative ? -(int64_t)b - 1 : (int64_t)b;
    int n = snprintf(e->buf + e->pos, e->len - e->pos, ",%" PRId64 ":%" PRIu64, key - e->prev, count);
    if (n < 0 || (size_t)n >= e->len - e->pos) {
        e->overflow = true;
        return false;
    }
    e->pos += (size_t)n;
    e->prev = key;
    return true;
}

int mo_hist_encode(const mo_hist *h, char *buf, size_t len)
{
    if (len < 3)
        return -1;
    memcpy(buf, "h1", 3);
    struct enc e = {.buf = buf, .len = len, .pos = 2};
    mo_hist_foreach(h, enc_step, &e);
    return e.overflow ? -1 : (int)e.pos;
}

int64_t mo_hist_key_value(int64_t key)
{
    size_t b = key < 0 ? (size_t)(-(key + 1)) : (size_t)key;
    if (b >= MO_HIST_BUCKETS)
        b = MO_HIST_BUCKETS - 1;
    return bucket_mid(key < 0, b);
}

int64_t mo_hist_key(int64_t v)
{
    size_t b = mo_hist_bucket(magnitude(v));
    return v < 0 ? -(int64_t)b - 1 : (int64_t)b;
}

int mo_hist_set_range(mo_hist *h, int64_t min, int64_t max)
{
    if (mo_hist_count(h) == 0 || min > max || mo_hist_key(min) != mo_hist_key(h->min) ||
        mo_hist_key(max) != mo_hist_key(h->max))
        return -EINVAL;
    h->min = min;
    h->max = max;
    return 0;
}

int mo_hist_decode(mo_hist *h, const char *s)
{
    if (strncmp(s, "h1", 2) != 0)
        return -EINVAL;
    s += 2;
    int64_t key = 0;
    bool first = true;
    while (*s) {
        if (*s != ',')
            return -EINVAL;
        s++;
        char *end;
        errno = 0;
        long long delta = strtoll(s, &end, 10);
        if (end == s || *end != ':' || errno || (!first && delta <= 0))
            return -EINVAL;
        s = end + 1;
        if (*s < '0' || *s > '9')
            return -EINVAL;
        unsigned long long count = strtoull(s, &end, 10);
        if (end == s || errno || count == 0)
            return -EINVAL;
        s = end;
        if ((delta > 0 && key > INT64_MAX - delta) || (delta < 0 && key < INT64_MIN - delta))
            return -EINVAL;
        key += delta;
        if (key >= (int64_t)MO_HIST_BUCKETS || key < -(int64_t)MO_HIST_BUCKETS)
            return -EINVAL;
        /* a bucket no int64 reaches (magnitude 0 on the negative side, or
         * magnitudes past the side's largest) is never encoded: decoded, it
         * would land in another one */
        size_t b = key < 0 ? (size_t)(-(key + 1)) : (size_t)key;
        if (key == -1 ||
            mo_hist_bucket_low(b) > (key < 0 ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX))
            return -EINVAL;
        first = false;
        mo_hist_record_n(h, mo_hist_key_value(key), count);
    }
    return 0;
}
