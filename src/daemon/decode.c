/* decode.c - find the publish time in a message payload.
 *
 * SPEC.md, "Configuration (YAML)" and "Latency". Decisions this file makes:
 *
 * - Every result is int64 nanoseconds since the epoch, so it spans
 *   1677-09-21T00:12:43.145224192Z .. 2262-04-11T23:47:16.854775807Z. A value
 *   outside is -ERANGE "timestamp out of range", never wrapped or clamped.
 * - Epoch numbers are read as exact decimals (digits, point, exponent), never
 *   through a double: "1700000000.5" s is exactly 1700000000500000000 ns. Digits
 *   below a nanosecond are truncated toward zero. Negative epochs (before 1970)
 *   are accepted: they are valid instants, and the latency they produce is the
 *   caller's to report. `auto` picks the unit from |v|: < 1e11 s, < 1e14 ms,
 *   < 1e17 us, else ns.
 * - JSON numbers: cJSON keeps only a double (exact to 2^53, i.e. to 256 ns for
 *   today's epoch in ns), so after cJSON has validated the payload and found
 *   the field, the number's own text is located in the payload and read exactly
 *   (json_locate). Only when a key on the way is written with escapes does the
 *   double serve, with at most one ulp of error: 256 ns for a present-day time
 *   in ns, ~240 ns for fractional seconds, 0 for integers below 2^53.
 * - RFC 3339: fractions of any length are accepted and truncated to
 *   nanoseconds (the RFC sets no limit; more than 9 digits cannot be more
 *   precise than we store). A leap second (:60) is accepted only where one can
 *   occur, at 23:59 UTC, and is read as 23:59:59 plus the fraction, which is the
 *   second CLOCK_REALTIME repeats during a leap second, so latency stays right.
 *   "-00:00" (unknown local offset, RFC 3339 4.3) is UTC. Lower-case t and z and
 *   a space between date and time are accepted (RFC 3339 5.6, note).
 * - `auto` reads a string as RFC 3339 when it starts like a date (four digits
 *   and '-'), otherwise as an epoch number.
 * - A JSON path follows cJSON_GetObjectItemCaseSensitive semantics: keys are
 *   compared exactly and the first of duplicate keys wins. A path of no
 *   components (path_len 0) means the whole JSON value is the timestamp.
 *
 * Nothing here allocates except cJSON's own parse tree, and nothing copies the
 * payload; no state survives a call.
 */
#include <config.h>

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "decode.h"

#define NSEC_PER_SEC 1000000000LL
#define RANGE_TEXT "outside 1677-09-21..2262-04-11"
#define QUOTE_MAX 40   /* payload characters shown in a reason */
#define FIELD_SHOWN 60 /* characters of a dotted path shown in a reason */

/* ---- reasons ---------------------------------------------------------- */

static int fail(int r, char *reason, size_t reason_len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(int r, char *reason, size_t reason_len, const char *fmt, ...)
{
    if (reason && reason_len > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(reason, reason_len < MO_DECODE_REASON_MAX ? reason_len : MO_DECODE_REASON_MAX,
                  fmt, ap);
        va_end(ap);
    }
    return r;
}

/* Writes s as a quoted string for a reason: at most QUOTE_MAX characters, with
 * '"' and '\\' escaped and other bytes outside printable ASCII as \xNN, and
 * "..." inside the quotes when cut. buf holds QUOTE_MAX + 6. */
#define QUOTE_BUF (QUOTE_MAX + 6)
static const char *quote(char *buf, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0, i;
    buf[o++] = '"';
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        size_t need = (c == '"' || c == '\\') ? 2 : (c < 0x20 || c > 0x7e) ? 4 : 1;
        if (o - 1 + need > QUOTE_MAX)
            break;
        if (need == 2) {
            buf[o++] = '\\';
            buf[o++] = (char)c;
        } else if (need == 4) {
            buf[o++] = '\\';
            buf[o++] = 'x';
            buf[o++] = hex[c >> 4];
            buf[o++] = hex[c & 15];
        } else {
            buf[o++] = (char)c;
        }
    }
    if (i < len) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o++] = '"';
    buf[o] = '\0';
    return buf;
}

/* ---- names ------------------------------------------------------------ */

const char *mo_decode_mode_name(enum mo_decode_mode m)
{
    switch (m) {
    case MO_DECODE_JSON:
        return "json";
    case MO_DECODE_TEXT:
        return "text";
    case MO_DECODE_BINARY:
        return "binary";
    }
    return NULL;
}

const char *mo_ts_format_name(enum mo_ts_format f)
{
    switch (f) {
    case MO_TS_AUTO:
        return "auto";
    case MO_TS_RFC3339:
        return "rfc3339";
    case MO_TS_EPOCH_S:
        return "epoch_s";
    case MO_TS_EPOCH_MS:
        return "epoch_ms";
    case MO_TS_EPOCH_US:
        return "epoch_us";
    case MO_TS_EPOCH_NS:
        return "epoch_ns";
    }
    return NULL;
}

static const char *unit_name(enum mo_ts_unit u)
{
    static const char *const names[] = {"s", "ms", "us", "ns"};
    return (unsigned)u < 4 ? names[u] : "?";
}

static const char *encoding_name(enum mo_bin_encoding e)
{
    static const char *const names[] = {"u32be", "u32le", "u64be", "u64le"};
    return (unsigned)e < 4 ? names[e] : "?";
}

/* ---- the dotted path -------------------------------------------------- */

int mo_decoder_set_field(struct mo_decoder *d, const char *field)
{
    const char *path[MO_DECODE_PATH_MAX];
    size_t lens[MO_DECODE_PATH_MAX], n = 0;

    if (!field || !*field)
        return -EINVAL;
    for (const char *p = field;;) {
        const char *dot = strchr(p, '.');
        size_t l = dot ? (size_t)(dot - p) : strlen(p);
        if (l == 0 || n == MO_DECODE_PATH_MAX)
            return -EINVAL;
        path[n] = p;
        lens[n++] = l;
        if (!dot)
            break;
        p = dot + 1;
    }
    d->field = field;
    memcpy(d->path, path, n * sizeof path[0]);
    memcpy(d->path_lens, lens, n * sizeof lens[0]);
    d->path_len = n;
    return 0;
}

/* ---- exact decimals --------------------------------------------------- */

/* A decimal number as written: [+-] digits [. digits] [e [+-] digits]. The
 * digits stay in the caller's text. */
struct decimal {
    bool neg;
    const char *ip; /* integer digits */
    size_t ni;
    const char *fp; /* fraction digits */
    size_t nf;
    int64_t exp; /* clamped to +-EXP_CLAMP: anything that large is out of range anyway */
};
#define EXP_CLAMP 100000

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* Parses all of s. Returns 0, or -EINVAL with *err_pos at the offending byte.
 * Accepts the forms strtod reads in decimal ("1.", "-.5", "1e9"), so every
 * number token cJSON accepts is read here too. */
static int decimal_parse(const char *s, size_t len, struct decimal *x, size_t *err_pos)
{
    size_t i = 0;
    *x = (struct decimal){0};
    if (i < len && (s[i] == '-' || s[i] == '+'))
        x->neg = s[i++] == '-';
    x->ip = s + i;
    while (i < len && is_digit(s[i]))
        i++;
    x->ni = (size_t)(s + i - x->ip);
    if (i < len && s[i] == '.') {
        i++;
        x->fp = s + i;
        while (i < len && is_digit(s[i]))
            i++;
        x->nf = (size_t)(s + i - x->fp);
    }
    if (x->ni + x->nf == 0) {
        *err_pos = i;
        return -EINVAL;
    }
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        bool eneg = false;
        i++;
        if (i < len && (s[i] == '-' || s[i] == '+'))
            eneg = s[i++] == '-';
        if (i >= len || !is_digit(s[i])) {
            *err_pos = i;
            return -EINVAL;
        }
        int64_t e = 0;
        for (; i < len && is_digit(s[i]); i++)
            if (e < EXP_CLAMP)
                e = e * 10 + (s[i] - '0');
        x->exp = eneg ? -e : e;
    }
    if (i != len) {
        *err_pos = i;
        return -EINVAL;
    }
    return 0;
}

static int decimal_digit(const struct decimal *x, size_t k)
{
    if (k < x->ni)
        return x->ip[k] - '0';
    if (k < x->ni + x->nf)
        return x->fp[k - x->ni] - '0';
    return 0;
}

/* Index of the first nonzero digit (ni + nf when the value is zero), and how
 * many digits the value has before the point counting from it (may be <= 0). */
static size_t decimal_lead(const struct decimal *x, int64_t *ret_int_digits)
{
    size_t k = 0, n = x->ni + x->nf;
    while (k < n && decimal_digit(x, k) == 0)
        k++;
    *ret_int_digits = (int64_t)x->ni + x->exp - (int64_t)k;
    return k;
}

/* The value times 10^scale, truncated toward zero, as int64. -ERANGE when it
 * does not fit. */
static int decimal_scaled(const struct decimal *x, int scale, int64_t *ret)
{
    int64_t int_digits;
    size_t k = decimal_lead(x, &int_digits);
    if (k == x->ni + x->nf) {
        *ret = 0;
        return 0;
    }
    int64_t n = int_digits + scale;
    if (n <= 0) {
        *ret = 0; /* below one unit after scaling: truncated */
        return 0;
    }
    if (n > 19) /* the first digit is nonzero, so >= 10^19 > INT64_MAX */
        return -ERANGE;
    uint64_t acc = 0; /* at most 19 digits: < 10^19 < 2^64 */
    for (int64_t i = 0; i < n; i++)
        acc = acc * 10 + (uint64_t)decimal_digit(x, k + (size_t)i);
    if (x->neg) {
        if (acc > (uint64_t)INT64_MAX + 1)
            return -ERANGE;
        *ret = acc == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)acc;
    } else {
        if (acc > (uint64_t)INT64_MAX)
            return -ERANGE;
        *ret = (int64_t)acc;
    }
    return 0;
}

/* Powers of ten from the unit to nanoseconds, indexed by enum mo_ts_unit. */
static const int unit_scale[] = {9, 6, 3, 0};

static enum mo_ts_unit format_unit(enum mo_ts_format f)
{
    switch (f) {
    case MO_TS_EPOCH_MS:
        return MO_UNIT_MS;
    case MO_TS_EPOCH_US:
        return MO_UNIT_US;
    case MO_TS_EPOCH_NS:
        return MO_UNIT_NS;
    default:
        return MO_UNIT_S;
    }
}

/* `auto`: |v| < 1e11 s, < 1e14 ms, < 1e17 us, else ns. With d digits before the
 * point, |v| < 10^d exactly, so the digit count decides. */
static enum mo_ts_unit magnitude_unit(int64_t int_digits)
{
    if (int_digits <= 11)
        return MO_UNIT_S;
    if (int_digits <= 14)
        return MO_UNIT_MS;
    if (int_digits <= 17)
        return MO_UNIT_US;
    return MO_UNIT_NS;
}

int mo_parse_epoch_text(const char *s, size_t len, enum mo_ts_format format, int64_t *ret_ns,
                        char *reason, size_t reason_len)
{
    char q[QUOTE_BUF];
    struct decimal x;
    size_t pos = 0;

    if (format == MO_TS_RFC3339 || !mo_ts_format_name(format))
        return fail(-EINVAL, reason, reason_len, "format %s is not an epoch format",
                    format == MO_TS_RFC3339 ? "rfc3339" : "(invalid)");
    if (decimal_parse(s, len, &x, &pos) < 0) {
        if (pos < len)
            return fail(-EINVAL, reason, reason_len,
                        "timestamp %s is not a number: unexpected character at byte %zu",
                        quote(q, s, len), pos);
        return fail(-EINVAL, reason, reason_len, "timestamp %s is not a number: %s",
                    quote(q, s, len), len ? "it ends early" : "it is empty");
    }
    enum mo_ts_unit unit = format_unit(format);
    if (format == MO_TS_AUTO) {
        int64_t int_digits;
        decimal_lead(&x, &int_digits);
        unit = magnitude_unit(int_digits);
    }
    int64_t ns;
    if (decimal_scaled(&x, unit_scale[unit], &ns) < 0)
        return fail(-ERANGE, reason, reason_len, "timestamp out of range: %s as epoch_%s%s is %s",
                    quote(q, s, len), unit_name(unit), format == MO_TS_AUTO ? " (auto)" : "",
                    RANGE_TEXT);
    *ret_ns = ns;
    return 0;
}

/* A double from cJSON, when the number's text could not be located. */
static int epoch_from_double(double v, enum mo_ts_format format, int64_t *ret_ns, char *reason,
                             size_t reason_len)
{
    enum mo_ts_unit unit = format_unit(format);
    if (format == MO_TS_AUTO) {
        double a = fabs(v);
        unit = a < 1e11 ? MO_UNIT_S : a < 1e14 ? MO_UNIT_MS : a < 1e17 ? MO_UNIT_US : MO_UNIT_NS;
    }
    static const double mult[] = {1e9, 1e6, 1e3, 1};
    double ns = v * mult[unit];
    /* -2^63 and 2^63 are exact doubles; anything not inside (NaN too) is out */
    if (!(ns >= -9223372036854775808.0 && ns < 9223372036854775808.0))
        return fail(-ERANGE, reason, reason_len, "timestamp out of range: %g as epoch_%s%s is %s",
                    v, unit_name(unit), format == MO_TS_AUTO ? " (auto)" : "", RANGE_TEXT);
    *ret_ns = (int64_t)ns;
    return 0;
}

/* ---- RFC 3339 --------------------------------------------------------- */

static bool is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int days_in_month(int y, int m)
{
    static const int dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar, counting
 * in 400-year eras that start on March 1st so leap days fall at era ends. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;                                /* 0..399 */
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* 0..365 */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;        /* 0..146096 */
    return era * 146097 + doe - 719468;
}

/* Reads exactly n digits at *pos. */
static bool digits(const char *s, size_t len, size_t *pos, int n, int *ret)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (*pos >= len || !is_digit(s[*pos]))
            return false;
        v = v * 10 + (s[(*pos)++] - '0');
    }
    *ret = v;
    return true;
}

/* The grammar and ranges of RFC 3339 section 5.6. On -EINVAL, detail says what
 * is wrong; -ERANGE when the instant does not fit int64 nanoseconds. */
static int rfc3339(const char *s, size_t len, int64_t *ret_ns, char *detail, size_t dlen)
{
    size_t pos = 0;
    int year, mon, day, hour, min, sec, oh = 0, om = 0, sign = 0;
    int64_t frac = 0;

#define WANT_DIGITS(n, v)                                                                          \
    do {                                                                                           \
        if (!digits(s, len, &pos, n, &v))                                                          \
            goto bad_digit;                                                                        \
    } while (0)
#define WANT_CHAR(c)                                                                               \
    do {                                                                                           \
        if (pos >= len || s[pos] != (c)) {                                                         \
            snprintf(detail, dlen, "expected '%c' at byte %zu", c, pos);                           \
            return -EINVAL;                                                                        \
        }                                                                                          \
        pos++;                                                                                     \
    } while (0)
#define RANGE(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            snprintf(detail, dlen, __VA_ARGS__);                                                   \
            return -EINVAL;                                                                        \
        }                                                                                          \
    } while (0)

    WANT_DIGITS(4, year);
    WANT_CHAR('-');
    WANT_DIGITS(2, mon);
    RANGE(mon >= 1 && mon <= 12, "month %d out of range", mon);
    WANT_CHAR('-');
    WANT_DIGITS(2, day);
    RANGE(day >= 1 && day <= days_in_month(year, mon), "day %d out of range for %04d-%02d", day,
          year, mon);
    if (pos >= len || (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ')) {
        snprintf(detail, dlen, "expected 'T' at byte %zu", pos);
        return -EINVAL;
    }
    pos++;
    WANT_DIGITS(2, hour);
    RANGE(hour <= 23, "hour %d out of range", hour);
    WANT_CHAR(':');
    WANT_DIGITS(2, min);
    RANGE(min <= 59, "minute %d out of range", min);
    WANT_CHAR(':');
    WANT_DIGITS(2, sec);
    RANGE(sec <= 60, "second %d out of range", sec);
    if (pos < len && s[pos] == '.') {
        size_t start = ++pos;
        for (; pos < len && is_digit(s[pos]); pos++)
            if (pos - start < 9)
                frac = frac * 10 + (s[pos] - '0');
        if (pos == start)
            goto bad_digit;
        for (size_t n = pos - start; n < 9; n++)
            frac *= 10;
    }
    if (pos >= len) {
        snprintf(detail, dlen, "time zone (Z or +hh:mm) missing at byte %zu", pos);
        return -EINVAL;
    }
    if (s[pos] == 'Z' || s[pos] == 'z') {
        pos++;
    } else if (s[pos] == '+' || s[pos] == '-') {
        sign = s[pos++] == '-' ? -1 : 1;
        WANT_DIGITS(2, oh);
        RANGE(oh <= 23, "offset hour %d out of range", oh);
        WANT_CHAR(':');
        WANT_DIGITS(2, om);
        RANGE(om <= 59, "offset minute %d out of range", om);
    } else {
        snprintf(detail, dlen, "expected Z or an offset (+hh:mm) at byte %zu", pos);
        return -EINVAL;
    }
    if (pos != len) {
        snprintf(detail, dlen, "unexpected character after the time zone at byte %zu", pos);
        return -EINVAL;
    }

    int offset_min = sign * (oh * 60 + om); /* local = UTC + offset */
    if (sec == 60) {
        int utc_min = ((hour * 60 + min - offset_min) % 1440 + 1440) % 1440;
        RANGE(utc_min == 23 * 60 + 59, "second 60 (a leap second) is only valid at 23:59 UTC");
        sec = 59; /* the second CLOCK_REALTIME repeats */
    }

    /* At most ~3.7e6 days either side of 1970 for years 0..9999: the products
     * below stay far from int64 limits until the last step, which is checked. */
    int64_t secs = days_from_civil(year, mon, day) * 86400 + hour * 3600 + min * 60 + sec -
                   (int64_t)offset_min * 60;
    if (secs < 0 && frac > 0) { /* so that 1677-09-21T00:12:43.145224192Z fits */
        secs += 1;
        frac -= NSEC_PER_SEC;
    }
    int64_t ns;
    if (__builtin_mul_overflow(secs, NSEC_PER_SEC, &ns) || __builtin_add_overflow(ns, frac, &ns))
        return -ERANGE;
    *ret_ns = ns;
    return 0;

bad_digit:
    snprintf(detail, dlen, "expected a digit at byte %zu", pos);
    return -EINVAL;
#undef WANT_DIGITS
#undef WANT_CHAR
#undef RANGE
}

int mo_parse_rfc3339(const char *s, size_t len, int64_t *ret_ns, char *reason, size_t reason_len)
{
    char detail[80], q[QUOTE_BUF];
    int r = rfc3339(s, len, ret_ns, detail, sizeof detail);
    if (r == -ERANGE)
        return fail(r, reason, reason_len, "timestamp out of range: %s is %s", quote(q, s, len),
                    RANGE_TEXT);
    if (r < 0)
        return fail(r, reason, reason_len, "timestamp %s is not RFC 3339: %s", quote(q, s, len),
                    detail);
    return 0;
}

/* ---- a timestamp as text (text payloads, JSON strings) ---------------- */

static bool looks_like_date(const char *s, size_t len)
{
    return len >= 5 && is_digit(s[0]) && is_digit(s[1]) && is_digit(s[2]) && is_digit(s[3]) &&
           s[4] == '-';
}

static int parse_text(enum mo_ts_format format, const char *s, size_t len, int64_t *ret_ns,
                      char *reason, size_t reason_len)
{
    if (format == MO_TS_RFC3339 || (format == MO_TS_AUTO && looks_like_date(s, len)))
        return mo_parse_rfc3339(s, len, ret_ns, reason, reason_len);
    int r = mo_parse_epoch_text(s, len, format, ret_ns, reason, reason_len);
    if (r == -EINVAL && format == MO_TS_AUTO) {
        char q[QUOTE_BUF];
        return fail(r, reason, reason_len, "timestamp %s is neither RFC 3339 nor an epoch number",
                    quote(q, s, len));
    }
    return r;
}

/* ---- json --------------------------------------------------------------- */

/* cJSON skips every byte <= 32 as white space; the scans here agree with it. */
static size_t json_ws(const uint8_t *p, size_t len, size_t i)
{
    while (i < len && p[i] <= 32)
        i++;
    return i;
}

static bool is_number_char(uint8_t c)
{
    return is_digit((char)c) || c == '+' || c == '-' || c == '.' || c == 'e' || c == 'E';
}

/* Skips one value of JSON that cJSON has accepted. */
static bool json_skip(const uint8_t *p, size_t len, size_t *pi)
{
    size_t i = *pi, depth = 0;
    do {
        if (i >= len)
            return false;
        uint8_t c = p[i];
        if (c == '"') {
            for (i++; i < len && p[i] != '"'; i++)
                if (p[i] == '\\')
                    i++;
            if (i >= len)
                return false;
            i++;
        } else if (c == '{' || c == '[') {
            depth++;
            i++;
        } else if (c == '}' || c == ']') {
            if (depth == 0)
                return false;
            depth--;
            i++;
        } else if (depth > 0) {
            i++;
        } else {
            size_t start = i;
            while (i < len && p[i] > 32 && p[i] != ',' && p[i] != '}' && p[i] != ']')
                i++;
            if (i == start)
                return false;
        }
    } while (depth > 0);
    *pi = i;
    return true;
}

/* Finds the text of the number at d's path in a payload cJSON has accepted,
 * walking objects as json_member does (first exact key match). Gives up on
 * anything unexpected and on keys written with escapes or control bytes (cJSON
 * compares those decoded); the caller then falls back to cJSON's double. */
static bool json_locate(const uint8_t *p, size_t len, const struct mo_decoder *d,
                        size_t *ret_start, size_t *ret_end)
{
    size_t i = 0;
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    i = json_ws(p, len, i);
    for (size_t c = 0; c < d->path_len; c++) {
        if (i >= len || p[i] != '{')
            return false;
        i++;
        for (;;) {
            i = json_ws(p, len, i);
            if (i >= len || p[i] != '"')
                return false;
            size_t ks = ++i;
            for (; i < len && p[i] != '"'; i++)
                if (p[i] == '\\' || p[i] < 0x20)
                    return false;
            if (i >= len)
                return false;
            size_t kl = i - ks;
            i = json_ws(p, len, i + 1);
            if (i >= len || p[i] != ':')
                return false;
            i = json_ws(p, len, i + 1);
            if (kl == d->path_lens[c] && memcmp(p + ks, d->path[c], kl) == 0)
                break;
            if (!json_skip(p, len, &i))
                return false;
            i = json_ws(p, len, i);
            if (i >= len || p[i] != ',')
                return false;
            i++;
        }
    }
    size_t start = i;
    while (i < len && is_number_char(p[i]))
        i++;
    if (i == start)
        return false;
    *ret_start = start;
    *ret_end = i;
    return true;
}

static const cJSON *json_member(const cJSON *obj, const char *key, size_t key_len)
{
    for (const cJSON *c = obj->child; c; c = c->next)
        if (c->string && c->string[0] == key[0] && strncmp(c->string, key, key_len) == 0 &&
            c->string[key_len] == '\0')
            return c;
    return NULL;
}

static const char *json_type(const cJSON *v)
{
    if (cJSON_IsBool(v))
        return "a boolean";
    if (cJSON_IsNull(v))
        return "null";
    if (cJSON_IsNumber(v))
        return "a number";
    if (cJSON_IsString(v))
        return "a string";
    if (cJSON_IsArray(v))
        return "an array";
    if (cJSON_IsObject(v))
        return "an object";
    return "invalid";
}

/* The first components [0, n) of the dotted path, for reasons. */
static int field_len(const struct mo_decoder *d, size_t n)
{
    size_t l = (size_t)(d->path[n - 1] + d->path_lens[n - 1] - d->field);
    return l > FIELD_SHOWN ? FIELD_SHOWN : (int)l;
}

static int json_value(const struct mo_decoder *d, const uint8_t *payload, size_t len,
                      const cJSON *v, int64_t *ret_ns, char *reason, size_t reason_len)
{
    if (cJSON_IsString(v)) {
        const char *s = v->valuestring;
        return parse_text(d->format, s, strlen(s), ret_ns, reason, reason_len);
    }
    if (cJSON_IsNumber(v) && d->format != MO_TS_RFC3339) {
        size_t start, end;
        if (json_locate(payload, len, d, &start, &end)) {
            int r = mo_parse_epoch_text((const char *)payload + start, end - start, d->format,
                                        ret_ns, reason, reason_len);
            if (r != -EINVAL) /* -EINVAL would mean json_locate found the wrong text */
                return r;
        }
        return epoch_from_double(v->valuedouble, d->format, ret_ns, reason, reason_len);
    }
    /* "field meta.sent_at" or, for a path of no components, "payload" */
    return fail(-EINVAL, reason, reason_len, "%s%.*s is %s, expected %s",
                d->path_len ? "field " : "payload", d->path_len ? field_len(d, d->path_len) : 0,
                d->path_len ? d->field : "", json_type(v),
                d->format == MO_TS_RFC3339 ? "an RFC 3339 string" : "a string or number");
}

static int decode_json(const struct mo_decoder *d, const uint8_t *payload, size_t len,
                       int64_t *ret_ns, char *reason, size_t reason_len)
{
    if (d->path_len > MO_DECODE_PATH_MAX || (d->path_len > 0 && !d->field))
        return fail(-EINVAL, reason, reason_len, "decoder has no valid field path");
    const char *text = (const char *)payload, *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, false);
    if (!root) {
        if (json_ws(payload, len, 0) == len)
            return fail(-EINVAL, reason, reason_len, "payload is only white space");
        return fail(-EINVAL, reason, reason_len, "invalid JSON at byte %zu",
                    end ? (size_t)(end - text) : (size_t)0);
    }
    size_t after = json_ws(payload, len, (size_t)(end - text));
    int r;
    if (after < len) {
        r = fail(-EINVAL, reason, reason_len, "invalid JSON at byte %zu (data after the value)",
                 after);
        goto out;
    }

    const cJSON *v = root;
    for (size_t i = 0; i < d->path_len; i++) {
        if (!cJSON_IsObject(v)) {
            if (i == 0)
                r = fail(-EINVAL, reason, reason_len, "payload is not a JSON object (it is %s)",
                         json_type(v));
            else
                r = fail(-EINVAL, reason, reason_len, "field %.*s missing (%.*s is %s, not an object)",
                         field_len(d, d->path_len), d->field, field_len(d, i), d->field,
                         json_type(v));
            goto out;
        }
        const cJSON *c = json_member(v, d->path[i], d->path_lens[i]);
        if (!c) {
            if (i + 1 == d->path_len)
                r = fail(-EINVAL, reason, reason_len, "field %.*s missing",
                         field_len(d, d->path_len), d->field);
            else
                r = fail(-EINVAL, reason, reason_len, "field %.*s missing (no %.*s)",
                         field_len(d, d->path_len), d->field, field_len(d, i + 1), d->field);
            goto out;
        }
        v = c;
    }
    r = json_value(d, payload, len, v, ret_ns, reason, reason_len);
out:
    cJSON_Delete(root);
    return r;
}

/* ---- binary ------------------------------------------------------------- */

static int decode_binary(const struct mo_decoder *d, const uint8_t *payload, size_t len,
                         int64_t *ret_ns, char *reason, size_t reason_len)
{
    if ((unsigned)d->encoding > MO_BIN_U64LE || (unsigned)d->unit > MO_UNIT_NS)
        return fail(-EINVAL, reason, reason_len, "decoder has an invalid encoding or unit");
    bool wide = d->encoding == MO_BIN_U64BE || d->encoding == MO_BIN_U64LE;
    bool big = d->encoding == MO_BIN_U32BE || d->encoding == MO_BIN_U64BE;
    size_t size = wide ? 8 : 4;

    if (d->offset > len || len - d->offset < size) {
        if (d->offset > SIZE_MAX - size)
            return fail(-EINVAL, reason, reason_len, "payload is %zu bytes; offset %zu is too large",
                        len, d->offset);
        return fail(-EINVAL, reason, reason_len, "payload is %zu bytes; a %s at offset %zu needs %zu",
                    len, encoding_name(d->encoding), d->offset, d->offset + size);
    }
    const uint8_t *b = payload + d->offset;
    uint64_t v = 0;
    for (size_t i = 0; i < size; i++)
        v |= (uint64_t)b[big ? i : size - 1 - i] << (8 * (size - 1 - i));

    static const uint64_t mult[] = {1000000000, 1000000, 1000, 1};
    uint64_t ns;
    if (__builtin_mul_overflow(v, mult[d->unit], &ns) ||
        ns > (uint64_t)INT64_MAX)
        return fail(-ERANGE, reason, reason_len,
                    "timestamp out of range: %llu %s (%s at offset %zu) is %s",
                    (unsigned long long)v, unit_name(d->unit), encoding_name(d->encoding),
                    d->offset, RANGE_TEXT);
    *ret_ns = (int64_t)ns;
    return 0;
}

/* ---- entry point -------------------------------------------------------- */

static bool is_space(uint8_t c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

int mo_decode_timestamp(const struct mo_decoder *d, const uint8_t *payload, size_t len,
                        int64_t *ret_ns, char *reason, size_t reason_len)
{
    char scratch[1];
    if (!reason || reason_len == 0) {
        reason = scratch;
        reason_len = sizeof scratch;
    }
    reason[0] = '\0';

    if (len == 0)
        return fail(-EINVAL, reason, reason_len, "empty payload");
    switch (d->mode) {
    case MO_DECODE_JSON:
        return decode_json(d, payload, len, ret_ns, reason, reason_len);
    case MO_DECODE_TEXT: {
        size_t a = 0, b = len;
        while (a < b && is_space(payload[a]))
            a++;
        while (b > a && is_space(payload[b - 1]))
            b--;
        if (a == b)
            return fail(-EINVAL, reason, reason_len, "payload is only white space");
        return parse_text(d->format, (const char *)payload + a, b - a, ret_ns, reason, reason_len);
    }
    case MO_DECODE_BINARY:
        return decode_binary(d, payload, len, ret_ns, reason, reason_len);
    }
    return fail(-EINVAL, reason, reason_len, "unknown decode mode %d", (int)d->mode);
}
