/* opts.c - command-line parsing for momento-topics-local. */
#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "creds.h"
#include "opts.h"
#include "rpc.h"
#include "secret.h"
#include "timefmt.h"
#include "util.h"

enum {
    OPT_LISTEN = 0x100,
    OPT_PORT_FILE,
    OPT_TOKEN,
    OPT_TOKEN_FILE,
    OPT_CACHES,
    OPT_HEARTBEAT,
    OPT_REPLAY,
    OPT_REPLAY_WINDOW,
    OPT_ANNOUNCE_PAGE,
    OPT_DISC_SEQ,
    OPT_STREAM_ITEMS,
    OPT_STREAM_LIFETIME,
    OPT_STREAM_END,
    OPT_MAX_SUBSCRIBERS,
    OPT_MAX_PAYLOAD,
    OPT_TOPIC_LIMITS,
    OPT_TLS_CERT,
    OPT_TLS_KEY,
    OPT_PUBLISHER_ID,
    OPT_PUBLISHER_ID_FROM_TOKEN,
    OPT_FAULT_END_AFTER,
    OPT_FAULT_STALL_AFTER,
    OPT_FAULT_DROP_EVERY,
    OPT_FAULT_RESET_AFTER,
    OPT_FAULT_REJECT,
    OPT_FAULT_REJECT_RPC,
    OPT_FAULT_DELAY_PUBLISH,
    OPT_LEDGER,
    OPT_FAULT_MALFORMED_EVERY,
    OPT_ADMIN_LISTEN,
    OPT_ADMIN_PORT_FILE,
    OPT_ADMIN_ALLOW_REMOTE,
    OPT_VERSION,
};

static const struct option long_opts[] = {
    {"listen", required_argument, NULL, OPT_LISTEN},
    {"port-file", required_argument, NULL, OPT_PORT_FILE},
    {"token", required_argument, NULL, OPT_TOKEN},
    {"token-file", required_argument, NULL, OPT_TOKEN_FILE},
    {"caches", required_argument, NULL, OPT_CACHES},
    {"heartbeat", required_argument, NULL, OPT_HEARTBEAT},
    {"replay", required_argument, NULL, OPT_REPLAY},
    {"replay-window", required_argument, NULL, OPT_REPLAY_WINDOW},
    {"announce-page", no_argument, NULL, OPT_ANNOUNCE_PAGE},
    {"discontinuity-seq", required_argument, NULL, OPT_DISC_SEQ},
    {"stream-items", required_argument, NULL, OPT_STREAM_ITEMS},
    {"stream-lifetime", required_argument, NULL, OPT_STREAM_LIFETIME},
    {"stream-end", required_argument, NULL, OPT_STREAM_END},
    {"max-subscribers", required_argument, NULL, OPT_MAX_SUBSCRIBERS},
    {"max-payload", required_argument, NULL, OPT_MAX_PAYLOAD},
    {"topic-limits", required_argument, NULL, OPT_TOPIC_LIMITS},
    {"tls-cert", required_argument, NULL, OPT_TLS_CERT},
    {"tls-key", required_argument, NULL, OPT_TLS_KEY},
    {"publisher-id", required_argument, NULL, OPT_PUBLISHER_ID},
    {"publisher-id-from-token", no_argument, NULL, OPT_PUBLISHER_ID_FROM_TOKEN},
    {"fault-end-after", required_argument, NULL, OPT_FAULT_END_AFTER},
    {"fault-stall-after", required_argument, NULL, OPT_FAULT_STALL_AFTER},
    {"fault-drop-every", required_argument, NULL, OPT_FAULT_DROP_EVERY},
    {"fault-reset-after", required_argument, NULL, OPT_FAULT_RESET_AFTER},
    {"fault-reject", required_argument, NULL, OPT_FAULT_REJECT},
    {"fault-reject-rpc", required_argument, NULL, OPT_FAULT_REJECT_RPC},
    {"fault-delay-publish", required_argument, NULL, OPT_FAULT_DELAY_PUBLISH},
    {"ledger", required_argument, NULL, OPT_LEDGER},
    {"fault-malformed-every", required_argument, NULL, OPT_FAULT_MALFORMED_EVERY},
    {"admin-listen", required_argument, NULL, OPT_ADMIN_LISTEN},
    {"admin-port-file", required_argument, NULL, OPT_ADMIN_PORT_FILE},
    {"admin-allow-remote", no_argument, NULL, OPT_ADMIN_ALLOW_REMOTE},
    {"verbose", no_argument, NULL, 'v'},
    {"version", no_argument, NULL, OPT_VERSION},
    {"help", no_argument, NULL, 'h'},
    {0},
};

void tl_opts_usage(FILE *f)
{
    fputs("Usage: momento-topics-local [OPTIONS]\n"
          "A local server speaking the Momento Topics gRPC API (Publish, Subscribe).\n"
          "\n"
          "  --listen HOST:PORT       address to listen on (default 127.0.0.1:8080; port 0 = any)\n"
          "  --port-file FILE         write the port number to FILE once listening\n"
          "  --token-file FILE        accept only the authorization value in FILE (default: any)\n"
          "  --token TOKEN            the same, given on the command line\n"
          "  --caches A,B             only these caches exist, and those CreateCache makes\n"
          "                           ('' for none; default: every cache exists)\n"
          "  --heartbeat DURATION     heartbeat period on every stream (default 1s; 0s = first only)\n"
          "  --replay N               messages kept per topic for resume (default 4096)\n"
          "  --replay-window DURATION and only those younger than this (default: no limit)\n"
          "  --announce-page          a subscribe with no page or a stale one gets a heartbeat,\n"
          "                           then a discontinuity announcing the page, then live items\n"
          "  --discontinuity-seq after|at  the next item after a discontinuity is numbered\n"
          "                           new_topic_sequence + 1 (after, default) or new_topic_sequence\n"
          "  --stream-items N         end every stream after N items, as in normal operation\n"
          "  --stream-lifetime DURATION  end every stream once it is this old\n"
          "  --stream-end ok|rst      how those end: status OK (default), or INTERNAL as a\n"
          "                           client reports an RST_STREAM(NO_ERROR)\n"
          "  --max-subscribers N      open streams allowed per cache (default: no limit)\n"
          "  --max-payload BYTES      largest message accepted (default 4096; 0 = no limit)\n"
          "  --topic-limits RATE,SUBS,KB  the account's topic limits, told by ListCaches and\n"
          "                           enforced: publishes per second per cache, subscriptions\n"
          "                           per cache, message size in KiB (0 = no limit)\n"
          "  --tls-cert PEM --tls-key PEM   serve TLS with this certificate and key\n"
          "  --publisher-id ID        publisher_id carried by every item (default: empty)\n"
          "  --publisher-id-from-token  each item's publisher_id is its Publish call's token\n"
          "  --ledger FILE            write a line to FILE for every message published,\n"
          "                           delivered to a stream or dropped, and every call\n"
          "                           rejected by a fault (see the man page for the format)\n"
          "  -v, --verbose            log streams and injected faults to stderr\n"
          "\n"
          "The test-admin port (momento-local's), for tests:\n"
          "  --admin-listen HOST:PORT  answer GET /block (the data port cut off) and\n"
          "                           GET /unblock over HTTP there (default: off;\n"
          "                           momento-local's is 127.0.0.1:9090; port 0 = any)\n"
          "  --admin-port-file FILE   write its port number to FILE once listening\n"
          "  --admin-allow-remote     let --admin-listen take an address that is not loopback\n"
          "\n"
          "Fault injection, for tests:\n"
          "  --fault-end-after N      end every stream with UNAVAILABLE after N items\n"
          "  --fault-stall-after N    after N items a stream goes silent but stays open\n"
          "  --fault-drop-every N     every Nth message of a topic is lost (a discontinuity instead)\n"
          "  --fault-reset-after N    a topic moves to a new page after every N messages\n"
          "  --fault-reject CODE[:COUNT]  reject every call (or the first COUNT) with CODE\n"
          "  --fault-reject-rpc publish|subscribe|control  only calls of this method (control:\n"
          "                           the control plane's), the others work\n"
          "                           (default: both); COUNT counts only these calls\n"
          "  --fault-delay-publish DURATION  answer every Publish this late (the message is\n"
          "                           delivered at once; 0s = off)\n"
          "  --fault-malformed-every N  after every Nth item a stream sends a message that is no\n"
          "                           valid item: garbled bytes, then an item of no kind, in turn\n"
          "\n"
          "  --version                print the version\n"
          "  -h, --help               print this help\n"
          "Durations take ms, s, m or h. See momento-topics-local(1).\n",
          f);
}

static int bad(char *err, size_t errlen, const char *opt, const char *what, const char *arg)
{
    snprintf(err, errlen, "--%s: %s \"%s\"", opt, what, mo_secret_redact(arg));
    return -EINVAL;
}

/* Takes the token: a copy, and for --token the command line's own bytes are
 * wiped, so that ps and /proc/PID/cmdline no longer show it. */
static int set_token(struct tl_opts *o, char *arg, bool from_file, char *err, size_t errlen)
{
    char *token = NULL;
    if (from_file) {
        int r = mo_creds_read_file(arg, &token, err, errlen);
        if (r < 0)
            return r;
    } else {
        token = strdup(arg);
        explicit_bzero(arg, strlen(arg));
        if (!token) {
            snprintf(err, errlen, "out of memory");
            return -ENOMEM;
        }
    }
    tl_opts_clear_token(o);
    o->token = token;
    return 0;
}

static int parse_count(const char *opt, const char *arg, uint64_t min, uint64_t *ret, char *err,
                       size_t errlen)
{
    uint64_t v;
    if (mo_parse_u64(arg, &v) < 0)
        return bad(err, errlen, opt, "not a non-negative integer:", arg);
    if (v < min) {
        snprintf(err, errlen, "--%s: must be at least %llu, not %s", opt, (unsigned long long)min,
                 arg);
        return -EINVAL;
    }
    *ret = v;
    return 0;
}

/* HOST:PORT with port 0-65535 (0 = any); HOST may be [IPv6]. */
static bool listen_valid(const char *s)
{
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s || !colon[1] || strlen(colon + 1) > 5)
        return false;
    for (const char *p = colon + 1; *p; p++)
        if (*p < '0' || *p > '9')
            return false;
    if (atol(colon + 1) > 65535)
        return false;
    if (s[0] == '[')
        return colon[-1] == ']' && colon - s > 2;
    for (const char *p = s; p < colon; p++)
        if (*p == ':' || *p == '[' || *p == ']' || *p == ' ')
            return false;
    return true;
}

static int parse_caches(const char *arg, struct tl_opts *o, char *err, size_t errlen)
{
    for (size_t i = 0; i < o->n_caches; i++)
        free(o->caches[i]);
    free(o->caches);
    o->caches = NULL;
    o->n_caches = 0;
    size_t max = 1;
    if (!*arg) { /* no cache yet: only those CreateCache makes */
        o->caches = calloc(1, sizeof *o->caches);
        return o->caches ? 0 : -ENOMEM;
    }
    for (const char *p = arg; *p; p++)
        max += *p == ',';
    o->caches = calloc(max, sizeof *o->caches);
    if (!o->caches)
        return -ENOMEM;
    const char *p = arg;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (mo_blank(p, n))
            return bad(err, errlen, "caches", "empty cache name in", arg);
        o->caches[o->n_caches] = strndup(p, n);
        if (!o->caches[o->n_caches])
            return -ENOMEM;
        o->n_caches++;
        if (!comma)
            break;
        p = comma + 1;
    }
    return 0;
}

/* --topic-limits RATE,SUBS,KB: three counts, each at most 2^32-1. */
static int parse_topic_limits(const char *arg, struct tl_opts *o, char *err, size_t errlen)
{
    uint64_t v[3];
    const char *p = arg;
    for (int i = 0; i < 3; i++) {
        char *end;
        errno = 0;
        if (*p < '0' || *p > '9')
            goto bad;
        unsigned long long n = strtoull(p, &end, 10);
        if (errno || n > UINT32_MAX || (i < 2 ? *end != ',' : *end != '\0'))
            goto bad;
        v[i] = n;
        p = end + 1;
    }
    o->topic_limits = (struct mo_topic_limits){(uint32_t)v[0], (uint32_t)v[1], (uint32_t)v[2]};
    o->has_topic_limits = true;
    return 0;
bad:
    return bad(err, errlen, "topic-limits",
               "not RATE,SUBS,KB (three numbers, e.g. 100,100,100):", arg);
}

static int parse_reject(const char *arg, struct tl_opts *o, char *err, size_t errlen)
{
    char code[64];
    const char *colon = strchr(arg, ':');
    size_t n = colon ? (size_t)(colon - arg) : strlen(arg);
    if (n >= sizeof code)
        return bad(err, errlen, "fault-reject", "unknown status code in", arg);
    memcpy(code, arg, n);
    code[n] = '\0';
    int c = mo_status_parse(code);
    if (c <= 0)
        return bad(err, errlen, "fault-reject",
                   "not a gRPC error status (a name like unavailable, or 1-16):", code);
    o->fault_reject_code = c;
    o->fault_reject_count = 0;
    if (colon)
        return parse_count("fault-reject", colon + 1, 1, &o->fault_reject_count, err, errlen);
    return 0;
}

int tl_opts_parse(int argc, char **argv, struct tl_opts *o, char *err, size_t errlen)
{
    *o = (struct tl_opts){
        .listen = "127.0.0.1:8080",
        .heartbeat_us = MO_USEC_PER_SEC,
        .replay = 4096,
        .max_payload = 4096,
        .fault_end_after = TL_OFF,
        .fault_stall_after = TL_OFF,
        .fault_reject_code = -1,
    };
    opterr = 0;
    optind = 1;
    int c, r;
    while ((c = getopt_long(argc, argv, ":hv", long_opts, NULL)) != -1) {
        const char *name = NULL;
        for (const struct option *lo = long_opts; lo->name; lo++)
            if (lo->val == c)
                name = lo->name;
        r = 0;
        switch (c) {
        case OPT_LISTEN:
            if (!listen_valid(optarg))
                return bad(err, errlen, name, "not HOST:PORT (port 0-65535):", optarg);
            o->listen = optarg;
            break;
        case OPT_PORT_FILE:
            if (!*optarg)
                return bad(err, errlen, name, "empty file name", optarg);
            o->port_file = optarg;
            break;
        case OPT_TOKEN:
        case OPT_TOKEN_FILE:
            r = set_token(o, optarg, c == OPT_TOKEN_FILE, err, errlen);
            break;
        case OPT_CACHES:
            r = parse_caches(optarg, o, err, errlen);
            break;
        case OPT_HEARTBEAT:
            if (mo_time_parse_duration(optarg, &o->heartbeat_us) < 0)
                return bad(err, errlen, name, "not a duration (like 500ms, 1s, 2m):", optarg);
            if (o->heartbeat_us > 0 && o->heartbeat_us < 1000)
                return bad(err, errlen, name, "shorter than 1ms:", optarg);
            break;
        case OPT_REPLAY:
            r = parse_count(name, optarg, 0, &o->replay, err, errlen);
            if (r == 0 && o->replay > 100000000)
                return bad(err, errlen, name, "more than 100000000:", optarg);
            break;
        case OPT_REPLAY_WINDOW:
            if (mo_time_parse_duration(optarg, &o->replay_window_us) < 0)
                return bad(err, errlen, name, "not a duration (like 500ms, 5s, 2m):", optarg);
            if (o->replay_window_us > 0 && o->replay_window_us < 1000)
                return bad(err, errlen, name, "shorter than 1ms:", optarg);
            break;
        case OPT_ANNOUNCE_PAGE:
            o->announce_page = true;
            break;
        case OPT_DISC_SEQ:
            if (strcmp(optarg, "after") == 0)
                o->disc_at = false;
            else if (strcmp(optarg, "at") == 0)
                o->disc_at = true;
            else
                return bad(err, errlen, name, "neither after nor at:", optarg);
            break;
        case OPT_STREAM_ITEMS:
            r = parse_count(name, optarg, 1, &o->stream_items, err, errlen);
            break;
        case OPT_STREAM_LIFETIME:
            if (mo_time_parse_duration(optarg, &o->stream_lifetime_us) < 0)
                return bad(err, errlen, name, "not a duration (like 500ms, 1s, 2m):", optarg);
            if (o->stream_lifetime_us < 1000)
                return bad(err, errlen, name, "shorter than 1ms:", optarg);
            break;
        case OPT_STREAM_END:
            if (strcmp(optarg, "ok") == 0)
                o->stream_end = TL_END_OK;
            else if (strcmp(optarg, "rst") == 0)
                o->stream_end = TL_END_RST;
            else
                return bad(err, errlen, name, "neither ok nor rst:", optarg);
            break;
        case OPT_MAX_SUBSCRIBERS:
            r = parse_count(name, optarg, 0, &o->max_subscribers, err, errlen);
            break;
        case OPT_MAX_PAYLOAD:
            r = parse_count(name, optarg, 0, &o->max_payload, err, errlen);
            break;
        case OPT_TOPIC_LIMITS:
            r = parse_topic_limits(optarg, o, err, errlen);
            break;
        case OPT_TLS_CERT:
            o->tls_cert = optarg;
            break;
        case OPT_TLS_KEY:
            o->tls_key = optarg;
            break;
        case OPT_PUBLISHER_ID:
            o->publisher_id = optarg;
            break;
        case OPT_PUBLISHER_ID_FROM_TOKEN:
            o->publisher_id_from_token = true;
            break;
        case OPT_FAULT_END_AFTER:
            r = parse_count(name, optarg, 0, &o->fault_end_after, err, errlen);
            break;
        case OPT_FAULT_STALL_AFTER:
            r = parse_count(name, optarg, 0, &o->fault_stall_after, err, errlen);
            break;
        case OPT_FAULT_DROP_EVERY:
            r = parse_count(name, optarg, 1, &o->fault_drop_every, err, errlen);
            break;
        case OPT_FAULT_RESET_AFTER:
            r = parse_count(name, optarg, 1, &o->fault_reset_after, err, errlen);
            break;
        case OPT_FAULT_REJECT:
            r = parse_reject(optarg, o, err, errlen);
            break;
        case OPT_FAULT_REJECT_RPC:
            if (strcmp(optarg, "publish") == 0)
                o->fault_reject_rpc = TL_RPC_PUBLISH;
            else if (strcmp(optarg, "subscribe") == 0)
                o->fault_reject_rpc = TL_RPC_SUBSCRIBE;
            else if (strcmp(optarg, "control") == 0)
                o->fault_reject_rpc = TL_RPC_CONTROL;
            else
                return bad(err, errlen, name, "not publish, subscribe or control:", optarg);
            break;
        case OPT_FAULT_DELAY_PUBLISH:
            if (mo_time_parse_duration(optarg, &o->fault_delay_publish_us) < 0)
                return bad(err, errlen, name, "not a duration (like 500ms, 1s, 2m):", optarg);
            if (o->fault_delay_publish_us > 0 && o->fault_delay_publish_us < 1000)
                return bad(err, errlen, name, "shorter than 1ms:", optarg);
            break;
        case OPT_LEDGER:
            if (!*optarg)
                return bad(err, errlen, name, "empty file name", optarg);
            o->ledger = optarg;
            break;
        case OPT_FAULT_MALFORMED_EVERY:
            r = parse_count(name, optarg, 1, &o->fault_malformed_every, err, errlen);
            break;
        case OPT_ADMIN_LISTEN:
            if (!listen_valid(optarg))
                return bad(err, errlen, name, "not HOST:PORT (port 0-65535):", optarg);
            o->admin_listen = optarg;
            break;
        case OPT_ADMIN_PORT_FILE:
            if (!*optarg)
                return bad(err, errlen, name, "empty file name", optarg);
            o->admin_port_file = optarg;
            break;
        case OPT_ADMIN_ALLOW_REMOTE:
            o->admin_allow_remote = true;
            break;
        case 'v':
            o->verbose = true;
            break;
        case 'h':
            return TL_OPTS_HELP;
        case OPT_VERSION:
            return TL_OPTS_VERSION;
        case ':':
            snprintf(err, errlen, "%s needs a value", mo_secret_redact(argv[optind - 1]));
            return -EINVAL;
        default: {
            /* a long option that takes no value given one (--flag=x) */
            const char *arg = argv[optind - 1], *flag = NULL;
            if (optopt && strncmp(arg, "--", 2) == 0)
                for (const struct option *lo = long_opts; lo->name; lo++)
                    if (lo->val == optopt)
                        flag = lo->name;
            if (flag)
                snprintf(err, errlen, "--%s takes no value: %s", flag, mo_secret_redact(arg));
            else if (optopt)
                snprintf(err, errlen, "unknown option -%c", optopt);
            else
                snprintf(err, errlen, "unknown option %s", mo_secret_redact(arg));
            return -EINVAL;
        }
        }
        if (r < 0)
            return r;
    }
    if (optind < argc) {
        snprintf(err, errlen, "unexpected argument \"%s\" (this program takes only options)",
                 mo_secret_redact(argv[optind]));
        return -EINVAL;
    }
    if (o->publisher_id && o->publisher_id_from_token) {
        snprintf(err, errlen,
                 "--publisher-id and --publisher-id-from-token exclude each other: give one");
        return -EINVAL;
    }
    if (o->fault_reject_rpc != TL_RPC_ANY && o->fault_reject_code < 0) {
        snprintf(err, errlen,
                 "--fault-reject-rpc needs --fault-reject: it says which calls --fault-reject "
                 "refuses");
        return -EINVAL;
    }
    if (!o->tls_cert != !o->tls_key) {
        snprintf(err, errlen, "--tls-cert and --tls-key go together: give both or neither");
        return -EINVAL;
    }
    if ((o->admin_port_file || o->admin_allow_remote) && !o->admin_listen) {
        snprintf(err, errlen, "--%s needs --admin-listen: it is about the test-admin port",
                 o->admin_port_file ? "admin-port-file" : "admin-allow-remote");
        return -EINVAL;
    }
    return TL_OPTS_RUN;
}

void tl_opts_clear_token(struct tl_opts *o)
{
    if (o->token) {
        explicit_bzero(o->token, strlen(o->token));
        free(o->token);
        o->token = NULL;
    }
}

void tl_opts_clear(struct tl_opts *o)
{
    tl_opts_clear_token(o);
    for (size_t i = 0; i < o->n_caches; i++)
        free(o->caches[i]);
    free(o->caches);
    o->caches = NULL;
    o->n_caches = 0;
}
