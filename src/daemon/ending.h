/* ending.h - how a Subscribe stream ended, and what an operator should do
 * about a refusal (SPEC.md, Events; PROTOCOL.md sections 5.5 and 11).
 *
 * Pure: from the status gRPC gave (code, details, the `err` trailer) it
 * decides; the subscription logs. No gRPC call, no clock, no logging.
 *
 *   mo_ending_explain     a refusal (key, cache, limit): its error event and hint
 */
#ifndef MO_ENDING_H
#define MO_ENDING_H

#include <stdbool.h>
#include <stddef.h>

#include <grpc/status.h>

#include "event.h"

/* What the hints name; every string must be set (it is printed as is). */
struct mo_ending_names {
    const char *cache;
    const char *key_source;  /* where the API key came from */
    const char *target;      /* the endpoint, HOST:PORT */
    const char *config_path; /* the configuration file */
};

/* A status that needs the operator (UNAUTHENTICATED or PERMISSION_DENIED: the
 * key; NOT_FOUND: the cache; RESOURCE_EXHAUSTED: a limit) gives true, the
 * error event to log in *ret_type and what to do in hint (NUL-terminated,
 * truncated to hint_len). Any other status: false, nothing written. `details`
 * and `err` (the `err` trailer, "" when absent) must be strings. */
bool mo_ending_explain(grpc_status_code status, const char *details, const char *err,
                       const struct mo_ending_names *names, enum mo_event_type *ret_type,
                       char *hint, size_t hint_len);

#endif
