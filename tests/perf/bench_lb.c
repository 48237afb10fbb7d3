/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Benchmark (not a test): TSC cycles per packet of the load balancer's
 * fast path as a worker runs it, receive and transmit excluded, for a nat
 * service with two real servers (rr), one worker:
 *
 *  - established connections, client -> VIP (forward) and real server ->
 *    client (reply), with 64 flows (cache-hot) and with 1,000,000 live
 *    flows visited in a random order (the realistic case);
 *  - new connections (a SYN from a client not in the table: lookup miss,
 *    scheduler, insert of both directions, rewrite), into an empty table
 *    and into one holding 1,000,000 connections.
 *
 * Each case two ways: "burst", the staged burst of process_burst()
 * (classify all 32 and prefetch each connection's bucket, prefetch the
 * entries, then dp_lb_input_keyed) -- packets from a NIC queue; and
 * "single", dp_classify + dp_lb_input per packet as process_one() does --
 * packets handed over by another worker.
 *
 * In-process on EAL with no devices: struct dp is set up as dp_main.c's
 * setup() does (profile, neighbours, load balancer, owned addresses)
 * without ports or worker threads.  32 mbufs are allocated once; before
 * each pass they get their flows' frames written again (NAT rewrites in
 * place), outside the timed region: only the burst's processing is between
 * two fenced TSC reads, whose own share the empty loop shows.  The
 * per-pass tick (dataplane clock, a slice of the expiry sweep) runs after
 * each burst as in the poll loop and is timed on its own.  Median of
 * several runs.  `bench_lb --few` skips the 1M-flow cases.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_debug.h>
#include <rte_eal.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_tcp.h>

#include "bench.h"
#include "dp.h"
#include "dp_lb.h"
#include "dp_neigh.h"
#include "dp_verdict.h"
#include "pkt.h"

#define BURST 32
#define RUNS 9
#define FEW 64		   /* cache-hot flows */
#define MANY 1000000u	   /* live flows of the realistic case */
#define FEW_PASSES 20000u  /* bursts per run, few flows */
#define NEW_PER_RUN 32768u /* new connections per run */
#define FRAME_LEN 60	   /* a minimum Ethernet frame without FCS */

/* Port indexes in the profile below. */
#define P_IN 0	/* faces the clients; the VIP is on its subnet */
#define P_OUT 1 /* the real servers' subnet */

static const char profile[] = "[dataplane]\n"
			      "workers = 1\n"
			      "flows = 2000000\n"
			      "[port in]\n"
			      "mode = pmd\n"
			      "device = net_null0\n"
			      "address = 192.0.2.1/24\n"
			      "gateway = 192.0.2.254\n"
			      "neighbor = 192.0.2.254 02:00:00:00:00:fe\n"
			      "[port out]\n"
			      "mode = pmd\n"
			      "device = net_null1\n"
			      "address = 10.1.0.1/24\n"
			      "neighbor = 10.1.0.11 02:00:00:00:01:0b\n"
			      "neighbor = 10.1.0.12 02:00:00:00:01:0c\n"
			      "[virtual_service web]\n"
			      "listen = 192.0.2.10:80/tcp\n"
			      "scheduler = rr\n"
			      "forwarding = nat\n"
			      "idle_timeout = 1h\n"
			      "tcp_syn_timeout = 1h\n"
			      "real_server = 10.1.0.11\n"
			      "real_server = 10.1.0.12\n";

#define VIP RTE_IPV4(192, 0, 2, 10)
#define VPORT 80
#define SERVER0 RTE_IPV4(10, 1, 0, 11)
#define CLIENT_NET RTE_IPV4(100, 64, 0, 0)

static const struct rte_ether_addr port_mac[2] = {
	{{0x02, 0x00, 0x00, 0x00, 0x10, 0x00}},
	{{0x02, 0x00, 0x00, 0x00, 0x10, 0x01}},
};
static const struct rte_ether_addr peer_mac[2] = {
	{{0x02, 0x00, 0x00, 0x00, 0x00, 0xfe}}, /* the clients' gateway */
	{{0x02, 0x00, 0x00, 0x00, 0x01, 0x0b}}, /* a real server */
};

/* What a packet of the burst is. */
enum kind {
	K_SYN,	   /* client -> VIP, SYN */
	K_SYNACK,  /* real server -> client, SYN+ACK */
	K_ACK_FWD, /* client -> VIP, ACK with data */
	K_ACK_REV, /* real server -> client, ACK with data */
};

struct bench {
	struct dp dp;
	struct dp_worker *w;
	struct rte_mbuf *m[BURST];
	uint32_t v[BURST];
	uint8_t *server; /* flow id -> real server index (from its forwarded SYN) */
	uint64_t bad;	 /* packets not transmitted where they should have been */
};

/* Flow id -> client address and port (host order). */
static inline uint32_t
flow_ip(uint32_t id)
{
	return CLIENT_NET + (id >> 8);
}

static inline uint16_t
flow_port(uint32_t id)
{
	return (uint16_t)(1024 + (id & 0xff));
}

/* Write the frame of flow id, kind k, into m (valid checksums). */
static void
prep(struct bench *b, struct rte_mbuf *m, enum kind k, uint32_t id)
{
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)p;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eh + 1);
	struct rte_tcp_hdr *t = (struct rte_tcp_hdr *)(ip + 1);
	bool fwd = k == K_SYN || k == K_ACK_FWD;
	uint32_t client = rte_cpu_to_be_32(flow_ip(id));
	uint16_t cport = rte_cpu_to_be_16(flow_port(id));

	memset(p, 0, FRAME_LEN);
	rte_ether_addr_copy(&port_mac[fwd ? P_IN : P_OUT], &eh->dst_addr);
	rte_ether_addr_copy(&peer_mac[fwd ? P_IN : P_OUT], &eh->src_addr);
	eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16(FRAME_LEN - sizeof(*eh));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	t->data_off = 5 << 4;
	t->rx_win = rte_cpu_to_be_16(65535);
	if (fwd) {
		ip->src_addr = client;
		ip->dst_addr = rte_cpu_to_be_32(VIP);
		t->src_port = cport;
		t->dst_port = rte_cpu_to_be_16(VPORT);
	} else {
		ip->src_addr = rte_cpu_to_be_32(SERVER0 + b->server[id]);
		ip->dst_addr = client;
		t->src_port = rte_cpu_to_be_16(VPORT);
		t->dst_port = cport;
	}
	switch (k) {
	case K_SYN:
		t->tcp_flags = RTE_TCP_SYN_FLAG;
		break;
	case K_SYNACK:
		t->tcp_flags = RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG;
		break;
	default:
		t->tcp_flags = RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG;
		break;
	}
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	t->cksum = rte_ipv4_udptcp_cksum(ip, t);
}

/* How the timed region treats the burst. */
enum mode {
	M_EMPTY,  /* a load per packet: the timer's share */
	M_SINGLE, /* classify + dp_lb_input per packet (process_one: handed-off packets) */
	M_BURST,  /* the staged burst of process_burst (packets from a NIC queue) */
};

static inline struct dp_lb_service *
verdict_service(const struct dp *dp, uint32_t v)
{
	const struct dp_lb_table *t = __atomic_load_n(&dp->lb->table, __ATOMIC_ACQUIRE);
	uint32_t id = DP_VERDICT_ARG(v);

	return id < t->n_services ? t->svc[id] : NULL;
}

static inline bool
is_lb_conn_packet(uint32_t v)
{
	return DP_VERDICT_KIND(v) == DP_V_LB && DP_VERDICT_ARG(v) != DP_V_LB_ICMP;
}

/* process_one minus transmit: classify, then the load balancer. */
static void
work_single(struct bench *b, unsigned int pidx, unsigned int n)
{
	struct dp *dp = &b->dp;
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct pkt_info pi;
		uint32_t v = dp_classify(dp, 0, pidx, b->m[i], &pi, false);

		if (DP_VERDICT_KIND(v) == DP_V_LB)
			v = dp_lb_input(dp, b->w, pidx, b->m[i], &pi, verdict_service(dp, v));
		b->v[i] = v;
	}
}

/* process_burst (dp_worker.c) minus transmit: classify the burst and prefetch
 * each connection's bucket, then its entry, then act.  Keep in step with it. */
static void
work_burst(struct bench *b, unsigned int pidx, unsigned int n)
{
	struct dp *dp = &b->dp;
	struct pkt_info pi[BURST];
	struct lb_conn_key keys[BURST];
	uint32_t v[BURST], hashes[BURST];
	unsigned int i, n_lb = 0;

	for (i = 0; i < n && i < 4; i++)
		rte_prefetch0(rte_pktmbuf_mtod(b->m[i], void *));
	for (i = 0; i < n; i++) {
		if (i + 4 < n)
			rte_prefetch0(rte_pktmbuf_mtod(b->m[i + 4], void *));
		v[i] = dp_classify(dp, 0, pidx, b->m[i], &pi[i], false);
		if (is_lb_conn_packet(v[i])) {
			dp_lb_key(dp, b->w, &pi[i], &keys[i], &hashes[i]);
			dp_lb_prefetch(dp, b->w, hashes[i], false);
			n_lb++;
		}
	}
	if (n_lb > 1)
		for (i = 0; i < n; i++)
			if (is_lb_conn_packet(v[i]))
				dp_lb_prefetch(dp, b->w, hashes[i], true);
	for (i = 0; i < n; i++)
		b->v[i] = is_lb_conn_packet(v[i])
			? dp_lb_input_keyed(dp, b->w, b->m[i], &pi[i], verdict_service(dp, v[i]),
				  &keys[i], hashes[i])
			: v[i];
}

/* Timed: the burst's n packets; cycles spent. */
static uint64_t
timed_burst(struct bench *b, unsigned int pidx, unsigned int n, enum mode mode)
{
	uint64_t t0, t1;
	unsigned int i;

	if (mode == M_EMPTY) {
		uint32_t acc = 0;

		t0 = bench_now();
		for (i = 0; i < n; i++)
			acc += *rte_pktmbuf_mtod(b->m[i], volatile uint8_t *);
		t1 = bench_now();
		b->v[0] = acc;
		return t1 - t0;
	}
	t0 = bench_now();
	if (mode == M_BURST)
		work_burst(b, pidx, n);
	else
		work_single(b, pidx, n);
	t1 = bench_now();
	return t1 - t0;
}

/* After a burst: every packet must have gone out of port `out`. */
static void
check_burst(struct bench *b, unsigned int n, unsigned int out)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (b->v[i] != DP_VERDICT(DP_V_TX, out) && b->bad++ == 0)
			fprintf(stderr, "bench_lb: verdict %#x where TX on port %u was expected\n",
				b->v[i], out);
}

/* Untimed, as the poll loop does once per pass; returns its cycles. */
static uint64_t
tick(struct bench *b)
{
	uint64_t t0 = bench_now();

	dp_lb_worker_tick(&b->dp, b->w);
	return bench_now() - t0;
}

struct result {
	double cyc; /* median cycles per packet */
	double lo, hi;
	double tick; /* median cycles per pass of the tick */
};

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * RUNS runs of `passes` bursts of frames of kind k, flows taken in turn from
 * ids[0..n_ids) (wrapping).  Median cycles per packet, and of the tick.
 */
static struct result
measure(struct bench *b, enum kind k, const uint32_t *ids, uint32_t n_ids, uint32_t passes,
	enum mode mode)
{
	bool fwd = k == K_SYN || k == K_ACK_FWD;
	unsigned int pidx = fwd ? P_IN : P_OUT, out = fwd ? P_OUT : P_IN;
	double runs[RUNS];
	uint64_t *ticks = malloc(sizeof(*ticks) * passes);
	struct result res;
	unsigned int r, i;
	uint32_t j, pos = 0;

	if (ticks == NULL)
		rte_exit(EXIT_FAILURE, "bench_lb: out of memory\n");

	for (r = 0; r < RUNS; r++) {
		uint64_t cyc = 0;

		for (j = 0; j < passes; j++) {
			for (i = 0; i < BURST; i++) {
				prep(b, b->m[i], k, ids[pos]);
				pos = pos + 1 == n_ids ? 0 : pos + 1;
			}
			cyc += timed_burst(b, pidx, BURST, mode);
			if (mode != M_EMPTY)
				check_burst(b, BURST, out);
			ticks[j] = tick(b);
		}
		runs[r] = (double)cyc / ((double)passes * BURST);
	}
	qsort(ticks, passes, sizeof(*ticks), cmp_u64);
	res.tick = (double)ticks[passes / 2];
	free(ticks);
	qsort(runs, RUNS, sizeof(runs[0]), bench_cmp_double);
	res.cyc = runs[RUNS / 2];
	res.lo = runs[0];
	res.hi = runs[RUNS - 1];
	return res;
}

/* Untimed: the handshake of flows ids[0..n) (SYN, SYN+ACK, ACK). */
static void
open_flows(struct bench *b, const uint32_t *ids, uint32_t n)
{
	uint32_t j, i, c;

	for (j = 0; j < n; j += c) {
		c = RTE_MIN(n - j, (uint32_t)BURST);
		for (i = 0; i < c; i++)
			prep(b, b->m[i], K_SYN, ids[j + i]);
		timed_burst(b, P_IN, c, M_SINGLE);
		check_burst(b, c, P_OUT);
		for (i = 0; i < c; i++) {
			const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(
				b->m[i], const struct rte_ipv4_hdr *, sizeof(struct rte_ether_hdr));

			b->server[ids[j + i]] = (uint8_t)(rte_be_to_cpu_32(ip->dst_addr) - SERVER0);
		}
		for (i = 0; i < c; i++)
			prep(b, b->m[i], K_SYNACK, ids[j + i]);
		timed_burst(b, P_OUT, c, M_SINGLE);
		check_burst(b, c, P_IN);
		for (i = 0; i < c; i++)
			prep(b, b->m[i], K_ACK_FWD, ids[j + i]);
		timed_burst(b, P_IN, c, M_SINGLE);
		check_burst(b, c, P_OUT);
		if ((j / BURST) % 64 == 0)
			tick(b);
	}
}

/* Untimed: forget flows ids[0..n) (as if they had closed). */
static void
close_flows(struct bench *b, const uint32_t *ids, uint32_t n)
{
	struct lb_conn_table *ct = b->dp.lb->w[0]->ct;
	uint32_t now = b->dp.lb->w[0]->now, i;

	for (i = 0; i < n; i++) {
		struct lb_conn_key k;
		struct lb_conn *c;

		lb_conn_key_v4(&k, IPPROTO_TCP, rte_cpu_to_be_32(flow_ip(ids[i])),
			rte_cpu_to_be_32(VIP), rte_cpu_to_be_16(flow_port(ids[i])),
			rte_cpu_to_be_16(VPORT));
		c = lb_conn_lookup(ct, &k, lb_conn_hash(&k, lb_conn_seed(ct)), now, NULL);
		if (c != NULL)
			lb_conn_delete(ct, c);
		else if (b->bad++ == 0)
			fprintf(stderr, "bench_lb: flow %u not found\n", ids[i]);
	}
}

/* New connections: runs of NEW_PER_RUN SYNs from clients never seen, each run's flows
 * forgotten afterwards so every run starts from the same table size. */
static struct result
measure_new(struct bench *b, uint32_t base, enum mode mode)
{
	uint32_t *ids = malloc(sizeof(*ids) * NEW_PER_RUN);
	double runs[RUNS];
	struct result res = {0};
	unsigned int r, i;
	uint32_t j;

	if (ids == NULL)
		rte_exit(EXIT_FAILURE, "bench_lb: out of memory\n");
	for (r = 0; r < RUNS; r++) {
		uint64_t cyc = 0;

		for (j = 0; j < NEW_PER_RUN; j++)
			ids[j] = base + r * NEW_PER_RUN + j;
		for (j = 0; j < NEW_PER_RUN; j += BURST) {
			for (i = 0; i < BURST; i++)
				prep(b, b->m[i], K_SYN, ids[j + i]);
			cyc += timed_burst(b, P_IN, BURST, mode);
			check_burst(b, BURST, P_OUT);
			tick(b);
		}
		close_flows(b, ids, NEW_PER_RUN);
		runs[r] = (double)cyc / NEW_PER_RUN;
	}
	free(ids);
	qsort(runs, RUNS, sizeof(runs[0]), bench_cmp_double);
	res.cyc = runs[RUNS / 2];
	res.lo = runs[0];
	res.hi = runs[RUNS - 1];
	return res;
}

/* One more check of what the measured path produces: a SYN leaves
 * rewritten to a real server with valid checksums and the right MACs. */
static int
sanity(struct bench *b, uint32_t id, enum mode mode)
{
	const struct rte_ether_hdr *eh;
	const struct rte_ipv4_hdr *ip;
	const void *l4;
	uint32_t v;

	prep(b, b->m[0], K_SYN, id);
	timed_burst(b, P_IN, 1, mode);
	v = b->v[0];
	eh = rte_pktmbuf_mtod(b->m[0], const struct rte_ether_hdr *);
	ip = (const struct rte_ipv4_hdr *)(eh + 1);
	l4 = ip + 1;
	if (v != DP_VERDICT(DP_V_TX, P_OUT) || rte_be_to_cpu_32(ip->dst_addr) - SERVER0 > 1 ||
		ip->time_to_live != 63 || rte_ipv4_cksum(ip) != 0 /* over a valid header */ ||
		rte_ipv4_udptcp_cksum_verify(ip, l4) != 0 ||
		!rte_is_same_ether_addr(&eh->src_addr, &port_mac[P_OUT]) ||
		eh->dst_addr.addr_bytes[5] != (uint8_t)(rte_be_to_cpu_32(ip->dst_addr) & 0xff)) {
		fprintf(stderr, "bench_lb: the forwarded SYN is not what nat should send (%#x)\n",
			v);
		return -1;
	}
	close_flows(b, &id, 1);
	return 0;
}

static int
setup(struct bench *b)
{
	char err[PROF_ERR_MAX];
	struct dp *dp = &b->dp;
	unsigned int i, k;
	size_t sz;

	memset(b, 0, sizeof(*b));
	if (prof_load_buf("bench_lb.ini", profile, sizeof(profile) - 1, &dp->prof, err,
		    sizeof(err)) != 0) {
		fprintf(stderr, "bench_lb: %s\n", err);
		return -1;
	}
	dp->n_workers = dp->prof->dataplane.workers;
	dp->n_ports = dp->prof->n_ports;
	for (i = 0; i < dp->n_ports; i++) {
		dp->ports[i].prof = &dp->prof->ports[i];
		dp->ports[i].port_id = (uint16_t)i;
		dp->ports[i].up = true;
		dp->port_index[i] = (uint16_t)i;
		rte_ether_addr_copy(&port_mac[i], &dp->ports[i].mac);
	}
	for (i = 0; i < DP_RETA_SIZE; i++)
		dp->reta[i] = (uint8_t)(i % dp->n_workers);
	sz = rte_rcu_qsbr_get_memsize(dp->n_workers);
	dp->qsbr = rte_zmalloc(NULL, sz, RTE_CACHE_LINE_SIZE);
	if (dp->qsbr == NULL || rte_rcu_qsbr_init(dp->qsbr, dp->n_workers) != 0)
		return -1;
	dp->pool = rte_pktmbuf_pool_create("bench_lb", 256, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	b->w = rte_zmalloc("bench_worker", sizeof(*b->w), RTE_CACHE_LINE_SIZE);
	b->server = calloc(1u << 24, 1);
	if (dp->pool == NULL || b->w == NULL || b->server == NULL)
		return -1;
	dp->workers[0] = b->w;
	/* dp_main.c setup() order: neighbours, (ports), load balancer, owned
	 * addresses, (workers, start), static neighbours. */
	if (dp_neigh_create(dp) != 0 || dp_lb_create(dp) != 0 || dp_local_build(dp) != 0) {
		fprintf(stderr, "bench_lb: set-up failed\n");
		return -1;
	}
	for (i = 0; i < dp->n_ports; i++) {
		const struct prof_port *pp = dp->ports[i].prof;

		for (k = 0; k < pp->n_neighbors; k++)
			if (dp_neigh_learn(
				    dp, i, &pp->neighbors[k].addr, pp->neighbors[k].mac, true) != 0)
				return -1;
	}
	for (i = 0; i < BURST; i++) {
		b->m[i] = rte_pktmbuf_alloc(dp->pool);
		if (b->m[i] == NULL || rte_pktmbuf_append(b->m[i], FRAME_LEN) == NULL)
			return -1;
	}
	dp_lb_worker_tick(dp, b->w);
	return 0;
}

static void
row(const char *what, const struct result *burst, const struct result *single, const char *target)
{
	printf("  %-30s %7.1f (%4.0f-%-4.0f) %7.1f (%4.0f-%-4.0f)  %s\n", what, burst->cyc,
		burst->lo, burst->hi, single->cyc, single->lo, single->hi, target);
}

int
main(int argc, char **argv)
{
	/* --no-shconf: no shared runtime files left behind, no collisions. */
	char *eal[] = {argv[0], "--no-huge", "-m", "512", "--no-pci", "-l", "0",
		"--log-level=*:error", "--no-shconf", "--no-telemetry", NULL};
	static struct bench bench;
	struct bench *b = &bench;
	struct result few_f[2], few_r[2], many_f[2], many_r[2], new0[2], new1[2], empty;
	bool quick = argc > 1 && strcmp(argv[1], "--few") == 0;
	uint32_t few[FEW], *perm = NULL, i;
	uint64_t t0, fill = 0;
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	unsigned int md;

	if (argc > 1 && !quick) {
		fprintf(stderr, "usage: bench_lb [--few]  (--few: skip the 1M-flow cases)\n");
		return 2;
	}
	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])) - 1, eal) < 0) {
		fprintf(stderr, "bench_lb: EAL init failed\n");
		return 1;
	}
	if (setup(b) != 0) {
		fprintf(stderr, "bench_lb: set-up failed\n");
		return 1;
	}
	if (sanity(b, 1u << 23, M_SINGLE) != 0 || sanity(b, 1u << 23, M_BURST) != 0)
		return 1;

	/* New connections into an empty table (ids far above the others);
	 * [0]: burst, [1]: single. */
	for (md = 0; md < 2; md++)
		new0[md] = measure_new(
			b, (1u << 22) + md * RUNS * NEW_PER_RUN, md == 0 ? M_BURST : M_SINGLE);

	/* A few flows, cache-hot: ids 0..63, opened then visited in turn. */
	for (i = 0; i < FEW; i++)
		few[i] = i;
	open_flows(b, few, FEW);
	empty = measure(b, K_ACK_FWD, few, FEW, FEW_PASSES, M_EMPTY);
	for (md = 0; md < 2; md++) {
		few_f[md] =
			measure(b, K_ACK_FWD, few, FEW, FEW_PASSES, md == 0 ? M_BURST : M_SINGLE);
		few_r[md] =
			measure(b, K_ACK_REV, few, FEW, FEW_PASSES, md == 0 ? M_BURST : M_SINGLE);
	}

	if (!quick) {
		/* 1,000,000 flows: ids 0..MANY-1 (the first 64 are open already). */
		perm = malloc(sizeof(*perm) * MANY);
		if (perm == NULL)
			return 1;
		for (i = 0; i < MANY; i++)
			perm[i] = i;
		t0 = bench_now();
		open_flows(b, perm + FEW, MANY - FEW);
		fill = bench_now() - t0;
		/* Visited in a random order (xorshift Fisher-Yates). */
		for (i = MANY - 1; i > 0; i--) {
			uint32_t j, x;

			seed ^= seed << 13;
			seed ^= seed >> 7;
			seed ^= seed << 17;
			j = (uint32_t)(seed % (i + 1));
			x = perm[i];
			perm[i] = perm[j];
			perm[j] = x;
		}
		for (md = 0; md < 2; md++) {
			enum mode mode = md == 0 ? M_BURST : M_SINGLE;

			many_f[md] = measure(b, K_ACK_FWD, perm, MANY, MANY / BURST, mode);
			many_r[md] = measure(b, K_ACK_REV, perm, MANY, MANY / BURST, mode);
			new1[md] = measure_new(b, (1u << 22) + (2 + md) * RUNS * NEW_PER_RUN, mode);
		}
	}

	printf("bench_lb: load balancer fast path, nat, rr over 2 real servers, 1 worker, "
	       "burst %u, median of %u runs\n",
		BURST, RUNS);
	printf("  cycles/packet (min-max of runs); burst: classify the burst, prefetch, act "
	       "(process_burst);\n  single: classify + dp_lb_input per packet (process_one)\n");
	printf("  %-30s %-20s %-20s  %s\n", "", "burst", "single", "target");
	row("empty loop (timer share)", &empty, &empty, "");
	row("established fwd, 64 flows", &few_f[0], &few_f[1], "<= 100");
	row("established reply, 64 flows", &few_r[0], &few_r[1], "<= 100");
	if (!quick) {
		row("established fwd, 1M flows", &many_f[0], &many_f[1], "<= 100");
		row("established reply, 1M flows", &many_r[0], &many_r[1], "<= 100");
	}
	row("new connection, empty table", &new0[0], &new0[1], "<= 1000");
	if (!quick)
		row("new connection, 1M flows", &new1[0], &new1[1], "<= 1000");
	printf("  per poll pass, not counted above: dp_lb_worker_tick (clock, time-paced expiry "
	       "sweep) %.0f cycles at 64 flows",
		few_f[0].tick);
	if (!quick)
		printf(", %.0f at 1M (%.0f and %.0f per packet of a full burst)\n", many_f[0].tick,
			few_f[0].tick / BURST, many_f[0].tick / BURST);
	else
		printf(" (%.0f per packet of a full burst)\n", few_f[0].tick / BURST);
	if (!quick)
		printf("  opening 1M flows (set-up: SYN, SYN+ACK, ACK, packet building included): "
		       "%.0f cycles/packet; %u connections\n",
			(double)fill / (3.0 * (MANY - FEW)), lb_conn_count(b->dp.lb->w[0]->ct));
	printf("  (TSC %.2f GHz; packets rebuilt outside the timed region)\n",
		(double)rte_get_tsc_hz() / 1e9);
	free(perm);
	if (b->bad != 0) {
		fprintf(stderr, "bench_lb: %" PRIu64 " packets took the wrong path\n", b->bad);
		return 1;
	}
	dp_lb_free(&b->dp);
	rte_eal_cleanup();
	return 0;
}
