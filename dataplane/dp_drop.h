/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Every reason the dataplane drops a packet, from one list.  The enum,
 * the names shown by telemetry and edgectl, and the per-worker counters
 * are all generated from it; packet-parse failures are appended from
 * lib/pkt's own list so a malformed frame is counted under the exact
 * check it failed.
 */
#ifndef EP_DP_DROP_H
#define EP_DP_DROP_H

#include "pkt.h"

#define DP_DROP_REASONS(X)                                                                      \
	X(L2_NOT_OURS, "l2_not_ours") /* unicast MAC of another host */                         \
	X(UNKNOWN_ETHERTYPE, "unknown_ethertype")                                               \
	X(ARP_NOT_OURS, "arp_not_ours") /* ARP for an address we do not own */                  \
	X(ARP_OP, "arp_unsupported_op")                                                         \
	X(NOT_LOCAL, "not_local") /* IP for no address here: never forwarded */                 \
	X(IPV4_CSUM, "ipv4_bad_checksum")                                                       \
	X(ICMP_CSUM, "icmp_bad_checksum")                                                       \
	X(ECHO_ADDRESS, "echo_bad_address") /* broadcast/multicast source or L2 destination */  \
	X(IPV4_OPTIONS, "ipv4_options_refused")                                                 \
	X(VLAN, "vlan_not_configured")		/* tagged frames: no VLAN is configured */      \
	X(MULTISEG, "multi_segment")		/* replies are built in one segment */          \
	X(FRAGMENT, "fragment_to_dataplane")	/* no reassembly in the fast path */            \
	X(NO_LOCAL_SERVICE, "no_local_service") /* xdp mode: owned address, nothing listens */  \
	X(ND_BAD, "nd_bad")                                                                     \
	X(NO_ROUTE, "no_route")                                                                 \
	X(NEIGH_QUEUE_FULL, "neigh_queue_full") /* waiting-for-resolution queue full */         \
	X(NEIGH_UNRESOLVED, "neigh_unresolved") /* next hop never answered */                   \
	X(HANDOFF_FULL, "handoff_ring_full")                                                    \
	X(SLOWPATH_FULL, "slowpath_ring_full")                                                  \
	X(EXCEPTION_TX, "exception_tx_failed") /* the tap refused it */                         \
	X(TX_FULL, "tx_full")                                                                   \
	X(TX_RING_FULL, "tx_ring_full") /* ring to the worker owning the TX queue */            \
	X(NO_TX_QUEUE, "no_tx_queue")                                                           \
	X(VIP_NO_SERVICE, "vip_no_service") /* a VIP or SNAT address, no service there */       \
	X(LB_NO_CONN, "lb_no_connection")   /* TCP to a service: not a SYN, no connection */    \
	X(LB_NO_SERVER, "lb_no_server")	    /* no real server up */                             \
	X(LB_TABLE_FULL, "lb_table_full")   /* connection table full: new connection refused */ \
	X(LB_SNAT_EXHAUSTED, "lb_snat_exhausted")                                               \
	X(LB_TUPLE_IN_USE, "lb_tuple_in_use") /* same client port, same server, other VIP */    \
	X(TTL_EXCEEDED, "ttl_exceeded")                                                         \
	X(LB_ICMP_UNMATCHED, "icmp_error_unmatched") /* quotes no tracked connection */

/* clang-format off */
enum dp_drop {
#define DP_X_ENUM(e, s) DP_DROP_##e,
	DP_DROP_REASONS(DP_X_ENUM)
#undef DP_X_ENUM
	DP_DROP_PARSE_BASE,
	DP_DROP_MAX = DP_DROP_PARSE_BASE + PKT_E_MAX,
};
/* clang-format on */

/* Name of a drop reason; parse failures are named "parse_<lib/pkt name>". */
const char *dp_drop_name(unsigned int reason);

/* Drop index for a pkt_parse() error. */
static inline unsigned int
dp_drop_parse(int err)
{
	return DP_DROP_PARSE_BASE + (unsigned int)err;
}

#endif /* EP_DP_DROP_H */
