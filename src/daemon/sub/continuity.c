/* continuity.c - the position of a subscription and the verdict on each item
 * and discontinuity (continuity.h). */
#include <config.h>

#include "sub/continuity.h"

void mo_cont_init(struct mo_cont *c) { *c = (struct mo_cont){0}; }

/* The item that follows discontinuities (or announcements): how many numbers
 * were lost, judged from the item itself, since the server may number it
 * new_seq or new_seq + 1 (src/proto/README.md §6.2). The rules are in
 * continuity.h. */
enum mo_cont_verdict mo_cont_item_after_discontinuity(struct mo_cont *c, uint64_t page, uint64_t seq,
                                                      struct mo_cont_step *ret)
{
    enum mo_cont_verdict v = MO_CONT_DELIVER;
    if (c->have_pos) {
        uint64_t last = c->seq, n = c->disc.new_seq;
        uint64_t lost;
        if (page != c->page) {
            /* numbering starts at 1 on a page (src/proto/README.md §3) */
            v = MO_CONT_RESET;
            ret->page_changed = true;
            ret->old_page = c->page;
            ret->new_page = page;
            lost = seq ? seq - 1 : 0;
        } else if (n >= last || c->disc.page != page) {
            /* the server skipped ahead: everything between the last item and
             * this one is lost, whichever reading it follows */
            if (seq <= last)
                return MO_CONT_DUPLICATE; /* still waiting for the first after it */
            lost = seq - last - 1;
        } else {
            /* the numbering went back on the same page (a server without
             * pages that started over): numbers from n on are new; n and
             * n + 1 both come first, so only what is past n + 1 is missing */
            if (seq < n)
                return MO_CONT_DUPLICATE;
            lost = seq - n > 1 ? seq - n - 1 : 0;
        }
        ret->discontinuities = c->disc_count;
        ret->lost = c->disc_count ? lost : 0;
        ret->last_delivered = last;
        ret->disc = c->disc;
    }
    /* with no position (announcements only), the first item is delivered
     * whatever its number: nothing was lost, nothing was delivered before */
    c->have_pos = true;
    c->after_discontinuity = false;
    c->disc_count = 0;
    c->page = page;
    c->seq = seq;
    return v;
}

enum mo_cont_verdict mo_cont_discontinuity(struct mo_cont *c, uint64_t last_seq, uint64_t new_page,
                                           uint64_t new_seq, struct mo_cont_step *ret)
{
    *ret = (struct mo_cont_step){0};
    /* new_page 0 means the server named no page: the one known stands */
    uint64_t page = new_page                   ? new_page
                    : c->after_discontinuity ? c->disc.page
                    : c->have_pos            ? c->page
                                             : 0;
    enum mo_cont_verdict v;
    if (!c->have_pos)
        v = MO_CONT_ANNOUNCE; /* src/proto/README.md §6.1: not a loss */
    else if (c->disc_count && page == c->disc.page && new_seq == c->disc.new_seq)
        v = MO_CONT_DISCONTINUITY_AGAIN;
    else {
        v = MO_CONT_DISCONTINUITY;
        c->disc_count++;
    }
    c->after_discontinuity = true;
    c->disc = (struct mo_cont_disc){.last_seq = last_seq, .new_seq = new_seq, .page = page};
    return v;
}

uint64_t mo_cont_pending(const struct mo_cont *c, struct mo_cont_step *ret)
{
    *ret = (struct mo_cont_step){0};
    if (!c->after_discontinuity || !c->disc_count)
        return 0;
    ret->discontinuities = c->disc_count;
    ret->last_delivered = c->seq;
    ret->disc = c->disc;
    return c->disc_count;
}

bool mo_cont_resume_point(const struct mo_cont *c, uint64_t *ret_page, uint64_t *ret_seq)
{
    if (c->after_discontinuity) {
        /* the lower of the two readings of new_seq: an item numbered new_seq
         * is not missed if that is the server's reading, and is a duplicate
         * or delivered if not; 0 would ask for "new messages only" */
        *ret_page = c->disc.page;
        *ret_seq = c->disc.new_seq ? c->disc.new_seq : 1;
        if (!c->have_pos && !c->disc.page && !c->disc.new_seq)
            *ret_seq = 0; /* an announcement that said nothing */
        return *ret_seq != 0;
    }
    /* after UINT64_MAX this wraps to 0, which asks for new messages: the
     * best there is once the numbers are exhausted */
    *ret_page = c->have_pos ? c->page : 0;
    *ret_seq = c->have_pos ? c->seq + 1 : 0;
    return c->have_pos;
}

enum mo_cont_resume mo_cont_resume_outcome(uint64_t asked_page, uint64_t asked_seq, bool disc_first,
                                           uint64_t page, uint64_t seq, uint64_t *ret_k)
{
    *ret_k = 0;
    /* a page of 0 asked for any page */
    if (disc_first || (asked_page && page != asked_page))
        return MO_CONT_RESUME_DISCONTINUITY;
    if (seq == asked_seq)
        return MO_CONT_RESUME_EXACT;
    if (seq < asked_seq) {
        *ret_k = asked_seq - seq;
        return MO_CONT_RESUME_REPEATED;
    }
    *ret_k = seq - asked_seq;
    return MO_CONT_RESUME_SKIPPED;
}

const char *mo_cont_resume_name(enum mo_cont_resume r)
{
    static const char *const names[MO_CONT_RESUME__COUNT] = {
        [MO_CONT_RESUME_EXACT] = "exact",
        [MO_CONT_RESUME_REPEATED] = "repeated",
        [MO_CONT_RESUME_SKIPPED] = "skipped",
        [MO_CONT_RESUME_DISCONTINUITY] = "discontinuity",
    };
    return (unsigned)r < MO_CONT_RESUME__COUNT ? names[r] : "unknown";
}
