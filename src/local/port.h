/* addr.h - HOST:PORT addresses of momento-topics-local's ports.
 *
 * The --listen and --admin-listen values (checked by opts.c: HOST:PORT,
 * HOST possibly [IPv6]) taken apart, given their real port, asked whether
 * they are loopback, and, when binding failed, asked why. None of these logs;
 * errors are sentences in the caller's buffer.
 */
#ifndef TL_PORT_H
#define TL_PORT_H

#include <stdbool.h>
#include <stddef.h>

#include <grpc/grpc_security.h>

#include "opts.h"

/* The host of `hostport` without brackets ("[::1]:80" -> "::1"), truncated to hostlen. */
void tl_port_host(const char *hostport, char *host, size_t hostlen);
/* The port part of `hostport` (the text after its last colon). */
const char *tl_port_text(const char *hostport);
/* `hostport` with its port replaced by `port` ("127.0.0.1:0", 4711 -> "127.0.0.1:4711"). */
void tl_port_addr(const char *hostport, int port, char *buf, size_t len);
/* Whether every address HOST resolves to is a loopback one (127/8, ::1, or
 * ::ffff:127/104). Returns 1 or 0, or a negative errno with a sentence in err
 * when HOST does not resolve. */
int tl_port_loopback(const char *hostport, char *err, size_t errlen);
/* The addresses HOST:PORT names, to listen on (getaddrinfo, numeric port;
 * freeaddrinfo them); -EINVAL with "cannot listen on HOST:PORT: why" in err. */
struct addrinfo;
int tl_port_resolve(const char *hostport, struct addrinfo **ret, char *err, size_t errlen);
/* gRPC only says that adding a port failed; finds out why with a plain
 * bind() of the same address, and writes it into err ("address X is in use").
 * Returns false when binding works (the reason is something else). */
bool tl_port_explain_bind_failure(const char *hostport, char *err, size_t errlen);
/* The data port's credentials: TLS with the PEM files of --tls-cert and
 * --tls-key (the key's copy wiped once read), or plaintext. The caller
 * releases them. NULL with a sentence naming the option and file in err. */
grpc_server_credentials *tl_port_credentials(const struct tl_opts *o, char *err, size_t errlen);

#endif
