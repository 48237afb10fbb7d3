#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
pmd mode on every kind of virtual device the dataplane must open.

Packets: ICMP echo requests from the kernel, over a net_tap port's own
interface, to that port's dataplane-owned address.
State: one profile with five pmd ports: the standard net_pcap port, a
net_ring port, a net_memif port (server role, its socket in the run's
directory, no peer), a net_tap port whose kernel side is moved into a
second namespace as host 198.18.3.2/24 (in the dataplane's own namespace
the port's exception tap already holds 198.18.3.1, which would make the
replies martians) and a net_null sink (no-rx=1).
Checks: the dataplane starts with all five, telemetry lists each with its
device; the tap port answers real pings (the dataplane, not the kernel,
owns 198.18.3.1); SIGTERM stops it cleanly with all of them.
"""
import os

import eptest

TAP_ADDR, TAP_PEER = "198.18.3.1", "198.18.3.2"


def body(t):
    run = eptest.Run()  # only for a name and a directory the dataplane's run shares
    tap_if = run.run_id[:12] + "t"
    memif_sock = os.path.join(run.tmp, "memif.sock")
    extra = [
        "",
        "[port ring]", "mode = pmd", "device = net_ring0", "address = 198.18.1.1/24",
        "",
        "[port memif]", "mode = pmd",
        f"device = net_memif0,role=server,socket={memif_sock},socket-abstract=no",
        "address = 198.18.2.1/24",
        "",
        "[port tap]", "mode = pmd", f"device = net_tap0,iface={tap_if}",
        f"address = {TAP_ADDR}/24",
        "",
        "[port sink]", "mode = pmd", "device = net_null0,no-rx=1", "address = 198.18.4.1/24",
    ]
    dp = eptest.Dataplane("vdevs", profile_extra=extra)
    dp.start()

    ports = dp.tel.query("/edgeplane/ports")
    names = ports["name"] if ports else []
    t.equal(sorted(names), sorted(["ext", "ring", "memif", "tap", "sink"]), "ports listed")
    for name, dev in (("ring", "net_ring0"), ("memif", "net_memif0"), ("tap", "net_tap0"),
                      ("sink", "net_null0")):
        p = dp.port(name)
        t.check(p is not None and p["device"].startswith(dev) and p["mode"] == "pmd",
                f"port {name} opened on {dev}", p)

    # The kernel end of the net_tap port, moved to a host namespace.
    host = run.run_id + "h"
    eptest.sh("ip", "netns", "add", host)
    try:
        eptest.sh("ip", "-n", dp.netns, "link", "set", tap_if, "netns", host)
        eptest.sh("ip", "-n", host, "addr", "add", f"{TAP_PEER}/24", "dev", tap_if)
        eptest.sh("ip", "-n", host, "link", "set", tap_if, "up")
        eptest.sh("ip", "netns", "exec", host, "ethtool", "-K", tap_if, "tx", "off")
        ok = False
        for _ in range(20):  # bounded: the link may take a moment to come up
            r = eptest.sh("ip", "netns", "exec", host, "ping", "-c", "1", "-W", "1",
                          TAP_ADDR, check=False)
            if r.returncode == 0:
                ok = True
                break
        t.check(ok, f"ping {TAP_ADDR} over the net_tap port answered")
        t.check(eptest.sh("ip", "netns", "exec", host, "ping", "-c", "3", "-i", "0.2", "-W",
                          "2", TAP_ADDR, check=False).returncode == 0, "3 of 3 pings answered")
    finally:
        eptest.sh("ip", "netns", "del", host, check=False)
    s = dp.stats()
    t.at_least(s["echo_replies"], 4, "echo replies counted")
    t.stopped_cleanly(dp)
    run.cleanup()


if __name__ == "__main__":
    eptest.main(body)
