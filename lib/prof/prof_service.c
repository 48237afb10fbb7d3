/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * [virtual_service NAME]: an L4 load-balanced service, its keys, its real
 * servers and the checks across keys and across services.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <netinet/in.h>

#include "prof.h"
#include "prof_int.h"

#define DURATION_ANY .min = 1, .max = UINT64_MAX

static const struct prof_enum_val sched_vals[] = {
	{"rr", PROF_SCHED_RR},
	{"wrr", PROF_SCHED_WRR},
	{"least_conn", PROF_SCHED_LEAST_CONN},
	{"wlc", PROF_SCHED_WLC},
	{"source_hash", PROF_SCHED_SOURCE_HASH},
	{"maglev", PROF_SCHED_MAGLEV},
	{NULL, 0},
};

static const struct prof_enum_val persist_vals[] = {
	{"none", PROF_PERSIST_NONE},
	{"source_ip", PROF_PERSIST_SOURCE_IP},
	{"cookie", PROF_PERSIST_COOKIE},
	{NULL, 0},
};

static const struct prof_enum_val fwd_vals[] = {
	{"nat", PROF_FWD_NAT},
	{"fullnat", PROF_FWD_FULLNAT},
	{"dsr", PROF_FWD_DSR},
	{NULL, 0},
};

static const struct prof_enum_val tls_vals[] = {
	{"passthrough", PROF_TLS_PASSTHROUGH},
	{"reencrypt", PROF_TLS_REENCRYPT},
	{NULL, 0},
};

static const struct prof_enum_val hc_vals[] = {
	{"none", PROF_HC_NONE},
	{"tcp", PROF_HC_TCP},
	{"http", PROF_HC_HTTP},
	{"https", PROF_HC_HTTPS},
	{NULL, 0},
};

/* "/24" or "24"; checked against the VIP's family when the section closes. */
static int
svc_key_netmask(struct prof_ctx *ctx, const struct prof_key *k, void *obj, const char *val)
{
	struct prof_service *s = obj;
	uint64_t len;

	if (prof_parse_uint(val + (*val == '/'), &len) != 0 || len > 128)
		return prof_key_err(ctx, "invalid prefix length '%s' (expected /LEN)", val);
	s->persistence_netmask = (uint8_t)len;
	return 0;
}

/* "A-B", both of one family, A <= B. */
static int
svc_key_snat_pool(struct prof_ctx *ctx, const struct prof_key *k, void *obj, const char *val)
{
	struct prof_service *s = obj;
	char lo[PROF_LINE_MAX];
	const char *dash = strchr(val, '-');
	size_t n = dash != NULL ? (size_t)(dash - val) : 0;

	if (dash == NULL || n >= sizeof(lo))
		goto bad;
	memcpy(lo, val, n);
	lo[n] = '\0';
	if (prof_parse_addr(lo, &s->snat_lo) != 0 || prof_parse_addr(dash + 1, &s->snat_hi) != 0)
		goto bad;
	if (s->snat_lo.family != s->snat_hi.family)
		return prof_key_err(ctx, "'%s' mixes IPv4 and IPv6", val);
	if (prof_addr_cmp(&s->snat_lo, &s->snat_hi) > 0)
		return prof_key_err(ctx, "'%s': first address is above the last", val);
	s->has_snat_pool = true;
	return 0;
bad:
	return prof_key_err(ctx, "invalid address range '%s' (expected FIRST-LAST)", val);
}

static int
svc_key_url(struct prof_ctx *ctx, const struct prof_key *k, void *obj, const char *val)
{
	if (val[0] != '/')
		return prof_key_err(ctx, "'%s' must start with '/'", val);
	return prof_key_str(ctx, k, obj, val);
}

/*
 * "ADDR", "ADDR:PORT", "[ADDR6]", "[ADDR6]:PORT" or a bare IPv6 address.
 * An omitted port is left 0 and resolved when the section closes.
 */
static int
rs_parse_target(const char *tok, struct prof_real_server *rs)
{
	char host[PROF_LINE_MAX];
	const char *h = tok, *end, *colon;
	uint64_t port = 0;
	size_t n;

	if (*tok == '[') {
		h = tok + 1;
		end = strchr(h, ']');
		if (end == NULL || (end[1] != '\0' && end[1] != ':'))
			return -EINVAL;
		colon = end[1] == ':' ? end + 1 : NULL;
	} else if (prof_parse_addr(tok, &rs->addr) == 0) {
		return 0; /* bare address, IPv4 or IPv6 */
	} else {
		end = strchr(h, ':');
		if (end == NULL)
			return -EINVAL;
		colon = end;
	}
	n = (size_t)(end - h);
	if (n >= sizeof(host))
		return -EINVAL;
	memcpy(host, h, n);
	host[n] = '\0';
	if (prof_parse_addr(host, &rs->addr) != 0 || (rs->addr.family == AF_INET6) != (*tok == '['))
		return -EINVAL;
	if (colon != NULL &&
		(prof_parse_uint(colon + 1, &port) != 0 || port == 0 || port > UINT16_MAX))
		return -EINVAL;
	rs->port = (uint16_t)port;
	return 0;
}

/* Space-separated options after the address: weight=N. */
static int
rs_parse_options(struct prof_ctx *ctx, char *opts, struct prof_real_server *rs)
{
	bool have_weight = false;
	char *tok, *save = NULL;
	uint64_t w;

	for (tok = strtok_r(opts, " \t", &save); tok != NULL; tok = strtok_r(NULL, " \t", &save)) {
		if (strncmp(tok, "weight=", 7) != 0)
			return prof_key_err(ctx, "unknown option '%s' (expected weight=N)", tok);
		if (have_weight)
			return prof_key_err(ctx, "weight given twice");
		if (prof_parse_uint(tok + 7, &w) != 0)
			return prof_key_err(ctx, "invalid weight '%s'", tok + 7);
		if (w < 1 || w > PROF_WEIGHT_MAX)
			return prof_key_err(
				ctx, "weight '%s' out of range (1..%d)", tok + 7, PROF_WEIGHT_MAX);
		rs->weight = (uint32_t)w;
		have_weight = true;
	}
	return 0;
}

/* "ADDR[:PORT] [weight=N]" */
static int
svc_key_real_server(struct prof_ctx *ctx, const struct prof_key *k, void *obj, const char *val)
{
	struct prof_service *s = obj;
	struct prof_real_server rs;
	char buf[PROF_LINE_MAX];
	size_t n = strcspn(val, " \t");

	if (s->n_real_servers == PROF_MAX_REAL_SERVERS)
		return prof_key_err(ctx, "too many real servers (limit %d)", PROF_MAX_REAL_SERVERS);
	if (strlen(val) >= sizeof(buf))
		return prof_key_err(ctx, "value too long");
	memcpy(buf, val, strlen(val) + 1);
	buf[n] = '\0';
	memset(&rs, 0, sizeof(rs));
	rs.weight = 1;
	rs.line = ctx->lineno;
	if (rs_parse_target(buf, &rs) != 0)
		return prof_key_err(ctx,
			"invalid real server '%s' (expected ADDR[:PORT], IPv6 as [ADDR]:PORT)",
			buf);
	if (val[n] != '\0' && rs_parse_options(ctx, buf + n + 1, &rs) != 0)
		return -EINVAL;
	s->real_servers[s->n_real_servers++] = rs;
	return 0;
}

static const struct prof_key svc_keys[] = {
	PROF_KEY("listen", prof_key_endpoint, struct prof_service, listen, .min = IPPROTO_TCP,
		.max = 1, .flags = PK_REQUIRED),
	PROF_KEY("scheduler", prof_key_enum, struct prof_service, scheduler, .vals = sched_vals),
	PROF_KEY("persistence", prof_key_enum, struct prof_service, persistence,
		.vals = persist_vals),
	PROF_KEY("persistence_timeout", prof_key_duration, struct prof_service,
		persistence_timeout_ms, DURATION_ANY),
	PROF_KEY_FN("persistence_netmask", svc_key_netmask, .flags = 0),
	PROF_KEY("idle_timeout", prof_key_duration, struct prof_service, idle_timeout_ms,
		DURATION_ANY),
	PROF_KEY("forwarding", prof_key_enum, struct prof_service, forwarding, .vals = fwd_vals),
	PROF_KEY_FN("snat_pool", svc_key_snat_pool, .flags = 0),
	PROF_KEY("tcp_syn_timeout", prof_key_duration, struct prof_service, tcp_syn_timeout_ms,
		DURATION_ANY),
	PROF_KEY("tcp_fin_timeout", prof_key_duration, struct prof_service, tcp_fin_timeout_ms,
		DURATION_ANY),
	PROF_KEY("udp_timeout", prof_key_duration, struct prof_service, udp_timeout_ms,
		DURATION_ANY),
	PROF_KEY("tls", prof_key_enum, struct prof_service, tls, .vals = tls_vals),
	PROF_KEY_FN("real_server", svc_key_real_server, .flags = PK_REPEAT),
	PROF_KEY("health_check", prof_key_enum, struct prof_service, health_check, .vals = hc_vals),
	PROF_KEY("health_check_port", prof_key_uint, struct prof_service, health_check_port,
		.min = 1, .max = UINT16_MAX),
	PROF_KEY("health_check_url", svc_key_url, struct prof_service, health_check_url,
		.flags = PK_NOSPACE),
	PROF_KEY("health_check_interval", prof_key_duration, struct prof_service,
		health_check_interval_ms, DURATION_ANY),
	PROF_KEY("health_check_timeout", prof_key_duration, struct prof_service,
		health_check_timeout_ms, DURATION_ANY),
	PROF_KEY("health_check_rise", prof_key_uint, struct prof_service, health_check_rise,
		.min = 1, .max = 100),
	PROF_KEY("health_check_fall", prof_key_uint, struct prof_service, health_check_fall,
		.min = 1, .max = 100),
	PROF_KEY("health_check_sni", prof_key_str, struct prof_service, health_check_sni,
		.flags = PK_NOSPACE),
	PROF_KEY_LIST("allowed_hosts", prof_key_str_list, struct prof_service, allowed_hosts,
		n_allowed_hosts, .flags = 0),
	PROF_KEY_LIST("allowed_paths", prof_key_str_list, struct prof_service, allowed_paths,
		n_allowed_paths, .flags = 0),
};

_Static_assert(sizeof(svc_keys) / sizeof(svc_keys[0]) <= PROF_KEYS_MAX,
	"more keys than struct prof_ctx tracks");

static void *
svc_open(struct prof_ctx *ctx, const char *name)
{
	struct prof *p = ctx->p;
	struct prof_service *s;

	if (p->n_services == PROF_MAX_SERVICES) {
		prof_err(ctx, ctx->lineno, "too many [virtual_service] sections (limit %d)",
			PROF_MAX_SERVICES);
		return NULL;
	}
	s = &p->services[p->n_services++];
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->persistence_timeout_ms = 20 * 60 * 1000;
	s->idle_timeout_ms = 1800 * 1000;
	s->tcp_syn_timeout_ms = 30 * 1000;
	s->tcp_fin_timeout_ms = 60 * 1000;
	s->udp_timeout_ms = 300 * 1000;
	snprintf(s->health_check_url, sizeof(s->health_check_url), "/");
	s->health_check_interval_ms = 5 * 1000;
	s->health_check_timeout_ms = 2 * 1000;
	s->health_check_rise = 2;
	s->health_check_fall = 3;
	s->line = ctx->lineno;
	return s;
}

/* Keys that depend on each other. */
static int
svc_check_keys(struct prof_ctx *ctx, struct prof_service *s)
{
	unsigned int bits = prof_addr_bits(&s->listen.addr);
	char a[24], b[24];

	if (prof_key_line(ctx, "persistence_netmask") == 0)
		s->persistence_netmask = (uint8_t)bits;
	else if (s->persistence_netmask > bits)
		return prof_sect_err(ctx, prof_key_line(ctx, "persistence_netmask"),
			"persistence_netmask: /%u is longer than an IPv%c address",
			s->persistence_netmask, bits == 32 ? '4' : '6');
	if (s->persistence == PROF_PERSIST_COOKIE && s->tls != PROF_TLS_REENCRYPT)
		return prof_sect_err(ctx, prof_key_line(ctx, "persistence"),
			"persistence: cookie needs tls = reencrypt");
	if (s->forwarding == PROF_FWD_FULLNAT && !s->has_snat_pool)
		return prof_sect_err(ctx, prof_key_line(ctx, "forwarding"),
			"forwarding: fullnat needs a snat_pool");
	if (s->forwarding != PROF_FWD_FULLNAT && s->has_snat_pool)
		return prof_sect_err(ctx, prof_key_line(ctx, "snat_pool"),
			"snat_pool: only valid with forwarding = fullnat");
	if (s->has_snat_pool && s->snat_lo.family != s->listen.addr.family)
		return prof_sect_err(ctx, prof_key_line(ctx, "snat_pool"),
			"snat_pool: not the same address family as listen");
	if (s->health_check_timeout_ms >= s->health_check_interval_ms)
		return prof_sect_err(ctx,
			prof_key_line(ctx, "health_check_timeout") != 0
				? prof_key_line(ctx, "health_check_timeout")
				: prof_key_or_header(ctx, "health_check_interval"),
			"health_check_timeout (%s) must be shorter than health_check_interval (%s)",
			prof_duration_format(s->health_check_timeout_ms, a, sizeof(a)),
			prof_duration_format(s->health_check_interval_ms, b, sizeof(b)));
	return 0;
}

/* Families, omitted ports, DSR and duplicates. */
static int
svc_check_servers(struct prof_ctx *ctx, struct prof_service *s)
{
	const struct prof_endpoint *l = &s->listen;
	bool range = l->port != l->port_hi;
	char a[PKT_ADDR_STRLEN];
	unsigned int i, j;

	for (i = 0; i < s->n_real_servers; i++) {
		struct prof_real_server *rs = &s->real_servers[i];

		pkt_addr_format(&rs->addr, a, sizeof(a));
		if (rs->addr.family != l->addr.family)
			return prof_sect_err(ctx, rs->line,
				"real_server: %s is not the same address family as listen", a);
		if (rs->port == 0 && !range)
			rs->port = l->port;
		if (s->forwarding == PROF_FWD_DSR && rs->port != 0 &&
			(range || rs->port != l->port))
			return prof_sect_err(ctx, rs->line,
				"real_server: port %u differs from the listen port; "
				"dsr cannot translate ports",
				rs->port);
		for (j = 0; j < i; j++)
			if (pkt_addr_eq(&rs->addr, &s->real_servers[j].addr) &&
				rs->port == s->real_servers[j].port)
				return prof_sect_err(ctx, rs->line,
					"real_server: duplicate %s port %u (first on line %u)", a,
					rs->port, s->real_servers[j].line);
	}
	return 0;
}

/* Against earlier services and an earlier [media_relay]. */
static int
svc_check_overlaps(struct prof_ctx *ctx, const struct prof_service *s)
{
	const struct prof_media_relay *r = &ctx->p->media_relay;
	char ep[PKT_ADDR_STRLEN + 24], oep[PKT_ADDR_STRLEN + 24], a[PKT_ADDR_STRLEN];
	unsigned int i;
	int idx;

	for (i = 0; i + 1 < ctx->p->n_services; i++) {
		const struct prof_service *o = &ctx->p->services[i];

		if (o->listen.proto != s->listen.proto ||
			!pkt_addr_eq(&o->listen.addr, &s->listen.addr) ||
			o->listen.port > s->listen.port_hi || o->listen.port_hi < s->listen.port)
			continue;
		return prof_sect_err(ctx, prof_key_line(ctx, "listen"),
			"listen: %s overlaps [virtual_service %s] %s (line %u)",
			prof_endpoint_format(&s->listen, ep, sizeof(ep)), o->name,
			prof_endpoint_format(&o->listen, oep, sizeof(oep)), o->line);
	}
	if (!r->present)
		return 0;
	idx = prof_relay_overlap(r, s);
	if (idx >= 0)
		return prof_sect_err(ctx, prof_key_line(ctx, "listen"),
			"listen: overlapping relay range %u-%u on %s of [media_relay] (line %u)",
			r->relay_ports.lo, r->relay_ports.hi,
			pkt_addr_format(&r->relay_addresses[idx], a, sizeof(a)), r->line);
	return 0;
}

static int
svc_close(struct prof_ctx *ctx, void *obj)
{
	struct prof_service *s = obj;

	if (svc_check_keys(ctx, s) != 0 || svc_check_servers(ctx, s) != 0)
		return -EINVAL;
	return svc_check_overlaps(ctx, s);
}

const struct prof_section prof_sect_service = {
	.type = "virtual_service",
	.named = true,
	.keys = svc_keys,
	.n_keys = sizeof(svc_keys) / sizeof(svc_keys[0]),
	.open = svc_open,
	.close = svc_close,
};
