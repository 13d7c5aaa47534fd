/* payload.h - what momento-publish puts in a message.
 *
 * Formats (man page momento-publish(1), PAYLOAD FORMATS):
 *   seed      {"key_one":"KeyOne","key_two":"KeyTwo","key_three":<seq>,"timestamp":"<RFC 3339>"}
 *             with the time in UTC and microseconds, e.g. 2026-11-23T03:17:57.123456Z;
 *   epoch_ms  the same object with "published_ms":<milliseconds since the epoch>
 *             in place of "timestamp";
 *   text      the RFC 3339 time alone;
 *   literal   the MESSAGE given on the command line, sent as is.
 *
 * The JSON formats (seed, epoch_ms) also carry the publishing host's clock
 * error bound, "clock_error_us":<µs>, after the time, when it is known
 * (momento-subscriberd(8), CLOCK ERROR BOUND): the subscriber adds it to its
 * own to put error bars on each latency. A --size too small for the message
 * with its bound gets the message without it.
 *
 * Padding to an exact size: a JSON message gets a ,"padding":"xxx..." member
 * before its closing brace, or, when fewer than PAYLOAD_PAD_FIELD_LEN bytes
 * are missing, that many spaces before the brace (still valid JSON); text and
 * literal messages get trailing spaces.
 */
#ifndef MO_PUBLISH_PAYLOAD_H
#define MO_PUBLISH_PAYLOAD_H

#include <stddef.h>
#include <stdint.h>

enum payload_format {
    PAYLOAD_SEED,
    PAYLOAD_EPOCH_MS,
    PAYLOAD_TEXT,
    PAYLOAD_LITERAL,
};

struct payload_spec {
    enum payload_format format;
    const char *literal; /* PAYLOAD_LITERAL only */
    size_t size;         /* exact size to pad to; 0 = no padding */
};

/* ,"padding":"" : the smallest padding member */
#define PAYLOAD_PAD_FIELD_LEN 13

/* "seed", "epoch_ms" or "text" (the literal format has no name). -EINVAL otherwise. */
int payload_format_parse(const char *s, enum payload_format *ret);
const char *payload_format_name(enum payload_format f);

/* Length of message `seq` at `real_ns` with clock bound bound_us (-1:
 * unknown, left out) before padding. */
size_t payload_unpadded_len(const struct payload_spec *s, uint64_t seq, int64_t real_ns,
                            int64_t bound_us);

/* Writes message `seq` (counted from 1) published at `real_ns` (CLOCK_REALTIME
 * nanoseconds) into buf and returns its length (no terminating NUL is counted,
 * but one is written when there is room). Returns -EMSGSIZE when the unpadded
 * message is longer than s->size, -ENOBUFS when buf is too small. */
long payload_build(const struct payload_spec *s, uint64_t seq, int64_t real_ns, int64_t bound_us,
                   char *buf, size_t cap);

#endif
