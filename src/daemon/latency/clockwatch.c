/* clockwatch.c - this host's clock bound, and the events its changes make. */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "latency/clockwatch.h"
#include "log/event.h"
#include "util.h"

int mo_clockwatch_init(struct mo_clockwatch *w, enum mo_clock_config cfg, const char *path)
{
    *w = (struct mo_clockwatch){.bound_us = -1, .interval_max_us = -1};
    return mo_clocksrc_new(&w->src, cfg, path);
}

void mo_clockwatch_fini(struct mo_clockwatch *w)
{
    mo_clocksrc_free(w->src);
    w->src = NULL;
}

static bool same_path(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

int mo_clockwatch_configure(struct mo_clockwatch *w, enum mo_clock_config cfg, const char *path,
                            bool *changed)
{
    *changed = false;
    if (cfg == mo_clocksrc_config(w->src) && same_path(path, mo_clocksrc_path(w->src)))
        return 0;
    mo_clocksrc *n;
    int r = mo_clocksrc_new(&n, cfg, path);
    if (r < 0)
        return r;
    mo_clocksrc_free(w->src);
    w->src = n;
    *changed = true;
    return 0;
}

enum mo_clock_change mo_clockwatch_step(struct mo_clockwatch *w, bool synced, uint64_t now_us)
{
    if (!w->known) {
        w->known = true;
        w->synced = synced;
        w->since_us = now_us;
        return synced ? MO_CLOCK_SAME : MO_CLOCK_UNSYNCED_AT_START;
    }
    if (synced == w->synced)
        return MO_CLOCK_SAME;
    w->synced = synced;
    w->since_us = now_us;
    return synced ? MO_CLOCK_REGAINED : MO_CLOCK_LOST;
}

enum mo_clock_source_change mo_clockwatch_source_step(struct mo_clockwatch *w,
                                                      const struct mo_clock_reading *r)
{
    bool first = !w->source_known;
    enum mo_clock_source was = w->last.source;
    w->source_known = true;
    w->last = *r;
    w->bound_us = r->bound_us;
    if (r->bound_us >= 0 && r->bound_us > w->interval_max_us)
        w->interval_max_us = r->bound_us;
    if (first) {
        enum mo_clock_config cfg = mo_clocksrc_config(w->src);
        bool wanted = cfg == MO_CLOCK_CLOCKBOUND ||
                      (r->cb_looked && (r->cb_state == MO_CB_BAD || r->cb_state == MO_CB_STALE));
        return r->source == MO_SOURCE_ADJTIMEX && wanted && cfg != MO_CLOCK_ADJTIMEX
                   ? MO_SOURCE_UNUSABLE_AT_START
                   : MO_SOURCE_SAME;
    }
    if (r->source == was)
        return MO_SOURCE_SAME;
    return r->source == MO_SOURCE_CLOCKBOUND ? MO_SOURCE_BACK : MO_SOURCE_FELL_BACK;
}

/* "0.350 ms", or "unknown" */
static const char *bound_text(int64_t us, char *buf, size_t len)
{
    char ms[32];
    if (us < 0)
        snprintf(buf, len, "unknown");
    else
        snprintf(buf, len, "%s ms", mo_fmt_ms(us, ms, sizeof ms));
    return buf;
}

/* The fields every clock event carries. */
static void clock_fields(struct mo_event *e, const struct mo_clock_reading *r)
{
    mo_event_str(e, "clock_source", mo_clocksrc_source_name(r->source));
    mo_event_int(e, "clock_bound_us", r->bound_us);
    mo_event_str(e, "clock_status", mo_cb_status_name(r->status));
    mo_event_int(e, "clock_error_us", r->kernel.error_us);
    mo_event_int(e, "clock_esterror_us", r->kernel.esterror_us);
}

static void say_source(enum mo_clock_source_change c, const struct mo_clock_reading *r,
                       enum mo_clock_config cfg)
{
    char b[48];
    struct mo_event e;
    mo_event_init(&e, MO_EV_CLOCK_SOURCE_CHANGED, NULL, NULL);
    clock_fields(&e, r);
    mo_event_str(&e, "clockbound_path", r->cb_path ? r->cb_path : "");
    mo_event_str(&e, "clockbound_state", mo_cb_state_name(r->cb_state));
    mo_event_str(&e, "reason", r->cb_reason);
    mo_event_bool(&e, "at_start", c == MO_SOURCE_UNUSABLE_AT_START);
    if (c == MO_SOURCE_BACK) {
        e.level = MO_LEVEL_NOTICE;
        mo_event_msg(&e,
                     "The clock error bound comes from ClockBound again (%s, %s): latencies "
                     "carry its bound, %s",
                     r->cb_path ? r->cb_path : "", mo_cb_status_name(r->status),
                     bound_text(r->bound_us, b, sizeof b));
    } else {
        const char *what = c == MO_SOURCE_FELL_BACK ? "can no longer be used"
                           : cfg == MO_CLOCK_CLOCKBOUND
                               ? "cannot be used, though clock.source is clockbound"
                               : "was found but cannot be used";
        mo_event_msg(&e,
                     "The ClockBound segment %s %s (%s): the clock error bound is the kernel's "
                     "(adjtimex, %s) until it can; check that clockbound is running "
                     "(systemctl status clockbound) and that the daemon may read the file",
                     r->cb_path ? r->cb_path : "", what, r->cb_reason[0] ? r->cb_reason : "no reason given",
                     bound_text(r->bound_us, b, sizeof b));
    }
    mo_event_emit(&e);
}

static void say_sync(enum mo_clock_change c, const struct mo_clock_reading *r, uint64_t unsynced_s)
{
    char b[48];
    struct mo_event e;
    bool cb = r->source == MO_SOURCE_CLOCKBOUND;
    if (c == MO_CLOCK_REGAINED) {
        mo_event_init(&e, MO_EV_CLOCK_SYNCED, NULL, NULL);
        mo_event_uint(&e, "unsynced_s", unsynced_s);
        clock_fields(&e, r);
        mo_event_msg(&e,
                     "The system clock is synchronised again after %llu s (%s: bound %s); "
                     "latencies can be trusted again",
                     (unsigned long long)unsynced_s, cb ? "ClockBound" : "the kernel's maximum error",
                     bound_text(r->bound_us, b, sizeof b));
    } else {
        bool at_start = c == MO_CLOCK_UNSYNCED_AT_START;
        mo_event_init(&e, MO_EV_CLOCK_UNSYNCED, NULL, NULL);
        mo_event_bool(&e, "at_start", at_start);
        clock_fields(&e, r);
        if (cb)
            mo_event_msg(&e,
                         "The system clock is %s synchronised: ClockBound says %s (bound %s); "
                         "latencies may be off by as much; check chronyd (chronyc tracking)",
                         at_start ? "not" : "no longer", mo_cb_status_name(r->status),
                         bound_text(r->bound_us, b, sizeof b));
        else
            mo_event_msg(&e,
                         "The system clock is %s synchronised (the kernel's maximum error is %s): "
                         "latencies may be off by as much; check the time service "
                         "(chronyd, systemd-timesyncd or ntpd)",
                         at_start ? "not" : "no longer", bound_text(r->bound_us, b, sizeof b));
    }
    mo_event_emit(&e);
}

void mo_clockwatch_check(struct mo_clockwatch *w, struct mo_clock_reading *ret)
{
    struct mo_clock_reading r;
    mo_clocksrc_read(w->src, &r);
    enum mo_clock_source_change sc = mo_clockwatch_source_step(w, &r);
    if (sc != MO_SOURCE_SAME)
        say_source(sc, &r, mo_clocksrc_config(w->src));
    uint64_t now = mo_mono_us(), was_since = w->since_us;
    enum mo_clock_change c = mo_clockwatch_step(w, r.status == MO_CB_SYNCHRONIZED, now);
    if (c != MO_CLOCK_SAME)
        say_sync(c, &r, (now - was_since) / MO_USEC_PER_SEC);
    if (ret)
        *ret = r;
}

void mo_clockwatch_summary(struct mo_clockwatch *w, bool next, struct mo_clock_summary *ret)
{
    *ret = (struct mo_clock_summary){.kernel = w->last.kernel,
                                     .synced = w->synced,
                                     .source = w->last.source,
                                     .bound_us = w->interval_max_us,
                                     .status = w->last.status};
    if (!w->source_known) /* no reading yet: nothing is known */
        ret->kernel = (struct mo_clock_state){.error_us = -1, .esterror_us = -1};
    if (next)
        w->interval_max_us = w->bound_us;
}
