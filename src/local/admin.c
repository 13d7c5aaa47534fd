/* admin.c - the test-admin port: HTTP/1.x polled from a loop timer (admin.h). */
#include <config.h>

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "admin.h"
#include "cleanup.h"
#include "clock.h"
#include "port.h"

#define LISTENERS 4 /* addresses of one HOST ("localhost": 127.0.0.1 and ::1) */

enum conn_state {
    CONN_FREE,
    CONN_READING,  /* until the blank line after the headers */
    CONN_WRITING,  /* the answer, maybe in parts */
    CONN_DRAINING, /* answered and shut down for writing: reading to EOF, so
                    * that unread bytes make no RST that could lose the answer */
};

struct conn {
    int fd;
    enum conn_state state;
    uint64_t deadline_us;
    char req[TL_ADMIN_REQ_MAX];
    size_t req_len;
    char resp[256];
    size_t resp_len, resp_off;
};

struct tl_admin {
    mo_loop *loop;
    struct tl_admin_hooks hooks;
    int lfd[LISTENERS];
    size_t n_lfd;
    int port;
    mo_timer tick;
    struct conn conns[TL_ADMIN_CONNS];
};

static void on_tick(mo_timer *t);
static int listen_all(tl_admin *a, const char *hostport, char *err, size_t errlen);

int tl_admin_new(mo_loop *loop, const char *hostport, bool allow_remote,
                 const struct tl_admin_hooks *hooks, tl_admin **ret, char *err, size_t errlen)
{
    char why[512];
    int lo = tl_port_loopback(hostport, why, sizeof why);
    if (lo < 0) {
        snprintf(err, errlen, "--admin-listen: %s", why);
        return lo;
    }
    if (!lo && !allow_remote) {
        snprintf(err, errlen,
                 "--admin-listen %s: not a loopback address, and whoever reaches the "
                 "test-admin port can cut the data port off; give --admin-allow-remote "
                 "to listen there anyway",
                 hostport);
        return -EPERM;
    }
    tl_admin *a = calloc(1, sizeof *a);
    if (!a) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    a->loop = loop;
    a->hooks = *hooks;
    for (size_t i = 0; i < TL_ADMIN_CONNS; i++)
        a->conns[i].fd = -1;
    mo_timer_init(&a->tick, on_tick);
    int r = listen_all(a, hostport, err, errlen);
    if (r < 0) {
        tl_admin_free(a);
        return r;
    }
    mo_timer_start(loop, &a->tick, TL_ADMIN_TICK_US);
    *ret = a;
    return 0;
}

int tl_admin_port(const tl_admin *a) { return a->port; }

static void conn_close(struct conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->state = CONN_FREE;
}

void tl_admin_free(tl_admin *a)
{
    if (!a)
        return;
    mo_timer_stop(a->loop, &a->tick);
    for (size_t i = 0; i < TL_ADMIN_CONNS; i++)
        conn_close(&a->conns[i]);
    for (size_t i = 0; i < a->n_lfd; i++)
        close(a->lfd[i]);
    free(a);
}

/* ---- listening ---- */

/* Binds every address of HOST (with port 0: the first one's port for the
 * others, as gRPC does for --listen). An address in use is an error; one the
 * host cannot have (no IPv6) is not, as long as another one listens. */
static int listen_all(tl_admin *a, const char *hostport, char *err, size_t errlen)
{
    struct addrinfo *ai;
    char why[300];
    if (tl_port_resolve(hostport, &ai, why, sizeof why) < 0) {
        snprintf(err, errlen, "--admin-listen: %s", why);
        return -EINVAL;
    }
    int e = 0;
    for (struct addrinfo *p = ai; p && a->n_lfd < LISTENERS; p = p->ai_next) {
        _cleanup_close_ int fd =
            socket(p->ai_family, p->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, p->ai_protocol);
        if (fd < 0) {
            e = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (p->ai_family == AF_INET6) /* "::" beside "0.0.0.0" must not clash */
            setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
        if (a->port) { /* port 0 asked: the same port on every address */
            if (p->ai_family == AF_INET)
                ((struct sockaddr_in *)p->ai_addr)->sin_port = htons((uint16_t)a->port);
            else if (p->ai_family == AF_INET6)
                ((struct sockaddr_in6 *)p->ai_addr)->sin6_port = htons((uint16_t)a->port);
        }
        if (bind(fd, p->ai_addr, p->ai_addrlen) < 0 || listen(fd, 16) < 0) {
            e = errno;
            if (e == EADDRINUSE)
                break;
            continue;
        }
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        if (!a->port && getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
            a->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                     : ((struct sockaddr_in *)&ss)->sin_port);
        a->lfd[a->n_lfd++] = fd;
        fd = -1; /* kept */
    }
    freeaddrinfo(ai);
    if (e == EADDRINUSE)
        snprintf(err, errlen, "--admin-listen: address %s is in use", hostport);
    else if (a->n_lfd == 0)
        snprintf(err, errlen, "--admin-listen: cannot listen on %s: %s", hostport,
                 strerror(e ? e : EADDRNOTAVAIL));
    else
        return 0;
    return -(e ? e : EADDRNOTAVAIL);
}

/* ---- requests ---- */

static void answer(struct conn *c, int code, const char *body)
{
    const char *reason = code == 200 ? "OK" : code == 404 ? "Not Found" : "Bad Request";
    int n = snprintf(c->resp, sizeof c->resp,
                     "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n%s",
                     code, reason, strlen(body), body);
    c->resp_len = n > 0 && (size_t)n < sizeof c->resp ? (size_t)n : 0;
    c->resp_off = 0;
    c->state = CONN_WRITING;
}

/* The request line of a complete head: METHOD SP TARGET SP HTTP/1.x. */
static void handle(tl_admin *a, struct conn *c)
{
    char method[16], target[256], version[16];
    char *eol = memchr(c->req, '\n', c->req_len);
    *eol = '\0';
    if (eol > c->req && eol[-1] == '\r')
        eol[-1] = '\0';
    if (sscanf(c->req, "%15s %255s %15s", method, target, version) != 3 ||
        strncmp(version, "HTTP/1.", 7) != 0) {
        answer(c, 400, "bad request: not HTTP/1.x\n");
        return;
    }
    target[strcspn(target, "?")] = '\0'; /* a query changes nothing */
    bool get = strcmp(method, "GET") == 0;
    if (get && strcmp(target, "/block") == 0)
        answer(c, 200, a->hooks.block(a->hooks.userdata) ? "blocked\n" : "already blocked\n");
    else if (get && strcmp(target, "/unblock") == 0)
        answer(c, 200,
               a->hooks.unblock(a->hooks.userdata) ? "unblocked\n" : "already unblocked\n");
    else
        answer(c, 404, "not found: GET /block or GET /unblock\n");
}

/* Whether the head is complete: a blank line (CRLF or bare LF) after the request line. */
static bool head_done(const struct conn *c)
{
    for (size_t i = 1; i < c->req_len; i++)
        if (c->req[i] == '\n' &&
            (c->req[i - 1] == '\n' || (i >= 2 && c->req[i - 1] == '\r' && c->req[i - 2] == '\n')))
            return true;
    return false;
}

/* Does what can be done now without waiting; closes the connection when it is over. */
static void conn_step(tl_admin *a, struct conn *c, uint64_t now)
{
    if (now >= c->deadline_us) {
        conn_close(c);
        return;
    }
    while (c->state == CONN_READING) {
        ssize_t n = recv(c->fd, c->req + c->req_len, sizeof c->req - c->req_len, 0);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n <= 0) { /* gone before a whole request */
            conn_close(c);
            return;
        }
        c->req_len += (size_t)n;
        if (head_done(c))
            handle(a, c);
        else if (c->req_len == sizeof c->req)
            answer(c, 400, "bad request: the request head is too long\n");
    }
    while (c->state == CONN_WRITING) {
        if (c->resp_off == c->resp_len) {
            shutdown(c->fd, SHUT_WR);
            c->state = CONN_DRAINING;
            break;
        }
        ssize_t n = send(c->fd, c->resp + c->resp_off, c->resp_len - c->resp_off, MSG_NOSIGNAL);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n < 0) {
            conn_close(c);
            return;
        }
        c->resp_off += (size_t)n;
    }
    while (c->state == CONN_DRAINING) {
        char sink[512];
        ssize_t n = recv(c->fd, sink, sizeof sink, 0);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n <= 0)
            conn_close(c);
    }
}

static void on_tick(mo_timer *t)
{
    tl_admin *a = container_of(t, tl_admin, tick);
    uint64_t now = mo_mono_us();
    for (size_t i = 0; i < TL_ADMIN_CONNS; i++)
        if (a->conns[i].state != CONN_FREE)
            conn_step(a, &a->conns[i], now);
    /* new connections into the free places; the rest wait in the backlog */
    for (size_t l = 0; l < a->n_lfd; l++)
        for (size_t i = 0; i < TL_ADMIN_CONNS; i++) {
            struct conn *c = &a->conns[i];
            if (c->state != CONN_FREE)
                continue;
            int fd = accept4(a->lfd[l], NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd < 0)
                break; /* none waiting (or a transient error: next tick) */
            *c = (struct conn){.fd = fd, .state = CONN_READING,
                               .deadline_us = now + TL_ADMIN_DEADLINE_US};
            conn_step(a, c, now);
        }
    mo_timer_start(a->loop, &a->tick, TL_ADMIN_TICK_US);
}
