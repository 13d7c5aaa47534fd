/* config.c - the daemon's YAML configuration (config.h, momento-subscriber.yaml(5)).
 *
 * Loading is three steps (config-int.h names the files that do them):
 *   1. the text becomes a tree that keeps every line and column (yamltree.h);
 *      anchors and aliases are reported: a configuration is read by operators,
 *      and a value written out in full is what they can check;
 *   2. one generic walker checks the tree against the key tables and writes
 *      each typed value straight into the struct mo_config it builds;
 *   3. each subscription's decoder is completed from defaults:, and the rules
 *      that span keys are checked.
 * Every problem is collected as a struct mo_config_error, in file order
 * (config-errors.c keeps that list). Nothing here logs.
 */
#include <config.h> /* autoconf's, from the build directory */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "config/config-int.h"
#include "config/config.h"
#include "secret.h"
#include "config/yamltree.h"

#define FILE_MAX (16u << 20) /* a config larger than this is a mistake */
#define DEPTH_MAX 32         /* nesting; ours is 4 levels deep */

/* The reader's one error, in the words of a configuration. */
static void tree_error(struct mo_config_ctx *c, const struct mo_ytree_error *e)
{
    struct mo_config_mark at = {e->line, e->column};
    switch (e->kind) {
    case MO_YTREE_ENCODING:
        mo_config_add_error(c, at, "", "the file is not valid UTF-8 text: %s", e->problem);
        break;
    case MO_YTREE_SECOND_DOCUMENT:
        mo_config_add_error(c, at, "",
                            "a second YAML document starts here; the configuration is one "
                            "document: remove this '---' and what follows, or merge it");
        break;
    case MO_YTREE_TOO_DEEP:
        mo_config_add_error(c, at, "",
                            "nested more than %d levels deep; the configuration needs at most 4",
                            DEPTH_MAX);
        break;
    case MO_YTREE_SYNTAX:
        if (e->context[0])
            mo_config_add_error(c, at, "",
                                "YAML syntax error: %s %s (line %d, column %d); check the "
                                "indentation and quoting here",
                                e->problem, e->context, e->context_line, e->context_column);
        else
            mo_config_add_error(c, at, "",
                                "YAML syntax error: %s; check the indentation and quoting here",
                                e->problem);
        break;
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

MO_DEFINE_FREEP(struct mo_ytree_node, mo_ytree_free)

/* Frees what cfg holds, not cfg itself. */
static void config_clear(struct mo_config *cfg)
{
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
    free(cfg->ca_file);
    free(cfg->endpoint_override);
    free(cfg->state_directory);
    free(cfg->prometheus_textfile);
    free(cfg->clockbound_path);
    free(cfg->canary.cache);
    free(cfg->canary.topic);
    *cfg = (struct mo_config){0};
}

static void too_large(struct mo_config_ctx *c)
{
    mo_config_add_error(c, (struct mo_config_mark){0}, "",
                        "the file is larger than %u MiB; this is not a configuration file",
                        FILE_MAX >> 20);
}

/* Steps 1 to 3 over the len bytes at buf; on success *ret. */
static int parse(struct mo_config_ctx *c, const char *name, const char *buf, size_t len,
                 struct mo_config **ret)
{
    if (len >= FILE_MAX) { /* as read_file would refuse it */
        too_large(c);
        return -EINVAL;
    }
    _cleanup_(mo_ytree_freep) struct mo_ytree_node *root = NULL;
    struct mo_ytree_error e;
    int r = mo_ytree_parse(buf, len, DEPTH_MAX, &root, &e);
    if (r == -EINVAL)
        tree_error(c, &e);
    if (r < 0)
        return r;
    if (!root || mo_ytree_is_null(root)) {
        mo_config_add_error(c, (struct mo_config_mark){0}, "",
                            "the file is empty (or only comments); it needs at least a "
                            "subscriptions: list, see momento-subscriber.yaml(5)");
        return -EINVAL;
    }
    mo_config_report_anchors(c, root);
    if (root->kind != MO_YTREE_MAP) {
        mo_config_walk(c, root, mo_config_root_keys, NULL, ""); /* only reports the type */
        return -EINVAL;
    }

    struct mo_config_target t = {.cfg = {0}};
    c->cfg = &t.cfg;
    mo_config_set_defaults(c, mo_config_root_keys, (char *)&t);
    mo_config_walk(c, root, mo_config_root_keys, (char *)&t, "");
    mo_config_check(c, &t, root);
    if (!c->oom && !(t.cfg.path = strdup(name)))
        c->oom = true;
    struct mo_config *cfg = NULL;
    if (!c->oom && mo_config_n_errors(c) == 0 && !(cfg = malloc(sizeof *cfg)))
        c->oom = true;
    if (!cfg) {
        config_clear(&t.cfg);
        return c->oom ? -ENOMEM : -EINVAL;
    }
    *cfg = t.cfg;
    *ret = cfg;
    return 0;
}

/* The end of a load: the walker's record freed, the errors closed
 * (mo_config_errors_finish); returns the load's final result. */
static int finish(struct mo_config_ctx *c, int r)
{
    free(c->w);
    c->w = NULL;
    return mo_config_errors_finish(c, r);
}

int mo_config_load(const char *path, struct mo_config **ret, struct mo_config_errors *errs)
{
    struct mo_config_errors ignored = {0}; /* the caller may only want to know whether it loads */
    struct mo_config_ctx c = {.file = path, .errs = errs ? errs : &ignored};
    c.n_before = c.errs->n;
    _cleanup_free_ char *buf = NULL;
    size_t len = 0;
    bool key_like = mo_secret_like(path, strlen(path));
    int r = key_like ? -EINVAL : read_file(path, &buf, &len);
    if (key_like) {
        /* every message, event and hint names the file: refuse rather than echo */
        mo_config_add_error(&c, (struct mo_config_mark){0}, "",
                            "the file name looks like an API key, so it is not shown and the "
                            "file is not read; rename the file, and keep the key in a key file");
    } else if (r == -EFBIG) {
        too_large(&c);
        r = -EINVAL;
    } else if (r < 0) {
        mo_config_add_error(&c, (struct mo_config_mark){0}, "", "cannot read the file: %s",
                            strerror(-r));
    } else {
        r = parse(&c, path, buf, len, ret);
    }
    r = finish(&c, r);
    mo_config_errors_clear(&ignored);
    return r;
}

int mo_config_load_buffer(const char *name, const char *buf, size_t len, struct mo_config **ret,
                          struct mo_config_errors *errs)
{
    struct mo_config_errors ignored = {0};
    struct mo_config_ctx c = {.file = name, .errs = errs ? errs : &ignored};
    c.n_before = c.errs->n;
    int r = finish(&c, parse(&c, name, buf, len, ret));
    mo_config_errors_clear(&ignored);
    return r;
}

void mo_config_free(struct mo_config *cfg)
{
    if (!cfg)
        return;
    config_clear(cfg);
    free(cfg);
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
