#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
xdp mode, end to end, with the real binary and real peers (ping, arping).

Topology (all in namespaces this test creates, names carry the run id):

    <id>c: veth <id>b 10.201.0.2/24, fd00:201::2/64   (client: ping, arping)
       |
    <id>d: veth <id>a kernel 10.201.0.1/24            (edge-dataplane, xdp mode)
           dataplane-owned 10.201.0.10, fd00:201::10  (not in the kernel)

Checks: ARP, ND and ping for the dataplane-owned addresses are answered;
they go silent while the dataplane is SIGSTOPped and come back after
SIGCONT; SIGTERM exits 0 and leaves no XDP program; after kill -9 the
stale program is replaced by the next start, which then leaves none; an
interface with somebody else's program, and an owned address configured
in the kernel, are refused with a clear message.
"""
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time

DP = os.environ.get("EDGE_DATAPLANE", "build/dataplane/edge-dataplane")
OTHER_PROG = os.environ.get("OTHER_XDP_PROG", "")
RUN = f"ep{os.getpid() % 10000}{random.randint(10, 99)}"
NS_C, NS_D = RUN + "c", RUN + "d"
DEV, PEER = RUN + "a", RUN + "b"
VIP4, VIP6 = "10.201.0.10", "fd00:201::10"

passed = failed = 0


def check(ok, what, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok: {what}")
    else:
        failed += 1
        print(f"FAIL: {what} {detail}")
    return ok


def sh(*args, ns=None, check_rc=True, timeout=30):
    cmd = (["ip", "netns", "exec", ns] if ns else []) + list(args)
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if check_rc and r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: rc {r.returncode}: {r.stderr.strip()}")
    return r


def wait_for(pred, what, timeout=15.0, interval=0.05):
    """Bounded retries: True as soon as pred() holds, False after timeout."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(interval)
    print(f"  (gave up waiting for {what} after {timeout}s)")
    return False


class Dataplane:
    def __init__(self, profile):
        self.profile = profile
        self.proc = None
        self.log = None
        self.sock = f"/var/run/dpdk/{RUN}/dpdk_telemetry.v2"

    def start(self):
        self.log = tempfile.NamedTemporaryFile(prefix=RUN, suffix=".log", delete=False)
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", NS_D, DP, "--profile", self.profile, "--",
             "--no-huge", "-m", "512", "--no-pci", "-l", "0-1",
             f"--file-prefix={RUN}"],
            stdout=self.log, stderr=subprocess.STDOUT)
        return self

    def output(self):
        with open(self.log.name) as f:
            return f.read()

    def running(self):
        return self.proc.poll() is None and "running:" in self.output()

    def wait_ready(self):
        return wait_for(lambda: self.running() and os.path.exists(self.sock) or
                        self.proc.poll() is not None, "dataplane start", 30) and \
            self.running()

    def tel(self, cmd):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        s.settimeout(5)
        s.connect(self.sock)
        s.recv(16384)
        s.send(cmd.encode())
        reply = json.loads(s.recv(1 << 20).decode())
        s.close()
        return next(iter(reply.values()))

    def stop(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()

    def close(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.kill()
            self.proc.wait()
        if self.log:
            os.unlink(self.log.name)


def has_xdp_prog():
    out = sh("ip", "-d", "link", "show", "dev", DEV, ns=NS_D).stdout
    return "prog/xdp" in out


def ping(addr, count=3, wait=2, v6=False):
    args = ["ping"] + (["-6"] if v6 else []) + \
        ["-c", str(count), "-i", "0.2", "-W", str(wait), addr]
    return sh(*args, ns=NS_C, check_rc=False).returncode == 0


def ping_eventually(addr, v6=False, tries=20):
    for _ in range(tries):
        if ping(addr, count=1, wait=1, v6=v6):
            return True
    return False


def arping(addr, count=2):
    r = sh("arping", "-c", str(count), "-w", str(count + 2), "-I", PEER, addr,
           ns=NS_C, check_rc=False)
    return r.returncode == 0, r.stdout


def topology():
    sh("ip", "netns", "add", NS_C)
    sh("ip", "netns", "add", NS_D)
    sh("ip", "link", "add", DEV, "netns", NS_D, "type", "veth",
       "peer", "name", PEER, "netns", NS_C)
    sh("ip", "link", "set", "lo", "up", ns=NS_D)
    sh("ip", "addr", "add", "10.201.0.1/24", "dev", DEV, ns=NS_D)
    sh("ip", "link", "set", DEV, "up", ns=NS_D)
    sh("ip", "link", "set", "lo", "up", ns=NS_C)
    sh("ip", "addr", "add", "10.201.0.2/24", "dev", PEER, ns=NS_C)
    sh("ip", "addr", "add", "fd00:201::2/64", "dev", PEER, "nodad", ns=NS_C)
    sh("ip", "link", "set", PEER, "up", ns=NS_C)
    # Complete checksums from the sender (DESIGN.md: Checksums).
    sh("ethtool", "-K", PEER, "tx", "off", ns=NS_C)


def write_profile(d):
    path = os.path.join(d, "xdp.ini")
    with open(path, "w") as f:
        f.write(f"""[dataplane]
workers = 1
control_socket = {d}/dp.sock

[port ext]
mode = xdp
device = {DEV}
address = {VIP4}/24
address = {VIP6}/64
""")
    return path


def run(d):
    profile = write_profile(d)

    # 1. Answers while running.
    dp = Dataplane(profile).start()
    try:
        if not check(dp.wait_ready(), "dataplane starts in xdp mode", dp.output()[-2000:]):
            return
        check(has_xdp_prog(), "its XDP program is attached to the interface")
        maddr = sh("ip", "maddr", "show", "dev", DEV, ns=NS_D).stdout
        check("33:33:ff:00:00:10" in maddr,
              f"the NIC accepts the solicited-node group of {VIP6}", maddr)
        ok, out = arping(VIP4)
        check(ok and ("Unicast reply" in out or "bytes from" in out),
              f"arping {VIP4} answered", out)
        check(ping_eventually(VIP4), f"ping {VIP4} answered")
        check(ping(VIP4, count=5), f"ping {VIP4}: 5 of 5 answered")
        check(ping_eventually(VIP6, v6=True), f"ping {VIP6} answered (ND + echo)")
        st = dp.tel("/edgeplane/stats")
        check(st["arp_replies"] >= 1 and st["echo_replies"] >= 6 and st["nd_replies"] >= 1,
              "counters: arp, nd and echo replies", st)
        port = dp.tel("/edgeplane/port,ext")
        check(port.get("xdp_redirect", 0) >= 7, "XDP program redirected them", port)

        # 2. Silent while stopped: the kernel does not answer for these.
        dp.proc.send_signal(signal.SIGSTOP)
        check(not ping(VIP4, count=2, wait=1), "no echo reply while SIGSTOPped")
        ok, out = arping(VIP4, count=2)
        check(not ok, "no ARP reply while SIGSTOPped", out)
        dp.proc.send_signal(signal.SIGCONT)
        check(ping_eventually(VIP4), "answered again after SIGCONT")

        # 3. Clean stop.
        rc = dp.stop()
        check(rc == 0, "SIGTERM: exit code 0", rc)
        check("edge-dataplane counters" in dp.output(), "counters printed on exit")
        check(not has_xdp_prog(), "no XDP program left after exit")
        check("33:33:ff:00:00:10" not in sh("ip", "maddr", "show", "dev", DEV, ns=NS_D).stdout,
              "the group is left on exit")
    finally:
        dp.close()

    # 4. kill -9 leaves a stale program; the next start replaces it.
    dp = Dataplane(profile).start()
    try:
        check(dp.wait_ready(), "second start", dp.output()[-2000:])
        dp.stop(signal.SIGKILL)
        check(has_xdp_prog(), "kill -9 leaves the program attached (stale)")
    finally:
        dp.close()
    dp = Dataplane(profile).start()
    try:
        check(dp.wait_ready(), "start after kill -9", dp.output()[-2000:])
        check("replaced a stale Edgeplane XDP program" in dp.output(),
              "stale program replaced, and said so")
        # The client keeps the dataplane's MAC pinned, so it never ARPs
        # again: the fresh dataplane can only learn the client's MAC by
        # asking the kernel (managed neighbour) and hearing back over
        # netlink; the first reply waits in the hold queue meanwhile.
        dev_mac = sh("cat", f"/sys/class/net/{DEV}/address", ns=NS_D).stdout.strip()
        sh("ip", "neigh", "replace", VIP4, "lladdr", dev_mac, "dev", PEER, "nud", "permanent",
           ns=NS_C)
        sh("ip", "neigh", "flush", "dev", DEV, ns=NS_D, check_rc=False)
        check(ping_eventually(VIP4), "answers after the restart")
        n = dp.tel("/edgeplane/neigh")
        check(n["requests"] >= 1 and n["held"] >= 1 and n["released"] >= 1,
              "next hop resolved through the kernel (held, asked, released)", n)
        kn = sh("ip", "neigh", "show", "10.201.0.2", "dev", DEV, ns=NS_D).stdout
        check("managed" in kn and "lladdr" in kn, "the kernel keeps a managed entry for it", kn)
        check(dp.stop() == 0, "exit 0")
        check(not has_xdp_prog(), "no XDP program left after kill -9 + restart + stop")
    finally:
        dp.close()

    # 5. Somebody else's program: refused, and left alone.
    if check(os.path.exists(OTHER_PROG), "a foreign XDP object to attach", OTHER_PROG):
        sh("ip", "link", "set", "dev", DEV, "xdpgeneric", "obj", OTHER_PROG, "sec", "xdp",
           ns=NS_D)
        dp = Dataplane(profile).start()
        try:
            rc = dp.proc.wait(timeout=30)
            out = dp.output()
            check(rc != 0 and "carries another XDP program" in out,
                  "interface with a foreign program refused", out[-1500:])
            check(has_xdp_prog(), "the foreign program is left in place")
        finally:
            dp.close()
            sh("ip", "link", "set", "dev", DEV, "xdpgeneric", "off", ns=NS_D)

    # 6. An owned address that the kernel also has: refused.
    sh("ip", "addr", "add", VIP4 + "/32", "dev", DEV, ns=NS_D)
    dp = Dataplane(profile).start()
    try:
        rc = dp.proc.wait(timeout=30)
        out = dp.output()
        check(rc != 0 and "is configured in the kernel" in out,
              "owned address configured in the kernel refused", out[-1500:])
    finally:
        dp.close()
        sh("ip", "addr", "del", VIP4 + "/32", "dev", DEV, ns=NS_D)


def refused(profile, expect, what, prefix=()):
    """The binary exits non-zero before touching anything, saying expect."""
    r = subprocess.run(list(prefix) + [DP, "--profile", profile, "--", "--no-huge", "-m", "256",
                       "--no-pci", f"--file-prefix={RUN}x"],
                       capture_output=True, text=True, timeout=60)
    check(r.returncode != 0 and expect in r.stderr + r.stdout, what,
          f"rc={r.returncode} {(r.stderr + r.stdout)[-800:]}")


def run_bad_environment(d):
    # A missing interface: named.
    bad = os.path.join(d, "noif.ini")
    with open(bad, "w") as f:
        f.write(f"[port ext]\nmode = xdp\ndevice = {RUN}zz\naddress = 10.9.9.9/24\n")
    refused(bad, f"no such interface '{RUN}zz'", "missing interface refused with its name")
    # Without privileges: the missing capabilities are named.
    os.chmod(d, 0o755)  # nobody must be able to read the profile
    refused(write_profile(d), "missing privileges: CAP_NET_ADMIN",
            "unprivileged run names the missing capabilities",
            prefix=("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"))


def main():
    if os.geteuid() != 0:
        print("FAIL: needs root (network namespaces, XDP)")
        print("0 passed, 1 failed")
        return 1
    if not os.access(DP, os.X_OK):
        print(f"FAIL: {DP} not built")
        print("0 passed, 1 failed")
        return 1
    d = tempfile.mkdtemp(prefix=RUN)
    try:
        topology()
        run(d)
        run_bad_environment(d)
    except Exception as e:  # a broken set-up is a failure, never a skip
        check(False, "test set-up", repr(e))
    finally:
        for ns in (NS_C, NS_D):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        subprocess.run(["rm", "-rf", d, f"/var/run/dpdk/{RUN}", f"/var/run/dpdk/{RUN}x"])
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
