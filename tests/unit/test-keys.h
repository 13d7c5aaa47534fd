/* test-keys.h - recognizable API keys for unit tests, and a check that none
 * of them shows in a text (include after test.h).
 *
 *   TEST_KEY_V2   a syntactically valid v2 API key whose three parts are
 *                 also valid DNS labels (letters and digits, at most 63), so
 *                 that only the secret rule keeps it out of a host name
 *   TEST_KEY_V1   a v1 API key: base64 of {"endpoint","api_key"}
 *   TEST_KEY_V1_INNER   the api_key inside TEST_KEY_V1
 *   TEST_KEY_BAD  a v2 key whose claims part is cut (malformed, still key-shaped)
 *
 * TEST_NO_PIECE(text, key) fails when any 8 consecutive characters of key
 * occur in text.
 */
#ifndef MO_TEST_KEYS_H
#define MO_TEST_KEYS_H

#include <stdbool.h>
#include <string.h>

#define TEST_KEY_V2                                                                                \
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0IjoiZyIsImlkIjoidW5pdC10ZXN0LWtleSJ9."            \
    "BwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyAhIiMkJSY"
#define TEST_KEY_V1_INNER                                                                          \
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1bml0LXYxIiwiYyI6ImNhY2hlLmNlbGwtOS5leGFtcGxlLmNvbSJ9."     \
    "MjM0NTY3ODk6Ozw9Pj9AQUJDREVGR0hJSktMTU5PUFE"
#define TEST_KEY_V1                                                                                \
    "eyJlbmRwb2ludCI6ImNlbGwtOS5leGFtcGxlLmNvbSIsImFwaV9rZXkiOiJleUpoYkdjaU9pSklVekkxTmlKOS5leUp6" \
    "ZFdJaU9pSjFibWwwTFhZeElpd2lZeUk2SW1OaFkyaGxMbU5sYkd3dE9TNWxlR0Z0Y0d4bExtTnZiU0o5Lk1qTTBOVFkz" \
    "T0RrNk96dzlQajlBUVVKRFJFVkdSMGhKU2t0TVRVNVBVRkUifQ=="
#define TEST_KEY_BAD "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0IjoiZyIsIm.BwgJCgsMDQ4PEBESExQVFhcY"

/* The first 8-character piece of key found in text, or NULL. */
static inline const char *test_key_piece(const char *text, const char *key)
{
    static char piece[9];
    size_t n = strlen(key);
    for (size_t i = 0; text && i + 8 <= n; i++) {
        memcpy(piece, key + i, 8);
        piece[8] = '\0';
        if (strstr(text, piece))
            return piece;
    }
    return NULL;
}

#define TEST_NO_PIECE(text, key)                                                                   \
    do {                                                                                           \
        const char *_t = (text), *_p = test_key_piece(_t, key);                                    \
        test_checks++;                                                                             \
        if (_p) {                                                                                  \
            test_failures++;                                                                       \
            fprintf(stderr, "%s:%d: \"%s\" holds \"%s\", a piece of %s\n", __FILE__, __LINE__,    \
                    _t, _p, #key);                                                                 \
        }                                                                                          \
    } while (0)

#endif
