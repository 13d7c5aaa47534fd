/* evtype.h - the event types: each one's name, level and fixed MESSAGE_ID
 * (momento-subscriberd(8), EVENTS), and whether the sink may drop it.
 *
 *   mo_evtype(t)    the facts of type t
 */
#ifndef MO_EVTYPE_H
#define MO_EVTYPE_H

#include <stdbool.h>

enum mo_event_type {
    MO_EV_MESSAGE,
    MO_EV_SUMMARY,
    MO_EV_SUBSCRIBED,
    MO_EV_RESUBSCRIBING,
    MO_EV_IDLE_TIMEOUT,
    MO_EV_DISCONTINUITY,
    MO_EV_GAP,
    MO_EV_RESET,
    MO_EV_PAGE_ANNOUNCED,
    MO_EV_OVERSIZED,
    MO_EV_DECODE_ERROR,
    MO_EV_PROTOCOL_ERROR, /* a server message the wire format does not allow */
    MO_EV_AUTH_ERROR,
    MO_EV_NOT_FOUND,
    MO_EV_LIMIT_EXCEEDED,
    MO_EV_CONFIG_RELOADED,
    MO_EV_CONFIG_ERROR,
    MO_EV_STARTED,
    MO_EV_STOPPING,
    MO_EV_CLOCK_UNSYNCED,
    MO_EV_CLOCK_SYNCED,
    MO_EV_PUBLISHER_FLOOR,
    MO_EV_EMF, /* not an event: a CloudWatch EMF document (mo_event_emit_raw) */
    MO_EV_EXPORT_ERROR,
    MO_EV_STATE_ERROR,     /* positions cannot be saved (state.h) */
    MO_EV_STATE_RECOVERED, /* they can again */
    MO_EV_STATE_IGNORED,   /* a state file, or a subscription's entry, not used */
    MO_EV_MOVE_FAILED,     /* a reload's new settings do not work yet (mover.h) */
    MO_EV_MOVED,           /* they do now, after failing */
    MO_EV_FIELDS_DROPPED,  /* an event had more fields than MO_EVENT_MAX_FIELDS (once per type) */
    MO_EV_EXPORT_RECOVERED, /* the textfile is written again after an export_error */
    MO_EV_LOG_FALLBACK,    /* the journal failed: events go to stdout (sink.h) */
    MO_EV_LOG_RESTORED,    /* they go to the journal again */
    MO_EV_CANARY,          /* the canary's own probes, per summary (canary/canary.h) */
    MO_EV_CANARY_PEER,     /* another instance's probes, per host and summary */
    MO_EV_CANARY_LOST,     /* a probe not received by its deadline */
    MO_EV_CANARY_DEGRADED, /* an interval's burn rate passed 1 */
    MO_EV_CANARY_RECOVERED, /* and fell back */
    MO_EV_CANARY_ERROR,    /* the canary cannot publish (or publishes fail) */
    MO_EV_CLOCK_SOURCE_CHANGED, /* the clock bound's source changed (latency/clockwatch.h) */
    MO_EV_PUBLISHER_SKEWED, /* latencies below both clocks' bounds: a clock is wrong */
    MO_EV_KEY_EXPIRING,    /* the API key expires within 7 days (remote/keylife.h) */
    MO_EV_KEY_EXPIRED,     /* it has expired */
    MO_EV_CONNECT_ERROR,   /* a connection cannot be made: refused, unreachable, DNS, TLS (sub/ending.h) */
    MO_EV_CACHE_LIMITS,    /* a cache's topic limits, or why they are not known (remote/limits.h) */
    MO_EV_OVER_LIMIT,      /* more subscriptions configured on a cache than it allows */
    MO_EV__COUNT
};

enum mo_level { MO_LEVEL_ERROR = 3, MO_LEVEL_WARNING = 4, MO_LEVEL_NOTICE = 5, MO_LEVEL_INFO = 6 };

struct mo_evtype_info {
    const char *name;
    enum mo_level level;
    const char *message_id; /* fixed per type, so journalctl MESSAGE_ID= finds them */
    bool per_message;       /* may come with every message: the sink may drop it (sink.h) */
};

const struct mo_evtype_info *mo_evtype(enum mo_event_type t);

#endif
