/* pubfloor.c - per-publisher latency floors in a small fixed table. */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log/event.h"
#include "latency/pubfloor.h"
#include "util.h"

struct slot {
    uint64_t hash; /* of the whole id */
    size_t len;    /* of the whole id */
    struct mo_pubtally t;
    char id[MO_PUBFLOOR_ID_MAX]; /* its first bytes, not NUL-terminated */
};

struct mo_pubfloor {
    struct slot slot[MO_PUBFLOOR_SLOTS];
    size_t n;    /* slots in use */
    size_t last; /* the slot of the previous message: usually this one's too */
    struct mo_pubtally other;
};

int mo_pubfloor_new(mo_pubfloor **ret)
{
    mo_pubfloor *f = calloc(1, sizeof *f);
    if (!f)
        return -ENOMEM;
    f->other = MO_PUBTALLY_EMPTY;
    *ret = f;
    return 0;
}

void mo_pubfloor_free(mo_pubfloor *f) { free(f); }

/* FNV-1a, 64 bits */
static uint64_t id_hash(const char *id, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)id[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static size_t kept(size_t len) { return len < MO_PUBFLOOR_ID_MAX ? len : MO_PUBFLOOR_ID_MAX; }

void mo_pubtally_merge(struct mo_pubtally *dst, const struct mo_pubtally *src)
{
    if (src->count == 0)
        return;
    if (dst->count == 0 || src->min_us < dst->min_us)
        dst->min_us = src->min_us;
    dst->count += src->count;
    if (src->bounded && (!dst->bounded || src->bound_us > dst->bound_us))
        dst->bound_us = src->bound_us;
    dst->bounded += src->bounded;
    dst->skewed += src->skewed;
    if (src->skew_us > dst->skew_us)
        dst->skew_us = src->skew_us;
}

int64_t mo_pubtally_bound(const struct mo_pubtally *t) { return t->bounded ? t->bound_us : -1; }

void mo_pubtally_add(struct mo_pubtally *t, const struct mo_latency *l)
{
    if (t->count == 0 || l->latency_us < t->min_us)
        t->min_us = l->latency_us;
    t->count++;
    if (l->publisher_bound_us >= 0 && (!t->bounded++ || l->publisher_bound_us > t->bound_us))
        t->bound_us = l->publisher_bound_us;
    if (__builtin_expect(l->skew_us > 0, 0)) {
        t->skewed++;
        if (l->skew_us > t->skew_us)
            t->skew_us = l->skew_us;
    }
}

void mo_pubfloor_record(mo_pubfloor *f, const char *id, size_t len, const struct mo_latency *l)
{
    struct slot *s = &f->slot[f->last];
    /* the common case: the same publisher as the last message, an id kept whole */
    if (f->n && s->len == len && len <= MO_PUBFLOOR_ID_MAX && memcmp(s->id, id, len) == 0) {
        mo_pubtally_add(&s->t, l);
        return;
    }
    uint64_t h = id_hash(id, len);
    for (size_t i = 0; i < f->n; i++) {
        s = &f->slot[i];
        if (s->hash == h && s->len == len && memcmp(s->id, id, kept(len)) == 0) {
            f->last = i;
            mo_pubtally_add(&s->t, l);
            return;
        }
    }
    if (f->n == MO_PUBFLOOR_SLOTS) {
        mo_pubtally_add(&f->other, l);
        return;
    }
    f->last = f->n++;
    s = &f->slot[f->last];
    *s = (struct slot){.hash = h, .len = len, .t = MO_PUBTALLY_EMPTY};
    memcpy(s->id, id, kept(len));
    mo_pubtally_add(&s->t, l);
}

/* busiest first; equal counts: lower floor first, then by id, so the order is fixed */
static int slot_cmp(const void *a, const void *b)
{
    const struct slot *x = a, *y = b;
    if (x->t.count != y->t.count)
        return x->t.count > y->t.count ? -1 : 1;
    if (x->t.min_us != y->t.min_us)
        return x->t.min_us < y->t.min_us ? -1 : 1;
    int r = memcmp(x->id, y->id, kept(x->len < y->len ? x->len : y->len));
    return r ? r : (x->len > y->len) - (x->len < y->len);
}

static void row_id(const struct slot *s, char *buf)
{
    size_t n = kept(s->len);
    memcpy(buf, s->id, n);
    if (s->len > n)
        memcpy(buf + n, "...", 3), n += 3;
    buf[n] = '\0';
}

size_t mo_pubfloor_end(mo_pubfloor *f, struct mo_pubfloor_row rows[MO_PUBFLOOR_ROWS + 1])
{
    qsort(f->slot, f->n, sizeof *f->slot, slot_cmp);
    size_t used = 0; /* slots with a message this interval: sorted first */
    while (used < f->n && f->slot[used].t.count)
        used++;
    size_t nrows = 0;
    struct mo_pubtally other = f->other;
    for (size_t i = 0; i < used; i++) {
        const struct slot *s = &f->slot[i];
        if (i < MO_PUBFLOOR_ROWS) {
            struct mo_pubfloor_row *r = &rows[nrows++];
            *r = (struct mo_pubfloor_row){.t = s->t};
            row_id(s, r->id);
        } else {
            mo_pubtally_merge(&other, &s->t);
        }
    }
    if (other.count) {
        struct mo_pubfloor_row *r = &rows[nrows++];
        *r = (struct mo_pubfloor_row){.other = true, .t = other};
        snprintf(r->id, sizeof r->id, "%s", MO_PUBFLOOR_OTHER);
    }

    /* the next interval: the busiest half keep their slots, with nothing counted */
    f->n = used < MO_PUBFLOOR_SLOTS / 2 ? used : MO_PUBFLOOR_SLOTS / 2;
    for (size_t i = 0; i < f->n; i++)
        f->slot[i].t = MO_PUBTALLY_EMPTY;
    f->last = 0;
    f->other = MO_PUBTALLY_EMPTY;
    return nrows;
}

void mo_pubfloor_emit_skewed(const char *cache, const char *topic, const char *id,
                             const struct mo_pubtally *t, int64_t host_bound_us)
{
    if (!t->skewed)
        return;
    char skew[32], here[32], there[32];
    struct mo_event e;
    mo_event_init(&e, MO_EV_PUBLISHER_SKEWED, cache, topic);
    mo_event_str(&e, "publisher_id", id);
    mo_event_int(&e, "skew_us", t->skew_us);
    mo_event_uint(&e, "skewed", t->skewed);
    mo_event_uint(&e, "count", t->count);
    mo_event_int(&e, "min_us", t->min_us);
    int64_t bound = mo_pubtally_bound(t);
    mo_event_int(&e, "bound_us", bound);
    mo_event_int(&e, "clock_bound_us", host_bound_us);
    mo_fmt_ms(t->skew_us, skew, sizeof skew);
    mo_fmt_ms(host_bound_us, here, sizeof here);
    if (bound >= 0)
        mo_fmt_ms(bound, there, sizeof there);
    else
        snprintf(there, sizeof there, "unknown, counted as 0");
    mo_event_msg(&e,
                 "%.200s/%.200s: %llu of %llu messages of publisher %.80s arrived before they "
                 "were sent by more than both clocks' error bounds (this host %s ms, the "
                 "publisher %s%s): one clock is wrong by at least %s ms; check chrony on that "
                 "host (chronyc tracking) and on this one",
                 cache, topic, (unsigned long long)t->skewed, (unsigned long long)t->count, id, here,
                 there, bound >= 0 ? " ms" : "", skew);
    mo_event_emit(&e);
}

void mo_pubfloor_emit(const char *cache, const char *topic, const struct mo_pubfloor_row *rows,
                      size_t n, int64_t host_bound_us)
{
    for (size_t i = 0; i < n; i++) {
        const struct mo_pubfloor_row *r = &rows[i];
        char ms[32];
        struct mo_event e;
        mo_event_init(&e, MO_EV_PUBLISHER_FLOOR, cache, topic);
        mo_event_str(&e, "publisher_id", r->id);
        mo_event_uint(&e, "rank", r->other ? 0 : i + 1);
        mo_event_uint(&e, "count", r->t.count);
        mo_event_int(&e, "min_us", r->t.min_us);
        int64_t pb = mo_pubtally_bound(&r->t);
        mo_event_int(&e, "bound_us", pb);
        mo_fmt_ms(r->t.min_us, ms, sizeof ms);
        char bound[48] = "";
        if (pb >= 0) {
            char b[32];
            snprintf(bound, sizeof bound, " (its clock's bound %s ms)", mo_fmt_ms(pb, b, sizeof b));
        }
        if (r->other)
            mo_event_msg(&e, "%.200s/%.200s: other publishers: %llu messages, latency floor %s ms%s",
                         cache, topic, (unsigned long long)r->t.count, ms, bound);
        else
            mo_event_msg(&e, "%.200s/%.200s: publisher %s: %llu messages, latency floor %s ms%s",
                         cache, topic, r->id, (unsigned long long)r->t.count, ms, bound);
        mo_event_emit(&e);
        mo_pubfloor_emit_skewed(cache, topic, r->id, &r->t, host_bound_us);
    }
}
