/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internet checksums (RFC 1071) and their incremental update (RFC 1624).
 *
 * All 16-bit values in and out are in network byte order as they sit in
 * the packet, so a checksum field can be read, updated and stored back
 * without swapping.  Sums are 32-bit accumulators; fold before storing.
 */
#ifndef EP_PKT_CSUM_H
#define EP_PKT_CSUM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * One's complement sum of buf added to sum (not folded, not inverted).
 * Any alignment.  When a span is summed in pieces, every piece but the
 * last must have an even length.
 */
uint32_t pkt_csum_add(uint32_t sum, const void *buf, size_t len);

/* Fold a 32-bit accumulator to 16 bits (not inverted). */
static inline uint16_t
pkt_csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* Checksum of buf: ~fold(sum(buf)); 0 over a buffer with a valid checksum field. */
uint16_t pkt_csum(const void *buf, size_t len);

/* IPv4 header checksum over ihl_bytes with the checksum field treated as 0. */
uint16_t pkt_ipv4_hdr_csum(const void *ip_hdr, size_t ihl_bytes);

/* Pseudo-header sums (not folded).  Addresses in network byte order. */
uint32_t pkt_pseudo_v4(uint32_t src, uint32_t dst, uint8_t proto, uint16_t l4_len);
uint32_t pkt_pseudo_v6(
	const uint8_t src[16], const uint8_t dst[16], uint8_t proto, uint32_t l4_len);

/*
 * Full TCP/UDP/ICMPv6 checksum over the L4 segment with its checksum
 * field treated as 0.  For UDP a computed 0 is returned as 0xffff
 * (RFC 768; RFC 8200 section 8.1 for IPv6).  csum_off is the checksum
 * field's offset in l4.
 */
uint16_t pkt_l4_csum_v4(uint32_t src, uint32_t dst, uint8_t proto, const void *l4, uint16_t l4_len,
	uint16_t csum_off);
uint16_t pkt_l4_csum_v6(const uint8_t src[16], const uint8_t dst[16], uint8_t proto, const void *l4,
	uint32_t l4_len, uint16_t csum_off);

/*
 * RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), for a 16-bit and a 32-bit field.
 * For UDP the caller stores a result of 0 as 0xffff, and leaves a received
 * 0 (IPv4: no checksum) alone.
 */
static inline uint16_t
pkt_csum_update16(uint16_t csum, uint16_t old_val, uint16_t new_val)
{
	uint32_t sum = (uint32_t)(uint16_t)~csum + (uint16_t)~old_val + new_val;

	return (uint16_t)~pkt_csum_fold(sum);
}

static inline uint16_t
pkt_csum_update32(uint16_t csum, uint32_t old_val, uint32_t new_val)
{
	uint32_t sum = (uint16_t)~csum;

	sum += (uint16_t)~old_val + (uint16_t) ~(old_val >> 16);
	sum += (new_val & 0xffff) + (new_val >> 16);
	return (uint16_t)~pkt_csum_fold(sum);
}

/* For an IPv6 address (or any 16-byte field) replaced in a covered area. */
static inline uint16_t
pkt_csum_update128(uint16_t csum, const uint8_t old_val[16], const uint8_t new_val[16])
{
	uint32_t sum = (uint16_t)~csum;
	unsigned int i;

	for (i = 0; i < 16; i += 2) {
		uint16_t o, n;

		memcpy(&o, old_val + i, sizeof(o));
		memcpy(&n, new_val + i, sizeof(n));
		sum += (uint16_t)~o + (uint32_t)n;
	}
	return (uint16_t)~pkt_csum_fold(sum);
}

#endif /* EP_PKT_CSUM_H */
