/* secret.h - what looks like an API key, and keeping it out of every message.
 *
 * The programs echo what comes from outside: configuration values and keys,
 * file names, command-line arguments, environment variables, the details a
 * server sends. An API key can turn up in any of them by mistake (pasted
 * where a host belongs, passed as a file name), and a message must not then
 * repeat it. So every path that echoes such a value passes it through
 * mo_secret_redact (one value) or mo_secret_scrub (a text of several words,
 * such as a server's details), and the configuration refuses a value that
 * looks like a key wherever it is written.
 *
 * The rule, one for all: text looks like a secret when it holds
 *   1. a JWT or base64 JSON: "eyJ" (base64 of '{"') where a word or a dotted
 *      part starts, followed by base64 whose first 12 characters decode to
 *      printable text. Every Momento key starts so: a v2 API key, a legacy
 *      key (both JWTs), a v1 key or disposable token (base64 of JSON), and
 *      the JWT inside a v1 key;
 *   2. base64 of JSON that names "api_key" or "endpoint" (a v1 key written
 *      with other spacing or order), in any alignment;
 *   3. a long random-looking run: at least 32 characters of the base64 and
 *      base64url alphabets, upper and lower case, where neighbouring letters
 *      and digits change class (upper, lower, digit) as often as in random
 *      text, and lower-case letters do not come in runs as in words,
 *      CamelCase names and host names.
 * Host names, cache and topic names, paths and sentences are not flagged:
 * tests/unit/test-secret.c holds cases on both sides of the line.
 *
 * Nothing here allocates or fails.
 */
#ifndef MO_SECRET_H
#define MO_SECRET_H

#include <stdbool.h>
#include <stddef.h>

/* What a hidden value is shown as. */
#define MO_SECRET_HIDDEN "<hidden>"

/* The alphabets the rule reads (and creds.c decodes keys in): the value (0
 * to 63) of one base64 digit, both alphabets at once: '+' and '-' are 62,
 * '/' and '_' are 63. -1 for anything else, '=' included. */
int mo_base64_value(unsigned char c);

/* Whether the len bytes at s look like a secret (the rule above). */
bool mo_secret_like(const char *s, size_t len);

/* s itself, or MO_SECRET_HIDDEN when s looks like a secret; NULL stays NULL.
 * The whole of s is judged, so a caller may then print it cut short. */
const char *mo_secret_redact(const char *s);

/* Copies the len bytes at src to dst (size bytes, always NUL-terminated,
 * cut to fit), each word (a run without white space) that looks like a
 * secret replaced by MO_SECRET_HIDDEN, the quotes, brackets and punctuation
 * around it kept. Words are judged whole, before any cut. dst may be src:
 * the result is never longer than the text. Returns the length written. */
size_t mo_secret_scrub(const char *src, size_t len, char *dst, size_t size);

#endif
