/* idle.h - work for the loop thread when it goes idle, from modules whose
 * own threads finish things.
 *
 * A thread of ours that finishes a job (the textfile writer, export.h) must
 * not log: what it did is said on the loop thread. The loop's idle hook is
 * the log's (mo_event_unflushed, mo_event_flush): it asks pending(ud) (cheap:
 * an atomic flag) whenever it asks whether there is output to flush, and when
 * true the flush calls fn(ud) first, which may log. The loop looks at least at
 * every timer (the status line's, every second). Loop thread only.
 *
 *   mo_idle_set       register work for ud (fn NULL: remove it)
 *   mo_idle_pending   some work says it has something to do
 *   mo_idle_run       run each that does
 */
#ifndef MO_IDLE_H
#define MO_IDLE_H

#include <stdbool.h>

/* Up to 4 at once; -ENOSPC beyond. */
int mo_idle_set(bool (*pending)(void *ud), void (*fn)(void *ud), void *ud);
bool mo_idle_pending(void);
void mo_idle_run(void);

#endif
