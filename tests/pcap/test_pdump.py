#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
dpdk-dumpcap captures on the dataplane's ports (rte_pdump_init).

Packets: one ICMP echo request from off-link 198.51.100.7 to 192.0.2.1,
replayed without end by net_pcap (infinite_rx=1); replies go to the
namespace's loopback through net_pcap's tx_iface.
State: the dataplane on hugepages (a secondary process must attach), in
its own namespace; hugepages reserved and hugetlbfs mounted by the test.
Checks: dpdk-dumpcap, a secondary process, attaches by --file-prefix,
captures 20 packets from the port and writes them (libpcap format); they are our
echo requests; the dataplane keeps running and stops cleanly.
"""
import os

import eptest
from eptest import ADDR4, PORT_MAC, GW4, ICMP, IP, Ether


def body(t):
    eptest.require_root()
    eptest.reserve_hugepages()
    dp = eptest.Dataplane("pdump", hugepages=True)
    dp.device = f"net_pcap0,rx_pcap={dp.in_pcap()},infinite_rx=1,tx_iface=lo"
    dp.write_input([Ether(dst=PORT_MAC, src="02:00:00:00:00:fe") /
                    IP(src="198.51.100.7", dst=ADDR4) / ICMP(type=8, id=7, seq=1) /
                    (b"pdump" * 8)])
    assert GW4  # the standard profile routes off-link replies via the gateway
    dp.start()
    dp.wait_for(lambda: dp.stats()["echo_replies"] > 100, "echo replies flowing")

    cap = os.path.join(dp.tmp, "cap.pcapng")
    r = eptest.sh("timeout", "60", "dpdk-dumpcap", f"--file-prefix={dp.run_id}", "-i",
                  "net_pcap0", "-c", "20", "-q", "-P", "-w", cap, check=False, timeout=90)
    t.equal(r.returncode, 0, "dpdk-dumpcap exit code")
    pkts = [Ether(b) for b in eptest.read_pcap(cap)]
    t.at_least(len(pkts), 20, "packets captured from the port")
    req = [p for p in pkts if IP in p and ICMP in p and p[ICMP].type == 8 and
           p[IP].src == "198.51.100.7"]
    t.at_least(len(req), 1, "captured packets are our echo requests")
    t.check(dp.alive(), "the dataplane is still running")
    t.stopped_cleanly(dp)


if __name__ == "__main__":
    eptest.main(body)
