/* config-errors.c - the errors of one load of the configuration (config-int.h).
 *
 * Each problem the loader, the walker and the checks find is added here as a
 * struct mo_config_error: the same one only once, at most ERRORS_MAX of them.
 * At the end of the load they are put in file order and closed with a line
 * for what was left out or cut short by memory.
 */
#include <config.h> /* autoconf's, from the build directory */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config-int.h"
#include "config/config.h"
#include "secret.h"

#define ERRORS_MAX 100 /* then one "more errors" line */

size_t mo_config_n_errors(const struct mo_config_ctx *c) { return c->errs->n - c->n_before; }

void mo_config_add_error(struct mo_config_ctx *c, struct mo_config_mark at, const char *key,
                         const char *fmt, ...)
{
    struct mo_config_error e = {.line = at.line, .column = at.col};
    snprintf(e.file, sizeof e.file, "%s", mo_secret_redact(c->file));
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
    if (mo_config_n_errors(c) >= ERRORS_MAX && !c->closing) {
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
static void sort_errors(struct mo_config_ctx *c)
{
    size_t n = mo_config_n_errors(c);
    if (n < 2) /* and errs->v may be NULL, which takes no offset, not even 0 */
        return;
    struct mo_config_error *v = c->errs->v + c->n_before;
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

int mo_config_errors_finish(struct mo_config_ctx *c, int r)
{
    if (r == -ENOMEM || c->oom) {
        mo_config_add_error(c, (struct mo_config_mark){0}, "",
                            "out of memory while reading the configuration");
        r = -ENOMEM;
    }
    sort_errors(c);
    if (c->dropped) {
        c->closing = true;
        mo_config_add_error(c, (struct mo_config_mark){0}, "",
                            "%zu more errors not shown; fix these first", c->dropped);
    }
    if (r == 0 && mo_config_n_errors(c) > 0) /* cannot happen: parse fails when it records one */
        r = -EINVAL;
    return r;
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
