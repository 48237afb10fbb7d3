/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * edge-dataplane: the shared context of the main lcore and the workers.
 *
 * Ownership: struct dp is built by the main lcore before the workers
 * start and is read-only to them afterwards, except for the fields
 * marked RCU (published with one atomic store, freed after
 * rte_rcu_qsbr_synchronize) and each worker's own struct dp_worker.
 */
#ifndef EP_DP_H
#define EP_DP_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "dp_drop.h"
#include "prof.h"

extern int dp_logtype;
#define DP_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_##level, dp_logtype, "edgeplane: " fmt "\n", ##__VA_ARGS__)

#define DP_BURST 32
#define DP_MAX_PORTS PROF_MAX_PORTS
#define DP_MAX_WORKERS PROF_MAX_WORKERS
#define DP_MAX_QUEUES 16  /* per port */
#define DP_RING_SIZE 1024 /* handoff, slow-path and tx rings */
#define DP_RETA_SIZE 128  /* software indirection table: hash -> worker */
#define DP_NO_QUEUE UINT16_MAX

struct dp_xdp;
struct dp_neigh;
struct dp_ctl;
struct dp_lb;

/* Per-worker counters.  Written by their worker only; readers sum. */
struct dp_wstats {
	uint64_t rx;	      /* packets received from NIC queues */
	uint64_t tx;	      /* packets handed to NIC queues */
	uint64_t handoff_out; /* sent to the flow's owner */
	uint64_t handoff_in;  /* received from another worker */
	uint64_t slowpath;    /* sent to the main lcore (learn, resolve) */
	uint64_t punted;      /* sent to the kernel through the exception path */
	uint64_t arp_replies;
	uint64_t nd_replies;
	uint64_t echo_replies;
	uint64_t polls;		  /* loop iterations */
	uint64_t busy_polls;	  /* iterations that found work */
	uint64_t idle_sleeps;	  /* backoff pauses taken while idle */
	uint64_t learn_lost;	  /* neighbour events lost to a full ring */
	uint64_t icmp_translated; /* ICMP errors about LB connections passed on */
	uint64_t lc_snapshots;	  /* other workers' least-connection counts adopted */
	uint64_t port_rx[DP_MAX_PORTS];
	uint64_t port_tx[DP_MAX_PORTS];
	uint64_t drops[DP_DROP_MAX];
} __rte_cache_aligned;

struct dp_rxq {
	uint16_t port;
	uint16_t queue;
};

/* Transmit staging for one port; flushed at the end of each loop pass. */
struct dp_txbuf {
	uint16_t n;
	struct rte_mbuf *pkts[DP_BURST];
};

struct dp_worker {
	unsigned int id;
	unsigned int lcore;
	struct dp_rxq rxq[DP_MAX_PORTS * DP_MAX_QUEUES];
	unsigned int n_rxq;
	uint16_t txq[DP_MAX_PORTS];		 /* our TX queue on each port or DP_NO_QUEUE */
	struct rte_ring *in[DP_MAX_WORKERS + 1]; /* SPSC: from worker i; [n_workers] = from main */
	struct rte_ring *to_main;		 /* SPSC mbufs for the main lcore */
	struct rte_ring *events;		 /* SPSC struct dp_event for the main lcore */
	struct dp_txbuf txb[DP_MAX_PORTS];
	uint32_t idle_streak;
	uint32_t sleep_us;
	struct dp_wstats st;
} __rte_cache_aligned;

/* Why the dataplane owns an address (dp_local_port kinds). */
enum dp_addr_kind {
	DP_ADDR_NONE = 0,
	DP_ADDR_PORT, /* an `address =` of the port */
	DP_ADDR_VIP,  /* a virtual service address */
	DP_ADDR_SNAT, /* a fullnat source address */
};

/* Addresses a port owns: its own plus the VIPs and SNAT addresses on it. */
#define DP_LOCAL_MAX 64

/* What a port owns.  Small: linear scans beat hashing at these sizes. */
struct dp_local_port {
	unsigned int n4, n6;
	uint32_t v4[DP_LOCAL_MAX];	/* network order */
	uint32_t v4_mask[DP_LOCAL_MAX]; /* network order, for on-link tests */
	uint8_t v4_kind[DP_LOCAL_MAX];
	uint8_t v6[DP_LOCAL_MAX][16];
	uint8_t v6_len[DP_LOCAL_MAX];
	uint8_t v6_kind[DP_LOCAL_MAX];
	bool has_gw4, has_gw6;
	uint32_t gw4;
	uint8_t gw6[16];
};

/* RCU-published: the addresses every port owns. */
struct dp_local {
	struct dp_local_port port[DP_MAX_PORTS];
};

struct dp_port {
	const struct prof_port *prof;
	uint16_t port_id;
	bool up;
	struct rte_ether_addr mac;
	uint16_t n_rxq, n_txq;
	bool hw_rss;	    /* NIC spreads by client address itself */
	uint16_t tx_worker; /* a worker with a TX queue here (for main's packets) */
	int ifindex;	    /* xdp: the kernel interface */
	struct dp_xdp *xdp; /* xdp mode */
	/* pmd mode exception path */
	bool has_tap;
	uint16_t tap_port_id;
	int tap_ifindex;
	char tap_name[16];
	uint16_t n_tapq;
};

/* Worker -> main lcore notifications (element of dp_worker.events). */
enum dp_event_type {
	DP_EV_LEARN = 1, /* learn (or confirm) a neighbour */
	DP_EV_REFRESH,	 /* a neighbour's announcement: update only an entry we have */
	DP_EV_PERSIST,	 /* a source-IP persistence decision (dp_lb_persist.c) */
};
struct dp_event {
	uint8_t type;
	uint8_t family;
	uint16_t port; /* learn, refresh: port index; persist: service id */
	union {
		struct { /* learn, refresh */
			uint8_t mac[6];
			uint8_t pad[6];
		};
		struct { /* persist */
			uint16_t incarnation;
			uint16_t backend;
			uint32_t expire;
			uint32_t pad2;
		};
	};
	uint8_t addr[16];
};

/* Flags carried in the mbuf dynamic field dp_meta. */
#define DP_META_TX 0x1 /* ready to send on m->port */

struct dp {
	struct prof *prof;
	struct rte_mempool *pool;
	unsigned int n_workers;
	struct dp_worker *workers[DP_MAX_WORKERS];
	struct dp_port ports[DP_MAX_PORTS];
	unsigned int n_ports;
	uint16_t port_index[RTE_MAX_ETHPORTS]; /* DPDK port id -> index in ports[] */
	uint8_t reta[DP_RETA_SIZE];	       /* hash -> worker */
	struct dp_local *local;		       /* RCU */
	struct rte_rcu_qsbr *qsbr;
	struct dp_neigh *neigh;
	struct dp_ctl *ctl; /* control socket (main lcore) */
	struct dp_lb *lb;   /* the load balancer (dp_lb.h) */
	int meta_off;	    /* dynfield offset of dp_meta */
	int wake_fd;	    /* eventfd: workers wake the main lcore */
	/* Read by every worker on every pass: a line of its own, so the
	 * main lcore's counters below never bounce it. */
	volatile bool stop __rte_cache_aligned;
	/* Written by the main lcore only. */
	struct {
		uint64_t drops[DP_DROP_MAX]; /* drops decided on the main lcore */
		uint64_t tx;		     /* frames it queued for sending */
		uint64_t exception_rx;	     /* frames the kernel sent through a tap */
	} main __rte_cache_aligned;
};

static inline uint32_t *
dp_meta(const struct dp *dp, struct rte_mbuf *m)
{
	return RTE_MBUF_DYNFIELD(m, dp->meta_off, uint32_t *);
}

/* dp_main.c: main lcore helpers used by other modules. */
void dp_wake_main(struct dp *dp, struct rte_ring *r);
/* Queue a packet for transmission on ports[pidx] through its TX worker. */
int dp_main_tx(struct dp *dp, unsigned int pidx, struct rte_mbuf *m);

/* dp_port.c */
#define DP_TAP_DESC 512
unsigned int dp_ports_mbufs_needed(const struct dp *dp);
int dp_ports_open(struct dp *dp);
int dp_ports_start(struct dp *dp);
void dp_ports_close(struct dp *dp);
int dp_local_build(struct dp *dp);

/* dp_worker.c */
struct pkt_info;
uint32_t dp_classify(const struct dp *dp, unsigned int wid, unsigned int pidx,
	const struct rte_mbuf *m, struct pkt_info *pi, bool handed);
int dp_workers_init(struct dp *dp);
int dp_worker_main(void *arg);
void dp_workers_free(struct dp *dp);
struct dp_worker_arg {
	struct dp *dp;
	struct dp_worker *w;
};

/* dp_local.c: answering for owned addresses */
struct pkt_info;
/* Why ports[pidx] owns a (enum dp_addr_kind; DP_ADDR_NONE: it does not). */
uint8_t dp_local_kind(const struct dp *dp, unsigned int pidx, const struct pkt_addr *a);
/* Is this packet addressed to something ports[pidx] owns? */
bool dp_local_for_us(const struct dp *dp, unsigned int pidx, const struct pkt_info *pi);
/* Handle a packet for us; returns a dp_verdict. */
uint32_t dp_local_input(struct dp *dp, struct dp_worker *w, unsigned int pidx, struct rte_mbuf *m,
	const struct pkt_info *pi);
/* Next hop towards dst out of ports[pidx]: dst itself when on-link, else the gateway. */
int dp_route_nexthop(
	const struct dp *dp, unsigned int pidx, const struct pkt_addr *dst, struct pkt_addr *nh);

/* dp_exception.c */
int dp_exception_open(struct dp *dp, struct dp_port *p, unsigned int pidx);
int dp_exception_setup_kernel(struct dp *dp, struct dp_port *p);
void dp_exception_poll(struct dp *dp);
int dp_exception_fds(struct dp *dp, int *fds, unsigned int max);

/* clang-format off */
#define DP_WSTATS(X) \
	X(rx) \
	X(tx) \
	X(handoff_out) \
	X(handoff_in) \
	X(slowpath) \
	X(punted) \
	X(arp_replies) \
	X(nd_replies) \
	X(echo_replies) \
	X(polls) \
	X(busy_polls) \
	X(idle_sleeps) \
	X(learn_lost) \
	X(icmp_translated) \
	X(lc_snapshots)
/* clang-format on */

/* Every worker's counters (and the main lcore's drops) summed. */
struct dp_totals {
#define DP_X_FIELD(f) uint64_t f;
	DP_WSTATS(DP_X_FIELD)
#undef DP_X_FIELD
	uint64_t drops[DP_DROP_MAX];
	uint64_t drops_total;
};

/* dp_telemetry.c */
void dp_totals_get(const struct dp *dp, struct dp_totals *t);
void dp_port_totals(const struct dp *dp, unsigned int p, uint64_t *rx, uint64_t *tx);
int dp_telemetry_register(struct dp *dp);
/* Stop answering telemetry from dp (before teardown frees it). */
void dp_telemetry_unregister(void);
void dp_stats_print(struct dp *dp, FILE *f);

#endif /* EP_DP_H */
