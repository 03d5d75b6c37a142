/* multiping.c - the multiping job (ping is a multiping of one), and
 * icmplib's blocking multiping() and ping() on top of it.
 *
 * Only the job's own logic lives here: per-host state (counters and an RTT
 * array, preallocated: no socket and no thread per host, where icmplib
 * opens a socket per host, 50 at a time), the end of each host, and the
 * icmplib-shaped results.  Pass p of the engine is probe p to every host,
 * in input order; the engine spaces passes by `interval`.
 *
 * Where icmpring differs from icmplib 3.0.4 (icmplib/multiping.py and
 * ping.py), on purpose:
 *  - icmplib waits for each reply before the next probe to that host, so a
 *    lost reply costs a whole `timeout` per probe; here probes leave on
 *    schedule and `timeout` is the wait after the last probe, as its
 *    docstring describes multiping's timeout.
 *  - `id` is ignored: the id field carries the keyed MAC that matches
 *    replies (and datagram sockets get their id from the kernel).
 */
#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "abi.h"
#include "engine.h"
#include "icmpring.h"
#include "perm.h"
#include "probe.h"

/* One probe's outcome, in the RTT array: an RTT in ms (>= 0), or one of
 * these (negative) marks. */
#define PENDING (-1.0f)
#define ERRORED (-2.0f)   /* an ICMP error answered it: not received */
#define UNSENT (-3.0f)    /* the kernel refused to send it */

struct mp_host {
    struct icr_addr addr;
    _Atomic uint32_t sent;      /* probes the kernel accepted (sender threads) */
    uint32_t resolved;          /* probes answered, errored or refused */
    bool finished;
    bool active;                /* in this shard and after start_position: probed */
    bool alive;                 /* an echo came */
    uint8_t err_type, err_code;
    int err;                    /* ICR_EUNREACH / ICR_ETIMEEXCEEDED / ICR_EICMP, 0 if none */
    struct icr_addr err_src;
};

struct icr_multiping_job {
    struct icr_multiping_opts o;
    size_t n;
    struct mp_host *hosts;
    float *rtt;                 /* n rows of `cap` outcomes */
    uint32_t cap;               /* row length: count, or grown when count is 0 */
    size_t nfinished;           /* inactive hosts count as finished */
    uint32_t *sel;              /* this shard's hosts in input order */
    size_t nsel;
    size_t start;               /* sel[0..start) were done by an earlier run */
    size_t prefix;              /* sel[0..prefix) are finished: the position */
    uint32_t *sorted;           /* active host indexes by address, made on first lookup */
    size_t nsorted;
    struct icr__engine *e;
    bool flushed;
};

/* ---- the job --------------------------------------------------------- */

static bool mp_probe_at(void *job, uint32_t pass, uint64_t pos, struct icr__probe *ret) {
    struct icr_multiping_job *m = job;
    (void)pass;
    uint32_t i = m->sel[m->start + pos];
    ret->index = i;
    ret->dst = m->hosts[i].addr;
    return true;
}

static int finish_host(struct icr_multiping_job *m, size_t i);

/* Row i, growing every row when probe p is beyond it (count 0 only). */
static float *outcome(struct icr_multiping_job *m, size_t i, uint32_t p) {
    if (p >= m->cap) {
        if (m->o.count)
            return NULL;
        uint32_t cap = m->cap * 2;
        while (cap <= p)
            cap *= 2;
        float *r = malloc(m->n * cap * sizeof(float));
        if (!r)
            return NULL;
        for (size_t k = 0; k < m->n; k++) {
            memcpy(r + k * cap, m->rtt + k * m->cap, m->cap * sizeof(float));
            for (uint32_t c = m->cap; c < cap; c++)
                r[k * cap + c] = PENDING;
        }
        free(m->rtt);
        m->rtt = r;
        m->cap = cap;
    }
    return &m->rtt[i * m->cap + p];
}

static void resolve_probe(struct icr_multiping_job *m, size_t i, float *slot, float v) {
    *slot = v;
    m->hosts[i].resolved++;
}

static void mp_on_sent(void *job, const struct icr__probe *p, int res) {
    struct icr_multiping_job *m = job;
    if (res >= 0)
        atomic_fetch_add_explicit(&m->hosts[p->index].sent, 1, memory_order_relaxed);
    /* A refused probe is settled by the stepping thread's next look: the
     * host's end is decided there (on_result or the engine's end), and a
     * refusal is rare; the timeout covers it. */
}

static bool mp_on_result(void *job, struct icr_result *r) {
    struct icr_multiping_job *m = job;
    struct mp_host *h = &m->hosts[r->index];
    if (!h->active) { /* a short quote naming a host of another shard */
        r->duplicate = true;
        return false;
    }
    float *slot = outcome(m, r->index, r->probe);
    bool hit = false;
    if (!slot) {
        r->duplicate = true;
        return false;
    }
    if (r->kind == ICR_RESULT_ECHO) {
        r->duplicate = *slot >= 0;
        if (!r->duplicate) {
            /* The host's first echo is a hit (the engine counts hits). */
            hit = !h->alive;
            h->alive = true;
            /* An echo after an error for the same probe (a router's error,
             * then the real reply) still counts: the reply is what icmplib
             * would have seen last. */
            if (*slot == ERRORED)
                h->resolved--;
            resolve_probe(m, r->index, slot, r->rtt_ns >= 0 ? (float)((double)r->rtt_ns / 1e6) : 0.0f);
        }
    } else {
        int e = icr_reply_raise_for_status(&(struct icr_reply){
            .size = sizeof(struct icr_reply), .family = r->target.family, .type = r->type,
            .code = r->code});
        h->err = e < 0 ? e : ICR_EICMP;
        h->err_type = (uint8_t)r->type;
        h->err_code = (uint8_t)r->code;
        h->err_src = r->responder;
        r->duplicate = *slot != PENDING;
        if (!r->duplicate)
            resolve_probe(m, r->index, slot, ERRORED);
    }
    if (m->o.on_result && (!r->duplicate || (m->o.flags & ICR_SWEEP_ALL_REPLIES)))
        m->o.on_result(r, m->o.userdata);
    /* The host is finished after its last reply has been handed over, so a
     * caller sees every result of a host before the host itself. */
    if (m->o.count && h->resolved >= m->o.count && !h->finished)
        (void)finish_host(m, r->index);
    return hit && !r->duplicate;
}

static bool mp_finished(void *job) {
    const struct icr_multiping_job *m = job;
    return m->o.count && m->nfinished == m->n;
}

/* Short quotes only (an RFC 792 router's 8 bytes carry no index): the
 * host with that address, by binary search over an index sorted on first
 * use, so a million hosts never cost a linear scan per error.  Duplicates
 * in the input resolve to the first of them. */
static int addr_cmp(const struct icr_addr *a, const struct icr_addr *b) {
    if (a->family != b->family)
        return a->family < b->family ? -1 : 1;
    return memcmp(a->bytes, b->bytes, a->family == AF_INET ? 4 : 16);
}

/* A stable merge sort of m->sorted by (address, index): qsort() takes no
 * context, and a global one would be mutable library state. */
static int sort_by_addr(struct icr_multiping_job *m) {
    const size_t n = m->nsorted;
    uint32_t *a = m->sorted, *tmp = malloc(n * sizeof(*tmp));
    if (!tmp)
        return ICR_ENOMEM;
    for (size_t w = 1; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                tmp[k++] = addr_cmp(&m->hosts[a[j]].addr, &m->hosts[a[i]].addr) < 0 ? a[j++] : a[i++];
            while (i < mid)
                tmp[k++] = a[i++];
            while (j < hi)
                tmp[k++] = a[j++];
        }
        memcpy(a, tmp, n * sizeof(*a));
    }
    free(tmp);
    return 0;
}

static int mp_lookup(void *job, const struct icr_addr *dst, uint64_t *ret_index) {
    struct icr_multiping_job *m = job;
    if (!m->sorted) {
        if (!(m->sorted = malloc(m->n * sizeof(*m->sorted))))
            return ICR_ENOMEM;
        m->nsorted = 0;
        for (size_t k = m->start; k < m->nsel; k++)
            m->sorted[m->nsorted++] = m->sel[k];
        if (sort_by_addr(m) < 0) {
            free(m->sorted);
            m->sorted = NULL;
            return ICR_ENOMEM;
        }
    }
    size_t lo = 0, hi = m->nsorted;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (addr_cmp(&m->hosts[m->sorted[mid]].addr, dst) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == m->nsorted || addr_cmp(&m->hosts[m->sorted[lo]].addr, dst) != 0)
        return ICR_EINVAL;
    *ret_index = m->sorted[lo];
    return 0;
}

static const struct icr__job_ops mp_ops = {
    .probe_at = mp_probe_at,
    .on_sent = mp_on_sent,
    .on_result = mp_on_result,
    .finished = mp_finished,
    .lookup = mp_lookup,
};

/* ---- results --------------------------------------------------------- */

/* Fill *ret for host i as it stands; ret->rtts is malloc'ed (NULL when
 * nothing was received). */
static int fill_host(const struct icr_multiping_job *m, size_t i, struct icr_host *ret) {
    const struct mp_host *h = &m->hosts[i];
    uint32_t upto = m->o.count ? m->o.count : m->cap;
    double *rtts = malloc((upto ? upto : 1) * sizeof(double));
    size_t k = 0;
    uint64_t answered = 0, sent = atomic_load_explicit(&h->sent, memory_order_relaxed);
    if (!rtts)
        return ICR_ENOMEM;
    for (uint32_t p = 0; p < upto; p++) {
        float v = m->rtt[i * m->cap + p];
        if (v >= 0)
            rtts[k++] = v;
        if (v >= 0 || v == ERRORED)
            answered++;
    }
    *ret = (struct icr_host){
        .size = sizeof(*ret),
        .address = h->addr,
        /* A probe that was answered was sent, even when its send completion
         * has not been counted yet: on a fast path (veth, loopback) the
         * reply's completion can come before the send's, and the host ends
         * with its last reply (it reported 0/1 and 2/3 before). */
        .packets_sent = sent > answered ? sent : answered,
        .error = h->err,
        .error_type = h->err ? h->err_type : 0,
        .error_code = h->err ? h->err_code : 0,
        .error_source = h->err ? h->err_src : (struct icr_addr){.family = AF_UNSPEC},
    };
    (void)icr_host_stats(ret, rtts, k);
    if (k == 0) {
        free(rtts);
        rtts = NULL;
    }
    ret->rtts = rtts;
    return 0;
}

static int finish_host(struct icr_multiping_job *m, size_t i) {
    m->hosts[i].finished = true;
    m->nfinished++;
    while (m->prefix < m->nsel && m->hosts[m->sel[m->prefix]].finished)
        m->prefix++;
    if (!m->o.on_host)
        return 0;
    struct icr_host h;
    int r = fill_host(m, i, &h);
    if (r < 0)
        return r;
    m->o.on_host(i, &h, m->o.userdata);
    free(h.rtts);
    return 0;
}

/* The engine is done: every host not finished yet is, with what came. */
static void flush_hosts(struct icr_multiping_job *m) {
    if (m->flushed)
        return;
    m->flushed = true;
    for (size_t i = 0; i < m->n; i++)
        if (!m->hosts[i].finished)
            (void)finish_host(m, i);
}

/* ---- the API --------------------------------------------------------- */

static int check_opts(const struct icr_multiping_opts *o) {
    if (o->size < sizeof(struct icr_multiping_opts) || o->count == UINT32_MAX ||
        !(o->interval >= 0 && o->interval <= 86400) || !(o->timeout >= 0 && o->timeout <= 86400) ||
        o->payload_size < ICR__PROBE_HDR || o->payload_size > ICR__ENGINE_MAX_PAYLOAD ||
        o->ttl < 1 || o->ttl > 255 || o->traffic_class < 0 || o->traffic_class > 255 ||
        (o->family != AF_UNSPEC && o->family != AF_INET && o->family != AF_INET6) ||
        (o->flags & ~(ICR_SWEEP_SINGLE_RECV | ICR_SWEEP_NO_URING | ICR_SWEEP_SOCKET_RECV |
                       ICR_SWEEP_RING_RECV | ICR_SWEEP_ALL_REPLIES)) ||
        /* Random seeds would give every shard its own split: overlap. */
        o->shards < 1 || o->shard >= o->shards || (o->shards > 1 && o->seed == 0) ||
        !icr__transport_ok(o->transport, o->privilege))
        return ICR_EINVAL;
    return 0;
}

/* This shard's hosts in input order (icr_shard_of's rule), from
 * start_position on; every other host is finished from the start. */
static int select_hosts(struct icr_multiping_job *m) {
    struct icr__perm p;
    if (m->o.shards > 1)
        icr__perm_init(&p, m->n, m->o.seed);
    if (!(m->sel = malloc(m->n * sizeof(*m->sel))))
        return ICR_ENOMEM;
    for (size_t i = 0; i < m->n; i++)
        if (m->o.shards == 1 || icr__perm_pos_of(&p, i) % m->o.shards == m->o.shard)
            m->sel[m->nsel++] = (uint32_t)i;
    /* A shard with no hosts, or nothing left after start_position. */
    if (m->o.start_position >= m->nsel)
        return ICR_EINVAL;
    m->start = m->prefix = (size_t)m->o.start_position;
    for (size_t k = m->start; k < m->nsel; k++)
        m->hosts[m->sel[k]].active = true;
    for (size_t i = 0; i < m->n; i++)
        if (!m->hosts[i].active) {
            m->hosts[i].finished = true;
            m->nfinished++;
        }
    return 0;
}

ICR_EXPORT int icr_multiping_new(const struct icr_addr *addrs, size_t n,
                                 const struct icr_multiping_opts *opts,
                                 icr_multiping_job **ret_mp) {
    struct icr_multiping_opts in = ICR_MULTIPING_OPTS_INIT;
    struct icr_multiping_job *m;
    bool want4 = false, want6 = false;
    int r;
    /* The caller's options over the defaults, by the size rule (abi.h). */
    if (opts && icr__abi_copy_in(&in, sizeof(in), opts, ICR__ABI_MIN_MULTIPING_OPTS) < 0)
        return ICR_EINVAL;
    opts = &in;
    if (!addrs || n == 0 || n > UINT32_MAX || !ret_mp || check_opts(opts) < 0)
        return ICR_EINVAL;
    for (size_t i = 0; i < n; i++) {
        if (addrs[i].family == AF_INET)
            want4 = true;
        else if (addrs[i].family == AF_INET6)
            want6 = true;
        else
            return ICR_EINVAL;
    }
    struct icr__engine_cfg cfg = {
        .ops = &mp_ops,
        .nindex = n,
        .per_pass = n,
        .count = opts->count,
        .interval = opts->interval,
        .cooldown = opts->timeout,
        .rate = opts->rate,
        .ttl = opts->ttl,
        .traffic_class = opts->traffic_class,
        .payload_size = opts->payload_size,
        .privilege = opts->privilege,
        .single_recv = opts->flags & ICR_SWEEP_SINGLE_RECV,
        .no_uring = opts->flags & ICR_SWEEP_NO_URING,
        .socket_recv = opts->flags & ICR_SWEEP_SOCKET_RECV,
        .ring_recv = opts->flags & ICR_SWEEP_RING_RECV,
        .batch = 128,
        .want4 = want4,
        .want6 = want6,
        .transport = opts->transport,
    };
    if (icr__engine_parse_source(opts->source, &cfg.source4, &cfg.source6) < 0)
        return ICR_ESOCKADDR;

    m = calloc(1, sizeof(*m));
    if (!m)
        return ICR_ENOMEM;
    m->o = *opts;
    m->n = n;
    m->cap = opts->count ? opts->count : 16;
    m->hosts = calloc(n, sizeof(*m->hosts));
    if (!m->hosts || n > SIZE_MAX / sizeof(float) / m->cap ||
        !(m->rtt = malloc(n * m->cap * sizeof(float)))) {
        r = ICR_ENOMEM;
        goto fail;
    }
    for (size_t i = 0; i < n; i++)
        m->hosts[i].addr = addrs[i];
    for (size_t k = 0; k < n * m->cap; k++)
        m->rtt[k] = PENDING;
    if ((r = select_hosts(m)) < 0)
        goto fail;
    cfg.per_pass = m->nsel - m->start;
    cfg.seed = opts->seed;
    cfg.job = m;
    if ((r = icr__engine_new(&cfg, &m->e)) < 0)
        goto fail;
    *ret_mp = m;
    return 0;
fail:
    icr_multiping_free(m);
    return r;
}

ICR_EXPORT icr_multiping_job *icr_multiping_free(icr_multiping_job *m) {
    if (!m)
        return NULL;
    m->e = icr__engine_free(m->e);
    free(m->hosts);
    free(m->rtt);
    free(m->sorted);
    free(m->sel);
    free(m);
    return NULL;
}

ICR_EXPORT int icr_multiping_step(icr_multiping_job *m, int64_t timeout_ns) {
    if (!m)
        return ICR_EINVAL;
    int r = icr__engine_step(m->e, timeout_ns);
    if (r != 1)
        flush_hosts(m);
    return r;
}

ICR_EXPORT int icr_multiping_run(icr_multiping_job *m) {
    int r;
    if (!m)
        return ICR_EINVAL;
    while ((r = icr_multiping_step(m, 50000000)) == 1)
        ;
    return r;
}

ICR_EXPORT int icr_multiping_get_fd(const icr_multiping_job *m) {
    return m ? icr__engine_get_fd(m->e) : ICR_EINVAL;
}

ICR_EXPORT int64_t icr_multiping_get_timeout_ns(const icr_multiping_job *m) {
    return m ? icr__engine_get_timeout_ns(m->e) : ICR_EINVAL;
}

ICR_EXPORT void icr_multiping_stop(icr_multiping_job *m) {
    if (m)
        icr__engine_stop(m->e);
}

ICR_EXPORT int icr_multiping_get_host(const icr_multiping_job *m, size_t i,
                                      struct icr_host *ret_host) {
    struct icr_host h; /* copied out by the size rule (abi.h) */
    if (!m || i >= m->n || !ret_host || icr__abi_check_out(ret_host, ICR__ABI_MIN_HOST) < 0)
        return ICR_EINVAL;
    int r = fill_host(m, i, &h);
    if (r < 0)
        return r;
    icr__abi_copy_out(ret_host, &h, sizeof(h));
    return 0;
}

/* icmplib resolves host names with resolve(address, family)[0]. */
static int resolve_one(const char *name, int family, struct icr_addr *ret) {
    struct icr_addr a[1];
    int r = icr_resolve(name, family, a, 1);
    if (r < 0)
        return r;
    *ret = a[0];
    return 0;
}

ICR_EXPORT int icr_multiping(const char *const *addresses, size_t n,
                             const struct icr_multiping_opts *opts,
                             struct icr_host **ret_hosts) {
    struct icr_multiping_opts in = ICR_MULTIPING_OPTS_INIT;
    struct icr_addr *addrs;
    struct icr_host *hosts = NULL;
    icr_multiping_job *m = NULL;
    int r;
    /* The caller's options over the defaults, by the size rule (abi.h). */
    if (opts && icr__abi_copy_in(&in, sizeof(in), opts, ICR__ABI_MIN_MULTIPING_OPTS) < 0)
        return ICR_EINVAL;
    opts = &in;
    /* count 0 runs until stopped, and a blocking call has no stop. */
    if (!addresses || n == 0 || !ret_hosts || opts->count == 0)
        return ICR_EINVAL;
    if (!(addrs = calloc(n, sizeof(*addrs))))
        return ICR_ENOMEM;
    for (size_t i = 0; i < n; i++)
        if (!addresses[i] || (r = resolve_one(addresses[i], opts->family, &addrs[i])) < 0) {
            r = addresses[i] ? r : ICR_EINVAL;
            goto out;
        }
    /* The blocking call has no callbacks of its own to call. */
    struct icr_multiping_opts o = *opts;
    if ((r = icr_multiping_new(addrs, n, &o, &m)) < 0)
        goto out;
    r = icr_multiping_run(m);
    if (r < 0 && r != ICR_ESTOPPED)
        goto out;
    if (!(hosts = calloc(n, sizeof(*hosts)))) {
        r = ICR_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        if ((r = icr_multiping_get_host(m, i, &hosts[i])) < 0) {
            hosts = icr_hosts_free(hosts, i);
            goto out;
        }
    *ret_hosts = hosts;
    r = 0;
out:
    icr_multiping_free(m);
    free(addrs);
    return r;
}

ICR_EXPORT int icr_ping(const char *address, const struct icr_ping_opts *opts,
                        struct icr_host **ret_host) {
    struct icr_ping_opts in = ICR_PING_OPTS_INIT;
    struct icr_host *hosts;
    /* The caller's options over the defaults, by the size rule (abi.h). */
    if (opts && icr__abi_copy_in(&in, sizeof(in), opts, ICR__ABI_MIN_MULTIPING_OPTS) < 0)
        return ICR_EINVAL;
    opts = &in;
    if (!address || !ret_host)
        return ICR_EINVAL;
    int r = icr_multiping(&address, 1, opts, &hosts);
    if (r < 0)
        return r;
    *ret_host = hosts; /* an array of one is one host: icr_host_free frees both */
    return 0;
}

ICR_EXPORT int icr_multiping_get_stats(const icr_multiping_job *m, struct icr_sweep_stats *ret_stats) {
    struct icr_sweep_stats st; /* copied out by the size rule (abi.h) */
    if (!m || !ret_stats || icr__abi_check_out(ret_stats, ICR__ABI_MIN_SWEEP_STATS) < 0)
        return ICR_EINVAL;
    icr__engine_stats(m->e, &st);
    icr__abi_copy_out(ret_stats, &st, sizeof(st));
    return 0;
}

ICR_EXPORT int icr_multiping_get_position(const icr_multiping_job *m, uint64_t *ret_position) {
    if (!m || !ret_position)
        return ICR_EINVAL;
    *ret_position = m->prefix;
    return 0;
}
