/* test.h - a tiny unit-test harness: TEST_CHECK, TEST_EQ_INT, TEST_EQ_STR.
 * A failed check prints file:line and the expression and marks the run failed;
 * main returns test_result(), which automake's harness reads. */
#ifndef MO_TEST_H
#define MO_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test_failures;
static int test_checks;

#define TEST_CHECK(cond)                                                                           \
    do {                                                                                           \
        test_checks++;                                                                             \
        if (!(cond)) {                                                                             \
            test_failures++;                                                                       \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);              \
        }                                                                                          \
    } while (0)

#define TEST_EQ_INT(a, b)                                                                          \
    do {                                                                                           \
        long long _a = (long long)(a), _b = (long long)(b);                                        \
        test_checks++;                                                                             \
        if (_a != _b) {                                                                            \
            test_failures++;                                                                       \
            fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", __FILE__, __LINE__, #a,    \
                    _a, #b, _b);                                                                   \
        }                                                                                          \
    } while (0)

#define TEST_EQ_STR(a, b)                                                                          \
    do {                                                                                           \
        const char *_a = (a), *_b = (b);                                                           \
        test_checks++;                                                                             \
        if (!_a || !_b || strcmp(_a, _b) != 0) {                                                   \
            test_failures++;                                                                       \
            fprintf(stderr, "%s:%d: %s is \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #a,      \
                    _a ? _a : "(null)", _b ? _b : "(null)");                                       \
        }                                                                                          \
    } while (0)

/* Substring check, for error messages. */
#define TEST_CONTAINS(hay, needle)                                                                 \
    do {                                                                                           \
        const char *_h = (hay), *_n = (needle);                                                    \
        test_checks++;                                                                             \
        if (!_h || !strstr(_h, _n)) {                                                              \
            test_failures++;                                                                       \
            fprintf(stderr, "%s:%d: \"%s\" does not contain \"%s\"\n", __FILE__, __LINE__,         \
                    _h ? _h : "(null)", _n);                                                       \
        }                                                                                          \
    } while (0)

/* A fresh directory NAME.XXXXXX under $TMPDIR (or /tmp) in buf, its path at
 * most 40 bytes so that file names under it fit small buffers; exits on
 * failure. */
static inline void test_tmpdir(const char *name, char *buf, size_t len)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(buf, len, "%s/%s.XXXXXX", tmp ? tmp : "/tmp", name);
    if (strlen(buf) > 40 || !mkdtemp(buf)) {
        perror("mkdtemp");
        exit(1);
    }
}

static inline int test_result(const char *name)
{
    if (test_checks == 0) {
        fprintf(stderr, "%s: no checks ran\n", name);
        return 1;
    }
    fprintf(stderr, "%s: %d checks, %d failed\n", name, test_checks, test_failures);
    return test_failures ? 1 : 0;
}

#endif
