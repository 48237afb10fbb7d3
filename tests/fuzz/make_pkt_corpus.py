#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write the seed frames of the pkt_parse fuzz corpus (tests/fuzz/corpus/pkt).

One well-formed frame per protocol path pkt_parse() knows, plus a few
malformed ones next to each limit, so the fuzzer starts from every branch.
Checksums are correct where there is one, so the checksum code runs over
real data too.  Run once; the output is checked in:

    python3 tests/fuzz/make_pkt_corpus.py tests/fuzz/corpus/pkt
"""
import os
import struct
import sys

MAC_DST = bytes.fromhex("020000000001")
MAC_SRC = bytes.fromhex("020000000002")
IP4_SRC = bytes([192, 0, 2, 1])
IP4_DST = bytes([198, 51, 100, 7])
IP6_SRC = bytes.fromhex("20010db8000000000000000000000001")
IP6_DST = bytes.fromhex("20010db80000000000000000000000ab")

TCP, UDP, ICMP, ICMP6 = 6, 17, 1, 58
HOPOPTS, ROUTING, FRAGMENT, ESP, AH, NONE, DSTOPTS = 0, 43, 44, 50, 51, 59, 60


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def eth(ethertype, payload, tags=()):
    hdr = MAC_DST + MAC_SRC
    for tpid, tci in tags:
        hdr += struct.pack("!HH", tpid, tci)
    frame = hdr + struct.pack("!H", ethertype) + payload
    return frame + b"\0" * max(0, 60 - len(frame))


def ipv4(proto, l4, opts=b"", frag=0x4000, src=IP4_SRC, dst=IP4_DST):
    ihl = 5 + len(opts) // 4
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, ihl * 4 + len(l4), 0x1234, frag,
                      64, proto, 0, src, dst) + opts
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + l4


def l4_v4(proto, seg, off):
    pseudo = IP4_SRC + IP4_DST + struct.pack("!BBH", 0, proto, len(seg))
    c = csum(pseudo + seg) or (0xFFFF if proto == UDP else 0)
    return seg[:off] + struct.pack("!H", c) + seg[off + 2:]


def l4_v6(proto, seg, off):
    pseudo = IP6_SRC + IP6_DST + struct.pack("!I3xB", len(seg), proto)
    c = csum(pseudo + seg) or (0xFFFF if proto == UDP else 0)
    return seg[:off] + struct.pack("!H", c) + seg[off + 2:]


def tcp(sport, dport, flags=0x02, opts=b"", payload=b""):
    doff = (20 + len(opts)) // 4
    return struct.pack("!HHIIBBHHH", sport, dport, 1000, 0, doff << 4, flags, 65535,
                       0, 0) + opts + payload


def udp(sport, dport, payload=b""):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def icmp(typ, code, ident=0, seq=0, payload=b""):
    return struct.pack("!BBHHH", typ, code, 0, ident, seq) + payload


def ipv6(nh, payload):
    return struct.pack("!IHBB", 0x60000000, len(payload), nh, 64) + IP6_SRC + IP6_DST + payload


def ext6(nh, length=8):
    """Hop-by-Hop / Routing / Destination Options header, padded with PadN."""
    return struct.pack("!BBBB", nh, length // 8 - 1, 1, length - 4) + b"\0" * (length - 4)


def frag6(nh, offset8, more):
    return struct.pack("!BBHI", nh, 0, offset8 << 3 | int(more), 0xCAFE0001)


def ah6(nh):
    return struct.pack("!BBHII", nh, 4, 0, 0x100, 1) + b"\x5a" * 12


def arp(op, hlen=6, plen=4):
    return struct.pack("!HHBBH", 1, 0x0800, hlen, plen, op) + MAC_SRC + IP4_SRC + \
        b"\0" * 6 + IP4_DST


TCP_OPTS = bytes([2, 4, 0x05, 0xB4, 4, 2, 1, 3, 3, 7, 1, 1])  # MSS, SACK-perm, WS
RR_OPT = bytes([1, 1, 7, 11, 4]) + b"\0" * 8 + bytes([0, 0, 0])  # NOP NOP RR EOL


def seeds():
    v4tcp = l4_v4(TCP, tcp(40000, 443, 0x02, TCP_OPTS), 16)
    v4udp = l4_v4(UDP, udp(5004, 3478, b"\xab" * 20), 6)
    v4icmp = icmp(8, 0, 0x4242, 1, b"\xcd" * 16)
    v4icmp = v4icmp[:2] + struct.pack("!H", csum(v4icmp)) + v4icmp[4:]
    v6tcp = l4_v6(TCP, tcp(179, 30000, 0x12), 16)
    v6udp = l4_v6(UDP, udp(443, 61000, b"q" * 24), 6)
    echo6 = l4_v6(ICMP6, icmp(128, 0, 0x0BAD, 1, b"ping"), 2)
    ns6 = l4_v6(ICMP6, struct.pack("!BBHI", 135, 0, 0, 0) + IP6_DST, 2)
    big_udp = udp(4000, 4001, b"\xee" * 24)
    big_udp = big_udp[:4] + struct.pack("!H", 1000) + big_udp[6:]

    yield "arp-request", eth(0x0806, arp(1))
    yield "arp-reply", eth(0x0806, arp(2))
    yield "arp-bad-hlen", eth(0x0806, arp(1, hlen=8))
    yield "ipv4-tcp-syn", eth(0x0800, ipv4(TCP, v4tcp))
    yield "ipv4-udp", eth(0x0800, ipv4(UDP, v4udp))
    yield "ipv4-icmp-echo", eth(0x0800, ipv4(ICMP, v4icmp))
    yield "ipv4-icmp-unreach", eth(0x0800, ipv4(ICMP, icmp(3, 4, 0, 1500) + ipv4(UDP, udp(1, 2))))
    yield "ipv4-opts-rr-udp", eth(0x0800, ipv4(UDP, udp(53, 53, b"dns"), opts=RR_OPT))
    yield "ipv4-opts-ra-tcp", eth(0x0800, ipv4(TCP, tcp(1, 2), opts=bytes([0x94, 4, 0, 0])))
    yield "ipv4-frag-first", eth(0x0800, ipv4(UDP, big_udp, frag=0x2000))
    yield "ipv4-frag-middle", eth(0x0800, ipv4(UDP, b"\xee" * 32, frag=0x2000 | 4))
    yield "ipv4-frag-last", eth(0x0800, ipv4(TCP, b"\xee" * 16, frag=8))
    yield "ipv4-gre", eth(0x0800, ipv4(47, b"\0\0\x08\0"))
    yield "ipv4-bad-opt-len1", eth(0x0800, ipv4(UDP, udp(1, 2), opts=bytes([0x94, 1, 0, 0])))
    yield "ipv4-ihl4", eth(0x0800, b"\x44" + ipv4(TCP, tcp(1, 2))[1:])
    yield "vlan-ipv4-udp", eth(0x0800, ipv4(UDP, v4udp), tags=[(0x8100, 100)])
    yield "qinq-ipv6-tcp", eth(0x86DD, ipv6(TCP, v6tcp), tags=[(0x88A8, 10), (0x8100, 200)])
    yield "vlan-3-tags", eth(0x0800, ipv4(UDP, v4udp),
                             tags=[(0x88A8, 1), (0x8100, 2), (0x8100, 3)])
    yield "ipv6-tcp", eth(0x86DD, ipv6(TCP, v6tcp))
    yield "ipv6-udp", eth(0x86DD, ipv6(UDP, v6udp))
    yield "ipv6-icmp6-echo", eth(0x86DD, ipv6(ICMP6, echo6))
    yield "ipv6-icmp6-ns", eth(0x86DD, ipv6(ICMP6, ns6))
    yield "ipv6-hbh-rt-dst-tcp", eth(0x86DD, ipv6(HOPOPTS, ext6(ROUTING) + ext6(DSTOPTS, 24) +
                                                  ext6(TCP, 16) + tcp(179, 30000)))
    yield "ipv6-ah-udp", eth(0x86DD, ipv6(AH, ah6(UDP) + udp(500, 500, b"ike")))
    yield "ipv6-frag-first-udp", eth(0x86DD, ipv6(FRAGMENT, frag6(UDP, 0, True) + big_udp))
    yield "ipv6-frag-later", eth(0x86DD, ipv6(HOPOPTS, ext6(FRAGMENT) + frag6(UDP, 185, False) +
                                              b"\xee" * 40))
    yield "ipv6-frag-atomic-icmp6", eth(0x86DD, ipv6(FRAGMENT, frag6(ICMP6, 0, False) + echo6))
    yield "ipv6-esp", eth(0x86DD, ipv6(DSTOPTS, ext6(ESP) + b"\x77" * 32))
    yield "ipv6-no-next", eth(0x86DD, ipv6(NONE, b""))
    chain = b"".join(ext6(DSTOPTS if i < 8 else UDP) for i in range(9)) + udp(1, 2)
    yield "ipv6-9-ext", eth(0x86DD, ipv6(DSTOPTS, chain))
    yield "lldp", eth(0x88CC, b"\x02\x07\x04" + MAC_SRC + b"\0\0")


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "corpus", "pkt")
    os.makedirs(out, exist_ok=True)
    for name, frame in seeds():
        with open(os.path.join(out, name), "wb") as f:
            f.write(frame)


if __name__ == "__main__":
    main()
