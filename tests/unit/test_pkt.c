/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for pkt_parse() and pkt_addr.
 *
 * Each test builds its frame by hand with the small builder below, states
 * the pkt_info it expects (every field; what it does not set must be
 * zero) and checks the parse against it.  Every frame that goes through
 * expect() is also re-parsed
 *   - truncated at every length 0..len-1, each copy in a heap buffer of
 *     exactly that size so ASan catches a read past the end: the result
 *     must be an error or a self-consistent parse, and an error whenever
 *     the full frame has no bytes after its L3 datagram;
 *   - at every misalignment 1..7, which must not change the result.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "pkt.h"
#include "pkt_addr.h"
#include "pkt_csum.h"
#include "ut.h"

#define FRAME_MAX 2048

#define ETH_IPV4 0x0800
#define ETH_ARP 0x0806
#define ETH_IPV6 0x86dd
#define ETH_VLAN 0x8100
#define ETH_QINQ 0x88a8
#define ETH_LLDP 0x88cc

#define TCP_SYN 0x02
#define TCP_ACK 0x10

#define IP4_MF 0x2000
#define IP4_DF 0x4000

#define SRC4 0xc0000201u /* 192.0.2.1 */
#define DST4 0xc6336407u /* 198.51.100.7 */

static const uint8_t src6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x01};
static const uint8_t dst6[16] = {0x20, 0x01, 0x0d, 0xb8, [14] = 0xab, [15] = 0x02};

/* Frame builder: appends big-endian fields to a fixed buffer. */
struct frame {
	uint8_t b[FRAME_MAX];
	uint32_t len;
};

static void
put(struct frame *f, const void *p, size_t n)
{
	if (n == 0)
		return;
	memcpy(f->b + f->len, p, n);
	f->len += (uint32_t)n;
}

static void
put8(struct frame *f, uint8_t v)
{
	f->b[f->len++] = v;
}

static void
put16(struct frame *f, uint16_t v)
{
	put8(f, (uint8_t)(v >> 8));
	put8(f, (uint8_t)v);
}

static void
put32(struct frame *f, uint32_t v)
{
	put16(f, (uint16_t)(v >> 16));
	put16(f, (uint16_t)v);
}

static void
fill(struct frame *f, uint8_t v, size_t n)
{
	memset(f->b + f->len, v, n);
	f->len += (uint32_t)n;
}

static void
set16(struct frame *f, uint32_t off, uint16_t v)
{
	f->b[off] = (uint8_t)(v >> 8);
	f->b[off + 1] = (uint8_t)v;
}

/* Ethernet header; tags are (TPID, TCI) pairs, outermost first. */
static void
eth_tagged(struct frame *f, const uint16_t *tags, unsigned int n_tags, uint16_t type)
{
	static const uint8_t macs[12] = {0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02};
	unsigned int i;

	f->len = 0;
	put(f, macs, sizeof(macs));
	for (i = 0; i < n_tags; i++) {
		put16(f, tags[2 * i]);
		put16(f, tags[2 * i + 1]);
	}
	put16(f, type);
}

static void
eth(struct frame *f, uint16_t type)
{
	eth_tagged(f, NULL, 0, type);
}

/* IPv4 header (options padded by the caller); ipv4_end() sets the length. */
static uint32_t
ipv4(struct frame *f, uint8_t proto, uint16_t frag, const uint8_t *opt, size_t optlen)
{
	uint32_t off = f->len;

	put8(f, (uint8_t)(0x40 | (20 + optlen) / 4));
	put8(f, 0);
	put16(f, 0); /* total length */
	put16(f, 0x1234);
	put16(f, frag);
	put8(f, 64);
	put8(f, proto);
	put16(f, 0); /* checksum */
	put32(f, SRC4);
	put32(f, DST4);
	put(f, opt, optlen);
	return off;
}

static void
ipv4_end(struct frame *f, uint32_t off)
{
	uint16_t c;

	set16(f, off + 2, (uint16_t)(f->len - off));
	c = pkt_ipv4_hdr_csum(f->b + off, (size_t)(f->b[off] & 0x0f) * 4);
	memcpy(f->b + off + 10, &c, sizeof(c));
}

static uint32_t
ipv6(struct frame *f, uint8_t nh)
{
	uint32_t off = f->len;

	put32(f, 0x60012345); /* version 6, flow label */
	put16(f, 0);	      /* payload length */
	put8(f, nh);
	put8(f, 255);
	put(f, src6, 16);
	put(f, dst6, 16);
	return off;
}

static void
ipv6_end(struct frame *f, uint32_t off)
{
	set16(f, off + 4, (uint16_t)(f->len - off - 40));
}

/* Hop-by-Hop, Routing or Destination Options header of len bytes (8k). */
static void
ext6(struct frame *f, uint8_t nh, size_t len)
{
	put8(f, nh);
	put8(f, (uint8_t)(len / 8 - 1));
	put8(f, 1); /* PadN over the rest */
	put8(f, (uint8_t)(len - 4));
	fill(f, 0, len - 4);
}

static void
frag6(struct frame *f, uint8_t nh, uint16_t offset8, bool more)
{
	put8(f, nh);
	put8(f, 0);
	put16(f, (uint16_t)(offset8 << 3 | (more ? 1 : 0)));
	put32(f, 0xcafe0001);
}

/* AH with a 12-byte ICV: 24 bytes, length field (24 / 4) - 2 = 4. */
static void
ah6(struct frame *f, uint8_t nh)
{
	put8(f, nh);
	put8(f, 4);
	put16(f, 0);
	put32(f, 0x100); /* SPI */
	put32(f, 1);	 /* sequence */
	fill(f, 0x5a, 12);
}

static uint32_t
tcp(struct frame *f, uint16_t sport, uint16_t dport, uint8_t flags, size_t optlen)
{
	uint32_t off = f->len;

	put16(f, sport);
	put16(f, dport);
	put32(f, 1000);
	put32(f, 0);
	put8(f, (uint8_t)(((20 + optlen) / 4) << 4));
	put8(f, flags);
	put16(f, 65535);
	put16(f, 0);
	put16(f, 0);
	fill(f, 1, optlen); /* NOPs */
	return off;
}

static uint32_t
udp(struct frame *f, uint16_t sport, uint16_t dport, size_t payload)
{
	uint32_t off = f->len;

	put16(f, sport);
	put16(f, dport);
	put16(f, (uint16_t)(8 + payload));
	put16(f, 0);
	fill(f, 0xab, payload);
	return off;
}

static uint32_t
icmp(struct frame *f, uint8_t type, uint8_t code, uint16_t id, size_t payload)
{
	uint32_t off = f->len;

	put8(f, type);
	put8(f, code);
	put16(f, 0);
	put16(f, id);
	put16(f, 7); /* sequence */
	fill(f, 0xcd, payload);
	return off;
}

/* The expected pkt_info starts all zero; tests fill what should be set. */
static void
exp_l2(struct pkt_info *e, uint16_t type, uint16_t l3_off)
{
	memset(e, 0, sizeof(*e));
	e->ether_type = type;
	e->l3_off = l3_off;
}

static void
exp_v4(struct pkt_info *e, uint8_t proto)
{
	e->l3 = PKT_L3_IPV4;
	e->l4_proto = proto;
	e->ttl = 64;
	e->src.family = AF_INET;
	e->src.v4 = htonl(SRC4);
	e->dst.family = AF_INET;
	e->dst.v4 = htonl(DST4);
}

static void
exp_v6(struct pkt_info *e, uint8_t proto)
{
	e->l3 = PKT_L3_IPV6;
	e->l4_proto = proto;
	e->ttl = 255;
	e->src.family = AF_INET6;
	memcpy(e->src.v6, src6, 16);
	e->dst.family = AF_INET6;
	memcpy(e->dst.v6, dst6, 16);
}

static bool
addr_same(const struct pkt_addr *a, const struct pkt_addr *b)
{
	return a->family == b->family && memcmp(a->v6, b->v6, sizeof(a->v6)) == 0;
}

/* Number of fields that differ; each one reported when `what` is set. */
static unsigned int
diff_info(const struct pkt_info *e, const struct pkt_info *g, const char *what)
{
	unsigned int bad = 0;

#define FIELD(name)                                                            \
	do {                                                                   \
		bool ok_ = e->name == g->name;                                 \
		if (what != NULL)                                              \
			UT_CHECK_MSG(ok_, "%s: " #name " = %u, want %u", what, \
				(unsigned int)g->name, (unsigned int)e->name); \
		bad += !ok_;                                                   \
	} while (0)
	FIELD(l3_off);
	FIELD(l4_off);
	FIELD(payload_off);
	FIELD(l3_end);
	FIELD(ether_type);
	FIELD(vlan_tci[0]);
	FIELD(vlan_tci[1]);
	FIELD(n_vlans);
	FIELD(l3);
	FIELD(l4_proto);
	FIELD(flags);
	FIELD(ttl);
	FIELD(tcp_flags);
	FIELD(icmp_type);
	FIELD(icmp_code);
	FIELD(sport);
	FIELD(dport);
	FIELD(arp_op);
#undef FIELD
	if (what != NULL) {
		UT_CHECK_MSG(addr_same(&e->src, &g->src), "%s: src differs", what);
		UT_CHECK_MSG(addr_same(&e->dst, &g->dst), "%s: dst differs", what);
	}
	bad += !addr_same(&e->src, &g->src);
	bad += !addr_same(&e->dst, &g->dst);
	return bad;
}

/* The invariants every result must meet, whatever the input. */
static bool
consistent(int rc, const struct pkt_info *pi, uint32_t len)
{
	if (rc < 0 || rc >= PKT_E_MAX || pi->n_vlans > PKT_MAX_VLANS)
		return false;
	if ((pi->flags & PKT_F_FRAG_FIRST) && !(pi->flags & PKT_F_FRAG))
		return false;
	if (rc != PKT_OK)
		return true;
	if (pi->l3_off > len || pi->l3_end > len)
		return false;
	switch (pi->l3) {
	case PKT_L3_NONE:
		return pi->l4_off == 0 && pi->payload_off == 0 && pi->l3_end == 0 && pi->flags == 0;
	case PKT_L3_ARP:
		return pi->l3_end == pi->l3_off + 28 && pi->flags == 0;
	case PKT_L3_IPV4:
	case PKT_L3_IPV6:
		if (pi->l3_off >= pi->l4_off || pi->l4_off > pi->payload_off ||
			pi->payload_off > pi->l3_end)
			return false;
		return (pi->flags & PKT_F_L4) ? pi->payload_off > pi->l4_off
					      : pi->payload_off == pi->l4_off;
	default:
		return false;
	}
}

static int
parse_copy(const uint8_t *src, uint32_t len, size_t shift, struct pkt_info *pi)
{
	uint8_t *buf = malloc(len + shift + 1);
	int rc;

	if (buf == NULL)
		abort();
	memcpy(buf + shift, src, len);
	rc = pkt_parse(buf + shift, len, pi);
	free(buf);
	return rc;
}

/* Re-parse the frame cut short at every length (see the file comment). */
static void
sweep_truncations(const struct frame *f, const struct pkt_info *full, int full_rc, const char *what)
{
	bool tight = full_rc == PKT_OK && full->l3 != PKT_L3_NONE && full->l3_end == f->len;
	unsigned int bad_cons = 0, bad_ok = 0, bad_eth = 0;
	uint32_t cut;

	for (cut = 0; cut < f->len; cut++) {
		uint8_t *buf = malloc(cut > 0 ? cut : 1);
		struct pkt_info pi;
		int rc;

		if (buf == NULL)
			abort();
		memcpy(buf, f->b, cut);
		rc = pkt_parse(buf, cut, &pi);
		free(buf);
		if (!consistent(rc, &pi, cut))
			bad_cons++;
		if (tight && rc == PKT_OK)
			bad_ok++;
		if (cut < 14 && rc != PKT_E_ETH_TRUNC)
			bad_eth++;
	}
	UT_CHECK_MSG(bad_cons == 0, "%s: %u truncations inconsistent", what, bad_cons);
	UT_CHECK_MSG(bad_ok == 0, "%s: %u truncations parsed OK", what, bad_ok);
	UT_CHECK_MSG(bad_eth == 0, "%s: %u short frames not eth_truncated", what, bad_eth);
}

/* Parse f, expect rc and exactly *e, then the truncation/alignment sweeps. */
static void
expect(const struct frame *f, int want_rc, const struct pkt_info *e, const char *what)
{
	struct pkt_info pi, pj;
	unsigned int bad_align = 0;
	size_t shift;
	int rc;

	rc = parse_copy(f->b, f->len, 0, &pi);
	UT_CHECK_MSG(rc == want_rc, "%s: rc %s, want %s", what, pkt_parse_err_name(rc),
		pkt_parse_err_name(want_rc));
	diff_info(e, &pi, what);
	UT_CHECK_MSG(consistent(rc, &pi, f->len), "%s: inconsistent result", what);

	for (shift = 1; shift < 8; shift++)
		if (parse_copy(f->b, f->len, shift, &pj) != rc || diff_info(&pi, &pj, NULL) != 0)
			bad_align++;
	UT_CHECK_MSG(bad_align == 0, "%s: result changes with alignment", what);

	sweep_truncations(f, &pi, rc, what);
}

/* ---- IPv4 ---- */

/* IPv4/TCP SYN, no options: every field. */
static void
test_ipv4_tcp(void)
{
	struct frame f;
	struct pkt_info e;
	uint32_t l3;

	eth(&f, ETH_IPV4);
	l3 = ipv4(&f, IPPROTO_TCP, IP4_DF, NULL, 0);
	tcp(&f, 40000, 443, TCP_SYN, 0);
	ipv4_end(&f, l3);

	exp_l2(&e, ETH_IPV4, 14);
	exp_v4(&e, IPPROTO_TCP);
	e.l4_off = 34;
	e.payload_off = 54;
	e.l3_end = 54;
	e.flags = PKT_F_L4;
	e.tcp_flags = TCP_SYN;
	e.sport = htons(40000);
	e.dport = htons(443);
	expect(&f, PKT_OK, &e, "ipv4/tcp");

	/* TCP options (doff 8) and 5 payload bytes move payload_off. */
	eth(&f, ETH_IPV4);
	l3 = ipv4(&f, IPPROTO_TCP, 0, NULL, 0);
	tcp(&f, 40000, 443, TCP_SYN | TCP_ACK, 12);
	fill(&f, 'x', 5);
	ipv4_end(&f, l3);
	e.tcp_flags = TCP_SYN | TCP_ACK;
	e.payload_off = 34 + 32;
	e.l3_end = 34 + 32 + 5;
	expect(&f, PKT_OK, &e, "ipv4/tcp options");
}

/* IPv4/UDP in a minimum-size frame: the Ethernet padding is not in l3_end. */
static void
test_ipv4_udp_padding(void)
{
	struct frame f;
	struct pkt_info e;
	uint32_t l3;

	eth(&f, ETH_IPV4);
	l3 = ipv4(&f, IPPROTO_UDP, 0, NULL, 0);
	udp(&f, 5004, 3478, 4);
	ipv4_end(&f, l3);
	fill(&f, 0, 60 - f.len);

	exp_l2(&e, ETH_IPV4, 14);
	exp_v4(&e, IPPROTO_UDP);
	e.l4_off = 34;
	e.payload_off = 42;
	e.l3_end = 46;
	e.flags = PKT_F_L4;
	e.sport = htons(5004);
	e.dport = htons(3478);
	expect(&f, PKT_OK, &e, "ipv4/udp padded");
}

/* ICMP echo request: id in dport; a non-echo ICMP leaves dport 0. */
static void
test_ipv4_icmp(void)
{
	struct frame f;
	struct pkt_info e;
	uint32_t l3;

	eth(&f, ETH_IPV4);
	l3 = ipv4(&f, IPPROTO_ICMP, 0, NULL, 0);
	icmp(&f, 8, 0, 0x4242, 16);
	ipv4_end(&f, l3);

	exp_l2(&e, ETH_IPV4, 14);
	exp_v4(&e, IPPROTO_ICMP);
	e.l4_off = 34;
	e.payload_off = 42;
	e.l3_end = 58;
	e.flags = PKT_F_L4;
	e.icmp_type = 8;
	e.dport = htons(0x4242);
	expect(&f, PKT_OK, &e, "ipv4/icmp echo request");

	f.b[34] = 0; /* echo reply */
	e.icmp_type = 0;
	expect(&f, PKT_OK, &e, "ipv4/icmp echo reply");

	eth(&f, ETH_IPV4);
	l3 = ipv4(&f, IPPROTO_ICMP, 0, NULL, 0);
	icmp(&f, 3, 4, 1500, 28); /* fragmentation needed, next-hop MTU */
	ipv4_end(&f, l3);
	e.icmp_type = 3;
	e.icmp_code = 4;
	e.dport = 0;
	e.l3_end = 34 + 36;
	expect(&f, PKT_OK, &e, "ipv4/icmp unreachable");

	/* 7 bytes of ICMP are not enough. */
	eth(&f, ETH_IPV4);
	l3 = ipv4(&f, IPPROTO_ICMP, 0, NULL, 0);
	fill(&f, 8, 7);
	ipv4_end(&f, l3);
	e.icmp_type = 0;
	e.icmp_code = 0;
	e.flags = 0;
	e.payload_off = 34;
	e.l3_end = 41;
	expect(&f, PKT_E_ICMP_TRUNC, &e, "ipv4/icmp 7 bytes");
}

/* Options: NOP, NOP, Record Route (11 bytes), EOL, then garbage after EOL. */
static void
test_ipv4_options(void)
{
	static const uint8_t rr[16] = {1, 1, 7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	static const uint8_t ra[4] = {0x94, 4, 0, 0}; /* Router Alert */
	struct frame f;
	struct pkt_info e;
	uint32_t l3;

	eth(&f, ETH_IPV4);
	l3 = ipv4(&f, IPPROTO_UDP, 0, rr, sizeof(rr));
	udp(&f, 53, 53, 0);
	ipv4_end(&f, l3);

	exp_l2(&e, ETH_IPV4, 14);
	exp_v4(&e, IPPROTO_UDP);
	e.l4_off = 14 + 36;
	e.payload_off = e.l4_off + 8;
	e.l3_end = e.payload_off;
	e.flags = PKT_F_L4 | PKT_F_IPV4_OPTS;
	e.sport = htons(53);
	e.dport = htons(53);
	expect(&f, PKT_OK, &e, "ipv4 options rr");

	eth(&f, ETH_IPV4);
	l3 = ipv4(&f, IPPROTO_UDP, 0, ra, sizeof(ra));
	udp(&f, 53, 53, 0);
	ipv4_end(&f, l3);
	e.l4_off = 14 + 24;
	e.payload_off = e.l4_off + 8;
	e.l3_end = e.payload_off;
	expect(&f, PKT_OK, &e, "ipv4 options router alert");
}

/* Bad options: each one in a 24-byte header. */
static void
test_ipv4_bad_options(void)
{
	static const struct {
		uint8_t opt[8];
		size_t len;
		const char *what;
	} bad[] = {
		{{0x94, 0, 0, 0}, 4, "option len 0"},
		{{0x94, 1, 0, 0}, 4, "option len 1"},
		{{0x94, 5, 0, 0}, 4, "option past header"},
		{{1, 1, 1, 0x94}, 4, "option without length byte"},
		{{1, 7, 8, 0, 0, 0, 0, 0}, 8, "option len 8 from offset 1 of 8"},
		{{0x07, 0xff, 0, 0}, 4, "option len 255"},
	};
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct frame f;
		struct pkt_info e;
		uint32_t l3;

		eth(&f, ETH_IPV4);
		l3 = ipv4(&f, IPPROTO_UDP, 0, bad[i].opt, bad[i].len);
		udp(&f, 53, 53, 0);
		ipv4_end(&f, l3);
		exp_l2(&e, ETH_IPV4, 14);
		e.l3 = PKT_L3_IPV4;
		expect(&f, PKT_E_IPV4_BAD_OPT, &e, bad[i].what);
	}
}

/* First, middle and last fragments of a UDP datagram. */
static void
test_ipv4_fragments(void)
{
	struct frame f;
	struct pkt_info e;
	uint32_t l3;

	/* First: the UDP length (1000) covers more than this fragment holds. */
	eth(&f, ETH_IPV4);
	l3 = ipv4(&f, IPPROTO_UDP, IP4_MF, NULL, 0);
	udp(&f, 4000, 4001, 24);
	set16(&f, 34 + 4, 1000);
	ipv4_end(&f, l3);

	exp_l2(&e, ETH_IPV4, 14);
	exp_v4(&e, IPPROTO_UDP);
	e.l4_off = 34;
	e.payload_off = 42;
	e.l3_end = 66;
	e.flags = PKT_F_FRAG | PKT_F_FRAG_FIRST | PKT_F_L4;
	e.sport = htons(4000);
	e.dport = htons(4001);
	expect(&f, PKT_OK, &e, "ipv4 first fragment");

	/* Middle (offset 4 * 8, MF): no L4 even though bytes look like UDP. */
	eth(&f, ETH_IPV4);
	l3 = ipv4(&f, IPPROTO_UDP, IP4_MF | 4, NULL, 0);
	udp(&f, 4000, 4001, 24);
	ipv4_end(&f, l3);
	e.flags = PKT_F_FRAG;
	e.payload_off = 34;
	e.sport = 0;
	e.dport = 0;
	expect(&f, PKT_OK, &e, "ipv4 middle fragment");

	/* Last (offset 8, no MF). */
	set16(&f, 14 + 6, 8);
	ipv4_end(&f, l3);
	expect(&f, PKT_OK, &e, "ipv4 last fragment");

	/* DF alone is not a fragment. */
	eth(&f, ETH_IPV4);
	l3 = ipv4(&f, 47, IP4_DF, NULL, 0); /* GRE: unknown, no L4 */
	fill(&f, 0, 4);
	ipv4_end(&f, l3);
	exp_l2(&e, ETH_IPV4, 14);
	exp_v4(&e, 47);
	e.l4_off = 34;
	e.payload_off = 34;
	e.l3_end = 38;
	expect(&f, PKT_OK, &e, "ipv4 unknown protocol");
}

/* Length fields that lie, and bad IHL / version. */
static void
test_ipv4_bad_lengths(void)
{
	struct frame f;
	struct pkt_info e;
	uint32_t l3;

	eth(&f, ETH_IPV4);
	l3 = ipv4(&f, IPPROTO_TCP, 0, NULL, 0);
	tcp(&f, 1, 2, TCP_SYN, 0);
	ipv4_end(&f, l3);

	exp_l2(&e, ETH_IPV4, 14);
	e.l3 = PKT_L3_IPV4;
	set16(&f, 16, 41);
	expect(&f, PKT_E_IPV4_BAD_LEN, &e, "ipv4 total length 1 too big");
	set16(&f, 16, 0xffff);
	expect(&f, PKT_E_IPV4_BAD_LEN, &e, "ipv4 total length 65535");
	set16(&f, 16, 19);
	expect(&f, PKT_E_IPV4_BAD_LEN, &e, "ipv4 total length < IHL");
	set16(&f, 16, 0);
	expect(&f, PKT_E_IPV4_BAD_LEN, &e, "ipv4 total length 0");

	/* Total length 20: the TCP header is outside the datagram. */
	set16(&f, 16, 20);
	exp_v4(&e, IPPROTO_TCP);
	e.l4_off = 34;
	e.payload_off = 34;
	e.l3_end = 34;
	expect(&f, PKT_E_TCP_TRUNC, &e, "ipv4 total length hides tcp");

	set16(&f, 16, 40);
	exp_l2(&e, ETH_IPV4, 14);
	e.l3 = PKT_L3_IPV4;
	f.b[14] = 0x40;
	expect(&f, PKT_E_IPV4_BAD_IHL, &e, "ipv4 ihl 0");
	f.b[14] = 0x44;
	expect(&f, PKT_E_IPV4_BAD_IHL, &e, "ipv4 ihl 4");
	f.b[14] = 0x4f; /* 60-byte header in 40 bytes */
	expect(&f, PKT_E_IPV4_BAD_LEN, &e, "ipv4 ihl 15, total length 40");
	f.b[14] = 0x65;
	expect(&f, PKT_E_IPV4_BAD_VERSION, &e, "ipv4 version 6");
	f.b[14] = 0x45;

	/* A header cut inside its options: its total length is past the frame. */
	eth(&f, ETH_IPV4);
	ipv4(&f, IPPROTO_TCP, 0, NULL, 0);
	f.b[14] = 0x46;
	set16(&f, 16, 24);
	expect(&f, PKT_E_IPV4_BAD_LEN, &e, "ipv4 ihl past frame");
}

/* L4 length fields that lie. */
static void
test_l4_bad_lengths(void)
{
	struct frame f;
	struct pkt_info e;
	uint32_t l3;

	eth(&f, ETH_IPV4);
	l3 = ipv4(&f, IPPROTO_UDP, 0, NULL, 0);
	udp(&f, 1, 2, 10);
	ipv4_end(&f, l3);
	exp_l2(&e, ETH_IPV4, 14);
	exp_v4(&e, IPPROTO_UDP);
	e.l4_off = 34;
	e.payload_off = 34;
	e.l3_end = 52;

	set16(&f, 38, 19);
	expect(&f, PKT_E_UDP_BAD_LEN, &e, "udp length 1 too big");
	set16(&f, 38, 7);
	expect(&f, PKT_E_UDP_BAD_LEN, &e, "udp length 7");
	set16(&f, 38, 0);
	expect(&f, PKT_E_UDP_BAD_LEN, &e, "udp length 0");
	set16(&f, 38, 8); /* shorter than the datagram is fine */
	e.flags = PKT_F_L4;
	e.payload_off = 42;
	e.sport = htons(1);
	e.dport = htons(2);
	expect(&f, PKT_OK, &e, "udp length 8 of 18");

	eth(&f, ETH_IPV4);
	l3 = ipv4(&f, IPPROTO_UDP, 0, NULL, 0);
	fill(&f, 0, 7);
	ipv4_end(&f, l3);
	exp_l2(&e, ETH_IPV4, 14);
	exp_v4(&e, IPPROTO_UDP);
	e.l4_off = 34;
	e.payload_off = 34;
	e.l3_end = 41;
	expect(&f, PKT_E_UDP_TRUNC, &e, "udp 7 bytes");

	eth(&f, ETH_IPV4);
	l3 = ipv4(&f, IPPROTO_TCP, 0, NULL, 0);
	tcp(&f, 1, 2, TCP_ACK, 0);
	ipv4_end(&f, l3);
	exp_l2(&e, ETH_IPV4, 14);
	exp_v4(&e, IPPROTO_TCP);
	e.l4_off = 34;
	e.payload_off = 34;
	e.l3_end = 54;
	f.b[46] = 6 << 4;
	expect(&f, PKT_E_TCP_BAD_DOFF, &e, "tcp doff 6 in 20 bytes");
	f.b[46] = 15 << 4;
	expect(&f, PKT_E_TCP_BAD_DOFF, &e, "tcp doff 15");
	f.b[46] = 4 << 4;
	expect(&f, PKT_E_TCP_BAD_DOFF, &e, "tcp doff 4");
	f.b[46] = 0;
	expect(&f, PKT_E_TCP_BAD_DOFF, &e, "tcp doff 0");
}

/* ---- ARP, VLAN, other ethertypes ---- */

static void
arp(struct frame *f, uint16_t op, uint16_t htype, uint16_t ptype, uint8_t hlen, uint8_t plen)
{
	eth(f, ETH_ARP);
	put16(f, htype);
	put16(f, ptype);
	put8(f, hlen);
	put8(f, plen);
	put16(f, op);
	fill(f, 0x02, 6);
	put32(f, SRC4);
	fill(f, 0, 6);
	put32(f, DST4);
}

static void
test_arp(void)
{
	struct frame f;
	struct pkt_info e;

	arp(&f, 1, 1, ETH_IPV4, 6, 4);
	exp_l2(&e, ETH_ARP, 14);
	e.l3 = PKT_L3_ARP;
	e.l3_end = 42;
	e.arp_op = 1;
	e.src.family = AF_INET;
	e.src.v4 = htonl(SRC4);
	e.dst.family = AF_INET;
	e.dst.v4 = htonl(DST4);
	expect(&f, PKT_OK, &e, "arp request");

	arp(&f, 2, 1, ETH_IPV4, 6, 4);
	fill(&f, 0, 18); /* padded to 60 */
	e.arp_op = 2;
	expect(&f, PKT_OK, &e, "arp reply padded");

	exp_l2(&e, ETH_ARP, 14);
	e.l3 = PKT_L3_ARP;
	arp(&f, 1, 1, ETH_IPV4, 8, 4);
	expect(&f, PKT_E_ARP_BAD, &e, "arp hlen 8");
	arp(&f, 1, 1, ETH_IPV4, 6, 16);
	expect(&f, PKT_E_ARP_BAD, &e, "arp plen 16");
	arp(&f, 1, 6, ETH_IPV4, 6, 4);
	expect(&f, PKT_E_ARP_BAD, &e, "arp htype 6");
	arp(&f, 1, 1, ETH_IPV6, 6, 4);
	expect(&f, PKT_E_ARP_BAD, &e, "arp ptype ipv6");
}

static void
test_vlan(void)
{
	static const uint16_t one[] = {ETH_VLAN, 0x2064};
	static const uint16_t two[] = {ETH_QINQ, 0x000a, ETH_VLAN, 0xe0c8};
	static const uint16_t dot1q2[] = {ETH_VLAN, 0x0001, ETH_VLAN, 0x0fff};
	static const uint16_t three[] = {ETH_QINQ, 1, ETH_VLAN, 2, ETH_VLAN, 3};
	struct frame f;
	struct pkt_info e;
	uint32_t l3;

	eth_tagged(&f, one, 1, ETH_IPV4);
	l3 = ipv4(&f, IPPROTO_UDP, 0, NULL, 0);
	udp(&f, 67, 68, 0);
	ipv4_end(&f, l3);
	exp_l2(&e, ETH_IPV4, 18);
	exp_v4(&e, IPPROTO_UDP);
	e.n_vlans = 1;
	e.vlan_tci[0] = 0x2064;
	e.l4_off = 38;
	e.payload_off = 46;
	e.l3_end = 46;
	e.flags = PKT_F_L4;
	e.sport = htons(67);
	e.dport = htons(68);
	expect(&f, PKT_OK, &e, "vlan ipv4/udp");

	eth_tagged(&f, two, 2, ETH_IPV6);
	l3 = ipv6(&f, IPPROTO_TCP);
	tcp(&f, 22, 50000, TCP_ACK, 0);
	ipv6_end(&f, l3);
	exp_l2(&e, ETH_IPV6, 22);
	exp_v6(&e, IPPROTO_TCP);
	e.n_vlans = 2;
	e.vlan_tci[0] = 0x000a;
	e.vlan_tci[1] = 0xe0c8;
	e.l4_off = 62;
	e.payload_off = 82;
	e.l3_end = 82;
	e.flags = PKT_F_L4;
	e.tcp_flags = TCP_ACK;
	e.sport = htons(22);
	e.dport = htons(50000);
	expect(&f, PKT_OK, &e, "qinq ipv6/tcp");

	eth_tagged(&f, dot1q2, 2, ETH_ARP);
	exp_l2(&e, ETH_ARP, 22);
	e.n_vlans = 2;
	e.vlan_tci[0] = 1;
	e.vlan_tci[1] = 0x0fff;
	e.l3 = PKT_L3_ARP;
	expect(&f, PKT_E_ARP_TRUNC, &e, "two 802.1q tags, arp with no body");

	eth_tagged(&f, three, 3, ETH_IPV4);
	l3 = ipv4(&f, IPPROTO_UDP, 0, NULL, 0);
	udp(&f, 67, 68, 0);
	ipv4_end(&f, l3);
	memset(&e, 0, sizeof(e));
	e.n_vlans = 2;
	e.vlan_tci[0] = 1;
	e.vlan_tci[1] = 2;
	expect(&f, PKT_E_VLAN_TOO_MANY, &e, "three tags");

	eth_tagged(&f, one, 1, ETH_IPV4);
	f.len = 16; /* tag cut in half */
	memset(&e, 0, sizeof(e));
	expect(&f, PKT_E_VLAN_TRUNC, &e, "vlan tag truncated");
}

static void
test_other_ethertypes(void)
{
	struct frame f;
	struct pkt_info e;

	eth(&f, ETH_LLDP);
	fill(&f, 0x11, 46);
	exp_l2(&e, ETH_LLDP, 14);
	expect(&f, PKT_OK, &e, "lldp");

	eth(&f, 0x0040); /* 802.3 length field */
	exp_l2(&e, 0x0040, 14);
	expect(&f, PKT_OK, &e, "802.3 length, header only");

	memset(&e, 0, sizeof(e));
	f.len = 13;
	expect(&f, PKT_E_ETH_TRUNC, &e, "13 bytes");
	expect(&f, PKT_E_ETH_TRUNC, &e, "13 bytes");
	UT_CHECK(pkt_parse(f.b, 0, &e) == PKT_E_ETH_TRUNC);
}

/* ---- IPv6 ---- */

static void
test_ipv6_basic(void)
{
	struct frame f;
	struct pkt_info e;
	uint32_t l3;

	eth(&f, ETH_IPV6);
	l3 = ipv6(&f, IPPROTO_UDP);
	udp(&f, 443, 61000, 100);
	ipv6_end(&f, l3);
	exp_l2(&e, ETH_IPV6, 14);
	exp_v6(&e, IPPROTO_UDP);
	e.l4_off = 54;
	e.payload_off = 62;
	e.l3_end = 162;
	e.flags = PKT_F_L4;
	e.sport = htons(443);
	e.dport = htons(61000);
	expect(&f, PKT_OK, &e, "ipv6/udp");

	eth(&f, ETH_IPV6);
	l3 = ipv6(&f, IPPROTO_ICMPV6);
	icmp(&f, 128, 0, 0x0bad, 8);
	ipv6_end(&f, l3);
	exp_l2(&e, ETH_IPV6, 14);
	exp_v6(&e, IPPROTO_ICMPV6);
	e.l4_off = 54;
	e.payload_off = 62;
	e.l3_end = 70;
	e.flags = PKT_F_L4;
	e.icmp_type = 128;
	e.dport = htons(0x0bad);
	expect(&f, PKT_OK, &e, "ipv6/icmpv6 echo request");
	f.b[54] = 129;
	e.icmp_type = 129;
	expect(&f, PKT_OK, &e, "ipv6/icmpv6 echo reply");

	/* Neighbour solicitation: 4-byte ICMPv6 header, no id. */
	eth(&f, ETH_IPV6);
	l3 = ipv6(&f, IPPROTO_ICMPV6);
	put8(&f, 135);
	put8(&f, 0);
	put16(&f, 0);
	put32(&f, 0);
	put(&f, dst6, 16);
	ipv6_end(&f, l3);
	e.icmp_type = 135;
	e.dport = 0;
	e.payload_off = 58;
	e.l3_end = 78;
	expect(&f, PKT_OK, &e, "ipv6/icmpv6 neighbour solicitation");

	/* Echo request needs 8 bytes; 4 bytes of anything else are enough. */
	eth(&f, ETH_IPV6);
	l3 = ipv6(&f, IPPROTO_ICMPV6);
	put32(&f, 0x80000000);
	fill(&f, 0, 2);
	ipv6_end(&f, l3);
	exp_l2(&e, ETH_IPV6, 14);
	exp_v6(&e, IPPROTO_ICMPV6);
	e.l4_off = 54;
	e.payload_off = 54;
	e.l3_end = 60;
	expect(&f, PKT_E_ICMP6_TRUNC, &e, "icmpv6 echo in 6 bytes");
	f.len = 57;
	set16(&f, 18, 3);
	e.l3_end = 57;
	expect(&f, PKT_E_ICMP6_TRUNC, &e, "icmpv6 in 3 bytes");

	/* Lengths and version. */
	eth(&f, ETH_IPV6);
	l3 = ipv6(&f, IPPROTO_TCP);
	tcp(&f, 1, 2, TCP_SYN, 0);
	ipv6_end(&f, l3);
	exp_l2(&e, ETH_IPV6, 14);
	e.l3 = PKT_L3_IPV6;
	set16(&f, 18, 21);
	expect(&f, PKT_E_IPV6_BAD_LEN, &e, "ipv6 payload length 1 too big");
	set16(&f, 18, 0xffff);
	expect(&f, PKT_E_IPV6_BAD_LEN, &e, "ipv6 payload length 65535");
	set16(&f, 18, 20);
	f.b[14] = 0x40;
	expect(&f, PKT_E_IPV6_BAD_VERSION, &e, "ipv6 version 4");
	f.b[14] = 0x60;

	/* Payload length 10: TCP bounded by the datagram, not the frame. */
	set16(&f, 18, 10);
	exp_v6(&e, IPPROTO_TCP);
	e.l4_off = 54;
	e.payload_off = 54;
	e.l3_end = 64;
	expect(&f, PKT_E_TCP_TRUNC, &e, "ipv6 payload length hides tcp");
}

static void
test_ipv6_ext(void)
{
	struct frame f;
	struct pkt_info e;
	uint32_t l3;

	/* Hop-by-Hop, Routing, Destination Options, then TCP. */
	eth(&f, ETH_IPV6);
	l3 = ipv6(&f, IPPROTO_HOPOPTS);
	ext6(&f, IPPROTO_ROUTING, 8);
	ext6(&f, IPPROTO_DSTOPTS, 24);
	ext6(&f, IPPROTO_TCP, 16);
	tcp(&f, 179, 30000, TCP_SYN, 4);
	ipv6_end(&f, l3);
	exp_l2(&e, ETH_IPV6, 14);
	exp_v6(&e, IPPROTO_TCP);
	e.l4_off = 54 + 48;
	e.payload_off = e.l4_off + 24;
	e.l3_end = e.payload_off;
	e.flags = PKT_F_IPV6_EXT | PKT_F_L4;
	e.tcp_flags = TCP_SYN;
	e.sport = htons(179);
	e.dport = htons(30000);
	expect(&f, PKT_OK, &e, "ipv6 hbh+rt+dst/tcp");

	/* AH (length in 32-bit words - 2), then UDP. */
	eth(&f, ETH_IPV6);
	l3 = ipv6(&f, IPPROTO_AH);
	ah6(&f, IPPROTO_UDP);
	udp(&f, 500, 500, 12);
	ipv6_end(&f, l3);
	exp_l2(&e, ETH_IPV6, 14);
	exp_v6(&e, IPPROTO_UDP);
	e.l4_off = 54 + 24;
	e.payload_off = e.l4_off + 8;
	e.l3_end = e.payload_off + 12;
	e.flags = PKT_F_IPV6_EXT | PKT_F_L4;
	e.sport = htons(500);
	e.dport = htons(500);
	expect(&f, PKT_OK, &e, "ipv6 ah/udp");

	/* First fragment: UDP length covers the whole datagram. */
	eth(&f, ETH_IPV6);
	l3 = ipv6(&f, IPPROTO_FRAGMENT);
	frag6(&f, IPPROTO_UDP, 0, true);
	udp(&f, 4500, 4500, 16);
	set16(&f, 62 + 4, 3000);
	ipv6_end(&f, l3);
	exp_l2(&e, ETH_IPV6, 14);
	exp_v6(&e, IPPROTO_UDP);
	e.l4_off = 62;
	e.payload_off = 70;
	e.l3_end = 86;
	e.flags = PKT_F_IPV6_EXT | PKT_F_FRAG | PKT_F_FRAG_FIRST | PKT_F_L4;
	e.sport = htons(4500);
	e.dport = htons(4500);
	expect(&f, PKT_OK, &e, "ipv6 first fragment");

	/* Later fragment: stops at the fragment header. */
	eth(&f, ETH_IPV6);
	l3 = ipv6(&f, IPPROTO_HOPOPTS);
	ext6(&f, IPPROTO_FRAGMENT, 8);
	frag6(&f, IPPROTO_UDP, 185, false);
	fill(&f, 0xee, 40);
	ipv6_end(&f, l3);
	exp_l2(&e, ETH_IPV6, 14);
	exp_v6(&e, IPPROTO_UDP);
	e.l4_off = 70;
	e.payload_off = 70;
	e.l3_end = 110;
	e.flags = PKT_F_IPV6_EXT | PKT_F_FRAG;
	expect(&f, PKT_OK, &e, "ipv6 last fragment");

	/* Atomic fragment (offset 0, no M): not a fragment, L4 parsed. */
	eth(&f, ETH_IPV6);
	l3 = ipv6(&f, IPPROTO_FRAGMENT);
	frag6(&f, IPPROTO_ICMPV6, 0, false);
	icmp(&f, 129, 0, 77, 0);
	ipv6_end(&f, l3);
	exp_l2(&e, ETH_IPV6, 14);
	exp_v6(&e, IPPROTO_ICMPV6);
	e.l4_off = 62;
	e.payload_off = 70;
	e.l3_end = 70;
	e.flags = PKT_F_IPV6_EXT | PKT_F_L4;
	e.icmp_type = 129;
	e.dport = htons(77);
	expect(&f, PKT_OK, &e, "ipv6 atomic fragment");

	/* ESP and No Next Header end the walk without L4. */
	eth(&f, ETH_IPV6);
	l3 = ipv6(&f, IPPROTO_DSTOPTS);
	ext6(&f, IPPROTO_ESP, 8);
	fill(&f, 0x77, 32);
	ipv6_end(&f, l3);
	exp_l2(&e, ETH_IPV6, 14);
	exp_v6(&e, IPPROTO_ESP);
	e.l4_off = 62;
	e.payload_off = 62;
	e.l3_end = 94;
	e.flags = PKT_F_IPV6_EXT;
	expect(&f, PKT_OK, &e, "ipv6 dstopts/esp");

	eth(&f, ETH_IPV6);
	l3 = ipv6(&f, IPPROTO_NONE);
	ipv6_end(&f, l3);
	exp_l2(&e, ETH_IPV6, 14);
	exp_v6(&e, IPPROTO_NONE);
	e.l4_off = 54;
	e.payload_off = 54;
	e.l3_end = 54;
	expect(&f, PKT_OK, &e, "ipv6 no next header");
}

/* A chain of n Destination Options headers in front of UDP. */
static void
ext_chain(struct frame *f, unsigned int n)
{
	uint32_t l3;
	unsigned int i;

	eth(f, ETH_IPV6);
	l3 = ipv6(f, IPPROTO_DSTOPTS);
	for (i = 0; i < n; i++)
		ext6(f, i + 1 < n ? IPPROTO_DSTOPTS : IPPROTO_UDP, 8);
	udp(f, 1, 2, 0);
	ipv6_end(f, l3);
}

static void
test_ipv6_ext_limits(void)
{
	struct frame f;
	struct pkt_info e;
	uint32_t l3;

	ext_chain(&f, PKT_IPV6_MAX_EXT);
	exp_l2(&e, ETH_IPV6, 14);
	exp_v6(&e, IPPROTO_UDP);
	e.l4_off = 54 + 8 * PKT_IPV6_MAX_EXT;
	e.payload_off = e.l4_off + 8;
	e.l3_end = e.payload_off;
	e.flags = PKT_F_IPV6_EXT | PKT_F_L4;
	e.sport = htons(1);
	e.dport = htons(2);
	expect(&f, PKT_OK, &e, "ipv6 8 extension headers");

	ext_chain(&f, PKT_IPV6_MAX_EXT + 1);
	exp_l2(&e, ETH_IPV6, 14);
	exp_v6(&e, 0);
	e.l3_end = (uint16_t)f.len;
	e.flags = PKT_F_IPV6_EXT;
	expect(&f, PKT_E_IPV6_EXT_TOO_MANY, &e, "ipv6 9 extension headers");

	/* Routing header claiming 16 bytes with 8 left in the datagram. */
	eth(&f, ETH_IPV6);
	l3 = ipv6(&f, IPPROTO_ROUTING);
	ext6(&f, IPPROTO_UDP, 8);
	f.b[55] = 1;
	fill(&f, 0, 20); /* in the frame but not in the datagram */
	ipv6_end(&f, l3);
	set16(&f, 18, 8);
	e.l3_end = 62;
	expect(&f, PKT_E_IPV6_EXT_TRUNC, &e, "ipv6 ext past payload length");

	/* One byte of an extension header. */
	eth(&f, ETH_IPV6);
	l3 = ipv6(&f, IPPROTO_HOPOPTS);
	put8(&f, IPPROTO_TCP);
	ipv6_end(&f, l3);
	e.l3_end = 55;
	expect(&f, PKT_E_IPV6_EXT_TRUNC, &e, "ipv6 ext 1 byte");

	/* Fragment header cut short, AH cut short. */
	eth(&f, ETH_IPV6);
	l3 = ipv6(&f, IPPROTO_FRAGMENT);
	frag6(&f, IPPROTO_TCP, 0, true);
	f.len -= 2;
	ipv6_end(&f, l3);
	e.l3_end = 60;
	expect(&f, PKT_E_IPV6_EXT_TRUNC, &e, "ipv6 fragment header 6 bytes");

	eth(&f, ETH_IPV6);
	l3 = ipv6(&f, IPPROTO_AH);
	ah6(&f, IPPROTO_TCP);
	f.len -= 4;
	ipv6_end(&f, l3);
	e.l3_end = 74;
	expect(&f, PKT_E_IPV6_EXT_TRUNC, &e, "ipv6 ah 20 of 24 bytes");
}

/* Longer than 64 KiB: only the first 64 KiB are looked at. */
static void
test_huge_frame(void)
{
	uint32_t len = 70000;
	uint8_t *big = calloc(1, len);
	struct frame f;
	struct pkt_info pi;
	uint32_t l3;

	if (big == NULL)
		abort();
	eth(&f, ETH_IPV4);
	l3 = ipv4(&f, IPPROTO_UDP, 0, NULL, 0);
	udp(&f, 9, 9, 0);
	ipv4_end(&f, l3);
	memcpy(big, f.b, f.len);
	UT_CHECK(pkt_parse(big, len, &pi) == PKT_OK && pi.l3_end == 42);
	set16(&f, 16, 0xffff); /* 65535 bytes from offset 14: past 64 KiB */
	memcpy(big, f.b, f.len);
	UT_CHECK(pkt_parse(big, len, &pi) == PKT_E_IPV4_BAD_LEN);
	set16(&f, 16, 0xffff - 14);
	memcpy(big, f.b, f.len);
	UT_CHECK(pkt_parse(big, len, &pi) == PKT_OK && pi.l3_end == 0xffff);
	free(big);
}

static void
test_err_names(void)
{
	int i;

	UT_CHECK(strcmp(pkt_parse_err_name(PKT_OK), "ok") == 0);
	UT_CHECK(strcmp(pkt_parse_err_name(PKT_E_TCP_BAD_DOFF), "tcp_bad_data_offset") == 0);
	UT_CHECK(strcmp(pkt_parse_err_name(PKT_E_ETH_TRUNC), "eth_truncated") == 0);
	UT_CHECK(strcmp(pkt_parse_err_name(PKT_E_ICMP6_TRUNC), "icmp6_truncated") == 0);
	UT_CHECK(strcmp(pkt_parse_err_name(-1), "?") == 0);
	UT_CHECK(strcmp(pkt_parse_err_name(PKT_E_MAX), "?") == 0);
	for (i = 0; i < PKT_E_MAX; i++) {
		const char *n = pkt_parse_err_name(i);

		UT_CHECK_MSG(n != NULL && strcmp(n, "?") != 0, "error %d has no name", i);
	}
}

/* ---- pkt_addr ---- */

static void
test_addr(void)
{
	struct pkt_addr a, b, p;
	char buf[PKT_ADDR_STRLEN], small[8];

	UT_CHECK(pkt_addr_parse("192.0.2.1", &a) == 0);
	UT_CHECK(a.family == AF_INET && a.v4 == htonl(SRC4));
	UT_CHECK(strcmp(pkt_addr_format(&a, buf, sizeof(buf)), "192.0.2.1") == 0);
	UT_CHECK(pkt_addr_parse("2001:db8::1", &b) == 0);
	UT_CHECK(b.family == AF_INET6 && memcmp(b.v6, src6, 16) == 0);
	UT_CHECK(strcmp(pkt_addr_format(&b, buf, sizeof(buf)), "2001:db8::1") == 0);
	UT_CHECK(pkt_addr_parse("::ffff:198.51.100.7", &b) == 0 && b.family == AF_INET6);
	UT_CHECK(pkt_addr_parse("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", &b) == 0);
	UT_CHECK(strlen(pkt_addr_format(&b, buf, sizeof(buf))) < PKT_ADDR_STRLEN);

	UT_CHECK(pkt_addr_parse("[2001:db8::1]", &b) == -EINVAL);
	UT_CHECK(pkt_addr_parse("192.0.2.256", &b) == -EINVAL);
	UT_CHECK(pkt_addr_parse("192.0.2.1/24", &b) == -EINVAL);
	UT_CHECK(pkt_addr_parse("", &b) == -EINVAL);
	UT_CHECK(pkt_addr_parse(NULL, &b) == -EINVAL);

	memset(&b, 0, sizeof(b));
	UT_CHECK(strcmp(pkt_addr_format(&b, buf, sizeof(buf)), "?") == 0);
	UT_CHECK(strcmp(pkt_addr_format(&a, small, 4), "?") == 0);
	UT_CHECK(strcmp(pkt_addr_format(&a, small, 1), "?") == 0);
	UT_CHECK(strcmp(pkt_addr_format(&a, small, 0), "?") == 0);

	pkt_addr_parse("192.0.2.1", &b);
	UT_CHECK(pkt_addr_eq(&a, &b));
	pkt_addr_parse("192.0.2.2", &b);
	UT_CHECK(!pkt_addr_eq(&a, &b));
	pkt_addr_parse("::c000:201", &b); /* same 4 bytes at the end, other family */
	UT_CHECK(!pkt_addr_eq(&a, &b));

	pkt_addr_parse("192.0.2.0", &p);
	UT_CHECK(pkt_addr_in_prefix(&a, &p, 24));
	UT_CHECK(pkt_addr_in_prefix(&a, &p, 31));
	UT_CHECK(!pkt_addr_in_prefix(&a, &p, 32));
	UT_CHECK(!pkt_addr_in_prefix(&a, &p, 33));
	pkt_addr_parse("192.0.3.0", &p);
	UT_CHECK(pkt_addr_in_prefix(&a, &p, 23));
	UT_CHECK(!pkt_addr_in_prefix(&a, &p, 24));
	pkt_addr_parse("10.0.0.0", &p);
	UT_CHECK(pkt_addr_in_prefix(&a, &p, 0));
	UT_CHECK(!pkt_addr_in_prefix(&a, &p, 1));
	pkt_addr_parse("2001:db8::", &p);
	UT_CHECK(!pkt_addr_in_prefix(&a, &p, 0));

	pkt_addr_parse("2001:db8::1", &a);
	UT_CHECK(pkt_addr_in_prefix(&a, &p, 32));
	UT_CHECK(pkt_addr_in_prefix(&a, &p, 64));
	UT_CHECK(pkt_addr_in_prefix(&a, &p, 127));
	UT_CHECK(!pkt_addr_in_prefix(&a, &p, 128));
	UT_CHECK(!pkt_addr_in_prefix(&a, &p, 129));
	pkt_addr_parse("2001:db8:8000::", &p);
	UT_CHECK(pkt_addr_in_prefix(&a, &p, 32));
	UT_CHECK(pkt_addr_in_prefix(&a, &p, 32));
	UT_CHECK(!pkt_addr_in_prefix(&a, &p, 33));
}

/* The packet an ICMP error quotes: found, and refused when it cannot be used. */
static void
test_icmp_quoted(void)
{
	struct frame f;
	struct pkt_info pi;
	struct pkt_quoted q;
	uint32_t l3, in3;

	/* Fragmentation needed quoting an IPv4 TCP header's first 8 bytes. */
	eth(&f, ETH_IPV4);
	l3 = ipv4(&f, IPPROTO_ICMP, 0, NULL, 0);
	icmp(&f, 3, 4, 1400, 0);
	in3 = ipv4(&f, IPPROTO_TCP, 0, NULL, 0);
	put16(&f, 40000);
	put16(&f, 4443);
	put32(&f, 1);
	set16(&f, in3 + 2, 40); /* the quoted datagram was longer than its quote */
	ipv4_end(&f, l3);
	UT_CHECK(pkt_parse(f.b, f.len, &pi) == PKT_OK && pkt_icmp_is_error(&pi));
	UT_CHECK(pkt_icmp_quoted(f.b, &pi, &q) == 0);
	UT_CHECK(q.proto == IPPROTO_TCP && q.src.family == AF_INET && q.src.v4 == htonl(SRC4) &&
		q.dst.v4 == htonl(DST4) && q.sport == htons(40000) && q.dport == htons(4443));
	UT_CHECK(q.l3_off == in3 && q.l4_off == in3 + 20 && q.end == pi.l3_end);

	/* One byte of ports short: refused, at every shorter length. */
	f.len -= 1;
	set16(&f, l3 + 2, (uint16_t)(f.len - l3));
	UT_CHECK(pkt_parse(f.b, f.len, &pi) == PKT_OK && pkt_icmp_quoted(f.b, &pi, &q) == -1);
	while (f.len > in3) {
		f.len--;
		set16(&f, l3 + 2, (uint16_t)(f.len - l3));
		if (pkt_parse(f.b, f.len, &pi) == PKT_OK)
			UT_CHECK_MSG(pkt_icmp_quoted(f.b, &pi, &q) == -1, "quote of %u bytes",
				f.len - in3);
	}

	/* A quoted later fragment has no ports; a quoted ICMP is no connection's. */
	eth(&f, ETH_IPV4);
	l3 = ipv4(&f, IPPROTO_ICMP, 0, NULL, 0);
	icmp(&f, 11, 0, 0, 0);
	in3 = ipv4(&f, IPPROTO_UDP, 0x0010, NULL, 0);
	put32(&f, 0x12345678);
	put32(&f, 0);
	ipv4_end(&f, l3);
	UT_CHECK(pkt_parse(f.b, f.len, &pi) == PKT_OK && pkt_icmp_quoted(f.b, &pi, &q) == -1);
	set16(&f, in3 + 6, 0); /* offset 0: the first fragment quotes its ports */
	UT_CHECK(pkt_parse(f.b, f.len, &pi) == PKT_OK && pkt_icmp_quoted(f.b, &pi, &q) == 0 &&
		q.proto == IPPROTO_UDP && q.sport == htons(0x1234));
	f.b[in3 + 9] = IPPROTO_ICMP;
	UT_CHECK(pkt_parse(f.b, f.len, &pi) == PKT_OK && pkt_icmp_quoted(f.b, &pi, &q) == -1);

	/* Not errors: echo; an IPv6 header behind an IPv4 error. */
	eth(&f, ETH_IPV4);
	l3 = ipv4(&f, IPPROTO_ICMP, 0, NULL, 0);
	icmp(&f, 8, 0, 1, 40);
	ipv4_end(&f, l3);
	UT_CHECK(pkt_parse(f.b, f.len, &pi) == PKT_OK && !pkt_icmp_is_error(&pi) &&
		pkt_icmp_quoted(f.b, &pi, &q) == -1);

	/* ICMPv6 packet too big quoting IPv6 TCP. */
	eth(&f, ETH_IPV6);
	l3 = ipv6(&f, IPPROTO_ICMPV6);
	put8(&f, 2);
	put8(&f, 0);
	put16(&f, 0);
	put32(&f, 1280);
	in3 = ipv6(&f, IPPROTO_TCP);
	put16(&f, 40000);
	put16(&f, 4443);
	put32(&f, 1);
	ipv6_end(&f, l3);
	UT_CHECK(pkt_parse(f.b, f.len, &pi) == PKT_OK && pkt_icmp_is_error(&pi));
	UT_CHECK(pkt_icmp_quoted(f.b, &pi, &q) == 0 && q.src.family == AF_INET6 &&
		memcmp(q.src.v6, src6, 16) == 0 && memcmp(q.dst.v6, dst6, 16) == 0 &&
		q.dport == htons(4443) && q.l4_off == in3 + 40);
	f.b[in3] = 0x45; /* not version 6 */
	UT_CHECK(pkt_parse(f.b, f.len, &pi) == PKT_OK && pkt_icmp_quoted(f.b, &pi, &q) == -1);
}

int
main(void)
{
	test_ipv4_tcp();
	test_ipv4_udp_padding();
	test_ipv4_icmp();
	test_ipv4_options();
	test_ipv4_bad_options();
	test_ipv4_fragments();
	test_ipv4_bad_lengths();
	test_l4_bad_lengths();
	test_arp();
	test_vlan();
	test_other_ethertypes();
	test_ipv6_basic();
	test_ipv6_ext();
	test_ipv6_ext_limits();
	test_huge_frame();
	test_err_names();
	test_addr();
	test_icmp_quoted();
	return ut_summary("test_pkt");
}
