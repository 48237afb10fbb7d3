/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-worker active-connection counts and the tournament tree that
 * least_conn and wlc pick from (see lb_sched.h for the design).
 *
 * The tree has `leaves` leaves (a power of two >= n); leaf p holds backend
 * (p + rot) % n when that backend is eligible, LB_ID_NONE otherwise, and
 * every inner node holds the better of its two children, the left one on
 * a tie.  So the root is the best backend and ties go to the first in the
 * rotation.  An open or close changes one estimate and replays the
 * matches on that leaf's path to the root.
 *
 * Layout: `own` (read by the main lcore) sits on cache lines of its own,
 * apart from what only the owner touches, so the main lcore's reads never
 * share a line with the tree.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lb_sched_int.h"

#define LB_LINE 64

struct lb_conns {
	uint32_t cap;	  /* ids 0..cap-1 */
	uint32_t seed;	  /* tie-break rotation */
	uint32_t gen;	  /* the scheduler the tree reflects; 0: rebuild at the next pick */
	uint32_t kind;	  /* LB_SCHED_LEAST_CONN or LB_SCHED_WLC */
	uint32_t n;	  /* ids in the tree: min(sched n, cap) */
	uint32_t rot;	  /* the id at leaf 0 */
	uint32_t leaves;  /* power of two >= n */
	uint32_t *own;	  /* cap: this worker's connections (main lcore reads) */
	uint32_t *est;	  /* cap: others' snapshot + own */
	uint32_t *weight; /* cap: weights in the tree's scheduler, 0 = not eligible */
	uint16_t *tree;	  /* 2 * leaves nodes, 1 is the root */
};

static unsigned int
pow2_ge(unsigned int v)
{
	unsigned int p = 1;

	while (p < v)
		p <<= 1;
	return p;
}

static size_t
line_up(size_t v)
{
	return (v + LB_LINE - 1) & ~(size_t)(LB_LINE - 1);
}

struct lb_conns *
lb_conns_create(unsigned int cap, uint32_t seed)
{
	size_t off_own, off_est, off_weight, off_tree, size;
	struct lb_conns *c;
	uint8_t *mem;

	if (cap == 0 || cap > LB_BACKENDS_MAX)
		return NULL;
	off_own = line_up(sizeof(*c));
	off_est = line_up(off_own + cap * sizeof(*c->own));
	off_weight = off_est + cap * sizeof(*c->est);
	off_tree = off_weight + cap * sizeof(*c->weight);
	size = line_up(off_tree + 2 * pow2_ge(cap) * sizeof(*c->tree));
	mem = aligned_alloc(LB_LINE, size);
	if (mem == NULL)
		return NULL;
	memset(mem, 0, size);
	c = (struct lb_conns *)mem;
	c->cap = cap;
	c->seed = seed;
	c->own = (uint32_t *)(mem + off_own);
	c->est = (uint32_t *)(mem + off_est);
	c->weight = (uint32_t *)(mem + off_weight);
	c->tree = (uint16_t *)(mem + off_tree);
	return c;
}

void
lb_conns_free(struct lb_conns *c)
{
	free(c);
}

/* The better of two tree entries; a on a tie. */
static inline uint16_t
better(const struct lb_conns *c, uint16_t a, uint16_t b)
{
	uint64_t l, r;

	if (a == LB_ID_NONE)
		return b;
	if (b == LB_ID_NONE)
		return a;
	if (c->kind == LB_SCHED_LEAST_CONN)
		return c->est[b] < c->est[a] ? b : a;
	/* est_b / w_b < est_a / w_a, both weights non-zero. */
	l = (uint64_t)c->est[b] * c->weight[a];
	r = (uint64_t)c->est[a] * c->weight[b];
	if (l < r || (l == r && c->weight[b] > c->weight[a]))
		return b;
	return a;
}

static void
rebuild(struct lb_conns *c, const struct lb_sched *s)
{
	unsigned int p, id;

	c->kind = s->kind;
	c->n = s->n < c->cap ? s->n : c->cap;
	c->rot = c->n > 0 ? c->seed % c->n : 0;
	c->leaves = pow2_ge(c->n > 0 ? c->n : 1);
	/* Only ids below n are ever read (update() and the tree stop at n):
	 * O(n), not O(capacity), on the first pick after a new snapshot. */
	for (id = 0; id < c->n; id++)
		c->weight[id] = s->weight[id];
	for (p = 0; p < c->leaves; p++) {
		id = p < c->n ? (p + c->rot) % c->n : LB_ID_NONE;
		c->tree[c->leaves + p] =
			id != LB_ID_NONE && c->weight[id] != 0 ? (uint16_t)id : LB_ID_NONE;
	}
	for (p = c->leaves - 1; p >= 1; p--)
		c->tree[p] = better(c, c->tree[2 * p], c->tree[2 * p + 1]);
	c->gen = s->gen;
}

/* Replay the matches above backend id's leaf after its estimate changed. */
static void
update(struct lb_conns *c, uint32_t id)
{
	unsigned int node;

	if (c->gen == 0 || id >= c->n || c->weight[id] == 0)
		return;
	node = c->leaves + (id >= c->rot ? id - c->rot : id + c->n - c->rot);
	for (node >>= 1; node >= 1; node >>= 1)
		c->tree[node] = better(c, c->tree[2 * node], c->tree[2 * node + 1]);
}

int
lb_conns_best(struct lb_conns *c, const struct lb_sched *s)
{
	uint16_t id;

	if (lb_unlikely(c->gen != s->gen))
		rebuild(c, s);
	id = c->tree[1];
	return id == LB_ID_NONE ? -1 : id;
}

void
lb_conns_open(struct lb_conns *c, uint32_t id)
{
	if (id >= c->cap)
		return;
	__atomic_store_n(&c->own[id], c->own[id] + 1, __ATOMIC_RELAXED);
	c->est[id]++;
	update(c, id);
}

void
lb_conns_close(struct lb_conns *c, uint32_t id)
{
	if (id >= c->cap || c->own[id] == 0)
		return;
	__atomic_store_n(&c->own[id], c->own[id] - 1, __ATOMIC_RELAXED);
	c->est[id]--;
	update(c, id);
}

void
lb_conns_set_others(struct lb_conns *c, const uint32_t *others, unsigned int n)
{
	unsigned int id;

	for (id = 0; id < c->cap; id++)
		c->est[id] = (id < n ? others[id] : 0) + c->own[id];
	c->gen = 0;
}

uint32_t
lb_conns_own(const struct lb_conns *c, uint32_t id)
{
	if (id >= c->cap)
		return 0;
	return __atomic_load_n(&c->own[id], __ATOMIC_RELAXED);
}

void
lb_conns_sum(const struct lb_conns *const *workers, unsigned int n_workers, unsigned int n,
	uint32_t *total, uint32_t *others)
{
	unsigned int id, w;

	for (id = 0; id < n; id++) {
		uint32_t t = 0;

		for (w = 0; w < n_workers; w++) {
			uint32_t v = lb_conns_own(workers[w], id);

			if (others != NULL)
				others[(size_t)w * n + id] = v;
			t += v;
		}
		if (total != NULL)
			total[id] = t;
		if (others != NULL)
			for (w = 0; w < n_workers; w++)
				others[(size_t)w * n + id] = t - others[(size_t)w * n + id];
	}
}
