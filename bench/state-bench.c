/* state-bench - what saving resume positions costs the event loop.
 *
 *   bench/state-bench [DIRECTORY [ROUNDS]]   (default: the current directory, 30)
 *
 * For 1, 100, 1000 and 10000 subscriptions (real mo_sub objects, not started,
 * each with a position), three figures, each the median and the maximum over
 * ROUNDS:
 *   tick, no change   mo_positions_tick when nothing moved: every position
 *                     read, encoded and compared with the last save's;
 *   tick, saving      the same when positions moved: also the copy and the
 *                     hand-over to the writer thread; the write happens there;
 *   save on the loop  mo_state_save in the calling thread (write, fsync,
 *                     rename, fsync of the directory) in DIRECTORY: the stall
 *                     every message queued meanwhile would carry as latency
 *                     if the loop wrote the file itself.
 * The first two are what the loop pays once a second; the third is what the
 * writer thread keeps off it, and depends on the disk under DIRECTORY.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <grpc/grpc.h>

#include "state/positions.h"
#include "state/state.h"
#include "state/statefile.h"
#include "sub/sub.h"
#include "src/lib/clock.h"
#include "src/lib/conn.h"
#include "src/lib/loop.h"
#include "src/lib/rpc.h"

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void report(const char *what, size_t n, double *v, int rounds)
{
    qsort(v, (size_t)rounds, sizeof *v, cmp);
    printf("%-18s %6zu subs: median %9.1f us, max %9.1f us\n", what, n, v[rounds / 2], v[rounds - 1]);
}

static void owner_up(void *ctx, mo_sub *s) { (void)ctx, (void)s; }
static void owner_stopped(void *ctx, mo_sub *s) { (void)ctx, (void)s; }

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : ".";
    int rounds = argc > 2 ? atoi(argv[2]) : 30;
    if (rounds < 1)
        rounds = 1;
    char dir_a[4200], dir_b[4200];
    snprintf(dir_a, sizeof dir_a, "%s/state-bench-a", dir);
    snprintf(dir_b, sizeof dir_b, "%s/state-bench-b", dir);
    mkdir(dir_a, 0755), mkdir(dir_b, 0755);

    grpc_init();
    mo_grpc_logs(false);
    mo_loop *loop;
    mo_conn *conn;
    char err[512];
    struct mo_endpoint ep = {.target = "127.0.0.1:9", .authority = "127.0.0.1", .overridden = true};
    if (mo_loop_new(&loop) < 0 || mo_conn_new(&ep, "", &(struct mo_conn_opts){0}, &conn, err, sizeof err) < 0)
        return 1;
    struct mo_sub_settings set = {.backoff_initial_us = 100000, .backoff_max_us = 1000000,
                                  .idle_timeout_us = 15000000, .log = {.sample_every = 1}};
    struct mo_sub_owner owner = {.up = owner_up, .stopped = owner_stopped};
    double *v = calloc((size_t)rounds, sizeof *v);

    static const size_t sizes[] = {1, 100, 1000, 10000};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        size_t n = sizes[k];
        mo_sub **subs = calloc(n, sizeof *subs);
        struct mo_statefile_entry *e = calloc(n, sizeof *e);
        char cache[32], topic[64];
        for (size_t i = 0; i < n; i++) {
            snprintf(cache, sizeof cache, "prices");
            snprintf(topic, sizeof topic, "eu-%zu-instrument-quotes", i);
            struct mo_sub_config sc = {.cache = cache, .topic = topic, .decoder = {.mode = MO_DECODE_TEXT}};
            if (mo_sub_new(loop, conn, &set, &owner, &sc, &subs[i]) < 0)
                return 1;
            mo_sub_set_position(subs[i], 1795403877, 1000000 + i);
            e[i] = (struct mo_statefile_entry){.cache = mo_sub_cache(subs[i]), .topic = mo_sub_topic(subs[i]),
                                               .page = 1795403877, .last = 1000000 + i};
        }
        mo_positions *p;
        if (mo_positions_new(dir_a, NULL, &p) < 0)
            return 1;
        uint64_t t = 0;
        mo_positions_tick(p, subs, n, t, 5000000); /* the first save, waited for */

        for (int r = 0; r < rounds; r++) {
            t += 2 * MO_USEC_PER_SEC;
            double t0 = now_us();
            mo_positions_tick(p, subs, n, t, 0);
            v[r] = now_us() - t0;
        }
        report("tick, no change", n, v, rounds);

        for (int r = 0; r < rounds; r++) {
            /* another directory: what was saved no longer counts, so this
             * tick hands a save over, as after positions moved */
            mo_positions_set_dir(p, r % 2 ? dir_a : dir_b, NULL);
            t += 2 * MO_USEC_PER_SEC;
            double t0 = now_us();
            mo_positions_tick(p, subs, n, t, 0);
            v[r] = now_us() - t0;
            /* let the writer finish, so the next tick is not skipped */
            mo_positions_final(p, subs, n, t, 5000000);
        }
        report("tick, saving", n, v, rounds);

        for (int r = 0; r < rounds; r++) {
            double t0 = now_us();
            if (mo_state_save(dir_a, e, n, err, sizeof err) < 0) {
                fprintf(stderr, "%s\n", err);
                return 1;
            }
            v[r] = now_us() - t0;
        }
        report("save on the loop", n, v, rounds);

        mo_positions_free(p);
        for (size_t i = 0; i < n; i++)
            mo_sub_free(subs[i]);
        free(subs);
        free(e);
    }
    char path[4300];
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s", i ? dir_b : dir_a, MO_STATE_FILE);
        unlink(path);
        rmdir(i ? dir_b : dir_a);
    }
    free(v);
    mo_conn_free(conn);
    mo_loop_free(loop);
    grpc_shutdown();
    return 0;
}
