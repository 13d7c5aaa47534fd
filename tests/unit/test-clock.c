/* Unit tests for the RFC 3339 formatter. */
#include <config.h>

#include "clock.h"
#include "test.h"

int main(void)
{
    char buf[48];
    const int64_t t = 1763867877123456789LL; /* 2025-11-23T03:17:57.123456789Z */
    TEST_EQ_INT(mo_format_rfc3339(t, 0, buf, sizeof buf), 20);
    TEST_EQ_STR(buf, "2025-11-23T03:17:57Z");
    mo_format_rfc3339(t, 3, buf, sizeof buf);
    TEST_EQ_STR(buf, "2025-11-23T03:17:57.123Z");
    mo_format_rfc3339(t, 6, buf, sizeof buf);
    TEST_EQ_STR(buf, "2025-11-23T03:17:57.123456Z");
    TEST_EQ_INT(mo_format_rfc3339(t, 9, buf, sizeof buf), 30);
    TEST_EQ_STR(buf, "2025-11-23T03:17:57.123456789Z");
    /* the same second again (cached), then the next one */
    mo_format_rfc3339(t + 800000000, 6, buf, sizeof buf);
    TEST_EQ_STR(buf, "2025-11-23T03:17:57.923456Z");
    mo_format_rfc3339(t + 900000000, 6, buf, sizeof buf);
    TEST_EQ_STR(buf, "2025-11-23T03:17:58.023456Z");
    mo_format_rfc3339(0, 6, buf, sizeof buf);
    TEST_EQ_STR(buf, "1970-01-01T00:00:00.000000Z");
    /* before the epoch: the fraction counts forward from the second below */
    mo_format_rfc3339(-1, 9, buf, sizeof buf);
    TEST_EQ_STR(buf, "1969-12-31T23:59:59.999999999Z");
    mo_format_rfc3339(-1500000000, 3, buf, sizeof buf);
    TEST_EQ_STR(buf, "1969-12-31T23:59:58.500Z");
    /* a buffer too small gets an empty string, not a cut timestamp */
    char small[10];
    mo_format_rfc3339(t, 6, small, sizeof small);
    TEST_EQ_STR(small, "");
    return test_result("test-clock");
}
