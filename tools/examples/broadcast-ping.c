/* broadcast-ping.c - C twin of icmplib's README example "broadcast ping":
 * enable broadcast on an IPv4 socket, send to a broadcast address and
 * print every reply until the timeout.
 * Usage: broadcast-ping BROADCAST-ADDRESS [COUNT [TIMEOUT]] */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "icmpring.h"

/* icmplib's message for an ICMP error: the library's sentence where it has
 * one, else icmplib's generic "Error type: T, code: C". */
static const char *icmp_text(const struct icr_reply *reply) {
    static char buf[48];
    const char *msg = icr_icmp_message(reply->family, reply->type, reply->code);
    if (msg)
        return msg;
    (void)snprintf(buf, sizeof(buf), "Error type: %d, code: %d", reply->type, reply->code);
    return buf;
}

int main(int argc, char **argv) {
    struct icr_socket_opts so = ICR_SOCKET_OPTS_INIT;
    struct icr_addr dest;
    icr_socket *sock = NULL;
    char from[ICR_ADDRSTRLEN];
    int count = argc > 2 ? atoi(argv[2]) : 2;
    double timeout = argc > 3 ? atof(argv[3]) : 1;
    int r;

    if (argc < 2 || icr_addr_parse(argv[1], &dest) < 0 || dest.family != AF_INET || count < 1) {
        fprintf(stderr, "usage: broadcast-ping BROADCAST-ADDRESS [COUNT [TIMEOUT]]\n");
        return 3;
    }
    if ((r = icr_socket_open(&so, &sock)) < 0 || (r = icr_socket_set_broadcast(sock, true)) < 0) {
        printf("%s\n", icr_strerror(r));
        icr_socket_free(sock);
        return 4;
    }
    for (int seq = 0; seq < count; seq++) {
        struct icr_request req = ICR_REQUEST_INIT;
        req.destination = dest;
        req.id = (uint16_t)getpid();
        req.sequence = (uint16_t)seq;
        if ((r = icr_socket_send(sock, &req)) < 0) {
            printf("%s\n", icr_strerror(r));
            break;
        }
        /* Every host of the segment may answer: collect until the timeout. */
        for (;;) {
            struct icr_reply reply = ICR_REPLY_INIT;
            r = icr_socket_receive(sock, &req, timeout, &reply);
            if (r < 0)
                break;
            icr_addr_format(&reply.source, from, sizeof(from));
            if (icr_reply_raise_for_status(&reply) == 0)
                printf("%zu bytes from %s: icmp_seq=%d time=%.3f ms\n", reply.bytes_received, from,
                       seq, (double)(reply.time_ns - req.time_ns) / 1e6);
            else
                printf("From %s: %s\n", from, icmp_text(&reply));
        }
    }
    icr_socket_free(sock);
    return 0;
}
