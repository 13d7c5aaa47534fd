/* Unit tests for the sink (sink.h): a writer thread behind a bounded queue.
 *
 * The outputs are real: a pipe that nobody reads (the writer blocks in
 * write), a datagram socket standing in for journald that nobody reads (the
 * writer gives up on it after the stall limit and writes to the fallback,
 * then comes back when it reads again). The test thread plays the loop: it
 * must never block, so each test would hang, not fail, if it did; then the
 * outputs are drained and everything accepted must come out, in order. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log/sink.h"
#include "test.h"

/* ---- lines to a pipe ---- */

struct reader {
    int fd;
    char *buf;
    size_t len, cap;
    pthread_t thread;
};

static void *read_all(void *arg)
{
    struct reader *r = arg;
    for (;;) {
        if (r->cap - r->len < 65536) {
            r->cap = r->cap * 2 + 65536;
            r->buf = realloc(r->buf, r->cap);
        }
        ssize_t n = read(r->fd, r->buf + r->len, r->cap - r->len);
        if (n <= 0)
            return NULL;
        r->len += (size_t)n;
    }
}

/* Line i: its number, its class and padding to about 200 bytes. */
static size_t line_text(char *buf, size_t len, unsigned i, enum mo_sink_class c)
{
    int n = snprintf(buf, len, "%u %s %0180d", i, c == MO_SINK_KEEP ? "keep" : "drop", 0);
    return (size_t)n;
}

static void test_stalled_pipe(void)
{
    int p[2];
    TEST_EQ_INT(pipe(p), 0);
    TEST_EQ_INT(mo_sink_open_fd(p[1]), 0);

    /* nobody reads: the pipe fills, the writer blocks, the queue grows */
    enum { LINES = 40000 };
    static bool accepted[LINES];
    unsigned n_drop_ok = 0, n_drop_refused = 0, n_keep = 0;
    char line[256];
    for (unsigned i = 0; i < LINES; i++) {
        enum mo_sink_class c = i % 10 == 0 ? MO_SINK_KEEP : MO_SINK_DROP;
        int r = mo_sink_line(line, line_text(line, sizeof line, i, c), c);
        accepted[i] = r == 0;
        if (c == MO_SINK_KEEP) {
            TEST_EQ_INT(r, 0); /* kept however far behind the output is */
            n_keep++;
        } else if (r == 0) {
            n_drop_ok++;
        } else {
            TEST_EQ_INT(r, -ENOBUFS);
            n_drop_refused++;
        }
        if (i % 100 == 99)
            mo_sink_flush(); /* the loop going idle now and then */
        /* what waits stays within the soft limit but for kept lines */
        TEST_CHECK(mo_sink_waiting() <= MO_SINK_SOFT_LIMIT + (size_t)n_keep * 256 + 65536);
    }
    mo_sink_flush();
    /* 40,000 lines of ~200 bytes are 8 MB: most per-message lines had to go */
    TEST_CHECK(n_drop_refused > 20000);
    TEST_CHECK(n_drop_ok > 5000);
    TEST_EQ_INT(mo_sink_take_lost(), 0);

    /* the output moves again: everything accepted comes out, in order */
    struct reader rd = {.fd = p[0]};
    pthread_create(&rd.thread, NULL, read_all, &rd);
    TEST_EQ_INT(mo_sink_close(30000000), 0);
    close(p[1]);
    pthread_join(rd.thread, NULL);
    close(p[0]);
    unsigned expect = 0, got = 0, wrong = 0;
    for (char *s = rd.buf, *end = rd.buf + rd.len; s < end;) {
        char *nl = memchr(s, '\n', (size_t)(end - s));
        if (!nl)
            break;
        unsigned i = (unsigned)strtoul(s, NULL, 10);
        while (expect < LINES && !accepted[expect])
            expect++;
        size_t want = line_text(line, sizeof line, i, i % 10 ? MO_SINK_DROP : MO_SINK_KEEP);
        if (i != expect || (size_t)(nl - s) != want || memcmp(s, line, want) != 0)
            wrong++;
        expect++;
        got++;
        s = nl + 1;
    }
    TEST_EQ_INT(wrong, 0);
    TEST_EQ_INT(got, n_keep + n_drop_ok);
    free(rd.buf);
}

/* Kept output is refused past the hard limit, and counted. */
static void test_hard_limit(void)
{
    int p[2];
    TEST_EQ_INT(pipe(p), 0);
    TEST_EQ_INT(mo_sink_open_fd(p[1]), 0);
    static char big[1 << 20];
    memset(big, 'x', sizeof big);
    unsigned ok = 0, refused = 0;
    for (int i = 0; i < 80; i++) {
        if (mo_sink_line(big, sizeof big, MO_SINK_KEEP) == 0)
            ok++;
        else
            refused++;
    }
    TEST_CHECK(ok >= 62 && ok <= 64);
    TEST_EQ_INT(mo_sink_take_lost(), refused);
    TEST_EQ_INT(mo_sink_take_lost(), 0);
    TEST_EQ_INT(mo_sink_line("x", 1, MO_SINK_DROP), -ENOBUFS); /* not counted: its caller does */
    TEST_EQ_INT(mo_sink_take_lost(), 0);
    struct reader rd = {.fd = p[0]};
    pthread_create(&rd.thread, NULL, read_all, &rd);
    TEST_EQ_INT(mo_sink_close(30000000), 0);
    close(p[1]);
    pthread_join(rd.thread, NULL);
    close(p[0]);
    TEST_EQ_INT(rd.len, (size_t)ok * (sizeof big + 1));
    free(rd.buf);
}

/* A reader that goes away: what could not be written is counted as lost. */
static void test_closed_pipe(void)
{
    int p[2];
    TEST_EQ_INT(pipe(p), 0);
    close(p[0]);
    TEST_EQ_INT(mo_sink_open_fd(p[1]), 0);
    for (int i = 0; i < 5; i++)
        TEST_EQ_INT(mo_sink_line("gone", 4, MO_SINK_KEEP), 0);
    TEST_EQ_INT(mo_sink_close(5000000), 0);
    TEST_EQ_INT(mo_sink_take_lost(), 5);
    close(p[1]);
}

/* ---- records to a stand-in journald ---- */

static char jpath[108];

static int bind_journal(void)
{
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(jpath, sizeof jpath, "/tmp/test-sink-%d.sock", (int)getpid());
    unlink(jpath);
    memcpy(sa.sun_path, jpath, strlen(jpath) + 1);
    TEST_EQ_INT(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    return fd;
}

/* One datagram, or the contents of the memfd passed with it. */
static size_t recv_record(int fd, char *buf, size_t len, bool *via_fd)
{
    union {
        struct cmsghdr h;
        char b[CMSG_SPACE(sizeof(int))];
    } ctl;
    struct iovec iov = {buf, len};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = &ctl, .msg_controllen = sizeof ctl};
    ssize_t n = recvmsg(fd, &mh, 0);
    TEST_CHECK(n >= 0);
    *via_fd = false;
    struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
    if (cm && cm->cmsg_type == SCM_RIGHTS) {
        int mfd;
        memcpy(&mfd, CMSG_DATA(cm), sizeof mfd);
        /* sealed, as journald wants from an unprivileged sender */
        TEST_EQ_INT(fcntl(mfd, F_GET_SEALS) & (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL),
                    F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
        n = pread(mfd, buf, len, 0);
        close(mfd);
        *via_fd = true;
    }
    return n > 0 ? (size_t)n : 0;
}

/* The value of KEY in a native-protocol record, written independently of
 * sink.c from the protocol's description; NULL when absent or malformed. */
static const char *native_get(const char *rec, size_t len, const char *key, size_t *vlen)
{
    size_t kl = strlen(key);
    const char *p = rec, *end = rec + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            return NULL;
        const char *eq = memchr(p, '=', (size_t)(nl - p));
        const char *val;
        size_t vl;
        if (eq) {
            val = eq + 1;
            vl = (size_t)(nl - val);
            if ((size_t)(eq - p) == kl && memcmp(p, key, kl) == 0) {
                *vlen = vl;
                return val;
            }
            p = nl + 1;
        } else {
            if ((size_t)(end - nl) < 9)
                return NULL;
            uint64_t l = 0;
            for (int b = 7; b >= 0; b--)
                l = l << 8 | (unsigned char)nl[1 + b];
            val = nl + 9;
            if (l > (uint64_t)(end - val) - 1 || val[l] != '\n')
                return NULL;
            if ((size_t)(nl - p) == kl && memcmp(p, key, kl) == 0) {
                *vlen = l;
                return val;
            }
            p = val + l + 1;
        }
    }
    return NULL;
}

/* The fallback's lines, as a stand-in for jsonw.h's: "<meta> <MESSAGE>",
 * the meta as hex, so that a test sees both arrive with their record. */
static long test_line(const char *rec, size_t len, const unsigned char *meta, size_t meta_len, char *out, size_t cap)
{
    size_t vl;
    const char *v = native_get(rec, len, "MESSAGE", &vl);
    if (!v || cap < meta_len * 2 + vl + 2)
        return -1;
    size_t o = 0;
    for (size_t i = 0; i < meta_len; i++)
        o += (size_t)snprintf(out + o, cap - o, "%02x", meta[i]);
    out[o++] = ' ';
    memcpy(out + o, v, vl);
    o += vl;
    out[o] = '\0';
    return (long)o;
}

static void test_journal_format(void)
{
    int j = bind_journal();
    int p[2];
    TEST_EQ_INT(pipe(p), 0);
    TEST_EQ_INT(mo_sink_open_journal(jpath, p[1], test_line), 0);
    TEST_EQ_INT(mo_sink_line("x", 1, MO_SINK_KEEP), -EINVAL); /* lines are for stdout */
    static const char multi[] = "DETAILS=two\nlines";
    struct iovec iov[] = {
        {(char *)"MESSAGE=hello", 13}, {(char *)"PRIORITY=6", 10}, {(char *)multi, sizeof multi - 1},
        {(char *)"EMPTY=", 6},
    };
    TEST_EQ_INT(mo_sink_record(iov, 4, "m", 1, MO_SINK_KEEP), 0);
    struct iovec bad[] = {{(char *)"NOEQUALS", 8}};
    TEST_EQ_INT(mo_sink_record(bad, 1, NULL, 0, MO_SINK_KEEP), -EINVAL);
    /* larger than any datagram the socket takes (its send buffer, asked for
     * 8 MiB, is at most twice that): it goes in a memfd */
    size_t big_len = 17 << 20;
    char *big = malloc(big_len);
    memcpy(big, "HISTOGRAM=", 10);
    memset(big + 10, 'h', big_len - 10);
    struct iovec iov2[] = {{(char *)"MESSAGE=big", 11}, {big, big_len}};
    TEST_EQ_INT(mo_sink_record(iov2, 2, NULL, 0, MO_SINK_KEEP), 0);
    mo_sink_flush();

    static char rec[18 << 20];
    bool via_fd;
    size_t n = recv_record(j, rec, sizeof rec, &via_fd), vl;
    TEST_CHECK(!via_fd);
    const char *v = native_get(rec, n, "MESSAGE", &vl);
    TEST_CHECK(v && vl == 5 && memcmp(v, "hello", 5) == 0);
    v = native_get(rec, n, "DETAILS", &vl);
    TEST_CHECK(v && vl == 9 && memcmp(v, "two\nlines", 9) == 0);
    v = native_get(rec, n, "EMPTY", &vl);
    TEST_CHECK(v && vl == 0);
    TEST_CHECK(native_get(rec, n, "PRIORITY", &vl) != NULL);
    TEST_CHECK(native_get(rec, n, "m", &vl) == NULL); /* the meta stays with the sink */
    n = recv_record(j, rec, sizeof rec, &via_fd);
    TEST_CHECK(via_fd);
    v = native_get(rec, n, "HISTOGRAM", &vl);
    TEST_CHECK(v && vl == big_len - 10 && v[0] == 'h' && v[vl - 1] == 'h');
    free(big);
    TEST_EQ_INT(mo_sink_close(5000000), 0);
    TEST_EQ_INT(mo_sink_take_lost(), 0);
    struct mo_sink_journal st;
    mo_sink_journal_state(&st);
    TEST_CHECK(!st.away);
    TEST_EQ_INT(st.aways, 0);
    close(j);
    unlink(jpath);

    /* nobody listening: the sink opens on the fallback, and nothing is lost */
    uint64_t epoch = mo_sink_journal_epoch();
    TEST_EQ_INT(mo_sink_open_journal(jpath, p[1], test_line), 0);
    mo_sink_journal_state(&st);
    TEST_CHECK(st.away && (st.err == ENOENT || st.err == ECONNREFUSED));
    TEST_EQ_INT(st.aways, 1);
    TEST_CHECK(mo_sink_journal_epoch() != epoch);
    TEST_EQ_INT(mo_sink_record(iov, 1, "\x01\xff", 2, MO_SINK_KEEP), 0);
    TEST_EQ_INT(mo_sink_close(5000000), 0);
    TEST_EQ_INT(mo_sink_take_lost(), 0);
    char line[64] = "";
    TEST_EQ_INT(read(p[0], line, sizeof line - 1), 11);
    TEST_EQ_STR(line, "01ff hello\n");
    close(p[0]);
    close(p[1]);
    TEST_EQ_INT(mo_sink_record(iov, 1, NULL, 0, MO_SINK_KEEP), -ENOBUFS); /* no sink open */
    mo_sink_take_lost();
}

/* The stand-in journald reading again: every record it gets, in order. */
struct drain {
    int fd;
    unsigned *got;
    size_t n, cap;
    bool order_ok;
    pthread_t thread;
};

static void *drain_journal(void *arg)
{
    struct drain *d = arg;
    static char rec[4096];
    for (;;) {
        bool via_fd;
        size_t n = recv_record(d->fd, rec, sizeof rec, &via_fd), vl;
        const char *v = native_get(rec, n, "MESSAGE", &vl);
        if (!v || (vl == 4 && memcmp(v, "stop", 4) == 0))
            return NULL;
        unsigned i = (unsigned)strtoul(v, NULL, 10);
        if (d->n && i <= d->got[d->n - 1])
            d->order_ok = false;
        if (d->n == d->cap)
            d->got = realloc(d->got, (d->cap = d->cap * 2 + 1024) * sizeof *d->got);
        d->got[d->n++] = i;
    }
}

static int send_numbered(unsigned i, enum mo_sink_class c)
{
    char msg[256], meta[16];
    int l = snprintf(msg, sizeof msg, "MESSAGE=%u %0180d", i, 0);
    int ml = snprintf(meta, sizeof meta, "%u", i); /* each record's own meta */
    struct iovec iov[] = {{msg, (size_t)l}};
    return mo_sink_record(iov, 1, meta, (size_t)ml, c);
}

/* journald stops reading its socket: the loop never waits (this test would
 * hang, not fail, if it did), the writer gives up on the journal after the
 * stall limit and writes the records to the fallback; journald reads again:
 * within a retry period the records go back to the journal. Every record
 * accepted comes out exactly once, in order on each side, nothing lost;
 * the writer noted one fallback and one return. Then journald goes away for
 * good: straight to the fallback, nothing lost. */
static void test_journal_fallback(void)
{
    int j = bind_journal();
    int p[2];
    TEST_EQ_INT(pipe(p), 0);
    struct reader rd = {.fd = p[0]};
    pthread_create(&rd.thread, NULL, read_all, &rd);
    mo_sink_journal_timing(100000, 100000); /* 0.1 s to give up, 0.1 s between tries */
    struct mo_sink_journal st0;
    mo_sink_journal_state(&st0);
    TEST_EQ_INT(mo_sink_open_journal(jpath, p[1], test_line), 0);

    enum { N = 60000 };
    static bool accepted[N];
    unsigned i = 0;
    struct mo_sink_journal st;
    /* journald does not read: the datagrams it holds fill up, then the
     * stall limit runs out */
    for (int turn = 0; turn < 1000; turn++) {
        for (int k = 0; k < 20 && i < N; k++, i++) {
            enum mo_sink_class c = i % 10 == 0 ? MO_SINK_KEEP : MO_SINK_DROP;
            int r = send_numbered(i, c);
            accepted[i] = r == 0;
            if (c == MO_SINK_KEEP)
                TEST_EQ_INT(r, 0);
        }
        mo_sink_flush();
        mo_sink_journal_state(&st);
        if (st.away)
            break;
        usleep(10000);
    }
    TEST_CHECK(st.away);
    TEST_EQ_INT(st.err, ETIMEDOUT);
    TEST_EQ_INT(st.aways, st0.aways + 1);

    /* journald reads again: the records come back to it */
    struct drain d = {.fd = j, .order_ok = true};
    pthread_create(&d.thread, NULL, drain_journal, &d);
    for (int turn = 0; turn < 1000 && i < N; turn++) {
        for (int k = 0; k < 20 && i < N; k++, i++)
            accepted[i] = send_numbered(i, MO_SINK_KEEP) == 0;
        mo_sink_flush();
        mo_sink_journal_state(&st);
        if (!st.away)
            break;
        usleep(10000);
    }
    TEST_CHECK(!st.away);
    TEST_EQ_INT(st.backs, st0.backs + 1);
    unsigned back_at = i;
    for (unsigned k = 0; k < 500 && i < N; k++, i++) /* and stay there */
        accepted[i] = send_numbered(i, MO_SINK_KEEP) == 0;
    unsigned sent = i;
    mo_sink_flush();
    TEST_EQ_INT(mo_sink_close(10000000), 0);
    TEST_EQ_INT(mo_sink_take_lost(), 0);
    mo_sink_journal_state(&st);
    TEST_EQ_INT(st.aways, st0.aways + 1); /* once away, once back */
    TEST_EQ_INT(st.backs, st0.backs + 1);

    /* stop the drain and the reader */
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    memcpy(sa.sun_path, jpath, strlen(jpath) + 1);
    int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    TEST_EQ_INT(sendto(s, "MESSAGE=stop\n", 13, 0, (struct sockaddr *)&sa, sizeof sa), 13);
    close(s);
    pthread_join(d.thread, NULL);
    close(p[1]);
    pthread_join(rd.thread, NULL);
    close(p[0]);

    /* every accepted record once: in the journal, or a line "<meta> <message>" */
    static unsigned seen[N];
    memset(seen, 0, sizeof seen);
    unsigned lines = 0, bad = 0, last = 0;
    bool lines_ordered = true;
    for (char *q = rd.buf, *end = rd.buf + rd.len; q < end;) {
        char *nl = memchr(q, '\n', (size_t)(end - q));
        if (!nl)
            break;
        char *sp = memchr(q, ' ', (size_t)(nl - q));
        unsigned mi = 0;
        for (char *h = q; sp && h + 1 < sp; h += 2) { /* the meta: the index's digits, as hex */
            char hex[3] = {h[0], h[1], 0};
            mi = mi * 10 + ((unsigned)strtoul(hex, NULL, 16) - '0');
        }
        unsigned li = sp ? (unsigned)strtoul(sp + 1, NULL, 10) : N;
        if (!sp || li != mi || li >= N)
            bad++;
        else
            seen[li]++;
        if (lines && li <= last)
            lines_ordered = false;
        last = li;
        lines++;
        q = nl + 1;
    }
    for (size_t k = 0; k < d.n; k++)
        if (d.got[k] < N)
            seen[d.got[k]]++;
    unsigned twice = 0, missing = 0, unasked = 0, n_acc = 0;
    for (unsigned k = 0; k < sent; k++) {
        n_acc += accepted[k];
        twice += seen[k] > 1;
        missing += accepted[k] && seen[k] == 0;
        unasked += !accepted[k] && seen[k] != 0;
    }
    TEST_EQ_INT(bad, 0);
    TEST_EQ_INT(twice, 0);
    TEST_EQ_INT(missing, 0);
    TEST_EQ_INT(unasked, 0);
    TEST_EQ_INT(lines + d.n, n_acc);
    TEST_CHECK(lines > 0 && d.n > 0);
    TEST_CHECK(lines_ordered && d.order_ok);
    TEST_EQ_INT(st.lines, lines); /* the return counts what went to the fallback */
    /* the first records after the return went to the journal */
    TEST_CHECK(d.n >= sent - back_at);
    free(d.got);
    free(rd.buf);

    /* journald goes away: the records go to the fallback at once */
    TEST_EQ_INT(pipe(p), 0);
    TEST_EQ_INT(mo_sink_open_journal(jpath, p[1], test_line), 0);
    close(j);
    unlink(jpath);
    struct iovec iov[] = {{(char *)"MESSAGE=x", 9}};
    TEST_EQ_INT(mo_sink_record(iov, 1, "k", 1, MO_SINK_KEEP), 0);
    TEST_EQ_INT(mo_sink_record(iov, 1, "d", 1, MO_SINK_DROP), 0);
    TEST_EQ_INT(mo_sink_close(5000000), 0);
    TEST_EQ_INT(mo_sink_take_lost(), 0);
    mo_sink_journal_state(&st);
    TEST_CHECK(st.away && (st.err == ENOENT || st.err == ECONNREFUSED));
    char out[64] = "";
    TEST_EQ_INT(read(p[0], out, sizeof out - 1), 10);
    TEST_EQ_STR(out, "6b x\n64 x\n");
    close(p[0]);
    close(p[1]);
    mo_sink_journal_timing(0, 0);
}

/* The barrier: a mark covers what was accepted before it; waiting for it
 * times out while the output is blocked and succeeds once everything up to
 * it is written, whatever was accepted after it. */
static void test_barrier(void)
{
    int p[2];
    TEST_EQ_INT(pipe(p), 0);
    TEST_EQ_INT(mo_sink_open_fd(p[1]), 0);
    uint64_t start = mo_sink_mark();
    TEST_CHECK(mo_sink_wait_mark(start, 0)); /* nothing new: met at once */
    char line[200];
    memset(line, 'b', sizeof line);
    for (int i = 0; i < 2000; i++) /* 400 KB: far more than the pipe holds */
        TEST_EQ_INT(mo_sink_line(line, sizeof line, MO_SINK_KEEP), 0);
    uint64_t mark = mo_sink_mark();
    TEST_EQ_INT(mark - start, 2000 * (sizeof line + 1));
    TEST_CHECK(!mo_sink_wait_mark(mark, 50000)); /* nobody reads: times out */
    for (int i = 0; i < 100; i++) /* after the mark: not waited for */
        TEST_EQ_INT(mo_sink_line(line, sizeof line, MO_SINK_KEEP), 0);
    mo_sink_flush();

    struct reader rd = {.fd = p[0]};
    pthread_create(&rd.thread, NULL, read_all, &rd);
    TEST_CHECK(mo_sink_wait_mark(mark, 30000000));
    TEST_CHECK(mo_sink_wait_mark(start, 0));
    TEST_EQ_INT(mo_sink_close(30000000), 0);
    TEST_CHECK(mo_sink_wait_mark(mo_sink_mark(), 0)); /* closed: everything written */
    close(p[1]);
    pthread_join(rd.thread, NULL);
    close(p[0]);
    TEST_EQ_INT(rd.len, 2100 * (sizeof line + 1));
    free(rd.buf);
}

/* At exit with the output blocked: close gives up after its time, says how
 * much was left, and no second sink starts beside the blocked writer. Last,
 * since the writer stays behind. */
static void test_abandon(void)
{
    int p[2];
    TEST_EQ_INT(pipe(p), 0);
    TEST_EQ_INT(mo_sink_open_fd(p[1]), 0);
    char line[200];
    memset(line, 'a', sizeof line);
    for (int i = 0; i < 2000; i++)
        TEST_EQ_INT(mo_sink_line(line, sizeof line, MO_SINK_KEEP), 0);
    size_t left = mo_sink_close(200000);
    TEST_CHECK(left > 0 && left <= 2000 * sizeof line);
    TEST_EQ_INT(mo_sink_open_fd(p[1]), -EBUSY);
    close(p[0]); /* the writer fails with EPIPE and ends */
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN); /* as the daemon does */
    test_stalled_pipe();
    test_hard_limit();
    test_closed_pipe();
    test_journal_format();
    test_journal_fallback();
    test_barrier();
    test_abandon();
    return test_result("test-sink");
}
