/* sockopt.h - ICMP socket plumbing shared by the classic sockets (socket.c)
 * and the engine (sweep.c): opening raw or datagram ICMP sockets with the
 * privilege errors icmplib reports, and the receive options both need. */
#ifndef ICR_SOCKOPT_H
#define ICR_SOCKOPT_H

#include <stdbool.h>

/* setsockopt of an int: 0 or -errno. */
int icr__setopt_int(int fd, int level, int name, int value);

/* socket(family, type | SOCK_CLOEXEC, proto): the descriptor, ICR_ESOCKPERM
 * when the kernel says EPERM/EACCES, or -errno. */
int icr__icmp_socket(int family, int type, int proto);

/* Receive options: kernel timestamps (SO_TIMESTAMPNS), the reply's TTL or
 * hop limit where no IP header carries it, and on raw sockets an ICMP
 * filter that lets in only Echo Replies and error messages.  `errqueue`
 * also asks a datagram socket for ICMP errors on its error queue
 * (IP_RECVERR), for callers that read that queue.  0 or -errno. */
int icr__icmp_rx_setup(int fd, int family, bool raw, bool errqueue);

/* Whether an ICMP error type says something about a probe (Destination
 * Unreachable, Time Exceeded, Parameter Problem, Packet Too Big): what the
 * raw sockets' filters pass.  A ping socket's error queue gets Redirect and
 * Source Quench too (ping_err reports them as EREMOTEIO); readers of that
 * queue skip the types this refuses. */
bool icr__icmp_is_probe_error(int family, int type);

/* Whether an ICMP error names a next-hop MTU: IPv4 Fragmentation Needed
 * (type 3 code 4, RFC 1191) or IPv6 Packet Too Big (type 2). */
bool icr__icmp_error_has_mtu(int family, int type, int code);

/* Whether a send failed only because an earlier ICMP error was pending on
 * the socket (datagram sockets with IP_RECVERR keep it in sk_err, and the
 * next send returns and clears it, in sock_alloc_send_pskb): the send
 * itself never happened, and trying it once more is right.  EMSGSIZE is
 * one of them: a Fragmentation Needed / Packet Too Big leaves it pending
 * (ping_err, pmtudisc WANT); a send that is really too big fails again. */
bool icr__send_err_is_pending_icmp(int err);

#endif /* ICR_SOCKOPT_H */
