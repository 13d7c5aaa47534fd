/* Unit tests for the payload decoder (src/daemon/latency/decode.c), through its
 * modes. The time formats themselves are tested in test-timefmt.c. */
#include <config.h>

#include <errno.h>
#include <stdlib.h>

#include "latency/decode.h"
#include "test.h"

#define SENTINEL INT64_C(0x5a5a5a5a5a5a5a5a)
#define T0 INT64_C(1795403877000000000) /* 2026-11-23T03:17:57Z */

static char reason[512];
static int64_t ns;

/* Decodes a private copy of exactly len bytes (no terminating NUL), so the
 * sanitizers catch any read past the payload. */
static int run(const struct mo_decoder *d, const void *payload, size_t len)
{
    uint8_t *copy = malloc(len ? len : 1);
    memcpy(copy, payload, len);
    memset(reason, 'X', sizeof reason - 1);
    reason[sizeof reason - 1] = '\0';
    ns = SENTINEL;
    int r = mo_decode_timestamp(d, copy, len, &ns, reason, sizeof reason);
    free(copy);
    if (r < 0 && strlen(reason) >= MO_DECODE_REASON_MAX)
        TEST_CHECK(!"reason longer than MO_DECODE_REASON_MAX");
    return r;
}

#define OK(d, payload, len, expect)                                                                \
    do {                                                                                           \
        int _r = run(d, payload, len);                                                             \
        TEST_EQ_INT(_r, 0);                                                                        \
        if (_r)                                                                                    \
            fprintf(stderr, "  reason: %s\n", reason);                                             \
        TEST_EQ_INT(ns, expect);                                                                   \
    } while (0)
#define OKS(d, s, expect) OK(d, s, strlen(s), expect)

/* An error with exactly this reason; *ret_ns untouched. */
#define ERR(d, payload, len, code, why)                                                            \
    do {                                                                                           \
        TEST_EQ_INT(run(d, payload, len), code);                                                   \
        TEST_EQ_STR(reason, why);                                                                  \
        TEST_EQ_INT(ns, SENTINEL);                                                                 \
    } while (0)
#define ERRS(d, s, code, why) ERR(d, s, strlen(s), code, why)

/* An error whose reason contains `part`. */
#define ERRC(d, s, code, part)                                                                     \
    do {                                                                                           \
        TEST_EQ_INT(run(d, s, strlen(s)), code);                                                   \
        TEST_CONTAINS(reason, part);                                                               \
        TEST_EQ_INT(ns, SENTINEL);                                                                 \
    } while (0)

static struct mo_decoder json(const char *field, enum mo_ts_format f)
{
    struct mo_decoder d = {.mode = MO_DECODE_JSON, .format = f};
    TEST_EQ_INT(mo_decoder_set_field(&d, field), 0);
    return d;
}

static struct mo_decoder text(enum mo_ts_format f)
{
    return (struct mo_decoder){.mode = MO_DECODE_TEXT, .format = f};
}

static struct mo_decoder binary(size_t offset, enum mo_bin_encoding e, enum mo_ts_unit u)
{
    return (struct mo_decoder){
        .mode = MO_DECODE_BINARY, .offset = offset, .encoding = e, .unit = u};
}

static void test_set_field(void)
{
    struct mo_decoder d = {0};
    TEST_EQ_INT(mo_decoder_set_field(&d, "timestamp"), 0);
    TEST_EQ_INT(d.path_len, 1);
    TEST_EQ_INT(d.path_lens[0], 9);
    TEST_CHECK(d.path[0] == d.field);

    static const char f[] = "meta.sent_at";
    TEST_EQ_INT(mo_decoder_set_field(&d, f), 0);
    TEST_CHECK(d.field == f);
    TEST_EQ_INT(d.path_len, 2);
    TEST_CHECK(d.path[0] == f && d.path_lens[0] == 4);
    TEST_CHECK(d.path[1] == f + 5 && d.path_lens[1] == 7);

    /* errors leave the decoder as it was */
    TEST_EQ_INT(mo_decoder_set_field(&d, "a..b"), -EINVAL);
    TEST_EQ_INT(mo_decoder_set_field(&d, ".a"), -EINVAL);
    TEST_EQ_INT(mo_decoder_set_field(&d, "a."), -EINVAL);
    TEST_EQ_INT(mo_decoder_set_field(&d, "."), -EINVAL);
    TEST_EQ_INT(mo_decoder_set_field(&d, ""), -EINVAL);
    TEST_EQ_INT(mo_decoder_set_field(&d, NULL), -EINVAL);
    TEST_CHECK(d.field == f && d.path_len == 2);

    TEST_EQ_INT(mo_decoder_set_field(&d, "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p"), 0);
    TEST_EQ_INT(d.path_len, MO_DECODE_PATH_MAX);
    TEST_EQ_INT(mo_decoder_set_field(&d, "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q"), -EINVAL);
    TEST_EQ_INT(d.path_len, MO_DECODE_PATH_MAX);
}

static void test_names(void)
{
    TEST_EQ_STR(mo_decode_mode_name(MO_DECODE_JSON), "json");
    TEST_EQ_STR(mo_decode_mode_name(MO_DECODE_TEXT), "text");
    TEST_EQ_STR(mo_decode_mode_name(MO_DECODE_BINARY), "binary");
    TEST_CHECK(mo_decode_mode_name((enum mo_decode_mode)99) == NULL);
    TEST_EQ_STR(mo_ts_format_name(MO_TS_AUTO), "auto");
    TEST_EQ_STR(mo_ts_format_name(MO_TS_RFC3339), "rfc3339");
    TEST_EQ_STR(mo_ts_format_name(MO_TS_EPOCH_S), "epoch_s");
    TEST_EQ_STR(mo_ts_format_name(MO_TS_EPOCH_MS), "epoch_ms");
    TEST_EQ_STR(mo_ts_format_name(MO_TS_EPOCH_US), "epoch_us");
    TEST_EQ_STR(mo_ts_format_name(MO_TS_EPOCH_NS), "epoch_ns");
    TEST_CHECK(mo_ts_format_name((enum mo_ts_format)99) == NULL);
}

/* Text mode reads each format through the time module; the formats
 * themselves are tested in full in test-timefmt.c. */
static void test_formats(void)
{
    struct mo_decoder r = text(MO_TS_RFC3339), a = text(MO_TS_AUTO), s = text(MO_TS_EPOCH_S),
                      ms = text(MO_TS_EPOCH_MS), us = text(MO_TS_EPOCH_US),
                      nsd = text(MO_TS_EPOCH_NS);

    OKS(&r, "2026-11-23T03:17:57Z", T0);
    OKS(&r, "2026-11-23T08:47:57.25+05:30", T0 + 250000000);
    ERRS(&r, "2026-13-01T00:00:00Z", -EINVAL,
         "timestamp \"2026-13-01T00:00:00Z\" is not RFC 3339: month 13 out of range");
    ERRS(&r, "2262-04-11T23:47:16.854775808Z", -ERANGE,
         "timestamp out of range: \"2262-04-11T23:47:16.854775808Z\" is outside "
         "1677-09-21..2262-04-11");
    ERRC(&r, "1700000000", -EINVAL, "is not RFC 3339: expected '-' at byte 4");

    OKS(&s, "1700000000.5", INT64_C(1700000000500000000));
    OKS(&ms, "1700000000123", INT64_C(1700000000123000000));
    OKS(&us, "1700000000123456", INT64_C(1700000000123456000));
    OKS(&nsd, "1700000000123456789", INT64_C(1700000000123456789));
    ERRS(&nsd, "9223372036854775808", -ERANGE,
         "timestamp out of range: \"9223372036854775808\" as epoch_ns is outside "
         "1677-09-21..2262-04-11");
    ERRS(&ms, "17x", -EINVAL, "timestamp \"17x\" is not a number: unexpected character at byte 2");
    ERRC(&s, "2026-11-23T03:17:57Z", -EINVAL, "is not a number");

    OKS(&a, "2026-11-23T03:17:57.123456Z", T0 + 123456000);
    OKS(&a, "1700000000", INT64_C(1700000000000000000));
    OKS(&a, "1700000000123", INT64_C(1700000000123000000));
    OKS(&a, "1700000000123456789", INT64_C(1700000000123456789));
    ERRS(&a, "99999999999", -ERANGE,
         "timestamp out of range: \"99999999999\" as epoch_s (auto) is outside "
         "1677-09-21..2262-04-11");
    ERRS(&a, "yesterday", -EINVAL, "timestamp \"yesterday\" is neither RFC 3339 nor an epoch number");
    ERRC(&a, "2026-13-01T00:00:00Z", -EINVAL, "is not RFC 3339: month 13 out of range");
}

static void test_text(void)
{
    struct mo_decoder a = text(MO_TS_AUTO), r = text(MO_TS_RFC3339), s = text(MO_TS_EPOCH_S);

    OKS(&a, "  1700000000\n", INT64_C(1700000000000000000));
    OKS(&r, "\t2026-11-23T03:17:57Z \r\n", T0);
    OKS(&s, "\v\f1700000000.5 ", INT64_C(1700000000500000000));
    ERR(&a, "", 0, -EINVAL, "empty payload");
    ERRS(&a, " \t\r\n", -EINVAL, "payload is only white space");
    ERR(&s, "17\0", 3, -EINVAL, "timestamp \"17\\x00\" is not a number: unexpected character at byte 2");
    /* a JSON-looking payload is not unwrapped in text mode */
    ERRC(&r, "\"2026-11-23T03:17:57Z\"", -EINVAL, "is not RFC 3339");
    /* binary bytes are just bytes */
    ERR(&s, "\xff\xfe", 2, -EINVAL, "timestamp \"\\xff\\xfe\" is not a number: unexpected character at byte 0");
}

static void test_json(void)
{
    struct mo_decoder d = json("timestamp", MO_TS_AUTO);

    OKS(&d,
        "{\"key_one\":\"KeyOne\",\"key_two\":\"KeyTwo\",\"key_three\":42,"
        "\"timestamp\":\"2026-11-23T03:17:57.123456Z\"}",
        T0 + 123456000);
    OKS(&d, " \r\n{ \"timestamp\" : 1700000000 } \n", INT64_C(1700000000000000000));
    OKS(&d, "\xEF\xBB\xBF{\"timestamp\":1700000000}", INT64_C(1700000000000000000));
    OKS(&d, "{\"timestamp\":\"1700000000123\"}", INT64_C(1700000000123000000));
    OKS(&d, "{\"timestamp\":1700000000.5}", INT64_C(1700000000500000000));
    OKS(&d, "{\"timestamp\":-1.5}", -1500000000);
    OKS(&d, "{\"timestamp\":1.7e9}", INT64_C(1700000000000000000));
    /* first of duplicate keys, as cJSON_GetObjectItem */
    OKS(&d, "{\"timestamp\":1,\"timestamp\":2}", 1000000000);
    /* keys are case sensitive */
    ERRS(&d, "{\"Timestamp\":1}", -EINVAL, "field timestamp missing");

    /* exact digits of JSON numbers, beyond a double's 2^53 */
    struct mo_decoder n = json("t", MO_TS_EPOCH_NS);
    OKS(&n, "{\"t\":1700000000123456789}", INT64_C(1700000000123456789));
    OKS(&n, "{\"t\":1700000000123456789.9}", INT64_C(1700000000123456789));
    OKS(&n, "{\"t\":-1700000000123456789}", INT64_C(-1700000000123456789));
    OKS(&n, "{\"t\":9223372036854775807}", INT64_MAX);
    ERRC(&n, "{\"t\":9223372036854775808}", -ERANGE, "timestamp out of range");
    struct mo_decoder s = json("t", MO_TS_EPOCH_S);
    OKS(&s, "{\"t\":1700000000.123456789}", INT64_C(1700000000123456789));
    OKS(&s, "{\"t\":\"1700000000.123456789\"}", INT64_C(1700000000123456789));
    ERRC(&s, "{\"t\":1e30}", -ERANGE, "timestamp out of range");
    ERRC(&s, "{\"t\":1e999}", -ERANGE, "timestamp out of range");
    ERRC(&s, "{\"t\":-1e999}", -ERANGE, "timestamp out of range");
    ERRC(&n, "{\"t\":\"99999999999999999999999\"}", -ERANGE, "timestamp out of range");
    ERRS(&s, "{\"t\":\"soon\"}", -EINVAL,
         "timestamp \"soon\" is not a number: unexpected character at byte 0");
    ERRC(&s, "{\"t\":\" 1700000000\"}", -EINVAL, "unexpected character at byte 0");
    struct mo_decoder a = json("t", MO_TS_AUTO);
    OKS(&a, "{\"t\":1700000000123456789}", INT64_C(1700000000123456789));
    OKS(&a, "{\"t\":1700000000123}", INT64_C(1700000000123000000));
    OKS(&a, "{\"t\":100000000000}", INT64_C(100000000000000000));
    ERRC(&a, "{\"t\":99999999999}", -ERANGE, "as epoch_s (auto)");

    /* the number is found past values of every kind, nested, with tricky strings */
    struct mo_decoder deep = json("a.b.c", MO_TS_EPOCH_NS);
    OKS(&deep,
        "{\"x\":{\"y\":[1,{\"z\":\"}]\\\"{\"}],\"w\":null},\"s\":\"a\\\"b\\\\\",\"n\":-1.5e3,"
        "\"t\":true,\"f\":false,\"e\":{},\"l\":[],\"a\":{\"q\":[[[]]],\"b\":{\"c\":"
        "1700000000123456789}}}",
        INT64_C(1700000000123456789));
    /* a key written with escapes: cJSON matches it decoded; the double serves */
    OKS(&n, "{\"\\u0074\":1700000000}", INT64_C(1700000000));
    TEST_EQ_INT(run(&n, "{\"\\u0074\":1700000000123456789}", 31), 0);
    TEST_CHECK(llabs(ns - INT64_C(1700000000123456789)) <= 256);
    OKS(&s, "{\"\\u0074\":5,\"t\":7}", 5000000000);
    OKS(&s, "{\"\\u0041\":7,\"t\":5}", 5000000000);
    OKS(&s, "{\"u\\\"\":7,\"t\":5}", 5000000000);

    /* nested paths */
    struct mo_decoder m = json("meta.sent_at", MO_TS_AUTO);
    OKS(&m, "{\"meta\":{\"sent_at\":\"2026-11-23T03:17:57Z\"}}", T0);
    OKS(&m, "{\"sent_at\":1,\"meta\":{\"x\":2,\"sent_at\":1700000000}}",
        INT64_C(1700000000000000000));
    struct mo_decoder four = json("a.b.c.d", MO_TS_RFC3339);
    OKS(&four, "{\"a\":{\"b\":{\"c\":{\"d\":\"2026-11-23T03:17:57Z\"}}}}", T0);

    /* missing, and the wrong type at each level */
    ERRS(&d, "{}", -EINVAL, "field timestamp missing");
    ERRS(&m, "{\"meta\":{}}", -EINVAL, "field meta.sent_at missing");
    ERRS(&m, "{\"other\":{}}", -EINVAL, "field meta.sent_at missing (no meta)");
    ERRS(&m, "{\"meta\":\"x\"}", -EINVAL,
         "field meta.sent_at missing (meta is a string, not an object)");
    ERRS(&four, "{\"a\":{\"b\":[1]}}", -EINVAL,
         "field a.b.c.d missing (a.b is an array, not an object)");
    ERRS(&four, "{\"a\":{\"b\":{\"c\":null}}}", -EINVAL,
         "field a.b.c.d missing (a.b.c is null, not an object)");
    ERRS(&four, "{\"a\":{\"b\":{}}}", -EINVAL, "field a.b.c.d missing (no a.b.c)");
    ERRS(&four, "{\"a\":{\"b\":{\"c\":{\"d\":5}}}}", -EINVAL,
         "field a.b.c.d is a number, expected an RFC 3339 string");
    ERRS(&d, "{\"timestamp\":true}", -EINVAL,
         "field timestamp is a boolean, expected a string or number");
    ERRS(&d, "{\"timestamp\":null}", -EINVAL, "field timestamp is null, expected a string or number");
    ERRS(&d, "{\"timestamp\":{}}", -EINVAL,
         "field timestamp is an object, expected a string or number");
    ERRS(&d, "{\"timestamp\":[1]}", -EINVAL,
         "field timestamp is an array, expected a string or number");
    ERRC(&m, "{\"meta\":{\"sent_at\":\"2027-02-29T00:00:00Z\"}}", -EINVAL,
         "is not RFC 3339: day 29 out of range for 2027-02");

    /* not an object */
    ERRS(&d, "[1,2]", -EINVAL, "payload is not a JSON object (it is an array)");
    ERRS(&d, "\"2026-11-23T03:17:57Z\"", -EINVAL, "payload is not a JSON object (it is a string)");
    ERRS(&d, "1700000000", -EINVAL, "payload is not a JSON object (it is a number)");

    /* invalid JSON: the byte where cJSON stopped */
    ERRS(&d, "{\"timestamp\": }", -EINVAL, "invalid JSON at byte 14");
    ERRS(&d, "{\"timestamp\":1", -EINVAL, "invalid JSON at byte 13");
    ERRS(&d, "nope", -EINVAL, "invalid JSON at byte 0");
    ERRS(&d, "{\"timestamp\":1} x", -EINVAL, "invalid JSON at byte 16 (data after the value)");
    ERRS(&d, "{\"timestamp\":1}{}", -EINVAL, "invalid JSON at byte 15 (data after the value)");
    ERRS(&d, "{\"timestamp\":1-2}", -EINVAL, "invalid JSON at byte 14");
    ERRS(&d, "{\"timestamp\":\"abc", -EINVAL, "invalid JSON at byte 14");
    ERR(&d, "", 0, -EINVAL, "empty payload");
    ERRS(&d, "  \n", -EINVAL, "payload is only white space");
    /* the payload is not NUL-terminated and ends inside a token */
    ERR(&d, "{\"timestamp\":1700000000}", 20, -EINVAL, "invalid JSON at byte 19");
    ERR(&d, "{\"timestamp\":tru", 16, -EINVAL, "invalid JSON at byte 13");

    /* no path: the whole JSON value is the timestamp */
    struct mo_decoder whole = {.mode = MO_DECODE_JSON, .format = MO_TS_AUTO};
    OKS(&whole, "1700000000123456789", INT64_C(1700000000123456789));
    OKS(&whole, " \"2026-11-23T03:17:57Z\" ", T0);
    ERRS(&whole, "{}", -EINVAL, "payload is an object, expected a string or number");

    /* long paths are cut in reasons, which stay within MO_DECODE_REASON_MAX */
    struct mo_decoder lng = json("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb."
                                 "ccccccccccccccccccccccccccccccccccccccccccccc.d",
                                 MO_TS_AUTO);
    ERRC(&lng, "{\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\":1}", -EINVAL,
         "field aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbb missing");
    TEST_CHECK(strlen(reason) < MO_DECODE_REASON_MAX);

    /* a NULL reason buffer is allowed */
    int64_t v = SENTINEL;
    TEST_EQ_INT(mo_decode_timestamp(&d, (const uint8_t *)"{}", 2, &v, NULL, 0), -EINVAL);
    TEST_EQ_INT(v, SENTINEL);
}

static void put_be(uint8_t *p, uint64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

static void put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++, v >>= 8)
        p[i] = (uint8_t)v;
}

static void test_binary(void)
{
    uint8_t p[24];
    memset(p, 0xee, sizeof p);

    /* the spec's example: u64be ns at offset 16 */
    struct mo_decoder d = binary(16, MO_BIN_U64BE, MO_UNIT_NS);
    put_be(p + 16, UINT64_C(1700000000123456789), 8);
    OK(&d, p, 24, INT64_C(1700000000123456789));
    ERR(&d, p, 10, -EINVAL, "payload is 10 bytes; a u64be at offset 16 needs 24");
    ERR(&d, p, 23, -EINVAL, "payload is 23 bytes; a u64be at offset 16 needs 24");
    ERR(&d, p, 0, -EINVAL, "empty payload");

    /* each encoding and unit, at offset 0 and at the very end */
    struct {
        enum mo_bin_encoding e;
        enum mo_ts_unit u;
        uint64_t raw;
        int64_t expect;
    } cases[] = {
        {MO_BIN_U32BE, MO_UNIT_S, 1700000000, INT64_C(1700000000000000000)},
        {MO_BIN_U32LE, MO_UNIT_S, 1700000000, INT64_C(1700000000000000000)},
        {MO_BIN_U32BE, MO_UNIT_MS, 1700000000, INT64_C(1700000000000000)},
        {MO_BIN_U32LE, MO_UNIT_US, 0xffffffff, INT64_C(4294967295000)},
        {MO_BIN_U32BE, MO_UNIT_NS, 0x01020304, INT64_C(0x01020304)},
        {MO_BIN_U32LE, MO_UNIT_S, 0xffffffff, INT64_C(4294967295000000000)},
        {MO_BIN_U64BE, MO_UNIT_S, 1700000000, INT64_C(1700000000000000000)},
        {MO_BIN_U64LE, MO_UNIT_MS, UINT64_C(1700000000123), INT64_C(1700000000123000000)},
        {MO_BIN_U64BE, MO_UNIT_US, UINT64_C(1700000000123456), INT64_C(1700000000123456000)},
        {MO_BIN_U64LE, MO_UNIT_NS, UINT64_C(0x0102030405060708), INT64_C(0x0102030405060708)},
        {MO_BIN_U64LE, MO_UNIT_NS, (uint64_t)INT64_MAX, INT64_MAX},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int n = cases[i].e == MO_BIN_U32BE || cases[i].e == MO_BIN_U32LE ? 4 : 8;
        bool big = cases[i].e == MO_BIN_U32BE || cases[i].e == MO_BIN_U64BE;
        struct mo_decoder b0 = binary(0, cases[i].e, cases[i].u);
        struct mo_decoder bend = binary(sizeof p - (size_t)n, cases[i].e, cases[i].u);
        memset(p, 0xee, sizeof p);
        (big ? put_be : put_le)(p, cases[i].raw, n);
        (big ? put_be : put_le)(p + sizeof p - n, cases[i].raw, n);
        OK(&b0, p, sizeof p, cases[i].expect);
        OK(&b0, p, (size_t)n, cases[i].expect);
        OK(&bend, p, sizeof p, cases[i].expect);
        TEST_EQ_INT(run(&bend, p, sizeof p - 1), -EINVAL);
    }

    /* byte order is really read (not just round-tripped) */
    static const uint8_t seq[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    struct mo_decoder x = binary(0, MO_BIN_U32BE, MO_UNIT_NS);
    OK(&x, seq, 8, 0x01020304);
    x.encoding = MO_BIN_U32LE;
    OK(&x, seq, 8, 0x04030201);
    x.encoding = MO_BIN_U64BE;
    OK(&x, seq, 8, INT64_C(0x0102030405060708));
    x.encoding = MO_BIN_U64LE;
    OK(&x, seq, 8, INT64_C(0x0807060504030201));

    /* values whose nanoseconds overflow int64 */
    struct mo_decoder o = binary(0, MO_BIN_U64BE, MO_UNIT_NS);
    put_be(p, UINT64_MAX, 8);
    ERR(&o, p, 8, -ERANGE,
        "timestamp out of range: 18446744073709551615 ns (u64be at offset 0) is outside "
        "1677-09-21..2262-04-11");
    put_be(p, (uint64_t)INT64_MAX + 1, 8);
    ERR(&o, p, 8, -ERANGE,
        "timestamp out of range: 9223372036854775808 ns (u64be at offset 0) is outside "
        "1677-09-21..2262-04-11");
    o.unit = MO_UNIT_S;
    put_be(p, UINT64_C(9223372037), 8);
    TEST_EQ_INT(run(&o, p, 8), -ERANGE);
    put_be(p, UINT64_C(9223372036), 8);
    OK(&o, p, 8, INT64_C(9223372036000000000));
    o.unit = MO_UNIT_US;
    put_be(p, UINT64_C(1) << 62, 8);
    TEST_EQ_INT(run(&o, p, 8), -ERANGE);

    /* offsets that do not fit */
    struct mo_decoder far = binary(SIZE_MAX - 2, MO_BIN_U32BE, MO_UNIT_S);
    ERR(&far, p, 8, -EINVAL, "payload is 8 bytes; offset 18446744073709551613 is too large");
    struct mo_decoder at = binary(8, MO_BIN_U32LE, MO_UNIT_S);
    ERR(&at, p, 8, -EINVAL, "payload is 8 bytes; a u32le at offset 8 needs 12");

    /* a decoder built wrongly is an error, not a crash */
    struct mo_decoder bad = binary(0, (enum mo_bin_encoding)7, MO_UNIT_S);
    ERR(&bad, p, 8, -EINVAL, "decoder has an invalid encoding or unit");
    bad = binary(0, MO_BIN_U32BE, (enum mo_ts_unit)7);
    ERR(&bad, p, 8, -EINVAL, "decoder has an invalid encoding or unit");
    bad = (struct mo_decoder){.mode = MO_DECODE_JSON, .path_len = 1};
    ERRS(&bad, "{}", -EINVAL, "decoder has no valid field path");
    bad = (struct mo_decoder){.mode = (enum mo_decode_mode)9};
    ERRS(&bad, "{}", -EINVAL, "unknown decode mode 9");

    /* any payload is bytes in binary mode */
    struct mo_decoder t = binary(0, MO_BIN_U32BE, MO_UNIT_NS);
    OKS(&t, "{\"a\"", INT64_C(0x7b226122));
}

/* The publisher's bound from a JSON payload's top-level clock_error_us. */
static int64_t bound_of(const char *payload)
{
    struct mo_decoder d = {.mode = MO_DECODE_JSON, .format = MO_TS_AUTO};
    TEST_EQ_INT(mo_decoder_set_field(&d, "timestamp"), 0);
    int64_t t, b = -7;
    int r = mo_decode_timestamp_bound(&d, (const uint8_t *)payload, strlen(payload), &t, &b, NULL, 0);
    return r < 0 ? -100 : b;
}

static void test_publisher_bound(void)
{
    TEST_EQ_INT(bound_of("{\"timestamp\":1795403877000,\"clock_error_us\":350}"), 350);
    TEST_EQ_INT(bound_of("{\"clock_error_us\":0,\"timestamp\":1795403877000}"), 0);
    TEST_EQ_INT(bound_of("{\"timestamp\":1795403877000,\"clock_error_us\":12.2}"), 13); /* up */
    TEST_EQ_INT(bound_of("{\"timestamp\":1795403877000}"), -1);
    TEST_EQ_INT(bound_of("{\"timestamp\":1795403877000,\"clock_error_us\":-5}"), -1);
    TEST_EQ_INT(bound_of("{\"timestamp\":1795403877000,\"clock_error_us\":\"350\"}"), -1);
    TEST_EQ_INT(bound_of("{\"timestamp\":1795403877000,\"clock_error_us\":1e300}"), -1);
    /* only at the top level */
    TEST_EQ_INT(bound_of("{\"timestamp\":1795403877000,\"x\":{\"clock_error_us\":3}}"), -1);
    /* a payload without a time is a decode error whatever its bound */
    TEST_EQ_INT(bound_of("{\"clock_error_us\":3}"), -100);
    /* text mode has no bound */
    struct mo_decoder d = {.mode = MO_DECODE_TEXT, .format = MO_TS_AUTO};
    int64_t t, b = 5;
    TEST_EQ_INT(mo_decode_timestamp_bound(&d, (const uint8_t *)"1795403877000", 13, &t, &b, NULL, 0), 0);
    TEST_EQ_INT(b, -1);
}

/* The error bars of a latency, and the skew that proves a clock wrong. */
static void test_latency_bounds(void)
{
    struct mo_decoder d = {.mode = MO_DECODE_JSON, .format = MO_TS_AUTO};
    TEST_EQ_INT(mo_decoder_set_field(&d, "timestamp"), 0);
    const char *p = "{\"timestamp\":1795403877000000,\"clock_error_us\":300}"; /* us */
    struct mo_item it = {.kind = MO_ITEM_MESSAGE, .value_kind = MO_VALUE_TEXT,
                         .value = (const uint8_t *)p, .value_len = strlen(p)};
    int64_t pub = INT64_C(1795403877000000) * 1000;
    struct mo_latency l;
    /* 1.412 ms, both bounds known */
    TEST_CHECK(mo_latency_measure(&d, &it, pub + 1412000, 350, &l));
    TEST_EQ_INT(l.latency_us, 1412);
    TEST_EQ_INT(l.host_bound_us, 350);
    TEST_EQ_INT(l.publisher_bound_us, 300);
    TEST_EQ_INT(mo_latency_bound_us(&l), 650);
    TEST_EQ_INT(l.skew_us, 0);
    /* -650 us is within both bounds; -651 is not: 1 us of skew at least */
    TEST_CHECK(mo_latency_measure(&d, &it, pub - 650000, 350, &l));
    TEST_EQ_INT(l.skew_us, 0);
    TEST_CHECK(mo_latency_measure(&d, &it, pub - 651000, 350, &l));
    TEST_EQ_INT(l.skew_us, 1);
    /* this host's bound unknown: the sum is unknown and nothing is proved */
    TEST_CHECK(mo_latency_measure(&d, &it, pub - 5000000, -1, &l));
    TEST_EQ_INT(mo_latency_bound_us(&l), -1);
    TEST_EQ_INT(l.skew_us, 0);
    /* a publisher without a bound counts as 0 for the skew, unknown for the sum */
    const char *q = "{\"timestamp\":1795403877000000}";
    it.value = (const uint8_t *)q;
    it.value_len = strlen(q);
    TEST_CHECK(mo_latency_measure(&d, &it, pub - 2000000, 350, &l));
    TEST_EQ_INT(l.publisher_bound_us, -1);
    TEST_EQ_INT(mo_latency_bound_us(&l), -1);
    TEST_EQ_INT(l.skew_us, 2000 - 350);
}

int main(void)
{
    test_publisher_bound();
    test_latency_bounds();
    test_set_field();
    test_names();
    test_formats();
    test_text();
    test_json();
    test_binary();
    return test_result("test-decode");
}
