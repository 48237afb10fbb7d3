/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EAL arguments: `[dataplane] eal =` from the profile, overridden by the
 * arguments given after `--` on the command line.  An option given on the
 * command line replaces the profile's (the core-set options -l, -c and
 * --lcores count as one, and so do the memory sizes -m and --socket-mem);
 * repeatable ones (--vdev, -a, -b, -d,
 * --log-level) accumulate.
 */
#ifndef EP_DP_EAL_ARGS_H
#define EP_DP_EAL_ARGS_H

#include <stddef.h>

#define DP_EAL_MAX_ARGS 128

struct dp_eal_args {
	int argc;
	char *argv[DP_EAL_MAX_ARGS + 1];
	char *buf; /* the profile string, split in place */
};

int dp_eal_args_build(struct dp_eal_args *ea, const char *prog, const char *profile_eal,
	int cli_argc, char **cli_argv, char *err, size_t errlen);
void dp_eal_args_free(struct dp_eal_args *ea);

#endif /* EP_DP_EAL_ARGS_H */
