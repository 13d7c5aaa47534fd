/* keylife.h - the API key's lifetime: when it expires, and the events that
 * say so ahead (momento-subscriberd(8), KEY LIFETIME).
 *
 * Keys that carry an expiry (`exp`: v2 API keys, legacy JWTs, disposable
 * tokens, whose lifetime is at most a day) are watched from start and after
 * each reload, once a second with the status line:
 *   key_expiring (warning)   under 7 days are left, at start or reload or when
 *                            it happens, and again when under a day is left
 *   key_expired (error)      the moment has passed: the service will refuse it
 * A key without `exp` is never said to expire.
 *
 *   mo_keylife_set      a key (at start or reload): what it says is said again
 *   mo_keylife_step     pure: the change a moment makes
 *   mo_keylife_check    the step, and its event
 *   mo_keylife_left_s   seconds left (negative once expired)
 */
#ifndef MO_KEYLIFE_H
#define MO_KEYLIFE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MO_KEYLIFE_WARN_S (7 * 86400) /* key_expiring from here */
#define MO_KEYLIFE_LAST_S 86400       /* and again from here */

struct mo_keylife {
    int64_t expires_at; /* seconds since the epoch; 0: the key carries no expiry */
    int said;           /* 0 nothing yet, 1 under 7 days, 2 under a day, 3 expired */
};

enum mo_keylife_change {
    MO_KEYLIFE_SAME,
    MO_KEYLIFE_EXPIRING, /* under 7 days left */
    MO_KEYLIFE_LAST_DAY, /* under a day left */
    MO_KEYLIFE_EXPIRED,
};

void mo_keylife_set(struct mo_keylife *k, int64_t expires_at);
enum mo_keylife_change mo_keylife_step(struct mo_keylife *k, int64_t now_s);
/* Emits key_expiring or key_expired when the step says so; key_source names
 * where the key came from (for the hint). */
void mo_keylife_check(struct mo_keylife *k, int64_t now_s, const char *key_source);
/* Seconds until it expires (negative after), when known. */
bool mo_keylife_left_s(const struct mo_keylife *k, int64_t now_s, int64_t *ret);
/* "2 d 3 h", "5 h 12 min", "40 s": a span for sentences. */
void mo_keylife_span(int64_t s, char *buf, size_t len);

#endif
