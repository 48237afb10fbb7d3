#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
pcap fixture: the load balancer in nat mode, IPv4 and IPv6, TCP and UDP.

Services (forwarding = nat):
  web    192.0.2.100:443/tcp        -> 192.0.2.11:4443
  dns    192.0.2.100:53/udp         -> 192.0.2.12:5353
  web6   [2001:db8::100]:443/tcp    -> [2001:db8::11]:4443
  dns6   [2001:db8::100]:53/udp     -> [2001:db8::12]:5353
  media  192.0.2.101:50000-50010/udp -> 192.0.2.13, 192.0.2.14 (rr, no port:
         the client's destination port)
Real servers and 192.0.2.60 are static neighbours; the port gets the IPv6
gateway 2001:db8::fe (static, 02:00:00:00:06:fe).  Clients: 198.51.100.7
and 198.51.100.8 (off-link: via the gateway 02:00:00:00:00:fe),
192.0.2.60 (on-link), 2001:db8:1::7 (off-link: via the IPv6 gateway).

Packets, in this order in one input file:
 (1) a whole TCP connection 198.51.100.7:40000 -> web: SYN, SYN-ACK from
     192.0.2.11:4443, ACK, data each way, FIN/ACK each way, last ACK;
 (2) the same over IPv6, 2001:db8:1::7:40000 -> web6;
 (3) UDP 192.0.2.60:33000 -> dns, and the server's answer;
 (4) UDP 2001:db8:1::7:33000 -> dns6, and the server's answer;
 (5) UDP 198.51.100.8:34000 -> 192.0.2.101:50003 and :34001 -> :50007,
     then for each of the two flows an answer from both 192.0.2.13 and
     192.0.2.14 (from the client's destination port);
 (6) TCP SYN to 192.0.2.100:80 and [2001:db8::100]:80, UDP to
     192.0.2.101:50011 (VIP ports that are no service);
 (7) TCP without a connection to web / web6: ACK (v4 and v6), RST,
     SYN-ACK;
 (8) a SYN to web with TTL 1, then an ACK on the same 4-tuple;
 (9) ICMP echo to 192.0.2.100 and ICMPv6 echo to 2001:db8::100.
Checks: every packet of (1)-(4) leaves exactly once, byte for byte what
scapy builds from the input by rewriting: client -> VIP:443 becomes
client -> server:4443 (source unchanged) to the server's MAC, the
server's packets become VIP:443 -> client to the client's next hop (the
gateway's MAC, 192.0.2.60's own MAC), the source MAC is the port's, the
TTL / hop limit one less, sequence numbers, flags and payload untouched,
and the IPv4 and TCP/UDP checksums valid (also checked on their own);
(5): rr puts the two flows on different servers, each keeps its
destination port (50003, 50007), exactly one answer per flow (the one
from the server the flow went to) leaves as 192.0.2.101:500xx -> client,
the other two are dropped as not_local; (6) is dropped as
vip_no_service (3), (7) as lb_no_connection (4), (8)'s SYN as
ttl_exceeded (1) and, as it created no connection, its ACK as
lb_no_connection (5 in all); none of them leaves; /edgeplane/services
counts one connection for each of web, dns, web6 and dns6 and two for
media; (9) is answered from the VIP.
"""
import eptest
from eptest import (GW_MAC, ICMP, IP, PORT_MAC, TCP, UDP, Ether, ICMPv6EchoReply,
                    ICMPv6EchoRequest, IPv6)

VIP, VIP6, VIP_M = "192.0.2.100", "2001:db8::100", "192.0.2.101"
RS_WEB, RS_DNS = "192.0.2.11", "192.0.2.12"
RS_M = {"192.0.2.13": "02:00:00:00:00:13", "192.0.2.14": "02:00:00:00:00:14"}
RS6_WEB, RS6_DNS = "2001:db8::11", "2001:db8::12"
MAC = {RS_WEB: "02:00:00:00:00:11", RS_DNS: "02:00:00:00:00:12",
       RS6_WEB: "02:00:00:00:06:11", RS6_DNS: "02:00:00:00:06:12", **RS_M}
GW6, GW6_MAC = "2001:db8::fe", "02:00:00:00:06:fe"
CL, CL_M, CL6 = "198.51.100.7", "198.51.100.8", "2001:db8:1::7"
CL_ON, CL_ON_MAC = "192.0.2.60", "02:00:00:00:00:60"

PROFILE = [f"neighbor = {a} {m}" for a, m in MAC.items()] + [
    f"neighbor = {CL_ON} {CL_ON_MAC}", f"gateway = {GW6}", f"neighbor = {GW6} {GW6_MAC}", "",
    "[virtual_service web]", f"listen = {VIP}:443/tcp", "forwarding = nat",
    f"real_server = {RS_WEB}:4443", "",
    "[virtual_service dns]", f"listen = {VIP}:53/udp", f"real_server = {RS_DNS}:5353", "",
    "[virtual_service web6]", f"listen = [{VIP6}]:443/tcp", "forwarding = nat",
    f"real_server = [{RS6_WEB}]:4443", "",
    "[virtual_service dns6]", f"listen = [{VIP6}]:53/udp", f"real_server = [{RS6_DNS}]:5353", "",
    "[virtual_service media]", f"listen = {VIP_M}:50000-50010/udp", "scheduler = rr",
] + [f"real_server = {a}" for a in RS_M]


def ipl(src, dst, ttl):
    return IP(src=src, dst=dst, ttl=ttl) if ":" not in src else IPv6(src=src, dst=dst, hlim=ttl)


def frame(smac, src, dst, l4, ttl=50):
    return Ether(dst=PORT_MAC, src=smac) / ipl(src, dst, ttl) / l4


def tcp_conversation(cl, cl_mac, vip, rs, cl_nh_mac, tag):
    """(label, input, expected output) for a whole TCP connection."""
    rs_mac = MAC[rs]
    base = 1000 if ":" not in cl else 3000  # unique sequence numbers per family
    c_isn, s_isn = base * 1000, base * 1000 + 500000
    req, resp = f"GET /{tag} HTTP/1.1\r\n\r\n".encode(), f"HTTP/1.1 200 OK {tag}\r\n\r\n".encode()

    def c2s(flags, seq, ack, data=b""):
        return frame(cl_mac, cl, vip, TCP(sport=40000, dport=443, flags=flags, seq=seq,
                                          ack=ack, window=8192) / data)

    def s2c(flags, seq, ack, data=b""):
        return frame(rs_mac, rs, cl, TCP(sport=4443, dport=40000, flags=flags, seq=seq,
                                         ack=ack, window=8192) / data, ttl=64)
    c_data, s_data = c_isn + 1, s_isn + 1
    c_fin, s_fin = c_data + len(req), s_data + len(resp)
    seq = [
        ("SYN", c2s("S", c_isn, 0)),
        ("SYN-ACK", s2c("SA", s_isn, c_isn + 1)),
        ("ACK", c2s("A", c_data, s_data)),
        ("client data", c2s("PA", c_data, s_data, req)),
        ("server data", s2c("PA", s_data, c_fin, resp)),
        ("client FIN", c2s("FA", c_fin, s_fin)),
        ("server FIN", s2c("FA", s_fin, c_fin + 1)),
        ("last ACK", c2s("A", c_fin + 1, s_fin + 1)),
    ]
    out = []
    for label, f in seq:
        if f[Ether].src == cl_mac:
            exp = eptest.rewritten(f, rs_mac, dst=rs, dport=4443)
        else:
            exp = eptest.rewritten(f, cl_nh_mac, src=vip, sport=443)
        out.append((f"{tag} {label}", f, exp))
    return out


def key(p):
    """What identifies a frame across the rewrite: TCP sequence number and
    flags, UDP payload (unique in this test)."""
    if TCP in p:
        return ("tcp", p[TCP].seq, int(p[TCP].flags))
    if UDP in p:
        return ("udp", bytes(p[UDP].payload))
    return None


def body(t):
    dp = eptest.Dataplane("lb_nat", profile_extra=PROFILE)

    # Packets.  cases: (label, input, expected output or None).
    cases = tcp_conversation(CL, GW_MAC, VIP, RS_WEB, GW_MAC, "tcp4")
    cases += tcp_conversation(CL6, GW6_MAC, VIP6, RS6_WEB, GW6_MAC, "tcp6")
    q4 = frame(CL_ON_MAC, CL_ON, VIP, UDP(sport=33000, dport=53) / b"query-v4")
    a4 = frame(MAC[RS_DNS], RS_DNS, CL_ON, UDP(sport=5353, dport=33000) / b"answer-v4", ttl=64)
    q6 = frame(GW6_MAC, CL6, VIP6, UDP(sport=33000, dport=53) / b"query-v6")
    a6 = frame(MAC[RS6_DNS], RS6_DNS, CL6, UDP(sport=5353, dport=33000) / b"answer-v6", ttl=64)
    cases += [
        ("udp4 query", q4, eptest.rewritten(q4, MAC[RS_DNS], dst=RS_DNS, dport=5353)),
        ("udp4 answer (on-link client)", a4, eptest.rewritten(a4, CL_ON_MAC, src=VIP, sport=53)),
        ("udp6 query", q6, eptest.rewritten(q6, MAC[RS6_DNS], dst=RS6_DNS, dport=5353)),
        ("udp6 answer", a6, eptest.rewritten(a6, GW6_MAC, src=VIP6, sport=53)),
    ]
    media = [(34000, 50003), (34001, 50007)]
    m_in = [frame(GW_MAC, CL_M, VIP_M, UDP(sport=sp, dport=dp_) / f"media-{dp_}".encode())
            for sp, dp_ in media]
    m_ans = {(rs, sp): frame(RS_M[rs], rs, CL_M, UDP(sport=dp_, dport=sp) /
                             f"answer-{dp_}-from-{rs}".encode(), ttl=64)
             for sp, dp_ in media for rs in RS_M}
    drops = [
        ("SYN to VIP:80", frame(GW_MAC, CL, VIP, TCP(sport=40100, dport=80, flags="S", seq=11))),
        ("SYN to [VIP6]:80", frame(GW6_MAC, CL6, VIP6, TCP(sport=40100, dport=80, flags="S",
                                                           seq=12))),
        ("UDP to VIP:50011", frame(GW_MAC, CL_M, VIP_M, UDP(sport=34002, dport=50011) /
                                   b"out-of-range")),
        ("ACK without connection", frame(GW_MAC, CL, VIP, TCP(sport=40200, dport=443,
                                                               flags="A", seq=21, ack=1))),
        ("IPv6 ACK without connection", frame(GW6_MAC, CL6, VIP6, TCP(
            sport=40200, dport=443, flags="A", seq=22, ack=1))),
        ("RST without connection", frame(GW_MAC, CL, VIP, TCP(sport=40201, dport=443,
                                                               flags="R", seq=23))),
        ("SYN-ACK from a client", frame(GW_MAC, CL, VIP, TCP(sport=40202, dport=443,
                                                              flags="SA", seq=24, ack=1))),
        ("SYN with TTL 1", frame(GW_MAC, CL, VIP, TCP(sport=40300, dport=443, flags="S",
                                                      seq=25), ttl=1)),
        ("ACK after the SYN with TTL 1", frame(GW_MAC, CL, VIP, TCP(
            sport=40300, dport=443, flags="A", seq=26, ack=1))),
    ]
    echo4 = frame(GW_MAC, CL, VIP, ICMP(type=8, id=0x4c42, seq=1) / b"ping-vip")
    echo6 = frame(GW6_MAC, CL6, VIP6, ICMPv6EchoRequest(id=0x4c42, seq=2, data=b"ping-vip6"))
    frames = [f for _, f, _ in cases] + m_in + list(m_ans.values()) + \
        [f for _, f in drops] + [echo4, echo6]
    dp.write_input(frames)
    n_fwd = len(cases) + len(m_in) + len(media)

    # State: the services above, one worker.
    dp.start()

    def lb_out():
        return [p for p in dp.output() if key(p) is not None]
    dp.wait_settled(counters={"echo_replies": 2},
                    drops={"vip_no_service": 3, "ttl_exceeded": 1, "not_local": 2},
                    extra=lambda: len(lb_out()) >= n_fwd, what=f"{n_fwd} frames forwarded")
    d = dp.drops()
    svc = dp.tel.query("/edgeplane/services") or {}
    t.stopped_cleanly(dp)
    out = dp.output()
    by_key = {}
    for p in out:
        if key(p) is not None:
            by_key.setdefault(key(p), []).append(p)

    # Checks: (1)-(4), frame by frame.
    for label, f, exp in cases:
        seen = by_key.get(key(exp), [])
        if not t.equal(len(seen), 1, f"{label}: frames out"):
            continue
        hops = f"TTL {exp[IP].ttl}" if IP in exp else f"hop limit {exp[IPv6].hlim}"
        t.check(not eptest.frame_diff(seen[0], exp),
                f"{label}: leaves as {exp[1].src}:{eptest.l4_of(exp).sport} -> "
                f"{exp[1].dst}:{eptest.l4_of(exp).dport}, to {exp[Ether].dst}, {hops}",
                eptest.frame_diff(seen[0], exp))
    fwd = [p for _, _, exp in cases for p in by_key.get(key(exp), [])]
    bad = [(p.summary(), why) for p in fwd for ok, why in [eptest.csums_ok(p)] if not ok]
    t.check(fwd and not bad, f"IPv4 and TCP/UDP checksums valid on all {len(fwd)} "
            "translated frames of (1)-(4)", f"{bad[:4]}")

    # (5) the port range.
    went = {}
    for (sp, dp_), f in zip(media, m_in):
        seen = by_key.get(key(f), [])
        if not t.equal(len(seen), 1, f"media {sp}->{dp_}: frames out"):
            continue
        p = seen[0]
        went[sp] = p[IP].dst
        t.check(p[IP].dst in RS_M and eptest.mac_eq(p[Ether].dst, RS_M.get(p[IP].dst)),
                f"media {sp}->{dp_}: goes to a real server of media, to its MAC",
                f"{p[IP].dst} {p[Ether].dst}")
        exp = eptest.rewritten(f, RS_M.get(p[IP].dst, "?"), dst=p[IP].dst)
        t.check(p[UDP].dport == dp_ and not eptest.frame_diff(p, exp),
                f"media {sp}->{dp_}: destination port {dp_} kept, source {CL_M}:{sp} kept, "
                "TTL -1, checksums valid", eptest.frame_diff(p, exp))
    t.check(len(set(went.values())) == 2, "media: rr puts the two flows on the two servers",
            f"{went}")
    for (rs, sp), f in m_ans.items():
        dp_ = dict(media)[sp]
        seen = by_key.get(key(f), [])
        if went.get(sp) == rs:
            exp = eptest.rewritten(f, GW_MAC, src=VIP_M)
            t.check(len(seen) == 1 and not eptest.frame_diff(seen[0], exp),
                    f"media answer {rs}:{dp_} -> {sp} leaves as {VIP_M}:{dp_} -> {CL_M}:{sp}",
                    eptest.frame_diff(seen[0], exp) if len(seen) == 1 else f"{len(seen)} out")
        else:
            t.equal(len(seen), 0, f"media answer from {rs} (not its server) for {sp}: frames out")
    t.equal(d["not_local"], 2, "drops not_local (answers from the wrong server)")

    # (6)-(8) dropped.
    for label, f in drops:
        t.equal(len(by_key.get(key(f), [])), 0, f"{label}: frames out")
    t.equal(d["vip_no_service"], 3, "drops vip_no_service")
    t.equal(d["lb_no_connection"], 5, "drops lb_no_connection (the ACK after the TTL 1 SYN "
            "too: a packet dropped for its TTL creates no connection)")
    t.equal(d["ttl_exceeded"], 1, "drops ttl_exceeded")
    conns = dict(zip(svc.get("name", []), svc.get("conns", [])))
    t.equal(conns, {"web": 1, "dns": 1, "web6": 1, "dns6": 1, "media": 2},
            "connections per service (/edgeplane/services conns)")
    known = {key(exp) for _, _, exp in cases} | {key(f) for f in m_in} | \
        {key(f) for f in m_ans.values()}
    strays = [p.summary() for p in out if key(p) is not None and key(p) not in known]
    t.check(not strays, "no other TCP/UDP frame leaves", f"{strays[:4]}")

    # (9) ping the VIPs.
    r4 = [p for p in out if ICMP in p and p[ICMP].type == 0 and p[ICMP].id == 0x4c42]
    t.check(len(r4) == 1 and r4[0][IP].src == VIP and r4[0][IP].dst == CL and
            eptest.mac_eq(r4[0][Ether].dst, GW_MAC) and eptest.ipv4_csum_ok(r4[0]) and
            eptest.l4_csum_ok(r4[0], ICMP),
            f"echo to {VIP} answered from {VIP} via the gateway, checksums valid",
            "; ".join(p.summary() for p in r4))
    r6 = [p for p in out if ICMPv6EchoReply in p and p[ICMPv6EchoReply].id == 0x4c42]
    t.check(len(r6) == 1 and r6[0][IPv6].src == VIP6 and r6[0][IPv6].dst == CL6 and
            eptest.mac_eq(r6[0][Ether].dst, GW6_MAC) and
            eptest.l4_csum_ok(r6[0], ICMPv6EchoReply, "cksum"),
            f"ICMPv6 echo to {VIP6} answered from {VIP6} via the IPv6 gateway, checksum valid",
            "; ".join(p.summary() for p in r6))


if __name__ == "__main__":
    eptest.main(body)
