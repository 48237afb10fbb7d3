/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Raw rtnetlink for the main lcore (no libnl): the kernel's neighbour
 * table as a stream of events, managed neighbour entries for next hops
 * the kernel does not know yet, and interface set-up for the exception
 * path's tap.
 *
 * Messages are walked with explicit bounds checks rather than the
 * NLMSG_OK/RTA_OK macros, whose int/unsigned mix trips -Wsign-compare.
 */
#include <errno.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <linux/if_addr.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "dp_netlink.h"

/* Largest request we build, and a receive buffer any kernel datagram fits
 * (dumps are at most 32 KiB per datagram). */
#define NL_REQ_MAX 256
#define NL_RECV_MAX 32768
/* Event socket receive buffer: room for a burst of neighbour changes. */
#define NL_EVENT_RCVBUF (1 << 20)
/* Datagrams dp_nl_neigh_recv reads per call before yielding. */
#define NL_RECV_BUDGET 256
/* How long a one-shot request waits for the kernel's answer. */
#define NL_TIMEOUT_MS 2000

/* A request under construction. */
union nl_req {
	struct nlmsghdr h;
	char b[NL_REQ_MAX];
};

union nl_rbuf {
	struct nlmsghdr h;
	char b[NL_RECV_MAX];
};

/* Called for each reply message of a one-shot request; non-zero stops the walk. */
typedef int (*nl_msg_cb)(const struct nlmsghdr *h, void *arg);

/* Start a request; returns the family header (hdr_len bytes, zeroed). */
static void *
nl_req_init(union nl_req *m, uint16_t type, uint16_t flags, size_t hdr_len)
{
	memset(m, 0, sizeof(*m));
	m->h.nlmsg_len = NLMSG_LENGTH(hdr_len);
	m->h.nlmsg_type = type;
	m->h.nlmsg_flags = (uint16_t)(NLM_F_REQUEST | flags);
	m->h.nlmsg_seq = 1;
	return NLMSG_DATA(&m->h);
}

static int
nl_attr_put(union nl_req *m, uint16_t type, const void *data, size_t len)
{
	size_t off = NLMSG_ALIGN(m->h.nlmsg_len);
	struct rtattr *rta;

	if (off + RTA_SPACE(len) > sizeof(m->b))
		return -EMSGSIZE;
	rta = (struct rtattr *)(m->b + off);
	rta->rta_type = type;
	rta->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	m->h.nlmsg_len = (uint32_t)(off + RTA_SPACE(len));
	return 0;
}

/* Next complete message of a datagram at *off, or NULL. */
static const struct nlmsghdr *
nl_msg_next(const char *buf, size_t len, size_t *off)
{
	const struct nlmsghdr *h;

	if (*off + sizeof(*h) > len)
		return NULL;
	h = (const struct nlmsghdr *)(buf + *off);
	if (h->nlmsg_len < sizeof(*h) || h->nlmsg_len > len - *off)
		return NULL;
	*off += NLMSG_ALIGN(h->nlmsg_len);
	return h;
}

/* Attributes of h after a family header of hdr_len bytes: first one and their length. */
static const struct rtattr *
nl_attrs(const struct nlmsghdr *h, size_t hdr_len, size_t *len)
{
	size_t start = NLMSG_LENGTH(hdr_len);

	if (h->nlmsg_len < start) {
		*len = 0;
		return NULL;
	}
	start = NLMSG_ALIGN(start);
	*len = h->nlmsg_len > start ? h->nlmsg_len - start : 0;
	return (const struct rtattr *)((const char *)h + start);
}

/* Next attribute from *rta (bounded by *len), or NULL at the end. */
static const struct rtattr *
nl_attr_next(const struct rtattr **rta, size_t *len)
{
	const struct rtattr *a = *rta;
	size_t step;

	if (a == NULL || *len < sizeof(*a) || a->rta_len < sizeof(*a) || a->rta_len > *len)
		return NULL;
	step = RTA_ALIGN(a->rta_len);
	if (step > *len)
		step = *len;
	*len -= step;
	*rta = (const struct rtattr *)((const char *)a + step);
	return a;
}

static size_t
nl_attr_len(const struct rtattr *a)
{
	return a->rta_len - RTA_LENGTH(0);
}

static int
nl_socket(bool nonblock)
{
	struct sockaddr_nl sa;
	int fd;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0),
		NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int ret = -errno;

		close(fd);
		return ret;
	}
	return fd;
}

static int
nl_send(int fd, const struct nlmsghdr *h)
{
	struct sockaddr_nl sa;
	ssize_t n;

	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	do {
		n = sendto(fd, h, h->nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa));
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if ((size_t)n != h->nlmsg_len)
		return -EIO;
	return 0;
}

/*
 * Send req on a private blocking socket and read the answer: the ACK
 * (0 or -errno from NLMSG_ERROR), or for a dump every message, each
 * passed to cb, up to NLMSG_DONE.  Times out after NL_TIMEOUT_MS.
 */
static int
nl_transact(union nl_req *req, nl_msg_cb cb, void *arg)
{
	const bool dump = (req->h.nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
	struct timeval tv = {
		.tv_sec = NL_TIMEOUT_MS / 1000,
		.tv_usec = (NL_TIMEOUT_MS % 1000) * 1000,
	};
	union nl_rbuf *rb;
	const struct nlmsghdr *h;
	bool stop = false;
	size_t off;
	ssize_t n;
	int fd, ret;

	rb = malloc(sizeof(*rb));
	if (rb == NULL)
		return -ENOMEM;
	fd = nl_socket(false);
	if (fd < 0) {
		free(rb);
		return fd;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		ret = -errno;
		goto out;
	}
	ret = nl_send(fd, &req->h);
	if (ret < 0)
		goto out;

	for (;;) {
		n = recv(fd, rb->b, sizeof(rb->b), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
			goto out;
		}
		if (n == 0) {
			ret = -EIO;
			goto out;
		}
		off = 0;
		while ((h = nl_msg_next(rb->b, (size_t)n, &off)) != NULL) {
			if (h->nlmsg_seq != req->h.nlmsg_seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e))) {
					ret = -EIO;
					goto out;
				}
				/* For a request, error 0 is the ACK. */
				ret = e->error;
				goto out;
			}
			if (h->nlmsg_type == NLMSG_DONE) {
				ret = 0;
				goto out;
			}
			if (dump && cb != NULL && !stop && cb(h, arg) != 0)
				stop = true; /* keep draining up to NLMSG_DONE */
		}
	}
out:
	close(fd);
	free(rb);
	return ret;
}

int
dp_nl_neigh_open(void)
{
	int fd, group = RTNLGRP_NEIGH, size = NL_EVENT_RCVBUF, ret;

	fd = nl_socket(true);
	if (fd < 0)
		return fd;
	if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	/* Best effort: FORCE needs CAP_NET_ADMIN, plain SO_RCVBUF is capped. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	return fd;
}

int
dp_nl_neigh_dump(int fd)
{
	union nl_req m;
	struct ndmsg *ndm;

	ndm = nl_req_init(&m, RTM_GETNEIGH, NLM_F_DUMP, sizeof(*ndm));
	ndm->ndm_family = AF_UNSPEC;
	return nl_send(fd, &m.h);
}

/* Does the kernel hold a usable link-layer address in this state? */
#define NL_NUD_USABLE \
	(NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT | NUD_NOARP)

static bool
nud_usable(uint16_t state)
{
	return (state & NL_NUD_USABLE) != 0;
}

/* One RTM_NEWNEIGH/RTM_DELNEIGH: 1 if reported through cb, 0 if not for us. */
static int
neigh_msg(const struct nlmsghdr *h, dp_nl_neigh_cb cb, void *arg)
{
	const struct ndmsg *ndm = NLMSG_DATA(h);
	const struct rtattr *rta, *a;
	const uint8_t *mac = NULL;
	struct pkt_addr addr;
	bool have_dst = false;
	int reachable;
	size_t len;

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*ndm)))
		return 0;
	if (ndm->ndm_family != AF_INET && ndm->ndm_family != AF_INET6)
		return 0;
	if (ndm->ndm_flags & NTF_PROXY)
		return 0; /* proxy entries answer for others; no next hop */

	memset(&addr, 0, sizeof(addr));
	addr.family = ndm->ndm_family;
	rta = nl_attrs(h, sizeof(*ndm), &len);
	while ((a = nl_attr_next(&rta, &len)) != NULL) {
		switch (a->rta_type) {
		case NDA_DST:
			if (addr.family == AF_INET && nl_attr_len(a) == 4) {
				memcpy(&addr.v4, RTA_DATA(a), 4);
				have_dst = true;
			} else if (addr.family == AF_INET6 && nl_attr_len(a) == 16) {
				memcpy(addr.v6, RTA_DATA(a), 16);
				have_dst = true;
			}
			break;
		case NDA_LLADDR:
			if (nl_attr_len(a) == 6)
				mac = RTA_DATA(a);
			break;
		default:
			break;
		}
	}
	if (!have_dst)
		return 0;
	reachable = h->nlmsg_type == RTM_NEWNEIGH && nud_usable(ndm->ndm_state) && mac != NULL;
	cb(arg, ndm->ndm_ifindex, &addr, reachable ? mac : NULL, reachable);
	return 1;
}

int
dp_nl_neigh_recv(int fd, dp_nl_neigh_cb cb, void *arg)
{
	union nl_rbuf *rb;
	const struct nlmsghdr *h;
	unsigned int budget;
	size_t off;
	ssize_t n;
	int seen = 0, ret = 0;

	rb = malloc(sizeof(*rb));
	if (rb == NULL)
		return -ENOMEM;
	for (budget = 0; budget < NL_RECV_BUDGET; budget++) {
		n = recv(fd, rb->b, sizeof(rb->b), MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == ENOBUFS) {
				/* Events were lost: learn the table again. */
				(void)dp_nl_neigh_dump(fd);
				continue;
			}
			ret = -errno;
			break;
		}
		if (n == 0)
			break;
		off = 0;
		while ((h = nl_msg_next(rb->b, (size_t)n, &off)) != NULL) {
			/* NLMSG_DONE / NLMSG_ERROR end our dump requests: nothing to do. */
			if (h->nlmsg_type == RTM_NEWNEIGH || h->nlmsg_type == RTM_DELNEIGH)
				seen += neigh_msg(h, cb, arg);
		}
	}
	free(rb);
	return ret < 0 ? ret : seen;
}

static int
neigh_req(union nl_req *m, uint16_t flags, int ifindex, const struct pkt_addr *addr)
{
	struct ndmsg *ndm;

	ndm = nl_req_init(m, RTM_NEWNEIGH, (uint16_t)(NLM_F_ACK | flags), sizeof(*ndm));
	ndm->ndm_family = addr->family;
	ndm->ndm_ifindex = ifindex;
	ndm->ndm_state = NUD_NONE;
	if (addr->family == AF_INET)
		return nl_attr_put(m, NDA_DST, &addr->v4, 4);
	if (addr->family == AF_INET6)
		return nl_attr_put(m, NDA_DST, addr->v6, 16);
	return -EAFNOSUPPORT;
}

int
dp_nl_neigh_resolve(int fd, int ifindex, const struct pkt_addr *addr)
{
	uint32_t ext = NTF_EXT_MANAGED;
	union nl_req m;
	struct ndmsg *ndm;
	int ret;

	/*
	 * As `ip neigh add ADDR dev IF managed`: a new entry in NUD_NONE
	 * with NTF_EXT_MANAGED, which the kernel resolves at once and keeps
	 * resolved.  The outcome arrives on fd as neighbour events; the
	 * request itself goes through a private socket so its error is ours.
	 */
	(void)fd;
	ret = neigh_req(&m, NLM_F_CREATE | NLM_F_EXCL, ifindex, addr);
	if (ret < 0)
		return ret;
	ret = nl_attr_put(&m, NDA_FLAGS_EXT, &ext, sizeof(ext));
	if (ret < 0)
		return ret;
	ret = nl_transact(&m, NULL, NULL);
	if (ret != -EEXIST)
		return ret;

	/*
	 * The kernel knows the address already (maybe stale or failed):
	 * "use" it (NTF_USE), which makes the kernel revalidate it.
	 */
	ret = neigh_req(&m, 0, ifindex, addr);
	if (ret < 0)
		return ret;
	ndm = NLMSG_DATA(&m.h);
	ndm->ndm_flags = NTF_USE;
	ret = nl_transact(&m, NULL, NULL);
	return ret == -ENOENT ? 0 : ret; /* gone meanwhile: nothing to revalidate */
}

static int
link_req(union nl_req *m, int ifindex, struct ifinfomsg **ifi)
{
	*ifi = nl_req_init(m, RTM_NEWLINK, NLM_F_ACK, sizeof(**ifi));
	(*ifi)->ifi_family = AF_UNSPEC;
	(*ifi)->ifi_index = ifindex;
	return 0;
}

int
dp_nl_link_set_mac(int ifindex, const uint8_t mac[6])
{
	struct ifinfomsg *ifi;
	union nl_req m;
	int ret;

	link_req(&m, ifindex, &ifi);
	ret = nl_attr_put(&m, IFLA_ADDRESS, mac, 6);
	if (ret < 0)
		return ret;
	return nl_transact(&m, NULL, NULL);
}

int
dp_nl_link_set_up(int ifindex)
{
	struct ifinfomsg *ifi;
	union nl_req m;

	link_req(&m, ifindex, &ifi);
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	return nl_transact(&m, NULL, NULL);
}

static int
addr_bytes(const struct pkt_addr *addr, const void **p, size_t *len)
{
	switch (addr->family) {
	case AF_INET:
		*p = &addr->v4;
		*len = 4;
		return 0;
	case AF_INET6:
		*p = addr->v6;
		*len = 16;
		return 0;
	default:
		return -EAFNOSUPPORT;
	}
}

int
dp_nl_addr_add(int ifindex, const struct pkt_addr *addr, unsigned int prefix_len)
{
	struct ifaddrmsg *ifa;
	union nl_req m;
	const void *p;
	size_t len;
	int ret;

	ret = addr_bytes(addr, &p, &len);
	if (ret < 0)
		return ret;
	if (prefix_len > len * 8)
		return -EINVAL;
	ifa = nl_req_init(&m, RTM_NEWADDR, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, sizeof(*ifa));
	ifa->ifa_family = addr->family;
	ifa->ifa_prefixlen = (uint8_t)prefix_len;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (uint32_t)ifindex;
	/*
	 * The dataplane is the authority for these addresses: no duplicate
	 * address detection, so the kernel's sockets can use them at once.
	 */
	if (addr->family == AF_INET6)
		ifa->ifa_flags = IFA_F_NODAD;
	ret = nl_attr_put(&m, IFA_LOCAL, p, len);
	if (ret == 0)
		ret = nl_attr_put(&m, IFA_ADDRESS, p, len);
	if (ret < 0)
		return ret;
	return nl_transact(&m, NULL, NULL);
}

struct addr_match {
	int ifindex;
	const void *addr;
	size_t len;
	int found;
};

static int
addr_match_msg(const struct nlmsghdr *h, void *arg)
{
	struct addr_match *am = arg;
	const struct ifaddrmsg *ifa = NLMSG_DATA(h);
	const struct rtattr *rta, *a, *local = NULL, *address = NULL;
	size_t len;

	if (h->nlmsg_type != RTM_NEWADDR || h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifa)))
		return 0;
	if ((int)ifa->ifa_index != am->ifindex)
		return 0;
	rta = nl_attrs(h, sizeof(*ifa), &len);
	while ((a = nl_attr_next(&rta, &len)) != NULL) {
		if (a->rta_type == IFA_LOCAL)
			local = a;
		else if (a->rta_type == IFA_ADDRESS)
			address = a;
	}
	/* IFA_LOCAL is the interface's own address; IFA_ADDRESS the peer's
	 * on point-to-point links, and the only one IPv6 usually sends. */
	a = local != NULL ? local : address;
	if (a != NULL && nl_attr_len(a) == am->len && memcmp(RTA_DATA(a), am->addr, am->len) == 0) {
		am->found = 1;
		return 1;
	}
	return 0;
}

int
dp_nl_addr_present(int ifindex, const struct pkt_addr *addr)
{
	struct addr_match am;
	struct ifaddrmsg *ifa;
	union nl_req m;
	int ret;

	memset(&am, 0, sizeof(am));
	am.ifindex = ifindex;
	ret = addr_bytes(addr, &am.addr, &am.len);
	if (ret < 0)
		return ret;
	ifa = nl_req_init(&m, RTM_GETADDR, NLM_F_DUMP, sizeof(*ifa));
	ifa->ifa_family = addr->family;
	ifa->ifa_index = (uint32_t)ifindex;
	ret = nl_transact(&m, addr_match_msg, &am);
	if (ret < 0)
		return ret;
	return am.found;
}
