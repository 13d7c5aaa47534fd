/* ending.c - stream ends and refusals explained (ending.h). */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "ending.h"

bool mo_ending_explain(grpc_status_code status, const char *details, const char *err,
                       const struct mo_ending_names *n, enum mo_event_type *ret_type,
                       char *hint, size_t hint_len)
{
    switch (status) {
    case GRPC_STATUS_UNAUTHENTICATED:
    case GRPC_STATUS_PERMISSION_DENIED:
        snprintf(hint, hint_len,
                 "the service rejected the API key (%s); check that it is valid, not expired, and "
                 "allowed to subscribe to cache %.200s; the daemon keeps retrying",
                 n->key_source, n->cache);
        *ret_type = MO_EV_AUTH_ERROR;
        return true;
    case GRPC_STATUS_NOT_FOUND:
        snprintf(hint, hint_len,
                 "cache %.200s does not exist at %.200s; create it or fix the subscription in %.400s; the "
                 "daemon keeps retrying",
                 n->cache, n->target, n->config_path);
        *ret_type = MO_EV_NOT_FOUND;
        return true;
    case GRPC_STATUS_RESOURCE_EXHAUSTED:
        if (strcmp(err, "topic_subscriptions_limit_exceeded") == 0 || strstr(details, "subscribers"))
            snprintf(hint, hint_len,
                     "too many subscriptions for cache %.200s; remove subscriptions or ask Momento "
                     "to raise the limit; the daemon keeps retrying",
                     n->cache);
        else
            snprintf(hint, hint_len,
                     "a service limit was exceeded%s%s; the daemon keeps retrying with backoff",
                     *err ? ": " : "", err);
        *ret_type = MO_EV_LIMIT_EXCEEDED;
        return true;
    default:
        return false;
    }
}
