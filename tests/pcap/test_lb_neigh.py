#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
pcap fixture: the load balancer follows a real server's new MAC address.

Workers keep a small cache of next hops (dataplane/dp_neigh.h), valid
while the neighbour entry's generation is unchanged.  Service web
192.0.2.100:443/tcp -> 192.0.2.11:4443; the real server is learned, not
static: it first announces itself with an ARP request for the port's
address.  Input in phases (eptest.PhasedDataplane).
 1. ARP request from 192.0.2.11 at 02:00:00:00:00:11, then a client SYN:
    forwarded to 02:00:00:00:00:11.
 2. Once the SYN is out: a gratuitous ARP from 192.0.2.11, now at
    02:00:00:00:00:22 (a failover); the test waits until the table says
    so.
 3. The client's ACK: forwarded to 02:00:00:00:00:22, not the cached MAC.
"""
import eptest
from eptest import ARP, GW_MAC, IP, PORT_MAC, TCP, Ether

RS, VIP, CL = "192.0.2.11", "192.0.2.100", "198.51.100.7"
OLD, NEW = "02:00:00:00:00:11", "02:00:00:00:00:22"
BCAST = "ff:ff:ff:ff:ff:ff"


def tcp(flags, seq):
    return Ether(dst=PORT_MAC, src=GW_MAC) / IP(src=CL, dst=VIP, ttl=50) / \
        TCP(sport=40000, dport=443, flags=flags, seq=seq, ack=0 if flags == "S" else 1)


def body(t):
    dp = eptest.PhasedDataplane("lb_neigh", phased=(0,), profile_extra=[
        "", "[virtual_service web]", f"listen = {VIP}:443/tcp", f"real_server = {RS}:4443"])

    def out(seq):
        return [p for p in dp.output() if TCP in p and p[TCP].seq == seq]

    def table_has(mac):
        return any(f" {RS} " in e and mac in e for e in dp.neigh_table() or [])

    hello = Ether(dst=BCAST, src=OLD) / ARP(op=1, hwsrc=OLD, psrc=RS, pdst="192.0.2.1")
    dp.feed([hello])
    dp.start()
    dp.pump(0, lambda: table_has(OLD), "192.0.2.11 learned at the old MAC")
    dp.feed([tcp("S", 100)])
    dp.pump(0, lambda: out(100), "the SYN forwarded")
    t.check(eptest.mac_eq(out(100)[0][Ether].dst, OLD), "SYN to the server's MAC",
            out(100)[0][Ether].dst)
    garp = Ether(dst=BCAST, src=NEW) / ARP(op=1, hwsrc=NEW, psrc=RS, pdst=RS)
    dp.feed([garp])
    dp.pump(0, lambda: table_has(NEW), "the new MAC in the table")
    dp.feed([tcp("A", 101)], last=True)
    dp.wait_for(lambda: out(101), "the ACK forwarded")
    t.check(eptest.mac_eq(out(101)[0][Ether].dst, NEW), "ACK to the server's new MAC",
            out(101)[0][Ether].dst)
    t.stopped_cleanly(dp)


if __name__ == "__main__":
    eptest.main(body)
