/* perm.h - the scan order: a keyed pseudo-random permutation of [0, n) in
 * O(1) memory, and its split into shards for several machines or threads.
 *
 * A sweep of n targets sends probe number `pos` (0, 1, 2, ...) to target
 * icr__perm_at(p, pos).  The order looks random, so consecutive probes hit
 * unrelated networks, yet nothing is stored: the position alone is the
 * scan's whole progress, which is what makes resume and sharding trivial.
 *
 * Construction: a 6-round Feistel network on the smallest power-of-two
 * domain 2^k >= n (so 2^k < 2n), split into unbalanced halves of
 * floor(k/2) and ceil(k/2) bits, with cycle-walking (re-encrypt until the
 * value falls below n, on average fewer than 2 passes).  Not a cipher: it
 * is keyed so scans with different seeds differ and an observer cannot
 * trivially predict the next target, but it makes no cryptographic claim.
 *
 * Pure code: no I/O, no allocation, no globals.  Internal, not exported.
 */
#ifndef ICR_PERM_H
#define ICR_PERM_H

#include <stdbool.h>
#include <stdint.h>

/* Largest n supported: every address of an IPv6 /80. */
#define ICR__PERM_MAX_N (UINT64_C(1) << 48)
#define ICR__PERM_ROUNDS 6

struct icr__perm {
    uint64_t n;
    unsigned lbits;                    /* width of the high half */
    unsigned rbits;                    /* width of the low half */
    uint64_t lmask, rmask;
    uint64_t rkey[ICR__PERM_ROUNDS];   /* round keys derived from the seed */
};

/* Set up the permutation of [0, n), 1 <= n <= ICR__PERM_MAX_N, keyed by
 * `seed`.  The same (n, seed) always gives the same order. */
void icr__perm_init(struct icr__perm *p, uint64_t n, uint64_t seed);

/* The target index at position `pos` of the scan, pos < n.  A bijection on
 * [0, n).  Cost: a few ns (see the diagnostic in tests/test-perm.c). */
uint64_t icr__perm_at(const struct icr__perm *p, uint64_t pos);

/* The inverse: the position at which `index` (< n) is visited. */
uint64_t icr__perm_pos_of(const struct icr__perm *p, uint64_t index);

/* ---- Sharding ----------------------------------------------------------
 * Shard `shard` of `shards` (0 <= shard < shards) visits positions shard,
 * shard + shards, shard + 2*shards, ...  Shards with the same seed and n
 * cover [0, n) exactly once between them, and each sees a random-looking
 * sample of the whole range from its first probe on.
 */

/* How many positions of a scan of n targets belong to the shard. */
uint64_t icr__perm_shard_count(uint64_t n, uint32_t shards, uint32_t shard);

/* Walks one shard.  `done` counts the probes this shard has handed out; it
 * is the shard's whole progress: save it to resume later. */
struct icr__perm_iter {
    const struct icr__perm *perm;
    uint64_t done;   /* probes handed out so far (shard-local) */
    uint64_t count;  /* icr__perm_shard_count() of this shard */
    uint32_t shards;
    uint32_t shard;
};

/* Start (resume_done = 0) or resume shard `shard` of `shards` after
 * `resume_done` probes (a value saved from it->done).  `p` must outlive the
 * iterator. */
void icr__perm_iter_init(struct icr__perm_iter *it, const struct icr__perm *p,
                         uint32_t shards, uint32_t shard, uint64_t resume_done);

/* Next target index of the shard into *ret_index; false when the shard is
 * finished (then *ret_index is untouched). */
bool icr__perm_iter_next(struct icr__perm_iter *it, uint64_t *ret_index);

/* Global position of the shard's probe number `k` (k < shard count). */
static inline uint64_t icr__perm_shard_pos(uint32_t shards, uint32_t shard, uint64_t k)
{
    return (uint64_t)shard + k * shards;
}

#endif /* ICR_PERM_H */
