/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The load balancer's configuration on the main lcore, and the table the
 * workers read.
 *
 * The profile's virtual services become struct dp_lb_cfg_service entries
 * that also hold what changes at run time (a real server's admin state,
 * health and weight).  dp_lb_publish() turns the whole configuration into
 * immutable service objects with their schedulers, indexes the VIPs, and
 * publishes the new table with one atomic store; the old one is freed
 * after every worker has passed a quiescent point.  Rebuilding everything
 * on each change keeps one code path and costs a few milliseconds (the
 * Maglev tables), which an operator's command or a health transition can
 * afford; established connections are untouched because they refer to
 * services and real servers by stable ids.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include "dp.h"
#include "dp_lb.h"
#include "dp_xdp.h"

const char *
dp_lb_svc_drop_name(unsigned int r)
{
	static const char *const names[] = {
#define DP_LB_X_NAME(e, s) s,
		DP_LB_SVC_DROPS(DP_LB_X_NAME)
#undef DP_LB_X_NAME
	};

	return r < RTE_DIM(names) ? names[r] : "?";
}

const char *
dp_lb_state_name(uint8_t state)
{
	static const char *const names[] = {"up", "down", "disabled", "draining"};

	return state < RTE_DIM(names) ? names[state] : "?";
}

uint32_t
dp_lb_now(const struct dp *dp)
{
	return dp_lb_clock(dp->lb, rte_get_tsc_cycles());
}

uint8_t
dp_lb_server_state(const struct dp_lb_cfg_server *s)
{
	/* The operator's word wins over health: a disabled server that
	 * fails its checks is still shown (and kept) disabled. */
	if (s->admin != LB_BACKEND_UP)
		return s->admin;
	return s->down ? LB_BACKEND_DOWN : LB_BACKEND_UP;
}

/* The port whose on-link prefixes contain a, or -1. */
static int
port_on_link(const struct dp *dp, const struct pkt_addr *a)
{
	unsigned int i, k;

	for (i = 0; i < dp->n_ports; i++) {
		const struct prof_port *pp = dp->ports[i].prof;

		for (k = 0; k < pp->n_addresses; k++)
			if (pp->addresses[k].addr.family == a->family &&
				pkt_addr_in_prefix(a, &pp->addresses[k].addr, pp->addresses[k].len))
				return (int)i;
	}
	return -1;
}

/* The port for an address the dataplane owns (VIP, SNAT): on-link, or the only port. */
static int
port_for_owned(const struct dp *dp, const struct pkt_addr *a)
{
	int p = port_on_link(dp, a);

	if (p < 0 && dp->n_ports == 1)
		p = 0;
	return p;
}

/* How to reach a real server: an on-link port, else a port with a gateway. */
static int
route_server(const struct dp *dp, const struct pkt_addr *a, uint8_t *out, struct pkt_addr *nh)
{
	int p = port_on_link(dp, a);
	unsigned int i;

	if (p >= 0) {
		*out = (uint8_t)p;
		*nh = *a;
		return 0;
	}
	for (i = 0; i < dp->n_ports; i++) {
		const struct prof_port *pp = dp->ports[i].prof;

		if (a->family == AF_INET && pp->has_gateway) {
			*out = (uint8_t)i;
			*nh = pp->gateway;
			return 0;
		}
		if (a->family == AF_INET6 && pp->has_gateway6) {
			*out = (uint8_t)i;
			*nh = pp->gateway6;
			return 0;
		}
	}
	return -ENETUNREACH;
}

static void
snat_nth(const struct dp_lb_service *s, uint32_t i, struct pkt_addr *a)
{
	*a = s->snat_lo;
	if (a->family == AF_INET) {
		a->v4 = rte_cpu_to_be_32(rte_be_to_cpu_32(a->v4) + i);
	} else {
		uint32_t lo;

		memcpy(&lo, a->v6 + 12, 4);
		lo = rte_cpu_to_be_32(rte_be_to_cpu_32(lo) + i);
		memcpy(a->v6 + 12, &lo, 4);
	}
}

/* Number of SNAT addresses in [lo, hi] (the loader checked lo <= hi, same family). */
static uint32_t
snat_count(const struct pkt_addr *lo, const struct pkt_addr *hi)
{
	uint32_t a, b;

	if (lo->family == AF_INET) {
		a = rte_be_to_cpu_32(lo->v4);
		b = rte_be_to_cpu_32(hi->v4);
	} else {
		memcpy(&a, lo->v6 + 12, 4);
		memcpy(&b, hi->v6 + 12, 4);
		a = rte_be_to_cpu_32(a);
		b = rte_be_to_cpu_32(b);
		if (memcmp(lo->v6, hi->v6, 12) != 0)
			return 0;
	}
	return b >= a ? b - a + 1 : 0;
}

static void
table_free(struct dp_lb_table *t)
{
	unsigned int i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n_services; i++) {
		if (t->svc[i] == NULL)
			continue;
		lb_sched_free((struct lb_sched *)(uintptr_t)t->svc[i]->sched);
		rte_free(t->svc[i]);
	}
	rte_free(t);
}

static struct dp_lb_service *
service_build(const struct dp *dp, unsigned int id, const struct dp_lb_cfg_service *c)
{
	const struct prof_service *ps = &c->ps;
	struct lb_backend be[DP_LB_MAX_SERVERS];
	struct dp_lb_service *s;
	struct lb_sched *sched = NULL;
	unsigned int i;
	int ret;

	s = rte_zmalloc("ep_lb_svc", sizeof(*s) + c->n_servers * sizeof(s->servers[0]),
		RTE_CACHE_LINE_SIZE);
	if (s == NULL)
		return NULL;
	snprintf(s->name, sizeof(s->name), "%s", ps->name);
	s->id = (uint16_t)id;
	s->incarnation = c->incarnation;
	s->family = ps->listen.addr.family;
	s->proto = ps->listen.proto;
	s->fwd = (uint8_t)ps->forwarding;
	s->persist = (uint8_t)ps->persistence;
	s->persist_len = ps->persistence_netmask;
	s->vip = ps->listen.addr;
	s->port_lo = ps->listen.port;
	s->port_hi = ps->listen.port_hi;
	s->t_syn = (uint32_t)RTE_MIN(ps->tcp_syn_timeout_ms, (uint64_t)INT32_MAX);
	s->t_est = (uint32_t)RTE_MIN(ps->idle_timeout_ms, (uint64_t)INT32_MAX);
	s->t_fin = (uint32_t)RTE_MIN(ps->tcp_fin_timeout_ms, (uint64_t)INT32_MAX);
	s->t_close = RTE_MIN(s->t_fin, (uint32_t)DP_LB_CLOSE_MS);
	s->t_udp = (uint32_t)RTE_MIN(ps->udp_timeout_ms, (uint64_t)INT32_MAX);
	s->t_persist = (uint32_t)RTE_MIN(ps->persistence_timeout_ms, (uint64_t)INT32_MAX);
	s->client_port = (uint8_t)port_for_owned(dp, &s->vip);
	{
		const struct prof_port *cp = dp->ports[s->client_port].prof;

		if (s->family == AF_INET && cp->has_gateway) {
			s->client_gw = cp->gateway;
			s->has_client_gw = true;
		} else if (s->family == AF_INET6 && cp->has_gateway6) {
			s->client_gw = cp->gateway6;
			s->has_client_gw = true;
		}
	}
	if (ps->forwarding == PROF_FWD_FULLNAT) {
		s->snat_lo = ps->snat_lo;
		s->n_snat = snat_count(&ps->snat_lo, &ps->snat_hi);
	}
	s->n_servers = c->n_servers;
	for (i = 0; i < c->n_servers; i++) {
		const struct dp_lb_cfg_server *cs = &c->srv[i];
		struct dp_lb_server *sv = &s->servers[i];
		uint8_t idb[18];

		sv->addr = cs->rs.addr;
		sv->port = rte_cpu_to_be_16(cs->rs.port);
		sv->slot = cs->slot;
		sv->weight = cs->rs.weight;
		sv->removed = cs->removed;
		sv->state = cs->removed ? LB_BACKEND_DOWN : dp_lb_server_state(cs);
		if (route_server(dp, &sv->addr, &sv->out_port, &sv->nh) != 0)
			sv->state = LB_BACKEND_DOWN; /* checked at load; only a hole gets here */
		memcpy(idb,
			sv->addr.family == AF_INET ? (const uint8_t *)&sv->addr.v4 : sv->addr.v6,
			16);
		memcpy(idb + 16, &sv->port, 2);
		be[i].key = lb_backend_key(idb, sizeof(idb));
		be[i].weight = sv->weight;
		be[i].state = sv->state;
	}
	ret = lb_sched_build((enum lb_sched_kind)ps->scheduler, be, c->n_servers, &sched);
	if (ret < 0) {
		rte_free(s);
		return NULL;
	}
	s->sched = sched;
	return s;
}

static int
vip_index(struct dp_lb_table *t)
{
	unsigned int i, k;

	/* Listeners grouped by (family, proto, VIP): services are few, so a
	 * quadratic grouping at build time is fine. */
	for (i = 0; i < t->n_services; i++) {
		const struct dp_lb_service *s = t->svc[i];
		struct dp_lb_vip *v = NULL;
		uint32_t h;

		if (s == NULL)
			continue;
		h = s->family == AF_INET ? rte_hash_crc_4byte(s->vip.v4, s->proto)
					 : rte_hash_crc(s->vip.v6, 16, s->proto);
		for (k = 0; k < DP_LB_VIP_BUCKETS; k++) {
			v = &t->vips[(h + k) & (DP_LB_VIP_BUCKETS - 1)];
			if (v->addr.family == 0 ||
				(v->proto == s->proto && pkt_addr_eq(&v->addr, &s->vip)))
				break;
		}
		if (v->addr.family == 0) {
			v->addr = s->vip;
			v->proto = s->proto;
		}
		v->n++;
	}
	/* Lay the groups out contiguously, then fill them. */
	for (i = 0, k = 0; i < DP_LB_VIP_BUCKETS; i++) {
		t->vips[i].first = (uint16_t)k;
		k += t->vips[i].n;
		t->vips[i].n = 0;
	}
	for (i = 0; i < t->n_services; i++) {
		const struct dp_lb_service *s = t->svc[i];
		struct dp_lb_vip *v;
		uint32_t h;

		if (s == NULL)
			continue;
		h = s->family == AF_INET ? rte_hash_crc_4byte(s->vip.v4, s->proto)
					 : rte_hash_crc(s->vip.v6, 16, s->proto);
		for (k = 0;; k++) {
			v = &t->vips[(h + k) & (DP_LB_VIP_BUCKETS - 1)];
			if (v->proto == s->proto && pkt_addr_eq(&v->addr, &s->vip))
				break;
		}
		t->listeners[v->first + v->n] =
			(struct dp_lb_listener){.lo = s->port_lo, .hi = s->port_hi, .svc = s->id};
		v->n++;
		t->n_listeners++;
	}
	return 0;
}

int
dp_lb_publish(struct dp *dp)
{
	struct dp_lb *lb = dp->lb;
	struct dp_lb_table *t, *old;
	unsigned int i;

	t = rte_zmalloc("ep_lb_table", sizeof(*t), RTE_CACHE_LINE_SIZE);
	if (t == NULL)
		return -ENOMEM;
	t->n_services = lb->n_services;
	for (i = 0; i < lb->n_services; i++) {
		if (!lb->cfg[i].used)
			continue;
		t->svc[i] = service_build(dp, i, &lb->cfg[i]);
		if (t->svc[i] == NULL) {
			table_free(t);
			return -ENOMEM;
		}
		t->any_nat |= lb->cfg[i].ps.forwarding == PROF_FWD_NAT;
	}
	vip_index(t);
	old = __atomic_exchange_n(&lb->table, t, __ATOMIC_RELEASE);
	lb->epoch++;
	if (old != NULL) {
		rte_rcu_qsbr_synchronize(dp->qsbr, RTE_QSBR_THRID_INVALID);
		table_free(old);
	}
	return 0;
}

int
dp_lb_find_service(const struct dp *dp, const char *name)
{
	unsigned int i;

	for (i = 0; i < dp->lb->n_services; i++)
		if (dp->lb->cfg[i].used && strcmp(dp->lb->cfg[i].ps.name, name) == 0)
			return (int)i;
	return -ENOENT;
}

int
dp_lb_find_server(const struct dp *dp, unsigned int svc, const struct pkt_addr *a, uint16_t port)
{
	const struct dp_lb_cfg_service *c;
	unsigned int i;

	if (svc >= dp->lb->n_services || !dp->lb->cfg[svc].used)
		return -ENOENT;
	c = &dp->lb->cfg[svc];
	for (i = 0; i < c->n_servers; i++)
		if (!c->srv[i].removed && c->srv[i].rs.port == port &&
			pkt_addr_eq(&c->srv[i].rs.addr, a))
			return (int)i;
	return -ENOENT;
}

static struct dp_lb_cfg_server *
cfg_server(struct dp *dp, unsigned int svc, unsigned int b)
{
	if (svc >= dp->lb->n_services || !dp->lb->cfg[svc].used ||
		b >= dp->lb->cfg[svc].n_servers || dp->lb->cfg[svc].srv[b].removed)
		return NULL;
	return &dp->lb->cfg[svc].srv[b];
}

int
dp_lb_set_admin(struct dp *dp, unsigned int svc, unsigned int b, uint8_t admin)
{
	struct dp_lb_cfg_server *s = cfg_server(dp, svc, b);

	if (s == NULL)
		return -ENOENT;
	if (admin != LB_BACKEND_UP && admin != LB_BACKEND_DISABLED && admin != LB_BACKEND_DRAINING)
		return -EINVAL;
	if (s->admin == admin)
		return 0;
	s->admin = admin;
	return dp_lb_publish(dp);
}

int
dp_lb_set_health(struct dp *dp, unsigned int svc, unsigned int b, bool up)
{
	struct dp_lb_cfg_server *s = cfg_server(dp, svc, b);

	if (s == NULL)
		return -ENOENT;
	if (s->down == !up)
		return 0;
	s->down = !up;
	return dp_lb_publish(dp);
}

int
dp_lb_set_weight(struct dp *dp, unsigned int svc, unsigned int b, uint32_t weight)
{
	struct dp_lb_cfg_server *s = cfg_server(dp, svc, b);

	if (s == NULL)
		return -ENOENT;
	if (weight > LB_WEIGHT_MAX)
		return -ERANGE;
	if (s->rs.weight == weight)
		return 0;
	s->rs.weight = weight;
	return dp_lb_publish(dp);
}

/* A free counter slot; what earlier users of it counted becomes its baseline. */
static int
slot_alloc(struct dp *dp)
{
	struct dp_lb *lb = dp->lb;
	unsigned int i;

	for (i = 0; i < DP_LB_MAX_SLOTS; i++)
		if (!lb->slot_used[i]) {
			lb->slot_used[i] = 1;
			lb->slot_base_set[i] = false;
			dp_lb_ctr_sum(dp, (uint16_t)i, &lb->slot_base[i]);
			lb->slot_base_set[i] = true;
			return (int)i;
		}
	return -ENOSPC;
}

/*
 * Checks that need the ports: where each VIP, SNAT pool and real server
 * is.  On failure err gets "LINE: problem" when the profile gave a line
 * (the caller prefixes the file), else "problem".
 */
static bool
is_port_address(const struct dp *dp, const struct pkt_addr *a)
{
	unsigned int i, k;

	for (i = 0; i < dp->n_ports; i++)
		for (k = 0; k < dp->ports[i].prof->n_addresses; k++)
			if (pkt_addr_eq(&dp->ports[i].prof->addresses[k].addr, a))
				return true;
	return false;
}

/* Is a the VIP of a used service other than skip? */
static bool
vip_of_other(const struct dp *dp, int skip, const struct pkt_addr *a)
{
	unsigned int i;

	for (i = 0; dp->lb != NULL && i < dp->lb->n_services; i++) {
		const struct prof_service *o = &dp->lb->cfg[i].ps;

		if ((int)i != skip && dp->lb->cfg[i].used && pkt_addr_eq(&o->listen.addr, a))
			return true;
	}
	return false;
}

/* Is a in the SNAT pool of a used service other than skip? */
static bool
snat_of_other(const struct dp *dp, int skip, const struct pkt_addr *a)
{
	unsigned int i;
	uint32_t k;

	for (i = 0; dp->lb != NULL && i < dp->lb->n_services; i++) {
		const struct prof_service *o = &dp->lb->cfg[i].ps;
		struct dp_lb_service tmp = {.snat_lo = o->snat_lo};

		if ((int)i == skip || !dp->lb->cfg[i].used || o->forwarding != PROF_FWD_FULLNAT)
			continue;
		for (k = 0; k < snat_count(&o->snat_lo, &o->snat_hi); k++) {
			struct pkt_addr sa;

			snat_nth(&tmp, k, &sa);
			if (pkt_addr_eq(&sa, a))
				return true;
		}
	}
	return false;
}

/* Does ps listen where a used service other than skip already does? */
static bool
listener_overlap(const struct dp *dp, int skip, const struct prof_service *ps)
{
	unsigned int i;

	for (i = 0; dp->lb != NULL && i < dp->lb->n_services; i++) {
		const struct prof_service *o = &dp->lb->cfg[i].ps;

		if ((int)i == skip || !dp->lb->cfg[i].used || o->listen.proto != ps->listen.proto ||
			!pkt_addr_eq(&o->listen.addr, &ps->listen.addr))
			continue;
		if (ps->listen.port <= o->listen.port_hi && o->listen.port <= ps->listen.port_hi)
			return true;
	}
	return false;
}

static int
check_service(
	const struct dp *dp, int skip, const struct prof_service *ps, char *err, size_t errlen)
{
	char a[PKT_ADDR_STRLEN];
	unsigned int k;
	uint8_t out;
	struct pkt_addr nh;

	if (port_for_owned(dp, &ps->listen.addr) < 0) {
		snprintf(err, errlen,
			"%u: virtual_service %s: VIP %s is on no port's subnet (give the port an "
			"address = with a prefix that contains it)",
			ps->line, ps->name, pkt_addr_format(&ps->listen.addr, a, sizeof(a)));
		return -EINVAL;
	}
	if (ps->forwarding == PROF_FWD_FULLNAT) {
		uint32_t n = snat_count(&ps->snat_lo, &ps->snat_hi), i;
		struct dp_lb_service tmp = {.snat_lo = ps->snat_lo};

		/* Each SNAT address is an owned host address of its port
		 * (ARP/ND, the XDP maps): a handful, like the seed's pools. */
		if (n == 0 || n > DP_LB_SNAT_MAX || port_for_owned(dp, &ps->snat_lo) < 0) {
			snprintf(err, errlen,
				"%u: virtual_service %s: snat_pool must be 1-%u addresses on one "
				"port's subnet",
				ps->line, ps->name, DP_LB_SNAT_MAX);
			return -EINVAL;
		}
		/* Replies to an SNAT address are told from traffic to a VIP
		 * or to the box by the address alone. */
		for (i = 0; i < n; i++) {
			struct pkt_addr sa;

			snat_nth(&tmp, i, &sa);
			if (pkt_addr_eq(&sa, &ps->listen.addr) || is_port_address(dp, &sa) ||
				vip_of_other(dp, skip, &sa)) {
				snprintf(err, errlen,
					"%u: virtual_service %s: snat_pool address %s is also a "
					"VIP "
					"or a port's address",
					ps->line, ps->name, pkt_addr_format(&sa, a, sizeof(a)));
				return -EINVAL;
			}
		}
	}
	if (snat_of_other(dp, skip, &ps->listen.addr)) {
		snprintf(err, errlen,
			"%u: virtual_service %s: VIP %s is another service's SNAT address",
			ps->line, ps->name, pkt_addr_format(&ps->listen.addr, a, sizeof(a)));
		return -EINVAL;
	}
	if (listener_overlap(dp, skip, ps)) {
		snprintf(err, errlen,
			"%u: virtual_service %s: %s port %u-%u overlaps a service that exists",
			ps->line, ps->name, pkt_addr_format(&ps->listen.addr, a, sizeof(a)),
			ps->listen.port, ps->listen.port_hi);
		return -EEXIST;
	}
	for (k = 0; k < ps->n_real_servers; k++) {
		const struct prof_real_server *rs = &ps->real_servers[k];

		pkt_addr_format(&rs->addr, a, sizeof(a));
		if (rs->addr.family != ps->listen.addr.family) {
			snprintf(err, errlen,
				"%u: real_server %s: address family differs from the VIP's (no "
				"NAT46/64)",
				rs->line, a);
			return -EINVAL;
		}
		if (route_server(dp, &rs->addr, &out, &nh) != 0) {
			snprintf(err, errlen,
				"%u: real_server %s: no route (no port's subnet contains it and no "
				"port has a gateway)",
				rs->line, a);
			return -EINVAL;
		}
		if (ps->forwarding == PROF_FWD_DSR && rs->port != 0 &&
			rs->port != ps->listen.port) {
			snprintf(err, errlen,
				"%u: real_server %s: dsr rewrites MAC addresses only, so the real "
				"server's port must be the VIP's",
				rs->line, a);
			return -EINVAL;
		}
	}
	return 0;
}

/*
 * Steer to the workers, on xdp ports, what the kernel would otherwise get:
 * traffic to VIPs and SNAT addresses, and the replies of nat real servers,
 * which are addressed to the client (the XDP program still hands the
 * kernel what real servers send to its own addresses).  fullnat replies
 * come to an SNAT address and dsr replies bypass us: their real servers
 * are left out, so their other traffic stays the kernel's.
 */
static int
xdp_publish_owned(struct dp *dp)
{
	const struct dp_lb *lb = dp->lb;
	unsigned int i, b;
	uint32_t k;
	int ret;

	/* Every real server fits in the program's maps. */
	RTE_BUILD_BUG_ON(EDGE_XDP_RS_MAX < DP_LB_MAX_SLOTS);
	for (i = 0; i < lb->n_services; i++) {
		const struct dp_lb_cfg_service *cs = &lb->cfg[i];
		const struct prof_service *ps = &cs->ps;
		int p = port_for_owned(dp, &ps->listen.addr);

		if (!cs->used)
			continue;
		if (dp->ports[p].xdp != NULL) {
			ret = dp_xdp_addr_set(
				dp->ports[p].xdp, &ps->listen.addr, EDGE_XDP_ADDR_VIP);
			if (ret < 0)
				return ret;
		}
		for (b = 0; ps->forwarding == PROF_FWD_NAT && b < cs->n_servers; b++) {
			struct pkt_addr nh;
			uint8_t out;

			if (cs->srv[b].removed ||
				route_server(dp, &cs->srv[b].rs.addr, &out, &nh) != 0 ||
				dp->ports[out].xdp == NULL)
				continue;
			ret = dp_xdp_rs_add(dp->ports[out].xdp, &cs->srv[b].rs.addr);
			if (ret < 0)
				return ret;
		}
		if (ps->forwarding != PROF_FWD_FULLNAT)
			continue;
		p = port_for_owned(dp, &ps->snat_lo);
		if (dp->ports[p].xdp == NULL)
			continue;
		for (k = 0; k < snat_count(&ps->snat_lo, &ps->snat_hi); k++) {
			struct dp_lb_service tmp = {.snat_lo = ps->snat_lo};
			struct pkt_addr a;

			snat_nth(&tmp, k, &a);
			ret = dp_xdp_addr_set(dp->ports[p].xdp, &a, EDGE_XDP_ADDR_VIP);
			if (ret < 0)
				return ret;
		}
	}
	return 0;
}

/* Does a used service other than `skip` own address a (as VIP or SNAT) / send to real server a (nat)? */
static bool
addr_still_owned(const struct dp_lb *lb, unsigned int skip, const struct pkt_addr *a)
{
	unsigned int i;
	uint32_t k;

	for (i = 0; i < lb->n_services; i++) {
		const struct prof_service *ps = &lb->cfg[i].ps;

		if (i == skip || !lb->cfg[i].used)
			continue;
		if (pkt_addr_eq(&ps->listen.addr, a))
			return true;
		for (k = 0; ps->forwarding == PROF_FWD_FULLNAT &&
			k < snat_count(&ps->snat_lo, &ps->snat_hi);
			k++) {
			struct dp_lb_service tmp = {.snat_lo = ps->snat_lo};
			struct pkt_addr n;

			snat_nth(&tmp, k, &n);
			if (pkt_addr_eq(&n, a))
				return true;
		}
	}
	return false;
}

static bool
rs_still_used(
	const struct dp_lb *lb, unsigned int skip, unsigned int skip_b, const struct pkt_addr *a)
{
	unsigned int i, b;

	for (i = 0; i < lb->n_services; i++) {
		const struct dp_lb_cfg_service *cs = &lb->cfg[i];

		if (!cs->used || cs->ps.forwarding != PROF_FWD_NAT)
			continue;
		for (b = 0; b < cs->n_servers; b++)
			if (!(i == skip && (skip_b == UINT32_MAX || b == skip_b)) &&
				!cs->srv[b].removed && pkt_addr_eq(&cs->srv[b].rs.addr, a))
				return true;
	}
	return false;
}

/*
 * Give the kernel back, on xdp ports, what only service id (or only its
 * server b; UINT32_MAX: all of it) had the dataplane take: its VIP, its
 * SNAT addresses, its real servers' replies.  Best effort: a map entry
 * left behind steers traffic the dataplane then drops.
 */
static void
xdp_unpublish(struct dp *dp, unsigned int id, unsigned int b_only)
{
	const struct dp_lb *lb = dp->lb;
	const struct dp_lb_cfg_service *cs = &lb->cfg[id];
	const struct prof_service *ps = &cs->ps;
	unsigned int b;
	uint32_t k;
	int p;

	for (b = 0; ps->forwarding == PROF_FWD_NAT && b < cs->n_servers; b++) {
		struct pkt_addr nh;
		uint8_t out;

		if ((b_only != UINT32_MAX && b != b_only) ||
			route_server(dp, &cs->srv[b].rs.addr, &out, &nh) != 0 ||
			dp->ports[out].xdp == NULL ||
			rs_still_used(lb, id, b_only, &cs->srv[b].rs.addr))
			continue;
		dp_xdp_rs_del(dp->ports[out].xdp, &cs->srv[b].rs.addr);
	}
	if (b_only != UINT32_MAX)
		return;
	p = port_for_owned(dp, &ps->listen.addr);
	if (p >= 0 && dp->ports[p].xdp != NULL && !addr_still_owned(lb, id, &ps->listen.addr))
		dp_xdp_addr_clear(dp->ports[p].xdp, &ps->listen.addr, EDGE_XDP_ADDR_VIP);
	if (ps->forwarding != PROF_FWD_FULLNAT)
		return;
	p = port_for_owned(dp, &ps->snat_lo);
	for (k = 0;
		p >= 0 && dp->ports[p].xdp != NULL && k < snat_count(&ps->snat_lo, &ps->snat_hi);
		k++) {
		struct dp_lb_service tmp = {.snat_lo = ps->snat_lo};
		struct pkt_addr a;

		snat_nth(&tmp, k, &a);
		if (!addr_still_owned(lb, id, &a))
			dp_xdp_addr_clear(dp->ports[p].xdp, &a, EDGE_XDP_ADDR_VIP);
	}
}

int
dp_lb_xdp_publish(struct dp *dp)
{
	return dp->lb == NULL ? 0 : xdp_publish_owned(dp);
}

int
dp_lb_local_addrs(const struct dp *dp, unsigned int pidx, struct pkt_addr *out, uint8_t *kind,
	unsigned int max)
{
	const struct dp_lb *lb = dp->lb;
	unsigned int i, n = 0;
	uint32_t k;

	if (lb == NULL)
		return 0;
	for (i = 0; i < lb->n_services; i++) {
		const struct prof_service *ps = &lb->cfg[i].ps;
		struct pkt_addr a;
		unsigned int j;
		bool dup = false;

		if (!lb->cfg[i].used)
			continue;
		if (port_for_owned(dp, &ps->listen.addr) == (int)pidx) {
			for (j = 0; j < n; j++)
				dup |= pkt_addr_eq(&out[j], &ps->listen.addr);
			if (!dup && n < max) {
				out[n] = ps->listen.addr;
				kind[n++] = DP_ADDR_VIP;
			}
		}
		if (ps->forwarding != PROF_FWD_FULLNAT ||
			port_for_owned(dp, &ps->snat_lo) != (int)pidx)
			continue;
		for (k = 0; k < snat_count(&ps->snat_lo, &ps->snat_hi) && n < max; k++) {
			struct dp_lb_service tmp = {.snat_lo = ps->snat_lo};

			snat_nth(&tmp, k, &a);
			dup = false;
			for (j = 0; j < n; j++)
				dup |= pkt_addr_eq(&out[j], &a);
			if (!dup) {
				out[n] = a;
				kind[n++] = DP_ADDR_SNAT;
			}
		}
	}
	return (int)n;
}

/* Record service id's configuration (checked) on the main lcore; not yet published. */
static int
cfg_install(struct dp *dp, unsigned int id, const struct prof_service *ps, char *err, size_t errlen)
{
	struct dp_lb *lb = dp->lb;
	struct dp_lb_cfg_service *c = &lb->cfg[id];
	unsigned int k;
	int ret;

	memset(c, 0, sizeof(*c));
	c->incarnation = ++lb->next_incarnation;
	c->ps = *ps;
	c->n_servers = (uint16_t)ps->n_real_servers;
	for (k = 0; k < ps->n_real_servers; k++) {
		ret = slot_alloc(dp);
		if (ret < 0) {
			snprintf(err, errlen, "%u: more than %u real servers in all",
				ps->real_servers[k].line, DP_LB_MAX_SLOTS);
			while (k-- > 0)
				lb->slot_used[c->srv[k].slot] = 0;
			return ret;
		}
		c->srv[k].rs = ps->real_servers[k];
		c->srv[k].admin = LB_BACKEND_UP;
		c->srv[k].slot = (uint16_t)ret;
	}
	lb->svc_base_set[id] = false;
	dp_lb_svc_sum(dp, id, &lb->svc_base[id]);
	lb->svc_base_set[id] = true;
	c->used = true;
	if (id >= lb->n_services)
		lb->n_services = id + 1;
	return 0;
}

/*
 * Per-worker state of service id (fresh: not yet published; else live and
 * being updated), made before it is published: the
 * connection tables (first service only), least-connection counts, pick
 * positions, and the persistence table (first persistent service).
 */
static int
workers_prepare(struct dp *dp, unsigned int id, bool fresh)
{
	struct dp_lb *lb = dp->lb;
	const struct prof_service *ps = &lb->cfg[id].ps;
	bool lc = ps->scheduler == PROF_SCHED_LEAST_CONN || ps->scheduler == PROF_SCHED_WLC;
	unsigned int i;
	int ret;

	for (i = 0; i < dp->n_workers; i++) {
		struct dp_lb_worker *wl = lb->w[i];

		if (wl->ct == NULL) {
			struct lb_conn_table *ct;

			ret = lb_conn_table_create(lb->per_worker, 0x5eed0000u + i, &ct);
			if (ret < 0) {
				DP_LOG(ERR, "connection table of %u flows: %s", lb->per_worker,
					strerror(-ret));
				return ret;
			}
			lb_conn_set_release(ct, dp_lb_conn_release, wl);
			/* The worker's tick starts sweeping it once it sees it. */
			__atomic_store_n(&wl->ct, ct, __ATOMIC_RELEASE);
		}
		if (lc && wl->conns[id] == NULL) {
			struct lb_conns *conns = lb_conns_create(DP_LB_MAX_SERVERS, i);
			struct dp_lb_snap *snap =
				rte_zmalloc("ep_lb_snap", sizeof(*snap), RTE_CACHE_LINE_SIZE);

			if (conns == NULL || snap == NULL) {
				lb_conns_free(conns);
				rte_free(snap);
				return -ENOMEM;
			}
			/* A service being updated is live: the worker may be
			 * picking with ctx right now, so only pointers change,
			 * each in one store. */
			__atomic_store_n(&wl->snap[id], snap, __ATOMIC_RELEASE);
			__atomic_store_n(&wl->conns[id], conns, __ATOMIC_RELEASE);
			if (!fresh)
				__atomic_store_n(&wl->ctx[id].conns, conns, __ATOMIC_RELEASE);
		}
		if (fresh)
			lb_pick_ctx_init(&wl->ctx[id], i, wl->conns[id]);
	}
	if (ps->persistence == PROF_PERSIST_SOURCE_IP && lb->persist == NULL)
		return dp_lb_persist_create(dp);
	return 0;
}

/*
 * After service id left the published table: its per-worker state.  The
 * workers' ticks read the snapshot pointers without going through the
 * table, so they are unhooked first and freed after another grace period.
 */
static void
workers_release(struct dp *dp, unsigned int id)
{
	struct dp_lb *lb = dp->lb;
	struct lb_conns *conns[PROF_MAX_WORKERS];
	struct dp_lb_snap *snap[PROF_MAX_WORKERS];
	unsigned int i;

	for (i = 0; i < dp->n_workers; i++) {
		struct dp_lb_worker *wl = lb->w[i];

		conns[i] = wl->conns[id];
		snap[i] = wl->snap[id];
		__atomic_store_n(&wl->snap[id], NULL, __ATOMIC_RELEASE);
		__atomic_store_n(&wl->conns[id], NULL, __ATOMIC_RELEASE);
	}
	rte_rcu_qsbr_synchronize(dp->qsbr, RTE_QSBR_THRID_INVALID);
	for (i = 0; i < dp->n_workers; i++) {
		lb_conns_free(conns[i]);
		rte_free(snap[i]);
		lb_pick_ctx_init(&lb->w[i]->ctx[id], i, NULL);
	}
}

static int __attribute__((format(printf, 4, 5)))
svc_err(int ret, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return ret;
}

/* A service from the control socket has no profile line: drop the "0: ". */
static int
strip_line0(int ret, char *err)
{
	if (strncmp(err, "0: ", 3) == 0)
		memmove(err, err + 3, strlen(err + 3) + 1);
	return ret;
}

int
dp_lb_service_add(struct dp *dp, const struct prof_service *ps, char *err, size_t errlen)
{
	struct dp_lb *lb = dp->lb;
	bool published = false;
	unsigned int id;
	int ret;

	if (dp_lb_find_service(dp, ps->name) >= 0)
		return svc_err(-EEXIST, err, errlen, "service %s exists", ps->name);
	for (id = 0; id < DP_LB_MAX_SERVICES && lb->cfg[id].used; id++)
		;
	if (id == DP_LB_MAX_SERVICES)
		return svc_err(-ENOSPC, err, errlen, "no room for service %s", ps->name);
	ret = check_service(dp, -1, ps, err, errlen);
	if (ret == 0)
		ret = cfg_install(dp, id, ps, err, errlen);
	if (ret < 0)
		return strip_line0(ret, err);
	ret = workers_prepare(dp, id, true);
	if (ret == 0)
		ret = xdp_publish_owned(dp);
	if (ret == 0) {
		ret = dp_lb_publish(dp);
		published = ret == 0;
	}
	if (ret == 0)
		ret = dp_local_build(dp);
	if (ret < 0) {
		/* Leave nothing behind: not half a service that the next
		 * change would publish, nor its slots or per-worker state. */
		struct dp_lb_cfg_service *c = &lb->cfg[id];
		unsigned int k;

		c->used = false;
		if (published)
			dp_lb_publish(dp);
		workers_release(dp, id);
		for (k = 0; k < c->n_servers; k++)
			lb->slot_used[c->srv[k].slot] = 0;
		xdp_unpublish(dp, id, UINT32_MAX);
		snprintf(err, errlen, "service %s: %s", ps->name, strerror(-ret));
		return ret;
	}
	return (int)id;
}

int
dp_lb_service_remove(struct dp *dp, unsigned int id)
{
	struct dp_lb *lb = dp->lb;
	struct dp_lb_cfg_service *c;
	unsigned int k;
	int ret;

	if (id >= lb->n_services || !lb->cfg[id].used)
		return -ENOENT;
	c = &lb->cfg[id];
	c->used = false;
	/* Publishing waits for every worker to leave the old table: after
	 * it no worker can reach the service's per-worker state.  Its
	 * connections stay in the tables until they expire; their
	 * incarnation no longer matches, so they are dropped on sight. */
	ret = dp_lb_publish(dp);
	if (ret < 0) {
		c->used = true;
		return ret;
	}
	workers_release(dp, id);
	for (k = 0; k < c->n_servers; k++)
		lb->slot_used[c->srv[k].slot] = 0;
	xdp_unpublish(dp, id, UINT32_MAX);
	dp_local_build(dp);
	return 0;
}

/* An update that failed: the servers it appended give their slots back. */
static void
update_rollback(struct dp_lb *lb, struct dp_lb_cfg_service *c, const struct dp_lb_cfg_service *old)
{
	unsigned int b;

	for (b = old->n_servers; b < c->n_servers; b++)
		lb->slot_used[c->srv[b].slot] = 0;
	*c = *old;
}

int
dp_lb_service_update(
	struct dp *dp, unsigned int id, const struct prof_service *ps, char *err, size_t errlen)
{
	struct dp_lb *lb = dp->lb;
	struct dp_lb_cfg_service *c, old;
	const struct prof_service *cur;
	unsigned int k, b;
	int ret;

	if (id >= lb->n_services || !lb->cfg[id].used)
		return svc_err(-ENOENT, err, errlen, "no service %s", ps->name);
	c = &lb->cfg[id];
	cur = &c->ps;
	/* What established connections are made of cannot change under them. */
	if (!pkt_addr_eq(&cur->listen.addr, &ps->listen.addr) ||
		cur->listen.port != ps->listen.port || cur->listen.port_hi != ps->listen.port_hi ||
		cur->listen.proto != ps->listen.proto || cur->forwarding != ps->forwarding ||
		(ps->forwarding == PROF_FWD_FULLNAT &&
			(!pkt_addr_eq(&cur->snat_lo, &ps->snat_lo) ||
				!pkt_addr_eq(&cur->snat_hi, &ps->snat_hi))))
		return svc_err(-EBUSY, err, errlen,
			"service %s: listen, forwarding and snat_pool cannot change in place "
			"(remove and add it)",
			ps->name);
	ret = check_service(dp, (int)id, ps, err, errlen);
	if (ret < 0)
		return strip_line0(ret, err);
	old = *c;
	c->ps = *ps;
	/* Servers by address and port: kept ones keep their ids, slots and
	 * admin state; new ones are appended; missing ones become holes. */
	for (b = 0; b < c->n_servers; b++)
		c->srv[b].removed = true;
	for (k = 0; k < ps->n_real_servers; k++) {
		const struct prof_real_server *rs = &ps->real_servers[k];

		for (b = 0; b < c->n_servers; b++)
			if (c->srv[b].rs.port == rs->port &&
				pkt_addr_eq(&c->srv[b].rs.addr, &rs->addr))
				break;
		if (b == c->n_servers) {
			if (c->n_servers == DP_LB_MAX_SERVERS || (ret = slot_alloc(dp)) < 0) {
				update_rollback(lb, c, &old);
				return svc_err(-ENOSPC, err, errlen,
					"service %s: no room for another real server", ps->name);
			}
			memset(&c->srv[b], 0, sizeof(c->srv[b]));
			c->srv[b].slot = (uint16_t)ret;
			c->srv[b].admin = LB_BACKEND_UP;
			c->n_servers++;
		}
		c->srv[b].rs = *rs;
		c->srv[b].removed = false;
	}
	ret = workers_prepare(dp, id, false);
	if (ret == 0)
		ret = xdp_publish_owned(dp);
	if (ret == 0)
		ret = dp_lb_publish(dp);
	if (ret < 0) {
		update_rollback(lb, c, &old);
		snprintf(err, errlen, "service %s: %s", ps->name, strerror(-ret));
		return ret;
	}
	for (b = 0; b < old.n_servers; b++)
		if (!old.srv[b].removed && c->srv[b].removed)
			xdp_unpublish(dp, id, b);
	return 0;
}

int
dp_lb_create(struct dp *dp)
{
	const struct prof *p = dp->prof;
	struct dp_lb *lb;
	uint32_t per_worker;
	unsigned int i, k;
	int ret;

	lb = rte_zmalloc("ep_lb", sizeof(*lb), RTE_CACHE_LINE_SIZE);
	if (lb == NULL)
		return -ENOMEM;
	dp->lb = lb;
	lb->tsc_per_ms = RTE_MAX(rte_get_tsc_hz() / 1000, (uint64_t)2);
	lb->ms_mult = UINT64_MAX / lb->tsc_per_ms;
	lb->snat_slice = (65536 - DP_LB_SNAT_PORT_LO) / dp->n_workers;

	/* Each worker holds its share of `flows`. */
	per_worker = (p->dataplane.flows + dp->n_workers - 1) / dp->n_workers;
	for (i = 0; i < dp->n_workers; i++) {
		struct dp_lb_worker *wl = rte_zmalloc_socket(
			"ep_lb_worker", sizeof(*wl), RTE_CACHE_LINE_SIZE, (int)rte_socket_id());

		if (wl == NULL)
			return -ENOMEM;
		lb->w[i] = wl;
		wl->dp = dp;
		wl->id = i;
		for (k = 0; k < DP_LB_MAX_SERVICES; k++)
			lb_pick_ctx_init(&wl->ctx[k], i, NULL);
	}
	lb->per_worker = per_worker;
	for (i = 0; i < p->n_services; i++) {
		char err[PROF_ERR_MAX];

		ret = check_service(dp, (int)i, &p->services[i], err, sizeof(err));
		if (ret == 0)
			ret = cfg_install(dp, i, &p->services[i], err, sizeof(err));
		if (ret < 0) {
			DP_LOG(ERR, "%s:%s", p->file, err);
			return ret;
		}
	}
	for (i = 0; i < p->n_services; i++) {
		ret = workers_prepare(dp, i, true);
		if (ret < 0) {
			DP_LOG(ERR, "%s:%u: virtual_service %s: %s", p->file, p->services[i].line,
				p->services[i].name, strerror(-ret));
			return ret;
		}
	}
	lb->conns_others = rte_zmalloc(
		"ep_lb_others", sizeof(uint32_t) * dp->n_workers * DP_LB_MAX_SERVERS, 0);
	if (lb->conns_others == NULL)
		return -ENOMEM;
	ret = xdp_publish_owned(dp);
	if (ret < 0) {
		DP_LOG(ERR, "cannot steer virtual service addresses to the dataplane: %s",
			strerror(-ret));
		return ret;
	}
	return dp_lb_publish(dp);
}

void
dp_lb_free(struct dp *dp)
{
	struct dp_lb *lb = dp->lb;
	unsigned int i, k;

	if (lb == NULL)
		return;
	table_free(lb->table);
	for (i = 0; i < dp->n_workers; i++) {
		if (lb->w[i] == NULL)
			continue;
		lb_conn_table_free(lb->w[i]->ct);
		for (k = 0; k < DP_LB_MAX_SERVICES; k++) {
			lb_conns_free(lb->w[i]->conns[k]);
			rte_free(lb->w[i]->snap[k]);
		}
		rte_free(lb->w[i]);
	}
	dp_lb_persist_free(dp);
	rte_free(lb->conns_others);
	rte_free(lb);
	dp->lb = NULL;
}

void
dp_lb_ctr_sum(const struct dp *dp, uint16_t slot, struct dp_lb_ctr *out)
{
	unsigned int i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < dp->n_workers; i++) {
		const struct dp_lb_ctr *c = &dp->lb->w[i]->ctr[slot];

		out->conns += c->conns;
		out->closed += c->closed;
		out->pkts_in += c->pkts_in;
		out->bytes_in += c->bytes_in;
		out->pkts_out += c->pkts_out;
		out->bytes_out += c->bytes_out;
	}
	if (dp->lb->slot_base_set[slot]) {
		const struct dp_lb_ctr *b = &dp->lb->slot_base[slot];

		out->conns -= b->conns;
		out->closed -= b->closed;
		out->pkts_in -= b->pkts_in;
		out->bytes_in -= b->bytes_in;
		out->pkts_out -= b->pkts_out;
		out->bytes_out -= b->bytes_out;
	}
}

void
dp_lb_svc_sum(const struct dp *dp, unsigned int svc, struct dp_lb_svc_ctr *out)
{
	unsigned int i, r;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < dp->n_workers; i++) {
		const struct dp_lb_svc_ctr *c = &dp->lb->w[i]->svc[svc];

		out->conns += c->conns;
		for (r = 0; r < DP_LB_SD_MAX; r++)
			out->drops[r] += c->drops[r];
	}
	if (dp->lb->svc_base_set[svc]) {
		const struct dp_lb_svc_ctr *b = &dp->lb->svc_base[svc];

		out->conns -= b->conns;
		for (r = 0; r < DP_LB_SD_MAX; r++)
			out->drops[r] -= b->drops[r];
	}
	/* Packets and bytes are the sum of the service's real servers'
	 * (holes included): the fast path counts them once, per server. */
	for (i = 0; i < dp->lb->cfg[svc].n_servers; i++) {
		struct dp_lb_ctr sc;

		dp_lb_ctr_sum(dp, dp->lb->cfg[svc].srv[i].slot, &sc);
		out->pkts_in += sc.pkts_in;
		out->bytes_in += sc.bytes_in;
		out->pkts_out += sc.pkts_out;
		out->bytes_out += sc.bytes_out;
	}
}

void
dp_lb_post_others(
	struct dp *dp, unsigned int wid, unsigned int svc, const uint32_t *others, unsigned int n)
{
	struct dp_lb_snap *sn = dp->lb->w[wid]->snap[svc];

	if (sn == NULL)
		return;
	/* Seqlock, one writer: odd while writing. */
	__atomic_store_n(&sn->seq, sn->seq + 1, __ATOMIC_RELAXED);
	rte_atomic_thread_fence(__ATOMIC_RELEASE);
	sn->n = n;
	memcpy(sn->others, others, n * sizeof(*others));
	__atomic_store_n(&sn->seq, sn->seq + 1, __ATOMIC_RELEASE);
}

/*
 * Every tick: publish each least_conn/wlc service's snapshot of the other
 * workers' counts (lib/lb: the owner adopts it at its next pick), and
 * expire persistence entries.
 */
void
dp_lb_tick(struct dp *dp)
{
	struct dp_lb *lb = dp->lb;
	const struct lb_conns *cs[PROF_MAX_WORKERS];
	unsigned int i, k;

	if (lb == NULL || lb->n_services == 0)
		return;
	if (dp->n_workers > 1) {
		for (i = 0; i < lb->n_services; i++) {
			bool all = true;

			for (k = 0; k < dp->n_workers; k++) {
				cs[k] = lb->w[k]->conns[i];
				all &= cs[k] != NULL;
			}
			if (!all)
				continue;
			lb_conns_sum(
				cs, dp->n_workers, lb->cfg[i].n_servers, NULL, lb->conns_others);
			for (k = 0; k < dp->n_workers; k++)
				dp_lb_post_others(dp, k, i,
					lb->conns_others + (size_t)k * lb->cfg[i].n_servers,
					lb->cfg[i].n_servers);
		}
	}
	dp_lb_persist_expire(dp, 4096);
}
