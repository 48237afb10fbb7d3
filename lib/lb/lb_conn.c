/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The per-worker connection table (see lb_conn.h for the design).
 *
 * Invariant of the overflow counts: ovf[b] is the number of index slots
 * whose home bucket is at or before b (within the probe window) and that
 * sit after b.  A lookup that misses in bucket b goes on to b + 1 only
 * when ovf[b] != 0; removing a slot just empties it and decrements the
 * counts it incremented, so there are no tombstones.  The home bucket is
 * recomputed from the signature (the full hash) when a slot is removed.
 *
 * Invariant of the expiry hints: for a live entry e, exp[e] is never later
 * than conns[e].expire (insert sets both, lb_conn_set_expire() lowers the
 * hint with the expiry, and a caller that writes expire directly only
 * pushes it later).  So an entry the hints say is alive is alive, and the
 * sweep reads an entry only once its hint has passed.
 *
 * Free entries form a list threaded through hash[0].
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "lb_conn.h"

/* Entries per word of the live bitmap (and per expiry group the sweep scans). */
#define GROUP 64
#define HUGE_PAGE (2u << 20)

static inline uint32_t
next_bucket(const struct lb_conn_table *t, uint32_t b)
{
	return b + 1 == t->nb_buckets ? 0 : b + 1;
}

static inline size_t
align64(size_t n)
{
	return (n + 63) & ~(size_t)63;
}

/*
 * One anonymous mapping of len bytes; from 2 MB on, 2 MB-aligned and
 * advised for transparent huge pages (before it is touched, so that the
 * first touch gets them): a million connections span 150 MB, which 4 KB
 * pages make a TLB miss on nearly every lookup.  NULL if out of memory.
 */
static void *
map_arrays(size_t len)
{
	size_t over;
	uint8_t *p, *a;

	if (len < HUGE_PAGE) {
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		return p == MAP_FAILED ? NULL : p;
	}
	/* Map a huge page more, keep the aligned part. */
	over = len + HUGE_PAGE;
	p = mmap(NULL, over, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	a = (uint8_t *)(((uintptr_t)p + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
	if (a > p)
		munmap(p, (size_t)(a - p));
	/* The tail from the first page boundary after a + len. */
	{
		uint8_t *end = (uint8_t *)(((uintptr_t)a + len + 4095) & ~(uintptr_t)4095);

		if (end < p + over)
			munmap(end, (size_t)(p + over - end));
	}
#ifdef MADV_HUGEPAGE
	/* Best effort: without it the table works, with more TLB misses. */
	(void)madvise(a, len, MADV_HUGEPAGE);
#endif
	return a;
}

int
lb_conn_table_create(uint32_t capacity, uint32_t seed, struct lb_conn_table **out)
{
	struct lb_conn_table *t;
	size_t sz_b, sz_c, sz_e, sz_l, off;
	uint64_t nb, groups;
	uint8_t *mem;
	uint32_t i;

	if (out == NULL || capacity == 0 || capacity > LB_CONN_MAX_CAPACITY)
		return -EINVAL;
	nb = ((uint64_t)capacity * LB_CONN_BUCKETS_PER_32 + 31) / 32;
	if (nb < LB_CONN_PROBE)
		nb = LB_CONN_PROBE;
	/* The sweep reads hints and live bits by whole groups. */
	groups = ((uint64_t)capacity + GROUP - 1) / GROUP;
	sz_b = (size_t)nb * sizeof(struct lb_conn_bucket);
	sz_c = align64((size_t)capacity * sizeof(struct lb_conn));
	sz_e = (size_t)groups * GROUP * sizeof(uint32_t);
	sz_l = align64((size_t)groups * sizeof(uint64_t));
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return -ENOMEM;
	/* Buckets first: with the entries, they are what the fast path reads. */
	t->mem_len = sz_b + sz_c + sz_e + sz_l + align64(nb);
	mem = map_arrays(t->mem_len);
	if (mem == NULL) {
		free(t);
		return -ENOMEM;
	}
	t->mem = mem;
	t->buckets = (struct lb_conn_bucket *)(void *)mem;
	off = sz_b;
	t->conns = (struct lb_conn *)(void *)(mem + off);
	off += sz_c;
	t->exp = (uint32_t *)(void *)(mem + off);
	off += sz_e;
	t->live = (uint64_t *)(void *)(mem + off);
	off += sz_l;
	t->ovf = mem + off;
	t->nb_buckets = (uint32_t)nb;
	t->capacity = capacity;
	t->seed = seed;
	/* Touch everything now: no page faults on the packet path. */
	memset(t->buckets, 0xff, sz_b);
	memset(t->conns, 0, sz_c);
	memset(t->exp, 0, sz_e);
	memset(t->live, 0, sz_l);
	memset(t->ovf, 0, nb);
	for (i = 0; i < capacity; i++)
		t->conns[i].hash[0] = i + 1 < capacity ? i + 1 : LB_CONN_EMPTY;
	t->free_head = 0;
	*out = t;
	return 0;
}

void
lb_conn_table_free(struct lb_conn_table *t)
{
	if (t == NULL)
		return;
	munmap(t->mem, t->mem_len);
	free(t);
}

const struct lb_conn *
lb_conn_entry(const struct lb_conn_table *t, uint32_t i)
{
	if (i >= t->capacity || t->conns[i].family == 0)
		return NULL;
	return &t->conns[i];
}

void
lb_conn_set_release(struct lb_conn_table *t, lb_conn_release_fn fn, void *arg)
{
	t->release = fn;
	t->release_arg = arg;
}

uint32_t
lb_conn_count(const struct lb_conn_table *t)
{
	return t->count;
}

uint32_t
lb_conn_capacity(const struct lb_conn_table *t)
{
	return t->capacity;
}

size_t
lb_conn_mem_bytes(const struct lb_conn_table *t)
{
	return sizeof(*t) + t->mem_len;
}

/* Put slot value v with signature hash in its probe window; -1 if the window is full. */
static int
slot_add(struct lb_conn_table *t, uint32_t hash, uint32_t v)
{
	uint32_t b = lb_conn__home(t, hash), h = b;
	unsigned int k, i;

	for (k = 0; k < LB_CONN_PROBE; k++, b = next_bucket(t, b)) {
		struct lb_conn_bucket *bk = &t->buckets[b];

		for (i = 0; i < LB_CONN_SLOTS; i++) {
			if (bk->idx[i] != LB_CONN_EMPTY)
				continue;
			bk->sig[i] = hash;
			bk->idx[i] = v;
			for (; k > 0; k--, h = next_bucket(t, h))
				t->ovf[h]++;
			return 0;
		}
	}
	return -1;
}

/* Remove the slot holding v, whose signature is hash. */
static void
slot_remove(struct lb_conn_table *t, uint32_t hash, uint32_t v)
{
	uint32_t b = lb_conn__home(t, hash), h = b;
	unsigned int k, i;

	for (k = 0; k < LB_CONN_PROBE; k++, b = next_bucket(t, b)) {
		struct lb_conn_bucket *bk = &t->buckets[b];

		for (i = 0; i < LB_CONN_SLOTS; i++) {
			if (bk->idx[i] != v)
				continue;
			bk->idx[i] = LB_CONN_EMPTY;
			for (; k > 0; k--, h = next_bucket(t, h))
				t->ovf[h]--;
			return;
		}
	}
}

void
lb_conn_delete(struct lb_conn_table *t, struct lb_conn *c)
{
	uint32_t e = (uint32_t)(c - t->conns);

	slot_remove(t, c->hash[0], e << 1);
	slot_remove(t, c->hash[1], e << 1 | 1);
	t->live[e / GROUP] &= ~(1ull << (e % GROUP));
	c->family = 0; /* free (lb_conn_entry) */
	c->hash[0] = t->free_head;
	t->free_head = e;
	t->count--;
}

struct lb_conn *
lb_conn__lookup_slow(struct lb_conn_table *t, const struct lb_conn_key *key, uint32_t hash,
	uint32_t now, uint8_t *dir)
{
	uint32_t b = lb_conn__home(t, hash);
	unsigned int k;

	for (k = 0; k < LB_CONN_PROBE; k++, b = next_bucket(t, b)) {
		const struct lb_conn_bucket *bk = &t->buckets[b];
		unsigned int m = lb_conn__sig_match(bk, hash);

		while (m != 0) {
			unsigned int i = (unsigned int)__builtin_ctz(m);
			uint32_t v = bk->idx[i];
			struct lb_conn *c;

			m &= m - 1;
			if (v == LB_CONN_EMPTY)
				continue;
			c = &t->conns[v >> 1];
			if (!lb_conn__key_eq(c, v & 1, key))
				continue;
			if (lb_conn_expired(c, now)) {
				/* Reclaim it; a live duplicate may follow. */
				if (t->release != NULL)
					t->release(t->release_arg, c);
				lb_conn_delete(t, c);
				continue;
			}
			if (dir != NULL)
				*dir = (uint8_t)(v & 1);
			return c;
		}
		if (t->ovf[b] == 0)
			break;
	}
	return NULL;
}

unsigned int
lb_conn_lookup_bulk(struct lb_conn_table *t, const struct lb_conn_key *keys, const uint32_t *hashes,
	unsigned int n, uint32_t now, struct lb_conn **conns, uint8_t *dirs)
{
	unsigned int i, hits = 0;

	if (n > LB_CONN_BULK_MAX)
		n = LB_CONN_BULK_MAX;
	for (i = 0; i < n; i++)
		lb_conn_prefetch(t, hashes[i]);
	for (i = 0; i < n; i++)
		lb_conn_prefetch_entry(t, hashes[i]);
	for (i = 0; i < n; i++) {
		conns[i] =
			lb_conn_lookup(t, &keys[i], hashes[i], now, dirs != NULL ? &dirs[i] : NULL);
		hits += conns[i] != NULL;
	}
	return hits;
}

struct lb_conn *
lb_conn_insert(struct lb_conn_table *t, const struct lb_conn_key *fwd, uint32_t fwd_hash,
	const struct lb_conn_key *rev, uint32_t rev_hash, uint32_t now, uint32_t expire)
{
	struct lb_conn *c;
	uint32_t e = t->free_head;

	(void)now;
	if (e == LB_CONN_EMPTY)
		return NULL;
	if (slot_add(t, fwd_hash, e << 1) != 0)
		return NULL;
	if (slot_add(t, rev_hash, e << 1 | 1) != 0) {
		slot_remove(t, fwd_hash, e << 1);
		return NULL;
	}
	c = &t->conns[e];
	t->free_head = c->hash[0];
	t->count++;
	c->t[LB_CONN_DIR_FWD] = fwd->t;
	c->t[LB_CONN_DIR_REV] = rev->t;
	c->family = fwd->family;
	c->proto = fwd->proto;
	c->state = 0;
	c->flags = 0;
	c->expire = expire;
	c->hash[0] = fwd_hash;
	c->hash[1] = rev_hash;
	c->backend = 0;
	c->service = 0;
	c->aux = 0;
	t->exp[e] = expire;
	t->live[e / GROUP] |= 1ull << (e % GROUP);
	return c;
}

/* Bit i set if hint x[i] has passed at now, for the GROUP hints from x (64-aligned). */
static inline uint64_t
passed(const uint32_t *x, uint32_t now)
{
	uint64_t alive = 0;
	unsigned int i;

#if defined(__SSE2__)
	const __m128i n = _mm_set1_epi32((int)now), z = _mm_setzero_si128();

	for (i = 0; i < GROUP; i += 4) {
		__m128i d = _mm_sub_epi32(_mm_load_si128((const __m128i *)(const void *)&x[i]), n);

		alive |= (uint64_t)_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpgt_epi32(d, z))) << i;
	}
#else
	for (i = 0; i < GROUP; i++)
		alive |= (uint64_t)((int32_t)(x[i] - now) > 0) << i;
#endif
	return ~alive;
}

uint32_t
lb_conn_sweep(struct lb_conn_table *t, uint32_t now, uint32_t budget)
{
	uint32_t e = t->cursor, freed = 0;

	if (budget > t->capacity)
		budget = t->capacity;
	while (budget > 0) {
		uint32_t lo = e % GROUP, n = GROUP - lo, g = e / GROUP;
		uint64_t m;

		if (n > budget)
			n = budget;
		if (n > t->capacity - e)
			n = t->capacity - e;
		/* Entries e .. e + n - 1 in use, whose hint has passed. */
		m = t->live[g] >> lo;
		if (n < GROUP)
			m &= (1ull << n) - 1;
		if (m != 0)
			m &= passed(&t->exp[g * GROUP], now) >> lo;
		while (m != 0) {
			uint32_t i = e + (uint32_t)__builtin_ctzll(m);
			struct lb_conn *c = &t->conns[i];

			m &= m - 1;
			if (!lb_conn_expired(c, now)) {
				/* Its expire was pushed later: catch the hint up. */
				t->exp[i] = c->expire;
				continue;
			}
			if (t->release != NULL)
				t->release(t->release_arg, c);
			lb_conn_delete(t, c);
			freed++;
		}
		budget -= n;
		e += n;
		if (e == t->capacity)
			e = 0;
	}
	t->cursor = e;
	return freed;
}
