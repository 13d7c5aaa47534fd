/* continuity.h - where a subscription stands in its topic, and what each
 * item or server discontinuity says about it (momento-subscriberd(8),
 * CONTINUITY; src/proto/README.md §3, §4 and §6).
 *
 * Pure arithmetic on (page, sequence number) pairs: no gRPC, no clock, no
 * logging, no allocation. The subscription feeds it every item and every
 * `_Discontinuity` in the order they arrive, acts on the verdict (counters,
 * events, dropping a duplicate) and asks it where to resume.
 *
 *   mo_cont_init            no position yet
 *   mo_cont_item            an item: DELIVER, GAP, RESET or DUPLICATE (inline: per message)
 *   mo_cont_discontinuity   a server discontinuity: ANNOUNCE, DISCONTINUITY or DISCONTINUITY_AGAIN
 *   mo_cont_pending         the discontinuities no item has followed yet
 *   mo_cont_resume_point    where the next Subscribe call starts
 *   mo_cont_delivers        whether a verdict's item is delivered
 *   mo_cont_resume_outcome  a resumed stream's first item against what was asked
 *   mo_cont_resume_name     "exact", "repeated", "skipped", "discontinuity"
 *
 * The position is the last item delivered: (page, seq). The rules:
 *   item, no position yet       DELIVER; the position is (page, seq)
 *   item on another page        RESET (old_page -> new_page): deliver; the
 *                               position restarts at (page, seq), whatever seq is
 *   item seq <= last            DUPLICATE: drop; the position does not move
 *   item seq == last + 1        DELIVER
 *   item seq  > last + 1        GAP of seq - last - 1 missing numbers: deliver
 *
 * A discontinuity is judged when it comes and again at the first item after
 * it, because only that item says how many messages were lost: Momento reads
 * its `new_topic_sequence` two ways (the item after it is numbered new or
 * new + 1), so the numbers lost are those between the last item delivered
 * and the first item after the discontinuity, whichever reading the server
 * follows:
 *   discontinuity, no position  ANNOUNCE: it only says which page the topic is
 *                               on (a fresh stream on a busy topic); not a loss
 *   discontinuity, position     DISCONTINUITY: counted; its loss is known at the
 *                               next item; DISCONTINUITY_AGAIN (not counted)
 *                               when it repeats the pending one (same page, same
 *                               new_seq: the answer to resuming right after it)
 *   first item after them       with no position (announcements only): DELIVER,
 *                               nothing lost. With one, against the last item
 *                               (page P, number L) and the last discontinuity's
 *                               (new page, new_seq N):
 *     on another page than P    RESET; lost = seq - 1 (numbers start at 1 on a
 *                               page; what P had after L cannot be known)
 *     on P, N >= L or the discontinuity on another page:
 *                               seq > L: DELIVER, lost = seq - L - 1 (so N and
 *                               N + 1 both lose exactly what the server skipped);
 *                               seq <= L: DUPLICATE, still waiting
 *     on P, N < L (numbering went back on the same page):
 *                               seq >= N: DELIVER, lost = seq - N - 1 when
 *                               seq > N + 1, else 0; seq < N: DUPLICATE, still
 *                               waiting
 *   resume point                with discontinuities pending: (their page,
 *                               N, or 1 for N = 0): the lower of the two
 *                               readings, so neither loses an item; (0, 0) when
 *                               an announcement named neither page nor number.
 *                               Else (last page, last + 1); (0, 0) with no position.
 * Page 0 is an ordinary page for items; in a discontinuity it means "no
 * page": the current one stands. Arithmetic is modulo 2^64 only where noted
 * (the resume point after UINT64_MAX); nothing else can wrap.
 */
#ifndef MO_CONTINUITY_H
#define MO_CONTINUITY_H

#include <stdbool.h>
#include <stdint.h>

/* What a discontinuity said, kept for its report at the next item. */
struct mo_cont_disc {
    uint64_t last_seq; /* its last_topic_sequence (the server's view; report only) */
    uint64_t new_seq;  /* its new_topic_sequence */
    uint64_t page;     /* its new_sequence_page, or the page that stands when it named none */
};

/* The position of one subscription. Embedded in its owner; read it through
 * the functions below. */
struct mo_cont {
    bool have_pos; /* page and seq are the last item delivered */
    /* Discontinuities (or announcements) came after the last item: the next
     * item is judged against them, out of line. */
    bool after_discontinuity;
    uint64_t page;
    uint64_t seq;
    /* while after_discontinuity */
    uint64_t disc_count; /* counted discontinuities pending (0: announcements only) */
    struct mo_cont_disc disc; /* the last one */
};

enum mo_cont_verdict {
    MO_CONT_DELIVER,             /* in order, or the first item: deliver */
    MO_CONT_GAP,                 /* deliver; step.missing numbers before it never came */
    MO_CONT_RESET,               /* on another page: deliver; numbering starts over */
    MO_CONT_DUPLICATE,           /* at or below the last item: drop */
    MO_CONT_ANNOUNCE,            /* a discontinuity with no position: the page, not a loss */
    MO_CONT_DISCONTINUITY,       /* the server says it skipped ahead: a loss, counted */
    MO_CONT_DISCONTINUITY_AGAIN, /* the pending discontinuity once more: not counted again */
};

/* What a verdict needs to be reported. Every field is set by every call;
 * those that do not apply are 0/false. */
struct mo_cont_step {
    uint64_t expected_seq; /* GAP: the number that was due (last + 1) */
    uint64_t missing;      /* GAP: how many numbers were skipped (>= 1) */
    bool page_changed;     /* RESET */
    uint64_t old_page, new_page; /* when page_changed */
    /* An item that is the first after discontinuities (DELIVER or RESET),
     * and mo_cont_pending: */
    uint64_t discontinuities; /* how many counted ones it follows; 0: none */
    uint64_t lost;            /* numbers lost between last_delivered and this item */
    uint64_t last_delivered;  /* the last item's number before them */
    struct mo_cont_disc disc; /* what the last of them said */
};

/* No position yet. */
void mo_cont_init(struct mo_cont *c);

/* The first item after discontinuities; mo_cont_item's slow path. */
enum mo_cont_verdict mo_cont_item_after_discontinuity(struct mo_cont *c, uint64_t page, uint64_t seq,
                                                      struct mo_cont_step *ret);

/* One item (TopicItem) numbered (page, seq). Returns DELIVER, GAP, RESET or
 * DUPLICATE and fills *ret. Inline: it runs once per message, and inlined the
 * stores to *ret that the caller never reads go away. */
static inline enum mo_cont_verdict mo_cont_item(struct mo_cont *c, uint64_t page, uint64_t seq,
                                                struct mo_cont_step *ret)
{
    enum mo_cont_verdict v = MO_CONT_DELIVER;
    *ret = (struct mo_cont_step){0};
    if (__builtin_expect(c->after_discontinuity, 0))
        return mo_cont_item_after_discontinuity(c, page, seq, ret);
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
    c->page = page;
    c->seq = seq;
    return v;
}

/* One `_Discontinuity` (last_seq, new_page, new_seq). Returns ANNOUNCE,
 * DISCONTINUITY or DISCONTINUITY_AGAIN; *ret is all zero (what it means is
 * reported with the next item). */
enum mo_cont_verdict mo_cont_discontinuity(struct mo_cont *c, uint64_t last_seq, uint64_t new_page,
                                           uint64_t new_seq, struct mo_cont_step *ret);

/* The counted discontinuities no item has followed yet (0: none; then *ret
 * is all zero), with what the last said and the last item delivered before
 * them in *ret (lost 0: not known). */
uint64_t mo_cont_pending(const struct mo_cont *c, struct mo_cont_step *ret);

/* Where a new Subscribe call resumes: the page and the first sequence number
 * wanted. False, with (0, 0) ("new messages"), when nothing is known; true
 * otherwise, and (page, seq) is also the number the next item should carry
 * (the lower one after a discontinuity). */
bool mo_cont_resume_point(const struct mo_cont *c, uint64_t *ret_page, uint64_t *ret_seq);

/* True for the verdicts whose item is delivered (counted and measured). */
static inline bool mo_cont_delivers(enum mo_cont_verdict v)
{
    return v == MO_CONT_DELIVER || v == MO_CONT_GAP || v == MO_CONT_RESET;
}

/* How a resumed stream answered (src/proto/README.md §4: measured, not assumed). */
enum mo_cont_resume {
    MO_CONT_RESUME_EXACT,         /* its first item was the number asked for */
    MO_CONT_RESUME_REPEATED,      /* ... k numbers below it: k items sent again */
    MO_CONT_RESUME_SKIPPED,       /* ... k numbers above it: k items not sent */
    MO_CONT_RESUME_DISCONTINUITY, /* a discontinuity first, or an item on another page */
    MO_CONT_RESUME__COUNT
};

/* A stream that asked for (asked_page, asked_seq) and whose first item is
 * (page, seq); with `disc_first` a discontinuity came before that item.
 * *ret_k is how many numbers off it was (0 unless REPEATED or SKIPPED). */
enum mo_cont_resume mo_cont_resume_outcome(uint64_t asked_page, uint64_t asked_seq, bool disc_first,
                                           uint64_t page, uint64_t seq, uint64_t *ret_k);
const char *mo_cont_resume_name(enum mo_cont_resume r);

#endif
