/* positions.c - resume positions kept across restarts (positions.h). */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log/event.h"
#include "state/positions.h"
#include "state/saver.h"
#include "state/statefile.h"

struct mo_positions {
    char *dir; /* NULL: positions are not saved */
    enum mo_state_dir_source source;
    mo_statefile *loaded; /* the file read at start, until mo_positions_forget */
    mo_saver *saver;      /* started at the first save */
    struct mo_state_pacer pacer;
    /* The positions of the last save handed to the writer, one per
     * subscription in the order given: when every one is the same, nothing
     * needs saving and nothing is encoded (a quiet second costs a read of
     * each position, no more). */
    struct snap *snap;
    size_t snap_n;
    bool snap_valid;
    bool submitted; /* a save is with the writer and its outcome not taken yet */
    uint64_t ahead_of_log; /* saves whose barrier timed out, since the last take */
};

struct snap {
    const mo_sub *s;
    bool have;
    uint64_t page, last;
};

int mo_positions_new(const char *configured, const char *env, mo_positions **ret)
{
    mo_positions *p = calloc(1, sizeof *p);
    if (!p)
        return -ENOMEM;
    if (mo_state_dir_choose(configured, env, &p->dir, &p->source) < 0) {
        free(p);
        return -ENOMEM;
    }
    mo_state_pacer_init(&p->pacer, MO_STATE_SAVE_INTERVAL_US);
    /* the first tick saves at once: it drops the entries of subscriptions no
     * longer configured and finds out at start whether the directory works */
    mo_state_pacer_changed(&p->pacer);
    *ret = p;
    return 0;
}

void mo_positions_free(mo_positions *p)
{
    if (!p)
        return;
    mo_saver_free(p->saver);
    mo_statefile_free(p->loaded);
    free(p->snap);
    free(p->dir);
    free(p);
}

const char *mo_positions_dir(const mo_positions *p) { return p->dir; }
enum mo_state_dir_source mo_positions_source(const mo_positions *p) { return p->source; }

void mo_positions_load(mo_positions *p)
{
    if (!p->dir)
        return;
    char err[MO_STATE_ERR_MAX];
    int r = mo_state_load(p->dir, &p->loaded, err, sizeof err);
    if (r == -ENOENT || r == 0)
        return; /* a first start, or no directory yet: the first save says so */
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", p->dir, MO_STATE_FILE);
    struct mo_event e;
    mo_event_init(&e, MO_EV_STATE_IGNORED, NULL, NULL);
    mo_event_str(&e, "directory", p->dir);
    mo_event_str(&e, "file", path);
    mo_event_str(&e, "reason", err);
    mo_event_msg(&e, "State file not used, every subscription starts without a saved position: %s",
                 err);
    mo_event_emit(&e);
}

bool mo_positions_restore(mo_positions *p, mo_sub *s)
{
    const struct mo_statefile_entry *en =
        mo_statefile_find(p->loaded, mo_sub_cache(s), mo_sub_topic(s));
    return en && mo_sub_set_position(s, en->page, en->last) == 0;
}

void mo_positions_forget(mo_positions *p)
{
    mo_statefile_free(p->loaded);
    p->loaded = NULL;
}

static bool fits(const char *name)
{
    return strnlen(name, MO_STATEFILE_NAME_MAX + 1) <= MO_STATEFILE_NAME_MAX;
}

bool mo_positions_name_fits(mo_positions *p, const char *cache, const char *topic)
{
    if (!p->dir || (fits(cache) && fits(topic)))
        return true;
    struct mo_event e;
    /* the names themselves would fill the event: their lengths say enough */
    mo_event_init(&e, MO_EV_STATE_IGNORED, NULL, NULL);
    mo_event_uint(&e, "cache_bytes", strlen(cache));
    mo_event_uint(&e, "topic_bytes", strlen(topic));
    mo_event_str(&e, "directory", p->dir);
    mo_event_msg(&e, "Subscription %.60s.../%.60s... is left out of the state file: its names "
                     "(%zu and %zu bytes) are longer than the file allows (%u bytes each); it "
                     "will start without a saved position after a restart",
                 cache, topic, strlen(cache), strlen(topic), MO_STATEFILE_NAME_MAX);
    mo_event_emit(&e);
    return false;
}

/* ---- saving ---- */

static void state_event(const struct mo_saver_result *res)
{
    struct mo_event e;
    mo_event_init(&e, res->r < 0 ? MO_EV_STATE_ERROR : MO_EV_STATE_RECOVERED, NULL, NULL);
    mo_event_str(&e, "directory", res->dir);
    if (res->r < 0) {
        mo_event_str(&e, "reason", res->err);
        mo_event_msg(&e, "Cannot save resume positions in %s: %s; retrying every second",
                     res->dir, res->err);
    } else {
        mo_event_msg(&e, "Resume positions are saved in %s again", res->dir);
    }
    mo_event_emit(&e);
}

/* The outcome of the save with the writer, if it finished. */
static void take_outcome(mo_positions *p)
{
    struct mo_saver_result res;
    if (!p->saver || !mo_saver_poll(p->saver, &res))
        return;
    p->submitted = false;
    p->ahead_of_log += res.barrier_missed;
    if (mo_state_pacer_saved(&p->pacer, res.submitted_us, res.r))
        state_event(&res);
}

/* The positions of subs, encoded into *ret_buf; or a negative errno with a
 * detail in err (out of memory, or more than MO_STATEFILE_ENTRIES_MAX
 * subscriptions: names that do not fit are left out before). */
static int encode(mo_sub *const *subs, size_t n, char **ret_buf, size_t *ret_len, char *err,
                  size_t err_len)
{
    struct mo_statefile_entry *v = calloc(n ? n : 1, sizeof *v);
    if (!v) {
        snprintf(err, err_len, "out of memory");
        return -ENOMEM;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const char *cache = mo_sub_cache(subs[i]), *topic = mo_sub_topic(subs[i]);
        uint64_t page, last;
        /* no position: nothing to resume from, and never "last 0"; names too
         * long were reported when the subscription was added */
        if (!fits(cache) || !fits(topic) || !mo_sub_position(subs[i], &page, &last))
            continue;
        v[k++] = (struct mo_statefile_entry){
            .cache = cache, .topic = topic, .page = page, .last = last};
    }
    int r = mo_statefile_encode(v, k, ret_buf, ret_len, err, err_len);
    free(v);
    return r;
}

/* True when the n positions are those of the last save handed over. */
static bool same_as_saved(const mo_positions *p, mo_sub *const *subs, size_t n)
{
    if (!p->snap_valid || n != p->snap_n)
        return false;
    for (size_t i = 0; i < n; i++) {
        struct snap now = {.s = subs[i]};
        now.have = mo_sub_position(subs[i], &now.page, &now.last);
        const struct snap *was = &p->snap[i];
        if (now.s != was->s || now.have != was->have ||
            (now.have && (now.page != was->page || now.last != was->last)))
            return false;
    }
    return true;
}

/* Keeps the n positions as those of the save handed over. */
static void remember(mo_positions *p, mo_sub *const *subs, size_t n)
{
    if (n > p->snap_n || !p->snap) {
        struct snap *v = realloc(p->snap, (n ? n : 1) * sizeof *v);
        if (!v) {
            p->snap_valid = false; /* compared as changed: saved again, never missed */
            return;
        }
        p->snap = v;
    }
    for (size_t i = 0; i < n; i++) {
        struct snap *sn = &p->snap[i];
        sn->s = subs[i];
        sn->have = mo_sub_position(subs[i], &sn->page, &sn->last);
    }
    p->snap_n = n;
    p->snap_valid = true;
}

/* Encodes the positions and hands them to the writer, which first waits up
 * to barrier_us for the log's events rendered until now (those of every
 * message up to these positions) to be written. A failure here (no thread,
 * no memory, too many subscriptions) counts as a failed save: said once,
 * retried every second. */
static int submit(mo_positions *p, mo_sub *const *subs, size_t n, uint64_t now_us, uint64_t barrier_us)
{
    struct mo_saver_result res = {.submitted_us = now_us};
    snprintf(res.dir, sizeof res.dir, "%s", p->dir);
    char *buf = NULL;
    size_t len;
    int r = p->saver ? 0 : mo_saver_new(&p->saver);
    if (r < 0)
        snprintf(res.err, sizeof res.err, "cannot start the writer thread: %s", strerror(-r));
    else
        r = encode(subs, n, &buf, &len, res.err, sizeof res.err);
    const struct mo_saver_barrier before = {mo_event_wait_mark, mo_event_mark(), barrier_us};
    if (r == 0 && (r = mo_saver_submit(p->saver, p->dir, buf, len, now_us, &before)) < 0)
        snprintf(res.err, sizeof res.err, "out of memory");
    if (r < 0) {
        res.r = r;
        if (mo_state_pacer_saved(&p->pacer, now_us, r))
            state_event(&res);
        return r;
    }
    /* the loop is single-threaded: nothing moved since encode read them */
    remember(p, subs, n);
    p->submitted = true;
    return 0;
}

void mo_positions_tick(mo_positions *p, mo_sub *const *subs, size_t n, uint64_t now_us,
                       uint64_t wait_us)
{
    if (!p->dir)
        return;
    take_outcome(p);
    /* one save at a time: the next one waits for this one's outcome (a
     * disk slower than a second delays saves, never queues them up) */
    if (p->submitted)
        return;
    if (!same_as_saved(p, subs, n))
        mo_state_pacer_changed(&p->pacer);
    /* not dirty (nothing moved since the last save, which worked), or too
     * soon after the last attempt */
    if (!mo_state_pacer_due(&p->pacer, now_us))
        return;
    if (submit(p, subs, n, now_us, wait_us ? wait_us / 2 : MO_POSITIONS_LOG_WAIT_US) < 0)
        return; /* out of memory or no thread: the pacer stays dirty, tried again */
    if (wait_us && mo_saver_wait(p->saver, wait_us))
        take_outcome(p);
}

bool mo_positions_final(mo_positions *p, mo_sub *const *subs, size_t n, uint64_t now_us,
                        uint64_t wait_us)
{
    if (!p->dir)
        return true;
    take_outcome(p);
    if (!same_as_saved(p, subs, n))
        mo_state_pacer_changed(&p->pacer);
    /* whatever the pacer's interval: this is the last chance. The writer may
     * still hold an older save; this one replaces or follows it. */
    if (p->pacer.dirty)
        submit(p, subs, n, now_us, wait_us / 2);
    if (!p->saver)
        return true;
    if (!mo_saver_wait(p->saver, wait_us)) {
        struct mo_event e;
        mo_event_init(&e, MO_EV_STATE_ERROR, NULL, NULL);
        mo_event_str(&e, "directory", p->dir);
        mo_event_str(&e, "reason", "the last save did not finish in time");
        mo_event_msg(&e, "The save of resume positions in %s at stop did not finish within %llu ms; "
                         "the file holds the previous positions or these, whole",
                     p->dir, (unsigned long long)(wait_us / 1000));
        mo_event_emit(&e);
        return false;
    }
    struct mo_saver_result res;
    if (mo_saver_poll(p->saver, &res)) {
        p->submitted = false;
        p->ahead_of_log += res.barrier_missed;
        /* at stop a failure is worth saying even if the last one was said */
        bool changed = mo_state_pacer_saved(&p->pacer, res.submitted_us, res.r);
        if (changed || res.r < 0)
            state_event(&res);
    }
    return true;
}

void mo_positions_touch(mo_positions *p) { p->snap_valid = false; }

uint64_t mo_positions_take_ahead_of_log(mo_positions *p)
{
    uint64_t n = p->ahead_of_log;
    p->ahead_of_log = 0;
    return n;
}

int mo_positions_set_dir(mo_positions *p, const char *configured, const char *env)
{
    char *dir;
    enum mo_state_dir_source src;
    if (mo_state_dir_choose(configured, env, &dir, &src) < 0)
        return -ENOMEM;
    bool same = (!dir && !p->dir) || (dir && p->dir && strcmp(dir, p->dir) == 0);
    if (same) {
        free(dir);
        p->source = src; /* the same path, perhaps named another way */
        return false;
    }
    free(p->dir);
    p->dir = dir;
    p->source = src;
    /* the new directory gets a full save at the next tick */
    p->snap_valid = false;
    mo_state_pacer_changed(&p->pacer);
    return true;
}
