/* util.h - small parsers and helpers shared by every program. */
#ifndef MO_UTIL_H
#define MO_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Parses an unsigned decimal integer with no sign, spaces or suffix. */
int mo_parse_u64(const char *s, uint64_t *ret);

/* True when the len bytes at s are all white space (isspace in the C locale:
 * space, \t, \n, \v, \f, \r), or len is 0: a name such as a cache or topic
 * written like this is as good as none. */
bool mo_blank(const char *s, size_t len);

/* Writes a printf-style reason into buf (nothing when buf is NULL or len is
 * 0) and returns r, so that a parser can `return mo_fail(-EINVAL, ...)`. */
int mo_fail(int r, char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Formats microseconds as milliseconds with three decimals ("1.234"). */
const char *mo_fmt_ms(int64_t us, char *buf, size_t len);

/* Prints "PROGRAM: message" to stderr (printf format), every word of the
 * message that looks like a secret hidden (mo_secret_scrub). */
void mo_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void mo_vwarn(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* For a command-line mistake: mo_warn's line (printf format), then "Try
 * 'PROGRAM --help'.", both to stderr. Returns EX_USAGE (64), the exit status. */
int mo_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The program name used by mo_warn (set from argv[0] in main). */
extern const char *mo_progname;

#endif
