#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
pcap fixture: a full connection table refuses new connections, counted,
and leaves established ones alone.

Profile: flows = 1024 (the smallest table), one worker, a UDP service
192.0.2.100:3478/udp (nat) -> 192.0.2.11:3478.
Packets: the first datagram of 1030 distinct flows (client
198.51.100.7, source ports 20000..21029), then a second datagram of the
first flow and of the last one admitted.
Checks: exactly 1024 first datagrams are forwarded and 6 are dropped as
lb_table_full (also counted on the service as table_full when edgectl
shows it, see test_ctl_lb); both second datagrams of admitted flows are
forwarded to the real server with valid checksums.
"""
import eptest
from eptest import GW_MAC, IP, PORT_MAC, UDP, Ether

RS, RS_MAC, VIP, CL = "192.0.2.11", "02:00:00:00:00:11", "192.0.2.100", "198.51.100.7"
N, CAP = 1030, 1024


def dgram(sport, payload):
    return Ether(dst=PORT_MAC, src=GW_MAC) / IP(src=CL, dst=VIP, ttl=50) / \
        UDP(sport=sport, dport=3478) / payload


class SmallTable(eptest.Dataplane):
    """The standard profile with `flows = 1024` in [dataplane]."""

    def write_profile(self):
        super().write_profile()
        with open(self.profile_path) as f:
            text = f.read()
        with open(self.profile_path, "w") as f:
            f.write(text.replace("[dataplane]\n", f"[dataplane]\nflows = {CAP}\n", 1))


def body(t):
    dp = SmallTable("lb_full", profile_extra=[
        f"neighbor = {RS} {RS_MAC}", "",
        "[virtual_service media]", f"listen = {VIP}:3478/udp", f"real_server = {RS}:3478"])
    frames = [dgram(20000 + i, b"first") for i in range(N)]
    frames += [dgram(20000, b"again-first"), dgram(20000 + CAP - 1, b"again-last")]
    dp.write_input(frames)
    dp.start()
    dp.wait_settled(drops={"lb_table_full": N - CAP})
    d = dp.drops()
    t.stopped_cleanly(dp)
    out = [p for p in dp.output() if UDP in p and p[IP].dst == RS]
    firsts = [p for p in out if bytes(p[UDP].payload) == b"first"]
    t.equal(len(firsts), CAP, "first datagrams forwarded")
    t.equal(d["lb_table_full"], N - CAP, "drops lb_table_full")
    again = [p for p in out if bytes(p[UDP].payload).startswith(b"again")]
    t.equal(len(again), 2, "datagrams of established flows forwarded")
    t.check(all(eptest.ipv4_csum_ok(p) and eptest.l4_csum_ok(p, UDP) for p in again),
            "their checksums valid")
    t.check(sorted(p[UDP].sport for p in again) == [20000, 20000 + CAP - 1],
            "the established flows are the ones that passed")


if __name__ == "__main__":
    eptest.main(body)
