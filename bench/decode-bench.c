/* decode-bench - nanoseconds per message for each decode mode.
 *
 *   bench/decode-bench [MESSAGES]      (default 1000000 per case)
 *
 * Each case decodes a ring of 64 distinct, typical payloads (the seed JSON of
 * momento-publish, its epoch_ms variant, text and binary), so the figures
 * include cJSON's parse and allocations as the daemon sees them. "cJSON parse
 * only" is the floor the json mode cannot go below while it uses cJSON.
 */
#include <config.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "latency/decode.h"

#define RING 64

struct payload {
    uint8_t buf[160];
    size_t len;
};

static struct payload ring[RING];

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void fill(const char *fmt_kind)
{
    for (int i = 0; i < RING; i++) {
        int64_t us = INT64_C(1795403877123456) + i * 997;
        char *s = (char *)ring[i].buf;
        size_t cap = sizeof ring[i].buf;
        int n = 0;
        if (!strcmp(fmt_kind, "seed")) {
            n = snprintf(s, cap,
                         "{\"key_one\":\"KeyOne\",\"key_two\":\"KeyTwo\",\"key_three\":%d,"
                         "\"timestamp\":\"2026-11-23T03:17:57.%06dZ\"}",
                         i, (int)(us % 1000000));
        } else if (!strcmp(fmt_kind, "epoch_ms")) {
            n = snprintf(s, cap,
                         "{\"key_one\":\"KeyOne\",\"key_two\":\"KeyTwo\",\"key_three\":%d,"
                         "\"published_ms\":%" PRId64 "}",
                         i, us / 1000);
        } else if (!strcmp(fmt_kind, "nested_ns")) {
            n = snprintf(s, cap,
                         "{\"key_one\":\"KeyOne\",\"key_three\":%d,"
                         "\"meta\":{\"id\":\"abc\",\"sent_at\":%" PRId64 "}}",
                         i, us * 1000 + 789);
        } else if (!strcmp(fmt_kind, "text_rfc3339")) {
            n = snprintf(s, cap, "2026-11-23T03:17:57.%06dZ\n", (int)(us % 1000000));
        } else if (!strcmp(fmt_kind, "text_epoch")) {
            n = snprintf(s, cap, "%" PRId64 ".%06d", us / 1000000, (int)(us % 1000000));
        } else if (!strcmp(fmt_kind, "binary")) {
            memset(s, 0xab, 32);
            uint64_t v = (uint64_t)us * 1000;
            for (int b = 0; b < 8; b++)
                ring[i].buf[16 + b] = (uint8_t)(v >> (56 - 8 * b));
            n = 32;
        }
        ring[i].len = (size_t)n;
    }
}

static volatile int64_t sink;

/* Times `count` calls of fn in ROUNDS rounds; prints the mean and the best
 * round, which is the figure least disturbed by other load on the machine. */
#define ROUNDS 5
typedef long (*bench_fn)(const struct mo_decoder *d, long n);

static void timed(const char *name, bench_fn fn, const struct mo_decoder *d, long count)
{
    long per = count / ROUNDS > 0 ? count / ROUNDS : 1, errors = 0;
    double best = 0, total = 0;
    fn(d, RING * 16); /* warm up */
    for (int r = 0; r < ROUNDS; r++) {
        double t0 = now_ns();
        errors += fn(d, per);
        double t = (now_ns() - t0) / (double)per;
        total += t;
        if (r == 0 || t < best)
            best = t;
    }
    printf("%-36s %8.1f ns/msg (best round %7.1f)%s\n", name, total / ROUNDS, best,
           errors ? "  ERRORS: check the payloads" : "");
}

static long decode_ring(const struct mo_decoder *d, long n)
{
    char reason[MO_DECODE_REASON_MAX];
    int64_t v, sum = 0;
    long errors = 0;
    for (long i = 0; i < n; i++) {
        const struct payload *p = &ring[i % RING];
        if (mo_decode_timestamp(d, p->buf, p->len, &v, reason, sizeof reason) < 0)
            errors++;
        else
            sum += v & 0xff;
    }
    sink = sum;
    return errors;
}

static long parse_ring(const struct mo_decoder *d, long n)
{
    long errors = 0;
    for (long i = 0; i < n; i++) {
        const struct payload *p = &ring[i % RING];
        const char *end;
        cJSON *j = cJSON_ParseWithLengthOpts((const char *)p->buf, p->len, &end, 0);
        errors += j == NULL;
        cJSON_Delete(j);
    }
    return errors;
}

static void run(const char *name, const char *kind, const struct mo_decoder *d, long count)
{
    fill(kind);
    timed(name, decode_ring, d, count);
}

int main(int argc, char **argv)
{
    long count = argc > 1 ? atol(argv[1]) : 1000000;
    if (count <= 0) {
        fprintf(stderr, "usage: decode-bench [MESSAGES]\n");
        return 64;
    }
    printf("%ld messages per case\n", count);

    struct mo_decoder d = {.mode = MO_DECODE_JSON, .format = MO_TS_AUTO};
    mo_decoder_set_field(&d, "timestamp");
    run("json seed, auto (rfc3339 string)", "seed", &d, count);
    d.format = MO_TS_RFC3339;
    run("json seed, rfc3339", "seed", &d, count);
    timed("json seed: cJSON parse+delete only", parse_ring, &d, count);

    d.format = MO_TS_EPOCH_MS;
    mo_decoder_set_field(&d, "published_ms");
    run("json epoch_ms number", "epoch_ms", &d, count);
    d.format = MO_TS_AUTO;
    mo_decoder_set_field(&d, "meta.sent_at");
    run("json meta.sent_at ns number, auto", "nested_ns", &d, count);

    struct mo_decoder t = {.mode = MO_DECODE_TEXT, .format = MO_TS_RFC3339};
    run("text rfc3339", "text_rfc3339", &t, count);
    t.format = MO_TS_AUTO;
    run("text epoch_s fraction, auto", "text_epoch", &t, count);

    struct mo_decoder b = {
        .mode = MO_DECODE_BINARY, .offset = 16, .encoding = MO_BIN_U64BE, .unit = MO_UNIT_NS};
    run("binary u64be ns at 16", "binary", &b, count);
    return 0;
}
