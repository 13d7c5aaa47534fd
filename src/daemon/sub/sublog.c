/* sublog.c - a subscription's events (sublog.h). */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "sub/sublog.h"
#include "timefmt.h"
#include "util.h"

static int say_message(const char *cache, const char *topic, const struct mo_item *it,
                       const struct mo_latency *lat);
static int say_decode_error(const char *cache, const char *topic, uint64_t seq, const char *reason);
static int say_protocol_error(const char *cache, const char *topic, const char *reason);
static int say_gap(const char *cache, const char *topic, const struct mo_cont_step *st, uint64_t got_seq);
static int say_reset(const char *cache, const char *topic, uint64_t old_page, uint64_t new_page);
static int say_discontinuity(const char *cache, const char *topic, const struct mo_cont_step *st,
                             bool known, uint64_t next_seq);

typedef unsigned long long ull;

void mo_sublog_init(struct mo_sublog *lg, const char *cache, const char *topic,
                    const struct mo_sublog_limits *lim)
{
    *lg = (struct mo_sublog){.cache = cache, .topic = topic, .lim = lim};
}

/* A warning of kind k may be said: not past the interval's cap (else it is
 * counted as dropped). */
static bool warning_allowed(struct mo_sublog *lg, struct mo_stats *stats, enum mo_sublog_warning k)
{
    if (mo_cap_allows(&lg->warned, k, lg->lim->warnings_per_interval))
        return true;
    stats->warnings_dropped++;
    return false;
}

/* ... and was handed to the output, which may have refused it. */
static void warning_said(struct mo_sublog *lg, struct mo_stats *stats, enum mo_sublog_warning k, int emitted)
{
    if (emitted < 0)
        stats->warnings_dropped++;
    else
        mo_cap_used(&lg->warned, k);
}

static bool should_log(struct mo_sublog *lg, int64_t latency_us)
{
    const struct mo_sublog_limits *lim = lg->lim;
    switch (lim->messages) {
    case MO_LOG_MESSAGES_ALL:
        return true;
    case MO_LOG_MESSAGES_NONE:
        return false;
    default:
        return ++lg->sample_counter % lim->sample_every == 0 ||
               (latency_us >= 0 && (uint64_t)latency_us >= lim->slow_threshold_us);
    }
}

void mo_sublog_item(struct mo_sublog *lg, struct mo_stats *stats, enum mo_cont_verdict v,
                    const struct mo_cont_step *st, uint64_t seq, const struct mo_item *it,
                    const struct mo_latency *lat, uint64_t now_us)
{
    if (__builtin_expect(st->discontinuities != 0, 0) && warning_allowed(lg, stats, MO_SUBLOG_DISCONTINUITY))
        warning_said(lg, stats, MO_SUBLOG_DISCONTINUITY, say_discontinuity(lg->cache, lg->topic, st, true, seq));
    switch (v) {
    case MO_CONT_DUPLICATE:
        return;
    case MO_CONT_GAP:
        if (warning_allowed(lg, stats, MO_SUBLOG_GAP))
            warning_said(lg, stats, MO_SUBLOG_GAP, say_gap(lg->cache, lg->topic, st, seq));
        break;
    case MO_CONT_RESET:
        if (warning_allowed(lg, stats, MO_SUBLOG_RESET))
            warning_said(lg, stats, MO_SUBLOG_RESET, say_reset(lg->cache, lg->topic, st->old_page, st->new_page));
        break;
    default:
        break;
    }
    if (!lat || !mo_cont_delivers(v))
        return;
    if (__builtin_expect(!lat->ok, 0)) {
        if (warning_allowed(lg, stats, MO_SUBLOG_DECODE_ERROR))
            warning_said(lg, stats, MO_SUBLOG_DECODE_ERROR, say_decode_error(lg->cache, lg->topic, seq, lat->reason));
        return;
    }
    /* a message event if the budget allows; what is not logged is counted */
    if (should_log(lg, lat->latency_us) &&
        (!mo_budget_take(lg->lim->message_budget, now_us) ||
         say_message(lg->cache, lg->topic, it, lat) < 0))
        stats->log_dropped++;
}

void mo_sublog_protocol_error(struct mo_sublog *lg, struct mo_stats *stats, const char *reason)
{
    if (warning_allowed(lg, stats, MO_SUBLOG_PROTOCOL_ERROR))
        warning_said(lg, stats, MO_SUBLOG_PROTOCOL_ERROR, say_protocol_error(lg->cache, lg->topic, reason));
}

void mo_sublog_lost_at_stop(struct mo_sublog *lg, struct mo_stats *stats, const struct mo_cont_step *st)
{
    if (warning_allowed(lg, stats, MO_SUBLOG_DISCONTINUITY))
        warning_said(lg, stats, MO_SUBLOG_DISCONTINUITY, say_discontinuity(lg->cache, lg->topic, st, false, 0));
}

static int say_message(const char *cache, const char *topic, const struct mo_item *it,
                       const struct mo_latency *lat)
{
    char pub[48], recv[48], pid[256], ms[32], pm[48] = "";
    mo_time_format_rfc3339(lat->published_ns, 6, 0, pub, sizeof pub);
    mo_time_format_rfc3339(lat->received_ns, 6, 0, recv, sizeof recv);
    struct mo_event e;
    mo_event_init(&e, MO_EV_MESSAGE, cache, topic);
    mo_event_uint(&e, "seq", it->seq);
    mo_event_uint(&e, "page", it->page);
    mo_event_str(&e, "kind", it->value_kind == MO_VALUE_BINARY ? "binary" : "text");
    mo_event_uint(&e, "bytes", it->value_len);
    if (it->publisher_id_len) {
        size_t n = it->publisher_id_len < sizeof pid ? it->publisher_id_len : sizeof pid - 1;
        memcpy(pid, it->publisher_id, n);
        pid[n] = '\0';
        mo_event_str(&e, "publisher_id", pid);
    }
    mo_event_str(&e, "published_at", pub);
    mo_event_str(&e, "received_at", recv);
    mo_event_int(&e, "latency_us", lat->latency_us);
    /* the error bars: both clocks' bounds, when both are known */
    int64_t bound = mo_latency_bound_us(lat);
    mo_event_int(&e, "bound_us", bound);
    if (bound >= 0) {
        char b[32];
        snprintf(pm, sizeof pm, " ± %s ms", mo_fmt_ms(bound, b, sizeof b));
    }
    if (lat->skew_us > 0)
        mo_event_int(&e, "skew_us", lat->skew_us);
    mo_event_msg(&e, "%s/%s #%llu: latency %s ms%s%s", cache, topic, (ull)it->seq,
                 mo_fmt_ms(lat->latency_us, ms, sizeof ms), pm,
                 lat->skew_us > 0 ? " (below both clocks' bounds: a clock is wrong)" : "");
    return mo_event_emit(&e);
}

static int say_decode_error(const char *cache, const char *topic, uint64_t seq, const char *reason)
{
    struct mo_event e;
    mo_event_init(&e, MO_EV_DECODE_ERROR, cache, topic);
    mo_event_uint(&e, "seq", seq);
    mo_event_str(&e, "reason", reason);
    mo_event_msg(&e, "%s/%s: cannot read the publish time of message %llu: %s", cache, topic, (ull)seq,
                 reason);
    return mo_event_emit(&e);
}

static int say_protocol_error(const char *cache, const char *topic, const char *reason)
{
    struct mo_event e;
    mo_event_init(&e, MO_EV_PROTOCOL_ERROR, cache, topic);
    mo_event_str(&e, "reason", reason);
    mo_event_msg(&e, "%s/%s: the server sent a message the protocol does not allow, skipped: %s", cache,
                 topic, reason);
    return mo_event_emit(&e);
}

void mo_sublog_subscribed(const char *cache, const char *topic, uint64_t resume_at, uint64_t page,
                          unsigned attempt)
{
    struct mo_event e;
    mo_event_init(&e, MO_EV_SUBSCRIBED, cache, topic);
    mo_event_uint(&e, "resume_at", resume_at);
    mo_event_uint(&e, "page", page);
    mo_event_uint(&e, "attempt", attempt);
    if (resume_at)
        mo_event_msg(&e, "Subscribed to %s/%s, resuming at %llu on page %llu", cache, topic,
                     (ull)resume_at, (ull)page);
    else
        mo_event_msg(&e, "Subscribed to %s/%s (new messages)", cache, topic);
    mo_event_emit(&e);
}

void mo_sublog_page_announced(const char *cache, const char *topic, uint64_t page, uint64_t new_seq)
{
    struct mo_event e;
    mo_event_init(&e, MO_EV_PAGE_ANNOUNCED, cache, topic);
    mo_event_uint(&e, "page", page);
    mo_event_uint(&e, "new_seq", new_seq);
    mo_event_msg(&e, "%s/%s: the topic is on page %llu; its next message is numbered %llu or %llu",
                 cache, topic, (ull)page, (ull)new_seq, (ull)new_seq + 1);
    mo_event_emit(&e);
}

static int say_gap(const char *cache, const char *topic, const struct mo_cont_step *st, uint64_t got_seq)
{
    struct mo_event e;
    mo_event_init(&e, MO_EV_GAP, cache, topic);
    mo_event_uint(&e, "expected_seq", st->expected_seq);
    mo_event_uint(&e, "got_seq", got_seq);
    mo_event_uint(&e, "missing", st->missing);
    mo_event_msg(&e, "%s/%s: expected message %llu but got %llu; %llu missing", cache, topic,
                 (ull)st->expected_seq, (ull)got_seq, (ull)st->missing);
    return mo_event_emit(&e);
}

static int say_reset(const char *cache, const char *topic, uint64_t old_page, uint64_t new_page)
{
    struct mo_event e;
    mo_event_init(&e, MO_EV_RESET, cache, topic);
    mo_event_uint(&e, "old_page", old_page);
    mo_event_uint(&e, "new_page", new_page);
    mo_event_msg(&e, "%s/%s: topic restarted on page %llu (was %llu); sequence numbers start over",
                 cache, topic, (ull)new_page, (ull)old_page);
    return mo_event_emit(&e);
}

static int say_discontinuity(const char *cache, const char *topic, const struct mo_cont_step *st,
                            bool known, uint64_t next_seq)
{
    struct mo_event e;
    mo_event_init(&e, MO_EV_DISCONTINUITY, cache, topic);
    mo_event_uint(&e, "last_seq", st->disc.last_seq);
    mo_event_uint(&e, "new_seq", st->disc.new_seq);
    mo_event_uint(&e, "new_page", st->disc.page);
    mo_event_uint(&e, "last_delivered", st->last_delivered);
    mo_event_uint(&e, "discontinuities", st->discontinuities);
    char what[160];
    if (known) {
        mo_event_uint(&e, "next_seq", next_seq);
        mo_event_uint(&e, "lost", st->lost);
        snprintf(what, sizeof what, "%llu message%s lost between %llu and %llu", (ull)st->lost,
                 st->lost == 1 ? "" : "s", (ull)st->last_delivered, (ull)next_seq);
    } else {
        snprintf(what, sizeof what, "messages lost, how many is not known (no message came after it)");
    }
    mo_event_msg(&e, "%s/%s: the server skipped from %llu to %llu (page %llu): %s", cache, topic,
                 (ull)st->disc.last_seq, (ull)st->disc.new_seq, (ull)st->disc.page, what);
    return mo_event_emit(&e);
}

void mo_sublog_oversized(const char *cache, const char *topic, bool known, uint64_t page, uint64_t seq,
                         bool sized, uint64_t size, uint64_t limit)
{
    struct mo_event e;
    mo_event_init(&e, MO_EV_OVERSIZED, cache, topic);
    char num[48] = "a message", sz[80] = "";
    if (known) {
        mo_event_uint(&e, "seq", seq);
        mo_event_uint(&e, "page", page);
        snprintf(num, sizeof num, "message %llu", (ull)seq);
    }
    if (sized) {
        mo_event_uint(&e, "bytes", size);
        mo_event_uint(&e, "limit_bytes", limit);
        snprintf(sz, sizeof sz, " of %llu bytes (limit %llu)", (ull)size, (ull)limit);
    }
    mo_event_msg(&e, "%s/%s: %s%s is larger than the daemon receives; skipped", cache, topic, num, sz);
    mo_event_emit(&e);
}

void mo_sublog_idle_timeout(const char *cache, const char *topic, uint64_t idle_ms)
{
    struct mo_event e;
    mo_event_init(&e, MO_EV_IDLE_TIMEOUT, cache, topic);
    mo_event_uint(&e, "idle_ms", idle_ms);
    mo_event_msg(&e, "%s/%s: no message or heartbeat for %llu ms; resubscribing", cache, topic,
                 (ull)idle_ms);
    mo_event_emit(&e);
}

void mo_sublog_refusal(enum mo_event_type type, const char *cache, const char *topic, const char *status,
                       const char *details, const char *err, const char *hint)
{
    struct mo_event e;
    mo_event_init(&e, type, cache, topic);
    mo_event_str(&e, "status", status);
    mo_event_str(&e, "details", details);
    mo_event_str(&e, "hint", hint);
    if (type == MO_EV_LIMIT_EXCEEDED) { /* which limit, and its figure, when the answer says */
        long long limit;
        const char *name = mo_ending_limit(details, err, &limit);
        mo_event_str(&e, "limit_name", name ? name : "unknown");
        if (limit >= 0)
            mo_event_int(&e, "limit", limit);
    }
    mo_event_msg(&e, "%s/%s: %s (%s): %s", cache, topic, status, details, hint);
    mo_event_emit(&e);
}

void mo_sublog_resubscribing(const char *cache, const char *topic, const struct mo_sublog_end *x)
{
    struct mo_event e;
    mo_event_init(&e, MO_EV_RESUBSCRIBING, cache, topic);
    if (mo_ending_normal(x->end))
        e.level = MO_LEVEL_INFO; /* the service's normal ends: src/proto/README.md §7.1 */
    mo_event_str(&e, "status", x->status);
    mo_event_str(&e, "details", x->details);
    mo_event_str(&e, "end", mo_ending_name(x->end));
    mo_event_uint(&e, "lifetime_ms", x->lifetime_us / 1000);
    mo_event_uint(&e, "items", x->items);
    if (x->resumed)
        mo_event_uint(&e, "resume_at", x->resume_at);
    if (x->resumed && x->answered)
        mo_event_str(&e, "resume", mo_cont_resume_name(x->outcome));
    if (x->got_item)
        mo_event_uint(&e, "first_seq", x->first_seq);
    mo_event_uint(&e, "delay_ms", x->delay_us / 1000);
    mo_event_uint(&e, "attempt", x->attempt);
    char when[48] = "at once";
    if (x->delay_us)
        snprintf(when, sizeof when, "in %llu ms", (ull)(x->delay_us / 1000));
    mo_event_msg(&e, "%s/%s: stream ended with %s (%s) after %llu ms and %llu items; resubscribing %s (attempt %u)",
                 cache, topic, x->status, x->details, (ull)(x->lifetime_us / 1000), (ull)x->items, when,
                 x->attempt);
    mo_event_emit(&e);
}
