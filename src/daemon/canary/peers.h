/* peers.h - pure: other instances' probes on the canary topic, per host.
 *
 * A probe whose `id` is not this instance's is another daemon's (on another
 * host, or on this one): its latency is one-way, the receiving clock minus
 * the publishing one, so it is only as true as both clocks; the bound is
 * their sum where both sides give one. Each host has one entry: the instance
 * id last seen there, the probes received and, from gaps in that instance's
 * numbers, lost in this interval, the one-way latencies, and the widest bound.
 * A new id on a host (its daemon restarted) starts its numbering over without
 * a loss; the entry remembers a few more ids, so two daemons on one host
 * each keep their numbering; `id` is the one heard last. The table is fixed (MO_PEERS_MAX hosts); a host past it takes the
 * place of one silent for a whole interval, else its probes are counted in
 * `dropped` and nowhere else.
 *
 *   mo_peers_init / _clear
 *   mo_peers_record        one probe of another instance
 *   mo_peers_end_interval  the interval's entries reported (callback), then reset
 */
#ifndef MO_PEERS_H
#define MO_PEERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "canary/probe.h"
#include "hist.h"

#define MO_PEERS_MAX 16
#define MO_PEER_OTHER_IDS 3 /* other instances remembered per host (two daemons there) */

struct mo_peer {
    char host[MO_PROBE_HOST_MAX + 1];
    char id[MO_PROBE_ID_LEN + 1];
    uint64_t last_seq;          /* of id; 0 = none yet */
    /* the host's other instances lately heard, so that two daemons on one
     * host each keep their own numbering (and their gaps count) */
    struct {
        char id[MO_PROBE_ID_LEN + 1];
        uint64_t last_seq;
    } others[MO_PEER_OTHER_IDS];
    unsigned next_other;        /* the slot the next one takes */
    uint64_t received, lost;    /* this interval */
    int64_t bound_us;           /* this interval's widest sum of both bounds; -1 = none known */
    mo_hist *hist;              /* this interval's one-way latencies */
    unsigned idle_intervals;    /* whole intervals without a probe */
};

struct mo_peers {
    struct mo_peer v[MO_PEERS_MAX];
    size_t n;
    uint64_t dropped; /* this interval: probes of hosts the table had no room for */
};

void mo_peers_init(struct mo_peers *p);
void mo_peers_clear(struct mo_peers *p);
/* A probe of another instance with one-way latency_us; own_bound_us is this
 * host's bound at receipt (-1: unknown). -ENOMEM when a histogram cannot be
 * made (the probe is then counted in dropped). */
int mo_peers_record(struct mo_peers *p, const struct mo_probe *pr, int64_t latency_us, int64_t own_bound_us);
/* fn for each host with a probe received or lost in this interval, then
 * every entry's interval starts again. */
void mo_peers_end_interval(struct mo_peers *p, void (*fn)(const struct mo_peer *peer, void *ud), void *ud);

#endif
