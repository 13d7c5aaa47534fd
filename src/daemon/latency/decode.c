/* decode.c - find the publish time in a message payload.
 *
 * momento-subscriber.yaml(5), DECODE MODES and TIMESTAMP FORMATS; the latency
 * itself, momento-subscriberd(8), DESCRIPTION. Decisions this file makes:
 *
 * - Timestamps are read by the time module (timefmt.h): int64 nanoseconds
 *   since the epoch, RFC 3339 or exact epoch numbers, -ERANGE "timestamp out of
 *   range" outside 1677..2262. This file only finds the timestamp's text or
 *   number in a payload, by mode.
 * - JSON numbers: cJSON keeps only a double (exact to 2^53, i.e. to 256 ns for
 *   today's epoch in ns), so after cJSON has validated the payload and found
 *   the field, the number's own text is located in the payload and read exactly
 *   (json_locate). Only when a key on the way is written with escapes does the
 *   double serve, with at most one ulp of error: 256 ns for a present-day time
 *   in ns, ~240 ns for fractional seconds, 0 for integers below 2^53.
 * - A JSON path follows cJSON_GetObjectItemCaseSensitive semantics: keys are
 *   compared exactly and the first of duplicate keys wins. A path of no
 *   components (path_len 0) means the whole JSON value is the timestamp.
 *
 * Nothing here allocates except cJSON's own parse tree, and nothing copies the
 * payload; no state survives a call.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "latency/decode.h"
#include "timefmt.h"
#include "util.h"

#define FIELD_SHOWN 60 /* characters of a dotted path shown in a reason */

/* ---- reasons ---------------------------------------------------------- */

/* A reason, never longer than MO_DECODE_REASON_MAX (NUL included). */
#define fail(r, reason, reason_len, ...)                                                           \
    mo_fail(r, reason, (reason_len) < MO_DECODE_REASON_MAX ? (reason_len) : MO_DECODE_REASON_MAX,  \
            __VA_ARGS__)

/* ---- names ------------------------------------------------------------ */

const char *mo_decode_mode_name(enum mo_decode_mode m)
{
    switch (m) {
    case MO_DECODE_JSON:
        return "json";
    case MO_DECODE_TEXT:
        return "text";
    case MO_DECODE_BINARY:
        return "binary";
    }
    return NULL;
}

const char *mo_ts_format_name(enum mo_ts_format f)
{
    switch (f) {
    case MO_TS_AUTO:
        return "auto";
    case MO_TS_RFC3339:
        return "rfc3339";
    case MO_TS_EPOCH_S:
        return "epoch_s";
    case MO_TS_EPOCH_MS:
        return "epoch_ms";
    case MO_TS_EPOCH_US:
        return "epoch_us";
    case MO_TS_EPOCH_NS:
        return "epoch_ns";
    }
    return NULL;
}

static const char *encoding_name(enum mo_bin_encoding e)
{
    static const char *const names[] = {"u32be", "u32le", "u64be", "u64le"};
    return (unsigned)e < 4 ? names[e] : "?";
}

/* ---- the dotted path -------------------------------------------------- */

int mo_decoder_set_field(struct mo_decoder *d, const char *field)
{
    const char *path[MO_DECODE_PATH_MAX];
    size_t lens[MO_DECODE_PATH_MAX], n = 0;

    if (!field || !*field)
        return -EINVAL;
    for (const char *p = field;;) {
        const char *dot = strchr(p, '.');
        size_t l = dot ? (size_t)(dot - p) : strlen(p);
        if (l == 0 || n == MO_DECODE_PATH_MAX)
            return -EINVAL;
        path[n] = p;
        lens[n++] = l;
        if (!dot)
            break;
        p = dot + 1;
    }
    d->field = field;
    memcpy(d->path, path, n * sizeof path[0]);
    memcpy(d->path_lens, lens, n * sizeof lens[0]);
    d->path_len = n;
    return 0;
}

/* ---- a timestamp as text (text payloads, JSON strings) ---------------- */

_Static_assert(MO_TIME_REASON_MAX <= MO_DECODE_REASON_MAX, "reasons fit");

_Static_assert(MO_UNIT_S == 0 && MO_UNIT_MS == 1 && MO_UNIT_US == 2 && MO_UNIT_NS == 3 &&
                   MO_TIME_EPOCH_MS == MO_TIME_EPOCH_S + 1 &&
                   MO_TIME_EPOCH_US == MO_TIME_EPOCH_S + 2 &&
                   MO_TIME_EPOCH_NS == MO_TIME_EPOCH_S + 3,
               "binary units follow the epoch formats");

static enum mo_time_format time_format(enum mo_ts_format f) { return (enum mo_time_format)f; }

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* ---- json --------------------------------------------------------------- */

/* cJSON skips every byte <= 32 as white space; the scans here agree with it. */
static size_t json_ws(const uint8_t *p, size_t len, size_t i)
{
    while (i < len && p[i] <= 32)
        i++;
    return i;
}

static bool is_number_char(uint8_t c)
{
    return is_digit((char)c) || c == '+' || c == '-' || c == '.' || c == 'e' || c == 'E';
}

/* Skips one value of JSON that cJSON has accepted. */
static bool json_skip(const uint8_t *p, size_t len, size_t *pi)
{
    size_t i = *pi, depth = 0;
    do {
        if (i >= len)
            return false;
        uint8_t c = p[i];
        if (c == '"') {
            for (i++; i < len && p[i] != '"'; i++)
                if (p[i] == '\\')
                    i++;
            if (i >= len)
                return false;
            i++;
        } else if (c == '{' || c == '[') {
            depth++;
            i++;
        } else if (c == '}' || c == ']') {
            if (depth == 0)
                return false;
            depth--;
            i++;
        } else if (depth > 0) {
            i++;
        } else {
            size_t start = i;
            while (i < len && p[i] > 32 && p[i] != ',' && p[i] != '}' && p[i] != ']')
                i++;
            if (i == start)
                return false;
        }
    } while (depth > 0);
    *pi = i;
    return true;
}

/* Finds the text of the number at d's path in a payload cJSON has accepted,
 * walking objects as json_member does (first exact key match). Gives up on
 * anything unexpected and on keys written with escapes or control bytes (cJSON
 * compares those decoded); the caller then falls back to cJSON's double. */
static bool json_locate(const uint8_t *p, size_t len, const struct mo_decoder *d,
                        size_t *ret_start, size_t *ret_end)
{
    size_t i = 0;
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    i = json_ws(p, len, i);
    for (size_t c = 0; c < d->path_len; c++) {
        if (i >= len || p[i] != '{')
            return false;
        i++;
        for (;;) {
            i = json_ws(p, len, i);
            if (i >= len || p[i] != '"')
                return false;
            size_t ks = ++i;
            for (; i < len && p[i] != '"'; i++)
                if (p[i] == '\\' || p[i] < 0x20)
                    return false;
            if (i >= len)
                return false;
            size_t kl = i - ks;
            i = json_ws(p, len, i + 1);
            if (i >= len || p[i] != ':')
                return false;
            i = json_ws(p, len, i + 1);
            if (kl == d->path_lens[c] && memcmp(p + ks, d->path[c], kl) == 0)
                break;
            if (!json_skip(p, len, &i))
                return false;
            i = json_ws(p, len, i);
            if (i >= len || p[i] != ',')
                return false;
            i++;
        }
    }
    size_t start = i;
    while (i < len && is_number_char(p[i]))
        i++;
    if (i == start)
        return false;
    *ret_start = start;
    *ret_end = i;
    return true;
}

static const cJSON *json_member(const cJSON *obj, const char *key, size_t key_len)
{
    for (const cJSON *c = obj->child; c; c = c->next)
        if (c->string && c->string[0] == key[0] && strncmp(c->string, key, key_len) == 0 &&
            c->string[key_len] == '\0')
            return c;
    return NULL;
}

static const char *json_type(const cJSON *v)
{
    if (cJSON_IsBool(v))
        return "a boolean";
    if (cJSON_IsNull(v))
        return "null";
    if (cJSON_IsNumber(v))
        return "a number";
    if (cJSON_IsString(v))
        return "a string";
    if (cJSON_IsArray(v))
        return "an array";
    if (cJSON_IsObject(v))
        return "an object";
    return "invalid";
}

/* The first components [0, n) of the dotted path, for reasons. */
static int field_len(const struct mo_decoder *d, size_t n)
{
    size_t l = (size_t)(d->path[n - 1] + d->path_lens[n - 1] - d->field);
    return l > FIELD_SHOWN ? FIELD_SHOWN : (int)l;
}

static int json_value(const struct mo_decoder *d, const uint8_t *payload, size_t len,
                      const cJSON *v, int64_t *ret_ns, char *reason, size_t reason_len)
{
    if (cJSON_IsString(v)) {
        const char *s = v->valuestring;
        return mo_time_parse(s, strlen(s), time_format(d->format), ret_ns, reason, reason_len);
    }
    if (cJSON_IsNumber(v) && d->format != MO_TS_RFC3339) {
        size_t start, end;
        if (json_locate(payload, len, d, &start, &end)) {
            int r = mo_time_parse_epoch((const char *)payload + start, end - start,
                                        time_format(d->format), ret_ns, reason, reason_len);
            if (r != -EINVAL) /* -EINVAL would mean json_locate found the wrong text */
                return r;
        }
        return mo_time_epoch_double(v->valuedouble, time_format(d->format), ret_ns, reason,
                                    reason_len);
    }
    /* "field meta.sent_at" or, for a path of no components, "payload" */
    return fail(-EINVAL, reason, reason_len, "%s%.*s is %s, expected %s",
                d->path_len ? "field " : "payload", d->path_len ? field_len(d, d->path_len) : 0,
                d->path_len ? d->field : "", json_type(v),
                d->format == MO_TS_RFC3339 ? "an RFC 3339 string" : "a string or number");
}

/* The publisher's bound: a top-level `clock_error_us` number, in µs rounded up. */
static int64_t json_bound(const cJSON *root)
{
    if (!cJSON_IsObject(root))
        return -1;
    const cJSON *b = json_member(root, "clock_error_us", sizeof "clock_error_us" - 1);
    if (!cJSON_IsNumber(b) || !(b->valuedouble >= 0) ||
        b->valuedouble > (double)MO_DECODE_BOUND_MAX_US)
        return -1;
    int64_t us = (int64_t)b->valuedouble;
    return (double)us < b->valuedouble ? us + 1 : us;
}

static int decode_json(const struct mo_decoder *d, const uint8_t *payload, size_t len,
                       int64_t *ret_ns, int64_t *ret_bound_us, char *reason, size_t reason_len)
{
    if (d->path_len > MO_DECODE_PATH_MAX || (d->path_len > 0 && !d->field))
        return fail(-EINVAL, reason, reason_len, "decoder has no valid field path");
    const char *text = (const char *)payload, *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, false);
    if (!root) {
        if (json_ws(payload, len, 0) == len)
            return fail(-EINVAL, reason, reason_len, "payload is only white space");
        return fail(-EINVAL, reason, reason_len, "invalid JSON at byte %zu",
                    end ? (size_t)(end - text) : (size_t)0);
    }
    size_t after = json_ws(payload, len, (size_t)(end - text));
    int r;
    if (after < len) {
        r = fail(-EINVAL, reason, reason_len, "invalid JSON at byte %zu (data after the value)",
                 after);
        goto out;
    }

    const cJSON *v = root;
    for (size_t i = 0; i < d->path_len; i++) {
        if (!cJSON_IsObject(v)) {
            if (i == 0)
                r = fail(-EINVAL, reason, reason_len, "payload is not a JSON object (it is %s)",
                         json_type(v));
            else
                r = fail(-EINVAL, reason, reason_len, "field %.*s missing (%.*s is %s, not an object)",
                         field_len(d, d->path_len), d->field, field_len(d, i), d->field,
                         json_type(v));
            goto out;
        }
        const cJSON *c = json_member(v, d->path[i], d->path_lens[i]);
        if (!c) {
            if (i + 1 == d->path_len)
                r = fail(-EINVAL, reason, reason_len, "field %.*s missing",
                         field_len(d, d->path_len), d->field);
            else
                r = fail(-EINVAL, reason, reason_len, "field %.*s missing (no %.*s)",
                         field_len(d, d->path_len), d->field, field_len(d, i + 1), d->field);
            goto out;
        }
        v = c;
    }
    r = json_value(d, payload, len, v, ret_ns, reason, reason_len);
    if (r == 0 && ret_bound_us)
        *ret_bound_us = json_bound(root);
out:
    cJSON_Delete(root);
    return r;
}

/* ---- binary ------------------------------------------------------------- */

static int decode_binary(const struct mo_decoder *d, const uint8_t *payload, size_t len,
                         int64_t *ret_ns, char *reason, size_t reason_len)
{
    if ((unsigned)d->encoding > MO_BIN_U64LE || (unsigned)d->unit > MO_UNIT_NS)
        return fail(-EINVAL, reason, reason_len, "decoder has an invalid encoding or unit");
    bool wide = d->encoding == MO_BIN_U64BE || d->encoding == MO_BIN_U64LE;
    bool big = d->encoding == MO_BIN_U32BE || d->encoding == MO_BIN_U64BE;
    size_t size = wide ? 8 : 4;

    if (d->offset > len || len - d->offset < size) {
        if (d->offset > SIZE_MAX - size)
            return fail(-EINVAL, reason, reason_len, "payload is %zu bytes; offset %zu is too large",
                        len, d->offset);
        return fail(-EINVAL, reason, reason_len, "payload is %zu bytes; a %s at offset %zu needs %zu",
                    len, encoding_name(d->encoding), d->offset, d->offset + size);
    }
    const uint8_t *b = payload + d->offset;
    uint64_t v = 0;
    for (size_t i = 0; i < size; i++)
        v |= (uint64_t)b[big ? i : size - 1 - i] << (8 * (size - 1 - i));

    /* the units in the order of the epoch formats: s, ms, us, ns */
    enum mo_time_format unit = (enum mo_time_format)(MO_TIME_EPOCH_S + (int)d->unit);
    if (mo_time_epoch_u64(v, unit, ret_ns) < 0)
        return fail(-ERANGE, reason, reason_len,
                    "timestamp out of range: %llu %s (%s at offset %zu) is %s",
                    (unsigned long long)v, mo_time_unit_name(unit), encoding_name(d->encoding),
                    d->offset, MO_TIME_RANGE);
    return 0;
}

/* ---- entry point -------------------------------------------------------- */

static bool is_space(uint8_t c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

int mo_decode_timestamp(const struct mo_decoder *d, const uint8_t *payload, size_t len,
                        int64_t *ret_ns, char *reason, size_t reason_len)
{
    return mo_decode_timestamp_bound(d, payload, len, ret_ns, NULL, reason, reason_len);
}

int mo_decode_timestamp_bound(const struct mo_decoder *d, const uint8_t *payload, size_t len,
                              int64_t *ret_ns, int64_t *ret_bound_us, char *reason,
                              size_t reason_len)
{
    if (ret_bound_us)
        *ret_bound_us = -1;
    char scratch[1];
    if (!reason || reason_len == 0) {
        reason = scratch;
        reason_len = sizeof scratch;
    }
    reason[0] = '\0';

    if (len == 0)
        return fail(-EINVAL, reason, reason_len, "empty payload");
    switch (d->mode) {
    case MO_DECODE_JSON:
        return decode_json(d, payload, len, ret_ns, ret_bound_us, reason, reason_len);
    case MO_DECODE_TEXT: {
        size_t a = 0, b = len;
        while (a < b && is_space(payload[a]))
            a++;
        while (b > a && is_space(payload[b - 1]))
            b--;
        if (a == b)
            return fail(-EINVAL, reason, reason_len, "payload is only white space");
        return mo_time_parse((const char *)payload + a, b - a, time_format(d->format), ret_ns,
                             reason, reason_len);
    }
    case MO_DECODE_BINARY:
        return decode_binary(d, payload, len, ret_ns, reason, reason_len);
    }
    return fail(-EINVAL, reason, reason_len, "unknown decode mode %d", (int)d->mode);
}

bool mo_latency_measure(const struct mo_decoder *d, const struct mo_item *it, int64_t received_ns,
                        int64_t host_bound_us, struct mo_latency *ret)
{
    ret->ok = false;
    ret->received_ns = received_ns;
    ret->host_bound_us = host_bound_us;
    ret->publisher_bound_us = -1;
    ret->skew_us = 0;
    if (it->value_kind == MO_VALUE_NONE) {
        snprintf(ret->reason, sizeof ret->reason, "the item carries no value");
        return false;
    }
    int64_t diff;
    if (mo_decode_timestamp_bound(d, it->value, it->value_len, &ret->published_ns,
                                  &ret->publisher_bound_us, ret->reason, sizeof ret->reason) < 0)
        return false;
    if (__builtin_sub_overflow(received_ns, ret->published_ns, &diff) || diff == INT64_MIN) {
        snprintf(ret->reason, sizeof ret->reason, "timestamp out of range");
        return false;
    }
    /* floor, so that -1 ns is -1 us and counted negative, not rounded to 0 */
    ret->latency_us = diff >= 0 ? diff / 1000 : -((-diff + 999) / 1000);
    ret->ok = true;
    /* below -(both bounds): no true latency explains it (a missing
     * publisher bound counts as 0; an unknown one of ours proves nothing) */
    if (__builtin_expect(ret->latency_us < 0, 0) && host_bound_us >= 0) {
        int64_t both = host_bound_us + (ret->publisher_bound_us > 0 ? ret->publisher_bound_us : 0);
        if (-ret->latency_us > both)
            ret->skew_us = -ret->latency_us - both;
    }
    return true;
}

int64_t mo_latency_bound_us(const struct mo_latency *l)
{
    return l->host_bound_us >= 0 && l->publisher_bound_us >= 0
               ? l->host_bound_us + l->publisher_bound_us
               : -1;
}
