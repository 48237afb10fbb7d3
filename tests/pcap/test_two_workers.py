#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
pcap fixture: two workers, two queues, flow ownership and handoff.

Packets: 16 off-link sources, 198.51.100.1 to .16, each send 4 ICMP echo
requests to 192.0.2.1 into rx queue 0 (in0.pcap) and 4 into rx queue 1
(in1.pcap): 128 requests, each with a unique (source, id, seq).
State: workers = 2; the port has 2 rx and 2 tx queues; queue q is
polled by worker q and worker w transmits on tx queue w (out<w>.pcap);
the gateway 192.0.2.254 is a static neighbour, so every reply can leave
at once from the worker that builds it.
Checks: every request is answered exactly once; all replies to one
source leave through one tx file, which names the source's owner (the
test learns ownership from the output, never from the hash); both
workers own at least one source (16 sources: all on one worker has a
chance of 2^-15 with a working hash, so a failure here means the hash
does not spread clients); per worker, handoff_out equals the requests
that arrived on its queue for a source it does not own and handoff_in
the requests for its sources that arrived on the other queue; handoff
totals agree; each worker's echo_replies are 8 per source it owns.
"""
import eptest
from eptest import ADDR4, GW_MAC, PORT_MAC, ICMP, IP, Ether

N_SRC, PER_QUEUE, QUEUES = 16, 4, 2


def src_ip(i):
    return f"198.51.100.{i}"


def request(i, q, k):
    return Ether(dst=PORT_MAC, src=f"02:00:00:00:01:{i:02x}") / \
        IP(src=src_ip(i), dst=ADDR4) / ICMP(type=8, id=0x2000 + i, seq=q * 100 + k) / \
        f"src{i}-q{q}-k{k}".encode()


def body(t):
    dp = eptest.Dataplane("two_workers", workers=2, queues=QUEUES)
    # Packets: interleaved by round so both queues carry every source.
    sent = {}  # (source, id, seq) -> rx queue
    for q in range(QUEUES):
        frames = []
        for k in range(PER_QUEUE):
            for i in range(1, N_SRC + 1):
                frames.append(request(i, q, k))
                sent[(src_ip(i), 0x2000 + i, q * 100 + k)] = q
        dp.write_input(frames, q=q)
    total = len(sent)

    # State: two workers, two queues each way.
    dp.start()
    dp.wait_settled(counters={"echo_replies": total})
    s, pw = dp.stats(), dp.per_worker()
    t.stopped_cleanly(dp)

    # Checks: exactly-once answers.
    seen = {}  # key -> list of tx queues it left on
    bad_fields = []
    for q in range(QUEUES):
        for p in dp.output(q):
            if not (IP in p and ICMP in p and p[ICMP].type == 0 and p[IP].src == ADDR4):
                continue
            key = (p[IP].dst, p[ICMP].id, p[ICMP].seq)
            seen.setdefault(key, []).append(q)
            if not (eptest.mac_eq(p[Ether].dst, GW_MAC) and eptest.ipv4_csum_ok(p) and
                    eptest.l4_csum_ok(p, ICMP)):
                bad_fields.append(p.summary())
    missing = [k for k in sent if k not in seen]
    dups = {k: v for k, v in seen.items() if len(v) > 1}
    strays = [k for k in seen if k not in sent]
    t.check(not missing, f"all {total} requests answered", f"{len(missing)} missing: "
            f"{missing[:5]}")
    t.check(not dups, "no request answered twice", f"{len(dups)} duplicated: "
            f"{list(dups.items())[:5]}")
    t.check(not strays, "no reply to something never sent", f"{strays[:5]}")
    t.check(not bad_fields, "replies go to the gateway MAC with valid checksums",
            "; ".join(bad_fields[:5]))

    # One tx queue per source: its owner.
    owner, split = {}, []
    for i in range(1, N_SRC + 1):
        qs = {q for (src, _, _), v in seen.items() if src == src_ip(i) for q in v}
        if len(qs) == 1:
            owner[src_ip(i)] = qs.pop()
        else:
            split.append((src_ip(i), sorted(qs)))
    t.check(not split, "all replies to one source leave through one tx queue",
            f"split or unanswered: {split}")
    owned = [sorted(int(a.split(".")[3]) for a, w in owner.items() if w == wid)
             for wid in range(QUEUES)]
    for wid, o in enumerate(owned):
        print(f"#   worker {wid} owns 198.51.100.{{{','.join(map(str, o))}}}")
    t.check(all(owned), "both workers own at least one source", f"{owned}")
    if split:
        return

    # Handoffs: derived from where each request arrived and its owner.
    exp_out = [sum(1 for (src, _, _), q in sent.items() if q == w and owner[src] != w)
               for w in range(QUEUES)]
    exp_in = [sum(1 for (src, _, _), q in sent.items() if q != w and owner[src] == w)
              for w in range(QUEUES)]
    t.equal(pw["handoff_out"], exp_out, "per-worker handoff_out")
    t.equal(pw["handoff_in"], exp_in, "per-worker handoff_in")
    t.equal(s["handoff_out"], sum(exp_out), "handoff_out total")
    t.equal(s["handoff_in"], s["handoff_out"], "handoff_in total == handoff_out total")
    t.equal(pw["echo_replies"], [2 * PER_QUEUE * len(o) for o in owned],
            "per-worker echo_replies (8 per owned source)")
    t.equal(pw["rx"], [N_SRC * PER_QUEUE] * QUEUES, "per-worker rx (one queue each)")


if __name__ == "__main__":
    eptest.main(body)
