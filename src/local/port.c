/* addr.c - HOST:PORT addresses: parts, real port, loopback, bind failures (addr.h). */
#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"
#include "port.h"

void tl_port_host(const char *hostport, char *host, size_t hostlen)
{
    const char *colon = strrchr(hostport, ':');
    size_t hl = colon ? (size_t)(colon - hostport) : strlen(hostport);
    if (hostport[0] == '[') {
        hl = hl >= 2 ? hl - 2 : 0;
        snprintf(host, hostlen, "%.*s", (int)hl, hostport + 1);
    } else {
        snprintf(host, hostlen, "%.*s", (int)hl, hostport);
    }
}

const char *tl_port_text(const char *hostport)
{
    const char *colon = strrchr(hostport, ':');
    return colon ? colon + 1 : "";
}

void tl_port_addr(const char *hostport, int port, char *buf, size_t len)
{
    const char *colon = strrchr(hostport, ':');
    int hl = colon ? (int)(colon - hostport) : (int)strlen(hostport);
    snprintf(buf, len, "%.*s:%d", hl, hostport, port);
}

static bool is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
    }
    return false;
}

int tl_port_resolve(const char *hostport, struct addrinfo **ret, char *err, size_t errlen)
{
    char host[256];
    tl_port_host(hostport, host, sizeof host);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    *ret = NULL;
    int g = getaddrinfo(host, tl_port_text(hostport), &hints, ret);
    if (g != 0) {
        snprintf(err, errlen, "cannot listen on %s: %s", hostport, gai_strerror(g));
        return -EINVAL;
    }
    return 0;
}

int tl_port_loopback(const char *hostport, char *err, size_t errlen)
{
    struct addrinfo *ai;
    if (tl_port_resolve(hostport, &ai, err, errlen) < 0)
        return -EINVAL;
    int all = 1;
    for (struct addrinfo *a = ai; a; a = a->ai_next)
        if (!is_loopback(a->ai_addr))
            all = 0;
    freeaddrinfo(ai);
    return all;
}

bool tl_port_explain_bind_failure(const char *listen, char *err, size_t errlen)
{
    char host[256];
    tl_port_host(listen, host, sizeof host);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE};
    struct addrinfo *ai = NULL;
    int g = getaddrinfo(host, tl_port_text(listen), &hints, &ai);
    if (g != 0) {
        snprintf(err, errlen, "cannot listen on %s: %s", listen, gai_strerror(g));
        return true;
    }
    int e = 0;
    for (struct addrinfo *a = ai; a; a = a->ai_next) {
        int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) {
            e = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, a->ai_addr, a->ai_addrlen) < 0)
            e = errno;
        close(fd);
        if (e)
            break;
    }
    freeaddrinfo(ai);
    if (e == EADDRINUSE)
        snprintf(err, errlen, "address %s is in use", listen);
    else if (e)
        snprintf(err, errlen, "cannot listen on %s: %s", listen, strerror(e));
    else
        snprintf(err, errlen, "cannot listen on %s", listen);
    return e != 0;
}

static char *read_pem(const char *path, const char *what, char *err, size_t errlen)
{
    _cleanup_fclose_ FILE *f = fopen(path, "re");
    if (!f) {
        snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
        return NULL;
    }
    char *buf = NULL;
    size_t len = 0;
    _cleanup_fclose_ FILE *m = open_memstream(&buf, &len);
    if (!m)
        return NULL;
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        fwrite(chunk, 1, n, m);
    bool rd_err = ferror(f);
    fclose(m);
    m = NULL;
    if (rd_err || !strstr(buf, "-----BEGIN ")) {
        snprintf(err, errlen, "%s %s: %s", what, path,
                 rd_err ? "read error" : "not a PEM file (no -----BEGIN line)");
        free(buf);
        return NULL;
    }
    return buf;
}

grpc_server_credentials *tl_port_credentials(const struct tl_opts *o, char *err, size_t errlen)
{
    grpc_server_credentials *creds;
    if (o->tls_cert) {
        _cleanup_free_ char *cert = read_pem(o->tls_cert, "--tls-cert", err, errlen);
        if (!cert)
            return NULL;
        _cleanup_free_ char *key = read_pem(o->tls_key, "--tls-key", err, errlen);
        if (!key)
            return NULL;
        grpc_ssl_pem_key_cert_pair pair = {.private_key = key, .cert_chain = cert};
        creds = grpc_ssl_server_credentials_create(NULL, &pair, 1, 0, NULL);
        explicit_bzero(key, strlen(key));
    } else {
        creds = grpc_insecure_server_credentials_create();
    }
    if (!creds)
        snprintf(err, errlen, "cannot create the server credentials");
    return creds;
}
