/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Schedulers of the L4 load balancer: which real server gets a new
 * connection.  DPDK-free.
 *
 * Life cycle.  The main lcore builds a struct lb_sched from a service's
 * backend array (lb_sched_build(), which allocates), publishes it to the
 * workers with one atomic pointer store (RCU), and frees the old one once
 * every worker has passed a quiescent point.  A built scheduler is never
 * written again: any change of state, weight or membership is a rebuild.
 * Workers call lb_sched_pick() for each new connection: no allocation, no
 * lock, no write to shared memory, O(1) or O(log n), deterministic.
 *
 * Backend ids are indices into the array given to the build; the caller
 * keeps them stable across rebuilds (a removed server becomes a hole with
 * state down, not a shift), so per-backend counters and connection
 * entries stay valid.  Only backends that are up with a non-zero weight
 * are eligible for new connections; down, disabled and draining ones are
 * never picked.
 *
 * Per-worker state.  Everything a pick changes lives in a struct
 * lb_pick_ctx that each worker keeps per service (rr/wrr position) and,
 * for least_conn and wlc, in that worker's struct lb_conns (connection
 * counts, see below).  Several workers may share one lb_sched; no two
 * workers share a ctx or an lb_conns.
 *
 * The schedulers:
 *  - rr: the eligible backends in id order, weights ignored.
 *  - wrr: smooth weighted round robin by a golden-ratio walk.  The
 *    reduced weights w_i / gcd lay out a line of W = sum(w_i / gcd)
 *    points, backend i owning w_i / gcd consecutive ones.  The walk
 *    steps x -> (x + F_(k-1)) mod F_k, F_k the smallest Fibonacci number
 *    >= W, skipping the points >= W (never two in a row), so any W
 *    consecutive picks visit every point once: exactly w_i / gcd picks of
 *    backend i per cycle (3:1 gives A B A A), and by the three-gap
 *    theorem no backend waits more than about phi^2 = 2.6 times its even
 *    spacing W / w_i.  State: one uint32; O(log n) per pick.  (Neither
 *    nginx's smooth WRR, which needs an O(n) array per worker and an O(n)
 *    scan per pick, nor LVS's interleaved WRR, which scans up to n
 *    backends per pick and sends a heavy backend's picks in a burst.)
 *  - least_conn, wlc: the minimum of active connections (wlc: of
 *    active / weight, compared by cross-multiplication) over a per-worker
 *    tournament tree: O(1) pick, O(log n) per connection open or close.
 *  - source_hash: the flow hash mapped onto the weight line, binary
 *    search: exact weight shares, stable while the set is stable.
 *  - maglev: Maglev consistent hashing (Eisenbud et al., NSDI 2016), a
 *    lookup table of prime size M >= 65537; O(1).  Weights are honoured by
 *    giving backends turns in proportion to their weights while the table
 *    is populated, so each holds M * w_i / sum(w) entries (to within one).
 *
 * source_hash and maglev mix the flow hash themselves, so the caller may
 * pass any 32-bit hash of the client (e.g. a CRC of the source address),
 * including one that also chose the owner worker.
 */
#ifndef EP_LB_SCHED_H
#define EP_LB_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LB_BACKENDS_MAX 4096	     /* backends per scheduler */
#define LB_WEIGHT_MAX 65535	     /* weights are 1..LB_WEIGHT_MAX; 0 is never picked */
#define LB_MAGLEV_SIZE_DEFAULT 65537 /* prime; the paper's M >= 100 * N up to 655 backends */
#define LB_MAGLEV_SIZE_MAX (1u << 24)

struct lb_conns;

/* The same order as enum prof_sched, so a profile value maps one to one. */
enum lb_sched_kind {
	LB_SCHED_RR = 0,
	LB_SCHED_WRR,
	LB_SCHED_LEAST_CONN,
	LB_SCHED_WLC,
	LB_SCHED_SOURCE_HASH,
	LB_SCHED_MAGLEV,
	LB_SCHED_KIND_MAX,
};

enum lb_backend_state {
	LB_BACKEND_UP = 0,
	LB_BACKEND_DOWN,     /* failed health checks */
	LB_BACKEND_DISABLED, /* by the operator */
	LB_BACKEND_DRAINING, /* no new connections; existing ones finish */
	LB_BACKEND_STATE_MAX,
};

/* One real server as the schedulers see it; an array indexed by backend id. */
struct lb_backend {
	uint64_t key;	 /* stable identity (lb_backend_key()): Maglev's permutation */
	uint32_t weight; /* 0..LB_WEIGHT_MAX */
	uint8_t state;	 /* enum lb_backend_state */
};

/*
 * A built scheduler: read-only once built, shared by every worker.  The
 * layout is public for lb_sched_eligible(); other fields are internal.
 */
struct lb_sched {
	uint32_t kind;		/* enum lb_sched_kind */
	uint32_t n;		/* backend ids 0..n-1 */
	uint32_t n_up;		/* eligible backends */
	uint32_t gen;		/* build number, never 0: per-worker caches compare it */
	uint32_t total;		/* wrr, source_hash: W, the sum of the reduced weights */
	uint32_t period;	/* wrr: the walk's period, a Fibonacci number >= total */
	uint32_t stride;	/* wrr: the walk's step, the Fibonacci number before period */
	uint32_t table_size;	/* maglev: M */
	const uint32_t *weight; /* n weights; 0 for an ineligible backend */
	const uint16_t *up_ids; /* the n_up eligible ids, ascending */
	const uint32_t *cum;	/* wrr, source_hash: n_up inclusive prefix sums */
	const uint16_t *table;	/* maglev: M backend ids */
};

/*
 * Per-worker, per-service pick state.  Initialise with lb_pick_ctx_init();
 * it survives rebuilds of the scheduler it is used with.
 */
struct lb_pick_ctx {
	uint32_t pos;		/* rr: next eligible index; wrr: next point */
	struct lb_conns *conns; /* least_conn, wlc: this worker's counts */
};

/* Is a backend eligible for new connections: up, with a weight. */
static inline bool
lb_backend_eligible(const struct lb_backend *b)
{
	return b->state == LB_BACKEND_UP && b->weight != 0;
}

/*
 * Was backend id eligible when s was built (a persistence hit is honoured
 * only if so).  Any id; out of range is not eligible.
 */
static inline bool
lb_sched_eligible(const struct lb_sched *s, uint32_t id)
{
	return id < s->n && s->weight[id] != 0;
}

/*
 * A 64-bit key from a backend's identity bytes (say its address followed
 * by its port), for struct lb_backend.key.  Equal bytes, equal key, on
 * every host and build.
 */
uint64_t lb_backend_key(const void *id, size_t len);

/*
 * Build a scheduler over backends[0..n-1] (main lcore; allocates).  maglev
 * gets LB_MAGLEV_SIZE_DEFAULT entries.  0, or -EINVAL (bad kind, n above
 * LB_BACKENDS_MAX, a weight above LB_WEIGHT_MAX, a bad state) or -ENOMEM.
 * n may be 0, or no backend eligible: every pick then returns -1.
 */
int lb_sched_build(enum lb_sched_kind kind, const struct lb_backend *backends, unsigned int n,
	struct lb_sched **out);

/* Maglev with a table of table_size entries: a prime, 65537..LB_MAGLEV_SIZE_MAX. */
int lb_sched_build_maglev(const struct lb_backend *backends, unsigned int n, uint32_t table_size,
	struct lb_sched **out);

/* Free a scheduler no worker can still see (after the RCU grace period).  NULL is fine. */
void lb_sched_free(struct lb_sched *s);

/* "rr", "wrr", "least_conn", "wlc", "source_hash", "maglev"; "?" otherwise. */
const char *lb_sched_kind_name(enum lb_sched_kind kind);

/*
 * Worker: seed spreads workers' starting points (rr, wrr) and their
 * tie-breaks (least_conn, wlc), e.g. the worker index.  conns is needed by
 * least_conn and wlc (without it they pick nothing), ignored otherwise.
 */
void lb_pick_ctx_init(struct lb_pick_ctx *ctx, uint32_t seed, struct lb_conns *conns);

/*
 * Worker: the backend id for a new connection, or -1 when none is
 * eligible.  flow_hash matters to source_hash and maglev only.
 */
int lb_sched_pick(const struct lb_sched *s, struct lb_pick_ctx *ctx, uint32_t flow_hash);

/* Maglev's table (M backend ids; filled when any backend is eligible), or NULL. */
const uint16_t *lb_sched_maglev_table(const struct lb_sched *s, uint32_t *size);

/*
 * Active-connection counts for least_conn and wlc, without cross-core
 * writes.
 *
 * Each worker owns one struct lb_conns per service and counts its own
 * connections in it (lb_conns_open() when it creates one towards a
 * backend, lb_conns_close() when it ends).  The main lcore periodically
 * reads every worker's own counts (lb_conns_sum(), reads only) and
 * publishes for each worker the sum of the *other* workers' counts; the
 * worker adopts that snapshot with lb_conns_set_others().  A worker's
 * estimate of backend i is others[i] + own[i]: exact for its own
 * connections, at most one period old for the rest.  Only the owner
 * writes its lb_conns; the main lcore reads `own` with relaxed atomics.
 *
 * The estimates sit in a tournament tree whose root is the best backend,
 * so a pick is O(1) and an open or close O(log n); the tree is rebuilt
 * (O(n)) at the first pick after a new scheduler or a new snapshot.
 * Ties go to the backend first in a per-worker rotation of the ids that
 * starts at seed % n (wlc: to the higher weight first), so the workers do
 * not all pile onto backend 0 while their snapshots are stale.
 */

/* Main lcore: counts for backend ids 0..cap-1 (ids >= cap are never picked). */
struct lb_conns *lb_conns_create(unsigned int cap, uint32_t seed);
void lb_conns_free(struct lb_conns *c);

/* Owner worker: a connection to backend id was created / has ended. */
void lb_conns_open(struct lb_conns *c, uint32_t id);
void lb_conns_close(struct lb_conns *c, uint32_t id);

/* Owner worker: adopt the other workers' counts others[0..n-1] (missing ids: 0). */
void lb_conns_set_others(struct lb_conns *c, const uint32_t *others, unsigned int n);

/* Any thread: this worker's own active connections to backend id. */
uint32_t lb_conns_own(const struct lb_conns *c, uint32_t id);

/*
 * Main lcore: read the n_workers workers' own counts for ids 0..n-1 once
 * each and write total[id] (NULL: skip) and others[w * n + id], the sum
 * over every worker but w (NULL: skip).
 */
void lb_conns_sum(const struct lb_conns *const *workers, unsigned int n_workers, unsigned int n,
	uint32_t *total, uint32_t *others);

#endif /* EP_LB_SCHED_H */
