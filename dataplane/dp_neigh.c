/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Next-hop table: see dp_neigh.h for the concurrency rules.
 *
 * Keys are deleted by the main lcore only (next hops that never answered,
 * neighbours that stopped answering probes); the hash defers reusing a
 * deleted key's slot, and so its index into mac[], until every worker has
 * passed a quiescent point (RCU, RTE_HASH_QSBR_MODE_DQ).  The telemetry
 * walk is not an RCU reader: it may print an entry being replaced, never
 * read freed memory.
 */
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_ip.h>
#include <rte_log.h>
#include <rte_malloc.h>

#include "dp.h"
#include "dp_neigh.h"
#include "dp_netlink.h"
#include "pkt.h"
#include "pkt_csum.h"

#define MAC_VALID (1ULL << 63)
#define MAC_PROBING (1ULL << 62) /* being probed: workers pass confirmations on */

struct neigh_key {
	uint16_t pidx;
	uint8_t family;
	uint8_t pad;
	uint8_t addr[16];
};

/* Main lcore only: packets waiting for this entry to resolve. */
struct neigh_hold {
	uint16_t n;
	uint8_t tries;
	uint64_t next_tsc;
	struct rte_mbuf *pkts[DP_NEIGH_HOLD];
};

struct dp_neigh {
	struct rte_hash *h;
	uint64_t *mac;	    /* [DP_NEIGH_MAX], MAC_VALID | mac48; atomic */
	uint32_t *gen;	    /* [DP_NEIGH_MAX], bumped when the slot's key is deleted */
	uint64_t *seen_tsc; /* main lcore only: when the entry was last confirmed */
	bool *is_static;
	struct neigh_hold *hold; /* main lcore only */
	unsigned int held_total;
	int nl_fd;
	struct dp_neigh_stats st;
};

/* The MAC of a table word (mac_pack() put byte i at bits 8i). */
static inline void
mac_unpack(uint64_t v, struct rte_ether_addr *mac)
{
#if RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN
	memcpy(mac->addr_bytes, &v, 6); /* in memory, the MAC itself */
#else
	for (unsigned int b = 0; b < 6; b++)
		mac->addr_bytes[b] = (uint8_t)(v >> (8 * b));
#endif
}

/*
 * Workers' caches of slot pos (dp_neigh_lookup_cached) hold its MAC;
 * every change of the MAC or its validity, and the key's deletion, moves
 * the slot's generation on so they refetch.
 */
static inline void
gen_bump(struct dp_neigh *n, int32_t pos)
{
	__atomic_store_n(&n->gen[pos], n->gen[pos] + 1, __ATOMIC_RELEASE);
}

static void
make_key(struct neigh_key *k, unsigned int pidx, const struct pkt_addr *a)
{
	memset(k, 0, sizeof(*k));
	k->pidx = (uint16_t)pidx;
	k->family = a->family;
	if (a->family == AF_INET)
		memcpy(k->addr, &a->v4, 4);
	else
		memcpy(k->addr, a->v6, 16);
}

static void
key_addr(const struct neigh_key *k, struct pkt_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->family = k->family;
	if (k->family == AF_INET)
		memcpy(&a->v4, k->addr, 4);
	else
		memcpy(a->v6, k->addr, 16);
}

static uint64_t
mac_pack(const uint8_t mac[6])
{
	uint64_t v = 0;
	unsigned int i;

	for (i = 0; i < 6; i++)
		v |= (uint64_t)mac[i] << (8 * i);
	return v | MAC_VALID;
}

int
dp_neigh_create(struct dp *dp)
{
	struct rte_hash_parameters hp = {
		.name = "ep_neigh",
		.entries = DP_NEIGH_MAX,
		.key_len = sizeof(struct neigh_key),
		.hash_func = rte_hash_crc,
		.socket_id = (int)rte_socket_id(),
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF,
	};
	struct dp_neigh *n = rte_zmalloc("ep_neigh", sizeof(*n), RTE_CACHE_LINE_SIZE);
	struct rte_hash_rcu_config rcu;

	memset(&rcu, 0, sizeof(rcu));
	if (n == NULL)
		return -ENOMEM;
	n->nl_fd = -1;
	n->h = rte_hash_create(&hp);
	n->mac = rte_zmalloc("ep_neigh_mac", sizeof(uint64_t) * DP_NEIGH_MAX, RTE_CACHE_LINE_SIZE);
	n->gen = rte_zmalloc("ep_neigh_gen", sizeof(uint32_t) * DP_NEIGH_MAX, RTE_CACHE_LINE_SIZE);
	n->is_static = rte_zmalloc("ep_neigh_static", sizeof(bool) * DP_NEIGH_MAX, 0);
	n->seen_tsc = rte_zmalloc("ep_neigh_seen", sizeof(uint64_t) * DP_NEIGH_MAX, 0);
	n->hold = rte_zmalloc("ep_neigh_hold", sizeof(struct neigh_hold) * DP_NEIGH_MAX, 0);
	dp->neigh = n;
	if (n->h == NULL || n->mac == NULL || n->gen == NULL || n->is_static == NULL ||
		n->seen_tsc == NULL || n->hold == NULL)
		return -ENOMEM;
	/* A deleted key's slot (and so its index into mac[]) is reused only
	 * after every worker has passed a quiescent point. */
	rcu.v = dp->qsbr;
	rcu.mode = RTE_HASH_QSBR_MODE_DQ;
	if (rte_hash_rcu_qsbr_add(n->h, &rcu) != 0)
		return -ENOMEM;
	return 0;
}

void
dp_neigh_free(struct dp *dp)
{
	struct dp_neigh *n = dp->neigh;
	unsigned int i, j;

	if (n == NULL)
		return;
	if (n->hold != NULL)
		for (i = 0; i < DP_NEIGH_MAX; i++)
			for (j = 0; j < n->hold[i].n; j++)
				rte_pktmbuf_free(n->hold[i].pkts[j]);
	if (n->nl_fd >= 0)
		close(n->nl_fd);
	rte_hash_free(n->h);
	rte_free(n->mac);
	rte_free(n->gen);
	rte_free(n->is_static);
	rte_free(n->seen_tsc);
	rte_free(n->hold);
	rte_free(n);
	dp->neigh = NULL;
}

/* The table slot of (pidx, a), or a negative errno. */
static inline int
slot_find(const struct dp_neigh *n, unsigned int pidx, const struct pkt_addr *a)
{
	struct neigh_key k;

	make_key(&k, pidx, a);
	return rte_hash_lookup(n->h, &k);
}

bool
dp_neigh_wants(
	const struct dp_neigh *n, unsigned int pidx, const struct pkt_addr *a, const uint8_t mac[6])
{
	int pos = slot_find(n, pidx, a);
	uint64_t v;

	if (pos < 0)
		return true;
	v = __atomic_load_n(&n->mac[pos], __ATOMIC_ACQUIRE);
	return !(v & MAC_VALID) || (v & MAC_PROBING) ||
		(v & ((1ULL << 48) - 1)) != (mac_pack(mac) & ((1ULL << 48) - 1));
}

int
dp_neigh_lookup(const struct dp_neigh *n, unsigned int pidx, const struct pkt_addr *a,
	struct rte_ether_addr *mac)
{
	int pos = slot_find(n, pidx, a);
	uint64_t v;

	if (pos < 0)
		return -ENOENT;
	v = __atomic_load_n(&n->mac[pos], __ATOMIC_ACQUIRE);
	if (!(v & MAC_VALID))
		return -ENOENT;
	mac_unpack(v, mac);
	return 0;
}

int
dp_neigh_lookup_cached(const struct dp_neigh *n, struct dp_neigh_cache *c, unsigned int pidx,
	const struct pkt_addr *a, struct rte_ether_addr *mac)
{
	struct dp_neigh_cached *e;
	uint32_t h;
	uint64_t v;
	int pos;

	if (a->family == AF_INET) {
		h = a->v4 * 0x9e3779b1u;
	} else {
		uint32_t w[4];

		memcpy(w, a->v6, 16);
		h = (w[0] ^ w[1] ^ w[2] ^ w[3]) * 0x9e3779b1u;
	}
	h ^= pidx;
	e = &c->e[(h >> 24) & (DP_NEIGH_CACHE - 1)];
	if (e->used && e->pidx == pidx && e->addr.family == a->family &&
		(a->family == AF_INET ? e->addr.v4 == a->v4 : memcmp(e->addr.v6, a->v6, 16) == 0) &&
		__atomic_load_n(&n->gen[e->pos], __ATOMIC_ACQUIRE) == e->gen) {
		v = e->mac;
	} else {
		pos = slot_find(n, pidx, a);
		if (pos < 0)
			return -ENOENT;
		/* Generation first: a change after this read moves it on, and
		 * the next lookup refetches. */
		e->gen = __atomic_load_n(&n->gen[pos], __ATOMIC_ACQUIRE);
		e->pos = (uint32_t)pos;
		e->pidx = (uint16_t)pidx;
		e->addr = *a;
		e->used = true;
		v = e->mac = __atomic_load_n(&n->mac[pos], __ATOMIC_ACQUIRE);
	}
	if (!(v & MAC_VALID))
		return -ENOENT;
	mac_unpack(v, mac);
	return 0;
}

static void
release_held(struct dp *dp, int pos, const uint8_t mac[6])
{
	struct neigh_hold *h = &dp->neigh->hold[pos];
	unsigned int i;

	for (i = 0; i < h->n; i++) {
		struct rte_mbuf *m = h->pkts[i];
		struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

		memcpy(eh->dst_addr.addr_bytes, mac, 6);
		if (dp_main_tx(dp, dp->port_index[m->port], m) == 0)
			dp->neigh->st.released++;
	}
	dp->neigh->held_total -= h->n;
	h->n = 0;
	h->tries = 0;
}

int
dp_neigh_learn(struct dp *dp, unsigned int pidx, const struct pkt_addr *a, const uint8_t mac[6],
	bool is_static)
{
	struct dp_neigh *n = dp->neigh;
	struct neigh_key k;
	int pos;

	make_key(&k, pidx, a);
	pos = rte_hash_lookup(n->h, &k);
	if (pos >= 0 && n->is_static[pos] && !is_static)
		return 0; /* configured entries win over what we hear */
	if (pos < 0) {
		pos = rte_hash_add_key(n->h, &k);
		if (pos < 0)
			return pos;
		n->st.entries++;
	}
	n->is_static[pos] = is_static;
	n->seen_tsc[pos] = rte_get_tsc_cycles();
	if ((__atomic_load_n(&n->mac[pos], __ATOMIC_RELAXED) & ~MAC_PROBING) != mac_pack(mac)) {
		__atomic_store_n(&n->mac[pos], mac_pack(mac), __ATOMIC_RELEASE);
		gen_bump(n, pos);
	} else {
		/* Confirmed: the same MAC, no longer being probed. */
		__atomic_store_n(&n->mac[pos], mac_pack(mac), __ATOMIC_RELEASE);
	}
	n->st.learned++;
	release_held(dp, pos, mac);
	return 0;
}

/* Remove an entry that holds nothing; its slot is reused after RCU. */
static void
entry_delete(struct dp_neigh *n, const struct neigh_key *k, int32_t pos)
{
	__atomic_store_n(&n->mac[pos], 0, __ATOMIC_RELEASE);
	/* The slot gets a new key only after an RCU grace period. */
	gen_bump(n, pos);
	n->is_static[pos] = false;
	n->hold[pos].n = 0;
	n->hold[pos].tries = 0;
	if (rte_hash_del_key(n->h, k) >= 0)
		n->st.entries--;
}

int
dp_neigh_refresh(struct dp *dp, unsigned int pidx, const struct pkt_addr *a, const uint8_t mac[6])
{
	struct dp_neigh *n = dp->neigh;
	int pos = slot_find(n, pidx, a);

	if (pos < 0 || n->is_static[pos] ||
		!(__atomic_load_n(&n->mac[pos], __ATOMIC_RELAXED) & MAC_VALID))
		return -ENOENT;
	return dp_neigh_learn(dp, pidx, a, mac, false);
}

void
dp_neigh_forget(struct dp *dp, unsigned int pidx, const struct pkt_addr *a)
{
	struct dp_neigh *n = dp->neigh;
	int pos = slot_find(n, pidx, a);

	if (pos >= 0 && !n->is_static[pos]) {
		__atomic_store_n(&n->mac[pos], 0, __ATOMIC_RELEASE);
		gen_bump(n, pos);
	}
}

/* A source address of ours on the port, preferably in nh's subnet. */
static int
port_source(const struct dp *dp, unsigned int pidx, const struct pkt_addr *nh, struct pkt_addr *src)
{
	const struct dp_local_port *lp = &dp->local->port[pidx];
	unsigned int i;

	src->family = nh->family;
	if (nh->family == AF_INET) {
		if (lp->n4 == 0)
			return -EADDRNOTAVAIL;
		src->v4 = lp->v4[0];
		for (i = 0; i < lp->n4; i++)
			if (((nh->v4 ^ lp->v4[i]) & lp->v4_mask[i]) == 0)
				src->v4 = lp->v4[i];
		return 0;
	}
	if (lp->n6 == 0)
		return -EADDRNOTAVAIL;
	memcpy(src->v6, lp->v6[0], 16);
	return 0;
}

static struct rte_mbuf *
build_arp_request(
	struct dp *dp, unsigned int pidx, const struct pkt_addr *src, const struct pkt_addr *nh)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(dp->pool);
	struct rte_ether_hdr *eh;
	struct rte_arp_hdr *ah;

	if (m == NULL)
		return NULL;
	eh = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*eh) + sizeof(*ah));
	ah = (struct rte_arp_hdr *)(eh + 1);
	memset(&eh->dst_addr, 0xff, RTE_ETHER_ADDR_LEN);
	rte_ether_addr_copy(&dp->ports[pidx].mac, &eh->src_addr);
	eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
	ah->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	ah->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ah->arp_hlen = RTE_ETHER_ADDR_LEN;
	ah->arp_plen = 4;
	ah->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REQUEST);
	rte_ether_addr_copy(&dp->ports[pidx].mac, &ah->arp_data.arp_sha);
	ah->arp_data.arp_sip = src->v4;
	memset(&ah->arp_data.arp_tha, 0, RTE_ETHER_ADDR_LEN);
	ah->arp_data.arp_tip = nh->v4;
	return m;
}

static struct rte_mbuf *
build_ns(struct dp *dp, unsigned int pidx, const struct pkt_addr *src, const struct pkt_addr *nh)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(dp->pool);
	struct rte_ether_hdr *eh;
	struct rte_ipv6_hdr *ip6;
	uint8_t *icmp;
	uint16_t c;

	if (m == NULL)
		return NULL;
	eh = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*eh) + sizeof(*ip6) + 32);
	ip6 = (struct rte_ipv6_hdr *)(eh + 1);
	icmp = (uint8_t *)(ip6 + 1);
	/* Solicited-node multicast group ff02::1:ffXX:XXXX and its MAC. */
	eh->dst_addr.addr_bytes[0] = 0x33;
	eh->dst_addr.addr_bytes[1] = 0x33;
	eh->dst_addr.addr_bytes[2] = 0xff;
	memcpy(&eh->dst_addr.addr_bytes[3], &nh->v6[13], 3);
	rte_ether_addr_copy(&dp->ports[pidx].mac, &eh->src_addr);
	eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
	memset(ip6, 0, sizeof(*ip6));
	ip6->vtc_flow = rte_cpu_to_be_32(6u << 28);
	ip6->payload_len = rte_cpu_to_be_16(32);
	ip6->proto = IPPROTO_ICMPV6;
	ip6->hop_limits = 255;
	memcpy(ip6->src_addr, src->v6, 16);
	ip6->dst_addr[0] = 0xff;
	ip6->dst_addr[1] = 0x02;
	ip6->dst_addr[11] = 0x01;
	ip6->dst_addr[12] = 0xff;
	memcpy(&ip6->dst_addr[13], &nh->v6[13], 3);
	memset(icmp, 0, 32);
	icmp[0] = 135; /* neighbour solicitation */
	memcpy(icmp + 8, nh->v6, 16);
	icmp[24] = 1; /* source link-layer address option */
	icmp[25] = 1;
	memcpy(icmp + 26, dp->ports[pidx].mac.addr_bytes, 6);
	c = pkt_l4_csum_v6(ip6->src_addr, ip6->dst_addr, IPPROTO_ICMPV6, icmp, 32, 2);
	memcpy(icmp + 2, &c, 2);
	return m;
}

static void
solicit(struct dp *dp, unsigned int pidx, const struct pkt_addr *nh)
{
	struct dp_port *p = &dp->ports[pidx];
	struct pkt_addr src;
	struct rte_mbuf *m;

	dp->neigh->st.requests++;
	if (p->prof->mode == PROF_PORT_XDP) {
		/* The kernel owns layer 2 here: let it resolve (managed entry)
		 * and tell us over netlink. */
		if (dp->neigh->nl_fd >= 0)
			dp_nl_neigh_resolve(dp->neigh->nl_fd, p->ifindex, nh);
		return;
	}
	if (port_source(dp, pidx, nh, &src) != 0)
		return;
	m = nh->family == AF_INET ? build_arp_request(dp, pidx, &src, nh)
				  : build_ns(dp, pidx, &src, nh);
	if (m != NULL)
		dp_main_tx(dp, pidx, m);
}

static void
hold_drop(struct dp *dp, struct rte_mbuf *m, unsigned int reason)
{
	dp->main.drops[reason]++;
	rte_pktmbuf_free(m);
}

void
dp_neigh_hold(struct dp *dp, struct rte_mbuf *m)
{
	struct dp_neigh *n = dp->neigh;
	unsigned int pidx = dp->port_index[m->port];
	struct pkt_info pi;
	struct pkt_addr nh;
	struct rte_ether_addr mac;
	struct neigh_key k;
	struct neigh_hold *h;
	int pos;

	if (pkt_parse(rte_pktmbuf_mtod(m, const uint8_t *), rte_pktmbuf_data_len(m), &pi) != 0 ||
		(pi.l3 != PKT_L3_IPV4 && pi.l3 != PKT_L3_IPV6) ||
		dp_route_nexthop(dp, pidx, &pi.dst, &nh) != 0) {
		hold_drop(dp, m, DP_DROP_NO_ROUTE);
		return;
	}
	/* It may have resolved while the packet was on its way here. */
	if (dp_neigh_lookup(n, pidx, &nh, &mac) == 0) {
		rte_ether_addr_copy(&mac, &rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->dst_addr);
		dp_main_tx(dp, pidx, m);
		return;
	}
	make_key(&k, pidx, &nh);
	pos = rte_hash_lookup(n->h, &k);
	/* Limits first: a packet that cannot be held creates no entry, or
	 * such entries (holding nothing, never asked for) would pile up. */
	if (n->held_total >= DP_NEIGH_HOLD_TOTAL || (pos >= 0 && n->hold[pos].n == DP_NEIGH_HOLD)) {
		n->st.hold_drops++;
		hold_drop(dp, m, DP_DROP_NEIGH_QUEUE_FULL);
		return;
	}
	if (pos < 0) {
		pos = rte_hash_add_key(n->h, &k);
		if (pos < 0) {
			hold_drop(dp, m, DP_DROP_NEIGH_QUEUE_FULL);
			return;
		}
		n->st.entries++;
	}
	h = &n->hold[pos];
	h->pkts[h->n++] = m;
	n->held_total++;
	n->st.held++;
	if (h->n == 1) {
		h->tries = 1;
		h->next_tsc = rte_get_tsc_cycles() + rte_get_tsc_hz() * DP_NEIGH_RETRY_MS / 1000;
		solicit(dp, pidx, &nh);
	}
}

/*
 * Entries learned from ARP/ND on a pmd port are trusted this long without
 * word from the neighbour; then they are probed (and kept in use) and
 * removed only if no probe is answered.  Answers to our solicitations
 * always reach the main lcore (dp_local.c: learn's `confirm`), which is
 * what keeps a live entry fresh.  xdp ports follow the kernel's table.
 */
#define DP_NEIGH_REACHABLE_S 300

void
dp_neigh_tick(struct dp *dp)
{
	struct dp_neigh *n = dp->neigh;
	uint64_t now = rte_get_tsc_cycles();
	uint64_t max_age = rte_get_tsc_hz() * DP_NEIGH_REACHABLE_S;
	const void *key;
	void *data;
	uint32_t iter = 0;
	int32_t pos;

	while ((pos = rte_hash_iterate(n->h, &key, &data, &iter)) >= 0) {
		const struct neigh_key *k = key;
		struct neigh_key kcopy = *k;
		struct neigh_hold *h = &n->hold[pos];
		struct pkt_addr nh;
		uint64_t mac = __atomic_load_n(&n->mac[pos], __ATOMIC_RELAXED);
		unsigned int i;

		if (h->n == 0 && !(mac & MAC_VALID)) {
			/* Unresolved and holding nothing (its packets went):
			 * nothing will ever ask for it again. */
			if (!n->is_static[pos])
				entry_delete(n, &kcopy, pos);
			continue;
		}
		if (h->n == 0) {
			/* Nothing held: age learned pmd-port entries.  An old
			 * entry stays in use while it is probed; only a
			 * neighbour that answers none of the probes goes. */
			if (n->is_static[pos] || dp->ports[k->pidx].prof->mode != PROF_PORT_PMD ||
				now - n->seen_tsc[pos] <= max_age)
				continue;
			if (h->tries != 0 && now < h->next_tsc)
				continue;
			if (h->tries >= DP_NEIGH_RETRIES) {
				entry_delete(n, &kcopy, pos);
				n->st.aged++;
				continue;
			}
			key_addr(k, &nh);
			if (h->tries == 0)
				__atomic_store_n(&n->mac[pos], mac | MAC_PROBING, __ATOMIC_RELEASE);
			h->tries++;
			h->next_tsc = now + rte_get_tsc_hz() * DP_NEIGH_RETRY_MS / 1000;
			n->st.probes++;
			solicit(dp, k->pidx, &nh);
			continue;
		}
		if (now < h->next_tsc)
			continue;
		if (h->tries < DP_NEIGH_RETRIES) {
			key_addr(k, &nh);
			h->tries++;
			h->next_tsc = now + rte_get_tsc_hz() * DP_NEIGH_RETRY_MS / 1000;
			solicit(dp, k->pidx, &nh);
			continue;
		}
		for (i = 0; i < h->n; i++)
			hold_drop(dp, h->pkts[i], DP_DROP_NEIGH_UNRESOLVED);
		n->st.unresolved += h->n;
		n->held_total -= h->n;
		h->n = 0;
		h->tries = 0;
		/* Never answered: forget it, so unresolvable (or spoofed)
		 * next hops cannot fill the table. */
		if (!(mac & MAC_VALID) && !n->is_static[pos])
			entry_delete(n, &kcopy, pos);
	}
}

static void
on_netlink(void *arg, int ifindex, const struct pkt_addr *addr, const uint8_t mac[6], int reachable)
{
	struct dp *dp = arg;
	unsigned int i;

	for (i = 0; i < dp->n_ports; i++) {
		if (dp->ports[i].prof->mode != PROF_PORT_XDP || dp->ports[i].ifindex != ifindex)
			continue;
		if (reachable && mac != NULL)
			dp_neigh_learn(dp, i, addr, mac, false);
		else
			dp_neigh_forget(dp, i, addr);
	}
}

int
dp_neigh_netlink_fd(struct dp *dp)
{
	unsigned int i;
	int fd;

	for (i = 0; i < dp->n_ports; i++)
		if (dp->ports[i].prof->mode == PROF_PORT_XDP)
			break;
	if (i == dp->n_ports)
		return -1;
	fd = dp_nl_neigh_open();
	if (fd < 0) {
		DP_LOG(WARNING, "netlink neighbour socket: %s", strerror(-fd));
		return -1;
	}
	dp->neigh->nl_fd = fd;
	dp_nl_neigh_dump(fd);
	return fd;
}

void
dp_neigh_netlink_input(struct dp *dp)
{
	if (dp->neigh->nl_fd >= 0)
		dp_nl_neigh_recv(dp->neigh->nl_fd, on_netlink, dp);
}

int
dp_neigh_walk(const struct dp *dp, dp_neigh_walk_cb cb, void *arg)
{
	const struct dp_neigh *n = dp->neigh;
	const void *key;
	void *data;
	uint32_t iter = 0;
	int32_t pos;
	int count = 0;

	while ((pos = rte_hash_iterate(n->h, &key, &data, &iter)) >= 0) {
		const struct neigh_key *k = key;
		struct pkt_addr a;
		uint64_t v = __atomic_load_n(&n->mac[pos], __ATOMIC_ACQUIRE);
		uint8_t mac[6];
		unsigned int i;

		key_addr(k, &a);
		for (i = 0; i < 6; i++)
			mac[i] = (uint8_t)(v >> (8 * i));
		cb(arg, k->pidx, &a, (v & MAC_VALID) ? mac : NULL, n->is_static[pos]);
		count++;
	}
	return count;
}

void
dp_neigh_get_stats(const struct dp *dp, struct dp_neigh_stats *st)
{
	*st = dp->neigh->st;
}
