#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
pcap fixture: least_conn holds across workers.

State: workers = 2, 2 rx/tx queues; rx queue 1 is a named pipe written
in phases (eptest.PhasedDataplane), queue 0 an empty file.  Service lc
192.0.2.130:443/tcp, least_conn over A 192.0.2.81:4443 and
B 192.0.2.82:4443.  Each worker counts its own connections exactly and
the other worker's from a snapshot the main lcore publishes every tick
(100 ms); the workers' lc_snapshots counters show the snapshots taken.

 1. `edgectl server disable lc 192.0.2.82:4443`: B takes nothing new.
 2. Phase 1: SYNs from 16 clients 198.51.100.1-16 (both workers own some):
    all go to A.
 3. `server enable lc 192.0.2.82:4443`; then the test waits until each
    worker has adopted two more snapshots (so one was taken after
    phase 1).
 4. Phase 2: SYNs from 20 new clients 198.51.100.101-120.
Checks: phase 1 all to A and both workers own phase-1 clients; phase 2
all to B.  Each worker sees A at 16 (its own plus the other's), B at 0
plus its own, and owns at most 16 of phase 2, so B stays the least
loaded.  A worker that knew only its own connections would see A at its
share of 16 (about 8) and send its later clients to A as well: the
check fails without the cross-worker counts (tried: 6 of 20 went to A).
"""
import os
import subprocess

import eptest
from eptest import GW_MAC, IP, PORT_MAC, TCP, Ether

EDGECTL = os.environ.get("EDGECTL", "build/control/edgectl")
VIP, A, B = "192.0.2.130", "192.0.2.81", "192.0.2.82"


def mac(a):
    return f"02:00:00:00:00:{int(a.split('.')[3]):02x}"


def syn(i):
    return Ether(dst=PORT_MAC, src=GW_MAC) / IP(src=f"198.51.100.{i}", dst=VIP, ttl=50) / \
        TCP(sport=41000 + i, dport=443, flags="S", seq=1000 * i)


def body(t):
    dp = eptest.PhasedDataplane("lb_lc_workers", workers=2, queues=2, phased=(1,),
                                profile_extra=[
        f"neighbor = {A} {mac(A)}", f"neighbor = {B} {mac(B)}", "",
        "[virtual_service lc]", f"listen = {VIP}:443/tcp", "scheduler = least_conn",
        f"real_server = {A}:4443", f"real_server = {B}:4443"])
    sock = os.path.join(dp.tmp, "dp.sock")

    def ctl(*args):
        p = subprocess.Popen([EDGECTL, "--socket", sock] + list(args), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        dp.pump(1, lambda: p.poll() is not None, f"edgectl {' '.join(args)}",
                rounds=100000, timeout=30)
        out, err = p.communicate(timeout=30)
        return p.returncode, out + err

    def sent(i):
        """(tx queue, destination) of client i's SYN, or None."""
        for q in range(2):
            for p in dp.output(q):
                if TCP in p and p[TCP].seq == 1000 * i and p[IP].src == f"198.51.100.{i}":
                    return q, p[IP].dst
        return None

    dp.start()
    rc, out = ctl("server", "disable", "lc", f"{B}:4443")
    t.check(rc == 0, "B disabled", out.strip())

    phase1 = range(1, 17)
    dp.feed([syn(i) for i in phase1], q=1)
    dp.pump(1, lambda: all(sent(i) for i in phase1), "phase 1 forwarded", rounds=100000)
    got1 = {i: sent(i) for i in phase1}
    t.check(all(d == A for _, d in got1.values()), "phase 1: all to A", str(got1))
    owners = {q for q, _ in got1.values()}
    t.check(owners == {0, 1}, "both workers own phase-1 clients", str(owners))

    rc, out = ctl("server", "enable", "lc", f"{B}:4443")
    t.check(rc == 0, "B enabled", out.strip())
    base = dp.per_worker()["lc_snapshots"]
    dp.pump(1, lambda: all(n >= b + 2 for n, b in zip(dp.per_worker()["lc_snapshots"], base)),
            "two more snapshots on each worker", rounds=1000000, timeout=15)

    phase2 = range(101, 121)
    dp.feed([syn(i) for i in phase2], q=1, last=True)
    dp.wait_for(lambda: all(sent(i) for i in phase2), "phase 2 forwarded")
    got2 = {i: sent(i) for i in phase2}
    to_a = sorted(i for i, (_, d) in got2.items() if d == A)
    per_worker = [sum(1 for q, _ in got2.values() if q == w) for w in range(2)]
    print(f"#   phase 2 per worker: {per_worker}")
    t.check(max(per_worker) <= 16, "no worker owns more than 16 of phase 2", str(per_worker))
    t.check(not to_a, "phase 2: all to B (A's 16 counted across workers)",
            f"to A: {to_a}")
    t.stopped_cleanly(dp)


if __name__ == "__main__":
    eptest.main(body)
