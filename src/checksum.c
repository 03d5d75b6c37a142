/* checksum.c - owns the Internet checksum (RFC 1071): the word-at-a-time
 * sum, its fold, the RFC 1624 incremental update and the ICMPv6
 * pseudo-header sum.
 *
 * Every sum here is taken over 16-bit words loaded in *host* order.  The
 * one's-complement sum is byte-order independent (RFC 1071 2.(B)), so the
 * folded result, stored back as it is, is the checksum in network order on
 * either endianness and no byte swap is ever needed.
 */
#include <assert.h>
#include <string.h>

#include "packet.h"

/* Reduce a 64-bit accumulator to 32 bits with end-around carry.  Two rounds
 * suffice: after the first the value is at most 2^33 - 2, after the second
 * it fits 32 bits. */
static inline uint32_t fold64(uint64_t s)
{
    s = (s & 0xffffffffu) + (s >> 32);
    s = (s & 0xffffffffu) + (s >> 32);
    return (uint32_t)s;
}

static inline uint32_t load32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v)); /* unaligned-safe; one mov on x86/arm64 */
    return v;
}

static inline uint16_t load16(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

uint32_t icr__csum_add(uint32_t sum, const void *data, size_t len)
{
    assert(data != NULL || len == 0);
    const uint8_t *p = data;
    /* 32-bit words into a 64-bit accumulator: a 32-bit word is two 16-bit
     * words modulo 0xffff (2^16 == 1), and 2^32 additions are needed before
     * the accumulator can overflow, so no carry is tracked in the loop.
     * Four independent accumulators keep the adds off one dependency chain
     * (and let the compiler vectorise the loop). */
    uint64_t a0 = sum, a1 = 0, a2 = 0, a3 = 0;

    while (len >= 32) {
        a0 += (uint64_t)load32(p) + load32(p + 16);
        a1 += (uint64_t)load32(p + 4) + load32(p + 20);
        a2 += (uint64_t)load32(p + 8) + load32(p + 24);
        a3 += (uint64_t)load32(p + 12) + load32(p + 28);
        p += 32;
        len -= 32;
    }
    while (len >= 4) {
        a0 += load32(p);
        p += 4;
        len -= 4;
    }
    if (len >= 2) {
        a1 += load16(p);
        p += 2;
        len -= 2;
    }
    if (len) {
        /* Odd tail: the byte is the first of a 16-bit word whose second
         * byte is zero.  Loading {b, 0} in host order places it right on
         * both endiannesses. */
        const uint8_t pad[2] = {p[0], 0};
        a2 += load16(pad);
    }
    return fold64(a0 + a1 + a2 + a3); /* each < 2^62: the sum cannot wrap */
}

uint16_t icr__csum_fold(uint32_t sum)
{
    sum = (sum & 0xffffu) + (sum >> 16);
    sum = (sum & 0xffffu) + (sum >> 16);
    return (uint16_t)~sum;
}

uint16_t icr__checksum(const void *data, size_t len)
{
    return icr__csum_fold(icr__csum_add(0, data, len));
}

/* RFC 1624 eqn. 3, HC' = ~(~HC + ~m + m'), in one's-complement arithmetic.
 * Eqn. 3 (unlike RFC 1141's HC' = HC + m - m') never yields 0xffff for
 * non-zero data, so it matches a recomputation from scratch, which cannot
 * produce 0xffff either.  Two corners remain:
 *  - m == m' must leave the field alone: eqn. 3 would turn a field of
 *    0xffff (all-zero data) into 0x0000.
 *  - if the update makes the whole message zero, from scratch gives
 *    0xffff while eqn. 3 gives 0x0000; the update cannot see the rest of
 *    the data to tell.  ICMP never hits this: its type byte is non-zero. */
uint16_t icr__csum_update16(uint16_t csum, uint16_t old_word, uint16_t new_word)
{
    if (old_word == new_word)
        return csum;
    uint32_t s = (uint32_t)(uint16_t)~csum + (uint16_t)~old_word + new_word;
    return icr__csum_fold(s);
}

uint16_t icr__icmp6_checksum(const struct in6_addr *src, const struct in6_addr *dst,
                             const void *icmp, size_t len)
{
    assert(src != NULL && dst != NULL);
    /* Pseudo-header tail (RFC 8200 8.1): 32-bit upper-layer length, three
     * zero bytes, next header.  Written as bytes so the sum is taken in
     * the same host-order words as the rest. */
    const uint8_t tail[8] = {
        (uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len,
        0, 0, 0, IPPROTO_ICMPV6,
    };
    uint32_t sum = icr__csum_add(0, src->s6_addr, 16);
    sum = icr__csum_add(sum, dst->s6_addr, 16);
    sum = icr__csum_add(sum, tail, sizeof(tail));
    return icr__csum_fold(icr__csum_add(sum, icmp, len));
}
