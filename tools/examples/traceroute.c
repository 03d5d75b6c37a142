/* traceroute.c - C twin of icmplib's README example for traceroute() (its
 * README traces a public address; this twin only ever probes the lab's):
 *
 *     hops = traceroute('198.19.0.1')
 *     print('Distance/TTL    Address    Average round-trip time')
 *     last_distance = 0
 *     for hop in hops:
 *         if last_distance + 1 != hop.distance:
 *             print('Some gateways are not responding')
 *         print(f'{hop.distance}    {hop.address}    {hop.avg_rtt} ms')
 *         last_distance = hop.distance
 *
 * laid out as the README shows its output.  Usage:
 * traceroute-example [ADDRESS [FIRST_HOP]]  (default 198.19.0.1, 1).
 * Exits 0, or 2 on an error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "icmpring.h"

/* Python's str(float) (see ping.c). */
static const char *py_float(double x, char *buf, size_t len) {
    char e[40], digits[24];
    int p = 1, exp10, nd = 0;
    for (; p < 17; p++) {
        snprintf(e, sizeof(e), "%.*e", p - 1, x);
        if (strtod(e, NULL) == x)
            break;
    }
    snprintf(e, sizeof(e), "%.*e", p - 1, x);
    const char *s = e;
    bool neg = *s == '-';
    if (neg)
        s++;
    for (; *s && *s != 'e'; s++)
        if (*s != '.')
            digits[nd++] = *s;
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    digits[nd] = '\0';
    exp10 = atoi(s + 1);
    int w;
    if (exp10 < -4 || exp10 >= 16)
        w = snprintf(buf, len, "%s%c%s%se%c%02d", neg ? "-" : "", digits[0], nd > 1 ? "." : "",
                     digits + 1, exp10 < 0 ? '-' : '+', abs(exp10));
    else if (exp10 < 0)
        w = snprintf(buf, len, "%s0.%.*s%s", neg ? "-" : "", -exp10 - 1, "0000", digits);
    else if (nd <= exp10 + 1)
        w = snprintf(buf, len, "%s%s%.*s.0", neg ? "-" : "", digits, exp10 + 1 - nd,
                     "0000000000000000");
    else
        w = snprintf(buf, len, "%s%.*s.%s", neg ? "-" : "", exp10 + 1, digits,
                     digits + exp10 + 1);
    if (w < 0 || (size_t)w >= len)
        snprintf(buf, len, "%g", x);
    return buf;
}

int main(int argc, char **argv) {
    struct icr_trace_opts opts = ICR_TRACE_OPTS_INIT;
    const char *address = argc > 1 ? argv[1] : "198.19.0.1";
    struct icr_hop *hops = NULL;
    size_t n = 0;
    char addr[ICR_ADDRSTRLEN], rtt[32];
    int r, last_distance = 0;

    if (argc > 3 || (argc > 2 && (opts.first_hop = atoi(argv[2])) < 1)) {
        fprintf(stderr, "usage: traceroute-example [ADDRESS [FIRST_HOP]]\n");
        return 3;
    }
    if ((r = icr_traceroute(address, &opts, &hops, &n)) < 0) {
        printf("%s\n", icr_strerror(r));
        return 2;
    }

    printf("%-16s%-24s%s\n", "Distance/TTL", "Address", "Average round-trip time");
    for (size_t i = 0; i < n; i++) {
        if (last_distance + 1 != hops[i].distance)
            printf("%-16s%s\n", "*", "Some gateways are not responding");
        /* See struct icr_hop for details */
        printf("%-16d%-24s%s ms\n", hops[i].distance,
               icr_addr_format(&hops[i].host.address, addr, sizeof(addr)),
               py_float(hops[i].host.avg_rtt, rtt, sizeof(rtt)));
        last_distance = hops[i].distance;
    }
    icr_hops_free(hops, n);
    return 0;
}
