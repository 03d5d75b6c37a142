/* test-host.c - unit tests of src/host.c: icmplib's Host statistics
 * (Python's round() to the last bit, loss, jitter, the edge cases of
 * models.py), the free functions, and traceroute(8)'s error marks.
 * Pure: no sockets, no network.
 *
 * Every expected value was computed by Debian 12's /usr/bin/python3
 * (Python 3.11.2) with icmplib 3.0.4's formulas; the expression is in the
 * comment next to it.  Run under -Db_sanitize=address to check the frees
 * for leaks as well (LeakSanitizer). */
#include <inttypes.h>
#include <malloc.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "icmpring.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Exact double comparison, sign of zero and NaN included. */
static bool same_double(double a, double b)
{
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b);
    return a == b && signbit(a) == signbit(b);
}

static void check_same(double got, double want, const char *expr, const char *file, int line)
{
    if (!same_double(got, want)) {
        print_error("%s is %.17g, expected %.17g\n", expr, got, want);
        _fail(file, line);
    }
}

#define assert_same(got, want) check_same((got), (want), #got, __FILE__, __LINE__)

/* A host with every field set to a sentinel, as if left over from before. */
static struct icr_host dirty_host(uint64_t sent)
{
    struct icr_host h;

    memset(&h, 0xA5, sizeof(h));
    h.size = sizeof(h);
    h.min_rtt = h.avg_rtt = h.max_rtt = h.packet_loss = h.jitter = 99.0;
    h.rtts = (double *)(uintptr_t)0x1234; /* never dereferenced */
    h.packets_sent = sent;
    h.packets_received = 77;
    h.is_alive = true;
    h.error = ICR_EUNREACH;
    h.error_type = 3;
    h.error_code = 1;
    return h;
}

static struct icr_host stats(uint64_t sent, const double *rtts, size_t n)
{
    struct icr_host h = dirty_host(sent);

    assert_int_equal(icr_host_stats(&h, rtts, n), 0);
    return h;
}

static void test_typical(void **state)
{
    static const double rtts[] = {12.3456, 10.1, 15.25, 11.0};
    struct icr_host h = stats(5, rtts, N(rtts));

    (void)state;
    assert_same(h.min_rtt, 10.1);   /* round(10.1, 3) */
    assert_same(h.max_rtt, 15.25);  /* round(15.25, 3) */
    assert_same(h.avg_rtt, 12.174); /* round(sum([12.3456, 10.1, 15.25, 11.0]) / 4, 3) */
    /* round((abs(12.3456-10.1) + abs(10.1-15.25) + abs(15.25-11.0)) / 3, 3) */
    assert_same(h.jitter, 3.882);
    assert_same(h.packet_loss, 0.2); /* round(1 - 4 / 5, 2) */
    assert_int_equal(h.packets_received, 4);
    assert_true(h.is_alive);
}

/* Fields icr_host_stats does not own stay as they were: rtts (not stored,
 * not taken), packets_sent, size, the error fields and the address. */
static void test_leaves_other_fields(void **state)
{
    static const double rtts[] = {1.0, 2.0};
    struct icr_host before = dirty_host(2), h = before;

    (void)state;
    assert_int_equal(icr_host_stats(&h, rtts, N(rtts)), 0);
    assert_ptr_equal(h.rtts, before.rtts);
    assert_int_equal(h.size, before.size);
    assert_int_equal(h.packets_sent, 2);
    assert_int_equal(h.error, ICR_EUNREACH);
    assert_int_equal(h.error_type, 3);
    assert_int_equal(h.error_code, 1);
    assert_memory_equal(&h.address, &before.address, sizeof(h.address));
    assert_memory_equal(&h.error_source, &before.error_source, sizeof(h.error_source));
    /* ...and the given array is not written either. */
    assert_same(rtts[0], 1.0);
    assert_same(rtts[1], 2.0);
}

/* round() is the exact binary value rounded half to even. */
static void test_round_avg_edges(void **state)
{
    (void)state;
    {   /* an exact binary tie goes to even: round(0.5625, 3) == 0.562
         * (sum([0.5, 0.625]) / 2 == 0.5625 exactly); floor(x*1000+0.5)
         * would give 0.563. */
        static const double r[] = {0.5, 0.625};
        struct icr_host h = stats(2, r, N(r));
        assert_same(h.avg_rtt, 0.562);
    }
    {   /* a decimal tie that is below it in binary: sum([1.0, 1.001]) / 2
         * is 1.000499999999999944..., round(..., 3) == 1.0 (1.001 by
         * decimal rounding and by x*1000 = 1000.5 in double). */
        static const double r[] = {1.0, 1.001};
        struct icr_host h = stats(2, r, N(r));
        assert_same(h.avg_rtt, 1.0);
        assert_same(h.min_rtt, 1.0);
        assert_same(h.max_rtt, 1.001);
    }
    {   /* sum([10.1234, 10.1236]) / 2 == 10.123499999999999943...:
         * round(..., 3) == 10.123 */
        static const double r[] = {10.1234, 10.1236};
        struct icr_host h = stats(2, r, N(r));
        assert_same(h.avg_rtt, 10.123);
    }
    {   /* and above it: 0.0005 is 0.000500000000000000010408...,
         * round(0.0005, 3) == 0.001; 0.0635 is 0.063500000000000000888...,
         * round(0.0635, 3) == 0.064 (half-even on the decimal would give
         * 0.064 too, but round(0.0625, 3) == 0.062 below shows the tie). */
        static const double a[] = {0.0005}, b[] = {0.0635}, c[] = {0.0625};
        struct icr_host h = stats(1, a, 1);
        assert_same(h.min_rtt, 0.001);
        assert_same(h.avg_rtt, 0.001);
        assert_same(h.max_rtt, 0.001);
        h = stats(1, b, 1);
        assert_same(h.avg_rtt, 0.064);
        h = stats(1, c, 1);
        assert_same(h.avg_rtt, 0.062); /* round(0.0625, 3): exact tie, even */
    }
    {   /* 1.0005 is 1.000499999999999945...: round(1.0005, 3) == 1.0 */
        static const double r[] = {1.0005};
        struct icr_host h = stats(1, r, 1);
        assert_same(h.max_rtt, 1.0);
    }
}

/* Python's sum() of floats (3.11) adds plainly from left to right:
 * sum([1e16, 1.0, -1e16]) == 0.0, so round(0.0 / 3, 3) == 0.0
 * (Python 3.12's compensated sum() would give 1.0, and 0.333). */
static void test_plain_sum(void **state)
{
    static const double r[] = {1e16, 1.0, -1e16};
    struct icr_host h = stats(3, r, N(r));

    (void)state;
    assert_same(h.avg_rtt, 0.0);
    /* round(sum([0.1] * 10) / 10, 3) == 0.1 (the sum is 0.9999999999999999) */
    static const double t[] = {0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1};
    h = stats(10, t, N(t));
    assert_same(h.avg_rtt, 0.1);
    assert_same(h.jitter, 0.0);
}

/* Signs and ties as Python's min(), max() and round() keep them. */
static void test_signs_and_specials(void **state)
{
    (void)state;
    {   /* round(-0.0001, 3) == -0.0 in Python: kept, not made 0.0 */
        static const double r[] = {-0.0001};
        struct icr_host h = stats(1, r, 1);
        assert_same(h.min_rtt, -0.0);
        assert_same(h.avg_rtt, -0.0);
        assert_true(signbit(h.max_rtt));
    }
    {   /* min([0.0, -0.0]) == 0.0 (the first), max([-0.0, 0.0]) == -0.0 */
        static const double a[] = {0.0, -0.0}, b[] = {-0.0, 0.0};
        struct icr_host h = stats(2, a, 2);
        assert_same(h.min_rtt, 0.0);
        assert_same(h.avg_rtt, 0.0); /* round((0 + 0.0 + -0.0) / 2, 3) == 0.0 */
        h = stats(2, b, 2);
        assert_same(h.max_rtt, -0.0);
        assert_same(h.avg_rtt, 0.0); /* 0 + -0.0 == 0.0: sum([-0.0, 0.0]) == 0.0 */
    }
    {   /* min([1.0, nan]) == max([1.0, nan]) == 1.0; min([nan, 1.0]) is nan;
         * round(nan, 3) is nan, round(inf, 3) is inf */
        static const double a[] = {1.0, NAN}, b[] = {NAN, 1.0}, c[] = {1.0, INFINITY};
        struct icr_host h = stats(2, a, 2);
        assert_same(h.min_rtt, 1.0);
        assert_same(h.max_rtt, 1.0);
        assert_true(isnan(h.avg_rtt));
        h = stats(2, b, 2);
        assert_true(isnan(h.min_rtt));
        h = stats(2, c, 2);
        assert_same(h.max_rtt, INFINITY);
        assert_same(h.avg_rtt, INFINITY);
        assert_same(h.min_rtt, 1.0);
    }
}

static void test_packet_loss(void **state)
{
    static const double r[] = {1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0};
    static const struct {
        uint64_t sent;
        size_t received;
        double loss;
    } rows[] = {
        {3, 0, 1.0},   /* round(1 - 0 / 3, 2) */
        {3, 1, 0.67},  /* round(1 - 1 / 3, 2) */
        {3, 2, 0.33},  /* round(1 - 2 / 3, 2) */
        {3, 3, 0.0},   /* round(1 - 3 / 3, 2) */
        {8, 7, 0.12},  /* round(1 - 7 / 8, 2): 0.125 exactly, half to even */
        {8, 5, 0.38},  /* round(1 - 5 / 8, 2): 0.375 exactly, half to even */
        {8, 1, 0.88},  /* round(1 - 1 / 8, 2): 0.875 exactly, half to even */
        {5, 4, 0.2},   /* round(1 - 4 / 5, 2) */
        {3, 4, -0.33}, /* round(1 - 4 / 3, 2): more replies than probes, no clamp */
        {0, 0, 0.0},   /* nothing sent: 0.0 */
        {0, 2, 0.0},   /* nothing sent, even with RTTs: `if not packets_sent` */
    };

    (void)state;
    for (size_t i = 0; i < N(rows); i++) {
        struct icr_host h = stats(rows[i].sent, r, rows[i].received);
        print_message("# sent %" PRIu64 " received %zu: loss %.17g\n", rows[i].sent,
                      rows[i].received, h.packet_loss);
        assert_same(h.packet_loss, rows[i].loss);
        assert_int_equal(h.packets_received, rows[i].received);
        assert_int_equal(h.is_alive, rows[i].received > 0);
    }
}

static void test_jitter(void **state)
{
    (void)state;
    {   /* round((abs(1-3) + abs(3-2)) / 2, 3) == 1.5 */
        static const double r[] = {1.0, 3.0, 2.0};
        struct icr_host h = stats(3, r, N(r));
        assert_same(h.jitter, 1.5);
        assert_same(h.min_rtt, 1.0);
        assert_same(h.max_rtt, 3.0);
        assert_same(h.avg_rtt, 2.0);
    }
    {   /* probe order, not sorted: [1, 2, 3] gives 1.0 */
        static const double r[] = {1.0, 2.0, 3.0};
        struct icr_host h = stats(3, r, N(r));
        assert_same(h.jitter, 1.0);
    }
    {   /* round(abs(1.0 - 1.0625) / 1, 3) == 0.062: a tie, to even */
        static const double r[] = {1.0, 1.0625};
        struct icr_host h = stats(2, r, N(r));
        assert_same(h.jitter, 0.062);
    }
    {   /* abs(5.0 - 5.0005) == 0.0004999999999997229: round(..., 3) == 0.0 */
        static const double r[] = {5.0, 5.0005};
        struct icr_host h = stats(2, r, N(r));
        assert_same(h.jitter, 0.0);
    }
}

/* One RTT: no jitter, min == avg == max. */
static void test_one_rtt(void **state)
{
    static const double r[] = {12.3456}; /* round(12.3456, 3) == 12.346 */
    struct icr_host h = stats(4, r, 1);

    (void)state;
    assert_same(h.jitter, 0.0);
    assert_same(h.min_rtt, 12.346);
    assert_same(h.avg_rtt, 12.346);
    assert_same(h.max_rtt, 12.346);
    assert_same(h.packet_loss, 0.75); /* round(1 - 1 / 4, 2) */
    assert_int_equal(h.packets_received, 1);
    assert_true(h.is_alive);
}

/* Nothing received: every derived field is 0, stale values included. */
static void test_nothing_received(void **state)
{
    static const double r[] = {5.0};
    struct icr_host h = stats(3, NULL, 0);

    (void)state;
    assert_same(h.min_rtt, 0.0);
    assert_same(h.avg_rtt, 0.0);
    assert_same(h.max_rtt, 0.0);
    assert_same(h.jitter, 0.0);
    assert_same(h.packet_loss, 1.0);
    assert_int_equal(h.packets_received, 0);
    assert_false(h.is_alive);

    /* A non-NULL array with nrtts 0 is the same. */
    h = stats(0, r, 0);
    assert_same(h.avg_rtt, 0.0);
    assert_same(h.packet_loss, 0.0);
    assert_false(h.is_alive);
}

static void test_invalid(void **state)
{
    static const double r[] = {1.0};
    struct icr_host before = dirty_host(3), h = before;

    (void)state;
    assert_int_equal(icr_host_stats(NULL, r, 1), ICR_EINVAL);
    assert_int_equal(icr_host_stats(NULL, NULL, 0), ICR_EINVAL);
    assert_int_equal(icr_host_stats(&h, NULL, 1), ICR_EINVAL);
    /* A refused call leaves the host untouched. */
    assert_memory_equal(&h, &before, sizeof(h));
}

/* ---- freeing ------------------------------------------------------------ */

/* The bytes glibc's malloc has in use, to see that the frees happened.
 * Blocks of BIG doubles are larger than tcache and fastbins hold, so a
 * free() shows at once.  Under AddressSanitizer malloc is ASan's and this
 * count means nothing: LeakSanitizer checks the frees at exit instead. */
#if defined(__SANITIZE_ADDRESS__)
#define HAVE_MALLINFO 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_MALLINFO 0
#endif
#endif
#ifndef HAVE_MALLINFO
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33) /* mallinfo2 */
#define HAVE_MALLINFO 1
#else
#define HAVE_MALLINFO 0
#endif
#endif

#define BIG 4096 /* doubles: 32 KiB a block, below the mmap threshold */

static size_t in_use(void)
{
#if HAVE_MALLINFO
    return mallinfo2().uordblks;
#else
    return 0;
#endif
}

static void expect_freed(size_t before, size_t after, size_t at_least)
{
#if HAVE_MALLINFO
    print_message("# in use %zu -> %zu (freed %zu, at least %zu expected)\n", before, after,
                  before - after, at_least);
    assert_true(after < before);
    assert_true(before - after >= at_least);
#else
    (void)before, (void)after, (void)at_least;
    print_message("# sanitizer build: LeakSanitizer checks the frees\n");
#endif
}

static double *rtt_block(void)
{
    double *r = malloc(BIG * sizeof(*r));

    assert_non_null(r);
    for (size_t i = 0; i < BIG; i++)
        r[i] = (double)i;
    return r;
}

static void test_free_null(void **state)
{
    (void)state;
    assert_null(icr_host_free(NULL));
    assert_null(icr_hosts_free(NULL, 0));
    assert_null(icr_hosts_free(NULL, 5)); /* no array: n is not looked at */
    assert_null(icr_hops_free(NULL, 0));
    assert_null(icr_hops_free(NULL, 5));
}

static void test_host_free(void **state)
{
    struct icr_host *h = calloc(1, sizeof(*h));
    size_t before, after;

    (void)state;
    assert_non_null(h);
    assert_null(icr_host_free(h)); /* rtts NULL: a host that got nothing */

    h = calloc(1, sizeof(*h));
    assert_non_null(h);
    h->rtts = rtt_block();
    /* icr_host_stats works on the host's own array and keeps it. */
    h->packets_sent = BIG;
    assert_int_equal(icr_host_stats(h, h->rtts, BIG), 0);
    assert_same(h->avg_rtt, 2047.5);
    before = in_use();
    assert_null(icr_host_free(h));
    after = in_use();
    expect_freed(before, after, BIG * sizeof(double));
}

static void test_hosts_free(void **state)
{
    enum { n = 3 };
    struct icr_host *hosts = calloc(n, sizeof(*hosts));
    size_t before, after;

    (void)state;
    assert_non_null(hosts);
    assert_null(icr_hosts_free(hosts, n)); /* all rtts NULL */

    hosts = calloc(n, sizeof(*hosts));
    assert_non_null(hosts);
    hosts[0].rtts = rtt_block();
    hosts[2].rtts = rtt_block(); /* hosts[1] got no reply: NULL */
    before = in_use();
    assert_null(icr_hosts_free(hosts, n));
    after = in_use();
    expect_freed(before, after, 2 * BIG * sizeof(double));

    /* An empty array. */
    hosts = malloc(sizeof(*hosts));
    assert_non_null(hosts);
    assert_null(icr_hosts_free(hosts, 0));
}

static void test_hops_free(void **state)
{
    enum { n = 4 };
    struct icr_hop *hops = calloc(n, sizeof(*hops));
    size_t before, after;

    (void)state;
    assert_non_null(hops);
    for (size_t i = 0; i < n; i++) {
        hops[i].distance = (int)i + 1;
        hops[i].host.rtts = i == 1 ? NULL : rtt_block();
    }
    before = in_use();
    assert_null(icr_hops_free(hops, n));
    after = in_use();
    expect_freed(before, after, 3 * BIG * sizeof(double));

    hops = malloc(sizeof(*hops));
    assert_non_null(hops);
    assert_null(icr_hops_free(hops, 0));
}

/* ---- traceroute marks --------------------------------------------------- */

/* Typed by hand from traceroute 2.1's parse_icmp_res() and its man page. */
static void test_flags_v4_unreachable(void **state)
{
    static const char *const want[16] = {
        "!N", /* 0 net unreachable */
        "!H", /* 1 host unreachable */
        "!P", /* 2 protocol unreachable */
        "",   /* 3 port unreachable: reached */
        "!F", /* 4 fragmentation needed */
        "!S", /* 5 source route failed */
        "!N", /* 6 network unknown */
        "!H", /* 7 host unknown */
        "!N", /* 8 source host isolated */
        "!X", /* 9 network prohibited */
        "!X", /* 10 host prohibited */
        "!N", /* 11 network unreachable for TOS */
        "!H", /* 12 host unreachable for TOS */
        "!X", /* 13 communication prohibited */
        "!V", /* 14 host precedence violation */
        "!C", /* 15 precedence cutoff */
    };

    (void)state;
    for (int code = 0; code < 16; code++) {
        const char *f = icr_hop_error_flag(AF_INET, 3, code);
        assert_non_null(f);
        print_message("# v4 3/%d: \"%s\"\n", code, f);
        assert_string_equal(f, want[code]);
    }
}

static void test_flags_v6_unreachable(void **state)
{
    static const char *const want[7] = {
        "!N",   /* 0 no route */
        "!X",   /* 1 administratively prohibited */
        "!H",   /* 2 beyond scope: traceroute groups it with 3 */
        "!H",   /* 3 address unreachable */
        "",     /* 4 port unreachable: reached */
        "!<5>", /* 5 source address failed policy: no letter */
        "!<6>", /* 6 reject route: no letter */
    };

    (void)state;
    for (int code = 0; code < 7; code++)
        assert_string_equal(icr_hop_error_flag(AF_INET6, 1, code), want[code]);
}

/* Codes without a letter: "!<code>", from a static table. */
static void test_flags_numeric(void **state)
{
    char buf[16];

    (void)state;
    for (int code = 16; code <= 255; code++) {
        const char *f = icr_hop_error_flag(AF_INET, 3, code);
        snprintf(buf, sizeof(buf), "!<%d>", code);
        assert_string_equal(f, buf);
        /* the same static string every time */
        assert_ptr_equal(f, icr_hop_error_flag(AF_INET, 3, code));
    }
    for (int code = 7; code <= 255; code++) {
        snprintf(buf, sizeof(buf), "!<%d>", code);
        assert_string_equal(icr_hop_error_flag(AF_INET6, 1, code), buf);
    }
    assert_string_equal(icr_hop_error_flag(AF_INET, 3, 16), "!<16>");
    assert_string_equal(icr_hop_error_flag(AF_INET6, 1, 255), "!<255>");
}

static void test_flags_none(void **state)
{
    (void)state;
    /* Time Exceeded, every code, both families. */
    for (int code = 0; code < 4; code++) {
        assert_string_equal(icr_hop_error_flag(AF_INET, 11, code), "");
        assert_string_equal(icr_hop_error_flag(AF_INET6, 3, code), "");
    }
    /* Echo Reply, Parameter Problem, Packet Too Big, Redirect. */
    assert_string_equal(icr_hop_error_flag(AF_INET, 0, 0), "");
    assert_string_equal(icr_hop_error_flag(AF_INET, 12, 0), "");
    assert_string_equal(icr_hop_error_flag(AF_INET, 5, 1), "");
    assert_string_equal(icr_hop_error_flag(AF_INET6, 129, 0), "");
    assert_string_equal(icr_hop_error_flag(AF_INET6, 2, 0), "");
    assert_string_equal(icr_hop_error_flag(AF_INET6, 4, 1), "");
    /* The type numbers are per family: v4 type 1 and v6 type 3 are not
     * Destination Unreachable. */
    assert_string_equal(icr_hop_error_flag(AF_INET, 1, 0), "");
    assert_string_equal(icr_hop_error_flag(AF_INET6, 3, 0), "");
    /* Other families, codes outside a byte, negative types. */
    assert_string_equal(icr_hop_error_flag(AF_UNSPEC, 3, 0), "");
    assert_string_equal(icr_hop_error_flag(AF_UNIX, 3, 1), "");
    assert_string_equal(icr_hop_error_flag(AF_INET, 3, -1), "");
    assert_string_equal(icr_hop_error_flag(AF_INET, 3, 256), "");
    assert_string_equal(icr_hop_error_flag(AF_INET6, 1, 256), "");
    assert_string_equal(icr_hop_error_flag(AF_INET6, 1, INT32_MIN), "");
    assert_string_equal(icr_hop_error_flag(AF_INET, -3, 0), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_typical),
        cmocka_unit_test(test_leaves_other_fields),
        cmocka_unit_test(test_round_avg_edges),
        cmocka_unit_test(test_plain_sum),
        cmocka_unit_test(test_signs_and_specials),
        cmocka_unit_test(test_packet_loss),
        cmocka_unit_test(test_jitter),
        cmocka_unit_test(test_one_rtt),
        cmocka_unit_test(test_nothing_received),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_free_null),
        cmocka_unit_test(test_host_free),
        cmocka_unit_test(test_hosts_free),
        cmocka_unit_test(test_hops_free),
        cmocka_unit_test(test_flags_v4_unreachable),
        cmocka_unit_test(test_flags_v6_unreachable),
        cmocka_unit_test(test_flags_numeric),
        cmocka_unit_test(test_flags_none),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
