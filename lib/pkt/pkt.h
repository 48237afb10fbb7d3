/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Bounds-checked packet parsing.
 *
 * pkt_parse() walks Ethernet, up to two 802.1Q/802.1ad tags, ARP, IPv4
 * (options validated, fragments recognised), IPv6 (extension headers
 * walked up to PKT_IPV6_MAX_EXT), TCP, UDP, ICMP and ICMPv6 and fills a
 * compact struct pkt_info the classifier uses.  It never reads a byte
 * past `len` and never trusts a length field before checking that the
 * bytes it describes are there.  It does not verify checksums (see
 * pkt_csum.h): the dataplane verifies only what it answers or rewrites.
 *
 * DPDK-free on purpose: it runs on (pointer, length), so the unit tests,
 * the fuzz harness and edge-control can use it.
 */
#ifndef EP_PKT_H
#define EP_PKT_H

#include <stdbool.h>
#include <stdint.h>

#include "pkt_addr.h"

#define PKT_MAX_VLANS 2
#define PKT_IPV6_MAX_EXT 8

/*
 * Why a packet could not be parsed.  One list: the dataplane turns each
 * entry into a drop counter with the same name.
 */
#define PKT_PARSE_ERRORS(X)                        \
	X(ETH_TRUNC, "eth_truncated")              \
	X(VLAN_TRUNC, "vlan_truncated")            \
	X(VLAN_TOO_MANY, "vlan_too_many")          \
	X(ARP_TRUNC, "arp_truncated")              \
	X(ARP_BAD, "arp_bad_format")               \
	X(IPV4_TRUNC, "ipv4_truncated")            \
	X(IPV4_BAD_VERSION, "ipv4_bad_version")    \
	X(IPV4_BAD_IHL, "ipv4_bad_ihl")            \
	X(IPV4_BAD_LEN, "ipv4_bad_total_length")   \
	X(IPV4_BAD_OPT, "ipv4_bad_options")        \
	X(IPV6_TRUNC, "ipv6_truncated")            \
	X(IPV6_BAD_VERSION, "ipv6_bad_version")    \
	X(IPV6_BAD_LEN, "ipv6_bad_payload_length") \
	X(IPV6_EXT_TRUNC, "ipv6_ext_truncated")    \
	X(IPV6_EXT_TOO_MANY, "ipv6_ext_too_many")  \
	X(TCP_TRUNC, "tcp_truncated")              \
	X(TCP_BAD_DOFF, "tcp_bad_data_offset")     \
	X(UDP_TRUNC, "udp_truncated")              \
	X(UDP_BAD_LEN, "udp_bad_length")           \
	X(ICMP_TRUNC, "icmp_truncated")            \
	X(ICMP6_TRUNC, "icmp6_truncated")

/* clang-format off */
enum pkt_parse_err {
	PKT_OK = 0,
#define PKT_X_ENUM(e, s) PKT_E_##e,
	PKT_PARSE_ERRORS(PKT_X_ENUM)
#undef PKT_X_ENUM
	PKT_E_MAX
};
/* clang-format on */

/* Name of a parse error ("ok" for PKT_OK, "?" when out of range). */
const char *pkt_parse_err_name(int err);

enum pkt_l3 {
	PKT_L3_NONE = 0, /* unknown ethertype: only L2 fields are valid */
	PKT_L3_ARP,
	PKT_L3_IPV4,
	PKT_L3_IPV6,
};

/* pkt_info.flags */
#define PKT_F_FRAG 0x01	      /* part of a fragmented datagram */
#define PKT_F_FRAG_FIRST 0x02 /* first fragment (offset 0, L4 header present) */
#define PKT_F_IPV4_OPTS 0x04  /* IPv4 header carries options */
#define PKT_F_IPV6_EXT 0x08   /* IPv6 extension headers were walked */
#define PKT_F_L4 0x10	      /* l4 fields below are valid */

/*
 * Parse result.  Offsets are from the start of the frame.  Ports and
 * IPv4 addresses are kept in network byte order so they can be compared
 * to table keys without swapping.
 */
struct pkt_info {
	uint16_t l3_off;		  /* after Ethernet and VLAN tags */
	uint16_t l4_off;		  /* after IPv4 options / IPv6 extension headers */
	uint16_t payload_off;		  /* after the L4 header (TCP options included);
	                         = l4_off when no L4 header was parsed */
	uint16_t l3_end;		  /* end of the IP datagram per its length field
	                         (<= frame length; Ethernet padding excluded) */
	uint16_t ether_type;		  /* innermost, host byte order */
	uint16_t vlan_tci[PKT_MAX_VLANS]; /* host byte order, outermost first */
	uint8_t n_vlans;
	uint8_t l3;	   /* enum pkt_l3 */
	uint8_t l4_proto;  /* IPPROTO_*; for IPv6 the final next-header */
	uint8_t flags;	   /* PKT_F_* */
	uint8_t ttl;	   /* IPv4 TTL / IPv6 hop limit */
	uint8_t tcp_flags; /* TCP only */
	uint8_t icmp_type; /* ICMP / ICMPv6 only */
	uint8_t icmp_code;
	uint16_t sport;	     /* TCP/UDP, network byte order */
	uint16_t dport;	     /* TCP/UDP, network byte order; ICMP echo: id */
	struct pkt_addr src; /* IPv4/IPv6 source; ARP: sender protocol address */
	struct pkt_addr dst; /* IPv4/IPv6 destination; ARP: target protocol address */
	uint16_t arp_op;     /* ARP only, host byte order */
};

/*
 * Parse a frame of `len` bytes.  Returns PKT_OK or a positive
 * enum pkt_parse_err.  On error the fields filled so far are valid
 * (l3 tells how far it got) and the rest are zero.  Only the first
 * 65535 bytes are looked at (offsets are 16-bit).
 */
int pkt_parse(const uint8_t *frame, uint32_t len, struct pkt_info *pi);

/* The TCP/UDP packet an ICMP/ICMPv6 error quotes (pkt_icmp.c). */
struct pkt_quoted {
	struct pkt_addr src, dst;
	uint16_t sport, dport; /* network order */
	uint16_t l3_off;       /* the quoted IP header, in the frame */
	uint16_t l4_off;       /* its TCP/UDP header */
	uint16_t end;	       /* end of the quote (the outer l3_end) */
	uint8_t proto;	       /* IPPROTO_TCP or IPPROTO_UDP */
};

/* Is pi an ICMP error (unreachable, too big, time exceeded, parameter problem)? */
bool pkt_icmp_is_error(const struct pkt_info *pi);
/*
 * The quoted packet of a parsed ICMP error in frame: 0, or -1 when it is
 * not an error or does not quote a whole IP header and 8 bytes of TCP or
 * UDP (a later fragment, an extension header, a truncated quote).
 */
int pkt_icmp_quoted(const uint8_t *frame, const struct pkt_info *pi, struct pkt_quoted *q);

#endif /* EP_PKT_H */
