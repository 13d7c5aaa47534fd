/* Unit tests for momento-topics-local's ledger (src/local/ledger.c): the
 * lines, names and values as written, and a file that cannot be written. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "ledger.h"
#include "test.h"

/* A v2 key's shape (not a real key): looks like a secret (src/lib/secret.h). */
#define KEY "eyJhbGciOiJIUzI1NiJ9.eyJ0IjoiZyJ9.b2xkLWtleS1zaWduYXR1cmU"

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return strdup("");
    char *buf = calloc(1, 65536);
    size_t n = fread(buf, 1, 65535, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void text(tl_ledger *l, const char *cache, const char *topic, uint64_t seq, const char *v)
{
    tl_ledger_published(l, cache, topic, seq, false, (const uint8_t *)v, strlen(v));
}

static void test_lines(const char *dir)
{
    char path[4096], err[256];
    snprintf(path, sizeof path, "%s/ledger", dir);
    /* an old file is truncated */
    FILE *f = fopen(path, "w");
    fputs("old line\n", f);
    fclose(f);
    tl_ledger *l = NULL;
    TEST_EQ_INT(tl_ledger_open(path, &l, err, sizeof err), 0);
    text(l, "c", "t", 1, "hello");
    tl_ledger_delivered(l, "c", "t", 1, 7);
    text(l, "c", "t", 2, "{\"a\":\"b\\c\"}\n\t\x01\x7f");
    tl_ledger_dropped(l, "c", "t", 2);
    tl_ledger_published(l, "My.cache_1", "a-b", 3, true, (const uint8_t *)"\0\1\2", 3);
    text(l, "a cache", "t\"q", 4, "");
    text(l, "\xc3\xa9t\xc3\xa9", "t", 5, "caf\xc3\xa9 \xff\xc3 \xed\xa0\x80 \xf0\x9f\x98\x80");
    text(l, KEY, KEY, 6, "key " KEY " end");
    tl_ledger_rejected(l, "publish", "PERMISSION_DENIED");
    tl_ledger_rejected(l, "subscribe", "UNAVAILABLE");
    tl_ledger_free(l);
    char *got = slurp(path);
    TEST_EQ_STR(got, "published c t 1 \"hello\"\n"
                     "delivered c t 1 7\n"
                     "published c t 2 \"{\\\"a\\\":\\\"b\\\\c\\\"}\\n\\t\\u0001\\u007f\"\n"
                     "dropped c t 2\n"
                     "published My.cache_1 a-b 3 <binary 3 bytes>\n"
                     "published \"a cache\" \"t\\\"q\" 4 \"\"\n"
                     "published \"\xc3\xa9t\xc3\xa9\" t 5 \"caf\xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd "
                     "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd \xf0\x9f\x98\x80\"\n"
                     "published \"<hidden>\" \"<hidden>\" 6 \"key <hidden> end\"\n"
                     "rejected publish PERMISSION_DENIED\n"
                     "rejected subscribe UNAVAILABLE\n");
    free(got);
    unlink(path);
}

static void test_null(void)
{
    /* no --ledger: nothing happens */
    text(NULL, "c", "t", 1, "x");
    tl_ledger_delivered(NULL, "c", "t", 1, 1);
    tl_ledger_dropped(NULL, "c", "t", 1);
    tl_ledger_rejected(NULL, "publish", "UNAVAILABLE");
    tl_ledger_free(NULL);
    TEST_CHECK(true);
}

static void test_open_fails(const char *dir)
{
    char path[4096], err[256] = "";
    snprintf(path, sizeof path, "%s/no/such/dir", dir);
    tl_ledger *l = NULL;
    TEST_EQ_INT(tl_ledger_open(path, &l, err, sizeof err), -ENOENT);
    TEST_CONTAINS(err, "--ledger ");
    TEST_CONTAINS(err, "No such file or directory");
    TEST_CHECK(l == NULL);
}

/* A write that fails is said once on stderr; nothing more is written. */
static void test_write_fails(const char *dir)
{
    char errpath[4096], err[256];
    snprintf(errpath, sizeof errpath, "%s/stderr", dir);
    tl_ledger *l = NULL;
    if (tl_ledger_open("/dev/full", &l, err, sizeof err) < 0) {
        fprintf(stderr, "no /dev/full (%s): skipping the write failure\n", err);
        return;
    }
    fflush(stderr);
    int saved = dup(2);
    int fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 2);
    close(fd);
    for (int i = 0; i < 5; i++) {
        text(l, "c", "t", (uint64_t)i + 1, "x");
        tl_ledger_rejected(l, "publish", "UNAVAILABLE");
    }
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    tl_ledger_free(l);
    char *said = slurp(errpath);
    TEST_CONTAINS(said, "--ledger /dev/full: No space left on device; no more lines are written");
    TEST_EQ_INT(strchr(said, '\n') ? (long)(strchr(said, '\n') - said + 1) : -1,
                (long)strlen(said)); /* one line */
    free(said);
    unlink(errpath);
}

int main(void)
{
    char dir[] = "/tmp/test-local-ledger.XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_lines(dir);
    test_null();
    test_open_fails(dir);
    test_write_fails(dir);
    rmdir(dir);
    return test_result("test-local-ledger");
}
