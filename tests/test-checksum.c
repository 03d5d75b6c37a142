/* test-checksum.c - unit tests of src/checksum.c: the Internet checksum
 * against RFC 1071's worked example, hand-checked packets and a byte-wise
 * reference written here (the textbook big-endian 16-bit loop, nothing
 * shared with the word-at-a-time code under test), at every length and
 * alignment; the RFC 1624 incremental update; the ICMPv6 pseudo-header.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "packet.h"
#include "ref-csum.h"


/* The checksum field value as it is stored in memory, read as a number. */
static uint16_t as_net(uint16_t field)
{
    uint8_t b[2];
    memcpy(b, &field, 2);
    return (uint16_t)(b[0] << 8 | b[1]);
}

/* The inverse: the memory representation of network-order value v. */
static uint16_t to_field(uint16_t v)
{
    const uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    uint16_t f;
    memcpy(&f, b, 2);
    return f;
}

/* Deterministic test randomness (xorshift32): the tests must not depend on
 * the library's own generator. */
static uint32_t rnd(uint32_t *st)
{
    uint32_t x = *st;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *st = x;
}

/* RFC 1071 1.3's example: bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2,
 * checksum 220d.  Also RFC 1071's point that the sum does not depend on
 * byte order: the byte-swapped input gives the byte-swapped checksum. */
static void test_rfc1071_example(void **state)
{
    (void)state;
    static const uint8_t ex[8] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    static const uint8_t swapped[8] = {0x01, 0x00, 0x03, 0xf2, 0xf5, 0xf4, 0xf7, 0xf6};
    uint16_t c = icr__checksum(ex, sizeof(ex));
    uint8_t b[2];
    memcpy(b, &c, 2);
    assert_int_equal(b[0], 0x22);
    assert_int_equal(b[1], 0x0d);
    c = icr__checksum(swapped, sizeof(swapped));
    memcpy(b, &c, 2);
    assert_int_equal(b[0], 0x0d);
    assert_int_equal(b[1], 0x22);
    assert_int_equal(ref_csum(ex, sizeof(ex)), 0x220d);

    /* The fold alone: the example's unfolded 16-bit sum is 0x2ddf0. */
    assert_int_equal(icr__csum_fold(0x2ddf0), 0x220d);
    assert_int_equal(icr__csum_fold(0), 0xffff);
    assert_int_equal(icr__csum_fold(0xffff), 0x0000);
    /* 0xffffffff = 0xffff * 0x10001: the double fold must end at 0xffff. */
    assert_int_equal(icr__csum_fold(0xffffffffu), 0x0000);
    assert_int_equal(icr__csum_fold(0x0001ffffu), 0xfffe);
}

/* An Echo Request as iputils ping sends it (id 0x1c2b, seq 1, 56 bytes:
 * a struct timeval then 0x10..0x37); checksum 0x86c8 worked out by hand:
 * the literal below is what the wire carries. */
static const uint8_t echo_req_iputils[64] = {
    0x08, 0x00, 0x86, 0xc8, 0x1c, 0x2b, 0x00, 0x01, 0x00, 0xf1, 0x53, 0x65,
    0x00, 0x00, 0x00, 0x00, 0x40, 0xe2, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b,
    0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27,
    0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x32, 0x33,
    0x34, 0x35, 0x36, 0x37,
};

static void test_known_echo_request(void **state)
{
    (void)state;
    uint8_t pkt[sizeof(echo_req_iputils)];
    memcpy(pkt, echo_req_iputils, sizeof(pkt));
    /* A correct message sums to zero including its checksum field. */
    assert_int_equal(icr__checksum(pkt, sizeof(pkt)), 0);
    pkt[2] = pkt[3] = 0;
    assert_int_equal(as_net(icr__checksum(pkt, sizeof(pkt))), 0x86c8);
    assert_int_equal(ref_csum(pkt, sizeof(pkt)), 0x86c8);
    /* The same message as Echo Reply: type 8 -> 0 raises the sum's
     * complement by 0x0800. */
    pkt[0] = 0;
    assert_int_equal(as_net(icr__checksum(pkt, sizeof(pkt))), 0x8ec8);
}

/* Odd lengths pad with a zero byte: "ab c" == "ab c\0". */
static void test_odd_lengths(void **state)
{
    (void)state;
    static const uint8_t one[1] = {0xab};
    assert_int_equal(as_net(icr__checksum(one, 1)), (uint16_t)~0xab00);
    static const uint8_t three[4] = {0x12, 0x34, 0x56, 0x00};
    assert_int_equal(icr__checksum(three, 3), icr__checksum(three, 4));
    assert_int_equal(as_net(icr__checksum(three, 3)), (uint16_t)~(0x1234 + 0x5600));
    /* Empty: sum 0, checksum 0xffff. */
    assert_int_equal(icr__checksum(one, 0), 0xffff);
    assert_int_equal(icr__csum_add(0x1234, NULL, 0), 0x1234);
}

/* Every length 0..600 at every alignment 0..15, random bytes, against the
 * reference.  Lengths cross the 32-byte main loop, the 4-byte loop, the
 * 2-byte step and the odd byte in every combination. */
static void test_all_lengths_alignments(void **state)
{
    (void)state;
    enum { MAXLEN = 600, MAXOFF = 16 };
    uint8_t *raw = malloc(MAXLEN + MAXOFF);
    assert_non_null(raw);
    uint32_t st = 0x12345678;
    for (size_t i = 0; i < MAXLEN + MAXOFF; i++)
        raw[i] = (uint8_t)rnd(&st);
    for (size_t off = 0; off < MAXOFF; off++) {
        for (size_t len = 0; len <= MAXLEN; len++) {
            uint16_t got = as_net(icr__checksum(raw + off, len));
            assert_int_equal(got, ref_csum(raw + off, len));
        }
    }
    free(raw);
}

/* Exactly-sized heap copies, so ASan flags any read past the end. */
static void test_no_overread(void **state)
{
    (void)state;
    uint32_t st = 99;
    for (size_t len = 0; len <= 70; len++) {
        uint8_t *p = malloc(len ? len : 1);
        assert_non_null(p);
        for (size_t i = 0; i < len; i++)
            p[i] = (uint8_t)rnd(&st);
        assert_int_equal(as_net(icr__checksum(p, len)), ref_csum(p, len));
        free(p);
    }
}

/* Worst case for the accumulator: a megabyte of 0xff, and one of
 * 0xff with a 1 at the end (sum ends just past a multiple of 0xffff). */
static void test_large_buffers(void **state)
{
    (void)state;
    enum { N = 1 << 20 };
    uint8_t *p = malloc(N + 1);
    assert_non_null(p);
    memset(p, 0xff, N + 1);
    assert_int_equal(as_net(icr__checksum(p, N)), ref_csum(p, N));
    assert_int_equal(as_net(icr__checksum(p, N + 1)), ref_csum(p, N + 1));
    p[N - 1] = 0x01;
    assert_int_equal(as_net(icr__checksum(p, N)), ref_csum(p, N));
    uint32_t st = 7;
    for (size_t i = 0; i < N; i++)
        p[i] = (uint8_t)rnd(&st);
    assert_int_equal(as_net(icr__checksum(p, N)), ref_csum(p, N));
    free(p);
}

/* A sum built in even-length chunks (the last may be odd) equals the sum
 * in one go, and the running sum may start non-zero. */
static void test_multipart(void **state)
{
    (void)state;
    uint8_t buf[301];
    uint32_t st = 4242;
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)rnd(&st);
    for (int round = 0; round < 500; round++) {
        size_t pos = 0;
        uint32_t sum = 0;
        while (pos < sizeof(buf)) {
            size_t n = (rnd(&st) % 80) & ~(size_t)1;
            if (n > sizeof(buf) - pos)
                n = sizeof(buf) - pos; /* the final, odd chunk */
            sum = icr__csum_add(sum, buf + pos, n);
            pos += n;
        }
        assert_int_equal(icr__csum_fold(sum), icr__checksum(buf, sizeof(buf)));
    }
    /* A huge starting sum must not be lost to 32-bit overflow. */
    uint32_t s = icr__csum_add(0xffffffffu, buf, 64);
    assert_int_equal(icr__csum_fold(s), icr__csum_fold(icr__csum_add(0xffff, buf, 64)));
}

/* RFC 1624 section 4's example: HC 0xdd2f, m 0x5555 -> m' 0x3285 gives
 * 0x0000 (eqn. 3), not the 0xffff that RFC 1141's formula yields. */
static void test_update_rfc1624(void **state)
{
    (void)state;
    assert_int_equal(icr__csum_update16(0xdd2f, 0x5555, 0x3285), 0x0000);
    /* No change leaves any field as it is, 0xffff included. */
    assert_int_equal(icr__csum_update16(0xffff, 0x0000, 0x0000), 0xffff);
    assert_int_equal(icr__csum_update16(0x1234, 0xabcd, 0xabcd), 0x1234);
    /* All-zero data (field 0xffff), one word becomes 0x0001: 0xfffe. */
    assert_int_equal(icr__csum_update16(0xffff, 0x0000, 0x0001), 0xfffe);
}

/* Random messages, random word changes (including to and from 0x0000 and
 * 0xffff): the update equals a full recomputation, and the message always
 * verifies. */
static void test_update_random(void **state)
{
    (void)state;
    enum { WORDS = 32 };
    uint8_t msg[WORDS * 2];
    uint32_t st = 0xdeadbeef;
    static const uint16_t specials[] = {0x0000, 0xffff, 0x0001, 0xfffe, 0x8000};
    for (int round = 0; round < 20000; round++) {
        for (size_t i = 0; i < sizeof(msg); i++)
            msg[i] = (uint8_t)rnd(&st);
        msg[0] = 0x08; /* like ICMP: never all zero */
        msg[2] = msg[3] = 0;
        uint16_t field = icr__checksum(msg, sizeof(msg));
        memcpy(msg + 2, &field, 2);
        for (int k = 0; k < 8; k++) {
            size_t w = 2 + rnd(&st) % (WORDS - 2); /* not type/code, not field */
            uint32_t r = rnd(&st);
            uint16_t nv = (r & 0x700) == 0 ? specials[(r >> 16) % 5] : (uint16_t)r;
            uint16_t ov;
            memcpy(&ov, msg + 2 * w, 2);
            memcpy(msg + 2 * w, &nv, 2);
            field = icr__csum_update16(field, ov, nv);
            memcpy(msg + 2, &field, 2);

            uint8_t tmp[sizeof(msg)];
            memcpy(tmp, msg, sizeof(tmp));
            tmp[2] = tmp[3] = 0;
            assert_int_equal(field, icr__checksum(tmp, sizeof(tmp)));
            assert_int_equal(icr__checksum(msg, sizeof(msg)), 0);
        }
    }
}

/* The ICMPv6 checksum includes the pseudo-header.  Golden message: Echo
 * Reply 2001:db8::1 -> 2001:db8::2, id 0x7777, seq 256, "hello, icmpv6!",
 * checksum 0x3c56 worked out independently of this code. */
static const uint8_t icmp6_echo_reply[22] = {
    0x81, 0x00, 0x3c, 0x56, 0x77, 0x77, 0x01, 0x00, 0x68, 0x65, 0x6c, 0x6c,
    0x6f, 0x2c, 0x20, 0x69, 0x63, 0x6d, 0x70, 0x76, 0x36, 0x21,
};
static const struct in6_addr db8_1 = {.s6_addr = {0x20, 0x01, 0x0d, 0xb8, [15] = 1}};
static const struct in6_addr db8_2 = {.s6_addr = {0x20, 0x01, 0x0d, 0xb8, [15] = 2}};

static void test_icmp6_checksum(void **state)
{
    (void)state;
    uint8_t m[sizeof(icmp6_echo_reply)];
    memcpy(m, icmp6_echo_reply, sizeof(m));
    assert_int_equal(icr__icmp6_checksum(&db8_1, &db8_2, m, sizeof(m)), 0);
    /* Swapping src and dst does not change a one's-complement sum. */
    assert_int_equal(icr__icmp6_checksum(&db8_2, &db8_1, m, sizeof(m)), 0);
    m[2] = m[3] = 0;
    assert_int_equal(as_net(icr__icmp6_checksum(&db8_1, &db8_2, m, sizeof(m))), 0x3c56);
    /* Another destination, another checksum: the pseudo-header counts. */
    struct in6_addr other = db8_2;
    other.s6_addr[15] = 3;
    assert_int_not_equal(icr__icmp6_checksum(&db8_1, &other, icmp6_echo_reply,
                                             sizeof(icmp6_echo_reply)), 0);

    /* Against the reference over an explicit pseudo-header, for random
     * odd and even lengths at an unaligned address. */
    uint8_t buf[40 + 300 + 1];
    uint32_t st = 31337;
    for (int round = 0; round < 300; round++) {
        size_t len = rnd(&st) % 300;
        uint8_t *msg = buf + 40 + 1;
        for (size_t i = 0; i < len; i++)
            msg[i] = (uint8_t)rnd(&st);
        uint8_t *ref = malloc(40 + len);
        assert_non_null(ref);
        memcpy(ref, db8_1.s6_addr, 16);
        memcpy(ref + 16, other.s6_addr, 16);
        const uint8_t tail[8] = {0, 0, (uint8_t)(len >> 8), (uint8_t)len, 0, 0, 0, 58};
        memcpy(ref + 32, tail, 8);
        memcpy(ref + 40, msg, len);
        assert_int_equal(icr__icmp6_checksum(&db8_1, &other, msg, len),
                         to_field(ref_csum(ref, 40 + len)));
        free(ref);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc1071_example),
        cmocka_unit_test(test_known_echo_request),
        cmocka_unit_test(test_odd_lengths),
        cmocka_unit_test(test_all_lengths_alignments),
        cmocka_unit_test(test_no_overread),
        cmocka_unit_test(test_large_buffers),
        cmocka_unit_test(test_multipart),
        cmocka_unit_test(test_update_rfc1624),
        cmocka_unit_test(test_update_random),
        cmocka_unit_test(test_icmp6_checksum),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
