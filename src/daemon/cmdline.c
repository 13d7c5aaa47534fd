/* cmdline.c - the command line (daemon.h): options, --help, and
 * --check-config: what a configuration implies (the canary's cost included),
 * printed for the operator, and a failed load's errors, one line each. */
#include <config.h>

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "canary/probe.h"
#include "clock.h"
#include "clocksrc.h"
#include "daemon.h"
#include "log/event.h"
#include "remote/keylife.h"
#include "remote/limits.h"
#include "state/state.h"
#include "timefmt.h"
#include "util.h"

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: momento-subscriberd [-c FILE] [--check-config] [--log-format journal|json|text]\n"
            "                           [--version] [--help]\n"
            "\n"
            "Holds a Momento Topics subscription per configured topic, measures publish-to-receive\n"
            "latency and logs structured events.\n"
            "\n"
            "  -c, --config FILE     configuration file (default %s)\n"
            "      --check-config    validate the configuration, print what it implies, and exit\n"
            "      --log-format F    journal, json (JSON lines on stdout) or text; default: journal\n"
            "                        when stderr is connected to the journal, else json\n"
            "      --version         print the version and exit\n"
            "  -h, --help            print this help and exit\n"
            "\n"
            "Exit status: 0 clean stop, 64 usage error, 78 configuration error, 1 other errors.\n"
            "See momento-subscriberd(8) and momento-subscriber.yaml(5).\n",
            MO_CONFIG_DEFAULT_PATH);
}

int mo_daemon_parse_args(int argc, char **argv, struct mo_daemon_args *a)
{
    *a = (struct mo_daemon_args){.config_path = MO_CONFIG_DEFAULT_PATH, .log_format = -1};
    enum { OPT_CHECK = 256, OPT_LOG_FORMAT, OPT_VERSION };
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"check-config", no_argument, NULL, OPT_CHECK},
        {"log-format", required_argument, NULL, OPT_LOG_FORMAT},
        {"version", no_argument, NULL, OPT_VERSION},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            a->config_path = optarg;
            break;
        case OPT_CHECK:
            a->check = true;
            break;
        case OPT_LOG_FORMAT: {
            enum mo_log_format f;
            if (mo_log_format_parse(optarg, &f) < 0) {
                mo_warn("--log-format: '%s' is not one of journal, json, text", optarg);
                return EX_USAGE;
            }
            a->log_format = (int)f;
            break;
        }
        case OPT_VERSION:
            printf("momento-subscriberd %s\n", PACKAGE_VERSION);
            return 0;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return EX_USAGE;
        }
    }
    if (optind < argc) {
        mo_warn("unexpected argument '%s'", argv[optind]);
        usage(stderr);
        return EX_USAGE;
    }
    return -1;
}

void mo_daemon_print_config_errors(const struct mo_config_errors *errs)
{
    for (size_t i = 0; i < errs->n; i++) {
        char line[1200];
        mo_config_error_format(&errs->v[i], line, sizeof line);
        fprintf(stderr, "%s\n", line);
    }
}

/* ---- --check-config ---- */

_Static_assert(MO_CANARY_SIZE_MAX == MO_PROBE_SIZE_MAX, "canary.size's bound is the probe's");

/* n in units of 10^-digits as a decimal, without trailing zeros: 1000 with
 * 3 digits is "1", 100 "0.1", 999000 with 4 digits "99.9". */
static const char *fmt_fixed(uint64_t n, unsigned digits, char *buf, size_t len)
{
    uint64_t one = 1;
    for (unsigned i = 0; i < digits; i++)
        one *= 10;
    uint64_t frac = n % one;
    if (!frac) {
        snprintf(buf, len, "%" PRIu64, n / one);
        return buf;
    }
    while (frac % 10 == 0) {
        frac /= 10;
        digits--;
    }
    snprintf(buf, len, "%" PRIu64 ".%0*" PRIu64, n / one, (int)digits, frac);
    return buf;
}

/* A byte count with a decimal unit and three significant digits: "21.6 MB". */
static const char *fmt_bytes(uint64_t b, char *buf, size_t len)
{
    static const char *const units[] = {"bytes", "kB", "MB", "GB", "TB"};
    size_t u = 0;
    double v = (double)b;
    while (v >= 999.5 && u + 1 < sizeof units / sizeof units[0]) {
        v /= 1000;
        u++;
    }
    if (u == 0)
        snprintf(buf, len, "%" PRIu64 " bytes", b);
    else
        snprintf(buf, len, "%.*f %s", v < 9.995 ? 2 : v < 99.95 ? 1 : 0, v, units[u]);
    /* "8.00 MB" is "8 MB" */
    char *sp = strchr(buf, ' '), *dot = strchr(buf, '.');
    if (u && sp && dot && dot < sp) {
        char *e = sp;
        while (e[-1] == '0')
            e--;
        if (e[-1] == '.')
            e--;
        memmove(e, sp, strlen(sp) + 1);
    }
    return buf;
}

/* When the key expires: one line, of the key's claims only. */
static void key_expiry(int64_t expires_at)
{
    if (!expires_at) {
        printf("key expiry: none (the key carries no exp)\n");
        return;
    }
    char at[48], span[48];
    mo_time_format_rfc3339(expires_at * MO_NSEC_PER_SEC, 0, 0, at, sizeof at);
    int64_t left = expires_at - mo_real_ns() / MO_NSEC_PER_SEC;
    mo_keylife_span(left, span, sizeof span);
    printf("key expiry: %s (%s %s%s)\n", at, left > 0 ? "in" : "expired", span, left > 0 ? "" : " ago");
}

/* Where the clock's bound comes from, read here and now: one line. */
static void check_clock(const struct mo_config *cfg)
{
    mo_clocksrc *c;
    if (mo_clocksrc_new(&c, cfg->clock_source, cfg->clockbound_path) < 0) {
        printf("clock: source %s (not read: out of memory)\n", mo_clocksrc_config_name(cfg->clock_source));
        return;
    }
    struct mo_clock_reading r;
    mo_clocksrc_read(c, &r);
    char ms[48] = "unknown", v[32];
    if (r.bound_us >= 0)
        snprintf(ms, sizeof ms, "%s ms", mo_fmt_ms(r.bound_us, v, sizeof v));
    printf("clock: source %s: the bound is %s's, now %s (%s)", mo_clocksrc_config_name(cfg->clock_source),
           mo_clocksrc_source_name(r.source), ms, mo_cb_status_name(r.status));
    if (r.cb_looked && r.source != MO_SOURCE_CLOCKBOUND)
        printf("; ClockBound %s: %s%s%s", r.cb_path ? r.cb_path : "", mo_cb_state_name(r.cb_state),
               r.cb_reason[0] ? ", " : "", r.cb_reason);
    printf("\n");
    mo_clocksrc_free(c);
}

/* What the canary costs: two lines. The probes' size depends on this host's
 * name, as the daemon's own would carry it. */
static void check_canary(const struct mo_canary_config *k)
{
    char rate[32], dl[32], lat[32], target[32], bytes[32];
    fmt_fixed(k->rate_milli, 3, rate, sizeof rate);
    mo_time_format_duration(k->deadline_us, dl, sizeof dl);
    mo_time_format_duration(k->slo_latency_us, lat, sizeof lat);
    fmt_fixed(k->slo_target_ppm, 4, target, sizeof target); /* ppm: 10^-4 percent */
    printf("canary: %s/%s, %s/s, deadline %s, slo %s at %s%%\n", k->cache, k->topic, rate, dl, lat,
           target);

    char name[256] = "", host[MO_PROBE_HOST_MAX + 1];
    if (gethostname(name, sizeof name - 1) < 0)
        name[0] = '\0';
    mo_probe_host_clean(name, host);
    size_t probe = mo_probe_len_max(strlen(host), k->size);
    /* publishes a day = rate_milli * 86400 / 1000 = rate_milli * 864 / 10 */
    uint64_t tenths = k->rate_milli * 864;
    uint64_t day_bytes = (tenths * probe + 5) / 10;
    char per_day[48];
    fmt_fixed(tenths, 1, per_day, sizeof per_day);
    printf("canary: %s publishes a day, %s a day (probes of at most %zu bytes)\n", per_day,
           fmt_bytes(day_bytes, bytes, sizeof bytes), probe);
}

void mo_daemon_check_config(const struct mo_config *cfg, const struct mo_remote *rm, bool unresolved)
{
    const struct mo_creds *creds = &rm->creds;
    const struct mo_endpoint *ep = &rm->ep;
    size_t conns = (cfg->n_subs + MO_STREAMS_PER_CONN - 1) / MO_STREAMS_PER_CONN;
    /* the canary's subscription is one more stream, not one of the file's list */
    size_t listed = cfg->n_subs - (cfg->canary.enabled ? 1 : 0);
    printf("configuration OK\n");
    printf("%s: %zu subscription%s%s -> %zu stream%s on %zu gRPC connection%s (at most %d streams each)\n",
           cfg->path, listed, listed == 1 ? "" : "s", cfg->canary.enabled ? " and the canary" : "",
           cfg->n_subs, cfg->n_subs == 1 ? "" : "s", conns, conns == 1 ? "" : "s",
           MO_STREAMS_PER_CONN);
    if (unresolved) {
        printf("credentials: no API key found here (api_key_file, $CREDENTIALS_DIRECTORY/momento-api-key, "
               "MOMENTO_API_KEY); the service needs one, e.g. through LoadCredential=momento-api-key\n");
        printf("endpoint: cache.<endpoint>:443 (TLS), the endpoint coming from %s\n",
               cfg->endpoint ? cfg->endpoint : "the key or MOMENTO_ENDPOINT");
    } else {
        printf("endpoint: %s (%s%s%s)\n", ep->target, ep->tls ? "TLS" : "plaintext",
               ep->tls && ep->ca_file[0] ? ", trusting only the CA of " : "", ep->tls ? ep->ca_file : "");
        printf("credentials: %s%s%s\n", mo_key_kind_name(creds->kind),
               creds->kind == MO_KEY_NONE ? "" : " from ",
               creds->kind == MO_KEY_NONE ? "" : creds->source);
        if (creds->kind != MO_KEY_NONE)
            key_expiry(creds->expires_at);
    }
    char *dir;
    enum mo_state_dir_source from;
    if (mo_state_dir_choose(cfg->state_directory, getenv("STATE_DIRECTORY"), &dir, &from) == 0) {
        if (dir)
            printf("positions: saved in %s/%s (from %s)\n", dir, MO_STATE_FILE, mo_state_dir_source_name(from));
        else
            printf("positions: not saved (no state.directory, no $STATE_DIRECTORY)\n");
        free(dir);
    }
    if (cfg->prometheus_textfile)
        printf("export: Prometheus textfile %s, rewritten at every summary\n", cfg->prometheus_textfile);
    if (cfg->emf)
        printf("export: CloudWatch EMF documents in the log output, namespace %s\n", cfg->emf_namespace);
    check_clock(cfg);
    for (size_t i = 0; i < cfg->n_subs; i++) {
        const struct mo_sub_config *s = &cfg->subs[i];
        const struct mo_decoder *dec = &s->decoder;
        if (s->canary) /* its own lines follow */
            continue;
        if (dec->mode == MO_DECODE_BINARY)
            printf("  %s/%s: decode binary, offset %zu\n", s->cache, s->topic, dec->offset);
        else if (dec->mode == MO_DECODE_JSON)
            printf("  %s/%s: decode json, field %s, format %s\n", s->cache, s->topic, dec->field,
                   mo_ts_format_name(dec->format));
        else
            printf("  %s/%s: decode text, format %s\n", s->cache, s->topic,
                   mo_ts_format_name(dec->format));
    }
    if (cfg->canary.enabled)
        check_canary(&cfg->canary);
    if (unresolved)
        printf("limits: not checked: no API key found here\n");
    else
        mo_limits_check_print(cfg, ep, creds->token);
}
