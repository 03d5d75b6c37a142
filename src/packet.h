/* packet.h - the packet codec: Internet checksum, Echo Request templates and
 * the parser for what raw and datagram ICMP sockets deliver.
 *
 * Pure code: no I/O, no allocation, no globals.  Everything here may be
 * called on the per-packet path.  Internal (icr__ prefix), not exported.
 */
#ifndef ICR_PACKET_H
#define ICR_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "icmpring.h"

/* ICMP types we name. */
enum {
    ICR__ICMP4_ECHO_REPLY = 0,
    ICR__ICMP4_UNREACH = 3,
    ICR__ICMP4_REDIRECT = 5,
    ICR__ICMP4_ECHO_REQUEST = 8,
    ICR__ICMP4_TIME_EXCEEDED = 11,
    ICR__ICMP4_PARAM_PROBLEM = 12,

    ICR__ICMP6_UNREACH = 1,
    ICR__ICMP6_PACKET_TOO_BIG = 2,
    ICR__ICMP6_TIME_EXCEEDED = 3,
    ICR__ICMP6_PARAM_PROBLEM = 4,
    ICR__ICMP6_ECHO_REQUEST = 128,
    ICR__ICMP6_ECHO_REPLY = 129,
};

#define ICR__ICMP_HDR_LEN 8
#define ICR__IPV4_HDR_LEN 20
#define ICR__IPV6_HDR_LEN 40
/* Largest ICMP payload that fits an IPv4 datagram (65535 - 20 - 8). */
#define ICR__MAX_PAYLOAD 65507

/* ---- Internet checksum (RFC 1071), word at a time ----------------------- */

/* Add `len` bytes at `data` to the running 32-bit one's-complement sum.
 * The result is not folded; feed it back in or pass it to icr__csum_fold().
 * An odd length is padded with a zero byte, so only the last chunk of a
 * multi-part sum may be odd. */
uint32_t icr__csum_add(uint32_t sum, const void *data, size_t len);

/* Fold a running sum to 16 bits and complement it: the checksum field
 * value, in network byte order as stored in memory. */
uint16_t icr__csum_fold(uint32_t sum);

/* Checksum of one buffer: icr__csum_fold(icr__csum_add(0, data, len)). */
uint16_t icr__checksum(const void *data, size_t len);

/* Incremental update (RFC 1624, eqn. 3): a checksum field `csum` over data in
 * which one 16-bit word changed from `old_word` to `new_word` (all three as
 * stored in memory, network order).  Returns the new checksum field. */
uint16_t icr__csum_update16(uint16_t csum, uint16_t old_word, uint16_t new_word);

/* ICMPv6 checksum (RFC 4443 2.3) over the pseudo-header (src, dst,
 * upper-layer length, next header 58) and `len` bytes of ICMPv6 message
 * whose checksum field is taken as it is (zero it first when computing). */
uint16_t icr__icmp6_checksum(const struct in6_addr *src, const struct in6_addr *dst,
                             const void *icmp, size_t len);

/* ---- Echo Request templates ---------------------------------------------- */

/* The deterministic filler the library uses when the caller gives no payload:
 * printable bytes that depend on `seed` (so a reply to another probe does
 * not match by chance).  Fills len bytes of buf. */
void icr__payload_fill(uint8_t *buf, size_t len, uint32_t seed);

/* Build an Echo Request template in buf: ICMP header (type 8 for AF_INET,
 * 128 for AF_INET6, code 0, id 0, sequence 0) followed by the payload
 * (`payload` if not NULL, else icr__payload_fill(..., 0)).
 * Returns the message length (8 + payload_size), or ICR_EINVAL when the
 * family is wrong, payload_size > ICR__MAX_PAYLOAD or buflen is too small.
 * Also stores in *ret_base_sum the unfolded sum of the template with id,
 * sequence and checksum at zero, for icr__echo_stamp(). */
int icr__echo_init(uint8_t *buf, size_t buflen, int family, const void *payload,
                   size_t payload_size, uint32_t *ret_base_sum);

/* Stamp id and sequence (host order) into a template made by
 * icr__echo_init and set its checksum from base_sum in O(1).
 * For AF_INET6 the checksum field is left 0: the kernel fills it on raw
 * ICMPv6 and ping sockets (RFC 3542 3.1); use icr__icmp6_checksum when
 * building for IP_HDRINCL-like paths. */
void icr__echo_stamp(uint8_t *pkt, int family, uint32_t base_sum, uint16_t id, uint16_t seq);

/* ---- Parsing -------------------------------------------------------------- */

enum icr__parse_status {
    ICR__PARSE_OK = 0,
    ICR__PARSE_TRUNC_IP = 1,    /* shorter than the IPv4 header it announces */
    ICR__PARSE_BAD_IP = 2,      /* not IPv4, IHL < 5, or not ICMP */
    ICR__PARSE_TRUNC_ICMP = 3,  /* fewer than 8 bytes of ICMP */
    ICR__PARSE_BAD_CSUM = 4,    /* ICMP checksum does not verify */
    ICR__PARSE_TRUNC_QUOTE = 5, /* error message whose quote is cut short */
    ICR__PARSE_BAD_QUOTE = 6,   /* quoted packet is not IPv4/IPv6 as expected */
};

/* One parsed ICMP message.  Pointers point into the caller's buffer. */
struct icr__icmp_msg {
    int family;             /* AF_INET or AF_INET6 */
    /* Outer IP header (IPv4 only; for IPv6 the caller knows it from recvmsg). */
    struct icr_addr src;    /* IPv4: header source; IPv6: left AF_UNSPEC */
    struct icr_addr dst;    /* IPv4: header destination; IPv6: AF_UNSPEC */
    int ttl;                /* IPv4: header TTL; IPv6: -1 */
    int tos;                /* IPv4: header TOS; IPv6: -1 */
    uint16_t ip_id;         /* IPv4 header id; 0 for IPv6 */

    uint8_t type, code;
    const uint8_t *icmp;    /* the ICMP message */
    size_t icmp_len;        /* its length (bytes_received) */

    /* Echo Request / Echo Reply: the header's id and sequence and data. */
    bool is_echo;
    uint16_t id, seq;
    const uint8_t *data;    /* bytes after the 8-byte ICMP header */
    size_t data_len;

    /* Destination Unreachable, Time Exceeded, Parameter Problem, Packet Too
     * Big (v6), Redirect and Source Quench (v4): the quoted packet. */
    bool is_error;
    bool has_quote;         /* the quoted IP header was complete */
    struct icr_addr quote_src, quote_dst;
    int quote_proto;        /* quoted protocol / next header */
    int quote_ttl;          /* quoted TTL / hop limit */
    uint16_t quote_ip_id;   /* quoted IPv4 id (0 for IPv6) */
    bool quote_is_echo;     /* quoted packet is an Echo Request with id/seq */
    uint16_t quote_id, quote_seq;
    const uint8_t *quote_data; /* quoted echo payload (may be partial) */
    size_t quote_data_len;
    uint32_t mtu;           /* v6 Packet Too Big / v4 frag-needed next-hop MTU */
};

/* Parse an IPv4 datagram as a raw IPPROTO_ICMP socket delivers it (IP header
 * with any IHL, options included).  Verifies the ICMP checksum.
 * Returns ICR__PARSE_OK or a status; *ret is only complete on OK. */
int icr__parse_ipv4(const uint8_t *buf, size_t len, struct icr__icmp_msg *ret);

/* Parse a bare ICMP message: an ICMPv4 message from a datagram (ping)
 * socket, which carries no IP header (family AF_INET), or an ICMPv6 message
 * from a raw or datagram ICMPv6 socket (family AF_INET6).
 * For AF_INET the checksum is verified; for AF_INET6 it is verified only
 * when src and dst are given (the kernel has checked it on raw ICMPv6
 * sockets already). */
int icr__parse_icmp(const uint8_t *buf, size_t len, int family, const struct in6_addr *src,
                    const struct in6_addr *dst, struct icr__icmp_msg *ret);

/* A one-line reason for a parse status. */
const char *icr__parse_strerror(int status);

#endif /* ICR_PACKET_H */
