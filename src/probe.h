/* probe.h - the engine's probe format: an Echo Request that carries its own
 * proof of origin, its probe number and its hop, recoverable from what an
 * RFC 792 router quotes (the IP header plus the first 8 ICMP bytes), so
 * replies and ICMP errors are checked without a table of probes.
 *
 * Each probe is (destination, index, probe number, hop).  The tag is the
 * low bits of the probe number and the hop, sent in clear:
 *   tag       ttl_in_tag: (probe & 0xff) << 8 | hop    (traceroute)
 *             otherwise:   probe & 0xffff              (sweep, multiping)
 *   h         SipHash-2-4(key, destination (16 bytes, IPv4 mapped)
 *                         || probe (be32) || hop (u8))
 *   id        h bits 0-15          (raw sockets; the kernel owns it on
 *                                   datagram sockets)
 *   sequence  tag
 *   IPv4 id   h bits 16-31         (IPv4 raw sends: the IP header is ours,
 *                                   and every quote holds it)
 *   payload 0     u64 MAC = SipHash-2-4(key, h ^ index, sent_ns)
 *           8     u64 sent_ns (CLOCK_REALTIME)
 *          16     u64 target index
 *          24     u32 probe number
 *          28     u8  hop
 *          29     u8[3] magic "ic2"
 *          32     u16 Paris word: makes the one's complement sum of the whole
 *                     ICMP message (checksum field taken as 0) equal to
 *                     icr__probe_paris_sum(key, dst), so every probe to one
 *                     destination has the same ICMP checksum (IPv4: the
 *                     checksum field; IPv6: the kernel's checksum, whose
 *                     pseudo-header is constant per destination too)
 *          34..   filler
 * (all network byte order).  Pure code: no I/O, no allocation.
 */
#ifndef ICR_PROBE_H
#define ICR_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "icmpring.h"
#include "siphash.h"

#define ICR__PROBE_HDR 34 /* payload bytes the MACs and the Paris word need */
#define ICR__PROBE_MAGIC 0x696332u /* "ic2" */

/* The clear tag for (probe, hop). */
static inline uint16_t icr__probe_tag(uint32_t probe, uint8_t hop, bool ttl_in_tag) {
    return ttl_in_tag ? (uint16_t)((probe & 0xffu) << 8 | hop) : (uint16_t)probe;
}

/* Recover the probe number from a tag: the largest p <= latest whose low
 * bits (8 with ttl_in_tag, else 16) are the tag's; the hop with ttl_in_tag
 * (else *ret_hop is left alone).  Returns false when no such p exists
 * (the tag's bits are above latest). */
bool icr__probe_untag(uint16_t tag, bool ttl_in_tag, uint32_t latest, uint32_t *ret_probe,
                      uint8_t *ret_hop);

/* h for (destination, probe number, hop). */
uint64_t icr__probe_hash(const struct icr__sipkey *k, const struct icr_addr *dst, uint32_t probe,
                         uint8_t hop);

/* The constant sum every probe to dst is compensated to (Paris):
 * SipHash-2-4(key, destination (16 bytes, IPv4 mapped) || "ic2paris")
 * mod 0xfffe + 1, so never 0 or 0xffff.  A number: the sum of the
 * message's big-endian 16-bit words; the IPv4 checksum field is its
 * complement, ~paris_sum in network order. */
uint16_t icr__probe_paris_sum(const struct icr__sipkey *k, const struct icr_addr *dst);

/* Build the constant part of every probe in tmpl: ICMPv4 Echo Request
 * header with id, sequence and checksum zero, then payload_size bytes whose
 * first ICR__PROBE_HDR are zero but for the magic.  payload_size must be
 * >= ICR__PROBE_HDR and tmpl_len >= 8 + payload_size.  Returns the unfolded
 * checksum sum of the template (for icr__probe_stamp). */
uint32_t icr__probe_template(uint8_t *tmpl, size_t tmpl_len, size_t payload_size);

/* Stamp one probe into icmp, a copy of the template: id, sequence (the
 * tag), the payload's first 34 bytes, and the checksum.  For AF_INET6 the
 * type becomes 128 and the checksum field is left 0 for the kernel; for
 * AF_INET the checksum is set (O(1) from base_sum).  Returns the IPv4 id
 * to write into the IP header (h bits 16-31). */
uint16_t icr__probe_stamp(uint8_t *icmp, int family, uint32_t base_sum,
                          const struct icr__sipkey *k, const struct icr_addr *dst,
                          uint64_t index, uint32_t probe, uint8_t hop, bool ttl_in_tag,
                          uint64_t sent_ns);

enum icr__probe_check {
    ICR__PROBE_VALID = 0,   /* the MACs verify */
    ICR__PROBE_INVALID = 1, /* ours in form, but a MAC (or the tag) does not verify */
    ICR__PROBE_NO_HDR = 2,  /* payload too short or no magic: nothing to check */
};

/* What a validated probe says about itself. */
struct icr__probe_info {
    uint64_t index;   /* payload only; UINT64_MAX when it was not there */
    uint32_t probe;
    uint8_t hop;
    int64_t sent_ns;  /* payload only; -1 when it was not there */
};

/* Check an echoed (or fully quoted) probe to dst: its id and sequence and
 * its payload.  check_id: false where the kernel owns the id (datagram
 * sockets).  The sequence must be the tag of the payload's probe and hop.
 * The Paris word is checked by the sum it makes over the whole payload
 * (O(pl_len)), so a quote cut short of the payload is INVALID: check
 * those with icr__probe_check_short.  On ICR__PROBE_VALID fills *ret. */
int icr__probe_check(const struct icr__sipkey *k, const struct icr_addr *dst, uint16_t id,
                     uint16_t seq, bool check_id, bool ttl_in_tag, const uint8_t *pl,
                     size_t pl_len, struct icr__probe_info *ret);

/* Check a short quote (no payload): the probe and hop come from the tag in
 * seq (icr__probe_untag against `latest`, the highest probe number sent so
 * far; without ttl_in_tag the hop is `hop`), then id (if check_id) and,
 * with has_ip_id, the quoted IPv4 id must match h.  On ICR__PROBE_VALID
 * fills *ret with index UINT64_MAX and sent_ns -1.  Datagram sockets
 * without an IPv4 id (check_id false, has_ip_id false) have no MAC bits in
 * a short quote: the kernel's own id filter is the only check, and this
 * returns VALID for any recoverable tag. */
int icr__probe_check_short(const struct icr__sipkey *k, const struct icr_addr *dst, uint16_t id,
                           uint16_t seq, bool check_id, bool has_ip_id, uint16_t ip_id,
                           bool ttl_in_tag, uint8_t hop, uint32_t latest,
                           struct icr__probe_info *ret);

#endif /* ICR_PROBE_H */
