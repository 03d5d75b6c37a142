/* sweep.c - the sweep job: find every live host of a target set.
 *
 * Only the sweep's own logic lives here: the seeded permutation and its
 * shards, the alive/deduplication bitmaps, and the icr_sweep_* API.  The
 * engine (engine.c) sends, receives and validates.
 *
 * Deduplication is lock-free: one bit per target for "answered", one per
 * target for "error reported", and for count 2-64 one bit per (target,
 * probe), so that with ICR_SWEEP_ALL_REPLIES the first reply to each probe
 * is not a duplicate and a repeat of any probe is.  The maps are mapped
 * lazily (MAP_NORESERVE): a huge, mostly silent space costs only the pages
 * that replies touch.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <errno.h>

#include "abi.h"
#include "engine.h"
#include "icmpring.h"
#include "perm.h"
#include "probe.h"

/* Per-(target, probe) bits only while they fit in this much address space;
 * above it (or beyond 64 probes) a repeat is told per target only. */
#define PBITS_MAX_BITS ((uint64_t)1 << 36)

struct icr_sweep {
    icr_targets *targets;
    struct icr_sweep_opts o;
    uint64_t n;               /* targets in the set */
    struct icr__perm perm;
    uint64_t per_pass;        /* this shard's targets */
    struct icr__engine *e;

    _Atomic uint64_t *alive;  /* one bit per target: answered */
    _Atomic uint64_t *erred;  /* one bit per target: error reported */
    size_t bitmap_bytes;
    _Atomic uint64_t *pbits;  /* one bit per (target, probe), or NULL */
    size_t pbits_bytes;
    uint64_t answered;        /* distinct (target, probe) echo answers */
};

static void *map_bitmap(size_t bytes) {
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static bool test_and_set(_Atomic uint64_t *map, uint64_t i) {
    uint64_t bit = 1ull << (i & 63);
    return atomic_fetch_or_explicit(&map[i >> 6], bit, memory_order_relaxed) & bit;
}

static bool test_bit(_Atomic uint64_t *map, uint64_t i) {
    return (atomic_load_explicit(&map[i >> 6], memory_order_relaxed) >> (i & 63)) & 1;
}

/* ---- the job --------------------------------------------------------- */

static bool sweep_probe_at(void *job, uint32_t pass, uint64_t pos, struct icr__probe *ret) {
    struct icr_sweep *s = job;
    (void)pass;
    uint64_t index = icr__perm_at(&s->perm, icr__perm_shard_pos(s->o.shards, s->o.shard, pos));
    if (icr_targets_get(s->targets, index, &ret->dst) < 0)
        return false;
    ret->index = index;
    ret->hop = (uint8_t)s->o.ttl;
    return true;
}

static bool sweep_on_result(void *job, struct icr_result *r) {
    struct icr_sweep *s = job;
    bool hit = false;
    if (r->kind == ICR_RESULT_ECHO) {
        hit = !test_and_set(s->alive, r->index);
        if (s->pbits)
            r->duplicate = test_and_set(s->pbits, r->index * s->o.count + r->probe);
        else
            r->duplicate = !hit;
        if (!r->duplicate)
            s->answered++;
    } else {
        /* An error after an answer, or a second error: not news. */
        r->duplicate = test_and_set(s->erred, r->index) || test_bit(s->alive, r->index);
    }
    if (s->o.on_result && (!r->duplicate || (s->o.flags & ICR_SWEEP_ALL_REPLIES)))
        s->o.on_result(r, s->o.userdata);
    return hit;
}

/* Every target answered every probe: nothing is left to learn (fping ends
 * there too), so the rest of the cooldown can go.  Counted from distinct
 * (target, probe) answers, never from duplicates. */
static bool sweep_finished(void *job) {
    const struct icr_sweep *s = job;
    if (!s->o.count)
        return false;
    if (!s->pbits && s->o.count > 1)
        return false; /* repeats cannot be told apart: wait the cooldown */
    return s->answered >= s->per_pass * s->o.count;
}

static int sweep_lookup(void *job, const struct icr_addr *dst, uint64_t *ret_index) {
    struct icr_sweep *s = job;
    return icr_targets_index(s->targets, dst, ret_index);
}

static const struct icr__job_ops sweep_ops = {
    .probe_at = sweep_probe_at,
    .on_result = sweep_on_result,
    .finished = sweep_finished,
    .lookup = sweep_lookup,
};

/* ---- the API --------------------------------------------------------- */

static int check_opts(const struct icr_sweep_opts *o) {
    if (o->size < sizeof(struct icr_sweep_opts) || o->count == UINT32_MAX ||
        o->shards < 1 || o->shard >= o->shards ||
        /* Random seeds would give every shard its own order: overlap. */
        (o->shards > 1 && o->seed == 0) || o->senders > 2 ||
        o->payload_size < ICR__PROBE_HDR || o->payload_size > ICR__ENGINE_MAX_PAYLOAD ||
        (o->flags & ~(ICR_SWEEP_SINGLE_RECV | ICR_SWEEP_NO_URING | ICR_SWEEP_SOCKET_RECV |
                       ICR_SWEEP_RING_RECV | ICR_SWEEP_ALL_REPLIES)) ||
        !icr__transport_ok(o->transport, o->privilege))
        return ICR_EINVAL;
    return 0;
}

ICR_EXPORT int icr_sweep_new(icr_targets *targets, const struct icr_sweep_opts *opts,
                             icr_sweep **ret_sweep) {
    struct icr_sweep_opts in = ICR_SWEEP_OPTS_INIT;
    struct icr_sweep *s;
    int r;

    /* The caller's options over the defaults, by the size rule (abi.h). */
    if (opts && icr__abi_copy_in(&in, sizeof(in), opts, ICR__ABI_MIN_SWEEP_OPTS) < 0)
        return ICR_EINVAL;
    opts = &in;
    if (!targets || !ret_sweep || check_opts(opts) < 0)
        return ICR_EINVAL;
    uint64_t n = icr_targets_count(targets);
    if (n == 0)
        return ICR_EINVAL;

    s = calloc(1, sizeof(*s));
    if (!s)
        return ICR_ENOMEM;
    s->targets = targets;
    s->o = *opts;
    s->n = n;

    /* Which families the set holds: IPv4 intervals come first. */
    struct icr_addr first, last;
    if ((r = icr_targets_get(targets, 0, &first)) < 0 ||
        (r = icr_targets_get(targets, n - 1, &last)) < 0)
        goto fail;

    uint64_t seed = opts->seed;
    if (seed == 0 && getrandom(&seed, sizeof(seed), 0) != (ssize_t)sizeof(seed)) {
        r = -errno;
        goto fail;
    }
    s->o.seed = seed;
    icr__perm_init(&s->perm, n, seed);
    s->per_pass = icr__perm_shard_count(n, opts->shards, opts->shard);
    if (s->per_pass == 0) {
        r = ICR_EINVAL; /* a shard with no targets */
        goto fail;
    }

    s->bitmap_bytes = (size_t)((n + 63) / 64) * 8;
    s->alive = map_bitmap(s->bitmap_bytes);
    s->erred = map_bitmap(s->bitmap_bytes);
    if (!s->alive || !s->erred) {
        r = ICR_ENOMEM;
        goto fail;
    }
    uint64_t pb;
    if (opts->count >= 2 && opts->count <= 64 &&
        !__builtin_mul_overflow(n, (uint64_t)opts->count, &pb) && pb <= PBITS_MAX_BITS) {
        s->pbits_bytes = (size_t)((pb + 63) / 64) * 8;
        if (!(s->pbits = map_bitmap(s->pbits_bytes))) {
            r = ICR_ENOMEM;
            goto fail;
        }
    }

    const struct icr__engine_cfg cfg = {
        .ops = &sweep_ops,
        .job = s,
        .nindex = n,
        .per_pass = s->per_pass,
        .count = opts->count,
        .interval = opts->interval,
        .cooldown = opts->cooldown,
        .rate = opts->rate,
        .ttl = opts->ttl,
        .traffic_class = opts->traffic_class,
        .payload_size = opts->payload_size,
        .privilege = opts->privilege,
        .single_recv = opts->flags & ICR_SWEEP_SINGLE_RECV,
        .no_uring = opts->flags & ICR_SWEEP_NO_URING,
        .socket_recv = opts->flags & ICR_SWEEP_SOCKET_RECV,
        .ring_recv = opts->flags & ICR_SWEEP_RING_RECV,
        .batch = opts->batch,
        .senders = opts->senders,
        .want4 = first.family == AF_INET,
        .want6 = last.family == AF_INET6,
        .source4 = opts->source4,
        .source6 = opts->source6,
        .seed = seed,
        .start = opts->start_position,
        .transport = opts->transport,
    };
    if ((r = icr__engine_new(&cfg, &s->e)) < 0)
        goto fail;
    *ret_sweep = s;
    return 0;
fail:
    icr_sweep_free(s);
    return r;
}

ICR_EXPORT icr_sweep *icr_sweep_free(icr_sweep *s) {
    if (!s)
        return NULL;
    s->e = icr__engine_free(s->e);
    if (s->alive)
        munmap((void *)s->alive, s->bitmap_bytes);
    if (s->erred)
        munmap((void *)s->erred, s->bitmap_bytes);
    if (s->pbits)
        munmap((void *)s->pbits, s->pbits_bytes);
    free(s);
    return NULL;
}

ICR_EXPORT int icr_sweep_step(icr_sweep *s, int64_t timeout_ns) {
    return s ? icr__engine_step(s->e, timeout_ns) : ICR_EINVAL;
}

ICR_EXPORT int icr_sweep_run(icr_sweep *s) {
    return s ? icr__engine_run(s->e) : ICR_EINVAL;
}

ICR_EXPORT int icr_sweep_get_fd(const icr_sweep *s) {
    return s ? icr__engine_get_fd(s->e) : ICR_EINVAL;
}

ICR_EXPORT int64_t icr_sweep_get_timeout_ns(const icr_sweep *s) {
    return s ? icr__engine_get_timeout_ns(s->e) : ICR_EINVAL;
}

ICR_EXPORT void icr_sweep_stop(icr_sweep *s) {
    if (s)
        icr__engine_stop(s->e);
}

ICR_EXPORT int icr_sweep_get_stats(const icr_sweep *s, struct icr_sweep_stats *ret) {
    /* size 0: a zero-initialised struct, taken as the current one; an
     * older caller's smaller struct gets what fits (abi.h). */
    struct icr_sweep_stats st;
    if (!s || !ret || icr__abi_check_out(ret, ICR__ABI_MIN_SWEEP_STATS) < 0)
        return ICR_EINVAL;
    icr__engine_stats(s->e, &st);
    icr__abi_copy_out(ret, &st, sizeof(st));
    return 0;
}

ICR_EXPORT int icr_sweep_is_alive(const icr_sweep *s, uint64_t index) {
    if (!s || index >= s->n)
        return ICR_EINVAL;
    return test_bit(s->alive, index);
}

ICR_EXPORT int icr_sweep_get_position(const icr_sweep *s, uint64_t *ret_position) {
    if (!s || !ret_position)
        return ICR_EINVAL;
    *ret_position = icr__engine_position(s->e);
    return 0;
}
