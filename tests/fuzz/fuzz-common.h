/* fuzz-common.h - a job as the reply decoders see it (reply.h), for the
 * reply and error-queue harnesses: a fixed key, the rest from the input. */
#ifndef ICR_FUZZ_COMMON_H
#define ICR_FUZZ_COMMON_H

#include <stdlib.h>

#include "fuzz.h"
#include "reply.h"

static const struct icr__sipkey fuzz_key = {.k0 = 0x0706050403020100ull,
                                            .k1 = 0x0f0e0d0c0b0a0908ull};

/* The job's targets: any address whose last byte is even, index = that byte. */
static int fuzz_lookup(void *job, const struct icr_addr *dst, uint64_t *ret_index) {
    (void)job;
    uint8_t last = dst->family == AF_INET ? (uint8_t)(ntohl(dst->v4.s_addr) & 0xff)
                                          : dst->v6.s6_addr[15];
    if (last & 1)
        return -1;
    *ret_index = last;
    return 0;
}

/* Six bytes of input: the job's flags, latest pass, count, payload size. */
static inline struct icr__verify_cfg fuzz_cfg(struct fuzz_in *in) {
    uint8_t f = fuzz_u8(in);
    struct icr__verify_cfg v = {
        .key = &fuzz_key,
        .privileged = f & 1,
        .ttl_in_tag = f & 2,
        .ttl = (uint8_t)(f & 4 ? 64 : 1),
        .latest = fuzz_u16(in),
        .count = fuzz_u8(in),
        .nindex = 200,
        .payload_size = ICR__PROBE_HDR + fuzz_u8(in) % (1400 - ICR__PROBE_HDR + 1),
        .lookup = f & 8 ? NULL : fuzz_lookup,
    };
    return v;
}

/* What a VALID verdict promises the engine (it indexes arrays with it). */
static inline void fuzz_check_valid(const struct icr__verify_cfg *v, int verdict,
                                    const struct icr__probe_info *info) {
    if (verdict == ICR__REPLY_VALID &&
        (info->index >= v->nindex || info->probe > v->latest || info->hop == 0 ||
         (v->count && info->probe >= v->count)))
        abort();
}

#endif
