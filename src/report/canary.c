/* canary.c - read and check one canary or canary_peer event's fields. */
#include <config.h>

#include <errno.h>
#include <string.h>

#include "canary.h"
#include "secret.h"

/* The histogram: decoded into h, holding `received` values. */
static int get_hist(lr_field_fn get, void *ud, mo_hist *h, uint64_t received, const char **ret, char *err,
                    size_t len)
{
    int r = lr_field_str(get, ud, "histogram", ret, err, len);
    if (r < 0)
        return r;
    mo_hist_reset(h);
    if (mo_hist_decode(h, *ret) < 0)
        return lr_field_fail(err, len, "field histogram: " LR_QUOTED " is not a histogram encoding (h1,...)",
                             LR_QUOTE(*ret));
    if (mo_hist_count(h) != received)
        return lr_field_fail(err, len, "the histogram holds %llu probes, but received is %llu",
                             (unsigned long long)mo_hist_count(h), (unsigned long long)received);
    return 0;
}

int lr_canary_parse(lr_field_fn get, void *ud, struct lr_canary *c, char *err, size_t len)
{
    int r;
    const struct {
        const char *key;
        uint64_t *dst;
    } counts[] = {
        {"sent", &c->sent},
        {"received", &c->received},
        {"lost", &c->lost},
        {"late", &c->late},
        {"duplicates", &c->duplicates},
        {"out_of_order", &c->out_of_order},
        {"after_deadline", &c->after_deadline},
        {"publish_errors", &c->publish_errors},
    };
    if ((r = lr_field_str(get, ud, "cache", &c->cache, err, len)) < 0 ||
        (r = lr_field_str(get, ud, "topic", &c->topic, err, len)) < 0 ||
        (r = lr_field_str(get, ud, "host", &c->host, err, len)) < 0 ||
        (r = lr_field_seconds(get, ud, "interval_s", &c->interval_s, err, len)) < 0)
        return r;
    for (size_t i = 0; i < sizeof counts / sizeof *counts; i++)
        if ((r = lr_field_u64(get, ud, counts[i].key, false, counts[i].dst, err, len)) < 0)
            return r;
    if (c->late > c->received)
        return lr_field_fail(err, len, "late %llu is more than received %llu", (unsigned long long)c->late,
                             (unsigned long long)c->received);
    if ((r = get_hist(get, ud, c->hist, c->received, &c->histogram, err, len)) < 0)
        return r;
    c->rtt_min_us = c->rtt_max_us = 0;
    if (c->received == 0)
        return 0; /* the daemon writes no rtt_* then */
    if ((r = lr_field_i64(get, ud, "rtt_min_us", &c->rtt_min_us, err, len)) < 0 ||
        (r = lr_field_i64(get, ud, "rtt_max_us", &c->rtt_max_us, err, len)) < 0)
        return r;
    if (mo_hist_set_range(c->hist, c->rtt_min_us, c->rtt_max_us) < 0)
        return lr_field_fail(err, len, "rtt_min_us %lld or rtt_max_us %lld lies outside the histogram",
                             (long long)c->rtt_min_us, (long long)c->rtt_max_us);
    return 0;
}

int lr_canary_peer_parse(lr_field_fn get, void *ud, struct lr_canary_peer *p, char *err, size_t len)
{
    int r;
    if ((r = lr_field_str(get, ud, "host", &p->host, err, len)) < 0 ||
        (r = lr_field_u64(get, ud, "received", false, &p->received, err, len)) < 0 ||
        (r = lr_field_u64(get, ud, "lost", false, &p->lost, err, len)) < 0)
        return r;
    p->has_bound = get(ud, "bound_us") != NULL;
    if ((r = lr_field_u64(get, ud, "bound_us", true, &p->bound_us, err, len)) < 0)
        return r;
    if ((r = get_hist(get, ud, p->hist, p->received, &p->histogram, err, len)) < 0)
        return r;
    p->max_us = 0;
    if (p->received == 0)
        return 0;
    if ((r = lr_field_i64(get, ud, "max_us", &p->max_us, err, len)) < 0)
        return r;
    /* the event has no minimum: the middle of the histogram's lowest bucket
     * stands for it, or max_us when that is lower (one bucket only) */
    int64_t min = mo_hist_min(p->hist) < p->max_us ? mo_hist_min(p->hist) : p->max_us;
    if (mo_hist_set_range(p->hist, min, p->max_us) < 0)
        return lr_field_fail(err, len, "max_us %lld lies outside the histogram", (long long)p->max_us);
    return 0;
}
