/* Unit tests for the key's lifetime (src/daemon/remote/keylife.c): which
 * moments say key_expiring, again in the last day, and key_expired, each
 * once; a key without exp never; a reload says it again. */
#include <config.h>

#include "remote/keylife.h"
#include "test.h"

#define DAY 86400

static void test_steps(void)
{
    struct mo_keylife k;
    const int64_t exp = 2000000000;
    mo_keylife_set(&k, exp);
    TEST_EQ_INT(mo_keylife_step(&k, exp - 8 * DAY), MO_KEYLIFE_SAME);
    TEST_EQ_INT(mo_keylife_step(&k, exp - 7 * DAY - 1), MO_KEYLIFE_SAME);
    TEST_EQ_INT(mo_keylife_step(&k, exp - 7 * DAY), MO_KEYLIFE_EXPIRING);
    TEST_EQ_INT(mo_keylife_step(&k, exp - 3 * DAY), MO_KEYLIFE_SAME); /* said once */
    TEST_EQ_INT(mo_keylife_step(&k, exp - DAY - 1), MO_KEYLIFE_SAME);
    TEST_EQ_INT(mo_keylife_step(&k, exp - DAY), MO_KEYLIFE_LAST_DAY);
    TEST_EQ_INT(mo_keylife_step(&k, exp - 1), MO_KEYLIFE_SAME);
    TEST_EQ_INT(mo_keylife_step(&k, exp), MO_KEYLIFE_EXPIRED);
    TEST_EQ_INT(mo_keylife_step(&k, exp + 100), MO_KEYLIFE_SAME);
    int64_t left = 0;
    TEST_CHECK(mo_keylife_left_s(&k, exp + 100, &left));
    TEST_EQ_INT(left, -100);

    /* at start with 12 hours left: one event, the last day's */
    mo_keylife_set(&k, exp);
    TEST_EQ_INT(mo_keylife_step(&k, exp - 12 * 3600), MO_KEYLIFE_LAST_DAY);
    TEST_EQ_INT(mo_keylife_step(&k, exp - 3600), MO_KEYLIFE_SAME);
    /* a reload: said again */
    mo_keylife_set(&k, exp);
    TEST_EQ_INT(mo_keylife_step(&k, exp - 3600), MO_KEYLIFE_LAST_DAY);
    /* started after it expired */
    mo_keylife_set(&k, exp);
    TEST_EQ_INT(mo_keylife_step(&k, exp + 5), MO_KEYLIFE_EXPIRED);
    /* a key with no exp */
    mo_keylife_set(&k, 0);
    TEST_EQ_INT(mo_keylife_step(&k, 5), MO_KEYLIFE_SAME);
    TEST_CHECK(!mo_keylife_left_s(&k, 5, &left));
}

static void test_span(void)
{
    char b[48];
    mo_keylife_span(3 * DAY + 2 * 3600 + 5, b, sizeof b);
    TEST_EQ_STR(b, "3 d 2 h");
    mo_keylife_span(5 * 3600 + 12 * 60, b, sizeof b);
    TEST_EQ_STR(b, "5 h 12 min");
    mo_keylife_span(-125, b, sizeof b);
    TEST_EQ_STR(b, "2 min");
    mo_keylife_span(40, b, sizeof b);
    TEST_EQ_STR(b, "40 s");
}

int main(void)
{
    test_steps();
    test_span();
    return test_result("test-keylife");
}
