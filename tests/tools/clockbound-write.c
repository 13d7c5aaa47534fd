/* clockbound-write - writes a ClockBound shared memory segment into a file,
 * in any state, for the tests (the daemon's reader: src/lib/clockbound.h).
 *
 *   clockbound-write FILE [OPTION...]
 *
 *   --version 1|2|0        layout (default 2; 0: the writer restarting, as
 *                          ClockBound's wipe leaves it, generation 0 unless given)
 *   --status S             unknown, synchronized (default), free_running,
 *                          disrupted, or any number
 *   --bound-ns N           bound at as_of (default 350000)
 *   --drift-ppb N          max drift (default 0, so figures are exact)
 *   --as-of T              now (default), now-SECONDS, now+SECONDS, or
 *                          MONO_NS: CLOCK_MONOTONIC_COARSE in ns
 *   --void-after SECONDS   void_after = as_of + SECONDS (default 60; may be
 *                          negative, for a malformed segment)
 *   --generation N         generation (default 2; odd: an update in progress)
 *   --magic bad            a magic that is not ClockBound's
 *   --segsize N            segsize field (default: the layout's, 80 or 72);
 *                          the file holds max(segsize, layout) bytes
 *   --truncate N           then cut (or extend) the file to N bytes
 *   --disruption-support   v2's disruption support flag set
 *   --marker N             v2's disruption marker (default 0)
 *   --hold-odd SECONDS     after the write, make the generation odd, hold it
 *                          for SECONDS, then even again (the next even one)
 *   --follow SECONDS       then go on as ClockBound's daemon does: every
 *                          100 ms, generation odd, the fields (as_of the coarse
 *                          clock now, as --as-of says), generation even, for
 *                          SECONDS (0: until SIGTERM or SIGINT)
 *   --replace              write FILE.tmp and rename it over FILE (a new
 *                          inode); otherwise FILE is written in place (never
 *                          O_TRUNC, so a reader's mapping sees the change) and
 *                          set to its size with ftruncate
 *
 * Fields are native endian at clockbound.h's offsets: magic 0x414D5A4E
 * 0x43420200 @0, segsize u32 @8, version u16 @12, generation u16 @14, as_of
 * {i64 s, i64 ns} @16, void_after @32, bound i64 @48; v2: marker u64 @56,
 * drift u32 @64, status i32 @68, support u8 @72 (80 bytes); v1: drift u32
 * @56, reserved @60, status i32 @64 (72 bytes). Every write, the first too,
 * goes through a shared mapping as the real writer's do: generation odd,
 * the other bytes, then the generation asked for (a release store). The file
 * is complete when the program exits or, with --follow or --hold-odd, before
 * the first wait. Exit status: 0, 64 for a usage error, 1 for an I/O error.
 * Links nothing but the C library.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define NSEC INT64_C(1000000000)
#define MAGIC0 0x414D5A4EU
#define MAGIC1 0x43420200U
#define STEP_NS (100 * 1000000LL) /* --follow's period */

struct opts {
    const char *file;
    unsigned version;
    int32_t status;
    int64_t bound, void_after;
    uint32_t drift;
    bool as_of_rel; /* as_of is now + as_of, else as_of itself */
    int64_t as_of;
    long generation; /* -1: the version's default */
    bool bad_magic, support, replace;
    long segsize;  /* -1: the layout's */
    long truncate; /* -1: none */
    uint64_t marker;
    int64_t follow_ns, hold_odd_ns; /* -1: not asked */
};

static volatile sig_atomic_t stop;
static void on_signal(int sig) { stop = sig; }

__attribute__((format(printf, 1, 2))) static int usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "clockbound-write: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry 'clockbound-write --help'.\n");
    va_end(ap);
    return 64;
}

static void help(void)
{
    puts("Usage: clockbound-write FILE [OPTION...]\n"
         "Writes a ClockBound shared memory segment into FILE, for tests.\n\n"
         "  --version 1|2|0        layout (default 2; 0: restarting, generation 0)\n"
         "  --status S             unknown|synchronized|free_running|disrupted|N (default synchronized)\n"
         "  --bound-ns N           bound at as_of (default 350000)\n"
         "  --drift-ppb N          max drift (default 0)\n"
         "  --as-of T              now|now-SECONDS|now+SECONDS|MONO_NS (default now)\n"
         "  --void-after SECONDS   void_after = as_of + SECONDS (default 60)\n"
         "  --generation N         generation (default 2)\n"
         "  --magic bad            a magic that is not ClockBound's\n"
         "  --segsize N            segsize field (default 80 for v2 and v0, 72 for v1)\n"
         "  --truncate N           then cut or extend the file to N bytes\n"
         "  --disruption-support   v2's disruption support flag\n"
         "  --marker N             v2's disruption marker (default 0)\n"
         "  --hold-odd SECONDS     then hold the generation odd for SECONDS, then even\n"
         "  --follow SECONDS       then rewrite every 100 ms with as_of now, SECONDS long\n"
         "                         (0: until SIGTERM)\n"
         "  --replace              write FILE.tmp and rename it over FILE\n\n"
         "FILE is written in place (a mapping sees it) unless --replace. Exit status:\n"
         "0, 64 for a usage error, 1 for an I/O error.");
}

/* A whole decimal integer within [lo, hi]. */
static bool int_arg(const char *s, long long lo, long long hi, long long *ret)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return false;
    *ret = v;
    return true;
}

/* [-+]S[.fraction] seconds, exactly, into ns (at most 9 fraction digits). */
static bool seconds_arg(const char *s, int64_t *ret)
{
    bool neg = *s == '-';
    if (*s == '-' || *s == '+')
        s++;
    int64_t whole = 0, frac = 0;
    int digits = 0, fdigits = 0;
    for (; *s >= '0' && *s <= '9'; s++, digits++) {
        if (whole > (INT64_MAX / NSEC - 1) / 10)
            return false;
        whole = whole * 10 + (*s - '0');
    }
    if (*s == '.')
        for (s++; *s >= '0' && *s <= '9'; s++, fdigits++) {
            if (fdigits == 9)
                return false;
            frac = frac * 10 + (*s - '0');
        }
    if (*s || digits + fdigits == 0)
        return false;
    for (int i = fdigits; i < 9; i++)
        frac *= 10;
    *ret = (neg ? -1 : 1) * (whole * NSEC + frac);
    return true;
}

static bool status_arg(const char *s, int32_t *ret)
{
    static const char *const names[] = {"unknown", "synchronized", "free_running", "disrupted"};
    for (int i = 0; i < 4; i++)
        if (strcmp(s, names[i]) == 0) {
            *ret = i;
            return true;
        }
    long long v;
    if (!int_arg(s, INT32_MIN, INT32_MAX, &v))
        return false;
    *ret = (int32_t)v;
    return true;
}

static bool as_of_arg(const char *s, struct opts *o)
{
    long long v;
    if (strcmp(s, "now") == 0) {
        o->as_of_rel = true;
        o->as_of = 0;
        return true;
    }
    if (strncmp(s, "now", 3) == 0 && (s[3] == '-' || s[3] == '+')) {
        o->as_of_rel = true;
        return seconds_arg(s + 3, &o->as_of);
    }
    if (!int_arg(s, 0, INT64_MAX, &v))
        return false;
    o->as_of_rel = false;
    o->as_of = v;
    return true;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
    static const struct option longs[] = {
        {"version", required_argument, NULL, 'V'},   {"status", required_argument, NULL, 's'},
        {"bound-ns", required_argument, NULL, 'b'},  {"drift-ppb", required_argument, NULL, 'd'},
        {"as-of", required_argument, NULL, 'a'},     {"void-after", required_argument, NULL, 'v'},
        {"generation", required_argument, NULL, 'g'}, {"magic", required_argument, NULL, 'm'},
        {"segsize", required_argument, NULL, 'z'},   {"truncate", required_argument, NULL, 't'},
        {"disruption-support", no_argument, NULL, 'D'}, {"marker", required_argument, NULL, 'k'},
        {"follow", required_argument, NULL, 'f'},    {"hold-odd", required_argument, NULL, 'o'},
        {"replace", no_argument, NULL, 'r'},         {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *o = (struct opts){.version = 2, .status = 1, .bound = 350000, .void_after = 60 * NSEC,
                       .as_of_rel = true, .generation = -1, .segsize = -1, .truncate = -1,
                       .follow_ns = -1, .hold_odd_ns = -1};
    long long v;
    int c;
    while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        const char *a = optarg;
        bool ok = true;
        switch (c) {
        case 'V':
            ok = int_arg(a, 0, 2, &v) && (o->version = (unsigned)v, true);
            break;
        case 's':
            ok = status_arg(a, &o->status);
            break;
        case 'b':
            ok = int_arg(a, INT64_MIN, INT64_MAX, &v) && (o->bound = v, true);
            break;
        case 'd':
            ok = int_arg(a, 0, UINT32_MAX, &v) && (o->drift = (uint32_t)v, true);
            break;
        case 'a':
            ok = as_of_arg(a, o);
            break;
        case 'v':
            ok = seconds_arg(a, &o->void_after);
            break;
        case 'g':
            ok = int_arg(a, 0, 65535, &v) && (o->generation = (long)v, true);
            break;
        case 'm':
            ok = strcmp(a, "bad") == 0 && (o->bad_magic = true);
            break;
        case 'z':
            ok = int_arg(a, 0, UINT32_MAX, &v) && (o->segsize = (long)v, true);
            break;
        case 't':
            ok = int_arg(a, 0, 1 << 20, &v) && (o->truncate = (long)v, true);
            break;
        case 'D':
            o->support = true;
            break;
        case 'k':
            ok = int_arg(a, 0, INT64_MAX, &v) && (o->marker = (uint64_t)v, true);
            break;
        case 'f':
            ok = seconds_arg(a, &o->follow_ns) && o->follow_ns >= 0;
            break;
        case 'o':
            ok = seconds_arg(a, &o->hold_odd_ns) && o->hold_odd_ns >= 0;
            break;
        case 'r':
            o->replace = true;
            break;
        case 'h':
            help();
            exit(0);
        default:
            return 64; /* getopt said why */
        }
        if (!ok)
            return usage("bad value '%s'", a);
    }
    if (optind != argc - 1)
        return usage("%s", optind < argc ? "one FILE only" : "no FILE");
    o->file = argv[optind];
    if (o->truncate >= 0 && (o->follow_ns >= 0 || o->hold_odd_ns >= 0))
        return usage("%s", "--truncate cannot go with --follow or --hold-odd");
    if (o->segsize > 1 << 20)
        return usage("%s", "--segsize above 1 MiB would make a file that large");
    return 0;
}

static int64_t mono_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * NSEC + ts.tv_nsec;
}

static size_t layout_size(const struct opts *o) { return o->version == 1 ? 72 : 80; }

/* The size of the file: the layout, or segsize when larger. */
static size_t file_size(const struct opts *o)
{
    size_t l = layout_size(o);
    return o->segsize > (long)l ? (size_t)o->segsize : l;
}

static void put(uint8_t *b, size_t off, const void *v, size_t n) { memcpy(b + off, v, n); }

static void put_time(uint8_t *b, size_t off, int64_t ns)
{
    /* floored, so that a negative time keeps its nanoseconds in [0, 1e9) */
    int64_t s = ns / NSEC, n = ns % NSEC;
    if (n < 0) {
        s--;
        n += NSEC;
    }
    put(b, off, &s, 8);
    put(b, off + 8, &n, 8);
}

/* The segment's bytes (file_size of them, zero padded), generation aside. */
static void fill(const struct opts *o, uint8_t *b)
{
    uint32_t magic0 = o->bad_magic ? 0xDEADBEEFU : MAGIC0, magic1 = MAGIC1;
    uint32_t segsize = o->segsize >= 0 ? (uint32_t)o->segsize : (uint32_t)layout_size(o);
    uint16_t version = (uint16_t)o->version;
    int64_t as_of = o->as_of_rel ? mono_ns(CLOCK_MONOTONIC_COARSE) + o->as_of : o->as_of;
    memset(b, 0, file_size(o));
    put(b, 0, &magic0, 4);
    put(b, 4, &magic1, 4);
    put(b, 8, &segsize, 4);
    put(b, 12, &version, 2);
    put_time(b, 16, as_of);
    put_time(b, 32, as_of + o->void_after);
    put(b, 48, &o->bound, 8);
    if (o->version == 1) {
        put(b, 56, &o->drift, 4);
        put(b, 64, &o->status, 4);
    } else {
        put(b, 56, &o->marker, 8);
        put(b, 64, &o->drift, 4);
        put(b, 68, &o->status, 4);
        b[72] = o->support;
    }
}

/* The next even generation after g: never 0, wrapping to 2. */
static uint16_t next_even(uint16_t g)
{
    unsigned n = g + (g % 2 ? 1u : 2u);
    return n > 65535 ? 2 : (uint16_t)n;
}

static void set_generation(uint8_t *map, uint16_t g)
{
    __atomic_store_n((uint16_t *)(map + 14), g, __ATOMIC_RELEASE);
}

/* One update as ClockBound's writer makes it: odd, the bytes, then gen. */
static void publish(const struct opts *o, uint8_t *map, uint16_t gen)
{
    static uint8_t b[(1 << 20) + 80];
    size_t n = file_size(o);
    uint16_t now = __atomic_load_n((uint16_t *)(map + 14), __ATOMIC_RELAXED);
    set_generation(map, now % 2 ? now : (uint16_t)(now + 1));
    __atomic_thread_fence(__ATOMIC_RELEASE);
    fill(o, b);
    memcpy(map, b, 14);
    memcpy(map + 16, b + 16, n - 16);
    set_generation(map, gen);
}

/* Sleeps ns of CLOCK_MONOTONIC, or until a signal stops the program. */
static void wait_ns(int64_t ns)
{
    struct timespec ts = {(time_t)(ns / NSEC), (long)(ns % NSEC)};
    if (!stop)
        nanosleep(&ts, NULL);
}

static int fail(const char *what, const char *file)
{
    fprintf(stderr, "clockbound-write: %s %s: %s\n", what, file, strerror(errno));
    return 1;
}

int main(int argc, char **argv)
{
    struct opts o;
    int r = parse_args(argc, argv, &o);
    if (r)
        return r;
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    char tmp[4096];
    const char *target = o.file;
    if (o.replace) {
        snprintf(tmp, sizeof tmp, "%s.tmp", o.file);
        target = tmp;
        unlink(tmp);
    }
    int fd = open(target, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return fail("cannot open", target);
    struct stat st;
    size_t n = file_size(&o);
    if (fstat(fd, &st) < 0 || (st.st_size < (off_t)n && ftruncate(fd, (off_t)n) < 0))
        return fail("cannot size", target);
    uint8_t *map = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED)
        return fail("cannot map", target);
    uint16_t gen = o.generation >= 0 ? (uint16_t)o.generation : o.version == 0 ? 0 : 2;
    publish(&o, map, gen);
    if (st.st_size > (off_t)n && ftruncate(fd, (off_t)n) < 0)
        return fail("cannot size", target);
    if (o.truncate >= 0) { /* alone: no --follow, no --hold-odd */
        munmap(map, n);
        map = NULL;
        if (ftruncate(fd, o.truncate) < 0)
            return fail("cannot truncate", target);
    }
    if (o.replace && rename(tmp, o.file) < 0)
        return fail("cannot rename over", o.file);

    if (o.hold_odd_ns >= 0) {
        set_generation(map, gen % 2 ? gen : (uint16_t)(gen + 1));
        wait_ns(o.hold_odd_ns);
        gen = next_even(gen);
        set_generation(map, gen);
    }
    if (o.follow_ns >= 0) {
        int64_t start = mono_ns(CLOCK_MONOTONIC);
        while (!stop && (o.follow_ns == 0 || mono_ns(CLOCK_MONOTONIC) - start < o.follow_ns)) {
            wait_ns(STEP_NS);
            if (stop)
                break;
            gen = next_even(gen);
            publish(&o, map, gen);
        }
    }
    if (map)
        munmap(map, n);
    close(fd);
    return 0;
}
