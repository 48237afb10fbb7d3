/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pkt_parse(): one pass over the headers, each bound checked before any
 * of its bytes (or any length field in it) is used.
 *
 * The common case -- Ethernet, at most two tags, IPv4 without options or
 * IPv6 without extension headers, then TCP/UDP/ICMP -- is straight-line
 * code with one bound check per header.  IPv4 options and the IPv6
 * extension-header walk live in their own functions off that path.
 *
 * What is filled on error: l3_off, ether_type and l3 as soon as the
 * ethertype is known; the other L3 fields once the L3 header (IPv4
 * options included; for IPv6 the fixed header) is valid; l4_off and
 * l4_proto once the extension headers are walked; the L4 fields only
 * when the L4 header is valid (PKT_F_L4).  Everything else stays zero.
 *
 * All multi-byte reads go through rd_be16()/rd_raw16()/rd_raw32(): the
 * frame has no alignment guarantee (a VLAN tag moves the IP header by 4,
 * an odd-sized option by anything).
 */
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

#include "pkt.h"

#define ETH_HLEN 14
#define VLAN_HLEN 4
#define ARP_FIXED_LEN 8 /* htype, ptype, hlen, plen, op */
#define ARP_ETH_IPV4_LEN 28
#define IPV4_HLEN 20
#define IPV6_HLEN 40
#define IPV6_FRAG_HLEN 8
#define TCP_HLEN 20
#define UDP_HLEN 8
#define ICMP_HLEN 8
#define ICMP6_HLEN 4
#define ICMP6_ECHO_HLEN 8

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_ARP 0x0806
#define ETHERTYPE_VLAN 0x8100 /* 802.1Q */
#define ETHERTYPE_QINQ 0x88a8 /* 802.1ad service tag */
#define ETHERTYPE_IPV6 0x86dd

#define ARP_HTYPE_ETHER 1
#define ARP_HLEN_ETHER 6
#define ARP_PLEN_IPV4 4

#define IPV4_OPT_EOL 0
#define IPV4_OPT_NOP 1
#define IPV4_FRAG_MF 0x2000
#define IPV4_FRAG_OFF_MASK 0x1fff

#define IPV6_FRAG_OFF_MASK 0xfff8
#define IPV6_FRAG_M 0x0001

#define ICMP_ECHO_REPLY 0
#define ICMP_ECHO_REQUEST 8
#define ICMP6_ECHO_REQUEST 128
#define ICMP6_ECHO_REPLY 129

/* Next-header values the IPv6 walk steps over: 0, 43, 44, 51 and 60. */
#define IPV6_EXT_MASK                                                                         \
	((1ull << IPPROTO_HOPOPTS) | (1ull << IPPROTO_ROUTING) | (1ull << IPPROTO_FRAGMENT) | \
		(1ull << IPPROTO_AH) | (1ull << IPPROTO_DSTOPTS))

_Static_assert(IPPROTO_HOPOPTS < 64 && IPPROTO_ROUTING < 64 && IPPROTO_FRAGMENT < 64 &&
		IPPROTO_AH < 64 && IPPROTO_DSTOPTS < 64,
	"IPV6_EXT_MASK needs every extension header number below 64");
_Static_assert(PKT_MAX_VLANS == 2, "the tag loop below assumes two tags at most");

/* clang-format off */
static const char *const parse_err_names[PKT_E_MAX] = {
	[PKT_OK] = "ok",
#define PKT_X_NAME(e, s) [PKT_E_##e] = s,
	PKT_PARSE_ERRORS(PKT_X_NAME)
#undef PKT_X_NAME
};
/* clang-format on */

const char *
pkt_parse_err_name(int err)
{
	if (err < 0 || err >= PKT_E_MAX)
		return "?";
	return parse_err_names[err];
}

/* A 16-bit field in host byte order. */
static inline uint16_t
rd_be16(const uint8_t *p)
{
	return (uint16_t)((unsigned int)p[0] << 8 | p[1]);
}

/* A 16-bit field kept in network byte order. */
static inline uint16_t
rd_raw16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* A 32-bit field kept in network byte order. */
static inline uint32_t
rd_raw32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline bool
is_vlan_tpid(uint16_t type)
{
	return type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ;
}

static inline bool
is_ipv6_ext(uint8_t nh)
{
	return nh < 64 && ((1ull << nh) & IPV6_EXT_MASK) != 0;
}

/*
 * L4 parsers.  `l4` points at the L4 header, `room` is what is left of
 * the datagram (bounded by its length field, not by the frame), and
 * pi->l4_off is already set.
 */
static inline int
parse_tcp(const uint8_t *l4, uint32_t room, struct pkt_info *pi)
{
	uint32_t hlen;

	if (room < TCP_HLEN)
		return PKT_E_TCP_TRUNC;
	hlen = (uint32_t)(l4[12] >> 4) * 4;
	if (hlen < TCP_HLEN || hlen > room)
		return PKT_E_TCP_BAD_DOFF;
	pi->sport = rd_raw16(l4);
	pi->dport = rd_raw16(l4 + 2);
	pi->tcp_flags = l4[13];
	pi->payload_off = (uint16_t)(pi->l4_off + hlen);
	pi->flags |= PKT_F_L4;
	return PKT_OK;
}

/*
 * The UDP length covers the whole datagram, which a first fragment only
 * carries part of: there only the lower bound can be checked.
 */
static inline int
parse_udp(const uint8_t *l4, uint32_t room, struct pkt_info *pi)
{
	uint32_t ulen;

	if (room < UDP_HLEN)
		return PKT_E_UDP_TRUNC;
	ulen = rd_be16(l4 + 4);
	if (ulen < UDP_HLEN || (ulen > room && (pi->flags & PKT_F_FRAG) == 0))
		return PKT_E_UDP_BAD_LEN;
	pi->sport = rd_raw16(l4);
	pi->dport = rd_raw16(l4 + 2);
	pi->payload_off = (uint16_t)(pi->l4_off + UDP_HLEN);
	pi->flags |= PKT_F_L4;
	return PKT_OK;
}

static inline int
parse_icmp(const uint8_t *l4, uint32_t room, struct pkt_info *pi)
{
	if (room < ICMP_HLEN)
		return PKT_E_ICMP_TRUNC;
	pi->icmp_type = l4[0];
	pi->icmp_code = l4[1];
	if (l4[0] == ICMP_ECHO_REQUEST || l4[0] == ICMP_ECHO_REPLY)
		pi->dport = rd_raw16(l4 + 4);
	pi->payload_off = (uint16_t)(pi->l4_off + ICMP_HLEN);
	pi->flags |= PKT_F_L4;
	return PKT_OK;
}

/* ICMPv6: 4-byte header; echo request/reply carry id and sequence too. */
static inline int
parse_icmp6(const uint8_t *l4, uint32_t room, struct pkt_info *pi)
{
	uint32_t hlen = ICMP6_HLEN;

	if (room < ICMP6_HLEN)
		return PKT_E_ICMP6_TRUNC;
	if (l4[0] == ICMP6_ECHO_REQUEST || l4[0] == ICMP6_ECHO_REPLY) {
		if (room < ICMP6_ECHO_HLEN)
			return PKT_E_ICMP6_TRUNC;
		pi->dport = rd_raw16(l4 + 4);
		hlen = ICMP6_ECHO_HLEN;
	}
	pi->icmp_type = l4[0];
	pi->icmp_code = l4[1];
	pi->payload_off = (uint16_t)(pi->l4_off + hlen);
	pi->flags |= PKT_F_L4;
	return PKT_OK;
}

/*
 * IPv4 options (RFC 791): EOL ends the list, NOP is one byte, any other
 * option has a length byte >= 2 and must end within the header.
 */
static bool
ipv4_opts_ok(const uint8_t *ip, uint32_t ihl)
{
	uint32_t o = IPV4_HLEN;

	while (o < ihl) {
		uint32_t olen;

		if (ip[o] == IPV4_OPT_EOL)
			break;
		if (ip[o] == IPV4_OPT_NOP) {
			o++;
			continue;
		}
		if (ihl - o < 2)
			return false;
		olen = ip[o + 1];
		if (olen < 2 || olen > ihl - o)
			return false;
		o += olen;
	}
	return true;
}

static inline int
parse_ipv4(const uint8_t *frame, uint32_t len, uint32_t off, struct pkt_info *pi)
{
	const uint8_t *ip = frame + off;
	uint32_t room = len - off;
	uint32_t ihl, tot, frag;
	uint8_t flags = 0;

	pi->l3 = PKT_L3_IPV4;
	if (room < IPV4_HLEN)
		return PKT_E_IPV4_TRUNC;
	if ((ip[0] >> 4) != 4)
		return PKT_E_IPV4_BAD_VERSION;
	ihl = (uint32_t)(ip[0] & 0x0f) * 4;
	if (ihl < IPV4_HLEN)
		return PKT_E_IPV4_BAD_IHL;
	tot = rd_be16(ip + 2);
	/* ihl <= tot <= room also keeps the options inside the frame. */
	if (tot < ihl || tot > room)
		return PKT_E_IPV4_BAD_LEN;
	if (ihl > IPV4_HLEN) {
		if (!ipv4_opts_ok(ip, ihl))
			return PKT_E_IPV4_BAD_OPT;
		flags |= PKT_F_IPV4_OPTS;
	}

	pi->ttl = ip[8];
	pi->l4_proto = ip[9];
	pi->src.family = AF_INET;
	pi->src.v4 = rd_raw32(ip + 12);
	pi->dst.family = AF_INET;
	pi->dst.v4 = rd_raw32(ip + 16);
	pi->l3_end = (uint16_t)(off + tot);
	pi->l4_off = (uint16_t)(off + ihl);
	pi->payload_off = pi->l4_off;

	frag = rd_be16(ip + 6);
	if ((frag & (IPV4_FRAG_MF | IPV4_FRAG_OFF_MASK)) != 0) {
		flags |= PKT_F_FRAG;
		if ((frag & IPV4_FRAG_OFF_MASK) != 0) {
			/* Not the first fragment: no L4 header here. */
			pi->flags = flags;
			return PKT_OK;
		}
		flags |= PKT_F_FRAG_FIRST;
	}
	pi->flags = flags;

	switch (ip[9]) {
	case IPPROTO_TCP:
		return parse_tcp(ip + ihl, tot - ihl, pi);
	case IPPROTO_UDP:
		return parse_udp(ip + ihl, tot - ihl, pi);
	case IPPROTO_ICMP:
		return parse_icmp(ip + ihl, tot - ihl, pi);
	default:
		return PKT_OK;
	}
}

/*
 * Walk the IPv6 extension headers from *offp (first one's type in *nhp)
 * up to `end`, the datagram's end.  On return *offp and *nhp are the upper
 * layer's offset and protocol, and *flagsp has PKT_F_IPV6_EXT and, for a
 * fragment, PKT_F_FRAG (plus PKT_F_FRAG_FIRST at offset 0).  A non-first
 * fragment ends the walk: what follows its header is fragment data.
 */
static int
ipv6_ext_walk(const uint8_t *frame, uint32_t end, uint32_t *offp, uint8_t *nhp, uint8_t *flagsp)
{
	uint32_t off = *offp;
	uint8_t nh = *nhp;
	uint8_t flags = PKT_F_IPV6_EXT;
	unsigned int n;
	int rc = PKT_OK;

	for (n = 0; is_ipv6_ext(nh); n++) {
		const uint8_t *h = frame + off;
		uint32_t room = end - off;
		uint32_t hlen;

		if (n == PKT_IPV6_MAX_EXT) {
			rc = PKT_E_IPV6_EXT_TOO_MANY;
			break;
		}
		if (room < 2) {
			rc = PKT_E_IPV6_EXT_TRUNC;
			break;
		}
		if (nh == IPPROTO_FRAGMENT) {
			uint16_t fo;

			if (room < IPV6_FRAG_HLEN) {
				rc = PKT_E_IPV6_EXT_TRUNC;
				break;
			}
			fo = rd_be16(h + 2);
			nh = h[0];
			off += IPV6_FRAG_HLEN;
			/* Offset 0 without M is an atomic fragment (RFC 6946). */
			if ((fo & (IPV6_FRAG_OFF_MASK | IPV6_FRAG_M)) == 0)
				continue;
			flags |= PKT_F_FRAG;
			if ((fo & IPV6_FRAG_OFF_MASK) != 0)
				break;
			flags |= PKT_F_FRAG_FIRST;
			continue;
		}
		if (nh == IPPROTO_AH)
			hlen = ((uint32_t)h[1] + 2) * 4; /* RFC 4302: 32-bit words - 2 */
		else
			hlen = ((uint32_t)h[1] + 1) * 8; /* RFC 8200: 8-octet units - 1 */
		if (hlen > room) {
			rc = PKT_E_IPV6_EXT_TRUNC;
			break;
		}
		nh = h[0];
		off += hlen;
	}
	*offp = off;
	*nhp = nh;
	*flagsp = flags;
	return rc;
}

static inline int
parse_ipv6(const uint8_t *frame, uint32_t len, uint32_t off, struct pkt_info *pi)
{
	const uint8_t *ip = frame + off;
	uint32_t room = len - off;
	uint32_t plen, end, l4;
	uint8_t nh;

	pi->l3 = PKT_L3_IPV6;
	if (room < IPV6_HLEN)
		return PKT_E_IPV6_TRUNC;
	if ((ip[0] >> 4) != 6)
		return PKT_E_IPV6_BAD_VERSION;
	plen = rd_be16(ip + 4);
	if (plen > room - IPV6_HLEN)
		return PKT_E_IPV6_BAD_LEN;

	end = off + IPV6_HLEN + plen;
	pi->ttl = ip[7];
	pi->src.family = AF_INET6;
	memcpy(pi->src.v6, ip + 8, 16);
	pi->dst.family = AF_INET6;
	memcpy(pi->dst.v6, ip + 24, 16);
	pi->l3_end = (uint16_t)end;

	nh = ip[6];
	l4 = off + IPV6_HLEN;
	if (is_ipv6_ext(nh)) {
		int rc = ipv6_ext_walk(frame, end, &l4, &nh, &pi->flags);

		if (rc != PKT_OK)
			return rc;
	}
	pi->l4_proto = nh;
	pi->l4_off = (uint16_t)l4;
	pi->payload_off = (uint16_t)l4;
	if ((pi->flags & (PKT_F_FRAG | PKT_F_FRAG_FIRST)) == PKT_F_FRAG)
		return PKT_OK; /* a later fragment: no L4 header here */

	/* ESP, No Next Header and anything unknown: l4_proto only. */
	switch (nh) {
	case IPPROTO_TCP:
		return parse_tcp(frame + l4, end - l4, pi);
	case IPPROTO_UDP:
		return parse_udp(frame + l4, end - l4, pi);
	case IPPROTO_ICMPV6:
		return parse_icmp6(frame + l4, end - l4, pi);
	default:
		return PKT_OK;
	}
}

/* ARP for IPv4 over Ethernet only (RFC 826); anything else is ARP_BAD. */
static inline int
parse_arp(const uint8_t *frame, uint32_t len, uint32_t off, struct pkt_info *pi)
{
	const uint8_t *a = frame + off;
	uint32_t room = len - off;

	pi->l3 = PKT_L3_ARP;
	if (room < ARP_FIXED_LEN)
		return PKT_E_ARP_TRUNC;
	if (rd_be16(a) != ARP_HTYPE_ETHER || rd_be16(a + 2) != ETHERTYPE_IPV4 ||
		a[4] != ARP_HLEN_ETHER || a[5] != ARP_PLEN_IPV4)
		return PKT_E_ARP_BAD;
	if (room < ARP_ETH_IPV4_LEN)
		return PKT_E_ARP_TRUNC;
	pi->arp_op = rd_be16(a + 6);
	pi->src.family = AF_INET;
	pi->src.v4 = rd_raw32(a + 14); /* sender protocol address */
	pi->dst.family = AF_INET;
	pi->dst.v4 = rd_raw32(a + 24); /* target protocol address */
	pi->l3_end = (uint16_t)(off + ARP_ETH_IPV4_LEN);
	return PKT_OK;
}

int
pkt_parse(const uint8_t *frame, uint32_t len, struct pkt_info *pi)
{
	uint32_t off = ETH_HLEN;
	uint16_t type;

	memset(pi, 0, sizeof(*pi));
	/* Offsets are 16-bit: look at no more than the first 64 KiB. */
	if (len > UINT16_MAX)
		len = UINT16_MAX;
	if (len < ETH_HLEN)
		return PKT_E_ETH_TRUNC;

	type = rd_be16(frame + 12);
	while (is_vlan_tpid(type)) {
		if (pi->n_vlans == PKT_MAX_VLANS)
			return PKT_E_VLAN_TOO_MANY;
		if (len - off < VLAN_HLEN)
			return PKT_E_VLAN_TRUNC;
		pi->vlan_tci[pi->n_vlans++] = rd_be16(frame + off);
		type = rd_be16(frame + off + 2);
		off += VLAN_HLEN;
	}
	pi->ether_type = type;
	pi->l3_off = (uint16_t)off;

	switch (type) {
	case ETHERTYPE_IPV4:
		return parse_ipv4(frame, len, off, pi);
	case ETHERTYPE_IPV6:
		return parse_ipv6(frame, len, off, pi);
	case ETHERTYPE_ARP:
		return parse_arp(frame, len, off, pi);
	default:
		return PKT_OK;
	}
}
