/* endpoint.h - where the data plane is and how to reach it.
 *
 * Without an override the target is cache.<endpoint>:443 over TLS with the
 * system trust store. The base endpoint comes from, in order: the config
 * (`endpoint:`), the v1 key, $MOMENTO_ENDPOINT. A legacy JWT names its cache
 * host directly. `endpoint_override: HOST:PORT` replaces the target entirely;
 * plaintext is only allowed together with an override.
 */
#ifndef MO_ENDPOINT_H
#define MO_ENDPOINT_H

#include <stdbool.h>
#include <stddef.h>

#include "creds.h"

struct mo_endpoint_opts {
    const char *endpoint; /* base endpoint, e.g. cell-1-us-east-1-1.prod.a.momentohq.com */
    const char *override; /* HOST:PORT */
    int tls;              /* -1 unset (TLS), 0 plaintext, 1 TLS */
};

struct mo_endpoint {
    char target[512];    /* gRPC target, HOST:PORT */
    char authority[512]; /* host name checked against the certificate */
    bool tls;
    bool overridden;
};

/* Fills `ret` or returns -EINVAL with a sentence in err. */
int mo_endpoint_resolve(const struct mo_creds *creds, const struct mo_endpoint_opts *opts,
                        struct mo_endpoint *ret, char *err, size_t errlen);

/* Checks HOST:PORT (host name, IPv4, or [IPv6]; port 1-65535). */
bool mo_hostport_valid(const char *s);

#endif
