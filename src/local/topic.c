/* topic.c - caches, topics and the replay ring. */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "topic.h"

/* ---- a small string-keyed hash table (chaining; nodes embedded in their owner) ---- */

struct node {
    struct node *next;
    uint64_t hash;
    char *name; /* NUL-terminated copy; len bytes */
    size_t len;
};

struct map {
    struct node **slots;
    size_t n_slots, n;
};

static uint64_t hash_name(const char *p, size_t len)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static struct node *map_find(const struct map *m, const char *p, size_t len, uint64_t h)
{
    if (!m->n_slots)
        return NULL;
    for (struct node *n = m->slots[h % m->n_slots]; n; n = n->next)
        if (n->hash == h && n->len == len && memcmp(n->name, p, len) == 0)
            return n;
    return NULL;
}

static int map_add(struct map *m, struct node *node)
{
    if (m->n >= m->n_slots) {
        size_t ns = m->n_slots ? m->n_slots * 2 : 16;
        struct node **slots = calloc(ns, sizeof *slots);
        if (!slots)
            return -ENOMEM;
        for (size_t i = 0; i < m->n_slots; i++)
            for (struct node *n = m->slots[i], *next; n; n = next) {
                next = n->next;
                n->next = slots[n->hash % ns];
                slots[n->hash % ns] = n;
            }
        free(m->slots);
        m->slots = slots;
        m->n_slots = ns;
    }
    node->next = m->slots[node->hash % m->n_slots];
    m->slots[node->hash % m->n_slots] = node;
    m->n++;
    return 0;
}

static void map_remove(struct map *m, struct node *node)
{
    for (struct node **pp = &m->slots[node->hash % m->n_slots]; *pp; pp = &(*pp)->next)
        if (*pp == node) {
            *pp = node->next;
            node->next = NULL;
            m->n--;
            return;
        }
}

static int node_init(struct node *n, struct tl_str name)
{
    n->name = malloc(name.len + 1);
    if (!n->name)
        return -ENOMEM;
    memcpy(n->name, name.p, name.len);
    n->name[name.len] = '\0';
    n->len = name.len;
    n->hash = hash_name(name.p, name.len);
    return 0;
}

/* ---- types ---- */

struct tl_store {
    struct tl_store_opts o;
    char *publisher_id;
    size_t publisher_id_len;
    uint64_t ring_max; /* max(replay, TL_RING_MIN) */
    bool any_cache;
    struct map caches;
    tl_cache *removed; /* caches DeleteCache took out, kept until the store goes */
};

struct tl_cache {
    struct node node; /* first: the map hands out nodes */
    tl_store *store;
    tl_cache *removed_next;
    size_t subscribers;
    /* --topic-limits publish rate: a bucket of `rate` publishes refilled
     * continuously (tokens in millionths of a publish) */
    uint64_t tokens_u, refilled_us;
    struct map topics;
};

struct tl_topic {
    struct node node;
    tl_cache *cache;
    uint64_t page;
    uint64_t next_seq;   /* sequence number of the next message on this page */
    uint64_t published;  /* messages ever published, for --fault-drop-every */
    uint64_t page_first; /* position of sequence number 1 of the current page */
    /* ring: entries [end - count, end), entry pos at ring[pos % alloc] */
    struct tl_entry *ring;
    uint64_t alloc, count, end;
    struct tl_watcher watchers; /* circular list head */
};

static uint64_t now_s(void) { return (uint64_t)(mo_real_ns() / MO_NSEC_PER_SEC); }

/* ---- store and caches ---- */

static void cache_free(tl_cache *c);

static tl_cache *cache_create(tl_store *s, struct tl_str name)
{
    tl_cache *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->store = s;
    if (node_init(&c->node, name) < 0 || map_add(&s->caches, &c->node) < 0) {
        free(c->node.name);
        free(c);
        errno = ENOMEM;
        return NULL;
    }
    return c;
}

int tl_store_new(const struct tl_store_opts *o, tl_store **ret)
{
    tl_store *s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    s->o = *o;
    s->any_cache = o->caches == NULL;
    s->ring_max = o->replay > TL_RING_MIN ? o->replay : TL_RING_MIN;
    const char *pid = o->publisher_id ? o->publisher_id : "";
    s->publisher_id = strdup(pid);
    s->publisher_id_len = strlen(pid);
    if (!s->publisher_id) {
        free(s);
        return -ENOMEM;
    }
    s->o.publisher_id = s->publisher_id;
    s->o.caches = NULL; /* the names are copied into the map below */
    for (size_t i = 0; i < o->n_caches; i++) {
        struct tl_str name = {o->caches[i], strlen(o->caches[i])};
        if (map_find(&s->caches, name.p, name.len, hash_name(name.p, name.len)))
            continue;
        if (!cache_create(s, name)) {
            tl_store_free(s);
            return -ENOMEM;
        }
    }
    *ret = s;
    return 0;
}

static void topic_free(tl_topic *t)
{
    for (uint64_t pos = t->end - t->count; pos < t->end; pos++)
        grpc_slice_unref(t->ring[pos % t->alloc].msg);
    free(t->ring);
    free(t->node.name);
    free(t);
}

static void map_clear(struct map *m, void (*fn)(struct node *))
{
    for (size_t i = 0; i < m->n_slots; i++)
        for (struct node *n = m->slots[i], *next; n; n = next) {
            next = n->next;
            fn(n);
        }
    free(m->slots);
    *m = (struct map){0};
}

static void topic_node_free(struct node *n) { topic_free((tl_topic *)n); }

static void cache_free(tl_cache *c)
{
    map_clear(&c->topics, topic_node_free);
    free(c->node.name);
    free(c);
}

static void cache_node_free(struct node *n) { cache_free((tl_cache *)n); }

void tl_store_free(tl_store *s)
{
    if (!s)
        return;
    map_clear(&s->caches, cache_node_free);
    for (tl_cache *c = s->removed, *next; c; c = next) {
        next = c->removed_next;
        cache_free(c);
    }
    free(s->publisher_id);
    free(s);
}

tl_cache *tl_store_cache(tl_store *s, struct tl_str name)
{
    struct node *n = map_find(&s->caches, name.p, name.len, hash_name(name.p, name.len));
    if (n)
        return (tl_cache *)n;
    if (!s->any_cache) {
        errno = ENOENT;
        return NULL;
    }
    return cache_create(s, name);
}

tl_cache *tl_store_find(tl_store *s, struct tl_str name)
{
    return (tl_cache *)map_find(&s->caches, name.p, name.len, hash_name(name.p, name.len));
}

int tl_store_create(tl_store *s, struct tl_str name)
{
    if (tl_store_find(s, name))
        return -EEXIST;
    return cache_create(s, name) ? 0 : -ENOMEM;
}

void tl_store_remove(tl_store *s, tl_cache *c)
{
    map_remove(&s->caches, &c->node);
    c->removed_next = s->removed;
    s->removed = c;
}

static int cmp_cache(const void *a, const void *b)
{
    return strcmp((*(const tl_cache *const *)a)->node.name,
                  (*(const tl_cache *const *)b)->node.name);
}

const tl_cache **tl_store_list(const tl_store *s, size_t *n)
{
    const tl_cache **v = malloc((s->caches.n ? s->caches.n : 1) * sizeof *v);
    if (!v)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < s->caches.n_slots; i++)
        for (const struct node *nd = s->caches.slots[i]; nd; nd = nd->next)
            v[k++] = (const tl_cache *)nd;
    qsort(v, k, sizeof *v, cmp_cache);
    *n = k;
    return v;
}

bool tl_cache_take_publish(tl_cache *c, uint64_t rate, uint64_t now_us)
{
    const uint64_t one = 1000000; /* a publish, in millionths */
    if (!rate)
        return true;
    if (!c->refilled_us) { /* a full bucket to start */
        c->tokens_u = rate * one;
        c->refilled_us = now_us;
    }
    uint64_t dt = now_us - c->refilled_us;
    c->refilled_us = now_us;
    uint64_t add = dt > 10 * one ? rate * one : dt * rate; /* rate per s = rate per µs × 10^6 */
    c->tokens_u = c->tokens_u + add > rate * one ? rate * one : c->tokens_u + add;
    if (c->tokens_u < one)
        return false;
    c->tokens_u -= one;
    return true;
}

grpc_slice tl_store_discontinuity(const tl_store *s, const struct tl_start *d)
{
    /* the HTTP API reference numbers the next item itself; "unknown" (0 in
     * the proto's reading, after a reset) becomes 1 there, the first item */
    uint64_t new_seq = s->o.reading == TL_DISC_AT ? d->new_seq + 1 : d->new_seq;
    return tl_wire_discontinuity(d->last, new_seq, d->page);
}

const char *tl_cache_name(const tl_cache *c) { return c->node.name; }
size_t tl_cache_subscribers(const tl_cache *c) { return c->subscribers; }

void tl_cache_add_subscribers(tl_cache *c, int delta)
{
    if (delta < 0 && (size_t)-delta > c->subscribers)
        c->subscribers = 0;
    else
        c->subscribers += (size_t)(ssize_t)delta;
}

/* ---- topics ---- */

tl_topic *tl_cache_topic(tl_cache *c, struct tl_str name)
{
    uint64_t h = hash_name(name.p, name.len);
    struct node *n = map_find(&c->topics, name.p, name.len, h);
    if (n)
        return (tl_topic *)n;
    tl_topic *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->cache = c;
    t->page = now_s();
    if (t->page == 0)
        t->page = 1; /* a clock at the epoch: pages are non-zero */
    t->next_seq = 1;
    t->watchers.next = t->watchers.prev = &t->watchers;
    if (node_init(&t->node, name) < 0 || map_add(&c->topics, &t->node) < 0) {
        free(t->node.name);
        free(t);
        errno = ENOMEM;
        return NULL;
    }
    return t;
}

const char *tl_topic_name(const tl_topic *t) { return t->node.name; }
uint64_t tl_topic_page(const tl_topic *t) { return t->page; }
uint64_t tl_topic_latest(const tl_topic *t) { return t->next_seq - 1; }
uint64_t tl_topic_end(const tl_topic *t) { return t->end; }
uint64_t tl_topic_oldest(const tl_topic *t) { return t->end - t->count; }

const struct tl_entry *tl_topic_entry(const tl_topic *t, uint64_t pos)
{
    return &t->ring[pos % t->alloc];
}

static int ring_grow(tl_topic *t, uint64_t ring_max)
{
    uint64_t alloc = t->alloc ? t->alloc * 2 : 64;
    if (alloc > ring_max)
        alloc = ring_max;
    struct tl_entry *r = malloc(alloc * sizeof *r);
    if (!r)
        return -ENOMEM;
    for (uint64_t pos = t->end - t->count; pos < t->end; pos++)
        r[pos % alloc] = t->ring[pos % t->alloc];
    free(t->ring);
    t->ring = r;
    t->alloc = alloc;
    return 0;
}

/* Takes the caller's ref on e->msg. */
static int ring_append(tl_topic *t, const struct tl_entry *e)
{
    uint64_t ring_max = t->cache->store->ring_max;
    if (t->count == t->alloc && t->alloc < ring_max && ring_grow(t, ring_max) < 0) {
        grpc_slice_unref(e->msg);
        return -ENOMEM;
    }
    struct tl_entry *slot = &t->ring[t->end % t->alloc];
    if (t->count == t->alloc)
        grpc_slice_unref(slot->msg); /* the oldest entry leaves the ring */
    else
        t->count++;
    *slot = *e;
    t->end++;
    return 0;
}

static void notify(tl_topic *t)
{
    for (struct tl_watcher *w = t->watchers.next, *next; w != &t->watchers; w = next) {
        next = w->next; /* fn may unwatch w */
        w->fn(w);
    }
}

int tl_topic_publish(tl_topic *t, bool binary, const uint8_t *value, size_t len,
                     struct tl_published *ret)
{
    const tl_store *s = t->cache->store;
    return tl_topic_publish_as(t, binary, value, len, s->publisher_id, s->publisher_id_len, ret);
}

int tl_topic_publish_as(tl_topic *t, bool binary, const uint8_t *value, size_t len,
                        const char *pid, size_t pid_len, struct tl_published *ret)
{
    const tl_store *s = t->cache->store;
    struct tl_published res = {.seq = t->next_seq, .page = t->page};
    uint64_t mono = s->o.window_us ? mo_mono_us() : 0;
    struct tl_entry e = {.page = t->page, .seq = t->next_seq, .at_us = mono};
    t->published++;
    if (s->o.drop_every && t->published % s->o.drop_every == 0) {
        e.kind = TL_ENTRY_DROP;
        e.msg = tl_store_discontinuity(
            s, &(struct tl_start){.last = e.seq - 1, .new_seq = e.seq, .page = e.page});
        res.dropped = true;
    } else {
        e.kind = TL_ENTRY_ITEM;
        e.msg = tl_wire_item(e.seq, e.page, binary, value, len, pid, pid_len);
    }
    int r = ring_append(t, &e);
    if (r < 0)
        return r;
    t->next_seq++;

    if (s->o.reset_after && res.seq >= s->o.reset_after) {
        uint64_t now = now_s();
        uint64_t page = now > t->page ? now : t->page + 1;
        struct tl_entry reset = {
            .kind = TL_ENTRY_RESET,
            .page = page,
            .at_us = mono,
            .msg = tl_store_discontinuity(
                s, &(struct tl_start){.last = res.seq, .new_seq = 0, .page = page}),
        };
        r = ring_append(t, &reset);
        if (r < 0)
            return r;
        t->page = page;
        t->next_seq = 1;
        t->page_first = t->end;
        res.new_page = page;
    }
    notify(t);
    if (ret)
        *ret = res;
    return 0;
}

/* Entries appended before this monotonic time are outside the replay
 * window; 0 when there is no window (or it reaches back before the clock). */
static uint64_t window_cutoff(const tl_topic *t)
{
    uint64_t window = t->cache->store->o.window_us;
    uint64_t now = window ? mo_mono_us() : 0;
    return now > window ? now - window : 0;
}

/* The first position in [from, end) whose entry is inside the replay window
 * (end if none): entries are appended in time order, so a binary search. */
static uint64_t window_start(const tl_topic *t, uint64_t from)
{
    uint64_t cutoff = window_cutoff(t), lo = from, hi = t->end;
    if (!cutoff)
        return from;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (tl_topic_entry(t, mid)->at_us < cutoff)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

bool tl_topic_gone(const tl_topic *t, uint64_t pos)
{
    return pos < tl_topic_oldest(t) ||
           (pos < t->end && tl_topic_entry(t, pos)->at_us < window_cutoff(t));
}

/* The oldest position of the current page that a resume may start from:
 * the last `replay` entries, inside the replay window, and never before the
 * page began. */
static uint64_t replay_start(const tl_topic *t)
{
    uint64_t keep = t->cache->store->o.replay;
    if (keep > t->count)
        keep = t->count;
    uint64_t start = t->end - keep;
    if (start < t->page_first)
        start = t->page_first;
    return window_start(t, start);
}

void tl_topic_resume(const tl_topic *t, uint64_t seq, uint64_t page, struct tl_start *ret)
{
    uint64_t latest = t->next_seq - 1;
    *ret = (struct tl_start){.pos = t->end};
    if (t->cache->store->o.announce_page && page != t->page && t->published > 0) {
        /* no page (0, whatever resume_at says: a number on an unknown page
         * means nothing), or one the topic no longer has, on a topic with
         * messages: tell the page and where it stands, then live
         * (src/proto/README.md §6.1) */
        *ret = (struct tl_start){.pos = t->end, .disc = true, .last = seq ? seq - 1 : 0,
                                 .new_seq = latest, .page = t->page};
        return;
    }
    if (seq == 0)
        return; /* live only */
    uint64_t start = replay_start(t);
    uint64_t oldest_seq = start - t->page_first + 1; /* S */
    if ((page != 0 && page != t->page) || seq < oldest_seq) {
        /* another page, or older than what is kept: from the oldest kept */
        *ret = (struct tl_start){.pos = start, .disc = true, .last = seq - 1,
                                 .new_seq = oldest_seq - 1, .page = t->page};
    } else if (seq > latest + 1) {
        /* in the future: live, after saying where the topic really is */
        *ret = (struct tl_start){.pos = t->end, .disc = true, .last = seq - 1,
                                 .new_seq = latest, .page = t->page};
    } else {
        ret->pos = t->page_first + seq - 1; /* inclusive */
    }
}

void tl_topic_catch_up(const tl_topic *t, uint64_t last, struct tl_start *ret)
{
    uint64_t pos = window_start(t, tl_topic_oldest(t));
    *ret = (struct tl_start){.pos = pos, .disc = true, .last = last};
    if (pos == t->end) {
        ret->new_seq = t->next_seq - 1;
        ret->page = t->page;
        return;
    }
    const struct tl_entry *e = tl_topic_entry(t, pos);
    ret->page = e->page;
    if (e->kind == TL_ENTRY_RESET) {
        ret->new_seq = 0; /* our own discontinuity says it; skip the marker */
        ret->pos++;
    } else {
        ret->new_seq = e->seq - 1;
    }
}

void tl_topic_watch(tl_topic *t, struct tl_watcher *w)
{
    w->next = &t->watchers;
    w->prev = t->watchers.prev;
    t->watchers.prev->next = w;
    t->watchers.prev = w;
}

void tl_topic_unwatch(tl_topic *t, struct tl_watcher *w)
{
    (void)t;
    if (!w->next)
        return;
    w->prev->next = w->next;
    w->next->prev = w->prev;
    w->next = w->prev = NULL;
}
