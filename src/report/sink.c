/* sink.c - route checked summaries to the merge and the series. */
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
