#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
The load balancer on the control socket: SERVICES, SERVERS, FLOWS and
SERVER_SET (lib/ctlmsg) through the real edgectl and raw requests.

Services:
  web   192.0.2.100:443/tcp      rr -> 192.0.2.11:4443, 192.0.2.12:4443
  dns   192.0.2.100:53/udp          -> 192.0.2.13:5353
  web6  [2001:db8::100]:443/tcp     -> [2001:db8::11]:4443
(the real servers are static neighbours; SYN and UDP timeouts of 10
minutes, so no connection expires during the test).
Packets: 4 SYNs to web from 198.51.100.1-4, a UDP datagram to dns from
198.51.100.5, a SYN to web6 from 2001:db8:1::7, and an ACK to web with no
connection (a per-service drop, no_connection).  The input is read once
at start: state changes are checked through `show servers`.
Checks: `show services|servers|flows`, tables and --json (parsed with
json.loads), agree with what was sent (4 + 1 + 1 connections, rr puts
two on each web server, the drop is web's) and with telemetry
/edgeplane/services; flows name their service, client, VIP, local and
server ends, state and a positive expiry; --limit truncates; paging
with one item per page walks every list; drain, weight, disable,
enable, health down/up (IPv4 and IPv6 servers) show in `show servers`
and keep the connections; an unknown service or real server is an
error naming it, exit code 1; bad arguments exit 2 without connecting;
SERVER_SET from a reader is refused (EPERM), and edgectl cannot change
anything while another controller is connected but can at once after it
leaves; malformed requests (short, long, unterminated names, bad
family, action, flags or weight) get error replies and the session
keeps working.
"""
import errno
import json
import os
import struct
import subprocess

import eptest
from eptest import GW_MAC, PORT_MAC, TCP, UDP, IP, IPv6, Ether

EDGECTL = os.environ.get("EDGECTL", "build/control/edgectl")
MAGIC, VERSION = 0x45504331, 1
HELLO, STATS, SERVICES, SERVERS, FLOWS, SERVER_SET = 1, 2, 6, 7, 8, 9
ENABLE, DISABLE, DRAIN, WEIGHT, HEALTH_UP, HEALTH_DOWN = 1, 2, 3, 4, 5, 6
HDR = struct.Struct("<IHHIi")  # magic, version, type, seq, status
LIST_REQ = struct.Struct("<IIII32s")  # cursor[2], max, flags, service
PAGE = struct.Struct("<IIII")  # n, more, next[2]
SET_REQ = struct.Struct("<32sB3x16sHHI")  # service, family, addr, port, action, weight
SERVICE_SIZE, SERVER_SIZE, FLOW_SIZE = 488, 144, 128

VIP, VIP6 = "192.0.2.100", "2001:db8::100"
RS1, RS2, RS_DNS, RS6 = "192.0.2.11", "192.0.2.12", "192.0.2.13", "2001:db8::11"
MAC = {RS1: "02:00:00:00:00:11", RS2: "02:00:00:00:00:12", RS_DNS: "02:00:00:00:00:13",
       RS6: "02:00:00:00:06:11"}
CLIENTS = [f"198.51.100.{i}" for i in range(1, 5)]
CL_DNS, CL6 = "198.51.100.5", "2001:db8:1::7"

PROFILE = [f"neighbor = {a} {m}" for a, m in MAC.items()] + [
    "",
    "[virtual_service web]", f"listen = {VIP}:443/tcp", "scheduler = rr",
    "tcp_syn_timeout = 10m", f"real_server = {RS1}:4443", f"real_server = {RS2}:4443", "",
    "[virtual_service dns]", f"listen = {VIP}:53/udp", "udp_timeout = 10m",
    f"real_server = {RS_DNS}:5353", "",
    "[virtual_service web6]", f"listen = [{VIP6}]:443/tcp", "tcp_syn_timeout = 10m",
    f"real_server = [{RS6}]:4443",
]


def frames():
    out = []
    for i, c in enumerate(CLIENTS):
        out.append(Ether(dst=PORT_MAC, src=GW_MAC) / IP(src=c, dst=VIP) /
                   TCP(sport=40001 + i, dport=443, flags="S", seq=1000 + i))
    out.append(Ether(dst=PORT_MAC, src=GW_MAC) / IP(src=CL_DNS, dst=VIP) /
               UDP(sport=33000, dport=53) / b"query")
    out.append(Ether(dst=PORT_MAC, src=GW_MAC) / IPv6(src=CL6, dst=VIP6) /
               TCP(sport=40100, dport=443, flags="S"))
    # No connection: dropped, counted against web.
    out.append(Ether(dst=PORT_MAC, src=GW_MAC) / IP(src="198.51.100.9", dst=VIP) /
               TCP(sport=40200, dport=443, flags="A"))
    return out


def edgectl(*args):
    return subprocess.run([EDGECTL] + list(args), capture_output=True, text=True, timeout=30)


def cstr(b):
    return b.split(b"\0", 1)[0].decode(errors="replace")


class Client:
    def __init__(self, path):
        import socket
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.s.settimeout(5)
        self.s.connect(path)
        self.seq = 0

    def call(self, typ, body=b"", raw=None):
        """(status, payload) of the reply to one request."""
        self.seq += 1
        data = raw if raw is not None else HDR.pack(MAGIC, VERSION, typ, self.seq, 0) + body
        self.s.send(data)
        r = self.s.recv(70000)
        _, _, rtyp, seq, status = HDR.unpack(r[:HDR.size])
        return status, r[HDR.size:]

    def hello(self, role=0):
        return self.call(HELLO, struct.pack("<I32s", role, b"test_ctl_lb"))[0]

    def page(self, typ, c0=0, c1=0, mx=0, service=b""):
        st, p = self.call(typ, LIST_REQ.pack(c0, c1, mx, 0, service))
        if st != 0:
            return st, None, []
        n, more, n0, n1 = PAGE.unpack(p[:PAGE.size])
        size = {SERVICES: SERVICE_SIZE, SERVERS: SERVER_SIZE, FLOWS: FLOW_SIZE}[typ]
        items = [p[PAGE.size + i * size:PAGE.size + (i + 1) * size] for i in range(n)]
        return st, (more, n0, n1), items

    def walk(self, typ, mx=1, service=b""):
        """Every item, mx per page; None if a page failed or the walk does not end."""
        c0 = c1 = 0
        items = []
        for _ in range(1000):
            st, nxt, its = self.page(typ, c0, c1, mx, service)
            if st != 0 or len(its) > mx:
                return None
            items += its
            if not nxt[0]:
                return items
            c0, c1 = nxt[1], nxt[2]
        return None

    def close(self):
        self.s.close()


def set_req(service, addr, port, action, weight=0, family=None):
    import socket
    fam = family if family is not None else (6 if ":" in addr else 4)
    a = socket.inet_pton(socket.AF_INET6 if ":" in addr else socket.AF_INET, addr)
    return SET_REQ.pack(service, fam, a.ljust(16, b"\0"), port, action, weight)


def body(t):
    dp = eptest.Dataplane("ctl_lb", profile_extra=PROFILE)
    dp.write_input(frames())
    dp.start()
    dp.wait_settled(counters={"tx": 6})
    sock = os.path.join(dp.tmp, "dp.sock")

    def ctl(*args):
        return edgectl("--socket", sock, *args)

    def jctl(*args):
        r = ctl("--json", *args)
        try:
            return r, json.loads(r.stdout)
        except ValueError:
            t.check(False, f"edgectl --json {' '.join(args)} prints valid JSON",
                    r.stdout[:300] + r.stderr)
            return r, None

    def servers(service=None):
        _, v = jctl("show", "servers", *([service] if service else []))
        return {s["server"]: s for s in v or []}

    # -- show services
    r, svcs = jctl("show", "services")
    t.equal(r.returncode, 0, "show services --json exit code")
    by = {s["name"]: s for s in svcs or []}
    t.equal(sorted(by), ["dns", "web", "web6"], "show services: the three services")
    web, dns, web6 = by.get("web", {}), by.get("dns", {}), by.get("web6", {})
    t.check(web.get("vip") == f"{VIP}:443" and web.get("proto") == "tcp" and
            web.get("scheduler") == "rr" and web.get("forwarding") == "nat" and
            web.get("persistence") == "none" and web.get("servers") == 2 and
            web.get("servers_up") == 2, "web: vip, proto, scheduler, forwarding, servers", web)
    t.check(web.get("conns") == 4 and web.get("active") == 4 and web.get("pkts_in") == 4,
            "web: 4 connections, 4 active, 4 packets in", web)
    t.check(web.get("drops", {}).get("no_connection") == 1 and
            sum(web.get("drops", {}).values()) == 1, "web: one no_connection drop",
            web.get("drops"))
    t.check(dns.get("proto") == "udp" and dns.get("conns") == 1 and dns.get("active") == 1,
            "dns: one UDP connection", dns)
    t.check(web6.get("vip") == f"[{VIP6}]:443" and web6.get("conns") == 1,
            "web6: IPv6 VIP, one connection", web6)
    tel = dp.tel.query("/edgeplane/services") or {}
    tel_conns = dict(zip(tel.get("name", []), tel.get("conns", [])))
    t.equal(tel_conns, {"web": 4, "dns": 1, "web6": 1},
            "telemetry /edgeplane/services conns agree")
    tel_drops = dict(zip(tel.get("name", []), tel.get("drop_no_connection", [])))
    t.equal(tel_drops.get("web"), 1, "telemetry: web's no_connection drop")
    r = ctl("show", "services")
    t.check(r.returncode == 0 and "web" in r.stdout and f"{VIP}:443" in r.stdout and
            "no_connection" in r.stdout, "show services (table)", r.stdout + r.stderr)

    # -- show servers
    r, allsrv = jctl("show", "servers")
    t.equal(r.returncode, 0, "show servers --json exit code")
    t.equal(sorted(s["server"] for s in allsrv or []),
            sorted([f"{RS1}:4443", f"{RS2}:4443", f"{RS_DNS}:5353", f"[{RS6}]:4443"]),
            "show servers: every real server")
    ws = servers("web")
    t.equal(sorted(ws), [f"{RS1}:4443", f"{RS2}:4443"], "show servers web: its two")
    t.check(all(s["conns"] == 2 and s["active"] == 2 and s["pkts_in"] == 2 and
                s["state"] == "up" and s["admin"] == "up" and s["health"] == "up" and
                s["weight"] == 1 for s in ws.values()),
            "rr: two connections on each web server, all up", ws)
    t.equal(sum(s["pkts_in"] for s in ws.values()), 4, "web servers' packets in == SYNs sent")
    r = ctl("show", "servers", "web")
    t.check(r.returncode == 0 and f"{RS1}:4443" in r.stdout and "up" in r.stdout,
            "show servers web (table)", r.stdout + r.stderr)

    # -- show flows
    r, fl = jctl("show", "flows")
    flows = (fl or {}).get("flows", [])
    t.check(r.returncode == 0 and len(flows) == 6 and fl.get("truncated") is False,
            "show flows --json: 6 connections, not truncated", fl)
    wf = [f for f in flows if f["service"] == "web"]
    t.equal(sorted(f["client"] for f in wf),
            sorted(f"{c}:{40001 + i}" for i, c in enumerate(CLIENTS)), "web flows' clients")
    t.check(all(f["vip"] == f"{VIP}:443" and f["proto"] == "tcp" and
                f["state"] == "syn_sent" and f["server"] in (f"{RS1}:4443", f"{RS2}:4443") and
                f["local"] == f["client"] and 0 < f["expires_s"] <= 600 for f in wf),
            "web flows: VIP, state syn_sent, server, nat keeps the client, expiry", wf)
    t.equal(sorted(f["server"] for f in wf), sorted([f"{RS1}:4443"] * 2 + [f"{RS2}:4443"] * 2),
            "web flows: two per server")
    df = [f for f in flows if f["service"] == "dns"]
    t.check(len(df) == 1 and df[0]["state"] == "udp" and df[0]["proto"] == "udp" and
            df[0]["client"] == f"{CL_DNS}:33000" and df[0]["server"] == f"{RS_DNS}:5353",
            "dns flow", df)
    f6 = [f for f in flows if f["service"] == "web6"]
    t.check(len(f6) == 1 and f6[0]["client"] == f"[{CL6}]:40100" and
            f6[0]["server"] == f"[{RS6}]:4443", "web6 flow (IPv6 tuples)", f6)
    r, fl = jctl("show", "flows", "--limit", "2")
    t.check(r.returncode == 0 and len((fl or {}).get("flows", [])) == 2 and
            fl.get("truncated") is True, "show flows --limit 2: two, truncated", fl)
    for lim in ("6", "0"):
        r, fl = jctl("show", "flows", "--limit", lim)
        t.check(r.returncode == 0 and len((fl or {}).get("flows", [])) == 6 and
                fl.get("truncated") is False, f"show flows --limit {lim}: all 6, not truncated",
                fl)
    r, fl = jctl("show", "flows", "web")
    t.equal(len((fl or {}).get("flows", [])), 4, "show flows web: its 4")
    r = ctl("show", "flows")
    t.check(r.returncode == 0 and r.stdout.count("syn_sent") == 5 and "udp" in r.stdout,
            "show flows (table)", r.stdout + r.stderr)
    r = ctl("show", "flows", "--limit", "1")
    t.check(r.returncode == 0 and "--limit" in r.stdout, "show flows --limit 1 says more",
            r.stdout)

    # -- paging, raw, one item per page
    c = Client(sock)
    t.equal(c.hello(), 0, "raw reader HELLO")
    st, nxt, items = c.page(SERVICES, mx=1)
    t.check(st == 0 and len(items) == 1 and nxt[0] == 1, "SERVICES max 1: one, and more",
            (st, nxt, len(items)))
    sv = c.walk(SERVICES)
    t.equal(sorted(cstr(i[:32]) for i in sv or []), ["dns", "web", "web6"],
            "SERVICES one per page: all three")
    sr = c.walk(SERVERS)
    t.equal(len(sr or []), 4, "SERVERS one per page: all four")
    sr = c.walk(SERVERS, mx=1, service=b"web")
    t.equal(len(sr or []), 2, "SERVERS web one per page: its two")
    fw = c.walk(FLOWS, mx=1)
    t.equal(len(fw or []), 6, "FLOWS one per page: all six")
    fw = c.walk(FLOWS, mx=4)
    t.equal(len(fw or []), 6, "FLOWS four per page: all six")

    # -- errors that name what they refer to
    st, p = c.call(SERVERS, LIST_REQ.pack(0, 0, 0, 0, b"nosuch"))
    t.check(st == -errno.ENOENT and "no service 'nosuch'" in cstr(p),
            "SERVERS of an unknown service: ENOENT naming it", (st, p[:80]))
    r = ctl("show", "servers", "nosuch")
    t.check(r.returncode == 1 and "no service 'nosuch'" in r.stderr and r.stderr.count("\n") == 1,
            "edgectl show servers nosuch: one line naming it, exit 1", r.stderr)
    r = ctl("show", "flows", "nosuch")
    t.check(r.returncode == 1 and "no service 'nosuch'" in r.stderr,
            "edgectl show flows nosuch: exit 1", r.stderr)
    r = ctl("server", "drain", "nosuch", f"{RS1}:4443")
    t.check(r.returncode == 1 and "no service 'nosuch'" in r.stderr,
            "edgectl server drain on an unknown service: exit 1, named", r.stderr)
    r = ctl("server", "drain", "web", "10.0.0.9:80")
    t.check(r.returncode == 1 and "service web has no real server 10.0.0.9:80" in r.stderr,
            "edgectl server drain of an unknown real server: exit 1, named", r.stderr)
    r = ctl("server", "drain", "web", f"{RS_DNS}:5353")
    t.check(r.returncode == 1 and f"no real server {RS_DNS}:5353" in r.stderr,
            "another service's real server is not web's", r.stderr)

    # -- bad arguments: exit 2, nothing sent
    for args, what in [
        (("server", "weight", "web", f"{RS1}:4443", "70000"), "weight out of range"),
        (("server", "weight", "web", f"{RS1}:4443", "x"), "weight not a number"),
        (("server", "drain", "web", "bogus"), "not an address"),
        (("server", "drain", "web", "2001:db8::11:4443:"), "IPv6 with a port needs brackets"),
        (("server", "frobnicate", "web", f"{RS1}:4443"), "unknown verb"),
        (("server", "drain", "web"), "missing address"),
        (("server", "health", "web", f"{RS1}:4443", "sideways"), "health up|down"),
        (("server", "drain", "x" * 40, f"{RS1}:4443"), "service name too long"),
        (("show", "services", "extra"), "show services takes no argument"),
        (("show", "services", "--limit", "3"), "--limit with show services"),
        (("show", "flows", "--limit", "-1"), "negative --limit"),
    ]:
        r = ctl(*args)
        t.check(r.returncode == 2 and r.stderr.strip() != "", f"edgectl usage error: {what}",
                f"{r.returncode} {r.stderr}")

    # -- changes
    r = ctl("server", "drain", "web", f"{RS2}:4443")
    t.check(r.returncode == 0 and "draining" in r.stdout, "server drain web RS2", r.stdout +
            r.stderr)
    s2 = servers("web").get(f"{RS2}:4443", {})
    t.check(s2.get("state") == "draining" and s2.get("admin") == "draining" and
            s2.get("active") == 2, "show servers: RS2 draining, its connections kept", s2)
    _, svcs = jctl("show", "services")
    t.equal({s["name"]: s["servers_up"] for s in svcs or []}.get("web"), 1,
            "show services: web has one server up while RS2 drains")
    r, v = jctl("server", "weight", "web", f"{RS1}:4443", "5")
    t.check(r.returncode == 0 and (v or {}).get("weight") == 5, "server weight web RS1 5 (json)",
            r.stdout + r.stderr)
    t.equal(servers("web").get(f"{RS1}:4443", {}).get("weight"), 5, "show servers: weight 5")
    r = ctl("server", "disable", "web", f"{RS2}:4443")
    s2 = servers("web").get(f"{RS2}:4443", {})
    t.check(r.returncode == 0 and s2.get("state") == "disabled" and s2.get("admin") == "disabled",
            "server disable: RS2 disabled", s2)
    r = ctl("server", "enable", "web", f"{RS2}:4443")
    s2 = servers("web").get(f"{RS2}:4443", {})
    t.check(r.returncode == 0 and s2.get("state") == "up" and s2.get("admin") == "up",
            "server enable: RS2 up again", s2)
    r = ctl("server", "health", "web", f"{RS1}:4443", "down")
    s1 = servers("web").get(f"{RS1}:4443", {})
    t.check(r.returncode == 0 and s1.get("state") == "down" and s1.get("health") == "down" and
            s1.get("admin") == "up", "server health down: state down, admin still up", s1)
    r = ctl("server", "drain", "web", f"{RS1}:4443")
    s1 = servers("web").get(f"{RS1}:4443", {})
    t.check(r.returncode == 0 and s1.get("state") == "draining" and s1.get("health") == "down",
            "the operator's word wins over health in the state shown", s1)
    ctl("server", "enable", "web", f"{RS1}:4443")
    r = ctl("server", "health", "web", f"{RS1}:4443", "up")
    s1 = servers("web").get(f"{RS1}:4443", {})
    t.check(r.returncode == 0 and s1.get("state") == "up" and s1.get("weight") == 5,
            "health up, enabled: RS1 up, weight kept", s1)
    r = ctl("server", "drain", "web6", f"[{RS6}]:4443")
    s6 = servers("web6").get(f"[{RS6}]:4443", {})
    t.check(r.returncode == 0 and s6.get("state") == "draining",
            "server drain of an IPv6 real server ([ADDR]:PORT)", r.stderr + str(s6))
    _, fl = jctl("show", "flows")
    t.equal(len((fl or {}).get("flows", [])), 6, "every connection survives the changes")
    with open(dp.log_path, errors="replace") as f:
        log = f.read()
    t.check(f"service web real server {RS2}:4443: drain" in log and
            f"service web real server {RS1}:4443: weight 5" in log,
            "the dataplane logs each change", dp.log_tail(8))

    # -- who may change things
    st, _ = c.call(SERVER_SET, set_req(b"web", RS1, 4443, DRAIN))
    t.equal(st, -errno.EPERM, "SERVER_SET from a reader session")
    ctrl = Client(sock)
    t.equal(ctrl.hello(role=1), 0, "raw controller HELLO")
    r = ctl("server", "enable", "web", f"{RS1}:4443")
    t.check(r.returncode == 1 and "already has a controller" in r.stderr,
            "edgectl cannot change anything while another controller is connected", r.stderr)
    st, p = ctrl.call(SERVER_SET, set_req(b"web", RS1, 4443, WEIGHT, 7))
    t.check(st == 0 and len(p) == SERVER_SIZE and struct.unpack_from("<I", p, 56)[0] == 7,
            "SERVER_SET weight 7 from the controller; the reply is the server", (st, len(p)))
    st, p = ctrl.call(SERVER_SET, set_req(b"web", "10.0.0.9", 80, DRAIN))
    t.check(st == -errno.ENOENT and "service web has no real server 10.0.0.9:80" in cstr(p),
            "SERVER_SET of an unknown server: ENOENT naming it", (st, p[:80]))
    bad = [
        ("a service name without its NUL", set_req(b"w" * 32, RS1, 4443, DRAIN), -errno.EINVAL),
        ("an empty service name", set_req(b"", RS1, 4443, DRAIN), -errno.EINVAL),
        ("action 99", set_req(b"web", RS1, 4443, 99), -errno.EINVAL),
        ("action 0", set_req(b"web", RS1, 4443, 0), -errno.EINVAL),
        ("family 5", set_req(b"web", RS1, 4443, DRAIN, family=5), -errno.EINVAL),
        ("a weight with drain", set_req(b"web", RS1, 4443, DRAIN, weight=3), -errno.EINVAL),
        ("weight 65536", set_req(b"web", RS1, 4443, WEIGHT, weight=65536), -errno.EINVAL),
        ("one byte short", set_req(b"web", RS1, 4443, DRAIN)[:-1], -errno.EMSGSIZE),
        ("one byte long", set_req(b"web", RS1, 4443, DRAIN) + b"\0", -errno.EMSGSIZE),
    ]
    for what, data, want in bad:
        st, p = ctrl.call(SERVER_SET, data)
        t.check(st == want, f"malformed SERVER_SET: {what} -> {want}", f"got {st}")
    for what, data, want in [
        ("SERVICES one byte short", LIST_REQ.pack(0, 0, 0, 0, b"")[:-1], -errno.EMSGSIZE),
        ("FLOWS one byte long", LIST_REQ.pack(0, 0, 0, 0, b"") + b"\0", -errno.EMSGSIZE),
        ("SERVERS with flags", LIST_REQ.pack(0, 0, 0, 1, b""), -errno.EINVAL),
        ("SERVERS with an unterminated name", LIST_REQ.pack(0, 0, 0, 0, b"s" * 32),
         -errno.EINVAL),
        ("SERVICES naming a service", LIST_REQ.pack(0, 0, 0, 0, b"web"), -errno.EINVAL),
    ]:
        typ = SERVICES if what.startswith("SERVICES") else \
            FLOWS if what.startswith("FLOWS") else SERVERS
        st, _ = c.call(typ, data)
        t.check(st == want, f"malformed list request: {what} -> {want}", f"got {st}")
    st, p = c.call(FLOWS, raw=HDR.pack(MAGIC, VERSION, FLOWS, 99, 0) + b"\0" * 70000)
    t.equal(st, -errno.EMSGSIZE, "a 70000-byte FLOWS request")
    st, nxt, items = c.page(FLOWS, c0=1000, c1=0)
    t.check(st == 0 and items == [] and nxt[0] == 0, "FLOWS past the last worker: empty, done",
            (st, nxt))
    st, nxt, items = c.page(FLOWS, c0=0, c1=0xffffffff)
    t.check(st == 0 and items == [] and nxt[0] == 0, "FLOWS past a table's end: empty, done",
            (st, nxt))
    st, nxt, items = c.page(SERVICES, c0=0xffffffff)
    t.check(st == 0 and items == [] and nxt[0] == 0, "SERVICES past the end: empty, done")
    t.equal(c.call(STATS)[0], 0, "the reader session still works after the errors")
    t.equal(len(c.walk(FLOWS, mx=256) or []), 6, "...and still lists the flows")
    ctrl.close()
    # The dataplane may not have read the controller's close yet: a
    # controller that has gone must not make the next one busy.
    r = ctl("server", "weight", "web", f"{RS1}:4443", "1")
    t.check(r.returncode == 0, "edgectl changes things as soon as the controller has left",
            r.stderr)
    t.equal(servers("web").get(f"{RS1}:4443", {}).get("weight"), 1, "weight back to 1")
    c.close()
    t.check(dp.alive(), "the dataplane is still running")
    t.stopped_cleanly(dp)

    # The SYNs went out, rr: two to each web server.
    out = dp.output()
    syn_to = [p[IP].dst for p in out if IP in p and TCP in p and p[TCP].flags == "S"]
    t.equal(sorted(syn_to), sorted([RS1, RS1, RS2, RS2]), "the SYNs left, two per web server")


if __name__ == "__main__":
    eptest.main(body)
