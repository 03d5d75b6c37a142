/* test-reply.c - unit tests of reply.c, the pure path from received bytes
 * to a result: the next-hop MTU that ICMP errors name (IPv4 Fragmentation
 * Needed bytes 6-7, IPv6 Packet Too Big bytes 4-7, a datagram socket's
 * ee_info), 0 for every other error, and our own kernel's Fragmentation
 * Needed (from our source address) skipped.  Golden bytes written here by
 * hand; the checksums come from the tests' reference (ref-csum.h).  The
 * quoted probes carry no valid MAC, so the verdict is INVALID, which fills
 * the result as VALID does (reply.h). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h> /* struct timespec, for linux/errqueue.h */

#include <cmocka.h>

#include <linux/errqueue.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "ref-csum.h"
#include "reply.h"

static struct icr__sipkey key;

static struct icr__verify_cfg cfg(bool privileged) {
    return (struct icr__verify_cfg){
        .key = &key,
        .privileged = privileged,
        .ttl = 64,
        .latest = 2,
        .count = 3,
        .nindex = 2,
        .payload_size = 1400,
    };
}

/* An IPv4 datagram from `from` (last byte of 198.51.100.x) to the prober
 * 198.51.100.5: ICMP type/code with bytes 4-7 as given, quoting our
 * 1428-byte DF Echo Request from 198.51.100.5 to 198.19.0.91 (its IP
 * header and the 8 bytes of its ICMP header, as RFC 792 asks). */
static size_t v4_error(uint8_t *b, uint8_t from, uint8_t type, uint8_t code,
                       const uint8_t rest[4]) {
    static const uint8_t ip[20] = {0x45, 0xc0, 0x00, 56,   0x00, 0x00, 0x00, 0x00, 0x40, 0x01,
                                   0x00, 0x00, 198,  51,   100,  6,    198,  51,   100,  5};
    static const uint8_t quote[28] = {
        0x45, 0x00, 0x05, 0x94, 0x12, 0x34, 0x40, 0x00, 0x40, 0x01, 0x00, 0x00, 198, 51,
        100,  5,    198,  19,   0,    91,   0x08, 0x00, 0x00, 0x00, 0xab, 0xcd, 0x01, 0x00};
    memcpy(b, ip, 20);
    b[15] = from;
    uint8_t *icmp = b + 20;
    icmp[0] = type;
    icmp[1] = code;
    icmp[2] = icmp[3] = 0;
    memcpy(icmp + 4, rest, 4);
    memcpy(icmp + 8, quote, sizeof(quote));
    uint16_t c = ref_csum(icmp, 36);
    icmp[2] = (uint8_t)(c >> 8);
    icmp[3] = (uint8_t)c;
    return 56;
}

static int decode4(const uint8_t *b, size_t n, struct icr_result *res) {
    const struct icr__verify_cfg v = cfg(true);
    struct icr__probe_info info;
    return icr__reply_decode(&v, AF_INET, b, n, NULL, 0, -1, res, &info);
}

static void test_frag_needed_v4(void **state) {
    (void)state;
    uint8_t b[64];
    struct icr_result res = {0};
    /* Fragmentation Needed from r1, next-hop MTU 1300 (0x0514). */
    size_t n = v4_error(b, 6, 3, 4, (const uint8_t[4]){0, 0, 0x05, 0x14});
    assert_int_equal(decode4(b, n, &res), ICR__REPLY_INVALID);
    assert_int_equal(res.kind, ICR_RESULT_ERROR);
    assert_int_equal(res.type, 3);
    assert_int_equal(res.code, 4);
    assert_int_equal(res.mtu, 1300);
    assert_int_equal(res.responder.family, AF_INET);
    assert_memory_equal(&res.responder.v4, ((const uint8_t[4]){198, 51, 100, 6}), 4);
    assert_memory_equal(&res.target.v4, ((const uint8_t[4]){198, 19, 0, 91}), 4);

    /* Other errors name no MTU, whatever their unused bytes hold. */
    n = v4_error(b, 6, 3, 1, (const uint8_t[4]){0, 0, 0x05, 0x14});
    res = (struct icr_result){0};
    assert_int_equal(decode4(b, n, &res), ICR__REPLY_INVALID);
    assert_int_equal(res.code, 1);
    assert_int_equal(res.mtu, 0);
    n = v4_error(b, 6, 11, 0, (const uint8_t[4]){0, 0, 0x05, 0x14});
    res = (struct icr_result){0};
    assert_int_equal(decode4(b, n, &res), ICR__REPLY_INVALID);
    assert_int_equal(res.type, 11);
    assert_int_equal(res.mtu, 0);

    /* From 198.51.100.5, the quoted probe's own source: our kernel
     * refusing a DF probe beyond the path MTU it knows, not the path. */
    n = v4_error(b, 5, 3, 4, (const uint8_t[4]){0, 0, 0x05, 0x14});
    assert_int_equal(decode4(b, n, &res), ICR__REPLY_SKIP);
}

static void test_packet_too_big_v6(void **state) {
    (void)state;
    /* ICMPv6 Packet Too Big, MTU 1300, from 2001:db8:ff01:1::2 quoting the
     * IPv6 header and Echo Request header of our probe to 2001:db8:2::91.
     * A raw ICMPv6 socket has checked the checksum: the field stays 0. */
    uint8_t b[8 + 40 + 8] = {2, 0, 0, 0, 0x00, 0x00, 0x05, 0x14};
    static const uint8_t ip6[40] = {
        0x60, 0,    0,    0,    0x05, 0x80, 58, 64, /* payload 1408, ICMPv6, hop 64 */
        0x20, 0x01, 0x0d, 0xb8, 0xff, 0x01, 0,  1, 0, 0, 0, 0, 0, 0, 0, 1,
        0x20, 0x01, 0x0d, 0xb8, 0x00, 0x02, 0,  0, 0, 0, 0, 0, 0, 0, 0, 0x91};
    memcpy(b + 8, ip6, sizeof(ip6));
    static const uint8_t echo[8] = {128, 0, 0, 0, 0xab, 0xcd, 0x01, 0x00};
    memcpy(b + 48, echo, sizeof(echo));
    struct sockaddr_in6 from = {.sin6_family = AF_INET6};
    memcpy(&from.sin6_addr, ((const uint8_t[16]){0x20, 0x01, 0x0d, 0xb8, 0xff, 0x01, 0, 1, 0,
                                                 0, 0, 0, 0, 0, 0, 2}),
           16);
    const struct icr__verify_cfg v = cfg(true);
    struct icr_result res = {0};
    struct icr__probe_info info;
    assert_int_equal(icr__reply_decode(&v, AF_INET6, b, sizeof(b), (struct sockaddr *)&from,
                                       sizeof(from), 64, &res, &info),
                     ICR__REPLY_INVALID);
    assert_int_equal(res.kind, ICR_RESULT_ERROR);
    assert_int_equal(res.type, 2);
    assert_int_equal(res.mtu, 1300);
    assert_int_equal(res.target.family, AF_INET6);
    assert_int_equal(res.target.v6.s6_addr[15], 0x91);

    /* Time Exceeded (type 3) with the same bytes 4-7: no MTU. */
    b[0] = 3;
    res = (struct icr_result){0};
    assert_int_equal(icr__reply_decode(&v, AF_INET6, b, sizeof(b), (struct sockaddr *)&from,
                                       sizeof(from), 64, &res, &info),
                     ICR__REPLY_INVALID);
    assert_int_equal(res.mtu, 0);
}

/* A datagram socket's error queue: the kernel's sock_extended_err with
 * the MTU in ee_info, the router after it (SO_EE_OFFENDER). */
static int errq(uint8_t type, uint8_t code, uint32_t info, struct icr_result *res) {
    union {
        char b[CMSG_SPACE(sizeof(struct sock_extended_err) + sizeof(struct sockaddr_in))];
        struct cmsghdr align;
    } ctrl;
    memset(&ctrl, 0, sizeof(ctrl));
    struct cmsghdr *cm = &ctrl.align;
    cm->cmsg_level = IPPROTO_IP;
    cm->cmsg_type = IP_RECVERR;
    cm->cmsg_len = CMSG_LEN(sizeof(struct sock_extended_err) + sizeof(struct sockaddr_in));
    struct sock_extended_err ee = {.ee_errno = EMSGSIZE, .ee_origin = SO_EE_ORIGIN_ICMP,
                                   .ee_type = type, .ee_code = code, .ee_info = info};
    memcpy(CMSG_DATA(cm), &ee, sizeof(ee));
    struct sockaddr_in off = {.sin_family = AF_INET};
    memcpy(&off.sin_addr, ((const uint8_t[4]){198, 51, 100, 6}), 4);
    memcpy(CMSG_DATA(cm) + sizeof(ee), &off, sizeof(off));
    struct sockaddr_in probed = {.sin_family = AF_INET};
    memcpy(&probed.sin_addr, ((const uint8_t[4]){198, 19, 0, 92}), 4);
    static const uint8_t echo[8] = {8, 0, 0x12, 0x34, 0x00, 0x07, 0x01, 0x00};
    const struct icr__verify_cfg v = cfg(false);
    struct icr__probe_info pi;
    int64_t t;
    return icr__errqueue_decode(&v, AF_INET, ctrl.b, sizeof(ctrl.b), &probed, sizeof(probed),
                                echo, sizeof(echo), res, &pi, &t);
}

static void test_errqueue_mtu(void **state) {
    (void)state;
    struct icr_result res = {0};
    assert_int_equal(errq(3, 4, 1300, &res), ICR__REPLY_INVALID);
    assert_int_equal(res.type, 3);
    assert_int_equal(res.code, 4);
    assert_int_equal(res.mtu, 1300);
    assert_memory_equal(&res.responder.v4, ((const uint8_t[4]){198, 51, 100, 6}), 4);
    res = (struct icr_result){0};
    assert_int_equal(errq(3, 1, 1300, &res), ICR__REPLY_INVALID);
    assert_int_equal(res.mtu, 0);
}

int main(void) {
    icr__sipkey_load(&key, (const uint8_t[16]){1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
                                              15, 16});
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frag_needed_v4),
        cmocka_unit_test(test_packet_too_big_v6),
        cmocka_unit_test(test_errqueue_mtu),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
