/* test-targets.c - icr_targets: entry syntax (addresses, CIDRs, ranges,
 * names, files), fping -g's network/broadcast trimming, merging and
 * excludes, index <-> address mapping against a brute-force bitmap model,
 * the ICR_TARGETS_MAX limit, memory per entry, and the cost of one get().
 *
 * Expected addresses are built by the test with inet_pton(), never by the
 * code under test.  Everything is offline: the one name used is
 * "localhost", which /etc/hosts answers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "icmpring.h"

/* ------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------ */

static struct icr_addr A(const char *s)
{
    struct icr_addr a = { .family = AF_UNSPEC };

    if (inet_pton(AF_INET, s, &a.v4) == 1)
        a.family = AF_INET;
    else if (inet_pton(AF_INET6, s, &a.v6) == 1)
        a.family = AF_INET6;
    else
        fail_msg("bad test address %s", s);
    return a;
}

static icr_targets *new_set(void)
{
    icr_targets *t = NULL;

    assert_int_equal(icr_targets_new(&t), 0);
    assert_non_null(t);
    return t;
}

/* Count of a set made of one entry. */
static uint64_t count_of(const char *spec, unsigned flags)
{
    icr_targets *t = new_set();
    uint64_t n;

    assert_int_equal(icr_targets_add(t, spec, flags), 0);
    n = icr_targets_count(t);
    icr_targets_free(t);
    return n;
}

static void assert_addr(const struct icr_addr *got, const char *want)
{
    struct icr_addr w = A(want);
    char buf[INET6_ADDRSTRLEN];

    assert_int_equal(got->family, w.family);
    assert_int_equal(got->scope_id, 0);
    if (memcmp(got->bytes, w.bytes, w.family == AF_INET ? 4 : 16) != 0) {
        inet_ntop(got->family, got->bytes, buf, sizeof(buf));
        fail_msg("got %s, want %s", buf, want);
    }
}

static void assert_get(icr_targets *t, uint64_t i, const char *want)
{
    struct icr_addr a;
    uint64_t back = UINT64_MAX;

    assert_int_equal(icr_targets_get(t, i, &a), 0);
    assert_addr(&a, want);
    assert_int_equal(icr_targets_index(t, &a, &back), 0);
    assert_true(back == i);
}

static void assert_not_member(icr_targets *t, const char *s)
{
    struct icr_addr a = A(s);
    uint64_t idx = 12345;

    assert_int_equal(icr_targets_index(t, &a, &idx), ICR_EINVAL);
    assert_true(idx == 12345); /* untouched on failure */
}

/* xorshift64*: deterministic, so a failure reproduces. */
static uint64_t rnd(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * UINT64_C(2685821657736338717);
}

/* ------------------------------------------------------------------------
 * Tests
 * ------------------------------------------------------------------------ */

static void test_null_and_flags(void **state)
{
    icr_targets *t = new_set();
    struct icr_addr a = A("198.18.0.1");
    uint64_t idx;
    size_t line = 99;
    FILE *f = tmpfile();

    (void)state;
    assert_non_null(f);
    assert_int_equal(icr_targets_new(NULL), ICR_EINVAL);
    assert_null(icr_targets_free(NULL));
    assert_int_equal(icr_targets_add(NULL, "198.18.0.1", 0), ICR_EINVAL);
    assert_int_equal(icr_targets_add(t, NULL, 0), ICR_EINVAL);
    assert_int_equal(icr_targets_exclude(NULL, "198.18.0.1", 0), ICR_EINVAL);
    assert_int_equal(icr_targets_exclude(t, NULL, 0), ICR_EINVAL);
    assert_int_equal(icr_targets_add_file(NULL, f, false, 0, &line), ICR_EINVAL);
    assert_int_equal(icr_targets_add_file(t, NULL, false, 0, &line), ICR_EINVAL);
    assert_int_equal(line, 99);
    assert_true(icr_targets_count(NULL) == 0);
    assert_int_equal(icr_targets_get(NULL, 0, &a), ICR_EINVAL);
    assert_int_equal(icr_targets_index(NULL, &a, &idx), ICR_EINVAL);

    /* Unknown flags, and both family restrictions at once. */
    assert_int_equal(icr_targets_add(t, "198.18.0.1", 1u << 9), ICR_EINVAL);
    assert_int_equal(icr_targets_exclude(t, "198.18.0.1", 1u << 31), ICR_EINVAL);
    assert_int_equal(icr_targets_add(t, "198.18.0.1", ICR_TARGETS_ONLY_V4 | ICR_TARGETS_ONLY_V6),
                     ICR_EINVAL);
    assert_int_equal(icr_targets_add_file(t, f, false, 1u << 9, NULL), ICR_EINVAL);

    /* The empty set. */
    assert_true(icr_targets_count(t) == 0);
    assert_int_equal(icr_targets_get(t, 0, &a), ICR_EINVAL);
    assert_int_equal(icr_targets_index(t, &a, &idx), ICR_EINVAL);

    assert_int_equal(icr_targets_add(t, "198.18.0.1", 0), 0);
    assert_int_equal(icr_targets_get(t, 0, NULL), ICR_EINVAL);
    assert_int_equal(icr_targets_index(t, NULL, &idx), ICR_EINVAL);
    assert_int_equal(icr_targets_index(t, &a, NULL), ICR_EINVAL);
    a.family = AF_UNSPEC;
    assert_int_equal(icr_targets_index(t, &a, &idx), ICR_EINVAL);
    assert_null(icr_targets_free(t));
    fclose(f);
}

static void test_v4_cidr(void **state)
{
    icr_targets *t;

    (void)state;
    /* fping -g: a /n of n <= 30 loses its network and broadcast address,
     * one each, however wide (a /15 is one subnet, not two /16s). */
    assert_true(count_of("198.18.0.0/16", 0) == 65534);
    assert_true(count_of("198.18.0.0/15", 0) == 131070);
    assert_true(count_of("198.18.0.0/30", 0) == 2);
    assert_true(count_of("198.18.0.0/29", 0) == 6);
    assert_true(count_of("198.18.0.0/31", 0) == 2);
    assert_true(count_of("198.18.0.7/32", 0) == 1);
    assert_true(count_of("0.0.0.0/0", 0) == UINT64_C(4294967294));
    assert_true(count_of("198.18.0.0/16", ICR_TARGETS_KEEP_NETBCAST) == 65536);
    assert_true(count_of("198.18.0.0/30", ICR_TARGETS_KEEP_NETBCAST) == 4);
    assert_true(count_of("198.18.0.0/31", ICR_TARGETS_KEEP_NETBCAST) == 2);
    assert_true(count_of("0.0.0.0/0", ICR_TARGETS_KEEP_NETBCAST) == UINT64_C(4294967296));
    /* Blanks around the entry are not part of it. */
    assert_true(count_of(" \t198.18.0.0/24\r\n", 0) == 254);

    t = new_set();
    assert_int_equal(icr_targets_add(t, "198.18.0.0/16", 0), 0);
    assert_get(t, 0, "198.18.0.1");
    assert_get(t, 254, "198.18.0.255");
    assert_get(t, 255, "198.18.1.0");
    assert_get(t, 65533, "198.18.255.254");
    assert_not_member(t, "198.18.0.0");
    assert_not_member(t, "198.18.255.255");
    t = icr_targets_free(t);

    t = new_set();
    assert_int_equal(icr_targets_add(t, "198.18.0.0/31", 0), 0);
    assert_get(t, 0, "198.18.0.0");
    assert_get(t, 1, "198.18.0.1");
    t = icr_targets_free(t);

    t = new_set();
    assert_int_equal(icr_targets_add(t, "0.0.0.0/0", ICR_TARGETS_KEEP_NETBCAST), 0);
    assert_get(t, 0, "0.0.0.0");
    assert_get(t, UINT64_C(4294967295), "255.255.255.255");
    icr_targets_free(t);
}

static void test_v6_cidr(void **state)
{
    icr_targets *t;

    (void)state;
    /* No trimming in IPv6: it has no broadcast address. */
    assert_true(count_of("2001:db8:1::/108", 0) == 1048576);
    assert_true(count_of("2001:db8::/104", 0) == 16777216);
    assert_true(count_of("2001:db8::/127", 0) == 2);
    assert_true(count_of("2001:db8::1/128", 0) == 1);
    assert_true(count_of("2001:db8::/80", 0) == ICR_TARGETS_MAX);

    t = new_set();
    assert_int_equal(icr_targets_add(t, "2001:db8::/104", 0), 0);
    assert_get(t, 0, "2001:db8::");
    assert_get(t, 1, "2001:db8::1");
    assert_get(t, 0x10000, "2001:db8::1:0");
    assert_get(t, 16777215, "2001:db8::ff:ffff");
    assert_not_member(t, "2001:db8::100:0");
    assert_not_member(t, "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff");
    icr_targets_free(t);

    /* A carry across all 64 low bits. */
    t = new_set();
    assert_int_equal(icr_targets_add(t, "2001:db8::ffff:ffff:ffff:fffe-2001:db8:0:1::1", 0), 0);
    assert_true(icr_targets_count(t) == 4);
    assert_get(t, 1, "2001:db8::ffff:ffff:ffff:ffff");
    assert_get(t, 2, "2001:db8:0:1::");
    icr_targets_free(t);
}

/* The heap bytes in use, from the allocator that runs: glibc's arena
 * (mallinfo2), or under AddressSanitizer - whose malloc bypasses glibc's
 * arena, so mallinfo2 would read 0 - ASan's own count. */
#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif
#ifdef TEST_ASAN
/* From libasan (sanitizer/allocator_interface.h, not always installed). */
size_t __sanitizer_get_current_allocated_bytes(void);
static size_t heap_in_use(void)
{
    return __sanitizer_get_current_allocated_bytes();
}
#else
static size_t heap_in_use(void)
{
    return mallinfo2().uordblks;
}
#endif

/* A few hundred bytes for 16.7M addresses: memory follows entries.
 * Measured over many sets, so that the chunks glibc keeps in its
 * per-thread cache (reused without counting as new) do not hide any.
 * The figure must be real: at least the set's own struct per set (a
 * measurement that reads 0 fails instead of passing). */
static void test_memory(void **state)
{
    enum { SETS = 1000 };
    size_t before, after;
    icr_targets **t = calloc(SETS, sizeof(*t));
    size_t per_set;

    (void)state;
    assert_non_null(t);
    before = heap_in_use();
    for (int i = 0; i < SETS; i++) {
        t[i] = new_set();
        assert_int_equal(icr_targets_add(t[i], "2001:db8::/104", 0), 0);
        assert_true(icr_targets_count(t[i]) == 16777216);
    }
    after = heap_in_use();
    assert_true(after > before);
    per_set = (after - before) / SETS;
    printf("# memory: a 2001:db8::/104 set uses %zu bytes of heap\n", per_set);
    assert_true(per_set >= 32);
    assert_true(per_set < 1024);
    for (int i = 0; i < SETS; i++)
        icr_targets_free(t[i]);
    free(t);
}

static void test_ranges(void **state)
{
    icr_targets *t;

    (void)state;
    assert_true(count_of("198.18.0.10-198.18.0.20", 0) == 11);
    assert_true(count_of("198.18.0.5-198.18.0.5", 0) == 1);
    /* A range is taken as written: no network/broadcast trimming. */
    assert_true(count_of("198.18.0.0-198.18.0.255", 0) == 256);
    assert_true(count_of("2001:db8::ffff-2001:db8::1:0", 0) == 2);
    assert_true(count_of("0.0.0.0-255.255.255.255", 0) == UINT64_C(4294967296));

    t = new_set();
    assert_int_equal(icr_targets_add(t, "198.18.0.250-198.18.1.5", 0), 0);
    assert_true(icr_targets_count(t) == 12);
    assert_get(t, 0, "198.18.0.250");
    assert_get(t, 5, "198.18.0.255");
    assert_get(t, 6, "198.18.1.0");
    assert_get(t, 11, "198.18.1.5");
    icr_targets_free(t);
}

static void test_merge(void **state)
{
    icr_targets *t = new_set();

    (void)state;
    /* Overlap: .0.1-.0.254 and .0.100-.1.10 make .0.1-.1.10. */
    assert_int_equal(icr_targets_add(t, "198.18.0.0/24", 0), 0);
    assert_int_equal(icr_targets_add(t, "198.18.0.100-198.18.1.10", 0), 0);
    assert_true(icr_targets_count(t) == 266);
    assert_get(t, 253, "198.18.0.254");
    assert_get(t, 254, "198.18.0.255");
    assert_get(t, 265, "198.18.1.10");
    /* Contained and duplicate entries add nothing; a later add recompiles. */
    assert_int_equal(icr_targets_add(t, "198.18.0.7", 0), 0);
    assert_int_equal(icr_targets_add(t, "198.18.0.7", 0), 0);
    assert_int_equal(icr_targets_add(t, "198.18.0.64/26", 0), 0);
    assert_true(icr_targets_count(t) == 266);
    /* Adjacent: .1.11-.1.20 continues the interval; inserted before it. */
    assert_int_equal(icr_targets_add(t, "198.18.1.11-198.18.1.20", 0), 0);
    assert_int_equal(icr_targets_add(t, "198.18.0.0", 0), 0);
    assert_true(icr_targets_count(t) == 277);
    assert_get(t, 0, "198.18.0.0");
    assert_get(t, 1, "198.18.0.1");
    assert_get(t, 276, "198.18.1.20");
    icr_targets_free(t);

    /* IPv6 adjacency at the top of the address space. */
    t = new_set();
    assert_int_equal(icr_targets_add(t, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff0/124", 0), 0);
    assert_int_equal(icr_targets_add(t, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffe0/124", 0), 0);
    assert_int_equal(icr_targets_add(t, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0), 0);
    assert_true(icr_targets_count(t) == 32);
    assert_get(t, 31, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    icr_targets_free(t);
}

static void test_excludes(void **state)
{
    icr_targets *t = new_set();

    (void)state;
    assert_int_equal(icr_targets_add(t, "198.18.0.0/24", 0), 0);
    assert_int_equal(icr_targets_exclude(t, "198.18.0.100", 0), 0);
    assert_true(icr_targets_count(t) == 253);
    assert_get(t, 98, "198.18.0.99");
    assert_get(t, 99, "198.18.0.101");
    assert_not_member(t, "198.18.0.100");

    assert_int_equal(icr_targets_exclude(t, "198.18.0.128/25", 0), 0);
    assert_true(icr_targets_count(t) == 126); /* .1-.127 minus .100 */
    assert_get(t, 125, "198.18.0.127");
    assert_int_equal(icr_targets_exclude(t, "198.18.0.2-198.18.0.10", 0), 0);
    assert_true(icr_targets_count(t) == 117);
    assert_get(t, 0, "198.18.0.1");
    assert_get(t, 1, "198.18.0.11");

    /* An exclude holds for entries added after it too. */
    assert_int_equal(icr_targets_add(t, "198.18.0.200", 0), 0);
    assert_int_equal(icr_targets_add(t, "198.18.0.5", 0), 0);
    assert_true(icr_targets_count(t) == 117);
    /* Other family untouched. */
    assert_int_equal(icr_targets_add(t, "2001:db8::/126", 0), 0);
    assert_int_equal(icr_targets_exclude(t, "2001:db8::1-2001:db8::2", 0), 0);
    assert_true(icr_targets_count(t) == 119);
    assert_get(t, 117, "2001:db8::");
    assert_get(t, 118, "2001:db8::3");

    /* Excluding everything. */
    assert_int_equal(icr_targets_exclude(t, "0.0.0.0/0", 0), 0);
    assert_int_equal(icr_targets_exclude(t, "::/0", 0), 0);
    assert_true(icr_targets_count(t) == 0);
    {
        struct icr_addr a;

        assert_int_equal(icr_targets_get(t, 0, &a), ICR_EINVAL);
    }
    assert_not_member(t, "198.18.0.1");
    icr_targets_free(t);

    /* An exclude CIDR covers its network and broadcast addresses too, and
     * one exclude may cut several intervals. */
    t = new_set();
    assert_int_equal(icr_targets_add(t, "198.18.0.0/24", ICR_TARGETS_KEEP_NETBCAST), 0);
    assert_int_equal(icr_targets_add(t, "198.18.2.0-198.18.2.9", 0), 0);
    assert_int_equal(icr_targets_exclude(t, "198.18.0.0/24", 0), 0);
    assert_true(icr_targets_count(t) == 10);
    assert_int_equal(icr_targets_exclude(t, "198.18.2.3-198.18.2.4", 0), 0);
    assert_int_equal(icr_targets_exclude(t, "198.18.2.6", 0), 0);
    assert_int_equal(icr_targets_exclude(t, "198.18.1.0-198.18.2.0", 0), 0);
    assert_true(icr_targets_count(t) == 6);
    assert_get(t, 0, "198.18.2.1");
    assert_get(t, 1, "198.18.2.2");
    assert_get(t, 2, "198.18.2.5");
    assert_get(t, 3, "198.18.2.7");
    assert_get(t, 5, "198.18.2.9");
    icr_targets_free(t);
}

/* IPv4 first, then IPv6, each in address order, whatever the entry order. */
static void test_mixed_order(void **state)
{
    icr_targets *t = new_set();
    struct icr_addr a;
    uint64_t idx;

    (void)state;
    assert_int_equal(icr_targets_add(t, "2001:db8::/120", 0), 0);
    assert_int_equal(icr_targets_add(t, "198.18.0.0/24", 0), 0);
    assert_int_equal(icr_targets_add(t, "::1", 0), 0);
    assert_int_equal(icr_targets_add(t, "192.0.2.1", 0), 0);
    assert_true(icr_targets_count(t) == 1 + 254 + 1 + 256);
    assert_get(t, 0, "192.0.2.1");
    assert_get(t, 1, "198.18.0.1");
    assert_get(t, 254, "198.18.0.254");
    assert_get(t, 255, "::1");
    assert_get(t, 256, "2001:db8::");
    assert_get(t, 511, "2001:db8::ff");
    assert_int_equal(icr_targets_get(t, 512, &a), ICR_EINVAL);
    assert_int_equal(icr_targets_get(t, UINT64_MAX, &a), ICR_EINVAL);
    /* An IPv4 address and the IPv6 one with the same low bits differ. */
    assert_not_member(t, "::192.0.2.1");
    assert_not_member(t, "0.0.0.1");
    /* The zone of a looked-up address is ignored. */
    a = A("2001:db8::5");
    a.scope_id = 3;
    assert_int_equal(icr_targets_index(t, &a, &idx), 0);
    assert_true(idx == 261);
    icr_targets_free(t);
}

static void test_index_roundtrip(void **state)
{
    icr_targets *t = new_set();
    uint64_t seed = 0x9e3779b97f4a7c15u, n;
    char buf[128];

    (void)state;
    /* 300 IPv4 /26s and 300 IPv6 ranges scattered over the test blocks. */
    for (int i = 0; i < 300; i++) {
        uint64_t r = rnd(&seed);

        snprintf(buf, sizeof(buf), "198.%u.%u.%u/26", 18 + (unsigned)(r & 1),
                 (unsigned)(r >> 8) & 255, (unsigned)((r >> 16) & 3) * 64);
        assert_int_equal(icr_targets_add(t, buf, 0), 0);
        snprintf(buf, sizeof(buf), "2001:db8:%x::%x:0-2001:db8:%x::%x:%x",
                 (unsigned)(r >> 20) & 0xffff, (unsigned)(r >> 36) & 0xffff,
                 (unsigned)(r >> 20) & 0xffff, (unsigned)(r >> 36) & 0xffff,
                 (unsigned)(r >> 52) & 0xfff);
        assert_int_equal(icr_targets_add(t, buf, 0), 0);
    }
    n = icr_targets_count(t);
    assert_true(n > 0);
    for (int k = 0; k < 20000; k++) {
        uint64_t i = k < 2 ? (uint64_t)k * (n - 1) : rnd(&seed) % n, back = UINT64_MAX;
        struct icr_addr a;

        assert_int_equal(icr_targets_get(t, i, &a), 0);
        assert_int_equal(icr_targets_index(t, &a, &back), 0);
        assert_true(back == i);
    }
    assert_not_member(t, "198.20.0.1");
    assert_not_member(t, "2001:db9::");
    icr_targets_free(t);
}

/* Random entries and excludes over a 4096-address IPv4 block and a 4096-
 * address IPv6 block, checked address by address against a bitmap. */
#define UNIV 4096
static void test_against_model(void **state)
{
    uint64_t seed = 42;

    (void)state;
    for (int round = 0; round < 40; round++) {
        static bool in[2][UNIV], out[2][UNIV];
        icr_targets *t = new_set();
        uint64_t expect = 0, idx;
        char buf[128];

        memset(in, 0, sizeof(in));
        memset(out, 0, sizeof(out));
        for (int op = 0; op < 30; op++) {
            uint64_t r = rnd(&seed);
            int fam = (int)(r & 1), kind = (int)((r >> 1) % 3);
            bool excl = ((r >> 3) % 4) == 0, keep = (r >> 5) & 1;
            unsigned lo = (unsigned)(r >> 8) % UNIV, hi = lo, len = 32;
            bool trim = false;

            if (kind == 1) {
                hi = lo + (unsigned)(r >> 24) % 200;
                if (hi >= UNIV)
                    hi = UNIV - 1;
            } else if (kind == 2) {
                unsigned host = (unsigned)(r >> 24) % 11; /* /22 .. /32 */

                lo &= ~((1u << host) - 1);
                hi = lo + (1u << host) - 1;
                len = 32 - host;
                trim = fam == 0 && len <= 30 && !excl && !keep;
            }
            if (fam == 0) {
                /* 198.18.0.0/20 */
                if (kind == 2)
                    snprintf(buf, sizeof(buf), "198.18.%u.%u/%u", lo >> 8, lo & 255, len);
                else
                    snprintf(buf, sizeof(buf), "198.18.%u.%u-198.18.%u.%u", lo >> 8,
                             lo & 255, hi >> 8, hi & 255);
            } else {
                /* 2001:db8::/116, prefix lengths 118..128 */
                if (kind == 2)
                    snprintf(buf, sizeof(buf), "2001:db8::%x/%u", lo, len + 96);
                else
                    snprintf(buf, sizeof(buf), "2001:db8::%x-2001:db8::%x", lo, hi);
            }
            if (excl)
                assert_int_equal(icr_targets_exclude(t, buf, 0), 0);
            else
                assert_int_equal(
                    icr_targets_add(t, buf, keep ? ICR_TARGETS_KEEP_NETBCAST : 0), 0);
            for (unsigned x = lo + trim; x + trim <= hi; x++)
                (excl ? out : in)[fam][x] = true;
            /* Sometimes query in between: compile, then change again. */
            if ((r >> 40) % 5 == 0)
                (void)icr_targets_count(t);
        }

        for (int fam = 0; fam < 2; fam++)
            for (unsigned x = 0; x < UNIV; x++)
                expect += in[fam][x] && !out[fam][x];
        assert_true(icr_targets_count(t) == expect);

        idx = 0;
        for (int fam = 0; fam < 2; fam++) {
            for (unsigned x = 0; x < UNIV; x++) {
                if (fam == 0)
                    snprintf(buf, sizeof(buf), "198.18.%u.%u", x >> 8, x & 255);
                else
                    snprintf(buf, sizeof(buf), "2001:db8::%x", x);
                if (in[fam][x] && !out[fam][x])
                    assert_get(t, idx++, buf);
                else
                    assert_not_member(t, buf);
            }
        }
        icr_targets_free(t);
    }
}

static void test_malformed(void **state)
{
    static const char *const bad[] = {
        "198.18.0.0/33",
        "198.18.0.1/16",            /* host bits set */
        "2001:db8::1/64",           /* host bits set */
        "1.2.3.4-1.2.3.3",          /* reversed */
        "2001:db8::2-2001:db8::1",  /* reversed */
        "1.2.3.4-2001:db8::1",      /* two families */
        "2001:db8::1-1.2.3.4",
        "1.2.3.4/",
        "/24",
        "",
        "   \t ",
        "1.2.3",
        "a b",
        "1.2.3.4 1.2.3.5",
        "198.18.0.0 /24",
        "2001:db8::/129",
        "::/200",
        "198.18.0.0/024",
        "198.18.0.0/+24",
        "198.18.0.0/-1",
        "198.18.0.0/2a",
        "198.18.0.0/24/24",
        "198.18.0.0/1000",
        "198.18.0.1-",
        "-198.18.0.1",
        "198.18.0.1--198.18.0.2",
        "198.18.0.1-198.18.0.2-198.18.0.3",
        "198.18.0.1-198.18.0",
        "256.1.1.1",
        "01.2.3.4",
        "198.18.0.1#comment",
        "fe80::1%lo",               /* zones are refused */
        "fe80::1%1",
        "fe80::%lo/64",
        "fe80::1%lo-fe80::2%lo",
        "2001:db8:::1",
        "-",
        "/",
        "host_name.example",        /* '_' is not a host name */
        "-leading-hyphen.example",
    };
    icr_targets *t = new_set();
    char longer[400];

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int r = icr_targets_add(t, bad[i], 0);

        if (r != ICR_EINVAL)
            fail_msg("add \"%s\" gave %d, want ICR_EINVAL", bad[i], r);
        r = icr_targets_exclude(t, bad[i], 0);
        if (r != ICR_EINVAL)
            fail_msg("exclude \"%s\" gave %d, want ICR_EINVAL", bad[i], r);
    }
    memset(longer, 'a', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = '\0';
    assert_int_equal(icr_targets_add(t, longer, 0), ICR_EINVAL);
    /* Nothing went in. */
    assert_true(icr_targets_count(t) == 0);
    icr_targets_free(t);
}

static FILE *file_of(const char *text, size_t len)
{
    FILE *f = tmpfile();

    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    rewind(f);
    return f;
}

static void test_add_file(void **state)
{
    static const char good[] = "# a target list\n"
                               "198.18.0.0/30\n"
                               "\n"
                               "   192.0.2.1   # trailing comment\r\n"
                               "2001:db8::1\r\n"
                               "\t\r\n"
                               "#\n"
                               "198.51.100.10-198.51.100.12#no blank before\n"
                               "203.0.113.9"; /* no final newline */
    static const char bad[] = "198.18.0.1\n"
                              "# comment\n"
                              "\n"
                              "1.2.3\n"
                              "198.18.0.2\n";
    static const char nul[] = "198.18.0.1\n198.18.0.2\0junk\n";
    icr_targets *t = new_set();
    size_t line = 0;
    FILE *f;
    char *big;

    (void)state;
    f = file_of(good, sizeof(good) - 1);
    assert_int_equal(icr_targets_add_file(t, f, false, 0, &line), 0);
    fclose(f);
    assert_true(icr_targets_count(t) == 2 + 1 + 3 + 1 + 1);
    assert_get(t, 0, "192.0.2.1");
    assert_get(t, 1, "198.18.0.1");
    assert_get(t, 6, "203.0.113.9");
    assert_get(t, 7, "2001:db8::1");

    /* Excluding from a file, through fmemopen. */
    {
        static char ex[] = "198.18.0.0/24 # the whole /24\n2001:db8::/64\n";

        f = fmemopen(ex, sizeof(ex) - 1, "r");
        assert_non_null(f);
        assert_int_equal(icr_targets_add_file(t, f, true, 0, &line), 0);
        fclose(f);
        assert_true(icr_targets_count(t) == 5);
    }

    /* The failing line's number; the lines before it stay. */
    t = icr_targets_free(t);
    t = new_set();
    f = file_of(bad, sizeof(bad) - 1);
    assert_int_equal(icr_targets_add_file(t, f, false, 0, &line), ICR_EINVAL);
    fclose(f);
    assert_int_equal(line, 4);
    assert_true(icr_targets_count(t) == 1);
    assert_get(t, 0, "198.18.0.1");

    /* A NUL byte makes it a binary file. */
    f = file_of(nul, sizeof(nul) - 1);
    assert_int_equal(icr_targets_add_file(t, f, false, 0, &line), ICR_EINVAL);
    fclose(f);
    assert_int_equal(line, 2);

    /* A 100 kB line is refused (line 2); a 100 kB comment is not. */
    big = malloc(200000);
    assert_non_null(big);
    memset(big, '1', 200000);
    memcpy(big, "198.18.0.3\n", 11);
    big[100011] = '\n';
    memcpy(big + 100012, "198.18.0.4\n", 11);
    f = file_of(big, 100023);
    assert_int_equal(icr_targets_add_file(t, f, false, 0, &line), ICR_EINVAL);
    fclose(f);
    assert_int_equal(line, 2);
    assert_true(icr_targets_count(t) == 2); /* .1 and .3 */
    big[11] = '#';
    f = file_of(big, 100023);
    assert_int_equal(icr_targets_add_file(t, f, false, 0, &line), 0);
    fclose(f);
    assert_true(icr_targets_count(t) == 3);
    assert_get(t, 2, "198.18.0.4");
    free(big);

    /* A read error: a stream open for writing only. */
    f = fopen("/dev/null", "w");
    assert_non_null(f);
    line = 0;
    assert_int_equal(icr_targets_add_file(t, f, false, 0, &line), -EBADF);
    assert_int_equal(line, 1);
    fclose(f);

    /* An empty file adds nothing and succeeds. */
    f = file_of("", 0);
    line = 77;
    assert_int_equal(icr_targets_add_file(t, f, false, 0, &line), 0);
    assert_int_equal(line, 77);
    fclose(f);
    icr_targets_free(t);
}

static void test_hostname(void **state)
{
    icr_targets *t = new_set();

    (void)state;
    assert_int_equal(icr_targets_add(t, "localhost", ICR_TARGETS_NO_LOOKUP), ICR_EINVAL);
    assert_int_equal(icr_targets_exclude(t, "localhost", ICR_TARGETS_NO_LOOKUP), ICR_EINVAL);
    assert_true(icr_targets_count(t) == 0);
    /* Literals need no lookup. */
    assert_int_equal(icr_targets_add(t, "127.0.0.0/30", ICR_TARGETS_NO_LOOKUP), 0);
    assert_true(icr_targets_count(t) == 2);

    assert_int_equal(icr_targets_exclude(t, " localhost ", ICR_TARGETS_ONLY_V4), 0);
    assert_true(icr_targets_count(t) == 1);
    assert_get(t, 0, "127.0.0.2");
    t = icr_targets_free(t);

    t = new_set();
    assert_int_equal(icr_targets_add(t, "localhost", ICR_TARGETS_ONLY_V4), 0);
    assert_true(icr_targets_count(t) == 1);
    assert_get(t, 0, "127.0.0.1");
    icr_targets_free(t);
}

static void test_max(void **state)
{
    icr_targets *t = new_set();

    (void)state;
    assert_int_equal(icr_targets_add(t, "2001:db8::/64", 0), ICR_EINVAL);
    assert_int_equal(icr_targets_add(t, "::/0", 0), ICR_EINVAL);
    assert_int_equal(icr_targets_add(t, "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0),
                     ICR_EINVAL);
    assert_true(icr_targets_count(t) == 0);

    /* Exactly the limit is fine; one more is not, a duplicate is. */
    assert_int_equal(icr_targets_add(t, "2001:db8::/80", 0), 0);
    assert_true(icr_targets_count(t) == ICR_TARGETS_MAX);
    assert_int_equal(icr_targets_add(t, "198.18.0.1", 0), ICR_EINVAL);
    assert_int_equal(icr_targets_add(t, "2001:db8:1::1", 0), ICR_EINVAL);
    assert_int_equal(icr_targets_add(t, "2001:db8::5", 0), 0);
    assert_int_equal(icr_targets_add(t, "2001:db8::ff:0:0-2001:db8::ffff:0:0", 0), 0);
    assert_true(icr_targets_count(t) == ICR_TARGETS_MAX);
    assert_get(t, ICR_TARGETS_MAX - 1, "2001:db8::ffff:ffff:ffff");

    /* Room made by an exclude can be used. */
    assert_int_equal(icr_targets_exclude(t, "2001:db8::/112", 0), 0);
    assert_int_equal(icr_targets_add(t, "198.18.0.0/16", ICR_TARGETS_KEEP_NETBCAST), 0);
    assert_int_equal(icr_targets_add(t, "198.19.0.1", 0), ICR_EINVAL);
    assert_true(icr_targets_count(t) == ICR_TARGETS_MAX);
    assert_get(t, 0, "198.18.0.0");
    assert_get(t, 65536, "2001:db8::1:0");
    t = icr_targets_free(t);

    /* A /64 whose excluded part leaves exactly 2^48 addresses fits. */
    t = new_set();
    assert_int_equal(icr_targets_exclude(t, "2001:db8::1:0:0:0-2001:db8::ffff:ffff:ffff:ffff", 0),
                     0);
    assert_int_equal(icr_targets_add(t, "2001:db8::/64", 0), 0);
    assert_true(icr_targets_count(t) == ICR_TARGETS_MAX);
    assert_int_equal(icr_targets_add(t, "2001:db8::/63", 0), ICR_EINVAL);
    assert_true(icr_targets_count(t) == ICR_TARGETS_MAX);
    t = icr_targets_free(t);

    /* Likewise with the excluded part first: 2^48 - 1 addresses left at
     * the top of the /64, and one IPv4 address already in. */
    t = new_set();
    assert_int_equal(icr_targets_exclude(t, "2001:db8::-2001:db8::fffe:ffff:ffff:ffff", 0), 0);
    assert_int_equal(icr_targets_exclude(t, "2001:db8::ffff:0:0:0", 0), 0);
    assert_int_equal(icr_targets_add(t, "198.18.0.1", 0), 0);
    assert_true(icr_targets_count(t) == 1);
    assert_int_equal(icr_targets_add(t, "2001:db8::/64", 0), 0);
    assert_true(icr_targets_count(t) == ICR_TARGETS_MAX);
    assert_get(t, 1, "2001:db8::ffff:0:0:1");
    assert_int_equal(icr_targets_add(t, "2001:db8::ffff:0:0:0", 0), 0); /* excluded */
    assert_int_equal(icr_targets_add(t, "198.18.0.2", 0), ICR_EINVAL);
    assert_true(icr_targets_count(t) == ICR_TARGETS_MAX);
    icr_targets_free(t);
}

/* get() runs once per probe: print its cost for 1000 intervals. */
static void test_get_speed(void **state)
{
    icr_targets *t = new_set();
    enum { CALLS = 2000000 };
    uint64_t seed = 7, n, sum = 0;
    struct timespec a, b;
    struct icr_addr addr;
    char buf[64];
    double ns;

    (void)state;
    for (unsigned i = 0; i < 1000; i++) {
        snprintf(buf, sizeof(buf), "2001:db8:%x::/112", i * 3);
        assert_int_equal(icr_targets_add(t, buf, 0), 0);
    }
    n = icr_targets_count(t);
    assert_true(n == 1000u * 65536u);
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < CALLS; i++) {
        if (icr_targets_get(t, rnd(&seed) % n, &addr) != 0)
            fail();
        sum += addr.bytes[15];
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    ns = ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / CALLS;
    printf("# get: %.1f ns per call (1000 intervals, %d random indexes, checksum %u)\n", ns,
           CALLS, (unsigned)(sum & 0xff));
    icr_targets_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_null_and_flags),
        cmocka_unit_test(test_v4_cidr),
        cmocka_unit_test(test_v6_cidr),
        cmocka_unit_test(test_memory),
        cmocka_unit_test(test_ranges),
        cmocka_unit_test(test_merge),
        cmocka_unit_test(test_excludes),
        cmocka_unit_test(test_mixed_order),
        cmocka_unit_test(test_index_roundtrip),
        cmocka_unit_test(test_against_model),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_add_file),
        cmocka_unit_test(test_hostname),
        cmocka_unit_test(test_max),
        cmocka_unit_test(test_get_speed),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
