/* clockbound.c - ClockBound's shared memory segment: a copy parsed, the bound
 * at a moment, and the reader of one path (clockbound.h).
 *
 * Decisions this file makes:
 * - Fields are taken from a copy with memcpy at their offsets (native endian,
 *   any alignment). The live segment is touched only by an 8-byte look at the
 *   magic, two acquire loads of version and generation around one volatile
 *   byte copy, and an acquire fence before the second load of generation.
 * - A timespec's seconds must lie in [0, INT64_MAX / 1e9): the coarse
 *   monotonic clock is never negative, and past that its nanoseconds would
 *   not fit an int64.
 * - The drift is added as whole seconds times ppb plus the remainder's share
 *   rounded up: exact in 64-bit integers, saturating rather than wrapping.
 * - A file is mapped whole, up to MAP_MAX bytes (a segment is 72 or 80; the
 *   rest is never read). The path is stat'ed on every poll: a file now
 *   shorter than the mapping is refused before the copy, since reading a page
 *   past the end of a file raises SIGBUS. A truncation in the few
 *   instructions between that stat and the copy is not guarded against
 *   (ClockBound truncates its file only when it creates it afresh at start).
 * - A file replaced (another inode or device) or resized is mapped again on
 *   the same poll, and the last snapshot and its timers carry over: they
 *   describe the clock, not the file. ABSENT and BAD forget both, so a file
 *   that comes back is read afresh.
 * - Kept snapshots: version 0 and an update in progress keep the last
 *   snapshot for MO_CB_STALE_NS from the first poll that kept it, one timer
 *   for both (a restart followed by an update does not start a second 5 s);
 *   a generation that changed during the copy is an update in progress (no
 *   retry: a poll never loops). The as_of rule is judged on the copies that carry as_of: a
 *   fresh copy whose as_of has been the same for MO_CB_STALE_NS of polls is
 *   STALE, and so is a kept snapshot that was already stale by it. Were the
 *   as_of rule applied to kept snapshots too, it would always end a restart
 *   before the kept snapshot's own timer (as_of stops moving before the
 *   first 0), and the restart rule would be dead.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clockbound.h"

#define NSEC_PER_SEC INT64_C(1000000000)
#define HEADER_SIZE 16 /* magic, segsize, version, generation */
#define OFF_SEGSIZE 8
#define OFF_VERSION 12
#define OFF_GENERATION 14
#define OFF_AS_OF 16
#define OFF_VOID_AFTER 32
#define OFF_BOUND 48
#define OFF_V2_MARKER 56 /* v2 from here on */
#define OFF_V2_DRIFT 64
#define OFF_V2_STATUS 68
#define OFF_V2_SUPPORT 72
#define OFF_V1_DRIFT 56 /* v1: then a reserved u32 at 60 */
#define OFF_V1_STATUS 64
#define DRIFT_MAX_PPB 1000000000U /* a drift of 1e9 ppb or more is nonsense */
#define MAP_MAX 65536
_Static_assert(MO_CB_V2_SIZE >= MO_CB_V1_SIZE, "the copy buffer holds the larger version");

/* ---- names and reasons -------------------------------------------------- */

const char *mo_cb_status_name(enum mo_cb_status s)
{
    switch (s) {
    case MO_CB_SYNCHRONIZED:
        return "synchronized";
    case MO_CB_FREE_RUNNING:
        return "free_running";
    case MO_CB_DISRUPTED:
        return "disrupted";
    case MO_CB_UNKNOWN:
        break;
    }
    return "unknown"; /* what mo_cb_bound_at makes of a number outside the enum */
}

const char *mo_cb_state_name(enum mo_cb_state s)
{
    switch (s) {
    case MO_CB_GOOD:
        return "good";
    case MO_CB_ABSENT:
        return "absent";
    case MO_CB_BAD:
        return "bad";
    case MO_CB_STALE:
        return "stale";
    }
    return "?";
}

/* Writes the reason (printf format) when there is a buffer for it. */
__attribute__((format(printf, 3, 4))) static void say(char *buf, size_t len, const char *fmt, ...)
{
    if (!buf || len == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, len, fmt, ap);
    va_end(ap);
}

/* ---- the pure layers ---------------------------------------------------- */

static uint16_t get_u16(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, sizeof v);
    return v;
}
static uint32_t get_u32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}
static int64_t get_i64(const uint8_t *p)
{
    int64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* The timespec at p as nanoseconds, or false with the reason. */
static bool get_time(const uint8_t *p, const char *name, int64_t *ns, char *reason, size_t len)
{
    int64_t s = get_i64(p), n = get_i64(p + 8);
    if (n < 0 || n >= NSEC_PER_SEC) {
        say(reason, len, "%s nanoseconds %" PRId64 " outside [0, 1e9)", name, n);
        return false;
    }
    if (s < 0 || s >= INT64_MAX / NSEC_PER_SEC) {
        say(reason, len, "%s seconds %" PRId64 " out of range", name, s);
        return false;
    }
    *ns = s * NSEC_PER_SEC + n;
    return true;
}

enum mo_cb_parse_result mo_cb_parse(const uint8_t *buf, size_t len, uint64_t file_size,
                                    struct mo_cb_snapshot *ret, char *reason, size_t reason_len)
{
    say(reason, reason_len, "%s", "");
    if (file_size < HEADER_SIZE) {
        say(reason, reason_len, "file is %" PRIu64 " bytes, shorter than the header (%d)",
            file_size, HEADER_SIZE);
        return MO_CB_MALFORMED;
    }
    if (len < HEADER_SIZE) {
        say(reason, reason_len, "copy is %zu bytes, shorter than the header (%d)", len,
            HEADER_SIZE);
        return MO_CB_MALFORMED;
    }
    if (get_u32(buf) != MO_CB_MAGIC0 || get_u32(buf + 4) != MO_CB_MAGIC1) {
        say(reason, reason_len, "bad magic");
        return MO_CB_MALFORMED;
    }
    unsigned version = get_u16(buf + OFF_VERSION);
    if (version == 0) {
        say(reason, reason_len, "restarting (version 0)");
        return MO_CB_RESTARTING;
    }
    if (version != 1 && version != 2) {
        say(reason, reason_len, "version %u unsupported", version);
        return MO_CB_MALFORMED;
    }
    uint32_t need = version == 2 ? MO_CB_V2_SIZE : MO_CB_V1_SIZE;
    uint32_t segsize = get_u32(buf + OFF_SEGSIZE);
    if (segsize < need) {
        say(reason, reason_len, "segment size %" PRIu32 ", expected at least %" PRIu32 " (v%u)",
            segsize, need, version);
        return MO_CB_MALFORMED;
    }
    if (segsize > file_size) {
        say(reason, reason_len, "file is %" PRIu64 " bytes, shorter than its segment size %" PRIu32,
            file_size, segsize);
        return MO_CB_MALFORMED;
    }
    if (len < need) {
        say(reason, reason_len, "copy is %zu bytes, expected at least %" PRIu32 " (v%u)", len,
            need, version);
        return MO_CB_MALFORMED;
    }
    unsigned generation = get_u16(buf + OFF_GENERATION);
    if (generation == 0 || generation % 2) {
        say(reason, reason_len, "update in progress (generation %u)", generation);
        return MO_CB_UPDATING;
    }

    struct mo_cb_snapshot s = {.version = (uint16_t)version, .generation = (uint16_t)generation};
    if (!get_time(buf + OFF_AS_OF, "as_of", &s.as_of_ns, reason, reason_len) ||
        !get_time(buf + OFF_VOID_AFTER, "void_after", &s.void_after_ns, reason, reason_len))
        return MO_CB_MALFORMED;
    s.bound_ns = get_i64(buf + OFF_BOUND);
    if (version == 2) {
        memcpy(&s.disruption_marker, buf + OFF_V2_MARKER, sizeof s.disruption_marker);
        s.max_drift_ppb = get_u32(buf + OFF_V2_DRIFT);
        s.status = (int32_t)get_u32(buf + OFF_V2_STATUS);
        s.disruption_support = buf[OFF_V2_SUPPORT] != 0;
    } else {
        s.max_drift_ppb = get_u32(buf + OFF_V1_DRIFT);
        s.status = (int32_t)get_u32(buf + OFF_V1_STATUS);
    }
    if (s.bound_ns < 0) {
        say(reason, reason_len, "bound %" PRId64 " ns is negative", s.bound_ns);
        return MO_CB_MALFORMED;
    }
    if (s.max_drift_ppb >= DRIFT_MAX_PPB) {
        say(reason, reason_len, "max drift %" PRIu32 " ppb, expected below 1e9", s.max_drift_ppb);
        return MO_CB_MALFORMED;
    }
    if (s.void_after_ns < s.as_of_ns) {
        say(reason, reason_len, "void_after is %" PRId64 " ns before as_of",
            s.as_of_ns - s.void_after_ns);
        return MO_CB_MALFORMED;
    }
    *ret = s;
    return MO_CB_OK;
}

/* a + b, held at INT64_MAX (b >= 0). */
static int64_t add_sat(int64_t a, int64_t b)
{
    int64_t r;
    return __builtin_add_overflow(a, b, &r) ? INT64_MAX : r;
}

/* How long after `since` `now` is, in ns: 0 when it is not after, at most
 * INT64_MAX. */
static int64_t after(int64_t now, int64_t since)
{
    if (now <= since)
        return 0;
    uint64_t d = (uint64_t)now - (uint64_t)since;
    return d > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)d;
}

/* ceil(elapsed x ppb / 1e9), at most INT64_MAX. */
static int64_t drift_ns(int64_t elapsed, uint32_t ppb)
{
    uint64_t whole = (uint64_t)elapsed / NSEC_PER_SEC, rest = (uint64_t)elapsed % NSEC_PER_SEC;
    uint64_t a, b;
    if (__builtin_mul_overflow(whole, (uint64_t)ppb, &a))
        return INT64_MAX;
    b = (rest * ppb + NSEC_PER_SEC - 1) / NSEC_PER_SEC; /* below 1e9 x 2^32: fits */
    if (__builtin_add_overflow(a, b, &a) || a > (uint64_t)INT64_MAX)
        return INT64_MAX;
    return (int64_t)a;
}

bool mo_cb_bound_at(const struct mo_cb_snapshot *s, int64_t mono_ns, int64_t *bound_ns,
                    enum mo_cb_status *status)
{
    *bound_ns = add_sat(s->bound_ns, drift_ns(after(mono_ns, s->as_of_ns), s->max_drift_ppb));
    enum mo_cb_status st;
    switch (s->status) {
    case MO_CB_SYNCHRONIZED:
    case MO_CB_FREE_RUNNING:
        if (mono_ns < add_sat(s->as_of_ns, MO_CB_GRACE_NS))
            st = (enum mo_cb_status)s->status;
        else if (mono_ns < s->void_after_ns)
            st = MO_CB_FREE_RUNNING;
        else
            st = MO_CB_UNKNOWN;
        break;
    case MO_CB_DISRUPTED:
        st = MO_CB_DISRUPTED;
        break;
    default:
        st = MO_CB_UNKNOWN;
        break;
    }
    *status = st;
    return st == MO_CB_SYNCHRONIZED || st == MO_CB_FREE_RUNNING;
}

/* ---- the reader ------------------------------------------------------------ */

struct mo_cb_reader {
    char *path;
    const volatile uint8_t *map; /* NULL: nothing mapped */
    size_t map_len;
    dev_t dev; /* of the mapped file, when it was mapped */
    ino_t ino;
    off_t size;
    bool have_snap;
    struct mo_cb_snapshot snap; /* the last good copy */
    int64_t as_of_since;        /* the first poll whose copy had snap.as_of_ns */
    bool as_of_stale;           /* the last copy was STALE by the as_of rule */
    bool keeping;               /* snap kept (version 0, an update) since keep_since */
    int64_t keep_since;         /* the first poll since the last good copy that kept it */
};

enum keep { KEEP_RESTART, KEEP_UPDATE };

static void (*copy_hook)(volatile uint8_t *seg, void *ctx);
static void *copy_hook_ctx;

int mo_cb_reader_new(mo_cb_reader **ret, const char *path)
{
    mo_cb_reader *r = calloc(1, sizeof *r);
    if (!r)
        return -ENOMEM;
    r->path = strdup(path);
    if (!r->path) {
        free(r);
        return -ENOMEM;
    }
    *ret = r;
    return 0;
}

static void unmap(mo_cb_reader *r)
{
    if (r->map)
        munmap((void *)(uintptr_t)r->map, r->map_len);
    r->map = NULL;
    r->map_len = 0;
}

/* The last snapshot and every timer, gone. */
static void forget(mo_cb_reader *r)
{
    r->have_snap = r->as_of_stale = r->keeping = false;
}

void mo_cb_reader_free(mo_cb_reader *r)
{
    if (!r)
        return;
    unmap(r);
    free(r->path);
    free(r);
}

const char *mo_cb_reader_path(const mo_cb_reader *r) { return r->path; }

/* errno as words, without strerror's buffer (it may allocate for an unknown one). */
static const char *errno_words(int e)
{
    char buf[64];
    const char *s = strerror_r(e, buf, sizeof buf);
    return s == buf ? "error" : s; /* glibc's own strings outlive the call */
}

/* Refused: the state, its reason, nothing kept. */
static enum mo_cb_state refuse(mo_cb_reader *r, enum mo_cb_state st)
{
    unmap(r);
    forget(r);
    return st;
}

/* Opens and maps the file at the path. */
static enum mo_cb_state map_file(mo_cb_reader *r, char *reason, size_t len)
{
    int fd = open(r->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        int e = errno;
        if (e == ENOENT || e == ENOTDIR)
            say(reason, len, "no such file");
        else
            say(reason, len, "cannot open: %s", errno_words(e));
        return MO_CB_ABSENT;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        say(reason, len, "cannot stat: %s", errno_words(errno));
        close(fd);
        return MO_CB_ABSENT;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        say(reason, len, "not a regular file");
        return MO_CB_BAD;
    }
    if (st.st_size < HEADER_SIZE) {
        close(fd);
        say(reason, len, "file is %jd bytes, shorter than the header (%d)", (intmax_t)st.st_size,
            HEADER_SIZE);
        return MO_CB_BAD;
    }
    size_t n = st.st_size < MAP_MAX ? (size_t)st.st_size : MAP_MAX;
    void *p = mmap(NULL, n, PROT_READ, MAP_SHARED, fd, 0);
    int e = errno;
    close(fd);
    if (p == MAP_FAILED) {
        say(reason, len, "cannot map: %s", errno_words(e));
        return MO_CB_BAD;
    }
    r->map = p;
    r->map_len = n;
    r->dev = st.st_dev;
    r->ino = st.st_ino;
    r->size = st.st_size;
    return MO_CB_GOOD;
}

/* The last snapshot kept through a restart or an update in progress, within
 * its MO_CB_STALE_NS; note is the reason when it is kept. */
static enum mo_cb_state keep(mo_cb_reader *r, int64_t mono_ns, enum keep why, const char *note,
                             struct mo_cb_snapshot *ret, char *reason, size_t len)
{
    const char *what = why == KEEP_RESTART ? "restarting (version 0)" : "update in progress";
    if (!r->keeping) {
        r->keeping = true;
        r->keep_since = mono_ns;
    }
    if (!r->have_snap) {
        say(reason, len, "%s, and no earlier snapshot", what);
        return MO_CB_STALE;
    }
    int64_t held = after(mono_ns, r->keep_since);
    if (held >= MO_CB_STALE_NS) {
        say(reason, len, "%s for %" PRId64 " s", what, held / NSEC_PER_SEC);
        return MO_CB_STALE;
    }
    if (r->as_of_stale) {
        say(reason, len, "as_of has not moved for %" PRId64 " s",
            after(mono_ns, r->as_of_since) / NSEC_PER_SEC);
        return MO_CB_STALE;
    }
    *ret = r->snap;
    say(reason, len, "%s", note);
    return MO_CB_GOOD;
}

/* A good copy: the new last snapshot, unless its as_of has not moved. */
static enum mo_cb_state fresh(mo_cb_reader *r, int64_t mono_ns, const struct mo_cb_snapshot *s,
                              struct mo_cb_snapshot *ret, char *reason, size_t len)
{
    if (!r->have_snap || s->as_of_ns != r->snap.as_of_ns)
        r->as_of_since = mono_ns;
    r->snap = *s;
    r->have_snap = true;
    r->keeping = false;
    int64_t unmoved = after(mono_ns, r->as_of_since);
    r->as_of_stale = unmoved >= MO_CB_STALE_NS;
    if (r->as_of_stale) {
        say(reason, len, "as_of has not moved for %" PRId64 " s", unmoved / NSEC_PER_SEC);
        return MO_CB_STALE;
    }
    *ret = *s;
    return MO_CB_GOOD;
}

/* One copy of the mapped segment by the protocol. */
static enum mo_cb_state read_segment(mo_cb_reader *r, int64_t mono_ns, struct mo_cb_snapshot *ret,
                                     char *reason, size_t len)
{
    const volatile uint8_t *m = r->map;
    uint8_t copy[MO_CB_V2_SIZE];
    for (size_t i = 0; i < 8; i++) /* the magic never changes: checked first, plainly */
        copy[i] = m[i];
    if (get_u32(copy) != MO_CB_MAGIC0 || get_u32(copy + 4) != MO_CB_MAGIC1) {
        say(reason, len, "bad magic");
        return refuse(r, MO_CB_BAD);
    }
    const volatile uint16_t *gen = (const volatile uint16_t *)(m + OFF_GENERATION);
    uint16_t version = __atomic_load_n((const volatile uint16_t *)(m + OFF_VERSION),
                                       __ATOMIC_ACQUIRE);
    if (version == 0)
        return keep(r, mono_ns, KEEP_RESTART, "restarting", ret, reason, len);
    if (version != 1 && version != 2) {
        say(reason, len, "version %u unsupported", (unsigned)version);
        return refuse(r, MO_CB_BAD);
    }
    uint16_t first = __atomic_load_n(gen, __ATOMIC_ACQUIRE);
    if (first == 0 || first % 2)
        return keep(r, mono_ns, KEEP_UPDATE, "update in progress", ret, reason, len);
    size_t n = r->map_len < sizeof copy ? r->map_len : sizeof copy;
    for (size_t i = 0; i < n; i++)
        copy[i] = m[i];
    if (copy_hook)
        copy_hook((volatile uint8_t *)(uintptr_t)m, copy_hook_ctx);
    __atomic_thread_fence(__ATOMIC_ACQUIRE); /* the copy's loads before the second look */
    if (__atomic_load_n(gen, __ATOMIC_ACQUIRE) != first)
        return keep(r, mono_ns, KEEP_UPDATE,
                    "update in progress (generation changed during the copy)", ret, reason, len);

    struct mo_cb_snapshot s;
    switch (mo_cb_parse(copy, n, (uint64_t)r->size, &s, reason, len)) {
    case MO_CB_OK:
        return fresh(r, mono_ns, &s, ret, reason, len);
    case MO_CB_RESTARTING:
        return keep(r, mono_ns, KEEP_RESTART, "restarting", ret, reason, len);
    case MO_CB_UPDATING:
        return keep(r, mono_ns, KEEP_UPDATE, "update in progress", ret, reason, len);
    case MO_CB_MALFORMED:
        break;
    }
    return refuse(r, MO_CB_BAD);
}

enum mo_cb_state mo_cb_reader_poll(mo_cb_reader *r, int64_t mono_ns, struct mo_cb_snapshot *ret,
                                   char *reason, size_t reason_len)
{
    say(reason, reason_len, "%s", "");
    struct stat st;
    if (stat(r->path, &st) < 0) {
        int e = errno;
        if (e == ENOENT || e == ENOTDIR)
            say(reason, reason_len, "no such file");
        else
            say(reason, reason_len, "cannot stat: %s", errno_words(e));
        return refuse(r, MO_CB_ABSENT);
    }
    if (!S_ISREG(st.st_mode)) {
        say(reason, reason_len, "not a regular file");
        return refuse(r, MO_CB_BAD);
    }
    if (r->map && (st.st_dev != r->dev || st.st_ino != r->ino)) {
        unmap(r); /* replaced: the new file is mapped below */
    } else if (r->map && st.st_size < (off_t)r->map_len) {
        say(reason, reason_len, "file shrank to %jd bytes", (intmax_t)st.st_size);
        return refuse(r, MO_CB_BAD);
    } else if (r->map && st.st_size != r->size) {
        unmap(r);
    }
    if (!r->map) {
        enum mo_cb_state s = map_file(r, reason, reason_len);
        if (s != MO_CB_GOOD)
            return refuse(r, s);
    }
    return read_segment(r, mono_ns, ret, reason, reason_len);
}

int64_t mo_cb_mono_coarse_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (int64_t)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

void mo_cb_test_during_copy(void (*hook)(volatile uint8_t *seg, void *ctx), void *ctx)
{
    copy_hook = hook;
    copy_hook_ctx = ctx;
}
