/* Unit tests for the secret rule and redaction (src/lib/secret.c): what is a
 * secret, what is not (host names, cache and topic names, paths, sentences),
 * and the two ways of keeping a secret out of a message. */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>

#include "secret.h"
#include "test.h"
#include "test-keys.h"

static bool like(const char *s) { return mo_secret_like(s, strlen(s)); }

static void test_keys(void)
{
    static const char *const secrets[] = {
        TEST_KEY_V2,
        TEST_KEY_V1,
        TEST_KEY_V1_INNER,
        TEST_KEY_BAD,
        /* a legacy key (claim c), with '-' and '_' in its signature */
        "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzUxMiJ9.eyJzdWIiOiJ4IiwiYyI6ImNhY2hlLmNlbGwtMS5leGFtcGxlLm"
        "NvbSIsImNwIjoiY29udHJvbC5jZWxsLTEuZXhhbXBsZS5jb20ifQ.gOw3vJcS3S5qrrlLro0vn6KcWihMnvdSGCnP"
        "EHmwgOnXShwQ_KtqQkPTNlbevkwe15ZI6Fbo-aL1jJXwzks5wQ",
        /* a v1 key with spaces and the other order: rule 2 */
        "eyAiYXBpX2tleSIgOiAiYWJjLmRlZi5naGkiLCAiZW5kcG9pbnQiIDogImNlbGwtMS5leGFtcGxlLmNvbSIgfQ==",
        /* its tail alone, out of alignment */
        "YXBpX2tleSIgOiAiYWJjLmRlZi5naGkiLCAiZW5kcG9pbnQiIDogImNlbGwtMS5leGFtcGxlLmNvbSIgfQ",
        /* random tokens: 32 bytes in base64, 48 in base64url */
        "grcO7n8aUDm+8H7CNH8GbtCPXcdRJEfjQEMAAmtuVFU=",
        "lKBlaF1kxJgLuNRUSochqZoBrSGetZz2oV728Vodgwu3zgnWu8AE5xdcZDx97LC1",
        /* the parts of a JWT alone */
        "eyJhbGciOiJIUzI1NiJ9",
        "eyJ0IjoiZyJ9",
        /* inside other text */
        "cache." TEST_KEY_V2 ":443",
        "/etc/momento/" TEST_KEY_V1,
        "key=" TEST_KEY_V2,
        "'" TEST_KEY_V1_INNER "'",
        "Invalid token " TEST_KEY_V2 " for cache c",
        "api_key_file_" TEST_KEY_V1,
    };
    for (size_t i = 0; i < sizeof secrets / sizeof *secrets; i++) {
        TEST_CHECK(like(secrets[i]));
        if (!like(secrets[i]))
            fprintf(stderr, "  not flagged: %s\n", secrets[i]);
    }
}

static void test_not_secrets(void)
{
    static const char *const plain[] = {
        "", "a", "localhost", "127.0.0.1", "[::1]", "[2001:db8::8a2e:370:7334]",
        "cell-1-us-east-1-1.prod.a.momentohq.com",
        "cache.cell-4-us-west-2-1.prod.a.momentohq.com:443",
        "CELL-1-US-EAST-1-1.PROD.A.MOMENTOHQ.COM", "Cell-1-Us-East-1-1.Prod.A.MomentoHQ.com",
        "prices", "eu", "rpc-perf", "bench", "orders_2024_Q3", "orders.eu-west-1.Q3_2024-v2",
        "MyVeryLongCamelCaseTopicName2024", "ThisIsAnExampleOfAVeryLongTopicName123",
        "Topic-With-Many-Words-2024-Edition", "user-events.v2", "eyJumpers-are-fun-to-watch",
        "heyJude", "keyJarForTheCache2024", "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
        "A1B2C3D4-E5F6-7890-ABCD-EF1234567890",
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "V1StGXR8_Z5jdHi6B-myT", "tmp.AbC123xyz9", "/tmp/mo-it.Xy7Kq2Lm9P/subscriber.yaml",
        "/etc/momento-subscriber/subscriber.yaml", "/etc/momento-subscriber/api-key",
        "/var/lib/momento-subscriber", "/run/credentials/momento-subscriberd.service/momento-api-key",
        "/home/JohnSmith/Projects/Momento2024/subscriber.yaml",
        "/var/lib/momento-subscriber/positions-v1.json", "2026-11-23T03:17:57.123456Z",
        "meta.published_ms", "timestamp", "aGVsbG8=", "SGVsbG8gV29ybGQ=",
        "cache not found: prices", "Invalid signature",
        "the service rejected the API key (API key file /etc/momento-subscriber/api-key)",
        "c:topic:0.1.0", "momento-subscriber/0.1.0", "c:grpc-core-29.0.0",
        "subscriptions[12].timestamp.format", "topic_subscriptions_limit_exceeded",
    };
    for (size_t i = 0; i < sizeof plain / sizeof *plain; i++) {
        TEST_CHECK(!like(plain[i]));
        if (like(plain[i]))
            fprintf(stderr, "  flagged: %s\n", plain[i]);
    }
    /* only the len bytes count */
    TEST_CHECK(!mo_secret_like("prices" TEST_KEY_V2, 6));
    TEST_CHECK(mo_secret_like("x " TEST_KEY_V2, 40));
}

/* A small deterministic generator, so that the counts below never change. */
static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 32);
}

/* How well rule 3 tells random tokens from names made of words. */
static void test_random_and_words(void)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    static const size_t lengths[] = {32, 43, 64};
    static const int at_least[] = {960, 985, 995}; /* of 1000 */
    for (size_t l = 0; l < 3; l++) {
        int flagged = 0;
        for (int n = 0; n < 1000; n++) {
            char tok[80];
            for (size_t i = 0; i < lengths[l]; i++)
                tok[i] = alphabet[rng() % 64];
            flagged += mo_secret_like(tok, lengths[l]);
        }
        TEST_CHECK(flagged >= at_least[l]);
        fprintf(stderr, "random base64url of %zu characters: %d of 1000 flagged\n", lengths[l],
                flagged);
    }

    /* names joined from words, with separators or in CamelCase, and numbers */
    static const char *const words[] = {"order", "Price", "user", "Event", "stream", "Topic",
                                        "cache", "Bench", "metric", "Latency", "eu", "US",
                                        "west", "Prod", "test", "Q3", "v2", "2024", "42",
                                        "alpha", "Beta", "rpc", "Perf", "ingest", "Service"};
    static const char seps[] = {'-', '_', '.', '\0'};
    int flagged = 0;
    for (int n = 0; n < 5000; n++) {
        char name[200] = "";
        size_t len = 0;
        char sep = seps[rng() % 4];
        while (len < 40) {
            const char *w = words[rng() % (sizeof words / sizeof *words)];
            len += (size_t)snprintf(name + len, sizeof name - len, "%s%s",
                                    len && sep ? (char[]){sep, '\0'} : "", w);
        }
        if (mo_secret_like(name, len)) {
            flagged++;
            if (flagged < 5)
                fprintf(stderr, "  flagged name: %s\n", name);
        }
    }
    TEST_EQ_INT(flagged, 0);
}

static void test_redact(void)
{
    TEST_CHECK(mo_secret_redact(NULL) == NULL);
    const char *host = "cell-1.example.com";
    TEST_CHECK(mo_secret_redact(host) == host);
    TEST_EQ_STR(mo_secret_redact(TEST_KEY_V2), MO_SECRET_HIDDEN);
    TEST_EQ_STR(mo_secret_redact("cache." TEST_KEY_V1 ":443"), MO_SECRET_HIDDEN);
    /* judged whole: a key past what a caller prints still hides the value */
    char buf[64];
    snprintf(buf, sizeof buf, "%.20s", mo_secret_redact("twenty characters.. " TEST_KEY_V2));
    TEST_EQ_STR(buf, MO_SECRET_HIDDEN);
}

static void test_scrub(void)
{
    char out[600];
    const char *text = "Invalid token " TEST_KEY_V2 " for cache prices\n(" TEST_KEY_V1 ")";
    size_t n = mo_secret_scrub(text, strlen(text), out, sizeof out);
    TEST_EQ_STR(out, "Invalid token " MO_SECRET_HIDDEN " for cache prices\n(" MO_SECRET_HIDDEN ")");
    TEST_EQ_INT(n, strlen(out));
    TEST_NO_PIECE(out, TEST_KEY_V2);
    TEST_NO_PIECE(out, TEST_KEY_V1);

    /* the punctuation around a hidden word stays */
    text = "--timeout \"" TEST_KEY_V2 "\": expected (cache." TEST_KEY_V1_INNER "), or '"
           TEST_KEY_V1 "';";
    mo_secret_scrub(text, strlen(text), out, sizeof out);
    TEST_EQ_STR(out, "--timeout \"" MO_SECRET_HIDDEN "\": expected (" MO_SECRET_HIDDEN "), or '"
                MO_SECRET_HIDDEN "';");

    /* nothing to hide: the text as it was, white space included */
    const char *plain = "  cache not found:\tprices  ";
    mo_secret_scrub(plain, strlen(plain), out, sizeof out);
    TEST_EQ_STR(out, plain);

    /* in place */
    char buf[600];
    snprintf(buf, sizeof buf, "a %s b %s c", TEST_KEY_V2, TEST_KEY_V1_INNER);
    mo_secret_scrub(buf, strlen(buf), buf, sizeof buf);
    TEST_EQ_STR(buf, "a " MO_SECRET_HIDDEN " b " MO_SECRET_HIDDEN " c");

    /* cut short: the word is judged whole, so no piece of it shows */
    const char *cut = "details: " TEST_KEY_V2;
    for (size_t size = 1; size < 40; size++) {
        mo_secret_scrub(cut, strlen(cut), out, size);
        TEST_CHECK(strlen(out) < size);
        TEST_NO_PIECE(out, TEST_KEY_V2);
    }
    mo_secret_scrub(cut, strlen(cut), out, 12);
    TEST_EQ_STR(out, "details: <h");
    TEST_EQ_INT(mo_secret_scrub(cut, strlen(cut), out, 0), 0);

    /* only len bytes are read */
    mo_secret_scrub("abc def", 3, out, sizeof out);
    TEST_EQ_STR(out, "abc");
}

int main(void)
{
    test_keys();
    test_not_secrets();
    test_random_and_words();
    test_redact();
    test_scrub();
    return test_result("test-secret");
}
