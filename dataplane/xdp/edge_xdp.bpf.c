/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-only */
/*
 * Edgeplane's XDP steering program.
 *
 * Loaded by DPDK's net_af_xdp (xdp_prog=) on an xdp-mode port.  Packets
 * for the dataplane go to the AF_XDP socket of the queue they arrived on
 * (xsks_map[rx_queue_index]); the deny-list's sources are dropped;
 * everything else goes on to the kernel.  The dataplane fills the maps
 * (dp_xdp.c) after finding them through the attached program.
 *
 * Each packet gets one verdict from classify() and is counted once in
 * edge_stats (see enum edge_xdp_stat).  New fast-path matches (VIP ports,
 * relay ports) are new cases in the classify_* functions.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/icmpv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "edge_xdp.h"

/* VLAN tags (802.1Q / 802.1ad) skipped before the network header. */
#define EDGE_VLAN_MAX 2

#define EDGE_ARPHRD_ETHER 1
#define EDGE_ND_NEIGHBOR_SOLICIT 135

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* AF_XDP sockets by queue index, filled by net_af_xdp. */
struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, EDGE_XDP_XSKS_MAX);
	__type(key, __u32);
	__type(value, __u32);
} xsks_map SEC(".maps");

/* Dataplane-owned IPv4 addresses (network order) -> EDGE_XDP_ADDR_* flags. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, EDGE_XDP_LOCAL_MAX);
	__type(key, __u32);
	__type(value, __u32);
} edge_local4 SEC(".maps");

/* Dataplane-owned IPv6 addresses -> EDGE_XDP_ADDR_* flags. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, EDGE_XDP_LOCAL_MAX);
	__type(key, struct edge_xdp_addr6);
	__type(value, __u32);
} edge_local6 SEC(".maps");

/* Counters by enum edge_xdp_stat. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, EDGE_XDP_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} edge_stats SEC(".maps");

/* IPv4 source prefixes to drop. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, EDGE_XDP_DENY_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct edge_xdp_lpm4_key);
	__type(value, __u32);
} edge_deny4 SEC(".maps");

enum edge_verdict {
	EDGE_V_PASS,	  /* to the kernel */
	EDGE_V_REDIRECT,  /* to the queue's AF_XDP socket */
	EDGE_V_DROP_DENY, /* source in edge_deny4 */
	EDGE_V_MALFORMED, /* truncated headers: to the kernel */
};

/* Where parsing stands: the next header and the end of the packet. */
struct edge_cursor {
	void *pos;
	void *end;
};

struct edge_vlan_hdr {
	__be16 tci;
	__be16 proto;
};

/* ARP for IPv4 over Ethernet (RFC 826); byte arrays, as on the wire. */
struct edge_arp4 {
	__be16 hrd;
	__be16 pro;
	__u8 hln;
	__u8 pln;
	__be16 op;
	__u8 sha[ETH_ALEN];
	__u8 spa[4];
	__u8 tha[ETH_ALEN];
	__u8 tpa[4];
};

/* ICMPv6 Neighbor Solicitation (RFC 4861 4.3) up to the target address. */
struct edge_nd_ns {
	__u8 type;
	__u8 code;
	__be16 cksum;
	__be32 reserved;
	__u8 target[16];
};

static __always_inline void
edge_count(__u32 stat)
{
	__u64 *v;

	v = bpf_map_lookup_elem(&edge_stats, &stat);
	if (v != NULL)
		*v += 1;
}

static __always_inline int
edge_local4_has(__u32 addr)
{
	return bpf_map_lookup_elem(&edge_local4, &addr) != NULL;
}

static __always_inline int
edge_local6_has(const __u8 *addr)
{
	struct edge_xdp_addr6 key;

	__builtin_memcpy(key.addr, addr, sizeof(key.addr));
	return bpf_map_lookup_elem(&edge_local6, &key) != NULL;
}

/*
 * Skip Ethernet and up to EDGE_VLAN_MAX VLAN tags; *proto gets the
 * EtherType of what follows (network order).  -1 if cut short.
 */
static __always_inline int
edge_parse_eth(struct edge_cursor *c, __be16 *proto)
{
	struct ethhdr *eth = c->pos;
	struct edge_vlan_hdr *vh;
	__be16 p;
	int i;

	if ((void *)(eth + 1) > c->end)
		return -1;
	p = eth->h_proto;
	c->pos = eth + 1;

#pragma unroll
	for (i = 0; i < EDGE_VLAN_MAX; i++) {
		if (p != bpf_htons(ETH_P_8021Q) && p != bpf_htons(ETH_P_8021AD))
			break;
		vh = c->pos;
		if ((void *)(vh + 1) > c->end)
			return -1;
		p = vh->proto;
		c->pos = vh + 1;
	}
	*proto = p;
	return 0;
}

/* ARP requests and replies for a dataplane-owned address. */
static __always_inline enum edge_verdict
edge_classify_arp(struct edge_cursor *c)
{
	struct edge_arp4 *arp = c->pos;
	__u32 tpa;

	if ((void *)(arp + 1) > c->end)
		return EDGE_V_MALFORMED;
	if (arp->hrd != bpf_htons(EDGE_ARPHRD_ETHER) || arp->pro != bpf_htons(ETH_P_IP) ||
		arp->hln != ETH_ALEN || arp->pln != 4)
		return EDGE_V_PASS;
	__builtin_memcpy(&tpa, arp->tpa, sizeof(tpa));
	if (edge_local4_has(tpa))
		return EDGE_V_REDIRECT;
	return EDGE_V_PASS;
}

static __always_inline enum edge_verdict
edge_classify_ipv4(struct edge_cursor *c)
{
	struct iphdr *ip = c->pos;
	struct edge_xdp_lpm4_key deny;

	if ((void *)(ip + 1) > c->end)
		return EDGE_V_MALFORMED;
	if (ip->version != 4 || ip->ihl < 5)
		return EDGE_V_MALFORMED;

	deny.prefixlen = 32;
	deny.addr = ip->saddr;
	if (bpf_map_lookup_elem(&edge_deny4, &deny) != NULL)
		return EDGE_V_DROP_DENY;

	if (edge_local4_has(ip->daddr))
		return EDGE_V_REDIRECT;
	return EDGE_V_PASS;
}

static __always_inline enum edge_verdict
edge_classify_ipv6(struct edge_cursor *c)
{
	struct ipv6hdr *ip6 = c->pos;
	struct edge_nd_ns *ns;

	if ((void *)(ip6 + 1) > c->end)
		return EDGE_V_MALFORMED;
	if (ip6->version != 6)
		return EDGE_V_MALFORMED;

	if (edge_local6_has(ip6->daddr.in6_u.u6_addr8))
		return EDGE_V_REDIRECT;

	/*
	 * Neighbor Solicitations go to the solicited-node multicast group:
	 * match their target instead.  NS carries no extension headers.
	 */
	if (ip6->nexthdr != IPPROTO_ICMPV6)
		return EDGE_V_PASS;
	ns = (void *)(ip6 + 1);
	if ((void *)&ns->type + sizeof(ns->type) > c->end)
		return EDGE_V_MALFORMED;
	if (ns->type != EDGE_ND_NEIGHBOR_SOLICIT)
		return EDGE_V_PASS;
	if ((void *)(ns + 1) > c->end)
		return EDGE_V_MALFORMED;
	if (edge_local6_has(ns->target))
		return EDGE_V_REDIRECT;
	return EDGE_V_PASS;
}

static __always_inline enum edge_verdict
edge_classify(struct xdp_md *ctx)
{
	struct edge_cursor c;
	__be16 proto;

	c.pos = (void *)(long)ctx->data;
	c.end = (void *)(long)ctx->data_end;
	if (edge_parse_eth(&c, &proto) < 0)
		return EDGE_V_MALFORMED;

	switch (proto) {
	case bpf_htons(ETH_P_ARP):
		return edge_classify_arp(&c);
	case bpf_htons(ETH_P_IP):
		return edge_classify_ipv4(&c);
	case bpf_htons(ETH_P_IPV6):
		return edge_classify_ipv6(&c);
	default:
		return EDGE_V_PASS;
	}
}

SEC("xdp")
int
edge_xdp(struct xdp_md *ctx)
{
	long action;

	switch (edge_classify(ctx)) {
	case EDGE_V_REDIRECT:
		/* Without a socket at this index the helper returns XDP_ABORTED. */
		action = bpf_redirect_map(&xsks_map, ctx->rx_queue_index, 0);
		if (action == XDP_REDIRECT) {
			edge_count(EDGE_XDP_STAT_REDIRECT);
			return XDP_REDIRECT;
		}
		edge_count(EDGE_XDP_STAT_NO_SOCKET);
		return XDP_DROP;
	case EDGE_V_DROP_DENY:
		edge_count(EDGE_XDP_STAT_DROP_DENY);
		return XDP_DROP;
	case EDGE_V_MALFORMED:
		edge_count(EDGE_XDP_STAT_MALFORMED);
		return XDP_PASS;
	case EDGE_V_PASS:
	default:
		edge_count(EDGE_XDP_STAT_PASS);
		return XDP_PASS;
	}
}
