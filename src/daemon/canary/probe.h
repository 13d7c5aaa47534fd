/* probe.h - pure: the canary's probe, written and read back.
 *
 * A probe is a topic text value holding one JSON object, so any subscriber
 * can read it (an SDK's valueString(), our own json decoder):
 *
 *   {"timestamp":"2026-12-07T15:47:09.123456Z","clock_error_us":350,
 *    "canary":{"id":"<16 hex>","host":"<host name>","seq":N}}
 *
 * `timestamp` is this host's real-time clock when the probe is handed to
 * gRPC (UTC, microseconds), so other instances read a one-way latency from
 * it; `clock_error_us` is this host's clock error bound at that moment and is
 * left out when unknown; `id` names the daemon process (random per process),
 * `host` its host, `seq` the probe's number in that process, from 1. Padding
 * to an exact size is a ,"padding":"xxx..." member before the closing brace,
 * or spaces there when fewer than MO_PROBE_PAD_FIELD_LEN bytes are missing
 * (still valid JSON).
 *
 *   mo_probe_build       the text of one probe, padded
 *   mo_probe_len_max     the longest probe a host name and size give (for costs)
 *   mo_probe_parse       a received value read as a probe, or not one
 *   mo_probe_host_clean  a host name as probes carry it
 */
#ifndef MO_PROBE_H
#define MO_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MO_PROBE_ID_LEN 16   /* hex digits of an instance id */
#define MO_PROBE_HOST_MAX 64 /* bytes of a host name in a probe */
/* ,"padding":"" : the smallest padding member */
#define MO_PROBE_PAD_FIELD_LEN 13
/* The largest probe: the service's payload limit. */
#define MO_PROBE_SIZE_MAX 4096

struct mo_probe {
    char id[MO_PROBE_ID_LEN + 1];
    char host[MO_PROBE_HOST_MAX + 1];
    uint64_t seq;
    int64_t published_ns;   /* from `timestamp`, real time */
    int64_t clock_error_us; /* -1 when the probe has none */
};

/* Writes probe `seq` of instance `id` (MO_PROBE_ID_LEN hex digits) on `host`
 * (already cleaned, mo_probe_host_clean), published at real_ns, with this
 * host's bound clock_error_us (-1: unknown, left out), padded to `size`
 * bytes (0: none). Returns the length (a NUL follows when there is room),
 * -EMSGSIZE when the unpadded probe is longer than a nonzero size, -ENOBUFS
 * when cap is too small. */
long mo_probe_build(char *buf, size_t cap, const char *id, const char *host, uint64_t seq,
                    int64_t real_ns, int64_t clock_error_us, size_t size);

/* The most bytes a probe of this host (cleaned, host_len bytes) takes with
 * padding `size` (0: none): the size itself when it is larger than every
 * unpadded probe, else the longest unpadded one (20-digit seq and bound). */
size_t mo_probe_len_max(size_t host_len, size_t size);

/* Reads a received value as a probe: 0 and *p when it is a JSON object with
 * a `canary` object holding a string `id` of MO_PROBE_ID_LEN hex digits, a
 * string `host` of at most MO_PROBE_HOST_MAX bytes and a positive integer
 * `seq`, and a top-level RFC 3339 `timestamp`; -EINVAL otherwise (not a
 * probe: it is counted, never matched). */
int mo_probe_parse(const void *value, size_t len, struct mo_probe *p);

/* `name` as probes carry it: at most MO_PROBE_HOST_MAX bytes, each byte
 * outside [A-Za-z0-9.-_] made '_', "unknown" when empty. out has
 * MO_PROBE_HOST_MAX + 1 bytes. */
void mo_probe_host_clean(const char *name, char *out);

#endif
