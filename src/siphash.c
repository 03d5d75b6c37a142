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

/* The words of p[0..n-1] into s, then the last word and the finish;
 * total: the whole message's length (n plus what s already absorbed, a
 * multiple of 8). */
static inline uint64_t sip_tail(struct sipstate *s, const uint8_t *p, size_t n, size_t total)
{
    const uint8_t *end = p + (n & ~(size_t)7);

    for (; p != end; p += 8)
        sip_compress(s, load64_le(p));

    /* Last word: the 0..7 trailing bytes, with len mod 256 in the top byte
     * so messages that differ only by trailing zeros hash differently. */
    uint64_t last = (uint64_t)(total & 0xff) << 56;
    for (size_t i = 0; i < (n & 7); i++)
        last |= (uint64_t)p[i] << (8 * i);
    sip_compress(s, last);
    return sip_finish(s);
}

uint64_t icr__siphash24_k(const struct icr__sipkey *key, const void *data, size_t len)
{
    assert(key && (data || len == 0));
    struct sipstate s = sip_init(key);

    return sip_tail(&s, data, len, len);
}

void icr__siphash24_prefix16(const struct icr__sipkey *key, const uint8_t m[16],
                             struct icr__sip16 *ret)
{
    assert(key && m && ret);
    struct sipstate s = sip_init(key);

    sip_compress(&s, load64_le(m));
    sip_compress(&s, load64_le(m + 8));
    *ret = (struct icr__sip16){ .v0 = s.v0, .v1 = s.v1, .v2 = s.v2, .v3 = s.v3 };
}

uint64_t icr__siphash24_from16(const struct icr__sip16 *st, const void *tail, size_t tail_len)
{
    assert(st && (tail || tail_len == 0));
    struct sipstate s = { .v0 = st->v0, .v1 = st->v1, .v2 = st->v2, .v3 = st->v3 };

    return sip_tail(&s, tail, tail_len, 16 + tail_len);
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
