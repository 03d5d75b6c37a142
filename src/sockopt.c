/* sockopt.c - owns the ICMP socket options that the classic sockets and the
 * engine share (see sockopt.h). */
#include "sockopt.h"

#include <errno.h>
#include <stdint.h>

#include <linux/icmp.h> /* ICMP_FILTER, struct icmp_filter (no glibc twin) */
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "icmpring.h"
#include "packet.h"

int icr__setopt_int(int fd, int level, int name, int value) {
    return setsockopt(fd, level, name, &value, sizeof(value)) < 0 ? -errno : 0;
}

int icr__icmp_socket(int family, int type, int proto) {
    int fd = socket(family, type | SOCK_CLOEXEC, proto);
    if (fd >= 0)
        return fd;
    /* EPERM: no CAP_NET_RAW.  EACCES: a ping socket for a gid outside
     * net.ipv4.ping_group_range (which also governs IPv6 ping sockets). */
    return (errno == EPERM || errno == EACCES) ? ICR_ESOCKPERM : -errno;
}

int icr__icmp_rx_setup(int fd, int family, bool raw, bool errqueue) {
    int r;
    /* Kernel receive timestamps (CLOCK_REALTIME): RTTs then exclude the time
     * a reply waited in the socket queue for us to be scheduled. */
    if ((r = icr__setopt_int(fd, SOL_SOCKET, SO_TIMESTAMPNS, 1)) < 0)
        return r;
    if (family == AF_INET) {
        if (raw) {
            /* Let through only what a prober can use: Echo Reply and the
             * error messages about a probe.  Echo Requests addressed to this
             * host (our own included, when probing ourselves) would wake us
             * for nothing; Redirect and Source Quench are advice about
             * routes (and forgeable noise), not an answer to a probe, and
             * must not count as errors.  Bits set = types blocked (raw(7)). */
            struct icmp_filter f = {
                .data = ~((1u << ICR__ICMP4_ECHO_REPLY) | (1u << ICR__ICMP4_UNREACH) |
                          (1u << ICR__ICMP4_TIME_EXCEEDED) | (1u << ICR__ICMP4_PARAM_PROBLEM)),
            };
            return setsockopt(fd, SOL_RAW, ICMP_FILTER, &f, sizeof(f)) < 0 ? -errno : 0;
        }
        /* A ping socket hands over the ICMP message without its IP header:
         * the TTL comes as a cmsg, and ICMP errors only through the error
         * queue (IP_RECVERR), never as ordinary reads. */
        if ((r = icr__setopt_int(fd, IPPROTO_IP, IP_RECVTTL, 1)) < 0)
            return r;
        return errqueue ? icr__setopt_int(fd, IPPROTO_IP, IP_RECVERR, 1) : 0;
    }
    if ((r = icr__setopt_int(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1)) < 0)
        return r;
    if (raw) {
        /* Block all but Echo Reply and the errors about a probe: Redirect
         * (137) and the rest of ND/MLD stay out. */
        struct icmp6_filter f;
        ICMP6_FILTER_SETBLOCKALL(&f);
        ICMP6_FILTER_SETPASS(ICR__ICMP6_ECHO_REPLY, &f);
        ICMP6_FILTER_SETPASS(ICR__ICMP6_UNREACH, &f);
        ICMP6_FILTER_SETPASS(ICR__ICMP6_PACKET_TOO_BIG, &f);
        ICMP6_FILTER_SETPASS(ICR__ICMP6_TIME_EXCEEDED, &f);
        ICMP6_FILTER_SETPASS(ICR__ICMP6_PARAM_PROBLEM, &f);
        return setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f)) < 0 ? -errno : 0;
    }
    return errqueue ? icr__setopt_int(fd, IPPROTO_IPV6, IPV6_RECVERR, 1) : 0;
}

bool icr__send_err_is_pending_icmp(int err) {
    /* The errnos icmp_err_convert / icmpv6_err_convert produce, and
     * EMSGSIZE, which ping_err leaves for a Fragmentation Needed (or
     * Packet Too Big) while the socket's pmtudisc is not DONT. */
    return err == EMSGSIZE || err == EHOSTUNREACH || err == ENETUNREACH ||
           err == ECONNREFUSED || err == EPROTO || err == EHOSTDOWN || err == ENONET ||
           err == EACCES;
}

bool icr__icmp_error_has_mtu(int family, int type, int code) {
    if (family == AF_INET)
        return type == ICR__ICMP4_UNREACH && code == 4;
    return family == AF_INET6 && type == ICR__ICMP6_PACKET_TOO_BIG;
}

bool icr__icmp_is_probe_error(int family, int type) {
    if (family == AF_INET)
        return type == ICR__ICMP4_UNREACH || type == ICR__ICMP4_TIME_EXCEEDED ||
               type == ICR__ICMP4_PARAM_PROBLEM;
    return type == ICR__ICMP6_UNREACH || type == ICR__ICMP6_PACKET_TOO_BIG ||
           type == ICR__ICMP6_TIME_EXCEEDED || type == ICR__ICMP6_PARAM_PROBLEM;
}
