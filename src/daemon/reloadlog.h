/* reloadlog.h - the events a reload (SIGHUP) logs: for each, its fields and
 * its sentence (momento-subscriberd(8), EVENTS).
 *
 * Formatting only, as sublog.h is for a subscription: main.c's reload
 * decides what happened and passes it here; these build the events and emit
 * them (event.h).
 *
 *   mo_reloadlog_config_errors   the new file is invalid: one config_error per error
 *   mo_reloadlog_remote_error    its momento: settings cannot work (key, endpoint)
 *   mo_reloadlog_not_applied     reloaded, but one subscription not set up as it says
 *   mo_reloadlog_reloaded        config_reloaded: what changed
 */
#ifndef MO_RELOADLOG_H
#define MO_RELOADLOG_H

#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"

/* The first 20 errors of a file that was not loaded; the old one keeps running. */
void mo_reloadlog_config_errors(const struct mo_config_errors *errs);

/* The momento: settings of nc cannot work: reason names the key's source,
 * never the key. Refused as an invalid file is. */
void mo_reloadlog_remote_error(const struct mo_config *nc, const char *reason);

/* Subscription sc of the new file nc could not be set up as it says (err):
 * an `added` one is not subscribed; a kept one keeps its old decoder. Either
 * is tried again at the next reload. */
void mo_reloadlog_not_applied(const struct mo_config *nc, const struct mo_sub_config *sc, int err,
                              bool added);

/* What a reload that succeeded changed. */
struct mo_reloadlog_outcome {
    size_t added, removed, kept;
    size_t failed;               /* each said by mo_reloadlog_not_applied */
    const char *momento_changed; /* mo_remote_diff_names: "key,endpoint", or "" */
    size_t moved;                /* streams moving to new connections */
    size_t moves_cancelled;      /* moves given up: back to settings their streams have */
    bool dir_changed;            /* the state directory changed ... */
    const char *dir;             /* ... to this one (NULL: positions not saved) */
    bool exports_kept;           /* out of memory: the old export: settings */
    const char *canary;          /* what became of the canary: none, kept, added, replaced, removed, failed */
    bool clock_changed;          /* clock: keys changed: a new source of the bound */
    bool clock_kept;             /* ... but out of memory: the old one */
};
void mo_reloadlog_reloaded(const struct mo_config *nc, const struct mo_reloadlog_outcome *o);

#endif
