/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/ctlmsg: request and reply validation, the sizes each type is bound
 * to, and error replies.
 */
#include <errno.h>
#include <string.h>

#include "ctlmsg.h"
#include "ut.h"

static uint8_t buf[CTLMSG_MAX + 16];

static size_t
request(enum ctlmsg_type type, size_t len)
{
	memset(buf, 0, sizeof(buf));
	ctlmsg_hdr_init((struct ctlmsg_hdr *)buf, type, 42, 0);
	return len;
}

int
main(void)
{
	struct ctlmsg_hdr *h = (struct ctlmsg_hdr *)buf;
	struct ctlmsg_drops_reply *dr = (struct ctlmsg_drops_reply *)buf;
	size_t i, len;

	/* Requests: exactly their size. */
	UT_CHECK(
		ctlmsg_check_request(buf, request(CTLMSG_HELLO, sizeof(struct ctlmsg_hello))) == 0);
	UT_CHECK(
		ctlmsg_check_request(buf, request(CTLMSG_STATS, sizeof(struct ctlmsg_empty))) == 0);
	UT_CHECK(ctlmsg_check_request(
			 buf, request(CTLMSG_HELLO, sizeof(struct ctlmsg_hello) - 1)) == -EMSGSIZE);
	UT_CHECK(ctlmsg_check_request(
			 buf, request(CTLMSG_STATS, sizeof(struct ctlmsg_empty) + 1)) == -EMSGSIZE);
	/* Every truncation of a valid request is refused, never read past. */
	for (len = 0; len < sizeof(struct ctlmsg_hello); len++)
		UT_CHECK(ctlmsg_check_request(buf, request(CTLMSG_HELLO, len)) != 0);
	request(CTLMSG_STATS, 0);
	h->magic ^= 1;
	UT_CHECK(ctlmsg_check_request(buf, sizeof(struct ctlmsg_empty)) == -EPROTO);
	request(CTLMSG_STATS, 0);
	h->version = CTLMSG_VERSION + 1;
	UT_CHECK(ctlmsg_check_request(buf, sizeof(struct ctlmsg_empty)) == -EPROTO);
	request(CTLMSG_NONE, 0);
	UT_CHECK(ctlmsg_check_request(buf, sizeof(struct ctlmsg_empty)) == -EOPNOTSUPP);
	request(CTLMSG_TYPE_MAX, 0);
	UT_CHECK(ctlmsg_check_request(buf, sizeof(struct ctlmsg_empty)) == -EOPNOTSUPP);

	/* Fixed replies. */
	request(CTLMSG_STATS, 0);
	UT_CHECK(ctlmsg_check_reply(buf, sizeof(struct ctlmsg_stats_reply), CTLMSG_STATS, 42) == 0);
	UT_CHECK(ctlmsg_check_reply(buf, sizeof(struct ctlmsg_stats_reply), CTLMSG_STATS, 43) ==
		-EBADMSG);
	UT_CHECK(ctlmsg_check_reply(buf, sizeof(struct ctlmsg_stats_reply), CTLMSG_PORTS, 42) ==
		-EBADMSG);
	UT_CHECK(ctlmsg_check_reply(buf, sizeof(struct ctlmsg_stats_reply) - 8, CTLMSG_STATS, 42) ==
		-EMSGSIZE);
	/* Error replies are a bare header. */
	h->status = -EBUSY;
	UT_CHECK(ctlmsg_check_reply(buf, sizeof(*h), CTLMSG_STATS, 42) == 0);
	UT_CHECK(ctlmsg_check_reply(buf, sizeof(*h) + 1, CTLMSG_STATS, 42) == -EMSGSIZE);

	/* List replies: header + n items, n bounded. */
	request(CTLMSG_DROPS, 0);
	for (i = 0; i <= CTLMSG_DROPS_MAX; i++) {
		dr->n = (uint32_t)i;
		UT_CHECK(ctlmsg_check_reply(buf, ctlmsg_reply_size(CTLMSG_DROPS, (uint32_t)i),
				 CTLMSG_DROPS, 42) == 0);
		UT_CHECK(ctlmsg_check_reply(buf, ctlmsg_reply_size(CTLMSG_DROPS, (uint32_t)i) + 1,
				 CTLMSG_DROPS, 42) == -EMSGSIZE);
	}
	dr->n = CTLMSG_DROPS_MAX + 1;
	UT_CHECK(ctlmsg_check_reply(buf, ctlmsg_reply_size(CTLMSG_DROPS, CTLMSG_DROPS_MAX + 1),
			 CTLMSG_DROPS, 42) == -EMSGSIZE);
	dr->n = 0xffffffffu; /* a lying count must not overflow the size check */
	UT_CHECK(ctlmsg_check_reply(buf, sizeof(*dr), CTLMSG_DROPS, 42) == -EMSGSIZE);
	UT_CHECK(ctlmsg_reply_size(CTLMSG_PORTS, CTLMSG_PORTS_MAX) <= CTLMSG_MAX);
	UT_CHECK(ctlmsg_reply_size(CTLMSG_WORKERS, CTLMSG_WORKERS_MAX) <= CTLMSG_MAX);

	/* Names. */
	UT_CHECK(strcmp(ctlmsg_type_name(CTLMSG_HELLO), "HELLO") == 0);
	UT_CHECK(strcmp(ctlmsg_type_name(CTLMSG_WORKERS), "WORKERS") == 0);
	UT_CHECK(strcmp(ctlmsg_type_name(0), "?") == 0);
	UT_CHECK(strcmp(ctlmsg_type_name(9999), "?") == 0);
	UT_CHECK(ctlmsg_controller_only(CTLMSG_STATS) == 0);
	return ut_summary("ctlmsg");
}
