/* fuzz-packet.c - the packet parsers (packet.h) on any bytes: raw IPv4
 * with its header (icr__parse_ipv4), bare ICMPv4 as a ping socket gives
 * it, ICMPv6 with and without the pseudo-header's addresses; each whole
 * and cut at a length the input picks, so an error's quote ends anywhere. */
#include <netinet/in.h>
#include <stdlib.h>

#include "fuzz.h"
#include "packet.h"

/* What every parse must leave true on OK: pointers inside the input. */
static void check(const uint8_t *buf, size_t len, const struct icr__icmp_msg *m) {
    const uint8_t *end = buf + len;
    if (m->icmp < buf || m->icmp + m->icmp_len > end)
        abort();
    if (m->is_echo && m->data && (m->data < buf || m->data + m->data_len > end))
        abort();
    if (m->is_error && m->quote_data && (m->quote_data < buf || m->quote_data + m->quote_data_len > end))
        abort();
}

static void parse_all(const uint8_t *buf, size_t len, const struct in6_addr *a,
                      const struct in6_addr *b) {
    struct icr__icmp_msg m;
    if (icr__parse_ipv4(buf, len, &m) == ICR__PARSE_OK)
        check(buf, len, &m);
    if (icr__parse_icmp(buf, len, AF_INET, NULL, NULL, &m) == ICR__PARSE_OK)
        check(buf, len, &m);
    if (icr__parse_icmp(buf, len, AF_INET6, NULL, NULL, &m) == ICR__PARSE_OK)
        check(buf, len, &m);
    if (icr__parse_icmp(buf, len, AF_INET6, a, b, &m) == ICR__PARSE_OK)
        check(buf, len, &m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    struct fuzz_in in = {data, size};
    size_t cut = fuzz_u16(&in);
    struct in6_addr a, b;
    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    a.s6_addr[15] = 1;
    b.s6_addr[15] = 2;
    /* Exact-size copies: a read past the datagram is an ASan report. */
    uint8_t *whole = malloc(in.n ? in.n : 1);
    if (!whole)
        return 0;
    if (in.n)
        memcpy(whole, in.p, in.n);
    parse_all(whole, in.n, &a, &b);
    if (cut < in.n) {
        uint8_t *part = malloc(cut ? cut : 1);
        if (part) {
            if (cut)
                memcpy(part, in.p, cut);
            parse_all(part, cut, &a, &b);
            free(part);
        }
    }
    free(whole);
    (void)icr__parse_strerror((int)(size % 9) - 1);
    return 0;
}
