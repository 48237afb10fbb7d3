/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ICMP errors about load-balanced connections.
 *
 * A router between the dataplane and a real server that cannot forward a
 * packet (fragmentation needed, time exceeded, unreachable) quotes the
 * packet as the dataplane rewrote it: client (or SNAT address) -> real
 * server.  The client never sent that packet, so the error must be
 * translated back into terms the client knows (VIP -> client) before
 * it is passed on, or path-MTU discovery breaks for every client behind
 * the NAT.  The same holds the other way: an error from the client's
 * side quotes a reply as the client saw it (VIP -> client) and must
 * reach the real server quoting what the server sent.
 *
 * The quoted packet's tuple, ends swapped, is exactly one of the
 * connection's two stored tuples (lib/lb lb_conn keeps both), so one
 * lookup finds the connection and says which side the error came from;
 * no state is added for ICMP.  Quoted headers are rewritten and their
 * checksums fixed; the outer ICMP checksum is recomputed over the whole
 * message (errors are small and rare).
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "dp.h"
#include "dp_lb.h"
#include "dp_verdict.h"
#include "pkt.h"
#include "pkt_csum.h"

/* Rewrite the quoted packet's addresses and ports to those of `to` (as is, not swapped). */
static void
rewrite_inner(struct rte_mbuf *m, const struct pkt_quoted *in, const struct lb_conn_tuple *to)
{
	uint8_t *ip = rte_pktmbuf_mtod_offset(m, uint8_t *, in->l3_off);
	uint8_t *l4 = rte_pktmbuf_mtod_offset(m, uint8_t *, in->l4_off);
	uint32_t csum_off = in->proto == IPPROTO_TCP ? 16 : 6;
	bool has_csum = in->l4_off + csum_off + 2 <= in->end;
	uint16_t ck = 0;

	if (has_csum)
		memcpy(&ck, l4 + csum_off, 2);
	/* A quoted IPv4 UDP datagram without a checksum keeps none. */
	if (in->proto == IPPROTO_UDP && in->src.family == AF_INET && ck == 0)
		has_csum = false;
	if (in->src.family == AF_INET) {
		uint32_t os, od, ns, nd;
		uint32_t ihl = (uint32_t)(in->l4_off - in->l3_off);

		memcpy(&os, ip + 12, 4);
		memcpy(&od, ip + 16, 4);
		memcpy(&ns, to->src, 4);
		memcpy(&nd, to->dst, 4);
		if (has_csum) {
			ck = pkt_csum_update32(ck, os, ns);
			ck = pkt_csum_update32(ck, od, nd);
		}
		memcpy(ip + 12, &ns, 4);
		memcpy(ip + 16, &nd, 4);
		/* The quoted header is whole (checked): recompute its sum. */
		if (in->end >= in->l3_off + ihl) {
			uint16_t z = 0;

			memcpy(ip + 10, &z, 2);
			z = pkt_ipv4_hdr_csum(ip, ihl);
			memcpy(ip + 10, &z, 2);
		}
	} else {
		if (has_csum) {
			ck = pkt_csum_update128(ck, ip + 8, to->src);
			ck = pkt_csum_update128(ck, ip + 24, to->dst);
		}
		memcpy(ip + 8, to->src, 16);
		memcpy(ip + 24, to->dst, 16);
	}
	if (has_csum) {
		uint16_t ports[2];

		memcpy(ports, l4, 4);
		ck = pkt_csum_update16(ck, ports[0], to->sport);
		ck = pkt_csum_update16(ck, ports[1], to->dport);
		if (in->proto == IPPROTO_UDP && ck == 0)
			ck = 0xffff;
		memcpy(l4 + csum_off, &ck, 2);
	}
	memcpy(l4, &to->sport, 2);
	memcpy(l4 + 2, &to->dport, 2);
}

/* New outer source and destination, TTL down by one, and every checksum. */
static void
rewrite_outer(struct rte_mbuf *m, const struct pkt_info *pi, const uint8_t *src, const uint8_t *dst)
{
	uint8_t *l4 = rte_pktmbuf_mtod_offset(m, uint8_t *, pi->l4_off);
	uint32_t l4len = (uint32_t)(pi->l3_end - pi->l4_off);
	uint16_t z = 0;

	memcpy(l4 + 2, &z, 2);
	if (pi->l3 == PKT_L3_IPV4) {
		struct rte_ipv4_hdr *ip =
			rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, pi->l3_off);

		memcpy(&ip->src_addr, src, 4);
		memcpy(&ip->dst_addr, dst, 4);
		ip->time_to_live--;
		ip->hdr_checksum = 0;
		ip->hdr_checksum = pkt_ipv4_hdr_csum(ip, (size_t)(pi->l4_off - pi->l3_off));
		z = pkt_csum(l4, l4len);
	} else {
		struct rte_ipv6_hdr *ip6 =
			rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, pi->l3_off);

		memcpy(ip6->src_addr, src, 16);
		memcpy(ip6->dst_addr, dst, 16);
		ip6->hop_limits--;
		z = pkt_l4_csum_v6(ip6->src_addr, ip6->dst_addr, IPPROTO_ICMPV6, l4, l4len, 2);
	}
	memcpy(l4 + 2, &z, 2);
}

static inline void
tuple_addr(struct pkt_addr *a, uint8_t family, const uint8_t *b)
{
	memset(a, 0, sizeof(*a));
	a->family = family;
	if (family == AF_INET)
		memcpy(&a->v4, b, 4);
	else
		memcpy(a->v6, b, 16);
}

uint32_t
dp_lb_icmp_input(struct dp *dp, struct dp_worker *w, struct rte_mbuf *m, const struct pkt_info *pi)
{
	struct dp_lb_worker *wl = dp->lb->w[w->id];
	const struct dp_lb_table *t = __atomic_load_n(&dp->lb->table, __ATOMIC_ACQUIRE);
	const struct dp_lb_service *s;
	struct pkt_quoted in;
	struct lb_conn_key k;
	struct lb_conn *c;
	struct pkt_addr nh;
	uint8_t dir;

	if (!rte_pktmbuf_is_contiguous(m))
		return DP_DROP_V(DP_DROP_MULTISEG);
	if (pkt_icmp_quoted(rte_pktmbuf_mtod(m, const uint8_t *), pi, &in) != 0)
		return DP_DROP_V(DP_DROP_LB_ICMP_UNMATCHED);
	if (pi->ttl <= 1)
		return DP_DROP_V(DP_DROP_TTL_EXCEEDED);
	/* The quoted packet went the other way: swap its ends. */
	if (in.src.family == AF_INET)
		lb_conn_key_v4(&k, in.proto, in.dst.v4, in.src.v4, in.dport, in.sport);
	else
		lb_conn_key_v6(&k, in.proto, in.dst.v6, in.src.v6, in.dport, in.sport);
	c = lb_conn_lookup(wl->ct, &k, lb_conn_hash(&k, lb_conn_seed(wl->ct)), wl->now, &dir);
	s = c != NULL && c->service < t->n_services ? t->svc[c->service] : NULL;
	if (s == NULL || s->incarnation != c->aux)
		return DP_DROP_V(DP_DROP_LB_ICMP_UNMATCHED);
	w->st.icmp_translated++;

	if (dir == LB_CONN_DIR_REV) {
		/* From the server's side, about a packet we sent it: quote the
		 * client's packet, and come from the VIP, to the client. */
		const struct lb_conn_tuple *f = &c->t[LB_CONN_DIR_FWD];

		if (s->fwd != PROF_FWD_DSR)
			rewrite_inner(m, &in, f);
		rewrite_outer(m, pi, f->dst, f->src);
		tuple_addr(&nh, c->family, f->src);
		if (dp_route_nexthop(dp, s->client_port, &nh, &nh) != 0)
			return DP_DROP_V(DP_DROP_NO_ROUTE);
		return dp_lb_l2_out(dp, wl, m, s->client_port, &nh);
	} else {
		/* From the client's side, about a reply it got: quote what the
		 * server sent, to the server. */
		const struct dp_lb_server *sv = &s->servers[c->backend];
		const struct lb_conn_tuple *r = &c->t[LB_CONN_DIR_REV];

		if (s->fwd != PROF_FWD_DSR) {
			rewrite_inner(m, &in, r);
			rewrite_outer(m, pi, r->dst, r->src);
		}
		return dp_lb_l2_out(dp, wl, m, sv->out_port, &sv->nh);
	}
}
