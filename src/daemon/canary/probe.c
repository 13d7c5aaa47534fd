/* probe.c - the canary's probe text (probe.h). */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "canary/probe.h"
#include "timefmt.h"

/* The unpadded probe, without its closing brace; returns its length or -ENOBUFS. */
static long unpadded(char *buf, size_t cap, const char *id, const char *host, uint64_t seq,
                     int64_t real_ns, int64_t clock_error_us)
{
    char ts[MO_TIME_RFC3339_MAX], bound[40] = "";
    if (mo_time_format_rfc3339(real_ns, 6, 0, ts, sizeof ts) < 0)
        return -EINVAL;
    if (clock_error_us >= 0)
        snprintf(bound, sizeof bound, ",\"clock_error_us\":%" PRId64, clock_error_us);
    int n = snprintf(buf, cap, "{\"timestamp\":\"%s\"%s,\"canary\":{\"id\":\"%s\",\"host\":\"%s\",\"seq\":%" PRIu64 "}",
                     ts, bound, id, host, seq);
    if (n < 0 || (size_t)n >= cap)
        return -ENOBUFS;
    return n;
}

long mo_probe_build(char *buf, size_t cap, const char *id, const char *host, uint64_t seq,
                    int64_t real_ns, int64_t clock_error_us, size_t size)
{
    long n = unpadded(buf, cap, id, host, seq, real_ns, clock_error_us);
    if (n < 0)
        return n;
    size_t len = (size_t)n, want = size ? size : len + 1;
    if (len + 1 > want)
        return -EMSGSIZE;
    if (want + 1 > cap)
        return -ENOBUFS;
    size_t missing = want - len - 1; /* bytes between the object and its brace */
    if (missing >= MO_PROBE_PAD_FIELD_LEN) {
        memcpy(buf + len, ",\"padding\":\"", 12);
        memset(buf + len + 12, 'x', missing - MO_PROBE_PAD_FIELD_LEN);
        buf[want - 2] = '"';
    } else {
        memset(buf + len, ' ', missing);
    }
    buf[want - 1] = '}';
    buf[want] = '\0';
    return (long)want;
}

size_t mo_probe_len_max(size_t host_len, size_t size)
{
    /* the widest timestamp, seq and bound: 27 + 20 + 20 characters */
    static const char fixed[] = "{\"timestamp\":\"\",\"clock_error_us\":,\"canary\":{\"id\":\"\",\"host\":\"\",\"seq\":}}";
    size_t longest = sizeof fixed - 1 + 27 + 20 + 20 + MO_PROBE_ID_LEN + host_len;
    return size > longest ? size : longest;
}

static bool is_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

int mo_probe_parse(const void *value, size_t len, struct mo_probe *p)
{
    /* most values of a canary topic are probes; anything else is cheap to refuse */
    if (len < 2 || ((const char *)value)[0] != '{')
        return -EINVAL;
    const char *end = NULL, *stop = (const char *)value + len;
    cJSON *root = cJSON_ParseWithLengthOpts(value, len, &end, false);
    if (!root)
        return -EINVAL;
    int r = -EINVAL;
    /* one object and nothing after it but white space, as JSON allows */
    while (end < stop && (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r'))
        end++;
    if (end != stop)
        goto out;
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(root, "canary");
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(c, "id");
    const cJSON *host = cJSON_GetObjectItemCaseSensitive(c, "host");
    const cJSON *seq = cJSON_GetObjectItemCaseSensitive(c, "seq");
    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(root, "timestamp");
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(root, "clock_error_us");
    if (!cJSON_IsObject(c) || !cJSON_IsString(id) || !cJSON_IsString(host) || !cJSON_IsNumber(seq) ||
        !cJSON_IsString(ts))
        goto out;
    size_t idn = strlen(id->valuestring), hn = strlen(host->valuestring);
    if (idn != MO_PROBE_ID_LEN || !is_hex(id->valuestring, idn) || hn == 0 || hn > MO_PROBE_HOST_MAX)
        goto out;
    /* a seq is an integer from 1 that a double holds exactly */
    if (!(seq->valuedouble >= 1 && seq->valuedouble <= 9007199254740992.0) ||
        seq->valuedouble != (double)(uint64_t)seq->valuedouble)
        goto out;
    if (mo_time_parse_rfc3339(ts->valuestring, strlen(ts->valuestring), &p->published_ns, NULL, 0) < 0)
        goto out;
    memcpy(p->id, id->valuestring, idn + 1);
    memcpy(p->host, host->valuestring, hn + 1);
    p->seq = (uint64_t)seq->valuedouble;
    p->clock_error_us = -1;
    if (cJSON_IsNumber(err) && err->valuedouble >= 0 && err->valuedouble < 1e15)
        p->clock_error_us = (int64_t)err->valuedouble;
    r = 0;
out:
    cJSON_Delete(root);
    return r;
}

void mo_probe_host_clean(const char *name, char *out)
{
    size_t n = 0;
    for (; name && name[n] && n < MO_PROBE_HOST_MAX; n++) {
        char ch = name[n];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                  ch == '.' || ch == '-' || ch == '_';
        out[n] = ok ? ch : '_';
    }
    if (n == 0)
        memcpy(out, "unknown", (n = 7));
    out[n] = '\0';
}
