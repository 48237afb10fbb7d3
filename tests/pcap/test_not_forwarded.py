#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
pcap fixture: the dataplane never forwards what is not addressed to it.

Packets: IPv4 UDP and TCP SYN from 198.51.100.20 to 192.0.2.77 (on the
port's subnet, not ours), and UDP to 203.0.113.5 (off the subnet), all
sent to the port MAC; an IPv4 UDP datagram to 192.0.2.1 (ours) but in a
frame for another unicast MAC (02:00:00:00:00:99), from 198.51.100.21;
IPv6 UDP from 2001:db8::20 to 2001:db8::77, to the port MAC.  Then what
must not be answered either: an ARP request and an echo request for
192.0.2.1 tagged VLAN 99 (no VLAN is configured), echo requests from
0.0.0.0, 255.255.255.255 and 224.0.0.9, an echo to 192.0.2.1 in an
Ethernet broadcast frame, and one carrying an IP option.  Last, an
echo request from 198.51.100.9 that must be answered, so the run is
known to have processed everything before it.
State: the standard port (192.0.2.1/24, 2001:db8::1/64, gateway
192.0.2.254 known statically): a route to all of those destinations
would exist if the dataplane forwarded.
Checks: no frame in the output carries any of those addresses (as IP
source or destination), nor the foreign MAC; not_local counts the three
IPv4 and the IPv6 packets, l2_not_ours the foreign frame; nothing is
punted to the kernel; vlan_not_configured counts the two tagged frames,
echo_bad_address the four echoes from or to broadcast/multicast,
ipv4_options_refused the one with an option; no ARP or echo reply leaves
for any of them.
"""
import eptest
from eptest import ADDR4, PORT_MAC, ARP, ICMP, IP, TCP, UDP, Dot1Q, Ether, IPv6
from scapy.all import IPOption_RR

SRC_MAC = "02:00:00:00:00:20"
FOREIGN_MAC = "02:00:00:00:00:99"
SRC4, SRC4B, SRC6 = "198.51.100.20", "198.51.100.21", "2001:db8::20"
OTHER4, REMOTE4, OTHER6 = "192.0.2.77", "203.0.113.5", "2001:db8::77"
ECHO_SRC, ECHO_ID = "198.51.100.9", 0x4e46
WATCHED = {SRC4, SRC4B, SRC6, OTHER4, REMOTE4, OTHER6}


def body(t):
    dp = eptest.Dataplane("not_forwarded")
    # Packets.
    frames = [
        Ether(dst=PORT_MAC, src=SRC_MAC) / IP(src=SRC4, dst=OTHER4) /
        UDP(sport=40000, dport=5060) / b"not-for-us-udp",
        Ether(dst=PORT_MAC, src=SRC_MAC) / IP(src=SRC4, dst=OTHER4) /
        TCP(sport=40001, dport=443, flags="S", seq=1),
        Ether(dst=PORT_MAC, src=SRC_MAC) / IP(src=SRC4, dst=REMOTE4) /
        UDP(sport=40002, dport=53) / b"not-for-us-remote",
        Ether(dst=FOREIGN_MAC, src=SRC_MAC) / IP(src=SRC4B, dst=ADDR4) /
        UDP(sport=40003, dport=5060) / b"another-mac",
        Ether(dst=PORT_MAC, src=SRC_MAC) / IPv6(src=SRC6, dst=OTHER6) /
        UDP(sport=40004, dport=5060) / b"not-for-us-v6",
        Ether(dst="ff:ff:ff:ff:ff:ff", src=SRC_MAC) / Dot1Q(vlan=99) /
        ARP(op=1, hwsrc=SRC_MAC, psrc="192.0.2.20", pdst=ADDR4),
        Ether(dst=PORT_MAC, src=SRC_MAC) / Dot1Q(vlan=99) / IP(src=SRC4, dst=ADDR4) /
        ICMP(type=8, id=0x7661, seq=1),
    ] + [
        Ether(dst=PORT_MAC, src=SRC_MAC) / IP(src=bad, dst=ADDR4) / ICMP(type=8, id=0xbad, seq=i)
        for i, bad in enumerate(("0.0.0.0", "255.255.255.255", "224.0.0.9"))
    ] + [
        Ether(dst="ff:ff:ff:ff:ff:ff", src=SRC_MAC) / IP(src=SRC4, dst=ADDR4) /
        ICMP(type=8, id=0xbad, seq=9),
        Ether(dst=PORT_MAC, src=SRC_MAC) / IP(src=SRC4, dst=ADDR4, options=[IPOption_RR()]) /
        ICMP(type=8, id=0xbad, seq=10),
        Ether(dst=PORT_MAC, src=SRC_MAC) / IP(src=ECHO_SRC, dst=ADDR4) /
        ICMP(type=8, id=ECHO_ID, seq=1) / b"barrier",
    ]
    dp.write_input(frames)

    # State: the standard port; one queue, so frames are handled in order.
    dp.start()
    dp.wait_settled(counters={"echo_replies": 1})
    s, d = dp.stats(), dp.drops()
    t.stopped_cleanly(dp)

    # Checks.
    out = dp.output()
    leaked = []
    for p in out:
        addrs = set()
        for layer in (IP, IPv6):
            if layer in p:
                addrs |= {p[layer].src, p[layer].dst}
        if addrs & WATCHED or eptest.mac_eq(p[Ether].dst, FOREIGN_MAC):
            leaked.append(p.summary())
    t.check(not leaked, "no output frame carries the addresses of the foreign packets",
            "; ".join(leaked))
    t.equal(d["not_local"], 4, "drops not_local (UDP, TCP, remote UDP, IPv6)")
    t.equal(d["l2_not_ours"], 1, "drops l2_not_ours (frame for another MAC)")
    t.equal(s["punted"], 0, "punted")
    t.equal(d["vlan_not_configured"], 2, "drops vlan_not_configured (ARP and echo on VLAN 99)")
    t.equal(d["echo_bad_address"], 4, "drops echo_bad_address (0/32, broadcast, multicast "
            "sources; L2 broadcast)")
    t.equal(d["ipv4_options_refused"], 1, "drops ipv4_options_refused")
    t.equal(s["arp_replies"], 0, "no ARP reply (the request was tagged)")
    bad = [p for p in out if ICMP in p and p[ICMP].type == 0 and p[ICMP].id in (0xbad, 0x7661)]
    t.equal(len(bad), 0, "echo replies to the refused requests")
    echo = [p for p in out if ICMP in p and p[ICMP].type == 0 and p[ICMP].id == ECHO_ID]
    t.equal(len(echo), 1, "echo replies to the closing request")


if __name__ == "__main__":
    eptest.main(body)
