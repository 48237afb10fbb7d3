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
 * Packets for the dataplane: those to an address it owns (edge_local4/6),
 * ARP/ND for one, and those from a real server (edge_rs4/6) that are not
 * for the kernel itself: in nat mode a real server answers the client,
 * an address nobody here owns, and only the dataplane can translate the
 * reply back.
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
/* ICMP errors (<linux/icmp.h> pulls in libc headers the BPF target lacks). */
#define EDGE_ICMP_DEST_UNREACH 3
#define EDGE_ICMP_TIME_EXCEEDED 11
#define EDGE_ICMP_PARAMETERPROB 12
/* ICMPv6 errors: destination unreachable .. parameter problem (RFC 4443). */
#define EDGE_ICMP6_ERR_FIRST 1
#define EDGE_ICMP6_ERR_LAST 4
/* The BPF target has no <sys/socket.h>. */
#define EDGE_AF_INET 2
#define EDGE_AF_INET6 10
/* IPv4 fragment bits: more fragments, offset. */
#define EDGE_IP_FRAG_MASK 0x3fff

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

/* Real servers' IPv4 addresses (network order) -> EDGE_XDP_RS_* flags. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, EDGE_XDP_RS_MAX);
	__type(key, __u32);
	__type(value, __u32);
} edge_rs4 SEC(".maps");

/* Real servers' IPv6 addresses -> EDGE_XDP_RS_* flags. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, EDGE_XDP_RS_MAX);
	__type(key, struct edge_xdp_addr6);
	__type(value, __u32);
} edge_rs6 SEC(".maps");

enum edge_verdict {
	EDGE_V_PASS,	    /* to the kernel */
	EDGE_V_REDIRECT,    /* to the queue's AF_XDP socket */
	EDGE_V_DROP_DENY,   /* source in edge_deny4 */
	EDGE_V_MALFORMED,   /* truncated headers: to the kernel */
	EDGE_V_RS_REDIRECT, /* a real server's, not for the kernel: AF_XDP socket */
	EDGE_V_RS_LOCAL,    /* a real server's, for the kernel itself */
	EDGE_V_RS_UNSURE,   /* internal: the FIB could not tell (forwarding off) */
};

/* What the real-server checks need of a packet, from either family. */
struct edge_rs_pkt {
	__u8 proto;
	__be16 sport, dport; /* 0 for ICMP */
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

static __always_inline int
edge_rs6_has(const __u8 *addr)
{
	struct edge_xdp_addr6 key;

	__builtin_memcpy(key.addr, addr, sizeof(key.addr));
	return bpf_map_lookup_elem(&edge_rs6, &key) != NULL;
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

/*
 * The L4 protocol and ports of a real server's packet at l4: TCP and UDP
 * (the load balancer's), ICMP errors (which the dataplane translates for
 * its connections).  EDGE_V_PASS for anything else, which is none of the
 * dataplane's business.
 */
static __always_inline enum edge_verdict
edge_rs_l4(struct edge_cursor *c, void *l4, __u8 proto, struct edge_rs_pkt *rp)
{
	__be16 *ports = l4;
	__u8 *type = l4;

	rp->proto = proto;
	rp->sport = 0;
	rp->dport = 0;
	switch (proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
		if ((void *)(ports + 2) > c->end)
			return EDGE_V_MALFORMED;
		rp->sport = ports[0];
		rp->dport = ports[1];
		return EDGE_V_RS_REDIRECT;
	case IPPROTO_ICMP:
		if ((void *)(type + 1) > c->end)
			return EDGE_V_MALFORMED;
		if (*type == EDGE_ICMP_DEST_UNREACH || *type == EDGE_ICMP_TIME_EXCEEDED ||
			*type == EDGE_ICMP_PARAMETERPROB)
			return EDGE_V_RS_REDIRECT;
		return EDGE_V_PASS;
	case IPPROTO_ICMPV6:
		if ((void *)(type + 1) > c->end)
			return EDGE_V_MALFORMED;
		if (*type >= EDGE_ICMP6_ERR_FIRST && *type <= EDGE_ICMP6_ERR_LAST)
			return EDGE_V_RS_REDIRECT;
		return EDGE_V_PASS;
	default:
		return EDGE_V_PASS;
	}
}

/*
 * Is a real server's packet for the kernel itself?  The kernel's FIB,
 * asked as for a packet arriving on this interface, says so: it does not
 * forward what it delivers locally (NOT_FWDED, also for broadcast and
 * multicast).  Whatever else it answers -- a route, no route, no
 * neighbour -- the packet is not the kernel's, and the dataplane routes
 * by its own table anyway.  With forwarding off on the interface (a box
 * that is no router) the FIB answers nothing useful: EDGE_V_RS_UNSURE.
 */
static __always_inline enum edge_verdict
edge_rs_fib(struct xdp_md *ctx, struct bpf_fib_lookup *fib)
{
	long rc;

	fib->ifindex = ctx->ingress_ifindex;
	rc = bpf_fib_lookup(ctx, fib, sizeof(*fib), 0);
	if (rc == BPF_FIB_LKUP_RET_NOT_FWDED)
		return EDGE_V_RS_LOCAL;
	if (rc == BPF_FIB_LKUP_RET_FWD_DISABLED)
		return EDGE_V_RS_UNSURE;
	return EDGE_V_RS_REDIRECT;
}

/*
 * When the FIB cannot tell: the packet is the kernel's if a kernel socket
 * bound to its destination address takes it -- a connection the kernel
 * opened (a health check), a listener or UDP socket on that very
 * address.  A socket bound to the wildcard address matches any
 * destination, the client of a nat reply included, so it proves nothing.
 * ICMP errors have no ports to look up: they go to the dataplane.  Full
 * sockets only (bpf_sk_lookup_*): the verifier will not let one load read
 * both a full and a time-wait socket, and a time-wait socket needs no
 * more than the retransmitted FIN it would miss.
 */
static __always_inline int
edge_rs_kernel_sock(struct xdp_md *ctx, struct bpf_sock_tuple *t, __u32 len, __u8 proto, int v6)
{
	struct bpf_sock *sk;
	int bound;

	if (proto == IPPROTO_TCP)
		sk = bpf_sk_lookup_tcp(ctx, t, len, BPF_F_CURRENT_NETNS, 0);
	else if (proto == IPPROTO_UDP)
		sk = bpf_sk_lookup_udp(ctx, t, len, BPF_F_CURRENT_NETNS, 0);
	else
		return 0;
	if (sk == NULL)
		return 0;
	if (v6)
		bound = (sk->src_ip6[0] | sk->src_ip6[1] | sk->src_ip6[2] | sk->src_ip6[3]) != 0;
	else
		bound = sk->src_ip4 != 0;
	bpf_sk_release(sk);
	return bound;
}

/* A packet from a real server (IPv4): the dataplane's or the kernel's? */
static __always_inline enum edge_verdict
edge_classify_rs4(struct xdp_md *ctx, struct edge_cursor *c, struct iphdr *ip)
{
	struct bpf_fib_lookup fib;
	struct bpf_sock_tuple t;
	struct edge_rs_pkt rp;
	enum edge_verdict v;

	/*
	 * Fragments carry no ports (and the dataplane does not reassemble);
	 * a reply to a client is never broadcast or multicast.
	 */
	if (ip->frag_off & bpf_htons(EDGE_IP_FRAG_MASK))
		return EDGE_V_PASS;
	if ((bpf_ntohl(ip->daddr) >> 28) >= 0xe)
		return EDGE_V_PASS;
	v = edge_rs_l4(c, (void *)ip + ip->ihl * 4, ip->protocol, &rp);
	if (v != EDGE_V_RS_REDIRECT)
		return v;

	__builtin_memset(&fib, 0, sizeof(fib));
	fib.family = EDGE_AF_INET;
	fib.l4_protocol = rp.proto;
	fib.sport = rp.sport;
	fib.dport = rp.dport;
	fib.tot_len = bpf_ntohs(ip->tot_len);
	fib.tos = ip->tos;
	fib.ipv4_src = ip->saddr;
	fib.ipv4_dst = ip->daddr;
	v = edge_rs_fib(ctx, &fib);
	if (v != EDGE_V_RS_UNSURE)
		return v;

	__builtin_memset(&t, 0, sizeof(t));
	t.ipv4.saddr = ip->saddr;
	t.ipv4.daddr = ip->daddr;
	t.ipv4.sport = rp.sport;
	t.ipv4.dport = rp.dport;
	if (edge_rs_kernel_sock(ctx, &t, sizeof(t.ipv4), rp.proto, 0))
		return EDGE_V_RS_LOCAL;
	return EDGE_V_RS_REDIRECT;
}

static __always_inline enum edge_verdict
edge_classify_ipv4(struct xdp_md *ctx, struct edge_cursor *c)
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
	if (bpf_map_lookup_elem(&edge_rs4, &ip->saddr) != NULL)
		return edge_classify_rs4(ctx, c, ip);
	return EDGE_V_PASS;
}

/*
 * A packet from a real server (IPv6).  Only an upper-layer header right
 * after the fixed header is looked at: with extension headers (fragments
 * among them) the packet goes to the kernel, as for IPv4 fragments.
 */
static __always_inline enum edge_verdict
edge_classify_rs6(struct xdp_md *ctx, struct edge_cursor *c, struct ipv6hdr *ip6)
{
	struct bpf_fib_lookup fib;
	struct bpf_sock_tuple t;
	struct edge_rs_pkt rp;
	enum edge_verdict v;

	if (ip6->daddr.in6_u.u6_addr8[0] == 0xff)
		return EDGE_V_PASS; /* multicast */
	v = edge_rs_l4(c, ip6 + 1, ip6->nexthdr, &rp);
	if (v != EDGE_V_RS_REDIRECT)
		return v;

	__builtin_memset(&fib, 0, sizeof(fib));
	fib.family = EDGE_AF_INET6;
	fib.l4_protocol = rp.proto;
	fib.sport = rp.sport;
	fib.dport = rp.dport;
	fib.tot_len = bpf_ntohs(ip6->payload_len) + sizeof(*ip6);
	fib.flowinfo = *(__be32 *)ip6 & bpf_htonl(0x0fffffff);
	__builtin_memcpy(fib.ipv6_src, &ip6->saddr, 16);
	__builtin_memcpy(fib.ipv6_dst, &ip6->daddr, 16);
	v = edge_rs_fib(ctx, &fib);
	if (v != EDGE_V_RS_UNSURE)
		return v;

	__builtin_memset(&t, 0, sizeof(t));
	__builtin_memcpy(t.ipv6.saddr, &ip6->saddr, 16);
	__builtin_memcpy(t.ipv6.daddr, &ip6->daddr, 16);
	t.ipv6.sport = rp.sport;
	t.ipv6.dport = rp.dport;
	if (edge_rs_kernel_sock(ctx, &t, sizeof(t.ipv6), rp.proto, 1))
		return EDGE_V_RS_LOCAL;
	return EDGE_V_RS_REDIRECT;
}

static __always_inline enum edge_verdict
edge_classify_ipv6(struct xdp_md *ctx, struct edge_cursor *c)
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
	 * Checked before the real servers: they resolve VIPs too.
	 */
	if (ip6->nexthdr == IPPROTO_ICMPV6) {
		ns = (void *)(ip6 + 1);
		if ((void *)&ns->type + sizeof(ns->type) > c->end)
			return EDGE_V_MALFORMED;
		if (ns->type == EDGE_ND_NEIGHBOR_SOLICIT) {
			if ((void *)(ns + 1) > c->end)
				return EDGE_V_MALFORMED;
			if (edge_local6_has(ns->target))
				return EDGE_V_REDIRECT;
			return EDGE_V_PASS;
		}
	}
	if (edge_rs6_has(ip6->saddr.in6_u.u6_addr8))
		return edge_classify_rs6(ctx, c, ip6);
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
		return edge_classify_ipv4(ctx, &c);
	case bpf_htons(ETH_P_IPV6):
		return edge_classify_ipv6(ctx, &c);
	default:
		return EDGE_V_PASS;
	}
}

SEC("xdp")
int
edge_xdp(struct xdp_md *ctx)
{
	enum edge_verdict v;
	long action;

	v = edge_classify(ctx);
	switch (v) {
	case EDGE_V_REDIRECT:
	case EDGE_V_RS_REDIRECT:
		/* Without a socket at this index the helper returns XDP_ABORTED. */
		action = bpf_redirect_map(&xsks_map, ctx->rx_queue_index, 0);
		if (action == XDP_REDIRECT) {
			edge_count(v == EDGE_V_REDIRECT ? EDGE_XDP_STAT_REDIRECT
							: EDGE_XDP_STAT_RS_REDIRECT);
			return XDP_REDIRECT;
		}
		edge_count(EDGE_XDP_STAT_NO_SOCKET);
		return XDP_DROP;
	case EDGE_V_RS_LOCAL:
		edge_count(EDGE_XDP_STAT_RS_LOCAL);
		return XDP_PASS;
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
