/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stand-in main() for builds without libFuzzer: runs the harness over
 * every file named on the command line (the checked-in corpus and the
 * crash regressions), so the plain build replays them as a test.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (f == NULL) {
		perror(path);
		return -1;
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(n > 0 ? (size_t)n : 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	free(buf);
	return 0;
}

int
main(int argc, char **argv)
{
	unsigned int ran = 0, failed = 0;
	int i;

	for (i = 1; i < argc; i++) {
		struct stat st;
		struct dirent *de;
		DIR *d;

		if (stat(argv[i], &st) != 0 || !S_ISDIR(st.st_mode)) {
			if (run_file(argv[i]) == 0)
				ran++;
			else
				failed++;
			continue;
		}
		d = opendir(argv[i]);
		while (d != NULL && (de = readdir(d)) != NULL) {
			char p[4096];

			if (de->d_name[0] == '.')
				continue;
			snprintf(p, sizeof(p), "%s/%s", argv[i], de->d_name);
			if (run_file(p) == 0)
				ran++;
			else
				failed++;
		}
		if (d != NULL)
			closedir(d);
	}
	printf("corpus: %u passed, %u failed\n", ran, failed);
	return failed == 0 && ran > 0 ? 0 : 1;
}
