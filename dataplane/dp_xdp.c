/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Edgeplane's XDP program seen from the main lcore: check an interface
 * before net_af_xdp attaches the program, then find the program's maps
 * through the attached program (no pinning) and keep them up to date.
 *
 * net_af_xdp (DPDK 22.11, xdp_prog=) loads the object with libbpf and
 * attaches the program itself over netlink -- native mode where the
 * driver has it, generic otherwise, no libxdp dispatcher -- and refuses
 * an interface that already carries a program.  It detaches whatever is
 * attached when the port closes; a crash leaves the program behind.
 */
#include <errno.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/bpf.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dp_xdp.h"

#ifndef EDGE_XDP_PROG_DEFAULT
#define EDGE_XDP_PROG_DEFAULT "/usr/local/lib/edgeplane/edge_xdp.bpf.o"
#endif

/* libxdp's multi-program dispatcher: someone else's, for our purposes. */
#define XDP_DISPATCHER_NAME "xdp_dispatcher"

struct dp_xdp {
	char ifname[IF_NAMESIZE];
	uint32_t prog_id;
	int fd_local4;
	int fd_local6;
	int fd_stats;
	int fd_deny4;
	int fd_rs4;
	int fd_rs6;
	unsigned int n_stats; /* entries of edge_stats (older programs may have fewer) */
	int n_cpus;	      /* libbpf_num_possible_cpus() */
	uint64_t *percpu;     /* n_cpus values, for reading edge_stats */
};

/* The attach modes an XDP program can be in, as the netlink query reports them. */
struct xdp_attached {
	uint32_t mode;	  /* XDP_FLAGS_DRV_MODE, _SKB_MODE or _HW_MODE */
	const char *name; /* for messages */
	const char *ip;	  /* the mode's keyword for `ip link set dev X ... off` */
	uint32_t id;	  /* 0: nothing attached in this mode */
};

#define XDP_N_MODES 3

const char *
dp_xdp_prog_path(void)
{
	const char *p = getenv("EDGEPLANE_XDP_PROG");

	if (p != NULL && p[0] != '\0')
		return p;
	return EDGE_XDP_PROG_DEFAULT;
}

/* Programs attached to ifindex, one slot per mode. 0 or -errno. */
static int
xdp_query(int ifindex, struct xdp_attached att[XDP_N_MODES])
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int ret;

	ret = bpf_xdp_query(ifindex, 0, &q);
	if (ret < 0)
		return ret;
	/* `ip link set dev X xdp off` only detaches native-mode programs. */
	att[0] = (struct xdp_attached){XDP_FLAGS_DRV_MODE, "native", "xdp", q.drv_prog_id};
	att[1] = (struct xdp_attached){XDP_FLAGS_SKB_MODE, "generic", "xdpgeneric", q.skb_prog_id};
	att[2] = (struct xdp_attached){XDP_FLAGS_HW_MODE, "offloaded", "xdpoffload", q.hw_prog_id};
	/* Single-mode attachments are also reported as plain prog_id. */
	if (q.prog_id != 0 && att[0].id == 0 && att[1].id == 0 && att[2].id == 0) {
		switch (q.attach_mode) {
		case XDP_ATTACHED_SKB:
			att[1].id = q.prog_id;
			break;
		case XDP_ATTACHED_HW:
			att[2].id = q.prog_id;
			break;
		default:
			att[0].id = q.prog_id;
			break;
		}
	}
	return 0;
}

/*
 * Open program id; *name gets its name.  fd, or -errno (-ENOENT when it
 * went away meanwhile).
 */
static int
prog_open(uint32_t id, char name[BPF_OBJ_NAME_LEN])
{
	struct bpf_prog_info info;
	uint32_t len = sizeof(info);
	int fd, ret;

	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return fd;
	memset(&info, 0, sizeof(info));
	ret = bpf_obj_get_info_by_fd(fd, &info, &len);
	if (ret < 0) {
		close(fd);
		return ret;
	}
	memcpy(name, info.name, BPF_OBJ_NAME_LEN);
	name[BPF_OBJ_NAME_LEN - 1] = '\0';
	return fd;
}

static bool
is_edge_prog(const char *name)
{
	return strcmp(name, EDGE_XDP_PROG_NAME) == 0;
}

/* Detach prog_fd from ifindex in mode, only if it is still the one attached. */
static int
prog_detach(int ifindex, uint32_t mode, int prog_fd)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, o, .old_prog_fd = prog_fd);

	return bpf_xdp_detach(ifindex, mode, &o);
}

/*
 * Detach every Edgeplane program from ifindex.  With refuse_others, fail
 * with -EBUSY (message in err) before touching anything if some other
 * program is attached; without, leave other programs alone.  1 if it
 * detached something, 0 if not, -errno.
 */
static int
detach_ours(const char *ifname, int ifindex, bool refuse_others, char *err, size_t errlen)
{
	struct xdp_attached att[XDP_N_MODES];
	char name[BPF_OBJ_NAME_LEN];
	int fds[XDP_N_MODES];
	int i, fd, ret, detached = 0;

	ret = xdp_query(ifindex, att);
	if (ret < 0) {
		snprintf(err, errlen, "cannot query XDP on %s: %s", ifname, strerror(-ret));
		return ret;
	}

	for (i = 0; i < XDP_N_MODES; i++)
		fds[i] = -1;
	for (i = 0; i < XDP_N_MODES; i++) {
		if (att[i].id == 0)
			continue;
		fd = prog_open(att[i].id, name);
		if (fd == -ENOENT)
			continue; /* detached meanwhile */
		if (fd < 0) {
			snprintf(err, errlen, "cannot open XDP program id %u on %s: %s", att[i].id,
				ifname, strerror(-fd));
			ret = fd;
			goto out;
		}
		if (is_edge_prog(name)) {
			fds[i] = fd;
			continue;
		}
		close(fd);
		if (!refuse_others)
			continue;
		if (strcmp(name, XDP_DISPATCHER_NAME) == 0)
			snprintf(err, errlen,
				"interface %s carries another XDP program '%s' (id %u, %s mode), "
				"libxdp's multi-program dispatcher; detach it first "
				"(xdp-loader unload %s --all)",
				ifname, name, att[i].id, att[i].name, ifname);
		else
			snprintf(err, errlen,
				"interface %s carries another XDP program '%s' (id %u, %s mode); "
				"detach it first (ip link set dev %s %s off)",
				ifname, name, att[i].id, att[i].name, ifname, att[i].ip);
		ret = -EBUSY;
		goto out;
	}

	for (i = 0; i < XDP_N_MODES; i++) {
		if (fds[i] < 0)
			continue;
		ret = prog_detach(ifindex, att[i].mode, fds[i]);
		if (ret == -EEXIST)
			continue; /* replaced by someone meanwhile: no longer ours to remove */
		if (ret < 0) {
			snprintf(err, errlen,
				"cannot detach Edgeplane XDP program (id %u, %s mode) from %s: %s",
				att[i].id, att[i].name, ifname, strerror(-ret));
			goto out;
		}
		detached = 1;
	}
	ret = detached;
out:
	for (i = 0; i < XDP_N_MODES; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return ret;
}

int
dp_xdp_prepare(const char *ifname, char *err, size_t errlen)
{
	unsigned int ifindex;

	ifindex = if_nametoindex(ifname);
	if (ifindex == 0) {
		snprintf(err, errlen, "no such interface '%s'", ifname);
		return -ENODEV;
	}
	return detach_ours(ifname, (int)ifindex, true, err, errlen);
}

int
dp_xdp_detach(const char *ifname)
{
	char err[256];
	unsigned int ifindex;

	ifindex = if_nametoindex(ifname);
	if (ifindex == 0)
		return -ENODEV;
	return detach_ours(ifname, (int)ifindex, false, err, sizeof(err));
}

/* What dp_xdp_open expects of each map it uses. */
struct map_want {
	const char *name;
	uint32_t type;
	uint32_t key_size;
	uint32_t value_size;
};

enum { MAP_LOCAL4, MAP_LOCAL6, MAP_STATS, MAP_DENY4, MAP_RS4, MAP_RS6, MAP_N };

static const struct map_want map_wants[MAP_N] = {
	[MAP_LOCAL4] = {EDGE_XDP_MAP_LOCAL4, BPF_MAP_TYPE_HASH, 4, 4},
	[MAP_LOCAL6] = {EDGE_XDP_MAP_LOCAL6, BPF_MAP_TYPE_HASH, 16, 4},
	[MAP_STATS] = {EDGE_XDP_MAP_STATS, BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8},
	[MAP_DENY4] = {EDGE_XDP_MAP_DENY4, BPF_MAP_TYPE_LPM_TRIE, sizeof(struct edge_xdp_lpm4_key),
		4},
	[MAP_RS4] = {EDGE_XDP_MAP_RS4, BPF_MAP_TYPE_HASH, 4, 4},
	[MAP_RS6] = {EDGE_XDP_MAP_RS6, BPF_MAP_TYPE_HASH, 16, 4},
};

/*
 * Open map id; if its name is one of map_wants and its layout matches,
 * store the fd in fds.  0, or -errno with a message.
 */
static int
map_take(uint32_t id, int fds[MAP_N], unsigned int *n_stats, const char *ifname, char *err,
	size_t errlen)
{
	struct bpf_map_info info;
	uint32_t len = sizeof(info);
	const struct map_want *w;
	int fd, ret, i;

	fd = bpf_map_get_fd_by_id(id);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open map id %u of the XDP program on %s: %s", id,
			ifname, strerror(-fd));
		return fd;
	}
	memset(&info, 0, sizeof(info));
	ret = bpf_obj_get_info_by_fd(fd, &info, &len);
	if (ret < 0) {
		snprintf(err, errlen, "cannot inspect map id %u of the XDP program on %s: %s", id,
			ifname, strerror(-ret));
		close(fd);
		return ret;
	}
	for (i = 0; i < MAP_N; i++) {
		w = &map_wants[i];
		if (strncmp(info.name, w->name, sizeof(info.name)) != 0)
			continue;
		if (info.type != w->type || info.key_size != w->key_size ||
			info.value_size != w->value_size) {
			snprintf(err, errlen,
				"map '%s' of the XDP program on %s has type %u key %u value %u, "
				"expected %u/%u/%u: program from another Edgeplane version?",
				w->name, ifname, info.type, info.key_size, info.value_size, w->type,
				w->key_size, w->value_size);
			close(fd);
			return -EPROTO;
		}
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = fd;
		if (i == MAP_STATS)
			*n_stats = info.max_entries;
		return 0;
	}
	close(fd); /* xsks_map and others: the PMD's business */
	return 0;
}

/* Fill x's map fds from the maps of program prog_fd. */
static int
maps_find(struct dp_xdp *x, int prog_fd, char *err, size_t errlen)
{
	struct bpf_prog_info info;
	uint32_t len = sizeof(info);
	uint32_t *ids = NULL;
	uint32_t n, i;
	int fds[MAP_N];
	int ret;

	for (i = 0; i < MAP_N; i++)
		fds[i] = -1;

	/* Two calls: the first learns how many maps there are. */
	memset(&info, 0, sizeof(info));
	ret = bpf_obj_get_info_by_fd(prog_fd, &info, &len);
	if (ret < 0)
		goto info_failed;
	n = info.nr_map_ids;
	if (n == 0) {
		snprintf(err, errlen, "the XDP program on %s (id %u) uses no maps", x->ifname,
			x->prog_id);
		return -ENOENT;
	}
	ids = calloc(n, sizeof(*ids));
	if (ids == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	memset(&info, 0, sizeof(info));
	info.nr_map_ids = n;
	info.map_ids = (uint64_t)(uintptr_t)ids;
	len = sizeof(info);
	ret = bpf_obj_get_info_by_fd(prog_fd, &info, &len);
	if (ret < 0)
		goto info_failed;
	if (info.nr_map_ids < n)
		n = info.nr_map_ids;

	for (i = 0; i < n; i++) {
		ret = map_take(ids[i], fds, &x->n_stats, x->ifname, err, errlen);
		if (ret < 0)
			goto fail;
	}
	for (i = 0; i < MAP_N; i++) {
		if (fds[i] < 0) {
			snprintf(err, errlen,
				"the XDP program on %s (id %u) has no map '%s': "
				"program from another Edgeplane version?",
				x->ifname, x->prog_id, map_wants[i].name);
			ret = -ENOENT;
			goto fail;
		}
	}
	free(ids);
	x->fd_local4 = fds[MAP_LOCAL4];
	x->fd_local6 = fds[MAP_LOCAL6];
	x->fd_stats = fds[MAP_STATS];
	x->fd_deny4 = fds[MAP_DENY4];
	x->fd_rs4 = fds[MAP_RS4];
	x->fd_rs6 = fds[MAP_RS6];
	return 0;

info_failed:
	snprintf(err, errlen, "cannot inspect the XDP program on %s (id %u): %s", x->ifname,
		x->prog_id, strerror(-ret));
fail:
	for (i = 0; i < MAP_N; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(ids);
	return ret;
}

int
dp_xdp_open(const char *ifname, struct dp_xdp **out, char *err, size_t errlen)
{
	struct xdp_attached att[XDP_N_MODES];
	char name[BPF_OBJ_NAME_LEN];
	struct dp_xdp *x;
	unsigned int ifindex;
	int i, fd = -1, ret;

	*out = NULL;
	ifindex = if_nametoindex(ifname);
	if (ifindex == 0) {
		snprintf(err, errlen, "no such interface '%s'", ifname);
		return -ENODEV;
	}
	ret = xdp_query((int)ifindex, att);
	if (ret < 0) {
		snprintf(err, errlen, "cannot query XDP on %s: %s", ifname, strerror(-ret));
		return ret;
	}

	x = calloc(1, sizeof(*x));
	if (x == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	snprintf(x->ifname, sizeof(x->ifname), "%s", ifname);
	x->fd_local4 = x->fd_local6 = x->fd_stats = x->fd_deny4 = x->fd_rs4 = x->fd_rs6 = -1;

	/* The PMD attaches in one mode; take the first of ours we see. */
	for (i = 0; i < XDP_N_MODES; i++) {
		if (att[i].id == 0)
			continue;
		fd = prog_open(att[i].id, name);
		if (fd < 0) {
			snprintf(err, errlen, "cannot open XDP program id %u on %s: %s", att[i].id,
				ifname, strerror(-fd));
			ret = fd;
			goto fail;
		}
		if (is_edge_prog(name)) {
			x->prog_id = att[i].id;
			break;
		}
		snprintf(err, errlen,
			"interface %s carries XDP program '%s' (id %u, %s mode), not Edgeplane's "
			"'%s'",
			ifname, name, att[i].id, att[i].name, EDGE_XDP_PROG_NAME);
		close(fd);
		fd = -1;
		ret = -EBUSY;
		goto fail;
	}
	if (fd < 0) {
		snprintf(err, errlen, "no XDP program attached to %s", ifname);
		ret = -ENOENT;
		goto fail;
	}

	ret = maps_find(x, fd, err, errlen);
	close(fd);
	if (ret < 0)
		goto fail;

	x->n_cpus = libbpf_num_possible_cpus();
	if (x->n_cpus <= 0) {
		ret = x->n_cpus < 0 ? x->n_cpus : -EINVAL;
		snprintf(err, errlen, "cannot count possible CPUs: %s", strerror(-ret));
		goto fail;
	}
	x->percpu = calloc((size_t)x->n_cpus, sizeof(*x->percpu));
	if (x->percpu == NULL) {
		snprintf(err, errlen, "out of memory");
		ret = -ENOMEM;
		goto fail;
	}
	*out = x;
	return 0;

fail:
	dp_xdp_close(x);
	return ret;
}

/* Of a pair of maps by family (fd4, fd6): the one for a, and a's key in
 * it; -EAFNOSUPPORT for an unset family. */
static int
addr_key(int fd4, int fd6, const struct pkt_addr *a, int *fd, const void **key)
{
	switch (a->family) {
	case AF_INET:
		*fd = fd4;
		*key = &a->v4;
		return 0;
	case AF_INET6:
		*fd = fd6;
		*key = a->v6;
		return 0;
	default:
		return -EAFNOSUPPORT;
	}
}

int
dp_xdp_local_add(struct dp_xdp *x, const struct pkt_addr *a)
{
	return dp_xdp_addr_set(x, a, EDGE_XDP_ADDR_LOCAL);
}

int
dp_xdp_local_del(struct dp_xdp *x, const struct pkt_addr *a)
{
	return dp_xdp_addr_clear(x, a, EDGE_XDP_ADDR_LOCAL);
}

int
dp_xdp_addr_set(struct dp_xdp *x, const struct pkt_addr *a, uint32_t flags)
{
	const void *key;
	uint32_t cur = 0;
	int fd, ret;

	ret = addr_key(x->fd_local4, x->fd_local6, a, &fd, &key);
	if (ret < 0)
		return ret;
	ret = bpf_map_lookup_elem(fd, key, &cur);
	if (ret < 0 && ret != -ENOENT)
		return ret;
	if (ret == -ENOENT)
		cur = 0;
	cur |= flags;
	return bpf_map_update_elem(fd, key, &cur, BPF_ANY);
}

int
dp_xdp_addr_clear(struct dp_xdp *x, const struct pkt_addr *a, uint32_t flags)
{
	const void *key;
	uint32_t cur;
	int fd, ret;

	ret = addr_key(x->fd_local4, x->fd_local6, a, &fd, &key);
	if (ret < 0)
		return ret;
	ret = bpf_map_lookup_elem(fd, key, &cur);
	if (ret < 0)
		return ret;
	if ((cur & flags) == 0)
		return -ENOENT;
	cur &= ~flags;
	if (cur == 0)
		return bpf_map_delete_elem(fd, key);
	return bpf_map_update_elem(fd, key, &cur, BPF_EXIST);
}

int
dp_xdp_rs_add(struct dp_xdp *x, const struct pkt_addr *a)
{
	uint32_t flags = EDGE_XDP_RS_NAT;
	const void *key;
	int fd, ret;

	ret = addr_key(x->fd_rs4, x->fd_rs6, a, &fd, &key);
	if (ret < 0)
		return ret;
	return bpf_map_update_elem(fd, key, &flags, BPF_ANY);
}

int
dp_xdp_rs_del(struct dp_xdp *x, const struct pkt_addr *a)
{
	const void *key;
	int fd, ret;

	ret = addr_key(x->fd_rs4, x->fd_rs6, a, &fd, &key);
	if (ret < 0)
		return ret;
	return bpf_map_delete_elem(fd, key);
}

static int
deny_key(const struct pkt_addr *prefix, unsigned int len, struct edge_xdp_lpm4_key *k)
{
	if (prefix->family != AF_INET)
		return -EAFNOSUPPORT;
	if (len > 32)
		return -EINVAL;
	k->prefixlen = len;
	k->addr = prefix->v4;
	return 0;
}

int
dp_xdp_deny_add(struct dp_xdp *x, const struct pkt_addr *prefix, unsigned int len)
{
	struct edge_xdp_lpm4_key k;
	uint32_t one = 1;
	int ret;

	ret = deny_key(prefix, len, &k);
	if (ret < 0)
		return ret;
	return bpf_map_update_elem(x->fd_deny4, &k, &one, BPF_ANY);
}

int
dp_xdp_deny_del(struct dp_xdp *x, const struct pkt_addr *prefix, unsigned int len)
{
	struct edge_xdp_lpm4_key k;
	int ret;

	ret = deny_key(prefix, len, &k);
	if (ret < 0)
		return ret;
	return bpf_map_delete_elem(x->fd_deny4, &k);
}

int
dp_xdp_stats(struct dp_xdp *x, uint64_t out[EDGE_XDP_STAT_MAX])
{
	uint32_t key;
	int c, ret;

	for (key = 0; key < EDGE_XDP_STAT_MAX; key++) {
		out[key] = 0;
		if (key >= x->n_stats)
			continue;
		ret = bpf_map_lookup_elem(x->fd_stats, &key, x->percpu);
		if (ret < 0)
			return ret;
		for (c = 0; c < x->n_cpus; c++)
			out[key] += x->percpu[c];
	}
	return 0;
}

void
dp_xdp_close(struct dp_xdp *x)
{
	if (x == NULL)
		return;
	if (x->fd_local4 >= 0)
		close(x->fd_local4);
	if (x->fd_local6 >= 0)
		close(x->fd_local6);
	if (x->fd_stats >= 0)
		close(x->fd_stats);
	if (x->fd_deny4 >= 0)
		close(x->fd_deny4);
	if (x->fd_rs4 >= 0)
		close(x->fd_rs4);
	if (x->fd_rs6 >= 0)
		close(x->fd_rs6);
	free(x->percpu);
	free(x);
}
