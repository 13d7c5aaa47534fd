/* config-int.h - the parts of the configuration module (config.h), for its
 * own files only.
 *
 *   config.c        the public entry points: the file or a buffer loaded
 *   config-errors.c the load's errors: each added once, capped, put in file order
 *   config-keys.c   the key tables: name, type, bounds, default, where the value lands
 *   config-walk.c   one generic walker: a YAML tree against the tables, typed
 *                   values written straight into struct mo_config
 *   config-check.c  what involves more than one key: each subscription's
 *                   decoder from its keys and defaults:, cross-key rules,
 *                   duplicate subscriptions, the canary's rules and its own
 *                   subscription
 *
 * The walker writes into a struct mo_config_target and records where each
 * value it stores was written (struct mo_config_written), so the checks that
 * run after it can point at the right line and column.
 */
#ifndef MO_CONFIG_INT_H
#define MO_CONFIG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "config/yamltree.h"

#define MO_CONFIG_PATH_LEN 128  /* == sizeof(struct mo_config_error.key) */
#define MO_CONFIG_BIN_WINDOW 4096 /* binary timestamps lie within the first 4 KiB */

/* 1-based; 0 = nowhere (an error about the whole file). */
struct mo_config_mark {
    int line, col;
};

enum mo_config_type {
    MO_CONFIG_SECTION,  /* a mapping of sub keys, based at off */
    MO_CONFIG_LIST,     /* mappings of sub keys: an array at off, its length at count_off */
    MO_CONFIG_STRING,   /* char * (owned by the field), or const char * with F_SHARED */
    MO_CONFIG_BOOL,     /* bool */
    MO_CONFIG_TRIBOOL,  /* int: -1 not written, 0, 1 */
    MO_CONFIG_UINT,     /* an unsigned integer of `size` bytes */
    MO_CONFIG_DURATION, /* uint64_t microseconds */
    MO_CONFIG_ENUM,     /* an int-sized enum, indexed like names */
    MO_CONFIG_RATE,     /* uint64_t probes per 1000 s, from "N/s" or "N/m" */
    MO_CONFIG_PERCENT,  /* uint32_t or uint64_t parts per million, from "99.9%" or 0.999 */
};

enum {
    MO_CONFIG_F_REQUIRED = 1 << 0, /* a mapping without it is an error */
    MO_CONFIG_F_NONEMPTY = 1 << 1, /* an empty or blank string is an error */
    MO_CONFIG_F_SHARED = 1 << 2,   /* a string kept in mo_config.strings, not owned by the field */
};

union mo_config_value {
    const char *s;
    uint64_t u; /* UINT; DURATION in microseconds; RATE, PERCENT */
    int e;      /* ENUM: index into names; TRIBOOL: -1, 0, 1 */
    bool b;
};

struct mo_config_key {
    const char *name;
    enum mo_config_type type;
    size_t off, size; /* where the value lands, from the base of the enclosing mapping */
    const struct mo_config_key *sub; /* SECTION, LIST: the child mapping's keys */
    size_t elem_size, count_off;     /* LIST */
    uint64_t lo, hi;                 /* UINT, DURATION, RATE, PERCENT: inclusive bounds */
    const char *const *names;        /* ENUM, NULL-terminated, indexed by the C enum */
    unsigned flags;
    union mo_config_value def; /* when the key is absent */
    unsigned modes;            /* timestamp keys: bit per enum mo_decode_mode that reads it */
    /* extra validation of a string; false with a reason */
    bool (*check)(const char *s, char *why, size_t len);
};

/* What the walker fills: the configuration, and the defaults: decoder the
 * subscriptions inherit from (not part of the result). */
struct mo_config_target {
    struct mo_config cfg;
    struct mo_decoder defaults;
};

/* Where a stored value (or a list, or a list element) was written. */
struct mo_config_written {
    const void *dst; /* the field, or the element */
    bool elem;       /* dst is a list element, not the value of a key */
    bool ok;         /* lists: a list (or null); false when it was something else */
    struct mo_config_mark key, val;
};

struct mo_config_ctx {
    const char *file;
    struct mo_config_errors *errs;
    size_t n_before; /* errors the caller already had */
    size_t dropped;  /* past the limit */
    bool closing;    /* adding the last, summary error */
    bool oom;
    struct mo_config *cfg; /* where shared strings go */
    struct mo_config_written *w;
    size_t n_w, cap_w;
    bool w_sorted;
};

/* ---- config-keys.c ---- */
extern const struct mo_config_key mo_config_root_keys[];     /* based at struct mo_config_target */
extern const struct mo_config_key mo_config_ts_keys[];       /* based at struct mo_decoder */
extern const char *const mo_config_decode_names[];
extern const char *const mo_config_encoding_names[];

/* ---- config-errors.c ---- */
/* Adds an error at `at` (0: the whole file) under the dotted key path `key`
 * (NULL or "": none), unless the same one is already there; past the limit it
 * is only counted. */
void mo_config_add_error(struct mo_config_ctx *c, struct mo_config_mark at, const char *key,
                         const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* How many errors this load has added. */
size_t mo_config_n_errors(const struct mo_config_ctx *c);
/* Closes the load's errors: one for running out of memory (r == -ENOMEM or
 * c->oom), all of them in file order, then one saying how many were left
 * out. Returns the load's final result (r, -ENOMEM, or -EINVAL). */
int mo_config_errors_finish(struct mo_config_ctx *c, int r);

/* ---- config-walk.c ---- */
/* Reports every anchor and alias in the tree (a value is written out where it applies). */
void mo_config_report_anchors(struct mo_config_ctx *c, const struct mo_ytree_node *n);
/* Writes each key's default below base (sections included, lists not). */
void mo_config_set_defaults(struct mo_config_ctx *c, const struct mo_config_key *keys, char *base);
/* Checks mapping m against keys and writes the values below base (NULL: only
 * report what m is not); path is the dotted key path of m ("" at the top). */
void mo_config_walk(struct mo_config_ctx *c, const struct mo_ytree_node *m,
                    const struct mo_config_key *keys, char *base, const char *path);
/* Where the value at dst (or the list element at dst) was written; NULL when
 * the walker stored nothing there. */
const struct mo_config_written *mo_config_where(struct mo_config_ctx *c, const void *dst,
                                                bool elem);
/* Writes v into dst as key k stores it; for strings, a copy. */
void mo_config_put(struct mo_config_ctx *c, const struct mo_config_key *k, void *dst,
                   union mo_config_value v);
/* "subscriptions[2].timestamp" and the like, cut at MO_CONFIG_PATH_LEN. */
void mo_config_path(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- config-check.c ---- */
/* Completes each subscription's decoder from its own keys, defaults: and the
 * tables, then checks what spans keys. root is the document, for the place of
 * a missing subscriptions:. */
void mo_config_check(struct mo_config_ctx *c, struct mo_config_target *t,
                     const struct mo_ytree_node *root);

#endif
