/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Traffic addressed to the dataplane itself: it answers ARP and IPv6
 * neighbour solicitations for the addresses it owns, answers ICMP and
 * ICMPv6 echo, learns next hops from what it hears, and hands everything
 * else for its addresses to the kernel (pmd mode, through the exception
 * path) or drops it (xdp mode: the kernel does not have these addresses).
 * Anything not for an owned address is dropped, never forwarded.
 *
 * Replies are built in place in the received mbuf.
 */
#include <netinet/in.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>

#include "dp.h"
#include "dp_neigh.h"
#include "dp_verdict.h"
#include "pkt.h"
#include "pkt_csum.h"

#define ICMP6_ECHO_REQUEST 128
#define ICMP6_ECHO_REPLY 129
#define ND_NEIGHBOR_SOLICIT 135
#define ND_NEIGHBOR_ADVERT 136
#define ND_OPT_SOURCE_LLADDR 1
#define ND_OPT_TARGET_LLADDR 2
#define ND_NA_FLAG_SOLICITED 0x40000000u
#define ND_NA_FLAG_OVERRIDE 0x20000000u
#define ND_NA_S 0x40 /* first flags byte */
#define ND_NA_O 0x20
#define ND_NS_LEN 24 /* type, code, csum, reserved, target */
#define ND_NA_LEN 32 /* NA with one target link-layer option */
#define DP_REPLY_TTL 64

static inline const struct dp_local_port *
local_port(const struct dp *dp, unsigned int pidx)
{
	const struct dp_local *l = __atomic_load_n(&dp->local, __ATOMIC_ACQUIRE);

	return &l->port[pidx];
}

/* Why the port owns a (enum dp_addr_kind), DP_ADDR_NONE if it does not. */
static inline uint8_t
owns4(const struct dp_local_port *lp, uint32_t a)
{
	unsigned int i;

	for (i = 0; i < lp->n4; i++)
		if (lp->v4[i] == a)
			return lp->v4_kind[i];
	return DP_ADDR_NONE;
}

static inline uint8_t
owns6(const struct dp_local_port *lp, const uint8_t *a)
{
	unsigned int i;

	for (i = 0; i < lp->n6; i++)
		if (memcmp(lp->v6[i], a, 16) == 0)
			return lp->v6_kind[i];
	return DP_ADDR_NONE;
}

uint8_t
dp_local_kind(const struct dp *dp, unsigned int pidx, const struct pkt_addr *a)
{
	const struct dp_local_port *lp = local_port(dp, pidx);

	return a->family == AF_INET ? owns4(lp, a->v4) : owns6(lp, a->v6);
}

static inline bool
is_xdp(const struct dp *dp, unsigned int pidx)
{
	return dp->ports[pidx].prof->mode == PROF_PORT_XDP;
}

/* ND target of a neighbour solicitation, or NULL. */
static const uint8_t *
ns_target(const struct rte_mbuf *m, const struct pkt_info *pi)
{
	if (pi->l4_proto != IPPROTO_ICMPV6 || pi->icmp_type != ND_NEIGHBOR_SOLICIT ||
		!(pi->flags & PKT_F_L4) || pi->l3_end < pi->l4_off + ND_NS_LEN)
		return NULL;
	return rte_pktmbuf_mtod_offset(m, const uint8_t *, pi->l4_off + 8);
}

bool
dp_local_for_us(const struct dp *dp, unsigned int pidx, const struct pkt_info *pi)
{
	const struct dp_local_port *lp = local_port(dp, pidx);

	switch (pi->l3) {
	case PKT_L3_ARP:
		/* Gratuitous ARP (sender == target) may refresh a neighbour. */
		return owns4(lp, pi->dst.v4) || (pi->src.v4 == pi->dst.v4 && pi->src.v4 != 0);
	case PKT_L3_IPV4:
		return owns4(lp, pi->dst.v4);
	case PKT_L3_IPV6:
		/* Solicitations go to a multicast group; ownership is
		 * decided on the target by dp_local_input. */
		return owns6(lp, pi->dst.v6) ||
			(pi->l4_proto == IPPROTO_ICMPV6 &&
				(pi->icmp_type == ND_NEIGHBOR_SOLICIT ||
					pi->icmp_type == ND_NEIGHBOR_ADVERT));
	default:
		return false;
	}
}

int
dp_route_nexthop(
	const struct dp *dp, unsigned int pidx, const struct pkt_addr *dst, struct pkt_addr *nh)
{
	const struct dp_local_port *lp = local_port(dp, pidx);
	unsigned int i;

	*nh = *dst;
	if (dst->family == AF_INET) {
		for (i = 0; i < lp->n4; i++)
			if (((dst->v4 ^ lp->v4[i]) & lp->v4_mask[i]) == 0)
				return 0;
		if (!lp->has_gw4)
			return -ENETUNREACH;
		nh->v4 = lp->gw4;
		return 0;
	}
	for (i = 0; i < lp->n6; i++) {
		struct pkt_addr p = {.family = AF_INET6};

		memcpy(p.v6, lp->v6[i], 16);
		if (pkt_addr_in_prefix(dst, &p, lp->v6_len[i]))
			return 0;
	}
	/* Link-local destinations are always on-link. */
	if (dst->v6[0] == 0xfe && (dst->v6[1] & 0xc0) == 0x80)
		return 0;
	if (!lp->has_gw6)
		return -ENETUNREACH;
	memcpy(nh->v6, lp->gw6, 16);
	return 0;
}

/* The broadcast address of one of the port's IPv4 subnets? */
static bool
is_directed_broadcast(const struct dp *dp, unsigned int pidx, uint32_t a)
{
	const struct dp_local_port *lp = local_port(dp, pidx);
	unsigned int i;

	for (i = 0; i < lp->n4; i++)
		if (lp->v4_mask[i] != UINT32_MAX && ((a ^ lp->v4[i]) & lp->v4_mask[i]) == 0 &&
			(a | lp->v4_mask[i]) == UINT32_MAX)
			return true;
	return false;
}

/* A neighbour we could send to directly (not through the gateway). */
static bool
on_link(const struct dp *dp, unsigned int pidx, const struct pkt_addr *a)
{
	struct pkt_addr nh;

	return dp_route_nexthop(dp, pidx, a, &nh) == 0 && pkt_addr_eq(&nh, a);
}

/* How a neighbour's MAC reaches the main lcore (see learn()). */
enum learn_mode {
	LEARN_NEW,     /* learn (or, while the entry is probed, confirm) it */
	LEARN_REFRESH, /* an announcement: the main lcore updates only an entry it has */
};

/*
 * Tell the main lcore about a neighbour.  Only on-link senders are
 * learned (anything else could fill the table from afar).  Checked
 * against the table first so a flood of ARP does not flood the ring.
 * Refreshes are decided on the main lcore, in order with the learn
 * events before them, so an announcement right after a first contact is
 * not lost to the table not having caught up yet.
 */
static void
learn(struct dp *dp, struct dp_worker *w, unsigned int pidx, const struct pkt_addr *a,
	const uint8_t *mac, enum learn_mode mode)
{
	struct dp_event ev;

	if (rte_is_zero_ether_addr((const struct rte_ether_addr *)mac) ||
		rte_is_multicast_ether_addr((const struct rte_ether_addr *)mac) ||
		!on_link(dp, pidx, a))
		return;
	/* Only news reaches the main lcore: a flood of replies repeating
	 * what the table says costs nothing but this lookup. */
	if (!dp_neigh_wants(dp->neigh, pidx, a, mac))
		return;
	memset(&ev, 0, sizeof(ev));
	ev.type = mode == LEARN_REFRESH ? DP_EV_REFRESH : DP_EV_LEARN;
	ev.family = a->family;
	ev.port = (uint16_t)pidx;
	memcpy(ev.mac, mac, 6);
	if (a->family == AF_INET)
		memcpy(ev.addr, &a->v4, 4);
	else
		memcpy(ev.addr, a->v6, 16);
	if (rte_ring_sp_enqueue_elem(w->events, &ev, sizeof(ev)) == 0)
		dp_wake_main(dp, w->events);
	else
		w->st.learn_lost++;
}

static uint32_t
arp_input(struct dp *dp, struct dp_worker *w, unsigned int pidx, struct rte_mbuf *m,
	const struct pkt_info *pi)
{
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *ah = rte_pktmbuf_mtod_offset(m, struct rte_arp_hdr *, pi->l3_off);
	const struct rte_ether_addr *our = &dp->ports[pidx].mac;
	uint32_t target = ah->arp_data.arp_tip;

	if (pi->src.v4 != 0)
		learn(dp, w, pidx, &pi->src, ah->arp_data.arp_sha.addr_bytes, LEARN_NEW);

	if (pi->arp_op == RTE_ARP_OP_REPLY) {
		/* In pmd mode the kernel may be the one that asked. */
		if (!is_xdp(dp, pidx))
			return DP_VERDICT(DP_V_PUNT, pidx);
		return DP_VERDICT(DP_V_DONE, 0);
	}
	if (pi->arp_op != RTE_ARP_OP_REQUEST)
		return DP_DROP_V(DP_DROP_ARP_OP);

	ah->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
	rte_ether_addr_copy(&ah->arp_data.arp_sha, &ah->arp_data.arp_tha);
	ah->arp_data.arp_tip = ah->arp_data.arp_sip;
	rte_ether_addr_copy(our, &ah->arp_data.arp_sha);
	ah->arp_data.arp_sip = target;
	rte_ether_addr_copy(&eh->src_addr, &eh->dst_addr);
	rte_ether_addr_copy(our, &eh->src_addr);
	w->st.arp_replies++;
	return DP_VERDICT(DP_V_TX, pidx);
}

/*
 * A gratuitous ARP for somebody else's address: a neighbour announcing a
 * new MAC (failover).  It refreshes an entry we have and creates none, so
 * the table is not filled by announcements of hosts we never talk to
 * (decided on the main lcore: LEARN_REFRESH).
 */
static uint32_t
garp_input(struct dp *dp, struct dp_worker *w, unsigned int pidx, struct rte_mbuf *m,
	const struct pkt_info *pi)
{
	const struct rte_arp_hdr *ah =
		rte_pktmbuf_mtod_offset(m, const struct rte_arp_hdr *, pi->l3_off);

	if (pi->src.v4 != pi->dst.v4 || pi->src.v4 == 0)
		return DP_DROP_V(DP_DROP_ARP_NOT_OURS);
	learn(dp, w, pidx, &pi->src, ah->arp_data.arp_sha.addr_bytes, LEARN_REFRESH);
	/* In pmd mode the kernel behind the exception path caches it too. */
	return is_xdp(dp, pidx) ? DP_VERDICT(DP_V_DONE, 0) : DP_VERDICT(DP_V_PUNT, pidx);
}

/* Address the reply to its next hop, or leave it to the main lcore. */
static uint32_t
reply_route(struct dp *dp, unsigned int pidx, struct rte_mbuf *m, const struct pkt_addr *dst)
{
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct pkt_addr nh;
	struct rte_ether_addr mac;

	if (dp_route_nexthop(dp, pidx, dst, &nh) != 0)
		return DP_DROP_V(DP_DROP_NO_ROUTE);
	rte_ether_addr_copy(&dp->ports[pidx].mac, &eh->src_addr);
	if (dp_neigh_lookup(dp->neigh, pidx, &nh, &mac) != 0) {
		m->port = dp->ports[pidx].port_id;
		return DP_VERDICT(DP_V_MAIN, 0);
	}
	rte_ether_addr_copy(&mac, &eh->dst_addr);
	return DP_VERDICT(DP_V_TX, pidx);
}

static uint32_t
echo4(struct dp *dp, struct dp_worker *w, unsigned int pidx, struct rte_mbuf *m,
	const struct pkt_info *pi)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, pi->l3_off);
	struct rte_icmp_hdr *ic = rte_pktmbuf_mtod_offset(m, struct rte_icmp_hdr *, pi->l4_off);
	size_t ihl = (size_t)(pi->l4_off - pi->l3_off);
	uint16_t old_word, new_word;
	uint32_t tmp, src = rte_be_to_cpu_32(pi->src.v4);

	/* RFC 1122 3.2.2.6: no reply to a broadcast, multicast or unset
	 * source, nor to an echo to our unicast address sent as a layer-2
	 * broadcast.  Options (source routes) are not reflected: refused. */
	if (src == 0 || (src >> 24) == 127 || (src >> 28) >= 0xe ||
		is_directed_broadcast(dp, pidx, pi->src.v4) ||
		rte_is_multicast_ether_addr(&rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->dst_addr))
		return DP_DROP_V(DP_DROP_ECHO_ADDRESS);
	if (pi->flags & PKT_F_IPV4_OPTS)
		return DP_DROP_V(DP_DROP_IPV4_OPTIONS);
	if (pkt_csum(ip, ihl) != 0)
		return DP_DROP_V(DP_DROP_IPV4_CSUM);
	if (pkt_csum(ic, (size_t)(pi->l3_end - pi->l4_off)) != 0)
		return DP_DROP_V(DP_DROP_ICMP_CSUM);

	tmp = ip->src_addr;
	ip->src_addr = ip->dst_addr;
	ip->dst_addr = tmp;
	ip->time_to_live = DP_REPLY_TTL;
	ip->hdr_checksum = pkt_ipv4_hdr_csum(ip, ihl);

	memcpy(&old_word, ic, 2);
	ic->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	memcpy(&new_word, ic, 2);
	ic->icmp_cksum = pkt_csum_update16(ic->icmp_cksum, old_word, new_word);
	w->st.echo_replies++;
	return reply_route(dp, pidx, m, &pi->src);
}

static uint32_t
ipv4_input(struct dp *dp, struct dp_worker *w, unsigned int pidx, struct rte_mbuf *m,
	const struct pkt_info *pi)
{
	if (pi->flags & PKT_F_FRAG)
		goto other;
	if (pi->l4_proto == IPPROTO_ICMP && (pi->flags & PKT_F_L4) &&
		pi->icmp_type == RTE_IP_ICMP_ECHO_REQUEST && pi->icmp_code == 0)
		return echo4(dp, w, pidx, m, pi);
other:
	/* A VIP answers ping and nothing but its services; it is not the
	 * kernel's address. */
	if (owns4(local_port(dp, pidx), pi->dst.v4) != DP_ADDR_PORT)
		return DP_DROP_V(DP_DROP_VIP_NO_SERVICE);
	if (is_xdp(dp, pidx))
		return DP_DROP_V(
			pi->flags & PKT_F_FRAG ? DP_DROP_FRAGMENT : DP_DROP_NO_LOCAL_SERVICE);
	return DP_VERDICT(DP_V_PUNT, pidx);
}

static uint16_t
icmp6_csum(const struct rte_ipv6_hdr *ip6, const void *l4, uint32_t len)
{
	return pkt_l4_csum_v6(ip6->src_addr, ip6->dst_addr, IPPROTO_ICMPV6, l4, len, 2);
}

static bool
icmp6_csum_ok(const struct rte_ipv6_hdr *ip6, const uint8_t *l4, uint32_t len)
{
	uint16_t c;

	memcpy(&c, l4 + 2, 2);
	return icmp6_csum(ip6, l4, len) == c;
}

/* Learn from an ND option list (source or target link-layer address). */
static void
nd_learn(struct dp *dp, struct dp_worker *w, unsigned int pidx, const struct pkt_addr *who,
	const uint8_t *opt, uint32_t len, uint8_t want, enum learn_mode mode)
{
	while (len >= 8) {
		uint32_t olen = (uint32_t)opt[1] * 8;

		if (olen == 0 || olen > len)
			return;
		if (opt[0] == want && olen >= 8) {
			learn(dp, w, pidx, who, opt + 2, mode);
			return;
		}
		opt += olen;
		len -= olen;
	}
}

static bool
is_unspec6(const uint8_t *a)
{
	static const uint8_t zero[16];

	return memcmp(a, zero, 16) == 0;
}

static bool
nd_has_option(const uint8_t *opt, uint32_t len, uint8_t type)
{
	while (len >= 8) {
		uint32_t olen = (uint32_t)opt[1] * 8;

		if (olen == 0 || olen > len)
			return false;
		if (opt[0] == type)
			return true;
		opt += olen;
		len -= olen;
	}
	return false;
}

/* ff02::1:ffXX:XXXX for target. */
static bool
is_solicited_node(const uint8_t *dst, const uint8_t *target)
{
	static const uint8_t prefix[13] = {0xff, 0x02, [11] = 0x01, [12] = 0xff};

	return memcmp(dst, prefix, 13) == 0 && memcmp(dst + 13, target + 13, 3) == 0;
}

static uint32_t
ns_input(struct dp *dp, struct dp_worker *w, unsigned int pidx, struct rte_mbuf *m,
	const struct pkt_info *pi, const uint8_t *target)
{
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv6_hdr *ip6 = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, pi->l3_off);
	uint8_t *icmp = rte_pktmbuf_mtod_offset(m, uint8_t *, pi->l4_off);
	const struct rte_ether_addr *our = &dp->ports[pidx].mac;
	uint32_t icmp_len = (uint32_t)(pi->l3_end - pi->l4_off);
	bool dad = is_unspec6(ip6->src_addr);
	uint32_t flags;
	uint32_t need = (uint32_t)pi->l4_off + ND_NA_LEN;
	uint8_t tgt[16];

	/* RFC 4861 7.1.1: hop limit 255, code 0, a valid checksum, sent to
	 * the target or its solicited-node group, and a DAD probe (source
	 * unspecified) to the group and without a source link-layer option.
	 * The advertisement is built in place right after the IPv6 header,
	 * so a solicitation with extension headers is refused too. */
	if (pi->ttl != 255 || pi->icmp_code != 0 || (pi->flags & PKT_F_IPV6_EXT) ||
		ip6->src_addr[0] == 0xff || !icmp6_csum_ok(ip6, icmp, icmp_len))
		return DP_DROP_V(DP_DROP_ND_BAD);
	if (!owns6(local_port(dp, pidx), target))
		return DP_DROP_V(DP_DROP_NOT_LOCAL);
	if (!is_solicited_node(ip6->dst_addr, target) && memcmp(ip6->dst_addr, target, 16) != 0)
		return DP_DROP_V(DP_DROP_ND_BAD);
	if (dad &&
		(!is_solicited_node(ip6->dst_addr, target) ||
			nd_has_option(
				icmp + ND_NS_LEN, icmp_len - ND_NS_LEN, ND_OPT_SOURCE_LLADDR)))
		return DP_DROP_V(DP_DROP_ND_BAD);
	if (!dad)
		nd_learn(dp, w, pidx, &pi->src, icmp + ND_NS_LEN, icmp_len - ND_NS_LEN,
			ND_OPT_SOURCE_LLADDR, LEARN_NEW);

	/* Turn the solicitation into an advertisement in place. */
	memcpy(tgt, target, 16);
	if (rte_pktmbuf_data_len(m) < need &&
		rte_pktmbuf_append(m, (uint16_t)(need - rte_pktmbuf_data_len(m))) == NULL)
		return DP_DROP_V(DP_DROP_ND_BAD);
	if (rte_pktmbuf_data_len(m) > need)
		rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_data_len(m) - need));
	eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	ip6 = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, pi->l3_off);
	icmp = rte_pktmbuf_mtod_offset(m, uint8_t *, pi->l4_off);

	if (dad) {
		/* All-nodes: ff02::1, 33:33:00:00:00:01. */
		static const uint8_t all_nodes[16] = {0xff, 0x02, [15] = 0x01};

		memcpy(ip6->dst_addr, all_nodes, 16);
		memset(eh->dst_addr.addr_bytes, 0, 6);
		eh->dst_addr.addr_bytes[0] = 0x33;
		eh->dst_addr.addr_bytes[1] = 0x33;
		eh->dst_addr.addr_bytes[5] = 0x01;
	} else {
		memcpy(ip6->dst_addr, ip6->src_addr, 16);
		rte_ether_addr_copy(&eh->src_addr, &eh->dst_addr);
	}
	memcpy(ip6->src_addr, tgt, 16);
	rte_ether_addr_copy(our, &eh->src_addr);
	ip6->hop_limits = 255;
	ip6->payload_len = rte_cpu_to_be_16(ND_NA_LEN);
	ip6->proto = IPPROTO_ICMPV6;

	memset(icmp, 0, ND_NA_LEN);
	icmp[0] = ND_NEIGHBOR_ADVERT;
	flags = rte_cpu_to_be_32(ND_NA_FLAG_OVERRIDE | (dad ? 0 : ND_NA_FLAG_SOLICITED));
	memcpy(icmp + 4, &flags, 4);
	memcpy(icmp + 8, tgt, 16);
	icmp[24] = ND_OPT_TARGET_LLADDR;
	icmp[25] = 1;
	memcpy(icmp + 26, our->addr_bytes, 6);
	{
		uint16_t c = icmp6_csum(ip6, icmp, ND_NA_LEN);

		memcpy(icmp + 2, &c, 2);
	}
	w->st.nd_replies++;
	return DP_VERDICT(DP_V_TX, pidx);
}

static uint32_t
echo6(struct dp *dp, struct dp_worker *w, unsigned int pidx, struct rte_mbuf *m,
	const struct pkt_info *pi)
{
	struct rte_ipv6_hdr *ip6 = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, pi->l3_off);
	uint8_t *icmp = rte_pktmbuf_mtod_offset(m, uint8_t *, pi->l4_off);
	uint16_t old_word, new_word, c;
	uint8_t tmp[16];

	/* No reply to an unspecified or multicast source, nor to a unicast
	 * echo that came as a layer-2 multicast. */
	if (is_unspec6(pi->src.v6) || pi->src.v6[0] == 0xff ||
		rte_is_multicast_ether_addr(&rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->dst_addr))
		return DP_DROP_V(DP_DROP_ECHO_ADDRESS);
	if (!icmp6_csum_ok(ip6, icmp, (uint32_t)(pi->l3_end - pi->l4_off)))
		return DP_DROP_V(DP_DROP_ICMP_CSUM);
	/* Swapping source and destination leaves the pseudo-header sum as it was. */
	memcpy(tmp, ip6->src_addr, 16);
	memcpy(ip6->src_addr, ip6->dst_addr, 16);
	memcpy(ip6->dst_addr, tmp, 16);
	ip6->hop_limits = DP_REPLY_TTL;
	memcpy(&old_word, icmp, 2);
	icmp[0] = ICMP6_ECHO_REPLY;
	memcpy(&new_word, icmp, 2);
	memcpy(&c, icmp + 2, 2);
	c = pkt_csum_update16(c, old_word, new_word);
	memcpy(icmp + 2, &c, 2);
	w->st.echo_replies++;
	return reply_route(dp, pidx, m, &pi->src);
}

/*
 * Neighbour advertisements: an answer to our solicitation (to one of our
 * addresses) confirms or teaches an entry; an unsolicited one to all
 * nodes (a failover) only refreshes an entry we have.  In pmd mode the
 * kernel behind the exception path sees them too.
 */
static uint32_t
na_input(struct dp *dp, struct dp_worker *w, unsigned int pidx, struct rte_mbuf *m,
	const struct pkt_info *pi)
{
	const uint8_t *icmp = rte_pktmbuf_mtod_offset(m, const uint8_t *, pi->l4_off);
	uint32_t icmp_len = (uint32_t)(pi->l3_end - pi->l4_off);
	bool to_us = owns6(local_port(dp, pidx), pi->dst.v6);
	struct pkt_addr who = {.family = AF_INET6};
	struct rte_ether_addr cur;
	bool solicited, override;

	if (!(pi->flags & PKT_F_L4) || icmp_len < ND_NS_LEN || pi->ttl != 255 ||
		pi->icmp_code != 0 ||
		!icmp6_csum_ok(rte_pktmbuf_mtod_offset(m, const struct rte_ipv6_hdr *, pi->l3_off),
			icmp, icmp_len))
		return DP_DROP_V(DP_DROP_ND_BAD);
	memcpy(who.v6, icmp + 8, 16);
	solicited = (icmp[4] & ND_NA_S) != 0;
	override = (icmp[4] & ND_NA_O) != 0;
	/* RFC 4861 7.1.2: no multicast target; S clear when sent to a group. */
	if (who.v6[0] == 0xff || (solicited && pi->dst.v6[0] == 0xff))
		return DP_DROP_V(DP_DROP_ND_BAD);
	/* 7.2.5: without O an advertisement may fill an incomplete entry
	 * (our solicitation's answer) but never replace a known MAC. */
	if (override)
		nd_learn(dp, w, pidx, &who, icmp + ND_NS_LEN, icmp_len - ND_NS_LEN,
			ND_OPT_TARGET_LLADDR, to_us && solicited ? LEARN_NEW : LEARN_REFRESH);
	else if (to_us && solicited && dp_neigh_lookup(dp->neigh, pidx, &who, &cur) != 0)
		nd_learn(dp, w, pidx, &who, icmp + ND_NS_LEN, icmp_len - ND_NS_LEN,
			ND_OPT_TARGET_LLADDR, LEARN_NEW);
	return is_xdp(dp, pidx) ? DP_VERDICT(DP_V_DONE, 0) : DP_VERDICT(DP_V_PUNT, pidx);
}

static uint32_t
ipv6_input(struct dp *dp, struct dp_worker *w, unsigned int pidx, struct rte_mbuf *m,
	const struct pkt_info *pi)
{
	const struct dp_local_port *lp = local_port(dp, pidx);
	const uint8_t *target = ns_target(m, pi);

	if (pi->l4_proto == IPPROTO_ICMPV6 && pi->icmp_type == ND_NEIGHBOR_SOLICIT) {
		if (target == NULL)
			return DP_DROP_V(DP_DROP_ND_BAD);
		return ns_input(dp, w, pidx, m, pi, target);
	}
	if (pi->l4_proto == IPPROTO_ICMPV6 && pi->icmp_type == ND_NEIGHBOR_ADVERT)
		return na_input(dp, w, pidx, m, pi);
	if (!owns6(lp, pi->dst.v6))
		return DP_DROP_V(DP_DROP_NOT_LOCAL);
	if (pi->l4_proto == IPPROTO_ICMPV6 && (pi->flags & PKT_F_L4) &&
		pi->icmp_type == ICMP6_ECHO_REQUEST && pi->icmp_code == 0)
		return echo6(dp, w, pidx, m, pi);
	if (owns6(lp, pi->dst.v6) != DP_ADDR_PORT)
		return DP_DROP_V(DP_DROP_VIP_NO_SERVICE);
	if (is_xdp(dp, pidx))
		return DP_DROP_V(
			pi->flags & PKT_F_FRAG ? DP_DROP_FRAGMENT : DP_DROP_NO_LOCAL_SERVICE);
	return DP_VERDICT(DP_V_PUNT, pidx);
}

uint32_t
dp_local_input(struct dp *dp, struct dp_worker *w, unsigned int pidx, struct rte_mbuf *m,
	const struct pkt_info *pi)
{
	const struct dp_local_port *lp = local_port(dp, pidx);

	/* Replies are built in place in the first segment. */
	if (unlikely(!rte_pktmbuf_is_contiguous(m)))
		return DP_DROP_V(DP_DROP_MULTISEG);
	switch (pi->l3) {
	case PKT_L3_ARP:
		if (!owns4(lp, pi->dst.v4))
			return garp_input(dp, w, pidx, m, pi);
		return arp_input(dp, w, pidx, m, pi);
	case PKT_L3_IPV4:
		/* dp_classify checked dp_local_for_us: the destination is ours. */
		return ipv4_input(dp, w, pidx, m, pi);
	case PKT_L3_IPV6:
		return ipv6_input(dp, w, pidx, m, pi);
	default:
		return DP_DROP_V(DP_DROP_UNKNOWN_ETHERTYPE);
	}
}
