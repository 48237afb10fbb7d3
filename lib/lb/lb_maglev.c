/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Maglev lookup-table population (Eisenbud et al., "Maglev: A Fast and
 * Reliable Software Network Load Balancer", NSDI 2016, section 3.4).
 *
 * Each backend prefers the slots of the table in the order of its own
 * permutation of 0..M-1: offset, offset + skip, offset + 2 skip, ... mod
 * M, with offset and skip drawn from its key (M prime and 0 < skip < M,
 * so every slot appears once).  Backends take turns; on its turn a
 * backend claims its most preferred slot still free.  Because each
 * backend walks its own permutation, removing one frees its slots and
 * barely changes which slots the others claim: about 1/N of the keys move.
 *
 * Weights: in the paper every backend gets one turn per round.  Here
 * backend i's turns fall at virtual times (t + 1/2) * step_i, t = 0, 1,
 * ..., with step_i = 2^38 / w_i (integer: deterministic on every host;
 * relative error under 2^-22), and turns are taken in time order, ties to
 * the lower id.  So over any stretch backend i gets turns, hence slots, in
 * proportion to w_i; with equal weights this is exactly the paper's round
 * robin, which is then run without the heap.  A binary heap of
 * (time, index) orders the turns: O(M log N), plus the expected
 * O(M log M) slot probes of the paper.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lb_sched_int.h"

#define MAGLEV_OFFSET_SEED 0x6d61676c65766f66ull /* "maglevof" */
#define MAGLEV_SKIP_SEED 0x6d61676c65766b73ull	 /* "maglevks" */

#define MAGLEV_TIME_SHIFT 38 /* times stay below 2^(38 + 25) for M <= 2^24 */

_Static_assert(LB_MAGLEV_SIZE_MAX <= 1u << 24, "turn times must fit 64 bits");

struct perm {
	uint64_t step; /* between turns: 2^MAGLEV_TIME_SHIFT / weight */
	uint32_t slot; /* next slot to try in this backend's permutation */
	uint32_t skip; /* permutation step, 1..M-1 */
};

struct turn {
	uint64_t time; /* of this backend's next turn */
	uint32_t idx;  /* into perms and up_ids: ascending ids */
	uint32_t pad;
};

/* Keys are unique (idx), so any heap pops turns in one order: determinism. */
static inline bool
turn_before(const struct turn *a, const struct turn *b)
{
	return (a->time < b->time) | ((a->time == b->time) & (a->idx < b->idx));
}

static void
sift_down(struct turn *heap, unsigned int n, unsigned int i)
{
	struct turn v = heap[i];

	for (;;) {
		unsigned int c = 2 * i + 1;

		if (c >= n)
			break;
		if (c + 1 < n && turn_before(&heap[c + 1], &heap[c]))
			c++;
		if (!turn_before(&heap[c], &v))
			break;
		heap[i] = heap[c];
		i = c;
	}
	heap[i] = v;
}

/*
 * The top's time has grown: restore the heap.  Floyd's variant: move the
 * hole down along the earlier children (branch-free choice) to the bottom,
 * then back up to where the top belongs, which is near the bottom since
 * its time has just grown.  Far fewer mispredicted branches than a
 * sift-down that compares with the moving entry at every level.
 */
static void
replace_top(struct turn *heap, unsigned int n)
{
	struct turn v = heap[0];
	unsigned int i = 0, c;

	while ((c = 2 * i + 1) + 1 < n) {
		c += turn_before(&heap[c + 1], &heap[c]);
		heap[i] = heap[c];
		i = c;
	}
	if (c < n) {
		heap[i] = heap[c];
		i = c;
	}
	while (i > 0) {
		unsigned int p = (i - 1) / 2;

		if (!turn_before(&v, &heap[p]))
			break;
		heap[i] = heap[p];
		i = p;
	}
	heap[i] = v;
}

/* Backend idx claims its most preferred free slot. */
static inline void
claim(uint16_t *table, uint32_t m, struct perm *p, uint16_t id)
{
	uint32_t c = p->slot;

	/* Terminates: the permutation covers every slot and one is free. */
	while (table[c] != LB_ID_NONE) {
		c += p->skip;
		if (c >= m)
			c -= m;
	}
	table[c] = id;
	c += p->skip;
	p->slot = c >= m ? c - m : c;
}

int
lb_maglev_fill(uint16_t *table, uint32_t m, const struct lb_backend *backends,
	const uint16_t *up_ids, unsigned int n_up)
{
	struct perm *perms;
	struct turn *heap;
	uint32_t filled;
	bool equal = true;
	unsigned int i;

	perms = malloc(n_up * sizeof(*perms));
	heap = malloc(n_up * sizeof(*heap));
	if (perms == NULL || heap == NULL) {
		free(perms);
		free(heap);
		return -ENOMEM;
	}
	for (i = 0; i < n_up; i++) {
		const struct lb_backend *b = &backends[up_ids[i]];

		perms[i].slot = (uint32_t)(lb_mix64(b->key ^ MAGLEV_OFFSET_SEED) % m);
		perms[i].skip = (uint32_t)(lb_mix64(b->key ^ MAGLEV_SKIP_SEED) % (m - 1)) + 1;
		perms[i].step = (1ull << MAGLEV_TIME_SHIFT) / b->weight;
		heap[i].time = perms[i].step / 2;
		heap[i].idx = i;
		heap[i].pad = 0;
		equal = equal && b->weight == backends[up_ids[0]].weight;
	}
	memset(table, 0xff, (size_t)m * sizeof(*table));

	if (equal) {
		/* All times tie every round: the heap would yield ids in order. */
		for (filled = 0, i = 0; filled < m; filled++) {
			claim(table, m, &perms[i], up_ids[i]);
			if (++i == n_up)
				i = 0;
		}
	} else {
		for (i = n_up / 2; i-- > 0;)
			sift_down(heap, n_up, i);
		for (filled = 0; filled < m; filled++) {
			struct perm *p = &perms[heap[0].idx];

			claim(table, m, p, up_ids[heap[0].idx]);
			heap[0].time += p->step;
			replace_top(heap, n_up);
		}
	}
	free(perms);
	free(heap);
	return 0;
}
