/* limits.h - the account's topic limits, from the control plane
 * (momento-subscriberd(8), ACCOUNT LIMITS).
 *
 * At start and after each reload the daemon lists the account's caches
 * (ListCaches, every page) on the control plane: control.<endpoint>:443, or
 * the override's HOST:PORT. For each configured cache the list names it says
 * `cache_limits` (info) with its topic limits, and `over_limit` (warning)
 * when the configuration opens more subscriptions on it (the canary's
 * included) than max_subscription_count allows. A check that cannot be made
 * (a key without control-plane rights, no control plane, unreachable) is one
 * `cache_limits` info line with the status and what it means; it is not
 * retried until the next reload, and the subscriptions never wait for it.
 *
 *   mo_limits_caches    pure: the configured caches and their subscription counts
 *   mo_limits_take      pure: what a page of the list says of them
 *   mo_limits_why       pure: a failed check's status in plain words
 *   mo_limits_start     a check, on a channel of its own; one in flight is cancelled first
 *   mo_limits_stop      the check in flight cancelled (the daemon stops)
 *   mo_limits_busy      a call is still out (its tag not yet back)
 */
#ifndef MO_LIMITS_H
#define MO_LIMITS_H

#include <stdbool.h>
#include <stddef.h>

#include <grpc/grpc.h>

#include "config/config.h"
#include "control.h"
#include "endpoint.h"
#include "loop.h"

#define MO_LIMITS_DEADLINE_MS 10000      /* one ListCaches page */
#define MO_LIMITS_CHECK_DEADLINE_MS 5000 /* and in --check-config */

struct mo_limits_cache {
    char *cache;       /* owned */
    size_t configured; /* subscriptions on it, the canary's included */
    bool listed;       /* the list named it */
    bool has_limits;   /* and gave its _TopicLimits */
    struct mo_topic_limits limits;
};

/* The distinct caches of cfg in the order they first appear, each with the
 * number of its subscriptions: a new array of *n (free with
 * mo_limits_caches_free), or NULL on ENOMEM. */
struct mo_limits_cache *mo_limits_caches(const struct mo_config *cfg, size_t *n);
void mo_limits_caches_free(struct mo_limits_cache *c, size_t n);
/* Marks the caches a page names, with their limits. */
void mo_limits_take(struct mo_limits_cache *c, size_t n, const struct mo_cache_list *page);
/* Whether the cache has more subscriptions than it allows (0: no limit given). */
bool mo_limits_over(const struct mo_limits_cache *c);
/* "the key may not use the control plane" for PERMISSION_DENIED, and so on:
 * what a failed check means, for its sentence. */
const char *mo_limits_why(grpc_status_code code);

/* Emits what one completed check says: cache_limits per listed cache,
 * over_limit for those over; or, with code not OK, the one info line. */
void mo_limits_report(const struct mo_limits_cache *c, size_t n, grpc_status_code code,
                      const char *details, const char *target);

typedef struct mo_limits mo_limits;

/* What a completed check found (the caches, code OK), or why it failed. */
typedef void (*mo_limits_report_fn)(void *ud, const struct mo_limits_cache *c, size_t n,
                                    grpc_status_code code, const char *details,
                                    const char *target);

/* report NULL: mo_limits_report's events. */
int mo_limits_new(mo_loop *loop, mo_limits_report_fn report, void *ud, mo_limits **ret);
/* Starts a check of cfg's caches with this data endpoint and token (both
 * copied); a check in flight is cancelled and this one starts once it is
 * back. Says nothing when the control plane's address cannot be known. */
void mo_limits_start(mo_limits *l, const struct mo_config *cfg, const struct mo_endpoint *data,
                     const char *token);
/* The daemon stops: the call in flight cancelled, if any, and a check asked
 * for meanwhile dropped; nothing is said of either. */
void mo_limits_stop(mo_limits *l);
bool mo_limits_busy(const mo_limits *l);
/* fn(ctx) runs when a call mo_limits_stop cancelled is back. */
void mo_limits_on_drained(mo_limits *l, void (*fn)(void *ctx), void *ctx);
/* Frees it; no call may be out (mo_limits_busy false). Accepts NULL. */
void mo_limits_free(mo_limits *l);

/* --check-config: one check here and now, on a loop of its own (gRPC is
 * started and shut down around it), printed as lines on stdout. */
void mo_limits_check_print(const struct mo_config *cfg, const struct mo_endpoint *data,
                           const char *token);

#endif
