#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
throughput-lb: whole-binary packet rate of the load balancer on one worker,
next to dpdk-testpmd (io forwarding) on the same two devices, in one run.

Devices (both binaries): net_pcap0 replays a pcap file as the receive side,
net_null0 (no-rx=1) is the transmit side and discards.  The generator is
in-process (net_pcap's rx burst copies each frame into a fresh mbuf), so on
a 2-CPU machine no CPU goes to a peer: -l 0-1 gives each binary its main
lcore (mostly asleep) on CPU 0 and one packet lcore on CPU 1.

Cases:
  few   16 TCP connections to a nat VIP (rr, 2 real servers): each client's
        SYN, then 15 ACK/data segments each (256 frames of 60 bytes),
        replayed without end (infinite_rx=1).  After the first pass the
        SYNs find their connection still in SYN_SENT (no SYN+ACK ever comes)
        and are forwarded like the rest; every frame is forwarded.
  1M    1,000,000 UDP flows to a nat VIP (udp_timeout 1h): one pass in flow
        order (creates the connections), then PASSES passes in a shuffled
        order, read once from the file (no infinite_rx: it keeps every frame
        of the file in an mbuf of the port's pool, and the dataplane's pool
        is sized from its descriptors, ~14k mbufs).  The first pass is
        reported as the new-connection rate, the rest as the established
        rate at 1M live flows.  testpmd reads the same file the same way.

Rates: edge-dataplane's /edgeplane/stats tx and testpmd's /ethdev/stats
opackets of net_null0, both read over DPDK telemetry, over a fixed interval
after warm-up (few) or over the part of the file between two marks (1M).
Each case runs REPEATS times alternating the binaries; medians are printed
with the ratio and cycles/packet (TSC Hz / pps; the TSC rate is what EAL
measured in testpmd's log).  Results go to build/perf/throughput_lb.json.

Targets are printed, not asserted (>= 50 % of testpmd with few flows, >= 30 %
with 1M).  Exit status is non-zero only when a binary fails or nothing is
forwarded.  Needs root (the dataplane's exception taps go into a network
namespace of the run, see tests/pcap/eptest.py).

Environment: EDGE_DATAPLANE, TESTPMD (binaries), THROUGHPUT_LB_JSON (output),
THROUGHPUT_LB_CASES ("few,1M"), THROUGHPUT_LB_SECONDS (interval, default 5),
THROUGHPUT_LB_REPEATS (default 3), THROUGHPUT_LB_FLOWS (default 1000000),
THROUGHPUT_LB_PASSES (shuffled passes after the first, default 15).
"""
import json
import os
import random
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pcap"))
import eptest  # noqa: E402  (re-executes with /usr/bin/python3 when it must)

VIP = "192.0.2.10"
TCP_PORT, UDP_PORT = 80, 53
GW4, GW_MAC = "192.0.2.254", "02:00:00:00:00:fe"
SERVERS = [("10.1.0.11", "02:00:00:00:01:0b"), ("10.1.0.12", "02:00:00:00:01:0c")]
PCAP_MAC = "02:70:63:61:70:00"  # net_pcap's MAC for the first port it creates
FRAME = 60                      # minimum Ethernet frame, FCS excluded

SECONDS = float(os.environ.get("THROUGHPUT_LB_SECONDS", "5"))
REPEATS = int(os.environ.get("THROUGHPUT_LB_REPEATS", "3"))
FLOWS = int(os.environ.get("THROUGHPUT_LB_FLOWS", "1000000"))
PASSES = int(os.environ.get("THROUGHPUT_LB_PASSES", "15"))
CASES = os.environ.get("THROUGHPUT_LB_CASES", "few,1M").split(",")
WARMUP_S = 2.0
POLL_S = 0.05
TARGETS = {"few": 0.5, "1M": 0.3}

TESTPMD = os.environ.get("TESTPMD") or shutil.which("dpdk-testpmd") or "/usr/bin/dpdk-testpmd"


class Error(Exception):
    """A binary failed or forwarded nothing: exit non-zero."""


def out_json_path():
    p = os.environ.get("THROUGHPUT_LB_JSON")
    if p:
        return p
    exe = os.path.realpath(eptest.BINARY)  # build/dataplane/edge-dataplane
    return os.path.join(os.path.dirname(os.path.dirname(exe)), "perf", "throughput_lb.json")


# ---------------------------------------------------------------- frames

def ip4(s):
    return bytes(int(x) for x in s.split("."))


def mac(s):
    return bytes.fromhex(s.replace(":", ""))


def fold(s):
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s


def sum16(b):
    if len(b) % 2:
        b += b"\0"
    return sum(struct.unpack(f"!{len(b) // 2}H", b))


def ipv4_header(proto, src, dst, l4len):
    h = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + l4len, 0, 0, 64, proto, 0, src,
                              dst))
    struct.pack_into("!H", h, 10, ~fold(sum16(bytes(h))) & 0xffff)
    return bytes(h)


def tcp_frame(src, sport, flags, seq, payload):
    eth = mac(PCAP_MAC) + mac(GW_MAC) + b"\x08\x00"
    dst = ip4(VIP)
    tcp = bytearray(struct.pack("!HHIIBBHHH", sport, TCP_PORT, seq, 1 if flags & 0x10 else 0,
                                5 << 4, flags, 65535, 0, 0) + payload)
    pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp))
    struct.pack_into("!H", tcp, 16, ~fold(sum16(pseudo + bytes(tcp))) & 0xffff)
    return eth + ipv4_header(6, src, dst, len(tcp)) + bytes(tcp)


def few_frames():
    """16 clients: every SYN, then 15 rounds of one ACK/data segment each."""
    pay = b"edge!!"  # 14 + 20 + 20 + 6 = 60 bytes
    clients = [(ip4(f"100.64.0.{i + 1}"), 40000 + i) for i in range(16)]
    frames = [tcp_frame(a, p, 0x02, 1000, b"") + b"\0" * 6 for a, p in clients]
    for r in range(15):
        frames += [tcp_frame(a, p, 0x18, 1001 + r * len(pay), pay) for a, p in clients]
    assert all(len(f) == FRAME for f in frames)
    return frames


def flow_addr(i):
    """Flow i's client: 65536 addresses in 100.64.0.0/10, 16 ports each."""
    return 0x64400000 + (i >> 4), 1024 + (i & 15)


def udp_pass(order):
    """pcap records (16-byte header + 60-byte frame) of flows in `order`."""
    rec_len = 16 + FRAME
    dst = ip4(VIP)
    payload = b"\0" * (FRAME - 42)
    eth = mac(PCAP_MAC) + mac(GW_MAC) + b"\x08\x00"
    l4len = 8 + len(payload)
    # Everything of the UDP checksum but the client's address and port.
    base = sum16(dst + struct.pack("!BBH", 0, 17, l4len)) + UDP_PORT + l4len
    ip_base = sum16(struct.pack("!BBHHHBBH", 0x45, 0, 20 + l4len, 0, 0, 64, 17, 0) + dst)
    rec_hdr = struct.pack("<IIII", 0, 0, FRAME, FRAME)
    tmpl = rec_hdr + eth + struct.pack("!BBHHHBBH", 0x45, 0, 20 + l4len, 0, 0, 64, 17, 0) + \
        b"\0\0\0\0" + dst + struct.pack("!HHHH", 0, UDP_PORT, l4len, 0) + payload
    assert len(tmpl) == rec_len
    buf = bytearray(tmpl * len(order))
    pack = struct.pack_into
    off = 0
    for i in order:
        a, p = flow_addr(i)
        ah, al = a >> 16, a & 0xffff
        ipc = ~fold(ip_base + ah + al) & 0xffff
        uc = ~fold(base + ah + al + p) & 0xffff or 0xffff
        pack("!HI", buf, off + 16 + 24, ipc, a)     # IP checksum, source address
        pack("!H", buf, off + 16 + 34, p)           # UDP source port
        pack("!H", buf, off + 16 + 40, uc)          # UDP checksum
        off += rec_len
    return bytes(buf)


PCAP_HDR = struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)


def write_many(path, flows, passes):
    order = list(range(flows))
    first = udp_pass(order)
    random.Random(7).shuffle(order)
    rest = udp_pass(order)
    with open(path, "wb") as f:
        f.write(PCAP_HDR)
        f.write(first)
        for _ in range(passes):
            f.write(rest)
    return flows * (1 + passes)


# ---------------------------------------------------------------- the binaries

def profile_lines(tmp, rx_dev):
    lines = [
        "; written by tests/perf/throughput_lb.py",
        "[dataplane]",
        "workers = 1",
        "flows = 2000000",
        "idle = poll",
        f"control_socket = {tmp}/dp.sock",
        "",
        "[port in]",
        "mode = pmd",
        f"device = {rx_dev}",
        "address = 192.0.2.1/24",
        f"gateway = {GW4}",
        f"neighbor = {GW4} {GW_MAC}",
        "",
        "[port out]",
        "mode = pmd",
        "device = net_null0,no-rx=1",
        "address = 10.1.0.1/24",
    ] + [f"neighbor = {a} {m}" for a, m in SERVERS] + [
        "",
        "[virtual_service web]",
        f"listen = {VIP}:{TCP_PORT}/tcp",
        "scheduler = rr",
        "forwarding = nat",
    ] + [f"real_server = {a}" for a, _ in SERVERS] + [
        "",
        "[virtual_service dns]",
        f"listen = {VIP}:{UDP_PORT}/udp",
        "scheduler = rr",
        "forwarding = nat",
        "udp_timeout = 1h",
    ] + [f"real_server = {a}" for a, _ in SERVERS]
    for ln in lines:
        if len(ln) >= eptest.PROF_LINE_MAX:
            raise Error(f"profile line too long: {ln}")
    return lines


class Edge(eptest.Dataplane):
    """edge-dataplane with the profile above, in the run's namespace."""

    def __init__(self, rx_dev):
        super().__init__("throughput-lb")
        self.rx_dev = rx_dev

    def write_profile(self):
        with open(self.profile_path, "w") as f:
            f.write("\n".join(profile_lines(self.tmp, self.rx_dev)) + "\n")

    def counters(self):
        s = self.stats()
        return s["rx"], s["tx"]

    def extra(self):
        try:
            return {"services": self.tel.query("/edgeplane/services"),
                    "drops": {k: v for k, v in (self.drops() or {}).items() if v}}
        except (OSError, ValueError):
            return {}


class Testpmd(eptest.Run):
    """dpdk-testpmd, io forwarding net_pcap0 -> net_null0, read over telemetry."""

    def __init__(self, rx_dev):
        super().__init__()
        self.rx_dev = rx_dev
        self.proc = None
        self.log_path = os.path.join(self.tmp, "testpmd.log")
        self.tel = None
        self.null_port = 1

    def start(self):
        if not os.access(TESTPMD, os.X_OK):
            raise Error(f"dpdk-testpmd not found at {TESTPMD} (set TESTPMD)")
        args = [TESTPMD, "--no-huge", "-m", "1024", "--no-pci", f"--file-prefix={self.run_id}",
                "-l", "0-1", "--log-level=lib.eal:debug", f"--vdev={self.rx_dev}",
                "--vdev=net_null0,no-rx=1", "--", "--forward-mode=io", "--auto-start"]
        with open(self.log_path, "wb") as log:
            # Without -i it forwards until a line arrives on stdin.
            self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=log, stderr=log,
                                         start_new_session=True)
        self.tel = eptest.Telemetry(os.path.join(self.runtime_dir, "dpdk_telemetry.v2"))
        end = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                raise Error(f"dpdk-testpmd exited ({self.proc.returncode}) at start:\n"
                            + self.log_tail())
            try:
                ports = self.tel.query("/ethdev/list")
                if ports is not None and len(ports) == 2:
                    for p in ports:
                        info = self.tel.query(f"/ethdev/info,{p}")
                        if info and info.get("name", "").startswith("net_null"):
                            self.null_port = p
                    return
            except OSError:
                pass
            if time.monotonic() > end:
                raise Error("dpdk-testpmd: telemetry never answered\n" + self.log_tail())
            time.sleep(POLL_S)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def counters(self):
        s = self.tel.query(f"/ethdev/stats,{1 - self.null_port}")
        t = self.tel.query(f"/ethdev/stats,{self.null_port}")
        return s["ipackets"], t["opackets"]

    def log_tail(self, n=15):
        try:
            with open(self.log_path, errors="replace") as f:
                return "\n".join("    | " + ln for ln in f.read().splitlines()[-n:])
        except OSError:
            return ""

    def tsc_hz(self):
        try:
            with open(self.log_path, errors="replace") as f:
                for ln in f:
                    if "TSC frequency is ~" in ln:
                        return int(ln.split("~")[1].split()[0]) * 1000
        except (OSError, ValueError, IndexError):
            pass
        return None

    def stop(self):
        if self.tel is not None:
            self.tel.close()
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            try:
                self.proc.communicate(b"\n", timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.send_signal(signal.SIGINT)
                try:
                    self.proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
        return self.proc.returncode

    def cleanup(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        super().cleanup()

    def extra(self):
        return {}


# ---------------------------------------------------------------- measuring

def sample(b):
    rx, tx = b.counters()
    return time.monotonic(), rx, tx


def rate(a, b):
    return (b[2] - a[2]) / (b[0] - a[0]) if b[0] > a[0] else 0.0


def measure_few(b):
    """Forwarding rate over SECONDS after WARMUP_S of traffic."""
    end = time.monotonic() + 30
    while sample(b)[2] == 0:
        if not b.alive():
            raise Error("the binary exited")
        if time.monotonic() > end:
            raise Error("nothing forwarded within 30 s")
        time.sleep(POLL_S)
    time.sleep(WARMUP_S)
    a = sample(b)
    time.sleep(SECONDS)
    z = sample(b)
    if not b.alive():
        raise Error("the binary exited while measured")
    return {"pps": rate(a, z), "seconds": z[0] - a[0], "forwarded": z[2]}


def measure_many(b, flows, total):
    """Rates between marks in the file: [5 %, 95 %] of the first pass (new
    connections) and from 1.2 passes to 0.3 pass before the end (established)."""
    marks = [int(flows * 0.05), int(flows * 0.95), int(flows * 1.2), total - int(flows * 0.3)]
    got = []
    deadline = time.monotonic() + 600
    last = sample(b)
    while len(got) < len(marks):
        s = sample(b)
        while len(got) < len(marks) and s[1] >= marks[len(got)]:
            got.append(s)
        if s[1] == last[1] and s[0] - last[0] > 10:
            raise Error(f"receive stalled at {s[1]} of {total} frames")
        if s[1] != last[1]:
            last = s
        if not b.alive():
            raise Error("the binary exited while measured")
        if time.monotonic() > deadline:
            raise Error("the file was not read within 600 s")
        time.sleep(0.02)
    return {"new_pps": rate(got[0], got[1]), "pps": rate(got[2], got[3]),
            "seconds": got[3][0] - got[2][0], "forwarded": got[3][2]}


def run_one(kind, rx_dev, case, flows=0, total=0):
    b = Edge(rx_dev) if kind == "edge" else Testpmd(rx_dev)
    try:
        b.start()
        r = measure_few(b) if case == "few" else measure_many(b, flows, total)
        r.update(b.extra())
        hz = b.tsc_hz() if kind == "testpmd" else None
        rc = b.stop()
        if rc != 0:
            raise Error(f"{kind} exited {rc} when stopped\n{b.log_tail()}")
        if hz:
            r["tsc_hz"] = hz
        return r
    except eptest.Failure as e:
        raise Error(f"{kind}: {e}")
    finally:
        b.cleanup()


def tsc_hz_fallback():
    try:
        with open("/proc/cpuinfo") as f:
            for ln in f:
                if ln.startswith("cpu MHz"):
                    return float(ln.split(":")[1]) * 1e6
    except (OSError, ValueError):
        pass
    return None


def main():
    signal.signal(signal.SIGTERM, eptest._on_signal)
    eptest.require_root()
    eptest.binary()
    files = eptest.Run()
    results = {"cases": {}, "repeats": REPEATS, "seconds": SECONDS,
               "targets": TARGETS, "date": time.strftime("%Y-%m-%dT%H:%M:%S")}
    hz = None
    status = 0
    try:
        for case in CASES:
            if case == "few":
                path = os.path.join(files.tmp, "few.pcap")
                eptest.write_pcap(path, few_frames())
                dev = f"net_pcap0,rx_pcap={path},infinite_rx=1"
                desc = "16 TCP connections, 256 frames of 60 B replayed (infinite_rx)"
                total = 0
            elif case == "1M":
                path = os.path.join(files.tmp, "many.pcap")
                t0 = time.monotonic()
                total = write_many(path, FLOWS, PASSES)
                print(f"# {case}: wrote {total} frames ({os.path.getsize(path) >> 20} MiB) in "
                      f"{time.monotonic() - t0:.1f} s", flush=True)
                dev = f"net_pcap0,rx_pcap={path}"
                desc = (f"{FLOWS} UDP flows, 1 pass in order then {PASSES} shuffled "
                        "(60 B frames, file read once)")
            else:
                raise Error(f"unknown case {case!r} (few, 1M)")
            runs = {"edge": [], "testpmd": []}
            for rep in range(REPEATS):
                for kind in ("testpmd", "edge") if rep % 2 == 0 else ("edge", "testpmd"):
                    r = run_one(kind, dev, case, FLOWS, total)
                    runs[kind].append(r)
                    hz = hz or r.get("tsc_hz")
                    extra = f", new connections {r['new_pps'] / 1e6:.2f} Mpps" \
                        if "new_pps" in r else ""
                    print(f"# {case} run {rep + 1} {kind:8s} {r['pps'] / 1e6:7.2f} Mpps "
                          f"over {r['seconds']:.1f} s{extra}", flush=True)
                    if r["forwarded"] == 0 or r["pps"] <= 0:
                        raise Error(f"{kind} forwarded nothing in case {case}")
            results["cases"][case] = {"description": desc, "runs": runs}
            if total:
                os.unlink(path)
    except (Error, eptest.Failure) as e:
        print(f"FAIL: {e}", flush=True)
        status = 1
    except (KeyboardInterrupt, eptest.Interrupted) as e:
        print(f"FAIL: interrupted ({e})", flush=True)
        status = 1
    finally:
        eptest._cleanup_all()

    hz = hz or tsc_hz_fallback()
    results["tsc_hz"] = hz
    print(f"throughput-lb: one worker, net_pcap0 -> net_null0, median of {REPEATS} runs"
          f" (TSC {hz / 1e9:.2f} GHz)" if hz else "")
    print(f"  {'case':6s} {'edge Mpps':>10s} {'testpmd Mpps':>13s} {'ratio':>7s} "
          f"{'edge cyc/pkt':>13s} {'testpmd cyc/pkt':>16s}  target")
    for case, c in results["cases"].items():
        e = statistics.median(r["pps"] for r in c["runs"]["edge"])
        t = statistics.median(r["pps"] for r in c["runs"]["testpmd"])
        c["edge_pps"], c["testpmd_pps"], c["ratio"] = e, t, e / t if t else None
        c["edge_cycles_per_packet"] = hz / e if hz and e else None
        c["testpmd_cycles_per_packet"] = hz / t if hz and t else None
        # What edge adds per packet over the same receive and transmit.
        c["edge_minus_testpmd_cycles"] = hz / e - hz / t if hz and e and t else None
        ok = c["ratio"] is not None and c["ratio"] >= TARGETS[case]
        print(f"  {case:6s} {e / 1e6:10.2f} {t / 1e6:13.2f} {c['ratio'] * 100:6.1f}% "
              f"{c['edge_cycles_per_packet'] or 0:13.0f} {c['testpmd_cycles_per_packet'] or 0:16.0f}"
              f"  >= {TARGETS[case] * 100:.0f}% {'met' if ok else 'NOT met'}")
        if case == "1M":
            n = statistics.median(r["new_pps"] for r in c["runs"]["edge"])
            c["edge_new_conn_pps"] = n
            print(f"  1M first pass (every frame a new connection): edge {n / 1e6:.2f} Mpps"
                  + (f", {hz / n:.0f} cycles/packet" if hz else ""))
        if c["edge_minus_testpmd_cycles"] is not None:
            print(f"  {case}: edge's own work ~{c['edge_minus_testpmd_cycles']:.0f} cycles/packet "
                  "(edge minus testpmd cycles/packet)")
    path = out_json_path()
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            json.dump(results, f, indent=2)
        print(f"  written: {path}")
    except OSError as e:
        print(f"# could not write {path}: {e}")
    sys.exit(status)


if __name__ == "__main__":
    main()
