/* siphash.h - SipHash-2-4 (Aumasson & Bernstein, 2012): the keyed 64-bit
 * PRF behind the sweep engine's per-packet MAC (a reply proves it answers a
 * probe we sent) and the key schedule of the scan permutation (perm.c).
 *
 * Pure code: no I/O, no allocation, no globals.  Internal (icr__ prefix),
 * not exported.
 */
#ifndef ICR_SIPHASH_H
#define ICR_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

/* A key loaded once into the two 64-bit words the algorithm works on, so the
 * per-packet path does not reassemble it from bytes on every call. */
struct icr__sipkey {
    uint64_t k0; /* key bytes 0..7, little-endian */
    uint64_t k1; /* key bytes 8..15, little-endian */
};

/* Load a 16-byte key (as in the SipHash paper) into `ret_key`. */
void icr__sipkey_load(struct icr__sipkey *ret_key, const uint8_t key[16]);

/* SipHash-2-4 of `len` bytes at `data` (any alignment) under a 16-byte key. */
uint64_t icr__siphash24(const uint8_t key[16], const void *data, size_t len);

/* Same, with a pre-loaded key. */
uint64_t icr__siphash24_k(const struct icr__sipkey *key, const void *data, size_t len);

/* SipHash-2-4 of the 16-byte message "a then b, each little-endian": equal
 * to icr__siphash24_k() over those 16 bytes, without touching memory.  This
 * is the per-packet MAC shape (e.g. a = destination, b = send time). */
uint64_t icr__siphash24_2u64(const struct icr__sipkey *key, uint64_t a, uint64_t b);

/* The state after the first 16 bytes of a message: messages that start
 * with the same 16 bytes (the probe format hashes a destination first,
 * probe.c) share those two compressions.  Opaque to callers. */
struct icr__sip16 {
    uint64_t v0, v1, v2, v3;
};

/* Absorb m[0..15] under key into *ret. */
void icr__siphash24_prefix16(const struct icr__sipkey *key, const uint8_t m[16],
                             struct icr__sip16 *ret);

/* SipHash-2-4 of (the 16 bytes absorbed into *st) || tail[0..tail_len-1]:
 * equal to icr__siphash24_k() over those 16 + tail_len bytes. */
uint64_t icr__siphash24_from16(const struct icr__sip16 *st, const void *tail, size_t tail_len);

#endif /* ICR_SIPHASH_H */
