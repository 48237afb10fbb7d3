/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control messages from a peer: every request and reply check on
 * arbitrary bytes.  A valid verdict must imply the sizes and fields the
 * handlers rely on, and an error reply's text reads within its field.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctlmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What handlers rely on in an accepted request: terminated names, known
 * families and actions, weights in range. */
static void
check_fields(uint16_t type, const uint8_t *data, size_t size)
{
	if (type == CTLMSG_SERVICES || type == CTLMSG_SERVERS || type == CTLMSG_FLOWS) {
		struct ctlmsg_list_req r;

		if (size != sizeof(r))
			abort();
		memcpy(&r, data, sizeof(r));
		if (r.flags != 0 || strnlen(r.service, sizeof(r.service)) == sizeof(r.service))
			abort();
	} else if (type == CTLMSG_SERVICE_PUT) {
		const struct ctlmsg_service_put *r = (const void *)data;
		uint32_t len;

		if (size != sizeof(*r))
			abort();
		memcpy(&len, &r->len, sizeof(len));
		/* The handler parses text[0..len) as a C string. */
		if (len == 0 || len >= CTLMSG_SERVICE_TEXT_MAX || strlen(r->text) != len)
			abort();
	} else if (type == CTLMSG_SERVICE_DEL) {
		struct ctlmsg_service_del r;

		if (size != sizeof(r))
			abort();
		memcpy(&r, data, sizeof(r));
		if (r.service[0] == '\0' ||
			strnlen(r.service, sizeof(r.service)) == sizeof(r.service))
			abort();
	} else if (type == CTLMSG_SERVER_SET) {
		struct ctlmsg_server_set r;
		char a[64];

		if (size != sizeof(r))
			abort();
		memcpy(&r, data, sizeof(r));
		if (r.service[0] == '\0' ||
			strnlen(r.service, sizeof(r.service)) == sizeof(r.service) ||
			(r.addr.family != CTLMSG_AF_INET && r.addr.family != CTLMSG_AF_INET6) ||
			r.action < CTLMSG_SRV_ENABLE || r.action >= CTLMSG_SRV_ACTION_MAX ||
			r.weight > CTLMSG_WEIGHT_MAX)
			abort();
		if (strcmp(ctlmsg_addr_format(r.addr.family, r.addr.addr, a, sizeof(a)), "?") == 0)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctlmsg_hdr h;
	unsigned int t;

	if (ctlmsg_check_request(data, size) == 0) {
		memcpy(&h, data, sizeof(h));
		if (h.type == 0 || h.type >= CTLMSG_TYPE_MAX || size < sizeof(h))
			abort();
		check_fields(h.type, data, size);
	}
	for (t = 1; t < CTLMSG_TYPE_MAX; t++) {
		uint32_t seq = 0;

		if (size >= sizeof(h))
			memcpy(&seq, data + offsetof(struct ctlmsg_hdr, seq), sizeof(seq));
		if (ctlmsg_check_reply(data, size, (enum ctlmsg_type)t, seq) != 0)
			continue;
		/* Accepted: exactly a bare error header, or exactly the reply
		 * size for its own item count, which the handlers rely on. */
		memcpy(&h, data, sizeof(h));
		if (h.status < 0) {
			char msg[CTLMSG_ERR_MAX];

			if (size != sizeof(h) && size != sizeof(struct ctlmsg_error_reply))
				abort();
			ctlmsg_error_text(data, size, msg, sizeof(msg));
			if (strlen(msg) >= sizeof(msg))
				abort();
		} else if (ctlmsg_reply_size((enum ctlmsg_type)t, 0) != size) {
			uint32_t n;

			if (size < sizeof(h) + sizeof(n))
				abort();
			memcpy(&n, data + sizeof(h), sizeof(n));
			if (ctlmsg_reply_size((enum ctlmsg_type)t, n) != size)
				abort();
		}
	}
	return 0;
}
