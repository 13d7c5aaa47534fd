/* yamltree.c - a YAML document as a tree with line and column (yamltree.h).
 *
 * One pass over libyaml's events with a stack of open collections. libyaml
 * marks are 0-based and count characters; ours are 1-based. A reader error
 * (bad encoding) carries only a byte offset, which is turned into a line and
 * column here the same way.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "cleanup.h"
#include "config/yamltree.h"

static void yaml_parser_deletep(yaml_parser_t **p)
{
    if (*p)
        yaml_parser_delete(*p);
}

void mo_ytree_free(struct mo_ytree_node *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->n; i++)
        mo_ytree_free(n->kids[i]);
    free(n->kids);
    free(n->value);
    free(n->anchor);
    free(n);
}

bool mo_ytree_is_null(const struct mo_ytree_node *n)
{
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};
    if (n->kind != MO_YTREE_SCALAR || !n->plain)
        return false;
    for (size_t i = 0; i < ARRAY_SIZE(nulls); i++)
        if (strcmp(n->value, nulls[i]) == 0)
            return true;
    return false;
}

const char *mo_ytree_kind_name(const struct mo_ytree_node *n)
{
    switch (n->kind) {
    case MO_YTREE_MAP:
        return "a mapping";
    case MO_YTREE_SEQ:
        return "a list";
    default:
        return "a single value";
    }
}

/* Where a byte offset is: characters, not bytes, as libyaml counts. */
static void offset_mark(const char *buf, size_t len, size_t off, int *line, int *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off && i < len; i++) {
        if (buf[i] == '\n') {
            ++*line;
            *col = 1;
        } else if (((unsigned char)buf[i] & 0xc0) != 0x80) {
            ++*col;
        }
    }
}

static int parse_error(const yaml_parser_t *p, const char *buf, size_t len,
                       struct mo_ytree_error *err)
{
    if (p->error == YAML_MEMORY_ERROR)
        return -ENOMEM;
    *err = (struct mo_ytree_error){.kind = MO_YTREE_SYNTAX};
    snprintf(err->problem, sizeof err->problem, "%s", p->problem ? p->problem : "unknown problem");
    if (p->error == YAML_READER_ERROR) {
        err->kind = MO_YTREE_ENCODING;
        offset_mark(buf, len, p->problem_offset, &err->line, &err->column);
        return -EINVAL;
    }
    err->line = (int)p->problem_mark.line + 1;
    err->column = (int)p->problem_mark.column + 1;
    if (p->context) {
        snprintf(err->context, sizeof err->context, "%s", p->context);
        err->context_line = (int)p->context_mark.line + 1;
        err->context_column = (int)p->context_mark.column + 1;
    }
    return -EINVAL;
}

static int node_add(struct mo_ytree_node *parent, struct mo_ytree_node *n)
{
    if (parent->n == parent->cap) {
        size_t cap = parent->cap ? parent->cap * 2 : 8;
        struct mo_ytree_node **k = realloc(parent->kids, cap * sizeof *k);
        if (!k)
            return -ENOMEM;
        parent->kids = k;
        parent->cap = cap;
    }
    parent->kids[parent->n++] = n;
    return 0;
}

static char *copy(const void *s, size_t len)
{
    char *c = malloc(len + 1);
    if (c) {
        memcpy(c, s, len);
        c[len] = '\0';
    }
    return c;
}

/* The node an event opens or is (NULL with *r = 0 for other events). */
static struct mo_ytree_node *node_of(const yaml_event_t *ev, int *r)
{
    const yaml_char_t *anchor = NULL;
    struct mo_ytree_node *n;
    enum mo_ytree_kind kind;
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        kind = MO_YTREE_SCALAR;
        anchor = ev->data.scalar.anchor;
        break;
    case YAML_ALIAS_EVENT:
        kind = MO_YTREE_ALIAS;
        break;
    case YAML_SEQUENCE_START_EVENT:
        kind = MO_YTREE_SEQ;
        anchor = ev->data.sequence_start.anchor;
        break;
    case YAML_MAPPING_START_EVENT:
        kind = MO_YTREE_MAP;
        anchor = ev->data.mapping_start.anchor;
        break;
    default:
        *r = 0;
        return NULL;
    }
    *r = -ENOMEM;
    if (!(n = calloc(1, sizeof *n)))
        return NULL;
    *n = (struct mo_ytree_node){.kind = kind,
                                .line = (int)ev->start_mark.line + 1,
                                .column = (int)ev->start_mark.column + 1};
    if (kind == MO_YTREE_SCALAR) {
        n->len = ev->data.scalar.length;
        n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        n->value = copy(ev->data.scalar.value, n->len);
    } else if (kind == MO_YTREE_ALIAS) {
        n->len = strlen((const char *)ev->data.alias.anchor);
        n->value = copy(ev->data.alias.anchor, n->len);
    }
    if ((kind == MO_YTREE_SCALAR || kind == MO_YTREE_ALIAS) && !n->value)
        goto oom;
    if (anchor && !(n->anchor = copy(anchor, strlen((const char *)anchor))))
        goto oom;
    *r = 0;
    return n;
oom:
    mo_ytree_free(n);
    return NULL;
}

MO_DEFINE_FREEP(struct mo_ytree_node, mo_ytree_free)

int mo_ytree_parse(const char *buf, size_t len, size_t max_depth, struct mo_ytree_node **ret,
                   struct mo_ytree_error *err)
{
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return -ENOMEM;
    _cleanup_(yaml_parser_deletep) yaml_parser_t *p = &parser;
    yaml_parser_set_input_string(p, (const unsigned char *)buf, len);

    /* stack[0..depth) are the open collections; the root owns them all */
    _cleanup_(mo_ytree_freep) struct mo_ytree_node *root = NULL;
    _cleanup_free_ struct mo_ytree_node **stack = calloc(max_depth + 1, sizeof *stack);
    size_t depth = 0, docs = 0;
    if (!stack)
        return -ENOMEM;
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(p, &ev))
            return parse_error(p, buf, len, err);
        int line = (int)ev.start_mark.line + 1, column = (int)ev.start_mark.column + 1, r;
        yaml_event_type_t type = ev.type;
        struct mo_ytree_node *n = node_of(&ev, &r);
        yaml_event_delete(&ev);
        if (r < 0)
            return r;

        if (type == YAML_STREAM_END_EVENT)
            break;
        if (type == YAML_DOCUMENT_START_EVENT && ++docs > 1) {
            *err = (struct mo_ytree_error){
                .kind = MO_YTREE_SECOND_DOCUMENT, .line = line, .column = column};
            return -EINVAL;
        }
        if (type == YAML_SEQUENCE_END_EVENT || type == YAML_MAPPING_END_EVENT)
            depth--;
        if (!n)
            continue;
        if (depth == 0) {
            root = n;
        } else if (node_add(stack[depth - 1], n) < 0) {
            mo_ytree_free(n);
            return -ENOMEM;
        }
        if (n->kind == MO_YTREE_MAP || n->kind == MO_YTREE_SEQ) {
            if (depth == max_depth) {
                *err = (struct mo_ytree_error){
                    .kind = MO_YTREE_TOO_DEEP, .line = line, .column = column};
                return -EINVAL;
            }
            stack[depth++] = n;
        }
    }
    *ret = TAKE_PTR(root);
    return 0;
}
