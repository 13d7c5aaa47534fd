/* Unit tests for event rendering: JSON lines, journal fields, text. */
#include <config.h>

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "event.h"
#include "test.h"

static const int64_t TS = 1763867877123456789LL; /* 2025-11-23T03:17:57.123456789Z */

static struct mo_event sample(void)
{
    struct mo_event e;
    mo_event_init(&e, MO_EV_MESSAGE, "prices", "eu \"quoted\"\n");
    mo_event_uint(&e, "seq", 18446744073709551615ULL);
    mo_event_uint(&e, "page", 7);
    mo_event_str(&e, "kind", "text");
    mo_event_int(&e, "latency_us", -1234);
    mo_event_bool(&e, "clock_synced", true);
    mo_event_double(&e, "rate_per_s", 812.5);
    mo_event_msg(&e, "prices/eu #%d: %s ms", 42, "-1.234");
    return e;
}

static void test_json(void)
{
    struct mo_event e = sample();
    char buf[4096];
    int n = mo_event_render_json(&e, TS, buf, sizeof buf);
    TEST_CHECK(n > 0);
    TEST_CHECK(strchr(buf, '\n') == NULL); /* one line, even with a newline in a value */
    cJSON *o = cJSON_Parse(buf);
    TEST_CHECK(o != NULL);
    if (!o)
        return;
    TEST_EQ_STR(cJSON_GetObjectItem(o, "ts")->valuestring, "2025-11-23T03:17:57.123456Z");
    TEST_EQ_STR(cJSON_GetObjectItem(o, "event")->valuestring, "message");
    TEST_EQ_STR(cJSON_GetObjectItem(o, "level")->valuestring, "info");
    TEST_EQ_STR(cJSON_GetObjectItem(o, "message")->valuestring, "prices/eu #42: -1.234 ms");
    TEST_EQ_STR(cJSON_GetObjectItem(o, "cache")->valuestring, "prices");
    TEST_EQ_STR(cJSON_GetObjectItem(o, "topic")->valuestring, "eu \"quoted\"\n");
    TEST_EQ_INT(cJSON_GetObjectItem(o, "latency_us")->valuedouble, -1234);
    TEST_CHECK(cJSON_IsTrue(cJSON_GetObjectItem(o, "clock_synced")));
    TEST_CHECK(cJSON_GetObjectItem(o, "rate_per_s")->valuedouble == 812.5);
    /* 64-bit integers are written exactly, not through a double */
    TEST_CONTAINS(buf, "\"seq\":18446744073709551615");
    struct mo_event x;
    mo_event_init(&x, MO_EV_GAP, NULL, NULL);
    mo_event_int(&x, "min", INT64_MIN);
    mo_event_int(&x, "zero", 0);
    mo_event_uint(&x, "uzero", 0);
    mo_event_str(&x, "ctl", "a\tb\x01" "c\\d");
    TEST_CHECK(mo_event_render_json(&x, TS, buf, sizeof buf) > 0);
    TEST_CONTAINS(buf, "\"min\":-9223372036854775808,\"zero\":0,\"uzero\":0,");
    TEST_CONTAINS(buf, "\"ctl\":\"a\\tb\\u0001c\\\\d\"");
    cJSON_Delete(o);
    /* too small a buffer fails instead of producing half a line */
    TEST_EQ_INT(mo_event_render_json(&e, TS, buf, 20), -1);
}

static const char *iov_get(struct iovec *iov, int n, const char *key)
{
    static char out[512];
    size_t kl = strlen(key);
    for (int i = 0; i < n; i++)
        if (iov[i].iov_len > kl && memcmp(iov[i].iov_base, key, kl) == 0 &&
            ((char *)iov[i].iov_base)[kl] == '=') {
            size_t vl = iov[i].iov_len - kl - 1;
            memcpy(out, (char *)iov[i].iov_base + kl + 1, vl);
            out[vl] = '\0';
            return out;
        }
    return NULL;
}

static void test_journal(void)
{
    struct mo_event e = sample();
    struct iovec iov[64];
    char storage[8192];
    int n = mo_event_render_journal(&e, iov, 64, storage, sizeof storage);
    TEST_CHECK(n > 0);
    TEST_EQ_STR(iov_get(iov, n, "MESSAGE"), "prices/eu #42: -1.234 ms");
    TEST_EQ_STR(iov_get(iov, n, "PRIORITY"), "6");
    TEST_EQ_STR(iov_get(iov, n, "MESSAGE_ID"), mo_event_message_id(MO_EV_MESSAGE));
    TEST_EQ_STR(iov_get(iov, n, "EVENT"), "message");
    TEST_EQ_STR(iov_get(iov, n, "LEVEL"), "info");
    TEST_EQ_STR(iov_get(iov, n, "CACHE"), "prices");
    TEST_EQ_STR(iov_get(iov, n, "SEQ"), "18446744073709551615");
    TEST_EQ_STR(iov_get(iov, n, "LATENCY_US"), "-1234");
    TEST_EQ_STR(iov_get(iov, n, "CLOCK_SYNCED"), "true");
    TEST_EQ_STR(iov_get(iov, n, "SYSLOG_IDENTIFIER"), "momento-subscriberd");
    TEST_EQ_INT(mo_event_render_journal(&e, iov, 64, storage, 40), -1);
    TEST_EQ_INT(mo_event_render_journal(&e, iov, 3, storage, sizeof storage), -1);

    struct mo_event w;
    mo_event_init(&w, MO_EV_GAP, "c", "t");
    n = mo_event_render_journal(&w, iov, 64, storage, sizeof storage);
    TEST_EQ_STR(iov_get(iov, n, "PRIORITY"), "4");
    mo_event_init(&w, MO_EV_AUTH_ERROR, "c", "t");
    n = mo_event_render_journal(&w, iov, 64, storage, sizeof storage);
    TEST_EQ_STR(iov_get(iov, n, "PRIORITY"), "3");
    mo_event_init(&w, MO_EV_CONFIG_RELOADED, NULL, NULL);
    n = mo_event_render_journal(&w, iov, 64, storage, sizeof storage);
    TEST_EQ_STR(iov_get(iov, n, "PRIORITY"), "5");
    TEST_CHECK(iov_get(iov, n, "CACHE") == NULL);
}

static void test_text(void)
{
    struct mo_event e = sample();
    char buf[512];
    TEST_CHECK(mo_event_render_text(&e, TS, buf, sizeof buf) > 0);
    TEST_EQ_STR(buf, "2025-11-23T03:17:57.123Z info    prices/eu #42: -1.234 ms");
}

static void test_ids(void)
{
    /* every type has a distinct 128-bit id in journald's format */
    for (int a = 0; a < MO_EV__COUNT; a++) {
        const char *id = mo_event_message_id(a);
        TEST_EQ_INT(strlen(id), 32);
        TEST_CHECK(strspn(id, "0123456789abcdef") == 32);
        for (int b = 0; b < a; b++)
            TEST_CHECK(strcmp(id, mo_event_message_id(b)) != 0);
    }
    enum mo_log_format f;
    TEST_EQ_INT(mo_log_format_parse("journal", &f), 0);
    TEST_EQ_INT(f, MO_LOG_JOURNAL);
    TEST_EQ_INT(mo_log_format_parse("xml", &f), -22);
    unsetenv("JOURNAL_STREAM");
    TEST_EQ_INT(mo_event_default_format(), MO_LOG_JSON);
    setenv("JOURNAL_STREAM", "1:2", 1);
    TEST_EQ_INT(mo_event_default_format(), MO_LOG_JSON); /* stderr is not that stream */
}

static void test_utf8(void)
{
    /* bytes from the network that are not UTF-8 still give a valid JSON line */
    struct mo_event e;
    mo_event_init(&e, MO_EV_MESSAGE, "c", "t");
    mo_event_str(&e, "publisher_id", "ok\xc3\xa9-\xff\xfe-\xed\xa0\x80-\xf0\x9f\x98\x80");
    mo_event_msg(&e, "bad \xc0\xaf");
    char buf[1024];
    TEST_CHECK(mo_event_render_json(&e, TS, buf, sizeof buf) > 0);
    cJSON *o = cJSON_Parse(buf);
    TEST_CHECK(o != NULL);
    if (!o)
        return;
    /* valid sequences kept (e-acute, an emoji), each invalid byte replaced by U+FFFD */
    TEST_EQ_STR(cJSON_GetObjectItem(o, "publisher_id")->valuestring,
                "ok\xc3\xa9-\xef\xbf\xbd\xef\xbf\xbd-\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd-\xf0\x9f\x98\x80");
    TEST_EQ_STR(cJSON_GetObjectItem(o, "message")->valuestring, "bad \xef\xbf\xbd\xef\xbf\xbd");
    cJSON_Delete(o);
}

/* Runs fn with stdout redirected to a temporary file; returns what it wrote. */
static char *capture_stdout(void (*fn)(void))
{
    static char out[8192];
    char path[] = "/tmp/test-event.XXXXXX";
    int fd = mkstemp(path);
    TEST_CHECK(fd >= 0);
    unlink(path);
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    dup2(fd, STDOUT_FILENO);
    fn();
    mo_event_flush();
    dup2(saved, STDOUT_FILENO);
    close(saved);
    ssize_t n = pread(fd, out, sizeof out - 1, 0);
    close(fd);
    out[n > 0 ? n : 0] = '\0';
    return out;
}

static void raw_lines(void)
{
    static const char doc[] = "{\"_aws\":{\"Timestamp\":1},\"count\":3}";
    TEST_EQ_INT(mo_event_emit_raw(MO_EV_EMF, doc, strlen(doc)), 0);
    TEST_EQ_INT(mo_event_emit_raw(MO_EV_EMF, "a\nb", 3), -EINVAL);
    TEST_EQ_INT(mo_event_emit_raw(MO_EV_EMF, doc, 9), 0);
}

static void test_raw(void)
{
    /* the JSON and text sinks write the line itself, nothing added but the newline */
    mo_event_set_format(MO_LOG_JSON);
    TEST_EQ_STR(capture_stdout(raw_lines),
                "{\"_aws\":{\"Timestamp\":1},\"count\":3}\n{\"_aws\":{\n");
    mo_event_set_format(MO_LOG_TEXT);
    TEST_EQ_STR(capture_stdout(raw_lines),
                "{\"_aws\":{\"Timestamp\":1},\"count\":3}\n{\"_aws\":{\n");
    TEST_EQ_STR(mo_event_message_id(MO_EV_EMF), "41083ef8aa124193ba1278936ae3dbcd");
}

int main(void)
{
    test_json();
    test_utf8();
    test_journal();
    test_text();
    test_ids();
    test_raw();
    return test_result("test-event");
}
