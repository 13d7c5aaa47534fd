/* Unit tests for credentials: every key format, every source, malformed input. */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "creds.h"
#include "test.h"
#include "test-keys.h"

static void b64(const char *in, char *out, int urlsafe, int pad)
{
    static const char *std = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    static const char *url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const char *a = urlsafe ? url : std;
    size_t n = strlen(in), o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned char)in[i] << 16;
        if (i + 1 < n)
            v |= (unsigned char)in[i + 1] << 8;
        if (i + 2 < n)
            v |= (unsigned char)in[i + 2];
        out[o++] = a[(v >> 18) & 63];
        out[o++] = a[(v >> 12) & 63];
        if (i + 1 < n)
            out[o++] = a[(v >> 6) & 63];
        else if (pad)
            out[o++] = '=';
        if (i + 2 < n)
            out[o++] = a[v & 63];
        else if (pad)
            out[o++] = '=';
    }
    out[o] = '\0';
}

static char *jwt(const char *claims)
{
    static char buf[8192];
    char h[256], p[4096];
    b64("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", h, 1, 0);
    b64(claims, p, 1, 0);
    snprintf(buf, sizeof buf, "%s.%s.c2lnbmF0dXJl", h, p);
    return buf;
}

static void test_v2(void)
{
    struct mo_creds c = {0};
    char err[512] = "";
    char *key = strdup(jwt("{\"t\":\"g\",\"id\":\"abc\",\"p\":\"x\"}"));
    TEST_EQ_INT(mo_creds_parse(key, &c, err, sizeof err), 0);
    TEST_EQ_INT(c.kind, MO_KEY_V2);
    TEST_EQ_STR(c.token, key);
    TEST_CHECK(c.endpoint == NULL);
    mo_creds_clear(&c);
    free(key);
}

/* exp, from the key or from a v1 key's inner api_key */
static void test_expiry(void)
{
    struct mo_creds c = {0};
    char err[512] = "";
    char *key = strdup(jwt("{\"t\":\"g\",\"exp\":1800000000}"));
    TEST_EQ_INT(mo_creds_parse(key, &c, err, sizeof err), 0);
    TEST_EQ_INT(c.expires_at, 1800000000);
    free(key);
    key = strdup(jwt("{\"t\":\"g\"}"));
    TEST_EQ_INT(mo_creds_parse(key, &c, err, sizeof err), 0);
    TEST_EQ_INT(c.expires_at, 0); /* none */
    free(key);
    key = strdup(jwt("{\"t\":\"g\",\"exp\":\"soon\"}"));
    TEST_EQ_INT(mo_creds_parse(key, &c, err, sizeof err), 0);
    TEST_EQ_INT(c.expires_at, 0); /* not a number: no expiry known */
    free(key);
    key = strdup(jwt("{\"c\":\"cache.example.com\",\"exp\":1700000000}"));
    TEST_EQ_INT(mo_creds_parse(key, &c, err, sizeof err), 0);
    TEST_EQ_INT(c.kind, MO_KEY_LEGACY_JWT);
    TEST_EQ_INT(c.expires_at, 1700000000);
    free(key);
    /* a disposable token: base64 of {endpoint, api_key}, the api_key a JWT with exp */
    char inner[8192], json[9000], wrapped[16384];
    snprintf(inner, sizeof inner, "%s", jwt("{\"id\":\"tok-1\",\"exp\":1800086400}"));
    snprintf(json, sizeof json, "{\"endpoint\":\"cell-1.example.com\",\"api_key\":\"%s\"}", inner);
    b64(json, wrapped, 0, 1);
    TEST_EQ_INT(mo_creds_parse(wrapped, &c, err, sizeof err), 0);
    TEST_EQ_INT(c.kind, MO_KEY_V1);
    TEST_EQ_INT(c.expires_at, 1800086400);
    mo_creds_clear(&c);
}

static void test_legacy(void)
{
    struct mo_creds c = {0};
    char err[512] = "";
    char *key = strdup(jwt("{\"sub\":\"me\",\"c\":\"cache.cell-4.example.com\",\"cp\":\"control.cell-4.example.com\"}"));
    TEST_EQ_INT(mo_creds_parse(key, &c, err, sizeof err), 0);
    TEST_EQ_INT(c.kind, MO_KEY_LEGACY_JWT);
    TEST_EQ_STR(c.cache_host, "cache.cell-4.example.com");
    TEST_EQ_STR(c.token, key);
    mo_creds_clear(&c);
    free(key);
}

static void test_v1(int urlsafe, int pad)
{
    struct mo_creds c = {0};
    char err[512] = "";
    char inner[8192], json[9000], key[16384];
    snprintf(inner, sizeof inner, "%s", jwt("{\"sub\":\"x\",\"ver\":1}"));
    /* ">>>" and "???" make the std and url-safe alphabets differ */
    snprintf(json, sizeof json, "{\"endpoint\":\"cell-1.example.com\",\"api_key\":\"%s\",\"n\":\">>>???\"}", inner);
    b64(json, key, urlsafe, pad);
    TEST_EQ_INT(mo_creds_parse(key, &c, err, sizeof err), 0);
    TEST_EQ_INT(c.kind, MO_KEY_V1);
    TEST_EQ_STR(c.token, inner); /* the inner key is what is sent */
    TEST_EQ_STR(c.endpoint, "cell-1.example.com");
    mo_creds_clear(&c);
}

static void expect_error(const char *key, const char *needle)
{
    struct mo_creds c = {0};
    char err[512] = "";
    TEST_EQ_INT(mo_creds_parse(key, &c, err, sizeof err), -EINVAL);
    TEST_CONTAINS(err, needle);
    /* the error never echoes the key */
    if (strlen(key) >= 8)
        TEST_CHECK(strstr(err, key) == NULL);
    TEST_CHECK(c.token == NULL);
}

static void test_malformed(void)
{
    char key[4096];
    expect_error("", "empty");
    expect_error("abc def", "space");
    expect_error("a.b", "three dot-separated parts");
    expect_error("a.b.c.d", "three dot-separated parts");
    expect_error("eyJhbGciOiJIUzI1NiJ9.!!!.sig", "not valid base64url");
    b64("[1,2,3]", key, 1, 0);
    char tok[4200];
    snprintf(tok, sizeof tok, "eyJhbGciOiJIUzI1NiJ9.%s.sig", key);
    expect_error(tok, "not a JSON object");
    expect_error(jwt("{\"sub\":\"nobody\"}"), "neither claim t=\"g\"");
    expect_error(jwt("{\"t\":\"x\"}"), "neither claim t=\"g\"");
    expect_error("not*base64*at*all", "neither a JWT");
    b64("just some text", key, 0, 1);
    expect_error(key, "not to a JSON object");
    b64("{\"endpoint\":\"e.example.com\"}", key, 0, 1);
    expect_error(key, "\"api_key\"");
    b64("{\"api_key\":\"k\"}", key, 0, 1);
    expect_error(key, "\"endpoint\"");
    b64("{\"endpoint\":\"\",\"api_key\":\"k\"}", key, 0, 1);
    expect_error(key, "\"endpoint\"");
}

static void test_base64(void)
{
    unsigned char out[64];
    TEST_EQ_INT(mo_base64_decode("aGk=", 4, out), 2);
    TEST_CHECK(memcmp(out, "hi", 2) == 0);
    TEST_EQ_INT(mo_base64_decode("aGk", 3, out), 2);
    TEST_EQ_INT(mo_base64_decode("a", 1, out), -1);
    TEST_EQ_INT(mo_base64_decode("aGl=", 4, out), -1); /* non-zero trailing bits */
    TEST_EQ_INT(mo_base64_decode("-_-_", 4, out), 3);
    TEST_EQ_INT(mo_base64_decode("+/+/", 4, out), 3);
    TEST_EQ_INT(mo_base64_decode("", 0, out), 0);
}

static void test_sources(void)
{
    struct mo_creds c = {0};
    char err[512] = "";
    char dir[] = "/tmp/test-creds-XXXXXX";
    TEST_CHECK(mkdtemp(dir) != NULL);
    char path[256], cpath[256];
    snprintf(path, sizeof path, "%s/key", dir);
    snprintf(cpath, sizeof cpath, "%s/momento-api-key", dir);
    const char *v2 = jwt("{\"t\":\"g\"}");
    char *v2copy = strdup(v2);

    unsetenv("CREDENTIALS_DIRECTORY");
    unsetenv("MOMENTO_API_KEY");

    /* none at all: empty token */
    TEST_EQ_INT(mo_creds_load(NULL, &c, err, sizeof err), 0);
    TEST_EQ_INT(c.kind, MO_KEY_NONE);
    TEST_EQ_STR(c.token, "");

    /* environment */
    setenv("MOMENTO_API_KEY", v2copy, 1);
    TEST_EQ_INT(mo_creds_load(NULL, &c, err, sizeof err), 0);
    TEST_EQ_INT(c.kind, MO_KEY_V2);
    TEST_CONTAINS(c.source, "MOMENTO_API_KEY");

    /* systemd credential beats the environment; whitespace around the key is dropped */
    FILE *f = fopen(cpath, "w");
    fprintf(f, "  %s\n\n", jwt("{\"c\":\"cache.legacy.example.com\"}"));
    fclose(f);
    setenv("CREDENTIALS_DIRECTORY", dir, 1);
    TEST_EQ_INT(mo_creds_load(NULL, &c, err, sizeof err), 0);
    TEST_EQ_INT(c.kind, MO_KEY_LEGACY_JWT);
    TEST_CONTAINS(c.source, "systemd credential");

    /* api_key_file beats both */
    f = fopen(path, "w");
    fprintf(f, "%s\n", v2copy);
    fclose(f);
    TEST_EQ_INT(mo_creds_load(path, &c, err, sizeof err), 0);
    TEST_EQ_INT(c.kind, MO_KEY_V2);
    TEST_CONTAINS(c.source, path);

    /* a missing file is an error naming the file */
    char missing[300];
    snprintf(missing, sizeof missing, "%s/nope", dir);
    TEST_CHECK(mo_creds_load(missing, &c, err, sizeof err) < 0);
    TEST_CONTAINS(err, missing);
    TEST_CONTAINS(err, "No such file");

    /* a malformed key in the file names the source, not the key */
    f = fopen(path, "w");
    fprintf(f, "garbage-key-value\n");
    fclose(f);
    TEST_EQ_INT(mo_creds_load(path, &c, err, sizeof err), -EINVAL);
    TEST_CONTAINS(err, path);
    TEST_CHECK(strstr(err, "garbage-key-value") == NULL);

    /* malformed in the environment */
    unsetenv("CREDENTIALS_DIRECTORY");
    setenv("MOMENTO_API_KEY", "bad key", 1);
    TEST_EQ_INT(mo_creds_load(NULL, &c, err, sizeof err), -EINVAL);
    TEST_CONTAINS(err, "environment variable MOMENTO_API_KEY");
    TEST_CHECK(strstr(err, "bad key") == NULL);

    /* the key itself where its file name belongs: refused without echoing it */
    TEST_EQ_INT(mo_creds_load(v2copy, &c, err, sizeof err), -EINVAL);
    TEST_CONTAINS(err, "looks like an API key");
    TEST_CHECK(strstr(err, v2copy) == NULL);

    /* a directory is not a key file */
    TEST_CHECK(mo_creds_load(dir, &c, err, sizeof err) < 0);
    TEST_CONTAINS(err, "not a regular file");

    unsetenv("MOMENTO_API_KEY");
    mo_creds_clear(&c);
    unlink(path);
    unlink(cpath);
    rmdir(dir);
    free(v2copy);
}

/* A file name made of key material is never echoed, whatever goes wrong
 * with it, and a source named after it is not either. */
static void test_key_in_file_name(void)
{
    struct mo_creds c = {0};
    char err[1024] = "";
    unsetenv("CREDENTIALS_DIRECTORY");
    unsetenv("MOMENTO_API_KEY");

    static const char *const keys[] = {TEST_KEY_V2, TEST_KEY_V1, TEST_KEY_BAD};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        TEST_CHECK(mo_creds_load(keys[i], &c, err, sizeof err) < 0);
        TEST_CONTAINS(err, "looks like an API key");
        TEST_NO_PIECE(err, keys[i]);
    }

    /* a directory named after a key, holding the credential file */
    char dir[300];
    snprintf(dir, sizeof dir, "/tmp/test-creds-%d-" TEST_KEY_BAD, (int)getpid());
    TEST_EQ_INT(mkdir(dir, 0700), 0);
    char path[400];
    snprintf(path, sizeof path, "%s/momento-api-key", dir);
    TEST_EQ_INT(mkdir(path, 0700), 0); /* not a regular file */
    setenv("CREDENTIALS_DIRECTORY", dir, 1);
    TEST_CHECK(mo_creds_load(NULL, &c, err, sizeof err) < 0);
    TEST_CONTAINS(err, "not a regular file");
    TEST_NO_PIECE(err, TEST_KEY_BAD);
    rmdir(path);

    /* a key file that exists under such a name: the source does not name it */
    snprintf(path, sizeof path, "%s/key", dir);
    FILE *f = fopen(path, "w");
    fprintf(f, "%s\n", TEST_KEY_V2);
    fclose(f);
    TEST_EQ_INT(mo_creds_load(path, &c, err, sizeof err), 0);
    TEST_CONTAINS(c.source, "API key file");
    TEST_NO_PIECE(c.source, TEST_KEY_BAD);
    unsetenv("CREDENTIALS_DIRECTORY");
    mo_creds_clear(&c);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    test_expiry();
    test_base64();
    test_v2();
    test_legacy();
    test_v1(0, 1);
    test_v1(0, 0);
    test_v1(1, 1);
    test_v1(1, 0);
    test_malformed();
    test_key_in_file_name();
    test_sources();
    return test_result("test-creds");
}
