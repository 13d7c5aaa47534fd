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
    uint64_t count;
    int64_t min_us;
    char id[MO_PUBFLOOR_ID_MAX]; /* its first bytes, not NUL-terminated */
};

struct mo_pubfloor {
    struct slot slot[MO_PUBFLOOR_SLOTS];
    size_t n;    /* slots in use */
    size_t last; /* the slot of the previous message: usually this one's too */
    uint64_t other_count;
    int64_t other_min_us;
};

int mo_pubfloor_new(mo_pubfloor **ret)
{
    mo_pubfloor *f = calloc(1, sizeof *f);
    if (!f)
        return -ENOMEM;
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

/* adds n messages whose floor is min_us into (*count, *floor_us) */
static void merge_in(uint64_t *count, int64_t *floor_us, uint64_t n, int64_t min_us)
{
    if (n == 0)
        return;
    if (*count == 0 || min_us < *floor_us)
        *floor_us = min_us;
    *count += n;
}

static void count_in(uint64_t *count, int64_t *floor_us, int64_t latency_us)
{
    merge_in(count, floor_us, 1, latency_us);
}

void mo_pubfloor_record(mo_pubfloor *f, const char *id, size_t len, int64_t latency_us)
{
    struct slot *s = &f->slot[f->last];
    /* the common case: the same publisher as the last message, an id kept whole */
    if (f->n && s->len == len && len <= MO_PUBFLOOR_ID_MAX && memcmp(s->id, id, len) == 0) {
        count_in(&s->count, &s->min_us, latency_us);
        return;
    }
    uint64_t h = id_hash(id, len);
    for (size_t i = 0; i < f->n; i++) {
        s = &f->slot[i];
        if (s->hash == h && s->len == len && memcmp(s->id, id, kept(len)) == 0) {
            f->last = i;
            count_in(&s->count, &s->min_us, latency_us);
            return;
        }
    }
    if (f->n == MO_PUBFLOOR_SLOTS) {
        count_in(&f->other_count, &f->other_min_us, latency_us);
        return;
    }
    f->last = f->n++;
    s = &f->slot[f->last];
    *s = (struct slot){.hash = h, .len = len};
    memcpy(s->id, id, kept(len));
    count_in(&s->count, &s->min_us, latency_us);
}

/* busiest first; equal counts: lower floor first, then by id, so the order is fixed */
static int slot_cmp(const void *a, const void *b)
{
    const struct slot *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    if (x->min_us != y->min_us)
        return x->min_us < y->min_us ? -1 : 1;
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
    while (used < f->n && f->slot[used].count)
        used++;
    size_t nrows = 0;
    uint64_t other = f->other_count;
    int64_t other_min = f->other_min_us;
    for (size_t i = 0; i < used; i++) {
        const struct slot *s = &f->slot[i];
        if (i < MO_PUBFLOOR_ROWS) {
            struct mo_pubfloor_row *r = &rows[nrows++];
            *r = (struct mo_pubfloor_row){.count = s->count, .min_us = s->min_us};
            row_id(s, r->id);
        } else {
            merge_in(&other, &other_min, s->count, s->min_us);
        }
    }
    if (other) {
        struct mo_pubfloor_row *r = &rows[nrows++];
        *r = (struct mo_pubfloor_row){.other = true, .count = other, .min_us = other_min};
        snprintf(r->id, sizeof r->id, "%s", MO_PUBFLOOR_OTHER);
    }

    /* the next interval: the busiest half keep their slots, with nothing counted */
    f->n = used < MO_PUBFLOOR_SLOTS / 2 ? used : MO_PUBFLOOR_SLOTS / 2;
    for (size_t i = 0; i < f->n; i++)
        f->slot[i].count = 0;
    f->last = 0;
    f->other_count = 0;
    return nrows;
}

void mo_pubfloor_emit(const char *cache, const char *topic, const struct mo_pubfloor_row *rows,
                      size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct mo_pubfloor_row *r = &rows[i];
        char ms[32];
        struct mo_event e;
        mo_event_init(&e, MO_EV_PUBLISHER_FLOOR, cache, topic);
        mo_event_str(&e, "publisher_id", r->id);
        mo_event_uint(&e, "rank", r->other ? 0 : i + 1);
        mo_event_uint(&e, "count", r->count);
        mo_event_int(&e, "min_us", r->min_us);
        mo_fmt_ms(r->min_us, ms, sizeof ms);
        if (r->other)
            mo_event_msg(&e, "%.200s/%.200s: other publishers: %llu messages, latency floor %s ms",
                         cache, topic, (unsigned long long)r->count, ms);
        else
            mo_event_msg(&e, "%.200s/%.200s: publisher %s: %llu messages, latency floor %s ms",
                         cache, topic, r->id, (unsigned long long)r->count, ms);
        mo_event_emit(&e);
    }
}
