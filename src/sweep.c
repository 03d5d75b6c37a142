/* sweep.c - the sweep job: find every live host of a target set.
 *
 * One thread drives one ring (ring.c): it stamps probes into preallocated
 * slots, queues them as SENDMSG in batches, and handles replies as their
 * completions arrive.  Why one thread for both: on this kind of machine
 * (2 vCPUs, veth) the kernel's work for a probe - routing, the veth hop and
 * the responder's reply - runs on the sending CPU anyway, so a separate
 * receiver thread would compete for the only other core while adding
 * cross-thread hand-offs; the ring batches both directions into the same
 * io_uring_enter calls.  What other threads may read while it runs - the
 * counters and the alive bitmap - is atomic (the lock-free matcher state).
 *
 * Stateless validation: nothing is remembered per probe.  Each probe's id
 * and sequence are a SipHash-2-4 MAC (random key per sweep) of its
 * destination and probe number; its payload starts with a second MAC that
 * binds the send time and the target index to the first.  A reply is
 * reported only if both verify, so other programs' pings, forged replies
 * and replies to an earlier sweep (another key) are dropped and counted.
 */
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <linux/errqueue.h>  /* sock_extended_err */
#include <linux/sock_diag.h> /* SK_MEMINFO_* */
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "icmpring.h"
#include "packet.h"
#include "perm.h"
#include "ratelimit.h"
#include "ring.h"
#include "probe.h"
#include "siphash.h"
#include "sockopt.h"

/* The probe format (MACs in id, sequence and payload) is probe.c's. */
#define MAX_PAYLOAD 1400
#define NSLOTS 2048u

enum state { SENDING, COOLDOWN, DONE };

struct slot {
    int fd;           /* the socket it was queued on */
    uint8_t retries;  /* sent again after pending-error refusals */
    struct msghdr mh;
    struct iovec iov;
    union {
        struct sockaddr_in v4;
        struct sockaddr_in6 v6;
    } sa;
    /* IPv6: hop limit and traffic class ride with each message (RFC 3542
     * ancillary data), so probes of one batch may differ, as traceroute's
     * will; IPv4 carries both in the header it writes. */
    union {
        char buf[2 * CMSG_SPACE(sizeof(int))];
        size_t align;
    } ctrl;
    /* IPv4: 20-byte IP header (IP_HDRINCL) + ICMP; IPv6: ICMPv6 only. */
    uint8_t pkt[ICR__IPV4_HDR_LEN + ICR__ICMP_HDR_LEN + MAX_PAYLOAD];
};

/* One sender's transmit state: its ring, its send sockets and its probe
 * slots.  tx[0] belongs to the thread that steps the sweep (its ring also
 * receives); tx[1], when there is a second sender, to the helper thread. */
struct tx {
    struct icr_sweep *s;
    struct icr__ring *ring;
    int fd4, fd6;             /* send sockets, -1 when unused */
    struct slot *slots;
    uint32_t *free_slots;
    uint32_t nfree;
    uint32_t inflight;
    struct icr__rl rl;
};

struct counters {
    _Atomic uint64_t sent, send_errors, hits, replies, duplicates, errors, invalid, kernel_drops;
};

struct icr_sweep {
    icr_targets *targets;
    struct icr_sweep_opts o;
    uint64_t n;               /* targets in the set */
    bool privileged;
    int fd4_send, fd4_recv, fd6; /* -1 when unused */
    int src4, src6;           /* receive indexes in the ring */
    int errw4, errw6;         /* error-queue watches (datagram sockets only), -1 if none */
    struct icr__ring *ring;

    struct icr__sipkey key;
    struct icr__perm perm;
    uint64_t per_pass;        /* probes per pass: this shard's targets */
    _Atomic uint64_t next_pos; /* shard positions of this pass handed out */
    /* The current pass: the probe number of this round.  Only the stepping
     * thread moves it on, and only once the helper has seen the pass end
     * (helper_passes), so no probe is stamped with a pass that is over. */
    _Atomic uint32_t pass;
    int64_t pass_start_ns;

    struct tx tx[2];
    unsigned nsenders;        /* 1, or 2 with a helper thread sending too */
    pthread_t helper;
    bool helper_started;
    _Atomic int helper_done;
    _Atomic uint32_t helper_passes; /* passes whose end the helper has seen */

    /* Echo Request templates: the payload's constant tail and the unfolded
     * sum of the ICMP message with every per-probe field at zero. */
    uint8_t tmpl[ICR__ICMP_HDR_LEN + MAX_PAYLOAD];
    size_t icmp_len;
    uint32_t base_sum;

    /* Lock-free matcher state: one bit per target for "answered" and one
     * for "error reported", mapped lazily (MAP_NORESERVE) so a huge,
     * mostly silent space costs only the pages that replies touch. */
    _Atomic uint64_t *alive;
    _Atomic uint64_t *erred;
    size_t bitmap_bytes;

    struct counters c;
    _Atomic int stop;         /* set by icr_sweep_stop (signal-safe) */
    bool stopped;
    enum state state;
    bool started;
    int64_t start_ns, send_end_ns, cooldown_end_ns;
    uint32_t last_ovfl4, last_ovfl6;
    uint64_t backlog_pauses;  /* times the sender waited for the receiver */
    _Atomic int last_send_error;
    _Atomic uint32_t fail_streak; /* probes refused in a row */
    _Atomic int fatal;        /* why sending had to end early, 0 if it need not */
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

/* Big kernel buffers: a sweep at full speed gets replies in bursts far
 * beyond the default 208 KiB.  SO_*BUFFORCE needs CAP_NET_ADMIN; without
 * it the plain option (capped by net.core.*mem_max) is the best we get. */
static void big_buffers(int fd, bool rx) {
    int sz = 32 << 20;
    if (icr__setopt_int(fd, SOL_SOCKET, rx ? SO_RCVBUFFORCE : SO_SNDBUFFORCE, sz) < 0)
        (void)icr__setopt_int(fd, SOL_SOCKET, rx ? SO_RCVBUF : SO_SNDBUF, sz);
}

static int open_recv_opts(struct icr_sweep *s, int fd, int family) {
    big_buffers(fd, true);
    /* The kernel's count of packets this socket dropped (buffer full). */
    (void)icr__setopt_int(fd, SOL_SOCKET, SO_RXQ_OVFL, 1);
    /* Datagram sockets: ICMP errors come through the error queue, which
     * drain_errqueue reads when the ring's POLLERR watch fires. */
    return icr__icmp_rx_setup(fd, family, s->privileged, !s->privileged);
}

/* Privileged: IPv4 sends go through IPPROTO_RAW with IP_HDRINCL (we write
 * the IP header, so TTL, TOS and IP id are per packet; measured ~1.35x the
 * rate of IPPROTO_ICMP here), replies come in on a raw IPPROTO_ICMP socket;
 * IPv6 uses one raw ICMPv6 socket both ways (the kernel fills the ICMPv6
 * checksum, RFC 3542).  Unprivileged: ICMP datagram sockets both ways. */
static int open_sockets(struct icr_sweep *s, bool want4, bool want6, bool privileged) {
    int r;
    s->privileged = privileged;
    if (want4) {
        if (privileged) {
            if ((r = icr__icmp_socket(AF_INET, SOCK_RAW, IPPROTO_RAW)) < 0)
                return r;
            s->fd4_send = r;
            big_buffers(s->fd4_send, false);
            if ((r = icr__icmp_socket(AF_INET, SOCK_RAW, IPPROTO_ICMP)) < 0)
                return r;
            s->fd4_recv = r;
        } else {
            if ((r = icr__icmp_socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP)) < 0)
                return r;
            s->fd4_send = s->fd4_recv = r;
            big_buffers(r, false);
            if ((r = icr__setopt_int(r, IPPROTO_IP, IP_TTL, s->o.ttl)) < 0 ||
                (r = icr__setopt_int(s->fd4_send, IPPROTO_IP, IP_TOS, s->o.traffic_class)) < 0)
                return r;
        }
        if ((r = open_recv_opts(s, s->fd4_recv, AF_INET)) < 0)
            return r;
    }
    if (want6) {
        if ((r = icr__icmp_socket(AF_INET6, privileged ? SOCK_RAW : SOCK_DGRAM, IPPROTO_ICMPV6)) < 0)
            return r;
        s->fd6 = r;
        big_buffers(r, false);
        if ((r = open_recv_opts(s, s->fd6, AF_INET6)) < 0)
            return r;
    }
    return 0;
}

static void close_sockets(struct icr_sweep *s) {
    if (s->fd4_recv >= 0 && s->fd4_recv != s->fd4_send)
        close(s->fd4_recv);
    if (s->fd4_send >= 0)
        close(s->fd4_send);
    if (s->fd6 >= 0)
        close(s->fd6);
    s->fd4_send = s->fd4_recv = s->fd6 = -1;
}

static int check_opts(const struct icr_sweep_opts *o) {
    if (o->size < sizeof(struct icr_sweep_opts) || o->count == UINT32_MAX ||
        !(o->interval >= 0 && o->interval <= 86400) || !(o->cooldown >= 0 && o->cooldown <= 86400) ||
        o->shards < 1 || o->shard >= o->shards || o->ttl < 1 || o->ttl > 255 ||
        o->traffic_class < 0 || o->traffic_class > 255 || o->payload_size < ICR__PROBE_HDR ||
        o->payload_size > MAX_PAYLOAD || o->batch < 1 || o->batch > 1024 ||
        (o->privilege != ICR_PRIVILEGED && o->privilege != ICR_UNPRIVILEGED &&
         o->privilege != ICR_PRIV_AUTO) ||
        (o->flags & ~(ICR_SWEEP_SINGLE_RECV | ICR_SWEEP_ALL_REPLIES)) ||
        (o->source4.family != AF_UNSPEC && o->source4.family != AF_INET) ||
        (o->source6.family != AF_UNSPEC && o->source6.family != AF_INET6))
        return ICR_EINVAL;
    return 0;
}

static void *map_bitmap(size_t bytes) {
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

/* Bind the sockets that receive (and, but for IPv4 with IP_HDRINCL, send)
 * to the chosen source: the kernel then refuses an address that is not
 * ours (EADDRNOTAVAIL), and the receiving socket takes only what comes to
 * it.  IPv4 raw sends carry the address in the header queue_probe writes. */
static int bind_sources(struct icr_sweep *s) {
    const struct {
        int fd;
        const struct icr_addr *a;
    } b[3] = {
        {s->fd4_recv, &s->o.source4},
        {s->fd4_send != s->fd4_recv ? s->fd4_send : -1, &s->o.source4},
        {s->fd6, &s->o.source6},
    };
    for (int i = 0; i < 3; i++) {
        struct sockaddr_storage ss;
        int len;
        if (b[i].fd < 0 || b[i].a->family == AF_UNSPEC)
            continue;
        /* IPPROTO_RAW sockets only send; binding one adds nothing. */
        if (i == 1 && s->privileged)
            continue;
        if ((len = icr_addr_to_sockaddr(b[i].a, &ss)) < 0 ||
            bind(b[i].fd, (struct sockaddr *)&ss, (socklen_t)len) < 0)
            return ICR_ESOCKADDR;
    }
    return 0;
}

/* Two senders when the sweep is big and unlimited: on this kind of machine
 * almost all the work of a probe - routing, the veth hop and the
 * responder's stack - is kernel work charged to the CPU that sent it, so one
 * thread saturates one core however cheap its own code is (measured here:
 * one sender ~98 kpps; two sweeps side by side ~178 kpps together).  Only
 * with raw sockets: a second ping socket would get its own replies, which
 * nobody reads.  Passes (--count) are opened by the stepping thread once
 * the helper has seen the previous one end (helper_passes). */
static unsigned choose_senders(const struct icr_sweep *s) {
    if (!s->privileged || s->o.senders == 1)
        return 1;
    if (s->o.senders >= 2)
        return 2;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    return s->o.rate == 0 && cpus >= 2 && s->per_pass >= 16384 ? 2 : 1;
}

/* Slots, and for the helper its own send sockets (its ring is made by the
 * helper thread itself: a SINGLE_ISSUER ring belongs to its creator). */
static int tx_init(struct tx *t, struct icr_sweep *s, bool helper, bool want4, bool want6) {
    int r;
    t->s = s;
    t->slots = calloc(NSLOTS, sizeof(*t->slots));
    t->free_slots = calloc(NSLOTS, sizeof(*t->free_slots));
    if (!t->slots || !t->free_slots)
        return ICR_ENOMEM;
    for (uint32_t i = 0; i < NSLOTS; i++)
        t->free_slots[i] = NSLOTS - 1 - i;
    t->nfree = NSLOTS;
    if (helper && want4) {
        if ((r = icr__icmp_socket(AF_INET, SOCK_RAW, IPPROTO_RAW)) < 0)
            return r;
        t->fd4 = r;
        big_buffers(r, false);
    }
    if (helper && want6) {
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
        if (s->o.source6.family == AF_INET6 &&
            ((len = icr_addr_to_sockaddr(&s->o.source6, &ss)) < 0 ||
             bind(r, (struct sockaddr *)&ss, (socklen_t)len) < 0))
            return ICR_ESOCKADDR;
    }
    return 0;
}

ICR_EXPORT int icr_sweep_new(icr_targets *targets, const struct icr_sweep_opts *opts,
                             icr_sweep **ret_sweep) {
    const struct icr_sweep_opts defaults = ICR_SWEEP_OPTS_INIT;
    struct icr_sweep *s;
    int r;

    if (!opts)
        opts = &defaults;
    if (!targets || !ret_sweep || check_opts(opts) < 0)
        return ICR_EINVAL;
    uint64_t n = icr_targets_count(targets);
    if (n == 0)
        return ICR_EINVAL;

    s = calloc(1, sizeof(*s));
    if (!s)
        return ICR_ENOMEM;
    s->targets = targets;
    s->o = *opts;
    s->n = n;
    s->fd4_send = s->fd4_recv = s->fd6 = -1;
    s->src4 = s->src6 = -1;
    s->errw4 = s->errw6 = -1;

    /* Which families the set holds: IPv4 intervals come first. */
    struct icr_addr first, last;
    if ((r = icr_targets_get(targets, 0, &first)) < 0 ||
        (r = icr_targets_get(targets, n - 1, &last)) < 0)
        goto fail;
    bool want4 = first.family == AF_INET, want6 = last.family == AF_INET6;

    if (opts->privilege == ICR_UNPRIVILEGED) {
        r = open_sockets(s, want4, want6, false);
    } else {
        r = open_sockets(s, want4, want6, true);
        if (r == ICR_ESOCKPERM && opts->privilege == ICR_PRIV_AUTO) {
            close_sockets(s);
            r = open_sockets(s, want4, want6, false);
        }
    }
    if (r < 0)
        goto fail;
    if ((r = bind_sources(s)) < 0)
        goto fail;

    uint8_t keybytes[16];
    uint64_t seed = opts->seed;
    if (getrandom(keybytes, sizeof(keybytes), 0) != (ssize_t)sizeof(keybytes) ||
        (seed == 0 && getrandom(&seed, sizeof(seed), 0) != (ssize_t)sizeof(seed))) {
        r = -errno;
        goto fail;
    }
    icr__sipkey_load(&s->key, keybytes);
    s->o.seed = seed;
    icr__perm_init(&s->perm, n, seed);
    s->per_pass = icr__perm_shard_count(n, opts->shards, opts->shard);

    s->bitmap_bytes = (size_t)((n + 63) / 64) * 8;
    s->alive = map_bitmap(s->bitmap_bytes);
    s->erred = map_bitmap(s->bitmap_bytes);
    if (!s->alive || !s->erred) {
        r = ICR_ENOMEM;
        goto fail;
    }
    s->nsenders = choose_senders(s);
    s->tx[0].fd4 = s->fd4_send;
    s->tx[0].fd6 = s->fd6;
    s->tx[1].fd4 = s->tx[1].fd6 = -1;
    for (unsigned i = 0; i < s->nsenders; i++)
        if ((r = tx_init(&s->tx[i], s, i == 1, want4, want6)) < 0)
            goto fail;

    /* The template: the constant part of every Echo Request. */
    s->icmp_len = ICR__ICMP_HDR_LEN + opts->payload_size;
    s->base_sum = icr__probe_template(s->tmpl, sizeof(s->tmpl), opts->payload_size);

    if ((r = icr__ring_new(NSLOTS, opts->flags & ICR_SWEEP_SINGLE_RECV, &s->ring)) < 0)
        goto fail;
    s->tx[0].ring = s->ring;
    if (s->fd4_recv >= 0 && (r = s->src4 = icr__ring_add_recv(s->ring, s->fd4_recv)) < 0)
        goto fail;
    if (s->fd6 >= 0 && (r = s->src6 = icr__ring_add_recv(s->ring, s->fd6)) < 0)
        goto fail;
    if (!s->privileged) {
        if (s->fd4_recv >= 0 && (r = s->errw4 = icr__ring_add_errwatch(s->ring, s->fd4_recv)) < 0)
            goto fail;
        if (s->fd6 >= 0 && (r = s->errw6 = icr__ring_add_errwatch(s->ring, s->fd6)) < 0)
            goto fail;
    }

    *ret_sweep = s;
    return 0;
fail:
    icr_sweep_free(s);
    return r;
}

ICR_EXPORT icr_sweep *icr_sweep_free(icr_sweep *s) {
    if (!s)
        return NULL;
    if (s->helper_started) {
        atomic_store_explicit(&s->stop, 1, memory_order_relaxed);
        pthread_join(s->helper, NULL);
    }
    /* The ring goes first: its exit cancels the receives still pointing at
     * the sockets and slots. */
    s->ring = icr__ring_free(s->ring);
    for (unsigned i = 0; i < 2; i++) {
        free(s->tx[i].slots);
        free(s->tx[i].free_slots);
    }
    if (s->tx[1].fd4 >= 0)
        close(s->tx[1].fd4);
    if (s->tx[1].fd6 >= 0)
        close(s->tx[1].fd6);
    close_sockets(s);
    if (s->alive)
        munmap((void *)s->alive, s->bitmap_bytes);
    if (s->erred)
        munmap((void *)s->erred, s->bitmap_bytes);
    free(s);
    return NULL;
}

/* Stamp the probe for (index, current pass) into one of t's slots and
 * queue it on t's ring. */
static int queue_probe(struct tx *t, uint64_t index) {
    struct icr_sweep *s = t->s;
    struct icr_addr dst;
    int r = icr_targets_get(s->targets, index, &dst);
    if (r < 0)
        return r;

    uint32_t id = t->free_slots[--t->nfree];
    struct slot *sl = &t->slots[id];
    uint32_t pass = atomic_load_explicit(&s->pass, memory_order_relaxed);
    bool v4 = dst.family == AF_INET;
    bool hdrincl = v4 && s->privileged;
    uint8_t *icmp = sl->pkt + (hdrincl ? ICR__IPV4_HDR_LEN : 0);

    memcpy(icmp, s->tmpl, s->icmp_len);
    icr__probe_stamp(icmp, dst.family, s->base_sum, &s->key, &dst, index, pass,
                     (uint64_t)real_ns());
    /* The IPv4 id: any bits that differ from probe to probe. */
    uint16_t ip_id = (uint16_t)(icmp[4] << 8 | icmp[5]) ^ (uint16_t)index;

    size_t len = s->icmp_len;
    if (hdrincl) {
        uint8_t *ip = sl->pkt;
        size_t tot = ICR__IPV4_HDR_LEN + s->icmp_len;
        /* The kernel fills the header checksum and, with saddr 0, the
         * source address (raw(7), IP_HDRINCL). */
        ip[0] = 0x45;
        ip[1] = (uint8_t)s->o.traffic_class;
        ip[2] = (uint8_t)(tot >> 8);
        ip[3] = (uint8_t)tot;
        ip[4] = (uint8_t)(ip_id >> 8);
        ip[5] = (uint8_t)ip_id;
        ip[6] = ip[7] = 0;
        ip[8] = (uint8_t)s->o.ttl;
        ip[9] = IPPROTO_ICMP;
        ip[10] = ip[11] = 0;
        if (s->o.source4.family == AF_INET)
            memcpy(ip + 12, &s->o.source4.v4, 4);
        else
            memset(ip + 12, 0, 4);
        memcpy(ip + 16, &dst.v4, 4);
        len = tot;
    }
    int fd;
    socklen_t salen;
    if (v4) {
        sl->sa.v4 = (struct sockaddr_in){.sin_family = AF_INET, .sin_addr = dst.v4};
        salen = sizeof(sl->sa.v4);
        fd = t->fd4;
    } else {
        sl->sa.v6 = (struct sockaddr_in6){.sin6_family = AF_INET6, .sin6_addr = dst.v6};
        salen = sizeof(sl->sa.v6);
        fd = t->fd6;
    }
    sl->iov = (struct iovec){.iov_base = sl->pkt, .iov_len = len};
    sl->mh = (struct msghdr){.msg_name = &sl->sa, .msg_namelen = salen, .msg_iov = &sl->iov,
                             .msg_iovlen = 1};
    if (!v4) {
        sl->mh.msg_control = sl->ctrl.buf;
        sl->mh.msg_controllen = sizeof(sl->ctrl.buf);
        struct cmsghdr *cm = CMSG_FIRSTHDR(&sl->mh);
        const int vals[2][2] = {{IPV6_HOPLIMIT, s->o.ttl}, {IPV6_TCLASS, s->o.traffic_class}};
        for (int k = 0; k < 2; k++, cm = CMSG_NXTHDR(&sl->mh, cm)) {
            cm->cmsg_level = IPPROTO_IPV6;
            cm->cmsg_type = vals[k][0];
            cm->cmsg_len = CMSG_LEN(sizeof(int));
            memcpy(CMSG_DATA(cm), &vals[k][1], sizeof(int));
        }
    }
    sl->fd = fd;
    sl->retries = 0;
    r = icr__ring_queue_send(t->ring, fd, &sl->mh, id);
    if (r < 0) {
        t->free_slots[t->nfree++] = id;
        return r;
    }
    t->inflight++;
    return 0;
}

/* Verify a probe's MACs.  dst: where the probe went; id/seq: as echoed or
 * quoted; pl: the echoed or quoted payload (may be short for errors). */
static bool verify(const struct icr_sweep *s, const struct icr_addr *dst, uint16_t id,
                   uint16_t seq, const uint8_t *pl, size_t pl_len, bool need_payload,
                   uint64_t *ret_index, uint32_t *ret_probe, int64_t *ret_sent) {
    /* On a datagram socket the kernel owns the id: only seq and payload
     * carry the MAC there. */
    bool check_id = s->privileged;
    uint64_t index, sent;
    uint32_t probe;
    switch (icr__probe_check(&s->key, dst, id, seq, check_id, pl, pl_len, &index, &probe, &sent)) {
    case ICR__PROBE_VALID:
        /* A valid MAC for a probe this job never sent would need the key;
         * the range checks keep a bug from indexing past the bitmaps. */
        if ((s->o.count && probe >= s->o.count) || probe > atomic_load(&s->pass) ||
            index >= s->n)
            return false;
        *ret_index = index;
        *ret_probe = probe;
        *ret_sent = (int64_t)sent;
        return true;
    case ICR__PROBE_INVALID:
        return false;
    default:
        break;
    }
    if (need_payload)
        return false;
    /* An error that quotes only the ICMP header (RFC 792's minimum): the
     * 32-bit id+seq MAC is all there is; find which probe it was, among the
     * last 64 passes (an unlimited ping has no end to search to). */
    const uint32_t cur = atomic_load_explicit(&s->pass, memory_order_relaxed);
    for (uint32_t k = 0; k < 64 && k <= cur; k++) {
        uint32_t p = cur - k;
        uint64_t h = icr__probe_hash(&s->key, dst, p);
        if ((!check_id || (uint16_t)h == id) && (uint16_t)(h >> 16) == seq) {
            if (icr_targets_index(s->targets, dst, ret_index) < 0)
                return false;
            *ret_probe = p;
            *ret_sent = -1;
            return true;
        }
    }
    return false;
}

static bool test_and_set(_Atomic uint64_t *map, uint64_t i) {
    uint64_t bit = 1ull << (i & 63);
    return atomic_fetch_or_explicit(&map[i >> 6], bit, memory_order_relaxed) & bit;
}

static void count(_Atomic uint64_t *c) {
    atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

static void report(struct icr_sweep *s, struct icr_result *res, bool ok, int64_t sent,
                   int64_t t_ns);

static void on_recv(struct icr_sweep *s, const struct icr__completion *c) {
    struct icr__icmp_msg m;
    int family = (int)c->src == s->src6 ? AF_INET6 : AF_INET;
    bool raw4 = family == AF_INET && s->privileged;
    int st = raw4 ? icr__parse_ipv4(c->data, c->len, &m)
                  : icr__parse_icmp(c->data, c->len, family, NULL, NULL, &m);

    if (c->has_ovfl) {
        uint32_t *last = family == AF_INET ? &s->last_ovfl4 : &s->last_ovfl6;
        if (c->ovfl > *last) {
            atomic_fetch_add_explicit(&s->c.kernel_drops, c->ovfl - *last, memory_order_relaxed);
            *last = c->ovfl;
        }
    }
    if (st != ICR__PARSE_OK)
        return;

    struct icr_result res = {
        .size = sizeof(res),
        .type = m.type,
        .code = m.code,
        .ttl = raw4 ? m.ttl : c->ttl,
        .bytes_received = m.icmp_len,
    };
    if (raw4)
        res.responder = m.src;
    else if (icr_addr_from_sockaddr(c->name, c->namelen, &res.responder) < 0)
        return;

    int64_t sent;
    bool ok;
    int echo_reply = family == AF_INET ? ICR__ICMP4_ECHO_REPLY : ICR__ICMP6_ECHO_REPLY;
    if (m.is_echo && m.type == echo_reply) {
        res.kind = ICR_RESULT_ECHO;
        res.target = res.responder;
        ok = verify(s, &res.target, m.id, m.seq, m.data, m.data_len, true, &res.index,
                    &res.probe, &sent);
    } else if (m.is_error && m.has_quote && m.quote_is_echo) {
        res.kind = ICR_RESULT_ERROR;
        res.target = m.quote_dst;
        ok = verify(s, &res.target, m.quote_id, m.quote_seq, m.quote_data, m.quote_data_len,
                    false, &res.index, &res.probe, &sent);
    } else {
        return; /* not about an Echo Request: not ours to judge */
    }
    report(s, &res, ok, sent, c->t_ns);
}

/* Count a verified (or not) reply, deduplicate it, and hand it over. */
static void report(struct icr_sweep *s, struct icr_result *res, bool ok, int64_t sent,
                   int64_t t_ns) {
    if (!ok) {
        count(&s->c.invalid);
        return;
    }
    res->sent_ns = sent;
    res->rtt_ns = sent > 0 && t_ns > 0 ? t_ns - sent : -1;

    if (res->kind == ICR_RESULT_ECHO) {
        count(&s->c.replies);
        res->duplicate = test_and_set(s->alive, res->index);
        if (res->duplicate)
            count(&s->c.duplicates);
        else
            count(&s->c.hits);
    } else {
        count(&s->c.errors);
        res->duplicate = test_and_set(s->erred, res->index) ||
                        (atomic_load_explicit(&s->alive[res->index >> 6], memory_order_relaxed) &
                         (1ull << (res->index & 63)));
    }
    if (s->o.on_result && (!res->duplicate || (s->o.flags & ICR_SWEEP_ALL_REPLIES)))
        s->o.on_result(res, s->o.userdata);
}

/* Read a datagram socket's error queue dry.  Ping sockets get ICMP errors
 * only there (IP_RECVERR): the kernel gives type, code and the router
 * (offender) in sock_extended_err, the probed address as msg_name, and our
 * own Echo Request - MAC payload included - as the data. */
static void drain_errqueue(struct icr_sweep *s, int fd, int family) {
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
        const struct sock_extended_err *ee = NULL;
        int64_t t_ns = 0;
        for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
            if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
                struct timespec ts;
                memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
                t_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
            } else if ((cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_RECVERR) ||
                       (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_RECVERR)) {
                ee = (const struct sock_extended_err *)CMSG_DATA(cm);
            }
        }
        if (!ee || (ee->ee_origin != SO_EE_ORIGIN_ICMP && ee->ee_origin != SO_EE_ORIGIN_ICMP6) ||
            n < ICR__ICMP_HDR_LEN)
            continue;
        struct icr_result res = {
            .size = sizeof(res),
            .kind = ICR_RESULT_ERROR,
            .type = ee->ee_type,
            .code = ee->ee_code,
            .ttl = -1, /* the error's own TTL does not come with the queue */
            .bytes_received = (size_t)n + ICR__ICMP_HDR_LEN,
        };
        if (icr_addr_from_sockaddr(SO_EE_OFFENDER(ee), sizeof(struct sockaddr_in6),
                                   &res.responder) < 0 ||
            icr_addr_from_sockaddr((struct sockaddr *)&name, mh.msg_namelen, &res.target) < 0 ||
            res.target.family != family)
            continue;
        int64_t sent = -1;
        uint16_t id = (uint16_t)(buf[4] << 8 | buf[5]), seq = (uint16_t)(buf[6] << 8 | buf[7]);
        bool ok = verify(s, &res.target, id, seq, buf + ICR__ICMP_HDR_LEN,
                         (size_t)n - ICR__ICMP_HDR_LEN, false, &res.index, &res.probe, &sent);
        report(s, &res, ok, sent, t_ns);
    }
}

/* After this many refused probes in a row the sweep ends early rather than
 * burn through the rest of the space.  At full speed that is a few
 * milliseconds; one refused target among live ones never gets near it. */
#define FAIL_STREAK_MAX 256

static void on_sent(struct tx *t, const struct icr__completion *c) {
    struct icr_sweep *s = t->s;
    struct slot *sl = &t->slots[c->user];
    if (c->res < 0 && !s->privileged && sl->retries < 8 &&
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
    if (c->res >= 0) {
        count(&s->c.sent);
        atomic_store_explicit(&s->fail_streak, 0, memory_order_relaxed);
        return;
    }
    count(&s->c.send_errors);
    atomic_store_explicit(&s->last_send_error, -c->res, memory_order_relaxed);
    int e = -c->res;
    bool link = e == ENETDOWN || e == ENODEV || e == ENETUNREACH || e == EHOSTUNREACH ||
                e == EADDRNOTAVAIL;
    /* ENETDOWN/ENODEV: the interface itself is down or gone - nothing more
     * will leave.  A long streak of any refusal after probes did leave
     * means the path went away under us (a link going down takes its
     * routes with it: ENETUNREACH); if nothing ever left, report the
     * kernel's own reason. */
    uint32_t streak = atomic_fetch_add_explicit(&s->fail_streak, 1, memory_order_relaxed) + 1;
    int fatal = 0;
    if (e == ENETDOWN || e == ENODEV)
        fatal = ICR_EIFDOWN;
    else if (streak >= FAIL_STREAK_MAX)
        fatal = link && atomic_load_explicit(&s->c.sent, memory_order_relaxed) ? ICR_EIFDOWN : -e;
    if (fatal) {
        int none = 0;
        (void)atomic_compare_exchange_strong(&s->fatal, &none, fatal);
    }
}

static void on_completion(const struct icr__completion *c, void *ud) {
    struct icr_sweep *s = ud;
    if (c->kind == ICR__CQ_SEND)
        on_sent(&s->tx[0], c);
    else if (c->kind == ICR__CQ_ERRQUEUE)
        drain_errqueue(s, (int)c->src == s->errw6 ? s->fd6 : s->fd4_recv,
                       (int)c->src == s->errw6 ? AF_INET6 : AF_INET);
    else
        on_recv(s, c);
}

static void on_helper_completion(const struct icr__completion *c, void *ud) {
    on_sent(ud, c); /* the helper's ring only sends */
}

static void enter_cooldown(struct icr_sweep *s, int64_t now) {
    s->state = COOLDOWN;
    s->send_end_ns = now;
    s->cooldown_end_ns = now + (int64_t)(s->o.cooldown * 1e9);
}

/* Receive before sending: whether replies are piling up in a receive
 * socket.  Sending faster than the receive side can drain only converts
 * probes into kernel drops (seen here: a 1M-address IPv6 sweep at full
 * speed lost 40% of its replies to a full receive buffer), so the sender
 * pauses while more than an eighth of the buffer is in use.  SO_MEMINFO
 * (4.12) reads the socket's queued bytes in one getsockopt per batch. */
static bool rx_backlogged(const struct icr_sweep *s) {
    const int fds[2] = {s->fd4_recv, s->fd6};
    for (int i = 0; i < 2; i++) {
        uint32_t mi[SK_MEMINFO_VARS];
        socklen_t len = sizeof(mi);
        if (fds[i] < 0 || getsockopt(fds[i], SOL_SOCKET, SO_MEMINFO, mi, &len) < 0 ||
            len < sizeof(mi))
            continue;
        if (mi[SK_MEMINFO_RMEM_ALLOC] > mi[SK_MEMINFO_RCVBUF] / 8)
            return true;
    }
    return false;
}

/* Queue what the rate and the slots allow.  Returns how long the sender
 * could sleep before it has more to do (0: go on at once). */
static bool pass_done(const struct icr_sweep *s) {
    return atomic_load_explicit(&s->next_pos, memory_order_relaxed) >= s->per_pass;
}

/* Queue up to `budget` probes from t: as many as its free slots, its rate
 * tokens and the positions left in the pass allow.  Positions are handed
 * out by one atomic counter, so two senders never send the same probe. */
static uint32_t send_some(struct tx *t, int64_t now, uint32_t budget) {
    struct icr_sweep *s = t->s;
    uint32_t want = budget < t->nfree ? budget : t->nfree;
    if (want == 0 || pass_done(s))
        return 0;
    want = icr__rl_take(&t->rl, now, want);
    if (want == 0)
        return 0;
    /* acq_rel: pairs with the release that opens a new pass, so a claim in
     * it sees its pass number. */
    uint64_t k0 = atomic_fetch_add_explicit(&s->next_pos, want, memory_order_acq_rel);
    if (k0 >= s->per_pass)
        return 0;
    uint32_t got = s->per_pass - k0 < want ? (uint32_t)(s->per_pass - k0) : want;
    for (uint32_t k = 0; k < got; k++) {
        uint64_t pos = icr__perm_shard_pos(s->o.shards, s->o.shard, k0 + k);
        if (queue_probe(t, icr__perm_at(&s->perm, pos)) < 0)
            count(&s->c.send_errors);
    }
    return got;
}

/* The helper thread: a second sender with its own ring (made here: a
 * SINGLE_ISSUER ring belongs to the thread that creates it).  It only
 * sends; every reply is received and matched by the stepping thread. */
static void *helper_main(void *arg) {
    struct tx *t = arg;
    struct icr_sweep *s = t->s;
    if (icr__ring_new(NSLOTS, true, &t->ring) < 0)
        goto out; /* the stepping thread sends everything alone */
    for (;;) {
        if (atomic_load_explicit(&s->stop, memory_order_relaxed) ||
            atomic_load_explicit(&s->fatal, memory_order_relaxed))
            break;
        uint32_t got = 0;
        if (!rx_backlogged(s)) {
            got = send_some(t, mono_ns(), s->o.batch);
            if (got == 0 && pass_done(s)) {
                uint32_t p = atomic_load_explicit(&s->pass, memory_order_relaxed);
                if (s->o.count && p + 1 >= s->o.count)
                    break; /* the last pass is out */
                /* This pass is over for us: the stepping thread may open the
                 * next one (after the interval) without a probe of ours
                 * half-stamped with the old number. */
                atomic_store_explicit(&s->helper_passes, p + 1, memory_order_release);
            }
        }
        /* Nothing queued (slots or receiver busy): wait up to 100 us for
         * send completions instead of spinning. */
        (void)icr__ring_submit(t->ring, got ? 0 : 100000);
        (void)icr__ring_reap(t->ring, on_helper_completion, t);
    }
    while (t->inflight) {
        (void)icr__ring_submit(t->ring, 1000000);
        (void)icr__ring_reap(t->ring, on_helper_completion, t);
    }
    t->ring = icr__ring_free(t->ring); /* nothing of it is in flight now */
out:
    atomic_store_explicit(&s->helper_done, 1, memory_order_release);
    return NULL;
}

/* Queue what the rate and the slots allow.  Returns how long the sender
 * could sleep before it has more to do (0: go on at once). */
static int64_t fill(struct icr_sweep *s, int64_t now) {
    struct tx *t = &s->tx[0];
    if (atomic_load_explicit(&s->stop, memory_order_relaxed) ||
        atomic_load_explicit(&s->fatal, memory_order_relaxed)) {
        /* Stop sending; the cooldown still collects what is on its way. */
        s->stopped = !atomic_load_explicit(&s->fatal, memory_order_relaxed);
        enter_cooldown(s, now);
        return 0;
    }
    if (rx_backlogged(s)) {
        s->backlog_pauses++;
        return 0; /* the step's reap drains the replies first */
    }
    /* With a helper sending too, this thread also receives every reply: it
     * sends a quarter batch per step (32 of the default 128), the helper
     * whole batches.  Measured on the /16 lab sweep: an even split gave
     * 165 kpps, with this thread at 100% CPU and the helper at 67% waiting
     * for replies to be drained; a half 165 kpps; a quarter 185 kpps; an
     * eighth the same; batch 256 with a quarter 178 kpps. */
    uint32_t limit = s->helper_started ? (s->o.batch + 3) / 4 : s->o.batch;
    uint32_t queued = 0;
    while (queued < limit) {
        if (pass_done(s)) {
            const uint32_t p = atomic_load_explicit(&s->pass, memory_order_relaxed);
            const bool last = s->o.count && p + 1 >= s->o.count;
            /* The helper may still be stamping its last positions of it. */
            if (s->helper_started &&
                !atomic_load_explicit(&s->helper_done, memory_order_acquire) &&
                (last || atomic_load_explicit(&s->helper_passes, memory_order_acquire) < p + 1))
                return queued ? 0 : 100000;
            /* End of a pass: the next probe to the same targets waits for
             * the interval, so probes to one host are spaced, not
             * back to back. */
            if (last) {
                enter_cooldown(s, now);
                return 0;
            }
            int64_t next = s->pass_start_ns + (int64_t)(s->o.interval * 1e9);
            if (now < next)
                return next - now;
            /* Pass number first, then the positions (release): a claim that
             * sees the new positions sees the new number. */
            atomic_store_explicit(&s->pass, p + 1, memory_order_relaxed);
            s->pass_start_ns = now;
            atomic_store_explicit(&s->next_pos, 0, memory_order_release);
        }
        if (t->nfree == 0)
            return queued ? 0 : 1000000; /* wait for send completions */
        uint32_t got = send_some(t, now, limit - queued);
        if (got == 0) {
            if (pass_done(s))
                continue;
            return queued ? 0 : icr__rl_wait_ns(&t->rl, now);
        }
        queued += got;
    }
    /* The last probe of the last pass is queued: say so now, not a step
     * later, so a caller watching sending_done does not wait for nothing. */
    if (pass_done(s) && s->o.count &&
        atomic_load_explicit(&s->pass, memory_order_relaxed) + 1 >= s->o.count &&
        (!s->helper_started || atomic_load_explicit(&s->helper_done, memory_order_acquire)))
        enter_cooldown(s, now);
    return 0;
}

/* Every target answered every probe: nothing is left to learn (fping ends
 * there too), so the rest of the cooldown can go. */
static bool all_answered(const struct icr_sweep *s) {
    return s->o.count &&
           atomic_load_explicit(&s->c.replies, memory_order_relaxed) >= s->per_pass * s->o.count &&
           atomic_load_explicit(&s->c.hits, memory_order_relaxed) >= s->per_pass;
}

static int64_t time_to_wait(const struct icr_sweep *s, int64_t now) {
    const struct tx *t = &s->tx[0];
    if (s->state == SENDING) {
        if (!pass_done(s) && t->nfree)
            return icr__rl_wait_ns(&t->rl, now);
        if (pass_done(s) &&
            (!s->o.count || atomic_load_explicit(&s->pass, memory_order_relaxed) + 1 < s->o.count)) {
            int64_t next = s->pass_start_ns + (int64_t)(s->o.interval * 1e9) - now;
            return next > 0 ? next : 0;
        }
        return 1000000;
    }
    if (s->state == COOLDOWN)
        return s->cooldown_end_ns > now ? s->cooldown_end_ns - now : 0;
    return 0;
}

/* What a finished sweep returns: the reason sending ended early, if any. */
static int done_code(const struct icr_sweep *s) {
    int fatal = atomic_load_explicit(&s->fatal, memory_order_relaxed);
    return fatal ? fatal : s->stopped ? ICR_ESTOPPED : 0;
}

ICR_EXPORT int icr_sweep_step(icr_sweep *s, int64_t timeout_ns) {
    if (!s || timeout_ns < 0)
        return ICR_EINVAL;
    if (s->state == DONE)
        return done_code(s);

    int64_t now = mono_ns();
    if (!s->started) {
        s->started = true;
        s->start_ns = s->pass_start_ns = now;
        /* A burst of at least one batch, or the engine could never fill a
         * batch at low rates; rate * 10 ms so a late wake-up catches up. */
        uint64_t rate = s->o.rate / s->nsenders;
        uint64_t burst = rate / 100;
        if (burst < s->o.batch)
            burst = s->o.batch;
        for (unsigned i = 0; i < s->nsenders; i++)
            icr__rl_init(&s->tx[i].rl, rate + (i == 0 ? s->o.rate % s->nsenders : 0),
                         (uint32_t)(burst > 65536 ? 65536 : burst), now);
        if (s->nsenders == 2 &&
            pthread_create(&s->helper, NULL, helper_main, &s->tx[1]) == 0)
            s->helper_started = true;
    }

    int64_t wait = 0;
    if (s->state == SENDING)
        wait = fill(s, now);
    if (s->state == COOLDOWN) {
        if (atomic_load_explicit(&s->stop, memory_order_relaxed))
            s->stopped = true;
        if (all_answered(s))
            s->cooldown_end_ns = now;
        wait = s->cooldown_end_ns - now;
    }
    if (wait > timeout_ns)
        wait = timeout_ns;
    if (wait < 0)
        wait = 0;

    int r = icr__ring_submit(s->ring, wait);
    if (r < 0 && r != -EINTR && r != -EBUSY && r != -EAGAIN)
        return r;
    (void)icr__ring_reap(s->ring, on_completion, s);

    now = mono_ns();
    if (s->state == COOLDOWN && all_answered(s))
        s->cooldown_end_ns = now;
    if (s->state == COOLDOWN && now >= s->cooldown_end_ns && s->tx[0].inflight == 0) {
        if (s->helper_started) { /* it has seen stop or the end of the pass */
            pthread_join(s->helper, NULL);
            s->helper_started = false;
        }
        s->state = DONE;
        return done_code(s);
    }
    return 1;
}

ICR_EXPORT int icr_sweep_run(icr_sweep *s) {
    int r;
    if (!s)
        return ICR_EINVAL;
    /* Wake at least every 50 ms so a stop from another thread is seen
     * promptly even when nothing arrives. */
    while ((r = icr_sweep_step(s, 50000000)) == 1)
        ;
    return r;
}

ICR_EXPORT int icr_sweep_get_fd(const icr_sweep *s) {
    return s ? icr__ring_fd(s->ring) : ICR_EINVAL;
}

ICR_EXPORT int64_t icr_sweep_get_timeout_ns(const icr_sweep *s) {
    if (!s)
        return 0;
    if (!s->started)
        return 0;
    return time_to_wait(s, mono_ns());
}

ICR_EXPORT void icr_sweep_stop(icr_sweep *s) {
    if (s)
        atomic_store_explicit(&s->stop, 1, memory_order_relaxed);
}

ICR_EXPORT int icr_sweep_get_stats(const icr_sweep *s, struct icr_sweep_stats *ret) {
    if (!s || !ret || ret->size < sizeof(struct icr_sweep_stats))
        return ICR_EINVAL;
    int64_t now = mono_ns();
    *ret = (struct icr_sweep_stats){
        .size = sizeof(*ret),
        .targets = s->per_pass,
        .planned = s->per_pass * s->o.count, /* 0: until stopped */
        .sent = atomic_load_explicit(&s->c.sent, memory_order_relaxed),
        .send_errors = atomic_load_explicit(&s->c.send_errors, memory_order_relaxed),
        .hits = atomic_load_explicit(&s->c.hits, memory_order_relaxed),
        .replies = atomic_load_explicit(&s->c.replies, memory_order_relaxed),
        .duplicates = atomic_load_explicit(&s->c.duplicates, memory_order_relaxed),
        .errors = atomic_load_explicit(&s->c.errors, memory_order_relaxed),
        .invalid = atomic_load_explicit(&s->c.invalid, memory_order_relaxed),
        .kernel_drops = atomic_load_explicit(&s->c.kernel_drops, memory_order_relaxed),
        .elapsed_ns = s->started ? now - s->start_ns : 0,
        .send_ns = !s->started ? 0 : (s->state == SENDING ? now : s->send_end_ns) - s->start_ns,
        .sending_done = s->state != SENDING,
        .done = s->state == DONE,
        .multishot = icr__ring_multishot(s->ring),
        .last_send_error = atomic_load_explicit(&s->last_send_error, memory_order_relaxed),
        .senders = s->nsenders,
    };
    return 0;
}

ICR_EXPORT int icr_sweep_is_alive(const icr_sweep *s, uint64_t index) {
    if (!s || index >= s->n)
        return ICR_EINVAL;
    return (atomic_load_explicit(&s->alive[index >> 6], memory_order_relaxed) >> (index & 63)) & 1;
}
