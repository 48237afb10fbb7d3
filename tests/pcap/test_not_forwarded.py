#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
pcap fixture: the dataplane never forwards what is not addressed to it.

Packets: IPv4 UDP and TCP SYN from 198.51.100.20 to 192.0.2.77 (on the
port's subnet, not ours), and UDP to 203.0.113.5 (off the subnet), all
sent to the port MAC; an IPv4 UDP datagram to 192.0.2.1 (ours) but in a
frame for another unicast MAC (02:00:00:00:00:99), from 198.51.100.21;
IPv6 UDP from 2001:db8::20 to 2001:db8::77, to the port MAC.  Last, an
echo request from 198.51.100.9 that must be answered, so the run is
known to have processed everything before it.
State: the standard port (192.0.2.1/24, 2001:db8::1/64, gateway
192.0.2.254 known statically): a route to all of those destinations
would exist if the dataplane forwarded.
Checks: no frame in the output carries any of those addresses (as IP
source or destination), nor the foreign MAC; not_local counts the three
IPv4 and the IPv6 packets, l2_not_ours the foreign frame; nothing is
punted to the kernel.
"""
import eptest
from eptest import ADDR4, PORT_MAC, ICMP, IP, TCP, UDP, Ether, IPv6

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
    echo = [p for p in out if ICMP in p and p[ICMP].type == 0 and p[ICMP].id == ECHO_ID]
    t.equal(len(echo), 1, "echo replies to the closing request")


if __name__ == "__main__":
    eptest.main(body)
