/* main.c - momento-latency-report: merge the daemon's summary histograms over
 * a window and print exact percentiles, and its canary's round trips and
 * availability. Options, output and exit statuses:
 * momento-latency-report(1). */
#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <langinfo.h>
#include <locale.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "clock.h"
#include "cmerge.h"
#include "journal.h"
#include "json.h"
#include "jsonl.h"
#include "merge.h"
#include "plot.h"
#include "secret.h"
#include "series.h"
#include "sink.h"
#include "table.h"
#include "util.h"
#include "when.h"

#define DEFAULT_UNIT "momento-subscriberd.service"
#define EXIT_NO_DATA 1

struct args {
    const char *since, *until;
    const char *unit;
    const char *directory;
    const char **files;
    size_t n_files;
    bool by_host, json, plot;
};

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: momento-latency-report [--since TIME] [--until TIME] [--unit UNIT]\n"
            "                              [--directory DIR | --file JSONL...]\n"
            "                              [--by-host] [--json | --plot]\n"
            "\n"
            "Merges the latency histograms of momento-subscriberd's summaries over a window\n"
            "and prints messages, rate and percentiles per topic, with totals; with a\n"
            "canary, each host's round trip, availability and lost probes, and its peers.\n"
            "\n"
            "  -S, --since TIME       summaries logged at or after TIME\n"
            "  -U, --until TIME       summaries logged at or before TIME\n"
            "  -u, --unit UNIT        the daemon's unit in the journal\n"
            "                         (default " DEFAULT_UNIT ")\n"
            "  -D, --directory DIR    read the journal files in DIR (copied from other hosts)\n"
            "      --file JSONL       read JSON-lines events from JSONL instead of the\n"
            "                         journal; repeatable; - is standard input\n"
            "      --by-host          one block per host, then the total of all hosts\n"
            "      --json             print the report as JSON\n"
            "      --plot             also draw the latency distribution and p99 over time\n"
            "      --version          print the version and exit\n"
            "  -h, --help             print this help and exit\n"
            "\n"
            "TIME: YYYY-MM-DD [HH:MM[:SS]] [UTC], HH:MM[:SS], now, today, yesterday,\n"
            "tomorrow, -1h, -30min, 2d ago, @EPOCH-SECONDS, or RFC 3339.\n"
            "Exit status: 0 report printed, 1 no summary in the window, 64 usage error,\n"
            "66 input cannot be read, 70 out of memory, 74 output cannot be written.\n");
}

/* no -f: journalctl users read it as --follow */
enum { OPT_FILE = 256, OPT_BY_HOST, OPT_JSON, OPT_PLOT, OPT_VERSION };

/* Returns 0 to go on, -1 to exit 0 (help, version), or an exit status. */
static int parse_args(int argc, char **argv, struct args *a, struct lr_window *w, int64_t now_us)
{
    static const struct option longopts[] = {
        {"since", required_argument, NULL, 'S'},
        {"until", required_argument, NULL, 'U'},
        {"unit", required_argument, NULL, 'u'},
        {"directory", required_argument, NULL, 'D'},
        {"file", required_argument, NULL, OPT_FILE},
        {"by-host", no_argument, NULL, OPT_BY_HOST},
        {"json", no_argument, NULL, OPT_JSON},
        {"plot", no_argument, NULL, OPT_PLOT},
        {"version", no_argument, NULL, OPT_VERSION},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":S:U:u:D:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'S':
            a->since = optarg;
            break;
        case 'U':
            a->until = optarg;
            break;
        case 'u':
            if (!*optarg)
                return mo_usage_error("--unit: the unit name is empty");
            a->unit = optarg;
            break;
        case 'D':
            a->directory = optarg;
            break;
        case OPT_FILE:
            a->files[a->n_files++] = optarg; /* argv holds at most argc of them */
            break;
        case OPT_BY_HOST:
            a->by_host = true;
            break;
        case OPT_JSON:
            a->json = true;
            break;
        case OPT_PLOT:
            a->plot = true;
            break;
        case OPT_VERSION:
            printf("momento-latency-report %s\n", PACKAGE_VERSION);
            return -1;
        case 'h':
            usage(stdout);
            return -1;
        case ':':
            return mo_usage_error("%s needs a value", argv[optind - 1]);
        default:
            return mo_usage_error("unknown option %s", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return mo_usage_error("unexpected argument \"%s\"", argv[optind]);
    if (a->n_files && (a->unit || a->directory))
        return mo_usage_error("--file reads JSON lines; --unit and --directory read the journal: not both");
    if (a->json && a->plot)
        return mo_usage_error("--json and --plot do not mix: the plot is text");
    if (a->since) {
        if (lr_when_parse(a->since, now_us, &w->since_us) < 0)
            return mo_usage_error("--since \"%s\": not a time (see TIME in --help)", a->since);
        w->has_since = true;
    }
    if (a->until) {
        if (lr_when_parse(a->until, now_us, &w->until_us) < 0)
            return mo_usage_error("--until \"%s\": not a time (see TIME in --help)", a->until);
        w->has_until = true;
    }
    if (w->has_since && w->has_until && w->since_us > w->until_us)
        return mo_usage_error("--since \"%s\" is after --until \"%s\"", a->since, a->until);
    return 0;
}

static int exit_for(int err) { return err == -ENOMEM ? EX_SOFTWARE : EX_NOINPUT; }

static int read_files(struct lr_sink *k, const struct args *a)
{
    for (size_t i = 0; i < a->n_files; i++) {
        const char *name = a->files[i];
        bool in = strcmp(name, "-") == 0;
        FILE *f = in ? stdin : fopen(name, "r");
        if (!f) {
            mo_warn("cannot open %s: %s", name, strerror(errno));
            return EX_NOINPUT;
        }
        int r = lr_jsonl_read(k, f, in ? "stdin" : name, in ? "stdin" : name);
        if (!in)
            fclose(f);
        if (r < 0) {
            mo_warn("%s %s: %s", r == -ENOMEM ? "out of memory reading" : "cannot read", in ? "stdin" : name,
                    strerror(-r));
            return exit_for(r);
        }
    }
    return 0;
}

/* Says what was searched when nothing was found. */
static void no_data(const struct lr_sink *k, const struct args *a, const char *unit)
{
    char where[600] = "";
    if (a->n_files)
        snprintf(where, sizeof where, "in %s%s", mo_secret_redact(a->files[0]),
                 a->n_files > 1 ? " and the other files" : "");
    else
        snprintf(where, sizeof where, "in the journal%s%s of %s", a->directory ? " in " : "",
                 a->directory ? mo_secret_redact(a->directory) : "", mo_secret_redact(unit));
    mo_warn("no summary %s%s%s%s%s", where, a->since ? " since " : "", a->since ? a->since : "",
            a->until ? " until " : "", a->until ? a->until : "");
    if (k->diag.outside)
        mo_warn("(%llu summaries lie outside the window)", (unsigned long long)k->diag.outside);
}

/* A distribution, then the p99 over time of a series, each under its title. */
static int plot_pair(const char *dist_title, const mo_hist *hist, const char *time_title,
                     const lr_series *series, bool utf8)
{
    fputc('\n', stdout);
    int r = lr_plot_distribution(stdout, dist_title, hist, utf8);
    if (r < 0)
        return r;
    struct lr_column *cols;
    size_t n;
    int64_t step;
    if ((r = lr_series_columns(series, LR_PLOT_COLUMNS, &cols, &n, &step)) < 0)
        return r;
    fputc('\n', stdout);
    r = lr_plot_time(stdout, time_title, cols, n, step, utf8);
    free(cols);
    return r;
}

static int print_plots(const struct lr_report *rep, const lr_series *series, bool utf8)
{
    const struct lr_row *total = &rep->rows[rep->n_rows - 1];
    const char *hosts = rep->n_hosts > 1 ? " and hosts" : "";
    char dist[160], time[160];
    snprintf(dist, sizeof dist, "latency distribution, all topics%s: %llu latencies, log scale", hosts,
             (unsigned long long)total->measured);
    snprintf(time, sizeof time, "p99 latency over time, all topics%s", hosts);
    return plot_pair(dist, total->hist, time, series, utf8);
}

/* The same for the canary's own probes: their round trips, every host's. */
static int print_canary_plots(const struct lr_canary_report *c, const lr_series *series, bool utf8)
{
    const char *hosts = c->n_hosts > 1 ? ", all hosts" : "";
    char dist[160], time[160];
    snprintf(dist, sizeof dist, "canary round trip distribution%s: %llu round trips, log scale", hosts,
             (unsigned long long)c->all->received);
    snprintf(time, sizeof time, "canary round trip p99 over time%s", hosts);
    return plot_pair(dist, c->all->hist, time, series, utf8);
}

int main(int argc, char **argv)
{
    mo_progname = "momento-latency-report";
    /* the character set decides the plot's characters; numbers keep their '.' */
    setlocale(LC_ALL, "");
    bool utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
    setlocale(LC_NUMERIC, "C");

    const char *files[argc > 0 ? argc : 1];
    struct args a = {.files = files};
    struct lr_sink k = {0};
    int r = parse_args(argc, argv, &a, &k.window, mo_real_ns() / 1000);
    if (r)
        return r < 0 ? 0 : r;

    int status = EX_SOFTWARE;
    char unit[300];
    lr_journal_unit_name(a.unit ? a.unit : DEFAULT_UNIT, unit, sizeof unit);
    if (lr_merge_new(a.by_host, &k.merge) < 0 || (a.plot && lr_series_new(&k.series) < 0) ||
        lr_cmerge_new(&k.canary) < 0 || (a.plot && lr_series_new(&k.canary_series) < 0)) {
        mo_warn("out of memory");
        goto out;
    }
    if (a.n_files) {
        if ((status = read_files(&k, &a)) != 0)
            goto out;
    } else {
        char err[600];
        if ((r = lr_journal_read(&k, a.directory, unit, err, sizeof err)) < 0) {
            mo_warn("%s", err);
            status = exit_for(r);
            goto out;
        }
    }
    lr_diag_print(&k.diag, stderr, mo_progname);
    if (k.diag.used == 0) {
        no_data(&k, &a, unit);
        status = EXIT_NO_DATA;
        goto out;
    }

    struct lr_report rep;
    if ((r = lr_merge_report(k.merge, &rep)) < 0) {
        mo_warn("out of memory");
        goto out;
    }
    struct lr_canary_report can;
    if ((r = lr_cmerge_report(k.canary, &can)) < 0) {
        mo_warn("out of memory");
        goto out;
    }
    if (a.json)
        r = lr_json_print_with(stdout, &rep, &can);
    else if ((r = lr_table_print(stdout, &rep, utf8)) == 0)
        r = lr_table_print_canary(stdout, &can);
    if (r == 0 && a.plot)
        r = print_plots(&rep, k.series, utf8);
    if (r == 0 && a.plot && can.all)
        r = print_canary_plots(&can, k.canary_series, utf8);
    if (r == -ENOMEM) {
        mo_warn("out of memory");
        goto out;
    }
    if (r < 0 || fflush(stdout) != 0 || ferror(stdout)) {
        mo_warn("cannot write the report: %s", strerror(errno ? errno : EIO));
        status = EX_IOERR;
        goto out;
    }
    status = 0;
out:
    lr_merge_free(k.merge);
    lr_series_free(k.series);
    lr_cmerge_free(k.canary);
    lr_series_free(k.canary_series);
    return status;
}
