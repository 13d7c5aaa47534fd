/* rtt-floor - the floor under the canary's round trip: a bare publish-then-
 * receive loop on the project's own gRPC code, with nothing of the daemon.
 *
 *   bench/rtt-floor --target HOST:PORT [--cache C] [--topic T] [--rate R]
 *                   [--seconds S] [--size BYTES] [--deadline S]
 *   bench/rtt-floor merge       (stdin: "HISTOGRAM MIN MAX" per line)
 *
 * Like the daemon with a canary: one Subscribe stream on one gRPC channel,
 * the publishes on a second channel of their own (no retry layer, a deadline
 * per call), everything on one loop thread (loop.h). The schedule starts at
 * the stream's first server message, as the canary's does, and is open-loop:
 * message i is due at start + i/R, whether or not the earlier ones are back.
 * Each one is timed on CLOCK_MONOTONIC from the start of its publish (when
 * the loop begins to build it for gRPC) to its receipt (as soon as it comes
 * off the completion queue, before it is decoded), and also from its moment
 * in the schedule, which is how the canary times its probes: the two differ
 * by how late the loop's timer reached the moment. After S seconds (default 30) of
 * publishing it waits until every message is back, or at most --deadline
 * (default 5 s) for the rest, then prints one line:
 *
 *   rate 10/s seconds 30 size 128: sent 300 received 300 lost 0 p50_us 420
 *   p90_us 510 p99_us 870 max_us 2100 due_p50_us 1500 due_p90_us 1900
 *   due_p99_us 2400 due_max_us 3300 lag_p50_us 1300 lag_p99_us 1900
 *   lag_max_us 2200
 *
 * Percentiles come from a histogram (hist.h, within 1%, the canary's own);
 * max is exact (p* from the publish's start, due_p* from its moment);
 * lag_* is how late the loop reached a due publish (the loop's timers wait
 * in grpc_completion_queue_next, whose deadline gRPC keeps in whole
 * milliseconds). The
 * value is text, "rtt-floor N" padded with spaces to --size bytes (default
 * 128, about a canary probe's size with a short host name).
 *
 * `merge` adds up histograms as the daemon's events write them (mo_hist_encode)
 * with their exact min and max, one per line, and prints the same figures for
 * the whole: "count N p50_us .. p90_us .. p99_us .. max_us ..".
 */
#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/grpc.h>
#include <grpc/support/time.h>

#include "cleanup.h"
#include "clock.h"
#include "conn.h"
#include "endpoint.h"
#include "hist.h"
#include "loop.h"
#include "pubsub.h"
#include "rpc.h"
#include "unary.h"
#include "util.h"

#define VALUE_PREFIX "rtt-floor "

struct floor;

/* One publish in flight. */
struct pcall {
    mo_tag tag;
    struct floor *f;
    struct mo_unary u;
};

struct floor {
    mo_loop *loop;
    mo_conn *sub_conn, *pub_conn;
    const char *cache, *topic;
    double rate;
    uint64_t seconds, deadline_us;
    size_t size;

    /* the stream */
    grpc_call *sub;
    mo_tag tag_start, tag_status, tag_recv;
    int sub_pending;
    grpc_metadata md[MO_CALL_MD_MAX];
    grpc_byte_buffer *sub_req, *recv;
    grpc_metadata_array init_md, trail_md;
    grpc_status_code sub_status;
    grpc_slice sub_details;
    bool stream_up, stream_ended;

    /* the schedule */
    mo_timer tick, end;
    uint64_t start_us, n_total, next;
    uint64_t *sent_us; /* publish start per message; 0: not sent or already back */
    uint64_t *due_us;  /* its moment in the schedule */
    uint64_t sent, received, publish_errors, duplicates, unknown, lag_max_us;
    size_t in_flight;
    bool draining;
    mo_hist *rtt, *rtt_due, *lag;
    int64_t max_us, due_max_us;
    char buf[MO_MAX_PAYLOAD + 1];
};

static void finish(struct floor *f);

/* ---- publishing ---- */

static void on_publish_done(mo_tag *tag, bool ok)
{
    struct pcall *pc = container_of(tag, struct pcall, tag);
    struct floor *f = pc->f;
    if (!ok || pc->u.status != GRPC_STATUS_OK)
        f->publish_errors++;
    mo_unary_clear(&pc->u);
    free(pc);
    f->in_flight--;
    if (f->draining)
        finish(f);
}

static void publish(struct floor *f, uint64_t i)
{
    struct pcall *pc = calloc(1, sizeof *pc);
    if (!pc) {
        f->publish_errors++;
        return;
    }
    pc->f = f;
    pc->tag.fn = on_publish_done;
    mo_unary_init(&pc->u);
    int len = snprintf(f->buf, sizeof f->buf, VALUE_PREFIX "%" PRIu64, i);
    if ((size_t)len < f->size) {
        memset(f->buf + len, ' ', f->size - (size_t)len);
        len = (int)f->size;
    }
    uint64_t start = mo_mono_us();
    pc->u.req = mo_publish_request(f->cache, f->topic, f->buf, (size_t)len, false);
    gpr_timespec deadline = gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                                         gpr_time_from_micros((int64_t)f->deadline_us, GPR_TIMESPAN));
    pc->u.call = mo_conn_call(f->pub_conn, mo_loop_cq(f->loop), MO_METHOD_PUBLISH, deadline);
    if (!pc->u.req || !pc->u.call || mo_unary_start(&pc->u, f->pub_conn, f->cache, &pc->tag) != GRPC_CALL_OK) {
        mo_warn("cannot start a Publish call");
        exit(1);
    }
    f->in_flight++;
    f->sent_us[i] = start;
    f->sent++;
}

/* ---- the schedule ---- */

static uint64_t due_of(const struct floor *f, uint64_t i)
{
    return f->start_us + (uint64_t)((double)i * 1e6 / f->rate);
}

static void on_tick(mo_timer *t)
{
    struct floor *f = container_of(t, struct floor, tick);
    uint64_t now = mo_mono_us();
    while (f->next < f->n_total && due_of(f, f->next) <= now) {
        if (now - due_of(f, f->next) > f->lag_max_us)
            f->lag_max_us = now - due_of(f, f->next);
        mo_hist_record(f->lag, (int64_t)(now - due_of(f, f->next)));
        f->due_us[f->next] = due_of(f, f->next);
        publish(f, f->next++);
        now = mo_mono_us();
    }
    if (f->next < f->n_total)
        mo_timer_start_at(f->loop, &f->tick, due_of(f, f->next));
    else
        mo_timer_start(f->loop, &f->end, f->deadline_us);
}

static void on_end(mo_timer *t)
{
    struct floor *f = container_of(t, struct floor, end);
    f->draining = true;
    finish(f);
}

/* Once every message is back or past its wait, and every publish answered:
 * the stream is cancelled and the loop ends when its batches are back. */
static void finish(struct floor *f)
{
    if (f->in_flight > 0)
        return;
    if (!f->stream_ended) {
        f->stream_ended = true;
        grpc_call_cancel(f->sub, NULL);
    }
    if (f->sub_pending == 0)
        mo_loop_quit(f->loop);
}

/* ---- the stream ---- */

static void sub_recv(struct floor *f)
{
    grpc_op op = mo_op(GRPC_OP_RECV_MESSAGE);
    op.data.recv_message.recv_message = &f->recv;
    if (grpc_call_start_batch(f->sub, &op, 1, &f->tag_recv, NULL) == GRPC_CALL_OK)
        f->sub_pending++;
}

static void received(struct floor *f, const struct mo_item *it, uint64_t now)
{
    size_t plen = strlen(VALUE_PREFIX);
    if (!it->value || it->value_len <= plen || it->value_len > MO_MAX_PAYLOAD ||
        memcmp(it->value, VALUE_PREFIX, plen) != 0) {
        f->unknown++;
        return;
    }
    char num[24];
    size_t n = it->value_len - plen < sizeof num - 1 ? it->value_len - plen : sizeof num - 1;
    memcpy(num, it->value + plen, n);
    num[n] = '\0';
    char *end;
    errno = 0;
    unsigned long long i = strtoull(num, &end, 10);
    if (errno || end == num || i >= f->n_total) {
        f->unknown++;
        return;
    }
    if (!f->sent_us[i]) {
        f->duplicates++;
        return;
    }
    int64_t rtt = (int64_t)(now - f->sent_us[i]), rtt_due = (int64_t)(now - f->due_us[i]);
    f->sent_us[i] = 0;
    mo_hist_record(f->rtt, rtt);
    if (rtt > f->max_us)
        f->max_us = rtt;
    mo_hist_record(f->rtt_due, rtt_due);
    if (rtt_due > f->due_max_us)
        f->due_max_us = rtt_due;
    f->received++;
    if (f->next == f->n_total && f->received == f->sent) { /* all back: no need to wait */
        mo_timer_stop(f->loop, &f->end);
        f->draining = true;
    }
}

static void on_recv(mo_tag *tag, bool ok)
{
    uint64_t now = mo_mono_us();
    struct floor *f = container_of(tag, struct floor, tag_recv);
    f->sub_pending--;
    if (!ok || !f->recv) {
        if (!f->stream_ended) {
            mo_warn("the Subscribe stream ended");
            exit(1);
        }
        finish(f);
        return;
    }
    grpc_slice data;
    struct mo_item it;
    if (mo_bb_read(f->recv, &data)) {
        if (mo_item_decode(GRPC_SLICE_START_PTR(data), GRPC_SLICE_LENGTH(data), &it) == 0 &&
            it.kind == MO_ITEM_MESSAGE)
            received(f, &it, now);
        grpc_slice_unref(data);
    }
    grpc_byte_buffer_destroy(f->recv);
    f->recv = NULL;
    if (f->draining)
        finish(f);
    if (!f->stream_up) {
        /* the first server message (the heartbeat): now a publish can arrive */
        f->stream_up = true;
        f->start_us = mo_mono_us();
        mo_timer_start_at(f->loop, &f->tick, f->start_us);
    }
    if (f->stream_ended)
        finish(f);
    else
        sub_recv(f);
}

static void on_sub_batch(mo_tag *tag, bool ok)
{
    (void)ok;
    struct floor *f = container_of(tag, struct floor, tag_start);
    f->sub_pending--;
    if (f->stream_ended)
        finish(f);
}

static void on_sub_status(mo_tag *tag, bool ok)
{
    (void)ok;
    struct floor *f = container_of(tag, struct floor, tag_status);
    f->sub_pending--;
    if (!f->stream_ended) {
        char *d = mo_slice_strdup(f->sub_details);
        mo_warn("the Subscribe stream ended: %s %s", mo_status_name(f->sub_status), d ? d : "");
        exit(1);
    }
    finish(f);
}

static void subscribe(struct floor *f)
{
    f->tag_start.fn = on_sub_batch;
    f->tag_status.fn = on_sub_status;
    f->tag_recv.fn = on_recv;
    f->sub_details = grpc_empty_slice();
    grpc_metadata_array_init(&f->init_md);
    grpc_metadata_array_init(&f->trail_md);
    f->sub = mo_conn_call(f->sub_conn, mo_loop_cq(f->loop), MO_METHOD_SUBSCRIBE, gpr_inf_future(GPR_CLOCK_REALTIME));
    f->sub_req = mo_subscribe_request(f->cache, f->topic, 0, 0);
    size_t nmd = mo_conn_metadata(f->sub_conn, f->cache, f->md);
    grpc_op a[4] = {mo_op(GRPC_OP_SEND_INITIAL_METADATA), mo_op(GRPC_OP_SEND_MESSAGE),
                    mo_op(GRPC_OP_SEND_CLOSE_FROM_CLIENT), mo_op(GRPC_OP_RECV_INITIAL_METADATA)};
    a[0].data.send_initial_metadata.count = nmd;
    a[0].data.send_initial_metadata.metadata = f->md;
    a[1].data.send_message.send_message = f->sub_req;
    a[3].data.recv_initial_metadata.recv_initial_metadata = &f->init_md;
    grpc_op b = mo_op(GRPC_OP_RECV_STATUS_ON_CLIENT);
    b.data.recv_status_on_client.trailing_metadata = &f->trail_md;
    b.data.recv_status_on_client.status = &f->sub_status;
    b.data.recv_status_on_client.status_details = &f->sub_details;
    if (!f->sub || !f->sub_req || grpc_call_start_batch(f->sub, a, 4, &f->tag_start, NULL) != GRPC_CALL_OK ||
        grpc_call_start_batch(f->sub, &b, 1, &f->tag_status, NULL) != GRPC_CALL_OK) {
        mo_warn("cannot start the Subscribe call");
        exit(1);
    }
    f->sub_pending += 2;
    sub_recv(f);
}

/* ---- output ---- */

static void print_figures(const char *prefix, const mo_hist *h, int64_t max_us)
{
    printf("%sp50_us %" PRId64 " %sp90_us %" PRId64 " %sp99_us %" PRId64 " %smax_us %" PRId64, prefix,
           mo_hist_quantile(h, 0.50), prefix, mo_hist_quantile(h, 0.90), prefix, mo_hist_quantile(h, 0.99), prefix,
           max_us);
}

/* "HISTOGRAM MIN MAX" lines from stdin, merged */
static int merge(void)
{
    mo_hist *all, *one;
    if (mo_hist_new(&all) < 0 || mo_hist_new(&one) < 0)
        return 1;
    char line[64 * 1024];
    int64_t max_us = 0;
    unsigned long n = 0;
    while (fgets(line, sizeof line, stdin)) {
        char *h = strtok(line, " \t\n"), *lo = strtok(NULL, " \t\n"), *hi = strtok(NULL, " \t\n");
        if (!h)
            continue;
        n++;
        mo_hist_reset(one);
        if (mo_hist_decode(one, h) < 0 || !lo || !hi ||
            mo_hist_set_range(one, strtoll(lo, NULL, 10), strtoll(hi, NULL, 10)) < 0) {
            mo_warn("line %lu: not \"HISTOGRAM MIN MAX\" (or they do not agree)", n);
            return 1;
        }
        mo_hist_merge(all, one);
        if (mo_hist_max(one) > max_us)
            max_us = mo_hist_max(one);
    }
    printf("count %" PRIu64 " ", mo_hist_count(all));
    print_figures("", all, max_us);
    putchar('\n');
    mo_hist_free(one);
    mo_hist_free(all);
    return 0;
}

static int usage(void)
{
    fputs("Usage: rtt-floor --target HOST:PORT [--cache C] [--topic T] [--rate R] [--seconds S]\n"
          "                 [--size BYTES] [--deadline S]\n"
          "       rtt-floor merge    (stdin: HISTOGRAM MIN MAX per line)\n",
          stderr);
    return 64;
}

int main(int argc, char **argv)
{
    mo_progname = "rtt-floor";
    if (argc == 2 && strcmp(argv[1], "merge") == 0)
        return merge();
    struct floor f = {.cache = "bench", .topic = "rtt-floor", .rate = 10, .seconds = 30,
                      .deadline_us = 5 * MO_USEC_PER_SEC, .size = 128};
    const char *target = NULL;
    static const struct option longopts[] = {
        {"target", required_argument, NULL, 'T'}, {"cache", required_argument, NULL, 'c'},
        {"topic", required_argument, NULL, 't'},  {"rate", required_argument, NULL, 'r'},
        {"seconds", required_argument, NULL, 's'}, {"size", required_argument, NULL, 'z'},
        {"deadline", required_argument, NULL, 'd'}, {NULL, 0, NULL, 0},
    };
    int o;
    while ((o = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (o) {
        case 'T': target = optarg; break;
        case 'c': f.cache = optarg; break;
        case 't': f.topic = optarg; break;
        case 'r': f.rate = strtod(optarg, NULL); break;
        case 's': f.seconds = strtoull(optarg, NULL, 10); break;
        case 'z': f.size = strtoull(optarg, NULL, 10); break;
        case 'd': f.deadline_us = strtoull(optarg, NULL, 10) * MO_USEC_PER_SEC; break;
        default: return usage();
        }
    }
    const char *colon = target ? strrchr(target, ':') : NULL;
    if (!colon || optind != argc || !(f.rate > 0 && f.rate <= 100000) || f.seconds == 0 ||
        f.size > MO_MAX_PAYLOAD)
        return usage();
    f.n_total = (uint64_t)(f.rate * (double)f.seconds + 0.5);
    f.sent_us = calloc(f.n_total ? f.n_total : 1, sizeof *f.sent_us);
    f.due_us = calloc(f.n_total ? f.n_total : 1, sizeof *f.due_us);

    struct mo_endpoint ep = {.tls = false, .overridden = true};
    snprintf(ep.target, sizeof ep.target, "%s", target);
    snprintf(ep.authority, sizeof ep.authority, "%.*s", (int)(colon - target), target);
    grpc_init();
    mo_grpc_logs(false);
    char err[512];
    if (!f.sent_us || !f.due_us || mo_hist_new(&f.rtt) < 0 || mo_hist_new(&f.rtt_due) < 0 || mo_hist_new(&f.lag) < 0 || mo_loop_new(&f.loop) < 0 ||
        mo_conn_new(&ep, "", &(struct mo_conn_opts){0}, &f.sub_conn, err, sizeof err) < 0 ||
        mo_conn_new(&ep, "", &(struct mo_conn_opts){.disable_retries = true}, &f.pub_conn, err, sizeof err) < 0) {
        mo_warn("cannot set up: %s", err);
        return 1;
    }
    mo_timer_init(&f.tick, on_tick);
    mo_timer_init(&f.end, on_end);
    subscribe(&f);
    mo_loop_run(f.loop);

    printf("rate %g/s seconds %" PRIu64 " size %zu: sent %" PRIu64 " received %" PRIu64 " lost %" PRIu64 " ",
           f.rate, f.seconds, f.size, f.sent, f.received, f.sent - f.received);
    print_figures("", f.rtt, f.max_us);
    putchar(' ');
    print_figures("due_", f.rtt_due, f.due_max_us);
    printf(" lag_p50_us %" PRId64 " lag_p99_us %" PRId64 " lag_max_us %" PRIu64, mo_hist_quantile(f.lag, 0.50),
           mo_hist_quantile(f.lag, 0.99), f.lag_max_us);
    if (f.publish_errors || f.duplicates || f.unknown)
        printf(" publish_errors %" PRIu64 " duplicates %" PRIu64 " unknown %" PRIu64, f.publish_errors,
               f.duplicates, f.unknown);
    putchar('\n');

    mo_timer_stop(f.loop, &f.tick);
    mo_timer_stop(f.loop, &f.end);
    grpc_call_unref(f.sub);
    grpc_byte_buffer_destroy(f.sub_req);
    grpc_slice_unref(f.sub_details);
    grpc_metadata_array_destroy(&f.init_md);
    grpc_metadata_array_destroy(&f.trail_md);
    mo_conn_free(f.pub_conn);
    mo_conn_free(f.sub_conn);
    mo_loop_free(f.loop);
    mo_hist_free(f.rtt);
    mo_hist_free(f.rtt_due);
    mo_hist_free(f.lag);
    free(f.sent_us);
    free(f.due_us);
    mo_grpc_shutdown_wait(2000);
    return f.sent == f.received && f.publish_errors == 0 ? 0 : 1;
}
