/* Unit tests for the account's limits (src/daemon/remote/limits.c, pure
 * parts): the configured caches counted (the canary's subscription
 * included), a ListCaches page read into them across pages, over_limit at
 * max + 1 and never without a limit, and the encoder and decoder of
 * src/lib/control agreeing; plus the control plane's address
 * (mo_endpoint_control). */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "endpoint.h"
#include "remote/limits.h"
#include "rpc.h"
#include "test.h"

static struct mo_config *load(const char *yaml)
{
    struct mo_config *cfg = NULL;
    struct mo_config_errors errs = {0};
    int r = mo_config_load_buffer("t.yaml", yaml, strlen(yaml), &cfg, &errs);
    mo_config_errors_clear(&errs);
    TEST_EQ_INT(r, 0);
    return cfg;
}

static void page(const struct mo_cache_entry *e, size_t n, const char *next,
                 struct mo_cache_list *ret)
{
    grpc_slice s = mo_cache_list_encode(e, n, next);
    TEST_CHECK(mo_cache_list_decode(GRPC_SLICE_START_PTR(s), GRPC_SLICE_LENGTH(s), ret));
    grpc_slice_unref(s);
}

static void test_caches_and_pages(void)
{
    struct mo_config *cfg = load("momento:\n  endpoint_override: 127.0.0.1:1\n  tls: false\n"
                                 "subscriptions:\n"
                                 "  - {cache: a, topic: t1}\n  - {cache: b, topic: t1}\n"
                                 "  - {cache: a, topic: t2}\n  - {cache: a, topic: t3}\n"
                                 "canary:\n  cache: b\n");
    size_t n = 0;
    struct mo_limits_cache *c = mo_limits_caches(cfg, &n);
    TEST_EQ_INT(n, 2);
    TEST_EQ_STR(c[0].cache, "a");
    TEST_EQ_INT(c[0].configured, 3);
    TEST_EQ_STR(c[1].cache, "b");
    TEST_EQ_INT(c[1].configured, 2); /* the canary's subscription counts */

    struct mo_topic_limits two = {10, 2, 4}, three = {0, 3, 0};
    struct mo_cache_list l;
    /* first page: another cache and a; second: b without _TopicLimits */
    page((struct mo_cache_entry[]){{"zz", &three}, {"a", &two}}, 2, "2", &l);
    TEST_EQ_INT(mo_cache_list_count(&l), 2);
    TEST_EQ_STR(mo_cache_list_next(&l), "2");
    mo_limits_take(c, n, &l);
    mo_cache_list_free(&l);
    TEST_CHECK(c[0].listed && c[0].has_limits);
    TEST_EQ_INT(c[0].limits.max_publish_rate, 10);
    TEST_EQ_INT(c[0].limits.max_subscription_count, 2);
    TEST_EQ_INT(c[0].limits.max_publish_message_size_kb, 4);
    TEST_CHECK(!c[1].listed);
    page((struct mo_cache_entry[]){{"b", NULL}}, 1, NULL, &l);
    TEST_CHECK(mo_cache_list_next(&l) == NULL);
    mo_limits_take(c, n, &l);
    mo_cache_list_free(&l);
    TEST_CHECK(c[1].listed && !c[1].has_limits);

    TEST_CHECK(mo_limits_over(&c[0])); /* 3 > 2 */
    TEST_CHECK(!mo_limits_over(&c[1])); /* no limit given */
    c[0].configured = 2;
    TEST_CHECK(!mo_limits_over(&c[0])); /* exactly the limit */
    c[1].has_limits = true;
    c[1].limits = (struct mo_topic_limits){0, 0, 0};
    c[1].configured = 1000;
    TEST_CHECK(!mo_limits_over(&c[1])); /* 0: no limit */
    mo_limits_caches_free(c, n);
    mo_config_free(cfg);

    /* an empty list, and bytes that are no list */
    page(NULL, 0, NULL, &l);
    TEST_EQ_INT(mo_cache_list_count(&l), 0);
    mo_cache_list_free(&l);
    const uint8_t junk[] = {0x0a, 0x05, 0x01};
    TEST_CHECK(!mo_cache_list_decode(junk, sizeof junk, &l));

    TEST_CHECK(strstr(mo_limits_why(GRPC_STATUS_PERMISSION_DENIED), "may not use the control plane"));
    TEST_CHECK(strstr(mo_limits_why(GRPC_STATUS_UNAVAILABLE), "could not be reached"));
}

static void test_request_names(void)
{
    grpc_byte_buffer *bb = mo_cache_name_request("my-cache");
    grpc_slice s;
    TEST_CHECK(mo_bb_read(bb, &s));
    char *name = mo_control_request_name(GRPC_SLICE_START_PTR(s), GRPC_SLICE_LENGTH(s));
    TEST_EQ_STR(name, "my-cache");
    free(name);
    grpc_slice_unref(s);
    grpc_byte_buffer_destroy(bb);
    bb = mo_list_caches_request(NULL); /* the first page: no field at all */
    TEST_EQ_INT(grpc_byte_buffer_length(bb), 0);
    grpc_byte_buffer_destroy(bb);
}

static void test_control_endpoint(void)
{
    struct mo_endpoint d = {.target = "cache.cell-1.example.com:443",
                            .authority = "cache.cell-1.example.com", .tls = true};
    struct mo_endpoint c;
    TEST_EQ_INT(mo_endpoint_control(&d, &c), 0);
    TEST_EQ_STR(c.target, "control.cell-1.example.com:443");
    TEST_EQ_STR(c.authority, "control.cell-1.example.com");
    TEST_CHECK(c.tls);
    struct mo_endpoint o = {.target = "127.0.0.1:8080", .authority = "127.0.0.1", .overridden = true};
    TEST_EQ_INT(mo_endpoint_control(&o, &c), 0);
    TEST_EQ_STR(c.target, "127.0.0.1:8080");
    TEST_CHECK(!c.tls);
    struct mo_endpoint legacy = {.target = "my-host.example.com:443", .authority = "my-host.example.com"};
    TEST_EQ_INT(mo_endpoint_control(&legacy, &c), -ENOENT);
}

int main(void)
{
    test_caches_and_pages();
    test_request_names();
    test_control_endpoint();
    return test_result("test-limits");
}
