/* Unit tests for endpoint resolution. */
#include <config.h>

#include <errno.h>
#include <stdlib.h>

#include "endpoint.h"
#include "test.h"
#include "test-keys.h"

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
                         "host:80x", "a b:80", "my_host:80"};
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

static void test_host_valid(void)
{
    static const char *const good[] = {
        "localhost", "a", "A-1", "cache.cell-1-us-east-1-1.prod.a.momentohq.com",
        "example.com.", "xn--bcher-kva.example", "1a.example", "127.0.0.1", "10.0.0.255",
        "[::1]", "[2001:db8::8a2e:370:7334]", "[::ffff:192.0.2.1]",
        /* 63-character label, 253-character name */
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example",
    };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        TEST_CHECK(mo_host_valid(good[i], strlen(good[i])));
        if (!mo_host_valid(good[i], strlen(good[i])))
            fprintf(stderr, "  rejected %s\n", good[i]);
    }
    char longest[260];
    memset(longest, 'a', 253);
    for (int i = 63; i < 253; i += 64)
        longest[i] = '.';
    longest[253] = '\0';
    TEST_CHECK(mo_host_valid(longest, 253));
    longest[253] = '.'; /* and a final dot */
    TEST_CHECK(mo_host_valid(longest, 254));
    longest[253] = 'a';
    TEST_CHECK(!mo_host_valid(longest, 254));

    static const char *const bad[] = {
        "", ".", "..", "under_score.example", "_srv.example", "a..b", ".a", "-a.example",
        "a-.example", "a.-b", "a b", "a/b", "a:b", "h\xc3\xa9.example", "1.2.3.999",
        "1.2.3", "256.1.1.1", "12345", "[::1", "::1", "[]", "[::g]", "[1.2.3.4]", "a.example..",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example", /* 64 */
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        TEST_CHECK(!mo_host_valid(bad[i], strlen(bad[i])));
        if (mo_host_valid(bad[i], strlen(bad[i])))
            fprintf(stderr, "  accepted %s\n", bad[i]);
    }
    TEST_CHECK(!mo_host_valid("a\0b", 3));
    TEST_CHECK(mo_host_valid("localhost:80", 9)); /* only the len bytes count */

    /* HOST:PORT uses the same rule */
    TEST_CHECK(mo_hostport_valid("127.0.0.1:8080"));
    TEST_CHECK(mo_hostport_valid("[::1]:1"));
    TEST_CHECK(mo_hostport_valid("local.example.:65535"));
    TEST_CHECK(!mo_hostport_valid("under_score:80"));
    TEST_CHECK(!mo_hostport_valid("1.2.3.999:80"));
    TEST_CHECK(!mo_hostport_valid("::1:80"));
    TEST_CHECK(!mo_hostport_valid(NULL));
}

/* Key material is never a host, and a rejected one is never echoed
 * (TEST_KEY_V2's parts are valid DNS labels: only the secret rule stops it). */
static void test_key_as_host(void)
{
    static const char *const keys[] = {TEST_KEY_V2, "cache." TEST_KEY_V2, TEST_KEY_V1_INNER,
                                       TEST_KEY_BAD};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        TEST_CHECK(!mo_host_valid(keys[i], strlen(keys[i])));
        char hp[600];
        snprintf(hp, sizeof hp, "%s:443", keys[i]);
        TEST_CHECK(!mo_hostport_valid(hp));
    }

    struct mo_creds v2 = creds(MO_KEY_V2, NULL, NULL);
    struct mo_endpoint e;
    char err[512] = "";
    struct mo_endpoint_opts o = {.endpoint = TEST_KEY_V2, .tls = -1};
    unsetenv("MOMENTO_ENDPOINT");
    TEST_EQ_INT(mo_endpoint_resolve(&v2, &o, &e, err, sizeof err), -EINVAL);
    TEST_CONTAINS(err, "looks like an API key");
    TEST_NO_PIECE(err, TEST_KEY_V2);

    /* from the environment: the message names the variable, not its value */
    setenv("MOMENTO_ENDPOINT", TEST_KEY_V2, 1);
    o.endpoint = NULL;
    TEST_EQ_INT(mo_endpoint_resolve(&v2, &o, &e, err, sizeof err), -EINVAL);
    TEST_CONTAINS(err, "MOMENTO_ENDPOINT");
    TEST_NO_PIECE(err, TEST_KEY_V2);
    unsetenv("MOMENTO_ENDPOINT");

    /* the endpoint a v1 key carries, and a legacy key's cache host */
    struct mo_creds v1 = creds(MO_KEY_V1, TEST_KEY_V1_INNER, NULL);
    TEST_EQ_INT(mo_endpoint_resolve(&v1, &o, &e, err, sizeof err), -EINVAL);
    TEST_NO_PIECE(err, TEST_KEY_V1_INNER);
    struct mo_creds legacy = creds(MO_KEY_LEGACY_JWT, NULL, TEST_KEY_V1_INNER);
    TEST_EQ_INT(mo_endpoint_resolve(&legacy, &o, &e, err, sizeof err), -EINVAL);
    TEST_NO_PIECE(err, TEST_KEY_V1_INNER);

    /* an override */
    struct mo_creds none = creds(MO_KEY_NONE, NULL, NULL);
    o = (struct mo_endpoint_opts){.override = TEST_KEY_V2 ":8080", .tls = 0};
    TEST_EQ_INT(mo_endpoint_resolve(&none, &o, &e, err, sizeof err), -EINVAL);
    TEST_CONTAINS(err, "endpoint_override");
    TEST_NO_PIECE(err, TEST_KEY_V2);
    o.override = TEST_KEY_V1;
    TEST_EQ_INT(mo_endpoint_resolve(&none, &o, &e, err, sizeof err), -EINVAL);
    TEST_NO_PIECE(err, TEST_KEY_V1);
}

static void test_tls_rule(void)
{
    char err[256] = "";
    TEST_EQ_INT(mo_endpoint_check_tls(-1, NULL, err, sizeof err), 0);
    TEST_EQ_INT(mo_endpoint_check_tls(1, NULL, err, sizeof err), 0);
    TEST_EQ_INT(mo_endpoint_check_tls(0, "127.0.0.1:8080", err, sizeof err), 0);
    TEST_EQ_STR(err, "");
    TEST_EQ_INT(mo_endpoint_check_tls(0, "", err, sizeof err), -EINVAL);
    TEST_EQ_STR(err, "tls: false is only allowed together with endpoint_override (a local server "
                     "or a proxy); the Momento service needs TLS");
    TEST_EQ_INT(mo_endpoint_check_tls(0, NULL, NULL, 0), -EINVAL);
}

int main(void)
{
    test_host_valid();
    test_tls_rule();
    test_v2();
    test_v1_and_legacy();
    test_override();
    test_key_as_host();
    return test_result("test-endpoint");
}
