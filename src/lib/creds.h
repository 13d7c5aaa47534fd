/* creds.h - Momento credentials: where the key comes from and what it says.
 *
 * Formats (src/proto/README.md §9.2):
 *   v2 API key     a JWT whose claims hold t == "g"; the endpoint comes from
 *                  elsewhere (config `endpoint:` or MOMENTO_ENDPOINT);
 *   v1 key and     base64 of JSON {"endpoint": "...", "api_key": "<jwt>"};
 *   disposable     the inner api_key is what goes in `authorization`;
 *   legacy JWT     claim c is the cache host (claim cp the control host).
 *
 * Error texts name the source and what is wrong, never the key itself, nor a
 * file name that looks like a key (secret.h). Every failure writes one.
 */
#ifndef MO_CREDS_H
#define MO_CREDS_H

#include <stddef.h>
#include <stdint.h>

enum mo_key_kind {
    MO_KEY_NONE,       /* no key: an empty token, only valid with an endpoint override */
    MO_KEY_V2,
    MO_KEY_V1,         /* v1 API key or disposable token */
    MO_KEY_LEGACY_JWT,
};

struct mo_creds {
    enum mo_key_kind kind;
    char *token;      /* the `authorization` value; "" for MO_KEY_NONE */
    char *endpoint;   /* base endpoint carried by a v1 key, else NULL */
    char *cache_host; /* legacy JWT claim c, else NULL */
    char source[512]; /* where the key came from, for messages */
    /* when the key expires, seconds since the epoch, from the JWT's `exp`
     * claim (of the key itself, or of a v1 key's or disposable token's inner
     * api_key); 0 when it carries none */
    int64_t expires_at;
};

/* Parses one key. On error returns -EINVAL (or -ENOMEM) and writes a
 * sentence to err (prefixed by nothing; the caller adds the source). */
int mo_creds_parse(const char *key, struct mo_creds *ret, char *err, size_t errlen);

/* Finds the key: `api_key_file` if given, else $CREDENTIALS_DIRECTORY/momento-api-key,
 * else $MOMENTO_API_KEY. Returns 0 with kind MO_KEY_NONE when none exists
 * (the caller decides whether that is allowed), or a negative errno with err. */
int mo_creds_load(const char *api_key_file, struct mo_creds *ret, char *err, size_t errlen);

/* Reads a key file: the whole regular file (16384 bytes at most), white
 * space around it removed, into *ret (the caller wipes and frees it). Errors
 * name the file unless its name looks like a key (secret.h). */
int mo_creds_read_file(const char *path, char **ret, char *err, size_t errlen);

void mo_creds_clear(struct mo_creds *c);

const char *mo_key_kind_name(enum mo_key_kind k);

/* Decodes standard or URL-safe base64, padded or not. Returns the decoded
 * length, or -1 for invalid input. `out` must hold len*3/4+3 bytes. */
long mo_base64_decode(const char *in, size_t len, unsigned char *out);

#endif
