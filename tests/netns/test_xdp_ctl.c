/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_xdp.c and dp_netlink.c against the real kernel, on a veth pair whose
 * far end sits in a network namespace of its own.  Needs root (network
 * namespaces, BPF, raw sockets): without it the test fails, it never
 * skips.
 *
 * Topology (N = our pid, X = N % 256, so parallel runs do not collide):
 *   host            epx<N>a  198.18.X.1/24  2001:db8:0:X::1/64  (XDP here)
 *   netns epx<N>    epx<N>b  198.18.X.2/24  2001:db8:0:X::2/64
 *   dataplane-owned (XDP maps only, no kernel address): 198.18.X.10,
 *                   2001:db8:0:X::10
 *   as a real server (edge_rs4/6): the namespace's end; 198.18.X.77 and
 *                   2001:db8:0:X::77 stand for a client nobody here has
 *
 * Environment: EDGEPLANE_XDP_PROG = edge_xdp.bpf.o (read through
 * dp_xdp_prog_path()), EDGEPLANE_TEST_OTHER_XDP = a foreign program
 * named not_edge.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dp_netlink.h"
#include "dp_xdp.h"
#include "ut.h"

#define SUITE "netns-xdp-ctl"
#define MAX_ARGS 16
/* Bounded waits: WAIT_STEPS polls of WAIT_STEP_MS. */
#define WAIT_STEP_MS 20
#define WAIT_STEPS 150

/* The host end's MAC, set through dp_nl_link_set_mac. */
#define HOST_MAC "02:e9:00:00:00:01"
static const uint8_t host_mac[6] = {0x02, 0xe9, 0x00, 0x00, 0x00, 0x01};

#define CAP_NET_ADMIN_BIT 12
#define CAP_NET_RAW_BIT 13
#define CAP_SYS_ADMIN_BIT 21

extern char **environ;

/* Ports of the real-server checks (any free ones: the namespace is ours). */
#define RS_PORT_SRV 7001    /* real server: TCP listener, UDP source */
#define RS_PORT_KERNEL 7002 /* the kernel's UDP socket on the host end */
#define RS_PORT_CLIENT 7003 /* a client's port, nothing listens */

/* Names and addresses of this run. */
struct topo {
	char ns[IF_NAMESIZE];
	char host_if[IF_NAMESIZE]; /* carries the XDP program */
	char ns_if[IF_NAMESIZE];
	int ifindex;
	char host4[INET_ADDRSTRLEN], peer4[INET_ADDRSTRLEN], local4[INET_ADDRSTRLEN];
	char host6[INET6_ADDRSTRLEN], peer6[INET6_ADDRSTRLEN], local6[INET6_ADDRSTRLEN];
	char client4[INET_ADDRSTRLEN], client6[INET6_ADDRSTRLEN]; /* off the host */
	char peer_mac[18];
	uint8_t peer_mac_bytes[6];
};

static struct topo T;
/* Paths of the tools, from a fixed list of directories. */
#define TOOL_PATH_MAX 64
static char ip_path[TOOL_PATH_MAX];
static char ping_path[TOOL_PATH_MAX];

static int
find_prog(const char *name, char *out, size_t len)
{
	static const char *const dirs[] = {
		"/usr/sbin", "/sbin", "/usr/bin", "/bin", "/usr/local/sbin", "/usr/local/bin"};
	unsigned int i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(out, len, "%s/%s", dirs[i], name);
		if (access(out, X_OK) == 0)
			return 0;
	}
	return -ENOENT;
}

/*
 * Run a program (path, then argv ending in NULL); its exit status, or -1.
 * Only fork/execve/waitpid, so the signal handler's cleanup can use it.
 */
static int
run(bool quiet, const char *path, ...)
{
	const char *argv[MAX_ARGS + 1];
	va_list ap;
	int n = 0, st;
	pid_t pid;

	va_start(ap, path);
	argv[n++] = path;
	while (n < MAX_ARGS && (argv[n] = va_arg(ap, const char *)) != NULL)
		n++;
	va_end(ap);
	argv[n] = NULL;

	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (quiet) {
			int fd = open("/dev/null", O_WRONLY);

			if (fd >= 0) {
				dup2(fd, 1);
				dup2(fd, 2);
			}
		}
		execve(path, (char *const *)argv, environ);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Delete everything this run created; safe to call twice and from a signal handler. */
static void
cleanup(void)
{
	if (ip_path[0] == '\0')
		return;
	run(true, ip_path, "link", "del", T.host_if, NULL);
	run(true, ip_path, "netns", "del", T.ns, NULL);
}

static void
on_signal(int sig)
{
	cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Ping from inside the namespace; 0 if answered. */
static int
ns_ping(const char *addr, bool v6)
{
	return run(true, ip_path, "netns", "exec", T.ns, ping_path, v6 ? "-6" : "-4", "-c", "1",
		"-W", "1", "-q", addr, NULL);
}

/* Forget the namespace's neighbours, stopping its resolution retries. */
static void
ns_neigh_flush(void)
{
	run(true, ip_path, "-n", T.ns, "neigh", "flush", "dev", T.ns_if, NULL);
}

static int
has_caps(void)
{
	char line[256];
	unsigned long long eff = 0;
	FILE *f;

	f = fopen("/proc/self/status", "r");
	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	fclose(f);
	return (eff & (1ULL << CAP_NET_ADMIN_BIT)) && (eff & (1ULL << CAP_NET_RAW_BIT)) &&
		(eff & (1ULL << CAP_SYS_ADMIN_BIT));
}

static void
mkaddr(struct pkt_addr *a, const char *s)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, &a->v4) == 1)
		a->family = AF_INET;
	else if (inet_pton(AF_INET6, s, a->v6) == 1)
		a->family = AF_INET6;
}

/* The XDP program id attached to ifindex in any mode (0: none). */
static uint32_t
attached_id(int ifindex)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	if (bpf_xdp_query(ifindex, 0, &q) < 0)
		return UINT32_MAX;
	if (q.prog_id != 0)
		return q.prog_id;
	if (q.drv_prog_id != 0)
		return q.drv_prog_id;
	return q.skb_prog_id != 0 ? q.skb_prog_id : q.hw_prog_id;
}

/*
 * Load program prog of the object at path and attach it to ifindex in
 * mode, then drop the object: the attachment alone keeps the program
 * alive, as after a crash.  0 or -errno.
 */
static int
attach_obj(const char *path, const char *prog, int ifindex, uint32_t mode)
{
	struct bpf_program *p;
	struct bpf_object *obj;
	int ret;

	obj = bpf_object__open_file(path, NULL);
	if (obj == NULL)
		return -errno;
	ret = bpf_object__load(obj);
	if (ret == 0) {
		p = bpf_object__find_program_by_name(obj, prog);
		if (p == NULL)
			ret = -ENOENT;
		else
			ret = bpf_xdp_attach(ifindex, bpf_program__fd(p),
				mode | XDP_FLAGS_UPDATE_IF_NOEXIST, NULL);
	}
	bpf_object__close(obj);
	return ret;
}

static void
sleep_ms(int ms)
{
	poll(NULL, 0, ms);
}

/* Wait (bounded) until counter s exceeds base; its last value. */
static uint64_t
wait_stat(struct dp_xdp *x, unsigned int s, uint64_t base)
{
	uint64_t st[EDGE_XDP_STAT_MAX];
	int i;

	for (i = 0; i < WAIT_STEPS; i++) {
		if (dp_xdp_stats(x, st) != 0)
			return 0;
		if (st[s] > base)
			return st[s];
		sleep_ms(WAIT_STEP_MS);
	}
	return st[s];
}

static uint64_t
stat_now(struct dp_xdp *x, unsigned int s)
{
	uint64_t st[EDGE_XDP_STAT_MAX];

	if (dp_xdp_stats(x, st) != 0)
		return UINT64_MAX;
	return st[s];
}

static int
setup(void)
{
	unsigned int n = (unsigned int)getpid(), x = n % 256;
	char cidr4[INET_ADDRSTRLEN + 3], cidr6[INET6_ADDRSTRLEN + 4];
	int ret = 0;

	snprintf(T.ns, sizeof(T.ns), "epx%u", n);
	snprintf(T.host_if, sizeof(T.host_if), "epx%ua", n);
	snprintf(T.ns_if, sizeof(T.ns_if), "epx%ub", n);
	snprintf(T.host4, sizeof(T.host4), "198.18.%u.1", x);
	snprintf(T.peer4, sizeof(T.peer4), "198.18.%u.2", x);
	snprintf(T.local4, sizeof(T.local4), "198.18.%u.10", x);
	snprintf(T.host6, sizeof(T.host6), "2001:db8:0:%x::1", x);
	snprintf(T.peer6, sizeof(T.peer6), "2001:db8:0:%x::2", x);
	snprintf(T.local6, sizeof(T.local6), "2001:db8:0:%x::10", x);
	snprintf(T.client4, sizeof(T.client4), "198.18.%u.77", x);
	snprintf(T.client6, sizeof(T.client6), "2001:db8:0:%x::77", x);
	T.peer_mac_bytes[0] = 0x02;
	T.peer_mac_bytes[1] = 0xe9;
	T.peer_mac_bytes[2] = (uint8_t)(n >> 16);
	T.peer_mac_bytes[3] = (uint8_t)(n >> 8);
	T.peer_mac_bytes[4] = (uint8_t)n;
	T.peer_mac_bytes[5] = 0x02;
	snprintf(T.peer_mac, sizeof(T.peer_mac), "%02x:%02x:%02x:%02x:%02x:%02x",
		T.peer_mac_bytes[0], T.peer_mac_bytes[1], T.peer_mac_bytes[2], T.peer_mac_bytes[3],
		T.peer_mac_bytes[4], T.peer_mac_bytes[5]);

	cleanup(); /* leftovers of a crashed run with the same pid */
	ret |= run(false, ip_path, "netns", "add", T.ns, NULL);
	ret |= run(false, ip_path, "link", "add", T.host_if, "type", "veth", "peer", "name",
		T.ns_if, "netns", T.ns, NULL);
	ret |= run(false, ip_path, "-n", T.ns, "link", "set", "lo", "up", NULL);
	ret |= run(false, ip_path, "-n", T.ns, "link", "set", T.ns_if, "address", T.peer_mac, NULL);
	snprintf(cidr4, sizeof(cidr4), "%s/24", T.peer4);
	snprintf(cidr6, sizeof(cidr6), "%s/64", T.peer6);
	ret |= run(false, ip_path, "-n", T.ns, "addr", "add", cidr4, "dev", T.ns_if, NULL);
	ret |= run(false, ip_path, "-n", T.ns, "addr", "add", cidr6, "dev", T.ns_if, "nodad", NULL);
	ret |= run(false, ip_path, "-n", T.ns, "link", "set", T.ns_if, "up", NULL);
	if (ret != 0)
		return -1;
	T.ifindex = (int)if_nametoindex(T.host_if);
	return T.ifindex > 0 ? 0 : -1;
}

/* dp_nl_link_*, dp_nl_addr_*: set up the host end with our own netlink code. */
static void
test_link_addr(void)
{
	struct pkt_addr a;
	char path[128], buf[32] = "";
	FILE *f;

	UT_CHECK(dp_nl_link_set_mac(T.ifindex, host_mac) == 0);
	snprintf(path, sizeof(path), "/sys/class/net/%s/address", T.host_if);
	f = fopen(path, "r");
	if (f != NULL) {
		if (fgets(buf, sizeof(buf), f) == NULL)
			buf[0] = '\0';
		fclose(f);
	}
	UT_CHECK_MSG(strncmp(buf, HOST_MAC, strlen(HOST_MAC)) == 0, "address is %s", buf);
	UT_CHECK(dp_nl_link_set_up(T.ifindex) == 0);

	mkaddr(&a, T.host4);
	UT_CHECK(dp_nl_addr_present(T.ifindex, &a) == 0);
	UT_CHECK(dp_nl_addr_add(T.ifindex, &a, 24) == 0);
	UT_CHECK(dp_nl_addr_present(T.ifindex, &a) == 1);
	UT_CHECK(dp_nl_addr_add(T.ifindex, &a, 24) == -EEXIST);
	UT_CHECK(dp_nl_addr_add(T.ifindex, &a, 33) == -EINVAL);
	mkaddr(&a, T.host6);
	UT_CHECK(dp_nl_addr_add(T.ifindex, &a, 64) == 0);
	UT_CHECK(dp_nl_addr_present(T.ifindex, &a) == 1);
	/* Not configured, or configured elsewhere: absent here. */
	mkaddr(&a, T.local4);
	UT_CHECK(dp_nl_addr_present(T.ifindex, &a) == 0);
	mkaddr(&a, T.local6);
	UT_CHECK(dp_nl_addr_present(T.ifindex, &a) == 0);
	mkaddr(&a, "127.0.0.1");
	UT_CHECK(dp_nl_addr_present(T.ifindex, &a) == 0);
	UT_CHECK(dp_nl_addr_present((int)if_nametoindex("lo"), &a) == 1);
}

/* dp_xdp_prepare: nothing, a stale Edgeplane program, someone else's. */
static void
test_prepare(const char *other)
{
	char err[256] = "";
	struct dp_xdp *x = NULL;
	int ret;

	ret = dp_xdp_prepare("epx-no-such-if", err, sizeof(err));
	UT_CHECK(ret == -ENODEV);
	UT_CHECK_MSG(strstr(err, "no such interface 'epx-no-such-if'") != NULL, "%s", err);

	UT_CHECK(attached_id(T.ifindex) == 0);
	UT_CHECK(dp_xdp_prepare(T.host_if, err, sizeof(err)) == 0);

	/* A stale Edgeplane program (generic mode), as a crash leaves it. */
	ret = attach_obj(dp_xdp_prog_path(), EDGE_XDP_PROG_NAME, T.ifindex, XDP_FLAGS_SKB_MODE);
	UT_CHECK_MSG(ret == 0, "attach %s: %s", dp_xdp_prog_path(), strerror(-ret));
	UT_CHECK(attached_id(T.ifindex) != 0);
	ret = dp_xdp_prepare(T.host_if, err, sizeof(err));
	UT_CHECK_MSG(ret == 1, "prepare returned %d: %s", ret, err);
	UT_CHECK(attached_id(T.ifindex) == 0);

	/* Someone else's program: refused, named, left in place. */
	ret = attach_obj(other, "not_edge", T.ifindex, XDP_FLAGS_SKB_MODE);
	UT_CHECK_MSG(ret == 0, "attach %s: %s", other, strerror(-ret));
	err[0] = '\0';
	ret = dp_xdp_prepare(T.host_if, err, sizeof(err));
	UT_CHECK_MSG(ret == -EBUSY, "prepare returned %d", ret);
	UT_CHECK_MSG(strstr(err, "'not_edge'") != NULL && strstr(err, T.host_if) != NULL &&
			strstr(err, "xdpgeneric off") != NULL,
		"message: %s", err);
	printf("refused: %s\n", err);
	UT_CHECK(attached_id(T.ifindex) != 0);
	ret = dp_xdp_open(T.host_if, &x, err, sizeof(err));
	UT_CHECK_MSG(ret == -EBUSY && x == NULL && strstr(err, "not_edge") != NULL,
		"open returned %d: %s", ret, err);
	UT_CHECK(dp_xdp_detach(T.host_if) == 0);
	UT_CHECK(attached_id(T.ifindex) != 0);
	UT_CHECK(bpf_xdp_detach(T.ifindex, XDP_FLAGS_SKB_MODE, NULL) == 0);
	UT_CHECK(attached_id(T.ifindex) == 0);

	/* Nothing attached: open says so. */
	ret = dp_xdp_open(T.host_if, &x, err, sizeof(err));
	UT_CHECK_MSG(ret == -ENOENT && strstr(err, "no XDP program") != NULL, "%d: %s", ret, err);
}

/* The program at work: dataplane-owned addresses, deny-list, counters. */
static void
test_traffic(struct dp_xdp *x)
{
	struct pkt_addr l4, l6, peer;
	uint64_t base, now;

	mkaddr(&l4, T.local4);
	mkaddr(&l6, T.local6);
	mkaddr(&peer, T.peer4);
	UT_CHECK(dp_xdp_local_add(x, &l4) == 0);
	UT_CHECK(dp_xdp_local_add(x, &l4) == 0);
	UT_CHECK(dp_xdp_local_add(x, &l6) == 0);

	/* Unrelated traffic: the kernel gets it, the ping is answered. */
	base = stat_now(x, EDGE_XDP_STAT_PASS);
	UT_CHECK(ns_ping(T.host4, false) == 0);
	now = wait_stat(x, EDGE_XDP_STAT_PASS, base);
	UT_CHECK_MSG(now >= base + 2, "pass %llu -> %llu", (unsigned long long)base,
		(unsigned long long)now);
	UT_CHECK(ns_ping(T.host6, true) == 0);

	/* ARP for a dataplane address: redirected, but no socket -> counted drop. */
	base = stat_now(x, EDGE_XDP_STAT_NO_SOCKET);
	UT_CHECK(ns_ping(T.local4, false) != 0);
	now = wait_stat(x, EDGE_XDP_STAT_NO_SOCKET, base);
	UT_CHECK_MSG(now > base, "no_socket %llu -> %llu (IPv4)", (unsigned long long)base,
		(unsigned long long)now);

	/*
	 * Neighbour Solicitation (to the solicited-node group) for one.  The
	 * namespace's kernel still retries ARP for the IPv4 address: forget
	 * it, or its retries would be what is counted.
	 */
	ns_neigh_flush();
	base = stat_now(x, EDGE_XDP_STAT_NO_SOCKET);
	UT_CHECK(ns_ping(T.local6, true) != 0);
	now = wait_stat(x, EDGE_XDP_STAT_NO_SOCKET, base);
	UT_CHECK_MSG(now > base, "no_socket %llu -> %llu (IPv6)", (unsigned long long)base,
		(unsigned long long)now);

	/* Packets to them, once the sender knows their MAC (static entries). */
	ns_neigh_flush();
	UT_CHECK(run(false, ip_path, "-n", T.ns, "neigh", "replace", T.local4, "lladdr", HOST_MAC,
			 "dev", T.ns_if, "nud", "permanent", NULL) == 0);
	UT_CHECK(run(false, ip_path, "-n", T.ns, "neigh", "replace", T.local6, "lladdr", HOST_MAC,
			 "dev", T.ns_if, "nud", "permanent", NULL) == 0);
	base = stat_now(x, EDGE_XDP_STAT_NO_SOCKET);
	UT_CHECK(ns_ping(T.local4, false) != 0);
	now = wait_stat(x, EDGE_XDP_STAT_NO_SOCKET, base);
	UT_CHECK_MSG(now > base, "no_socket %llu -> %llu (to IPv4)", (unsigned long long)base,
		(unsigned long long)now);
	base = now;
	UT_CHECK(ns_ping(T.local6, true) != 0);
	now = wait_stat(x, EDGE_XDP_STAT_NO_SOCKET, base);
	UT_CHECK_MSG(now > base, "no_socket %llu -> %llu (to IPv6)", (unsigned long long)base,
		(unsigned long long)now);
	run(true, ip_path, "-n", T.ns, "neigh", "del", T.local4, "dev", T.ns_if, NULL);
	run(true, ip_path, "-n", T.ns, "neigh", "del", T.local6, "dev", T.ns_if, NULL);

	/* Deny-list: the peer's packets are dropped, then flow again. */
	UT_CHECK(dp_xdp_deny_add(x, &peer, 32) == 0);
	base = stat_now(x, EDGE_XDP_STAT_DROP_DENY);
	UT_CHECK(ns_ping(T.host4, false) != 0);
	now = wait_stat(x, EDGE_XDP_STAT_DROP_DENY, base);
	UT_CHECK_MSG(now > base, "drop_deny %llu -> %llu", (unsigned long long)base,
		(unsigned long long)now);
	UT_CHECK(dp_xdp_deny_del(x, &peer, 32) == 0);
	UT_CHECK(dp_xdp_deny_del(x, &peer, 32) == -ENOENT);
	UT_CHECK(dp_xdp_deny_add(x, &l6, 64) == -EAFNOSUPPORT);
	UT_CHECK(ns_ping(T.host4, false) == 0);

	/* Flags: an address stays while any flag holds it. */
	UT_CHECK(dp_xdp_addr_set(x, &l4, EDGE_XDP_ADDR_VIP) == 0);
	UT_CHECK(dp_xdp_local_del(x, &l4) == 0);
	UT_CHECK(dp_xdp_local_del(x, &l4) == -ENOENT);
	UT_CHECK(dp_xdp_addr_clear(x, &l4, EDGE_XDP_ADDR_VIP) == 0);
	UT_CHECK(dp_xdp_addr_clear(x, &l4, EDGE_XDP_ADDR_VIP) == -ENOENT);
	UT_CHECK(dp_xdp_local_del(x, &l6) == 0);

	/*
	 * Removed: ARP for it goes to the kernel again.  Forget the earlier
	 * attempt first, whose retries would still be counted.
	 */
	ns_neigh_flush();
	base = stat_now(x, EDGE_XDP_STAT_NO_SOCKET);
	UT_CHECK(ns_ping(T.local4, false) != 0);
	UT_CHECK_MSG(stat_now(x, EDGE_XDP_STAT_NO_SOCKET) == base, "no_socket moved after del");
	UT_CHECK(stat_now(x, EDGE_XDP_STAT_MALFORMED) == 0);
}

/* A socket address for addr (numeric) and port. */
static socklen_t
mksa(struct sockaddr_storage *ss, const char *addr, uint16_t port)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		return sizeof(*s4);
	}
	inet_pton(AF_INET6, addr, &s6->sin6_addr);
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(port);
	return sizeof(*s6);
}

/* Enter the test namespace (in a child process). */
static int
enter_ns(void)
{
	char path[64];
	int fd, ret;

	snprintf(path, sizeof(path), "/var/run/netns/%s", T.ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = setns(fd, CLONE_NEWNET);
	close(fd);
	return ret;
}

static int
wait_child(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* From the namespace (the real server): one UDP datagram from from:RS_PORT_SRV. */
static int
rs_send_udp(const char *from, const char *to, uint16_t port)
{
	struct sockaddr_storage src, dst;
	socklen_t sl, dl;
	pid_t pid;

	sl = mksa(&src, from, RS_PORT_SRV);
	dl = mksa(&dst, to, port);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd;

		if (enter_ns() != 0)
			_exit(2);
		fd = socket(src.ss_family, SOCK_DGRAM, 0);
		if (fd < 0 || bind(fd, (struct sockaddr *)&src, sl) != 0)
			_exit(3);
		if (sendto(fd, "rs", 2, 0, (struct sockaddr *)&dst, dl) != 2)
			_exit(4);
		_exit(0);
	}
	return wait_child(pid);
}

/* The kernel's own UDP socket bound to addr, as a health checker's would be. */
static int
kernel_udp(const char *addr)
{
	struct sockaddr_storage sa;
	socklen_t l = mksa(&sa, addr, RS_PORT_KERNEL);
	int fd;

	fd = socket(sa.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, l) != 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* Did fd receive a datagram (bounded wait)? */
static bool
got_datagram(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	char buf[16];

	if (poll(&p, 1, WAIT_STEPS * WAIT_STEP_MS) != 1)
		return false;
	return recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0;
}

/*
 * The health-check case: the kernel connects to a real server (a
 * listener in the namespace), whose SYN-ACK must reach the kernel.
 * true if the connection was established.
 */
static bool
kernel_connects_to_rs(const char *rs)
{
	struct sockaddr_storage sa;
	socklen_t l = mksa(&sa, rs, RS_PORT_SRV), el = sizeof(int);
	struct pollfd p;
	int pfd[2], fd = -1, err = -1;
	char c;
	pid_t pid;

	if (pipe(pfd) != 0)
		return false;
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return false;
	}
	if (pid == 0) {
		int one = 1, lfd;

		close(pfd[0]);
		if (enter_ns() != 0)
			_exit(2);
		lfd = socket(sa.ss_family, SOCK_STREAM, 0);
		if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
			bind(lfd, (struct sockaddr *)&sa, l) != 0 || listen(lfd, 4) != 0)
			_exit(3);
		if (write(pfd[1], "r", 1) != 1)
			_exit(4);
		p.fd = lfd;
		p.events = POLLIN;
		if (poll(&p, 1, WAIT_STEPS * WAIT_STEP_MS) != 1)
			_exit(5);
		_exit(accept(lfd, NULL, NULL) >= 0 ? 0 : 6);
	}
	close(pfd[1]);
	if (read(pfd[0], &c, 1) == 1) {
		fd = socket(sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, l) == 0) {
			err = 0;
		} else if (fd >= 0 && errno == EINPROGRESS) {
			p.fd = fd;
			p.events = POLLOUT;
			if (poll(&p, 1, WAIT_STEPS * WAIT_STEP_MS) == 1 &&
				getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0)
				err = -1;
		}
	}
	close(pfd[0]);
	if (fd >= 0)
		close(fd);
	if (err != 0)
		kill(pid, SIGKILL);
	wait_child(pid);
	return err == 0;
}

/* Turn forwarding on the host end on or off, per family (dies with the veth). */
static int
host_forwarding(bool v6, bool on)
{
	char path[128];
	FILE *f;
	int ret;

	snprintf(path, sizeof(path), "/proc/sys/net/%s/conf/%s/forwarding", v6 ? "ipv6" : "ipv4",
		T.host_if);
	f = fopen(path, "w");
	if (f == NULL)
		return -errno;
	ret = fputs(on ? "1\n" : "0\n", f) >= 0 ? 0 : -EIO;
	if (fclose(f) != 0 && ret == 0)
		ret = -errno;
	return ret;
}

/*
 * One family of the real-server checks: the namespace's end is a real
 * server.  There is no AF_XDP socket here, so what the program would
 * redirect is counted as no_socket, never rs_redirect.
 */
static void
test_rs_family(struct dp_xdp *x, bool v6)
{
	const char *host = v6 ? T.host6 : T.host4, *peer = v6 ? T.peer6 : T.peer4;
	const char *client = v6 ? T.client6 : T.client4, *fam = v6 ? "IPv6" : "IPv4";
	struct pkt_addr rs;
	uint64_t base, now;
	int kfd;

	mkaddr(&rs, peer);
	/* The far client is reached through the host end: its MAC. */
	UT_CHECK(run(false, ip_path, "-n", T.ns, "neigh", "replace", client, "lladdr", HOST_MAC,
			 "dev", T.ns_if, "nud", "permanent", NULL) == 0);

	/* Not a real server yet: its datagram to a client goes to the kernel. */
	base = stat_now(x, EDGE_XDP_STAT_PASS);
	UT_CHECK(rs_send_udp(peer, client, RS_PORT_CLIENT) == 0);
	now = wait_stat(x, EDGE_XDP_STAT_PASS, base);
	UT_CHECK_MSG(now > base, "%s: not passed before rs_add", fam);

	UT_CHECK(dp_xdp_rs_add(x, &rs) == 0);
	UT_CHECK(dp_xdp_rs_add(x, &rs) == 0);

	/* Forwarding off (the default): the FIB cannot tell; bound sockets can. */
	UT_CHECK(host_forwarding(v6, false) == 0);
	base = stat_now(x, EDGE_XDP_STAT_NO_SOCKET);
	UT_CHECK(rs_send_udp(peer, client, RS_PORT_CLIENT) == 0);
	now = wait_stat(x, EDGE_XDP_STAT_NO_SOCKET, base);
	UT_CHECK_MSG(now > base, "%s, forwarding off: reply to a client not redirected", fam);

	kfd = kernel_udp(host);
	UT_CHECK_MSG(kfd >= 0, "%s: bind %s: %s", fam, host, strerror(errno));
	base = stat_now(x, EDGE_XDP_STAT_RS_LOCAL);
	UT_CHECK(rs_send_udp(peer, host, RS_PORT_KERNEL) == 0);
	UT_CHECK_MSG(kfd >= 0 && got_datagram(kfd),
		"%s, forwarding off: the kernel's UDP socket got nothing", fam);
	UT_CHECK_MSG(stat_now(x, EDGE_XDP_STAT_RS_LOCAL) > base,
		"%s, forwarding off: rs_local did not move (UDP)", fam);
	if (kfd >= 0)
		close(kfd);

	base = stat_now(x, EDGE_XDP_STAT_RS_LOCAL);
	UT_CHECK_MSG(kernel_connects_to_rs(peer),
		"%s, forwarding off: the kernel cannot connect to the real server", fam);
	UT_CHECK_MSG(stat_now(x, EDGE_XDP_STAT_RS_LOCAL) > base,
		"%s, forwarding off: rs_local did not move (TCP)", fam);

	/* Forwarding on: the FIB says what is local, with or without a socket. */
	UT_CHECK(host_forwarding(v6, true) == 0);
	base = stat_now(x, EDGE_XDP_STAT_NO_SOCKET);
	UT_CHECK(rs_send_udp(peer, client, RS_PORT_CLIENT) == 0);
	now = wait_stat(x, EDGE_XDP_STAT_NO_SOCKET, base);
	UT_CHECK_MSG(now > base, "%s, forwarding on: reply to a client not redirected", fam);

	base = stat_now(x, EDGE_XDP_STAT_RS_LOCAL);
	UT_CHECK(rs_send_udp(peer, host, RS_PORT_CLIENT) == 0);
	now = wait_stat(x, EDGE_XDP_STAT_RS_LOCAL, base);
	UT_CHECK_MSG(now > base, "%s, forwarding on: to the kernel's address not passed", fam);
	UT_CHECK_MSG(kernel_connects_to_rs(peer),
		"%s, forwarding on: the kernel cannot connect to the real server", fam);
	UT_CHECK(host_forwarding(v6, false) == 0);

	/* Removed: the kernel gets its packets again. */
	UT_CHECK(dp_xdp_rs_del(x, &rs) == 0);
	UT_CHECK(dp_xdp_rs_del(x, &rs) == -ENOENT);
	base = stat_now(x, EDGE_XDP_STAT_NO_SOCKET);
	now = stat_now(x, EDGE_XDP_STAT_PASS);
	UT_CHECK(rs_send_udp(peer, client, RS_PORT_CLIENT) == 0);
	UT_CHECK(wait_stat(x, EDGE_XDP_STAT_PASS, now) > now);
	UT_CHECK_MSG(
		stat_now(x, EDGE_XDP_STAT_NO_SOCKET) == base, "%s: no_socket moved after del", fam);
	run(true, ip_path, "-n", T.ns, "neigh", "del", client, "dev", T.ns_if, NULL);
}

/* Real servers (edge_rs4/6): their replies to clients are the dataplane's. */
static void
test_rs(struct dp_xdp *x)
{
	struct pkt_addr none;

	memset(&none, 0, sizeof(none));
	UT_CHECK(dp_xdp_rs_add(x, &none) == -EAFNOSUPPORT);
	UT_CHECK(dp_xdp_rs_del(x, &none) == -EAFNOSUPPORT);
	test_rs_family(x, false);
	test_rs_family(x, true);
	UT_CHECK(stat_now(x, EDGE_XDP_STAT_RS_REDIRECT) == 0);
	UT_CHECK(stat_now(x, EDGE_XDP_STAT_MALFORMED) == 0);
}

struct neigh_seen {
	int ifindex;
	struct pkt_addr want;
	int reachable; /* -1: not seen */
	uint8_t mac[6];
};

static void
on_neigh(void *arg, int ifindex, const struct pkt_addr *addr, const uint8_t mac[6], int reachable)
{
	struct neigh_seen *s = arg;

	if (ifindex != s->ifindex || addr->family != s->want.family)
		return;
	if (addr->family == AF_INET ? addr->v4 != s->want.v4
				    : memcmp(addr->v6, s->want.v6, 16) != 0)
		return;
	s->reachable = reachable;
	if (reachable && mac != NULL)
		memcpy(s->mac, mac, 6);
}

/* Read events (bounded wait) until s shows the wanted reachability. */
static bool
wait_neigh(int fd, struct neigh_seen *s, int reachable)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int i;

	for (i = 0; i < WAIT_STEPS; i++) {
		if (dp_nl_neigh_recv(fd, on_neigh, s) < 0)
			return false;
		if (s->reachable == reachable)
			return true;
		poll(&p, 1, WAIT_STEP_MS);
	}
	return false;
}

/* Is the kernel's entry for addr on the host end a managed one? */
static bool
neigh_is_managed(const char *addr)
{
	char cmd[TOOL_PATH_MAX + 128], line[256];
	bool managed = false;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "%s neigh show %s dev %s", ip_path, addr, T.host_if);
	f = popen(cmd, "r");
	if (f == NULL)
		return false;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, "managed") != NULL)
			managed = true;
	pclose(f);
	return managed;
}

static void
test_neigh_one(int fd, const char *addr)
{
	struct neigh_seen s;

	memset(&s, 0, sizeof(s));
	s.ifindex = T.ifindex;
	s.reachable = -1;
	mkaddr(&s.want, addr);

	/* Start from nothing: the pings above taught the kernel the peer. */
	run(true, ip_path, "neigh", "flush", "dev", T.host_if, NULL);
	(void)dp_nl_neigh_recv(fd, on_neigh, &s);
	s.reachable = -1;

	UT_CHECK(dp_nl_neigh_resolve(fd, T.ifindex, &s.want) == 0);
	UT_CHECK_MSG(wait_neigh(fd, &s, 1), "%s never became reachable", addr);
	UT_CHECK(memcmp(s.mac, T.peer_mac_bytes, 6) == 0);
	UT_CHECK_MSG(neigh_is_managed(addr), "%s: kernel entry not managed", addr);
	/* Known already: fine. */
	UT_CHECK(dp_nl_neigh_resolve(fd, T.ifindex, &s.want) == 0);

	/* A deletion is reported as unreachable, without a MAC. */
	run(true, ip_path, "neigh", "del", addr, "dev", T.host_if, NULL);
	UT_CHECK_MSG(wait_neigh(fd, &s, 0), "%s: deletion not seen", addr);
}

static void
test_neigh(void)
{
	struct neigh_seen s;
	int fd;

	fd = dp_nl_neigh_open();
	UT_CHECK_MSG(fd >= 0, "dp_nl_neigh_open: %s", strerror(-fd));
	if (fd < 0)
		return;

	/* A dump reports what the kernel knows (the peer, after the pings). */
	memset(&s, 0, sizeof(s));
	s.ifindex = T.ifindex;
	s.reachable = -1;
	mkaddr(&s.want, T.peer4);
	UT_CHECK(dp_nl_neigh_dump(fd) == 0);
	UT_CHECK_MSG(wait_neigh(fd, &s, 1), "dump did not report %s", T.peer4);

	test_neigh_one(fd, T.peer4);
	test_neigh_one(fd, T.peer6);
	close(fd);
}

int
main(void)
{
	const char *other = getenv("EDGEPLANE_TEST_OTHER_XDP");
	struct dp_xdp *x = NULL;
	char err[256] = "";
	struct stat sb;
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	/* Fail, never skip: a test box without root hides real breakage. */
	UT_CHECK_MSG(geteuid() == 0, "must run as root");
	UT_CHECK_MSG(has_caps(), "needs CAP_NET_ADMIN, CAP_NET_RAW and CAP_SYS_ADMIN");
	UT_CHECK_MSG(find_prog("ip", ip_path, sizeof(ip_path)) == 0, "iproute2 'ip' not found");
	UT_CHECK_MSG(find_prog("ping", ping_path, sizeof(ping_path)) == 0, "ping not found");
	UT_CHECK_MSG(stat(dp_xdp_prog_path(), &sb) == 0, "no XDP object at %s", dp_xdp_prog_path());
	UT_CHECK_MSG(other != NULL && stat(other, &sb) == 0,
		"EDGEPLANE_TEST_OTHER_XDP must name other_xdp.bpf.o");
	if (ut_fail > 0) {
		ip_path[0] = '\0'; /* nothing to clean up */
		return ut_summary(SUITE);
	}

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	ret = setup();
	UT_CHECK_MSG(ret == 0, "cannot set up namespace %s and veth %s", T.ns, T.host_if);
	if (ret != 0)
		goto out;

	test_link_addr();
	test_prepare(other);

	/* Our program as net_af_xdp attaches it: native mode. */
	ret = attach_obj(dp_xdp_prog_path(), EDGE_XDP_PROG_NAME, T.ifindex, XDP_FLAGS_DRV_MODE);
	UT_CHECK_MSG(ret == 0, "attach: %s", strerror(-ret));
	ret = dp_xdp_open(T.host_if, &x, err, sizeof(err));
	UT_CHECK_MSG(ret == 0 && x != NULL, "dp_xdp_open: %d %s", ret, err);
	if (x != NULL) {
		test_traffic(x);
		test_rs(x);
		dp_xdp_close(x);
	}

	test_neigh();

	UT_CHECK(dp_xdp_detach(T.host_if) == 1);
	UT_CHECK(attached_id(T.ifindex) == 0);
	UT_CHECK(dp_xdp_detach(T.host_if) == 0);
out:
	cleanup();
	return ut_summary(SUITE);
}
