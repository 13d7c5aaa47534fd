/* idle.c - work for the loop's idle turns (idle.h). */
#include <config.h>

#include <errno.h>
#include <stddef.h>

#include "log/idle.h"

static struct work {
    bool (*pending)(void *ud);
    void (*fn)(void *ud);
    void *ud;
} works[4];

#define N_WORKS (sizeof works / sizeof works[0])

int mo_idle_set(bool (*pending)(void *ud), void (*fn)(void *ud), void *ud)
{
    struct work *free_slot = NULL;
    for (size_t i = 0; i < N_WORKS; i++) {
        struct work *w = &works[i];
        if (w->fn && w->ud == ud) {
            *w = fn ? (struct work){pending, fn, ud} : (struct work){0};
            return 0;
        }
        if (!w->fn && !free_slot)
            free_slot = w;
    }
    if (!fn)
        return 0;
    if (!free_slot)
        return -ENOSPC;
    *free_slot = (struct work){pending, fn, ud};
    return 0;
}

bool mo_idle_pending(void)
{
    for (size_t i = 0; i < N_WORKS; i++)
        if (works[i].fn && works[i].pending(works[i].ud))
            return true;
    return false;
}

void mo_idle_run(void)
{
    for (size_t i = 0; i < N_WORKS; i++)
        if (works[i].fn && works[i].pending(works[i].ud))
            works[i].fn(works[i].ud);
}
