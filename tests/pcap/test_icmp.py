#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
pcap fixture: ICMP and ICMPv6 echo, next-hop choice and resolution, ND.

Packets, in this order in one input file:
 (1) ARP request who-has 192.0.2.1 tell 192.0.2.2 (02:00:00:00:00:02);
 (2) echo request 192.0.2.2 -> 192.0.2.1, id 0x1001, 64-byte payload;
 (3) echo request 198.51.100.7 (off-link) -> 192.0.2.1, id 0x1002,
     from an arbitrary MAC;
 (4) echo request 192.0.2.50 (on-link, never announced) -> 192.0.2.1,
     id 0x1003;
 (5) echo request 192.0.2.2 -> 192.0.2.1, id 0x1004, ICMP checksum wrong;
 (6) IPv6 NS for 2001:db8::1 from 2001:db8::2 with a source link-layer
     option, hop limit 255, to ff02::1:ff00:1 / 33:33:ff:00:00:01;
 (7) ICMPv6 echo request 2001:db8::2 -> 2001:db8::1, id 0x1006.
State: port ext 192.0.2.1/24, 2001:db8::1/64, gateway 192.0.2.254 with
the static neighbour 02:00:00:00:00:fe; 192.0.2.2 becomes known through
(1) and 2001:db8::2 through (6); 192.0.2.50 never answers.
Checks: (2) is answered to 192.0.2.2's MAC with TTL 64, valid IPv4 and
ICMP checksums (recomputed by scapy) and its payload intact; (3)'s reply
goes to the gateway's MAC; for (4) the dataplane asks who-has 192.0.2.50
(at most 3 times) and then drops the held reply as neigh_unresolved;
(5) is not answered and counted as icmp_bad_checksum; (6) gets one NA
for 2001:db8::1 with S and O set, the port MAC as target link-layer
address and a valid checksum; (7) gets an echo reply with a valid
checksum and hop limit 64.
"""
import eptest
from eptest import (ADDR4, ADDR6, GW_MAC, PORT_MAC, ARP, ICMP, IP, Ether,
                    ICMPv6EchoReply, ICMPv6EchoRequest, ICMPv6ND_NA, ICMPv6ND_NS,
                    ICMPv6NDOptDstLLAddr, ICMPv6NDOptSrcLLAddr, IPv6)

MAC2, IP2, IP6_2 = "02:00:00:00:00:02", "192.0.2.2", "2001:db8::2"
OFFLINK, OFFLINK_MAC = "198.51.100.7", "02:00:00:00:00:77"
SILENT, SILENT_MAC = "192.0.2.50", "02:00:00:00:00:50"
BCAST = "ff:ff:ff:ff:ff:ff"
PAYLOAD = bytes(range(64))
ID_ONLINK, ID_OFFLINK, ID_SILENT, ID_BADSUM, ID_V6 = 0x1001, 0x1002, 0x1003, 0x1004, 0x1006


def echo4(src, mac, ident, payload=PAYLOAD):
    return Ether(dst=PORT_MAC, src=mac) / IP(src=src, dst=ADDR4, ttl=61) / \
        ICMP(type=8, id=ident, seq=7) / payload


def bad_checksum(pkt):
    """pkt with its ICMP checksum off by one (never 0: that is 'none')."""
    good = Ether(bytes(pkt))[ICMP].chksum
    pkt[ICMP].chksum = (good + 1) & 0xffff or 1
    return pkt


def replies4(out, ident):
    return [p for p in out if IP in p and ICMP in p and p[ICMP].type == 0
            and p[ICMP].id == ident]


def check_echo4(t, r, dst, dst_mac, label):
    """The common checks of one IPv4 echo reply."""
    t.check(eptest.mac_eq(r[Ether].src, PORT_MAC) and eptest.mac_eq(r[Ether].dst, dst_mac),
            f"{label}: Ethernet {PORT_MAC} -> {dst_mac}",
            f"seen {r[Ether].src} -> {r[Ether].dst}")
    t.check(r[IP].src == ADDR4 and r[IP].dst == dst, f"{label}: IP {ADDR4} -> {dst}",
            f"seen {r[IP].src} -> {r[IP].dst}")
    t.equal(r[IP].ttl, 64, f"{label}: TTL")
    t.check(eptest.ipv4_csum_ok(r), f"{label}: IPv4 header checksum valid",
            f"0x{r[IP].chksum:04x}")
    t.check(eptest.l4_csum_ok(r, ICMP), f"{label}: ICMP checksum valid",
            f"0x{r[ICMP].chksum:04x}")
    t.check(r[ICMP].code == 0 and r[ICMP].seq == 7, f"{label}: code 0, seq kept",
            f"code {r[ICMP].code} seq {r[ICMP].seq}")
    t.check(bytes(r[ICMP].payload) == PAYLOAD, f"{label}: payload intact",
            f"{bytes(r[ICMP].payload)!r}")


def body(t):
    dp = eptest.Dataplane("icmp")
    # Packets.
    frames = [
        Ether(dst=BCAST, src=MAC2) / ARP(op=1, hwsrc=MAC2, psrc=IP2, pdst=ADDR4),
        echo4(IP2, MAC2, ID_ONLINK),
        echo4(OFFLINK, OFFLINK_MAC, ID_OFFLINK),
        echo4(SILENT, SILENT_MAC, ID_SILENT),
        bad_checksum(echo4(IP2, MAC2, ID_BADSUM)),
        Ether(dst="33:33:ff:00:00:01", src=MAC2) /
        IPv6(src=IP6_2, dst="ff02::1:ff00:1", hlim=255) /
        ICMPv6ND_NS(tgt=ADDR6) / ICMPv6NDOptSrcLLAddr(lladdr=MAC2),
        Ether(dst=PORT_MAC, src=MAC2) / IPv6(src=IP6_2, dst=ADDR6, hlim=60) /
        ICMPv6EchoRequest(id=ID_V6, seq=9, data=PAYLOAD),
    ]
    dp.write_input(frames)

    # State: the standard port; resolution of 192.0.2.50 gives up after
    # 3 requests 1 s apart, hence the longer wait.
    dp.start()
    dp.wait_settled(counters={"echo_replies": 4, "arp_replies": 1, "nd_replies": 1},
                    drops={"icmp_bad_checksum": 1, "neigh_unresolved": 1},
                    extra=lambda: dp.neigh()["unresolved"] >= 1,
                    what="neigh unresolved >= 1", timeout=10)
    s, d, n, dp_table = dp.stats(), dp.drops(), dp.neigh(), dp.neigh_table()
    t.stopped_cleanly(dp)
    out = dp.output()

    # Checks: on-link, after its ARP.
    r = replies4(out, ID_ONLINK)
    t.equal(len(r), 1, f"echo replies to on-link {IP2}")
    if r:
        check_echo4(t, r[0], IP2, MAC2, "on-link reply")

    # Off-link: via the gateway.
    r = replies4(out, ID_OFFLINK)
    t.equal(len(r), 1, f"echo replies to off-link {OFFLINK}")
    if r:
        check_echo4(t, r[0], OFFLINK, GW_MAC, "off-link reply (gateway MAC)")

    # Unresolved next hop.
    asks = [p for p in out if ARP in p and p[ARP].op == 1 and p[ARP].pdst == SILENT]
    t.check(1 <= len(asks) <= 3, f"1..3 ARP requests who-has {SILENT}",
            f"seen {len(asks)}")
    print(f"#   {len(asks)} ARP request(s) for {SILENT}")
    t.check(all(eptest.mac_eq(p[Ether].src, PORT_MAC) and eptest.mac_eq(p[Ether].dst, BCAST)
                and p[ARP].psrc == ADDR4 and eptest.mac_eq(p[ARP].hwsrc, PORT_MAC)
                for p in asks),
            f"ARP requests are broadcast, tell {ADDR4} from {PORT_MAC}",
            "; ".join(p.summary() for p in asks))
    t.equal(len(replies4(out, ID_SILENT)), 0, f"echo replies to {SILENT}")
    t.at_least(d["neigh_unresolved"], 1, "drops neigh_unresolved")
    t.at_least(n["unresolved"], 1, "neigh unresolved")
    table = dp_table
    t.check(not any(" 192.0.2.50 " in e for e in table),
            "the never-answered next hop 192.0.2.50 is removed from the table", table)
    t.at_least(n["requests"], len(asks), "neigh requests")

    # Bad checksum.
    t.equal(len(replies4(out, ID_BADSUM)), 0, "echo replies to the bad-checksum request")
    t.equal(d["icmp_bad_checksum"], 1, "drops icmp_bad_checksum")

    # Neighbour solicitation.
    na = [p for p in out if ICMPv6ND_NA in p and p[ICMPv6ND_NA].tgt == ADDR6]
    t.equal(len(na), 1, f"NAs for {ADDR6}")
    if na:
        p = na[0]
        t.check(eptest.mac_eq(p[Ether].src, PORT_MAC) and eptest.mac_eq(p[Ether].dst, MAC2),
                f"NA Ethernet {PORT_MAC} -> {MAC2}", f"seen {p[Ether].src} -> {p[Ether].dst}")
        t.check(p[IPv6].src == ADDR6 and p[IPv6].dst == IP6_2 and p[IPv6].hlim == 255,
                f"NA IPv6 {ADDR6} -> {IP6_2}, hop limit 255",
                f"seen {p[IPv6].src} -> {p[IPv6].dst} hlim {p[IPv6].hlim}")
        a = p[ICMPv6ND_NA]
        t.check(a.S == 1 and a.O == 1 and a.R == 0, "NA flags S and O set, R clear",
                f"R={a.R} S={a.S} O={a.O}")
        opt = p[ICMPv6NDOptDstLLAddr] if ICMPv6NDOptDstLLAddr in p else None
        t.check(opt is not None and eptest.mac_eq(opt.lladdr, PORT_MAC),
                f"NA target link-layer option = {PORT_MAC}",
                f"seen {opt.lladdr if opt is not None else 'no option'}")
        t.check(eptest.l4_csum_ok(p, ICMPv6ND_NA, "cksum"), "NA ICMPv6 checksum valid",
                f"0x{a.cksum:04x}")
    t.equal(s["nd_replies"], 1, "stats nd_replies")

    # ICMPv6 echo.
    r6 = [p for p in out if ICMPv6EchoReply in p and p[ICMPv6EchoReply].id == ID_V6]
    t.equal(len(r6), 1, f"ICMPv6 echo replies to {IP6_2}")
    if r6:
        p = r6[0]
        t.check(p[IPv6].src == ADDR6 and p[IPv6].dst == IP6_2 and p[IPv6].hlim == 64,
                f"ICMPv6 reply {ADDR6} -> {IP6_2}, hop limit 64",
                f"seen {p[IPv6].src} -> {p[IPv6].dst} hlim {p[IPv6].hlim}")
        t.check(eptest.mac_eq(p[Ether].dst, MAC2) and eptest.mac_eq(p[Ether].src, PORT_MAC),
                f"ICMPv6 reply Ethernet {PORT_MAC} -> {MAC2}",
                f"seen {p[Ether].src} -> {p[Ether].dst}")
        t.check(eptest.l4_csum_ok(p, ICMPv6EchoReply, "cksum"),
                "ICMPv6 echo reply checksum valid", f"0x{p[ICMPv6EchoReply].cksum:04x}")
        t.check(p[ICMPv6EchoReply].seq == 9 and p[ICMPv6EchoReply].data == PAYLOAD,
                "ICMPv6 echo reply seq and data intact", p.summary())
    t.equal(s["echo_replies"], 4, "stats echo_replies (3 IPv4 + 1 IPv6)")


if __name__ == "__main__":
    eptest.main(body)
