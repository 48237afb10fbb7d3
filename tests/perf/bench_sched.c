/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Benchmark (not a test): cost per pick of each scheduler with 2, 16 and
 * 256 backends (weights 1..100, all up), median of RUNS runs of PICKS
 * picks over precomputed random flow hashes, next to an empty loop over
 * the same hashes; least_conn and wlc also with the connection's open and
 * the close of an older one (what a worker does per new connection when
 * the table is in steady state) and with a new snapshot of the other
 * workers' counts before the pick (the O(n) tree rebuild a worker pays
 * once per snapshot period); and the Maglev table build (main lcore)
 * for 16 and 256 backends, median of BUILD_RUNS builds.
 *
 * TSC cycles on x86 (rdtsc fenced by lfence), nanoseconds from
 * CLOCK_MONOTONIC elsewhere; build times in microseconds either way.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define BENCH_UNIT "cycles"
#else
#define BENCH_UNIT "ns"
#endif

#include "bench.h"
#include "lb_sched.h"

#define PICKS 200000
#define RUNS 9
#define BUILD_RUNS 15
#define HASHES 4096 /* a power of two */
#define WINDOW 1024 /* open connections kept per least_conn run: a power of two */

static const unsigned int sizes[] = {2, 16, 256};
#define N_SIZES (sizeof(sizes) / sizeof(sizes[0]))

static volatile uint32_t sink;
static uint32_t hashes[HASHES];

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

enum mode {
	M_EMPTY,     /* the loop alone */
	M_PICK,	     /* lb_sched_pick */
	M_PICK_CONN, /* pick, open it, close the one WINDOW picks ago */
	M_SNAPSHOT,  /* adopt the other workers' counts, then pick (tree rebuild) */
};

/* Median cost of one iteration. */
static double
measure(const struct lb_sched *s, struct lb_conns *conns, enum mode mode)
{
	static uint16_t ring[WINDOW];
	static uint32_t others[LB_BACKENDS_MAX];
	unsigned int r, i, iters = mode == M_SNAPSHOT ? PICKS / 20 : PICKS;
	struct lb_pick_ctx ctx;
	double runs[RUNS];

	lb_pick_ctx_init(&ctx, 1, conns);
	for (r = 0; r < RUNS; r++) {
		uint32_t acc = 0;
		uint64_t t0;

		if (mode == M_PICK_CONN)
			for (i = 0; i < WINDOW; i++) {
				int id = lb_sched_pick(s, &ctx, hashes[i % HASHES]);

				ring[i] = (uint16_t)id;
				lb_conns_open(conns, (uint32_t)id);
			}
		t0 = bench_now();
		for (i = 0; i < iters; i++) {
			uint32_t h = hashes[i & (HASHES - 1)];

			if (mode == M_SNAPSHOT) {
				others[i % s->n] = h & 0xff;
				lb_conns_set_others(conns, others, s->n);
				acc += (uint32_t)lb_sched_pick(s, &ctx, h);
			} else if (mode == M_EMPTY) {
				acc += h;
				__asm__ volatile("" : "+r"(acc));
			} else if (mode == M_PICK) {
				acc += (uint32_t)lb_sched_pick(s, &ctx, h);
			} else {
				int id = lb_sched_pick(s, &ctx, h);

				lb_conns_open(conns, (uint32_t)id);
				lb_conns_close(conns, ring[i & (WINDOW - 1)]);
				ring[i & (WINDOW - 1)] = (uint16_t)id;
				acc += (uint32_t)id;
			}
		}
		runs[r] = (double)(bench_now() - t0) / iters;
		sink = acc;
		if (mode == M_PICK_CONN)
			for (i = 0; i < WINDOW; i++)
				lb_conns_close(conns, ring[i]);
	}
	return bench_median(runs, RUNS);
}

static void
make_backends(struct lb_backend *b, unsigned int n, uint64_t *rng)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		uint8_t id[6] = {10, 1, (uint8_t)(i >> 8), (uint8_t)i, 0x11, 0x5b};

		*rng = *rng * 6364136223846793005ull + 1442695040888963407ull;
		b[i].key = lb_backend_key(id, sizeof(id));
		b[i].weight = 1 + (uint32_t)(*rng >> 33) % 100;
		b[i].state = LB_BACKEND_UP;
	}
}

int
main(void)
{
	static const enum lb_sched_kind kinds[] = {LB_SCHED_RR, LB_SCHED_WRR, LB_SCHED_LEAST_CONN,
		LB_SCHED_WLC, LB_SCHED_SOURCE_HASH, LB_SCHED_MAGLEV};
	struct lb_backend b[256];
	uint64_t rng = 0x853c49e6748fea9bull;
	double res[N_SIZES];
	unsigned int k, z, i;

	for (i = 0; i < HASHES; i++) {
		rng = rng * 6364136223846793005ull + 1442695040888963407ull;
		hashes[i] = (uint32_t)(rng >> 32);
	}

	printf("bench_sched: " BENCH_UNIT " per pick, %u picks, median of %u runs; "
	       "weights 1..100, all up\n",
		PICKS, RUNS);
	printf("%-28s %10s %10s %10s\n", "scheduler", "2", "16", "256");
	for (z = 0; z < N_SIZES; z++)
		res[z] = measure(NULL, NULL, M_EMPTY);
	printf("%-28s %10.1f %10.1f %10.1f\n", "(empty loop)", res[0], res[1], res[2]);
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		bool conns_kind = kinds[k] == LB_SCHED_LEAST_CONN || kinds[k] == LB_SCHED_WLC;
		double res_conn[N_SIZES], res_snap[N_SIZES];
		char label[64];

		for (z = 0; z < N_SIZES; z++) {
			struct lb_conns *conns = lb_conns_create(sizes[z], 1);
			struct lb_sched *s = NULL;
			int ret;

			make_backends(b, sizes[z], &rng);
			ret = lb_sched_build(kinds[k], b, sizes[z], &s);
			if (ret < 0 || conns == NULL) {
				fprintf(stderr, "bench_sched: build %s: %d\n",
					lb_sched_kind_name(kinds[k]), ret);
				return 1;
			}
			res[z] = measure(s, conns, M_PICK);
			if (conns_kind) {
				res_conn[z] = measure(s, conns, M_PICK_CONN);
				res_snap[z] = measure(s, conns, M_SNAPSHOT);
			}
			lb_sched_free(s);
			lb_conns_free(conns);
		}
		printf("%-28s %10.1f %10.1f %10.1f\n", lb_sched_kind_name(kinds[k]), res[0], res[1],
			res[2]);
		if (conns_kind) {
			snprintf(label, sizeof(label), "%s +open+close",
				lb_sched_kind_name(kinds[k]));
			printf("%-28s %10.1f %10.1f %10.1f\n", label, res_conn[0], res_conn[1],
				res_conn[2]);
			snprintf(label, sizeof(label), "%s snapshot+pick",
				lb_sched_kind_name(kinds[k]));
			printf("%-28s %10.1f %10.1f %10.1f\n", label, res_snap[0], res_snap[1],
				res_snap[2]);
		}
	}

	printf("\nmaglev build, M = %u, median of %u builds\n", LB_MAGLEV_SIZE_DEFAULT, BUILD_RUNS);
	printf("%-28s %10s %10s\n", "backends", "equal us", "1..100 us");
	for (z = 1; z < N_SIZES; z++) {
		double eq[BUILD_RUNS], wt[BUILD_RUNS];
		unsigned int r;

		for (r = 0; r < BUILD_RUNS; r++) {
			struct lb_sched *s = NULL;
			double t0;
			int pass;

			for (pass = 0; pass < 2; pass++) {
				make_backends(b, sizes[z], &rng);
				if (pass == 0)
					for (i = 0; i < sizes[z]; i++)
						b[i].weight = 1;
				t0 = now_us();
				if (lb_sched_build(LB_SCHED_MAGLEV, b, sizes[z], &s) < 0) {
					fprintf(stderr, "bench_sched: maglev build failed\n");
					return 1;
				}
				(pass == 0 ? eq : wt)[r] = now_us() - t0;
				lb_sched_free(s);
			}
		}
		printf("%-28u %10.0f %10.0f\n", sizes[z], bench_median(eq, BUILD_RUNS),
			bench_median(wt, BUILD_RUNS));
	}
	return 0;
}
