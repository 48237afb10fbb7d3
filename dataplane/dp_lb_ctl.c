/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The load balancer on the control socket: listings of services, real
 * servers and connections, and an operator's changes to a real server.
 *
 * The main lcore owns the configuration (struct dp_lb_cfg), so the
 * listings read it directly and the changes go through dp_lb_set_*(),
 * which republish the table.  Counters are per worker and summed here;
 * a worker may be a packet ahead of what is shown.  Connections are read
 * from each worker's table while it runs (lb_conn_entry()): an entry may
 * be torn, so everything taken from one is bounds-checked before use and
 * the listing is only a best-effort snapshot.  A FLOWS request reads at
 * most CTLMSG_FLOWS_SCAN entries, so a client paging through a large
 * table never holds the main lcore (neighbour resolution, the other
 * sessions) for long.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_common.h>

#include "ctlmsg.h"
#include "dp.h"
#include "dp_lb.h"
#include "dp_lb_ctl.h"

_Static_assert(DP_LB_SD_MAX <= CTLMSG_SVC_DROPS_MAX, "every service drop reason fits");
_Static_assert(CTLMSG_WEIGHT_MAX == LB_WEIGHT_MAX, "the protocol's weight range is the LB's");
_Static_assert(DP_LB_MAX_SERVICES <= UINT16_MAX && DP_LB_MAX_SERVERS <= UINT16_MAX,
	"ids fit the wire's 16 bits");

const char *
dp_lb_tcp_state_name(uint8_t state)
{
	static const char *const names[DP_LB_STATE_MAX] = {
		[DP_LB_UDP] = "udp",
		[DP_LB_SYN_SENT] = "syn_sent",
		[DP_LB_SYN_RECV] = "syn_recv",
		[DP_LB_ESTABLISHED] = "established",
		[DP_LB_FIN_WAIT] = "fin_wait",
		[DP_LB_TIME_WAIT] = "time_wait",
		[DP_LB_CLOSE] = "close",
	};

	return state < DP_LB_STATE_MAX ? names[state] : "?";
}

/* Connections opened minus ended; a read racing a worker may see the
 * end before the open, so never below zero. */
static uint64_t
ctr_active(const struct dp_lb_ctr *c)
{
	return c->conns > c->closed ? c->conns - c->closed : 0;
}

void
dp_lb_svc_view(const struct dp *dp, unsigned int svc, struct dp_lb_svc_view *v)
{
	const struct dp_lb_cfg_service *cs = &dp->lb->cfg[svc];
	unsigned int b;

	memset(v, 0, sizeof(*v));
	dp_lb_svc_sum(dp, svc, &v->c);
	for (b = 0; b < cs->n_servers; b++) {
		const struct dp_lb_cfg_server *s = &cs->srv[b];
		struct dp_lb_ctr ctr;

		/* A removed server's connections still count until they end. */
		dp_lb_ctr_sum(dp, s->slot, &ctr);
		v->active += ctr_active(&ctr);
		if (s->removed)
			continue;
		v->n_servers++;
		if (dp_lb_server_state(s) == LB_BACKEND_UP && s->rs.weight != 0)
			v->n_up++;
	}
}

static void
addr_to_wire(const struct pkt_addr *a, struct ctlmsg_addr *w)
{
	memset(w, 0, sizeof(*w));
	if (a->family == AF_INET) {
		w->family = CTLMSG_AF_INET;
		memcpy(w->addr, &a->v4, 4);
	} else if (a->family == AF_INET6) {
		w->family = CTLMSG_AF_INET6;
		memcpy(w->addr, a->v6, 16);
	}
}

static void
addr_from_wire(const struct ctlmsg_addr *w, struct pkt_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (w->family == CTLMSG_AF_INET) {
		a->family = AF_INET;
		memcpy(&a->v4, w->addr, 4);
	} else {
		a->family = AF_INET6;
		memcpy(a->v6, w->addr, 16);
	}
}

/* Items per page: what the client asked for, within what a reply holds. */
static uint32_t
page_limit(const struct ctlmsg_list_req *req, uint32_t max)
{
	return req->max == 0 || req->max > max ? max : req->max;
}

/* The service a request names, or all (-1); -ENOENT with err filled. */
static int
named_service(const struct dp *dp, const char *name, char *err, size_t errlen)
{
	int id;

	if (name[0] == '\0')
		return -1;
	id = dp->lb != NULL ? dp_lb_find_service(dp, name) : -ENOENT;
	if (id < 0)
		snprintf(err, errlen, "no service '%s'", name);
	return id < 0 ? -ENOENT : id;
}

static void
fill_service(const struct dp *dp, unsigned int id, struct ctlmsg_service *o)
{
	const struct prof_service *ps = &dp->lb->cfg[id].ps;
	struct dp_lb_svc_view v;
	unsigned int r;

	dp_lb_svc_view(dp, id, &v);
	snprintf(o->name, sizeof(o->name), "%s", ps->name);
	addr_to_wire(&ps->listen.addr, &o->vip);
	o->id = (uint16_t)id;
	o->port_lo = ps->listen.port;
	o->port_hi = ps->listen.port_hi;
	o->proto = ps->listen.proto;
	o->n_servers = v.n_servers;
	o->n_up = v.n_up;
	snprintf(o->scheduler, sizeof(o->scheduler), "%s", prof_sched_name(ps->scheduler));
	snprintf(o->forwarding, sizeof(o->forwarding), "%s", prof_fwd_name(ps->forwarding));
	snprintf(o->persistence, sizeof(o->persistence), "%s", prof_persist_name(ps->persistence));
	o->conns = v.c.conns;
	o->active = v.active;
	o->pkts_in = v.c.pkts_in;
	o->bytes_in = v.c.bytes_in;
	o->pkts_out = v.c.pkts_out;
	o->bytes_out = v.c.bytes_out;
	o->n_drops = DP_LB_SD_MAX;
	for (r = 0; r < DP_LB_SD_MAX; r++) {
		snprintf(o->drop[r].name, sizeof(o->drop[r].name), "%s", dp_lb_svc_drop_name(r));
		o->drop[r].value = v.c.drops[r];
	}
}

ssize_t
dp_lb_ctl_services(
	struct dp *dp, const struct ctlmsg_list_req *req, void *out, char *err, size_t errlen)
{
	struct ctlmsg_services_reply *r = out;
	uint32_t lim = page_limit(req, CTLMSG_SERVICES_MAX), i;

	RTE_SET_USED(err);
	RTE_SET_USED(errlen);
	for (i = req->cursor[0]; dp->lb != NULL && i < dp->lb->n_services; i++) {
		if (!dp->lb->cfg[i].used)
			continue;
		if (r->page.n == lim) {
			r->page.more = 1;
			r->page.next[0] = i;
			break;
		}
		fill_service(dp, i, &r->svc[r->page.n++]);
	}
	return (ssize_t)ctlmsg_reply_size(CTLMSG_SERVICES, r->page.n);
}

static void
fill_server(const struct dp *dp, unsigned int svc, unsigned int b, struct ctlmsg_server *o)
{
	const struct dp_lb_cfg_service *cs = &dp->lb->cfg[svc];
	const struct dp_lb_cfg_server *s = &cs->srv[b];
	struct dp_lb_ctr ctr;

	memset(o, 0, sizeof(*o));
	dp_lb_ctr_sum(dp, s->slot, &ctr);
	snprintf(o->service, sizeof(o->service), "%s", cs->ps.name);
	addr_to_wire(&s->rs.addr, &o->addr);
	o->port = s->rs.port;
	o->index = (uint16_t)b;
	o->weight = s->rs.weight;
	snprintf(o->state, sizeof(o->state), "%s", dp_lb_state_name(dp_lb_server_state(s)));
	snprintf(o->admin, sizeof(o->admin), "%s", dp_lb_state_name(s->admin));
	snprintf(o->health, sizeof(o->health), "%s", s->down ? "down" : "up");
	o->conns = ctr.conns;
	o->active = ctr_active(&ctr);
	o->pkts_in = ctr.pkts_in;
	o->bytes_in = ctr.bytes_in;
	o->pkts_out = ctr.pkts_out;
	o->bytes_out = ctr.bytes_out;
}

ssize_t
dp_lb_ctl_servers(
	struct dp *dp, const struct ctlmsg_list_req *req, void *out, char *err, size_t errlen)
{
	struct ctlmsg_servers_reply *r = out;
	uint32_t lim = page_limit(req, CTLMSG_SERVERS_MAX), i, b;
	int only = named_service(dp, req->service, err, errlen);

	if (only == -ENOENT)
		return -ENOENT;
	for (i = req->cursor[0]; dp->lb != NULL && i < dp->lb->n_services; i++) {
		const struct dp_lb_cfg_service *cs = &dp->lb->cfg[i];

		if (!cs->used || (only >= 0 && i != (uint32_t)only))
			continue;
		for (b = i == req->cursor[0] ? req->cursor[1] : 0; b < cs->n_servers; b++) {
			if (cs->srv[b].removed)
				continue;
			if (r->page.n == lim) {
				r->page.more = 1;
				r->page.next[0] = i;
				r->page.next[1] = b;
				goto done;
			}
			fill_server(dp, i, b, &r->srv[r->page.n++]);
		}
	}
done:
	return (ssize_t)ctlmsg_reply_size(CTLMSG_SERVERS, r->page.n);
}

/* One connection entry, copied (it may change under us), checked, and listed. */
static bool
fill_flow(const struct dp *dp, const struct lb_conn *e, unsigned int wid, uint32_t now, int only,
	struct ctlmsg_flow *o)
{
	const struct dp_lb_cfg_service *cs;
	struct lb_conn c;
	int32_t left;

	memcpy(&c, e, sizeof(c));
	left = (int32_t)(c.expire - now);
	if (left <= 0 || c.service >= dp->lb->n_services)
		return false;
	cs = &dp->lb->cfg[c.service];
	/* A connection of a removed service whose id was reused, or torn. */
	if (!cs->used || cs->incarnation != c.aux || c.backend >= cs->n_servers ||
		(only >= 0 && c.service != (unsigned int)only) ||
		(c.family != AF_INET && c.family != AF_INET6))
		return false;
	memset(o, 0, sizeof(*o));
	snprintf(o->service, sizeof(o->service), "%s", cs->ps.name);
	o->family = c.family == AF_INET ? CTLMSG_AF_INET : CTLMSG_AF_INET6;
	o->proto = c.proto;
	o->worker = (uint16_t)wid;
	o->expire_ms = (uint32_t)left;
	snprintf(o->state, sizeof(o->state), "%s", dp_lb_tcp_state_name(c.state));
	/* Forward tuple: client -> VIP; reverse: server -> local. */
	memcpy(o->client, c.t[LB_CONN_DIR_FWD].src, 16);
	memcpy(o->vip, c.t[LB_CONN_DIR_FWD].dst, 16);
	memcpy(o->server, c.t[LB_CONN_DIR_REV].src, 16);
	memcpy(o->local, c.t[LB_CONN_DIR_REV].dst, 16);
	o->client_port = rte_be_to_cpu_16(c.t[LB_CONN_DIR_FWD].sport);
	o->vip_port = rte_be_to_cpu_16(c.t[LB_CONN_DIR_FWD].dport);
	o->server_port = rte_be_to_cpu_16(c.t[LB_CONN_DIR_REV].sport);
	o->local_port = rte_be_to_cpu_16(c.t[LB_CONN_DIR_REV].dport);
	return true;
}

ssize_t
dp_lb_ctl_flows(
	struct dp *dp, const struct ctlmsg_list_req *req, void *out, char *err, size_t errlen)
{
	struct ctlmsg_flows_reply *r = out;
	uint32_t lim = page_limit(req, CTLMSG_FLOWS_MAX), scanned = 0, w, i, now;
	int only = named_service(dp, req->service, err, errlen);

	if (only == -ENOENT)
		return -ENOENT;
	if (dp->lb == NULL)
		return (ssize_t)ctlmsg_reply_size(CTLMSG_FLOWS, 0);
	now = dp_lb_now(dp);
	for (w = req->cursor[0]; w < dp->n_workers; w++) {
		const struct lb_conn_table *ct = dp->lb->w[w]->ct;
		uint32_t cap;

		if (ct == NULL)
			continue;
		cap = lb_conn_capacity(ct);
		for (i = w == req->cursor[0] ? req->cursor[1] : 0; i < cap; i++) {
			const struct lb_conn *e;

			if (r->page.n == lim || scanned == CTLMSG_FLOWS_SCAN) {
				r->page.more = 1;
				r->page.next[0] = w;
				r->page.next[1] = i;
				goto done;
			}
			scanned++;
			e = lb_conn_entry(ct, i);
			if (e != NULL && fill_flow(dp, e, w, now, only, &r->flow[r->page.n]))
				r->page.n++;
		}
	}
done:
	return (ssize_t)ctlmsg_reply_size(CTLMSG_FLOWS, r->page.n);
}

/* "192.0.2.11:80", "[2001:db8::11]:80", or the address alone for port 0. */
static const char *
server_text(const struct pkt_addr *a, uint16_t port, char *buf, size_t len)
{
	char s[PKT_ADDR_STRLEN];

	pkt_addr_format(a, s, sizeof(s));
	if (port == 0)
		snprintf(buf, len, "%s", s);
	else if (a->family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", s, port);
	else
		snprintf(buf, len, "%s:%u", s, port);
	return buf;
}

ssize_t
dp_lb_ctl_server_set(
	struct dp *dp, const struct ctlmsg_server_set *req, void *out, char *err, size_t errlen)
{
	struct ctlmsg_server_set_reply *r = out;
	char what[PKT_ADDR_STRLEN + 8];
	struct pkt_addr a;
	int svc, b, ret;

	svc = named_service(dp, req->service, err, errlen);
	if (svc < 0)
		return -ENOENT; /* the name is never empty here (ctlmsg_check_request) */
	addr_from_wire(&req->addr, &a);
	server_text(&a, req->port, what, sizeof(what));
	b = dp_lb_find_server(dp, (unsigned int)svc, &a, req->port);
	if (b < 0) {
		snprintf(err, errlen, "service %s has no real server %s", req->service, what);
		return -ENOENT;
	}
	switch (req->action) {
	case CTLMSG_SRV_ENABLE:
		ret = dp_lb_set_admin(dp, (unsigned int)svc, (unsigned int)b, LB_BACKEND_UP);
		break;
	case CTLMSG_SRV_DISABLE:
		ret = dp_lb_set_admin(dp, (unsigned int)svc, (unsigned int)b, LB_BACKEND_DISABLED);
		break;
	case CTLMSG_SRV_DRAIN:
		ret = dp_lb_set_admin(dp, (unsigned int)svc, (unsigned int)b, LB_BACKEND_DRAINING);
		break;
	case CTLMSG_SRV_WEIGHT:
		ret = dp_lb_set_weight(dp, (unsigned int)svc, (unsigned int)b, req->weight);
		break;
	case CTLMSG_SRV_HEALTH_UP:
	case CTLMSG_SRV_HEALTH_DOWN:
		ret = dp_lb_set_health(dp, (unsigned int)svc, (unsigned int)b,
			req->action == CTLMSG_SRV_HEALTH_UP);
		break;
	default:
		ret = -EINVAL; /* ctlmsg_check_request refused it already */
		break;
	}
	if (ret < 0) {
		snprintf(err, errlen, "service %s real server %s: %s failed: %s", req->service,
			what, ctlmsg_action_name(req->action), strerror(-ret));
		DP_LOG(WARNING, "control socket: %s", err);
		return ret;
	}
	/* Operators' changes are worth a line in the log: they explain
	 * later traffic shifts. */
	if (req->action == CTLMSG_SRV_WEIGHT)
		DP_LOG(INFO, "control socket: service %s real server %s: weight %u", req->service,
			what, req->weight);
	else
		DP_LOG(INFO, "control socket: service %s real server %s: %s", req->service, what,
			ctlmsg_action_name(req->action));
	fill_server(dp, (unsigned int)svc, (unsigned int)b, &r->srv);
	return (ssize_t)sizeof(*r);
}

ssize_t
dp_lb_ctl_service_put(
	struct dp *dp, const struct ctlmsg_service_put *req, void *out, char *err, size_t errlen)
{
	struct ctlmsg_service_put_reply *r = out;
	struct prof *p = NULL;
	char perr[PROF_ERR_MAX];
	const struct prof_service *ps;
	int id, ret;

	/* The profile's own loader: the same syntax, checks and messages. */
	ret = prof_load_buf("service", req->text, req->len, &p, perr, sizeof(perr));
	if (ret < 0) {
		snprintf(err, errlen, "%s", perr);
		return ret;
	}
	if (p->n_services != 1 || p->n_ports != 0 || p->media_relay.present ||
		p->sip_edge.present || p->control.present || p->dataplane.line != 0) {
		snprintf(err, errlen, "service: give exactly one [virtual_service NAME] section");
		prof_free(p);
		return -EINVAL;
	}
	ps = &p->services[0];
	id = dp_lb_find_service(dp, ps->name);
	if (id >= 0) {
		ret = dp_lb_service_update(dp, (unsigned int)id, ps, err, errlen);
		r->created = 0;
	} else {
		ret = id = dp_lb_service_add(dp, ps, err, errlen);
		r->created = 1;
	}
	if (ret < 0) {
		DP_LOG(WARNING, "control socket: service %s: %s", ps->name, err);
		prof_free(p);
		return ret;
	}
	DP_LOG(INFO, "control socket: service %s %s (id %d, %u real servers)", ps->name,
		r->created ? "added" : "updated", id, ps->n_real_servers);
	r->id = (uint16_t)id;
	r->epoch = dp->lb->epoch;
	prof_free(p);
	return (ssize_t)sizeof(*r);
}

ssize_t
dp_lb_ctl_service_del(
	struct dp *dp, const struct ctlmsg_service_del *req, void *out, char *err, size_t errlen)
{
	struct ctlmsg_service_put_reply *r = out;
	int id = named_service(dp, req->service, err, errlen), ret;

	if (id < 0)
		return -ENOENT;
	ret = dp_lb_service_remove(dp, (unsigned int)id);
	if (ret < 0) {
		snprintf(err, errlen, "service %s: %s", req->service, strerror(-ret));
		return ret;
	}
	DP_LOG(INFO, "control socket: service %s removed", req->service);
	r->id = (uint16_t)id;
	r->epoch = dp->lb->epoch;
	return (ssize_t)sizeof(*r);
}
