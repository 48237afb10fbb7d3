#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
pcap fixture: ARP on a pmd port.

Packets: (1) ARP request who-has 192.0.2.1 tell 192.0.2.2 (broadcast);
(2) ARP request who-has 192.0.2.99 tell 192.0.2.2; (3) an unsolicited ARP
reply 192.0.2.3 is-at 02:00:00:00:00:03 sent to 192.0.2.1 / the port MAC;
(4) an ICMP echo request from 192.0.2.3 to 192.0.2.1; (5) a gratuitous ARP
from 192.0.2.3 announcing a new MAC 02:00:00:00:00:33 (a failover);
(6) a gratuitous ARP from 192.0.2.44, a host we never talked to.
State: port ext 192.0.2.1/24, 2001:db8::1/64, static neighbour
192.0.2.254 (the gateway); nothing else known.
Checks: exactly one ARP reply, for 192.0.2.1, with the port MAC as sender
and 192.0.2.2 / its MAC as target, Ethernet from the port MAC to the
requester; no reply for 192.0.2.99, counted as arp_not_ours; the senders
of (1) and (3) are learned (/edgeplane/neigh), and (4) is answered
straight to a MAC 192.0.2.3 announced, without the dataplane asking; (5)
moves 192.0.2.3's entry to the new MAC; (6) creates no entry and is
counted as arp_not_ours.
"""
import eptest
from eptest import ADDR4, PORT_MAC, ARP, ICMP, IP, Ether

MAC2, IP2 = "02:00:00:00:00:02", "192.0.2.2"
MAC3, IP3 = "02:00:00:00:00:03", "192.0.2.3"
NOT_OURS = "192.0.2.99"
MAC3_NEW, IP_GARP_UNKNOWN = "02:00:00:00:00:33", "192.0.2.44"
BCAST = "ff:ff:ff:ff:ff:ff"


def body(t):
    dp = eptest.Dataplane("arp")
    # Packets.
    frames = [
        Ether(dst=BCAST, src=MAC2) / ARP(op=1, hwsrc=MAC2, psrc=IP2,
                                         hwdst="00:00:00:00:00:00", pdst=ADDR4),
        Ether(dst=BCAST, src=MAC2) / ARP(op=1, hwsrc=MAC2, psrc=IP2,
                                         hwdst="00:00:00:00:00:00", pdst=NOT_OURS),
        Ether(dst=PORT_MAC, src=MAC3) / ARP(op=2, hwsrc=MAC3, psrc=IP3,
                                            hwdst=PORT_MAC, pdst=ADDR4),
        Ether(dst=PORT_MAC, src=MAC3) / IP(src=IP3, dst=ADDR4) /
        ICMP(type=8, id=0x3333, seq=1) / (b"arp-learned" * 4),
        Ether(dst=BCAST, src=MAC3_NEW) / ARP(op=1, hwsrc=MAC3_NEW, psrc=IP3,
                                             hwdst="00:00:00:00:00:00", pdst=IP3),
        Ether(dst=BCAST, src="02:00:00:00:00:44") /
        ARP(op=1, hwsrc="02:00:00:00:00:44", psrc=IP_GARP_UNKNOWN,
            hwdst="00:00:00:00:00:00", pdst=IP_GARP_UNKNOWN),
    ]
    dp.write_input(frames)

    # State: the standard port, started in its own namespace.
    dp.start()
    t.check(eptest.mac_eq(dp.port()["mac"], PORT_MAC), f"port MAC is {PORT_MAC}",
            f"telemetry says {dp.port()['mac']}")
    dp.wait_settled(counters={"arp_replies": 1, "echo_replies": 1, "punted": 3},
                    drops={"arp_not_ours": 1},
                    extra=lambda: dp.neigh()["learned"] >= 3, what="neigh learned >= 3")
    s, d, n, table = dp.stats(), dp.drops(), dp.neigh(), dp.neigh_table()
    t.stopped_cleanly(dp)

    # Checks.
    out = dp.output()
    replies = [p for p in out if ARP in p and p[ARP].op == 2]
    t.equal(len(replies), 1, "ARP replies in the output")
    ours = [p for p in replies if p[ARP].psrc == ADDR4]
    t.equal(len(ours), 1, f"ARP replies for {ADDR4}")
    if ours:
        r = ours[0]
        t.check(eptest.mac_eq(r[Ether].src, PORT_MAC) and eptest.mac_eq(r[Ether].dst, MAC2),
                f"reply Ethernet {PORT_MAC} -> {MAC2}", f"seen {r[Ether].src} -> {r[Ether].dst}")
        t.equal(r[Ether].type, 0x0806, "reply ethertype")
        a = r[ARP]
        t.check((a.hwtype, a.ptype, a.hwlen, a.plen) == (1, 0x0800, 6, 4),
                "reply is Ethernet/IPv4 ARP (htype 1, ptype 0x0800, hlen 6, plen 4)",
                f"seen {(a.hwtype, hex(a.ptype), a.hwlen, a.plen)}")
        t.check(eptest.mac_eq(a.hwsrc, PORT_MAC) and a.psrc == ADDR4,
                f"reply sha/spa = {PORT_MAC} {ADDR4}", f"seen {a.hwsrc} {a.psrc}")
        t.check(eptest.mac_eq(a.hwdst, MAC2) and a.pdst == IP2,
                f"reply tha/tpa = {MAC2} {IP2}", f"seen {a.hwdst} {a.pdst}")
    t.equal(len([p for p in replies if p[ARP].psrc == NOT_OURS]), 0,
            f"ARP replies for {NOT_OURS}")
    t.equal(s["arp_replies"], 1, "stats arp_replies")
    t.equal(d["arp_not_ours"], 1, "drops arp_not_ours (192.0.2.99)")

    # Learning: 192.0.2.2 from its request, 192.0.2.3 from its reply.
    t.at_least(n["learned"], 3, "neigh learned (request, reply, gratuitous refresh)")
    t.check(f"ext {IP3} {MAC3_NEW} learned" in table,
            f"gratuitous ARP moved {IP3} to {MAC3_NEW}", table)
    t.check(not any(IP_GARP_UNKNOWN in e for e in table),
            f"no entry for the unknown announcer {IP_GARP_UNKNOWN}", table)
    t.equal(n["entries"], 3, "neigh entries (static gateway, 192.0.2.2, 192.0.2.3)")
    t.equal(s["punted"], 3, "punted (the ARP reply and both announcements go to the kernel too)")
    echo = [p for p in out if IP in p and ICMP in p and p[IP].dst == IP3
            and p[ICMP].type == 0]
    t.equal(len(echo), 1, f"echo replies to {IP3}")
    if echo:
        # Frame (5) announces a new MAC right behind the echo; which of
        # the two the reply uses depends on timing, both are the host's.
        t.check(any(eptest.mac_eq(echo[0][Ether].dst, m) for m in (MAC3, MAC3_NEW)),
                f"echo reply to a learned MAC of {IP3}", f"seen {echo[0][Ether].dst}")
    asks = [p for p in out if ARP in p and p[ARP].op == 1 and p[ARP].pdst == IP3]
    t.equal(len(asks), 0, f"ARP requests for the learned {IP3}")
    t.equal(n["requests"], 0, "neigh requests")


if __name__ == "__main__":
    eptest.main(body)
