/* daemon.h - momento-subscriberd's parts and how they fit together.
 *
 *   main.c    command line, start-up, signals, reload, shutdown
 *   sub.c     one subscription: its Subscribe stream, continuity, latency
 *   stats.c   per-subscription counters and histograms; summary events
 *   notify.c  systemd notifications (READY, STATUS, WATCHDOG, RELOADING, STOPPING)
 *   event.c   structured events and their sinks (event.h)
 *   config.c  the YAML configuration (config.h)
 *   decode.c  publish timestamps in payloads (decode.h)
 *
 * Everything runs on one thread, in the completion-queue loop (src/lib/loop.h).
 */
#ifndef MO_DAEMON_H
#define MO_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "conn.h"
#include "creds.h"
#include "decode.h"
#include "endpoint.h"
#include "hist.h"
#include "loop.h"

typedef struct mo_sub mo_sub;
struct mo_daemon;

/* ---- stats.c ---- */

/* What one subscription (or all of them) saw in one summary interval. */
struct mo_stats {
    uint64_t start_us; /* monotonic start of the interval */
    mo_hist *hist; /* latency in microseconds */
    uint64_t count; /* messages delivered (duplicates excluded) */
    uint64_t decode_errors, gaps, duplicates, discontinuities, resets, reconnects;
};

int mo_stats_init(struct mo_stats *s);   /* the interval starts now */
void mo_stats_clear(struct mo_stats *s); /* frees */
void mo_stats_reset(struct mo_stats *s); /* empty; a new interval starts now */
void mo_stats_add(struct mo_stats *dst, const struct mo_stats *src);

struct mo_clock_state {
    bool synced;
    int64_t error_us; /* the kernel's maximum error estimate */
};
void mo_clock_state_read(struct mo_clock_state *ret);

/* Emits one summary event (cache/topic "*" for the total). */
void mo_summary_emit(const char *cache, const char *topic, const struct mo_stats *s,
                     double interval_s, const struct mo_clock_state *clk);

/* ---- sub.c ---- */

enum mo_sub_state {
    MO_SUB_IDLE,       /* not started */
    MO_SUB_CONNECTING, /* call started, no server message yet */
    MO_SUB_UP,         /* the server has sent at least one message on this stream */
    MO_SUB_BACKOFF,    /* stream ended; waiting to resubscribe */
    MO_SUB_STOPPING,   /* cancelled; waiting for the call's tags */
    MO_SUB_STOPPED,
};

int mo_sub_new(struct mo_daemon *d, const struct mo_sub_config *sc, size_t conn_index, mo_sub **ret);
void mo_sub_free(mo_sub *s);
void mo_sub_start(mo_sub *s);
/* Cancels the stream; once its tags are back, d->on_sub_stopped(s) runs. */
void mo_sub_stop(mo_sub *s);
/* Takes a new decoder (reload) without touching the stream. */
int mo_sub_set_decoder(mo_sub *s, const struct mo_decoder *dec);
const char *mo_sub_cache(const mo_sub *s);
const char *mo_sub_topic(const mo_sub *s);
size_t mo_sub_conn_index(const mo_sub *s);
enum mo_sub_state mo_sub_state(const mo_sub *s);
bool mo_sub_ever_up(const mo_sub *s); /* got a first message at least once since start */
struct mo_stats *mo_sub_stats(mo_sub *s);

/* ---- main.c: the daemon as the subscriptions see it ---- */

struct mo_conn_slot {
    mo_conn *conn;
    size_t streams;
};

struct mo_daemon {
    mo_loop *loop;
    struct mo_config *cfg;
    struct mo_creds creds;
    struct mo_endpoint endpoint;

    struct mo_conn_slot *conns;
    size_t n_conns;

    mo_sub **subs;
    size_t n_subs;
    size_t live_subs; /* subscriptions not yet fully stopped, removed ones included */

    bool stopping;
    uint64_t messages_total; /* since start, for STATUS rates */

    /* called by sub.c */
    void (*on_sub_up)(struct mo_daemon *d, mo_sub *s);
    void (*on_sub_stopped)(struct mo_daemon *d, mo_sub *s);
};

/* ---- notify.c ---- */

void mo_notify_ready(void);
void mo_notify_reloading(void);
void mo_notify_stopping(void);
void mo_notify_status(const char *status);
/* The watchdog period in microseconds if systemd asked for one, else 0. */
uint64_t mo_notify_watchdog_usec(void);
void mo_notify_watchdog(void);

#endif
