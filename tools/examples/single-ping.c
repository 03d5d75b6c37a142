/* single-ping.c - C twin of icmplib's README example "single ping" built on
 * the socket layer: send one Echo Request, wait for its reply, print the
 * round-trip time or the error.  Usage: single-ping ADDRESS */
#include <stdio.h>
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
    struct icr_request req = ICR_REQUEST_INIT;
    struct icr_reply reply = ICR_REPLY_INIT;
    icr_socket *sock = NULL;
    int r;

    if (argc != 2 || icr_addr_parse(argv[1], &req.destination) < 0) {
        fprintf(stderr, "usage: single-ping ADDRESS\n");
        return 3;
    }
    so.family = req.destination.family;
    if ((r = icr_socket_open(&so, &sock)) < 0)
        goto fail;

    req.id = (uint16_t)getpid();
    req.sequence = 1;
    if ((r = icr_socket_send(sock, &req)) < 0 ||
        (r = icr_socket_receive(sock, &req, 2, &reply)) < 0 ||
        (r = icr_reply_raise_for_status(&reply)) < 0)
        goto fail;

    printf("%.3f ms\n", (double)(reply.time_ns - req.time_ns) / 1e6);
    icr_socket_free(sock);
    return 0;

fail:
    /* Like icmplib's `except ICMPError as err: print(err)`. */
    if (icr_error_is(r, ICR_EICMP))
        printf("%s\n", icmp_text(&reply));
    else
        printf("%s\n", icr_strerror(r));
    icr_socket_free(sock);
    return 1;
}
