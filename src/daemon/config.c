/* config.c - the daemon's YAML configuration (config.h, momento-subscriber.yaml(5)).
 *
 * Three steps, each over the same tables:
 *   1. libyaml events become a small node tree that keeps every line and column
 *      (anchors and aliases are rejected there: a configuration is read by
 *      operators, and a value written out in full is what they can check);
 *   2. one generic walker checks the tree against the key tables below (name,
 *      type, bounds, default, where it lands) and fills "slots" that remember
 *      the value and where it was written;
 *   3. the slots become a struct mo_config: defaults from the tables, each
 *      subscription's decoder merged key by key with `defaults:`, then the few
 *      checks that involve more than one key.
 * Every problem is collected as a struct mo_config_error; nothing here logs.
 */
#include <config.h> /* autoconf's, from the build directory */

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "cleanup.h"
#include "config.h" /* this module's header: the quoted form looks in src/daemon first */
#include "endpoint.h"
#include "timefmt.h"
#include "util.h"

#define FILE_MAX (16u << 20) /* a config larger than this is a mistake */
#define DEPTH_MAX 32         /* nesting; ours is 4 levels deep */
#define ERRORS_MAX 100       /* then one "more errors" line */
#define PATH_LEN 128         /* == sizeof(struct mo_config_error.key) */
#define BIN_WINDOW 4096      /* binary timestamps lie within the first 4 KiB */

#define MS UINT64_C(1000)
#define SEC (1000 * MS)
#define MIN (60 * SEC)
#define HOUR (60 * MIN)

/* ---- the node tree ---- */

struct mark {
    int line, col; /* 1-based; 0 = nowhere */
};

enum node_kind { N_SCALAR, N_MAP, N_SEQ, N_ALIAS };

struct node {
    enum node_kind kind;
    struct mark at;
    char *value; /* N_SCALAR, NUL-terminated copy */
    size_t len;
    bool plain;         /* unquoted, so `true` and `100` mean what they look like */
    struct node **kids; /* N_MAP: key, value, key, value...; N_SEQ: items */
    size_t n, cap;
};

static void node_free(struct node *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->n; i++)
        node_free(n->kids[i]);
    free(n->kids);
    free(n->value);
    free(n);
}

static bool node_is_null(const struct node *n)
{
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};
    if (n->kind != N_SCALAR || !n->plain)
        return false;
    for (size_t i = 0; i < ARRAY_SIZE(nulls); i++)
        if (strcmp(n->value, nulls[i]) == 0)
            return true;
    return false;
}

/* ---- what the walker fills ---- */

union kval {
    const char *s; /* points into the tree */
    uint64_t u;    /* K_UINT; K_DURATION in microseconds */
    int e;         /* K_ENUM: index into names */
    bool b;
};

/* One key as written: its value and where. `set` is false when the key is
 * absent, null, or its value was rejected (the error is already recorded). */
struct slot {
    bool set;
    struct mark key, val;
    union kval v;
};

/* A list's elements start with the mark of the element. */
struct list {
    bool seen, bad; /* bad: not a list (reported) */
    struct mark key, val;
    void *v;
    size_t n;
};

struct dec_raw {
    struct slot decode, field, format, offset, encoding, unit;
};

struct sub_raw {
    struct mark at; /* first member: see struct list */
    struct slot cache, topic;
    struct dec_raw dec;
};

struct raw {
    struct slot endpoint, api_key_file, endpoint_override, tls;
    struct dec_raw defaults;
    struct list subs; /* of struct sub_raw */
    struct slot messages, sample_every, slow_threshold, summary_interval;
    struct slot backoff_initial, backoff_max, idle_timeout;
    struct slot state_directory;
    struct slot prometheus_textfile, emf;
};

/* ---- the key tables ---- */

enum ktype { K_SECTION, K_LIST, K_STRING, K_BOOL, K_TRIBOOL, K_UINT, K_DURATION, K_ENUM };

enum {
    F_CFG = 1 << 0,      /* lands in struct mo_config at `cfg` */
    F_REQUIRED = 1 << 1, /* a mapping without it is an error */
    F_NONEMPTY = 1 << 2, /* an empty or blank string is an error */
};

/* The decode modes that read a timestamp key (bit per enum mo_decode_mode). */
#define M_JSON (1u << MO_DECODE_JSON)
#define M_TEXT (1u << MO_DECODE_TEXT)
#define M_BINARY (1u << MO_DECODE_BINARY)

struct key {
    const char *name;
    enum ktype type;
    size_t off;               /* its slot (K_SECTION: the child's base; K_LIST: struct list) */
    const struct key *sub;    /* K_SECTION, K_LIST: the child mapping's keys */
    size_t elem_size;         /* K_LIST */
    uint64_t lo, hi;          /* K_UINT, K_DURATION: inclusive bounds */
    const char *const *names; /* K_ENUM, NULL-terminated, indexed by the C enum */
    unsigned flags;
    size_t cfg;     /* F_CFG: offset in struct mo_config */
    union kval def; /* when the key is absent */
    unsigned modes; /* timestamp keys: M_* of the modes that read it */
    /* extra validation of a string; false with a reason */
    bool (*check)(const char *s, char *why, size_t len);
    /* timestamp keys: store a value into a decoder */
    int (*set)(struct mo_decoder *d, union kval v);
};

static const char *const decode_names[] = {"json", "text", "binary", NULL};
static const char *const format_names[] = {"auto",     "rfc3339",  "epoch_s", "epoch_ms",
                                           "epoch_us", "epoch_ns", NULL};
static const char *const encoding_names[] = {"u32be", "u32le", "u64be", "u64le", NULL};
static const char *const unit_names[] = {"s", "ms", "us", "ns", NULL};
static const char *const messages_names[] = {"all", "sample", "none", NULL};

/* The name tables are indexed by the C enums. */
_Static_assert(MO_DECODE_JSON == 0 && MO_DECODE_TEXT == 1 && MO_DECODE_BINARY == 2, "decode");
_Static_assert(MO_TS_AUTO == 0 && MO_TS_RFC3339 == 1 && MO_TS_EPOCH_S == 2 && MO_TS_EPOCH_MS == 3 &&
                   MO_TS_EPOCH_US == 4 && MO_TS_EPOCH_NS == 5,
               "format");
_Static_assert(MO_BIN_U32BE == 0 && MO_BIN_U32LE == 1 && MO_BIN_U64BE == 2 && MO_BIN_U64LE == 3,
               "encoding");
_Static_assert(MO_UNIT_S == 0 && MO_UNIT_MS == 1 && MO_UNIT_US == 2 && MO_UNIT_NS == 3, "unit");
_Static_assert(MO_LOG_MESSAGES_ALL == 0 && MO_LOG_MESSAGES_SAMPLE == 1 && MO_LOG_MESSAGES_NONE == 2,
               "messages");

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
    else if (s[0] == '.' || s[0] == '-' ||
             strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                       "0123456789.-") != strlen(s))
        bad = "made of letters, digits, dots and hyphens";
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

static int set_field(struct mo_decoder *d, union kval v)
{
    d->field = v.s;
    return mo_decoder_set_field(d, v.s);
}
static int set_format(struct mo_decoder *d, union kval v)
{
    d->format = (enum mo_ts_format)v.e;
    return 0;
}
static int set_offset(struct mo_decoder *d, union kval v)
{
    d->offset = (size_t)v.u;
    return 0;
}
static int set_encoding(struct mo_decoder *d, union kval v)
{
    d->encoding = (enum mo_bin_encoding)v.e;
    return 0;
}
static int set_unit(struct mo_decoder *d, union kval v)
{
    d->unit = (enum mo_ts_unit)v.e;
    return 0;
}

#define DEC(f) offsetof(struct dec_raw, f)
static const struct key ts_keys[] = {
    {"field", K_STRING, DEC(field), .flags = F_NONEMPTY, .def.s = "timestamp", .modes = M_JSON,
     .check = check_field, .set = set_field},
    {"format", K_ENUM, DEC(format), .names = format_names, .def.e = MO_TS_AUTO,
     .modes = M_JSON | M_TEXT, .set = set_format},
    {"offset", K_UINT, DEC(offset), .lo = 0, .hi = BIN_WINDOW - 4, .def.u = 0, .modes = M_BINARY,
     .set = set_offset},
    {"encoding", K_ENUM, DEC(encoding), .names = encoding_names, .def.e = MO_BIN_U64BE,
     .modes = M_BINARY, .set = set_encoding},
    {"unit", K_ENUM, DEC(unit), .names = unit_names, .def.e = MO_UNIT_NS, .modes = M_BINARY,
     .set = set_unit},
    {NULL},
};

/* clang-format off */
#define DECODE_KEY(off) {"decode", K_ENUM, (off), .names = decode_names, .def.e = MO_DECODE_JSON}
/* clang-format on */

static const struct key defaults_keys[] = {
    DECODE_KEY(DEC(decode)),
    {"timestamp", K_SECTION, 0, .sub = ts_keys},
    {NULL},
};

#define SUB(f) offsetof(struct sub_raw, f)
static const struct key sub_keys[] = {
    {"cache", K_STRING, SUB(cache), .flags = F_REQUIRED | F_NONEMPTY},
    {"topic", K_STRING, SUB(topic), .flags = F_REQUIRED | F_NONEMPTY},
    DECODE_KEY(SUB(dec.decode)),
    {"timestamp", K_SECTION, SUB(dec), .sub = ts_keys},
    {NULL},
};

#define RAW(f) offsetof(struct raw, f)
#define CFG(f) .flags = F_CFG, .cfg = offsetof(struct mo_config, f)
static const struct key momento_keys[] = {
    {"endpoint", K_STRING, RAW(endpoint), CFG(endpoint), .check = check_hostname},
    {"api_key_file", K_STRING, RAW(api_key_file), CFG(api_key_file)},
    {"endpoint_override", K_STRING, RAW(endpoint_override), CFG(endpoint_override),
     .check = check_hostport},
    {"tls", K_TRIBOOL, RAW(tls), CFG(tls)},
    {NULL},
};

static const struct key logging_keys[] = {
    {"messages", K_ENUM, RAW(messages), CFG(messages), .names = messages_names,
     .def.e = MO_LOG_MESSAGES_ALL},
    {"sample_every", K_UINT, RAW(sample_every), CFG(sample_every), .lo = 1, .hi = 1000000000,
     .def.u = 100},
    {"slow_threshold", K_DURATION, RAW(slow_threshold), CFG(slow_threshold_us), .lo = 0,
     .hi = 24 * HOUR, .def.u = 50 * MS},
    {"summary_interval", K_DURATION, RAW(summary_interval), CFG(summary_interval_us), .lo = SEC,
     .hi = 24 * HOUR, .def.u = 60 * SEC},
    {NULL},
};

static const struct key reconnect_keys[] = {
    {"backoff_initial", K_DURATION, RAW(backoff_initial), CFG(backoff_initial_us), .lo = MS,
     .hi = HOUR, .def.u = 100 * MS},
    {"backoff_max", K_DURATION, RAW(backoff_max), CFG(backoff_max_us), .lo = MS, .hi = HOUR,
     .def.u = 30 * SEC},
    {"idle_timeout", K_DURATION, RAW(idle_timeout), CFG(idle_timeout_us), .lo = SEC,
     .hi = 24 * HOUR, .def.u = 15 * SEC},
    {NULL},
};

static const struct key state_keys[] = {
    {"directory", K_STRING, RAW(state_directory), CFG(state_directory)},
    {NULL},
};

static const struct key export_keys[] = {
    {"prometheus_textfile", K_STRING, RAW(prometheus_textfile), CFG(prometheus_textfile)},
    {"emf", K_BOOL, RAW(emf), CFG(emf), .def.b = false},
    {NULL},
};

static const struct key root_keys[] = {
    {"momento", K_SECTION, 0, .sub = momento_keys},
    {"defaults", K_SECTION, RAW(defaults), .sub = defaults_keys},
    {"subscriptions", K_LIST, RAW(subs), .sub = sub_keys, .elem_size = sizeof(struct sub_raw)},
    {"logging", K_SECTION, 0, .sub = logging_keys},
    {"reconnect", K_SECTION, 0, .sub = reconnect_keys},
    {"state", K_SECTION, 0, .sub = state_keys},
    {"export", K_SECTION, 0, .sub = export_keys},
    {NULL},
};

/* ---- errors ---- */

struct ctx {
    const char *file;
    struct mo_config_errors *errs;
    size_t n_before; /* errors the caller already had */
    size_t dropped;  /* past ERRORS_MAX */
    bool closing;    /* adding the last, summary error */
    bool oom;
};

static size_t n_errors(const struct ctx *c) { return c->errs->n - c->n_before; }

static void add_error(struct ctx *c, struct mark at, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void add_error(struct ctx *c, struct mark at, const char *key, const char *fmt, ...)
{
    struct mo_config_error e = {.line = at.line, .column = at.col};
    snprintf(e.file, sizeof e.file, "%s", c->file);
    snprintf(e.key, sizeof e.key, "%s", key ? key : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e.reason, sizeof e.reason, fmt, ap);
    va_end(ap);

    /* An inherited default can be wrong for many subscriptions; say it once. */
    for (size_t i = c->n_before; i < c->errs->n; i++) {
        const struct mo_config_error *o = &c->errs->v[i];
        if (o->line == e.line && o->column == e.column && strcmp(o->key, e.key) == 0 &&
            strcmp(o->reason, e.reason) == 0)
            return;
    }
    if (n_errors(c) >= ERRORS_MAX && !c->closing) {
        c->dropped++;
        return;
    }
    struct mo_config_error *v = realloc(c->errs->v, (c->errs->n + 1) * sizeof *v);
    if (!v) {
        c->oom = true;
        return;
    }
    v[c->errs->n++] = e;
    c->errs->v = v;
}

/* Errors in file order (the whole-file ones first), so the first is the one to fix first. */
static void sort_errors(struct ctx *c)
{
    struct mo_config_error *v = c->errs->v + c->n_before;
    size_t n = n_errors(c);
    for (size_t i = 1; i < n; i++) { /* insertion sort: stable, and n is small */
        struct mo_config_error e = v[i];
        size_t j = i;
        while (j > 0 && (v[j - 1].line > e.line ||
                         (v[j - 1].line == e.line && v[j - 1].column > e.column))) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = e;
    }
}

/* ---- step 1: libyaml events to a tree ---- */

static struct mark yaml_mark(yaml_mark_t m)
{
    return (struct mark){(int)m.line + 1, (int)m.column + 1};
}

/* Where a byte offset is, for reader errors that carry only an offset. */
static struct mark offset_mark(const char *buf, size_t len, size_t off)
{
    struct mark m = {1, 1};
    for (size_t i = 0; i < off && i < len; i++) {
        if (buf[i] == '\n')
            m = (struct mark){m.line + 1, 1};
        else if (((unsigned char)buf[i] & 0xc0) != 0x80) /* count characters, not bytes */
            m.col++;
    }
    return m;
}

static void yaml_parser_deletep(yaml_parser_t **p)
{
    if (*p)
        yaml_parser_delete(*p);
}

static int node_add(struct node *parent, struct node *n)
{
    if (parent->n == parent->cap) {
        size_t cap = parent->cap ? parent->cap * 2 : 8;
        struct node **k = realloc(parent->kids, cap * sizeof *k);
        if (!k)
            return -ENOMEM;
        parent->kids = k;
        parent->cap = cap;
    }
    parent->kids[parent->n++] = n;
    return 0;
}

static void syntax_error(struct ctx *c, const yaml_parser_t *p, const char *buf, size_t len)
{
    struct mark at = p->error == YAML_READER_ERROR ? offset_mark(buf, len, p->problem_offset)
                                                   : yaml_mark(p->problem_mark);
    const char *problem = p->problem ? p->problem : "unknown problem";
    if (p->error == YAML_MEMORY_ERROR) {
        c->oom = true;
        return;
    }
    if (p->context)
        add_error(c, at, "",
                  "YAML syntax error: %s %s (line %d, column %d); check the indentation "
                  "and quoting here",
                  problem, p->context, (int)p->context_mark.line + 1,
                  (int)p->context_mark.column + 1);
    else if (p->error == YAML_READER_ERROR)
        add_error(c, at, "", "the file is not valid UTF-8 text: %s", problem);
    else
        add_error(c, at, "", "YAML syntax error: %s; check the indentation and quoting here",
                  problem);
}

/* Parses the whole buffer into *ret (NULL for a file without a document).
 * Returns 0, or -EINVAL when the tree cannot be trusted (syntax error, a second
 * document, too deep): anchors and aliases are reported but do not stop it. */
static int build_tree(struct ctx *c, const char *buf, size_t len, struct node **ret)
{
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return -ENOMEM;
    _cleanup_(yaml_parser_deletep) yaml_parser_t *p = &parser;
    yaml_parser_set_input_string(p, (const unsigned char *)buf, len);

    struct node *root = NULL, *stack[DEPTH_MAX];
    size_t depth = 0, docs = 0;
    int r = 0;
    for (bool done = false; !done && r == 0;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(p, &ev)) {
            syntax_error(c, p, buf, len);
            r = -EINVAL;
            break;
        }
        struct mark at = yaml_mark(ev.start_mark);
        const yaml_char_t *anchor = NULL;
        struct node *n = NULL;
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        case YAML_DOCUMENT_START_EVENT:
            if (++docs > 1) {
                add_error(c, at, "",
                          "a second YAML document starts here; the configuration is one "
                          "document: remove this '---' and what follows, or merge it");
                r = -EINVAL;
            }
            break;
        case YAML_ALIAS_EVENT:
            add_error(c, at, "", "aliases (*%.60s) are not supported; write the value out in full",
                      (const char *)ev.data.alias.anchor);
            n = calloc(1, sizeof *n);
            if (n)
                *n = (struct node){.kind = N_ALIAS, .at = at};
            break;
        case YAML_SCALAR_EVENT:
            anchor = ev.data.scalar.anchor;
            n = calloc(1, sizeof *n);
            if (n) {
                *n = (struct node){.kind = N_SCALAR,
                                   .at = at,
                                   .len = ev.data.scalar.length,
                                   .plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE};
                n->value = malloc(n->len + 1);
                if (n->value) {
                    memcpy(n->value, ev.data.scalar.value, n->len);
                    n->value[n->len] = '\0';
                } else {
                    free(TAKE_PTR(n));
                }
            }
            break;
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
            anchor = ev.type == YAML_SEQUENCE_START_EVENT ? ev.data.sequence_start.anchor
                                                          : ev.data.mapping_start.anchor;
            n = calloc(1, sizeof *n);
            if (n)
                *n = (struct node){.kind = ev.type == YAML_SEQUENCE_START_EVENT ? N_SEQ : N_MAP,
                                   .at = at};
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            depth--;
            break;
        default:
            break;
        }
        if (anchor)
            add_error(c, at, "",
                      "anchors (&%.60s) are not supported; write each value out in full "
                      "(subscriptions share settings through defaults:)",
                      (const char *)anchor);
        bool opens = ev.type == YAML_SEQUENCE_START_EVENT || ev.type == YAML_MAPPING_START_EVENT;
        bool has_node = opens || ev.type == YAML_SCALAR_EVENT || ev.type == YAML_ALIAS_EVENT;
        yaml_event_delete(&ev);
        if (!has_node || r < 0)
            continue;
        if (!n) {
            r = -ENOMEM;
            break;
        }
        if (depth == 0) {
            root = n;
        } else if (node_add(stack[depth - 1], n) < 0) {
            node_free(n);
            r = -ENOMEM;
            break;
        }
        if (opens) {
            if (depth == DEPTH_MAX) {
                add_error(c, at, "",
                          "nested more than %d levels deep; the configuration "
                          "needs at most 4",
                          DEPTH_MAX);
                r = -EINVAL;
                break;
            }
            stack[depth++] = n;
        }
    }
    if (r == -ENOMEM)
        c->oom = true;
    if (r < 0) {
        node_free(root);
        return r;
    }
    *ret = root;
    return 0;
}

/* ---- step 2: the walker ---- */

static const char *kind_name(const struct node *n)
{
    switch (n->kind) {
    case N_MAP:
        return "a mapping";
    case N_SEQ:
        return "a list";
    default:
        return "a single value";
    }
}

/* Optimal string alignment distance (edits plus transpositions), for "did you mean". */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 40 || lb > 40)
        return SIZE_MAX;
    size_t d[41][41];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
            size_t v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < v)
                v = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    return d[la][lb];
}

/* The closest of `names` to `s`, if it is close enough to be a typo. */
static const char *suggest(const char *s, const char *const *names, size_t stride)
{
    const char *best = NULL;
    size_t best_d = SIZE_MAX;
    for (const char *const *p = names; *p; p = (const char *const *)((const char *)p + stride)) {
        size_t d = edit_distance(s, *p);
        if (d < best_d) {
            best_d = d;
            best = *p;
        }
    }
    size_t limit = strlen(s) <= 3 ? 1 : 2;
    return best_d <= limit ? best : NULL;
}

static void list_names(const char *const *names, size_t stride, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (const char *const *p = names; *p; p = (const char *const *)((const char *)p + stride)) {
        int w = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", *p);
        if (w < 0 || (size_t)w >= len - used)
            break;
        used += (size_t)w;
    }
}

static void fmt_duration(uint64_t us, char *buf, size_t len)
{
    if (us == 0)
        snprintf(buf, len, "0s");
    else if (us % HOUR == 0)
        snprintf(buf, len, "%" PRIu64 "h", us / HOUR);
    else if (us % MIN == 0)
        snprintf(buf, len, "%" PRIu64 "m", us / MIN);
    else if (us % SEC == 0)
        snprintf(buf, len, "%" PRIu64 "s", us / SEC);
    else if (us % MS == 0)
        snprintf(buf, len, "%" PRIu64 "ms", us / MS);
    else
        snprintf(buf, len, "%" PRIu64 "us", us);
}

static bool blank(const char *s)
{
    for (; *s; s++)
        if (!isspace((unsigned char)*s))
            return false;
    return true;
}

static bool all_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s) && *s != '.')
            return false;
    return true;
}

/* Converts one scalar for key k. Returns true and *out, or false after
 * recording why not. */
static bool parse_scalar(struct ctx *c, const struct node *v, const struct key *k, const char *path,
                         union kval *out)
{
    char buf[600];
    const char *s = v->value;

    if (v->kind == N_ALIAS)
        return false; /* already reported */
    if (v->kind != N_SCALAR) {
        const char *want = "a single value";
        switch (k->type) {
        case K_STRING:
            want = "a string";
            break;
        case K_BOOL:
        case K_TRIBOOL:
            want = "true or false";
            break;
        case K_UINT:
            want = "a whole number";
            break;
        case K_DURATION:
            want = "a duration such as 30s";
            break;
        default:
            break;
        }
        add_error(c, v->at, path, "expected %s here, not %s", want, kind_name(v));
        return false;
    }
    if (strlen(s) != v->len) {
        add_error(c, v->at, path, "the value contains a NUL character; remove it");
        return false;
    }
    bool null = node_is_null(v);

    switch (k->type) {
    case K_STRING:
        if (null || !*s) {
            if (k->flags & F_NONEMPTY) {
                add_error(c, v->at, path, "is empty; write a %s name", k->name);
                return false;
            }
            out->s = NULL; /* an empty optional string is the same as leaving it out */
            return true;
        }
        if ((k->flags & F_NONEMPTY) && blank(s)) {
            add_error(c, v->at, path, "is only whitespace; write a %s name", k->name);
            return false;
        }
        if (k->check && !k->check(s, buf, sizeof buf)) {
            add_error(c, v->at, path, "%s", buf);
            return false;
        }
        out->s = s;
        return true;

    case K_BOOL:
    case K_TRIBOOL:
        if (v->plain && (strcmp(s, "true") == 0 || strcmp(s, "false") == 0)) {
            out->b = s[0] == 't';
            return true;
        }
        add_error(c, v->at, path, "expected true or false%s, not %s'%.60s'",
                  v->plain ? "" : " without quotes", v->plain ? "" : "the string ", s);
        return false;

    case K_UINT: {
        uint64_t u;
        if (null) {
            add_error(c, v->at, path, "needs a value: a whole number from %" PRIu64, k->lo);
            return false;
        }
        if (!v->plain) {
            add_error(c, v->at, path,
                      "expected a number, not the string '%.60s'; remove the "
                      "quotes",
                      s);
            return false;
        }
        int r = mo_parse_u64(s, &u);
        if (r == -EINVAL) {
            add_error(c, v->at, path,
                      "'%.60s' is not a whole number; write digits only, e.g. "
                      "%" PRIu64,
                      s, k->def.u ? k->def.u : k->lo);
            return false;
        }
        if (r < 0 || u < k->lo || u > k->hi) {
            add_error(c, v->at, path,
                      "%.60s is out of range: write a number from %" PRIu64 " to %" PRIu64, s,
                      k->lo, k->hi);
            return false;
        }
        out->u = u;
        return true;
    }

    case K_DURATION: {
        uint64_t us;
        if (null) {
            add_error(c, v->at, path, "needs a value: a duration such as 30s");
            return false;
        }
        int r = mo_time_parse_duration(s, &us);
        if (r == -EINVAL && all_digits(s)) {
            add_error(c, v->at, path, "'%.60s' needs a unit: ms, s, m or h (e.g. %.40ss)", s, s);
            return false;
        }
        if (r == -EINVAL) {
            add_error(c, v->at, path,
                      "'%.60s' is not a duration: write a number and a unit "
                      "(ms, s, m or h), e.g. 250ms, 30s, 5m, 1h",
                      s);
            return false;
        }
        if (r < 0 || us < k->lo || us > k->hi) {
            char lo[32], hi[32];
            fmt_duration(k->lo, lo, sizeof lo);
            fmt_duration(k->hi, hi, sizeof hi);
            add_error(c, v->at, path, "%.60s is out of range: write a duration from %s to %s", s,
                      lo, hi);
            return false;
        }
        out->u = us;
        return true;
    }

    case K_ENUM: {
        for (int i = 0; k->names[i]; i++)
            if (strcmp(s, k->names[i]) == 0) {
                out->e = i;
                return true;
            }
        char all[200];
        list_names(k->names, sizeof(char *), all, sizeof all);
        const char *near = suggest(s, k->names, sizeof(char *));
        if (near)
            add_error(c, v->at, path, "'%.60s' is not one of: %s; did you mean '%s'?", s, all,
                      near);
        else
            add_error(c, v->at, path, "'%.60s' is not one of: %s", s, all);
        return false;
    }

    default:
        return false;
    }
}

static void walk_map(struct ctx *c, const struct node *m, const struct key *keys, char *base,
                     const char *path);

/* A key path such as subscriptions[2].timestamp.format, cut at PATH_LEN. */
static void pathf(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void pathf(char *buf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, PATH_LEN, fmt, ap);
    va_end(ap);
}

static void child_path(char *buf, const char *parent, const char *name)
{
    pathf(buf, "%s%s%.60s", parent, *parent ? "." : "", name);
}

static void walk_list(struct ctx *c, const struct node *v, const struct key *k, struct list *l,
                      const char *path)
{
    if (v->kind == N_ALIAS) {
        l->bad = true; /* reported */
        return;
    }
    if (node_is_null(v))
        return; /* `subscriptions:` with nothing after it: reported as empty */
    if (v->kind != N_SEQ) {
        add_error(c, v->at, path, "expected a list (one '- ' line per entry), not %s",
                  kind_name(v));
        l->bad = true;
        return;
    }
    if (v->n == 0)
        return;
    l->v = calloc(v->n, k->elem_size);
    if (!l->v) {
        c->oom = true;
        return;
    }
    l->n = v->n;
    for (size_t i = 0; i < v->n; i++) {
        char *elem = (char *)l->v + i * k->elem_size;
        char p[PATH_LEN];
        pathf(p, "%s[%zu]", path, i);
        *(struct mark *)elem = v->kids[i]->at;
        walk_map(c, v->kids[i], k->sub, elem, p);
    }
}

/* Checks mapping m against keys and fills the slots at base. A null value
 * (`section:` with nothing under it) is an empty mapping. */
static void walk_map(struct ctx *c, const struct node *m, const struct key *keys, char *base,
                     const char *path)
{
    if (m->kind == N_ALIAS)
        return;
    if (m->kind != N_MAP && !node_is_null(m)) {
        if (*path)
            add_error(c, m->at, path, "expected a mapping (indented 'key: value' lines), not %s",
                      kind_name(m));
        else
            add_error(c, m->at, path,
                      "the top level must be a mapping of sections "
                      "(momento:, defaults:, subscriptions:, ...), not %s",
                      kind_name(m));
        return;
    }

    struct mark seen[16] = {{0}};
    size_t n_keys = 0;
    while (keys[n_keys].name)
        n_keys++;

    for (size_t i = 0; m->kind == N_MAP && i + 1 < m->n; i += 2) {
        const struct node *kn = m->kids[i], *vn = m->kids[i + 1];
        if (kn->kind != N_SCALAR) {
            if (kn->kind != N_ALIAS)
                add_error(c, kn->at, path, "keys must be plain names, not %s", kind_name(kn));
            continue;
        }
        const struct key *k = NULL;
        for (size_t j = 0; j < n_keys && !k; j++)
            if (strcmp(kn->value, keys[j].name) == 0)
                k = &keys[j];

        char p[PATH_LEN];
        child_path(p, path, kn->value);
        if (!k) {
            char where[PATH_LEN + 16];
            snprintf(where, sizeof where, "%s%s", *path ? "in " : "at the top level", path);
            const char *near = suggest(kn->value, &keys[0].name, sizeof *keys);
            if (near) {
                add_error(c, kn->at, p, "unknown key '%.60s' %s; did you mean '%s'?", kn->value,
                          where, near);
                continue;
            }
            /* a key written one level too high, e.g. `offset:` beside `decode:` */
            for (size_t j = 0; j < n_keys && !near; j++)
                for (const struct key *s = keys[j].type == K_SECTION ? keys[j].sub : NULL;
                     s && s->name && !near; s++)
                    if (strcmp(s->name, kn->value) == 0) {
                        near = keys[j].name;
                        add_error(c, kn->at, p, "unknown key '%.60s' %s; it belongs under '%s:'",
                                  kn->value, where, near);
                    }
            if (!near) {
                char all[300];
                list_names(&keys[0].name, sizeof *keys, all, sizeof all);
                add_error(c, kn->at, p, "unknown key '%.60s' %s; the keys here are: %s", kn->value,
                          where, all);
            }
            continue;
        }
        size_t idx = (size_t)(k - keys);
        if (seen[idx].line) {
            add_error(c, kn->at, p, "duplicate key '%s' (first at line %d, column %d); keep one",
                      k->name, seen[idx].line, seen[idx].col);
            continue;
        }
        seen[idx] = kn->at;

        switch (k->type) {
        case K_SECTION:
            walk_map(c, vn, k->sub, base + k->off, p);
            break;
        case K_LIST: {
            struct list *l = (struct list *)(base + k->off);
            *l = (struct list){.seen = true, .key = kn->at, .val = vn->at};
            walk_list(c, vn, k, l, p);
            break;
        }
        default: {
            struct slot *s = (struct slot *)(base + k->off);
            union kval v;
            *s = (struct slot){.key = kn->at, .val = vn->at};
            if (parse_scalar(c, vn, k, p, &v) &&
                !(k->type == K_STRING && !v.s)) { /* null optional string: as if absent */
                s->set = true;
                s->v = v;
            }
            break;
        }
        }
    }

    char required[100] = "";
    for (size_t j = 0, used = 0; j < n_keys; j++)
        if (keys[j].flags & F_REQUIRED)
            used += (size_t)snprintf(required + used, sizeof required - used, "%s%s",
                                     used ? " and " : "", keys[j].name);
    for (size_t j = 0; j < n_keys; j++)
        if ((keys[j].flags & F_REQUIRED) && !seen[j].line) {
            char p[PATH_LEN];
            child_path(p, path, keys[j].name);
            add_error(c, m->at, p, "missing; add '%s:' (every entry here needs %s)", keys[j].name,
                      required);
        }
}

/* ---- step 3: from slots to struct mo_config ---- */

static const char *intern(struct mo_config *cfg, const char *s)
{
    char **v = realloc(cfg->strings, (cfg->n_strings + 1) * sizeof *v);
    if (!v)
        return NULL;
    cfg->strings = v;
    if (!(v[cfg->n_strings] = strdup(s)))
        return NULL;
    return v[cfg->n_strings++];
}

/* Copies every F_CFG key (or its default) into cfg. */
static int apply(const struct key *keys, const char *base, struct mo_config *cfg)
{
    for (const struct key *k = keys; k->name; k++) {
        if (k->type == K_SECTION) {
            int r = apply(k->sub, base + k->off, cfg);
            if (r < 0)
                return r;
            continue;
        }
        if (!(k->flags & F_CFG))
            continue;
        const struct slot *s = (const struct slot *)(base + k->off);
        union kval v = s->set ? s->v : k->def;
        void *dst = (char *)cfg + k->cfg;
        switch (k->type) {
        case K_STRING:
            if (v.s && !(*(char **)dst = strdup(v.s)))
                return -ENOMEM;
            break;
        case K_BOOL:
            *(bool *)dst = v.b;
            break;
        case K_TRIBOOL:
            *(int *)dst = s->set ? v.b : -1;
            break;
        case K_ENUM:
            *(int *)dst = v.e;
            break;
        case K_UINT:
        case K_DURATION:
            *(uint64_t *)dst = v.u;
            break;
        default:
            break;
        }
    }
    return 0;
}

static const struct slot *slot_of(const struct dec_raw *d, const struct key *k)
{
    return (const struct slot *)((const char *)d + k->off);
}

static void mode_list(unsigned modes, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int m = 0; decode_names[m]; m++)
        if (modes & (1u << m)) {
            bool last = !(modes >> (m + 1));
            used += (size_t)snprintf(buf + used, len - used, "%s%s",
                                     used ? (last ? " or " : ", ") : "", decode_names[m]);
            if (used >= len)
                break;
        }
}

/* Builds subscription i's decoder: each key from the entry, else from
 * defaults:, else the table default. A key written in the entry that its mode
 * does not read is an error; an inherited one is simply not used. */
static int merge_decoder(struct ctx *c, const struct raw *raw, size_t i, struct mo_config *cfg,
                         const char **defaults_field, struct mo_decoder *ret)
{
    const struct sub_raw *sub = &((const struct sub_raw *)raw->subs.v)[i];
    const struct slot *mode_s = sub->dec.decode.set        ? &sub->dec.decode
                                : raw->defaults.decode.set ? &raw->defaults.decode
                                                           : NULL;
    enum mo_decode_mode mode = mode_s ? (enum mo_decode_mode)mode_s->v.e : MO_DECODE_JSON;
    struct mo_decoder d = {.mode = mode};
    char path[PATH_LEN];

    for (const struct key *k = ts_keys; k->name; k++) {
        const struct slot *own = slot_of(&sub->dec, k), *inh = slot_of(&raw->defaults, k);
        bool used = k->modes & (1u << mode);
        union kval v = k->def;
        const struct slot *src = NULL;
        if (own->set && !used) {
            char modes[64];
            mode_list(k->modes, modes, sizeof modes);
            pathf(path, "subscriptions[%zu].timestamp.%s", i, k->name);
            add_error(c, own->key, path,
                      "%s applies only to decode: %s; this subscription "
                      "decodes %s, so remove it (or change decode)",
                      k->name, modes, decode_names[mode]);
        } else if (used) {
            src = own->set ? own : inh->set ? inh : NULL;
            if (src)
                v = src->v;
        }
        /* the decoder's strings live as long as the config */
        if (k->type == K_STRING && src) {
            const char *s = src == inh && *defaults_field ? *defaults_field : intern(cfg, v.s);
            if (!s)
                return -ENOMEM;
            if (src == inh)
                *defaults_field = s;
            v.s = s;
        }
        if (k->set(&d, v) < 0) { /* the walker's check should have caught it */
            if (src == own)
                pathf(path, "subscriptions[%zu].timestamp.%s", i, k->name);
            else
                pathf(path, "defaults.timestamp.%s", k->name);
            add_error(c, src ? src->val : sub->at, path, "the decoder rejects this value");
        }
    }

    if (mode == MO_DECODE_BINARY) {
        size_t width = d.encoding == MO_BIN_U32BE || d.encoding == MO_BIN_U32LE ? 4 : 8;
        if (d.offset + width > BIN_WINDOW) {
            const struct slot *src = sub->dec.offset.set ? &sub->dec.offset : &raw->defaults.offset;
            if (src == &sub->dec.offset)
                pathf(path, "subscriptions[%zu].timestamp.offset", i);
            else
                pathf(path, "defaults.timestamp.offset");
            add_error(c, src->val, path,
                      "offset %zu plus the %zu bytes of %s ends past byte "
                      "%d; the timestamp must lie within the first %d bytes of the payload",
                      d.offset, width, encoding_names[d.encoding], BIN_WINDOW, BIN_WINDOW);
        }
    }
    *ret = d;
    return 0;
}

static int cmp_pair(const void *a, const void *b, void *userdata)
{
    const struct sub_raw *subs = userdata;
    const struct sub_raw *x = &subs[*(const size_t *)a], *y = &subs[*(const size_t *)b];
    int r = strcmp(x->cache.v.s, y->cache.v.s);
    if (r == 0)
        r = strcmp(x->topic.v.s, y->topic.v.s);
    if (r == 0)
        r = *(const size_t *)a < *(const size_t *)b ? -1 : 1;
    return r;
}

/* A (cache, topic) pair written twice: the later ones name the first. */
static int check_duplicates(struct ctx *c, const struct raw *raw)
{
    const struct sub_raw *subs = raw->subs.v;
    _cleanup_free_ size_t *idx = malloc((raw->subs.n + 1) * sizeof *idx);
    if (!idx)
        return -ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < raw->subs.n; i++)
        if (subs[i].cache.set && subs[i].topic.set)
            idx[n++] = i;
    qsort_r(idx, n, sizeof *idx, cmp_pair, (void *)subs);
    for (size_t a = 0, b; a < n; a = b) {
        const struct sub_raw *first = &subs[idx[a]];
        for (b = a + 1; b < n && strcmp(subs[idx[b]].cache.v.s, first->cache.v.s) == 0 &&
                        strcmp(subs[idx[b]].topic.v.s, first->topic.v.s) == 0;
             b++) {
            char path[PATH_LEN];
            pathf(path, "subscriptions[%zu]", idx[b]);
            add_error(c, subs[idx[b]].at, path,
                      "duplicate subscription to cache '%.60s' topic '%.60s': already at line "
                      "%d, column %d (subscriptions[%zu]); remove one",
                      first->cache.v.s, first->topic.v.s, first->at.line, first->at.col, idx[a]);
        }
    }
    return 0;
}

static void check_cross(struct ctx *c, const struct raw *raw, const struct node *root)
{
    if (!raw->subs.seen)
        add_error(c, root->at, "subscriptions",
                  "missing; list at least one subscription (a cache and a topic)");
    else if (raw->subs.n == 0 && !raw->subs.bad)
        add_error(c, raw->subs.val, "subscriptions",
                  "is empty; list at least one subscription (a cache and a topic)");

    if (raw->tls.set && !raw->tls.v.b && !raw->endpoint_override.set)
        add_error(c, raw->tls.val, "momento.tls",
                  "tls: false is only allowed together with endpoint_override (a local server "
                  "or a proxy); the Momento service needs TLS");

    uint64_t lo = raw->backoff_initial.set ? raw->backoff_initial.v.u : reconnect_keys[0].def.u;
    uint64_t hi = raw->backoff_max.set ? raw->backoff_max.v.u : reconnect_keys[1].def.u;
    if (lo > hi) {
        char a[32], b[32];
        fmt_duration(lo, a, sizeof a);
        fmt_duration(hi, b, sizeof b);
        bool at_max = raw->backoff_max.set;
        add_error(c, at_max ? raw->backoff_max.val : raw->backoff_initial.val,
                  at_max ? "reconnect.backoff_max" : "reconnect.backoff_initial",
                  "backoff_max (%s%s) is below backoff_initial (%s%s); make backoff_max at "
                  "least backoff_initial",
                  b, at_max ? "" : ", the default", a,
                  raw->backoff_initial.set ? "" : ", the default");
    }
}

/* ---- loading ---- */

static int read_file(const char *path, char **ret, size_t *ret_len)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -errno;
    if (S_ISDIR(st.st_mode))
        return -EISDIR;
    size_t cap = 4096, len = 0;
    _cleanup_free_ char *buf = malloc(cap);
    if (!buf)
        return -ENOMEM;
    for (;;) {
        if (len == cap) {
            if (cap >= FILE_MAX)
                return -EFBIG;
            char *b = realloc(buf, cap * 2);
            if (!b)
                return -ENOMEM;
            buf = b;
            cap *= 2;
        }
        ssize_t n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            break;
        len += (size_t)n;
    }
    *ret = TAKE_PTR(buf);
    *ret_len = len;
    return 0;
}

static void raw_free(struct raw *raw) { free(raw->subs.v); }

MO_DEFINE_FREEP(struct node, node_free)
MO_DEFINE_FREEP(struct mo_config, mo_config_free)

static int load(struct ctx *c, const char *path, struct mo_config **ret)
{
    _cleanup_free_ char *buf = NULL;
    size_t len = 0;
    int r = read_file(path, &buf, &len);
    if (r < 0) {
        if (r == -EFBIG)
            add_error(c, (struct mark){0}, "",
                      "the file is larger than %u MiB; this is not a "
                      "configuration file",
                      FILE_MAX >> 20);
        else
            add_error(c, (struct mark){0}, "", "cannot read the file: %s", strerror(-r));
        return r == -EFBIG ? -EINVAL : r;
    }

    _cleanup_(node_freep) struct node *root = NULL;
    r = build_tree(c, buf, len, &root);
    if (r < 0)
        return r;
    if (!root || node_is_null(root)) {
        add_error(c, (struct mark){0}, "",
                  "the file is empty (or only comments); it needs at least a subscriptions: "
                  "list, see momento-subscriber.yaml(5)");
        return -EINVAL;
    }
    if (root->kind != N_MAP) {
        walk_map(c, root, root_keys, NULL, ""); /* only reports the type */
        return -EINVAL;
    }

    struct raw raw = {0};
    walk_map(c, root, root_keys, (char *)&raw, "");
    check_cross(c, &raw, root);
    if (check_duplicates(c, &raw) < 0)
        c->oom = true;

    _cleanup_(mo_config_freep) struct mo_config *cfg = calloc(1, sizeof *cfg);
    if (!cfg || !(cfg->path = strdup(path)) || apply(root_keys, (char *)&raw, cfg) < 0)
        goto oom;
    cfg->subs = calloc(raw.subs.n ? raw.subs.n : 1, sizeof *cfg->subs);
    if (!cfg->subs)
        goto oom;
    const char *defaults_field = NULL;
    for (size_t i = 0; i < raw.subs.n; i++) {
        const struct sub_raw *s = &((const struct sub_raw *)raw.subs.v)[i];
        struct mo_sub_config *o = &cfg->subs[cfg->n_subs++];
        o->line = s->at.line;
        o->column = s->at.col;
        if (merge_decoder(c, &raw, i, cfg, &defaults_field, &o->decoder) < 0)
            goto oom;
        if (!s->cache.set || !s->topic.set)
            continue; /* reported; leave the entry half-filled, it is freed below */
        if (!(o->cache = strdup(s->cache.v.s)) || !(o->topic = strdup(s->topic.v.s)))
            goto oom;
    }
    raw_free(&raw);
    if (c->oom)
        return -ENOMEM;
    if (n_errors(c) > 0)
        return -EINVAL;
    *ret = TAKE_PTR(cfg);
    return 0;
oom:
    raw_free(&raw);
    c->oom = true;
    return -ENOMEM;
}

int mo_config_load(const char *path, struct mo_config **ret, struct mo_config_errors *errs)
{
    struct mo_config_errors ignored = {0};
    if (!errs) /* the caller only wants to know whether it loads */
        errs = &ignored;
    struct ctx c = {.file = path, .errs = errs, .n_before = errs->n};
    int r = load(&c, path, ret);
    if (r == -ENOMEM || c.oom) {
        add_error(&c, (struct mark){0}, "", "out of memory while reading the configuration");
        r = -ENOMEM;
    }
    sort_errors(&c);
    if (c.dropped) {
        c.closing = true;
        add_error(&c, (struct mark){0}, "", "%zu more errors not shown; fix these first",
                  c.dropped);
    }
    if (r == 0 && n_errors(&c) > 0) /* cannot happen: load fails when it records an error */
        r = -EINVAL;
    mo_config_errors_clear(&ignored);
    return r;
}

void mo_config_free(struct mo_config *cfg)
{
    if (!cfg)
        return;
    for (size_t i = 0; i < cfg->n_subs; i++) {
        free(cfg->subs[i].cache);
        free(cfg->subs[i].topic);
    }
    free(cfg->subs);
    for (size_t i = 0; i < cfg->n_strings; i++)
        free(cfg->strings[i]);
    free(cfg->strings);
    free(cfg->path);
    free(cfg->endpoint);
    free(cfg->api_key_file);
    free(cfg->endpoint_override);
    free(cfg->state_directory);
    free(cfg->prometheus_textfile);
    free(cfg);
}

void mo_config_errors_clear(struct mo_config_errors *errs)
{
    if (!errs)
        return;
    free(errs->v);
    *errs = (struct mo_config_errors){0};
}

void mo_config_error_format(const struct mo_config_error *e, char *buf, size_t len)
{
    char where[32] = "";
    if (e->line > 0)
        snprintf(where, sizeof where, ":%d:%d", e->line, e->column);
    snprintf(buf, len, "%s%s: %s%s%s", e->file, where, e->key, e->key[0] ? ": " : "", e->reason);
}

const struct mo_sub_config *mo_config_find(const struct mo_config *cfg, const char *cache,
                                           const char *topic)
{
    for (size_t i = 0; cfg && i < cfg->n_subs; i++)
        if (strcmp(cfg->subs[i].cache, cache) == 0 && strcmp(cfg->subs[i].topic, topic) == 0)
            return &cfg->subs[i];
    return NULL;
}

bool mo_decoder_equal(const struct mo_decoder *a, const struct mo_decoder *b)
{
    if (a->mode != b->mode)
        return false;
    switch (a->mode) {
    case MO_DECODE_JSON:
        return a->format == b->format && a->field && b->field && strcmp(a->field, b->field) == 0;
    case MO_DECODE_TEXT:
        return a->format == b->format;
    case MO_DECODE_BINARY:
        return a->offset == b->offset && a->encoding == b->encoding && a->unit == b->unit;
    }
    return false;
}
