/* yamltree.h - a YAML document as a tree that remembers where each node was
 * written (prefix mo_ytree_).
 *
 * libyaml's events become nodes: scalars keep their text and whether they were
 * quoted, mappings keep key, value, key, value..., sequences their items, and
 * every node its line and column (1-based, in characters), so a reader of the
 * tree can say where a value it rejects stands. Anchors and aliases are not
 * resolved: a node records the anchor written on it, an alias is a node of its
 * own, and whether either is allowed is the reader's decision.
 *
 * Nothing here logs. A document that cannot be read yields one error with its
 * place; there is no partial tree.
 */
#ifndef MO_YAMLTREE_H
#define MO_YAMLTREE_H

#include <stdbool.h>
#include <stddef.h>

enum mo_ytree_kind { MO_YTREE_SCALAR, MO_YTREE_MAP, MO_YTREE_SEQ, MO_YTREE_ALIAS };

struct mo_ytree_node {
    enum mo_ytree_kind kind;
    int line, column;
    char *value;  /* scalar: its text, NUL-terminated (len bytes: it may hold a NUL);
                     alias: the anchor it names */
    size_t len;
    bool plain;   /* an unquoted scalar, so `true` and `100` mean what they look like */
    char *anchor; /* "&name" written on this node, without the '&'; NULL when none */
    struct mo_ytree_node **kids; /* map: key, value, key, value...; sequence: items */
    size_t n;
    size_t cap; /* of kids, for the builder */
};

enum mo_ytree_error_kind {
    MO_YTREE_SYNTAX,          /* libyaml's scanner or parser: problem, maybe context */
    MO_YTREE_ENCODING,        /* not UTF-8 (or UTF-16) text: problem */
    MO_YTREE_SECOND_DOCUMENT, /* a second document starts at line, column */
    MO_YTREE_TOO_DEEP,        /* a collection opens deeper than the limit */
};

struct mo_ytree_error {
    enum mo_ytree_error_kind kind;
    int line, column;  /* where (1-based) */
    char problem[160]; /* libyaml's words, e.g. "did not find expected key" */
    char context[160]; /* SYNTAX: what it was reading, e.g. "while parsing a block
                          mapping"; "" when libyaml gives none */
    int context_line, context_column; /* where that started */
};

/* Reads the len bytes at buf (no NUL needed) as one YAML document, at most
 * max_depth collections deep. Returns 0 with *ret (NULL for a stream without a
 * document; free with mo_ytree_free), -EINVAL with *err filled, or -ENOMEM. */
int mo_ytree_parse(const char *buf, size_t len, size_t max_depth, struct mo_ytree_node **ret,
                   struct mo_ytree_error *err);

/* Frees n and everything below it; NULL is fine. */
void mo_ytree_free(struct mo_ytree_node *n);

/* True for a plain scalar that YAML reads as null: "", "~", "null", "Null", "NULL". */
bool mo_ytree_is_null(const struct mo_ytree_node *n);

/* "a mapping", "a list" or "a single value", for messages. */
const char *mo_ytree_kind_name(const struct mo_ytree_node *n);

#endif
