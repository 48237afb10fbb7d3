#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
The control socket (lib/ctlmsg) and edgectl against the real dataplane.

Packets: an ARP request for 192.0.2.1 and two echo requests from off-link
198.51.100.7, so the counters are not all zero.
State: the standard pcap port; the control socket in the run's directory.
Checks: the socket is mode 0600; `edgectl show stats|drops|ports|workers`
(tables and --json) agree with DPDK telemetry; `--profile` finds the
socket; malformed requests -- short, oversized, bad magic, old version,
unknown type, wrong size, a request before HELLO -- each get an error
reply with the right errno and leave the session and the dataplane
working; a second controller is refused with EBUSY while the first is
connected, and accepted once it leaves; a second dataplane on the same
socket is refused.
"""
import errno
import json
import os
import socket
import stat
import struct
import subprocess
import threading

import eptest
from eptest import ADDR4, PORT_MAC, ARP, ICMP, IP, Ether

EDGECTL = os.environ.get("EDGECTL", "build/control/edgectl")
MAGIC, VERSION = 0x45504331, 1
HELLO, STATS, DROPS, PORTS, WORKERS = 1, 2, 3, 4, 5
HDR = struct.Struct("<IHHIi")  # magic, version, type, seq, status


def hello_req(seq, role=0, client=b"test"):
    return HDR.pack(MAGIC, VERSION, HELLO, seq, 0) + struct.pack("<I32s", role, client)


def empty_req(typ, seq):
    return HDR.pack(MAGIC, VERSION, typ, seq, 0)


class Client:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.s.settimeout(5)
        self.s.connect(path)

    def call(self, data):
        """Send raw bytes; return (type, seq, status, payload) of the reply."""
        self.s.send(data)
        r = self.s.recv(70000)
        _, _, typ, seq, status = HDR.unpack(r[:HDR.size])
        return typ, seq, status, r[HDR.size:]

    def close(self):
        self.s.close()


def edgectl(*args):
    return subprocess.run([EDGECTL] + list(args), capture_output=True, text=True, timeout=30)


def body(t):
    dp = eptest.Dataplane("ctl")
    dp.write_input([
        Ether(dst="ff:ff:ff:ff:ff:ff", src="02:00:00:00:00:02") /
        ARP(op=1, hwsrc="02:00:00:00:00:02", psrc="192.0.2.2", pdst=ADDR4),
        Ether(dst=PORT_MAC, src="02:00:00:00:00:fe") / IP(src="198.51.100.7", dst=ADDR4) /
        ICMP(type=8, id=1, seq=1),
        Ether(dst=PORT_MAC, src="02:00:00:00:00:fe") / IP(src="198.51.100.7", dst=ADDR4) /
        ICMP(type=8, id=1, seq=2),
    ])
    dp.start()
    dp.wait_settled(counters={"arp_replies": 1, "echo_replies": 2})
    sock = os.path.join(dp.tmp, "dp.sock")
    t.check(stat.S_ISSOCK(os.stat(sock).st_mode) and
            stat.S_IMODE(os.stat(sock).st_mode) == 0o600, "control socket is mode 0600",
            oct(os.stat(sock).st_mode))

    # edgectl agrees with telemetry.
    tel = dp.stats()
    r = edgectl("--socket", sock, "--json", "show", "stats")
    t.equal(r.returncode, 0, "edgectl show stats --json exit code")
    st = json.loads(r.stdout) if r.returncode == 0 else {}
    for k in ("rx", "arp_replies", "echo_replies", "drops", "punted"):
        t.equal(st.get(k), tel[k], f"edgectl stats {k} == telemetry")
    # The kernel behind the exception tap may send (IPv6 router
    # solicitations) between the two reads: tx only grows.
    t.at_least(st.get("tx", -1), tel["tx"], "edgectl stats tx >= telemetry's earlier read")
    r = edgectl("--socket", sock, "show", "stats")
    t.check(r.returncode == 0 and "echo_replies" in r.stdout, "edgectl show stats (table)",
            r.stdout + r.stderr)
    r = edgectl("--socket", sock, "--json", "show", "drops")
    drops = json.loads(r.stdout) if r.returncode == 0 else {}
    t.equal(drops, dp.drops(), "edgectl show drops --json == telemetry /edgeplane/drops")
    r = edgectl("--socket", sock, "--json", "show", "ports")
    ports = json.loads(r.stdout) if r.returncode == 0 else []
    t.check(len(ports) == 1 and ports[0]["name"] == "ext" and ports[0]["mode"] == "pmd" and
            eptest.mac_eq(ports[0]["mac"], PORT_MAC) and ports[0]["rx"] == tel["rx"],
            "edgectl show ports --json", ports)
    r = edgectl("--socket", sock, "--json", "show", "workers")
    workers = json.loads(r.stdout) if r.returncode == 0 else []
    t.check(len(workers) == 1 and workers[0]["rx"] == tel["rx"], "edgectl show workers --json",
            workers)
    r = edgectl("--profile", dp.profile_path, "show", "ports")
    t.check(r.returncode == 0 and "ext" in r.stdout, "edgectl --profile finds the socket",
            r.stdout + r.stderr)
    r = edgectl("--socket", sock, "show", "nonsense")
    t.check(r.returncode == 2 and "unknown" in r.stderr, "edgectl: unknown show target", r.stderr)
    r = edgectl("--socket", os.path.join(dp.tmp, "nope.sock"), "show", "stats")
    t.check(r.returncode == 1 and "is edge-dataplane running" in r.stderr,
            "edgectl: no dataplane, a clear message", r.stderr)

    # Malformed requests: error replies, the session survives.
    c = Client(sock)
    cases = [
        ("a request before HELLO", empty_req(STATS, 7), STATS, -errno.ENOTCONN),
        ("3 bytes", b"abc", 0, -errno.EMSGSIZE),
        ("bad magic", struct.pack("<IHHIi", 0xdeadbeef, VERSION, STATS, 8, 0), 0,
         -errno.EPROTO),
        ("another version", HDR.pack(MAGIC, 99, STATS, 9, 0), 0, -errno.EPROTO),
        ("unknown type", HDR.pack(MAGIC, VERSION, 999, 10, 0), 0, -errno.EOPNOTSUPP),
        ("HELLO one byte short", hello_req(11)[:-1], HELLO, -errno.EMSGSIZE),
        ("STATS with a payload", empty_req(STATS, 12) + b"x", STATS, -errno.EMSGSIZE),
        ("70000 bytes", empty_req(STATS, 13) + b"\0" * (70000 - HDR.size), 0, -errno.EMSGSIZE),
        ("HELLO with role 7", hello_req(14, role=7), HELLO, -errno.EINVAL),
    ]
    for what, data, typ, status in cases:
        try:
            rtyp, _, rst, payload = c.call(data)
            t.check(rst == status and (typ == 0 or rtyp == typ) and payload == b"",
                    f"malformed: {what} -> {status}", f"got type {rtyp} status {rst}")
        except OSError as e:
            t.check(False, f"malformed: {what} -> {status}", repr(e))
    # Replies never carry bytes of earlier messages (other sessions').
    _, _, st, _ = c.call(empty_req(DROPS, 15) + b"A" * 60000)
    c2 = Client(sock)
    c2.call(hello_req(1))
    _, _, st, payload = c2.call(empty_req(DROPS, 2))
    t.check(st == 0 and b"AAAA" not in payload, "no leftover request bytes in a reply",
            payload[:200])
    c2.close()
    _, seq, st0, payload = c.call(hello_req(20))
    t.check(st0 == 0 and seq == 20 and len(payload) == 32, "HELLO after the errors works")
    _, _, st1, payload = c.call(empty_req(STATS, 21))
    t.check(st1 == 0 and len(payload) == 13 * 8, "STATS on the same session works")

    # One controller at a time; readers any number.
    c1, c2 = Client(sock), Client(sock)
    t.equal(c1.call(hello_req(1, role=1))[2], 0, "first controller accepted")
    t.equal(c2.call(hello_req(1, role=1))[2], -errno.EBUSY, "second controller refused")
    t.equal(c2.call(hello_req(2, role=0))[2], 0, "...but it may read")
    c1.close()
    c3 = Client(sock)
    ok = False
    for _ in range(50):  # the dataplane notices the close on its next wake-up
        if c3.call(hello_req(3, role=1))[2] == 0:
            ok = True
            break
    t.check(ok, "a controller is accepted once the first has gone")
    for x in (c, c2, c3):
        x.close()

    # A second dataplane on the same control socket: refused, the first unharmed.
    other = eptest.Dataplane("ctl2")
    other.profile_extra = []
    other.write_profile()
    with open(other.profile_path) as f:
        text = f.read().replace(os.path.join(other.tmp, "dp.sock"), sock)
    with open(other.profile_path, "w") as f:
        f.write(text)
    r = subprocess.run(["ip", "netns", "exec", dp.netns, eptest.binary(), "--profile",
                        other.profile_path, "--"] + eptest.eal_args(other.run_id),
                       capture_output=True, text=True, timeout=60)
    t.check(r.returncode != 0 and "is in use" in r.stdout + r.stderr,
            "a second dataplane on the same socket is refused", (r.stdout + r.stderr)[-600:])
    # Something that is not a stale socket of ours is never removed.
    with open(other.profile_path) as f:
        text = f.read()
    plain = os.path.join(other.tmp, "not-a-socket")
    with open(plain, "w") as f:
        f.write("keep me\n")
    with open(other.profile_path, "w") as f:
        f.write(text.replace(sock, plain))
    r = subprocess.run(["ip", "netns", "exec", dp.netns, eptest.binary(), "--profile",
                        other.profile_path, "--"] + eptest.eal_args(other.run_id),
                       capture_output=True, text=True, timeout=60)
    with open(plain) as f:
        kept = f.read()
    t.check(r.returncode != 0 and "something else is there" in r.stdout + r.stderr and
            kept == "keep me\n", "a regular file at the socket path is refused and kept",
            (r.stdout + r.stderr)[-600:])
    other.cleanup()
    t.check(dp.alive() and dp.stats() is not None, "the dataplane is still running")

    # Monitoring that keeps polling while the dataplane stops must not
    # crash it (telemetry callbacks outlive the state they read).
    stop_polling = threading.Event()
    polls = [0]

    def poll():
        tel = eptest.Telemetry(dp.tel.path)
        while not stop_polling.is_set():
            for cmd in ("/edgeplane/stats", "/edgeplane/neigh_table", "/edgeplane/port,ext",
                        "/edgeplane/workers", "/edgeplane/drops"):
                try:
                    tel.query(cmd)
                    polls[0] += 1
                except OSError:
                    return
    pollers = [threading.Thread(target=poll) for _ in range(2)]
    for th in pollers:
        th.start()
    dp.wait_for(lambda: polls[0] > 50, "telemetry polled", show_counters=False)
    t.stopped_cleanly(dp)
    stop_polling.set()
    for th in pollers:
        th.join(10)
    t.check(not os.path.exists(sock), "the socket is removed on exit")


if __name__ == "__main__":
    eptest.main(body)
