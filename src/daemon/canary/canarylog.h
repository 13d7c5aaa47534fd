/* canarylog.h - the canary's events: each one's fields and sentence
 * (momento-subscriberd(8), EVENTS).
 *
 *   mo_canarylog_summary    `canary`: this instance's own probes in one interval
 *   mo_canarylog_peer       `canary_peer`: another instance's, per host
 *   mo_canarylog_lost       `canary_lost`: a probe not received by its deadline
 *   mo_canarylog_turn       `canary_degraded` / `canary_recovered`
 *   mo_canarylog_error      `canary_error`: publishing fails, with a hint
 */
#ifndef MO_CANARYLOG_H
#define MO_CANARYLOG_H

#include <stdbool.h>
#include <stdint.h>

#include "canary/account.h"
#include "canary/peers.h"

/* Who is reporting, on what. */
struct mo_canarylog_who {
    const char *cache, *topic, *host, *id;
};

/* The interval of a (before mo_canary_account_end_interval resets it). */
void mo_canarylog_summary(const struct mo_canarylog_who *w, const struct mo_canary_account *a,
                          uint64_t in_flight, uint64_t interval_us, uint64_t not_probes,
                          uint64_t peers_dropped, uint64_t lost_not_logged, bool waiting);
void mo_canarylog_peer(const struct mo_canarylog_who *w, const struct mo_peer *p);
/* Probe seq, due at scheduled_real_ns (real time), lost at deadline_us;
 * `why` says what is known of it. `unlogged`: lost probes not logged since
 * the last one that was (the cap), said once with the next that is; the
 * summary's lost_not_logged counts them per interval. */
void mo_canarylog_lost(const struct mo_canarylog_who *w, uint64_t seq, int64_t scheduled_real_ns,
                       uint64_t deadline_us, const char *why, uint64_t unlogged);
void mo_canarylog_turn(const struct mo_canarylog_who *w, bool degraded, double availability,
                       double burn_rate, uint32_t target_ppm);
/* Publishing to the canary topic fails with status (a gRPC code) and details. */
void mo_canarylog_error(const struct mo_canarylog_who *w, int status, const char *details,
                        const char *key_source);

#endif
