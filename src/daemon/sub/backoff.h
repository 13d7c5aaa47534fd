/* backoff.h - how long a subscription waits before it subscribes again.
 *
 * Pure arithmetic: no clock, no randomness of its own (the caller passes a
 * random number), no state.
 *
 *   mo_backoff_delay    the delay after `failures` consecutive failed streams
 *
 * The rule (momento-subscriber.yaml(5), RECONNECT: backoff applies to
 * consecutive failures only):
 *   failures 0     0: a healthy stream ended; subscribe again at once
 *   failures n     initial x 2^(n-1), at most max, then up to a fifth less
 *                  (jitter, so that streams cut at once do not return at
 *                  once), never below initial
 */
#ifndef MO_BACKOFF_H
#define MO_BACKOFF_H

#include <stdint.h>

/* The delay in microseconds before the next Subscribe call after `failures`
 * consecutive failed streams. `random` is any value from the caller's random
 * source; only its remainder modulo a fifth of the delay is used. With
 * initial_us > max_us, max_us is ignored (the delay is initial_us). */
uint64_t mo_backoff_delay(uint64_t initial_us, uint64_t max_us, unsigned failures, uint64_t random);

#endif
