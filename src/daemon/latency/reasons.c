/* reasons.c - decode error reasons counted by kind (reasons.h). */
#include <config.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "latency/reasons.h"

static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_word(char c)
{
    return is_digit(c) || c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Each run of digits that stands alone becomes N (byte 12; 1.5e+20 is
 * N.Ne+N), not digits inside a name (u64be, meta.v2) nor the number of
 * RFC 3339; a quoted string, its escapes included, becomes "...". */
void mo_reasons_kind(const char *reason, char *out, size_t len)
{
    if (len == 0)
        return; /* not even room for the NUL */
    size_t o = 0;
    const char *p = reason;
    while (*p && o + 1 < len) {
        const char *add = NULL;
        size_t al = 1;
        if (*p == '"') {
            for (p++; *p && *p != '"'; p++)
                if (*p == '\\' && p[1])
                    p++;
            if (*p)
                p++;
            add = "\"...\"", al = 5;
        } else if (is_digit(*p) && (p == reason || !is_word(p[-1])) &&
                   !(p - reason >= 4 && memcmp(p - 4, "RFC ", 4) == 0)) {
            while (is_digit(*p))
                p++;
            add = "N";
        } else {
            add = p++;
        }
        if (o + al >= len)
            break;
        memcpy(out + o, add, al);
        o += al;
    }
    out[o] = '\0';
}

static void add_kind(struct mo_reasons *r, const char *kind, uint64_t n)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->v[i].kind, kind) == 0) {
            r->v[i].count += n;
            return;
        }
    if (r->n == MO_REASONS_MAX) {
        r->other += n;
        return;
    }
    r->v[r->n].count = n;
    snprintf(r->v[r->n].kind, sizeof r->v[r->n].kind, "%s", kind);
    r->n++;
}

void mo_reasons_add(struct mo_reasons *r, const char *reason, uint64_t n)
{
    char kind[MO_REASON_KIND_MAX];
    mo_reasons_kind(reason, kind, sizeof kind);
    add_kind(r, kind, n);
}

void mo_reasons_merge(struct mo_reasons *dst, const struct mo_reasons *src)
{
    for (size_t i = 0; i < src->n; i++)
        add_kind(dst, src->v[i].kind, src->v[i].count);
    dst->other += src->other;
}

void mo_reasons_format(const struct mo_reasons *r, size_t top, char *buf, size_t len)
{
    if (len == 0)
        return;
    buf[0] = '\0';
    bool used[MO_REASONS_MAX] = {0};
    uint64_t rest = r->other;
    size_t o = 0, shown = 0;
    for (;;) {
        size_t best = r->n;
        for (size_t i = 0; i < r->n; i++)
            if (!used[i] && (best == r->n || r->v[i].count > r->v[best].count))
                best = i;
        if (best == r->n)
            break;
        used[best] = true;
        if (shown == top) {
            rest += r->v[best].count;
            continue;
        }
        int w = snprintf(buf + o, len - o, "%s%llu: %s", o ? " | " : "",
                         (unsigned long long)r->v[best].count, r->v[best].kind);
        if (w < 0 || (size_t)w >= len - o) {
            buf[o] = '\0'; /* cut at a whole entry */
            return;
        }
        o += (size_t)w;
        shown++;
    }
    if (rest) {
        int w = snprintf(buf + o, len - o, "%s%llu: other reasons", o ? " | " : "", (unsigned long long)rest);
        if (w < 0 || (size_t)w >= len - o)
            buf[o] = '\0';
    }
}
