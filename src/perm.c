/* perm.c - the scan order: keyed Feistel permutation of [0, n) with
 * cycle-walking, and shard iteration over it.  See perm.h for the design.
 */
#include "perm.h"

#include <assert.h>

#include "siphash.h"

/* Round function: a keyed 64-bit mixer (the splitmix64 / Stafford "mix13"
 * finalizer, full avalanche) rather than SipHash itself.  Reason: speed.
 * icr__perm_at runs once per probe, up to 6 rounds x ~2 cycle-walk passes;
 * SipHash-2-4 costs ~11 ns per call (measured, 2-word form), which would
 * put a probe at ~70-140 ns (a 10 Mpps sender has 100 ns in all); the
 * mixer makes it ~11 ns.  SipHash still does the part that needs a
 * PRF: turning (seed, n) into independent round keys. */
static inline uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* Domain separation for the key schedule: "icr-perm" in ASCII. */
#define PERM_KEY_TAG UINT64_C(0x6963722d7065726d)

void icr__perm_init(struct icr__perm *p, uint64_t n, uint64_t seed)
{
    assert(p);
    assert(n >= 1 && n <= ICR__PERM_MAX_N);

    /* k = ceil(log2 n): the smallest power-of-two domain that holds n, so
     * the domain is < 2n and cycle-walking needs < 2 passes on average. */
    unsigned k = 0;
    while (k < 64 && (UINT64_C(1) << k) < n)
        k++;

    const struct icr__sipkey key = { .k0 = seed, .k1 = PERM_KEY_TAG };
    *p = (struct icr__perm){
        .n = n,
        .lbits = k / 2,
        .rbits = k - k / 2,
        .lmask = (UINT64_C(1) << (k / 2)) - 1,
        .rmask = (UINT64_C(1) << (k - k / 2)) - 1,
    };
    /* n is in the key schedule so that sweeps of different sizes with the
     * same seed do not share structure. */
    for (unsigned r = 0; r < ICR__PERM_ROUNDS; r++)
        p->rkey[r] = icr__siphash24_2u64(&key, n, r);
}

/* One pass over the 2^k domain.  Halves: L = high lbits, R = low rbits.
 * Even rounds update L from R, odd rounds R from L; each round is
 * "half ^= F(other half)", invertible whatever the two widths (with lbits
 * = 0, for k = 1, the L rounds are no-ops and R rounds a keyed flip). */
static inline uint64_t feistel(const struct icr__perm *p, uint64_t x)
{
    uint64_t l = x >> p->rbits, r = x & p->rmask;

    for (unsigned i = 0; i < ICR__PERM_ROUNDS; i += 2) {
        l ^= mix64(r ^ p->rkey[i]) & p->lmask;
        r ^= mix64(l ^ p->rkey[i + 1]) & p->rmask;
    }
    return (l << p->rbits) | r;
}

static inline uint64_t feistel_inv(const struct icr__perm *p, uint64_t x)
{
    uint64_t l = x >> p->rbits, r = x & p->rmask;

    for (unsigned i = ICR__PERM_ROUNDS; i > 0; i -= 2) {
        r ^= mix64(l ^ p->rkey[i - 1]) & p->rmask;
        l ^= mix64(r ^ p->rkey[i - 2]) & p->lmask;
    }
    return (l << p->rbits) | r;
}

/* Cycle-walking: the Feistel pass permutes [0, 2^k); following its cycle
 * from pos < n until it lands below n again gives a permutation of [0, n)
 * (Black & Rogaway, "Ciphers with arbitrary finite domains", 2002).  It
 * ends because the cycle returns to pos itself at worst. */
uint64_t icr__perm_at(const struct icr__perm *p, uint64_t pos)
{
    assert(p && pos < p->n);
    uint64_t x = pos;

    do
        x = feistel(p, x);
    while (x >= p->n);
    return x;
}

uint64_t icr__perm_pos_of(const struct icr__perm *p, uint64_t index)
{
    assert(p && index < p->n);
    uint64_t x = index;

    do
        x = feistel_inv(p, x);
    while (x >= p->n);
    return x;
}

uint64_t icr__perm_shard_count(uint64_t n, uint32_t shards, uint32_t shard)
{
    assert(shards >= 1 && shard < shards);
    if (n <= shard)
        return 0;
    /* Positions shard, shard + N, ... below n: 1 + floor((n-1-shard)/N). */
    return 1 + (n - 1 - shard) / shards;
}

void icr__perm_iter_init(struct icr__perm_iter *it, const struct icr__perm *p,
                         uint32_t shards, uint32_t shard, uint64_t resume_done)
{
    assert(it && p);
    assert(shards >= 1 && shard < shards);
    uint64_t count = icr__perm_shard_count(p->n, shards, shard);

    assert(resume_done <= count);
    *it = (struct icr__perm_iter){
        .perm = p,
        .done = resume_done,
        .count = count,
        .shards = shards,
        .shard = shard,
    };
}

bool icr__perm_iter_next(struct icr__perm_iter *it, uint64_t *ret_index)
{
    assert(it && ret_index);
    if (it->done >= it->count)
        return false;
    *ret_index = icr__perm_at(it->perm, icr__perm_shard_pos(it->shards, it->shard, it->done));
    it->done++;
    return true;
}
