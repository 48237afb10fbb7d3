/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the classifier decided for one packet: a kind and its argument,
 * packed in 32 bits so a burst of verdicts is one small array.
 */
#ifndef EP_DP_VERDICT_H
#define EP_DP_VERDICT_H

#include <stdint.h>

enum dp_verdict_kind {
	DP_V_DROP = 0, /* arg: enum dp_drop */
	DP_V_TX,       /* arg: index of the output port; the frame is ready */
	DP_V_PUNT,     /* arg: index of the port whose exception path takes it */
	DP_V_MAIN,     /* the main lcore finishes it (next hop unresolved) */
	DP_V_DONE,     /* consumed (e.g. an ARP reply learned from): free, not a drop */
	DP_V_HANDOFF,  /* arg: the worker that owns the flow */
	DP_V_LOCAL,    /* for an address we own: dp_local_input acts on it */
	DP_V_LB,       /* load balancer: arg = service id, or DP_V_LB_REPLY */
};

#define DP_V_LB_REPLY 0xffffffu /* maybe a real server's reply (no service) */
#define DP_V_LB_ICMP 0xfffffeu	/* an ICMP error that may quote a connection */

#define DP_VERDICT(kind, arg) (((uint32_t)(kind) << 24) | ((uint32_t)(arg)&0xffffff))
#define DP_VERDICT_KIND(v) ((v) >> 24)
#define DP_VERDICT_ARG(v) ((v)&0xffffff)
#define DP_DROP_V(reason) DP_VERDICT(DP_V_DROP, reason)

#endif /* EP_DP_VERDICT_H */
