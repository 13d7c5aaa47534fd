/* publisher.h - the engine of momento-publish: connections, schedule, statistics.
 *
 * Publishes run on the caller's loop, many at a time (up to max_in_flight),
 * spread round-robin over `connections` gRPC connections. With a rate, message
 * i (from 0) is due at t0 + i/rate whatever happened to earlier ones (an open
 * loop: a slow publish delays no schedule, it shows as "behind schedule" when
 * the in-flight limit holds later messages back). Without a rate the engine
 * keeps max_in_flight publishes going. t0 is taken once every connection is
 * up (or has failed, or after 2 s at most), so connection setup is not
 * counted as latency.
 */
#ifndef MO_PUBLISH_PUBLISHER_H
#define MO_PUBLISH_PUBLISHER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "clocksrc.h"
#include "endpoint.h"
#include "loop.h"
#include "payload.h"

typedef struct publisher publisher;

struct publisher_opts {
    const char *cache;
    const char *topic;
    struct payload_spec payload;
    bool binary;             /* send the bytes as a binary topic value */
    uint64_t count;          /* messages to publish; 0 = until publisher_stop() */
    double rate;             /* messages per second; 0 = as fast as max_in_flight allows */
    unsigned connections;    /* gRPC connections (each its own TCP connection) */
    unsigned max_in_flight;  /* publishes outstanding at once */
    uint64_t timeout_us;     /* deadline of each publish */
    unsigned log_errors;     /* how many failures to describe on stderr */
    mo_clocksrc *clock;      /* read once a second for each message's clock_error_us; NULL: none */
};

/* Creates the connections (they connect on publisher_start). On failure
 * returns a negative errno with a sentence in err. */
int publisher_new(mo_loop *loop, const struct mo_endpoint *ep, const char *token,
                  const struct publisher_opts *opts, publisher **ret, char *err, size_t errlen);
/* Frees everything; no publish may be in flight (run the loop to the end first). Accepts NULL. */
void publisher_free(publisher *p);

/* Connects, then publishes; calls mo_loop_quit() once the last publish is done. */
void publisher_start(publisher *p);
/* Stops scheduling; publishes in flight run to their end (or deadline). */
void publisher_stop(publisher *p);
/* Cancels the publishes in flight (they count as CANCELLED errors). */
void publisher_cancel(publisher *p);

/* Prints the closing line (see the man page, OUTPUT). */
void publisher_report(const publisher *p, FILE *out);
uint64_t publisher_errors(const publisher *p);

#endif
