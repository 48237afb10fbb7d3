/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What Edgeplane's XDP program (edge_xdp.bpf.c) and the dataplane
 * (dp_xdp.c) agree on: the program and map names, the map sizes and key
 * layouts, the flag values stored in the address maps and the counters.
 *
 * Included from BPF C and from userspace C, so it uses <linux/types.h>
 * only.
 */
#ifndef EP_EDGE_XDP_H
#define EP_EDGE_XDP_H

#include <linux/types.h>

/*
 * The program's name identifies an Edgeplane program on an interface.
 * The kernel keeps BPF_OBJ_NAME_LEN - 1 = 15 characters of it.
 */
#define EDGE_XDP_PROG_NAME "edge_xdp"

/* Map names (also at most 15 characters). */
#define EDGE_XDP_MAP_XSKS "xsks_map" /* the name net_af_xdp looks up */
#define EDGE_XDP_MAP_LOCAL4 "edge_local4"
#define EDGE_XDP_MAP_LOCAL6 "edge_local6"
#define EDGE_XDP_MAP_STATS "edge_stats"
#define EDGE_XDP_MAP_DENY4 "edge_deny4"
#define EDGE_XDP_MAP_RS4 "edge_rs4"
#define EDGE_XDP_MAP_RS6 "edge_rs6"

/* Map sizes. */
#define EDGE_XDP_XSKS_MAX 64
#define EDGE_XDP_LOCAL_MAX 1024
#define EDGE_XDP_DENY_MAX 1024
#define EDGE_XDP_RS_MAX 4096 /* at least the dataplane's real servers over all services */

/*
 * Values of edge_local4/edge_local6 (a bit set): why the address is the
 * dataplane's.  Any entry present makes the program redirect traffic to
 * the address, and ARP requests / neighbour solicitations for it, to the
 * queue's AF_XDP socket.
 */
#define EDGE_XDP_ADDR_LOCAL (1u << 0) /* an `address =` of an xdp port */
#define EDGE_XDP_ADDR_VIP (1u << 1)   /* a virtual service address */

/*
 * Values of edge_rs4/edge_rs6, keyed by a real server's address: why its
 * packets may be the dataplane's.  A real server's TCP/UDP packets (and
 * ICMP errors) are redirected unless they are for the kernel itself.
 */
#define EDGE_XDP_RS_NAT (1u << 0) /* of a nat service: its replies go to the client */

/* Key of edge_local6 and edge_rs6: an IPv6 address as it appears on the wire. */
struct edge_xdp_addr6 {
	__u8 addr[16];
};

/* Key of edge_deny4 (BPF_MAP_TYPE_LPM_TRIE). */
struct edge_xdp_lpm4_key {
	__u32 prefixlen; /* 0..32 */
	__u32 addr;	 /* network byte order */
};

/*
 * Counters, one slot each in the per-CPU array edge_stats.  Every packet
 * the program sees is counted exactly once:
 *   redirect     for a dataplane address (or ARP/ND for one): sent to the
 *                AF_XDP socket of its RX queue
 *   pass         handed to the kernel
 *   drop_deny    source address in edge_deny4
 *   no_socket    meant for the dataplane but its queue has no AF_XDP
 *                socket: dropped (never a silent loss)
 *   malformed    headers cut short: handed to the kernel, which decides
 *   rs_redirect  from a real server (edge_rs4/6), not for the kernel (a
 *                nat reply to a client): sent to the AF_XDP socket
 *   rs_local     from a real server to the kernel itself (health-check
 *                replies): handed to the kernel
 * New counters go at the end: older programs have fewer slots.
 */
#define EDGE_XDP_STATS(X)             \
	X(REDIRECT, "redirect")       \
	X(PASS, "pass")               \
	X(DROP_DENY, "drop_deny")     \
	X(NO_SOCKET, "no_socket")     \
	X(MALFORMED, "malformed")     \
	X(RS_REDIRECT, "rs_redirect") \
	X(RS_LOCAL, "rs_local")

enum edge_xdp_stat {
#define EDGE_XDP_STAT_ENUM(id, name) EDGE_XDP_STAT_##id,
	EDGE_XDP_STATS(EDGE_XDP_STAT_ENUM)
#undef EDGE_XDP_STAT_ENUM
		EDGE_XDP_STAT_MAX
};

#ifndef __bpf__
/* Name of a counter for telemetry and logs ("?" when out of range). */
static inline const char *
edge_xdp_stat_name(unsigned int s)
{
	switch (s) {
#define EDGE_XDP_STAT_CASE(id, name) \
	case EDGE_XDP_STAT_##id:     \
		return name;
		EDGE_XDP_STATS(EDGE_XDP_STAT_CASE)
#undef EDGE_XDP_STAT_CASE
	default:
		return "?";
	}
}
#endif

#endif /* EP_EDGE_XDP_H */
