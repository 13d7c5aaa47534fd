/* stats.c - per-interval counters and latency histograms; summary events. */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "log/event.h"
#include "sub/stats.h"
#include "util.h"

int mo_stats_init(struct mo_stats *s)
{
    *s = (struct mo_stats){.start_us = mo_mono_us()};
    return mo_hist_new(&s->hist);
}

void mo_stats_clear(struct mo_stats *s)
{
    mo_hist_free(s->hist);
    *s = (struct mo_stats){0};
}

void mo_stats_item(struct mo_stats *s, enum mo_cont_verdict v, const struct mo_cont_step *st,
                   const struct mo_latency *lat)
{
    if (__builtin_expect(st->discontinuities != 0, 0))
        s->lost += st->lost;
    switch (v) {
    case MO_CONT_DUPLICATE:
        s->duplicates++;
        return;
    case MO_CONT_GAP:
        s->gaps += st->missing;
        break;
    case MO_CONT_RESET:
        s->resets++;
        break;
    default:
        break;
    }
    if (!lat || !mo_cont_delivers(v))
        return;
    s->count++;
    if (__builtin_expect(lat->ok, 1)) {
        mo_hist_record(s->hist, lat->latency_us);
        mo_pubtally_add(&s->all, lat);
    } else {
        s->decode_errors++;
        mo_reasons_add(&s->decode_reasons, lat->reason, 1);
    }
}

void mo_stats_protocol_error(struct mo_stats *s, const char *reason)
{
    s->protocol_errors++;
    mo_reasons_add(&s->protocol_reasons, reason, 1);
}

void mo_stats_add(struct mo_stats *dst, const struct mo_stats *src)
{
    mo_hist_merge(dst->hist, src->hist);
    dst->count += src->count;
    dst->decode_errors += src->decode_errors;
    dst->protocol_errors += src->protocol_errors;
    dst->gaps += src->gaps;
    dst->duplicates += src->duplicates;
    dst->discontinuities += src->discontinuities;
    dst->resets += src->resets;
    dst->lost += src->lost;
    dst->resubscribes += src->resubscribes;
    for (int i = 0; i < MO_END__COUNT; i++)
        dst->ends[i] += src->ends[i];
    for (int i = 0; i < MO_CONT_RESUME__COUNT; i++)
        dst->resumes[i] += src->resumes[i];
    if (src->max_silence_us > dst->max_silence_us)
        dst->max_silence_us = src->max_silence_us;
    dst->log_dropped += src->log_dropped;
    dst->warnings_dropped += src->warnings_dropped;
    dst->sink_dropped += src->sink_dropped;
    dst->state_saves_ahead_of_log += src->state_saves_ahead_of_log;
    mo_pubtally_merge(&dst->all, &src->all);
    mo_pubtally_merge(&dst->anonymous, &src->anonymous);
    mo_reasons_merge(&dst->decode_reasons, &src->decode_reasons);
    mo_reasons_merge(&dst->protocol_reasons, &src->protocol_reasons);
}

/* every bucket of both signs encodes to about 146 KB */
static char hist_buf[256 * 1024];

static void summary_emit(const char *cache, const char *topic, const struct mo_stats *s,
                         double interval_s, const struct mo_clock_summary *clk)
{
    const mo_hist *h = s->hist;
    int64_t p50 = mo_hist_quantile(h, 0.50), p90 = mo_hist_quantile(h, 0.90);
    int64_t p99 = mo_hist_quantile(h, 0.99), p999 = mo_hist_quantile(h, 0.999);
    int64_t mn = mo_hist_min(h), mx = mo_hist_max(h);
    uint64_t measured = mo_hist_count(h);
    double rate = interval_s > 0 ? (double)s->count / interval_s : 0;
    if (mo_hist_encode(h, hist_buf, sizeof hist_buf) < 0)
        snprintf(hist_buf, sizeof hist_buf, "h1"); /* cannot happen: 256 KiB holds every bucket */

    struct mo_event e;
    mo_event_init(&e, MO_EV_SUMMARY, cache, topic);
    mo_event_double(&e, "interval_s", interval_s);
    mo_event_uint(&e, "count", s->count);
    mo_event_uint(&e, "with_latency", measured);
    mo_event_double(&e, "rate_per_s", rate);
    mo_event_int(&e, "min_us", mn);
    mo_event_int(&e, "p50_us", p50);
    mo_event_int(&e, "p90_us", p90);
    mo_event_int(&e, "p99_us", p99);
    mo_event_int(&e, "p999_us", p999);
    mo_event_int(&e, "max_us", mx);
    mo_event_uint(&e, "negative", mo_hist_negative(h));
    mo_event_uint(&e, "decode_errors", s->decode_errors);
    mo_event_uint(&e, "protocol_errors", s->protocol_errors);
    mo_event_uint(&e, "gaps", s->gaps);
    mo_event_uint(&e, "duplicates", s->duplicates);
    mo_event_uint(&e, "discontinuities", s->discontinuities);
    mo_event_uint(&e, "resets", s->resets);
    mo_event_uint(&e, "lost", s->lost);
    mo_event_uint(&e, "reconnects", s->resubscribes); /* momento-subscriberd(8) names it so */
    mo_event_uint(&e, "ends_ok", s->ends[MO_END_OK]);
    mo_event_uint(&e, "ends_rst", s->ends[MO_END_RST]);
    mo_event_uint(&e, "ends_idle", s->ends[MO_END_IDLE]);
    mo_event_uint(&e, "ends_cancelled", s->ends[MO_END_CANCELLED]);
    mo_event_uint(&e, "ends_error", s->ends[MO_END_ERROR]);
    mo_event_uint(&e, "oversized", s->ends[MO_END_OVERSIZED]);
    mo_event_uint(&e, "resumes_exact", s->resumes[MO_CONT_RESUME_EXACT]);
    mo_event_uint(&e, "resumes_repeated", s->resumes[MO_CONT_RESUME_REPEATED]);
    mo_event_uint(&e, "resumes_skipped", s->resumes[MO_CONT_RESUME_SKIPPED]);
    mo_event_uint(&e, "resumes_discontinuity", s->resumes[MO_CONT_RESUME_DISCONTINUITY]);
    mo_event_uint(&e, "max_silence_ms", s->max_silence_us / 1000);
    mo_event_bool(&e, "clock_synced", clk->synced);
    mo_event_int(&e, "clock_error_us", clk->kernel.error_us);
    mo_event_int(&e, "clock_esterror_us", clk->kernel.esterror_us);
    mo_event_str(&e, "clock_source", mo_clocksrc_source_name(clk->source));
    mo_event_int(&e, "clock_bound_us", clk->bound_us);
    mo_event_str(&e, "clock_status", mo_cb_status_name(clk->status));
    int64_t pub_bound = mo_pubtally_bound(&s->all);
    mo_event_int(&e, "publisher_bound_us", pub_bound);
    mo_event_uint(&e, "skewed", s->all.skewed);
    if (clk->key_expires_known)
        mo_event_int(&e, "key_expires_in_s", clk->key_expires_in_s);
    char reasons[600], preasons[600], dropped[240] = "", protocol[96] = "";
    mo_reasons_format(&s->decode_reasons, 3, reasons, sizeof reasons);
    mo_reasons_format(&s->protocol_reasons, 3, preasons, sizeof preasons);
    mo_event_uint(&e, "log_dropped", s->log_dropped);
    mo_event_uint(&e, "warnings_dropped", s->warnings_dropped);
    if (strcmp(cache, "*") == 0) {
        mo_event_uint(&e, "sink_dropped", s->sink_dropped);
        mo_event_uint(&e, "state_saves_ahead_of_log", s->state_saves_ahead_of_log);
    }
    mo_event_str(&e, "decode_error_reasons", reasons);
    mo_event_str(&e, "protocol_error_reasons", preasons);
    mo_event_str(&e, "histogram", hist_buf);
    if (s->log_dropped || s->warnings_dropped || s->sink_dropped)
        snprintf(dropped, sizeof dropped, "; not logged: %llu message events, %llu warnings%s",
                 (unsigned long long)s->log_dropped, (unsigned long long)s->warnings_dropped,
                 s->sink_dropped ? ", other events lost by the output (sink_dropped)" : "");
    if (s->state_saves_ahead_of_log) { /* the log was far behind: a crash then loses events */
        size_t n = strlen(dropped);
        snprintf(dropped + n, sizeof dropped - n, "; %llu saves of resume positions ahead of the log",
                 (unsigned long long)s->state_saves_ahead_of_log);
    }
    if (s->protocol_errors) /* the service's fault: said, whatever else is */
        snprintf(protocol, sizeof protocol, "; %llu server messages the protocol does not allow",
                 (unsigned long long)s->protocol_errors);

    char a[32], b[32], c[32], c2[32], d[32], what[600];
    if (strcmp(cache, "*") == 0)
        snprintf(what, sizeof what, "all subscriptions");
    else
        snprintf(what, sizeof what, "%.280s/%.280s", cache, topic);
    char without[64] = "", bounds[160] = "";
    if (clk->bound_us >= 0) {
        char both[32], here[32];
        if (pub_bound >= 0)
            snprintf(bounds, sizeof bounds, " ± %s (this host %s by %s, publishers %s)",
                     mo_fmt_ms(clk->bound_us + pub_bound, both, sizeof both),
                     mo_fmt_ms(clk->bound_us, here, sizeof here),
                     mo_clocksrc_source_name(clk->source), mo_fmt_ms(pub_bound, d, sizeof d));
        else
            snprintf(bounds, sizeof bounds, ", this host's clock ± %s by %s (publishers' unknown)",
                     mo_fmt_ms(clk->bound_us, here, sizeof here), mo_clocksrc_source_name(clk->source));
    }
    if (s->all.skewed) {
        size_t n = strlen(bounds);
        snprintf(bounds + n, sizeof bounds - n, "; %llu below both bounds (a wrong clock)",
                 (unsigned long long)s->all.skewed);
    }
    if (measured != s->count)
        snprintf(without, sizeof without, " (%llu without a latency)",
                 (unsigned long long)(s->count - measured));
    if (measured)
        mo_event_msg(&e, "%s: %llu messages%s in %.1f s (%.1f/s), latency ms p50 %s p99 %s p99.9 %s max %s%s%s%s%s",
                     what, (unsigned long long)s->count, without, interval_s, rate,
                     mo_fmt_ms(p50, a, sizeof a), mo_fmt_ms(p99, b, sizeof b),
                     mo_fmt_ms(p999, c, sizeof c), mo_fmt_ms(mx, c2, sizeof c2), bounds,
                     clk->synced ? "" : " (clock not synchronised)", protocol, dropped);
    else
        mo_event_msg(&e, "%s: %llu messages in %.1f s%s%s", what,
                     (unsigned long long)s->count, interval_s, protocol, dropped);
    mo_event_emit(&e);
}

void mo_stats_end_interval(struct mo_stats *s, const char *cache, const char *topic, uint64_t now_us,
                           const struct mo_clock_summary *clk, struct mo_stats *add_to)
{
    summary_emit(cache, topic, s, (double)(now_us - s->start_us) / 1e6, clk);
    if (add_to)
        mo_stats_add(add_to, s);
    mo_hist *h = s->hist;
    mo_hist_reset(h);
    *s = (struct mo_stats){.hist = h, .start_us = now_us};
}
