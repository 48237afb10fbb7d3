#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
pcap fixture: the load balancer's schedulers, persistence and
connection states (nat, one worker).

Services (all TCP port 443; servers 192.0.2.51-66 are static neighbours,
written without a port: they get 443):
  rr     192.0.2.110  rr over .51 .52 .53
  wrr    192.0.2.111  wrr over .54 weight=3, .55 weight=1
  pers   192.0.2.112  rr over .56 .57 .58, persistence = source_ip
  pers24 192.0.2.113  rr over .59 .60, persistence = source_ip,
                      persistence_netmask = 24
  state  192.0.2.114  rr over .61 .62
  sh     192.0.2.115  source_hash over .63 .64
  mg     192.0.2.116  maglev over .65 .66
Clients are off-link (via the gateway).

Packets, in this order in one input file:
 (1) one SYN to rr from each of 30 clients 198.51.100.1-30, and one to
     wrr from each of 40 clients 198.51.100.101-140;
 (2) to pers: 9 SYNs from each of 203.0.113.5, .6 and 198.18.0.7
     (source ports 50000-50008), in a fixed shuffled order in which plain
     rr would spread every client over several servers;
 (3) to pers24: 4 rounds of a SYN each from 203.0.113.10, 203.0.113.200
     and 198.51.100.77 (a /32 key would give .200 the other server);
 (4) to state, from 198.51.100.50:45000: SYN, the same SYN again, the
     server's SYN-ACK, the client's RST, a late ACK, a new SYN, the new
     server's SYN-ACK, a SYN-ACK from the first server; from
     198.51.100.51:45001: SYN, SYN-ACK, ACK, FIN each way, last ACK, new
     SYN; a real server's segment to a client without a connection;
 (5) to sh and to mg: 2 SYNs from each of 32 clients 198.19.0.1-32.
Checks: (1) rr sends connection k to server (s + k) mod 3 in id order
(s: the first one's), 10 each; wrr sends exactly 3 of every 4
consecutive connections (every window of 4) to .54, 30 and 10 in all;
(2) each client's 9 connections go to one server, and the three clients
to three different servers (rr schedules each new client once); (3)
203.0.113.10 and .200 (same /24) share one server for all 8
connections, 198.51.100.77 has the other for its 4; (4) the repeated SYN
goes where the first went (same connection), the RST and late ACK still
reach that server, the new SYN after the RST and the one after the FIN
exchange are new connections: rescheduled by rr to the other server,
whose SYN-ACK is translated back, while the first server's late SYN-ACK
and the segment without a connection are dropped as not_local (2); all
packets of (4) other than those two leave; (5) for sh and mg, each
client's two connections go to one server and both servers get clients.
Every forwarded frame leaves with the server's MAC, destination port 443
and valid checksums.
"""
import random

import eptest
from eptest import GW_MAC, IP, PORT_MAC, TCP, Ether

VIPS = {"rr": "192.0.2.110", "wrr": "192.0.2.111", "pers": "192.0.2.112",
        "pers24": "192.0.2.113", "state": "192.0.2.114", "sh": "192.0.2.115",
        "mg": "192.0.2.116"}
SERVERS = {"rr": [51, 52, 53], "wrr": [54, 55], "pers": [56, 57, 58], "pers24": [59, 60],
           "state": [61, 62], "sh": [63, 64], "mg": [65, 66]}
WEIGHTS = {54: 3, 55: 1}
OPTS = {"rr": ["scheduler = rr"], "wrr": ["scheduler = wrr"],
        "pers": ["scheduler = rr", "persistence = source_ip"],
        "pers24": ["scheduler = rr", "persistence = source_ip", "persistence_netmask = 24"],
        "state": ["scheduler = rr"], "sh": ["scheduler = source_hash"],
        "mg": ["scheduler = maglev"]}


def rs_ip(n):
    return f"192.0.2.{n}"


def rs_mac(n):
    return f"02:00:00:00:00:{n:02x}"


def profile():
    lines = [f"neighbor = {rs_ip(n)} {rs_mac(n)}" for s in SERVERS.values() for n in s]
    for name, vip in VIPS.items():
        lines += ["", f"[virtual_service {name}]", f"listen = {vip}:443/tcp"] + OPTS[name]
        lines += [f"real_server = {rs_ip(n)}" + (f" weight={WEIGHTS[n]}" if n in WEIGHTS else "")
                  for n in SERVERS[name]]
    return lines


class Seq:
    """Unique sequence numbers: they identify frames across the rewrite."""
    n = 1000

    @classmethod
    def next(cls):
        cls.n += 1000
        return cls.n


def syn(svc, client, sport, seq=None):
    return Ether(dst=PORT_MAC, src=GW_MAC) / IP(src=client, dst=VIPS[svc], ttl=50) / \
        TCP(sport=sport, dport=443, flags="S", seq=Seq.next() if seq is None else seq)


def seg(svc, client, sport, flags, data=b""):
    return Ether(dst=PORT_MAC, src=GW_MAC) / IP(src=client, dst=VIPS[svc], ttl=50) / \
        TCP(sport=sport, dport=443, flags=flags, seq=Seq.next(), ack=1) / data


def from_server(n, client, cport, flags):
    return Ether(dst=PORT_MAC, src=rs_mac(n)) / IP(src=rs_ip(n), dst=client, ttl=64) / \
        TCP(sport=443, dport=cport, flags=flags, seq=Seq.next(), ack=1)


def key(p):
    return (p[TCP].seq, int(p[TCP].flags)) if TCP in p else None


def body(t):
    dp = eptest.Dataplane("lb_state", profile_extra=profile())

    # Packets.
    rr = [syn("rr", f"198.51.100.{i}", 40000 + i) for i in range(1, 31)]
    wrr = [syn("wrr", f"198.51.100.{100 + i}", 40000 + i) for i in range(1, 41)]
    pers_clients = ["203.0.113.5", "203.0.113.6", "198.18.0.7"]
    # A fixed shuffle: under plain rr each client's connections would
    # spread over the servers (an order of period 3 would hide that).
    pers = [syn("pers", c, 50000 + k) for k in range(9) for c in pers_clients]
    random.Random(3).shuffle(pers)
    for c in pers_clients:
        if len({i % 3 for i, f in enumerate(pers) if f[IP].src == c}) == 1:
            raise eptest.Failure(f"test bug: plain rr would keep {c} on one server")
    # .200 right after .10: with a /32 key, rr would give it the other server.
    p24_clients = ["203.0.113.10", "203.0.113.200", "198.51.100.77"]
    p24 = [syn("pers24", c, 50000 + k) for k in range(4) for c in p24_clients]
    hashed = {s: [syn(s, f"198.19.0.{i}", 51000 + k) for i in range(1, 33) for k in range(2)]
              for s in ("sh", "mg")}

    # (4): the first server of each connection is only known from the
    # output, so the server side is sent from both candidates where it
    # matters, and the checks say which one must have passed.
    C1, P1, C2, P2 = "198.51.100.50", 45000, "198.51.100.51", 45001
    s1 = syn("state", C1, P1)
    st1 = {
        "syn": s1,
        "syn again": syn("state", C1, P1, seq=s1[TCP].seq),
        "synack": {n: from_server(n, C1, P1, "SA") for n in SERVERS["state"]},
        "rst": seg("state", C1, P1, "R"),
        "late ack": seg("state", C1, P1, "A", b"late"),
        "new syn": syn("state", C1, P1),
        "new synack": {n: from_server(n, C1, P1, "SA") for n in SERVERS["state"]},
    }
    st2 = {
        "syn": syn("state", C2, P2),
        "synack": {n: from_server(n, C2, P2, "SA") for n in SERVERS["state"]},
        "ack": seg("state", C2, P2, "A"),
        "client fin": seg("state", C2, P2, "FA"),
        "server fin": {n: from_server(n, C2, P2, "FA") for n in SERVERS["state"]},
        "last ack": seg("state", C2, P2, "A"),
        "new syn": syn("state", C2, P2),
    }
    orphan = from_server(61, "198.51.100.99", 45999, "PA")

    def flat(d):
        return [f for v in d.values() for f in (v.values() if isinstance(v, dict) else [v])]
    frames = rr + wrr + pers + p24 + flat(st1) + flat(st2) + [orphan] + \
        hashed["sh"] + hashed["mg"]
    dp.write_input(frames)
    # Frames to a server that had no connection for them: for each dict of
    # candidates, one passes and one is dropped as not_local; plus the
    # orphan.
    n_candidates = sum(1 for d in (st1, st2) for v in d.values() if isinstance(v, dict))
    n_out = len(frames) - n_candidates - 1

    # State: seven services, one worker.
    dp.start()

    def tcp_out():
        return [p for p in dp.output() if key(p) is not None]
    dp.wait_settled(drops={"not_local": n_candidates + 1},
                    extra=lambda: len(tcp_out()) >= n_out, what=f"{n_out} frames forwarded")
    d = dp.drops()
    t.stopped_cleanly(dp)
    out = {}
    for p in dp.output():
        if key(p) is not None:
            out.setdefault(key(p), []).append(p)

    def dest(f):
        """The last octet of the server f went to, or None (dropped)."""
        s = out.get(key(f), [])
        return int(s[0][IP].dst.split(".")[3]) if len(s) == 1 else None

    fwd_frames = [p for v in out.values() for p in v if p[IP].dst.startswith("192.0.2.")]
    bad = [p.summary() for p in fwd_frames
           if not (p[TCP].dport == 443 and eptest.csums_ok(p)[0] and
                   eptest.mac_eq(p[Ether].dst, rs_mac(int(p[IP].dst.split(".")[3]))))]
    t.check(not bad, f"all {len(fwd_frames)} frames sent to servers: the server's MAC, "
            "port 443, valid checksums", f"{bad[:4]}")

    # (1) rr and wrr.
    seq = [dest(f) for f in rr]
    t.check(None not in seq, "rr: every SYN leaves once", f"{seq}")
    if None not in seq:
        ids = SERVERS["rr"]
        first = ids.index(seq[0]) if seq[0] in ids else 0
        exp = [ids[(first + k) % 3] for k in range(len(rr))]
        t.equal(seq, exp, "rr: the servers in id order, round and round")
        t.equal([seq.count(n) for n in ids], [10, 10, 10], "rr: connections per server")
    seq = [dest(f) for f in wrr]
    t.check(None not in seq, "wrr: every SYN leaves once", f"{seq}")
    if None not in seq:
        windows = [seq[k:k + 4].count(54) for k in range(len(seq) - 3)]
        t.check(all(w == 3 for w in windows),
                "wrr 3:1: every 4 consecutive connections, 3 to .54 and 1 to .55",
                f"sequence {seq}")
        t.equal([seq.count(54), seq.count(55)], [30, 10], "wrr: connections to .54, .55")

    # (2) persistence.
    where = {c: {dest(f) for f in pers if f[IP].src == c} for c in pers_clients}
    for c in pers_clients:
        t.check(len(where[c]) == 1 and None not in where[c],
                f"pers: all 9 connections of {c} go to one server", f"{where[c]}")
    t.check(len(set().union(*where.values())) == 3,
            "pers: the three clients were scheduled (rr) to three different servers",
            f"{where}")

    # (3) persistence by /24.
    where = {c: {dest(f) for f in p24 if f[IP].src == c} for c in p24_clients}
    same = where["203.0.113.10"] | where["203.0.113.200"]
    t.check(len(same) == 1 and None not in same,
            "pers24: 203.0.113.10 and 203.0.113.200 (one /24) share one server for all 8",
            f"{where}")
    other = where["198.51.100.77"]
    t.check(len(other) == 1 and None not in other and not (other & same),
            "pers24: 198.51.100.77 (another /24) has the other server for its 4", f"{where}")

    # (4) connection states.
    dups = out.get(key(st1["syn"]), [])  # the SYN and its repeat: same seq
    t.equal(len(dups), 2, "state: the SYN and its repeat: frames out")
    a = int(dups[0][IP].dst.split(".")[3]) if dups else None
    t.check(a in SERVERS["state"], "state: the first SYN leaves to a server", f"{a}")
    b = next(n for n in SERVERS["state"] if n != a) if a in SERVERS["state"] else None
    t.check(len(dups) == 2 and all(int(p[IP].dst.split(".")[3]) == a for p in dups),
            "state: the repeated SYN goes to the same server (same connection)",
            "; ".join(p.summary() for p in dups))
    for name in ("rst", "late ack"):
        t.equal(dest(st1[name]), a, f"state: the client's {name} after the SYN-ACK reaches .{a}")
    t.equal(dest(st1["new syn"]), b, "state: a new SYN from the same port after the RST is "
            "a new connection, rescheduled")

    def replies_ok(cands, to, cport, label):
        """The candidate from server `to` leaves as VIP -> client, the other does not."""
        for n, f in cands.items():
            s = out.get(key(f), [])
            if n == to:
                exp = eptest.rewritten(f, GW_MAC, src=VIPS["state"], sport=443)
                t.check(len(s) == 1 and not eptest.frame_diff(s[0], exp),
                        f"state: {label} from .{n} leaves as {VIPS['state']}:443 -> "
                        f"client:{cport}, checksums valid",
                        eptest.frame_diff(s[0], exp) if len(s) == 1 else f"{len(s)} out")
            else:
                t.equal(len(s), 0, f"state: {label} from .{n} (no connection with it): "
                        "frames out")
    replies_ok(st1["synack"], a, P1, "SYN-ACK")
    replies_ok(st1["new synack"], b, P1, "SYN-ACK of the new connection")

    c = dest(st2["syn"])
    t.check(c in SERVERS["state"], "state: the second client's SYN leaves to a server", f"{c}")
    replies_ok(st2["synack"], c, P2, "second client's SYN-ACK")
    for name in ("ack", "client fin", "last ack"):
        t.equal(dest(st2[name]), c, f"state: the second client's {name} reaches .{c}")
    replies_ok(st2["server fin"], c, P2, "server FIN")
    t.check(dest(st2["new syn"]) in SERVERS["state"] and dest(st2["new syn"]) != c,
            "state: a new SYN from the same port after FIN both ways is a new connection, "
            "rescheduled", f"went to {dest(st2['new syn'])}, the old one to {c}")
    t.equal(len(out.get(key(orphan), [])), 0, "a server's segment without a connection: "
            "frames out")
    t.equal(d["not_local"], n_candidates + 1, "drops not_local (the wrong servers' "
            "segments and the one without a connection)")

    # (5) source_hash and maglev.
    for s in ("sh", "mg"):
        per_client = {}
        for f in hashed[s]:
            per_client.setdefault(f[IP].src, set()).add(dest(f))
        split = {cl: v for cl, v in per_client.items() if len(v) != 1 or None in v}
        t.check(not split, f"{s}: each client's two connections go to one server", f"{split}")
        used = set().union(*per_client.values())
        t.equal(sorted(used), SERVERS[s], f"{s}: servers that got clients")


if __name__ == "__main__":
    eptest.main(body)
