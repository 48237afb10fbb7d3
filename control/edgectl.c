/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * edgectl: the operator's CLI.
 *
 *   edgectl [--socket PATH | --profile FILE] [--json] show stats|drops|ports|workers
 *   edgectl ... show services | servers [SERVICE] | flows [SERVICE] [--limit N]
 *   edgectl ... server enable|disable|drain SERVICE ADDR[:PORT]
 *   edgectl ... server weight SERVICE ADDR[:PORT] N
 *   edgectl ... server health SERVICE ADDR[:PORT] up|down
 *
 * Today it talks to the dataplane's control socket directly (edge-control,
 * which it will talk to first, is a later issue): `show` as a read-only
 * session, `server` as the controller for its one request (refused while
 * another controller is connected).  Human tables by default, one JSON
 * value with --json for scripts.  Exit codes: 0 ok, 1 the dataplane is
 * unreachable or refused (one line on stderr says why), 2 bad usage.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctlmsg.h"
#include "prof.h"

#define EDGECTL_DEFAULT_SOCKET "/run/edgeplane/dataplane.sock"
#define EDGECTL_TIMEOUT_S 5
#define EDGECTL_FLOWS_DEFAULT 1000 /* flows shown unless --limit says otherwise */

struct session {
	int fd;
	uint32_t seq;
	uint8_t buf[CTLMSG_MAX];
};

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: edgectl [--socket PATH | --profile FILE] [--json] COMMAND\n"
		"  show stats|drops|ports|workers|services\n"
		"  show servers [SERVICE]\n"
		"  show flows [SERVICE] [--limit N]   (default %u flows; 0: all)\n"
		"  server enable|disable|drain SERVICE ADDR[:PORT]\n"
		"  server weight SERVICE ADDR[:PORT] N   (0-%u)\n"
		"  server health SERVICE ADDR[:PORT] up|down\n"
		"  service put FILE|-   add or update the [virtual_service NAME] section in FILE\n"
		"  service remove SERVICE\n"
		"  --socket PATH   the dataplane's control socket (default %s)\n"
		"  --profile FILE  take the socket from the profile's [dataplane] control_socket\n"
		"  --json          one JSON value instead of a table\n"
		"IPv6 servers as [ADDR]:PORT.\n",
		EDGECTL_FLOWS_DEFAULT, CTLMSG_WEIGHT_MAX, EDGECTL_DEFAULT_SOCKET);
}

static int
session_open(struct session *s, const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = EDGECTL_TIMEOUT_S};

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "edgectl: socket path too long: %s\n", path);
		return -ENAMETOOLONG;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	s->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	/* SO_SNDTIMEO also bounds an AF_UNIX connect to a listener whose
	 * backlog is full (a busy dataplane): set both timeouts first. */
	if (s->fd >= 0) {
		setsockopt(s->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		setsockopt(s->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	if (s->fd < 0 || connect(s->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int err = errno;

		fprintf(stderr, "edgectl: cannot connect to %s: %s (is edge-dataplane running?)\n",
			path, strerror(err));
		return -err;
	}
	s->seq = (uint32_t)getpid() << 8;
	return 0;
}

/* Send a request, receive and validate its reply into s->buf. */
static int
call(struct session *s, enum ctlmsg_type type, void *req, size_t req_len)
{
	struct ctlmsg_hdr *h = req;
	ssize_t n;
	int ret;

	ctlmsg_hdr_init(h, type, ++s->seq, 0);
	if (send(s->fd, req, req_len, MSG_NOSIGNAL) != (ssize_t)req_len) {
		fprintf(stderr, "edgectl: send: %s\n", strerror(errno));
		return -errno;
	}
	n = recv(s->fd, s->buf, sizeof(s->buf), 0);
	if (n <= 0) {
		fprintf(stderr, "edgectl: no reply to %s: %s\n", ctlmsg_type_name(type),
			n == 0 ? "connection closed" : strerror(errno));
		return n == 0 ? -ECONNRESET : -errno;
	}
	ret = ctlmsg_check_reply(s->buf, (size_t)n, type, s->seq);
	if (ret != 0) {
		fprintf(stderr, "edgectl: malformed reply to %s: %s\n", ctlmsg_type_name(type),
			strerror(-ret));
		return ret;
	}
	memcpy(h, s->buf, sizeof(*h));
	if (h->status < 0) {
		char msg[CTLMSG_ERR_MAX];
		size_t i;

		ctlmsg_error_text(s->buf, (size_t)n, msg, sizeof(msg));
		for (i = 0; msg[i] != '\0'; i++) /* from the socket: printable only */
			if (msg[i] < 0x20 || msg[i] > 0x7e)
				msg[i] = '?';
		if (msg[0] != '\0')
			fprintf(stderr, "edgectl: %s\n", msg);
		else if (h->status == -EBUSY && type == CTLMSG_HELLO)
			fprintf(stderr,
				"edgectl: the dataplane already has a controller "
				"(edge-control or another edgectl); try again later\n");
		else if (h->status == -EOPNOTSUPP)
			fprintf(stderr, "edgectl: %s refused: %s (an older edge-dataplane?)\n",
				ctlmsg_type_name(type), strerror(-h->status));
		else
			fprintf(stderr, "edgectl: %s refused: %s\n", ctlmsg_type_name(type),
				strerror(-h->status));
		return h->status;
	}
	return 0;
}

static int
hello(struct session *s, enum ctlmsg_role role)
{
	struct ctlmsg_hello req;

	memset(&req, 0, sizeof(req));
	req.role = role;
	snprintf(req.client, sizeof(req.client), "edgectl");
	return call(s, CTLMSG_HELLO, &req, sizeof(req));
}

/* A string from the socket as a JSON string: quoted, escaped, bounded. */
static void
json_str(const char *str, size_t max)
{
	size_t i;

	putchar('"');
	for (i = 0; i < max && str[i] != '\0'; i++) {
		unsigned char ch = (unsigned char)str[i];

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20 || ch > 0x7e)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

/* A fixed-size string from the socket, for a table: bounded, printable. */
static const char *
field_str(char *buf, size_t len, const char *f, size_t flen)
{
	size_t i;

	ctlmsg_str(buf, len, f, flen);
	for (i = 0; buf[i] != '\0'; i++)
		if (buf[i] < 0x20 || buf[i] > 0x7e)
			buf[i] = '?';
	return buf;
}
#define FIELD(buf, f) field_str(buf, sizeof(buf), f, sizeof(f))

/* "ADDR:PORT", "[ADDR6]:PORT", "ADDR:LO-HI", or the address alone for port 0. */
static const char *
endpoint_str(
	char *buf, size_t len, uint8_t family, const uint8_t addr[16], uint16_t lo, uint16_t hi)
{
	char a[64];

	ctlmsg_addr_format(family, addr, a, sizeof(a));
	if (lo == 0)
		snprintf(buf, len, "%s", a);
	else if (hi > lo)
		snprintf(
			buf, len, family == CTLMSG_AF_INET6 ? "[%s]:%u-%u" : "%s:%u-%u", a, lo, hi);
	else
		snprintf(buf, len, family == CTLMSG_AF_INET6 ? "[%s]:%u" : "%s:%u", a, lo);
	return buf;
}

static const char *
proto_str(uint8_t proto)
{
	return proto == IPPROTO_TCP ? "tcp" : proto == IPPROTO_UDP ? "udp" : "?";
}

static void
show_stats(const struct ctlmsg_stats_reply *r, bool json)
{
	const struct {
		const char *name;
		uint64_t v;
	} f[] = {
		{"rx", r->rx},
		{"tx", r->tx},
		{"drops", r->drops},
		{"handoff_out", r->handoff_out},
		{"handoff_in", r->handoff_in},
		{"slowpath", r->slowpath},
		{"punted", r->punted},
		{"exception_rx", r->exception_rx},
		{"main_tx", r->main_tx},
		{"arp_replies", r->arp_replies},
		{"nd_replies", r->nd_replies},
		{"echo_replies", r->echo_replies},
		{"idle_sleeps", r->idle_sleeps},
	};
	unsigned int i;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		if (json)
			printf("%s\"%s\": %" PRIu64, i ? ", " : "{", f[i].name, f[i].v);
		else
			printf("%-14s %16" PRIu64 "\n", f[i].name, f[i].v);
	}
	if (json)
		printf("}\n");
}

static void
show_drops(const struct ctlmsg_drops_reply *r, bool json)
{
	uint32_t i;
	bool first = true;

	if (json)
		printf("{");
	else
		printf("%-32s %16s\n", "reason", "packets");
	for (i = 0; i < r->n; i++) {
		char name[CTLMSG_NAME_MAX + 1];

		memcpy(name, r->drop[i].name, CTLMSG_NAME_MAX);
		name[CTLMSG_NAME_MAX] = '\0';
		if (json) {
			printf("%s", first ? "" : ", ");
			json_str(name, CTLMSG_NAME_MAX);
			printf(": %" PRIu64, r->drop[i].value);
			first = false;
		} else if (r->drop[i].value != 0) {
			printf("%-32s %16" PRIu64 "\n", name, r->drop[i].value);
		}
	}
	if (json)
		printf("}\n");
}

static void
show_ports(const struct ctlmsg_ports_reply *r, bool json)
{
	uint32_t i;

	if (json)
		printf("[");
	else
		printf("%-14s %-4s %-17s %5s %14s %14s %10s %10s\n", "port", "mode", "mac",
			"queues", "rx", "tx", "missed", "errors");
	for (i = 0; i < r->n; i++) {
		const struct ctlmsg_port *p = &r->port[i];
		char name[CTLMSG_NAME_MAX + 1], mode[9], mac[18];

		memcpy(name, p->name, CTLMSG_NAME_MAX);
		name[CTLMSG_NAME_MAX] = '\0';
		memcpy(mode, p->mode, 8);
		mode[8] = '\0';
		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", p->mac[0], p->mac[1],
			p->mac[2], p->mac[3], p->mac[4], p->mac[5]);
		if (json) {
			printf("%s{\"name\": ", i ? ", " : "");
			json_str(name, CTLMSG_NAME_MAX);
			printf(", \"mode\": ");
			json_str(mode, 8);
			printf(", \"mac\": \"%s\", \"rx_queues\": %u, \"tx_queues\": %u, "
			       "\"rx\": %" PRIu64 ", \"tx\": %" PRIu64
			       ", \"nic_ipackets\": %" PRIu64 ", \"nic_opackets\": %" PRIu64
			       ", \"nic_imissed\": %" PRIu64 ", \"nic_ierrors\": %" PRIu64
			       ", \"nic_oerrors\": %" PRIu64 "}",
				mac, p->rx_queues, p->tx_queues, p->rx, p->tx, p->nic_ipackets,
				p->nic_opackets, p->nic_imissed, p->nic_ierrors, p->nic_oerrors);
		} else {
			printf("%-14s %-4s %-17s %2u/%-2u %14" PRIu64 " %14" PRIu64 " %10" PRIu64
			       " %10" PRIu64 "\n",
				name, mode, mac, p->rx_queues, p->tx_queues, p->rx, p->tx,
				p->nic_imissed, p->nic_ierrors + p->nic_oerrors);
		}
	}
	if (json)
		printf("]\n");
}

static void
show_workers(const struct ctlmsg_workers_reply *r, bool json)
{
	uint32_t i;

	if (json)
		printf("[");
	else
		printf("%-6s %14s %14s %12s %12s %12s %12s\n", "worker", "rx", "tx", "handoff_out",
			"handoff_in", "drops", "idle_sleeps");
	for (i = 0; i < r->n; i++) {
		const struct ctlmsg_worker *w = &r->worker[i];

		if (json)
			printf("%s{\"worker\": %u, \"rx\": %" PRIu64 ", \"tx\": %" PRIu64
			       ", \"handoff_out\": %" PRIu64 ", \"handoff_in\": %" PRIu64
			       ", \"drops\": %" PRIu64 ", \"polls\": %" PRIu64
			       ", \"busy_polls\": %" PRIu64 ", \"idle_sleeps\": %" PRIu64 "}",
				i ? ", " : "", i, w->rx, w->tx, w->handoff_out, w->handoff_in,
				w->drops, w->polls, w->busy_polls, w->idle_sleeps);
		else
			printf("%-6u %14" PRIu64 " %14" PRIu64 " %12" PRIu64 " %12" PRIu64
			       " %12" PRIu64 " %12" PRIu64 "\n",
				i, w->rx, w->tx, w->handoff_out, w->handoff_in, w->drops,
				w->idle_sleeps);
	}
	if (json)
		printf("]\n");
}

/*
 * A paged list: request pages from the cursor {0, 0} until the dataplane
 * says there is no more or want items have been shown (0: all), calling
 * item() on each.  The cursor must move forward, so a confused peer cannot
 * keep us looping.  *truncated says whether items were left unshown: one
 * item more than wanted is asked for, since "more" only means there may
 * be (a FLOWS page ends where its scan did).
 */
typedef void (*item_fn)(const void *item, bool json, bool first);

static int
page_all(struct session *s, enum ctlmsg_type type, const char *service, uint64_t want,
	size_t item_size, item_fn item, bool json, bool *truncated)
{
	struct ctlmsg_list_req req;
	uint32_t c0 = 0, c1 = 0;
	uint64_t shown = 0;

	*truncated = false;
	for (;;) {
		struct ctlmsg_page pg;
		uint32_t i, max = 0;
		int ret;

		if (want != 0)
			max = want - shown < UINT32_MAX ? (uint32_t)(want - shown + 1) : 0;
		ctlmsg_list_req_init(&req, type, service, c0, c1, max);
		ret = call(s, type, &req, sizeof(req));
		if (ret != 0)
			return ret;
		memcpy(&pg, s->buf + sizeof(struct ctlmsg_hdr), sizeof(pg));
		for (i = 0; i < pg.n; i++, shown++) {
			if (want != 0 && shown == want) {
				*truncated = true;
				return 0;
			}
			item(s->buf + sizeof(struct ctlmsg_hdr) + sizeof(pg) +
					(size_t)i * item_size,
				json, shown == 0);
		}
		if (!pg.more)
			return 0;
		if (pg.next[0] < c0 || (pg.next[0] == c0 && pg.next[1] <= c1)) {
			fprintf(stderr,
				"edgectl: malformed reply to %s: the page cursor did not "
				"move\n",
				ctlmsg_type_name(type));
			return -EBADMSG;
		}
		c0 = pg.next[0];
		c1 = pg.next[1];
	}
}

static void
service_item(const void *p, bool json, bool first)
{
	struct ctlmsg_service v;
	char name[CTLMSG_NAME_MAX], vip[80], sched[CTLMSG_KIND_MAX], fwd[CTLMSG_KIND_MAX],
		pers[CTLMSG_KIND_MAX], dname[CTLMSG_NAME_MAX];
	uint64_t drops = 0;
	uint32_t r, nd;

	memcpy(&v, p, sizeof(v));
	nd = v.n_drops < CTLMSG_SVC_DROPS_MAX ? v.n_drops : CTLMSG_SVC_DROPS_MAX;
	for (r = 0; r < nd; r++)
		drops += v.drop[r].value;
	FIELD(name, v.name);
	FIELD(sched, v.scheduler);
	FIELD(fwd, v.forwarding);
	FIELD(pers, v.persistence);
	endpoint_str(vip, sizeof(vip), v.vip.family, v.vip.addr, v.port_lo, v.port_hi);
	if (json) {
		printf("%s{\"name\": ", first ? "" : ", ");
		json_str(name, sizeof(name));
		printf(", \"id\": %u, \"vip\": ", v.id);
		json_str(vip, sizeof(vip));
		printf(", \"address\": ");
		ctlmsg_addr_format(v.vip.family, v.vip.addr, vip, sizeof(vip));
		json_str(vip, sizeof(vip));
		printf(", \"port_lo\": %u, \"port_hi\": %u, \"proto\": \"%s\", \"scheduler\": ",
			v.port_lo, v.port_hi, proto_str(v.proto));
		json_str(sched, sizeof(sched));
		printf(", \"forwarding\": ");
		json_str(fwd, sizeof(fwd));
		printf(", \"persistence\": ");
		json_str(pers, sizeof(pers));
		printf(", \"servers\": %u, \"servers_up\": %u, \"conns\": %" PRIu64
		       ", \"active\": %" PRIu64 ", \"pkts_in\": %" PRIu64 ", \"bytes_in\": %" PRIu64
		       ", \"pkts_out\": %" PRIu64 ", \"bytes_out\": %" PRIu64 ", \"drops\": {",
			v.n_servers, v.n_up, v.conns, v.active, v.pkts_in, v.bytes_in, v.pkts_out,
			v.bytes_out);
		for (r = 0; r < nd; r++) {
			printf("%s", r ? ", " : "");
			json_str(FIELD(dname, v.drop[r].name), sizeof(dname));
			printf(": %" PRIu64, v.drop[r].value);
		}
		printf("}}");
		return;
	}
	if (first)
		printf("%-16s %-24s %-5s %-11s %-7s %-9s %7s %10s %8s %12s %12s %8s\n", "service",
			"vip", "proto", "scheduler", "fwd", "persist", "up/srv", "conns", "active",
			"pkts_in", "pkts_out", "drops");
	printf("%-16s %-24s %-5s %-11s %-7s %-9s %3u/%-3u %10" PRIu64 " %8" PRIu64 " %12" PRIu64
	       " %12" PRIu64 " %8" PRIu64 "\n",
		name, vip, proto_str(v.proto), sched, fwd, pers, v.n_up, v.n_servers, v.conns,
		v.active, v.pkts_in, v.pkts_out, drops);
	/* Why, when something was dropped. */
	for (r = 0; r < nd; r++)
		if (v.drop[r].value != 0)
			printf("  drops %-24s %12" PRIu64 "\n", FIELD(dname, v.drop[r].name),
				v.drop[r].value);
}

static void
server_json(const struct ctlmsg_server *v)
{
	char service[CTLMSG_NAME_MAX], addr[64], ep[80], state[CTLMSG_STATE_MAX],
		admin[CTLMSG_STATE_MAX], health[CTLMSG_STATE_MAX];

	FIELD(service, v->service);
	FIELD(state, v->state);
	FIELD(admin, v->admin);
	FIELD(health, v->health);
	ctlmsg_addr_format(v->addr.family, v->addr.addr, addr, sizeof(addr));
	endpoint_str(ep, sizeof(ep), v->addr.family, v->addr.addr, v->port, v->port);
	printf("{\"service\": ");
	json_str(service, sizeof(service));
	printf(", \"server\": ");
	json_str(ep, sizeof(ep));
	printf(", \"address\": ");
	json_str(addr, sizeof(addr));
	printf(", \"port\": %u, \"index\": %u, \"weight\": %u, \"state\": ", v->port, v->index,
		v->weight);
	json_str(state, sizeof(state));
	printf(", \"admin\": ");
	json_str(admin, sizeof(admin));
	printf(", \"health\": ");
	json_str(health, sizeof(health));
	printf(", \"conns\": %" PRIu64 ", \"active\": %" PRIu64 ", \"pkts_in\": %" PRIu64
	       ", \"bytes_in\": %" PRIu64 ", \"pkts_out\": %" PRIu64 ", \"bytes_out\": %" PRIu64
	       "}",
		v->conns, v->active, v->pkts_in, v->bytes_in, v->pkts_out, v->bytes_out);
}

static void
server_item(const void *p, bool json, bool first)
{
	struct ctlmsg_server v;
	char service[CTLMSG_NAME_MAX], ep[80], state[CTLMSG_STATE_MAX], admin[CTLMSG_STATE_MAX],
		health[CTLMSG_STATE_MAX];

	memcpy(&v, p, sizeof(v));
	if (json) {
		printf("%s", first ? "" : ", ");
		server_json(&v);
		return;
	}
	if (first)
		printf("%-16s %-24s %6s %-9s %-9s %-6s %10s %8s %12s %14s %12s %14s\n", "service",
			"server", "weight", "state", "admin", "health", "conns", "active",
			"pkts_in", "bytes_in", "pkts_out", "bytes_out");
	printf("%-16s %-24s %6u %-9s %-9s %-6s %10" PRIu64 " %8" PRIu64 " %12" PRIu64 " %14" PRIu64
	       " %12" PRIu64 " %14" PRIu64 "\n",
		FIELD(service, v.service),
		endpoint_str(ep, sizeof(ep), v.addr.family, v.addr.addr, v.port, v.port), v.weight,
		FIELD(state, v.state), FIELD(admin, v.admin), FIELD(health, v.health), v.conns,
		v.active, v.pkts_in, v.bytes_in, v.pkts_out, v.bytes_out);
}

static void
flow_item(const void *p, bool json, bool first)
{
	struct ctlmsg_flow v;
	char service[CTLMSG_NAME_MAX], state[CTLMSG_STATE_MAX], client[80], vip[80], local[80],
		server[80];
	uint32_t secs;

	memcpy(&v, p, sizeof(v));
	/* Whole seconds left, rounded up: "0" would read as expired. */
	secs = v.expire_ms / 1000 + (v.expire_ms % 1000 != 0);
	FIELD(service, v.service);
	FIELD(state, v.state);
	endpoint_str(client, sizeof(client), v.family, v.client, v.client_port, v.client_port);
	endpoint_str(vip, sizeof(vip), v.family, v.vip, v.vip_port, v.vip_port);
	endpoint_str(local, sizeof(local), v.family, v.local, v.local_port, v.local_port);
	endpoint_str(server, sizeof(server), v.family, v.server, v.server_port, v.server_port);
	if (json) {
		printf("%s{\"service\": ", first ? "" : ", ");
		json_str(service, sizeof(service));
		printf(", \"proto\": \"%s\", \"client\": ", proto_str(v.proto));
		json_str(client, sizeof(client));
		printf(", \"vip\": ");
		json_str(vip, sizeof(vip));
		printf(", \"local\": ");
		json_str(local, sizeof(local));
		printf(", \"server\": ");
		json_str(server, sizeof(server));
		printf(", \"state\": ");
		json_str(state, sizeof(state));
		printf(", \"expires_s\": %u, \"expires_ms\": %u, \"worker\": %u}", secs,
			v.expire_ms, v.worker);
		return;
	}
	if (first)
		printf("%-16s %-5s %-24s %-24s %-24s %-24s %-11s %7s %6s\n", "service", "proto",
			"client", "vip", "local", "server", "state", "expires", "worker");
	printf("%-16s %-5s %-24s %-24s %-24s %-24s %-11s %6us %6u\n", service, proto_str(v.proto),
		client, vip, local, server, state, secs, v.worker);
}

static int
show_list(struct session *s, enum ctlmsg_type type, const char *service, uint64_t limit, bool json)
{
	bool truncated;
	int ret;

	if (json)
		printf(type == CTLMSG_FLOWS ? "{\"flows\": [" : "[");
	switch (type) {
	case CTLMSG_SERVICES:
		ret = page_all(s, type, NULL, 0, sizeof(struct ctlmsg_service), service_item, json,
			&truncated);
		break;
	case CTLMSG_SERVERS:
		ret = page_all(s, type, service, 0, sizeof(struct ctlmsg_server), server_item, json,
			&truncated);
		break;
	default:
		ret = page_all(s, type, service, limit, sizeof(struct ctlmsg_flow), flow_item, json,
			&truncated);
		break;
	}
	if (ret != 0) {
		fflush(stdout);
		return 1;
	}
	if (json && type == CTLMSG_FLOWS)
		printf("], \"truncated\": %s}\n", truncated ? "true" : "false");
	else if (json)
		printf("]\n");
	else if (truncated)
		printf("(first %" PRIu64 " flows shown: --limit N for more, 0 for all)\n", limit);
	return 0;
}

static int
show(struct session *s, int argc, char **argv, bool json, bool limit_set, uint64_t limit)
{
	struct ctlmsg_empty req;
	static const struct {
		const char *name;
		enum ctlmsg_type type;
		int max_args; /* after the name */
	} kinds[] = {
		{"stats", CTLMSG_STATS, 0},
		{"drops", CTLMSG_DROPS, 0},
		{"ports", CTLMSG_PORTS, 0},
		{"workers", CTLMSG_WORKERS, 0},
		{"services", CTLMSG_SERVICES, 0},
		{"servers", CTLMSG_SERVERS, 1},
		{"flows", CTLMSG_FLOWS, 1},
	};
	const char *what = argv[0], *service = argc > 1 ? argv[1] : "";
	unsigned int i;
	int ret;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(what, kinds[i].name) == 0)
			break;
	if (i == sizeof(kinds) / sizeof(kinds[0])) {
		fprintf(stderr,
			"edgectl: show: unknown '%s' (stats, drops, ports, workers, services, "
			"servers, flows)\n",
			what);
		return 2;
	}
	if (argc - 1 > kinds[i].max_args) {
		fprintf(stderr, "edgectl: show %s: unexpected '%s'\n", what, argv[argc - 1]);
		return 2;
	}
	if (limit_set && kinds[i].type != CTLMSG_FLOWS) {
		fprintf(stderr, "edgectl: --limit applies to show flows only\n");
		return 2;
	}
	if (strlen(service) >= CTLMSG_NAME_MAX) {
		fprintf(stderr, "edgectl: service name too long: %s\n", service);
		return 2;
	}
	if (s == NULL) /* arguments checked; the caller connects and comes back */
		return 0;
	switch (kinds[i].type) {
	case CTLMSG_SERVICES:
	case CTLMSG_SERVERS:
	case CTLMSG_FLOWS:
		return show_list(s, kinds[i].type, service, limit, json);
	default:
		break;
	}
	ret = call(s, kinds[i].type, &req, sizeof(req));
	if (ret != 0)
		return 1;
	switch (kinds[i].type) {
	case CTLMSG_STATS:
		show_stats((const struct ctlmsg_stats_reply *)s->buf, json);
		break;
	case CTLMSG_DROPS:
		show_drops((const struct ctlmsg_drops_reply *)s->buf, json);
		break;
	case CTLMSG_PORTS:
		show_ports((const struct ctlmsg_ports_reply *)s->buf, json);
		break;
	default:
		show_workers((const struct ctlmsg_workers_reply *)s->buf, json);
		break;
	}
	return 0;
}

/* "192.0.2.11:80", "[2001:db8::11]:80", or a bare address (port 0). */
static int
parse_server(const char *arg, struct ctlmsg_addr *a, uint16_t *port)
{
	bool bracket = arg[0] == '[';
	char host[64];
	const char *p, *end;
	unsigned long v;
	char *e;

	*port = 0;
	if (ctlmsg_addr_parse(arg, a) == 0)
		return 0;
	if (bracket) {
		arg++;
		end = strchr(arg, ']');
		if (end == NULL || end[1] != ':')
			return -EINVAL;
		p = end + 2;
	} else {
		end = strchr(arg, ':');
		if (end == NULL || strchr(end + 1, ':') != NULL)
			return -EINVAL;
		p = end + 1;
	}
	if ((size_t)(end - arg) >= sizeof(host))
		return -EINVAL;
	memcpy(host, arg, (size_t)(end - arg));
	host[end - arg] = '\0';
	/* IPv6 with a port only in brackets, IPv4 never (as in profiles). */
	if (ctlmsg_addr_parse(host, a) != 0 || (a->family == CTLMSG_AF_INET6) != bracket)
		return -EINVAL;
	if (*p < '0' || *p > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(p, &e, 10);
	if (errno != 0 || *e != '\0' || v == 0 || v > UINT16_MAX)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

static int
parse_u64(const char *arg, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *e;

	if (*arg < '0' || *arg > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(arg, &e, 10);
	if (errno != 0 || *e != '\0' || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/*
 * server enable|disable|drain SERVICE ADDR[:PORT], server weight SERVICE
 * ADDR[:PORT] N, server health SERVICE ADDR[:PORT] up|down: check the
 * arguments into req (s NULL), or send it (s connected as the controller).
 */
static int
server_cmd(struct session *s, int argc, char **argv, bool json, struct ctlmsg_server_set *req)
{
	static const struct {
		const char *name;
		enum ctlmsg_server_action action;
		int args; /* after the verb */
	} verbs[] = {
		{"enable", CTLMSG_SRV_ENABLE, 2},
		{"disable", CTLMSG_SRV_DISABLE, 2},
		{"drain", CTLMSG_SRV_DRAIN, 2},
		{"weight", CTLMSG_SRV_WEIGHT, 3},
		{"health", CTLMSG_SRV_HEALTH_UP, 3},
	};
	enum ctlmsg_server_action action;
	struct ctlmsg_server_set_reply r;
	struct ctlmsg_addr addr;
	uint64_t weight = 0;
	uint16_t port;
	unsigned int i;
	char ep[80], state[CTLMSG_STATE_MAX], admin[CTLMSG_STATE_MAX], health[CTLMSG_STATE_MAX],
		service[CTLMSG_NAME_MAX];

	if (s != NULL) {
		if (call(s, CTLMSG_SERVER_SET, req, sizeof(*req)) != 0)
			return 1;
		memcpy(&r, s->buf, sizeof(r));
		if (json) {
			server_json(&r.srv);
			printf("\n");
		} else {
			printf("%s %s: state %s, admin %s, health %s, weight %u\n",
				FIELD(service, r.srv.service),
				endpoint_str(ep, sizeof(ep), r.srv.addr.family, r.srv.addr.addr,
					r.srv.port, r.srv.port),
				FIELD(state, r.srv.state), FIELD(admin, r.srv.admin),
				FIELD(health, r.srv.health), r.srv.weight);
		}
		return 0;
	}
	for (i = 0; argc > 0 && i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(argv[0], verbs[i].name) == 0)
			break;
	if (argc == 0 || i == sizeof(verbs) / sizeof(verbs[0])) {
		fprintf(stderr,
			"edgectl: server: expected enable, disable, drain, weight or "
			"health\n");
		return 2;
	}
	if (argc - 1 != verbs[i].args) {
		fprintf(stderr, "edgectl: usage: server %s SERVICE ADDR[:PORT]%s\n", argv[0],
			verbs[i].action == CTLMSG_SRV_WEIGHT ? " N"
				: verbs[i].args == 3	     ? " up|down"
							     : "");
		return 2;
	}
	action = verbs[i].action;
	if (strlen(argv[1]) == 0 || strlen(argv[1]) >= CTLMSG_NAME_MAX) {
		fprintf(stderr, "edgectl: invalid service name '%s'\n", argv[1]);
		return 2;
	}
	if (parse_server(argv[2], &addr, &port) != 0) {
		fprintf(stderr,
			"edgectl: invalid real server '%s' (expected ADDR:PORT, [ADDR6]:PORT or "
			"ADDR)\n",
			argv[2]);
		return 2;
	}
	if (action == CTLMSG_SRV_WEIGHT && parse_u64(argv[3], CTLMSG_WEIGHT_MAX, &weight) != 0) {
		fprintf(stderr, "edgectl: invalid weight '%s' (0-%u)\n", argv[3],
			CTLMSG_WEIGHT_MAX);
		return 2;
	}
	if (verbs[i].name[0] == 'h') {
		if (strcmp(argv[3], "up") != 0 && strcmp(argv[3], "down") != 0) {
			fprintf(stderr, "edgectl: server health: expected up or down, not '%s'\n",
				argv[3]);
			return 2;
		}
		action = argv[3][0] == 'u' ? CTLMSG_SRV_HEALTH_UP : CTLMSG_SRV_HEALTH_DOWN;
	}
	if (ctlmsg_server_set_init(req, argv[1], &addr, port, action, (uint32_t)weight) != 0) {
		fprintf(stderr, "edgectl: server %s: invalid arguments\n", argv[0]);
		return 2;
	}
	return 0;
}

/*
 * service put FILE|-  (one [virtual_service NAME] section: add or update)
 * service remove NAME
 * Checked into req (s NULL), or sent (s connected as the controller).
 */
static int
service_cmd(struct session *s, int argc, char **argv, bool json, void *req, size_t *req_len)
{
	struct ctlmsg_service_put_reply r;

	if (s != NULL) {
		enum ctlmsg_type type =
			strcmp(argv[0], "put") == 0 ? CTLMSG_SERVICE_PUT : CTLMSG_SERVICE_DEL;

		if (call(s, type, req, *req_len) != 0)
			return 1;
		memcpy(&r, s->buf, sizeof(r));
		if (json)
			printf("{\"id\": %u, \"created\": %s, \"epoch\": %" PRIu64 "}\n", r.id,
				r.created ? "true" : "false", r.epoch);
		else
			printf("service %s (id %u), configuration epoch %" PRIu64 "\n",
				type == CTLMSG_SERVICE_DEL ? "removed"
					: r.created	   ? "added"
							   : "updated",
				r.id, r.epoch);
		return 0;
	}
	if (argc == 2 && strcmp(argv[0], "put") == 0) {
		static char text[CTLMSG_SERVICE_TEXT_MAX];
		FILE *f = strcmp(argv[1], "-") == 0 ? stdin : fopen(argv[1], "r");
		size_t n;

		if (f == NULL) {
			fprintf(stderr, "edgectl: %s: %s\n", argv[1], strerror(errno));
			return 2;
		}
		n = fread(text, 1, sizeof(text), f);
		if (f != stdin)
			fclose(f);
		if (ctlmsg_service_put_init(req, text, n) != 0) {
			fprintf(stderr,
				"edgectl: %s: expected 1 to %u bytes of text without NUL bytes\n",
				argv[1], CTLMSG_SERVICE_TEXT_MAX - 1);
			return 2;
		}
		*req_len = sizeof(struct ctlmsg_service_put);
		return 0;
	}
	if (argc == 2 && strcmp(argv[0], "remove") == 0) {
		if (ctlmsg_service_del_init(req, argv[1]) != 0) {
			fprintf(stderr, "edgectl: invalid service name '%s'\n", argv[1]);
			return 2;
		}
		*req_len = sizeof(struct ctlmsg_service_del);
		return 0;
	}
	fprintf(stderr, "edgectl: usage: service put FILE|-, service remove SERVICE\n");
	return 2;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"socket", required_argument, NULL, 's'},
		{"profile", required_argument, NULL, 'p'},
		{"json", no_argument, NULL, 'j'},
		{"limit", required_argument, NULL, 'l'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	static struct session s;
	static struct ctlmsg_server_set set_req;
	static struct ctlmsg_service_put svc_req; /* the larger of PUT and DEL */
	size_t svc_len = 0;
	bool is_service;
	char path[PROF_PATH_MAX] = EDGECTL_DEFAULT_SOCKET;
	uint64_t limit = EDGECTL_FLOWS_DEFAULT;
	bool json = false, limit_set = false, is_show;
	int c, ret, nargs;
	char **args;

	while ((c = getopt_long(argc, argv, "s:p:jl:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			snprintf(path, sizeof(path), "%s", optarg);
			break;
		case 'p': {
			char err[PROF_ERR_MAX];
			struct prof *p;

			if (prof_load(optarg, &p, err, sizeof(err)) != 0) {
				fprintf(stderr, "edgectl: %s\n", err);
				return 2;
			}
			snprintf(path, sizeof(path), "%s", p->dataplane.control_socket);
			prof_free(p);
			break;
		}
		case 'j':
			json = true;
			break;
		case 'l':
			if (parse_u64(optarg, UINT32_MAX, &limit) != 0) {
				fprintf(stderr, "edgectl: invalid --limit '%s'\n", optarg);
				return 2;
			}
			limit_set = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	nargs = argc - optind;
	args = argv + optind;
	if (nargs < 2 ||
		(strcmp(args[0], "show") != 0 && strcmp(args[0], "server") != 0 &&
			strcmp(args[0], "service") != 0)) {
		usage(stderr);
		return 2;
	}
	is_show = strcmp(args[0], "show") == 0;
	is_service = strcmp(args[0], "service") == 0;
	if (!is_show && limit_set) {
		fprintf(stderr, "edgectl: --limit applies to show flows only\n");
		return 2;
	}
	/* Arguments first: a usage error is not worth a connection. */
	if (is_show)
		ret = show(NULL, nargs - 1, args + 1, json, limit_set, limit);
	else if (is_service)
		ret = service_cmd(NULL, nargs - 1, args + 1, json, &svc_req, &svc_len);
	else
		ret = server_cmd(NULL, nargs - 1, args + 1, json, &set_req);
	if (ret != 0)
		return ret;
	if (session_open(&s, path) != 0)
		return 1;
	if (is_show)
		ret = hello(&s, CTLMSG_ROLE_READER) == 0
			? show(&s, nargs - 1, args + 1, json, limit_set, limit)
			: 1;
	else if (is_service)
		ret = hello(&s, CTLMSG_ROLE_CONTROLLER) == 0
			? service_cmd(&s, nargs - 1, args + 1, json, &svc_req, &svc_len)
			: 1;
	else
		ret = hello(&s, CTLMSG_ROLE_CONTROLLER) == 0
			? server_cmd(&s, nargs - 1, args + 1, json, &set_req)
			: 1;
	close(s.fd);
	return ret;
}
