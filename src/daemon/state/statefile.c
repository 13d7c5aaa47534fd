/* statefile.c - encode and decode the resume-position file (statefile.h). */
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "state/statefile.h"

struct mo_statefile {
    struct mo_statefile_entry *v; /* file order */
    size_t n;
    const struct mo_statefile_entry **sorted; /* by cache, then topic */
    char *names;                              /* every name, NUL-terminated */
};

#define HEADER MO_STATEFILE_MAGIC " "
#define U64_DIGITS_MAX 20 /* 18446744073709551615 */

/* crc_table[b]: the CRC of byte b alone, eight rounds of the reflected
 * polynomial done once; a file's CRC then costs one lookup per byte, which
 * matters because the daemon encodes every position once a second on its
 * loop thread (bench/state-bench). test-state checks it against the bitwise
 * definition. */
static const uint32_t crc_table[256] = {
    0x00000000u, 0x77073096u, 0xee0e612cu, 0x990951bau, 0x076dc419u, 0x706af48fu,
    0xe963a535u, 0x9e6495a3u, 0x0edb8832u, 0x79dcb8a4u, 0xe0d5e91eu, 0x97d2d988u,
    0x09b64c2bu, 0x7eb17cbdu, 0xe7b82d07u, 0x90bf1d91u, 0x1db71064u, 0x6ab020f2u,
    0xf3b97148u, 0x84be41deu, 0x1adad47du, 0x6ddde4ebu, 0xf4d4b551u, 0x83d385c7u,
    0x136c9856u, 0x646ba8c0u, 0xfd62f97au, 0x8a65c9ecu, 0x14015c4fu, 0x63066cd9u,
    0xfa0f3d63u, 0x8d080df5u, 0x3b6e20c8u, 0x4c69105eu, 0xd56041e4u, 0xa2677172u,
    0x3c03e4d1u, 0x4b04d447u, 0xd20d85fdu, 0xa50ab56bu, 0x35b5a8fau, 0x42b2986cu,
    0xdbbbc9d6u, 0xacbcf940u, 0x32d86ce3u, 0x45df5c75u, 0xdcd60dcfu, 0xabd13d59u,
    0x26d930acu, 0x51de003au, 0xc8d75180u, 0xbfd06116u, 0x21b4f4b5u, 0x56b3c423u,
    0xcfba9599u, 0xb8bda50fu, 0x2802b89eu, 0x5f058808u, 0xc60cd9b2u, 0xb10be924u,
    0x2f6f7c87u, 0x58684c11u, 0xc1611dabu, 0xb6662d3du, 0x76dc4190u, 0x01db7106u,
    0x98d220bcu, 0xefd5102au, 0x71b18589u, 0x06b6b51fu, 0x9fbfe4a5u, 0xe8b8d433u,
    0x7807c9a2u, 0x0f00f934u, 0x9609a88eu, 0xe10e9818u, 0x7f6a0dbbu, 0x086d3d2du,
    0x91646c97u, 0xe6635c01u, 0x6b6b51f4u, 0x1c6c6162u, 0x856530d8u, 0xf262004eu,
    0x6c0695edu, 0x1b01a57bu, 0x8208f4c1u, 0xf50fc457u, 0x65b0d9c6u, 0x12b7e950u,
    0x8bbeb8eau, 0xfcb9887cu, 0x62dd1ddfu, 0x15da2d49u, 0x8cd37cf3u, 0xfbd44c65u,
    0x4db26158u, 0x3ab551ceu, 0xa3bc0074u, 0xd4bb30e2u, 0x4adfa541u, 0x3dd895d7u,
    0xa4d1c46du, 0xd3d6f4fbu, 0x4369e96au, 0x346ed9fcu, 0xad678846u, 0xda60b8d0u,
    0x44042d73u, 0x33031de5u, 0xaa0a4c5fu, 0xdd0d7cc9u, 0x5005713cu, 0x270241aau,
    0xbe0b1010u, 0xc90c2086u, 0x5768b525u, 0x206f85b3u, 0xb966d409u, 0xce61e49fu,
    0x5edef90eu, 0x29d9c998u, 0xb0d09822u, 0xc7d7a8b4u, 0x59b33d17u, 0x2eb40d81u,
    0xb7bd5c3bu, 0xc0ba6cadu, 0xedb88320u, 0x9abfb3b6u, 0x03b6e20cu, 0x74b1d29au,
    0xead54739u, 0x9dd277afu, 0x04db2615u, 0x73dc1683u, 0xe3630b12u, 0x94643b84u,
    0x0d6d6a3eu, 0x7a6a5aa8u, 0xe40ecf0bu, 0x9309ff9du, 0x0a00ae27u, 0x7d079eb1u,
    0xf00f9344u, 0x8708a3d2u, 0x1e01f268u, 0x6906c2feu, 0xf762575du, 0x806567cbu,
    0x196c3671u, 0x6e6b06e7u, 0xfed41b76u, 0x89d32be0u, 0x10da7a5au, 0x67dd4accu,
    0xf9b9df6fu, 0x8ebeeff9u, 0x17b7be43u, 0x60b08ed5u, 0xd6d6a3e8u, 0xa1d1937eu,
    0x38d8c2c4u, 0x4fdff252u, 0xd1bb67f1u, 0xa6bc5767u, 0x3fb506ddu, 0x48b2364bu,
    0xd80d2bdau, 0xaf0a1b4cu, 0x36034af6u, 0x41047a60u, 0xdf60efc3u, 0xa867df55u,
    0x316e8eefu, 0x4669be79u, 0xcb61b38cu, 0xbc66831au, 0x256fd2a0u, 0x5268e236u,
    0xcc0c7795u, 0xbb0b4703u, 0x220216b9u, 0x5505262fu, 0xc5ba3bbeu, 0xb2bd0b28u,
    0x2bb45a92u, 0x5cb36a04u, 0xc2d7ffa7u, 0xb5d0cf31u, 0x2cd99e8bu, 0x5bdeae1du,
    0x9b64c2b0u, 0xec63f226u, 0x756aa39cu, 0x026d930au, 0x9c0906a9u, 0xeb0e363fu,
    0x72076785u, 0x05005713u, 0x95bf4a82u, 0xe2b87a14u, 0x7bb12baeu, 0x0cb61b38u,
    0x92d28e9bu, 0xe5d5be0du, 0x7cdcefb7u, 0x0bdbdf21u, 0x86d3d2d4u, 0xf1d4e242u,
    0x68ddb3f8u, 0x1fda836eu, 0x81be16cdu, 0xf6b9265bu, 0x6fb077e1u, 0x18b74777u,
    0x88085ae6u, 0xff0f6a70u, 0x66063bcau, 0x11010b5cu, 0x8f659effu, 0xf862ae69u,
    0x616bffd3u, 0x166ccf45u, 0xa00ae278u, 0xd70dd2eeu, 0x4e048354u, 0x3903b3c2u,
    0xa7672661u, 0xd06016f7u, 0x4969474du, 0x3e6e77dbu, 0xaed16a4au, 0xd9d65adcu,
    0x40df0b66u, 0x37d83bf0u, 0xa9bcae53u, 0xdebb9ec5u, 0x47b2cf7fu, 0x30b5ffe9u,
    0xbdbdf21cu, 0xcabac28au, 0x53b39330u, 0x24b4a3a6u, 0xbad03605u, 0xcdd70693u,
    0x54de5729u, 0x23d967bfu, 0xb3667a2eu, 0xc4614ab8u, 0x5d681b02u, 0x2a6f2b94u,
    0xb40bbe37u, 0xc30c8ea1u, 0x5a05df1bu, 0x2d02ef8du,
};

uint32_t mo_statefile_crc32(uint32_t crc, const void *buf, size_t len)
{
    const unsigned char *p = buf;
    crc = ~crc;
    for (size_t i = 0; i < len; i++)
        crc = crc_table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
    return ~crc;
}

static int cmp_entry(const void *a, const void *b)
{
    const struct mo_statefile_entry *x = *(const struct mo_statefile_entry *const *)a;
    const struct mo_statefile_entry *y = *(const struct mo_statefile_entry *const *)b;
    int c = strcmp(x->cache, y->cache);
    return c ? c : strcmp(x->topic, y->topic);
}

/* Pointers to v sorted by (cache, topic); NULL when out of memory. */
static const struct mo_statefile_entry **sort_entries(const struct mo_statefile_entry *v, size_t n)
{
    const struct mo_statefile_entry **s = malloc((n ? n : 1) * sizeof *s);
    if (!s)
        return NULL;
    for (size_t i = 0; i < n; i++)
        s[i] = &v[i];
    qsort(s, n, sizeof *s, cmp_entry);
    return s;
}

/* Bytes for a message, escaped as in the file; cut with "..." where they
 * would not fit in size (at least 16). */
static const char *show(const char *s, size_t len, char *buf, size_t size)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (o + 4 + 4 > size) { /* the longest escape, then "..." and the NUL */
            o += (size_t)snprintf(buf + o, size - o, "...");
            break;
        }
        if (c == '"' || c == '\\')
            o += (size_t)snprintf(buf + o, size - o, "\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            o += (size_t)snprintf(buf + o, size - o, "\\x%02x", c);
        else
            buf[o++] = (char)c;
    }
    buf[o] = '\0';
    return buf;
}

static void seterr(char *err, size_t err_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t err_len, const char *fmt, ...)
{
    if (!err || !err_len)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_len, fmt, ap);
    va_end(ap);
}

/* ---- encoding ---------------------------------------------------------- */

struct out {
    char *buf;
    size_t len, cap;
    bool oom;
};

static void put(struct out *o, const char *s, size_t n)
{
    if (o->oom)
        return;
    if (o->cap - o->len < n) {
        size_t cap = o->cap ? o->cap : 256;
        while (cap - o->len < n)
            cap *= 2;
        char *b = realloc(o->buf, cap);
        if (!b) {
            o->oom = true;
            return;
        }
        o->buf = b;
        o->cap = cap;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}

static bool plain(unsigned char c) { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\'; }

static void put_name(struct out *o, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    put(o, "\"", 1);
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        /* a run of bytes written as they are, in one go */
        const unsigned char *q = p;
        while (*q && plain(*q))
            q++;
        put(o, (const char *)p, (size_t)(q - p));
        if (!*q)
            break;
        char e[4] = {'\\', (char)*q, 0, 0};
        if (*q == '"' || *q == '\\') {
            put(o, e, 2);
        } else {
            e[1] = 'x';
            e[2] = hex[*q >> 4];
            e[3] = hex[*q & 15];
            put(o, e, 4);
        }
        p = q + 1;
    }
    put(o, "\"", 1);
}

/* " <v>" in decimal (by hand: this runs twice per entry, once a second) */
static void put_u64(struct out *o, uint64_t v)
{
    char b[U64_DIGITS_MAX + 1], *p = b + sizeof b;
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    *--p = ' ';
    put(o, p, (size_t)(b + sizeof b - p));
}

int mo_statefile_encode(const struct mo_statefile_entry *v, size_t n, char **ret_buf,
                        size_t *ret_len, char *err, size_t err_len)
{
    char a[80], b[80];
    if (n > MO_STATEFILE_ENTRIES_MAX) {
        seterr(err, err_len, "%zu entries, at most %u", n, MO_STATEFILE_ENTRIES_MAX);
        return -EFBIG;
    }
    for (size_t i = 0; i < n; i++) {
        if (!v[i].cache || !v[i].topic) {
            seterr(err, err_len, "entry %zu has no %s name", i + 1, v[i].cache ? "topic" : "cache");
            return -EINVAL;
        }
        size_t lc = strlen(v[i].cache), lt = strlen(v[i].topic);
        if (lc > MO_STATEFILE_NAME_MAX || lt > MO_STATEFILE_NAME_MAX) {
            seterr(err, err_len, "entry %zu: %s name of %zu bytes, at most %u", i + 1,
                   lc > MO_STATEFILE_NAME_MAX ? "cache" : "topic",
                   lc > MO_STATEFILE_NAME_MAX ? lc : lt, MO_STATEFILE_NAME_MAX);
            return -ENAMETOOLONG;
        }
    }
    /* The decoder refuses duplicates, so the encoder must not write them. */
    _cleanup_free_ const struct mo_statefile_entry **s = sort_entries(v, n);
    if (!s) {
        seterr(err, err_len, "out of memory");
        return -ENOMEM;
    }
    for (size_t i = 1; i < n; i++)
        if (cmp_entry(&s[i - 1], &s[i]) == 0) {
            seterr(err, err_len, "two entries for cache \"%s\" topic \"%s\"",
                   show(s[i]->cache, strlen(s[i]->cache), a, sizeof a),
                   show(s[i]->topic, strlen(s[i]->topic), b, sizeof b));
            return -EINVAL;
        }

    struct out o = {0};
    char line[64];
    int k = snprintf(line, sizeof line, HEADER "%d\n", MO_STATEFILE_VERSION);
    put(&o, line, (size_t)k);
    for (size_t i = 0; i < n && !o.oom && o.len <= MO_STATEFILE_SIZE_MAX; i++) {
        put(&o, "sub ", 4);
        put_name(&o, v[i].cache);
        put(&o, " ", 1);
        put_name(&o, v[i].topic);
        put_u64(&o, v[i].page);
        put_u64(&o, v[i].last);
        put(&o, "\n", 1);
    }
    if (!o.oom) {
        k = snprintf(line, sizeof line, "end %zu %08x\n", n,
                     (unsigned)mo_statefile_crc32(0, o.buf, o.len));
        put(&o, line, (size_t)k);
    }
    if (o.oom) {
        free(o.buf);
        seterr(err, err_len, "out of memory");
        return -ENOMEM;
    }
    if (o.len > MO_STATEFILE_SIZE_MAX) {
        free(o.buf);
        seterr(err, err_len, "%zu entries make a file over %u bytes", n, MO_STATEFILE_SIZE_MAX);
        return -EFBIG;
    }
    *ret_buf = o.buf;
    *ret_len = o.len;
    return 0;
}

/* ---- decoding ---------------------------------------------------------- */

struct in {
    const char *buf;
    size_t len;
    const char *name;
    size_t pos;        /* next byte */
    size_t line_start; /* offset of the current line */
    size_t line_end;   /* offset of its '\n' */
    unsigned line;     /* 1-based */
    char *err;
    size_t err_len;
};

static int col(const struct in *in, size_t at) { return (int)(at - in->line_start + 1); }

/* An error at byte offset `at` of the current line. */
static int fail_at(const struct in *in, size_t at, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail_at(const struct in *in, size_t at, int code, const char *fmt, ...)
{
    if (in->err && in->err_len) {
        int k = snprintf(in->err, in->err_len, "%s:%u:%d: ", in->name, in->line, col(in, at));
        if (k >= 0 && (size_t)k < in->err_len) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(in->err + k, in->err_len - (size_t)k, fmt, ap);
            va_end(ap);
        }
    }
    return code;
}

/* What stands at `at`, for "expected X, found Y". */
static const char *found(const struct in *in, size_t at, char *b, size_t size)
{
    if (at >= in->line_end)
        return "the end of the line";
    unsigned char c = (unsigned char)in->buf[at];
    if (c == ' ')
        return "a space";
    if (c > 0x20 && c < 0x7f)
        snprintf(b, size, "'%c'", c);
    else
        snprintf(b, size, "byte 0x%02x", c);
    return b;
}

static int expect(struct in *in, char c, const char *what)
{
    char b[16];
    if (in->pos < in->line_end && in->buf[in->pos] == c) {
        in->pos++;
        return 0;
    }
    return fail_at(in, in->pos, -EBADMSG, "expected %s, found %s", what,
                   found(in, in->pos, b, sizeof b));
}

/* A decimal u64 in canonical form: no sign, no leading zero, no overflow. */
static int read_u64(struct in *in, const char *what, uint64_t *ret)
{
    char b[16];
    size_t start = in->pos;
    uint64_t v = 0;
    while (in->pos < in->line_end && in->buf[in->pos] >= '0' && in->buf[in->pos] <= '9') {
        unsigned d = (unsigned)(in->buf[in->pos] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return fail_at(in, start, -EBADMSG, "%s is over 18446744073709551615", what);
        v = v * 10 + d;
        in->pos++;
    }
    if (in->pos == start)
        return fail_at(in, start, -EBADMSG, "expected %s (a decimal number), found %s", what,
                       found(in, start, b, sizeof b));
    if (in->buf[start] == '0' && in->pos - start > 1)
        return fail_at(in, start, -EBADMSG, "%s has a leading zero", what);
    *ret = v;
    return 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* A quoted name, unescaped into *arena (which advances past its NUL). */
static int read_name(struct in *in, const char *what, char **arena, const char **ret)
{
    char b[16];
    size_t start = in->pos;
    if (in->pos >= in->line_end || in->buf[in->pos] != '"')
        return fail_at(in, in->pos, -EBADMSG, "expected the %s name in double quotes, found %s",
                       what, found(in, in->pos, b, sizeof b));
    in->pos++;
    char *out = *arena, *o = out;
    for (;;) {
        if (in->pos >= in->line_end)
            return fail_at(in, start, -EBADMSG, "the %s name has no closing quote", what);
        unsigned char c = (unsigned char)in->buf[in->pos];
        if (c == '"')
            break;
        if ((size_t)(o - out) == MO_STATEFILE_NAME_MAX)
            return fail_at(in, start, -EBADMSG, "the %s name is over %u bytes", what,
                           MO_STATEFILE_NAME_MAX);
        if (c == '\\') {
            size_t at = in->pos;
            char e = in->pos + 1 < in->line_end ? in->buf[in->pos + 1] : 0;
            if (e == '"' || e == '\\') {
                *o++ = e;
                in->pos += 2;
                continue;
            }
            int hi = in->pos + 3 < in->line_end ? hexval(in->buf[in->pos + 2]) : -1;
            int lo = hi >= 0 ? hexval(in->buf[in->pos + 3]) : -1;
            if (e != 'x' || lo < 0)
                return fail_at(in, at, -EBADMSG, "bad escape in the %s name (\\\", \\\\ or \\xHH)",
                               what);
            if (hi == 0 && lo == 0)
                return fail_at(in, at, -EBADMSG, "NUL byte (\\x00) in the %s name", what);
            *o++ = (char)(hi << 4 | lo);
            in->pos += 4;
            continue;
        }
        if (c < 0x20 || c >= 0x7f)
            return fail_at(in, in->pos, -EBADMSG, "byte 0x%02x in the %s name (written \\x%02x)", c,
                           what, c);
        *o++ = (char)c;
        in->pos++;
    }
    in->pos++; /* the closing quote */
    *o++ = '\0';
    *arena = o;
    *ret = out;
    return 0;
}

static int end_of_line(struct in *in)
{
    char b[16];
    if (in->pos == in->line_end)
        return 0;
    return fail_at(in, in->pos, -EBADMSG, "expected the end of the line, found %s",
                   found(in, in->pos, b, sizeof b));
}

/* Moves to the next line; false at the end of the input. A last line without
 * its '\n' is the mark of a file cut short. */
static int next_line(struct in *in, bool *more)
{
    in->line_start = in->pos;
    in->line++;
    if (in->pos == in->len) {
        *more = false;
        return 0;
    }
    const char *nl = memchr(in->buf + in->pos, '\n', in->len - in->pos);
    if (!nl) {
        in->line_end = in->len;
        return fail_at(in, in->len, -EBADMSG, "the file ends in the middle of a line (truncated)");
    }
    in->line_end = (size_t)(nl - in->buf);
    *more = true;
    return 0;
}

static bool starts(const struct in *in, const char *word)
{
    size_t n = strlen(word);
    return in->line_end - in->pos >= n && memcmp(in->buf + in->pos, word, n) == 0;
}

static int read_header(struct in *in)
{
    size_t hn = strlen(HEADER);
    size_t have = in->len < hn ? in->len : hn;
    if (memcmp(in->buf, HEADER, have) != 0) {
        char b[80];
        size_t k = in->len < 16 ? in->len : 16;
        seterr(in->err, in->err_len, "%s: not a momento-subscriber state file (it begins \"%s\"%s)",
               in->name, show(in->buf, k, b, sizeof b), in->len > k ? "..." : "");
        return -EBADMSG;
    }
    bool more;
    int r = next_line(in, &more);
    if (r < 0)
        return r;
    in->pos += hn;
    uint64_t version;
    r = read_u64(in, "the format version", &version);
    if (r < 0)
        return r;
    r = end_of_line(in);
    if (r < 0)
        return r;
    if (version != MO_STATEFILE_VERSION)
        return fail_at(in, in->line_start + hn, -EPROTONOSUPPORT,
                       "state file format version %llu; this program reads version %d",
                       (unsigned long long)version, MO_STATEFILE_VERSION);
    in->pos++;
    return 0;
}

static int read_end(struct in *in, size_t n)
{
    size_t crc_end = in->line_start;
    in->pos += 4;
    uint64_t count;
    int r = read_u64(in, "the entry count", &count);
    if (r < 0)
        return r;
    r = expect(in, ' ', "a space");
    if (r < 0)
        return r;
    size_t at = in->pos;
    uint32_t crc = 0;
    for (int i = 0; i < 8; i++, in->pos++) {
        char c = in->pos < in->line_end ? in->buf[in->pos] : 0;
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return fail_at(in, at, -EBADMSG, "expected a checksum of 8 lowercase hex digits");
        crc = crc << 4 | (uint32_t)hexval(c);
    }
    r = end_of_line(in);
    if (r < 0)
        return r;
    if (count != n)
        return fail_at(in, in->line_start + 4, -EBADMSG,
                       "the end line counts %llu entries, the file has %zu",
                       (unsigned long long)count, n);
    uint32_t have = mo_statefile_crc32(0, in->buf, crc_end);
    if (have != crc)
        return fail_at(in, at, -EBADMSG,
                       "checksum mismatch: the end line says %08x, the lines before it make %08x "
                       "(the file was damaged or edited)",
                       (unsigned)crc, (unsigned)have);
    in->pos++;
    if (in->pos != in->len) {
        in->line++;
        in->line_start = in->pos;
        return fail_at(in, in->pos, -EBADMSG, "data after the end line");
    }
    return 0;
}

void mo_statefile_free(mo_statefile *sf)
{
    if (!sf)
        return;
    free(sf->v);
    free(sf->sorted);
    free(sf->names);
    free(sf);
}

MO_DEFINE_FREEP(mo_statefile, mo_statefile_free)

int mo_statefile_decode(const char *buf, size_t len, const char *name, mo_statefile **ret,
                        char *err, size_t err_len)
{
    struct in in = {
        .buf = buf, .len = len, .name = name ? name : "state file", .err = err, .err_len = err_len};
    if (len == 0) {
        seterr(err, err_len, "%s: empty file", in.name);
        return -EBADMSG;
    }
    if (len > MO_STATEFILE_SIZE_MAX) {
        seterr(err, err_len, "%s: %zu bytes, more than a state file may have (%u)", in.name, len,
               MO_STATEFILE_SIZE_MAX);
        return -EFBIG;
    }
    _cleanup_(mo_statefile_freep) mo_statefile *sf = calloc(1, sizeof *sf);
    /* Unescaped names are never longer than their quoted form with its
     * closing quote, so one block of len bytes holds them all. */
    if (sf)
        sf->names = malloc(len);
    if (!sf || !sf->names) {
        seterr(err, err_len, "out of memory");
        return -ENOMEM;
    }
    _cleanup_free_ unsigned *lines = NULL; /* line of each entry, for duplicates */
    size_t cap = 0;
    char *arena = sf->names;

    int r = read_header(&in);
    if (r < 0)
        return r;
    for (;;) {
        bool more;
        r = next_line(&in, &more);
        if (r < 0)
            return r;
        if (!more)
            return fail_at(&in, in.pos, -EBADMSG, "the file ends without its end line (truncated)");
        if (starts(&in, "end ")) {
            r = read_end(&in, sf->n);
            if (r < 0)
                return r;
            break;
        }
        if (!starts(&in, "sub "))
            return fail_at(&in, in.pos, -EBADMSG, "expected a \"sub\" or \"end\" line");
        if (sf->n == MO_STATEFILE_ENTRIES_MAX)
            return fail_at(&in, in.pos, -EFBIG, "more than %u entries", MO_STATEFILE_ENTRIES_MAX);
        if (sf->n == cap) {
            cap = cap ? cap * 2 : 16;
            struct mo_statefile_entry *v = realloc(sf->v, cap * sizeof *v);
            if (v)
                sf->v = v;
            unsigned *l = v ? realloc(lines, cap * sizeof *l) : NULL;
            if (!l) {
                seterr(err, err_len, "out of memory");
                return -ENOMEM;
            }
            lines = l;
        }
        struct mo_statefile_entry *e = &sf->v[sf->n];
        in.pos += 4;
        if ((r = read_name(&in, "cache", &arena, &e->cache)) < 0 ||
            (r = expect(&in, ' ', "a space")) < 0 ||
            (r = read_name(&in, "topic", &arena, &e->topic)) < 0 ||
            (r = expect(&in, ' ', "a space")) < 0 ||
            (r = read_u64(&in, "the page", &e->page)) < 0 ||
            (r = expect(&in, ' ', "a space")) < 0 ||
            (r = read_u64(&in, "the sequence number", &e->last)) < 0 || (r = end_of_line(&in)) < 0)
            return r;
        lines[sf->n++] = in.line;
        in.pos++;
    }

    sf->sorted = sort_entries(sf->v, sf->n);
    if (!sf->sorted) {
        seterr(err, err_len, "out of memory");
        return -ENOMEM;
    }
    for (size_t i = 1; i < sf->n; i++) {
        if (cmp_entry(&sf->sorted[i - 1], &sf->sorted[i]) != 0)
            continue;
        size_t x = (size_t)(sf->sorted[i - 1] - sf->v), y = (size_t)(sf->sorted[i] - sf->v);
        if (x > y) {
            size_t t = x;
            x = y;
            y = t;
        }
        char a[80], b[80];
        seterr(err, err_len,
               "%s:%u:5: a second entry for cache \"%s\" topic \"%s\" (first on line %u)", in.name,
               lines[y], show(sf->v[y].cache, strlen(sf->v[y].cache), a, sizeof a),
               show(sf->v[y].topic, strlen(sf->v[y].topic), b, sizeof b), lines[x]);
        return -EBADMSG;
    }
    *ret = TAKE_PTR(sf);
    return 0;
}

const struct mo_statefile_entry *mo_statefile_entries(const mo_statefile *sf)
{
    return sf ? sf->v : NULL;
}

size_t mo_statefile_count(const mo_statefile *sf) { return sf ? sf->n : 0; }

const struct mo_statefile_entry *mo_statefile_find(const mo_statefile *sf, const char *cache,
                                                   const char *topic)
{
    if (!sf)
        return NULL;
    struct mo_statefile_entry key = {.cache = cache, .topic = topic};
    const struct mo_statefile_entry *k = &key;
    const struct mo_statefile_entry **p =
        bsearch(&k, sf->sorted, sf->n, sizeof *sf->sorted, cmp_entry);
    return p ? *p : NULL;
}
