/* Unit tests for the momento: settings (src/daemon/remote/remote.c): what a
 * reload changes (key, endpoint, TLS, in every combination), the names
 * reported, and resolving from key files, including one rewritten in place and
 * ones that cannot work, whose errors never carry the key. */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "remote/remote.h"
#include "test.h"

/* v2 keys: a JWT whose claims hold t == "g" ({"t":"g"} in base64url) */
#define V2(sig) "eyJhbGciOiJIUzI1NiJ9.eyJ0IjoiZyJ9." sig

static struct mo_remote remote(const char *token, const char *target, const char *authority, bool tls)
{
    struct mo_remote r = {0};
    r.creds.token = (char *)token; /* never cleared here: the tests own nothing */
    snprintf(r.ep.target, sizeof r.ep.target, "%s", target);
    snprintf(r.ep.authority, sizeof r.ep.authority, "%s", authority);
    r.ep.tls = tls;
    return r;
}

static void test_diff(void)
{
    struct mo_remote a = remote("k1", "cache.x:443", "cache.x", true);
    TEST_EQ_INT(mo_remote_diff(&a, &a), 0);
    /* every combination of the three changes */
    for (unsigned m = 0; m < 8; m++) {
        struct mo_remote b = remote(m & MO_REMOTE_KEY ? "k2" : "k1",
                                    m & MO_REMOTE_ENDPOINT ? "cache.y:443" : "cache.x:443", "cache.x",
                                    !(m & MO_REMOTE_TLS));
        TEST_EQ_INT(mo_remote_diff(&a, &b), m);
        TEST_EQ_INT(mo_remote_diff(&b, &a), m);
    }
    /* the name checked against the certificate alone is an endpoint change */
    struct mo_remote c = remote("k1", "cache.x:443", "other", true);
    TEST_EQ_INT(mo_remote_diff(&a, &c), MO_REMOTE_ENDPOINT);
    /* a key that only differs in its last byte, or in length, is another key */
    struct mo_remote d = remote("k", "cache.x:443", "cache.x", true);
    TEST_EQ_INT(mo_remote_diff(&a, &d), MO_REMOTE_KEY);
    struct mo_remote e = remote("k0", "cache.x:443", "cache.x", true);
    TEST_EQ_INT(mo_remote_diff(&a, &e), MO_REMOTE_KEY);
    /* the key's source does not count: the same key from another file is the same */
    struct mo_remote f = remote("k1", "cache.x:443", "cache.x", true);
    snprintf(f.creds.source, sizeof f.creds.source, "API key file /elsewhere");
    TEST_EQ_INT(mo_remote_diff(&a, &f), 0);
    /* no key (NULL token, a struct never resolved) against one */
    struct mo_remote g = remote(NULL, "cache.x:443", "cache.x", true);
    TEST_EQ_INT(mo_remote_diff(&a, &g), MO_REMOTE_KEY);
    TEST_EQ_INT(mo_remote_diff(&g, &g), 0);
}

static void test_names(void)
{
    char buf[64];
    TEST_EQ_STR(mo_remote_diff_names(0, buf, sizeof buf), "");
    TEST_EQ_STR(mo_remote_diff_names(MO_REMOTE_KEY, buf, sizeof buf), "key");
    TEST_EQ_STR(mo_remote_diff_names(MO_REMOTE_TLS, buf, sizeof buf), "tls");
    TEST_EQ_STR(mo_remote_diff_names(MO_REMOTE_KEY | MO_REMOTE_ENDPOINT, buf, sizeof buf), "key, endpoint");
    TEST_EQ_STR(mo_remote_diff_names(MO_REMOTE_ENDPOINT | MO_REMOTE_TLS, buf, sizeof buf), "endpoint, tls");
    TEST_EQ_STR(mo_remote_diff_names(7, buf, sizeof buf), "key, endpoint, tls");
    /* too small: cut at a whole name, still a string */
    char small[10];
    TEST_EQ_STR(mo_remote_diff_names(7, small, sizeof small), "key");
}

static char dir[] = "/tmp/test-remote.XXXXXX";

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    TEST_CHECK(f != NULL);
    if (!f)
        return;
    fputs(text, f);
    fclose(f);
}

static void test_resolve(void)
{
    TEST_CHECK(mkdtemp(dir) != NULL);
    char key[512], err[1024];
    snprintf(key, sizeof key, "%s/key", dir);
    unsetenv("MOMENTO_API_KEY");
    unsetenv("CREDENTIALS_DIRECTORY");
    struct mo_config cfg = {.path = "test.yaml", .api_key_file = key,
                            .endpoint_override = "127.0.0.1:9", .tls = 0};

    write_file(key, V2("c2lnMQ") "\n");
    struct mo_remote a, b;
    TEST_EQ_INT(mo_remote_resolve(&cfg, false, &a, NULL, err, sizeof err), 0);
    TEST_EQ_STR(a.ep.target, "127.0.0.1:9");
    TEST_CHECK(!a.ep.tls);
    TEST_EQ_STR(a.creds.token, V2("c2lnMQ"));
    /* the same file, read again: nothing changed */
    TEST_EQ_INT(mo_remote_resolve(&cfg, false, &b, NULL, err, sizeof err), 0);
    TEST_EQ_INT(mo_remote_diff(&a, &b), 0);
    mo_remote_clear(&b);
    /* rewritten in place: the key changed, nothing else */
    write_file(key, V2("c2lnMg"));
    TEST_EQ_INT(mo_remote_resolve(&cfg, false, &b, NULL, err, sizeof err), 0);
    TEST_EQ_INT(mo_remote_diff(&a, &b), MO_REMOTE_KEY);
    mo_remote_clear(&b);
    /* TLS on, to the same address */
    cfg.tls = 1;
    TEST_EQ_INT(mo_remote_resolve(&cfg, false, &b, NULL, err, sizeof err), 0);
    TEST_EQ_INT(mo_remote_diff(&a, &b), MO_REMOTE_KEY | MO_REMOTE_TLS);
    mo_remote_clear(&b);
    cfg.tls = 0;

    /* malformed: refused, the error names the file, never the key */
    write_file(key, "not-a-key-s3cr3t\n");
    err[0] = '\0';
    TEST_CHECK(mo_remote_resolve(&cfg, false, &b, NULL, err, sizeof err) < 0);
    TEST_CONTAINS(err, key);
    TEST_CHECK(strstr(err, "s3cr3t") == NULL);
    TEST_CHECK(b.creds.token == NULL); /* cleared: nothing to free, nothing left */
    /* empty */
    write_file(key, "\n");
    TEST_CHECK(mo_remote_resolve(&cfg, false, &b, NULL, err, sizeof err) < 0);
    TEST_CONTAINS(err, key);
    /* missing */
    unlink(key);
    TEST_EQ_INT(mo_remote_resolve(&cfg, false, &b, NULL, err, sizeof err), -ENOENT);
    TEST_CONTAINS(err, "cannot open API key file");

    /* the systemd credential, rewritten */
    char creds[512];
    snprintf(creds, sizeof creds, "%s/momento-api-key", dir);
    setenv("CREDENTIALS_DIRECTORY", dir, 1);
    cfg.api_key_file = NULL;
    write_file(creds, V2("c2lnMQ"));
    TEST_EQ_INT(mo_remote_resolve(&cfg, false, &b, NULL, err, sizeof err), 0);
    TEST_EQ_INT(mo_remote_diff(&a, &b), 0);
    TEST_CONTAINS(b.creds.source, "systemd credential");
    mo_remote_clear(&b);
    write_file(creds, V2("c2lnMw"));
    TEST_EQ_INT(mo_remote_resolve(&cfg, false, &b, NULL, err, sizeof err), 0);
    TEST_EQ_INT(mo_remote_diff(&a, &b), MO_REMOTE_KEY);
    mo_remote_clear(&b);
    unlink(creds);
    unsetenv("CREDENTIALS_DIRECTORY");

    /* no key, no override: an error for the daemon, "unresolved" for --check-config */
    cfg.endpoint_override = NULL;
    TEST_CHECK(mo_remote_resolve(&cfg, false, &b, NULL, err, sizeof err) < 0);
    bool unresolved = false;
    TEST_EQ_INT(mo_remote_resolve(&cfg, true, &b, &unresolved, err, sizeof err), 0);
    TEST_CHECK(unresolved);
    mo_remote_clear(&b);
    mo_remote_clear(&a);
    TEST_CHECK(a.creds.token == NULL);
    rmdir(dir);
}

int main(void)
{
    test_diff();
    test_names();
    test_resolve();
    return test_result("test-remote");
}
