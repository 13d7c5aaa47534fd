/* canarylog.c - the canary's events (canarylog.h). */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "canary/canarylog.h"
#include "log/event.h"
#include "rpc.h"
#include "timefmt.h"
#include "util.h"

typedef unsigned long long ull;

/* A histogram's text: canary histograms are narrow (round trips and one-way
 * latencies), so a small buffer holds them; a wider one gets one of its own. */
static char hist_small[16 * 1024];

static const char *hist_text(const mo_hist *h, char **owned)
{
    *owned = NULL;
    if (mo_hist_encode(h, hist_small, sizeof hist_small) >= 0)
        return hist_small;
    size_t len = 256 * 1024; /* every bucket of both signs */
    char *big = malloc(len);
    if (big && mo_hist_encode(h, big, len) >= 0)
        return *owned = big;
    free(big);
    return NULL; /* out of memory: the event goes without, the counts are still there */
}

static void who_fields(struct mo_event *e, const struct mo_canarylog_who *w)
{
    mo_event_str(e, "host", w->host);
    mo_event_str(e, "id", w->id);
}

/* "UNAVAILABLE:3,DEADLINE_EXCEEDED:1", or "" */
static void statuses(const struct mo_canary_counts *c, char *buf, size_t len)
{
    size_t n = 0;
    buf[0] = '\0';
    for (int s = 1; s < MO_CANARY_STATUSES && n < len; s++) {
        if (!c->publish_errors_by[s])
            continue;
        int k = snprintf(buf + n, len - n, "%s%s:%llu", n ? "," : "", mo_status_name((grpc_status_code)s),
                         (ull)c->publish_errors_by[s]);
        if (k < 0)
            break;
        n += (size_t)k;
    }
}

void mo_canarylog_summary(const struct mo_canarylog_who *w, const struct mo_canary_account *a,
                          uint64_t in_flight, uint64_t interval_us, uint64_t not_probes,
                          uint64_t peers_dropped, uint64_t lost_not_logged, bool waiting)
{
    const struct mo_canary_counts *iv = &a->iv, *t = &a->total;
    double avail = mo_canary_availability(iv), avail_total = mo_canary_availability(t);
    double burn = mo_canary_burn_rate(avail, a->target_ppm);
    char errs[512], p99[32], pct[32];
    statuses(iv, errs, sizeof errs);
    char *owned;
    const char *htext = hist_text(a->rtt, &owned);

    struct mo_event e;
    mo_event_init(&e, MO_EV_CANARY, w->cache, w->topic);
    who_fields(&e, w);
    mo_event_double(&e, "interval_s", (double)interval_us / 1e6);
    mo_event_uint(&e, "sent", iv->sent);
    mo_event_uint(&e, "received", iv->received);
    mo_event_uint(&e, "lost", iv->lost);
    mo_event_uint(&e, "sent_total", t->sent);
    mo_event_uint(&e, "received_total", t->received);
    mo_event_uint(&e, "lost_total", t->lost);
    mo_event_uint(&e, "in_flight", in_flight);
    mo_event_uint(&e, "late", iv->late);
    mo_event_uint(&e, "duplicates", iv->duplicates);
    mo_event_uint(&e, "out_of_order", iv->out_of_order);
    mo_event_uint(&e, "after_deadline", iv->after_deadline);
    mo_event_uint(&e, "too_old", iv->too_old);
    mo_event_uint(&e, "not_probes", not_probes);
    mo_event_uint(&e, "publishes", iv->publishes);
    mo_event_uint(&e, "publish_errors", iv->publish_errors);
    if (errs[0])
        mo_event_str(&e, "publish_error_statuses", errs);
    if (mo_hist_count(a->rtt)) {
        mo_event_int(&e, "rtt_min_us", mo_hist_min(a->rtt));
        mo_event_int(&e, "rtt_p50_us", mo_hist_quantile(a->rtt, 0.50));
        mo_event_int(&e, "rtt_p90_us", mo_hist_quantile(a->rtt, 0.90));
        mo_event_int(&e, "rtt_p99_us", mo_hist_quantile(a->rtt, 0.99));
        mo_event_int(&e, "rtt_p999_us", mo_hist_quantile(a->rtt, 0.999));
        mo_event_int(&e, "rtt_max_us", mo_hist_max(a->rtt));
    }
    if (mo_hist_count(a->publish)) {
        mo_event_int(&e, "publish_p50_us", mo_hist_quantile(a->publish, 0.50));
        mo_event_int(&e, "publish_p99_us", mo_hist_quantile(a->publish, 0.99));
    }
    mo_event_uint(&e, "schedule_lag_us", a->schedule_lag_max_us);
    if (avail >= 0) {
        mo_event_double(&e, "availability", avail);
        mo_event_double(&e, "burn_rate", burn);
    }
    if (avail_total >= 0)
        mo_event_double(&e, "availability_total", avail_total);
    mo_event_double(&e, "slo_target", (double)a->target_ppm / 1e6);
    mo_event_uint(&e, "slo_latency_us", a->slo_latency_us);
    mo_event_bool(&e, "degraded", a->degraded);
    if (peers_dropped)
        mo_event_uint(&e, "peers_dropped", peers_dropped);
    if (lost_not_logged)
        mo_event_uint(&e, "lost_not_logged", lost_not_logged);
    if (htext)
        mo_event_str(&e, "histogram", htext);

    if (waiting)
        mo_event_msg(&e, "canary %s/%s: waiting for the canary stream's first message; no probe sent yet",
                     w->cache, w->topic);
    else if (avail < 0)
        mo_event_msg(&e, "canary %s/%s: %llu probes sent, none received or lost yet; %llu in flight",
                     w->cache, w->topic, (ull)iv->sent, (ull)in_flight);
    else {
        snprintf(pct, sizeof pct, "%.2f%%", avail * 100);
        mo_event_msg(&e, "canary %s/%s: %llu sent, %llu received, %llu lost, %llu late; round trip p99 %s ms; "
                         "availability %s, burn rate %.2f",
                     w->cache, w->topic, (ull)iv->sent, (ull)iv->received, (ull)iv->lost, (ull)iv->late,
                     mo_hist_count(a->rtt) ? mo_fmt_ms(mo_hist_quantile(a->rtt, 0.99), p99, sizeof p99) : "-",
                     pct, burn);
    }
    mo_event_emit(&e);
    free(owned);
}

void mo_canarylog_peer(const struct mo_canarylog_who *w, const struct mo_peer *p)
{
    char p50[32], p99[32], bound[48] = "";
    char *owned;
    const char *htext = hist_text(p->hist, &owned);
    struct mo_event e;
    mo_event_init(&e, MO_EV_CANARY_PEER, w->cache, w->topic);
    mo_event_str(&e, "host", p->host);
    mo_event_str(&e, "id", p->id);
    mo_event_uint(&e, "received", p->received);
    mo_event_uint(&e, "lost", p->lost);
    if (mo_hist_count(p->hist)) {
        mo_event_int(&e, "p50_us", mo_hist_quantile(p->hist, 0.50));
        mo_event_int(&e, "p99_us", mo_hist_quantile(p->hist, 0.99));
        mo_event_int(&e, "max_us", mo_hist_max(p->hist));
    }
    if (p->bound_us >= 0) {
        mo_event_int(&e, "bound_us", p->bound_us);
        char b[32];
        snprintf(bound, sizeof bound, " ± %s ms", mo_fmt_ms(p->bound_us, b, sizeof b));
    }
    mo_event_str(&e, "reporter", w->host);
    if (htext)
        mo_event_str(&e, "histogram", htext);
    mo_event_msg(&e, "canary %s/%s: %llu probes from %s (one-way, two clocks): p50 %s ms, p99 %s ms%s; %llu lost",
                 w->cache, w->topic, (ull)p->received, p->host,
                 mo_fmt_ms(mo_hist_quantile(p->hist, 0.50), p50, sizeof p50),
                 mo_fmt_ms(mo_hist_quantile(p->hist, 0.99), p99, sizeof p99), bound, (ull)p->lost);
    mo_event_emit(&e);
    free(owned);
}

void mo_canarylog_lost(const struct mo_canarylog_who *w, uint64_t seq, int64_t scheduled_real_ns,
                       uint64_t deadline_us, const char *why, uint64_t unlogged)
{
    char at[MO_TIME_RFC3339_MAX], more[96] = "";
    if (mo_time_format_rfc3339(scheduled_real_ns, 6, 0, at, sizeof at) < 0)
        snprintf(at, sizeof at, "unknown");
    if (unlogged)
        snprintf(more, sizeof more, " (%llu more lost before it were not logged)", (ull)unlogged);
    struct mo_event e;
    mo_event_init(&e, MO_EV_CANARY_LOST, w->cache, w->topic);
    who_fields(&e, w);
    mo_event_uint(&e, "seq", seq);
    mo_event_str(&e, "scheduled_at", at);
    mo_event_uint(&e, "deadline_ms", deadline_us / 1000);
    mo_event_str(&e, "reason", why);
    if (unlogged)
        mo_event_uint(&e, "not_logged", unlogged);
    mo_event_msg(&e, "canary %s/%s: probe %llu (due %s) not received within %llu ms: %s%s", w->cache,
                 w->topic, (ull)seq, at, (ull)(deadline_us / 1000), why, more);
    mo_event_emit(&e);
}

void mo_canarylog_turn(const struct mo_canarylog_who *w, bool degraded, double availability,
                       double burn_rate, uint32_t target_ppm)
{
    struct mo_event e;
    mo_event_init(&e, degraded ? MO_EV_CANARY_DEGRADED : MO_EV_CANARY_RECOVERED, w->cache, w->topic);
    who_fields(&e, w);
    mo_event_double(&e, "availability", availability);
    mo_event_double(&e, "burn_rate", burn_rate);
    mo_event_double(&e, "slo_target", (double)target_ppm / 1e6);
    if (degraded)
        mo_event_msg(&e, "canary %s/%s: availability %.3f%% is under the %.4g%% objective (burn rate %.2f): "
                         "the error budget runs out faster than the SLO allows",
                     w->cache, w->topic, availability * 100, (double)target_ppm / 1e4, burn_rate);
    else
        mo_event_msg(&e, "canary %s/%s: availability %.3f%% meets the %.4g%% objective again (burn rate %.2f)",
                     w->cache, w->topic, availability * 100, (double)target_ppm / 1e4, burn_rate);
    mo_event_emit(&e);
}

static void hint_for(int status, const struct mo_canarylog_who *w, const char *key_source, char *buf,
                     size_t len)
{
    switch (status) {
    case GRPC_STATUS_PERMISSION_DENIED:
        snprintf(buf, len, "this key cannot publish to %s/%s: give the canary a key with publish rights, "
                           "or remove canary:", w->cache, w->topic);
        break;
    case GRPC_STATUS_UNAUTHENTICATED:
        snprintf(buf, len, "the service rejected the API key (from %s): give a valid key, then reload",
                 key_source ? key_source : "the configuration");
        break;
    case GRPC_STATUS_NOT_FOUND:
        snprintf(buf, len, "cache %s does not exist: create it, or set canary.cache to one that does", w->cache);
        break;
    case GRPC_STATUS_RESOURCE_EXHAUSTED:
        snprintf(buf, len, "the account's limits refuse the canary's publishes: lower canary.rate or "
                           "canary.size, or ask Momento support to raise the limit");
        break;
    case GRPC_STATUS_INVALID_ARGUMENT:
        snprintf(buf, len, "the service refused the probe as sent: check canary.cache, canary.topic and canary.size");
        break;
    default:
        snprintf(buf, len, "probes are counted lost until publishes succeed again; check the service's "
                           "status and this host's network");
    }
}

void mo_canarylog_error(const struct mo_canarylog_who *w, int status, const char *details,
                        const char *key_source)
{
    char hint[256];
    hint_for(status, w, key_source, hint, sizeof hint);
    struct mo_event e;
    mo_event_init(&e, MO_EV_CANARY_ERROR, w->cache, w->topic);
    who_fields(&e, w);
    mo_event_str(&e, "status", mo_status_name((grpc_status_code)status));
    mo_event_str(&e, "details", details);
    mo_event_str(&e, "hint", hint);
    mo_event_msg(&e, "canary %s/%s: cannot publish probes: %s (%s); %s; the rest of the daemon runs on",
                 w->cache, w->topic, mo_status_name((grpc_status_code)status), details, hint);
    mo_event_emit(&e);
}
