/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The per-worker connection table of the L4 load balancer (DPDK-free).
 *
 * One table per worker, written only by that worker: no locks, no atomics.
 * Everything is allocated (and touched) by lb_conn_table_create(); nothing
 * is allocated afterwards.
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
 * Memory per connection: one entry (96 B) plus 2 slots of 8 B at an index
 * load of at most 2/3, i.e. 12/32 bucket of 64 B + 1 overflow byte:
 * 96 + 65 * 12 / 32 = 120.4 B (LB_CONN_BYTES_PER_CONN_X32 / 32, asserted
 * <= 128 at build time).
 *
 * Expiry.  Each entry carries an absolute expiry time in the caller's
 * coarse clock (seconds or ticks, uint32_t, wrapping compares) which the
 * caller refreshes on each packet.  Lookups treat expired entries as
 * absent and reclaim them; lb_conn_sweep() walks a few buckets per call
 * from a cursor and frees the expired entries it finds, so a worker calls
 * it once per poll loop.  No timer per packet.
 */
#ifndef EP_LB_CONN_H
#define EP_LB_CONN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

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

/* A lookup key: a tuple plus family and protocol; build it with the helpers below. */
struct lb_conn_key {
	struct lb_conn_tuple t;
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t proto;	/* IPPROTO_TCP, IPPROTO_UDP */
	uint16_t pad;	/* zero */
};

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
	uint8_t state;	 /* the caller's: TCP state */
	uint8_t flags;	 /* the caller's */
	uint32_t expire; /* absolute, caller's clock; expired when (int32_t)(expire - now) <= 0 */
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

/* Bytes per connection * 32: the entry, plus 12/32 bucket and its overflow byte. */
#define LB_CONN_BYTES_PER_CONN_X32 \
	(32 * sizeof(struct lb_conn) + LB_CONN_BUCKETS_PER_32 * (sizeof(struct lb_conn_bucket) + 1))
_Static_assert(LB_CONN_BYTES_PER_CONN_X32 <= 32 * 128, "at most 128 bytes per connection");
/* 2 index slots per connection leave the slots at most 2/3 full. */
_Static_assert(2 * 32 * 3 <= LB_CONN_BUCKETS_PER_32 * LB_CONN_SLOTS * 2, "index load <= 2/3");

struct lb_conn_table;

static inline void
lb_conn_key_v4(struct lb_conn_key *k, uint8_t proto, uint32_t src, uint32_t dst, uint16_t sport,
	uint16_t dport)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->t.src, &src, 4);
	memcpy(k->t.dst, &dst, 4);
	k->t.sport = sport;
	k->t.dport = dport;
	k->family = AF_INET;
	k->proto = proto;
}

static inline void
lb_conn_key_v6(struct lb_conn_key *k, uint8_t proto, const uint8_t src[16], const uint8_t dst[16],
	uint16_t sport, uint16_t dport)
{
	memcpy(k->t.src, src, 16);
	memcpy(k->t.dst, dst, 16);
	k->t.sport = sport;
	k->t.dport = dport;
	k->family = AF_INET6;
	k->proto = proto;
	k->pad = 0;
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

/* A 32-bit hash of the 40 key bytes (multiply-xorshift mixer); seed per table. */
static inline uint32_t
lb_conn_hash(const struct lb_conn_key *k, uint32_t seed)
{
	uint64_t w[5], h = (uint64_t)seed * 0x9e3779b97f4a7c15ull ^ 0x2545f4914f6cdd1dull;
	unsigned int i;

	memcpy(w, k, sizeof(w));
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

/* True if the entry has expired at time now. */
static inline int
lb_conn_expired(const struct lb_conn *c, uint32_t now)
{
	return (int32_t)(c->expire - now) <= 0;
}

/*
 * Create a table for `capacity` connections (1..LB_CONN_MAX_CAPACITY).
 * Returns 0, -EINVAL or -ENOMEM.
 */
int lb_conn_table_create(uint32_t capacity, uint32_t seed, struct lb_conn_table **out);
void lb_conn_table_free(struct lb_conn_table *t);

/*
 * Have fn(arg, c) called for each connection the table reclaims because
 * it expired (in lookups and sweeps), before its entry is reused, so the
 * caller can close its books (counters, least-connection counts).  Not
 * called by lb_conn_delete(): the caller knows.
 */
typedef void (*lb_conn_release_fn)(void *arg, struct lb_conn *c);
void lb_conn_set_release(struct lb_conn_table *t, lb_conn_release_fn fn, void *arg);

/*
 * Entry i (0..capacity-1) if it holds a connection, else NULL: for
 * listing.  Expired entries not yet reclaimed are returned too (check
 * lb_conn_expired()).  Another thread may read while the owner writes
 * (entries are never unmapped): it may see a torn entry, fine for display
 * and nothing else.
 */
const struct lb_conn *lb_conn_entry(const struct lb_conn_table *t, uint32_t i);

/* The seed given to create (hash keys with lb_conn_hash(key, seed)). */
uint32_t lb_conn_seed(const struct lb_conn_table *t);
uint32_t lb_conn_count(const struct lb_conn_table *t);
uint32_t lb_conn_capacity(const struct lb_conn_table *t);
/* Bytes allocated by the table, all included. */
size_t lb_conn_mem_bytes(const struct lb_conn_table *t);

/*
 * The live connection with key `key` (hash = lb_conn_hash(key, seed)) at
 * time now, or NULL; *dir (if not NULL) gets LB_CONN_DIR_FWD or _REV.
 * Expired matches are reclaimed on the way.
 */
struct lb_conn *lb_conn_lookup(struct lb_conn_table *t, const struct lb_conn_key *key,
	uint32_t hash, uint32_t now, uint8_t *dir);

/*
 * For lookups spread over a whole burst: prefetch a key's home bucket;
 * later (once it has arrived), its first candidate entry.  Then
 * lb_conn_lookup() finds both in cache.
 */
void lb_conn_prefetch(const struct lb_conn_table *t, uint32_t hash);
void lb_conn_prefetch_entry(const struct lb_conn_table *t, uint32_t hash);

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
 * Visit the next `budget` buckets (from a cursor that wraps) and free the
 * connections that have expired at `now`.  Returns how many were freed.
 */
uint32_t lb_conn_sweep(struct lb_conn_table *t, uint32_t now, uint32_t budget);

#endif /* EP_LB_CONN_H */
