/* lab-forge.c - a hostile peer for the sweep's validation tests, run in the
 * lab's responder namespace (never elsewhere: it sends raw packets).
 *
 *   lab-forge forge DST COUNT SRC-PREFIX24...
 *       send COUNT Echo Replies to DST with random id, sequence and a
 *       payload that looks like icmpring's (magic included, MACs random),
 *       from random hosts of the given /24 prefixes (e.g. 198.18.7).
 *   lab-forge record FILE COUNT SECONDS
 *       store up to COUNT Echo Requests that arrive here within SECONDS;
 *       FILE.ready exists while it listens.
 *   lab-forge replay FILE DST
 *       answer each stored request again, now: a reply replayed from an
 *       earlier sweep.
 *   lab-forge quote8 FILE DST TYPE CODE SRC-PREFIX24
 *       answer each stored request with an ICMP error TYPE/CODE that quotes
 *       only its IP header and first 8 ICMP bytes (RFC 792's minimum), sent
 *       from SRC-PREFIX24.(100 + the request's TTL % 100), so a test can
 *       tell which hop each error names.
 * Every loop is bounded by its COUNT and by time.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ref-csum.h"

#define MAXPKT 1600


/* Send an IPv4 datagram carrying `icmp` from src to dst (IP_HDRINCL). */
static int send_raw(int fd, uint32_t src, uint32_t dst, const uint8_t *icmp, size_t len) {
    uint8_t pkt[20 + MAXPKT];
    if (len > MAXPKT)
        return -1;
    memset(pkt, 0, 20);
    pkt[0] = 0x45;
    pkt[2] = (uint8_t)((20 + len) >> 8);
    pkt[3] = (uint8_t)(20 + len);
    pkt[8] = 64;
    pkt[9] = IPPROTO_ICMP;
    memcpy(pkt + 12, &src, 4);
    memcpy(pkt + 16, &dst, 4);
    memcpy(pkt + 20, icmp, len);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    memcpy(&sa.sin_addr, &dst, 4);
    return (int)sendto(fd, pkt, 20 + len, 0, (struct sockaddr *)&sa, sizeof(sa));
}

static int forge(const char *dst_s, long count, int nprefix, char **prefixes) {
    int fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
    uint32_t dst;
    if (fd < 0 || inet_pton(AF_INET, dst_s, &dst) != 1 || count < 1 || count > 1000000)
        return 2;
    long sent = 0;
    for (long i = 0; i < count; i++) {
        uint8_t icmp[8 + 56], rnd[8 + 56 + 1];
        if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
            return 2;
        memcpy(icmp, rnd, sizeof(icmp));
        icmp[0] = 0; /* Echo Reply */
        icmp[1] = 0;
        /* icmpring's payload magic "ic2" at offset 29 (probe.h), so the
         * forgery gets as far as the MAC check. */
        memcpy(icmp + 8 + 29, "ic2", 3);
        icmp[2] = icmp[3] = 0;
        uint16_t c = ref_csum(icmp, sizeof(icmp));
        icmp[2] = (uint8_t)(c >> 8);
        icmp[3] = (uint8_t)c;
        char src_s[32];
        snprintf(src_s, sizeof(src_s), "%s.%u", prefixes[i % nprefix], 1 + rnd[sizeof(rnd) - 1] % 254);
        uint32_t src;
        if (inet_pton(AF_INET, src_s, &src) != 1)
            return 2;
        if (send_raw(fd, src, dst, icmp, sizeof(icmp)) > 0)
            sent++;
    }
    printf("forged %ld\n", sent);
    return sent == count ? 0 : 1;
}

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int record(const char *file, long count, double seconds) {
    int fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
    FILE *f = fopen(file, "wb");
    char ready[4096];
    if (fd < 0 || !f || count < 1)
        return 2;
    /* FILE.ready exists while we listen: the test starts its sweep only
     * then, and knows we are done when it is gone. */
    snprintf(ready, sizeof(ready), "%s.ready", file);
    FILE *rf = fopen(ready, "w");
    if (!rf)
        return 2;
    fclose(rf);
    int64_t end = now_ms() + (int64_t)(seconds * 1000);
    long got = 0;
    while (got < count) {
        int64_t left = end - now_ms();
        if (left <= 0)
            break;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, (int)left) <= 0)
            continue;
        uint8_t buf[20 + MAXPKT];
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        if (n < 28 || (buf[0] & 0x0f) != 5 || buf[20] != 8)
            continue; /* keep plain IPv4 Echo Requests only */
        uint16_t len = (uint16_t)n;
        fwrite(&len, sizeof(len), 1, f);
        fwrite(buf, 1, (size_t)n, f);
        got++;
    }
    fclose(f);
    unlink(ready);
    printf("recorded %ld\n", got);
    return got > 0 ? 0 : 1;
}

static int replay(const char *file, const char *dst_s) {
    int fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
    FILE *f = fopen(file, "rb");
    uint32_t dst;
    if (fd < 0 || !f || inet_pton(AF_INET, dst_s, &dst) != 1)
        return 2;
    long sent = 0;
    uint16_t len;
    uint8_t buf[20 + MAXPKT];
    while (fread(&len, sizeof(len), 1, f) == 1 && len <= sizeof(buf) &&
           fread(buf, 1, len, f) == len) {
        uint8_t *icmp = buf + 20;
        size_t ilen = len - 20u;
        uint32_t orig_dst;
        memcpy(&orig_dst, buf + 16, 4);
        icmp[0] = 0; /* the request turned into its reply */
        icmp[2] = icmp[3] = 0;
        uint16_t c = ref_csum(icmp, ilen);
        icmp[2] = (uint8_t)(c >> 8);
        icmp[3] = (uint8_t)c;
        if (send_raw(fd, orig_dst, dst, icmp, ilen) > 0)
            sent++;
    }
    fclose(f);
    printf("replayed %ld\n", sent);
    return sent > 0 ? 0 : 1;
}

static int quote8(const char *file, const char *dst_s, int type, int code, const char *prefix) {
    int fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
    FILE *f = fopen(file, "rb");
    uint32_t dst;
    if (fd < 0 || !f || inet_pton(AF_INET, dst_s, &dst) != 1)
        return 2;
    long sent = 0;
    uint16_t len;
    uint8_t buf[20 + MAXPKT];
    while (fread(&len, sizeof(len), 1, f) == 1 && len <= sizeof(buf) &&
           fread(buf, 1, len, f) == len) {
        if (len < 28)
            continue;
        uint8_t icmp[8 + 28] = {(uint8_t)type, (uint8_t)code};
        memcpy(icmp + 8, buf, 28); /* the IP header and 8 ICMP bytes */
        uint16_t c = ref_csum(icmp, sizeof(icmp));
        icmp[2] = (uint8_t)(c >> 8);
        icmp[3] = (uint8_t)c;
        char src_s[40];
        snprintf(src_s, sizeof(src_s), "%s.%u", prefix, 100 + buf[8] % 100u);
        uint32_t src;
        if (inet_pton(AF_INET, src_s, &src) != 1)
            return 2;
        if (send_raw(fd, src, dst, icmp, sizeof(icmp)) > 0)
            sent++;
    }
    fclose(f);
    printf("quoted %ld\n", sent);
    return sent > 0 ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc >= 5 && !strcmp(argv[1], "forge"))
        return forge(argv[2], atol(argv[3]), argc - 4, argv + 4);
    if (argc == 5 && !strcmp(argv[1], "record"))
        return record(argv[2], atol(argv[3]), atof(argv[4]));
    if (argc == 4 && !strcmp(argv[1], "replay"))
        return replay(argv[2], argv[3]);
    if (argc == 7 && !strcmp(argv[1], "quote8"))
        return quote8(argv[2], argv[3], atoi(argv[4]), atoi(argv[5]), argv[6]);
    fprintf(stderr, "usage: lab-forge forge DST COUNT PREFIX24... | record FILE COUNT SECONDS | "
                    "replay FILE DST | quote8 FILE DST TYPE CODE PREFIX24\n");
    return 2;
}
