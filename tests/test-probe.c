/* test-probe.c - unit tests of the engine's probe format (src/probe.c).
 * Expected values are built here, independently: a byte-wise reference
 * checksum (ref-csum.h), packets and hash inputs laid out by hand, and the
 * SipHash module (itself checked against the reference vectors in
 * test-siphash.c) called on those inputs. */
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

#define MAXP 1400

static struct icr__sipkey key(void) {
    struct icr__sipkey k;
    icr__sipkey_load(&k, key_bytes);
    return k;
}

static uint16_t be16(const uint8_t *p) {
    return (uint16_t)(p[0] << 8 | p[1]);
}

static void wr16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static struct icr_addr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
    struct icr_addr x = {.family = AF_INET};
    const uint8_t q[4] = {a, b, c, d};
    memcpy(&x.v4, q, 4);
    return x;
}

static struct icr_addr v6(const uint8_t a16[16]) {
    struct icr_addr x = {.family = AF_INET6};
    memcpy(&x.v6, a16, 16);
    return x;
}

static const uint8_t v6_a[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9};

/* The 16 bytes probe.h hashes for an address, written out by hand. */
static void mapped(const struct icr_addr *a, uint8_t m[16]) {
    if (a->family == AF_INET) {
        const uint8_t pre[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        memcpy(m, pre, 12);
        memcpy(m + 12, &a->v4, 4);
    } else {
        memcpy(m, &a->v6, 16);
    }
}

/* h as probe.h defines it: destination || probe (be32) || hop. */
static uint64_t expected_h(const struct icr_addr *a, uint32_t probe, uint8_t hop) {
    struct icr__sipkey k = key();
    uint8_t m[21];
    mapped(a, m);
    m[16] = (uint8_t)(probe >> 24);
    m[17] = (uint8_t)(probe >> 16);
    m[18] = (uint8_t)(probe >> 8);
    m[19] = (uint8_t)probe;
    m[20] = hop;
    return icr__siphash24_k(&k, m, sizeof(m));
}

static uint64_t expected_mac(uint64_t h, uint64_t index, uint64_t sent) {
    struct icr__sipkey k = key();
    uint8_t m[16];
    uint64_t a = h ^ index;
    for (int i = 0; i < 8; i++) {
        m[i] = (uint8_t)(a >> (8 * i)); /* little-endian, as SipHash reads words */
        m[8 + i] = (uint8_t)(sent >> (8 * i));
    }
    return icr__siphash24_k(&k, m, sizeof(m));
}

/* The Paris constant as probe.c documents it: SipHash of destination ||
 * "ic2paris", mod 0xfffe, plus 1. */
static uint16_t expected_paris(const struct icr_addr *a) {
    struct icr__sipkey k = key();
    uint8_t m[24];
    mapped(a, m);
    memcpy(m + 16, "ic2paris", 8);
    return (uint16_t)(icr__siphash24_k(&k, m, sizeof(m)) % 0xfffe + 1);
}

/* One's-complement sum (not complemented) of big-endian words. */
static uint16_t ref_sum(const uint8_t *p, size_t len) {
    return (uint16_t)~ref_csum(p, len);
}

/* A template of payload_size and one probe stamped into p. */
static uint16_t stamp(uint8_t *p, size_t payload_size, int family, const struct icr_addr *dst,
                      uint64_t index, uint32_t probe, uint8_t hop, bool ttl_in_tag,
                      uint64_t sent) {
    static uint8_t t[8 + MAXP];
    struct icr__sipkey k = key();
    uint32_t sum = icr__probe_template(t, sizeof(t), payload_size);
    memcpy(p, t, 8 + payload_size);
    return icr__probe_stamp(p, family, sum, &k, dst, index, probe, hop, ttl_in_tag, sent);
}

static void test_template(void **state) {
    (void)state;
    const size_t sizes[] = {34, 35, 56, 1400};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        size_t n = sizes[i];
        uint8_t t[8 + MAXP], fill[MAXP];
        uint32_t sum = icr__probe_template(t, sizeof(t), n);
        const uint8_t hdr[8] = {8, 0, 0, 0, 0, 0, 0, 0};
        assert_memory_equal(t, hdr, 8);
        for (int j = 0; j < 29; j++)
            assert_int_equal(t[8 + j], 0);
        assert_memory_equal(t + 8 + 29, "ic2", 3);
        assert_int_equal(t[8 + 32] | t[8 + 33], 0);
        icr__payload_fill(fill, n, 0);
        assert_memory_equal(t + 8 + 34, fill + 34, n - 34); /* the filler */
        assert_int_equal(ntohs(icr__csum_fold(sum)), ref_csum(t, 8 + n));
    }
}

/* The stamped bytes against a packet written out by hand; the Paris word
 * (bytes 32..33 of the payload) by the sum it must make. */
static void check_bytes(int family, bool ttl_in_tag) {
    const struct icr_addr dst = family == AF_INET ? v4(198, 18, 0, 1) : v6(v6_a);
    const uint64_t sent = 0x0102030405060708ull, index = 0x1112131415161718ull;
    const uint32_t probe = 0x21222324u;
    const uint8_t hop = 0x31;
    uint8_t p[8 + 56];
    uint16_t ip_id = stamp(p, 56, family, &dst, index, probe, hop, ttl_in_tag, sent);

    uint64_t h = expected_h(&dst, probe, hop);
    uint64_t mac = expected_mac(h, index, sent);
    uint16_t paris = expected_paris(&dst);
    uint16_t tag = ttl_in_tag ? 0x2431 : 0x2324;
    uint16_t cs = family == AF_INET ? (uint16_t)~paris : 0;
    uint8_t want[8 + 34] = {
        family == AF_INET ? 8 : 128, 0, (uint8_t)(cs >> 8), (uint8_t)cs,
        (uint8_t)(h >> 8), (uint8_t)h, (uint8_t)(tag >> 8), (uint8_t)tag,
        /* payload */
        0, 0, 0, 0, 0, 0, 0, 0,                         /* MAC, below */
        1, 2, 3, 4, 5, 6, 7, 8,                         /* sent_ns */
        0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, /* index */
        0x21, 0x22, 0x23, 0x24,                         /* probe */
        0x31, 'i', 'c', '2',                            /* hop, magic */
        0, 0,                                           /* Paris word, below */
    };
    for (int i = 0; i < 8; i++)
        want[8 + i] = (uint8_t)(mac >> (56 - 8 * i));
    want[8 + 32] = p[8 + 32];
    want[8 + 33] = p[8 + 33];
    assert_memory_equal(p, want, sizeof(want));
    assert_int_equal(ip_id, (uint16_t)(h >> 16));

    uint8_t fill[56];
    icr__payload_fill(fill, sizeof(fill), 0);
    assert_memory_equal(p + 8 + 34, fill + 34, 56 - 34); /* the filler is untouched */

    /* The Paris word: the message with its checksum field at 0 sums to
     * the destination's constant, so an IPv4 checksum verifies. */
    uint8_t z[sizeof(p)];
    memcpy(z, p, sizeof(p));
    z[2] = z[3] = 0;
    assert_int_equal(ref_sum(z, sizeof(z)), paris);
    if (family == AF_INET)
        assert_int_equal(ref_csum(p, sizeof(p)), 0);
}

static void test_stamp_bytes_v4(void **state) {
    (void)state;
    check_bytes(AF_INET, true);
    check_bytes(AF_INET, false);
}

static void test_stamp_bytes_v6(void **state) {
    (void)state;
    check_bytes(AF_INET6, true);
    check_bytes(AF_INET6, false);
}

static void test_paris_sum(void **state) {
    (void)state;
    struct icr__sipkey k = key();
    struct icr_addr a = v4(198, 18, 0, 1), b = v6(v6_a);
    assert_int_equal(icr__probe_paris_sum(&k, &a), expected_paris(&a));
    assert_int_equal(icr__probe_paris_sum(&k, &b), expected_paris(&b));
    /* Never +0 or -0, over many destinations. */
    for (uint32_t i = 0; i < 200000; i++) {
        struct icr_addr d = v4(10, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i);
        uint16_t s = icr__probe_paris_sum(&k, &d);
        assert_true(s != 0 && s != 0xffff);
    }
}

static void test_check_roundtrip(void **state) {
    (void)state;
    struct icr__sipkey k = key();
    for (int fam = 0; fam < 2; fam++) {
        int family = fam ? AF_INET6 : AF_INET;
        struct icr_addr dst = fam ? v6(v6_a) : v4(198, 18, 3, 4);
        for (int ci = 0; ci < 2; ci++) {
            for (int tt = 0; tt < 2; tt++) {
                uint8_t p[8 + 64];
                uint32_t probe = 70000u + (uint32_t)(ci * 2 + tt);
                uint8_t hop = (uint8_t)(5 + ci + tt);
                stamp(p, 64, family, &dst, 1234, probe, hop, tt, 555000111222ull);
                uint16_t id = be16(p + 4), seq = be16(p + 6);
                /* A datagram socket's kernel rewrites the id (check_id false). */
                uint16_t got_id = ci ? id : (uint16_t)(id ^ 0x5555);
                struct icr__probe_info info = {0};
                assert_int_equal(icr__probe_check(&k, &dst, got_id, seq, ci, tt, p + 8, 64, &info),
                                 ICR__PROBE_VALID);
                assert_true(info.index == 1234);
                assert_int_equal(info.probe, probe);
                assert_int_equal(info.hop, hop);
                assert_true(info.sent_ns == 555000111222ll);
                /* The other tag mode reads another tag from the same seq. */
                assert_int_equal(icr__probe_check(&k, &dst, got_id, seq, ci, !tt, p + 8, 64, &info),
                                 ICR__PROBE_INVALID);
                if (ci) /* a wrong id is caught when it is ours */
                    assert_int_equal(icr__probe_check(&k, &dst, id ^ 1, seq, true, tt, p + 8, 64,
                                                      &info),
                                     ICR__PROBE_INVALID);
            }
        }
    }
}

/* An RFC 792 quote: the IP header and the first 8 ICMP bytes only. */
static void test_check_short(void **state) {
    (void)state;
    struct icr__sipkey k = key();
    struct icr_addr dst = v4(192, 0, 2, 77);
    for (int tt = 0; tt < 2; tt++) {
        uint8_t p[8 + 40];
        uint32_t probe = tt ? 300 : 70000;
        uint32_t latest = tt ? 400 : 70005;
        uint8_t hop = 9;
        uint16_t ip_id = stamp(p, 40, AF_INET, &dst, 42, probe, hop, tt, 1);
        uint16_t id = be16(p + 4), seq = be16(p + 6);
        for (int ci = 0; ci < 2; ci++) {
            for (int hi = 0; hi < 2; hi++) {
                struct icr__probe_info info = {0};
                /* Without ttl_in_tag the caller gives the hop (one per
                 * job); with it the hop comes from the tag, and the
                 * argument is ignored. */
                uint8_t arg_hop = tt ? 200 : hop;
                assert_int_equal(icr__probe_check_short(&k, &dst, id, seq, ci, hi, ip_id, tt,
                                                        arg_hop, latest, &info),
                                 ICR__PROBE_VALID);
                assert_int_equal(info.probe, probe);
                assert_int_equal(info.hop, hop);
                assert_true(info.index == UINT64_MAX);
                assert_true(info.sent_ns == -1);
                if (!ci && !hi)
                    continue; /* no MAC bits: nothing to refuse */
                /* A wrong hop argument makes another h. */
                if (!tt)
                    assert_int_equal(icr__probe_check_short(&k, &dst, id, seq, ci, hi, ip_id,
                                                            tt, (uint8_t)(hop + 1), latest,
                                                            &info),
                                     ICR__PROBE_INVALID);
                /* latest one round of the tag bits on: another probe. */
                assert_int_equal(icr__probe_check_short(&k, &dst, id, seq, ci, hi, ip_id, tt, hop,
                                                        latest + (tt ? 256 : 65536), &info),
                                 ICR__PROBE_INVALID);
                /* The tag's probe not sent yet. */
                assert_int_equal(icr__probe_check_short(&k, &dst, id, seq, ci, hi, ip_id, tt, hop,
                                                        probe & (tt ? 0xffu : 0xffffu) ? 0 : 1,
                                                        &info),
                                 ICR__PROBE_INVALID);
            }
        }
        /* No id and no IPv4 id: VALID for any recoverable tag (documented). */
        struct icr__probe_info info = {0};
        assert_int_equal(icr__probe_check_short(&k, &dst, 0, (uint16_t)(seq ^ 0x0100), false,
                                                false, 0, tt, hop, latest, &info),
                         ICR__PROBE_VALID);
        assert_int_equal(info.probe, tt ? probe ^ 1 : probe ^ 0x100);
    }
}

/* A Time Exceeded as a router sends it, quoting the probe's IPv4 header and
 * `quote_len` bytes of its ICMP message, parsed by packet.c. */
static size_t time_exceeded(uint8_t *buf, const struct icr_addr *dst, uint16_t ip_id,
                            const uint8_t *icmp, size_t icmp_len, size_t quote_len) {
    size_t tot = 20 + 8 + 20 + quote_len;
    const uint8_t outer[20] = {0x45, 0, (uint8_t)(tot >> 8), (uint8_t)tot, 0x12, 0x34, 0, 0,
                               64, 1, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2};
    memcpy(buf, outer, 20);
    wr16(buf + 10, ref_csum(buf, 20));
    uint8_t *icmp_out = buf + 20;
    const uint8_t te[8] = {11, 0, 0, 0, 0, 0, 0, 0};
    memcpy(icmp_out, te, 8);
    uint8_t *q = icmp_out + 8;
    size_t qtot = 20 + icmp_len;
    const uint8_t inner[20] = {0x45, 0, (uint8_t)(qtot >> 8), (uint8_t)qtot,
                               (uint8_t)(ip_id >> 8), (uint8_t)ip_id, 0x40, 0,
                               1, 1, 0, 0, 10, 0, 0, 2, 0, 0, 0, 0};
    memcpy(q, inner, 20);
    memcpy(q + 16, &dst->v4, 4);
    wr16(q + 10, ref_csum(q, 20));
    memcpy(q + 20, icmp, quote_len);
    wr16(icmp_out + 2, ref_csum(icmp_out, tot - 20));
    return tot;
}

static void test_quotes(void **state) {
    (void)state;
    struct icr__sipkey k = key();
    struct icr_addr dst = v4(203, 0, 113, 5);
    for (int tt = 0; tt < 2; tt++) {
        uint8_t p[8 + 48], buf[20 + 8 + 20 + 8 + 48];
        uint32_t probe = 1000 + (uint32_t)tt;
        uint8_t hop = 3;
        uint16_t ip_id = stamp(p, 48, AF_INET, &dst, 77, probe, hop, tt, 99);

        /* 8 bytes quoted: probe and hop from the tag, proof from the ids. */
        size_t n = time_exceeded(buf, &dst, ip_id, p, sizeof(p), 8);
        struct icr__icmp_msg m;
        assert_int_equal(icr__parse_ipv4(buf, n, &m), ICR__PARSE_OK);
        assert_true(m.is_error && m.has_quote && m.quote_is_echo);
        assert_int_equal(m.quote_ip_id, ip_id);
        assert_int_equal(m.quote_data_len, 0);
        struct icr__probe_info info = {0};
        /* From the quoted IPv4 id alone (a datagram socket's id is the
         * kernel's), and from both. */
        assert_int_equal(icr__probe_check_short(&k, &dst, m.quote_id, m.quote_seq, false, true,
                                                m.quote_ip_id, tt, hop, 1005, &info),
                         ICR__PROBE_VALID);
        assert_int_equal(info.probe, probe);
        assert_int_equal(info.hop, hop);
        assert_int_equal(icr__probe_check_short(&k, &dst, m.quote_id, m.quote_seq, true, true,
                                                m.quote_ip_id, tt, hop, 1005, &info),
                         ICR__PROBE_VALID);
        assert_int_equal(icr__probe_check_short(&k, &dst, m.quote_id, m.quote_seq, false, true,
                                                (uint16_t)(m.quote_ip_id ^ 0x8000), tt, hop, 1005,
                                                &info),
                         ICR__PROBE_INVALID);

        /* The whole probe quoted: the payload check, as for an echo. */
        n = time_exceeded(buf, &dst, ip_id, p, sizeof(p), sizeof(p));
        assert_int_equal(icr__parse_ipv4(buf, n, &m), ICR__PARSE_OK);
        assert_int_equal(m.quote_data_len, 48);
        memset(&info, 0, sizeof(info));
        assert_int_equal(icr__probe_check(&k, &dst, m.quote_id, m.quote_seq, true, tt,
                                          m.quote_data, m.quote_data_len, &info),
                         ICR__PROBE_VALID);
        assert_true(info.index == 77 && info.sent_ns == 99);
        assert_int_equal(info.probe, probe);
        assert_int_equal(info.hop, hop);
    }
}

static void test_untag(void **state) {
    (void)state;
    uint32_t p = 0;
    uint8_t hop = 0xaa;
    /* 16 tag bits. */
    assert_true(icr__probe_untag(0x2345, false, 0x12345, &p, &hop));
    assert_int_equal(p, 0x12345);
    assert_int_equal(hop, 0xaa); /* left alone without ttl_in_tag */
    assert_true(icr__probe_untag(0x2346, false, 0x12345, &p, &hop));
    assert_int_equal(p, 0x02346); /* one wrap back */
    assert_true(icr__probe_untag(0xffff, false, 0x10000, &p, &hop));
    assert_int_equal(p, 0xffff);
    assert_true(icr__probe_untag(0x0000, false, 0x1ffff, &p, &hop));
    assert_int_equal(p, 0x10000);
    assert_true(icr__probe_untag(0x0000, false, UINT32_MAX, &p, &hop));
    assert_int_equal(p, 0xffff0000u);
    assert_true(icr__probe_untag(0xffff, false, UINT32_MAX, &p, &hop));
    assert_int_equal(p, UINT32_MAX);
    p = 777;
    assert_false(icr__probe_untag(6, false, 5, &p, &hop)); /* above latest */
    assert_false(icr__probe_untag(0xffff, false, 0xfffe, &p, &hop));
    assert_true(icr__probe_untag(0, false, 0, &p, &hop));
    assert_int_equal(p, 0);
    assert_false(icr__probe_untag(1, false, 0, &p, &hop));
    /* 8 probe bits and the hop. */
    assert_true(icr__probe_untag(0x0511, true, 0x105, &p, &hop));
    assert_int_equal(p, 0x105);
    assert_int_equal(hop, 0x11);
    assert_true(icr__probe_untag(0x0512, true, 0x104, &p, &hop));
    assert_int_equal(p, 0x005);
    assert_int_equal(hop, 0x12);
    assert_true(icr__probe_untag(0xff01, true, 0x100, &p, &hop));
    assert_int_equal(p, 0xff);
    assert_true(icr__probe_untag(0x00ff, true, 0x1ff, &p, &hop));
    assert_int_equal(p, 0x100);
    assert_int_equal(hop, 0xff);
    assert_false(icr__probe_untag(0x0501, true, 4, &p, &hop));
    assert_true(icr__probe_untag(0x0003, true, 0, &p, &hop));
    assert_int_equal(p, 0);
    assert_int_equal(hop, 3);
    assert_false(icr__probe_untag(0x0103, true, 0, &p, &hop));
    /* Round trip: every probe in the window below latest comes back. */
    const uint32_t latests[] = {255, 256, 65535, 65536, 70000, 0x12345678u, UINT32_MAX};
    for (size_t i = 0; i < sizeof(latests) / sizeof(latests[0]); i++) {
        for (int tt = 0; tt < 2; tt++) {
            uint32_t window = tt ? 256 : 65536;
            for (uint32_t back = 0; back < window && back <= latests[i]; back += tt ? 1 : 97) {
                uint32_t want = latests[i] - back;
                uint8_t h = (uint8_t)(want * 7);
                uint16_t tag = icr__probe_tag(want, h, tt);
                assert_true(icr__probe_untag(tag, tt, latests[i], &p, &hop));
                assert_int_equal(p, want);
                if (tt)
                    assert_int_equal(hop, h);
            }
        }
    }
}

/* A forgery or corruption of any one bit is refused, never read as another
 * probe. */
static void test_bitflips(void **state) {
    (void)state;
    struct icr__sipkey k = key(), other;
    uint8_t other_bytes[16];
    memcpy(other_bytes, key_bytes, 16);
    other_bytes[15] ^= 0x80;
    icr__sipkey_load(&other, other_bytes);
    struct icr_addr dst = v4(198, 18, 3, 4), wrong = v4(198, 18, 3, 5);
    struct icr_addr dst6 = v6(v6_a), wrong6 = dst6;
    wrong6.v6.s6_addr[15] ^= 1;
    for (int tt = 0; tt < 2; tt++) {
        uint8_t p[8 + 56];
        const uint32_t probe = 513, latest = 600;
        const uint8_t hop = 17;
        uint16_t ip_id = stamp(p, 56, AF_INET, &dst, 1234, probe, hop, tt, 555);
        uint16_t id = be16(p + 4), seq = be16(p + 6);
        struct icr__probe_info info;
        assert_int_equal(icr__probe_check(&k, &dst, id, seq, true, tt, p + 8, 56, &info),
                         ICR__PROBE_VALID);

        /* Full check: id, seq, and the first 34 payload bytes. */
        for (int bit = 0; bit < 16; bit++) {
            uint16_t f = (uint16_t)(1u << bit);
            assert_int_equal(icr__probe_check(&k, &dst, id ^ f, seq, true, tt, p + 8, 56, &info),
                             ICR__PROBE_INVALID);
            assert_int_equal(icr__probe_check(&k, &dst, id, seq ^ f, true, tt, p + 8, 56, &info),
                             ICR__PROBE_INVALID);
            assert_int_equal(icr__probe_check(&k, &dst, id, seq ^ f, false, tt, p + 8, 56, &info),
                             ICR__PROBE_INVALID);
        }
        for (int byte = 0; byte < ICR__PROBE_HDR; byte++) {
            for (int bit = 0; bit < 8; bit++) {
                p[8 + byte] ^= (uint8_t)(1u << bit);
                for (int ci = 0; ci < 2; ci++) {
                    int r = icr__probe_check(&k, &dst, id, seq, ci, tt, p + 8, 56, &info);
                    assert_int_equal(r, byte >= 29 && byte < 32 ? ICR__PROBE_NO_HDR
                                                                : ICR__PROBE_INVALID);
                }
                p[8 + byte] ^= (uint8_t)(1u << bit);
            }
        }
        /* Short check: id, seq and IPv4 id, with each proof alone and both. */
        for (int ci = 0; ci < 2; ci++) {
            for (int hi = 0; hi < 2; hi++) {
                if (!ci && !hi)
                    continue;
                assert_int_equal(icr__probe_check_short(&k, &dst, id, seq, ci, hi, ip_id, tt, hop,
                                                        latest, &info),
                                 ICR__PROBE_VALID);
                for (int bit = 0; bit < 16; bit++) {
                    uint16_t f = (uint16_t)(1u << bit);
                    if (ci)
                        assert_int_equal(icr__probe_check_short(&k, &dst, id ^ f, seq, ci, hi,
                                                                ip_id, tt, hop, latest, &info),
                                         ICR__PROBE_INVALID);
                    if (hi)
                        assert_int_equal(icr__probe_check_short(&k, &dst, id, seq, ci, hi,
                                                                ip_id ^ f, tt, hop, latest,
                                                                &info),
                                         ICR__PROBE_INVALID);
                    assert_int_equal(icr__probe_check_short(&k, &dst, id, seq ^ f, ci, hi, ip_id,
                                                            tt, hop, latest, &info),
                                     ICR__PROBE_INVALID);
                }
                /* Wrong key, wrong destination. */
                assert_int_equal(icr__probe_check_short(&other, &dst, id, seq, ci, hi, ip_id, tt,
                                                        hop, latest, &info),
                                 ICR__PROBE_INVALID);
                assert_int_equal(icr__probe_check_short(&k, &wrong, id, seq, ci, hi, ip_id, tt,
                                                        hop, latest, &info),
                                 ICR__PROBE_INVALID);
            }
        }
        /* Wrong key, wrong destination, with and without the id. */
        for (int ci = 0; ci < 2; ci++) {
            assert_int_equal(icr__probe_check(&other, &dst, id, seq, ci, tt, p + 8, 56, &info),
                             ICR__PROBE_INVALID);
            assert_int_equal(icr__probe_check(&k, &wrong, id, seq, ci, tt, p + 8, 56, &info),
                             ICR__PROBE_INVALID);
        }
        /* Too short to hold the header: nothing to check. */
        assert_int_equal(icr__probe_check(&k, &dst, id, seq, true, tt, p + 8, ICR__PROBE_HDR - 1,
                                          &info),
                         ICR__PROBE_NO_HDR);
        /* The payload cut after the header: the Paris word's sum fails. */
        assert_int_equal(icr__probe_check(&k, &dst, id, seq, true, tt, p + 8, ICR__PROBE_HDR,
                                          &info),
                         ICR__PROBE_INVALID);

        /* IPv6: the same, wrong key and destination. */
        uint8_t q[8 + 56];
        stamp(q, 56, AF_INET6, &dst6, 1234, probe, hop, tt, 555);
        id = be16(q + 4);
        seq = be16(q + 6);
        assert_int_equal(icr__probe_check(&k, &dst6, id, seq, true, tt, q + 8, 56, &info),
                         ICR__PROBE_VALID);
        assert_int_equal(icr__probe_check(&other, &dst6, id, seq, true, tt, q + 8, 56, &info),
                         ICR__PROBE_INVALID);
        assert_int_equal(icr__probe_check(&k, &wrong6, id, seq, true, tt, q + 8, 56, &info),
                         ICR__PROBE_INVALID);
        /* An IPv4 destination reading an IPv6 probe: another h. */
        assert_int_equal(icr__probe_check(&k, &dst, id, seq, false, tt, q + 8, 56, &info),
                         ICR__PROBE_INVALID);
    }
}

/* Paris: every probe to one destination carries the same checksum. */
static void test_paris(void **state) {
    (void)state;
    const size_t sizes[] = {34, 35, 1400};
    struct in6_addr src6;
    const uint8_t s16[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    memcpy(&src6, s16, 16);
    for (size_t si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
        size_t n = sizes[si];
        struct icr_addr d4 = v4(198, 51, 100, 7), d6 = v6(v6_a);
        uint8_t p[8 + MAXP];
        int first = 1;
        uint16_t c4 = 0, c6 = 0;
        for (int tt = 0; tt < 2; tt++) {
            for (uint8_t ttl = 1; ttl <= 30; ttl++) {
                for (uint32_t probe = 0; probe < 10; probe++) {
                    uint64_t sent = 1700000000000000000ull + probe * 1000003ull + ttl * 7919ull;
                    uint64_t index = probe * 31u + ttl;
                    stamp(p, n, AF_INET, &d4, index, probe, ttl, tt, sent);
                    assert_int_equal(ref_csum(p, 8 + n), 0);
                    uint16_t f4 = be16(p + 2);
                    stamp(p, n, AF_INET6, &d6, index, probe, ttl, tt, sent);
                    assert_int_equal(be16(p + 2), 0);
                    uint16_t f6 = icr__icmp6_checksum(&src6, &d6.v6, p, 8 + n);
                    if (first) {
                        c4 = f4;
                        c6 = f6;
                        first = 0;
                    }
                    assert_int_equal(f4, c4);
                    assert_int_equal(f6, c6);
                }
            }
        }
        assert_int_equal(c4, (uint16_t)~expected_paris(&d4));
        /* The ICMPv6 checksum a receiver verifies: with the field set to
         * it, the message checks. */
        memcpy(p + 2, &c6, 2); /* icr__icmp6_checksum's result is in memory order */
        assert_int_equal(icr__icmp6_checksum(&src6, &d6.v6, p, 8 + n), 0);
    }
    /* Destinations differ in general: 64 of them, at most a few alike. */
    uint16_t seen[64];
    int distinct = 0;
    for (int i = 0; i < 64; i++) {
        struct icr_addr d = v4(198, 51, 100, (uint8_t)i);
        uint8_t p[8 + 40];
        stamp(p, 40, AF_INET, &d, 0, 0, 1, true, 0);
        uint16_t c = be16(p + 2);
        int dup = 0;
        for (int j = 0; j < distinct; j++)
            dup |= seen[j] == c;
        if (!dup)
            seen[distinct++] = c;
    }
    assert_true(distinct >= 62);
}

/* The smallest and a large payload, and many random ones: the O(1)
 * checksum agrees with a full one and the probe checks. */
static void test_sizes(void **state) {
    (void)state;
    struct icr__sipkey k = key();
    uint8_t p[8 + MAXP];
    const size_t sizes[] = {34, 1400};
    for (size_t i = 0; i < 2; i++) {
        for (int fam = 0; fam < 2; fam++) {
            struct icr_addr dst = fam ? v6(v6_a) : v4(198, 18, 9, 9);
            uint16_t ip_id = stamp(p, sizes[i], fam ? AF_INET6 : AF_INET, &dst, 3, 4, 5, true, 6);
            if (!fam)
                assert_int_equal(ref_csum(p, 8 + sizes[i]), 0);
            assert_int_equal(ip_id, (uint16_t)(expected_h(&dst, 4, 5) >> 16));
            struct icr__probe_info info = {0};
            assert_int_equal(icr__probe_check(&k, &dst, be16(p + 4), be16(p + 6), true, true,
                                              p + 8, sizes[i], &info),
                             ICR__PROBE_VALID);
            assert_true(info.index == 3 && info.probe == 4 && info.hop == 5 && info.sent_ns == 6);
        }
    }
    srand(7);
    for (int round = 0; round < 2000; round++) {
        size_t size = 34 + (size_t)(rand() % (MAXP - 34 + 1));
        struct icr_addr dst = v4((uint8_t)rand(), (uint8_t)rand(), (uint8_t)rand(),
                                 (uint8_t)rand());
        uint64_t index = (uint64_t)rand() << 20 ^ (uint64_t)rand();
        uint64_t sent = (uint64_t)rand() << 33 ^ (uint64_t)rand();
        uint32_t probe = (uint32_t)rand();
        uint8_t hop = (uint8_t)rand();
        bool tt = rand() & 1;
        stamp(p, size, AF_INET, &dst, index, probe, hop, tt, sent);
        assert_int_equal(ref_csum(p, 8 + size), 0);
        struct icr__probe_info info = {0};
        assert_int_equal(icr__probe_check(&k, &dst, be16(p + 4), be16(p + 6), true, tt, p + 8,
                                          size, &info),
                         ICR__PROBE_VALID);
        assert_true(info.index == index && info.probe == probe && info.hop == hop);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_template),
        cmocka_unit_test(test_stamp_bytes_v4),
        cmocka_unit_test(test_stamp_bytes_v6),
        cmocka_unit_test(test_paris_sum),
        cmocka_unit_test(test_check_roundtrip),
        cmocka_unit_test(test_check_short),
        cmocka_unit_test(test_quotes),
        cmocka_unit_test(test_untag),
        cmocka_unit_test(test_bitflips),
        cmocka_unit_test(test_paris),
        cmocka_unit_test(test_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
