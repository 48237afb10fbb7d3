# SPDX-License-Identifier: BSD-3-Clause
"""
eptest: the pcap fixtures' harness.

Runs the real edge-dataplane on a net_pcap port: the test writes the
frames it wants to send into rx_pcap files, starts the dataplane in a
network namespace of its own (the port's exception tap lands there,
with the port's addresses, instead of on the host), waits on telemetry
counters until the dataplane has seen and answered everything, stops it
with SIGTERM and reads what it sent from the tx_pcap files.

    dp = eptest.Dataplane("icmp")
    dp.write_input([frame, ...])          # queue 0; write_input(f, q=1)...
    dp.start()
    dp.wait_for(lambda: dp.stats()["rx"] == n, "all frames received")
    dp.stop()                             # SIGTERM; exit code checked
    out = dp.output()                     # scapy Ether packets, queue 0

A test script is `eptest.main(body)` with body(t) calling t.check(...):
one line per check, then "N passed, N failed", exit code 0 only if all
passed.  Anything that goes wrong outside a check (no root, no binary,
a wait that times out, Ctrl-C) is one more failure, never a skip, and
the namespace, the process, DPDK's runtime directory and the temporary
files are removed on every path.

Environment: EDGE_DATAPLANE names the binary (meson sets it);
EPTEST_KEEP=1 keeps the temporary directory (profile, pcaps, log).
"""
import atexit
import json
import logging
import os
import random
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import traceback

# Scapy comes from Debian's python3-scapy.  When the python3 first on
# PATH is another interpreter (pyenv, a venv) without it, run again with
# the system interpreter rather than fail on an environment detail.
try:
    logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
    from scapy.all import (ARP, ICMP, IP, TCP, UDP, Dot1Q, Ether, ICMPv6EchoReply,
                           ICMPv6EchoRequest, ICMPv6ND_NA, ICMPv6ND_NS,
                           ICMPv6NDOptDstLLAddr, ICMPv6NDOptSrcLLAddr, IPv6, Raw)
except ImportError:
    if os.environ.get("EPTEST_REEXEC") is None and os.path.realpath(
            sys.executable) != os.path.realpath("/usr/bin/python3") and os.access(
            "/usr/bin/python3", os.X_OK):
        os.environ["EPTEST_REEXEC"] = "1"
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    print("FAIL: scapy is not importable (apt-get install python3-scapy)")
    print("0 passed, 1 failed")
    sys.exit(1)

__all__ = [
    "ARP", "ICMP", "IP", "TCP", "UDP", "Dot1Q", "Ether", "ICMPv6EchoReply",
    "ICMPv6EchoRequest", "ICMPv6ND_NA", "ICMPv6ND_NS", "ICMPv6NDOptDstLLAddr",
    "ICMPv6NDOptSrcLLAddr", "IPv6", "Raw",
]

# The port every fixture configures, and what it is connected to.
PORT = "ext"
PORT_MAC = "02:70:63:61:70:00"  # net_pcap's MAC for the first port it creates
ADDR4, PLEN4 = "192.0.2.1", 24
ADDR6, PLEN6 = "2001:db8::1", 64
GW4, GW_MAC = "192.0.2.254", "02:00:00:00:00:fe"

POLL_S = 0.05
PROF_LINE_MAX = 200  # the loader refuses longer lines

BINARY = os.environ.get("EDGE_DATAPLANE") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "build", "dataplane",
    "edge-dataplane")


class Failure(Exception):
    """A failure outside a check: ends the test, counted as failed."""


class Interrupted(BaseException):
    """SIGTERM/SIGHUP (e.g. meson's timeout): unwinds like Ctrl-C."""


def _on_signal(signo, frame):
    raise Interrupted(f"signal {signo}")


def binary():
    """The edge-dataplane binary; a Failure when it is missing."""
    if not (os.path.isfile(BINARY) and os.access(BINARY, os.X_OK)):
        raise Failure(f"edge-dataplane binary not found at {BINARY} "
                      "(build it, or set EDGE_DATAPLANE)")
    return BINARY


def reserve_hugepages(pages=256):
    """A secondary process (dpdk-dumpcap, proc-info) needs the primary on
    hugepages: reserve some 2 MB pages and mount hugetlbfs if needed."""
    path = "/proc/sys/vm/nr_hugepages"
    with open(path) as f:
        have = int(f.read())
    if have < pages:
        with open(path, "w") as f:
            f.write(str(pages))
    with open("/proc/mounts") as f:
        mounted = any(line.split()[2] == "hugetlbfs" for line in f)
    if not mounted:
        os.makedirs("/dev/hugepages", exist_ok=True)
        sh("mount", "-t", "hugetlbfs", "nodev", "/dev/hugepages")
    with open("/proc/meminfo") as f:
        free = [ln for ln in f if ln.startswith("HugePages_Free")]
    if not free or int(free[0].split()[1]) < 128:
        raise Failure(f"could not reserve hugepages: {free}")


def require_root():
    if os.geteuid() != 0:
        raise Failure("must run as root: the test creates a network namespace "
                      "and the dataplane a tap interface")


def sh(*args, timeout=30, check=True):
    r = subprocess.run(list(args), capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise Failure(f"`{' '.join(args)}` failed ({r.returncode}): {r.stderr.strip()}")
    return r


# ---------------------------------------------------------------- pcap files

def write_pcap(path, frames):
    """Classic pcap, Ethernet link type; frames are bytes or scapy packets
    and are written exactly as given (no padding, no fixing)."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            b = bytes(fr)
            f.write(struct.pack("<IIII", 1700000000, i, len(b), len(b)))
            f.write(b)


def read_pcap(path):
    """Frames of a pcap file as bytes.  Tolerates a file still being
    written: a missing file is empty, a partial last record is ignored."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return []
    if len(data) < 24:
        return []
    magic = struct.unpack("<I", data[:4])[0]
    if magic in (0xa1b2c3d4, 0xa1b23c4d):
        endian = "<"
    elif magic in (0xd4c3b2a1, 0x4d3cb2a1):
        endian = ">"
    else:
        raise Failure(f"{path}: not a pcap file (magic {magic:#x})")
    frames, off = [], 24
    while off + 16 <= len(data):
        _, _, caplen, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        if off + 16 + caplen > len(data):
            break
        frames.append(data[off + 16:off + 16 + caplen])
        off += 16 + caplen
    return frames


# ---------------------------------------------------------------- checksums

def ipv4_csum_ok(pkt):
    """Does the IPv4 header checksum match what scapy computes?"""
    ip = pkt[IP]
    c = IP(bytes(ip))
    c.chksum = None
    return IP(bytes(c)).chksum == ip.chksum


def l4_csum_ok(pkt, layer, field="chksum"):
    """Does layer's checksum field (pseudo-header included) match what
    scapy computes when rebuilding from the IP header down?"""
    top_cls = IP if IP in pkt else IPv6
    c = top_cls(bytes(pkt[top_cls]))
    c[layer].setfieldval(field, None)
    return top_cls(bytes(c))[layer].getfieldval(field) == pkt[layer].getfieldval(field)


def mac_eq(a, b):
    return str(a).lower() == str(b).lower()


# ---------------------------------------------------------------- telemetry

class Telemetry:
    """DPDK telemetry v2: SOCK_SEQPACKET, a JSON greeting on connect, then
    one JSON reply per command string."""

    def __init__(self, path):
        self.path = path
        self.sock = None
        self.maxlen = 16384

    def _connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        s.settimeout(5)
        try:
            s.connect(self.path)
            greeting = json.loads(s.recv(4096).decode())
        except (OSError, ValueError):
            s.close()
            raise
        self.maxlen = int(greeting.get("max_output_len", self.maxlen))
        self.sock = s

    def query(self, cmd):
        """Value of one command's reply (None when the command failed)."""
        for attempt in (0, 1):
            try:
                if self.sock is None:
                    self._connect()
                self.sock.send(cmd.encode())
                data = self.sock.recv(self.maxlen)
                if not data:
                    raise OSError("telemetry connection closed")
                reply = json.loads(data.decode())
                return next(iter(reply.values())) if reply else None
            except (OSError, ValueError):
                self.close()
                if attempt == 1:
                    raise
        return None

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None


# ---------------------------------------------------------------- the dataplane

_live = []  # Dataplane objects to clean up, whatever happens


def _cleanup_all():
    while _live:
        _live.pop().cleanup()


atexit.register(_cleanup_all)


def standard_profile(tmp, workers=1, queues=1, extra=(), device=None):
    """The fixtures' profile: [dataplane] and one pmd port on net_pcap with
    `queues` rx_pcap/tx_pcap files in tmp (in<q>.pcap, out<q>.pcap), or
    on `device` when given."""
    pcaps = ",".join(f"rx_pcap={tmp}/in{q}.pcap,tx_pcap={tmp}/out{q}.pcap"
                     for q in range(queues))
    device = device or f"net_pcap0,{pcaps}"
    lines = [
        "; written by tests/pcap/eptest.py",
        "[dataplane]",
        f"workers = {workers}",
        "idle = backoff",
        f"control_socket = {tmp}/dp.sock",
        "",
        f"[port {PORT}]",
        "mode = pmd",
        f"device = {device}",
        f"address = {ADDR4}/{PLEN4}",
        f"address = {ADDR6}/{PLEN6}",
        f"gateway = {GW4}",
        f"neighbor = {GW4} {GW_MAC}",
    ] + list(extra)
    for ln in lines:
        if len(ln) >= PROF_LINE_MAX:
            raise Failure(f"profile line longer than {PROF_LINE_MAX - 1}: {ln}")
    return lines


def eal_args(run_id, workers=1, hugepages=False):
    """EAL arguments for a run: no hugepages (unless a secondary process
    must attach), no PCI, the run's own --file-prefix; the main lcore
    plus one per worker."""
    cores = "--lcores=0@0,1@0,2@1" if workers == 2 else f"-l 0-{workers}"
    mem = ["-m", "256"] if hugepages else ["--no-huge", "-m", "512"]
    return cores.split() + mem + ["--no-pci",
                            f"--file-prefix={run_id}", "--log-level=edgeplane.*:info"]


class Run:
    """A run id (pid + random), a temporary directory, optionally a network
    namespace of that name, and DPDK's runtime directory for a
    --file-prefix of that name: all removed by cleanup(), which main()
    calls on every path."""

    def __init__(self):
        self.run_id = f"ep{os.getpid() % 100000}x{random.randrange(16 ** 4):04x}"
        self.tmp = tempfile.mkdtemp(prefix="ep-", dir="/tmp")
        self.netns = None
        self.runtime_dir = f"/var/run/dpdk/{self.run_id}"
        _live.append(self)

    def add_netns(self):
        require_root()
        sh("ip", "netns", "add", self.run_id)
        self.netns = self.run_id
        sh("ip", "-n", self.netns, "link", "set", "lo", "up")
        return self.netns

    def cleanup(self):
        if self.netns is not None:
            subprocess.run(["ip", "netns", "del", self.netns], capture_output=True)
            self.netns = None
        if os.path.isdir(self.runtime_dir):
            shutil.rmtree(self.runtime_dir, ignore_errors=True)
        if os.path.isdir(self.tmp):
            if os.environ.get("EPTEST_KEEP"):
                print(f"# kept {self.tmp}")
            else:
                shutil.rmtree(self.tmp, ignore_errors=True)
        if self in _live:
            _live.remove(self)


class Dataplane(Run):
    """One edge-dataplane run on a net_pcap port with `queues` rx_pcap and
    tx_pcap files, in the run's namespace and with its --file-prefix, so
    runs never collide and the tap stays off the host."""

    def __init__(self, name, workers=1, queues=1, profile_extra=(), device=None,
                 hugepages=False):
        super().__init__()
        self.device = device
        self.hugepages = hugepages
        self.name = name
        self.workers = workers
        self.queues = queues
        self.proc = None
        self.tel = None
        self.log_path = os.path.join(self.tmp, "dataplane.log")
        self.out_path = os.path.join(self.tmp, "dataplane.out")
        self.profile_path = os.path.join(self.tmp, "edge.ini")
        self.profile_extra = list(profile_extra)
        self.fed = [0] * queues
        self.exit_stdout = ""
        for q in range(queues):
            write_pcap(self.in_pcap(q), [])

    # -- files
    def in_pcap(self, q=0):
        return os.path.join(self.tmp, f"in{q}.pcap")

    def out_pcap(self, q=0):
        return os.path.join(self.tmp, f"out{q}.pcap")

    def write_input(self, frames, q=0):
        write_pcap(self.in_pcap(q), frames)
        self.fed[q] = len(frames)

    def write_profile(self):
        lines = standard_profile(self.tmp, self.workers, self.queues, self.profile_extra,
                                 self.device)
        with open(self.profile_path, "w") as f:
            f.write("\n".join(lines) + "\n")

    # -- process
    def start(self):
        """Start in a fresh namespace; return once telemetry answers."""
        require_root()
        exe = binary()
        self.write_profile()
        self.add_netns()
        with open(self.log_path, "wb") as log, open(self.out_path, "wb") as out:
            # `ip netns exec` execs the command: proc.pid is the dataplane.
            # Its own session, so a Ctrl-C reaches only the test, which
            # then stops it.
            self.proc = subprocess.Popen(
                ["ip", "netns", "exec", self.netns, exe, "--profile", self.profile_path,
                 "--"] + eal_args(self.run_id, self.workers, self.hugepages),
                stdout=out, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
        self.tel = Telemetry(os.path.join(self.runtime_dir, "dpdk_telemetry.v2"))

        def telemetry_up():
            try:
                return self.tel.query("/edgeplane/stats") is not None
            except OSError:
                return False
        self.wait_for(telemetry_up, "telemetry to answer /edgeplane/stats", timeout=30,
                      show_counters=False)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, n=25):
        try:
            with open(self.log_path, errors="replace") as f:
                lines = f.read().splitlines()
        except OSError:
            return ""
        return "\n".join("    | " + ln for ln in lines[-n:])

    def stop(self, timeout=20):
        """SIGTERM; the exit code (the counters it printed: exit_stdout)."""
        if self.proc is None:
            raise Failure("stop: the dataplane was never started")
        if self.tel is not None:
            self.tel.close()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise Failure(f"the dataplane did not exit within {timeout}s of SIGTERM")
        with open(self.out_path, errors="replace") as f:
            self.exit_stdout = f.read()
        return rc

    def cleanup(self):
        if self.tel is not None:
            self.tel.close()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        super().cleanup()

    # -- counters
    def stats(self):
        return self.tel.query("/edgeplane/stats")

    def drops(self):
        return self.tel.query("/edgeplane/drops")

    def per_worker(self):
        return self.tel.query("/edgeplane/workers")

    def neigh(self):
        return self.tel.query("/edgeplane/neigh")

    def neigh_table(self):
        """Entries as strings: "PORT ADDRESS MAC static|learned" or "PORT ADDRESS - incomplete"."""
        return self.tel.query("/edgeplane/neigh_table")

    def port(self, name=PORT):
        return self.tel.query(f"/edgeplane/port,{name}")

    def counters_text(self):
        try:
            s, d, n = self.stats(), self.drops(), self.neigh()
        except OSError as e:
            return f"    (telemetry unavailable: {e})"
        nz = {k: v for k, v in (d or {}).items() if v}
        return f"    stats {s}\n    drops {nz}\n    neigh {n}"

    def wait_for(self, pred, what, timeout=15, show_counters=True):
        """Poll pred() every 50 ms until it holds; a Failure showing the
        last counters after `timeout` s, or at once if the dataplane died."""
        end = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise Failure(f"the dataplane exited ({self.proc.returncode}) while waiting "
                              f"for {what}\n{self.log_tail()}")
            if pred():
                return
            if time.monotonic() >= end:
                msg = f"timed out after {timeout}s waiting for {what}"
                if show_counters:
                    msg += "\n" + self.counters_text()
                raise Failure(msg + "\n" + self.log_tail(10))
            time.sleep(POLL_S)

    def transmitted_all(self, s=None, d=None):
        """Has everything queued for transmission been transmitted?  Every
        frame a worker answers directly (ARP, NA, echo not waiting for a
        next hop) and every frame the main lcore queues (released held
        packets, its ARP/NS, the kernel's) ends in tx or a tx drop."""
        s = s or self.stats()
        d = d or self.drops()
        queued = (s["arp_replies"] + s["nd_replies"] + s["echo_replies"] - s["slowpath"]
                  + s["main_tx"])
        return s["tx"] + d.get("tx_full", 0) + d.get("no_tx_queue", 0) >= queued

    def wait_settled(self, counters=None, drops=None, timeout=15, extra=None, what=""):
        """Wait until every fed frame is received (rx == frames fed, summed
        over queues), the given stats and drop counters have at least the
        given values, extra() (if any) holds, and all queued frames left."""
        counters = dict(counters or {})
        drops = dict(drops or {})
        fed = sum(self.fed)

        def ready():
            s, d = self.stats(), self.drops()
            if s is None or d is None or s["rx"] != fed:
                return False
            if any(s.get(k, 0) < v for k, v in counters.items()):
                return False
            if any(d.get(k, 0) < v for k, v in drops.items()):
                return False
            if extra is not None and not extra():
                return False
            return self.transmitted_all(s, d)
        desc = f"rx == {fed}" + "".join(f", {k} >= {v}" for k, v in counters.items()) + \
            "".join(f", drop {k} >= {v}" for k, v in drops.items()) + \
            (f", {what}" if what else "") + ", all queued frames transmitted"
        self.wait_for(ready, desc, timeout=timeout)

    # -- results
    def output(self, q=0):
        return [Ether(b) for b in read_pcap(self.out_pcap(q))]


# ---------------------------------------------------------------- checks

class Test:
    """One line per check; `finish` prints the summary."""

    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = 0

    def check(self, ok, what, detail=""):
        if ok:
            self.passed += 1
            print(f"ok: {what}", flush=True)
        else:
            self.failed += 1
            print(f"FAIL: {what}" + (f" -- {detail}" if detail else ""), flush=True)
        return bool(ok)

    def equal(self, seen, expected, what):
        return self.check(seen == expected, f"{what} == {expected!r}",
                          f"seen {seen!r}")

    def at_least(self, seen, minimum, what):
        return self.check(seen is not None and seen >= minimum, f"{what} >= {minimum}",
                          f"seen {seen!r}")

    def stopped_cleanly(self, dp):
        """SIGTERM: exit code 0 and the counters printed on stdout."""
        rc = dp.stop()
        self.check(rc == 0, "dataplane exits 0 on SIGTERM",
                   f"exit code {rc}\n{dp.log_tail()}")
        self.check("counters" in dp.exit_stdout, "dataplane prints its counters on exit",
                   f"stdout: {dp.exit_stdout[:200]!r}")
        return rc


def main(body):
    """Run body(t) with cleanup on every path; exit with the summary."""
    name = os.path.basename(sys.argv[0])
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if inherited ignored
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)
    t = Test(name)
    try:
        body(t)
    except Failure as e:
        t.check(False, "test ran to completion", str(e))
    except (KeyboardInterrupt, Interrupted) as e:
        t.check(False, "test ran to completion", f"interrupted ({str(e) or 'Ctrl-C'})")
    except Exception:
        t.check(False, "test ran to completion", traceback.format_exc())
    finally:
        try:
            _cleanup_all()
        except (KeyboardInterrupt, Interrupted):
            _cleanup_all()
    print(f"{t.passed} passed, {t.failed} failed", flush=True)
    sys.exit(0 if t.failed == 0 and t.passed > 0 else 1)


# ---------------------------------------------------------------- phased input

def dp_burst():
    """A worker's rx burst (DP_BURST in dataplane/dp.h; 32 if unreadable)."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "dataplane",
                        "dp.h")
    try:
        with open(path) as f:
            for ln in f:
                parts = ln.split()
                if len(parts) >= 3 and parts[:2] == ["#define", "DP_BURST"]:
                    return int(parts[2])
    except (OSError, ValueError):
        pass
    return 32


def _pcap_record(frame, i=0):
    b = bytes(frame)
    return struct.pack("<IIII", 1700000000, i, len(b), len(b)) + b


# A frame for nobody: unicast to another MAC, dropped as l2_not_ours.
FILLER = bytes(Ether(dst="02:00:00:00:ff:01", src="02:00:00:00:ff:02") /
               IP(src="10.255.0.1", dst="10.255.0.2") / UDP(sport=9, dport=9))


class PhasedDataplane(Dataplane):
    """A Dataplane whose rx queues in `phased` are named pipes the test
    writes while the dataplane runs, so a test can send in phases and
    build later frames from what came out (a fullnat source port, say).

    net_pcap reads an rx_pcap file frame by frame inside the worker's rx
    burst, so the worker polling queue q (worker q) blocks in it until a
    whole burst (DP_BURST frames) is there or the pipe is closed.  feed()
    pads each phase with FILLER frames (dropped as l2_not_ours, counted
    in rx) to whole bursts: the worker processes the phase, drains the
    rings other workers hand it packets through (at most a burst per ring
    and pass), flushes its tx, and blocks again.  While it is blocked,
    frames handed to it or queued through it by the main lcore wait: wait
    for outputs, not wait_settled(), until feed(..., last=True) or
    finish() closes the pipes; stop() and cleanup() close them first."""

    def __init__(self, name, phased=(0,), **kw):
        super().__init__(name, **kw)
        self.burst = dp_burst()
        self.pipes = {}
        self.fillers = [0] * self.queues
        for q in phased:
            path = self.in_pcap(q)
            os.unlink(path)
            os.mkfifo(path, 0o600)
            # O_RDWR: never blocks for a reader, and the pipe stays open
            # (no early EOF) until we close it.
            fd = os.open(path, os.O_RDWR | os.O_NONBLOCK)
            self.pipes[q] = fd
            self._write(q, struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))

    def _write(self, q, data):
        fd = self.pipes[q]
        end = time.monotonic() + 15
        while data:
            try:
                n = os.write(fd, data)
                data = data[n:]
            except BlockingIOError:
                if time.monotonic() >= end or (self.proc is not None and not self.alive()):
                    raise Failure(f"queue {q}: the dataplane does not read its input")
                time.sleep(0.001)

    def feed(self, frames, q=0, last=False):
        """Write frames to phased queue q, padded to whole bursts; last:
        no padding, and close the pipe (the worker then sees EOF)."""
        if q not in self.pipes:
            raise Failure(f"queue {q} is not phased (or already closed)")
        n = len(frames)
        pad = 0 if last else (-n) % self.burst
        if not last and n == 0:
            pad = self.burst
        self._write(q, b"".join(_pcap_record(fr, self.fed[q] + i) for i, fr in enumerate(frames))
                    + _pcap_record(FILLER) * pad)
        self.fed[q] += n + pad
        self.fillers[q] += pad
        if last:
            self.close_input(q)

    def pump(self, q, pred, what, rounds=64, timeout=15):
        """Until pred() holds, feed queue q a burst of fillers and let its
        worker finish a pass (rx of everything fed, its polls counter
        advanced): each pass drains what other workers handed it."""
        for _ in range(rounds):
            if pred():
                return
            before = self.per_worker()["polls"][q]
            self.feed([], q)
            self.wait_for(lambda: pred() or (
                self.per_worker()["polls"][q] > before and
                self.per_worker()["rx"][q] == self.fed[q]),
                f"worker {q} to pass over a burst of fillers ({what})", timeout=timeout)
        if not pred():
            raise Failure(f"{what}: not reached after {rounds} bursts of fillers on queue {q}")

    def close_input(self, q):
        fd = self.pipes.pop(q, None)
        if fd is not None:
            os.close(fd)

    def finish(self):
        """Close every phased queue (EOF): workers poll normally again."""
        for q in list(self.pipes):
            self.close_input(q)

    def stop(self, timeout=20):
        self.finish()
        return super().stop(timeout)

    def cleanup(self):
        self.finish()
        super().cleanup()


# ---------------------------------------------------------------- rewritten frames

def l4_of(pkt):
    """The TCP or UDP layer of pkt, or None."""
    return pkt[TCP] if TCP in pkt else pkt[UDP] if UDP in pkt else None


def rewritten(frame, dmac, src=None, dst=None, sport=None, dport=None, hops=1,
              smac=PORT_MAC):
    """What frame looks like after a forwarding hop that rewrites it: the
    given addresses, ports and MACs, TTL / hop limit minus hops, IPv4 and
    TCP/UDP checksums recomputed by scapy (an IPv4 UDP checksum of 0,
    "none", stays 0)."""
    p = Ether(bytes(frame))
    p[Ether].src, p[Ether].dst = smac, dmac
    ip = p[IP] if IP in p else p[IPv6]
    if src is not None:
        ip.src = src
    if dst is not None:
        ip.dst = dst
    if IP in p:
        ip.ttl -= hops
        ip.chksum = None
    else:
        ip.hlim -= hops
    l4 = l4_of(p)
    if l4 is not None:
        if sport is not None:
            l4.sport = sport
        if dport is not None:
            l4.dport = dport
        if not (UDP in p and IP in p and l4.chksum == 0):
            l4.chksum = None
    return Ether(bytes(p))


def frame_diff(seen, expected):
    """The header fields where two frames differ, as one line ('' if the
    bytes are equal)."""
    if bytes(seen) == bytes(expected):
        return ""
    out = []
    for layer, fields in ((Ether, ("src", "dst")),
                          (IP, ("src", "dst", "ttl", "len", "chksum")),
                          (IPv6, ("src", "dst", "hlim", "plen")),
                          (TCP, ("sport", "dport", "seq", "ack", "flags", "chksum")),
                          (UDP, ("sport", "dport", "len", "chksum"))):
        a = seen[layer] if layer in seen else None
        b = expected[layer] if layer in expected else None
        if (a is None) != (b is None):
            out.append(f"{layer.__name__}: {'absent' if a is None else 'present'}, "
                       f"expected {'absent' if b is None else 'present'}")
            continue
        if a is None:
            continue
        for f in fields:
            va, vb = a.getfieldval(f), b.getfieldval(f)
            if va != vb:
                out.append(f"{layer.__name__}.{f} {va!r} (expected {vb!r})")
    if not out:
        out.append(f"payload or length differs ({len(bytes(seen))} bytes, "
                   f"expected {len(bytes(expected))})")
    return "; ".join(out)


def csums_ok(pkt):
    """Are pkt's IPv4 header and TCP/UDP checksums valid?  (ok, detail).
    An IPv4 UDP checksum of 0 means none and is valid."""
    bad = []
    if IP in pkt and not ipv4_csum_ok(pkt):
        bad.append(f"IPv4 0x{pkt[IP].chksum:04x}")
    l4 = l4_of(pkt)
    if l4 is not None and not (UDP in pkt and IP in pkt and l4.chksum == 0):
        if not l4_csum_ok(pkt, type(l4)):
            bad.append(f"{type(l4).__name__} 0x{l4.chksum:04x}")
    return not bad, ", ".join(bad)
