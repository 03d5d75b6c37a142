/* fuzz-probe.c - the probe checks (probe.h) with a fixed key: any id,
 * sequence and payload through icr__probe_check, any short quote through
 * icr__probe_check_short, any tag through icr__probe_untag; and a probe
 * stamped from the input's fields must check VALID with those fields. */
#include <netinet/in.h>
#include <stdlib.h>

#include "fuzz.h"
#include "probe.h"

static const struct icr__sipkey key = {.k0 = 0x0706050403020100ull, .k1 = 0x0f0e0d0c0b0a0908ull};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    struct fuzz_in in = {data, size};
    uint8_t flags = fuzz_u8(&in);
    bool ttl_in_tag = flags & 1, check_id = flags & 2, has_ip_id = flags & 4;
    struct icr_addr dst = {.family = (flags & 8) ? AF_INET6 : AF_INET};
    if (dst.family == AF_INET)
        dst.v4.s_addr = fuzz_u32(&in);
    else
        for (int i = 0; i < 16; i++)
            dst.v6.s6_addr[i] = fuzz_u8(&in);
    uint16_t id = fuzz_u16(&in), seq = fuzz_u16(&in), ip_id = fuzz_u16(&in);
    uint8_t hop = fuzz_u8(&in);
    uint32_t latest = fuzz_u32(&in);
    struct icr__probe_info info;

    uint8_t *pl = malloc(in.n ? in.n : 1);
    if (!pl)
        return 0;
    if (in.n)
        memcpy(pl, in.p, in.n);
    (void)icr__probe_check(&key, &dst, id, seq, check_id, ttl_in_tag, pl, in.n, &info);
    free(pl);
    (void)icr__probe_check_short(&key, &dst, id, seq, check_id, has_ip_id, ip_id, ttl_in_tag,
                                 hop, latest, &info);
    uint32_t probe;
    uint8_t h = 0;
    if (icr__probe_untag(seq, ttl_in_tag, latest, &probe, &h) &&
        (probe > latest || icr__probe_tag(probe, h, ttl_in_tag) != seq))
        abort(); /* untag must invert tag, at or below latest */

    /* The round trip: stamp (index, probe, hop) from the input, check it. */
    size_t payload = ICR__PROBE_HDR + (size_t)(flags >> 4) * 7;
    uint8_t pkt[8 + ICR__PROBE_HDR + 15 * 7];
    uint32_t base = icr__probe_template(pkt, sizeof(pkt), payload);
    uint64_t index = fuzz_u64(&in) & 0xffffffffffffull, sent = fuzz_u64(&in) >> 2;
    uint32_t p = latest;
    uint8_t ph = hop ? hop : 1;
    (void)icr__probe_stamp(pkt, dst.family, base, &key, &dst, index, p, ph, ttl_in_tag, sent);
    uint16_t sid = (uint16_t)(pkt[4] << 8 | pkt[5]), sseq = (uint16_t)(pkt[6] << 8 | pkt[7]);
    if (icr__probe_check(&key, &dst, sid, sseq, true, ttl_in_tag, pkt + 8, payload, &info) !=
            ICR__PROBE_VALID ||
        info.index != index || info.probe != p || info.hop != ph ||
        info.sent_ns != (int64_t)sent)
        abort();
    return 0;
}
