/* continuity.c - the position of a subscription and the verdict on each item. */
#include <config.h>

#include "continuity.h"

void mo_cont_init(struct mo_cont *c) { *c = (struct mo_cont){0}; }

enum mo_cont_verdict mo_cont_discontinuity(struct mo_cont *c, uint64_t new_page, uint64_t new_seq,
                                           struct mo_cont_step *ret)
{
    *ret = (struct mo_cont_step){0};
    /* new_page 0 means the server named no page: the current one stands */
    if (c->have_pos && new_page && new_page != c->page) {
        ret->page_changed = true;
        ret->old_page = c->page;
        ret->new_page = new_page;
    }
    /* items resume after new_seq (the proto's reading; PROTOCOL.md 11.2) */
    c->have_pos = true;
    c->after_discontinuity = true;
    c->seq = new_seq;
    if (new_page)
        c->page = new_page;
    return MO_CONT_DISCONTINUITY;
}

void mo_cont_resume_point(const struct mo_cont *c, uint64_t *ret_page, uint64_t *ret_seq)
{
    /* after UINT64_MAX this wraps to 0, which asks for new messages: the
     * best there is once the numbers are exhausted */
    *ret_page = c->have_pos ? c->page : 0;
    *ret_seq = c->have_pos ? c->seq + 1 : 0;
}
