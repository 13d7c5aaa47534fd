/* clocksrc.c - this host's clock error bound from ClockBound or adjtimex, as
 * clock.source says (clocksrc.h).
 *
 * Decisions this file makes:
 * - The default paths are tried in order (v2's shm0, then v1's shm) on every
 *   reading until one is usable, so a leftover shm0 of an uninstalled 2.x
 *   does not hide a running 1.x. When none is, the reading reports the first
 *   path that exists (its state is the news: bad, stale, not usable), or the
 *   last one tried when none exists.
 * - Usable is judged at the reading's moment plus MO_CLOCKSRC_HOLD_NS, the
 *   last moment the reading's bound stands for (a status only degrades with
 *   time, so it is usable now too); the status reported is the one now. A
 *   segment that polls GOOD but is not usable keeps cb_state GOOD, and
 *   cb_reason says why.
 * - ClockBound's bound in µs is rounded up, so that it never under-states.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clocksrc.h"

#define PATHS_MAX 2

struct mo_clocksrc {
    enum mo_clock_config cfg;
    mo_cb_reader *readers[PATHS_MAX]; /* in the order they are tried */
    size_t n;
    char *path; /* as given, or NULL */
};

const char *mo_clocksrc_source_name(enum mo_clock_source s)
{
    return s == MO_SOURCE_CLOCKBOUND ? "clockbound" : "adjtimex";
}

const char *mo_clocksrc_config_name(enum mo_clock_config c)
{
    switch (c) {
    case MO_CLOCK_AUTO:
        return "auto";
    case MO_CLOCK_CLOCKBOUND:
        return "clockbound";
    case MO_CLOCK_ADJTIMEX:
        return "adjtimex";
    }
    return "?";
}

int mo_clocksrc_new(mo_clocksrc **ret, enum mo_clock_config cfg, const char *path)
{
    mo_clocksrc *c = calloc(1, sizeof *c);
    if (!c)
        return -ENOMEM;
    c->cfg = cfg;
    if (path && !(c->path = strdup(path))) {
        free(c);
        return -ENOMEM;
    }
    if (cfg != MO_CLOCK_ADJTIMEX) {
        const char *paths[PATHS_MAX] = {path ? path : MO_CB_PATH_V2, path ? NULL : MO_CB_PATH_V1};
        for (size_t i = 0; i < PATHS_MAX && paths[i]; i++) {
            int r = mo_cb_reader_new(&c->readers[c->n], paths[i]);
            if (r < 0) {
                mo_clocksrc_free(c);
                return r;
            }
            c->n++;
        }
    }
    *ret = c;
    return 0;
}

void mo_clocksrc_free(mo_clocksrc *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++)
        mo_cb_reader_free(c->readers[i]);
    free(c->path);
    free(c);
}

const char *mo_clocksrc_path(const mo_clocksrc *c) { return c->path; }

enum mo_clock_config mo_clocksrc_config(const mo_clocksrc *c) { return c->cfg; }

/* Why a good segment's status at the moment is not one to use. */
static void unusable(const struct mo_cb_snapshot *s, enum mo_cb_status at, char *buf, size_t len)
{
    if (s->status == MO_CB_UNKNOWN)
        snprintf(buf, len, "status unknown");
    else if (s->status == MO_CB_DISRUPTED)
        snprintf(buf, len, "status disrupted");
    else if (s->status != MO_CB_SYNCHRONIZED && s->status != MO_CB_FREE_RUNNING)
        snprintf(buf, len, "status %d is not one ClockBound defines", (int)s->status);
    else
        snprintf(buf, len, "%s: past void_after, or within the %lld ms a reading holds",
                 mo_cb_status_name(at), MO_CLOCKSRC_HOLD_NS / 1000000);
}

/* ceil(ns / 1000) for ns >= 0. */
static int64_t ns_to_us_up(int64_t ns) { return ns / 1000 + (ns % 1000 != 0); }

/* Polls the readers in order; true when one gives a bound to use, set in ret. */
static bool read_clockbound(mo_clocksrc *c, struct mo_clock_reading *ret)
{
    int64_t now = mo_cb_mono_coarse_ns();
    int64_t until = now > INT64_MAX - MO_CLOCKSRC_HOLD_NS ? INT64_MAX : now + MO_CLOCKSRC_HOLD_NS;
    bool reported = false; /* ret's cb_* hold a path that exists */
    for (size_t i = 0; i < c->n; i++) {
        struct mo_cb_snapshot s;
        char reason[MO_CB_REASON_MAX];
        enum mo_cb_state st = mo_cb_reader_poll(c->readers[i], now, &s, reason, sizeof reason);
        int64_t bound = 0;
        enum mo_cb_status at = MO_CB_UNKNOWN;
        bool ok = st == MO_CB_GOOD && mo_cb_bound_at(&s, until, &bound, &at);
        if (!ok && st == MO_CB_GOOD)
            unusable(&s, at, reason, sizeof reason);
        if (ok || !reported) {
            ret->cb_state = st;
            ret->cb_path = mo_cb_reader_path(c->readers[i]);
            snprintf(ret->cb_reason, sizeof ret->cb_reason, "%s", reason);
            reported = st != MO_CB_ABSENT;
        }
        if (ok) {
            int64_t now_bound;
            ret->source = MO_SOURCE_CLOCKBOUND;
            ret->bound_us = ns_to_us_up(bound);
            mo_cb_bound_at(&s, now, &now_bound, &ret->status);
            ret->snap = s;
            return true;
        }
    }
    return false;
}

void mo_clocksrc_read(mo_clocksrc *c, struct mo_clock_reading *ret)
{
    memset(ret, 0, sizeof *ret);
    mo_clock_state_read(&ret->kernel);
    ret->cb_looked = c->cfg != MO_CLOCK_ADJTIMEX;
    ret->cb_state = MO_CB_ABSENT;
    if (ret->cb_looked && read_clockbound(c, ret))
        return;
    ret->source = MO_SOURCE_ADJTIMEX;
    ret->bound_us = ret->kernel.error_us >= 0 ? ret->kernel.error_us : -1;
    ret->status = ret->kernel.synced ? MO_CB_SYNCHRONIZED : MO_CB_UNKNOWN;
}
