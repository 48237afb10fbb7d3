/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The packet an ICMP or ICMPv6 error quotes (RFC 792, RFC 4443): its
 * addresses, protocol and ports, for finding the connection it is about.
 * Everything it reads was bounded by pkt_parse() (l3_end) and is checked
 * again here; lengths inside the quote are not trusted.
 */
#include <netinet/in.h>
#include <string.h>

#include "pkt.h"

#define ICMP_UNREACH 3
#define ICMP_TIME_EXCEEDED 11
#define ICMP_PARAM_PROBLEM 12
#define ICMP6_UNREACH 1
#define ICMP6_PARAM_PROBLEM 4
#define ICMP_ERR_HLEN 8 /* type, code, checksum, 4 bytes (unused, MTU, pointer) */

bool
pkt_icmp_is_error(const struct pkt_info *pi)
{
	if (!(pi->flags & PKT_F_L4))
		return false;
	if (pi->l3 == PKT_L3_IPV4 && pi->l4_proto == IPPROTO_ICMP)
		return pi->icmp_type == ICMP_UNREACH || pi->icmp_type == ICMP_TIME_EXCEEDED ||
			pi->icmp_type == ICMP_PARAM_PROBLEM;
	if (pi->l3 == PKT_L3_IPV6 && pi->l4_proto == IPPROTO_ICMPV6)
		return pi->icmp_type >= ICMP6_UNREACH && pi->icmp_type <= ICMP6_PARAM_PROBLEM;
	return false;
}

int
pkt_icmp_quoted(const uint8_t *frame, const struct pkt_info *pi, struct pkt_quoted *q)
{
	uint32_t off = (uint32_t)pi->l4_off + ICMP_ERR_HLEN, end = pi->l3_end;
	const uint8_t *p = frame + off;
	uint32_t l3len;

	if (!pkt_icmp_is_error(pi) || (pi->flags & PKT_F_FRAG) || off > end)
		return -1;
	memset(q, 0, sizeof(*q));
	if (pi->l3 == PKT_L3_IPV4) {
		uint16_t frag;

		if (end - off < 20 || (p[0] >> 4) != 4)
			return -1;
		l3len = (uint32_t)(p[0] & 0xf) * 4;
		memcpy(&frag, p + 6, 2);
		/* A fragment other than the first has no ports to match. */
		if (l3len < 20 || (ntohs(frag) & 0x1fff) != 0)
			return -1;
		q->proto = p[9];
		q->src.family = q->dst.family = AF_INET;
		memcpy(&q->src.v4, p + 12, 4);
		memcpy(&q->dst.v4, p + 16, 4);
	} else {
		if (end - off < 40 || (p[0] >> 4) != 6)
			return -1;
		/* Quoted extension headers are not walked: the connections
		 * looked up this way carry none. */
		q->proto = p[6];
		q->src.family = q->dst.family = AF_INET6;
		memcpy(q->src.v6, p + 8, 16);
		memcpy(q->dst.v6, p + 24, 16);
		l3len = 40;
	}
	if (q->proto != IPPROTO_TCP && q->proto != IPPROTO_UDP)
		return -1;
	/* RFC 792 quotes at least 8 bytes of the datagram: the ports. */
	if (end - off < l3len + 8)
		return -1;
	q->l3_off = (uint16_t)off;
	q->l4_off = (uint16_t)(off + l3len);
	q->end = (uint16_t)end;
	memcpy(&q->sport, p + l3len, 2);
	memcpy(&q->dport, p + l3len + 2, 2);
	return 0;
}
