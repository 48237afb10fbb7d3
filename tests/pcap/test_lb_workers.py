#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
pcap fixture: the load balancer on two workers: connection ownership,
handoff of both directions, fullnat source-port slices, and source-IP
persistence across workers.

State for both runs: workers = 2, the port has 2 rx and 2 tx queues;
queue q is polled by worker q and worker w transmits on tx queue w, so
the tx file a frame leaves through names the worker that built it.  Rx
queue 0 is a file read at start; rx queue 1 is a named pipe written in
phases while the dataplane runs (eptest.PhasedDataplane), so a reply is
only sent once the connection it belongs to exists.

Run 1, services: web 192.0.2.120:443/tcp nat rr -> 192.0.2.71:4443,
192.0.2.72:4443; fweb 192.0.2.121:443/tcp fullnat, snat_pool
192.0.2.220-192.0.2.221 -> 192.0.2.73:8443.
 Queue 0: a SYN to web and a SYN to fweb from each of 24 off-link
 clients 198.51.100.1-24.  Once worker 0 has read them, queue 1 gets
 bursts of fillers until every SYN has left (worker 1 drains what was
 handed to it), then the replies: each server's SYN-ACK to the client
 (web) or to the SNAT address and port (fweb) the SYN left with.
 Checks: every SYN leaves exactly once and every reply leaves exactly
 once as VIP:443 -> client:port to the gateway's MAC with valid
 checksums; all frames of one client (both services, both directions)
 leave through one tx queue, its owner's, and both workers own clients;
 the fweb SNAT port of a client owned by worker w lies in w's slice
 [1024 + w*32256, 1024 + (w+1)*32256); per worker, handoff_out equals
 the SYNs of the other worker's clients that arrived on queue 0 (worker
 0) or the replies to the other worker's clients that arrived on queue 1
 (worker 1), and handoff_in the converse.

Run 2, service: pers 192.0.2.122:443/tcp rr over 192.0.2.74, .75, .76,
persistence = source_ip, persistence_netmask = 24.
 Queue 1, phase 1: a SYN from 203.0.113.1 (client A), SYNs from 8 probe
 clients 198.18.1-8.1 (a /24 each), then ARP requests for 192.0.2.1 from
 16 new on-link hosts 192.0.2.150-165.  The probes show where the rr of
 the worker not owning A stands; while its next pick would be A's
 server, one more probe (a phase each) moves it on, so that a worker
 scheduling A's /24 afresh would pick another server.  Phase 2, once
 A's SYN has left and the main lcore has learned all 16 hosts: a SYN from
 each of 32 clients 203.0.113.2-33 (A's /24).
 Why the ARPs: the design lets the worker that schedules a new client
 post the decision to the main lcore, which writes the shared table;
 other workers see it once that is done (its own worker sees it at once,
 through its cache).  A worker's learn events travel on the same ring,
 after the decision, so "learned == 16" with at least one ARP answered
 by A's owner (checked) proves the decision was in the table before
 phase 2.  Without such a barrier only the weaker property holds: a
 client of the same /24 owned by another worker that arrives within
 microseconds of the first decision may be scheduled afresh.
 Checks: the barrier held (an ARP reply left through A's owner's tx
 queue and learned >= 16); every phase-2 SYN goes to A's server; the
 32 clients are owned by both workers (so persistence crossed workers).
"""
import eptest
from eptest import ARP, GW_MAC, IP, PORT_MAC, TCP, Ether

WEB, FWEB, PERS = "192.0.2.120", "192.0.2.121", "192.0.2.122"
WEB_RS = ["192.0.2.71", "192.0.2.72"]
FWEB_RS, POOL = "192.0.2.73", ["192.0.2.220", "192.0.2.221"]
PERS_RS = ["192.0.2.74", "192.0.2.75", "192.0.2.76"]
N_CLIENTS = 24
SLICE = (65536 - 1024) // 2


def rs_mac(a):
    return f"02:00:00:00:00:{int(a.split('.')[3]):02x}"


def neighbors(servers):
    return [f"neighbor = {a} {rs_mac(a)}" for a in servers]


def client(i):
    return f"198.51.100.{i}"


def tcp(smac, src, dst, sport, dport, flags, seq, ack=0):
    return Ether(dst=PORT_MAC, src=smac) / IP(src=src, dst=dst, ttl=50) / \
        TCP(sport=sport, dport=dport, flags=flags, seq=seq, ack=ack)


def key(p):
    return (p[TCP].seq, int(p[TCP].flags)) if TCP in p else None


def outputs(dp):
    """{key: [(tx queue, frame)]} over both tx files."""
    out = {}
    for q in range(2):
        for p in dp.output(q):
            if key(p) is not None:
                out.setdefault(key(p), []).append((q, p))
    return out


def run_handoff(t):
    dp = eptest.PhasedDataplane("lb_workers", workers=2, queues=2, phased=(1,), profile_extra=
                                neighbors(WEB_RS + [FWEB_RS]) + [
        "", "[virtual_service web]", f"listen = {WEB}:443/tcp", "scheduler = rr"] +
        [f"real_server = {a}:4443" for a in WEB_RS] + [
        "", "[virtual_service fweb]", f"listen = {FWEB}:443/tcp", "forwarding = fullnat",
        f"snat_pool = {POOL[0]}-{POOL[-1]}", f"real_server = {FWEB_RS}:8443"])

    # Packets, queue 0: the clients' SYNs.  seq: 1000 * client + 1 (web), + 2 (fweb).
    syns = {}
    for i in range(1, N_CLIENTS + 1):
        syns[(i, "web")] = tcp(GW_MAC, client(i), WEB, 40000 + i, 443, "S", 1000 * i + 1)
        syns[(i, "fweb")] = tcp(GW_MAC, client(i), FWEB, 40000 + i, 443, "S", 1000 * i + 2)
    dp.write_input(list(syns.values()), q=0)

    # State: two workers; queue 1 waits for the test.
    dp.start()
    dp.wait_for(lambda: dp.per_worker()["rx"][0] == len(syns), "worker 0 to read the SYNs")
    dp.pump(1, lambda: all(outputs(dp).get(key(f)) for f in syns.values()),
            "every SYN forwarded")

    # Checks, the SYNs; queue 1 then gets the replies built from them.
    out = outputs(dp)
    once = [k for k, f in syns.items() if len(out.get(key(f), [])) != 1]
    t.check(not once, f"all {len(syns)} SYNs leave exactly once", f"{once[:6]}")
    if once:
        return
    replies, owner, split = {}, {}, []
    for (i, svc), f in syns.items():
        q, p = out[key(f)][0]
        if owner.setdefault(i, q) != q:
            split.append(i)
        if svc == "web":
            rs, rport, to, dport = p[IP].dst, 4443, client(i), 40000 + i
        else:
            rs, rport, to, dport = p[IP].dst, 8443, p[IP].src, p[TCP].sport
            lo = 1024 + owner[i] * SLICE
            if not lo <= dport < lo + SLICE:
                split.append((i, f"SNAT port {dport} outside worker {owner[i]}'s slice"))
        replies[(i, svc)] = tcp(rs_mac(rs), rs, to, rport, dport, "SA", f[TCP].seq + 500000,
                                f[TCP].seq + 1)
    t.check(not split, "both SYNs of a client leave through one tx queue, the fweb one "
            "from the owner's SNAT port slice", f"{split[:6]}")
    owned = [sorted(i for i, w in owner.items() if w == q) for q in range(2)]
    for q, o in enumerate(owned):
        print(f"#   worker {q} owns 198.51.100.{{{','.join(map(str, o))}}}")
    t.check(all(owned), "both workers own clients", f"{owned}")
    dp.feed(list(replies.values()), q=1, last=True)
    dp.wait_settled(extra=lambda: all(outputs(dp).get(key(f)) for f in replies.values()),
                    what="every reply forwarded")
    pw, s = dp.per_worker(), dp.stats()
    t.stopped_cleanly(dp)
    out = outputs(dp)

    # Checks, the replies.
    bad = []
    for (i, svc), f in replies.items():
        got = out.get(key(f), [])
        vip = WEB if svc == "web" else FWEB
        exp = eptest.rewritten(f, GW_MAC, src=vip, sport=443, dst=client(i), dport=40000 + i)
        if len(got) != 1 or eptest.frame_diff(got[0][1], exp):
            bad.append((i, svc, eptest.frame_diff(got[0][1], exp) if len(got) == 1 else
                        f"{len(got)} out"))
        elif got[0][0] != owner[i]:
            bad.append((i, svc, f"left on tx queue {got[0][0]}, owner {owner[i]}"))
    t.check(not bad, f"all {len(replies)} replies leave once, as VIP:443 -> client:port to the "
            "gateway, checksums valid, through the owner's tx queue", f"{bad[:4]}")
    exp_out = [2 * len(owned[1]), 2 * len(owned[0])]
    exp_in = [2 * len(owned[0]), 2 * len(owned[1])]
    t.equal(pw["handoff_out"], exp_out, "per-worker handoff_out (SYNs on queue 0 of worker "
            "1's clients, replies on queue 1 to worker 0's)")
    t.equal(pw["handoff_in"], exp_in, "per-worker handoff_in")
    t.equal(s["handoff_in"], s["handoff_out"], "handoff_in total == handoff_out total")


def run_persistence(t):
    dp = eptest.PhasedDataplane("lb_workers_pers", workers=2, queues=2, phased=(1,),
                                profile_extra=neighbors(PERS_RS) + [
        "", "[virtual_service pers]", f"listen = {PERS}:443/tcp", "scheduler = rr",
        "persistence = source_ip", "persistence_netmask = 24"] +
        [f"real_server = {a}" for a in PERS_RS])
    a = tcp(GW_MAC, "203.0.113.1", PERS, 41000, 443, "S", 7000000)
    hosts = [f"192.0.2.{150 + k}" for k in range(16)]
    arps = [Ether(dst="ff:ff:ff:ff:ff:ff", src=f"02:00:00:00:01:{k:02x}") /
            ARP(op=1, hwsrc=f"02:00:00:00:01:{k:02x}", psrc=h, pdst="192.0.2.1")
            for k, h in enumerate(hosts)]

    def probe(k):  # a client of a /24 of its own
        return tcp(GW_MAC, f"198.18.{k}.1", PERS, 42000 + k, 443, "S", 8000000 + 1000 * k)
    probes = [probe(k) for k in range(1, 9)]
    bs = [tcp(GW_MAC, f"203.0.113.{i}", PERS, 41000 + i, 443, "S", 7000000 + 1000 * i)
          for i in range(2, 34)]
    dp.feed([a] + probes + arps, q=1)

    # State: two workers; phase 2 after the barrier.
    dp.start()
    dp.wait_for(lambda: all(outputs(dp).get(key(f)) for f in [a] + probes) and
                dp.neigh()["learned"] >= len(hosts),
                "phase 1's SYNs forwarded and the 16 ARP senders learned")
    out = outputs(dp)
    qa, pa = out[key(a)][0]
    server = pa[IP].dst
    other = 1 - qa

    # So that the check can fail: the other worker's next rr pick, were
    # it to schedule A's /24 afresh, must not be A's server.  Probes
    # (new /24s, rr) show where its rr stands; more of them, one phase
    # each, until its next pick differs.
    def next_pick():
        mine = [out[key(f)][0][1][IP].dst for f in probes if out[key(f)][0][0] == other]
        return PERS_RS[(PERS_RS.index(mine[-1]) + 1) % 3] if mine else None
    k = len(probes)
    while next_pick() in (None, server):
        k += 1
        if k > 40:
            raise eptest.Failure(f"no probe moved worker {other}'s rr off {server}")
        probes.append(probe(k))
        dp.feed([probes[-1]], q=1)
        dp.wait_for(lambda: outputs(dp).get(key(probes[-1])), f"probe {k} forwarded")
        out = outputs(dp)
    fresh = next_pick()
    print(f"#   A owned by worker {qa}, went to {server}; worker {other} would pick {fresh} "
          f"for a new /24 ({len(probes)} probes)")
    dp.feed(bs, q=1, last=True)
    dp.wait_settled(extra=lambda: all(outputs(dp).get(key(f)) for f in bs),
                    what="every phase-2 SYN forwarded")
    t.stopped_cleanly(dp)
    out = outputs(dp)

    # Checks.
    t.check(server in PERS_RS, f"client A's SYN goes to a server of pers ({server}), "
            f"owned by worker {qa}")
    arp_q = [q for q in range(2) for p in dp.output(q)
             if ARP in p and p[ARP].op == 2 and p[ARP].pdst in hosts]
    t.equal(len(arp_q), len(hosts), "ARP requests answered")
    t.check(qa in arp_q, f"barrier: an ARP was answered (and its sender learned) by A's "
            f"owner, worker {qa}, after A's SYN", f"ARP replies left on tx queues {arp_q}")
    where = {f[IP].src: [(q, p[IP].dst) for q, p in out.get(key(f), [])] for f in bs}
    wrong = {c: v for c, v in where.items() if len(v) != 1 or v[0][1] != server}
    t.check(not wrong, f"all {len(bs)} later clients of 203.0.113.0/24 go to A's server "
            f"{server} (not {fresh}, worker {other}'s next rr pick)",
            f"{list(wrong.items())[:6]}")
    owners = {v[0][0] for v in where.values() if len(v) == 1}
    t.equal(sorted(owners), [0, 1], "workers owning the later clients (persistence "
            "crossed workers)")


def body(t):
    run_handoff(t)
    run_persistence(t)


if __name__ == "__main__":
    eptest.main(body)
