/* merge.c - add summaries into per-topic (and per-host) groups; rows with totals. */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "keytable.h"
#include "merge.h"

/* A group's key: host (NULL in the table that merges hosts), cache, topic. */
enum { HOST, CACHE, TOPIC };

struct group {
    struct lr_group k;
    struct lr_row acc; /* counters only */
};

struct lr_merge {
    bool by_host;
    struct lr_keytable fleet; /* per (cache, topic) */
    struct lr_keytable split; /* per (host, cache, topic), with by_host */
    char **hosts;             /* distinct host names */
    unsigned *host_sources;   /* the clock sources each named */
    size_t n_hosts, cap_hosts, last_host;
    bool has_clock;
    uint64_t n_summaries;
    int64_t first_us, last_us;
    struct lr_row *rows;
    size_t n_rows;
    mo_hist **totals; /* the total rows' histograms */
    size_t n_totals;
    struct lr_host_clock *host_clocks;
};

static struct group *group_of(struct lr_group *k) { return k ? container_of(k, struct group, k) : NULL; }

int lr_merge_new(bool by_host, lr_merge **ret)
{
    lr_merge *m = calloc(1, sizeof *m);
    if (!m)
        return -ENOMEM;
    m->by_host = by_host;
    lr_keytable_init(&m->fleet, sizeof(struct group));
    lr_keytable_init(&m->split, sizeof(struct group));
    *ret = m;
    return 0;
}

static void free_rows(lr_merge *m)
{
    for (size_t i = 0; i < m->n_totals; i++)
        mo_hist_free(m->totals[i]);
    free(m->totals);
    free(m->rows);
    free(m->host_clocks);
    m->totals = NULL;
    m->rows = NULL;
    m->host_clocks = NULL;
    m->n_totals = m->n_rows = 0;
}

void lr_merge_free(lr_merge *m)
{
    if (!m)
        return;
    free_rows(m);
    lr_keytable_clear(&m->fleet);
    lr_keytable_clear(&m->split);
    for (size_t i = 0; i < m->n_hosts; i++)
        free(m->hosts[i]);
    free(m->hosts);
    free(m->host_sources);
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
        unsigned *src = realloc(m->host_sources, cap * sizeof *src);
        if (!src)
            return -ENOMEM;
        m->host_sources = src;
        m->cap_hosts = cap;
    }
    if (!(m->hosts[m->n_hosts] = strdup(host)))
        return -ENOMEM;
    m->host_sources[m->n_hosts] = 0;
    m->last_host = m->n_hosts++;
    return 0;
}

/* *v becomes the larger of two bounds, each known or not. */
static void bound_max(bool *has, uint64_t *v, bool other_has, uint64_t other)
{
    if (other_has && (!*has || other > *v))
        *v = other;
    *has = *has || other_has;
}

static void clock_add(struct lr_row *a, const struct lr_row *t)
{
    bound_max(&a->has_clock_bound, &a->clock_bound_us, t->has_clock_bound, t->clock_bound_us);
    bound_max(&a->has_publisher_bound, &a->publisher_bound_us, t->has_publisher_bound, t->publisher_bound_us);
    a->skewed += t->skewed;
    a->clock_sources |= t->clock_sources;
}

int64_t lr_row_bound_us(const struct lr_row *r, bool *partial)
{
    *partial = r->has_clock_bound && !r->has_publisher_bound;
    if (!r->has_clock_bound)
        return -1;
    uint64_t pub = r->has_publisher_bound ? r->publisher_bound_us : 0, sum = r->clock_bound_us + pub;
    return sum < pub || sum > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)sum; /* saturated */
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
    clock_add(a, &(const struct lr_row){.has_clock_bound = s->has_clock_bound,
                                        .clock_bound_us = s->clock_bound_us,
                                        .has_publisher_bound = s->has_publisher_bound,
                                        .publisher_bound_us = s->publisher_bound_us,
                                        .skewed = s->skewed,
                                        .clock_sources = s->clock_source});
    mo_hist_merge(g->k.hist, s->hist);
}

int lr_merge_add(lr_merge *m, const struct lr_summary *s)
{
    const char *host = s->host ? s->host : "";
    struct group *f = group_of(lr_keytable_get(&m->fleet, NULL, s->cache, s->topic));
    struct group *h = m->by_host ? group_of(lr_keytable_get(&m->split, host, s->cache, s->topic)) : NULL;
    if (!f || (m->by_host && !h) || note_host(m, host) < 0)
        return -ENOMEM;
    acc_add(f, s);
    if (h)
        acc_add(h, s);
    m->host_sources[m->last_host] |= s->clock_source;
    m->has_clock = m->has_clock || s->clock_source || s->has_clock_bound || s->has_publisher_bound ||
                   s->skewed;
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
    r->host = g->k.key[HOST];
    r->cache = g->k.key[CACHE];
    r->topic = g->k.key[TOPIC];
    r->rate = r->covered_s > 0 ? (double)r->messages / r->covered_s : 0;
    fill_latency(r, g->k.hist);
}

/* A total over groups[from, to): sums, and the sum of their rates. */
static int total_row(lr_merge *m, struct lr_row *r, struct lr_group *const *groups, size_t from, size_t to,
                     const char *host)
{
    mo_hist *h;
    if (mo_hist_new(&h) < 0)
        return -ENOMEM;
    m->totals[m->n_totals++] = h;
    *r = (struct lr_row){.host = host};
    for (size_t i = from; i < to; i++) {
        struct lr_row t;
        topic_row(&t, group_of(groups[i]));
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
        clock_add(r, &t);
        mo_hist_merge(h, groups[i]->hist);
    }
    fill_latency(r, h);
    return 0;
}

static int cmp_host_clock(const void *a, const void *b)
{
    return strcmp(((const struct lr_host_clock *)a)->host, ((const struct lr_host_clock *)b)->host);
}

int lr_merge_report(lr_merge *m, struct lr_report *ret)
{
    free_rows(m);
    struct lr_keytable *t = m->by_host ? &m->split : &m->fleet;
    size_t max_rows = t->n + m->n_hosts + 1;
    m->rows = calloc(max_rows, sizeof *m->rows);
    m->totals = calloc(m->n_hosts + 1, sizeof *m->totals);
    m->host_clocks = calloc(m->n_hosts + 1, sizeof *m->host_clocks);
    if (!m->rows || !m->totals || !m->host_clocks) {
        free_rows(m);
        return -ENOMEM;
    }
    for (size_t i = 0; i < m->n_hosts; i++)
        m->host_clocks[i] = (struct lr_host_clock){.host = m->hosts[i], .clock_sources = m->host_sources[i]};
    qsort(m->host_clocks, m->n_hosts, sizeof *m->host_clocks, cmp_host_clock);
    if (lr_keytable_sort(&m->fleet) < 0 || (m->by_host && lr_keytable_sort(&m->split) < 0))
        goto oom;
    size_t n = 0;
    for (size_t i = 0; i < t->n;) {
        size_t j = i;
        while (j < t->n && cmp_str(t->g[j]->key[HOST], t->g[i]->key[HOST]) == 0)
            topic_row(&m->rows[n++], group_of(t->g[j++]));
        if (m->by_host && total_row(m, &m->rows[n++], t->g, i, j, t->g[i]->key[HOST]) < 0)
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
        .host_clocks = m->host_clocks,
        .has_clock = m->has_clock,
    };
    return 0;
oom:
    free_rows(m);
    return -ENOMEM;
}
