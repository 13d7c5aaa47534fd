/* jsonw.c - sentences and JSON made safe; a journal record back into a JSON line (jsonw.h). */
#include <config.h>

#include <ctype.h>
#include <string.h>

#include "log/jsonw.h"
#include "timefmt.h"

size_t mo_utf8_seq(const unsigned char *p, const unsigned char *end)
{
    if (p[0] < 0x80)
        return 1;
    /* c0, c1 (overlong) and f5-ff (beyond U+10FFFF, or forms UTF-8 no longer
     * has) start nothing */
    size_t n = p[0] >= 0xf0 && p[0] <= 0xf4   ? 4
               : p[0] >= 0xe0 && p[0] <= 0xef ? 3
               : p[0] >= 0xc2 && p[0] <= 0xdf ? 2
                                              : 0;
    if (n > (size_t)(end - p))
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    if ((n == 3 && p[0] == 0xe0 && p[1] < 0xa0) || (n == 3 && p[0] == 0xed && p[1] >= 0xa0) ||
        (n == 4 && p[0] == 0xf0 && p[1] < 0x90) || (n == 4 && p[0] == 0xf4 && p[1] >= 0x90))
        return 0; /* overlong, surrogate, or beyond U+10FFFF */
    return n;
}

/* True for a code point a terminal may act on: C1 controls, the line and
 * paragraph separators and the bidirectional embeddings, overrides and
 * isolates (which reorder what follows them on screen). */
static bool cp_is_control(uint32_t cp)
{
    return (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x2028 && cp <= 0x202e) ||
           (cp >= 0x2066 && cp <= 0x2069);
}

/* The sentence is for people, and its parts may come from anywhere (a
 * server's details, a payload quoted in a reason). */
void mo_jw_sentence(const char *in, char *out, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)in, *end = p + strlen(in);
    size_t o = 0;
    while (*p) {
        char esc[8];
        size_t n = 1, el = 0;
        if (*p < 0x20 || *p == 0x7f) {
            el = 4;
        } else if (*p >= 0x80) {
            n = mo_utf8_seq(p, end);
            if (n == 0) {
                n = 1;
                el = 4;
            } else {
                uint32_t cp = n == 2   ? (uint32_t)(p[0] & 0x1f) << 6 | (p[1] & 0x3f)
                              : n == 3 ? (uint32_t)(p[0] & 0x0f) << 12 | (uint32_t)(p[1] & 0x3f) << 6 |
                                             (p[2] & 0x3f)
                                       : 0x10000; /* four bytes: nothing to escape there */
                if (cp_is_control(cp)) {
                    memcpy(esc, "\\u", 2);
                    for (int i = 0; i < 4; i++)
                        esc[2 + i] = hex[(cp >> (12 - 4 * i)) & 15];
                    el = 6;
                }
            }
        }
        if (el == 4) {
            esc[0] = '\\', esc[1] = 'x', esc[2] = hex[*p >> 4], esc[3] = hex[*p & 15];
        }
        const char *src = el ? esc : (const char *)p;
        size_t sl = el ? el : n;
        if (o + sl >= len)
            break;
        memcpy(out + o, src, sl);
        o += sl;
        p += n;
    }
    out[o] = '\0';
}

void mo_jw_raw(struct mo_jw *w, const char *s, size_t n)
{
    if ((size_t)(w->end - w->p) < n) {
        w->overflow = true;
        return;
    }
    memcpy(w->p, s, n);
    w->p += n;
}

/* Strings from the network (publisher ids, server details) may be any bytes. */
void mo_jw_strn(struct mo_jw *w, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    mo_jw_raw(w, "\"", 1);
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    while (p < end && !w->overflow) {
        const unsigned char *run = p;
        size_t n;
        /* copy the longest run that needs no escaping in one go */
        for (;;) {
            if (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
                p++; /* plain ASCII, the common case */
            else if (p < end && *p >= 0x80 && (n = mo_utf8_seq(p, end)) > 0)
                p += n;
            else
                break;
        }
        mo_jw_raw(w, (const char *)run, (size_t)(p - run));
        if (p == end)
            break;
        char esc[2] = {'\\', 0};
        if (*p == '"' || *p == '\\') {
            esc[1] = (char)*p;
            mo_jw_raw(w, esc, 2);
        } else if (*p == '\n') {
            mo_jw_raw(w, "\\n", 2);
        } else if (*p == '\t') {
            mo_jw_raw(w, "\\t", 2);
        } else if (*p == '\r') {
            mo_jw_raw(w, "\\r", 2);
        } else if (*p < 0x20) {
            char u[6] = {'\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15]};
            mo_jw_raw(w, u, 6);
        } else {
            mo_jw_raw(w, "\\ufffd", 6); /* not UTF-8 */
        }
        p++;
    }
    mo_jw_raw(w, "\"", 1);
}

void mo_jw_str(struct mo_jw *w, const char *s) { mo_jw_strn(w, s, strlen(s)); }

void mo_jw_key(struct mo_jw *w, const char *key)
{
    mo_jw_raw(w, ",", 1);
    mo_jw_str(w, key);
    mo_jw_raw(w, ":", 1);
}

/* ---- a journal record back into a JSON line ---- */

/* meta: the time (8 bytes, little-endian), flags (1: raw), then a bit per field */
#define META_RAW 1

void mo_jw_meta_init(struct mo_jw_meta *m, int64_t ts_ns, bool raw)
{
    memset(m->b, 0, sizeof m->b);
    for (int i = 0; i < 8; i++)
        m->b[i] = (unsigned char)((uint64_t)ts_ns >> (8 * i));
    m->b[8] = raw ? META_RAW : 0;
    m->len = 9;
}

void mo_jw_meta_bare(struct mo_jw_meta *m, size_t i)
{
    if (i >= MO_JW_META_FIELDS)
        return;
    m->b[9 + i / 8] |= (unsigned char)(1u << (i % 8));
    if (m->len < 10 + i / 8)
        m->len = 10 + i / 8;
}

struct field {
    const char *key, *value;
    size_t key_len, value_len;
};

/* The next field of a native-protocol record at *p: KEY=value\n, or KEY\n,
 * the value's length as 64-bit little-endian, the value, \n. False at the
 * end or on a malformed field. */
static bool next_field(const char **p, const char *end, struct field *f)
{
    if (*p >= end)
        return false;
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));
    if (!nl)
        return false;
    const char *eq = memchr(*p, '=', (size_t)(nl - *p));
    f->key = *p;
    if (eq) {
        f->key_len = (size_t)(eq - *p);
        f->value = eq + 1;
        f->value_len = (size_t)(nl - f->value);
        *p = nl + 1;
        return true;
    }
    f->key_len = (size_t)(nl - *p);
    if ((size_t)(end - nl) < 9)
        return false;
    uint64_t l = 0;
    for (int b = 7; b >= 0; b--)
        l = l << 8 | (unsigned char)nl[1 + b];
    f->value = nl + 9;
    if (l >= (uint64_t)(end - f->value) || f->value[l] != '\n')
        return false;
    f->value_len = (size_t)l;
    *p = f->value + l + 1;
    return true;
}

static bool key_is(const struct field *f, const char *k)
{
    return f->key_len == strlen(k) && memcmp(f->key, k, f->key_len) == 0;
}

/* The value of KEY as a JSON string, or nothing when the record has none. */
static void header(struct mo_jw *w, const char *rec, size_t len, const char *key, const char *json_key)
{
    const char *p = rec;
    struct field f;
    while (next_field(&p, rec + len, &f))
        if (key_is(&f, key)) {
            mo_jw_key(w, json_key);
            mo_jw_strn(w, f.value, f.value_len);
            return;
        }
}

long mo_jw_record_line(const char *rec, size_t len, const unsigned char *meta, size_t meta_len, char *out,
                       size_t cap)
{
    if (cap == 0 || meta_len < 9)
        return -1;
    uint64_t ts = 0;
    for (int i = 7; i >= 0; i--)
        ts = ts << 8 | meta[i];
    struct mo_jw w = {out, out + cap - 1}; /* room for the NUL */
    const char *p = rec;
    struct field f;
    if (meta[8] & META_RAW) {
        bool found = false;
        while (!found && next_field(&p, rec + len, &f))
            found = key_is(&f, "MESSAGE");
        if (!found)
            return -1;
        mo_jw_raw(&w, f.value, f.value_len);
    } else {
        char t[48];
        mo_time_format_rfc3339((int64_t)ts, 6, 0, t, sizeof t);
        mo_jw_raw(&w, "{\"ts\":", 6);
        mo_jw_str(&w, t);
        header(&w, rec, len, "EVENT", "event");
        header(&w, rec, len, "LEVEL", "level");
        header(&w, rec, len, "MESSAGE", "message");
        for (size_t i = 0; next_field(&p, rec + len, &f); i++) {
            if (key_is(&f, "EVENT") || key_is(&f, "LEVEL") || key_is(&f, "MESSAGE") || key_is(&f, "PRIORITY") ||
                key_is(&f, "MESSAGE_ID") || key_is(&f, "SYSLOG_IDENTIFIER"))
                continue;
            char key[256];
            size_t kl = f.key_len < sizeof key - 1 ? f.key_len : sizeof key - 1;
            for (size_t k = 0; k < kl; k++)
                key[k] = (char)tolower((unsigned char)f.key[k]);
            key[kl] = '\0';
            mo_jw_key(&w, key);
            bool bare = i < MO_JW_META_FIELDS && 9 + i / 8 < meta_len && (meta[9 + i / 8] >> (i % 8) & 1);
            if (bare)
                mo_jw_raw(&w, f.value, f.value_len);
            else
                mo_jw_strn(&w, f.value, f.value_len);
        }
        if (p != rec + len)
            return -1; /* malformed */
        mo_jw_raw(&w, "}", 1);
    }
    if (w.overflow)
        return -1;
    *w.p = '\0';
    return (long)(w.p - out);
}
