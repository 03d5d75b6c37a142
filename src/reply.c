/* reply.c - from received bytes to a verdict (reply.h): the stateless
 * validation the engine runs on every reply and every error-queue message.
 * Pure: what it needs of the job comes in struct icr__verify_cfg. */
#include "reply.h"

#include <string.h>

#include <linux/errqueue.h> /* sock_extended_err */
#include <netinet/in.h>

#include "cmsg.h"
#include "packet.h"
#include "sockopt.h"

bool icr__verify_probe(const struct icr__verify_cfg *v, const struct icr_addr *dst, uint16_t id,
                       uint16_t seq, const uint8_t *pl, size_t pl_len, bool need_payload,
                       bool has_ip_id, uint16_t ip_id, struct icr__probe_info *ret) {
    /* On a datagram socket the kernel owns the id: only seq and payload
     * carry the MAC there. */
    bool check_id = v->privileged;
    int st;
    if (pl_len >= v->payload_size || need_payload)
        st = icr__probe_check(v->key, dst, id, seq, check_id, v->ttl_in_tag, pl, pl_len, ret);
    else
        st = ICR__PROBE_NO_HDR; /* a quote cut short: the Paris word cannot be checked */
    if (st == ICR__PROBE_NO_HDR && !need_payload)
        st = icr__probe_check_short(v->key, dst, id, seq, check_id, has_ip_id, ip_id,
                                    v->ttl_in_tag, v->ttl, v->latest, ret);
    if (st != ICR__PROBE_VALID)
        return false;
    /* A valid MAC for a probe this job never sent would need the key; the
     * range checks keep a bug from indexing past the job's arrays. */
    if ((v->count && ret->probe >= v->count) || ret->probe > v->latest || ret->hop == 0)
        return false;
    if (ret->index == UINT64_MAX) {
        if (!v->lookup || v->lookup(v->job, dst, &ret->index) < 0)
            return false;
    }
    return ret->index < v->nindex;
}

int icr__reply_decode(const struct icr__verify_cfg *v, int family, const uint8_t *data,
                      size_t len, const struct sockaddr *name, socklen_t namelen, int cmsg_ttl,
                      struct icr_result *ret_res, struct icr__probe_info *ret_info) {
    struct icr__icmp_msg m;
    bool raw4 = family == AF_INET && v->privileged;
    int st = raw4 ? icr__parse_ipv4(data, len, &m)
                  : icr__parse_icmp(data, len, family, NULL, NULL, &m);
    if (st != ICR__PARSE_OK)
        return ICR__REPLY_SKIP;

    struct icr_result res = {
        .size = sizeof(res),
        .type = m.type,
        .code = m.code,
        .ttl = raw4 ? m.ttl : cmsg_ttl,
        .bytes_received = m.icmp_len,
        .mtu = m.mtu,
    };
    if (raw4)
        res.responder = m.src;
    else if (icr_addr_from_sockaddr(name, namelen, &res.responder) < 0)
        return ICR__REPLY_SKIP;

    bool ok;
    int echo_reply = family == AF_INET ? ICR__ICMP4_ECHO_REPLY : ICR__ICMP6_ECHO_REPLY;
    if (m.is_echo && m.type == echo_reply) {
        res.kind = ICR_RESULT_ECHO;
        res.target = res.responder;
        ok = icr__verify_probe(v, &res.target, m.id, m.seq, m.data, m.data_len, true, false, 0,
                               ret_info);
    } else if (m.is_error && m.has_quote && m.quote_is_echo) {
        /* Fragmentation Needed from our own source address is our kernel
         * refusing a DF probe beyond the path MTU it knows (IP_HDRINCL,
         * ip_fragment): not an answer from the path; the engine sends the
         * probe again without DF (engine.c on_sent). */
        if (raw4 && m.type == ICR__ICMP4_UNREACH && m.code == 4 &&
            icr_addr_equal(&res.responder, &m.quote_src))
            return ICR__REPLY_SKIP;
        res.kind = ICR_RESULT_ERROR;
        res.target = m.quote_dst;
        ok = icr__verify_probe(v, &res.target, m.quote_id, m.quote_seq, m.quote_data,
                               m.quote_data_len, false, raw4, m.quote_ip_id, ret_info);
    } else {
        return ICR__REPLY_SKIP; /* not about an Echo Request: not ours to judge */
    }
    *ret_res = res;
    return ok ? ICR__REPLY_VALID : ICR__REPLY_INVALID;
}

int icr__errqueue_decode(const struct icr__verify_cfg *v, int family, const void *ctrl,
                         size_t ctrl_len, const void *name, socklen_t namelen,
                         const uint8_t *data, size_t len, struct icr_result *ret_res,
                         struct icr__probe_info *ret_info, int64_t *ret_t_ns) {
    struct sock_extended_err ee;
    const uint8_t *ee_data = NULL;
    size_t ee_room = 0;
    int64_t t_ns = 0;
    struct icr__cmsg cm;

    for (size_t pos = 0; icr__cmsg_next(ctrl, ctrl_len, &pos, &cm);) {
        if (cm.level == SOL_SOCKET && cm.type == SCM_TIMESTAMPNS) {
            if (cm.len >= sizeof(struct timespec))
                t_ns = icr__cmsg_ts_ns(cm.data);
        } else if ((cm.level == IPPROTO_IP && cm.type == IP_RECVERR) ||
                   (cm.level == IPPROTO_IPV6 && cm.type == IPV6_RECVERR)) {
            /* What the control message holds, bounded by the buffer
             * (icr__cmsg_next): the offender is read no further. */
            ee_data = cm.data;
            ee_room = cm.len;
        }
    }
    *ret_t_ns = t_ns;
    if (!ee_data || ee_room < sizeof(ee))
        return ICR__REPLY_SKIP;
    memcpy(&ee, ee_data, sizeof(ee)); /* control data need not be aligned */
    /* Ping sockets queue Redirect and Source Quench too: not about
     * whether a probe arrived, so not ours to count. */
    if ((ee.ee_origin != SO_EE_ORIGIN_ICMP && ee.ee_origin != SO_EE_ORIGIN_ICMP6) ||
        !icr__icmp_is_probe_error(family, ee.ee_type) || len < ICR__ICMP_HDR_LEN)
        return ICR__REPLY_SKIP;

    struct icr_result res = {
        .size = sizeof(res),
        .kind = ICR_RESULT_ERROR,
        .type = ee.ee_type,
        .code = ee.ee_code,
        .ttl = -1, /* the error's own TTL does not come with the queue */
        .bytes_received = len + ICR__ICMP_HDR_LEN,
        /* The kernel puts the MTU of Fragmentation Needed and Packet Too
         * Big in ee_info (icmp_err / icmpv6_err). */
        .mtu = icr__icmp_error_has_mtu(family, ee.ee_type, ee.ee_code) ? ee.ee_info : 0,
    };
    /* The offender follows the extended error (SO_EE_OFFENDER), as far as
     * the control message holds it - not a whole sockaddr_storage. */
    struct sockaddr_storage off = {0}, probed = {0};
    size_t off_len = ee_room - sizeof(ee);
    if (off_len > sizeof(off))
        off_len = sizeof(off);
    memcpy(&off, ee_data + sizeof(ee), off_len);
    size_t probed_len = namelen > sizeof(probed) ? sizeof(probed) : (size_t)namelen;
    if (name && probed_len)
        memcpy(&probed, name, probed_len);
    else
        probed_len = 0;
    if (icr_addr_from_sockaddr((struct sockaddr *)&off, (socklen_t)off_len, &res.responder) < 0 ||
        icr_addr_from_sockaddr((struct sockaddr *)&probed, (socklen_t)probed_len,
                               &res.target) < 0 ||
        res.target.family != family)
        return ICR__REPLY_SKIP;

    uint16_t id = (uint16_t)(data[4] << 8 | data[5]), seq = (uint16_t)(data[6] << 8 | data[7]);
    bool ok = icr__verify_probe(v, &res.target, id, seq, data + ICR__ICMP_HDR_LEN,
                                len - ICR__ICMP_HDR_LEN, false, false, 0, ret_info);
    *ret_res = res;
    return ok ? ICR__REPLY_VALID : ICR__REPLY_INVALID;
}
