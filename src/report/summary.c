/* summary.c - read and check one summary event's fields. */
#include <config.h>

#include <errno.h>
#include <string.h>

#include "secret.h"
#include "summary.h"

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
