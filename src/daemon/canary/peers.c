/* peers.c - other instances' probes per host (peers.h). */
#include <config.h>

#include <errno.h>
#include <string.h>

#include "canary/peers.h"

void mo_peers_init(struct mo_peers *p) { memset(p, 0, sizeof *p); }

void mo_peers_clear(struct mo_peers *p)
{
    for (size_t i = 0; i < p->n; i++)
        mo_hist_free(p->v[i].hist);
    memset(p, 0, sizeof *p);
}

static struct mo_peer *find(struct mo_peers *p, const char *host)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->v[i].host, host) == 0)
            return &p->v[i];
    return NULL;
}

/* An entry for a host not in the table: a free one, or the place of the
 * longest silent one that was silent a whole interval. */
static struct mo_peer *place(struct mo_peers *p, const char *host)
{
    struct mo_peer *e = NULL;
    if (p->n < MO_PEERS_MAX) {
        e = &p->v[p->n++];
        memset(e, 0, sizeof *e);
        if (mo_hist_new(&e->hist) < 0) {
            p->n--;
            return NULL;
        }
    } else {
        for (size_t i = 0; i < p->n; i++)
            if (p->v[i].idle_intervals > 0 && (!e || p->v[i].idle_intervals > e->idle_intervals))
                e = &p->v[i];
        if (!e)
            return NULL;
        mo_hist *h = e->hist;
        memset(e, 0, sizeof *e);
        e->hist = h;
        mo_hist_reset(h);
    }
    e->bound_us = -1;
    memcpy(e->host, host, strlen(host) + 1);
    return e;
}

/* Another instance on the host: its own numbering back if it was heard
 * lately, else from nothing (a restarted daemon: no loss); the current one
 * is remembered in its place. */
static void switch_id(struct mo_peer *e, const char *id)
{
    uint64_t last = 0;
    unsigned slot = e->next_other;
    for (unsigned i = 0; i < MO_PEER_OTHER_IDS; i++)
        if (strcmp(e->others[i].id, id) == 0) {
            last = e->others[i].last_seq;
            slot = i;
            break;
        }
    if (slot == e->next_other)
        e->next_other = (e->next_other + 1) % MO_PEER_OTHER_IDS;
    if (e->id[0]) {
        memcpy(e->others[slot].id, e->id, sizeof e->id);
        e->others[slot].last_seq = e->last_seq;
    } else {
        e->others[slot].id[0] = '\0';
    }
    memcpy(e->id, id, sizeof e->id);
    e->last_seq = last;
}

int mo_peers_record(struct mo_peers *p, const struct mo_probe *pr, int64_t latency_us, int64_t own_bound_us)
{
    struct mo_peer *e = find(p, pr->host);
    if (!e && !(e = place(p, pr->host))) {
        p->dropped++;
        return p->n < MO_PEERS_MAX ? -ENOMEM : 0;
    }
    if (strcmp(e->id, pr->id) != 0)
        switch_id(e, pr->id);
    if (e->last_seq && pr->seq > e->last_seq + 1)
        e->lost += pr->seq - e->last_seq - 1;
    if (pr->seq > e->last_seq)
        e->last_seq = pr->seq;
    e->received++;
    e->idle_intervals = 0;
    mo_hist_record(e->hist, latency_us);
    if (own_bound_us >= 0 && pr->clock_error_us >= 0 && own_bound_us + pr->clock_error_us > e->bound_us)
        e->bound_us = own_bound_us + pr->clock_error_us;
    return 0;
}

void mo_peers_end_interval(struct mo_peers *p, void (*fn)(const struct mo_peer *peer, void *ud), void *ud)
{
    for (size_t i = 0; i < p->n; i++) {
        struct mo_peer *e = &p->v[i];
        if (e->received || e->lost)
            fn(e, ud);
        else
            e->idle_intervals++;
        e->received = e->lost = 0;
        e->bound_us = -1;
        mo_hist_reset(e->hist);
    }
    p->dropped = 0;
}
