/* test-ratelimit.c - the token bucket on a fake clock: exact totals,
 * rate +- burst in every 1 s window for 1 pps .. 10 Mpps under several
 * call patterns, the burst cap after a stall, exact wait_ns, unlimited.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "ratelimit.h"

#define MS INT64_C(1000000)
#define SEC INT64_C(1000000000)
#define RUN_MS 3000

static const uint64_t rates[] = { 1, 10, 1000, 12345, 1000000, 10000000 };

static uint64_t rng = 0x2545f4914f6cdd1dull;

/* xorshift64: a reproducible stream for irregular call patterns. */
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

enum pattern { EVERY_1US, EVERY_1MS, RANDOM_GAPS, BATCH_64, BATCH_256 };

struct run {
    uint64_t per_ms[RUN_MS]; /* packets granted in each ms of the run */
    uint64_t total;
    int64_t last_call;
    uint32_t burst;
};

/* wait_ns must be exact: after waiting w, one packet may go; at w - 1 none.
 * Checked on copies so the real bucket is not disturbed. */
static void check_wait_exact(const struct icr__rl *rl, int64_t now)
{
    int64_t w = icr__rl_wait_ns(rl, now);
    struct icr__rl a = *rl, b = *rl;

    assert_true(w >= 0);
    assert_int_equal(icr__rl_take(&a, now + w, 1), 1);
    if (w > 0)
        assert_int_equal(icr__rl_take(&b, now + w - 1, 1), 0);
}

/* Drive a limiter of `pps` for RUN_MS with one call pattern. */
static void simulate(struct run *r, uint64_t pps, enum pattern pat)
{
    struct icr__rl rl;
    int64_t gap_max = 0; /* longest gap between calls of the pattern */
    uint32_t want;

    switch (pat) {
    case EVERY_1US:   gap_max = 1000; break;
    case EVERY_1MS:   gap_max = MS; break;
    case RANDOM_GAPS: gap_max = 2 * MS; break;
    case BATCH_64:    break;
    case BATCH_256:   break;
    }
    if (pat == BATCH_64 || pat == BATCH_256) {
        /* The engine shape: ask for a batch, send what is granted, sleep
         * wait_ns when nothing is. Burst = batch. */
        want = pat == BATCH_64 ? 64 : 256;
        r->burst = want;
    } else {
        /* No tokens may be lost to the cap between two calls, and each
         * call may take all there is. */
        uint64_t per_gap = pps * (uint64_t)gap_max / SEC;
        r->burst = (uint32_t)(per_gap + 2 > 16 ? per_gap + 2 : 16);
        want = r->burst;
    }

    *r = (struct run){ .burst = r->burst };
    icr__rl_init(&rl, pps, r->burst, 0);
    int64_t now = 0;
    while (now < RUN_MS * MS) {
        uint32_t g = icr__rl_take(&rl, now, want);
        assert_true(g <= want);
        r->per_ms[now / MS] += g;
        r->total += g;
        r->last_call = now;
        switch (pat) {
        case EVERY_1US:
            now += 1000;
            break;
        case EVERY_1MS:
            now += MS;
            break;
        case RANDOM_GAPS:
            /* 0 .. 2 ms, with repeated calls at the same instant too. */
            now += (int64_t)(next_rand() % (uint64_t)(gap_max + 1));
            break;
        case BATCH_64:
        case BATCH_256:
            if (g == 0) {
                check_wait_exact(&rl, now);
                int64_t w = icr__rl_wait_ns(&rl, now);
                assert_true(w > 0);
                now += w;
            } else {
                /* 25 ns per packet (a 40 Mpps sender) plus 0..2 us of
                 * submission overhead per batch. */
                now += 25 * (int64_t)g + (int64_t)(next_rand() % 2001);
            }
            break;
        }
    }
}

static void check_windows(const struct run *r, uint64_t pps, int pat)
{
    /* Every 1 s window [s, s + 1 s) at 1 ms steps, from the first. */
    uint64_t win = 0;
    for (int ms = 0; ms < 1000; ms++)
        win += r->per_ms[ms];
    for (int s = 0;; s++) {
        uint64_t lo = pps > r->burst ? pps - r->burst : 0;
        if (win < lo || win > pps + r->burst)
            fail_msg("pps=%llu pattern=%d burst=%u: window at %d ms has %llu",
                     (unsigned long long)pps, pat, r->burst, s, (unsigned long long)win);
        if (s + 1000 >= RUN_MS)
            break;
        win += r->per_ms[s + 1000];
        win -= r->per_ms[s];
    }
    /* Over the 3 s: within 1% + burst of 3 * pps. */
    double want = 3.0 * (double)pps, got = (double)r->total;
    double slack = want / 100 + r->burst;
    if (got < want - slack || got > want + slack)
        fail_msg("pps=%llu pattern=%d: %llu in 3 s", (unsigned long long)pps, pat,
                 (unsigned long long)r->total);
}

static void test_rates_all_patterns(void **state)
{
    (void)state;
    struct run *r = malloc(sizeof *r);

    assert_non_null(r);
    for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++) {
        for (int pat = EVERY_1US; pat <= BATCH_256; pat++) {
            simulate(r, rates[i], (enum pattern)pat);
            check_windows(r, rates[i], pat);
            if (pat == EVERY_1US || pat == EVERY_1MS) {
                /* Regular polling, burst never reached: exactly the one
                 * starting token plus floor(pps * t) of the last call. */
                uint64_t exact = 1 + rates[i] * (uint64_t)r->last_call / (uint64_t)SEC;
                assert_true(r->total == exact);
            }
        }
    }
    free(r);
}

/* Hand-computed totals: calls every 1 us for 3 s, the last at 3 s - 1 us. */
static void test_exact_totals(void **state)
{
    (void)state;
    struct run *r = malloc(sizeof *r);

    assert_non_null(r);
    simulate(r, 12345, EVERY_1US);
    /* 1 + floor(12345 * 2.999999) = 1 + floor(37034.98...) */
    assert_true(r->total == 37035);
    simulate(r, 10000000, EVERY_1US);
    /* 1 + 1e7 * 2.999999 = 1 + 29999990 */
    assert_true(r->total == 29999991);
    simulate(r, 1000, EVERY_1MS);
    /* last call at 2.999 s: 1 + 2999 */
    assert_true(r->total == 3000);
    free(r);
}

/* 1 pps: the first packet at t = 0, then exactly one per second, on the
 * second, whatever the polling. */
static void test_one_pps(void **state)
{
    (void)state;
    static const int64_t steps[] = { 1000, MS, 7 * MS, 333333, 999 * MS, 1000 * MS };

    for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++) {
        struct icr__rl rl;
        int64_t sent_at[8] = { 0 };
        int nsent = 0;

        icr__rl_init(&rl, 1, 1, 0);
        for (int64_t t = 0; t <= 3 * SEC + steps[k] - 1; t += steps[k]) {
            uint32_t g = icr__rl_take(&rl, t, 100);
            assert_true(g <= 1);
            if (g == 1) {
                assert_true(nsent < 8);
                sent_at[nsent++] = t;
            }
        }
        assert_int_equal(nsent, 4);
        /* First send at the first call; then the first call at or after
         * each whole second. */
        for (int i = 0; i < 4; i++) {
            int64_t due = i * SEC;
            int64_t first_call = (due + steps[k] - 1) / steps[k] * steps[k];
            assert_true(sent_at[i] == first_call);
        }
    }

    /* Waiting exactly what wait_ns says lands on the second. */
    struct icr__rl rl;
    icr__rl_init(&rl, 1, 1, 5 * SEC);
    assert_int_equal(icr__rl_take(&rl, 5 * SEC, 1), 1);
    assert_true(icr__rl_wait_ns(&rl, 5 * SEC) == SEC);
    assert_true(icr__rl_wait_ns(&rl, 5 * SEC + 300 * MS) == 700 * MS);
    assert_int_equal(icr__rl_take(&rl, 6 * SEC - 1, 1), 0);
    assert_int_equal(icr__rl_take(&rl, 6 * SEC, 5), 1);
}

/* wait_ns at awkward rates (1e9 / pps not an integer). */
static void test_wait_exact(void **state)
{
    (void)state;
    struct icr__rl rl;

    /* 3 pps: a token every 333333333.33 ns.  Burst 2, so the 2 extra
     * nanotokens below are not cut off by a one-token cap. */
    icr__rl_init(&rl, 3, 2, 0);
    assert_true(icr__rl_wait_ns(&rl, 0) == 0);
    assert_int_equal(icr__rl_take(&rl, 0, 1), 1);
    assert_true(icr__rl_wait_ns(&rl, 0) == 333333334); /* ceil(1e9 / 3) */
    assert_int_equal(icr__rl_take(&rl, 333333333, 1), 0);
    assert_int_equal(icr__rl_take(&rl, 333333334, 1), 1);
    /* 2 nanotokens left over: the next needs ceil((1e9 - 2) / 3) ns. */
    assert_true(icr__rl_wait_ns(&rl, 333333334) == 333333333);
    /* With burst 1 the fraction of the next token is kept too. */
    icr__rl_init(&rl, 3, 1, 0);
    assert_int_equal(icr__rl_take(&rl, 0, 1), 1);
    assert_int_equal(icr__rl_take(&rl, 333333334, 1), 1);
    assert_true(icr__rl_wait_ns(&rl, 333333334) == 333333333);
    /* But not a whole spare token: 2 s idle still gives one packet, and
     * the fraction above it is what is left (1e9 - 1 nanotokens). */
    assert_int_equal(icr__rl_take(&rl, 2 * SEC, 5), 1);
    assert_true(icr__rl_wait_ns(&rl, 2 * SEC) == 1);

    for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++) {
        icr__rl_init(&rl, rates[i] + 7, 4, 0);
        int64_t now = 0;
        for (int n = 0; n < 2000; n++) {
            check_wait_exact(&rl, now);
            (void)icr__rl_take(&rl, now, (uint32_t)(next_rand() % 5));
            now += (int64_t)(next_rand() % (uint64_t)(2 * SEC / (int64_t)(rates[i] + 7) + 1));
        }
    }
}

/* wait_n: the exact smallest wait for n whole tokens (n capped at the
 * burst, 0 taken as 1), for random rates, bursts, takes and times. */
static void check_wait_n_exact(const struct icr__rl *rl, int64_t now, uint32_t n, uint32_t burst)
{
    int64_t w = icr__rl_wait_n_ns(rl, now, n);
    uint32_t k = n == 0 ? 1 : n > burst ? burst : n;
    struct icr__rl a = *rl, b = *rl;

    assert_true(w >= 0);
    assert_int_equal(icr__rl_take(&a, now + w, k), k);
    if (w > 0)
        assert_true(icr__rl_take(&b, now + w - 1, k) < k);
}

static void test_wait_n_exact(void **state)
{
    (void)state;
    struct icr__rl rl;

    /* 1000 pps, burst 128: 10 tokens take 9 ms after the first is spent. */
    icr__rl_init(&rl, 1000, 128, 0);
    assert_true(icr__rl_wait_n_ns(&rl, 0, 1) == 0);
    assert_true(icr__rl_wait_n_ns(&rl, 0, 10) == 9 * MS);
    assert_int_equal(icr__rl_take(&rl, 0, 1), 1);
    assert_true(icr__rl_wait_n_ns(&rl, 0, 10) == 10 * MS);
    assert_true(icr__rl_wait_n_ns(&rl, 0, 0) == icr__rl_wait_ns(&rl, 0));
    assert_true(icr__rl_wait_n_ns(&rl, 0, 1) == icr__rl_wait_ns(&rl, 0));
    /* More than the bucket holds: the wait for a full bucket, not forever. */
    assert_true(icr__rl_wait_n_ns(&rl, 0, 1000) == 128 * MS);
    /* Unlimited: never a wait. */
    icr__rl_init(&rl, 0, 1, 0);
    assert_true(icr__rl_wait_n_ns(&rl, 0, 500) == 0);

    for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++) {
        uint32_t burst = 1 + (uint32_t)(next_rand() % 200);
        icr__rl_init(&rl, rates[i] + 3, burst, 0);
        int64_t now = 0;
        for (int n = 0; n < 2000; n++) {
            check_wait_n_exact(&rl, now, (uint32_t)(next_rand() % 300), burst);
            (void)icr__rl_take(&rl, now, (uint32_t)(next_rand() % 50));
            now += (int64_t)(next_rand() % (uint64_t)(40 * SEC / (int64_t)(rates[i] + 3) + 1));
        }
    }
}

/* A stall does not turn into a catch-up flood: at most `burst` at once,
 * then the plain rate again, even after a stall long enough to overflow
 * a naive pps * elapsed. */
static void test_burst_cap(void **state)
{
    (void)state;
    struct icr__rl rl;

    icr__rl_init(&rl, 10000000, 256, 0);
    assert_int_equal(icr__rl_take(&rl, 0, 1000), 1);
    assert_int_equal(icr__rl_take(&rl, 10 * SEC, 1000000), 256);
    assert_int_equal(icr__rl_take(&rl, 10 * SEC, 1000000), 0);
    /* 1 us later: 10 more, exactly. */
    assert_int_equal(icr__rl_take(&rl, 10 * SEC + 1000, 1000000), 10);

    /* One hour at 10 Mpps is 3.6e19 nanotokens... times 1e9: > 2^64. */
    assert_int_equal(icr__rl_take(&rl, 3600 * SEC, UINT32_MAX), 256);
    icr__rl_init(&rl, UINT64_MAX / 3, UINT32_MAX, 0);
    assert_true(icr__rl_take(&rl, INT64_MAX, UINT32_MAX) == UINT32_MAX);
    icr__rl_init(&rl, UINT64_MAX, 1, INT64_MIN);
    assert_int_equal(icr__rl_take(&rl, INT64_MIN, 5), 1);
    assert_int_equal(icr__rl_take(&rl, INT64_MAX, 5), 1);

    /* burst 0 is taken as 1, not as "never". */
    icr__rl_init(&rl, 1000, 0, 0);
    assert_int_equal(icr__rl_take(&rl, SEC, 50), 1);
}

/* Tokens granted but not used go back, never beyond the burst. */
static void test_give_back(void **state)
{
    (void)state;
    struct icr__rl rl;

    icr__rl_init(&rl, 1000, 10, 0);
    assert_int_equal(icr__rl_take(&rl, 10 * MS, 100), 10);
    assert_int_equal(icr__rl_take(&rl, 10 * MS, 100), 0);
    icr__rl_give_back(&rl, 4);
    assert_int_equal(icr__rl_take(&rl, 10 * MS, 100), 4);
    /* More than the burst comes back as the burst (10, plus the fraction
     * of a token the bucket may hold). */
    icr__rl_give_back(&rl, 1000000);
    assert_int_equal(icr__rl_take(&rl, 10 * MS, 100), 10);
    /* Unlimited: nothing to give back, nothing changes. */
    icr__rl_init(&rl, 0, 10, 0);
    icr__rl_give_back(&rl, 5);
    assert_int_equal(icr__rl_take(&rl, 0, 7), 7);
}

/* A clock that steps back is treated as standing still. */
static void test_clock_backwards(void **state)
{
    (void)state;
    struct icr__rl rl;

    icr__rl_init(&rl, 1000, 10, 0);
    assert_int_equal(icr__rl_take(&rl, 5 * MS, 100), 6);
    assert_int_equal(icr__rl_take(&rl, 2 * MS, 100), 0);
    /* From 2 ms, the next token is due at 6 ms. */
    assert_true(icr__rl_wait_ns(&rl, 2 * MS) == 4 * MS);
    assert_int_equal(icr__rl_take(&rl, 6 * MS, 100), 1);
}

static void test_unlimited(void **state)
{
    (void)state;
    struct icr__rl rl;

    icr__rl_init(&rl, 0, 1, 100);
    for (uint32_t w = 0; w < 70000; w += 997) {
        assert_int_equal(icr__rl_take(&rl, 100, w), w);
        assert_true(icr__rl_wait_ns(&rl, 100) == 0);
    }
    assert_true(icr__rl_take(&rl, 0, UINT32_MAX) == UINT32_MAX);
    assert_true(icr__rl_take(&rl, INT64_MAX, UINT32_MAX) == UINT32_MAX);
    assert_true(icr__rl_wait_ns(&rl, -5) == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rates_all_patterns),
        cmocka_unit_test(test_exact_totals),
        cmocka_unit_test(test_one_pps),
        cmocka_unit_test(test_wait_exact),
        cmocka_unit_test(test_wait_n_exact),
        cmocka_unit_test(test_burst_cap),
        cmocka_unit_test(test_clock_backwards),
        cmocka_unit_test(test_give_back),
        cmocka_unit_test(test_unlimited),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
