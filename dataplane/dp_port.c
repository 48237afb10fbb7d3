/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ports: turning `[port NAME]` sections into started DPDK ports.
 *
 * pmd mode: `device =` is a PCI address (probed if EAL has not already)
 * or a full vdev spec ("net_pcap0,rx_pcap=in.pcap"), created after EAL
 * init so the profile alone describes the box.  xdp mode: the interface
 * is opened with net_af_xdp on the given queues, with Edgeplane's own XDP
 * program; a stale Edgeplane program is replaced first and anybody
 * else's is refused.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>

#include <rte_bus_vdev.h>
#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>

#include "dp.h"
#include "dp_lb.h"
#include "dp_netlink.h"
#include "dp_xdp.h"

#define DP_RX_DESC 1024
#define DP_TX_DESC 1024

/* "0000:3b:00.0" or "3b:00.0" */
static bool
is_pci_addr(const char *s)
{
	unsigned int dom, bus, dev, fn;
	char tail;

	return sscanf(s, "%x:%x:%x.%x%c", &dom, &bus, &dev, &fn, &tail) == 4 ||
		sscanf(s, "%x:%x.%x%c", &bus, &dev, &fn, &tail) == 3;
}

/* Number of receive queues the kernel interface has (xdp: "all"). */
static unsigned int
netdev_rx_queues(const char *ifname)
{
	char path[128];
	struct dirent *de;
	unsigned int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/class/net/%s/queues", ifname);
	d = opendir(path);
	if (d == NULL)
		return 1;
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, "rx-", 3) == 0)
			n++;
	closedir(d);
	return n == 0 ? 1 : n;
}

/* Queues a port will have: its xdp queue range, else one per worker. */
static unsigned int
port_queues(const struct dp *dp, const struct prof_port *pp)
{
	unsigned int q = dp->n_workers;

	if (pp->mode == PROF_PORT_XDP)
		q = pp->queues_set ? (unsigned int)(pp->queue_last - pp->queue_first + 1)
				   : netdev_rx_queues(pp->device);
	return q < DP_MAX_QUEUES ? q : DP_MAX_QUEUES;
}

unsigned int
dp_ports_mbufs_needed(const struct dp *dp)
{
	unsigned int i, n = 0;

	for (i = 0; i < dp->prof->n_ports; i++) {
		const struct prof_port *pp = &dp->prof->ports[i];

		n += port_queues(dp, pp) * (DP_RX_DESC + DP_TX_DESC);
		if (pp->mode == PROF_PORT_PMD)
			n += dp->n_workers * 2 * DP_TAP_DESC;
	}
	return n;
}

static int
open_pmd(struct dp *dp, struct dp_port *p, char *err, size_t errlen)
{
	const char *dev = p->prof->device;
	char name[RTE_DEV_NAME_MAX_LEN];
	const char *comma;
	int ret;

	if (is_pci_addr(dev)) {
		if (rte_eth_dev_get_port_by_name(dev, &p->port_id) == 0)
			return 0;
		ret = rte_dev_probe(dev);
		if (ret < 0) {
			snprintf(err, errlen, "cannot probe PCI device %s: %s (bound to vfio-pci?)",
				dev, rte_strerror(-ret));
			return ret;
		}
		snprintf(name, sizeof(name), "%s", dev);
	} else {
		comma = strchr(dev, ',');
		snprintf(name, sizeof(name), "%.*s",
			(int)(comma != NULL ? (size_t)(comma - dev) : strlen(dev)), dev);
		ret = rte_vdev_init(name, comma != NULL ? comma + 1 : "");
		if (ret < 0) {
			snprintf(err, errlen, "cannot create device '%s': %s", dev,
				rte_strerror(-ret));
			return ret;
		}
	}
	if (rte_eth_dev_get_port_by_name(name, &p->port_id) != 0) {
		snprintf(err, errlen, "device '%s' is not an ethernet port", name);
		return -ENODEV;
	}
	(void)dp;
	return 0;
}

/*
 * Neighbour solicitations for an owned IPv6 address go to its
 * solicited-node group; a NIC filters multicast it was not told about.
 * In xdp mode the kernel owns the NIC's filter, so join the groups there
 * (the kernel does not have the addresses, so it never joins them).
 */
static void
join_solicited_nodes(const struct prof_port *pp, bool join)
{
	struct ifreq ifr;
	unsigned int i;
	int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	/* The loader holds xdp device names to IFNAMSIZ - 1. */
	if (fd < 0 || strlen(pp->device) >= sizeof(ifr.ifr_name)) {
		if (fd >= 0)
			close(fd);
		return;
	}
	for (i = 0; i < pp->n_addresses; i++) {
		const struct pkt_addr *a = &pp->addresses[i].addr;

		if (a->family != AF_INET6)
			continue;
		memset(&ifr, 0, sizeof(ifr));
		memcpy(ifr.ifr_name, pp->device, strlen(pp->device) + 1);
		ifr.ifr_hwaddr.sa_family = AF_UNSPEC;
		ifr.ifr_hwaddr.sa_data[0] = 0x33;
		ifr.ifr_hwaddr.sa_data[1] = 0x33;
		ifr.ifr_hwaddr.sa_data[2] = (char)0xff;
		memcpy(&ifr.ifr_hwaddr.sa_data[3], &a->v6[13], 3);
		if (ioctl(fd, join ? SIOCADDMULTI : SIOCDELMULTI, &ifr) != 0 && join)
			DP_LOG(WARNING,
				"port %s: cannot join the solicited-node group of an "
				"owned address on %s: %s",
				pp->name, pp->device, strerror(errno));
	}
	close(fd);
}

static int
open_xdp(struct dp *dp, struct dp_port *p, char *err, size_t errlen)
{
	const struct prof_port *pp = p->prof;
	char name[RTE_DEV_NAME_MAX_LEN], args[512];
	unsigned int first, count, i;
	int ret;

	ret = dp_xdp_prepare(pp->device, err, errlen);
	if (ret < 0)
		return ret;
	if (ret == 1)
		DP_LOG(WARNING, "port %s: replaced a stale Edgeplane XDP program on %s", pp->name,
			pp->device);
	p->ifindex = (int)if_nametoindex(pp->device);
	/* Addresses the dataplane owns must not also be the kernel's: two
	 * stacks answering for one address is a silent disaster. */
	for (i = 0; i < pp->n_addresses; i++) {
		char a[PKT_ADDR_STRLEN];

		if (dp_nl_addr_present(p->ifindex, &pp->addresses[i].addr) == 1) {
			snprintf(err, errlen,
				"address %s is configured in the kernel on %s; in xdp mode "
				"`address =` "
				"lines belong to the dataplane (ip addr del %s/%u dev %s)",
				pkt_addr_format(&pp->addresses[i].addr, a, sizeof(a)), pp->device,
				a, pp->addresses[i].len, pp->device);
			return -EADDRINUSE;
		}
	}
	join_solicited_nodes(pp, true);
	if (pp->queues_set) {
		first = pp->queue_first;
		count = (unsigned int)(pp->queue_last - pp->queue_first + 1);
	} else {
		first = 0;
		count = netdev_rx_queues(pp->device);
	}
	if (count > DP_MAX_QUEUES)
		count = DP_MAX_QUEUES;
	snprintf(name, sizeof(name), "net_af_xdp_%s", pp->name);
	/* busy_budget=0: preferred busy polling needs sysctls a test box
	 * does not have; the workers poll anyway. */
	snprintf(args, sizeof(args),
		"iface=%s,start_queue=%u,queue_count=%u,xdp_prog=%s,busy_budget=0", pp->device,
		first, count, dp_xdp_prog_path());
	DP_LOG(INFO, "port %s: %s %s", pp->name, name, args);
	ret = rte_vdev_init(name, args);
	if (ret < 0) {
		join_solicited_nodes(pp, false);
		snprintf(err, errlen, "cannot open %s with net_af_xdp: %s", pp->device,
			rte_strerror(-ret));
		return ret;
	}
	if (rte_eth_dev_get_port_by_name(name, &p->port_id) != 0) {
		snprintf(err, errlen, "net_af_xdp port for %s not found", pp->device);
		return -ENODEV;
	}
	(void)dp;
	return 0;
}

/* Any fixed key: what matters is that it never changes under a flow. */
static uint8_t rss_key[40] = {
	0x6d,
	0x5a,
	0x56,
	0xda,
	0x25,
	0x5b,
	0x0e,
	0xc2,
	0x41,
	0x67,
	0x25,
	0x3d,
	0x43,
	0xa3,
	0x8f,
	0xb0,
	0xd0,
	0xca,
	0x2b,
	0xcb,
	0xae,
	0x7b,
	0x30,
	0xb4,
	0x77,
	0xcb,
	0x2d,
	0xa3,
	0x80,
	0x30,
	0xf2,
	0x0c,
	0x6a,
	0x42,
	0xb7,
	0x3b,
	0xbe,
	0xac,
	0x01,
	0xfa,
};

/*
 * RSS on the client (source) address, where the NIC can: then the queue
 * a packet arrives on is already its owner's.  Only when one queue per
 * worker exists and the NIC's RETA is a multiple of ours, so the NIC's
 * choice and dp->reta agree; otherwise ownership is done in software.
 */
static void
rss_configure(const struct dp *dp, struct dp_port *p, const struct rte_eth_dev_info *info,
	struct rte_eth_conf *conf)
{
	uint64_t hf = info->flow_type_rss_offloads;

	p->hw_rss = false;
	if (p->n_rxq != dp->n_workers || dp->n_workers < 2 || info->reta_size < DP_RETA_SIZE ||
		(info->reta_size & (info->reta_size - 1)) != 0 || !(hf & RTE_ETH_RSS_L3_SRC_ONLY) ||
		!(hf & RTE_ETH_RSS_IP))
		return;
	conf->rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
	conf->rx_adv_conf.rss_conf.rss_key = rss_key;
	conf->rx_adv_conf.rss_conf.rss_key_len = sizeof(rss_key);
	conf->rx_adv_conf.rss_conf.rss_hf = (hf & RTE_ETH_RSS_IP) | RTE_ETH_RSS_L3_SRC_ONLY;
	p->hw_rss = true;
}

/* Program the NIC's indirection table from dp->reta (queue w = worker w). */
static int
rss_reta_program(const struct dp *dp, struct dp_port *p)
{
	struct rte_eth_rss_reta_entry64 reta[512 / RTE_ETH_RETA_GROUP_SIZE];
	struct rte_eth_dev_info info;
	unsigned int i;

	if (!p->hw_rss || rte_eth_dev_info_get(p->port_id, &info) != 0 || info.reta_size > 512)
		return p->hw_rss ? -ENOTSUP : 0;
	memset(reta, 0, sizeof(reta));
	for (i = 0; i < info.reta_size; i++) {
		reta[i / RTE_ETH_RETA_GROUP_SIZE].mask |= 1ULL << (i % RTE_ETH_RETA_GROUP_SIZE);
		reta[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE] =
			dp->reta[i & (DP_RETA_SIZE - 1)];
	}
	return rte_eth_dev_rss_reta_update(p->port_id, reta, info.reta_size);
}

static unsigned int
min3(unsigned int a, unsigned int b, unsigned int c)
{
	unsigned int m = a < b ? a : b;

	return m < c ? m : c;
}

static int
configure(struct dp *dp, struct dp_port *p, char *err, size_t errlen)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	uint16_t nrx = DP_RX_DESC, ntx = DP_TX_DESC, q;
	int ret;

	ret = rte_eth_dev_info_get(p->port_id, &info);
	if (ret != 0) {
		snprintf(err, errlen, "dev_info: %s", rte_strerror(-ret));
		return ret;
	}
	p->n_rxq = (uint16_t)min3(dp->n_workers, info.max_rx_queues, DP_MAX_QUEUES);
	p->n_txq = (uint16_t)min3(dp->n_workers, info.max_tx_queues, DP_MAX_QUEUES);
	if (p->prof->mode == PROF_PORT_XDP) {
		/* AF_XDP pairs each RX queue with its TX queue, and every
		 * queue given to us must be polled. */
		p->n_rxq = (uint16_t)min3(info.max_rx_queues, info.max_tx_queues, DP_MAX_QUEUES);
		p->n_txq = p->n_rxq;
	}
	memset(&conf, 0, sizeof(conf));
	rss_configure(dp, p, &info, &conf);
	ret = rte_eth_dev_configure(p->port_id, p->n_rxq, p->n_txq, &conf);
	if (ret != 0) {
		snprintf(err, errlen, "configure %u rx / %u tx queues: %s", p->n_rxq, p->n_txq,
			rte_strerror(-ret));
		return ret;
	}
	rte_eth_dev_adjust_nb_rx_tx_desc(p->port_id, &nrx, &ntx);
	for (q = 0; q < p->n_rxq; q++) {
		ret = rte_eth_rx_queue_setup(
			p->port_id, q, nrx, rte_eth_dev_socket_id(p->port_id), NULL, dp->pool);
		if (ret != 0) {
			snprintf(err, errlen, "rx queue %u: %s", q, rte_strerror(-ret));
			return ret;
		}
	}
	for (q = 0; q < p->n_txq; q++) {
		ret = rte_eth_tx_queue_setup(
			p->port_id, q, ntx, rte_eth_dev_socket_id(p->port_id), NULL);
		if (ret != 0) {
			snprintf(err, errlen, "tx queue %u: %s", q, rte_strerror(-ret));
			return ret;
		}
	}
	rte_eth_macaddr_get(p->port_id, &p->mac);
	/* pmd mode: the dataplane answers ND itself, so solicitations to any
	 * solicited-node group must get through the NIC's filter. */
	if (p->prof->mode == PROF_PORT_PMD && rte_eth_allmulticast_enable(p->port_id) != 0)
		DP_LOG(DEBUG, "port %s: no all-multicast mode", p->prof->name);
	return 0;
}

int
dp_ports_open(struct dp *dp)
{
	char err[512];
	unsigned int i;
	int ret;

	for (i = 0; i < RTE_MAX_ETHPORTS; i++)
		dp->port_index[i] = UINT16_MAX;
	for (i = 0; i < dp->prof->n_ports; i++) {
		struct dp_port *p = &dp->ports[i];

		p->prof = &dp->prof->ports[i];
		err[0] = '\0';
		if (p->prof->mode == PROF_PORT_XDP)
			ret = open_xdp(dp, p, err, sizeof(err));
		else
			ret = open_pmd(dp, p, err, sizeof(err));
		if (ret == 0) {
			/* Counted as soon as it exists, so a later failure
			 * still closes it (and detaches its XDP program). */
			dp->port_index[p->port_id] = (uint16_t)i;
			dp->n_ports = i + 1;
			ret = configure(dp, p, err, sizeof(err));
		}
		if (ret < 0) {
			DP_LOG(ERR, "%s:%u: [port %s] %s", dp->prof->file, p->prof->line,
				p->prof->name, err);
			return ret;
		}
		if (p->prof->mode == PROF_PORT_PMD) {
			ret = dp_exception_open(dp, p, i);
			if (ret < 0)
				return ret;
		}
	}
	return 0;
}

int
dp_ports_start(struct dp *dp)
{
	char err[512], mac[RTE_ETHER_ADDR_FMT_SIZE];
	unsigned int i, a;
	int ret;

	for (i = 0; i < dp->n_ports; i++) {
		struct dp_port *p = &dp->ports[i];

		ret = rte_eth_dev_start(p->port_id);
		if (ret != 0) {
			DP_LOG(ERR, "[port %s] start: %s", p->prof->name, rte_strerror(-ret));
			return ret;
		}
		p->up = true;
		if (rss_reta_program(dp, p) != 0) {
			DP_LOG(WARNING,
				"[port %s] RSS indirection table not programmed; "
				"flow ownership falls back to software",
				p->prof->name);
			p->hw_rss = false;
		}
		rte_ether_format_addr(mac, sizeof(mac), &p->mac);
		DP_LOG(INFO, "port %s: %s %s, mac %s, %u rx / %u tx queues, flow ownership by %s",
			p->prof->name, prof_port_mode_name(p->prof->mode), p->prof->device, mac,
			p->n_rxq, p->n_txq, p->hw_rss ? "NIC RSS" : "software handoff");
		if (p->prof->mode == PROF_PORT_XDP) {
			ret = dp_xdp_open(p->prof->device, &p->xdp, err, sizeof(err));
			if (ret < 0) {
				DP_LOG(ERR, "[port %s] %s", p->prof->name, err);
				return ret;
			}
			for (a = 0; a < p->prof->n_addresses; a++) {
				ret = dp_xdp_local_add(p->xdp, &p->prof->addresses[a].addr);
				if (ret < 0) {
					DP_LOG(ERR, "[port %s] XDP address map: %s", p->prof->name,
						strerror(-ret));
					return ret;
				}
			}
		} else if (p->has_tap) {
			ret = dp_exception_setup_kernel(dp, p);
			if (ret < 0)
				return ret;
		}
	}
	return 0;
}

void
dp_ports_close(struct dp *dp)
{
	unsigned int i;

	for (i = 0; i < dp->n_ports; i++) {
		struct dp_port *p = &dp->ports[i];

		if (p->xdp != NULL) {
			dp_xdp_close(p->xdp);
			p->xdp = NULL;
		}
		if (p->up)
			rte_eth_dev_stop(p->port_id);
		rte_eth_dev_close(p->port_id);
		if (p->has_tap) {
			rte_eth_dev_stop(p->tap_port_id);
			rte_eth_dev_close(p->tap_port_id);
		}
		/* The PMD detaches its program on close; make sure, since a
		 * stale program would steer traffic into a dead socket. */
		if (p->prof->mode == PROF_PORT_XDP) {
			dp_xdp_detach(p->prof->device);
			join_solicited_nodes(p->prof, false);
		}
		p->up = false;
	}
}

/* A port whose IPv4 addresses are all /32 and that has no gateway can
 * answer nobody: every reply would be dropped as no_route.  Say so. */
static void
warn_unroutable(const struct prof_port *pp)
{
	unsigned int a, n4 = 0, host4 = 0;

	for (a = 0; a < pp->n_addresses; a++) {
		if (pp->addresses[a].addr.family != AF_INET)
			continue;
		n4++;
		host4 += pp->addresses[a].len == 32;
	}
	if (n4 != 0 && n4 == host4 && !pp->has_gateway)
		DP_LOG(WARNING,
			"port %s: every IPv4 address is a /32 and there is no gateway: "
			"replies will be dropped as no_route (give the on-link prefix "
			"length, e.g. address = A.B.C.D/24, or gateway =)",
			pp->name);
}

/* The VIPs and SNAT addresses on port pidx, as host addresses (/32, /128). */
static int
add_lb_addrs(const struct dp *dp, unsigned int pidx, struct dp_local_port *lp)
{
	struct pkt_addr a[DP_LOCAL_MAX];
	uint8_t kind[DP_LOCAL_MAX];
	int n = dp_lb_local_addrs(dp, pidx, a, kind, DP_LOCAL_MAX), k;

	for (k = 0; k < n; k++) {
		if (a[k].family == AF_INET) {
			if (lp->n4 == DP_LOCAL_MAX)
				goto full;
			lp->v4[lp->n4] = a[k].v4;
			lp->v4_mask[lp->n4] = UINT32_MAX;
			lp->v4_kind[lp->n4++] = kind[k];
		} else {
			if (lp->n6 == DP_LOCAL_MAX)
				goto full;
			memcpy(lp->v6[lp->n6], a[k].v6, 16);
			lp->v6_len[lp->n6] = 128;
			lp->v6_kind[lp->n6++] = kind[k];
		}
	}
	if (n < DP_LOCAL_MAX)
		return 0;
full:
	DP_LOG(ERR, "port %s: more than %u addresses with the VIPs and SNAT pools on it",
		dp->ports[pidx].prof->name, DP_LOCAL_MAX);
	return -ENOSPC;
}

static struct dp_local *
local_from_profile(const struct dp *dp)
{
	struct dp_local *l = rte_zmalloc("ep_local", sizeof(*l), RTE_CACHE_LINE_SIZE);
	unsigned int i, a;

	if (l == NULL)
		return NULL;
	for (i = 0; i < dp->n_ports; i++) {
		const struct prof_port *pp = dp->ports[i].prof;
		struct dp_local_port *lp = &l->port[i];

		warn_unroutable(pp);
		for (a = 0; a < pp->n_addresses; a++) {
			const struct prof_cidr *c = &pp->addresses[a];

			if (c->addr.family == AF_INET) {
				lp->v4[lp->n4] = c->addr.v4;
				lp->v4_mask[lp->n4] =
					c->len == 0 ? 0 : rte_cpu_to_be_32(~0u << (32 - c->len));
				lp->v4_kind[lp->n4] = DP_ADDR_PORT;
				lp->n4++;
			} else {
				memcpy(lp->v6[lp->n6], c->addr.v6, 16);
				lp->v6_len[lp->n6] = c->len;
				lp->v6_kind[lp->n6] = DP_ADDR_PORT;
				lp->n6++;
			}
		}
		if (add_lb_addrs(dp, i, lp) != 0) {
			rte_free(l);
			return NULL;
		}
		lp->has_gw4 = pp->has_gateway;
		lp->gw4 = pp->gateway.v4;
		lp->has_gw6 = pp->has_gateway6;
		memcpy(lp->gw6, pp->gateway6.v6, 16);
	}
	return l;
}

/* Build the owned-address table and publish it (RCU: the old one is
 * freed only after every worker has passed a quiescent point). */
int
dp_local_build(struct dp *dp)
{
	struct dp_local *l = local_from_profile(dp), *old;

	if (l == NULL)
		return -ENOMEM;
	old = __atomic_exchange_n(&dp->local, l, __ATOMIC_RELEASE);
	if (old != NULL) {
		rte_rcu_qsbr_synchronize(dp->qsbr, RTE_QSBR_THRID_INVALID);
		rte_free(old);
	}
	return 0;
}
