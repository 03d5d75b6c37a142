/* siphash.c - SipHash-2-4: the generic byte-string form and the fixed
 * two-word form used per packet.  Written from the paper ("SipHash: a fast
 * short-input PRF", 2012); checked against its test vectors in
 * tests/test-siphash.c.
 */
#include "siphash.h"

#include <assert.h>

static inline uint64_t rotl64(uint64_t x, unsigned r)
{
    return (x << r) | (x >> (64 - r));
}

/* Byte-wise little-endian load: correct at any alignment and on big-endian
 * hosts; gcc and clang turn it into one mov on x86-64. */
static inline uint64_t load64_le(const uint8_t *p)
{
    return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
           (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 |
           (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
}

struct sipstate {
    uint64_t v0, v1, v2, v3;
};

static inline void sipround(struct sipstate *s)
{
    s->v0 += s->v1;
    s->v1 = rotl64(s->v1, 13);
    s->v1 ^= s->v0;
    s->v0 = rotl64(s->v0, 32);
    s->v2 += s->v3;
    s->v3 = rotl64(s->v3, 16);
    s->v3 ^= s->v2;
    s->v0 += s->v3;
    s->v3 = rotl64(s->v3, 21);
    s->v3 ^= s->v0;
    s->v2 += s->v1;
    s->v1 = rotl64(s->v1, 17);
    s->v1 ^= s->v2;
    s->v2 = rotl64(s->v2, 32);
}

/* The constants are "somepseudorandomlygeneratedbytes" in ASCII (paper 2.1). */
static inline struct sipstate sip_init(const struct icr__sipkey *k)
{
    return (struct sipstate){
        .v0 = k->k0 ^ UINT64_C(0x736f6d6570736575),
        .v1 = k->k1 ^ UINT64_C(0x646f72616e646f6d),
        .v2 = k->k0 ^ UINT64_C(0x6c7967656e657261),
        .v3 = k->k1 ^ UINT64_C(0x7465646279746573),
    };
}

/* c = 2 compression rounds per message word. */
static inline void sip_compress(struct sipstate *s, uint64_t m)
{
    s->v3 ^= m;
    sipround(s);
    sipround(s);
    s->v0 ^= m;
}

/* d = 4 finalization rounds. */
static inline uint64_t sip_finish(struct sipstate *s)
{
    s->v2 ^= 0xff;
    sipround(s);
    sipround(s);
    sipround(s);
    sipround(s);
    return s->v0 ^ s->v1 ^ s->v2 ^ s->v3;
}

void icr__sipkey_load(struct icr__sipkey *ret_key, const uint8_t key[16])
{
    assert(ret_key && key);
    *ret_key = (struct icr__sipkey){ .k0 = load64_le(key), .k1 = load64_le(key + 8) };
}

uint64_t icr__siphash24_k(const struct icr__sipkey *key, const void *data, size_t len)
{
    assert(key && (data || len == 0));
    const uint8_t *p = data;
    const uint8_t *end = p + (len & ~(size_t)7);
    struct sipstate s = sip_init(key);

    for (; p != end; p += 8)
        sip_compress(&s, load64_le(p));

    /* Last word: the 0..7 trailing bytes, with len mod 256 in the top byte
     * so messages that differ only by trailing zeros hash differently. */
    uint64_t last = (uint64_t)(len & 0xff) << 56;
    for (size_t i = 0; i < (len & 7); i++)
        last |= (uint64_t)p[i] << (8 * i);
    sip_compress(&s, last);
    return sip_finish(&s);
}

uint64_t icr__siphash24(const uint8_t key[16], const void *data, size_t len)
{
    struct icr__sipkey k;

    icr__sipkey_load(&k, key);
    return icr__siphash24_k(&k, data, len);
}

uint64_t icr__siphash24_2u64(const struct icr__sipkey *key, uint64_t a, uint64_t b)
{
    assert(key);
    struct sipstate s = sip_init(key);

    sip_compress(&s, a);
    sip_compress(&s, b);
    /* 16 bytes: no trailing bytes, only the length byte. */
    sip_compress(&s, (uint64_t)16 << 56);
    return sip_finish(&s);
}
