/* probe.c - owns the engine's probe format (see probe.h): the template, the
 * per-probe stamp, the tag and its inverse, and the checks of what comes
 * back (an echo or full quote, and an RFC 792 8-byte quote).
 *
 * Checksum arithmetic follows checksum.c: every sum is taken over 16-bit
 * words loaded in memory order, so values written into the packet are
 * memcpy'd as they are.  icr__probe_paris_sum() is a number (the sum as
 * big-endian words read it); mem16() turns it into memory order. */
#include "probe.h"

#include <assert.h>
#include <string.h>

#include "packet.h"

static void put_be64(uint8_t *p, uint64_t v) {
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

static uint64_t get_be64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

static void put_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* The 16-bit word icr__csum_add loads from memory holding v big-endian. */
static uint16_t mem16(uint16_t v) {
    const uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    uint16_t r;
    memcpy(&r, b, sizeof(r));
    return r;
}

/* The destination as 16 bytes: IPv4 as its IPv4-mapped IPv6 form, so both
 * families hash one input shape. */
static void addr16(uint8_t m[16], const struct icr_addr *dst) {
    if (dst->family == AF_INET) {
        memset(m, 0, 10);
        m[10] = m[11] = 0xff;
        memcpy(m + 12, &dst->v4, 4);
    } else {
        memcpy(m, &dst->v6, 16);
    }
}

bool icr__probe_untag(uint16_t tag, bool ttl_in_tag, uint32_t latest, uint32_t *ret_probe,
                      uint8_t *ret_hop) {
    uint32_t mask = ttl_in_tag ? 0xffu : 0xffffu;
    uint32_t bits = ttl_in_tag ? (uint32_t)tag >> 8 : tag;
    uint32_t p = (latest & ~mask) | bits;
    if (p > latest) {
        /* The latest p with these bits is one round of the low bits back,
         * if there is one. */
        if ((latest & ~mask) == 0)
            return false;
        p -= mask + 1;
    }
    *ret_probe = p;
    if (ttl_in_tag)
        *ret_hop = (uint8_t)tag;
    return true;
}

/* h's and the Paris sum's inputs both start with the destination's 16
 * bytes: st holds SipHash's state after them, computed once per probe for
 * both (two compressions of the 32 rounds a probe costs). */
static uint64_t hash_from(const struct icr__sip16 *st, uint32_t probe, uint8_t hop) {
    uint8_t m[5];
    put_be32(m, probe);
    m[4] = hop;
    return icr__siphash24_from16(st, m, sizeof(m));
}

static uint16_t paris_from(const struct icr__sip16 *st) {
    /* SipHash of destination || "ic2paris": 24 bytes, a length no other
     * input of this key has (h: 21, the payload MAC: 16).  Mapped into
     * 1..0xfffe: never +0 or -0, so the folded sum can equal it exactly. */
    return (uint16_t)(icr__siphash24_from16(st, "ic2paris", 8) % 0xfffeu + 1);
}

static void dst_state(const struct icr__sipkey *k, const struct icr_addr *dst,
                      struct icr__sip16 *ret) {
    uint8_t m[16];
    addr16(m, dst);
    icr__siphash24_prefix16(k, m, ret);
}

uint64_t icr__probe_hash(const struct icr__sipkey *k, const struct icr_addr *dst, uint32_t probe,
                         uint8_t hop) {
    struct icr__sip16 st;
    dst_state(k, dst, &st);
    return hash_from(&st, probe, hop);
}

uint16_t icr__probe_paris_sum(const struct icr__sipkey *k, const struct icr_addr *dst) {
    struct icr__sip16 st;
    dst_state(k, dst, &st);
    return paris_from(&st);
}

static uint64_t payload_mac(const struct icr__sipkey *k, uint64_t h, uint64_t index, uint64_t t) {
    return icr__siphash24_2u64(k, h ^ index, t);
}

uint32_t icr__probe_template(uint8_t *tmpl, size_t tmpl_len, size_t payload_size) {
    uint32_t sum;
    assert(payload_size >= ICR__PROBE_HDR && tmpl_len >= ICR__ICMP_HDR_LEN + payload_size);
    int r = icr__echo_init(tmpl, tmpl_len, AF_INET, NULL, payload_size, &sum);
    assert(r >= 0);
    (void)r;
    uint8_t *pl = tmpl + ICR__ICMP_HDR_LEN;
    memset(pl, 0, ICR__PROBE_HDR);
    pl[29] = (uint8_t)(ICR__PROBE_MAGIC >> 16);
    pl[30] = (uint8_t)(ICR__PROBE_MAGIC >> 8);
    pl[31] = (uint8_t)ICR__PROBE_MAGIC;
    /* The payload changed under echo_init's sum: take it again (once per
     * template, not per probe). */
    return icr__csum_add(0, tmpl, ICR__ICMP_HDR_LEN + payload_size);
}

uint16_t icr__probe_stamp(uint8_t *icmp, int family, uint32_t base_sum,
                          const struct icr__sipkey *k, const struct icr_addr *dst,
                          uint64_t index, uint32_t probe, uint8_t hop, bool ttl_in_tag,
                          uint64_t sent_ns) {
    assert(family == AF_INET || family == AF_INET6);
    struct icr__sip16 st;
    dst_state(k, dst, &st);
    uint64_t h = hash_from(&st, probe, hop);
    uint8_t *pl = icmp + ICR__ICMP_HDR_LEN;
    put_be64(pl, payload_mac(k, h, index, sent_ns));
    put_be64(pl + 8, sent_ns);
    put_be64(pl + 16, index);
    put_be32(pl + 24, probe);
    pl[28] = hop; /* 29..31: the template's magic */
    pl[32] = pl[33] = 0;
    icmp[0] = family == AF_INET6 ? ICR__ICMP6_ECHO_REQUEST : ICR__ICMP4_ECHO_REQUEST;
    icmp[2] = icmp[3] = 0;
    put_be16(icmp + 4, (uint16_t)h);
    put_be16(icmp + 6, icr__probe_tag(probe, hop, ttl_in_tag));

    /* The message's sum in O(1): the template's, in which the header words
     * and the payload's first 34 bytes are zero but for the magic, plus
     * what this probe put there: id and sequence, bytes 0..27, the hop
     * (the word {hop, 'i'} is {0, 'i'} + {hop, 0}: an odd-length add pads
     * exactly so) and, for ICMPv6, type 8 -> 128, a word {120, 0}. */
    static const uint8_t type_delta[2] = {ICR__ICMP6_ECHO_REQUEST - ICR__ICMP4_ECHO_REQUEST, 0};
    uint32_t s = icr__csum_add(base_sum, icmp + 4, 4);
    s = icr__csum_add(s, pl, 29);
    if (family == AF_INET6)
        s = icr__csum_add(s, type_delta, sizeof(type_delta));
    /* Paris word w = target - s in one's complement: csum_fold(s) is -s,
     * and csum_fold(x) = ~fold(x), so w = ~csum_fold(target + -s). */
    uint16_t target = mem16(paris_from(&st));
    uint16_t w = (uint16_t)~icr__csum_fold((uint32_t)target + icr__csum_fold(s));
    memcpy(pl + 32, &w, sizeof(w));
    if (family == AF_INET) {
        /* The whole message now sums to target (1..0xfffe, and a non-zero
         * sum folds into 1..0xffff, so exactly): its checksum is ~target,
         * the same for every probe to dst. */
        uint16_t c = (uint16_t)~target;
        memcpy(icmp + 2, &c, sizeof(c));
    } /* AF_INET6: 0, the kernel computes it (RFC 3542 3.1) */
    return (uint16_t)(h >> 16);
}

int icr__probe_check(const struct icr__sipkey *k, const struct icr_addr *dst, uint16_t id,
                     uint16_t seq, bool check_id, bool ttl_in_tag, const uint8_t *pl,
                     size_t pl_len, struct icr__probe_info *ret) {
    if (pl_len < ICR__PROBE_HDR || pl[29] != (uint8_t)(ICR__PROBE_MAGIC >> 16) ||
        pl[30] != (uint8_t)(ICR__PROBE_MAGIC >> 8) || pl[31] != (uint8_t)ICR__PROBE_MAGIC)
        return ICR__PROBE_NO_HDR;
    uint64_t index = get_be64(pl + 16), t = get_be64(pl + 8);
    uint32_t probe = get_be32(pl + 24);
    uint8_t hop = pl[28];
    if (seq != icr__probe_tag(probe, hop, ttl_in_tag))
        return ICR__PROBE_INVALID;
    struct icr__sip16 st;
    dst_state(k, dst, &st);
    uint64_t h = hash_from(&st, probe, hop);
    if ((check_id && (uint16_t)h != id) || get_be64(pl) != payload_mac(k, h, index, t))
        return ICR__PROBE_INVALID;
    /* The Paris word is outside the MAC: check it by the sum it makes, the
     * Echo Request as sent (its type for dst's family, id h, not the
     * kernel's) summing to the destination's constant.  O(pl_len), so a
     * quote cut short of the payload fails here: use check_short. */
    const uint8_t hdr[8] = {
        dst->family == AF_INET6 ? ICR__ICMP6_ECHO_REQUEST : ICR__ICMP4_ECHO_REQUEST, 0, 0, 0,
        (uint8_t)(h >> 8), (uint8_t)h, (uint8_t)(seq >> 8), (uint8_t)seq,
    };
    uint32_t s = icr__csum_add(icr__csum_add(0, hdr, sizeof(hdr)), pl, pl_len);
    uint16_t got = (uint16_t)~icr__csum_fold(s);
    if (got != mem16(paris_from(&st)))
        return ICR__PROBE_INVALID;
    ret->index = index;
    ret->probe = probe;
    ret->hop = hop;
    ret->sent_ns = (int64_t)t;
    return ICR__PROBE_VALID;
}

int icr__probe_check_short(const struct icr__sipkey *k, const struct icr_addr *dst, uint16_t id,
                           uint16_t seq, bool check_id, bool has_ip_id, uint16_t ip_id,
                           bool ttl_in_tag, uint8_t hop, uint32_t latest,
                           struct icr__probe_info *ret) {
    uint32_t probe;
    if (!icr__probe_untag(seq, ttl_in_tag, latest, &probe, &hop))
        return ICR__PROBE_INVALID;
    if (check_id || has_ip_id) {
        uint64_t h = icr__probe_hash(k, dst, probe, hop);
        if ((check_id && (uint16_t)h != id) || (has_ip_id && (uint16_t)(h >> 16) != ip_id))
            return ICR__PROBE_INVALID;
    }
    ret->index = UINT64_MAX;
    ret->probe = probe;
    ret->hop = hop;
    ret->sent_ns = -1;
    return ICR__PROBE_VALID;
}
