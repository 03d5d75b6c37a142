/* shard.c - the one sharding rule of every job (sweep, multiping,
 * traceroute), exported so that a tool merging shards' outputs can put
 * them back in input order: the seeded permutation of [0, n) (perm.h),
 * its positions dealt round-robin to the shards. */
#include "icmpring.h"
#include "perm.h"

ICR_EXPORT int icr_shard_of(uint64_t index, uint64_t n, uint64_t seed, uint32_t shards,
                            uint32_t *ret_shard) {
    if (!ret_shard || shards == 0 || n == 0 || n > ICR__PERM_MAX_N || index >= n)
        return ICR_EINVAL;
    struct icr__perm p;
    icr__perm_init(&p, n, seed);
    *ret_shard = (uint32_t)(icr__perm_pos_of(&p, index) % shards);
    return 0;
}
