/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The load balancer's fast path: where a SYN to a VIP goes.
 *
 * A packet to a VIP:port that is a virtual service, and a packet that
 * may be a real server's reply, reach dp_lb_input() on the worker that
 * owns the client (dp_classify hands them over).  The packet's own 5-tuple
 * is looked up in the worker's connection table: a hit in the forward
 * direction is a client's packet, in the reverse direction a server's.
 * A miss on a VIP with a TCP SYN (or any UDP datagram) is a new
 * connection: persistence, then the scheduler, then the reverse tuple
 * (what the server's replies will look like), then one insert that
 * indexes both.
 *
 * Rewrites need no knowledge of the forwarding mode: a forward packet
 * leaves with the reverse tuple swapped end for end (client or SNAT
 * address -> real server), a reply with the forward tuple swapped
 * (VIP -> client).  dsr leaves the IP packet alone and changes the MAC
 * addresses only.  Checksums are updated incrementally (RFC 1624).
 */
#include <netinet/in.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_hash_crc.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "dp.h"
#include "dp_lb.h"
#include "dp_neigh.h"
#include "dp_verdict.h"
#include "pkt.h"

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10

struct dp_lb_service *
dp_lb_lookup_vip(const struct dp_lb_table *t, uint8_t family, uint8_t proto,
	const struct pkt_addr *dst, uint16_t dport_be)
{
	uint16_t port = rte_be_to_cpu_16(dport_be);
	uint32_t h, k;

	h = family == AF_INET ? rte_hash_crc_4byte(dst->v4, proto)
			      : rte_hash_crc(dst->v6, 16, proto);
	for (k = 0; k < DP_LB_VIP_BUCKETS; k++) {
		const struct dp_lb_vip *v = &t->vips[(h + k) & (DP_LB_VIP_BUCKETS - 1)];
		unsigned int i;

		if (v->addr.family == 0)
			return NULL;
		if (v->proto != proto || v->addr.family != family ||
			(family == AF_INET ? v->addr.v4 != dst->v4
					   : memcmp(v->addr.v6, dst->v6, 16) != 0))
			continue;
		for (i = 0; i < v->n; i++) {
			const struct dp_lb_listener *l = &t->listeners[v->first + i];

			if (port >= l->lo && port <= l->hi)
				return t->svc[l->svc];
		}
		return NULL;
	}
	return NULL;
}

unsigned int
dp_lb_snat_owner(const struct dp *dp, uint16_t dport_be)
{
	uint16_t p = rte_be_to_cpu_16(dport_be);
	unsigned int o;

	if (p < DP_LB_SNAT_PORT_LO)
		return 0;
	o = (p - DP_LB_SNAT_PORT_LO) / dp->lb->snat_slice;
	return o < dp->n_workers ? o : dp->n_workers - 1;
}

static inline const struct dp_lb_table *
table(const struct dp *dp)
{
	return __atomic_load_n(&dp->lb->table, __ATOMIC_ACQUIRE);
}

/* The service of a connection, or NULL when it was removed since. */
static inline const struct dp_lb_service *
conn_service(const struct dp_lb_table *t, const struct lb_conn *c)
{
	const struct dp_lb_service *s;

	if (c->service >= t->n_services)
		return NULL;
	s = t->svc[c->service];
	if (s == NULL || s->incarnation != c->aux)
		return NULL;
	return s;
}

/* May a persistent client still go to backend b? */
static inline bool
persist_ok(const struct dp_lb_service *s, int b)
{
	const struct dp_lb_server *sv;

	if (b < 0 || b >= s->n_servers)
		return false;
	sv = &s->servers[b];
	/* Draining: no new clients, but its clients keep coming (that is
	 * what draining a persistent service means). */
	return !sv->removed && (sv->state == LB_BACKEND_UP || sv->state == LB_BACKEND_DRAINING);
}

/* A connection ends: close its books (the table frees the entry). */
static void
conn_end(struct dp_lb_worker *wl, const struct dp_lb_service *s, const struct lb_conn *c)
{
	if (s == NULL || c->backend >= s->n_servers)
		return;
	wl->ctr[s->servers[c->backend].slot].closed++;
	/* Only what was counted is uncounted: the service may have turned
	 * least_conn since this connection was made. */
	if ((c->flags & DP_LB_F_COUNTED) && wl->conns[s->id] != NULL)
		lb_conns_close(wl->conns[s->id], c->backend);
	/* The binding lasts persistence_timeout after the client's last
	 * connection ends, not after it began: a long connection must not
	 * outlive its client's binding. */
	if (s->persist == PROF_PERSIST_SOURCE_IP && persist_ok(s, (int)c->backend)) {
		struct pkt_addr cl = {.family = c->family};

		if (c->family == AF_INET)
			memcpy(&cl.v4, c->t[LB_CONN_DIR_FWD].src, 4);
		else
			memcpy(cl.v6, c->t[LB_CONN_DIR_FWD].src, 16);
		dp_lb_persist_put(
			wl->dp, wl->dp->workers[wl->id], s, &cl, (uint16_t)c->backend, true);
	}
}

/* lb_conn's release callback: an expired connection is being reclaimed. */
void
dp_lb_conn_release(void *arg, struct lb_conn *c)
{
	struct dp_lb_worker *wl = arg;

	conn_end(wl, conn_service(table(wl->dp), c), c);
}

static inline uint32_t
state_timeout(const struct dp_lb_service *s, uint8_t state)
{
	switch (state) {
	case DP_LB_UDP:
		return s->t_udp;
	case DP_LB_SYN_SENT:
	case DP_LB_SYN_RECV:
		return s->t_syn;
	case DP_LB_ESTABLISHED:
		return s->t_est;
	case DP_LB_CLOSE:
		return s->t_close;
	default:
		return s->t_fin;
	}
}

/*
 * TCP state tracking, as a middlebox sees it: enough to give each phase
 * its timeout (a half-open connection must not hold an entry for the
 * 30-minute idle timeout), not a full window-checking state machine.
 */
static inline void
tcp_track(struct lb_conn *c, uint8_t dir, uint8_t flags, bool dsr)
{
	if (flags & TCP_RST) {
		c->state = DP_LB_CLOSE;
		return;
	}
	switch (c->state) {
	case DP_LB_SYN_SENT:
		/* dsr: the server's SYN-ACK never passes here; the client's
		 * ACK of it is all there is to see. */
		if (dsr && dir == LB_CONN_DIR_FWD && (flags & (TCP_SYN | TCP_ACK)) == TCP_ACK)
			c->state = DP_LB_ESTABLISHED;
		else if (dir == LB_CONN_DIR_REV &&
			(flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK))
			c->state = DP_LB_SYN_RECV;
		break;
	case DP_LB_SYN_RECV:
		if (dir == LB_CONN_DIR_FWD && (flags & (TCP_SYN | TCP_ACK)) == TCP_ACK)
			c->state = DP_LB_ESTABLISHED;
		break;
	default:
		break;
	}
	if ((flags & TCP_FIN) && c->state != DP_LB_CLOSE) {
		c->flags |= dir == LB_CONN_DIR_FWD ? DP_LB_F_FIN_FWD : DP_LB_F_FIN_REV;
		c->state = (c->flags & (DP_LB_F_FIN_FWD | DP_LB_F_FIN_REV)) ==
				(DP_LB_F_FIN_FWD | DP_LB_F_FIN_REV)
			? DP_LB_TIME_WAIT
			: DP_LB_FIN_WAIT;
	}
}

/*
 * Give the packet the addresses and ports of `to` reversed (its dst as
 * source, its src as destination), decrement the TTL, and fix the IP and
 * L4 checksums incrementally.  Fields that do not change cost nothing
 * but the arithmetic.
 */
/* RFC 1624 terms of one replaced 16- or 32-bit field: ~m + m'. */
static inline uint64_t
d16(uint16_t o, uint16_t n)
{
	return (uint16_t)~o + (uint64_t)n;
}

static inline uint64_t
d32(uint32_t o, uint32_t n)
{
	o = ~o;
	return (uint64_t)(o & 0xffff) + (o >> 16) + (n & 0xffff) + (n >> 16);
}

static inline uint64_t
d128(const uint8_t *o, const uint8_t *n)
{
	uint64_t s = 0;
	uint32_t a, b;
	unsigned int i;

	for (i = 0; i < 16; i += 4) {
		memcpy(&a, o + i, 4);
		memcpy(&b, n + i, 4);
		s += d32(a, b);
	}
	return s;
}

/* HC' = ~(~HC + sum of the terms), folded once. */
static inline uint16_t
csum_adjust(uint16_t ck, uint64_t delta)
{
	uint64_t s = (uint16_t)~ck + delta;

	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t) ~(uint16_t)((s & 0xffff) + (s >> 16));
}

/*
 * Give the packet the addresses and ports of `to` reversed (its dst as
 * source, its src as destination), decrement the TTL, and fix the IP and
 * L4 checksums incrementally (RFC 1624): the terms of every replaced
 * field go into one accumulator, folded once per checksum, and the
 * address terms are shared by the IPv4 header and the pseudo-header.
 */
static inline void
rewrite(struct rte_mbuf *m, const struct pkt_info *pi, const struct lb_conn_tuple *to)
{
	uint8_t *l4 = rte_pktmbuf_mtod_offset(m, uint8_t *, pi->l4_off);
	uint16_t *l4csum = (uint16_t *)(l4 + (pi->l4_proto == IPPROTO_TCP ? 16 : 6));
	uint16_t *ports = (uint16_t *)l4;
	uint16_t ck = *l4csum;
	bool skip = pi->l4_proto == IPPROTO_UDP && ck == 0 && pi->src.family == AF_INET;
	uint64_t addr;

	if (pi->src.family == AF_INET) {
		struct rte_ipv4_hdr *ip =
			rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, pi->l3_off);
		uint32_t ns, nd;
		uint16_t old_tp, new_tp;

		memcpy(&ns, to->dst, 4);
		memcpy(&nd, to->src, 4);
		addr = d32(ip->src_addr, ns) + d32(ip->dst_addr, nd);
		uint8_t tp[2];

		/* The TTL/protocol word before and after, built in registers:
		 * reading it back after the one-byte TTL store would stall on
		 * store forwarding. */
		memcpy(&old_tp, &ip->time_to_live, 2);
		memcpy(tp, &old_tp, 2);
		tp[0]--;
		memcpy(&new_tp, tp, 2);
		ip->time_to_live = tp[0];
		ip->hdr_checksum = csum_adjust(ip->hdr_checksum, addr + d16(old_tp, new_tp));
		ip->src_addr = ns;
		ip->dst_addr = nd;
	} else {
		struct rte_ipv6_hdr *ip6 =
			rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, pi->l3_off);

		ip6->hop_limits--;
		addr = d128(ip6->src_addr, to->dst) + d128(ip6->dst_addr, to->src);
		memcpy(ip6->src_addr, to->dst, 16);
		memcpy(ip6->dst_addr, to->src, 16);
	}
	if (!skip) {
		ck = csum_adjust(ck, addr + d16(ports[0], to->dport) + d16(ports[1], to->sport));
		/* UDP: 0 means "no checksum"; a computed 0 is sent as all ones. */
		if (pi->l4_proto == IPPROTO_UDP && ck == 0)
			ck = 0xffff;
		*l4csum = ck;
	}
	ports[0] = to->dport;
	ports[1] = to->sport;
}

/* Set the Ethernet header for ports[out] towards next hop nh. */
uint32_t
dp_lb_l2_out(struct dp *dp, struct dp_lb_worker *wl, struct rte_mbuf *m, unsigned int out,
	const struct pkt_addr *nh)
{
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ether_addr mac;

	rte_ether_addr_copy(&dp->ports[out].mac, &eh->src_addr);
	if (unlikely(dp_neigh_lookup_cached(dp->neigh, &wl->ncache, out, nh, &mac) != 0)) {
		/* The main lcore resolves it and sends the packet on. */
		m->port = dp->ports[out].port_id;
		return DP_VERDICT(DP_V_MAIN, 0);
	}
	rte_ether_addr_copy(&mac, &eh->dst_addr);
	return DP_VERDICT(DP_V_TX, out);
}

static uint32_t
forward(struct dp *dp, struct dp_lb_worker *wl, const struct dp_lb_service *s, struct lb_conn *c,
	uint8_t dir, struct rte_mbuf *m, const struct pkt_info *pi)
{
	const struct dp_lb_server *sv = &s->servers[c->backend];
	uint32_t len = rte_pktmbuf_pkt_len(m);
	struct dp_lb_ctr *ctr = &wl->ctr[sv->slot];

	if (c->proto == IPPROTO_TCP)
		tcp_track(c, dir, pi->tcp_flags, s->fwd == PROF_FWD_DSR);
	lb_conn_set_expire(wl->ct, c, wl->now + state_timeout(s, c->state));

	/* Every rewrite decrements the TTL; dsr's forward direction has none. */
	if ((s->fwd != PROF_FWD_DSR || dir == LB_CONN_DIR_REV) && unlikely(pi->ttl <= 1))
		return DP_DROP_V(DP_DROP_TTL_EXCEEDED);
	if (dir == LB_CONN_DIR_FWD) {
		ctr->pkts_in++;
		ctr->bytes_in += len;
		if (s->fwd != PROF_FWD_DSR)
			rewrite(m, pi, &c->t[LB_CONN_DIR_REV]);
		return dp_lb_l2_out(dp, wl, m, sv->out_port, &sv->nh);
	} else {
		struct pkt_addr nh;

		ctr->pkts_out++;
		ctr->bytes_out += len;
		rewrite(m, pi, &c->t[LB_CONN_DIR_FWD]);
		/* Towards the client: itself when on-link (decided when the
		 * connection was made), else the client port's gateway. */
		if (c->flags & DP_LB_F_CLIENT_ONLINK) {
			memset(&nh, 0, sizeof(nh));
			nh.family = c->family;
			if (c->family == AF_INET)
				memcpy(&nh.v4, c->t[LB_CONN_DIR_FWD].src, 4);
			else
				memcpy(nh.v6, c->t[LB_CONN_DIR_FWD].src, 16);
			return dp_lb_l2_out(dp, wl, m, s->client_port, &nh);
		}
		if (unlikely(!s->has_client_gw))
			return DP_DROP_V(DP_DROP_NO_ROUTE);
		return dp_lb_l2_out(dp, wl, m, s->client_port, &s->client_gw);
	}
}

static inline uint32_t
client_hash(const struct pkt_addr *a)
{
	return a->family == AF_INET ? rte_hash_crc_4byte(a->v4, 0x1b)
				    : rte_hash_crc(a->v6, 16, 0x1b);
}

static inline void
snat_addr(const struct dp_lb_service *s, uint32_t i, uint8_t out[16])
{
	memset(out, 0, 16);
	if (s->family == AF_INET) {
		uint32_t a = rte_cpu_to_be_32(rte_be_to_cpu_32(s->snat_lo.v4) + i);

		memcpy(out, &a, 4);
	} else {
		uint32_t lo;

		memcpy(out, s->snat_lo.v6, 16);
		memcpy(&lo, out + 12, 4);
		lo = rte_cpu_to_be_32(rte_be_to_cpu_32(lo) + i);
		memcpy(out + 12, &lo, 4);
	}
}

static inline uint32_t
svc_drop(struct dp_lb_worker *wl, const struct dp_lb_service *s, unsigned int sd,
	unsigned int reason)
{
	wl->svc[s->id].drops[sd]++;
	return DP_DROP_V(reason);
}

static uint32_t
new_conn(struct dp *dp, struct dp_worker *w, struct dp_lb_worker *wl, const struct dp_lb_service *s,
	const struct lb_conn_key *fk, uint32_t fh, struct rte_mbuf *m, const struct pkt_info *pi)
{
	struct lb_conn_key rk;
	const struct dp_lb_server *sv;
	struct lb_conn *c;
	uint32_t ch = client_hash(&pi->src), rh;
	int b = -1;
	bool reused = false;

	if (fk->proto == IPPROTO_TCP &&
		(pi->tcp_flags & (TCP_SYN | TCP_ACK | TCP_RST | TCP_FIN)) != TCP_SYN)
		return svc_drop(wl, s, DP_LB_SD_NOT_SYN, DP_DROP_LB_NO_CONN);
	/* A packet that dies here leaves no state (no pick, binding or SNAT port). */
	if (s->fwd != PROF_FWD_DSR && unlikely(pi->ttl <= 1))
		return DP_DROP_V(DP_DROP_TTL_EXCEEDED);
	if (s->persist == PROF_PERSIST_SOURCE_IP) {
		b = dp_lb_persist_get(dp, w, s, &pi->src);
		reused = persist_ok(s, b);
		if (!reused)
			b = -1;
	}
	if (b < 0)
		b = lb_sched_pick(s->sched, &wl->ctx[s->id], ch);
	if (unlikely(b < 0))
		return svc_drop(wl, s, DP_LB_SD_NO_SERVER, DP_DROP_LB_NO_SERVER);
	sv = &s->servers[b];

	/* The reverse tuple: what the real server's replies look like. */
	rk = *fk;
	memset(rk.t.src, 0, 16);
	memcpy(rk.t.src, sv->addr.family == AF_INET ? (const uint8_t *)&sv->addr.v4 : sv->addr.v6,
		sv->addr.family == AF_INET ? 4 : 16);
	rk.t.sport =
		s->fwd == PROF_FWD_DSR ? fk->t.dport : (sv->port != 0 ? sv->port : fk->t.dport);
	if (s->fwd == PROF_FWD_FULLNAT) {
		/* A source address by client hash, a port from this worker's
		 * slice (replies come back to us by it), the first whose
		 * reverse tuple is free. */
		uint32_t lo = DP_LB_SNAT_PORT_LO + w->id * dp->lb->snat_slice;
		uint32_t start = fh % dp->lb->snat_slice, i;

		snat_addr(s, ch % s->n_snat, rk.t.dst);
		for (i = 0; i < DP_LB_SNAT_TRIES; i++) {
			uint16_t port = (uint16_t)(lo + (start + i * 7919u) % dp->lb->snat_slice);

			rk.t.dport = rte_cpu_to_be_16(port);
			rh = lb_conn_hash(&rk, lb_conn_seed(wl->ct));
			if (lb_conn_lookup(wl->ct, &rk, rh, wl->now, NULL) == NULL)
				break;
		}
		if (i == DP_LB_SNAT_TRIES)
			return svc_drop(wl, s, DP_LB_SD_SNAT_EXHAUSTED, DP_DROP_LB_SNAT_EXHAUSTED);
	} else {
		memcpy(rk.t.dst, fk->t.src, 16);
		rk.t.dport = fk->t.sport;
		rh = lb_conn_hash(&rk, lb_conn_seed(wl->ct));
		/* The same client port to one server through two VIPs (or
		 * two ports of a range service): the replies could not tell
		 * the connections apart.  Refused, not misdelivered. */
		if (unlikely(lb_conn_lookup(wl->ct, &rk, rh, wl->now, NULL) != NULL))
			return svc_drop(wl, s, DP_LB_SD_TUPLE_IN_USE, DP_DROP_LB_TUPLE_IN_USE);
	}
	c = lb_conn_insert(wl->ct, fk, fh, &rk, rh, wl->now, wl->now + s->t_syn);
	if (unlikely(c == NULL))
		return svc_drop(wl, s, DP_LB_SD_TABLE_FULL, DP_DROP_LB_TABLE_FULL);
	c->service = s->id;
	c->aux = s->incarnation;
	c->backend = (uint32_t)b;
	c->state = fk->proto == IPPROTO_TCP ? DP_LB_SYN_SENT : DP_LB_UDP;
	{
		struct pkt_addr nh;

		if (dp_route_nexthop(dp, s->client_port, &pi->src, &nh) == 0 &&
			pkt_addr_eq(&nh, &pi->src))
			c->flags |= DP_LB_F_CLIENT_ONLINK;
	}
	wl->ctr[sv->slot].conns++;
	wl->svc[s->id].conns++;
	if (wl->conns[s->id] != NULL) {
		lb_conns_open(wl->conns[s->id], (uint32_t)b);
		c->flags |= DP_LB_F_COUNTED;
	}
	if (s->persist == PROF_PERSIST_SOURCE_IP)
		dp_lb_persist_put(dp, w, s, &pi->src, (uint16_t)b, reused);
	return forward(dp, wl, s, c, LB_CONN_DIR_FWD, m, pi);
}

uint32_t
dp_lb_input_keyed(struct dp *dp, struct dp_worker *w, struct rte_mbuf *m, const struct pkt_info *pi,
	struct dp_lb_service *svc, const struct lb_conn_key *k, uint32_t h)
{
	struct dp_lb_worker *wl = dp->lb->w[w->id];
	const struct dp_lb_table *t = table(dp);
	const struct dp_lb_service *s;
	struct lb_conn *c;
	uint8_t dir;

	c = lb_conn_lookup(wl->ct, k, h, wl->now, &dir);
	if (c != NULL) {
		s = conn_service(t, c);
		if (unlikely(s == NULL)) {
			/* Its service is gone: forget it, and treat the packet as new. */
			lb_conn_delete(wl->ct, c);
			c = NULL;
		} else if (c->proto == IPPROTO_TCP && dir == LB_CONN_DIR_FWD &&
			(pi->tcp_flags & (TCP_SYN | TCP_ACK)) == TCP_SYN &&
			c->state >= DP_LB_FIN_WAIT) {
			/* A client reusing its port after a close: a new connection. */
			conn_end(wl, s, c);
			lb_conn_delete(wl->ct, c);
			c = NULL;
		} else {
			return forward(dp, wl, s, c, dir, m, pi);
		}
	}
	if (svc == NULL)
		return DP_DROP_V(DP_DROP_NOT_LOCAL);
	return new_conn(dp, w, wl, svc, k, h, m, pi);
}

uint32_t
dp_lb_input(struct dp *dp, struct dp_worker *w, unsigned int pidx, struct rte_mbuf *m,
	const struct pkt_info *pi, struct dp_lb_service *svc)
{
	struct lb_conn_key k;
	uint32_t h;

	(void)pidx;
	dp_lb_key(dp, w, pi, &k, &h);
	return dp_lb_input_keyed(dp, w, m, pi, svc, &k, h);
}

/*
 * The expiry sweep, paced by time rather than by passes: the whole table
 * once a second (DP_LB_SWEEP_MS), so a busy worker does not pay for it on
 * every burst and an idle one still reclaims.  Lookups reclaim what they
 * meet in between.
 */
static inline void
sweep(struct dp_lb_worker *wl, struct lb_conn_table *ct)
{
	uint32_t elapsed = wl->now - wl->sweep_last;
	uint64_t n;

	if (elapsed == 0)
		return;
	wl->sweep_last = wl->now;
	if (elapsed > DP_LB_SWEEP_MS)
		elapsed = DP_LB_SWEEP_MS;
	/* Entries: the whole capacity per DP_LB_SWEEP_MS. */
	n = (uint64_t)lb_conn_capacity(ct) * elapsed + wl->sweep_carry;
	wl->sweep_carry = (uint32_t)(n % DP_LB_SWEEP_MS);
	n /= DP_LB_SWEEP_MS;
	if (n != 0)
		lb_conn_sweep(ct, wl->now, (uint32_t)n);
}

/* Once per poll pass: the clock, a slice of the expiry sweep, and now and
 * then the least-connection snapshot. */
void
dp_lb_worker_tick(struct dp *dp, struct dp_worker *w)
{
	struct dp_lb_worker *wl = dp->lb->w[w->id];
	uint32_t others[DP_LB_MAX_SERVERS];
	struct lb_conn_table *ct;
	struct lb_conns *lc;
	unsigned int i;

	wl->now = dp_lb_clock(dp->lb, rte_get_tsc_cycles());
	ct = __atomic_load_n(&wl->ct, __ATOMIC_ACQUIRE);
	if (ct == NULL)
		return;
	sweep(wl, ct);
	if ((int32_t)(wl->now - wl->last_tick) < 50)
		return;
	wl->last_tick = wl->now;
	for (i = 0; i < DP_LB_MAX_SERVICES; i++) {
		struct dp_lb_snap *sn = __atomic_load_n(&wl->snap[i], __ATOMIC_ACQUIRE);
		uint32_t seq, n;

		if (sn == NULL)
			continue;
		seq = __atomic_load_n(&sn->seq, __ATOMIC_ACQUIRE);
		if (seq == wl->snap_seen[i] || (seq & 1))
			continue;
		n = RTE_MIN(sn->n, (uint32_t)DP_LB_MAX_SERVERS);
		memcpy(others, sn->others, n * sizeof(others[0]));
		rte_atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&sn->seq, __ATOMIC_RELAXED) != seq)
			continue;
		wl->snap_seen[i] = seq;
		lc = __atomic_load_n(&wl->conns[i], __ATOMIC_ACQUIRE);
		if (lc != NULL) {
			lb_conns_set_others(lc, others, n);
			w->st.lc_snapshots++;
		}
	}
}
