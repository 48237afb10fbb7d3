/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv4/IPv6 addresses as both processes and the profile see them.
 * Kept free of DPDK so edge-control and edgectl can use it.
 */
#ifndef EP_PKT_ADDR_H
#define EP_PKT_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Longest text form: "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255" + NUL. */
#define PKT_ADDR_STRLEN 46

struct pkt_addr {
	uint8_t family; /* AF_INET or AF_INET6; 0 = unset */
	uint8_t pad[3];
	union {
		uint32_t v4; /* network byte order */
		uint8_t v6[16];
	};
};

/* Parse "192.0.2.1" or "2001:db8::1" (no brackets). 0 or -EINVAL. */
int pkt_addr_parse(const char *s, struct pkt_addr *a);

/* Text form into buf; returns buf ("?" when unset or buf too small). */
const char *pkt_addr_format(const struct pkt_addr *a, char *buf, size_t len);

bool pkt_addr_eq(const struct pkt_addr *a, const struct pkt_addr *b);

/* Does prefix/len contain a?  Families must match. */
bool pkt_addr_in_prefix(const struct pkt_addr *a, const struct pkt_addr *prefix, unsigned int len);

#endif /* EP_PKT_ADDR_H */
