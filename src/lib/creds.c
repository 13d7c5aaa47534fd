/* creds.c - parse Momento API keys and find them (file, systemd credential, env). */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cleanup.h"
#include "creds.h"
#include "secret.h"
#include "util.h"

/* The longest key we accept from any source; real keys are well under 4 KiB. */
#define MAX_KEY_LEN 16384

MO_DEFINE_FREEP(cJSON, cJSON_Delete)

/* Secrets are wiped before their memory is freed. */
static void free_secret(char **p)
{
    if (*p) {
        explicit_bzero(*p, strlen(*p));
        free(*p);
    }
}

static void json_wipe(cJSON *item)
{
    for (; item; item = item->next) {
        if (item->valuestring)
            explicit_bzero(item->valuestring, strlen(item->valuestring));
        json_wipe(item->child);
    }
}

static void secret_json_deletep(cJSON **p)
{
    if (*p) {
        json_wipe(*p);
        cJSON_Delete(*p);
    }
}

const char *mo_key_kind_name(enum mo_key_kind k)
{
    switch (k) {
    case MO_KEY_V2:
        return "v2 API key";
    case MO_KEY_V1:
        return "v1 API key or disposable token";
    case MO_KEY_LEGACY_JWT:
        return "legacy JWT";
    default:
        return "none";
    }
}

long mo_base64_decode(const char *in, size_t len, unsigned char *out)
{
    while (len > 0 && in[len - 1] == '=')
        len--;
    if (len % 4 == 1)
        return -1;
    unsigned long acc = 0;
    int bits = 0;
    long n = 0;
    for (size_t i = 0; i < len; i++) {
        int v = mo_base64_value((unsigned char)in[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (unsigned char)(acc >> bits);
        }
    }
    /* leftover bits must be zero in canonical base64 */
    if (bits > 0 && (acc & ((1UL << bits) - 1)) != 0)
        return -1;
    return n;
}

/* Decodes base64 text to a NUL-terminated string; NULL if invalid. */
static char *b64_to_string(const char *in, size_t len)
{
    unsigned char *out = malloc(len * 3 / 4 + 4);
    if (!out)
        return NULL;
    long n = mo_base64_decode(in, len, out);
    if (n < 0) {
        free(out);
        return NULL;
    }
    out[n] = '\0';
    return (char *)out;
}

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t errlen, const char *fmt,
                                                      ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

static const char *json_string(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(v) && v->valuestring[0] ? v->valuestring : NULL;
}

/* Splits a JWT and parses its claims (the middle part). */
static int jwt_claims(const char *jwt, cJSON **ret, char *err, size_t errlen)
{
    const char *dot1 = strchr(jwt, '.');
    const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    if (!dot1 || !dot2 || strchr(dot2 + 1, '.'))
        return fail(err, errlen, "a JWT must have three dot-separated parts");
    _cleanup_free_ char *json = b64_to_string(dot1 + 1, (size_t)(dot2 - dot1 - 1));
    if (!json)
        return fail(err, errlen, "the JWT claims part is not valid base64url");
    cJSON *claims = cJSON_Parse(json);
    if (!claims || !cJSON_IsObject(claims)) {
        cJSON_Delete(claims);
        return fail(err, errlen, "the JWT claims part is not a JSON object");
    }
    *ret = claims;
    return 0;
}

static bool is_token_char(unsigned char c) { return c > 0x20 && c < 0x7f; }

/* The `exp` claim: a positive number of seconds since the epoch, else 0. */
static int64_t claims_exp(const cJSON *claims)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(claims, "exp");
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= 1) || v->valuedouble > 1e15)
        return 0;
    return (int64_t)v->valuedouble;
}

/* The expiry of an inner api_key that is a JWT; 0 when it is not one or has none. */
static int64_t inner_exp(const char *jwt)
{
    if (!strchr(jwt, '.'))
        return 0;
    _cleanup_(cJSON_Deletep) cJSON *claims = NULL;
    char why[160];
    return jwt_claims(jwt, &claims, why, sizeof why) < 0 ? 0 : claims_exp(claims);
}

int mo_creds_parse(const char *key, struct mo_creds *ret, char *err, size_t errlen)
{
    size_t len = strlen(key);
    if (len == 0)
        return fail(err, errlen, "the key is empty");
    if (len > MAX_KEY_LEN)
        return fail(err, errlen, "the key is longer than 16384 bytes");
    for (size_t i = 0; i < len; i++)
        if (!is_token_char((unsigned char)key[i]))
            return fail(err, errlen, "%s",
                        "the key contains a space or a non-printable character; it should be one "
                        "line of text as the Momento console shows it");

    struct mo_creds c = {0};
    if (strchr(key, '.')) {
        /* A JWT: v2 (t == "g") or legacy (claim c). */
        _cleanup_(cJSON_Deletep) cJSON *claims = NULL;
        char why[160];
        if (jwt_claims(key, &claims, why, sizeof why) < 0)
            return fail(err, errlen, "the key looks like a JWT but is malformed: %s", why);
        c.expires_at = claims_exp(claims);
        const char *t = json_string(claims, "t");
        if (t && strcmp(t, "g") == 0) {
            c.kind = MO_KEY_V2;
        } else {
            const char *host = json_string(claims, "c");
            if (!host)
                return fail(err, errlen, "%s",
                            "the key is a JWT with neither claim t=\"g\" (v2 API key) nor claim c "
                            "(legacy key with a cache host)");
            c.kind = MO_KEY_LEGACY_JWT;
            c.cache_host = strdup(host);
        }
        c.token = strdup(key);
    } else {
        /* v1 key or disposable token: base64 of {"endpoint","api_key"}. */
        _cleanup_(free_secret) char *json = b64_to_string(key, len);
        if (!json)
            return fail(err, errlen, "%s",
                        "the key is neither a JWT (v2 or legacy key) nor base64 (v1 key or "
                        "disposable token)");
        _cleanup_(secret_json_deletep) cJSON *obj = cJSON_Parse(json);
        if (!obj || !cJSON_IsObject(obj))
            return fail(err, errlen, "%s",
                        "the key decodes as base64 but not to a JSON object, as a v1 key or "
                        "disposable token would");
        const char *ep = json_string(obj, "endpoint");
        const char *api_key = json_string(obj, "api_key");
        if (!ep || !api_key)
            return fail(err, errlen, "the v1 key or disposable token lacks the string field %s",
                        !ep ? "\"endpoint\"" : "\"api_key\"");
        for (const char *p = api_key; *p; p++)
            if (!is_token_char((unsigned char)*p))
                return fail(err, errlen, "%s",
                            "the inner api_key of the v1 key contains a non-printable character");
        c.kind = MO_KEY_V1;
        c.expires_at = inner_exp(api_key);
        c.token = strdup(api_key);
        c.endpoint = strdup(ep);
    }
    if (!c.token || (c.kind == MO_KEY_V1 && !c.endpoint) ||
        (c.kind == MO_KEY_LEGACY_JWT && !c.cache_host)) {
        mo_creds_clear(&c);
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    mo_creds_clear(ret);
    *ret = c;
    return 0;
}

void mo_creds_clear(struct mo_creds *c)
{
    if (c->token) {
        /* do not leave the secret in freed memory */
        explicit_bzero(c->token, strlen(c->token));
        free(c->token);
    }
    free(c->endpoint);
    free(c->cache_host);
    *c = (struct mo_creds){0};
}

int mo_creds_read_file(const char *path, char **ret, char *err, size_t errlen)
{
    const char *name = mo_secret_redact(path);
    /* non-blocking: a FIFO given by mistake must not hang the program here */
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        int e = errno;
        if (name != path) {
            /* the key itself was written where its file name belongs */
            snprintf(err, errlen, "the API key file's name looks like an API key, not the name "
                                  "of a file; put the key in a file and name that file");
            return -EINVAL;
        }
        snprintf(err, errlen, "cannot open API key file %s: %s", name, strerror(e));
        return -e;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "API key file %s is not a regular file", name);
        return -EINVAL;
    }
    if (st.st_size > MAX_KEY_LEN) {
        snprintf(err, errlen, "API key file %s is larger than 16384 bytes", name);
        return -EFBIG;
    }
    char *buf = malloc((size_t)st.st_size + 1);
    if (!buf) {
        snprintf(err, errlen, "out of memory reading API key file %s", name);
        return -ENOMEM;
    }
    size_t n = 0;
    while (n < (size_t)st.st_size) {
        ssize_t k = read(fd, buf + n, (size_t)st.st_size - n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        n += (size_t)k;
    }
    buf[n] = '\0';
    size_t got = n, a = 0;
    while (a < n && isspace((unsigned char)buf[a]))
        a++;
    while (n > a && isspace((unsigned char)buf[n - 1]))
        n--;
    memmove(buf, buf + a, n - a);
    /* wipe what the move left behind the end (this also terminates the key) */
    explicit_bzero(buf + (n - a), got + 1 - (n - a));
    *ret = buf;
    return 0;
}

static int parse_from(const char *key, const char *source, struct mo_creds *ret, char *err,
                      size_t errlen)
{
    char why[256];
    int r = mo_creds_parse(key, ret, why, sizeof why);
    if (r < 0) {
        snprintf(err, errlen, "%s: %s", source, why);
        return r;
    }
    snprintf(ret->source, sizeof ret->source, "%s", source);
    return 0;
}

int mo_creds_load(const char *api_key_file, struct mo_creds *ret, char *err, size_t errlen)
{
    char source[400];
    _cleanup_(free_secret) char *key = NULL;

    if (api_key_file && *api_key_file) {
        int r = mo_creds_read_file(api_key_file, &key, err, errlen);
        if (r < 0)
            return r;
        snprintf(source, sizeof source, "API key file %s", mo_secret_redact(api_key_file));
        return parse_from(key, source, ret, err, errlen);
    }

    const char *dir = getenv("CREDENTIALS_DIRECTORY");
    if (dir && *dir) {
        char path[4096];
        snprintf(path, sizeof path, "%s/momento-api-key", dir);
        if (access(path, F_OK) == 0) {
            int r = mo_creds_read_file(path, &key, err, errlen);
            if (r < 0)
                return r;
            return parse_from(key, "systemd credential momento-api-key", ret, err, errlen);
        }
    }

    const char *env = getenv("MOMENTO_API_KEY");
    if (env && *env)
        return parse_from(env, "environment variable MOMENTO_API_KEY", ret, err, errlen);

    mo_creds_clear(ret);
    ret->kind = MO_KEY_NONE;
    ret->token = strdup("");
    snprintf(ret->source, sizeof ret->source, "no API key");
    if (!ret->token) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    return 0;
}
