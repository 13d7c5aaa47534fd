/* keytable.h - groups found by a key of three strings, each with a histogram:
 * the table behind merge.c (topics, per host) and cmerge.c (canaries, peers).
 *
 * Groups stay in insertion order until sorted, and are found by an
 * open-addressing hash of their key (FNV-1a over the three parts, a separator
 * after each): a fleet's log holds many topics and hosts, and every record
 * looks its group up. A part of a key may be NULL, which is equal only to
 * NULL, and hashes and sorts as "". Pure.
 *
 * The owner's group is a struct that begins with a struct lr_group (reach
 * the rest with container_of); the table allocates it zeroed, at the size
 * given to lr_keytable_init, and frees it.
 *
 *   lr_keytable_init    an empty table of groups of a size
 *   lr_keytable_get     the group of a key, created (zeroed, key copied, an empty histogram) when new
 *   lr_keytable_sort    the groups in key order; later additions are found all the same
 *   lr_keytable_clear   every group freed, and the table's own arrays
 */
#ifndef LR_KEYTABLE_H
#define LR_KEYTABLE_H

#include <stddef.h>

#include "hist.h"

struct lr_group {
    char *key[3]; /* copies; NULL where the key had NULL */
    mo_hist *hist;
};

struct lr_keytable {
    struct lr_group **g; /* n groups: insertion order, key order after lr_keytable_sort */
    size_t n;
    size_t cap;
    size_t *slot; /* index + 1 into g; 0 is empty */
    size_t nslots;
    size_t size; /* of the owner's group */
};

/* `size`: of the owner's group, at least sizeof (struct lr_group). */
void lr_keytable_init(struct lr_keytable *t, size_t size);
/* The group of (a, b, c), created when new; NULL on ENOMEM. */
struct lr_group *lr_keytable_get(struct lr_keytable *t, const char *a, const char *b, const char *c);
/* Sorts the groups by key, part by part (strcmp). 0 or -ENOMEM. */
int lr_keytable_sort(struct lr_keytable *t);
void lr_keytable_clear(struct lr_keytable *t);

#endif
