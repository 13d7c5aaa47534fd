/* timefmt.c - time as text: RFC 3339, epoch numbers and durations (timefmt.h).
 *
 * Decisions this file makes:
 * - Epoch numbers are read as exact decimals (digits, point, exponent), never
 *   through a double: "1700000000.5" s is exactly 1700000000500000000 ns.
 *   Negative epochs (before 1970) are valid instants. `auto` picks the unit
 *   from the digits before the point: with d of them, 10^(d-1) <= |v| < 10^d.
 * - RFC 3339: fractions of any length are accepted and truncated to
 *   nanoseconds (the RFC sets no limit; more than 9 digits cannot be more
 *   precise than we store). A leap second is the second CLOCK_REALTIME
 *   repeats, so latency measured against it stays right.
 * - The calendar is proleptic Gregorian, counted in 400-year eras that start
 *   on March 1st so that leap days fall at era ends; the same arithmetic reads
 *   and writes, so every instant round-trips.
 * - A duration's fraction is multiplied by its unit exactly (see
 *   mo_time_parse_duration); nothing rounds through a double.
 */
#include <config.h>

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "timefmt.h"
#include "util.h"

#define NSEC_PER_SEC INT64_C(1000000000)
#define QUOTE_MAX 40 /* characters of the input shown in a reason */

/* ---- reasons ---------------------------------------------------------- */

/* A reason, never longer than MO_TIME_REASON_MAX (NUL included). */
#define fail(r, reason, reason_len, ...)                                                           \
    mo_fail(r, reason, (reason_len) < MO_TIME_REASON_MAX ? (reason_len) : MO_TIME_REASON_MAX,      \
            __VA_ARGS__)

/* Writes s as a quoted string for a reason: at most QUOTE_MAX characters, with
 * '"' and '\\' escaped and other bytes outside printable ASCII as \xNN, and
 * "..." inside the quotes when cut. buf holds QUOTE_BUF. */
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

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* ---- epoch units ------------------------------------------------------ */

/* Epoch formats as an index 0..3 (s, ms, us, ns); -1 for the others. */
static int unit_index(enum mo_time_format f)
{
    switch (f) {
    case MO_TIME_EPOCH_S:
        return 0;
    case MO_TIME_EPOCH_MS:
        return 1;
    case MO_TIME_EPOCH_US:
        return 2;
    case MO_TIME_EPOCH_NS:
        return 3;
    default:
        return -1;
    }
}

static const char *const unit_names[] = {"s", "ms", "us", "ns"};
static const int unit_scale[] = {9, 6, 3, 0}; /* powers of ten to nanoseconds */

const char *mo_time_unit_name(enum mo_time_format format)
{
    int u = unit_index(format);
    return u < 0 ? NULL : unit_names[u];
}

/* `auto`: |v| < 1e11 s, < 1e14 ms, < 1e17 us, else ns. With d digits before the
 * point, |v| < 10^d exactly, so the digit count decides. */
static int magnitude_unit(int64_t int_digits)
{
    if (int_digits <= 11)
        return 0;
    if (int_digits <= 14)
        return 1;
    if (int_digits <= 17)
        return 2;
    return 3;
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

/* Parses all of s. Returns 0, or -EINVAL with *err_pos at the offending byte.
 * Accepts the forms strtod reads in decimal ("1.", "-.5", "1e9"), so every
 * number token of JSON is read here too. */
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

/* ---- epoch numbers ---------------------------------------------------- */

int mo_time_parse_epoch(const char *s, size_t len, enum mo_time_format format, int64_t *ret_ns,
                        char *reason, size_t reason_len)
{
    char q[QUOTE_BUF];
    struct decimal x;
    size_t pos = 0;

    int unit = unit_index(format);
    if (unit < 0 && format != MO_TIME_AUTO)
        return fail(-EINVAL, reason, reason_len, "format %s is not an epoch format",
                    format == MO_TIME_RFC3339 ? "rfc3339" : "(invalid)");
    if (decimal_parse(s, len, &x, &pos) < 0) {
        if (pos < len)
            return fail(-EINVAL, reason, reason_len,
                        "timestamp %s is not a number: unexpected character at byte %zu",
                        quote(q, s, len), pos);
        return fail(-EINVAL, reason, reason_len, "timestamp %s is not a number: %s",
                    quote(q, s, len), len ? "it ends early" : "it is empty");
    }
    if (format == MO_TIME_AUTO) {
        int64_t int_digits;
        decimal_lead(&x, &int_digits);
        unit = magnitude_unit(int_digits);
    }
    int64_t ns;
    if (decimal_scaled(&x, unit_scale[unit], &ns) < 0)
        return fail(-ERANGE, reason, reason_len, "timestamp out of range: %s as epoch_%s%s is %s",
                    quote(q, s, len), unit_names[unit], format == MO_TIME_AUTO ? " (auto)" : "",
                    MO_TIME_RANGE);
    *ret_ns = ns;
    return 0;
}

int mo_time_epoch_double(double v, enum mo_time_format format, int64_t *ret_ns, char *reason,
                         size_t reason_len)
{
    int unit = unit_index(format);
    if (format == MO_TIME_AUTO) {
        double a = fabs(v);
        unit = a < 1e11 ? 0 : a < 1e14 ? 1 : a < 1e17 ? 2 : 3;
    } else if (unit < 0) {
        return fail(-EINVAL, reason, reason_len, "format %s is not an epoch format",
                    format == MO_TIME_RFC3339 ? "rfc3339" : "(invalid)");
    }
    static const double mult[] = {1e9, 1e6, 1e3, 1};
    double ns = v * mult[unit];
    /* -2^63 and 2^63 are exact doubles; anything not inside (NaN too) is out */
    if (!(ns >= -9223372036854775808.0 && ns < 9223372036854775808.0))
        return fail(-ERANGE, reason, reason_len, "timestamp out of range: %g as epoch_%s%s is %s",
                    v, unit_names[unit], format == MO_TIME_AUTO ? " (auto)" : "", MO_TIME_RANGE);
    *ret_ns = (int64_t)ns;
    return 0;
}

/* ---- the calendar ------------------------------------------------------ */

static bool is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int days_in_month(int y, int m)
{
    static const int dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* Days from 1970-01-01 to y-m-d. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;                                   /* 0..399 */
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* 0..365 */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           /* 0..146096 */
    return era * 146097 + doe - 719468;
}

/* The inverse: the date `days` after 1970-01-01. */
static void civil_from_days(int64_t days, int64_t *ret_y, int *ret_m, int *ret_d)
{
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;                                      /* 0..146096 */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* 0..399 */
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* 0..365 */
    int64_t mp = (5 * doy + 2) / 153;                                    /* 0..11, from March */
    int m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *ret_d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *ret_m = m;
    *ret_y = yoe + era * 400 + (m <= 2);
}

/* ---- RFC 3339 --------------------------------------------------------- */

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

int mo_time_parse_rfc3339(const char *s, size_t len, int64_t *ret_ns, char *reason,
                          size_t reason_len)
{
    char detail[80], q[QUOTE_BUF];
    int r = rfc3339(s, len, ret_ns, detail, sizeof detail);
    if (r == -ERANGE)
        return fail(r, reason, reason_len, "timestamp out of range: %s is %s", quote(q, s, len),
                    MO_TIME_RANGE);
    if (r < 0)
        return fail(r, reason, reason_len, "timestamp %s is not RFC 3339: %s", quote(q, s, len),
                    detail);
    return 0;
}

/* Writes n decimal digits of v, zero-padded. */
static char *put_digits(char *p, uint64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return p + n;
}

int mo_time_format_rfc3339(int64_t epoch_ns, int frac_digits, int offset_min, char *buf,
                           size_t len)
{
    if (len > 0)
        buf[0] = '\0';
    if (frac_digits < 0 || frac_digits > 9 || offset_min < -1439 || offset_min > 1439)
        return -EINVAL;
    size_t need = 19 + (frac_digits ? 1 + (size_t)frac_digits : 0) + (offset_min ? 6 : 1) + 1;
    if (need > len)
        return -ENOBUFS;

    /* floor division: before 1970 the fraction counts forward from the second below */
    int64_t sec = epoch_ns / NSEC_PER_SEC, nsec = epoch_ns % NSEC_PER_SEC;
    if (nsec < 0) {
        nsec += NSEC_PER_SEC;
        sec--;
    }
    sec += (int64_t)offset_min * 60; /* local time; int64 seconds are far from overflow */

    /* The date and time of day change once a second: write them only then
     * (several timestamps per logged message, thousands of messages a second). */
    static _Thread_local int64_t cached_sec = INT64_MIN;
    static _Thread_local char cached[19];
    if (sec != cached_sec) {
        int64_t days = sec / 86400, tod = sec % 86400;
        if (tod < 0) {
            tod += 86400;
            days--;
        }
        int64_t year;
        int mon, day;
        civil_from_days(days, &year, &mon, &day); /* 1677..2262: always four digits */
        char *q = put_digits(cached, (uint64_t)year, 4);
        *q++ = '-';
        q = put_digits(q, (uint64_t)mon, 2);
        *q++ = '-';
        q = put_digits(q, (uint64_t)day, 2);
        *q++ = 'T';
        q = put_digits(q, (uint64_t)(tod / 3600), 2);
        *q++ = ':';
        q = put_digits(q, (uint64_t)(tod / 60 % 60), 2);
        *q++ = ':';
        put_digits(q, (uint64_t)(tod % 60), 2);
        cached_sec = sec;
    }
    memcpy(buf, cached, sizeof cached);
    char *p = buf + sizeof cached;
    if (frac_digits) {
        uint64_t frac = (uint64_t)nsec;
        for (int i = frac_digits; i < 9; i++)
            frac /= 10;
        *p++ = '.';
        p = put_digits(p, frac, frac_digits);
    }
    if (offset_min == 0) {
        *p++ = 'Z';
    } else {
        int a = offset_min < 0 ? -offset_min : offset_min;
        *p++ = offset_min < 0 ? '-' : '+';
        p = put_digits(p, (uint64_t)(a / 60), 2);
        *p++ = ':';
        p = put_digits(p, (uint64_t)(a % 60), 2);
    }
    *p = '\0';
    return (int)(p - buf);
}

/* ---- any format --------------------------------------------------------- */

static bool looks_like_date(const char *s, size_t len)
{
    return len >= 5 && is_digit(s[0]) && is_digit(s[1]) && is_digit(s[2]) && is_digit(s[3]) &&
           s[4] == '-';
}

int mo_time_parse(const char *s, size_t len, enum mo_time_format format, int64_t *ret_ns,
                  char *reason, size_t reason_len)
{
    if (format == MO_TIME_RFC3339 || (format == MO_TIME_AUTO && looks_like_date(s, len)))
        return mo_time_parse_rfc3339(s, len, ret_ns, reason, reason_len);
    int r = mo_time_parse_epoch(s, len, format, ret_ns, reason, reason_len);
    if (r == -EINVAL && format == MO_TIME_AUTO) {
        char q[QUOTE_BUF];
        return fail(r, reason, reason_len, "timestamp %s is neither RFC 3339 nor an epoch number",
                    quote(q, s, len));
    }
    return r;
}

/* ---- durations ---------------------------------------------------------- */

static const struct {
    const char *name;
    uint64_t us;
} duration_units[] = {
    {"us", 1}, {"ms", 1000}, {"s", 1000000}, {"m", 60000000}, {"h", UINT64_C(3600000000)},
};

int mo_time_parse_duration(const char *s, uint64_t *ret_us)
{
    if (!s)
        return -EINVAL;
    const char *ip = s, *p = s, *fp = p;
    while (is_digit(*p))
        p++;
    size_t ni = (size_t)(p - ip), nf = 0;
    if (ni == 0)
        return -EINVAL;
    if (*p == '.') {
        fp = ++p;
        while (is_digit(*p))
            p++;
        nf = (size_t)(p - fp);
        if (nf == 0)
            return -EINVAL;
    }
    uint64_t unit = 0;
    for (size_t i = 0; i < sizeof duration_units / sizeof duration_units[0]; i++)
        if (strcmp(p, duration_units[i].name) == 0)
            unit = duration_units[i].us;
    if (!unit)
        return -EINVAL;

    uint64_t whole = 0; /* stops before it could overflow: MAX * 10 + 9 < 2^64 */
    for (size_t i = 0; i < ni; i++) {
        whole = whole * 10 + (uint64_t)(ip[i] - '0');
        if (whole > MO_TIME_DURATION_MAX_US)
            return -ERANGE;
    }
    /* floor(0.d1d2...dn * unit), exactly, from the last digit: with f the
     * floor of the digits after d_i times unit, the floor including d_i is
     * (d_i * unit + f) / 10, since adding a fraction below 1 to a whole number
     * never carries it past the next multiple of 10. f < unit throughout. */
    uint64_t frac = 0;
    for (size_t i = nf; i-- > 0;)
        frac = ((uint64_t)(fp[i] - '0') * unit + frac) / 10;
    uint64_t us;
    if (__builtin_mul_overflow(whole, unit, &us) || __builtin_add_overflow(us, frac, &us) ||
        us > MO_TIME_DURATION_MAX_US)
        return -ERANGE;
    *ret_us = us;
    return 0;
}

int mo_time_format_duration(uint64_t us, char *buf, size_t len)
{
    if (us == 0)
        return snprintf(buf, len, "0s");
    size_t i = sizeof duration_units / sizeof duration_units[0] - 1;
    while (i > 0 && us % duration_units[i].us != 0)
        i--;
    return snprintf(buf, len, "%llu%s", (unsigned long long)(us / duration_units[i].us),
                    duration_units[i].name);
}
