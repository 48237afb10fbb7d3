/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz harness for pkt_parse() and pkt_csum.
 *
 * Parses the input as an Ethernet frame, aborts when the result breaks
 * an invariant the dataplane relies on (offsets ordered and inside the
 * frame, flags coherent), then checksums the parsed spans -- the IPv4
 * header, the L4 segment with its pseudo-header -- so ASan sees every
 * byte the dataplane would touch, and cross-checks the fast sum against
 * a byte-pair reference.
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pkt.h"
#include "pkt_csum.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint32_t sink;

#define REQUIRE(cond)            \
	do {                     \
		if (!(cond))     \
			abort(); \
	} while (0)

/* RFC 1071 word by word, big-endian, folded: the reference for the fast sum. */
static uint16_t
ref_sum(const uint8_t *p, size_t n)
{
	uint64_t s = 0;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static void
check_sum(const uint8_t *p, size_t n)
{
	uint16_t f = pkt_csum_fold(pkt_csum_add(0, p, n));

	REQUIRE(ntohs(f) == ref_sum(p, n));
	sink += f;
}

static void
check_info(int rc, const struct pkt_info *pi, uint32_t len)
{
	const char *name = pkt_parse_err_name(rc);

	REQUIRE(rc >= 0 && rc < PKT_E_MAX);
	REQUIRE(name != NULL && strcmp(name, "?") != 0);
	REQUIRE(pi->n_vlans <= PKT_MAX_VLANS);
	REQUIRE(pi->l3 <= PKT_L3_IPV6);
	REQUIRE(pi->l3_off <= len && pi->l4_off <= len && pi->payload_off <= len);
	REQUIRE(pi->l3_end <= len);
	if (pi->flags & PKT_F_FRAG_FIRST)
		REQUIRE(pi->flags & PKT_F_FRAG);
	if (pi->l3 != PKT_L3_NONE || rc == PKT_OK)
		REQUIRE(pi->l3_off == 14 + 4 * pi->n_vlans);
	if (pi->flags & PKT_F_L4) {
		REQUIRE(pi->l4_proto == IPPROTO_TCP || pi->l4_proto == IPPROTO_UDP ||
			pi->l4_proto == IPPROTO_ICMP || pi->l4_proto == IPPROTO_ICMPV6);
		REQUIRE((pi->flags & (PKT_F_FRAG | PKT_F_FRAG_FIRST)) != PKT_F_FRAG);
	}
	if (rc != PKT_OK)
		return;

	switch (pi->l3) {
	case PKT_L3_NONE:
		REQUIRE(pi->l4_off == 0 && pi->payload_off == 0 && pi->l3_end == 0);
		REQUIRE(pi->flags == 0);
		break;
	case PKT_L3_ARP:
		REQUIRE(pi->l3_end == pi->l3_off + 28 && pi->flags == 0);
		REQUIRE(pi->src.family == AF_INET && pi->dst.family == AF_INET);
		break;
	default:
		REQUIRE(pi->l3_off < pi->l4_off);
		REQUIRE(pi->l4_off <= pi->payload_off && pi->payload_off <= pi->l3_end);
		if (pi->flags & PKT_F_L4)
			REQUIRE(pi->payload_off > pi->l4_off);
		else
			REQUIRE(pi->payload_off == pi->l4_off);
		REQUIRE(pi->src.family == (pi->l3 == PKT_L3_IPV4 ? AF_INET : AF_INET6));
		break;
	}
}

/* Checksum the spans the dataplane would verify or rewrite. */
static void
checksum_spans(const uint8_t *data, const struct pkt_info *pi)
{
	const uint8_t *l4 = data + pi->l4_off;
	uint32_t l4_len = (uint32_t)(pi->l3_end - pi->l4_off);
	uint16_t csum_off;

	if (pi->l3 != PKT_L3_IPV4 && pi->l3 != PKT_L3_IPV6)
		return;
	check_sum(l4, l4_len);
	switch (pi->l4_proto) {
	case IPPROTO_TCP:
		csum_off = 16;
		break;
	case IPPROTO_UDP:
		csum_off = 6;
		break;
	default:
		csum_off = 2;
		break;
	}
	if (pi->l3 == PKT_L3_IPV4) {
		const uint8_t *ip = data + pi->l3_off;

		check_sum(ip, (size_t)(pi->l4_off - pi->l3_off));
		sink += pkt_ipv4_hdr_csum(ip, (size_t)(pi->l4_off - pi->l3_off));
		sink += pkt_l4_csum_v4(
			pi->src.v4, pi->dst.v4, pi->l4_proto, l4, (uint16_t)l4_len, csum_off);
	} else {
		sink += pkt_l4_csum_v6(pi->src.v6, pi->dst.v6, pi->l4_proto, l4, l4_len, csum_off);
	}
}

/* An ICMP error's quoted packet: inside the outer datagram, ports included,
 * and the dataplane's rewrite spans (the quoted IP header and the L4
 * checksum when quoted) readable. */
static void
check_quoted(const uint8_t *data, const struct pkt_info *pi, uint32_t len)
{
	struct pkt_quoted q;

	if (pkt_icmp_quoted(data, pi, &q) != 0) {
		REQUIRE(!pkt_icmp_is_error(pi) || pi->l3_end >= pi->l4_off);
		return;
	}
	REQUIRE(pkt_icmp_is_error(pi));
	REQUIRE(q.l3_off == pi->l4_off + 8 && q.l3_off + 20 <= q.l4_off);
	REQUIRE(q.l4_off + 8u <= q.end && q.end == pi->l3_end && q.end <= len);
	REQUIRE(q.proto == IPPROTO_TCP || q.proto == IPPROTO_UDP);
	REQUIRE(q.src.family == (pi->l3 == PKT_L3_IPV4 ? AF_INET : AF_INET6));
	check_sum(data + q.l3_off, (size_t)(q.end - q.l3_off));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t len = size > UINT32_MAX ? UINT32_MAX : (uint32_t)size;
	struct pkt_info pi;
	int rc;

	rc = pkt_parse(data, len, &pi);
	check_info(rc, &pi, len);
	if (rc == PKT_OK) {
		checksum_spans(data, &pi);
		check_quoted(data, &pi, len);
	}
	sink += (uint32_t)rc + pi.sport + pi.dport;
	return 0;
}
