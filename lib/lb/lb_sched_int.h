/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal to lib/lb: shared by lb_sched.c, lb_maglev.c and lb_conns.c. */
#ifndef EP_LB_SCHED_INT_H
#define EP_LB_SCHED_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "lb_sched.h"

/* An empty Maglev slot or tree node; ids stay below it (LB_BACKENDS_MAX). */
#define LB_ID_NONE 0xffffu

_Static_assert(LB_BACKENDS_MAX < LB_ID_NONE, "backend ids must fit uint16_t below LB_ID_NONE");
_Static_assert((uint64_t)LB_BACKENDS_MAX *LB_WEIGHT_MAX < (1ull << 31),
	"weight sums, and a point plus a stride on the weight line, must fit uint32_t");

#if defined(__GNUC__)
#define lb_likely(x) __builtin_expect(!!(x), 1)
#define lb_unlikely(x) __builtin_expect(!!(x), 0)
#else
#define lb_likely(x) (x)
#define lb_unlikely(x) (x)
#endif

/* murmur3's 32-bit finaliser: a bijection that spreads every input bit. */
static inline uint32_t
lb_mix32(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

/* splitmix64's finaliser. */
static inline uint64_t
lb_mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A 32-bit value scaled onto [0, range): the high half of the product. */
static inline uint32_t
lb_scale(uint32_t h, uint32_t range)
{
	return (uint32_t)(((uint64_t)h * range) >> 32);
}

bool lb_is_prime(uint32_t v);

/*
 * Populate table[0..m-1] (m prime) with the ids of the n_up eligible
 * backends up_ids[], turns in proportion to their weights.  Main lcore;
 * allocates scratch space.  0 or -ENOMEM.
 */
int lb_maglev_fill(uint16_t *table, uint32_t m, const struct lb_backend *backends,
	const uint16_t *up_ids, unsigned int n_up);

/* least_conn, wlc: the best backend by c's estimates under s, or -1. */
int lb_conns_best(struct lb_conns *c, const struct lb_sched *s);

#endif /* EP_LB_SCHED_INT_H */
