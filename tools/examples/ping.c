/* ping.c - C twin of icmplib's README example for ping() (its README pings
 * a public address; this twin only ever probes the lab's):
 *
 *     host = ping('198.18.0.7', count=10, interval=0.2)
 *     print(host)
 *
 * printed as icmplib's Host.__str__ does (Python's float formatting
 * included).  Usage: ping-example [ADDRESS]  (default 198.18.0.7).
 * Exits 0 when the host is alive, 1 when not, 2 on an error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "icmpring.h"

/* Python's str(float): the shortest digits that read back as x, in fixed
 * notation between 1e-4 and 1e16 ("12.21", "0.0", "100.0"), else
 * scientific ("1e-05"). */
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
    while (nd > 1 && digits[nd - 1] == '0') /* %.*e pads with zeros */
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
    const char *address = argc > 1 ? argv[1] : "198.18.0.7";
    struct icr_ping_opts opts = ICR_PING_OPTS_INIT;
    struct icr_host *host = NULL;
    char addr[ICR_ADDRSTRLEN], a[32], b[32], c[32];
    int r;

    if (argc > 2) {
        fprintf(stderr, "usage: ping-example [ADDRESS]\n");
        return 3;
    }
    opts.count = 10;
    opts.interval = 0.2;
    if ((r = icr_ping(address, &opts, &host)) < 0) {
        printf("%s\n", icr_strerror(r));
        return 2;
    }

    printf("  %s\n", icr_addr_format(&host->address, addr, sizeof(addr)));
    printf("------------------------------------------------------------\n");
    printf("  Packets sent:     %llu\n", (unsigned long long)host->packets_sent);
    printf("  Packets received: %llu\n", (unsigned long long)host->packets_received);
    printf("  Packet loss:      %s%%\n", py_float(host->packet_loss * 100, a, sizeof(a)));
    printf("  Round-trip times: %s ms / %s ms / %s ms\n", py_float(host->min_rtt, a, sizeof(a)),
           py_float(host->avg_rtt, b, sizeof(b)), py_float(host->max_rtt, c, sizeof(c)));
    printf("  Jitter:           %s ms\n", py_float(host->jitter, a, sizeof(a)));
    printf("------------------------------------------------------------\n");

    r = host->is_alive ? 0 : 1;
    icr_host_free(host);
    return r;
}
