#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
pcap fixture: corner cases of connection tracking (one input file).

Services: d 192.0.2.100:80/tcp dsr -> 192.0.2.11:80; a 192.0.2.101:80/tcp
and b 192.0.2.102:80/tcp, both nat -> 192.0.2.12:80 (one server behind
two VIPs).
Packets:
 (1) client 198.51.100.7:40000 SYN to d, then its ACK of the server's
     SYN-ACK (which in dsr goes to the client directly, never here);
 (2) client 198.51.100.7:41000 SYN to a, then the same client port's SYN
     to b: both would reach 192.0.2.12:80 from 198.51.100.7:41000, so the
     server's replies could not tell them apart.
Checks: (1) the dsr connection is established after the client's ACK
(`edgectl show flows`: state "established", expiring on the idle
timeout, not the SYN timeout); (2) the SYN to a is forwarded, the one to
b refused and counted (lb_tuple_in_use, and b's tuple_in_use); then over
the control socket: a service on a listener that exists is refused, and
so is a fullnat service whose snat_pool holds a VIP.
"""
import json
import os
import subprocess

import eptest
from eptest import GW_MAC, IP, PORT_MAC, TCP, Ether

EDGECTL = os.environ.get("EDGECTL", "build/control/edgectl")
CL = "198.51.100.7"
RS_D, RS_N = "192.0.2.11", "192.0.2.12"
MAC = {RS_D: "02:00:00:00:00:11", RS_N: "02:00:00:00:00:12"}


def syn(dst, sport, flags="S", seq=1):
    return Ether(dst=PORT_MAC, src=GW_MAC) / IP(src=CL, dst=dst, ttl=50) / \
        TCP(sport=sport, dport=80, flags=flags, seq=seq, ack=0 if flags == "S" else 5001)


def body(t):
    dp = eptest.Dataplane("lb_edges", profile_extra=[
        f"neighbor = {RS_D} {MAC[RS_D]}", f"neighbor = {RS_N} {MAC[RS_N]}", "",
        "[virtual_service d]", "listen = 192.0.2.100:80/tcp", "forwarding = dsr",
        "tcp_syn_timeout = 5s", "idle_timeout = 1h", f"real_server = {RS_D}:80", "",
        "[virtual_service a]", "listen = 192.0.2.101:80/tcp", f"real_server = {RS_N}:80", "",
        "[virtual_service b]", "listen = 192.0.2.102:80/tcp", f"real_server = {RS_N}:80"])
    frames = [syn("192.0.2.100", 40000), syn("192.0.2.100", 40000, "A", 2),
              syn("192.0.2.101", 41000), syn("192.0.2.102", 41000)]
    dp.write_input(frames)
    dp.start()
    dp.wait_settled(drops={"lb_tuple_in_use": 1})
    sock = os.path.join(dp.tmp, "dp.sock")

    def ctl(*args, stdin=None):
        return subprocess.run([EDGECTL, "--socket", sock] + list(args), input=stdin,
                              capture_output=True, text=True, timeout=30)

    r = ctl("--json", "show", "flows", "d")
    flows = json.loads(r.stdout)["flows"] if r.returncode == 0 else []
    t.check(len(flows) == 1 and flows[0]["state"] == "established",
            "dsr: established after the client's ACK", r.stdout[:300] + r.stderr)
    if flows:
        exp = flows[0].get("expires_s", 0)
        t.check(exp > 60, "dsr: expiring on the idle timeout, not the 5 s SYN timeout",
                json.dumps(flows[0]))
    r = ctl("--json", "show", "services")
    svcs = {s["name"]: s for s in json.loads(r.stdout)} if r.returncode == 0 else {}
    t.equal(svcs.get("a", {}).get("conns"), 1, "a: the first SYN made a connection")
    t.equal(svcs.get("b", {}).get("conns"), 0, "b: the second SYN none")
    bdrops = svcs.get("b", {}).get("drops", {})
    t.check("tuple_in_use" in json.dumps(bdrops), "b counts it as tuple_in_use",
            json.dumps(bdrops)[:200])
    d = dp.drops()
    t.equal(d["lb_tuple_in_use"], 1, "drops lb_tuple_in_use")

    r = ctl("service", "put", "-", stdin="[virtual_service c]\nlisten = 192.0.2.101:70-90/tcp\n"
            f"real_server = {RS_N}:80\n")
    t.check(r.returncode == 1 and "overlaps" in r.stderr, "an overlapping listener is refused",
            r.stderr.strip())
    r = ctl("service", "put", "-", stdin="[virtual_service f]\nlisten = 192.0.2.103:80/tcp\n"
            "forwarding = fullnat\nsnat_pool = 192.0.2.101-192.0.2.101\n"
            f"real_server = {RS_N}:80\n")
    t.check(r.returncode == 1 and "snat_pool" in r.stderr, "a snat_pool holding a VIP is refused",
            r.stderr.strip())
    out = dp.output()
    fw = [p for p in out if TCP in p and p[TCP].sport == 41000]
    t.equal(len(fw), 1, "one of the two SYNs from port 41000 forwarded")
    t.stopped_cleanly(dp)


if __name__ == "__main__":
    eptest.main(body)
