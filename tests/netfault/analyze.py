#!/usr/bin/env python3
"""analyze.py - one fault case of the rig, measured and judged.

    analyze.py --events DAEMON.out --ledger LEDGER --settled
        exit 0 once the daemon has logged the newest message the server took
    analyze.py --events DAEMON.out --ledger LEDGER --marks MARKS --case NAME
               [--detect-within S] [--recover-within S] [--expect-detect]
               [--expect-loss] [--cpu-ticks N --cpu-seconds S] [--rss-kb A B]
        prints one JSON line (case, sent, received, gaps, lost, duplicates,
        detection_s, recovery_s, ...) and exits 1, naming what failed, when
        a bound or the ledger does not hold.

The ledger: what the server took (its `published` lines for c/t) must be
what the daemon counted, each once: the summaries' count (delivered, copies
left out) + gaps + lost (discontinuities) = published, and the message
events name each sequence number once, none the server never took.
Detection: from the mark fault_start to the daemon's first warning after it.
Recovery: from the mark fault_end to the first message event after it.
"""
import argparse
import json
import sys
from datetime import datetime


def utc_seconds(ts):
    d = datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ")
    epoch = datetime(1970, 1, 1)
    return (d - epoch).total_seconds()


def read_events(path):
    out = []
    with open(path, errors="replace") as f:
        for line in f:
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
    return out


def read_ledger(path):
    seqs = []
    with open(path, errors="replace") as f:
        for line in f:
            p = line.split(" ", 4)
            if len(p) >= 4 and p[0] == "published" and p[1] == "c" and p[2] == "t":
                seqs.append(int(p[3]))
    return seqs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", required=True)
    ap.add_argument("--ledger", required=True)
    ap.add_argument("--marks")
    ap.add_argument("--case", default="?")
    ap.add_argument("--settled", action="store_true")
    ap.add_argument("--detect-within", type=float)
    ap.add_argument("--recover-within", type=float)
    ap.add_argument("--expect-detect", action="store_true")
    ap.add_argument("--expect-loss", action="store_true")
    ap.add_argument("--cpu-ticks", type=float)
    ap.add_argument("--cpu-seconds", type=float)
    ap.add_argument("--rss-kb", type=int, nargs=2)
    ap.add_argument("--no-messages", action="store_true",
                    help="the daemon logged no message events (messages: none): the ledger "
                         "from the summaries only")
    ap.add_argument("--fresh", action="store_true",
                    help="the daemon subscribed for the first time during the run: what the "
                         "server took before its first message is not its to receive")
    ap.add_argument("--max-attempts", type=int, nargs=2, metavar=("N", "SECONDS"))
    a = ap.parse_args()

    events = read_events(a.events)
    published = read_ledger(a.ledger)
    msgs = [e for e in events if e.get("event") == "message" and e.get("cache") == "c"]
    seqs = [e["seq"] for e in msgs]
    if a.settled:
        return 0 if published and max(published) in set(seqs) else 1

    marks = {}
    with open(a.marks) as f:
        for line in f:
            k, v = line.split()
            marks[k] = float(v)
    sums = {"count": 0, "gaps": 0, "lost": 0, "duplicates": 0, "discontinuities": 0,
            "reconnects": 0}
    for e in events:
        if e.get("event") == "summary" and e.get("cache") == "c":
            for k in sums:
                sums[k] += int(e.get(k, 0))
    failures = []
    if a.fresh and seqs:
        published = [q for q in published if q >= min(seqs)]
    pub = set(published)
    if len(pub) != len(published):
        failures.append("the ledger names a sequence number twice")
    dup_logged = len(seqs) - len(set(seqs))
    if dup_logged:
        failures.append("%d messages logged twice" % dup_logged)
    foreign = set(seqs) - pub
    if foreign:
        failures.append("messages the server never took: %s" % sorted(foreign)[:5])
    if not a.no_messages and sums["count"] != len(set(seqs)):
        failures.append("summary count %d but %d messages logged" % (sums["count"], len(set(seqs))))
    accounted = sums["count"] + sums["gaps"] + sums["lost"]
    if accounted != len(pub):
        failures.append("ledger: %d published, %d counted (received %d + gaps %d + lost %d)" %
                        (len(pub), accounted, sums["count"], sums["gaps"], sums["lost"]))
    if not a.expect_loss and sums["gaps"] + sums["lost"]:
        failures.append("%d messages lost where none should be" % (sums["gaps"] + sums["lost"]))

    r = {"case": a.case, "sent": len(pub), "received": sums["count"], "gaps": sums["gaps"],
         "lost": sums["lost"], "duplicates_dropped": sums["duplicates"],
         "discontinuities": sums["discontinuities"], "reconnects": sums["reconnects"]}
    start, end = marks.get("fault_start"), marks.get("fault_end")
    det = None
    if start is not None:
        for e in events:
            if e.get("level") in ("warning", "error") and "ts" in e and \
                    e.get("event") not in ("clock_unsynced",) and utc_seconds(e["ts"]) >= start:
                det = utc_seconds(e["ts"]) - start
                r["detected_by"] = e["event"]
                break
    r["detection_s"] = None if det is None else round(det, 2)
    if a.expect_detect and det is None:
        failures.append("no warning after the fault began")
    if det is not None and a.detect_within is not None and det > a.detect_within:
        failures.append("detected after %.2f s (bound %.1f s)" % (det, a.detect_within))
    rec = None
    if end is not None:
        for e in msgs:
            if utc_seconds(e["ts"]) >= end:
                rec = utc_seconds(e["ts"]) - end
                break
    r["recovery_s"] = None if rec is None else round(rec, 2)
    if end is not None and rec is None:
        failures.append("no message after the fault ended")
    if rec is not None and a.recover_within is not None and rec > a.recover_within:
        failures.append("recovered after %.2f s (bound %.1f s)" % (rec, a.recover_within))
    if a.cpu_ticks is not None and a.cpu_seconds:
        share = a.cpu_ticks / 100.0 / a.cpu_seconds
        r["cpu_during_fault"] = round(share, 4)
        if share >= 0.10:
            failures.append("%.1f%% of a core while the fault lasted" % (share * 100))
    if a.rss_kb:
        r["rss_kb"] = a.rss_kb
        if a.rss_kb[1] - a.rss_kb[0] > 16 * 1024:
            failures.append("RSS grew from %d to %d kB" % tuple(a.rss_kb))
    if a.max_attempts and start is not None:
        n, secs = a.max_attempts
        tries = [e for e in events if e.get("event") == "resubscribing" and
                 start <= utc_seconds(e["ts"]) < start + secs]
        r["attempts"] = len(tries)
        if len(tries) > n:
            failures.append("%d attempts in %d s (at most %d)" % (len(tries), secs, n))
    r["failures"] = failures
    print(json.dumps(r))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
