/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control socket, served by the main lcore from its epoll loop
 * (protocol: lib/ctlmsg/ctlmsg.h).  Mode 0600 in a directory it creates
 * if needed; a stale socket left by a crash is replaced, a live one (a
 * second dataplane on the same profile) is refused.  Any number of
 * read-only sessions, at most one controller.  A malformed request gets
 * an error reply and the session stays open; nothing a client sends can
 * stop the dataplane.
 *
 * Readers may list anything (counters, services, real servers, flows);
 * only the controller may change state (SERVER_SET), so there is one
 * writer whose view of what it set is never silently overridden by
 * another client.  Until edge-control exists, edgectl takes the
 * controller role for the one request that needs it and leaves.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_random.h>

#include "ctlmsg.h"
#include "dp.h"
#include "dp_ctl.h"
#include "dp_lb_ctl.h"

#define DP_CTL_SESSIONS 16
#define DP_CTL_PATH_MAX sizeof(((struct sockaddr_un *)0)->sun_path)

struct dp_ctl_session {
	int fd;
	int hello;
	uint32_t role;
};

struct dp_ctl {
	int lfd;
	int ep;
	char path[DP_CTL_PATH_MAX];
	struct dp_ctl_session s[DP_CTL_SESSIONS];
	int bound; /* we created the socket file at path... */
	dev_t dev; /* ...and this is it */
	ino_t ino;
	uint64_t epoch;
	uint64_t start_tsc;
	uint64_t requests, errors;
	char err[CTLMSG_ERR_MAX]; /* the error reply's text, if any */
	/* Aligned: handlers cast out to the reply structs. */
	uint8_t buf[CTLMSG_MAX + 1] __rte_aligned(8); /* the request being served */
	uint8_t out[CTLMSG_MAX] __rte_aligned(8);     /* its reply, zeroed first: no
							 byte of an earlier message
							 leaks into padding */
};

/* The loader keeps socket paths within sun_path; checked again here. */
static int
path_copy(char *dst, const char *src)
{
	size_t n = strlen(src);

	if (n >= DP_CTL_PATH_MAX)
		return -ENAMETOOLONG;
	memcpy(dst, src, n + 1);
	return 0;
}

/*
 * What is at path?  0: nothing; 1: a socket nobody listens on (left by a
 * crash, safe to remove); -EADDRINUSE: a live socket; -EEXIST: something
 * that is not a stale socket of ours (a file, another kind of socket):
 * never removed.  A non-blocking connect, so a listener with a full
 * backlog counts as live instead of stalling us.
 */
static int
path_state(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	int fd, ret;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || path_copy(sa.sun_path, path) != 0) {
		if (fd >= 0)
			close(fd);
		return -EEXIST;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 || errno == EAGAIN)
		ret = -EADDRINUSE;
	else
		ret = errno == ECONNREFUSED ? 1 : -EEXIST;
	close(fd);
	return ret;
}

static int
make_parent(const char *path)
{
	char dir[DP_CTL_PATH_MAX];

	if (path_copy(dir, path) != 0)
		return -ENAMETOOLONG;
	if (mkdir(dirname(dir), 0750) != 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int
dp_ctl_open(struct dp *dp)
{
	const char *path = dp->prof->dataplane.control_socket;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct dp_ctl *c;
	struct stat st;
	mode_t old_mask;
	unsigned int i;
	int ret;

	c = rte_zmalloc("ep_ctl", sizeof(*c), 0);
	if (c == NULL)
		return -ENOMEM;
	c->ep = -1;
	c->lfd = -1;
	for (i = 0; i < DP_CTL_SESSIONS; i++)
		c->s[i].fd = -1;
	c->epoch = rte_rand();
	c->start_tsc = rte_get_tsc_cycles();
	dp->ctl = c;

	if (path_copy(c->path, path) != 0 || path_copy(sa.sun_path, path) != 0) {
		DP_LOG(ERR, "control socket path too long: %s", path);
		return -ENAMETOOLONG;
	}
	ret = path_state(path);
	if (ret == -EADDRINUSE) {
		DP_LOG(ERR, "%s:%u: control socket %s is in use (another edge-dataplane?)",
			dp->prof->file, dp->prof->dataplane.line, path);
		return ret;
	}
	if (ret < 0) {
		DP_LOG(ERR, "%s:%u: control socket %s: %s; not replacing it", dp->prof->file,
			dp->prof->dataplane.line, path,
			ret == -EEXIST ? "something else is there" : strerror(-ret));
		return ret;
	}
	ret = make_parent(path);
	if (ret < 0) {
		DP_LOG(ERR, "control socket %s: cannot create its directory: %s", path,
			strerror(-ret));
		return ret;
	}
	if (ret == 0 && path_state(path) == 1)
		unlink(path); /* stale, from a crash */
	c->lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->lfd < 0) {
		ret = -errno;
		DP_LOG(ERR, "control socket %s: %s", path, strerror(-ret));
		return ret;
	}
	/* Created 0600 (umask, not chmod, which would follow a symlink). */
	old_mask = umask(0177);
	ret = bind(c->lfd, (struct sockaddr *)&sa, sizeof(sa)) == 0 ? 0 : -errno;
	umask(old_mask);
	if (ret == 0 && lstat(path, &st) == 0) {
		c->dev = st.st_dev;
		c->ino = st.st_ino;
		c->bound = 1;
	}
	if (ret == 0 && listen(c->lfd, 8) != 0)
		ret = -errno;
	if (ret < 0) {
		/* A racing dataplane may have bound it first: not ours. */
		DP_LOG(ERR, "control socket %s: %s", path, strerror(-ret));
		return ret;
	}
	DP_LOG(INFO, "control socket %s", path);
	return 0;
}

int
dp_ctl_attach(struct dp *dp, int ep)
{
	struct epoll_event ev = {.events = EPOLLIN};
	struct dp_ctl *c = dp->ctl;

	c->ep = ep;
	ev.data.fd = c->lfd;
	return epoll_ctl(ep, EPOLL_CTL_ADD, c->lfd, &ev) == 0 ? 0 : -errno;
}

void
dp_ctl_close(struct dp *dp)
{
	struct dp_ctl *c = dp->ctl;
	struct stat st;
	unsigned int i;

	if (c == NULL)
		return;
	for (i = 0; i < DP_CTL_SESSIONS; i++)
		if (c->s[i].fd >= 0)
			close(c->s[i].fd);
	if (c->lfd >= 0)
		close(c->lfd);
	/* Only the socket we bound: not one a later dataplane put there. */
	if (c->bound && lstat(c->path, &st) == 0 && st.st_dev == c->dev && st.st_ino == c->ino)
		unlink(c->path);
	rte_free(c);
	dp->ctl = NULL;
}

static void
session_close(struct dp_ctl *c, struct dp_ctl_session *s)
{
	epoll_ctl(c->ep, EPOLL_CTL_DEL, s->fd, NULL);
	close(s->fd);
	s->fd = -1;
	s->hello = 0;
	s->role = CTLMSG_ROLE_READER;
}

static void
accept_one(struct dp_ctl *c)
{
	struct epoll_event ev = {.events = EPOLLIN};
	unsigned int i;
	int fd = accept4(c->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	for (i = 0; i < DP_CTL_SESSIONS; i++)
		if (c->s[i].fd < 0)
			break;
	if (i == DP_CTL_SESSIONS) {
		DP_LOG(WARNING, "control socket: %u sessions open, refusing another",
			DP_CTL_SESSIONS);
		close(fd);
		return;
	}
	ev.data.fd = fd;
	if (epoll_ctl(c->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
		close(fd);
		return;
	}
	c->s[i].fd = fd;
	c->s[i].hello = 0;
	c->s[i].role = CTLMSG_ROLE_READER;
}

static int
reply(struct dp_ctl_session *s, struct ctlmsg_hdr *h, size_t len)
{
	return send(s->fd, h, len, MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)len ? 0 : -errno;
}

/*
 * Has the peer of a session closed it with nothing left to read?  Its
 * end of file may still be waiting in this epoll round: a controller
 * that has just left (an edgectl command) must not make the next one
 * busy.  A session with requests still queued is not gone.
 */
static bool
session_gone(const struct dp_ctl_session *s)
{
	uint8_t b;

	return recv(s->fd, &b, sizeof(b), MSG_PEEK | MSG_DONTWAIT) == 0;
}

static size_t
do_hello(struct dp *dp, struct dp_ctl *c, struct dp_ctl_session *s, const void *req)
{
	struct ctlmsg_hello_reply *r = (struct ctlmsg_hello_reply *)c->out;
	struct ctlmsg_hello h;
	unsigned int i;

	memcpy(&h, req, sizeof(h));
	if (h.role > CTLMSG_ROLE_CONTROLLER)
		return (size_t)-EINVAL;
	if (h.role == CTLMSG_ROLE_CONTROLLER)
		for (i = 0; i < DP_CTL_SESSIONS; i++) {
			if (&c->s[i] == s || c->s[i].fd < 0 ||
				c->s[i].role != CTLMSG_ROLE_CONTROLLER)
				continue;
			if (!session_gone(&c->s[i]))
				return (size_t)-EBUSY;
			session_close(c, &c->s[i]);
		}
	s->hello = 1;
	s->role = h.role;
	h.client[sizeof(h.client) - 1] = '\0';
	for (i = 0; h.client[i] != '\0'; i++) /* untrusted: keep the log line clean */
		if (h.client[i] < 0x20 || h.client[i] > 0x7e)
			h.client[i] = '?';
	if (h.role == CTLMSG_ROLE_CONTROLLER)
		DP_LOG(INFO, "control socket: controller '%s' connected", h.client);
	r->version = CTLMSG_VERSION;
	r->workers = dp->n_workers;
	r->ports = dp->n_ports;
	r->pid = (uint32_t)getpid();
	r->epoch = c->epoch;
	{
		uint64_t d = rte_get_tsc_cycles() - c->start_tsc, hz = rte_get_tsc_hz();

		/* d * 1000 would wrap after some weeks. */
		r->uptime_ms = d / hz * 1000 + d % hz * 1000 / hz;
	}
	return sizeof(*r);
}

static size_t
do_stats(struct dp *dp, struct dp_ctl *c)
{
	struct ctlmsg_stats_reply *r = (struct ctlmsg_stats_reply *)c->out;
	struct dp_totals t;

	dp_totals_get(dp, &t);
	r->rx = t.rx;
	r->tx = t.tx;
	r->drops = t.drops_total;
	r->handoff_out = t.handoff_out;
	r->handoff_in = t.handoff_in;
	r->slowpath = t.slowpath;
	r->punted = t.punted;
	r->exception_rx = dp->main.exception_rx;
	r->main_tx = dp->main.tx;
	r->arp_replies = t.arp_replies;
	r->nd_replies = t.nd_replies;
	r->echo_replies = t.echo_replies;
	r->idle_sleeps = t.idle_sleeps;
	return sizeof(*r);
}

static size_t
do_drops(struct dp *dp, struct dp_ctl *c)
{
	struct ctlmsg_drops_reply *r = (struct ctlmsg_drops_reply *)c->out;
	struct dp_totals t;
	unsigned int i;

	dp_totals_get(dp, &t);
	r->n = 0;
	for (i = 0; i < DP_DROP_MAX && r->n < CTLMSG_DROPS_MAX; i++) {
		if (i == DP_DROP_PARSE_BASE + PKT_OK)
			continue;
		snprintf(r->drop[r->n].name, sizeof(r->drop[0].name), "%s", dp_drop_name(i));
		r->drop[r->n].value = t.drops[i];
		r->n++;
	}
	return ctlmsg_reply_size(CTLMSG_DROPS, r->n);
}

static size_t
do_ports(struct dp *dp, struct dp_ctl *c)
{
	struct ctlmsg_ports_reply *r = (struct ctlmsg_ports_reply *)c->out;
	unsigned int i;

	r->n = 0;
	for (i = 0; i < dp->n_ports && r->n < CTLMSG_PORTS_MAX; i++) {
		const struct dp_port *p = &dp->ports[i];
		struct ctlmsg_port *o = &r->port[r->n++];
		struct rte_eth_stats es;

		memset(o, 0, sizeof(*o));
		snprintf(o->name, sizeof(o->name), "%s", p->prof->name);
		snprintf(o->mode, sizeof(o->mode), "%s", prof_port_mode_name(p->prof->mode));
		memcpy(o->mac, p->mac.addr_bytes, 6);
		o->rx_queues = p->n_rxq;
		o->tx_queues = p->n_txq;
		dp_port_totals(dp, i, &o->rx, &o->tx);
		if (rte_eth_stats_get(p->port_id, &es) == 0) {
			o->nic_ipackets = es.ipackets;
			o->nic_opackets = es.opackets;
			o->nic_imissed = es.imissed;
			o->nic_ierrors = es.ierrors;
			o->nic_oerrors = es.oerrors;
		}
	}
	return ctlmsg_reply_size(CTLMSG_PORTS, r->n);
}

static size_t
do_workers(struct dp *dp, struct dp_ctl *c)
{
	struct ctlmsg_workers_reply *r = (struct ctlmsg_workers_reply *)c->out;
	unsigned int i, k;

	r->n = 0;
	for (i = 0; i < dp->n_workers && r->n < CTLMSG_WORKERS_MAX; i++) {
		const struct dp_wstats *s = &dp->workers[i]->st;
		struct ctlmsg_worker *o = &r->worker[r->n++];

		o->rx = s->rx;
		o->tx = s->tx;
		o->handoff_out = s->handoff_out;
		o->handoff_in = s->handoff_in;
		o->polls = s->polls;
		o->busy_polls = s->busy_polls;
		o->idle_sleeps = s->idle_sleeps;
		o->drops = 0;
		for (k = 0; k < DP_DROP_MAX; k++)
			o->drops += s->drops[k];
	}
	return ctlmsg_reply_size(CTLMSG_WORKERS, r->n);
}

/* Requests are copied out of the receive buffer: handlers get aligned structs. */
static ssize_t
do_list(struct dp *dp, struct dp_ctl *c, uint16_t type)
{
	struct ctlmsg_list_req req;

	memcpy(&req, c->buf, sizeof(req));
	switch (type) {
	case CTLMSG_SERVICES:
		return dp_lb_ctl_services(dp, &req, c->out, c->err, sizeof(c->err));
	case CTLMSG_SERVERS:
		return dp_lb_ctl_servers(dp, &req, c->out, c->err, sizeof(c->err));
	default:
		return dp_lb_ctl_flows(dp, &req, c->out, c->err, sizeof(c->err));
	}
}

static ssize_t
do_server_set(struct dp *dp, struct dp_ctl *c)
{
	struct ctlmsg_server_set req;

	memcpy(&req, c->buf, sizeof(req));
	return dp_lb_ctl_server_set(dp, &req, c->out, c->err, sizeof(c->err));
}

/* One request: returns the reply length, or a negative errno. */
static ssize_t
handle(struct dp *dp, struct dp_ctl *c, struct dp_ctl_session *s, size_t len)
{
	struct ctlmsg_hdr h;
	ssize_t n;
	int ret;

	ret = ctlmsg_check_request(c->buf, len);
	if (ret < 0)
		return ret;
	memset(c->out, 0, sizeof(c->out));
	memcpy(&h, c->buf, sizeof(h));
	if (h.type != CTLMSG_HELLO && !s->hello)
		return -ENOTCONN;
	if (ctlmsg_controller_only(h.type) && s->role != CTLMSG_ROLE_CONTROLLER)
		return -EPERM;
	switch (h.type) {
	case CTLMSG_HELLO:
		n = (ssize_t)do_hello(dp, c, s, c->buf);
		break;
	case CTLMSG_STATS:
		n = (ssize_t)do_stats(dp, c);
		break;
	case CTLMSG_DROPS:
		n = (ssize_t)do_drops(dp, c);
		break;
	case CTLMSG_PORTS:
		n = (ssize_t)do_ports(dp, c);
		break;
	case CTLMSG_WORKERS:
		n = (ssize_t)do_workers(dp, c);
		break;
	case CTLMSG_SERVICES:
	case CTLMSG_SERVERS:
	case CTLMSG_FLOWS:
		n = do_list(dp, c, h.type);
		break;
	case CTLMSG_SERVER_SET:
		n = do_server_set(dp, c);
		break;
	case CTLMSG_SERVICE_PUT:
		/* Checked in place (aligned buffer): 32 KB is not worth a copy. */
		n = dp_lb_ctl_service_put(dp, (const struct ctlmsg_service_put *)c->buf, c->out,
			c->err, sizeof(c->err));
		break;
	case CTLMSG_SERVICE_DEL: {
		struct ctlmsg_service_del req;

		memcpy(&req, c->buf, sizeof(req));
		n = dp_lb_ctl_service_del(dp, &req, c->out, c->err, sizeof(c->err));
		break;
	}
	default:
		return -EOPNOTSUPP;
	}
	return n;
}

static void
session_input(struct dp *dp, struct dp_ctl *c, struct dp_ctl_session *s)
{
	struct ctlmsg_hdr h = {0};
	ssize_t len, n;

	/* MSG_TRUNC: the real size of an oversized datagram, so it is
	 * refused rather than read as a shorter valid one. */
	len = recv(s->fd, c->buf, CTLMSG_MAX, MSG_DONTWAIT | MSG_TRUNC);
	if (len == 0 || (len < 0 && errno != EAGAIN && errno != EINTR)) {
		session_close(c, s);
		return;
	}
	if (len < 0)
		return;
	c->requests++;
	c->err[0] = '\0';
	if (len > CTLMSG_MAX) {
		n = -EMSGSIZE;
	} else {
		if ((size_t)len >= sizeof(h))
			memcpy(&h, c->buf, sizeof(h));
		n = handle(dp, c, s, (size_t)len);
	}
	if (n < 0) {
		/* Error replies echo what could be read of the request, and
		 * name what it referred to when a handler said. */
		struct ctlmsg_error_reply e;

		c->errors++;
		memset(&e, 0, sizeof(e));
		ctlmsg_hdr_init(&e.hdr,
			h.type < CTLMSG_TYPE_MAX ? (enum ctlmsg_type)h.type : CTLMSG_NONE, h.seq,
			(int32_t)n);
		snprintf(e.msg, sizeof(e.msg), "%s", c->err);
		if (reply(s, &e.hdr, c->err[0] != '\0' ? sizeof(e) : sizeof(e.hdr)) != 0)
			session_close(c, s);
		return;
	}
	ctlmsg_hdr_init((struct ctlmsg_hdr *)c->out, (enum ctlmsg_type)h.type, h.seq, 0);
	if (reply(s, (struct ctlmsg_hdr *)c->out, (size_t)n) != 0)
		session_close(c, s);
}

int
dp_ctl_input(struct dp *dp, int fd)
{
	struct dp_ctl *c = dp->ctl;
	unsigned int i;

	if (c == NULL)
		return 0;
	if (fd == c->lfd) {
		accept_one(c);
		return 1;
	}
	for (i = 0; i < DP_CTL_SESSIONS; i++) {
		if (c->s[i].fd == fd) {
			session_input(dp, c, &c->s[i]);
			return 1;
		}
	}
	return 0;
}
