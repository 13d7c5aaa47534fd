/* canary.h - the canary: this daemon's own probes, published on a channel of
 * their own and received on the canary's subscription, timed on one clock.
 *
 * The owner subscribes to the canary topic like to any other, sets
 * mo_canary_tap as that subscription's tap (sub.h) and calls
 * mo_canary_stream_up at its first server message: the open-loop schedule
 * (schedule.h) starts then, since a probe sent before could never arrive.
 * Each probe (probe.h) leaves at its moment, or as soon after it as the loop
 * can (the lag is reported, and the probe is still timed from its moment, so
 * a stall shows as latency); it waits in the ring (ring.h) until it comes
 * back on the canary stream (its round trip, scheduled moment to receipt, on
 * CLOCK_MONOTONIC) or its deadline passes (lost, once). Publishes go out on
 * the canary's own gRPC connection with a deadline per call, so a dead
 * subscriber connection is never hidden by a live publishing one, nor a slow
 * publish queued behind thousands of streams. Probes of other instances on
 * the topic are one-way latencies per host (peers.h). What it all came to
 * is account.h's, reported once per summary (mo_canary_summary).
 *
 *   mo_canary_new / _free     create (a random instance id), free once not busy
 *   mo_canary_update          a reload: rate, size, deadline, SLO (same cache and topic)
 *   mo_canary_set_remote      a reload: new key or endpoint, a new channel
 *   mo_canary_stream_up       the canary stream's first server message: the schedule starts
 *   mo_canary_tap             the canary subscription's tap (mo_sub_tap_fn)
 *   mo_canary_set_bound       this host's clock error bound, for probes and peers
 *   mo_canary_summary         `canary` and `canary_peer` events; degraded / recovered;
 *                             the interval handed to the caller's exports first
 *   mo_canary_stop            no more probes; publishes in flight cancelled
 *   mo_canary_busy            publish calls still in flight
 *   mo_canary_status          the STATUS= part ("canary rtt p99 3.1 ms, 100.00%")
 *   mo_canary_account_of, _in_flight, _id, _cache, _topic   read-only
 * Everything runs on the loop thread.
 */
#ifndef MO_CANARY_H
#define MO_CANARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "canary/account.h"
#include "config/config.h"
#include "endpoint.h"
#include "latency/decode.h"
#include "loop.h"
#include "pubsub.h"

typedef struct mo_canary mo_canary;

/* What the canary is told besides its own section. */
struct mo_canary_env {
    uint64_t warnings_per_interval; /* canary_lost events per interval */
    const char *key_source;         /* named in hints */
};

/* A canary for cfg (copied), publishing to ep with token (copied), not yet
 * scheduling. Failures (-ENOMEM, a channel that cannot be made) write a
 * sentence to err. */
int mo_canary_new(mo_loop *loop, const struct mo_canary_config *cfg, const struct mo_canary_env *env,
                  const struct mo_endpoint *ep, const char *token, mo_canary **ret, char *err, size_t errlen);
/* Only once not busy (after mo_canary_stop's drained, or never started):
 * a publish still in flight is left allocated, never freed under gRPC, which
 * still writes its status into it (a stop that gave up waiting leaves it to
 * the process exit). Accepts NULL. */
void mo_canary_free(mo_canary *c);

/* A reloaded section with the same cache and topic: a new rate starts a new
 * schedule from now (the numbering goes on), a new deadline applies to the
 * probes in flight too, the ring grows or shrinks to fit (never below what
 * is in flight), new SLO figures apply from this interval. -ENOMEM changes
 * nothing. */
int mo_canary_update(mo_canary *c, const struct mo_canary_config *cfg, const struct mo_canary_env *env);
/* New publishes go out on a new channel to ep with token; those in flight
 * finish on the old one. */
int mo_canary_set_remote(mo_canary *c, const struct mo_endpoint *ep, const char *token, char *err,
                         size_t errlen);

void mo_canary_stream_up(mo_canary *c);
void mo_canary_tap(void *ctx, const struct mo_item *it, const struct mo_latency *lat, uint64_t received_mono_us);
void mo_canary_set_bound(mo_canary *c, int64_t bound_us);

/* A summary's interval as its `canary` event reports it: probes past their
 * deadline already counted lost, the interval not reset yet. */
struct mo_canary_interval {
    const char *cache, *topic, *host, *id;
    const struct mo_canary_account *acct; /* iv: this interval; total: since start */
    uint64_t in_flight;
    uint64_t interval_us;
};
typedef void mo_canary_report_fn(void *ud, const struct mo_canary_interval *iv);

/* The interval's probes past their deadline counted lost, then report(ud,
 * ...) with it (NULL: none), then its `canary` event and one `canary_peer` per
 * host heard from, then canary_degraded / canary_recovered when the interval
 * turned it; the next interval starts. */
void mo_canary_summary(mo_canary *c, mo_canary_report_fn *report, void *ud);
/* Stops the schedule and cancels the publishes in flight; drained(ctx) runs
 * from the loop once the last has come back (at once, from the loop, when
 * none is out). Probes in flight stay in flight. */
void mo_canary_stop(mo_canary *c, void (*drained)(void *ctx), void *ctx);
bool mo_canary_busy(const mo_canary *c);

/* "canary rtt p99 3.1 ms, 100.00%": the round trip over the current
 * interval (left out before a probe came back in it: "canary 100.00%"), the
 * availability since start; "canary waiting" before the schedule started. */
void mo_canary_status(const mo_canary *c, char *buf, size_t len);

const struct mo_canary_account *mo_canary_account_of(const mo_canary *c);
uint64_t mo_canary_in_flight(const mo_canary *c);
const char *mo_canary_id(const mo_canary *c);
const char *mo_canary_cache(const mo_canary *c);
const char *mo_canary_topic(const mo_canary *c);

#endif
