/* Unit tests for the YAML reader (src/daemon/config/yamltree.c): the tree's
 * shape, the place of every node, anchors and aliases kept as written, and the
 * one error a document that cannot be read yields. */
#include <config.h>

#include <errno.h>
#include <stdlib.h>

#include "config/yamltree.h"
#include "test.h"

static struct mo_ytree_error err;

/* Parses a private copy of exactly strlen(text) bytes, so the sanitizers
 * catch any read past the input. */
static int parse(const char *text, size_t max_depth, struct mo_ytree_node **ret)
{
    size_t len = strlen(text);
    char *copy = malloc(len ? len : 1);
    memcpy(copy, text, len);
    memset(&err, 0x5a, sizeof err);
    *ret = NULL;
    int r = mo_ytree_parse(copy, len, max_depth, ret, &err);
    free(copy);
    return r;
}

#define AT(n, l, c)                                                                                \
    do {                                                                                           \
        TEST_EQ_INT((n)->line, l);                                                                 \
        TEST_EQ_INT((n)->column, c);                                                               \
    } while (0)

static void test_shape(void)
{
    struct mo_ytree_node *root;
    TEST_EQ_INT(parse("a: 1\n"
                      "b:\n"
                      "  - x\n"
                      "  - 'quoted'\n"
                      "  - {k: \"v\"}\n"
                      "c:\n",
                      32, &root),
                0);
    TEST_CHECK(root != NULL);
    if (!root)
        return;
    TEST_EQ_INT(root->kind, MO_YTREE_MAP);
    AT(root, 1, 1);
    TEST_EQ_INT(root->n, 6); /* key, value, key, value, key, value */

    const struct mo_ytree_node *a = root->kids[0], *one = root->kids[1];
    TEST_EQ_INT(a->kind, MO_YTREE_SCALAR);
    TEST_EQ_STR(a->value, "a");
    AT(a, 1, 1);
    TEST_EQ_STR(one->value, "1");
    TEST_EQ_INT(one->len, 1);
    TEST_CHECK(one->plain);
    AT(one, 1, 4);

    const struct mo_ytree_node *list = root->kids[3];
    TEST_EQ_INT(list->kind, MO_YTREE_SEQ);
    AT(list, 3, 3);
    TEST_EQ_INT(list->n, 3);
    if (list->n == 3) {
        TEST_EQ_STR(list->kids[0]->value, "x");
        AT(list->kids[0], 3, 5);
        TEST_EQ_STR(list->kids[1]->value, "quoted");
        TEST_CHECK(!list->kids[1]->plain);
        AT(list->kids[1], 4, 5);
        const struct mo_ytree_node *m = list->kids[2];
        TEST_EQ_INT(m->kind, MO_YTREE_MAP);
        AT(m, 5, 5);
        TEST_EQ_INT(m->n, 2);
        TEST_EQ_STR(m->kids[1]->value, "v");
        TEST_CHECK(!m->kids[1]->plain);
        AT(m->kids[1], 5, 9);
    }

    const struct mo_ytree_node *c = root->kids[5];
    TEST_EQ_INT(c->kind, MO_YTREE_SCALAR);
    TEST_CHECK(mo_ytree_is_null(c)); /* `c:` with nothing after it */
    TEST_CHECK(root->kids[0]->anchor == NULL);
    mo_ytree_free(root);
}

static void test_text(void)
{
    struct mo_ytree_node *root;
    /* columns count characters, not bytes */
    TEST_EQ_INT(parse("caf\xc3\xa9: th\xc3\xa9\n\xc3\xa9t\xc3\xa9: x\n", 32, &root), 0);
    if (root) {
        AT(root->kids[1], 1, 7);
        TEST_EQ_STR(root->kids[1]->value, "th\xc3\xa9");
        TEST_EQ_INT(root->kids[1]->len, 4);
        AT(root->kids[3], 2, 6);
    }
    mo_ytree_free(root);

    /* an escaped NUL is kept, and len says where the value ends */
    TEST_EQ_INT(parse("k: \"a\\0b\"\n", 32, &root), 0);
    if (root) {
        TEST_EQ_INT(root->kids[1]->len, 3);
        TEST_CHECK(memcmp(root->kids[1]->value, "a\0b", 4) == 0);
    }
    mo_ytree_free(root);

    /* a scalar document, a block scalar */
    TEST_EQ_INT(parse("just text\n", 32, &root), 0);
    if (root) {
        TEST_EQ_INT(root->kind, MO_YTREE_SCALAR);
        TEST_EQ_STR(root->value, "just text");
        TEST_EQ_STR(mo_ytree_kind_name(root), "a single value");
    }
    mo_ytree_free(root);
    TEST_EQ_INT(parse("k: |\n  two\n  lines\n", 32, &root), 0);
    if (root) {
        TEST_EQ_STR(root->kids[1]->value, "two\nlines\n");
        TEST_CHECK(!root->kids[1]->plain);
    }
    mo_ytree_free(root);
}

static void test_nulls(void)
{
    static const struct {
        const char *text;
        bool null;
    } cases[] = {
        {"k:\n", true},       {"k: ~\n", true},      {"k: null\n", true},   {"k: Null\n", true},
        {"k: NULL\n", true},  {"k: nUll\n", false},  {"k: ''\n", false},    {"k: \"null\"\n", false},
        {"k: none\n", false}, {"k: 0\n", false},     {"k: []\n", false},    {"k: {}\n", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct mo_ytree_node *root;
        TEST_EQ_INT(parse(cases[i].text, 32, &root), 0);
        if (!root)
            continue;
        TEST_EQ_INT(mo_ytree_is_null(root->kids[1]), cases[i].null);
        mo_ytree_free(root);
    }
}

static void test_documents(void)
{
    struct mo_ytree_node *root = (struct mo_ytree_node *)1;
    TEST_EQ_INT(parse("", 32, &root), 0);
    TEST_CHECK(root == NULL);
    TEST_EQ_INT(parse("# only a comment\n\n", 32, &root), 0);
    TEST_CHECK(root == NULL);
    TEST_EQ_INT(parse("---\n", 32, &root), 0);
    TEST_CHECK(root && mo_ytree_is_null(root));
    mo_ytree_free(root);
    TEST_EQ_INT(parse("---\na: 1\n...\n", 32, &root), 0);
    TEST_CHECK(root && root->kind == MO_YTREE_MAP);
    mo_ytree_free(root);

    TEST_EQ_INT(parse("a: 1\n---\nb: 2\n", 32, &root), -EINVAL);
    TEST_CHECK(root == NULL);
    TEST_EQ_INT(err.kind, MO_YTREE_SECOND_DOCUMENT);
    TEST_EQ_INT(err.line, 2);
    TEST_EQ_INT(err.column, 1);
}

static void test_anchors(void)
{
    struct mo_ytree_node *root;
    TEST_EQ_INT(parse("a: &x {k: 1}\nb: *x\nc: &y [1]\nd: &z s\n", 32, &root), 0);
    if (!root)
        return;
    TEST_EQ_STR(root->kids[1]->anchor, "x");
    TEST_EQ_INT(root->kids[1]->kind, MO_YTREE_MAP);
    AT(root->kids[1], 1, 4);
    TEST_EQ_INT(root->kids[3]->kind, MO_YTREE_ALIAS);
    TEST_EQ_STR(root->kids[3]->value, "x"); /* not resolved */
    TEST_EQ_INT(root->kids[3]->n, 0);
    AT(root->kids[3], 2, 4);
    TEST_EQ_STR(root->kids[5]->anchor, "y");
    TEST_EQ_STR(root->kids[7]->anchor, "z");
    TEST_EQ_STR(root->kids[7]->value, "s");
    mo_ytree_free(root);
}

static void test_errors(void)
{
    struct mo_ytree_node *root;

    /* syntax: libyaml's words, the place, and what it was reading */
    TEST_EQ_INT(parse("a:\n  - b: 1\n   c: 2\n", 32, &root), -EINVAL);
    TEST_CHECK(root == NULL);
    TEST_EQ_INT(err.kind, MO_YTREE_SYNTAX);
    TEST_EQ_INT(err.line, 3);
    TEST_EQ_INT(err.column, 4);
    TEST_CHECK(strlen(err.problem) > 0 && strlen(err.problem) < sizeof err.problem);
    TEST_CONTAINS(err.context, "while parsing");
    TEST_EQ_INT(err.context_line, 2);

    TEST_EQ_INT(parse("a: [1, 2\n", 32, &root), -EINVAL);
    TEST_EQ_INT(err.kind, MO_YTREE_SYNTAX);
    TEST_EQ_INT(err.line, 2);
    TEST_EQ_INT(err.column, 1);

    TEST_EQ_INT(parse("a:\n\tb: 1\n", 32, &root), -EINVAL);
    TEST_EQ_INT(err.kind, MO_YTREE_SYNTAX);
    TEST_EQ_INT(err.line, 2);
    TEST_EQ_INT(err.column, 1);

    /* not UTF-8: the place, in characters, of the byte that breaks the
     * sequence (here the newline after a lone lead byte) */
    TEST_EQ_INT(parse("a: b\nc\xc3\xa9: caf\xc3\n", 32, &root), -EINVAL);
    TEST_EQ_INT(err.kind, MO_YTREE_ENCODING);
    TEST_EQ_INT(err.line, 2);
    TEST_EQ_INT(err.column, 9);
    TEST_CHECK(strlen(err.problem) > 0);

    /* depth: the collection that opens one level too deep */
    TEST_EQ_INT(parse("[[1]]", 2, &root), 0);
    mo_ytree_free(root);
    TEST_EQ_INT(parse("a: [[1]]", 2, &root), -EINVAL);
    TEST_EQ_INT(err.kind, MO_YTREE_TOO_DEEP);
    TEST_EQ_INT(err.line, 1);
    TEST_EQ_INT(err.column, 5);
    TEST_CHECK(root == NULL);
    TEST_EQ_INT(parse("x", 0, &root), 0); /* a scalar needs no depth */
    mo_ytree_free(root);
    TEST_EQ_INT(parse("{}", 0, &root), -EINVAL);
}

static void test_large(void)
{
    /* many items, so the kids arrays grow */
    char *text = malloc(200000);
    size_t len = 0;
    for (int i = 0; i < 5000; i++)
        len += (size_t)sprintf(text + len, "- {cache: c%d, topic: t}\n", i);
    struct mo_ytree_node *root;
    TEST_EQ_INT(parse(text, 32, &root), 0);
    if (root) {
        TEST_EQ_INT(root->n, 5000);
        TEST_EQ_STR(root->kids[4999]->kids[1]->value, "c4999");
        AT(root->kids[4999], 5000, 3);
    }
    mo_ytree_free(root);
    free(text);
    mo_ytree_free(NULL);
}

int main(void)
{
    test_shape();
    test_text();
    test_nulls();
    test_documents();
    test_anchors();
    test_errors();
    test_large();
    return test_result("test-yamltree");
}
