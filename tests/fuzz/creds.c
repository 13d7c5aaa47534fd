/* creds.c - fuzz target: the API key parser (mo_creds_parse, src/lib/creds.h)
 * and its base64 decoder.
 *
 * The input is a key as a file or the environment would hold it. Properties:
 * only 0, -EINVAL or -ENOMEM; an error says something and never quotes the
 * key (no 16 bytes of it appear in the error); a parsed key has what its kind
 * needs; base64 output stays within the size creds.h promises.
 */
#include <config.h>

#include <errno.h>

#include <string.h>

#include "creds.h"
#include "fuzz.h"

#define PIECE 16 /* no piece of the key this long may appear in an error */

/* A key of printable characters only gets past the first check; the errors
 * past it are fixed sentences, whose words are all shorter than PIECE. (A key
 * with a space gets a fixed sentence too, and may well contain its words.) */
static void no_echo(const char *key, size_t len, const char *err)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)key[i] <= 0x20 || (unsigned char)key[i] >= 0x7f)
            return;
    size_t elen = strlen(err);
    for (size_t j = 0; len >= PIECE && j + PIECE <= elen; j++)
        if (memmem(key, len, err + j, PIECE)) {
            fprintf(stderr, "the error quotes the key: %s\n", err);
            FUZZ_CHECK(!"the key is echoed");
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *key = fuzz_strndup(data, size);
    size_t len = strlen(key); /* a key is a C string: up to its first NUL */

    struct mo_creds c = {0};
    char err[512];
    memset(err, 'x', sizeof err);
    int r = mo_creds_parse(key, &c, err, sizeof err);
    FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ENOMEM);
    if (r == 0) {
        FUZZ_CHECK(c.token != NULL);
        FUZZ_CHECK(mo_key_kind_name(c.kind) != NULL);
        switch (c.kind) {
        case MO_KEY_V2:
            FUZZ_CHECK(strcmp(c.token, key) == 0 && !c.endpoint && !c.cache_host);
            break;
        case MO_KEY_LEGACY_JWT:
            FUZZ_CHECK(strcmp(c.token, key) == 0 && c.cache_host && c.cache_host[0]);
            break;
        case MO_KEY_V1:
            FUZZ_CHECK(c.endpoint && c.endpoint[0] && c.token[0]);
            break;
        default:
            FUZZ_CHECK(!"a parsed key of no kind");
        }
        for (const char *p = c.token; *p; p++)
            FUZZ_CHECK(*p > 0x20 && *p < 0x7f);
    } else if (r == -EINVAL) {
        FUZZ_CHECK(fuzz_terminated(err, sizeof err) && err[0]);
        no_echo(key, len, err);
        FUZZ_CHECK(c.token == NULL); /* untouched */
    }
    mo_creds_clear(&c);

    size_t cap = len * 3 / 4 + 3;
    unsigned char *out = malloc(cap);
    FUZZ_CHECK(out != NULL);
    long n = mo_base64_decode(key, len, out);
    FUZZ_CHECK(n >= -1 && (n < 0 || (size_t)n <= cap));
    free(out);
    free(key);
    return 0;
}
