/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker poll loop: rx_burst -> parse -> classify -> act -> tx_burst,
 * run to completion.  No locks, no allocation, no syscalls on the packet
 * path; the only syscall a worker makes is the pause it takes when it has
 * been idle for a while (idle = backoff) and the exception path's tap
 * write, which carries control-plane traffic only.
 *
 * Flow ownership: a packet belongs to the worker that dp->reta names for
 * a hash of its client address.  A packet that arrives elsewhere is handed
 * to its owner over a single-producer single-consumer ring and counted.
 */
#include <errno.h>
#include <time.h>
#include <unistd.h>

#include <rte_branch_prediction.h>
#include <rte_ethdev.h>
#include <rte_hash_crc.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>

#include "dp.h"
#include "dp_lb.h"
#include "dp_verdict.h"
#include "pkt.h"

RTE_LOG_REGISTER(dp_logtype, edgeplane.dataplane, INFO);

#define DP_IDLE_SPIN 256u /* empty passes before the first pause */
#define DP_IDLE_MAX_SLEEP_US 1000u

static inline void
drop(struct dp_worker *w, struct rte_mbuf *m, unsigned int reason)
{
	w->st.drops[reason]++;
	rte_pktmbuf_free(m);
}

/* The worker owning everything of client address a. */
static inline unsigned int
owner_by_addr(const struct dp *dp, const struct pkt_addr *a)
{
	uint32_t h;

	if (a->family == AF_INET)
		h = rte_hash_crc_4byte(a->v4, 0);
	else
		h = rte_hash_crc(a->v6, 16, 0);
	return dp->reta[h & (DP_RETA_SIZE - 1)];
}

/* The owner of a packet whose source is the client. */
static inline unsigned int
owner_of(const struct dp *dp, const struct dp_port *p, const struct rte_mbuf *m,
	const struct pkt_info *pi)
{
	/* Where the NIC hashed the client address itself (RSS on the
	 * source address, our RETA), its hash picks the same worker as the
	 * queue it delivered to, so nothing is handed off. */
	if (p->hw_rss && (m->ol_flags & RTE_MBUF_F_RX_RSS_HASH))
		return dp->reta[m->hash.rss & (DP_RETA_SIZE - 1)];
	return owner_by_addr(dp, &pi->src);
}

/*
 * An ICMP error that may be about a load-balanced connection: from the
 * server's side it is addressed to the client (nat) or an SNAT address
 * (fullnat), from the client's side to the VIP.  Its owner is the quoted
 * connection's.  Errors for the port's own addresses go the local way.
 */
static uint32_t
classify_lb_icmp(const struct dp *dp, const struct dp_lb_table *t, unsigned int wid,
	unsigned int pidx, const struct rte_mbuf *m, const struct pkt_info *pi, bool handed)
{
	struct pkt_quoted in;
	unsigned int owner;
	uint8_t kind;

	if (!pkt_icmp_is_error(pi))
		return DP_VERDICT(DP_V_LOCAL, 0);
	kind = dp_local_kind(dp, pidx, &pi->dst);
	if (kind == DP_ADDR_PORT || (kind == DP_ADDR_NONE && !t->any_nat))
		return DP_VERDICT(DP_V_LOCAL, 0);
	if (pkt_icmp_quoted(rte_pktmbuf_mtod(m, const uint8_t *), pi, &in) != 0)
		return kind == DP_ADDR_NONE ? DP_DROP_V(DP_DROP_NOT_LOCAL)
					    : DP_DROP_V(DP_DROP_LB_ICMP_UNMATCHED);
	if (kind == DP_ADDR_VIP)
		owner = owner_by_addr(dp, &in.dst); /* quotes VIP -> client */
	else if (kind == DP_ADDR_SNAT)
		owner = dp_lb_snat_owner(dp, in.sport); /* quotes SNAT:port -> server */
	else
		owner = owner_by_addr(dp, &in.src); /* quotes client -> server */
	if (!handed && dp->n_workers > 1 && owner != wid)
		return DP_VERDICT(DP_V_HANDOFF, owner);
	return DP_VERDICT(DP_V_LB, DP_V_LB_ICMP);
}

/*
 * Load-balancer traffic: a packet to a virtual service (the client is its
 * source), or one that may be a real server's reply (to the client in
 * nat and dsr, to an SNAT address in fullnat, where the port names the
 * owner).  Anything else: DP_V_LOCAL, decided by ownership as before.
 */
static inline uint32_t
classify_lb(const struct dp *dp, unsigned int wid, unsigned int pidx, const struct rte_mbuf *m,
	const struct pkt_info *pi, bool handed)
{
	const struct dp_lb_table *t = __atomic_load_n(&dp->lb->table, __ATOMIC_ACQUIRE);
	const struct dp_lb_service *s;
	unsigned int owner;
	uint8_t kind;

	if (t->n_listeners == 0 || (pi->flags & (PKT_F_L4 | PKT_F_FRAG)) != PKT_F_L4)
		return DP_VERDICT(DP_V_LOCAL, 0);
	if (pi->l4_proto != IPPROTO_TCP && pi->l4_proto != IPPROTO_UDP)
		return classify_lb_icmp(dp, t, wid, pidx, m, pi, handed);
	s = dp_lb_lookup_vip(t, pi->dst.family, pi->l4_proto, &pi->dst, pi->dport);
	if (s != NULL) {
		/* By the client address in software, never the NIC's hash:
		 * replies and ICMP errors are owned through owner_by_addr()
		 * too, and both ends of a connection must meet. */
		owner = dp->n_workers > 1 ? owner_by_addr(dp, &pi->src) : wid;
		if (!handed && owner != wid)
			return DP_VERDICT(DP_V_HANDOFF, owner);
		return DP_VERDICT(DP_V_LB, s->id);
	}
	kind = dp_local_kind(dp, pidx, &pi->dst);
	if (kind == DP_ADDR_SNAT)
		owner = dp_lb_snat_owner(dp, pi->dport);
	else if (kind == DP_ADDR_NONE && t->any_nat)
		owner = owner_by_addr(dp, &pi->dst);
	else
		return DP_VERDICT(DP_V_LOCAL, 0); /* transit without nat: never handed around */
	if (!handed && dp->n_workers > 1 && owner != wid)
		return DP_VERDICT(DP_V_HANDOFF, owner);
	return DP_VERDICT(DP_V_LB, DP_V_LB_REPLY);
}

static void
tx_flush(struct dp *dp, struct dp_worker *w, unsigned int pidx)
{
	struct dp_txbuf *b = &w->txb[pidx];
	uint16_t sent;

	if (b->n == 0)
		return;
	sent = rte_eth_tx_burst(dp->ports[pidx].port_id, w->txq[pidx], b->pkts, b->n);
	w->st.tx += sent;
	w->st.port_tx[pidx] += sent;
	if (unlikely(sent < b->n)) {
		uint16_t i;

		for (i = sent; i < b->n; i++)
			drop(w, b->pkts[i], DP_DROP_TX_FULL);
	}
	b->n = 0;
}

/* Stage m for transmission on ports[pidx], through the port's TX worker
 * when this worker has no queue there. */
static inline void
tx_stage(struct dp *dp, struct dp_worker *w, unsigned int pidx, struct rte_mbuf *m)
{
	struct dp_txbuf *b;

	if (unlikely(w->txq[pidx] == DP_NO_QUEUE)) {
		struct dp_worker *tw = dp->workers[dp->ports[pidx].tx_worker];

		m->port = dp->ports[pidx].port_id;
		*dp_meta(dp, m) = DP_META_TX;
		if (tw == w)
			drop(w, m, DP_DROP_NO_TX_QUEUE);
		else if (rte_ring_sp_enqueue(tw->in[w->id], m) != 0)
			drop(w, m, DP_DROP_TX_RING_FULL);
		return;
	}
	b = &w->txb[pidx];
	b->pkts[b->n++] = m;
	if (b->n == DP_BURST)
		tx_flush(dp, w, pidx);
}

static inline void
punt(struct dp *dp, struct dp_worker *w, unsigned int pidx, struct rte_mbuf *m)
{
	const struct dp_port *p = &dp->ports[pidx];

	/* Exception path: the tap has one queue per worker, so each worker
	 * writes its own.  Control-plane traffic only. */
	if (rte_eth_tx_burst(p->tap_port_id, (uint16_t)(w->id % p->n_tapq), &m, 1) == 1)
		w->st.punted++;
	else
		drop(w, m, DP_DROP_EXCEPTION_TX);
}

static inline void
to_main(struct dp *dp, struct dp_worker *w, struct rte_mbuf *m)
{
	if (rte_ring_sp_enqueue(w->to_main, m) != 0) {
		drop(w, m, DP_DROP_SLOWPATH_FULL);
		return;
	}
	w->st.slowpath++;
	dp_wake_main(dp, w->to_main);
}

/* Is this frame for us at layer 2?  Unicast to the port's MAC, or any
 * broadcast/multicast (ARP requests, ND solicitations). */
static inline bool
l2_ours(const struct dp_port *p, const struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);

	return rte_is_multicast_ether_addr(&eh->dst_addr) ||
		rte_is_same_ether_addr(&eh->dst_addr, &p->mac);
}

/*
 * Classify: everything decided before a packet is touched.  Pure (no
 * side effects), so the benchmark measures it on a fixed burst.  Returns
 * DP_V_DROP(reason), DP_V_HANDOFF(owner) or DP_V_LOCAL.
 */
uint32_t
dp_classify(const struct dp *dp, unsigned int wid, unsigned int pidx, const struct rte_mbuf *m,
	struct pkt_info *pi, bool handed)
{
	int err;

	err = pkt_parse(rte_pktmbuf_mtod(m, const uint8_t *), rte_pktmbuf_data_len(m), pi);
	if (unlikely(err != PKT_OK))
		return DP_DROP_V(dp_drop_parse(err));
	if (unlikely(!l2_ours(&dp->ports[pidx], m)))
		return DP_DROP_V(DP_DROP_L2_NOT_OURS);
	if (unlikely(pi->l3 == PKT_L3_NONE))
		return DP_DROP_V(DP_DROP_UNKNOWN_ETHERTYPE);
	if (unlikely(pi->n_vlans != 0))
		return DP_DROP_V(DP_DROP_VLAN);
	if (pi->l3 != PKT_L3_ARP) {
		uint32_t v = classify_lb(dp, wid, pidx, m, pi, handed);

		if (DP_VERDICT_KIND(v) != DP_V_LOCAL)
			return v;
	}
	/* Cheap rejects before ownership, so a flood of foreign traffic
	 * is not bounced between cores. */
	if (!dp_local_for_us(dp, pidx, pi))
		return DP_DROP_V(pi->l3 == PKT_L3_ARP ? DP_DROP_ARP_NOT_OURS : DP_DROP_NOT_LOCAL);
	if (!handed && dp->n_workers > 1) {
		unsigned int owner = owner_of(dp, &dp->ports[pidx], m, pi);

		if (owner != wid)
			return DP_VERDICT(DP_V_HANDOFF, owner);
	}
	return DP_VERDICT(DP_V_LOCAL, 0);
}

/*
 * Act on one classified packet.  k/h: the connection key and its hash
 * when the burst stage computed them (load-balancer packets), else NULL.
 */
static inline void
act(struct dp *dp, struct dp_worker *w, unsigned int pidx, struct rte_mbuf *m,
	const struct pkt_info *pi, uint32_t v, const struct lb_conn_key *k, uint32_t h)
{
	if (DP_VERDICT_KIND(v) == DP_V_HANDOFF) {
		m->port = dp->ports[pidx].port_id;
		*dp_meta(dp, m) = 0;
		if (rte_ring_sp_enqueue(dp->workers[DP_VERDICT_ARG(v)]->in[w->id], m) != 0)
			drop(w, m, DP_DROP_HANDOFF_FULL);
		else
			w->st.handoff_out++;
		return;
	}
	if (DP_VERDICT_KIND(v) == DP_V_LB) {
		const struct dp_lb_table *t = __atomic_load_n(&dp->lb->table, __ATOMIC_ACQUIRE);
		uint32_t id = DP_VERDICT_ARG(v);
		struct dp_lb_service *svc = id >= DP_V_LB_ICMP ? NULL : t->svc[id];

		if (id == DP_V_LB_ICMP)
			v = dp_lb_icmp_input(dp, w, m, pi);
		else if (k != NULL)
			v = dp_lb_input_keyed(dp, w, m, pi, svc, k, h);
		else
			v = dp_lb_input(dp, w, pidx, m, pi, svc);
	} else if (DP_VERDICT_KIND(v) == DP_V_LOCAL) {
		v = dp_local_input(dp, w, pidx, m, pi);
	}

	switch (DP_VERDICT_KIND(v)) {
	case DP_V_TX:
		tx_stage(dp, w, DP_VERDICT_ARG(v), m);
		break;
	case DP_V_PUNT:
		punt(dp, w, DP_VERDICT_ARG(v), m);
		break;
	case DP_V_MAIN:
		to_main(dp, w, m);
		break;
	case DP_V_DONE:
		rte_pktmbuf_free(m);
		break;
	default:
		drop(w, m, DP_VERDICT_ARG(v));
		break;
	}
}

/* One packet on its own (from another worker's ring). */
static void
process_one(struct dp *dp, struct dp_worker *w, unsigned int pidx, struct rte_mbuf *m, bool handed)
{
	struct pkt_info pi;

	act(dp, w, pidx, m, &pi, dp_classify(dp, w->id, pidx, m, &pi, handed), NULL, 0);
}

static inline bool
is_lb_conn_packet(uint32_t v)
{
	return DP_VERDICT_KIND(v) == DP_V_LB && DP_VERDICT_ARG(v) != DP_V_LB_ICMP;
}

/*
 * A burst from a NIC queue in three passes, so the connection table's
 * cache misses overlap instead of queueing one behind the other (with a
 * million live connections nearly every lookup misses twice: the bucket,
 * then the entry): classify everything and prefetch each load-balanced
 * packet's bucket; then, the buckets having arrived, prefetch each
 * candidate entry; then act.
 */
static void
process_burst(
	struct dp *dp, struct dp_worker *w, unsigned int pidx, struct rte_mbuf **pkts, uint16_t n)
{
	struct pkt_info pi[DP_BURST];
	struct lb_conn_key keys[DP_BURST];
	uint32_t v[DP_BURST], hashes[DP_BURST];
	unsigned int n_lb = 0;
	uint16_t i;

	/* The connection clock as of this burst (rx may have waited). */
	dp->lb->w[w->id]->now = dp_lb_clock(dp->lb, rte_rdtsc());
	for (i = 0; i < n && i < 4; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	for (i = 0; i < n; i++) {
		if (i + 4 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 4], void *));
		v[i] = dp_classify(dp, w->id, pidx, pkts[i], &pi[i], false);
		if (is_lb_conn_packet(v[i])) {
			dp_lb_key(dp, w, &pi[i], &keys[i], &hashes[i]);
			dp_lb_prefetch(dp, w, hashes[i], false);
			n_lb++;
		}
	}
	if (n_lb > 1)
		for (i = 0; i < n; i++)
			if (is_lb_conn_packet(v[i]))
				dp_lb_prefetch(dp, w, hashes[i], true);
	for (i = 0; i < n; i++)
		act(dp, w, pidx, pkts[i], &pi[i], v[i], is_lb_conn_packet(v[i]) ? &keys[i] : NULL,
			hashes[i]);
}

/* Packets from other workers (handoffs, or frames to transmit for them)
 * and from the main lcore (frames to transmit). */
static unsigned int
drain_inbound(struct dp *dp, struct dp_worker *w)
{
	struct rte_mbuf *pkts[DP_BURST];
	unsigned int r, total = 0;

	for (r = 0; r <= dp->n_workers; r++) {
		struct rte_ring *ring = w->in[r];
		unsigned int n, i;

		if (ring == NULL)
			continue;
		n = rte_ring_sc_dequeue_burst(ring, (void **)pkts, DP_BURST, NULL);
		for (i = 0; i < n; i++) {
			struct rte_mbuf *m = pkts[i];
			unsigned int pidx = dp->port_index[m->port];

			if (*dp_meta(dp, m) & DP_META_TX) {
				tx_stage(dp, w, pidx, m);
			} else {
				w->st.handoff_in++;
				process_one(dp, w, pidx, m, true);
			}
		}
		total += n;
	}
	return total;
}

static void
idle_backoff(struct dp *dp, struct dp_worker *w)
{
	struct timespec ts;

	if (++w->idle_streak < DP_IDLE_SPIN) {
		rte_pause();
		return;
	}
	/* Growing pauses, offline for RCU so the main lcore never waits
	 * for a sleeping worker. */
	w->sleep_us = w->sleep_us == 0 ? 1 : RTE_MIN(w->sleep_us * 2, DP_IDLE_MAX_SLEEP_US);
	ts.tv_sec = 0;
	ts.tv_nsec = (long)w->sleep_us * 1000;
	rte_rcu_qsbr_thread_offline(dp->qsbr, w->id);
	nanosleep(&ts, NULL);
	rte_rcu_qsbr_thread_online(dp->qsbr, w->id);
	w->st.idle_sleeps++;
}

int
dp_worker_main(void *arg)
{
	struct dp_worker_arg *a = arg;
	struct dp *dp = a->dp;
	struct dp_worker *w = a->w;
	bool backoff = dp->prof->dataplane.idle == PROF_IDLE_BACKOFF;
	struct rte_mbuf *pkts[DP_BURST];
	unsigned int i;

	rte_rcu_qsbr_thread_register(dp->qsbr, w->id);
	rte_rcu_qsbr_thread_online(dp->qsbr, w->id);
	dp_lb_worker_tick(dp, w);
	DP_LOG(INFO, "worker %u on lcore %u polls %u queue(s)", w->id, w->lcore, w->n_rxq);

	while (!__atomic_load_n(&dp->stop, __ATOMIC_RELAXED)) {
		unsigned int work = 0;

		for (i = 0; i < w->n_rxq; i++) {
			const struct dp_rxq *q = &w->rxq[i];
			uint16_t n = rte_eth_rx_burst(
				dp->ports[q->port].port_id, q->queue, pkts, DP_BURST);

			if (n == 0)
				continue;
			w->st.rx += n;
			w->st.port_rx[q->port] += n;
			process_burst(dp, w, q->port, pkts, n);
			work += n;
		}
		work += drain_inbound(dp, w);
		for (i = 0; i < dp->n_ports; i++)
			tx_flush(dp, w, i);
		dp_lb_worker_tick(dp, w);

		rte_rcu_qsbr_quiescent(dp->qsbr, w->id);
		w->st.polls++;
		if (work != 0) {
			w->st.busy_polls++;
			w->idle_streak = 0;
			w->sleep_us = 0;
		} else if (backoff) {
			idle_backoff(dp, w);
		}
	}
	for (i = 0; i < dp->n_ports; i++)
		tx_flush(dp, w, i);
	rte_rcu_qsbr_thread_offline(dp->qsbr, w->id);
	rte_rcu_qsbr_thread_unregister(dp->qsbr, w->id);
	return 0;
}

void
dp_wake_main(struct dp *dp, struct rte_ring *r)
{
	uint64_t one = 1;

	/* Only the enqueue that made the ring non-empty wakes the main
	 * lcore; it drains until a whole pass finds nothing, so later ones
	 * need no syscall.  The fence pairs with the main lcore's between
	 * passes: our enqueue is visible before we read its consumer index,
	 * so one of the two sides always sees the other (slow path only). */
	rte_atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (rte_ring_count(r) == 1 && write(dp->wake_fd, &one, sizeof(one)) < 0)
		return;
}

int
dp_main_tx(struct dp *dp, unsigned int pidx, struct rte_mbuf *m)
{
	struct dp_worker *tw = dp->workers[dp->ports[pidx].tx_worker];

	m->port = dp->ports[pidx].port_id;
	*dp_meta(dp, m) = DP_META_TX;
	if (rte_ring_sp_enqueue(tw->in[dp->n_workers], m) != 0) {
		dp->main.drops[DP_DROP_TX_RING_FULL]++;
		rte_pktmbuf_free(m);
		return -ENOBUFS;
	}
	dp->main.tx++;
	return 0;
}

static struct rte_ring *
ring_new(const char *kind, unsigned int a, unsigned int b, unsigned int esize)
{
	char name[RTE_RING_NAMESIZE];

	snprintf(name, sizeof(name), "ep_%s_%u_%u", kind, a, b);
	if (esize == 0)
		return rte_ring_create(
			name, DP_RING_SIZE, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	return rte_ring_create_elem(
		name, esize, DP_RING_SIZE, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
}

/*
 * Allocate workers, give each its receive queues and transmit queues, and
 * build the rings between every pair.  Queue q of a port is polled by
 * worker q % n_workers; TX queue w belongs to worker w where it exists.
 */
int
dp_workers_init(struct dp *dp)
{
	unsigned int lcore = rte_get_next_lcore(-1, 1, 0);
	unsigned int i, j, p;

	if (rte_lcore_count() < dp->n_workers + 1) {
		DP_LOG(ERR,
			"workers = %u needs %u lcores (main + workers); EAL has %u (give e.g. -l "
			"0-%u)",
			dp->n_workers, dp->n_workers + 1, rte_lcore_count(), dp->n_workers);
		return -EINVAL;
	}
	for (i = 0; i < DP_RETA_SIZE; i++)
		dp->reta[i] = (uint8_t)(i % dp->n_workers);

	for (i = 0; i < dp->n_workers; i++) {
		struct dp_worker *w = rte_zmalloc("ep_worker", sizeof(*w), RTE_CACHE_LINE_SIZE);

		if (w == NULL)
			return -ENOMEM;
		dp->workers[i] = w;
		w->id = i;
		w->lcore = lcore;
		lcore = rte_get_next_lcore(lcore, 1, 0);
		for (p = 0; p < dp->n_ports; p++)
			w->txq[p] = i < dp->ports[p].n_txq ? (uint16_t)i : DP_NO_QUEUE;
		w->to_main = ring_new("main", i, 0, 0);
		w->events = ring_new("ev", i, 0, sizeof(struct dp_event));
		w->in[dp->n_workers] = ring_new("tx", i, 0, 0);
		if (w->to_main == NULL || w->events == NULL || w->in[dp->n_workers] == NULL)
			return -ENOMEM;
	}
	for (i = 0; i < dp->n_workers; i++) {
		for (j = 0; j < dp->n_workers; j++) {
			if (i == j)
				continue;
			/* workers[j]->in[i]: i produces, j consumes. */
			dp->workers[j]->in[i] = ring_new("ho", i, j, 0);
			if (dp->workers[j]->in[i] == NULL)
				return -ENOMEM;
		}
	}
	for (p = 0; p < dp->n_ports; p++) {
		struct dp_port *port = &dp->ports[p];
		uint16_t q;

		for (q = 0; q < port->n_rxq; q++) {
			struct dp_worker *w = dp->workers[q % dp->n_workers];

			w->rxq[w->n_rxq].port = (uint16_t)p;
			w->rxq[w->n_rxq].queue = q;
			w->n_rxq++;
		}
		port->tx_worker = 0;
	}
	return 0;
}

void
dp_workers_free(struct dp *dp)
{
	unsigned int i, r;

	for (i = 0; i < dp->n_workers; i++) {
		struct dp_worker *w = dp->workers[i];

		if (w == NULL)
			continue;
		for (r = 0; r <= dp->n_workers; r++) {
			struct rte_mbuf *m;

			if (w->in[r] == NULL)
				continue;
			while (rte_ring_dequeue(w->in[r], (void **)&m) == 0)
				rte_pktmbuf_free(m);
			rte_ring_free(w->in[r]);
		}
		rte_ring_free(w->to_main);
		rte_ring_free(w->events);
		rte_free(w);
		dp->workers[i] = NULL;
	}
}
