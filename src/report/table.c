/* table.c - print the report as tables that fit 80 columns. */
#include <config.h>

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "table.h"

#define NAME_W 16 /* the name column; longer names get their own line */

const char *lr_fmt_ms(int64_t us, char *buf, size_t len)
{
    double ms = (double)us / 1000.0, a = fabs(ms);
    /* the thresholds keep rounding from adding a digit: 99.9996 is "100.00" */
    if (a < 99.9995)
        snprintf(buf, len, "%.3f", ms);
    else if (a < 999.995)
        snprintf(buf, len, "%.2f", ms);
    else if (a < 9999.95)
        snprintf(buf, len, "%.1f", ms);
    else if (a < 999999.5)
        snprintf(buf, len, "%.0f", ms);
    else
        snprintf(buf, len, "%.1e", ms);
    return buf;
}

const char *lr_fmt_count(uint64_t v, int width, char *buf, size_t len)
{
    static const char suffix[] = "kMGTPE";
    int n = snprintf(buf, len, "%llu", (unsigned long long)v);
    if (n <= width)
        return buf;
    double x = (double)v;
    for (size_t i = 0; i < sizeof suffix - 1; i++) {
        x /= 1000;
        if (x < 9.95) /* one decimal while it fits: "1.2M" */
            n = snprintf(buf, len, "%.1f%c", x, suffix[i]);
        else
            n = snprintf(buf, len, "%.0f%c", x, suffix[i]);
        if (n <= width)
            return buf;
    }
    return buf;
}

const char *lr_fmt_time(int64_t us, char *buf, size_t len)
{
    time_t t = (time_t)(us / 1000000);
    struct tm tm;
    if (!localtime_r(&t, &tm) || strftime(buf, len, "%Y-%m-%d %H:%M:%S %Z", &tm) == 0)
        snprintf(buf, len, "@%lld", (long long)t);
    return buf;
}

static const char *fmt_rate(double rate, char *buf, size_t len)
{
    if (rate < 99999.95)
        snprintf(buf, len, "%.1f", rate);
    else
        lr_fmt_count((uint64_t)llround(rate), 8, buf, len);
    return buf;
}

/* The row's name, as the first column shows it. */
static const char *row_name(const struct lr_report *r, const struct lr_row *row, char *buf, size_t len)
{
    const char *indent = r->by_host && row->host ? "  " : "";
    if (row->cache)
        snprintf(buf, len, "%s%s/%s", indent, row->cache, row->topic);
    else if (row->host)
        snprintf(buf, len, "%stotal", indent);
    else
        snprintf(buf, len, "%s", r->by_host ? "all hosts" : "total");
    return buf;
}

/* A line of its own, cut to the width with "..." (--json has every name whole). */
static void whole_line(FILE *f, const char *s)
{
    if (strlen(s) > LR_TABLE_WIDTH)
        fprintf(f, "%.*s...\n", LR_TABLE_WIDTH - 3, s);
    else
        fprintf(f, "%s\n", s);
}

/* The name column: padded, or alone on its line when too long. */
static void name_cell(FILE *f, const char *name)
{
    if (strlen(name) > NAME_W) {
        whole_line(f, name);
        fprintf(f, "%-*s", NAME_W, "");
    } else {
        fprintf(f, "%-*s", NAME_W, name);
    }
}

/* The host names that head their rows when split by host. */
static void host_heading(FILE *f, const struct lr_report *r, size_t i)
{
    const struct lr_row *row = &r->rows[i];
    if (!r->by_host || !row->host)
        return;
    if (i > 0 && r->rows[i - 1].host && strcmp(r->rows[i - 1].host, row->host) == 0)
        return;
    whole_line(f, *row->host ? row->host : "(no host)");
}

static void latency_table(FILE *f, const struct lr_report *r)
{
    char name[600], a[6][32], neg[32];
    fprintf(f, "%-*s%8s%8s%8s%8s%8s%8s%10s\n", NAME_W, "latency (ms)", "min", "p50", "p90", "p99",
            "p99.9", "max", "negative");
    for (size_t i = 0; i < r->n_rows; i++) {
        const struct lr_row *row = &r->rows[i];
        host_heading(f, r, i);
        name_cell(f, row_name(r, row, name, sizeof name));
        if (row->measured == 0) {
            fprintf(f, "%8s%8s%8s%8s%8s%8s%10s\n", "-", "-", "-", "-", "-", "-", "0");
            continue;
        }
        int64_t v[6] = {row->min_us, row->p50_us, row->p90_us, row->p99_us, row->p999_us, row->max_us};
        for (int k = 0; k < 6; k++)
            lr_fmt_ms(v[k], a[k], sizeof a[k]);
        fprintf(f, " %7s %7s %7s %7s %7s %7s %9s\n", a[0], a[1], a[2], a[3], a[4], a[5],
                lr_fmt_count(row->negative, 9, neg, sizeof neg));
    }
}

/* A right-aligned header cell of `width` display columns ("±" is two bytes). */
static void header_cell(FILE *f, int width, const char *s)
{
    int bytes = (int)strlen(s), cols = 0;
    for (const char *p = s; *p; p++)
        cols += ((unsigned char)*p & 0xc0) != 0x80;
    fprintf(f, "%*s", width + bytes - cols, s);
}

/* A bound in ms, or "-" when unknown. */
static const char *fmt_known(bool known, uint64_t us, char *buf, size_t len)
{
    return known ? lr_fmt_ms(us > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)us, buf, len) : "-";
}

/* The ±bound: "0.700", "0.350+?" (the publishers' unknown), "-" (this host's unknown). */
static const char *fmt_bound(const struct lr_row *row, char *buf, size_t len)
{
    bool partial;
    int64_t us = lr_row_bound_us(row, &partial);
    if (us < 0)
        return "-";
    char ms[32];
    snprintf(buf, len, "%s%s", lr_fmt_ms(us, ms, sizeof ms), partial ? "+?" : "");
    return buf;
}

/* The hosts' clock sources under the clock table, as many to a line as fit:
 * "clock source  web-1: clockbound, web-2: clockbound+adjtimex". */
static void source_lines(FILE *f, const struct lr_report *r)
{
    static const char lead[] = "clock source  ";
    const size_t indent = sizeof lead - 1, room = LR_TABLE_WIDTH - indent;
    char entry[600], names[64];
    size_t col = 0; /* 0: no line begun */
    bool first = true;
    for (size_t i = 0; i < r->n_hosts; i++) {
        const struct lr_host_clock *h = &r->host_clocks[i];
        if (!h->clock_sources)
            continue;
        snprintf(entry, sizeof entry, "%s: %s", *h->host ? h->host : "(no host)",
                 lr_clock_sources_format(h->clock_sources, names, sizeof names));
        size_t n = strlen(entry);
        if (col && col + 2 + n > LR_TABLE_WIDTH) {
            fputc('\n', f);
            col = 0;
        }
        if (col) {
            fputs(", ", f);
            col += 2;
        } else {
            fprintf(f, "%-*s", (int)indent, first ? lead : "");
            col = indent;
            first = false;
        }
        if (n > room) { /* a host name too long for a line: cut, as a heading is */
            fprintf(f, "%.*s...", (int)(room - 3), entry);
            n = room;
        } else {
            fputs(entry, f);
        }
        col += n;
    }
    if (col)
        fputc('\n', f);
}

/* The clock error bounds beside the latencies: their table, after the
 * latency table, when a summary of the window had them. */
static void clock_table(FILE *f, const struct lr_report *r, bool utf8)
{
    char name[600], b[32], c[3][32];
    fprintf(f, "%-*s", NAME_W, "clock (ms)");
    header_cell(f, 10, utf8 ? "\u00b1bound" : "+-bound");
    fprintf(f, "%8s%10s%10s\n", "host", "publisher", "skewed");
    for (size_t i = 0; i < r->n_rows; i++) {
        const struct lr_row *row = &r->rows[i];
        host_heading(f, r, i);
        name_cell(f, row_name(r, row, name, sizeof name));
        fprintf(f, " %9s %7s %9s %9s\n", fmt_bound(row, b, sizeof b),
                fmt_known(row->has_clock_bound, row->clock_bound_us, c[0], sizeof c[0]),
                fmt_known(row->has_publisher_bound, row->publisher_bound_us, c[1], sizeof c[1]),
                lr_fmt_count(row->skewed, 9, c[2], sizeof c[2]));
    }
    source_lines(f, r);
}

static void counts_table(FILE *f, const struct lr_report *r)
{
    char name[600], c[8][32];
    fprintf(f, "%-*s%10s%9s%7s%7s%7s%8s%7s%8s\n", NAME_W, "counts", "messages", "rate/s", "decode",
            "gaps", "dups", "discont", "reconn", "dropped");
    for (size_t i = 0; i < r->n_rows; i++) {
        const struct lr_row *row = &r->rows[i];
        host_heading(f, r, i);
        name_cell(f, row_name(r, row, name, sizeof name));
        fprintf(f, " %9s %8s %6s %6s %6s %7s %6s %7s\n",
                lr_fmt_count(row->messages, 9, c[0], sizeof c[0]),
                fmt_rate(row->rate, c[1], sizeof c[1]),
                lr_fmt_count(row->decode_errors, 6, c[2], sizeof c[2]),
                lr_fmt_count(row->gaps, 6, c[3], sizeof c[3]),
                lr_fmt_count(row->duplicates, 6, c[4], sizeof c[4]),
                lr_fmt_count(row->discontinuities, 7, c[5], sizeof c[5]),
                lr_fmt_count(row->reconnects, 6, c[6], sizeof c[6]),
                lr_fmt_count(row->log_dropped, 7, c[7], sizeof c[7]));
    }
}

int lr_table_print(FILE *f, const struct lr_report *r, bool utf8)
{
    char a[64], b[64];
    fprintf(f, "window  %s .. %s\n", lr_fmt_time(r->first_us, a, sizeof a),
            lr_fmt_time(r->last_us, b, sizeof b));
    fprintf(f, "input   %llu summar%s, %zu topic%s, %zu host%s\n\n",
            (unsigned long long)r->n_summaries, r->n_summaries == 1 ? "y" : "ies", r->n_topics,
            r->n_topics == 1 ? "" : "s", r->n_hosts, r->n_hosts == 1 ? "" : "s");
    latency_table(f, r);
    if (r->has_clock) {
        fputc('\n', f);
        clock_table(f, r, utf8);
    }
    fputc('\n', f);
    counts_table(f, r);
    return ferror(f) ? -EIO : 0;
}

/* ---- the canary ---- */

const char *lr_fmt_ppm(uint64_t ppm, char *buf, size_t len)
{
    snprintf(buf, len, "%llu.%02llu%%", (unsigned long long)(ppm / 10000),
             (unsigned long long)(ppm / 100 % 100));
    return buf;
}

static void canary_line(FILE *f, const char *name, const struct lr_canary_row *row)
{
    char c[4][32], a[5][32];
    name_cell(f, name);
    fprintf(f, " %6s %6s %4s %4s %7s", lr_fmt_count(row->sent, 6, c[0], sizeof c[0]),
            lr_fmt_count(row->received, 6, c[1], sizeof c[1]), lr_fmt_count(row->lost, 4, c[2], sizeof c[2]),
            lr_fmt_count(row->late, 4, c[3], sizeof c[3]),
            row->has_availability ? lr_fmt_ppm(row->availability_ppm, a[4], sizeof a[4]) : "-");
    if (row->received == 0) {
        fprintf(f, "%8s%8s%8s%8s\n", "-", "-", "-", "-");
        return;
    }
    int64_t v[4] = {row->p50_us, row->p99_us, row->p999_us, row->max_us};
    for (int k = 0; k < 4; k++)
        lr_fmt_ms(v[k], a[k], sizeof a[k]);
    fprintf(f, " %7s %7s %7s %7s\n", a[0], a[1], a[2], a[3]);
}

static void round_trip_table(FILE *f, const struct lr_canary_report *c)
{
    char name[600];
    fprintf(f, "canary round trip (ms; each host's own probes, one clock)\n");
    fprintf(f, "%-*s%7s%7s%5s%5s%8s%8s%8s%8s%8s\n", NAME_W, "host", "sent", "recv", "lost", "late", "avail",
            "p50", "p99", "p99.9", "max");
    for (size_t i = 0; i < c->n_rows; i++) {
        const struct lr_canary_row *row = &c->rows[i];
        const char *host = *row->host ? row->host : "(no host)";
        if (c->n_topics == 1) {
            canary_line(f, host, row);
            continue;
        }
        if (i == 0 || strcmp(c->rows[i - 1].host, row->host) != 0)
            whole_line(f, host);
        snprintf(name, sizeof name, "  %s/%s", row->cache, row->topic);
        canary_line(f, name, row);
    }
    if (c->n_rows > 1)
        canary_line(f, c->n_hosts > 1 ? "all hosts" : "total", c->all);
}

#define PEER_W 16 /* the reporter and peer columns, each and a space */

static void peers_table(FILE *f, const struct lr_canary_report *c)
{
    char names[1200], n[2][32], a[4][32];
    fprintf(f, "canary peers (ms; one-way, two clocks)\n");
    fprintf(f, "%-*s %-*s%7s%7s%8s%8s%8s%8s\n", PEER_W, "reporter", PEER_W, "peer host", "recv", "lost", "p50",
            "p99", "max", "bound");
    for (size_t i = 0; i < c->n_peers; i++) {
        const struct lr_peer_row *row = &c->peers[i];
        const char *reporter = *row->reporter ? row->reporter : "(no host)";
        if (strlen(reporter) > PEER_W || strlen(row->host) > PEER_W) {
            snprintf(names, sizeof names, "%s from %s", reporter, row->host);
            whole_line(f, names);
            fprintf(f, "%-*s %-*s", PEER_W, "", PEER_W, "");
        } else {
            fprintf(f, "%-*s %-*s", PEER_W, reporter, PEER_W, row->host);
        }
        fprintf(f, " %6s %6s", lr_fmt_count(row->received, 6, n[0], sizeof n[0]),
                lr_fmt_count(row->lost, 6, n[1], sizeof n[1]));
        if (row->received) {
            fprintf(f, " %7s %7s %7s", lr_fmt_ms(row->p50_us, a[0], sizeof a[0]),
                    lr_fmt_ms(row->p99_us, a[1], sizeof a[1]), lr_fmt_ms(row->max_us, a[2], sizeof a[2]));
        } else {
            fprintf(f, "%8s%8s%8s", "-", "-", "-");
        }
        fprintf(f, " %7s\n", row->has_bound ? lr_fmt_ms((int64_t)row->bound_us, a[3], sizeof a[3]) : "-");
    }
}

int lr_table_print_canary(FILE *f, const struct lr_canary_report *c)
{
    if (c->n_rows) {
        fputc('\n', f);
        round_trip_table(f, c);
    }
    if (c->n_peers) {
        fputc('\n', f);
        peers_table(f, c);
    }
    return ferror(f) ? -EIO : 0;
}
