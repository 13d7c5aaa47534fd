/* ending.h - how a Subscribe stream ended, and what an operator should do
 * about a refusal (momento-subscriberd(8), STREAM ENDS and
 * EVENTS; src/proto/README.md §7).
 *
 * Pure: from the status gRPC gave (code, details, the `err` trailer) and
 * whether the subscription cancelled the call itself, it decides; the
 * subscription counts and logs. No gRPC call, no clock, no logging.
 *
 *   mo_ending_classify    the class of a stream end (counted per class in the summary)
 *   mo_ending_name        "ok", "rst", "idle", "cancelled", "oversized", "error"
 *   mo_ending_normal      whether a class is the server's normal way to end a stream
 *   mo_ending_oversize    the size and limit gRPC names when a message was too large
 *   mo_ending_explain     a refusal (key, cache, limit): its error event and hint
 */
#ifndef MO_ENDING_H
#define MO_ENDING_H

#include <stdbool.h>
#include <stddef.h>

#include <grpc/status.h>

#include "log/event.h"

/* How a stream ended. */
enum mo_ending {
    /* the server ended it without an error: status OK (src/proto/README.md §7.1) */
    MO_END_OK,
    /* the server reset it with RST_STREAM(NO_ERROR): INTERNAL with "RST_STREAM"
     * and "error code 0" (gRPC C core) or "NO_ERROR" (Go) in the details;
     * normal operation too (src/proto/README.md §7.1) */
    MO_END_RST,
    MO_END_IDLE,      /* our idle watchdog cancelled it */
    MO_END_CANCELLED, /* we cancelled it: the subscription is stopping */
    /* a message over our receive limit (MO_SUB_MAX_RECEIVE_BYTES, sub.h):
     * RESOURCE_EXHAUSTED "Received message larger than max (N vs. M)" from
     * our own gRPC */
    MO_END_OVERSIZED,
    MO_END_ERROR, /* any other status, or a call we could not make */
    MO_END__COUNT
};

/* The class of a stream that ended with `status` and `details`. `stopping`:
 * we cancelled it to stop; `idle`: the idle watchdog cancelled it (either
 * wins over the status, which then only echoes our cancel). */
enum mo_ending mo_ending_classify(grpc_status_code status, const char *details, bool stopping, bool idle);
const char *mo_ending_name(enum mo_ending e);
/* OK, RST and OVERSIZED: not an alarm (an oversized message has its own). */
bool mo_ending_normal(enum mo_ending e);
/* From gRPC's "Received message larger than max (N vs. M)": the message's
 * size N and the limit M. False, nothing written, when the text is not that. */
bool mo_ending_oversize(const char *details, uint64_t *ret_size, uint64_t *ret_limit);

/* What the hints name; every string must be set (it is printed as is). */
struct mo_ending_names {
    const char *cache;
    const char *key_source;  /* where the API key came from */
    const char *target;      /* the endpoint, HOST:PORT */
    const char *config_path; /* the configuration file */
    const char *key_expired_at; /* the key's expiry (RFC 3339) when it has passed, else NULL */
    bool ca_file;               /* momento.ca_file is set (the CA trusted instead of the system's) */
};

/* A status that needs the operator (UNAUTHENTICATED or PERMISSION_DENIED: the
 * key; NOT_FOUND: the cache; RESOURCE_EXHAUSTED: a limit) gives true, the
 * error event to log in *ret_type and what to do in hint (NUL-terminated,
 * truncated to hint_len). Any other status: false, nothing written. `details`
 * and `err` (the `err` trailer, "" when absent) must be strings. */
/* Which limit a RESOURCE_EXHAUSTED names, by its `err` trailer or, without
 * one, words of its details (src/proto/README.md, errors): "subscriptions",
 * "operations rate", "throughput", "request size", "item size", "element
 * size", or NULL when neither says; and the limit's figure when the details
 * give one ("limit of 100", "limit: 100"), else -1. Pure. */
const char *mo_ending_limit(const char *details, const char *err, long long *ret_limit);

/* A connection that could not be made (UNAVAILABLE, as gRPC words it: refused,
 * unreachable, timed out, DNS, TLS): its cause as a fixed word ("refused",
 * "unreachable", "timeout", "dns", "tls_untrusted", "tls_name", "tls",
 * "connect"; the same pointer for the same cause), or NULL when the status
 * or details say something else. Pure. */
const char *mo_ending_connect_cause(grpc_status_code status, const char *details);

/* Also, for a connection that could not be made (mo_ending_connect_cause),
 * connect_error with the cause in plain words and what to do. */
bool mo_ending_explain(grpc_status_code status, const char *details, const char *err,
                       const struct mo_ending_names *names, enum mo_event_type *ret_type,
                       char *hint, size_t hint_len);

#endif
