/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internet checksum (RFC 1071) and incremental update (RFC 1624).
 *
 * The one's complement sum does not depend on byte order (RFC 1071,
 * section 2(B)): summing 16-bit words loaded in host order and storing
 * the folded result in host order gives the same bytes as doing it all
 * in network order.  So nothing here swaps the data; only host-order
 * numbers that enter a sum (protocol, lengths) are converted first.
 *
 * The bulk sum loads 8 bytes at a time (memcpy, so any alignment is
 * fine) into a 64-bit accumulator with end-around carry; 2^16 = 1 modulo
 * 0xffff, so the 64-bit value folds down to the same 16-bit sum.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "pkt_csum.h"

static inline uint64_t
add_carry64(uint64_t acc, uint64_t v)
{
	acc += v;
	return acc + (acc < v);
}

static inline uint64_t
load64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t
fold64(uint64_t acc)
{
	acc = (acc & 0xffffffff) + (acc >> 32);
	acc = (acc & 0xffffffff) + (acc >> 32);
	return (uint32_t)acc;
}

uint32_t
pkt_csum_add(uint32_t sum, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint64_t acc = sum;

	while (len >= 32) {
		acc = add_carry64(acc, load64(p));
		acc = add_carry64(acc, load64(p + 8));
		acc = add_carry64(acc, load64(p + 16));
		acc = add_carry64(acc, load64(p + 24));
		p += 32;
		len -= 32;
	}
	while (len >= 8) {
		acc = add_carry64(acc, load64(p));
		p += 8;
		len -= 8;
	}
	if (len >= 4) {
		uint32_t v;

		memcpy(&v, p, sizeof(v));
		acc = add_carry64(acc, v);
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		uint16_t v;

		memcpy(&v, p, sizeof(v));
		acc = add_carry64(acc, v);
		p += 2;
		len -= 2;
	}
	if (len != 0) {
		/* The odd byte is the first of a word whose second byte is 0. */
		uint8_t last[2] = {p[0], 0};
		uint16_t v;

		memcpy(&v, last, sizeof(v));
		acc = add_carry64(acc, v);
	}
	return fold64(acc);
}

uint16_t
pkt_csum(const void *buf, size_t len)
{
	return (uint16_t)~pkt_csum_fold(pkt_csum_add(0, buf, len));
}

uint16_t
pkt_ipv4_hdr_csum(const void *ip_hdr, size_t ihl_bytes)
{
	const uint8_t *p = ip_hdr;
	uint32_t sum;

	/* The checksum field is bytes 10-11: sum around it. */
	if (ihl_bytes < 12)
		return pkt_csum(p, ihl_bytes);
	sum = pkt_csum_add(0, p, 10);
	sum = pkt_csum_add(sum, p + 12, ihl_bytes - 12);
	return (uint16_t)~pkt_csum_fold(sum);
}

uint32_t
pkt_pseudo_v4(uint32_t src, uint32_t dst, uint8_t proto, uint16_t l4_len)
{
	uint64_t acc;

	acc = (uint64_t)(src & 0xffff) + (src >> 16) + (dst & 0xffff) + (dst >> 16);
	acc += htons(proto);
	acc += htons(l4_len);
	return fold64(acc);
}

uint32_t
pkt_pseudo_v6(const uint8_t src[16], const uint8_t dst[16], uint8_t proto, uint32_t l4_len)
{
	uint32_t be_len = htonl(l4_len);
	uint32_t sum;

	sum = pkt_csum_add(0, src, 16);
	sum = pkt_csum_add(sum, dst, 16);
	/* 32-bit upper-layer length, then 24 zero bits and the next header. */
	return fold64((uint64_t)sum + (be_len & 0xffff) + (be_len >> 16) + htons(proto));
}

/*
 * Sum l4 with its checksum field counted as 0: sum it whole, then take
 * the field back out by adding its complement (one's complement
 * subtraction).  A field at an odd offset lands byte-swapped in the sum.
 */
static uint16_t
l4_csum(uint32_t sum, const uint8_t *l4, uint32_t l4_len, uint16_t csum_off)
{
	sum = pkt_csum_add(sum, l4, l4_len);
	if ((uint32_t)csum_off + 2 <= l4_len) {
		uint16_t f;

		memcpy(&f, l4 + csum_off, sizeof(f));
		if (csum_off & 1)
			f = (uint16_t)(f << 8 | f >> 8);
		sum = fold64((uint64_t)sum + (uint16_t)~f);
	}
	return (uint16_t)~pkt_csum_fold(sum);
}

uint16_t
pkt_l4_csum_v4(uint32_t src, uint32_t dst, uint8_t proto, const void *l4, uint16_t l4_len,
	uint16_t csum_off)
{
	uint16_t c = l4_csum(pkt_pseudo_v4(src, dst, proto, l4_len), l4, l4_len, csum_off);

	/* RFC 768: a computed 0 is sent as all ones (0 means "no checksum"). */
	if (c == 0 && proto == IPPROTO_UDP)
		c = 0xffff;
	return c;
}

uint16_t
pkt_l4_csum_v6(const uint8_t src[16], const uint8_t dst[16], uint8_t proto, const void *l4,
	uint32_t l4_len, uint16_t csum_off)
{
	uint16_t c = l4_csum(pkt_pseudo_v6(src, dst, proto, l4_len), l4, l4_len, csum_off);

	/* RFC 8200 section 8.1: same rule as RFC 768 for UDP over IPv6. */
	if (c == 0 && proto == IPPROTO_UDP)
		c = 0xffff;
	return c;
}

/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'). */
