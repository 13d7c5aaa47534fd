/* Unit tests for the connection pool: streams per connection, reuse of freed
 * room, a new target retiring the open connections. Channels connect lazily,
 * so no server is needed. */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include <grpc/grpc.h>

#include "remote/pool.h"
#include "rpc.h"
#include "test.h"

static void test_pool(void)
{
    struct mo_endpoint ep = {.target = "127.0.0.1:9", .authority = "127.0.0.1", .tls = false,
                             .overridden = true};
    mo_pool *p;
    TEST_EQ_INT(mo_pool_new(&ep, "token", &p), 0);
    struct mo_conn_opts opts = {0};
    enum { N = 2 * MO_STREAMS_PER_CONN + 1 };
    static mo_conn *c[N];
    for (int i = 0; i < N; i++)
        TEST_EQ_INT(mo_pool_acquire(p, &opts, &c[i]), 0);
    /* the first MO_STREAMS_PER_CONN share one connection, the next as many another */
    int first = 0, second = 0;
    for (int i = 0; i < N; i++) {
        first += c[i] == c[0];
        second += c[i] == c[MO_STREAMS_PER_CONN];
    }
    TEST_EQ_INT(first, MO_STREAMS_PER_CONN);
    TEST_EQ_INT(second, MO_STREAMS_PER_CONN);
    TEST_CHECK(c[0] != c[MO_STREAMS_PER_CONN]);
    TEST_CHECK(c[N - 1] != c[0] && c[N - 1] != c[MO_STREAMS_PER_CONN]);
    TEST_CHECK(mo_conn_channel(c[N - 1]) != NULL);

    /* room freed on the second connection is used before the third's */
    mo_pool_release(p, c[MO_STREAMS_PER_CONN + 5]);
    mo_conn *again;
    TEST_EQ_INT(mo_pool_acquire(p, &opts, &again), 0);
    TEST_CHECK(again == c[MO_STREAMS_PER_CONN]);
    /* ... and on the first before the second's */
    mo_pool_release(p, c[MO_STREAMS_PER_CONN + 1]);
    mo_pool_release(p, c[3]);
    TEST_EQ_INT(mo_pool_acquire(p, &opts, &again), 0);
    TEST_CHECK(again == c[0]);
    /* then the second's freed room, then the third, which had room all along */
    TEST_EQ_INT(mo_pool_acquire(p, &opts, &again), 0);
    TEST_CHECK(again == c[MO_STREAMS_PER_CONN]);
    TEST_EQ_INT(mo_pool_acquire(p, &opts, &again), 0);
    TEST_CHECK(again == c[N - 1]);
    mo_pool_free(p);
    mo_pool_free(NULL);
}

/* A new target: open connections are no longer handed out, and each closes
 * with its last stream; the new ones fill as before. */
static void test_set_target(void)
{
    struct mo_endpoint ep = {.target = "127.0.0.1:9", .authority = "127.0.0.1", .tls = false,
                             .overridden = true};
    char token[] = "old-token";
    mo_pool *p;
    TEST_EQ_INT(mo_pool_new(&ep, token, &p), 0);
    /* the pool keeps copies: the caller's may change or go */
    memset(token, 'x', sizeof token - 1);
    struct mo_conn_opts opts = {0};
    enum { N = MO_STREAMS_PER_CONN + 2 };
    static mo_conn *old[N], *nw[N];
    for (int i = 0; i < N; i++)
        TEST_EQ_INT(mo_pool_acquire(p, &opts, &old[i]), 0);
    TEST_EQ_INT(mo_pool_connections(p), 2);
    /* an empty connection is closed at once when retired */
    mo_conn *spare;
    struct mo_endpoint ep2 = ep;
    snprintf(ep2.target, sizeof ep2.target, "127.0.0.1:10");
    TEST_EQ_INT(mo_pool_set_target(p, &ep2, "new-token"), 0);
    TEST_EQ_INT(mo_pool_connections(p), 2); /* both still carry streams */
    for (int i = 0; i < N; i++)
        TEST_EQ_INT(mo_pool_acquire(p, &opts, &nw[i]), 0);
    TEST_EQ_INT(mo_pool_connections(p), 4);
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            TEST_CHECK(nw[i] != old[j]); /* never an old one */
    TEST_CHECK(nw[0] == nw[MO_STREAMS_PER_CONN - 1] && nw[0] != nw[MO_STREAMS_PER_CONN]);
    /* the old second connection goes with its last two streams */
    mo_pool_release(p, old[MO_STREAMS_PER_CONN]);
    TEST_EQ_INT(mo_pool_connections(p), 4);
    mo_pool_release(p, old[MO_STREAMS_PER_CONN + 1]);
    TEST_EQ_INT(mo_pool_connections(p), 3);
    /* room on a retired connection is not reused */
    mo_pool_release(p, old[0]);
    TEST_EQ_INT(mo_pool_acquire(p, &opts, &spare), 0);
    TEST_CHECK(spare == nw[MO_STREAMS_PER_CONN]);
    mo_pool_release(p, spare);
    for (int i = 1; i < MO_STREAMS_PER_CONN; i++)
        mo_pool_release(p, old[i]);
    TEST_EQ_INT(mo_pool_connections(p), 2);
    /* a current connection stays open when empty */
    for (int i = 0; i < N; i++)
        mo_pool_release(p, nw[i]);
    TEST_EQ_INT(mo_pool_connections(p), 2);
    /* retiring empty connections closes them at once */
    TEST_EQ_INT(mo_pool_set_target(p, &ep, "third"), 0);
    TEST_EQ_INT(mo_pool_connections(p), 0);
    TEST_EQ_INT(mo_pool_acquire(p, &opts, &spare), 0);
    TEST_EQ_INT(mo_pool_connections(p), 1);
    mo_pool_free(p); /* with a stream still counted: closes it all the same */
}

int main(void)
{
    grpc_init();
    mo_grpc_logs(false);
    test_pool();
    test_set_target();
    grpc_shutdown();
    return test_result("test-pool");
}
