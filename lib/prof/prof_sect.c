/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Section types other than [virtual_service]: their keys, defaults and
 * checks.  [dataplane], [port NAME], [media_relay], [sip_edge], [control].
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <net/if.h>
#include <netinet/in.h>

#include "prof.h"
#include "prof_int.h"

#define DURATION_ANY .min = 1, .max = UINT64_MAX

void
prof_defaults(struct prof *p)
{
	struct prof_media_relay *r = &p->media_relay;

	p->dataplane.workers = 1;
	p->dataplane.flows = 1000000;
	p->dataplane.idle = PROF_IDLE_BACKOFF;
	snprintf(p->dataplane.control_socket, sizeof(p->dataplane.control_socket),
		"/run/edgeplane/dataplane.sock");
	snprintf(p->control.socket, sizeof(p->control.socket), "/run/edgeplane/control.sock");
	r->relay_ports.lo = 50000;
	r->relay_ports.hi = 59999;
	r->allocation_lifetime_ms = 600 * 1000;
	r->max_lifetime_ms = 3600 * 1000;
	r->permission_lifetime_ms = 300 * 1000;
	r->channel_lifetime_ms = 600 * 1000;
	r->auth = PROF_AUTH_SHARED_SECRET;
}

/* ---- [dataplane] ---- */

static const struct prof_enum_val idle_vals[] = {
	{"poll", PROF_IDLE_POLL},
	{"backoff", PROF_IDLE_BACKOFF},
	{NULL, 0},
};

static const struct prof_key dataplane_keys[] = {
	PROF_KEY("eal", prof_key_str, struct prof_dataplane, eal, .flags = 0),
	PROF_KEY("workers", prof_key_uint, struct prof_dataplane, workers, .min = 1,
		.max = PROF_MAX_WORKERS),
	PROF_KEY("flows", prof_key_count, struct prof_dataplane, flows, .min = 1024,
		.max = 1000000000),
	PROF_KEY("idle", prof_key_enum, struct prof_dataplane, idle, .vals = idle_vals),
	PROF_KEY("control_socket", prof_key_str, struct prof_dataplane, control_socket,
		.flags = PK_ABSPATH | PK_SOCKPATH),
};

static void *
dataplane_open(struct prof_ctx *ctx, const char *name)
{
	ctx->p->dataplane.line = ctx->lineno;
	return &ctx->p->dataplane;
}

static const struct prof_section sect_dataplane = {
	.type = "dataplane",
	.keys = dataplane_keys,
	.n_keys = sizeof(dataplane_keys) / sizeof(dataplane_keys[0]),
	.open = dataplane_open,
};

/* ---- [port NAME] ---- */

static const struct prof_enum_val mode_vals[] = {
	{"xdp", PROF_PORT_XDP},
	{"pmd", PROF_PORT_PMD},
	{NULL, 0},
};

/* "N" or "N-M". */
static int
port_key_queues(struct prof_ctx *ctx, const struct prof_key *k, void *obj, const char *val)
{
	struct prof_port *port = obj;
	uint64_t lo, hi;
	const char *end;

	if (prof_parse_u64(val, &end, &lo) != 0)
		goto bad;
	hi = lo;
	if (*end == '-' && prof_parse_u64(end + 1, &end, &hi) != 0)
		goto bad;
	if (*end != '\0' || lo > hi || hi > UINT16_MAX)
		goto bad;
	port->queues_set = true;
	port->queue_first = (uint16_t)lo;
	port->queue_last = (uint16_t)hi;
	return 0;
bad:
	return prof_key_err(ctx, "invalid queues '%s' (expected N or FIRST-LAST)", val);
}

/* Is a already an address of some port? */
static int
address_unique(struct prof_ctx *ctx, const struct pkt_addr *a, const char *val)
{
	unsigned int i, j;

	for (i = 0; i < ctx->p->n_ports; i++) {
		const struct prof_port *q = &ctx->p->ports[i];

		for (j = 0; j < q->n_addresses; j++)
			if (pkt_addr_eq(a, &q->addresses[j].addr))
				return prof_key_err(ctx,
					"duplicate address '%s' (already on [port %s], line %u)",
					val, q->name, q->line);
	}
	return 0;
}

static int
port_key_address(struct prof_ctx *ctx, const struct prof_key *k, void *obj, const char *val)
{
	struct prof_port *port = obj;
	struct prof_cidr c;

	if (port->n_addresses == PROF_MAX_ADDRESSES)
		return prof_key_err(ctx, "too many addresses (limit %d)", PROF_MAX_ADDRESSES);
	if (prof_parse_cidr(val, &c) != 0)
		return prof_key_err(ctx, "invalid address '%s' (expected ADDR[/LEN])", val);
	if (address_unique(ctx, &c.addr, val) != 0)
		return -EINVAL;
	port->addresses[port->n_addresses++] = c;
	return 0;
}

static int
port_key_gateway(struct prof_ctx *ctx, const struct prof_key *k, void *obj, const char *val)
{
	struct prof_port *port = obj;
	struct pkt_addr a;
	unsigned int v6;

	if (prof_parse_addr(val, &a) != 0)
		return prof_key_err(ctx, "invalid address '%s'", val);
	v6 = a.family == AF_INET6;
	if (ctx->gw_line[v6] != 0)
		return prof_key_err(ctx,
			"duplicate key: second IPv%c gateway (first set on line %u)",
			v6 ? '6' : '4', ctx->gw_line[v6]);
	ctx->gw_line[v6] = ctx->lineno;
	if (v6) {
		port->has_gateway6 = true;
		port->gateway6 = a;
	} else {
		port->has_gateway = true;
		port->gateway = a;
	}
	return 0;
}

/* "ADDR MAC" */
static int
port_key_neighbor(struct prof_ctx *ctx, const struct prof_key *k, void *obj, const char *val)
{
	struct prof_port *port = obj;
	struct prof_neighbor nb;
	char addr[PROF_LINE_MAX];
	const char *mac;
	size_t n = strcspn(val, " \t");
	unsigned int i;

	if (port->n_neighbors == PROF_MAX_NEIGHBORS)
		return prof_key_err(ctx, "too many neighbors (limit %d)", PROF_MAX_NEIGHBORS);
	if (n >= sizeof(addr))
		return prof_key_err(ctx, "value too long");
	memset(&nb, 0, sizeof(nb));
	memcpy(addr, val, n);
	addr[n] = '\0';
	mac = prof_skip_ws(val + n);
	if (prof_parse_addr(addr, &nb.addr) != 0 || prof_parse_mac(mac, nb.mac) != 0)
		return prof_key_err(
			ctx, "invalid neighbor '%s' (expected ADDR aa:bb:cc:dd:ee:ff)", val);
	if ((nb.mac[0] & 1) != 0 || memcmp(nb.mac, "\0\0\0\0\0\0", 6) == 0)
		return prof_key_err(ctx, "'%s' is not a unicast MAC address", mac);
	for (i = 0; i < port->n_neighbors; i++)
		if (pkt_addr_eq(&nb.addr, &port->neighbors[i].addr))
			return prof_key_err(ctx, "duplicate neighbor '%s' (first on line %u)", addr,
				port->neighbors[i].line);
	nb.line = ctx->lineno;
	port->neighbors[port->n_neighbors++] = nb;
	return 0;
}

static const struct prof_key port_keys[] = {
	PROF_KEY("mode", prof_key_enum, struct prof_port, mode, .vals = mode_vals,
		.flags = PK_REQUIRED),
	PROF_KEY("device", prof_key_str, struct prof_port, device,
		.flags = PK_REQUIRED | PK_NOSPACE),
	PROF_KEY_FN("queues", port_key_queues, .flags = 0),
	PROF_KEY_FN("address", port_key_address, .flags = PK_REPEAT),
	PROF_KEY_FN("gateway", port_key_gateway, .flags = PK_REPEAT),
	PROF_KEY_FN("neighbor", port_key_neighbor, .flags = PK_REPEAT),
};

static void *
port_open(struct prof_ctx *ctx, const char *name)
{
	struct prof *p = ctx->p;
	struct prof_port *port;

	if (p->n_ports == PROF_MAX_PORTS) {
		prof_err(ctx, ctx->lineno, "too many [port] sections (limit %d)", PROF_MAX_PORTS);
		return NULL;
	}
	port = &p->ports[p->n_ports++];
	snprintf(port->name, sizeof(port->name), "%s", name);
	port->line = ctx->lineno;
	return port;
}

static bool
on_link(const struct prof_port *port, const struct pkt_addr *gw)
{
	unsigned int i;

	for (i = 0; i < port->n_addresses; i++) {
		const struct prof_cidr *c = &port->addresses[i];

		if (c->addr.family == gw->family && pkt_addr_in_prefix(gw, &c->addr, c->len))
			return true;
	}
	return false;
}

static int
port_close(struct prof_ctx *ctx, void *obj)
{
	const struct prof_port *port = obj;
	char a[PKT_ADDR_STRLEN];

	if (port->mode == PROF_PORT_PMD && port->queues_set)
		return prof_sect_err(
			ctx, prof_key_line(ctx, "queues"), "queues: only valid with mode = xdp");
	if (port->mode == PROF_PORT_XDP && strlen(port->device) >= IF_NAMESIZE)
		return prof_sect_err(ctx, prof_key_line(ctx, "device"),
			"device: '%s' is too long for an interface name (max %d characters)",
			port->device, IF_NAMESIZE - 1);
	if (port->has_gateway && !on_link(port, &port->gateway))
		return prof_sect_err(ctx, ctx->gw_line[0],
			"gateway: %s is not inside any address prefix of the port",
			pkt_addr_format(&port->gateway, a, sizeof(a)));
	if (port->has_gateway6 && !on_link(port, &port->gateway6))
		return prof_sect_err(ctx, ctx->gw_line[1],
			"gateway: %s is not inside any address prefix of the port",
			pkt_addr_format(&port->gateway6, a, sizeof(a)));
	return 0;
}

static const struct prof_section sect_port = {
	.type = "port",
	.named = true,
	.keys = port_keys,
	.n_keys = sizeof(port_keys) / sizeof(port_keys[0]),
	.open = port_open,
	.close = port_close,
};

/* ---- [media_relay] ---- */

static const struct prof_enum_val auth_vals[] = {
	{"shared_secret", PROF_AUTH_SHARED_SECRET},
	{"long_term", PROF_AUTH_LONG_TERM},
	{NULL, 0},
};

static int
relay_key_address(struct prof_ctx *ctx, const struct prof_key *k, void *obj, const char *val)
{
	struct prof_media_relay *r = obj;
	struct pkt_addr a;
	unsigned int i;

	if (r->n_relay_addresses == PROF_MAX_LIST)
		return prof_key_err(ctx, "too many relay addresses (limit %d)", PROF_MAX_LIST);
	if (prof_parse_addr(val, &a) != 0)
		return prof_key_err(ctx, "invalid address '%s'", val);
	for (i = 0; i < r->n_relay_addresses; i++)
		if (pkt_addr_eq(&a, &r->relay_addresses[i]))
			return prof_key_err(ctx, "duplicate relay address '%s'", val);
	r->relay_addresses[r->n_relay_addresses++] = a;
	return 0;
}

/* "LO-HI" within 1024-65535. */
static int
relay_key_ports(struct prof_ctx *ctx, const struct prof_key *k, void *obj, const char *val)
{
	struct prof_media_relay *r = obj;
	uint64_t lo, hi;
	const char *end;

	if (prof_parse_u64(val, &end, &lo) != 0 || *end != '-' ||
		prof_parse_u64(end + 1, &end, &hi) != 0 || *end != '\0')
		return prof_key_err(ctx, "invalid port range '%s' (expected LOW-HIGH)", val);
	if (lo > hi || lo < 1024 || hi > UINT16_MAX)
		return prof_key_err(ctx, "'%s' must be a range within 1024-65535", val);
	r->relay_ports.lo = (uint16_t)lo;
	r->relay_ports.hi = (uint16_t)hi;
	return 0;
}

/* "NAME:PASSWORD" */
static int
relay_key_user(struct prof_ctx *ctx, const struct prof_key *k, void *obj, const char *val)
{
	struct prof_media_relay *r = obj;
	struct prof_user *u;
	const char *colon = strchr(val, ':');
	size_t n = colon != NULL ? (size_t)(colon - val) : 0;
	unsigned int i;

	if (r->n_users == PROF_MAX_LIST)
		return prof_key_err(ctx, "too many users (limit %d)", PROF_MAX_LIST);
	if (colon == NULL || n == 0 || colon[1] == '\0')
		return prof_key_err(ctx, "invalid user (expected NAME:PASSWORD)");
	u = &r->users[r->n_users];
	if (n >= sizeof(u->name) || strlen(colon + 1) >= sizeof(u->password))
		return prof_key_err(
			ctx, "name or password too long (max %zu characters)", sizeof(u->name) - 1);
	memset(u, 0, sizeof(*u));
	memcpy(u->name, val, n);
	memcpy(u->password, colon + 1, strlen(colon + 1));
	if (strpbrk(u->name, " \t") != NULL)
		return prof_key_err(ctx, "user name '%s' must not contain blanks", u->name);
	for (i = 0; i < r->n_users; i++)
		if (strcmp(r->users[i].name, u->name) == 0)
			return prof_key_err(ctx, "duplicate user '%s' (first on line %u)", u->name,
				r->users[i].line);
	u->line = ctx->lineno;
	r->n_users++;
	return 0;
}

static const struct prof_key relay_keys[] = {
	PROF_KEY("listen", prof_key_endpoint, struct prof_media_relay, listen, .min = IPPROTO_UDP,
		.flags = PK_REQUIRED),
	PROF_KEY_FN("relay_address", relay_key_address, .flags = PK_REPEAT),
	PROF_KEY_FN("relay_ports", relay_key_ports, .flags = 0),
	PROF_KEY("allocation_lifetime", prof_key_duration, struct prof_media_relay,
		allocation_lifetime_ms, DURATION_ANY),
	PROF_KEY("max_lifetime", prof_key_duration, struct prof_media_relay, max_lifetime_ms,
		DURATION_ANY),
	PROF_KEY("permission_lifetime", prof_key_duration, struct prof_media_relay,
		permission_lifetime_ms, DURATION_ANY),
	PROF_KEY("channel_lifetime", prof_key_duration, struct prof_media_relay,
		channel_lifetime_ms, DURATION_ANY),
	PROF_KEY("realm", prof_key_str, struct prof_media_relay, realm, .flags = PK_REQUIRED),
	PROF_KEY("auth", prof_key_enum, struct prof_media_relay, auth, .vals = auth_vals),
	PROF_KEY("shared_secret_file", prof_key_str, struct prof_media_relay, shared_secret_file,
		.flags = 0),
	PROF_KEY_FN("user", relay_key_user, .flags = PK_REPEAT),
	PROF_KEY("users_file", prof_key_str, struct prof_media_relay, users_file, .flags = 0),
	PROF_KEY_LIST("allowed_peers", prof_key_cidr_list, struct prof_media_relay, allowed_peers,
		n_allowed_peers, .flags = 0),
};

static void *
relay_open(struct prof_ctx *ctx, const char *name)
{
	ctx->p->media_relay.present = true;
	ctx->p->media_relay.line = ctx->lineno;
	return &ctx->p->media_relay;
}

int
prof_relay_overlap(const struct prof_media_relay *r, const struct prof_service *s)
{
	unsigned int i;

	if (s->listen.proto != IPPROTO_UDP || s->listen.port > r->relay_ports.hi ||
		s->listen.port_hi < r->relay_ports.lo)
		return -1;
	for (i = 0; i < r->n_relay_addresses; i++)
		if (pkt_addr_eq(&r->relay_addresses[i], &s->listen.addr))
			return (int)i;
	return -1;
}

static int
relay_check_auth(struct prof_ctx *ctx, const struct prof_media_relay *r)
{
	if (r->auth == PROF_AUTH_SHARED_SECRET) {
		if (r->shared_secret_file[0] == '\0')
			return prof_sect_err(ctx, prof_key_or_header(ctx, "auth"),
				"auth = shared_secret needs shared_secret_file");
		if (r->n_users > 0 || r->users_file[0] != '\0')
			return prof_sect_err(ctx,
				r->n_users > 0 ? r->users[0].line
					       : prof_key_line(ctx, "users_file"),
				"%s: only valid with auth = long_term",
				r->n_users > 0 ? "user" : "users_file");
		return 0;
	}
	if (r->n_users == 0 && r->users_file[0] == '\0')
		return prof_sect_err(ctx, prof_key_or_header(ctx, "auth"),
			"auth = long_term needs at least one user or a users_file");
	if (r->shared_secret_file[0] != '\0')
		return prof_sect_err(ctx, prof_key_line(ctx, "shared_secret_file"),
			"shared_secret_file: only valid with auth = shared_secret");
	return 0;
}

static int
relay_check_ports(struct prof_ctx *ctx, const struct prof_media_relay *r)
{
	char a[PKT_ADDR_STRLEN], ep[PKT_ADDR_STRLEN + 24];
	unsigned int i;
	int idx;

	for (i = 0; i < r->n_relay_addresses; i++)
		if (pkt_addr_eq(&r->relay_addresses[i], &r->listen.addr) &&
			r->listen.proto == IPPROTO_UDP && r->listen.port >= r->relay_ports.lo &&
			r->listen.port <= r->relay_ports.hi)
			return prof_sect_err(ctx, prof_key_or_header(ctx, "relay_ports"),
				"relay_ports: %u-%u includes the listen port %u", r->relay_ports.lo,
				r->relay_ports.hi, r->listen.port);
	for (i = 0; i < ctx->p->n_services; i++) {
		const struct prof_service *s = &ctx->p->services[i];

		idx = prof_relay_overlap(r, s);
		if (idx < 0)
			continue;
		return prof_sect_err(ctx, prof_key_or_header(ctx, "relay_ports"),
			"relay_ports: overlapping relay range %u-%u on %s with [virtual_service "
			"%s] "
			"listen %s (line %u)",
			r->relay_ports.lo, r->relay_ports.hi,
			pkt_addr_format(&r->relay_addresses[idx], a, sizeof(a)), s->name,
			prof_endpoint_format(&s->listen, ep, sizeof(ep)), s->line);
	}
	return 0;
}

static int
relay_close(struct prof_ctx *ctx, void *obj)
{
	const struct prof_media_relay *r = obj;
	char a[24], b[24];

	if (r->n_relay_addresses == 0)
		return prof_sect_err(ctx, ctx->sect_line, "missing required key 'relay_address'");
	if (r->max_lifetime_ms < r->allocation_lifetime_ms)
		return prof_sect_err(ctx,
			prof_key_line(ctx, "max_lifetime") != 0
				? prof_key_line(ctx, "max_lifetime")
				: prof_key_or_header(ctx, "allocation_lifetime"),
			"max_lifetime (%s) is shorter than allocation_lifetime (%s)",
			prof_duration_format(r->max_lifetime_ms, a, sizeof(a)),
			prof_duration_format(r->allocation_lifetime_ms, b, sizeof(b)));
	if (relay_check_auth(ctx, r) != 0)
		return -EINVAL;
	return relay_check_ports(ctx, r);
}

static const struct prof_section sect_relay = {
	.type = "media_relay",
	.keys = relay_keys,
	.n_keys = sizeof(relay_keys) / sizeof(relay_keys[0]),
	.open = relay_open,
	.close = relay_close,
};

/* ---- [sip_edge] ---- */

static const struct prof_key sip_keys[] = {
	PROF_KEY("listen", prof_key_endpoint, struct prof_sip_edge, listen, .min = IPPROTO_TCP,
		.flags = PK_REQUIRED),
	PROF_KEY_LIST("certificate", prof_key_str_add, struct prof_sip_edge, certificates,
		n_certificates, .flags = PK_REPEAT | PK_REQUIRED),
	PROF_KEY("private_key", prof_key_str, struct prof_sip_edge, private_key,
		.flags = PK_REQUIRED),
	PROF_KEY_LIST("next_hop", prof_key_endpoint_list, struct prof_sip_edge, next_hops,
		n_next_hops, .min = IPPROTO_TCP, .flags = PK_REQUIRED),
	PROF_KEY("next_hop_ca", prof_key_str, struct prof_sip_edge, next_hop_ca, .flags = 0),
	PROF_KEY_LIST("allowed_domains", prof_key_str_list, struct prof_sip_edge, allowed_domains,
		n_allowed_domains, .flags = 0),
};

static void *
sip_open(struct prof_ctx *ctx, const char *name)
{
	ctx->p->sip_edge.present = true;
	ctx->p->sip_edge.line = ctx->lineno;
	return &ctx->p->sip_edge;
}

static const struct prof_section sect_sip = {
	.type = "sip_edge",
	.keys = sip_keys,
	.n_keys = sizeof(sip_keys) / sizeof(sip_keys[0]),
	.open = sip_open,
};

/* ---- [control] ---- */

static int
control_key_metrics(struct prof_ctx *ctx, const struct prof_key *k, void *obj, const char *val)
{
	struct prof_control *c = obj;

	if (prof_parse_endpoint(val, &c->metrics, IPPROTO_TCP, false) != 0 ||
		c->metrics.proto != IPPROTO_TCP)
		return prof_key_err(ctx,
			"invalid endpoint '%s' (expected ADDR:PORT, IPv6 as [ADDR]:PORT)", val);
	c->has_metrics = true;
	return 0;
}

static const struct prof_key control_keys[] = {
	PROF_KEY("socket", prof_key_str, struct prof_control, socket,
		.flags = PK_ABSPATH | PK_SOCKPATH),
	PROF_KEY_FN("metrics", control_key_metrics, .flags = 0),
};

static void *
control_open(struct prof_ctx *ctx, const char *name)
{
	ctx->p->control.present = true;
	ctx->p->control.line = ctx->lineno;
	return &ctx->p->control;
}

static const struct prof_section sect_control = {
	.type = "control",
	.keys = control_keys,
	.n_keys = sizeof(control_keys) / sizeof(control_keys[0]),
	.open = control_open,
};

/* ---- all of them ---- */

const struct prof_section *
prof_section_find(const char *type)
{
	static const struct prof_section *const all[] = {
		&sect_dataplane,
		&sect_port,
		&prof_sect_service,
		&sect_relay,
		&sect_sip,
		&sect_control,
	};
	unsigned int i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (strcmp(all[i]->type, type) == 0)
			return all[i];
	return NULL;
}
