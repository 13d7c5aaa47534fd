/* reload.c - SIGHUP (daemon.h): the configuration file read again and applied.
 *
 * What happens, in order:
 *   1. the file is loaded and checked as at start; an invalid one is refused
 *      with a config_error per error, and nothing changes;
 *   2. the key is read again (even when the file is unchanged: a key rewritten
 *      in place is a rotation) and the target resolved; one that cannot work
 *      is refused the same way;
 *   3. subscriptions no longer in the file stop (their last interval is
 *      summarised when they are down); kept ones take their new decoder;
 *   4. every setting the subscriptions read (reconnect, idle, logging) is
 *      rewritten at once; with a new key, endpoint or TLS, the pool hands out
 *      connections of the new target and the streams move make before break
 *      (remote/mover.h: a stream stops only once its new side has answered;
 *      a reload back cancels a move under way);
 *   5. the state directory, new subscriptions, the summary interval and the
 *      exports follow, and config_reloaded says what changed.
 * The canary goes before 3 (canaries.c): kept with its cache and topic
 * (updated in place, probes in flight included), else retired and, if the
 * file still has one, made again.
 * systemd hears RELOADING=1 before and READY=1 after (Type=notify-reload),
 * once the daemon has been ready.
 */
#include <config.h>

#include <stdlib.h>

#include "clock.h"
#include "daemon.h"
#include "notify.h"
#include "reloadlog.h"

static void apply(struct mo_daemon *d);

void mo_daemon_reload(struct mo_daemon *d)
{
    /* before the first READY=1 there is no reload to announce to systemd */
    bool announce = d->ready_sent;
    if (announce)
        mo_notify_reloading();
    apply(d);
    if (announce)
        mo_notify_ready();
}

/* 3. Removed: in the old list, not in the new one; the others are kept with
 * nc's decoder. */
static void keep_or_remove(struct mo_daemon *d, const struct mo_config *nc, struct mo_reloadlog_outcome *o)
{
    size_t w = 0;
    for (size_t i = 0; i < d->n_subs; i++) {
        mo_sub *s = d->subs[i];
        const struct mo_sub_config *sc = mo_config_find(nc, mo_sub_cache(s), mo_sub_topic(s));
        if (!sc) {
            if (mo_daemon_retire_sub(d, s) < 0) {
                d->subs[w++] = s; /* out of memory: keep it rather than lose track of it */
                continue;
            }
            o->removed++;
            continue;
        }
        o->kept++;
        mo_daemon_canary_wire(d, s, sc);
        int r = mo_sub_set_decoder(s, &sc->decoder);
        if (r < 0) {
            mo_reloadlog_not_applied(nc, sc, r, false);
            o->failed++;
        }
        d->subs[w++] = s;
    }
    d->n_subs = w;
}

/* 5. New: not running (rather than not in the old file, so that one that
 * could not be added last time is tried again). */
static void add_new(struct mo_daemon *d, const struct mo_config *nc, struct mo_reloadlog_outcome *o)
{
    for (size_t i = 0; i < nc->n_subs; i++) {
        const struct mo_sub_config *sc = &nc->subs[i];
        if (mo_daemon_has_sub(d, sc->cache, sc->topic))
            continue;
        mo_sub *s;
        int r = mo_daemon_add_sub(d, sc, false, &s);
        if (r < 0) {
            mo_reloadlog_not_applied(nc, sc, r, true);
            o->failed++;
            continue;
        }
        mo_sub_start(s);
        o->added++;
    }
    if (o->added || o->removed) /* the next save drops and adds entries */
        mo_positions_touch(d->positions);
}

static void apply(struct mo_daemon *d)
{
    struct mo_config *nc = NULL;
    struct mo_config_errors errs = {0};
    if (mo_config_load(d->cfg->path, &nc, &errs) < 0) {
        mo_reloadlog_config_errors(&errs);
        mo_config_errors_clear(&errs);
        return;
    }
    struct mo_remote nr;
    char err[1024];
    if (mo_remote_resolve(nc, false, &nr, NULL, err, sizeof err) < 0) {
        mo_reloadlog_remote_error(nc, err);
        mo_config_free(nc);
        return;
    }
    unsigned changed = mo_remote_diff(&d->remote, &nr);
    if (changed && mo_pool_set_target(d->pool, &nr.ep, nr.creds.token) < 0) {
        mo_remote_clear(&nr);
        mo_config_free(nc);
        mo_reloadlog_remote_error(d->cfg, "out of memory");
        return;
    }
    mo_remote_clear(&d->remote);
    d->remote = nr; /* sub_settings points into it: same addresses, new text */
    mo_keylife_set(&d->keylife, d->remote.creds.expires_at); /* said again, then checked below */

    /* the canary first: kept subscriptions are wired to the canary that
     * stays, new ones to a new one */
    struct mo_config *old = d->cfg;
    d->cfg = nc;
    const char *canary = mo_daemon_canary_reload(d, &old->canary, changed != 0, mo_daemon_drained);

    struct mo_reloadlog_outcome o = {.canary = canary};
    keep_or_remove(d, nc, &o);

    /* 4. every subscription, kept or dying, reads the new values */
    mo_daemon_settings_update(d);
    if (changed) {
        struct mo_conn_opts opts = mo_daemon_conn_opts(d);
        struct mo_mover_begun begun = mo_mover_begin(d->mover, d->subs, d->n_subs, &opts);
        o.moved = begun.moving;
        o.moves_cancelled = begun.cancelled;
    }

    int dir_changed = mo_positions_set_dir(d->positions, nc->state_directory, getenv("STATE_DIRECTORY"));
    add_new(d, nc, &o);
    /* a new summary_interval counts from the start of the current interval */
    if (mo_timer_armed(&d->summary_timer) && nc->summary_interval_us != old->summary_interval_us) {
        uint64_t due = d->total.start_us + nc->summary_interval_us;
        uint64_t now = mo_mono_us();
        mo_timer_start_at(d->loop, &d->summary_timer, due > now ? due : now);
    }
    mo_config_free(old);
    o.exports_kept = mo_export_configure(d->exports, nc) < 0; /* out of memory: the old ones */
    /* clock: a new source is read at once, so a change of source is said now */
    o.clock_kept = mo_clockwatch_configure(&d->clockwatch, nc->clock_source, nc->clockbound_path,
                                           &o.clock_changed) < 0;
    if (o.clock_changed)
        mo_daemon_clock_read(d);
    mo_daemon_key_check(d);

    char what[64];
    o.momento_changed = mo_remote_diff_names(changed, what, sizeof what);
    o.dir_changed = dir_changed > 0;
    o.dir = mo_positions_dir(d->positions);
    mo_reloadlog_reloaded(nc, &o);
    /* the account's limits for what is now configured: said when they come */
    mo_limits_start(d->limits, nc, &d->remote.ep, d->remote.creds.token);
}
