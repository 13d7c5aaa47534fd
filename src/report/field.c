/* field.c - read and check one field of an event. */
#include <config.h>

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "field.h"
#include "secret.h"
#include "util.h"

int lr_field_fail(char *err, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, len, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

int lr_field_str(lr_field_fn get, void *ud, const char *key, const char **ret, char *err, size_t len)
{
    const char *v = get(ud, key);
    if (!v)
        return lr_field_fail(err, len, "no field %s", key);
    if (!*v)
        return lr_field_fail(err, len, "field %s is empty", key);
    /* the daemon refuses such names: an event holding one was not its own */
    if (mo_secret_like(v, strlen(v)))
        return lr_field_fail(err, len, "field %s looks like an API key (not shown)", key);
    *ret = v;
    return 0;
}

int lr_field_u64(lr_field_fn get, void *ud, const char *key, bool optional, uint64_t *ret, char *err,
                 size_t len)
{
    const char *v = get(ud, key);
    if (!v) {
        if (optional) {
            *ret = 0;
            return 0;
        }
        return lr_field_fail(err, len, "no field %s", key);
    }
    if (mo_parse_u64(v, ret) < 0)
        return lr_field_fail(err, len, "field %s: " LR_QUOTED " is not a whole number", key, LR_QUOTE(v));
    return 0;
}

int lr_field_i64(lr_field_fn get, void *ud, const char *key, int64_t *ret, char *err, size_t len)
{
    const char *v = get(ud, key);
    if (!v)
        return lr_field_fail(err, len, "no field %s", key);
    bool neg = *v == '-';
    uint64_t mag;
    if (mo_parse_u64(v + neg, &mag) < 0 || mag > (uint64_t)INT64_MAX)
        return lr_field_fail(err, len, "field %s: " LR_QUOTED " is not a whole number", key, LR_QUOTE(v));
    *ret = neg ? -(int64_t)mag : (int64_t)mag;
    return 0;
}

int lr_field_seconds(lr_field_fn get, void *ud, const char *key, double *ret, char *err, size_t len)
{
    const char *v = get(ud, key);
    if (!v)
        return lr_field_fail(err, len, "no field %s", key);
    /* the daemon writes plain decimals ("60.002"): no sign, exponent, hex, inf or nan */
    size_t digits = strspn(v, "0123456789"), frac = 0;
    if (v[digits] == '.')
        frac = strspn(v + digits + 1, "0123456789") + 1;
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if ((digits == 0 && frac <= 1) || v[digits + frac] || end != v + digits + frac || errno || !isfinite(d))
        return lr_field_fail(err, len, "field %s: " LR_QUOTED " is not a number of seconds", key,
                             LR_QUOTE(v));
    *ret = d;
    return 0;
}
