/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/ctlmsg: request and reply validation, the sizes each type is bound
 * to, error replies (bare and with a text), and the load balancer's
 * messages: encoding, field checks, paged replies.
 */
#include <errno.h>
#include <stdio.h>
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

/* Every size but the exact one is refused as such, and never read past
 * (at the exact size, zeroed fields may still be invalid). */
static void
check_sizes(enum ctlmsg_type type, size_t size)
{
	size_t len;

	for (len = 0; len < size + 64; len++) {
		request(type, 0);
		UT_CHECK_MSG((ctlmsg_check_request(buf, len) == -EMSGSIZE) == (len != size),
			"%s request of %zu bytes (size %zu)", ctlmsg_type_name(type), len, size);
	}
	request(type, 0);
	UT_CHECK(ctlmsg_check_request(buf, CTLMSG_MAX + 1) == -EMSGSIZE);
}

/* Paged replies: header + page + n items, n bounded, the count not trusted. */
static void
check_paged(enum ctlmsg_type type, uint32_t max, size_t item)
{
	struct ctlmsg_page *pg = (struct ctlmsg_page *)(buf + sizeof(struct ctlmsg_hdr));
	uint32_t n;

	UT_CHECK(ctlmsg_reply_size(type, 0) == sizeof(struct ctlmsg_hdr) + sizeof(*pg));
	UT_CHECK(ctlmsg_reply_size(type, max) <= CTLMSG_MAX);
	for (n = 0; n <= max; n++) {
		size_t sz = ctlmsg_reply_size(type, n);

		request(type, 0);
		pg->n = n;
		pg->more = 1;
		UT_CHECK(sz == sizeof(struct ctlmsg_hdr) + sizeof(*pg) + n * item);
		UT_CHECK(ctlmsg_check_reply(buf, sz, type, 42) == 0);
		UT_CHECK(ctlmsg_check_reply(buf, sz - 1, type, 42) == -EMSGSIZE);
		UT_CHECK(ctlmsg_check_reply(buf, sz + 1, type, 42) == -EMSGSIZE);
		UT_CHECK(ctlmsg_check_reply(buf, sz, type, 41) == -EBADMSG);
	}
	pg->n = max + 1;
	UT_CHECK(ctlmsg_check_reply(buf, ctlmsg_reply_size(type, max + 1), type, 42) == -EMSGSIZE);
	pg->n = 0x80000000u; /* n * item wraps 32 bits: still refused */
	UT_CHECK(ctlmsg_check_reply(buf, ctlmsg_reply_size(type, 0), type, 42) == -EMSGSIZE);
	UT_CHECK(ctlmsg_check_reply(buf, sizeof(struct ctlmsg_hdr) + 2, type, 42) == -EMSGSIZE);
}

static void
test_list_requests(void)
{
	struct ctlmsg_list_req r;
	static const enum ctlmsg_type lists[] = {CTLMSG_SERVICES, CTLMSG_SERVERS, CTLMSG_FLOWS};
	unsigned int i;

	for (i = 0; i < 3; i++) {
		check_sizes(lists[i], sizeof(r));
		/* Encode, check, decode. */
		ctlmsg_list_req_init(&r, lists[i], NULL, 3, 77, 5);
		r.hdr.seq = 9;
		memcpy(buf, &r, sizeof(r));
		UT_CHECK(ctlmsg_check_request(buf, sizeof(r)) == 0);
		memcpy(&r, buf, sizeof(r));
		UT_CHECK(r.hdr.type == lists[i] && r.hdr.seq == 9 && r.cursor[0] == 3 &&
			r.cursor[1] == 77 && r.max == 5 && r.flags == 0 && r.service[0] == '\0');
		/* Flags are zero. */
		r.flags = 1;
		memcpy(buf, &r, sizeof(r));
		UT_CHECK(ctlmsg_check_request(buf, sizeof(r)) == -EINVAL);
		/* A name that fills its field with no NUL is refused. */
		ctlmsg_list_req_init(&r, lists[i], NULL, 0, 0, 0);
		memset(r.service, 'a', sizeof(r.service));
		memcpy(buf, &r, sizeof(r));
		UT_CHECK(ctlmsg_check_request(buf, sizeof(r)) == -EINVAL);
		/* A name: SERVERS and FLOWS filter by it, SERVICES has no use for one. */
		ctlmsg_list_req_init(&r, lists[i], "web", 0, 0, 0);
		UT_CHECK(strcmp(r.service, "web") == 0);
		memcpy(buf, &r, sizeof(r));
		UT_CHECK(ctlmsg_check_request(buf, sizeof(r)) ==
			(lists[i] == CTLMSG_SERVICES ? -EINVAL : 0));
		/* The longest name fits, a longer one is cut (the encoder never
		 * writes an unterminated field). */
		ctlmsg_list_req_init(
			&r, lists[i], "0123456789012345678901234567890123456789", 0, 0, 0);
		UT_CHECK(strlen(r.service) == CTLMSG_NAME_MAX - 1);
	}
	check_paged(CTLMSG_SERVICES, CTLMSG_SERVICES_MAX, sizeof(struct ctlmsg_service));
	check_paged(CTLMSG_SERVERS, CTLMSG_SERVERS_MAX, sizeof(struct ctlmsg_server));
	check_paged(CTLMSG_FLOWS, CTLMSG_FLOWS_MAX, sizeof(struct ctlmsg_flow));
}

static void
test_server_set(void)
{
	struct ctlmsg_server_set r;
	struct ctlmsg_server_set_reply *rp = (struct ctlmsg_server_set_reply *)buf;
	struct ctlmsg_addr a4, a6, bad;
	unsigned int act;

	UT_CHECK(ctlmsg_addr_parse("192.0.2.11", &a4) == 0 && a4.family == CTLMSG_AF_INET);
	UT_CHECK(ctlmsg_addr_parse("2001:db8::11", &a6) == 0 && a6.family == CTLMSG_AF_INET6);
	check_sizes(CTLMSG_SERVER_SET, sizeof(r));

	/* Encode, check, decode. */
	UT_CHECK(ctlmsg_server_set_init(&r, "web", &a4, 4443, CTLMSG_SRV_DRAIN, 0) == 0);
	memcpy(buf, &r, sizeof(r));
	UT_CHECK(ctlmsg_check_request(buf, sizeof(r)) == 0);
	memcpy(&r, buf, sizeof(r));
	UT_CHECK(r.hdr.type == CTLMSG_SERVER_SET && strcmp(r.service, "web") == 0 &&
		r.addr.family == CTLMSG_AF_INET && memcmp(r.addr.addr, a4.addr, 16) == 0 &&
		r.port == 4443 && r.action == CTLMSG_SRV_DRAIN && r.weight == 0);
	for (act = CTLMSG_SRV_ENABLE; act < CTLMSG_SRV_ACTION_MAX; act++) {
		UT_CHECK(ctlmsg_server_set_init(&r, "web", &a6, 0, act,
				 act == CTLMSG_SRV_WEIGHT ? CTLMSG_WEIGHT_MAX : 0) == 0);
		memcpy(buf, &r, sizeof(r));
		UT_CHECK_MSG(ctlmsg_check_request(buf, sizeof(r)) == 0, "action %u", act);
	}
	UT_CHECK(ctlmsg_server_set_init(&r, "web", &a4, 80, CTLMSG_SRV_WEIGHT, 0) == 0);

	/* The encoder refuses what the checker would. */
	UT_CHECK(ctlmsg_server_set_init(&r, "", &a4, 80, CTLMSG_SRV_DRAIN, 0) == -ENAMETOOLONG);
	UT_CHECK(ctlmsg_server_set_init(&r, "0123456789012345678901234567890123", &a4, 80,
			 CTLMSG_SRV_DRAIN, 0) == -ENAMETOOLONG);
	memset(&bad, 0, sizeof(bad));
	UT_CHECK(ctlmsg_server_set_init(&r, "web", &bad, 80, CTLMSG_SRV_DRAIN, 0) == -EAFNOSUPPORT);
	UT_CHECK(ctlmsg_server_set_init(&r, "web", &a4, 80, 0, 0) == -EINVAL);
	UT_CHECK(ctlmsg_server_set_init(&r, "web", &a4, 80, CTLMSG_SRV_ACTION_MAX, 0) == -EINVAL);
	UT_CHECK(ctlmsg_server_set_init(&r, "web", &a4, 80, CTLMSG_SRV_DRAIN, 1) == -EINVAL);
	UT_CHECK(ctlmsg_server_set_init(
			 &r, "web", &a4, 80, CTLMSG_SRV_WEIGHT, CTLMSG_WEIGHT_MAX + 1) == -EINVAL);

	/* The checker refuses what a peer could send: each field in turn. */
#define BAD_SET(what, mutate)                                                                   \
	do {                                                                                    \
		UT_CHECK(ctlmsg_server_set_init(&r, "web", &a4, 80, CTLMSG_SRV_DRAIN, 0) == 0); \
		mutate;                                                                         \
		memcpy(buf, &r, sizeof(r));                                                     \
		UT_CHECK_MSG(ctlmsg_check_request(buf, sizeof(r)) == -EINVAL, what);            \
	} while (0)
	BAD_SET("unterminated service", memset(r.service, 'w', sizeof(r.service)));
	BAD_SET("empty service", r.service[0] = '\0');
	BAD_SET("family 0", r.addr.family = 0);
	BAD_SET("family 5", r.addr.family = 5);
	BAD_SET("IPv4 with bytes past 4", r.addr.addr[15] = 1);
	BAD_SET("action 0", r.action = 0);
	BAD_SET("action past the last", r.action = CTLMSG_SRV_ACTION_MAX);
	BAD_SET("action 0xffff", r.action = 0xffff);
	BAD_SET("a weight with drain", r.weight = 1);
	BAD_SET("weight too big", (r.action = CTLMSG_SRV_WEIGHT, r.weight = CTLMSG_WEIGHT_MAX + 1));
#undef BAD_SET
	UT_CHECK(ctlmsg_controller_only(CTLMSG_SERVER_SET) == 1);
	UT_CHECK(ctlmsg_controller_only(CTLMSG_SERVICES) == 0);
	UT_CHECK(ctlmsg_controller_only(CTLMSG_SERVERS) == 0);
	UT_CHECK(ctlmsg_controller_only(CTLMSG_FLOWS) == 0);

	/* The reply: the server as it is now, fixed size. */
	request(CTLMSG_SERVER_SET, 0);
	snprintf(rp->srv.state, sizeof(rp->srv.state), "draining");
	UT_CHECK(ctlmsg_check_reply(buf, sizeof(*rp), CTLMSG_SERVER_SET, 42) == 0);
	UT_CHECK(ctlmsg_check_reply(buf, sizeof(*rp) - 1, CTLMSG_SERVER_SET, 42) == -EMSGSIZE);
	UT_CHECK(ctlmsg_check_reply(buf, sizeof(*rp) + 8, CTLMSG_SERVER_SET, 42) == -EMSGSIZE);
	UT_CHECK(ctlmsg_check_reply(buf, sizeof(struct ctlmsg_hdr), CTLMSG_SERVER_SET, 42) ==
		-EMSGSIZE);
}

static void
test_service_put(void)
{
	static struct ctlmsg_service_put r;
	static uint8_t big[sizeof(struct ctlmsg_service_put)];
	struct ctlmsg_service_del d;
	struct ctlmsg_service_put_reply *rp = (struct ctlmsg_service_put_reply *)buf;
	const char *text = "[virtual_service web]\nlisten = 192.0.2.100:443/tcp\n";

	check_sizes(CTLMSG_SERVICE_PUT, sizeof(r));
	check_sizes(CTLMSG_SERVICE_DEL, sizeof(d));
	UT_CHECK(ctlmsg_controller_only(CTLMSG_SERVICE_PUT) == 1);
	UT_CHECK(ctlmsg_controller_only(CTLMSG_SERVICE_DEL) == 1);

	UT_CHECK(ctlmsg_service_put_init(&r, text, strlen(text)) == 0);
	memcpy(big, &r, sizeof(r));
	UT_CHECK(ctlmsg_check_request(big, sizeof(r)) == 0);
	UT_CHECK(r.len == strlen(text) && memcmp(r.text, text, r.len) == 0);
	UT_CHECK(ctlmsg_check_request(big, sizeof(r) - 1) == -EMSGSIZE);
	/* Encoder limits. */
	UT_CHECK(ctlmsg_service_put_init(&r, text, 0) == -EMSGSIZE);
	UT_CHECK(ctlmsg_service_put_init(&r, text, CTLMSG_SERVICE_TEXT_MAX) == -EMSGSIZE);
	UT_CHECK(ctlmsg_service_put_init(&r, "a\0b", 3) == -EINVAL);
	/* Checker: a lying length, a NUL inside, bytes after the text, flags. */
#define BAD_PUT(what, mutate)                                                        \
	do {                                                                         \
		UT_CHECK(ctlmsg_service_put_init(&r, text, strlen(text)) == 0);      \
		mutate;                                                              \
		memcpy(big, &r, sizeof(r));                                          \
		UT_CHECK_MSG(ctlmsg_check_request(big, sizeof(r)) == -EINVAL, what); \
	} while (0)
	BAD_PUT("len 0", r.len = 0);
	BAD_PUT("len past the field", r.len = CTLMSG_SERVICE_TEXT_MAX);
	BAD_PUT("len too long for the text", r.len = (uint32_t)strlen(text) + 1);
	BAD_PUT("a NUL inside", r.text[3] = '\0');
	BAD_PUT("bytes after the text", r.text[r.len + 1] = 'x');
	BAD_PUT("text filling the field", memset(r.text, 'x', sizeof(r.text)));
	BAD_PUT("flags", r.flags = 1);
#undef BAD_PUT

	UT_CHECK(ctlmsg_service_del_init(&d, "web") == 0);
	memcpy(buf, &d, sizeof(d));
	UT_CHECK(ctlmsg_check_request(buf, sizeof(d)) == 0);
	UT_CHECK(ctlmsg_service_del_init(&d, "") == -ENAMETOOLONG);
	UT_CHECK(
		ctlmsg_service_del_init(&d, "0123456789012345678901234567890123") == -ENAMETOOLONG);
	UT_CHECK(ctlmsg_service_del_init(&d, "web") == 0);
	memset(d.service, 'w', sizeof(d.service));
	memcpy(buf, &d, sizeof(d));
	UT_CHECK(ctlmsg_check_request(buf, sizeof(d)) == -EINVAL);

	request(CTLMSG_SERVICE_PUT, 0);
	rp->epoch = 7;
	UT_CHECK(ctlmsg_check_reply(buf, sizeof(*rp), CTLMSG_SERVICE_PUT, 42) == 0);
	UT_CHECK(ctlmsg_check_reply(buf, sizeof(*rp) - 1, CTLMSG_SERVICE_PUT, 42) == -EMSGSIZE);
	request(CTLMSG_SERVICE_DEL, 0);
	UT_CHECK(ctlmsg_check_reply(buf, sizeof(*rp), CTLMSG_SERVICE_DEL, 42) == 0);
}

static void
test_error_replies(void)
{
	struct ctlmsg_error_reply *e = (struct ctlmsg_error_reply *)buf;
	char msg[CTLMSG_ERR_MAX], small[8];
	size_t len;

	request(CTLMSG_SERVER_SET, 0);
	e->hdr.status = -ENOENT;
	snprintf(e->msg, sizeof(e->msg), "no service 'x'");
	for (len = 0; len < sizeof(*e) + 8; len++)
		UT_CHECK_MSG((ctlmsg_check_reply(buf, len, CTLMSG_SERVER_SET, 42) == 0) ==
				(len == sizeof(e->hdr) || len == sizeof(*e)),
			"error reply of %zu bytes", len);
	ctlmsg_error_text(buf, sizeof(*e), msg, sizeof(msg));
	UT_CHECK(strcmp(msg, "no service 'x'") == 0);
	ctlmsg_error_text(buf, sizeof(*e), small, sizeof(small));
	UT_CHECK(strcmp(small, "no serv") == 0);
	ctlmsg_error_text(buf, sizeof(e->hdr), msg, sizeof(msg));
	UT_CHECK(msg[0] == '\0');
	/* A text with no NUL is read within its field. */
	memset(e->msg, 'x', sizeof(e->msg));
	ctlmsg_error_text(buf, sizeof(*e), msg, sizeof(msg));
	UT_CHECK(strlen(msg) == sizeof(msg) - 1);
	/* Any type may carry one; a success never does. */
	request(CTLMSG_STATS, 0);
	e->hdr.status = -EIO;
	UT_CHECK(ctlmsg_check_reply(buf, sizeof(*e), CTLMSG_STATS, 42) == 0);
	e->hdr.status = 0;
	UT_CHECK(ctlmsg_check_reply(buf, sizeof(*e), CTLMSG_STATS, 42) == -EMSGSIZE);
}

static void
test_helpers(void)
{
	struct ctlmsg_addr a;
	char out[64], dst[4];
	static const char field[4] = {'a', 'b', 'c', 'd'}; /* no NUL */

	UT_CHECK(ctlmsg_addr_parse("192.0.2.100", &a) == 0);
	UT_CHECK(
		strcmp(ctlmsg_addr_format(a.family, a.addr, out, sizeof(out)), "192.0.2.100") == 0);
	UT_CHECK(a.addr[4] == 0 && a.addr[15] == 0);
	UT_CHECK(ctlmsg_addr_parse("2001:db8::100", &a) == 0);
	UT_CHECK(strcmp(ctlmsg_addr_format(a.family, a.addr, out, sizeof(out)), "2001:db8::100") ==
		0);
	UT_CHECK(ctlmsg_addr_parse("192.0.2.100:80", &a) == -EINVAL && a.family == 0);
	UT_CHECK(ctlmsg_addr_parse("[2001:db8::1]", &a) == -EINVAL);
	UT_CHECK(ctlmsg_addr_parse("", &a) == -EINVAL);
	UT_CHECK(strcmp(ctlmsg_addr_format(0, a.addr, out, sizeof(out)), "?") == 0);
	UT_CHECK(strcmp(ctlmsg_addr_format(5, a.addr, out, sizeof(out)), "?") == 0);
	ctlmsg_str(dst, sizeof(dst), field, sizeof(field));
	UT_CHECK(strcmp(dst, "abc") == 0);
	ctlmsg_str(out, sizeof(out), field, sizeof(field));
	UT_CHECK(strcmp(out, "abcd") == 0);
	UT_CHECK(strcmp(ctlmsg_action_name(CTLMSG_SRV_DRAIN), "drain") == 0);
	UT_CHECK(strcmp(ctlmsg_action_name(CTLMSG_SRV_HEALTH_DOWN), "health-down") == 0);
	UT_CHECK(strcmp(ctlmsg_action_name(0), "?") == 0);
	UT_CHECK(strcmp(ctlmsg_action_name(CTLMSG_SRV_ACTION_MAX), "?") == 0);
	UT_CHECK(strcmp(ctlmsg_type_name(CTLMSG_SERVICES), "SERVICES") == 0);
	UT_CHECK(strcmp(ctlmsg_type_name(CTLMSG_SERVER_SET), "SERVER_SET") == 0);
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

	test_list_requests();
	test_server_set();
	test_service_put();
	test_error_replies();
	test_helpers();
	return ut_summary("ctlmsg");
}
