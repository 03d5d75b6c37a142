/* verbose-ping.c - C twin of icmplib's README example "verbose ping":
 * COUNT requests, one line per reply, timeout or ICMP error.
 * Usage: verbose-ping ADDRESS [COUNT [INTERVAL [TIMEOUT]]] */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
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

static void sleep_s(double s) {
    struct timespec ts = {.tv_sec = (time_t)s, .tv_nsec = (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

int main(int argc, char **argv) {
    struct icr_socket_opts so = ICR_SOCKET_OPTS_INIT;
    struct icr_addr dest;
    icr_socket *sock = NULL;
    char from[ICR_ADDRSTRLEN];
    int count = argc > 2 ? atoi(argv[2]) : 4;
    double interval = argc > 3 ? atof(argv[3]) : 1, timeout = argc > 4 ? atof(argv[4]) : 2;
    int r;

    if (argc < 2 || icr_addr_parse(argv[1], &dest) < 0 || count < 1) {
        fprintf(stderr, "usage: verbose-ping ADDRESS [COUNT [INTERVAL [TIMEOUT]]]\n");
        return 3;
    }
    so.family = dest.family;
    if ((r = icr_socket_open(&so, &sock)) < 0) {
        printf("%s\n", icr_strerror(r));
        return 4;
    }
    printf("PING %s: 56 data bytes\n\n", argv[1]);

    for (int seq = 0; seq < count; seq++) {
        struct icr_request req = ICR_REQUEST_INIT;
        struct icr_reply reply = ICR_REPLY_INIT;
        req.destination = dest;
        req.id = (uint16_t)getpid();
        req.sequence = (uint16_t)seq;

        if ((r = icr_socket_send(sock, &req)) == 0)
            r = icr_socket_receive(sock, &req, timeout, &reply);
        if (r == 0) {
            icr_addr_format(&reply.source, from, sizeof(from));
            printf("%zu bytes from %s: ", reply.bytes_received, from);
            r = icr_reply_raise_for_status(&reply);
            if (r == 0)
                printf("icmp_seq=%d time=%.3f ms\n", seq,
                       (double)(reply.time_ns - req.time_ns) / 1e6);
            else
                printf("%s\n", icmp_text(&reply));
        } else if (r == ICR_ETIMEOUT) {
            printf("Request timeout for icmp_seq %d\n", seq);
        } else {
            printf("An error has occurred: %s\n", icr_strerror(r));
        }
        if (seq < count - 1)
            sleep_s(interval);
    }
    printf("\nCompleted.\n");
    icr_socket_free(sock);
    return 0;
}
