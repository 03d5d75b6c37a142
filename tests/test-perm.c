/* test-perm.c - the scan permutation: exact coverage (every index once) for
 * small, odd and large n, determinism per seed, shards that tile the scan,
 * resume, the inverse, and a crude look at how random the order is.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <cmocka.h>

#include "icmpring.h"
#include "perm.h"

static const uint64_t seeds[] = { 0, 1, UINT64_C(0xdeadbeefcafef00d) };

/* Walk all n positions, mark each index in a bitmap, fail on a repeat or an
 * out-of-range value.  n positions with no repeat inside [0, n) means every
 * index was visited exactly once. */
static void check_covers(uint64_t n, uint64_t seed)
{
    struct icr__perm p;
    uint64_t *bits = calloc((size_t)(n / 64 + 1), sizeof *bits);

    assert_non_null(bits);
    icr__perm_init(&p, n, seed);
    for (uint64_t pos = 0; pos < n; pos++) {
        uint64_t x = icr__perm_at(&p, pos);
        if (x >= n)
            fail_msg("n=%llu pos=%llu -> %llu out of range", (unsigned long long)n,
                     (unsigned long long)pos, (unsigned long long)x);
        if (bits[x / 64] & (UINT64_C(1) << (x % 64)))
            fail_msg("n=%llu seed=%llu: index %llu visited twice", (unsigned long long)n,
                     (unsigned long long)seed, (unsigned long long)x);
        bits[x / 64] |= UINT64_C(1) << (x % 64);
    }
    free(bits);
}

static void test_covers_small(void **state)
{
    (void)state;
    for (size_t s = 0; s < sizeof seeds / sizeof seeds[0]; s++) {
        check_covers(1, seeds[s]);
        check_covers(2, seeds[s]);
        check_covers(3, seeds[s]);
        check_covers(65536, seeds[s]);
        check_covers(65537, seeds[s]);
    }
    /* Every n up to 600 (every domain size 2^0..2^10, every cycle-walk
     * ratio), two seeds. */
    for (uint64_t n = 1; n <= 600; n++) {
        check_covers(n, 7);
        check_covers(n, n * 1000003);
    }
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 2^24 with a bitmap, timed; the ns per call is a diagnostic, not a test. */
static void test_covers_2_24(void **state)
{
    (void)state;
    double t0 = now_s();
    check_covers(UINT64_C(1) << 24, 42);
    double t1 = now_s();
    check_covers((UINT64_C(1) << 24) + 1, 42); /* worst case: domain 2^25 ~ 2n */
    double t2 = now_s();
    printf("# perm n=2^24 full coverage check %.2f s, %.1f ns/index (incl. bitmap)\n",
           t1 - t0, (t1 - t0) * 1e9 / (double)(UINT64_C(1) << 24));
    printf("# perm n=2^24+1 full coverage check %.2f s, %.1f ns/index\n", t2 - t1,
           (t2 - t1) * 1e9 / (double)((UINT64_C(1) << 24) + 1));

    /* Bare icr__perm_at cost; the xor sink keeps the calls alive. */
    struct icr__perm p;
    icr__perm_init(&p, UINT64_C(1) << 24, 9);
    uint64_t sink = 0;
    double t3 = now_s();
    for (uint64_t pos = 0; pos < (UINT64_C(1) << 24); pos++)
        sink ^= icr__perm_at(&p, pos);
    double t4 = now_s();
    printf("# perm_at n=2^24: %.1f ns/call (sink %llx)\n",
           (t4 - t3) * 1e9 / (double)(UINT64_C(1) << 24), (unsigned long long)sink);
    /* Worst case for cycle-walking: domain 2^25 for n = 2^24 + 1. */
    struct icr__perm q;
    uint64_t sink2 = 0;
    icr__perm_init(&q, (UINT64_C(1) << 24) + 1, 9);
    double t5 = now_s();
    for (uint64_t pos = 0; pos < (UINT64_C(1) << 24); pos++)
        sink2 += icr__perm_at(&q, pos);
    double t6 = now_s();
    printf("# perm_at n=2^24+1: %.1f ns/call (sink %llx)\n",
           (t6 - t5) * 1e9 / (double)(UINT64_C(1) << 24), (unsigned long long)sink2);
    /* The xor of all of [0, 2^24) is 0: one more exact coverage check. */
    assert_true(sink == 0);
    fflush(stdout);
}

static void test_deterministic(void **state)
{
    (void)state;
    struct icr__perm a, b, c, d;
    const uint64_t n = UINT64_C(1) << 24;

    icr__perm_init(&a, n, 1);
    icr__perm_init(&b, n, 1);
    icr__perm_init(&c, n, 2);
    icr__perm_init(&d, n - 1, 1);
    unsigned same_c = 0, same_d = 0;
    for (uint64_t pos = 0; pos < 1000; pos++) {
        assert_true(icr__perm_at(&a, pos) == icr__perm_at(&b, pos));
        same_c += icr__perm_at(&a, pos) == icr__perm_at(&c, pos);
        same_d += icr__perm_at(&a, pos) == icr__perm_at(&d, pos);
    }
    /* Unrelated orders agree at a position with probability ~1/n. */
    assert_true(same_c < 3);
    assert_true(same_d < 3);

    /* n = 2 has only two orders; over 64 seeds both must appear. */
    unsigned swapped = 0;
    for (uint64_t s = 0; s < 64; s++) {
        icr__perm_init(&a, 2, s);
        swapped += icr__perm_at(&a, 0) == 1;
    }
    assert_true(swapped > 0 && swapped < 64);
}

/* Shards with the same seed tile [0, n): union is everything, no overlap,
 * and each shard yields exactly icr__perm_shard_count() indices. */
static void test_shards_tile(void **state)
{
    (void)state;
    static const uint32_t shard_counts[] = { 1, 3, 7, 16 };
    const uint64_t n = 65537;
    struct icr__perm p;
    uint8_t *seen = calloc(n, 1);

    assert_non_null(seen);
    icr__perm_init(&p, n, 1234);
    for (size_t t = 0; t < sizeof shard_counts / sizeof shard_counts[0]; t++) {
        uint32_t N = shard_counts[t];
        uint64_t total = 0;
        for (uint64_t i = 0; i < n; i++)
            seen[i] = 0;
        for (uint32_t s = 0; s < N; s++) {
            struct icr__perm_iter it;
            uint64_t x, got = 0;
            icr__perm_iter_init(&it, &p, N, s, 0);
            while (icr__perm_iter_next(&it, &x)) {
                assert_true(x < n);
                assert_int_equal(seen[x], 0);
                seen[x] = 1;
                got++;
            }
            assert_true(got == icr__perm_shard_count(n, N, s));
            /* Shard counts differ by at most one. */
            assert_true(got == n / N || got == n / N + 1);
            total += got;
        }
        assert_true(total == n);
        for (uint64_t i = 0; i < n; i++)
            assert_int_equal(seen[i], 1);
    }
    free(seen);
}

/* icr_shard_of (the exported rule multiping and traceroute shard hosts
 * and destinations by, and merge restores input order with) names the
 * shard whose iterator visits the index: shards tile [0, n) exactly. */
static void test_shard_of_matches_iter(void **state)
{
    (void)state;
    const uint64_t n = 2000;
    const uint32_t N = 4;
    struct icr__perm p;
    uint32_t *owner = calloc(n, sizeof(*owner));
    uint64_t per[4] = {0};

    assert_non_null(owner);
    icr__perm_init(&p, n, 42);
    for (uint64_t i = 0; i < n; i++)
        owner[i] = UINT32_MAX;
    for (uint32_t s = 0; s < N; s++) {
        struct icr__perm_iter it;
        uint64_t x;
        icr__perm_iter_init(&it, &p, N, s, 0);
        while (icr__perm_iter_next(&it, &x)) {
            assert_int_equal(owner[x], UINT32_MAX); /* no overlap */
            owner[x] = s;
        }
    }
    for (uint64_t i = 0; i < n; i++) {
        uint32_t sh = UINT32_MAX;
        assert_int_equal(icr_shard_of(i, n, 42, N, &sh), 0);
        assert_int_equal(sh, owner[i]);  /* union is everything, same rule */
        per[sh]++;
    }
    for (uint32_t s = 0; s < N; s++)
        assert_int_equal(per[s], n / N);
    /* Another seed splits differently; one shard takes everything. */
    uint64_t moved = 0;
    for (uint64_t i = 0; i < n; i++) {
        uint32_t sh;
        assert_int_equal(icr_shard_of(i, n, 43, N, &sh), 0);
        moved += sh != owner[i];
        assert_int_equal(icr_shard_of(i, n, 43, 1, &sh), 0);
        assert_int_equal(sh, 0);
    }
    assert_true(moved > n / 2);
    free(owner);
}

static void test_shard_count(void **state)
{
    (void)state;
    /* Hand-computed (the 2^48 ones with Python): positions 0..9 over 3 shards are {0,3,6,9} {1,4,7} {2,5,8}. */
    assert_true(icr__perm_shard_count(10, 3, 0) == 4);
    assert_true(icr__perm_shard_count(10, 3, 1) == 3);
    assert_true(icr__perm_shard_count(10, 3, 2) == 3);
    assert_true(icr__perm_shard_count(1, 1, 0) == 1);
    assert_true(icr__perm_shard_count(2, 16, 1) == 1);
    assert_true(icr__perm_shard_count(2, 16, 2) == 0);
    assert_true(icr__perm_shard_count(2, 16, 15) == 0);
    assert_true(icr__perm_shard_count(ICR__PERM_MAX_N, 7, 0) == 40210710958666ull);
    assert_true(icr__perm_shard_count(ICR__PERM_MAX_N, 7, 6) == 40210710958665ull);
    assert_true(icr__perm_shard_pos(3, 2, 2) == 8);

    /* An empty shard yields nothing. */
    struct icr__perm p;
    struct icr__perm_iter it;
    uint64_t x = 77;
    icr__perm_init(&p, 2, 5);
    icr__perm_iter_init(&it, &p, 16, 9, 0);
    assert_false(icr__perm_iter_next(&it, &x));
    assert_true(x == 77);
}

/* Resume: stopping after k probes and restarting from the saved `done`
 * continues with exactly the same sequence. */
static void test_resume(void **state)
{
    (void)state;
    const uint64_t n = 100003;
    struct icr__perm p;
    struct icr__perm_iter full, a, b;
    uint64_t x, y;

    icr__perm_init(&p, n, 99);
    icr__perm_iter_init(&full, &p, 4, 3, 0);
    icr__perm_iter_init(&a, &p, 4, 3, 0);
    for (int i = 0; i < 1234; i++)
        assert_true(icr__perm_iter_next(&a, &x));
    uint64_t saved = a.done;
    assert_true(saved == 1234);
    for (int i = 0; i < 1234; i++)
        assert_true(icr__perm_iter_next(&full, &x));
    icr__perm_iter_init(&b, &p, 4, 3, saved);
    while (icr__perm_iter_next(&full, &x)) {
        assert_true(icr__perm_iter_next(&b, &y));
        assert_true(x == y);
    }
    assert_false(icr__perm_iter_next(&b, &y));
    /* Probe k of shard 3/4 is global position 3 + 4k. */
    assert_true(icr__perm_shard_pos(4, 3, 1234) == 4939);
}

/* The inverse undoes icr__perm_at, which also shows injectivity where the
 * domain is too large for a bitmap (n = 2^48 and an awkward odd n). */
static void test_inverse(void **state)
{
    (void)state;
    static const uint64_t ns[] = { 1, 2, 3, 1000, (UINT64_C(1) << 32) + 15,
                                   ICR__PERM_MAX_N - 1, ICR__PERM_MAX_N };
    uint64_t r = 88172645463325252ull;

    for (size_t t = 0; t < sizeof ns / sizeof ns[0]; t++) {
        struct icr__perm p;
        icr__perm_init(&p, ns[t], 31337);
        for (int i = 0; i < 20000; i++) {
            r ^= r << 13;
            r ^= r >> 7;
            r ^= r << 17;
            uint64_t pos = r % ns[t];
            uint64_t x = icr__perm_at(&p, pos);
            assert_true(x < ns[t]);
            assert_true(icr__perm_pos_of(&p, x) == pos);
        }
    }
}

/* Crude randomness: the first 1000 probes of a 2^24 scan are not monotone,
 * fill all 16 sixteenths of the range roughly evenly (expected 62.5 each,
 * sd ~7.7), and consecutive probes are far apart on average (expected n/3). */
static void test_looks_random(void **state)
{
    (void)state;
    const uint64_t n = UINT64_C(1) << 24;

    for (size_t s = 0; s < sizeof seeds / sizeof seeds[0]; s++) {
        struct icr__perm p;
        unsigned bucket[16] = { 0 };
        unsigned ups = 0;
        double gap = 0;
        uint64_t prev = 0;

        icr__perm_init(&p, n, seeds[s]);
        for (uint64_t pos = 0; pos < 1000; pos++) {
            uint64_t x = icr__perm_at(&p, pos);
            bucket[x / (n / 16)]++;
            if (pos > 0) {
                ups += x > prev;
                gap += x > prev ? (double)(x - prev) : (double)(prev - x);
            }
            prev = x;
        }
        for (int b = 0; b < 16; b++)
            assert_true(bucket[b] >= 25 && bucket[b] <= 110);
        /* Rises ~ 500 +- 16 for a random order; monotone would be 0 or 999. */
        assert_true(ups > 400 && ups < 600);
        gap /= 999;
        assert_true(gap > (double)n / 4 && gap < (double)n / 2.4);
        /* The identity would put position i at index i. */
        unsigned fixed = 0;
        for (uint64_t pos = 0; pos < 1000; pos++)
            fixed += icr__perm_at(&p, pos) == pos;
        assert_true(fixed < 3);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_covers_small),
        cmocka_unit_test(test_covers_2_24),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_shards_tile),
        cmocka_unit_test(test_shard_count),
        cmocka_unit_test(test_shard_of_matches_iter),
        cmocka_unit_test(test_resume),
        cmocka_unit_test(test_inverse),
        cmocka_unit_test(test_looks_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
