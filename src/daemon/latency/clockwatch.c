/* clockwatch.c - events when the local clock loses or regains synchronisation. */
#include <config.h>

#include <stdio.h>

#include "clock.h"
#include "latency/clockwatch.h"
#include "log/event.h"
#include "util.h"

enum mo_clock_change mo_clockwatch_step(struct mo_clockwatch *w, bool synced, uint64_t now_us)
{
    if (!w->known) {
        *w = (struct mo_clockwatch){.known = true, .synced = synced, .since_us = now_us};
        return synced ? MO_CLOCK_SAME : MO_CLOCK_UNSYNCED_AT_START;
    }
    if (synced == w->synced)
        return MO_CLOCK_SAME;
    w->synced = synced;
    w->since_us = now_us;
    return synced ? MO_CLOCK_REGAINED : MO_CLOCK_LOST;
}

/* "12.345 ms", or "unknown" when adjtimex failed */
static void err_text(int64_t us, char *buf, size_t len)
{
    char ms[32];
    if (us < 0)
        snprintf(buf, len, "unknown");
    else
        snprintf(buf, len, "%s ms", mo_fmt_ms(us, ms, sizeof ms));
}

void mo_clockwatch_check(struct mo_clockwatch *w, struct mo_clock_state *ret)
{
    struct mo_clock_state clk;
    mo_clock_state_read(&clk);
    if (ret)
        *ret = clk;
    uint64_t now = mo_mono_us(), was_since = w->since_us;
    enum mo_clock_change c = mo_clockwatch_step(w, clk.synced, now);
    if (c == MO_CLOCK_SAME)
        return;

    char max_ms[48], est_ms[48];
    err_text(clk.error_us, max_ms, sizeof max_ms);
    err_text(clk.esterror_us, est_ms, sizeof est_ms);
    struct mo_event e;
    if (c == MO_CLOCK_REGAINED) {
        uint64_t unsynced_s = (now - was_since) / MO_USEC_PER_SEC;
        mo_event_init(&e, MO_EV_CLOCK_SYNCED, NULL, NULL);
        mo_event_uint(&e, "unsynced_s", unsynced_s);
        mo_event_int(&e, "clock_error_us", clk.error_us);
        mo_event_int(&e, "clock_esterror_us", clk.esterror_us);
        mo_event_msg(&e,
                     "The system clock is synchronised again after %llu s (maximum error %s, "
                     "estimated %s); latencies can be trusted again",
                     (unsigned long long)unsynced_s, max_ms, est_ms);
    } else {
        bool at_start = c == MO_CLOCK_UNSYNCED_AT_START;
        mo_event_init(&e, MO_EV_CLOCK_UNSYNCED, NULL, NULL);
        mo_event_bool(&e, "at_start", at_start);
        mo_event_int(&e, "clock_error_us", clk.error_us);
        mo_event_int(&e, "clock_esterror_us", clk.esterror_us);
        mo_event_msg(&e,
                     "The system clock is %s synchronised (the kernel's maximum error is %s, "
                     "estimated %s): latencies may be off by as much; check the time service "
                     "(chronyd, systemd-timesyncd or ntpd)",
                     at_start ? "not" : "no longer", max_ms, est_ms);
    }
    mo_event_emit(&e);
}
