/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Benchmark (not a test): cycles per packet of pkt_parse() over bursts of
 * 32 synthetic frames -- one burst per frame kind and one mixed burst --
 * median of RUNS runs of ITERS passes, next to an empty loop over the
 * same burst for scale.  TSC cycles on x86 (rdtsc fenced by lfence),
 * nanoseconds from CLOCK_MONOTONIC elsewhere.
 *
 * Frames sit at a 128-byte headroom in 2 KiB buffers, as in an mbuf.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define BENCH_UNIT "cycles"
#else
#define BENCH_UNIT "ns"
#endif

#include "bench.h"
#include "pkt.h"

#define BURST 32
#define ITERS 20000
#define RUNS 9
#define BUF_SIZE 2048
#define HEADROOM 128

enum kind {
	K_IPV4_TCP,
	K_IPV4_UDP,
	K_IPV6_TCP,
	K_VLAN_IPV4_UDP,
	K_ARP,
	K_MAX,
};

static const char *const kind_names[K_MAX] = {
	[K_IPV4_TCP] = "ipv4/tcp",
	[K_IPV4_UDP] = "ipv4/udp",
	[K_IPV6_TCP] = "ipv6/tcp",
	[K_VLAN_IPV4_UDP] = "vlan ipv4/udp",
	[K_ARP] = "arp",
};

struct burst {
	const uint8_t *data[BURST];
	uint32_t len[BURST];
};

static volatile uint32_t sink;

static uint8_t *
wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static uint8_t *
wr32(uint8_t *p, uint32_t v)
{
	return wr16(wr16(p, (uint16_t)(v >> 16)), (uint16_t)v);
}

static uint8_t *
eth(uint8_t *p, uint16_t type)
{
	static const uint8_t macs[12] = {0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02};

	memcpy(p, macs, sizeof(macs));
	return wr16(p + 12, type);
}

static uint8_t *
ipv4(uint8_t *p, uint8_t proto, uint16_t l4_len, unsigned int i)
{
	p[0] = 0x45;
	wr16(p + 2, (uint16_t)(20 + l4_len));
	wr16(p + 6, 0x4000);
	p[8] = 64;
	p[9] = proto;
	wr32(p + 12, 0xc6336400u + i);
	wr32(p + 16, 0xc0000201u);
	return p + 20;
}

static uint8_t *
udp(uint8_t *p, unsigned int i, uint16_t payload)
{
	wr16(p, (uint16_t)(5000 + i));
	wr16(p + 2, 3478);
	wr16(p + 4, (uint16_t)(8 + payload));
	return p + 8 + payload;
}

static uint8_t *
tcp(uint8_t *p, unsigned int i)
{
	wr16(p, (uint16_t)(40000 + i));
	wr16(p + 2, 443);
	p[12] = 5 << 4;
	p[13] = 0x02;
	return p + 20;
}

/* Build frame i of a kind into buf; returns its length. */
static uint32_t
build(uint8_t *buf, enum kind k, unsigned int i)
{
	uint8_t *p = buf;

	switch (k) {
	case K_IPV4_TCP:
		p = tcp(ipv4(eth(p, 0x0800), 6, 20, i), i);
		break;
	case K_IPV4_UDP:
		p = udp(ipv4(eth(p, 0x0800), 17, 8 + 64, i), i, 64);
		break;
	case K_IPV6_TCP:
		p = eth(p, 0x86dd);
		wr32(p, 0x60000000);
		wr16(p + 4, 20);
		p[6] = 6;
		p[7] = 64;
		wr32(p + 8, 0x20010db8);
		p[23] = (uint8_t)(2 + i);
		wr32(p + 24, 0x20010db8);
		p[39] = 1;
		p = tcp(p + 40, i);
		break;
	case K_VLAN_IPV4_UDP:
		p = eth(p, 0x8100);
		wr16(p, (uint16_t)(100 + i % 4));
		p = udp(ipv4(wr16(p + 2, 0x0800), 17, 8 + 32, i), i, 32);
		break;
	case K_ARP:
		p = wr16(wr16(eth(p, 0x0806), 1), 0x0800);
		p[0] = 6;
		p[1] = 4;
		p = wr16(p + 2, 1);
		memset(p, 0x02, 6);
		wr32(p + 6, 0xc0000202u + i);
		wr32(p + 16, 0xc0000201u);
		p += 20;
		break;
	default:
		abort();
	}
	/* Pad to the Ethernet minimum, as received. */
	if (p - buf < 60)
		p = buf + 60;
	return (uint32_t)(p - buf);
}

/* Median over RUNS of the cost per packet of one pass over the burst. */
static double
measure(const struct burst *b, int empty)
{
	double runs[RUNS];
	unsigned int r, it, i;

	for (r = 0; r < RUNS; r++) {
		uint32_t acc = 0;
		uint64_t t0 = bench_now();

		for (it = 0; it < ITERS; it++) {
			if (empty) {
				for (i = 0; i < BURST; i++)
					acc += *(const volatile uint8_t *)(b->data[i] + 12) +
						b->len[i];
			} else {
				for (i = 0; i < BURST; i++) {
					struct pkt_info pi;

					acc += (uint32_t)pkt_parse(b->data[i], b->len[i], &pi);
					acc += pi.l4_off + pi.sport + pi.flags;
				}
			}
			/* Keep the compiler from merging passes over the same burst. */
			__asm__ volatile("" : : : "memory");
		}
		sink = acc;
		runs[r] = (double)(bench_now() - t0) / ((double)ITERS * BURST);
	}
	qsort(runs, RUNS, sizeof(runs[0]), bench_cmp_double);
	return runs[RUNS / 2];
}

int
main(void)
{
	static struct burst bursts[K_MAX + 1]; /* one per kind, then the mix */
	uint8_t *mem = aligned_alloc(64, (size_t)(K_MAX + 1) * BURST * BUF_SIZE);
	unsigned int k, i;

	if (mem == NULL) {
		fprintf(stderr, "bench_parse: out of memory\n");
		return 1;
	}
	memset(mem, 0, (size_t)(K_MAX + 1) * BURST * BUF_SIZE);
	for (k = 0; k <= K_MAX; k++)
		for (i = 0; i < BURST; i++) {
			uint8_t *buf = mem + ((size_t)k * BURST + i) * BUF_SIZE + HEADROOM;
			enum kind kind = k < K_MAX ? (enum kind)k : (enum kind)(i % K_MAX);
			struct pkt_info pi;

			bursts[k].data[i] = buf;
			bursts[k].len[i] = build(buf, kind, i);
			if (pkt_parse(buf, bursts[k].len[i], &pi) != PKT_OK) {
				fprintf(stderr, "bench_parse: %s frame does not parse\n",
					kind_names[kind]);
				return 1;
			}
		}

	printf("bench_parse: pkt_parse, burst %u, %u passes, median of %u runs\n", BURST, ITERS,
		RUNS);
	printf("empty loop: %.1f " BENCH_UNIT "/packet (median of %u)\n",
		measure(&bursts[K_MAX], 1), RUNS);
	for (k = 0; k < K_MAX; k++)
		printf("parse %s: %.1f " BENCH_UNIT "/packet (median of %u)\n", kind_names[k],
			measure(&bursts[k], 0), RUNS);
	printf("parse mix: %.1f " BENCH_UNIT "/packet (median of %u)\n", measure(&bursts[K_MAX], 0),
		RUNS);
	free(mem);
	return 0;
}
