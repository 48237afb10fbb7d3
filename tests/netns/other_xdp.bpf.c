/* SPDX-License-Identifier: BSD-3-Clause OR GPL-2.0-only */
/*
 * Somebody else's XDP program, for tests: dp_xdp_prepare must refuse an
 * interface that carries it.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("xdp")
int
not_edge(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_PASS;
}
