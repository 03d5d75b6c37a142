/* packet.c - owns the ICMP packet codec: Echo Request templates, the payload
 * filler, and the parsers for what raw and datagram ICMP sockets deliver
 * (IPv4 datagrams, bare ICMPv4, bare ICMPv6) including the packet quoted in
 * ICMP error messages.
 *
 * This is the per-packet path: no allocation, no division, and every read
 * is bounds-checked against the caller's length first, because the bytes
 * come from the network.
 */
#include <assert.h>
#include <string.h>

#include "packet.h"

/* Host-order accessors for network-order fields, byte by byte because the
 * buffer may have any alignment (a quote can start anywhere); compilers
 * turn these into one load and a bswap. */
static inline uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* The same 16-bit value as icr__csum_add would load from memory holding
 * `v` in network order: what a stamped field adds to the sum. */
static inline uint16_t net16(uint16_t v)
{
    uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    uint16_t r;
    memcpy(&r, b, sizeof(r));
    return r;
}

/* ---- Echo Request templates ---------------------------------------------- */

/* 64 printable characters: six bits of generator output pick one, so no
 * modulo is needed. */
static const char fill_alphabet[64] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void icr__payload_fill(uint8_t *buf, size_t len, uint32_t seed)
{
    assert(buf != NULL || len == 0);
    /* A 64-bit LCG (Knuth's MMIX constants), the seed mixed in first so
     * neighbouring seeds diverge from the first byte.  The top bits of an
     * LCG are its good ones; each step yields ten 6-bit characters. */
    uint64_t x = ((uint64_t)seed + 0x9e3779b97f4a7c15u) * 0xbf58476d1ce4e5b9u;
    size_t i = 0;
    while (i < len) {
        x = x * 6364136223846793005u + 1442695040888963407u;
        uint64_t bits = x;
        for (int k = 0; k < 10 && i < len; k++, i++) {
            buf[i] = (uint8_t)fill_alphabet[bits >> 58];
            bits <<= 6;
        }
    }
}

int icr__echo_init(uint8_t *buf, size_t buflen, int family, const void *payload,
                   size_t payload_size, uint32_t *ret_base_sum)
{
    if (family != AF_INET && family != AF_INET6)
        return ICR_EINVAL;
    if (payload_size > ICR__MAX_PAYLOAD || buf == NULL ||
        buflen < ICR__ICMP_HDR_LEN + payload_size || ret_base_sum == NULL)
        return ICR_EINVAL;

    const uint8_t hdr[ICR__ICMP_HDR_LEN] = {
        family == AF_INET ? ICR__ICMP4_ECHO_REQUEST : ICR__ICMP6_ECHO_REQUEST,
    };
    memcpy(buf, hdr, sizeof(hdr));
    if (payload != NULL)
        memmove(buf + ICR__ICMP_HDR_LEN, payload, payload_size);
    else
        icr__payload_fill(buf + ICR__ICMP_HDR_LEN, payload_size, 0);

    /* The only pass over the payload: every later probe adds its id and
     * sequence to this sum. */
    *ret_base_sum = icr__csum_add(0, buf, ICR__ICMP_HDR_LEN + payload_size);
    return (int)(ICR__ICMP_HDR_LEN + payload_size);
}

void icr__echo_stamp(uint8_t *pkt, int family, uint32_t base_sum, uint16_t id, uint16_t seq)
{
    assert(pkt != NULL);
    assert(family == AF_INET || family == AF_INET6);
    wr16(pkt + 4, id);
    wr16(pkt + 6, seq);
    uint16_t csum = 0;
    if (family == AF_INET) {
        /* Pre-fold base_sum so adding two 16-bit words cannot wrap 32 bits. */
        uint32_t s = (base_sum & 0xffffu) + (base_sum >> 16);
        s += (uint32_t)net16(id) + net16(seq);
        csum = icr__csum_fold(s);
    }
    memcpy(pkt + 2, &csum, sizeof(csum)); /* already in memory order */
}

/* ---- Parsing -------------------------------------------------------------- */

enum {
    ICMP4_SOURCE_QUENCH = 4, /* deprecated (RFC 6633) but still quotes a packet */
    ICMP4_CODE_FRAG_NEEDED = 4,
    IP6_NH_HOPOPTS = 0,
    IP6_NH_ROUTING = 43,
    IP6_NH_FRAGMENT = 44,
    IP6_NH_AH = 51,
    IP6_NH_DSTOPTS = 60,
    /* RFC 4884: an error message carrying extensions pads the quote to at
     * least 128 bytes and says how long it is. */
    RFC4884_MIN_QUOTE = 128,
};

static void addr4(struct icr_addr *a, const uint8_t *p)
{
    *a = (struct icr_addr){.family = AF_INET};
    memcpy(&a->v4, p, 4);
}

static void addr6(struct icr_addr *a, const uint8_t *p)
{
    *a = (struct icr_addr){.family = AF_INET6};
    memcpy(&a->v6, p, 16);
}

/* The quoted ICMP header after the quoted IP header(s): at least 8 bytes
 * are needed for id and sequence (RFC 792 promises 64 bits of data). */
static int parse_quoted_icmp(struct icr__icmp_msg *m, const uint8_t *q, size_t qlen,
                             uint8_t echo_request_type)
{
    if (qlen < ICR__ICMP_HDR_LEN)
        return ICR__PARSE_TRUNC_QUOTE;
    if (q[0] == echo_request_type) {
        m->quote_is_echo = true;
        m->quote_id = rd16(q + 4);
        m->quote_seq = rd16(q + 6);
        m->quote_data = q + ICR__ICMP_HDR_LEN;
        m->quote_data_len = qlen - ICR__ICMP_HDR_LEN;
    }
    return ICR__PARSE_OK;
}

static int parse_quote4(struct icr__icmp_msg *m, const uint8_t *q, size_t qlen)
{
    if (qlen == 0)
        return ICR__PARSE_TRUNC_QUOTE;
    if (q[0] >> 4 != 4)
        return ICR__PARSE_BAD_QUOTE;
    size_t ihl = (size_t)(q[0] & 0x0f) * 4;
    if (ihl < ICR__IPV4_HDR_LEN)
        return ICR__PARSE_BAD_QUOTE;
    if (qlen < ihl)
        return ICR__PARSE_TRUNC_QUOTE;
    /* The quoted total length is not used to trim the quote: some stacks
     * quote it byte-swapped or rewritten (NAT), so it cannot be trusted to
     * be smaller than what actually arrived. */
    m->has_quote = true;
    m->quote_ttl = q[8];
    m->quote_proto = q[9];
    m->quote_ip_id = rd16(q + 4);
    addr4(&m->quote_src, q + 12);
    addr4(&m->quote_dst, q + 16);
    /* A non-first fragment (a large probe) starts mid-payload: what
     * follows the header is not an ICMP header. */
    if (m->quote_proto != IPPROTO_ICMP || (rd16(q + 6) & 0x1fffu) != 0)
        return ICR__PARSE_OK;
    return parse_quoted_icmp(m, q + ihl, qlen - ihl, ICR__ICMP4_ECHO_REQUEST);
}

static int parse_quote6(struct icr__icmp_msg *m, const uint8_t *q, size_t qlen)
{
    if (qlen == 0)
        return ICR__PARSE_TRUNC_QUOTE;
    if (q[0] >> 4 != 6)
        return ICR__PARSE_BAD_QUOTE;
    if (qlen < ICR__IPV6_HDR_LEN)
        return ICR__PARSE_TRUNC_QUOTE;
    m->quote_ttl = q[7];
    addr6(&m->quote_src, q + 8);
    addr6(&m->quote_dst, q + 24);

    /* Walk the extension headers a probe can plausibly carry.  Each step
     * advances by at least 8 bytes and is checked against qlen, so the
     * loop ends within qlen / 8 rounds whatever the bytes say. */
    unsigned nh = q[6];
    size_t off = ICR__IPV6_HDR_LEN;
    for (;;) {
        if (nh == IP6_NH_HOPOPTS || nh == IP6_NH_ROUTING || nh == IP6_NH_DSTOPTS ||
            nh == IP6_NH_AH) {
            if (qlen - off < 2)
                return ICR__PARSE_TRUNC_QUOTE;
            /* Length in 8-octet units not counting the first (RFC 8200
             * 4.3), except AH: 4-octet units minus 2 (RFC 4302 2.2). */
            size_t hlen = nh == IP6_NH_AH ? ((size_t)q[off + 1] + 2) * 4
                                          : ((size_t)q[off + 1] + 1) * 8;
            if (qlen - off < hlen)
                return ICR__PARSE_TRUNC_QUOTE;
            nh = q[off];
            off += hlen;
        } else if (nh == IP6_NH_FRAGMENT) {
            if (qlen - off < 8)
                return ICR__PARSE_TRUNC_QUOTE;
            /* A non-first fragment carries no upper-layer header: report
             * the fragment header as the protocol, nothing to match. */
            if (rd16(q + off + 2) & 0xfff8u) {
                m->has_quote = true;
                m->quote_proto = IP6_NH_FRAGMENT;
                return ICR__PARSE_OK;
            }
            nh = q[off];
            off += 8;
        } else {
            break;
        }
    }
    m->has_quote = true;
    m->quote_proto = (int)nh;
    if (nh != IPPROTO_ICMPV6)
        return ICR__PARSE_OK;
    return parse_quoted_icmp(m, q + off, qlen - off, ICR__ICMP6_ECHO_REQUEST);
}

static void parse_echo(struct icr__icmp_msg *m, const uint8_t *icmp, size_t len)
{
    m->is_echo = true;
    m->id = rd16(icmp + 4);
    m->seq = rd16(icmp + 6);
    m->data = icmp + ICR__ICMP_HDR_LEN;
    m->data_len = len - ICR__ICMP_HDR_LEN;
}

/* Everything after the IP layer, shared by both families.  icmp/len have
 * been bounded by the caller; the checksum has been checked (or skipped). */
static int parse_body(struct icr__icmp_msg *m, const uint8_t *icmp, size_t len)
{
    m->type = icmp[0];
    m->code = icmp[1];
    m->icmp = icmp;
    m->icmp_len = len;

    const uint8_t *q = icmp + ICR__ICMP_HDR_LEN;
    size_t qlen = len - ICR__ICMP_HDR_LEN;
    /* Byte offset of the RFC 4884 length field, 0 for "none". */
    size_t rfc4884_at = 0;
    unsigned rfc4884_unit = 0;

    if (m->family == AF_INET) {
        switch (m->type) {
        case ICR__ICMP4_ECHO_REPLY:
        case ICR__ICMP4_ECHO_REQUEST:
            parse_echo(m, icmp, len);
            return ICR__PARSE_OK;
        case ICR__ICMP4_UNREACH:
            if (m->code == ICMP4_CODE_FRAG_NEEDED)
                m->mtu = rd16(icmp + 6); /* RFC 1191 */
            rfc4884_at = 5;
            rfc4884_unit = 4;
            break;
        case ICR__ICMP4_TIME_EXCEEDED:
        case ICR__ICMP4_PARAM_PROBLEM:
            rfc4884_at = 5;
            rfc4884_unit = 4;
            break;
        case ICR__ICMP4_REDIRECT:
        case ICMP4_SOURCE_QUENCH:
            break;
        default:
            return ICR__PARSE_OK;
        }
    } else {
        switch (m->type) {
        case ICR__ICMP6_ECHO_REPLY:
        case ICR__ICMP6_ECHO_REQUEST:
            parse_echo(m, icmp, len);
            return ICR__PARSE_OK;
        case ICR__ICMP6_PACKET_TOO_BIG:
            m->mtu = rd32(icmp + 4);
            break;
        case ICR__ICMP6_UNREACH:
        case ICR__ICMP6_TIME_EXCEEDED:
            rfc4884_at = 4;
            rfc4884_unit = 8;
            break;
        case ICR__ICMP6_PARAM_PROBLEM:
            break;
        default:
            return ICR__PARSE_OK;
        }
    }

    m->is_error = true;
    if (rfc4884_at) {
        /* With extensions the quote is padded and followed by them; cut it
         * at its announced length so quote_data is the datagram only.  A
         * length under the RFC's 128-byte minimum is pre-RFC 4884 junk in
         * an unused field and ignored. */
        size_t qn = (size_t)icmp[rfc4884_at] * rfc4884_unit;
        if (qn >= RFC4884_MIN_QUOTE && qn <= qlen)
            qlen = qn;
    }
    return m->family == AF_INET ? parse_quote4(m, q, qlen) : parse_quote6(m, q, qlen);
}

/* The fields a message has when no IPv4 header came with it. */
static struct icr__icmp_msg msg_init(int family)
{
    return (struct icr__icmp_msg){
        .family = family,
        .ttl = -1,
        .tos = -1,
        .quote_ttl = -1,
        .quote_proto = -1,
    };
}

int icr__parse_ipv4(const uint8_t *buf, size_t len, struct icr__icmp_msg *ret)
{
    assert(buf != NULL || len == 0);
    assert(ret != NULL);
    if (len < ICR__IPV4_HDR_LEN)
        return ICR__PARSE_TRUNC_IP;
    if (buf[0] >> 4 != 4)
        return ICR__PARSE_BAD_IP;
    size_t ihl = (size_t)(buf[0] & 0x0f) * 4;
    if (ihl < ICR__IPV4_HDR_LEN)
        return ICR__PARSE_BAD_IP;
    if (len < ihl)
        return ICR__PARSE_TRUNC_IP;
    /* Linux raw sockets hand the header over as received, total length in
     * network order (BSDs rewrite it; we are Linux-only).  Bytes beyond it
     * are link-layer padding, not ICMP. */
    size_t tot = rd16(buf + 2);
    if (tot < ihl)
        return ICR__PARSE_BAD_IP;
    if (len < tot)
        return ICR__PARSE_TRUNC_IP;
    if (buf[9] != IPPROTO_ICMP)
        return ICR__PARSE_BAD_IP;
    if (tot - ihl < ICR__ICMP_HDR_LEN)
        return ICR__PARSE_TRUNC_ICMP;
    if (icr__checksum(buf + ihl, tot - ihl) != 0)
        return ICR__PARSE_BAD_CSUM;

    struct icr__icmp_msg m = msg_init(AF_INET);
    m.tos = buf[1];
    m.ip_id = rd16(buf + 4);
    m.ttl = buf[8];
    addr4(&m.src, buf + 12);
    addr4(&m.dst, buf + 16);
    int r = parse_body(&m, buf + ihl, tot - ihl);
    if (r == ICR__PARSE_OK)
        *ret = m;
    return r;
}

int icr__parse_icmp(const uint8_t *buf, size_t len, int family, const struct in6_addr *src,
                    const struct in6_addr *dst, struct icr__icmp_msg *ret)
{
    assert(buf != NULL || len == 0);
    assert(ret != NULL);
    assert(family == AF_INET || family == AF_INET6);
    if (len < ICR__ICMP_HDR_LEN)
        return ICR__PARSE_TRUNC_ICMP;
    if (family == AF_INET) {
        if (icr__checksum(buf, len) != 0)
            return ICR__PARSE_BAD_CSUM;
    } else if (src != NULL && dst != NULL) {
        if (icr__icmp6_checksum(src, dst, buf, len) != 0)
            return ICR__PARSE_BAD_CSUM;
    }

    struct icr__icmp_msg m = msg_init(family == AF_INET ? AF_INET : AF_INET6);
    int r = parse_body(&m, buf, len);
    if (r == ICR__PARSE_OK)
        *ret = m;
    return r;
}

const char *icr__parse_strerror(int status)
{
    switch (status) {
    case ICR__PARSE_OK:
        return "Packet parsed";
    case ICR__PARSE_TRUNC_IP:
        return "Truncated IPv4 packet: shorter than its header or total length";
    case ICR__PARSE_BAD_IP:
        return "Not an IPv4 ICMP packet (version, header length or protocol)";
    case ICR__PARSE_TRUNC_ICMP:
        return "Truncated ICMP message: fewer than 8 bytes";
    case ICR__PARSE_BAD_CSUM:
        return "ICMP checksum does not verify";
    case ICR__PARSE_TRUNC_QUOTE:
        return "ICMP error message whose quoted packet is cut short";
    case ICR__PARSE_BAD_QUOTE:
        return "ICMP error message whose quoted packet is not of the expected IP version";
    default:
        return "Unknown parse status";
    }
}
