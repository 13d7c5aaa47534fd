/* cmerge.c - add canary events into per-host and per-peer groups; rows. */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cmerge.h"
#include "keytable.h"

enum { SENT, RECEIVED, LOST, LATE, DUPLICATES, OUT_OF_ORDER, AFTER_DEADLINE, PUBLISH_ERRORS, N_COUNTS };

/* A canary group's key is (host, cache, topic); a peer group's (source, peer host, ""). */
struct group {
    struct lr_group k;
    uint64_t events, n[N_COUNTS]; /* a peer group uses RECEIVED and LOST */
    bool has_bound;
    uint64_t bound_us;
};

/* The host a source's canary events name; `several` when they name more. */
struct source {
    char *source, *host;
    bool several;
};

struct lr_cmerge {
    struct lr_keytable canary, peer;
    struct source *src;
    size_t n_src, cap_src, last_src;
    uint64_t n_canary, n_peer;
    /* the last report's, freed with the next */
    struct lr_canary_row *rows;
    struct lr_peer_row *peers;
    mo_hist **hists;
    size_t n_hists;
};

static struct group *group_of(struct lr_group *k) { return k ? container_of(k, struct group, k) : NULL; }

int lr_cmerge_new(lr_cmerge **ret)
{
    lr_cmerge *m = calloc(1, sizeof *m);
    if (!m)
        return -ENOMEM;
    lr_keytable_init(&m->canary, sizeof(struct group));
    lr_keytable_init(&m->peer, sizeof(struct group));
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
    lr_keytable_clear(&m->canary);
    lr_keytable_clear(&m->peer);
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
    struct group *g = group_of(lr_keytable_get(&m->canary, c->host, c->cache, c->topic));
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
    mo_hist_merge(g->k.hist, c->hist);
    m->n_canary++;
    free_rows(m); /* stale */
    return 0;
}

int lr_cmerge_add_peer(lr_cmerge *m, const struct lr_canary_peer *p)
{
    struct group *g = group_of(lr_keytable_get(&m->peer, p->source ? p->source : "", p->host, ""));
    if (!g)
        return -ENOMEM;
    g->n[RECEIVED] += p->received;
    g->n[LOST] += p->lost;
    if (p->has_bound && (!g->has_bound || p->bound_us > g->bound_us))
        g->bound_us = p->bound_us;
    g->has_bound = g->has_bound || p->has_bound;
    g->events++;
    mo_hist_merge(g->k.hist, p->hist);
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
        r->host = g->k.key[0];
        r->cache = g->k.key[1];
        r->topic = g->k.key[2];
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

/* A peer group with the name of its reporter, for sorting. */
struct named {
    const char *reporter;
    const struct group *g;
};

static int cmp_named(const void *pa, const void *pb)
{
    const struct named *a = pa, *b = pb;
    int c = strcmp(a->reporter, b->reporter);
    return c ? c : strcmp(a->g->k.key[1], b->g->k.key[1]);
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
        v[i] = (struct named){reporter_of(m, m->peer.g[i]->key[0]), group_of(m->peer.g[i])};
    qsort(v, n, sizeof *v, cmp_named);
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        struct lr_peer_row *r = &m->peers[k++];
        mo_hist *h = row_hist(m);
        if (!h) {
            free(v);
            return -ENOMEM;
        }
        *r = (struct lr_peer_row){.reporter = v[i].reporter, .host = v[i].g->k.key[1], .hist = h};
        for (; i < n && strcmp(v[i].reporter, r->reporter) == 0 && strcmp(v[i].g->k.key[1], r->host) == 0;
             i++) {
            const struct group *g = v[i].g;
            r->events += g->events;
            r->received += g->n[RECEIVED];
            r->lost += g->n[LOST];
            if (g->has_bound && (!r->has_bound || g->bound_us > r->bound_us))
                r->bound_us = g->bound_us;
            r->has_bound = r->has_bound || g->has_bound;
            mo_hist_merge(h, g->k.hist);
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
    struct lr_keytable *t = &m->canary;
    m->rows = calloc(t->n + 1, sizeof *m->rows);
    m->peers = calloc(m->peer.n + 1, sizeof *m->peers);
    m->hists = calloc(m->peer.n + 1, sizeof *m->hists);
    if (!m->rows || !m->peers || !m->hists)
        goto oom;
    if (lr_keytable_sort(t) < 0)
        goto oom;
    *ret = (struct lr_canary_report){.rows = m->rows, .n_rows = t->n, .peers = m->peers,
                                     .n_canary = m->n_canary, .n_peer = m->n_peer};
    mo_hist *all = t->n ? row_hist(m) : NULL;
    if (t->n && !all)
        goto oom;
    struct lr_canary_row sum = {0};
    for (size_t i = 0; i < t->n; i++) {
        const struct lr_group *k = t->g[i];
        canary_row(&m->rows[i], group_of(t->g[i]), k->hist);
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
        mo_hist_merge(all, k->hist);
        if (i == 0 || strcmp(k->key[0], t->g[i - 1]->key[0]) != 0)
            ret->n_hosts++;
        bool seen = false; /* a topic of an earlier row: few rows, a scan is enough */
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(t->g[j]->key[1], k->key[1]) == 0 && strcmp(t->g[j]->key[2], k->key[2]) == 0;
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
