/* merge.c - add summaries into per-topic (and per-host) groups; rows with totals. */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "merge.h"

struct group {
    char *host; /* NULL in the table that merges hosts */
    char *cache, *topic;
    struct lr_row acc; /* counters only */
    mo_hist *hist;
};

/* Groups in insertion order, found by an open-addressing hash of their key:
 * a fleet log holds many topics and every summary looks its group up. */
struct table {
    struct group **g;
    size_t n, cap;
    size_t *slot; /* index + 1 into g; 0 is empty */
    size_t nslots;
};

struct lr_merge {
    bool by_host;
    struct table fleet; /* per (cache, topic) */
    struct table split; /* per (host, cache, topic), with by_host */
    char **hosts;       /* distinct host names */
    size_t n_hosts, cap_hosts, last_host;
    uint64_t n_summaries;
    int64_t first_us, last_us;
    struct lr_row *rows;
    size_t n_rows;
    mo_hist **totals; /* the total rows' histograms */
    size_t n_totals;
};

static uint64_t hash_key(const char *host, const char *cache, const char *topic)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    const char *parts[3] = {host ? host : "", cache, topic};
    for (int i = 0; i < 3; i++) {
        for (const unsigned char *p = (const unsigned char *)parts[i]; *p; p++)
            h = (h ^ *p) * 1099511628211ULL;
        h = (h ^ 0xff) * 1099511628211ULL; /* separator: "a/bc" is not "ab/c" */
    }
    return h;
}

static bool same(const struct group *g, const char *host, const char *cache, const char *topic)
{
    return (host ? g->host && strcmp(g->host, host) == 0 : !g->host) && strcmp(g->cache, cache) == 0 &&
           strcmp(g->topic, topic) == 0;
}

static int table_rehash(struct table *t, size_t nslots)
{
    size_t *slot = calloc(nslots, sizeof *slot);
    if (!slot)
        return -ENOMEM;
    for (size_t i = 0; i < t->n; i++) {
        struct group *g = t->g[i];
        size_t s = hash_key(g->host, g->cache, g->topic) & (nslots - 1);
        while (slot[s])
            s = (s + 1) & (nslots - 1);
        slot[s] = i + 1;
    }
    free(t->slot);
    t->slot = slot;
    t->nslots = nslots;
    return 0;
}

static void group_free(struct group *g)
{
    if (!g)
        return;
    free(g->host);
    free(g->cache);
    free(g->topic);
    mo_hist_free(g->hist);
    free(g);
}

/* The group of a key, created when new; NULL on ENOMEM. */
static struct group *table_get(struct table *t, const char *host, const char *cache, const char *topic)
{
    if (t->nslots) {
        size_t s = hash_key(host, cache, topic) & (t->nslots - 1);
        for (; t->slot[s]; s = (s + 1) & (t->nslots - 1))
            if (same(t->g[t->slot[s] - 1], host, cache, topic))
                return t->g[t->slot[s] - 1];
    }
    if ((t->n + 1) * 2 > t->nslots && table_rehash(t, t->nslots ? t->nslots * 2 : 64) < 0)
        return NULL;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 32;
        struct group **g = realloc(t->g, cap * sizeof *g);
        if (!g)
            return NULL;
        t->g = g;
        t->cap = cap;
    }
    struct group *g = calloc(1, sizeof *g);
    if (!g || (host && !(g->host = strdup(host))) || !(g->cache = strdup(cache)) ||
        !(g->topic = strdup(topic)) || mo_hist_new(&g->hist) < 0) {
        group_free(g);
        return NULL;
    }
    t->g[t->n++] = g;
    size_t s = hash_key(host, cache, topic) & (t->nslots - 1);
    while (t->slot[s])
        s = (s + 1) & (t->nslots - 1);
    t->slot[s] = t->n;
    return g;
}

static void table_clear(struct table *t)
{
    for (size_t i = 0; i < t->n; i++)
        group_free(t->g[i]);
    free(t->g);
    free(t->slot);
}

int lr_merge_new(bool by_host, lr_merge **ret)
{
    lr_merge *m = calloc(1, sizeof *m);
    if (!m)
        return -ENOMEM;
    m->by_host = by_host;
    *ret = m;
    return 0;
}

static void free_rows(lr_merge *m)
{
    for (size_t i = 0; i < m->n_totals; i++)
        mo_hist_free(m->totals[i]);
    free(m->totals);
    free(m->rows);
    m->totals = NULL;
    m->rows = NULL;
    m->n_totals = m->n_rows = 0;
}

void lr_merge_free(lr_merge *m)
{
    if (!m)
        return;
    free_rows(m);
    table_clear(&m->fleet);
    table_clear(&m->split);
    for (size_t i = 0; i < m->n_hosts; i++)
        free(m->hosts[i]);
    free(m->hosts);
    free(m);
}

static int note_host(lr_merge *m, const char *host)
{
    /* summaries come in runs from one host: try the last one first */
    if (m->n_hosts && strcmp(m->hosts[m->last_host], host) == 0)
        return 0;
    for (size_t i = 0; i < m->n_hosts; i++) {
        if (strcmp(m->hosts[i], host) == 0) {
            m->last_host = i;
            return 0;
        }
    }
    if (m->n_hosts == m->cap_hosts) {
        size_t cap = m->cap_hosts ? m->cap_hosts * 2 : 8;
        char **h = realloc(m->hosts, cap * sizeof *h);
        if (!h)
            return -ENOMEM;
        m->hosts = h;
        m->cap_hosts = cap;
    }
    if (!(m->hosts[m->n_hosts] = strdup(host)))
        return -ENOMEM;
    m->last_host = m->n_hosts++;
    return 0;
}

static void acc_add(struct group *g, const struct lr_summary *s)
{
    struct lr_row *a = &g->acc;
    a->summaries++;
    a->messages += s->count;
    a->measured += mo_hist_count(s->hist);
    a->negative += s->negative;
    a->decode_errors += s->decode_errors;
    a->protocol_errors += s->protocol_errors;
    a->gaps += s->gaps;
    a->duplicates += s->duplicates;
    a->discontinuities += s->discontinuities;
    a->lost += s->lost;
    a->resets += s->resets;
    a->reconnects += s->reconnects;
    a->log_dropped += s->log_dropped;
    a->warnings_dropped += s->warnings_dropped;
    a->covered_s += s->interval_s;
    mo_hist_merge(g->hist, s->hist);
}

int lr_merge_add(lr_merge *m, const struct lr_summary *s)
{
    const char *host = s->host ? s->host : "";
    struct group *f = table_get(&m->fleet, NULL, s->cache, s->topic);
    struct group *h = m->by_host ? table_get(&m->split, host, s->cache, s->topic) : NULL;
    if (!f || (m->by_host && !h) || note_host(m, host) < 0)
        return -ENOMEM;
    acc_add(f, s);
    if (h)
        acc_add(h, s);
    int64_t start = s->ts_us - (int64_t)(s->interval_s * 1e6);
    if (m->n_summaries == 0 || start < m->first_us)
        m->first_us = start;
    if (m->n_summaries == 0 || s->ts_us > m->last_us)
        m->last_us = s->ts_us;
    m->n_summaries++;
    free_rows(m); /* stale */
    return 0;
}

static int cmp_str(const char *a, const char *b) { return strcmp(a ? a : "", b ? b : ""); }

static int cmp_group(const void *pa, const void *pb)
{
    const struct group *a = *(struct group *const *)pa, *b = *(struct group *const *)pb;
    int c = cmp_str(a->host, b->host);
    if (!c)
        c = strcmp(a->cache, b->cache);
    return c ? c : strcmp(a->topic, b->topic);
}

static void fill_latency(struct lr_row *r, const mo_hist *h)
{
    r->hist = h;
    r->measured = mo_hist_count(h);
    r->min_us = mo_hist_min(h);
    r->max_us = mo_hist_max(h);
    r->p50_us = mo_hist_quantile(h, 0.50);
    r->p90_us = mo_hist_quantile(h, 0.90);
    r->p99_us = mo_hist_quantile(h, 0.99);
    r->p999_us = mo_hist_quantile(h, 0.999);
}

static void topic_row(struct lr_row *r, const struct group *g)
{
    *r = g->acc;
    r->host = g->host;
    r->cache = g->cache;
    r->topic = g->topic;
    r->rate = r->covered_s > 0 ? (double)r->messages / r->covered_s : 0;
    fill_latency(r, g->hist);
}

/* A total over groups[from, to): sums, and the sum of their rates. */
static int total_row(lr_merge *m, struct lr_row *r, struct group **groups, size_t from, size_t to,
                     const char *host)
{
    mo_hist *h;
    if (mo_hist_new(&h) < 0)
        return -ENOMEM;
    m->totals[m->n_totals++] = h;
    *r = (struct lr_row){.host = host};
    for (size_t i = from; i < to; i++) {
        struct lr_row t;
        topic_row(&t, groups[i]);
        r->summaries += t.summaries;
        r->messages += t.messages;
        r->negative += t.negative;
        r->decode_errors += t.decode_errors;
        r->protocol_errors += t.protocol_errors;
        r->gaps += t.gaps;
        r->duplicates += t.duplicates;
        r->discontinuities += t.discontinuities;
        r->lost += t.lost;
        r->resets += t.resets;
        r->reconnects += t.reconnects;
        r->log_dropped += t.log_dropped;
        r->warnings_dropped += t.warnings_dropped;
        r->rate += t.rate;
        mo_hist_merge(h, groups[i]->hist);
    }
    fill_latency(r, h);
    return 0;
}

static int sort_table(struct table *t)
{
    if (t->n == 0)
        return 0;
    qsort(t->g, t->n, sizeof *t->g, cmp_group);
    /* the hash slots hold indexes: rebuild them for later additions */
    return table_rehash(t, t->nslots);
}

int lr_merge_report(lr_merge *m, struct lr_report *ret)
{
    free_rows(m);
    struct table *t = m->by_host ? &m->split : &m->fleet;
    size_t max_rows = t->n + m->n_hosts + 1;
    m->rows = calloc(max_rows, sizeof *m->rows);
    m->totals = calloc(m->n_hosts + 1, sizeof *m->totals);
    if (!m->rows || !m->totals) {
        free_rows(m);
        return -ENOMEM;
    }
    if (sort_table(&m->fleet) < 0 || (m->by_host && sort_table(&m->split) < 0))
        goto oom;
    size_t n = 0;
    for (size_t i = 0; i < t->n;) {
        size_t j = i;
        while (j < t->n && cmp_str(t->g[j]->host, t->g[i]->host) == 0)
            topic_row(&m->rows[n++], t->g[j++]);
        if (m->by_host && total_row(m, &m->rows[n++], t->g, i, j, t->g[i]->host) < 0)
            goto oom;
        i = j;
    }
    /* the grand total, from the table that merges hosts, as without --by-host */
    if (total_row(m, &m->rows[n++], m->fleet.g, 0, m->fleet.n, NULL) < 0)
        goto oom;
    m->n_rows = n;
    *ret = (struct lr_report){
        .rows = m->rows,
        .n_rows = n,
        .by_host = m->by_host,
        .n_hosts = m->n_hosts,
        .n_topics = m->fleet.n,
        .n_summaries = m->n_summaries,
        .first_us = m->first_us,
        .last_us = m->last_us,
    };
    return 0;
oom:
    free_rows(m);
    return -ENOMEM;
}
