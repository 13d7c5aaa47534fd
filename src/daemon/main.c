/* main.c - momento-subscriberd: command line, start-up, signals, reload, stop. */
#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <grpc/grpc.h>

#include "cleanup.h"
#include "clock.h"
#include "latency/clockwatch.h"
#include "config/config.h"
#include "log/event.h"
#include "export/export.h"
#include "hist.h"
#include "loop.h"
#include "remote/mover.h"
#include "notify.h"
#include "remote/pool.h"
#include "state/positions.h"
#include "reloadlog.h"
#include "remote/remote.h"
#include "rpc.h"
#include "sub/stats.h"
#include "sub/sub.h"
#include "util.h"

#define READY_AT_THE_LATEST_US (10 * MO_USEC_PER_SEC)
#define STATUS_PERIOD_US MO_USEC_PER_SEC
#define STOP_GRACE_US (1500 * MO_USEC_PER_MSEC)
/* momento-subscriberd(8), SIGNALS: SIGTERM stops within 2 s; what remains of it
 * after the streams are down may go to gRPC's own shutdown */
#define STOP_BUDGET_US (1900 * MO_USEC_PER_MSEC)
/* of which gRPC's shutdown keeps at least this much from the final save */
#define STOP_GRPC_US (200 * MO_USEC_PER_MSEC)
/* the save at start, before any stream runs: how long it may hold the start
 * so that a state directory that does not work is reported at once */
#define STATE_START_WAIT_US MO_USEC_PER_SEC

/* The daemon: one, static, seen by nothing but this file. */
struct mo_daemon {
    mo_loop *loop;
    struct mo_config *cfg;
    struct mo_remote remote; /* key and target, from cfg and the key's source */
    mo_pool *pool;
    mo_positions *positions;
    struct mo_sub_settings sub_settings; /* from cfg, rewritten by a reload */

    mo_sub **subs; /* the configured subscriptions */
    size_t n_subs;
    mo_sub **dying; /* removed by a reload, still winding down */
    size_t n_dying;
    size_t live_subs; /* not yet fully stopped, dying ones included */
    mo_mover *mover; /* subscriptions moving to new connection settings */
    bool stopping;
    uint64_t stop_started_us;

    mo_timer summary_timer, status_timer, watchdog_timer, ready_timer, stop_timer;
    mo_timer state_timer;
    /* the "*" summary's interval: between summaries it holds the last partial
     * intervals of subscriptions a reload removed */
    struct mo_stats total;
    uint64_t watchdog_us;
    bool ready_sent;
    uint64_t status_last_total, status_last_us;
    uint64_t delivered_gone; /* messages delivered by subscriptions since freed */
    mo_hist *status_hist;
    struct mo_clockwatch clockwatch; /* read with the status, every second */
    mo_export *exports;              /* export: of the configuration */
    struct mo_budget message_budget; /* logging.message_budget, for every subscription */
};

static struct mo_daemon D;

/* ---- subscriptions ---- */

static void on_sub_up(void *ctx, mo_sub *s);
static void on_sub_stopped(void *ctx, mo_sub *s);

static void sub_settings_update(struct mo_daemon *d)
{
    const struct mo_config *cfg = d->cfg;
    /* a burst of one second's worth */
    mo_budget_set(&d->message_budget, cfg->message_budget, cfg->message_budget, mo_mono_us());
    d->sub_settings = (struct mo_sub_settings){
        .idle_timeout_us = cfg->idle_timeout_us,
        .backoff_initial_us = cfg->backoff_initial_us,
        .backoff_max_us = cfg->backoff_max_us,
        .messages = cfg->messages,
        .sample_every = cfg->sample_every,
        .slow_threshold_us = cfg->slow_threshold_us,
        .message_budget = &d->message_budget,
        .warnings_per_interval = cfg->warnings_per_interval,
        .key_source = d->remote.creds.source,
        .target = d->remote.ep.target,
        .config_path = cfg->path,
    };
}

static struct mo_conn_opts conn_opts(const struct mo_daemon *d)
{
    return (struct mo_conn_opts){.max_reconnect_backoff_ms = (int)(d->cfg->backoff_max_us / 1000),
                                 .max_receive_bytes = MO_SUB_MAX_RECEIVE_BYTES};
}

/* A subscription for sc, IDLE, in d->subs; at start (`restore`) with the
 * position the state file saved for it. */
static int add_sub(struct mo_daemon *d, const struct mo_sub_config *sc, bool restore, mo_sub **ret)
{
    struct mo_conn_opts opts = conn_opts(d);
    mo_conn *conn;
    int r = mo_pool_acquire(d->pool, &opts, &conn);
    if (r < 0)
        return r;
    const struct mo_sub_owner owner = {.ctx = d, .up = on_sub_up, .stopped = on_sub_stopped};
    mo_sub *s;
    r = mo_sub_new(d->loop, conn, &d->sub_settings, &owner, sc, &s);
    if (r < 0) {
        mo_pool_release(d->pool, conn);
        return r;
    }
    mo_sub **v = realloc(d->subs, (d->n_subs + 1) * sizeof *v);
    if (!v) {
        mo_pool_release(d->pool, conn);
        mo_sub_free(s);
        return -ENOMEM;
    }
    d->subs = v;
    d->subs[d->n_subs++] = s;
    d->live_subs++;
    if (mo_positions_name_fits(d->positions, sc->cache, sc->topic) && restore)
        mo_positions_restore(d->positions, s);
    *ret = s;
    return 0;
}

/* ---- positions ---- */

static void on_state_timer(mo_timer *t)
{
    struct mo_daemon *d = container_of(t, struct mo_daemon, state_timer);
    /* the save waits for the events of every message up to the positions
     * (positions.h), so that a crash after it does not lose the lines of
     * messages a restart will not ask for again */
    mo_positions_tick(d->positions, d->subs, d->n_subs, mo_mono_us(), 0);
    mo_timer_start(d->loop, t, MO_STATE_SAVE_INTERVAL_US);
}

/* ---- summaries and status ---- */

/* One summary per subscription in `subs`, each over its own interval (a
 * subscription added by a reload started later), each added into the "*"
 * total; then with `with_total` the "*" summary of everything since the last
 * one, removed subscriptions included. */
static void emit_summaries(struct mo_daemon *d, mo_sub **subs, size_t n, bool with_total)
{
    uint64_t now = mo_mono_us();
    int64_t now_ns = mo_real_ns();
    struct mo_clock_state clk;
    mo_clock_state_read(&clk);
    for (size_t i = 0; i < n; i++) {
        /* the exports read the interval before the summary starts the next */
        mo_export_interval(d->exports, mo_sub_cache(subs[i]), mo_sub_topic(subs[i]),
                           mo_sub_stats(subs[i]), mo_sub_state(subs[i]) == MO_SUB_UP, now, now_ns);
        mo_sub_end_interval(subs[i], now, &clk, &d->total);
    }
    if (with_total) {
        d->total.sink_dropped += mo_event_take_lost();
        mo_export_commit(d->exports, &d->total, &clk); /* before the summary resets it */
        mo_stats_end_interval(&d->total, "*", "*", now, &clk, NULL);
    }
}

static void summary_now(struct mo_daemon *d)
{
    emit_summaries(d, d->subs, d->n_subs, true);
    mo_timer_start(d->loop, &d->summary_timer, d->cfg->summary_interval_us);
}

static void on_summary_timer(mo_timer *t)
{
    summary_now(container_of(t, struct mo_daemon, summary_timer));
}

static size_t streams_up(const struct mo_daemon *d)
{
    size_t up = 0;
    for (size_t i = 0; i < d->n_subs; i++)
        up += mo_sub_state(d->subs[i]) == MO_SUB_UP;
    return up;
}

static uint64_t delivered_total(const struct mo_daemon *d)
{
    uint64_t n = d->delivered_gone;
    for (size_t i = 0; i < d->n_subs; i++)
        n += mo_sub_delivered(d->subs[i]);
    for (size_t i = 0; i < d->n_dying; i++)
        n += mo_sub_delivered(d->dying[i]);
    return n;
}

static void on_status_timer(mo_timer *t)
{
    struct mo_daemon *d = container_of(t, struct mo_daemon, status_timer);
    uint64_t now = mo_mono_us(), total = delivered_total(d);
    double secs = (double)(now - d->status_last_us) / 1e6;
    double rate = secs > 0 ? (double)(total - d->status_last_total) / secs : 0;
    d->status_last_total = total;
    d->status_last_us = now;
    char status[256], p99[32];
    int n = snprintf(status, sizeof status, "%zu/%zu streams up, %.0f msg/s", streams_up(d),
                     d->n_subs, rate);
    /* the latency part covers the current summary interval */
    for (size_t i = 0; i < d->n_subs; i++)
        mo_hist_merge(d->status_hist, mo_sub_stats(d->subs[i])->hist);
    if (mo_hist_count(d->status_hist) && n > 0 && (size_t)n < sizeof status)
        snprintf(status + n, sizeof status - (size_t)n, ", p99 %s ms",
                 mo_fmt_ms(mo_hist_quantile(d->status_hist, 0.99), p99, sizeof p99));
    mo_hist_reset(d->status_hist);
    mo_notify_status(status);
    mo_clockwatch_check(&d->clockwatch, NULL);
    mo_timer_start(d->loop, t, STATUS_PERIOD_US);
}

static void send_ready(struct mo_daemon *d)
{
    if (d->ready_sent)
        return;
    d->ready_sent = true;
    mo_timer_stop(d->loop, &d->ready_timer);
    mo_notify_ready();
}

static void on_ready_timer(mo_timer *t) { send_ready(container_of(t, struct mo_daemon, ready_timer)); }

static void on_watchdog_timer(mo_timer *t)
{
    struct mo_daemon *d = container_of(t, struct mo_daemon, watchdog_timer);
    mo_notify_watchdog();
    mo_timer_start(d->loop, t, d->watchdog_us / 2);
}

static void on_sub_up(void *ctx, mo_sub *s)
{
    (void)s;
    struct mo_daemon *d = ctx;
    if (d->ready_sent)
        return;
    for (size_t i = 0; i < d->n_subs; i++)
        if (!mo_sub_ever_up(d->subs[i]))
            return;
    send_ready(d);
}

static void on_sub_stopped(void *ctx, mo_sub *s)
{
    struct mo_daemon *d = ctx;
    mo_pool_release(d->pool, mo_sub_conn(s));
    mo_conn *to = mo_mover_take(d->mover, s);
    if (to) {
        /* moving: the old stream is over, nothing more can arrive on it, so
         * its position is final; the new stream resumes after it */
        if (!d->stopping && mo_sub_restart(s, to) == 0)
            return;
        mo_pool_release(d->pool, to);
    }
    d->live_subs--;
    for (size_t i = 0; i < d->n_dying; i++) {
        if (d->dying[i] != s)
            continue;
        /* removed by a reload: its last partial interval is summarised now and
         * counted in the next "*" summary */
        d->dying[i] = d->dying[--d->n_dying];
        emit_summaries(d, &s, 1, false);
        d->delivered_gone += mo_sub_delivered(s);
        mo_sub_free(s);
        break;
    }
    /* a current subscription stopping with the daemon is kept for the final summary */
    if (d->stopping && d->live_subs == 0)
        mo_loop_quit(d->loop);
}

/* ---- reload ---- */

static bool has_sub(const struct mo_daemon *d, const char *cache, const char *topic)
{
    for (size_t i = 0; i < d->n_subs; i++)
        if (strcmp(mo_sub_cache(d->subs[i]), cache) == 0 && strcmp(mo_sub_topic(d->subs[i]), topic) == 0)
            return true;
    return false;
}

static void reload(struct mo_daemon *d)
{
    /* before the first READY=1 there is no reload to announce to systemd */
    bool announce = d->ready_sent;
    if (announce)
        mo_notify_reloading();
    struct mo_config *nc = NULL;
    struct mo_config_errors errs = {0};
    if (mo_config_load(d->cfg->path, &nc, &errs) < 0) {
        mo_reloadlog_config_errors(&errs);
        mo_config_errors_clear(&errs);
        if (announce)
            mo_notify_ready();
        return;
    }
    /* the key is read again even when the file is unchanged: a key rewritten
     * in place is a rotation */
    struct mo_remote nr;
    char err[1024];
    if (mo_remote_resolve(nc, false, &nr, NULL, err, sizeof err) < 0) {
        mo_reloadlog_remote_error(nc, err);
        mo_config_free(nc);
        if (announce)
            mo_notify_ready();
        return;
    }
    unsigned changed = mo_remote_diff(&d->remote, &nr);
    if (changed && mo_pool_set_target(d->pool, &nr.ep, nr.creds.token) < 0) {
        mo_remote_clear(&nr);
        mo_config_free(nc);
        mo_reloadlog_remote_error(d->cfg, "out of memory");
        if (announce)
            mo_notify_ready();
        return;
    }
    mo_remote_clear(&d->remote);
    d->remote = nr; /* sub_settings points into it: same addresses, new text */

    /* removed: in the old list, not in the new one */
    size_t removed = 0, kept = 0, added = 0, failed = 0, moved = 0;
    size_t w = 0;
    for (size_t i = 0; i < d->n_subs; i++) {
        mo_sub *s = d->subs[i];
        const struct mo_sub_config *sc = mo_config_find(nc, mo_sub_cache(s), mo_sub_topic(s));
        if (!sc) {
            mo_sub **v = realloc(d->dying, (d->n_dying + 1) * sizeof *v);
            if (!v) {
                d->subs[w++] = s; /* out of memory: keep it rather than lose track of it */
                continue;
            }
            d->dying = v;
            d->dying[d->n_dying++] = s;
            mo_conn *to = mo_mover_take(d->mover, s); /* it goes nowhere now */
            if (to)
                mo_pool_release(d->pool, to);
            mo_sub_set_moving(s, false); /* this stop is for good */
            mo_sub_stop(s);
            removed++;
            continue;
        }
        kept++;
        int r = mo_sub_set_decoder(s, &sc->decoder);
        if (r < 0) {
            mo_reloadlog_not_applied(nc, sc, r, false);
            failed++;
        }
        d->subs[w++] = s;
    }
    d->n_subs = w;

    struct mo_config *old = d->cfg;
    d->cfg = nc;
    sub_settings_update(d); /* every subscription, kept or dying, reads the new values */
    if (changed) {
        struct mo_conn_opts opts = conn_opts(d);
        moved = mo_mover_begin(d->mover, d->subs, d->n_subs, &opts);
    }
    int dir_changed = mo_positions_set_dir(d->positions, nc->state_directory, getenv("STATE_DIRECTORY"));
    for (size_t i = 0; i < nc->n_subs; i++) {
        const struct mo_sub_config *sc = &nc->subs[i];
        /* new: not running (rather than not in the old file, so that one
         * that could not be added last time is tried again) */
        if (has_sub(d, sc->cache, sc->topic))
            continue;
        mo_sub *s;
        int r = add_sub(d, sc, false, &s);
        if (r < 0) {
            mo_reloadlog_not_applied(nc, sc, r, true);
            failed++;
            continue;
        }
        mo_sub_start(s);
        added++;
    }
    if (added || removed) /* the next save drops and adds entries */
        mo_positions_touch(d->positions);
    /* a new summary_interval counts from the start of the current interval */
    if (mo_timer_armed(&d->summary_timer) && nc->summary_interval_us != old->summary_interval_us) {
        uint64_t due = d->total.start_us + nc->summary_interval_us;
        uint64_t now = mo_mono_us();
        mo_timer_start_at(d->loop, &d->summary_timer, due > now ? due : now);
    }
    mo_config_free(old);
    bool exports_kept = mo_export_configure(d->exports, nc) < 0; /* out of memory: the old ones */

    char what[64];
    const struct mo_reloadlog_outcome o = {
        .added = added, .removed = removed, .kept = kept, .failed = failed,
        .momento_changed = mo_remote_diff_names(changed, what, sizeof what), .moved = moved,
        .dir_changed = dir_changed > 0, .dir = mo_positions_dir(d->positions), .exports_kept = exports_kept};
    mo_reloadlog_reloaded(nc, &o);
    if (announce)
        mo_notify_ready();
}

/* ---- stop ---- */

static void on_stop_timer(mo_timer *t)
{
    /* streams that did not wind down in time: leave without them */
    struct mo_daemon *d = container_of(t, struct mo_daemon, stop_timer);
    mo_loop_quit(d->loop);
}

static void begin_stop(struct mo_daemon *d, int signo)
{
    if (d->stopping) {
        mo_loop_quit(d->loop); /* a second signal: do not wait any longer */
        return;
    }
    d->stopping = true;
    d->stop_started_us = mo_mono_us();
    mo_notify_stopping();
    struct mo_event e;
    mo_event_init(&e, MO_EV_STOPPING, NULL, NULL);
    mo_event_str(&e, "version", PACKAGE_VERSION);
    mo_event_uint(&e, "subscriptions", d->n_subs);
    mo_event_msg(&e, "Stopping on %s", strsignal(signo));
    mo_event_emit(&e);
    mo_timer_stop(d->loop, &d->summary_timer);
    mo_timer_stop(d->loop, &d->status_timer);
    mo_timer_stop(d->loop, &d->ready_timer);
    /* positions are saved once the streams are down (main, after the loop) */
    mo_timer_stop(d->loop, &d->state_timer);
    mo_mover_stop(d->mover);
    if (d->live_subs == 0) {
        mo_loop_quit(d->loop);
        return;
    }
    mo_timer_start(d->loop, &d->stop_timer, STOP_GRACE_US);
    for (size_t i = 0; i < d->n_subs; i++) {
        mo_sub_set_moving(d->subs[i], false); /* a move under way ends here */
        mo_sub_stop(d->subs[i]);
    }
}

static void on_signal(int signo, void *ud)
{
    struct mo_daemon *d = ud;
    switch (signo) {
    case SIGTERM:
    case SIGINT:
        begin_stop(d, signo);
        break;
    case SIGHUP:
        if (!d->stopping)
            reload(d);
        break;
    case SIGUSR1:
        if (!d->stopping)
            summary_now(d);
        break;
    default:
        break;
    }
}

static bool output_pending(void *ud)
{
    (void)ud;
    return mo_event_unflushed();
}

/* the loop's idle hook: buffered events go out once per burst */
static void flush_output(void *ud)
{
    (void)ud;
    mo_event_flush();
}

/* ---- start-up ---- */

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: momento-subscriberd [-c FILE] [--check-config] [--log-format journal|json|text]\n"
            "                           [--version] [--help]\n"
            "\n"
            "Holds a Momento Topics subscription per configured topic, measures publish-to-receive\n"
            "latency and logs structured events.\n"
            "\n"
            "  -c, --config FILE     configuration file (default %s)\n"
            "      --check-config    validate the configuration, print what it implies, and exit\n"
            "      --log-format F    journal, json (JSON lines on stdout) or text; default: journal\n"
            "                        when stderr is connected to the journal, else json\n"
            "      --version         print the version and exit\n"
            "  -h, --help            print this help and exit\n"
            "\n"
            "Exit status: 0 clean stop, 64 usage error, 78 configuration error, 1 other errors.\n"
            "See momento-subscriberd(8) and momento-subscriber.yaml(5).\n",
            MO_CONFIG_DEFAULT_PATH);
}

static void print_config_errors(const struct mo_config_errors *errs)
{
    for (size_t i = 0; i < errs->n; i++) {
        char line[1200];
        mo_config_error_format(&errs->v[i], line, sizeof line);
        fprintf(stderr, "%s\n", line);
    }
}

static int check_config(const struct mo_config *cfg, const struct mo_remote *rm, bool unresolved)
{
    const struct mo_creds *creds = &rm->creds;
    const struct mo_endpoint *ep = &rm->ep;
    size_t conns = (cfg->n_subs + MO_STREAMS_PER_CONN - 1) / MO_STREAMS_PER_CONN;
    printf("configuration OK\n");
    printf("%s: %zu subscription%s -> %zu stream%s on %zu gRPC connection%s (at most %d streams each)\n",
           cfg->path, cfg->n_subs, cfg->n_subs == 1 ? "" : "s", cfg->n_subs,
           cfg->n_subs == 1 ? "" : "s", conns, conns == 1 ? "" : "s", MO_STREAMS_PER_CONN);
    if (unresolved) {
        printf("credentials: no API key found here (api_key_file, $CREDENTIALS_DIRECTORY/momento-api-key, "
               "MOMENTO_API_KEY); the service needs one, e.g. through LoadCredential=momento-api-key\n");
        printf("endpoint: cache.<endpoint>:443 (TLS), the endpoint coming from %s\n",
               cfg->endpoint ? cfg->endpoint : "the key or MOMENTO_ENDPOINT");
    } else {
        printf("endpoint: %s (%s)\n", ep->target, ep->tls ? "TLS" : "plaintext");
        printf("credentials: %s%s%s\n", mo_key_kind_name(creds->kind),
               creds->kind == MO_KEY_NONE ? "" : " from ",
               creds->kind == MO_KEY_NONE ? "" : creds->source);
    }
    char *dir;
    enum mo_state_dir_source from;
    if (mo_state_dir_choose(cfg->state_directory, getenv("STATE_DIRECTORY"), &dir, &from) == 0) {
        if (dir)
            printf("positions: saved in %s/%s (from %s)\n", dir, MO_STATE_FILE, mo_state_dir_source_name(from));
        else
            printf("positions: not saved (no state.directory, no $STATE_DIRECTORY)\n");
        free(dir);
    }
    if (cfg->prometheus_textfile)
        printf("export: Prometheus textfile %s, rewritten at every summary\n", cfg->prometheus_textfile);
    if (cfg->emf)
        printf("export: CloudWatch EMF documents in the log output, namespace %s\n", cfg->emf_namespace);
    for (size_t i = 0; i < cfg->n_subs; i++) {
        const struct mo_sub_config *s = &cfg->subs[i];
        const struct mo_decoder *dec = &s->decoder;
        if (dec->mode == MO_DECODE_BINARY)
            printf("  %s/%s: decode binary, offset %zu\n", s->cache, s->topic, dec->offset);
        else if (dec->mode == MO_DECODE_JSON)
            printf("  %s/%s: decode json, field %s, format %s\n", s->cache, s->topic, dec->field,
                   mo_ts_format_name(dec->format));
        else
            printf("  %s/%s: decode text, format %s\n", s->cache, s->topic,
                   mo_ts_format_name(dec->format));
    }
    return 0;
}

int main(int argc, char **argv)
{
    mo_progname = "momento-subscriberd";
    const char *config_path = MO_CONFIG_DEFAULT_PATH;
    bool check = false;
    int log_format = -1;
    enum { OPT_CHECK = 256, OPT_LOG_FORMAT, OPT_VERSION };
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"check-config", no_argument, NULL, OPT_CHECK},
        {"log-format", required_argument, NULL, OPT_LOG_FORMAT},
        {"version", no_argument, NULL, OPT_VERSION},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            config_path = optarg;
            break;
        case OPT_CHECK:
            check = true;
            break;
        case OPT_LOG_FORMAT: {
            enum mo_log_format f;
            if (mo_log_format_parse(optarg, &f) < 0) {
                mo_warn("--log-format: '%s' is not one of journal, json, text", optarg);
                return EX_USAGE;
            }
            log_format = (int)f;
            break;
        }
        case OPT_VERSION:
            printf("momento-subscriberd %s\n", PACKAGE_VERSION);
            return 0;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return EX_USAGE;
        }
    }
    if (optind < argc) {
        mo_warn("unexpected argument '%s'", argv[optind]);
        usage(stderr);
        return EX_USAGE;
    }

    /* before grpc_init, so gRPC's threads inherit the mask */
    const int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1};
    mo_signals_block(sigs, ARRAY_SIZE(sigs));
    signal(SIGPIPE, SIG_IGN);

    struct mo_config_errors errs = {0};
    struct mo_config *cfg = NULL;
    if (mo_config_load(config_path, &cfg, &errs) < 0) {
        print_config_errors(&errs);
        mo_config_errors_clear(&errs);
        return EX_CONFIG;
    }
    struct mo_daemon *d = &D;
    d->cfg = cfg;
    bool unresolved;
    char err[1024];
    if (mo_remote_resolve(cfg, check, &d->remote, &unresolved, err, sizeof err) < 0) {
        fprintf(stderr, "%s: %s\n", cfg->path, err);
        mo_config_free(cfg);
        return EX_CONFIG;
    }
    if (check) {
        check_config(cfg, &d->remote, unresolved);
        mo_remote_clear(&d->remote);
        mo_config_free(cfg);
        return 0;
    }

    int r = mo_event_set_format(log_format >= 0 ? (enum mo_log_format)log_format : mo_event_default_format());
    if (r < 0) {
        mo_warn("cannot start writing events: %s", strerror(-r));
        return 1;
    }

    grpc_init();
    /* failures reach the operator as events; gRPC's own lines would only repeat them */
    mo_grpc_logs(false);
    int rc = 0;
    bool saved = true; /* the final save finished (or there was none) */
    if (mo_loop_new(&d->loop) < 0 || mo_hist_new(&d->status_hist) < 0 || mo_stats_init(&d->total) < 0 ||
        mo_pool_new(&d->remote.ep, d->remote.creds.token, &d->pool) < 0 ||
        mo_mover_new(d->loop, d->pool, &d->mover) < 0 ||
        mo_positions_new(cfg->state_directory, getenv("STATE_DIRECTORY"), &d->positions) < 0 ||
        mo_export_new(&d->exports) < 0 || mo_export_configure(d->exports, cfg) < 0) {
        mo_warn("out of memory");
        return 1;
    }
    sub_settings_update(d);
    mo_timer_init(&d->summary_timer, on_summary_timer);
    mo_timer_init(&d->status_timer, on_status_timer);
    mo_timer_init(&d->watchdog_timer, on_watchdog_timer);
    mo_timer_init(&d->ready_timer, on_ready_timer);
    mo_timer_init(&d->stop_timer, on_stop_timer);
    mo_timer_init(&d->state_timer, on_state_timer);
    mo_loop_set_idle(d->loop, output_pending, flush_output, d);
    r = mo_loop_watch_signals(d->loop, on_signal, d);
    if (r < 0) {
        mo_warn("cannot watch signals: %s", strerror(-r));
        return 1;
    }

    const char *state_dir = mo_positions_dir(d->positions);
    const char *state_from = mo_state_dir_source_name(mo_positions_source(d->positions));
    struct mo_event e;
    mo_event_init(&e, MO_EV_STARTED, NULL, NULL);
    mo_event_str(&e, "version", PACKAGE_VERSION);
    mo_event_uint(&e, "subscriptions", cfg->n_subs);
    mo_event_str(&e, "endpoint", d->remote.ep.target);
    mo_event_str(&e, "state_directory", state_dir ? state_dir : "");
    mo_event_str(&e, "state_directory_from", state_from);
    mo_event_msg(&e, "momento-subscriberd %s started: %zu subscription%s at %s (%s); positions %s%s%s%s%s",
                 PACKAGE_VERSION, cfg->n_subs, cfg->n_subs == 1 ? "" : "s", d->remote.ep.target,
                 d->remote.ep.tls ? "TLS" : "plaintext", state_dir ? "saved in " : "not saved",
                 state_dir ? state_dir : " (no state.directory, no $STATE_DIRECTORY)",
                 state_dir ? " (from " : "", state_dir ? state_from : "", state_dir ? ")" : "");
    mo_event_emit(&e);
    mo_clockwatch_check(&d->clockwatch, NULL); /* says so if the clock is not synchronised */

    /* the subscriptions resume where the state file says they stopped */
    mo_positions_load(d->positions);
    for (size_t i = 0; i < cfg->n_subs; i++) {
        mo_sub *s;
        r = add_sub(d, &cfg->subs[i], true, &s);
        if (r < 0) {
            mo_warn("cannot set up subscription %s/%s: %s", cfg->subs[i].cache, cfg->subs[i].topic,
                    strerror(-r));
            rc = 1;
            goto out;
        }
    }
    mo_positions_forget(d->positions);
    /* the first save, before any stream runs: a directory that does not work
     * is reported now, and entries of subscriptions no longer configured go */
    mo_positions_tick(d->positions, d->subs, d->n_subs, mo_mono_us(), STATE_START_WAIT_US);
    mo_timer_start(d->loop, &d->state_timer, MO_STATE_SAVE_INTERVAL_US);
    for (size_t i = 0; i < d->n_subs; i++)
        mo_sub_start(d->subs[i]);

    /* the first interval, of every subscription and of "*", starts now */
    d->total.start_us = d->status_last_us = mo_mono_us();
    mo_timer_start(d->loop, &d->summary_timer, cfg->summary_interval_us);
    mo_timer_start(d->loop, &d->status_timer, STATUS_PERIOD_US);
    mo_timer_start(d->loop, &d->ready_timer, READY_AT_THE_LATEST_US);
    d->watchdog_us = mo_notify_watchdog_usec();
    if (d->watchdog_us)
        mo_timer_start(d->loop, &d->watchdog_timer, d->watchdog_us / 2);

    mo_loop_run(d->loop);

    /* final summary: everything counted since the last one */
    emit_summaries(d, d->subs, d->n_subs, true);
    /* the final save: the streams are cancelled (or given up on), the loop
     * no longer runs, so no position moves any more; their events go first */
    uint64_t spent = d->stopping ? mo_mono_us() - d->stop_started_us : 0;
    uint64_t left = spent + STOP_GRPC_US < STOP_BUDGET_US ? STOP_BUDGET_US - STOP_GRPC_US - spent : 0;
    saved = mo_positions_final(d->positions, d->subs, d->n_subs, mo_mono_us(),
                                    left > 100 * MO_USEC_PER_MSEC ? left : 100 * MO_USEC_PER_MSEC);
out:
    /* what waits is written, unless the output is blocked past the stop
     * budget (gRPC's shutdown keeps its part) */
    uint64_t used = d->stopping ? mo_mono_us() - d->stop_started_us : 0;
    mo_event_close(used + STOP_GRPC_US < STOP_BUDGET_US ? STOP_BUDGET_US - STOP_GRPC_US - used : 0);
    if (d->live_subs == 0) {
        for (size_t i = 0; i < d->n_subs; i++)
            mo_sub_free(d->subs[i]);
        free(d->subs);
        mo_mover_free(d->mover);
        mo_pool_free(d->pool);
        mo_loop_free(d->loop);
        mo_hist_free(d->status_hist);
        mo_stats_clear(&d->total);
        mo_export_free(d->exports);
        free(d->dying);
        mo_remote_clear(&d->remote);
        mo_config_free(d->cfg);
        /* a writer still on a slow disk is left to the process exit */
        if (saved)
            mo_positions_free(d->positions);
        uint64_t spent_now = d->stopping ? mo_mono_us() - d->stop_started_us : 0;
        mo_grpc_shutdown_wait(spent_now < STOP_BUDGET_US ? (unsigned)((STOP_BUDGET_US - spent_now) / 1000) : 0);
    }
    /* else: calls still winding down after the grace period; the process exit
     * releases them (freeing under live calls would be unsafe) */
    return rc;
}
