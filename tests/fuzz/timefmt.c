/* timefmt.c - fuzz target: the time-format parsers and writers (src/lib/timefmt.h).
 *
 * Byte 0 picks an operation (low 3 bits) and a format (the rest, modulo 6);
 * the remaining bytes are its text or its binary arguments:
 *   0  mo_time_parse in the format              text
 *   1  mo_time_parse_rfc3339                    text
 *   2  mo_time_parse_epoch in the format        text; against strtod
 *   3  mo_time_parse_duration                   text
 *   4  write RFC 3339, read it back             int64 ns, digits, offset, buffer size
 *   5  write a duration, read it back           uint64 us
 *   6  mo_time_epoch_u64 against the text parser  uint64
 *   7  mo_time_epoch_double                     double
 * Properties: only 0, -EINVAL, -ERANGE (-ENOBUFS for a short buffer); reasons
 * fit MO_TIME_REASON_MAX and say something; every instant written is read back
 * as itself (truncated to the digits written), every duration too; the exact
 * epoch reader agrees with the double one within their rounding.
 */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>

#include "fuzz.h"
#include "timefmt.h"

#define TWO63 9223372036854775808.0

/* A failure has a reason (a success leaves the buffer alone). */
static void check_reason(int r, const char *reason)
{
    FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ERANGE);
    if (r < 0)
        FUZZ_CHECK(fuzz_terminated(reason, MO_TIME_REASON_MAX) && reason[0] != '\0');
}

static uint64_t take_u64(const uint8_t **data, size_t *size)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | fuzz_byte(data, size);
    return v;
}

/* An instant written with 9 digits in zone offset_min reads back as itself. */
static void round_trip_ns(int64_t ns, int offset_min)
{
    char buf[MO_TIME_RFC3339_MAX], reason[MO_TIME_REASON_MAX] = "";
    int n = mo_time_format_rfc3339(ns, 9, offset_min, buf, sizeof buf);
    FUZZ_CHECK(n > 0 && (size_t)n < sizeof buf && strlen(buf) == (size_t)n);
    int64_t back = 0;
    int r = mo_time_parse_rfc3339(buf, (size_t)n, &back, reason, sizeof reason);
    if (r != 0)
        fprintf(stderr, "%" PRId64 " written as %s: %s\n", ns, buf, reason);
    FUZZ_CHECK(r == 0 && back == ns);
    r = mo_time_parse(buf, (size_t)n, MO_TIME_AUTO, &back, reason, sizeof reason);
    FUZZ_CHECK(r == 0 && back == ns);
}

static void parse_any(const char *s, size_t len, enum mo_time_format f)
{
    char reason[MO_TIME_REASON_MAX];
    memset(reason, 'x', sizeof reason);
    int64_t ns = 42;
    int r = mo_time_parse(s, len, f, &ns, reason, sizeof reason);
    check_reason(r, reason);
    if (r == 0)
        round_trip_ns(ns, 0);
    else
        FUZZ_CHECK(ns == 42);
    /* a reason buffer of one byte holds "", and none at all is allowed */
    char tiny[1] = {'x'};
    FUZZ_CHECK(mo_time_parse(s, len, f, &ns, tiny, sizeof tiny) == r);
    FUZZ_CHECK(r == 0 || tiny[0] == '\0');
    FUZZ_CHECK(mo_time_parse(s, len, f, &ns, NULL, 0) == r);
}

static void parse_rfc3339(const char *s, size_t len)
{
    char reason[MO_TIME_REASON_MAX];
    memset(reason, 'x', sizeof reason);
    int64_t ns;
    int r = mo_time_parse_rfc3339(s, len, &ns, reason, sizeof reason);
    check_reason(r, reason);
    if (r == 0) {
        round_trip_ns(ns, 0);
        round_trip_ns(ns, 330);
        round_trip_ns(ns, -1439);
    }
}

static void parse_epoch(const char *s, size_t len, enum mo_time_format f)
{
    char reason[MO_TIME_REASON_MAX];
    memset(reason, 'x', sizeof reason);
    int64_t ns;
    int r = mo_time_parse_epoch(s, len, f, &ns, reason, sizeof reason);
    check_reason(r, reason);
    bool epoch = f >= MO_TIME_EPOCH_S && f <= MO_TIME_EPOCH_NS;
    if (!epoch && f != MO_TIME_AUTO)
        FUZZ_CHECK(r == -EINVAL);
    if (r == -EINVAL || !epoch)
        return;
    /* What was read exactly, read again through a double: strtod rounds once
     * and the unit's multiplication once, the conversion truncates. */
    char *z = strndup(s, len);
    FUZZ_CHECK(z != NULL);
    char *end;
    double v = strtod(z, &end);
    FUZZ_CHECK(*end == '\0'); /* what the exact reader takes, strtod reads whole */
    free(z);
    int64_t dns;
    int dr = mo_time_epoch_double(v, f, &dns, reason, sizeof reason);
    if (r == 0 && dr == 0) {
        double diff = fabs((double)ns - (double)dns);
        FUZZ_CHECK(diff <= fabs((double)ns) * 0x1p-50 + 2);
    } else if (r == 0) {
        FUZZ_CHECK(fabs((double)ns) >= TWO63 * (1 - 0x1p-50));
    } else if (dr == 0) {
        FUZZ_CHECK(fabs((double)dns) >= TWO63 * (1 - 0x1p-50));
    }
}

static void parse_duration(const char *s)
{
    uint64_t us = 7;
    int r = mo_time_parse_duration(s, &us);
    FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ERANGE);
    if (r != 0) {
        FUZZ_CHECK(us == 7);
        return;
    }
    FUZZ_CHECK(us <= MO_TIME_DURATION_MAX_US);
    char buf[64];
    int n = mo_time_format_duration(us, buf, sizeof buf);
    FUZZ_CHECK(n > 0 && (size_t)n < sizeof buf);
    uint64_t back;
    FUZZ_CHECK(mo_time_parse_duration(buf, &back) == 0 && back == us);
}

static void write_instant(const uint8_t *data, size_t size)
{
    int64_t ns = (int64_t)take_u64(&data, &size);
    int digits = fuzz_byte(&data, &size) % 11; /* 10: invalid */
    int offset = (int)(((unsigned)fuzz_byte(&data, &size) << 8 | fuzz_byte(&data, &size)) % 2881) -
                 1440; /* -1440 and 1440: invalid */
    size_t len = fuzz_byte(&data, &size) % (MO_TIME_RFC3339_MAX + 2);
    char *buf = malloc(len ? len : 1);
    FUZZ_CHECK(buf != NULL);
    int n = mo_time_format_rfc3339(ns, digits, offset, buf, len);
    bool valid = digits <= 9 && offset >= -1439 && offset <= 1439;
    if (!valid) {
        FUZZ_CHECK(n == -EINVAL);
    } else if (n < 0) {
        FUZZ_CHECK(n == -ENOBUFS);
    } else {
        FUZZ_CHECK((size_t)n < len && strlen(buf) == (size_t)n);
        /* read back: the instant truncated (floored) to the digits written */
        int64_t unit = 1;
        for (int i = digits; i < 9; i++)
            unit *= 10;
        int64_t rem = ns % unit;
        if (rem < 0)
            rem += unit;
        char reason[MO_TIME_REASON_MAX];
        int64_t back, want;
        int r = mo_time_parse_rfc3339(buf, (size_t)n, &back, reason, sizeof reason);
        if (__builtin_sub_overflow(ns, rem, &want)) { /* floored below INT64_MIN */
            FUZZ_CHECK(r == -ERANGE);
        } else {
            if (r != 0 || back != want)
                fprintf(stderr, "%" PRId64 " (%d digits, offset %d) written as %s\n", ns, digits,
                        offset, buf);
            FUZZ_CHECK(r == 0 && back == want);
        }
    }
    if (n < 0 && len > 0)
        FUZZ_CHECK(buf[0] == '\0');
    free(buf);
}

static void write_duration(const uint8_t *data, size_t size)
{
    uint64_t us = take_u64(&data, &size);
    char buf[64];
    int n = mo_time_format_duration(us, buf, sizeof buf);
    FUZZ_CHECK(n > 0 && (size_t)n < sizeof buf);
    uint64_t back;
    int r = mo_time_parse_duration(buf, &back);
    if (us > MO_TIME_DURATION_MAX_US)
        FUZZ_CHECK(r == -ERANGE);
    else
        FUZZ_CHECK(r == 0 && back == us);
}

static void epoch_u64(const uint8_t *data, size_t size, enum mo_time_format f)
{
    uint64_t v = take_u64(&data, &size) >> (fuzz_byte(&data, &size) % 64);
    int64_t a = 1, b = 2;
    int ra = mo_time_epoch_u64(v, f, &a);
    char text[24], reason[MO_TIME_REASON_MAX];
    int n = snprintf(text, sizeof text, "%" PRIu64, v);
    int rb = mo_time_parse_epoch(text, (size_t)n, f, &b, reason, sizeof reason);
    if (f == MO_TIME_AUTO || f == MO_TIME_RFC3339) {
        FUZZ_CHECK(ra == -EINVAL);
        return;
    }
    FUZZ_CHECK(ra == rb);
    if (ra == 0)
        FUZZ_CHECK(a == b);
}

static void epoch_double(const uint8_t *data, size_t size, enum mo_time_format f)
{
    uint64_t bits = take_u64(&data, &size);
    double v;
    memcpy(&v, &bits, sizeof v);
    char reason[MO_TIME_REASON_MAX];
    memset(reason, 'x', sizeof reason);
    int64_t ns;
    int r = mo_time_epoch_double(v, f, &ns, reason, sizeof reason);
    check_reason(r, reason);
    if (f == MO_TIME_RFC3339)
        FUZZ_CHECK(r == -EINVAL);
    if (isnan(v))
        FUZZ_CHECK(r != 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t b = fuzz_byte(&data, &size);
    enum mo_time_format f = (enum mo_time_format)((b >> 3) % 6);
    /* the text: exactly its bytes, or NUL-terminated for the duration */
    char *s = (b & 7) == 3 ? fuzz_strndup(data, size) : (char *)fuzz_memdup(data, size);
    switch (b & 7) {
    case 0:
        parse_any(s, size, f);
        break;
    case 1:
        parse_rfc3339(s, size);
        break;
    case 2:
        parse_epoch(s, size, f);
        break;
    case 3:
        parse_duration(s);
        break;
    case 4:
        write_instant(data, size);
        break;
    case 5:
        write_duration(data, size);
        break;
    case 6:
        epoch_u64(data, size, f);
        break;
    case 7:
        epoch_double(data, size, f);
        break;
    }
    free(s);
    return 0;
}
