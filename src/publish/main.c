/* main.c - momento-publish: publish timestamped messages to a Momento topic,
 * once or as an open-loop load generator. Options and output: momento-publish(1). */
#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <grpc/grpc.h>

#include "cleanup.h"
#include "clock.h"
#include "clocksrc.h"
#include "creds.h"
#include "endpoint.h"
#include "loop.h"
#include "payload.h"
#include "publisher.h"
#include "rpc.h"
#include "secret.h"
#include "timefmt.h"
#include "util.h"

#define DEFAULT_CONNECTIONS 4
#define DEFAULT_MAX_IN_FLIGHT 1024
#define DEFAULT_TIMEOUT_US (5 * MO_USEC_PER_SEC) /* as the SDKs' publish deadline */
#define MAX_SIZE (1024 * 1024)
#define MAX_RATE 10e6
#define LOG_ERRORS 5

struct args {
    struct publisher_opts pub;
    const char *endpoint;
    const char *override;
    const char *api_key_file;
    bool insecure;
    bool quiet;
    enum mo_clock_config clock;  /* --clock-source */
    bool no_clock;               /* --clock-source none */
    const char *clockbound_path; /* --clockbound-path; NULL: the defaults */
};

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: momento-publish -c CACHE -t TOPIC [-n COUNT] [-r RATE] [--size BYTES]\n"
            "                       [--format seed|epoch_ms|text] [--binary]\n"
            "                       [--endpoint-override HOST:PORT] [--insecure] [MESSAGE]\n"
            "\n"
            "Publishes messages that carry their publish time to a Momento topic.\n"
            "\n"
            "  -c, --cache CACHE          cache (namespace) of the topic\n"
            "  -t, --topic TOPIC          topic to publish to\n"
            "  -n, --count COUNT          messages to publish (default 1; with -r: until\n"
            "                             SIGINT/SIGTERM)\n"
            "  -r, --rate RATE            messages per second, on a fixed open-loop schedule\n"
            "      --size BYTES           pad every message to exactly BYTES bytes\n"
            "      --format FORMAT        seed (default), epoch_ms or text\n"
            "      --binary               send a binary topic value instead of text\n"
            "      --clock-source SOURCE  where the clock_error_us of seed and epoch_ms\n"
            "                             messages comes from: auto (default), clockbound,\n"
            "                             adjtimex or none\n"
            "      --clockbound-path FILE ClockBound's segment (default: its 2.x path, then 1.x)\n"
            "      --endpoint BASE        Momento endpoint (else MOMENTO_ENDPOINT or the key)\n"
            "      --endpoint-override HOST:PORT\n"
            "                             connect to HOST:PORT instead (e.g. momento-topics-local)\n"
            "      --insecure             plaintext gRPC; only with --endpoint-override\n"
            "      --api-key-file FILE    read the API key from FILE\n"
            "      --connections N        gRPC connections (default %d)\n"
            "      --max-in-flight N      publishes outstanding at once (default %d)\n"
            "      --timeout DURATION     deadline of each publish (default 5s)\n"
            "  -q, --quiet                do not print the closing summary line\n"
            "      --version              print the version and exit\n"
            "  -h, --help                 print this help and exit\n"
            "\n"
            "MESSAGE publishes that text instead of a generated message.\n"
            "The API key comes from --api-key-file, $CREDENTIALS_DIRECTORY/momento-api-key\n"
            "or MOMENTO_API_KEY; it is never taken from the command line.\n"
            "Exit status: 0 all published, 1 a publish or the connection failed, 64 usage error.\n",
            DEFAULT_CONNECTIONS, DEFAULT_MAX_IN_FLIGHT);
}

static int parse_count(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *ret)
{
    uint64_t v;
    if (mo_parse_u64(s, &v) < 0 || v < min || v > max)
        return mo_usage_error("%s \"%s\": expected a whole number from %llu to %llu", opt, s,
                           (unsigned long long)min, (unsigned long long)max);
    *ret = v;
    return 0;
}

enum {
    OPT_SIZE = 256,
    OPT_FORMAT,
    OPT_BINARY,
    OPT_ENDPOINT,
    OPT_OVERRIDE,
    OPT_INSECURE,
    OPT_KEY_FILE,
    OPT_CONNECTIONS,
    OPT_MAX_IN_FLIGHT,
    OPT_TIMEOUT,
    OPT_VERSION,
    OPT_CLOCK_SOURCE,
    OPT_CLOCKBOUND_PATH,
};

/* Returns 0 to go on, -1 to exit 0 (help, version), or an exit status. */
static int parse_args(int argc, char **argv, struct args *a)
{
    static const struct option longopts[] = {
        {"cache", required_argument, NULL, 'c'},
        {"topic", required_argument, NULL, 't'},
        {"count", required_argument, NULL, 'n'},
        {"rate", required_argument, NULL, 'r'},
        {"size", required_argument, NULL, OPT_SIZE},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"binary", no_argument, NULL, OPT_BINARY},
        {"endpoint", required_argument, NULL, OPT_ENDPOINT},
        {"endpoint-override", required_argument, NULL, OPT_OVERRIDE},
        {"insecure", no_argument, NULL, OPT_INSECURE},
        {"api-key-file", required_argument, NULL, OPT_KEY_FILE},
        {"connections", required_argument, NULL, OPT_CONNECTIONS},
        {"max-in-flight", required_argument, NULL, OPT_MAX_IN_FLIGHT},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"clock-source", required_argument, NULL, OPT_CLOCK_SOURCE},
        {"clockbound-path", required_argument, NULL, OPT_CLOCKBOUND_PATH},
        {"quiet", no_argument, NULL, 'q'},
        {"version", no_argument, NULL, OPT_VERSION},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    struct publisher_opts *o = &a->pub;
    bool have_count = false, have_format = false;
    uint64_t v;
    int c, r;

    *o = (struct publisher_opts){
        .payload = {.format = PAYLOAD_SEED},
        .connections = DEFAULT_CONNECTIONS,
        .max_in_flight = DEFAULT_MAX_IN_FLIGHT,
        .timeout_us = DEFAULT_TIMEOUT_US,
        .log_errors = LOG_ERRORS,
    };
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":c:t:n:r:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'c':
            o->cache = optarg;
            break;
        case 't':
            o->topic = optarg;
            break;
        case 'n':
            if ((r = parse_count("-n", optarg, 1, UINT64_MAX / 2, &o->count)))
                return r;
            have_count = true;
            break;
        case 'r': {
            char *end;
            errno = 0;
            double rate = strtod(optarg, &end);
            if (end == optarg || *end || errno || !isfinite(rate) || rate <= 0 || rate > MAX_RATE)
                return mo_usage_error("-r \"%s\": expected messages per second, more than 0 and at "
                                   "most %.0f",
                                   optarg, MAX_RATE);
            o->rate = rate;
            break;
        }
        case OPT_SIZE:
            if ((r = parse_count("--size", optarg, 1, MAX_SIZE, &v)))
                return r;
            o->payload.size = (size_t)v;
            break;
        case OPT_FORMAT:
            if (payload_format_parse(optarg, &o->payload.format) < 0)
                return mo_usage_error("--format \"%s\": expected seed, epoch_ms or text", optarg);
            have_format = true;
            break;
        case OPT_BINARY:
            o->binary = true;
            break;
        case OPT_CLOCK_SOURCE:
            if (strcmp(optarg, "none") == 0)
                a->no_clock = true;
            else if (strcmp(optarg, "auto") == 0)
                a->clock = MO_CLOCK_AUTO;
            else if (strcmp(optarg, "clockbound") == 0)
                a->clock = MO_CLOCK_CLOCKBOUND;
            else if (strcmp(optarg, "adjtimex") == 0)
                a->clock = MO_CLOCK_ADJTIMEX;
            else
                return mo_usage_error("--clock-source \"%s\": expected auto, clockbound, adjtimex "
                                      "or none",
                                      optarg);
            break;
        case OPT_CLOCKBOUND_PATH:
            if (optarg[0] != '/')
                return mo_usage_error("--clockbound-path \"%s\": expected an absolute path, e.g. "
                                      "/var/run/clockbound/shm0",
                                      optarg);
            a->clockbound_path = optarg;
            break;
        case OPT_ENDPOINT:
            a->endpoint = optarg;
            break;
        case OPT_OVERRIDE:
            if (!mo_hostport_valid(optarg))
                return mo_usage_error("--endpoint-override \"%s\": expected HOST:PORT, e.g. "
                                   "127.0.0.1:8080",
                                   optarg);
            a->override = optarg;
            break;
        case OPT_INSECURE:
            a->insecure = true;
            break;
        case OPT_KEY_FILE:
            a->api_key_file = optarg;
            break;
        case OPT_CONNECTIONS:
            if ((r = parse_count("--connections", optarg, 1, 64, &v)))
                return r;
            o->connections = (unsigned)v;
            break;
        case OPT_MAX_IN_FLIGHT:
            if ((r = parse_count("--max-in-flight", optarg, 1, 100000, &v)))
                return r;
            o->max_in_flight = (unsigned)v;
            break;
        case OPT_TIMEOUT:
            if (mo_time_parse_duration(optarg, &v) < 0 || v < MO_USEC_PER_MSEC ||
                v > 3600 * MO_USEC_PER_SEC)
                return mo_usage_error("--timeout \"%s\": expected a duration from 1ms to 1h, e.g. "
                                   "500ms or 5s",
                                   optarg);
            o->timeout_us = v;
            break;
        case 'q':
            a->quiet = true;
            break;
        case OPT_VERSION:
            printf("momento-publish %s\n", PACKAGE_VERSION);
            return -1;
        case 'h':
            usage(stdout);
            return -1;
        case ':':
            return mo_usage_error("option %s needs a value", argv[optind - 1]);
        default:
            return mo_usage_error("unknown option %s", argv[optind - 1]);
        }
    }

    if (!o->cache)
        return mo_usage_error("missing -c CACHE");
    if (!o->topic)
        return mo_usage_error("missing -t TOPIC");
    if (mo_blank(o->cache, strlen(o->cache)))
        return mo_usage_error("-c: the cache name is empty");
    if (mo_blank(o->topic, strlen(o->topic)))
        return mo_usage_error("-t: the topic name is empty");
    /* the service would see it, and its answers may echo it */
    if (mo_secret_like(o->cache, strlen(o->cache)) || mo_secret_like(o->topic, strlen(o->topic)))
        return mo_usage_error("-%c: the %s name looks like an API key, so it is not used; the key "
                           "belongs in --api-key-file FILE or MOMENTO_API_KEY",
                           mo_secret_like(o->cache, strlen(o->cache)) ? 'c' : 't',
                           mo_secret_like(o->cache, strlen(o->cache)) ? "cache" : "topic");
    if (mo_endpoint_check_tls(a->insecure ? 0 : -1, a->override, NULL, 0) < 0)
        return mo_usage_error("--insecure is only allowed with --endpoint-override HOST:PORT (a "
                           "local server or a proxy); the Momento service needs TLS");
    if (optind < argc - 1)
        return mo_usage_error("more than one MESSAGE (\"%s\", \"%s\"); quote a message that has "
                           "spaces",
                           argv[optind], argv[optind + 1]);
    if (optind == argc - 1) {
        if (have_format)
            return mo_usage_error("--format and MESSAGE exclude each other: MESSAGE is sent as is");
        o->payload.format = PAYLOAD_LITERAL;
        o->payload.literal = argv[optind];
    }
    if (!have_count && o->rate == 0)
        o->count = 1;

    if (o->payload.size) {
        /* the longest message: the largest sequence number has the most digits */
        uint64_t last = o->count ? o->count : UINT64_MAX;
        size_t need = payload_unpadded_len(&o->payload, last, mo_real_ns(), -1);
        if (need > o->payload.size)
            return mo_usage_error("--size %zu is too small: the %s message%s is %zu bytes before "
                               "padding",
                               o->payload.size, payload_format_name(o->payload.format),
                               o->payload.format == PAYLOAD_LITERAL ? "" :
                               o->count ? " with the largest sequence number" :
                                          " (unbounded count, up to 20-digit sequence numbers)",
                               need);
    }
    if (o->count && o->connections > o->count)
        o->connections = (unsigned)o->count;
    return 0;
}

static int resolve(const struct args *a, struct mo_creds *creds, struct mo_endpoint *ep)
{
    char err[512];
    if (mo_creds_load(a->api_key_file, creds, err, sizeof err) < 0) {
        mo_warn("%s", err);
        return 1;
    }
    if (creds->kind == MO_KEY_NONE && !a->override) {
        mo_warn("no Momento API key found: use --api-key-file FILE, the systemd credential "
                "momento-api-key or MOMENTO_API_KEY (or --endpoint-override HOST:PORT --insecure "
                "for momento-topics-local)");
        return 1;
    }
    struct mo_endpoint_opts eo = {
        .endpoint = a->endpoint,
        .override = a->override,
        .tls = a->insecure ? 0 : -1,
    };
    if (mo_endpoint_resolve(creds, &eo, ep, err, sizeof err) < 0) {
        const char *env = getenv("MOMENTO_ENDPOINT");
        if (creds->kind == MO_KEY_V2 && !a->endpoint && (!env || !*env))
            mo_warn("a v2 API key does not carry its endpoint: pass --endpoint BASE or set "
                    "MOMENTO_ENDPOINT (e.g. cell-1-us-east-1-1.prod.a.momentohq.com)");
        else
            mo_warn("%s", err);
        return 1;
    }
    return 0;
}

struct run {
    publisher *pub;
    unsigned signals;
};

static void on_signal(int signo, void *ud)
{
    struct run *run = ud;
    /* the first signal finishes what is in flight; a second one gives up on it */
    if (run->signals++ == 0)
        publisher_stop(run->pub);
    else
        publisher_cancel(run->pub);
}

int main(int argc, char **argv)
{
    mo_progname = "momento-publish";
    struct args a = {0};
    int r = parse_args(argc, argv, &a);
    if (r)
        return r < 0 ? 0 : r;

    static const int sigs[] = {SIGINT, SIGTERM};
    if (mo_signals_block(sigs, ARRAY_SIZE(sigs)) < 0) {
        mo_warn("cannot block signals: %s", strerror(errno));
        return 1;
    }

    struct mo_creds creds = {0};
    struct mo_endpoint ep;
    if (resolve(&a, &creds, &ep)) {
        mo_creds_clear(&creds);
        return 1;
    }

    grpc_init();
    mo_loop *loop = NULL;
    struct run run = {0};
    mo_clocksrc *clock = NULL;
    char err[512] = "";
    int rc = 1;
    if ((r = mo_loop_new(&loop)) < 0) {
        mo_warn("cannot create the event loop: %s", strerror(-r));
        goto out;
    }
    if (!a.no_clock && (r = mo_clocksrc_new(&clock, a.clock, a.clockbound_path)) < 0) {
        mo_warn("cannot set up the clock's reader: %s", strerror(-r));
        goto out;
    }
    if (clock && a.clock == MO_CLOCK_CLOCKBOUND) { /* said once: the messages carry adjtimex's */
        struct mo_clock_reading rd;
        mo_clocksrc_read(clock, &rd);
        if (rd.source != MO_SOURCE_CLOCKBOUND)
            mo_warn("the ClockBound segment %s cannot be used (%s): messages carry the kernel's "
                    "bound (adjtimex) until it can",
                    rd.cb_path ? rd.cb_path : "", rd.cb_reason);
    }
    a.pub.clock = clock;
    r = publisher_new(loop, &ep, creds.token, &a.pub, &run.pub, err, sizeof err);
    mo_creds_clear(&creds); /* each connection keeps its own copy of the token */
    if (r < 0) {
        mo_warn("cannot set up the connections: %s", *err ? err : strerror(-r));
        goto out;
    }
    if ((r = mo_loop_watch_signals(loop, on_signal, &run)) < 0) {
        mo_warn("cannot watch signals: %s", strerror(-r));
        goto out;
    }
    publisher_start(run.pub);
    mo_loop_run(loop);
    if (!a.quiet)
        publisher_report(run.pub, stdout);
    rc = publisher_errors(run.pub) ? 1 : 0;
out:
    mo_creds_clear(&creds);
    publisher_free(run.pub);
    mo_clocksrc_free(clock);
    mo_loop_free(loop);
    /* exiting is what matters: wait at most 1 s for gRPC's background shutdown */
    mo_grpc_shutdown_wait(1000);
    return rc;
}
