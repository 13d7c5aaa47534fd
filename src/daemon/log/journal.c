/* journal.c - journald's native socket, within a time limit (journal.h). */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <unistd.h>

#include "log/journal.h"

/* journald raises its receive buffer; ours only bounds the datagram size
 * (an unprivileged process gets at most net.core.wmem_max) */
#define JOURNAL_SNDBUF (8 << 20)

int mo_journal_open(struct mo_journal *j, const char *path, uint64_t wait_us)
{
    *j = (struct mo_journal){.fd = -1, .addr = {.sun_family = AF_UNIX}};
    size_t pl = strlen(path);
    if (pl >= sizeof j->addr.sun_path)
        return -ENAMETOOLONG;
    memcpy(j->addr.sun_path, path, pl);
    j->addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + pl + 1);
    j->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (j->fd < 0)
        return -errno;
    int sz = JOURNAL_SNDBUF;
    (void)setsockopt(j->fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
    if (wait_us < 1000)
        wait_us = 1000; /* 0 would mean forever */
    struct timeval tv = {.tv_sec = (time_t)(wait_us / 1000000), .tv_usec = (suseconds_t)(wait_us % 1000000)};
    if (setsockopt(j->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) < 0) {
        int r = -errno;
        mo_journal_close(j);
        return r;
    }
    return 0;
}

void mo_journal_close(struct mo_journal *j)
{
    if (j->fd >= 0)
        close(j->fd);
    j->fd = -1;
}

int mo_journal_probe(const struct mo_journal *j)
{
    /* connecting a datagram socket tells without sending anything */
    int probe = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (probe < 0)
        return -errno;
    int r = connect(probe, (const struct sockaddr *)&j->addr, j->addr_len) < 0 ? -errno : 0;
    close(probe);
    return r;
}

/* sendmsg, again after a signal; EAGAIN (the time limit ran out) as -ETIMEDOUT */
static int send_msg(const struct mo_journal *j, struct msghdr *mh, bool wait)
{
    int flags = MSG_NOSIGNAL | (wait ? 0 : MSG_DONTWAIT);
    for (;;) {
        if (sendmsg(j->fd, mh, flags) >= 0)
            return 0;
        if (errno == EINTR)
            continue;
        return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
    }
}

/* A record too large for a datagram: journald reads it from a sealed memfd. */
static int send_memfd(const struct mo_journal *j, const char *p, size_t n, bool wait)
{
    int fd = memfd_create("momento-subscriberd", MFD_ALLOW_SEALING | MFD_CLOEXEC);
    if (fd < 0)
        return -errno;
    int r = 0;
    for (size_t off = 0; off < n && r == 0;) {
        ssize_t w = write(fd, p + off, n - off);
        if (w >= 0)
            off += (size_t)w;
        else if (errno != EINTR)
            r = -errno;
    }
    if (r == 0 && fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
        r = -errno;
    if (r == 0) {
        union {
            struct cmsghdr h;
            char buf[CMSG_SPACE(sizeof(int))];
        } ctl;
        memset(&ctl, 0, sizeof ctl);
        struct msghdr mh = {.msg_name = (void *)&j->addr, .msg_namelen = j->addr_len, .msg_control = &ctl,
                            .msg_controllen = sizeof ctl};
        struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cm), &fd, sizeof fd);
        r = send_msg(j, &mh, wait);
    }
    close(fd);
    return r;
}

int mo_journal_send(const struct mo_journal *j, const char *rec, size_t n, bool wait)
{
    struct iovec iov = {(void *)rec, n};
    struct msghdr mh = {.msg_name = (void *)&j->addr, .msg_namelen = j->addr_len, .msg_iov = &iov, .msg_iovlen = 1};
    int r = send_msg(j, &mh, wait);
    if (r == -EMSGSIZE || r == -ENOBUFS)
        return send_memfd(j, rec, n, wait);
    return r;
}
