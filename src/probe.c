/* probe.c - owns the sweep's probe format (see probe.h): the template, the
 * per-probe stamp and the check of what comes back. */
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

uint64_t icr__probe_hash(const struct icr__sipkey *k, const struct icr_addr *dst, uint32_t probe) {
    /* IPv4 as its IPv4-mapped IPv6 form: one input shape for both. */
    uint8_t m[20] = {0};
    if (dst->family == AF_INET) {
        m[10] = m[11] = 0xff;
        memcpy(m + 12, &dst->v4, 4);
    } else {
        memcpy(m, &dst->v6, 16);
    }
    put_be32(m + 16, probe);
    return icr__siphash24_k(k, m, sizeof(m));
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
    memset(tmpl + ICR__ICMP_HDR_LEN, 0, ICR__PROBE_HDR - 4);
    put_be32(tmpl + ICR__ICMP_HDR_LEN + 28, ICR__PROBE_MAGIC);
    /* The payload changed under echo_init's sum: take it again. */
    return icr__csum_add(0, tmpl, ICR__ICMP_HDR_LEN + payload_size);
}

void icr__probe_stamp(uint8_t *icmp, int family, uint32_t base_sum, const struct icr__sipkey *k,
                      const struct icr_addr *dst, uint64_t index, uint32_t probe,
                      uint64_t sent_ns) {
    uint64_t h = icr__probe_hash(k, dst, probe);
    uint8_t *pl = icmp + ICR__ICMP_HDR_LEN;
    put_be64(pl, payload_mac(k, h, index, sent_ns));
    put_be64(pl + 8, sent_ns);
    put_be64(pl + 16, index);
    put_be32(pl + 24, probe);
    icr__echo_stamp(icmp, AF_INET, base_sum, (uint16_t)h, (uint16_t)(h >> 16));
    if (family == AF_INET) {
        /* The payload's MAC fields changed after the template's sum: fold
         * them in.  Sums and the field are in memory order (checksum.c). */
        uint16_t c;
        memcpy(&c, icmp + 2, sizeof(c));
        c = icr__csum_fold(icr__csum_add((uint16_t)~c, pl, 28));
        memcpy(icmp + 2, &c, sizeof(c));
    } else {
        icmp[0] = ICR__ICMP6_ECHO_REQUEST;
        icmp[2] = icmp[3] = 0; /* the kernel computes it (RFC 3542 3.1) */
    }
}

int icr__probe_check(const struct icr__sipkey *k, const struct icr_addr *dst, uint16_t id,
                     uint16_t seq, bool check_id, const uint8_t *pl, size_t pl_len,
                     uint64_t *ret_index, uint32_t *ret_probe, uint64_t *ret_sent) {
    if (pl_len < ICR__PROBE_HDR || get_be32(pl + 28) != ICR__PROBE_MAGIC)
        return ICR__PROBE_NO_HDR;
    uint64_t index = get_be64(pl + 16), t = get_be64(pl + 8);
    uint32_t probe = get_be32(pl + 24);
    uint64_t h = icr__probe_hash(k, dst, probe);
    if ((check_id && (uint16_t)h != id) || (uint16_t)(h >> 16) != seq ||
        get_be64(pl) != payload_mac(k, h, index, t))
        return ICR__PROBE_INVALID;
    *ret_index = index;
    *ret_probe = probe;
    *ret_sent = t;
    return ICR__PROBE_VALID;
}
