/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Next-hop MAC addresses, per port.
 *
 * One writer (the main lcore), lock-free readers (workers): an rte_hash
 * with RW_CONCURRENCY_LF whose data is an index into a preallocated
 * array of entries; an entry's MAC and valid bit live in one 64-bit word
 * written atomically.  Entries come from static `neighbor =` lines, from
 * ARP/ND that targets our addresses, and in xdp mode from the kernel's
 * table over netlink.  Packets whose next hop is unknown wait in a small
 * bounded queue on the main lcore while it resolves (ARP/NS in pmd mode,
 * a managed kernel neighbour in xdp mode).
 */
#ifndef EP_DP_NEIGH_H
#define EP_DP_NEIGH_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "pkt_addr.h"

#define DP_NEIGH_MAX 4096
#define DP_NEIGH_HOLD 8 /* packets held per unresolved next hop */
#define DP_NEIGH_HOLD_TOTAL 256
#define DP_NEIGH_RETRIES 3
#define DP_NEIGH_RETRY_MS 1000

struct dp;
struct dp_neigh;

int dp_neigh_create(struct dp *dp);
void dp_neigh_free(struct dp *dp);

/* Workers: 0 with *mac filled, or -ENOENT. */
int dp_neigh_lookup(const struct dp_neigh *n, unsigned int pidx, const struct pkt_addr *a,
	struct rte_ether_addr *mac);

/*
 * A worker's small cache of where its next hops live in the table, so
 * the per-packet lookup is a compare and one atomic load instead of a
 * hash lookup.  An entry keeps the slot's MAC and is valid while the
 * slot's generation is unchanged: the main lcore moves it on whenever the
 * MAC, its validity or the key changes.
 */
#define DP_NEIGH_CACHE 256 /* power of two */
struct dp_neigh_cached {
	struct pkt_addr addr;
	uint64_t mac; /* the slot's MAC word as of gen */
	uint32_t pos, gen;
	uint16_t pidx;
	bool used;
};
struct dp_neigh_cache {
	struct dp_neigh_cached e[DP_NEIGH_CACHE];
};
/* Workers: as dp_neigh_lookup, through the worker's cache c. */
int dp_neigh_lookup_cached(const struct dp_neigh *n, struct dp_neigh_cache *c, unsigned int pidx,
	const struct pkt_addr *a, struct rte_ether_addr *mac);

/* Workers: would the main lcore want to hear that a is at mac?  (No
 * entry, another MAC, or the entry is being probed.) */
bool dp_neigh_wants(const struct dp_neigh *n, unsigned int pidx, const struct pkt_addr *a,
	const uint8_t mac[6]);

/* Main lcore. */
int dp_neigh_learn(struct dp *dp, unsigned int pidx, const struct pkt_addr *a, const uint8_t mac[6],
	bool is_static);
/* An announcement (gratuitous ARP, unsolicited NA): update an entry we have. */
int dp_neigh_refresh(
	struct dp *dp, unsigned int pidx, const struct pkt_addr *a, const uint8_t mac[6]);
void dp_neigh_forget(struct dp *dp, unsigned int pidx, const struct pkt_addr *a);
/* m is an IP frame for port (m->port, a DPDK port id) whose next hop is unknown. */
void dp_neigh_hold(struct dp *dp, struct rte_mbuf *m);
/* Retries and give-ups; call every ~100 ms. */
void dp_neigh_tick(struct dp *dp);
/* Netlink: open the neighbour socket if any port is in xdp mode; fd or -1. */
int dp_neigh_netlink_fd(struct dp *dp);
void dp_neigh_netlink_input(struct dp *dp);

/* Every entry, for diagnostics (mac NULL: not resolved yet). */
typedef void (*dp_neigh_walk_cb)(
	void *arg, unsigned int pidx, const struct pkt_addr *a, const uint8_t *mac, bool is_static);
int dp_neigh_walk(const struct dp *dp, dp_neigh_walk_cb cb, void *arg);

/* Counters for telemetry. */
struct dp_neigh_stats {
	uint64_t entries;
	uint64_t learned;
	uint64_t requests; /* ARP/NS sent or kernel asked */
	uint64_t held;
	uint64_t released;
	uint64_t hold_drops;
	uint64_t unresolved;
	uint64_t probes; /* probes of aging entries (pmd ports) */
	uint64_t aged;	 /* entries removed after unanswered probes */
};
void dp_neigh_get_stats(const struct dp *dp, struct dp_neigh_stats *st);

#endif /* EP_DP_NEIGH_H */
