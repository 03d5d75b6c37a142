/* multiping.c - C twin of icmplib's README example for multiping() (its
 * README lists other addresses; this twin only ever probes the lab's):
 *
 *     hosts = multiping(['198.18.0.7', '198.19.0.1', '2001:db8:1::7'])
 *     for host in hosts:
 *         if host.is_alive:
 *             print(f'{host.address} is up!')
 *         else:
 *             print(f'{host.address} is down!')
 *
 * Usage: multiping-example [ADDRESS...]
 * (default 198.18.0.7 198.19.0.1 2001:db8:1::7).  Exits 0, or 2 on an error. */
#include <stdio.h>

#include "icmpring.h"

int main(int argc, char **argv) {
    static const char *const defaults[] = {"198.18.0.7", "198.19.0.1", "2001:db8:1::7"};
    const char *const *addresses = argc > 1 ? (const char *const *)(argv + 1) : defaults;
    size_t n = argc > 1 ? (size_t)(argc - 1) : sizeof(defaults) / sizeof(defaults[0]);
    struct icr_host *hosts = NULL;
    char addr[ICR_ADDRSTRLEN];
    int r;

    if ((r = icr_multiping(addresses, n, NULL, &hosts)) < 0) {
        printf("%s\n", icr_strerror(r));
        return 2;
    }
    for (size_t i = 0; i < n; i++) {
        /* See struct icr_host for details */
        printf("%s is %s!\n", icr_addr_format(&hosts[i].address, addr, sizeof(addr)),
               hosts[i].is_alive ? "up" : "down");
    }
    icr_hosts_free(hosts, n);
    return 0;
}
