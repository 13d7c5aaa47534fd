/* outlog.h - the events the log output logs about itself, each said once.
 *
 * The journal failed and the writer went on to standard output, then came
 * back (sink.h): `log_fallback` and `log_restored`, one for each change the
 * writer noted, said by the loop when it next goes idle. An event had more
 * fields than it holds (event.h): `fields_dropped`, the first time for its
 * type. Loop thread only; the events go out through mo_event_emit.
 *
 *   mo_outlog_reset          a new sink: nothing is pending
 *   mo_outlog_journal_news   the writer noted a change not said yet (cheap)
 *   mo_outlog_journal        say the changes noted since the last call
 *   mo_outlog_fields_dropped an event lost fields: said once per type
 */
#ifndef MO_OUTLOG_H
#define MO_OUTLOG_H

#include <stdbool.h>

#include "log/event.h"

void mo_outlog_reset(void);
bool mo_outlog_journal_news(void);
void mo_outlog_journal(void);
void mo_outlog_fields_dropped(const struct mo_event *e);

#endif
