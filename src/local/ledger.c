/* ledger.c - the --ledger file: one line per event (ledger.h). */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ledger.h"
#include "secret.h"
#include "util.h"

struct tl_ledger {
    int fd;
    char *path;
    bool broken;  /* a write failed: said once, nothing more written */
    char *buf;    /* the line being built */
    size_t len, cap;
    bool oom;     /* the line could not be built */
};

int tl_ledger_open(const char *path, tl_ledger **ret, char *err, size_t errlen)
{
    tl_ledger *l = calloc(1, sizeof *l);
    if (!l || !(l->path = strdup(path))) {
        free(l);
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    l->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0666);
    if (l->fd < 0) {
        int e = errno;
        snprintf(err, errlen, "--ledger %s: %s", mo_secret_redact(path), strerror(e));
        free(l->path);
        free(l);
        return -e;
    }
    *ret = l;
    return 0;
}

void tl_ledger_free(tl_ledger *l)
{
    if (!l)
        return;
    if (l->fd >= 0)
        close(l->fd);
    free(l->buf);
    free(l->path);
    free(l);
}

/* ---- building a line ---- */

static bool reserve(tl_ledger *l, size_t n)
{
    if (l->oom)
        return false;
    if (l->len + n <= l->cap)
        return true;
    size_t cap = l->cap ? l->cap : 256;
    while (cap < l->len + n)
        cap *= 2;
    char *b = realloc(l->buf, cap);
    if (!b) {
        l->oom = true;
        return false;
    }
    l->buf = b;
    l->cap = cap;
    return true;
}

static void put(tl_ledger *l, const void *p, size_t n)
{
    if (reserve(l, n)) {
        memcpy(l->buf + l->len, p, n);
        l->len += n;
    }
}

static void puts_(tl_ledger *l, const char *s) { put(l, s, strlen(s)); }

static void putf(tl_ledger *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(tl_ledger *l, const char *fmt, ...)
{
    char tmp[64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        put(l, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* The length of the valid UTF-8 sequence at p (n bytes left), 0 if none. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    unsigned char c = p[0];
    size_t need;
    unsigned char lo = 0x80, hi = 0xbf; /* the allowed range of the second byte */
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        need = 2;
    else if (c >= 0xe0 && c <= 0xef) {
        need = 3;
        if (c == 0xe0)
            lo = 0xa0; /* no overlong forms */
        if (c == 0xed)
            hi = 0x9f; /* no surrogates */
    } else if (c >= 0xf0 && c <= 0xf4) {
        need = 4;
        if (c == 0xf0)
            lo = 0x90;
        if (c == 0xf4)
            hi = 0x8f; /* nothing past U+10FFFF */
    } else
        return 0;
    if (n < need || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < need; i++)
        if (p[i] < 0x80 || p[i] > 0xbf)
            return 0;
    return need;
}

/* A JSON string: quotes, backslashes and control characters escaped, valid
 * UTF-8 as it is, any other byte U+FFFD. */
static void put_json(tl_ledger *l, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    put(l, "\"", 1);
    for (size_t i = 0; i < n;) {
        unsigned char c = p[i];
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            put(l, e, 2);
            i++;
        } else if (c == '\n') {
            put(l, "\\n", 2);
            i++;
        } else if (c == '\t') {
            put(l, "\\t", 2);
            i++;
        } else if (c < 0x20 || c == 0x7f) {
            putf(l, "\\u%04x", c);
            i++;
        } else {
            size_t k = utf8_len(p + i, n - i);
            if (k == 0) {
                put(l, "\xef\xbf\xbd", 3);
                k = 1;
            } else {
                put(l, p + i, k);
            }
            i += k;
        }
    }
    put(l, "\"", 1);
}

static bool plain_name(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              *s == '.' || *s == '_' || *s == '-'))
            return false;
    return true;
}

static void put_name(tl_ledger *l, const char *name)
{
    put(l, " ", 1);
    size_t n = strlen(name);
    if (mo_secret_like(name, n))
        put_json(l, MO_SECRET_HIDDEN, strlen(MO_SECRET_HIDDEN));
    else if (plain_name(name))
        put(l, name, n);
    else
        put_json(l, name, n);
}

static bool begin(tl_ledger *l, const char *event)
{
    if (!l || l->broken)
        return false;
    l->len = 0;
    l->oom = false;
    puts_(l, event);
    return true;
}

/* Writes the line out in one write(2) (O_APPEND: whole lines, in order). */
static void end(tl_ledger *l)
{
    put(l, "\n", 1);
    int e = l->oom ? ENOMEM : 0;
    for (size_t off = 0; !e && off < l->len;) {
        ssize_t w = write(l->fd, l->buf + off, l->len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            e = w < 0 ? errno : EIO;
        else
            off += (size_t)w;
    }
    if (e) {
        l->broken = true;
        mo_warn("--ledger %s: %s; no more lines are written to it", mo_secret_redact(l->path),
                strerror(e));
    }
}

/* ---- the events ---- */

void tl_ledger_published(tl_ledger *l, const char *cache, const char *topic, uint64_t seq,
                         bool binary, const uint8_t *value, size_t len)
{
    if (!begin(l, "published"))
        return;
    put_name(l, cache);
    put_name(l, topic);
    putf(l, " %" PRIu64 " ", seq);
    const char *text = (const char *)value;
    if (binary) {
        putf(l, "<binary %zu bytes>", len); /* unquoted: never read as a text value */
    } else if (!mo_secret_like(text, len)) {
        put_json(l, text, len);
    } else {
        /* the words that look like a key hidden, the rest kept */
        char *clean = malloc(len + 1);
        if (!clean) {
            l->oom = true;
        } else {
            size_t n = mo_secret_scrub(text, len, clean, len + 1);
            put_json(l, clean, n);
            free(clean);
        }
    }
    end(l);
}

void tl_ledger_delivered(tl_ledger *l, const char *cache, const char *topic, uint64_t seq,
                         uint64_t stream)
{
    if (!begin(l, "delivered"))
        return;
    put_name(l, cache);
    put_name(l, topic);
    putf(l, " %" PRIu64 " %" PRIu64, seq, stream);
    end(l);
}

void tl_ledger_dropped(tl_ledger *l, const char *cache, const char *topic, uint64_t seq)
{
    if (!begin(l, "dropped"))
        return;
    put_name(l, cache);
    put_name(l, topic);
    putf(l, " %" PRIu64, seq);
    end(l);
}

void tl_ledger_rejected(tl_ledger *l, const char *rpc, const char *code)
{
    if (!begin(l, "rejected"))
        return;
    putf(l, " %s %s", rpc, code);
    end(l);
}
