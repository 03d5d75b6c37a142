/* fuzz-addr.c - the address parser and formatter (icr_addr_parse with
 * zones, icr_addr_format, the icr_is_* checks) on any string: whatever
 * parses must format, into any buffer size without writing past it, and
 * parse back to the same address; and survive a sockaddr round trip.  A
 * named zone asks the kernel for an interface index (if_nametoindex: an
 * ioctl, no packet). */
#include <stdlib.h>
#include <sys/socket.h>

#include "fuzz.h"
#include "icmpring.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    struct fuzz_in in = {data, size};
    size_t small = fuzz_u8(&in) % (ICR_ADDRSTRLEN + 1);
    char *s = malloc(in.n + 1);
    if (!s)
        return 0;
    memcpy(s, in.p, in.n);
    s[in.n] = '\0';
    (void)icr_is_ipv4_address(s);
    (void)icr_is_ipv6_address(s);
    (void)icr_is_hostname(s);

    struct icr_addr a, b;
    if (icr_addr_parse(s, &a) == 0) {
        char buf[ICR_ADDRSTRLEN];
        if (!icr_addr_format(&a, buf, sizeof(buf)) || strlen(buf) >= sizeof(buf))
            abort();
        if (icr_addr_parse(buf, &b) != 0 || !icr_addr_equal(&a, &b))
            abort(); /* the round trip */
        /* A buffer of any size: exactly that much heap, so ASan sees more. */
        char *tiny = malloc(small ? small : 1);
        if (tiny) {
            char *r = icr_addr_format(&a, tiny, small);
            if (r && (strlen(r) >= small || strcmp(r, buf) != 0))
                abort();
            free(tiny);
        }
        struct sockaddr_storage ss;
        int len = icr_addr_to_sockaddr(&a, &ss);
        if (len < 0 || icr_addr_from_sockaddr((struct sockaddr *)&ss, (socklen_t)len, &b) != 0 ||
            !icr_addr_equal(&a, &b))
            abort();
    }
    free(s);
    return 0;
}
