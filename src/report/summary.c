/* summary.c - read and check one summary event's fields. */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "secret.h"
#include "summary.h"

const char *const lr_clock_source_names[LR_CLOCK_SOURCES] = {"clockbound", "adjtimex"};

const char *lr_clock_sources_format(unsigned set, char *buf, size_t len)
{
    size_t n = 0;
    if (len)
        buf[0] = '\0';
    for (int i = 0; i < LR_CLOCK_SOURCES; i++) {
        if (!(set & (1u << i)))
            continue;
        int w = snprintf(buf + n, len > n ? len - n : 0, "%s%s", n ? "+" : "", lr_clock_source_names[i]);
        if (w < 0 || (size_t)w >= len - n) {
            if (len)
                buf[n] = '\0'; /* whole names only */
            break;
        }
        n += (size_t)w;
    }
    return buf;
}

/* A bound in whole microseconds: unknown when absent or negative (-1). */
static int bound_field(lr_field_fn get, void *ud, const char *key, bool *has, uint64_t *ret, char *err,
                       size_t len)
{
    int64_t v = -1;
    int r;
    if (get(ud, key) && (r = lr_field_i64(get, ud, key, &v, err, len)) < 0)
        return r;
    *has = v >= 0;
    *ret = v >= 0 ? (uint64_t)v : 0;
    return 0;
}

/* The clock's fields, all optional (older daemons write none). */
static int clock_fields(lr_field_fn get, void *ud, struct lr_summary *s, char *err, size_t len)
{
    int r;
    const char *v = get(ud, "clock_source");
    s->clock_source = 0;
    for (int i = 0; v && i < LR_CLOCK_SOURCES; i++)
        if (strcmp(v, lr_clock_source_names[i]) == 0)
            s->clock_source = 1u << i;
    if (v && !s->clock_source)
        return lr_field_fail(err, len, "field clock_source: " LR_QUOTED " is neither clockbound nor adjtimex",
                             LR_QUOTE(v));
    if ((r = bound_field(get, ud, "clock_bound_us", &s->has_clock_bound, &s->clock_bound_us, err, len)) < 0 ||
        (r = bound_field(get, ud, "publisher_bound_us", &s->has_publisher_bound, &s->publisher_bound_us, err,
                         len)) < 0 ||
        (r = lr_field_u64(get, ud, "skewed", true, &s->skewed, err, len)) < 0)
        return r;
    /* below -(both bounds), at least 0: a negative latency */
    if (s->skewed > s->negative)
        return lr_field_fail(err, len, "skewed is %llu, but negative is %llu: a skewed latency is negative",
                             (unsigned long long)s->skewed, (unsigned long long)s->negative);
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
    if ((r = lr_field_str(get, ud, "cache", &s->cache, err, len)) < 0 ||
        (r = lr_field_str(get, ud, "topic", &s->topic, err, len)) < 0 ||
        (r = lr_field_seconds(get, ud, "interval_s", &s->interval_s, err, len)) < 0 ||
        (r = lr_field_i64(get, ud, "min_us", &s->min_us, err, len)) < 0 ||
        (r = lr_field_i64(get, ud, "max_us", &s->max_us, err, len)) < 0 ||
        (r = lr_field_str(get, ud, "histogram", &s->histogram, err, len)) < 0)
        return r;
    for (size_t i = 0; i < sizeof counters / sizeof *counters; i++)
        if ((r = lr_field_u64(get, ud, counters[i].key, counters[i].optional, counters[i].dst, err, len)) < 0)
            return r;
    if ((r = clock_fields(get, ud, s, err, len)) < 0)
        return r;

    mo_hist_reset(s->hist);
    if (mo_hist_decode(s->hist, s->histogram) < 0)
        return lr_field_fail(err, len, "field histogram: " LR_QUOTED " is not a histogram encoding (h1,...)",
                             LR_QUOTE(s->histogram));
    /* Daemons that write with_latency say how many latencies the histogram
     * holds; older ones count every message taken in order (count), of which
     * those whose publish time could not be read (decode_errors) have none. */
    uint64_t measured = mo_hist_count(s->hist);
    if (get(ud, "with_latency")) {
        uint64_t with_latency;
        if ((r = lr_field_u64(get, ud, "with_latency", false, &with_latency, err, len)) < 0)
            return r;
        if (with_latency > s->count || measured != with_latency)
            return lr_field_fail(err, len,
                                 "the histogram holds %llu latencies, but with_latency is %llu (count %llu)",
                                 (unsigned long long)measured, (unsigned long long)with_latency,
                                 (unsigned long long)s->count);
    } else if (s->decode_errors > s->count || measured != s->count - s->decode_errors) {
        return lr_field_fail(err, len,
                             "the histogram holds %llu latencies, but count - decode_errors is %llu - %llu",
                             (unsigned long long)measured, (unsigned long long)s->count,
                             (unsigned long long)s->decode_errors);
    }
    if (mo_hist_negative(s->hist) != s->negative)
        return lr_field_fail(err, len, "the histogram holds %llu negative latencies, but negative is %llu",
                             (unsigned long long)mo_hist_negative(s->hist), (unsigned long long)s->negative);
    if (measured && mo_hist_set_range(s->hist, s->min_us, s->max_us) < 0)
        return lr_field_fail(err, len, "min_us %lld or max_us %lld lies outside the histogram",
                             (long long)s->min_us, (long long)s->max_us);
    return 0;
}

bool lr_summary_is_total(const struct lr_summary *s)
{
    return strcmp(s->cache, "*") == 0 && strcmp(s->topic, "*") == 0;
}
