/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Profile values: durations, counts, addresses, prefixes, endpoints and
 * MAC addresses as written in profiles, and the names of enum values.
 * Every parser takes the whole string (inih has trimmed it) and returns
 * 0 or -EINVAL; trailing junk is an error.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "prof.h"
#include "prof_int.h"

struct prof_unit {
	const char *suffix;
	uint64_t mult;
};

static const struct prof_unit duration_units[] = {
	{"ms", 1},
	{"s", 1000},
	{"m", 60 * 1000},
	{"h", 60 * 60 * 1000},
	{"", 1000}, /* a bare number is seconds */
	{NULL, 0},
};

static const struct prof_unit count_units[] = {
	{"k", 1000},
	{"M", 1000 * 1000},
	{"G", 1000 * 1000 * 1000},
	{"", 1},
	{NULL, 0},
};

const char *
prof_skip_ws(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* Decimal digits at s; *end is the first byte after them.  No sign. */
int
prof_parse_u64(const char *s, const char **end, uint64_t *v)
{
	uint64_t n = 0;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	while (*p >= '0' && *p <= '9') {
		unsigned int d = (unsigned int)(*p - '0');

		if (n > (UINT64_MAX - d) / 10)
			return -EINVAL;
		n = n * 10 + d;
		p++;
	}
	*end = p;
	*v = n;
	return 0;
}

int
prof_parse_uint(const char *s, uint64_t *v)
{
	const char *end;

	if (prof_parse_u64(s, &end, v) != 0 || *end != '\0')
		return -EINVAL;
	return 0;
}

/* A number followed by one of the units' suffixes. */
static int
parse_scaled(const char *s, const struct prof_unit *units, uint64_t *v)
{
	const struct prof_unit *u;
	const char *end;
	uint64_t n;

	if (prof_parse_u64(s, &end, &n) != 0)
		return -EINVAL;
	for (u = units; u->suffix != NULL; u++) {
		if (strcmp(end, u->suffix) != 0)
			continue;
		if (n > UINT64_MAX / u->mult)
			return -EINVAL;
		*v = n * u->mult;
		return 0;
	}
	return -EINVAL;
}

int
prof_parse_duration(const char *s, uint64_t *ms)
{
	if (s == NULL || ms == NULL)
		return -EINVAL;
	return parse_scaled(s, duration_units, ms);
}

int
prof_parse_count(const char *s, uint64_t *v)
{
	if (s == NULL || v == NULL)
		return -EINVAL;
	return parse_scaled(s, count_units, v);
}

/* "192.0.2.1" or "2001:db8::1", nothing else. */
int
prof_parse_addr(const char *s, struct pkt_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (strchr(s, ':') != NULL) {
		if (inet_pton(AF_INET6, s, a->v6) != 1)
			return -EINVAL;
		a->family = AF_INET6;
	} else {
		if (inet_pton(AF_INET, s, &a->v4) != 1)
			return -EINVAL;
		a->family = AF_INET;
	}
	return 0;
}

unsigned int
prof_addr_bits(const struct pkt_addr *a)
{
	return a->family == AF_INET6 ? 128 : 32;
}

/* Order of two addresses of one family (network byte order compares right). */
int
prof_addr_cmp(const struct pkt_addr *a, const struct pkt_addr *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	if (a->family == AF_INET6)
		return memcmp(a->v6, b->v6, sizeof(a->v6));
	return memcmp(&a->v4, &b->v4, sizeof(a->v4));
}

/* Copy s[0..n) into buf (size len) as a string; -EINVAL if it does not fit. */
static int
copy_part(char *buf, size_t len, const char *s, size_t n)
{
	if (n >= len)
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return 0;
}

int
prof_parse_cidr(const char *s, struct prof_cidr *c)
{
	char host[INET6_ADDRSTRLEN];
	const char *slash;
	uint64_t len;

	if (s == NULL || c == NULL)
		return -EINVAL;
	memset(c, 0, sizeof(*c));
	slash = strchr(s, '/');
	if (copy_part(host, sizeof(host), s, slash != NULL ? (size_t)(slash - s) : strlen(s)) != 0)
		return -EINVAL;
	if (prof_parse_addr(host, &c->addr) != 0)
		return -EINVAL;
	len = prof_addr_bits(&c->addr);
	if (slash != NULL &&
		(prof_parse_uint(slash + 1, &len) != 0 || len > prof_addr_bits(&c->addr)))
		return -EINVAL;
	c->len = (uint8_t)len;
	return 0;
}

/* PORT or, with allow_range, LOW-HIGH; *end is what follows. */
static int
parse_ports(const char *s, struct prof_endpoint *ep, bool allow_range, const char **end)
{
	uint64_t lo, hi;

	if (prof_parse_u64(s, end, &lo) != 0 || lo == 0 || lo > UINT16_MAX)
		return -EINVAL;
	hi = lo;
	if (**end == '-') {
		if (!allow_range || prof_parse_u64(*end + 1, end, &hi) != 0 || hi < lo ||
			hi > UINT16_MAX)
			return -EINVAL;
	}
	ep->port = (uint16_t)lo;
	ep->port_hi = (uint16_t)hi;
	return 0;
}

int
prof_parse_endpoint(
	const char *s, struct prof_endpoint *ep, uint8_t default_proto, bool allow_range)
{
	char host[INET6_ADDRSTRLEN];
	const char *h, *colon, *end;

	if (s == NULL || ep == NULL)
		return -EINVAL;
	memset(ep, 0, sizeof(*ep));
	if (*s == '[') {
		h = s + 1;
		colon = strchr(h, ']');
		if (colon == NULL || colon[1] != ':')
			return -EINVAL;
	} else {
		h = s;
		colon = strchr(h, ':');
		if (colon == NULL)
			return -EINVAL;
	}
	if (copy_part(host, sizeof(host), h, (size_t)(colon - h)) != 0 ||
		prof_parse_addr(host, &ep->addr) != 0)
		return -EINVAL;
	/* IPv6 only in brackets, IPv4 never. */
	if ((ep->addr.family == AF_INET6) != (*s == '['))
		return -EINVAL;
	colon += *s == '[' ? 2 : 1;
	if (parse_ports(colon, ep, allow_range, &end) != 0)
		return -EINVAL;
	if (*end == '\0')
		ep->proto = default_proto;
	else if (strcmp(end, "/tcp") == 0)
		ep->proto = IPPROTO_TCP;
	else if (strcmp(end, "/udp") == 0)
		ep->proto = IPPROTO_UDP;
	else
		return -EINVAL;
	return 0;
}

static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "aa:bb:cc:dd:ee:ff", exactly. */
int
prof_parse_mac(const char *s, uint8_t mac[6])
{
	uint8_t m[6];
	unsigned int i;

	if (s == NULL || mac == NULL || strlen(s) != 17)
		return -EINVAL;
	for (i = 0; i < 6; i++) {
		int hi = hex_digit(s[3 * i]), lo = hex_digit(s[3 * i + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':'))
			return -EINVAL;
		m[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(mac, m, sizeof(m));
	return 0;
}

/* "ADDR:PORT[-HI]/proto", IPv6 in brackets, for messages. */
const char *
prof_endpoint_format(const struct prof_endpoint *ep, char *buf, size_t len)
{
	char a[PKT_ADDR_STRLEN], ports[16];
	const char *proto = ep->proto == IPPROTO_UDP ? "udp" : "tcp";

	pkt_addr_format(&ep->addr, a, sizeof(a));
	if (ep->port_hi != ep->port)
		snprintf(ports, sizeof(ports), "%u-%u", ep->port, ep->port_hi);
	else
		snprintf(ports, sizeof(ports), "%u", ep->port);
	if (ep->addr.family == AF_INET6)
		snprintf(buf, len, "[%s]:%s/%s", a, ports, proto);
	else
		snprintf(buf, len, "%s:%s/%s", a, ports, proto);
	return buf;
}

/* The largest unit that divides ms exactly: "1800s" -> "30m". */
const char *
prof_duration_format(uint64_t ms, char *buf, size_t len)
{
	static const struct prof_unit units[] = {
		{"h", 60 * 60 * 1000},
		{"m", 60 * 1000},
		{"s", 1000},
		{"ms", 1},
	};
	unsigned int i;

	for (i = 0; i < 3; i++)
		if (ms != 0 && ms % units[i].mult == 0)
			break;
	snprintf(buf, len, "%" PRIu64 "%s", ms / units[i].mult, units[i].suffix);
	return buf;
}

const char *
prof_sched_name(enum prof_sched s)
{
	switch (s) {
	case PROF_SCHED_RR:
		return "rr";
	case PROF_SCHED_WRR:
		return "wrr";
	case PROF_SCHED_LEAST_CONN:
		return "least_conn";
	case PROF_SCHED_WLC:
		return "wlc";
	case PROF_SCHED_SOURCE_HASH:
		return "source_hash";
	case PROF_SCHED_MAGLEV:
		return "maglev";
	}
	return "?";
}

const char *
prof_fwd_name(enum prof_fwd f)
{
	switch (f) {
	case PROF_FWD_NAT:
		return "nat";
	case PROF_FWD_FULLNAT:
		return "fullnat";
	case PROF_FWD_DSR:
		return "dsr";
	}
	return "?";
}

const char *
prof_persist_name(enum prof_persist p)
{
	switch (p) {
	case PROF_PERSIST_NONE:
		return "none";
	case PROF_PERSIST_SOURCE_IP:
		return "source_ip";
	case PROF_PERSIST_COOKIE:
		return "cookie";
	}
	return "?";
}

const char *
prof_hc_name(enum prof_hc h)
{
	switch (h) {
	case PROF_HC_NONE:
		return "none";
	case PROF_HC_TCP:
		return "tcp";
	case PROF_HC_HTTP:
		return "http";
	case PROF_HC_HTTPS:
		return "https";
	}
	return "?";
}

const char *
prof_port_mode_name(enum prof_port_mode m)
{
	switch (m) {
	case PROF_PORT_PMD:
		return "pmd";
	case PROF_PORT_XDP:
		return "xdp";
	}
	return "?";
}
