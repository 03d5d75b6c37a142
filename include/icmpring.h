/* icmpring.h - the one public header of libicmpring.
 *
 * icmpring is icmplib 3.0 in C (ping, sockets, requests and replies, resolve,
 * the error hierarchy) on top of an io_uring batch engine.
 *
 * Conventions (read once, they hold for every function below):
 *  - Every name starts with icr_ / ICR_.  Handles are opaque.
 *  - Functions that can fail return an int: >= 0 on success, a negative
 *    ICR_E* code (or a negative errno, see icr_error_is(ICR_ESYSTEM)) on
 *    failure.  icr_strerror() turns any of them into a sentence.
 *  - Out-parameters come last, are named ret_*, and are left untouched when
 *    the call fails.
 *  - Destructors accept NULL and return NULL: `s = icr_socket_free(s);`.
 *  - Options structs start with a `size` field and have an *_INIT macro that
 *    holds icmplib's defaults; always start from the macro.
 *  - Structs grow only at their end, and `size` says which layout a program
 *    was built with (the kernel's clone3/openat2 rule), so a program built
 *    against an older or a newer header works with this library:
 *      Input structs (options, requests) the caller passes: a size smaller
 *      than this library's is accepted down to the struct's first
 *      published layout (this library's 0.1.0 header before any field was
 *      appended); the fields past the caller's size take their INIT macro's
 *      values.  A size larger than this library's is accepted when the
 *      bytes past this library's struct are all zero (the INIT values of
 *      fields it does not know); a non-zero byte there, or a size below the
 *      first layout (0 included), is ICR_EINVAL.
 *      Output structs the caller allocates (stats, replies, hosts): `size`
 *      is the caller's sizeof, or 0 for "this library's struct" (a
 *      zero-initialised struct).  min(size, this library's sizeof) bytes
 *      are written, never a byte past the caller's size, and `size` is set
 *      to that count: fields at or past it were not written.  A size below
 *      the first layout (other than 0) is ICR_EINVAL.
 *      Structs the library hands out (results and hosts passed to
 *      callbacks, arrays it allocates) are this library's: their `size`
 *      is its sizeof, and a program reads only the fields below both that
 *      size and its own sizeof.
 *    Fields are appended so that sizeof grows (a field that would fit in
 *    the old trailing padding is preceded by explicit padding): an old
 *    caller's padding bytes are never read as a new field.
 *  - The library never prints, never exits and keeps no mutable globals.
 *    A handle may be used from one thread at a time unless its function
 *    says otherwise.
 */
#ifndef ICMPRING_H
#define ICMPRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <netinet/in.h>
#include <sys/socket.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(ICR_BUILDING_LIBRARY) && defined(__GNUC__)
#define ICR_EXPORT __attribute__((visibility("default")))
#else
#define ICR_EXPORT
#endif

#define ICR_VERSION_MAJOR 0
#define ICR_VERSION_MINOR 1
#define ICR_VERSION_PATCH 0

/* The library's version as "MAJOR.MINOR.PATCH".  Never NULL. */
ICR_EXPORT const char *icr_version(void);

/* ------------------------------------------------------------------------
 * Errors
 *
 * The codes mirror icmplib's exceptions one for one, plus what C needs.
 * Codes are only ever added at the end of the map, never renumbered.
 *
 * Negative values from -1 to -4095 are negative errno values (a system
 * error, errno kept): icr_error_is(code, ICR_ESYSTEM) is true for them,
 * icr_errno(code) gives the errno and icr_strerror() the system's text.
 *
 * XX(name, value, icmplib class, message)
 * ------------------------------------------------------------------------ */
#define ICR_ERRNO_MAP(XX)                                                                    \
    XX(EINVAL, -5001, "-", "Invalid argument")                                               \
    XX(ENOMEM, -5002, "-", "Out of memory")                                                  \
    XX(ENAMELOOKUP, -5003, "NameLookupError", "The name cannot be resolved")                 \
    XX(ESOCKADDR, -5004, "SocketAddressError",                                               \
       "The requested address cannot be assigned")                                           \
    XX(ESOCKPERM, -5005, "SocketPermissionError",                                            \
       "Root privileges are required to create the socket")                                  \
    XX(ESOCKUNAVAIL, -5006, "SocketUnavailableError",                                        \
       "The socket can no longer be used after its closure")                                 \
    XX(ESOCKBROADCAST, -5007, "SocketBroadcastError",                                        \
       "Broadcast is not allowed: please use the broadcast property to allow it")            \
    XX(ETIMEOUT, -5008, "TimeoutExceeded", "The timeout has been reached")                   \
    XX(EICMP, -5009, "ICMPError", "An ICMP error message was received")                      \
    XX(EUNREACH, -5010, "DestinationUnreachable", "Destination unreachable")                 \
    XX(ETIMEEXCEEDED, -5011, "TimeExceeded", "Time exceeded")                                \
    XX(ESOCKET, -5012, "ICMPSocketError", "The socket reported an error")                    \
    XX(ESYSTEM, -5013, "-", "System error")                                                  \
    XX(EIFDOWN, -5014, "-", "The network interface went down")                               \
    XX(ESTOPPED, -5015, "-", "The job was stopped")

enum icr_error {
#define ICR__XX(name, value, cls, msg) ICR_##name = (value),
    ICR_ERRNO_MAP(ICR__XX)
#undef ICR__XX
};

/* A sentence for any return code: an ICR_E* code, a negative errno, or 0
 * ("Success").  Never NULL; the string is static. */
ICR_EXPORT const char *icr_strerror(int code);

/* The name of the code ("ICR_ETIMEOUT"), "ICR_OK" for 0 (success),
 * "ICR_ESYSTEM" for negative errnos, "ICR_UNKNOWN" otherwise.  Never NULL. */
ICR_EXPORT const char *icr_error_name(int code);

/* Whether `code` belongs to the family `family`, as Python's except clause
 * does with icmplib's classes:
 *   ICR_ESOCKET   ICMPSocketError: ESOCKET, ESOCKADDR, ESOCKPERM, ESOCKUNAVAIL,
 *                 ESOCKBROADCAST, ETIMEOUT (TimeoutExceeded is an
 *                 ICMPSocketError in icmplib) and ESYSTEM.
 *   ICR_EICMP     ICMPError: EICMP, EUNREACH, ETIMEEXCEEDED.
 *   ICR_ESYSTEM   negative errno values and ESYSTEM itself.
 *   any other     code == family.
 * Returns false for code >= 0. */
ICR_EXPORT bool icr_error_is(int code, int family);

/* The errno kept in a system error (-code for -4095..-1), 0 otherwise. */
ICR_EXPORT int icr_errno(int code);

/* icmplib's message for an ICMP error message type/code:
 * Destination Unreachable codes 0-15 (IPv4) and 0-6 (IPv6), Time Exceeded
 * codes 0-1, e.g. "Destination host unreachable", "Time to live exceeded".
 * `family` is AF_INET or AF_INET6.  Returns NULL for Echo Reply and for
 * every type that has no table - the other error types too (Source Quench,
 * Redirect, Parameter Problem, Packet Too Big), which icmplib words only as
 * "Error type: T, code: C" - and for another family; an unknown code of a
 * known type gives "Destination unreachable, bad code" / "Time exceeded,
 * bad code". */
ICR_EXPORT const char *icr_icmp_message(int family, int type, int code);

/* ------------------------------------------------------------------------
 * Addresses
 * ------------------------------------------------------------------------ */

/* An IPv4 or IPv6 address.  family is AF_INET, AF_INET6, or AF_UNSPEC (0)
 * for "none".  scope_id is the IPv6 zone (interface index), 0 if none. */
struct icr_addr {
    sa_family_t family;
    uint32_t scope_id;
    union {
        struct in_addr v4;
        struct in6_addr v6;
        uint8_t bytes[16];
    };
};

/* Room for any formatted address, zone included. */
#define ICR_ADDRSTRLEN (INET6_ADDRSTRLEN + 1 + 16)

/* Parse a literal address: dotted-quad IPv4 (exactly four decimal parts,
 * each 0-255, no leading zeros) or IPv6 (with an optional %zone, which
 * must name an existing interface or be a number).
 * Returns 0, or ICR_EINVAL for anything else (hostnames included). */
ICR_EXPORT int icr_addr_parse(const char *s, struct icr_addr *ret_addr);

/* Format `a` into buf (ICR_ADDRSTRLEN bytes is always enough).
 * Returns buf, or NULL if a is NULL/unspecified or len is too small. */
ICR_EXPORT char *icr_addr_format(const struct icr_addr *a, char *buf, size_t len);

/* Whether two addresses are equal (family, bytes and scope). */
ICR_EXPORT bool icr_addr_equal(const struct icr_addr *a, const struct icr_addr *b);

/* Convert to/from a sockaddr.  to_sockaddr fills *ret_ss and returns its
 * length, or ICR_EINVAL.  from_sockaddr returns 0 or ICR_EINVAL. */
ICR_EXPORT int icr_addr_to_sockaddr(const struct icr_addr *a, struct sockaddr_storage *ret_ss);
ICR_EXPORT int icr_addr_from_sockaddr(const struct sockaddr *sa, socklen_t len,
                                      struct icr_addr *ret_addr);

/* Strict classifiers (icmplib's are loose regexes).
 * icr_is_ipv4_address: exactly what icr_addr_parse accepts as IPv4.
 * icr_is_ipv6_address: what icr_addr_parse accepts as IPv6 (zone syntax
 *   checked, the interface need not exist).
 * icr_is_hostname: an RFC 1123 host name: labels of 1-63 letters, digits and
 *   hyphens, not starting or ending with a hyphen, total <= 253 characters
 *   (one trailing dot allowed), and not all-numeric (so "1.2.3" is not a
 *   host name).  NULL gives false. */
ICR_EXPORT bool icr_is_ipv4_address(const char *s);
ICR_EXPORT bool icr_is_ipv6_address(const char *s);
ICR_EXPORT bool icr_is_hostname(const char *s);

/* Resolve `name` into addresses, icmplib's resolve().
 * family: AF_INET, AF_INET6 or AF_UNSPEC (IPv4 addresses first, then IPv6).
 * A literal address comes back as it is, without a lookup (and must match
 * `family` unless that is AF_UNSPEC).  Duplicates are removed.
 * Stores up to `max` addresses in `addrs` and returns how many exist in
 * total (>= 1), which may be more than max.
 * Errors: ICR_EINVAL (NULL name, bad family, addrs NULL with max > 0),
 * ICR_ENAMELOOKUP (no address of that family). Blocks (getaddrinfo). */
ICR_EXPORT int icr_resolve(const char *name, int family, struct icr_addr *addrs, size_t max);

/* ------------------------------------------------------------------------
 * ICMP sockets: icmplib's ICMPv4Socket / ICMPv6Socket
 * ------------------------------------------------------------------------ */

typedef struct icr_socket icr_socket;

enum icr_privilege {
    ICR_PRIVILEGED = 0,   /* a raw socket (needs CAP_NET_RAW); icmplib's default */
    ICR_UNPRIVILEGED = 1, /* a Linux ICMP datagram socket (net.ipv4.ping_group_range) */
    ICR_PRIV_AUTO = 2,    /* raw first, datagram if that is not permitted */
};

struct icr_socket_opts {
    size_t size;        /* sizeof(struct icr_socket_opts) */
    int family;         /* AF_INET (ICMPv4Socket) or AF_INET6 (ICMPv6Socket) */
    const char *source; /* local address to bind, or NULL */
    int privilege;      /* enum icr_privilege */
};

#define ICR_SOCKET_OPTS_INIT                                                                 \
    {                                                                                        \
        .size = sizeof(struct icr_socket_opts), .family = AF_INET, .source = NULL,           \
        .privilege = ICR_PRIVILEGED,                                                         \
    }

/* An Echo Request, icmplib's ICMPRequest. */
struct icr_request {
    size_t size;                 /* sizeof(struct icr_request) */
    struct icr_addr destination; /* where to send */
    uint16_t id;                 /* ICMP identifier (rewritten by the kernel in
                                    unprivileged mode: send() writes back the real one) */
    uint16_t sequence;           /* ICMP sequence number */
    const void *payload;         /* the caller's bytes, or NULL: the library fills */
    size_t payload_size;         /* bytes of payload (icmplib: 56) */
    int ttl;                     /* IPv4 TTL / IPv6 hop limit, 1-255 (icmplib: 64) */
    int traffic_class;           /* IPv4 DS field (TOS byte) / IPv6 traffic class, 0-255 */
    int64_t time_ns;             /* out: send time, CLOCK_REALTIME ns, set by send() */
};

#define ICR_REQUEST_INIT                                                                     \
    {                                                                                        \
        .size = sizeof(struct icr_request), .payload = NULL, .payload_size = 56, .ttl = 64,  \
        .traffic_class = 0,                                                                  \
    }

/* A reply, icmplib's ICMPReply, plus what icmplib lacks. */
struct icr_reply {
    size_t size;            /* sizeof(struct icr_reply) */
    struct icr_addr source; /* who sent it: the host, or the router for errors */
    int family;             /* AF_INET or AF_INET6 */
    uint16_t id;            /* echo: its id; error: the id of the quoted request */
    uint16_t sequence;      /* likewise for the sequence number */
    int type;               /* ICMP type */
    int code;               /* ICMP code */
    size_t bytes_received;  /* bytes of the ICMP message (header + data) */
    int64_t time_ns;        /* kernel receive timestamp, CLOCK_REALTIME ns */
    int ttl;                /* the reply's TTL / hop limit, -1 if unknown */
    bool payload_matches;   /* echo reply: the payload is what was sent */
    uint32_t mtu;           /* the next-hop MTU an error names: IPv4 Fragmentation
                               Needed (type 3 code 4), IPv6 Packet Too Big (type 2);
                               0 otherwise (beyond icmplib's ICMPReply) */
};

#define ICR_REPLY_INIT { .size = sizeof(struct icr_reply), .ttl = -1 }

/* Open an ICMP socket.  opts NULL means ICR_SOCKET_OPTS_INIT; opts->size
 * follows the size rule for input structs (top of this file).
 * Errors: ICR_EINVAL (bad family/privilege/source syntax, bad size), ICR_ESOCKPERM
 * (no CAP_NET_RAW for a raw socket, or the uid is outside ping_group_range
 * for a datagram one), ICR_ESOCKADDR (source cannot be bound), ICR_ENOMEM,
 * or a negative errno. */
ICR_EXPORT int icr_socket_open(const struct icr_socket_opts *opts, icr_socket **ret_sock);

/* Close the socket's descriptor; the handle stays valid and reports
 * is_closed.  Later calls on it give ICR_ESOCKUNAVAIL.  NULL-safe.  Returns s. */
ICR_EXPORT icr_socket *icr_socket_close(icr_socket *s);

/* Close and free.  NULL-safe.  Returns NULL. */
ICR_EXPORT icr_socket *icr_socket_free(icr_socket *s);

/* The source address given at open (NULL if none).  icmplib's `address`. */
ICR_EXPORT const char *icr_socket_address(const icr_socket *s);
/* AF_INET or AF_INET6; ICR_EINVAL for NULL. */
ICR_EXPORT int icr_socket_family(const icr_socket *s);
/* True for a raw socket.  icmplib's `is_privileged`. */
ICR_EXPORT bool icr_socket_is_privileged(const icr_socket *s);
/* True after icr_socket_close() (and for NULL).  icmplib's `is_closed`. */
ICR_EXPORT bool icr_socket_is_closed(const icr_socket *s);
/* The descriptor, for poll(); ICR_ESOCKUNAVAIL if closed. */
ICR_EXPORT int icr_socket_fd(const icr_socket *s);

/* IPv4 only: whether sending to broadcast addresses is allowed.
 * get returns 0/1 or an error; set returns 0 or an error
 * (ICR_EINVAL on an IPv6 socket). */
ICR_EXPORT int icr_socket_get_broadcast(const icr_socket *s);
ICR_EXPORT int icr_socket_set_broadcast(icr_socket *s, bool allow);

/* Send an Echo Request.  Sets req->time_ns to the send time and, on a
 * datagram socket, req->id to the identifier the kernel really used (no
 * other byte of *req is written).  req->size follows the size rule for
 * input structs (top of this file).
 * Errors: ICR_ESOCKUNAVAIL (closed), ICR_EINVAL (bad request, bad size or
 * family mismatch), ICR_ESOCKBROADCAST (broadcast destination while broadcast is
 * off), or a negative errno from sendmsg. */
ICR_EXPORT int icr_socket_send(icr_socket *s, struct icr_request *req);

/* Receive the next reply.
 * With req != NULL, only a reply to req is returned: an Echo Reply with
 * the same id and sequence from req->destination (any source when broadcast
 * is on), or an ICMP error message whose quoted packet is req (same quoted
 * destination, id and sequence).  Other packets are skipped.  With req ==
 * NULL, any Echo Reply or ICMP error message is returned.
 * timeout is in seconds (icmplib's default is 2).
 * ret_reply->size is sizeof(struct icr_reply) (ICR_REPLY_INIT) or 0: a
 * zero-initialised struct (`struct icr_reply r = {0}`) is taken as this
 * library's struct.  On success it is written as the size rule for output
 * structs says (top of this file): up to the caller's size, size included.
 * req->size follows the rule for input structs.
 * Errors: ICR_ETIMEOUT, ICR_ESOCKUNAVAIL, ICR_EINVAL (NULL socket or reply,
 * a reply size other than 0 below the first layout, a negative or NaN
 * timeout, a request whose size the rule refuses), -EINTR when a signal
 * interrupted the wait (call again to go on), or another negative errno.
 * An ICMP error message is a *successful* receive: check it with
 * icr_reply_raise_for_status(). */
ICR_EXPORT int icr_socket_receive(icr_socket *s, const struct icr_request *req, double timeout,
                                  struct icr_reply *ret_reply);

/* icmplib's ICMPReply.raise_for_status(): 0 for an Echo Reply,
 * ICR_EUNREACH for Destination Unreachable, ICR_ETIMEEXCEEDED for Time
 * Exceeded, ICR_EICMP for any other type; ICR_EINVAL for NULL.
 * icr_icmp_message(r->family, r->type, r->code) gives the sentence. */
ICR_EXPORT int icr_reply_raise_for_status(const struct icr_reply *r);


/* ------------------------------------------------------------------------
 * Hosts and hops: icmplib's Host and Hop, with its exact formulas
 *
 * A host is filled from its received RTTs and its packets_sent; every
 * other field is derived (icr_host_stats):
 *   rtts             received RTTs in ms, in probe order (not arrival order)
 *   min/avg/max_rtt  round(x, 3), 0.0 when nothing was received
 *   packet_loss      round(1 - received / sent, 2), 0.0 when nothing was sent
 *   jitter           round(mean |rtts[i] - rtts[i+1]|, 3), 0.0 below 2 RTTs
 *   is_alive         received > 0
 * round() is Python's: the binary value rounded half to even, exactly.
 * ------------------------------------------------------------------------ */

struct icr_host {
    size_t size;                /* sizeof(struct icr_host) */
    struct icr_addr address;    /* the host (for a hop: the router that answered) */
    double min_rtt, avg_rtt, max_rtt; /* ms */
    double *rtts;               /* packets_received RTTs in ms; owned by the host */
    uint64_t packets_sent;
    uint64_t packets_received;
    double packet_loss;         /* 0.0 .. 1.0 */
    double jitter;              /* ms */
    bool is_alive;
    /* The last ICMP error message about this host's probes (beyond icmplib,
     * where errors only count as lost): ICR_EUNREACH, ICR_ETIMEEXCEEDED or
     * ICR_EICMP, 0 if none; its type, code and the router that sent it. */
    int error;
    int error_type, error_code;
    struct icr_addr error_source;
};

/* icmplib's Hop: a Host plus its distance.  For a hop, rtts hold the RTTs
 * of every reply from that distance, ICMP errors included (Time Exceeded
 * from a router), as icmplib's traceroute counts them; `host.error` is set
 * when the hop answered with Destination Unreachable or another error that
 * ends the route (traceroute's !H !N !P !X: see icr_hop_error_flag). */
struct icr_hop {
    struct icr_host host;
    int distance;               /* the TTL / hop limit that reached it (1..255) */
};

/* Recompute the derived fields of h (min/avg/max_rtt, packet_loss, jitter,
 * is_alive, packets_received = the number of rtts given) from
 * rtts[0..nrtts-1] and h->packets_sent.  Does not take ownership of rtts.
 * Only those fields (all of the first layout) are read or written; h->size
 * is not read.
 * Errors: ICR_EINVAL (h NULL, rtts NULL with nrtts > 0). */
ICR_EXPORT int icr_host_stats(struct icr_host *h, const double *rtts, size_t nrtts);

/* Free one host returned by icr_ping (its rtts too).  NULL-safe; returns NULL. */
ICR_EXPORT struct icr_host *icr_host_free(struct icr_host *h);

/* Free an array of n hosts returned by icr_multiping.  NULL-safe; returns NULL. */
ICR_EXPORT struct icr_host *icr_hosts_free(struct icr_host *hosts, size_t n);

/* Free an array of n hops returned by icr_traceroute.  NULL-safe; returns NULL. */
ICR_EXPORT struct icr_hop *icr_hops_free(struct icr_hop *hops, size_t n);

/* traceroute(8)'s mark for an error that ended a route: "!H", "!N", "!P",
 * "!X", "!S", "!F" ... for Destination Unreachable codes, "" for none and for
 * Time Exceeded.  Never NULL. */
ICR_EXPORT const char *icr_hop_error_flag(int family, int type, int code);


/* ------------------------------------------------------------------------
 * Target sets: what a sweep visits
 *
 * A set of IPv4 and IPv6 addresses built from entries, minus exclusions,
 * kept as sorted, merged intervals: memory grows with the number of
 * entries, never with the number of addresses.  The set is indexed
 * 0..count-1 (IPv4 intervals first, then IPv6, each in address order).
 * The first query (count/get/index) after a change compiles the set; an
 * unchanged set may then be queried from several threads at once.
 * ------------------------------------------------------------------------ */

typedef struct icr_targets icr_targets;

/* Flags for icr_targets_add / _exclude / _add_file. */
#define ICR_TARGETS_KEEP_NETBCAST (1u << 0) /* keep network and broadcast addresses of
                                               IPv4 CIDRs of /30 and wider (fping -g
                                               drops them; so do we by default) */
#define ICR_TARGETS_ONLY_V4 (1u << 1)       /* hostnames: IPv4 addresses only */
#define ICR_TARGETS_ONLY_V6 (1u << 2)       /* hostnames: IPv6 addresses only */
#define ICR_TARGETS_NO_LOOKUP (1u << 3)     /* refuse hostnames (ICR_EINVAL) */

/* The largest set icmpring sweeps: 2^48 addresses. */
#define ICR_TARGETS_MAX ((uint64_t)1 << 48)

/* A new empty set.  Errors: ICR_EINVAL, ICR_ENOMEM. */
ICR_EXPORT int icr_targets_new(icr_targets **ret_targets);

/* Free a set.  NULL-safe.  Returns NULL. */
ICR_EXPORT icr_targets *icr_targets_free(icr_targets *t);

/* Add one entry: an address ("198.18.0.1", "2001:db8::1"), a CIDR
 * ("198.18.0.0/16", "2001:db8:1::/108"; host bits must be zero), a range
 * "FIRST-LAST" of two addresses of one family with FIRST <= LAST, or a
 * host name (resolved now with icr_resolve(); every address is added).
 * Leading and trailing blanks are ignored.
 * Errors: ICR_EINVAL (malformed entry, or the set would exceed
 * ICR_TARGETS_MAX), ICR_ENAMELOOKUP, ICR_ENOMEM. */
ICR_EXPORT int icr_targets_add(icr_targets *t, const char *spec, unsigned flags);

/* Remove the addresses of an entry (same syntax) from the set, whenever
 * they were or will be added. */
ICR_EXPORT int icr_targets_exclude(icr_targets *t, const char *spec, unsigned flags);

/* Add (or with `exclude`, remove) one entry per line of f: blank lines are
 * skipped, '#' starts a comment.  On failure *ret_line (if not NULL) gets
 * the 1-based number of the offending line; entries before it stay added.
 * Errors: those of icr_targets_add, or a negative errno on a read error. */
ICR_EXPORT int icr_targets_add_file(icr_targets *t, FILE *f, bool exclude, unsigned flags,
                                    size_t *ret_line);

/* How many addresses the set holds.  Compiles the set if it changed.
 * Returns 0 for NULL. */
ICR_EXPORT uint64_t icr_targets_count(icr_targets *t);

/* The address at `index` (0 <= index < count).
 * Errors: ICR_EINVAL (NULL or index out of range). */
ICR_EXPORT int icr_targets_get(icr_targets *t, uint64_t index, struct icr_addr *ret_addr);

/* The index of address a in the set.  Errors: ICR_EINVAL (NULL), or
 * ICR_EINVAL when a is not in the set. */
ICR_EXPORT int icr_targets_index(icr_targets *t, const struct icr_addr *a, uint64_t *ret_index);


/* ------------------------------------------------------------------------
 * Sweep: find every live host of a target set, on the io_uring engine
 *
 * Stateless: each probe carries a keyed MAC (SipHash-2-4, random key per
 * sweep) over its destination and probe number in id and sequence, and in
 * its payload with the send time and the target index.  Replies that do
 * not verify (other programs' pings, forged or replayed replies) are
 * counted in `invalid` and never reported.  Targets are visited in a
 * seeded random order; shards split the order between machines.
 * ------------------------------------------------------------------------ */

typedef struct icr_sweep icr_sweep;

enum icr_result_kind {
    ICR_RESULT_ECHO = 0,  /* an Echo Reply from the target */
    ICR_RESULT_ERROR = 1, /* an ICMP error message about a probe to the target */
};

/* One result, handed to the callback; valid only during the call.  The
 * library's struct: `size` is its sizeof (see the size rule at the top). */
struct icr_result {
    size_t size;               /* sizeof(struct icr_result) */
    uint64_t index;            /* the target's index in the set */
    struct icr_addr target;    /* the probed address */
    struct icr_addr responder; /* who answered: the target, or a router for errors */
    int kind;                  /* enum icr_result_kind */
    int type, code;            /* ICMP type and code of the reply */
    uint32_t probe;            /* which probe (0 .. count-1) it answers */
    int64_t rtt_ns;            /* kernel receive time - send time; -1 if unknown */
    int ttl;                   /* the reply's TTL / hop limit, -1 if unknown */
    int64_t sent_ns;           /* send time, CLOCK_REALTIME ns */
    bool duplicate;            /* a repeat (only with ICR_SWEEP_ALL_REPLIES) */
    size_t bytes_received;     /* bytes of the ICMP message */
    int hop;                   /* the probe's TTL / hop limit (traceroute's distance) */
    uint32_t reserved_;        /* 0: keeps mtu past the first layout's end (128 bytes on
                                  LP64), so r->size > offsetof(struct icr_result, mtu)
                                  tells a program whether its library fills mtu */
    uint32_t mtu;              /* the next-hop MTU an error names: IPv4 Fragmentation
                                  Needed (type 3 code 4), IPv6 Packet Too Big (type 2);
                                  0 otherwise */
};

/* Result callback: `r` is valid only during the call.  For a multiping,
 * r->index is the host's position in the input; for a traceroute, the
 * destination's index in its target set and r->hop the distance probed. */
typedef void (*icr_result_cb)(const struct icr_result *r, void *userdata);


#define ICR_SWEEP_SINGLE_RECV (1u << 0) /* use one-shot recvmsg, not multishot */
#define ICR_SWEEP_ALL_REPLIES (1u << 1) /* report duplicates and every probe's reply */
/* Do not try io_uring: send with sendmmsg and receive with recvmmsg (epoll),
 * as is done anyway when io_uring_setup is refused (seccomp, gVisor,
 * kernel.io_uring_disabled, old kernels).  Accepted by sweeps, multipings
 * and traceroutes. */
#define ICR_SWEEP_NO_URING (1u << 2)
/* With the packet transport, receive on the ICMP sockets anyway, not on its
 * packet ring (struct icr_sweep_stats.receive).  Accepted by sweeps,
 * multipings and traceroutes; nothing to do on the other transports. */
#define ICR_SWEEP_SOCKET_RECV (1u << 3)
/* With the packet transport, receive on its packet ring even for a job of
 * fewer than 50,000 probes (ICR_SWEEP_SOCKET_RECV wins when both are set). */
#define ICR_SWEEP_RING_RECV (1u << 4)

/* Where replies are received (struct icr_sweep_stats.receive). */
enum icr_receive {
    ICR_RECEIVE_SOCKET = 0, /* the ICMP sockets (raw or datagram) */
    ICR_RECEIVE_RING = 1,   /* the packet transport's TPACKET_V3 ring on an AF_PACKET
                               socket: IPv4 ICMP and ICMPv6 addressed to this host,
                               checked as the kernel's IP input does, fragments
                               dropped; used by sweeps and multipings of at least
                               50,000 probes (or with ICR_SWEEP_RING_RECV) when
                               the probes go as frames (at most 576 bytes of
                               IPv4, 1280 of IPv6), not with ICR_SWEEP_SINGLE_RECV
                               or ICR_SWEEP_SOCKET_RECV.  Traceroutes keep the
                               sockets (they wait on each reply, and the ring
                               hands replies over a block at a time); so do
                               smaller jobs: making and closing a ring costs
                               ~30 ms of the kernel's RCU grace periods */
};

/* The I/O backend a job runs on (struct icr_sweep_stats.backend). */
enum icr_backend {
    ICR_BACKEND_URING = 0, /* io_uring: batched SENDMSG, multishot or one-shot RECVMSG */
    ICR_BACKEND_MMSG = 1,  /* sendmmsg/recvmmsg batches with epoll: io_uring was
                              refused, or ICR_SWEEP_NO_URING */
};

/* How probes leave (the opts' `transport`, struct icr_sweep_stats.transport).
 * Replies are received on the ICMP sockets (raw, or datagram), or with the
 * packet transport on its packet ring (enum icr_receive). */
enum icr_transport {
    ICR_TRANSPORT_AUTO = 0,   /* opts only: packet when privileged, else dgram */
    ICR_TRANSPORT_PACKET = 1, /* Ethernet frames on an AF_PACKET socket (qdisc bypassed)
                                 to the next hop the kernel's route and neighbour
                                 tables give; targets whose route is not plain
                                 Ethernet unicast (loopback, local, blackhole,
                                 unreachable, tunnels, policy rules) and neighbours
                                 still being resolved go the raw way; needs
                                 privilege (CAP_NET_RAW) */
    ICR_TRANSPORT_RAW = 2,    /* raw IP sockets (IPv4 with IP_HDRINCL); privileged */
    ICR_TRANSPORT_DGRAM = 3,  /* ICMP datagram ("ping") sockets; unprivileged */
};

struct icr_sweep_opts {
    size_t size;           /* sizeof(struct icr_sweep_opts) */
    uint64_t rate;         /* probes per second; 0 = as fast as possible (10000) */
    uint32_t count;        /* probes per target (1); 0 = until icr_sweep_stop() */
    double interval;       /* seconds between two probes to one target, >= 0 (1.0) */
    double cooldown;       /* seconds to wait for replies after the last probe (2.0,
                              icmplib's timeout) */
    uint64_t seed;         /* order and shards; 0 = random (0) */
    uint32_t shards;       /* machines sharing the sweep, >= 1 (1) */
    uint32_t shard;        /* this machine's shard, < shards (0) */
    int ttl;               /* 1-255 (64) */
    int traffic_class;     /* 0-255 (0) */
    size_t payload_size;   /* 34-1400 bytes (56); the first 34 hold the MAC */
    int privilege;         /* enum icr_privilege (ICR_PRIV_AUTO) */
    unsigned flags;        /* ICR_SWEEP_* */
    uint32_t batch;        /* sends queued per io_uring_enter, 1-1024 (128) */
    icr_result_cb on_result; /* may be NULL */
    void *userdata;
    uint32_t senders;      /* sending threads: 0 = choose (2 for big unlimited
                              sweeps on raw sockets, else 1), 1, or 2 (0) */
    struct icr_addr source4; /* IPv4 source address; AF_UNSPEC: the kernel's choice */
    struct icr_addr source6; /* IPv6 source address; AF_UNSPEC: the kernel's choice */
    uint64_t start_position; /* resume: positions an earlier run of the same sweep
                               (targets, seed, shards, shard, count) handed out,
                               as icr_sweep_get_position() read them (0) */
    int transport;         /* enum icr_transport (ICR_TRANSPORT_AUTO); a forced one
                              must agree with `privilege` (PACKET and RAW need
                              privilege, DGRAM not) */
};

#define ICR_SWEEP_OPTS_INIT                                                                  \
    {                                                                                        \
        .size = sizeof(struct icr_sweep_opts), .rate = 10000, .count = 1, .interval = 1.0,   \
        .cooldown = 2.0, .seed = 0, .shards = 1, .shard = 0, .ttl = 64, .traffic_class = 0,  \
        .payload_size = 56, .privilege = ICR_PRIV_AUTO, .flags = 0, .batch = 128,           \
        .on_result = NULL, .userdata = NULL, .senders = 0,                                   \
        .source4 = {.family = AF_UNSPEC}, .source6 = {.family = AF_UNSPEC},                  \
        .start_position = 0,                                                                 \
        .transport = ICR_TRANSPORT_AUTO,                                                     \
    }

/* Counters of a sweep; icr_sweep_get_stats may be called from any thread. */
struct icr_sweep_stats {
    size_t size;            /* sizeof(struct icr_sweep_stats) */
    uint64_t targets;       /* targets of this shard */
    uint64_t planned;       /* probes planned: targets * count (0: until stopped) */
    uint64_t sent;          /* probes the kernel accepted */
    uint64_t send_errors;   /* probes the kernel refused */
    uint64_t hits;          /* distinct targets that answered */
    uint64_t replies;       /* valid echo replies, duplicates included */
    uint64_t duplicates;    /* valid replies for targets already reported */
    uint64_t errors;        /* valid ICMP error messages */
    uint64_t invalid;       /* replies dropped because their MAC did not verify */
    uint64_t kernel_drops;  /* packets the receive sockets dropped (buffer full
                               and the like: SO_RXQ_OVFL/SK_MEMINFO_DROPS), read
                               again when the job ends so none goes unreported */
    int64_t elapsed_ns;     /* since the first step */
    int64_t send_ns;        /* time spent in the send phase */
    bool sending_done;      /* all probes sent (or stopped) */
    bool done;              /* cooldown over: nothing more will be reported */
    bool multishot;         /* the multishot receive path runs (io_uring only) */
    int last_send_error;    /* errno of the latest refused probe, 0 if none
                               (EACCES: a broadcast address) */
    uint32_t senders;       /* sending threads in use */
    uint64_t seed;          /* the seed in use (the library's choice when opts.seed was 0) */
    int backend;            /* enum icr_backend: which I/O backend runs */
    uint64_t rcvbuf;        /* bytes of the smallest receive socket buffer the
                               kernel granted (SO_RCVBUF as read back): without
                               CAP_NET_ADMIN at most 2 * net.core.rmem_max, and
                               below what a fast job needs when kernel_drops > 0 */
    int transport;          /* enum icr_transport: PACKET, RAW or DGRAM */
    uint64_t link_sent;     /* of `sent`, probes that left as AF_PACKET frames
                               (the rest went through the IP stack) */
    int receive;            /* enum icr_receive: where replies are received */
    uint64_t ring_received; /* packets the packet ring handed on (replies and
                               errors, valid or not) */
};

/* Prepare a sweep of `targets` (which must outlive the sweep and stay
 * unchanged).  Opens the sockets (raw IPv4 with IP_HDRINCL and raw ICMP(v6),
 * or ICMP datagram sockets without privilege) and the io_uring.  Where
 * io_uring_setup is refused (ENOSYS, EPERM, EACCES: seccomp profiles,
 * gVisor, kernel.io_uring_disabled) the sweep runs on sendmmsg/recvmmsg
 * instead (stats.backend says which); ICR_SWEEP_NO_URING asks for that.
 * opts NULL means ICR_SWEEP_OPTS_INIT.
 * opts->size follows the size rule for input structs (top of this file).
 * Errors: ICR_EINVAL (bad option or size, empty set), ICR_ESOCKADDR (a source address
 * that is not this host's), ICR_ESOCKPERM, ICR_ENOMEM, or a negative errno.
 * step()/run() must be called from the thread that called new(): the ring
 * is bound to it (IORING_SETUP_SINGLE_ISSUER). */
ICR_EXPORT int icr_sweep_new(icr_targets *targets, const struct icr_sweep_opts *opts,
                             icr_sweep **ret_sweep);

/* Free a sweep.  NULL-safe.  Returns NULL. */
ICR_EXPORT icr_sweep *icr_sweep_free(icr_sweep *s);

/* Run to completion: send every probe at the rate, then wait `cooldown`
 * seconds for late replies, calling on_result as replies arrive.
 * Returns 0 when done, ICR_ESTOPPED when icr_sweep_stop() ended the sending
 * early (the cooldown still ran: nothing received is lost), ICR_EIFDOWN
 * when the interface went down or the path to the targets went away (the
 * kernel refused every probe for a while after probes had left; results
 * received until then are all reported), a negative errno when the kernel
 * refused every probe from the start (e.g. -ENETUNREACH), or an error. */
ICR_EXPORT int icr_sweep_run(icr_sweep *s);

/* Do one round of work, waiting at most timeout_ns (0 = don't wait) for
 * something to do.  Returns 1 while the sweep goes on, 0 when it is done
 * (ICR_ESTOPPED if it was stopped), or an error.  For callers with their
 * own event loop: poll icr_sweep_get_fd() for POLLIN with a timeout of
 * icr_sweep_get_timeout_ns(), then call step(0). */
ICR_EXPORT int icr_sweep_step(icr_sweep *s, int64_t timeout_ns);

/* A descriptor that becomes readable when the sweep has completions to
 * process.  Errors: ICR_EINVAL. */
ICR_EXPORT int icr_sweep_get_fd(const icr_sweep *s);

/* How long the sweep may sleep before it needs step() again (the rate
 * limiter's next token, the end of the cooldown), in ns; 0 = now.
 * ICR_EINVAL (negative) for NULL. */
ICR_EXPORT int64_t icr_sweep_get_timeout_ns(const icr_sweep *s);

/* Stop sending; the cooldown still runs, then run()/step() end with
 * ICR_ESTOPPED.  A second call also cuts the cooldown short (Ctrl-C twice):
 * what has arrived is reported, nothing more is waited for.
 * Async-signal-safe and callable from any thread. */
ICR_EXPORT void icr_sweep_stop(icr_sweep *s);

/* Copy the counters.  Callable from any thread while the sweep runs.
 * ret_stats is written by the size rule for output structs (top of this
 * file): up to its size, a zero-initialised struct (size 0) taken as this
 * library's.  Errors: ICR_EINVAL (NULL, or a size that is not 0 and below
 * the first layout). */
ICR_EXPORT int icr_sweep_get_stats(const icr_sweep *s, struct icr_sweep_stats *ret_stats);

/* Whether target `index` has answered (0/1), readable from any thread
 * while the sweep runs.  Errors: ICR_EINVAL. */
ICR_EXPORT int icr_sweep_is_alive(const icr_sweep *s, uint64_t index);

/* The sweep's position: probes of this shard handed out so far, over all
 * passes (pass * targets of the shard + place in the pass, with
 * opts.start_position counted in), into *ret_position.  A new sweep with
 * the same targets, seed, shards, shard and count and this value in
 * opts.start_position sends only what comes after it: that is how a run
 * is resumed (icmpring sweep --resume).  A probe handed out is not yet
 * answered: save a position read at least `cooldown` seconds earlier, or
 * the replies still on their way to probes before it are lost with the
 * process.  Callable from any thread.  Errors: ICR_EINVAL. */
ICR_EXPORT int icr_sweep_get_position(const icr_sweep *s, uint64_t *ret_position);

/* Which shard of `shards` visits `index` of `n` targets (hosts of a
 * multiping, destinations of a traceroute) with `seed`, the rule of the
 * seed/shards/shard options of sweeps, multipings and traceroutes: shard
 * i gets the positions i, i + shards, ... of the seeded order.  For a
 * merge that puts shards' outputs back in input order.
 * Errors: ICR_EINVAL (shards 0, index >= n, n 0 or above ICR_TARGETS_MAX). */
ICR_EXPORT int icr_shard_of(uint64_t index, uint64_t n, uint64_t seed, uint32_t shards,
                            uint32_t *ret_shard);

/* ------------------------------------------------------------------------
 * Multiping and ping: jobs on the engine, icmplib's multiping() and ping()
 *
 * A multiping sends `count` probes to each of N addresses (IPv4 and IPv6
 * mixed), `interval` seconds apart per host, at most `rate` probes per
 * second over all, then waits up to `timeout` seconds after the last probe
 * for what is missing; it ends as soon as every probe has been answered or
 * has errored.  There is no socket or thread per host: probes are stamped
 * with a keyed MAC and matched as they come back (see Sweep below).
 * An ICMP error (unreachable, time exceeded) counts as not received and is
 * kept as the host's last error.  Ping is a multiping of one address.
 * ------------------------------------------------------------------------ */

typedef struct icr_multiping_job icr_multiping_job;

/* A finished host (every probe answered, errored or timed out), handed to
 * on_host as soon as it is finished, after the on_result calls of its
 * replies; `index` is its position in the input.  `h` and its rtts are
 * valid only during the call; `h` is the library's struct (h->size is its
 * sizeof: the size rule at the top of this file). */
typedef void (*icr_host_cb)(size_t index, const struct icr_host *h, void *userdata);


struct icr_multiping_opts {
    size_t size;            /* sizeof(struct icr_multiping_opts) */
    uint32_t count;         /* probes per host (icmplib: 2); 0 = until stopped, for the
                               job API only (icr_multiping and icr_ping refuse it) */
    double interval;        /* seconds between two probes to one host, >= 0
                               (icmplib 3.0.4's multiping: 0.5; ping: 1) */
    double timeout;         /* seconds to wait after the last probe (2) */
    uint64_t rate;          /* probes per second over all hosts, 0 = unlimited (0) */
    int id;                 /* icmplib's `id`: accepted and ignored (-1).  The id
                               field carries the keyed MAC that matches replies,
                               and datagram sockets get theirs from the kernel. */
    int family;             /* host names: AF_UNSPEC (IPv4 first), AF_INET, AF_INET6 */
    const char *source;     /* icmplib's `source`: a local address, or NULL */
    int privilege;          /* enum icr_privilege (icmplib: privileged=True) */
    size_t payload_size;    /* 34-1400 bytes (56); the first 34 hold the MAC.
                               icmplib's `payload` (the caller's bytes) has no
                               twin here: the payload carries the probe's proof
                               of origin; icr_socket_send() takes any payload. */
    int ttl;                /* 1-255 (64) */
    int traffic_class;      /* 0-255 (0) */
    unsigned flags;         /* ICR_SWEEP_SINGLE_RECV, ICR_SWEEP_ALL_REPLIES,
                               ICR_SWEEP_NO_URING */
    icr_host_cb on_host;    /* each host as it is finished; may be NULL */
    icr_result_cb on_result; /* each reply as it arrives; may be NULL */
    void *userdata;
    /* Beyond icmplib: sharding and resume, as for a sweep. */
    uint64_t seed;          /* which hosts go to which shard (icr_shard_of); unused
                               with one shard (0) */
    uint32_t shards;        /* >= 1; > 1 needs a seed other than 0 (1) */
    uint32_t shard;         /* < shards: only this shard's hosts are probed (0) */
    uint64_t start_position; /* resume: skip the shard's first hosts, as
                               icr_multiping_get_position() counted them (0) */
    int transport;          /* enum icr_transport (ICR_TRANSPORT_AUTO) */
};

#define ICR_MULTIPING_OPTS_INIT                                                              \
    {                                                                                        \
        .size = sizeof(struct icr_multiping_opts), .count = 2, .interval = 0.5,              \
        .timeout = 2.0, .rate = 0, .id = -1, .family = AF_UNSPEC, .source = NULL,            \
        .privilege = ICR_PRIVILEGED, .payload_size = 56, .ttl = 64, .traffic_class = 0,      \
        .flags = 0, .on_host = NULL, .on_result = NULL, .userdata = NULL, .seed = 0,         \
        .shards = 1, .shard = 0, .start_position = 0,                                        \
        .transport = ICR_TRANSPORT_AUTO,                                                     \
    }

/* icmplib's ping() defaults: count 4, interval 1, timeout 2. */
#define ICR_PING_OPTS_INIT                                                                   \
    {                                                                                        \
        .size = sizeof(struct icr_multiping_opts), .count = 4, .interval = 1.0,              \
        .timeout = 2.0, .rate = 0, .id = -1, .family = AF_UNSPEC, .source = NULL,            \
        .privilege = ICR_PRIVILEGED, .payload_size = 56, .ttl = 64, .traffic_class = 0,      \
        .flags = 0, .on_host = NULL, .on_result = NULL, .userdata = NULL, .seed = 0,         \
        .shards = 1, .shard = 0, .start_position = 0,                                        \
        .transport = ICR_TRANSPORT_AUTO,                                                     \
    }
#define icr_ping_opts icr_multiping_opts

/* Prepare a multiping of addrs[0..n-1] (copied; duplicates are probed as
 * separate hosts, as icmplib does).  Opens the sockets and the ring.
 * With shards > 1 only the hosts of opts->shard (icr_shard_of) are probed,
 * and with start_position k the first k of them (in input order) are
 * skipped; the other hosts are never probed, never handed to on_host, and
 * icr_multiping_get_host() gives them with packets_sent 0.  A shard with
 * no hosts, or a start_position at or beyond its last host, is ICR_EINVAL.
 * opts NULL means ICR_MULTIPING_OPTS_INIT; opts->size follows the size rule
 * for input structs (top of this file).
 * Errors: ICR_EINVAL (n 0, bad option or size), ICR_ESOCKPERM, ICR_ESOCKADDR,
 * ICR_ENOMEM, or a negative errno.  io_uring being refused is not an error:
 * the job then runs on sendmmsg/recvmmsg, as a sweep does.
 * step()/run() must be called from the thread that called new(). */
ICR_EXPORT int icr_multiping_new(const struct icr_addr *addrs, size_t n,
                                 const struct icr_multiping_opts *opts,
                                 icr_multiping_job **ret_mp);

/* Free.  NULL-safe.  Returns NULL. */
ICR_EXPORT icr_multiping_job *icr_multiping_free(icr_multiping_job *m);

/* Run to completion.  Returns 0, ICR_ESTOPPED (stopped: every host is still
 * finished with what was received), ICR_EIFDOWN, or an error. */
ICR_EXPORT int icr_multiping_run(icr_multiping_job *m);

/* One round of work, waiting at most timeout_ns.  Returns 1 while running,
 * 0 (or ICR_ESTOPPED / ICR_EIFDOWN) when done, or an error; see icr_sweep_step. */
ICR_EXPORT int icr_multiping_step(icr_multiping_job *m, int64_t timeout_ns);

/* A descriptor that becomes readable (POLLIN) when step() has work: an
 * eventfd signalled by the ring's completions (on the sendmmsg/recvmmsg
 * backend, an epoll fd over the sockets).  Errors: ICR_EINVAL. */
ICR_EXPORT int icr_multiping_get_fd(const icr_multiping_job *m);

/* ns until step() is needed again at the latest; 0 = now; ICR_EINVAL for NULL. */
ICR_EXPORT int64_t icr_multiping_get_timeout_ns(const icr_multiping_job *m);

/* Stop sending; hosts are finished with what arrives in the timeout.  A
 * second call also cuts the timeout short: every host is finished at once
 * with what it has.  Async-signal-safe and callable from any thread. */
ICR_EXPORT void icr_multiping_stop(icr_multiping_job *m);

/* Copy host i (0 <= i < n) as it stands: finished or not.  *ret_host gets
 * its own rtts array: release it with free(ret_host->rtts).  Set
 * ret_host->size to sizeof(struct icr_host), or 0 (a zero-initialised
 * struct): it is written by the size rule for output structs (top of this
 * file), and an uninitialised size is refused or misread.
 * Errors: ICR_EINVAL (also a size other than 0 below the first layout),
 * ICR_ENOMEM. */
ICR_EXPORT int icr_multiping_get_host(const icr_multiping_job *m, size_t i,
                                      struct icr_host *ret_host);

/* The engine's counters for this job (struct icr_sweep_stats: targets is
 * the number of hosts, hits the hosts that answered, last_send_error why
 * the kernel last refused a probe, e.g. EACCES for a broadcast address).
 * Callable from any thread.  Written by the size rule for output structs,
 * as icr_sweep_get_stats.  Errors: ICR_EINVAL. */
ICR_EXPORT int icr_multiping_get_stats(const icr_multiping_job *m,
                                       struct icr_sweep_stats *ret_stats);

/* The multiping's position: how many of this shard's hosts, in input
 * order, are finished (handed to on_host) with no unfinished host before
 * them, start_position included.  A new multiping of the same hosts,
 * seed, shards and shard with this value in start_position probes only
 * the hosts after them.  Stepping thread only.  Errors: ICR_EINVAL. */
ICR_EXPORT int icr_multiping_get_position(const icr_multiping_job *m, uint64_t *ret_position);

/* icmplib's multiping(): resolve each of addresses[0..n-1] (literal or
 * host name, first address of opts->family), probe them all in one job, and
 * return n hosts in input order in *ret_hosts (free with icr_hosts_free;
 * the library's structs, size = its sizeof).  opts->size follows the size
 * rule for input structs (top of this file).
 * Errors: ICR_ENAMELOOKUP (a name did not resolve), those of
 * icr_multiping_new and icr_multiping_run (ICR_ESTOPPED is not returned by
 * this blocking call: it has no stop). */
ICR_EXPORT int icr_multiping(const char *const *addresses, size_t n,
                             const struct icr_multiping_opts *opts,
                             struct icr_host **ret_hosts);

/* icmplib's ping(): a multiping of one address, with ICR_PING_OPTS_INIT's
 * defaults when opts is NULL (and for the fields past a smaller opts->size:
 * the size rule for input structs, top of this file).  *ret_host is freed
 * with icr_host_free. */
ICR_EXPORT int icr_ping(const char *address, const struct icr_ping_opts *opts,
                        struct icr_host **ret_host);

/* ------------------------------------------------------------------------
 * Traceroute: a job on the engine, icmplib's traceroute()
 *
 * Every TTL from first_hop to max_hops of every destination is in flight at
 * once (traceroute -N, mtr), in a random order over (destination, TTL) pairs
 * when there are many destinations (yarrp).  Probes to one destination keep
 * one ICMP checksum (Paris traceroute), so per-flow load balancers keep one
 * path.  Once the destination answers at distance d, nothing beyond d is
 * reported, and probes beyond d not yet sent are not sent.  Destination
 * Unreachable from a router ends that destination at the router.  With
 * `fast`, a hop that has answered gets no more probes.
 * ------------------------------------------------------------------------ */

typedef struct icr_trace icr_trace;

/* One destination's finished route; valid only during the callback.  The
 * library's struct, as its hops: `size` is its sizeof (the size rule). */
struct icr_trace_result {
    size_t size;             /* sizeof(struct icr_trace_result) */
    uint64_t index;          /* the destination's index in the target set */
    struct icr_addr target;
    const struct icr_hop *hops; /* answered hops, sorted by distance */
    size_t nhops;
    bool reached;            /* the destination itself answered */
    bool complete;           /* false when a stop cut it short */
};

typedef void (*icr_trace_cb)(const struct icr_trace_result *r, void *userdata);

struct icr_trace_opts {
    size_t size;            /* sizeof(struct icr_trace_opts) */
    uint32_t count;         /* probes per hop, 1-255 (icmplib: 2) */
    double interval;        /* seconds between two probes to one hop (0.05) */
    double timeout;         /* seconds to wait after the last probe (2) */
    int first_hop;          /* 1-255 (1) */
    int max_hops;           /* first_hop-255 (30) */
    bool fast;              /* a hop that answered gets no more probes (false) */
    uint64_t rate;          /* probes per second, 0 = unlimited (0) */
    int id;                 /* icmplib's `id`: accepted and ignored (-1) */
    int family;             /* host names: AF_UNSPEC, AF_INET, AF_INET6 */
    const char *source;     /* a local address, or NULL */
    int privilege;          /* enum icr_privilege (icmplib: privileged) */
    size_t payload_size;    /* 34-1400 (56) */
    int traffic_class;      /* 0-255 (0) */
    uint64_t seed;          /* order of the (destination, TTL) pairs; 0 = random */
    unsigned flags;         /* ICR_SWEEP_SINGLE_RECV, ICR_SWEEP_NO_URING */
    icr_trace_cb on_trace;  /* each destination as it is finished; may be NULL */
    icr_result_cb on_result; /* each validated reply (r->hop: the distance) */
    void *userdata;
    /* Beyond icmplib: sharding and resume.  Destinations go to shards by
     * `seed` (icr_shard_of), which shards > 1 needs. */
    uint32_t shards;        /* >= 1 (1) */
    uint32_t shard;         /* < shards: only this shard's destinations (0) */
    uint64_t start_position; /* resume: skip the shard's first destinations,
                               as icr_trace_get_position() counted them (0) */
    uint32_t window;        /* 0: every destination in flight at once (0); N: the
                               (destination, TTL) pairs shuffled within blocks of N
                               destinations taken in index order, so routes end
                               roughly in index order and the position moves
                               steadily (what a resumable run wants) */
    int transport;          /* enum icr_transport (ICR_TRANSPORT_AUTO) */
};

#define ICR_TRACE_OPTS_INIT                                                                  \
    {                                                                                        \
        .size = sizeof(struct icr_trace_opts), .count = 2, .interval = 0.05, .timeout = 2.0, \
        .first_hop = 1, .max_hops = 30, .fast = false, .rate = 0, .id = -1,                  \
        .family = AF_UNSPEC, .source = NULL, .privilege = ICR_PRIVILEGED,                    \
        .payload_size = 56, .traffic_class = 0, .seed = 0, .flags = 0, .on_trace = NULL,     \
        .on_result = NULL, .userdata = NULL, .shards = 1, .shard = 0, .start_position = 0,   \
        .window = 0,                                                                         \
        .transport = ICR_TRANSPORT_AUTO,                                                     \
    }

/* Prepare a traceroute to every address of `targets` (which must outlive the
 * job, unchanged).  With shards > 1 only the destinations of opts->shard
 * (icr_shard_of) are traced, and with start_position k the first k of them
 * (in index order) are skipped; the others are never probed nor handed to
 * on_trace.  opts->size follows the size rule for input structs (top of
 * this file).  Errors: as icr_multiping_new (a shard with no destinations,
 * or nothing left after start_position: ICR_EINVAL). */
ICR_EXPORT int icr_trace_new(icr_targets *targets, const struct icr_trace_opts *opts,
                             icr_trace **ret_trace);
ICR_EXPORT icr_trace *icr_trace_free(icr_trace *t);
/* run/step/get_fd/get_timeout_ns/stop: as for a multiping (stop twice: every
 * destination is handed to on_trace at once, complete = false). */
ICR_EXPORT int icr_trace_run(icr_trace *t);
ICR_EXPORT int icr_trace_step(icr_trace *t, int64_t timeout_ns);
ICR_EXPORT int icr_trace_get_fd(const icr_trace *t);
ICR_EXPORT int64_t icr_trace_get_timeout_ns(const icr_trace *t);
ICR_EXPORT void icr_trace_stop(icr_trace *t);

/* The engine's counters for this job (targets: destinations x distances
 * per pass).  As icr_multiping_get_stats (the size rule for output structs). */
ICR_EXPORT int icr_trace_get_stats(const icr_trace *t, struct icr_sweep_stats *ret_stats);

/* The traceroute's position: how many of this shard's destinations, in
 * index order, are finished (handed to on_trace) with no unfinished one
 * before them, start_position included.  Every TTL of every destination is
 * in flight at once, so it moves as routes end, at the very end unless
 * opts.window takes the destinations in blocks.  A new traceroute of the
 * same targets, seed, shards and shard with this value in start_position
 * traces only the destinations after them.  Stepping thread only.
 * Errors: ICR_EINVAL. */
ICR_EXPORT int icr_trace_get_position(const icr_trace *t, uint64_t *ret_position);

/* icmplib's traceroute(): resolve `address`, trace it, and return the
 * answered hops sorted by distance (silent hops left out, as icmplib does)
 * in *ret_hops, their number in *ret_n (free with icr_hops_free; the
 * library's structs).  opts->size follows the size rule for input structs.
 * Errors: ICR_ENAMELOOKUP, those of icr_trace_new and icr_trace_run. */
ICR_EXPORT int icr_traceroute(const char *address, const struct icr_trace_opts *opts,
                              struct icr_hop **ret_hops, size_t *ret_n);

#ifdef __cplusplus
}
#endif

#endif /* ICMPRING_H */
