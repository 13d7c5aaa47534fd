/* secret.c - the base64 digits, the one rule for what looks like a secret, and
 * redaction (secret.h). */
#include <config.h>

#include <stdint.h>
#include <string.h>

#include "secret.h"

#define JSON_PROBE 12       /* rule 1: characters after a word start that must decode to text */
#define JSON_RUN_MIN 16     /* rule 2: shorter runs cannot hold "api_key" */
#define JSON_RUN_READ 8192  /* rule 2: characters of a run decoded; keys are far shorter */
#define RANDOM_RUN_MIN 32   /* rule 3: 24 random bytes; shorter names are left alone */

/* A flagged word is at least JSON_PROBE characters long, so the placeholder
 * never makes a scrubbed text longer (mo_secret_scrub works in place). */
_Static_assert(sizeof MO_SECRET_HIDDEN - 1 <= JSON_PROBE, "placeholder longer than a secret");

int mo_base64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    return -1;
}

static bool is_b64(char c) { return mo_base64_value((unsigned char)c) >= 0; }

/* Letter case or digit: 0 upper, 1 lower, 2 digit, -1 anything else. */
static int char_class(char c)
{
    if (c >= 'A' && c <= 'Z')
        return 0;
    if (c >= 'a' && c <= 'z')
        return 1;
    if (c >= '0' && c <= '9')
        return 2;
    return -1;
}

/* Decodes the n characters at s (base64 only; n a multiple of 4) into out. */
static size_t decode(const char *s, size_t n, unsigned char *out)
{
    size_t o = 0;
    for (size_t i = 0; i + 4 <= n; i += 4) {
        uint32_t v = 0;
        for (size_t k = 0; k < 4; k++)
            v = v << 6 | (uint32_t)mo_base64_value((unsigned char)s[i + k]);
        out[o++] = (unsigned char)(v >> 16);
        out[o++] = (unsigned char)(v >> 8);
        out[o++] = (unsigned char)v;
    }
    return o;
}

/* Rule 1 at s[0], where a word or a dotted part starts (n characters of
 * base64 follow, s[0] included). */
static bool json_start(const char *s, size_t n)
{
    if (n < JSON_PROBE || memcmp(s, "eyJ", 3) != 0)
        return false;
    unsigned char text[JSON_PROBE / 4 * 3];
    decode(s, JSON_PROBE, text);
    for (size_t i = 0; i < sizeof text; i++)
        if ((text[i] < 0x20 || text[i] > 0x7e) && text[i] != '\t' && text[i] != '\n' &&
            text[i] != '\r')
            return false;
    return true;
}

/* Rule 2 over a run of n base64 characters, in each of the 4 alignments. */
static bool json_with_key(const char *s, size_t n)
{
    if (n < JSON_RUN_MIN)
        return false;
    if (n > JSON_RUN_READ)
        n = JSON_RUN_READ;
    unsigned char text[JSON_RUN_READ / 4 * 3];
    for (size_t off = 0; off < 4; off++) {
        size_t len = decode(s + off, (n - off) / 4 * 4, text);
        if (memmem(text, len, "\"api_key\"", 9) || memmem(text, len, "\"endpoint\"", 10))
            return true;
    }
    return false;
}

/* Rule 3 over a run of n base64 characters. In random base64 about two in
 * three neighbouring letters and digits differ in class, and one in six is
 * two lower-case letters; in words, CamelCase names and host names a class
 * lasts a syllable or a word, and lower-case letters come in runs. So the
 * changes must outnumber the lower-case pairs by a tenth of all pairs. */
static bool random_run(const char *s, size_t n)
{
    if (n < RANDOM_RUN_MIN)
        return false;
    unsigned seen = 0;
    size_t pairs = 0, changes = 0, lower = 0;
    int prev = -1;
    for (size_t i = 0; i < n; i++) {
        int c = char_class(s[i]);
        if (c >= 0) {
            seen |= 1u << c;
            if (prev >= 0) {
                pairs++;
                changes += c != prev;
                lower += c == 1 && prev == 1;
            }
        }
        prev = c;
    }
    return (seen & 3) == 3 && pairs >= RANDOM_RUN_MIN / 2 && 10 * changes >= 10 * lower + pairs;
}

bool mo_secret_like(const char *s, size_t len)
{
    for (size_t i = 0; i < len;) {
        if (!is_b64(s[i])) {
            i++;
            continue;
        }
        size_t a = i;
        while (i < len && is_b64(s[i]))
            i++;
        /* the run s[a, i): a word start inside it follows a '/', '-', '_' or '+' */
        for (size_t k = a; k + JSON_PROBE <= i; k++)
            if ((k == a || char_class(s[k - 1]) < 0) && json_start(s + k, i - k))
                return true;
        if (json_with_key(s + a, i - a) || random_run(s + a, i - a))
            return true;
    }
    return false;
}

const char *mo_secret_redact(const char *s)
{
    return s && mo_secret_like(s, strlen(s)) ? MO_SECRET_HIDDEN : s;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Quotes, brackets and punctuation around a hidden word are kept: what is
 * neither base64 (padding included) nor a dot ("'():,; and the like). */
static bool is_punct(char c) { return !is_b64(c) && c != '.' && c != '='; }

/* Appends n bytes at p to dst (w bytes used of size), cut to fit. */
static size_t put(char *dst, size_t w, size_t size, const char *p, size_t n)
{
    if (n > size - 1 - w)
        n = size - 1 - w;
    memmove(dst + w, p, n);
    return w + n;
}

size_t mo_secret_scrub(const char *src, size_t len, char *dst, size_t size)
{
    if (size == 0)
        return 0;
    size_t r = 0, w = 0; /* w <= r: in place, writing never overtakes reading */
    while (r < len && w + 1 < size) {
        size_t a = r;
        bool space = is_space(src[r]);
        while (r < len && is_space(src[r]) == space)
            r++;
        if (space || !mo_secret_like(src + a, r - a)) {
            w = put(dst, w, size, src + a, r - a);
            continue;
        }
        size_t b = a, e = r; /* the word's core, without the punctuation around it */
        while (b < e && is_punct(src[b]))
            b++;
        while (e > b && is_punct(src[e - 1]))
            e--;
        w = put(dst, w, size, src + a, b - a);
        w = put(dst, w, size, MO_SECRET_HIDDEN, sizeof MO_SECRET_HIDDEN - 1);
        w = put(dst, w, size, src + e, r - e);
    }
    dst[w] = '\0';
    return w;
}
