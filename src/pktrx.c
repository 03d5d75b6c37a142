/* pktrx.c - the packet ring that receives for the AF_PACKET transport
 * (see pktrx.h for what it keeps and why). */
#include "pktrx.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <net/if.h> /* before the linux headers, which would redefine IFF_* */
#include <netinet/in.h>

#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/mman.h>

#include "icmpring.h"
#include "packet.h"

struct icr__pktrx {
    int fd;
    uint8_t *map;
    size_t map_len, block_size;
    unsigned nblocks;
    _Atomic unsigned cur;     /* the next block to read; read by other threads */
    _Atomic uint64_t drops;   /* read by other threads (stats) */
    _Atomic uint64_t refused;
};

/* IPv4 ICMP that is not a fragment, or ICMPv6 right after the fixed
 * header, addressed to this host, of the types the ICMP sockets let
 * through (sockopt.c: Echo Reply and the errors about a probe); the whole
 * packet.  Loads relative to the network header (SKF_NET_OFF) and the
 * skb's protocol, so any link type works (Ethernet, loopback, a TUN device
 * without a link header).  Filtering the types here keeps the kernel's
 * drop count (PACKET_STATISTICS) to packets the engine would have read. */
#define DROP 26
#define ACCEPT 27
#define J(i, to) ((to) - (i) - 1) /* the offset of a jump at i to `to` */
static const struct sock_filter filter[] = {
    /* 0 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)(SKF_AD_OFF + SKF_AD_PKTTYPE)),
    /* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PACKET_HOST, 0, J(1, DROP)),
    /* 2 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)(SKF_AD_OFF + SKF_AD_PROTOCOL)),
    /* 3 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, 0, J(3, 17)),
    /* IPv4: protocol 1, neither MF nor a fragment offset, a type we read. */
    /* 4 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, (uint32_t)(SKF_NET_OFF + 9)),
    /* 5 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_ICMP, 0, J(5, DROP)),
    /* 6 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, (uint32_t)(SKF_NET_OFF + 6)),
    /* 7 */ BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x3fff, J(7, DROP), 0),
    /* 8 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, (uint32_t)SKF_NET_OFF),
    /* 9 */ BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0x0f),
    /* 10 */ BPF_STMT(BPF_ALU | BPF_LSH | BPF_K, 2),
    /* 11 */ BPF_STMT(BPF_MISC | BPF_TAX, 0),
    /* 12 */ BPF_STMT(BPF_LD | BPF_B | BPF_IND, (uint32_t)SKF_NET_OFF),
    /* 13 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, J(13, ACCEPT), 0),  /* Echo Reply */
    /* 14 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 3, J(14, ACCEPT), 0),  /* Unreachable */
    /* 15 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 11, J(15, ACCEPT), 0), /* Time Exceeded */
    /* 16 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 12, J(16, ACCEPT), J(16, DROP)),
    /* IPv6 (A still holds the protocol): next header 58, a type we read. */
    /* 17 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IPV6, 0, J(17, DROP)),
    /* 18 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, (uint32_t)(SKF_NET_OFF + 6)),
    /* 19 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_ICMPV6, 0, J(19, DROP)),
    /* 20 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, (uint32_t)(SKF_NET_OFF + 40)),
    /* 21 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 129, J(21, ACCEPT), 0), /* Echo Reply */
    /* 22 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, J(22, ACCEPT), 0),   /* Unreachable */
    /* 23 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 2, J(23, ACCEPT), 0),   /* Too Big */
    /* 24 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 3, J(24, ACCEPT), 0),   /* Time Exceeded */
    /* 25 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 4, J(25, ACCEPT), J(25, DROP)),
    /* 26 */ BPF_STMT(BPF_RET | BPF_K, 0),
    /* 27 */ BPF_STMT(BPF_RET | BPF_K, 0x40000),
};
#undef J
#undef DROP
#undef ACCEPT

int icr__pktrx_fd(const struct icr__pktrx *rx) {
    return rx->fd;
}

struct icr__pktrx *icr__pktrx_free(struct icr__pktrx *rx) {
    if (!rx)
        return NULL;
    if (rx->map)
        munmap(rx->map, rx->map_len);
    if (rx->fd >= 0)
        close(rx->fd);
    free(rx);
    return NULL;
}

int icr__pktrx_new(int family, unsigned nblocks, unsigned block_kib, struct icr__pktrx **ret) {
    struct icr__pktrx *rx = calloc(1, sizeof(*rx));
    if (!rx)
        return ICR_ENOMEM;
    rx->fd = -1;
    int r;
    /* Protocol 0 until the filter and the ring are in place: the socket
     * receives nothing before bind() names the protocol. */
    rx->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    if (rx->fd < 0) {
        r = errno == EPERM || errno == EACCES ? ICR_ESOCKPERM : -errno;
        goto fail;
    }
    struct sock_fprog prog = {.len = sizeof(filter) / sizeof(filter[0]),
                              .filter = (struct sock_filter *)filter};
    int v = TPACKET_V3;
    rx->block_size = (size_t)block_kib << 10;
    rx->nblocks = nblocks;
    struct tpacket_req3 req = {
        .tp_block_size = (unsigned)rx->block_size,
        .tp_block_nr = nblocks,
        .tp_frame_size = 2048,
        .tp_frame_nr = (unsigned)(rx->block_size / 2048) * nblocks,
        .tp_retire_blk_tov = ICR__PKTRX_TOV_MS,
    };
    if (setsockopt(rx->fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0 ||
        setsockopt(rx->fd, SOL_PACKET, PACKET_VERSION, &v, sizeof(v)) < 0 ||
        setsockopt(rx->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)) < 0) {
        r = -errno;
        goto fail;
    }
    rx->map_len = rx->block_size * nblocks;
    void *m = mmap(NULL, rx->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, rx->fd, 0);
    if (m == MAP_FAILED) {
        r = -errno;
        goto fail;
    }
    rx->map = m;
    struct sockaddr_ll sll = {.sll_family = AF_PACKET,
                              .sll_protocol = htons(family == AF_INET6 ? ETH_P_IPV6 : ETH_P_IP)};
    if (bind(rx->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
        r = -errno;
        goto fail;
    }
    *ret = rx;
    return 0;
fail:
    icr__pktrx_free(rx);
    return r;
}

static struct tpacket_block_desc *block(const struct icr__pktrx *rx, unsigned i) {
    return (struct tpacket_block_desc *)(rx->map + (size_t)i * rx->block_size);
}

static bool ready(const struct tpacket_block_desc *bd) {
    return __atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER;
}

bool icr__pktrx_half_full(const struct icr__pktrx *rx) {
    /* The kernel fills blocks in ring order from the reader's position, so
     * the ready ones are a run starting there: half the ring is waiting
     * exactly when the block half a ring ahead is ready.  One load, where
     * counting would read every block's status (perf: ~1 % of a sweep's
     * time, from two threads asking once per batch). */
    unsigned cur = atomic_load_explicit(&rx->cur, memory_order_relaxed);
    return ready(block(rx, (cur + rx->nblocks / 2) % rx->nblocks));
}

uint64_t icr__pktrx_drops(struct icr__pktrx *rx) {
    return atomic_load_explicit(&rx->drops, memory_order_relaxed);
}

uint64_t icr__pktrx_refused(const struct icr__pktrx *rx) {
    return atomic_load_explicit(&rx->refused, memory_order_relaxed);
}

static void refuse(struct icr__pktrx *rx) {
    atomic_fetch_add_explicit(&rx->refused, 1, memory_order_relaxed);
}

bool icr__pktrx_parse(const uint8_t *ip, size_t len, int ifindex, struct sockaddr_in6 *name6,
                      struct icr__pktrx_pkt *p) {
    p->ttl = -1;
    p->name = NULL;
    p->namelen = 0;
    if (len >= 20 && ip[0] >> 4 == 4) {
        size_t ihl = (size_t)(ip[0] & 15u) * 4, tot = (size_t)ip[2] << 8 | ip[3];
        if (ihl < 20 || ihl > len || tot < ihl || tot > len || icr__checksum(ip, ihl) != 0)
            return false;
        p->family = AF_INET;
        p->data = ip;
        p->len = tot; /* the kernel trims what follows the datagram */
        return true;
    }
    if (len >= 40 && ip[0] >> 4 == 6) {
        size_t plen = (size_t)ip[4] << 8 | ip[5];
        struct in6_addr src, dst;
        memcpy(&src, ip + 8, 16);
        memcpy(&dst, ip + 24, 16);
        if (plen > len - 40 || plen < 4 || ip[6] != IPPROTO_ICMPV6 ||
            icr__icmp6_checksum(&src, &dst, ip + 40, plen) != 0)
            return false;
        /* A link-local sender is scoped by the interface, as recvmsg's
         * sin6_scope_id is. */
        *name6 = (struct sockaddr_in6){.sin6_family = AF_INET6, .sin6_addr = src};
        if (IN6_IS_ADDR_LINKLOCAL(&src) || IN6_IS_ADDR_MC_LINKLOCAL(&src))
            name6->sin6_scope_id = (uint32_t)ifindex;
        p->family = AF_INET6;
        p->data = ip + 40;
        p->len = plen;
        p->name = (const struct sockaddr *)name6;
        p->namelen = sizeof(*name6);
        p->ttl = ip[7];
        return true;
    }
    return false;
}

/* One frame: the checks of the kernel's IP input (icr__pktrx_parse), then
 * cb.  Returns 1 if cb got it. */
static size_t one(struct icr__pktrx *rx, const struct tpacket3_hdr *h, icr__pktrx_cb cb,
                  void *ud) {
    size_t mac = h->tp_mac, net = h->tp_net, snap = h->tp_snaplen;
    /* Cut short (cannot happen with the filter's snap length) or odd. */
    if (net < mac || snap < net - mac || h->tp_snaplen < h->tp_len) {
        refuse(rx);
        return 0;
    }
    /* The sockaddr_ll follows the header: its ifindex. */
    const struct sockaddr_ll *ll =
        (const void *)((const uint8_t *)h + TPACKET_ALIGN(sizeof(struct tpacket3_hdr)));
    struct sockaddr_in6 name6;
    struct icr__pktrx_pkt p;
    if (!icr__pktrx_parse((const uint8_t *)h + net, snap - (net - mac), ll->sll_ifindex, &name6,
                          &p)) {
        refuse(rx);
        return 0;
    }
    p.t_ns = (int64_t)h->tp_sec * 1000000000 + (int64_t)h->tp_nsec;
    cb(&p, ud);
    return 1;
}

size_t icr__pktrx_drain(struct icr__pktrx *rx, icr__pktrx_cb cb, void *ud) {
    size_t n = 0;
    unsigned cur = atomic_load_explicit(&rx->cur, memory_order_relaxed);
    for (unsigned k = 0; k < rx->nblocks; k++) {
        struct tpacket_block_desc *bd = block(rx, cur);
        if (!ready(bd))
            break;
        const uint8_t *p = (const uint8_t *)bd + bd->hdr.bh1.offset_to_first_pkt;
        for (uint32_t i = 0; i < bd->hdr.bh1.num_pkts; i++) {
            const struct tpacket3_hdr *h = (const void *)p;
            n += one(rx, h, cb, ud);
            p += h->tp_next_offset;
        }
        __atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
        cur = (cur + 1) % rx->nblocks;
        atomic_store_explicit(&rx->cur, cur, memory_order_relaxed);
    }
    if (n)
        icr__pktrx_sync(rx);
    return n;
}

void icr__pktrx_sync(struct icr__pktrx *rx) {
    /* What the ring could not hold (PACKET_STATISTICS: read and reset). */
    struct tpacket_stats_v3 st;
    socklen_t sl = sizeof(st);
    if (getsockopt(rx->fd, SOL_PACKET, PACKET_STATISTICS, &st, &sl) == 0 && st.tp_drops)
        atomic_fetch_add_explicit(&rx->drops, st.tp_drops, memory_order_relaxed);
}
