/* Unit tests for event rendering: JSON lines, journal fields, text. */
#include <config.h>

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <strings.h>
#include <unistd.h>

#include "log/event.h"
#include "log/jsonw.h"
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
    /* the sentence shows the bytes instead (test_sentence) */
    TEST_EQ_STR(cJSON_GetObjectItem(o, "message")->valuestring, "bad \\xc0\\xaf");
    cJSON_Delete(o);
}

/* ---- every line valid UTF-8 JSON, whatever the bytes of a string ---- */

/* Length of the well-formed UTF-8 sequence at p (Unicode 15, table 3-7), 0
 * if none starts there. Written from the table, independently of event.c. */
static size_t wellformed(const unsigned char *p)
{
    static const struct {
        unsigned char lo, hi;    /* the first byte */
        unsigned char lo2, hi2;  /* the second */
        int len;
    } rows[] = {
        {0x01, 0x7f, 0, 0, 1},       {0xc2, 0xdf, 0x80, 0xbf, 2}, {0xe0, 0xe0, 0xa0, 0xbf, 3},
        {0xe1, 0xec, 0x80, 0xbf, 3}, {0xed, 0xed, 0x80, 0x9f, 3}, {0xee, 0xef, 0x80, 0xbf, 3},
        {0xf0, 0xf0, 0x90, 0xbf, 4}, {0xf1, 0xf3, 0x80, 0xbf, 4}, {0xf4, 0xf4, 0x80, 0x8f, 4},
    };
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        if (p[0] < rows[r].lo || p[0] > rows[r].hi)
            continue;
        if (rows[r].len == 1)
            return 1;
        if (p[1] < rows[r].lo2 || p[1] > rows[r].hi2)
            return 0;
        for (int i = 2; i < rows[r].len; i++)
            if (p[i] < 0x80 || p[i] > 0xbf)
                return 0;
        return (size_t)rows[r].len;
    }
    return 0;
}

/* True when s is well-formed UTF-8 with no control character (what a JSON
 * text may hold unescaped). */
static bool strict_json_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        size_t n = wellformed(p);
        if (n == 0 || *p < 0x20)
            return false;
        p += n;
    }
    return true;
}

/* What the JSON string decodes to: well-formed sequences as they are, every
 * other byte U+FFFD. */
static void expected_value(const unsigned char *in, char *out)
{
    while (*in) {
        size_t n = wellformed(in);
        if (n) {
            memcpy(out, in, n);
            out += n;
            in += n;
        } else {
            memcpy(out, "\xef\xbf\xbd", 3);
            out += 3;
            in++;
        }
    }
    *out = '\0';
}

static int utf8_failures;

static void utf8_case(const unsigned char *in)
{
    struct mo_event e;
    mo_event_init(&e, MO_EV_MESSAGE, "c", "t");
    mo_event_str(&e, "publisher_id", (const char *)in);
    char line[512], want[64];
    bool ok = mo_event_render_json(&e, TS, line, sizeof line) > 0 && strict_json_utf8(line);
    cJSON *o = ok ? cJSON_Parse(line) : NULL;
    cJSON *v = o ? cJSON_GetObjectItem(o, "publisher_id") : NULL;
    expected_value(in, want);
    if (!v || !cJSON_IsString(v) || strcmp(v->valuestring, want) != 0) {
        if (utf8_failures++ < 10) {
            fprintf(stderr, "utf8: input");
            for (const unsigned char *p = in; *p; p++)
                fprintf(stderr, " %02x", *p);
            fprintf(stderr, " gives %s\n", line);
        }
    }
    cJSON_Delete(o);
}

static void test_utf8_exhaustive(void)
{
    unsigned char in[8];
    /* every string of one and two bytes: each lead byte alone, cut short at
     * the end of the string, and followed by every byte */
    for (int a = 1; a < 256; a++) {
        in[0] = (unsigned char)a;
        in[1] = 0;
        utf8_case(in);
        for (int b = 1; b < 256; b++) {
            in[1] = (unsigned char)b;
            in[2] = 0;
            utf8_case(in);
        }
    }
    /* every lead byte from 0xc0 with every second byte and third bytes at the
     * edges of the continuation range: overlongs (c0, c1, e0 80-9f, f0 80-8f),
     * surrogates (ed a0-bf), beyond U+10FFFF (f4 90-bf, f5-ff) */
    static const unsigned char thirds[] = {0x41, 0x7f, 0x80, 0x9f, 0xa0, 0xbf, 0xc0, 0xff};
    for (int a = 0xc0; a < 256; a++)
        for (int b = 1; b < 256; b++)
            for (size_t c = 0; c < sizeof thirds; c++) {
                in[0] = (unsigned char)a, in[1] = (unsigned char)b, in[2] = thirds[c], in[3] = 0;
                utf8_case(in);
                in[3] = 0xbf, in[4] = 0x42, in[5] = 0; /* four bytes, then ASCII */
                utf8_case(in);
            }
    /* four-byte leads, complete, cut short at each byte, and between ASCII */
    for (int a = 0xf0; a < 256; a++)
        for (int b = 0x7f; b <= 0xc0; b++) {
            unsigned char seq[] = {'A', (unsigned char)a, (unsigned char)b, 0x80, 0xbf, 'B', 0};
            utf8_case(seq);
            for (int cut = 2; cut <= 5; cut++) {
                unsigned char t[8];
                memcpy(t, seq, (size_t)cut);
                t[cut] = 0;
                utf8_case(t);
            }
        }
    TEST_EQ_INT(utf8_failures, 0);

    /* the report's case: a lead byte of a five-byte form, which UTF-8 no longer has */
    struct mo_event e;
    mo_event_init(&e, MO_EV_MESSAGE, "c", "t");
    mo_event_str(&e, "publisher_id", "A\xf8\x80\x80" "B");
    char line[512];
    TEST_CHECK(mo_event_render_json(&e, TS, line, sizeof line) > 0);
    TEST_CONTAINS(line, "\"publisher_id\":\"A\\ufffd\\ufffd\\ufffdB\"");
}

/* ---- sentences: what came from outside is shown, never obeyed ---- */

/* True when s holds nothing a terminal acts on: no C0 or C1 control, no
 * DEL, no bidirectional override, and only well-formed UTF-8. */
static bool terminal_safe(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        size_t n = wellformed(p);
        if (n == 0 || *p < 0x20 || *p == 0x7f)
            return false;
        if (n == 2 && p[0] == 0xc2 && p[1] < 0xa0)
            return false; /* U+0080-U+009F */
        if (n == 3 && p[0] == 0xe2 && p[1] == 0x80 && (p[2] >= 0xa8 && p[2] <= 0xae))
            return false; /* U+2028-U+202E */
        if (n == 3 && p[0] == 0xe2 && p[1] == 0x81 && (p[2] >= 0xa6 && p[2] <= 0xa9))
            return false; /* U+2066-U+2069 */
        p += n;
    }
    return true;
}

static void test_sentence(void)
{
    /* a server's details: clear the screen, forge a second line, ring, a C1
     * CSI, a right-to-left override, a byte that is not UTF-8 */
    static const char details[] = "x\x1b[2J\r\nFAKE\tline\x07\x7f \xc2\x9b" "31m \xe2\x80\xae" "gnp.exe "
                                  "\xff caf\xc3\xa9 \\ end";
    struct mo_event e;
    mo_event_init(&e, MO_EV_AUTH_ERROR, "c", "t");
    mo_event_str(&e, "details", details);
    mo_event_msg(&e, "c/t: UNAUTHENTICATED (%s): check the key", details);
    static const char shown[] = "c/t: UNAUTHENTICATED (x\\x1b[2J\\x0d\\x0aFAKE\\x09line\\x07\\x7f "
                                "\\u009b31m \\u202egnp.exe \\xff caf\xc3\xa9 \\ end): check the key";
    TEST_EQ_STR(e.msg, shown);

    char buf[2048];
    TEST_CHECK(mo_event_render_text(&e, TS, buf, sizeof buf) > 0);
    TEST_CHECK(terminal_safe(buf));
    TEST_CONTAINS(buf, shown);

    struct iovec iov[64];
    char storage[8192];
    int n = mo_event_render_journal(&e, iov, 64, storage, sizeof storage);
    TEST_CHECK(n > 0);
    TEST_CHECK(terminal_safe(iov_get(iov, n, "MESSAGE")));
    TEST_EQ_STR(iov_get(iov, n, "DETAILS"), details); /* the field keeps every byte */

    TEST_CHECK(mo_event_render_json(&e, TS, buf, sizeof buf) > 0);
    cJSON *o = cJSON_Parse(buf);
    TEST_CHECK(o != NULL);
    if (o) {
        TEST_EQ_STR(cJSON_GetObjectItem(o, "message")->valuestring, shown);
        TEST_CHECK(terminal_safe(cJSON_GetObjectItem(o, "message")->valuestring));
        cJSON_Delete(o);
    }

    /* an escape never grows the sentence past its buffer, nor cuts a sequence */
    char big[700];
    memset(big, '\x1b', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    mo_event_msg(&e, "%s", big);
    TEST_CHECK(strlen(e.msg) < sizeof e.msg);
    TEST_CHECK(strlen(e.msg) % 4 == 0 && terminal_safe(e.msg));
    memset(big, 'a', sizeof big - 1);
    memcpy(big + 509, "\xe2\x82\xac", 3);
    mo_event_msg(&e, "%s", big);
    TEST_CHECK(terminal_safe(e.msg));
}

/* Runs fn with stdout redirected to a temporary file; returns what it wrote. */
static char *capture_stdout(void (*fn)(void))
{
    static char out[65536];
    char path[] = "/tmp/test-event.XXXXXX";
    int fd = mkstemp(path);
    TEST_CHECK(fd >= 0);
    unlink(path);
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    dup2(fd, STDOUT_FILENO);
    fn();
    TEST_EQ_INT(mo_event_close(5000000), 0); /* the writer thread has written it all */
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
    TEST_EQ_INT(mo_event_set_format(MO_LOG_JSON), 0);
    TEST_EQ_STR(capture_stdout(raw_lines),
                "{\"_aws\":{\"Timestamp\":1},\"count\":3}\n{\"_aws\":{\n");
    TEST_EQ_INT(mo_event_set_format(MO_LOG_TEXT), 0);
    TEST_EQ_STR(capture_stdout(raw_lines),
                "{\"_aws\":{\"Timestamp\":1},\"count\":3}\n{\"_aws\":{\n");
    TEST_EQ_STR(mo_event_message_id(MO_EV_EMF), "625d4ce896864bb3b50610a620b5c861");
}

/* ---- the field limit: an event never loses a field silently ---- */

static char keys[80][8];

/* An event of type t with cache/topic and `extra` more fields f0, f1, ... */
static void wide(struct mo_event *e, enum mo_event_type t, const char *cache, int extra)
{
    mo_event_init(e, t, cache, cache);
    for (int i = 0; i < extra; i++) {
        snprintf(keys[i], sizeof keys[i], "f%d", i);
        mo_event_uint(e, keys[i], (uint64_t)i);
    }
    mo_event_msg(e, "wide");
}

static void wide_lines(void)
{
    struct mo_event e;
    wide(&e, MO_EV_SUMMARY, "c", 62); /* 64 fields: all of them go out */
    TEST_EQ_INT(mo_event_emit(&e), 0);
    wide(&e, MO_EV_SUMMARY, "c", 68); /* 70: six too many, and said */
    TEST_EQ_INT(mo_event_emit(&e), 0);
    wide(&e, MO_EV_SUMMARY, "d", 66); /* the same type again: counted, not said again */
    TEST_EQ_INT(mo_event_emit(&e), 0);
    wide(&e, MO_EV_CONFIG_RELOADED, NULL, 70); /* another type: said for it too */
    TEST_EQ_INT(mo_event_emit(&e), 0);
    wide(&e, MO_EV_SUMMARY, "*", 0); /* the total carries the count since the last */
    TEST_EQ_INT(mo_event_emit(&e), 0);
    wide(&e, MO_EV_SUMMARY, "*", 0);
    TEST_EQ_INT(mo_event_emit(&e), 0);
}

/* The JSON object of the n-th line of out (0-based) that has "event":ev. */
static cJSON *nth_event(const char *out, const char *ev, int n)
{
    for (const char *s = out; *s;) {
        const char *nl = strchr(s, '\n');
        size_t len = nl ? (size_t)(nl - s) : strlen(s);
        cJSON *o = cJSON_ParseWithLength(s, len);
        cJSON *t = o ? cJSON_GetObjectItem(o, "event") : NULL;
        if (t && cJSON_IsString(t) && strcmp(t->valuestring, ev) == 0 && n-- == 0)
            return o;
        cJSON_Delete(o);
        s += len + (nl != NULL);
    }
    return NULL;
}

static double num(const cJSON *o, const char *key)
{
    const cJSON *v = o ? cJSON_GetObjectItem(o, key) : NULL;
    return v && cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static const char *str(const cJSON *o, const char *key)
{
    const cJSON *v = o ? cJSON_GetObjectItem(o, key) : NULL;
    return v && cJSON_IsString(v) ? v->valuestring : NULL;
}

static void test_field_limit(void)
{
    /* the widest event, the summary, has some 42 fields (more to come): the
     * limit leaves room for 16 more */
    TEST_CHECK(MO_EVENT_MAX_FIELDS >= 42 + 16);
    TEST_EQ_INT(mo_event_set_format(MO_LOG_JSON), 0);
    const char *out = capture_stdout(wide_lines);

    cJSON *full = nth_event(out, "summary", 0);
    TEST_EQ_INT(num(full, "f61"), 61); /* 64 fields, every one written */
    cJSON_Delete(full);
    cJSON *cut = nth_event(out, "summary", 1);
    TEST_EQ_INT(num(cut, "f61"), 61);
    TEST_CHECK(cut && !cJSON_GetObjectItem(cut, "f62"));
    cJSON_Delete(cut);

    /* said once per event type, naming it */
    cJSON *w = nth_event(out, "fields_dropped", 0);
    TEST_EQ_STR(str(w, "level"), "warning");
    TEST_EQ_STR(str(w, "event_type"), "summary");
    TEST_EQ_INT(num(w, "dropped"), 6);
    TEST_EQ_STR(str(w, "first_dropped"), "f62");
    TEST_EQ_INT(num(w, "limit"), 64);
    cJSON_Delete(w);
    w = nth_event(out, "fields_dropped", 1);
    TEST_EQ_STR(str(w, "event_type"), "config_reloaded");
    TEST_EQ_INT(num(w, "dropped"), 6);
    cJSON_Delete(w);
    TEST_CHECK(nth_event(out, "fields_dropped", 2) == NULL);

    /* counted: 6 + 4 + 6 in the first total, none since in the next */
    cJSON *t = nth_event(out, "summary", 3);
    TEST_EQ_STR(str(t, "cache"), "*");
    TEST_EQ_INT(num(t, "event_fields_dropped"), 16);
    cJSON_Delete(t);
    t = nth_event(out, "summary", 4);
    TEST_EQ_INT(num(t, "event_fields_dropped"), 0);
    cJSON_Delete(t);
    /* only the total carries it */
    full = nth_event(out, "summary", 0);
    TEST_CHECK(full && !cJSON_GetObjectItem(full, "event_fields_dropped"));
    cJSON_Delete(full);
}

/* ---- a journal record made a JSON line again, for the journal's fallback ---- */

/* The record in the native protocol, as the sink writes it (written here
 * from the protocol's description). */
static size_t native(const struct iovec *iov, int n, char *out)
{
    size_t o = 0;
    for (int i = 0; i < n; i++) {
        const char *f = iov[i].iov_base, *eq = memchr(f, '=', iov[i].iov_len);
        size_t kl = (size_t)(eq - f), vl = iov[i].iov_len - kl - 1;
        if (!memchr(eq + 1, '\n', vl)) {
            memcpy(out + o, f, iov[i].iov_len);
            o += iov[i].iov_len;
        } else {
            memcpy(out + o, f, kl);
            o += kl;
            out[o++] = '\n';
            for (int b = 0; b < 8; b++)
                out[o++] = (char)((uint64_t)vl >> (8 * b));
            memcpy(out + o, eq + 1, vl);
            o += vl;
        }
        out[o++] = '\n';
    }
    return o;
}

/* The JSON line from e's journal record and the meta mo_event_emit gives
 * it, against the line the json format writes for e. */
static void same_line(const struct mo_event *e)
{
    struct iovec iov[80];
    static char storage[8192], rec[16384], line[65536], want[8192];
    int n = mo_event_render_journal(e, iov, 80, storage, sizeof storage);
    TEST_CHECK(n >= 6);
    if (n < 6)
        return;
    /* the header is 6 fields, then the event's, in order (the meta counts on it) */
    TEST_EQ_INT(n, 6 + (int)e->n);
    for (size_t i = 0; i < e->n; i++) {
        const char *f = iov[6 + i].iov_base;
        size_t kl = strlen(e->f[i].key);
        TEST_CHECK(strncasecmp(f, e->f[i].key, kl) == 0 && f[kl] == '=');
    }
    struct mo_jw_meta m;
    mo_jw_meta_init(&m, TS, false);
    for (size_t i = 0; i < e->n; i++)
        if (e->f[i].type != MO_F_STR)
            mo_jw_meta_bare(&m, 6 + i);
    size_t len = native(iov, n, rec);
    long l = mo_jw_record_line(rec, len, m.b, m.len, line, 6 * len + 128);
    TEST_CHECK(l > 0);
    TEST_CHECK(mo_event_render_json(e, TS, want, sizeof want) > 0);
    TEST_EQ_STR(line, want);
    TEST_EQ_INT(mo_jw_record_line(rec, len, m.b, m.len, line, (size_t)l), -1); /* no room for it all */
    TEST_EQ_INT(mo_jw_record_line(rec, len - 1, m.b, m.len, line, sizeof line), -1); /* cut short */
}

static void test_journal_line(void)
{
    struct mo_event e = sample(); /* every type, a newline in a value */
    same_line(&e);
    mo_event_init(&e, MO_EV_DECODE_ERROR, "c", "t");
    mo_event_str(&e, "reason", "bad \"byte\" \x01 \xff, caf\xc3\xa9");
    mo_event_int(&e, "seq", -5);
    mo_event_msg(&e, "bad \x1b[31m");
    same_line(&e);
    mo_event_init(&e, MO_EV_STARTED, NULL, NULL);
    same_line(&e);

    /* a raw record (an EMF document) is its MESSAGE alone */
    static const char rec[] = "MESSAGE={\"_aws\":1}\nPRIORITY=6\nEVENT=emf\n";
    struct mo_jw_meta m;
    mo_jw_meta_init(&m, TS, true);
    char line[256];
    TEST_EQ_INT(mo_jw_record_line(rec, sizeof rec - 1, m.b, m.len, line, sizeof line), 10);
    TEST_EQ_STR(line, "{\"_aws\":1}");
    TEST_EQ_INT(mo_jw_record_line("EVENT=emf\n", 10, m.b, m.len, line, sizeof line), -1);
}

int main(void)
{
    test_json();
    test_utf8();
    test_utf8_exhaustive();
    test_sentence();
    test_journal();
    test_text();
    test_ids();
    test_raw();
    test_field_limit();
    test_journal_line();
    return test_result("test-event");
}
