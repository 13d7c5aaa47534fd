/* reloadlog.c - a reload's events (reloadlog.h). */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "log/event.h"
#include "reloadlog.h"

void mo_reloadlog_config_errors(const struct mo_config_errors *errs)
{
    for (size_t i = 0; i < errs->n && i < 20; i++) {
        const struct mo_config_error *ce = &errs->v[i];
        struct mo_event e;
        mo_event_init(&e, MO_EV_CONFIG_ERROR, NULL, NULL);
        mo_event_str(&e, "file", ce->file);
        mo_event_int(&e, "line", ce->line);
        mo_event_int(&e, "column", ce->column);
        mo_event_str(&e, "key", ce->key);
        mo_event_str(&e, "reason", ce->reason);
        char where[800];
        mo_config_error_format(ce, where, sizeof where);
        mo_event_msg(&e, "Configuration not reloaded, the old one keeps running: %s", where);
        mo_event_emit(&e);
    }
}

void mo_reloadlog_remote_error(const struct mo_config *nc, const char *reason)
{
    struct mo_event e;
    mo_event_init(&e, MO_EV_CONFIG_ERROR, NULL, NULL);
    mo_event_str(&e, "file", nc->path);
    mo_event_int(&e, "line", 0);
    mo_event_int(&e, "column", 0);
    mo_event_str(&e, "key", nc->api_key_file ? "momento.api_key_file" : "momento");
    mo_event_str(&e, "reason", reason);
    mo_event_msg(&e, "Configuration not reloaded, the old one keeps running: %s: %s", nc->path, reason);
    mo_event_emit(&e);
}

void mo_reloadlog_not_applied(const struct mo_config *nc, const struct mo_sub_config *sc, int err,
                              bool added)
{
    struct mo_config_error ce = {.line = sc->line, .column = sc->column};
    char where[1600];
    if (sc->canary) /* not in the file's list: the loader appended it for canary: */
        snprintf(ce.key, sizeof ce.key, "canary");
    else
        snprintf(ce.key, sizeof ce.key, "subscriptions[%zu]", (size_t)(sc - nc->subs));
    snprintf(ce.reason, sizeof ce.reason, "%.150s/%.150s %s (%s); %s", sc->cache, sc->topic,
             added ? "cannot be subscribed" : "cannot take its new decode settings", strerror(-err),
             added ? "the next reload tries again"
                   : "it keeps its old timestamp settings until the next reload");
    snprintf(ce.file, sizeof ce.file, "%s", nc->path);
    mo_config_error_format(&ce, where, sizeof where);
    struct mo_event e;
    mo_event_init(&e, MO_EV_CONFIG_ERROR, NULL, NULL);
    mo_event_str(&e, "file", nc->path);
    mo_event_int(&e, "line", sc->line);
    mo_event_int(&e, "column", sc->column);
    mo_event_str(&e, "key", ce.key);
    mo_event_str(&e, "reason", ce.reason);
    mo_event_msg(&e, "Configuration reloaded, but this part not applied: %s", where);
    mo_event_emit(&e);
}

void mo_reloadlog_reloaded(const struct mo_config *nc, const struct mo_reloadlog_outcome *o)
{
    char how[240] = "", fails[64] = "", back[96] = "";
    if (o->moves_cancelled)
        snprintf(back, sizeof back, ", %zu earlier move%s cancelled (back to the settings %s on)",
                 o->moves_cancelled, o->moves_cancelled == 1 ? "" : "s",
                 o->moves_cancelled == 1 ? "its stream runs" : "their streams run");
    if (*o->momento_changed)
        snprintf(how, sizeof how, "; momento: %s changed, %zu stream%s moving to new connections%s",
                 o->momento_changed, o->moved, o->moved == 1 ? "" : "s", back);
    if (o->failed)
        snprintf(fails, sizeof fails, " (%zu not applied: see config_error)", o->failed);
    struct mo_event e;
    mo_event_init(&e, MO_EV_CONFIG_RELOADED, NULL, NULL);
    mo_event_uint(&e, "added", o->added);
    mo_event_uint(&e, "removed", o->removed);
    mo_event_uint(&e, "kept", o->kept);
    mo_event_uint(&e, "failed", o->failed);
    mo_event_str(&e, "momento_changed", o->momento_changed);
    mo_event_uint(&e, "moved", o->moved);
    mo_event_uint(&e, "moves_cancelled", o->moves_cancelled);
    if (o->dir_changed)
        mo_event_str(&e, "state_directory", o->dir ? o->dir : "");
    const char *canary = o->canary ? o->canary : "none";
    mo_event_str(&e, "canary", canary);
    mo_event_bool(&e, "clock_changed", o->clock_changed);
    char cn[80] = "";
    if (strcmp(canary, "none") != 0)
        snprintf(cn, sizeof cn, "; canary %s%s", canary,
                 strcmp(canary, "failed") == 0 ? " (see the warning before this)" : "");
    mo_event_msg(&e, "Configuration reloaded from %s: %zu added, %zu removed, %zu kept%s%s%s%s%s%s%s", nc->path,
                 o->added, o->removed, o->kept, cn, how, o->dir_changed ? "; positions now saved in " : "",
                 o->dir_changed ? (o->dir ? o->dir : "no directory (not saved)") : "", fails,
                 o->exports_kept ? "; out of memory: the export: settings are the old ones" : "",
                 o->clock_kept     ? "; out of memory: the clock: settings are the old ones"
                 : o->clock_changed ? "; the clock's bound now follows the new clock: settings"
                                    : "");
    mo_event_emit(&e);
}
