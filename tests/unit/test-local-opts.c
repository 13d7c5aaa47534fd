/* Unit tests for momento-topics-local's command line (src/local/opts.c): the
 * fault options that select a method and delay Publish, and --ledger. */
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>

#include "clock.h"
#include "opts.h"
#include "test.h"

static char err[512];

/* Parses the NULL-terminated arguments (after the program name) into *o. */
static int parse(struct tl_opts *o, ...)
{
    char *argv[32];
    int argc = 0;
    argv[argc++] = strdup("momento-topics-local");
    va_list ap;
    va_start(ap, o);
    for (const char *a; (a = va_arg(ap, const char *)) && argc < 31;)
        argv[argc++] = strdup(a);
    va_end(ap);
    argv[argc] = NULL;
    err[0] = '\0';
    int r = tl_opts_parse(argc, argv, o, err, sizeof err);
    /* strings of the result point into argv: the tests read only numbers
     * and enums, and the ledger's name before freeing */
    if (r == TL_OPTS_RUN && o->ledger)
        TEST_EQ_STR(o->ledger, "x.ledger");
    for (int i = 0; i < argc; i++)
        free(argv[i]);
    o->ledger = NULL;
    return r;
}

static void test_defaults(void)
{
    struct tl_opts o;
    TEST_EQ_INT(parse(&o, NULL), TL_OPTS_RUN);
    TEST_EQ_INT(o.fault_reject_code, -1);
    TEST_EQ_INT(o.fault_reject_rpc, TL_RPC_ANY);
    TEST_EQ_INT(o.fault_delay_publish_us, 0);
    tl_opts_clear(&o);
}

/* Every status --fault-reject takes (1-16, by name, in any case, with dashes),
 * with each --fault-reject-rpc. */
static void test_reject_rpc(void)
{
    static const char *const names[] = {
        NULL,           "cancelled",      "UNKNOWN",          "invalid-argument",
        "DEADLINE_EXCEEDED", "not_found", "Already-Exists",   "permission-denied",
        "RESOURCE_EXHAUSTED", "failed-precondition", "aborted", "out-of-range",
        "unimplemented", "INTERNAL",      "unavailable",      "data-loss",
        "unauthenticated",
    };
    static const struct {
        const char *arg;
        enum tl_rpc rpc;
    } rpcs[] = {{"publish", TL_RPC_PUBLISH}, {"subscribe", TL_RPC_SUBSCRIBE}};
    for (int code = 1; code <= 16; code++)
        for (size_t k = 0; k < 2; k++) {
            struct tl_opts o;
            char num[8], with_count[64];
            snprintf(num, sizeof num, "%d", code);
            snprintf(with_count, sizeof with_count, "%s:3", names[code]);
            TEST_EQ_INT(parse(&o, "--fault-reject", names[code], "--fault-reject-rpc",
                              rpcs[k].arg, NULL),
                        TL_OPTS_RUN);
            TEST_EQ_INT(o.fault_reject_code, code);
            TEST_EQ_INT(o.fault_reject_count, 0);
            TEST_EQ_INT(o.fault_reject_rpc, rpcs[k].rpc);
            tl_opts_clear(&o);
            /* the order does not matter, and COUNT stays */
            TEST_EQ_INT(parse(&o, "--fault-reject-rpc", rpcs[k].arg, "--fault-reject", with_count,
                              NULL),
                        TL_OPTS_RUN);
            TEST_EQ_INT(o.fault_reject_code, code);
            TEST_EQ_INT(o.fault_reject_count, 3);
            TEST_EQ_INT(o.fault_reject_rpc, rpcs[k].rpc);
            tl_opts_clear(&o);
            TEST_EQ_INT(parse(&o, "--fault-reject", num, "--fault-reject-rpc", rpcs[k].arg, NULL),
                        TL_OPTS_RUN);
            TEST_EQ_INT(o.fault_reject_code, code);
            tl_opts_clear(&o);
        }
    /* the last one counts */
    struct tl_opts o;
    TEST_EQ_INT(parse(&o, "--fault-reject", "unavailable", "--fault-reject-rpc", "publish",
                      "--fault-reject-rpc", "subscribe", NULL),
                TL_OPTS_RUN);
    TEST_EQ_INT(o.fault_reject_rpc, TL_RPC_SUBSCRIBE);
    tl_opts_clear(&o);
}

static void test_reject_rpc_errors(void)
{
    struct tl_opts o;
    /* alone: a usage error naming both options */
    TEST_EQ_INT(parse(&o, "--fault-reject-rpc", "publish", NULL), -EINVAL);
    TEST_CONTAINS(err, "--fault-reject-rpc needs --fault-reject");
    tl_opts_clear(&o);
    TEST_EQ_INT(parse(&o, "--fault-reject-rpc", "subscribe", NULL), -EINVAL);
    TEST_CONTAINS(err, "--fault-reject-rpc needs --fault-reject");
    tl_opts_clear(&o);
    static const char *const bad[] = {"both", "Publish", "", "pub", "publish,subscribe"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        TEST_EQ_INT(parse(&o, "--fault-reject", "unavailable", "--fault-reject-rpc", bad[i], NULL),
                    -EINVAL);
        TEST_CONTAINS(err, "--fault-reject-rpc: not publish, subscribe or control");
        tl_opts_clear(&o);
    }
    TEST_EQ_INT(parse(&o, "--fault-reject", "ok", "--fault-reject-rpc", "publish", NULL), -EINVAL);
    TEST_CONTAINS(err, "--fault-reject: not a gRPC error status");
    tl_opts_clear(&o);
    TEST_EQ_INT(parse(&o, "--fault-reject-rpc", NULL), -EINVAL);
    TEST_CONTAINS(err, "--fault-reject-rpc needs a value");
    tl_opts_clear(&o);
}

static void test_delay_publish(void)
{
    struct tl_opts o;
    TEST_EQ_INT(parse(&o, "--fault-delay-publish", "500ms", NULL), TL_OPTS_RUN);
    TEST_EQ_INT(o.fault_delay_publish_us, 500 * 1000);
    tl_opts_clear(&o);
    TEST_EQ_INT(parse(&o, "--fault-delay-publish", "1.5s", NULL), TL_OPTS_RUN);
    TEST_EQ_INT(o.fault_delay_publish_us, 1500 * 1000);
    tl_opts_clear(&o);
    TEST_EQ_INT(parse(&o, "--fault-delay-publish", "2s", "--fault-delay-publish", "0s", NULL),
                TL_OPTS_RUN);
    TEST_EQ_INT(o.fault_delay_publish_us, 0);
    tl_opts_clear(&o);
    TEST_EQ_INT(parse(&o, "--fault-delay-publish", "1ms", NULL), TL_OPTS_RUN);
    TEST_EQ_INT(o.fault_delay_publish_us, 1000);
    tl_opts_clear(&o);
    TEST_EQ_INT(parse(&o, "--fault-delay-publish", "999us", NULL), -EINVAL);
    TEST_CONTAINS(err, "--fault-delay-publish: shorter than 1ms");
    tl_opts_clear(&o);
    TEST_EQ_INT(parse(&o, "--fault-delay-publish", "500", NULL), -EINVAL);
    TEST_CONTAINS(err, "--fault-delay-publish: not a duration");
    tl_opts_clear(&o);
    TEST_EQ_INT(parse(&o, "--fault-delay-publish", "-1s", NULL), -EINVAL);
    TEST_CONTAINS(err, "--fault-delay-publish: not a duration");
    tl_opts_clear(&o);
}

static void test_ledger(void)
{
    struct tl_opts o;
    TEST_EQ_INT(parse(&o, "--ledger", "x.ledger", NULL), TL_OPTS_RUN);
    tl_opts_clear(&o);
    TEST_EQ_INT(parse(&o, "--ledger", "", NULL), -EINVAL);
    TEST_CONTAINS(err, "--ledger: empty file name");
    tl_opts_clear(&o);
    TEST_EQ_INT(parse(&o, "--ledger", NULL), -EINVAL);
    TEST_CONTAINS(err, "--ledger needs a value");
    tl_opts_clear(&o);
}

int main(void)
{
    test_defaults();
    test_reject_rpc();
    test_reject_rpc_errors();
    test_delay_publish();
    test_ledger();
    return test_result("test-local-opts");
}
