/* ratelimit.h - the sweep's send-rate limiter: a token bucket in packets
 * per second, exact over any interval (integer arithmetic, no drift).
 *
 * Pure: the caller passes the time (ns of CLOCK_MONOTONIC), so the engine
 * reads the clock once per batch and the tests drive a fake clock.
 * No I/O, no allocation, no globals.  Internal (icr__), not exported.
 *
 * Typical engine loop:
 *     g = icr__rl_take(&rl, now, batch);    send g probes
 *     if (g == 0) sleep icr__rl_wait_ns(&rl, now) (an io_uring timeout)
 * The bucket holds at most `burst` packets, so a stalled sender (or a
 * caller that polls less often than every burst/pps seconds) loses the
 * excess instead of catching up with a flood; pick burst >= the batch size
 * and >= pps * the longest expected gap between calls.
 */
#ifndef ICR_RATELIMIT_H
#define ICR_RATELIMIT_H

#include <stdint.h>

/* One token is 1e9 nanotokens, so `pps * elapsed_ns` nanotokens accrue
 * exactly: at any rate, tokens granted up to time t never drift from
 * pps * t by more than the bucket size. */
#define ICR__RL_NANO INT64_C(1000000000)

struct icr__rl {
    uint64_t pps;        /* 0 = unlimited */
    uint64_t cap_nt;     /* (burst + 1) * 1e9 - 1 nanotokens */
    uint64_t tokens_nt;  /* current content, in nanotokens, <= cap_nt */
    int64_t last_ns;     /* time up to which tokens_nt is accounted */
};

/* Start a limiter of `pps` packets per second (0: unlimited) holding at
 * most `burst` packets (0 is taken as 1), at time `now_ns`.  It starts with
 * one token: the first packet may go at once, then one every 1/pps s. */
void icr__rl_init(struct icr__rl *rl, uint64_t pps, uint32_t burst, int64_t now_ns);

/* How many of `want` packets may be sent at `now_ns` (0..want); they are
 * counted as sent.  A clock that goes backwards is treated as standing
 * still.  Unlimited: always `want`. */
uint32_t icr__rl_take(struct icr__rl *rl, int64_t now_ns, uint32_t want);

/* Return n packets granted by icr__rl_take that were not sent after all
 * (a job skipped them): their tokens go back, up to the burst.  Unlimited:
 * nothing to do. */
void icr__rl_give_back(struct icr__rl *rl, uint32_t n);

/* Nanoseconds from `now_ns` until at least one packet may be sent: 0 if one
 * may be sent now, else the exact smallest wait w such that
 * icr__rl_take(rl, now_ns + w, 1) == 1.  Unlimited: 0. */
int64_t icr__rl_wait_ns(const struct icr__rl *rl, int64_t now_ns);

/* Nanoseconds from `now_ns` until at least n packets may be sent (n 0 is
 * taken as 1, n above the burst as the burst): 0 if they may be sent now,
 * else the exact smallest wait w such that icr__rl_take(rl, now_ns + w, n)
 * == n.  A paced sender sleeps this long for a chunk of n probes instead
 * of waking once per probe (engine.c).  Unlimited: 0. */
int64_t icr__rl_wait_n_ns(const struct icr__rl *rl, int64_t now_ns, uint32_t n);

#endif /* ICR_RATELIMIT_H */
