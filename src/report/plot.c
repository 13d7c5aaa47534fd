/* plot.c - latency distribution and p99 over time, drawn with text. */
#include <config.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "plot.h"
#include "table.h"

/* ---- the distribution ---- */

#define LABEL_W 15 /* "  0.125-0.16   " */
#define BAR_W 30
#define MAX_BOUNDS (LR_PLOT_ROWS + 2)

static const double series10[] = {1, 1.25, 1.6, 2, 2.5, 3.15, 4, 5, 6.3, 8};
static const double series5[] = {1, 1.6, 2.5, 4, 6.3};
static const double series3[] = {1, 2, 5};
static const double series1[] = {1};

/* Row bounds in microseconds from a series: the largest value <= lo (0 when
 * lo is 0) up to the first value > hi. Returns the number of bounds, or 0
 * when more than MAX_BOUNDS would be needed. */
static size_t make_bounds(const double *ser, size_t k, uint64_t lo, uint64_t hi, uint64_t *b)
{
    size_t n = 0;
    if (lo == 0)
        b[n++] = 0;
    double scale = 1;
    for (int e = 0; e < 19; e++, scale *= 10) {
        for (size_t i = 0; i < k; i++) {
            uint64_t v = (uint64_t)llround(ser[i] * scale);
            if (n && v <= b[n - 1])
                continue; /* 1.25 and 1 are both 1 us */
            if (v <= lo && lo > 0) {
                b[0] = v; /* still below the lowest value: move the first bound up */
                n = 1;
                continue;
            }
            if (n == MAX_BOUNDS)
                return 0;
            b[n++] = v;
            if (v > hi)
                return n;
        }
    }
    return 0;
}

static const char *fmt_bound(uint64_t us, char *buf, size_t len)
{
    double ms = (double)us / 1000.0;
    if (ms < 1000)
        snprintf(buf, len, "%.4g", ms);
    else if (ms < 1e6)
        snprintf(buf, len, "%.0f", ms);
    else
        snprintf(buf, len, "%.2g", ms); /* "1.2e+06": 7 characters at most */
    return buf;
}

struct rows {
    uint64_t bound[MAX_BOUNDS];
    size_t n_bounds; /* rows: n_bounds - 1 */
    uint64_t count[MAX_BOUNDS];
    uint64_t negative;
    const mo_hist *h;
};

static size_t row_of(const struct rows *r, int64_t v)
{
    size_t i = 0;
    while (i + 2 < r->n_bounds && (uint64_t)v >= r->bound[i + 1])
        i++;
    return i;
}

static bool count_step(bool negative, size_t b, uint64_t count, void *ud)
{
    struct rows *r = ud;
    if (negative) {
        r->negative += count;
        return true;
    }
    int64_t v = mo_hist_key_value((int64_t)b);
    if (v > mo_hist_max(r->h))
        v = mo_hist_max(r->h); /* as mo_hist_quantile reports it */
    if (v < mo_hist_min(r->h))
        v = mo_hist_min(r->h);
    r->count[row_of(r, v)] += count;
    return true;
}

/* A bar of `eighths` eighths of a cell; returns the cells it took. */
static unsigned bar(FILE *f, unsigned eighths, bool utf8, bool nonzero)
{
    static const char *const part[] = {"", "\u258f", "\u258e", "\u258d", "\u258c", "\u258b", "\u258a", "\u2589"};
    unsigned full = eighths / 8, rest = eighths % 8;
    if (!utf8) {
        full += rest >= 4;
        for (unsigned i = 0; i < full; i++)
            fputc('#', f);
        if (nonzero && full == 0) {
            fputc('.', f); /* something, however little */
            return 1;
        }
        return full;
    }
    for (unsigned i = 0; i < full; i++)
        fputs("\u2588", f);
    if (!rest && nonzero && full == 0)
        rest = 1;
    if (rest)
        fputs(part[rest], f);
    return full + (rest > 0);
}

static void dist_row(FILE *f, const char *label, uint64_t count, uint64_t total, uint64_t fullest,
                     const char *marks, bool utf8)
{
    char c[32];
    double share = total ? 100.0 * (double)count / (double)total : 0;
    fprintf(f, "%-*s %8s %5.1f%%", LABEL_W, label, lr_fmt_count(count, 8, c, sizeof c), share);
    if (count || *marks) {
        unsigned eighths = fullest ? (unsigned)llround((double)count * BAR_W * 8 / (double)fullest) : 0;
        fputc(' ', f);
        unsigned cells = bar(f, eighths, utf8, count > 0);
        if (*marks)
            fprintf(f, "%*s%s", (int)(BAR_W - cells), "", marks);
    }
    fputc('\n', f);
}

static bool first_positive(bool negative, size_t b, uint64_t count, void *ud)
{
    if (negative)
        return true;
    *(int64_t *)ud = mo_hist_key_value((int64_t)b);
    return false;
}

int lr_plot_distribution(FILE *f, const char *title, const mo_hist *h, bool utf8)
{
    uint64_t total = mo_hist_count(h);
    fprintf(f, "%.*s\n", LR_PLOT_WIDTH, title);
    if (total == 0) {
        fputs("  (no latencies)\n", f);
        return ferror(f) ? -EIO : 0;
    }
    struct rows r = {.h = h};
    int64_t mn = mo_hist_min(h), mx = mo_hist_max(h);
    if (mx >= 0) {
        /* the rows start at the smallest latency >= 0: negative ones have their own */
        int64_t low = mn;
        if (low < 0)
            mo_hist_foreach(h, first_positive, &low);
        uint64_t lo = low > 0 ? (uint64_t)low : 0, hi = (uint64_t)mx;
        const struct {
            const double *s;
            size_t k;
        } choices[] = {{series10, 10}, {series5, 5}, {series3, 3}, {series1, 1}};
        for (size_t i = 0; i < 4 && r.n_bounds == 0; i++) {
            r.n_bounds = make_bounds(choices[i].s, choices[i].k, lo, hi, r.bound);
            if (r.n_bounds > LR_PLOT_ROWS + 1)
                r.n_bounds = 0;
        }
    }
    mo_hist_foreach(h, count_step, &r);

    /* which rows hold the percentiles */
    char marks[MAX_BOUNDS + 1][32] = {{0}};
    const struct {
        const char *name;
        double q;
    } pct[] = {{"p50", 0.5}, {"p90", 0.9}, {"p99", 0.99}, {"p99.9", 0.999}};
    for (size_t i = 0; i < 4; i++) {
        int64_t v = mo_hist_quantile(h, pct[i].q);
        size_t row = v < 0 || r.n_bounds < 2 ? MAX_BOUNDS : row_of(&r, v);
        char *m = marks[row];
        size_t len = strlen(m);
        snprintf(m + len, sizeof marks[0] - len, " %s", pct[i].name);
    }
    uint64_t fullest = r.negative;
    for (size_t i = 0; i + 1 < r.n_bounds; i++)
        if (r.count[i] > fullest)
            fullest = r.count[i];

    fprintf(f, "%-*s %8s %6s\n", LABEL_W, "  latency (ms)", "count", "share");
    if (r.negative)
        dist_row(f, "       < 0", r.negative, total, fullest, marks[MAX_BOUNDS], utf8);
    for (size_t i = 0; i + 1 < r.n_bounds; i++) {
        char a[16], b[16], label[40];
        snprintf(label, sizeof label, "%7s-%s", fmt_bound(r.bound[i], a, sizeof a),
                 fmt_bound(r.bound[i + 1], b, sizeof b));
        dist_row(f, label, r.count[i], total, fullest, marks[i], utf8);
    }
    return ferror(f) ? -EIO : 0;
}

/* ---- p99 over time ---- */

#define AXIS_LABEL_W 8

static const char *fmt_step(int64_t us, char *buf, size_t len)
{
    double s = (double)us / 1e6;
    if (s < 120)
        snprintf(buf, len, "%.3g s", s);
    else if (s < 7200)
        snprintf(buf, len, "%.3g min", s / 60);
    else if (s < 172800)
        snprintf(buf, len, "%.3g h", s / 3600);
    else
        snprintf(buf, len, "%.3g days", s / 86400);
    return buf;
}

static const char *fmt_clock(int64_t us, bool with_date, char *buf, size_t len)
{
    time_t t = (time_t)(us / 1000000);
    struct tm tm;
    if (!localtime_r(&t, &tm) || !strftime(buf, len, with_date ? "%m-%d %H:%M" : "%H:%M:%S", &tm))
        snprintf(buf, len, "?");
    return buf;
}

int lr_plot_time(FILE *f, const char *title, const struct lr_column *cols, size_t n, int64_t step_us,
                 bool utf8)
{
    static const char *const up[] = {" ", "\u2581", "\u2582", "\u2583", "\u2584", "\u2585", "\u2586", "\u2587", "\u2588"};
    char step[32];
    if (n > LR_PLOT_COLUMNS)
        n = LR_PLOT_COLUMNS;
    fprintf(f, "%.*s\n", LR_PLOT_WIDTH, title);
    int64_t top = 0;
    for (size_t i = 0; i < n; i++)
        if (cols[i].measured && cols[i].p99_us > top)
            top = cols[i].p99_us;
    if (n == 0 || top <= 0) {
        fputs(n == 0 ? "  (no summaries)\n" : "  (no positive latency)\n", f);
        return ferror(f) ? -EIO : 0;
    }
    fprintf(f, "  ms, one column per %s\n", fmt_step(step_us, step, sizeof step));
    unsigned h8[LR_PLOT_COLUMNS];
    for (size_t i = 0; i < n; i++) {
        double v = cols[i].measured && cols[i].p99_us > 0 ? (double)cols[i].p99_us : 0;
        h8[i] = (unsigned)llround(v / (double)top * LR_PLOT_HEIGHT * 8);
        if (cols[i].measured && h8[i] == 0)
            h8[i] = 1; /* there is a p99: show it */
    }
    for (int row = 0; row < LR_PLOT_HEIGHT; row++) {
        char label[32] = "";
        if (row == 0)
            lr_fmt_ms(top, label, sizeof label);
        else if (row == LR_PLOT_HEIGHT / 2)
            lr_fmt_ms(top / 2, label, sizeof label);
        fprintf(f, "%*s%s", AXIS_LABEL_W, label, utf8 ? (*label ? "\u2524" : "\u2502") : (*label ? "+" : "|"));
        unsigned base = (unsigned)(LR_PLOT_HEIGHT - 1 - row) * 8; /* eighths below this row */
        const char *cell[LR_PLOT_COLUMNS];
        size_t last = 0; /* no trailing blanks */
        for (size_t i = 0; i < n; i++) {
            unsigned e = h8[i] > base ? h8[i] - base : 0;
            if (e > 8)
                e = 8;
            if (utf8)
                cell[i] = up[e];
            else /* a full cell from half up; a low p99 still shows on the bottom row */
                cell[i] = e >= 4 ? "#" : e > 0 && base == 0 ? "_" : " ";
            if (strcmp(cell[i], " ") != 0)
                last = i + 1;
        }
        for (size_t i = 0; i < last; i++)
            fputs(cell[i], f);
        fputc('\n', f);
    }
    fprintf(f, "%*s%s", AXIS_LABEL_W, "0", utf8 ? "\u2514" : "+");
    for (size_t i = 0; i < n; i++)
        fputs(utf8 ? "\u2500" : "-", f);
    fputc('\n', f);
    /* times of the first and last columns' starts, under them */
    bool with_date = cols[n - 1].start_us - cols[0].start_us >= 86400LL * 1000000;
    char a[32], b[32];
    fmt_clock(cols[0].start_us, with_date, a, sizeof a);
    fmt_clock(cols[n - 1].start_us, with_date, b, sizeof b);
    size_t la = strlen(a), lb = strlen(b);
    if (n >= la + 1 + lb)
        fprintf(f, "%*s%-*s%s\n", AXIS_LABEL_W + 1, "", (int)(n - lb), a, b);
    else
        fprintf(f, "%*s%s\n", AXIS_LABEL_W + 1, "", a);
    return ferror(f) ? -EIO : 0;
}
