/* remote.h - where the daemon connects and with which key: the `momento:`
 * settings of the configuration made into credentials and a target, and what
 * a reload changes in them.
 *
 * The key is read again at every resolve (the file named by api_key_file, the
 * systemd credential, MOMENTO_API_KEY), so a key rewritten in place is seen
 * by a reload even when the configuration text is unchanged. What changed is
 * found by comparing the keys in memory; it is reported by name only ("key"),
 * never with the key or any piece of it.
 *
 *   mo_remote_resolve     credentials and target from a configuration
 *   mo_remote_clear       free them (the key is wiped)
 *   mo_remote_diff        what differs between two: MO_REMOTE_KEY, _ENDPOINT, _TLS
 *   mo_remote_diff_names  "key, endpoint", for the config_reloaded event
 */
#ifndef MO_REMOTE_H
#define MO_REMOTE_H

#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"
#include "creds.h"
#include "endpoint.h"

struct mo_remote {
    struct mo_creds creds;
    struct mo_endpoint ep;
};

enum {
    MO_REMOTE_KEY = 1,      /* the token sent differs */
    MO_REMOTE_ENDPOINT = 2, /* the target or the name checked against its certificate */
    MO_REMOTE_TLS = 4,      /* TLS on one side, plaintext on the other */
};

/* Loads the key (mo_creds_load with cfg->api_key_file) and resolves the
 * target (mo_endpoint_resolve). On failure returns -EINVAL (or the key file's
 * errno) with a sentence in err naming the source and what is wrong, never the
 * key, and *ret cleared. With `lenient` (--check-config), a key simply absent
 * without an override is not an error: *ret_unresolved is set and the target
 * left empty (the service may get the key from a credential this shell
 * cannot see). ret_unresolved may be NULL when !lenient. */
int mo_remote_resolve(const struct mo_config *cfg, bool lenient, struct mo_remote *ret,
                      bool *ret_unresolved, char *err, size_t errlen);

/* Frees and wipes. Accepts a zeroed or cleared struct. */
void mo_remote_clear(struct mo_remote *r);

/* The MO_REMOTE_* bits for what differs from a to b; 0 when streams on a's
 * connections are as good as on b's. Where the key came from does not count:
 * the same key from another file is the same key. */
unsigned mo_remote_diff(const struct mo_remote *a, const struct mo_remote *b);

/* "key", "endpoint", "tls", comma-separated in that order ("" for 0), into
 * buf; returns buf. */
const char *mo_remote_diff_names(unsigned diff, char *buf, size_t len);

#endif
