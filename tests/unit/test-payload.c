/* Unit tests for momento-publish's message bodies. */
#include <config.h>

#include <errno.h>
#include <string.h>

#include "payload.h"
#include "test.h"

/* 2026-11-23T03:17:57.123456789Z */
#define T_NS 1795403877123456789LL

static void test_formats(void)
{
    char buf[512];
    struct payload_spec s = {.format = PAYLOAD_SEED};
    long n = payload_build(&s, 7, T_NS, -1, buf, sizeof buf);
    TEST_EQ_STR(buf, "{\"key_one\":\"KeyOne\",\"key_two\":\"KeyTwo\",\"key_three\":7,"
                     "\"timestamp\":\"2026-11-23T03:17:57.123456Z\"}");
    TEST_EQ_INT(n, (long)strlen(buf));
    TEST_EQ_INT(payload_unpadded_len(&s, 7, T_NS, -1), n);

    s.format = PAYLOAD_EPOCH_MS;
    n = payload_build(&s, 12345, T_NS, -1, buf, sizeof buf);
    TEST_EQ_STR(buf, "{\"key_one\":\"KeyOne\",\"key_two\":\"KeyTwo\",\"key_three\":12345,"
                     "\"published_ms\":1795403877123}");
    TEST_EQ_INT(n, (long)strlen(buf));

    /* milliseconds round towards the past, also before 1970 */
    n = payload_build(&s, 1, -1, -1, buf, sizeof buf);
    TEST_CONTAINS(buf, "\"published_ms\":-1}");

    s.format = PAYLOAD_TEXT;
    n = payload_build(&s, 1, T_NS, -1, buf, sizeof buf);
    TEST_EQ_STR(buf, "2026-11-23T03:17:57.123456Z");
    TEST_EQ_INT(n, 27);

    s = (struct payload_spec){.format = PAYLOAD_LITERAL, .literal = "hello world"};
    n = payload_build(&s, 99, T_NS, -1, buf, sizeof buf);
    TEST_EQ_STR(buf, "hello world");
    TEST_EQ_INT(payload_unpadded_len(&s, 99, T_NS, -1), 11);
}

static void test_names(void)
{
    enum payload_format f;
    TEST_EQ_INT(payload_format_parse("seed", &f), 0);
    TEST_EQ_INT(f, PAYLOAD_SEED);
    TEST_EQ_INT(payload_format_parse("epoch_ms", &f), 0);
    TEST_EQ_INT(f, PAYLOAD_EPOCH_MS);
    TEST_EQ_INT(payload_format_parse("text", &f), 0);
    TEST_EQ_INT(f, PAYLOAD_TEXT);
    TEST_EQ_INT(payload_format_parse("json", &f), -EINVAL);
    TEST_EQ_INT(payload_format_parse("", &f), -EINVAL);
    TEST_EQ_STR(payload_format_name(PAYLOAD_EPOCH_MS), "epoch_ms");
}

static void test_padding(void)
{
    char buf[2048];
    struct payload_spec s = {.format = PAYLOAD_SEED};
    size_t base = payload_unpadded_len(&s, 3, T_NS, -1);

    /* exactly the unpadded size: nothing added */
    s.size = base;
    TEST_EQ_INT(payload_build(&s, 3, T_NS, -1, buf, sizeof buf), (long)base);
    TEST_CHECK(buf[base - 1] == '}');

    /* one byte short: an error, not a truncated message */
    s.size = base - 1;
    TEST_EQ_INT(payload_build(&s, 3, T_NS, -1, buf, sizeof buf), -EMSGSIZE);

    /* too little room for a member: spaces before the brace */
    s.size = base + PAYLOAD_PAD_FIELD_LEN - 1;
    TEST_EQ_INT(payload_build(&s, 3, T_NS, -1, buf, sizeof buf), (long)s.size);
    TEST_EQ_INT(strlen(buf), s.size);
    TEST_CHECK(strstr(buf, "Z\"            }") != NULL);

    /* the smallest padding member, then a longer one */
    s.size = base + PAYLOAD_PAD_FIELD_LEN;
    TEST_EQ_INT(payload_build(&s, 3, T_NS, -1, buf, sizeof buf), (long)s.size);
    TEST_CHECK(strstr(buf, "Z\",\"padding\":\"\"}") != NULL);
    TEST_EQ_INT(strlen(buf), s.size);

    s.size = 1000;
    TEST_EQ_INT(payload_build(&s, 3, T_NS, -1, buf, sizeof buf), 1000);
    TEST_EQ_INT(strlen(buf), 1000);
    TEST_CHECK(strncmp(buf, "{\"key_one\":\"KeyOne\"", 19) == 0);
    TEST_CHECK(strstr(buf, ",\"padding\":\"xxx") != NULL);
    TEST_CHECK(strcmp(buf + 998, "\"}") == 0);

    /* the same size whatever the sequence number's width */
    TEST_EQ_INT(payload_build(&s, 123456789, T_NS, -1, buf, sizeof buf), 1000);
    TEST_EQ_INT(strlen(buf), 1000);

    /* text and literal: trailing spaces */
    s = (struct payload_spec){.format = PAYLOAD_TEXT, .size = 30};
    TEST_EQ_INT(payload_build(&s, 1, T_NS, -1, buf, sizeof buf), 30);
    TEST_EQ_STR(buf, "2026-11-23T03:17:57.123456Z   ");
    s = (struct payload_spec){.format = PAYLOAD_LITERAL, .literal = "hi", .size = 4};
    TEST_EQ_INT(payload_build(&s, 1, T_NS, -1, buf, sizeof buf), 4);
    TEST_EQ_STR(buf, "hi  ");
    s.size = 1;
    TEST_EQ_INT(payload_build(&s, 1, T_NS, -1, buf, sizeof buf), -EMSGSIZE);

    /* a buffer that cannot hold the result */
    s = (struct payload_spec){.format = PAYLOAD_TEXT, .size = 100};
    TEST_EQ_INT(payload_build(&s, 1, T_NS, -1, buf, 50), -ENOBUFS);
    s.size = 0;
    TEST_EQ_INT(payload_build(&s, 1, T_NS, -1, buf, 10), -ENOBUFS);
}

/* The JSON formats carry this host's clock bound; an exact size wins over it. */
static void test_bound(void)
{
    char buf[512];
    struct payload_spec s = {.format = PAYLOAD_SEED};
    long n = payload_build(&s, 7, T_NS, 350, buf, sizeof buf);
    TEST_CHECK(n > 0 && strstr(buf, "\",\"clock_error_us\":350}") != NULL);
    TEST_EQ_INT(payload_unpadded_len(&s, 7, T_NS, 350), n);
    TEST_EQ_INT(payload_unpadded_len(&s, 7, T_NS, -1), n - (long)strlen(",\"clock_error_us\":350"));
    s.format = PAYLOAD_EPOCH_MS;
    n = payload_build(&s, 7, T_NS, 0, buf, sizeof buf);
    TEST_CHECK(n > 0 && strstr(buf, ",\"clock_error_us\":0}") != NULL);
    s.format = PAYLOAD_TEXT; /* the time alone: no room for a bound */
    n = payload_build(&s, 7, T_NS, 350, buf, sizeof buf);
    TEST_CHECK(n > 0 && strstr(buf, "clock_error_us") == NULL);
    /* padded: the bound is inside the exact size; too small for it, left out */
    s.format = PAYLOAD_SEED;
    s.size = 200;
    TEST_EQ_INT(payload_build(&s, 7, T_NS, 350, buf, sizeof buf), 200);
    TEST_CHECK(strstr(buf, ",\"clock_error_us\":350,\"padding\":\"") != NULL);
    s.size = payload_unpadded_len(&s, 7, T_NS, -1);
    TEST_EQ_INT(payload_build(&s, 7, T_NS, 350, buf, sizeof buf), (long)s.size);
    TEST_CHECK(strstr(buf, "clock_error_us") == NULL);
}

int main(void)
{
    test_bound();
    test_formats();
    test_names();
    test_padding();
    return test_result("test-payload");
}
