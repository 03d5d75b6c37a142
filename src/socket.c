/* socket.c - icmplib's ICMPv4Socket / ICMPv6Socket: one blocking ICMP socket,
 * raw (privileged) or datagram (Linux "ping" socket, unprivileged), with
 * send(request) and receive(request, timeout).
 *
 * This is the classic, one-packet-at-a-time layer.  Sweeps do not come
 * through here; they use the io_uring engine.  What the two share is the
 * packet codec (packet.c).
 */
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/errqueue.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "abi.h"
#include "icmpring.h"
#include "packet.h"
#include "sockopt.h"

/* Headroom on top of the largest payload sent: outer IPv4 header with
 * options (60) + ICMP header (8), and, for errors, the quoted packet, which
 * is at most 576 bytes in IPv4 (RFC 1812) and 1232 in IPv6 (RFC 4443). */
#define RX_HEADROOM 1536

struct icr_socket {
    int fd;               /* -1 once closed */
    int family;
    bool privileged;      /* raw socket */
    bool broadcast;       /* SO_BROADCAST is on */
    char *source;         /* as given at open, or NULL */
    int cur_ttl;          /* last TTL/hop limit set on the socket, -1 unknown */
    int cur_tclass;       /* last TOS/traffic class set, -1 unknown */
    int dgram_id;         /* datagram socket: the id the kernel bound, -1 unknown */
    uint8_t *tx;          /* echo request being built */
    size_t tx_cap;
    uint8_t *rx;          /* receive buffer, grown to fit the largest payload sent */
    size_t rx_cap;
};

static int64_t now_ns(clockid_t clk) {
    struct timespec ts;
    (void)clock_gettime(clk, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int grow(uint8_t **buf, size_t *cap, size_t need) {
    if (*cap >= need)
        return 0;
    uint8_t *n = realloc(*buf, need);
    if (!n)
        return ICR_ENOMEM;
    *buf = n;
    *cap = need;
    return 0;
}

ICR_EXPORT int icr_socket_open(const struct icr_socket_opts *opts, icr_socket **ret_sock) {
    struct icr_socket_opts in = ICR_SOCKET_OPTS_INIT;
    struct icr_addr src = {.family = AF_UNSPEC};
    struct icr_socket *s;
    int r;

    /* The caller's options over the defaults, by the size rule (abi.h). */
    if (opts && icr__abi_copy_in(&in, sizeof(in), opts, ICR__ABI_MIN_SOCKET_OPTS) < 0)
        return ICR_EINVAL;
    opts = &in;
    if (!ret_sock)
        return ICR_EINVAL;
    if (opts->family != AF_INET && opts->family != AF_INET6)
        return ICR_EINVAL;
    if (opts->privilege != ICR_PRIVILEGED && opts->privilege != ICR_UNPRIVILEGED &&
        opts->privilege != ICR_PRIV_AUTO)
        return ICR_EINVAL;
    if (opts->source) {
        /* icmplib reports an unusable source as SocketAddressError, whether it
         * is malformed or just not ours. */
        if (icr_addr_parse(opts->source, &src) < 0 || src.family != opts->family)
            return ICR_ESOCKADDR;
    }

    s = calloc(1, sizeof(*s));
    if (!s)
        return ICR_ENOMEM;
    *s = (struct icr_socket){
        .fd = -1,
        .family = opts->family,
        .cur_ttl = -1,
        .cur_tclass = -1,
        .dgram_id = -1,
    };

    const int proto = opts->family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
    if (opts->privilege != ICR_UNPRIVILEGED) {
        r = icr__icmp_socket(opts->family, SOCK_RAW, proto);
        if (r >= 0) {
            s->fd = r;
            s->privileged = true;
        } else if (opts->privilege == ICR_PRIVILEGED || r != ICR_ESOCKPERM) {
            goto fail;
        }
    }
    if (s->fd < 0) {
        r = icr__icmp_socket(opts->family, SOCK_DGRAM, proto);
        if (r < 0)
            goto fail;
        s->fd = r;
    }

    if ((r = icr__icmp_rx_setup(s->fd, s->family, s->privileged, true)) < 0)
        goto fail;

    if (opts->source) {
        struct sockaddr_storage ss;
        int len = icr_addr_to_sockaddr(&src, &ss);
        if (len < 0 || bind(s->fd, (struct sockaddr *)&ss, (socklen_t)len) < 0) {
            r = ICR_ESOCKADDR;
            goto fail;
        }
        s->source = strdup(opts->source);
        if (!s->source) {
            r = ICR_ENOMEM;
            goto fail;
        }
    }

    if ((r = grow(&s->rx, &s->rx_cap, RX_HEADROOM + 1024)) < 0)
        goto fail;

    *ret_sock = s;
    return 0;

fail:
    (void)icr_socket_free(s);
    return r;
}

ICR_EXPORT icr_socket *icr_socket_close(icr_socket *s) {
    if (s && s->fd >= 0) {
        (void)close(s->fd);
        s->fd = -1;
    }
    return s;
}

ICR_EXPORT icr_socket *icr_socket_free(icr_socket *s) {
    if (!s)
        return NULL;
    (void)icr_socket_close(s);
    free(s->source);
    free(s->tx);
    free(s->rx);
    free(s);
    return NULL;
}

ICR_EXPORT const char *icr_socket_address(const icr_socket *s) {
    return s ? s->source : NULL;
}

ICR_EXPORT int icr_socket_family(const icr_socket *s) {
    return s ? s->family : ICR_EINVAL;
}

ICR_EXPORT bool icr_socket_is_privileged(const icr_socket *s) {
    return s && s->privileged;
}

ICR_EXPORT bool icr_socket_is_closed(const icr_socket *s) {
    return !s || s->fd < 0;
}

ICR_EXPORT int icr_socket_fd(const icr_socket *s) {
    if (!s)
        return ICR_EINVAL;
    return s->fd >= 0 ? s->fd : ICR_ESOCKUNAVAIL;
}

ICR_EXPORT int icr_socket_get_broadcast(const icr_socket *s) {
    if (!s || s->family != AF_INET)
        return ICR_EINVAL;
    if (s->fd < 0)
        return ICR_ESOCKUNAVAIL;
    return s->broadcast ? 1 : 0;
}

ICR_EXPORT int icr_socket_set_broadcast(icr_socket *s, bool allow) {
    int r;
    if (!s || s->family != AF_INET)
        return ICR_EINVAL;
    if (s->fd < 0)
        return ICR_ESOCKUNAVAIL;
    if ((r = icr__setopt_int(s->fd, SOL_SOCKET, SO_BROADCAST, allow ? 1 : 0)) < 0)
        return r;
    s->broadcast = allow;
    return 0;
}

/* TTL and traffic class are socket options, set only when they change so
 * that a ping loop with constant values costs one sendmsg per packet. */
static int apply_ttl_tclass(struct icr_socket *s, int ttl, int tclass) {
    int r;
    if (ttl != s->cur_ttl) {
        r = s->family == AF_INET ? icr__setopt_int(s->fd, IPPROTO_IP, IP_TTL, ttl)
                                 : icr__setopt_int(s->fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, ttl);
        if (r < 0)
            return r;
        if (s->family == AF_INET6 &&
            (r = icr__setopt_int(s->fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, ttl)) < 0)
            return r;
        s->cur_ttl = ttl;
    }
    if (tclass != s->cur_tclass) {
        r = s->family == AF_INET ? icr__setopt_int(s->fd, IPPROTO_IP, IP_TOS, tclass)
                                 : icr__setopt_int(s->fd, IPPROTO_IPV6, IPV6_TCLASS, tclass);
        if (r < 0)
            return r;
        s->cur_tclass = tclass;
    }
    return 0;
}

/* The payload seed of library-filled payloads.  Only the sequence: on a
 * datagram socket the kernel rewrites the id after we filled the payload. */
static uint32_t fill_seed(uint16_t seq) {
    return 0x69637200u ^ seq;
}

ICR_EXPORT int icr_socket_send(icr_socket *s, struct icr_request *caller_req) {
    /* The caller's request over ICR_REQUEST_INIT by the size rule (abi.h);
     * time_ns and id (first-layout fields) are written back to the caller's. */
    struct icr_request in = ICR_REQUEST_INIT, *req = &in;
    struct sockaddr_storage ss;
    uint32_t base;
    int len, r;

    if (!s || !caller_req || icr__abi_copy_in(&in, sizeof(in), caller_req, ICR__ABI_MIN_REQUEST) < 0)
        return ICR_EINVAL;
    if (s->fd < 0)
        return ICR_ESOCKUNAVAIL;
    if (req->destination.family != s->family || req->ttl < 1 || req->ttl > 255 ||
        req->traffic_class < 0 || req->traffic_class > 255 ||
        req->payload_size > ICR__MAX_PAYLOAD)
        return ICR_EINVAL;
    /* The IPv6 payload limit is the same 65535-byte datagram minus 48 bytes
     * of headers; refuse what the kernel would refuse with EMSGSIZE anyway. */
    if (s->family == AF_INET6 && req->payload_size > 65535 - 8)
        return ICR_EINVAL;

    if ((r = grow(&s->tx, &s->tx_cap, ICR__ICMP_HDR_LEN + req->payload_size)) < 0)
        return r;
    /* The receive buffer must hold the echoed payload whole: icmplib reads
     * 1024 bytes and silently cuts larger replies short. */
    if ((r = grow(&s->rx, &s->rx_cap, RX_HEADROOM + req->payload_size)) < 0)
        return r;

    if (req->payload) {
        len = icr__echo_init(s->tx, s->tx_cap, s->family, req->payload, req->payload_size, &base);
    } else {
        len = icr__echo_init(s->tx, s->tx_cap, s->family, NULL, req->payload_size, &base);
        if (len >= 0)
            icr__payload_fill(s->tx + ICR__ICMP_HDR_LEN, req->payload_size,
                              fill_seed(req->sequence));
        base = icr__csum_add(0, s->tx, (size_t)len);
    }
    if (len < 0)
        return len;
    icr__echo_stamp(s->tx, s->family, base, req->id, req->sequence);

    if ((r = apply_ttl_tclass(s, req->ttl, req->traffic_class)) < 0)
        return r;

    int sslen = icr_addr_to_sockaddr(&req->destination, &ss);
    if (sslen < 0)
        return ICR_EINVAL;

    /* Same clock as SO_TIMESTAMPNS, read as late as we can: the RTT then
     * holds the sendmsg path and the wire, not our own bookkeeping. */
    int64_t t = now_ns(CLOCK_REALTIME);
    ssize_t n = sendto(s->fd, s->tx, (size_t)len, 0, (struct sockaddr *)&ss, (socklen_t)sslen);
    if (n < 0 && !s->privileged && icr__send_err_is_pending_icmp(errno)) {
        /* An earlier error's leftover, not this packet's fate: once more. */
        t = now_ns(CLOCK_REALTIME);
        n = sendto(s->fd, s->tx, (size_t)len, 0, (struct sockaddr *)&ss, (socklen_t)sslen);
    }
    if (n < 0) {
        /* The kernel refuses a broadcast destination without SO_BROADCAST
         * with EACCES (ip_route_output / raw_sendmsg); icmplib maps it to
         * SocketBroadcastError, and so do we. */
        if (errno == EACCES && s->family == AF_INET && !s->broadcast)
            return ICR_ESOCKBROADCAST;
        return -errno;
    }
    caller_req->time_ns = t;

    if (!s->privileged) {
        /* The kernel picked the identifier (the socket's "port"); hand the
         * real one back, as icmplib does, so replies can be matched. */
        if (s->dgram_id < 0) {
            struct sockaddr_storage local;
            socklen_t ll = sizeof(local);
            if (getsockname(s->fd, (struct sockaddr *)&local, &ll) == 0)
                s->dgram_id = ntohs(local.ss_family == AF_INET
                                        ? ((struct sockaddr_in *)&local)->sin_port
                                        : ((struct sockaddr_in6 *)&local)->sin6_port);
        }
        if (s->dgram_id >= 0)
            caller_req->id = (uint16_t)s->dgram_id;
    }
    return 0;
}

ICR_EXPORT int icr_reply_raise_for_status(const struct icr_reply *r) {
    if (!r)
        return ICR_EINVAL;
    if (r->family == AF_INET) {
        switch (r->type) {
        case ICR__ICMP4_ECHO_REPLY: return 0;
        case ICR__ICMP4_UNREACH: return ICR_EUNREACH;
        case ICR__ICMP4_TIME_EXCEEDED: return ICR_ETIMEEXCEEDED;
        default: return ICR_EICMP;
        }
    }
    if (r->family == AF_INET6) {
        switch (r->type) {
        case ICR__ICMP6_ECHO_REPLY: return 0;
        case ICR__ICMP6_UNREACH: return ICR_EUNREACH;
        case ICR__ICMP6_TIME_EXCEEDED: return ICR_ETIMEEXCEEDED;
        default: return ICR_EICMP;
        }
    }
    return ICR_EINVAL;
}

/* What one datagram was, once decoded, whatever path it came by. */
struct rx_info {
    struct icr_addr from;     /* sender of the packet (host or router) */
    struct icr_addr orig_dst; /* errors: where the quoted request went */
    int type, code;
    bool is_echo_reply;
    bool is_error;
    bool quote_is_echo;
    uint16_t id, seq;         /* echo: header's; error: the quoted request's */
    const uint8_t *data;      /* echo reply payload */
    size_t data_len;
    size_t icmp_len;
    int ttl;
    int64_t t_ns;
    uint32_t mtu;             /* errors: the next-hop MTU they name, else 0 */
};

static bool payload_matches(const struct icr_request *req, const uint8_t *data, size_t len) {
    if (len != req->payload_size)
        return false;
    if (req->payload)
        return memcmp(data, req->payload, len) == 0;
    /* Library-filled payload: regenerate the same deterministic fill and
     * compare; on the stack for the usual sizes. */
    uint8_t chunk[256];
    if (len <= sizeof(chunk)) {
        icr__payload_fill(chunk, len, fill_seed(req->sequence));
        return memcmp(chunk, data, len) == 0;
    }
    uint8_t *full = malloc(len);
    if (!full)
        return false;
    icr__payload_fill(full, len, fill_seed(req->sequence));
    bool ok = memcmp(full, data, len) == 0;
    free(full);
    return ok;
}

static bool matches(const struct icr_socket *s, const struct icr_request *req,
                    const struct rx_info *in) {
    if (!req)
        return in->is_echo_reply || in->is_error;
    if (in->is_echo_reply)
        return in->id == req->id && in->seq == req->sequence &&
               (s->broadcast || icr_addr_equal(&in->from, &req->destination));
    if (in->is_error)
        return in->quote_is_echo && in->id == req->id && in->seq == req->sequence &&
               icr_addr_equal(&in->orig_dst, &req->destination);
    return false;
}

/* Walk the control messages of a received datagram. */
static void read_cmsgs(struct msghdr *mh, struct rx_info *in,
                       const struct sock_extended_err **ret_ee) {
    for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
            struct timespec ts;
            memcpy(&ts, CMSG_DATA(c), sizeof(ts));
            in->t_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
        } else if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) ||
                   (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT)) {
            int v;
            memcpy(&v, CMSG_DATA(c), sizeof(v));
            in->ttl = v;
        } else if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
                   (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR)) {
            *ret_ee = (const struct sock_extended_err *)CMSG_DATA(c);
        }
    }
}

/* Decode one packet read from the normal queue. Returns 0 if usable. */
static int decode(const struct icr_socket *s, const uint8_t *buf, size_t n,
                  const struct sockaddr_storage *peer, socklen_t plen, struct rx_info *in) {
    struct icr__icmp_msg m;
    int st;

    if (s->family == AF_INET && s->privileged)
        st = icr__parse_ipv4(buf, n, &m);
    else
        st = icr__parse_icmp(buf, n, s->family, NULL, NULL, &m);
    if (st != ICR__PARSE_OK)
        return -1;

    if (s->family == AF_INET && s->privileged) {
        in->from = m.src;
        in->ttl = m.ttl;
    } else if (icr_addr_from_sockaddr((const struct sockaddr *)peer, plen, &in->from) < 0) {
        return -1;
    }
    in->type = m.type;
    in->code = m.code;
    in->icmp_len = m.icmp_len;
    in->mtu = m.mtu;
    in->is_echo_reply = m.is_echo && m.type == (s->family == AF_INET ? ICR__ICMP4_ECHO_REPLY
                                                                      : ICR__ICMP6_ECHO_REPLY);
    in->is_error = m.is_error;
    if (in->is_echo_reply) {
        in->id = m.id;
        in->seq = m.seq;
        in->data = m.data;
        in->data_len = m.data_len;
    } else if (m.is_error && m.has_quote) {
        in->orig_dst = m.quote_dst;
        in->quote_is_echo = m.quote_is_echo;
        in->id = m.quote_id;
        in->seq = m.quote_seq;
    }
    return 0;
}

/* Decode an ICMP error from a ping socket's error queue: the kernel gives
 * the type/code and the router (offender) in sock_extended_err, the
 * original destination in msg_name, and our own Echo Request as data. */
static int decode_errqueue(const struct icr_socket *s, const uint8_t *buf, size_t n,
                           const struct sockaddr_storage *peer, socklen_t plen,
                           const struct sock_extended_err *ee, struct rx_info *in) {
    if (!ee || (ee->ee_origin != SO_EE_ORIGIN_ICMP && ee->ee_origin != SO_EE_ORIGIN_ICMP6))
        return -1;
    if (icr_addr_from_sockaddr(SO_EE_OFFENDER(ee), sizeof(struct sockaddr_storage), &in->from) <
        0)
        return -1;
    if (icr_addr_from_sockaddr((const struct sockaddr *)peer, plen, &in->orig_dst) < 0)
        return -1;
    /* Redirect / Source Quench: not about our probe (the raw filter drops
     * them; the error queue cannot filter). */
    if (!icr__icmp_is_probe_error(s->family, ee->ee_type))
        return -1;
    in->type = ee->ee_type;
    in->code = ee->ee_code;
    /* The kernel puts the MTU of these in ee_info (icmp_err, icmpv6_err). */
    in->mtu = icr__icmp_error_has_mtu(s->family, ee->ee_type, ee->ee_code) ? ee->ee_info : 0;
    in->is_error = true;
    in->icmp_len = n + ICR__ICMP_HDR_LEN; /* the error's header + our quoted request */
    if (n >= ICR__ICMP_HDR_LEN) {
        in->quote_is_echo = buf[0] == (s->family == AF_INET ? ICR__ICMP4_ECHO_REQUEST
                                                            : ICR__ICMP6_ECHO_REQUEST);
        in->id = (uint16_t)(buf[4] << 8 | buf[5]);
        in->seq = (uint16_t)(buf[6] << 8 | buf[7]);
    }
    /* The error queue has no TTL cmsg for the error itself. */
    in->ttl = -1;
    return 0;
}

ICR_EXPORT int icr_socket_receive(icr_socket *s, const struct icr_request *caller_req,
                                  double timeout, struct icr_reply *ret_reply) {
    /* The size rule (abi.h): the request copied in over ICR_REQUEST_INIT,
     * the reply written up to the caller's size (0: the current struct). */
    struct icr_request in_req = ICR_REQUEST_INIT;
    const struct icr_request *req = caller_req ? &in_req : NULL;
    if (!s || !ret_reply || icr__abi_check_out(ret_reply, ICR__ABI_MIN_REPLY) < 0 ||
        (caller_req &&
         icr__abi_copy_in(&in_req, sizeof(in_req), caller_req, ICR__ABI_MIN_REQUEST) < 0) ||
        !(timeout >= 0) || timeout > 1e9)
        return ICR_EINVAL;
    if (s->fd < 0)
        return ICR_ESOCKUNAVAIL;

    const int64_t deadline = now_ns(CLOCK_MONOTONIC) + (int64_t)(timeout * 1e9);
    union {
        char buf[CMSG_SPACE(sizeof(struct timespec)) + CMSG_SPACE(sizeof(int)) +
                 CMSG_SPACE(sizeof(struct sock_extended_err) + sizeof(struct sockaddr_in6))];
        struct cmsghdr align;
    } control;

    for (;;) {
        int64_t left = deadline - now_ns(CLOCK_MONOTONIC);
        if (left <= 0)
            return ICR_ETIMEOUT;
        struct timespec ts = {.tv_sec = left / 1000000000, .tv_nsec = left % 1000000000};
        struct pollfd pfd = {.fd = s->fd, .events = POLLIN};
        int pr = ppoll(&pfd, 1, &ts, NULL);
        if (pr < 0)
            return -errno; /* -EINTR included: the caller decides whether a
                              signal ends the wait (the CLI's Ctrl-C does) */
        if (pr == 0)
            return ICR_ETIMEOUT;

        /* Ping sockets report ICMP errors as POLLERR with the error queued;
         * raw sockets get them as ordinary packets. */
        int flags = MSG_DONTWAIT;
        if (!s->privileged && (pfd.revents & POLLERR))
            flags |= MSG_ERRQUEUE;

        struct sockaddr_storage peer;
        struct iovec iov = {.iov_base = s->rx, .iov_len = s->rx_cap};
        struct msghdr mh = {
            .msg_name = &peer,
            .msg_namelen = sizeof(peer),
            .msg_iov = &iov,
            .msg_iovlen = 1,
            .msg_control = control.buf,
            .msg_controllen = sizeof(control.buf),
        };
        ssize_t n = recvmsg(s->fd, &mh, flags);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR)
                continue;
            /* A ping socket may also report the error as the recv result
             * when it is not queued; the queue read above handles it. */
            return -errno;
        }

        struct rx_info in = {.ttl = -1};
        const struct sock_extended_err *ee = NULL;
        read_cmsgs(&mh, &in, &ee);
        int d = (flags & MSG_ERRQUEUE)
                    ? decode_errqueue(s, s->rx, (size_t)n, &peer, mh.msg_namelen, ee, &in)
                    : decode(s, s->rx, (size_t)n, &peer, mh.msg_namelen, &in);
        if (d < 0 || !matches(s, req, &in))
            continue;

        if (in.t_ns == 0)
            in.t_ns = now_ns(CLOCK_REALTIME);
        const struct icr_reply reply = {
            .size = sizeof(struct icr_reply),
            .source = in.from,
            .family = s->family,
            .id = in.id,
            .sequence = in.seq,
            .type = in.type,
            .code = in.code,
            .bytes_received = in.icmp_len,
            .time_ns = in.t_ns,
            .ttl = in.ttl,
            .mtu = in.mtu,
            .payload_matches =
                req && in.is_echo_reply && payload_matches(req, in.data, in.data_len),
        };
        icr__abi_copy_out(ret_reply, &reply, sizeof(reply));
        return 0;
    }
}
