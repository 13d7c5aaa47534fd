/* keytable.c - groups found by a key of three strings (keytable.h). */
#include <config.h>

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keytable.h"

static uint64_t hash_key(const char *const k[3])
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (int i = 0; i < 3; i++) {
        for (const unsigned char *p = (const unsigned char *)(k[i] ? k[i] : ""); *p; p++)
            h = (h ^ *p) * 1099511628211ULL;
        h = (h ^ 0xff) * 1099511628211ULL; /* separator: "a/bc" is not "ab/c" */
    }
    return h;
}

static bool same(const struct lr_group *g, const char *const k[3])
{
    for (int i = 0; i < 3; i++)
        if (k[i] ? !g->key[i] || strcmp(g->key[i], k[i]) != 0 : g->key[i] != NULL)
            return false;
    return true;
}

static void slot_put(size_t *slot, size_t nslots, const struct lr_group *g, size_t index)
{
    size_t s = hash_key((const char *const *)g->key) & (nslots - 1);
    while (slot[s])
        s = (s + 1) & (nslots - 1);
    slot[s] = index + 1;
}

static int rehash(struct lr_keytable *t, size_t nslots)
{
    size_t *slot = calloc(nslots, sizeof *slot);
    if (!slot)
        return -ENOMEM;
    for (size_t i = 0; i < t->n; i++)
        slot_put(slot, nslots, t->g[i], i);
    free(t->slot);
    t->slot = slot;
    t->nslots = nslots;
    return 0;
}

static void group_free(struct lr_group *g)
{
    if (!g)
        return;
    for (int i = 0; i < 3; i++)
        free(g->key[i]);
    mo_hist_free(g->hist);
    free(g);
}

void lr_keytable_init(struct lr_keytable *t, size_t size)
{
    *t = (struct lr_keytable){.size = size};
}

struct lr_group *lr_keytable_get(struct lr_keytable *t, const char *a, const char *b, const char *c)
{
    const char *const key[3] = {a, b, c};
    if (t->nslots) {
        size_t s = hash_key(key) & (t->nslots - 1);
        for (; t->slot[s]; s = (s + 1) & (t->nslots - 1))
            if (same(t->g[t->slot[s] - 1], key))
                return t->g[t->slot[s] - 1];
    }
    if ((t->n + 1) * 2 > t->nslots && rehash(t, t->nslots ? t->nslots * 2 : 64) < 0)
        return NULL;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 32;
        struct lr_group **g = realloc(t->g, cap * sizeof *g);
        if (!g)
            return NULL;
        t->g = g;
        t->cap = cap;
    }
    struct lr_group *g = calloc(1, t->size);
    if (!g)
        return NULL;
    for (int i = 0; i < 3; i++) {
        if (key[i] && !(g->key[i] = strdup(key[i]))) {
            group_free(g);
            return NULL;
        }
    }
    if (mo_hist_new(&g->hist) < 0) {
        group_free(g);
        return NULL;
    }
    slot_put(t->slot, t->nslots, g, t->n);
    t->g[t->n++] = g;
    return g;
}

static int cmp_group(const void *pa, const void *pb)
{
    const struct lr_group *a = *(struct lr_group *const *)pa, *b = *(struct lr_group *const *)pb;
    for (int i = 0; i < 3; i++) {
        int c = strcmp(a->key[i] ? a->key[i] : "", b->key[i] ? b->key[i] : "");
        if (c)
            return c;
    }
    return 0;
}

int lr_keytable_sort(struct lr_keytable *t)
{
    if (t->n == 0)
        return 0;
    qsort(t->g, t->n, sizeof *t->g, cmp_group);
    /* the hash slots hold indexes: rebuild them for later additions */
    return rehash(t, t->nslots);
}

void lr_keytable_clear(struct lr_keytable *t)
{
    for (size_t i = 0; i < t->n; i++)
        group_free(t->g[i]);
    free(t->g);
    free(t->slot);
    lr_keytable_init(t, t->size);
}
