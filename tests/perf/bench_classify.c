/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Benchmark (not a test): TSC cycles per packet of the worker's parse +
 * classify stage (dp_classify: parse, layer-2 check, owned-address lookup,
 * flow-owner choice) over a fixed burst of synthetic frames, median of
 * several runs, next to an empty loop over the same burst for scale.
 *
 * Runs in-process on EAL with no devices: the classifier is pure, so the
 * burst can be classified again and again without being consumed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "bench.h"
#include "dp.h"
#include "dp_lb.h"
#include "dp_neigh.h"
#include "dp_verdict.h"
#include "pkt.h"

#define BURST 32
#define ITERS 20000
#define RUNS 9

static const char profile[] = "[dataplane]\n"
			      "workers = 2\n"
			      "[port ext]\n"
			      "mode = pmd\n"
			      "device = net_null0\n"
			      "address = 192.0.2.1/24\n"
			      "address = 2001:db8::1/64\n";

static const struct rte_ether_addr port_mac = {{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}};
static const struct rte_ether_addr peer_mac = {{0x02, 0x00, 0x00, 0x00, 0x00, 0x02}};

static uint8_t *
eth(struct rte_mbuf *m, uint16_t type, size_t l3len)
{
	struct rte_ether_hdr *eh =
		(struct rte_ether_hdr *)rte_pktmbuf_append(m, (uint16_t)(sizeof(*eh) + l3len));

	memset(eh, 0, sizeof(*eh) + l3len);
	rte_ether_addr_copy(&port_mac, &eh->dst_addr);
	rte_ether_addr_copy(&peer_mac, &eh->src_addr);
	eh->ether_type = rte_cpu_to_be_16(type);
	return (uint8_t *)(eh + 1);
}

static void
ipv4(uint8_t *p, uint8_t proto, uint32_t src, uint32_t dst, uint16_t l4len)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)p;

	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(20 + l4len));
	ip->time_to_live = 64;
	ip->next_proto_id = proto;
	ip->src_addr = rte_cpu_to_be_32(src);
	ip->dst_addr = rte_cpu_to_be_32(dst);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
}

/* Frame kinds of the mix, as a worker at an edge sees them. */
static const char *
build(struct rte_mbuf *m, unsigned int kind, unsigned int i)
{
	uint8_t *p;

	switch (kind) {
	case 0: { /* TCP SYN to one of our addresses (to the kernel) */
		struct rte_tcp_hdr *t;

		p = eth(m, RTE_ETHER_TYPE_IPV4, 40);
		ipv4(p, IPPROTO_TCP, 0xc6336400 + i, 0xc0000201, 20);
		t = (struct rte_tcp_hdr *)(p + 20);
		t->src_port = rte_cpu_to_be_16((uint16_t)(40000 + i));
		t->dst_port = rte_cpu_to_be_16(443);
		t->data_off = 5 << 4;
		t->tcp_flags = RTE_TCP_SYN_FLAG;
		return "ipv4/tcp to us";
	}
	case 1: { /* UDP for somebody else (dropped) */
		struct rte_udp_hdr *u;

		p = eth(m, RTE_ETHER_TYPE_IPV4, 28 + 64);
		ipv4(p, IPPROTO_UDP, 0xc6336400 + i, 0xc0000263, 8 + 64);
		u = (struct rte_udp_hdr *)(p + 20);
		u->src_port = rte_cpu_to_be_16(5004);
		u->dst_port = rte_cpu_to_be_16(3478);
		u->dgram_len = rte_cpu_to_be_16(8 + 64);
		return "ipv4/udp not ours";
	}
	case 2: { /* ICMP echo request to us */
		p = eth(m, RTE_ETHER_TYPE_IPV4, 28);
		ipv4(p, IPPROTO_ICMP, 0xc6336400 + i, 0xc0000201, 8);
		p[20] = 8;
		return "ipv4/icmp echo";
	}
	case 3: { /* ARP request for us */
		struct rte_arp_hdr *a;

		p = eth(m, RTE_ETHER_TYPE_ARP, sizeof(*a));
		a = (struct rte_arp_hdr *)p;
		a->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
		a->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
		a->arp_hlen = 6;
		a->arp_plen = 4;
		a->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REQUEST);
		a->arp_data.arp_sip = rte_cpu_to_be_32(0xc0000200 + 2 + i);
		a->arp_data.arp_tip = rte_cpu_to_be_32(0xc0000201);
		return "arp request";
	}
	default: { /* IPv6 UDP to us */
		struct rte_ipv6_hdr *ip6;

		p = eth(m, RTE_ETHER_TYPE_IPV6, 40 + 8);
		ip6 = (struct rte_ipv6_hdr *)p;
		ip6->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip6->payload_len = rte_cpu_to_be_16(8);
		ip6->proto = IPPROTO_UDP;
		ip6->hop_limits = 64;
		ip6->src_addr[0] = 0x20;
		ip6->src_addr[1] = 0x01;
		ip6->src_addr[15] = (uint8_t)(2 + i);
		ip6->dst_addr[0] = 0x20;
		ip6->dst_addr[1] = 0x01;
		ip6->dst_addr[2] = 0x0d;
		ip6->dst_addr[3] = 0xb8;
		ip6->dst_addr[15] = 1;
		((struct rte_udp_hdr *)(p + 40))->dgram_len = rte_cpu_to_be_16(8);
		return "ipv6/udp to us";
	}
	}
}

static volatile uint32_t sink;

/* Median cycles per packet of classify (or of the empty loop) over pkts. */
static double
measure(const struct dp *dp, struct rte_mbuf **pkts, unsigned int n, bool empty)
{
	double runs[RUNS];
	unsigned int r, it, i;

	for (r = 0; r < RUNS; r++) {
		uint64_t t0 = rte_rdtsc_precise();
		uint32_t acc = 0;

		for (it = 0; it < ITERS; it++) {
			for (i = 0; i < n; i++) {
				struct pkt_info pi;

				if (empty)
					acc += *rte_pktmbuf_mtod(pkts[i], volatile uint8_t *);
				else
					acc += dp_classify(dp, 0, 0, pkts[i], &pi, false);
			}
		}
		sink = acc;
		runs[r] = (double)(rte_rdtsc_precise() - t0) / ((double)ITERS * n);
	}
	qsort(runs, RUNS, sizeof(runs[0]), bench_cmp_double);
	return runs[RUNS / 2];
}

int
main(int argc, char **argv)
{
	char err[PROF_ERR_MAX];
	/* --no-shconf: no shared runtime files left behind, no collisions. */
	char *eal[] = {argv[0], "--no-huge", "-m", "256", "--no-pci", "-l", "0",
		"--log-level=*:error", "--no-shconf", "--no-telemetry", NULL};
	struct rte_mbuf *mix[BURST], *one[5][BURST];
	const char *names[5];
	struct dp dp;
	unsigned int k, i;
	size_t sz;

	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])) - 1, eal) < 0) {
		fprintf(stderr, "bench_classify: EAL init failed\n");
		return 1;
	}
	memset(&dp, 0, sizeof(dp));
	if (prof_load_buf("bench.ini", profile, sizeof(profile) - 1, &dp.prof, err, sizeof(err)) !=
		0) {
		fprintf(stderr, "bench_classify: %s\n", err);
		return 1;
	}
	dp.n_workers = dp.prof->dataplane.workers;
	dp.n_ports = 1;
	dp.ports[0].prof = &dp.prof->ports[0];
	rte_ether_addr_copy(&port_mac, &dp.ports[0].mac);
	for (i = 0; i < DP_RETA_SIZE; i++)
		dp.reta[i] = (uint8_t)(i % dp.n_workers);
	sz = rte_rcu_qsbr_get_memsize(dp.n_workers);
	dp.qsbr = rte_zmalloc(NULL, sz, RTE_CACHE_LINE_SIZE);
	rte_rcu_qsbr_init(dp.qsbr, dp.n_workers);
	dp.pool = rte_pktmbuf_pool_create("bench", 1024, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	if (dp.pool == NULL || dp_neigh_create(&dp) != 0 || dp_lb_create(&dp) != 0 ||
		dp_local_build(&dp) != 0) {
		fprintf(stderr, "bench_classify: set-up failed\n");
		return 1;
	}
	for (k = 0; k < 5; k++)
		for (i = 0; i < BURST; i++) {
			one[k][i] = rte_pktmbuf_alloc(dp.pool);
			names[k] = build(one[k][i], k, i);
		}
	for (i = 0; i < BURST; i++) {
		mix[i] = rte_pktmbuf_alloc(dp.pool);
		build(mix[i], i % 5, i);
	}

	printf("bench_classify: parse + classify, %u workers, burst %u, median of %u runs\n",
		dp.n_workers, BURST, RUNS);
	printf("  %-22s %8.1f cycles/packet\n", "empty loop", measure(&dp, mix, BURST, true));
	for (k = 0; k < 5; k++)
		printf("  %-22s %8.1f cycles/packet\n", names[k],
			measure(&dp, one[k], BURST, false));
	printf("  %-22s %8.1f cycles/packet\n", "mix", measure(&dp, mix, BURST, false));
	printf("  (TSC %.2f GHz)\n", (double)rte_get_tsc_hz() / 1e9);
	rte_eal_cleanup();
	return 0;
}
