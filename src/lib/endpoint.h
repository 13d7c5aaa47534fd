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
    const char *ca_file;  /* NULL: the system's trust store */
    const char *endpoint; /* base endpoint, e.g. cell-1-us-east-1-1.prod.a.momentohq.com */
    const char *override; /* HOST:PORT */
    int tls;              /* -1 unset (TLS), 0 plaintext, 1 TLS */
};

struct mo_endpoint {
    char target[512];    /* gRPC target, HOST:PORT */
    char authority[512]; /* host name checked against the certificate */
    bool tls;
    bool overridden;
    char ca_file[512]; /* PEM of the CA trusted instead of the system's store; "": the store */
};

/* Fills `ret` or returns -EINVAL with a sentence in err, which names where
 * a bad host came from and never echoes one that looks like an API key. */
int mo_endpoint_resolve(const struct mo_creds *creds, const struct mo_endpoint_opts *opts,
                        struct mo_endpoint *ret, char *err, size_t errlen);

#define MO_CA_FILE_MAX (1024 * 1024)
/* The PEM text of a CA file (momento.ca_file), checked to hold a certificate:
 * a new string, or NULL with a sentence naming the file in err. */
char *mo_endpoint_read_ca(const char *path, char *err, size_t errlen);
/* The control plane's target for a data plane's (src/proto/README.md §13):
 * control.<endpoint>:443 for cache.<endpoint>:443, the same HOST:PORT and TLS
 * for an override (as the SDKs do for momento-local). -ENOENT when the data
 * host is not cache.<something> (a legacy key's own host name). */
int mo_endpoint_control(const struct mo_endpoint *data, struct mo_endpoint *ret);
/* The rule for plaintext: tls 0 is only for an override (a local server or a
 * proxy); the Momento service needs TLS. Returns 0, or -EINVAL with the
 * sentence in err (which may be NULL). */
int mo_endpoint_check_tls(int tls, const char *override, char *err, size_t errlen);

/* Whether the len bytes at h name a host: a DNS host name (RFC 1123: labels of
 * 1 to 63 letters, digits and hyphens, none starting or ending with a hyphen,
 * joined by dots, 253 characters at most, one final dot allowed), an IPv4
 * address (a name whose last label is all digits must be one), or an IPv6
 * address in brackets. No underscore: it is not part of a host name. Never
 * what looks like an API key (secret.h): a key's parts can be valid labels. */
bool mo_host_valid(const char *h, size_t len);

/* Checks HOST:PORT (HOST as mo_host_valid; port 1-65535). */
bool mo_hostport_valid(const char *s);

#endif
