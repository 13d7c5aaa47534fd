/* daemon.h - the daemon itself, as the files on top of src/daemon/ share it.
 *
 * One struct mo_daemon, static in main.c; nothing below the top (the folders
 * of src/daemon/) sees it: they get what they need as values, settings and
 * callbacks. The top is split by job:
 *
 *   main.c         command line, start-up and teardown (one ordered table),
 *                  the loop, signals, stop
 *   subs.c         the subscriptions: settings, adding one, what their owner
 *                  does when one is up or has stopped (a move, a removal, a stop)
 *   status.c       summaries, STATUS= every second, READY=1, WATCHDOG=1
 *   reload.c       SIGHUP: the new configuration applied, make before break
 *   cmdline.c      the command line, and --check-config: what a configuration
 *                  implies, printed
 *
 * Everything here runs on the loop thread.
 */
#ifndef MO_DAEMON_H
#define MO_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "canary/canary.h"
#include "config/config.h"
#include "export/export.h"
#include "hist.h"
#include "latency/clockwatch.h"
#include "log/budget.h"
#include "loop.h"
#include "remote/keylife.h"
#include "remote/limits.h"
#include "remote/mover.h"
#include "remote/pool.h"
#include "remote/remote.h"
#include "state/positions.h"
#include "sub/stats.h"
#include "sub/sub.h"

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
    mo_mover *mover;  /* subscriptions moving to new connection settings */
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
    struct mo_keylife keylife;       /* the key's expiry, checked likewise */
    mo_limits *limits;               /* the account's topic limits, asked at start and reload */
    mo_export *exports;              /* export: of the configuration */
    struct mo_budget message_budget; /* logging.message_budget, for every subscription */
    mo_canary *canary;               /* canary: of the configuration, or NULL */
    mo_sub *canary_sub;              /* its subscription, one of subs */
    mo_canary **old_canaries;        /* retired by a reload, their publishes winding down */
    size_t n_old_canaries;
    void (*canary_drained)(void *d); /* told when a canary's publishes are all back */
};

/* ---- subs.c ---- */

/* d->sub_settings and the message budget from d->cfg (at start and reload). */
void mo_daemon_settings_update(struct mo_daemon *d);
/* The options a subscription's connection is opened with. */
struct mo_conn_opts mo_daemon_conn_opts(const struct mo_daemon *d);
/* A subscription for sc, IDLE, in d->subs; at start (`restore`) with the
 * position the state file saved for it. -ENOMEM or a connection's error. */
int mo_daemon_add_sub(struct mo_daemon *d, const struct mo_sub_config *sc, bool restore, mo_sub **ret);
/* Whether (cache, topic) is one of d->subs. */
bool mo_daemon_has_sub(const struct mo_daemon *d, const char *cache, const char *topic);
/* Hands s to the dying list, to be summarised and freed once stopped; s
 * must already be out of d->subs. -ENOMEM: the caller keeps it. */
int mo_daemon_retire_sub(struct mo_daemon *d, mo_sub *s);
/* Whether anything is still in flight: subscriptions not yet stopped, the
 * mover's probes, a canary's publishes, the limits' call. */
bool mo_daemon_busy(const struct mo_daemon *d);
/* Something that was in flight is over (the mover's last probe, a canary's
 * publishes): when the daemon stops and nothing is left, the loop quits. */
void mo_daemon_drained(void *ctx);

/* ---- canaries.c ---- */

/* The canary of d->cfg, if it has one (a start-up step); its channel is made. */
int mo_daemon_canary_init(struct mo_daemon *d);
void mo_daemon_canary_fini(struct mo_daemon *d);
/* A subscription added (or kept by a reload) for sc: the canary's tap on it
 * when sc is the canary's, none otherwise. */
void mo_daemon_canary_wire(struct mo_daemon *d, mo_sub *s, const struct mo_sub_config *sc);
/* A subscription's first server message: the canary's schedule starts on its own. */
void mo_daemon_canary_up(struct mo_daemon *d, mo_sub *s);
/* A subscription is going away (removed by a reload). */
void mo_daemon_canary_gone(struct mo_daemon *d, mo_sub *s);
/* The daemon stops: the canary's publishes in flight are cancelled;
 * drained(d) once they are back. */
void mo_daemon_canary_stop(struct mo_daemon *d, void (*drained)(void *d));
bool mo_daemon_canary_busy(const struct mo_daemon *d);
/* A reload with d->cfg already the new configuration and `old` the old
 * canary section: the canary kept and updated, added, replaced or retired
 * (drained(d) once a retired one's publishes are back).
 * Says which ("none", "kept", "added", "replaced", "removed", "failed"). */
const char *mo_daemon_canary_reload(struct mo_daemon *d, const struct mo_canary_config *old,
                                    bool remote_changed, void (*drained)(void *d));

/* ---- status.c ---- */

/* Arms nothing: the timers' callbacks, once, before the loop runs. */
void mo_daemon_status_init(struct mo_daemon *d);
/* The first interval starts now: summary, status, READY at the latest, watchdog. */
void mo_daemon_status_start(struct mo_daemon *d);
/* One summary per subscription in subs (each over its own interval), each
 * added into the "*" total; with `with_total`, then the "*" summary of
 * everything since the last one, removed subscriptions included. */
void mo_daemon_summaries(struct mo_daemon *d, mo_sub **subs, size_t n, bool with_total);
/* status.c: reads the clock (its events, the bound of latencies until the next reading). */
void mo_daemon_clock_read(struct mo_daemon *d);
/* status.c: the key's expiry checked (key_expiring, key_expired). */
void mo_daemon_key_check(struct mo_daemon *d);
/* Every subscription's summary and the total's now (SIGUSR1), and the next
 * summary a whole interval later. */
void mo_daemon_summary_now(struct mo_daemon *d);
/* A subscription is up for the first time: READY=1 once every one has been. */
void mo_daemon_sub_up(struct mo_daemon *d);

/* ---- reload.c ---- */

/* SIGHUP: the configuration file read again and applied (reload.c says how);
 * an invalid file changes nothing. */
void mo_daemon_reload(struct mo_daemon *d);

/* ---- cmdline.c ---- */

struct mo_daemon_args {
    const char *config_path;
    bool check;     /* --check-config */
    int log_format; /* enum mo_log_format, or -1: the default */
};
/* Parses the command line into *a: -1 to go on, else the exit status
 * (--help, --version: 0; a usage error, said on stderr: EX_USAGE). */
int mo_daemon_parse_args(int argc, char **argv, struct mo_daemon_args *a);

/* --check-config: what cfg implies, on stdout. `unresolved`: no key here. */
void mo_daemon_check_config(const struct mo_config *cfg, const struct mo_remote *rm, bool unresolved);
/* Every error of a configuration that did not load, one line each on stderr. */
void mo_daemon_print_config_errors(const struct mo_config_errors *errs);

#endif
