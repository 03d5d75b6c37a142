/* fuzz-reply.c - the engine's reply path (icr__reply_decode, reply.h) on
 * any datagram: raw IPv4 with its header or the ICMP message of a datagram
 * or ICMPv6 socket, Echo Replies and errors quoting any part of a probe,
 * under any job settings, with a lookup for quotes without an index. */
#include <netinet/in.h>

#include "fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    struct fuzz_in in = {data, size};
    struct icr__verify_cfg v = fuzz_cfg(&in);
    int family = fuzz_u8(&in) & 1 ? AF_INET6 : AF_INET;
    struct sockaddr_storage name = {0};
    socklen_t namelen;
    if (family == AF_INET) {
        struct sockaddr_in *s = (struct sockaddr_in *)&name;
        s->sin_family = AF_INET;
        s->sin_addr.s_addr = htonl(0xc6120000u | fuzz_u16(&in));
        namelen = sizeof(*s);
    } else {
        struct sockaddr_in6 *s = (struct sockaddr_in6 *)&name;
        s->sin6_family = AF_INET6;
        s->sin6_addr.s6_addr[0] = 0x20;
        s->sin6_addr.s6_addr[1] = 0x01;
        s->sin6_addr.s6_addr[14] = fuzz_u8(&in);
        s->sin6_addr.s6_addr[15] = fuzz_u8(&in);
        namelen = sizeof(*s);
    }
    uint8_t *buf = malloc(in.n ? in.n : 1);
    if (!buf)
        return 0;
    if (in.n)
        memcpy(buf, in.p, in.n);
    struct icr_result res;
    struct icr__probe_info info;
    int verdict = icr__reply_decode(&v, family, buf, in.n, (struct sockaddr *)&name, namelen,
                                    64, &res, &info);
    fuzz_check_valid(&v, verdict, &info);
    free(buf);
    return 0;
}
