/* fuzz.h - what every libFuzzer target in tests/fuzz shares.
 *
 * A target is one LLVMFuzzerTestOneInput over a module's public header. Beyond
 * the sanitizers' own checks, targets assert properties of what the module
 * returns (FUZZ_CHECK): a failed property prints where and aborts, which
 * libFuzzer reports as a crash with its input. tests/fuzz/README.md says how
 * targets are built and run.
 */
#ifndef MO_FUZZ_H
#define MO_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pbwire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond);           \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* A NUL-terminated heap copy of n bytes, so that reading past them is caught. */
static inline char *fuzz_strndup(const uint8_t *p, size_t n)
{
    char *s = malloc(n + 1);
    if (!s)
        abort();
    memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

/* A heap copy of exactly n bytes (at least one byte is allocated). */
static inline uint8_t *fuzz_memdup(const uint8_t *p, size_t n)
{
    uint8_t *b = malloc(n ? n : 1);
    if (!b)
        abort();
    if (n)
        memcpy(b, p, n);
    return b;
}

/* True when the buffer holds a NUL within its size, i.e. a C string that fits. */
static inline int fuzz_terminated(const char *buf, size_t size)
{
    return memchr(buf, '\0', size) != NULL;
}

/* Consumes the first byte of the input (0 when there is none). */
static inline uint8_t fuzz_byte(const uint8_t **data, size_t *size)
{
    if (*size == 0)
        return 0;
    uint8_t b = **data;
    (*data)++;
    (*size)--;
    return b;
}

/* True when the input holds what could be a protobuf tag that protobuf-c 1.4
 * reads but the encoding rules, and our decoders (pbwire.h), refuse:
 *   - five bytes with a field number above 2^29 - 1 (protobuf-c keeps the low
 *     32 bits of the number: an unknown field);
 *   - field number 0 written in more than one byte (protobuf-c checks only the
 *     first byte for 0).
 * A coarse scan of every position: a match only excuses the difference. */
static inline int fuzz_odd_tag(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i + 5 <= n && (p[i] & p[i + 1] & p[i + 2] & p[i + 3] & 0x80) && p[i + 4] >= 0x10 &&
            p[i + 4] < 0x80)
            return 1;
        if ((p[i] & 0xf8) == 0x80) {
            size_t j = i + 1;
            while (j < n && j < i + 5 && p[j] == 0x80)
                j++;
            if (j < n && j < i + 5 && p[j] == 0x00)
                return 1;
        }
    }
    return 0;
}

/* How often length-delimited field `field` occurs in the message p[0..n), and
 * the bytes of its last occurrence; -1 when the message does not parse. For
 * the differential targets: protobuf-c 1.4 merges a message field that occurs
 * twice in ways the encoding rules do not (a oneof member of empty bytes is
 * lost, two members not set fail), so values are compared only where no
 * merge happened. */
static inline int fuzz_pb_count(const uint8_t *p, size_t n, uint32_t field, const uint8_t **last,
                                size_t *last_len)
{
    struct mo_pb r = {p, p + n};
    int count = 0;
    while (r.p < r.end) {
        uint32_t f;
        int wt;
        if (mo_pb_tag(&r, &f, &wt) < 0)
            return -1;
        if (f == field && wt == 2) {
            if (mo_pb_bytes(&r, last, last_len) < 0)
                return -1;
            count++;
        } else if (mo_pb_skip(&r, wt) < 0) {
            return -1;
        }
    }
    return count;
}

#endif
