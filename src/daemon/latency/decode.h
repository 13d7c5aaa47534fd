/* decode.h - find the publish time in a message payload.
 *
 * Three modes (momento-subscriber.yaml(5), DECODE MODES): `json` finds the
 * timestamp at a dotted path; `text` reads the whole payload as the timestamp;
 * `binary` reads an integer at a fixed offset. Text and binary topic values are
 * accepted by every mode. Timestamps are RFC 3339 strings or epoch numbers
 * (s/ms/us/ns); `auto` tells them apart, and the epoch unit by magnitude.
 * Reading them is the time module's (timefmt.h).
 *
 * Nothing here logs or keeps state between calls: a payload that cannot be
 * decoded yields -EINVAL and a short reason ("invalid JSON at byte 12",
 * "field timestamp missing") for the caller's decode_error event.
 */
#ifndef MO_DECODE_H
#define MO_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pubsub.h"
#include "timefmt.h"

enum mo_decode_mode { MO_DECODE_JSON, MO_DECODE_TEXT, MO_DECODE_BINARY };

/* The configuration's names for the time module's formats. */
enum mo_ts_format {
    MO_TS_AUTO = MO_TIME_AUTO,
    MO_TS_RFC3339 = MO_TIME_RFC3339,
    MO_TS_EPOCH_S = MO_TIME_EPOCH_S,
    MO_TS_EPOCH_MS = MO_TIME_EPOCH_MS,
    MO_TS_EPOCH_US = MO_TIME_EPOCH_US,
    MO_TS_EPOCH_NS = MO_TIME_EPOCH_NS,
};

enum mo_bin_encoding { MO_BIN_U32BE, MO_BIN_U32LE, MO_BIN_U64BE, MO_BIN_U64LE };

enum mo_ts_unit { MO_UNIT_S, MO_UNIT_MS, MO_UNIT_US, MO_UNIT_NS };

#define MO_DECODE_PATH_MAX 16 /* components in a dotted path */
#define MO_DECODE_REASON_MAX 160

/* How one subscription's payloads are decoded. Plain data; copy freely
 * (the path strings are owned by the config that built it). */
struct mo_decoder {
    enum mo_decode_mode mode;
    enum mo_ts_format format;       /* json and text */
    const char *field;              /* json: the dotted path as written */
    const char *path[MO_DECODE_PATH_MAX]; /* json: its components */
    size_t path_len;
    size_t path_lens[MO_DECODE_PATH_MAX];
    size_t offset;                  /* binary */
    enum mo_bin_encoding encoding;  /* binary */
    enum mo_ts_unit unit;           /* binary */
};

/* Splits `field` (e.g. "meta.sent_at") into d->path. The components point into
 * `field`, which must outlive d. Returns -EINVAL for an empty component or too
 * many components. */
int mo_decoder_set_field(struct mo_decoder *d, const char *field);

/* Extracts the publish time from a payload. Returns 0 with *ret_ns (nanoseconds
 * since the epoch, may be before or after now), or -EINVAL with a reason, or
 * -ERANGE ("timestamp out of range") for a time int64 nanoseconds cannot hold
 * (before 1677-09-21 or after 2262-04-11). A json decoder with no path
 * (path_len 0) reads the whole JSON value as the timestamp. reason may be NULL. */
int mo_decode_timestamp(const struct mo_decoder *d, const uint8_t *payload, size_t len,
                        int64_t *ret_ns, char *reason, size_t reason_len);
/* The same, and the publisher's clock error bound when the payload is a JSON
 * object with a top-level number `clock_error_us` (SPEC, "Clock error bound"):
 * *ret_bound_us is it in µs rounded up, or -1 (no such member, not a number,
 * negative, or above MO_DECODE_BOUND_MAX_US; never an error: the timestamp
 * decides). Only the json mode reads it; the other modes give -1. */
#define MO_DECODE_BOUND_MAX_US (1000LL * 1000000) /* 1000 s: beyond, it is no bound */
int mo_decode_timestamp_bound(const struct mo_decoder *d, const uint8_t *payload, size_t len,
                              int64_t *ret_ns, int64_t *ret_bound_us, char *reason,
                              size_t reason_len);

/* The config spellings ("json", "epoch_ms", ...); NULL outside the enum. */
const char *mo_decode_mode_name(enum mo_decode_mode m);
const char *mo_ts_format_name(enum mo_ts_format f);

/* The latency of one delivered item, or why it has none. */
struct mo_latency {
    bool ok;
    int64_t published_ns, received_ns;
    int64_t latency_us; /* received - published, floored to the microsecond */
    /* the error bars (SPEC, "Clock error bound"), -1 when unknown */
    int64_t host_bound_us;      /* this host's clock, when received */
    int64_t publisher_bound_us; /* the publisher's, from the payload */
    int64_t skew_us; /* > 0: latency < -(both bounds) proves a clock wrong by at least
                        this much (a missing publisher bound counts as 0); else 0 */
    char reason[MO_DECODE_REASON_MAX]; /* !ok: why (a decode error) */
};
/* The item's publish time (mo_decode_timestamp_bound on its value) against
 * received_ns, with this host's bound host_bound_us (-1: unknown, and then no
 * skew is proved). False with ret->reason when the item has no value, its
 * time cannot be read, or the difference does not fit. Never logs. */
bool mo_latency_measure(const struct mo_decoder *d, const struct mo_item *it, int64_t received_ns,
                        int64_t host_bound_us, struct mo_latency *ret);
/* Both bounds summed, or -1 when either is unknown. */
int64_t mo_latency_bound_us(const struct mo_latency *l);

#endif
