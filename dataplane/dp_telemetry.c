/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Counters: per-worker counters summed on read, exported as DPDK
 * telemetry commands under /edgeplane/ (dpdk-telemetry.py shows them)
 * and printed on exit.  Readers run in the telemetry thread; they only
 * load 64-bit counters that their workers store, so a read is at worst
 * a packet or two behind.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_telemetry.h>

#include "dp.h"
#include "dp_lb.h"
#include "dp_lb_ctl.h"
#include "dp_neigh.h"
#include "dp_xdp.h"

/*
 * Telemetry callbacks take no user argument, and DPDK 22.11 cannot
 * unregister them: they keep being called from the telemetry thread until
 * the process exits.  So the context they read is published here and
 * withdrawn under a lock before teardown frees what it points to.  The
 * lock is taken by the telemetry thread and once by the main lcore at
 * shutdown, never on the packet path.
 */
static pthread_mutex_t tel_lock = PTHREAD_MUTEX_INITIALIZER;
static struct dp *tel_dp;

static const char *const drop_names[DP_DROP_PARSE_BASE] = {
#define DP_X_NAME(e, s) [DP_DROP_##e] = s,
	DP_DROP_REASONS(DP_X_NAME)
#undef DP_X_NAME
};

static const char *const parse_drop_names[PKT_E_MAX] = {[PKT_OK] = "parse_ok",
#define DP_X_PNAME(e, s) [PKT_E_##e] = "parse_" s,
	PKT_PARSE_ERRORS(DP_X_PNAME)
#undef DP_X_PNAME
};

static const char *const xdp_stat_names[EDGE_XDP_STAT_MAX] = {
#define DP_X_XNAME(e, s) [EDGE_XDP_STAT_##e] = s,
	EDGE_XDP_STATS(DP_X_XNAME)
#undef DP_X_XNAME
};

const char *
dp_drop_name(unsigned int reason)
{
	if (reason < DP_DROP_PARSE_BASE)
		return drop_names[reason];
	if (reason < DP_DROP_MAX)
		return parse_drop_names[reason - DP_DROP_PARSE_BASE];
	return "?";
}

void
dp_totals_get(const struct dp *dp, struct dp_totals *t)
{
	unsigned int i, r;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < dp->n_workers; i++) {
		const struct dp_wstats *s = &dp->workers[i]->st;

#define DP_X_SUM(f) t->f += s->f;
		DP_WSTATS(DP_X_SUM)
#undef DP_X_SUM
		for (r = 0; r < DP_DROP_MAX; r++)
			t->drops[r] += s->drops[r];
	}
	for (r = 0; r < DP_DROP_MAX; r++) {
		t->drops[r] += dp->main.drops[r];
		t->drops_total += t->drops[r];
	}
}

static int
tel_stats_locked(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct dp_totals t;

	dp_totals_get(tel_dp, &t);
	rte_tel_data_start_dict(d);
#define DP_X_ADD(f) rte_tel_data_add_dict_u64(d, #f, t.f);
	DP_WSTATS(DP_X_ADD)
#undef DP_X_ADD
	rte_tel_data_add_dict_u64(d, "drops", t.drops_total);
	rte_tel_data_add_dict_u64(d, "main_tx", tel_dp->main.tx);
	rte_tel_data_add_dict_u64(d, "exception_rx", tel_dp->main.exception_rx);
	rte_tel_data_add_dict_u64(d, "workers", tel_dp->n_workers);
	rte_tel_data_add_dict_u64(d, "ports", tel_dp->n_ports);
	return 0;
}

static int
tel_drops_locked(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct dp_totals t;
	unsigned int r;

	dp_totals_get(tel_dp, &t);
	rte_tel_data_start_dict(d);
	for (r = 0; r < DP_DROP_MAX; r++)
		if (r != DP_DROP_PARSE_BASE + PKT_OK)
			rte_tel_data_add_dict_u64(d, dp_drop_name(r), t.drops[r]);
	return 0;
}

static int
tel_workers_locked(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct dp *dp = tel_dp;
	struct rte_tel_data *a;
	unsigned int i;

	rte_tel_data_start_dict(d);
	/* One array per counter, indexed by worker id (nested dicts are not
	 * supported by this DPDK's telemetry). */
#define DP_X_ARR(f)                                                          \
	a = rte_tel_data_alloc();                                            \
	if (a != NULL) {                                                     \
		rte_tel_data_start_array(a, RTE_TEL_U64_VAL);                \
		for (i = 0; i < dp->n_workers; i++)                          \
			rte_tel_data_add_array_u64(a, dp->workers[i]->st.f); \
		rte_tel_data_add_dict_container(d, #f, a, 0);                \
	}
	DP_WSTATS(DP_X_ARR)
#undef DP_X_ARR
	a = rte_tel_data_alloc();
	if (a != NULL) {
		rte_tel_data_start_array(a, RTE_TEL_U64_VAL);
		for (i = 0; i < dp->n_workers; i++) {
			uint64_t n = 0;
			unsigned int r;

			for (r = 0; r < DP_DROP_MAX; r++)
				n += dp->workers[i]->st.drops[r];
			rte_tel_data_add_array_u64(a, n);
		}
		rte_tel_data_add_dict_container(d, "drops", a, 0);
	}
	return 0;
}

void
dp_port_totals(const struct dp *dp, unsigned int p, uint64_t *rx, uint64_t *tx)
{
	unsigned int i;

	*rx = *tx = 0;
	for (i = 0; i < dp->n_workers; i++) {
		*rx += dp->workers[i]->st.port_rx[p];
		*tx += dp->workers[i]->st.port_tx[p];
	}
}

static int
tel_ports_locked(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct dp *dp = tel_dp;
	struct rte_tel_data *names = rte_tel_data_alloc(), *rx = rte_tel_data_alloc(),
			    *tx = rte_tel_data_alloc();
	unsigned int p;

	rte_tel_data_start_dict(d);
	if (names == NULL || rx == NULL || tx == NULL) {
		rte_tel_data_free(names);
		rte_tel_data_free(rx);
		rte_tel_data_free(tx);
		return -ENOMEM;
	}
	rte_tel_data_start_array(names, RTE_TEL_STRING_VAL);
	rte_tel_data_start_array(rx, RTE_TEL_U64_VAL);
	rte_tel_data_start_array(tx, RTE_TEL_U64_VAL);
	for (p = 0; p < dp->n_ports; p++) {
		uint64_t r, t;

		dp_port_totals(dp, p, &r, &t);
		rte_tel_data_add_array_string(names, dp->ports[p].prof->name);
		rte_tel_data_add_array_u64(rx, r);
		rte_tel_data_add_array_u64(tx, t);
	}
	rte_tel_data_add_dict_container(d, "name", names, 0);
	rte_tel_data_add_dict_container(d, "rx", rx, 0);
	rte_tel_data_add_dict_container(d, "tx", tx, 0);
	return 0;
}

/* /edgeplane/port,NAME: one port's counters, its NIC's and its XDP program's. */
static int
tel_port_locked(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct dp *dp = tel_dp;
	const struct dp_port *p = NULL;
	struct rte_eth_stats es;
	char mac[RTE_ETHER_ADDR_FMT_SIZE];
	uint64_t rx, tx;
	unsigned int i;

	for (i = 0; params != NULL && i < dp->n_ports; i++)
		if (strcmp(dp->ports[i].prof->name, params) == 0)
			p = &dp->ports[i];
	if (p == NULL)
		return -EINVAL;
	dp_port_totals(dp, (unsigned int)(p - dp->ports), &rx, &tx);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "name", p->prof->name);
	rte_tel_data_add_dict_string(d, "mode", prof_port_mode_name(p->prof->mode));
	rte_tel_data_add_dict_string(d, "device", p->prof->device);
	rte_ether_format_addr(mac, sizeof(mac), &p->mac);
	rte_tel_data_add_dict_string(d, "mac", mac);
	rte_tel_data_add_dict_u64(d, "port_id", p->port_id);
	rte_tel_data_add_dict_u64(d, "rx_queues", p->n_rxq);
	rte_tel_data_add_dict_u64(d, "tx_queues", p->n_txq);
	rte_tel_data_add_dict_u64(d, "rx", rx);
	rte_tel_data_add_dict_u64(d, "tx", tx);
	if (rte_eth_stats_get(p->port_id, &es) == 0) {
		rte_tel_data_add_dict_u64(d, "nic_ipackets", es.ipackets);
		rte_tel_data_add_dict_u64(d, "nic_opackets", es.opackets);
		rte_tel_data_add_dict_u64(d, "nic_imissed", es.imissed);
		rte_tel_data_add_dict_u64(d, "nic_ierrors", es.ierrors);
		rte_tel_data_add_dict_u64(d, "nic_oerrors", es.oerrors);
		rte_tel_data_add_dict_u64(d, "nic_rx_nombuf", es.rx_nombuf);
	}
	if (p->has_tap)
		rte_tel_data_add_dict_string(d, "exception_tap", p->tap_name);
	if (p->xdp != NULL) {
		uint64_t xs[EDGE_XDP_STAT_MAX];

		if (dp_xdp_stats(p->xdp, xs) == 0)
			for (i = 0; i < EDGE_XDP_STAT_MAX; i++) {
				char k[64];

				snprintf(k, sizeof(k), "xdp_%s", xdp_stat_names[i]);
				rte_tel_data_add_dict_u64(d, k, xs[i]);
			}
	}
	return 0;
}

static int
tel_neigh_locked(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct dp_neigh_stats st;

	dp_neigh_get_stats(tel_dp, &st);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "entries", st.entries);
	rte_tel_data_add_dict_u64(d, "learned", st.learned);
	rte_tel_data_add_dict_u64(d, "requests", st.requests);
	rte_tel_data_add_dict_u64(d, "held", st.held);
	rte_tel_data_add_dict_u64(d, "released", st.released);
	rte_tel_data_add_dict_u64(d, "hold_drops", st.hold_drops);
	rte_tel_data_add_dict_u64(d, "unresolved", st.unresolved);
	rte_tel_data_add_dict_u64(d, "probes", st.probes);
	rte_tel_data_add_dict_u64(d, "aged", st.aged);
	return 0;
}

static void
neigh_entry(
	void *arg, unsigned int pidx, const struct pkt_addr *a, const uint8_t *mac, bool is_static)
{
	struct rte_tel_data *list = arg;
	char ip[PKT_ADDR_STRLEN], line[128];

	pkt_addr_format(a, ip, sizeof(ip));
	if (mac != NULL)
		snprintf(line, sizeof(line), "%s %s %02x:%02x:%02x:%02x:%02x:%02x %s",
			tel_dp->ports[pidx].prof->name, ip, mac[0], mac[1], mac[2], mac[3], mac[4],
			mac[5], is_static ? "static" : "learned");
	else
		snprintf(line, sizeof(line), "%s %s - incomplete", tel_dp->ports[pidx].prof->name,
			ip);
	rte_tel_data_add_array_string(list, line);
}

/* /edgeplane/neigh_table: "PORT ADDRESS MAC static|learned" or "PORT ADDRESS - incomplete". */
static int
tel_neigh_table_locked(const char *cmd, const char *params, struct rte_tel_data *d)
{
	rte_tel_data_start_array(d, RTE_TEL_STRING_VAL);
	dp_neigh_walk(tel_dp, neigh_entry, d);
	return 0;
}

/* An array of one kind in a dict, or NULL (then the key is left out). */
static struct rte_tel_data *
tel_array(enum rte_tel_value_type type)
{
	struct rte_tel_data *a = rte_tel_data_alloc();

	if (a != NULL)
		rte_tel_data_start_array(a, type);
	return a;
}

static void
tel_add_array(struct rte_tel_data *d, const char *name, struct rte_tel_data *a)
{
	if (a != NULL && rte_tel_data_add_dict_container(d, name, a, 0) != 0)
		rte_tel_data_free(a);
}

/*
 * /edgeplane/services: one array per field, indexed alike (this DPDK's
 * telemetry has no dicts inside dicts).  Read from the configuration the
 * main lcore keeps, never from the RCU table: this thread is no RCU
 * reader.  Names are copied bounded in case a future reconfiguration
 * rewrites one under us.
 */
enum tel_svc_field {
	TEL_SVC_SERVERS,
	TEL_SVC_UP,
	TEL_SVC_CONNS,
	TEL_SVC_ACTIVE,
	TEL_SVC_PKTS_IN,
	TEL_SVC_BYTES_IN,
	TEL_SVC_PKTS_OUT,
	TEL_SVC_BYTES_OUT,
	TEL_SVC_U64_MAX
};

static int
tel_services_locked(const char *cmd, const char *params, struct rte_tel_data *d)
{
	static const char *const u64_names[TEL_SVC_U64_MAX] = {"servers", "servers_up", "conns",
		"active", "pkts_in", "bytes_in", "pkts_out", "bytes_out"};
	const struct dp *dp = tel_dp;
	const struct dp_lb *lb = dp->lb;
	struct rte_tel_data *name = tel_array(RTE_TEL_STRING_VAL),
			    *vip = tel_array(RTE_TEL_STRING_VAL),
			    *sched = tel_array(RTE_TEL_STRING_VAL),
			    *fwd = tel_array(RTE_TEL_STRING_VAL), *u64[TEL_SVC_U64_MAX],
			    *drops[DP_LB_SD_MAX];
	unsigned int i, f;

	rte_tel_data_start_dict(d);
	for (f = 0; f < TEL_SVC_U64_MAX; f++)
		u64[f] = tel_array(RTE_TEL_U64_VAL);
	for (f = 0; f < DP_LB_SD_MAX; f++)
		drops[f] = tel_array(RTE_TEL_U64_VAL);
	for (i = 0; lb != NULL && i < lb->n_services; i++) {
		const struct prof_service *ps = &lb->cfg[i].ps;
		struct dp_lb_svc_view v;
		char a[PKT_ADDR_STRLEN], ep[RTE_TEL_MAX_STRING_LEN], n[PROF_NAME_MAX];
		uint64_t val[TEL_SVC_U64_MAX];

		if (!lb->cfg[i].used)
			continue;
		dp_lb_svc_view(dp, i, &v);
		snprintf(n, sizeof(n), "%.*s", PROF_NAME_MAX - 1, ps->name);
		pkt_addr_format(&ps->listen.addr, a, sizeof(a));
		if (ps->listen.port_hi != ps->listen.port)
			snprintf(ep, sizeof(ep),
				ps->listen.addr.family == AF_INET6 ? "[%s]:%u-%u/%s"
								   : "%s:%u-%u/%s",
				a, ps->listen.port, ps->listen.port_hi,
				ps->listen.proto == IPPROTO_UDP ? "udp" : "tcp");
		else
			snprintf(ep, sizeof(ep),
				ps->listen.addr.family == AF_INET6 ? "[%s]:%u/%s" : "%s:%u/%s", a,
				ps->listen.port, ps->listen.proto == IPPROTO_UDP ? "udp" : "tcp");
		if (name != NULL)
			rte_tel_data_add_array_string(name, n);
		if (vip != NULL)
			rte_tel_data_add_array_string(vip, ep);
		if (sched != NULL)
			rte_tel_data_add_array_string(sched, prof_sched_name(ps->scheduler));
		if (fwd != NULL)
			rte_tel_data_add_array_string(fwd, prof_fwd_name(ps->forwarding));
		val[TEL_SVC_SERVERS] = v.n_servers;
		val[TEL_SVC_UP] = v.n_up;
		val[TEL_SVC_CONNS] = v.c.conns;
		val[TEL_SVC_ACTIVE] = v.active;
		val[TEL_SVC_PKTS_IN] = v.c.pkts_in;
		val[TEL_SVC_BYTES_IN] = v.c.bytes_in;
		val[TEL_SVC_PKTS_OUT] = v.c.pkts_out;
		val[TEL_SVC_BYTES_OUT] = v.c.bytes_out;
		for (f = 0; f < TEL_SVC_U64_MAX; f++)
			if (u64[f] != NULL)
				rte_tel_data_add_array_u64(u64[f], val[f]);
		for (f = 0; f < DP_LB_SD_MAX; f++)
			if (drops[f] != NULL)
				rte_tel_data_add_array_u64(drops[f], v.c.drops[f]);
	}
	tel_add_array(d, "name", name);
	tel_add_array(d, "vip", vip);
	tel_add_array(d, "scheduler", sched);
	tel_add_array(d, "forwarding", fwd);
	for (f = 0; f < TEL_SVC_U64_MAX; f++)
		tel_add_array(d, u64_names[f], u64[f]);
	for (f = 0; f < DP_LB_SD_MAX; f++) {
		char k[64];

		snprintf(k, sizeof(k), "drop_%s", dp_lb_svc_drop_name(f));
		tel_add_array(d, k, drops[f]);
	}
	return 0;
}

/* Run a callback only while the dataplane is there to be read. */
#define DP_TEL_WRAP(fn)                                                            \
	static int fn(const char *cmd, const char *params, struct rte_tel_data *d) \
	{                                                                          \
		int ret = -ENODEV;                                                 \
                                                                                   \
		pthread_mutex_lock(&tel_lock);                                     \
		if (tel_dp != NULL)                                                \
			ret = fn##_locked(cmd, params, d);                         \
		pthread_mutex_unlock(&tel_lock);                                   \
		return ret;                                                        \
	}
DP_TEL_WRAP(tel_stats)
DP_TEL_WRAP(tel_drops)
DP_TEL_WRAP(tel_workers)
DP_TEL_WRAP(tel_ports)
DP_TEL_WRAP(tel_port)
DP_TEL_WRAP(tel_neigh)
DP_TEL_WRAP(tel_neigh_table)
DP_TEL_WRAP(tel_services)

/* The load balancer as a whole: live connections and table room, the
 * persistence table, the configuration epoch. */
static int
tel_lb_locked(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct dp *dp = tel_dp;
	const struct dp_lb *lb = dp->lb;
	uint64_t conns = 0, cap = 0;
	unsigned int i;

	rte_tel_data_start_dict(d);
	if (lb == NULL)
		return 0;
	for (i = 0; i < dp->n_workers; i++) {
		const struct lb_conn_table *ct = __atomic_load_n(&lb->w[i]->ct, __ATOMIC_ACQUIRE);

		if (ct != NULL) {
			conns += lb_conn_count(ct);
			cap += lb_conn_capacity(ct);
		}
	}
	rte_tel_data_add_dict_u64(d, "connections", conns);
	rte_tel_data_add_dict_u64(d, "capacity", cap);
	rte_tel_data_add_dict_u64(d, "persistence_entries", dp_lb_persist_count(dp));
	rte_tel_data_add_dict_u64(d, "persistence_updates", lb->persist_events);
	rte_tel_data_add_dict_u64(d, "persistence_lost", lb->persist_lost);
	rte_tel_data_add_dict_u64(d, "epoch", lb->epoch);
	return 0;
}
DP_TEL_WRAP(tel_lb)

void
dp_telemetry_unregister(void)
{
	pthread_mutex_lock(&tel_lock);
	tel_dp = NULL;
	pthread_mutex_unlock(&tel_lock);
}

int
dp_telemetry_register(struct dp *dp)
{
	int ret = 0;

	pthread_mutex_lock(&tel_lock);
	tel_dp = dp;
	pthread_mutex_unlock(&tel_lock);
	ret |= rte_telemetry_register_cmd(
		"/edgeplane/stats", tel_stats, "Dataplane totals. Takes no parameters");
	ret |= rte_telemetry_register_cmd(
		"/edgeplane/drops", tel_drops, "Dropped packets by reason. Takes no parameters");
	ret |= rte_telemetry_register_cmd("/edgeplane/workers", tel_workers,
		"Per-worker counters, one array per counter. Takes no parameters");
	ret |= rte_telemetry_register_cmd(
		"/edgeplane/ports", tel_ports, "Port names and packet counts. Takes no parameters");
	ret |= rte_telemetry_register_cmd(
		"/edgeplane/port", tel_port, "One port's counters. Parameters: port name");
	ret |= rte_telemetry_register_cmd(
		"/edgeplane/neigh", tel_neigh, "Next-hop table counters. Takes no parameters");
	ret |= rte_telemetry_register_cmd("/edgeplane/neigh_table", tel_neigh_table,
		"Next-hop table entries. Takes no parameters");
	ret |= rte_telemetry_register_cmd("/edgeplane/lb", tel_lb,
		"Load balancer: live connections, capacity, persistence entries, epoch");
	ret |= rte_telemetry_register_cmd("/edgeplane/services", tel_services,
		"Virtual services and their counters, one array per field. Takes no parameters");
	return ret == 0 ? 0 : -EINVAL;
}

void
dp_stats_print(struct dp *dp, FILE *f)
{
	struct dp_totals t;
	unsigned int i, r;

	dp_totals_get(dp, &t);
	fprintf(f, "edge-dataplane counters\n");
	fprintf(f, "  %-14s %14s %14s\n", "port", "rx", "tx");
	for (i = 0; i < dp->n_ports; i++) {
		uint64_t rx, tx;

		dp_port_totals(dp, i, &rx, &tx);
		fprintf(f, "  %-14s %14" PRIu64 " %14" PRIu64 "\n", dp->ports[i].prof->name, rx,
			tx);
	}
	fprintf(f, "  %-8s %12s %12s %12s %12s %12s\n", "worker", "rx", "tx", "handoff_out",
		"handoff_in", "idle_sleeps");
	for (i = 0; i < dp->n_workers; i++) {
		const struct dp_wstats *s = &dp->workers[i]->st;

		fprintf(f,
			"  %-8u %12" PRIu64 " %12" PRIu64 " %12" PRIu64 " %12" PRIu64 " %12" PRIu64
			"\n",
			i, s->rx, s->tx, s->handoff_out, s->handoff_in, s->idle_sleeps);
	}
	fprintf(f,
		"  replies: arp %" PRIu64 ", nd %" PRIu64 ", echo %" PRIu64 "; to kernel %" PRIu64
		", from kernel %" PRIu64 "\n",
		t.arp_replies, t.nd_replies, t.echo_replies, t.punted, dp->main.exception_rx);
	fprintf(f, "  drops: %" PRIu64 "\n", t.drops_total);
	for (r = 0; r < DP_DROP_MAX; r++)
		if (t.drops[r] != 0)
			fprintf(f, "    %-28s %12" PRIu64 "\n", dp_drop_name(r), t.drops[r]);
	for (i = 0; i < dp->n_ports; i++) {
		uint64_t xs[EDGE_XDP_STAT_MAX];

		if (dp->ports[i].xdp == NULL || dp_xdp_stats(dp->ports[i].xdp, xs) != 0)
			continue;
		fprintf(f, "  xdp %s:", dp->ports[i].prof->name);
		for (r = 0; r < EDGE_XDP_STAT_MAX; r++)
			fprintf(f, " %s %" PRIu64, xdp_stat_names[r], xs[r]);
		fputc('\n', f);
	}
}
