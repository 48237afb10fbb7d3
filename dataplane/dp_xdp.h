/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Edgeplane's XDP steering program, seen from the dataplane's main lcore.
 *
 * net_af_xdp loads the program (its `xdp_prog=` argument); this module
 * checks the interface before that (replace a stale Edgeplane program,
 * refuse someone else's), then finds the program's maps through the
 * attached program's map ids (bpf_xdp_query_id + bpf_prog_get_info_by_fd)
 * -- nothing is pinned, no bpffs is needed -- and updates them with libbpf.
 */
#ifndef EP_DP_XDP_H
#define EP_DP_XDP_H

#include <stddef.h>
#include <stdint.h>

#include "pkt_addr.h"
#include "xdp/edge_xdp.h"

struct dp_xdp;

/* Path of the compiled program (env EDGEPLANE_XDP_PROG overrides the built-in path). */
const char *dp_xdp_prog_path(void);

/*
 * Before the PMD attaches: if ifname carries an Edgeplane program (left
 * by a crash), detach it and return 1; if it carries another program,
 * return -EBUSY with a message naming it in err; 0 if none; -ENODEV if
 * there is no such interface.
 */
int dp_xdp_prepare(const char *ifname, char *err, size_t errlen);

/* After the PMD attached our program: find its maps. 0 or negative errno. */
int dp_xdp_open(const char *ifname, struct dp_xdp **out, char *err, size_t errlen);

/* Addresses the dataplane owns: traffic to them (and ARP/ND for them) is redirected. */
int dp_xdp_local_add(struct dp_xdp *x, const struct pkt_addr *a);
int dp_xdp_local_del(struct dp_xdp *x, const struct pkt_addr *a);

/*
 * The same for any EDGE_XDP_ADDR_* flag (an address stays in the map
 * while it has a flag): set adds flags; clear removes them, -ENOENT if
 * none of them was set.  0 or negative errno.
 */
int dp_xdp_addr_set(struct dp_xdp *x, const struct pkt_addr *a, uint32_t flags);
int dp_xdp_addr_clear(struct dp_xdp *x, const struct pkt_addr *a, uint32_t flags);

/*
 * Real servers of nat services on this port: their TCP/UDP packets (and
 * ICMP errors) go to the dataplane unless they are for the kernel itself
 * (a health-check reply to the kernel's address), because their replies
 * to clients are addressed to no address the dataplane owns.  Adding one
 * twice is fine; the caller removes an address once no nat service of
 * the port has it.  0 or negative errno (-ENOENT: not there).
 */
int dp_xdp_rs_add(struct dp_xdp *x, const struct pkt_addr *a);
int dp_xdp_rs_del(struct dp_xdp *x, const struct pkt_addr *a);

/* IPv4 source prefixes whose packets the program drops (-EAFNOSUPPORT for IPv6). */
int dp_xdp_deny_add(struct dp_xdp *x, const struct pkt_addr *prefix, unsigned int len);
int dp_xdp_deny_del(struct dp_xdp *x, const struct pkt_addr *prefix, unsigned int len);

/* Sum of the per-CPU counters, indexed by enum edge_xdp_stat. */
int dp_xdp_stats(struct dp_xdp *x, uint64_t out[EDGE_XDP_STAT_MAX]);

/* Close map fds (does not detach). */
void dp_xdp_close(struct dp_xdp *x);

/*
 * Detach an Edgeplane program from ifname if one is attached (shutdown
 * safety net); other programs are left alone.  1 if it detached one, 0 if
 * there was none, negative errno.
 */
int dp_xdp_detach(const char *ifname);

#endif /* EP_DP_XDP_H */
