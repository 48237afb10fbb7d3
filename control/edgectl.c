/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * edgectl: the operator's CLI.
 *
 *   edgectl [--socket PATH | --profile FILE] [--json] show stats|drops|ports|workers
 *
 * Today it reads the dataplane's control socket directly as a read-only
 * session (edge-control, which it will talk to first, is a later issue).
 * Human tables by default, one JSON object with --json for scripts.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
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

struct session {
	int fd;
	uint32_t seq;
	uint8_t buf[CTLMSG_MAX];
};

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: edgectl [--socket PATH | --profile FILE] [--json] "
		"show stats|drops|ports|workers\n"
		"  --socket PATH   the dataplane's control socket (default %s)\n"
		"  --profile FILE  take the socket from the profile's [dataplane] control_socket\n"
		"  --json          one JSON object instead of a table\n",
		EDGECTL_DEFAULT_SOCKET);
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
		fprintf(stderr, "edgectl: %s refused: %s\n", ctlmsg_type_name(type),
			strerror(-h->status));
		return h->status;
	}
	return 0;
}

static int
hello(struct session *s)
{
	struct ctlmsg_hello req;

	memset(&req, 0, sizeof(req));
	req.role = CTLMSG_ROLE_READER;
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

static int
show(struct session *s, const char *what, bool json)
{
	struct ctlmsg_empty req;
	static const struct {
		const char *name;
		enum ctlmsg_type type;
	} kinds[] = {
		{"stats", CTLMSG_STATS},
		{"drops", CTLMSG_DROPS},
		{"ports", CTLMSG_PORTS},
		{"workers", CTLMSG_WORKERS},
	};
	unsigned int i;
	int ret;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(what, kinds[i].name) == 0)
			break;
	if (i == sizeof(kinds) / sizeof(kinds[0])) {
		fprintf(stderr, "edgectl: show: unknown '%s' (stats, drops, ports, workers)\n",
			what);
		return 2;
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

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"socket", required_argument, NULL, 's'},
		{"profile", required_argument, NULL, 'p'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	static struct session s;
	char path[PROF_PATH_MAX] = EDGECTL_DEFAULT_SOCKET;
	bool json = false;
	int c, ret;

	while ((c = getopt_long(argc, argv, "s:p:jh", opts, NULL)) != -1) {
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
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (argc - optind != 2 || strcmp(argv[optind], "show") != 0) {
		usage(stderr);
		return 2;
	}
	if (session_open(&s, path) != 0)
		return 1;
	ret = hello(&s) == 0 ? show(&s, argv[optind + 1], json) : 1;
	close(s.fd);
	return ret;
}
