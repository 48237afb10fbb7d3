/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The per-worker connection table of the L4 load balancer (DPDK-free).
 *
 * One table per worker, written only by that worker: no locks, no atomics.
 * Everything is allocated (and touched) by lb_conn_table_create(), in one
 * mapping advised for transparent huge pages (fewer TLB misses with a
 * million connections); nothing is allocated afterwards.
 *
 * Layout.  A connection is one 96-byte entry (struct lb_conn) holding both
 * directions' tuples, so a lookup from either side compares the stored
 * tuple exactly with wide loads and needs no knowledge of the NAT mode.
 * The index is an array of 64-byte buckets of 8 slots {signature, entry};
 * each connection has two slots (forward key and reverse key).  The
 * caller hashes the key (lb_conn_hash()); the hash picks the home bucket
 * (multiply-shift range reduction, so the bucket count need not be a power
 * of two) and is the slot signature.  A full bucket overflows into the
 * next ones, at most LB_CONN_PROBE buckets; a per-bucket overflow count
 * says whether any key homed at or before it lives after it, so a lookup
 * normally reads one bucket and stops, and deletion needs no tombstones.
 *
 * Memory per connection: one entry (96 B), 2 slots of 8 B at an index
 * load of at most 2/3, i.e. 12/32 bucket of 64 B + 1 overflow byte, and
 * the sweep's 4-byte expiry hint and live bit:
 * 96 + 65 * 12 / 32 + 4 + 1 / 8 = 124.5 B (LB_CONN_BYTES_PER_CONN_X32 / 32,
 * asserted <= 128 at build time).
 *
 * Expiry.  Each entry carries an absolute expiry time in the caller's
 * coarse clock (seconds or ticks, uint32_t, wrapping compares) which the
 * caller refreshes on each packet.  Lookups treat expired entries as
 * absent and reclaim them.  lb_conn_sweep() walks a few entries per call
 * from a cursor and frees the expired ones it finds, so a worker calls it
 * once per poll loop; no timer per packet.  So that the sweep reads 16
 * connections per cache line instead of one random 96-byte entry per
 * connection, it scans a compact array of per-entry hints that are never
 * later than the entry's expiry: a passed hint sends it to the entry,
 * which it frees or whose hint it moves up.  Pushing expire later (what
 * nearly every packet does) leaves the hint alone; setting it earlier
 * must lower the hint too, which lb_conn_set_expire() does.
 *
 * Fast path.  lb_conn_hash(), lb_conn_prefetch(), lb_conn_prefetch_entry()
 * and the common case of lb_conn_lookup() are inline: a burst costs tens of
 * cycles per packet, and a call per step was a good part of that.
 */
#ifndef EP_LB_CONN_H
#define EP_LB_CONN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#if defined(__SSE4_2__)
#include <nmmintrin.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif

/*
 * A prefetch the compiler must keep.  GCC 12 drops __builtin_prefetch()
 * from these helpers once they are inlined into the dataplane's burst
 * loop (seen in its assembly: no prefetch left, every lookup a cache
 * miss); an asm statement with a memory operand stays where it is.
 */
#if defined(__x86_64__) || defined(__i386__)
#define LB_CONN_PREFETCH(p) __asm__ volatile("prefetcht0 %0" : : "m"(*(const volatile char *)(p)))
#else
#define LB_CONN_PREFETCH(p) __builtin_prefetch(p)
#endif

/* Buckets a key may overflow into (its home bucket included). */
#define LB_CONN_PROBE 16
/* Slots per bucket. */
#define LB_CONN_SLOTS 8
/*
 * Index buckets per 32 connections: 2 slots each at <= 2/3 slot load.  At
 * 80 % (10) about 1 insert in 10,000 near full found its 16-bucket window
 * full; at 2/3 none did in 10 million.
 */
#define LB_CONN_BUCKETS_PER_32 12
/* The largest capacity accepted (entry indexes use 31 bits). */
#define LB_CONN_MAX_CAPACITY (1u << 30)

/* One direction's addresses and ports; IPv4 addresses use bytes 0-3, the rest are zero. */
struct lb_conn_tuple {
	uint8_t src[16];
	uint8_t dst[16];
	uint16_t sport; /* as on the wire (network order) */
	uint16_t dport;
};

/*
 * A lookup key: a tuple plus family and protocol; build it with the
 * helpers below.  8-aligned: it is written and hashed as five 64-bit words.
 */
struct lb_conn_key {
	struct lb_conn_tuple t;
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t proto;	/* IPPROTO_TCP, IPPROTO_UDP */
	uint16_t pad;	/* zero */
} __attribute__((aligned(8)));

/* Direction in which a key matched. */
#define LB_CONN_DIR_FWD 0 /* the client-side tuple (first key given to insert) */
#define LB_CONN_DIR_REV 1 /* the server-side tuple (reply direction) */

/*
 * A connection.  Public so the fast path reads and updates the LB fields
 * inline; the table owns t[], family, proto and hash[].
 */
struct lb_conn {
	struct lb_conn_tuple t[2]; /* [LB_CONN_DIR_FWD], [LB_CONN_DIR_REV] */
	uint8_t family;
	uint8_t proto;
	uint8_t state; /* the caller's: TCP state */
	uint8_t flags; /* the caller's */
	/*
	 * Absolute, caller's clock; expired when (int32_t)(expire - now) <= 0.
	 * Write it directly to push it later; to bring it earlier, use
	 * lb_conn_set_expire() (or the sweep frees the entry late).
	 */
	uint32_t expire;
	uint32_t hash[2];
	uint32_t backend; /* the caller's: real server id */
	uint16_t service; /* the caller's: virtual service id */
	uint16_t aux;	  /* the caller's: e.g. SNAT pool slot */
} __attribute__((aligned(32)));

/* Index bucket: signatures first, so 8 compare in one or two vector ops. */
struct lb_conn_bucket {
	uint32_t sig[LB_CONN_SLOTS];
	uint32_t idx[LB_CONN_SLOTS]; /* entry << 1 | direction; LB_CONN_EMPTY if free */
} __attribute__((aligned(64)));

#define LB_CONN_EMPTY UINT32_MAX

_Static_assert(sizeof(struct lb_conn_tuple) == 36, "tuple layout");
_Static_assert(sizeof(struct lb_conn_key) == 40, "key layout");
_Static_assert(offsetof(struct lb_conn_key, family) == 36, "key layout");
_Static_assert(sizeof(struct lb_conn) == 96, "a connection is 96 bytes");
_Static_assert(offsetof(struct lb_conn, family) == 72, "entry layout");
_Static_assert(sizeof(struct lb_conn_bucket) == 64, "a bucket is one cache line");
_Static_assert(LB_CONN_PROBE *LB_CONN_SLOTS <= 255, "overflow counts fit a byte");

/*
 * Bytes per connection * 32: the entry, 12/32 bucket and its overflow byte,
 * the 4-byte expiry hint and the live bit.
 */
#define LB_CONN_BYTES_PER_CONN_X32                                             \
	(32 * sizeof(struct lb_conn) +                                         \
		LB_CONN_BUCKETS_PER_32 * (sizeof(struct lb_conn_bucket) + 1) + \
		32 * sizeof(uint32_t) + 32 / 8)
_Static_assert(LB_CONN_BYTES_PER_CONN_X32 <= 32 * 128, "at most 128 bytes per connection");
/* 2 index slots per connection leave the slots at most 2/3 full. */
_Static_assert(2 * 32 * 3 <= LB_CONN_BUCKETS_PER_32 * LB_CONN_SLOTS * 2, "index load <= 2/3");

/*
 * Have fn(arg, c) called for each connection the table reclaims because
 * it expired (in lookups and sweeps), before its entry is reused, so the
 * caller can close its books (counters, least-connection counts).  Not
 * called by lb_conn_delete(): the caller knows.
 */
typedef void (*lb_conn_release_fn)(void *arg, struct lb_conn *c);

/*
 * The table.  Its layout is public only so that the fast path below
 * inlines into the caller; the fields are the table's own: use the
 * functions, never the fields.
 */
struct lb_conn_table {
	struct lb_conn_bucket *buckets;
	struct lb_conn *conns;
	uint8_t *ovf;	/* per bucket: slots homed at or before it that sit after it */
	uint32_t *exp;	/* per entry: the sweep's hint, never later than its expire */
	uint64_t *live; /* per entry: a bit, set while it holds a connection */
	uint32_t nb_buckets;
	uint32_t capacity;
	uint32_t count;
	uint32_t free_head; /* LB_CONN_EMPTY: none */
	uint32_t cursor;    /* next entry lb_conn_sweep() visits */
	uint32_t seed;
	lb_conn_release_fn release; /* told before an expired entry is reclaimed */
	void *release_arg;
	void *mem; /* the one mapping that holds the arrays above */
	size_t mem_len;
};

/*
 * The key's 8-byte words as built: w0 = src[0..7], w1 = src[8..15],
 * w2 = dst[0..7], w3 = dst[8..15], w4 = ports, family, proto, pad.  Whole
 * words, no memset and byte stores: lb_conn_hash() reads the key back as
 * 8-byte words right away, and a load wider than the stores it overlaps
 * is not forwarded from them but waits until they reach the cache.
 */
static inline uint64_t
lb_conn__word(uint32_t lo, uint32_t hi)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return (uint64_t)lo | (uint64_t)hi << 32;
#else
	return (uint64_t)lo << 32 | hi;
#endif
}

static inline uint64_t
lb_conn__word4(uint8_t proto, uint8_t family, uint16_t sport, uint16_t dport)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return lb_conn__word(
		(uint32_t)sport | (uint32_t)dport << 16, (uint32_t)family | (uint32_t)proto << 8);
#else
	return lb_conn__word(
		(uint32_t)sport << 16 | dport, (uint32_t)family << 24 | (uint32_t)proto << 16);
#endif
}

static inline void
lb_conn__key_store(
	struct lb_conn_key *k, uint64_t w0, uint64_t w1, uint64_t w2, uint64_t w3, uint64_t w4)
{
	uint8_t *p = (uint8_t *)k;

	memcpy(p, &w0, 8);
	memcpy(p + 8, &w1, 8);
	memcpy(p + 16, &w2, 8);
	memcpy(p + 24, &w3, 8);
	memcpy(p + 32, &w4, 8);
}

static inline void
lb_conn_key_v4(struct lb_conn_key *k, uint8_t proto, uint32_t src, uint32_t dst, uint16_t sport,
	uint16_t dport)
{
	lb_conn__key_store(k, lb_conn__word(src, 0), 0, lb_conn__word(dst, 0), 0,
		lb_conn__word4(proto, AF_INET, sport, dport));
}

static inline void
lb_conn_key_v6(struct lb_conn_key *k, uint8_t proto, const uint8_t src[16], const uint8_t dst[16],
	uint16_t sport, uint16_t dport)
{
	uint64_t s[2], d[2];

	memcpy(s, src, 16);
	memcpy(d, dst, 16);
	lb_conn__key_store(
		k, s[0], s[1], d[0], d[1], lb_conn__word4(proto, AF_INET6, sport, dport));
}

/* The key of the packets going the other way on the same tuple (swap ends). */
static inline void
lb_conn_key_swap(struct lb_conn_key *out, const struct lb_conn_key *in)
{
	memcpy(out->t.src, in->t.dst, 16);
	memcpy(out->t.dst, in->t.src, 16);
	out->t.sport = in->t.dport;
	out->t.dport = in->t.sport;
	out->family = in->family;
	out->proto = in->proto;
	out->pad = 0;
}

/*
 * A 32-bit hash of the 40 key bytes; seed per table.  The hash is both the
 * home bucket (its top bits) and the slot signature (all of it), so all 32
 * bits must depend on the whole key.  With SSE4.2: CRC32C over the five
 * words in two independent chains (3-cycle steps that overlap), then one
 * 64 x 64 -> 128-bit multiply folded (high ^ low half).  CRC alone is
 * linear: a structured set of keys (consecutive ports and addresses) can
 * land on too few top-bit patterns; so does a plain 64-bit multiply of the
 * two CRCs (measured: up to 4.5 % more variance in bucket loads than
 * random, and window overflows at full load); the folded product is as
 * even as random on every key pattern tried.  Elsewhere a multiply-xorshift
 * chain.
 */
static inline __attribute__((always_inline)) uint32_t
lb_conn_hash(const struct lb_conn_key *k, uint32_t seed)
{
	uint64_t w[5];

	memcpy(w, k, sizeof(w));
#if defined(__SSE4_2__) && defined(__x86_64__)
	{
		uint64_t a = _mm_crc32_u64(seed, w[0]), b = _mm_crc32_u64(~seed, w[2]), m;
		unsigned __int128 p;

		a = _mm_crc32_u64(a, w[1]);
		b = _mm_crc32_u64(b, w[3]);
		a = _mm_crc32_u64(a, w[4]);
		p = (unsigned __int128)(a << 32 | b) * 0x9e3779b97f4a7c15ull;
		m = (uint64_t)(p >> 64) ^ (uint64_t)p;
		return (uint32_t)(m >> 32);
	}
#else
	{
		uint64_t h = (uint64_t)seed * 0x9e3779b97f4a7c15ull ^ 0x2545f4914f6cdd1dull;
		unsigned int i;

		for (i = 0; i < 5; i++) {
			h ^= w[i];
			h *= 0x9e3779b97f4a7c15ull;
			h ^= h >> 29;
		}
		h ^= h >> 32;
		h *= 0xd6e8feb86659fd93ull;
		h ^= h >> 32;
		return (uint32_t)h;
	}
#endif
}

/* True if the entry has expired at time now. */
static inline int
lb_conn_expired(const struct lb_conn *c, uint32_t now)
{
	return (int32_t)(c->expire - now) <= 0;
}

/*
 * Set c's expiry time (absolute, the caller's clock).  Bringing it earlier
 * also lowers the sweep's hint, so the sweep frees the connection on time;
 * pushing it later (the common case) touches the entry only.
 */
static inline void
lb_conn_set_expire(struct lb_conn_table *t, struct lb_conn *c, uint32_t expire)
{
	if ((int32_t)(expire - c->expire) < 0)
		t->exp[c - t->conns] = expire;
	c->expire = expire;
}

/* The seed given to create (hash keys with lb_conn_hash(key, seed)). */
static inline uint32_t
lb_conn_seed(const struct lb_conn_table *t)
{
	return t->seed;
}

/*
 * Create a table for `capacity` connections (1..LB_CONN_MAX_CAPACITY).
 * Returns 0, -EINVAL or -ENOMEM.
 */
int lb_conn_table_create(uint32_t capacity, uint32_t seed, struct lb_conn_table **out);
void lb_conn_table_free(struct lb_conn_table *t);

void lb_conn_set_release(struct lb_conn_table *t, lb_conn_release_fn fn, void *arg);

/*
 * Entry i (0..capacity-1) if it holds a connection, else NULL: for
 * listing.  Expired entries not yet reclaimed are returned too (check
 * lb_conn_expired()).  Another thread may read while the owner writes
 * (entries are never unmapped): it may see a torn entry, fine for display
 * and nothing else.
 */
const struct lb_conn *lb_conn_entry(const struct lb_conn_table *t, uint32_t i);

uint32_t lb_conn_count(const struct lb_conn_table *t);
uint32_t lb_conn_capacity(const struct lb_conn_table *t);
/* Bytes allocated by the table, all included. */
size_t lb_conn_mem_bytes(const struct lb_conn_table *t);

/* lb_conn__*: the inline fast path's pieces, not for callers. */

static inline uint32_t
lb_conn__home(const struct lb_conn_table *t, uint32_t hash)
{
	return (uint32_t)(((uint64_t)hash * t->nb_buckets) >> 32);
}

/* Slots of bucket bk whose signature is sig, as a bit mask. */
static inline unsigned int
lb_conn__sig_match(const struct lb_conn_bucket *bk, uint32_t sig)
{
#if defined(__SSE2__)
	const __m128i s = _mm_set1_epi32((int)sig);
	__m128i lo = _mm_cmpeq_epi32(_mm_load_si128((const __m128i *)(const void *)bk->sig), s);
	__m128i hi = _mm_cmpeq_epi32(_mm_load_si128((const __m128i *)(const void *)&bk->sig[4]), s);

	/* 8 x 32-bit all-ones/zero -> 8 bytes -> 8 bits. */
	return (unsigned int)_mm_movemask_epi8(
		_mm_packs_epi16(_mm_packs_epi32(lo, hi), _mm_setzero_si128()));
#else
	unsigned int i, m = 0;

	for (i = 0; i < LB_CONN_SLOTS; i++)
		m |= (unsigned int)(bk->sig[i] == sig) << i;
	return m;
#endif
}

static inline uint64_t
lb_conn__load64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/*
 * Does direction dir of c hold key k?  Without branches: a signature match
 * is nearly always a hit.
 */
static inline int
lb_conn__key_eq(const struct lb_conn *c, unsigned int dir, const struct lb_conn_key *k)
{
	const uint8_t *a = (const uint8_t *)&c->t[dir], *b = (const uint8_t *)k;
	uint32_t pa, pb;
	uint16_t fa, fb;
	int addr_eq;

	memcpy(&pa, a + 32, 4); /* ports */
	memcpy(&pb, b + 32, 4);
	memcpy(&fa, &c->family, 2); /* family, proto */
	memcpy(&fb, &k->family, 2);
#if defined(__SSE4_1__)
	{
		__m128i x = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(const void *)a),
			_mm_loadu_si128((const __m128i *)(const void *)b));
		__m128i y = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(const void *)(a + 16)),
			_mm_loadu_si128((const __m128i *)(const void *)(b + 16)));

		x = _mm_or_si128(x, y);
		addr_eq = _mm_testz_si128(x, x);
	}
#else
	addr_eq = ((lb_conn__load64(a) ^ lb_conn__load64(b)) |
			  (lb_conn__load64(a + 8) ^ lb_conn__load64(b + 8)) |
			  (lb_conn__load64(a + 16) ^ lb_conn__load64(b + 16)) |
			  (lb_conn__load64(a + 24) ^ lb_conn__load64(b + 24))) == 0;
#endif
	return addr_eq & (pa == pb) & (fa == fb);
}

/* The whole lookup, reclaiming expired matches: what the inline one falls back to. */
struct lb_conn *lb_conn__lookup_slow(struct lb_conn_table *t, const struct lb_conn_key *key,
	uint32_t hash, uint32_t now, uint8_t *dir);

/*
 * For lookups spread over a whole burst: prefetch a key's home bucket;
 * later (once it has arrived), its first candidate entry.  Then
 * lb_conn_lookup() finds both in cache.
 */
static inline __attribute__((always_inline)) void
lb_conn_prefetch(const struct lb_conn_table *t, uint32_t hash)
{
	LB_CONN_PREFETCH(&t->buckets[lb_conn__home(t, hash)]);
}

static inline __attribute__((always_inline)) void
lb_conn_prefetch_entry(const struct lb_conn_table *t, uint32_t hash)
{
	const struct lb_conn_bucket *bk = &t->buckets[lb_conn__home(t, hash)];
	unsigned int i;

	/*
	 * The first match only: a later one sits behind a freed slot that
	 * kept this very signature, which is rare.  A plain loop that exits
	 * on the match, not lb_conn__sig_match(): with a million flows the
	 * bucket is often still on its way when a burst gets here, and a
	 * predicted exit lets the core run on and start the next packets'
	 * loads, where a mask computed from the bucket makes everything after
	 * it wait (bench_lb, 1M flows: 336 -> 248 cycles per packet; it costs
	 * a mispredict per call on hot buckets in random flow order).
	 */
	for (i = 0; i < LB_CONN_SLOTS; i++) {
		if (bk->sig[i] == hash) {
			uint32_t v = bk->idx[i];

			if (v != LB_CONN_EMPTY) {
				const uint8_t *c = (const uint8_t *)&t->conns[v >> 1];

				/* 96 bytes, 32-aligned: always two lines, these two. */
				LB_CONN_PREFETCH(c);
				LB_CONN_PREFETCH(c + 64);
			}
			return;
		}
	}
}

/*
 * The live connection with key `key` (hash = lb_conn_hash(key, seed)) at
 * time now, or NULL; *dir (if not NULL) gets LB_CONN_DIR_FWD or _REV.
 * Expired matches are reclaimed on the way.  Inline: the home bucket,
 * which nearly always decides; overflow and reclaiming out of line.  The
 * signatures are compared as a vector and the match taken from the mask:
 * no branch per slot to mispredict, and by now the bucket is normally in
 * cache (unlike in lb_conn_prefetch_entry()).
 */
static inline __attribute__((always_inline)) struct lb_conn *
lb_conn_lookup(struct lb_conn_table *t, const struct lb_conn_key *key, uint32_t hash, uint32_t now,
	uint8_t *dir)
{
	uint32_t b = lb_conn__home(t, hash);
	const struct lb_conn_bucket *bk = &t->buckets[b];
	unsigned int m;

	for (m = lb_conn__sig_match(bk, hash); m != 0; m &= m - 1) {
		uint32_t v = bk->idx[__builtin_ctz(m)];
		struct lb_conn *c;

		if (v == LB_CONN_EMPTY)
			continue;
		c = &t->conns[v >> 1];
		if (!lb_conn__key_eq(c, v & 1, key))
			continue;
		if (lb_conn_expired(c, now))
			break; /* reclaim it (and look on) out of line */
		if (dir != NULL)
			*dir = (uint8_t)(v & 1);
		return c;
	}
	if (m == 0 && t->ovf[b] == 0)
		return NULL;
	return lb_conn__lookup_slow(t, key, hash, now, dir);
}

/*
 * Up to 8 lookups at once: buckets are prefetched for all keys, then the
 * candidate entries, then compared.  conns[i] gets the connection or NULL,
 * dirs[i] (if dirs is not NULL) the direction.  Returns the number of hits.
 */
#define LB_CONN_BULK_MAX 8
unsigned int lb_conn_lookup_bulk(struct lb_conn_table *t, const struct lb_conn_key *keys,
	const uint32_t *hashes, unsigned int n, uint32_t now, struct lb_conn **conns,
	uint8_t *dirs);

/*
 * Add a connection indexed by fwd (client side) and rev (server side).
 * The caller has looked fwd up and missed; neither key may belong to
 * another live connection; both keys have the same family and protocol.  The LB fields are zeroed, expire is set.
 * Returns the entry, or NULL when the table is full or either key's
 * probe window is (the caller counts and refuses the connection).
 */
struct lb_conn *lb_conn_insert(struct lb_conn_table *t, const struct lb_conn_key *fwd,
	uint32_t fwd_hash, const struct lb_conn_key *rev, uint32_t rev_hash, uint32_t now,
	uint32_t expire);

/* Remove a live connection (from lookup or insert) and free its entry; once only. */
void lb_conn_delete(struct lb_conn_table *t, struct lb_conn *c);

/*
 * Visit the next `budget` entries (of the capacity, from a cursor that
 * wraps) and free the connections that have expired at `now`.  Returns how
 * many were freed.  Reads 4 bytes per entry plus, now and then, an entry
 * whose hint has passed; a full pass takes capacity / budget calls.
 */
uint32_t lb_conn_sweep(struct lb_conn_table *t, uint32_t now, uint32_t budget);

#endif /* EP_LB_CONN_H */
