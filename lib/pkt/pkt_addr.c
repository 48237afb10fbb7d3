/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv4/IPv6 address helpers: text forms via inet_pton()/inet_ntop(),
 * equality and prefix membership on the bytes in network order.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "pkt_addr.h"

int
pkt_addr_parse(const char *s, struct pkt_addr *a)
{
	struct pkt_addr tmp;

	if (s == NULL || a == NULL)
		return -EINVAL;
	memset(&tmp, 0, sizeof(tmp));
	if (inet_pton(AF_INET, s, &tmp.v4) == 1)
		tmp.family = AF_INET;
	else if (inet_pton(AF_INET6, s, tmp.v6) == 1)
		tmp.family = AF_INET6;
	else
		return -EINVAL;
	*a = tmp;
	return 0;
}

const char *
pkt_addr_format(const struct pkt_addr *a, char *buf, size_t len)
{
	const char *s = NULL;

	if (buf == NULL || len == 0)
		return "?";
	if (len > (size_t)INET6_ADDRSTRLEN)
		len = INET6_ADDRSTRLEN; /* inet_ntop() takes a socklen_t */
	if (a != NULL && (a->family == AF_INET || a->family == AF_INET6))
		s = inet_ntop(a->family,
			a->family == AF_INET ? (const void *)&a->v4 : (const void *)a->v6, buf,
			(socklen_t)len);
	if (s == NULL) {
		if (len < 2)
			return "?";
		buf[0] = '?';
		buf[1] = '\0';
	}
	return buf;
}

static inline size_t
addr_bytes(uint8_t family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

static inline const uint8_t *
addr_data(const struct pkt_addr *a)
{
	return a->family == AF_INET ? (const uint8_t *)&a->v4 : a->v6;
}

bool
pkt_addr_eq(const struct pkt_addr *a, const struct pkt_addr *b)
{
	if (a->family != b->family)
		return false;
	return memcmp(addr_data(a), addr_data(b), addr_bytes(a->family)) == 0;
}

bool
pkt_addr_in_prefix(const struct pkt_addr *a, const struct pkt_addr *prefix, unsigned int len)
{
	size_t n = addr_bytes(a->family);
	const uint8_t *x, *y;
	unsigned int full, rem;
	uint8_t mask;

	if (n == 0 || a->family != prefix->family || len > n * 8)
		return false;
	x = addr_data(a);
	y = addr_data(prefix);
	full = len / 8;
	rem = len % 8;
	if (memcmp(x, y, full) != 0)
		return false;
	if (rem == 0)
		return true;
	mask = (uint8_t)(0xff << (8 - rem));
	return ((x[full] ^ y[full]) & mask) == 0;
}
