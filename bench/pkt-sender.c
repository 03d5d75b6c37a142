/* pkt-sender.c - the bench's bare AF_PACKET sender: the ceiling for the
 * packet transport on this machine.  Builds IPv4 ICMP Echo Requests to
 * consecutive addresses of 198.18.0.0/15 in Ethernet frames (IP and ICMP
 * checksums computed per frame) and sends them with sendmmsg, `batch` per
 * call, on a SOCK_RAW packet socket with PACKET_QDISC_BYPASS, from
 * `threads` threads (each its own socket and share of the count).  Nothing
 * of the library: what the kernel allows, minus only this loop.
 *
 * usage: pkt-sender IFNAME DST-MAC SRC-IPV4 COUNT [THREADS [BATCH [PAYLOAD]]]
 * prints: "sent N in S s: P pps" (its own CLOCK_MONOTONIC).
 * Only 198.18.0.0/15 is ever addressed: run it only into a sink namespace
 * (bench/packet-bench.sh). */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXB 1024

struct job {
    int ifindex;
    uint8_t dmac[6], smac[6];
    uint32_t src;       /* network order */
    uint64_t first, count;
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

static void *run(void *arg) {
    struct job *j = arg;
    int fd = socket(AF_PACKET, SOCK_RAW, 0), one = 1, sz = 32 << 20;
    if (fd < 0 || setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) < 0) {
        j->err = errno;
        return NULL;
    }
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz));
    size_t flen = 14 + 20 + 8 + j->payload;
    static __thread uint8_t frames[MAXB][14 + 20 + 8 + 1400];
    struct iovec iov[MAXB];
    struct mmsghdr mm[MAXB];
    struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP),
                              .sll_ifindex = j->ifindex, .sll_halen = 6};
    memcpy(sll.sll_addr, j->dmac, 6);
    for (unsigned i = 0; i < j->batch; i++) {
        uint8_t *f = frames[i];
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
        iov[i] = (struct iovec){.iov_base = f, .iov_len = flen};
        mm[i] = (struct mmsghdr){.msg_hdr = {.msg_name = &sll, .msg_namelen = sizeof(sll),
                                             .msg_iov = &iov[i], .msg_iovlen = 1}};
    }
    uint64_t k = j->first, end = j->first + j->count;
    while (k < end) {
        unsigned n = end - k < j->batch ? (unsigned)(end - k) : j->batch;
        for (unsigned i = 0; i < n; i++, k++) {
            uint8_t *f = frames[i];
            uint32_t dst = htonl(0xc6120000u + (uint32_t)(k & 0x1ffff)); /* 198.18.0.0/15 */
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
            c = csum(f + 34, 8 + j->payload, 0);
            f[36] = (uint8_t)(c >> 8);
            f[37] = (uint8_t)c;
        }
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

static int parse_mac(const char *s, uint8_t *m) {
    unsigned v[6];
    if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
        return -1;
    for (int i = 0; i < 6; i++)
        m[i] = (uint8_t)v[i];
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: pkt-sender IFNAME DST-MAC SRC-IPV4 COUNT [THREADS [BATCH [PAYLOAD]]]\n");
        return 2;
    }
    struct job base = {.batch = 64, .payload = 56};
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
    pthread_t th[8];
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
    return 0;
}
