/* payload.c - message bodies of momento-publish, with exact-size padding. */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "payload.h"
#include "timefmt.h"

/* The fixed part every JSON format shares, as the seed article's model has it. */
#define SEED_HEAD "{\"key_one\":\"KeyOne\",\"key_two\":\"KeyTwo\",\"key_three\":"

static const char *const format_names[] = {
    [PAYLOAD_SEED] = "seed",
    [PAYLOAD_EPOCH_MS] = "epoch_ms",
    [PAYLOAD_TEXT] = "text",
};

int payload_format_parse(const char *s, enum payload_format *ret)
{
    for (int f = PAYLOAD_SEED; f <= PAYLOAD_TEXT; f++)
        if (strcmp(s, format_names[f]) == 0) {
            *ret = (enum payload_format)f;
            return 0;
        }
    return -EINVAL;
}

const char *payload_format_name(enum payload_format f)
{
    return f == PAYLOAD_LITERAL ? "literal" : format_names[f];
}

/* Writes the unpadded message; returns what snprintf returns (may exceed cap). */
static int unpadded(const struct payload_spec *s, uint64_t seq, int64_t real_ns, int64_t bound_us,
                    char *buf, size_t cap)
{
    char ts[48], bound[48] = "";
    if (bound_us >= 0)
        snprintf(bound, sizeof bound, ",\"clock_error_us\":%" PRId64, bound_us);
    switch (s->format) {
    case PAYLOAD_SEED:
        mo_time_format_rfc3339(real_ns, 6, 0, ts, sizeof ts);
        return snprintf(buf, cap, SEED_HEAD "%" PRIu64 ",\"timestamp\":\"%s\"%s}", seq, ts, bound);
    case PAYLOAD_EPOCH_MS: {
        /* floor division, so a time before 1970 still rounds towards the past */
        int64_t ms = real_ns / 1000000;
        if (real_ns % 1000000 < 0)
            ms--;
        return snprintf(buf, cap, SEED_HEAD "%" PRIu64 ",\"published_ms\":%" PRId64 "%s}", seq, ms,
                        bound);
    }
    case PAYLOAD_TEXT:
        mo_time_format_rfc3339(real_ns, 6, 0, ts, sizeof ts);
        return snprintf(buf, cap, "%s", ts);
    case PAYLOAD_LITERAL:
        return snprintf(buf, cap, "%s", s->literal ? s->literal : "");
    }
    return 0;
}

size_t payload_unpadded_len(const struct payload_spec *s, uint64_t seq, int64_t real_ns,
                            int64_t bound_us)
{
    char buf[256];
    if (s->format == PAYLOAD_LITERAL)
        return s->literal ? strlen(s->literal) : 0;
    int n = unpadded(s, seq, real_ns, bound_us, buf, sizeof buf);
    return n < 0 ? 0 : (size_t)n;
}

long payload_build(const struct payload_spec *s, uint64_t seq, int64_t real_ns, int64_t bound_us,
                   char *buf, size_t cap)
{
    int r = unpadded(s, seq, real_ns, bound_us, buf, cap);
    /* the exact size asked for wins over the bound: left out when it does not fit */
    if (r >= 0 && s->size && (size_t)r > s->size && bound_us >= 0)
        r = unpadded(s, seq, real_ns, -1, buf, cap);
    if (r < 0)
        return -EINVAL;
    size_t n = (size_t)r;
    if (s->size == 0) {
        if (n >= cap)
            return -ENOBUFS;
        return (long)n;
    }
    if (n > s->size)
        return -EMSGSIZE;
    if (s->size >= cap)
        return -ENOBUFS;
    size_t pad = s->size - n;
    if (pad == 0)
        return (long)n;

    if (s->format == PAYLOAD_TEXT || s->format == PAYLOAD_LITERAL) {
        memset(buf + n, ' ', pad);
    } else if (pad < PAYLOAD_PAD_FIELD_LEN) {
        /* too short for a member: whitespace before the closing brace */
        memset(buf + n - 1, ' ', pad);
        buf[n - 1 + pad] = '}';
    } else {
        char *p = buf + n - 1; /* overwrite the closing brace */
        memcpy(p, ",\"padding\":\"", 12);
        p += 12;
        size_t x = pad - PAYLOAD_PAD_FIELD_LEN;
        memset(p, 'x', x);
        p += x;
        memcpy(p, "\"}", 2);
    }
    buf[s->size] = '\0';
    return (long)s->size;
}
