/* Unit tests for the gRPC side of one Subscribe call (src/daemon/sub/subcall.h),
 * with the real gRPC C core and no server: a channel to a loopback port where
 * nothing listens. The three batches start (pending 3) and each tag comes back
 * exactly once; the status says why the call ended (UNAVAILABLE, or the
 * cancel's own words); a re-arm gRPC refuses cancels the call and says so;
 * release frees everything once (valgrind and ASan run this test too), and
 * the struct is ready for the next open.
 */
#include <config.h>

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <grpc/grpc.h>

#include "clock.h"
#include "conn.h"
#include "endpoint.h"
#include "loop.h"
#include "rpc.h"
#include "sub/subcall.h"
#include "test.h"

static int back_start, back_status, back_recv;
static void on_start(mo_tag *t, bool ok) { (void)t, (void)ok, back_start++; }
static void on_status(mo_tag *t, bool ok) { (void)t, (void)ok, back_status++; }
static void on_recv(mo_tag *t, bool ok) { (void)t, (void)ok, back_recv++; }

/* Waits (at most 10 s) for tags, calling each one's function, until n are back. */
static void wait_tags(grpc_completion_queue *cq, struct mo_subcall *c, int n)
{
    gpr_timespec until = gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_seconds(10, GPR_TIMESPAN));
    for (int got = 0; got < n;) {
        grpc_event ev = grpc_completion_queue_next(cq, until, NULL);
        TEST_CHECK(ev.type == GRPC_OP_COMPLETE);
        if (ev.type != GRPC_OP_COMPLETE)
            return;
        mo_tag *tag = ev.tag;
        tag->fn(tag, ev.success);
        c->pending--;
        got++;
    }
}

/* A loopback port that takes connections and never answers: calls to it
 * wait (gRPC's handshake does not finish) until they are cancelled. */
static int silent_listener(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    TEST_CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && listen(fd, 16) == 0 &&
               getsockname(fd, (struct sockaddr *)&a, &len) == 0);
    *port = ntohs(a.sin_port);
    return fd;
}

static void reset_counts(void) { back_start = back_status = back_recv = 0; }

static void details_are(struct mo_subcall *c, const char *want)
{
    char buf[256];
    size_t n = GRPC_SLICE_LENGTH(c->details) < sizeof buf - 1 ? GRPC_SLICE_LENGTH(c->details) : sizeof buf - 1;
    memcpy(buf, GRPC_SLICE_START_PTR(c->details), n);
    buf[n] = '\0';
    TEST_CONTAINS(buf, want);
}

int main(void)
{
    grpc_init();
    mo_grpc_logs(false);
    grpc_completion_queue *cq = grpc_completion_queue_create_for_next(NULL);
    struct mo_endpoint ep = {.target = "127.0.0.1:9", .authority = "127.0.0.1", .tls = false, .overridden = true};
    struct mo_conn_opts opts = {.max_receive_bytes = 1 << 20};
    mo_conn *conn;
    char err[256];
    TEST_EQ_INT(mo_conn_new(&ep, "token", &opts, &conn, err, sizeof err), 0);

    struct mo_subcall c = {0};
    mo_subcall_init(&c);
    c.tag_start.fn = on_start;
    c.tag_status.fn = on_status;
    c.tag_recv.fn = on_recv;

    /* 1. nothing listens: the three batches start, all come back, UNAVAILABLE */
    TEST_CHECK(mo_subcall_open(&c, conn, cq, "cache", "topic", 5, 7));
    TEST_EQ_INT(c.pending, 3);
    TEST_CHECK(c.call != NULL && c.request != NULL);
    TEST_EQ_STR(c.local_failure, "");
    wait_tags(cq, &c, 3);
    TEST_EQ_INT(back_start + back_status + back_recv, 3);
    TEST_EQ_INT(back_recv, 1);
    TEST_EQ_INT(c.status, GRPC_STATUS_UNAVAILABLE);
    TEST_CHECK(c.recv == NULL); /* no message */
    mo_subcall_release(&c);
    TEST_CHECK(c.call == NULL && c.request == NULL && c.recv == NULL && c.error_string == NULL);
    TEST_EQ_INT(GRPC_SLICE_LENGTH(c.details), 0);

    /* 2. the owner cancels with a status and words (the idle watchdog): the
     * status is those words; on a server that never answers */
    int port, lfd = silent_listener(&port);
    struct mo_endpoint silent = ep;
    snprintf(silent.target, sizeof silent.target, "127.0.0.1:%d", port);
    mo_conn_free(conn);
    TEST_EQ_INT(mo_conn_new(&silent, "token", &opts, &conn, err, sizeof err), 0);
    reset_counts();
    TEST_CHECK(mo_subcall_open(&c, conn, cq, "cache", "topic", 0, 0));
    mo_subcall_cancel(&c, GRPC_STATUS_DEADLINE_EXCEEDED, "no message or heartbeat for 1000 ms");
    wait_tags(cq, &c, 3);
    TEST_EQ_INT(c.status, GRPC_STATUS_DEADLINE_EXCEEDED);
    details_are(&c, "no message or heartbeat for 1000 ms");
    mo_subcall_release(&c);

    /* 3. a plain cancel (a stop): CANCELLED */
    reset_counts();
    TEST_CHECK(mo_subcall_open(&c, conn, cq, "cache", "topic", 0, 0));
    mo_subcall_cancel(&c, GRPC_STATUS_CANCELLED, NULL);
    wait_tags(cq, &c, 3);
    TEST_EQ_INT(c.status, GRPC_STATUS_CANCELLED);
    mo_subcall_release(&c);

    /* 4. a re-arm while the receive is still pending: gRPC refuses the batch
     * (one receive at a time), the call is cancelled, local_failure says so,
     * and pending drops by one for the tag that never comes */
    reset_counts();
    TEST_CHECK(mo_subcall_open(&c, conn, cq, "cache", "topic", 0, 0));
    c.pending++; /* rearm counts the refused batch out again */
    TEST_CHECK(!mo_subcall_rearm(&c));
    TEST_EQ_INT(c.pending, 3);
    TEST_CONTAINS(c.local_failure, "could not start a call batch");
    wait_tags(cq, &c, 3);
    TEST_EQ_INT(c.status, GRPC_STATUS_CANCELLED);
    mo_subcall_release(&c);

    mo_conn_free(conn);
    close(lfd);
    grpc_completion_queue_shutdown(cq);
    while (grpc_completion_queue_next(cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type != GRPC_QUEUE_SHUTDOWN)
        ;
    grpc_completion_queue_destroy(cq);
    grpc_shutdown();
    return test_result("test-subcall");
}
