/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Profile loader tests: the DESIGN.md example with its typed values, each
 * class of error with the line it must name, and the value parsers.
 * Profiles are inline strings loaded with prof_load_buf() as "t.ini".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "prof.h"
#include "ut.h"

/*
 * The DESIGN.md example with two edits that the loader's rules require:
 * forwarding = fullnat (snat_pool is refused with nat) and the user line
 * commented out (users are refused with auth = shared_secret).  Line
 * numbers are those of DESIGN.md.
 */
static const char design_ini[] =
	"[dataplane]\n"
	"eal = -l 0-2 -a 0000:3b:00.0              ; arguments after `--` on the command line win\n"
	"workers = 2\n"
	"flows = 1000000\n"
	"idle = poll                               ; poll | backoff (default backoff)\n"
	"control_socket = /run/edgeplane/dataplane.sock\n"
	"\n"
	"[port external]\n"
	"mode = xdp                                ; xdp | pmd\n"
	"device = eth1                             ; xdp: interface name; pmd: PCI address or vdev "
	"spec\n"
	"queues = 0-1                              ; xdp: the NIC queues dedicated to the workers\n"
	"address = 203.0.113.5/32                  ; dataplane-owned (not in the kernel), "
	"repeatable\n"
	"\n"
	"[port internal]\n"
	"mode = pmd\n"
	"device = 0000:3b:00.0\n"
	"address = 10.154.201.1/24\n"
	"gateway = 10.154.201.254\n"
	"neighbor = 10.154.201.254 02:00:00:00:00:01 ; static neighbour, repeatable\n"
	"\n"
	"[virtual_service ws-ext]\n"
	"listen = 10.154.11.5:443/tcp\n"
	"scheduler = least_conn                    ; rr wrr least_conn wlc source_hash maglev\n"
	"persistence = source_ip                   ; none | source_ip | cookie (reencrypt only)\n"
	"persistence_timeout = 20m\n"
	"idle_timeout = 1800s\n"
	"forwarding = fullnat                      ; nat | fullnat | dsr\n"
	"snat_pool = 10.154.201.240-10.154.201.247 ; fullnat only\n"
	"tcp_syn_timeout = 30s                     ; also tcp_fin_timeout, udp_timeout\n"
	"tls = passthrough                         ; passthrough | reencrypt\n"
	"real_server = 10.154.201.2:4443 weight=1\n"
	"real_server = 10.154.201.3:4443 weight=1\n"
	"health_check = https                      ; none | tcp | http | https\n"
	"health_check_port = 443\n"
	"health_check_url = /healthcheck.html\n"
	"health_check_interval = 5s\n"
	"health_check_timeout = 2s\n"
	"health_check_rise = 2\n"
	"health_check_fall = 3\n"
	"health_check_sni = ws-ext.mycloud.ag      ; https checks\n"
	"\n"
	"[media_relay]\n"
	"listen = 203.0.113.10:3478\n"
	"relay_address = 203.0.113.10             ; repeatable: ~64k allocations per address\n"
	"relay_ports = 50000-59999                 ; reserved from the kernel's ephemeral range\n"
	"allocation_lifetime = 600s                ; also max_lifetime, permission_lifetime, "
	"channel_lifetime\n"
	"realm = mycloud.ag\n"
	"auth = shared_secret                      ; shared_secret (time-limited) | long_term\n"
	"shared_secret_file = /etc/edgeplane/turn.secret\n"
	"; user = alice:wonderland                 ; long_term: repeatable (or users_file =)\n"
	"allowed_peers = 10.154.0.0/16             ; default: private, loopback, link-local "
	"denied\n"
	"\n"
	"[sip_edge]\n"
	"listen = 203.0.113.10:5061\n"
	"certificate = /etc/edgeplane/access-edge.pem\n"
	"private_key = /etc/edgeplane/access-edge.key\n"
	"next_hop = 10.154.201.10:5061, 10.154.201.11:5061\n"
	"next_hop_ca = /etc/edgeplane/internal-ca.pem\n"
	"allowed_domains = mycloud.ag\n"
	"\n"
	"[control]\n"
	"socket = /run/edgeplane/control.sock      ; edgectl talks here\n"
	"metrics = 127.0.0.1:9100\n";

static char err[PROF_ERR_MAX];

static int
load(const char *text, struct prof **p)
{
	*p = (struct prof *)&err; /* must come back NULL on error */
	return prof_load_buf("t.ini", text, strlen(text), p, err, sizeof(err));
}

/* Load text, which must fail on `line` with a message containing phrase. */
static void
expect_err_at(int at, const char *text, unsigned int line, const char *phrase)
{
	char where[32];
	struct prof *p;
	int rc = load(text, &p);

	snprintf(where, sizeof(where), "t.ini:%u: ", line);
	UT_CHECK_MSG(rc == -EINVAL && p == NULL, "line %d: rc %d", at, rc);
	UT_CHECK_MSG(strncmp(err, where, strlen(where)) == 0, "line %d: want '%s', got '%s'", at,
		where, err);
	UT_CHECK_MSG(strstr(err, phrase) != NULL, "line %d: want '%s' in '%s'", at, phrase, err);
	UT_CHECK_MSG(strchr(err, '\n') == NULL, "line %d: more than one line: '%s'", at, err);
	if (rc == 0)
		prof_free(p);
}
#define EXPECT_ERR(text, line, phrase) expect_err_at(__LINE__, text, line, phrase)

/* Load text, which must succeed; the caller frees. */
static struct prof *
expect_ok_at(int at, const char *text)
{
	struct prof *p;
	int rc = load(text, &p);

	UT_CHECK_MSG(rc == 0 && p != NULL, "line %d: rc %d: %s", at, rc, err);
	return rc == 0 ? p : NULL;
}
#define EXPECT_OK(text) expect_ok_at(__LINE__, text)

static uint32_t
v4(const char *s)
{
	struct in_addr a;

	inet_pton(AF_INET, s, &a);
	return a.s_addr;
}

static void
test_design_dataplane_ports(const struct prof *p)
{
	const struct prof_port *ext = &p->ports[0], *in = &p->ports[1];
	static const uint8_t mac[6] = {2, 0, 0, 0, 0, 1};

	UT_CHECK(strcmp(p->file, "t.ini") == 0);
	UT_CHECK(strcmp(p->dataplane.eal, "-l 0-2 -a 0000:3b:00.0") == 0);
	UT_CHECK(p->dataplane.workers == 2);
	UT_CHECK(p->dataplane.flows == 1000000);
	UT_CHECK(p->dataplane.idle == PROF_IDLE_POLL);
	UT_CHECK(strcmp(p->dataplane.control_socket, "/run/edgeplane/dataplane.sock") == 0);
	UT_CHECK(p->dataplane.line == 1);
	UT_CHECK(p->n_ports == 2);
	UT_CHECK(strcmp(ext->name, "external") == 0 && ext->line == 8);
	UT_CHECK(ext->mode == PROF_PORT_XDP && strcmp(ext->device, "eth1") == 0);
	UT_CHECK(ext->queues_set && ext->queue_first == 0 && ext->queue_last == 1);
	UT_CHECK(ext->n_addresses == 1 && ext->addresses[0].len == 32 &&
		ext->addresses[0].addr.family == AF_INET &&
		ext->addresses[0].addr.v4 == v4("203.0.113.5"));
	UT_CHECK(!ext->has_gateway && !ext->has_gateway6 && ext->n_neighbors == 0);
	UT_CHECK(in->mode == PROF_PORT_PMD && strcmp(in->device, "0000:3b:00.0") == 0);
	UT_CHECK(!in->queues_set);
	UT_CHECK(in->n_addresses == 1 && in->addresses[0].len == 24);
	UT_CHECK(in->has_gateway && in->gateway.v4 == v4("10.154.201.254"));
	UT_CHECK(in->n_neighbors == 1 && in->neighbors[0].line == 19 &&
		in->neighbors[0].addr.v4 == v4("10.154.201.254") &&
		memcmp(in->neighbors[0].mac, mac, 6) == 0);
}

static void
test_design_service(const struct prof *p)
{
	const struct prof_service *s = &p->services[0];

	UT_CHECK(p->n_services == 1);
	UT_CHECK(strcmp(s->name, "ws-ext") == 0 && s->line == 21);
	UT_CHECK(s->listen.addr.v4 == v4("10.154.11.5") && s->listen.port == 443 &&
		s->listen.port_hi == 443 && s->listen.proto == IPPROTO_TCP);
	UT_CHECK(s->scheduler == PROF_SCHED_LEAST_CONN);
	UT_CHECK(s->persistence == PROF_PERSIST_SOURCE_IP);
	UT_CHECK(s->persistence_timeout_ms == 20 * 60 * 1000);
	UT_CHECK(s->persistence_netmask == 32);
	UT_CHECK(s->idle_timeout_ms == 1800 * 1000);
	UT_CHECK(s->forwarding == PROF_FWD_FULLNAT && s->has_snat_pool);
	UT_CHECK(s->snat_lo.v4 == v4("10.154.201.240") && s->snat_hi.v4 == v4("10.154.201.247"));
	UT_CHECK(s->tcp_syn_timeout_ms == 30000 && s->tcp_fin_timeout_ms == 60000 &&
		s->udp_timeout_ms == 300000);
	UT_CHECK(s->tls == PROF_TLS_PASSTHROUGH);
	UT_CHECK(s->n_real_servers == 2);
	UT_CHECK(s->real_servers[1].addr.v4 == v4("10.154.201.3") &&
		s->real_servers[1].port == 4443 && s->real_servers[1].weight == 1 &&
		s->real_servers[1].line == 32);
	UT_CHECK(s->health_check == PROF_HC_HTTPS && s->health_check_port == 443);
	UT_CHECK(strcmp(s->health_check_url, "/healthcheck.html") == 0);
	UT_CHECK(s->health_check_interval_ms == 5000 && s->health_check_timeout_ms == 2000);
	UT_CHECK(s->health_check_rise == 2 && s->health_check_fall == 3);
	UT_CHECK(strcmp(s->health_check_sni, "ws-ext.mycloud.ag") == 0);
	UT_CHECK(s->n_allowed_hosts == 0 && s->n_allowed_paths == 0);
}

static void
test_design_rest(const struct prof *p)
{
	const struct prof_media_relay *r = &p->media_relay;
	const struct prof_sip_edge *e = &p->sip_edge;
	const struct prof_control *c = &p->control;

	UT_CHECK(r->present && r->line == 42);
	UT_CHECK(r->listen.port == 3478 && r->listen.proto == IPPROTO_UDP);
	UT_CHECK(r->n_relay_addresses == 1 && r->relay_addresses[0].v4 == v4("203.0.113.10"));
	UT_CHECK(r->relay_ports.lo == 50000 && r->relay_ports.hi == 59999);
	UT_CHECK(r->allocation_lifetime_ms == 600000 && r->max_lifetime_ms == 3600000);
	UT_CHECK(r->permission_lifetime_ms == 300000 && r->channel_lifetime_ms == 600000);
	UT_CHECK(strcmp(r->realm, "mycloud.ag") == 0 && r->auth == PROF_AUTH_SHARED_SECRET);
	UT_CHECK(strcmp(r->shared_secret_file, "/etc/edgeplane/turn.secret") == 0);
	UT_CHECK(r->n_users == 0 && r->n_allowed_peers == 1 && r->allowed_peers[0].len == 16);
	UT_CHECK(e->present && e->listen.port == 5061 && e->listen.proto == IPPROTO_TCP);
	UT_CHECK(e->n_certificates == 1 &&
		strcmp(e->certificates[0], "/etc/edgeplane/access-edge.pem") == 0);
	UT_CHECK(strcmp(e->private_key, "/etc/edgeplane/access-edge.key") == 0);
	UT_CHECK(e->n_next_hops == 2 && e->next_hops[1].addr.v4 == v4("10.154.201.11") &&
		e->next_hops[1].port == 5061);
	UT_CHECK(strcmp(e->next_hop_ca, "/etc/edgeplane/internal-ca.pem") == 0);
	UT_CHECK(e->n_allowed_domains == 1 && strcmp(e->allowed_domains[0], "mycloud.ag") == 0);
	UT_CHECK(c->present && strcmp(c->socket, "/run/edgeplane/control.sock") == 0);
	UT_CHECK(
		c->has_metrics && c->metrics.addr.v4 == v4("127.0.0.1") && c->metrics.port == 9100);
}

static void
test_design(void)
{
	struct prof *p = EXPECT_OK(design_ini);

	if (p == NULL)
		return;
	test_design_dataplane_ports(p);
	test_design_service(p);
	test_design_rest(p);
	prof_free(p);
}

static void
test_defaults(void)
{
	struct prof *p = EXPECT_OK("");

	if (p != NULL) {
		UT_CHECK(p->dataplane.workers == 1 && p->dataplane.flows == 1000000 &&
			p->dataplane.idle == PROF_IDLE_BACKOFF && p->dataplane.line == 0);
		UT_CHECK(strcmp(p->control.socket, "/run/edgeplane/control.sock") == 0);
		UT_CHECK(!p->media_relay.present && !p->sip_edge.present && !p->control.present);
		prof_free(p);
	}
	/* A section with no keys still counts. */
	p = EXPECT_OK("[control]\n");
	if (p != NULL) {
		UT_CHECK(p->control.present && p->control.line == 1 && !p->control.has_metrics);
		prof_free(p);
	}
	p = EXPECT_OK("[virtual_service v6]\nlisten = [2001:db8::5]:80\n"
		      "real_server = [2001:db8::10]\nreal_server = 2001:db8::11\n");
	if (p != NULL) {
		const struct prof_service *s = &p->services[0];

		UT_CHECK(s->listen.addr.family == AF_INET6 && s->persistence_netmask == 128);
		UT_CHECK(s->scheduler == PROF_SCHED_RR && s->forwarding == PROF_FWD_NAT);
		UT_CHECK(s->real_servers[0].port == 80 && s->real_servers[1].port == 80);
		UT_CHECK(strcmp(s->health_check_url, "/") == 0 && s->health_check == PROF_HC_NONE);
		prof_free(p);
	}
}

static void
test_lines(void)
{
	char buf[512];
	struct prof *p;

	/* 199 characters is the longest line; 200 is refused. */
	snprintf(buf, sizeof(buf), "[dataplane]\neal = %0193d\n", 0);
	p = EXPECT_OK(buf);
	UT_CHECK(p != NULL && strlen(p->dataplane.eal) == 193);
	prof_free(p);
	snprintf(buf, sizeof(buf), "[dataplane]\n\neal = %0194d\nworkers = 2\n", 0);
	EXPECT_ERR(buf, 3, "line longer than 199 characters");
	EXPECT_ERR("[dataplane]\nworkers = 2\n  flows = 2048\n", 3,
		"indented line (continuation lines are not supported)");
	EXPECT_ERR("[dataplane]\n\tworkers = 2\n", 2, "indented line");
	p = EXPECT_OK("[dataplane]\n   \n  ; indented comment\n\t# another\nworkers = 3\n");
	UT_CHECK(p != NULL && p->dataplane.workers == 3);
	prof_free(p);
	EXPECT_ERR("[dataplane]\nworkers = 2\nflows 2048\n", 3,
		"syntax error: expected 'key = value'");
	EXPECT_ERR("[dataplane]\nworkers: 2\n", 2, "syntax error: expected 'key = value'");
	EXPECT_ERR("[dataplane]\n= 2\n", 2, "syntax error");
	EXPECT_ERR("[dataplane]\nworkers ; = 2\n", 2, "syntax error");
	EXPECT_ERR("[dataplane\nworkers = 2\n", 1, "section header without ']'");
	EXPECT_ERR("[dataplane] junk\n", 1, "text after section header");
	EXPECT_ERR("workers = 2\n", 1, "outside of any section");
	EXPECT_ERR("[dataplane]\nworkers = 2\n\x1b[0m\n", 3, "control character 0x1b");
	/* First error wins. */
	EXPECT_ERR("[dataplane]\nworkers = 0\nbogus\n", 2, "workers");
}

static void
test_comments_crlf_bom(void)
{
	static const char nul[] = "[dataplane]\nworkers = 2\nflows\0 = 2048\n";
	struct prof *p;

	EXPECT_ERR("[dataplane]\nworkers = 4;x\n", 2, "'4;x' is not a number");
	p = EXPECT_OK("; comment\n# comment\n[dataplane] ; trailing\neal = -l 0-2 ; comment\n");
	UT_CHECK(p != NULL && strcmp(p->dataplane.eal, "-l 0-2") == 0);
	prof_free(p);
	p = EXPECT_OK("[media_relay]\r\nlisten = 192.0.2.1:3478\r\nrelay_address = 192.0.2.1\r\n"
		      "realm = a;b\r\nshared_secret_file = /s\r\n");
	UT_CHECK(p != NULL && strcmp(p->media_relay.realm, "a;b") == 0);
	prof_free(p);
	EXPECT_ERR("[dataplane]\r\n\r\nworkers = 99\r\n", 3, "'99' out of range (1..64)");
	p = EXPECT_OK("\xef\xbb\xbf[dataplane]\nworkers = 5");
	UT_CHECK(p != NULL && p->dataplane.workers == 5);
	prof_free(p);
	p = (struct prof *)&err;
	UT_CHECK(prof_load_buf("t.ini", nul, sizeof(nul) - 1, &p, err, sizeof(err)) == -EINVAL &&
		p == NULL && strstr(err, "t.ini:3: NUL byte") != NULL);
}

static void
test_sections(void)
{
	char buf[2048];
	size_t n = 0;
	unsigned int i;

	EXPECT_ERR("[dataplane]\nworkers = 2\n\n[dataplane]\n", 4,
		"duplicate section [dataplane] (first on line 1)");
	EXPECT_ERR("[virtual_service ws]\nlisten = 10.0.0.1:80\n[virtual_service ws]\n", 3,
		"duplicate section [virtual_service ws]");
	EXPECT_ERR("[dataplane]\n[frobnicator]\n", 2, "unknown section [frobnicator]");
	EXPECT_ERR("[port]\n", 1, "needs a name");
	EXPECT_ERR("[control main]\n", 1, "takes no name");
	EXPECT_ERR("[port a/b]\n", 1, "bad name 'a/b'");
	EXPECT_ERR("[port abcdefghijabcdefghijabcdefghij12]\n", 1, "bad name");
	EXPECT_ERR("[port a b]\n", 1, "bad section header");
	EXPECT_ERR("[dataplane]\nfoo = 1\n", 2, "[dataplane] unknown key 'foo'");
	EXPECT_ERR("[dataplane]\nworkers = 2\nidle = poll\nworkers = 3\n", 4,
		"[dataplane] workers: duplicate key (first set on line 2)");
	EXPECT_ERR("[dataplane]\neal =\n", 2, "eal: missing value");
	for (i = 0; i <= PROF_MAX_PORTS; i++)
		n += (size_t)snprintf(
			buf + n, sizeof(buf) - n, "[port p%u]\nmode = pmd\ndevice = d\n", i);
	EXPECT_ERR(buf, 3 * PROF_MAX_PORTS + 1, "too many [port] sections (limit 16)");
}

static void
test_values(void)
{
	EXPECT_ERR("[virtual_service ws]\nlisten = 10.0.0.1:443\nscheduler = fastest\n", 3,
		"[virtual_service ws] scheduler: unknown value 'fastest' "
		"(expected rr, wrr, least_conn, wlc, source_hash, maglev)");
	EXPECT_ERR("[dataplane]\nidle = Poll\n", 2, "unknown value 'Poll'");
	EXPECT_ERR("[virtual_service ws]\nlisten = 10.0.0.1:443\nidle_timeout = 20x\n", 3,
		"idle_timeout: invalid duration '20x'");
	EXPECT_ERR("[virtual_service ws]\nlisten = 10.0.0.1:443\nidle_timeout = 0s\n", 3,
		"must be greater than zero");
	EXPECT_ERR(
		"[virtual_service ws]\nlisten = 10.0.0.1:443\nudp_timeout = 99999999999999999h\n",
		3, "invalid duration");
	EXPECT_ERR("[dataplane]\nflows = 10Q\n", 2, "flows: invalid count '10Q'");
	EXPECT_ERR("[dataplane]\nflows = 1000\n", 2, "out of range");
	EXPECT_ERR("[dataplane]\nflows = 2G\n", 2, "out of range");
	EXPECT_ERR("[dataplane]\nworkers = 0\n", 2, "workers: '0' must be greater than zero");
	EXPECT_ERR("[dataplane]\nworkers = 65\n", 2, "out of range (1..64)");
	EXPECT_ERR("[dataplane]\ncontrol_socket = run/dp.sock\n", 2, "not an absolute path");
	EXPECT_ERR("[port p]\nmode = pmd\ndevice = d\naddress = 10.0.0.1/33\n", 4,
		"invalid address '10.0.0.1/33'");
	EXPECT_ERR("[port p]\nmode = pmd\ndevice = d\naddress = 10.0.0/24\n", 4, "invalid address");
	EXPECT_ERR("[port p]\nmode = pmd\ndevice = d\nneighbor = 10.0.0.2 02:00:00:00:00\n", 4,
		"invalid neighbor");
	EXPECT_ERR("[port p]\nmode = pmd\ndevice = d\nneighbor = 10.0.0.2 01:00:5e:00:00:01\n", 4,
		"not a unicast MAC");
	EXPECT_ERR("[port p]\nmode = xdp\ndevice = eth0\nqueues = 3-1\n", 4, "invalid queues");
	EXPECT_ERR("[virtual_service ws]\nlisten = 10.0.0.1\n", 2, "invalid endpoint '10.0.0.1'");
	EXPECT_ERR("[virtual_service ws]\nlisten = 10.0.0.1:0\n", 2, "invalid endpoint");
	EXPECT_ERR("[virtual_service ws]\nlisten = 2001:db8::1:443\n", 2, "invalid endpoint");
	EXPECT_ERR("[virtual_service ws]\nlisten = 10.0.0.1:443/sctp\n", 2, "invalid endpoint");
	EXPECT_ERR("[virtual_service ws]\nlisten = 10.0.0.1:90-80\n", 2, "invalid endpoint");
	EXPECT_ERR("[sip_edge]\nlisten = 10.0.0.1:5060-5061\n", 2, "invalid endpoint");
	EXPECT_ERR("[control]\nmetrics = 127.0.0.1:9100/udp\n", 2, "metrics: invalid endpoint");
	EXPECT_ERR("[virtual_service ws]\nlisten = 10.0.0.1:80\nhealth_check_url = health\n", 3,
		"must start with '/'");
	EXPECT_ERR("[virtual_service ws]\nlisten = 10.0.0.1:80\nhealth_check_fall = 101\n", 3,
		"health_check_fall: '101' out of range (1..100)");
	EXPECT_ERR("[virtual_service ws]\nlisten = 10.0.0.1:80\nallowed_hosts = a.example, ,b\n", 3,
		"empty item");
	EXPECT_ERR("[media_relay]\nallowed_peers = 10.0.0.0/8, 10.0.0.0/40\n", 2,
		"invalid prefix '10.0.0.0/40'");
	EXPECT_ERR("[media_relay]\nrelay_ports = 80-90\n", 2, "within 1024-65535");
}

static void
test_real_servers(void)
{
	static const char hdr[] = "[virtual_service ws]\nlisten = 10.0.0.1:443\n";
	char buf[512];
	struct prof *p;

	snprintf(buf, sizeof(buf), "%sreal_server = 10.0.1.1:443 weight=0\n", hdr);
	EXPECT_ERR(buf, 3, "weight '0' out of range (1..65535)");
	snprintf(buf, sizeof(buf), "%sreal_server = 10.0.1.1:443 weight=65536\n", hdr);
	EXPECT_ERR(buf, 3, "weight '65536' out of range");
	snprintf(buf, sizeof(buf), "%sreal_server = 10.0.1.1:443 backup=1\n", hdr);
	EXPECT_ERR(buf, 3, "unknown option 'backup=1'");
	snprintf(buf, sizeof(buf), "%sreal_server = 10.0.1.1:443 weight=2 weight=3\n", hdr);
	EXPECT_ERR(buf, 3, "weight given twice");
	snprintf(buf, sizeof(buf), "%sreal_server = 10.0.1.1\nreal_server = 10.0.1.1:443\n", hdr);
	EXPECT_ERR(buf, 4, "duplicate 10.0.1.1 port 443 (first on line 3)");
	snprintf(buf, sizeof(buf), "%sreal_server = [2001:db8::1]:443\n", hdr);
	EXPECT_ERR(buf, 3, "not the same address family");
	snprintf(buf, sizeof(buf), "%sforwarding = dsr\nreal_server = 10.0.1.1:8443\n", hdr);
	EXPECT_ERR(buf, 4, "dsr cannot translate ports");
	p = EXPECT_OK("[virtual_service r]\nlisten = 10.0.0.1:1000-1999/udp\nforwarding = dsr\n"
		      "real_server = 10.0.1.1 weight=65535\nreal_server = 10.0.1.2  weight=7\n");
	if (p != NULL) {
		const struct prof_service *s = &p->services[0];

		UT_CHECK(s->listen.port == 1000 && s->listen.port_hi == 1999 &&
			s->listen.proto == IPPROTO_UDP);
		UT_CHECK(s->real_servers[0].port == 0 && s->real_servers[0].weight == 65535);
		UT_CHECK(s->real_servers[1].weight == 7 && s->real_servers[1].line == 5);
		prof_free(p);
	}
}

static void
test_service_checks(void)
{
	static const char hdr[] = "[virtual_service ws]\nlisten = 10.0.0.1:443\n";
	char buf[512];
	struct prof *p;

	EXPECT_ERR("[virtual_service ws]\nscheduler = rr\n", 1,
		"[virtual_service ws] missing required key 'listen'");
	snprintf(buf, sizeof(buf), "%sforwarding = fullnat\n", hdr);
	EXPECT_ERR(buf, 3, "fullnat needs a snat_pool");
	snprintf(buf, sizeof(buf), "%ssnat_pool = 10.1.0.1-10.1.0.9\n", hdr);
	EXPECT_ERR(buf, 3, "snat_pool: only valid with forwarding = fullnat");
	snprintf(buf, sizeof(buf), "%sforwarding = fullnat\nsnat_pool = 10.1.0.9-10.1.0.1\n", hdr);
	EXPECT_ERR(buf, 4, "first address is above the last");
	snprintf(buf, sizeof(buf), "%sforwarding = fullnat\nsnat_pool = fd00::1-fd00::9\n", hdr);
	EXPECT_ERR(buf, 4, "not the same address family");
	snprintf(buf, sizeof(buf), "%spersistence = cookie\n", hdr);
	EXPECT_ERR(buf, 3, "cookie needs tls = reencrypt");
	snprintf(buf, sizeof(buf), "%shealth_check_interval = 2s\nhealth_check_timeout = 2000ms\n",
		hdr);
	EXPECT_ERR(buf, 4, "must be shorter than health_check_interval");
	snprintf(buf, sizeof(buf), "%spersistence_netmask = /33\n", hdr);
	EXPECT_ERR(buf, 3, "persistence_netmask: /33 is longer than an IPv4 address");
	snprintf(buf, sizeof(buf),
		"%spersistence_netmask = 24\npersistence = cookie\n"
		"tls = reencrypt\nallowed_paths = /api, /static\n",
		hdr);
	p = EXPECT_OK(buf);
	if (p != NULL) {
		UT_CHECK(p->services[0].persistence_netmask == 24);
		UT_CHECK(p->services[0].n_allowed_paths == 2 &&
			strcmp(p->services[0].allowed_paths[1], "/static") == 0);
		prof_free(p);
	}
	/* Overlaps: same address and protocol, intersecting ports. */
	EXPECT_ERR("[virtual_service a]\nlisten = 10.0.0.1:400-500\n\n"
		   "[virtual_service b]\nforwarding = nat\nlisten = 10.0.0.1:443\n",
		6,
		"listen: 10.0.0.1:443/tcp overlaps [virtual_service a] 10.0.0.1:400-500/tcp (line "
		"1)");
	p = EXPECT_OK("[virtual_service a]\nlisten = 10.0.0.1:400-500\n"
		      "[virtual_service b]\nlisten = 10.0.0.1:443/udp\n"
		      "[virtual_service c]\nlisten = 10.0.0.2:443\n"
		      "[virtual_service d]\nlisten = 10.0.0.1:501\n");
	UT_CHECK(p != NULL && p->n_services == 4);
	prof_free(p);
}

static void
test_ports(void)
{
	struct prof *p;

	EXPECT_ERR(
		"[port p]\nmode = pmd\n\n[port q]\n", 1, "[port p] missing required key 'device'");
	EXPECT_ERR("[port p]\nmode = pmd\ndevice = d\nqueues = 0-1\n", 4,
		"queues: only valid with mode = xdp");
	EXPECT_ERR("[port p]\nmode = pmd\ndevice = d\ngateway = 10.0.1.1\naddress = 10.0.0.1/24\n",
		4, "gateway: 10.0.1.1 is not inside");
	EXPECT_ERR("[port p]\nmode = pmd\ndevice = d\naddress = 10.0.0.1/24\n"
		   "gateway = 10.0.0.9\ngateway = 10.0.0.8\n",
		6, "second IPv4 gateway (first set on line 5)");
	EXPECT_ERR("[port p]\nmode = pmd\ndevice = d\naddress = 10.0.0.1/24\n"
		   "[port q]\nmode = pmd\ndevice = e\naddress = 10.0.0.1/32\n",
		8, "duplicate address '10.0.0.1/32' (already on [port p], line 1)");
	EXPECT_ERR("[port p]\nmode = xdp\ndevice = averyveryverylongname\n", 3,
		"too long for an interface name");
	p = EXPECT_OK("[port p]\nmode = pmd\ndevice = net_pcap0,rx_pcap=in.pcap\n"
		      "address = 10.0.0.1/24\naddress = fd00::1/64\n"
		      "gateway = fd00::fe\ngateway = 10.0.0.254\n"
		      "neighbor = fd00::fe 02:AB:cd:00:00:01\n");
	if (p != NULL) {
		const struct prof_port *q = &p->ports[0];

		UT_CHECK(q->has_gateway && q->has_gateway6 && q->gateway6.family == AF_INET6);
		UT_CHECK(q->n_addresses == 2 && q->addresses[1].len == 64);
		UT_CHECK(q->n_neighbors == 1 && q->neighbors[0].mac[1] == 0xab);
		prof_free(p);
	}
}

static void
test_relay_sip(void)
{
	static const char relay[] = "[media_relay]\nlisten = 192.0.2.1:3478\n"
				    "relay_address = 192.0.2.1\nrealm = r\n";
	char buf[1024];
	size_t n;
	unsigned int i;

	EXPECT_ERR("[media_relay]\nlisten = 192.0.2.1:3478\nrelay_address = 192.0.2.1\n", 1,
		"missing required key 'realm'");
	EXPECT_ERR("[media_relay]\nlisten = 192.0.2.1:3478\nrealm = r\n", 1,
		"missing required key 'relay_address'");
	EXPECT_ERR(relay, 1, "shared_secret needs shared_secret_file");
	snprintf(buf, sizeof(buf), "%sauth = long_term\n", relay);
	EXPECT_ERR(buf, 5, "long_term needs at least one user or a users_file");
	snprintf(buf, sizeof(buf), "%sshared_secret_file = /s\nuser = a:b\n", relay);
	EXPECT_ERR(buf, 6, "user: only valid with auth = long_term");
	snprintf(buf, sizeof(buf), "%sauth = long_term\nuser = a:b\nuser = a:c\n", relay);
	EXPECT_ERR(buf, 7, "duplicate user 'a'");
	snprintf(buf, sizeof(buf), "%sauth = long_term\nuser = nopassword\n", relay);
	EXPECT_ERR(buf, 6, "expected NAME:PASSWORD");
	snprintf(buf, sizeof(buf), "%sshared_secret_file = /s\nallocation_lifetime = 2h\n", relay);
	EXPECT_ERR(buf, 6, "max_lifetime (1h) is shorter than allocation_lifetime (2h)");
	/* A UDP service inside the relay range, before and after [media_relay]. */
	snprintf(buf, sizeof(buf),
		"%sshared_secret_file = /s\n"
		"[virtual_service v]\nlisten = 192.0.2.1:55000-55010/udp\n",
		relay);
	EXPECT_ERR(buf, 7, "overlapping relay range 50000-59999 on 192.0.2.1");
	snprintf(buf, sizeof(buf),
		"[virtual_service v]\nlisten = 192.0.2.1:55000/udp\n"
		"%sshared_secret_file = /s\nrelay_ports = 54000-56000\n",
		relay);
	EXPECT_ERR(buf, 8,
		"overlapping relay range 54000-56000 on 192.0.2.1 with [virtual_service v]");
	n = (size_t)snprintf(buf, sizeof(buf), "%s", relay);
	for (i = 0; i <= PROF_MAX_LIST; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "relay_address = 10.0.0.%u\n", i);
	EXPECT_ERR(buf, 4 + PROF_MAX_LIST, "too many relay addresses (limit 32)");
	EXPECT_ERR(
		"[sip_edge]\nlisten = 192.0.2.1:5061\nprivate_key = /k\nnext_hop = 10.0.0.1:5061\n",
		1, "missing required key 'certificate'");
	EXPECT_ERR("[sip_edge]\nnext_hop = 10.0.0.1:5061, 10.0.0.2\n", 2,
		"next_hop: invalid endpoint '10.0.0.2'");
}

static void
test_parsers(void)
{
	struct prof_endpoint ep;
	struct prof_cidr c;
	uint64_t v;
	uint8_t mac[6];

	UT_CHECK(prof_parse_duration("500ms", &v) == 0 && v == 500);
	UT_CHECK(prof_parse_duration("30s", &v) == 0 && v == 30000);
	UT_CHECK(prof_parse_duration("20m", &v) == 0 && v == 1200000);
	UT_CHECK(prof_parse_duration("1h", &v) == 0 && v == 3600000);
	UT_CHECK(prof_parse_duration("45", &v) == 0 && v == 45000);
	UT_CHECK(prof_parse_duration("1.5s", &v) == -EINVAL);
	UT_CHECK(prof_parse_duration("-1s", &v) == -EINVAL);
	UT_CHECK(prof_parse_duration("", &v) == -EINVAL);
	UT_CHECK(prof_parse_duration("10 s", &v) == -EINVAL);
	UT_CHECK(prof_parse_duration("18446744073709551615ms", &v) == 0);
	UT_CHECK(prof_parse_duration("18446744073709551615s", &v) == -EINVAL);
	UT_CHECK(prof_parse_count("64k", &v) == 0 && v == 64000);
	UT_CHECK(prof_parse_count("2M", &v) == 0 && v == 2000000);
	UT_CHECK(prof_parse_count("1G", &v) == 0 && v == 1000000000);
	UT_CHECK(prof_parse_count("1m", &v) == -EINVAL);
	UT_CHECK(prof_parse_cidr("2001:db8::/32", &c) == 0 && c.len == 32 &&
		c.addr.family == AF_INET6);
	UT_CHECK(prof_parse_cidr("192.0.2.1", &c) == 0 && c.len == 32);
	UT_CHECK(prof_parse_cidr("192.0.2.1/", &c) == -EINVAL);
	UT_CHECK(prof_parse_endpoint("[2001:db8::1]:443/udp", &ep, IPPROTO_TCP, false) == 0 &&
		ep.port == 443 && ep.proto == IPPROTO_UDP && ep.addr.family == AF_INET6);
	UT_CHECK(prof_parse_endpoint("192.0.2.1:80-81", &ep, IPPROTO_TCP, true) == 0 &&
		ep.port == 80 && ep.port_hi == 81 && ep.proto == IPPROTO_TCP);
	UT_CHECK(prof_parse_endpoint("192.0.2.1:80-81", &ep, IPPROTO_TCP, false) == -EINVAL);
	UT_CHECK(prof_parse_endpoint("192.0.2.1:65536", &ep, IPPROTO_TCP, false) == -EINVAL);
	UT_CHECK(prof_parse_endpoint("[192.0.2.1]:80", &ep, IPPROTO_TCP, false) == -EINVAL);
	UT_CHECK(prof_parse_mac("02:00:5E:10:00:ff", mac) == 0 && mac[2] == 0x5e && mac[5] == 0xff);
	UT_CHECK(prof_parse_mac("02-00-5e-10-00-ff", mac) == -EINVAL);
	UT_CHECK(prof_parse_mac("02:00:5e:10:00:ff:", mac) == -EINVAL);
	UT_CHECK(strcmp(prof_sched_name(PROF_SCHED_SOURCE_HASH), "source_hash") == 0);
	UT_CHECK(strcmp(prof_fwd_name(PROF_FWD_FULLNAT), "fullnat") == 0);
	UT_CHECK(strcmp(prof_persist_name(PROF_PERSIST_SOURCE_IP), "source_ip") == 0);
	UT_CHECK(strcmp(prof_hc_name(PROF_HC_HTTPS), "https") == 0);
	UT_CHECK(strcmp(prof_port_mode_name(PROF_PORT_XDP), "xdp") == 0);
}

static void
test_files(void)
{
	char path[] = "/tmp/test_prof_XXXXXX", want[32];
	unsigned int lines = 1;
	struct prof *p = NULL;
	const char *c;
	int fd, rc;

	for (c = design_ini; *c != '\0'; c++)
		lines += *c == '\n';
	snprintf(want, sizeof(want), ":%u: unknown section [bogus]", lines);

	rc = prof_load("/nonexistent/edgeplane.ini", &p, err, sizeof(err));
	UT_CHECK(rc == -ENOENT && p == NULL);
	UT_CHECK(
		strcmp(err, "/nonexistent/edgeplane.ini: cannot open: No such file or directory") ==
		0);
	fd = mkstemp(path);
	UT_CHECK(fd >= 0);
	if (fd < 0)
		return;
	UT_CHECK(write(fd, design_ini, strlen(design_ini)) == (ssize_t)strlen(design_ini));
	close(fd);
	rc = prof_load(path, &p, err, sizeof(err));
	UT_CHECK_MSG(rc == 0 && p != NULL && strcmp(p->file, path) == 0, "%s", err);
	prof_free(p);
	fd = open(path, O_WRONLY | O_APPEND);
	UT_CHECK(fd >= 0 && write(fd, "[bogus]\n", 8) == 8);
	close(fd);
	rc = prof_load(path, &p, err, sizeof(err));
	UT_CHECK(rc == -EINVAL && p == NULL && strstr(err, want) != NULL);
	unlink(path);
}

int
main(void)
{
	test_design();
	test_defaults();
	test_lines();
	test_comments_crlf_bom();
	test_sections();
	test_values();
	test_real_servers();
	test_service_checks();
	test_ports();
	test_relay_sip();
	test_parsers();
	test_files();
	return ut_summary("prof");
}
