/* timefmt.h - time as text: RFC 3339, epoch numbers and durations (prefix mo_time_).
 *
 * One place for every rule about writing time down, used by all the programs:
 *   - instants are int64 nanoseconds since the Unix epoch, so they span
 *     1677-09-21T00:12:43.145224192Z .. 2262-04-11T23:47:16.854775807Z; a time
 *     outside is -ERANGE, never wrapped or clamped;
 *   - RFC 3339 date-times are read with numeric offsets and fractions of any
 *     length, and written to the nanosecond with any offset;
 *   - epoch numbers in s/ms/us/ns are read as exact decimals, never through a
 *     double (except from a double that is all a caller has);
 *   - durations (configuration keys, command-line options) are digits, an
 *     optional decimal fraction and a unit, read exactly into microseconds.
 * Functions of their arguments only: no clock, no allocation, no logging (the
 * RFC 3339 writer keeps, per thread, the text of the last second it wrote,
 * which changes nothing it returns). The parsers report what is wrong in a
 * short reason for the caller's message.
 */
#ifndef MO_TIMEFMT_H
#define MO_TIMEFMT_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

/* How a timestamp is written. AUTO reads a string that starts like a date
 * (four digits and '-') as RFC 3339, anything else as an epoch number whose
 * unit follows from its magnitude: |v| < 1e11 s, < 1e14 ms, < 1e17 us, else ns. */
enum mo_time_format {
    MO_TIME_AUTO,
    MO_TIME_RFC3339,
    MO_TIME_EPOCH_S,
    MO_TIME_EPOCH_MS,
    MO_TIME_EPOCH_US,
    MO_TIME_EPOCH_NS,
};

#define MO_TIME_REASON_MAX 160            /* a reason never exceeds this, NUL included */
#define MO_TIME_RANGE "outside 1677-09-21..2262-04-11" /* why a time is -ERANGE */
#define MO_TIME_RFC3339_MAX 36            /* "YYYY-MM-DDThh:mm:ss.nnnnnnnnn+hh:mm" and NUL */
#define MO_TIME_DURATION_MAX_US UINT64_C(1000000000000000) /* 10^9 s, about 31 years */

/* ---- instants ---- */

/* A timestamp written in `format` (any of the enum). Returns 0 with *ret_ns, or
 * -EINVAL / -ERANGE with a reason quoting at most 40 characters of s. reason
 * may be NULL; *ret_ns is set only on success. */
int mo_time_parse(const char *s, size_t len, enum mo_time_format format, int64_t *ret_ns,
                  char *reason, size_t reason_len);

/* An RFC 3339 date-time (section 5.6): "2026-11-23T03:17:57.123456789+02:00",
 * 'Z' or a numeric offset; 't', 'z' and a space for 'T' are accepted (5.6,
 * note); fraction digits past nanoseconds are truncated; "-00:00" is UTC; a
 * leap second :60 only at 23:59 UTC, read as 23:59:59 (the second
 * CLOCK_REALTIME repeats). Returns 0, -EINVAL or -ERANGE. */
int mo_time_parse_rfc3339(const char *s, size_t len, int64_t *ret_ns, char *reason,
                          size_t reason_len);

/* An epoch number as text in MO_TIME_EPOCH_* or MO_TIME_AUTO: "1700000000",
 * "-1.5", "1700000000.123456789", "1.7e9" (the forms strtod reads in decimal),
 * read exactly; digits below a nanosecond are truncated toward zero. */
int mo_time_parse_epoch(const char *s, size_t len, enum mo_time_format format, int64_t *ret_ns,
                        char *reason, size_t reason_len);

/* The same for a number only known as a double (exact below 2^53). */
int mo_time_epoch_double(double v, enum mo_time_format format, int64_t *ret_ns, char *reason,
                         size_t reason_len);

/* An unsigned count of MO_TIME_EPOCH_* units as nanoseconds; -ERANGE past
 * INT64_MAX, -EINVAL for another format. No reason: the caller knows the
 * context. Inline: the binary decoder calls it for every message. */
static inline int mo_time_epoch_u64(uint64_t v, enum mo_time_format format, int64_t *ret_ns)
{
    static const uint64_t mult[] = {1000000000, 1000000, 1000, 1};
    unsigned u = (unsigned)format - (unsigned)MO_TIME_EPOCH_S;
    uint64_t ns;
    if (u > 3)
        return -EINVAL;
    if (__builtin_mul_overflow(v, mult[u], &ns) || ns > (uint64_t)INT64_MAX)
        return -ERANGE;
    *ret_ns = (int64_t)ns;
    return 0;
}

/* Writes epoch_ns as RFC 3339 in the zone `offset_min` minutes east of UTC
 * (0 writes 'Z'; -1439..1439), with `frac_digits` (0..9) fraction digits,
 * truncated. Returns the length, or -EINVAL for bad digits or offset and
 * -ENOBUFS when buf (MO_TIME_RFC3339_MAX bytes always do) is too small; on an
 * error buf holds "" when len > 0. */
int mo_time_format_rfc3339(int64_t epoch_ns, int frac_digits, int offset_min, char *buf,
                           size_t len);

/* The unit name of an epoch format ("s", "ms", "us", "ns"); NULL otherwise. */
const char *mo_time_unit_name(enum mo_time_format format);

/* ---- durations ---- */

/* A duration: one or more digits, optionally '.' and one or more digits, then a
 * unit: us, ms, s, m or h ("250ms", "1.5s", "5m", "0.25h"). Nothing else: no
 * sign, space, exponent, hex, or missing part. Read exactly; digits below a
 * microsecond are truncated. Returns 0 with *ret_us, -EINVAL for the syntax,
 * -ERANGE above MO_TIME_DURATION_MAX_US. */
int mo_time_parse_duration(const char *s, uint64_t *ret_us);

/* Writes us in the largest unit that keeps it whole: "0s", "2h", "90s",
 * "250ms", "7us". Returns what snprintf returns. */
int mo_time_format_duration(uint64_t us, char *buf, size_t len);

#endif
