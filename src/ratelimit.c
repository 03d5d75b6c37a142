/* ratelimit.c - token bucket in nanotokens (see ratelimit.h). */
#include "ratelimit.h"

#include <assert.h>

#define NANO ((uint64_t)ICR__RL_NANO)

void icr__rl_init(struct icr__rl *rl, uint64_t pps, uint32_t burst, int64_t now_ns)
{
    assert(rl);
    /* A zero-sized bucket could never hold the token a send needs. */
    if (burst == 0)
        burst = 1;
    /* The cap is `burst` whole tokens plus any fraction below one more:
     * never more than `burst` packets at once, but a caller that polls late
     * keeps the part of the next token already earned, so lateness does not
     * push the schedule back (at 1 pps, burst 1, polled every 7 ms, packets
     * still leave on each second).  cap < 2^32 * 1e9 < 2^63: no overflow. */
    *rl = (struct icr__rl){
        .pps = pps,
        .cap_nt = (uint64_t)burst * NANO + (NANO - 1),
        .tokens_nt = NANO,
        .last_ns = now_ns,
    };
}

/* Bucket content at `now_ns` (never before last_ns), without storing it. */
static uint64_t tokens_at(const struct icr__rl *rl, int64_t now_ns)
{
    if (now_ns <= rl->last_ns)
        return rl->tokens_nt;
    uint64_t elapsed = (uint64_t)now_ns - (uint64_t)rl->last_ns;
    uint64_t room = rl->cap_nt - rl->tokens_nt;

    /* Compare before multiplying: pps * elapsed overflows 64 bits after
     * ~30 min at 10 Mpps, but anything >= room just fills the bucket.
     * elapsed < room / pps implies pps * elapsed < room. */
    if (elapsed >= room / rl->pps + 1)
        return rl->cap_nt;
    uint64_t add = rl->pps * elapsed;
    return add >= room ? rl->cap_nt : rl->tokens_nt + add;
}

uint32_t icr__rl_take(struct icr__rl *rl, int64_t now_ns, uint32_t want)
{
    assert(rl);
    if (rl->pps == 0)
        return want;

    rl->tokens_nt = tokens_at(rl, now_ns);
    if (now_ns > rl->last_ns)
        rl->last_ns = now_ns;

    uint64_t avail = rl->tokens_nt / NANO;
    uint32_t grant = avail < want ? (uint32_t)avail : want;
    /* Only whole tokens leave; the fraction stays, which is what keeps the
     * long-run count exact at rates that do not divide 1e9. */
    rl->tokens_nt -= (uint64_t)grant * NANO;
    return grant;
}

int64_t icr__rl_wait_ns(const struct icr__rl *rl, int64_t now_ns)
{
    return icr__rl_wait_n_ns(rl, now_ns, 1);
}

int64_t icr__rl_wait_n_ns(const struct icr__rl *rl, int64_t now_ns, uint32_t n)
{
    assert(rl);
    if (rl->pps == 0)
        return 0;
    /* The bucket never holds more than cap_nt: ask for at most that many
     * whole tokens, or the wait would never end. */
    uint64_t want = (uint64_t)(n ? n : 1) * NANO;
    if (want > rl->cap_nt)
        want = rl->cap_nt / NANO * NANO;

    uint64_t have = tokens_at(rl, now_ns);
    if (have >= want)
        return 0;
    /* Round up: after exactly this many ns at least n whole tokens. */
    uint64_t need = want - have;
    uint64_t wait = need / rl->pps + (need % rl->pps != 0);
    /* A clock behind last_ns: accrual restarts from last_ns, not now. */
    if (now_ns < rl->last_ns)
        wait += (uint64_t)rl->last_ns - (uint64_t)now_ns;
    return (int64_t)wait;
}

void icr__rl_give_back(struct icr__rl *rl, uint32_t n)
{
    assert(rl);
    if (rl->pps == 0)
        return;
    /* n * 1e9 < 2^63 for any 32-bit n; compared with the room left, so
     * nothing is added that could overflow. */
    uint64_t back = (uint64_t)n * NANO;
    rl->tokens_nt = back > rl->cap_nt - rl->tokens_nt ? rl->cap_nt : rl->tokens_nt + back;
}
