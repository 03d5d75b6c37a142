/* reply.h - what a received datagram means to the engine: the pure path
 * from bytes to a verdict.  A reply (parse, Echo Reply or ICMP error about
 * an Echo Request, the probe check with the quote it has, then the probe's
 * index, number and hop) and an error-queue message of a datagram socket
 * (sock_extended_err, the offender, the probed address and our quoted
 * request) become an icr_result and an icr__probe_info, or are skipped.
 *
 * No socket, no ring, no engine state: engine.c calls these with what it
 * received and keeps the counting and the dispatch to the job; the fuzz
 * harnesses (tests/fuzz/fuzz-reply.c, fuzz-errqueue.c) call them with any
 * bytes. */
#ifndef ICR_REPLY_H
#define ICR_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "icmpring.h"
#include "probe.h"
#include "siphash.h"

/* What the checks need to know of the job, as of this receive. */
struct icr__verify_cfg {
    const struct icr__sipkey *key;
    bool privileged;     /* raw sockets: the id carries MAC bits, and IPv4
                            comes with its IP header (ours in quotes) */
    bool ttl_in_tag;     /* the tag carries the hop (traceroute) */
    uint8_t ttl;         /* the hop of every probe without ttl_in_tag */
    uint32_t latest;     /* the highest pass opened so far */
    uint32_t count;      /* passes; 0 = until stopped */
    uint64_t nindex;     /* target indexes are < nindex */
    size_t payload_size; /* of the probes sent */
    /* The index of dst for a quote too short to carry it; < 0 when dst is
     * not a target.  May be NULL (such quotes are then invalid). */
    int (*lookup)(void *job, const struct icr_addr *dst, uint64_t *ret_index);
    void *job;
};

enum icr__verdict {
    ICR__REPLY_SKIP = 0,    /* unparsable, or not about an Echo Request: not ours to judge */
    ICR__REPLY_INVALID = 1, /* about an Echo Request, but no probe of this job */
    ICR__REPLY_VALID = 2,   /* *ret_res and *ret_info are filled */
};

/* Check a probe to dst as echoed or quoted: id and seq, the payload pl
 * (may be short for errors; need_payload: an Echo Reply, whose payload
 * must be whole), and with has_ip_id the quoted IPv4 id.  Then the range
 * checks (probe < count, probe <= latest, hop != 0, index < nindex) and the
 * lookup for quotes without an index.  On true *ret is filled; its sent_ns
 * is -1 when no payload carried it. */
bool icr__verify_probe(const struct icr__verify_cfg *v, const struct icr_addr *dst, uint16_t id,
                       uint16_t seq, const uint8_t *pl, size_t pl_len, bool need_payload,
                       bool has_ip_id, uint16_t ip_id, struct icr__probe_info *ret);

/* A datagram from a receive socket of `family` (AF_INET: with its IP
 * header when v->privileged, i.e. raw; AF_INET6 and datagram sockets: the
 * ICMP message alone), from the peer name/namelen (unused for raw IPv4),
 * cmsg_ttl the IP_TTL / IPV6_HOPLIMIT it came with (-1 if none).  Returns
 * an icr__verdict; on ICR__REPLY_INVALID and ICR__REPLY_VALID *ret_res has
 * kind, type, code, ttl, bytes_received, responder and target. */
int icr__reply_decode(const struct icr__verify_cfg *v, int family, const uint8_t *data,
                      size_t len, const struct sockaddr *name, socklen_t namelen, int cmsg_ttl,
                      struct icr_result *ret_res, struct icr__probe_info *ret_info);

/* One message of a datagram socket's error queue (IP_RECVERR /
 * IPV6_RECVERR): ctrl/ctrl_len its control data (sock_extended_err, the
 * offender after it as far as its cmsg_len holds it, SCM_TIMESTAMPNS),
 * name/namelen the probed address, data/len our Echo Request as quoted.
 * Returns ICR__REPLY_SKIP for what is no answer to a probe (Redirect,
 * Source Quench, a local error, no offender, another family), else
 * INVALID or VALID as icr__reply_decode; *ret_t_ns gets the timestamp
 * (0 if none). */
int icr__errqueue_decode(const struct icr__verify_cfg *v, int family, const void *ctrl,
                         size_t ctrl_len, const void *name, socklen_t namelen,
                         const uint8_t *data, size_t len, struct icr_result *ret_res,
                         struct icr__probe_info *ret_info, int64_t *ret_t_ns);

#endif /* ICR_REPLY_H */
