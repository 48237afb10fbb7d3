/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The exception path of a pmd-mode port: a net_tap interface that carries
 * the port's MAC and addresses, so processes on the box (edge-control's
 * SIP, TURN and HTTPS listeners, health checks) can use the port's address
 * through ordinary sockets.  Workers write what is for local services into
 * the tap (one queue each); the main lcore reads what the kernel sends,
 * woken by the tap's receive interrupt, and transmits it through a worker.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include <rte_bus_vdev.h>
#include <rte_ethdev.h>

#include "dp.h"
#include "dp_netlink.h"

/*
 * The kernel would give the tap an IPv6 link-local address of its own and
 * send router solicitations and DAD from it, but the dataplane owns only
 * the profile's addresses and would drop the answers: no link-local.
 */
static void
no_link_local(const char *ifname)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/addr_gen_mode", ifname);
	f = fopen(path, "w");
	if (f == NULL)
		return; /* IPv6 disabled: nothing to stop */
	fputs("1\n", f);
	fclose(f);
}

int
dp_exception_open(struct dp *dp, struct dp_port *p, unsigned int pidx)
{
	struct rte_eth_conf conf;
	char name[RTE_DEV_NAME_MAX_LEN], args[128], mac[RTE_ETHER_ADDR_FMT_SIZE];
	uint16_t q, n = (uint16_t)dp->n_workers;
	int ret;

	/* Interface names are at most 15 characters. */
	snprintf(p->tap_name, sizeof(p->tap_name), "ep-%.12s", p->prof->name);
	snprintf(name, sizeof(name), "net_tap_ep%u", pidx);
	rte_ether_format_addr(mac, sizeof(mac), &p->mac);
	snprintf(args, sizeof(args), "iface=%s,mac=%s", p->tap_name, mac);
	ret = rte_vdev_init(name, args);
	if (ret < 0) {
		DP_LOG(ERR,
			"%s:%u: [port %s] exception path: cannot create tap %s: %s "
			"(needs /dev/net/tun and CAP_NET_ADMIN)",
			dp->prof->file, p->prof->line, p->prof->name, p->tap_name,
			rte_strerror(-ret));
		return ret;
	}
	if (rte_eth_dev_get_port_by_name(name, &p->tap_port_id) != 0)
		return -ENODEV;
	/* Closed by dp_ports_close from here on, whatever fails next. */
	p->has_tap = true;
	p->n_tapq = n;
	no_link_local(p->tap_name);
	memset(&conf, 0, sizeof(conf));
	conf.intr_conf.rxq = 1;
	ret = rte_eth_dev_configure(p->tap_port_id, n, n, &conf);
	for (q = 0; ret == 0 && q < n; q++) {
		ret = rte_eth_rx_queue_setup(
			p->tap_port_id, q, DP_TAP_DESC, SOCKET_ID_ANY, NULL, dp->pool);
		if (ret == 0)
			ret = rte_eth_tx_queue_setup(
				p->tap_port_id, q, DP_TAP_DESC, SOCKET_ID_ANY, NULL);
	}
	if (ret == 0)
		ret = rte_eth_dev_start(p->tap_port_id);
	if (ret != 0) {
		DP_LOG(ERR, "[port %s] exception tap %s: %s", p->prof->name, p->tap_name,
			rte_strerror(-ret));
		return ret;
	}
	for (q = 0; q < n; q++)
		rte_eth_dev_rx_intr_enable(p->tap_port_id, q);
	dp->port_index[p->tap_port_id] = (uint16_t)pidx;
	return 0;
}

/* Give the kernel side the port's addresses. */
int
dp_exception_setup_kernel(struct dp *dp, struct dp_port *p)
{
	unsigned int a;
	int ret;

	p->tap_ifindex = (int)if_nametoindex(p->tap_name);
	if (p->tap_ifindex == 0)
		return -ENODEV;
	dp_nl_link_set_up(p->tap_ifindex);
	for (a = 0; a < p->prof->n_addresses; a++) {
		const struct prof_cidr *c = &p->prof->addresses[a];

		ret = dp_nl_addr_add(p->tap_ifindex, &c->addr, c->len);
		if (ret < 0 && ret != -EEXIST) {
			char s[PKT_ADDR_STRLEN];

			DP_LOG(ERR, "%s:%u: [port %s] cannot add %s/%u to %s: %s", dp->prof->file,
				c->addr.family ? p->prof->line : 0, p->prof->name,
				pkt_addr_format(&c->addr, s, sizeof(s)), c->len, p->tap_name,
				strerror(-ret));
			return ret;
		}
	}
	DP_LOG(INFO, "port %s: exception path through %s", p->prof->name, p->tap_name);
	return 0;
}

int
dp_exception_fds(struct dp *dp, int *fds, unsigned int max)
{
	unsigned int i, n = 0;
	uint16_t q;

	for (i = 0; i < dp->n_ports; i++) {
		struct dp_port *p = &dp->ports[i];

		if (!p->has_tap)
			continue;
		for (q = 0; q < p->n_tapq && n < max; q++) {
			int fd = rte_eth_dev_rx_intr_ctl_q_get_fd(p->tap_port_id, q);

			if (fd >= 0)
				fds[n++] = fd;
		}
	}
	return (int)n;
}

/* What the kernel sent through the taps goes out of the physical ports. */
void
dp_exception_poll(struct dp *dp)
{
	struct rte_mbuf *pkts[DP_BURST];
	unsigned int i, k;
	uint16_t q, n;

	for (i = 0; i < dp->n_ports; i++) {
		struct dp_port *p = &dp->ports[i];

		if (!p->has_tap)
			continue;
		for (q = 0; q < p->n_tapq; q++) {
			do {
				n = rte_eth_rx_burst(p->tap_port_id, q, pkts, DP_BURST);
				dp->main.exception_rx += n;
				for (k = 0; k < n; k++) {
					/* Ports are not set up for chained TX. */
					if (pkts[k]->nb_segs > 1) {
						dp->main.drops[DP_DROP_MULTISEG]++;
						rte_pktmbuf_free(pkts[k]);
						continue;
					}
					dp_main_tx(dp, i, pkts[k]);
				}
			} while (n == DP_BURST);
		}
	}
}
