/* Unit tests for how stream ends are explained: each refusal gets its error
 * event and a hint naming what to check; every other status gets none. */
#include <config.h>

#include "ending.h"
#include "test.h"

static const struct mo_ending_names names = {
    .cache = "prices", .key_source = "the systemd credential momento-api-key",
    .target = "cache.example:443", .config_path = "/etc/momento-subscriber/subscriber.yaml"};

static void test_explain(void)
{
    char hint[2048];
    enum mo_event_type t = MO_EV__COUNT;

    TEST_CHECK(mo_ending_explain(GRPC_STATUS_UNAUTHENTICATED, "bad token", "", &names, &t, hint, sizeof hint));
    TEST_EQ_INT(t, MO_EV_AUTH_ERROR);
    TEST_CONTAINS(hint, "rejected the API key (the systemd credential momento-api-key)");
    TEST_CONTAINS(hint, "cache prices");
    t = MO_EV__COUNT;
    TEST_CHECK(mo_ending_explain(GRPC_STATUS_PERMISSION_DENIED, "", "", &names, &t, hint, sizeof hint));
    TEST_EQ_INT(t, MO_EV_AUTH_ERROR);

    TEST_CHECK(mo_ending_explain(GRPC_STATUS_NOT_FOUND, "Cache not found", "", &names, &t, hint, sizeof hint));
    TEST_EQ_INT(t, MO_EV_NOT_FOUND);
    TEST_CONTAINS(hint, "cache prices does not exist at cache.example:443");
    TEST_CONTAINS(hint, "/etc/momento-subscriber/subscriber.yaml");

    /* the subscription limit, by its err trailer or by its details */
    TEST_CHECK(mo_ending_explain(GRPC_STATUS_RESOURCE_EXHAUSTED, "",
                                 "topic_subscriptions_limit_exceeded", &names, &t, hint, sizeof hint));
    TEST_EQ_INT(t, MO_EV_LIMIT_EXCEEDED);
    TEST_CONTAINS(hint, "too many subscriptions for cache prices");
    TEST_CHECK(mo_ending_explain(GRPC_STATUS_RESOURCE_EXHAUSTED, "too many subscribers", "",
                                 &names, &t, hint, sizeof hint));
    TEST_CONTAINS(hint, "too many subscriptions");
    /* another limit: named by its trailer */
    TEST_CHECK(mo_ending_explain(GRPC_STATUS_RESOURCE_EXHAUSTED, "slow down", "throttled",
                                 &names, &t, hint, sizeof hint));
    TEST_EQ_INT(t, MO_EV_LIMIT_EXCEEDED);
    TEST_CONTAINS(hint, "a service limit was exceeded: throttled");

    /* a hint that does not fit is cut, and still a string */
    char small[16];
    TEST_CHECK(mo_ending_explain(GRPC_STATUS_NOT_FOUND, "", "", &names, &t, small, sizeof small));
    TEST_EQ_INT(strlen(small), sizeof small - 1);

    /* everything else is not the operator's to fix: nothing written */
    static const grpc_status_code others[] = {
        GRPC_STATUS_OK, GRPC_STATUS_CANCELLED, GRPC_STATUS_UNKNOWN, GRPC_STATUS_DEADLINE_EXCEEDED,
        GRPC_STATUS_INTERNAL, GRPC_STATUS_UNAVAILABLE, GRPC_STATUS_ABORTED, GRPC_STATUS_DATA_LOSS};
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        strcpy(hint, "untouched");
        t = MO_EV__COUNT;
        TEST_CHECK(!mo_ending_explain(others[i], "x", "", &names, &t, hint, sizeof hint));
        TEST_EQ_STR(hint, "untouched");
        TEST_EQ_INT(t, MO_EV__COUNT);
    }
}

int main(void)
{
    test_explain();
    return test_result("test-ending");
}
