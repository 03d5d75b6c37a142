/* trace.c - the traceroute job, and icmplib's blocking traceroute() on it.
 *
 * Only the job's own logic lives here.  A pass of the engine is one probe
 * to every (destination, TTL) pair from first_hop to max_hops, in a seeded
 * random order over all pairs when there are many destinations (yarrp), so
 * every TTL is in flight at once (traceroute -N, mtr) and no router sees a
 * burst.  Passes (count) are spaced by `interval`.  The engine's probe
 * format carries the hop and probe number in the tag, so a router's 8-byte
 * quote names its probe; every probe to one destination has the same ICMP
 * checksum (Paris traceroute), so per-flow load balancers keep one path.
 *
 * Per destination the job keeps a few bytes (the distance still of
 * interest, flags) plus two counters per hop; the hop details (responder,
 * RTTs) are allocated when its first reply comes and freed once the
 * destination's route has been handed to the caller.
 *
 * Where icmpring differs from icmplib 3.0.4 (icmplib/traceroute.py), on
 * purpose:
 *  - icmplib probes one TTL at a time and waits up to `timeout` per probe;
 *    here all TTLs are in flight at once and `timeout` is the wait after
 *    the last probe.
 *  - icmplib ignores `fast`; here a hop that answered gets no more probes.
 *  - icmplib goes on past a Destination Unreachable from a router to
 *    max_hops; here it ends the route at that router, with its error kept,
 *    like traceroute(8)'s !N/!H/!X.
 *  - `id` is ignored: the id field carries the keyed MAC.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "abi.h"
#include "engine.h"
#include "icmpring.h"
#include "perm.h"
#include "probe.h"

enum { D_REACHED = 1u << 0, D_ENDED = 1u << 1, D_DONE = 1u << 2 };

struct thop {
    struct icr_addr addr;      /* the last responder at this distance */
    int err;                   /* error kind of its last reply, 0 if TE/echo */
    uint8_t err_type, err_code;
    bool any;
};

struct dest {
    _Atomic uint8_t limit;     /* the farthest distance still of interest */
    uint8_t flags;             /* D_* (stepping thread) */
    struct thop *hops;         /* nh entries, then nh * count RTTs (ms, < 0: none) */
};

struct icr_trace {
    icr_targets *targets;
    struct icr_trace_opts o;
    uint64_t n;                /* destinations */
    unsigned nh;               /* distances first_hop..max_hops */
    struct icr__perm perm;
    uint64_t bpairs;           /* window: pairs per block (0: one block) */
    uint64_t nfull;            /* blocks of bpairs pairs; then a shorter last one */
    struct icr__perm lperm;    /* the last, shorter block's order */
    struct dest *dests;
    _Atomic uint8_t *sent;     /* n * nh: probes the kernel accepted */
    _Atomic uint8_t *answered; /* n * nh: probes answered (any kind) */
    uint64_t ndone;            /* destinations of other shards count as done */
    uint32_t *sel;             /* this shard's destinations in index order */
    uint64_t nsel;
    uint64_t start;            /* sel[0..start) were traced by an earlier run */
    uint64_t prefix;           /* sel[0..prefix) are done: the position */
    struct icr__engine *e;
    bool flushed;
};

static float *rtt_row(const struct icr_trace *t, const struct dest *d, unsigned h) {
    return (float *)(d->hops + t->nh) + (size_t)h * t->o.count;
}

static unsigned need(const struct icr_trace *t) {
    return t->o.fast ? 1 : t->o.count;
}

/* ---- the job --------------------------------------------------------- */

static bool tr_probe_at(void *job, uint32_t pass, uint64_t pos, struct icr__probe *ret) {
    struct icr_trace *t = job;
    (void)pass;
    uint64_t x;
    if (t->bpairs) {
        /* Blocks of `window` destinations in index order, shuffled inside. */
        uint64_t b = pos / t->bpairs, w = pos % t->bpairs;
        x = b * t->bpairs + icr__perm_at(b < t->nfull ? &t->perm : &t->lperm, w);
    } else {
        x = t->nsel - t->start > 1 ? icr__perm_at(&t->perm, pos) : pos;
    }
    uint64_t di = t->sel[t->start + x / t->nh];
    unsigned h = (unsigned)(x % t->nh);
    int hop = t->o.first_hop + (int)h;
    const struct dest *d = &t->dests[di];
    /* Beyond the destination (or the router that said unreachable): not
     * sent.  With fast, a hop that answered gets no more. */
    if (hop > atomic_load_explicit(&d->limit, memory_order_relaxed) ||
        (t->o.fast &&
         atomic_load_explicit(&t->answered[di * t->nh + h], memory_order_relaxed)))
        return false;
    if (icr_targets_get(t->targets, di, &ret->dst) < 0)
        return false;
    ret->index = di;
    ret->hop = (uint8_t)hop;
    return true;
}

static void tr_on_sent(void *job, const struct icr__probe *p, int res) {
    struct icr_trace *t = job;
    if (res >= 0)
        atomic_fetch_add_explicit(&t->sent[p->index * t->nh + (unsigned)(p->hop - t->o.first_hop)], 1,
                                  memory_order_relaxed);
}

static void report(struct icr_trace *t, uint64_t di, bool complete);

/* Every distance up to the limit has its answers. */
static bool dest_complete(const struct icr_trace *t, uint64_t di) {
    const struct dest *d = &t->dests[di];
    int limit = atomic_load_explicit(&d->limit, memory_order_relaxed);
    for (int hop = t->o.first_hop; hop <= limit; hop++)
        if (atomic_load_explicit(&t->answered[di * t->nh + (unsigned)(hop - t->o.first_hop)],
                                 memory_order_relaxed) < need(t))
            return false;
    return true;
}

static void lower_limit(struct dest *d, int hop) {
    if (hop < atomic_load_explicit(&d->limit, memory_order_relaxed))
        atomic_store_explicit(&d->limit, (uint8_t)hop, memory_order_relaxed);
}

static bool tr_on_result(void *job, struct icr_result *r) {
    struct icr_trace *t = job;
    struct dest *d = &t->dests[r->index];
    int hop = r->hop;
    r->duplicate = true;
    if (hop < t->o.first_hop || hop > t->o.max_hops || (d->flags & D_DONE))
        return false;
    unsigned h = (unsigned)(hop - t->o.first_hop);
    if (!d->hops) {
        size_t bytes = t->nh * sizeof(struct thop) + (size_t)t->nh * t->o.count * sizeof(float);
        if (!(d->hops = malloc(bytes)))
            return false;
        memset(d->hops, 0, t->nh * sizeof(struct thop));
        float *rt = (float *)(d->hops + t->nh);
        for (size_t k = 0; k < (size_t)t->nh * t->o.count; k++)
            rt[k] = -1.0f;
    }
    float *row = rtt_row(t, d, h);
    if (r->probe < t->o.count && row[r->probe] < 0) {
        r->duplicate = false;
        row[r->probe] = r->rtt_ns >= 0 ? (float)((double)r->rtt_ns / 1e6) : 0.0f;
        atomic_fetch_add_explicit(&t->answered[r->index * t->nh + h], 1, memory_order_relaxed);
        struct thop *th = &d->hops[h];
        th->any = true;
        th->addr = r->responder;
        th->err = 0;
        if (r->kind == ICR_RESULT_ECHO) {
            /* The destination itself: nothing beyond it is of interest. */
            if (icr_addr_equal(&r->responder, &r->target)) {
                d->flags |= D_REACHED;
                lower_limit(d, hop);
            }
        } else {
            int e = icr_reply_raise_for_status(&(struct icr_reply){
                .size = sizeof(struct icr_reply), .family = r->target.family, .type = r->type,
                .code = r->code});
            th->err_type = (uint8_t)r->type;
            th->err_code = (uint8_t)r->code;
            if (e != ICR_ETIMEEXCEEDED) {
                /* Unreachable (or another error) ends the route here. */
                th->err = e < 0 ? e : ICR_EICMP;
                d->flags |= D_ENDED;
                lower_limit(d, hop);
            }
        }
    }
    if (t->o.on_result && !r->duplicate)
        t->o.on_result(r, t->o.userdata);
    if (!(d->flags & D_DONE) && dest_complete(t, r->index))
        report(t, r->index, true);
    return false;
}

static bool tr_finished(void *job) {
    const struct icr_trace *t = job;
    return t->ndone == t->n;
}

static int tr_lookup(void *job, const struct icr_addr *dst, uint64_t *ret_index) {
    struct icr_trace *t = job;
    return icr_targets_index(t->targets, dst, ret_index);
}

static const struct icr__job_ops trace_ops = {
    .probe_at = tr_probe_at,
    .on_sent = tr_on_sent,
    .on_result = tr_on_result,
    .finished = tr_finished,
    .lookup = tr_lookup,
};

/* ---- results --------------------------------------------------------- */

/* Hand destination di's route to the caller and free its details. */
static void report(struct icr_trace *t, uint64_t di, bool complete) {
    struct dest *d = &t->dests[di];
    int limit = atomic_load_explicit(&d->limit, memory_order_relaxed);
    d->flags |= D_DONE;
    t->ndone++;
    while (t->prefix < t->nsel && (t->dests[t->sel[t->prefix]].flags & D_DONE))
        t->prefix++;
    /* Nothing more to send to it. */
    atomic_store_explicit(&d->limit, 0, memory_order_relaxed);
    if (t->o.on_trace) {
        struct icr_hop *hops = NULL;
        size_t nhops = 0;
        double *rtts = NULL;
        if (d->hops) {
            hops = calloc(t->nh, sizeof(*hops));
            rtts = malloc((size_t)t->nh * t->o.count * sizeof(double));
        }
        /* What was learnt beyond the final distance is not reported. */
        for (int hop = t->o.first_hop; hops && rtts && hop <= limit; hop++) {
            unsigned h = (unsigned)(hop - t->o.first_hop);
            const struct thop *th = &d->hops[h];
            if (!th->any)
                continue;
            const float *row = rtt_row(t, d, h);
            double *mine = rtts + (size_t)h * t->o.count;
            size_t k = 0;
            for (uint32_t p = 0; p < t->o.count; p++)
                if (row[p] >= 0)
                    mine[k++] = row[p];
            struct icr_hop *out = &hops[nhops++];
            /* An answered probe was sent, even when its send completion has
             * not been counted yet (a reply can overtake it). */
            uint64_t sent = atomic_load_explicit(&t->sent[di * t->nh + h], memory_order_relaxed);
            out->distance = hop;
            out->host = (struct icr_host){
                .size = sizeof(struct icr_host),
                .address = th->addr,
                .packets_sent = sent > k ? sent : k,
                .error = th->err,
                .error_type = th->err ? th->err_type : 0,
                .error_code = th->err ? th->err_code : 0,
                .error_source = th->err ? th->addr : (struct icr_addr){.family = AF_UNSPEC},
            };
            (void)icr_host_stats(&out->host, mine, k);
            out->host.rtts = mine;
            /* The end of the route: the destination, or the router that
             * said it was unreachable. */
            struct icr_addr dst;
            if (th->err || (icr_targets_get(t->targets, di, &dst) == 0 &&
                            icr_addr_equal(&dst, &th->addr)))
                break;
        }
        struct icr_trace_result res = {
            .size = sizeof(res),
            .index = di,
            .hops = hops,
            .nhops = nhops,
            .reached = d->flags & D_REACHED,
            .complete = complete,
        };
        (void)icr_targets_get(t->targets, di, &res.target);
        t->o.on_trace(&res, t->o.userdata);
        free(hops);
        free(rtts);
    }
    free(d->hops);
    d->hops = NULL;
}

static void flush_dests(struct icr_trace *t, bool complete) {
    if (t->flushed)
        return;
    t->flushed = true;
    for (uint64_t i = 0; i < t->n; i++)
        if (!(t->dests[i].flags & D_DONE))
            report(t, i, complete);
}

/* ---- the API --------------------------------------------------------- */

static int check_opts(const struct icr_trace_opts *o) {
    if (o->size < sizeof(struct icr_trace_opts) || o->count < 1 || o->count > 255 ||
        !(o->interval >= 0 && o->interval <= 86400) || !(o->timeout >= 0 && o->timeout <= 86400) ||
        o->first_hop < 1 || o->first_hop > 255 || o->max_hops < o->first_hop ||
        o->max_hops > 255 || o->payload_size < ICR__PROBE_HDR ||
        o->payload_size > ICR__ENGINE_MAX_PAYLOAD || o->traffic_class < 0 ||
        o->traffic_class > 255 ||
        (o->family != AF_UNSPEC && o->family != AF_INET && o->family != AF_INET6) ||
        (o->flags & ~(ICR_SWEEP_SINGLE_RECV | ICR_SWEEP_NO_URING | ICR_SWEEP_SOCKET_RECV |
                       ICR_SWEEP_RING_RECV)) ||
        /* Random seeds would give every shard its own split: overlap. */
        o->shards < 1 || o->shard >= o->shards || (o->shards > 1 && o->seed == 0) ||
        !icr__transport_ok(o->transport, o->privilege))
        return ICR_EINVAL;
    return 0;
}

/* This shard's destinations in index order (icr_shard_of's rule), from
 * start_position on; the others are done from the start, unreported. */
static int select_dests(struct icr_trace *t) {
    struct icr__perm p;
    if (t->o.shards > 1)
        icr__perm_init(&p, t->n, t->o.seed);
    if (!(t->sel = malloc(t->n * sizeof(*t->sel))))
        return ICR_ENOMEM;
    for (uint64_t i = 0; i < t->n; i++)
        if (t->o.shards == 1 || icr__perm_pos_of(&p, i) % t->o.shards == t->o.shard)
            t->sel[t->nsel++] = (uint32_t)i;
    if (t->o.start_position >= t->nsel)
        return ICR_EINVAL; /* a shard with no destinations, or none left */
    t->start = t->prefix = t->o.start_position;
    for (uint64_t i = 0; i < t->n; i++)
        t->dests[i].flags = D_DONE;
    for (uint64_t k = t->start; k < t->nsel; k++)
        t->dests[t->sel[k]].flags = 0;
    t->ndone = t->n - (t->nsel - t->start);
    return 0;
}

ICR_EXPORT int icr_trace_new(icr_targets *targets, const struct icr_trace_opts *opts,
                             icr_trace **ret_trace) {
    struct icr_trace_opts in = ICR_TRACE_OPTS_INIT;
    struct icr_trace *t;
    int r;
    /* The caller's options over the defaults, by the size rule (abi.h). */
    if (opts && icr__abi_copy_in(&in, sizeof(in), opts, ICR__ABI_MIN_TRACE_OPTS) < 0)
        return ICR_EINVAL;
    opts = &in;
    if (!targets || !ret_trace || check_opts(opts) < 0)
        return ICR_EINVAL;
    uint64_t n = icr_targets_count(targets);
    unsigned nh = (unsigned)(opts->max_hops - opts->first_hop + 1);
    uint64_t per_pass;
    /* Per-destination state is allocated up front: keep it to what a
     * machine holds (2^32 destinations). */
    if (n == 0 || n > ((uint64_t)1 << 32) || __builtin_mul_overflow(n, (uint64_t)nh, &per_pass))
        return ICR_EINVAL;

    struct icr__engine_cfg cfg = {
        .ops = &trace_ops,
        .nindex = n,
        .per_pass = per_pass,
        .count = opts->count,
        .interval = opts->interval,
        .cooldown = opts->timeout,
        .rate = opts->rate,
        .ttl = opts->first_hop,
        .traffic_class = opts->traffic_class,
        .payload_size = opts->payload_size,
        .privilege = opts->privilege,
        .single_recv = opts->flags & ICR_SWEEP_SINGLE_RECV,
        .no_uring = opts->flags & ICR_SWEEP_NO_URING,
        .socket_recv = opts->flags & ICR_SWEEP_SOCKET_RECV,
        .ring_recv = opts->flags & ICR_SWEEP_RING_RECV,
        .ttl_in_tag = true,
        .batch = 128,
        .transport = opts->transport,
    };
    if (icr__engine_parse_source(opts->source, &cfg.source4, &cfg.source6) < 0)
        return ICR_ESOCKADDR;
    struct icr_addr first, last;
    if ((r = icr_targets_get(targets, 0, &first)) < 0 ||
        (r = icr_targets_get(targets, n - 1, &last)) < 0)
        return r;
    cfg.want4 = first.family == AF_INET;
    cfg.want6 = last.family == AF_INET6;

    if (!(t = calloc(1, sizeof(*t))))
        return ICR_ENOMEM;
    t->targets = targets;
    t->o = *opts;
    t->n = n;
    t->nh = nh;
    uint64_t seed = opts->seed;
    if (seed == 0 && getrandom(&seed, sizeof(seed), 0) != (ssize_t)sizeof(seed)) {
        r = -errno;
        goto fail;
    }
    cfg.seed = seed;
    t->dests = calloc(n, sizeof(*t->dests));
    t->sent = calloc(per_pass, 1);
    t->answered = calloc(per_pass, 1);
    if (!t->dests || !t->sent || !t->answered) {
        r = ICR_ENOMEM;
        goto fail;
    }
    for (uint64_t i = 0; i < n; i++)
        atomic_init(&t->dests[i].limit, (uint8_t)opts->max_hops);
    if ((r = select_dests(t)) < 0)
        goto fail;
    /* Only this shard's remaining destinations are probed. */
    cfg.per_pass = (t->nsel - t->start) * nh;
    if (opts->window && opts->window < t->nsel - t->start) {
        t->bpairs = (uint64_t)opts->window * nh;
        t->nfull = cfg.per_pass / t->bpairs;
        icr__perm_init(&t->perm, t->bpairs, seed);
        if (cfg.per_pass % t->bpairs)
            icr__perm_init(&t->lperm, cfg.per_pass % t->bpairs, seed);
    } else {
        icr__perm_init(&t->perm, cfg.per_pass, seed);
    }
    cfg.job = t;
    if ((r = icr__engine_new(&cfg, &t->e)) < 0)
        goto fail;
    *ret_trace = t;
    return 0;
fail:
    icr_trace_free(t);
    return r;
}

ICR_EXPORT icr_trace *icr_trace_free(icr_trace *t) {
    if (!t)
        return NULL;
    t->e = icr__engine_free(t->e);
    if (t->dests)
        for (uint64_t i = 0; i < t->n; i++)
            free(t->dests[i].hops);
    free(t->dests);
    free(t->sent);
    free(t->answered);
    free(t->sel);
    free(t);
    return NULL;
}

ICR_EXPORT int icr_trace_step(icr_trace *t, int64_t timeout_ns) {
    if (!t)
        return ICR_EINVAL;
    int r = icr__engine_step(t->e, timeout_ns);
    if (r != 1)
        flush_dests(t, r != ICR_ESTOPPED && r >= 0);
    return r;
}

ICR_EXPORT int icr_trace_run(icr_trace *t) {
    int r;
    if (!t)
        return ICR_EINVAL;
    while ((r = icr_trace_step(t, 50000000)) == 1)
        ;
    return r;
}

ICR_EXPORT int icr_trace_get_fd(const icr_trace *t) {
    return t ? icr__engine_get_fd(t->e) : ICR_EINVAL;
}

ICR_EXPORT int64_t icr_trace_get_timeout_ns(const icr_trace *t) {
    return t ? icr__engine_get_timeout_ns(t->e) : ICR_EINVAL;
}

ICR_EXPORT void icr_trace_stop(icr_trace *t) {
    if (t)
        icr__engine_stop(t->e);
}

/* ---- icmplib's traceroute() -------------------------------------------- */

struct collect {
    struct icr_hop *hops;
    size_t n;
    int err;
    icr_trace_cb user;
    void *userdata;
};

static void collect_route(const struct icr_trace_result *r, void *ud) {
    struct collect *c = ud;
    if (c->user)
        c->user(r, c->userdata);
    if (!(c->hops = calloc(r->nhops ? r->nhops : 1, sizeof(*c->hops)))) {
        c->err = ICR_ENOMEM;
        return;
    }
    for (size_t i = 0; i < r->nhops; i++) {
        c->hops[i] = r->hops[i];
        size_t k = r->hops[i].host.packets_received;
        c->hops[i].host.rtts = NULL;
        if (k && !(c->hops[i].host.rtts = malloc(k * sizeof(double)))) {
            c->n = i;
            c->err = ICR_ENOMEM;
            return;
        }
        if (k)
            memcpy(c->hops[i].host.rtts, r->hops[i].host.rtts, k * sizeof(double));
    }
    c->n = r->nhops;
}

ICR_EXPORT int icr_traceroute(const char *address, const struct icr_trace_opts *opts,
                              struct icr_hop **ret_hops, size_t *ret_n) {
    struct icr_trace_opts in = ICR_TRACE_OPTS_INIT;
    struct collect c = {0};
    icr_targets *targets = NULL;
    icr_trace *t = NULL;
    struct icr_addr a;
    char buf[ICR_ADDRSTRLEN];
    int r;
    /* The caller's options over the defaults, by the size rule (abi.h). */
    if (opts && icr__abi_copy_in(&in, sizeof(in), opts, ICR__ABI_MIN_TRACE_OPTS) < 0)
        return ICR_EINVAL;
    opts = &in;
    if (!address || !ret_hops || !ret_n)
        return ICR_EINVAL;
    /* icmplib: resolve(address, family)[0]. */
    if ((r = icr_resolve(address, opts->family, &a, 1)) < 0)
        return r;
    if ((r = icr_targets_new(&targets)) < 0)
        return r;
    if ((r = icr_targets_add(targets, icr_addr_format(&a, buf, sizeof(buf)),
                             ICR_TARGETS_NO_LOOKUP)) < 0)
        goto out;
    struct icr_trace_opts o = *opts;
    c.user = opts->on_trace;
    c.userdata = opts->userdata;
    o.on_trace = collect_route;
    o.userdata = &c;
    if ((r = icr_trace_new(targets, &o, &t)) < 0)
        goto out;
    r = icr_trace_run(t);
    if (r >= 0 && c.err)
        r = c.err;
    if (r < 0 && r != ICR_ESTOPPED)
        goto out;
    *ret_hops = c.hops;
    *ret_n = c.n;
    c.hops = NULL;
    r = 0;
out:
    icr_hops_free(c.hops, c.n);
    icr_trace_free(t);
    icr_targets_free(targets);
    return r;
}

ICR_EXPORT int icr_trace_get_stats(const icr_trace *t, struct icr_sweep_stats *ret_stats) {
    struct icr_sweep_stats st; /* copied out by the size rule (abi.h) */
    if (!t || !ret_stats || icr__abi_check_out(ret_stats, ICR__ABI_MIN_SWEEP_STATS) < 0)
        return ICR_EINVAL;
    icr__engine_stats(t->e, &st);
    icr__abi_copy_out(ret_stats, &st, sizeof(st));
    return 0;
}

ICR_EXPORT int icr_trace_get_position(const icr_trace *t, uint64_t *ret_position) {
    if (!t || !ret_position)
        return ICR_EINVAL;
    *ret_position = t->prefix;
    return 0;
}
