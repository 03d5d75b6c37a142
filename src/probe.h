/* probe.h - the sweep's probe format: an Echo Request that carries its own
 * proof of origin, so replies can be checked without any table of probes.
 *
 *   id, sequence  h = SipHash-2-4(key, destination (16 bytes, IPv4 mapped)
 *                 || probe number (be32)); id = h bits 0-15, seq = 16-31
 *   payload 0     u64 MAC = SipHash-2-4(key, h ^ index, sent_ns)
 *           8     u64 sent_ns (CLOCK_REALTIME)
 *          16     u64 target index
 *          24     u32 probe number
 *          28     u32 magic "icr1"
 *          32..   filler
 * (all network byte order).  Pure code: no I/O, no allocation.
 */
#ifndef ICR_PROBE_H
#define ICR_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "icmpring.h"
#include "siphash.h"

#define ICR__PROBE_HDR 32 /* payload bytes the MACs need */
#define ICR__PROBE_MAGIC 0x69637231u

/* h for (destination, probe number). */
uint64_t icr__probe_hash(const struct icr__sipkey *k, const struct icr_addr *dst, uint32_t probe);

/* Build the constant part of every probe in tmpl: ICMPv4 Echo Request
 * header with id, sequence and checksum zero, then payload_size bytes whose
 * first ICR__PROBE_HDR are zero but for the magic.  payload_size must be
 * >= ICR__PROBE_HDR and tmpl_len >= 8 + payload_size.  Returns the unfolded
 * checksum sum of the template (for icr__probe_stamp). */
uint32_t icr__probe_template(uint8_t *tmpl, size_t tmpl_len, size_t payload_size);

/* Stamp one probe into icmp, a copy of the template (icmp_len bytes):
 * for AF_INET6 the type becomes 128 and the checksum is left 0 for the
 * kernel; for AF_INET the checksum is set (O(1) from base_sum). */
void icr__probe_stamp(uint8_t *icmp, int family, uint32_t base_sum, const struct icr__sipkey *k,
                      const struct icr_addr *dst, uint64_t index, uint32_t probe,
                      uint64_t sent_ns);

enum icr__probe_check {
    ICR__PROBE_VALID = 0,   /* both MACs verify */
    ICR__PROBE_INVALID = 1, /* ours in form, but a MAC does not verify */
    ICR__PROBE_NO_HDR = 2,  /* too short or no magic: nothing to check */
};

/* Check what came back: the echoed (or quoted) id, sequence and payload of
 * a probe sent to dst.  check_id: false where the kernel owns the id
 * (datagram sockets).  On ICR__PROBE_VALID fills *ret_index, *ret_probe and
 * *ret_sent; the caller still checks index and probe against its job. */
int icr__probe_check(const struct icr__sipkey *k, const struct icr_addr *dst, uint16_t id,
                     uint16_t seq, bool check_id, const uint8_t *pl, size_t pl_len,
                     uint64_t *ret_index, uint32_t *ret_probe, uint64_t *ret_sent);

#endif /* ICR_PROBE_H */
