/* config-check.c - what the configuration says across keys (config-int.h).
 *
 * After the walk: each subscription's decoder is completed key by key from
 * the entry, else from defaults:, else from the table; then the rules that
 * involve more than one key (a subscription needed, plaintext only with an
 * override, backoff_max >= backoff_initial, the binary window, no
 * subscription twice, the canary's cache, size, latency within its deadline
 * and a topic of its own). Each error points at the value that makes it so.
 * Last, an enabled canary's own subscription is appended to the list.
 */
#include <config.h> /* autoconf's, from the build directory */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "config/config-int.h"
#include "endpoint.h"
#include "timefmt.h"

static void mode_list(unsigned modes, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int m = 0; mo_config_decode_names[m]; m++)
        if (modes & (1u << m)) {
            bool last = !(modes >> (m + 1));
            used += (size_t)snprintf(buf + used, len - used, "%s%s",
                                     used ? (last ? " or " : ", ") : "",
                                     mo_config_decode_names[m]);
            if (used >= len)
                break;
        }
}

/* Completes subscription i's decoder: each key from the entry, else from
 * defaults:, else the table default. A key written in the entry that its mode
 * does not read is an error; an inherited one is simply not used. */
static void merge_decoder(struct mo_config_ctx *c, struct mo_config_target *t, size_t i)
{
    struct mo_decoder *d = &t->cfg.subs[i].decoder, *defaults = &t->defaults;
    const struct mo_config_written *at = mo_config_where(c, &t->cfg.subs[i], true);
    struct mo_config_mark sub_at = at ? at->key : (struct mo_config_mark){0};
    char path[MO_CONFIG_PATH_LEN];

    if (!mo_config_where(c, &d->mode, false))
        d->mode = defaults->mode;
    for (const struct mo_config_key *k = mo_config_ts_keys; k->name; k++) {
        void *own_dst = (char *)d + k->off;
        const void *inh_dst = (const char *)defaults + k->off;
        const struct mo_config_written *own = mo_config_where(c, own_dst, false);
        bool used = k->modes & (1u << d->mode);
        if (own && !used) {
            char modes[64];
            mode_list(k->modes, modes, sizeof modes);
            mo_config_path(path, "subscriptions[%zu].timestamp.%s", i, k->name);
            mo_config_add_error(c, own->key, path,
                                "%s applies only to decode: %s; this subscription decodes %s, so "
                                "remove it (or change decode)",
                                k->name, modes, mo_config_decode_names[d->mode]);
        }
        if (!used) /* what the mode does not read stays at its default */
            mo_config_put(c, k, own_dst, k->def);
        else if (!own) /* defaults: holds what it was given, else the default */
            memcpy(own_dst, inh_dst, k->size);
    }

    if (mo_decoder_set_field(d, d->field) < 0) { /* the walker's check should have caught it */
        const struct mo_config_written *own = mo_config_where(c, &d->field, false);
        const struct mo_config_written *inh = mo_config_where(c, &defaults->field, false);
        if (own)
            mo_config_path(path, "subscriptions[%zu].timestamp.field", i);
        else
            mo_config_path(path, "defaults.timestamp.field");
        mo_config_add_error(c, own ? own->val : inh ? inh->val : sub_at, path,
                            "the decoder rejects this value");
    }

    if (d->mode == MO_DECODE_BINARY) {
        size_t width = d->encoding == MO_BIN_U32BE || d->encoding == MO_BIN_U32LE ? 4 : 8;
        if (d->offset + width > MO_CONFIG_BIN_WINDOW) {
            const struct mo_config_written *src = mo_config_where(c, &d->offset, false);
            if (src)
                mo_config_path(path, "subscriptions[%zu].timestamp.offset", i);
            else
                mo_config_path(path, "defaults.timestamp.offset");
            if (!src)
                src = mo_config_where(c, &defaults->offset, false);
            mo_config_add_error(c, src ? src->val : sub_at, path,
                                "offset %zu plus the %zu bytes of %s ends past byte %d; the "
                                "timestamp must lie within the first %d bytes of the payload",
                                d->offset, width, mo_config_encoding_names[d->encoding],
                                MO_CONFIG_BIN_WINDOW, MO_CONFIG_BIN_WINDOW);
        }
    }
}

static int cmp_pair(const void *a, const void *b, void *userdata)
{
    const struct mo_sub_config *subs = userdata;
    const struct mo_sub_config *x = &subs[*(const size_t *)a], *y = &subs[*(const size_t *)b];
    int r = strcmp(x->cache, y->cache);
    if (r == 0)
        r = strcmp(x->topic, y->topic);
    if (r == 0)
        r = *(const size_t *)a < *(const size_t *)b ? -1 : 1;
    return r;
}

/* A (cache, topic) pair written twice: the later ones name the first. */
static void check_duplicates(struct mo_config_ctx *c, const struct mo_config *cfg)
{
    const struct mo_sub_config *subs = cfg->subs;
    _cleanup_free_ size_t *idx = malloc((cfg->n_subs + 1) * sizeof *idx);
    if (!idx) {
        c->oom = true;
        return;
    }
    size_t n = 0;
    for (size_t i = 0; i < cfg->n_subs; i++)
        if (subs[i].cache && subs[i].topic)
            idx[n++] = i;
    qsort_r(idx, n, sizeof *idx, cmp_pair, (void *)subs);
    for (size_t a = 0, b; a < n; a = b) {
        const struct mo_sub_config *first = &subs[idx[a]];
        for (b = a + 1; b < n && strcmp(subs[idx[b]].cache, first->cache) == 0 &&
                        strcmp(subs[idx[b]].topic, first->topic) == 0;
             b++) {
            char path[MO_CONFIG_PATH_LEN];
            mo_config_path(path, "subscriptions[%zu]", idx[b]);
            mo_config_add_error(c, (struct mo_config_mark){subs[idx[b]].line, subs[idx[b]].column},
                                path,
                                "duplicate subscription to cache '%.60s' topic '%.60s': already "
                                "at line %d, column %d (subscriptions[%zu]); remove one",
                                first->cache, first->topic, first->line, first->column, idx[a]);
        }
    }
}

static void check_backoff(struct mo_config_ctx *c, const struct mo_config *cfg)
{
    uint64_t lo = cfg->backoff_initial_us, hi = cfg->backoff_max_us;
    if (lo <= hi)
        return;
    const struct mo_config_written *initial = mo_config_where(c, &cfg->backoff_initial_us, false);
    const struct mo_config_written *max = mo_config_where(c, &cfg->backoff_max_us, false);
    char a[32], b[32];
    mo_time_format_duration(lo, a, sizeof a);
    mo_time_format_duration(hi, b, sizeof b);
    /* one of them was written, or the defaults would agree */
    mo_config_add_error(c, max ? max->val : initial->val,
                        max ? "reconnect.backoff_max" : "reconnect.backoff_initial",
                        "backoff_max (%s%s) is below backoff_initial (%s%s); make backoff_max at "
                        "least backoff_initial",
                        b, max ? "" : ", the default", a, initial ? "" : ", the default");
}

/* ---- canary: ---- */

/* The value of key `name` in mapping m (the first, as the walker reads it),
 * and the key itself in *kn; NULL when m has none. */
static const struct mo_ytree_node *map_get(const struct mo_ytree_node *m, const char *name,
                                           const struct mo_ytree_node **kn)
{
    for (size_t i = 0; m && m->kind == MO_YTREE_MAP && i + 1 < m->n; i += 2)
        if (m->kids[i]->kind == MO_YTREE_SCALAR && strcmp(m->kids[i]->value, name) == 0) {
            if (kn)
                *kn = m->kids[i];
            return m->kids[i + 1];
        }
    return NULL;
}

/* Where canary.KEY's value was written, else where canary: starts. */
static struct mo_config_mark canary_mark(struct mo_config_ctx *c, const struct mo_canary_config *k,
                                         const void *field)
{
    const struct mo_config_written *w = mo_config_where(c, field, false);
    return w ? w->val : (struct mo_config_mark){k->line, k->column};
}

/* A canary: mapping needs its cache; the rest of its values against each
 * other and against the subscriptions. Absent or null, it is off. */
static void check_canary(struct mo_config_ctx *c, struct mo_config *cfg,
                         const struct mo_ytree_node *root)
{
    struct mo_canary_config *k = &cfg->canary;
    const struct mo_ytree_node *kn = NULL, *vn = map_get(root, "canary", &kn);
    if (!vn || vn->kind != MO_YTREE_MAP) /* absent or null: off; anything else is reported */
        return;
    k->line = kn->line;
    k->column = kn->column;
    if (!map_get(vn, "cache", NULL)) /* written but wrong: reported by the walker */
        mo_config_add_error(c, (struct mo_config_mark){k->line, k->column}, "canary.cache",
                            "missing: give the cache the canary publishes to, or remove canary:");
    k->enabled = k->cache != NULL;

    if (k->size > 0 && k->size < MO_CANARY_SIZE_MIN)
        mo_config_add_error(c, canary_mark(c, k, &k->size), "canary.size",
                            "%" PRIu64 " is too small: write 0 (no padding) or a size from %d to "
                            "%d bytes (every probe fits in %d bytes unpadded)",
                            k->size, MO_CANARY_SIZE_MIN, MO_CANARY_SIZE_MAX, MO_CANARY_SIZE_MIN);

    if (k->slo_latency_us > k->deadline_us) {
        char lat[32], dl[32];
        bool dl_given = mo_config_where(c, &k->deadline_us, false) != NULL;
        mo_time_format_duration(k->slo_latency_us, lat, sizeof lat);
        mo_time_format_duration(k->deadline_us, dl, sizeof dl);
        /* slo.latency's default is below every deadline: it was written */
        mo_config_add_error(c, canary_mark(c, k, &k->slo_latency_us), "canary.slo.latency",
                            "slo.latency (%s) is longer than deadline (%s%s); a probe not "
                            "received by the deadline is lost, not late: make slo.latency at "
                            "most the deadline",
                            lat, dl, dl_given ? "" : ", the default");
    }

    for (size_t i = 0; k->enabled && k->topic && i < cfg->n_subs; i++) {
        const struct mo_sub_config *s = &cfg->subs[i];
        if (s->cache && s->topic && strcmp(s->cache, k->cache) == 0 &&
            strcmp(s->topic, k->topic) == 0) {
            mo_config_add_error(c, canary_mark(c, k, &k->topic), "canary.topic",
                                "the canary's topic is also subscriptions[%zu] (line %d): give "
                                "the canary a topic of its own",
                                i, s->line);
            break;
        }
    }
}

/* The canary's own subscription, the last entry: its probes are JSON with
 * the time in `timestamp` (canary/probe.h), whatever defaults: says. */
static void append_canary(struct mo_config_ctx *c, struct mo_config *cfg)
{
    const struct mo_canary_config *k = &cfg->canary;
    struct mo_sub_config *v = realloc(cfg->subs, (cfg->n_subs + 1) * sizeof *v);
    if (!v) {
        c->oom = true;
        return;
    }
    cfg->subs = v;
    struct mo_sub_config *s = &v[cfg->n_subs];
    *s = (struct mo_sub_config){.line = k->line, .column = k->column, .canary = true};
    mo_config_set_defaults(c, mo_config_ts_keys, (char *)&s->decoder);
    s->decoder.mode = MO_DECODE_JSON;
    s->cache = strdup(k->cache);
    s->topic = strdup(k->topic);
    if (!s->cache || !s->topic || mo_decoder_set_field(&s->decoder, s->decoder.field) < 0) {
        free(s->cache);
        free(s->topic);
        c->oom = true;
        return;
    }
    cfg->n_subs++;
}

void mo_config_check(struct mo_config_ctx *c, struct mo_config_target *t,
                     const struct mo_ytree_node *root)
{
    struct mo_config *cfg = &t->cfg;

    for (size_t i = 0; i < cfg->n_subs; i++) {
        const struct mo_config_written *at = mo_config_where(c, &cfg->subs[i], true);
        if (at) {
            cfg->subs[i].line = at->key.line;
            cfg->subs[i].column = at->key.col;
        }
        merge_decoder(c, t, i);
    }

    const struct mo_config_written *subs = mo_config_where(c, &cfg->subs, false);
    if (!subs)
        mo_config_add_error(c, (struct mo_config_mark){root->line, root->column}, "subscriptions",
                            "missing; list at least one subscription (a cache and a topic)");
    else if (cfg->n_subs == 0 && subs->ok)
        mo_config_add_error(c, subs->val, "subscriptions",
                            "is empty; list at least one subscription (a cache and a topic)");

    char why[300];
    if (mo_endpoint_check_tls(cfg->tls, cfg->endpoint_override, why, sizeof why) < 0)
        mo_config_add_error(c, mo_config_where(c, &cfg->tls, false)->val, "momento.tls", "%s",
                            why);

    if (cfg->ca_file && cfg->tls == 0)
        mo_config_add_error(c, mo_config_where(c, &cfg->ca_file, false)->val, "momento.ca_file",
                            "is for TLS, and tls is false: remove one of them");

    check_backoff(c, cfg);
    check_duplicates(c, cfg);
    check_canary(c, cfg, root);
    /* last: the walker's record of where each entry was written ends here */
    if (cfg->canary.enabled && mo_config_n_errors(c) == 0)
        append_canary(c, cfg);
}
