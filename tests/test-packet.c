/* test-packet.c - unit tests of src/packet.c: Echo Request templates and
 * stamping, the payload filler, and the parsers, on golden packets written
 * out byte by byte below (checksums worked out independently of the code
 * under test), on variants of them with a checksum fixed up by a byte-wise
 * reference written here, and on every prefix of every golden packet in an
 * exactly-sized heap buffer so that ASan sees any read past the end.
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

/* ---- golden packets (the comment gives each checksum) ---------------------- */

/* iputils-style Echo Request id 0x1c2b seq 1, checksum 0x86c8 */
static const uint8_t echo_req_iputils[64] = {
    0x08, 0x00, 0x86, 0xc8, 0x1c, 0x2b, 0x00, 0x01, 0x00, 0xf1, 0x53, 0x65,
    0x00, 0x00, 0x00, 0x00, 0x40, 0xe2, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b,
    0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27,
    0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x32, 0x33,
    0x34, 0x35, 0x36, 0x37,
};

/* IPv4 IHL=5 Echo Reply 192.0.2.1 -> 198.51.100.2, TTL 57, ICMP csum 0x8ec8 */
static const uint8_t ip4_echo_reply[84] = {
    0x45, 0x00, 0x00, 0x54, 0x04, 0xd2, 0x40, 0x00, 0x39, 0x01, 0x50, 0xa0,
    0xc0, 0x00, 0x02, 0x01, 0xc6, 0x33, 0x64, 0x02, 0x00, 0x00, 0x8e, 0xc8,
    0x1c, 0x2b, 0x00, 0x01, 0x00, 0xf1, 0x53, 0x65, 0x00, 0x00, 0x00, 0x00,
    0x40, 0xe2, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x11, 0x12, 0x13,
    0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
    0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b,
    0x2c, 0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37,
};

/* IPv4 IHL=7 (router alert, NOP, EOL) Echo Reply, 11 odd data bytes, ICMP csum 0x99ad */
static const uint8_t ip4_echo_reply_opts[47] = {
    0x47, 0x10, 0x00, 0x2f, 0x11, 0x11, 0x00, 0x00, 0xfa, 0x01, 0x27, 0x58,
    0xc6, 0x12, 0x00, 0x07, 0xc6, 0x33, 0x64, 0x02, 0x94, 0x04, 0x00, 0x00,
    0x01, 0x01, 0x01, 0x00, 0x00, 0x00, 0x99, 0xad, 0xbe, 0xef, 0x02, 0x03,
    0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x4b,
};

/* IPv4 Dest Unreachable code 1 from 192.0.2.254 quoting IHL=7 Echo Request id 0x4242 seq 7 (ICMP csum 0xfcfe) */
static const uint8_t ip4_unreach_host[80] = {
    0x45, 0x00, 0x00, 0x50, 0x00, 0x07, 0x40, 0x00, 0x3c, 0x01, 0x51, 0x72,
    0xc0, 0x00, 0x02, 0xfe, 0xc6, 0x33, 0x64, 0x02, 0x03, 0x01, 0xfc, 0xfe,
    0x00, 0x00, 0x00, 0x00, 0x47, 0x00, 0x00, 0x34, 0xab, 0xcd, 0x00, 0x00,
    0x01, 0x01, 0x0f, 0xb6, 0xc6, 0x33, 0x64, 0x02, 0xcb, 0x00, 0x71, 0x09,
    0x01, 0x01, 0x01, 0x01, 0x94, 0x04, 0x00, 0x00, 0x08, 0x00, 0x86, 0x7f,
    0x42, 0x42, 0x00, 0x07, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37,
    0x38, 0x39, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66,
};

/* bare ICMPv4 Time Exceeded (datagram socket) quoting IHL=6 Echo Request id 0x0101 seq 0xfffe, 2 data bytes, csum 0x848e */
static const uint8_t icmp4_time_exceeded[42] = {
    0x0b, 0x00, 0x84, 0x8e, 0x00, 0x00, 0x00, 0x00, 0x46, 0x00, 0x00, 0x22,
    0x01, 0x02, 0x00, 0x00, 0x01, 0x01, 0xbc, 0xd6, 0xc6, 0x33, 0x64, 0x02,
    0xcb, 0x00, 0x71, 0xc8, 0x94, 0x04, 0x00, 0x00, 0x08, 0x00, 0xf6, 0xff,
    0x01, 0x01, 0xff, 0xfe, 0x70, 0x71,
};

/* bare ICMPv4 Frag Needed MTU 1400 quoting IHL=5 Echo Request id 9 seq 10, csum 0xf783 */
static const uint8_t icmp4_frag_needed[44] = {
    0x03, 0x04, 0xf7, 0x83, 0x00, 0x00, 0x05, 0x78, 0x45, 0x00, 0x00, 0x24,
    0x33, 0x33, 0x40, 0x00, 0x3f, 0x01, 0xa2, 0x6e, 0xc6, 0x33, 0x64, 0x02,
    0xcb, 0x00, 0x71, 0x01, 0x08, 0x00, 0xa3, 0x96, 0x00, 0x09, 0x00, 0x0a,
    0x00, 0xf1, 0x53, 0x65, 0x00, 0x00, 0x00, 0x00,
};

/* ICMPv6 Echo Reply 2001:db8::1 -> 2001:db8::2 id 0x7777 seq 256, 14 data bytes, csum 0x3c56 */
static const uint8_t icmp6_echo_reply[22] = {
    0x81, 0x00, 0x3c, 0x56, 0x77, 0x77, 0x01, 0x00, 0x68, 0x65, 0x6c, 0x6c,
    0x6f, 0x2c, 0x20, 0x69, 0x63, 0x6d, 0x70, 0x76, 0x36, 0x21,
};

/* ICMPv6 Dest Unreachable code 3 2001:db8::fe -> 2001:db8::2 quoting Echo Request id 0x5150 seq 0x33, csum 0x0811 */
static const uint8_t icmp6_unreach[60] = {
    0x01, 0x03, 0x08, 0x11, 0x00, 0x00, 0x00, 0x00, 0x60, 0x00, 0x00, 0x00,
    0x00, 0x0c, 0x3a, 0x3d, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x20, 0x01, 0x0d, 0xb8,
    0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09,
    0x80, 0x00, 0x20, 0x08, 0x51, 0x50, 0x00, 0x33, 0x58, 0x59, 0x5a, 0x57,
};

/* ICMPv6 Time Exceeded 2001:db8::fd -> 2001:db8::2 quoting IPv6 + HBH + DstOpts + Echo Request id 0x5151 seq 0x34, csum 0xc813 */
static const uint8_t icmp6_time_exceeded[80] = {
    0x03, 0x00, 0xc8, 0x13, 0x00, 0x00, 0x00, 0x00, 0x60, 0x00, 0x00, 0x00,
    0x00, 0x20, 0x00, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x20, 0x01, 0x0d, 0xb8,
    0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09,
    0x3c, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00, 0x3a, 0x01, 0x01, 0x0c,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x80, 0x00, 0xd2, 0xba, 0x51, 0x51, 0x00, 0x34,
};

/* ICMPv6 Packet Too Big MTU 1280 quoting IPv6 + Fragment(offset 0) + Echo Request id 0x5152 seq 0x35, csum 0x3840 */
static const uint8_t icmp6_too_big[104] = {
    0x02, 0x00, 0x38, 0x40, 0x00, 0x00, 0x05, 0x00, 0x60, 0x00, 0x00, 0x00,
    0x00, 0x38, 0x2c, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x20, 0x01, 0x0d, 0xb8,
    0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09,
    0x3a, 0x00, 0x00, 0x01, 0xde, 0xad, 0xbe, 0xef, 0x80, 0x00, 0x54, 0xff,
    0x51, 0x52, 0x00, 0x35, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
    0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13,
    0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
    0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27,
};

/* ICMPv4 Timestamp (type 13): not echo, not error, csum 0xf2fc */
static const uint8_t icmp4_timestamp[20] = {
    0x0d, 0x00, 0xf2, 0xfc, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};


/* ---- helpers ------------------------------------------------------------- */


/* Recompute the ICMPv4 checksum of the message at m (len bytes) with the
 * reference, after a test has edited it. */
static void fix_csum4(uint8_t *m, size_t len)
{
    m[2] = m[3] = 0;
    uint16_t c = ref_csum(m, len);
    m[2] = (uint8_t)(c >> 8);
    m[3] = (uint8_t)c;
}

static uint32_t rnd(uint32_t *st)
{
    uint32_t x = *st;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *st = x;
}

/* Parse a copy of the first len bytes of p held in a buffer of exactly len
 * bytes: any over-read is a heap-buffer-overflow for ASan.  ip selects
 * icr__parse_ipv4, else icr__parse_icmp(family, src, dst). */
static int parse_exact(const uint8_t *p, size_t len, bool ip, int family,
                       const struct in6_addr *src, const struct in6_addr *dst,
                       struct icr__icmp_msg *m)
{
    uint8_t *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, p, len);
    int r = ip ? icr__parse_ipv4(copy, len, m) : icr__parse_icmp(copy, len, family, src, dst, m);
    if (r == ICR__PARSE_OK) {
        /* Every pointer handed back must lie inside the buffer. */
        assert_true(m->icmp >= copy && m->icmp + m->icmp_len <= copy + len);
        if (m->is_echo)
            assert_true(m->data >= copy && m->data + m->data_len <= copy + len);
        if (m->quote_is_echo)
            assert_true(m->quote_data >= copy &&
                        m->quote_data + m->quote_data_len <= copy + len);
    }
    free(copy);
    /* The pointers dangle now; callers only look at the values. */
    return r;
}

static void assert_addr4(const struct icr_addr *a, uint8_t b0, uint8_t b1, uint8_t b2, uint8_t b3)
{
    const uint8_t want[4] = {b0, b1, b2, b3};
    assert_int_equal(a->family, AF_INET);
    assert_memory_equal(&a->v4, want, 4);
}

/* 2001:db8:<hi>::<lo> */
static void assert_addr6(const struct icr_addr *a, uint16_t hi, uint8_t lo)
{
    uint8_t want[16] = {0x20, 0x01, 0x0d, 0xb8, (uint8_t)(hi >> 8), (uint8_t)hi, [15] = lo};
    assert_int_equal(a->family, AF_INET6);
    assert_int_equal(a->scope_id, 0);
    assert_memory_equal(&a->v6, want, 16);
}

static const struct in6_addr db8_1 = {.s6_addr = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x01}};
static const struct in6_addr db8_2 = {.s6_addr = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x02}};
static const struct in6_addr db8_fc = {.s6_addr = {0x20, 0x01, 0x0d, 0xb8, [15] = 0xfc}};
static const struct in6_addr db8_fd = {.s6_addr = {0x20, 0x01, 0x0d, 0xb8, [15] = 0xfd}};
static const struct in6_addr db8_fe = {.s6_addr = {0x20, 0x01, 0x0d, 0xb8, [15] = 0xfe}};

/* ---- templates ----------------------------------------------------------- */

static void test_echo_init_iputils(void **state)
{
    (void)state;
    uint8_t buf[128];
    memset(buf, 0xaa, sizeof(buf));
    uint32_t base = 0;
    int n = icr__echo_init(buf, sizeof(buf), AF_INET, echo_req_iputils + 8, 56, &base);
    assert_int_equal(n, 64);
    /* The template: type 8, everything else in the header zero. */
    static const uint8_t hdr0[8] = {8, 0, 0, 0, 0, 0, 0, 0};
    assert_memory_equal(buf, hdr0, 8);
    assert_int_equal(buf[64], 0xaa); /* nothing written past the message */
    /* The base sum is the sum of the template as it stands. */
    assert_int_equal(icr__csum_fold(base), icr__checksum(buf, 64));

    icr__echo_stamp(buf, AF_INET, base, 0x1c2b, 1);
    assert_memory_equal(buf, echo_req_iputils, sizeof(echo_req_iputils));
    /* Restamping the same template for another probe replaces the fields. */
    icr__echo_stamp(buf, AF_INET, base, 0xffff, 0xfffe);
    icr__echo_stamp(buf, AF_INET, base, 0x1c2b, 1);
    assert_memory_equal(buf, echo_req_iputils, sizeof(echo_req_iputils));
}

static void test_echo_init_errors(void **state)
{
    (void)state;
    uint8_t buf[64];
    uint32_t base = 0x5a5a;
    assert_int_equal(icr__echo_init(buf, sizeof(buf), AF_UNIX, NULL, 8, &base), ICR_EINVAL);
    assert_int_equal(icr__echo_init(buf, sizeof(buf), AF_UNSPEC, NULL, 8, &base), ICR_EINVAL);
    assert_int_equal(icr__echo_init(buf, 63, AF_INET, NULL, 56, &base), ICR_EINVAL);
    assert_int_equal(icr__echo_init(buf, 7, AF_INET6, NULL, 0, &base), ICR_EINVAL);
    assert_int_equal(icr__echo_init(NULL, 64, AF_INET, NULL, 56, &base), ICR_EINVAL);
    assert_int_equal(icr__echo_init(buf, sizeof(buf), AF_INET, NULL, 8, NULL), ICR_EINVAL);
    assert_int_equal(base, 0x5a5a); /* untouched on failure */

    size_t big = 8 + ICR__MAX_PAYLOAD + 1;
    uint8_t *p = malloc(big);
    assert_non_null(p);
    assert_int_equal(icr__echo_init(p, big, AF_INET, NULL, ICR__MAX_PAYLOAD + 1, &base),
                     ICR_EINVAL);
    assert_int_equal(icr__echo_init(p, big, AF_INET, NULL, ICR__MAX_PAYLOAD, &base),
                     8 + ICR__MAX_PAYLOAD);
    icr__echo_stamp(p, AF_INET, base, 0x1234, 0x5678);
    assert_int_equal(ref_csum(p, 8 + ICR__MAX_PAYLOAD), 0);
    /* Empty payload: just the header. */
    assert_int_equal(icr__echo_init(buf, 8, AF_INET, NULL, 0, &base), 8);
    icr__echo_stamp(buf, AF_INET, base, 0, 0);
    static const uint8_t empty[8] = {0x08, 0x00, 0xf7, 0xff, 0, 0, 0, 0};
    assert_memory_equal(buf, empty, 8);
    free(p);
}

/* For random id/seq and payload sizes (odd ones included), the O(1) stamp
 * gives exactly the checksum computed from scratch by the reference. */
static void test_stamp_random(void **state)
{
    (void)state;
    static const size_t sizes[] = {0, 1, 2, 3, 7, 31, 56, 57, 1472, 9000, ICR__MAX_PAYLOAD};
    uint8_t *buf = malloc(8 + ICR__MAX_PAYLOAD);
    uint8_t *payload = malloc(ICR__MAX_PAYLOAD);
    assert_non_null(buf);
    assert_non_null(payload);
    uint32_t st = 0xc0ffee;
    for (size_t i = 0; i < ICR__MAX_PAYLOAD; i++)
        payload[i] = (uint8_t)rnd(&st);
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        size_t n = 8 + sizes[k];
        uint32_t base;
        assert_int_equal(icr__echo_init(buf, n, AF_INET, payload, sizes[k], &base), (int)n);
        int rounds = sizes[k] > 2000 ? 20 : 2000;
        for (int r = 0; r < rounds; r++) {
            uint16_t id = (uint16_t)rnd(&st), seq = (uint16_t)rnd(&st);
            if (r == 0)
                id = seq = 0;
            else if (r == 1)
                id = seq = 0xffff;
            icr__echo_stamp(buf, AF_INET, base, id, seq);
            assert_int_equal(buf[4], id >> 8);
            assert_int_equal(buf[5], id & 0xff);
            assert_int_equal(buf[6], seq >> 8);
            assert_int_equal(buf[7], seq & 0xff);
            uint16_t want = (uint16_t)(buf[2] << 8 | buf[3]);
            buf[2] = buf[3] = 0;
            assert_int_equal(want, ref_csum(buf, n));
            buf[2] = (uint8_t)(want >> 8);
            buf[3] = (uint8_t)want;
        }
    }
    free(buf);
    free(payload);
}

static void test_stamp_v6(void **state)
{
    (void)state;
    uint8_t buf[8 + 14];
    uint32_t base;
    assert_int_equal(icr__echo_init(buf, sizeof(buf), AF_INET6, "hello, icmpv6!", 14, &base), 22);
    icr__echo_stamp(buf, AF_INET6, base, 0x7777, 0x0100);
    /* The golden Echo Reply with type 128 and no checksum: the kernel
     * fills the checksum in. */
    uint8_t want[22];
    memcpy(want, icmp6_echo_reply, sizeof(want));
    want[0] = 128;
    want[2] = want[3] = 0;
    assert_memory_equal(buf, want, sizeof(want));
    /* Filled in by hand it verifies: the reply's 0x3c56 minus the type
     * change 129 -> 128 (0x0100 in the first word) is 0x3d56. */
    uint16_t c = icr__icmp6_checksum(&db8_1, &db8_2, buf, sizeof(buf));
    memcpy(buf + 2, &c, 2);
    assert_int_equal(buf[2], 0x3d);
    assert_int_equal(buf[3], 0x56);
    struct icr__icmp_msg m;
    assert_int_equal(icr__parse_icmp(buf, sizeof(buf), AF_INET6, &db8_1, &db8_2, &m),
                     ICR__PARSE_OK);
    assert_int_equal(m.type, ICR__ICMP6_ECHO_REQUEST);
    assert_true(m.is_echo);
}

static void test_payload_fill(void **state)
{
    (void)state;
    uint8_t a[1000], b[1000], c[1000];
    icr__payload_fill(a, sizeof(a), 1);
    icr__payload_fill(b, sizeof(b), 1);
    icr__payload_fill(c, sizeof(c), 2);
    assert_memory_equal(a, b, sizeof(a));
    assert_memory_not_equal(a, c, 16); /* differs from the start */
    int seen[256] = {0};
    for (size_t i = 0; i < sizeof(a); i++) {
        assert_true(a[i] >= 0x20 && a[i] <= 0x7e);
        seen[a[i]]++;
    }
    /* Not a constant run: many distinct characters. */
    int distinct = 0;
    for (int i = 0; i < 256; i++)
        distinct += seen[i] != 0;
    assert_true(distinct > 40);
    /* A shorter fill is a prefix of a longer one; length 0 writes nothing. */
    uint8_t d[37];
    icr__payload_fill(d, sizeof(d), 1);
    assert_memory_equal(d, a, sizeof(d));
    d[0] = 0;
    icr__payload_fill(d, 0, 1);
    assert_int_equal(d[0], 0);
    /* The template's default payload is the filler with seed 0. */
    uint8_t t[8 + 100];
    uint32_t base;
    assert_int_equal(icr__echo_init(t, sizeof(t), AF_INET, NULL, 100, &base), 108);
    icr__payload_fill(c, 100, 0);
    assert_memory_equal(t + 8, c, 100);
}

/* ---- parsing: echo ------------------------------------------------------- */

static void test_parse_ip4_echo_reply(void **state)
{
    (void)state;
    struct icr__icmp_msg m;
    assert_int_equal(icr__parse_ipv4(ip4_echo_reply, sizeof(ip4_echo_reply), &m), ICR__PARSE_OK);
    assert_int_equal(m.family, AF_INET);
    assert_addr4(&m.src, 192, 0, 2, 1);
    assert_addr4(&m.dst, 198, 51, 100, 2);
    assert_int_equal(m.ttl, 57);
    assert_int_equal(m.tos, 0);
    assert_int_equal(m.ip_id, 0x04d2);
    assert_int_equal(m.type, ICR__ICMP4_ECHO_REPLY);
    assert_int_equal(m.code, 0);
    assert_ptr_equal(m.icmp, ip4_echo_reply + 20);
    assert_int_equal(m.icmp_len, 64);
    assert_true(m.is_echo);
    assert_false(m.is_error);
    assert_false(m.has_quote);
    assert_int_equal(m.id, 0x1c2b);
    assert_int_equal(m.seq, 1);
    assert_ptr_equal(m.data, ip4_echo_reply + 28);
    assert_int_equal(m.data_len, 56);
    assert_memory_equal(m.data, echo_req_iputils + 8, 56);
    assert_int_equal(m.mtu, 0);

    /* The same ICMP message bare, as a datagram socket delivers it. */
    assert_int_equal(icr__parse_icmp(ip4_echo_reply + 20, 64, AF_INET, NULL, NULL, &m),
                     ICR__PARSE_OK);
    assert_int_equal(m.family, AF_INET);
    assert_int_equal(m.src.family, AF_UNSPEC);
    assert_int_equal(m.ttl, -1);
    assert_int_equal(m.tos, -1);
    assert_true(m.is_echo);
    assert_int_equal(m.id, 0x1c2b);
    assert_int_equal(m.data_len, 56);

    /* Link-layer padding after the total length is not ICMP. */
    uint8_t padded[sizeof(ip4_echo_reply) + 6];
    memcpy(padded, ip4_echo_reply, sizeof(ip4_echo_reply));
    memset(padded + sizeof(ip4_echo_reply), 0x55, 6);
    assert_int_equal(icr__parse_ipv4(padded, sizeof(padded), &m), ICR__PARSE_OK);
    assert_int_equal(m.icmp_len, 64);
    assert_int_equal(m.data_len, 56);
}

/* IHL=7, odd data length, TOS set, at every alignment. */
static void test_parse_ip4_options(void **state)
{
    (void)state;
    uint8_t raw[sizeof(ip4_echo_reply_opts) + 8];
    for (size_t off = 0; off < 8; off++) {
        memcpy(raw + off, ip4_echo_reply_opts, sizeof(ip4_echo_reply_opts));
        struct icr__icmp_msg m;
        assert_int_equal(icr__parse_ipv4(raw + off, sizeof(ip4_echo_reply_opts), &m),
                         ICR__PARSE_OK);
        assert_addr4(&m.src, 198, 18, 0, 7);
        assert_int_equal(m.ttl, 250);
        assert_int_equal(m.tos, 0x10);
        assert_int_equal(m.ip_id, 0x1111);
        assert_ptr_equal(m.icmp, raw + off + 28);
        assert_int_equal(m.icmp_len, 19);
        assert_true(m.is_echo);
        assert_int_equal(m.id, 0xbeef);
        assert_int_equal(m.seq, 0x0203);
        assert_int_equal(m.data_len, 11);
        assert_memory_equal(m.data, "ABCDEFGHIJK", 11);
    }
}

static void test_parse_ip4_bad(void **state)
{
    (void)state;
    uint8_t p[sizeof(ip4_echo_reply)];
    struct icr__icmp_msg m = {.ttl = 12345};

#define RESET() memcpy(p, ip4_echo_reply, sizeof(p))
    RESET();
    p[0] = 0x65; /* version 6 */
    assert_int_equal(icr__parse_ipv4(p, sizeof(p), &m), ICR__PARSE_BAD_IP);
    RESET();
    p[0] = 0x44; /* IHL 4 */
    assert_int_equal(icr__parse_ipv4(p, sizeof(p), &m), ICR__PARSE_BAD_IP);
    RESET();
    p[0] = 0x40; /* IHL 0 */
    assert_int_equal(icr__parse_ipv4(p, sizeof(p), &m), ICR__PARSE_BAD_IP);
    RESET();
    p[9] = 17; /* UDP */
    assert_int_equal(icr__parse_ipv4(p, sizeof(p), &m), ICR__PARSE_BAD_IP);
    RESET();
    p[2] = 0;
    p[3] = 19; /* total length shorter than the header */
    assert_int_equal(icr__parse_ipv4(p, sizeof(p), &m), ICR__PARSE_BAD_IP);
    RESET();
    p[3] = 0x55; /* total length one more than received */
    assert_int_equal(icr__parse_ipv4(p, sizeof(p), &m), ICR__PARSE_TRUNC_IP);
    RESET();
    p[0] = 0x4f; /* IHL 15: 60 bytes of header announced, only 22 here */
    assert_int_equal(icr__parse_ipv4(p, 22, &m), ICR__PARSE_TRUNC_IP);
    RESET();
    p[3] = 27; /* 7 bytes of ICMP */
    assert_int_equal(icr__parse_ipv4(p, sizeof(p), &m), ICR__PARSE_TRUNC_ICMP);
    RESET();
    p[3] = 20; /* no ICMP at all */
    assert_int_equal(icr__parse_ipv4(p, sizeof(p), &m), ICR__PARSE_TRUNC_ICMP);
    assert_int_equal(icr__parse_ipv4(p, 19, &m), ICR__PARSE_TRUNC_IP);
    assert_int_equal(icr__parse_ipv4(p, 0, &m), ICR__PARSE_TRUNC_IP);
    assert_int_equal(m.ttl, 12345); /* untouched on failure */

    /* Checksum: one payload bit, and the checksum field itself. */
    RESET();
    p[60] ^= 0x01;
    assert_int_equal(icr__parse_ipv4(p, sizeof(p), &m), ICR__PARSE_BAD_CSUM);
    RESET();
    p[23] ^= 0x80;
    assert_int_equal(icr__parse_ipv4(p, sizeof(p), &m), ICR__PARSE_BAD_CSUM);
    /* The IP header is not part of the ICMP checksum. */
    RESET();
    p[8] = 1;
    assert_int_equal(icr__parse_ipv4(p, sizeof(p), &m), ICR__PARSE_OK);
    assert_int_equal(m.ttl, 1);
#undef RESET

    assert_int_equal(icr__parse_icmp(ip4_echo_reply + 20, 7, AF_INET, NULL, NULL, &m),
                     ICR__PARSE_TRUNC_ICMP);
    memcpy(p, ip4_echo_reply + 20, 64);
    p[10] ^= 0x20;
    assert_int_equal(icr__parse_icmp(p, 64, AF_INET, NULL, NULL, &m), ICR__PARSE_BAD_CSUM);
    memcpy(p, icmp4_time_exceeded, sizeof(icmp4_time_exceeded));
    p[41] ^= 0x01; /* in the quote */
    assert_int_equal(icr__parse_icmp(p, sizeof(icmp4_time_exceeded), AF_INET, NULL, NULL, &m),
                     ICR__PARSE_BAD_CSUM);
}

/* ---- parsing: ICMPv4 errors ---------------------------------------------- */

static void test_parse_ip4_unreach_opts_quote(void **state)
{
    (void)state;
    struct icr__icmp_msg m;
    assert_int_equal(icr__parse_ipv4(ip4_unreach_host, sizeof(ip4_unreach_host), &m),
                     ICR__PARSE_OK);
    assert_addr4(&m.src, 192, 0, 2, 254);
    assert_addr4(&m.dst, 198, 51, 100, 2);
    assert_int_equal(m.type, ICR__ICMP4_UNREACH);
    assert_int_equal(m.code, 1);
    assert_false(m.is_echo);
    assert_true(m.is_error);
    assert_true(m.has_quote);
    assert_addr4(&m.quote_src, 198, 51, 100, 2);
    assert_addr4(&m.quote_dst, 203, 0, 113, 9);
    assert_int_equal(m.quote_proto, IPPROTO_ICMP);
    assert_int_equal(m.quote_ttl, 1);
    assert_int_equal(m.quote_ip_id, 0xabcd);
    assert_true(m.quote_is_echo);
    assert_int_equal(m.quote_id, 0x4242);
    assert_int_equal(m.quote_seq, 7);
    /* The quoted IP header is 28 bytes (IHL 7), so the quoted echo data
     * starts 20 + 8 + 28 + 8 bytes in. */
    assert_ptr_equal(m.quote_data, ip4_unreach_host + 64);
    assert_int_equal(m.quote_data_len, 16);
    assert_memory_equal(m.quote_data, "0123456789abcdef", 16);
    assert_int_equal(m.mtu, 0);
}

static void test_parse_time_exceeded_bare(void **state)
{
    (void)state;
    struct icr__icmp_msg m;
    assert_int_equal(icr__parse_icmp(icmp4_time_exceeded, sizeof(icmp4_time_exceeded), AF_INET,
                                     NULL, NULL, &m),
                     ICR__PARSE_OK);
    assert_int_equal(m.family, AF_INET);
    assert_int_equal(m.src.family, AF_UNSPEC);
    assert_int_equal(m.type, ICR__ICMP4_TIME_EXCEEDED);
    assert_int_equal(m.code, 0);
    assert_true(m.is_error);
    assert_true(m.has_quote);
    assert_addr4(&m.quote_src, 198, 51, 100, 2);
    assert_addr4(&m.quote_dst, 203, 0, 113, 200);
    assert_int_equal(m.quote_ttl, 1);
    assert_int_equal(m.quote_ip_id, 0x0102);
    assert_true(m.quote_is_echo);
    assert_int_equal(m.quote_id, 0x0101);
    assert_int_equal(m.quote_seq, 0xfffe);
    assert_int_equal(m.quote_data_len, 2);
    assert_memory_equal(m.quote_data, "pq", 2);
}

static void test_parse_frag_needed(void **state)
{
    (void)state;
    struct icr__icmp_msg m;
    assert_int_equal(icr__parse_icmp(icmp4_frag_needed, sizeof(icmp4_frag_needed), AF_INET,
                                     NULL, NULL, &m),
                     ICR__PARSE_OK);
    assert_int_equal(m.type, ICR__ICMP4_UNREACH);
    assert_int_equal(m.code, 4);
    assert_int_equal(m.mtu, 1400);
    assert_true(m.quote_is_echo);
    assert_int_equal(m.quote_id, 9);
    assert_int_equal(m.quote_seq, 10);
    assert_int_equal(m.quote_ttl, 63);
    assert_int_equal(m.quote_data_len, 8);
    /* Another Destination Unreachable code carries no MTU. */
    uint8_t p[sizeof(icmp4_frag_needed)];
    memcpy(p, icmp4_frag_needed, sizeof(p));
    p[1] = 3;
    fix_csum4(p, sizeof(p));
    assert_int_equal(icr__parse_icmp(p, sizeof(p), AF_INET, NULL, NULL, &m), ICR__PARSE_OK);
    assert_int_equal(m.mtu, 0);
}

/* The Time Exceeded message cut down to a quote of every length: a quote
 * shorter than the quoted IHL (24) or with less than 8 bytes of ICMP is
 * TRUNC_QUOTE, 8 bytes of ICMP are enough. */
static void test_parse_trunc_quote4(void **state)
{
    (void)state;
    for (size_t qlen = 0; qlen <= 34; qlen++) {
        uint8_t p[sizeof(icmp4_time_exceeded)];
        memcpy(p, icmp4_time_exceeded, sizeof(p));
        fix_csum4(p, 8 + qlen);
        struct icr__icmp_msg m;
        int r = parse_exact(p, 8 + qlen, false, AF_INET, NULL, NULL, &m);
        if (qlen < 24 + 8) {
            assert_int_equal(r, ICR__PARSE_TRUNC_QUOTE);
        } else {
            assert_int_equal(r, ICR__PARSE_OK);
            assert_true(m.quote_is_echo);
            assert_int_equal(m.quote_seq, 0xfffe);
            assert_int_equal(m.quote_data_len, qlen - 32);
        }
    }
    /* The same inside an IPv4 datagram with options in both headers. */
    for (size_t qlen = 0; qlen < 36; qlen++) {
        uint8_t p[sizeof(ip4_unreach_host)];
        memcpy(p, ip4_unreach_host, sizeof(p));
        size_t tot = 28 + qlen;
        p[2] = 0;
        p[3] = (uint8_t)tot;
        fix_csum4(p + 20, 8 + qlen);
        struct icr__icmp_msg m;
        assert_int_equal(parse_exact(p, tot, true, 0, NULL, NULL, &m), ICR__PARSE_TRUNC_QUOTE);
    }
}

static void test_parse_bad_quote4(void **state)
{
    (void)state;
    uint8_t p[sizeof(icmp4_time_exceeded)];
    struct icr__icmp_msg m;
    memcpy(p, icmp4_time_exceeded, sizeof(p));
    p[8] = 0x66; /* quoted version 6 */
    fix_csum4(p, sizeof(p));
    assert_int_equal(icr__parse_icmp(p, sizeof(p), AF_INET, NULL, NULL, &m), ICR__PARSE_BAD_QUOTE);
    memcpy(p, icmp4_time_exceeded, sizeof(p));
    p[8] = 0x43; /* quoted IHL 3 */
    fix_csum4(p, sizeof(p));
    assert_int_equal(icr__parse_icmp(p, sizeof(p), AF_INET, NULL, NULL, &m), ICR__PARSE_BAD_QUOTE);
    /* One byte of quote is enough to see the version. */
    memcpy(p, icmp4_time_exceeded, sizeof(p));
    p[8] = 0x60;
    fix_csum4(p, 9);
    assert_int_equal(icr__parse_icmp(p, 9, AF_INET, NULL, NULL, &m), ICR__PARSE_BAD_QUOTE);
}

/* A quoted packet that is not ICMP, or ICMP but not an Echo Request: the
 * quote is there, nothing to match. */
static void test_parse_quote_not_echo(void **state)
{
    (void)state;
    uint8_t p[sizeof(icmp4_time_exceeded)];
    struct icr__icmp_msg m;
    memcpy(p, icmp4_time_exceeded, sizeof(p));
    p[8 + 9] = IPPROTO_UDP;
    fix_csum4(p, 8 + 24); /* a UDP quote may stop right after the IP header */
    assert_int_equal(icr__parse_icmp(p, 8 + 24, AF_INET, NULL, NULL, &m), ICR__PARSE_OK);
    assert_true(m.is_error);
    assert_true(m.has_quote);
    assert_int_equal(m.quote_proto, IPPROTO_UDP);
    assert_false(m.quote_is_echo);
    assert_addr4(&m.quote_dst, 203, 0, 113, 200);

    memcpy(p, icmp4_time_exceeded, sizeof(p));
    p[8 + 24] = ICR__ICMP4_ECHO_REPLY;
    fix_csum4(p, sizeof(p));
    assert_int_equal(icr__parse_icmp(p, sizeof(p), AF_INET, NULL, NULL, &m), ICR__PARSE_OK);
    assert_true(m.has_quote);
    assert_int_equal(m.quote_proto, IPPROTO_ICMP);
    assert_false(m.quote_is_echo);

    /* A non-first fragment of a large probe: no ICMP header in the quote,
     * even though the bytes there look like one. */
    memcpy(p, icmp4_time_exceeded, sizeof(p));
    p[8 + 6] = 0x00;
    p[8 + 7] = 0xb9; /* offset 185 * 8 */
    fix_csum4(p, sizeof(p));
    assert_int_equal(icr__parse_icmp(p, sizeof(p), AF_INET, NULL, NULL, &m), ICR__PARSE_OK);
    assert_true(m.has_quote);
    assert_int_equal(m.quote_proto, IPPROTO_ICMP);
    assert_false(m.quote_is_echo);
    /* The first fragment (MF set, offset 0) does carry it. */
    p[8 + 6] = 0x20;
    p[8 + 7] = 0x00;
    fix_csum4(p, sizeof(p));
    assert_int_equal(icr__parse_icmp(p, sizeof(p), AF_INET, NULL, NULL, &m), ICR__PARSE_OK);
    assert_true(m.quote_is_echo);
}

/* Redirect, Source Quench and Parameter Problem quote like the others;
 * Timestamp and other types are neither echo nor error. */
static void test_parse_other_types4(void **state)
{
    (void)state;
    static const uint8_t types[] = {ICR__ICMP4_REDIRECT, 4, ICR__ICMP4_PARAM_PROBLEM};
    struct icr__icmp_msg m;
    for (size_t i = 0; i < sizeof(types); i++) {
        uint8_t p[sizeof(icmp4_time_exceeded)];
        memcpy(p, icmp4_time_exceeded, sizeof(p));
        p[0] = types[i];
        p[4] = 198; /* Redirect: gateway address; Param Problem: pointer */
        fix_csum4(p, sizeof(p));
        assert_int_equal(icr__parse_icmp(p, sizeof(p), AF_INET, NULL, NULL, &m), ICR__PARSE_OK);
        assert_int_equal(m.type, types[i]);
        assert_true(m.is_error);
        assert_true(m.quote_is_echo);
        assert_int_equal(m.quote_id, 0x0101);
    }
    assert_int_equal(icr__parse_icmp(icmp4_timestamp, sizeof(icmp4_timestamp), AF_INET, NULL,
                                     NULL, &m),
                     ICR__PARSE_OK);
    assert_int_equal(m.type, 13);
    assert_int_equal(m.code, 0);
    assert_false(m.is_echo);
    assert_false(m.is_error);
    assert_false(m.has_quote);
    assert_int_equal(m.icmp_len, 20);
    /* An Echo Request (someone pinging us) is echo, not error. */
    assert_int_equal(icr__parse_icmp(echo_req_iputils, sizeof(echo_req_iputils), AF_INET, NULL,
                                     NULL, &m),
                     ICR__PARSE_OK);
    assert_int_equal(m.type, ICR__ICMP4_ECHO_REQUEST);
    assert_true(m.is_echo);
    assert_int_equal(m.seq, 1);
}

/* RFC 4884: a Time Exceeded with extensions pads the quote to 128 bytes
 * and gives its length (in 32-bit words) in byte 5; the extension that
 * follows is not quoted data. */
static void test_parse_rfc4884(void **state)
{
    (void)state;
    uint8_t p[8 + 128 + 8];
    memset(p, 0, sizeof(p));
    memcpy(p, icmp4_frag_needed, sizeof(icmp4_frag_needed)); /* quote: 20 + 8 + 8 */
    p[0] = ICR__ICMP4_TIME_EXCEEDED;
    p[1] = 0;
    p[6] = p[7] = 0;
    p[5] = 32;                           /* 128 bytes of quote */
    p[8 + 128] = 0x20;                   /* extension header, version 2 */
    memset(p + 8 + 128 + 4, 0xee, 4);
    fix_csum4(p, sizeof(p));
    struct icr__icmp_msg m;
    assert_int_equal(parse_exact(p, sizeof(p), false, AF_INET, NULL, NULL, &m), ICR__PARSE_OK);
    assert_true(m.quote_is_echo);
    assert_int_equal(m.quote_id, 9);
    assert_int_equal(m.quote_data_len, 128 - 28);
    /* Without the length field the whole rest is quote. */
    p[5] = 0;
    fix_csum4(p, sizeof(p));
    assert_int_equal(parse_exact(p, sizeof(p), false, AF_INET, NULL, NULL, &m), ICR__PARSE_OK);
    assert_int_equal(m.quote_data_len, 128 + 8 - 28);
    /* A length beyond the message is ignored, not trusted. */
    p[5] = 40;
    fix_csum4(p, sizeof(p));
    assert_int_equal(parse_exact(p, sizeof(p), false, AF_INET, NULL, NULL, &m), ICR__PARSE_OK);
    assert_int_equal(m.quote_data_len, 128 + 8 - 28);
}

/* ---- parsing: ICMPv6 ----------------------------------------------------- */

static void test_parse_icmp6_echo_reply(void **state)
{
    (void)state;
    struct icr__icmp_msg m;
    assert_int_equal(icr__parse_icmp(icmp6_echo_reply, sizeof(icmp6_echo_reply), AF_INET6, &db8_1,
                                     &db8_2, &m),
                     ICR__PARSE_OK);
    assert_int_equal(m.family, AF_INET6);
    assert_int_equal(m.src.family, AF_UNSPEC);
    assert_int_equal(m.dst.family, AF_UNSPEC);
    assert_int_equal(m.ttl, -1);
    assert_int_equal(m.tos, -1);
    assert_int_equal(m.ip_id, 0);
    assert_int_equal(m.type, ICR__ICMP6_ECHO_REPLY);
    assert_true(m.is_echo);
    assert_false(m.is_error);
    assert_int_equal(m.id, 0x7777);
    assert_int_equal(m.seq, 0x0100);
    assert_int_equal(m.data_len, 14);
    assert_memory_equal(m.data, "hello, icmpv6!", 14);

    /* Wrong pseudo-header: the checksum does not verify... */
    assert_int_equal(icr__parse_icmp(icmp6_echo_reply, sizeof(icmp6_echo_reply), AF_INET6,
                                     &db8_1, &db8_fe, &m),
                     ICR__PARSE_BAD_CSUM);
    uint8_t p[sizeof(icmp6_echo_reply)];
    memcpy(p, icmp6_echo_reply, sizeof(p));
    p[21] ^= 0x04;
    assert_int_equal(icr__parse_icmp(p, sizeof(p), AF_INET6, &db8_1, &db8_2, &m),
                     ICR__PARSE_BAD_CSUM);
    /* ...and without addresses it is not checked (the kernel did). */
    assert_int_equal(icr__parse_icmp(p, sizeof(p), AF_INET6, NULL, NULL, &m), ICR__PARSE_OK);
    assert_int_equal(m.id, 0x7777);
    /* An ICMPv6 message is never read as ICMPv4 echo: type 129 is unknown
     * there and its checksum has no pseudo-header. */
    assert_int_equal(icr__parse_icmp(icmp6_echo_reply, 7, AF_INET6, NULL, NULL, &m),
                     ICR__PARSE_TRUNC_ICMP);
}

static void test_parse_icmp6_unreach(void **state)
{
    (void)state;
    struct icr__icmp_msg m;
    assert_int_equal(icr__parse_icmp(icmp6_unreach, sizeof(icmp6_unreach), AF_INET6, &db8_fe,
                                     &db8_2, &m),
                     ICR__PARSE_OK);
    assert_int_equal(m.type, ICR__ICMP6_UNREACH);
    assert_int_equal(m.code, 3);
    assert_true(m.is_error);
    assert_false(m.is_echo);
    assert_true(m.has_quote);
    assert_addr6(&m.quote_src, 0, 2);
    assert_addr6(&m.quote_dst, 0xffff, 9);
    assert_int_equal(m.quote_proto, IPPROTO_ICMPV6);
    assert_int_equal(m.quote_ttl, 61);
    assert_int_equal(m.quote_ip_id, 0);
    assert_true(m.quote_is_echo);
    assert_int_equal(m.quote_id, 0x5150);
    assert_int_equal(m.quote_seq, 0x33);
    assert_int_equal(m.quote_data_len, 4);
    assert_memory_equal(m.quote_data, "XYZW", 4);
    assert_int_equal(m.mtu, 0);
    assert_int_equal(icr__parse_icmp(icmp6_unreach, sizeof(icmp6_unreach), AF_INET6, &db8_fd,
                                     &db8_2, &m),
                     ICR__PARSE_BAD_CSUM);
}

static void test_parse_icmp6_time_exceeded_ext(void **state)
{
    (void)state;
    struct icr__icmp_msg m;
    assert_int_equal(icr__parse_icmp(icmp6_time_exceeded, sizeof(icmp6_time_exceeded), AF_INET6,
                                     &db8_fd, &db8_2, &m),
                     ICR__PARSE_OK);
    assert_int_equal(m.type, ICR__ICMP6_TIME_EXCEEDED);
    assert_true(m.is_error);
    assert_int_equal(m.quote_ttl, 1);
    /* Through Hop-by-Hop (8 bytes) and Destination Options (16). */
    assert_int_equal(m.quote_proto, IPPROTO_ICMPV6);
    assert_true(m.quote_is_echo);
    assert_int_equal(m.quote_id, 0x5151);
    assert_int_equal(m.quote_seq, 0x34);
    assert_int_equal(m.quote_data_len, 0);
    assert_ptr_equal(m.quote_data, icmp6_time_exceeded + sizeof(icmp6_time_exceeded));

    /* Cut anywhere before the end of the quoted ICMP header: TRUNC_QUOTE
     * (inside the IPv6 header, the extension headers, the echo header). */
    for (size_t len = 8; len < sizeof(icmp6_time_exceeded); len++) {
        assert_int_equal(parse_exact(icmp6_time_exceeded, len, false, AF_INET6, NULL, NULL, &m),
                         ICR__PARSE_TRUNC_QUOTE);
    }
    /* Not IPv6 inside: BAD_QUOTE. */
    uint8_t p[sizeof(icmp6_time_exceeded)];
    memcpy(p, icmp6_time_exceeded, sizeof(p));
    p[8] = 0x45;
    assert_int_equal(icr__parse_icmp(p, sizeof(p), AF_INET6, NULL, NULL, &m), ICR__PARSE_BAD_QUOTE);
    /* A quoted UDP packet: quote without echo. */
    memcpy(p, icmp6_time_exceeded, sizeof(p));
    p[8 + 40 + 8] = IPPROTO_UDP; /* Destination Options' next header */
    assert_int_equal(icr__parse_icmp(p, sizeof(p), AF_INET6, NULL, NULL, &m), ICR__PARSE_OK);
    assert_true(m.has_quote);
    assert_int_equal(m.quote_proto, IPPROTO_UDP);
    assert_false(m.quote_is_echo);
}

static void test_parse_icmp6_too_big(void **state)
{
    (void)state;
    struct icr__icmp_msg m;
    assert_int_equal(icr__parse_icmp(icmp6_too_big, sizeof(icmp6_too_big), AF_INET6, &db8_fc,
                                     &db8_2, &m),
                     ICR__PARSE_OK);
    assert_int_equal(m.type, ICR__ICMP6_PACKET_TOO_BIG);
    assert_true(m.is_error);
    assert_int_equal(m.mtu, 1280);
    assert_int_equal(m.quote_ttl, 64);
    assert_int_equal(m.quote_proto, IPPROTO_ICMPV6);
    assert_true(m.quote_is_echo);
    assert_int_equal(m.quote_id, 0x5152);
    assert_int_equal(m.quote_seq, 0x35);
    assert_int_equal(m.quote_data_len, 40);
    assert_int_equal(m.quote_data[39], 39);

    /* A large MTU uses all four bytes. */
    uint8_t p[sizeof(icmp6_too_big)];
    memcpy(p, icmp6_too_big, sizeof(p));
    p[4] = 0x00;
    p[5] = 0x01;
    p[6] = 0x00;
    p[7] = 0x02;
    assert_int_equal(icr__parse_icmp(p, sizeof(p), AF_INET6, NULL, NULL, &m), ICR__PARSE_OK);
    assert_int_equal(m.mtu, 0x00010002);
    /* A non-first fragment has no ICMPv6 header to read. */
    p[8 + 40 + 3] = 0xb9; /* offset 23 (x8), M flag */
    assert_int_equal(icr__parse_icmp(p, sizeof(p), AF_INET6, NULL, NULL, &m), ICR__PARSE_OK);
    assert_true(m.has_quote);
    assert_int_equal(m.quote_proto, 44);
    assert_false(m.quote_is_echo);
}

static void test_parse_icmp6_other_types(void **state)
{
    (void)state;
    struct icr__icmp_msg m;
    /* Neighbour Solicitation (135): informational, just type and code. */
    uint8_t ns[24] = {135, 0, 0, 0, 0, 0, 0, 0, 0x20, 0x01, 0x0d, 0xb8, [23] = 1};
    assert_int_equal(icr__parse_icmp(ns, sizeof(ns), AF_INET6, NULL, NULL, &m), ICR__PARSE_OK);
    assert_int_equal(m.type, 135);
    assert_false(m.is_echo);
    assert_false(m.is_error);
    assert_false(m.has_quote);
    /* Parameter Problem quotes; an ICMPv4 type number means nothing here. */
    uint8_t p[sizeof(icmp6_unreach)];
    memcpy(p, icmp6_unreach, sizeof(p));
    p[0] = ICR__ICMP6_PARAM_PROBLEM;
    p[7] = 6;
    assert_int_equal(icr__parse_icmp(p, sizeof(p), AF_INET6, NULL, NULL, &m), ICR__PARSE_OK);
    assert_true(m.is_error);
    assert_true(m.quote_is_echo);
    assert_int_equal(m.quote_id, 0x5150);
    p[0] = ICR__ICMP4_ECHO_REPLY;
    assert_int_equal(icr__parse_icmp(p, sizeof(p), AF_INET6, NULL, NULL, &m), ICR__PARSE_OK);
    assert_false(m.is_echo);
    assert_false(m.is_error);
    /* An IPv6 error quoting an ICMPv4 Echo Request is not our echo. */
    memcpy(p, icmp6_unreach, sizeof(p));
    p[48] = ICR__ICMP4_ECHO_REQUEST;
    assert_int_equal(icr__parse_icmp(p, sizeof(p), AF_INET6, NULL, NULL, &m), ICR__PARSE_OK);
    assert_false(m.quote_is_echo);
}

/* ---- every prefix, every golden packet ----------------------------------- */

static void test_prefixes(void **state)
{
    (void)state;
    static const struct {
        const uint8_t *p;
        size_t len;
        bool ip;
        int family;
        const struct in6_addr *src, *dst;
    } g[] = {
        {ip4_echo_reply, sizeof(ip4_echo_reply), true, AF_INET, NULL, NULL},
        {ip4_echo_reply_opts, sizeof(ip4_echo_reply_opts), true, AF_INET, NULL, NULL},
        {ip4_unreach_host, sizeof(ip4_unreach_host), true, AF_INET, NULL, NULL},
        {echo_req_iputils, sizeof(echo_req_iputils), false, AF_INET, NULL, NULL},
        {icmp4_time_exceeded, sizeof(icmp4_time_exceeded), false, AF_INET, NULL, NULL},
        {icmp4_frag_needed, sizeof(icmp4_frag_needed), false, AF_INET, NULL, NULL},
        {icmp4_timestamp, sizeof(icmp4_timestamp), false, AF_INET, NULL, NULL},
        {icmp6_echo_reply, sizeof(icmp6_echo_reply), false, AF_INET6, &db8_1, &db8_2},
        {icmp6_unreach, sizeof(icmp6_unreach), false, AF_INET6, &db8_fe, &db8_2},
        {icmp6_time_exceeded, sizeof(icmp6_time_exceeded), false, AF_INET6, &db8_fd, &db8_2},
        {icmp6_too_big, sizeof(icmp6_too_big), false, AF_INET6, &db8_fc, &db8_2},
    };
    for (size_t i = 0; i < sizeof(g) / sizeof(g[0]); i++) {
        struct icr__icmp_msg m;
        for (size_t len = 0; len <= g[i].len; len++) {
            int r = parse_exact(g[i].p, len, g[i].ip, g[i].family, g[i].src, g[i].dst, &m);
            /* Bare ICMPv4 has no length anywhere the checksum covers:
             * cutting off trailing zero bytes leaves a valid message. */
            bool zero_tail = !g[i].ip && g[i].family == AF_INET;
            for (size_t k = len; zero_tail && k < g[i].len; k++)
                zero_tail = g[i].p[k] == 0;
            if (len == g[i].len || (zero_tail && len >= 8)) {
                assert_int_equal(r, ICR__PARSE_OK);
            } else {
                /* Checksummed: a cut message must fail, never crash. */
                assert_int_not_equal(r, ICR__PARSE_OK);
                assert_true(r > ICR__PARSE_OK && r <= ICR__PARSE_BAD_QUOTE);
            }
            /* Unchecked ICMPv6 (raw socket): a prefix may parse, with
             * everything inside the prefix (checked by parse_exact). */
            if (g[i].family == AF_INET6) {
                r = parse_exact(g[i].p, len, false, AF_INET6, NULL, NULL, &m);
                assert_true(r >= ICR__PARSE_OK && r <= ICR__PARSE_BAD_QUOTE);
                if (len < 8)
                    assert_int_equal(r, ICR__PARSE_TRUNC_ICMP);
            }
        }
    }
}

/* Random bytes behind a valid checksum: whatever the parser decides, it
 * stays inside the buffer (ASan) and answers with a known status. */
static void test_fuzz(void **state)
{
    (void)state;
    uint32_t st = 0xfeedface;
    uint8_t p[200];
    struct icr__icmp_msg m;
    static const uint8_t types4[] = {0, 3, 4, 5, 8, 11, 12, 13};
    static const uint8_t types6[] = {1, 2, 3, 4, 128, 129, 135};
    for (int round = 0; round < 20000; round++) {
        size_t len = rnd(&st) % sizeof(p);
        for (size_t i = 0; i < len; i++)
            p[i] = (uint8_t)rnd(&st);
        bool v6 = round & 1;
        if (len > 8) {
            p[0] = v6 ? types6[rnd(&st) % sizeof(types6)] : types4[rnd(&st) % sizeof(types4)];
            /* Mostly plausible quotes, so the deep paths run. */
            if (rnd(&st) & 1)
                p[8] = v6 ? 0x60 : (uint8_t)(0x45 + rnd(&st) % 4);
            if (len > 8 + 9 && !v6 && (rnd(&st) & 1))
                p[8 + 9] = IPPROTO_ICMP;
            if (len > 8 + 6 && v6) {
                static const uint8_t nhs[] = {0, 43, 44, 51, 58, 60};
                p[8 + 6] = nhs[rnd(&st) % sizeof(nhs)];
            }
        }
        if (len >= 8 && !v6)
            fix_csum4(p, len);
        int r = parse_exact(p, len, false, v6 ? AF_INET6 : AF_INET, NULL, NULL, &m);
        assert_true(r >= ICR__PARSE_OK && r <= ICR__PARSE_BAD_QUOTE);
        if (len >= 8 && !v6)
            assert_int_not_equal(r, ICR__PARSE_BAD_CSUM);
    }
}

static void test_strerror(void **state)
{
    (void)state;
    const char *seen[7];
    for (int s = ICR__PARSE_OK; s <= ICR__PARSE_BAD_QUOTE; s++) {
        seen[s] = icr__parse_strerror(s);
        assert_non_null(seen[s]);
        assert_true(strlen(seen[s]) > 5);
        assert_null(strchr(seen[s], '\n'));
        for (int t = 0; t < s; t++)
            assert_string_not_equal(seen[s], seen[t]);
    }
    assert_non_null(icr__parse_strerror(-1));
    assert_non_null(icr__parse_strerror(1000));
    assert_non_null(strstr(icr__parse_strerror(ICR__PARSE_BAD_CSUM), "checksum"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_echo_init_iputils),
        cmocka_unit_test(test_echo_init_errors),
        cmocka_unit_test(test_stamp_random),
        cmocka_unit_test(test_stamp_v6),
        cmocka_unit_test(test_payload_fill),
        cmocka_unit_test(test_parse_ip4_echo_reply),
        cmocka_unit_test(test_parse_ip4_options),
        cmocka_unit_test(test_parse_ip4_bad),
        cmocka_unit_test(test_parse_ip4_unreach_opts_quote),
        cmocka_unit_test(test_parse_time_exceeded_bare),
        cmocka_unit_test(test_parse_frag_needed),
        cmocka_unit_test(test_parse_trunc_quote4),
        cmocka_unit_test(test_parse_bad_quote4),
        cmocka_unit_test(test_parse_quote_not_echo),
        cmocka_unit_test(test_parse_other_types4),
        cmocka_unit_test(test_parse_rfc4884),
        cmocka_unit_test(test_parse_icmp6_echo_reply),
        cmocka_unit_test(test_parse_icmp6_unreach),
        cmocka_unit_test(test_parse_icmp6_time_exceeded_ext),
        cmocka_unit_test(test_parse_icmp6_too_big),
        cmocka_unit_test(test_parse_icmp6_other_types),
        cmocka_unit_test(test_prefixes),
        cmocka_unit_test(test_fuzz),
        cmocka_unit_test(test_strerror),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
