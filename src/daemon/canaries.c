/* canaries.c - the daemon's canary (daemon.h): made from the configuration,
 * wired to its subscription, changed by a reload, stopped with the daemon.
 *
 * The canary's subscription is one of d->subs like any other (the loader
 * appends it, mo_sub_config.canary); what makes it the canary's is its tap
 * (mo_canary_tap) and d->canary_sub. A reload that keeps the canary's cache
 * and topic updates the canary in place, probes in flight included; one that
 * changes them or removes canary: retires it: its last interval is
 * exported and summarised with what is still in flight, its publishes are
 * cancelled, and it is freed once they are back.
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "clock.h"
#include "daemon.h"
#include "log/event.h"
#include "util.h"

static struct mo_canary_env env_of(const struct mo_daemon *d)
{
    return (struct mo_canary_env){.warnings_per_interval = d->cfg->warnings_per_interval,
                                  .key_source = d->remote.creds.source};
}

static int make(struct mo_daemon *d)
{
    char err[512];
    struct mo_canary_env env = env_of(d);
    int r = mo_canary_new(d->loop, &d->cfg->canary, &env, &d->remote.ep, d->remote.creds.token, &d->canary,
                          err, sizeof err);
    if (r < 0)
        mo_warn("cannot set up the canary: %s", err);
    return r;
}

int mo_daemon_canary_init(struct mo_daemon *d)
{
    return d->cfg->canary.enabled ? make(d) : 0;
}

void mo_daemon_canary_fini(struct mo_daemon *d)
{
    mo_canary_free(d->canary);
    d->canary = NULL;
    for (size_t i = 0; i < d->n_old_canaries; i++)
        mo_canary_free(d->old_canaries[i]);
    free(d->old_canaries);
    d->old_canaries = NULL;
    d->n_old_canaries = 0;
}

/* Whether the subscription for sc is the canary's: its tap, and the
 * schedule at once if the stream has been up already (a kept one). */
void mo_daemon_canary_wire(struct mo_daemon *d, mo_sub *s, const struct mo_sub_config *sc)
{
    if (sc->canary && d->canary) {
        d->canary_sub = s;
        mo_sub_set_tap(s, mo_canary_tap, d->canary);
        if (mo_sub_ever_up(s))
            mo_canary_stream_up(d->canary);
    } else {
        if (d->canary_sub == s)
            d->canary_sub = NULL;
        mo_sub_set_tap(s, NULL, NULL);
    }
}

void mo_daemon_canary_up(struct mo_daemon *d, mo_sub *s)
{
    if (d->canary && s == d->canary_sub)
        mo_canary_stream_up(d->canary);
}

void mo_daemon_canary_gone(struct mo_daemon *d, mo_sub *s)
{
    if (d->canary_sub == s)
        d->canary_sub = NULL;
}

bool mo_daemon_canary_busy(const struct mo_daemon *d)
{
    return (d->canary && mo_canary_busy(d->canary)) || d->n_old_canaries > 0;
}

void mo_daemon_canary_stop(struct mo_daemon *d, void (*drained)(void *ctx))
{
    d->canary_drained = drained;
    if (d->canary)
        mo_canary_stop(d->canary, drained, d);
}

/* ---- reload ---- */

static void old_drained(void *ctx)
{
    struct mo_daemon *d = ctx;
    for (size_t i = 0; i < d->n_old_canaries; i++) {
        if (mo_canary_busy(d->old_canaries[i]))
            continue;
        mo_canary_free(d->old_canaries[i]);
        d->old_canaries[i--] = d->old_canaries[--d->n_old_canaries];
    }
    if (d->canary_drained)
        d->canary_drained(d);
}

/* A retired canary's last interval goes to the exports like any other: its
 * series keep those values until the daemon restarts. */
static void export_last(void *ud, const struct mo_canary_interval *iv)
{
    struct mo_daemon *d = ud;
    mo_export_canary(d->exports, iv, mo_real_ns());
}

static void retire(struct mo_daemon *d)
{
    mo_canary *c = TAKE_PTR(d->canary);
    if (d->canary_sub)
        mo_sub_set_tap(d->canary_sub, NULL, NULL);
    d->canary_sub = NULL;
    mo_canary_summary(c, export_last, d); /* its last interval, with what is in flight */
    mo_canary **v = realloc(d->old_canaries, (d->n_old_canaries + 1) * sizeof *v);
    if (!v) { /* no room to wait for it: its calls are cancelled and left to end on their own */
        mo_canary_stop(c, NULL, NULL);
        mo_warn("the retired canary %s/%s could not be kept until its publishes end (out of memory)",
                mo_canary_cache(c), mo_canary_topic(c));
        return;
    }
    d->old_canaries = v;
    d->old_canaries[d->n_old_canaries++] = c;
    mo_canary_stop(c, old_drained, d);
}

static bool same_place(const struct mo_canary_config *a, const struct mo_canary_config *b)
{
    return a->enabled && b->enabled && strcmp(a->cache, b->cache) == 0 && strcmp(a->topic, b->topic) == 0;
}

const char *mo_daemon_canary_reload(struct mo_daemon *d, const struct mo_canary_config *old,
                                    bool remote_changed, void (*drained)(void *ctx))
{
    d->canary_drained = drained;
    const struct mo_canary_config *nw = &d->cfg->canary;
    if (d->canary && !same_place(old, nw)) {
        retire(d);
        if (!nw->enabled)
            return "removed";
    }
    if (!nw->enabled)
        return "none";
    if (!d->canary)
        return make(d) < 0 ? "failed" : old->enabled ? "replaced" : "added";
    char err[512];
    struct mo_canary_env env = env_of(d);
    if (mo_canary_update(d->canary, nw, &env) < 0) {
        mo_warn("the canary keeps its old settings: out of memory");
        return "failed";
    }
    if (remote_changed &&
        mo_canary_set_remote(d->canary, &d->remote.ep, d->remote.creds.token, err, sizeof err) < 0) {
        mo_warn("the canary keeps publishing on its old connection: %s", err);
        return "failed";
    }
    return "kept";
}
