/* Unit tests for stream ends: the class of every end (the server's normal
 * ends, ours, a message too large, errors), gRPC's size text, and how
 * refusals are explained (an error event and a hint naming what to check;
 * every other status gets none). */
#include <config.h>

#include "sub/ending.h"
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
    /* with the figure the service gives: named, and the figure in the hint */
    TEST_CHECK(mo_ending_explain(GRPC_STATUS_RESOURCE_EXHAUSTED, "Too many subscribers (limit: 100)", "",
                                 &names, &t, hint, sizeof hint));
    TEST_CONTAINS(hint, "this account allows 100 subscriptions; ask Momento support to raise it, or "
                        "subscribe to fewer topics");
    long long lim;
    TEST_EQ_STR(mo_ending_limit("Too many subscribers (limit: 100)", "", &lim), "subscriptions");
    TEST_EQ_INT(lim, 100);
    TEST_EQ_STR(mo_ending_limit("Number of subscribers for cache c exceeds the limit of 2 concurrent "
                                "subscribers", "topic_subscriptions_limit_exceeded", &lim),
                "subscriptions");
    TEST_EQ_INT(lim, 2);
    TEST_EQ_STR(mo_ending_limit("slow down", "operations_rate_limit_exceeded", &lim), "operations rate");
    TEST_EQ_INT(lim, -1);
    TEST_CHECK(mo_ending_limit("slow down", "throttled", &lim) == NULL); /* a trailer we do not know */
    TEST_EQ_STR(mo_ending_limit("message over the item size limit of 4 KB", "", &lim), "item size");
    TEST_EQ_INT(lim, 4);
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

static void test_classify(void)
{
    /* the server's normal ends (src/proto/README.md §7.1) */
    TEST_EQ_INT(mo_ending_classify(GRPC_STATUS_OK, "", false, false), MO_END_OK);
    TEST_EQ_INT(mo_ending_classify(GRPC_STATUS_OK, "bye", false, false), MO_END_OK);
    /* RST_STREAM(NO_ERROR) as gRPC C core, Go and Node.js report it */
    TEST_EQ_INT(mo_ending_classify(GRPC_STATUS_INTERNAL, "Received RST_STREAM with error code 0", false, false),
                MO_END_RST);
    TEST_EQ_INT(mo_ending_classify(GRPC_STATUS_INTERNAL,
                                   "stream terminated by RST_STREAM with error code: NO_ERROR", false, false),
                MO_END_RST);
    TEST_EQ_INT(mo_ending_classify(GRPC_STATUS_INTERNAL,
                                   "Received RST_STREAM with code 0 (Call ended without gRPC status)", false, false),
                MO_END_ERROR); /* "code 0", not "error code 0": not what a C core client sees; an error */
    /* a reset with an error code is an error */
    TEST_EQ_INT(mo_ending_classify(GRPC_STATUS_INTERNAL, "Received RST_STREAM with error code 2", false, false),
                MO_END_ERROR);
    TEST_EQ_INT(mo_ending_classify(GRPC_STATUS_INTERNAL, "Received RST_STREAM with error code 08", false, false),
                MO_END_ERROR);
    TEST_EQ_INT(mo_ending_classify(GRPC_STATUS_INTERNAL, "Received RST_STREAM with error code 0x8", false, false),
                MO_END_ERROR);
    TEST_EQ_INT(mo_ending_classify(GRPC_STATUS_INTERNAL,
                                   "stream terminated by RST_STREAM with error code: PROTOCOL_ERROR", false, false),
                MO_END_ERROR);
    /* NO_ERROR without RST_STREAM, or under another status: not a reset */
    TEST_EQ_INT(mo_ending_classify(GRPC_STATUS_INTERNAL, "NO_ERROR", false, false), MO_END_ERROR);
    TEST_EQ_INT(mo_ending_classify(GRPC_STATUS_UNAVAILABLE, "Received RST_STREAM with error code 0", false, false),
                MO_END_ERROR);
    TEST_EQ_INT(mo_ending_classify(GRPC_STATUS_INTERNAL, "", false, false), MO_END_ERROR);
    /* our own receive limit */
    TEST_EQ_INT(mo_ending_classify(GRPC_STATUS_RESOURCE_EXHAUSTED,
                                   "Received message larger than max (2097157 vs. 1048576)", false, false),
                MO_END_OVERSIZED);
    /* the service's limits are errors (with their own events) */
    TEST_EQ_INT(mo_ending_classify(GRPC_STATUS_RESOURCE_EXHAUSTED, "too many subscribers", false, false),
                MO_END_ERROR);
    TEST_EQ_INT(mo_ending_classify(GRPC_STATUS_RESOURCE_EXHAUSTED, "Sent message larger than max (9 vs. 8)",
                                   false, false),
                MO_END_ERROR);
    TEST_EQ_INT(mo_ending_classify(GRPC_STATUS_UNAVAILABLE, "Socket closed", false, false), MO_END_ERROR);
    TEST_EQ_INT(mo_ending_classify(GRPC_STATUS_UNAUTHENTICATED, "", false, false), MO_END_ERROR);
    /* our cancels win over the status they cause (or that raced them) */
    TEST_EQ_INT(mo_ending_classify(GRPC_STATUS_DEADLINE_EXCEEDED, "no message or heartbeat for 2000 ms",
                                   false, true),
                MO_END_IDLE);
    TEST_EQ_INT(mo_ending_classify(GRPC_STATUS_CANCELLED, "Cancelled", true, false), MO_END_CANCELLED);
    TEST_EQ_INT(mo_ending_classify(GRPC_STATUS_OK, "", true, true), MO_END_CANCELLED);
    TEST_EQ_INT(mo_ending_classify(GRPC_STATUS_OK, "", false, true), MO_END_IDLE);

    /* names, and which ends are normal */
    static const char *const class_names[] = {"ok", "rst", "idle", "cancelled", "oversized", "error"};
    for (int e = 0; e < MO_END__COUNT; e++)
        TEST_EQ_STR(mo_ending_name(e), class_names[e]);
    TEST_EQ_STR(mo_ending_name(MO_END__COUNT), "error");
    TEST_CHECK(mo_ending_normal(MO_END_OK));
    TEST_CHECK(mo_ending_normal(MO_END_RST));
    TEST_CHECK(mo_ending_normal(MO_END_OVERSIZED));
    TEST_CHECK(!mo_ending_normal(MO_END_IDLE));
    TEST_CHECK(!mo_ending_normal(MO_END_CANCELLED));
    TEST_CHECK(!mo_ending_normal(MO_END_ERROR));
}

static void test_oversize(void)
{
    uint64_t size = 1, limit = 2;
    TEST_CHECK(mo_ending_oversize("Received message larger than max (2097157 vs. 1048576)", &size, &limit));
    TEST_EQ_INT(size, 2097157);
    TEST_EQ_INT(limit, 1048576);
    /* anything else: false, nothing written */
    static const char *const bad[] = {
        "", "Received message larger than max", "Received message larger than max (12 vs. )",
        "Received message larger than max (12 vs. 10", "Sent message larger than max (12 vs. 10)",
        "Received message larger than max (x vs. 10)", "received message larger than max (12 vs. 10)"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size = 1, limit = 2;
        TEST_CHECK(!mo_ending_oversize(bad[i], &size, &limit));
        TEST_EQ_INT(size, 1);
        TEST_EQ_INT(limit, 2);
    }
}

/* gRPC 1.51's own words for connections that cannot be made, as the rig
 * (tests/netfault) and the TLS tests saw them. */
static void test_connect_cause(void)
{
    static const struct {
        const char *details, *cause;
    } c[] = {
        {"failed to connect to all addresses; last error: UNKNOWN: ipv4:127.0.0.1:44709: Failed to "
         "connect to remote host: Connection refused", "refused"},
        {"DNS resolution failed for nosuchhost.invalid:443: UNKNOWN: Name or service not known", "dns"},
        {"failed to connect to all addresses; last error: UNKNOWN: ipv4:127.0.0.1:37821: Ssl handshake "
         "failed: SSL_ERROR_SSL: error:0A00010B:SSL routines::wrong version number", "tls"},
        {"failed to connect to all addresses; last error: UNKNOWN: ipv4:127.0.0.2:7000: Ssl handshake "
         "failed: SSL_ERROR_SSL: error:1000007d:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED",
         "tls_untrusted"},
        {"failed to connect to all addresses; last error: UNKNOWN: ipv4:127.0.0.2:7000: Peer name "
         "127.0.0.2 is not in peer certificate", "tls_name"},
        {"failed to connect to all addresses; last error: UNKNOWN: ipv4:10.0.0.1:443: Failed to connect "
         "to remote host: Timeout occurred: FD Shutdown", "timeout"},
        {"failed to connect to all addresses; last error: UNKNOWN: ipv4:10.0.0.1:443: Failed to connect "
         "to remote host: Network is unreachable", "unreachable"},
        {"failed to connect to all addresses", "connect"},
    };
    for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
        const char *got = mo_ending_connect_cause(GRPC_STATUS_UNAVAILABLE, c[i].details);
        TEST_EQ_STR(got ? got : "(null)", c[i].cause);
    }
    /* a stream the server ended is no connect problem, nor another status */
    TEST_CHECK(!mo_ending_connect_cause(GRPC_STATUS_UNAVAILABLE, "stream ended by fault injection"));
    TEST_CHECK(!mo_ending_connect_cause(GRPC_STATUS_INTERNAL, "Connection refused"));
    /* the same cause is the same pointer (the daemon says each once) */
    TEST_CHECK(mo_ending_connect_cause(GRPC_STATUS_UNAVAILABLE, c[0].details) ==
               mo_ending_connect_cause(GRPC_STATUS_UNAVAILABLE, c[0].details));
    /* the hint names the target and, for an untrusted certificate, the key */
    struct mo_ending_names n = {.cache = "c", .key_source = "k", .target = "h:443", .config_path = "f"};
    enum mo_event_type type;
    char hint[512];
    TEST_CHECK(mo_ending_explain(GRPC_STATUS_UNAVAILABLE, c[3].details, "", &n, &type, hint, sizeof hint));
    TEST_EQ_INT(type, MO_EV_CONNECT_ERROR);
    TEST_CHECK(strstr(hint, "cannot connect to h:443") && strstr(hint, "set momento.ca_file"));
    n.ca_file = true;
    TEST_CHECK(mo_ending_explain(GRPC_STATUS_UNAVAILABLE, c[3].details, "", &n, &type, hint, sizeof hint));
    TEST_CHECK(strstr(hint, "not signed by the CA of momento.ca_file"));
}

int main(void)
{
    test_connect_cause();
    test_classify();
    test_oversize();
    test_explain();
    return test_result("test-ending");
}
