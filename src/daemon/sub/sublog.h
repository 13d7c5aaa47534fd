/* sublog.h - the events a subscription logs: for each, its fields and its
 * sentence (momento-subscriberd(8), EVENTS).
 *
 * Formatting only: the subscription (sub.c) decides when, counts, and passes
 * what the event says; these build the event and emit it (event.h). None
 * keeps state or touches a counter. Those of the message path (message and
 * the per-message warnings, mo_sublog_warning) return mo_event_emit's result,
 * so that the caller counts what the output refused.
 *
 *   mo_sublog_message          a delivered message and its latency
 *   mo_sublog_decode_error     a publish time that could not be read
 *   mo_sublog_protocol_error   a server message the wire format does not allow
 *   mo_sublog_subscribed       a stream's first server message
 *   mo_sublog_page_announced   a fresh stream told the topic's page
 *   mo_sublog_gap              numbers missing on the same page
 *   mo_sublog_reset            the topic on another page
 *   mo_sublog_discontinuity    a discontinuity, with its loss when known
 *   mo_sublog_oversized        a message over the receive limit, skipped
 *   mo_sublog_idle_timeout     a silent stream, replaced
 *   mo_sublog_refusal          auth_error, not_found, limit_exceeded with a hint
 *   mo_sublog_resubscribing    a stream that ended, and what comes next
 */
#ifndef MO_SUBLOG_H
#define MO_SUBLOG_H

#include <stdbool.h>
#include <stdint.h>

#include "sub/continuity.h"
#include "sub/ending.h"
#include "log/event.h"
#include "pubsub.h"

/* The per-message warnings, which logging.warnings_per_interval caps (sub.c). */
enum mo_sublog_warning {
    MO_SUBLOG_DECODE_ERROR,
    MO_SUBLOG_PROTOCOL_ERROR,
    MO_SUBLOG_GAP,
    MO_SUBLOG_RESET,
    MO_SUBLOG_DISCONTINUITY,
    MO_SUBLOG_WARNINGS
};

int mo_sublog_message(const char *cache, const char *topic, const struct mo_item *it,
                      int64_t published_ns, int64_t received_ns, int64_t latency_us);
int mo_sublog_decode_error(const char *cache, const char *topic, uint64_t seq, const char *reason);
int mo_sublog_protocol_error(const char *cache, const char *topic, const char *reason);
void mo_sublog_subscribed(const char *cache, const char *topic, uint64_t resume_at, uint64_t page,
                          unsigned attempt);
void mo_sublog_page_announced(const char *cache, const char *topic, uint64_t page, uint64_t new_seq);
int mo_sublog_gap(const char *cache, const char *topic, const struct mo_cont_step *st, uint64_t got_seq);
int mo_sublog_reset(const char *cache, const char *topic, uint64_t old_page, uint64_t new_page);
/* known: st->lost is exact and next_seq is the item after it; else the
 * subscription stopped before any item came. */
int mo_sublog_discontinuity(const char *cache, const char *topic, const struct mo_cont_step *st,
                            bool known, uint64_t next_seq);
/* known: the message took number seq on page; sized: gRPC named its size and the limit. */
void mo_sublog_oversized(const char *cache, const char *topic, bool known, uint64_t page, uint64_t seq,
                         bool sized, uint64_t size, uint64_t limit);
void mo_sublog_idle_timeout(const char *cache, const char *topic, uint64_t idle_ms);
void mo_sublog_refusal(enum mo_event_type type, const char *cache, const char *topic, const char *status,
                       const char *details, const char *hint);

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
