/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Benchmark (not a test) of the per-worker connection table (lb_conn):
 * memory per connection; cycles per hit lookup with 64 flows (cache-hot)
 * and with 1,000,000 live flows (capacity 1.25M), single and bulk (8),
 * hash precomputed and hash included; cycles per insert + delete in steady
 * state at 1M flows; cycles per call of the expiry sweep at 1M flows (none
 * due), one call per 32 lookups as in a worker's poll loop; the time to
 * fill 10 million connections (capacity 12.5M).  Lookups stream a
 * precomputed sequence of keys in random flow order, half forward, half
 * reverse.  Median of RUNS runs.
 *
 * TSC cycles on x86 (rdtsc fenced by lfence), nanoseconds elsewhere.
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#define BENCH_UNIT "cycles"
#else
#define BENCH_UNIT "ns"
#endif

#include "bench.h"
#include "lb_conn.h"

#define RUNS 5
#define LOOKUPS 1000000u
#define SEED 0xb0b0cafeu
#define BIG 1000000u
#define BIG_CAP 1250000u
#define FILL 10000000u
#define FILL_CAP 12500000u
#define FILL_RUNS 3
/* Entries per lb_conn_sweep() call, as the dataplane's poll loop passes. */
#ifndef SWEEP_BUDGET
#define SWEEP_BUDGET 64
#endif
#define SWEEP_CALLS 100000u

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint64_t
xorshift(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void
fwd_key(struct lb_conn_key *k, uint32_t id)
{
	lb_conn_key_v4(k, IPPROTO_TCP, htonl(0x0a000000u | (id >> 8)), htonl(0xc0000201u),
		htons((uint16_t)(1024 + (id & 0xff))), htons(443));
}

static void
rev_key(struct lb_conn_key *k, uint32_t id)
{
	lb_conn_key_v4(k, IPPROTO_TCP, htonl(0xac100000u | (id & 7)),
		htonl(0xc6330000u | (id >> 16)), htons(4443), htons((uint16_t)id));
}

static struct lb_conn *
ins(struct lb_conn_table *t, uint32_t id)
{
	struct lb_conn_key f, r;

	fwd_key(&f, id);
	rev_key(&r, id);
	return lb_conn_insert(
		t, &f, lb_conn_hash(&f, SEED), &r, lb_conn_hash(&r, SEED), 0, 0x7fffffffu);
}

static struct lb_conn_key *seq_keys;
static uint32_t *seq_hash;
static volatile uintptr_t sink;

/* LOOKUPS keys of random flows among n, alternating directions. */
static void
make_seq(uint32_t n)
{
	uint32_t i;

	for (i = 0; i < LOOKUPS; i++) {
		uint32_t id = (uint32_t)(xorshift() % n);

		if (i & 1)
			rev_key(&seq_keys[i], id);
		else
			fwd_key(&seq_keys[i], id);
		seq_hash[i] = lb_conn_hash(&seq_keys[i], SEED);
	}
}

/* mode 0: single, precomputed hash; 1: single with hash; 2: bulk of 8. */
static double
run_lookups(struct lb_conn_table *t, int mode)
{
	uint64_t t0, t1;
	uintptr_t acc = 0;
	uint32_t i, misses = 0;

	t0 = bench_now();
	if (mode == 2) {
		struct lb_conn *out[LB_CONN_BULK_MAX];

		for (i = 0; i < LOOKUPS; i += LB_CONN_BULK_MAX) {
			misses += LB_CONN_BULK_MAX -
				lb_conn_lookup_bulk(t, &seq_keys[i], &seq_hash[i], LB_CONN_BULK_MAX,
					1, out, NULL);
			acc += (uintptr_t)out[0];
		}
	} else {
		for (i = 0; i < LOOKUPS; i++) {
			uint32_t h = mode == 1 ? lb_conn_hash(&seq_keys[i], SEED) : seq_hash[i];
			struct lb_conn *c = lb_conn_lookup(t, &seq_keys[i], h, 1, NULL);

			misses += c == NULL;
			acc += (uintptr_t)c;
		}
	}
	t1 = bench_now();
	sink = acc;
	if (misses != 0)
		fprintf(stderr, "unexpected misses: %u\n", misses);
	return (double)(t1 - t0) / LOOKUPS;
}

/*
 * Cycles per lb_conn_sweep() call with nothing due, each after 32 lookups
 * (untimed) as in a poll loop, so the sweep finds the cache as a worker
 * leaves it; the timer's own cost subtracted.
 */
static double
run_sweep(struct lb_conn_table *t)
{
	uint64_t sum = 0, timer = 0, t0;
	uintptr_t acc = 0;
	uint32_t i, j, k = 0;

	for (i = 0; i < SWEEP_CALLS; i++) {
		for (j = 0; j < 32; j++, k = k + 1 == LOOKUPS ? 0 : k + 1)
			acc += (uintptr_t)lb_conn_lookup(t, &seq_keys[k], seq_hash[k], 1, NULL);
		t0 = bench_now();
		acc += lb_conn_sweep(t, 1, SWEEP_BUDGET);
		sum += bench_now() - t0;
		t0 = bench_now();
		timer += bench_now() - t0;
	}
	sink = acc;
	return (double)(sum - timer) / SWEEP_CALLS;
}

static void
bench_lookups(const char *name, uint32_t flows, uint32_t cap)
{
	static const char *const modes[] = {"single", "single+hash", "bulk8"};
	struct lb_conn_table *t;
	double v[RUNS];
	uint32_t i;
	int m, r;

	if (lb_conn_table_create(cap, SEED, &t) != 0) {
		fprintf(stderr, "create failed\n");
		exit(1);
	}
	for (i = 0; i < flows; i++) {
		if (ins(t, i) == NULL) {
			fprintf(stderr, "insert %u refused\n", i);
			exit(1);
		}
	}
	make_seq(flows);
	for (m = 0; m < 3; m++) {
		for (r = 0; r < RUNS; r++)
			v[r] = run_lookups(t, m);
		printf("lookup hit, %-9s %8u flows (cap %8u) %-12s %7.1f %s\n", name, flows, cap,
			modes[m], bench_median(v, RUNS), BENCH_UNIT);
	}

	if (flows == BIG) {
		for (r = 0; r < RUNS; r++)
			v[r] = run_sweep(t);
		printf("sweep, nothing due %8u flows (cap %8u) %3u entries %7.1f %s per call\n",
			flows, cap, SWEEP_BUDGET, bench_median(v, RUNS), BENCH_UNIT);
	}

	/* Steady state: open a new connection, close the oldest. */
	if (flows == BIG) {
		struct lb_conn **ring = malloc(sizeof(*ring) * flows);
		struct lb_conn_key k;
		uint32_t next = flows, head = 0, ops = 1000000;

		for (i = 0; i < flows; i++) {
			fwd_key(&k, i);
			ring[i] = lb_conn_lookup(t, &k, lb_conn_hash(&k, SEED), 1, NULL);
		}
		for (r = 0; r < RUNS; r++) {
			uint64_t t0 = bench_now();

			for (i = 0; i < ops; i++) {
				lb_conn_delete(t, ring[head]);
				ring[head] = ins(t, next++);
				if (ring[head] == NULL) {
					fprintf(stderr, "insert refused at steady state\n");
					exit(1);
				}
				head = head + 1 == flows ? 0 : head + 1;
			}
			v[r] = (double)(bench_now() - t0) / ops;
		}
		printf("insert+delete (hashes incl.) %8u flows (cap %8u)              %7.1f %s\n",
			flows, cap, bench_median(v, RUNS), BENCH_UNIT);
		free(ring);
	}
	lb_conn_table_free(t);
}

static void
bench_fill(void)
{
	double v[FILL_RUNS], mem = 0;
	struct timespec a, b;
	int r;

	for (r = 0; r < FILL_RUNS; r++) {
		struct lb_conn_table *t;
		uint32_t i;

		if (lb_conn_table_create(FILL_CAP, SEED, &t) != 0) {
			fprintf(stderr, "create %u: no memory\n", FILL_CAP);
			return;
		}
		clock_gettime(CLOCK_MONOTONIC, &a);
		for (i = 0; i < FILL; i++) {
			if (ins(t, i) == NULL) {
				fprintf(stderr, "fill: insert %u refused\n", i);
				exit(1);
			}
		}
		clock_gettime(CLOCK_MONOTONIC, &b);
		v[r] = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
		mem = (double)lb_conn_mem_bytes(t);
		lb_conn_table_free(t);
	}
	printf("fill %u connections (cap %u): %.0f ms (%.1f ns per insert), table %.0f MiB\n", FILL,
		FILL_CAP, bench_median(v, FILL_RUNS), bench_median(v, FILL_RUNS) * 1e6 / FILL,
		mem / (1 << 20));
}

int
main(void)
{
	struct lb_conn_table *t;

	printf("memory per connection: %.2f bytes (entry %zu + 12/32 of a %zu-byte bucket "
	       "and its overflow byte + expiry hint and live bit; limit 128)\n",
		LB_CONN_BYTES_PER_CONN_X32 / 32.0, sizeof(struct lb_conn),
		sizeof(struct lb_conn_bucket));
	if (lb_conn_table_create(BIG_CAP, SEED, &t) == 0) {
		printf("measured: %zu bytes for capacity %u = %.2f bytes per connection\n",
			lb_conn_mem_bytes(t), BIG_CAP, (double)lb_conn_mem_bytes(t) / BIG_CAP);
		lb_conn_table_free(t);
	}
	seq_keys = malloc(sizeof(*seq_keys) * LOOKUPS);
	seq_hash = malloc(sizeof(*seq_hash) * LOOKUPS);
	if (seq_keys == NULL || seq_hash == NULL)
		return 1;
	bench_lookups("hot", 64, 96);
	bench_lookups("big", BIG, BIG_CAP);
	bench_fill();
	free(seq_keys);
	free(seq_hash);
	return 0;
}
