/* main.c - momento-subscriberd: command line, start-up and teardown, the
 * loop, signals, stop (daemon.h says what the other files on top do). */
#include <config.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <grpc/grpc.h>

#include "cleanup.h"
#include "clock.h"
#include "daemon.h"
#include "log/event.h"
#include "notify.h"
#include "rpc.h"
#include "util.h"

#define STOP_GRACE_US (1500 * MO_USEC_PER_MSEC)
/* SIGTERM stops within 2 s (momento-subscriberd(8), SIGNALS); what remains of
 * it after the streams are down may go to gRPC's own shutdown */
#define STOP_BUDGET_US (1900 * MO_USEC_PER_MSEC)
/* of which gRPC's shutdown keeps at least this much from the final save */
#define STOP_GRPC_US (200 * MO_USEC_PER_MSEC)
/* the save at start, before any stream runs: how long it may hold the start
 * so that a state directory that does not work is reported at once */
#define STATE_START_WAIT_US MO_USEC_PER_SEC

/* The daemon: one, static, seen by nothing below the top (daemon.h). */
static struct mo_daemon D;
/* the final save finished (or there was none): the state writer can be freed */
static bool positions_saved = true;

static void on_signal(int signo, void *ud);
static bool output_pending(void *ud);
static void flush_output(void *ud);
static void on_state_timer(mo_timer *t);
static void on_stop_timer(mo_timer *t);

/* ---- start-up and teardown: one table, torn down in reverse ---- */

static uint64_t stop_budget_left_us(const struct mo_daemon *d, uint64_t keep_us)
{
    uint64_t spent = d->stopping ? mo_mono_us() - d->stop_started_us : 0;
    return spent + keep_us < STOP_BUDGET_US ? STOP_BUDGET_US - keep_us - spent : 0;
}

static int init_grpc(struct mo_daemon *d)
{
    (void)d;
    grpc_init();
    /* failures reach the operator as events; gRPC's own lines would only repeat them */
    mo_grpc_logs(false);
    return 0;
}
static void fini_grpc(struct mo_daemon *d)
{
    mo_grpc_shutdown_wait((unsigned)(stop_budget_left_us(d, 0) / 1000));
}

static int init_loop(struct mo_daemon *d) { return mo_loop_new(&d->loop); }
static void fini_loop(struct mo_daemon *d) { mo_loop_free(d->loop); }

static int init_status_hist(struct mo_daemon *d) { return mo_hist_new(&d->status_hist); }
static void fini_status_hist(struct mo_daemon *d) { mo_hist_free(d->status_hist); }

static int init_total(struct mo_daemon *d) { return mo_stats_init(&d->total); }
static void fini_total(struct mo_daemon *d) { mo_stats_clear(&d->total); }

static int init_pool(struct mo_daemon *d) { return mo_pool_new(&d->remote.ep, d->remote.creds.token, &d->pool); }
static void fini_pool(struct mo_daemon *d) { mo_pool_free(d->pool); }

static int init_mover(struct mo_daemon *d)
{
    return mo_mover_new(d->loop, d->pool, &d->sub_settings, mo_daemon_drained, d, &d->mover);
}
static void fini_mover(struct mo_daemon *d) { mo_mover_free(d->mover); }

static int init_limits(struct mo_daemon *d)
{
    int r = mo_limits_new(d->loop, NULL, NULL, &d->limits);
    if (r == 0)
        mo_limits_on_drained(d->limits, mo_daemon_drained, d);
    return r;
}
static void fini_limits(struct mo_daemon *d) { mo_limits_free(d->limits); }

static int init_positions(struct mo_daemon *d)
{
    return mo_positions_new(d->cfg->state_directory, getenv("STATE_DIRECTORY"), &d->positions);
}
static void fini_positions(struct mo_daemon *d)
{
    /* a writer still on a slow disk is left to the process exit */
    if (positions_saved)
        mo_positions_free(d->positions);
}

static int init_exports(struct mo_daemon *d)
{
    int r = mo_export_new(&d->exports);
    if (r < 0)
        return r;
    r = mo_export_configure(d->exports, d->cfg);
    if (r < 0) {
        mo_export_free(d->exports);
        d->exports = NULL;
    }
    return r;
}
static void fini_exports(struct mo_daemon *d) { mo_export_free(d->exports); }

/* this host's clock bound: its source, read once a second (status.c) */
static int init_clock(struct mo_daemon *d)
{
    return mo_clockwatch_init(&d->clockwatch, d->cfg->clock_source, d->cfg->clockbound_path);
}
static void fini_clock(struct mo_daemon *d) { mo_clockwatch_fini(&d->clockwatch); }

/* the settings subscriptions read, the timers, the idle hook and signals */
static int init_loop_hooks(struct mo_daemon *d)
{
    mo_daemon_settings_update(d);
    mo_daemon_status_init(d);
    mo_timer_init(&d->stop_timer, on_stop_timer);
    mo_timer_init(&d->state_timer, on_state_timer);
    mo_loop_set_idle(d->loop, output_pending, flush_output, d);
    return mo_loop_watch_signals(d->loop, on_signal, d);
}
static void fini_loop_hooks(struct mo_daemon *d) { (void)d; }

/* the subscriptions resume where the state file says they stopped */
static void fini_subs(struct mo_daemon *d);
static int init_subs(struct mo_daemon *d)
{
    const struct mo_config *cfg = d->cfg;
    mo_positions_load(d->positions);
    for (size_t i = 0; i < cfg->n_subs; i++) {
        mo_sub *s;
        int r = mo_daemon_add_sub(d, &cfg->subs[i], true, &s);
        if (r < 0) {
            mo_warn("cannot set up subscription %s/%s: %s", cfg->subs[i].cache, cfg->subs[i].topic,
                    strerror(-r));
            fini_subs(d); /* none has started: each is freed as it is */
            return r;
        }
    }
    mo_positions_forget(d->positions);
    return 0;
}
static void fini_subs(struct mo_daemon *d)
{
    for (size_t i = 0; i < d->n_subs; i++)
        mo_sub_free(d->subs[i]);
    free(d->subs);
    free(d->dying);
    d->subs = d->dying = NULL;
    d->n_subs = d->n_dying = d->live_subs = 0;
}

static const struct step {
    const char *what;
    int (*init)(struct mo_daemon *d);
    void (*fini)(struct mo_daemon *d);
} steps[] = {
    {"gRPC", init_grpc, fini_grpc},
    {"the event loop", init_loop, fini_loop},
    {"the status line's histogram", init_status_hist, fini_status_hist},
    {"the \"*\" total", init_total, fini_total},
    {"the connection pool", init_pool, fini_pool},
    {"the mover", init_mover, fini_mover},
    {"the limits' check", init_limits, fini_limits},
    {"the resume positions", init_positions, fini_positions},
    {"the exports", init_exports, fini_exports},
    {"the clock", init_clock, fini_clock},
    {"the canary", mo_daemon_canary_init, mo_daemon_canary_fini},
    {"the timers and signals", init_loop_hooks, fini_loop_hooks},
    {"the subscriptions", init_subs, fini_subs},
};

/* Runs the steps in order; returns how many succeeded (all of them, or up to
 * the one that failed, which is said). */
static size_t start_up(struct mo_daemon *d)
{
    for (size_t i = 0; i < ARRAY_SIZE(steps); i++) {
        int r = steps[i].init(d);
        if (r < 0) {
            mo_warn("cannot start: %s: %s", steps[i].what, strerror(-r));
            return i;
        }
    }
    return ARRAY_SIZE(steps);
}

static void tear_down(struct mo_daemon *d, size_t done)
{
    while (done-- > 0)
        steps[done].fini(d);
    mo_remote_clear(&d->remote);
    mo_config_free(d->cfg);
}

/* ---- running ---- */

static void started_event(const struct mo_daemon *d)
{
    const struct mo_config *cfg = d->cfg;
    const char *state_dir = mo_positions_dir(d->positions);
    const char *state_from = mo_state_dir_source_name(mo_positions_source(d->positions));
    struct mo_event e;
    mo_event_init(&e, MO_EV_STARTED, NULL, NULL);
    mo_event_str(&e, "version", PACKAGE_VERSION);
    mo_event_uint(&e, "subscriptions", cfg->n_subs);
    mo_event_str(&e, "endpoint", d->remote.ep.target);
    mo_event_str(&e, "state_directory", state_dir ? state_dir : "");
    mo_event_str(&e, "state_directory_from", state_from);
    /* the field counts the streams; the sentence tells the file's list from the canary's */
    size_t listed = cfg->n_subs - (cfg->canary.enabled ? 1 : 0);
    mo_event_msg(&e, "momento-subscriberd %s started: %zu subscription%s%s at %s (%s); positions %s%s%s%s%s",
                 PACKAGE_VERSION, listed, listed == 1 ? "" : "s",
                 cfg->canary.enabled ? " and the canary" : "", d->remote.ep.target,
                 d->remote.ep.tls ? "TLS" : "plaintext", state_dir ? "saved in " : "not saved",
                 state_dir ? state_dir : " (no state.directory, no $STATE_DIRECTORY)",
                 state_dir ? " (from " : "", state_dir ? state_from : "", state_dir ? ")" : "");
    mo_event_emit(&e);
}

/* The streams start, the loop runs until the stop, then the final summary
 * and the final save. */
static void run(struct mo_daemon *d)
{
    /* the first save, before any stream runs: a directory that does not work
     * is reported now, and entries of subscriptions no longer configured go */
    mo_positions_tick(d->positions, d->subs, d->n_subs, mo_mono_us(), STATE_START_WAIT_US);
    mo_timer_start(d->loop, &d->state_timer, MO_STATE_SAVE_INTERVAL_US);
    for (size_t i = 0; i < d->n_subs; i++)
        mo_sub_start(d->subs[i]);
    mo_daemon_status_start(d);

    mo_loop_run(d->loop);

    /* final summary: everything counted since the last one */
    mo_daemon_summaries(d, d->subs, d->n_subs, true);
    /* the final save: the streams are cancelled (or given up on), the loop
     * no longer runs, so no position moves any more; their events go first */
    uint64_t left = stop_budget_left_us(d, STOP_GRPC_US);
    positions_saved = mo_positions_final(d->positions, d->subs, d->n_subs, mo_mono_us(),
                                         left > 100 * MO_USEC_PER_MSEC ? left : 100 * MO_USEC_PER_MSEC);
}

static void on_state_timer(mo_timer *t)
{
    struct mo_daemon *d = container_of(t, struct mo_daemon, state_timer);
    /* the save waits for the events of every message up to the positions
     * (positions.h), so that a crash after it does not lose the lines of
     * messages a restart will not ask for again */
    mo_positions_tick(d->positions, d->subs, d->n_subs, mo_mono_us(), 0);
    mo_timer_start(d->loop, t, MO_STATE_SAVE_INTERVAL_US);
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

/* ---- signals and stop ---- */

static void begin_stop(struct mo_daemon *d, int signo);

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
            mo_daemon_reload(d);
        break;
    case SIGUSR1:
        if (!d->stopping)
            mo_daemon_summary_now(d);
        break;
    default:
        break;
    }
}

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
    mo_daemon_canary_stop(d, mo_daemon_drained);
    mo_limits_stop(d->limits);
    if (d->live_subs == 0) {
        if (!mo_daemon_busy(d))
            mo_loop_quit(d->loop);
        else
            mo_timer_start(d->loop, &d->stop_timer, STOP_GRACE_US);
        return;
    }
    mo_timer_start(d->loop, &d->stop_timer, STOP_GRACE_US);
    for (size_t i = 0; i < d->n_subs; i++) {
        mo_sub_stop(d->subs[i]); /* for good: a move under way ends here */
    }
}
int main(int argc, char **argv)
{
    mo_progname = "momento-subscriberd";
    struct mo_daemon_args args;
    int rc = mo_daemon_parse_args(argc, argv, &args);
    if (rc >= 0)
        return rc;
    const char *config_path = args.config_path;
    bool check = args.check;
    int log_format = args.log_format;

    /* before grpc_init, so gRPC's threads inherit the mask */
    const int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1};
    mo_signals_block(sigs, ARRAY_SIZE(sigs));
    signal(SIGPIPE, SIG_IGN);

    struct mo_config_errors errs = {0};
    struct mo_config *cfg = NULL;
    if (mo_config_load(config_path, &cfg, &errs) < 0) {
        mo_daemon_print_config_errors(&errs);
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
        mo_daemon_check_config(cfg, &d->remote, unresolved);
        mo_remote_clear(&d->remote);
        mo_config_free(cfg);
        return 0;
    }
    /* the log output first and last: opened before everything, closed once
     * the streams are down, within the stop budget */
    int r = mo_event_set_format(log_format >= 0 ? (enum mo_log_format)log_format : mo_event_default_format());
    if (r < 0) {
        mo_warn("cannot start writing events: %s", strerror(-r));
        return 1;
    }

    size_t done = start_up(d);
    bool started = done == ARRAY_SIZE(steps);
    if (started) {
        started_event(d);
        mo_daemon_clock_read(d); /* the first bound; says so if the clock is not synchronised */
        mo_keylife_set(&d->keylife, d->remote.creds.expires_at);
        mo_daemon_key_check(d); /* says so if the key expires within 7 days */
        mo_limits_start(d->limits, d->cfg, &d->remote.ep, d->remote.creds.token);
        run(d);
    }
    /* what waits is written, unless the output is blocked past the stop
     * budget (gRPC's shutdown keeps its part) */
    mo_event_close(stop_budget_left_us(d, STOP_GRPC_US));
    /* with calls still winding down after the grace period the process exit
     * releases them (freeing under live calls would be unsafe) */
    if (!started || !mo_daemon_busy(d))
        tear_down(d, done);
    return started ? 0 : 1;
}
