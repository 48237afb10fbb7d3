/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control messages from a peer: every request and reply check on
 * arbitrary bytes.  A valid verdict must imply the sizes the handlers
 * rely on.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctlmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctlmsg_hdr h;
	unsigned int t;

	if (ctlmsg_check_request(data, size) == 0) {
		memcpy(&h, data, sizeof(h));
		if (h.type == 0 || h.type >= CTLMSG_TYPE_MAX || size < sizeof(h))
			abort();
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
			if (size != sizeof(h))
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
