/* Unit tests for the connection pool: streams per connection, reuse of freed
 * room. Channels connect lazily, so no server is needed. */
#include <config.h>

#include <grpc/grpc.h>

#include "pool.h"
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

int main(void)
{
    grpc_init();
    mo_grpc_logs(false);
    test_pool();
    grpc_shutdown();
    return test_result("test-pool");
}
