/* series.c - bin summaries into time columns and take each column's p99. */
#include <config.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "series.h"

struct point {
    int64_t mid_us; /* middle of the interval */
    int64_t interval_us;
    int64_t min_us, max_us;
    char *histogram;
};

struct lr_series {
    struct point *p;
    size_t n, cap;
};

int lr_series_new(lr_series **ret)
{
    lr_series *s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    *ret = s;
    return 0;
}

void lr_series_free(lr_series *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        free(s->p[i].histogram);
    free(s->p);
    free(s);
}

int lr_series_add(lr_series *s, const struct lr_summary *sum)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        struct point *p = realloc(s->p, cap * sizeof *p);
        if (!p)
            return -ENOMEM;
        s->p = p;
        s->cap = cap;
    }
    int64_t interval = (int64_t)llround(sum->interval_s * 1e6);
    struct point *p = &s->p[s->n];
    *p = (struct point){.mid_us = sum->ts_us - interval / 2, .interval_us = interval,
                        .min_us = sum->min_us, .max_us = sum->max_us,
                        .histogram = strdup(sum->histogram)};
    if (!p->histogram)
        return -ENOMEM;
    s->n++;
    return 0;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The smallest round duration (1, 2, 5, 10, 15, 20, 30 s; 1, 2, 3, 5, 10,
 * 15, 20, 30 min; 1, 2, 3, 4, 6, 8, 12 h; 1, 2 days; then whole weeks) of
 * at least `us`, so the plot can say "one column per 3 min". */
static int64_t round_step(int64_t us)
{
    static const int64_t s[] = {1, 2, 5, 10, 15, 20, 30, 60, 120, 180, 300, 600, 900, 1200, 1800,
                                3600, 7200, 10800, 14400, 21600, 28800, 43200, 86400, 172800, 604800};
    for (size_t i = 0; i < sizeof s / sizeof *s; i++)
        if (s[i] * 1000000 >= us)
            return s[i] * 1000000;
    int64_t week = 604800LL * 1000000;
    return (us + week - 1) / week * week;
}

int lr_series_columns(const lr_series *s, size_t max_cols, struct lr_column **ret, size_t *n_cols,
                      int64_t *step_us)
{
    *ret = NULL;
    *n_cols = 0;
    *step_us = 0;
    if (s->n == 0 || max_cols == 0)
        return 0;
    int64_t *iv = malloc(s->n * sizeof *iv);
    if (!iv)
        return -ENOMEM;
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (size_t i = 0; i < s->n; i++) {
        iv[i] = s->p[i].interval_us;
        int64_t a = s->p[i].mid_us - s->p[i].interval_us / 2, b = a + s->p[i].interval_us;
        if (a < lo)
            lo = a;
        if (b > hi)
            hi = b;
    }
    qsort(iv, s->n, sizeof *iv, cmp_i64);
    int64_t typical = iv[s->n / 2];
    free(iv);
    if (typical < 1000)
        typical = 1000; /* summaries logged at once (SIGUSR1) have ~0 s intervals */
    int64_t span = hi - lo > 0 ? hi - lo : 1;
    /* the typical interval when that fits; else a round duration */
    int64_t step = typical;
    if ((span + step - 1) / step > (int64_t)max_cols)
        step = round_step((span + (int64_t)max_cols - 1) / (int64_t)max_cols);
    size_t n = (size_t)((span + step - 1) / step);
    if (n == 0)
        n = 1;
    if (n > max_cols)
        n = max_cols;

    struct lr_column *cols = calloc(n, sizeof *cols);
    mo_hist **h = calloc(n, sizeof *h);
    mo_hist *one = NULL;
    int r = -ENOMEM;
    if (!cols || !h || mo_hist_new(&one) < 0)
        goto out;
    for (size_t i = 0; i < s->n; i++) {
        const struct point *p = &s->p[i];
        int64_t k = (p->mid_us - lo) / step;
        size_t c = k < 0 ? 0 : (size_t)k >= n ? n - 1 : (size_t)k;
        cols[c].summaries++;
        /* the encodings were checked when the summaries were read */
        mo_hist_reset(one);
        if (mo_hist_decode(one, p->histogram) < 0 || mo_hist_count(one) == 0)
            continue;
        mo_hist_set_range(one, p->min_us, p->max_us);
        if (!h[c] && mo_hist_new(&h[c]) < 0)
            goto out;
        mo_hist_merge(h[c], one);
    }
    for (size_t c = 0; c < n; c++) {
        cols[c].start_us = lo + (int64_t)c * step;
        if (h[c]) {
            cols[c].measured = mo_hist_count(h[c]);
            cols[c].p99_us = mo_hist_quantile(h[c], 0.99);
            cols[c].max_us = mo_hist_max(h[c]);
        }
    }
    *ret = cols;
    cols = NULL;
    *n_cols = n;
    *step_us = step;
    r = 0;
out:
    if (h)
        for (size_t c = 0; c < n; c++)
            mo_hist_free(h[c]);
    free(h);
    free(cols);
    mo_hist_free(one);
    return r;
}
