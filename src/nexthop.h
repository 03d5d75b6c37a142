/* nexthop.h - where a probe leaves as a link-layer frame: the kernel's
 * route and neighbour tables read over rtnetlink, cached per route block,
 * for the engine's AF_PACKET transport.
 *
 * For each destination the kernel is asked (RTM_GETROUTE with
 * RTM_F_FIB_MATCH) which route it takes; a plain unicast route with one
 * next hop through an up, ARP-capable Ethernet device gives an entry with
 * the egress ifindex, the source address the kernel would choose (a second
 * RTM_GETROUTE), our MAC (RTM_GETLINK) and the next hop's MAC
 * (RTM_GETNEIGH).  Anything else - loopback, local, blackhole,
 * unreachable, prohibit, multipath, encapsulation, a non-Ethernet device,
 * policy rules beyond the kernel's defaults - says "raw": the engine sends
 * that probe through the IP stack as before.
 *
 * The cache key is a block: the shortest prefix around the destination
 * that lies inside its route and overlaps no more specific route of any
 * table (from one RTM_GETROUTE dump), so every address of the block takes
 * the same route and one lookup serves a whole sweep.  On-link routes (no
 * gateway) get one entry per destination, since each is its own neighbour.
 *
 * Neighbours: a missing, incomplete or failed entry makes the probe go
 * through the IP stack, whose output triggers ARP / neighbour discovery;
 * the neighbour is asked again after a back-off.  A stale one is used, but
 * one probe goes through the stack so the kernel re-confirms it.  Entries
 * are re-read every second, at once when rtnetlink announces a change of
 * that neighbour (RTM_NEWNEIGH: e.g. a gratuitous ARP after a router's MAC
 * changed), and everything is forgotten on any route, address, rule or
 * link change, or when a frame to the entry was refused.
 *
 * Not thread-safe: one per sending thread (each has its own sockets).
 */
#ifndef ICR_NEXTHOP_H
#define ICR_NEXTHOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "icmpring.h"

struct icr__nh;

/* Where a frame goes. */
struct icr__nh_hop {
    int ifindex;
    uint8_t dst_mac[6], src_mac[6];
    struct icr_addr src; /* the kernel's source address for the destination */
};

/* Open the two rtnetlink sockets (queries, change notifications).
 * Returns 0 or a negative errno / ICR_ENOMEM. */
int icr__nh_new(struct icr__nh **ret);
struct icr__nh *icr__nh_free(struct icr__nh *nh);

/* The link-layer hop for a frame of ip_len bytes (IP header included) to
 * dst: true and *ret filled, or false: send this probe through the IP
 * stack (not a plain Ethernet unicast route, the neighbour not resolved
 * yet - the stack's send resolves it -, or a stale neighbour to confirm).
 * now_ns: CLOCK_MONOTONIC. */
bool icr__nh_lookup(struct icr__nh *nh, const struct icr_addr *dst, size_t ip_len, int64_t now_ns,
                    struct icr__nh_hop *ret);

/* Whether icr__nh_lookup(dst) at now_ns would answer from the table,
 * without a query to the kernel (which takes tens of microseconds, more
 * under load): the engine submits the probes it has stamped before a
 * lookup that would hold them back. */
bool icr__nh_cached(struct icr__nh *nh, const struct icr_addr *dst, int64_t now_ns);

/* Read pending change notifications (non-blocking) and forget what they
 * make stale.  Cheap when nothing changed: one recv that returns EAGAIN. */
void icr__nh_poll(struct icr__nh *nh);

/* A frame to dst was refused (the device went down, ...): forget
 * everything, the next lookups ask the kernel again. */
void icr__nh_failed(struct icr__nh *nh);

/* ---- pure helpers, exposed for the unit tests ---- */

/* Common prefix length in bits of two addresses of `bytes` bytes. */
unsigned icr__nh_common_bits(const uint8_t *a, const uint8_t *b, size_t bytes);

/* A route prefix (a dump entry). */
struct icr__nh_route {
    uint8_t prefix[16];
    uint8_t len;
};

/* The block around dst (bits long) inside a route of length route_len
 * that overlaps none of routes[0..n-1] longer than route_len: the
 * smallest length L >= route_len such that dst's /L holds none of them.
 * A route that contains dst itself (another table's) pins it to bits. */
unsigned icr__nh_block_len(const uint8_t *dst, unsigned bits, unsigned route_len,
                           const struct icr__nh_route *routes, size_t n);

#endif /* ICR_NEXTHOP_H */
