/* Unit tests for positions kept across restarts (src/daemon/state/positions.c),
 * with real subscriptions (created, never started: channels connect lazily,
 * so no server is needed), a real state directory and a clock of our own:
 * what is saved (only subscriptions with a position), when (at once at
 * start, then at most once a second, and not at all when nothing moved),
 * what a reload's new directory or new set of subscriptions does, the save at
 * stop, a file read back into new subscriptions, and the events: a failing
 * directory said once and its recovery once, a name too long, a bad file;
 * and a save waiting for the log's events before it, up to its limit, and
 * counted when it went ahead of them. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <grpc/grpc.h>

#include "clock.h"
#include "log/event.h"
#include "state/positions.h"
#include "rpc.h"
#include "test.h"

static char top[] = "/tmp/test-positions.XXXXXX";
static char dir[512], other[512], events_path[512];
static mo_loop *loop;
static mo_conn *conn;
static struct mo_sub_settings set = {.backoff_initial_us = 100000, .backoff_max_us = 1000000,
                                     .idle_timeout_us = 15000000, .log = {.sample_every = 1}};

static void owner_up(void *ctx, mo_sub *s) { (void)ctx, (void)s; }
static void owner_stopped(void *ctx, mo_sub *s) { (void)ctx, (void)s; }

static mo_sub *sub(const char *cache, const char *topic)
{
    struct mo_sub_owner owner = {.up = owner_up, .stopped = owner_stopped};
    struct mo_sub_config sc = {.cache = (char *)cache, .topic = (char *)topic,
                               .decoder = {.mode = MO_DECODE_TEXT}};
    mo_sub *s = NULL;
    TEST_EQ_INT(mo_sub_new(loop, conn, &set, &owner, &sc, &s), 0);
    return s;
}

/* The file's text ("" when there is none). */
static const char *file_text(const char *d)
{
    static char buf[8192];
    char path[600];
    snprintf(path, sizeof path, "%s/positions", d);
    buf[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return buf;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* Each save renames a new file into place: a new inode is a new save. */
static ino_t inode(const char *d)
{
    char path[600];
    snprintf(path, sizeof path, "%s/positions", d);
    struct stat st;
    return stat(path, &st) == 0 ? st.st_ino : 0;
}

/* How many events of this type were logged so far. */
static int count_events(const char *type)
{
    /* written by the sink's thread: wait until it is out */
    TEST_CHECK(mo_event_wait_mark(mo_event_mark(), 5000000));
    char needle[64];
    snprintf(needle, sizeof needle, "\"event\":\"%s\"", type);
    FILE *f = fopen(events_path, "r");
    if (!f)
        return -1;
    char line[8192];
    int n = 0;
    while (fgets(line, sizeof line, f))
        n += strstr(line, needle) != NULL;
    fclose(f);
    return n;
}

static void test_saves(void)
{
    mo_positions *p;
    TEST_EQ_INT(mo_positions_new(dir, "/ignored", &p), 0);
    TEST_EQ_STR(mo_positions_dir(p), dir);
    TEST_EQ_INT(mo_positions_source(p), MO_STATE_DIR_CONFIG);
    mo_positions_load(p); /* no file yet: nothing to say */
    TEST_EQ_INT(count_events("state_ignored"), 0);

    mo_sub *subs[3] = {sub("c", "a"), sub("c", "b"), sub("c", "quiet")};
    TEST_CHECK(!mo_positions_restore(p, subs[0])); /* nothing loaded */
    TEST_EQ_INT(mo_sub_set_position(subs[0], 7, 10), 0);
    TEST_EQ_INT(mo_sub_set_position(subs[1], 7, 20), 0);
    TEST_EQ_INT(mo_sub_set_position(subs[2], 7, 0), -EINVAL); /* last 0 is no position */
    uint64_t page, last;
    TEST_CHECK(!mo_sub_position(subs[2], &page, &last));
    TEST_CHECK(mo_sub_position(subs[0], &page, &last) && page == 7 && last == 10);

    /* at start: saved at once, without the one that has no position */
    uint64_t t = 1000 * MO_USEC_PER_SEC;
    mo_positions_tick(p, subs, 3, t, 5 * MO_USEC_PER_SEC);
    TEST_CONTAINS(file_text(dir), "momento-subscriber-state 1\nsub \"c\" \"a\" 7 10\nsub \"c\" \"b\" 7 20\nend 2 ");
    ino_t i0 = inode(dir);
    TEST_CHECK(i0 != 0);

    /* a move half a second later waits for the second to be over */
    TEST_EQ_INT(mo_sub_set_position(subs[0], 7, 11), 0);
    mo_positions_tick(p, subs, 3, t + MO_USEC_PER_SEC / 2, 5 * MO_USEC_PER_SEC);
    TEST_EQ_INT(inode(dir), i0);
    mo_positions_tick(p, subs, 3, t + MO_USEC_PER_SEC, 5 * MO_USEC_PER_SEC);
    TEST_CHECK(strstr(file_text(dir), "sub \"c\" \"a\" 7 11\n") != NULL);
    ino_t i1 = inode(dir);
    TEST_CHECK(i1 != i0);

    /* nothing moved: no save, however long */
    mo_positions_tick(p, subs, 3, t + 10 * MO_USEC_PER_SEC, 5 * MO_USEC_PER_SEC);
    TEST_EQ_INT(inode(dir), i1);

    /* a subscription gone (a reload): its entry goes at the next save */
    mo_positions_touch(p);
    mo_positions_tick(p, subs, 1, t + 20 * MO_USEC_PER_SEC, 5 * MO_USEC_PER_SEC);
    TEST_CONTAINS(file_text(dir), "momento-subscriber-state 1\nsub \"c\" \"a\" 7 11\nend 1 ");

    /* a new directory: the next save goes there; the old file stays */
    TEST_EQ_INT(mo_positions_set_dir(p, other, NULL), 1);
    TEST_EQ_INT(mo_positions_set_dir(p, other, NULL), 0);
    mo_positions_tick(p, subs, 2, t + 30 * MO_USEC_PER_SEC, 5 * MO_USEC_PER_SEC);
    TEST_CHECK(strstr(file_text(other), "sub \"c\" \"b\" 7 20\n") != NULL);
    TEST_CHECK(strstr(file_text(dir), "\"b\"") == NULL);

    /* the directory goes away: one error, however many retries; then back */
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", other);
    TEST_EQ_INT(system(cmd), 0);
    TEST_EQ_INT(mo_sub_set_position(subs[1], 7, 21), 0);
    for (int i = 0; i < 5; i++)
        mo_positions_tick(p, subs, 2, t + (40 + (uint64_t)i) * MO_USEC_PER_SEC, 5 * MO_USEC_PER_SEC);
    TEST_EQ_INT(count_events("state_error"), 1);
    TEST_EQ_INT(count_events("state_recovered"), 0);
    TEST_EQ_INT(mkdir(other, 0755), 0);
    mo_positions_tick(p, subs, 2, t + 50 * MO_USEC_PER_SEC, 5 * MO_USEC_PER_SEC);
    TEST_EQ_INT(count_events("state_recovered"), 1);
    TEST_CHECK(strstr(file_text(other), "sub \"c\" \"b\" 7 21\n") != NULL);

    /* at stop: saved whatever the second, and waited for */
    TEST_EQ_INT(mo_sub_set_position(subs[1], 7, 22), 0);
    TEST_CHECK(mo_positions_final(p, subs, 2, t + 50 * MO_USEC_PER_SEC + 1, 5 * MO_USEC_PER_SEC));
    TEST_CHECK(strstr(file_text(other), "sub \"c\" \"b\" 7 22\n") != NULL);
    mo_positions_free(p);

    /* read back at the next start: each subscription resumes where it was */
    TEST_EQ_INT(mo_positions_new(NULL, other, &p), 0);
    TEST_EQ_INT(mo_positions_source(p), MO_STATE_DIR_ENV);
    mo_positions_load(p);
    mo_sub *again[3] = {sub("c", "a"), sub("c", "b"), sub("c", "new")};
    TEST_CHECK(mo_positions_restore(p, again[0]));
    TEST_CHECK(mo_positions_restore(p, again[1]));
    TEST_CHECK(!mo_positions_restore(p, again[2]));
    TEST_CHECK(mo_sub_position(again[1], &page, &last) && page == 7 && last == 22);
    mo_positions_forget(p);
    TEST_CHECK(!mo_positions_restore(p, again[2]));
    mo_positions_free(p);

    /* no directory at all: nothing saved, nothing said */
    TEST_EQ_INT(mo_positions_new(NULL, NULL, &p), 0);
    TEST_CHECK(mo_positions_dir(p) == NULL);
    mo_positions_tick(p, again, 3, t, 0);
    TEST_CHECK(mo_positions_final(p, again, 3, t, 0));
    TEST_CHECK(mo_positions_name_fits(p, "c", "t"));
    mo_positions_free(p);

    for (int i = 0; i < 3; i++) {
        mo_sub_free(subs[i]);
        mo_sub_free(again[i]);
    }
}

static void test_bad_file_and_names(void)
{
    char path[600];
    snprintf(path, sizeof path, "%s/positions", dir);
    FILE *f = fopen(path, "w");
    TEST_CHECK(f != NULL);
    if (f) {
        fputs("momento-subscriber-state 1\nsub \"c\" \"a\" 7 1", f); /* cut short */
        fclose(f);
    }
    mo_positions *p;
    TEST_EQ_INT(mo_positions_new(dir, NULL, &p), 0);
    int before = count_events("state_ignored");
    mo_positions_load(p);
    TEST_EQ_INT(count_events("state_ignored"), before + 1);
    mo_sub *s = sub("c", "a");
    TEST_CHECK(!mo_positions_restore(p, s)); /* ignored as a whole */

    /* a name the file cannot hold: warned about, left out of every save */
    char *long_topic = malloc(MO_STATEFILE_NAME_MAX + 2);
    memset(long_topic, 'x', MO_STATEFILE_NAME_MAX + 1);
    long_topic[MO_STATEFILE_NAME_MAX + 1] = '\0';
    TEST_CHECK(!mo_positions_name_fits(p, "c", long_topic));
    TEST_EQ_INT(count_events("state_ignored"), before + 2);
    long_topic[MO_STATEFILE_NAME_MAX] = '\0'; /* exactly the limit fits */
    TEST_CHECK(mo_positions_name_fits(p, "c", long_topic));
    long_topic[MO_STATEFILE_NAME_MAX] = 'x';
    mo_sub *l = sub("c", long_topic);
    TEST_EQ_INT(mo_sub_set_position(s, 3, 4), 0);
    TEST_EQ_INT(mo_sub_set_position(l, 3, 5), 0);
    mo_sub *subs[2] = {s, l};
    mo_positions_tick(p, subs, 2, 0, 5 * MO_USEC_PER_SEC);
    TEST_CONTAINS(file_text(dir), "momento-subscriber-state 1\nsub \"c\" \"a\" 3 4\nend 1 ");
    TEST_EQ_INT(count_events("state_error"), 1); /* none more than test_saves said */
    mo_positions_free(p);
    mo_sub_free(s);
    mo_sub_free(l);
    free(long_topic);
}

/* Reads the pipe to its end, after a second. */
static void *drain_later(void *arg)
{
    int fd = *(int *)arg;
    char buf[65536];
    usleep(1000000);
    while (read(fd, buf, sizeof buf) > 0)
        ;
    return NULL;
}

/* The events rendered before a save are written before it: the log output
 * (a pipe nobody reads) holds the save back up to its limit, then the save
 * goes ahead anyway; once the pipe is read, the save follows the log. */
static void test_log_barrier(void)
{
    char third[600];
    snprintf(third, sizeof third, "%s/third", top);
    TEST_EQ_INT(mkdir(third, 0755), 0);
    int pfd[2];
    TEST_EQ_INT(pipe(pfd), 0);
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    dup2(pfd[1], STDOUT_FILENO);
    TEST_EQ_INT(mo_event_set_format(MO_LOG_JSON), 0);
    /* more than the pipe holds: the writer blocks */
    char reason[1024];
    memset(reason, 'r', sizeof reason - 1);
    reason[sizeof reason - 1] = '\0';
    for (int i = 0; i < 300; i++) {
        struct mo_event e;
        mo_event_init(&e, MO_EV_STATE_IGNORED, NULL, NULL);
        mo_event_str(&e, "reason", reason);
        mo_event_msg(&e, "filler %d", i);
        TEST_EQ_INT(mo_event_emit(&e), 0);
    }

    mo_positions *p;
    TEST_EQ_INT(mo_positions_new(third, NULL, &p), 0);
    mo_sub *s = sub("c", "log");
    TEST_EQ_INT(mo_sub_set_position(s, 5, 50), 0);
    /* blocked for good: the save waits half its 6 s (3 s), then is written */
    uint64_t t0 = mo_mono_us();
    mo_positions_tick(p, &s, 1, 0, 6 * MO_USEC_PER_SEC);
    uint64_t waited = mo_mono_us() - t0;
    TEST_CONTAINS(file_text(third), "sub \"c\" \"log\" 5 50\n");
    TEST_CHECK(waited >= 2900000 && waited < 6000000);
    /* that save went ahead of the log: counted once, and taken */
    TEST_EQ_INT(mo_positions_take_ahead_of_log(p), 1);
    TEST_EQ_INT(mo_positions_take_ahead_of_log(p), 0);

    /* read after a second: the save is written once the log is, well
     * before its limit (5 s of a 10 s wait) */
    TEST_EQ_INT(mo_sub_set_position(s, 5, 51), 0);
    pthread_t reader;
    pthread_create(&reader, NULL, drain_later, &pfd[0]);
    t0 = mo_mono_us();
    mo_positions_tick(p, &s, 1, 10 * MO_USEC_PER_SEC, 10 * MO_USEC_PER_SEC);
    waited = mo_mono_us() - t0;
    TEST_CONTAINS(file_text(third), "sub \"c\" \"log\" 5 51\n");
    TEST_CHECK(waited >= 900000 && waited < 4500000);
    TEST_EQ_INT(mo_positions_take_ahead_of_log(p), 0); /* it waited for the log */

    /* back to the events file */
    TEST_CHECK(mo_event_wait_mark(mo_event_mark(), 5000000));
    dup2(saved, STDOUT_FILENO);
    close(saved);
    close(pfd[1]);
    pthread_join(reader, NULL);
    close(pfd[0]);
    TEST_EQ_INT(mo_event_set_format(MO_LOG_JSON), 0);
    mo_positions_free(p);
    mo_sub_free(s);
}

int main(void)
{
    TEST_CHECK(mkdtemp(top) != NULL);
    snprintf(dir, sizeof dir, "%s/state", top);
    snprintf(other, sizeof other, "%s/other", top);
    snprintf(events_path, sizeof events_path, "%s/events", top);
    TEST_EQ_INT(mkdir(dir, 0755), 0);
    TEST_EQ_INT(mkdir(other, 0755), 0);
    /* events as JSON lines into a file the tests read */
    TEST_CHECK(freopen(events_path, "w", stdout) != NULL);
    mo_event_set_format(MO_LOG_JSON);

    grpc_init();
    mo_grpc_logs(false);
    char err[256];
    struct mo_endpoint ep = {.target = "127.0.0.1:9", .authority = "127.0.0.1", .overridden = true};
    TEST_EQ_INT(mo_loop_new(&loop), 0);
    TEST_EQ_INT(mo_conn_new(&ep, "", &(struct mo_conn_opts){0}, &conn, err, sizeof err), 0);
    test_saves();
    test_bad_file_and_names();
    test_log_barrier();
    mo_conn_free(conn);
    mo_loop_free(loop);
    grpc_shutdown();

    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", top);
    if (test_failures == 0 && system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", top);
    return test_result("test-positions");
}
