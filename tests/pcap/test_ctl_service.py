#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
pcap fixture: virtual services added, updated and removed at run time
over the control socket (`edgectl service put FILE`, `service remove`).

The dataplane starts with no service; its input is a named pipe written
in phases (eptest.PhasedDataplane).  A configuration change waits for
every worker to pass a quiescent point, and the worker blocks in the
pipe's read, so each edgectl command runs while the test pumps filler
bursts into the pipe (in production a worker never blocks).

Steps and checks:
 1. `service put` of a section with a bad key: refused, exit 1, the
    message names the line of the section; `show services` is empty.
 2. `service put` of web (192.0.2.100:443/tcp -> 192.0.2.11:4443):
    "added", the epoch moves; a SYN to the VIP then leaves towards
    192.0.2.11:4443 with valid checksums; `show services` counts it.
 3. `service put` of web again with a second real server and weight 3:
    "updated"; `show servers web` lists both, the old one keeping its
    connection count; the next client's SYN is forwarded.
 4. `service put` changing web's listen port: refused (listen cannot
    change in place) and nothing changes.
 5. `service remove web`: removed; a SYN to the VIP is no longer
    forwarded (the address is no longer owned: not_local), `show
    services` is empty; removing it again names it as unknown.
"""
import json
import os
import subprocess

import eptest
from eptest import GW_MAC, IP, PORT_MAC, TCP, Ether

EDGECTL = os.environ.get("EDGECTL", "build/control/edgectl")
RS1, RS2, VIP, CL = "192.0.2.11", "192.0.2.12", "192.0.2.100", "198.51.100.7"
MAC = {RS1: "02:00:00:00:00:11", RS2: "02:00:00:00:00:12"}

WEB = ["[virtual_service web]", f"listen = {VIP}:443/tcp", "scheduler = wrr",
       f"real_server = {RS1}:4443"]
WEB2 = WEB + [f"real_server = {RS2}:4443 weight=3"]
BAD = ["[virtual_service web]", f"listen = {VIP}:443/tcp", "no_such_key = 1"]
MOVED = ["[virtual_service web]", f"listen = {VIP}:8443/tcp", f"real_server = {RS1}:4443"]


def syn(sport):
    return Ether(dst=PORT_MAC, src=GW_MAC) / IP(src=CL, dst=VIP, ttl=50) / \
        TCP(sport=sport, dport=443, flags="S", seq=7)


def body(t):
    dp = eptest.PhasedDataplane("ctl_service", phased=(0,), profile_extra=[
        f"neighbor = {RS1} {MAC[RS1]}", f"neighbor = {RS2} {MAC[RS2]}"])
    sock = os.path.join(dp.tmp, "dp.sock")

    def ctl(*args, pump=True):
        """edgectl against the dataplane; while it runs, keep the worker
        passing quiescent points."""
        p = subprocess.Popen([EDGECTL, "--socket", sock] + list(args), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        if pump:
            dp.pump(0, lambda: p.poll() is not None, f"edgectl {' '.join(args)}",
                    rounds=100000, timeout=30)
        out, err = p.communicate(timeout=30)
        return p.returncode, out, err

    def put(lines):
        path = os.path.join(dp.tmp, "svc.ini")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        return ctl("service", "put", path)

    def services():
        rc, out, _ = ctl("--json", "show", "services", pump=False)
        return json.loads(out) if rc == 0 else None

    def forwarded(sport):
        return [p for p in dp.output() if TCP in p and p[TCP].sport == sport and
                p[IP].src == CL]

    dp.feed([])
    dp.start()

    rc, out, err = put(BAD)
    t.check(rc == 1 and "service:3:" in err and "no_such_key" in err,
            "a bad section is refused, naming its line", f"rc {rc} {err.strip()}")
    t.equal(services(), [], "no services after the refusal")

    rc, out, err = put(WEB)
    t.check(rc == 0 and "added" in out, "service put web: added", f"rc {rc} {out}{err}")
    epoch1 = int(out.split()[-1]) if rc == 0 else -1
    dp.feed([syn(30001)])
    dp.wait_for(lambda: forwarded(30001), "the SYN to the new service forwarded")
    p = forwarded(30001)[0]
    t.check(p[IP].dst == RS1 and p[TCP].dport == 4443 and
            eptest.mac_eq(p[Ether].dst, MAC[RS1]), "forwarded to 192.0.2.11:4443")
    ok, why = eptest.csums_ok(p)
    t.check(ok, "its checksums valid", why)
    svcs = services() or []
    t.check(len(svcs) == 1 and svcs[0]["name"] == "web" and svcs[0]["conns"] == 1,
            "show services: web with 1 connection", json.dumps(svcs)[:200])

    rc, out, err = put(WEB2)
    t.check(rc == 0 and "updated" in out, "service put web again: updated",
            f"rc {rc} {out}{err}")
    t.check(rc == 0 and int(out.split()[-1]) > epoch1, "the epoch moved")
    rc, out, _ = ctl("--json", "show", "servers", "web", pump=False)
    srv = json.loads(out) if rc == 0 else []
    by = {s["address"]: s for s in srv} if srv and "address" in srv[0] else {}
    t.check(len(srv) == 2, "two real servers now", out[:300])
    if by:
        t.check(by.get(RS1, {}).get("conns") == 1, "the kept server keeps its count",
                json.dumps(by.get(RS1))[:200])
        t.check(by.get(RS2, {}).get("weight") == 3, "the new server has weight 3",
                json.dumps(by.get(RS2))[:200])
    dp.feed([syn(30002)])
    dp.wait_for(lambda: forwarded(30002), "a SYN after the update forwarded")

    rc, out, err = put(MOVED)
    t.check(rc == 1 and "listen" in err, "changing listen in place is refused",
            f"rc {rc} {err.strip()}")

    rc, out, err = ctl("service", "remove", "web")
    t.check(rc == 0 and "removed" in out, "service remove web", f"rc {rc} {out}{err}")
    t.equal(services(), [], "no services after the removal")
    rc, out, err = ctl("service", "remove", "web")
    t.check(rc == 1 and "web" in err, "removing it again names it", f"rc {rc} {err.strip()}")
    dp.feed([syn(30003)], last=True)
    dp.wait_settled(drops={"not_local": 1})
    t.stopped_cleanly(dp)
    t.equal(len(forwarded(30003)), 0, "a SYN after the removal is not forwarded")


if __name__ == "__main__":
    eptest.main(body)
