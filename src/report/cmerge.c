/* cmerge.c - add canary events into per-host and per-peer groups; rows. */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmerge.h"

enum { SENT, RECEIVED, LOST, LATE, DUPLICATES, OUT_OF_ORDER, AFTER_DEADLINE, PUBLISH_ERRORS, N_COUNTS };

/* A canary group is (host, cache, topic); a peer group (source, peer host, ""). */
struct group {
    char *key[3];
    uint64_t events, n[N_COUNTS]; /* a peer group uses RECEIVED and LOST */
    bool has_bound;
    uint64_t bound_us;
    mo_hist *hist;
};

/* Groups in insertion order, found by an open-addressing hash of their key:
 * a fleet's canaries are many hosts, each event looks its group up. */
struct table {
    struct group **g;
    size_t n, cap;
    size_t *slot; /* index + 1 into g; 0 is empty */
    size_t nslots;
};

/* The host a source's canary events name; `several` when they name more. */
struct source {
    char *source, *host;
    bool several;
};

struct lr_cmerge {
    struct table canary, peer;
    struct source *src;
    size_t n_src, cap_src, last_src;
    uint64_t n_canary, n_peer;
    /* the last report's, freed with the next */
    struct lr_canary_row *rows;
    struct lr_peer_row *peers;
    mo_hist **hists;
    size_t n_hists;
};

static uint64_t hash_key(const char *const k[3])
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (int i = 0; i < 3; i++) {
        for (const unsigned char *p = (const unsigned char *)k[i]; *p; p++)
            h = (h ^ *p) * 1099511628211ULL;
        h = (h ^ 0xff) * 1099511628211ULL; /* separator: "a/bc" is not "ab/c" */
    }
    return h;
}

static int cmp_keys(const char *const a[3], const char *const b[3])
{
    for (int i = 0; i < 3; i++) {
        int c = strcmp(a[i], b[i]);
        if (c)
            return c;
    }
    return 0;
}

static void slot_put(size_t *slot, size_t nslots, const struct group *g, size_t index)
{
    size_t s = hash_key((const char *const *)g->key) & (nslots - 1);
    while (slot[s])
        s = (s + 1) & (nslots - 1);
    slot[s] = index + 1;
}

static int table_rehash(struct table *t, size_t nslots)
{
    size_t *slot = calloc(nslots, sizeof *slot);
    if (!slot)
        return -ENOMEM;
    for (size_t i = 0; i < t->n; i++)
        slot_put(slot, nslots, t->g[i], i);
    free(t->slot);
    t->slot = slot;
    t->nslots = nslots;
    return 0;
}

static void group_free(struct group *g)
{
    if (!g)
        return;
    for (int i = 0; i < 3; i++)
        free(g->key[i]);
    mo_hist_free(g->hist);
    free(g);
}

/* The group of a key, created when new; NULL on ENOMEM. */
static struct group *table_get(struct table *t, const char *a, const char *b, const char *c)
{
    const char *const key[3] = {a, b, c};
    if (t->nslots) {
        size_t s = hash_key(key) & (t->nslots - 1);
        for (; t->slot[s]; s = (s + 1) & (t->nslots - 1))
            if (cmp_keys((const char *const *)t->g[t->slot[s] - 1]->key, key) == 0)
                return t->g[t->slot[s] - 1];
    }
    if ((t->n + 1) * 2 > t->nslots && table_rehash(t, t->nslots ? t->nslots * 2 : 32) < 0)
        return NULL;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        struct group **g = realloc(t->g, cap * sizeof *g);
        if (!g)
            return NULL;
        t->g = g;
        t->cap = cap;
    }
    struct group *g = calloc(1, sizeof *g);
    if (!g || !(g->key[0] = strdup(a)) || !(g->key[1] = strdup(b)) || !(g->key[2] = strdup(c)) ||
        mo_hist_new(&g->hist) < 0) {
        group_free(g);
        return NULL;
    }
    slot_put(t->slot, t->nslots, g, t->n);
    t->g[t->n++] = g;
    return g;
}

static void table_clear(struct table *t)
{
    for (size_t i = 0; i < t->n; i++)
        group_free(t->g[i]);
    free(t->g);
    free(t->slot);
}

int lr_cmerge_new(lr_cmerge **ret)
{
    lr_cmerge *m = calloc(1, sizeof *m);
    if (!m)
        return -ENOMEM;
    *ret = m;
    return 0;
}

static void free_rows(lr_cmerge *m)
{
    for (size_t i = 0; i < m->n_hists; i++)
        mo_hist_free(m->hists[i]);
    free(m->hists);
    free(m->rows);
    free(m->peers);
    m->hists = NULL;
    m->rows = NULL;
    m->peers = NULL;
    m->n_hists = 0;
}

void lr_cmerge_free(lr_cmerge *m)
{
    if (!m)
        return;
    free_rows(m);
    table_clear(&m->canary);
    table_clear(&m->peer);
    for (size_t i = 0; i < m->n_src; i++) {
        free(m->src[i].source);
        free(m->src[i].host);
    }
    free(m->src);
    free(m);
}

static struct source *find_source(lr_cmerge *m, const char *source)
{
    /* events come in runs from one source: try the last one first */
    if (m->n_src && strcmp(m->src[m->last_src].source, source) == 0)
        return &m->src[m->last_src];
    for (size_t i = 0; i < m->n_src; i++) {
        if (strcmp(m->src[i].source, source) == 0) {
            m->last_src = i;
            return &m->src[i];
        }
    }
    return NULL;
}

int lr_cmerge_note_source(lr_cmerge *m, const char *source, const char *host)
{
    struct source *s = find_source(m, source);
    if (s) {
        s->several = s->several || strcmp(s->host, host) != 0;
        return 0;
    }
    if (m->n_src == m->cap_src) {
        size_t cap = m->cap_src ? m->cap_src * 2 : 8;
        struct source *n = realloc(m->src, cap * sizeof *n);
        if (!n)
            return -ENOMEM;
        m->src = n;
        m->cap_src = cap;
    }
    s = &m->src[m->n_src];
    *s = (struct source){.source = strdup(source), .host = strdup(host)};
    if (!s->source || !s->host) {
        free(s->source);
        free(s->host);
        return -ENOMEM;
    }
    m->last_src = m->n_src++;
    return 0;
}

int lr_cmerge_add(lr_cmerge *m, const struct lr_canary *c)
{
    struct group *g = table_get(&m->canary, c->host, c->cache, c->topic);
    if (!g)
        return -ENOMEM;
    const uint64_t v[N_COUNTS] = {
        [SENT] = c->sent,
        [RECEIVED] = c->received,
        [LOST] = c->lost,
        [LATE] = c->late,
        [DUPLICATES] = c->duplicates,
        [OUT_OF_ORDER] = c->out_of_order,
        [AFTER_DEADLINE] = c->after_deadline,
        [PUBLISH_ERRORS] = c->publish_errors,
    };
    for (int i = 0; i < N_COUNTS; i++)
        g->n[i] += v[i];
    g->events++;
    mo_hist_merge(g->hist, c->hist);
    m->n_canary++;
    free_rows(m); /* stale */
    return 0;
}

int lr_cmerge_add_peer(lr_cmerge *m, const struct lr_canary_peer *p)
{
    struct group *g = table_get(&m->peer, p->source ? p->source : "", p->host, "");
    if (!g)
        return -ENOMEM;
    g->n[RECEIVED] += p->received;
    g->n[LOST] += p->lost;
    if (p->has_bound && (!g->has_bound || p->bound_us > g->bound_us))
        g->bound_us = p->bound_us;
    g->has_bound = g->has_bound || p->has_bound;
    g->events++;
    mo_hist_merge(g->hist, p->hist);
    m->n_peer++;
    free_rows(m);
    return 0;
}

bool lr_cmerge_availability(uint64_t received, uint64_t late, uint64_t lost, uint64_t *ppm)
{
    unsigned __int128 den = (unsigned __int128)received + lost;
    *ppm = 0;
    if (den == 0)
        return false;
    unsigned __int128 num = (unsigned __int128)(late < received ? received - late : 0) * 1000000u;
    *ppm = (uint64_t)(num / den);
    return true;
}

static void fill_latency(const mo_hist *h, int64_t *min, int64_t *p50, int64_t *p90, int64_t *p99,
                         int64_t *p999, int64_t *max)
{
    *min = mo_hist_min(h);
    *max = mo_hist_max(h);
    *p50 = mo_hist_quantile(h, 0.50);
    *p90 = mo_hist_quantile(h, 0.90);
    *p99 = mo_hist_quantile(h, 0.99);
    *p999 = mo_hist_quantile(h, 0.999);
}

static void canary_row(struct lr_canary_row *r, const struct group *g, const mo_hist *h)
{
    if (g) {
        r->host = g->key[0];
        r->cache = g->key[1];
        r->topic = g->key[2];
        r->events = g->events;
        r->sent = g->n[SENT];
        r->received = g->n[RECEIVED];
        r->lost = g->n[LOST];
        r->late = g->n[LATE];
        r->duplicates = g->n[DUPLICATES];
        r->out_of_order = g->n[OUT_OF_ORDER];
        r->after_deadline = g->n[AFTER_DEADLINE];
        r->publish_errors = g->n[PUBLISH_ERRORS];
    }
    r->has_availability = lr_cmerge_availability(r->received, r->late, r->lost, &r->availability_ppm);
    r->hist = h;
    fill_latency(h, &r->min_us, &r->p50_us, &r->p90_us, &r->p99_us, &r->p999_us, &r->max_us);
}

static int cmp_group(const void *pa, const void *pb)
{
    const struct group *a = *(struct group *const *)pa, *b = *(struct group *const *)pb;
    return cmp_keys((const char *const *)a->key, (const char *const *)b->key);
}

/* A peer group with the name of its reporter, for sorting. */
struct named {
    const char *reporter;
    const struct group *g;
};

static int cmp_named(const void *pa, const void *pb)
{
    const struct named *a = pa, *b = pb;
    int c = strcmp(a->reporter, b->reporter);
    return c ? c : strcmp(a->g->key[1], b->g->key[1]);
}

static const char *reporter_of(lr_cmerge *m, const char *source)
{
    const struct source *s = find_source(m, source);
    return s && !s->several ? s->host : source;
}

static mo_hist *row_hist(lr_cmerge *m)
{
    mo_hist *h;
    if (mo_hist_new(&h) < 0)
        return NULL;
    m->hists[m->n_hists++] = h;
    return h;
}

static int peer_rows(lr_cmerge *m, size_t *n_rows)
{
    size_t n = m->peer.n;
    struct named *v = calloc(n ? n : 1, sizeof *v);
    if (!v)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++)
        v[i] = (struct named){reporter_of(m, m->peer.g[i]->key[0]), m->peer.g[i]};
    qsort(v, n, sizeof *v, cmp_named);
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        struct lr_peer_row *r = &m->peers[k++];
        mo_hist *h = row_hist(m);
        if (!h) {
            free(v);
            return -ENOMEM;
        }
        *r = (struct lr_peer_row){.reporter = v[i].reporter, .host = v[i].g->key[1], .hist = h};
        for (; i < n && strcmp(v[i].reporter, r->reporter) == 0 && strcmp(v[i].g->key[1], r->host) == 0;
             i++) {
            const struct group *g = v[i].g;
            r->events += g->events;
            r->received += g->n[RECEIVED];
            r->lost += g->n[LOST];
            if (g->has_bound && (!r->has_bound || g->bound_us > r->bound_us))
                r->bound_us = g->bound_us;
            r->has_bound = r->has_bound || g->has_bound;
            mo_hist_merge(h, g->hist);
        }
        fill_latency(h, &r->min_us, &r->p50_us, &r->p90_us, &r->p99_us, &r->p999_us, &r->max_us);
    }
    free(v);
    *n_rows = k;
    return 0;
}

int lr_cmerge_report(lr_cmerge *m, struct lr_canary_report *ret)
{
    free_rows(m);
    struct table *t = &m->canary;
    m->rows = calloc(t->n + 1, sizeof *m->rows);
    m->peers = calloc(m->peer.n + 1, sizeof *m->peers);
    m->hists = calloc(m->peer.n + 1, sizeof *m->hists);
    if (!m->rows || !m->peers || !m->hists)
        goto oom;
    if (t->n) {
        qsort(t->g, t->n, sizeof *t->g, cmp_group);
        if (table_rehash(t, t->nslots) < 0) /* the slots hold indexes */
            goto oom;
    }
    *ret = (struct lr_canary_report){.rows = m->rows, .n_rows = t->n, .peers = m->peers,
                                     .n_canary = m->n_canary, .n_peer = m->n_peer};
    mo_hist *all = t->n ? row_hist(m) : NULL;
    if (t->n && !all)
        goto oom;
    struct lr_canary_row sum = {0};
    for (size_t i = 0; i < t->n; i++) {
        const struct group *g = t->g[i];
        canary_row(&m->rows[i], g, g->hist);
        const struct lr_canary_row *r = &m->rows[i];
        sum.events += r->events;
        sum.sent += r->sent;
        sum.received += r->received;
        sum.lost += r->lost;
        sum.late += r->late;
        sum.duplicates += r->duplicates;
        sum.out_of_order += r->out_of_order;
        sum.after_deadline += r->after_deadline;
        sum.publish_errors += r->publish_errors;
        mo_hist_merge(all, g->hist);
        if (i == 0 || strcmp(g->key[0], t->g[i - 1]->key[0]) != 0)
            ret->n_hosts++;
        bool seen = false; /* a topic of an earlier row: few rows, a scan is enough */
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(t->g[j]->key[1], g->key[1]) == 0 && strcmp(t->g[j]->key[2], g->key[2]) == 0;
        ret->n_topics += !seen;
    }
    if (all) {
        m->rows[t->n] = sum;
        canary_row(&m->rows[t->n], NULL, all);
        ret->all = &m->rows[t->n];
    }
    if (peer_rows(m, &ret->n_peers) < 0)
        goto oom;
    return 0;
oom:
    free_rows(m);
    return -ENOMEM;
}
