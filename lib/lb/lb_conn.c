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
 * Free entries form a list threaded through hash[0].
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lb_conn.h"

struct lb_conn_table {
	struct lb_conn_bucket *buckets;
	uint8_t *ovf;
	struct lb_conn *conns;
	uint32_t nb_buckets;
	uint32_t capacity;
	uint32_t count;
	uint32_t free_head; /* LB_CONN_EMPTY: none */
	uint32_t cursor;    /* next bucket lb_conn_sweep() visits */
	uint32_t seed;
	lb_conn_release_fn release; /* told before an expired entry is reclaimed */
	void *release_arg;
};

static inline uint32_t
home_bucket(const struct lb_conn_table *t, uint32_t hash)
{
	return (uint32_t)(((uint64_t)hash * t->nb_buckets) >> 32);
}

static inline uint32_t
next_bucket(const struct lb_conn_table *t, uint32_t b)
{
	return b + 1 == t->nb_buckets ? 0 : b + 1;
}

/* Slots of bucket bk whose signature is sig, as a bit mask. */
static inline unsigned int
sig_match(const struct lb_conn_bucket *bk, uint32_t sig)
{
	unsigned int i, m = 0;

	for (i = 0; i < LB_CONN_SLOTS; i++)
		m |= (unsigned int)(bk->sig[i] == sig) << i;
	return m;
}

static inline int
key_eq(const struct lb_conn *c, unsigned int dir, const struct lb_conn_key *k)
{
	uint64_t a[4], b[4];
	uint32_t a4, b4;

	memcpy(a, &c->t[dir], 32);
	memcpy(b, &k->t, 32);
	memcpy(&a4, (const uint8_t *)&c->t[dir] + 32, 4);
	memcpy(&b4, (const uint8_t *)&k->t + 32, 4);
	return ((a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) | (a[3] ^ b[3]) | (a4 ^ b4)) == 0 &&
		c->family == k->family && c->proto == k->proto;
}

int
lb_conn_table_create(uint32_t capacity, uint32_t seed, struct lb_conn_table **out)
{
	struct lb_conn_table *t;
	uint64_t nb;
	uint32_t i;

	if (out == NULL || capacity == 0 || capacity > LB_CONN_MAX_CAPACITY)
		return -EINVAL;
	nb = ((uint64_t)capacity * LB_CONN_BUCKETS_PER_32 + 31) / 32;
	if (nb < LB_CONN_PROBE)
		nb = LB_CONN_PROBE;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return -ENOMEM;
	t->nb_buckets = (uint32_t)nb;
	t->capacity = capacity;
	t->seed = seed;
	t->buckets = aligned_alloc(64, nb * sizeof(struct lb_conn_bucket));
	t->ovf = malloc(nb);
	t->conns = aligned_alloc(64, ((uint64_t)capacity * sizeof(struct lb_conn) + 63) & ~63ull);
	if (t->buckets == NULL || t->ovf == NULL || t->conns == NULL) {
		lb_conn_table_free(t);
		return -ENOMEM;
	}
	/* Touch everything now: no page faults on the packet path. */
	memset(t->buckets, 0xff, nb * sizeof(struct lb_conn_bucket));
	memset(t->ovf, 0, nb);
	memset(t->conns, 0, (size_t)capacity * sizeof(struct lb_conn));
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
	free(t->buckets);
	free(t->ovf);
	free(t->conns);
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
lb_conn_seed(const struct lb_conn_table *t)
{
	return t->seed;
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
	return sizeof(*t) + (size_t)t->nb_buckets * (sizeof(struct lb_conn_bucket) + 1) +
		(((size_t)t->capacity * sizeof(struct lb_conn) + 63) & ~(size_t)63);
}

/* Put slot value v with signature hash in its probe window; -1 if the window is full. */
static int
slot_add(struct lb_conn_table *t, uint32_t hash, uint32_t v)
{
	uint32_t b = home_bucket(t, hash), h = b;
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
	uint32_t b = home_bucket(t, hash), h = b;
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
	c->family = 0; /* free (lb_conn_entry) */
	c->hash[0] = t->free_head;
	t->free_head = e;
	t->count--;
}

/* The lookup proper, from bucket b (the key's home) on. */
static inline struct lb_conn *
lookup_from(struct lb_conn_table *t, uint32_t b, const struct lb_conn_key *key, uint32_t hash,
	uint32_t now, uint8_t *dir)
{
	unsigned int k;

	for (k = 0; k < LB_CONN_PROBE; k++, b = next_bucket(t, b)) {
		const struct lb_conn_bucket *bk = &t->buckets[b];
		unsigned int m = sig_match(bk, hash);

		while (m != 0) {
			unsigned int i = (unsigned int)__builtin_ctz(m);
			uint32_t v = bk->idx[i];
			struct lb_conn *c;

			m &= m - 1;
			if (v == LB_CONN_EMPTY)
				continue;
			c = &t->conns[v >> 1];
			if (!key_eq(c, v & 1, key))
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

void
lb_conn_prefetch(const struct lb_conn_table *t, uint32_t hash)
{
	__builtin_prefetch(&t->buckets[home_bucket(t, hash)]);
}

void
lb_conn_prefetch_entry(const struct lb_conn_table *t, uint32_t hash)
{
	const struct lb_conn_bucket *bk = &t->buckets[home_bucket(t, hash)];
	unsigned int m = sig_match(bk, hash);

	if (m != 0) {
		uint32_t v = bk->idx[__builtin_ctz(m)];

		if (v != LB_CONN_EMPTY) {
			const struct lb_conn *c = &t->conns[v >> 1];

			__builtin_prefetch(c);
			__builtin_prefetch((const uint8_t *)c + 64);
		}
	}
}

struct lb_conn *
lb_conn_lookup(struct lb_conn_table *t, const struct lb_conn_key *key, uint32_t hash, uint32_t now,
	uint8_t *dir)
{
	return lookup_from(t, home_bucket(t, hash), key, hash, now, dir);
}

unsigned int
lb_conn_lookup_bulk(struct lb_conn_table *t, const struct lb_conn_key *keys, const uint32_t *hashes,
	unsigned int n, uint32_t now, struct lb_conn **conns, uint8_t *dirs)
{
	uint32_t b[LB_CONN_BULK_MAX];
	unsigned int i, hits = 0;

	if (n > LB_CONN_BULK_MAX)
		n = LB_CONN_BULK_MAX;
	for (i = 0; i < n; i++) {
		b[i] = home_bucket(t, hashes[i]);
		__builtin_prefetch(&t->buckets[b[i]]);
	}
	/* The first candidate of each home bucket: both lines of its entry. */
	for (i = 0; i < n; i++) {
		const struct lb_conn_bucket *bk = &t->buckets[b[i]];
		unsigned int m = sig_match(bk, hashes[i]);

		if (m != 0) {
			uint32_t v = bk->idx[__builtin_ctz(m)];

			if (v != LB_CONN_EMPTY) {
				const struct lb_conn *c = &t->conns[v >> 1];

				__builtin_prefetch(c);
				__builtin_prefetch((const uint8_t *)c + 64);
			}
		}
	}
	for (i = 0; i < n; i++) {
		conns[i] = lookup_from(
			t, b[i], &keys[i], hashes[i], now, dirs != NULL ? &dirs[i] : NULL);
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
	return c;
}

uint32_t
lb_conn_sweep(struct lb_conn_table *t, uint32_t now, uint32_t budget)
{
	uint32_t b = t->cursor, freed = 0;

	if (budget > t->nb_buckets)
		budget = t->nb_buckets;
	for (; budget > 0; budget--, b = next_bucket(t, b)) {
		struct lb_conn_bucket *bk = &t->buckets[b];
		unsigned int i;

		for (i = 0; i < LB_CONN_SLOTS; i++) {
			uint32_t v = bk->idx[i];

			/* Each connection once: by its forward slot. */
			if (v == LB_CONN_EMPTY || (v & 1) != 0)
				continue;
			if (lb_conn_expired(&t->conns[v >> 1], now)) {
				if (t->release != NULL)
					t->release(t->release_arg, &t->conns[v >> 1]);
				lb_conn_delete(t, &t->conns[v >> 1]);
				freed++;
			}
		}
	}
	t->cursor = b;
	return freed;
}
