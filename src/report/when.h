/* when.h - the points in time --since and --until accept: a documented subset
 * of systemd.time(7), as journalctl reads them, plus RFC 3339.
 *
 *   now, today, yesterday, tomorrow      (the last three: 00:00:00 local time,
 *                                         or UTC with a " UTC" suffix)
 *   [WEEKDAY ]YYYY-MM-DD[ HH:MM[:SS[.FRACTION]]][ UTC]   local time unless UTC;
 *                                         a weekday must match the date
 *   [WEEKDAY ]HH:MM[:SS[.FRACTION]][ UTC]   that time today
 *   YYYY-MM-DD(T| )HH:MM:SS[.FRACTION](Z|+HH:MM|-HH:MM)   RFC 3339
 *   +SPAN, -SPAN, SPAN ago, SPAN left     relative to now
 *   @SECONDS[.FRACTION]                  seconds since the Unix epoch
 *
 * SPAN is one or more NUMBER[.FRACTION][ ]UNIT, optionally separated by
 * spaces, with the units of systemd.time(7): usec us µs, msec ms,
 * seconds second sec s, minutes minute min m, hours hour hr h, days day d,
 * weeks week w, months month M (2629800 s), years year y (31557600 s); a
 * number without a unit is seconds. Local time follows TZ (mktime(3)).
 * Everything here is pure apart from that: "now" is a parameter.
 */
#ifndef LR_WHEN_H
#define LR_WHEN_H

#include <stdint.h>

/* Parses a point in time into microseconds since the epoch. Returns 0, or
 * -EINVAL when s is not one of the forms above (or names an invalid date). */
int lr_when_parse(const char *s, int64_t now_us, int64_t *ret_us);

/* Parses only the RFC 3339 form (the daemon's `ts`). Returns 0 or -EINVAL. */
int lr_when_parse_rfc3339(const char *s, int64_t *ret_us);

#endif
