/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_eal_args: the profile's `eal =` words merged with the command line's
 * (after `--`), the command line winning.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dp_eal_args.h"
#include "ut.h"

/* Build and join argv[1..] with single spaces into out. */
static int
merged(const char *profile, int cli_argc, char **cli_argv, char *out, size_t outlen)
{
	struct dp_eal_args ea;
	char err[128];
	int i, ret;

	out[0] = '\0';
	ret = dp_eal_args_build(
		&ea, "edge-dataplane", profile, cli_argc, cli_argv, err, sizeof(err));
	if (ret == 0) {
		UT_CHECK(strcmp(ea.argv[0], "edge-dataplane") == 0 && ea.argv[ea.argc] == NULL);
		for (i = 1; i < ea.argc; i++) {
			strncat(out, ea.argv[i], outlen - strlen(out) - 1);
			if (i + 1 < ea.argc)
				strncat(out, " ", outlen - strlen(out) - 1);
		}
	} else {
		snprintf(out, outlen, "error: %s", err);
	}
	dp_eal_args_free(&ea);
	return ret;
}

#define EXPECT(profile, expected, ...)                                                        \
	do {                                                                                  \
		char *cli[] = {__VA_ARGS__};                                                  \
		char res[1024];                                                               \
		int n = (int)(sizeof(cli) / sizeof(cli[0])) - 1;                              \
		merged(profile, n, cli, res, sizeof(res));                                    \
		UT_CHECK_MSG(strcmp(res, expected) == 0, "profile '%s': got '%s', want '%s'", \
			profile, res, expected);                                              \
	} while (0)

int
main(void)
{
	char *none[] = {NULL};
	char big[8192], got[256];
	int i;

	/* The profile alone. */
	EXPECT("-l 0-2 -a 0000:3b:00.0", "-l 0-2 -a 0000:3b:00.0", NULL);
	EXPECT("", "", NULL);
	EXPECT("  --no-huge \t -m 512  ", "--no-huge -m 512", NULL);
	/* The command line replaces an option it repeats... */
	EXPECT("-l 0-2 -m 512", "-m 512 -l 0-1", "-l", "0-1", NULL);
	EXPECT("-l0-2 -n 4", "-n 4 -l 1", "-l", "1", NULL);
	EXPECT("--file-prefix=a --no-pci", "--no-pci --file-prefix b", "--file-prefix", "b", NULL);
	EXPECT("--file-prefix a --no-pci", "--no-pci --file-prefix=b", "--file-prefix=b", NULL);
	/* ...and -l, -c and --lcores replace each other. */
	EXPECT("-l 0-2 --no-pci", "--no-pci --lcores=(0-2)@(0-1)", "--lcores=(0-2)@(0-1)", NULL);
	EXPECT("-c 0x7", "-l 0-1", "-l", "0-1", NULL);
	/* So do the memory sizes -m and --socket-mem. */
	EXPECT("-m 512 --no-pci", "--no-pci --socket-mem 1024", "--socket-mem", "1024", NULL);
	/* Options with a value are replaced with their value, not around it. */
	EXPECT("--vfio-intr msix --no-pci", "--no-pci --vfio-intr legacy", "--vfio-intr", "legacy",
		NULL);
	/* Repeatable options add up. */
	EXPECT("--vdev net_null0 -a 0000:01:00.0",
		"--vdev net_null0 -a 0000:01:00.0 --vdev net_null1", "--vdev", "net_null1", NULL);
	EXPECT("--log-level=*:info", "--log-level=*:info --log-level=edgeplane.*:debug",
		"--log-level=edgeplane.*:debug", NULL);
	/* Unknown flags pass through untouched. */
	EXPECT("--in-memory", "--in-memory --no-telemetry", "--no-telemetry", NULL);

	/* Errors. */
	UT_CHECK(merged("-m", 0, none, got, sizeof(got)) == -EINVAL);
	UT_CHECK_MSG(strstr(got, "-m needs a value") != NULL, "got '%s'", got);
	big[0] = '\0';
	for (i = 0; i < 200; i++)
		strcat(big, "--no-pci ");
	UT_CHECK(merged(big, 0, none, got, sizeof(got)) == -E2BIG);
	return ut_summary("eal_args");
}
