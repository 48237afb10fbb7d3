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
 */
#ifndef EP_CTLMSG_H
#define EP_CTLMSG_H

#include <stddef.h>
#include <stdint.h>

#define CTLMSG_MAGIC 0x45504331u /* "EPC1" */
#define CTLMSG_VERSION 1
#define CTLMSG_MAX 65536 /* largest datagram either side sends or accepts */
#define CTLMSG_NAME_MAX 32

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

/*
 * X(name, request struct, reply struct, reply item struct or void,
 *   reply item max, controller only)
 */
#define CTLMSG_TYPES(X)                                                                 \
	X(HELLO, ctlmsg_hello, ctlmsg_hello_reply, void, 0, 0)                          \
	X(STATS, ctlmsg_empty, ctlmsg_stats_reply, void, 0, 0)                          \
	X(DROPS, ctlmsg_empty, ctlmsg_drops_reply, ctlmsg_counter, CTLMSG_DROPS_MAX, 0) \
	X(PORTS, ctlmsg_empty, ctlmsg_ports_reply, ctlmsg_port, CTLMSG_PORTS_MAX, 0)    \
	X(WORKERS, ctlmsg_empty, ctlmsg_workers_reply, ctlmsg_worker, CTLMSG_WORKERS_MAX, 0)

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
 * and exactly its request size.  Returns 0 or a negative errno for the
 * error reply: -EPROTO (not ours / wrong version), -EOPNOTSUPP (unknown
 * type), -EMSGSIZE (wrong size).  Never reads past len.
 */
int ctlmsg_check_request(const void *buf, size_t len);

/*
 * Validate a received reply of len bytes to a request of `type`: header,
 * type and seq match, and the size fits the reply (for lists: header +
 * n items, n within its maximum).  An error reply (status < 0) may be a
 * bare header.  Returns 0 or a negative errno.
 */
int ctlmsg_check_reply(const void *buf, size_t len, enum ctlmsg_type type, uint32_t seq);

/* Size of a reply of `type` carrying n list items (n = 0 for fixed replies). */
size_t ctlmsg_reply_size(enum ctlmsg_type type, uint32_t n);

/* Is `type` limited to the controller session? */
int ctlmsg_controller_only(enum ctlmsg_type type);

#endif /* EP_CTLMSG_H */
