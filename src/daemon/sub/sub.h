/* sub.h - one subscription: a Subscribe stream to one (cache, topic), kept alive.
 *
 * A subscription holds one stream at a time on the connection its owner gives
 * it and resubscribes where it stopped when the stream ends (at once after a
 * healthy stream, with backoff after failures) or goes silent (the idle
 * watchdog); every end is classified (ending.h) and counted. Each message
 * goes through the rooms once, in order (message.c): continuity's verdict
 * (continuity.h), the latency (latency/decode.h), the counters (stats.h),
 * the log (sublog.h). It knows nothing of the daemon beyond what it is
 * given: the loop, a connection, settings, and two callbacks to its owner.
 * Everything runs on the loop thread.
 *
 * Its lifecycle is one enum; every change of state is one function of sub.c,
 * and mo_sub_transition_allowed says which changes exist:
 *
 *   IDLE --start--> CONNECTING --first server message--> UP
 *   CONNECTING, UP --idle watchdog--> SILENT (cancelled, tags coming back)
 *   CONNECTING, UP, SILENT --stream ends--> BACKOFF --delay (0 if healthy)--> CONNECTING
 *   IDLE, CONNECTING, UP, SILENT, BACKOFF --stop--> STOPPING --nothing in flight--> STOPPED
 *   ... --stop to move--> MOVING --nothing in flight--> STOPPED --restart--> CONNECTING
 *   MOVING --stop--> STOPPING (a stop for good wins)
 *
 *   mo_sub_new / mo_sub_free      create (IDLE); free once nothing is in flight
 *   mo_sub_start                  the first Subscribe call
 *   mo_sub_stop                   cancel for good, then owner->stopped
 *   mo_sub_stop_to_move           cancel to restart elsewhere, then owner->stopped
 *   mo_sub_restart                a stopped subscription started again, on another connection
 *   mo_sub_set_decoder            a reloaded decoder, the stream untouched
 *   mo_sub_set_tap                one more reader of each delivered item (the canary)
 *   mo_sub_end_interval           summary event of its stats (and publisher floors), next interval
 *   mo_sub_cache, _topic, _conn, _state, _ever_up, _stats, _delivered   read-only
 *   mo_sub_position               where it stands: page and last number, if any
 *   mo_sub_set_position           a saved position, before the first start
 *   mo_sub_state_name, mo_sub_transition_allowed   the lifecycle, for logs and tests
 */
#ifndef MO_SUB_H
#define MO_SUB_H

#include <stdbool.h>
#include <stdint.h>

#include "clock.h"
#include "config/config.h"
#include "conn.h"
#include "latency/decode.h"
#include "loop.h"
#include "sub/stats.h"
#include "sub/sublog.h"

typedef struct mo_sub mo_sub;

/* The largest message a subscription's connection receives (its gRPC
 * receive limit): 256 times the service's 4 KB payload limit, so no real
 * message comes near it, while one message cannot make the daemon copy and
 * parse megabytes on the thread that timestamps every other stream. A larger
 * one ends the stream; it is counted, reported and skipped (`oversized`). */
#define MO_SUB_MAX_RECEIVE_BYTES (1024 * 1024)

enum mo_sub_state {
    MO_SUB_IDLE,       /* not started */
    MO_SUB_CONNECTING, /* call started, no server message yet */
    MO_SUB_UP,         /* the server has sent at least one message on this stream */
    MO_SUB_SILENT,     /* the idle watchdog cancelled the stream; its tags are coming back */
    MO_SUB_BACKOFF,    /* the stream ended; waiting to subscribe again */
    MO_SUB_STOPPING,   /* stopped for good: the call's tags (or the report) are coming back */
    MO_SUB_MOVING,     /* stopped to start again elsewhere: likewise */
    MO_SUB_STOPPED,    /* nothing in flight; owner->stopped runs on entry */
    MO_SUB__STATES
};

/* What subscriptions read of the configuration. The owner keeps it and may
 * rewrite it between loop callbacks (a reload); subscriptions read it when
 * they need a value, so a change applies to all of them at once. It must
 * outlive every subscription given it. */
struct mo_sub_settings {
    uint64_t idle_timeout_us;    /* no server message for this long: resubscribe */
    uint64_t backoff_initial_us; /* first delay after a failed stream */
    uint64_t backoff_max_us;     /* doubling stops here */
    struct mo_sublog_limits log; /* what gets logged of each message */
    /* named in the hints of error events */
    const char *key_source;  /* where the API key came from */
    const char *target;      /* the endpoint, HOST:PORT */
    const char *config_path; /* the configuration file */
    bool ca_file;            /* momento.ca_file is set (for connect_error's hint) */
    /* this host's clock bound now, µs (-1 unknown), kept current by the
     * owner (latency/clockwatch.h); NULL: unknown */
    const int64_t *host_bound_us;
    /* when the API key expires (s since the epoch; 0: never), for the hint
     * of a refusal after it; NULL: unknown */
    const int64_t *key_expires_at;
};

/* What a subscription tells its owner. Both run from a loop callback of the
 * subscription, never from inside a mo_sub_* call. */
struct mo_sub_owner {
    void *ctx;
    /* The first server message since mo_sub_start (once per subscription). */
    void (*up)(void *ctx, mo_sub *s);
    /* After mo_sub_stop, once nothing of s is in flight: no tag pending, no
     * timer armed. The owner may mo_sub_free(s) or mo_sub_restart(s) inside it. */
    void (*stopped)(void *ctx, mo_sub *s);
};

/* A tap sees each item continuity delivered (duplicates and items at or below
 * the position never), after it was counted: the item, its latency (ok or
 * not) and the monotonic moment it was taken off the completion queue. It
 * runs on the message path, from inside the subscription's callback: it may
 * not stop, free or restart the subscription. */
typedef void (*mo_sub_tap_fn)(void *ctx, const struct mo_item *it, const struct mo_latency *lat,
                              uint64_t received_mono_us);

/* A subscription to sc's cache and topic, IDLE, with a copy of sc's names and
 * decoder. `loop`, `conn`, `set` must outlive it; *owner is copied.
 * -ENOMEM or a decoder error. */
int mo_sub_new(mo_loop *loop, mo_conn *conn, const struct mo_sub_settings *set,
               const struct mo_sub_owner *owner, const struct mo_sub_config *sc, mo_sub **ret);
/* Only while no call is in flight: never started, or after owner->stopped
 * (gRPC would complete the call's tags into freed memory). Accepts NULL. */
void mo_sub_free(mo_sub *s);

/* IDLE: starts the first Subscribe call (new messages). Otherwise nothing. */
void mo_sub_start(mo_sub *s);
/* Cancels the stream and any resubscribe, for good; owner->stopped follows
 * exactly once, from the loop (STOPPING, then STOPPED). Once stopping for
 * good, a second call does nothing; on a MOVING one it makes the stop for good. */
void mo_sub_stop(mo_sub *s);
/* The same, to start again on another connection (mo_sub_restart from
 * owner->stopped): a discontinuity no item has followed yet is not reported
 * as the end of the subscription (the restarted stream resumes from it and
 * reports it with its loss). On a subscription already stopping: nothing. */
void mo_sub_stop_to_move(mo_sub *s);
/* Takes a copy of a new decoder (reload) without touching the stream. */
int mo_sub_set_decoder(mo_sub *s, const struct mo_decoder *dec);
/* fn(ctx, ...) for each delivered item from now on; fn NULL: none. */
void mo_sub_set_tap(mo_sub *s, mo_sub_tap_fn fn, void *ctx);

/* Ends the summary interval of s at now_us (mo_stats_end_interval with its
 * cache and topic), then logs its publishers' floors (pubfloor.h) when its
 * items carry publisher ids, and a publisher_skewed for each publisher (or
 * "unknown", for items without an id) whose latencies proved a clock wrong. */
void mo_sub_end_interval(mo_sub *s, uint64_t now_us, const struct mo_clock_summary *clk,
                         struct mo_stats *add_to);

const char *mo_sub_cache(const mo_sub *s);
const char *mo_sub_topic(const mo_sub *s);
mo_conn *mo_sub_conn(const mo_sub *s);
enum mo_sub_state mo_sub_state(const mo_sub *s);
bool mo_sub_ever_up(const mo_sub *s); /* got a first message at least once since start */
const struct mo_stats *mo_sub_stats(const mo_sub *s); /* the current interval */
uint64_t mo_sub_delivered(const mo_sub *s);           /* messages delivered since mo_sub_new */

/* Positions across restarts and connections. The owner reads positions when
 * it saves them, not per message: nothing here runs on the message path. */

/* True, with the sequence page and number of the last item delivered
 * (continuity.h's position), when s has one; false with none, or with one
 * that would mean "from the first message" (last 0). Any state. */
bool mo_sub_position(const mo_sub *s, uint64_t *ret_page, uint64_t *ret_last);
/* Only while IDLE (before mo_sub_start): the first stream resumes at
 * last + 1 on `page`, and the items are judged from there, as if (page,
 * last) had been the last item received. -EINVAL when not IDLE or last is 0. */
int mo_sub_set_position(mo_sub *s, uint64_t page, uint64_t last);
/* Only once STOPPED (after owner->stopped, inside it or later): starts s
 * again on `conn` (which must outlive it), resuming from its position, with
 * the backoff starting over. Its counters and interval go on. -EBUSY when
 * not stopped. */
int mo_sub_restart(mo_sub *s, mo_conn *conn);
const char *mo_sub_state_name(enum mo_sub_state st);
/* Whether the lifecycle has a change from `from` to `to` (the diagram above). */
bool mo_sub_transition_allowed(enum mo_sub_state from, enum mo_sub_state to);

#endif
