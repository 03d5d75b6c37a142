/* pktrx.h - the AF_PACKET transport's receive path: a TPACKET_V3 ring on a
 * packet socket of one protocol (ETH_P_IP or ETH_P_IPV6) on every
 * interface, with a classic BPF filter that keeps only ICMP (IPv4, not a
 * fragment) or ICMPv6 (next header 58) addressed to this host
 * (PACKET_HOST), so that replies reach the engine without the per-reply
 * clone, queueing and copy of the raw ICMP sockets.
 *
 * One protocol per socket, not ETH_P_ALL: a socket bound to a protocol
 * gets each packet once, from the device the IP stack takes it from,
 * whereas ETH_P_ALL taps see it again on every level of stacked devices
 * (a bridge's port and the bridge, a VLAN's parent and the VLAN, a bond's
 * slave and the bond) - every reply twice on a bridged host.  Measured in
 * the lab with replies (bench/README.md): a raw ICMP socket read with
 * recvmmsg costs ~1.8 us of CPU per reply, this ring ~0.4.
 *
 * What the kernel's IP input does before a raw socket sees a packet is
 * done here too: the IPv4 header checksum, version and lengths (a packet
 * is cut to its total length), the IPv6 payload length and the ICMPv6
 * checksum.  Differences from the ICMP sockets, by design: fragments are
 * not reassembled but dropped (the engine uses this path only when its
 * probes, and so the replies and the quotes about them, fit 576 bytes
 * for IPv4 and 1280 for IPv6), IPv6 extension headers before ICMPv6 are
 * not followed, and netfilter's INPUT chain does not apply (the ring sees
 * what arrives, as a capture does).
 *
 * Not thread-safe: one reader (the engine's stepping thread). */
#ifndef ICR_PKTRX_H
#define ICR_PKTRX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct icr__pktrx;

/* One packet for the engine, as an ICMP socket would have given it:
 * family AF_INET: the IPv4 packet from its header on; AF_INET6: the
 * ICMPv6 message, name the sender (sockaddr_in6, scope id = the
 * interface for a link-local sender) and ttl its hop limit. */
struct icr__pktrx_pkt {
    int family;
    const uint8_t *data;
    size_t len;
    const struct sockaddr *name;
    socklen_t namelen;
    int ttl;          /* IPv6: the hop limit; IPv4: -1 (it is in the header) */
    int64_t t_ns;     /* the kernel's receive time, CLOCK_REALTIME */
};

typedef void (*icr__pktrx_cb)(const struct icr__pktrx_pkt *p, void *userdata);

/* A block with packets is handed over when full or after this many ms. */
#define ICR__PKTRX_TOV_MS 2

/* Open the socket for family's packets (AF_INET: ETH_P_IP, AF_INET6:
 * ETH_P_IPV6), its filter and its ring (blocks of block_kib KiB, nblocks of
 * them, handed over when full or after ICR__PKTRX_TOV_MS), bound to every
 * interface.  Returns 0 or a negative errno / ICR_ESOCKPERM / ICR_ENOMEM. */
int icr__pktrx_new(int family, unsigned nblocks, unsigned block_kib, struct icr__pktrx **ret);
struct icr__pktrx *icr__pktrx_free(struct icr__pktrx *rx);

/* The socket, to poll for POLLIN (a block is ready). */
int icr__pktrx_fd(const struct icr__pktrx *rx);

/* Hand every packet of the blocks ready now to cb, in arrival order, and
 * give the blocks back.  Returns how many packets cb got. */
size_t icr__pktrx_drain(struct icr__pktrx *rx, icr__pktrx_cb cb, void *userdata);

/* Whether half the blocks (or more) are full and not drained yet: a
 * receiver falling behind.  Any thread. */
bool icr__pktrx_half_full(const struct icr__pktrx *rx);

/* Packets the kernel dropped because the ring was full, as of the last
 * icr__pktrx_sync (drain calls it after blocks came); any thread. */
uint64_t icr__pktrx_drops(struct icr__pktrx *rx);

/* Read the kernel's drop count (the reader's thread only). */
void icr__pktrx_sync(struct icr__pktrx *rx);

/* Packets the checks above refused (bad checksum or lengths), since the
 * start: what the kernel's IP input would have dropped silently. */
uint64_t icr__pktrx_refused(const struct icr__pktrx *rx);

/* ---- pure, exposed for the unit tests ---- */

/* The checks of the kernel's IP input on one packet from its network
 * header (len bytes captured): IPv4 version, header length and checksum,
 * total length (the packet is cut to it); IPv6 payload length, next header
 * 58 and the ICMPv6 checksum.  On true *p is filled (but t_ns), its name
 * pointing into *name6 for IPv6 (scope id ifindex for a link-local
 * sender).  False: what the kernel would have dropped. */
struct sockaddr_in6;
bool icr__pktrx_parse(const uint8_t *ip, size_t len, int ifindex, struct sockaddr_in6 *name6,
                      struct icr__pktrx_pkt *p);

#endif /* ICR_PKTRX_H */
