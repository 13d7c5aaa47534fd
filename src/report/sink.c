/* sink.c - route checked events to the merges and the series. */
#include <config.h>

#include "sink.h"

bool lr_window_contains(const struct lr_window *w, int64_t ts_us)
{
    return (!w->has_since || ts_us >= w->since_us) && (!w->has_until || ts_us <= w->until_us);
}

int lr_sink_take(struct lr_sink *k, const struct lr_summary *s)
{
    if (lr_summary_is_total(s)) {
        k->diag.totals++; /* rebuilt from the per-topic summaries (merge.h) */
        return 0;
    }
    if (!lr_window_contains(&k->window, s->ts_us)) {
        k->diag.outside++;
        return 0;
    }
    int r = lr_merge_add(k->merge, s);
    if (r == 0 && k->series)
        r = lr_series_add(k->series, s);
    if (r == 0)
        k->diag.used++;
    return r;
}

int lr_sink_take_canary(struct lr_sink *k, const struct lr_canary *c)
{
    /* which host a source's canary names, for its peer events, whatever the window */
    int r = lr_cmerge_note_source(k->canary, c->source ? c->source : "", c->host);
    if (r < 0 || !lr_window_contains(&k->window, c->ts_us))
        return r;
    if ((r = lr_cmerge_add(k->canary, c)) < 0 || !k->canary_series)
        return r;
    /* the series keeps what it keeps of a summary: the round trips are its latencies */
    const struct lr_summary point = {.histogram = c->histogram, .interval_s = c->interval_s,
                                     .min_us = c->rtt_min_us, .max_us = c->rtt_max_us, .ts_us = c->ts_us};
    return lr_series_add(k->canary_series, &point);
}

int lr_sink_take_peer(struct lr_sink *k, const struct lr_canary_peer *p)
{
    return lr_window_contains(&k->window, p->ts_us) ? lr_cmerge_add_peer(k->canary, p) : 0;
}
