/* util.c - integer parsing, blank strings, reasons, small formatting helpers,
 * warnings and usage errors. */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "clock.h"
#include "secret.h"
#include "util.h"

const char *mo_progname = PACKAGE_NAME;

int mo_parse_u64(const char *s, uint64_t *ret)
{
    if (!s || !isdigit((unsigned char)*s))
        return -EINVAL;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end)
        return -EINVAL;
    if (errno == ERANGE)
        return -ERANGE;
    *ret = v;
    return 0;
}

bool mo_blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!isspace((unsigned char)s[i]))
            return false;
    return true;
}

int mo_fail(int r, char *buf, size_t len, const char *fmt, ...)
{
    if (buf && len > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, len, fmt, ap);
        va_end(ap);
    }
    return r;
}

const char *mo_fmt_ms(int64_t us, char *buf, size_t len)
{
    uint64_t mag = us < 0 ? (uint64_t)0 - (uint64_t)us : (uint64_t)us;
    snprintf(buf, len, "%s%llu.%03llu", us < 0 ? "-" : "", (unsigned long long)(mag / 1000),
             (unsigned long long)(mag % 1000));
    return buf;
}

void mo_vwarn(const char *fmt, va_list ap)
{
    /* The line is built whole and scrubbed (secret.h) before it goes out: the
     * paths that echo a value redact it, and this is the net under them. */
    char *line = NULL;
    int n = vasprintf(&line, fmt, ap);
    if (n < 0) {
        fprintf(stderr, "%s: (a message was lost: out of memory)\n", mo_progname);
        return;
    }
    mo_secret_scrub(line, (size_t)n, line, (size_t)n + 1);
    fprintf(stderr, "%s: %s\n", mo_progname, line);
    free(line);
}

void mo_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    mo_vwarn(fmt, ap);
    va_end(ap);
}

int mo_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    mo_vwarn(fmt, ap); /* which hides an argument that looks like an API key */
    va_end(ap);
    fprintf(stderr, "Try '%s --help'.\n", mo_progname);
    return EX_USAGE;
}
