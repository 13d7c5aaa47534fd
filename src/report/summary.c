/* summary.c - read and check one summary event's fields. */
#include <config.h>

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "secret.h"
#include "summary.h"
#include "util.h"

static int fail(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, len, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

/* Field texts are quoted in messages, cut short: a histogram can be 100 KB.
 * A text that looks like an API key is not quoted at all (judged whole). */
#define QUOTED "\"%.40s%s\""
#define QUOTE(v) mo_secret_redact(v), strlen(mo_secret_redact(v)) > 40 ? "..." : ""

static int get_str(lr_field_fn get, void *ud, const char *key, const char **ret, char *err, size_t len)
{
    const char *v = get(ud, key);
    if (!v)
        return fail(err, len, "no field %s", key);
    if (!*v)
        return fail(err, len, "field %s is empty", key);
    /* the daemon refuses such names: a summary holding one was not its own */
    if (mo_secret_like(v, strlen(v)))
        return fail(err, len, "field %s looks like an API key (not shown)", key);
    *ret = v;
    return 0;
}

/* optional: absent is 0 */
static int get_u64(lr_field_fn get, void *ud, const char *key, bool optional, uint64_t *ret, char *err,
                   size_t len)
{
    const char *v = get(ud, key);
    if (!v) {
        if (optional) {
            *ret = 0;
            return 0;
        }
        return fail(err, len, "no field %s", key);
    }
    if (mo_parse_u64(v, ret) < 0)
        return fail(err, len, "field %s: " QUOTED " is not a whole number", key, QUOTE(v));
    return 0;
}

static int get_i64(lr_field_fn get, void *ud, const char *key, int64_t *ret, char *err, size_t len)
{
    const char *v = get(ud, key);
    if (!v)
        return fail(err, len, "no field %s", key);
    bool neg = *v == '-';
    uint64_t mag;
    if (mo_parse_u64(v + neg, &mag) < 0 || mag > (uint64_t)INT64_MAX)
        return fail(err, len, "field %s: " QUOTED " is not a whole number", key, QUOTE(v));
    *ret = neg ? -(int64_t)mag : (int64_t)mag;
    return 0;
}

static int get_seconds(lr_field_fn get, void *ud, const char *key, double *ret, char *err, size_t len)
{
    const char *v = get(ud, key);
    if (!v)
        return fail(err, len, "no field %s", key);
    /* the daemon writes plain decimals ("60.002"): no sign, exponent, hex, inf or nan */
    size_t digits = strspn(v, "0123456789"), frac = 0;
    if (v[digits] == '.')
        frac = strspn(v + digits + 1, "0123456789") + 1;
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if ((digits == 0 && frac <= 1) || v[digits + frac] || end != v + digits + frac || errno || !isfinite(d))
        return fail(err, len, "field %s: " QUOTED " is not a number of seconds", key, QUOTE(v));
    *ret = d;
    return 0;
}

int lr_summary_parse(lr_field_fn get, void *ud, struct lr_summary *s, char *err, size_t len)
{
    int r;
    struct {
        const char *key;
        uint64_t *dst;
        bool optional;
    } counters[] = {
        {"count", &s->count, false},
        {"decode_errors", &s->decode_errors, false},
        {"protocol_errors", &s->protocol_errors, true}, /* newer daemons only */
        {"negative", &s->negative, false},
        {"gaps", &s->gaps, false},
        {"duplicates", &s->duplicates, false},
        {"discontinuities", &s->discontinuities, false},
        {"lost", &s->lost, true}, /* newer daemons only */
        {"resets", &s->resets, false},
        {"reconnects", &s->reconnects, false},
        {"log_dropped", &s->log_dropped, true},      /* newer daemons only */
        {"warnings_dropped", &s->warnings_dropped, true}, /* newer daemons only */
    };
    if ((r = get_str(get, ud, "cache", &s->cache, err, len)) < 0 ||
        (r = get_str(get, ud, "topic", &s->topic, err, len)) < 0 ||
        (r = get_seconds(get, ud, "interval_s", &s->interval_s, err, len)) < 0 ||
        (r = get_i64(get, ud, "min_us", &s->min_us, err, len)) < 0 ||
        (r = get_i64(get, ud, "max_us", &s->max_us, err, len)) < 0 ||
        (r = get_str(get, ud, "histogram", &s->histogram, err, len)) < 0)
        return r;
    for (size_t i = 0; i < sizeof counters / sizeof *counters; i++)
        if ((r = get_u64(get, ud, counters[i].key, counters[i].optional, counters[i].dst, err, len)) < 0)
            return r;

    mo_hist_reset(s->hist);
    if (mo_hist_decode(s->hist, s->histogram) < 0)
        return fail(err, len, "field histogram: " QUOTED " is not a histogram encoding (h1,...)",
                    QUOTE(s->histogram));
    /* Daemons that write with_latency say how many latencies the histogram
     * holds; older ones count every message taken in order (count), of which
     * those whose publish time could not be read (decode_errors) have none. */
    uint64_t measured = mo_hist_count(s->hist);
    if (get(ud, "with_latency")) {
        uint64_t with_latency;
        if ((r = get_u64(get, ud, "with_latency", false, &with_latency, err, len)) < 0)
            return r;
        if (with_latency > s->count || measured != with_latency)
            return fail(err, len,
                        "the histogram holds %llu latencies, but with_latency is %llu (count %llu)",
                        (unsigned long long)measured, (unsigned long long)with_latency,
                        (unsigned long long)s->count);
    } else if (s->decode_errors > s->count || measured != s->count - s->decode_errors) {
        return fail(err, len,
                    "the histogram holds %llu latencies, but count - decode_errors is %llu - %llu",
                    (unsigned long long)measured, (unsigned long long)s->count,
                    (unsigned long long)s->decode_errors);
    }
    if (mo_hist_negative(s->hist) != s->negative)
        return fail(err, len, "the histogram holds %llu negative latencies, but negative is %llu",
                    (unsigned long long)mo_hist_negative(s->hist), (unsigned long long)s->negative);
    if (measured && mo_hist_set_range(s->hist, s->min_us, s->max_us) < 0)
        return fail(err, len, "min_us %lld or max_us %lld lies outside the histogram",
                    (long long)s->min_us, (long long)s->max_us);
    return 0;
}

bool lr_summary_is_total(const struct lr_summary *s)
{
    return strcmp(s->cache, "*") == 0 && strcmp(s->topic, "*") == 0;
}
