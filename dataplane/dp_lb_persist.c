/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Source-IP persistence: (service, client address under the service's
 * netmask) -> real server, for persistence_timeout after the last
 * connection.
 *
 * One table for all workers, because clients of one /24 (or of one
 * address, when workers are chosen by something other than the client
 * address) may be owned by different workers.  It is an rte_hash with
 * lock-free readers and a single writer, the main lcore: rte_hash's
 * multi-writer mode takes a lock, which has no place on the packet path.
 * A worker that schedules a new client posts its decision to the main
 * lcore through its event ring and keeps it in a small direct-mapped
 * cache of its own, so its next connections from that client agree at
 * once; other workers see it once the main lcore has written it (micro-
 * seconds).  The value is packed into the hash's data pointer (backend
 * and expiry), so an update is one atomic store and a lookup touches no
 * other memory.  Deleted keys are reclaimed after an RCU grace period
 * (RTE_HASH_QSBR_MODE_DQ on the workers' rte_rcu_qsbr).
 */
#include <errno.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_malloc.h>

#include "dp.h"
#include "dp_lb.h"

#define DP_LB_PERSIST_MAX (1u << 18)
/* Tell the main lcore about a refresh at most this often per client. */
#define DP_LB_PERSIST_REFRESH_MS 1000u

struct persist_key {
	uint16_t svc;
	uint16_t incarnation;
	uint8_t family;
	uint8_t pad[3];
	uint8_t addr[16];
};

static inline uintptr_t
pack(uint16_t backend, uint32_t expire)
{
	return (uintptr_t)(((uint64_t)backend << 32) | expire);
}

static void
key_make(struct persist_key *k, const struct dp_lb_service *s, const struct pkt_addr *client)
{
	unsigned int len = s->persist_len, i;

	memset(k, 0, sizeof(*k));
	k->svc = s->id;
	k->incarnation = s->incarnation;
	k->family = client->family;
	if (client->family == AF_INET) {
		uint32_t a = rte_be_to_cpu_32(client->v4);

		a = len == 0 ? 0 : (len >= 32 ? a : a & ~(UINT32_MAX >> len));
		a = rte_cpu_to_be_32(a);
		memcpy(k->addr, &a, 4);
		return;
	}
	memcpy(k->addr, client->v6, 16);
	for (i = 0; i < 16; i++) {
		unsigned int bits = i * 8;

		if (bits >= len)
			k->addr[i] = 0;
		else if (len - bits < 8)
			k->addr[i] &= (uint8_t)(0xff << (8 - (len - bits)));
	}
}

int
dp_lb_persist_create(struct dp *dp)
{
	struct dp_lb *lb = dp->lb;
	struct rte_hash_parameters hp = {
		.name = "ep_lb_persist",
		.entries = DP_LB_PERSIST_MAX,
		.key_len = sizeof(struct persist_key),
		.socket_id = (int)rte_socket_id(),
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF,
	};
	struct rte_hash_rcu_config rcu = {
		.v = dp->qsbr,
		.mode = RTE_HASH_QSBR_MODE_DQ,
	};
	unsigned int i;
	bool any = false;

	if (lb->persist != NULL)
		return 0;
	for (i = 0; i < lb->n_services; i++)
		any |= lb->cfg[i].used && lb->cfg[i].ps.persistence == PROF_PERSIST_SOURCE_IP;
	if (!any)
		return 0;
	lb->persist = rte_hash_create(&hp);
	if (lb->persist == NULL) {
		DP_LOG(ERR, "persistence table: %s", rte_strerror(rte_errno));
		return -ENOMEM;
	}
	if (rte_hash_rcu_qsbr_add(lb->persist, &rcu) != 0) {
		rte_hash_free(lb->persist);
		lb->persist = NULL;
		return -ENOMEM;
	}
	return 0;
}

void
dp_lb_persist_free(struct dp *dp)
{
	rte_hash_free(dp->lb->persist);
	dp->lb->persist = NULL;
}

/* Live bindings (rte_hash_count also counts deleted keys whose slots
 * wait for the RCU grace period). */
uint64_t
dp_lb_persist_count(const struct dp *dp)
{
	return dp->lb->persist_live;
}

/*
 * Worker: the backend this client is bound to, or -1.  The caller checks
 * that the backend still takes persistent clients.
 */
int
dp_lb_persist_get(struct dp *dp, struct dp_worker *w, const struct dp_lb_service *s,
	const struct pkt_addr *client)
{
	struct dp_lb *lb = dp->lb;
	struct dp_lb_worker *wl = lb->w[w->id];
	struct dp_lb_persist_cached *pc;
	struct persist_key k;
	hash_sig_t h;
	void *data;
	uint64_t v;

	if (lb->persist == NULL)
		return -1;
	key_make(&k, s, client);
	h = rte_hash_hash(lb->persist, &k);
	pc = &wl->pcache[h & (DP_LB_PERSIST_CACHE - 1)];
	if (pc->key_hash == (h | 1) && pc->svc == k.svc && pc->incarnation == k.incarnation &&
		memcmp(pc->addr, k.addr, 16) == 0 && (int32_t)(pc->expire - wl->now) > 0)
		return pc->backend;
	if (rte_hash_lookup_with_hash_data(lb->persist, &k, h, &data) < 0)
		return -1;
	v = (uint64_t)(uintptr_t)data;
	if ((int32_t)((uint32_t)v - wl->now) <= 0)
		return -1;
	pc->key_hash = h | 1;
	pc->svc = k.svc;
	pc->incarnation = k.incarnation;
	memcpy(pc->addr, k.addr, 16);
	pc->backend = (uint16_t)(v >> 32);
	pc->expire = (uint32_t)v;
	return pc->backend;
}

/*
 * Worker: bind this client to backend (a new binding, or a connection
 * that reused one: refresh_only).  Posted to the main lcore; refreshes at
 * most once a second per client.
 */
void
dp_lb_persist_put(struct dp *dp, struct dp_worker *w, const struct dp_lb_service *s,
	const struct pkt_addr *client, uint16_t backend, bool refresh_only)
{
	struct dp_lb *lb = dp->lb;
	struct dp_lb_worker *wl = lb->w[w->id];
	struct dp_lb_persist_cached *pc;
	struct persist_key k;
	struct dp_event ev;
	uint32_t expire = wl->now + s->t_persist;
	hash_sig_t h;

	if (lb->persist == NULL)
		return;
	key_make(&k, s, client);
	h = rte_hash_hash(lb->persist, &k);
	pc = &wl->pcache[h & (DP_LB_PERSIST_CACHE - 1)];
	if (refresh_only && pc->key_hash == (h | 1) && pc->backend == backend &&
		(int32_t)(expire - pc->expire) < (int32_t)DP_LB_PERSIST_REFRESH_MS)
		return;
	pc->key_hash = h | 1;
	pc->svc = k.svc;
	pc->incarnation = k.incarnation;
	memcpy(pc->addr, k.addr, 16);
	pc->backend = backend;
	pc->expire = expire;

	memset(&ev, 0, sizeof(ev));
	ev.type = DP_EV_PERSIST;
	ev.family = k.family;
	ev.port = k.svc;
	ev.incarnation = k.incarnation;
	ev.backend = backend;
	ev.expire = expire;
	memcpy(ev.addr, k.addr, 16);
	if (rte_ring_sp_enqueue_elem(w->events, &ev, sizeof(ev)) == 0)
		dp_wake_main(dp, w->events);
	else
		w->st.learn_lost++;
}

/* Main lcore: a worker's decision. */
void
dp_lb_persist_event(struct dp *dp, const void *evp)
{
	const struct dp_event *ev = evp;
	struct dp_lb *lb = dp->lb;
	struct persist_key k;
	bool new;

	if (lb->persist == NULL)
		return;
	memset(&k, 0, sizeof(k));
	k.svc = ev->port;
	k.incarnation = ev->incarnation;
	k.family = ev->family;
	memcpy(k.addr, ev->addr, 16);
	lb->persist_events++;
	new = rte_hash_lookup(lb->persist, &k) < 0;
	if (rte_hash_add_key_data(lb->persist, &k, (void *)pack(ev->backend, ev->expire)) < 0)
		lb->persist_lost++;
	else if (new)
		lb->persist_live++;
}

/* Main lcore: remove up to `budget` visited entries' worth of expired bindings. */
void
dp_lb_persist_expire(struct dp *dp, uint32_t budget)
{
	struct dp_lb *lb = dp->lb;
	uint32_t now = dp_lb_now(dp);
	const void *key;
	void *data;
	int32_t ret;

	if (lb->persist == NULL)
		return;
	while (budget-- > 0) {
		ret = rte_hash_iterate(lb->persist, &key, &data, &lb->persist_cursor);
		if (ret < 0) {
			lb->persist_cursor = 0;
			return;
		}
		if ((int32_t)((uint32_t)(uintptr_t)data - now) <= 0) {
			struct persist_key k;

			memcpy(&k, key, sizeof(k));
			if (rte_hash_del_key(lb->persist, &k) >= 0)
				lb->persist_live--;
		}
	}
}
