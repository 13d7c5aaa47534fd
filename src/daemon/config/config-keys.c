/* config-keys.c - every key of momento-subscriber.yaml(5): name, type, bounds,
 * default and the field its value lands in (config-int.h).
 *
 * Offsets are from the base of the enclosing mapping: the root's is a struct
 * mo_config_target, a subscription's a struct mo_sub_config, a timestamp:
 * mapping's a struct mo_decoder, canary: and canary.slo: a struct
 * mo_canary_config. The walker writes each value there as it
 * reads it; there is no intermediate copy of the configuration.
 */
#include <config.h> /* autoconf's, from the build directory */

#include <stdio.h>
#include <string.h>

#include "config/config-int.h"
#include "endpoint.h"

#define MS UINT64_C(1000)
#define SEC (1000 * MS)
#define HOUR (3600 * SEC)

/* The decode modes that read a timestamp key (bit per enum mo_decode_mode). */
#define M_JSON (1u << MO_DECODE_JSON)
#define M_TEXT (1u << MO_DECODE_TEXT)
#define M_BINARY (1u << MO_DECODE_BINARY)

const char *const mo_config_decode_names[] = {"json", "text", "binary", NULL};
const char *const mo_config_encoding_names[] = {"u32be", "u32le", "u64be", "u64le", NULL};
static const char *const format_names[] = {"auto",     "rfc3339",  "epoch_s", "epoch_ms",
                                           "epoch_us", "epoch_ns", NULL};
static const char *const unit_names[] = {"s", "ms", "us", "ns", NULL};
static const char *const messages_names[] = {"all", "sample", "none", NULL};
static const char *const clock_source_names[] = {"auto", "clockbound", "adjtimex", NULL};

/* The name tables are indexed by the C enums, which are stored as ints. */
_Static_assert(MO_DECODE_JSON == 0 && MO_DECODE_TEXT == 1 && MO_DECODE_BINARY == 2, "decode");
_Static_assert(MO_TS_AUTO == 0 && MO_TS_RFC3339 == 1 && MO_TS_EPOCH_S == 2 && MO_TS_EPOCH_MS == 3 &&
                   MO_TS_EPOCH_US == 4 && MO_TS_EPOCH_NS == 5,
               "format");
_Static_assert(MO_BIN_U32BE == 0 && MO_BIN_U32LE == 1 && MO_BIN_U64BE == 2 && MO_BIN_U64LE == 3,
               "encoding");
_Static_assert(MO_UNIT_S == 0 && MO_UNIT_MS == 1 && MO_UNIT_US == 2 && MO_UNIT_NS == 3, "unit");
_Static_assert(MO_LOG_MESSAGES_ALL == 0 && MO_LOG_MESSAGES_SAMPLE == 1 && MO_LOG_MESSAGES_NONE == 2,
               "messages");
_Static_assert(MO_CLOCK_AUTO == 0 && MO_CLOCK_CLOCKBOUND == 1 && MO_CLOCK_ADJTIMEX == 2, "clock");
_Static_assert(sizeof(enum mo_decode_mode) == sizeof(int) &&
                   sizeof(enum mo_ts_format) == sizeof(int) &&
                   sizeof(enum mo_bin_encoding) == sizeof(int) &&
                   sizeof(enum mo_ts_unit) == sizeof(int) &&
                   sizeof(enum mo_log_messages) == sizeof(int) &&
                   sizeof(enum mo_clock_config) == sizeof(int),
               "enums are stored as int");

/* ---- checks of strings ---- */

static bool check_hostport(const char *s, char *why, size_t len)
{
    if (mo_hostport_valid(s))
        return true;
    snprintf(why, len,
             "'%.100s' is not HOST:PORT; write a host name, IPv4 address or [IPv6] address, a "
             "colon and a port 1-65535 (e.g. 127.0.0.1:8080)",
             s);
    return false;
}

/* endpoint: becomes cache.<endpoint>:443, so it is a bare host name. */
static bool check_hostname(const char *s, char *why, size_t len)
{
    const char *bad = NULL;
    if (strstr(s, "://"))
        bad = "without a scheme such as https://";
    else if (strchr(s, ':') || strchr(s, '/'))
        bad = "without a port or a path (use endpoint_override for HOST:PORT)";
    else if (strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                       "0123456789.-") != strlen(s))
        bad = "made of letters, digits, dots and hyphens";
    else if (!mo_host_valid(s, strlen(s)))
        bad = "in labels of 1 to 63 characters joined by single dots, none starting or ending "
              "with a hyphen (and a name of digits only is an IPv4 address)";
    if (!bad)
        return true;
    snprintf(why, len,
             "'%.100s' is not a host name; write the endpoint's host name only, %s "
             "(e.g. cell-1-us-east-1-1.prod.a.momentohq.com)",
             s, bad);
    return false;
}

static bool check_field(const char *s, char *why, size_t len)
{
    struct mo_decoder d = {0};
    if (mo_decoder_set_field(&d, s) == 0)
        return true;
    snprintf(why, len,
             "'%.100s' is not a dotted path: write names separated by single dots "
             "(e.g. meta.sent_at), at most %d of them",
             s, MO_DECODE_PATH_MAX);
    return false;
}

/* export.prometheus_textfile: the daemon runs with / as its working
 * directory, and node_exporter reads only *.prom files */
static bool check_textfile(const char *s, char *why, size_t len)
{
    size_t n = strlen(s);
    const char *bad = NULL;
    if (s[0] != '/')
        bad = "is not an absolute path";
    else if (n < 6 || strcmp(s + n - 5, ".prom") != 0 || s[n - 6] == '/')
        bad = "does not end in .prom, and node_exporter's textfile collector reads only *.prom "
              "files";
    if (!bad)
        return true;
    snprintf(why, len,
             "'%.200s' %s; write the file's absolute path in the collector's directory (e.g. "
             "/var/lib/prometheus/node-exporter/momento_subscriber.prom)",
             s, bad);
    return false;
}

/* clock.clockbound_path: the daemon runs with / as its working directory */
static bool check_segment_path(const char *s, char *why, size_t len)
{
    if (s[0] == '/' && s[strlen(s) - 1] != '/')
        return true;
    snprintf(why, len,
             "'%.200s' is not the absolute path of a file; write where ClockBound keeps its "
             "segment (/var/run/clockbound/shm0 for ClockBound 2.x, /var/run/clockbound/shm for 1.x)",
             s);
    return false;
}

/* export.emf_namespace: what CloudWatch accepts as a namespace */
static bool check_namespace(const char *s, char *why, size_t len)
{
    const char *bad = NULL;
    size_t n = strlen(s);
    if (n > 255)
        bad = "is longer than 255 characters";
    else if (strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_/#: ") != n)
        bad = "holds a character CloudWatch does not accept (letters, digits, space and . - _ / # : "
              "only)";
    else if (s[0] == ':')
        bad = "starts with a colon";
    else if (strncmp(s, "AWS/", 4) == 0)
        bad = "starts with AWS/, which is AWS's own";
    if (!bad)
        return true;
    snprintf(why, len, "'%.100s' %s; write a CloudWatch namespace such as MomentoSubscriber", s,
             bad);
    return false;
}

/* ---- the tables ---- */

/* The field a key writes: its offset in `type` and its size. */
#define AT(type, f) .off = offsetof(type, f), .size = sizeof(((type *)0)->f)

#define DEC(f) AT(struct mo_decoder, f)
const struct mo_config_key mo_config_ts_keys[] = {
    {"field", MO_CONFIG_STRING, DEC(field), .flags = MO_CONFIG_F_NONEMPTY | MO_CONFIG_F_SHARED,
     .def.s = "timestamp", .modes = M_JSON, .check = check_field},
    {"format", MO_CONFIG_ENUM, DEC(format), .names = format_names, .def.e = MO_TS_AUTO,
     .modes = M_JSON | M_TEXT},
    {"offset", MO_CONFIG_UINT, DEC(offset), .lo = 0, .hi = MO_CONFIG_BIN_WINDOW - 4, .def.u = 0,
     .modes = M_BINARY},
    {"encoding", MO_CONFIG_ENUM, DEC(encoding), .names = mo_config_encoding_names,
     .def.e = MO_BIN_U64BE, .modes = M_BINARY},
    {"unit", MO_CONFIG_ENUM, DEC(unit), .names = unit_names, .def.e = MO_UNIT_NS,
     .modes = M_BINARY},
    {NULL},
};

/* clang-format off */
#define DECODE_KEY(at) \
    {"decode", MO_CONFIG_ENUM, at, .names = mo_config_decode_names, .def.e = MO_DECODE_JSON}
/* clang-format on */

static const struct mo_config_key defaults_keys[] = {
    DECODE_KEY(DEC(mode)),
    {"timestamp", MO_CONFIG_SECTION, .off = 0, .sub = mo_config_ts_keys},
    {NULL},
};

#define SUB(f) AT(struct mo_sub_config, f)
static const struct mo_config_key sub_keys[] = {
    {"cache", MO_CONFIG_STRING, SUB(cache), .flags = MO_CONFIG_F_REQUIRED | MO_CONFIG_F_NONEMPTY},
    {"topic", MO_CONFIG_STRING, SUB(topic), .flags = MO_CONFIG_F_REQUIRED | MO_CONFIG_F_NONEMPTY},
    DECODE_KEY(SUB(decoder.mode)),
    {"timestamp", MO_CONFIG_SECTION, SUB(decoder), .sub = mo_config_ts_keys},
    {NULL},
};

#define CFG(f) AT(struct mo_config, f)
static const struct mo_config_key momento_keys[] = {
    {"endpoint", MO_CONFIG_STRING, CFG(endpoint), .check = check_hostname},
    {"api_key_file", MO_CONFIG_STRING, CFG(api_key_file)},
    {"endpoint_override", MO_CONFIG_STRING, CFG(endpoint_override), .check = check_hostport},
    {"tls", MO_CONFIG_TRIBOOL, CFG(tls), .def.e = -1},
    {"ca_file", MO_CONFIG_STRING, CFG(ca_file)},
    {NULL},
};

static const struct mo_config_key logging_keys[] = {
    {"messages", MO_CONFIG_ENUM, CFG(messages), .names = messages_names,
     .def.e = MO_LOG_MESSAGES_ALL},
    {"sample_every", MO_CONFIG_UINT, CFG(sample_every), .lo = 1, .hi = 1000000000, .def.u = 100},
    {"slow_threshold", MO_CONFIG_DURATION, CFG(slow_threshold_us), .lo = 0, .hi = 24 * HOUR,
     .def.u = 50 * MS},
    {"summary_interval", MO_CONFIG_DURATION, CFG(summary_interval_us), .lo = SEC, .hi = 24 * HOUR,
     .def.u = 60 * SEC},
    /* the defaults keep within journald's default rate limit (momento-subscriberd(8), Logging) */
    {"message_budget", MO_CONFIG_UINT, CFG(message_budget), .lo = 1, .hi = 1000000, .def.u = 100},
    {"warnings_per_interval", MO_CONFIG_UINT, CFG(warnings_per_interval), .lo = 0, .hi = 1000000,
     .def.u = 3},
    {NULL},
};

static const struct mo_config_key reconnect_keys[] = {
    {"backoff_initial", MO_CONFIG_DURATION, CFG(backoff_initial_us), .lo = MS, .hi = HOUR,
     .def.u = 100 * MS},
    {"backoff_max", MO_CONFIG_DURATION, CFG(backoff_max_us), .lo = MS, .hi = HOUR,
     .def.u = 30 * SEC},
    {"idle_timeout", MO_CONFIG_DURATION, CFG(idle_timeout_us), .lo = SEC, .hi = 24 * HOUR,
     .def.u = 15 * SEC},
    {NULL},
};

static const struct mo_config_key state_keys[] = {
    {"directory", MO_CONFIG_STRING, CFG(state_directory)},
    {NULL},
};

static const struct mo_config_key export_keys[] = {
    {"prometheus_textfile", MO_CONFIG_STRING, CFG(prometheus_textfile), .check = check_textfile},
    {"emf", MO_CONFIG_BOOL, CFG(emf), .def.b = false},
    {"emf_namespace", MO_CONFIG_STRING, CFG(emf_namespace),
     .flags = MO_CONFIG_F_NONEMPTY | MO_CONFIG_F_SHARED, .def.s = "MomentoSubscriber",
     .check = check_namespace},
    {NULL},
};

static const struct mo_config_key clock_keys[] = {
    {"source", MO_CONFIG_ENUM, CFG(clock_source), .names = clock_source_names,
     .def.e = MO_CLOCK_AUTO},
    {"clockbound_path", MO_CONFIG_STRING, CFG(clockbound_path), .flags = MO_CONFIG_F_NONEMPTY,
     .check = check_segment_path},
    {NULL},
};

/* canary: the rate is probes per 1000 s (0.1/s to 100/s), the target parts
 * per million (50% to 99.9999%: 100% leaves no room for one late probe) */
#define CAN(f) AT(struct mo_canary_config, f)
static const struct mo_config_key canary_slo_keys[] = {
    {"latency", MO_CONFIG_DURATION, CAN(slo_latency_us), .lo = MS, .hi = 60 * SEC,
     .def.u = 20 * MS},
    {"target", MO_CONFIG_PERCENT, CAN(slo_target_ppm), .lo = 500000, .hi = 999999,
     .def.u = 999000},
    {NULL},
};

static const struct mo_config_key canary_keys[] = {
    {"cache", MO_CONFIG_STRING, CAN(cache), .flags = MO_CONFIG_F_NONEMPTY},
    {"topic", MO_CONFIG_STRING, CAN(topic), .flags = MO_CONFIG_F_NONEMPTY,
     .def.s = MO_CANARY_TOPIC_DEFAULT},
    {"rate", MO_CONFIG_RATE, CAN(rate_milli), .lo = 100, .hi = 100000, .def.u = 1000},
    /* 1 to MO_CANARY_SIZE_MIN - 1 is refused by config-check.c */
    {"size", MO_CONFIG_UINT, CAN(size), .lo = 0, .hi = MO_CANARY_SIZE_MAX, .def.u = 0},
    {"deadline", MO_CONFIG_DURATION, CAN(deadline_us), .lo = 100 * MS, .hi = 60 * SEC,
     .def.u = 5 * SEC},
    {"slo", MO_CONFIG_SECTION, .off = 0, .sub = canary_slo_keys},
    {NULL},
};

#define TGT(f) AT(struct mo_config_target, f)
#define IN_CFG .off = offsetof(struct mo_config_target, cfg)
const struct mo_config_key mo_config_root_keys[] = {
    {"momento", MO_CONFIG_SECTION, IN_CFG, .sub = momento_keys},
    {"defaults", MO_CONFIG_SECTION, TGT(defaults), .sub = defaults_keys},
    {"subscriptions", MO_CONFIG_LIST, TGT(cfg.subs), .sub = sub_keys,
     .elem_size = sizeof(struct mo_sub_config),
     .count_off = offsetof(struct mo_config_target, cfg.n_subs)},
    {"logging", MO_CONFIG_SECTION, IN_CFG, .sub = logging_keys},
    {"reconnect", MO_CONFIG_SECTION, IN_CFG, .sub = reconnect_keys},
    {"state", MO_CONFIG_SECTION, IN_CFG, .sub = state_keys},
    {"export", MO_CONFIG_SECTION, IN_CFG, .sub = export_keys},
    {"clock", MO_CONFIG_SECTION, IN_CFG, .sub = clock_keys},
    {"canary", MO_CONFIG_SECTION, TGT(cfg.canary), .sub = canary_keys},
    {NULL},
};
