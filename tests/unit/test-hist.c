/* Unit tests for the latency histogram. */
#include <config.h>

#include <math.h>
#include <stdlib.h>

#include "hist.h"
#include "test.h"

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void test_buckets(void)
{
    /* every bucket's range maps back to itself, and widths bound the error */
    for (size_t b = 0; b < MO_HIST_BUCKETS - 1; b++) {
        uint64_t lo = mo_hist_bucket_low(b), w = mo_hist_bucket_width(b);
        if (mo_hist_bucket(lo) != b || mo_hist_bucket(lo + w - 1) != b ||
            mo_hist_bucket_low(b + 1) != lo + w) {
            TEST_CHECK(!"bucket ranges are contiguous");
            break;
        }
        if (lo >= 256 && (double)w / (double)lo > 0.01) {
            TEST_CHECK(!"bucket width within 1%");
            break;
        }
    }
    TEST_EQ_INT(mo_hist_bucket(255), 255);
    TEST_EQ_INT(mo_hist_bucket(256), 256);
    TEST_EQ_INT(mo_hist_bucket(257), 256);
    TEST_EQ_INT(mo_hist_bucket(258), 257);
    TEST_CHECK(mo_hist_bucket(UINT64_MAX / 2) < MO_HIST_BUCKETS);
}

static void test_quantiles(void)
{
    mo_hist *h;
    TEST_EQ_INT(mo_hist_new(&h), 0);
    TEST_EQ_INT(mo_hist_quantile(h, 0.5), 0);
    enum { N = 100000 };
    int64_t *v = malloc(N * sizeof *v);
    srand(7);
    for (int i = 0; i < N; i++) {
        /* a long-tailed distribution with some negative values */
        double x = -log((rand() + 1.0) / (RAND_MAX + 2.0));
        v[i] = (int64_t)(x * x * 1500.0) - 200;
        mo_hist_record(h, v[i]);
    }
    qsort(v, N, sizeof *v, cmp64);
    TEST_EQ_INT(mo_hist_count(h), N);
    TEST_EQ_INT(mo_hist_min(h), v[0]);
    TEST_EQ_INT(mo_hist_max(h), v[N - 1]);
    uint64_t neg = 0;
    for (int i = 0; i < N; i++)
        neg += v[i] < 0;
    TEST_EQ_INT(mo_hist_negative(h), neg);
    const double qs[] = {0.001, 0.01, 0.1, 0.5, 0.9, 0.99, 0.999, 0.9999};
    for (size_t i = 0; i < sizeof qs / sizeof *qs; i++) {
        size_t rank = (size_t)ceil(qs[i] * N);
        int64_t exact = v[rank - 1];
        int64_t got = mo_hist_quantile(h, qs[i]);
        double tol = fabs((double)exact) * 0.01 + 1.0;
        if (fabs((double)(got - exact)) > tol)
            fprintf(stderr, "q=%g exact=%lld got=%lld\n", qs[i], (long long)exact, (long long)got);
        TEST_CHECK(fabs((double)(got - exact)) <= tol);
    }
    TEST_EQ_INT(mo_hist_quantile(h, 1.0), v[N - 1]);

    /* merging two halves equals the whole */
    mo_hist *a, *b;
    mo_hist_new(&a);
    mo_hist_new(&b);
    for (int i = 0; i < N; i++)
        mo_hist_record(i % 2 ? a : b, v[i]);
    mo_hist_merge(a, b);
    TEST_EQ_INT(mo_hist_count(a), N);
    TEST_EQ_INT(mo_hist_min(a), v[0]);
    TEST_EQ_INT(mo_hist_max(a), v[N - 1]);
    for (size_t i = 0; i < sizeof qs / sizeof *qs; i++)
        TEST_EQ_INT(mo_hist_quantile(a, qs[i]), mo_hist_quantile(h, qs[i]));

    mo_hist_reset(a);
    TEST_EQ_INT(mo_hist_count(a), 0);
    mo_hist_record(a, -5);
    TEST_EQ_INT(mo_hist_min(a), -5);
    TEST_EQ_INT(mo_hist_max(a), -5);
    TEST_EQ_INT(mo_hist_quantile(a, 0.5), -5);

    mo_hist_free(a);
    mo_hist_free(b);
    mo_hist_free(h);
    mo_hist_free(NULL);
    free(v);
}

static void test_encoding(void)
{
    mo_hist *h, *back;
    mo_hist_new(&h);
    mo_hist_new(&back);
    char buf[65536];
    TEST_EQ_INT(mo_hist_encode(h, buf, sizeof buf), 2);
    TEST_EQ_STR(buf, "h1");
    mo_hist_record(h, -3);
    mo_hist_record_n(h, 1000, 12);
    mo_hist_record_n(h, 1010, 40);
    TEST_CHECK(mo_hist_encode(h, buf, sizeof buf) > 0);
    /* -3 is bucket 3 on the negative side (key -4); 1000 and 1010 are buckets
     * 256+(2-1)*128+(1000>>2)-128 = 506 and 508 (width 4) */
    TEST_EQ_STR(buf, "h1,-4:1,510:12,2:40");
    TEST_EQ_INT(mo_hist_decode(back, buf), 0);
    TEST_EQ_INT(mo_hist_count(back), 53);
    TEST_EQ_INT(mo_hist_negative(back), 1);
    char again[65536];
    TEST_CHECK(mo_hist_encode(back, again, sizeof again) > 0);
    TEST_EQ_STR(again, buf);
    TEST_EQ_INT(mo_hist_quantile(back, 0.5), mo_hist_key_value(508));
    TEST_EQ_INT(mo_hist_key_value(508), 1009);
    TEST_EQ_INT(mo_hist_key_value(-4), -3);
    /* too small a buffer is reported, not truncated silently */
    TEST_EQ_INT(mo_hist_encode(h, buf, 8), -1);
    /* malformed strings */
    const char *bad[] = {"", "h2", "h1,", "h1,5", "h1,5:", "h1,5:0", "h1,5:1,0:1", "h1,5:1,-1:1",
                         "h1,x:1", "h1,5:1;", "h1,99999999:1"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        TEST_EQ_INT(mo_hist_decode(back, bad[i]), -22);
    mo_hist_free(h);
    mo_hist_free(back);
}

static void test_sum(void)
{
    mo_hist *h, *g;
    TEST_EQ_INT(mo_hist_new(&h), 0);
    TEST_EQ_INT(mo_hist_new(&g), 0);
    TEST_EQ_INT(mo_hist_sum(h), 0);
    /* exact, whatever the buckets: negative values subtract */
    mo_hist_record(h, 1001);
    mo_hist_record(h, 123457);
    mo_hist_record(h, -5);
    mo_hist_record_n(h, 7, 3);
    TEST_EQ_INT(mo_hist_sum(h), 1001 + 123457 - 5 + 21);
    mo_hist_record(g, 10);
    mo_hist_merge(g, h);
    TEST_EQ_INT(mo_hist_sum(g), 10 + 1001 + 123457 - 5 + 21);
    mo_hist_reset(h);
    TEST_EQ_INT(mo_hist_sum(h), 0);
    /* held at the limits rather than wrapped */
    mo_hist_record(h, INT64_MAX / 2);
    mo_hist_record(h, INT64_MAX / 2);
    mo_hist_record(h, INT64_MAX / 2);
    TEST_EQ_INT(mo_hist_sum(h), INT64_MAX);
    mo_hist_reset(h);
    mo_hist_record_n(h, -(INT64_MAX / 4), 5);
    TEST_EQ_INT(mo_hist_sum(h), INT64_MIN);
    mo_hist_free(h);
    mo_hist_free(g);
}

/* The extremes of int64: INT64_MIN is alone in the top bucket of the negative
 * side, whose middle lies below INT64_MIN; the buckets above it hold no int64
 * on either side, so no encoding names them. */
static void test_extremes(void)
{
    mo_hist *h, *back;
    mo_hist_new(&h);
    mo_hist_new(&back);
    char buf[256], again[256];
    mo_hist_record(h, INT64_MIN);
    mo_hist_record(h, 5);
    mo_hist_record(h, INT64_MAX);
    TEST_EQ_INT(mo_hist_quantile(h, 0.01), INT64_MIN);
    TEST_EQ_INT(mo_hist_key_value(-7297), INT64_MIN);
    TEST_CHECK(mo_hist_key_value(7295) > 0);
    TEST_CHECK(mo_hist_encode(h, buf, sizeof buf) > 0);
    TEST_EQ_STR(buf, "h1,-7297:1,7302:1,7290:1");
    TEST_EQ_INT(mo_hist_decode(back, buf), 0);
    TEST_EQ_INT(mo_hist_negative(back), 1);
    TEST_EQ_INT(mo_hist_min(back), INT64_MIN);
    TEST_CHECK(mo_hist_encode(back, again, sizeof again) > 0);
    TEST_EQ_STR(again, buf);
    /* keys whose bucket no int64 reaches (-1: magnitude 0, negative) */
    const char *bad[] = {"h1,7296:1", "h1,7423:1", "h1,-7298:1", "h1,-7424:1", "h1,-1:1",
                         "h1,-10:1,9:1"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        mo_hist_reset(back);
        TEST_EQ_INT(mo_hist_decode(back, bad[i]), -22);
    }
    mo_hist_free(h);
    mo_hist_free(back);
}

int main(void)
{
    test_buckets();
    test_quantiles();
    test_encoding();
    test_sum();
    test_extremes();
    return test_result("test-hist");
}
