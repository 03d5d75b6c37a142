/* mp-driver.c - a tiny benchmark driver for the multiping job.
 *
 * Reads literal addresses (one a line) from FILE, or makes N consecutive
 * addresses from BASE with -g, then runs one icr_multiping_new/run over them
 * and prints, on stdout, one line of key=value pairs:
 *
 *   hosts=N alive=A sent=S received=R errored=E elapsed_s=T run_s=T
 *   rss_input_kb=K maxrss_kb=K
 *
 * elapsed_s covers icr_multiping_new + run (sockets, ring, threads, the
 * probes and the timeout); run_s covers icr_multiping_run alone.
 * rss_input_kb is the peak RSS once the input array is built (before the
 * job exists), maxrss_kb the peak at the end (getrusage ru_maxrss), so the
 * job's own footprint is about maxrss_kb - rss_input_kb.
 * With -a FILE, the address of every alive host goes to FILE, one a line.
 *
 * usage: mp-driver [-c COUNT] [-i INTERVAL] [-W TIMEOUT] [-r RATE]
 *                  [-a ALIVE_FILE] (FILE | -g BASE N)
 * Benchmark tool, not a test: it sends packets, so run it only inside a lab
 * namespace (bench/multiping-bench.sh does).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "icmpring.h"

struct tally {
    size_t alive, errored;
    uint64_t sent, received;
    FILE *alive_out;
};

static void on_host(size_t index, const struct icr_host *h, void *userdata) {
    struct tally *t = userdata;
    (void)index;
    t->sent += h->packets_sent;
    t->received += h->packets_received;
    if (h->error)
        t->errored++;
    if (h->is_alive) {
        t->alive++;
        if (t->alive_out) {
            char buf[ICR_ADDRSTRLEN];
            if (icr_addr_format(&h->address, buf, sizeof(buf)))
                fprintf(t->alive_out, "%s\n", buf);
        }
    }
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long maxrss_kb(void) {
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : -1;
}

static void usage(void) {
    fprintf(stderr, "usage: mp-driver [-c COUNT] [-i INTERVAL] [-W TIMEOUT] [-r RATE] "
                    "[-a ALIVE_FILE] (FILE | -g BASE N)\n");
    exit(2);
}

/* BASE + k, as a 128-bit (or 32-bit) big-endian increment. */
static void add_offset(struct icr_addr *a, uint64_t k) {
    size_t len = a->family == AF_INET ? 4 : 16;
    uint8_t *b = a->family == AF_INET ? (uint8_t *)&a->v4 : a->v6.s6_addr;
    unsigned carry = 0;
    for (size_t i = len; i-- > 0;) {
        unsigned v = b[i] + (unsigned)(k & 0xff) + carry;
        b[i] = (uint8_t)v;
        carry = v >> 8;
        k >>= 8;
    }
}

int main(int argc, char **argv) {
    struct icr_multiping_opts o = ICR_MULTIPING_OPTS_INIT;
    const char *alive_path = NULL, *gen_base = NULL;
    unsigned long long gen_n = 0;
    struct tally t = {0};
    struct icr_addr *addrs = NULL;
    size_t n = 0, cap = 0;
    int opt;

    o.count = 3;
    while ((opt = getopt(argc, argv, "c:i:W:r:a:g:")) != -1) {
        switch (opt) {
        case 'c': o.count = (uint32_t)strtoul(optarg, NULL, 10); break;
        case 'i': o.interval = strtod(optarg, NULL); break;
        case 'W': o.timeout = strtod(optarg, NULL); break;
        case 'r': o.rate = strtoull(optarg, NULL, 10); break;
        case 'a': alive_path = optarg; break;
        case 'g': gen_base = optarg; break;
        default: usage();
        }
    }
    if (gen_base) {
        struct icr_addr base;
        if (optind + 1 != argc || icr_addr_parse(gen_base, &base) < 0)
            usage();
        gen_n = strtoull(argv[optind], NULL, 10);
        if (gen_n == 0 || gen_n > 100000000ULL)
            usage();
        if (!(addrs = calloc(gen_n, sizeof(*addrs)))) {
            perror("calloc");
            return 1;
        }
        for (n = 0; n < gen_n; n++) {
            addrs[n] = base;
            add_offset(&addrs[n], n);
        }
    } else {
        if (optind + 1 != argc)
            usage();
        FILE *f = fopen(argv[optind], "r");
        char line[256];
        if (!f) {
            perror(argv[optind]);
            return 1;
        }
        while (fgets(line, sizeof(line), f)) {
            line[strcspn(line, " \t\r\n")] = 0;
            if (!line[0] || line[0] == '#')
                continue;
            if (n == cap) {
                cap = cap ? cap * 2 : 1024;
                struct icr_addr *p = realloc(addrs, cap * sizeof(*addrs));
                if (!p) {
                    perror("realloc");
                    return 1;
                }
                addrs = p;
            }
            if (icr_addr_parse(line, &addrs[n]) < 0) {
                fprintf(stderr, "mp-driver: not an address: %s\n", line);
                return 1;
            }
            n++;
        }
        fclose(f);
        if (n == 0) {
            fprintf(stderr, "mp-driver: no addresses\n");
            return 1;
        }
    }
    if (alive_path && !(t.alive_out = fopen(alive_path, "w"))) {
        perror(alive_path);
        return 1;
    }
    long rss_input = maxrss_kb();

    o.on_host = on_host;
    o.userdata = &t;
    icr_multiping_job *m = NULL;
    double t0 = now_s();
    int r = icr_multiping_new(addrs, n, &o, &m);
    if (r < 0) {
        fprintf(stderr, "mp-driver: icr_multiping_new: %s (%s)\n", icr_error_name(r),
                icr_strerror(r));
        return 1;
    }
    double t1 = now_s();
    r = icr_multiping_run(m);
    double t2 = now_s();
    if (r < 0 && r != ICR_ESTOPPED) {
        fprintf(stderr, "mp-driver: icr_multiping_run: %s (%s)\n", icr_error_name(r),
                icr_strerror(r));
        return 1;
    }
    long rss_end = maxrss_kb();
    m = icr_multiping_free(m);
    if (t.alive_out)
        fclose(t.alive_out);
    printf("hosts=%zu alive=%zu sent=%llu received=%llu errored=%zu elapsed_s=%.3f run_s=%.3f "
           "rss_input_kb=%ld maxrss_kb=%ld\n",
           n, t.alive, (unsigned long long)t.sent, (unsigned long long)t.received, t.errored,
           t2 - t0, t2 - t1, rss_input, rss_end);
    free(addrs);
    return 0;
}
