/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control-socket protocol between edge-dataplane and its clients
 * (edge-control, edgectl), defined once for both sides.
 *
 * Transport: a UNIX SOCK_SEQPACKET socket, so every message is one
 * datagram and lengths come from the transport, never from a field that
 * could lie.  Every message starts with struct ctlmsg_hdr; every request
 * gets exactly one reply with the same type and seq and a status (0 or a
 * negative errno).  Each type is bound to its request and reply structs
 * in CTLMSG_TYPES, so both ends check lengths the same way.  A session
 * starts with HELLO, which checks the version and says whether the client
 * is the (single) controller or a read-only reader.
 *
 * Versions.  CTLMSG_VERSION changes when a message that exists changes
 * (its size, layout or meaning).  New types are appended to CTLMSG_TYPES
 * without a change of version: a peer that predates them answers
 * -EOPNOTSUPP, and nothing it already knows looks different.
 *
 * Lists that may not fit one datagram (services, real servers, flows)
 * are paged: the request carries a cursor and a maximum, the reply its
 * items and the cursor of the next page (struct ctlmsg_list_req,
 * struct ctlmsg_page).  Each page is a snapshot of its own, not of the
 * whole list.
 *
 * Error replies are a bare header, or for requests that name things
 * (a service, a real server) the header and a text naming what was not
 * found (struct ctlmsg_error_reply), so an operator sees "no service
 * 'x'" rather than "No such file or directory".
 */
#ifndef EP_CTLMSG_H
#define EP_CTLMSG_H

#include <stddef.h>
#include <stdint.h>

#define CTLMSG_MAGIC 0x45504331u /* "EPC1" */
#define CTLMSG_VERSION 1
#define CTLMSG_MAX 65536 /* largest datagram either side sends or accepts */
#define CTLMSG_NAME_MAX 32
#define CTLMSG_ERR_MAX 128 /* error text, NUL included */

struct ctlmsg_hdr {
	uint32_t magic;
	uint16_t version;
	uint16_t type;	/* enum ctlmsg_type */
	uint32_t seq;	/* chosen by the client, echoed in the reply */
	int32_t status; /* replies: 0 or -errno; requests: 0 */
};

enum ctlmsg_role {
	CTLMSG_ROLE_READER = 0,	    /* read-only: any number at once */
	CTLMSG_ROLE_CONTROLLER = 1, /* may change state: one at a time */
};

struct ctlmsg_empty {
	struct ctlmsg_hdr hdr;
};

struct ctlmsg_hello {
	struct ctlmsg_hdr hdr;
	uint32_t role; /* enum ctlmsg_role */
	char client[CTLMSG_NAME_MAX];
};

struct ctlmsg_hello_reply {
	struct ctlmsg_hdr hdr;
	uint32_t version;
	uint32_t workers;
	uint32_t ports;
	uint32_t pid;
	uint64_t epoch; /* changes when the dataplane restarts: re-sync */
	uint64_t uptime_ms;
};

struct ctlmsg_stats_reply {
	struct ctlmsg_hdr hdr;
	uint64_t rx, tx, drops;
	uint64_t handoff_out, handoff_in;
	uint64_t slowpath, punted, exception_rx, main_tx;
	uint64_t arp_replies, nd_replies, echo_replies;
	uint64_t idle_sleeps;
};

/* A named counter (drop reasons). */
struct ctlmsg_counter {
	char name[CTLMSG_NAME_MAX];
	uint64_t value;
};

#define CTLMSG_DROPS_MAX 64
struct ctlmsg_drops_reply {
	struct ctlmsg_hdr hdr;
	uint32_t n;
	uint32_t pad;
	struct ctlmsg_counter drop[]; /* n entries */
};

struct ctlmsg_port {
	char name[CTLMSG_NAME_MAX];
	char mode[8]; /* "xdp" or "pmd" */
	uint8_t mac[6];
	uint16_t rx_queues;
	uint16_t tx_queues;
	uint16_t pad[3];
	uint64_t rx, tx;
	uint64_t nic_ipackets, nic_opackets, nic_imissed, nic_ierrors, nic_oerrors;
};

#define CTLMSG_PORTS_MAX 16
struct ctlmsg_ports_reply {
	struct ctlmsg_hdr hdr;
	uint32_t n;
	uint32_t pad;
	struct ctlmsg_port port[]; /* n entries */
};

struct ctlmsg_worker {
	uint64_t rx, tx, handoff_out, handoff_in, drops, polls, busy_polls, idle_sleeps;
};

#define CTLMSG_WORKERS_MAX 64
struct ctlmsg_workers_reply {
	struct ctlmsg_hdr hdr;
	uint32_t n;
	uint32_t pad;
	struct ctlmsg_worker worker[]; /* n entries */
};

/* Replies that carry only a status (errors, and requests with no data). */
struct ctlmsg_status_reply {
	struct ctlmsg_hdr hdr;
};

/* An error reply with a text saying what went wrong (NUL-terminated). */
struct ctlmsg_error_reply {
	struct ctlmsg_hdr hdr;
	char msg[CTLMSG_ERR_MAX];
};

/*
 * Fixed-size strings on the wire (names, state names): NUL-padded; a
 * receiver reads at most the field's size (ctlmsg_str()), so one that
 * fills the field is still read safely.
 */

/* Address families on the wire: not the host's AF_* values. */
enum ctlmsg_family {
	CTLMSG_AF_NONE = 0,
	CTLMSG_AF_INET = 4,
	CTLMSG_AF_INET6 = 6,
};

struct ctlmsg_addr {
	uint8_t family; /* enum ctlmsg_family */
	uint8_t pad[3];
	uint8_t addr[16]; /* network order; IPv4 in bytes 0-3, the rest zero */
};

/* SERVICES, SERVERS, FLOWS: one page of a list. */
struct ctlmsg_list_req {
	struct ctlmsg_hdr hdr;
	uint32_t cursor[2];	       /* {0, 0}: the first page; else a reply's next[] */
	uint32_t max;		       /* at most this many items; 0: as many as a page holds */
	uint32_t flags;		       /* 0 */
	char service[CTLMSG_NAME_MAX]; /* SERVERS, FLOWS: only this service; "": all */
};

/* The fixed part of a paged reply (items follow). */
struct ctlmsg_page {
	uint32_t n;	  /* items in this reply (right after the header) */
	uint32_t more;	  /* 1: there may be more, ask again with next[]; 0: that was all */
	uint32_t next[2]; /* cursor of the next page */
};

#define CTLMSG_SVC_DROPS_MAX 8 /* drop reasons counted per service */
#define CTLMSG_KIND_MAX 16     /* scheduler, forwarding, persistence names */
#define CTLMSG_STATE_MAX 12    /* state names ("draining", "established") */

/* A virtual service (SERVICES; cursor[0]: service id). */
struct ctlmsg_service {
	char name[CTLMSG_NAME_MAX];
	struct ctlmsg_addr vip;
	uint16_t id;
	uint16_t port_lo, port_hi; /* host order; equal for one port */
	uint8_t proto;		   /* IPPROTO_TCP (6), IPPROTO_UDP (17) */
	uint8_t pad;
	uint16_t n_servers; /* real servers */
	uint16_t n_up;	    /* of which take new connections (up, weight > 0) */
	char scheduler[CTLMSG_KIND_MAX];
	char forwarding[CTLMSG_KIND_MAX];
	char persistence[CTLMSG_KIND_MAX];
	uint64_t conns;					 /* connections created */
	uint64_t active;				 /* connections not yet ended */
	uint64_t pkts_in, bytes_in, pkts_out, bytes_out; /* in: client -> server */
	uint32_t n_drops;				 /* drop[] entries used */
	uint32_t pad2;
	struct ctlmsg_counter drop[CTLMSG_SVC_DROPS_MAX];
};

#define CTLMSG_SERVICES_MAX 64
struct ctlmsg_services_reply {
	struct ctlmsg_hdr hdr;
	struct ctlmsg_page page;
	struct ctlmsg_service svc[]; /* page.n entries */
};

/* A real server (SERVERS; cursor: service id, server index). */
struct ctlmsg_server {
	char service[CTLMSG_NAME_MAX];
	struct ctlmsg_addr addr;
	uint16_t port;	/* host order; 0: the client's destination port */
	uint16_t index; /* in its service */
	uint32_t weight;
	char state[CTLMSG_STATE_MAX];  /* effective: up, down, disabled, draining */
	char admin[CTLMSG_STATE_MAX];  /* the operator's: up, disabled, draining */
	char health[CTLMSG_STATE_MAX]; /* up, down */
	uint64_t conns;		       /* connections created */
	uint64_t active;	       /* connections not yet ended */
	uint64_t pkts_in, bytes_in, pkts_out, bytes_out;
};

#define CTLMSG_SERVERS_MAX 256
struct ctlmsg_servers_reply {
	struct ctlmsg_hdr hdr;
	struct ctlmsg_page page;
	struct ctlmsg_server srv[]; /* page.n entries */
};

/*
 * A connection (FLOWS; cursor: worker, entry index).  A best-effort
 * snapshot: the dataplane reads each worker's table while it runs.
 * Client side: client -> vip; server side (as sent to the real server):
 * local -> server, local being the client (nat, dsr) or a SNAT address.
 */
struct ctlmsg_flow {
	char service[CTLMSG_NAME_MAX];
	uint8_t family; /* enum ctlmsg_family */
	uint8_t proto;
	uint16_t worker;
	uint32_t expire_ms; /* until it expires unless traffic refreshes it */
	char state[CTLMSG_STATE_MAX];
	uint16_t client_port, vip_port, local_port, server_port; /* host order */
	uint8_t client[16], vip[16], local[16], server[16];	 /* network order */
	uint32_t pad;
};

#define CTLMSG_FLOWS_MAX 256
#define CTLMSG_FLOWS_SCAN 65536 /* table entries read per request, at most */
struct ctlmsg_flows_reply {
	struct ctlmsg_hdr hdr;
	struct ctlmsg_page page;
	struct ctlmsg_flow flow[]; /* page.n entries */
};

/* SERVER_SET actions. */
enum ctlmsg_server_action {
	/* Admin state.  Established connections always finish; the states
	 * differ in new ones. */
	CTLMSG_SRV_ENABLE = 1, /* up: new connections again */
	CTLMSG_SRV_DISABLE,    /* none, persistent clients included (they move) */
	CTLMSG_SRV_DRAIN,      /* none but persistent clients' (they stay) */
	CTLMSG_SRV_WEIGHT,     /* set the weight (0: never picked) */
	/* Health, as edge-control's checks will report it. */
	CTLMSG_SRV_HEALTH_UP,
	CTLMSG_SRV_HEALTH_DOWN,
	CTLMSG_SRV_ACTION_MAX,
};
#define CTLMSG_WEIGHT_MAX 65535

/* Change one real server, named by service, address and port. */
struct ctlmsg_server_set {
	struct ctlmsg_hdr hdr;
	char service[CTLMSG_NAME_MAX];
	struct ctlmsg_addr addr;
	uint16_t port;	 /* host order; 0 only for a server given without one */
	uint16_t action; /* enum ctlmsg_server_action */
	uint32_t weight; /* CTLMSG_SRV_WEIGHT: 0..CTLMSG_WEIGHT_MAX; else 0 */
};

/* The server as it is after the change. */
struct ctlmsg_server_set_reply {
	struct ctlmsg_hdr hdr;
	struct ctlmsg_server srv;
};

/*
 * SERVICE_PUT: add a virtual service, or update the one of that name, from
 * the text of one `[virtual_service NAME]` profile section (the profile's
 * own syntax and checks; errors name the line of the text).  An update
 * may change everything but listen, forwarding and snat_pool; real
 * servers are matched by address and port, so established connections
 * of servers that stay are untouched.
 */
#define CTLMSG_SERVICE_TEXT_MAX 32768
struct ctlmsg_service_put {
	struct ctlmsg_hdr hdr;
	uint32_t len;	/* bytes of text used; text[len..] is zero */
	uint32_t flags; /* 0 */
	char text[CTLMSG_SERVICE_TEXT_MAX];
};

/* SERVICE_DEL: remove a service; its connections stop being forwarded. */
struct ctlmsg_service_del {
	struct ctlmsg_hdr hdr;
	char service[CTLMSG_NAME_MAX];
};

/*
 * Reply to SERVICE_PUT and SERVICE_DEL.  The epoch grows with every change
 * of the dataplane's configuration: a controller that saw epoch E and
 * finds another one knows someone else changed it (full re-sync).
 */
struct ctlmsg_service_put_reply {
	struct ctlmsg_hdr hdr;
	uint64_t epoch;
	uint16_t id;	  /* the service's id */
	uint16_t created; /* 1: added, 0: updated (PUT); 0 (DEL) */
	uint32_t pad;
};

/*
 * X(name, request struct, reply struct, reply item struct or void,
 *   reply item max, controller only)
 */
#define CTLMSG_TYPES(X)                                                                          \
	X(HELLO, ctlmsg_hello, ctlmsg_hello_reply, void, 0, 0)                                   \
	X(STATS, ctlmsg_empty, ctlmsg_stats_reply, void, 0, 0)                                   \
	X(DROPS, ctlmsg_empty, ctlmsg_drops_reply, ctlmsg_counter, CTLMSG_DROPS_MAX, 0)          \
	X(PORTS, ctlmsg_empty, ctlmsg_ports_reply, ctlmsg_port, CTLMSG_PORTS_MAX, 0)             \
	X(WORKERS, ctlmsg_empty, ctlmsg_workers_reply, ctlmsg_worker, CTLMSG_WORKERS_MAX, 0)     \
	X(SERVICES, ctlmsg_list_req, ctlmsg_services_reply, ctlmsg_service, CTLMSG_SERVICES_MAX, \
		0)                                                                               \
	X(SERVERS, ctlmsg_list_req, ctlmsg_servers_reply, ctlmsg_server, CTLMSG_SERVERS_MAX, 0)  \
	X(FLOWS, ctlmsg_list_req, ctlmsg_flows_reply, ctlmsg_flow, CTLMSG_FLOWS_MAX, 0)          \
	X(SERVER_SET, ctlmsg_server_set, ctlmsg_server_set_reply, void, 0, 1)                    \
	X(SERVICE_PUT, ctlmsg_service_put, ctlmsg_service_put_reply, void, 0, 1)                 \
	X(SERVICE_DEL, ctlmsg_service_del, ctlmsg_service_put_reply, void, 0, 1)

/* clang-format off */
enum ctlmsg_type {
	CTLMSG_NONE = 0,
#define CTLMSG_X_ENUM(n, rq, rp, it, max, ctl) CTLMSG_##n,
	CTLMSG_TYPES(CTLMSG_X_ENUM)
#undef CTLMSG_X_ENUM
	CTLMSG_TYPE_MAX
};
/* clang-format on */

/* "HELLO", ... or "?" */
const char *ctlmsg_type_name(unsigned int type);

/* Fill a request or reply header. */
void ctlmsg_hdr_init(struct ctlmsg_hdr *h, enum ctlmsg_type type, uint32_t seq, int32_t status);

/*
 * Validate a received request of len bytes: magic, version, a known type
 * and exactly its request size, then its fields (names NUL-terminated
 * within their field, known families and actions, zero flags, a weight
 * in range).  Returns 0 or a negative errno for the error reply: -EPROTO
 * (not ours / wrong version), -EOPNOTSUPP (unknown type), -EMSGSIZE
 * (wrong size), -EINVAL (a bad field).  Never reads past len.
 */
int ctlmsg_check_request(const void *buf, size_t len);

/*
 * Validate a received reply of len bytes to a request of `type`: header,
 * type and seq match, and the size fits the reply (for lists: header +
 * n items, n within its maximum).  An error reply (status < 0) is a bare
 * header or a struct ctlmsg_error_reply.  Returns 0 or a negative errno.
 */
int ctlmsg_check_reply(const void *buf, size_t len, enum ctlmsg_type type, uint32_t seq);

/*
 * The text of a checked error reply of len bytes (always NUL-terminated,
 * in msg of msglen bytes); "" when it has none.
 */
void ctlmsg_error_text(const void *buf, size_t len, char *msg, size_t msglen);

/* Encode requests (header included; seq 0, set by the sender). */
void ctlmsg_list_req_init(struct ctlmsg_list_req *r, enum ctlmsg_type type, const char *service,
	uint32_t cursor0, uint32_t cursor1, uint32_t max);
/* -ENAMETOOLONG (service), -EAFNOSUPPORT (family) or -EINVAL (action, weight). */
int ctlmsg_server_set_init(struct ctlmsg_server_set *r, const char *service,
	const struct ctlmsg_addr *addr, uint16_t port, enum ctlmsg_server_action action,
	uint32_t weight);

/* -EMSGSIZE (text longer than CTLMSG_SERVICE_TEXT_MAX - 1) or -ENAMETOOLONG. */
int ctlmsg_service_put_init(struct ctlmsg_service_put *r, const char *text, size_t len);
int ctlmsg_service_del_init(struct ctlmsg_service_del *r, const char *service);

/* A fixed-size wire string of field_len bytes into a C string of dst_len. */
void ctlmsg_str(char *dst, size_t dst_len, const char *field, size_t field_len);
#define CTLMSG_STR(dst, field) ctlmsg_str(dst, sizeof(dst), field, sizeof(field))

/* An address as text ("192.0.2.1", "2001:db8::1"; "?" if it is none). */
const char *ctlmsg_addr_format(uint8_t family, const uint8_t addr[16], char *buf, size_t len);
/* Parse "192.0.2.1" or "2001:db8::1" (no brackets). 0 or -EINVAL. */
int ctlmsg_addr_parse(const char *s, struct ctlmsg_addr *a);
/* "enable", "disable", ... or "?" */
const char *ctlmsg_action_name(unsigned int action);

/* Size of a reply of `type` carrying n list items (n = 0 for fixed replies). */
size_t ctlmsg_reply_size(enum ctlmsg_type type, uint32_t n);

/* Is `type` limited to the controller session? */
int ctlmsg_controller_only(enum ctlmsg_type type);

#endif /* EP_CTLMSG_H */
