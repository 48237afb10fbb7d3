/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for pkt_csum: known vectors, every length and alignment
 * against a plain byte-pair reference, and randomized (fixed-seed)
 * checks that RFC 1624 incremental updates match a full recomputation.
 *
 * The library works on values as they sit in the packet; the vectors
 * below are written as numbers, hence the htons()/ntohs() around them.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "pkt_csum.h"
#include "ut.h"

#define ITERATIONS 20000

/* xorshift64: a fixed sequence on every platform and libc. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void
rng_fill(uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)rng();
}

/* Reference: RFC 1071 as written, big-endian word by word, folded. */
static uint16_t
ref_sum(uint32_t s, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* The library's folded sum as a number. */
static uint16_t
lib_sum(const void *p, size_t n)
{
	return ntohs(pkt_csum_fold(pkt_csum_add(0, p, n)));
}

static uint16_t
rd16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static void
wr16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));
}

static uint32_t
rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static void
wr32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

/* RFC 1071 section 3 example: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2. */
static void
test_rfc1071_example(void)
{
	static const uint8_t b[8] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};

	UT_CHECK(lib_sum(b, sizeof(b)) == 0xddf2);
	UT_CHECK(ntohs(pkt_csum(b, sizeof(b))) == 0x220d);
	/* Split at an even offset, carried through the accumulator. */
	UT_CHECK(ntohs(pkt_csum_fold(pkt_csum_add(pkt_csum_add(0, b, 2), b + 2, 6))) == 0xddf2);
}

static void
test_fold(void)
{
	UT_CHECK(pkt_csum_fold(0) == 0);
	UT_CHECK(pkt_csum_fold(0xffff) == 0xffff);
	UT_CHECK(pkt_csum_fold(0x10000) == 1);
	UT_CHECK(pkt_csum_fold(0x1ffff) == 1);
	UT_CHECK(pkt_csum_fold(0x2fffd) == 0xffff);
	UT_CHECK(pkt_csum_fold(0xffffffff) == 0xffff);
	UT_CHECK(pkt_csum_fold(0x12345678) == 0x68ac);
	UT_CHECK(pkt_csum(NULL, 0) == 0xffff);
}

/*
 * IPv4 header 45 00 00 73 00 00 40 00 40 11 [b8 61] c0 a8 00 01 c0 a8 00 c7.
 * By hand: 4500 + 0073 + 0000 + 4000 + 4011 + c0a8 + 0001 + c0a8 + 00c7
 * = 2479c; 479c + 2 = 479e; ~479e = b861.
 */
static void
test_ipv4_header(void)
{
	static const uint8_t h[20] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
		0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
	uint8_t z[20];

	UT_CHECK(ntohs(pkt_ipv4_hdr_csum(h, sizeof(h))) == 0xb861);
	UT_CHECK(pkt_csum(h, sizeof(h)) == 0); /* verifies */
	memcpy(z, h, sizeof(z));
	z[10] = z[11] = 0;
	UT_CHECK(ntohs(pkt_csum(z, sizeof(z))) == 0xb861);
	z[10] = 0x12; /* the field's content does not matter */
	UT_CHECK(ntohs(pkt_ipv4_hdr_csum(z, sizeof(z))) == 0xb861);
}

/*
 * A DNS query for example.com (A), 192.0.2.1:53000 -> 198.51.100.53:53,
 * UDP length 37 (odd).  IP checksum 8f5a, UDP checksum 5a63 as computed
 * by an independent implementation when the vector was made.
 */
static const uint8_t udp4_pkt[] = {0x45, 0x00, 0x00, 0x39, 0xbe, 0xef, 0x40, 0x00, 0x40, 0x11, 0x8f,
	0x5a, 0xc0, 0x00, 0x02, 0x01, 0xc6, 0x33, 0x64, 0x35, 0xcf, 0x08, 0x00, 0x35, 0x00, 0x25,
	0x5a, 0x63, 0x1a, 0x2b, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07,
	0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x03, 0x63, 0x6f, 0x6d, 0x00, 0x00, 0x01, 0x00,
	0x01};

/* A SYN with MSS, SACK-permitted and window scale, 2001:db8::1 -> ::2. */
static const uint8_t tcp6_pkt[] = {0x60, 0x00, 0x00, 0x00, 0x00, 0x20, 0x06, 0x40, 0x20, 0x01, 0x0d,
	0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x20, 0x01,
	0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x9c,
	0x40, 0x01, 0xbb, 0x12, 0x34, 0x56, 0x78, 0x00, 0x00, 0x00, 0x00, 0x80, 0x02, 0xfd, 0x20,
	0x0f, 0xe8, 0x00, 0x00, 0x02, 0x04, 0x05, 0xa0, 0x04, 0x02, 0x01, 0x03, 0x03, 0x07, 0x01,
	0x01};

static void
test_real_packets(void)
{
	const uint8_t *ip = udp4_pkt, *l4 = udp4_pkt + 20;
	uint32_t sum;

	UT_CHECK(ntohs(pkt_ipv4_hdr_csum(ip, 20)) == 0x8f5a);
	UT_CHECK(ntohs(pkt_l4_csum_v4(rd32(ip + 12), rd32(ip + 16), IPPROTO_UDP, l4, 37, 6)) ==
		0x5a63);
	/* Receive-side check: pseudo-header + segment with its checksum sums to ffff. */
	sum = pkt_pseudo_v4(rd32(ip + 12), rd32(ip + 16), IPPROTO_UDP, 37);
	UT_CHECK(pkt_csum_fold(pkt_csum_add(sum, l4, 37)) == 0xffff);

	ip = tcp6_pkt;
	l4 = tcp6_pkt + 40;
	UT_CHECK(ntohs(pkt_l4_csum_v6(ip + 8, ip + 24, IPPROTO_TCP, l4, 32, 16)) == 0x0fe8);
	sum = pkt_pseudo_v6(ip + 8, ip + 24, IPPROTO_TCP, 32);
	UT_CHECK(pkt_csum_fold(pkt_csum_add(sum, l4, 32)) == 0xffff);
}

/* Every length 0..300 at every misalignment 0..15, with a carried-in sum. */
static void
test_lengths_alignments(void)
{
	static uint8_t buf[512];
	unsigned int bad = 0, shift, n;

	rng_fill(buf, sizeof(buf));
	for (shift = 0; shift < 16; shift++)
		for (n = 0; n <= 300; n++) {
			uint32_t carry = (uint32_t)rng();

			if (lib_sum(buf + shift, n) != ref_sum(0, buf + shift, n))
				bad++;
			if (ntohs(pkt_csum_fold(pkt_csum_add(htons((uint16_t)carry), buf + shift,
				    n))) != ref_sum(carry & 0xffff, buf + shift, n))
				bad++;
		}
	UT_CHECK_MSG(bad == 0, "%u length/alignment mismatches", bad);

	/* All ones: the accumulator's carries are exercised to the limit. */
	memset(buf, 0xff, sizeof(buf));
	UT_CHECK(lib_sum(buf, 511) == ref_sum(0, buf, 511));
	UT_CHECK(lib_sum(buf + 1, 509) == ref_sum(0, buf + 1, 509));
	UT_CHECK(pkt_csum_fold(pkt_csum_add(0xffffffff, buf, 512)) == 0xffff);
	memset(buf, 0, sizeof(buf));
	UT_CHECK(lib_sum(buf + 3, 99) == 0);
}

/* Pseudo-headers against the header laid out in a buffer. */
static void
test_pseudo(void)
{
	unsigned int i, bad = 0;

	for (i = 0; i < 1000; i++) {
		uint8_t ph4[12], ph6[40];
		uint8_t proto = (uint8_t)rng();
		uint16_t len16 = (uint16_t)rng();
		uint32_t len32 = i & 1 ? (uint32_t)rng() : len16;

		rng_fill(ph4, 8);
		ph4[8] = 0;
		ph4[9] = proto;
		ph4[10] = (uint8_t)(len16 >> 8);
		ph4[11] = (uint8_t)len16;
		if (ntohs(pkt_csum_fold(pkt_pseudo_v4(rd32(ph4), rd32(ph4 + 4), proto, len16))) !=
			ref_sum(0, ph4, 12))
			bad++;

		rng_fill(ph6, 32);
		ph6[32] = (uint8_t)(len32 >> 24);
		ph6[33] = (uint8_t)(len32 >> 16);
		ph6[34] = (uint8_t)(len32 >> 8);
		ph6[35] = (uint8_t)len32;
		ph6[36] = ph6[37] = ph6[38] = 0;
		ph6[39] = proto;
		if (ntohs(pkt_csum_fold(pkt_pseudo_v6(ph6, ph6 + 16, proto, len32))) !=
			ref_sum(0, ph6, 40))
			bad++;
	}
	UT_CHECK_MSG(bad == 0, "%u pseudo-header mismatches", bad);
}

/* L4 checksum with the field at any offset equals the sum with it zeroed. */
static void
test_l4_field_offset(void)
{
	unsigned int i, bad = 0;

	for (i = 0; i < 2000; i++) {
		uint8_t seg[200], zeroed[200];
		uint16_t len = (uint16_t)(2 + rng() % 199);
		uint16_t off = (uint16_t)(rng() % (len - 1u));
		uint32_t s = (uint32_t)rng(), d = (uint32_t)rng();
		uint16_t want;

		rng_fill(seg, len);
		memcpy(zeroed, seg, len);
		zeroed[off] = zeroed[off + 1] = 0;
		want = (uint16_t)~pkt_csum_fold(
			pkt_csum_add(pkt_pseudo_v4(s, d, IPPROTO_TCP, len), zeroed, len));
		if (pkt_l4_csum_v4(s, d, IPPROTO_TCP, seg, len, off) != want)
			bad++;
	}
	UT_CHECK_MSG(bad == 0, "%u field-offset mismatches", bad);
}

/*
 * A UDP datagram whose checksum computes to 0: 0xffff is sent instead
 * (RFC 768, RFC 8200 8.1); TCP keeps the 0.  The last payload word is
 * chosen to make the sum all ones.
 */
static void
test_udp_zero(void)
{
	uint8_t seg[20] = {0x30, 0x39, 0x00, 0x35, 0x00, 0x14};
	uint8_t a6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1}, b6[16] = {0xfe, 0x80, [15] = 9};
	uint32_t s = htonl(0xc0000201), d = htonl(0xc6336407);
	uint16_t rest;

	rng_fill(seg + 8, 10);
	seg[18] = seg[19] = 0;
	rest = pkt_csum_fold(pkt_csum_add(pkt_pseudo_v4(s, d, IPPROTO_UDP, 20), seg, 20));
	wr16(seg + 18, (uint16_t)~rest);
	UT_CHECK(pkt_l4_csum_v4(s, d, IPPROTO_UDP, seg, 20, 6) == 0xffff);
	wr16(seg + 6, 0xffff); /* verifies as stored */
	UT_CHECK(pkt_csum_fold(pkt_csum_add(pkt_pseudo_v4(s, d, IPPROTO_UDP, 20), seg, 20)) ==
		0xffff);

	wr16(seg + 6, 0);
	seg[18] = seg[19] = 0;
	rest = pkt_csum_fold(pkt_csum_add(pkt_pseudo_v4(s, d, IPPROTO_TCP, 20), seg, 20));
	wr16(seg + 18, (uint16_t)~rest);
	UT_CHECK(pkt_l4_csum_v4(s, d, IPPROTO_TCP, seg, 20, 6) == 0x0000);

	wr16(seg + 6, 0);
	seg[18] = seg[19] = 0;
	rest = pkt_csum_fold(pkt_csum_add(pkt_pseudo_v6(a6, b6, IPPROTO_UDP, 20), seg, 20));
	wr16(seg + 18, (uint16_t)~rest);
	UT_CHECK(pkt_l4_csum_v6(a6, b6, IPPROTO_UDP, seg, 20, 6) == 0xffff);
}

/* RFC 1624 section 3: sum of the rest cd7a, m 5555 -> 3285 gives 0000. */
static void
test_rfc1624_example(void)
{
	UT_CHECK(ntohs(pkt_csum_update16(htons(0xdd2f), htons(0x5555), htons(0x3285))) == 0x0000);
	/* And back again. */
	UT_CHECK(ntohs(pkt_csum_update16(htons(0x0000), htons(0x3285), htons(0x5555))) == 0xdd2f);
	/* The same change made as a 32-bit field with an unchanged half. */
	UT_CHECK(pkt_csum_update32(htons(0xdd2f), htonl(0x12345555), htonl(0x12343285)) == 0);
}

/* A random IPv4 header with a valid checksum. */
static void
rand_ipv4_hdr(uint8_t h[20])
{
	rng_fill(h, 20);
	h[0] = 0x45;
	wr16(h + 10, 0);
	wr16(h + 10, pkt_ipv4_hdr_csum(h, 20));
}

/*
 * The value for the 16-bit word at `off` of header h that makes the
 * header checksum 0x0000: the complement of the sum of everything else.
 */
static uint16_t
word_for_zero_csum(const uint8_t h[20], unsigned int off)
{
	uint8_t t[20];

	memcpy(t, h, 20);
	wr16(t + 10, 0);
	wr16(t + off, 0);
	return (uint16_t)~pkt_csum_fold(pkt_csum_add(0, t, 20));
}

/*
 * IPv4 header: rewrite the destination (32-bit) and the TTL/protocol word
 * (16-bit) incrementally and compare with a full recomputation.  Every
 * fourth new value is chosen so that the new checksum is 0x0000, the
 * case eqn. 2 of RFC 1624 gets wrong (it yields 0xffff).
 */
static void
test_incremental_ipv4(void)
{
	unsigned int i, bad = 0, zeros = 0;

	for (i = 0; i < ITERATIONS; i++) {
		uint8_t h[20], na[4];
		uint32_t old_a, new_a;
		uint16_t old_w, new_w, c;

		rand_ipv4_hdr(h);
		old_a = rd32(h + 16);
		new_a = (uint32_t)rng();
		if (i % 4 == 0) {
			uint8_t t[20];

			memcpy(t, h, 20);
			wr32(t + 16, new_a);
			wr32(na, new_a);
			wr16(na + 2, word_for_zero_csum(t, 18));
			new_a = rd32(na);
		}
		c = pkt_csum_update32(rd16(h + 10), old_a, new_a);
		wr32(h + 16, new_a);
		if (c != pkt_ipv4_hdr_csum(h, 20))
			bad++;
		zeros += c == 0;
		wr16(h + 10, c);

		old_w = rd16(h + 8);
		new_w = i % 4 == 1 ? word_for_zero_csum(h, 8) : (uint16_t)rng();
		c = pkt_csum_update16(rd16(h + 10), old_w, new_w);
		wr16(h + 8, new_w);
		if (c != pkt_ipv4_hdr_csum(h, 20))
			bad++;
		zeros += c == 0;
	}
	UT_CHECK_MSG(bad == 0, "%u incremental IPv4 mismatches", bad);
	UT_CHECK_MSG(zeros >= ITERATIONS / 2, "only %u results were 0x0000", zeros);
}

/*
 * UDP/IPv4: NAT-style rewrite of the source address (in the pseudo-header
 * only) and the source port.  A computed 0 must still go out as 0xffff,
 * so the caller maps it exactly like pkt_l4_csum_v4() does.
 */
static void
test_incremental_udp4(void)
{
	unsigned int i, bad = 0;

	for (i = 0; i < ITERATIONS; i++) {
		uint8_t seg[64];
		uint16_t len = (uint16_t)(8 + rng() % 57);
		uint32_t s = (uint32_t)rng(), d = (uint32_t)rng(), ns = (uint32_t)rng();
		uint16_t c, np = (uint16_t)rng();

		rng_fill(seg, len);
		wr16(seg + 4, htons(len));
		c = pkt_l4_csum_v4(s, d, IPPROTO_UDP, seg, len, 6);
		wr16(seg + 6, c);

		c = pkt_csum_update32(c, s, ns);
		c = pkt_csum_update16(c, rd16(seg), np);
		if (c == 0)
			c = 0xffff;
		wr16(seg, np);
		if (c != pkt_l4_csum_v4(ns, d, IPPROTO_UDP, seg, len, 6))
			bad++;
	}
	UT_CHECK_MSG(bad == 0, "%u incremental UDP/IPv4 mismatches", bad);
}

/* TCP/IPv6: rewrite the destination address (128-bit) and port. */
static void
test_incremental_tcp6(void)
{
	unsigned int i, bad = 0;

	for (i = 0; i < ITERATIONS; i++) {
		uint8_t seg[80], s[16], d[16], nd[16];
		uint32_t len = (uint32_t)(20 + rng() % 61);
		uint16_t c, np = (uint16_t)rng();

		rng_fill(seg, len);
		rng_fill(s, 16);
		rng_fill(d, 16);
		rng_fill(nd, 16);
		if (i % 8 == 0)
			memcpy(nd, d, 15); /* a one-byte change */
		c = pkt_l4_csum_v6(s, d, IPPROTO_TCP, seg, len, 16);
		wr16(seg + 16, c);

		c = pkt_csum_update128(c, d, nd);
		c = pkt_csum_update16(c, rd16(seg + 2), np);
		wr16(seg + 2, np);
		if (c != pkt_l4_csum_v6(s, nd, IPPROTO_TCP, seg, len, 16))
			bad++;
		/* The rewritten segment verifies. */
		wr16(seg + 16, c);
		if (pkt_csum_fold(pkt_csum_add(pkt_pseudo_v6(s, nd, IPPROTO_TCP, len), seg, len)) !=
			0xffff)
			bad++;
	}
	UT_CHECK_MSG(bad == 0, "%u incremental TCP/IPv6 mismatches", bad);
}

int
main(void)
{
	test_rfc1071_example();
	test_fold();
	test_ipv4_header();
	test_real_packets();
	test_lengths_alignments();
	test_pseudo();
	test_l4_field_offset();
	test_udp_zero();
	test_rfc1624_example();
	test_incremental_ipv4();
	test_incremental_udp4();
	test_incremental_tcp6();
	return ut_summary("test_csum");
}
