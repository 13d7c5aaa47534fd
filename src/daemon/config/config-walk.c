/* config-walk.c - the one generic walker of the configuration (config-int.h).
 *
 * A mapping of the YAML tree is checked against a key table: unknown keys get
 * the closest known one as a suggestion, keys written twice are refused, each
 * value is converted by its key's type and bounds and written into the field
 * the table names. Each value stored is recorded with the place it was
 * written, for the checks that come after the walk. Problems are collected;
 * nothing stops at the first one.
 */
#include <config.h> /* autoconf's, from the build directory */

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "config/config-int.h"
#include "secret.h"
#include "timefmt.h"
#include "util.h"

/* ---- where values were written ---- */

static void note(struct mo_config_ctx *c, const void *dst, bool elem, bool ok,
                 struct mo_config_mark key, struct mo_config_mark val)
{
    if (c->n_w == c->cap_w) {
        size_t cap = c->cap_w ? c->cap_w * 2 : 64;
        struct mo_config_written *w = realloc(c->w, cap * sizeof *w);
        if (!w) {
            c->oom = true;
            return;
        }
        c->w = w;
        c->cap_w = cap;
    }
    c->w[c->n_w++] = (struct mo_config_written){dst, elem, ok, key, val};
    c->w_sorted = false;
}

static int cmp_written(const void *a, const void *b)
{
    const struct mo_config_written *x = a, *y = b;
    if (x->dst != y->dst)
        return (uintptr_t)x->dst < (uintptr_t)y->dst ? -1 : 1;
    return (int)x->elem - (int)y->elem;
}

const struct mo_config_written *mo_config_where(struct mo_config_ctx *c, const void *dst,
                                                bool elem)
{
    if (!c->w_sorted && c->n_w) {
        qsort(c->w, c->n_w, sizeof *c->w, cmp_written);
        c->w_sorted = true;
    }
    struct mo_config_written want = {.dst = dst, .elem = elem};
    return c->n_w ? bsearch(&want, c->w, c->n_w, sizeof *c->w, cmp_written) : NULL;
}

static struct mo_config_mark mark_of(const struct mo_ytree_node *n)
{
    return (struct mo_config_mark){n->line, n->column};
}

/* ---- storing ---- */

static const char *intern(struct mo_config_ctx *c, const char *s)
{
    struct mo_config *cfg = c->cfg;
    char **v = realloc(cfg->strings, (cfg->n_strings + 1) * sizeof *v);
    if (!v)
        return NULL;
    cfg->strings = v;
    if (!(v[cfg->n_strings] = strdup(s)))
        return NULL;
    return v[cfg->n_strings++];
}

void mo_config_put(struct mo_config_ctx *c, const struct mo_config_key *k, void *dst,
                   union mo_config_value v)
{
    switch (k->type) {
    case MO_CONFIG_STRING:
        if (k->flags & MO_CONFIG_F_SHARED) {
            const char *s = v.s;
            if (s && s != k->def.s && !(s = intern(c, s))) /* the default is a literal */
                c->oom = true;
            *(const char **)dst = s;
        } else {
            char **field = dst;
            free(*field);
            if (!(*field = v.s ? strdup(v.s) : NULL) && v.s)
                c->oom = true;
        }
        break;
    case MO_CONFIG_BOOL:
        *(bool *)dst = v.b;
        break;
    case MO_CONFIG_TRIBOOL:
    case MO_CONFIG_ENUM:
        *(int *)dst = v.e;
        break;
    case MO_CONFIG_UINT:
    case MO_CONFIG_DURATION:
    case MO_CONFIG_RATE:
    case MO_CONFIG_PERCENT:
        if (k->size == sizeof(uint32_t))
            *(uint32_t *)dst = (uint32_t)v.u; /* the bounds make it fit */
        else
            *(uint64_t *)dst = v.u;
        break;
    default:
        break;
    }
}

void mo_config_set_defaults(struct mo_config_ctx *c, const struct mo_config_key *keys, char *base)
{
    for (const struct mo_config_key *k = keys; k->name; k++) {
        if (k->type == MO_CONFIG_SECTION)
            mo_config_set_defaults(c, k->sub, base + k->off);
        else if (k->type != MO_CONFIG_LIST)
            mo_config_put(c, k, base + k->off, k->def);
    }
}

/* ---- messages ---- */

/* Optimal string alignment distance (edits plus transpositions), for "did you mean". */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 40 || lb > 40)
        return SIZE_MAX;
    size_t d[41][41];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
            size_t v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < v)
                v = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    return d[la][lb];
}

/* The closest of `names` to `s`, if it is close enough to be a typo. */
static const char *suggest(const char *s, const char *const *names, size_t stride)
{
    const char *best = NULL;
    size_t best_d = SIZE_MAX;
    for (const char *const *p = names; *p; p = (const char *const *)((const char *)p + stride)) {
        size_t d = edit_distance(s, *p);
        if (d < best_d) {
            best_d = d;
            best = *p;
        }
    }
    size_t limit = strlen(s) <= 3 ? 1 : 2;
    return best_d <= limit ? best : NULL;
}

static void list_names(const char *const *names, size_t stride, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (const char *const *p = names; *p; p = (const char *const *)((const char *)p + stride)) {
        int w = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", *p);
        if (w < 0 || (size_t)w >= len - used)
            break;
        used += (size_t)w;
    }
}

static bool all_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s) && *s != '.')
            return false;
    return true;
}

void mo_config_path(char *buf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, MO_CONFIG_PATH_LEN, fmt, ap);
    va_end(ap);
}

static void child_path(char *buf, const char *parent, const char *name)
{
    mo_config_path(buf, "%s%s%.60s", parent, *parent ? "." : "", name);
}

/* What a value, key or name that looks like an API key gets instead of an echo. */
#define LOOKS_LIKE_A_KEY                                                                           \
    "looks like an API key, so it is not shown; an API key belongs in the file api_key_file "      \
    "names or in the systemd credential momento-api-key, never in the configuration"

void mo_config_report_anchors(struct mo_config_ctx *c, const struct mo_ytree_node *n)
{
    bool alias = n->kind == MO_YTREE_ALIAS;
    const char *name = alias ? n->value : n->anchor;
    if (name && mo_secret_like(name, strlen(name)))
        mo_config_add_error(c, mark_of(n), "", "the name of this %s " LOOKS_LIKE_A_KEY,
                            alias ? "alias" : "anchor");
    else if (alias)
        mo_config_add_error(c, mark_of(n), "",
                            "aliases (*%.60s) are not supported; write the value out in full",
                            n->value);
    else if (n->anchor)
        mo_config_add_error(c, mark_of(n), "",
                            "anchors (&%.60s) are not supported; write each value out in full "
                            "(subscriptions share settings through defaults:)",
                            n->anchor);
    for (size_t i = 0; i < n->n; i++)
        mo_config_report_anchors(c, n->kids[i]);
}

/* ---- scalars ---- */

/* Reads a decimal number at s, digits with at most `frac` after an optional
 * point (more are allowed only as trailing zeros), scaled by 10^frac: "1.5"
 * with frac 3 is 1500. Returns 0 with *ret and *end after the number,
 * -EINVAL for no number (or a point without digits on both sides), -EDOM for
 * a nonzero digit past `frac`, -ERANGE for an integer part over 10^12. */
static int parse_fixed(const char *s, unsigned frac, uint64_t *ret, const char **end)
{
    const char *p = s;
    uint64_t v = 0;
    if (!isdigit((unsigned char)*p))
        return -EINVAL;
    for (; isdigit((unsigned char)*p); p++) {
        v = v * 10 + (uint64_t)(*p - '0');
        if (v > UINT64_C(1000000000000))
            return -ERANGE;
    }
    unsigned n = 0;
    if (*p == '.') {
        if (!isdigit((unsigned char)*++p))
            return -EINVAL;
        for (; isdigit((unsigned char)*p); p++) {
            if (n == frac) {
                if (*p != '0')
                    return -EDOM;
                continue;
            }
            v = v * 10 + (uint64_t)(*p - '0');
            n++;
        }
    }
    for (; n < frac; n++)
        v *= 10;
    *ret = v;
    *end = p;
    return 0;
}

/* canary.rate: "N/s" or "N/m", N with at most 3 decimals, as probes per
 * 1000 s; a rate per minute must come out whole in those. */
static bool parse_rate(struct mo_config_ctx *c, struct mo_config_mark at,
                       const struct mo_config_key *k, const char *path, const char *s,
                       uint64_t *out)
{
    char lo[32], hi[32];
    snprintf(lo, sizeof lo, "%" PRIu64 ".%" PRIu64 "/s", k->lo / 1000, k->lo % 1000 / 100);
    snprintf(hi, sizeof hi, "%" PRIu64 "/s", k->hi / 1000);
    uint64_t n;
    const char *end = NULL;
    int r = parse_fixed(s, 3, &n, &end);
    if (r == 0 && *end == '\0') {
        mo_config_add_error(c, at, path,
                            "'%.60s' needs a unit: write %.40s/s (a second) or %.40s/m (a minute)",
                            s, s, s);
        return false;
    }
    bool per_min = r != -EINVAL && end && strcmp(end, "/m") == 0;
    if (r == -EDOM) {
        mo_config_add_error(c, at, path,
                            "'%.60s' has more than 3 digits after the point; write at most 3 "
                            "(e.g. 0.125/s)",
                            s);
        return false;
    }
    if (r == -EINVAL || (r == 0 && strcmp(end, "/s") != 0 && !per_min)) {
        mo_config_add_error(c, at, path,
                            "'%.60s' is not a rate: write a number of probes, then /s (a second) "
                            "or /m (a minute), e.g. 1/s, 0.5/s, 30/m; the number is decimal "
                            "digits with at most 3 after the point",
                            s);
        return false;
    }
    if (r == 0 && per_min) {
        if (n % 60) {
            mo_config_add_error(c, at, path,
                                "'%.60s' is not a whole number of thousandths of a probe per "
                                "second; write a rate per minute that is a multiple of 0.06/m "
                                "(e.g. 6/m, 30/m), or per second (e.g. 0.167/s)",
                                s);
            return false;
        }
        n /= 60;
    }
    if (r < 0 || n < k->lo || n > k->hi) {
        mo_config_add_error(c, at, path,
                            "%.60s is out of range: write a rate from %s to %s (%" PRIu64
                            "/m to %" PRIu64 "/m)",
                            s, lo, hi, k->lo * 60 / 1000, k->hi * 60 / 1000);
        return false;
    }
    *out = n;
    return true;
}

/* canary.slo.target: a percentage with at most 4 decimals ("99.9%"), or a
 * fraction with at most 6 (0.999), as parts per million. */
static bool parse_percent(struct mo_config_ctx *c, struct mo_config_mark at,
                          const struct mo_config_key *k, const char *path, const char *s,
                          uint64_t *out)
{
    size_t len = strlen(s);
    bool pct = len > 0 && s[len - 1] == '%';
    uint64_t n;
    const char *end = NULL;
    int r = parse_fixed(s, pct ? 4 : 6, &n, &end);
    if (r == 0 && end != s + len - pct)
        r = -EINVAL; /* something after the number (or the %) */
    if (r == -EINVAL) {
        mo_config_add_error(c, at, path,
                            "'%.60s' is not a target: write a percentage such as 99.9%% (at most "
                            "4 digits after the point) or a fraction such as 0.999",
                            s);
        return false;
    }
    if (r == -EDOM) {
        mo_config_add_error(c, at, path,
                            "'%.60s' is finer than a part per million; write at most %d digits "
                            "after the point",
                            s, pct ? 4 : 6);
        return false;
    }
    if (r == 0 && !pct && n > UINT64_C(1000000) && n <= UINT64_C(100000000)) {
        mo_config_add_error(c, at, path,
                            "'%.60s' is more than 1; write a percentage with its sign "
                            "(%.40s%%) or a fraction (e.g. 0.999)",
                            s, s);
        return false;
    }
    if (r < 0 || n < k->lo || n > k->hi) {
        mo_config_add_error(c, at, path,
                            "%.60s is out of range: write a target from %" PRIu64 "%% to "
                            "99.9999%% (%" PRIu64 ".%" PRIu64 " to 0.999999); 100%% leaves no "
                            "room for a single late or lost probe",
                            s, k->lo / 10000, k->lo / 1000000, k->lo % 1000000 / 100000);
        return false;
    }
    *out = n;
    return true;
}

/* Converts one scalar for key k. Returns true and *out, or false after
 * recording why not. */
static bool parse_scalar(struct mo_config_ctx *c, const struct mo_ytree_node *v,
                         const struct mo_config_key *k, const char *path,
                         union mo_config_value *out)
{
    char buf[600];
    const char *s = v->value;
    struct mo_config_mark at = mark_of(v);

    if (v->kind == MO_YTREE_ALIAS)
        return false; /* already reported */
    if (v->kind != MO_YTREE_SCALAR) {
        const char *want = "a single value";
        switch (k->type) {
        case MO_CONFIG_STRING:
            want = "a string";
            break;
        case MO_CONFIG_BOOL:
        case MO_CONFIG_TRIBOOL:
            want = "true or false";
            break;
        case MO_CONFIG_UINT:
            want = "a whole number";
            break;
        case MO_CONFIG_DURATION:
            want = "a duration such as 30s";
            break;
        case MO_CONFIG_RATE:
            want = "a rate such as 1/s";
            break;
        case MO_CONFIG_PERCENT:
            want = "a percentage such as 99.9%";
            break;
        default:
            break;
        }
        mo_config_add_error(c, at, path, "expected %s here, not %s", want, mo_ytree_kind_name(v));
        return false;
    }
    if (strlen(s) != v->len) {
        mo_config_add_error(c, at, path, "the value contains a NUL character; remove it");
        return false;
    }
    if (mo_secret_like(s, v->len)) { /* before any message below can echo it */
        mo_config_add_error(c, at, path, "this value " LOOKS_LIKE_A_KEY);
        return false;
    }
    bool null = mo_ytree_is_null(v);

    switch (k->type) {
    case MO_CONFIG_STRING:
        if (null || !*s) {
            if (k->flags & MO_CONFIG_F_NONEMPTY) {
                mo_config_add_error(c, at, path, "is empty; write a %s name", k->name);
                return false;
            }
            out->s = NULL; /* an empty optional string is the same as leaving it out */
            return true;
        }
        if ((k->flags & MO_CONFIG_F_NONEMPTY) && mo_blank(s, v->len)) {
            mo_config_add_error(c, at, path, "is only whitespace; write a %s name", k->name);
            return false;
        }
        if (k->check && !k->check(s, buf, sizeof buf)) {
            mo_config_add_error(c, at, path, "%s", buf);
            return false;
        }
        out->s = s;
        return true;

    case MO_CONFIG_BOOL:
    case MO_CONFIG_TRIBOOL:
        if (v->plain && (strcmp(s, "true") == 0 || strcmp(s, "false") == 0)) {
            out->b = s[0] == 't';
            if (k->type == MO_CONFIG_TRIBOOL)
                out->e = s[0] == 't';
            return true;
        }
        mo_config_add_error(c, at, path, "expected true or false%s, not %s'%.60s'",
                            v->plain ? "" : " without quotes", v->plain ? "" : "the string ", s);
        return false;

    case MO_CONFIG_UINT: {
        uint64_t u;
        if (null) {
            mo_config_add_error(c, at, path, "needs a value: a whole number from %" PRIu64,
                                k->lo);
            return false;
        }
        if (!v->plain) {
            mo_config_add_error(c, at, path,
                                "expected a number, not the string '%.60s'; remove the quotes", s);
            return false;
        }
        int r = mo_parse_u64(s, &u);
        if (r == -EINVAL) {
            mo_config_add_error(c, at, path,
                                "'%.60s' is not a whole number; write digits only, e.g. %" PRIu64,
                                s, k->def.u ? k->def.u : k->lo);
            return false;
        }
        if (r < 0 || u < k->lo || u > k->hi) {
            mo_config_add_error(c, at, path,
                                "%.60s is out of range: write a number from %" PRIu64
                                " to %" PRIu64,
                                s, k->lo, k->hi);
            return false;
        }
        out->u = u;
        return true;
    }

    case MO_CONFIG_DURATION: {
        uint64_t us;
        if (null) {
            mo_config_add_error(c, at, path, "needs a value: a duration such as 30s");
            return false;
        }
        int r = mo_time_parse_duration(s, &us);
        if (r == -EINVAL && all_digits(s)) {
            mo_config_add_error(c, at, path, "'%.60s' needs a unit: ms, s, m or h (e.g. %.40ss)",
                                s, s);
            return false;
        }
        if (r == -EINVAL) {
            mo_config_add_error(c, at, path,
                                "'%.60s' is not a duration: write a number and a unit (ms, s, "
                                "m or h), e.g. 250ms, 30s, 5m, 1h; the number is decimal "
                                "digits with an optional fraction (no sign, exponent or space)",
                                s);
            return false;
        }
        if (r < 0 || us < k->lo || us > k->hi) {
            char lo[32], hi[32];
            mo_time_format_duration(k->lo, lo, sizeof lo);
            mo_time_format_duration(k->hi, hi, sizeof hi);
            mo_config_add_error(c, at, path,
                                "%.60s is out of range: write a duration from %s to %s", s, lo,
                                hi);
            return false;
        }
        out->u = us;
        return true;
    }

    case MO_CONFIG_RATE:
    case MO_CONFIG_PERCENT:
        if (null || !*s) {
            mo_config_add_error(c, at, path, "needs a value: %s",
                                k->type == MO_CONFIG_RATE ? "a rate such as 1/s"
                                                          : "a percentage such as 99.9%");
            return false;
        }
        return k->type == MO_CONFIG_RATE ? parse_rate(c, at, k, path, s, &out->u)
                                         : parse_percent(c, at, k, path, s, &out->u);

    case MO_CONFIG_ENUM: {
        for (int i = 0; k->names[i]; i++)
            if (strcmp(s, k->names[i]) == 0) {
                out->e = i;
                return true;
            }
        char all[200];
        list_names(k->names, sizeof(char *), all, sizeof all);
        const char *near = suggest(s, k->names, sizeof(char *));
        if (near)
            mo_config_add_error(c, at, path, "'%.60s' is not one of: %s; did you mean '%s'?", s,
                                all, near);
        else
            mo_config_add_error(c, at, path, "'%.60s' is not one of: %s", s, all);
        return false;
    }

    default:
        return false;
    }
}

/* ---- mappings and lists ---- */

static void walk_list(struct mo_config_ctx *c, const struct mo_ytree_node *kn,
                      const struct mo_ytree_node *v, const struct mo_config_key *k, char *base,
                      const char *path)
{
    bool ok = v->kind == MO_YTREE_SEQ || mo_ytree_is_null(v);
    note(c, base + k->off, false, ok, mark_of(kn), mark_of(v));
    if (v->kind == MO_YTREE_ALIAS || mo_ytree_is_null(v))
        return; /* the alias is reported; `subscriptions:` with nothing after it is empty */
    if (v->kind != MO_YTREE_SEQ) {
        mo_config_add_error(c, mark_of(v), path,
                            "expected a list (one '- ' line per entry), not %s",
                            mo_ytree_kind_name(v));
        return;
    }
    if (v->n == 0)
        return;
    char *elems = calloc(v->n, k->elem_size);
    if (!elems) {
        c->oom = true;
        return;
    }
    *(void **)(base + k->off) = elems;
    *(size_t *)(base + k->count_off) = v->n;
    for (size_t i = 0; i < v->n; i++) {
        char p[MO_CONFIG_PATH_LEN];
        mo_config_path(p, "%s[%zu]", path, i);
        note(c, elems + i * k->elem_size, true, true, mark_of(v->kids[i]), mark_of(v->kids[i]));
        mo_config_walk(c, v->kids[i], k->sub, elems + i * k->elem_size, p);
    }
}

/* An unknown key: the closest known one, or the section it belongs under, or
 * the list of keys that fit here. */
static void unknown_key(struct mo_config_ctx *c, const struct mo_ytree_node *kn,
                        const struct mo_config_key *keys, const char *path, const char *p)
{
    char where[MO_CONFIG_PATH_LEN + 16];
    snprintf(where, sizeof where, "%s%s", *path ? "in " : "at the top level", path);
    const char *near = suggest(kn->value, &keys[0].name, sizeof *keys);
    if (near) {
        mo_config_add_error(c, mark_of(kn), p, "unknown key '%.60s' %s; did you mean '%s'?",
                            kn->value, where, near);
        return;
    }
    /* a key written one level too high, e.g. `offset:` beside `decode:` */
    for (const struct mo_config_key *k = keys; k->name; k++)
        for (const struct mo_config_key *s = k->type == MO_CONFIG_SECTION ? k->sub : NULL;
             s && s->name; s++)
            if (strcmp(s->name, kn->value) == 0) {
                mo_config_add_error(c, mark_of(kn), p,
                                    "unknown key '%.60s' %s; it belongs under '%s:'", kn->value,
                                    where, k->name);
                return;
            }
    char all[300];
    list_names(&keys[0].name, sizeof *keys, all, sizeof all);
    mo_config_add_error(c, mark_of(kn), p, "unknown key '%.60s' %s; the keys here are: %s",
                        kn->value, where, all);
}

/* A null value (`section:` with nothing under it) is an empty mapping. */
void mo_config_walk(struct mo_config_ctx *c, const struct mo_ytree_node *m,
                    const struct mo_config_key *keys, char *base, const char *path)
{
    if (m->kind == MO_YTREE_ALIAS)
        return;
    if (m->kind != MO_YTREE_MAP && !mo_ytree_is_null(m)) {
        if (*path)
            mo_config_add_error(c, mark_of(m), path,
                                "expected a mapping (indented 'key: value' lines), not %s",
                                mo_ytree_kind_name(m));
        else
            mo_config_add_error(c, mark_of(m), path,
                                "the top level must be a mapping of sections "
                                "(momento:, defaults:, subscriptions:, ...), not %s",
                                mo_ytree_kind_name(m));
        return;
    }

    struct mo_config_mark seen[16] = {{0}};
    size_t n_keys = 0;
    while (keys[n_keys].name)
        n_keys++;

    for (size_t i = 0; m->kind == MO_YTREE_MAP && i + 1 < m->n; i += 2) {
        const struct mo_ytree_node *kn = m->kids[i], *vn = m->kids[i + 1];
        if (kn->kind != MO_YTREE_SCALAR) {
            if (kn->kind != MO_YTREE_ALIAS)
                mo_config_add_error(c, mark_of(kn), path, "keys must be plain names, not %s",
                                    mo_ytree_kind_name(kn));
            continue;
        }
        if (mo_secret_like(kn->value, kn->len)) { /* its path would echo it */
            mo_config_add_error(c, mark_of(kn), path, "this key " LOOKS_LIKE_A_KEY);
            continue;
        }
        const struct mo_config_key *k = NULL;
        for (size_t j = 0; j < n_keys && !k; j++)
            if (strcmp(kn->value, keys[j].name) == 0)
                k = &keys[j];

        char p[MO_CONFIG_PATH_LEN];
        child_path(p, path, kn->value);
        if (!k) {
            unknown_key(c, kn, keys, path, p);
            continue;
        }
        size_t idx = (size_t)(k - keys);
        if (seen[idx].line) {
            mo_config_add_error(c, mark_of(kn), p,
                                "duplicate key '%s' (first at line %d, column %d); keep one",
                                k->name, seen[idx].line, seen[idx].col);
            continue;
        }
        seen[idx] = mark_of(kn);

        if (k->type == MO_CONFIG_SECTION) {
            mo_config_walk(c, vn, k->sub, base + k->off, p);
        } else if (k->type == MO_CONFIG_LIST) {
            walk_list(c, kn, vn, k, base, p);
        } else {
            union mo_config_value v;
            /* a null optional string is as if the key were absent */
            if (parse_scalar(c, vn, k, p, &v) && !(k->type == MO_CONFIG_STRING && !v.s)) {
                mo_config_put(c, k, base + k->off, v);
                note(c, base + k->off, false, true, mark_of(kn), mark_of(vn));
            }
        }
    }

    char required[100] = "";
    for (size_t j = 0, used = 0; j < n_keys; j++)
        if (keys[j].flags & MO_CONFIG_F_REQUIRED)
            used += (size_t)snprintf(required + used, sizeof required - used, "%s%s",
                                     used ? " and " : "", keys[j].name);
    for (size_t j = 0; j < n_keys; j++)
        if ((keys[j].flags & MO_CONFIG_F_REQUIRED) && !seen[j].line) {
            char p[MO_CONFIG_PATH_LEN];
            child_path(p, path, keys[j].name);
            mo_config_add_error(c, mark_of(m), p, "missing; add '%s:' (every entry here needs %s)",
                                keys[j].name, required);
        }
}
