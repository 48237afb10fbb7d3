/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The L4 load balancer in the dataplane: virtual services, their real
 * servers, and the per-worker connection state.
 *
 * Who writes what.
 *  - The main lcore owns the configuration (struct dp_lb_cfg: services
 *    as the profile and the control socket describe them, with each real
 *    server's admin state, health and weight).  Any change builds new
 *    immutable struct dp_lb_service objects and a new struct dp_lb_table,
 *    publishes the table with one atomic store and frees the old objects
 *    after an RCU grace period (rte_rcu_qsbr).
 *  - Each worker owns a struct dp_lb_worker: its connection table (lib/lb
 *    lb_conn), scheduler positions, least-connection counts, counters, and
 *    a small cache of persistence decisions.  Nothing in it is written by
 *    anybody else.
 *  - Source-IP persistence is one rte_hash (lock-free readers) that only
 *    the main lcore writes; workers read it and post their decisions to
 *    the main lcore through their event ring (see dp_lb_persist.c).
 *
 * Identity.  A service keeps its id (index in the table) for its life; a
 * connection stores the id and the service's incarnation, so a
 * connection of a removed service whose id was reused is recognised and
 * dropped.  A real server keeps its backend id within its service
 * (removed servers leave a hole) and a counter slot that is unique
 * across services.
 */
#ifndef EP_DP_LB_H
#define EP_DP_LB_H

#include <stdbool.h>
#include <stdint.h>

#include "dp.h"
#include "dp_neigh.h"
#include "lb_conn.h"
#include "lb_sched.h"
#include "pkt.h"
#include "pkt_addr.h"
#include "prof.h"

struct dp;
struct dp_worker;
struct pkt_info;
struct rte_mbuf;
struct rte_hash;

#define DP_LB_MAX_SERVICES PROF_MAX_SERVICES
#define DP_LB_MAX_SERVERS PROF_MAX_REAL_SERVERS /* per service */
#define DP_LB_MAX_SLOTS 4096			/* real servers over all services */
#define DP_LB_VIP_BUCKETS 1024			/* power of two, > 2 x listeners */
#define DP_LB_PERSIST_CACHE 1024		/* per worker, direct mapped */
#define DP_LB_SNAT_PORT_LO 1024			/* fullnat source ports: 1024-65535 */
#define DP_LB_SNAT_TRIES 16
#define DP_LB_SNAT_MAX 16    /* addresses in a snat_pool */
#define DP_LB_SWEEP_MS 1000  /* the expiry sweep visits the whole table this often */
#define DP_LB_CLOSE_MS 10000 /* after a RST, at most (so late segments still pass) */

/* TCP states of a tracked connection (struct lb_conn.state). */
enum dp_lb_tcp_state {
	DP_LB_UDP = 0, /* not TCP */
	DP_LB_SYN_SENT,
	DP_LB_SYN_RECV,
	DP_LB_ESTABLISHED,
	DP_LB_FIN_WAIT,	 /* one side has sent FIN */
	DP_LB_TIME_WAIT, /* both sides have */
	DP_LB_CLOSE,	 /* reset */
	DP_LB_STATE_MAX,
};
/* struct lb_conn.flags */
#define DP_LB_F_FIN_FWD 0x01	   /* the client sent FIN */
#define DP_LB_F_FIN_REV 0x02	   /* the server sent FIN */
#define DP_LB_F_COUNTED 0x04	   /* counted in the worker's least-connection counts */
#define DP_LB_F_CLIENT_ONLINK 0x08 /* replies go to the client's MAC, not the gateway's */

/* A real server as the fast path needs it (immutable once published). */
struct dp_lb_server {
	struct pkt_addr addr;
	struct pkt_addr nh; /* next hop towards it */
	uint16_t port;	    /* network order; 0: the client's destination port */
	uint16_t slot;	    /* counter slot */
	uint8_t out_port;   /* port index towards it */
	uint8_t state;	    /* enum lb_backend_state, as published */
	bool removed;	    /* a hole: only its existing connections use it */
	uint32_t weight;
};

/* A virtual service, immutable once published (changes are rebuilds). */
struct dp_lb_service {
	char name[PROF_NAME_MAX];
	uint16_t id;
	uint16_t incarnation; /* distinguishes reuses of the id */
	uint8_t family;	      /* AF_INET, AF_INET6 */
	uint8_t proto;	      /* IPPROTO_TCP, IPPROTO_UDP */
	uint8_t fwd;	      /* enum prof_fwd */
	uint8_t persist;      /* enum prof_persist */
	uint8_t persist_len;  /* persistence netmask (prefix length) */
	uint8_t client_port;  /* port index of the VIP (faces the clients) */
	struct pkt_addr vip;
	struct pkt_addr client_gw; /* next hop to off-link clients (has_client_gw) */
	bool has_client_gw;
	uint16_t port_lo, port_hi; /* host order */
	/* Timeouts in milliseconds of the dataplane clock. */
	uint32_t t_syn, t_est, t_fin, t_close, t_udp, t_persist;
	/* fullnat: SNAT addresses snat_lo + 0..n_snat-1 (IPv4 host order arithmetic,
	 * IPv6 on the low 32 bits). */
	struct pkt_addr snat_lo;
	uint32_t n_snat;
	const struct lb_sched *sched;
	uint16_t n_servers;
	struct dp_lb_server servers[];
};

/* One (family, proto, address) in the VIP index: the services on it. */
struct dp_lb_vip {
	struct pkt_addr addr; /* family 0: empty bucket */
	uint8_t proto;
	uint16_t n;
	uint16_t first; /* listeners[first .. first + n) */
};
struct dp_lb_listener {
	uint16_t lo, hi; /* host order */
	uint16_t svc;
};

/* What the workers see (RCU-published by the main lcore). */
struct dp_lb_table {
	uint16_t n_listeners; /* first: every packet reads it */
	bool any_nat;	      /* replies to clients (not to an owned address) may come */
	uint32_t n_services;  /* ids < n_services may be used (NULL: none) */
	struct dp_lb_service *svc[DP_LB_MAX_SERVICES];
	struct dp_lb_vip vips[DP_LB_VIP_BUCKETS];
	struct dp_lb_listener listeners[DP_LB_MAX_SERVICES];
};

/* Per-worker counters of one real server (slot), written by their worker. */
struct dp_lb_ctr {
	uint64_t conns;	  /* connections created */
	uint64_t closed;  /* connections ended (active = conns - closed, summed) */
	uint64_t pkts_in; /* client -> server */
	uint64_t bytes_in;
	uint64_t pkts_out; /* server -> client */
	uint64_t bytes_out;
};

/* Drop reasons counted per service as well as per worker. */
#define DP_LB_SVC_DROPS(X)                                               \
	X(NOT_SYN, "no_connection") /* TCP without SYN, no connection */ \
	X(NO_SERVER, "no_server")   /* no real server is up */           \
	X(TABLE_FULL, "table_full")                                      \
	X(SNAT_EXHAUSTED, "snat_exhausted")                              \
	X(TUPLE_IN_USE, "tuple_in_use") /* the server-side tuple is taken */

enum dp_lb_svc_drop {
#define DP_LB_X_ENUM(e, s) DP_LB_SD_##e,
	DP_LB_SVC_DROPS(DP_LB_X_ENUM)
#undef DP_LB_X_ENUM
		DP_LB_SD_MAX
};
const char *dp_lb_svc_drop_name(unsigned int r);

/* Per service.  Workers count conns and drops; dp_lb_svc_sum() fills the
 * packets and bytes from the service's real servers. */
struct dp_lb_svc_ctr {
	uint64_t conns;
	uint64_t pkts_in, bytes_in, pkts_out, bytes_out;
	uint64_t drops[DP_LB_SD_MAX];
};

struct dp_lb_persist_cached {
	uint32_t key_hash; /* 0: empty */
	uint16_t svc, incarnation;
	uint8_t addr[16];
	uint16_t backend;
	uint32_t expire;
};

/* The other workers' least-connection counts, posted by the main lcore
 * (seqlock: even = stable). */
struct dp_lb_snap {
	uint32_t seq;
	uint32_t n;
	uint32_t others[DP_LB_MAX_SERVERS];
};

struct dp_lb_worker {
	struct lb_conn_table *ct;
	struct dp *dp;
	unsigned int id;
	uint32_t last_tick;
	uint32_t sweep_last, sweep_carry; /* the expiry sweep's pacing */
	uint32_t now;			  /* ms, the dataplane clock, read once per pass */
	struct lb_pick_ctx ctx[DP_LB_MAX_SERVICES];
	struct lb_conns *conns[DP_LB_MAX_SERVICES];  /* least_conn, wlc */
	struct dp_lb_snap *snap[DP_LB_MAX_SERVICES]; /* least_conn, wlc */
	uint32_t snap_seen[DP_LB_MAX_SERVICES];
	struct dp_lb_svc_ctr svc[DP_LB_MAX_SERVICES];
	struct dp_lb_ctr ctr[DP_LB_MAX_SLOTS];
	struct dp_lb_persist_cached pcache[DP_LB_PERSIST_CACHE];
	struct dp_neigh_cache ncache;
};

/* A real server's runtime state on the main lcore. */
struct dp_lb_cfg_server {
	struct prof_real_server rs;
	uint8_t admin; /* LB_BACKEND_UP, _DISABLED or _DRAINING */
	bool down;     /* health */
	bool removed;  /* hole */
	uint16_t slot;
};

/* A service's configuration on the main lcore. */
struct dp_lb_cfg_service {
	bool used;
	uint16_t incarnation;
	struct prof_service ps; /* real_servers[] unused: see srv */
	uint16_t n_servers;
	struct dp_lb_cfg_server srv[DP_LB_MAX_SERVERS];
};

struct dp_lb {
	struct dp_lb_table *table; /* RCU */
	struct dp_lb_cfg_service cfg[DP_LB_MAX_SERVICES];
	uint32_t n_services;
	uint16_t next_incarnation;
	uint8_t slot_used[DP_LB_MAX_SLOTS];
	struct dp_lb_worker *w[PROF_MAX_WORKERS];
	struct rte_hash *persist; /* see dp_lb_persist.c */
	uint64_t tsc_per_ms;
	uint64_t ms_mult; /* 2^64 / tsc_per_ms: now = tsc * ms_mult >> 64 */
	uint32_t persist_cursor;
	uint64_t persist_events, persist_lost;
	uint64_t persist_live;	/* bindings in the table */
	uint32_t *conns_others; /* scratch for least_conn snapshots */
	uint32_t snat_slice;	/* fullnat source ports per worker */
	uint32_t per_worker;	/* connections per worker table */
	uint64_t epoch;		/* bumped by every configuration change */
	/* Counters left by earlier users of a slot / service id (subtracted). */
	struct dp_lb_ctr slot_base[DP_LB_MAX_SLOTS];
	bool slot_base_set[DP_LB_MAX_SLOTS];
	struct dp_lb_svc_ctr svc_base[DP_LB_MAX_SERVICES];
	bool svc_base_set[DP_LB_MAX_SERVICES];
};

/* Main lcore (dp_lb_table.c). */
int dp_lb_create(struct dp *dp);
void dp_lb_free(struct dp *dp);
/* Rebuild and publish every service (after any cfg change). */
int dp_lb_publish(struct dp *dp);
/*
 * Services at run time (control socket).  Each checks like the profile
 * loader does, writes a one-line reason into err on failure, publishes,
 * and bumps the epoch.  Add returns the new id.  Update changes
 * everything but listen, forwarding and snat_pool (-EBUSY: remove and add);
 * real servers are matched by address and port (kept ones keep their
 * state and connections, missing ones stop taking new connections).
 * Remove leaves the service's connections to expire, unforwarded.
 */
int dp_lb_service_add(struct dp *dp, const struct prof_service *ps, char *err, size_t errlen);
int dp_lb_service_update(
	struct dp *dp, unsigned int id, const struct prof_service *ps, char *err, size_t errlen);
int dp_lb_service_remove(struct dp *dp, unsigned int id);
/* A service id by name, or -ENOENT. */
int dp_lb_find_service(const struct dp *dp, const char *name);
/* A backend id of service id by address and port (port 0 matches 0 only), or -ENOENT. */
int dp_lb_find_server(
	const struct dp *dp, unsigned int svc, const struct pkt_addr *a, uint16_t port);
/* Admin state (LB_BACKEND_UP/_DISABLED/_DRAINING), health, weight; then publish. */
int dp_lb_set_admin(struct dp *dp, unsigned int svc, unsigned int b, uint8_t admin);
int dp_lb_set_health(struct dp *dp, unsigned int svc, unsigned int b, bool up);
int dp_lb_set_weight(struct dp *dp, unsigned int svc, unsigned int b, uint32_t weight);
/* The VIPs and SNAT addresses ports[pidx] owns (kind: DP_ADDR_VIP/_SNAT). */
/*
 * Put the VIPs, SNAT addresses and nat real servers in the XDP maps of
 * the xdp ports.  dp_lb_create runs before the ports start, when their
 * maps cannot be found yet: dp_main calls this once they have.
 */
int dp_lb_xdp_publish(struct dp *dp);
int dp_lb_local_addrs(const struct dp *dp, unsigned int pidx, struct pkt_addr *out, uint8_t *kind,
	unsigned int max);
/* Hand worker wid its snapshot of the other workers' counts for service svc. */
void dp_lb_post_others(
	struct dp *dp, unsigned int wid, unsigned int svc, const uint32_t *others, unsigned int n);
/* Periodic work (least_conn snapshots, persistence expiry); every tick. */
void dp_lb_tick(struct dp *dp);
/* Sum of every worker's counters of a slot / a service. */
void dp_lb_ctr_sum(const struct dp *dp, uint16_t slot, struct dp_lb_ctr *out);
void dp_lb_svc_sum(const struct dp *dp, unsigned int svc, struct dp_lb_svc_ctr *out);
/* The effective state of a server as workers see it (enum lb_backend_state). */
uint8_t dp_lb_server_state(const struct dp_lb_cfg_server *s);
const char *dp_lb_state_name(uint8_t state);
/* The dataplane clock in ms (TSC based; wraps, compare with (int32_t)(a - b)). */
static inline uint32_t
dp_lb_clock(const struct dp_lb *lb, uint64_t tsc)
{
	return (uint32_t)(((unsigned __int128)tsc * lb->ms_mult) >> 64);
}
uint32_t dp_lb_now(const struct dp *dp);

/* Worker (dp_lb.c). */
struct dp_lb_service *dp_lb_lookup_vip(const struct dp_lb_table *t, uint8_t family, uint8_t proto,
	const struct pkt_addr *dst, uint16_t dport_be);
uint32_t dp_lb_input(struct dp *dp, struct dp_worker *w, unsigned int pidx, struct rte_mbuf *m,
	const struct pkt_info *pi, struct dp_lb_service *svc);
/* The same in steps, for a burst: the key, prefetches (below), then the input proper. */
uint32_t dp_lb_input_keyed(struct dp *dp, struct dp_worker *w, struct rte_mbuf *m,
	const struct pkt_info *pi, struct dp_lb_service *svc, const struct lb_conn_key *k,
	uint32_t h);
void dp_lb_worker_tick(struct dp *dp, struct dp_worker *w);
/* Ethernet header towards next hop nh on ports[out]: DP_V_TX, or DP_V_MAIN to resolve it. */
uint32_t dp_lb_l2_out(struct dp *dp, struct dp_lb_worker *wl, struct rte_mbuf *m, unsigned int out,
	const struct pkt_addr *nh);
/* lb_conn release callback (arg: the struct dp_lb_worker). */
void dp_lb_conn_release(void *arg, struct lb_conn *c);
/* The worker owning a fullnat reply to SNAT port dport_be. */
unsigned int dp_lb_snat_owner(const struct dp *dp, uint16_t dport_be);

/* ICMP errors about tracked connections (dp_lb_icmp.c). */
uint32_t dp_lb_icmp_input(
	struct dp *dp, struct dp_worker *w, struct rte_mbuf *m, const struct pkt_info *pi);

/* Persistence (dp_lb_persist.c). */
int dp_lb_persist_create(struct dp *dp);
void dp_lb_persist_free(struct dp *dp);
void dp_lb_persist_event(struct dp *dp, const void *ev);
void dp_lb_persist_expire(struct dp *dp, uint32_t budget);
int dp_lb_persist_get(struct dp *dp, struct dp_worker *w, const struct dp_lb_service *svc,
	const struct pkt_addr *client);
void dp_lb_persist_put(struct dp *dp, struct dp_worker *w, const struct dp_lb_service *svc,
	const struct pkt_addr *client, uint16_t backend, bool refresh_only);
uint64_t dp_lb_persist_count(const struct dp *dp);

/* The connection key of a parsed TCP/UDP packet, as it travels. */
static inline void
dp_lb_key_from_packet(struct lb_conn_key *k, const struct pkt_info *pi)
{
	if (pi->src.family == AF_INET)
		lb_conn_key_v4(k, pi->l4_proto, pi->src.v4, pi->dst.v4, pi->sport, pi->dport);
	else
		lb_conn_key_v6(k, pi->l4_proto, pi->src.v6, pi->dst.v6, pi->sport, pi->dport);
}

/* Worker w's key and hash of a packet (inline: once per packet of a burst). */
static inline void
dp_lb_key(const struct dp *dp, const struct dp_worker *w, const struct pkt_info *pi,
	struct lb_conn_key *k, uint32_t *hash)
{
	dp_lb_key_from_packet(k, pi);
	*hash = lb_conn_hash(k, lb_conn_seed(dp->lb->w[w->id]->ct));
}

/* Prefetch a key's home bucket, or (entry) its first candidate connection. */
static inline void
dp_lb_prefetch(const struct dp *dp, const struct dp_worker *w, uint32_t hash, bool entry)
{
	const struct lb_conn_table *ct = dp->lb->w[w->id]->ct;

	if (entry)
		lb_conn_prefetch_entry(ct, hash);
	else
		lb_conn_prefetch(ct, hash);
}

#endif /* EP_DP_LB_H */
