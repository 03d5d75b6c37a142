/* engine.h - the batch engine that every job (sweep, multiping, traceroute)
 * runs on, and the narrow interface a job implements.
 *
 * The engine owns the rings, the sockets, the sender threads, the rate
 * limiter and flow control, the probe format (stamping and stateless
 * validation, probe.h), receive and dispatch, step/fd/timeout/stop and the
 * generic counters.  A job only says which probe a position of a pass is
 * and what a validated reply means (the model: zmap's probe modules and
 * sd-event sources, as a const vtable).
 *
 * Probes are scheduled in passes: pass p (the probe number, 0..count-1)
 * visits positions 0..per_pass-1, and pass p+1 opens `interval` seconds
 * after pass p did, once all of p's positions are handed out.  Positions
 * are claimed from one atomic counter (pass * per_pass + position: one word,
 * so pass and position can never be seen out of step), by the stepping
 * thread and, for big unlimited jobs, a helper sender thread.
 */
#ifndef ICR_ENGINE_H
#define ICR_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "icmpring.h"

struct icr__engine;

/* One probe a job wants sent. */
struct icr__probe {
    uint64_t index;       /* the job's target index (< cfg.nindex) */
    uint32_t probe;       /* the probe number: the pass */
    uint8_t hop;          /* TTL / hop limit */
    struct icr_addr dst;
};

struct icr__job_ops {
    /* Position pos of pass `pass` as a probe in *ret; false: nothing to
     * send there (the job skips it).  Called by every sender thread at
     * once: read-only or atomic state only. */
    bool (*probe_at)(void *job, uint32_t pass, uint64_t pos, struct icr__probe *ret);
    /* The kernel accepted (res >= 0) or refused the probe.  Optional;
     * called from the sending thread (atomic state only). */
    void (*on_sent)(void *job, const struct icr__probe *p, int res);
    /* A validated Echo Reply or ICMP error about probe r->probe to target
     * r->index (stepping thread only).  The job sets r->duplicate and
     * returns true when r is the target's first answer (a new hit). */
    bool (*on_result)(void *job, struct icr_result *r);
    /* Nothing more to learn: every probe has its answer, so the timeout
     * after the last probe may end now.  Optional. */
    bool (*finished)(void *job);
    /* The index of dst, for ICMP errors whose quote is too short to carry
     * it; < 0 when dst is not a target. */
    int (*lookup)(void *job, const struct icr_addr *dst, uint64_t *ret_index);
};

struct icr__engine_cfg {
    const struct icr__job_ops *ops;
    void *job;
    uint64_t nindex;        /* target indexes are < nindex */
    uint64_t per_pass;      /* positions per pass, >= 1 */
    uint32_t count;         /* passes; 0 = until stopped */
    double interval;        /* seconds between the openings of two passes */
    double cooldown;        /* seconds to wait after the last probe */
    uint64_t rate;          /* probes per second, 0 = unlimited */
    int ttl;                /* default hop (jobs may set their own) */
    int traffic_class;
    size_t payload_size;    /* ICR__PROBE_HDR .. ICR__ENGINE_MAX_PAYLOAD */
    int privilege;
    bool single_recv;
    bool no_uring;          /* sendmmsg/recvmmsg even where io_uring works */
    bool socket_recv;       /* the ICMP sockets receive even with the packet
                               transport (not its packet ring, pktrx.h) */
    bool ring_recv;         /* the packet ring receives even for a small job */
    bool ttl_in_tag;        /* the tag carries the hop (traceroute) */
    uint32_t batch;         /* 1-1024 */
    uint32_t senders;       /* 0 = choose, 1, 2 */
    bool want4, want6;      /* families to open sockets for */
    struct icr_addr source4, source6; /* AF_UNSPEC: the kernel's choice */
    uint64_t seed;          /* reported in the stats */
    uint64_t start;         /* positions already handed out by an earlier run
                               (pass * per_pass + position): resume there */
    int transport;          /* enum icr_transport; AUTO: packet where privileged */
};

#define ICR__ENGINE_MAX_PAYLOAD 1400

/* Open sockets and ring.  Errors as icr_sweep_new. */
int icr__engine_new(const struct icr__engine_cfg *cfg, struct icr__engine **ret);
struct icr__engine *icr__engine_free(struct icr__engine *e);
int icr__engine_step(struct icr__engine *e, int64_t timeout_ns);
int icr__engine_run(struct icr__engine *e);
int icr__engine_get_fd(struct icr__engine *e);
int64_t icr__engine_get_timeout_ns(const struct icr__engine *e);
/* First call: stop sending (the wait for replies still runs); second call:
 * end that wait too.  Async-signal-safe, any thread. */
void icr__engine_stop(struct icr__engine *e);
/* Counters; any thread.  hits/duplicates/targets are the engine's counts
 * of what the job's on_result said. */
void icr__engine_stats(const struct icr__engine *e, struct icr_sweep_stats *ret);
/* Positions handed out so far, over all passes (pass * per_pass +
 * position), cfg.start included, at most count * per_pass.  Any thread. */
uint64_t icr__engine_position(const struct icr__engine *e);
/* The highest pass opened so far. */
uint32_t icr__engine_pass(const struct icr__engine *e);
/* Whether the engine has stopped sending (done, stopped or failed). */
bool icr__engine_sending_done(const struct icr__engine *e);

/* Whether a job's transport option is one of enum icr_transport and agrees
 * with its privilege option (PACKET and RAW need privilege, DGRAM not). */
static inline bool icr__transport_ok(int transport, int privilege) {
    switch (transport) {
    case ICR_TRANSPORT_AUTO:
        return true;
    case ICR_TRANSPORT_PACKET:
    case ICR_TRANSPORT_RAW:
        return privilege != ICR_UNPRIVILEGED;
    case ICR_TRANSPORT_DGRAM:
        return privilege != ICR_PRIVILEGED;
    default:
        return false;
    }
}

/* Parse a local source address for a job ("" / NULL: none) into the right
 * member of (source4, source6).  ICR_EINVAL when it is not an address. */
int icr__engine_parse_source(const char *source, struct icr_addr *source4,
                             struct icr_addr *source6);

#endif /* ICR_ENGINE_H */
