#!/usr/bin/env python3
"""dns.py - the rig's resolver: answers A queries for NAME with ADDRESS, or,
while the file MODE holds "fail", SERVFAIL to every query.

    dns.py LISTEN_ADDRESS NAME ADDRESS MODE
"""
import socket
import struct
import sys

listen, name, address, mode_file = sys.argv[1:5]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((listen, 53))
want = name.rstrip(".").lower()


def qname(msg, off):
    labels = []
    while msg[off]:
        n = msg[off]
        labels.append(msg[off + 1:off + 1 + n].decode("ascii", "replace"))
        off += 1 + n
    return ".".join(labels).lower(), off + 1


while True:
    msg, peer = s.recvfrom(4096)
    if len(msg) < 12:
        continue
    qid, flags, qd = struct.unpack(">HHH", msg[:6])
    try:
        q, end = qname(msg, 12)
        qtype, = struct.unpack(">H", msg[end:end + 2])
    except (IndexError, struct.error):
        continue
    question = msg[12:end + 4]
    try:
        failing = open(mode_file).read().strip() == "fail"
    except OSError:
        failing = False
    rd = flags & 0x0100
    if failing:
        s.sendto(struct.pack(">HHHHHH", qid, 0x8000 | rd | 0x0080 | 2, 1, 0, 0, 0) + question, peer)
        continue
    answers = b""
    an = 0
    if q == want and qtype == 1:
        answers = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 5, 4) + socket.inet_aton(address)
        an = 1
    rcode = 0 if q == want else 3  # NXDOMAIN for any other name
    s.sendto(struct.pack(">HHHHHH", qid, 0x8400 | rd | 0x0080 | rcode, 1, an, 0, 0) + question + answers, peer)
