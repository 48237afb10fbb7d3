#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
pcap fixture: the load balancer's fullnat and dsr modes, and a UDP
datagram without a checksum through nat.

Services:
  fweb   192.0.2.102:443/tcp fullnat, snat_pool 192.0.2.200-192.0.2.203
         -> 192.0.2.21:8443
  fdns   192.0.2.102:53/udp fullnat, snat_pool 192.0.2.210-192.0.2.210
         -> 192.0.2.22:5353
  fweb6  [2001:db8::102]:443/tcp fullnat, snat_pool
         2001:db8::200-2001:db8::203 -> [2001:db8::21]:8443
  dweb   192.0.2.103:80/tcp dsr -> 192.0.2.31 (no port: the VIP's)
  dweb6  [2001:db8::103]:80/tcp dsr -> [2001:db8::31]:80
  sip    192.0.2.104:5060/udp nat -> 192.0.2.41:5070
Real servers are static neighbours; the IPv6 gateway is 2001:db8::fe.
Clients 198.51.100.9 and 2001:db8:1::9 (off-link, via the gateways).

The input is a named pipe written in two phases (eptest.PhasedDataplane),
because the replies of a fullnat connection go to a source address and
port the dataplane picks.
Phase 1: SYN 198.51.100.9:41000 -> fweb, UDP 198.51.100.9:42000 -> fdns,
SYN 2001:db8:1::9:41000 -> fweb6; SYN and ACK 198.51.100.9:43000 ->
dweb, and the same over IPv6 to dweb6; UDP 198.51.100.9:44000 -> sip
with checksum 0 and the server's answer 192.0.2.41:5070 -> client, also
with checksum 0; ARP who-has 192.0.2.201 (an SNAT address) and an IPv6
neighbour solicitation for 2001:db8::201, from the real server; a SYN to
192.0.2.200:5555 (an SNAT address, no connection).
Phase 2, built from what phase 1 sent out: the servers' SYN-ACK (TCP)
and answer (UDP) to the SNAT address and port they were sent from, then
the client's ACK and the server's data for fweb.
Checks: each fullnat forward packet leaves as SNAT:P -> server:port with
SNAT in the service's pool and P in worker 0's slice [1024, 65536) (one
worker), the server's MAC, TTL / hop limit -1, valid checksums, and
otherwise byte for byte the client's packet; the later fweb packets use
the same SNAT:P; the replies leave as VIP:port -> client:port to the
gateway's MAC, byte for byte as built by scapy; the ARP request is
answered is-at the port's MAC, the NS with an NA for 2001:db8::201; the
SYN to the SNAT address is dropped (not_local) and does not leave; dsr
packets leave with the server's MAC as destination and the port's as
source and not one byte of IP and TCP changed (TTL included); the sip
datagram and its answer leave translated with their UDP checksum still 0
and a valid IPv4 header checksum.
"""
import eptest
from eptest import (ARP, GW_MAC, IP, PORT_MAC, TCP, UDP, Ether, ICMPv6ND_NA, ICMPv6ND_NS,
                    ICMPv6NDOptDstLLAddr, ICMPv6NDOptSrcLLAddr, IPv6)

VIP_F, VIP_F6, VIP_D, VIP_D6, VIP_S = ("192.0.2.102", "2001:db8::102", "192.0.2.103",
                                       "2001:db8::103", "192.0.2.104")
RS_F, RS_FU, RS_F6, RS_D, RS_D6, RS_S = ("192.0.2.21", "192.0.2.22", "2001:db8::21",
                                         "192.0.2.31", "2001:db8::31", "192.0.2.41")
MAC = {RS_F: "02:00:00:00:00:21", RS_FU: "02:00:00:00:00:22", RS_F6: "02:00:00:00:06:21",
       RS_D: "02:00:00:00:00:31", RS_D6: "02:00:00:00:06:31", RS_S: "02:00:00:00:00:41"}
POOL = [f"192.0.2.{200 + i}" for i in range(4)]
POOL_U = ["192.0.2.210"]
POOL6 = [f"2001:db8::{200 + i}" for i in range(4)]
GW6, GW6_MAC = "2001:db8::fe", "02:00:00:00:06:fe"
CL, CL6 = "198.51.100.9", "2001:db8:1::9"
SNAT_LO, SNAT_HI = 1024, 65536  # one worker: the whole range

PROFILE = [f"neighbor = {a} {m}" for a, m in MAC.items()] + [
    f"gateway = {GW6}", f"neighbor = {GW6} {GW6_MAC}", "",
    "[virtual_service fweb]", f"listen = {VIP_F}:443/tcp", "forwarding = fullnat",
    f"snat_pool = {POOL[0]}-{POOL[-1]}", f"real_server = {RS_F}:8443", "",
    "[virtual_service fdns]", f"listen = {VIP_F}:53/udp", "forwarding = fullnat",
    f"snat_pool = {POOL_U[0]}-{POOL_U[-1]}", f"real_server = {RS_FU}:5353", "",
    "[virtual_service fweb6]", f"listen = [{VIP_F6}]:443/tcp", "forwarding = fullnat",
    f"snat_pool = {POOL6[0]}-{POOL6[-1]}", f"real_server = [{RS_F6}]:8443", "",
    "[virtual_service dweb]", f"listen = {VIP_D}:80/tcp", "forwarding = dsr",
    f"real_server = {RS_D}", "",
    "[virtual_service dweb6]", f"listen = [{VIP_D6}]:80/tcp", "forwarding = dsr",
    f"real_server = [{RS_D6}]:80", "",
    "[virtual_service sip]", f"listen = {VIP_S}:5060/udp", "forwarding = nat",
    f"real_server = {RS_S}:5070",
]


def frame(smac, src, dst, l4, ttl=50):
    ip = IP(src=src, dst=dst, ttl=ttl) if ":" not in src else IPv6(src=src, dst=dst, hlim=ttl)
    return Ether(dst=PORT_MAC, src=smac) / ip / l4


def key(p):
    if TCP in p:
        return ("tcp", p[TCP].seq, int(p[TCP].flags))
    if UDP in p:
        return ("udp", bytes(p[UDP].payload))
    return None


def macs_only(f, dmac):
    """dsr: f with the Ethernet addresses changed, nothing else."""
    p = Ether(bytes(f))
    p[Ether].src, p[Ether].dst = PORT_MAC, dmac
    return Ether(bytes(p))


def body(t):
    dp = eptest.PhasedDataplane("lb_modes", phased=(0,), profile_extra=PROFILE)

    # Phase 1.
    fwd = {  # name: (client packet, vip, server, server port, pool, client nh MAC)
        "fweb": (frame(GW_MAC, CL, VIP_F, TCP(sport=41000, dport=443, flags="S", seq=100000)),
                 VIP_F, RS_F, 8443, POOL, GW_MAC),
        "fdns": (frame(GW_MAC, CL, VIP_F, UDP(sport=42000, dport=53) / b"fullnat-query"),
                 VIP_F, RS_FU, 5353, POOL_U, GW_MAC),
        "fweb6": (frame(GW6_MAC, CL6, VIP_F6, TCP(sport=41000, dport=443, flags="S",
                                                   seq=200000)),
                  VIP_F6, RS_F6, 8443, POOL6, GW6_MAC),
    }
    dsr = [
        ("dsr SYN", frame(GW_MAC, CL, VIP_D, TCP(sport=43000, dport=80, flags="S", seq=300000)),
         MAC[RS_D]),
        ("dsr ACK", frame(GW_MAC, CL, VIP_D, TCP(sport=43000, dport=80, flags="A", seq=300001,
                                                  ack=1) / b"GET / dsr"), MAC[RS_D]),
        ("dsr6 SYN", frame(GW6_MAC, CL6, VIP_D6, TCP(sport=43000, dport=80, flags="S",
                                                      seq=400000)), MAC[RS_D6]),
        ("dsr6 ACK", frame(GW6_MAC, CL6, VIP_D6, TCP(sport=43000, dport=80, flags="A",
                                                      seq=400001, ack=1) / b"GET / dsr6"),
         MAC[RS_D6]),
    ]
    sip_q = frame(GW_MAC, CL, VIP_S, UDP(sport=44000, dport=5060, chksum=0) / b"OPTIONS sip")
    sip_a = frame(MAC[RS_S], RS_S, CL, UDP(sport=5070, dport=44000, chksum=0) / b"SIP/2.0 200",
                  ttl=64)
    nocsum = [("sip (checksum 0)", sip_q, eptest.rewritten(sip_q, MAC[RS_S], dst=RS_S,
                                                             dport=5070)),
              ("sip answer (checksum 0)", sip_a, eptest.rewritten(sip_a, GW_MAC, src=VIP_S,
                                                                    sport=5060))]
    arp = Ether(dst="ff:ff:ff:ff:ff:ff", src=MAC[RS_F]) / ARP(op=1, hwsrc=MAC[RS_F], psrc=RS_F,
                                                             pdst=POOL[1])
    ns = Ether(dst="33:33:ff:00:02:01", src=MAC[RS_F6]) / \
        IPv6(src=RS_F6, dst="ff02::1:ff00:201", hlim=255) / ICMPv6ND_NS(tgt=POOL6[1]) / \
        ICMPv6NDOptSrcLLAddr(lladdr=MAC[RS_F6])
    stray = frame(MAC[RS_F], RS_F, POOL[0], TCP(sport=8443, dport=5555, flags="S", seq=500000))
    phase1 = [f for f, *_ in fwd.values()] + [f for _, f, _ in dsr] + [sip_q, sip_a] + \
        [arp, ns, stray]
    dp.feed(phase1)

    # State: one worker; the dataplane runs while the test writes phase 2.
    dp.start()

    def found(f):
        return [p for p in dp.output() if key(p) == key(f)]
    dp.wait_for(lambda: all(found(f) for f, *_ in fwd.values()),
                "the fullnat forward packets of phase 1")

    # Checks, phase 1's fullnat packets; phase 2 built from them.
    phase2, later = [], []  # later: (label, input, expected)
    for name, (f, vip, rs, rport, pool, nh_mac) in fwd.items():
        p = found(f)[0]
        ip = p[IP] if IP in p else p[IPv6]
        l4 = eptest.l4_of(p)
        snat, sport = ip.src, l4.sport
        t.check(snat in pool, f"{name}: source address {snat} is in the pool "
                f"{pool[0]}-{pool[-1]}")
        t.check(SNAT_LO <= sport < SNAT_HI, f"{name}: source port {sport} in worker 0's "
                f"slice [{SNAT_LO}, {SNAT_HI})")
        exp = eptest.rewritten(f, MAC[rs], src=snat, sport=sport, dst=rs, dport=rport)
        t.check(not eptest.frame_diff(p, exp), f"{name}: leaves as {snat}:{sport} -> "
                f"{rs}:{rport}, to {MAC[rs]}, TTL/hop limit -1, rest unchanged",
                eptest.frame_diff(p, exp))
        ok, why = eptest.csums_ok(p)
        t.check(ok, f"{name}: checksums valid", why)
        cport = eptest.l4_of(f).sport
        if TCP in f:
            s = f[TCP].seq
            r = frame(MAC[rs], rs, snat, TCP(sport=rport, dport=sport, flags="SA", seq=s + 50000,
                                             ack=s + 1), ttl=64)
        else:
            r = frame(MAC[rs], rs, snat, UDP(sport=rport, dport=sport) /
                      f"{name}-answer".encode(), ttl=64)
        later.append((f"{name} reply", r, eptest.rewritten(r, nh_mac, src=vip,
                                                             sport=eptest.l4_of(f).dport,
                                                             dst=f[1].src, dport=cport)))
        if name == "fweb":
            s = f[TCP].seq
            ack = frame(GW_MAC, CL, VIP_F, TCP(sport=cport, dport=443, flags="A", seq=s + 1,
                                                ack=s + 50001) / b"GET / fullnat")
            data = frame(MAC[rs], rs, snat, TCP(sport=rport, dport=sport, flags="PA",
                                                seq=s + 50001, ack=s + 14) / b"200 fullnat",
                         ttl=64)
            later += [("fweb client ACK+data", ack,
                       eptest.rewritten(ack, MAC[rs], src=snat, sport=sport, dst=rs,
                                        dport=rport)),
                      ("fweb server data", data,
                       eptest.rewritten(data, GW_MAC, src=VIP_F, sport=443, dst=CL,
                                        dport=cport))]
    phase2 = [f for _, f, _ in later]
    dp.feed(phase2, last=True)
    dp.wait_settled(counters={"arp_replies": 1, "nd_replies": 1}, drops={"not_local": 1},
                    extra=lambda: all(found(e) for _, _, e in later + nocsum),
                    what="phase 2 forwarded")
    d = dp.drops()
    t.stopped_cleanly(dp)
    out = dp.output()

    def seen(e):
        return [p for p in out if key(p) == key(e)]

    # Checks: fullnat replies and later packets.
    for label, _, exp in later:
        s = seen(exp)
        t.check(len(s) == 1 and not eptest.frame_diff(s[0], exp),
                f"{label}: leaves as {exp[1].src}:{eptest.l4_of(exp).sport} -> "
                f"{exp[1].dst}:{eptest.l4_of(exp).dport} to {exp[Ether].dst}, checksums valid",
                eptest.frame_diff(s[0], exp) if len(s) == 1 else f"{len(s)} frames out")

    # SNAT addresses answer ARP and ND; nothing else for them.
    ar = [p for p in out if ARP in p and p[ARP].op == 2 and p[ARP].psrc == POOL[1]]
    t.check(len(ar) == 1 and eptest.mac_eq(ar[0][ARP].hwsrc, PORT_MAC) and
            ar[0][ARP].pdst == RS_F and eptest.mac_eq(ar[0][Ether].dst, MAC[RS_F]),
            f"ARP who-has {POOL[1]} (SNAT) answered is-at {PORT_MAC} to {RS_F}",
            "; ".join(p.summary() for p in ar))
    na = [p for p in out if ICMPv6ND_NA in p and p[ICMPv6ND_NA].tgt == POOL6[1]]
    t.check(len(na) == 1 and ICMPv6NDOptDstLLAddr in na[0] and
            eptest.mac_eq(na[0][ICMPv6NDOptDstLLAddr].lladdr, PORT_MAC) and
            eptest.l4_csum_ok(na[0], ICMPv6ND_NA, "cksum"),
            f"NS for {POOL6[1]} (SNAT) answered with an NA for {PORT_MAC}, checksum valid",
            "; ".join(p.summary() for p in na))
    t.equal(len(seen(stray)), 0, f"SYN to {POOL[0]}:5555 (SNAT, no connection): frames out")
    t.equal(d["not_local"], 1, "drops not_local")

    # dsr: only the MACs.
    for label, f, rs_mac in dsr:
        s = seen(f)
        exp = macs_only(f, rs_mac)
        t.check(len(s) == 1 and bytes(s[0]) == bytes(exp),
                f"{label}: leaves {PORT_MAC} -> {rs_mac}, IP and TCP bytes unchanged "
                f"(TTL {f[1].ttl if IP in f else f[1].hlim})",
                eptest.frame_diff(s[0], exp) if len(s) == 1 else f"{len(s)} frames out")

    # UDP checksum 0 through nat.
    for label, f, exp in nocsum:
        s = seen(f)
        if not t.equal(len(s), 1, f"{label}: frames out"):
            continue
        t.equal(s[0][UDP].chksum, 0, f"{label}: UDP checksum stays")
        t.check(eptest.ipv4_csum_ok(s[0]), f"{label}: IPv4 header checksum valid")
        t.check(not eptest.frame_diff(s[0], exp),
                f"{label}: leaves as {exp[IP].src}:{exp[UDP].sport} -> "
                f"{exp[IP].dst}:{exp[UDP].dport} to {exp[Ether].dst}, TTL -1",
                eptest.frame_diff(s[0], exp))


if __name__ == "__main__":
    eptest.main(body)
