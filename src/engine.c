/* engine.c - the batch engine (engine.h): sockets, rings, sender threads,
 * rate, flow control, probe stamping, stateless validation and dispatch to
 * the job.  Jobs (sweep.c, multiping.c, trace.c) hold only their own logic.
 *
 * One thread drives one ring (ring.h: io_uring, or sendmmsg/recvmmsg batches
 * where io_uring is refused; the engine cannot tell them apart but for
 * stats.backend): it stamps probes into preallocated
 * slots, queues them as SENDMSG in batches, and handles replies as their
 * completions arrive.  Why one thread for both: on this kind of machine
 * (2 vCPUs, veth) the kernel's work for a probe - routing, the veth hop and
 * the responder's reply - runs on the sending CPU anyway, so a separate
 * receiver thread would compete for the only other core while adding
 * cross-thread hand-offs; the ring batches both directions into the same
 * io_uring_enter calls.  Big unlimited jobs add one helper thread that only
 * sends.  What other threads may read while it runs is atomic.
 *
 * Stateless validation (probe.h): each probe's id, sequence, IPv4 id and
 * payload carry a SipHash-2-4 MAC (random key per job) of its destination,
 * probe number and hop; the sequence carries the tag in clear so that even
 * an 8-byte quote names its probe.  A reply is dispatched only if it
 * verifies, so other programs' pings, forged replies and replies to an
 * earlier job (another key) are dropped and counted as invalid.
 */
#include "engine.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <linux/errqueue.h>  /* sock_extended_err */
#include <linux/icmp.h>      /* ICMP_FILTER (no glibc twin) */
#include <linux/if_ether.h>  /* ETH_P_IP, ETH_HLEN */
#include <linux/if_packet.h> /* sockaddr_ll, PACKET_QDISC_BYPASS */
#include <linux/sock_diag.h> /* SK_MEMINFO_* */
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "nexthop.h"
#include "pktrx.h"
#include "packet.h"
#include "probe.h"
#include "ratelimit.h"
#include "reply.h"
#include "ring.h"
#include "siphash.h"
#include "sockopt.h"

#define MAX_PAYLOAD ICR__ENGINE_MAX_PAYLOAD
#define NSLOTS 2048u
/* Send times of probes in flight, for ICMP errors whose quote is too short
 * to hold the payload's send time: bounded by the probes in flight, not by
 * the number of targets (a probe older than the table's turnover only
 * loses its RTT). */
#define NSENT 8192u

enum state { SENDING, COOLDOWN, DONE };

struct slot {
    int fd;           /* the socket it was queued on */
    uint8_t retries;  /* sent again after pending-error refusals */
    bool link;        /* an Ethernet frame on the AF_PACKET socket */
    struct icr__probe p;
    struct msghdr mh;
    struct iovec iov;
    union {
        struct sockaddr_in v4;
        struct sockaddr_in6 v6;
        struct sockaddr_ll ll;
    } sa;
    /* Hop limit and traffic class ride with each message where the header
     * is not ours (IPv6, and IPv4 datagram sockets: IP_TTL / IP_TOS cmsgs,
     * ip_cmsg_send), so probes of one batch may differ, as traceroute's do;
     * IPv4 raw sends carry both in the header queue_probe writes. */
    union {
        char buf[2 * CMSG_SPACE(sizeof(int))];
        size_t align;
    } ctrl;
    /* AF_PACKET: Ethernet + IPv4/IPv6 header + ICMP; raw IPv4: 20-byte IP
     * header (IP_HDRINCL) + ICMP; otherwise ICMP only. */
    uint8_t pkt[ETH_HLEN + 40 + ICR__ICMP_HDR_LEN + MAX_PAYLOAD];
};

/* One sender's transmit state: its ring, its send sockets and its probe
 * slots.  tx[0] belongs to the thread that steps the job (its ring also
 * receives); tx[1], when there is a second sender, to the helper thread. */
struct tx {
    /* Probes this sender's kernel accepted, and of those the frames: per
     * sender, each written by its own thread only, on its own cache line
     * (the tx structs are 64-byte aligned).  Shared counters cost two
     * contended atomic adds per probe when two senders run. */
    _Alignas(64) _Atomic uint64_t sent;
    _Atomic uint64_t link_sent;
    struct icr__engine *e;
    struct icr__ring *ring;
    int fd4, fd6;             /* send sockets, -1 when unused */
    int fdp;                  /* AF_PACKET send socket, -1 unless the packet transport runs */
    int fdp_ifindex;          /* the interface fdp is bound to: 0 not yet, -1 never again */
    struct icr__nh *nh;       /* its next hops (nexthop.h), NULL likewise */
    struct slot *slots;
    uint32_t *free_slots;
    uint32_t nfree;
    uint32_t inflight;
    struct icr__rl rl;
    uint32_t chunk;           /* probes a paced sender waits for (start()) */
    struct icr_addr last_ok;  /* the last target a probe of ours left for */
    bool has_ok;
};

struct counters {
    _Atomic uint64_t send_errors, hits, replies, duplicates, errors, invalid;
};

struct sent_entry {
    _Atomic uint64_t key; /* hash of (dst, probe, hop); 0 = empty */
    _Atomic int64_t sent_ns;
};

struct icr__engine {
    struct icr__engine_cfg cfg;
    bool privileged;
    bool df;                  /* IPv4 raw probes carry DF (IP_PMTUDISC_WANT default) */
    int fd4_send, fd4_recv, fd6; /* -1 when unused */
    int src4, src6;           /* receive indexes in the ring */
    int errw4, errw6;         /* error-queue watches (datagram sockets only), -1 if none */
    struct icr__ring *ring;
    struct icr__pktrx *rx[2]; /* the packet rings that receive (IPv4, IPv6), NULL: the sockets do */
    bool ring_rx;             /* they do */
    _Atomic uint64_t ring_received; /* packets it handed to on_recv */

    struct icr__sipkey key;
    /* Positions handed out over all passes: pass = claimed / per_pass.
     * One word, so no sender can pair a new pass with an old position. */
    _Atomic uint64_t claimed;
    uint64_t total;           /* count * per_pass; UINT64_MAX: until stopped */
    _Atomic uint32_t open_pass; /* passes <= open_pass may be claimed */
    int64_t pass_start_ns;

    struct tx tx[2];
    unsigned nsenders;        /* 1, or 2 with a helper thread sending too */
    pthread_t helper;
    bool helper_started;

    /* Echo Request template: the payload's constant tail and the unfolded
     * sum of the ICMP message with every per-probe field at zero. */
    uint8_t tmpl[ICR__ICMP_HDR_LEN + MAX_PAYLOAD];
    size_t icmp_len;
    uint32_t base_sum;

    struct sent_entry *sent_tab;

    struct counters c;
    _Atomic int stop;         /* set by icr__engine_stop (signal-safe) */
    bool stopped;
    _Atomic int state;        /* enum state; read by get_stats from any thread */
    _Atomic bool started;
    _Atomic bool multishot;
    int backend;              /* ICR_BACKEND_*: set in new, then immutable */
    int transport;            /* ICR_TRANSPORT_PACKET/RAW/DGRAM: likewise */
    _Atomic int64_t start_ns, send_end_ns;
    int64_t cooldown_end_ns;
    /* The receive sockets' drop counters (sk_drops: the highest value seen,
     * from SO_RXQ_OVFL on each reply, from SO_MEMINFO per send batch and
     * once more at the end, so drops after the last reply count too). */
    _Atomic uint32_t drops4, drops6;
    uint64_t rcvbuf;          /* the smallest receive buffer the kernel gave */
    uint64_t backlog_pauses;  /* times the sender waited for the receiver */
    _Atomic int last_send_error;
    _Atomic uint32_t fail_streak; /* probes refused in a row for a link reason */
    _Atomic int fatal;        /* why sending had to end early, 0 if it need not */
    int evfd;                 /* the caller's wake-up eventfd (the ring's), -1 until asked for */
};

static int64_t mono_ns(void) {
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t real_ns(void) {
    struct timespec ts;
    (void)clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void count(_Atomic uint64_t *c) {
    atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

/* Probes accepted by the kernel, over both senders; any thread. */
static uint64_t sent_total(const struct icr__engine *e) {
    return atomic_load_explicit(&e->tx[0].sent, memory_order_relaxed) +
           atomic_load_explicit(&e->tx[1].sent, memory_order_relaxed);
}

/* Big kernel buffers: a job at full speed gets replies in bursts far
 * beyond the default 208 KiB.  SO_*BUFFORCE needs CAP_NET_ADMIN; without
 * it the plain option (capped by net.core.*mem_max) is the best we get. */
static void big_buffers(int fd, bool rx) {
    int sz = 32 << 20;
    if (icr__setopt_int(fd, SOL_SOCKET, rx ? SO_RCVBUFFORCE : SO_SNDBUFFORCE, sz) < 0)
        (void)icr__setopt_int(fd, SOL_SOCKET, rx ? SO_RCVBUF : SO_SNDBUF, sz);
}

static int open_recv_opts(struct icr__engine *e, int fd, int family) {
    big_buffers(fd, true);
    /* What we got: without CAP_NET_ADMIN, twice net.core.rmem_max at most
     * (the stats report it, so a caller can name the limit on drops). */
    int got = 0;
    socklen_t gl = sizeof(got);
    if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &gl) == 0 && got > 0 &&
        (e->rcvbuf == 0 || (uint64_t)got < e->rcvbuf))
        e->rcvbuf = (uint64_t)got;
    /* The kernel's count of packets this socket dropped (buffer full). */
    (void)icr__setopt_int(fd, SOL_SOCKET, SO_RXQ_OVFL, 1);
    /* Datagram sockets: ICMP errors come through the error queue, which
     * drain_errqueue reads when the ring's POLLERR watch fires. */
    return icr__icmp_rx_setup(fd, family, e->privileged, !e->privileged);
}

/* Privileged: IPv4 sends go through IPPROTO_RAW with IP_HDRINCL (we write
 * the IP header, so TTL, TOS and IP id are per packet; measured ~1.35x the
 * rate of IPPROTO_ICMP here), replies come in on a raw IPPROTO_ICMP socket;
 * IPv6 uses one raw ICMPv6 socket both ways (the kernel fills the ICMPv6
 * checksum, RFC 3542).  Unprivileged: ICMP datagram sockets both ways. */
static int open_sockets(struct icr__engine *e, bool privileged) {
    int r;
    e->privileged = privileged;
    if (e->cfg.want4) {
        if (privileged) {
            if ((r = icr__icmp_socket(AF_INET, SOCK_RAW, IPPROTO_RAW)) < 0)
                return r;
            e->fd4_send = r;
            big_buffers(e->fd4_send, false);
            /* Whether the kernel would set DF: its default for a new socket
             * is WANT, or DONT with net.ipv4.ip_no_pmtu_disc (then iputils'
             * probes carry no DF either). */
            int pmtu = IP_PMTUDISC_WANT;
            socklen_t plen = sizeof(pmtu);
            (void)getsockopt(r, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, &plen);
            e->df = pmtu == IP_PMTUDISC_WANT || pmtu == IP_PMTUDISC_DO ||
                    pmtu == IP_PMTUDISC_PROBE;
            if ((r = icr__icmp_socket(AF_INET, SOCK_RAW, IPPROTO_ICMP)) < 0)
                return r;
            e->fd4_recv = r;
        } else {
            if ((r = icr__icmp_socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP)) < 0)
                return r;
            e->fd4_send = e->fd4_recv = r;
            big_buffers(r, false);
        }
        if ((r = open_recv_opts(e, e->fd4_recv, AF_INET)) < 0)
            return r;
    }
    if (e->cfg.want6) {
        if ((r = icr__icmp_socket(AF_INET6, privileged ? SOCK_RAW : SOCK_DGRAM, IPPROTO_ICMPV6)) < 0)
            return r;
        e->fd6 = r;
        big_buffers(r, false);
        if ((r = open_recv_opts(e, e->fd6, AF_INET6)) < 0)
            return r;
    }
    return 0;
}

static void close_sockets(struct icr__engine *e) {
    if (e->fd4_recv >= 0 && e->fd4_recv != e->fd4_send)
        close(e->fd4_recv);
    if (e->fd4_send >= 0)
        close(e->fd4_send);
    if (e->fd6 >= 0)
        close(e->fd6);
    e->fd4_send = e->fd4_recv = e->fd6 = -1;
}

/* The AF_PACKET transport for one sender: a SOCK_RAW packet socket with
 * protocol 0 (it receives nothing; replies still come in on the ICMP
 * sockets) that sends to any interface by naming it in each message's
 * sockaddr_ll, so targets behind different interfaces share it, and its
 * own rtnetlink view of the next hops.  PACKET_QDISC_BYPASS (3.14) hands
 * frames straight to the driver: no qdisc, and no routing or netfilter
 * either, which is the point (measured here: a bare sendmmsg reaches
 * ~715 kpps on one thread, against ~390 kpps for IPPROTO_RAW). */
static int open_link(struct tx *t) {
    int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return errno == EPERM || errno == EACCES ? ICR_ESOCKPERM : -errno;
    t->fdp = fd;
    if (icr__setopt_int(fd, SOL_PACKET, PACKET_QDISC_BYPASS, 1) < 0)
        return -errno;
    big_buffers(fd, false);
    return icr__nh_new(&t->nh);
}

/* Jobs smaller than this receive on the ICMP sockets (see open_ring_rx). */
#define RING_MIN_PROBES 50000u

/* The probes a job plans, a job without end (count 0: a ping until
 * Ctrl-C) counted as one pass. */
static uint64_t ring_probes(const struct icr__engine *e) {
    return e->cfg.count ? e->total : e->cfg.per_pass;
}

/* The packet transport's receive path: a TPACKET_V3 ring (pktrx.h) takes
 * the replies instead of the ICMP sockets.  Why: in the lab with replies a
 * raw ICMP socket costs ~1.8 us of CPU per reply (the kernel clones each
 * reply for it, queues it, wakes the reader and copies it out), the ring
 * ~0.4 (bench/README.md, "the receive path"), and with two senders the
 * replies' cost is what holds the send rate back.
 *
 * Only where every reply is whole in one frame: probes that go as frames
 * (576 bytes of IPv4, 1280 of IPv6), so the replies and the quotes about
 * them are not fragmented.  Not with ICR_SWEEP_SINGLE_RECV (which asks for
 * one-shot recvmsg on the sockets) or ICR_SWEEP_SOCKET_RECV.  Not for
 * traceroutes: a traceroute decides its next probes on each reply, and the
 * ring hands replies over a block at a time (up to ~4 ms later), which
 * made the lab's 256-destination traceroute 0.07-0.09 s against 0.05 on
 * the sockets.  Nor for jobs of fewer than RING_MIN_PROBES probes unless
 * asked (ICR_SWEEP_RING_RECV): setting a ring up takes one RCU grace
 * period (synchronize_net in packet_set_ring) and closing it three, ~8 and
 * ~24 ms here whatever its size (and there is one ring per family the job
 * probes), which a multiping of 10,000 hosts x 3 (0.09 s) would feel; from
 * 50,000 probes on (a /16 sweep is 65,534), the ~1.4 us of CPU saved per
 * reply pays for it.
 *
 * The ICMP sockets stay open (they send, and bind the source) but receive
 * nothing: an ICMP filter that blocks every type makes the kernel skip
 * them before it clones a packet (raw_v4_input, ipv6_raw_deliver), and
 * without SO_TIMESTAMPNS no socket of ours turns on the timestamp of every
 * packet the host receives (the ring stamps its own).  When the ring
 * cannot be made (memory, a kernel without TPACKET_V3), the sockets
 * receive as before. */
static int open_ring_rx(struct icr__engine *e) {
    if (e->transport != ICR_TRANSPORT_PACKET || e->cfg.single_recv || e->cfg.socket_recv ||
        e->cfg.ttl_in_tag || (!e->cfg.ring_recv && ring_probes(e) < RING_MIN_PROBES) ||
        (e->cfg.want4 && ICR__IPV4_HDR_LEN + e->icmp_len > 576) ||
        (e->cfg.want6 && 40 + e->icmp_len > 1280))
        return 0;
    /* 512 blocks of 16 KiB (8 MiB): at ~190 bytes a reply, ~85 replies a
     * block, ~43,000 in all (~90 ms at 500 kpps).  A block is handed over
     * when full or ICR__PKTRX_TOV_MS after its first packet, so a reader
     * that stalls while replies trickle in fills one block per 2 ms: 512
     * of them cover a stall of ~1 s (a caller's slow event loop), and the
     * last replies of a job wait at most ~4 ms to be read. */
    for (int i = 0; i < 2; i++) {
        if (!(i ? e->cfg.want6 : e->cfg.want4))
            continue;
        if (icr__pktrx_new(i ? AF_INET6 : AF_INET, 512, 16, &e->rx[i]) < 0) {
            e->rx[0] = icr__pktrx_free(e->rx[0]);
            e->rx[1] = NULL;
            return 0;
        }
    }
    e->ring_rx = true;
    struct icmp_filter none4 = {.data = ~0u};
    struct icmp6_filter none6;
    ICMP6_FILTER_SETBLOCKALL(&none6);
    int r;
    if (e->fd4_recv >= 0 &&
        (setsockopt(e->fd4_recv, SOL_RAW, ICMP_FILTER, &none4, sizeof(none4)) < 0 ||
         icr__setopt_int(e->fd4_recv, SOL_SOCKET, SO_TIMESTAMPNS, 0) < 0))
        return -errno;
    if (e->fd6 >= 0 &&
        (setsockopt(e->fd6, IPPROTO_ICMPV6, ICMP6_FILTER, &none6, sizeof(none6)) < 0 ||
         icr__setopt_int(e->fd6, SOL_SOCKET, SO_TIMESTAMPNS, 0) < 0))
        return -errno;
    for (int i = 0; i < 2; i++)
        if (e->rx[i] && (r = icr__ring_add_readwatch(e->ring, icr__pktrx_fd(e->rx[i]))) < 0)
            return r;
    return 0;
}

static void close_link(struct tx *t) {
    if (t->fdp >= 0)
        close(t->fdp);
    t->fdp = -1;
    t->fdp_ifindex = 0;
    t->nh = icr__nh_free(t->nh);
}

/* Bind the sockets that receive (and, but for IPv4 with IP_HDRINCL, send)
 * to the chosen source: the kernel then refuses an address that is not
 * ours (EADDRNOTAVAIL), and the receiving socket takes only what comes to
 * it.  IPv4 raw sends carry the address in the header queue_probe writes. */
static int bind_sources(struct icr__engine *e) {
    const struct {
        int fd;
        const struct icr_addr *a;
    } b[3] = {
        {e->fd4_recv, &e->cfg.source4},
        {e->fd4_send != e->fd4_recv ? e->fd4_send : -1, &e->cfg.source4},
        {e->fd6, &e->cfg.source6},
    };
    for (int i = 0; i < 3; i++) {
        struct sockaddr_storage ss;
        int len;
        if (b[i].fd < 0 || b[i].a->family == AF_UNSPEC)
            continue;
        /* IPPROTO_RAW sockets only send; binding one adds nothing. */
        if (i == 1 && e->privileged)
            continue;
        if ((len = icr_addr_to_sockaddr(b[i].a, &ss)) < 0 ||
            bind(b[i].fd, (struct sockaddr *)&ss, (socklen_t)len) < 0)
            return ICR_ESOCKADDR;
    }
    return 0;
}

/* Two senders when the job is big and unlimited: on this kind of machine
 * almost all the work of a probe - routing, the veth hop and the
 * responder's stack - is kernel work charged to the CPU that sent it, so one
 * thread saturates one core however cheap its own code is (measured here:
 * one sender ~98 kpps; two sweeps side by side ~178 kpps together).  Only
 * with raw sockets: a second ping socket would get its own replies, which
 * nobody reads.  A rate too low to split in two keeps one sender (each
 * limiter needs at least 1 pps: 0 would mean unlimited). */
static unsigned choose_senders(const struct icr__engine *e) {
    if (!e->privileged || e->cfg.senders == 1 || (e->cfg.rate != 0 && e->cfg.rate < 2))
        return 1;
    if (e->cfg.senders >= 2)
        return 2;
    /* Big: all passes together (a multiping of 10,000 hosts x 3 gains as
     * much as a sweep of 30,000: measured 0.163 -> 0.094 s), or one pass
     * of an unlimited count. */
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    uint64_t probes = e->total == UINT64_MAX ? e->cfg.per_pass : e->total;
    return e->cfg.rate == 0 && cpus >= 2 && probes >= 16384 ? 2 : 1;
}

/* Slots, and for the helper its own send sockets (its ring is made by the
 * helper thread itself: a SINGLE_ISSUER ring belongs to its creator). */
static int tx_init(struct tx *t, struct icr__engine *e, bool helper) {
    int r;
    t->e = e;
    t->slots = calloc(NSLOTS, sizeof(*t->slots));
    t->free_slots = calloc(NSLOTS, sizeof(*t->free_slots));
    if (!t->slots || !t->free_slots)
        return ICR_ENOMEM;
    for (uint32_t i = 0; i < NSLOTS; i++)
        t->free_slots[i] = NSLOTS - 1 - i;
    t->nfree = NSLOTS;
    if (helper && e->transport == ICR_TRANSPORT_PACKET && (r = open_link(t)) < 0)
        return r;
    if (helper && e->cfg.want4) {
        if ((r = icr__icmp_socket(AF_INET, SOCK_RAW, IPPROTO_RAW)) < 0)
            return r;
        t->fd4 = r;
        big_buffers(r, false);
    }
    if (helper && e->cfg.want6) {
        if ((r = icr__icmp_socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6)) < 0)
            return r;
        t->fd6 = r;
        big_buffers(r, false);
        /* A raw ICMPv6 socket gets a copy of every ICMPv6 packet: this one
         * only sends, so let nothing in. */
        struct icmp6_filter f;
        ICMP6_FILTER_SETBLOCKALL(&f);
        if (setsockopt(r, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f)) < 0)
            return -errno;
        struct sockaddr_storage ss;
        int len;
        if (e->cfg.source6.family == AF_INET6 &&
            ((len = icr_addr_to_sockaddr(&e->cfg.source6, &ss)) < 0 ||
             bind(r, (struct sockaddr *)&ss, (socklen_t)len) < 0))
            return ICR_ESOCKADDR;
    }
    return 0;
}

static int check_cfg(const struct icr__engine_cfg *c) {
    if (!c->ops || !c->ops->probe_at || !c->ops->on_result || c->per_pass == 0 ||
        !(c->interval >= 0 && c->interval <= 86400) || !(c->cooldown >= 0 && c->cooldown <= 86400) ||
        c->ttl < 1 || c->ttl > 255 || c->traffic_class < 0 || c->traffic_class > 255 ||
        c->payload_size < ICR__PROBE_HDR || c->payload_size > MAX_PAYLOAD || c->batch < 1 ||
        c->batch > 1024 || c->senders > 2 || (!c->want4 && !c->want6) ||
        c->transport < ICR_TRANSPORT_AUTO || c->transport > ICR_TRANSPORT_DGRAM ||
        (c->transport == ICR_TRANSPORT_DGRAM && c->privilege == ICR_PRIVILEGED) ||
        ((c->transport == ICR_TRANSPORT_PACKET || c->transport == ICR_TRANSPORT_RAW) &&
         c->privilege == ICR_UNPRIVILEGED) ||
        (c->privilege != ICR_PRIVILEGED && c->privilege != ICR_UNPRIVILEGED &&
         c->privilege != ICR_PRIV_AUTO) ||
        (c->source4.family != AF_UNSPEC && c->source4.family != AF_INET) ||
        (c->source6.family != AF_UNSPEC && c->source6.family != AF_INET6))
        return ICR_EINVAL;
    return 0;
}

int icr__engine_new(const struct icr__engine_cfg *cfg, struct icr__engine **ret) {
    struct icr__engine *e;
    int r;
    if (!cfg || !ret || check_cfg(cfg) < 0)
        return ICR_EINVAL;
    /* Aligned for the senders' counters (struct tx: own cache lines). */
    if (posix_memalign((void **)&e, _Alignof(struct icr__engine), sizeof(*e)) != 0)
        return ICR_ENOMEM;
    memset(e, 0, sizeof(*e));
    /* Every descriptor is invalid until opened: freeing a half-built
     * engine must never close somebody else's fd 0. */
    e->fd4_send = e->fd4_recv = e->fd6 = -1;
    e->src4 = e->src6 = e->errw4 = e->errw6 = -1;
    e->tx[0].fd4 = e->tx[0].fd6 = e->tx[1].fd4 = e->tx[1].fd6 = -1;
    e->tx[0].fdp = e->tx[1].fdp = -1;
    e->tx[0].fdp_ifindex = e->tx[1].fdp_ifindex = 0;
    e->evfd = -1;
    e->cfg = *cfg;
    if (cfg->count == 0)
        e->total = UINT64_MAX;
    else if (__builtin_mul_overflow(cfg->per_pass, (uint64_t)cfg->count, &e->total)) {
        r = ICR_EINVAL; /* more probes than a 64-bit counter holds */
        goto fail;
    }
    /* Resume: the positions an earlier run handed out are not handed out
     * again, and the pass they reached is open from the start (the
     * interval before it went by in that run).  A start at or beyond the
     * end leaves nothing to send: the job goes straight to its wait. */
    if (cfg->start) {
        uint64_t s = cfg->start < e->total ? cfg->start : e->total;
        atomic_init(&e->claimed, s);
        uint64_t pass = (s < e->total ? s : s - 1) / cfg->per_pass;
        atomic_init(&e->open_pass, (uint32_t)(pass > UINT32_MAX ? UINT32_MAX : pass));
    }

    if (cfg->privilege == ICR_UNPRIVILEGED || cfg->transport == ICR_TRANSPORT_DGRAM) {
        r = open_sockets(e, false);
    } else {
        r = open_sockets(e, true);
        if (r == ICR_ESOCKPERM && cfg->privilege == ICR_PRIV_AUTO &&
            cfg->transport == ICR_TRANSPORT_AUTO) {
            close_sockets(e);
            r = open_sockets(e, false);
        }
    }
    if (r < 0)
        goto fail;
    e->transport = e->privileged ? ICR_TRANSPORT_RAW : ICR_TRANSPORT_DGRAM;
    if (e->privileged && cfg->transport != ICR_TRANSPORT_RAW) {
        /* Automatic: the packet transport where it can be opened (a
         * capability set with CAP_NET_RAW opens both), else raw. */
        r = open_link(&e->tx[0]);
        if (r == 0)
            e->transport = ICR_TRANSPORT_PACKET;
        else if (cfg->transport == ICR_TRANSPORT_PACKET)
            goto fail;
        else
            close_link(&e->tx[0]);
    }
    if ((r = bind_sources(e)) < 0)
        goto fail;

    uint8_t keybytes[16];
    if (getrandom(keybytes, sizeof(keybytes), 0) != (ssize_t)sizeof(keybytes)) {
        r = -errno;
        goto fail;
    }
    icr__sipkey_load(&e->key, keybytes);

    e->sent_tab = calloc(NSENT, sizeof(*e->sent_tab));
    if (!e->sent_tab) {
        r = ICR_ENOMEM;
        goto fail;
    }
    e->nsenders = choose_senders(e);
    e->tx[0].fd4 = e->fd4_send;
    e->tx[0].fd6 = e->fd6;
    for (unsigned i = 0; i < e->nsenders; i++)
        if ((r = tx_init(&e->tx[i], e, i == 1)) < 0)
            goto fail;

    e->icmp_len = ICR__ICMP_HDR_LEN + cfg->payload_size;
    e->base_sum = icr__probe_template(e->tmpl, sizeof(e->tmpl), cfg->payload_size);

    if ((r = icr__ring_new_fixed(NSLOTS,
                                 (cfg->single_recv ? ICR__RING_SINGLE_RECV : 0) |
                                     (cfg->no_uring ? ICR__RING_NO_URING : 0),
                                 e->tx[0].fdp, &e->ring)) < 0)
        goto fail;
    e->backend = icr__ring_backend(e->ring);
    e->tx[0].ring = e->ring;
    if (e->fd4_recv >= 0 && (r = e->src4 = icr__ring_add_recv(e->ring, e->fd4_recv)) < 0)
        goto fail;
    if (e->fd6 >= 0 && (r = e->src6 = icr__ring_add_recv(e->ring, e->fd6)) < 0)
        goto fail;
    if (!e->privileged) {
        if (e->fd4_recv >= 0 && (r = e->errw4 = icr__ring_add_errwatch(e->ring, e->fd4_recv)) < 0)
            goto fail;
        if (e->fd6 >= 0 && (r = e->errw6 = icr__ring_add_errwatch(e->ring, e->fd6)) < 0)
            goto fail;
    }
    if ((r = open_ring_rx(e)) < 0)
        goto fail;
    atomic_store(&e->multishot, icr__ring_multishot(e->ring));
    *ret = e;
    return 0;
fail:
    icr__engine_free(e);
    return r;
}

struct icr__engine *icr__engine_free(struct icr__engine *e) {
    if (!e)
        return NULL;
    if (e->helper_started) {
        atomic_store_explicit(&e->stop, 1, memory_order_relaxed);
        pthread_join(e->helper, NULL);
    }
    /* The ring goes first: its exit cancels the receives still pointing at
     * the sockets and slots. */
    e->ring = icr__ring_free(e->ring);
    /* After the ring: its polls on these fds are gone. */
    e->rx[0] = icr__pktrx_free(e->rx[0]);
    e->rx[1] = icr__pktrx_free(e->rx[1]);
    for (unsigned i = 0; i < 2; i++) {
        free(e->tx[i].slots);
        free(e->tx[i].free_slots);
    }
    close_link(&e->tx[0]);
    close_link(&e->tx[1]);
    if (e->tx[1].fd4 >= 0)
        close(e->tx[1].fd4);
    if (e->tx[1].fd6 >= 0)
        close(e->tx[1].fd6);
    close_sockets(e);
    free(e->sent_tab);
    free(e);
    return NULL;
}

/* ---- the send-time table ------------------------------------------------ */

static uint64_t sent_key(const struct icr__engine *e, const struct icr_addr *dst, uint32_t probe,
                         uint8_t hop) {
    uint64_t k = icr__probe_hash(&e->key, dst, probe, hop) ^ 0x9e3779b97f4a7c15ull;
    return k ? k : 1;
}

static void sent_put(struct icr__engine *e, uint64_t k, int64_t sent_ns) {
    struct sent_entry *s = &e->sent_tab[k & (NSENT - 1)];
    atomic_store_explicit(&s->key, 0, memory_order_relaxed);
    atomic_store_explicit(&s->sent_ns, sent_ns, memory_order_relaxed);
    atomic_store_explicit(&s->key, k, memory_order_release);
}

static int64_t sent_get(const struct icr__engine *e, uint64_t k) {
    const struct sent_entry *s = &e->sent_tab[k & (NSENT - 1)];
    if (atomic_load_explicit(&s->key, memory_order_acquire) != k)
        return -1;
    int64_t t = atomic_load_explicit(&s->sent_ns, memory_order_relaxed);
    return atomic_load_explicit(&s->key, memory_order_acquire) == k ? t : -1;
}

/* ---- sending -------------------------------------------------------------- */

static void put_cmsg(struct cmsghdr *cm, int level, int type, int v) {
    cm->cmsg_level = level;
    cm->cmsg_type = type;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &v, sizeof(int));
}

/* Write the IPv4 header of a probe (20 bytes, no options) at ip: the same
 * header the raw path hands to IP_HDRINCL, but for src and the checksum,
 * which the kernel fills there and we fill for frames. */
static void put_ipv4(uint8_t *ip, const struct icr__engine *e, const struct icr__probe *p,
                     uint16_t ip_id, const struct icr_addr *src, bool csum) {
    size_t tot = ICR__IPV4_HDR_LEN + e->icmp_len;
    ip[0] = 0x45;
    ip[1] = (uint8_t)e->cfg.traffic_class;
    ip[2] = (uint8_t)(tot >> 8);
    ip[3] = (uint8_t)tot;
    ip[4] = (uint8_t)(ip_id >> 8);
    ip[5] = (uint8_t)ip_id;
    /* DF as the kernel sets it on the sockets icmplib and iputils ping
     * send with (IP_PMTUDISC_WANT, the default): a router answers a probe
     * larger than its next hop with Fragmentation Needed instead of
     * fragmenting it.  Where the prober's kernel already knows a smaller
     * path MTU it refuses a raw probe (EMSGSIZE) and on_sent sends it again
     * without DF, fragmented, as WANT does. */
    ip[6] = e->df ? 0x40 : 0;
    ip[7] = 0;
    ip[8] = p->hop;
    ip[9] = IPPROTO_ICMP;
    ip[10] = ip[11] = 0;
    if (src && src->family == AF_INET)
        memcpy(ip + 12, &src->v4, 4);
    else
        memset(ip + 12, 0, 4);
    memcpy(ip + 16, &p->dst.v4, 4);
    if (csum) {
        uint16_t c = icr__checksum(ip, ICR__IPV4_HDR_LEN);
        memcpy(ip + 10, &c, 2);
    }
}

/* Make the stamped probe at sl->pkt + ETH_HLEN + ip header into a frame for
 * hop: Ethernet header, IP header (source: the configured one, else the
 * kernel's choice for the route), and for IPv6 the ICMPv6 checksum over
 * the pseudo-header, which the kernel computes on raw sockets.  The probe's
 * Paris word makes the message sum the destination's constant, so the
 * checksum stays constant per destination here too.  Returns the length. */
static size_t put_frame(struct slot *sl, const struct icr__engine *e, const struct icr__probe *p,
                        uint16_t ip_id, const struct icr__nh_hop *hop) {
    uint8_t *f = sl->pkt;
    bool v4 = p->dst.family == AF_INET;
    const struct icr_addr *src = v4 ? &e->cfg.source4 : &e->cfg.source6;
    if (src->family == AF_UNSPEC)
        src = &hop->src;
    memcpy(f, hop->dst_mac, 6);
    memcpy(f + 6, hop->src_mac, 6);
    f[12] = (uint8_t)((v4 ? ETH_P_IP : ETH_P_IPV6) >> 8);
    f[13] = (uint8_t)(v4 ? ETH_P_IP : ETH_P_IPV6);
    uint8_t *ip = f + ETH_HLEN;
    if (v4) {
        put_ipv4(ip, e, p, ip_id, src, true);
        return ETH_HLEN + ICR__IPV4_HDR_LEN + e->icmp_len;
    }
    uint8_t *icmp = ip + 40;
    unsigned tc = (unsigned)e->cfg.traffic_class;
    /* Flow label 0: constant per destination, as Paris traceroute wants. */
    ip[0] = (uint8_t)(0x60 | tc >> 4);
    ip[1] = (uint8_t)(tc << 4);
    ip[2] = ip[3] = 0;
    ip[4] = (uint8_t)(e->icmp_len >> 8);
    ip[5] = (uint8_t)e->icmp_len;
    ip[6] = IPPROTO_ICMPV6;
    ip[7] = p->hop;
    memcpy(ip + 8, &src->v6, 16);
    memcpy(ip + 24, &p->dst.v6, 16);
    uint16_t c = icr__icmp6_checksum(&src->v6, &p->dst.v6, icmp, e->icmp_len);
    memcpy(icmp + 2, &c, 2);
    return ETH_HLEN + 40 + e->icmp_len;
}

/* The name a frame for interface ifindex needs on t's packet socket: 0
 * (none) when the socket is bound to ifindex, else sizeof(sockaddr_ll).
 * The socket is bound to the interface of its first frame.  Why: a
 * nameless message saves the kernel copying and checking a sockaddr per
 * frame, and with one iovec and no control data ring.c sends it with
 * IORING_OP_SEND, which copies no msghdr or iovec either (perf, send-only
 * into a sink: ~7 % of a packet sender's CPU per probe, bench/README.md).
 * Binding keeps protocol 0, so the socket still receives nothing (no
 * protocol hook is registered, af_packet.c packet_do_bind); a nameless
 * frame's skb protocol then comes from its Ethernet header
 * (packet_parse_headers, dev_parse_header_protocol: 5.2).  Frames for
 * other interfaces keep their sockaddr_ll.  After a refused frame
 * (on_sent) the socket is never used nameless again (-1), so a device
 * that went away and came back can only cost names, not frames. */
static socklen_t link_name(struct tx *t, int ifindex) {
    if (t->fdp_ifindex == 0) {
        struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_ifindex = ifindex};
        t->fdp_ifindex = bind(t->fdp, (struct sockaddr *)&sll, sizeof(sll)) == 0 ? ifindex : -1;
    }
    return t->fdp_ifindex == ifindex ? 0 : (socklen_t)sizeof(struct sockaddr_ll);
}

/* Stamp probe p into one of t's slots and queue it on t's ring: as an
 * Ethernet frame on the AF_PACKET socket when the next hop allows, else
 * through the IP stack (raw or datagram socket).  mono: the batch's
 * CLOCK_MONOTONIC time, for the next hops' re-reads (a clock read per
 * probe cost ~3 % of a sender's time here, measured with perf). */
static int queue_probe(struct tx *t, const struct icr__probe *p, int64_t mono) {
    struct icr__engine *e = t->e;
    uint32_t id = t->free_slots[--t->nfree];
    struct slot *sl = &t->slots[id];
    const struct icr_addr *dst = &p->dst;
    bool v4 = dst->family == AF_INET;
    struct icr__nh_hop hop;
    size_t ip_len = (v4 ? ICR__IPV4_HDR_LEN : 40) + e->icmp_len;
    /* Frames skip the kernel's path-MTU state (what it learnt from
     * Fragmentation Needed / Packet Too Big), so only probes that every
     * path carries go as frames: 576 bytes for IPv4 (RFC 791's datagram
     * every host accepts), 1280 for IPv6 (RFC 8200's minimum link MTU).
     * Bigger ones take the IP stack, where path-MTU discovery works as it
     * does for ping. */
    bool link = t->nh && ip_len <= (v4 ? 576u : 1280u) &&
                icr__nh_lookup(t->nh, dst, ip_len, mono, &hop);
    bool hdrincl = !link && v4 && e->privileged;
    uint8_t *icmp = sl->pkt + (link ? ETH_HLEN + (v4 ? ICR__IPV4_HDR_LEN : 40)
                                    : hdrincl ? ICR__IPV4_HDR_LEN : 0);
    int64_t now = real_ns();

    sl->p = *p;
    memcpy(icmp, e->tmpl, e->icmp_len);
    uint16_t ip_id = icr__probe_stamp(icmp, dst->family, e->base_sum, &e->key, dst, p->index,
                                      p->probe, p->hop, e->cfg.ttl_in_tag, (uint64_t)now);
    if (e->cfg.ttl_in_tag)
        sent_put(e, sent_key(e, dst, p->probe, p->hop), now);

    size_t len = e->icmp_len;
    if (hdrincl) {
        /* The kernel fills the header checksum and, with saddr 0, the
         * source address (raw(7), IP_HDRINCL). */
        put_ipv4(sl->pkt, e, p, ip_id, &e->cfg.source4, false);
        len = ICR__IPV4_HDR_LEN + e->icmp_len;
    }
    int fd = t->fdp;
    socklen_t salen = 0;
    if (link) {
        len = put_frame(sl, e, p, ip_id, &hop);
        salen = link_name(t, hop.ifindex);
    }
    if (link && salen) {
        /* SOCK_RAW: the frame carries the addresses; sll_protocol becomes
         * the skb's protocol. */
        sl->sa.ll = (struct sockaddr_ll){
            .sll_family = AF_PACKET,
            .sll_protocol = htons(v4 ? ETH_P_IP : ETH_P_IPV6),
            .sll_ifindex = hop.ifindex,
            .sll_halen = 6,
        };
        memcpy(sl->sa.ll.sll_addr, hop.dst_mac, 6);
    } else if (link) {
        /* Bound to hop's interface: no name (see link_name). */
    } else if (v4) {
        sl->sa.v4 = (struct sockaddr_in){.sin_family = AF_INET, .sin_addr = dst->v4};
        salen = sizeof(sl->sa.v4);
        fd = t->fd4;
    } else {
        sl->sa.v6 = (struct sockaddr_in6){.sin6_family = AF_INET6, .sin6_addr = dst->v6,
                                          .sin6_scope_id = dst->scope_id};
        salen = sizeof(sl->sa.v6);
        fd = t->fd6;
    }
    sl->iov = (struct iovec){.iov_base = sl->pkt, .iov_len = len};
    sl->mh = (struct msghdr){.msg_name = salen ? &sl->sa : NULL, .msg_namelen = salen,
                             .msg_iov = &sl->iov,
                             .msg_iovlen = 1};
    if (!hdrincl && !link) {
        sl->mh.msg_control = sl->ctrl.buf;
        sl->mh.msg_controllen = sizeof(sl->ctrl.buf);
        struct cmsghdr *cm = CMSG_FIRSTHDR(&sl->mh);
        if (v4) {
            put_cmsg(cm, IPPROTO_IP, IP_TTL, p->hop);
            put_cmsg(CMSG_NXTHDR(&sl->mh, cm), IPPROTO_IP, IP_TOS, e->cfg.traffic_class);
        } else {
            put_cmsg(cm, IPPROTO_IPV6, IPV6_HOPLIMIT, p->hop);
            put_cmsg(CMSG_NXTHDR(&sl->mh, cm), IPPROTO_IPV6, IPV6_TCLASS,
                     e->cfg.traffic_class);
        }
    }
    sl->fd = fd;
    sl->retries = 0;
    sl->link = link;
    int r = icr__ring_queue_send(t->ring, fd, &sl->mh, id);
    if (r < 0) {
        t->free_slots[t->nfree++] = id;
        return r;
    }
    t->inflight++;
    return 0;
}

/* Claim up to `want` positions of the open passes: one CAS on the one
 * word, so the pass and the position always agree. */
static uint32_t claim(struct icr__engine *e, uint32_t want, uint32_t *ret_pass,
                      uint64_t *ret_pos) {
    const uint64_t pp = e->cfg.per_pass;
    uint64_t g = atomic_load_explicit(&e->claimed, memory_order_relaxed);
    for (;;) {
        if (g >= e->total)
            return 0;
        uint64_t pass = g / pp, pos = g % pp;
        if (pass > atomic_load_explicit(&e->open_pass, memory_order_acquire))
            return 0;
        uint64_t got = pp - pos < want ? pp - pos : want;
        if (atomic_compare_exchange_weak_explicit(&e->claimed, &g, g + got, memory_order_relaxed,
                                                  memory_order_relaxed)) {
            *ret_pass = (uint32_t)pass;
            *ret_pos = pos;
            return (uint32_t)got;
        }
    }
}

static bool all_claimed(const struct icr__engine *e) {
    return atomic_load_explicit(&e->claimed, memory_order_relaxed) >= e->total;
}

/* Whether every position of the open pass is handed out. */
static bool open_pass_claimed(const struct icr__engine *e) {
    uint64_t p = atomic_load_explicit(&e->open_pass, memory_order_relaxed);
    return atomic_load_explicit(&e->claimed, memory_order_relaxed) >= (p + 1) * e->cfg.per_pass;
}

/* Queue up to `budget` probes from t: as many as its free slots, its rate
 * tokens and the open positions allow.  Positions the job skips cost no
 * token.  Returns how many were queued, *ret_claimed how many positions
 * were used. */
static uint32_t send_some(struct tx *t, int64_t now, uint32_t budget, uint32_t *ret_claimed) {
    struct icr__engine *e = t->e;
    uint32_t want = budget < t->nfree ? budget : t->nfree;
    *ret_claimed = 0;
    if (want == 0)
        return 0;
    want = icr__rl_take(&t->rl, now, want);
    if (want == 0)
        return 0;
    uint32_t pass, sent = 0;
    uint64_t pos0;
    /* Once per batch: route and neighbour changes since the last one. */
    if (t->nh)
        icr__nh_poll(t->nh);
    uint32_t got = claim(e, want, &pass, &pos0);
    for (uint32_t k = 0; k < got; k++) {
        struct icr__probe p = {.hop = (uint8_t)e->cfg.ttl};
        if (!e->cfg.ops->probe_at(e->cfg.job, pass, pos0 + k, &p))
            continue;
        p.probe = pass;
        /* A next-hop lookup that must ask the kernel would hold back the
         * probes stamped before it (their send times, in their MACs, are
         * already taken: their RTTs would grow by the wait): send those
         * first.  Rare: a new route block, or a neighbour's re-read. */
        if (t->nh && !icr__nh_cached(t->nh, &p.dst, now))
            (void)icr__ring_submit(t->ring, 0);
        if (queue_probe(t, &p, now) < 0)
            count(&e->c.send_errors);
        else
            sent++;
    }
    /* Tokens of skipped positions go back (traceroute skips many). */
    if (sent < want)
        icr__rl_give_back(&t->rl, want - sent);
    *ret_claimed = got;
    return sent;
}

/* ---- receiving and validation ---------------------------------------- */

/* What the pure checks (reply.c) need of the job, as of now. */
static struct icr__verify_cfg verify_cfg(const struct icr__engine *e) {
    return (struct icr__verify_cfg){
        .key = &e->key,
        .privileged = e->privileged,
        .ttl_in_tag = e->cfg.ttl_in_tag,
        .ttl = (uint8_t)e->cfg.ttl,
        .latest = atomic_load_explicit(&e->open_pass, memory_order_acquire),
        .count = e->cfg.count,
        .nindex = e->cfg.nindex,
        .payload_size = e->cfg.payload_size,
        .lookup = e->cfg.ops->lookup,
        .job = e->cfg.job,
    };
}

/* A verdict of reply.c: traceroute's short quotes carry no send time, the
 * table of probes in flight may still have it. */
static bool verdict_ok(const struct icr__engine *e, int verdict, const struct icr_result *res,
                       struct icr__probe_info *info) {
    if (verdict != ICR__REPLY_VALID)
        return false;
    if (info->sent_ns < 0 && e->cfg.ttl_in_tag)
        info->sent_ns = sent_get(e, sent_key(e, &res->target, info->probe, info->hop));
    return true;
}

/* Count a verified (or not) reply and hand it to the job. */
static void dispatch(struct icr__engine *e, struct icr_result *res, bool ok,
                     const struct icr__probe_info *info, int64_t t_ns) {
    if (!ok) {
        count(&e->c.invalid);
        return;
    }
    res->index = info->index;
    res->probe = info->probe;
    res->hop = info->hop;
    res->sent_ns = info->sent_ns;
    res->rtt_ns = info->sent_ns > 0 && t_ns > 0 ? t_ns - info->sent_ns : -1;
    res->duplicate = false;
    bool hit = e->cfg.ops->on_result(e->cfg.job, res);
    if (res->kind == ICR_RESULT_ECHO) {
        count(&e->c.replies);
        if (res->duplicate)
            count(&e->c.duplicates);
        if (hit)
            count(&e->c.hits);
    } else {
        count(&e->c.errors);
    }
}

/* A socket's drop counter read as v: keep the highest value seen. */
static void note_drops(struct icr__engine *e, int family, uint32_t v) {
    _Atomic uint32_t *d = family == AF_INET ? &e->drops4 : &e->drops6;
    uint32_t cur = atomic_load_explicit(d, memory_order_relaxed);
    while (v > cur && !atomic_compare_exchange_weak_explicit(d, &cur, v, memory_order_relaxed,
                                                             memory_order_relaxed))
        ;
}

/* Read the receive sockets' drop counters now (SO_MEMINFO, 4.12): the
 * SO_RXQ_OVFL count comes only with a packet that was queued, so drops
 * after the last one would go unseen without this. */
static void sync_drops(struct icr__engine *e) {
    for (int i = 0; i < 2; i++)
        if (e->rx[i])
            icr__pktrx_sync(e->rx[i]);
    const int fds[2] = {e->fd4_recv, e->fd6};
    for (int i = 0; i < 2; i++) {
        uint32_t mi[SK_MEMINFO_VARS];
        socklen_t len = sizeof(mi);
        if (fds[i] >= 0 && getsockopt(fds[i], SOL_SOCKET, SO_MEMINFO, mi, &len) == 0 &&
            len >= sizeof(mi))
            note_drops(e, i ? AF_INET6 : AF_INET, mi[SK_MEMINFO_DROPS]);
    }
}

static void on_recv(struct icr__engine *e, const struct icr__completion *c) {
    int family = (int)c->src == e->src6 ? AF_INET6 : AF_INET;

    if (c->has_ovfl)
        note_drops(e, family, c->ovfl);
    const struct icr__verify_cfg v = verify_cfg(e);
    struct icr_result res;
    struct icr__probe_info info;
    int verdict = icr__reply_decode(&v, family, c->data, c->len, c->name, c->namelen, c->ttl,
                                    &res, &info);
    if (verdict == ICR__REPLY_SKIP)
        return;
    dispatch(e, &res, verdict_ok(e, verdict, &res, &info), &info, c->t_ns);
}

/* Read a datagram socket's error queue dry.  Ping sockets get ICMP errors
 * only there (IP_RECVERR): the kernel gives type, code and the router
 * (offender) in sock_extended_err, the probed address as msg_name, and our
 * own Echo Request as far as the router quoted it as the data. */
static void drain_errqueue(struct icr__engine *e, int fd, int family) {
    for (int budget = 0; budget < 4096; budget++) {
        uint8_t buf[ICR__ICMP_HDR_LEN + MAX_PAYLOAD];
        union {
            char b[CMSG_SPACE(sizeof(struct timespec)) + CMSG_SPACE(sizeof(int)) +
                   CMSG_SPACE(sizeof(struct sock_extended_err) + sizeof(struct sockaddr_in6))];
            size_t align;
        } ctrl;
        struct sockaddr_in6 name;
        struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
        struct msghdr mh = {.msg_name = &name, .msg_namelen = sizeof(name), .msg_iov = &iov,
                            .msg_iovlen = 1, .msg_control = ctrl.b,
                            .msg_controllen = sizeof(ctrl.b)};
        ssize_t n = recvmsg(fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT);
        if (n < 0)
            return; /* EAGAIN: dry */
        const struct icr__verify_cfg v = verify_cfg(e);
        struct icr_result res;
        struct icr__probe_info info;
        int64_t t_ns;
        int verdict = icr__errqueue_decode(&v, family, mh.msg_control, mh.msg_controllen, &name,
                                           mh.msg_namelen, buf, (size_t)n, &res, &info, &t_ns);
        if (verdict == ICR__REPLY_SKIP)
            continue;
        dispatch(e, &res, verdict_ok(e, verdict, &res, &info), &info, t_ns);
    }
}

/* After this many probes in a row refused for a link reason the job ends
 * early rather than burn through the rest of the space.  At full speed that
 * is a few milliseconds; one refused target among live ones never gets near
 * it. */
#define FAIL_STREAK_MAX 256
/* With no probe out at all yet: refusals before the job ends early. */
#define FAIL_NONE_MAX 65536

/* Whether the kernel has a route to a: connect() on a UDP socket looks the
 * route up and sends nothing. */
static bool route_exists(const struct icr_addr *a) {
    struct sockaddr_storage ss;
    int len = icr_addr_to_sockaddr(a, &ss);
    if (len < 0)
        return false;
    ((struct sockaddr_in *)&ss)->sin_port = htons(9); /* same offset in sockaddr_in6 */
    int fd = socket(a->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return true; /* cannot tell: do not end the job on a guess */
    int r = connect(fd, (struct sockaddr *)&ss, (socklen_t)len);
    int err = errno;
    close(fd);
    return r == 0 || (err != ENETUNREACH && err != EHOSTUNREACH && err != ENETDOWN);
}

static void on_sent(struct tx *t, const struct icr__completion *c) {
    struct icr__engine *e = t->e;
    struct slot *sl = &t->slots[c->user];
    if (c->res == -EMSGSIZE && e->privileged && !sl->link && sl->p.dst.family == AF_INET &&
        (sl->pkt[6] & 0x40)) {
        /* A DF probe larger than the path MTU the kernel has learnt (a
         * Fragmentation Needed for this destination): with IP_HDRINCL it
         * refuses it (ip_fragment) and sends us a Fragmentation Needed of
         * its own, which reply.c drops.  IP_PMTUDISC_WANT, what iputils
         * ping and icmplib get, sends DF only on what fits and fragments
         * the rest: send it again without DF.  The bit is cleared once,
         * so this ends (a probe larger than the device's MTU is refused
         * again: IP_HDRINCL never fragments beyond it). */
        sl->pkt[6] &= (uint8_t)~0x40u;
        if (icr__ring_queue_send(t->ring, sl->fd, &sl->mh, c->user) == 0)
            return;
    }
    if (c->res < 0 && !e->privileged && sl->retries < 8 &&
        icr__send_err_is_pending_icmp(-c->res)) {
        /* A datagram socket returned an earlier ICMP error instead of
         * sending this probe: queue it again (each refusal consumes one
         * pending error, so this ends; the MAC's send time is a few
         * microseconds early, which only lengthens its RTT). */
        sl->retries++;
        if (icr__ring_queue_send(t->ring, sl->fd, &sl->mh, c->user) == 0)
            return;
    }
    t->free_slots[t->nfree++] = (uint32_t)c->user;
    t->inflight--;
    if (e->cfg.ops->on_sent)
        e->cfg.ops->on_sent(e->cfg.job, &sl->p, c->res);
    if (c->res >= 0) {
        /* Each counter has one writer: a plain load and store, atomic for
         * the readers in other threads (stats). */
        atomic_store_explicit(&t->sent, atomic_load_explicit(&t->sent, memory_order_relaxed) + 1,
                              memory_order_relaxed);
        if (sl->link)
            atomic_store_explicit(&t->link_sent,
                                  atomic_load_explicit(&t->link_sent, memory_order_relaxed) + 1,
                                  memory_order_relaxed);
        /* Written only when set: a store per probe from both senders would
         * bounce its cache line between them. */
        if (atomic_load_explicit(&e->fail_streak, memory_order_relaxed))
            atomic_store_explicit(&e->fail_streak, 0, memory_order_relaxed);
        t->last_ok = sl->p.dst;
        t->has_ok = true;
        return;
    }
    count(&e->c.send_errors);
    atomic_store_explicit(&e->last_send_error, -c->res, memory_order_relaxed);
    int err = -c->res;
    /* A frame refused (device down or gone, ...): the next hops may have
     * changed under us; ask the kernel again rather than send into the void. */
    if (sl->link && t->nh)
        icr__nh_failed(t->nh);
    if (sl->link)
        t->fdp_ifindex = -1;
    /* ENETDOWN/ENODEV: the interface itself is down or gone - nothing more
     * will leave.  A streak of other refusals means either that the path
     * went away under us (a link going down takes its routes with it:
     * ENETUNREACH) or only that these targets have no route (a set that is
     * mostly unroutable, in random order, refuses hundreds in a row).  Tell
     * them apart by asking the kernel for a route to the last target that
     * did get a probe out (a UDP connect(): a route lookup, no packet). */
    uint32_t streak = atomic_fetch_add_explicit(&e->fail_streak, 1, memory_order_relaxed) + 1;
    int fatal = 0;
    if (err == ENETDOWN || err == ENODEV)
        fatal = ICR_EIFDOWN;
    else if (streak >= FAIL_STREAK_MAX) {
        if (!sent_total(e)) {
            /* Nothing has left yet.  That may be the whole job (every
             * target unroutable: end with the kernel's own reason), or only
             * the first targets of a random order (a set mostly without a
             * route; with two senders the first success may also be
             * counted after 256 refusals of the other).  Only a much longer
             * run with nothing out ends the job early; a shorter job runs
             * out and returns the reason at the end (done_code). */
            if (streak >= FAIL_NONE_MAX)
                fatal = -err;
        }
        else if (t->has_ok && !route_exists(&t->last_ok))
            fatal = ICR_EIFDOWN;
        else
            atomic_store_explicit(&e->fail_streak, 0, memory_order_relaxed);
    }
    if (fatal) {
        int none = 0;
        (void)atomic_compare_exchange_strong(&e->fatal, &none, fatal);
    }
}

/* A packet of the packet ring, handed on as its ICMP socket would have. */
static void on_ring_packet(const struct icr__pktrx_pkt *p, void *ud) {
    struct icr__engine *e = ud;
    int src = p->family == AF_INET6 ? e->src6 : e->src4;
    if (src < 0)
        return; /* a family the job has no socket for: it would not see it */
    const struct icr__completion c = {
        .kind = ICR__CQ_RECV, .src = (unsigned)src, .data = p->data, .len = p->len,
        .name = p->name, .namelen = p->namelen, .t_ns = p->t_ns, .ttl = p->ttl,
    };
    atomic_fetch_add_explicit(&e->ring_received, 1, memory_order_relaxed);
    on_recv(e, &c);
}

static void drain_ring(struct icr__engine *e) {
    for (int i = 0; i < 2; i++)
        if (e->rx[i])
            (void)icr__pktrx_drain(e->rx[i], on_ring_packet, e);
}

static void on_completion(const struct icr__completion *c, void *ud) {
    struct icr__engine *e = ud;
    if (c->kind == ICR__CQ_SEND)
        on_sent(&e->tx[0], c);
    else if (c->kind == ICR__CQ_READABLE)
        drain_ring(e);
    else if (c->kind == ICR__CQ_ERRQUEUE)
        drain_errqueue(e, (int)c->src == e->errw6 ? e->fd6 : e->fd4_recv,
                       (int)c->src == e->errw6 ? AF_INET6 : AF_INET);
    else
        on_recv(e, c);
}

static void on_helper_completion(const struct icr__completion *c, void *ud) {
    on_sent(ud, c); /* the helper's ring only sends */
}

static void enter_cooldown(struct icr__engine *e, int64_t now) {
    /* The time before the state (seq_cst): a reader that sees COOLDOWN
     * sees when it began. */
    atomic_store(&e->send_end_ns, now);
    atomic_store(&e->state, COOLDOWN);
    /* The packet ring hands a block over when it is full or at the latest
     * two retire periods after its first packet: that much more, so that a
     * reply that came just before the end is still read. */
    e->cooldown_end_ns = now + (int64_t)(e->cfg.cooldown * 1e9) +
                         (e->ring_rx ? 2 * ICR__PKTRX_TOV_MS * 1000000LL + 1000000 : 0);
}

/* Receive before sending: whether replies are piling up in a receive
 * socket.  Sending faster than the receive side can drain only converts
 * probes into kernel drops (seen here: a 1M-address IPv6 sweep at full
 * speed lost 40% of its replies to a full receive buffer), so the sender
 * pauses while more than an eighth of the buffer is in use.  SO_MEMINFO
 * (4.12) reads the socket's queued bytes in one getsockopt per batch. */
static bool rx_backlogged(struct icr__engine *e) {
    /* The packet ring: half its blocks full and not read yet. */
    if (e->ring_rx)
        return (e->rx[0] && icr__pktrx_half_full(e->rx[0])) ||
               (e->rx[1] && icr__pktrx_half_full(e->rx[1]));
    const int fds[2] = {e->fd4_recv, e->fd6};
    for (int i = 0; i < 2; i++) {
        uint32_t mi[SK_MEMINFO_VARS];
        socklen_t len = sizeof(mi);
        if (fds[i] < 0 || getsockopt(fds[i], SOL_SOCKET, SO_MEMINFO, mi, &len) < 0 ||
            len < sizeof(mi))
            continue;
        note_drops(e, i ? AF_INET6 : AF_INET, mi[SK_MEMINFO_DROPS]);
        if (mi[SK_MEMINFO_RMEM_ALLOC] > mi[SK_MEMINFO_RCVBUF] / 8)
            return true;
    }
    return false;
}

/* The helper thread: a second sender with its own ring (made here: a
 * SINGLE_ISSUER ring belongs to the thread that creates it).  It only
 * sends; every reply is received and matched by the stepping thread.
 * Signals are blocked here (pthread_sigmask in step before the thread is
 * made), so the caller's handlers run on the stepping thread. */
static void *helper_main(void *arg) {
    struct tx *t = arg;
    struct icr__engine *e = t->e;
    /* The helper's ring runs on the stepping ring's backend: where that one
     * fell back from io_uring, this one would be refused too. */
    unsigned flags = ICR__RING_SINGLE_RECV;
    if (e->backend == ICR_BACKEND_MMSG)
        flags |= ICR__RING_NO_URING;
    if (icr__ring_new_fixed(NSLOTS, flags, t->fdp, &t->ring) < 0)
        return NULL; /* the stepping thread sends everything alone */
    for (;;) {
        if (atomic_load_explicit(&e->stop, memory_order_relaxed) ||
            atomic_load_explicit(&e->fatal, memory_order_relaxed) || all_claimed(e))
            break;
        uint32_t got = 0, used = 0;
        int64_t wait = 0;
        if (!rx_backlogged(e))
            got = send_some(t, mono_ns(), e->cfg.batch, &used);
        if (!got && !used) {
            /* Nothing queued.  Out of rate tokens: sleep until a chunk of
             * them is there (at most 10 ms, to see a stop or the end).
             * Else (slots, a pass not open yet, the receiver busy): wait
             * up to 100 us for send completions, not spinning. */
            wait = icr__rl_wait_n_ns(&t->rl, mono_ns(), t->chunk);
            wait = wait <= 0 ? 100000 : wait < 10000000 ? wait : 10000000;
        }
        (void)icr__ring_submit(t->ring, wait);
        (void)icr__ring_reap(t->ring, on_helper_completion, t);
    }
    while (t->inflight) {
        (void)icr__ring_submit(t->ring, 1000000);
        (void)icr__ring_reap(t->ring, on_helper_completion, t);
    }
    t->ring = icr__ring_free(t->ring); /* nothing of it is in flight now */
    return NULL;
}

/* Queue what the rate and the slots allow.  Returns how long the sender
 * could sleep before it has more to do (0: go on at once). */
static int64_t fill(struct icr__engine *e, int64_t now) {
    struct tx *t = &e->tx[0];
    if (atomic_load_explicit(&e->stop, memory_order_relaxed) ||
        atomic_load_explicit(&e->fatal, memory_order_relaxed)) {
        /* Stop sending; the cooldown still collects what is on its way. */
        e->stopped = !atomic_load_explicit(&e->fatal, memory_order_relaxed);
        enter_cooldown(e, now);
        return 0;
    }
    if (rx_backlogged(e)) {
        e->backlog_pauses++;
        return 0; /* the step's reap drains the replies first */
    }
    /* With a helper sending too, this thread also receives every reply: it
     * sends a quarter batch per step (32 of the default 128), the helper
     * whole batches.  Measured on the /16 lab sweep: an even split gave
     * 165 kpps, with this thread at 100% CPU and the helper at 67% waiting
     * for replies to be drained; a half 165 kpps; a quarter 185 kpps; an
     * eighth the same; batch 256 with a quarter 178 kpps. */
    uint32_t limit = e->helper_started ? (e->cfg.batch + 3) / 4 : e->cfg.batch;
    uint32_t queued = 0, positions = 0;
    while (queued < limit && positions < 16 * limit) {
        if (all_claimed(e)) {
            /* The last probe is handed out: say so now, not a step later,
             * so a caller watching sending_done does not wait for nothing.
             * A helper may still be queueing its last claims: microseconds. */
            enter_cooldown(e, now);
            return 0;
        }
        if (open_pass_claimed(e)) {
            /* End of a pass: the next probe to the same targets waits for
             * the interval, so probes to one host are spaced. */
            int64_t next = e->pass_start_ns + (int64_t)(e->cfg.interval * 1e9);
            if (now < next)
                return queued ? 0 : next - now;
            e->pass_start_ns = now;
            atomic_fetch_add_explicit(&e->open_pass, 1, memory_order_release);
        }
        if (t->nfree == 0)
            return queued ? 0 : 1000000; /* wait for send completions */
        uint32_t used;
        uint32_t got = send_some(t, now, limit - queued, &used);
        positions += used;
        if (used == 0)
            /* Out of rate tokens (or the helper took the last positions of
             * the pass): sleep until a chunk of tokens is there, not until
             * the next one (see start()).  0 when there are tokens. */
            return icr__rl_wait_n_ns(&t->rl, now, t->chunk < limit ? t->chunk : limit);
        queued += got;
    }
    if (all_claimed(e))
        enter_cooldown(e, now);
    return 0;
}

static int64_t time_to_wait(const struct icr__engine *e, int64_t now) {
    const struct tx *t = &e->tx[0];
    int st = atomic_load(&e->state);
    if (st == SENDING) {
        if (!open_pass_claimed(e) && t->nfree)
            return icr__rl_wait_n_ns(&t->rl, now, t->chunk);
        if (open_pass_claimed(e) && !all_claimed(e)) {
            int64_t next = e->pass_start_ns + (int64_t)(e->cfg.interval * 1e9) - now;
            return next > 0 ? next : 0;
        }
        return 1000000;
    }
    if (st == COOLDOWN)
        return e->cooldown_end_ns > now ? e->cooldown_end_ns - now : 0;
    return 0;
}

/* What a finished job returns: the reason sending ended early, if any. */
static int done_code(const struct icr__engine *e) {
    int fatal = atomic_load_explicit(&e->fatal, memory_order_relaxed);
    if (fatal)
        return fatal;
    if (e->stopped)
        return ICR_ESTOPPED;
    /* The kernel refused every probe: its reason, as the contract says. */
    if (!sent_total(e) &&
        atomic_load_explicit(&e->c.send_errors, memory_order_relaxed))
        return -atomic_load_explicit(&e->last_send_error, memory_order_relaxed);
    return 0;
}

static bool finished(const struct icr__engine *e) {
    return e->cfg.ops->finished && e->cfg.ops->finished(e->cfg.job);
}

static void start(struct icr__engine *e, int64_t now) {
    atomic_store(&e->start_ns, now);
    atomic_store(&e->started, true);
    e->pass_start_ns = now;
    /* A burst of at least one batch, or the engine could never fill a
     * batch at low rates; rate * 10 ms so a late wake-up catches up.
     * The rate is split so that both parts stay >= 1 (choose_senders keeps
     * one sender below 2 pps): 0 would mean unlimited. */
    uint64_t rate = e->cfg.rate;
    uint64_t part[2] = {rate - rate / e->nsenders * (e->nsenders - 1), rate / e->nsenders};
    for (unsigned i = 0; i < e->nsenders; i++) {
        uint64_t burst = part[i] / 100;
        if (burst < e->cfg.batch)
            burst = e->cfg.batch;
        icr__rl_init(&e->tx[i].rl, part[i], (uint32_t)(burst > 65536 ? 65536 : burst), now);
        /* A paced sender sleeps until a chunk of tokens is there: 1 ms of
         * its rate, at least 1 probe and at most a batch (250 kpps: 128
         * probes every 512 us; 1 kpps: one every ms, as before).  Waking
         * for each token instead cost two io_uring_enter calls and a timer
         * per probe: a whole CPU at any rate (lab-sweep
         * test_regress_rate_wakeups_*, bench/README.md). */
        uint64_t chunk = part[i] / 1000;
        e->tx[i].chunk = (uint32_t)(chunk < 1 ? 1 : chunk > e->cfg.batch ? e->cfg.batch : chunk);
    }
    if (e->nsenders == 2) {
        /* The helper blocks every signal: the caller's handlers (Ctrl-C)
         * must run on the thread that steps the job. */
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        if (pthread_create(&e->helper, NULL, helper_main, &e->tx[1]) == 0)
            e->helper_started = true;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
}

int icr__engine_step(struct icr__engine *e, int64_t timeout_ns) {
    if (!e || timeout_ns < 0)
        return ICR_EINVAL;
    if (atomic_load(&e->state) == DONE)
        return done_code(e);

    int64_t now = mono_ns();
    if (!atomic_load(&e->started))
        start(e, now);
    if (e->evfd >= 0)
        icr__ring_eventfd_ack(e->ring); /* re-arm the caller's wake-up */

    int64_t wait = 0;
    if (atomic_load(&e->state) == SENDING)
        wait = fill(e, now);
    if (atomic_load(&e->state) == COOLDOWN) {
        int stops = atomic_load_explicit(&e->stop, memory_order_relaxed);
        if (stops)
            e->stopped = true;
        /* A second stop (Ctrl-C twice) cuts the wait for replies too. */
        if (finished(e) || stops >= 2)
            e->cooldown_end_ns = now;
        wait = e->cooldown_end_ns - now;
    }
    if (wait > timeout_ns)
        wait = timeout_ns;
    if (wait < 0)
        wait = 0;

    int r;
    if (wait > 0 && e->tx[0].inflight) {
        /* The sends just queued complete as they are submitted, and their
         * completions would end the wait at once: post and reap them
         * first, so that the wait is for replies or the timeout only. */
        r = icr__ring_submit(e->ring, 0);
        if (r < 0 && r != -EINTR && r != -EBUSY && r != -EAGAIN)
            return r;
        (void)icr__ring_reap(e->ring, on_completion, e);
    }
    r = icr__ring_submit(e->ring, wait);
    if (r < 0 && r != -EINTR && r != -EBUSY && r != -EAGAIN)
        return r;
    (void)icr__ring_reap(e->ring, on_completion, e);
    /* A block may be ready without a poll completion yet (multishot poll
     * fires on wake-ups, and the mmsg backend's epoll is level-triggered
     * only while unread): one look at the current block costs nothing. */
    drain_ring(e);
    atomic_store(&e->multishot, icr__ring_multishot(e->ring));

    now = mono_ns();
    if (atomic_load(&e->state) == COOLDOWN && finished(e))
        e->cooldown_end_ns = now;
    if (atomic_load(&e->state) == COOLDOWN && now >= e->cooldown_end_ns &&
        e->tx[0].inflight == 0) {
        if (e->helper_started) { /* it has seen stop or the end */
            pthread_join(e->helper, NULL);
            e->helper_started = false;
        }
        sync_drops(e); /* before DONE: a reader that sees DONE sees them */
        atomic_store(&e->state, DONE);
        return done_code(e);
    }
    return 1;
}

int icr__engine_run(struct icr__engine *e) {
    int r;
    if (!e)
        return ICR_EINVAL;
    /* Wake at least every 50 ms so a stop from another thread is seen
     * promptly even when nothing arrives. */
    while ((r = icr__engine_step(e, 50000000)) == 1)
        ;
    return r;
}

/* The ring's own fd does not wake a poller while receive completions wait
 * as deferred task work (IORING_SETUP_DEFER_TASKRUN runs them only inside
 * io_uring_enter), so callers with their own loop get an eventfd that the
 * ring signals on every completion (io_req_local_work_add signals a
 * registered eventfd, 6.1+), made on first request so run() pays nothing.
 * On the sendmmsg/recvmmsg backend it is the epoll fd over the sockets. */
int icr__engine_get_fd(struct icr__engine *e) {
    if (!e)
        return ICR_EINVAL;
    if (e->evfd < 0) {
        int fd = icr__ring_eventfd(e->ring);
        if (fd < 0)
            return fd;
        e->evfd = fd;
    }
    return e->evfd;
}

int64_t icr__engine_get_timeout_ns(const struct icr__engine *e) {
    if (!e || !atomic_load(&e->started))
        return 0;
    return time_to_wait(e, mono_ns());
}

/* The first call stops sending; the second also ends the wait for
 * replies.  A lock-free atomic add: async-signal-safe. */
void icr__engine_stop(struct icr__engine *e) {
    if (e)
        atomic_fetch_add_explicit(&e->stop, 1, memory_order_relaxed);
}

uint64_t icr__engine_position(const struct icr__engine *e) {
    uint64_t g = atomic_load_explicit(&e->claimed, memory_order_relaxed);
    return g < e->total ? g : e->total;
}

uint32_t icr__engine_pass(const struct icr__engine *e) {
    return atomic_load_explicit(&e->open_pass, memory_order_relaxed);
}

bool icr__engine_sending_done(const struct icr__engine *e) {
    return atomic_load(&e->state) != SENDING;
}

void icr__engine_stats(const struct icr__engine *e, struct icr_sweep_stats *ret) {
    /* State first, the clock last: a sending end stamped after our clock
     * read would make send_ns exceed elapsed_ns. */
    bool started = atomic_load(&e->started);
    int st = atomic_load(&e->state);
    int64_t start_ns = atomic_load(&e->start_ns);
    int64_t send_end_ns = atomic_load(&e->send_end_ns);
    int64_t now = mono_ns();
    *ret = (struct icr_sweep_stats){
        .size = sizeof(*ret),
        .targets = e->cfg.per_pass,
        .planned = e->total == UINT64_MAX ? 0 : e->total, /* 0: until stopped */
        .sent = sent_total(e),
        .send_errors = atomic_load_explicit(&e->c.send_errors, memory_order_relaxed),
        .hits = atomic_load_explicit(&e->c.hits, memory_order_relaxed),
        .replies = atomic_load_explicit(&e->c.replies, memory_order_relaxed),
        .duplicates = atomic_load_explicit(&e->c.duplicates, memory_order_relaxed),
        .errors = atomic_load_explicit(&e->c.errors, memory_order_relaxed),
        .invalid = atomic_load_explicit(&e->c.invalid, memory_order_relaxed),
        .kernel_drops = (uint64_t)atomic_load_explicit(&e->drops4, memory_order_relaxed) +
                        atomic_load_explicit(&e->drops6, memory_order_relaxed) +
                        (e->rx[0] ? icr__pktrx_drops(e->rx[0]) : 0) +
                        (e->rx[1] ? icr__pktrx_drops(e->rx[1]) : 0),
        .elapsed_ns = started ? now - start_ns : 0,
        .send_ns = !started ? 0 : (st == SENDING ? now : send_end_ns) - start_ns,
        .sending_done = st != SENDING,
        .done = st == DONE,
        .multishot = atomic_load(&e->multishot),
        .last_send_error = atomic_load_explicit(&e->last_send_error, memory_order_relaxed),
        .senders = e->nsenders,
        .seed = e->cfg.seed,
        .backend = e->backend,
        .rcvbuf = e->rcvbuf,
        .transport = e->transport,
        .link_sent = atomic_load_explicit(&e->tx[0].link_sent, memory_order_relaxed) +
                     atomic_load_explicit(&e->tx[1].link_sent, memory_order_relaxed),
        .receive = e->ring_rx ? ICR_RECEIVE_RING : ICR_RECEIVE_SOCKET,
        .ring_received = atomic_load_explicit(&e->ring_received, memory_order_relaxed),
    };
}

int icr__engine_parse_source(const char *source, struct icr_addr *source4,
                             struct icr_addr *source6) {
    *source4 = (struct icr_addr){.family = AF_UNSPEC};
    *source6 = (struct icr_addr){.family = AF_UNSPEC};
    if (!source || !*source)
        return 0;
    struct icr_addr a;
    if (icr_addr_parse(source, &a) < 0)
        return ICR_EINVAL;
    *(a.family == AF_INET ? source4 : source6) = a;
    return 0;
}
