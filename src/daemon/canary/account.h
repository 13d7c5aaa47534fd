/* account.h - pure: what the canary's own probes came to, per interval and
 * since start, and the availability an SLO is kept against.
 *
 * Every probe the schedule issues is `sent` once and then, exactly once,
 * `received` or `lost`; until then it is in flight. So at every moment
 *   sent_total = received_total + lost_total + in_flight
 * holds (mo_canary_account_balanced). A received probe slower than the SLO's
 * latency is also `late`; a lost one that arrives after all is also
 * `after_deadline` (it stays lost); a second copy is a `duplicate`; a probe
 * received after a higher-numbered one is `out_of_order` (received all the
 * same). Publish calls are counted apart: their latency, and their failures
 * by gRPC status (a failed publish is not a lost probe until its deadline
 * passes: the service may have taken it).
 *
 * Availability = (received - late) / (received + lost), over the interval and
 * since start; with nothing received or lost there is none (-1). Burn rate
 * = (1 - availability) / (1 - target): 1 spends the error budget exactly as
 * fast as the SLO allows. An interval whose burn rate passes 1 makes the
 * canary degraded; one at or under 1 makes it recover; an interval with no
 * availability changes nothing.
 *
 *   mo_canary_account_init / _clear
 *   mo_canary_account_sent, _received, _lost, _after_deadline, _duplicate, _publish
 *   mo_canary_availability, mo_canary_burn_rate
 *   mo_canary_account_end_interval   the interval closed: degraded or recovered?
 */
#ifndef MO_CANARY_ACCOUNT_H
#define MO_CANARY_ACCOUNT_H

#include <stdbool.h>
#include <stdint.h>

#include "hist.h"

#define MO_CANARY_STATUSES 17 /* gRPC status codes 0..16 */

struct mo_canary_counts {
    uint64_t sent, received, lost;
    uint64_t late, duplicates, out_of_order, after_deadline, too_old;
    uint64_t publishes, publish_errors;
    uint64_t publish_errors_by[MO_CANARY_STATUSES]; /* by gRPC status; index 2 (UNKNOWN) for any other */
};

struct mo_canary_account {
    struct mo_canary_counts iv, total; /* this interval; since start */
    uint64_t slo_latency_us;
    uint32_t target_ppm;
    uint64_t schedule_lag_max_us; /* this interval: the latest a probe left after its moment */
    mo_hist *rtt;     /* this interval: round trips of received probes */
    mo_hist *publish; /* this interval: publish call latencies */
    uint64_t highest_received; /* the highest probe number received (out_of_order) */
    bool degraded;
};

/* How an interval closed. */
enum mo_canary_turn { MO_CANARY_STEADY, MO_CANARY_DEGRADED, MO_CANARY_RECOVERED };

int mo_canary_account_init(struct mo_canary_account *a, uint64_t slo_latency_us, uint32_t target_ppm);
void mo_canary_account_clear(struct mo_canary_account *a);

/* A probe issued by the schedule `lag_us` after its moment. */
void mo_canary_account_sent(struct mo_canary_account *a, uint64_t lag_us);
/* Probe seq received after rtt_us (scheduled moment to receipt). */
void mo_canary_account_received(struct mo_canary_account *a, uint64_t seq, uint64_t rtt_us);
void mo_canary_account_lost(struct mo_canary_account *a);
void mo_canary_account_after_deadline(struct mo_canary_account *a);
void mo_canary_account_duplicate(struct mo_canary_account *a);
/* A probe too old to tell a late arrival from a copy (ring.h). */
void mo_canary_account_too_old(struct mo_canary_account *a);
/* latency_us of a publish that never reached gRPC: counted, not timed */
#define MO_CANARY_NOT_STARTED UINT64_MAX
/* A publish call ended with `status` (0 = OK) after latency_us
 * (MO_CANARY_NOT_STARTED: it failed before it went out). */
void mo_canary_account_publish(struct mo_canary_account *a, int status, uint64_t latency_us);

/* (received - late) / (received + lost) of c, or -1 when both are 0. */
double mo_canary_availability(const struct mo_canary_counts *c);
/* (1 - availability) / (1 - target); -1 when availability is -1. */
double mo_canary_burn_rate(double availability, uint32_t target_ppm);

/* Whether the interval made the canary degraded, recovered, or neither;
 * then the interval's counts, histograms and lag start again. The caller
 * reports the interval before it calls this. */
enum mo_canary_turn mo_canary_account_end_interval(struct mo_canary_account *a);

/* sent_total = received_total + lost_total + in_flight. */
static inline bool mo_canary_account_balanced(const struct mo_canary_account *a, uint64_t in_flight)
{
    return a->total.sent == a->total.received + a->total.lost + in_flight;
}

#endif
