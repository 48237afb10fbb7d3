/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for lib/lb/lb_conn: the key layout the helpers build, insert
 * and lookup from both directions (IPv4 and IPv6), misses, delete, expiry
 * (lookup and sweep, expiry moved later and earlier), filling to capacity,
 * many keys forced into one bucket (the probe bound), and 200,000 random
 * operations against a reference array indexed by flow id.
 *
 * Random sequences come from a fixed-seed xorshift, the same on every host.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lb_conn.h"
#include "ut.h"

#define SEED 0x5eed1234u

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t
xorshift(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Flow id -> client-side key (client 10.x:port -> VIP 192.0.2.1:443). */
static void
fwd_key(struct lb_conn_key *k, uint32_t id)
{
	lb_conn_key_v4(k, IPPROTO_TCP, htonl(0x0a000000u | (id >> 8)), htonl(0xc0000201u),
		htons((uint16_t)(1024 + (id & 0xff))), htons(443));
}

/* Flow id -> server-side key (backend 172.16.0.x:4443 -> SNAT 198.51.100.1:port). */
static void
rev_key(struct lb_conn_key *k, uint32_t id)
{
	lb_conn_key_v4(k, IPPROTO_TCP, htonl(0xac100000u | (id % 7)), htonl(0xc6336401u),
		htons(4443), htons((uint16_t)id));
	k->t.dst[3] = (uint8_t)(id >> 16); /* keep ids apart above 16 bits */
	k->t.dst[2] = (uint8_t)(id >> 24);
}

static struct lb_conn *
ins(struct lb_conn_table *t, uint32_t id, uint32_t now, uint32_t expire)
{
	struct lb_conn_key f, r;
	uint32_t s = lb_conn_seed(t);

	fwd_key(&f, id);
	rev_key(&r, id);
	return lb_conn_insert(t, &f, lb_conn_hash(&f, s), &r, lb_conn_hash(&r, s), now, expire);
}

static struct lb_conn *
find(struct lb_conn_table *t, uint32_t id, int rev, uint32_t now, uint8_t *dir)
{
	struct lb_conn_key k;

	if (rev)
		rev_key(&k, id);
	else
		fwd_key(&k, id);
	return lb_conn_lookup(t, &k, lb_conn_hash(&k, lb_conn_seed(t)), now, dir);
}

/* The helpers write whole words: the bytes must still be the documented layout. */
static void
test_key_layout(void)
{
	struct lb_conn_key k, ref, sw;
	uint8_t s6[16], d6[16];
	uint32_t src = htonl(0x0a000102), dst = htonl(0xc0000201), i;

	memset(&k, 0xa5, sizeof(k));
	lb_conn_key_v4(&k, IPPROTO_UDP, src, dst, htons(1234), htons(53));
	memset(&ref, 0, sizeof(ref));
	memcpy(ref.t.src, &src, 4);
	memcpy(ref.t.dst, &dst, 4);
	ref.t.sport = htons(1234);
	ref.t.dport = htons(53);
	ref.family = AF_INET;
	ref.proto = IPPROTO_UDP;
	UT_CHECK(memcmp(&k, &ref, sizeof(k)) == 0);

	for (i = 0; i < 16; i++) {
		s6[i] = (uint8_t)(0x20 + i);
		d6[i] = (uint8_t)(0x80 + i);
	}
	memset(&k, 0xa5, sizeof(k));
	lb_conn_key_v6(&k, IPPROTO_TCP, s6, d6, htons(40000), htons(443));
	memset(&ref, 0, sizeof(ref));
	memcpy(ref.t.src, s6, 16);
	memcpy(ref.t.dst, d6, 16);
	ref.t.sport = htons(40000);
	ref.t.dport = htons(443);
	ref.family = AF_INET6;
	ref.proto = IPPROTO_TCP;
	UT_CHECK(memcmp(&k, &ref, sizeof(k)) == 0);
	lb_conn_key_swap(&sw, &k);
	UT_CHECK(memcmp(sw.t.src, d6, 16) == 0 && memcmp(sw.t.dst, s6, 16) == 0 &&
		sw.t.sport == htons(443) && sw.t.dport == htons(40000) && sw.family == AF_INET6 &&
		sw.proto == IPPROTO_TCP && sw.pad == 0);
	/* Every byte counts (fixed inputs: each would collide by chance 1 in 2^32). */
	for (i = 0; i < 38; i++) {
		struct lb_conn_key x = k;

		((uint8_t *)&x)[i] ^= 0x40;
		UT_CHECK_MSG(lb_conn_hash(&x, SEED) != lb_conn_hash(&k, SEED), "byte %u", i);
	}
	UT_CHECK(lb_conn_hash(&k, SEED) != lb_conn_hash(&k, SEED + 1));
}

static void
test_create(void)
{
	struct lb_conn_table *t = NULL;

	UT_CHECK(lb_conn_table_create(0, SEED, &t) == -EINVAL);
	UT_CHECK(lb_conn_table_create(LB_CONN_MAX_CAPACITY + 1, SEED, &t) == -EINVAL);
	UT_CHECK(lb_conn_table_create(1, SEED, NULL) == -EINVAL);
	UT_CHECK(lb_conn_table_create(1, SEED, &t) == 0 && t != NULL);
	UT_CHECK(ins(t, 1, 0, 100) != NULL);
	UT_CHECK(ins(t, 2, 0, 100) == NULL);
	UT_CHECK(find(t, 1, 1, 0, NULL) != NULL);
	lb_conn_table_free(t);
	lb_conn_table_free(NULL);
	/* Memory per connection as asserted at build time, measured. */
	UT_CHECK(lb_conn_table_create(100000, SEED, &t) == 0);
	UT_CHECK_MSG(lb_conn_mem_bytes(t) <= 128u * 100000u, "%zu bytes", lb_conn_mem_bytes(t));
	lb_conn_table_free(t);
}

static void
test_basic(void)
{
	struct lb_conn_table *t;
	struct lb_conn_key f, r, other;
	struct lb_conn *c;
	uint8_t src6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1},
		dst6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};
	uint8_t be6[16] = {0xfd, [15] = 9};
	uint32_t s, dir_ok;
	uint8_t dir = 0xff;

	UT_CHECK(lb_conn_table_create(1024, SEED, &t) == 0);
	s = lb_conn_seed(t);
	UT_CHECK(s == SEED);

	/* IPv4, NAT: the reply comes from the backend to the client. */
	lb_conn_key_v4(
		&f, IPPROTO_TCP, htonl(0x0a000001), htonl(0xc0000201), htons(40000), htons(443));
	lb_conn_key_v4(
		&r, IPPROTO_TCP, htonl(0xac100001), htonl(0x0a000001), htons(4443), htons(40000));
	c = lb_conn_insert(t, &f, lb_conn_hash(&f, s), &r, lb_conn_hash(&r, s), 0, 100);
	UT_CHECK(c != NULL);
	c->backend = 7;
	c->service = 3;
	UT_CHECK(
		lb_conn_lookup(t, &f, lb_conn_hash(&f, s), 1, &dir) == c && dir == LB_CONN_DIR_FWD);
	UT_CHECK(
		lb_conn_lookup(t, &r, lb_conn_hash(&r, s), 1, &dir) == c && dir == LB_CONN_DIR_REV);
	UT_CHECK(c->backend == 7 && c->service == 3);
	/* A miss: the same tuple with UDP, and the swapped forward tuple. */
	other = f;
	other.proto = IPPROTO_UDP;
	UT_CHECK(lb_conn_lookup(t, &other, lb_conn_hash(&other, s), 1, NULL) == NULL);
	lb_conn_key_swap(&other, &f);
	UT_CHECK(lb_conn_lookup(t, &other, lb_conn_hash(&other, s), 1, NULL) == NULL);

	/* IPv6, DSR-like: the reverse key is the swapped forward key. */
	lb_conn_key_v6(&f, IPPROTO_UDP, src6, dst6, htons(5060), htons(3478));
	lb_conn_key_swap(&r, &f);
	c = lb_conn_insert(t, &f, lb_conn_hash(&f, s), &r, lb_conn_hash(&r, s), 0, 100);
	UT_CHECK(c != NULL);
	UT_CHECK(
		lb_conn_lookup(t, &f, lb_conn_hash(&f, s), 1, &dir) == c && dir == LB_CONN_DIR_FWD);
	UT_CHECK(
		lb_conn_lookup(t, &r, lb_conn_hash(&r, s), 1, &dir) == c && dir == LB_CONN_DIR_REV);
	/* IPv6 full NAT. */
	lb_conn_key_v6(&f, IPPROTO_TCP, src6, dst6, htons(5061), htons(443));
	lb_conn_key_v6(&r, IPPROTO_TCP, be6, dst6, htons(4443), htons(61000));
	c = lb_conn_insert(t, &f, lb_conn_hash(&f, s), &r, lb_conn_hash(&r, s), 0, 100);
	UT_CHECK(c != NULL);
	UT_CHECK(lb_conn_count(t) == 3);
	UT_CHECK(
		lb_conn_lookup(t, &r, lb_conn_hash(&r, s), 1, &dir) == c && dir == LB_CONN_DIR_REV);
	/* An IPv4 key whose bytes match an IPv6 one except the family misses. */
	other = f;
	other.family = AF_INET;
	UT_CHECK(lb_conn_lookup(t, &other, lb_conn_hash(&other, s), 1, NULL) == NULL);

	/* Delete, then both directions miss. */
	lb_conn_delete(t, c);
	UT_CHECK(lb_conn_count(t) == 2);
	UT_CHECK(lb_conn_lookup(t, &f, lb_conn_hash(&f, s), 1, NULL) == NULL);
	UT_CHECK(lb_conn_lookup(t, &r, lb_conn_hash(&r, s), 1, NULL) == NULL);

	/* Bulk: the 2 live ones, the deleted one and misses. */
	{
		struct lb_conn_key keys[LB_CONN_BULK_MAX];
		uint32_t h[LB_CONN_BULK_MAX];
		struct lb_conn *out[LB_CONN_BULK_MAX];
		uint8_t dirs[LB_CONN_BULK_MAX];
		unsigned int i;

		lb_conn_key_v4(&keys[0], IPPROTO_TCP, htonl(0x0a000001), htonl(0xc0000201),
			htons(40000), htons(443));
		lb_conn_key_v4(&keys[1], IPPROTO_TCP, htonl(0xac100001), htonl(0x0a000001),
			htons(4443), htons(40000));
		keys[2] = f;
		keys[3] = r;
		lb_conn_key_v6(&keys[4], IPPROTO_UDP, src6, dst6, htons(5060), htons(3478));
		lb_conn_key_swap(&keys[5], &keys[4]);
		fwd_key(&keys[6], 99);
		rev_key(&keys[7], 99);
		for (i = 0; i < LB_CONN_BULK_MAX; i++)
			h[i] = lb_conn_hash(&keys[i], s);
		UT_CHECK(lb_conn_lookup_bulk(t, keys, h, LB_CONN_BULK_MAX, 1, out, dirs) == 4);
		dir_ok = out[0] != NULL && dirs[0] == 0 && out[1] == out[0] && dirs[1] == 1 &&
			out[2] == NULL && out[3] == NULL && out[4] != NULL && dirs[4] == 0 &&
			out[5] == out[4] && dirs[5] == 1 && out[6] == NULL && out[7] == NULL;
		UT_CHECK(dir_ok);
	}
	lb_conn_table_free(t);
}

static void
test_expiry(void)
{
	struct lb_conn_table *t;
	uint32_t i, n = 1000, freed = 0, k;

	UT_CHECK(lb_conn_table_create(n, SEED, &t) == 0);
	/* Even ids expire at 100, odd ones at 200; a wrap of the clock in between. */
	for (i = 0; i < n; i++)
		UT_CHECK(ins(t, i, 0xfffffff0u, (i & 1) ? 200 : 100) != NULL);
	UT_CHECK(lb_conn_count(t) == n);
	UT_CHECK(ins(t, n, 0, 1000) == NULL);
	UT_CHECK(find(t, 0, 0, 99, NULL) != NULL);
	/* Lookup after expiry misses (and reclaims). */
	UT_CHECK(find(t, 0, 0, 100, NULL) == NULL);
	UT_CHECK(find(t, 2, 1, 150, NULL) == NULL);
	UT_CHECK(find(t, 1, 1, 150, NULL) != NULL);
	UT_CHECK(lb_conn_count(t) == n - 2);
	/* Sweep in small budgets: frees exactly the other expired ones. */
	for (k = 0; k < 10000; k++)
		freed += lb_conn_sweep(t, 150, 7);
	UT_CHECK_MSG(freed == n / 2 - 2, "freed %u", freed);
	UT_CHECK(lb_conn_count(t) == n / 2);
	for (i = 0; i < n; i++) {
		UT_CHECK((find(t, i, 0, 150, NULL) != NULL) == (i & 1));
		UT_CHECK((find(t, i, 1, 150, NULL) != NULL) == (i & 1));
	}
	/* Capacity is reusable. */
	for (i = 0; i < n / 2; i++)
		UT_CHECK(ins(t, n + i, 150, 300) != NULL);
	UT_CHECK(lb_conn_count(t) == n);
	UT_CHECK(ins(t, 2 * n, 150, 300) == NULL);
	/* Everything expires; one full sweep frees all. */
	freed = lb_conn_sweep(t, 400, UINT32_MAX);
	UT_CHECK_MSG(freed == n, "freed %u", freed);
	UT_CHECK(lb_conn_count(t) == 0);
	lb_conn_table_free(t);
}

/*
 * The sweep's hints: expire pushed later by a plain write (the sweep must
 * not free early), brought earlier by lb_conn_set_expire() (the sweep must
 * not free late), and later by it.
 */
static void
test_expire_moves(void)
{
	struct lb_conn_table *t;
	struct lb_conn *c[300];
	uint32_t i, n = 300, freed;

	/* Not a multiple of the sweep's 64-entry groups. */
	UT_CHECK(lb_conn_table_create(n, SEED, &t) == 0);
	for (i = 0; i < n; i++) {
		c[i] = ins(t, i, 0, 100);
		UT_CHECK(c[i] != NULL);
	}
	/* i % 3 == 0: kept alive by writes; 1: earlier with the setter; 2: later with it. */
	for (i = 0; i < n; i++) {
		if (i % 3 == 0)
			c[i]->expire = 1000;
		else if (i % 3 == 1)
			lb_conn_set_expire(t, c[i], 50);
		else
			lb_conn_set_expire(t, c[i], 2000);
		UT_CHECK(c[i]->expire == (i % 3 == 0 ? 1000u : i % 3 == 1 ? 50u : 2000u));
	}
	freed = lb_conn_sweep(t, 60, UINT32_MAX);
	UT_CHECK_MSG(freed == n / 3, "freed %u at 60", freed);
	for (i = 0; i < n; i++)
		UT_CHECK((find(t, i, 1, 60, NULL) != NULL) == (i % 3 != 1));
	/* Past the first deadline, before the others: nothing else goes. */
	freed = 0;
	for (i = 0; i < 100; i++)
		freed += lb_conn_sweep(t, 150, 13);
	UT_CHECK_MSG(freed == 0, "freed %u at 150", freed);
	UT_CHECK(lb_conn_count(t) == n - n / 3);
	/* Brought earlier again, below a hint that was caught up at 150. */
	for (i = 0; i < n; i += 3)
		lb_conn_set_expire(t, c[i], 200);
	freed = lb_conn_sweep(t, 200, UINT32_MAX);
	UT_CHECK_MSG(freed == n / 3, "freed %u at 200", freed);
	freed = lb_conn_sweep(t, 2000, UINT32_MAX);
	UT_CHECK_MSG(freed == n / 3, "freed %u at 2000", freed);
	UT_CHECK(lb_conn_count(t) == 0);
	lb_conn_table_free(t);
}

struct released {
	uint32_t n;
	uint32_t backend_sum;
};

static void
on_release(void *arg, struct lb_conn *c)
{
	struct released *r = arg;

	r->n++;
	r->backend_sum += c->backend;
}

/* The release callback sees every expired entry once, before reuse, and
 * lb_conn_entry() lists exactly the live entries. */
static void
test_release(void)
{
	struct lb_conn_table *t;
	struct released r = {0, 0};
	uint32_t i, n = 64, live = 0, sum = 0;

	UT_CHECK(lb_conn_table_create(n, SEED, &t) == 0);
	lb_conn_set_release(t, on_release, &r);
	for (i = 0; i < n; i++) {
		struct lb_conn *c = ins(t, i, 0, (i & 1) ? 200 : 100);

		UT_CHECK(c != NULL);
		if (c != NULL)
			c->backend = i;
	}
	for (i = 0; i < lb_conn_capacity(t); i++)
		live += lb_conn_entry(t, i) != NULL;
	UT_CHECK(live == n);
	UT_CHECK(lb_conn_entry(t, lb_conn_capacity(t)) == NULL);
	/* One by lookup, the rest by sweep; an explicit delete is not reported. */
	UT_CHECK(find(t, 0, 0, 150, NULL) == NULL);
	UT_CHECK(r.n == 1 && r.backend_sum == 0);
	lb_conn_delete(t, find(t, 1, 0, 150, NULL));
	lb_conn_sweep(t, 150, UINT32_MAX);
	for (i = 0; i < n; i += 2)
		sum += i;
	UT_CHECK_MSG(
		r.n == n / 2 && r.backend_sum == sum, "released %u sum %u", r.n, r.backend_sum);
	for (i = 0, live = 0; i < lb_conn_capacity(t); i++) {
		const struct lb_conn *c = lb_conn_entry(t, i);

		if (c != NULL) {
			live++;
			UT_CHECK(c->backend & 1);
		}
	}
	UT_CHECK(live == n / 2 - 1);
	lb_conn_table_free(t);
}

static void
test_full(void)
{
	struct lb_conn_table *t;
	uint32_t i, n = 100000, ok = 0, found = 0;

	UT_CHECK(lb_conn_table_create(n, SEED, &t) == 0);
	for (i = 0; i < n; i++)
		ok += ins(t, i, 0, 1000) != NULL;
	UT_CHECK_MSG(ok == n, "inserted %u of %u", ok, n);
	UT_CHECK(ins(t, n, 0, 1000) == NULL);
	UT_CHECK(ins(t, n + 1, 0, 1000) == NULL);
	UT_CHECK(lb_conn_count(t) == n);
	for (i = 0; i < n; i++)
		found += find(t, i, 0, 1, NULL) != NULL && find(t, i, 1, 1, NULL) != NULL;
	UT_CHECK_MSG(found == n, "found %u of %u", found, n);
	UT_CHECK(find(t, n, 0, 1, NULL) == NULL);
	lb_conn_table_free(t);
}

/*
 * All forward keys hash to one value, all reverse keys to another (far
 * away): each window holds LB_CONN_PROBE * 8 keys, no more.
 */
static void
test_collisions(void)
{
	struct lb_conn_table *t;
	struct lb_conn_key f, r;
	struct lb_conn *c[LB_CONN_PROBE * LB_CONN_SLOTS + 1];
	uint32_t i, win = LB_CONN_PROBE * LB_CONN_SLOTS, h = 0x12345678u, ok = 0;

	UT_CHECK(lb_conn_table_create(4096, SEED, &t) == 0);
	for (i = 0; i <= win; i++) {
		fwd_key(&f, i);
		rev_key(&r, i);
		c[i] = lb_conn_insert(t, &f, h, &r, h ^ 0x80000000u, 0, 1000);
		ok += c[i] != NULL;
	}
	UT_CHECK_MSG(ok == win, "%u inserted", ok);
	UT_CHECK(c[win] == NULL);
	UT_CHECK(lb_conn_count(t) == win);
	for (i = 0; i <= win; i++) {
		fwd_key(&f, i);
		rev_key(&r, i);
		UT_CHECK((lb_conn_lookup(t, &f, h, 1, NULL) == c[i]));
		UT_CHECK((lb_conn_lookup(t, &r, h ^ 0x80000000u, 1, NULL) == c[i]));
	}
	/* Free one from the home bucket: a key from the last bucket is still found. */
	lb_conn_delete(t, c[0]);
	fwd_key(&f, win - 1);
	UT_CHECK(lb_conn_lookup(t, &f, h, 1, NULL) == c[win - 1]);
	fwd_key(&f, win);
	rev_key(&r, win);
	UT_CHECK(lb_conn_insert(t, &f, h, &r, h ^ 0x80000000u, 0, 1000) != NULL);
	UT_CHECK(lb_conn_lookup(t, &f, h, 1, NULL) != NULL);
	/* Delete all; the window is empty and works again. */
	for (i = 1; i <= win; i++) {
		struct lb_conn *x;

		fwd_key(&f, i);
		x = lb_conn_lookup(t, &f, h, 1, NULL);
		UT_CHECK(x != NULL);
		if (x != NULL)
			lb_conn_delete(t, x);
	}
	UT_CHECK(lb_conn_count(t) == 0);
	for (i = 0; i < win; i++) {
		fwd_key(&f, i);
		UT_CHECK(lb_conn_lookup(t, &f, h, 1, NULL) == NULL);
	}
	lb_conn_table_free(t);
}

#define R_IDS 4096
#define R_CAP 2048
#define R_OPS 200000

/* Random insert, lookup (both sides), delete and clock steps against a reference. */
static void
test_random(void)
{
	static struct lb_conn *ref[R_IDS];
	static uint32_t ref_exp[R_IDS];
	struct lb_conn_table *t;
	uint32_t now = 1, live = 0, op, bad = 0, i, refused = 0;

	UT_CHECK(lb_conn_table_create(R_CAP, SEED, &t) == 0);
	for (op = 0; op < R_OPS; op++) {
		uint64_t x = xorshift();
		uint32_t id = (uint32_t)(x >> 8) % R_IDS;
		struct lb_conn *c;

		/* The reference drops what has expired. */
		if (ref[id] != NULL && (int32_t)(ref_exp[id] - now) <= 0) {
			ref[id] = NULL;
			live--;
		}
		switch (x & 7) {
		case 0:
		case 1:
			if (ref[id] != NULL)
				break;
			c = ins(t, id, now, now + 1 + (uint32_t)(x >> 40) % 20000);
			if (c == NULL) {
				refused++;
				/* Only a full table may refuse (expired ones count until reclaimed). */
				bad += lb_conn_count(t) < R_CAP;
				break;
			}
			ref[id] = c;
			ref_exp[id] = c->expire;
			live++;
			break;
		case 2:
			if (ref[id] != NULL) {
				lb_conn_delete(t, ref[id]);
				ref[id] = NULL;
				live--;
			}
			break;
		case 3:
			now += (uint32_t)(x >> 32) % 4;
			lb_conn_sweep(t, now, 16);
			break;
		case 4:
			/* Later or earlier: through the setter, so the sweep stays exact. */
			if (ref[id] != NULL) {
				ref_exp[id] = now + 1 + (uint32_t)(x >> 40) % 20000;
				lb_conn_set_expire(t, ref[id], ref_exp[id]);
			}
			break;
		default:
			c = find(t, id, (x >> 3) & 1, now, NULL);
			bad += c != ref[id];
			break;
		}
	}
	for (i = 0; i < R_IDS; i++) {
		if (ref[i] != NULL && (int32_t)(ref_exp[i] - now) <= 0)
			ref[i] = NULL;
		bad += find(t, i, 0, now, NULL) != ref[i];
		bad += find(t, i, 1, now, NULL) != ref[i];
	}
	printf("random: %u ops, %u refused (table full), %u live at the end\n", R_OPS, refused,
		lb_conn_count(t));
	UT_CHECK_MSG(bad == 0, "%u mismatches (%u refused)", bad, refused);
	/* A whole sweep leaves exactly the live ones. */
	lb_conn_sweep(t, now, UINT32_MAX);
	for (i = 0, live = 0; i < R_IDS; i++)
		live += ref[i] != NULL;
	UT_CHECK_MSG(lb_conn_count(t) == live, "%u left, %u live", lb_conn_count(t), live);
	lb_conn_table_free(t);
}

int
main(void)
{
	test_key_layout();
	test_create();
	test_basic();
	test_expiry();
	test_expire_moves();
	test_release();
	test_full();
	test_collisions();
	test_random();
	return ut_summary("lb_conn");
}
