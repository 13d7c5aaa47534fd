/* continuity.h - where a subscription stands in its topic, and what each
 * item or server discontinuity says about it (SPEC.md, Continuity).
 *
 * Pure arithmetic on (page, sequence number) pairs: no gRPC, no clock, no
 * logging, no allocation. The subscription feeds it every item and every
 * `_Discontinuity` in the order they arrive, acts on the verdict (counters,
 * events, dropping a duplicate) and asks it where to resume.
 *
 *   mo_cont_init            no position yet
 *   mo_cont_item            an item: DELIVER, GAP, RESET or DUPLICATE (inline: per message)
 *   mo_cont_discontinuity   a server discontinuity: DISCONTINUITY
 *   mo_cont_resume_point    where the next Subscribe call starts
 *   mo_cont_delivers        whether a verdict's item is delivered
 *
 * The rules:
 *   item, no position yet       DELIVER; the position is (page, seq)
 *   item on another page        RESET (old_page -> new_page): deliver; the
 *                               position restarts at (page, seq), whatever seq is
 *   item seq <= last            DUPLICATE: drop; the position does not move
 *   item seq == last + 1        DELIVER
 *   item seq  > last + 1        GAP of seq - last - 1 missing numbers: deliver
 *   discontinuity               DISCONTINUITY, always; the position becomes
 *                               (new_page, or the old page when new_page is 0,
 *                               new_seq); page_changed when a known position
 *                               was on another page and new_page is not 0
 *   resume point                (last page, last + 1); (0, 0) with no position
 * Page 0 is an ordinary page for items; in a discontinuity it means "no page".
 * Arithmetic is modulo 2^64 only where noted (the resume point after
 * UINT64_MAX); nothing else can wrap.
 */
#ifndef MO_CONTINUITY_H
#define MO_CONTINUITY_H

#include <stdbool.h>
#include <stdint.h>

/* The position of one subscription. Embedded in its owner; read it through
 * the functions below. */
struct mo_cont {
    bool have_pos; /* an item or a discontinuity has set page and seq */
    /* The last thing seen was a discontinuity, so the next item is the first
     * after it. Not used by the rules yet; PROTOCOL.md section 11 (items 1-3)
     * wants the next item after a discontinuity judged against both new_seq
     * and new_seq + 1, and an announcement on a fresh stream not counted. */
    bool after_discontinuity;
    uint64_t page;
    uint64_t seq; /* the last item's number, or a discontinuity's new_seq */
};

enum mo_cont_verdict {
    MO_CONT_DELIVER,       /* in order, or the first item: deliver */
    MO_CONT_GAP,           /* deliver; step.missing numbers before it never came */
    MO_CONT_RESET,         /* on another page: deliver; numbering starts over */
    MO_CONT_DUPLICATE,     /* at or below the last item: drop */
    MO_CONT_DISCONTINUITY, /* the server says it skipped ahead (a loss); not an item */
};

/* What a verdict needs to be reported. Every field is set by every call;
 * those that do not apply are 0/false. */
struct mo_cont_step {
    uint64_t expected_seq; /* GAP: the number that was due (last + 1) */
    uint64_t missing;      /* GAP: how many numbers were skipped (>= 1) */
    bool page_changed;     /* RESET, or a DISCONTINUITY onto another page */
    uint64_t old_page, new_page; /* when page_changed */
};

/* No position yet. */
void mo_cont_init(struct mo_cont *c);

/* One item (TopicItem) numbered (page, seq). Returns DELIVER, GAP, RESET or
 * DUPLICATE and fills *ret. Inline: it runs once per message, and inlined the
 * stores to *ret that the caller never reads go away. */
static inline enum mo_cont_verdict mo_cont_item(struct mo_cont *c, uint64_t page, uint64_t seq,
                                                struct mo_cont_step *ret)
{
    enum mo_cont_verdict v = MO_CONT_DELIVER;
    *ret = (struct mo_cont_step){0};
    if (c->have_pos) {
        if (page != c->page) {
            /* a topic recreated (or moved) starts its numbering again: neither
             * a gap nor a duplicate, whatever the number */
            v = MO_CONT_RESET;
            ret->page_changed = true;
            ret->old_page = c->page;
            ret->new_page = page;
        } else if (seq <= c->seq) {
            /* already delivered (a resume that overlaps): the position stays */
            return MO_CONT_DUPLICATE;
        } else if (seq - c->seq > 1) {
            /* seq > c->seq here, so neither subtraction can wrap */
            v = MO_CONT_GAP;
            ret->expected_seq = c->seq + 1;
            ret->missing = seq - c->seq - 1;
        }
    }
    c->have_pos = true;
    c->after_discontinuity = false;
    c->page = page;
    c->seq = seq;
    return v;
}

/* One `_Discontinuity` carrying (new_page, new_seq); its last_topic_sequence
 * is the server's, for the report only, and is not needed here. Returns
 * DISCONTINUITY and fills *ret. */
enum mo_cont_verdict mo_cont_discontinuity(struct mo_cont *c, uint64_t new_page, uint64_t new_seq,
                                           struct mo_cont_step *ret);

/* Where a new Subscribe call resumes: the page and the first sequence number
 * wanted (last + 1), or (0, 0) for "new messages" with no position. */
void mo_cont_resume_point(const struct mo_cont *c, uint64_t *ret_page, uint64_t *ret_seq);

/* True for the verdicts whose item is delivered (counted and measured). */
static inline bool mo_cont_delivers(enum mo_cont_verdict v)
{
    return v == MO_CONT_DELIVER || v == MO_CONT_GAP || v == MO_CONT_RESET;
}

#endif
