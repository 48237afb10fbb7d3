/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
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

int
ctlmsg_check_request(const void *buf, size_t len)
{
	struct ctlmsg_hdr h;
	int ret = check_hdr(buf, len, &h);

	if (ret != 0)
		return ret;
	if (len != types[h.type].req_size)
		return -EMSGSIZE;
	return 0;
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
		return len == sizeof(h) ? 0 : -EMSGSIZE;
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

/* List replies keep their count right after the header (ctlmsg_check_reply). */
_Static_assert(offsetof(struct ctlmsg_drops_reply, n) == sizeof(struct ctlmsg_hdr), "n");
_Static_assert(offsetof(struct ctlmsg_ports_reply, n) == sizeof(struct ctlmsg_hdr), "n");
_Static_assert(offsetof(struct ctlmsg_workers_reply, n) == sizeof(struct ctlmsg_hdr), "n");
_Static_assert(sizeof(struct ctlmsg_ports_reply) + CTLMSG_PORTS_MAX * sizeof(struct ctlmsg_port) <=
		CTLMSG_MAX,
	"ports reply fits a datagram");
_Static_assert(
	sizeof(struct ctlmsg_workers_reply) + CTLMSG_WORKERS_MAX * sizeof(struct ctlmsg_worker) <=
		CTLMSG_MAX,
	"workers reply fits a datagram");
