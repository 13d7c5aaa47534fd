/* canary.c - the canary's engine (canary.h): the schedule's timer, the
 * publish calls on the canary's own channel, the probes coming back.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "canary/canary.h"
#include "canary/canarylog.h"
#include "canary/peers.h"
#include "canary/probe.h"
#include "canary/ring.h"
#include "canary/schedule.h"
#include "cleanup.h"
#include "clock.h"
#include "conn.h"
#include "log/budget.h"
#include "rpc.h"
#include "secret.h"
#include "unary.h"
#include "util.h"

/* One publish in flight: a unary call (src/lib/TRANSPORT.md §7). */
struct pcall {
    mo_tag tag;
    mo_canary *c;
    struct pcall *prev, *next;
    uint64_t seq, start_us;
    mo_conn *conn; /* its header values live there until it ends */
    struct mo_unary u;
};

struct mo_canary {
    mo_loop *loop;
    struct mo_canary_config cfg; /* cache and topic owned */
    struct mo_canary_env env;    /* key_source borrowed from the owner, like sub settings */
    char host[MO_PROBE_HOST_MAX + 1];
    char id[MO_PROBE_ID_LEN + 1];
    mo_conn *conn;
    mo_conn **old_conns; /* replaced by a reload, their calls still in flight */
    size_t n_old_conns;
    struct mo_sched sched;
    struct mo_ring ring;
    struct mo_canary_account acct;
    struct mo_peers peers;
    mo_timer tick;
    int64_t bound_us;         /* this host's clock bound, -1 unknown */
    struct pcall *calls;      /* in flight */
    size_t n_calls;
    uint64_t interval_start_us;
    uint64_t not_probes;      /* this interval: values on the topic that are no probe */
    uint64_t lost_unlogged;   /* canary_lost events past the cap since the last one logged */
    uint64_t lost_unlogged_iv; /* the same, this interval (the summary's lost_not_logged) */
    uint64_t lost_logged;
    int error_said;           /* the status a canary_error was said for; 0 none since the last success */
    bool stopping;
    void (*drained)(void *ctx);
    void *drained_ctx;
    mo_timer drained_timer;
    char buf[MO_PROBE_SIZE_MAX + 1];
};

static void free_old_conns(mo_canary *c)
{
    for (size_t i = 0; i < c->n_old_conns; i++)
        mo_conn_free(c->old_conns[i]);
    free(c->old_conns);
    c->old_conns = NULL;
    c->n_old_conns = 0;
}

static void on_tick(mo_timer *t);
static void on_drained_timer(mo_timer *t);
static void arm(mo_canary *c);

static int make_conn(const struct mo_endpoint *ep, const char *token, mo_conn **ret, char *err, size_t errlen)
{
    /* Publish is never retried (src/proto/README.md §10): no retry layer */
    struct mo_conn_opts opts = {.disable_retries = true};
    return mo_conn_new(ep, token, &opts, ret, err, errlen);
}

static void new_id(char *out)
{
    unsigned char r[MO_PROBE_ID_LEN / 2];
    if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
        /* no entropy yet: time and pid make two processes differ all the same */
        uint64_t v = (uint64_t)mo_real_ns() ^ ((uint64_t)getpid() << 40) ^ mo_mono_us();
        memcpy(r, &v, sizeof r);
    }
    for (size_t i = 0; i < sizeof r; i++)
        snprintf(out + 2 * i, 3, "%02x", r[i]);
}

int mo_canary_new(mo_loop *loop, const struct mo_canary_config *cfg, const struct mo_canary_env *env,
                  const struct mo_endpoint *ep, const char *token, mo_canary **ret, char *err, size_t errlen)
{
    /* everything zero is what mo_canary_free takes apart: every failure goes there */
    mo_canary *c = calloc(1, sizeof *c);
    if (!c)
        goto oom;
    c->loop = loop;
    c->cfg = *cfg;
    c->env = *env;
    c->bound_us = -1;
    c->cfg.cache = strdup(cfg->cache);
    c->cfg.topic = strdup(cfg->topic);
    mo_timer_init(&c->tick, on_tick);
    mo_timer_init(&c->drained_timer, on_drained_timer);
    mo_sched_init(&c->sched, cfg->rate_milli);
    mo_peers_init(&c->peers);
    if (!c->cfg.cache || !c->cfg.topic ||
        mo_ring_init(&c->ring, mo_ring_cap_for(cfg->rate_milli, cfg->deadline_us), 1) < 0 ||
        mo_canary_account_init(&c->acct, cfg->slo_latency_us, cfg->slo_target_ppm) < 0) {
        mo_canary_free(c);
        goto oom;
    }
    int r = make_conn(ep, token, &c->conn, err, errlen);
    if (r < 0) {
        mo_canary_free(c);
        return r;
    }
    char name[256] = "";
    if (gethostname(name, sizeof name - 1) < 0)
        name[0] = '\0';
    mo_probe_host_clean(name, c->host); /* "unknown" when there is none */
    new_id(c->id);
    c->interval_start_us = mo_mono_us();
    *ret = c;
    return 0;
oom:
    snprintf(err, errlen, "out of memory");
    return -ENOMEM;
}

void mo_canary_free(mo_canary *c)
{
    if (!c)
        return;
    mo_timer_stop(c->loop, &c->tick);
    mo_timer_stop(c->loop, &c->drained_timer);
    mo_conn_free(c->conn);
    free_old_conns(c);
    mo_ring_free(&c->ring);
    mo_canary_account_clear(&c->acct);
    mo_peers_clear(&c->peers);
    free(c->cfg.cache);
    free(c->cfg.topic);
    free(c);
}

int mo_canary_update(mo_canary *c, const struct mo_canary_config *cfg, const struct mo_canary_env *env)
{
    /* room for the new schedule's probes besides those still in flight
     * (with a longer deadline those stay longer too) */
    size_t cap = mo_ring_cap_for(cfg->rate_milli, cfg->deadline_us) + c->ring.n;
    if (cap != c->ring.cap && mo_ring_resize(&c->ring, cap) < 0)
        return -ENOMEM;
    uint64_t now = mo_mono_us();
    if (cfg->rate_milli != c->cfg.rate_milli)
        mo_sched_rebase(&c->sched, cfg->rate_milli, now);
    if (cfg->deadline_us != c->cfg.deadline_us)
        mo_ring_set_deadline(&c->ring, cfg->deadline_us);
    c->acct.slo_latency_us = cfg->slo_latency_us;
    c->acct.target_ppm = cfg->slo_target_ppm;
    char *cache = c->cfg.cache, *topic = c->cfg.topic;
    c->cfg = *cfg;
    c->cfg.cache = cache;
    c->cfg.topic = topic;
    c->env = *env;
    if (c->sched.started && !c->stopping)
        arm(c);
    return 0;
}

int mo_canary_set_remote(mo_canary *c, const struct mo_endpoint *ep, const char *token, char *err,
                         size_t errlen)
{
    mo_conn *conn;
    int r = make_conn(ep, token, &conn, err, errlen);
    if (r < 0)
        return r;
    /* calls in flight use the old connection's header values: it is freed
     * once they are all back */
    bool used = false;
    for (struct pcall *q = c->calls; q; q = q->next)
        used |= q->conn == c->conn;
    if (used) {
        mo_conn **v = realloc(c->old_conns, (c->n_old_conns + 1) * sizeof *v);
        if (!v) {
            mo_conn_free(conn);
            snprintf(err, errlen, "out of memory");
            return -ENOMEM;
        }
        c->old_conns = v;
        c->old_conns[c->n_old_conns++] = c->conn;
    } else {
        mo_conn_free(c->conn);
    }
    c->conn = conn;
    c->error_said = 0;
    return 0;
}

void mo_canary_set_bound(mo_canary *c, int64_t bound_us) { c->bound_us = bound_us; }

static struct mo_canarylog_who who(const mo_canary *c)
{
    return (struct mo_canarylog_who){.cache = c->cfg.cache, .topic = c->cfg.topic, .host = c->host, .id = c->id};
}

/* ---- publishing ---- */

/* A call on a replaced connection is over: the connection goes with the last. */
static void old_conn_done(mo_canary *c, mo_conn *conn)
{
    for (struct pcall *q = c->calls; q; q = q->next)
        if (q->conn == conn)
            return;
    for (size_t i = 0; i < c->n_old_conns; i++)
        if (c->old_conns[i] == conn) {
            mo_conn_free(conn);
            c->old_conns[i] = c->old_conns[--c->n_old_conns];
            return;
        }
}

static void call_release(struct pcall *pc)
{
    mo_canary *c = pc->c;
    if (pc->prev)
        pc->prev->next = pc->next;
    else
        c->calls = pc->next;
    if (pc->next)
        pc->next->prev = pc->prev;
    c->n_calls--;
    mo_conn *conn = pc->conn;
    mo_unary_clear(&pc->u);
    free(pc);
    if (conn != c->conn)
        old_conn_done(c, conn);
}

/* Operator-actionable refusals get one canary_error until a publish succeeds. */
static bool actionable(grpc_status_code s)
{
    return s == GRPC_STATUS_PERMISSION_DENIED || s == GRPC_STATUS_UNAUTHENTICATED || s == GRPC_STATUS_NOT_FOUND ||
           s == GRPC_STATUS_RESOURCE_EXHAUSTED || s == GRPC_STATUS_INVALID_ARGUMENT;
}

static void publish_ended(mo_canary *c, uint64_t seq, grpc_status_code status, const char *details,
                          uint64_t latency_us)
{
    mo_canary_account_publish(&c->acct, (int)status, latency_us);
    struct mo_ring_slot *slot = mo_ring_find(&c->ring, seq);
    if (slot)
        slot->flags |= status == GRPC_STATUS_OK ? MO_RING_PUBLISHED : MO_RING_FAILED;
    if (status == GRPC_STATUS_OK) {
        c->error_said = 0;
        return;
    }
    if (actionable(status) && c->error_said != (int)status && !c->stopping) {
        c->error_said = (int)status;
        char safe[256];
        mo_secret_scrub(details, strlen(details), safe, sizeof safe);
        struct mo_canarylog_who w = who(c);
        mo_canarylog_error(&w, (int)status, safe, c->env.key_source);
    }
}

static void on_publish_done(mo_tag *tag, bool ok)
{
    struct pcall *pc = container_of(tag, struct pcall, tag);
    mo_canary *c = pc->c;
    uint64_t latency = mo_mono_us() - pc->start_us;
    grpc_status_code st = ok ? pc->u.status : GRPC_STATUS_UNKNOWN;
    /* a call the stop cancelled says nothing of the service: not counted */
    if (!c->stopping) {
        char *details = mo_slice_strdup(pc->u.details);
        publish_ended(c, pc->seq, st, details ? details : "", latency);
        free(details);
    }
    call_release(pc);
    if (c->stopping && c->n_calls == 0 && c->drained)
        mo_timer_start(c->loop, &c->drained_timer, 0);
}

/* Probe seq leaves now; false when it could not be handed to gRPC (it is
 * then a publish error, and lost at its deadline like any probe that does not
 * come back). */
static void publish(mo_canary *c, uint64_t seq)
{
    uint64_t start = mo_mono_us();
    struct pcall *pc = calloc(1, sizeof *pc);
    if (!pc) {
        publish_ended(c, seq, GRPC_STATUS_INTERNAL, "out of memory", MO_CANARY_NOT_STARTED);
        return;
    }
    pc->c = c;
    pc->conn = c->conn;
    pc->seq = seq;
    pc->tag.fn = on_publish_done;
    mo_unary_init(&pc->u);
    pc->next = c->calls;
    if (c->calls)
        c->calls->prev = pc;
    c->calls = pc;
    c->n_calls++;

    /* the real time is read last, as momento-publish does: only this probe's
     * encoding separates it from the hand-over */
    long len = mo_probe_build(c->buf, sizeof c->buf, c->id, c->host, seq, mo_real_ns(), c->bound_us,
                              (size_t)c->cfg.size);
    if (len < 0) /* a size too small for the probe: the configuration's check lets none through */
        len = mo_probe_build(c->buf, sizeof c->buf, c->id, c->host, seq, mo_real_ns(), c->bound_us, 0);
    if (len >= 0)
        pc->u.req = mo_publish_request(c->cfg.cache, c->cfg.topic, c->buf, (size_t)len, false);
    gpr_timespec deadline = gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                                         gpr_time_from_micros((int64_t)c->cfg.deadline_us, GPR_TIMESPAN));
    pc->start_us = start;
    if (pc->u.req)
        pc->u.call = mo_conn_call(c->conn, mo_loop_cq(c->loop), MO_METHOD_PUBLISH, deadline);
    if (!pc->u.call) {
        call_release(pc);
        publish_ended(c, seq, GRPC_STATUS_INTERNAL, "cannot start the publish call", MO_CANARY_NOT_STARTED);
        return;
    }
    if (mo_unary_start(&pc->u, c->conn, c->cfg.cache, &pc->tag) != GRPC_CALL_OK) {
        call_release(pc);
        publish_ended(c, seq, GRPC_STATUS_INTERNAL, "grpc_call_start_batch failed", MO_CANARY_NOT_STARTED);
    }
}

/* ---- the schedule ---- */

static int64_t real_of(uint64_t mono_us)
{
    return mo_real_ns() - (int64_t)(mo_mono_us() - mono_us) * 1000;
}

/* One probe lost: counted, and logged within the cap (what the cap held
 * back is said with the next one logged, and in the summary). */
static void lost_one(mo_canary *c, uint64_t seq, const struct mo_ring_slot *slot, const char *why)
{
    mo_canary_account_lost(&c->acct);
    if (c->lost_logged >= c->env.warnings_per_interval) {
        c->lost_unlogged++;
        c->lost_unlogged_iv++;
        return;
    }
    if (!why)
        why = slot->flags & MO_RING_SKIPPED     ? "the daemon's loop reached it only after its deadline: not published"
              : slot->flags & MO_RING_FAILED    ? "its publish failed"
              : slot->flags & MO_RING_PUBLISHED ? "the service accepted it but did not deliver it in time"
                                                : "its publish was not answered within the deadline";
    struct mo_canarylog_who w = who(c);
    mo_canarylog_lost(&w, seq, real_of(slot->scheduled_us), slot->due_us - slot->scheduled_us, why, c->lost_unlogged);
    c->lost_logged++;
    c->lost_unlogged = 0;
}

/* Every probe in flight past its deadline at now is lost. */
static void expire(mo_canary *c, uint64_t now)
{
    uint64_t seq;
    struct mo_ring_slot slot;
    while (mo_ring_expire(&c->ring, now, &seq, &slot))
        lost_one(c, seq, &slot, NULL);
}

/* Every probe due by now leaves, each timed from its own moment; one the
 * loop reaches only after its deadline is lost without being published (it
 * could only arrive late). */
static void run(mo_canary *c)
{
    uint64_t now = mo_mono_us(), seq, due;
    expire(c, now);
    while (!c->stopping && mo_sched_take(&c->sched, now, &seq, &due)) {
        uint64_t deadline = due + c->cfg.deadline_us;
        /* after a stall the probes it held back leave one after another:
         * those already past their deadline give their place at once */
        expire(c, now);
        if (mo_ring_push(&c->ring, seq, due, deadline) == -ENOSPC) {
            /* cannot happen with the ring sized for rate x deadline (and what
             * a reload left in flight); make room by the oldest all the same */
            uint64_t old;
            struct mo_ring_slot slot;
            if (mo_ring_expire(&c->ring, UINT64_MAX, &old, &slot))
                lost_one(c, old, &slot, "the ring of probes in flight was full");
            (void)mo_ring_push(&c->ring, seq, due, deadline);
        }
        mo_canary_account_sent(&c->acct, now - due);
        if (deadline > now)
            publish(c, seq);
        else
            mo_ring_find(&c->ring, seq)->flags |= MO_RING_SKIPPED;
        now = mo_mono_us();
    }
    expire(c, now);
}

static void arm(mo_canary *c)
{
    uint64_t at = mo_sched_next_due(&c->sched);
    struct mo_ring_slot *front = c->ring.n ? &c->ring.v[c->ring.head] : NULL;
    if (front && front->state == MO_RING_OUT && front->due_us < at)
        at = front->due_us;
    mo_timer_start_at(c->loop, &c->tick, at);
}

static void on_tick(mo_timer *t)
{
    mo_canary *c = container_of(t, mo_canary, tick);
    run(c);
    if (!c->stopping)
        arm(c);
}

void mo_canary_stream_up(mo_canary *c)
{
    if (c->sched.started || c->stopping)
        return;
    mo_sched_start(&c->sched, mo_mono_us());
    run(c);
    arm(c);
}

/* ---- probes coming back ---- */

void mo_canary_tap(void *ctx, const struct mo_item *it, const struct mo_latency *lat, uint64_t received_mono_us)
{
    mo_canary *c = ctx;
    /* a probe whose deadline passed since the last tick is lost, then late */
    expire(c, received_mono_us);
    struct mo_probe p;
    if (!it->value || mo_probe_parse(it->value, it->value_len, &p) < 0) {
        c->not_probes++;
        return;
    }
    if (strcmp(p.id, c->id) != 0) {
        if (lat->ok)
            (void)mo_peers_record(&c->peers, &p, lat->latency_us, c->bound_us);
        else
            c->not_probes++;
        return;
    }
    struct mo_ring_slot slot;
    switch (mo_ring_receive(&c->ring, p.seq, &slot)) {
    case MO_RING_RECEIVED:
        mo_canary_account_received(&c->acct, p.seq,
                                   received_mono_us > slot.scheduled_us ? received_mono_us - slot.scheduled_us : 0);
        break;
    case MO_RING_DUPLICATE:
        mo_canary_account_duplicate(&c->acct);
        break;
    case MO_RING_AFTER_DEADLINE:
        mo_canary_account_after_deadline(&c->acct);
        break;
    case MO_RING_TOO_OLD:
        mo_canary_account_too_old(&c->acct);
        break;
    case MO_RING_NOT_SENT: /* our id, a number never sent: not ours after all */
        c->not_probes++;
        break;
    }
}

/* ---- summaries, status, stop ---- */

static void peer_event(const struct mo_peer *p, void *ud)
{
    const struct mo_canarylog_who *w = ud;
    mo_canarylog_peer(w, p);
}

void mo_canary_summary(mo_canary *c, mo_canary_report_fn *report, void *ud)
{
    uint64_t now = mo_mono_us();
    if (!c->stopping)
        expire(c, now);
    struct mo_canarylog_who w = who(c);
    if (report)
        report(ud, &(struct mo_canary_interval){.cache = c->cfg.cache,
                                                .topic = c->cfg.topic,
                                                .host = c->host,
                                                .id = c->id,
                                                .acct = &c->acct,
                                                .in_flight = c->ring.in_flight,
                                                .interval_us = now - c->interval_start_us});
    mo_canarylog_summary(&w, &c->acct, c->ring.in_flight, now - c->interval_start_us, c->not_probes,
                         c->peers.dropped, c->lost_unlogged_iv, !c->sched.started);
    mo_peers_end_interval(&c->peers, peer_event, &w);
    double avail = mo_canary_availability(&c->acct.iv);
    double burn = mo_canary_burn_rate(avail, c->acct.target_ppm);
    enum mo_canary_turn turn = mo_canary_account_end_interval(&c->acct);
    if (turn != MO_CANARY_STEADY)
        mo_canarylog_turn(&w, turn == MO_CANARY_DEGRADED, avail, burn, c->acct.target_ppm);
    c->interval_start_us = now;
    c->not_probes = 0;
    c->lost_logged = c->lost_unlogged_iv = 0;
}

static void on_drained_timer(mo_timer *t)
{
    mo_canary *c = container_of(t, mo_canary, drained_timer);
    if (c->drained)
        c->drained(c->drained_ctx);
}

void mo_canary_stop(mo_canary *c, void (*drained)(void *ctx), void *ctx)
{
    c->stopping = true;
    c->drained = drained;
    c->drained_ctx = ctx;
    mo_timer_stop(c->loop, &c->tick);
    for (struct pcall *pc = c->calls; pc; pc = pc->next)
        grpc_call_cancel(pc->u.call, NULL);
    if (c->n_calls == 0 && drained)
        mo_timer_start(c->loop, &c->drained_timer, 0);
}

bool mo_canary_busy(const mo_canary *c) { return c->n_calls > 0; }

void mo_canary_status(const mo_canary *c, char *buf, size_t len)
{
    if (!c->sched.started) {
        snprintf(buf, len, "canary waiting");
        return;
    }
    char p99[32], pct[32] = "no probe back yet";
    double a = mo_canary_availability(&c->acct.total);
    if (a >= 0)
        snprintf(pct, sizeof pct, "%.2f%%", a * 100);
    if (mo_hist_count(c->acct.rtt))
        snprintf(buf, len, "canary rtt p99 %s ms, %s", mo_fmt_ms(mo_hist_quantile(c->acct.rtt, 0.99), p99, sizeof p99),
                 pct);
    else
        snprintf(buf, len, "canary %s", pct);
}

const struct mo_canary_account *mo_canary_account_of(const mo_canary *c) { return &c->acct; }
uint64_t mo_canary_in_flight(const mo_canary *c) { return c->ring.in_flight; }
const char *mo_canary_id(const mo_canary *c) { return c->id; }
const char *mo_canary_cache(const mo_canary *c) { return c->cfg.cache; }
const char *mo_canary_topic(const mo_canary *c) { return c->cfg.topic; }
