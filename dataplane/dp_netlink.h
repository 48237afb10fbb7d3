/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rtnetlink for the main lcore: the kernel's neighbour table (xdp mode
 * learns next hops from it and asks it to resolve unknown ones with
 * managed neighbour entries) and interface set-up for the exception
 * path's tap (MAC, addresses, link up).  Never used by workers.
 */
#ifndef EP_DP_NETLINK_H
#define EP_DP_NETLINK_H

#include <stdint.h>

#include "pkt_addr.h"

/* Called for every neighbour add/change/delete seen (dump or event). */
typedef void (*dp_nl_neigh_cb)(
	void *arg, int ifindex, const struct pkt_addr *addr, const uint8_t mac[6], int reachable);
/* reachable: 1 = usable MAC (NUD_REACHABLE/STALE/DELAY/PROBE/PERMANENT/NOARP),
 *            0 = gone or failed (delete, NUD_FAILED, NUD_INCOMPLETE) -- mac is NULL. */

/* Non-blocking NETLINK_ROUTE socket subscribed to neighbour events. fd or -errno. */
int dp_nl_neigh_open(void);
/* Ask for a dump of ifindex's neighbours (replies arrive through dp_nl_neigh_recv). */
int dp_nl_neigh_dump(int fd);
/* Drain pending messages without blocking, calling cb for each neighbour.
 * Number of neighbours reported, or -errno.  Lost events (ENOBUFS) start
 * a new dump by themselves. */
int dp_nl_neigh_recv(int fd, dp_nl_neigh_cb cb, void *arg);
/* Ask the kernel to resolve addr on ifindex (managed neighbour, NTF_EXT_MANAGED).
 * The request is synchronous on a private socket (0 or -errno; an entry the
 * kernel already has is revalidated with NTF_USE and counts as success); the
 * outcome arrives on fd as neighbour events. */
int dp_nl_neigh_resolve(int fd, int ifindex, const struct pkt_addr *addr);

/* Blocking one-shot requests on a private socket. 0 or -errno. */
int dp_nl_link_set_mac(int ifindex, const uint8_t mac[6]);
int dp_nl_link_set_up(int ifindex);
/* -EEXIST if already there.  IPv6 addresses skip DAD (IFA_F_NODAD): the
 * dataplane is their authority, and kernel sockets can bind them at once. */
int dp_nl_addr_add(int ifindex, const struct pkt_addr *addr, unsigned int prefix_len);
/* 1 if the kernel has addr configured on ifindex, 0 if not, -errno on error. */
int dp_nl_addr_present(int ifindex, const struct pkt_addr *addr);

#endif /* EP_DP_NETLINK_H */
