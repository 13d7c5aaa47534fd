/* sublog.h - the events a subscription logs: for each, its fields and its
 * sentence (momento-subscriberd(8), EVENTS), and what decides whether one of
 * the message path is logged at all.
 *
 * The message path hands each item here once (mo_sublog_item), after its
 * counters: this decides what of it is said. Per-message warnings
 * (decode_error, protocol_error, gap, reset, discontinuity) are capped at
 * logging.warnings_per_interval of each kind in a summary interval (the log
 * room's cap, log/budget.h); message events follow logging.messages and take
 * a token of logging.message_budget. What is not said, or what a slow output
 * refuses, is counted in the interval's log_dropped and warnings_dropped; the
 * other counters are exact either way. The other events are formatting only:
 * the subscription decides when.
 *
 *   mo_sublog_init             names and limits, once per subscription
 *   mo_sublog_item             the warnings and the message event of one item
 *   mo_sublog_protocol_error   a server message the wire format does not allow (capped)
 *   mo_sublog_lost_at_stop     a discontinuity no item followed, at the end (capped)
 *   mo_sublog_end_interval     the caps start over
 *   mo_sublog_subscribed       a stream's first server message
 *   mo_sublog_page_announced   a fresh stream told the topic's page
 *   mo_sublog_oversized        a message over the receive limit, skipped
 *   mo_sublog_idle_timeout     a silent stream, replaced
 *   mo_sublog_refusal          auth_error, not_found, limit_exceeded with a hint
 *   mo_sublog_resubscribing    a stream that ended, and what comes next
 */
#ifndef MO_SUBLOG_H
#define MO_SUBLOG_H

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "latency/decode.h"
#include "log/budget.h"
#include "log/event.h"
#include "pubsub.h"
#include "sub/continuity.h"
#include "sub/ending.h"
#include "sub/stats.h"

/* The per-message warnings, which logging.warnings_per_interval caps. */
enum mo_sublog_warning {
    MO_SUBLOG_DECODE_ERROR,
    MO_SUBLOG_PROTOCOL_ERROR,
    MO_SUBLOG_GAP,
    MO_SUBLOG_RESET,
    MO_SUBLOG_DISCONTINUITY,
    MO_SUBLOG_WARNINGS
};

/* What decides which events of the message path are logged
 * (momento-subscriberd(8), LOGGING). The owner keeps it and may rewrite it
 * between loop callbacks (a reload); it must outlive every mo_sublog. */
struct mo_sublog_limits {
    enum mo_log_messages messages;
    uint64_t sample_every;            /* messages: sample logs one in this many ... */
    uint64_t slow_threshold_us;       /* ... and every one at least this late */
    struct mo_budget *message_budget; /* message events, shared by every subscription */
    uint64_t warnings_per_interval;   /* each kind of warning, per summary interval */
};

/* One subscription's side of it. */
struct mo_sublog {
    const char *cache, *topic; /* must outlive it */
    const struct mo_sublog_limits *lim;
    struct mo_cap warned; /* warnings logged this interval, by kind */
    uint64_t sample_counter;
};

void mo_sublog_init(struct mo_sublog *lg, const char *cache, const char *topic,
                    const struct mo_sublog_limits *lim);
/* Item number `seq` judged v (st, mo_cont_item): the discontinuities it closes,
 * a gap or a reset are warned of; delivered, with lat, a decode error is, or
 * else its message event is logged as the limits say (at now_us, for the
 * budget). it and lat NULL: the item is not a message (one skipped for its
 * size). Counts what is not said in stats. */
void mo_sublog_item(struct mo_sublog *lg, struct mo_stats *stats, enum mo_cont_verdict v,
                    const struct mo_cont_step *st, uint64_t seq, const struct mo_item *it,
                    const struct mo_latency *lat, uint64_t now_us);
void mo_sublog_protocol_error(struct mo_sublog *lg, struct mo_stats *stats, const char *reason);
/* The subscription stops with a discontinuity no item followed: how many it
 * lost cannot be known. */
void mo_sublog_lost_at_stop(struct mo_sublog *lg, struct mo_stats *stats, const struct mo_cont_step *st);
static inline void mo_sublog_end_interval(struct mo_sublog *lg) { mo_cap_reset(&lg->warned); }

void mo_sublog_subscribed(const char *cache, const char *topic, uint64_t resume_at, uint64_t page,
                          unsigned attempt);
void mo_sublog_page_announced(const char *cache, const char *topic, uint64_t page, uint64_t new_seq);
/* known: the message took number seq on page; sized: gRPC named its size and the limit. */
void mo_sublog_oversized(const char *cache, const char *topic, bool known, uint64_t page, uint64_t seq,
                         bool sized, uint64_t size, uint64_t limit);
void mo_sublog_idle_timeout(const char *cache, const char *topic, uint64_t idle_ms);
void mo_sublog_refusal(enum mo_event_type type, const char *cache, const char *topic, const char *status,
                       const char *details, const char *err, const char *hint);

/* A stream that ended. */
struct mo_sublog_end {
    const char *status;  /* gRPC code name */
    const char *details; /* gRPC's, or ours */
    enum mo_ending end;
    uint64_t lifetime_us;
    uint64_t items;      /* items received, duplicates included */
    bool resumed;        /* it asked for a position: resume_at */
    uint64_t resume_at;
    bool answered;       /* ... and its first item or discontinuity answered: outcome */
    enum mo_cont_resume outcome;
    bool got_item;       /* an item came: first_seq */
    uint64_t first_seq;
    uint64_t delay_us;   /* until the next Subscribe call */
    unsigned attempt;    /* the next call's number since the last healthy stream */
};
/* Info for a normal end (mo_ending_normal), warning otherwise. */
void mo_sublog_resubscribing(const char *cache, const char *topic, const struct mo_sublog_end *end);

#endif
