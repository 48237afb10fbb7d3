/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Scheduler build (main lcore) and pick (workers).  One allocation per
 * scheduler, laid out as: struct lb_sched | weight[n] | cum[n_up] |
 * up_ids[n_up] | (64-byte aligned) Maglev table[M].
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lb_sched.h"
#include "lb_sched_int.h"

#define LB_ALIGN 64

_Static_assert(sizeof(struct lb_sched) == LB_ALIGN, "struct lb_sched is one cache line");

/* Build numbers; the main lcore builds, but atomics cost nothing here. */
static uint32_t lb_gen_last;

static const char *const kind_names[LB_SCHED_KIND_MAX] = {
	[LB_SCHED_RR] = "rr",
	[LB_SCHED_WRR] = "wrr",
	[LB_SCHED_LEAST_CONN] = "least_conn",
	[LB_SCHED_WLC] = "wlc",
	[LB_SCHED_SOURCE_HASH] = "source_hash",
	[LB_SCHED_MAGLEV] = "maglev",
};

const char *
lb_sched_kind_name(enum lb_sched_kind kind)
{
	if ((unsigned int)kind >= LB_SCHED_KIND_MAX)
		return "?";
	return kind_names[kind];
}

uint64_t
lb_backend_key(const void *id, size_t len)
{
	const uint8_t *p = id;
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a, then a finaliser */
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return lb_mix64(h);
}

bool
lb_is_prime(uint32_t v)
{
	uint32_t d;

	if (v < 2)
		return false;
	if (v % 2 == 0)
		return v == 2;
	for (d = 3; (uint64_t)d * d <= v; d += 2)
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

/*
 * wrr's walk: the smallest Fibonacci number F_k >= w (the period) and
 * F_(k-1) (the stride).  Stepping x -> (x + F_(k-1)) mod F_k is the
 * golden-ratio rotation at every scale (F_(k-1) / F_k = [0; 1, 1, ..., 1]),
 * so by the three-gap theorem the returns to any interval of length l are
 * at most ~phi^2 * F_k / l steps apart; points >= w are skipped, and as
 * successive points lie F_(k-2) > F_k - w apart on the circle, never two
 * in a row.
 */
static void
fib_walk(uint32_t w, uint32_t *period, uint32_t *stride)
{
	uint32_t a = 1, b = 1; /* F_1, F_2 */

	while (b < w) {
		uint32_t t = a + b;

		a = b;
		b = t;
	}
	*period = b;
	*stride = a;
}

static size_t
align_up(size_t v)
{
	return (v + LB_ALIGN - 1) & ~(size_t)(LB_ALIGN - 1);
}

static int
check_backends(const struct lb_backend *backends, unsigned int n, unsigned int *n_up)
{
	unsigned int i;

	if (n > LB_BACKENDS_MAX || (n > 0 && backends == NULL))
		return -EINVAL;
	*n_up = 0;
	for (i = 0; i < n; i++) {
		if (backends[i].weight > LB_WEIGHT_MAX || backends[i].state >= LB_BACKEND_STATE_MAX)
			return -EINVAL;
		if (lb_backend_eligible(&backends[i]))
			(*n_up)++;
	}
	return 0;
}

static int
build(enum lb_sched_kind kind, const struct lb_backend *backends, unsigned int n, uint32_t m,
	struct lb_sched **out)
{
	size_t off_weight, off_cum, off_ids, off_table, size;
	unsigned int i, n_up, k;
	struct lb_sched *s;
	uint32_t *weight, *cum;
	uint16_t *up_ids;
	uint32_t g, sum;
	uint8_t *mem;
	int ret;

	if (out == NULL || (unsigned int)kind >= LB_SCHED_KIND_MAX)
		return -EINVAL;
	ret = check_backends(backends, n, &n_up);
	if (ret < 0)
		return ret;

	off_weight = sizeof(*s);
	off_cum = off_weight + (size_t)n * sizeof(*weight);
	off_ids = off_cum + (size_t)n_up * sizeof(*cum);
	off_table = align_up(off_ids + (size_t)n_up * sizeof(*up_ids));
	size = align_up(off_table + (size_t)m * sizeof(*s->table));
	mem = aligned_alloc(LB_ALIGN, size);
	if (mem == NULL)
		return -ENOMEM;
	memset(mem, 0, off_table);
	s = (struct lb_sched *)mem;
	weight = (uint32_t *)(mem + off_weight);
	cum = (uint32_t *)(mem + off_cum);
	up_ids = (uint16_t *)(mem + off_ids);

	g = 0;
	for (i = 0, k = 0; i < n; i++) {
		if (!lb_backend_eligible(&backends[i]))
			continue;
		weight[i] = backends[i].weight;
		up_ids[k++] = (uint16_t)i;
		g = gcd(backends[i].weight, g);
	}
	sum = 0;
	for (k = 0; k < n_up; k++) {
		sum += weight[up_ids[k]] / g;
		cum[k] = sum;
	}

	s->kind = kind;
	s->n = n;
	s->n_up = n_up;
	s->total = sum;
	if (n_up > 0)
		fib_walk(sum, &s->period, &s->stride);
	s->table_size = m;
	s->weight = weight;
	s->up_ids = up_ids;
	s->cum = cum;
	if (m > 0) {
		uint16_t *table = (uint16_t *)(mem + off_table);

		s->table = table;
		if (n_up == 0) {
			memset(table, 0xff, (size_t)m * sizeof(*table));
		} else {
			ret = lb_maglev_fill(table, m, backends, up_ids, n_up);
			if (ret < 0) {
				free(mem);
				return ret;
			}
		}
	}
	do
		s->gen = __atomic_add_fetch(&lb_gen_last, 1, __ATOMIC_RELAXED);
	while (s->gen == 0);
	*out = s;
	return 0;
}

int
lb_sched_build(enum lb_sched_kind kind, const struct lb_backend *backends, unsigned int n,
	struct lb_sched **out)
{
	return build(kind, backends, n, kind == LB_SCHED_MAGLEV ? LB_MAGLEV_SIZE_DEFAULT : 0, out);
}

int
lb_sched_build_maglev(const struct lb_backend *backends, unsigned int n, uint32_t table_size,
	struct lb_sched **out)
{
	if (table_size < LB_MAGLEV_SIZE_DEFAULT || table_size > LB_MAGLEV_SIZE_MAX ||
		!lb_is_prime(table_size))
		return -EINVAL;
	return build(LB_SCHED_MAGLEV, backends, n, table_size, out);
}

void
lb_sched_free(struct lb_sched *s)
{
	free(s);
}

const uint16_t *
lb_sched_maglev_table(const struct lb_sched *s, uint32_t *size)
{
	if (s->kind != LB_SCHED_MAGLEV)
		return NULL;
	if (size != NULL)
		*size = s->table_size;
	return s->table;
}

void
lb_pick_ctx_init(struct lb_pick_ctx *ctx, uint32_t seed, struct lb_conns *conns)
{
	/* Spread the workers' starting points; pick reduces pos modulo its range. */
	ctx->pos = lb_mix32(seed) & 0x0fffffff;
	ctx->conns = conns;
}

/* The index of the first prefix sum above x (x < cum[n - 1]); branch-free. */
static inline unsigned int
line_find(const uint32_t *cum, unsigned int n, uint32_t x)
{
	const uint32_t *base = cum;

	while (n > 1) {
		unsigned int half = n / 2;

		base = base[half - 1] <= x ? base + half : base;
		n -= half;
	}
	return (unsigned int)(base - cum);
}

int
lb_sched_pick(const struct lb_sched *s, struct lb_pick_ctx *ctx, uint32_t flow_hash)
{
	uint32_t x, next;

	if (lb_unlikely(s->n_up == 0))
		return -1;
	switch (s->kind) {
	case LB_SCHED_RR:
		x = ctx->pos;
		if (lb_unlikely(x >= s->n_up)) /* first pick, or a smaller set */
			x %= s->n_up;
		ctx->pos = x + 1 == s->n_up ? 0 : x + 1;
		return s->up_ids[x];
	case LB_SCHED_WRR:
		x = ctx->pos;
		if (lb_unlikely(x >= s->period)) /* first pick, or a shorter walk */
			x %= s->period;
		/* Skip the walk's points beyond the weight line: at most one. */
		while (x >= s->total) {
			x += s->stride;
			x = x >= s->period ? x - s->period : x;
		}
		next = x + s->stride;
		ctx->pos = next >= s->period ? next - s->period : next;
		return s->up_ids[line_find(s->cum, s->n_up, x)];
	case LB_SCHED_SOURCE_HASH:
		x = lb_scale(lb_mix32(flow_hash), s->total);
		return s->up_ids[line_find(s->cum, s->n_up, x)];
	case LB_SCHED_MAGLEV:
		return s->table[lb_scale(lb_mix32(flow_hash), s->table_size)];
	case LB_SCHED_LEAST_CONN:
	case LB_SCHED_WLC:
		if (ctx->conns == NULL)
			return -1;
		return lb_conns_best(ctx->conns, s);
	default:
		return -1;
	}
}
