/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz harness for the profile loader: the input is a whole profile, fed
 * to prof_load_buf() as is (not NUL-terminated; NUL bytes included).  Also
 * checks the loader's promises: on error nothing is returned and the
 * message is one non-empty "fuzz.ini:..." line; on success the counts are
 * within their arrays.  The first bytes, NUL-terminated, also go through
 * each value parser.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <netinet/in.h>

#include "prof.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_counts(const struct prof *p)
{
	unsigned int i;

	if (p->n_ports > PROF_MAX_PORTS || p->n_services > PROF_MAX_SERVICES ||
		p->media_relay.n_relay_addresses > PROF_MAX_LIST ||
		p->sip_edge.n_next_hops > PROF_MAX_LIST || p->dataplane.workers < 1 ||
		p->dataplane.workers > PROF_MAX_WORKERS)
		__builtin_trap();
	for (i = 0; i < p->n_services; i++) {
		const struct prof_service *s = &p->services[i];

		if (s->n_real_servers > PROF_MAX_REAL_SERVERS ||
			s->health_check_timeout_ms >= s->health_check_interval_ms ||
			(s->forwarding == PROF_FWD_FULLNAT) != s->has_snat_pool)
			__builtin_trap();
	}
}

static void
parse_values(const uint8_t *data, size_t size)
{
	char s[PROF_LINE_MAX];
	struct prof_endpoint ep;
	struct prof_cidr c;
	uint8_t mac[6];
	uint64_t v;

	if (size >= sizeof(s))
		size = sizeof(s) - 1;
	memcpy(s, data, size);
	s[size] = '\0';
	prof_parse_duration(s, &v);
	prof_parse_count(s, &v);
	prof_parse_cidr(s, &c);
	prof_parse_endpoint(s, &ep, IPPROTO_TCP, true);
	prof_parse_mac(s, mac);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[PROF_ERR_MAX];
	struct prof *p = NULL;
	int rc;

	rc = prof_load_buf("fuzz.ini", (const char *)data, size, &p, err, sizeof(err));
	if (rc == 0) {
		if (p == NULL)
			__builtin_trap();
		check_counts(p);
		prof_free(p);
	} else if (rc != -EINVAL || p != NULL || strncmp(err, "fuzz.ini:", 9) != 0 ||
		strchr(err, '\n') != NULL) {
		__builtin_trap();
	}
	parse_values(data, size);
	return 0;
}
