/* Unit tests for the canary's probe text: the exact bytes for a known moment,
 * with and without a clock bound; padding to every size (spaces, then the
 * padding member), too small a size or buffer; every built probe valid JSON
 * that reads back the same; the values that are not probes; the longest probe
 * a host name gives; host names made fit for probes. */
#include <config.h>

#include <errno.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "canary/probe.h"
#include "test.h"

#define ID "0123456789abcdef"
/* 2026-12-07T15:47:09.123456789Z */
#define T_NS (INT64_C(1796658429) * 1000000000 + 123456789)
#define T_US_NS (INT64_C(1796658429) * 1000000000 + 123456000) /* as a probe carries it */

static const char with_bound[] = "{\"timestamp\":\"2026-12-07T15:47:09.123456Z\",\"clock_error_us\":350,"
                                 "\"canary\":{\"id\":\"" ID "\",\"host\":\"web-1\",\"seq\":42}}";
static const char without_bound[] = "{\"timestamp\":\"2026-12-07T15:47:09.123456Z\","
                                    "\"canary\":{\"id\":\"" ID "\",\"host\":\"web-1\",\"seq\":42}}";

/* Strict JSON: one value and nothing after it but white space. */
static bool strict_json(const char *s, size_t len)
{
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(s, len, &end, false);
    if (!j)
        return false;
    bool obj = cJSON_IsObject(j);
    cJSON_Delete(j);
    while (end < s + len && (*end == ' ' || *end == '\n' || *end == '\t' || *end == '\r'))
        end++;
    return obj && end == s + len;
}

/* Parses a copy of exactly len bytes, no NUL after it (so that reading past
 * the value shows under the sanitizers and valgrind). */
static int parse(const char *s, size_t len, struct mo_probe *p)
{
    char *copy = malloc(len ? len : 1);
    memcpy(copy, s, len);
    int r = mo_probe_parse(copy, len, p);
    free(copy);
    return r;
}
static int parse_str(const char *s, struct mo_probe *p) { return parse(s, strlen(s), p); }

static void test_build(void)
{
    char buf[MO_PROBE_SIZE_MAX + 1];
    long n = mo_probe_build(buf, sizeof buf, ID, "web-1", 42, T_NS, 350, 0);
    TEST_EQ_INT(n, (long)strlen(with_bound));
    TEST_EQ_STR(buf, with_bound);
    n = mo_probe_build(buf, sizeof buf, ID, "web-1", 42, T_NS, -1, 0);
    TEST_EQ_INT(n, (long)strlen(without_bound));
    TEST_EQ_STR(buf, without_bound);
    n = mo_probe_build(buf, sizeof buf, ID, "web-1", 42, T_NS, 0, 0); /* a bound of 0 is a bound */
    TEST_CONTAINS(buf, ",\"clock_error_us\":0,");
    /* the real time at a microsecond's start, and before 1970 */
    n = mo_probe_build(buf, sizeof buf, ID, "h", 1, 0, -1, 0);
    TEST_CONTAINS(buf, "\"timestamp\":\"1970-01-01T00:00:00.000000Z\"");
    n = mo_probe_build(buf, sizeof buf, ID, "h", UINT64_MAX, -1500, INT64_MAX, 0);
    TEST_CONTAINS(buf, "\"timestamp\":\"1969-12-31T23:59:59.999998Z\"");
    TEST_CONTAINS(buf, "\"seq\":18446744073709551615}");
    TEST_CONTAINS(buf, "\"clock_error_us\":9223372036854775807,");
    TEST_EQ_INT(n, (long)strlen(buf));
}

static void test_padding(void)
{
    char buf[MO_PROBE_SIZE_MAX + 1];
    const size_t base = strlen(with_bound);
    /* exactly its own size: unchanged */
    TEST_EQ_INT(mo_probe_build(buf, sizeof buf, ID, "web-1", 42, T_NS, 350, base), (long)base);
    TEST_EQ_STR(buf, with_bound);
    /* one more: a space before the closing brace */
    TEST_EQ_INT(mo_probe_build(buf, sizeof buf, ID, "web-1", 42, T_NS, 350, base + 1), (long)base + 1);
    TEST_CHECK(memcmp(buf, with_bound, base - 1) == 0);
    TEST_EQ_STR(buf + base - 1, " }");
    /* up to 12 more: spaces */
    TEST_EQ_INT(mo_probe_build(buf, sizeof buf, ID, "web-1", 42, T_NS, 350, base + 12), (long)base + 12);
    TEST_EQ_STR(buf + base - 1, "            }");
    /* 13 more: the smallest padding member; then its x's */
    TEST_EQ_INT(mo_probe_build(buf, sizeof buf, ID, "web-1", 42, T_NS, 350, base + MO_PROBE_PAD_FIELD_LEN),
                (long)(base + MO_PROBE_PAD_FIELD_LEN));
    TEST_EQ_STR(buf + base - 1, ",\"padding\":\"\"}");
    TEST_EQ_INT(mo_probe_build(buf, sizeof buf, ID, "web-1", 42, T_NS, 350, base + 14), (long)base + 14);
    TEST_EQ_STR(buf + base - 1, ",\"padding\":\"x\"}");
    TEST_EQ_INT(mo_probe_build(buf, sizeof buf, ID, "web-1", 42, T_NS, 350, base + 20), (long)base + 20);
    TEST_EQ_STR(buf + base - 1, ",\"padding\":\"xxxxxxx\"}");
    /* the largest */
    TEST_EQ_INT(mo_probe_build(buf, sizeof buf, ID, "web-1", 42, T_NS, 350, MO_PROBE_SIZE_MAX), MO_PROBE_SIZE_MAX);
    TEST_EQ_INT(strlen(buf), MO_PROBE_SIZE_MAX);
    TEST_CHECK(strict_json(buf, MO_PROBE_SIZE_MAX));

    /* every size from the probe's own to the largest, with and without a
     * bound: exactly that size, valid JSON, read back the same */
    int bad = 0;
    for (int b = 0; b < 2; b++) {
        int64_t bound = b ? 350 : -1;
        size_t own = strlen(b ? with_bound : without_bound);
        for (size_t size = own; size <= MO_PROBE_SIZE_MAX; size++) {
            long n = mo_probe_build(buf, sizeof buf, ID, "web-1", 42, T_NS, bound, size);
            struct mo_probe p;
            if (n != (long)size || strlen(buf) != size || !strict_json(buf, size) || parse(buf, size, &p) != 0 ||
                strcmp(p.id, ID) != 0 || strcmp(p.host, "web-1") != 0 || p.seq != 42 || p.published_ns != T_US_NS ||
                p.clock_error_us != bound)
                bad++;
        }
    }
    TEST_EQ_INT(bad, 0);

    /* too small a size: -EMSGSIZE, whatever the buffer */
    TEST_EQ_INT(mo_probe_build(buf, sizeof buf, ID, "web-1", 42, T_NS, 350, base - 1), -EMSGSIZE);
    TEST_EQ_INT(mo_probe_build(buf, sizeof buf, ID, "web-1", 42, T_NS, 350, 1), -EMSGSIZE);
    TEST_EQ_INT(mo_probe_build(buf, sizeof buf, ID, "web-1", 42, T_NS, -1, strlen(without_bound) - 1), -EMSGSIZE);
    /* too small a buffer: -ENOBUFS; the probe and its NUL fit exactly */
    TEST_EQ_INT(mo_probe_build(buf, base + 1, ID, "web-1", 42, T_NS, 350, 0), (long)base);
    TEST_EQ_STR(buf, with_bound);
    TEST_EQ_INT(mo_probe_build(buf, 10, ID, "web-1", 42, T_NS, 350, 0), -ENOBUFS);
    TEST_EQ_INT(mo_probe_build(buf, 1, ID, "web-1", 42, T_NS, 350, 0), -ENOBUFS);
    TEST_EQ_INT(mo_probe_build(buf, 150, ID, "web-1", 42, T_NS, 350, 1000), -ENOBUFS); /* the probe fits, the size not */
    TEST_EQ_INT(mo_probe_build(buf, 201, ID, "web-1", 42, T_NS, 350, 200), 200);
    TEST_EQ_INT(strlen(buf), 200);
}

static void test_roundtrip(void)
{
    char buf[MO_PROBE_SIZE_MAX + 1];
    struct mo_probe p;
    long n = mo_probe_build(buf, sizeof buf, ID, "web-1", 42, T_NS, 350, 0);
    TEST_CHECK(strict_json(buf, (size_t)n));
    TEST_EQ_INT(parse(buf, (size_t)n, &p), 0);
    TEST_EQ_STR(p.id, ID);
    TEST_EQ_STR(p.host, "web-1");
    TEST_EQ_INT(p.seq, 42);
    TEST_EQ_INT(p.published_ns, T_US_NS);
    TEST_EQ_INT(p.clock_error_us, 350);
    n = mo_probe_build(buf, sizeof buf, ID, "web-1", 42, T_NS, -1, 0);
    TEST_EQ_INT(parse(buf, (size_t)n, &p), 0);
    TEST_EQ_INT(p.clock_error_us, -1);
    /* hosts of every length, from the cleaner's alphabet; numbers up to 2^53 */
    static const uint64_t seqs[] = {1, 2, 999, 4294967296ull, 9007199254740992ull};
    char host[MO_PROBE_HOST_MAX + 1];
    int bad = 0;
    for (size_t len = 1; len <= MO_PROBE_HOST_MAX; len++) {
        for (size_t i = 0; i < len; i++)
            host[i] = "aZ09.-_"[i % 7];
        host[len] = '\0';
        for (size_t s = 0; s < sizeof seqs / sizeof seqs[0]; s++) {
            n = mo_probe_build(buf, sizeof buf, "fedcba9876543210", host, seqs[s], T_NS, (int64_t)len, 512);
            if (n != 512 || !strict_json(buf, 512) || parse(buf, 512, &p) != 0 || strcmp(p.host, host) != 0 ||
                strcmp(p.id, "fedcba9876543210") != 0 || p.seq != seqs[s] || p.clock_error_us != (int64_t)len ||
                p.published_ns != T_US_NS)
                bad++;
        }
    }
    TEST_EQ_INT(bad, 0);
}

static void test_parse_rejects(void)
{
    struct mo_probe p;
#define TS "\"timestamp\":\"2026-12-07T15:47:09.123456Z\""
#define PROBE(canary) "{" TS ",\"canary\":{" canary "}}"
    /* the good one these are made from */
    TEST_EQ_INT(parse_str(PROBE("\"id\":\"" ID "\",\"host\":\"h\",\"seq\":1"), &p), 0);
    TEST_EQ_INT(p.seq, 1);
    TEST_EQ_INT(p.clock_error_us, -1);
    /* members in any order, other members, white space */
    TEST_EQ_INT(parse_str(" {\"canary\" : {\"seq\":7, \"x\":[1], \"host\":\"h\",\"id\":\"" ID "\"},\"a\":null," TS "}\n",
                          &p),
                -EINVAL); /* not starting with '{': refused cheaply */
    TEST_EQ_INT(parse_str("{\"canary\" : {\"seq\":7, \"x\":[1], \"host\":\"h\",\"id\":\"" ID "\"},\"a\":null," TS "}\n",
                          &p),
                0);
    TEST_EQ_INT(p.seq, 7);
    TEST_EQ_INT(p.published_ns, T_US_NS);
    /* not JSON, not an object */
    static const char *const not_json[] = {
        "", "{", "}", "hello", "{}x", "{\"canary\":", "[1,2]", "\"{}\"", "{\"a\":1,}", "12",
        PROBE("\"id\":\"" ID "\",\"host\":\"h\",\"seq\":1") "x", /* data after the object */
        PROBE("\"id\":\"" ID "\",\"host\":\"h\",\"seq\":1") "{}",
    };
    for (size_t i = 0; i < sizeof not_json / sizeof not_json[0]; i++) {
        int r = parse_str(not_json[i], &p);
        if (r != -EINVAL)
            fprintf(stderr, "accepted as a probe: %s\n", not_json[i]);
        TEST_EQ_INT(r, -EINVAL);
    }
    /* trailing white space is still JSON */
    TEST_EQ_INT(parse_str(PROBE("\"id\":\"" ID "\",\"host\":\"h\",\"seq\":1") " \n", &p), 0);
    /* a length shorter than the text: only those bytes are read */
    const char *good = PROBE("\"id\":\"" ID "\",\"host\":\"h\",\"seq\":1");
    TEST_EQ_INT(parse(good, strlen(good) - 1, &p), -EINVAL);
    TEST_EQ_INT(parse(good, 1, &p), -EINVAL);
    TEST_EQ_INT(parse(good, 0, &p), -EINVAL);
    TEST_EQ_INT(mo_probe_parse(good, strlen(good), &p), 0);

    static const char *const bad[] = {
        "{" TS "}",                                           /* no canary */
        "{" TS ",\"canary\":null}",                           /* canary not an object */
        "{" TS ",\"canary\":[\"" ID "\",\"h\",1]}",
        "{" TS ",\"canary\":\"" ID "\"}",
        PROBE("\"host\":\"h\",\"seq\":1"),                     /* no id */
        PROBE("\"id\":\"0123456789abcde\",\"host\":\"h\",\"seq\":1"),   /* 15 digits */
        PROBE("\"id\":\"0123456789abcdef0\",\"host\":\"h\",\"seq\":1"), /* 17 */
        PROBE("\"id\":\"\",\"host\":\"h\",\"seq\":1"),
        PROBE("\"id\":\"0123456789abcdeg\",\"host\":\"h\",\"seq\":1"),  /* not hex */
        PROBE("\"id\":\"0123456789abcde \",\"host\":\"h\",\"seq\":1"),
        PROBE("\"id\":\"0123456789ABCDEF\",\"host\":\"h\",\"seq\":1"),  /* upper case */
        PROBE("\"id\":\"0123456789abcdeF\",\"host\":\"h\",\"seq\":1"),
        PROBE("\"id\":81985529216486895,\"host\":\"h\",\"seq\":1"),     /* not a string */
        PROBE("\"id\":\"0123456789abcde\\u0000\",\"host\":\"h\",\"seq\":1"), /* 16 with a NUL */
        PROBE("\"id\":\"" ID "\",\"seq\":1"),                            /* no host */
        PROBE("\"id\":\"" ID "\",\"host\":\"\",\"seq\":1"),              /* empty */
        PROBE("\"id\":\"" ID "\",\"host\":"
              "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"seq\":1"), /* 65 bytes */
        PROBE("\"id\":\"" ID "\",\"host\":7,\"seq\":1"),
        PROBE("\"id\":\"" ID "\",\"host\":\"h\""),                       /* no seq */
        PROBE("\"id\":\"" ID "\",\"host\":\"h\",\"seq\":0"),
        PROBE("\"id\":\"" ID "\",\"host\":\"h\",\"seq\":-1"),
        PROBE("\"id\":\"" ID "\",\"host\":\"h\",\"seq\":-5"),
        PROBE("\"id\":\"" ID "\",\"host\":\"h\",\"seq\":1.5"),
        PROBE("\"id\":\"" ID "\",\"host\":\"h\",\"seq\":0.999"),
        PROBE("\"id\":\"" ID "\",\"host\":\"h\",\"seq\":\"1\""),
        PROBE("\"id\":\"" ID "\",\"host\":\"h\",\"seq\":true"),
        PROBE("\"id\":\"" ID "\",\"host\":\"h\",\"seq\":null"),
        PROBE("\"id\":\"" ID "\",\"host\":\"h\",\"seq\":1e300"),
        PROBE("\"id\":\"" ID "\",\"host\":\"h\",\"seq\":18446744073709551616"),
        "{\"canary\":{\"id\":\"" ID "\",\"host\":\"h\",\"seq\":1}}",     /* no timestamp */
        "{\"timestamp\":\"yesterday\",\"canary\":{\"id\":\"" ID "\",\"host\":\"h\",\"seq\":1}}",
        "{\"timestamp\":\"2026-12-07\",\"canary\":{\"id\":\"" ID "\",\"host\":\"h\",\"seq\":1}}",
        "{\"timestamp\":\"2026-13-07T15:47:09Z\",\"canary\":{\"id\":\"" ID "\",\"host\":\"h\",\"seq\":1}}",
        "{\"timestamp\":\"2026-12-07T15:47:09.123456Z \",\"canary\":{\"id\":\"" ID "\",\"host\":\"h\",\"seq\":1}}",
        "{\"timestamp\":1796658429,\"canary\":{\"id\":\"" ID "\",\"host\":\"h\",\"seq\":1}}",
        "{\"timestamp\":\"\",\"canary\":{\"id\":\"" ID "\",\"host\":\"h\",\"seq\":1}}",
        "{\"canary\":{\"timestamp\":\"2026-12-07T15:47:09Z\",\"id\":\"" ID "\",\"host\":\"h\",\"seq\":1}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int r = parse_str(bad[i], &p);
        if (r != -EINVAL)
            fprintf(stderr, "accepted as a probe: %s\n", bad[i]);
        TEST_EQ_INT(r, -EINVAL);
    }
    /* the edges that are accepted */
    TEST_EQ_INT(parse_str(PROBE("\"id\":\"" ID "\",\"host\":"
                                "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"seq\":1"),
                          &p),
                0); /* 64 bytes */
    TEST_EQ_INT(strlen(p.host), 64);
    TEST_EQ_INT(parse_str(PROBE("\"id\":\"" ID "\",\"host\":\"h\",\"seq\":9007199254740992"), &p), 0);
    TEST_EQ_INT(p.seq, 9007199254740992ull);
    TEST_EQ_INT(parse_str(PROBE("\"id\":\"" ID "\",\"host\":\"h\",\"seq\":3.0"), &p), 0);
    TEST_EQ_INT(p.seq, 3);
    /* the timestamp with another offset, in nanoseconds */
    TEST_EQ_INT(parse_str("{\"timestamp\":\"2026-12-07T17:47:09.123456789+02:00\",\"canary\":{\"id\":\"" ID
                          "\",\"host\":\"h\",\"seq\":1}}",
                          &p),
                0);
    TEST_EQ_INT(p.published_ns, T_NS);
    /* a clock bound that is not one is left out */
    TEST_EQ_INT(parse_str("{" TS ",\"clock_error_us\":-3,\"canary\":{\"id\":\"" ID "\",\"host\":\"h\",\"seq\":1}}", &p), 0);
    TEST_EQ_INT(p.clock_error_us, -1);
    TEST_EQ_INT(parse_str("{" TS ",\"clock_error_us\":\"3\",\"canary\":{\"id\":\"" ID "\",\"host\":\"h\",\"seq\":1}}",
                          &p),
                0);
    TEST_EQ_INT(p.clock_error_us, -1);
    TEST_EQ_INT(parse_str("{" TS ",\"clock_error_us\":0,\"canary\":{\"id\":\"" ID "\",\"host\":\"h\",\"seq\":1}}", &p), 0);
    TEST_EQ_INT(p.clock_error_us, 0);
#undef PROBE
#undef TS
}

static void test_len_max(void)
{
    char buf[MO_PROBE_SIZE_MAX + 1], host[MO_PROBE_HOST_MAX + 1];
    int bad = 0;
    for (size_t len = 1; len <= MO_PROBE_HOST_MAX; len++) {
        memset(host, 'h', len);
        host[len] = '\0';
        /* the widest: 20-digit seq, the widest bound, any instant */
        static const int64_t when[] = {INT64_MIN, -1, 0, T_NS, INT64_MAX};
        for (size_t w = 0; w < sizeof when / sizeof when[0]; w++) {
            long n = mo_probe_build(buf, sizeof buf, ID, host, UINT64_MAX, when[w], INT64_MAX, 0);
            if (n < 0 || (size_t)n > mo_probe_len_max(len, 0))
                bad++;
            n = mo_probe_build(buf, sizeof buf, ID, host, 1, when[w], -1, 0);
            if (n < 0 || (size_t)n > mo_probe_len_max(len, 0))
                bad++;
        }
        /* and with a size: what the size is, or the unpadded longest */
        for (size_t size = 100; size <= MO_PROBE_SIZE_MAX; size += 97) {
            long n = mo_probe_build(buf, sizeof buf, ID, host, UINT64_MAX, T_NS, INT64_MAX, size);
            size_t max = mo_probe_len_max(len, size);
            if (max < size || (n >= 0 && (size_t)n > max) || (n < 0 && max == size))
                bad++;
        }
        /* no wider than it must be: within a byte of the longest real one */
        long n = mo_probe_build(buf, sizeof buf, ID, host, UINT64_MAX, T_NS, INT64_MAX, 0);
        if ((size_t)n + 1 < mo_probe_len_max(len, 0))
            bad++;
    }
    TEST_EQ_INT(bad, 0);
    TEST_EQ_INT(mo_probe_len_max(5, MO_PROBE_SIZE_MAX), MO_PROBE_SIZE_MAX);
}

static void test_host_clean(void)
{
    char out[MO_PROBE_HOST_MAX + 1];
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"web-1.example.com", "web-1.example.com"},
        {"Host_9", "Host_9"},
        {"a b/c:d", "a_b_c_d"},
        {"\"quoted\"\\", "_quoted__"},
        {"tab\there\n", "tab_here_"},
        {"h\xc3\xa9", "h__"}, /* each byte of a UTF-8 letter */
        {"\x7f\x01", "__"},
        {"", "unknown"},
        {"_", "_"},
        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaabbbbbb",
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memset(out, '#', sizeof out);
        mo_probe_host_clean(cases[i].in, out);
        TEST_EQ_STR(out, cases[i].out);
    }
    mo_probe_host_clean(NULL, out);
    TEST_EQ_STR(out, "unknown");
    /* a cleaned name of every length builds a probe that reads back the same */
    char name[200], buf[MO_PROBE_SIZE_MAX + 1];
    int bad = 0;
    for (size_t len = 0; len < sizeof name; len++) {
        for (size_t i = 0; i < len; i++)
            name[i] = (char)(1 + (i * 37) % 255);
        name[len] = '\0';
        mo_probe_host_clean(name, out);
        struct mo_probe p;
        long n = mo_probe_build(buf, sizeof buf, ID, out, 1, T_NS, -1, 0);
        if (strlen(out) > MO_PROBE_HOST_MAX || strlen(out) == 0 || n < 0 || !strict_json(buf, (size_t)n) ||
            parse(buf, (size_t)n, &p) != 0 || strcmp(p.host, out) != 0)
            bad++;
    }
    TEST_EQ_INT(bad, 0);
}

int main(void)
{
    test_build();
    test_padding();
    test_roundtrip();
    test_parse_rejects();
    test_len_max();
    test_host_clean();
    return test_result("test-canary-probe");
}
