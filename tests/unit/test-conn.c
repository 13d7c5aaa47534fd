/* Unit tests for src/lib/conn.c: every way mo_conn_new can fail writes its
 * error buffer. The module is included here with its allocations routed
 * through a seam that fails the n-th one, so that out-of-memory paths run
 * without touching the production build. */
#include <config.h>

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/grpc.h>

#include "test.h"

static int alloc_fail_at = -1; /* fail the allocation with this index; -1: none */
static int alloc_count;

static bool alloc_fails(void) { return alloc_fail_at >= 0 && alloc_count++ == alloc_fail_at; }

void *test_calloc(size_t n, size_t size);
void *test_calloc(size_t n, size_t size) { return alloc_fails() ? NULL : calloc(n, size); }
char *test_strdup(const char *s);
char *test_strdup(const char *s) { return alloc_fails() ? NULL : strdup(s); }

#undef strdup
#define calloc test_calloc
#define strdup test_strdup
#include "src/lib/conn.c"
#undef calloc
#undef strdup

#define UNWRITTEN "(not written)"

static void test_out_of_memory(void)
{
    struct mo_endpoint ep = {.target = "127.0.0.1:9", .authority = "127.0.0.1", .tls = false};
    int failed = 0;
    /* fail each allocation in turn until mo_conn_new makes no more */
    for (alloc_fail_at = 0;; alloc_fail_at++) {
        alloc_count = 0;
        char err[256] = UNWRITTEN;
        mo_conn *c = NULL;
        int r = mo_conn_new(&ep, "token", NULL, &c, err, sizeof err);
        if (alloc_count <= alloc_fail_at) { /* no allocation failed: it succeeded */
            TEST_EQ_INT(r, 0);
            TEST_CHECK(c != NULL);
            mo_conn_free(c);
            break;
        }
        failed++;
        TEST_EQ_INT(r, -ENOMEM);
        TEST_CHECK(strcmp(err, UNWRITTEN) != 0);
        TEST_CONTAINS(err, "out of memory");
    }
    TEST_CHECK(failed >= 2); /* the connection and the copy of the token */
    alloc_fail_at = -1;
}

static void test_ok(void)
{
    struct mo_endpoint ep = {.target = "127.0.0.1:9", .authority = "127.0.0.1", .tls = true};
    char err[256] = UNWRITTEN;
    mo_conn *c = NULL;
    TEST_EQ_INT(mo_conn_new(&ep, NULL, &(struct mo_conn_opts){.agent = "a:b:c"}, &c, err,
                            sizeof err),
                0);
    TEST_EQ_STR(err, UNWRITTEN); /* untouched on success */
    grpc_metadata md[MO_CALL_MD_MAX];
    TEST_EQ_INT(mo_conn_metadata(c, "cache", md), 4);
    TEST_CHECK(grpc_slice_str_cmp(md[0].key, "authorization") == 0);
    TEST_CHECK(grpc_slice_str_cmp(md[0].value, "") == 0);
    TEST_CHECK(grpc_slice_str_cmp(md[1].value, "a:b:c") == 0);
    TEST_EQ_INT(mo_conn_metadata(c, NULL, md), 1); /* agent and runtime once per connection */
    mo_conn_free(c);
    mo_conn_free(NULL);
}

int main(void)
{
    grpc_init();
    test_ok();
    test_out_of_memory();
    grpc_shutdown();
    return test_result("test-conn");
}
