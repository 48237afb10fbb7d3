/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The load balancer's side of the control socket (lib/ctlmsg SERVICES,
 * SERVERS, FLOWS, SERVER_SET) and the per-service summary telemetry
 * shows.  Main lcore, except dp_lb_svc_view() (any thread: it reads
 * counters and configuration bytes only, never the RCU table).
 */
#ifndef EP_DP_LB_CTL_H
#define EP_DP_LB_CTL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "dp_lb.h"

struct dp;
struct ctlmsg_list_req;
struct ctlmsg_server_set;

/*
 * Each handler writes its reply after the header into out (CTLMSG_MAX
 * bytes, zeroed by the caller) and returns the reply's length, or a
 * negative errno; when the error is about something the request named
 * (an unknown service or real server), err (errlen bytes) gets a line
 * naming it for the error reply.
 */
ssize_t dp_lb_ctl_services(
	struct dp *dp, const struct ctlmsg_list_req *req, void *out, char *err, size_t errlen);
ssize_t dp_lb_ctl_servers(
	struct dp *dp, const struct ctlmsg_list_req *req, void *out, char *err, size_t errlen);
ssize_t dp_lb_ctl_flows(
	struct dp *dp, const struct ctlmsg_list_req *req, void *out, char *err, size_t errlen);
/* Controller only (dp_ctl.c checks the role first). */
ssize_t dp_lb_ctl_server_set(
	struct dp *dp, const struct ctlmsg_server_set *req, void *out, char *err, size_t errlen);

/* Controller only: add or update a service from one profile section; remove one. */
struct ctlmsg_service_put;
struct ctlmsg_service_del;
ssize_t dp_lb_ctl_service_put(
	struct dp *dp, const struct ctlmsg_service_put *req, void *out, char *err, size_t errlen);
ssize_t dp_lb_ctl_service_del(
	struct dp *dp, const struct ctlmsg_service_del *req, void *out, char *err, size_t errlen);

/* A service's counters summed over the workers, and its servers at a glance. */
struct dp_lb_svc_view {
	struct dp_lb_svc_ctr c;
	uint64_t active;    /* connections not yet ended, over its servers */
	uint16_t n_servers; /* real servers (holes not counted) */
	uint16_t n_up;	    /* of which take new connections: up, weight > 0 */
};
void dp_lb_svc_view(const struct dp *dp, unsigned int svc, struct dp_lb_svc_view *v);

/* "udp", "syn_sent", "established", ... for enum dp_lb_tcp_state; "?" */
const char *dp_lb_tcp_state_name(uint8_t state);

#endif /* EP_DP_LB_CTL_H */
