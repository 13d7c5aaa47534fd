/* status.c - what the daemon says of itself (daemon.h): a summary per
 * subscription and the "*" total every logging.summary_interval (and on
 * SIGUSR1 and at stop), STATUS= every second, READY=1 once every subscription
 * has been up (or after 10 s), WATCHDOG=1 from the loop.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "clock.h"
#include "daemon.h"
#include "log/event.h"
#include "notify.h"
#include "util.h"

#define READY_AT_THE_LATEST_US (10 * MO_USEC_PER_SEC)
#define STATUS_PERIOD_US MO_USEC_PER_SEC

static void on_summary_timer(mo_timer *t);
static void on_status_timer(mo_timer *t);
static void on_ready_timer(mo_timer *t);
static void on_watchdog_timer(mo_timer *t);

void mo_daemon_status_init(struct mo_daemon *d)
{
    mo_timer_init(&d->summary_timer, on_summary_timer);
    mo_timer_init(&d->status_timer, on_status_timer);
    mo_timer_init(&d->watchdog_timer, on_watchdog_timer);
    mo_timer_init(&d->ready_timer, on_ready_timer);
}

void mo_daemon_status_start(struct mo_daemon *d)
{
    /* the first interval, of every subscription and of "*", starts now */
    d->total.start_us = d->status_last_us = mo_mono_us();
    mo_timer_start(d->loop, &d->summary_timer, d->cfg->summary_interval_us);
    mo_timer_start(d->loop, &d->status_timer, STATUS_PERIOD_US);
    mo_timer_start(d->loop, &d->ready_timer, READY_AT_THE_LATEST_US);
    d->watchdog_us = mo_notify_watchdog_usec();
    if (d->watchdog_us)
        mo_timer_start(d->loop, &d->watchdog_timer, d->watchdog_us / 2);
}

/* A round of summaries, for the canary's report. */
struct round {
    struct mo_daemon *d;
    int64_t now_ns;
};

/* The canary's interval, settled by its summary, goes to the exports with
 * the round's time before the summary resets it. */
static void export_canary(void *ud, const struct mo_canary_interval *iv)
{
    const struct round *r = ud;
    mo_export_canary(r->d->exports, iv, r->now_ns);
}

/* Each subscription's summary covers its own interval (one added by a reload
 * started later). */
void mo_daemon_summaries(struct mo_daemon *d, mo_sub **subs, size_t n, bool with_total)
{
    uint64_t now = mo_mono_us();
    int64_t now_ns = mo_real_ns();
    /* the largest bound since the last round; a round with the total starts the next */
    struct mo_clock_summary clk;
    mo_clockwatch_summary(&d->clockwatch, with_total, &clk);
    clk.key_expires_known = mo_keylife_left_s(&d->keylife, now_ns / MO_NSEC_PER_SEC, &clk.key_expires_in_s);
    for (size_t i = 0; i < n; i++) {
        /* the exports read the interval before the summary starts the next */
        mo_export_interval(d->exports, mo_sub_cache(subs[i]), mo_sub_topic(subs[i]),
                           mo_sub_stats(subs[i]), mo_sub_state(subs[i]) == MO_SUB_UP, now, now_ns,
                           clk.bound_us);
        mo_sub_end_interval(subs[i], now, &clk, &d->total);
    }
    if (with_total) {
        d->total.sink_dropped += mo_event_take_lost();
        d->total.state_saves_ahead_of_log += mo_positions_take_ahead_of_log(d->positions);
        if (d->canary)
            mo_canary_summary(d->canary, export_canary, &(struct round){d, now_ns});
        mo_export_commit(d->exports, &d->total, &clk); /* before the summary resets it */
        mo_stats_end_interval(&d->total, "*", "*", now, &clk, NULL);
    }
}

void mo_daemon_summary_now(struct mo_daemon *d)
{
    mo_daemon_summaries(d, d->subs, d->n_subs, true);
    mo_timer_start(d->loop, &d->summary_timer, d->cfg->summary_interval_us);
}

static void on_summary_timer(mo_timer *t)
{
    mo_daemon_summary_now(container_of(t, struct mo_daemon, summary_timer));
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

/* ", clock ± 0.350 ms (clockbound)", or "clock bound unknown" */
static void clock_status(const struct mo_clockwatch *w, char *buf, size_t len)
{
    char ms[32];
    if (w->bound_us < 0)
        snprintf(buf, len, ", clock bound unknown");
    else
        snprintf(buf, len, ", clock ± %s ms (%s%s)", mo_fmt_ms(w->bound_us, ms, sizeof ms),
                 mo_clocksrc_source_name(w->last.source),
                 w->last.status == MO_CB_SYNCHRONIZED ? "" : ", not synchronised");
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
    n = (int)strlen(status);
    if (d->canary && (size_t)n + 2 < sizeof status) {
        status[n++] = ',';
        status[n++] = ' ';
        mo_canary_status(d->canary, status + n, sizeof status - (size_t)n);
    }
    n = (int)strlen(status);
    if ((size_t)n + 2 < sizeof status)
        clock_status(&d->clockwatch, status + n, sizeof status - (size_t)n);
    n = (int)strlen(status);
    int64_t left;
    if (mo_keylife_left_s(&d->keylife, mo_real_ns() / MO_NSEC_PER_SEC, &left) && left <= MO_KEYLIFE_WARN_S &&
        (size_t)n < sizeof status) {
        char span[48];
        mo_keylife_span(left, span, sizeof span);
        snprintf(status + n, sizeof status - (size_t)n, left > 0 ? ", key expires in %s" : ", key expired %s ago",
                 span);
    }
    mo_notify_status(status);
    mo_daemon_clock_read(d);
    mo_daemon_key_check(d);
    mo_timer_start(d->loop, t, STATUS_PERIOD_US);
}

/* The key's expiry, once a second and at start and reload (its events). */
void mo_daemon_key_check(struct mo_daemon *d)
{
    mo_keylife_check(&d->keylife, mo_real_ns() / MO_NSEC_PER_SEC, d->remote.creds.source);
}

/* One reading of the clock a second: its events, the bound of each latency
 * until the next (subscriptions read clockwatch.bound_us), the canary's. */
void mo_daemon_clock_read(struct mo_daemon *d)
{
    struct mo_clock_reading clk;
    mo_clockwatch_check(&d->clockwatch, &clk);
    if (d->canary)
        mo_canary_set_bound(d->canary, clk.bound_us);
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

void mo_daemon_sub_up(struct mo_daemon *d)
{
    if (d->ready_sent)
        return;
    for (size_t i = 0; i < d->n_subs; i++)
        if (!mo_sub_ever_up(d->subs[i]))
            return;
    send_ready(d);
}
