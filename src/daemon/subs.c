/* subs.c - the daemon's subscriptions (daemon.h): their settings, adding one,
 * and what their owner does when one is up or has stopped.
 *
 * A subscription stops for one of three reasons, and on_sub_stopped tells
 * them apart: the mover stopped it to switch to a new connection (it starts
 * again there at once), a reload removed it (its last interval is summarised
 * and it is freed), or the daemon stops (it is kept for the final summary).
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "daemon.h"

static void on_sub_up(void *ctx, mo_sub *s);
static void on_sub_stopped(void *ctx, mo_sub *s);

void mo_daemon_settings_update(struct mo_daemon *d)
{
    const struct mo_config *cfg = d->cfg;
    /* a burst of one second's worth */
    mo_budget_set(&d->message_budget, cfg->message_budget, cfg->message_budget, mo_mono_us());
    d->sub_settings = (struct mo_sub_settings){
        .idle_timeout_us = cfg->idle_timeout_us,
        .backoff_initial_us = cfg->backoff_initial_us,
        .backoff_max_us = cfg->backoff_max_us,
        .log = {.messages = cfg->messages,
                .sample_every = cfg->sample_every,
                .slow_threshold_us = cfg->slow_threshold_us,
                .message_budget = &d->message_budget,
                .warnings_per_interval = cfg->warnings_per_interval},
        .key_source = d->remote.creds.source,
        .target = d->remote.ep.target,
        .config_path = cfg->path,
        .ca_file = cfg->ca_file != NULL,
        .host_bound_us = &d->clockwatch.bound_us,
        .key_expires_at = &d->keylife.expires_at,
    };
}

struct mo_conn_opts mo_daemon_conn_opts(const struct mo_daemon *d)
{
    return (struct mo_conn_opts){.max_reconnect_backoff_ms = (int)(d->cfg->backoff_max_us / 1000),
                                 .max_receive_bytes = MO_SUB_MAX_RECEIVE_BYTES};
}

int mo_daemon_add_sub(struct mo_daemon *d, const struct mo_sub_config *sc, bool restore, mo_sub **ret)
{
    struct mo_conn_opts opts = mo_daemon_conn_opts(d);
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
    /* the canary's stream starts at new messages: older probes are another process's */
    if (mo_positions_name_fits(d->positions, sc->cache, sc->topic) && restore && !sc->canary)
        mo_positions_restore(d->positions, s);
    mo_daemon_canary_wire(d, s, sc);
    *ret = s;
    return 0;
}

bool mo_daemon_has_sub(const struct mo_daemon *d, const char *cache, const char *topic)
{
    for (size_t i = 0; i < d->n_subs; i++)
        if (strcmp(mo_sub_cache(d->subs[i]), cache) == 0 && strcmp(mo_sub_topic(d->subs[i]), topic) == 0)
            return true;
    return false;
}

int mo_daemon_retire_sub(struct mo_daemon *d, mo_sub *s)
{
    mo_sub **v = realloc(d->dying, (d->n_dying + 1) * sizeof *v);
    if (!v)
        return -ENOMEM;
    d->dying = v;
    d->dying[d->n_dying++] = s;
    mo_daemon_canary_gone(d, s);
    mo_conn *to = mo_mover_take(d->mover, s); /* it goes nowhere now */
    if (to)
        mo_pool_release(d->pool, to);
    mo_sub_stop(s); /* for good, a move under way included */
    return 0;
}

/* the loop ends once the daemon stops and nothing is in flight any more */
bool mo_daemon_busy(const struct mo_daemon *d)
{
    return d->live_subs > 0 || mo_mover_busy(d->mover) > 0 || mo_daemon_canary_busy(d) ||
           mo_limits_busy(d->limits);
}

static void quit_if_done(struct mo_daemon *d)
{
    if (d->stopping && !mo_daemon_busy(d))
        mo_loop_quit(d->loop);
}

void mo_daemon_drained(void *ctx) { quit_if_done(ctx); }

static void on_sub_up(void *ctx, mo_sub *s)
{
    mo_daemon_canary_up(ctx, s);
    mo_daemon_sub_up(ctx);
}

static void on_sub_stopped(void *ctx, mo_sub *s)
{
    struct mo_daemon *d = ctx;
    mo_pool_release(d->pool, mo_sub_conn(s));
    mo_conn *to = mo_mover_take(d->mover, s);
    if (to) {
        /* moving: the old stream is over, nothing more can arrive on it, so
         * its position is final; the new stream resumes after it */
        if (!d->stopping && mo_sub_restart(s, to) == 0) {
            /* a reload while it switched may have made `to` old already */
            if (!mo_pool_current(d->pool, to)) {
                struct mo_conn_opts opts = mo_daemon_conn_opts(d);
                mo_mover_begin(d->mover, &s, 1, &opts);
            }
            return;
        }
        mo_pool_release(d->pool, to);
    }
    d->live_subs--;
    for (size_t i = 0; i < d->n_dying; i++) {
        if (d->dying[i] != s)
            continue;
        /* removed by a reload: its last partial interval is summarised now and
         * counted in the next "*" summary */
        d->dying[i] = d->dying[--d->n_dying];
        mo_daemon_summaries(d, &s, 1, false);
        d->delivered_gone += mo_sub_delivered(s);
        mo_sub_free(s);
        break;
    }
    /* a current subscription stopping with the daemon is kept for the final summary */
    quit_if_done(d);
}
