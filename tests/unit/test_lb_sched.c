/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for lib/lb: every scheduler's distribution against its
 * weights, eligibility (down, disabled, draining and weight 0 are never
 * picked; nothing eligible gives -1), least_conn and wlc against a
 * brute-force reference, the per-worker counts summed across workers,
 * and Maglev: a prime table of >= 65537 entries, all filled, shares by
 * weight, determinism and the disruption bound.
 *
 * Tolerances.  rr and wrr are exact: every cycle holds each backend
 * exactly (weight / gcd) times.  Maglev's table is exact to within
 * MAGLEV_SLACK entries per backend (turns are apportioned by the
 * Sainte-Lague divisors, which stay within one seat of the quota in
 * practice; two is the bound checked).  For hashing over HASHES keys a
 * backend with share p expects HASHES * p keys with a binomial standard
 * deviation of sqrt(HASHES * p * (1 - p)); a count further than
 * SIGMAS deviations from it is a bias, not chance (the keys are fixed,
 * so the test is deterministic anyway; 6 sigma is at most 0.3% of the keys
 * for any share, i.e. well within the "few %" asked for).
 *
 * Random sets come from a fixed-seed xorshift, the same on every host.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lb_sched.h"
#include "ut.h"

#define HASHES 1000000u
#define SIGMAS 6.0
#define MAGLEV_SLACK 2
/*
 * Maglev disruption: removing one backend whose weight share is s (1/N
 * for N equal backends) may change at most s + DISRUPT_MARGIN of the
 * table, and at most DISRUPT_MARGIN of the table may move from one
 * surviving backend to another; the same for adding one back or adding a
 * new one.  Measured here: under 1% (the run prints its worst case); the
 * margin checked is 2% of the table.
 */
#define DISRUPT_MARGIN 0.02
#define DISRUPT_SETS 6

static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static uint64_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static uint32_t
rng_below(uint32_t n)
{
	return (uint32_t)(rng() % n);
}

static struct lb_sched *
build(enum lb_sched_kind kind, const struct lb_backend *b, unsigned int n)
{
	struct lb_sched *s = NULL;
	int ret = lb_sched_build(kind, b, n, &s);

	UT_CHECK_MSG(ret == 0 && s != NULL, "build %s n=%u: %d", lb_sched_kind_name(kind), n, ret);
	return s;
}

static void
backend_set(struct lb_backend *b, uint32_t i, uint32_t weight, uint8_t state)
{
	uint8_t id[6] = {10, 0, (uint8_t)(i >> 8), (uint8_t)i, 0x11, 0x5b}; /* 10.0.x.y:4443 */

	b->key = lb_backend_key(id, sizeof(id));
	b->weight = weight;
	b->state = state;
}

static bool
is_prime(uint32_t v)
{
	uint32_t d;

	if (v < 2)
		return false;
	for (d = 2; (uint64_t)d * d <= v; d++)
		if (v % d == 0)
			return false;
	return true;
}

static uint32_t
gcd(uint32_t a, uint32_t b)
{
	while (b != 0) {
		uint32_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

static double
absd(double v)
{
	return v < 0 ? -v : v;
}

/* Is count within SIGMAS binomial deviations of trials * p (squared: no libm). */
static bool
within_sigmas(uint32_t count, uint32_t trials, double p)
{
	double dev = absd(count - trials * p) - 1.0;

	return dev <= 0 || dev * dev <= SIGMAS * SIGMAS * trials * p * (1.0 - p);
}

static void
test_build_errors(void)
{
	struct lb_backend b[2];
	struct lb_sched *s = NULL;
	uint32_t size = 0;

	backend_set(&b[0], 0, 1, LB_BACKEND_UP);
	backend_set(&b[1], 1, 1, LB_BACKEND_UP);
	UT_CHECK(lb_sched_build(LB_SCHED_RR, b, 2, NULL) == -EINVAL);
	UT_CHECK(lb_sched_build(LB_SCHED_KIND_MAX, b, 2, &s) == -EINVAL);
	UT_CHECK(lb_sched_build(LB_SCHED_RR, NULL, 2, &s) == -EINVAL);
	UT_CHECK(lb_sched_build(LB_SCHED_RR, b, LB_BACKENDS_MAX + 1, &s) == -EINVAL);
	b[1].weight = LB_WEIGHT_MAX + 1;
	UT_CHECK(lb_sched_build(LB_SCHED_WRR, b, 2, &s) == -EINVAL);
	b[1].weight = LB_WEIGHT_MAX;
	b[1].state = LB_BACKEND_STATE_MAX;
	UT_CHECK(lb_sched_build(LB_SCHED_WRR, b, 2, &s) == -EINVAL);
	b[1].state = LB_BACKEND_UP;
	UT_CHECK(s == NULL);

	UT_CHECK(lb_sched_build_maglev(b, 2, 65536, &s) == -EINVAL);	/* not prime */
	UT_CHECK(lb_sched_build_maglev(b, 2, 65521, &s) == -EINVAL);	/* prime, too small */
	UT_CHECK(lb_sched_build_maglev(b, 2, 16777259, &s) == -EINVAL); /* prime, too large */
	UT_CHECK(lb_sched_build_maglev(b, 2, 65539, &s) == 0 && s != NULL);
	if (s != NULL) {
		UT_CHECK(lb_sched_maglev_table(s, &size) != NULL && size == 65539);
		lb_sched_free(s);
	}
	s = build(LB_SCHED_RR, b, 2);
	if (s != NULL) {
		UT_CHECK(lb_sched_maglev_table(s, &size) == NULL);
		lb_sched_free(s);
	}
	lb_sched_free(NULL);

	UT_CHECK(strcmp(lb_sched_kind_name(LB_SCHED_RR), "rr") == 0);
	UT_CHECK(strcmp(lb_sched_kind_name(LB_SCHED_WLC), "wlc") == 0);
	UT_CHECK(strcmp(lb_sched_kind_name(LB_SCHED_MAGLEV), "maglev") == 0);
	UT_CHECK(strcmp(lb_sched_kind_name(LB_SCHED_KIND_MAX), "?") == 0);
	UT_CHECK(lb_backend_key("abc", 3) == lb_backend_key("abc", 3));
	UT_CHECK(lb_backend_key("abc", 3) != lb_backend_key("abd", 3));
}

/*
 * Every kind: a mix of states never picks an ineligible backend, and the
 * eligible ones all get picked; nothing eligible (or no backend) gives -1.
 */
static void
test_eligibility(void)
{
	static const uint8_t states[] = {LB_BACKEND_DOWN, LB_BACKEND_UP, LB_BACKEND_DISABLED,
		LB_BACKEND_UP, LB_BACKEND_DRAINING, LB_BACKEND_UP, LB_BACKEND_UP};
	enum { N = sizeof(states) };
	struct lb_backend b[N];
	unsigned int kind, i, k;

	for (i = 0; i < N; i++)
		backend_set(&b[i], i, 1 + i, states[i]);
	b[6].weight = 0; /* up, but weight 0 */

	for (kind = 0; kind < LB_SCHED_KIND_MAX; kind++) {
		struct lb_conns *conns = lb_conns_create(N, 0);
		unsigned int bad = 0, seen[N] = {0};
		struct lb_pick_ctx ctx;
		struct lb_sched *s;

		lb_pick_ctx_init(&ctx, 3, conns);
		s = build((enum lb_sched_kind)kind, b, N);
		if (s == NULL || conns == NULL)
			return;
		for (i = 0; i < N; i++)
			UT_CHECK(lb_sched_eligible(s, i) == lb_backend_eligible(&b[i]));
		UT_CHECK(!lb_sched_eligible(s, N) && !lb_sched_eligible(s, 0xffffffffu));
		for (k = 0; k < 30000; k++) {
			int id = lb_sched_pick(s, &ctx, (uint32_t)rng());

			if (id < 0 || id >= N || !lb_backend_eligible(&b[id])) {
				bad++;
				continue;
			}
			seen[id]++;
			lb_conns_open(conns, (uint32_t)id);
		}
		UT_CHECK_MSG(bad == 0, "%s: %u ineligible picks", lb_sched_kind_name(kind), bad);
		UT_CHECK_MSG(seen[1] > 0 && seen[3] > 0 && seen[5] > 0, "%s: %u %u %u",
			lb_sched_kind_name(kind), seen[1], seen[3], seen[5]);
		lb_sched_free(s);

		/* Nothing eligible. */
		for (i = 0; i < N; i++)
			b[i].state = states[i] == LB_BACKEND_UP ? LB_BACKEND_DRAINING : states[i];
		s = build((enum lb_sched_kind)kind, b, N);
		if (s != NULL) {
			for (k = 0, bad = 0; k < 1000; k++)
				bad += lb_sched_pick(s, &ctx, (uint32_t)rng()) != -1;
			UT_CHECK_MSG(bad == 0, "%s: picked with none eligible",
				lb_sched_kind_name(kind));
			lb_sched_free(s);
		}
		for (i = 0; i < N; i++)
			b[i].state = states[i];

		/* No backends at all. */
		s = build((enum lb_sched_kind)kind, NULL, 0);
		if (s != NULL) {
			UT_CHECK(lb_sched_pick(s, &ctx, 1) == -1);
			lb_sched_free(s);
		}
		lb_conns_free(conns);
	}
}

static void
test_rr(void)
{
	struct lb_backend b[5];
	struct lb_pick_ctx c0, c1;
	struct lb_sched *s;
	unsigned int i, bad = 0;
	int prev, id;

	for (i = 0; i < 5; i++)
		backend_set(&b[i], i, 1 + 7 * i, LB_BACKEND_UP); /* weights: ignored */
	b[1].state = LB_BACKEND_DOWN;
	b[3].state = LB_BACKEND_DISABLED;
	s = build(LB_SCHED_RR, b, 5);
	if (s == NULL)
		return;
	lb_pick_ctx_init(&c0, 0, NULL);
	lb_pick_ctx_init(&c1, 1, NULL);
	/* The eligible ids 0, 2, 4 in order, round and round; c1 is independent. */
	prev = lb_sched_pick(s, &c0, 0);
	for (i = 0; i < 3000; i++) {
		id = lb_sched_pick(s, &c0, 0);
		bad += id != (prev == 4 ? 0 : prev + 2);
		prev = id;
		if (i % 7 == 0)
			(void)lb_sched_pick(s, &c1, 0);
	}
	UT_CHECK_MSG(bad == 0, "%u out-of-order rr picks", bad);
	lb_sched_free(s);

	/* A smaller set under the same ctx: wraps, stays in range. */
	s = build(LB_SCHED_RR, b, 1);
	if (s != NULL) {
		for (i = 0, bad = 0; i < 10; i++)
			bad += lb_sched_pick(s, &c0, 0) != 0;
		UT_CHECK(bad == 0);
		lb_sched_free(s);
	}
}

/* Picks a wrr over one or more whole cycles; checks exact counts and the gaps. */
static void
check_wrr(const struct lb_backend *b, unsigned int n, uint32_t seed, unsigned int cycles,
	double *worst_gap)
{
	uint32_t *count = calloc(n, sizeof(*count));
	uint64_t *last = calloc(n, sizeof(*last));
	uint64_t *gap = calloc(n, sizeof(*gap));
	uint32_t g = 0, w_total = 0, bad = 0;
	struct lb_pick_ctx ctx;
	struct lb_sched *s;
	uint64_t k, picks;
	unsigned int i;

	s = build(LB_SCHED_WRR, b, n);
	if (s == NULL || count == NULL || last == NULL || gap == NULL)
		goto out;
	for (i = 0; i < n; i++)
		if (lb_backend_eligible(&b[i]))
			g = gcd(b[i].weight, g);
	for (i = 0; i < n; i++)
		if (lb_backend_eligible(&b[i]))
			w_total += b[i].weight / g;
	lb_pick_ctx_init(&ctx, seed, NULL);
	picks = (uint64_t)w_total * cycles;
	for (k = 0; k < picks; k++) {
		int id = lb_sched_pick(s, &ctx, 0);

		if (id < 0 || (unsigned int)id >= n || !lb_backend_eligible(&b[id])) {
			bad++;
			continue;
		}
		count[id]++;
		if (count[id] > 1 && k - last[id] > gap[id])
			gap[id] = k - last[id];
		last[id] = k;
	}
	UT_CHECK_MSG(bad == 0, "wrr: %u bad picks", bad);
	for (i = 0, bad = 0; i < n; i++) {
		uint32_t want = lb_backend_eligible(&b[i]) ? b[i].weight / g * cycles : 0;
		double ideal;

		if (count[i] != want) {
			bad++;
			continue;
		}
		if (want == 0)
			continue;
		/* Largest gap between two picks of i against the even spacing W / w. */
		ideal = (double)w_total / (b[i].weight / g);
		if (gap[i] / ideal > *worst_gap)
			*worst_gap = gap[i] / ideal;
	}
	UT_CHECK_MSG(bad == 0, "wrr n=%u: %u backends off their exact count per cycle", n, bad);
out:
	lb_sched_free(s);
	free(count);
	free(last);
	free(gap);
}

static void
test_wrr(void)
{
	struct lb_backend b[256];
	struct lb_pick_ctx ctx;
	double worst_gap = 0;
	struct lb_sched *s;
	unsigned int i, set, bad = 0;
	int seq[4004];

	/* 3:1 -- every window of 4 consecutive picks holds exactly 3 A and 1 B. */
	backend_set(&b[0], 0, 3, LB_BACKEND_UP);
	backend_set(&b[1], 1, 1, LB_BACKEND_UP);
	s = build(LB_SCHED_WRR, b, 2);
	if (s == NULL)
		return;
	lb_pick_ctx_init(&ctx, 12345, NULL);
	for (i = 0; i < 4004; i++)
		seq[i] = lb_sched_pick(s, &ctx, 0);
	for (i = 0; i + 4 <= 4004; i++) {
		unsigned int a =
			(seq[i] == 0) + (seq[i + 1] == 0) + (seq[i + 2] == 0) + (seq[i + 3] == 0);

		bad += a != 3 || seq[i] < 0 || seq[i + 1] < 0 || seq[i + 2] < 0 || seq[i + 3] < 0;
	}
	UT_CHECK_MSG(bad == 0, "wrr 3:1: %u windows of 4 not 3 A + 1 B", bad);
	lb_sched_free(s);

	/* 300:100 reduces to 3:1: the same exact windows. */
	b[0].weight = 300;
	b[1].weight = 100;
	check_wrr(b, 2, 7, 100, &worst_gap);

	/* Random sets, some backends ineligible; two whole cycles each. */
	for (set = 0; set < 40; set++) {
		unsigned int n = 2 + rng_below(63);

		for (i = 0; i < n; i++) {
			uint32_t w = 1 + rng_below(set < 20 ? 10 : 1000);

			backend_set(
				&b[i], i, w, rng_below(5) == 0 ? LB_BACKEND_DOWN : LB_BACKEND_UP);
		}
		b[rng_below(n)].state = LB_BACKEND_UP;
		check_wrr(b, n, set, 2, &worst_gap);
	}
	/* 256 backends with weights over the whole range: one cycle of up to 16.7M picks. */
	for (i = 0; i < 256; i++)
		backend_set(&b[i], i, 1 + rng_below(LB_WEIGHT_MAX), LB_BACKEND_UP);
	b[5].state = LB_BACKEND_DRAINING;
	check_wrr(b, 256, 99, 1, &worst_gap);
	/*
	 * Smoothness: no backend waits much longer than its even spacing
	 * W / w.  The golden-ratio walk returns to an interval of share l at
	 * most ~phi^2 / l steps apart (three-gap theorem), phi^2 = 2.62; 3x
	 * the even spacing is the bound checked.
	 */
	printf("wrr: worst gap between picks of one backend: %.2fx its even spacing\n", worst_gap);
	UT_CHECK_MSG(worst_gap <= 3.0, "wrr worst gap %.2fx even spacing", worst_gap);
}

/* The reference least_conn / wlc choice: a scan in the worker's tie-break rotation. */
static int
ref_best(enum lb_sched_kind kind, const struct lb_backend *b, unsigned int n, unsigned int cap,
	uint32_t seed, const uint32_t *est)
{
	unsigned int nn = n < cap ? n : cap, k;
	int best = -1;

	for (k = 0; k < nn; k++) {
		unsigned int id = (k + seed % nn) % nn;

		if (!lb_backend_eligible(&b[id]))
			continue;
		if (best < 0) {
			best = (int)id;
		} else if (kind == LB_SCHED_LEAST_CONN) {
			if (est[id] < est[best])
				best = (int)id;
		} else {
			uint64_t l = (uint64_t)est[id] * b[best].weight;
			uint64_t r = (uint64_t)est[best] * b[id].weight;

			if (l < r || (l == r && b[id].weight > b[best].weight))
				best = (int)id;
		}
	}
	return best;
}

/* Random opens, closes, snapshots and rebuilds; every pick against the reference. */
static void
check_conns_random(enum lb_sched_kind kind)
{
	enum { CAP = 48, OPS = 40000 };
	uint32_t own[CAP] = {0}, others[CAP] = {0}, est[CAP];
	struct lb_backend b[CAP];
	struct lb_conns *conns;
	struct lb_pick_ctx ctx;
	struct lb_sched *s = NULL;
	unsigned int n = 0, op, i, bad = 0, picks = 0;
	uint32_t seed = 5;

	conns = lb_conns_create(CAP - 8, seed); /* ids CAP-8.. are beyond its capacity */
	if (conns == NULL) {
		UT_CHECK(conns != NULL);
		return;
	}
	lb_pick_ctx_init(&ctx, seed, conns);
	for (op = 0; op < OPS; op++) {
		uint32_t r = rng_below(100);
		int got, want;

		if (s == NULL || r < 2) {
			/* A new scheduler: states, weights and n change. */
			lb_sched_free(s);
			n = 1 + rng_below(CAP);
			for (i = 0; i < n; i++) {
				uint32_t w = 1 + rng_below(op % 3 == 0 ? 4 : 100);
				uint8_t st = LB_BACKEND_UP;

				if (rng_below(4) == 0)
					st = (uint8_t)(1 +
						rng_below(3)); /* down, disabled, draining */
				backend_set(&b[i], i, w, st);
			}
			s = build(kind, b, n);
			if (s == NULL)
				break;
		} else if (r < 4) {
			for (i = 0; i < CAP; i++)
				others[i] = rng_below(op % 2 ? 5 : 50);
			lb_conns_set_others(conns, others, CAP);
		} else if (r < 50) {
			i = rng_below(CAP);
			lb_conns_open(conns, i);
			own[i] += i < CAP - 8;
		} else if (r < 80) {
			i = rng_below(CAP);
			lb_conns_close(conns, i);
			own[i] -= own[i] > 0; /* a close below zero is ignored */
		} else {
			for (i = 0; i < CAP; i++)
				est[i] = others[i] * (i < CAP - 8) + own[i];
			got = lb_sched_pick(s, &ctx, 0);
			want = ref_best(kind, b, n, CAP - 8, seed, est);
			bad += got != want;
			picks++;
			/* A pick followed by its connection, as in the dataplane. */
			if (got >= 0 && rng_below(2) == 0) {
				lb_conns_open(conns, (uint32_t)got);
				own[got]++;
			}
		}
	}
	for (i = 0; i < CAP; i++)
		bad += lb_conns_own(conns, i) != own[i];
	UT_CHECK_MSG(bad == 0 && picks > 1000, "%s: %u of %u picks differ from the reference",
		lb_sched_kind_name(kind), bad, picks);
	lb_sched_free(s);
	lb_conns_free(conns);
}

static void
test_least_conn(void)
{
	static const uint32_t others[4] = {5, 2, 7, 2};
	struct lb_conns *c0 = lb_conns_create(8, 0), *c2 = lb_conns_create(8, 2);
	struct lb_pick_ctx x0, x2;
	struct lb_backend b[4];
	struct lb_sched *s;
	unsigned int i, k, bad;
	uint32_t cnt[4] = {0};

	if (c0 == NULL || c2 == NULL)
		goto out;
	UT_CHECK(lb_conns_create(0, 0) == NULL && lb_conns_create(LB_BACKENDS_MAX + 1, 0) == NULL);
	for (i = 0; i < 4; i++)
		backend_set(&b[i], i, 1, LB_BACKEND_UP);
	s = build(LB_SCHED_LEAST_CONN, b, 4);
	if (s == NULL)
		goto out;
	lb_pick_ctx_init(&x0, 0, c0);
	lb_pick_ctx_init(&x2, 2, c2);
	lb_conns_set_others(c0, others, 4);
	lb_conns_set_others(c2, others, 4);
	/* Minimum 2 at ids 1 and 3: the rotation from 0 meets 1 first, from 2 meets 3. */
	UT_CHECK(lb_sched_pick(s, &x0, 0) == 1);
	UT_CHECK(lb_sched_pick(s, &x2, 0) == 3);
	lb_conns_open(c0, 1);
	UT_CHECK(lb_sched_pick(s, &x0, 0) == 3);
	lb_conns_open(c0, 3);
	lb_conns_open(c0, 3);
	UT_CHECK(lb_sched_pick(s, &x0, 0) == 1); /* 3 < 4 */
	lb_conns_close(c0, 3);
	lb_conns_close(c0, 3);
	lb_conns_close(c0, 3); /* below zero: ignored */
	UT_CHECK(lb_conns_own(c0, 3) == 0 && lb_conns_own(c0, 1) == 1);
	UT_CHECK(lb_sched_pick(s, &x0, 0) == 3);
	lb_sched_free(s);

	/* From zero, pick-and-open keeps the counts within one of each other. */
	lb_conns_free(c0);
	c0 = lb_conns_create(8, 0);
	s = build(LB_SCHED_LEAST_CONN, b, 4);
	if (c0 == NULL || s == NULL)
		goto out;
	lb_pick_ctx_init(&x0, 0, c0);
	for (k = 0, bad = 0; k < 1001; k++) {
		int id = lb_sched_pick(s, &x0, 0);

		if (id < 0)
			break;
		lb_conns_open(c0, (uint32_t)id);
		cnt[id]++;
		for (i = 0; i < 4; i++)
			bad += cnt[i] + 1 < cnt[id];
	}
	UT_CHECK_MSG(bad == 0 && cnt[0] == 251 && cnt[3] == 250, "%u %u %u %u", cnt[0], cnt[1],
		cnt[2], cnt[3]);
	lb_sched_free(s);

	/* wlc 3:1 from zero: opens split 3:1. */
	lb_conns_free(c0);
	c0 = lb_conns_create(8, 0);
	b[0].weight = 3;
	b[2].state = LB_BACKEND_DOWN;
	b[3].state = LB_BACKEND_DRAINING;
	s = build(LB_SCHED_WLC, b, 4);
	if (c0 == NULL || s == NULL)
		goto out;
	lb_pick_ctx_init(&x0, 1, c0);
	UT_CHECK(lb_sched_pick(s, &x0, 0) == 0); /* 0/3 vs 0/1: the higher weight */
	memset(cnt, 0, sizeof(cnt));
	for (k = 0; k < 400; k++) {
		int id = lb_sched_pick(s, &x0, 0);

		if (id < 0)
			break;
		lb_conns_open(c0, (uint32_t)id);
		cnt[id]++;
	}
	UT_CHECK_MSG(cnt[0] == 300 && cnt[1] == 100 && cnt[2] == 0 && cnt[3] == 0, "%u %u %u %u",
		cnt[0], cnt[1], cnt[2], cnt[3]);
	lb_sched_free(s);

	check_conns_random(LB_SCHED_LEAST_CONN);
	check_conns_random(LB_SCHED_WLC);
out:
	lb_conns_free(c0);
	lb_conns_free(c2);
}

/*
 * Two workers: what one opens reaches the other through the main lcore's
 * snapshot (lb_conns_sum() then lb_conns_set_others()).
 */
static void
test_conns_workers(void)
{
	enum { N = 3, W = 2 };
	struct lb_conns *w[W] = {lb_conns_create(N, 0), lb_conns_create(N, 1)};
	uint32_t total[N], others[W * N];
	struct lb_pick_ctx ctx[W];
	struct lb_backend b[N];
	struct lb_sched *s;
	unsigned int i;

	if (w[0] == NULL || w[1] == NULL)
		goto out;
	for (i = 0; i < N; i++)
		backend_set(&b[i], i, 1, LB_BACKEND_UP);
	s = build(LB_SCHED_LEAST_CONN, b, N);
	if (s == NULL)
		goto out;
	lb_pick_ctx_init(&ctx[0], 0, w[0]);
	lb_pick_ctx_init(&ctx[1], 1, w[1]);
	for (i = 0; i < 10; i++)
		lb_conns_open(w[0], 1);
	for (i = 0; i < 4; i++)
		lb_conns_open(w[1], 2);
	lb_conns_open(w[1], 0);
	/* Before the snapshot worker 1 does not know about worker 0's ten. */
	UT_CHECK(lb_sched_pick(s, &ctx[1], 0) == 1);
	lb_conns_sum((const struct lb_conns *const *)w, W, N, total, others);
	UT_CHECK(total[0] == 1 && total[1] == 10 && total[2] == 4);
	UT_CHECK(others[0 * N + 0] == 1 && others[0 * N + 1] == 0 && others[0 * N + 2] == 4);
	UT_CHECK(others[1 * N + 0] == 0 && others[1 * N + 1] == 10 && others[1 * N + 2] == 0);
	lb_conns_set_others(w[0], &others[0 * N], N);
	lb_conns_set_others(w[1], &others[1 * N], N);
	/* Estimates now 1, 10, 4 on both workers. */
	UT_CHECK(lb_sched_pick(s, &ctx[0], 0) == 0);
	UT_CHECK(lb_sched_pick(s, &ctx[1], 0) == 0);
	lb_conns_open(w[1], 0);
	lb_conns_open(w[1], 0);
	lb_conns_open(w[1], 0);
	UT_CHECK(lb_sched_pick(s, &ctx[1], 0) == 2); /* 4, 10, 4: tie, rotation from 1 */
	UT_CHECK(lb_sched_pick(s, &ctx[0], 0) == 0); /* still 1 until the next snapshot */
	lb_sched_free(s);
out:
	lb_conns_free(w[0]);
	lb_conns_free(w[1]);
}

/* Distribution of HASHES consecutive keys (the library mixes them) against weight shares. */
static void
check_hash_shares(
	const struct lb_sched *s, const struct lb_backend *b, unsigned int n, const char *what)
{
	uint32_t *count = calloc(n, sizeof(*count));
	struct lb_pick_ctx ctx;
	uint64_t w_total = 0;
	unsigned int i, bad = 0;
	uint32_t h;

	if (count == NULL)
		return;
	lb_pick_ctx_init(&ctx, 0, NULL);
	for (i = 0; i < n; i++)
		if (lb_backend_eligible(&b[i]))
			w_total += b[i].weight;
	for (h = 0; h < HASHES; h++) {
		int id = lb_sched_pick(s, &ctx, h);

		if (id < 0 || (unsigned int)id >= n)
			bad++;
		else
			count[id]++;
	}
	for (i = 0; i < n; i++) {
		double p = lb_backend_eligible(&b[i]) ? (double)b[i].weight / w_total : 0;

		if (!within_sigmas(count[i], HASHES, p)) {
			bad++;
			fprintf(stderr, "%s: backend %u: %u of %u, expected %.0f\n", what, i,
				count[i], HASHES, HASHES * p);
		}
	}
	UT_CHECK_MSG(bad == 0, "%s: %u backends off their share", what, bad);
	free(count);
}

static void
test_source_hash(void)
{
	struct lb_backend b[64];
	struct lb_pick_ctx c0, c1;
	struct lb_sched *s, *s2;
	unsigned int i, bad = 0;

	for (i = 0; i < 6; i++)
		backend_set(&b[i], i, i + 1, LB_BACKEND_UP);
	b[4].state = LB_BACKEND_DISABLED;
	s = build(LB_SCHED_SOURCE_HASH, b, 6);
	s2 = build(LB_SCHED_SOURCE_HASH, b, 6);
	if (s == NULL || s2 == NULL)
		goto out;
	check_hash_shares(s, b, 6, "source_hash 1:2:3:4:-:6");
	/* Stable: the same hash, the same backend, whatever the ctx or the build. */
	lb_pick_ctx_init(&c0, 0, NULL);
	lb_pick_ctx_init(&c1, 77, NULL);
	for (i = 0; i < 100000; i++) {
		uint32_t h = (uint32_t)rng();
		int id = lb_sched_pick(s, &c0, h);

		bad += id != lb_sched_pick(s, &c1, h) || id != lb_sched_pick(s2, &c0, h);
	}
	UT_CHECK_MSG(bad == 0, "source_hash: %u unstable picks", bad);
	lb_sched_free(s);
	lb_sched_free(s2);
	s2 = NULL;

	/* 64 backends, weights 1..100. */
	for (i = 0; i < 64; i++)
		backend_set(&b[i], i, 1 + rng_below(100), LB_BACKEND_UP);
	s = build(LB_SCHED_SOURCE_HASH, b, 64);
	if (s != NULL)
		check_hash_shares(s, b, 64, "source_hash 64");
out:
	lb_sched_free(s);
	lb_sched_free(s2);
}

/* Maglev table checks: prime size, every slot an eligible id, shares by weight. */
static void
check_maglev_table(const struct lb_sched *s, const struct lb_backend *b, unsigned int n)
{
	uint32_t m = 0, *count = calloc(n, sizeof(*count));
	const uint16_t *t = lb_sched_maglev_table(s, &m);
	uint64_t w_total = 0;
	unsigned int i, bad = 0;

	if (count == NULL || t == NULL) {
		UT_CHECK(t != NULL);
		free(count);
		return;
	}
	UT_CHECK_MSG(m >= 65537 && is_prime(m), "table size %u", m);
	for (i = 0; i < m; i++) {
		if (t[i] >= n || !lb_backend_eligible(&b[t[i]]))
			bad++;
		else
			count[t[i]]++;
	}
	UT_CHECK_MSG(bad == 0, "maglev: %u slots empty or ineligible", bad);
	for (i = 0; i < n; i++)
		if (lb_backend_eligible(&b[i]))
			w_total += b[i].weight;
	for (i = 0, bad = 0; i < n; i++) {
		double want = lb_backend_eligible(&b[i]) ? (double)m * b[i].weight / w_total : 0;

		if (absd(count[i] - want) > MAGLEV_SLACK) {
			bad++;
			fprintf(stderr, "maglev: backend %u (weight %u): %u slots, quota %.1f\n", i,
				b[i].weight, count[i], want);
		}
	}
	UT_CHECK_MSG(bad == 0, "maglev n=%u: %u backends off their quota by more than %d", n, bad,
		MAGLEV_SLACK);
	free(count);
}

/* Slots that changed, and those that moved from one backend surviving in both to another. */
static void
table_diff(const uint16_t *a, const uint16_t *b, uint32_t m, const struct lb_backend *ba,
	const struct lb_backend *bb, double *changed, double *moved)
{
	uint32_t i, c = 0, mv = 0;

	for (i = 0; i < m; i++) {
		if (a[i] == b[i])
			continue;
		c++;
		/* a[i] still eligible in b's set and b[i] was already eligible in a's. */
		if (lb_backend_eligible(&bb[a[i]]) && lb_backend_eligible(&ba[b[i]]))
			mv++;
	}
	*changed = (double)c / m;
	*moved = (double)mv / m;
}

static void
test_maglev_disruption(void)
{
	struct lb_backend b0[66], b1[66];
	double worst_excess = -1, worst_moved = 0;
	unsigned int n, set, i, bad = 0;

	for (n = 2; n <= 64; n++) {
		for (set = 0; set < DISRUPT_SETS; set++) {
			unsigned int victim = rng_below(n);
			bool weighted = set % 2 == 1;
			struct lb_sched *s0, *s1, *s2, *s3;
			double changed, moved, share, excess;
			uint64_t w_total = 0;
			uint32_t m;

			for (i = 0; i < n + 1; i++) {
				uint32_t w = weighted ? 1 + rng_below(8) : 1;

				backend_set(&b0[i], i, w, i < n ? LB_BACKEND_UP : LB_BACKEND_DOWN);
				b0[i].key = rng(); /* random keys: a fresh server set each time */
				if (i < n)
					w_total += b0[i].weight;
			}
			memcpy(b1, b0, sizeof(b0));
			b1[victim].state = LB_BACKEND_DOWN;
			s0 = build(LB_SCHED_MAGLEV, b0, n + 1);
			s1 = build(LB_SCHED_MAGLEV, b1, n + 1);
			if (s0 == NULL || s1 == NULL) {
				lb_sched_free(s0);
				lb_sched_free(s1);
				return;
			}
			m = s0->table_size;
			if (set == 0)
				check_maglev_table(s1, b1, n + 1);

			/* Remove one: its share moves, little else. */
			table_diff(s0->table, s1->table, m, b0, b1, &changed, &moved);
			share = (double)b0[victim].weight / w_total;
			excess = changed - share;
			if (excess > worst_excess)
				worst_excess = excess;
			if (moved > worst_moved)
				worst_moved = moved;
			if (excess > DISRUPT_MARGIN || moved > DISRUPT_MARGIN) {
				bad++;
				fprintf(stderr,
					"maglev remove 1 of %u: %.4f changed (share %.4f), %.4f "
					"moved\n",
					n, changed, share, moved);
			}
			/* Add it back: from s1 the same bound, and exactly the s0 table again. */
			s2 = build(LB_SCHED_MAGLEV, b0, n + 1);
			if (s2 != NULL) {
				table_diff(s1->table, s2->table, m, b1, b0, &changed, &moved);
				bad += changed - share > DISRUPT_MARGIN || moved > DISRUPT_MARGIN;
				bad += memcmp(s0->table, s2->table, m * sizeof(*s0->table)) != 0;
				lb_sched_free(s2);
			}
			/* Add a new one (id n): it takes about 1/(N+1), little else moves. */
			b1[victim].state = LB_BACKEND_UP;
			b1[n].state = LB_BACKEND_UP;
			s3 = build(LB_SCHED_MAGLEV, b1, n + 1);
			if (s3 != NULL) {
				share = (double)b1[n].weight / (w_total + b1[n].weight);
				table_diff(s0->table, s3->table, m, b0, b1, &changed, &moved);
				if (changed - share > worst_excess)
					worst_excess = changed - share;
				if (moved > worst_moved)
					worst_moved = moved;
				bad += changed - share > DISRUPT_MARGIN || moved > DISRUPT_MARGIN;
				lb_sched_free(s3);
			}
			lb_sched_free(s0);
			lb_sched_free(s1);
		}
	}
	printf("maglev disruption, N=2..64, %u sets each: worst changed - share %.4f, "
	       "worst moved between survivors %.4f (margin %.2f)\n",
		DISRUPT_SETS, worst_excess, worst_moved, DISRUPT_MARGIN);
	UT_CHECK_MSG(bad == 0, "maglev: %u removals/additions beyond the disruption bound", bad);
}

static void
test_maglev(void)
{
	struct lb_backend b[256];
	struct lb_sched *s, *s2;
	uint32_t m;
	unsigned int i;

	/* Equal weights, some ineligible. */
	for (i = 0; i < 16; i++)
		backend_set(&b[i], i, 1, i % 5 == 4 ? LB_BACKEND_DRAINING : LB_BACKEND_UP);
	s = build(LB_SCHED_MAGLEV, b, 16);
	s2 = build(LB_SCHED_MAGLEV, b, 16);
	if (s == NULL || s2 == NULL)
		goto out;
	UT_CHECK(s->table_size == LB_MAGLEV_SIZE_DEFAULT);
	check_maglev_table(s, b, 16);
	check_hash_shares(s, b, 16, "maglev 16 equal");
	/* Deterministic: two builds, one table. */
	UT_CHECK(memcmp(s->table, s2->table, s->table_size * sizeof(*s->table)) == 0);
	lb_sched_free(s);
	lb_sched_free(s2);
	s2 = NULL;

	/* Weights 1..10 over 50 backends, 1..1000 over 256, 1..65535 over 64. */
	for (i = 0; i < 50; i++)
		backend_set(&b[i], i, 1 + rng_below(10), LB_BACKEND_UP);
	b[7].state = LB_BACKEND_DOWN;
	s = build(LB_SCHED_MAGLEV, b, 50);
	if (s == NULL)
		goto out;
	check_maglev_table(s, b, 50);
	check_hash_shares(s, b, 50, "maglev 50 weighted");
	lb_sched_free(s);
	for (i = 0; i < 256; i++)
		backend_set(&b[i], i, 1 + rng_below(1000), LB_BACKEND_UP);
	s = build(LB_SCHED_MAGLEV, b, 256);
	if (s == NULL)
		goto out;
	check_maglev_table(s, b, 256);
	lb_sched_free(s);
	for (i = 0; i < 64; i++)
		backend_set(&b[i], i, 1 + rng_below(LB_WEIGHT_MAX), LB_BACKEND_UP);
	b[0].weight = 1;
	b[1].weight = LB_WEIGHT_MAX;
	s = build(LB_SCHED_MAGLEV, b, 64);
	if (s == NULL)
		goto out;
	check_maglev_table(s, b, 64);
	lb_sched_free(s);
	for (i = 0; i < 256; i++)
		backend_set(&b[i], i, 1 + rng_below(1000), LB_BACKEND_UP);

	/* A larger prime table. */
	s = NULL;
	UT_CHECK(lb_sched_build_maglev(b, 256, 655373, &s) == 0);
	if (s != NULL) {
		check_maglev_table(s, b, 256);
		lb_sched_free(s);
	}

	/* Nothing eligible: no slot filled, every pick -1. */
	for (i = 0; i < 4; i++)
		backend_set(&b[i], i, 1, LB_BACKEND_DISABLED);
	s = build(LB_SCHED_MAGLEV, b, 4);
	if (s == NULL)
		goto out;
	m = s->table_size;
	for (i = 0; i < m; i++)
		if (s->table[i] != 0xffff)
			break;
	UT_CHECK(i == m);
out:
	lb_sched_free(s);
	lb_sched_free(s2);
	test_maglev_disruption();
}

int
main(void)
{
	test_build_errors();
	test_eligibility();
	test_rr();
	test_wrr();
	test_least_conn();
	test_conns_workers();
	test_source_hash();
	test_maglev();
	return ut_summary("lb_sched");
}
