/* sink.c - the writer thread and its bounded queue (sink.h).
 *
 * Buffers are chunks of at least 64 KiB. The loop thread owns the open chunk
 * and appends to it; a full or flushed chunk goes to the tail of the queue
 * (under the mutex, which is never held across a system call). The writer
 * takes chunks from the head and writes them: a chunk of lines with write(2),
 * a chunk of journal records one datagram each (journal.h), or while the
 * journal fails, each made a line for the fallback. `queued` counts the bytes
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
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log/journal.h"
#include "log/sink.h"

#define CHUNK_SIZE (64u << 10)
#define WRITER_PAUSE_NS (10 * 1000 * 1000)
/* a journal record in a chunk: its length, its meta's, the meta, the record */
#define RECORD_HEAD (2 * sizeof(uint32_t))

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
    int fd; /* where lines go (not ours): OUT_FD's output, OUT_JOURNAL's fallback */
    struct mo_journal journal;
    mo_sink_to_line to_line;
    uint64_t stall_us, retry_us; /* 0: the defaults */
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
    struct mo_sink_journal jstate; /* the writer's notes, for the loop */

    /* the writer's own: the journal failing, and the lines of the fallback */
    bool away;
    uint64_t retry_at_us, away_since_us, away_lines;
    char *conv, *fb; /* a record made a line; the fallback's lines waiting for one write */
    size_t conv_cap, fb_len, fb_cap;

    /* the writer's, read by the loop thread */
    atomic_size_t queued;
    atomic_uint_fast64_t written; /* bytes written (or lost), ever */
    atomic_uint_fast64_t lost;
    atomic_uint_fast64_t epoch; /* moves at every change of jstate */
    atomic_bool told;           /* a write error was reported on stderr */
} S = {.fd = -1, .journal = {.fd = -1}, .mu = PTHREAD_MUTEX_INITIALIZER};

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

/* Lines to S.fd, waiting as long as it makes the writer wait. */
static void write_lines(const char *data, size_t len)
{
    size_t off = 0;
    while (off < len) {
        ssize_t n = write(S.fd, data + off, len - off);
        if (n >= 0) {
            off += (size_t)n;
        } else if (errno == EAGAIN) {
            wait_writable(S.fd);
        } else if (errno != EINTR) {
            /* a line not written to its end is lost */
            uint64_t lines = 0;
            for (size_t i = off; i < len; i++)
                lines += data[i] == '\n';
            atomic_fetch_add(&S.lost, lines);
            write_failed("standard output", errno);
            return;
        }
    }
}

static uint64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* The fallback's lines, written in one go. */
static void flush_away(void)
{
    if (S.fb_len)
        write_lines(S.fb, S.fb_len);
    S.fb_len = 0;
}

/* Room for n more bytes in *buf (cap *cap); false when memory runs out. */
static bool grow(char **buf, size_t *cap, size_t need)
{
    if (*cap >= need)
        return true;
    size_t c = need > CHUNK_SIZE ? need : CHUNK_SIZE;
    char *b = realloc(*buf, c);
    if (!b)
        return false;
    *buf = b;
    *cap = c;
    return true;
}

/* A record for the journal, made a line of the fallback. */
static void away_line(const char *rec, size_t n, const unsigned char *meta, size_t meta_len)
{
    long l = -1;
    if (S.to_line && grow(&S.conv, &S.conv_cap, 6 * n + 128))
        l = S.to_line(rec, n, meta, meta_len, S.conv, S.conv_cap);
    if (l < 0 || !grow(&S.fb, &S.fb_cap, S.fb_len + (size_t)l + 1)) {
        atomic_fetch_add(&S.lost, 1);
        write_failed("standard output", l < 0 ? EINVAL : ENOMEM);
        return;
    }
    memcpy(S.fb + S.fb_len, S.conv, (size_t)l);
    S.fb_len += (size_t)l;
    S.fb[S.fb_len++] = '\n';
    S.away_lines++;
    if (S.fb_len >= CHUNK_SIZE)
        flush_away();
}

/* The journal failed (err < 0): its records go to the fallback from now. */
static void go_away(int err, uint64_t now)
{
    S.away = true;
    S.away_since_us = now;
    S.retry_at_us = now + (S.retry_us ? S.retry_us : MO_SINK_JOURNAL_RETRY_US);
    S.away_lines = 0;
    pthread_mutex_lock(&S.mu);
    S.jstate.away = true;
    S.jstate.err = -err;
    S.jstate.aways++;
    pthread_mutex_unlock(&S.mu);
    atomic_fetch_add(&S.epoch, 1);
}

/* The journal took a record again: the fallback's lines out first. */
static void come_back(uint64_t now)
{
    flush_away();
    S.away = false;
    pthread_mutex_lock(&S.mu);
    S.jstate.away = false;
    S.jstate.backs++;
    S.jstate.away_us = now - S.away_since_us;
    S.jstate.lines = S.away_lines;
    pthread_mutex_unlock(&S.mu);
    atomic_fetch_add(&S.epoch, 1);
}

/* One record: to the journal, waiting for it up to the stall limit; or
 * while it fails, to the fallback, the journal tried again with it when
 * the retry period has passed (without waiting: a journal that is back has
 * room at once). */
static void deliver(const char *rec, size_t n, const unsigned char *meta, size_t meta_len)
{
    if (!S.away) {
        int r = mo_journal_send(&S.journal, rec, n, true);
        if (r == 0)
            return;
        go_away(r, mono_us());
    } else {
        uint64_t now = mono_us();
        if (now >= S.retry_at_us) {
            if (mo_journal_send(&S.journal, rec, n, false) == 0) {
                come_back(now);
                return;
            }
            S.retry_at_us = now + (S.retry_us ? S.retry_us : MO_SINK_JOURNAL_RETRY_US);
        }
    }
    away_line(rec, n, meta, meta_len);
}

static void send_records(const struct chunk *c)
{
    for (size_t off = 0; off + RECORD_HEAD <= c->len;) {
        uint32_t n, m;
        memcpy(&n, c->data + off, sizeof n);
        memcpy(&m, c->data + off + sizeof n, sizeof m);
        off += RECORD_HEAD;
        const unsigned char *meta = (const unsigned char *)c->data + off;
        off += m;
        deliver(c->data + off, n, meta, m);
        off += n;
    }
    flush_away();
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
            write_lines(c->data, c->len);
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
    free(S.conv);
    free(S.fb);
    S.conv = S.fb = NULL;
    S.conv_cap = S.fb_cap = S.fb_len = 0;
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
int mo_sink_record(const struct iovec *iov, size_t n, const void *meta, size_t meta_len, enum mo_sink_class c)
{
    if (S.out != OUT_JOURNAL)
        return -EINVAL;
    size_t size = RECORD_HEAD + meta_len;
    for (size_t i = 0; i < n; i++) {
        const char *f = iov[i].iov_base, *eq = memchr(f, '=', iov[i].iov_len);
        if (!eq)
            return -EINVAL;
        size_t vl = iov[i].iov_len - (size_t)(eq - f) - 1;
        size += iov[i].iov_len + 1 + (memchr(eq + 1, '\n', vl) ? sizeof(uint64_t) : 0);
    }
    if (size - RECORD_HEAD - meta_len > UINT32_MAX || meta_len > UINT32_MAX)
        return -E2BIG;
    char *p = reserve(size, c);
    if (!p)
        return -ENOBUFS;
    uint32_t len = (uint32_t)(size - RECORD_HEAD - meta_len), ml = (uint32_t)meta_len;
    memcpy(p, &len, sizeof len);
    memcpy(p + sizeof len, &ml, sizeof ml);
    if (meta_len)
        memcpy(p + RECORD_HEAD, meta, meta_len);
    char *w = p + RECORD_HEAD + meta_len;
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
    mo_mono_cond_init(&S.done);
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
    struct timespec dl = mo_mono_deadline(timeout_us);
    pthread_mutex_lock(&S.mu);
    while (atomic_load(&S.written) < mark && pthread_cond_timedwait(&S.done, &S.mu, &dl) == 0)
        ;
    bool done = atomic_load(&S.written) >= mark;
    pthread_mutex_unlock(&S.mu);
    return done;
}

uint64_t mo_sink_journal_epoch(void) { return atomic_load_explicit(&S.epoch, memory_order_relaxed); }

void mo_sink_journal_state(struct mo_sink_journal *ret)
{
    pthread_mutex_lock(&S.mu);
    *ret = S.jstate;
    pthread_mutex_unlock(&S.mu);
}

void mo_sink_journal_timing(uint64_t stall_us, uint64_t retry_us)
{
    S.stall_us = stall_us;
    S.retry_us = retry_us;
}

/* ---- open and close ---- */

static int start(enum output out, int fd)
{
    pthread_once(&done_once, done_init);
    mo_mono_cond_init(&S.idle);
    pthread_cond_init(&S.work, NULL);
    S.out = out;
    S.fd = fd;
    S.stop = S.busy = false;
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

int mo_sink_open_journal(const char *path, int fallback_fd, mo_sink_to_line to_line)
{
    mo_sink_close(1000000);
    if (S.abandoned)
        return -EBUSY;
    int r = mo_journal_open(&S.journal, path, S.stall_us ? S.stall_us : MO_SINK_JOURNAL_STALL_US);
    if (r < 0)
        return r;
    S.to_line = to_line;
    S.away = false;
    pthread_mutex_lock(&S.mu);
    S.jstate.away = false;
    pthread_mutex_unlock(&S.mu);
    int probe = mo_journal_probe(&S.journal);
    if (probe < 0) /* nothing listens: on the fallback from the start */
        go_away(probe, mono_us());
    r = start(OUT_JOURNAL, fallback_fd);
    if (r < 0)
        mo_journal_close(&S.journal);
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

    struct timespec dl = mo_mono_deadline(timeout_us);
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
        mo_journal_close(&S.journal);
    S.fd = -1;
    return 0;
}
