/* ref-csum.h - the tests' reference Internet checksum: RFC 1071 section 4.1
 * read literally, on big-endian 16-bit words built from bytes, so it cannot
 * share a byte-order or word-size mistake with src/checksum.c, which it
 * checks.  Header-only, for the unit tests and the lab's forger. */
#ifndef ICR_REF_CSUM_H
#define ICR_REF_CSUM_H

#include <stddef.h>
#include <stdint.h>

/* The checksum of len bytes as a number (the value of the field read in
 * network order).  A buffer whose checksum field is right gives 0. */
static inline uint16_t ref_csum(const uint8_t *p, size_t len) {
    uint64_t s = 0;
    for (size_t i = 0; i + 1 < len; i += 2)
        s += (uint32_t)p[i] << 8 | p[i + 1];
    if (len & 1)
        s += (uint32_t)p[len - 1] << 8;
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

#endif /* ICR_REF_CSUM_H */
