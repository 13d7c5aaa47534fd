/* hist.c - fuzz target: the histogram's text encoding (mo_hist_decode and
 * mo_hist_encode, src/lib/hist.h).
 *
 * Byte 0 picks what the rest is:
 *   even  an encoded histogram ("h1,DELTA:COUNT..."), decoded;
 *   odd   values to record, 10 bytes each: an int64 (big-endian), a right
 *         shift for it (so small magnitudes are common), a count.
 * Properties: decoding gives 0 or -EINVAL; what decodes encodes to the same
 * buckets and counts it was given, and that encoding decodes to a histogram
 * that encodes the same, with the same count and negative count; recorded
 * values keep their exact min and max, and an encoding of them decodes to the
 * same buckets.
 */
#include <config.h>

#include <errno.h>
#include <inttypes.h>

#include "fuzz.h"
#include "hist.h"

#define ENC_MAX (2 * MO_HIST_BUCKETS * 32) /* every bucket of both sides, 32 bytes each */

static char enc1[ENC_MAX], enc2[ENC_MAX];

static mo_hist *new_hist(void)
{
    mo_hist *h = NULL;
    FUZZ_CHECK(mo_hist_new(&h) == 0);
    return h;
}

/* h encodes, and its encoding decodes to a histogram that encodes the same. */
static void round_trip(const mo_hist *h)
{
    int n = mo_hist_encode(h, enc1, sizeof enc1);
    FUZZ_CHECK(n >= 2 && (size_t)n < sizeof enc1 && strlen(enc1) == (size_t)n);
    mo_hist *h2 = new_hist();
    int r = mo_hist_decode(h2, enc1);
    if (r != 0)
        fprintf(stderr, "encoding does not decode: %.200s\n", enc1);
    FUZZ_CHECK(r == 0);
    int n2 = mo_hist_encode(h2, enc2, sizeof enc2);
    if (n2 != n || strcmp(enc1, enc2) != 0)
        fprintf(stderr, "encoded   %.200s\nre-encoded %.200s\n", enc1, enc2);
    FUZZ_CHECK(n2 == n && strcmp(enc1, enc2) == 0);
    FUZZ_CHECK(mo_hist_count(h2) == mo_hist_count(h));
    FUZZ_CHECK(mo_hist_negative(h2) == mo_hist_negative(h));
    mo_hist_free(h2);
}

static void check_quantiles(const mo_hist *h)
{
    static const double qs[] = {0, 0.001, 0.5, 0.9, 0.99, 0.999, 1};
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
        int64_t v = mo_hist_quantile(h, qs[i]);
        FUZZ_CHECK(v >= mo_hist_min(h) && v <= mo_hist_max(h));
    }
}

/* The (key, count) pairs of an encoding that decoded, in order. */
static size_t keys_of(const char *s, int64_t *keys, uint64_t *counts, size_t max)
{
    size_t n = 0;
    int64_t key = 0;
    for (s += 2; *s && n < max; n++) {
        char *end;
        key += strtoll(s + 1, &end, 10);
        keys[n] = key;
        counts[n] = strtoull(end + 1, &end, 10);
        s = end;
    }
    FUZZ_CHECK(*s == '\0');
    return n;
}

/* Decoding s and encoding the result gives the buckets and counts s gave. */
static void same_buckets(const char *s, const char *enc)
{
    enum { MAX = 4096 };
    static int64_t k1[MAX], k2[MAX];
    static uint64_t c1[MAX], c2[MAX];
    size_t n1 = keys_of(s, k1, c1, MAX), n2 = keys_of(enc, k2, c2, MAX);
    if (n1 != n2)
        fprintf(stderr, "decoded   %.200s\nre-encoded %.200s\n", s, enc);
    FUZZ_CHECK(n1 == n2);
    for (size_t i = 0; i < n1; i++) {
        if (k1[i] != k2[i] || c1[i] != c2[i])
            fprintf(stderr, "decoded   %.200s\nre-encoded %.200s\n", s, enc);
        FUZZ_CHECK(k1[i] == k2[i] && c1[i] == c2[i]);
    }
}

static void decode_text(const uint8_t *data, size_t size)
{
    char *s = fuzz_strndup(data, size);
    mo_hist *h = new_hist();
    int r = mo_hist_decode(h, s);
    FUZZ_CHECK(r == 0 || r == -EINVAL);
    if (r == 0) {
        round_trip(h);
        same_buckets(s, enc1);
        check_quantiles(h);
    }
    mo_hist_free(h);
    free(s);
}

static void record_values(const uint8_t *data, size_t size)
{
    mo_hist *h = new_hist();
    int64_t min = 0, max = 0;
    uint64_t count = 0, negative = 0;
    for (; size >= 10; data += 10, size -= 10) {
        uint64_t u = 0;
        for (int i = 0; i < 8; i++)
            u = u << 8 | data[i];
        int64_t v = (int64_t)u >> (data[8] % 64);
        uint64_t n = data[9];
        mo_hist_record_n(h, v, n);
        if (n == 0)
            continue;
        if (count == 0 || v < min)
            min = v;
        if (count == 0 || v > max)
            max = v;
        count += n;
        if (v < 0)
            negative += n;
    }
    FUZZ_CHECK(mo_hist_count(h) == count && mo_hist_negative(h) == negative);
    FUZZ_CHECK(mo_hist_min(h) == min && mo_hist_max(h) == max);
    check_quantiles(h);
    round_trip(h);
    mo_hist_free(h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t b = fuzz_byte(&data, &size);
    if (b & 1)
        record_values(data, size);
    else
        decode_text(data, size);
    return 0;
}
