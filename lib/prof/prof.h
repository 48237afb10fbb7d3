/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Deployment profiles: one INI file describes one box.
 *
 * prof_load() reads a profile through inih and returns typed, validated
 * settings, or an error naming "file:line: problem".  Nothing half-loaded
 * is ever returned: on error *out is left NULL.  Both edge-dataplane and
 * edge-control read the profile through this loader.
 *
 * Conventions: durations are in milliseconds (text: "500ms", "30s", "20m",
 * "1h"; a bare number is seconds); counts take k/M/G suffixes as powers of
 * 1000; ports are host byte order; addresses are struct pkt_addr.  Every
 * object remembers the line it was defined on (`line`) so later semantic
 * errors (e.g. from the dataplane) can still name it.
 */
#ifndef EP_PROF_H
#define EP_PROF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pkt_addr.h"

#define PROF_NAME_MAX 32 /* section names: [port NAME], [virtual_service NAME] */
#define PROF_PATH_MAX 256
#define PROF_STR_MAX 256  /* free-form strings (eal, device, url, sni, realm) */
#define PROF_ERR_MAX 512  /* size of the error buffer callers should pass */
#define PROF_LINE_MAX 200 /* Debian's libinih INI_MAX_LINE; longer lines are errors */

#define PROF_MAX_PORTS 16
#define PROF_MAX_SERVICES 256
#define PROF_MAX_REAL_SERVERS 256 /* per virtual service */
#define PROF_MAX_ADDRESSES 32	  /* per port */
#define PROF_MAX_NEIGHBORS 64	  /* per port */
#define PROF_MAX_LIST 32	  /* comma lists and other repeated keys */
#define PROF_MAX_WORKERS 64
#define PROF_WEIGHT_MAX 65535

struct prof_cidr {
	struct pkt_addr addr;
	uint8_t len; /* prefix length; 32/128 when written without "/len" */
};

/* `ADDR:PORT[/PROTO]`, `ADDR:LOW-HIGH[/PROTO]`; IPv6 as `[ADDR]:PORT`. */
struct prof_endpoint {
	struct pkt_addr addr;
	uint16_t port;	  /* low end of the range */
	uint16_t port_hi; /* == port for a single port */
	uint8_t proto;	  /* IPPROTO_TCP or IPPROTO_UDP */
};

struct prof_port_range {
	uint16_t lo, hi;
};

enum prof_idle { PROF_IDLE_BACKOFF = 0, PROF_IDLE_POLL };
enum prof_port_mode { PROF_PORT_PMD = 0, PROF_PORT_XDP };
enum prof_sched {
	PROF_SCHED_RR = 0,
	PROF_SCHED_WRR,
	PROF_SCHED_LEAST_CONN,
	PROF_SCHED_WLC,
	PROF_SCHED_SOURCE_HASH,
	PROF_SCHED_MAGLEV,
};
enum prof_persist { PROF_PERSIST_NONE = 0, PROF_PERSIST_SOURCE_IP, PROF_PERSIST_COOKIE };
enum prof_fwd { PROF_FWD_NAT = 0, PROF_FWD_FULLNAT, PROF_FWD_DSR };
enum prof_tls { PROF_TLS_PASSTHROUGH = 0, PROF_TLS_REENCRYPT };
enum prof_hc { PROF_HC_NONE = 0, PROF_HC_TCP, PROF_HC_HTTP, PROF_HC_HTTPS };
enum prof_auth { PROF_AUTH_SHARED_SECRET = 0, PROF_AUTH_LONG_TERM };

/* Names of enum values as written in profiles, for printing. */
const char *prof_sched_name(enum prof_sched s);
const char *prof_fwd_name(enum prof_fwd f);
const char *prof_persist_name(enum prof_persist p);
const char *prof_hc_name(enum prof_hc h);
const char *prof_port_mode_name(enum prof_port_mode m);

struct prof_dataplane {
	char eal[PROF_STR_MAX];		    /* default "" */
	unsigned int workers;		    /* default 1, 1..PROF_MAX_WORKERS */
	uint32_t flows;			    /* default 1000000, >= 1024 */
	enum prof_idle idle;		    /* default backoff */
	char control_socket[PROF_PATH_MAX]; /* default /run/edgeplane/dataplane.sock */
	unsigned int line;		    /* 0 when the section is absent */
};

struct prof_neighbor {
	struct pkt_addr addr;
	uint8_t mac[6];
	unsigned int line;
};

struct prof_port {
	char name[PROF_NAME_MAX];
	enum prof_port_mode mode;  /* required */
	char device[PROF_STR_MAX]; /* required: PCI address, vdev spec, or ifname */
	bool queues_set;	   /* xdp: `queues =` given; else all queues */
	uint16_t queue_first, queue_last;
	struct prof_cidr addresses[PROF_MAX_ADDRESSES];
	unsigned int n_addresses;
	bool has_gateway;
	struct pkt_addr gateway; /* IPv4 gateway */
	bool has_gateway6;
	struct pkt_addr gateway6; /* IPv6 gateway (`gateway =` with an IPv6 address) */
	struct prof_neighbor neighbors[PROF_MAX_NEIGHBORS];
	unsigned int n_neighbors;
	unsigned int line;
};

struct prof_real_server {
	struct pkt_addr addr;
	uint16_t port;	 /* 0: same as the client's destination port (port ranges) */
	uint32_t weight; /* `weight=N`, default 1, 1..PROF_WEIGHT_MAX */
	unsigned int line;
};

struct prof_service {
	char name[PROF_NAME_MAX];
	struct prof_endpoint listen;	 /* required */
	enum prof_sched scheduler;	 /* default rr */
	enum prof_persist persistence;	 /* default none; cookie needs tls = reencrypt */
	uint64_t persistence_timeout_ms; /* default 20m */
	uint8_t persistence_netmask;	 /* prefix length, default 32 (v4) / 128 (v6) */
	uint64_t idle_timeout_ms;	 /* default 1800s */
	enum prof_fwd forwarding;	 /* default nat */
	bool has_snat_pool;		 /* required with fullnat, refused otherwise */
	struct pkt_addr snat_lo, snat_hi;
	uint64_t tcp_syn_timeout_ms; /* default 30s */
	uint64_t tcp_fin_timeout_ms; /* default 60s */
	uint64_t udp_timeout_ms;     /* default 300s */
	enum prof_tls tls;	     /* default passthrough */
	struct prof_real_server real_servers[PROF_MAX_REAL_SERVERS];
	unsigned int n_real_servers;
	enum prof_hc health_check;	     /* default none */
	uint16_t health_check_port;	     /* 0: the real server's port */
	char health_check_url[PROF_STR_MAX]; /* default "/" */
	uint64_t health_check_interval_ms;   /* default 5s */
	uint64_t health_check_timeout_ms;    /* default 2s, < interval */
	unsigned int health_check_rise;	     /* default 2 */
	unsigned int health_check_fall;	     /* default 3 */
	char health_check_sni[PROF_STR_MAX]; /* https only */
	/* Reverse proxy (tls = reencrypt): allowed virtual hosts and paths. */
	char allowed_hosts[PROF_MAX_LIST][PROF_NAME_MAX * 2];
	unsigned int n_allowed_hosts;
	char allowed_paths[PROF_MAX_LIST][PROF_NAME_MAX * 2];
	unsigned int n_allowed_paths;
	unsigned int line;
};

struct prof_user {
	char name[PROF_NAME_MAX * 2];
	char password[PROF_NAME_MAX * 2];
	unsigned int line;
};

struct prof_media_relay {
	bool present;
	struct prof_endpoint listen;			/* required; proto default udp */
	struct pkt_addr relay_addresses[PROF_MAX_LIST]; /* at least one */
	unsigned int n_relay_addresses;
	struct prof_port_range relay_ports;	/* default 50000-59999, within 1024-65535 */
	uint64_t allocation_lifetime_ms;	/* default 600s */
	uint64_t max_lifetime_ms;		/* default 3600s, >= allocation_lifetime */
	uint64_t permission_lifetime_ms;	/* default 300s */
	uint64_t channel_lifetime_ms;		/* default 600s */
	char realm[PROF_STR_MAX];		/* required */
	enum prof_auth auth;			/* default shared_secret */
	char shared_secret_file[PROF_PATH_MAX]; /* required with shared_secret */
	struct prof_user users[PROF_MAX_LIST];	/* long_term: user = NAME:PASSWORD */
	unsigned int n_users;
	char users_file[PROF_PATH_MAX]; /* long_term: users or users_file */
	struct prof_cidr allowed_peers[PROF_MAX_LIST];
	unsigned int n_allowed_peers;
	unsigned int line;
};

struct prof_sip_edge {
	bool present;
	struct prof_endpoint listen;			 /* required; proto default tcp */
	char certificates[PROF_MAX_LIST][PROF_PATH_MAX]; /* at least one */
	unsigned int n_certificates;
	char private_key[PROF_PATH_MAX];	       /* required */
	struct prof_endpoint next_hops[PROF_MAX_LIST]; /* comma list, at least one */
	unsigned int n_next_hops;
	char next_hop_ca[PROF_PATH_MAX];
	char allowed_domains[PROF_MAX_LIST][PROF_NAME_MAX * 2];
	unsigned int n_allowed_domains;
	unsigned int line;
};

struct prof_control {
	bool present;
	char socket[PROF_PATH_MAX]; /* default /run/edgeplane/control.sock */
	bool has_metrics;
	struct prof_endpoint metrics; /* ADDR:PORT (proto tcp) */
	unsigned int line;
};

struct prof {
	char file[PROF_PATH_MAX];
	struct prof_dataplane dataplane;
	struct prof_port ports[PROF_MAX_PORTS];
	unsigned int n_ports;
	struct prof_service services[PROF_MAX_SERVICES];
	unsigned int n_services;
	struct prof_media_relay media_relay;
	struct prof_sip_edge sip_edge;
	struct prof_control control;
};

/*
 * Load and validate a profile.  Returns 0 and a new struct prof in *out,
 * or a negative errno with "file:line: problem" (or "file: problem" when
 * no line applies, e.g. the file cannot be opened) in err.
 */
int prof_load(const char *path, struct prof **out, char *err, size_t errlen);

/* Same from memory; `name` is used in error messages in place of a path. */
int prof_load_buf(
	const char *name, const char *buf, size_t len, struct prof **out, char *err, size_t errlen);

void prof_free(struct prof *p);

/* Value parsers, exposed for tests and for edgectl's arguments. 0 or -EINVAL. */
int prof_parse_duration(const char *s, uint64_t *ms);
int prof_parse_count(const char *s, uint64_t *v);
int prof_parse_cidr(const char *s, struct prof_cidr *c);
int prof_parse_endpoint(
	const char *s, struct prof_endpoint *ep, uint8_t default_proto, bool allow_range);
int prof_parse_mac(const char *s, uint8_t mac[6]);

#endif /* EP_PROF_H */
