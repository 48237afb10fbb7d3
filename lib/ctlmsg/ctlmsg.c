/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctlmsg.h"

struct type_info {
	const char *name;
	size_t req_size;
	size_t reply_size; /* fixed part */
	size_t item_size;  /* 0: no list */
	uint32_t item_max;
	int controller_only;
};

/* sizeof(void) is not C: list-less replies name `void` as their item. */
#define CTLMSG_ITEM_SIZE_void 0
#define CTLMSG_ITEM_SIZE_ctlmsg_counter sizeof(struct ctlmsg_counter)
#define CTLMSG_ITEM_SIZE_ctlmsg_port sizeof(struct ctlmsg_port)
#define CTLMSG_ITEM_SIZE_ctlmsg_worker sizeof(struct ctlmsg_worker)
#define CTLMSG_ITEM_SIZE_ctlmsg_service sizeof(struct ctlmsg_service)
#define CTLMSG_ITEM_SIZE_ctlmsg_server sizeof(struct ctlmsg_server)
#define CTLMSG_ITEM_SIZE_ctlmsg_flow sizeof(struct ctlmsg_flow)

static const struct type_info types[CTLMSG_TYPE_MAX] = {
#define CTLMSG_X_INFO(n, rq, rp, it, max, ctl) \
	[CTLMSG_##n] = {#n, sizeof(struct rq), sizeof(struct rp), CTLMSG_ITEM_SIZE_##it, max, ctl},
	CTLMSG_TYPES(CTLMSG_X_INFO)
#undef CTLMSG_X_INFO
};

const char *
ctlmsg_type_name(unsigned int type)
{
	if (type == CTLMSG_NONE || type >= CTLMSG_TYPE_MAX)
		return "?";
	return types[type].name;
}

void
ctlmsg_hdr_init(struct ctlmsg_hdr *h, enum ctlmsg_type type, uint32_t seq, int32_t status)
{
	h->magic = CTLMSG_MAGIC;
	h->version = CTLMSG_VERSION;
	h->type = (uint16_t)type;
	h->seq = seq;
	h->status = status;
}

static int
check_hdr(const void *buf, size_t len, struct ctlmsg_hdr *h)
{
	if (len < sizeof(*h))
		return -EMSGSIZE;
	memcpy(h, buf, sizeof(*h));
	if (h->magic != CTLMSG_MAGIC || h->version != CTLMSG_VERSION)
		return -EPROTO;
	if (h->type == CTLMSG_NONE || h->type >= CTLMSG_TYPE_MAX)
		return -EOPNOTSUPP;
	return 0;
}

/* Does a fixed-size string field end within itself? */
static int
str_ok(const char *f, size_t len)
{
	return memchr(f, '\0', len) != NULL;
}

static int
addr_ok(const struct ctlmsg_addr *a)
{
	static const uint8_t zero[12];

	if (a->family == CTLMSG_AF_INET6)
		return 1;
	/* IPv4: the unused bytes are zero, so one address has one encoding. */
	return a->family == CTLMSG_AF_INET && memcmp(a->addr + 4, zero, sizeof(zero)) == 0;
}

/* Fields of a request of the right size: what handlers may then trust. */
static int
check_fields(uint16_t type, const void *buf)
{
	switch (type) {
	case CTLMSG_SERVICES:
	case CTLMSG_SERVERS:
	case CTLMSG_FLOWS: {
		struct ctlmsg_list_req r;

		memcpy(&r, buf, sizeof(r));
		if (r.flags != 0 || !str_ok(r.service, sizeof(r.service)))
			return -EINVAL;
		/* SERVICES lists them all: a name there is a mistake. */
		if (type == CTLMSG_SERVICES && r.service[0] != '\0')
			return -EINVAL;
		return 0;
	}
	case CTLMSG_SERVER_SET: {
		struct ctlmsg_server_set r;

		memcpy(&r, buf, sizeof(r));
		if (!str_ok(r.service, sizeof(r.service)) || r.service[0] == '\0' ||
			!addr_ok(&r.addr) || r.action < CTLMSG_SRV_ENABLE ||
			r.action >= CTLMSG_SRV_ACTION_MAX)
			return -EINVAL;
		if (r.action == CTLMSG_SRV_WEIGHT ? r.weight > CTLMSG_WEIGHT_MAX : r.weight != 0)
			return -EINVAL;
		return 0;
	}
	case CTLMSG_SERVICE_PUT: {
		const struct ctlmsg_service_put *r = buf;
		uint32_t len, flags;

		memcpy(&len, &r->len, sizeof(len));
		memcpy(&flags, &r->flags, sizeof(flags));
		/* The text is NUL-free and padded with zeros to the end. */
		size_t i;

		if (flags != 0 || len == 0 || len >= CTLMSG_SERVICE_TEXT_MAX ||
			memchr(r->text, '\0', len) != NULL)
			return -EINVAL;
		/* One text, one encoding: nothing hides after it. */
		for (i = len; i < CTLMSG_SERVICE_TEXT_MAX; i++)
			if (r->text[i] != '\0')
				return -EINVAL;
		return 0;
	}
	case CTLMSG_SERVICE_DEL: {
		struct ctlmsg_service_del r;

		memcpy(&r, buf, sizeof(r));
		if (!str_ok(r.service, sizeof(r.service)) || r.service[0] == '\0')
			return -EINVAL;
		return 0;
	}
	default:
		return 0;
	}
}

int
ctlmsg_check_request(const void *buf, size_t len)
{
	struct ctlmsg_hdr h;
	int ret = check_hdr(buf, len, &h);

	if (ret != 0)
		return ret;
	if (len != types[h.type].req_size)
		return -EMSGSIZE;
	return check_fields(h.type, buf);
}

size_t
ctlmsg_reply_size(enum ctlmsg_type type, uint32_t n)
{
	if (type == CTLMSG_NONE || type >= CTLMSG_TYPE_MAX)
		return 0;
	return types[type].reply_size + (size_t)n * types[type].item_size;
}

int
ctlmsg_check_reply(const void *buf, size_t len, enum ctlmsg_type type, uint32_t seq)
{
	const struct type_info *ti;
	struct ctlmsg_hdr h;
	uint32_t n;
	int ret = check_hdr(buf, len, &h);

	if (ret != 0)
		return ret;
	if (h.type != type || h.seq != seq)
		return -EBADMSG;
	if (h.status < 0)
		return len == sizeof(h) || len == sizeof(struct ctlmsg_error_reply) ? 0 : -EMSGSIZE;
	if (h.status > 0)
		return -EBADMSG; /* status is 0 or -errno */
	ti = &types[type];
	if (ti->item_size == 0)
		return len == ti->reply_size ? 0 : -EMSGSIZE;
	if (len < ti->reply_size)
		return -EMSGSIZE;
	/* List replies: the count sits right after the header. */
	memcpy(&n, (const uint8_t *)buf + sizeof(h), sizeof(n));
	if (n > ti->item_max || len != ti->reply_size + (size_t)n * ti->item_size)
		return -EMSGSIZE;
	return 0;
}

int
ctlmsg_controller_only(enum ctlmsg_type type)
{
	if (type == CTLMSG_NONE || type >= CTLMSG_TYPE_MAX)
		return 0;
	return types[type].controller_only;
}

void
ctlmsg_str(char *dst, size_t dst_len, const char *field, size_t field_len)
{
	size_t n = 0;

	if (dst_len == 0)
		return;
	while (n < field_len && n < dst_len - 1 && field[n] != '\0')
		n++;
	memcpy(dst, field, n);
	dst[n] = '\0';
}

void
ctlmsg_error_text(const void *buf, size_t len, char *msg, size_t msglen)
{
	const struct ctlmsg_error_reply *e = buf;

	if (msglen == 0)
		return;
	msg[0] = '\0';
	if (len == sizeof(*e))
		ctlmsg_str(msg, msglen, e->msg, sizeof(e->msg));
}

void
ctlmsg_list_req_init(struct ctlmsg_list_req *r, enum ctlmsg_type type, const char *service,
	uint32_t cursor0, uint32_t cursor1, uint32_t max)
{
	memset(r, 0, sizeof(*r));
	ctlmsg_hdr_init(&r->hdr, type, 0, 0);
	r->cursor[0] = cursor0;
	r->cursor[1] = cursor1;
	r->max = max;
	if (service != NULL)
		ctlmsg_str(r->service, sizeof(r->service), service, strlen(service));
}

int
ctlmsg_server_set_init(struct ctlmsg_server_set *r, const char *service,
	const struct ctlmsg_addr *addr, uint16_t port, enum ctlmsg_server_action action,
	uint32_t weight)
{
	size_t n = strlen(service);

	memset(r, 0, sizeof(*r));
	ctlmsg_hdr_init(&r->hdr, CTLMSG_SERVER_SET, 0, 0);
	if (n == 0 || n >= sizeof(r->service))
		return -ENAMETOOLONG;
	if (!addr_ok(addr))
		return -EAFNOSUPPORT;
	if (action < CTLMSG_SRV_ENABLE || action >= CTLMSG_SRV_ACTION_MAX ||
		(action == CTLMSG_SRV_WEIGHT ? weight > CTLMSG_WEIGHT_MAX : weight != 0))
		return -EINVAL;
	memcpy(r->service, service, n);
	r->addr = *addr;
	r->port = port;
	r->action = (uint16_t)action;
	r->weight = weight;
	return 0;
}

const char *
ctlmsg_addr_format(uint8_t family, const uint8_t addr[16], char *buf, size_t len)
{
	int af = family == CTLMSG_AF_INET ? AF_INET : family == CTLMSG_AF_INET6 ? AF_INET6 : -1;

	if (af < 0 || inet_ntop(af, addr, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
	return buf;
}

int
ctlmsg_addr_parse(const char *s, struct ctlmsg_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a->addr) == 1) {
		a->family = CTLMSG_AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, a->addr) == 1) {
		a->family = CTLMSG_AF_INET6;
		return 0;
	}
	memset(a, 0, sizeof(*a));
	return -EINVAL;
}

const char *
ctlmsg_action_name(unsigned int action)
{
	static const char *const names[CTLMSG_SRV_ACTION_MAX] = {
		[CTLMSG_SRV_ENABLE] = "enable",
		[CTLMSG_SRV_DISABLE] = "disable",
		[CTLMSG_SRV_DRAIN] = "drain",
		[CTLMSG_SRV_WEIGHT] = "weight",
		[CTLMSG_SRV_HEALTH_UP] = "health-up",
		[CTLMSG_SRV_HEALTH_DOWN] = "health-down",
	};

	if (action == 0 || action >= CTLMSG_SRV_ACTION_MAX)
		return "?";
	return names[action];
}

/* The wire layout: both ends are built from this header, but a change in
 * a struct's size is a protocol change (bump CTLMSG_VERSION). */
_Static_assert(sizeof(struct ctlmsg_hdr) == 16, "wire size");
_Static_assert(sizeof(struct ctlmsg_hello) == 52, "wire size");
_Static_assert(sizeof(struct ctlmsg_hello_reply) == 48, "wire size");
_Static_assert(sizeof(struct ctlmsg_stats_reply) == 120, "wire size");
_Static_assert(sizeof(struct ctlmsg_counter) == 40, "wire size");
_Static_assert(sizeof(struct ctlmsg_port) == 112, "wire size");
_Static_assert(sizeof(struct ctlmsg_worker) == 64, "wire size");
_Static_assert(sizeof(struct ctlmsg_drops_reply) == 24, "wire size");
_Static_assert(sizeof(struct ctlmsg_error_reply) == 16 + CTLMSG_ERR_MAX, "wire size");
_Static_assert(sizeof(struct ctlmsg_addr) == 20, "wire size");
_Static_assert(sizeof(struct ctlmsg_list_req) == 64, "wire size");
_Static_assert(sizeof(struct ctlmsg_page) == 16, "wire size");
_Static_assert(sizeof(struct ctlmsg_service) == 488, "wire size");
_Static_assert(offsetof(struct ctlmsg_service, conns) == 112, "wire layout");
_Static_assert(sizeof(struct ctlmsg_server) == 144, "wire size");
_Static_assert(offsetof(struct ctlmsg_server, conns) == 96, "wire layout");
_Static_assert(sizeof(struct ctlmsg_flow) == 128, "wire size");
_Static_assert(offsetof(struct ctlmsg_flow, client) == 60, "wire layout");
_Static_assert(sizeof(struct ctlmsg_server_set) == 76, "wire size");
_Static_assert(sizeof(struct ctlmsg_server_set_reply) == 160, "wire size");
_Static_assert(sizeof(struct ctlmsg_services_reply) == 32, "wire size");
_Static_assert(sizeof(struct ctlmsg_servers_reply) == 32, "wire size");
_Static_assert(sizeof(struct ctlmsg_flows_reply) == 32, "wire size");
_Static_assert(sizeof(struct ctlmsg_service_put) == 24 + CTLMSG_SERVICE_TEXT_MAX, "wire size");
_Static_assert(sizeof(struct ctlmsg_service_del) == 48, "wire size");
_Static_assert(sizeof(struct ctlmsg_service_put_reply) == 32, "wire size");
_Static_assert(CTLMSG_SERVICE_PUT == 10 && CTLMSG_SERVICE_DEL == 11, "type numbers");
/* Type numbers are wire values: appended, never renumbered. */
_Static_assert(CTLMSG_HELLO == 1 && CTLMSG_WORKERS == 5, "type numbers");
_Static_assert(
	CTLMSG_SERVICES == 6 && CTLMSG_SERVERS == 7 && CTLMSG_FLOWS == 8 && CTLMSG_SERVER_SET == 9,
	"type numbers");

/* List replies keep their count right after the header (ctlmsg_check_reply). */
_Static_assert(offsetof(struct ctlmsg_drops_reply, n) == sizeof(struct ctlmsg_hdr), "n");
_Static_assert(offsetof(struct ctlmsg_ports_reply, n) == sizeof(struct ctlmsg_hdr), "n");
_Static_assert(offsetof(struct ctlmsg_workers_reply, n) == sizeof(struct ctlmsg_hdr), "n");
_Static_assert(offsetof(struct ctlmsg_services_reply, page.n) == sizeof(struct ctlmsg_hdr), "n");
_Static_assert(offsetof(struct ctlmsg_servers_reply, page.n) == sizeof(struct ctlmsg_hdr), "n");
_Static_assert(offsetof(struct ctlmsg_flows_reply, page.n) == sizeof(struct ctlmsg_hdr), "n");
_Static_assert(sizeof(struct ctlmsg_ports_reply) + CTLMSG_PORTS_MAX * sizeof(struct ctlmsg_port) <=
		CTLMSG_MAX,
	"ports reply fits a datagram");
_Static_assert(
	sizeof(struct ctlmsg_workers_reply) + CTLMSG_WORKERS_MAX * sizeof(struct ctlmsg_worker) <=
		CTLMSG_MAX,
	"workers reply fits a datagram");
_Static_assert(sizeof(struct ctlmsg_services_reply) +
			CTLMSG_SERVICES_MAX * sizeof(struct ctlmsg_service) <=
		CTLMSG_MAX,
	"services reply fits a datagram");
_Static_assert(
	sizeof(struct ctlmsg_servers_reply) + CTLMSG_SERVERS_MAX * sizeof(struct ctlmsg_server) <=
		CTLMSG_MAX,
	"servers reply fits a datagram");
_Static_assert(sizeof(struct ctlmsg_flows_reply) + CTLMSG_FLOWS_MAX * sizeof(struct ctlmsg_flow) <=
		CTLMSG_MAX,
	"flows reply fits a datagram");

int
ctlmsg_service_put_init(struct ctlmsg_service_put *r, const char *text, size_t len)
{
	memset(r, 0, sizeof(*r));
	ctlmsg_hdr_init(&r->hdr, CTLMSG_SERVICE_PUT, 0, 0);
	if (len == 0 || len >= CTLMSG_SERVICE_TEXT_MAX)
		return -EMSGSIZE;
	if (memchr(text, '\0', len) != NULL)
		return -EINVAL;
	memcpy(r->text, text, len);
	r->len = (uint32_t)len;
	return 0;
}

int
ctlmsg_service_del_init(struct ctlmsg_service_del *r, const char *service)
{
	memset(r, 0, sizeof(*r));
	ctlmsg_hdr_init(&r->hdr, CTLMSG_SERVICE_DEL, 0, 0);
	if (service[0] == '\0' || strlen(service) >= sizeof(r->service))
		return -ENAMETOOLONG;
	memcpy(r->service, service, strlen(service));
	return 0;
}
