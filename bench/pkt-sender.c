/* pkt-sender.c - the bench's bare AF_PACKET sender: the ceiling for the
 * packet transport on this machine.  Builds IPv4 ICMP Echo Requests to
 * consecutive addresses of 198.18.0.0/15 in Ethernet frames (IP and ICMP
 * checksums computed per frame) and sends them with sendmmsg, `batch` per
 * call, on a SOCK_RAW packet socket with PACKET_QDISC_BYPASS, from
 * `threads` threads (each its own socket and share of the count).  Nothing
 * of the library: what the kernel allows, minus only this loop.
 *
 * With PKT_SPAN=N (a power of two), only the first N addresses, in turn.
 * With PKT_RECV=raw or ring, a receiver thread counts the echo replies
 * (bench part B: today's raw-socket receive path against a TPACKET_V3 ring;
 * see run_rx_raw and run_rx_ring).
 * With PKT_RING=1 in the environment, frames go through a PACKET_TX_RING
 * (TPACKET_V2, 4096 frames) instead, kicked by one send() per batch: the
 * other design issue 10 asks to measure.
 *
 * pkt-sender --watch IFNAME SECONDS measures any sender the same way from
 * outside: it samples IFNAME's transmit counter (/proc/net/dev of its
 * namespace) every 2 ms, from the first packet until 300 ms without one
 * (or SECONDS), and prints "watched N packets in S s: R pps" - the send
 * rate without start-up or cooldown, for every tool alike.
 *
 * usage: pkt-sender IFNAME DST-MAC SRC-IPV4 COUNT [THREADS [BATCH [PAYLOAD]]]
 * prints: "sent N in S s: P pps" (its own CLOCK_MONOTONIC).
 * Only 198.18.0.0/15 is ever addressed: run it only into a sink namespace
 * (bench/packet-bench.sh). */
#include <arpa/inet.h>
#include <net/if.h> /* before the linux headers, which would redefine IFF_* */
#include <errno.h>
#include <linux/filter.h>
#include <linux/icmp.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXB 1024

struct job {
    int ifindex;
    uint8_t dmac[6], smac[6];
    uint32_t src;       /* network order */
    uint64_t first, count;
    uint32_t mask;      /* destinations: 198.18.0.0 + (k & mask) */
    unsigned batch;
    size_t payload;
    uint64_t sent;
    int err;
};

static uint16_t csum(const uint8_t *p, size_t n, uint32_t s) {
    for (size_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1)
        s += (uint32_t)p[n - 1] << 8;
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Fill frame f (its constant part already there) for probe k. */
static void stamp(uint8_t *f, uint64_t k, size_t payload, uint32_t mask) {
    /* 198.18.0.0/15, or its first mask + 1 addresses (PKT_SPAN). */
    uint32_t dst = htonl(0xc6120000u + (uint32_t)(k & mask));
    memcpy(f + 30, &dst, 4);
    f[18] = (uint8_t)(k >> 8); /* IP id */
    f[19] = (uint8_t)k;
    f[24] = f[25] = 0;
    uint16_t c = csum(f + 14, 20, 0);
    f[24] = (uint8_t)(c >> 8);
    f[25] = (uint8_t)c;
    f[38] = (uint8_t)(k >> 24); /* ICMP id, seq */
    f[39] = (uint8_t)(k >> 16);
    f[40] = (uint8_t)(k >> 8);
    f[41] = (uint8_t)k;
    f[36] = f[37] = 0;
    c = csum(f + 34, 8 + payload, 0);
    f[36] = (uint8_t)(c >> 8);
    f[37] = (uint8_t)c;
}

static void frame_init(uint8_t *f, const struct job *j, size_t flen) {
    memset(f, 0, flen);
    memcpy(f, j->dmac, 6);
    memcpy(f + 6, j->smac, 6);
    f[12] = 0x08;
    f[14] = 0x45;
    f[16] = (uint8_t)((flen - 14) >> 8);
    f[17] = (uint8_t)(flen - 14);
    f[22] = 64;
    f[23] = 1;
    memcpy(f + 26, &j->src, 4);
    f[34] = 8; /* Echo Request */
}

#define RING_FRAMES 4096u
#define RING_FSZ 2048u

/* The TX_RING variant: fill up to `batch` free frames, then one send()
 * (MSG_DONTWAIT: the kernel transmits what is marked and returns). */
static void run_ring(struct job *j, int fd) {
    int v = TPACKET_V2;
    struct tpacket_req req = {.tp_block_size = 4096 * 16, .tp_frame_size = RING_FSZ,
                              .tp_block_nr = RING_FRAMES * RING_FSZ / (4096 * 16),
                              .tp_frame_nr = RING_FRAMES};
    struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP),
                              .sll_ifindex = j->ifindex};
    if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &v, sizeof(v)) < 0 ||
        setsockopt(fd, SOL_PACKET, PACKET_TX_RING, &req, sizeof(req)) < 0 ||
        bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
        j->err = errno;
        return;
    }
    uint8_t *ring = mmap(NULL, (size_t)RING_FRAMES * RING_FSZ, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (ring == MAP_FAILED) {
        j->err = errno;
        return;
    }
    size_t flen = 14 + 20 + 8 + j->payload;
    const size_t off = TPACKET2_HDRLEN - sizeof(struct sockaddr_ll);
    for (unsigned i = 0; i < RING_FRAMES; i++)
        frame_init(ring + (size_t)i * RING_FSZ + off, j, flen);
    uint64_t k = j->first, end = j->first + j->count;
    unsigned head = 0;
    while (k < end) {
        unsigned n = 0;
        while (n < j->batch && k < end) {
            struct tpacket2_hdr *h = (struct tpacket2_hdr *)(ring + (size_t)head * RING_FSZ);
            if (__atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE) != TP_STATUS_AVAILABLE)
                break; /* the kernel has not sent it yet */
            stamp((uint8_t *)h + off, k, j->payload, j->mask);
            h->tp_len = (uint32_t)flen;
            __atomic_store_n(&h->tp_status, TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
            head = (head + 1) % RING_FRAMES;
            n++;
            k++;
        }
        if (send(fd, NULL, 0, MSG_DONTWAIT) < 0 && errno != EAGAIN && errno != ENOBUFS &&
            errno != EINTR) {
            j->err = errno;
            break;
        }
        j->sent += n;
    }
    /* Wait until the kernel has taken every frame. */
    for (int spins = 0; spins < 1000000; spins++) {
        unsigned busy = 0;
        for (unsigned i = 0; i < RING_FRAMES; i++)
            busy += ((struct tpacket2_hdr *)(ring + (size_t)i * RING_FSZ))->tp_status != TP_STATUS_AVAILABLE;
        if (!busy)
            break;
        (void)send(fd, NULL, 0, MSG_DONTWAIT);
    }
    munmap(ring, (size_t)RING_FRAMES * RING_FSZ);
}

static void *run(void *arg) {
    struct job *j = arg;
    int fd = socket(AF_PACKET, SOCK_RAW, 0), one = 1, sz = 32 << 20;
    if (fd < 0 || setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) < 0) {
        j->err = errno;
        return NULL;
    }
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz));
    if (getenv("PKT_RING")) {
        run_ring(j, fd);
        close(fd);
        return NULL;
    }
    size_t flen = 14 + 20 + 8 + j->payload;
    static __thread uint8_t frames[MAXB][14 + 20 + 8 + 1400];
    struct iovec iov[MAXB];
    struct mmsghdr mm[MAXB];
    struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP),
                              .sll_ifindex = j->ifindex, .sll_halen = 6};
    memcpy(sll.sll_addr, j->dmac, 6);
    for (unsigned i = 0; i < j->batch; i++) {
        uint8_t *f = frames[i];
        frame_init(f, j, flen);
        iov[i] = (struct iovec){.iov_base = f, .iov_len = flen};
        mm[i] = (struct mmsghdr){.msg_hdr = {.msg_name = &sll, .msg_namelen = sizeof(sll),
                                             .msg_iov = &iov[i], .msg_iovlen = 1}};
    }
    uint64_t k = j->first, end = j->first + j->count;
    while (k < end) {
        unsigned n = end - k < j->batch ? (unsigned)(end - k) : j->batch;
        for (unsigned i = 0; i < n; i++, k++)
            stamp(frames[i], k, j->payload, j->mask);
        unsigned off = 0;
        while (off < n) {
            int r = sendmmsg(fd, mm + off, n - off, 0);
            if (r < 0) {
                if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR)
                    continue;
                j->err = errno;
                close(fd);
                return NULL;
            }
            off += (unsigned)r;
            j->sent += (unsigned)r;
        }
    }
    close(fd);
    return NULL;
}

/* ---- PKT_RECV: a bare receiver of the echo replies (bench part B) ----
 * raw:  an ICMP raw socket as the engine opens it (ICMP_FILTER to echo
 *       replies and errors, SO_TIMESTAMPNS, a 32 MiB buffer), read with
 *       recvmmsg, 64 per call: the cost of today's receive path without
 *       the engine.
 * ring: an AF_PACKET socket bound to IFNAME (ETH_P_IP) with a classic BPF
 *       filter that keeps IPv4 ICMP Echo Replies only, and a TPACKET_V3
 *       receive ring (16 blocks of 1 MiB, retired after 1 ms), walked block
 *       by block: the design issue 10 asks to measure against it.  No ICMP
 *       socket is open then.
 * Both count echo replies until none came for 300 ms after the senders
 * ended, and read each reply's ICMP type (so the data is touched). */
struct rx {
    const char *mode;
    int ifindex;
    volatile int senders_done;
    uint64_t got;
    int err;
};

/* After a wait that brought nothing: whether to stop (the senders are done
 * and nothing came for 300 ms).  *since: when the silence began, 0 when
 * something came. */
static bool quiet_over(const struct rx *x, double *since) {
    if (!x->senders_done)
        return false;
    if (*since == 0)
        *since = now_s();
    return now_s() - *since > 0.3;
}

static void *run_rx_raw(struct rx *x) {
    int fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP), one = 1, sz = 32 << 20;
    struct icmp_filter flt = {.data = ~((1u << ICMP_ECHOREPLY) | (1u << ICMP_DEST_UNREACH) |
                                        (1u << ICMP_TIME_EXCEEDED))};
    struct timeval tv = {.tv_usec = 100000};
    if (getenv("PKT_RECV_NOTS"))
        one = 0; /* experiment: without kernel receive timestamps */
    if (fd < 0 || setsockopt(fd, SOL_RAW, ICMP_FILTER, &flt, sizeof(flt)) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
        x->err = errno;
        return NULL;
    }
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz));
    enum { RB = 64 };
    static uint8_t bufs[RB][2048];
    static union { char b[CMSG_SPACE(sizeof(struct timespec))]; size_t align; } ctl[RB];
    struct sockaddr_in names[RB];
    struct iovec iov[RB];
    struct mmsghdr mm[RB];
    double quiet_since = 0;
    const int spin = getenv("PKT_RECV_SPIN") != NULL; /* experiment: never sleep */
    for (;;) {
        for (int i = 0; i < RB; i++) {
            iov[i] = (struct iovec){.iov_base = bufs[i], .iov_len = sizeof(bufs[i])};
            mm[i] = (struct mmsghdr){.msg_hdr = {.msg_name = &names[i], .msg_namelen = sizeof(names[i]),
                                                 .msg_iov = &iov[i], .msg_iovlen = 1,
                                                 .msg_control = ctl[i].b, .msg_controllen = sizeof(ctl[i].b)}};
        }
        int n = recvmmsg(fd, mm, RB, spin ? MSG_DONTWAIT : MSG_WAITFORONE, NULL);
        if (n > 0) {
            for (int i = 0; i < n; i++) {
                unsigned ihl = (bufs[i][0] & 15u) * 4;
                if (mm[i].msg_len > ihl && bufs[i][ihl] == ICMP_ECHOREPLY)
                    x->got++;
            }
            quiet_since = 0;
            continue;
        }
        if (quiet_over(x, &quiet_since))
            break;
    }
    close(fd);
    return NULL;
}

static void *run_rx_ring(struct rx *x) {
    int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_IP)), v = TPACKET_V3;
    /* Ethernet, IPv4, protocol ICMP, not a later fragment, ICMP type 0. */
    struct sock_filter code[] = {
        BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, 0, 8),
        BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 23),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_ICMP, 0, 6),
        BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 20),
        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x1fff, 4, 0),
        BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 14),
        BPF_STMT(BPF_LD | BPF_B | BPF_IND, 14),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ICMP_ECHOREPLY, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, 256),
        BPF_STMT(BPF_RET | BPF_K, 0),
    };
    struct sock_fprog prog = {.len = sizeof(code) / sizeof(code[0]), .filter = code};
    struct tpacket_req3 req = {.tp_block_size = 1u << 20, .tp_block_nr = 16, .tp_frame_size = 2048,
                               .tp_frame_nr = (1u << 20) / 2048 * 16, .tp_retire_blk_tov = 1};
    struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP),
                              .sll_ifindex = x->ifindex};
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0 ||
        setsockopt(fd, SOL_PACKET, PACKET_VERSION, &v, sizeof(v)) < 0 ||
        setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)) < 0) {
        x->err = errno;
        return NULL;
    }
    size_t len = (size_t)req.tp_block_size * req.tp_block_nr;
    uint8_t *ring = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED, fd, 0);
    if (ring == MAP_FAILED || bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
        x->err = errno;
        return NULL;
    }
    unsigned b = 0;
    double quiet_since = 0;
    for (;;) {
        struct tpacket_block_desc *bd = (void *)(ring + (size_t)b * req.tp_block_size);
        if (!(__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER)) {
            struct pollfd p = {.fd = fd, .events = POLLIN | POLLERR};
            if (poll(&p, 1, 100) > 0 || !quiet_over(x, &quiet_since))
                continue;
            break;
        }
        quiet_since = 0;
        struct tpacket3_hdr *h = (void *)((uint8_t *)bd + bd->hdr.bh1.offset_to_first_pkt);
        for (uint32_t i = 0; i < bd->hdr.bh1.num_pkts; i++) {
            const uint8_t *f = (const uint8_t *)h + h->tp_mac;
            if (h->tp_snaplen > 14 + 20 && f[14 + (f[14] & 15u) * 4] == ICMP_ECHOREPLY)
                x->got++;
            h = (void *)((uint8_t *)h + h->tp_next_offset);
        }
        __atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
        b = (b + 1) % req.tp_block_nr;
    }
    munmap(ring, len);
    close(fd);
    return NULL;
}

static void *run_rx(void *arg) {
    struct rx *x = arg;
    return strcmp(x->mode, "ring") == 0 ? run_rx_ring(x) : run_rx_raw(x);
}

static int parse_mac(const char *s, uint8_t *m) {
    unsigned v[6];
    if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
        return -1;
    for (int i = 0; i < 6; i++)
        m[i] = (uint8_t)v[i];
    return 0;
}

/* IFNAME's transmitted packets from /proc/net/dev; -1 if not found. */
static long long tx_packets(const char *ifname) {
    FILE *f = fopen("/proc/net/dev", "r");
    char line[512];
    long long v = -1;
    size_t n = strlen(ifname);
    while (f && fgets(line, sizeof(line), f)) {
        char *p = line;
        while (*p == ' ')
            p++;
        if (strncmp(p, ifname, n) != 0 || p[n] != ':')
            continue;
        long long c[16];
        if (sscanf(p + n + 1, "%lld %lld %lld %lld %lld %lld %lld %lld %lld %lld", &c[0], &c[1],
                   &c[2], &c[3], &c[4], &c[5], &c[6], &c[7], &c[8], &c[9]) == 10)
            v = c[9]; /* receive: 8 fields, then transmit bytes, packets */
    }
    if (f)
        fclose(f);
    return v;
}

static int watch(const char *ifname, double seconds) {
    long long first = tx_packets(ifname), last = first;
    if (first < 0) {
        fprintf(stderr, "pkt-sender: no %s in /proc/net/dev\n", ifname);
        return 1;
    }
    double t0 = now_s(), t_first = 0, t_last = 0;
    struct timespec gap = {.tv_nsec = 2000000};
    long long base = first;
    while (now_s() - t0 < seconds) {
        nanosleep(&gap, NULL);
        long long v = tx_packets(ifname);
        double t = now_s();
        if (v > last) {
            if (t_first == 0) {
                t_first = t;
                base = v; /* count from the first sample that saw traffic */
            }
            t_last = t;
            last = v;
        } else if (t_first != 0 && t - t_last > 0.3) {
            break;
        }
    }
    double span = t_last - t_first;
    printf("watched %lld packets in %.3f s: %.0f pps\n", last - first, span,
           span > 0 ? (double)(last - base) / span : 0.0);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 4 && !strcmp(argv[1], "--watch"))
        return watch(argv[2], atof(argv[3]));
    if (argc < 5) {
        fprintf(stderr, "usage: pkt-sender IFNAME DST-MAC SRC-IPV4 COUNT [THREADS [BATCH [PAYLOAD]]]\n");
        return 2;
    }
    struct job base = {.batch = 64, .payload = 56, .mask = 0x1ffff};
    /* PKT_SPAN=N (a power of two, 256..131072): only the first N addresses
     * of the /15, in turn (65536: the lab's 198.18.0.0/16, bench part B). */
    const char *span = getenv("PKT_SPAN");
    if (span) {
        unsigned long n = strtoul(span, NULL, 10);
        if (n < 256 || n > 0x20000 || (n & (n - 1))) {
            fprintf(stderr, "pkt-sender: PKT_SPAN must be a power of two, 256-131072\n");
            return 2;
        }
        base.mask = (uint32_t)n - 1;
    }
    unsigned threads = argc > 5 ? (unsigned)atoi(argv[5]) : 1;
    if (argc > 6)
        base.batch = (unsigned)atoi(argv[6]);
    if (argc > 7)
        base.payload = (size_t)atoi(argv[7]);
    base.ifindex = (int)if_nametoindex(argv[1]);
    uint64_t count = strtoull(argv[4], NULL, 10);
    struct in_addr src;
    if (!base.ifindex || parse_mac(argv[2], base.dmac) < 0 || inet_pton(AF_INET, argv[3], &src) != 1 ||
        threads < 1 || threads > 8 || base.batch < 1 || base.batch > MAXB || base.payload > 1400 ||
        count == 0 || count > 100000000) {
        fprintf(stderr, "pkt-sender: bad arguments\n");
        return 2;
    }
    base.src = src.s_addr;
    /* Our MAC: any value will do for a sink that drops at ingress, but
     * use the device's so the frames are what a real sender makes. */
    char path[128];
    snprintf(path, sizeof(path), "/sys/class/net/%s/address", argv[1]);
    FILE *f = fopen(path, "r");
    char line[64];
    if (f && fgets(line, sizeof(line), f))
        (void)parse_mac(line, base.smac);
    if (f)
        fclose(f);
    struct job j[8];
    pthread_t th[8], rxth;
    struct rx rx = {.mode = getenv("PKT_RECV"), .ifindex = base.ifindex};
    if (rx.mode && strcmp(rx.mode, "raw") != 0 && strcmp(rx.mode, "ring") != 0) {
        fprintf(stderr, "pkt-sender: PKT_RECV must be raw or ring\n");
        return 2;
    }
    if (rx.mode) {
        pthread_create(&rxth, NULL, run_rx, &rx);
        struct timespec settle = {.tv_nsec = 50000000}; /* the socket is open */
        nanosleep(&settle, NULL);
    }
    double t0 = now_s();
    for (unsigned i = 0; i < threads; i++) {
        j[i] = base;
        j[i].first = count / threads * i;
        j[i].count = i + 1 == threads ? count - j[i].first : count / threads;
        pthread_create(&th[i], NULL, run, &j[i]);
    }
    uint64_t sent = 0;
    for (unsigned i = 0; i < threads; i++) {
        pthread_join(th[i], NULL);
        if (j[i].err) {
            fprintf(stderr, "pkt-sender: %s\n", strerror(j[i].err));
            return 1;
        }
        sent += j[i].sent;
    }
    double dt = now_s() - t0;
    printf("sent %llu in %.3f s: %.0f pps\n", (unsigned long long)sent, dt, (double)sent / dt);
    if (rx.mode) {
        rx.senders_done = 1;
        pthread_join(rxth, NULL);
        if (rx.err) {
            fprintf(stderr, "pkt-sender: receiver: %s\n", strerror(rx.err));
            return 1;
        }
        printf("received %llu echo replies (%s)\n", (unsigned long long)rx.got, rx.mode);
    }
    return 0;
}
