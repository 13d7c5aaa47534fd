/* Unit tests for the state file: its encoding (src/daemon/state/statefile.c)
 * and its load, atomic save, directory choice and save pacing
 * (src/daemon/state/state.c).
 *
 * state.c is included, not linked, with write() and fsync() routed through
 * fakes that pass every call to the real ones until a test asks one to fail:
 * a disk that fills up part way, and a flush the kernel reports as failed,
 * cannot be had for real in a test that runs as root on the build machine. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"

static long write_budget = -1; /* bytes the next writes may take, then ENOSPC; -1: no limit */
static int fsync_fail_in;      /* fail the Nth fsync from now (0: none) */
static int fsync_errno;
static int fsync_calls;

static ssize_t fake_write(int fd, const void *buf, size_t len)
{
    if (write_budget == 0) {
        errno = ENOSPC;
        return -1;
    }
    if (write_budget > 0 && len > (size_t)write_budget)
        len = (size_t)write_budget; /* a short write first, as a filling disk does */
    ssize_t k = write(fd, buf, len);
    if (k > 0 && write_budget > 0)
        write_budget -= k;
    return k;
}

static int fake_fsync(int fd)
{
    fsync_calls++;
    if (fsync_fail_in > 0 && --fsync_fail_in == 0) {
        errno = fsync_errno;
        return -1;
    }
    return fsync(fd);
}

#define write fake_write
#define fsync fake_fsync
#include "state/state.c"
#undef write
#undef fsync

#include "state/statefile.h"

static char err[MO_STATE_ERR_MAX];

/* ---- helpers ----------------------------------------------------------- */

/* Decodes a private copy of exactly len bytes (no NUL after them), so the
 * sanitizers catch any read past the end. *ret is set to a sentinel first, to
 * check that an error leaves it untouched. */
static mo_statefile *const UNTOUCHED = (mo_statefile *)&err;
static int dec(const void *buf, size_t len, mo_statefile **ret)
{
    char *copy = malloc(len ? len : 1);
    memcpy(copy, buf, len);
    memset(err, 0, sizeof err);
    *ret = UNTOUCHED;
    int r = mo_statefile_decode(copy, len, "t", ret, err, sizeof err);
    free(copy);
    if (r < 0) {
        TEST_CHECK(*ret == UNTOUCHED);
        TEST_CHECK(strncmp(err, "t:", 2) == 0);             /* every detail names the file */
        TEST_CHECK(strlen(err) < MO_STATEFILE_ERR_MAX - 2); /* and fits, the path aside */
        *ret = NULL; /* so that a failed check above does not lead to a crash below */
    }
    return r;
}

/* Decoding s must fail with `code` and a detail containing `part`. */
#define BAD(s, code, part)                                                                         \
    do {                                                                                           \
        mo_statefile *_sf;                                                                         \
        TEST_EQ_INT(dec(s, strlen(s), &_sf), code);                                                \
        TEST_CONTAINS(err, part);                                                                  \
    } while (0)

/* `body` (a header and sub lines) with a correct end line: a file whose
 * checksum holds, to reach the checks behind it. count < 0: the number of
 * "sub " lines. The caller frees the result. */
static char *seal(const char *body, long count)
{
    if (count < 0) {
        count = 0;
        for (const char *p = body; (p = strstr(p, "\nsub ")); p++)
            count++;
    }
    char *s;
    if (asprintf(&s, "%send %ld %08x\n", body, count,
                 (unsigned)mo_statefile_crc32(0, body, strlen(body))) < 0)
        abort();
    return s;
}

#define BAD_SEALED(body, code, part)                                                               \
    do {                                                                                           \
        char *_s = seal(body, -1);                                                                 \
        BAD(_s, code, part);                                                                       \
        free(_s);                                                                                  \
    } while (0)

static bool same_entry(const struct mo_statefile_entry *a, const struct mo_statefile_entry *b)
{
    return strcmp(a->cache, b->cache) == 0 && strcmp(a->topic, b->topic) == 0 &&
           a->page == b->page && a->last == b->last;
}

/* n entries with awkward names: every byte value from 1 to 255 appears, with
 * quotes, backslashes, spaces, newlines; numbers at the edges of u64 and of
 * double precision. Names live in `store` (n * 2 * 64 bytes). */
static void make_entries(struct mo_statefile_entry *v, size_t n, char *store)
{
    static const uint64_t nums[] = {0,
                                    1,
                                    9,
                                    10,
                                    (1ULL << 53) + 1, /* a double would round this */
                                    1ULL << 63,
                                    UINT64_MAX - 1,
                                    UINT64_MAX,
                                    1795403877000000000ULL};
    for (size_t i = 0; i < n; i++) {
        char *c = store + i * 128, *t = c + 64;
        size_t k = 0;
        for (size_t j = 0; j < 20; j++)
            c[k++] = (char)(1 + (i * 20 + j) % 255);
        k += (size_t)sprintf(c + k, "\"\\ \n%zu", i);
        c[k] = '\0';
        snprintf(t, 64, "t\xc3\xa9 \"%zu\\", i % 7); /* topics repeat across caches */
        v[i] = (struct mo_statefile_entry){c, t, nums[i % 9], nums[(i / 9) % 9]};
    }
}

/* ---- the codec ---------------------------------------------------------- */

static void test_crc(void)
{
    TEST_EQ_INT(mo_statefile_crc32(0, "123456789", 9), 0xcbf43926); /* the CRC-32 check value */
    TEST_EQ_INT(mo_statefile_crc32(0, "", 0), 0);
    TEST_EQ_INT(mo_statefile_crc32(mo_statefile_crc32(0, "1234", 4), "56789", 5), 0xcbf43926);
    /* the table against the definition (bit by bit), for every byte value
     * and a stretch of every byte */
    unsigned char all[512];
    for (int i = 0; i < 512; i++)
        all[i] = (unsigned char)(i * 7 + (i >> 8));
    for (size_t len = 0; len <= sizeof all; len += 31) {
        uint32_t c = ~0u;
        for (size_t i = 0; i < len; i++) {
            c ^= all[i];
            for (int k = 0; k < 8; k++)
                c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
        }
        TEST_EQ_INT(mo_statefile_crc32(0, all, len), ~c);
    }
}

/* The exact bytes, so the format cannot drift unnoticed (checksums by zlib). */
static void test_golden(void)
{
    const struct mo_statefile_entry v[] = {
        {"prices", "eu", 1795403877, 1234},
        {"odd\nname\"\\", "caf\xc3\xa9", 0, UINT64_MAX},
    };
    const char *want = "momento-subscriber-state 1\n"
                       "sub \"prices\" \"eu\" 1795403877 1234\n"
                       "sub \"odd\\x0aname\\\"\\\\\" \"caf\\xc3\\xa9\" 0 18446744073709551615\n"
                       "end 2 6a549b45\n";
    char *buf = NULL;
    size_t len = 0;
    TEST_EQ_INT(mo_statefile_encode(v, 2, &buf, &len, err, sizeof err), 0);
    TEST_EQ_INT(len, strlen(want));
    TEST_CHECK(buf && len == strlen(want) && memcmp(buf, want, len) == 0);
    free(buf);

    TEST_EQ_INT(mo_statefile_encode(NULL, 0, &buf, &len, err, sizeof err), 0);
    const char *empty = "momento-subscriber-state 1\nend 0 6d4923e6\n";
    TEST_CHECK(len == strlen(empty) && memcmp(buf, empty, len) == 0);
    mo_statefile *sf = NULL;
    TEST_EQ_INT(dec(buf, len, &sf), 0);
    TEST_EQ_INT(mo_statefile_count(sf), 0);
    TEST_CHECK(mo_statefile_find(sf, "prices", "eu") == NULL);
    mo_statefile_free(sf);
    free(buf);

    TEST_EQ_INT(dec(want, strlen(want), &sf), 0);
    TEST_EQ_INT(mo_statefile_count(sf), 2);
    const struct mo_statefile_entry *e = mo_statefile_find(sf, "odd\nname\"\\", "caf\xc3\xa9");
    TEST_CHECK(e && e->page == 0 && e->last == UINT64_MAX);
    e = mo_statefile_find(sf, "prices", "eu");
    TEST_CHECK(e && e->page == 1795403877 && e->last == 1234);
    TEST_CHECK(mo_statefile_find(sf, "prices", "us") == NULL);
    TEST_CHECK(mo_statefile_find(sf, "eu", "prices") == NULL);
    mo_statefile_free(sf);
    mo_statefile_free(NULL);
    /* no file at all reads as no entries */
    TEST_EQ_INT(mo_statefile_count(NULL), 0);
    TEST_CHECK(mo_statefile_entries(NULL) == NULL);
    TEST_CHECK(mo_statefile_find(NULL, "prices", "eu") == NULL);

    /* the example of momento-subscriberd(8) and statefile.h */
    const char *doc = "momento-subscriber-state 1\n"
                      "sub \"prices\" \"eu\" 1795403877 1234\n"
                      "sub \"caf\\xc3\\xa9\" \"a \\\"quoted\\\" name\" 1795403877 77\n"
                      "end 2 3a5e438c\n";
    TEST_EQ_INT(dec(doc, strlen(doc), &sf), 0);
    e = mo_statefile_find(sf, "caf\xc3\xa9", "a \"quoted\" name");
    TEST_CHECK(e && e->page == 1795403877 && e->last == 77);
    mo_statefile_free(sf);
}

static void test_round_trip(void)
{
    enum { N = 2000 };
    struct mo_statefile_entry *v = calloc(N, sizeof *v);
    char *store = malloc(N * 128);
    make_entries(v, N, store);
    char *buf;
    size_t len;
    TEST_EQ_INT(mo_statefile_encode(v, N, &buf, &len, err, sizeof err), 0);
    /* pure printable ASCII, one line per entry plus header and end */
    size_t lines = 0, odd = 0;
    for (size_t i = 0; i < len; i++) {
        lines += buf[i] == '\n';
        odd += buf[i] != '\n' && (buf[i] < 0x20 || buf[i] >= 0x7f);
    }
    TEST_EQ_INT(lines, N + 2);
    TEST_EQ_INT(odd, 0);

    mo_statefile *sf;
    TEST_EQ_INT(dec(buf, len, &sf), 0);
    TEST_EQ_INT(mo_statefile_count(sf), N);
    const struct mo_statefile_entry *got = mo_statefile_entries(sf);
    size_t same = 0, found = 0;
    for (size_t i = 0; i < N; i++) {
        same += same_entry(&got[i], &v[i]); /* file order is the caller's order */
        const struct mo_statefile_entry *e = mo_statefile_find(sf, v[i].cache, v[i].topic);
        found += e && same_entry(e, &v[i]);
    }
    TEST_EQ_INT(same, N);
    TEST_EQ_INT(found, N);
    TEST_CHECK(mo_statefile_find(sf, v[0].cache, "t") == NULL);

    /* decode(encode(decode(x))) is byte-identical */
    char *again;
    size_t len2;
    TEST_EQ_INT(mo_statefile_encode(got, N, &again, &len2, err, sizeof err), 0);
    TEST_CHECK(len2 == len && memcmp(again, buf, len) == 0);
    free(again);
    mo_statefile_free(sf);
    free(buf);
    free(store);
    free(v);
}

/* A file with a few entries, for the damage tests. */
static char *sample(size_t *len)
{
    const struct mo_statefile_entry v[] = {
        {"prices", "eu", 1795403877, 1234},
        {"a \"b\"\\", "\x01\xff", 0, UINT64_MAX},
        {"prices", "us", 7, 9007199254740993ULL},
    };
    char *buf;
    if (mo_statefile_encode(v, 3, &buf, len, err, sizeof err) < 0)
        abort();
    return buf;
}

/* Every prefix of a valid file is refused as a whole, and says it is truncated. */
static void test_truncated(void)
{
    size_t len;
    char *buf = sample(&len);
    size_t rejected = 0, said = 0;
    for (size_t k = 0; k < len; k++) {
        mo_statefile *sf;
        int r = dec(buf, k, &sf);
        rejected += r == -EBADMSG;
        said += k == 0 ? strstr(err, "empty file") != NULL : strstr(err, "truncated") != NULL;
        if (r != -EBADMSG || !strstr(err, k ? "truncated" : "empty"))
            fprintf(stderr, "  prefix of %zu bytes: %d %s\n", k, r, err);
    }
    TEST_EQ_INT(rejected, len);
    TEST_EQ_INT(said, len);
    /* where: the end line cut after "end 3 " */
    const char *end = strstr(buf, "end ");
    mo_statefile *sf;
    TEST_EQ_INT(dec(buf, (size_t)(end - buf) + 6, &sf), -EBADMSG);
    TEST_EQ_STR(err, "t:5:7: the file ends in the middle of a line (truncated)");
    TEST_EQ_INT(dec(buf, (size_t)(end - buf), &sf), -EBADMSG);
    TEST_EQ_STR(err, "t:5:1: the file ends without its end line (truncated)");
    free(buf);
}

/* Every single-byte change anywhere (each of the 255 other values at each
 * offset) is refused: the syntax, the count or the checksum catches it. */
static void test_flipped(void)
{
    size_t len;
    char *buf = sample(&len);
    size_t tried = 0, rejected = 0, checksum = 0;
    for (size_t i = 0; i < len; i++)
        for (unsigned x = 1; x < 256; x++) {
            buf[i] ^= (char)x;
            mo_statefile *sf;
            int r = dec(buf, len, &sf);
            tried++;
            if (r == -EBADMSG || r == -EPROTONOSUPPORT)
                rejected++;
            else
                fprintf(stderr, "  byte %zu ^ 0x%02x: %d\n", i, x, r);
            if (r == 0)
                mo_statefile_free(sf);
            checksum += strstr(err, "checksum mismatch") != NULL;
            buf[i] ^= (char)x;
        }
    TEST_EQ_INT(rejected, tried);
    TEST_CHECK(checksum > 0); /* changes that keep the syntax are caught by the checksum */
    /* a page digit changed to another digit: only the checksum can tell */
    char *p = strstr(buf, "1795403877");
    p[0] = '2';
    mo_statefile *sf;
    TEST_EQ_INT(dec(buf, len, &sf), -EBADMSG);
    TEST_CONTAINS(err, "t:5:7: checksum mismatch: the end line says ");
    TEST_CONTAINS(err, "(the file was damaged or edited)");
    free(buf);
}

static void test_version_and_foreign(void)
{
    BAD_SEALED("momento-subscriber-state 2\n", -EPROTONOSUPPORT,
               "t:1:26: state file format version 2; this program reads version 1");
    BAD("momento-subscriber-state 18446744073709551616\n", -EBADMSG,
        "t:1:26: the format version is over 18446744073709551615");
    BAD("momento-subscriber-state 01\nend 0 00000000\n", -EBADMSG,
        "t:1:26: the format version has a leading zero");
    BAD("momento-subscriber-state \n", -EBADMSG,
        "t:1:26: expected the format version (a decimal number), found the end of the line");
    BAD("momento-subscriber-state 1 \n", -EBADMSG,
        "t:1:27: expected the end of the line, found a space");
    BAD("momento-subscriber-state 1\r\n", -EBADMSG,
        "t:1:27: expected the end of the line, found byte 0x0d");

    static const char png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10";
    mo_statefile *sf;
    TEST_EQ_INT(dec(png, sizeof png - 1, &sf), -EBADMSG);
    TEST_EQ_STR(err, "t: not a momento-subscriber state file (it begins "
                     "\"\\x89PNG\\x0d\\x0a\\x1a\\x0a\\x00\\x00\\x00\\x0dIHDR\"...)");
    BAD("state:\n  directory: /var/lib/x\n", -EBADMSG,
        "t: not a momento-subscriber state file (it begins \"state:\\x0a  directo\"...)");
    BAD("{\"version\": 1}", -EBADMSG, "not a momento-subscriber state file");
    BAD("momento-subscriber-statefile 1\n", -EBADMSG, "not a momento-subscriber state file");
    BAD("\n", -EBADMSG, "not a momento-subscriber state file");
    TEST_EQ_INT(dec("", 0, &sf), -EBADMSG);
    TEST_EQ_STR(err, "t: empty file");
    static const char zeros[64];
    TEST_EQ_INT(dec(zeros, sizeof zeros, &sf), -EBADMSG);
    TEST_CONTAINS(err, "not a momento-subscriber state file");
}

#define H "momento-subscriber-state 1\n"

/* Each fault, with its line and column. */
static void test_syntax(void)
{
    BAD_SEALED(H "sub \"a\" \"b\" 1 x\n", -EBADMSG,
               "t:2:15: expected the sequence number (a decimal number), found 'x'");
    BAD_SEALED(H "sub \"a\" \"b\" 1\n", -EBADMSG, "t:2:14: expected a space, found the end");
    BAD_SEALED(H "sub \"a\" \"b\"  1 2\n", -EBADMSG, "t:2:13: expected the page");
    BAD_SEALED(H "sub \"a\" \"b\" 1 2 3\n", -EBADMSG, "t:2:16: expected the end of the line");
    BAD_SEALED(H "sub \"a\" \"b\" -1 2\n", -EBADMSG, "t:2:13: expected the page (a decimal");
    BAD_SEALED(H "sub \"a\" \"b\" 18446744073709551616 2\n", -EBADMSG,
               "t:2:13: the page is over 18446744073709551615");
    BAD_SEALED(H "sub \"a\" \"b\" 1 007\n", -EBADMSG, "t:2:15: the sequence number has a leading");
    BAD_SEALED(H "sub a \"b\" 1 2\n", -EBADMSG,
               "t:2:5: expected the cache name in double quotes, found 'a'");
    BAD_SEALED(H "sub \"a\" b 1 2\n", -EBADMSG, "t:2:9: expected the topic name in double quotes");
    BAD_SEALED(H "sub \"a\" \"b 1 2\n", -EBADMSG, "t:2:9: the topic name has no closing quote");
    BAD_SEALED(H "sub \"a\\q\" \"b\" 1 2\n", -EBADMSG,
               "t:2:7: bad escape in the cache name (\\\", \\\\ or \\xHH)");
    BAD_SEALED(H "sub \"a\\x4\" \"b\" 1 2\n", -EBADMSG, "t:2:7: bad escape in the cache name");
    BAD_SEALED(H "sub \"a\" \"b\\x00\" 1 2\n", -EBADMSG, "t:2:11: NUL byte (\\x00) in the topic");
    BAD_SEALED(H "sub \"a\xc3\xa9\" \"b\" 1 2\n", -EBADMSG,
               "t:2:7: byte 0xc3 in the cache name (written \\xc3)");
    BAD_SEALED(H "sub \"a\tb\" \"b\" 1 2\n", -EBADMSG, "t:2:7: byte 0x09 in the cache name");
    BAD_SEALED(H "sub \"a\" \"b\" 1 2\r\n", -EBADMSG, "t:2:16: expected the end of the line");
    BAD_SEALED(H "# a comment\n", -EBADMSG, "t:2:1: expected a \"sub\" or \"end\" line");
    BAD_SEALED(H "\n", -EBADMSG, "t:2:1: expected a \"sub\" or \"end\" line");
    BAD_SEALED(H "SUB \"a\" \"b\" 1 2\n", -EBADMSG, "t:2:1: expected a \"sub\" or \"end\" line");
    BAD(H "end 0 6d4923e6", -EBADMSG, "t:2:15: the file ends in the middle of a line");
    BAD(H "end 0 6D4923E6\n", -EBADMSG, "t:2:7: expected a checksum of 8 lowercase hex digits");
    BAD(H "end 0 6d4923e\n", -EBADMSG, "t:2:7: expected a checksum of 8 lowercase hex digits");
    BAD(H "end 0 6d4923e60\n", -EBADMSG, "t:2:15: expected the end of the line, found '0'");
    BAD(H "end 0  6d4923e6\n", -EBADMSG, "t:2:7: expected a checksum");
    BAD(H "end 0\n", -EBADMSG, "t:2:6: expected a space, found the end of the line");
    BAD(H "end 0 6d4923e6\n\n", -EBADMSG, "t:3:1: data after the end line");
    BAD(H "end 0 6d4923e6\nend 0 6d4923e6\n", -EBADMSG, "t:3:1: data after the end line");

    /* escapes that the encoder does not write are still read */
    char *s = seal(H "sub \"\\x4a\\x4A\\\"\" \"\\\\\" 0 0\n", -1);
    mo_statefile *sf;
    TEST_EQ_INT(dec(s, strlen(s), &sf), 0);
    TEST_CHECK(mo_statefile_find(sf, "JJ\"", "\\") != NULL);
    mo_statefile_free(sf);
    free(s);
    /* empty names are data like any other */
    s = seal(H "sub \"\" \"\" 0 0\n", -1);
    TEST_EQ_INT(dec(s, strlen(s), &sf), 0);
    TEST_CHECK(mo_statefile_find(sf, "", "") != NULL);
    mo_statefile_free(sf);
    free(s);
}

static void test_counts_and_duplicates(void)
{
    /* the end line's count against the lines present */
    char *s = seal(H "sub \"a\" \"b\" 1 2\n", 2);
    BAD(s, -EBADMSG, "t:3:5: the end line counts 2 entries, the file has 1");
    free(s);
    s = seal(H "sub \"a\" \"b\" 1 2\n", 0);
    BAD(s, -EBADMSG, "t:3:5: the end line counts 0 entries, the file has 1");
    free(s);
    BAD(H "end 18446744073709551615 6d4923e6\n", -EBADMSG,
        "t:2:5: the end line counts 18446744073709551615 entries, the file has 0");
    BAD(H "end 99999999999999999999999 6d4923e6\n", -EBADMSG,
        "t:2:5: the entry count is over 18446744073709551615");

    /* one entry per (cache, topic) */
    BAD_SEALED(H "sub \"a\" \"b\" 1 2\nsub \"a\" \"c\" 1 2\nsub \"a\" \"b\" 3 4\n", -EBADMSG,
               "t:4:5: a second entry for cache \"a\" topic \"b\" (first on line 2)");
    BAD_SEALED(H "sub \"x\\x0a\" \"b\" 1 2\nsub \"x\\x0A\" \"b\" 1 2\n", -EBADMSG,
               "t:3:5: a second entry for cache \"x\\x0a\" topic \"b\" (first on line 2)");

    /* long names are cut in the message */
    char *body;
    char long_name[301];
    memset(long_name, 'L', 300);
    long_name[300] = '\0';
    if (asprintf(&body, H "sub \"%s\" \"%s\" 1 2\nsub \"%s\" \"%s\" 1 2\n", long_name, long_name,
                 long_name, long_name) < 0)
        abort();
    BAD_SEALED(body, -EBADMSG, "t:3:5: a second entry for cache \"LLLLLLLL");
    TEST_CONTAINS(err, "LLL...\" topic \"LLL");
    TEST_CONTAINS(err, "LLL...\" (first on line 2)");
    free(body);

    /* more entries than the cap: refused once the cap is passed, whatever the end line says */
    size_t n = MO_STATEFILE_ENTRIES_MAX + 1, cap = 40 + n * 24;
    char *big = malloc(cap), *p = big;
    p += sprintf(p, H);
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "sub \"c\" \"%zu\" 1 2\n", i);
    p += sprintf(p, "end %zu 00000000\n", n);
    mo_statefile *sf;
    TEST_EQ_INT(dec(big, (size_t)(p - big), &sf), -EFBIG);
    char want[64];
    snprintf(want, sizeof want, "t:%zu:1: more than %u entries", n + 1, MO_STATEFILE_ENTRIES_MAX);
    TEST_EQ_STR(err, want);
    /* exactly the cap is fine */
    p = big + sprintf(big, H);
    for (size_t i = 0; i < n - 1; i++)
        p += sprintf(p, "sub \"c\" \"%zu\" 1 2\n", i);
    *p = '\0';
    s = seal(big, -1);
    TEST_EQ_INT(dec(s, strlen(s), &sf), 0);
    TEST_EQ_INT(mo_statefile_count(sf), MO_STATEFILE_ENTRIES_MAX);
    TEST_CHECK(mo_statefile_find(sf, "c", "65535") != NULL);
    mo_statefile_free(sf);
    free(s);
    free(big);

    /* a file over the size cap is refused before it is read */
    size_t huge = MO_STATEFILE_SIZE_MAX + 1;
    char *h = calloc(1, huge);
    memcpy(h, H, strlen(H));
    TEST_EQ_INT(dec(h, huge, &sf), -EFBIG);
    TEST_CONTAINS(err, "t: 16777217 bytes, more than a state file may have (16777216)");
    free(h);

    /* a name over the cap */
    char *name = malloc(MO_STATEFILE_NAME_MAX + 2);
    memset(name, 'n', MO_STATEFILE_NAME_MAX + 1);
    name[MO_STATEFILE_NAME_MAX + 1] = '\0';
    if (asprintf(&body, H "sub \"%s\" \"t\" 1 2\n", name) < 0)
        abort();
    BAD_SEALED(body, -EBADMSG, "t:2:5: the cache name is over 4096 bytes");
    free(body);
    name[MO_STATEFILE_NAME_MAX] = '\0'; /* exactly the cap is fine */
    if (asprintf(&body, H "sub \"%s\" \"t\" 1 2\n", name) < 0)
        abort();
    s = seal(body, -1);
    TEST_EQ_INT(dec(s, strlen(s), &sf), 0);
    mo_statefile_free(sf);
    free(s);
    free(body);
    free(name);
}

/* The encoder refuses what the decoder would refuse. */
static void test_encode_refuses(void)
{
    char *buf = (char *)"untouched";
    size_t len = 12345;
    struct mo_statefile_entry dup[] = {{"a", "b", 1, 2}, {"a", "c", 1, 2}, {"a", "b", 3, 4}};
    TEST_EQ_INT(mo_statefile_encode(dup, 3, &buf, &len, err, sizeof err), -EINVAL);
    TEST_EQ_STR(err, "two entries for cache \"a\" topic \"b\"");
    struct mo_statefile_entry null[] = {{"a", NULL, 1, 2}};
    TEST_EQ_INT(mo_statefile_encode(null, 1, &buf, &len, err, sizeof err), -EINVAL);
    TEST_EQ_STR(err, "entry 1 has no topic name");

    char *name = malloc(MO_STATEFILE_NAME_MAX + 2);
    memset(name, 0xff, MO_STATEFILE_NAME_MAX + 1);
    name[MO_STATEFILE_NAME_MAX + 1] = '\0';
    struct mo_statefile_entry longname[] = {{"a", "b", 1, 2}, {"a", name, 1, 2}};
    TEST_EQ_INT(mo_statefile_encode(longname, 2, &buf, &len, err, sizeof err), -ENAMETOOLONG);
    TEST_EQ_STR(err, "entry 2: topic name of 4097 bytes, at most 4096");

    /* 4096 bytes of 0xff are 16 KiB escaped: 1100 such entries pass the size cap */
    name[MO_STATEFILE_NAME_MAX] = '\0';
    enum { N = 1100 };
    struct mo_statefile_entry *v = calloc(N, sizeof *v);
    char(*topics)[8] = calloc(N, sizeof *topics);
    for (size_t i = 0; i < N; i++) {
        snprintf(topics[i], sizeof topics[i], "%zu", i);
        v[i] = (struct mo_statefile_entry){name, topics[i], 1, 2};
    }
    TEST_EQ_INT(mo_statefile_encode(v, N, &buf, &len, err, sizeof err), -EFBIG);
    TEST_EQ_STR(err, "1100 entries make a file over 16777216 bytes");
    /* 1000 of them do not, and decode again */
    TEST_EQ_INT(mo_statefile_encode(v, 1000, &buf, &len, err, sizeof err), 0);
    mo_statefile *sf;
    TEST_EQ_INT(dec(buf, len, &sf), 0);
    TEST_EQ_INT(mo_statefile_count(sf), 1000);
    mo_statefile_free(sf);
    free(buf);
    buf = (char *)"untouched";
    len = 12345;

    struct mo_statefile_entry one = {"a", "b", 1, 2};
    TEST_EQ_INT(
        mo_statefile_encode(&one, MO_STATEFILE_ENTRIES_MAX + 1, &buf, &len, err, sizeof err),
        -EFBIG);
    TEST_EQ_STR(err, "65537 entries, at most 65536");
    TEST_EQ_STR(buf, "untouched");
    TEST_EQ_INT(len, 12345);
    free(topics);
    free(v);
    free(name);
}

/* ---- the file on disk ---------------------------------------------------- */

static char tmpdir[64];

static char *path_in(const char *dir, const char *file)
{
    char *p;
    if (asprintf(&p, "%s/%s", dir, file) < 0)
        abort();
    return p;
}

/* The whole content of a file, or NULL. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(1 << 20);
    *len = fread(buf, 1, 1 << 20, f);
    fclose(f);
    return buf;
}

static void spit(const char *path, const char *s, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(s, 1, len, f) != len || fclose(f) != 0)
        abort();
}

static void spits(const char *path, const char *s) { spit(path, s, strlen(s)); }

static bool exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static const struct mo_statefile_entry first[] = {
    {"prices", "eu", 5, 100},
    {"prices", "us", 5, 200},
    {"bench", "rpc-perf", 1795403877, UINT64_MAX},
};
static const struct mo_statefile_entry second[] = {
    {"prices", "eu", 6, 1}, /* "us" is gone: removed by a reload */
};

static void test_save_load(void)
{
    char *dir = path_in(tmpdir, "sl");
    mkdir(dir, 0755);
    char *file = path_in(dir, MO_STATE_FILE), *tmp = path_in(dir, MO_STATE_TMP_FILE);
    mo_statefile *sf = UNTOUCHED;

    TEST_EQ_INT(mo_state_load(dir, &sf, err, sizeof err), -ENOENT);
    TEST_CHECK(sf == UNTOUCHED);
    TEST_CONTAINS(err, "no state file ");
    TEST_CONTAINS(err, "/sl/positions yet");

    TEST_EQ_INT(mo_state_save(dir, first, 3, err, sizeof err), 0);
    TEST_CHECK(!exists(tmp));
    size_t len, elen;
    char *disk = slurp(file, &len), *enc;
    TEST_EQ_INT(mo_statefile_encode(first, 3, &enc, &elen, NULL, 0), 0);
    TEST_CHECK(disk && len == elen && memcmp(disk, enc, len) == 0);
    free(disk);
    free(enc);
    sf = NULL;
    TEST_EQ_INT(mo_state_load(dir, &sf, err, sizeof err), 0);
    TEST_EQ_INT(mo_statefile_count(sf), 3);
    const struct mo_statefile_entry *e = mo_statefile_find(sf, "bench", "rpc-perf");
    TEST_CHECK(e && e->page == 1795403877 && e->last == UINT64_MAX);
    mo_statefile_free(sf);

    /* the next save holds exactly the set passed: "us" disappears */
    TEST_EQ_INT(mo_state_save(dir, second, 1, err, sizeof err), 0);
    sf = NULL;
    TEST_EQ_INT(mo_state_load(dir, &sf, err, sizeof err), 0);
    TEST_EQ_INT(mo_statefile_count(sf), 1);
    TEST_CHECK(mo_statefile_find(sf, "prices", "us") == NULL);
    e = mo_statefile_find(sf, "prices", "eu");
    TEST_CHECK(e && e->page == 6 && e->last == 1);
    mo_statefile_free(sf);

    /* a damaged file: the detail starts with its path and says where */
    spits(file, H "sub \"a\" \"b\" 1 x\nend 1 00000000\n");
    sf = UNTOUCHED;
    TEST_EQ_INT(mo_state_load(dir, &sf, err, sizeof err), -EBADMSG);
    TEST_CHECK(sf == UNTOUCHED);
    TEST_CHECK(strncmp(err, file, strlen(file)) == 0);
    TEST_CONTAINS(err, "/sl/positions:2:15: expected the sequence number");
    /* a truncated one */
    spits(file, H "sub \"a\" \"b\" 1 2\nend 1 ");
    TEST_EQ_INT(mo_state_load(dir, &sf, err, sizeof err), -EBADMSG);
    TEST_CONTAINS(err, "/sl/positions:3:7: the file ends in the middle of a line (truncated)");
    /* a foreign one */
    spits(file, "\x89PNG\r\n\x1a\n");
    TEST_EQ_INT(mo_state_load(dir, &sf, err, sizeof err), -EBADMSG);
    TEST_CONTAINS(err, "/sl/positions: not a momento-subscriber state file");
    /* an empty one */
    spits(file, "");
    TEST_EQ_INT(mo_state_load(dir, &sf, err, sizeof err), -EBADMSG);
    TEST_CONTAINS(err, "/sl/positions: empty file");
    /* saving over a damaged file is how the daemon recovers */
    TEST_EQ_INT(mo_state_save(dir, first, 3, err, sizeof err), 0);
    sf = NULL;
    TEST_EQ_INT(mo_state_load(dir, &sf, err, sizeof err), 0);
    TEST_EQ_INT(mo_statefile_count(sf), 3);
    mo_statefile_free(sf);

    /* over the size cap (sparse): refused from its size, not read */
    sf = UNTOUCHED;
    int fd = open(file, O_WRONLY | O_TRUNC);
    TEST_EQ_INT(ftruncate(fd, (off_t)MO_STATEFILE_SIZE_MAX + 1), 0);
    close(fd);
    TEST_EQ_INT(mo_state_load(dir, &sf, err, sizeof err), -EFBIG);
    TEST_CONTAINS(err, "/sl/positions: 16777217 bytes, more than a state file may have");
    unlink(file);

    /* not a regular file: a FIFO must not hang the load, a directory is named */
    TEST_EQ_INT(mkfifo(file, 0600), 0);
    TEST_EQ_INT(mo_state_load(dir, &sf, err, sizeof err), -EINVAL);
    TEST_CONTAINS(err, "/sl/positions is not a regular file");
    unlink(file);
    TEST_EQ_INT(mkdir(file, 0755), 0);
    TEST_EQ_INT(mo_state_load(dir, &sf, err, sizeof err), -EISDIR);
    TEST_CONTAINS(err, "/sl/positions is a directory, not a state file");
    rmdir(file);
    TEST_CHECK(sf == UNTOUCHED);

    free(tmp);
    free(file);
    free(dir);
}

/* A positions.tmp left by a crash (any content, any size) is never read and is
 * replaced by the next save. */
static void test_leftover_tmp(void)
{
    char *dir = path_in(tmpdir, "left");
    mkdir(dir, 0755);
    char *file = path_in(dir, MO_STATE_FILE), *tmp = path_in(dir, MO_STATE_TMP_FILE);
    mo_statefile *sf;

    /* a crash before the first rename: only the temporary file */
    spits(tmp, H "sub \"a\" \"b\" 1 2\n");
    TEST_EQ_INT(mo_state_load(dir, &sf, err, sizeof err), -ENOENT);

    /* a crash mid-write after an earlier save: the old file wins */
    TEST_EQ_INT(mo_state_save(dir, first, 3, err, sizeof err), 0);
    char junk[4000];
    memset(junk, 'j', sizeof junk); /* longer than the next save: O_TRUNC matters */
    spit(tmp, junk, sizeof junk);
    sf = NULL;
    TEST_EQ_INT(mo_state_load(dir, &sf, err, sizeof err), 0);
    TEST_EQ_INT(mo_statefile_count(sf), 3);
    mo_statefile_free(sf);

    TEST_EQ_INT(mo_state_save(dir, second, 1, err, sizeof err), 0);
    TEST_CHECK(!exists(tmp));
    sf = NULL;
    TEST_EQ_INT(mo_state_load(dir, &sf, err, sizeof err), 0);
    TEST_EQ_INT(mo_statefile_count(sf), 1);
    mo_statefile_free(sf);
    free(tmp);
    free(file);
    free(dir);
}

/* When a save fails, the old file is intact and nothing is left behind. Tests
 * run as root, for whom permissions do not stop a write, so the failures are
 * made otherwise: a write past RLIMIT_FSIZE (EFBIG, part way through the
 * data), a directory where the temporary file goes (EISDIR), a symlink there
 * (ELOOP: never followed), a directory where the file goes (the rename fails),
 * a state "directory" that is a regular file (ENOTDIR) or missing (ENOENT). */
static void test_save_fails(void)
{
    char *dir = path_in(tmpdir, "fail");
    mkdir(dir, 0755);
    char *file = path_in(dir, MO_STATE_FILE), *tmp = path_in(dir, MO_STATE_TMP_FILE);
    TEST_EQ_INT(mo_state_save(dir, first, 3, err, sizeof err), 0);
    size_t len0;
    char *before = slurp(file, &len0);
#define INTACT()                                                                                   \
    do {                                                                                           \
        size_t _len;                                                                               \
        char *_now = slurp(file, &_len);                                                           \
        TEST_CHECK(_now &&_len == len0 && memcmp(_now, before, len0) == 0);                        \
        free(_now);                                                                                \
    } while (0)

    /* a write that fails part way: RLIMIT_FSIZE below the new file's size */
    enum { N = 200 };
    struct mo_statefile_entry *v = calloc(N, sizeof *v);
    char *store = malloc(N * 128);
    make_entries(v, N, store);
    struct rlimit old, low = {.rlim_cur = 1000};
    getrlimit(RLIMIT_FSIZE, &old);
    low.rlim_max = old.rlim_max;
    void (*oldsig)(int) = signal(SIGXFSZ, SIG_IGN); /* else the signal ends the process */
    TEST_EQ_INT(setrlimit(RLIMIT_FSIZE, &low), 0);
    int r = mo_state_save(dir, v, N, err, sizeof err);
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, oldsig);
    TEST_EQ_INT(r, -EFBIG);
    TEST_CONTAINS(err, "cannot write ");
    TEST_CONTAINS(err, "/fail/positions.tmp: File too large");
    TEST_CHECK(!exists(tmp));
    INTACT();
    /* the same save succeeds once the cause is gone: nothing sticks */
    TEST_EQ_INT(mo_state_save(dir, v, N, err, sizeof err), 0);
    mo_statefile *sf;
    sf = NULL;
    TEST_EQ_INT(mo_state_load(dir, &sf, err, sizeof err), 0);
    TEST_EQ_INT(mo_statefile_count(sf), N);
    mo_statefile_free(sf);
    TEST_EQ_INT(mo_state_save(dir, first, 3, err, sizeof err), 0);
    INTACT();
    free(store);
    free(v);

    /* the disk fills up part way through the write */
    write_budget = 100;
    TEST_EQ_INT(mo_state_save(dir, second, 1, err, sizeof err), 0); /* small enough */
    write_budget = 100;
    v = calloc(N, sizeof *v);
    store = malloc(N * 128);
    make_entries(v, N, store);
    r = mo_state_save(dir, v, N, err, sizeof err);
    write_budget = -1;
    TEST_EQ_INT(r, -ENOSPC);
    TEST_CONTAINS(err, "/fail/positions.tmp: No space left on device");
    TEST_CHECK(!exists(tmp));
    free(store);
    free(v);
    TEST_EQ_INT(mo_state_save(dir, first, 3, err, sizeof err), 0);
    INTACT();

    /* the flushes: the file's before the rename, the directory's after it */
    fsync_calls = 0;
    TEST_EQ_INT(mo_state_save(dir, first, 3, err, sizeof err), 0);
    TEST_EQ_INT(fsync_calls, 2);
    /* the file's flush fails: the data may never reach the disk, so no rename */
    fsync_fail_in = 1;
    fsync_errno = EIO;
    TEST_EQ_INT(mo_state_save(dir, second, 1, err, sizeof err), -EIO);
    TEST_CONTAINS(err, "cannot sync ");
    TEST_CONTAINS(err, "/fail/positions.tmp: Input/output error");
    TEST_CHECK(!exists(tmp));
    INTACT();
    /* the directory's flush fails: the new file is in place, the error says so */
    fsync_fail_in = 2;
    TEST_EQ_INT(mo_state_save(dir, second, 1, err, sizeof err), -EIO);
    TEST_CONTAINS(err, "/fail/positions but cannot sync its directory: Input/output error");
    TEST_CHECK(!exists(tmp));
    mo_statefile *sf2;
    sf2 = NULL;
    TEST_EQ_INT(mo_state_load(dir, &sf2, err, sizeof err), 0);
    TEST_EQ_INT(mo_statefile_count(sf2), 1);
    mo_statefile_free(sf2);
    /* a file system that cannot flush a directory (EINVAL) is no error */
    fsync_fail_in = 2;
    fsync_errno = EINVAL;
    TEST_EQ_INT(mo_state_save(dir, first, 3, err, sizeof err), 0);
    TEST_EQ_INT(fsync_fail_in, 0);
    INTACT();

    /* the temporary file cannot be created */
    TEST_EQ_INT(mkdir(tmp, 0755), 0);
    TEST_EQ_INT(mo_state_save(dir, second, 1, err, sizeof err), -EISDIR);
    TEST_CONTAINS(err, "cannot create ");
    TEST_CONTAINS(err, "/fail/positions.tmp: Is a directory");
    INTACT();
    rmdir(tmp);

    /* a symlink is not followed: its target is untouched */
    char *target = path_in(tmpdir, "target");
    spits(target, "keep");
    TEST_EQ_INT(symlink(target, tmp), 0);
    TEST_EQ_INT(mo_state_save(dir, second, 1, err, sizeof err), -ELOOP);
    TEST_CONTAINS(err, "cannot create ");
    INTACT();
    size_t tl;
    char *t = slurp(target, &tl);
    TEST_CHECK(t && tl == 4 && memcmp(t, "keep", 4) == 0);
    free(t);
    unlink(tmp);
    unlink(target);
    free(target);

    /* the rename fails: the temporary file is removed */
    char *d2 = path_in(tmpdir, "fail2");
    mkdir(d2, 0755);
    char *f2 = path_in(d2, MO_STATE_FILE), *t2 = path_in(d2, MO_STATE_TMP_FILE);
    char *inner = path_in(f2, "x");
    mkdir(f2, 0755);
    mkdir(inner, 0755);
    r = mo_state_save(d2, second, 1, err, sizeof err);
    TEST_CHECK(r == -EISDIR || r == -ENOTEMPTY || r == -EEXIST);
    TEST_CONTAINS(err, "cannot rename ");
    TEST_CONTAINS(err, "/fail2/positions.tmp to positions: ");
    TEST_CHECK(!exists(t2));
    rmdir(inner);
    rmdir(f2);
    rmdir(d2);
    free(inner);
    free(t2);
    free(f2);
    free(d2);

    /* the directory is a regular file, or missing */
    char *notdir = path_in(tmpdir, "plain");
    spits(notdir, "x");
    TEST_EQ_INT(mo_state_save(notdir, second, 1, err, sizeof err), -ENOTDIR);
    TEST_CONTAINS(err, "/plain/positions.tmp: Not a directory");
    TEST_EQ_INT(mo_state_load(notdir, &sf, err, sizeof err), -ENOTDIR);
    TEST_CONTAINS(err, "cannot open ");
    unlink(notdir);
    free(notdir);
    char *missing = path_in(tmpdir, "missing/deeper");
    TEST_EQ_INT(mo_state_save(missing, second, 1, err, sizeof err), -ENOENT);
    TEST_CONTAINS(err, "/missing/deeper/positions.tmp: No such file or directory");
    TEST_EQ_INT(mo_state_load(missing, &sf, err, sizeof err), -ENOENT);
    TEST_CONTAINS(err, "no state directory ");
    TEST_CONTAINS(err, "/missing/deeper");
    free(missing);

    /* an encode error is a save error too, before anything is written */
    struct mo_statefile_entry dup[] = {{"a", "b", 1, 2}, {"a", "b", 3, 4}};
    TEST_EQ_INT(mo_state_save(dir, dup, 2, err, sizeof err), -EINVAL);
    TEST_EQ_STR(err, "two entries for cache \"a\" topic \"b\"");
    TEST_CHECK(!exists(tmp));
    INTACT();

    /* a NULL err is allowed */
    char *gone = path_in(tmpdir, "gone");
    TEST_EQ_INT(mo_state_save(gone, second, 1, NULL, 0), -ENOENT);
    TEST_EQ_INT(mo_state_load(gone, &sf, NULL, 0), -ENOENT);
    free(gone);
    free(before);
    unlink(file);
    rmdir(dir);
    free(tmp);
    free(file);
    free(dir);
#undef INTACT
}

/* ---- where, and when ------------------------------------------------------ */

static void choose(const char *conf, const char *env, const char *want,
                   enum mo_state_dir_source want_src)
{
    char *dir = (char *)"untouched";
    enum mo_state_dir_source src = (enum mo_state_dir_source) - 1;
    TEST_EQ_INT(mo_state_dir_choose(conf, env, &dir, &src), 0);
    if (want)
        TEST_EQ_STR(dir, want);
    else
        TEST_CHECK(dir == NULL);
    TEST_EQ_INT(src, want_src);
    free(dir);
}

static void test_dir_choice(void)
{
    choose(NULL, NULL, NULL, MO_STATE_DIR_NONE);
    choose("", NULL, NULL, MO_STATE_DIR_NONE);
    choose(NULL, "", NULL, MO_STATE_DIR_NONE);
    choose(NULL, ":::", NULL, MO_STATE_DIR_NONE);
    choose("/etc/x", NULL, "/etc/x", MO_STATE_DIR_CONFIG);
    choose("/etc/x", "/var/lib/a", "/etc/x", MO_STATE_DIR_CONFIG); /* the config wins */
    choose("", "/var/lib/a", "/var/lib/a", MO_STATE_DIR_ENV);
    choose(NULL, "/var/lib/a", "/var/lib/a", MO_STATE_DIR_ENV);
    choose(NULL, "/var/lib/a:/var/lib/b", "/var/lib/a", MO_STATE_DIR_ENV);
    choose(NULL, ":/var/lib/b:/var/lib/c", "/var/lib/b", MO_STATE_DIR_ENV);
    choose(NULL, "/var/lib/a:", "/var/lib/a", MO_STATE_DIR_ENV);
    TEST_EQ_STR(mo_state_dir_source_name(MO_STATE_DIR_NONE), "none");
    TEST_EQ_STR(mo_state_dir_source_name(MO_STATE_DIR_CONFIG), "state.directory");
    TEST_EQ_STR(mo_state_dir_source_name(MO_STATE_DIR_ENV), "$STATE_DIRECTORY");
}

#define SEC 1000000ULL
#define MS 1000ULL

static void test_pacer(void)
{
    struct mo_state_pacer p;
    mo_state_pacer_init(&p, MO_STATE_SAVE_INTERVAL_US);
    TEST_EQ_INT(MO_STATE_SAVE_INTERVAL_US, SEC);
    /* nothing changed: never due */
    TEST_CHECK(!mo_state_pacer_due(&p, 0));
    TEST_CHECK(!mo_state_pacer_due(&p, 1000 * SEC));
    TEST_CHECK(mo_state_pacer_due_at(&p) == UINT64_MAX);

    /* a first change is saved at once */
    uint64_t t = 50 * SEC;
    mo_state_pacer_changed(&p);
    TEST_CHECK(mo_state_pacer_due(&p, t));
    TEST_CHECK(mo_state_pacer_due_at(&p) <= t);
    TEST_CHECK(!mo_state_pacer_saved(&p, t, 0)); /* a success after nothing: not news */
    TEST_CHECK(!p.dirty);
    TEST_CHECK(!mo_state_pacer_due(&p, t + 10 * SEC));

    /* a change 200 ms later waits for the second to pass */
    mo_state_pacer_changed(&p);
    TEST_CHECK(!mo_state_pacer_due(&p, t + 200 * MS));
    TEST_CHECK(!mo_state_pacer_due(&p, t + SEC - 1));
    TEST_CHECK(mo_state_pacer_due(&p, t + SEC));
    TEST_CHECK(mo_state_pacer_due_at(&p) == t + SEC);

    /* failures: reported once, retried every interval, recovery reported once */
    TEST_CHECK(mo_state_pacer_saved(&p, t + SEC, -EACCES));
    TEST_CHECK(p.dirty && p.failing);
    TEST_CHECK(!mo_state_pacer_due(&p, t + 2 * SEC - 1));
    TEST_CHECK(mo_state_pacer_due(&p, t + 2 * SEC));
    TEST_CHECK(!mo_state_pacer_saved(&p, t + 2 * SEC, -EACCES));
    TEST_CHECK(mo_state_pacer_due(&p, t + 3 * SEC)); /* still retried, even with no change */
    TEST_CHECK(mo_state_pacer_saved(&p, t + 3 * SEC, 0));
    TEST_CHECK(!p.dirty && !p.failing);
    TEST_CHECK(!mo_state_pacer_saved(&p, t + 5 * SEC, 0));

    /* a quiet spell, then a change: saved at once again */
    mo_state_pacer_changed(&p);
    TEST_CHECK(mo_state_pacer_due(&p, t + 9 * SEC));

    /* no overflow at the end of time */
    mo_state_pacer_saved(&p, UINT64_MAX - 10, 0);
    mo_state_pacer_changed(&p);
    TEST_CHECK(mo_state_pacer_due_at(&p) > UINT64_MAX - 10);
    TEST_CHECK(!mo_state_pacer_due(&p, UINT64_MAX - 9));

    /* 10 s of positions changing every 5 ms, the loop saving when due:
     * one save a second, the first at once, and one more at stop */
    mo_state_pacer_init(&p, SEC);
    unsigned saves = 0;
    uint64_t last = 0, min_gap = UINT64_MAX;
    for (uint64_t now = 1000 * SEC; now < 1010 * SEC; now += 5 * MS) {
        mo_state_pacer_changed(&p);
        if (mo_state_pacer_due(&p, now)) {
            if (saves && now - last < min_gap)
                min_gap = now - last;
            saves++;
            last = now;
            mo_state_pacer_saved(&p, now, 0);
        }
    }
    TEST_EQ_INT(saves, 10);
    TEST_EQ_INT(min_gap, SEC);
    TEST_CHECK(p.dirty); /* the changes since the last save are for the stop */
}

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    return remove(path);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/test-state.XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    test_crc();
    test_golden();
    test_round_trip();
    test_truncated();
    test_flipped();
    test_version_and_foreign();
    test_syntax();
    test_counts_and_duplicates();
    test_encode_refuses();
    test_save_load();
    test_leftover_tmp();
    test_save_fails();
    test_dir_choice();
    test_pacer();
    TEST_EQ_INT(nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
    return test_result("test-state");
}
