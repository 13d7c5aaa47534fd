/* config.h - the daemon's YAML configuration (momento-subscriber.yaml(5)).
 *
 * The file is parsed into a plain, read-only struct mo_config. Every key
 * momento-subscriber.yaml(5) describes is known here, so the file format is
 * stable. Errors are collected, each with file, line,
 * column (1-based) and key, so --check-config can list them all and a reload
 * can name the first one. A value, key or file name that looks like an API
 * key (secret.h) is an error that never quotes it.
 */
#ifndef MO_CONFIG_H
#define MO_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clocksrc.h"
#include "latency/decode.h"

/* $(sysconfdir) comes from the build (configure --sysconfdir=/etc for a system install). */
#ifdef MO_SYSCONFDIR
#define MO_CONFIG_DEFAULT_PATH MO_SYSCONFDIR "/momento-subscriber/subscriber.yaml"
#else
#define MO_CONFIG_DEFAULT_PATH "/etc/momento-subscriber/subscriber.yaml"
#endif

enum mo_log_messages { MO_LOG_MESSAGES_ALL, MO_LOG_MESSAGES_SAMPLE, MO_LOG_MESSAGES_NONE };

struct mo_sub_config {
    char *cache;
    char *topic;
    struct mo_decoder decoder; /* defaults merged with the entry's overrides */
    int line, column;          /* where the entry starts, for messages */
    bool canary;               /* the canary's own subscription, appended by the loader */
};

#define MO_CANARY_TOPIC_DEFAULT "momento-subscriber-canary"
/* canary.size is 0 (no padding) or MO_CANARY_SIZE_MIN to MO_CANARY_SIZE_MAX
 * bytes. Every probe fits in MO_CANARY_SIZE_MIN unpadded (a 16-hex-digit id,
 * a host name of at most 64 bytes, a 20-digit sequence number and bound, a
 * 27-character timestamp: 217 bytes with the JSON around them), so a size the
 * file accepts is never smaller than a probe. MO_CANARY_SIZE_MAX is the
 * service's payload limit (MO_PROBE_SIZE_MAX, canary/probe.h). */
#define MO_CANARY_SIZE_MIN 256
#define MO_CANARY_SIZE_MAX 4096

/* canary: (momento-subscriber.yaml(5), CANARY): the defaults, and enabled
 * false, when it is absent or null. */
struct mo_canary_config {
    bool enabled;            /* canary.cache given */
    char *cache, *topic;     /* topic default MO_CANARY_TOPIC_DEFAULT */
    uint64_t rate_milli;     /* probes per 1000 s: 100 (0.1/s) .. 100000 (100/s); default 1000 */
    uint64_t size;           /* bytes to pad each probe to, 0 = none; else 256 .. 4096 */
    uint64_t deadline_us;    /* default 5 s; 100 ms .. 60 s */
    uint64_t slo_latency_us; /* default 20 ms; 1 ms .. deadline */
    uint32_t slo_target_ppm; /* parts per million: "99.9%" = 999000; default 999000;
                                500000 (50%) .. 999999 (99.9999%) */
    int line, column;        /* where canary: starts */
};

struct mo_config {
    char *path;

    /* momento: */
    char *endpoint;          /* NULL = from the key or MOMENTO_ENDPOINT */
    char *api_key_file;      /* NULL = systemd credential, then MOMENTO_API_KEY */
    char *endpoint_override; /* NULL = none */
    int tls;                 /* -1 not set (TLS), 0, 1 */
    char *ca_file;           /* PEM of the CA trusted instead of the system's store; NULL: the store */

    /* subscriptions: (defaults are already merged into each entry); with
     * the canary enabled, its own subscription is the last entry (.canary) */
    struct mo_sub_config *subs;
    size_t n_subs;

    /* logging: */
    enum mo_log_messages messages; /* default all */
    uint64_t sample_every;         /* default 100 */
    uint64_t slow_threshold_us;    /* default 50 ms */
    uint64_t summary_interval_us;  /* default 60 s */
    uint64_t message_budget;       /* message events a second, all subscriptions; default 100 */
    uint64_t warnings_per_interval; /* each per-message warning, per subscription and interval; default 3 */

    /* reconnect: */
    uint64_t backoff_initial_us; /* default 100 ms */
    uint64_t backoff_max_us;     /* default 30 s */
    uint64_t idle_timeout_us;    /* default 15 s */

    /* state: */
    char *state_directory; /* NULL = $STATE_DIRECTORY, else none */

    /* export: */
    char *prometheus_textfile; /* NULL = off */
    bool emf;                  /* default false */
    const char *emf_namespace; /* default "MomentoSubscriber"; in strings */

    /* clock: */
    enum mo_clock_config clock_source; /* default auto */
    char *clockbound_path;             /* NULL = v2's shm0, then v1's shm */

    /* canary: */
    struct mo_canary_config canary;

    /* storage for strings the decoders point into */
    char **strings;
    size_t n_strings;
};

struct mo_config_error {
    char file[512];
    int line, column; /* 1-based; 0 when the error is about the whole file */
    char key[128];    /* dotted key path, e.g. "subscriptions[2].timestamp.format"; may be "" */
    char reason[512];
};

struct mo_config_errors {
    struct mo_config_error *v;
    size_t n;
};

/* Loads and validates `path`. On success returns 0 and *ret (free with
 * mo_config_free). On failure returns -EINVAL (or -errno for an unreadable
 * file) and fills errs (free with mo_config_errors_clear). */
int mo_config_load(const char *path, struct mo_config **ret, struct mo_config_errors *errs);
/* The same for the len bytes at buf (no NUL needed), named `name` in errors
 * and in cfg->path, with the same errors a file with these bytes gets. */
int mo_config_load_buffer(const char *name, const char *buf, size_t len, struct mo_config **ret,
                          struct mo_config_errors *errs);
void mo_config_free(struct mo_config *cfg);
void mo_config_errors_clear(struct mo_config_errors *errs);

/* "FILE:LINE:COLUMN: KEY: REASON" for one error. */
void mo_config_error_format(const struct mo_config_error *e, char *buf, size_t len);

/* The subscription for (cache, topic), or NULL. */
const struct mo_sub_config *mo_config_find(const struct mo_config *cfg, const char *cache,
                                           const char *topic);

/* True when two decoders decode identically. */
bool mo_decoder_equal(const struct mo_decoder *a, const struct mo_decoder *b);

#endif
