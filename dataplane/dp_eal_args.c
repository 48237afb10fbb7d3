/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_eal_args.h"

struct eal_opt {
	const char *name;
	bool has_arg;
	bool repeat;
	int group; /* options in one non-zero group replace each other */
};

/* The EAL options that take a value, and the ones that may repeat. */
static const struct eal_opt eal_opts[] = {
	{"-l", true, false, 1},
	{"-c", true, false, 1},
	{"--lcores", true, false, 1},
	{"-n", true, false, 0},
	{"-m", true, false, 2},
	{"-r", true, false, 0},
	{"-a", true, true, 0},
	{"--allow", true, true, 0},
	{"-b", true, true, 0},
	{"--block", true, true, 0},
	{"-d", true, true, 0},
	{"--vdev", true, true, 0},
	{"--log-level", true, true, 0},
	{"--file-prefix", true, false, 0},
	{"--socket-mem", true, false, 2},
	{"--socket-limit", true, false, 0},
	{"--huge-dir", true, false, 0},
	{"--proc-type", true, false, 0},
	{"--iova-mode", true, false, 0},
	{"--main-lcore", true, false, 0},
	{"--base-virtaddr", true, false, 0},
	{"--service-corelist", true, false, 0},
	{"-s", true, false, 0},
	{"--trace", true, true, 0},
	{"--trace-dir", true, false, 0},
	{"--trace-bufsz", true, false, 0},
	{"--trace-mode", true, false, 0},
	{"--vfio-intr", true, false, 0},
	{"--vfio-vf-token", true, false, 0},
	{"--mbuf-pool-ops-name", true, false, 0},
	{"--force-max-simd-bitwidth", true, false, 0},
	{"--huge-worker-stack", false, false, 0},
};

static const struct eal_opt *
find_opt(const char *arg, size_t *name_len)
{
	const char *eq = strchr(arg, '=');
	size_t len = eq != NULL && arg[1] == '-' ? (size_t)(eq - arg) : strlen(arg);
	unsigned int i;

	/* Short options may carry their value attached: -l0-2. */
	if (arg[0] == '-' && arg[1] != '-' && arg[1] != '\0')
		len = 2;
	*name_len = len;
	for (i = 0; i < sizeof(eal_opts) / sizeof(eal_opts[0]); i++)
		if (strlen(eal_opts[i].name) == len && strncmp(eal_opts[i].name, arg, len) == 0)
			return &eal_opts[i];
	return NULL;
}

/* Does the value follow as the next word? */
static bool
takes_next(const char *arg, const struct eal_opt *o, size_t name_len)
{
	return o != NULL && o->has_arg && arg[name_len] == '\0';
}

static bool
cli_overrides(int cli_argc, char **cli_argv, const char *arg)
{
	size_t len, clen;
	const struct eal_opt *o = find_opt(arg, &len), *co;
	int i;

	if (arg[0] != '-')
		return false;
	if (o != NULL && o->repeat)
		return false;
	for (i = 0; i < cli_argc; i++) {
		if (cli_argv[i][0] != '-')
			continue;
		co = find_opt(cli_argv[i], &clen);
		if (clen == len && strncmp(cli_argv[i], arg, len) == 0)
			return true;
		if (o != NULL && co != NULL && o->group != 0 && o->group == co->group)
			return true;
	}
	return false;
}

static int
push(struct dp_eal_args *ea, char *a, char *err, size_t errlen)
{
	if (ea->argc >= DP_EAL_MAX_ARGS) {
		snprintf(err, errlen, "more than %d EAL arguments", DP_EAL_MAX_ARGS);
		return -E2BIG;
	}
	ea->argv[ea->argc++] = a;
	ea->argv[ea->argc] = NULL;
	return 0;
}

int
dp_eal_args_build(struct dp_eal_args *ea, const char *prog, const char *profile_eal, int cli_argc,
	char **cli_argv, char *err, size_t errlen)
{
	char *words[DP_EAL_MAX_ARGS], *save = NULL, *w;
	int nwords = 0, i, ret;

	memset(ea, 0, sizeof(*ea));
	ea->buf = strdup(profile_eal != NULL ? profile_eal : "");
	if (ea->buf == NULL)
		return -ENOMEM;
	for (w = strtok_r(ea->buf, " \t", &save); w != NULL; w = strtok_r(NULL, " \t", &save)) {
		if (nwords == DP_EAL_MAX_ARGS) {
			snprintf(err, errlen, "more than %d words", DP_EAL_MAX_ARGS);
			return -E2BIG;
		}
		words[nwords++] = w;
	}
	ret = push(ea, (char *)(uintptr_t)prog, err, errlen);
	for (i = 0; ret == 0 && i < nwords; i++) {
		size_t len;
		const struct eal_opt *o = find_opt(words[i], &len);
		bool next = words[i][0] == '-' && takes_next(words[i], o, len);

		if (next && i + 1 >= nwords) {
			snprintf(err, errlen, "option %s needs a value", words[i]);
			return -EINVAL;
		}
		if (cli_overrides(cli_argc, cli_argv, words[i])) {
			i += next ? 1 : 0;
			continue;
		}
		ret = push(ea, words[i], err, errlen);
		if (ret == 0 && next)
			ret = push(ea, words[++i], err, errlen);
	}
	for (i = 0; ret == 0 && i < cli_argc; i++)
		ret = push(ea, cli_argv[i], err, errlen);
	return ret;
}

void
dp_eal_args_free(struct dp_eal_args *ea)
{
	free(ea->buf);
	ea->buf = NULL;
}
