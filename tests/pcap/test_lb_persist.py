#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
pcap fixture: source-IP persistence holds for persistence_timeout after
the client's last new connection, then lets go.

Profile: web 192.0.2.100:443/tcp, rr over 192.0.2.11 and 192.0.2.12,
persistence = source_ip, persistence_timeout = 1s; input in phases
(eptest.PhasedDataplane).
Phase 1: client A's SYN (port 31001): the first rr pick, 192.0.2.11.
Phase 2 (at once): A's SYN from port 31002: persistent, 192.0.2.11 again
  (without persistence rr would give 192.0.2.12).
Then the test waits, bounded, until the binding has expired and been
swept (/edgeplane/lb persistence_entries back to 0; at least 1 s).
Phase 3: A's SYN from port 31003: scheduled afresh, the next rr pick,
  192.0.2.12.
Checks: those three destinations; persistence_entries 1 after phase 1
and 0 after the timeout; the other counters of /edgeplane/lb (connections
3, epoch >= 1).
"""
import time

import eptest
from eptest import GW_MAC, IP, PORT_MAC, TCP, Ether

RS1, RS2, VIP, CL = "192.0.2.11", "192.0.2.12", "192.0.2.100", "198.51.100.7"
MAC = {RS1: "02:00:00:00:00:11", RS2: "02:00:00:00:00:12"}


def syn(sport):
    return Ether(dst=PORT_MAC, src=GW_MAC) / IP(src=CL, dst=VIP, ttl=50) / \
        TCP(sport=sport, dport=443, flags="S", seq=7)


def body(t):
    dp = eptest.PhasedDataplane("lb_persist", phased=(0,), profile_extra=[
        f"neighbor = {RS1} {MAC[RS1]}", f"neighbor = {RS2} {MAC[RS2]}", "",
        "[virtual_service web]", f"listen = {VIP}:443/tcp", "scheduler = rr",
        "persistence = source_ip", "persistence_timeout = 1s",
        f"real_server = {RS1}:4443", f"real_server = {RS2}:4443"])

    def dest(sport):
        got = [p for p in dp.output() if TCP in p and p[TCP].sport == sport]
        return got[0][IP].dst if got else None

    def lb():
        return dp.tel.query("/edgeplane/lb") or {}

    dp.feed([syn(31001)])
    dp.start()
    dp.wait_for(lambda: dest(31001) is not None, "A's first SYN forwarded")
    t.equal(dest(31001), RS1, "A's first connection: the first rr pick")
    dp.wait_for(lambda: lb().get("persistence_entries") == 1, "A's binding recorded")
    t0 = time.monotonic()
    dp.feed([syn(31002)])
    dp.wait_for(lambda: dest(31002) is not None, "A's second SYN forwarded")
    t.equal(dest(31002), RS1, "A's second connection: persistent")
    dp.wait_for(lambda: lb().get("persistence_entries") == 0, "A's binding expired",
                timeout=15)
    t.check(time.monotonic() - t0 >= 0.9, "the binding lasted about persistence_timeout",
            f"{time.monotonic() - t0:.2f} s")
    dp.feed([syn(31003)], last=True)
    dp.wait_for(lambda: dest(31003) is not None, "A's third SYN forwarded")
    t.equal(dest(31003), RS2, "after the timeout: scheduled afresh (next rr pick)")
    s = lb()
    t.equal(s.get("connections"), 3, "/edgeplane/lb connections")
    t.check(s.get("epoch", 0) >= 1 and s.get("capacity", 0) >= 1024,
            "/edgeplane/lb epoch and capacity", str(s))
    t.stopped_cleanly(dp)


if __name__ == "__main__":
    eptest.main(body)
