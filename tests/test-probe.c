/* test-probe.c - unit tests of the sweep's probe format (src/probe.c).
 * Expected values are built here, independently: a byte-wise reference
 * checksum, and the MAC inputs laid out by hand and hashed with the SipHash
 * module (itself checked against the reference vectors in test-siphash.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "packet.h"
#include "probe.h"
#include "ref-csum.h"
#include "siphash.h"

static const uint8_t key_bytes[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};


static uint64_t be64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

static struct icr_addr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
    struct icr_addr x = {.family = AF_INET};
    const uint8_t q[4] = {a, b, c, d};
    memcpy(&x.v4, q, 4);
    return x;
}

/* h as probe.h defines it, from a message laid out by hand. */
static uint64_t expected_h(const uint8_t addr16[16], uint32_t probe) {
    uint8_t m[20];
    memcpy(m, addr16, 16);
    m[16] = (uint8_t)(probe >> 24);
    m[17] = (uint8_t)(probe >> 16);
    m[18] = (uint8_t)(probe >> 8);
    m[19] = (uint8_t)probe;
    return icr__siphash24(key_bytes, m, sizeof(m));
}

static uint64_t expected_mac(uint64_t h, uint64_t index, uint64_t sent) {
    uint8_t m[16];
    uint64_t a = h ^ index;
    for (int i = 0; i < 8; i++) {
        m[i] = (uint8_t)(a >> (8 * i)); /* little-endian, as SipHash reads words */
        m[8 + i] = (uint8_t)(sent >> (8 * i));
    }
    return icr__siphash24(key_bytes, m, sizeof(m));
}

static void test_template(void **state) {
    (void)state;
    uint8_t t[8 + 56];
    uint32_t sum = icr__probe_template(t, sizeof(t), 56);
    const uint8_t hdr[8] = {8, 0, 0, 0, 0, 0, 0, 0};
    assert_memory_equal(t, hdr, 8);
    for (int i = 0; i < 28; i++)
        assert_int_equal(t[8 + i], 0);
    assert_memory_equal(t + 8 + 28, "icr1", 4);
    /* The returned sum is the template's: folding it gives its checksum. */
    assert_int_equal(ntohs(icr__csum_fold(sum)), ref_csum(t, sizeof(t)));
}

static void test_stamp_v4(void **state) {
    (void)state;
    struct icr__sipkey k;
    icr__sipkey_load(&k, key_bytes);
    uint8_t t[8 + 56], p[8 + 56];
    uint32_t sum = icr__probe_template(t, sizeof(t), 56);
    memcpy(p, t, sizeof(p));
    struct icr_addr dst = v4(198, 18, 0, 1);
    icr__probe_stamp(p, AF_INET, sum, &k, &dst, 5, 2, 0x0102030405060708ull);

    const uint8_t mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 198, 18, 0, 1};
    uint64_t h = expected_h(mapped, 2);
    assert_int_equal(p[0], 8);
    assert_int_equal(p[1], 0);
    assert_int_equal(ref_csum(p, sizeof(p)), 0); /* a valid checksum sums to zero */
    assert_int_equal(p[4] << 8 | p[5], (uint16_t)h);
    assert_int_equal(p[6] << 8 | p[7], (uint16_t)(h >> 16));
    assert_true(be64(p + 8) == expected_mac(h, 5, 0x0102030405060708ull));
    const uint8_t fields[20] = {1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 2};
    assert_memory_equal(p + 16, fields, sizeof(fields)); /* sent, index, probe */
    assert_memory_equal(p + 8 + 28, "icr1", 4);
    assert_memory_equal(p + 8 + 32, t + 8 + 32, 56 - 32); /* the filler is untouched */
}

static void test_stamp_v6(void **state) {
    (void)state;
    struct icr__sipkey k;
    icr__sipkey_load(&k, key_bytes);
    uint8_t t[8 + 40], p[8 + 40];
    uint32_t sum = icr__probe_template(t, sizeof(t), 40);
    memcpy(p, t, sizeof(p));
    struct icr_addr dst = {.family = AF_INET6};
    const uint8_t a16[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9};
    memcpy(&dst.v6, a16, 16);
    icr__probe_stamp(p, AF_INET6, sum, &k, &dst, 7, 0, 99);
    uint64_t h = expected_h(a16, 0);
    assert_int_equal(p[0], 128);
    assert_int_equal(p[2] | p[3], 0); /* left to the kernel */
    assert_int_equal(p[4] << 8 | p[5], (uint16_t)h);
    assert_int_equal(p[6] << 8 | p[7], (uint16_t)(h >> 16));
    assert_true(be64(p + 8) == expected_mac(h, 7, 99));
}

static void test_check(void **state) {
    (void)state;
    struct icr__sipkey k, other;
    uint8_t other_bytes[16];
    memcpy(other_bytes, key_bytes, 16);
    other_bytes[0] ^= 1;
    icr__sipkey_load(&k, key_bytes);
    icr__sipkey_load(&other, other_bytes);
    uint8_t t[8 + 56], p[8 + 56];
    uint32_t sum = icr__probe_template(t, sizeof(t), 56);
    memcpy(p, t, sizeof(p));
    struct icr_addr dst = v4(198, 18, 3, 4), wrong = v4(198, 18, 3, 5);
    icr__probe_stamp(p, AF_INET, sum, &k, &dst, 1234, 1, 555);
    uint16_t id = (uint16_t)(p[4] << 8 | p[5]), seq = (uint16_t)(p[6] << 8 | p[7]);
    uint64_t index = 0, sent = 0;
    uint32_t probe = 0;

    assert_int_equal(icr__probe_check(&k, &dst, id, seq, true, p + 8, 56, &index, &probe, &sent),
                     ICR__PROBE_VALID);
    assert_true(index == 1234 && probe == 1 && sent == 555);
    /* Another destination, another key, another id or sequence. */
    assert_int_equal(icr__probe_check(&k, &wrong, id, seq, true, p + 8, 56, &index, &probe, &sent),
                     ICR__PROBE_INVALID);
    assert_int_equal(icr__probe_check(&other, &dst, id, seq, true, p + 8, 56, &index, &probe,
                                      &sent),
                     ICR__PROBE_INVALID);
    assert_int_equal(icr__probe_check(&k, &dst, id ^ 1, seq, true, p + 8, 56, &index, &probe,
                                      &sent),
                     ICR__PROBE_INVALID);
    assert_int_equal(icr__probe_check(&k, &dst, id, seq ^ 0x100, true, p + 8, 56, &index, &probe,
                                      &sent),
                     ICR__PROBE_INVALID);
    /* A datagram socket's kernel rewrites the id: it is then not checked. */
    assert_int_equal(icr__probe_check(&k, &dst, id ^ 0x5555, seq, false, p + 8, 56, &index,
                                      &probe, &sent),
                     ICR__PROBE_VALID);
    /* Every single-bit change of the 32 MAC'd payload bytes is caught. */
    for (int byte = 0; byte < 32; byte++) {
        for (int bit = 0; bit < 8; bit++) {
            p[8 + byte] ^= (uint8_t)(1u << bit);
            int r = icr__probe_check(&k, &dst, id, seq, true, p + 8, 56, &index, &probe, &sent);
            assert_int_equal(r, byte >= 28 ? ICR__PROBE_NO_HDR : ICR__PROBE_INVALID);
            p[8 + byte] ^= (uint8_t)(1u << bit);
        }
    }
    /* Too short to hold the MACs: nothing to check. */
    assert_int_equal(icr__probe_check(&k, &dst, id, seq, true, p + 8, 31, &index, &probe, &sent),
                     ICR__PROBE_NO_HDR);
}

static void test_many_checksums(void **state) {
    (void)state;
    /* The O(1) checksum agrees with a full one for many random probes. */
    struct icr__sipkey k;
    icr__sipkey_load(&k, key_bytes);
    uint8_t t[8 + 1400], p[8 + 1400];
    srand(7);
    for (int round = 0; round < 2000; round++) {
        size_t size = 32 + (size_t)(rand() % (1400 - 32 + 1));
        uint32_t sum = icr__probe_template(t, sizeof(t), size);
        memcpy(p, t, 8 + size);
        struct icr_addr dst = v4((uint8_t)rand(), (uint8_t)rand(), (uint8_t)rand(),
                                 (uint8_t)rand());
        uint64_t index = (uint64_t)rand() << 20 ^ (uint64_t)rand();
        uint64_t sent = (uint64_t)rand() << 33 ^ (uint64_t)rand();
        icr__probe_stamp(p, AF_INET, sum, &k, &dst, index, (uint32_t)rand() % 1000, sent);
        assert_int_equal(ref_csum(p, 8 + size), 0);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_template),
        cmocka_unit_test(test_stamp_v4),
        cmocka_unit_test(test_stamp_v6),
        cmocka_unit_test(test_check),
        cmocka_unit_test(test_many_checksums),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
