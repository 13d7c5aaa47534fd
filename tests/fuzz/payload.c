/* payload.c - fuzz target: the payload timestamp decoder in every mode
 * (mo_decode_timestamp, src/daemon/latency/decode.h).
 *
 * The first bytes choose the decoder, the rest is the payload:
 *   byte 0  mode (json, text, binary) and timestamp format (auto, rfc3339, epoch_*)
 *   byte 1  binary: encoding (low 2 bits) and unit (next 2 bits);
 *           json: the dotted field, from a table, or (high bit set) read from
 *           the input up to a newline
 *   byte 2  the reason buffer's size (0: no buffer)
 *   byte 3, 4  binary: the offset (byte 3 == 0xff: an offset near SIZE_MAX)
 * Properties: only 0, -EINVAL or -ERANGE; a reason that fits its buffer and
 * MO_DECODE_REASON_MAX, and says something on failure; binary values equal an
 * independent reading of the integer; a JSON number, which the decoder reads
 * exactly from the text it finds for the field, agrees with cJSON's double for
 * that field within their rounding (so the text it found is the field's).
 */
#include <config.h>

#include <errno.h>
#include <math.h>
#include <stdbool.h>

#include <cjson/cJSON.h>

#include "fuzz.h"
#include "latency/decode.h"

static const char *const fields[] = {
    NULL, /* no path: the whole JSON value is the timestamp */
    "timestamp",
    "published_ms",
    "meta.sent_at",
    "a.b",
    "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p", /* MO_DECODE_PATH_MAX components */
    "t",
    "ts.ns",
};
#define N_FIELDS (sizeof fields / sizeof fields[0])

/* The integer at the decoder's offset, read byte by byte. */
static bool binary_value(const struct mo_decoder *d, const uint8_t *p, size_t len, uint64_t *ret)
{
    size_t size = d->encoding == MO_BIN_U64BE || d->encoding == MO_BIN_U64LE ? 8 : 4;
    bool big = d->encoding == MO_BIN_U32BE || d->encoding == MO_BIN_U64BE;
    if (d->offset >= len || len - d->offset < size)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < size; i++) {
        size_t at = d->offset + (big ? i : size - 1 - i);
        v = v << 8 | p[at];
    }
    *ret = v;
    return true;
}

/* True when |v| is within rounding of a boundary where `auto` changes unit. */
static bool near_auto_boundary(double v)
{
    static const double b[] = {1e11, 1e14, 1e17};
    for (size_t i = 0; i < 3; i++)
        if (fabs(fabs(v) - b[i]) <= b[i] * 0x1p-45)
            return true;
    return false;
}

/* A JSON number at d's path, read again through cJSON's double. */
static void json_number(const struct mo_decoder *d, const uint8_t *p, size_t len, int r, int64_t ns)
{
    if (d->format == MO_TS_RFC3339 || (r != 0 && r != -ERANGE))
        return;
    cJSON *root = cJSON_ParseWithLengthOpts((const char *)p, len, NULL, false);
    FUZZ_CHECK(root != NULL); /* the decoder read it */
    const cJSON *v = root;
    for (size_t i = 0; v && i < d->path_len; i++) {
        char key[256];
        if (d->path_lens[i] >= sizeof key) {
            v = NULL;
            break;
        }
        memcpy(key, d->path[i], d->path_lens[i]);
        key[d->path_lens[i]] = '\0';
        v = cJSON_GetObjectItemCaseSensitive(v, key);
    }
    if (v && cJSON_IsNumber(v) && !(d->format == MO_TS_AUTO && near_auto_boundary(v->valuedouble))) {
        int64_t dns;
        int dr = mo_time_epoch_double(v->valuedouble, (enum mo_time_format)d->format, &dns, NULL, 0);
        if (r == 0 && dr == 0) {
            double diff = fabs((double)ns - (double)dns);
            if (diff > fabs((double)ns) * 0x1p-50 + 2)
                fprintf(stderr, "exact %lld, through a double %lld\n", (long long)ns, (long long)dns);
            FUZZ_CHECK(diff <= fabs((double)ns) * 0x1p-50 + 2);
        } else if (r == 0) {
            FUZZ_CHECK(fabs((double)ns) >= 9223372036854775808.0 * (1 - 0x1p-50));
        } else if (dr == 0) {
            FUZZ_CHECK(fabs((double)dns) >= 9223372036854775808.0 * (1 - 0x1p-50));
        }
    }
    cJSON_Delete(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t b0 = fuzz_byte(&data, &size), b1 = fuzz_byte(&data, &size);
    uint8_t b2 = fuzz_byte(&data, &size), b3 = fuzz_byte(&data, &size);
    uint8_t b4 = fuzz_byte(&data, &size);

    struct mo_decoder d = {0};
    d.mode = (enum mo_decode_mode)(b0 % 3);
    d.format = (enum mo_ts_format)(b0 / 3 % 6);
    d.encoding = (enum mo_bin_encoding)(b1 & 3);
    d.unit = (enum mo_ts_unit)(b1 >> 2 & 3);
    d.offset = b3 == 0xff ? SIZE_MAX - b4 : (size_t)b3 << 8 | b4;

    char *field = NULL;
    if (d.mode == MO_DECODE_JSON) {
        if (b1 & 0x80) {
            const uint8_t *nl = memchr(data, '\n', size);
            size_t n = nl ? (size_t)(nl - data) : size;
            field = fuzz_strndup(data, n);
            data += nl ? n + 1 : n;
            size -= nl ? n + 1 : n;
            if (mo_decoder_set_field(&d, field) < 0) {
                FUZZ_CHECK(d.path_len == 0 && d.field == NULL); /* untouched */
                free(field);
                return 0;
            }
        } else if (fields[b1 % N_FIELDS]) {
            FUZZ_CHECK(mo_decoder_set_field(&d, fields[b1 % N_FIELDS]) == 0);
        }
        FUZZ_CHECK(d.path_len <= MO_DECODE_PATH_MAX);
    }

    uint8_t *payload = fuzz_memdup(data, size);
    size_t reason_len = b2;
    char *reason = reason_len ? malloc(reason_len) : NULL;
    if (reason_len && !reason)
        abort();
    int64_t ns = INT64_MIN + 12345;
    int r = mo_decode_timestamp(&d, payload, size, &ns, reason, reason_len);

    FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ERANGE);
    if (reason) {
        FUZZ_CHECK(fuzz_terminated(reason, reason_len));
        FUZZ_CHECK(strlen(reason) < MO_DECODE_REASON_MAX);
        if (r == 0)
            FUZZ_CHECK(reason[0] == '\0');
        else if (reason_len > 1)
            FUZZ_CHECK(reason[0] != '\0');
    }
    if (r != 0)
        FUZZ_CHECK(ns == INT64_MIN + 12345); /* set only on success */

    if (d.mode == MO_DECODE_JSON)
        json_number(&d, payload, size, r, ns);
    if (d.mode == MO_DECODE_BINARY) {
        uint64_t v;
        bool there = binary_value(&d, payload, size, &v);
        if (!there) {
            FUZZ_CHECK(r == -EINVAL);
        } else {
            static const uint64_t mult[] = {1000000000, 1000000, 1000, 1};
            uint64_t want;
            bool fits = !__builtin_mul_overflow(v, mult[d.unit], &want) &&
                        want <= (uint64_t)INT64_MAX;
            FUZZ_CHECK(r == (fits ? 0 : -ERANGE));
            if (fits)
                FUZZ_CHECK(ns == (int64_t)want);
        }
    }
    free(reason);
    free(payload);
    free(field);
    return 0;
}
