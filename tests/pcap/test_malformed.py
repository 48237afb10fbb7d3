#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
pcap fixture: malformed frames are counted under the exact parse check
they fail, and nothing else happens.

Packets (all to the port MAC and, where there is an IP header, to
192.0.2.1, built byte by byte): an Ethernet frame cut to 10 bytes; IPv4
with IHL 0, with IHL 4, with a total length larger than the frame, with
a total length smaller than the header, with an option of length 0,
with an option running past the header, with version 5; TCP with data
offset 2; TCP and UDP headers cut short by the IP length; UDP length
larger than the datagram and smaller than its header; IPv6 with a
payload length larger than the frame, with version 4, with a cut
hop-by-hop header; ICMP and ICMPv6 cut short by the IP length; three
VLAN tags; a VLAN tag cut short; ARP with hlen 5; then six valid frames
(ARP request, ICMP echo, TCP SYN, UDP, ICMPv6 echo, VLAN-tagged echo)
each cut at several offsets.  Last: one valid echo request from
198.51.100.9.
State: the standard port (192.0.2.1/24, gateway 192.0.2.254 known
statically, so the valid echo needs no resolution).
Checks: every parse_* drop counter equals the number of frames that
must fail that check (the rest stay 0, and no other drop reason moves);
the dataplane is still running and answering telemetry; the final echo
request is answered, and nothing else is.
"""
import struct

import eptest
from eptest import ADDR4, GW_MAC, PORT_MAC, ICMP, IP, Ether

SRC_MAC = bytes.fromhex("020000000042")
DST_MAC = bytes.fromhex(PORT_MAC.replace(":", ""))
SRC4, DST4 = bytes([192, 0, 2, 66]), bytes([192, 0, 2, 1])
SRC6 = bytes.fromhex("20010db8000000000000000000000042")
DST6 = bytes.fromhex("20010db8000000000000000000000001")
ETH_IPV4, ETH_IPV6, ETH_ARP, ETH_VLAN, ETH_QINQ = 0x0800, 0x86dd, 0x0806, 0x8100, 0x88a8
VALID_SRC, VALID_ID = "198.51.100.9", 0x7777


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f"!{len(b) // 2}H", b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def eth(etype, payload, tags=()):
    """Ethernet header, then one 4-byte tag per (tpid, tci) in tags."""
    h = DST_MAC + SRC_MAC
    if tags:
        h += struct.pack("!H", tags[0][0])
        for i, (_, tci) in enumerate(tags):
            nxt = tags[i + 1][0] if i + 1 < len(tags) else etype
            h += struct.pack("!HH", tci, nxt)
        return h + payload
    return h + struct.pack("!H", etype) + payload


def ipv4(proto, l4, ihl=5, total=None, opts=b"", version=4):
    """IPv4 header + l4; total length and options as given, checksum valid
    over the 20 bytes plus options actually written."""
    total = 20 + len(opts) + len(l4) if total is None else total
    h = struct.pack("!BBHHHBBH4s4s", (version << 4) | ihl, 0, total, 1, 0, 64, proto, 0,
                    SRC4, DST4) + opts
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + l4


def ipv6(nh, l4, plen=None, version=6):
    plen = len(l4) if plen is None else plen
    return struct.pack("!IHBB16s16s", version << 28, plen, nh, 64, SRC6, DST6) + l4


def icmp_echo(payload=b"x" * 16, typ=8):
    h = struct.pack("!BBHHH", typ, 0, 0, 0x4242, 1) + payload
    return h[:2] + struct.pack("!H", csum(h)) + h[4:]


def tcp(doff=5, flags=0x02):
    return struct.pack("!HHIIBBHHH", 40000, 22, 1000, 0, doff << 4, flags, 65535, 0, 0) + \
        b"\0" * (doff * 4 - 20 if doff > 5 else 0)


def udp(payload=b"u" * 12, length=None):
    length = 8 + len(payload) if length is None else length
    return struct.pack("!HHHH", 40000, 5060, length, 0) + payload


def arp(hlen=6, plen=4, op=1):
    sha, tha = SRC_MAC[:hlen].ljust(hlen, b"\0"), b"\0" * hlen
    return struct.pack("!HHBBH", 1, 0x0800, hlen, plen, op) + sha + SRC4[:plen] + tha + \
        DST4[:plen]


# Frames that fail one check each: (what, frame, parse error name).
BAD = [
    ("Ethernet cut to 10 bytes", eth(ETH_IPV4, ipv4(1, icmp_echo()))[:10], "eth_truncated"),
    ("IPv4 IHL 0", eth(ETH_IPV4, ipv4(1, icmp_echo(), ihl=0)), "ipv4_bad_ihl"),
    ("IPv4 IHL 4", eth(ETH_IPV4, ipv4(1, icmp_echo(), ihl=4)), "ipv4_bad_ihl"),
    ("IPv4 total length > frame", eth(ETH_IPV4, ipv4(1, icmp_echo(), total=20 + 24 + 100)),
     "ipv4_bad_total_length"),
    ("IPv4 total length < IHL", eth(ETH_IPV4, ipv4(1, icmp_echo(), total=16)),
     "ipv4_bad_total_length"),
    ("IPv4 option of length 0", eth(ETH_IPV4, ipv4(1, icmp_echo(), ihl=6,
                                                    opts=b"\x07\x00\x00\x00")),
     "ipv4_bad_options"),
    ("IPv4 option past the header", eth(ETH_IPV4, ipv4(1, icmp_echo(), ihl=6,
                                                        opts=b"\x01\x01\x07\x08")),
     "ipv4_bad_options"),
    ("IPv4 version 5", eth(ETH_IPV4, ipv4(1, icmp_echo(), version=5)), "ipv4_bad_version"),
    ("TCP data offset 2", eth(ETH_IPV4, ipv4(6, tcp(doff=2))), "tcp_bad_data_offset"),
    ("TCP header cut by the IP length (10 bytes)", eth(ETH_IPV4, ipv4(6, tcp()[:10])),
     "tcp_truncated"),
    ("UDP length > datagram", eth(ETH_IPV4, ipv4(17, udp(length=8 + 12 + 100))),
     "udp_bad_length"),
    ("UDP length < 8", eth(ETH_IPV4, ipv4(17, udp(length=4))), "udp_bad_length"),
    ("UDP header cut by the IP length (4 bytes)", eth(ETH_IPV4, ipv4(17, udp()[:4])),
     "udp_truncated"),
    ("ICMP cut by the IP length (3 bytes)", eth(ETH_IPV4, ipv4(1, icmp_echo()[:3])),
     "icmp_truncated"),
    ("IPv6 payload length > frame", eth(ETH_IPV6, ipv6(58, icmp_echo(typ=128), plen=124)),
     "ipv6_bad_payload_length"),
    ("IPv6 version 4", eth(ETH_IPV6, ipv6(58, icmp_echo(typ=128), version=4)),
     "ipv6_bad_version"),
    ("IPv6 hop-by-hop header cut (4 of 8 bytes)", eth(ETH_IPV6, ipv6(0, b"\x3a\x00\x01\x02")),
     "ipv6_ext_truncated"),
    ("ICMPv6 cut by the payload length (3 bytes)",
     eth(ETH_IPV6, ipv6(58, icmp_echo(typ=128)[:3])), "icmp6_truncated"),
    ("three VLAN tags", eth(ETH_IPV4, ipv4(1, icmp_echo()),
                            tags=((ETH_QINQ, 10), (ETH_VLAN, 20), (ETH_VLAN, 30))),
     "vlan_too_many"),
    ("VLAN tag cut short", eth(ETH_IPV4, b"", tags=((ETH_VLAN, 10),))[:16], "vlan_truncated"),
    ("ARP with hlen 5", eth(ETH_ARP, arp(hlen=5)), "arp_bad_format"),
]

# Valid frames, cut at several offsets.  (what, frame, L2 length, L3 kind,
# L3 header length): what a cut at n must fail follows from where n falls.
VALID = [
    ("ARP request", eth(ETH_ARP, arp()), 14, "arp", 28),
    ("ICMP echo", eth(ETH_IPV4, ipv4(1, icmp_echo())), 14, "ipv4", 20),
    ("TCP SYN", eth(ETH_IPV4, ipv4(6, tcp())), 14, "ipv4", 20),
    ("UDP", eth(ETH_IPV4, ipv4(17, udp())), 14, "ipv4", 20),
    ("ICMPv6 echo", eth(ETH_IPV6, ipv6(58, icmp_echo(typ=128))), 14, "ipv6", 40),
    ("VLAN ICMP echo", eth(ETH_IPV4, ipv4(1, icmp_echo()), tags=((ETH_VLAN, 5),)), 18,
     "ipv4", 20),
]


def cut_reason(n, l2, kind, l3h):
    """The check a valid frame cut to n bytes fails: Ethernet header, VLAN
    tags, then the L3 header; past a complete IP header, the IP length
    field claims more than the frame holds."""
    if n < 14:
        return "eth_truncated"
    if n < l2:
        return "vlan_truncated"
    if kind == "arp":
        return "arp_truncated"
    if n < l2 + l3h:
        return f"{kind}_truncated"
    return "ipv4_bad_total_length" if kind == "ipv4" else "ipv6_bad_payload_length"


def cuts():
    out = []
    for what, fr, l2, kind, l3h in VALID:
        offsets = sorted({1, 6, 13, 14, 15, l2, l2 + 1, l2 + l3h - 1, l2 + l3h, l2 + l3h + 1,
                          len(fr) - 1})
        for n in offsets:
            if 0 < n < len(fr):
                out.append((f"{what} cut to {n} bytes", fr[:n], cut_reason(n, l2, kind, l3h)))
    return out


def body(t):
    dp = eptest.Dataplane("malformed")
    # Packets: the bad ones, then one valid echo request.
    bad = BAD + cuts()
    valid = Ether(dst=PORT_MAC, src="02:00:00:00:00:09") / IP(src=VALID_SRC, dst=ADDR4) / \
        ICMP(type=8, id=VALID_ID, seq=1) / b"still-alive"
    dp.write_input([fr for _, fr, _ in bad] + [valid])
    expected = {}
    for _, _, reason in bad:
        expected["parse_" + reason] = expected.get("parse_" + reason, 0) + 1
    print(f"# {len(bad)} malformed frames, then 1 valid echo request")

    # State: the standard port.  Frames are processed in order on one
    # queue, so once the last one is answered all were seen.
    dp.start()
    dp.wait_settled(counters={"echo_replies": 1})
    s, d = dp.stats(), dp.drops()

    # Checks: each parse check's counter.
    for reason in sorted(expected):
        t.equal(d.get(reason), expected[reason], f"drops {reason}")
    others = {k: v for k, v in d.items() if k.startswith("parse_") and k not in expected and v}
    t.check(not others, "no other parse_* counter moved", f"seen {others}")
    non_parse = {k: v for k, v in d.items() if not k.startswith("parse_") and v}
    t.check(not non_parse, "no other drop reason moved", f"seen {non_parse}")
    t.equal(s["drops"], len(bad), "stats drops (one per malformed frame)")

    # Still up.
    t.check(dp.alive(), "dataplane still running after the malformed frames")
    t.check(dp.stats() is not None, "telemetry still answers")
    t.stopped_cleanly(dp)

    # The valid echo request after them is answered, and nothing else is.
    out = dp.output()
    replies = [p for p in out if IP in p and ICMP in p and p[ICMP].type == 0]
    t.equal(len(replies), 1, "echo replies in the output")
    if replies:
        r = replies[0]
        t.check(r[IP].dst == VALID_SRC and r[ICMP].id == VALID_ID and
                eptest.mac_eq(r[Ether].dst, GW_MAC),
                f"the reply answers the valid request ({VALID_SRC}, via the gateway)",
                r.summary())
        t.check(eptest.ipv4_csum_ok(r) and eptest.l4_csum_ok(r, ICMP),
                "the reply's checksums are valid")
    t.equal(s["arp_replies"] + s["nd_replies"], 0, "ARP/ND replies (none for cut frames)")
    t.equal(s["punted"], 0, "punted (no malformed frame reaches the kernel)")


if __name__ == "__main__":
    eptest.main(body)
