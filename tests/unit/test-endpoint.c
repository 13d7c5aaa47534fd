/* Unit tests for endpoint resolution. */
#include <config.h>

#include <errno.h>
#include <stdlib.h>

#include "endpoint.h"
#include "test.h"

static struct mo_creds creds(enum mo_key_kind k, const char *endpoint, const char *cache_host)
{
    return (struct mo_creds){.kind = k, .token = (char *)"tok", .endpoint = (char *)endpoint,
                             .cache_host = (char *)cache_host};
}

static void test_v2(void)
{
    struct mo_creds c = creds(MO_KEY_V2, NULL, NULL);
    struct mo_endpoint e;
    char err[512] = "";

    unsetenv("MOMENTO_ENDPOINT");
    struct mo_endpoint_opts o = {.endpoint = "cell-1-us-east-1-1.prod.a.momentohq.com", .tls = -1};
    TEST_EQ_INT(mo_endpoint_resolve(&c, &o, &e, err, sizeof err), 0);
    TEST_EQ_STR(e.target, "cache.cell-1-us-east-1-1.prod.a.momentohq.com:443");
    TEST_EQ_STR(e.authority, "cache.cell-1-us-east-1-1.prod.a.momentohq.com");
    TEST_CHECK(e.tls);
    TEST_CHECK(!e.overridden);

    /* no endpoint anywhere */
    o.endpoint = NULL;
    TEST_EQ_INT(mo_endpoint_resolve(&c, &o, &e, err, sizeof err), -EINVAL);
    TEST_CONTAINS(err, "MOMENTO_ENDPOINT");

    /* from the environment */
    setenv("MOMENTO_ENDPOINT", "cell-2.example.com", 1);
    TEST_EQ_INT(mo_endpoint_resolve(&c, &o, &e, err, sizeof err), 0);
    TEST_EQ_STR(e.target, "cache.cell-2.example.com:443");

    /* the config wins over the environment */
    o.endpoint = "cell-3.example.com";
    TEST_EQ_INT(mo_endpoint_resolve(&c, &o, &e, err, sizeof err), 0);
    TEST_EQ_STR(e.target, "cache.cell-3.example.com:443");

    /* a full cache host given as the base is not doubled */
    o.endpoint = "cache.cell-5.example.com";
    TEST_EQ_INT(mo_endpoint_resolve(&c, &o, &e, err, sizeof err), 0);
    TEST_EQ_STR(e.target, "cache.cell-5.example.com:443");
    unsetenv("MOMENTO_ENDPOINT");

    o.endpoint = "bad host/name";
    TEST_EQ_INT(mo_endpoint_resolve(&c, &o, &e, err, sizeof err), -EINVAL);
    TEST_CONTAINS(err, "not a valid host name");
}

static void test_v1_and_legacy(void)
{
    struct mo_endpoint e;
    char err[512] = "";
    struct mo_creds v1 = creds(MO_KEY_V1, "cell-9.example.com", NULL);
    struct mo_endpoint_opts o = {.tls = -1};
    setenv("MOMENTO_ENDPOINT", "env.example.com", 1);
    TEST_EQ_INT(mo_endpoint_resolve(&v1, &o, &e, err, sizeof err), 0);
    TEST_EQ_STR(e.target, "cache.cell-9.example.com:443"); /* the key beats the environment */
    o.endpoint = "cfg.example.com";
    TEST_EQ_INT(mo_endpoint_resolve(&v1, &o, &e, err, sizeof err), 0);
    TEST_EQ_STR(e.target, "cache.cfg.example.com:443"); /* the config beats the key */
    unsetenv("MOMENTO_ENDPOINT");

    struct mo_creds legacy = creds(MO_KEY_LEGACY_JWT, NULL, "cache.cell-7.example.com");
    o.endpoint = NULL;
    TEST_EQ_INT(mo_endpoint_resolve(&legacy, &o, &e, err, sizeof err), 0);
    TEST_EQ_STR(e.target, "cache.cell-7.example.com:443");
    TEST_EQ_STR(e.authority, "cache.cell-7.example.com");
}

static void test_override(void)
{
    struct mo_endpoint e;
    char err[512] = "";
    struct mo_creds none = creds(MO_KEY_NONE, NULL, NULL);
    struct mo_endpoint_opts o = {.override = "127.0.0.1:8080", .tls = 0};
    TEST_EQ_INT(mo_endpoint_resolve(&none, &o, &e, err, sizeof err), 0);
    TEST_EQ_STR(e.target, "127.0.0.1:8080");
    TEST_CHECK(!e.tls);
    TEST_CHECK(e.overridden);

    o = (struct mo_endpoint_opts){.override = "localhost:9443", .tls = -1};
    TEST_EQ_INT(mo_endpoint_resolve(&none, &o, &e, err, sizeof err), 0);
    TEST_CHECK(e.tls);
    TEST_EQ_STR(e.authority, "localhost");

    o = (struct mo_endpoint_opts){.override = "[::1]:8080", .tls = 0};
    TEST_EQ_INT(mo_endpoint_resolve(&none, &o, &e, err, sizeof err), 0);
    TEST_EQ_STR(e.authority, "::1");

    const char *bad[] = {"localhost", "localhost:", "localhost:0", "localhost:65536", ":80",
                         "host:80x", "a b:80"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        o = (struct mo_endpoint_opts){.override = bad[i], .tls = 0};
        TEST_EQ_INT(mo_endpoint_resolve(&none, &o, &e, err, sizeof err), -EINVAL);
        TEST_CONTAINS(err, "is not HOST:PORT");
    }

    /* plaintext without an override is refused */
    struct mo_creds v2 = creds(MO_KEY_V2, NULL, NULL);
    o = (struct mo_endpoint_opts){.endpoint = "cell.example.com", .tls = 0};
    TEST_EQ_INT(mo_endpoint_resolve(&v2, &o, &e, err, sizeof err), -EINVAL);
    TEST_CONTAINS(err, "tls: false is only allowed together with endpoint_override");

    /* no key and no override */
    o = (struct mo_endpoint_opts){.endpoint = "cell.example.com", .tls = -1};
    TEST_EQ_INT(mo_endpoint_resolve(&none, &o, &e, err, sizeof err), -EINVAL);
    TEST_CONTAINS(err, "no Momento API key found");
}

int main(void)
{
    test_v2();
    test_v1_and_legacy();
    test_override();
    return test_result("test-endpoint");
}
