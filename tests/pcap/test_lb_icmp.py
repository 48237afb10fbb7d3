#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
pcap fixture: ICMP errors about load-balanced connections are translated.

Services: web (nat) 192.0.2.100:443/tcp -> 192.0.2.11:4443, and web6
[2001:db8::100]:443/tcp -> [2001:db8::11]:4443.  Client 198.51.100.7
(off-link, via the gateway), 2001:db8:1::7 (via the IPv6 gateway).

Packets, in order:
 (1) SYN 198.51.100.7:40000 -> VIP:443 (creates the connection);
 (2) from the server's side, a router says "fragmentation needed, MTU
     1400" to the client, quoting the packet the dataplane sent
     (198.51.100.7:40000 -> 192.0.2.11:4443);
 (3) from the client's side, "port unreachable" to the VIP quoting the
     reply as the client saw it (VIP:443 -> 198.51.100.7:40000);
 (4) IPv6 SYN 2001:db8:1::7:40000 -> [2001:db8::100]:443;
 (5) "packet too big, MTU 1280" from the server to the client quoting
     2001:db8:1::7:40000 -> [2001:db8::11]:4443;
 (6) a "fragmentation needed" to the client quoting a connection that
     does not exist.
Checks: (2) leaves VIP -> client towards the gateway, quoting
client:40000 -> VIP:443, MTU kept, IPv4 and ICMP checksums valid;
(3) leaves client -> 192.0.2.11 to the server's MAC quoting
192.0.2.11:4443 -> client:40000; (5) leaves [VIP6] -> client quoting
client -> [VIP6]:443, MTU kept, ICMPv6 checksum valid; (6) is dropped as
icmp_error_unmatched; icmp_translated counts 3.
"""
import eptest
from eptest import GW_MAC, ICMP, IP, PORT_MAC, TCP, Ether, IPv6
from scapy.all import ICMPv6PacketTooBig, IPerror, IPerror6, TCPerror

RS, RS_MAC, RS6 = "192.0.2.11", "02:00:00:00:00:11", "2001:db8::11"
VIP, VIP6 = "192.0.2.100", "2001:db8::100"
CL, CL6 = "198.51.100.7", "2001:db8:1::7"
GW6 = "2001:db8::fe"


def body(t):
    dp = eptest.Dataplane("lb_icmp", profile_extra=[
        f"neighbor = {RS} {RS_MAC}", f"neighbor = {RS6} {RS_MAC}",
        f"gateway = {GW6}", f"neighbor = {GW6} {GW_MAC}", "",
        "[virtual_service web]", f"listen = {VIP}:443/tcp", f"real_server = {RS}:4443", "",
        "[virtual_service web6]", f"listen = [{VIP6}]:443/tcp", f"real_server = [{RS6}]:4443"])
    sent_to_rs = IP(src=CL, dst=RS, ttl=49) / TCP(sport=40000, dport=4443, flags="S", seq=1000)
    reply_seen = IP(src=VIP, dst=CL, ttl=60) / TCP(sport=443, dport=40000, flags="SA")
    unknown = IP(src=CL, dst=RS, ttl=49) / TCP(sport=40999, dport=4443, flags="S")
    frames = [
        Ether(dst=PORT_MAC, src=GW_MAC) / IP(src=CL, dst=VIP, ttl=50) /
        TCP(sport=40000, dport=443, flags="S", seq=1000),
        Ether(dst=PORT_MAC, src=RS_MAC) / IP(src="192.0.2.254", dst=CL) /
        ICMP(type=3, code=4, nexthopmtu=1400) / bytes(sent_to_rs)[:28],
        Ether(dst=PORT_MAC, src=GW_MAC) / IP(src=CL, dst=VIP) / ICMP(type=3, code=3) /
        bytes(reply_seen)[:28],
        Ether(dst=PORT_MAC, src=GW_MAC) / IPv6(src=CL6, dst=VIP6) /
        TCP(sport=40000, dport=443, flags="S", seq=1000),
        Ether(dst=PORT_MAC, src=RS_MAC) / IPv6(src=RS6, dst=CL6) / ICMPv6PacketTooBig(mtu=1280) /
        IPv6(src=CL6, dst=RS6) / TCP(sport=40000, dport=4443, flags="S", seq=1000),
        Ether(dst=PORT_MAC, src=RS_MAC) / IP(src="192.0.2.254", dst=CL) /
        ICMP(type=3, code=4, nexthopmtu=1400) / bytes(unknown)[:28],
    ]
    dp.write_input(frames)
    dp.start()
    dp.wait_settled(counters={"icmp_translated": 3}, drops={"icmp_error_unmatched": 1})
    s, d = dp.stats(), dp.drops()
    t.stopped_cleanly(dp)
    out = dp.output()

    frag = [p for p in out if ICMP in p and p[ICMP].type == 3 and p[ICMP].code == 4]
    t.equal(len(frag), 1, "fragmentation-needed errors passed on")
    if frag:
        p = frag[0]
        t.check(p[IP].src == VIP and p[IP].dst == CL, "(2) outer VIP -> client",
                f"{p[IP].src} -> {p[IP].dst}")
        t.check(eptest.mac_eq(p[Ether].dst, GW_MAC), "(2) towards the gateway", p[Ether].dst)
        q = p[IPerror]
        t.check(q.src == CL and q.dst == VIP and p[TCPerror].sport == 40000 and
                p[TCPerror].dport == 443, "(2) quotes client:40000 -> VIP:443",
                f"{q.src}:{p[TCPerror].sport} -> {q.dst}:{p[TCPerror].dport}")
        t.equal(p[ICMP].nexthopmtu, 1400, "(2) MTU kept")
        t.check(eptest.ipv4_csum_ok(p) and eptest.l4_csum_ok(p, ICMP), "(2) checksums valid")
        inner = IP(bytes(q))
        inner.chksum = None
        t.equal(IP(bytes(inner)).chksum, q.chksum, "(2) quoted IPv4 header checksum valid")

    unr = [p for p in out if ICMP in p and p[ICMP].type == 3 and p[ICMP].code == 3]
    t.equal(len(unr), 1, "port-unreachable errors passed on")
    if unr:
        p = unr[0]
        t.check(p[IP].src == CL and p[IP].dst == RS and eptest.mac_eq(p[Ether].dst, RS_MAC),
                "(3) outer client -> real server, server's MAC",
                f"{p[IP].src} -> {p[IP].dst} {p[Ether].dst}")
        t.check(p[IPerror].src == RS and p[IPerror].dst == CL and
                p[TCPerror].sport == 4443 and p[TCPerror].dport == 40000,
                "(3) quotes server:4443 -> client:40000")
        t.check(eptest.ipv4_csum_ok(p) and eptest.l4_csum_ok(p, ICMP), "(3) checksums valid")

    big = [p for p in out if ICMPv6PacketTooBig in p]
    t.equal(len(big), 1, "packet-too-big errors passed on")
    if big:
        p = big[0]
        t.check(p[IPv6].src == VIP6 and p[IPv6].dst == CL6, "(5) outer VIP6 -> client",
                f"{p[IPv6].src} -> {p[IPv6].dst}")
        t.check(p[IPerror6].src == CL6 and p[IPerror6].dst == VIP6 and
                p[TCPerror].dport == 443, "(5) quotes client -> VIP6:443")
        t.equal(p[ICMPv6PacketTooBig].mtu, 1280, "(5) MTU kept")
        t.check(eptest.l4_csum_ok(p, ICMPv6PacketTooBig, "cksum"), "(5) ICMPv6 checksum valid")
    t.equal(s["icmp_translated"], 3, "stats icmp_translated")
    t.equal(d["icmp_error_unmatched"], 1, "drops icmp_error_unmatched")


if __name__ == "__main__":
    eptest.main(body)
