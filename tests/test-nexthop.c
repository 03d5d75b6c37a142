/* test-nexthop.c - the pure parts of nexthop.c: common prefix lengths and
 * the route blocks the next-hop cache is keyed by (hand-computed cases). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "nexthop.h"

static struct icr__nh_route r4(const char *a, uint8_t len) {
    struct icr__nh_route r = {.len = len};
    assert_int_equal(inet_pton(AF_INET, a, r.prefix), 1);
    return r;
}

static struct icr__nh_route r6(const char *a, uint8_t len) {
    struct icr__nh_route r = {.len = len};
    assert_int_equal(inet_pton(AF_INET6, a, r.prefix), 1);
    return r;
}

static void test_common_bits(void **state) {
    (void)state;
    const uint8_t a[4] = {198, 18, 5, 7}, b[4] = {198, 18, 128, 0}, c[4] = {203, 0, 113, 5};
    assert_int_equal(icr__nh_common_bits(a, a, 4), 32);
    assert_int_equal(icr__nh_common_bits(a, b, 4), 16);  /* 0x05 vs 0x80: first bit */
    assert_int_equal(icr__nh_common_bits(a, c, 4), 4);   /* 0xc6 vs 0xcb: 1100 0110 / 1100 1011 */
    const uint8_t d[4] = {198, 18, 5, 6};
    assert_int_equal(icr__nh_common_bits(a, d, 4), 31);
}

/* A prober's table: default via a router, its LAN, its own address and
 * broadcast in the local table, 198.18/16 via rsp, loopback. */
static void test_block_v4(void **state) {
    (void)state;
    struct icr__nh_route t[8] = {
        r4("0.0.0.0", 0),      r4("192.0.2.0", 24),   r4("192.0.2.1", 32),
        r4("192.0.2.255", 32), r4("198.18.0.0", 16),  r4("127.0.0.0", 8),
    };
    uint8_t dst[4] = {198, 18, 5, 7};
    /* Inside 198.18/16 nothing is more specific: the whole /16. */
    assert_int_equal(icr__nh_block_len(dst, 32, 16, t, 6), 16);
    /* A more specific 198.18.128.0/17 elsewhere in it: the other half, /17. */
    t[6] = r4("198.18.128.0", 17);
    assert_int_equal(icr__nh_block_len(dst, 32, 16, t, 7), 17);
    /* A /24 in another table that holds dst: per address. */
    t[7] = r4("198.18.5.0", 24);
    assert_int_equal(icr__nh_block_len(dst, 32, 16, t, 8), 32);
    /* Through the default route: 203.0.113.5 shares 4 bits with 192/198
     * (1100 1011 against 1100 0000 and 1100 0110), none with 127. */
    uint8_t far[4] = {203, 0, 113, 5};
    assert_int_equal(icr__nh_block_len(far, 32, 0, t, 6), 5);
    /* 192.0.2.3 in the LAN: the local /32s of .1 (31 bits shared) make it /31. */
    uint8_t lan[4] = {192, 0, 2, 3};
    assert_int_equal(icr__nh_block_len(lan, 32, 24, t, 6), 31);
}

static void test_block_v6(void **state) {
    (void)state;
    const struct icr__nh_route t[3] = {
        r6("2001:db8:1::", 64), r6("2001:db8:1::200:0", 112), r6("::", 0),
    };
    uint8_t dst[16];
    assert_int_equal(inet_pton(AF_INET6, "2001:db8:1::5", dst), 1);
    /* ...:0000:0005 against ...:0200:0000: 96 + 6 bits shared. */
    assert_int_equal(icr__nh_block_len(dst, 128, 64, t, 3), 103);
    assert_int_equal(inet_pton(AF_INET6, "2001:db8:1:0:8000::1", dst), 1);
    assert_int_equal(icr__nh_block_len(dst, 128, 64, t, 3), 65);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_common_bits),
        cmocka_unit_test(test_block_v4),
        cmocka_unit_test(test_block_v6),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
