/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * edge-dataplane --profile FILE [-- EAL arguments]
 *
 * The main lcore: loads the profile (a bad one exits 2 with the loader's
 * file:line message before EAL starts), brings up EAL, ports and workers,
 * then sleeps in epoll doing management -- learning next hops, resolving
 * them, moving exception-path traffic, answering telemetry -- until
 * SIGINT or SIGTERM, when it stops the workers, prints its counters and
 * detaches everything it attached.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf_dyn.h>
#include <rte_pdump.h>

#include "dp.h"
#include "dp_ctl.h"
#include "dp_eal_args.h"
#include "dp_lb.h"
#include "dp_neigh.h"

#define DP_EXIT_USAGE 2
#define DP_TICK_MS 100
#define DP_MBUF_CACHE 256

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: edge-dataplane --profile FILE [--check] [-- EAL arguments]\n"
		"  --profile FILE  deployment profile (INI)\n"
		"  --check         load and validate the profile, then exit\n"
		"  EAL arguments after -- override those in [dataplane] eal =\n");
}

/* Apply a worker's learn events. */
static unsigned int
drain_events(struct dp *dp, struct dp_worker *w)
{
	struct dp_event ev[DP_BURST];
	unsigned int k, n, total = 0;

	do {
		n = rte_ring_sc_dequeue_burst_elem(w->events, ev, sizeof(ev[0]), DP_BURST, NULL);
		for (k = 0; k < n; k++) {
			struct pkt_addr a = {.family = ev[k].family};

			if (a.family == AF_INET)
				memcpy(&a.v4, ev[k].addr, 4);
			else
				memcpy(a.v6, ev[k].addr, 16);
			if (ev[k].type == DP_EV_LEARN)
				dp_neigh_learn(dp, ev[k].port, &a, ev[k].mac, false);
			else if (ev[k].type == DP_EV_REFRESH)
				dp_neigh_refresh(dp, ev[k].port, &a, ev[k].mac);
			else if (ev[k].type == DP_EV_PERSIST)
				dp_lb_persist_event(dp, &ev[k]);
		}
		total += n;
	} while (n == DP_BURST);
	return total;
}

/*
 * Learn events and held packets from every worker.  A worker queues the
 * learn event of an ARP before the packet that needed it, so events are
 * drained again after each burst of packets is taken and before it is
 * held: the packet then finds its next hop instead of asking again.
 */
static unsigned int
drain_pass(struct dp *dp)
{
	struct rte_mbuf *pkts[DP_BURST];
	unsigned int i, k, n, total = 0;

	for (i = 0; i < dp->n_workers; i++) {
		struct dp_worker *w = dp->workers[i];

		total += drain_events(dp, w);
		do {
			n = rte_ring_sc_dequeue_burst(w->to_main, (void **)pkts, DP_BURST, NULL);
			if (n != 0)
				total += drain_events(dp, w);
			for (k = 0; k < n; k++)
				dp_neigh_hold(dp, pkts[k]);
			total += n;
		} while (n == DP_BURST);
	}
	return total;
}

/*
 * Until a whole pass finds nothing (see dp_wake_main for why), but at
 * most DP_DRAIN_PASSES passes: workers that keep the rings full must not
 * keep the main lcore from signals, the control socket and timers.  When
 * it stops early it wakes itself, so the rest is taken on the next turn
 * of the loop and no wake-up is lost.
 */
#define DP_DRAIN_PASSES 64

static void
drain_workers(struct dp *dp)
{
	uint64_t one = 1;
	unsigned int pass;

	for (pass = 0; pass < DP_DRAIN_PASSES; pass++) {
		rte_atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (drain_pass(dp) == 0)
			return;
	}
	if (write(dp->wake_fd, &one, sizeof(one)) < 0)
		return;
}

static int
epoll_add(int ep, int fd)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

static int
main_loop(struct dp *dp, int sfd)
{
	struct itimerspec its = {
		.it_interval = {0, DP_TICK_MS * 1000000L},
		.it_value = {0, DP_TICK_MS * 1000000L},
	};
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	int nlfd = dp_neigh_netlink_fd(dp);
	int fds[DP_MAX_PORTS * DP_MAX_WORKERS];
	int i, nfds;

	if (tfd < 0 || ep < 0 || timerfd_settime(tfd, 0, &its, NULL) != 0) {
		DP_LOG(ERR, "main loop: %s", strerror(errno));
		return -errno;
	}
	epoll_add(ep, sfd);
	epoll_add(ep, tfd);
	epoll_add(ep, dp->wake_fd);
	if (nlfd >= 0)
		epoll_add(ep, nlfd);
	if (dp_ctl_attach(dp, ep) != 0)
		DP_LOG(WARNING, "control socket not served: %s", strerror(errno));
	nfds = dp_exception_fds(dp, fds, RTE_DIM(fds));
	for (i = 0; i < nfds; i++)
		epoll_add(ep, fds[i]);

	while (!dp->stop) {
		struct epoll_event evs[16];
		int n = epoll_wait(ep, evs, RTE_DIM(evs), -1);

		if (n < 0 && errno != EINTR)
			break;
		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			uint64_t v;

			if (fd == sfd) {
				struct signalfd_siginfo si;

				if (read(sfd, &si, sizeof(si)) == sizeof(si) &&
					(si.ssi_signo == SIGINT || si.ssi_signo == SIGTERM)) {
					DP_LOG(INFO, "signal %u: stopping", si.ssi_signo);
					__atomic_store_n(&dp->stop, true, __ATOMIC_RELEASE);
				}
			} else if (fd == tfd) {
				if (read(tfd, &v, sizeof(v)) > 0) {
					dp_neigh_tick(dp);
					dp_lb_tick(dp);
				}
			} else if (fd == dp->wake_fd) {
				if (read(dp->wake_fd, &v, sizeof(v)) < 0)
					continue;
			} else if (fd == nlfd) {
				dp_neigh_netlink_input(dp);
			} else {
				dp_ctl_input(dp, fd);
			}
		}
		drain_workers(dp);
		dp_exception_poll(dp);
	}
	close(ep);
	close(tfd);
	return 0;
}

/* Effective capability set from /proc (no libcap dependency). */
static uint64_t
effective_caps(void)
{
	char line[256];
	uint64_t caps = 0;
	FILE *f = fopen("/proc/self/status", "r");

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "CapEff: %" SCNx64, &caps) == 1)
			break;
	fclose(f);
	return caps;
}

/*
 * Say what is missing before EAL fails in some obscure way: taps and
 * netlink need CAP_NET_ADMIN; XDP needs CAP_BPF (or CAP_SYS_ADMIN) and
 * AF_XDP sockets CAP_NET_RAW.
 */
static int
check_privileges(const struct prof *p)
{
	enum { NET_ADMIN = 12, NET_RAW = 13, SYS_ADMIN = 21, BPF = 39 };
	uint64_t caps = effective_caps();
	bool xdp = false, pmd = false;
	char missing[128] = "";
	unsigned int i;

	for (i = 0; i < p->n_ports; i++) {
		xdp |= p->ports[i].mode == PROF_PORT_XDP;
		pmd |= p->ports[i].mode == PROF_PORT_PMD;
	}
	if ((xdp || pmd) && !(caps & (1ULL << NET_ADMIN)))
		strcat(missing, " CAP_NET_ADMIN");
	if (xdp && !(caps & (1ULL << NET_RAW)))
		strcat(missing, " CAP_NET_RAW");
	if (xdp && !(caps & ((1ULL << BPF) | (1ULL << SYS_ADMIN))))
		strcat(missing, " CAP_BPF");
	if (missing[0] == '\0')
		return 0;
	fprintf(stderr,
		"edge-dataplane: missing privileges:%s (needed for %s ports and their exception "
		"path); run as root\n",
		missing, xdp ? "xdp" : "pmd");
	return -EPERM;
}

static int
load_static_neighbors(struct dp *dp)
{
	unsigned int i, k;

	for (i = 0; i < dp->n_ports; i++) {
		const struct prof_port *pp = dp->ports[i].prof;

		for (k = 0; k < pp->n_neighbors; k++) {
			int ret = dp_neigh_learn(
				dp, i, &pp->neighbors[k].addr, pp->neighbors[k].mac, true);

			if (ret < 0) {
				DP_LOG(ERR, "%s:%u: neighbor: %s", dp->prof->file,
					pp->neighbors[k].line, strerror(-ret));
				return ret;
			}
		}
	}
	return 0;
}

static int
setup(struct dp *dp)
{
	static const struct rte_mbuf_dynfield meta_desc = {
		.name = "edgeplane_meta",
		.size = sizeof(uint32_t),
		.align = __alignof__(uint32_t),
	};
	unsigned int nb_mbufs;
	size_t sz;
	int ret;

	dp->meta_off = rte_mbuf_dynfield_register(&meta_desc);
	if (dp->meta_off < 0)
		return -rte_errno;
	/* Every descriptor of every queue (taps included), every ring full,
	 * the per-lcore caches, and slack for packets in flight. */
	nb_mbufs = dp_ports_mbufs_needed(dp) +
		(dp->n_workers * (dp->n_workers + 2)) * DP_RING_SIZE +
		(dp->n_workers + 1) * DP_MBUF_CACHE * 2 + 4096;
	dp->pool = rte_pktmbuf_pool_create("ep_mbufs", nb_mbufs, DP_MBUF_CACHE, 0,
		RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (dp->pool == NULL) {
		DP_LOG(ERR, "cannot create %u mbufs: %s (more memory: -m or hugepages)", nb_mbufs,
			rte_strerror(rte_errno));
		return -rte_errno;
	}
	sz = rte_rcu_qsbr_get_memsize(dp->n_workers);
	dp->qsbr = rte_zmalloc("ep_qsbr", sz, RTE_CACHE_LINE_SIZE);
	if (dp->qsbr == NULL || rte_rcu_qsbr_init(dp->qsbr, dp->n_workers) != 0)
		return -ENOMEM;
	dp->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (dp->wake_fd < 0)
		return -errno;
	ret = dp_ctl_open(dp);
	if (ret < 0)
		return ret;
	ret = dp_neigh_create(dp);
	if (ret < 0)
		return ret;
	ret = dp_ports_open(dp);
	if (ret < 0)
		return ret;
	ret = dp_lb_create(dp);
	if (ret < 0)
		return ret;
	ret = dp_local_build(dp);
	if (ret < 0)
		return ret;
	ret = dp_workers_init(dp);
	if (ret < 0)
		return ret;
	ret = dp_ports_start(dp);
	if (ret < 0)
		return ret;
	ret = dp_lb_xdp_publish(dp);
	if (ret < 0) {
		DP_LOG(ERR, "cannot steer load-balancer traffic to the dataplane (XDP maps): %s",
			strerror(-ret));
		return ret;
	}
	ret = load_static_neighbors(dp);
	if (ret < 0)
		return ret;
	if (dp_telemetry_register(dp) != 0)
		DP_LOG(WARNING, "telemetry commands not registered");
	/* Lets dpdk-dumpcap capture on our ports (needs hugepages). */
	if (rte_pdump_init() != 0)
		DP_LOG(WARNING, "pdump not available: %s", rte_strerror(rte_errno));
	return 0;
}

static void
teardown(struct dp *dp)
{
	dp_telemetry_unregister();
	rte_pdump_uninit();
	dp_ctl_close(dp);
	dp_ports_close(dp);
	dp_workers_free(dp);
	dp_lb_free(dp);
	dp_neigh_free(dp);
	rte_free(dp->local);
	rte_free(dp->qsbr);
	rte_mempool_free(dp->pool);
	if (dp->wake_fd >= 0)
		close(dp->wake_fd);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"profile", required_argument, NULL, 'p'},
		{"check", no_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct dp_worker_arg wargs[DP_MAX_WORKERS];
	struct dp dp = {.wake_fd = -1};
	const char *profile = NULL;
	char err[PROF_ERR_MAX];
	struct dp_eal_args ea;
	bool check = false, launch_failed = false;
	sigset_t sigs;
	unsigned int i;
	int c, ret, sfd;

	while ((c = getopt_long(argc, argv, "+p:ch", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			profile = optarg;
			break;
		case 'c':
			check = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return DP_EXIT_USAGE;
		}
	}
	if (profile == NULL) {
		fprintf(stderr, "edge-dataplane: --profile FILE is required\n");
		usage(stderr);
		return DP_EXIT_USAGE;
	}
	ret = prof_load(profile, &dp.prof, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "edge-dataplane: %s\n", err);
		return DP_EXIT_USAGE;
	}
	if (dp.prof->n_ports == 0) {
		fprintf(stderr, "edge-dataplane: %s: no [port NAME] section: nothing to run on\n",
			profile);
		prof_free(dp.prof);
		return DP_EXIT_USAGE;
	}
	if (check) {
		printf("%s: ok (%u ports, %u virtual services)\n", profile, dp.prof->n_ports,
			dp.prof->n_services);
		prof_free(dp.prof);
		return 0;
	}
	dp.n_workers = dp.prof->dataplane.workers;
	if (check_privileges(dp.prof) != 0) {
		prof_free(dp.prof);
		return 1;
	}

	/* Signals go to the main lcore's signalfd; every thread EAL starts
	 * inherits the mask, so none of them is interrupted. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	sfd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sfd < 0) {
		/* Without it SIGTERM would stay blocked for good. */
		fprintf(stderr, "edge-dataplane: signalfd: %s\n", strerror(errno));
		prof_free(dp.prof);
		return 1;
	}

	ret = dp_eal_args_build(&ea, argv[0], dp.prof->dataplane.eal, argc - optind, argv + optind,
		err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "edge-dataplane: %s:%u: [dataplane] eal: %s\n", profile,
			dp.prof->dataplane.line, err);
		prof_free(dp.prof);
		return DP_EXIT_USAGE;
	}
	ret = rte_eal_init(ea.argc, ea.argv);
	if (ret < 0) {
		fprintf(stderr, "edge-dataplane: EAL init failed: %s\n", rte_strerror(rte_errno));
		dp_eal_args_free(&ea);
		prof_free(dp.prof);
		return 1;
	}
	ret = setup(&dp);
	if (ret < 0) {
		fprintf(stderr, "edge-dataplane: start-up failed (%s); see the messages above\n",
			strerror(-ret));
		__atomic_store_n(&dp.stop, true, __ATOMIC_RELEASE);
		teardown(&dp);
		rte_eal_cleanup();
		dp_eal_args_free(&ea);
		prof_free(dp.prof);
		return 1;
	}
	for (i = 0; i < dp.n_workers; i++) {
		wargs[i].dp = &dp;
		wargs[i].w = dp.workers[i];
		ret = rte_eal_remote_launch(dp_worker_main, &wargs[i], dp.workers[i]->lcore);
		if (ret != 0) {
			DP_LOG(ERR, "cannot start worker %u on lcore %u: %s", i,
				dp.workers[i]->lcore, strerror(-ret));
			__atomic_store_n(&dp.stop, true, __ATOMIC_RELEASE);
			launch_failed = true;
			break;
		}
	}
	DP_LOG(INFO, "running: %u port(s), %u worker(s), profile %s", dp.n_ports, dp.n_workers,
		profile);

	if (!dp.stop)
		main_loop(&dp, sfd);

	__atomic_store_n(&dp.stop, true, __ATOMIC_RELEASE);
	rte_eal_mp_wait_lcore();
	drain_workers(&dp);
	dp_stats_print(&dp, stdout);
	fflush(stdout);
	teardown(&dp);
	rte_eal_cleanup();
	dp_eal_args_free(&ea);
	prof_free(dp.prof);
	close(sfd);
	return launch_failed ? 1 : 0;
}
