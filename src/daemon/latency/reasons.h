/* reasons.h - the reasons of one interval's decode errors (or protocol
 * errors: the summary keeps a tally of each), counted.
 *
 * An error's reason names its kind and often a detail that varies
 * (a byte offset, the quoted payload): "invalid JSON at byte 12". Reasons
 * are counted by their kind, the reason with every number written N and
 * every quoted string "..." ("invalid JSON at byte N"), so that the summary
 * can say which kinds were the most frequent. Up to MO_REASONS_MAX kinds
 * are counted each; later kinds are counted together as other reasons.
 * Plain data; pure.
 *
 *   mo_reasons_kind     the kind of a reason
 *   mo_reasons_add      count one reason (or n of one kind, for a merge)
 *   mo_reasons_merge    add one tally into another
 *   mo_reasons_format   "998: invalid JSON at byte N | 2: ..." the most frequent first
 */
#ifndef MO_REASONS_H
#define MO_REASONS_H

#include <stddef.h>
#include <stdint.h>

#define MO_REASONS_MAX 8
#define MO_REASON_KIND_MAX 96 /* a kind is cut to this many bytes, NUL included */

struct mo_reasons {
    size_t n;
    uint64_t other; /* errors of kinds past the first MO_REASONS_MAX */
    struct {
        uint64_t count;
        char kind[MO_REASON_KIND_MAX];
    } v[MO_REASONS_MAX];
};

void mo_reasons_kind(const char *reason, char *out, size_t len);
void mo_reasons_add(struct mo_reasons *r, const char *reason, uint64_t n);
void mo_reasons_merge(struct mo_reasons *dst, const struct mo_reasons *src);
/* The `top` most frequent kinds (ties: the one seen first), then the other
 * reasons if any; "" when there are none. Cut at a whole entry to fit. */
void mo_reasons_format(const struct mo_reasons *r, size_t top, char *buf, size_t len);

#endif
