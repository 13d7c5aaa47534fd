/* sink.c - the writer thread and its bounded queue (sink.h).
 *
 * Buffers are chunks of at least 64 KiB. The loop thread owns the open chunk
 * and appends to it; a full or flushed chunk goes to the tail of the queue
 * (under the mutex, which is never held across a system call). The writer
 * takes chunks from the head and writes them: a chunk of lines with write(2),
 * a chunk of journal records one datagram each. `queued` counts the bytes
 * handed over and not yet written; with the open chunk's length it is what
 * admission compares with the limits, without taking the lock.
 *
 * For the barrier, `handed` counts every byte the loop handed over since the
 * process started and `written` every byte the writer is done with; both
 * only grow, across sinks. Waiters sleep on `done` under `mu`; neither is
 * ever destroyed, so that a waiter on another thread outlives any close.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "log/sink.h"

#define CHUNK_SIZE (64u << 10)
#define WRITER_PAUSE_NS (10 * 1000 * 1000)
/* journald raises its receive buffer; ours only bounds the datagram size
 * (an unprivileged process gets at most net.core.wmem_max) */
#define JOURNAL_SNDBUF (8 << 20)

struct chunk {
    struct chunk *next;
    size_t len, cap;
    char data[];
};

enum output { OUT_FD, OUT_JOURNAL };

static struct {
    bool open;
    bool abandoned; /* a close left a blocked writer behind: no second sink */
    enum output out;
    int fd; /* OUT_FD: where lines go (not ours); OUT_JOURNAL: our socket */
    struct sockaddr_un addr;
    socklen_t addr_len;
    pthread_t thread;

    /* the loop thread's */
    struct chunk *open_chunk;
    uint64_t refused_keep;
    uint64_t handed; /* bytes handed to the writer, ever */

    /* under mu */
    pthread_mutex_t mu;
    pthread_cond_t work, idle;
    struct chunk *head, *tail;
    bool stop, busy; /* busy: the writer is writing a chunk it took */

    /* barrier waiters: `written` moved (initialised once, never destroyed) */
    pthread_cond_t done;

    /* the writer's, read by the loop thread */
    atomic_size_t queued;
    atomic_uint_fast64_t written; /* bytes written (or lost), ever */
    atomic_uint_fast64_t lost;
    atomic_bool broken;
    atomic_bool told; /* a write error was reported on stderr */
} S = {.fd = -1, .mu = PTHREAD_MUTEX_INITIALIZER};

/* ---- the writer thread ---- */

static void write_failed(const char *what, int err)
{
    if (!atomic_exchange(&S.told, true))
        fprintf(stderr, "momento-subscriberd: cannot write events to %s (%s); they are counted as lost\n",
                what, strerror(err));
}

/* Waits until fd takes more (it was made non-blocking by someone else). */
static void wait_writable(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    while (poll(&p, 1, -1) < 0 && errno == EINTR)
        ;
}

static void write_lines(const struct chunk *c)
{
    size_t off = 0;
    while (off < c->len) {
        ssize_t n = write(S.fd, c->data + off, c->len - off);
        if (n >= 0) {
            off += (size_t)n;
        } else if (errno == EAGAIN) {
            wait_writable(S.fd);
        } else if (errno != EINTR) {
            /* a line not written to its end is lost */
            uint64_t lines = 0;
            for (size_t i = off; i < c->len; i++)
                lines += c->data[i] == '\n';
            atomic_fetch_add(&S.lost, lines);
            write_failed("standard output", errno);
            return;
        }
    }
}

/* A record too large for a datagram: journald reads it from a sealed memfd. */
static int send_memfd(const char *p, size_t n)
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
        struct msghdr mh = {.msg_name = &S.addr, .msg_namelen = S.addr_len, .msg_control = &ctl,
                            .msg_controllen = sizeof ctl};
        struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cm), &fd, sizeof fd);
        while ((r = (int)sendmsg(S.fd, &mh, MSG_NOSIGNAL)) < 0 && errno == EINTR)
            ;
        r = r < 0 ? -errno : 0;
    }
    close(fd);
    return r;
}

static int send_record(const char *p, size_t n)
{
    struct iovec iov = {(void *)p, n};
    struct msghdr mh = {.msg_name = &S.addr, .msg_namelen = S.addr_len, .msg_iov = &iov, .msg_iovlen = 1};
    for (;;) {
        if (sendmsg(S.fd, &mh, MSG_NOSIGNAL) >= 0)
            return 0;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN) {
            wait_writable(S.fd);
            continue;
        }
        if (errno == EMSGSIZE || errno == ENOBUFS)
            return send_memfd(p, n);
        return -errno;
    }
}

static void send_records(const struct chunk *c)
{
    for (size_t off = 0; off + sizeof(uint32_t) <= c->len;) {
        uint32_t n;
        memcpy(&n, c->data + off, sizeof n);
        off += sizeof n;
        int r = send_record(c->data + off, n);
        off += n;
        if (r < 0) {
            atomic_fetch_add(&S.lost, 1);
            if (r == -ENOENT || r == -ECONNREFUSED || r == -ENOTCONN)
                atomic_store(&S.broken, true);
            write_failed("the journal", -r);
        }
    }
}

static void *writer(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&S.mu);
    for (;;) {
        while (!S.head && !S.stop)
            pthread_cond_wait(&S.work, &S.mu);
        struct chunk *c = S.head;
        if (!c)
            break; /* stopped, everything written */
        S.head = c->next;
        if (!S.head)
            S.tail = NULL;
        S.busy = true;
        pthread_mutex_unlock(&S.mu);
        if (S.out == OUT_FD)
            write_lines(c);
        else
            send_records(c);
        atomic_fetch_sub(&S.queued, c->len);
        size_t len = c->len;
        free(c);
        pthread_mutex_lock(&S.mu);
        atomic_fetch_add(&S.written, len);
        pthread_cond_broadcast(&S.done);
        S.busy = false;
        if (!S.head) {
            pthread_cond_broadcast(&S.idle);
            if (!S.stop) {
                /* a pause before the next wait, so that at a few hundred
                 * events a second the loop's flushes do not each wake this
                 * thread (a wake costs more than a write): what arrives in
                 * the meantime is written in one go */
                pthread_mutex_unlock(&S.mu);
                nanosleep(&(struct timespec){.tv_nsec = WRITER_PAUSE_NS}, NULL);
                pthread_mutex_lock(&S.mu);
            }
        }
    }
    pthread_cond_broadcast(&S.idle);
    pthread_mutex_unlock(&S.mu);
    return NULL;
}

/* ---- the loop thread's side ---- */

static void handover(void)
{
    struct chunk *c = S.open_chunk;
    S.open_chunk = NULL;
    pthread_mutex_lock(&S.mu);
    atomic_fetch_add(&S.queued, c->len);
    S.handed += c->len;
    if (S.tail)
        S.tail->next = c;
    else
        S.head = c;
    S.tail = c;
    pthread_cond_signal(&S.work);
    pthread_mutex_unlock(&S.mu);
}

size_t mo_sink_waiting(void)
{
    return atomic_load_explicit(&S.queued, memory_order_relaxed) + (S.open_chunk ? S.open_chunk->len : 0);
}

/* Room for n bytes at the end of the open chunk, if the class may have it. */
static char *reserve(size_t n, enum mo_sink_class c)
{
    size_t waiting = mo_sink_waiting();
    if (!S.open || waiting + n > (c == MO_SINK_DROP ? MO_SINK_SOFT_LIMIT : MO_SINK_HARD_LIMIT))
        goto refused;
    struct chunk *o = S.open_chunk;
    if (o && o->cap - o->len >= n)
        return o->data + o->len;
    if (o)
        handover();
    size_t cap = n > CHUNK_SIZE ? n : CHUNK_SIZE;
    o = malloc(sizeof *o + cap);
    if (!o)
        goto refused;
    *o = (struct chunk){.cap = cap};
    S.open_chunk = o;
    return o->data;
refused:
    if (c == MO_SINK_KEEP)
        S.refused_keep++;
    return NULL;
}

static void commit(size_t n)
{
    S.open_chunk->len += n;
    if (S.open_chunk->len >= CHUNK_SIZE)
        handover();
}

int mo_sink_line(const char *s, size_t n, enum mo_sink_class c)
{
    if (S.out != OUT_FD)
        return -EINVAL;
    char *p = reserve(n + 1, c);
    if (!p)
        return -ENOBUFS;
    memcpy(p, s, n);
    p[n] = '\n';
    commit(n + 1);
    return 0;
}

/* The native protocol: KEY=value\n, or for a value holding a newline
 * KEY\n, its length as 64-bit little-endian, the value, \n. */
int mo_sink_record(const struct iovec *iov, size_t n, enum mo_sink_class c)
{
    if (S.out != OUT_JOURNAL)
        return -EINVAL;
    size_t size = sizeof(uint32_t);
    for (size_t i = 0; i < n; i++) {
        const char *f = iov[i].iov_base, *eq = memchr(f, '=', iov[i].iov_len);
        if (!eq)
            return -EINVAL;
        size_t vl = iov[i].iov_len - (size_t)(eq - f) - 1;
        size += iov[i].iov_len + 1 + (memchr(eq + 1, '\n', vl) ? sizeof(uint64_t) : 0);
    }
    if (size - sizeof(uint32_t) > UINT32_MAX)
        return -E2BIG;
    char *p = reserve(size, c);
    if (!p)
        return -ENOBUFS;
    uint32_t len = (uint32_t)(size - sizeof len);
    memcpy(p, &len, sizeof len);
    char *w = p + sizeof len;
    for (size_t i = 0; i < n; i++) {
        const char *f = iov[i].iov_base, *eq = memchr(f, '=', iov[i].iov_len);
        size_t kl = (size_t)(eq - f), vl = iov[i].iov_len - kl - 1;
        if (!memchr(eq + 1, '\n', vl)) {
            memcpy(w, f, iov[i].iov_len);
            w += iov[i].iov_len;
        } else {
            memcpy(w, f, kl);
            w += kl;
            *w++ = '\n';
            for (int b = 0; b < 8; b++)
                *w++ = (char)((uint64_t)vl >> (8 * b));
            memcpy(w, eq + 1, vl);
            w += vl;
        }
        *w++ = '\n';
    }
    commit(size);
    return 0;
}

void mo_sink_flush(void)
{
    if (S.open_chunk && S.open_chunk->len)
        handover();
}

bool mo_sink_pending(void) { return S.open_chunk && S.open_chunk->len; }

uint64_t mo_sink_take_lost(void)
{
    uint64_t n = S.refused_keep + atomic_exchange(&S.lost, 0);
    S.refused_keep = 0;
    return n;
}

/* the barrier's condition variable waits on the monotonic clock, as every
 * time limit here does */
static pthread_once_t done_once = PTHREAD_ONCE_INIT;

static void done_init(void)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&S.done, &ca);
    pthread_condattr_destroy(&ca);
}

static struct timespec deadline(uint64_t timeout_us)
{
    struct timespec dl;
    clock_gettime(CLOCK_MONOTONIC, &dl);
    dl.tv_sec += (time_t)(timeout_us / 1000000);
    dl.tv_nsec += (long)(timeout_us % 1000000) * 1000;
    if (dl.tv_nsec >= 1000000000) {
        dl.tv_sec++;
        dl.tv_nsec -= 1000000000;
    }
    return dl;
}

uint64_t mo_sink_mark(void)
{
    mo_sink_flush();
    return S.handed;
}

bool mo_sink_wait_mark(uint64_t mark, uint64_t timeout_us)
{
    if (atomic_load(&S.written) >= mark)
        return true;
    pthread_once(&done_once, done_init);
    struct timespec dl = deadline(timeout_us);
    pthread_mutex_lock(&S.mu);
    while (atomic_load(&S.written) < mark && pthread_cond_timedwait(&S.done, &S.mu, &dl) == 0)
        ;
    bool done = atomic_load(&S.written) >= mark;
    pthread_mutex_unlock(&S.mu);
    return done;
}

bool mo_sink_journal_broken(void) { return S.open && S.out == OUT_JOURNAL && atomic_load(&S.broken); }

/* ---- open and close ---- */

static int start(enum output out, int fd)
{
    pthread_once(&done_once, done_init);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&S.idle, &ca);
    pthread_condattr_destroy(&ca);
    pthread_cond_init(&S.work, NULL);
    S.out = out;
    S.fd = fd;
    S.stop = S.busy = false;
    atomic_store(&S.broken, false);
    atomic_store(&S.told, false);
    int r = -pthread_create(&S.thread, NULL, writer, NULL);
    if (r < 0) {
        pthread_cond_destroy(&S.idle);
        pthread_cond_destroy(&S.work);
        return r;
    }
    pthread_setname_np(S.thread, "mo-log-writer");
    S.open = true;
    return 0;
}

int mo_sink_open_fd(int fd)
{
    mo_sink_close(1000000);
    if (S.abandoned)
        return -EBUSY;
    return start(OUT_FD, fd);
}

int mo_sink_open_journal(const char *path)
{
    mo_sink_close(1000000);
    if (S.abandoned)
        return -EBUSY;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    size_t pl = strlen(path);
    if (pl >= sizeof sa.sun_path)
        return -ENAMETOOLONG;
    memcpy(sa.sun_path, path, pl);
    socklen_t sl = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + pl + 1);
    /* whether journald listens: connecting a datagram socket tells without
     * sending anything. Records go unconnected, addressed each time, so that
     * a journald restarted on a new socket is found again. */
    int probe = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (probe < 0)
        return -errno;
    int r = connect(probe, (struct sockaddr *)&sa, sl) < 0 ? -errno : 0;
    close(probe);
    if (r < 0)
        return r;
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int sz = JOURNAL_SNDBUF;
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
    S.addr = sa;
    S.addr_len = sl;
    r = start(OUT_JOURNAL, fd);
    if (r < 0)
        close(fd);
    return r;
}

size_t mo_sink_close(uint64_t timeout_us)
{
    if (!S.open)
        return 0;
    if (S.open_chunk && S.open_chunk->len)
        handover();
    free(S.open_chunk);
    S.open_chunk = NULL;

    struct timespec dl = deadline(timeout_us);
    pthread_mutex_lock(&S.mu);
    S.stop = true;
    pthread_cond_signal(&S.work);
    while ((S.head || S.busy) && pthread_cond_timedwait(&S.idle, &S.mu, &dl) == 0)
        ;
    bool done = !S.head && !S.busy;
    pthread_mutex_unlock(&S.mu);
    S.open = false;
    if (!done) {
        /* blocked on an output that does not move: the process is leaving */
        S.abandoned = true;
        pthread_detach(S.thread);
        return atomic_load(&S.queued);
    }
    pthread_join(S.thread, NULL);
    pthread_cond_destroy(&S.idle);
    pthread_cond_destroy(&S.work);
    if (S.out == OUT_JOURNAL)
        close(S.fd);
    S.fd = -1;
    return 0;
}
