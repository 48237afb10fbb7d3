#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
pcap fixture: the exception path of a pmd port.

Packets: (1) ARP request who-has 192.0.2.1 tell 192.0.2.2
(02:00:00:00:00:02); (2) TCP SYN 192.0.2.2:40000 -> 192.0.2.1:22, seq
1000, correct checksums, to the port MAC; (3) ARP reply 192.0.2.2 is-at
02:00:00:00:00:02 to 192.0.2.1 -- the answer the peer would give to the
kernel's own who-has 192.0.2.2, which the kernel sends when it wants to
answer (2).  A pcap cannot react, so the answer is queued right behind
the SYN; the dataplane passes ARP replies to the kernel, which writes
to the tap are processed in order, so the kernel has asked by then.
State: the standard port; its exception tap ep-ext carries the port MAC
and 192.0.2.1/24 in the test's namespace, where nothing listens on
port 22.
Checks: the SYN is punted (punted >= 1); the kernel's RST|ACK for it
(192.0.2.1:22 -> 192.0.2.2:40000, ack 1001) leaves through the pcap
from the port MAC to 02:00:00:00:00:02 with valid checksums, and
exception_rx and main_tx count what came back from the tap.
"""
import eptest
from eptest import ADDR4, PORT_MAC, ARP, IP, TCP, Ether

MAC2, IP2 = "02:00:00:00:00:02", "192.0.2.2"
SPORT, DPORT, SEQ = 40000, 22, 1000


def rsts(out):
    return [p for p in out if IP in p and TCP in p and p[IP].src == ADDR4 and
            p[IP].dst == IP2 and p[TCP].sport == DPORT and p[TCP].dport == SPORT and
            p[TCP].flags.R]


def body(t):
    dp = eptest.Dataplane("exception")
    # Packets.
    frames = [
        Ether(dst="ff:ff:ff:ff:ff:ff", src=MAC2) / ARP(op=1, hwsrc=MAC2, psrc=IP2,
                                                       pdst=ADDR4),
        Ether(dst=PORT_MAC, src=MAC2) / IP(src=IP2, dst=ADDR4) /
        TCP(sport=SPORT, dport=DPORT, flags="S", seq=SEQ, window=64240),
        Ether(dst=PORT_MAC, src=MAC2) / ARP(op=2, hwsrc=MAC2, psrc=IP2, hwdst=PORT_MAC,
                                            pdst=ADDR4),
    ]
    syn = Ether(bytes(frames[1]))
    t.check(eptest.l4_csum_ok(syn, TCP) and eptest.ipv4_csum_ok(syn),
            "the SYN's checksums are correct (the kernel verifies them)")
    dp.write_input(frames)

    # State: the standard port; wait for the kernel's answer to leave.
    dp.start()
    dp.wait_settled(counters={"punted": 1, "exception_rx": 1, "main_tx": 1},
                    extra=lambda: len(rsts(dp.output())) >= 1,
                    what="the kernel's RST in the output", timeout=15)
    s = dp.stats()
    t.stopped_cleanly(dp)

    # Checks.
    t.at_least(s["punted"], 1, "punted")
    t.at_least(s["exception_rx"], 1, "exception_rx")
    t.at_least(s["main_tx"], 1, "main_tx")
    out = dp.output()
    r = rsts(out)
    t.equal(len(r), 1, f"RSTs {ADDR4}:{DPORT} -> {IP2}:{SPORT} in the output")
    if r:
        p = r[0]
        t.check(p[TCP].flags == "RA", "flags RST|ACK", f"seen {p[TCP].flags}")
        t.equal(p[TCP].ack, SEQ + 1, "RST acknowledges the SYN (ack)")
        t.check(eptest.mac_eq(p[Ether].src, PORT_MAC) and eptest.mac_eq(p[Ether].dst, MAC2),
                f"RST Ethernet {PORT_MAC} -> {MAC2}", f"seen {p[Ether].src} -> {p[Ether].dst}")
        t.check(eptest.ipv4_csum_ok(p), "RST IPv4 header checksum valid")
        t.check(eptest.l4_csum_ok(p, TCP), "RST TCP checksum valid", f"0x{p[TCP].chksum:04x}")


if __name__ == "__main__":
    eptest.main(body)
