/* test-pktrx.c - the packet ring's per-packet checks (icr__pktrx_parse):
 * what the kernel's IP input would drop is refused, the rest is handed on
 * as an ICMP socket would give it.  The ring itself and its BPF filter run
 * in the lab (lab-transport test_receive_ring, lab-relay-tests). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "packet.h"
#include "pktrx.h"

/* An IPv4 Echo Reply from 198.51.100.7 to 192.0.2.1: 20 + 8 + 8 bytes,
 * both checksums right. */
static size_t v4_reply(uint8_t *b) {
    static const uint8_t hdr[20] = {0x45, 0, 0, 36, 0x12, 0x34, 0, 0, 61, 1, 0, 0,
                                    198, 51, 100, 7, 192, 0, 2, 1};
    memcpy(b, hdr, sizeof(hdr));
    uint16_t c = icr__checksum(b, 20);
    memcpy(b + 10, &c, 2);
    uint8_t *icmp = b + 20;
    static const uint8_t msg[16] = {0, 0, 0, 0, 0xab, 0xcd, 0, 1, 'i', 'c', 'm', 'p', 'r', 'i', 'n', 'g'};
    memcpy(icmp, msg, sizeof(msg));
    c = icr__checksum(icmp, 16);
    memcpy(icmp + 2, &c, 2);
    return 36;
}

static void test_ipv4(void **state) {
    (void)state;
    uint8_t b[64];
    struct sockaddr_in6 n6;
    struct icr__pktrx_pkt p;
    size_t n = v4_reply(b);

    assert_true(icr__pktrx_parse(b, n, 3, &n6, &p));
    assert_int_equal(p.family, AF_INET);
    assert_ptr_equal(p.data, b);
    assert_int_equal(p.len, 36);
    assert_int_equal(p.ttl, -1);
    assert_null(p.name);
    /* Bytes after the datagram (an Ethernet pad) are cut off. */
    memset(b + n, 0xee, 10);
    assert_true(icr__pktrx_parse(b, n + 10, 3, &n6, &p));
    assert_int_equal(p.len, 36);
    /* A header checksum that does not add up. */
    b[8] ^= 1; /* the TTL */
    assert_false(icr__pktrx_parse(b, n, 3, &n6, &p));
    b[8] ^= 1;
    assert_true(icr__pktrx_parse(b, n, 3, &n6, &p));
    /* A total length beyond what came. */
    assert_false(icr__pktrx_parse(b, n - 1, 3, &n6, &p));
    /* Too short for a header; a header length below 20 or past the end. */
    assert_false(icr__pktrx_parse(b, 19, 3, &n6, &p));
    uint8_t c[64];
    memcpy(c, b, n);
    c[0] = 0x44;
    assert_false(icr__pktrx_parse(c, n, 3, &n6, &p));
    c[0] = 0x4f; /* 60 bytes of header in a 36-byte packet */
    assert_false(icr__pktrx_parse(c, n, 3, &n6, &p));
    /* Neither version 4 nor 6. */
    c[0] = 0x55;
    assert_false(icr__pktrx_parse(c, n, 3, &n6, &p));
}

/* An ICMPv6 Echo Reply from src to 2001:db8:ff00::1, hop limit 63. */
static size_t v6_reply(uint8_t *b, const char *src) {
    memset(b, 0, 40);
    b[0] = 0x60;
    b[5] = 16; /* payload length */
    b[6] = IPPROTO_ICMPV6;
    b[7] = 63;
    struct in6_addr s, d;
    assert_int_equal(inet_pton(AF_INET6, src, &s), 1);
    assert_int_equal(inet_pton(AF_INET6, "2001:db8:ff00::1", &d), 1);
    memcpy(b + 8, &s, 16);
    memcpy(b + 24, &d, 16);
    static const uint8_t msg[16] = {129, 0, 0, 0, 0xab, 0xcd, 0, 1, 'i', 'c', 'm', 'p', 'r', 'i', 'n', 'g'};
    memcpy(b + 40, msg, sizeof(msg));
    uint16_t c = icr__icmp6_checksum(&s, &d, b + 40, 16);
    memcpy(b + 42, &c, 2);
    return 56;
}

static void test_ipv6(void **state) {
    (void)state;
    uint8_t b[80];
    struct sockaddr_in6 n6;
    struct icr__pktrx_pkt p;
    size_t n = v6_reply(b, "2001:db8:1::7");

    assert_true(icr__pktrx_parse(b, n, 3, &n6, &p));
    assert_int_equal(p.family, AF_INET6);
    assert_ptr_equal(p.data, b + 40); /* the ICMPv6 message, as a raw socket gives it */
    assert_int_equal(p.len, 16);
    assert_int_equal(p.ttl, 63);
    assert_ptr_equal(p.name, &n6);
    assert_int_equal(p.namelen, sizeof(n6));
    assert_int_equal(n6.sin6_family, AF_INET6);
    assert_memory_equal(&n6.sin6_addr, b + 8, 16);
    assert_int_equal(n6.sin6_scope_id, 0);
    /* Trailing bytes are not the message's. */
    assert_true(icr__pktrx_parse(b, n + 8, 3, &n6, &p));
    assert_int_equal(p.len, 16);
    /* A link-local sender gets the interface as its scope. */
    n = v6_reply(b, "fe80::1");
    assert_true(icr__pktrx_parse(b, n, 3, &n6, &p));
    assert_int_equal(n6.sin6_scope_id, 3);
    /* The ICMPv6 checksum covers the message and the pseudo-header. */
    b[55] ^= 0x20;
    assert_false(icr__pktrx_parse(b, n, 3, &n6, &p));
    b[55] ^= 0x20;
    b[39] ^= 1; /* the destination address */
    assert_false(icr__pktrx_parse(b, n, 3, &n6, &p));
    b[39] ^= 1;
    assert_true(icr__pktrx_parse(b, n, 3, &n6, &p));
    /* A payload length beyond what came, or below an ICMPv6 header. */
    assert_false(icr__pktrx_parse(b, n - 1, 3, &n6, &p));
    b[5] = 3;
    assert_false(icr__pktrx_parse(b, n, 3, &n6, &p));
    b[5] = 16;
    /* Another next header (an extension header is not followed). */
    b[6] = 0;
    assert_false(icr__pktrx_parse(b, n, 3, &n6, &p));
    b[6] = IPPROTO_ICMPV6;
    /* Shorter than the fixed header. */
    assert_false(icr__pktrx_parse(b, 39, 3, &n6, &p));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ipv4),
        cmocka_unit_test(test_ipv6),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
