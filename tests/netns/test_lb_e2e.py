#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
The load balancer end to end: the real edge-dataplane (xdp mode, nat) between
a client running curl and wrk and three nginx real servers, all real
programs in network namespaces this test creates (names carry the run id).

Topology: one L2 segment (a Linux bridge in namespace <id>s) joins the
dataplane's interface, the three real servers and a router; the client sits
behind the router in another subnet.

    <id>c  client 10.203.0.2/24, default via 10.203.0.1    (curl, wrk, sockets)
      |
    <id>r  router 10.203.0.1/24 | 10.202.0.254/24, forwarding on
      |
    ==== bridge <id>br in <id>s: 10.202.0.0/24 ========================
      |                         |            |            |
    <id>d  kernel 10.202.0.1  <id>b1       <id>b2       <id>b3
           edge-dataplane     .11          .12          .13   nginx :8080 http,
           (XDP on this       default via 10.202.0.1          :4443 https
           veth) owns 10.202.0.99/24
           and the VIP 10.202.0.100 (neither in the kernel), gateway .254

Why nat is truly exercised: the client is in another subnet, so its packets
reach the VIP through the router, and the dataplane rewrites only their
destination (the servers' access logs show the client's own address).  The
servers answer the client through their default route, 10.202.0.1: the
kernel address of the dataplane's interface, so the frames carry the very
MAC the XDP program sees every frame of.  That address is not the
dataplane's and the client's is nobody's here: only the XDP program's
real-server map (edge_rs4) sends these replies to the dataplane, which
translates them back (source VIP) and sends them to its gateway, the
router.  The dataplane namespace does not forward (its default), so nothing
else could carry them: a reply the dataplane missed would be lost, and
curl would fail.  What the servers send to the kernel's own address (a
health checker's connection) still reaches the kernel.

Services (one VIP, one port per check): :80 rr over the three (HTTP), :443
wrr 3:1 over b1/b2 (HTTPS, a self-signed certificate made here), :81 rr with
persistence = source_ip, :82 least_conn, :83 idle_timeout = 4s, :84 rr for
draining.

Checks, each one line: the kernel still talks to a real server; HTTP and
HTTPS through the VIP; rr spread; wrr 3:1 over 40 connections; the client's
address preserved; source-IP persistence; least_conn avoids the server
holding a long-lived connection; an idle connection is forgotten after
idle_timeout (its next segment is dropped as lb_no_connection and never
reaches the server); wrk without socket errors; draining (edgectl server
drain) sends new connections elsewhere while the open one keeps working;
nothing gets through while the dataplane is SIGSTOPped and it works again
after SIGCONT; no checksum or no_route drops; the XDP counters; a clean
SIGTERM.
"""
import ctypes
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

DP = os.environ.get("EDGE_DATAPLANE", "build/dataplane/edge-dataplane")
EDGECTL = os.environ.get("EDGECTL", "build/control/edgectl")
RUN = f"el{os.getpid() % 10000}{random.randint(10, 99)}"
NS = {k: RUN + k for k in ("s", "d", "r", "c", "b1", "b2", "b3")}
DEV = RUN + "d"  # the dataplane's interface (XDP)
BRIDGE = RUN + "br"
VIP = "10.202.0.100"
PORT_ADDR = "10.202.0.99"  # the port's dataplane-owned address
KERNEL = "10.202.0.1"  # the kernel's own address on DEV
ROUTER = "10.202.0.254"
CLIENT = "10.203.0.2"
BACKENDS = {"b1": "10.202.0.11", "b2": "10.202.0.12", "b3": "10.202.0.13"}
HTTP_PORT, HTTPS_PORT = 8080, 4443
IDLE_TIMEOUT = 4  # seconds, service idle
TOOLS = ("ip", "ss", "ethtool", "curl", "wrk", "nginx", "openssl")

passed = failed = 0
procs = []  # every process we started, stopped at exit


def check(ok, what, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok: {what}", flush=True)
    else:
        failed += 1
        print(f"FAIL: {what} {detail}", flush=True)
    return ok


def sh(*args, ns=None, check_rc=True, timeout=30):
    cmd = (["ip", "netns", "exec", NS[ns]] if ns else []) + [str(a) for a in args]
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
    print(f"  (gave up waiting for {what} after {timeout}s)", flush=True)
    return False


# --- sockets inside the client's namespace --------------------------------

_libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNET = 0x40000000


def _setns(fd):
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


def client_socket():
    """A TCP socket of the client's namespace (a socket keeps the namespace
    it was made in; only its creation needs to happen there)."""
    here = os.open("/proc/self/ns/net", os.O_RDONLY)
    there = os.open(f"/var/run/netns/{NS['c']}", os.O_RDONLY)
    try:
        _setns(there)
        try:
            return socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        finally:
            _setns(here)
    finally:
        os.close(here)
        os.close(there)


class KeepAlive:
    """One HTTP/1.1 connection to VIP:port kept open between requests."""

    def __init__(self, port):
        self.s = client_socket()
        self.s.settimeout(5)
        self.s.connect((VIP, port))

    def get(self, path, timeout=5):
        """The body of GET path on this connection, or None (no answer)."""
        self.s.settimeout(timeout)
        try:
            self.s.sendall(f"GET {path} HTTP/1.1\r\nHost: vip\r\n\r\n".encode())
            buf = b""
            while b"\r\n\r\n" not in buf:
                chunk = self.s.recv(4096)
                if not chunk:
                    return None
                buf += chunk
            head, body = buf.split(b"\r\n\r\n", 1)
            length = 0
            for line in head.split(b"\r\n")[1:]:
                k, _, v = line.partition(b":")
                if k.strip().lower() == b"content-length":
                    length = int(v)
            while len(body) < length:
                chunk = self.s.recv(4096)
                if not chunk:
                    return None
                body += chunk
            return body.decode().strip()
        except (OSError, ValueError):
            return None

    def close(self):
        self.s.close()


# --- the programs -----------------------------------------------------------

def start(cmd, log):
    f = open(log, "w")
    p = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT)
    f.close()
    procs.append(p)
    return p


def stop_all():
    for p in procs:
        if p.poll() is None:
            try:
                p.send_signal(signal.SIGCONT)
                p.terminate()
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


class Dataplane:
    def __init__(self, d, profile):
        self.log = os.path.join(d, "dataplane.log")
        self.tel_path = f"/var/run/dpdk/{RUN}/dpdk_telemetry.v2"
        self.proc = start(["ip", "netns", "exec", NS["d"], DP, "--profile", profile, "--",
                           "--no-huge", "-m", "512", "--no-pci", "-l", "0-1",
                           f"--file-prefix={RUN}"], self.log)

    def output(self):
        with open(self.log) as f:
            return f.read()

    def running(self):
        return self.proc.poll() is None and "running:" in self.output()

    def wait_ready(self):
        return wait_for(lambda: self.running() and os.path.exists(self.tel_path) or
                        self.proc.poll() is not None, "dataplane start", 30) and \
            self.running()

    def tel(self, cmd):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        s.settimeout(5)
        try:
            s.connect(self.tel_path)
            s.recv(16384)
            s.send(cmd.encode())
            reply = json.loads(s.recv(1 << 20).decode())
        finally:
            s.close()
        return next(iter(reply.values())) if reply else None

    def svc_active(self, name):
        """Active connections of a service (None if telemetry lacks them)."""
        try:
            sv = self.tel("/edgeplane/services")
            return sv["active"][sv["name"].index(name)]
        except (OSError, ValueError, KeyError, TypeError, IndexError):
            return None

    def drops(self, name):
        return self.tel("/edgeplane/drops").get(name, 0)


class Backend:
    def __init__(self, d, name):
        self.name, self.addr = name, BACKENDS[name]
        self.access = os.path.join(d, f"{name}.access")
        conf = os.path.join(d, f"{name}.conf")
        tmp = os.path.join(d, f"{name}-tmp")
        os.mkdir(tmp)
        with open(conf, "w") as f:
            f.write(f"""worker_processes 1;
user root;
pid {d}/{name}.pid;
error_log {d}/{name}.err warn;
events {{ worker_connections 512; }}
http {{
    log_format ep '$remote_addr $server_port $request_uri';
    access_log {self.access} ep;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    keepalive_timeout 120s;
    keepalive_requests 100000;
    server {{
        listen {HTTP_PORT};
        listen {HTTPS_PORT} ssl;
        ssl_certificate {d}/cert.pem;
        ssl_certificate_key {d}/key.pem;
        location / {{
            default_type text/plain;
            return 200 "{name}\\n";
        }}
    }}
}}
""")
        self.proc = start(["ip", "netns", "exec", NS[name], "nginx", "-e", f"{d}/{name}.err0",
                           "-p", tmp, "-c", conf, "-g", "daemon off;"],
                          os.path.join(d, f"{name}.out"))

    def listening(self):
        out = sh("ss", "-Hltn", ns=self.name, check_rc=False).stdout
        return f":{HTTP_PORT} " in out and f":{HTTPS_PORT} " in out

    def log_lines(self):
        try:
            with open(self.access) as f:
                return [line.split() for line in f if line.strip()]
        except FileNotFoundError:
            return []

    def hits(self, path_prefix):
        return [ln for ln in self.log_lines() if len(ln) == 3 and ln[2].startswith(path_prefix)]


def backend_hits(backends, prefix):
    return {b.name: len(b.hits(prefix)) for b in backends.values()}


def curl(url, timeout=3):
    """The body curl got from url in the client's namespace, or None."""
    r = sh("curl", "-sS", "-k", "--max-time", timeout, url, ns="c", check_rc=False,
           timeout=timeout + 10)
    return r.stdout.strip() if r.returncode == 0 else None


def curl_eventually(url, tries=15):
    for _ in range(tries):
        body = curl(url, timeout=2)
        if body is not None:
            return body
    return None


# --- set-up -------------------------------------------------------------------

def veth(a, ns_a, b, ns_b):
    sh("ip", "link", "add", a, "netns", NS[ns_a], "type", "veth", "peer", "name", b,
       "netns", NS[ns_b])


def up(ns, dev, *addrs):
    for a in addrs:
        sh("ip", "addr", "add", a, "dev", dev, ns=ns)
    sh("ip", "link", "set", dev, "up", ns=ns)
    # Complete checksums from every sender (DESIGN.md: Checksums).
    sh("ethtool", "-K", dev, "tx", "off", ns=ns)


def topology():
    for ns in NS.values():
        sh("ip", "netns", "add", ns)
    for k in NS:
        sh("ip", "link", "set", "lo", "up", ns=k)
    sh("ip", "link", "add", BRIDGE, "type", "bridge", ns="s")
    sh("ip", "link", "set", BRIDGE, "up", ns="s")

    def to_switch(ns, dev, *addrs):
        veth(dev, ns, dev + "s", "s")
        sh("ip", "link", "set", dev + "s", "master", BRIDGE, ns="s")
        up("s", dev + "s")
        up(ns, dev, *addrs)

    to_switch("d", DEV, KERNEL + "/24")
    to_switch("r", RUN + "r", ROUTER + "/24")
    for name, addr in BACKENDS.items():
        to_switch(name, RUN + name, addr + "/24")
        sh("ip", "route", "add", "default", "via", KERNEL, ns=name)
    veth(RUN + "rc", "r", RUN + "c", "c")
    up("r", RUN + "rc", "10.203.0.1/24")
    up("c", RUN + "c", CLIENT + "/24")
    sh("ip", "route", "add", "default", "via", "10.203.0.1", ns="c")
    sh("sysctl", "-qw", "net.ipv4.ip_forward=1", ns="r")


def write_profile(d):
    b1, b2, b3 = BACKENDS["b1"], BACKENDS["b2"], BACKENDS["b3"]
    path = os.path.join(d, "lb.ini")
    with open(path, "w") as f:
        f.write(f"""[dataplane]
workers = 1
; small, so the expiry sweep goes round quickly
flows = 1024
idle = backoff
control_socket = {d}/dp.sock

[port ext]
mode = xdp
device = {DEV}
; the port's own address gives the on-link prefix; the VIP is not one
address = {PORT_ADDR}/24
gateway = {ROUTER}

[virtual_service web]
listen = {VIP}:80/tcp
scheduler = rr
forwarding = nat
real_server = {b1}:{HTTP_PORT}
real_server = {b2}:{HTTP_PORT}
real_server = {b3}:{HTTP_PORT}

[virtual_service tls]
listen = {VIP}:443/tcp
scheduler = wrr
forwarding = nat
real_server = {b1}:{HTTPS_PORT} weight=3
real_server = {b2}:{HTTPS_PORT} weight=1

[virtual_service sticky]
listen = {VIP}:81/tcp
scheduler = rr
persistence = source_ip
forwarding = nat
real_server = {b1}:{HTTP_PORT}
real_server = {b2}:{HTTP_PORT}
real_server = {b3}:{HTTP_PORT}

[virtual_service lc]
listen = {VIP}:82/tcp
scheduler = least_conn
forwarding = nat
; closed connections stop counting soon
tcp_fin_timeout = 1s
real_server = {b1}:{HTTP_PORT}
real_server = {b2}:{HTTP_PORT}

[virtual_service idle]
listen = {VIP}:83/tcp
forwarding = nat
idle_timeout = {IDLE_TIMEOUT}s
real_server = {b3}:{HTTP_PORT}

[virtual_service drain]
listen = {VIP}:84/tcp
scheduler = rr
forwarding = nat
real_server = {b1}:{HTTP_PORT}
real_server = {b2}:{HTTP_PORT}
""")
    return path


# --- the checks ---------------------------------------------------------------

def check_kernel_to_server(dp, backends):
    before = dp.tel("/edgeplane/port,ext").get("xdp_rs_local", 0)
    r = sh("curl", "-sS", "--max-time", "3", f"http://{BACKENDS['b1']}:{HTTP_PORT}/kernel-hc",
           ns="d", check_rc=False, timeout=15)
    check(r.returncode == 0 and r.stdout.strip() == "b1",
          "the dataplane box's kernel still talks to a real server (health-check path)",
          r.stderr.strip())
    after = dp.tel("/edgeplane/port,ext").get("xdp_rs_local", 0)
    check(after > before, "XDP handed the server's replies to the kernel (rs_local)",
          f"{before} -> {after}")
    hits = backends["b1"].hits("/kernel-hc")
    check(len(hits) == 1 and hits[0][0] == KERNEL, "the server saw the kernel's address", hits)


def check_http(backends):
    body = curl_eventually(f"http://{VIP}/first")
    check(body in BACKENDS, f"curl http://{VIP}/ through the load balancer", body)
    for i in range(5):
        curl(f"http://{VIP}/rr-{i}")
    hits = backend_hits(backends, "/rr-")
    first = backend_hits(backends, "/first")
    total = {k: hits[k] + first[k] for k in hits}
    check(total == {"b1": 2, "b2": 2, "b3": 2}, "rr: 6 connections, 2 on each server", total)


def check_https_wrr(backends):
    bodies = [curl(f"https://{VIP}/wrr-{i}") for i in range(40)]
    ok = sum(1 for b in bodies if b is not None)
    check(ok == 40, "HTTPS through the VIP (curl -k, self-signed): 40 of 40", ok)
    count = {n: bodies.count(n) for n in ("b1", "b2", "b3")}
    check(count == {"b1": 30, "b2": 10, "b3": 0}, "wrr 3:1 over 40 connections (30/10)", count)
    logged = backend_hits(backends, "/wrr-")
    check(logged == count, "the servers' access logs agree", logged)


def check_client_address(backends):
    lines = [ln for b in backends.values() for ln in b.log_lines()
             if len(ln) == 3 and not ln[2].startswith("/kernel-hc")]
    addrs = sorted({ln[0] for ln in lines})
    check(len(lines) >= 46 and addrs == [CLIENT],
          "nat: the servers saw the client's own address", f"{len(lines)} lines from {addrs}")


def check_persistence(backends):
    bodies = [curl(f"http://{VIP}:81/sticky-{i}") for i in range(20)]
    seen = set(bodies)
    check(len(seen) == 1 and None not in seen,
          "persistence = source_ip: 20 connections, one server", seen)


def wait_released(dp, svc, want, floor):
    """Wait (bounded) until service svc counts `want` active connections:
    from telemetry when it has them, or at least `floor` seconds."""
    start = time.monotonic()
    return wait_for(lambda: (dp.svc_active(svc) == want if dp.svc_active(svc) is not None
                             else time.monotonic() - start >= floor),
                    f"{svc}: {want} active", 15)


def check_least_conn(dp):
    hold = KeepAlive(82)
    try:
        busy = hold.get("/lc-hold")
        check(busy in ("b1", "b2"), "least_conn: a long-lived connection open", busy)
        other = "b2" if busy == "b1" else "b1"
        # Under rr the new connections would alternate; least_conn keeps
        # sending them to the server that does not hold the open one.
        got = []
        for i in range(4):
            wait_released(dp, "lc", 1, 2.5)
            got.append(curl(f"http://{VIP}:82/lc-{i}"))
        check(got == [other] * 4,
              f"least_conn: new connections avoid {busy}, which holds the open one", got)
        check(hold.get("/lc-hold-2") == busy, "least_conn: the open connection still works")
    finally:
        hold.close()


def check_idle(dp, backends):
    conn = KeepAlive(83)
    try:
        check(conn.get("/idle-1") == "b3", "idle service: a connection answered")
        t0 = time.monotonic()
        before = dp.drops("lb_no_connection")
        # Forgotten after idle_timeout: telemetry says when (active 0), or time does.
        wait_for(lambda: time.monotonic() - t0 > IDLE_TIMEOUT + 0.5 and
                 dp.svc_active("idle") in (0, None), "idle connection expiry",
                 IDLE_TIMEOUT + 15)
        check(conn.get("/idle-2", timeout=2) is None,
              f"after idle_timeout ({IDLE_TIMEOUT}s) the connection is forgotten: no answer")
        check(wait_for(lambda: dp.drops("lb_no_connection") > before, "lb_no_connection", 5),
              "its next segment dropped as lb_no_connection",
              f"{before} -> {dp.drops('lb_no_connection')}")
        check(len(backends["b3"].hits("/idle-2")) == 0, "the server never received it")
    finally:
        conn.close()


def check_wrk():
    r = sh("wrk", "-t1", "-c8", "-d3s", f"http://{VIP}/wrk", ns="c", check_rc=False, timeout=60)
    reqs = 0
    for line in r.stdout.splitlines():
        if "requests in" in line:
            reqs = int(line.split()[0])
    check(r.returncode == 0 and reqs > 0 and "Socket errors" not in r.stdout and
          "Non-2xx" not in r.stdout, f"wrk 3 s through the VIP: {reqs} requests, no socket errors",
          r.stdout + r.stderr)


def check_drain(d, backends):
    ctl = [EDGECTL, "--socket", f"{d}/dp.sock"]
    hold = KeepAlive(84)
    try:
        victim = hold.get("/drain-hold")
        check(victim in ("b1", "b2"), "drain: a connection open", victim)
        if victim not in BACKENDS:
            return
        r = subprocess.run(ctl + ["server", "drain", "drain", f"{BACKENDS[victim]}:{HTTP_PORT}"],
                           capture_output=True, text=True, timeout=20)
        check(r.returncode == 0, f"edgectl server drain drain {BACKENDS[victim]}:{HTTP_PORT}",
              r.stdout + r.stderr)
        got = [curl(f"http://{VIP}:84/drain-{i}") for i in range(6)]
        other = "b2" if victim == "b1" else "b1"
        check(got == [other] * 6, f"drained {victim} gets no new connections", got)
        check(hold.get("/drain-hold-2") == victim,
              "the drained server's open connection keeps working")
        r = subprocess.run(ctl + ["show", "flows"], capture_output=True, text=True, timeout=20)
        check(r.returncode == 0 and CLIENT in r.stdout, "edgectl show flows lists the client",
              r.stdout[-800:] + r.stderr)
    finally:
        hold.close()


def check_stopped(dp, backends):
    before = {b.name: len(b.log_lines()) for b in backends.values()}
    dp.proc.send_signal(signal.SIGSTOP)
    try:
        check(curl(f"http://{VIP}/stopped", timeout=2) is None,
              "while the dataplane is SIGSTOPped, curl to the VIP fails")
        after = {b.name: len(b.log_lines()) for b in backends.values()}
        check(after == before, "and nothing reached the servers", f"{before} -> {after}")
    finally:
        dp.proc.send_signal(signal.SIGCONT)
    check(curl_eventually(f"http://{VIP}/again") in BACKENDS, "after SIGCONT it works again")


def check_counters(dp):
    drops = dp.tel("/edgeplane/drops")
    bad = {k: v for k, v in drops.items() if ("checksum" in k or "no_route" in k) and v}
    check(not bad, "no checksum or no_route drops", bad)
    port = dp.tel("/edgeplane/port,ext")
    check(port.get("xdp_rs_redirect", 0) > 0 and port.get("xdp_no_socket", 1) == 0,
          "XDP: the servers' replies were redirected (rs_redirect), no socket missing",
          {k: v for k, v in port.items() if k.startswith("xdp_")})


def run(d):
    sh("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
       "-nodes", "-keyout", f"{d}/key.pem", "-out", f"{d}/cert.pem", "-days", "1",
       "-subj", "/CN=edgeplane-test")
    backends = {n: Backend(d, n) for n in BACKENDS}
    for b in backends.values():
        if not check(wait_for(b.listening, f"nginx in {b.name}", 20), f"nginx {b.name} listens",
                     open(f"{d}/{b.name}.err0").read()[-800:] if os.path.exists(
                         f"{d}/{b.name}.err0") else ""):
            return
    dp = Dataplane(d, write_profile(d))
    if not check(dp.wait_ready(), "edge-dataplane starts (xdp port, six nat services)",
                 dp.output()[-2000:]):
        return
    check_kernel_to_server(dp, backends)
    check_http(backends)
    check_https_wrr(backends)
    check_client_address(backends)
    check_persistence(backends)
    check_least_conn(dp)
    check_idle(dp, backends)
    check_wrk()
    check_drain(d, backends)
    check_stopped(dp, backends)
    check_counters(dp)
    dp.proc.send_signal(signal.SIGTERM)
    try:
        rc = dp.proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        rc = None
    check(rc == 0, "SIGTERM: exit code 0", rc)
    out = sh("ip", "-d", "link", "show", "dev", DEV, ns="d").stdout
    check("prog/xdp" not in out, "no XDP program left on the interface")


def on_signal(sig, frame):
    raise SystemExit(f"signal {sig}")


def main():
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, on_signal)
    if os.geteuid() != 0:
        check(False, "needs root (network namespaces, XDP)")
        print(f"{passed} passed, {failed} failed")
        return 1
    missing = [t for t in TOOLS if shutil.which(t) is None]
    for path in (DP, EDGECTL):
        if not os.access(path, os.X_OK):
            missing.append(path)
    if missing:  # fail loudly, never skip
        check(False, "tools present", "missing: " + " ".join(missing) +
              " (bash .ci/deps installs them; ninja -C build builds ours)")
        print(f"{passed} passed, {failed} failed")
        return 1
    d = tempfile.mkdtemp(prefix=RUN)
    try:
        topology()
        run(d)
    except BaseException as e:  # a broken set-up or a signal is a failure, never a skip
        check(False, "test run", repr(e))
    finally:
        stop_all()
        for ns in NS.values():
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        shutil.rmtree(d, ignore_errors=True)
        shutil.rmtree(f"/var/run/dpdk/{RUN}", ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
