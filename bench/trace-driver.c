/* trace-driver.c - a tiny benchmark driver for the traceroute job.
 *
 * Many destinations: reads literal addresses or prefixes (one a line) from
 * FILE into an icr_targets set, runs one icr_trace_new/run over them and
 * writes every finished route to OUT (-o, default stdout), one line each:
 *
 *   DESTINATION DIST:RESPONDER DIST:RESPONDER ...
 *
 * (answered hops only, by distance; no hop at all gives the bare address).
 * One destination (-1 ADDRESS): calls icmplib's traceroute() twin,
 * icr_traceroute(), and writes its hops in the same form.
 * The summary goes to stderr as key=value pairs:
 *
 *   dests=N reached=R elapsed_s=T maxrss_kb=K
 *
 * elapsed_s covers new + run (or the whole icr_traceroute call).
 *
 * usage: trace-driver [-c COUNT] [-i INTERVAL] [-W TIMEOUT] [-m MAX_HOPS]
 *                     [-F(ast)] [-s SEED] [-o OUT] (FILE | -1 ADDRESS)
 * Defaults are icmplib's: count 2, interval 0.05, timeout 2, max_hops 30.
 * Benchmark tool, not a test: run it only inside a lab namespace
 * (bench/trace-bench.sh does).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "icmpring.h"

struct tally {
    FILE *out;
    uint64_t dests, reached;
};

static void print_route(FILE *out, const struct icr_addr *target, const struct icr_hop *hops,
                        size_t n) {
    char buf[ICR_ADDRSTRLEN];
    fputs(icr_addr_format(target, buf, sizeof(buf)) ? buf : "?", out);
    for (size_t i = 0; i < n; i++)
        fprintf(out, " %d:%s", hops[i].distance,
                icr_addr_format(&hops[i].host.address, buf, sizeof(buf)) ? buf : "?");
    fputc('\n', out);
}

static void on_trace(const struct icr_trace_result *r, void *userdata) {
    struct tally *t = userdata;
    t->dests++;
    if (r->reached)
        t->reached++;
    print_route(t->out, &r->target, r->hops, r->nhops);
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
    fprintf(stderr, "usage: trace-driver [-c COUNT] [-i INTERVAL] [-W TIMEOUT] [-m MAX_HOPS] "
                    "[-F] [-s SEED] [-o OUT] (FILE | -1 ADDRESS)\n");
    exit(2);
}

static int fail(const char *what, int r) {
    fprintf(stderr, "trace-driver: %s: %s (%s)\n", what, icr_error_name(r), icr_strerror(r));
    return 1;
}

int main(int argc, char **argv) {
    struct icr_trace_opts o = ICR_TRACE_OPTS_INIT;
    const char *one = NULL, *out_path = NULL;
    struct tally t = {.out = stdout};
    int opt, r;

    while ((opt = getopt(argc, argv, "c:i:W:m:Fs:o:1:")) != -1) {
        switch (opt) {
        case 'c': o.count = (uint32_t)strtoul(optarg, NULL, 10); break;
        case 'i': o.interval = strtod(optarg, NULL); break;
        case 'W': o.timeout = strtod(optarg, NULL); break;
        case 'm': o.max_hops = atoi(optarg); break;
        case 'F': o.fast = true; break;
        case 's': o.seed = strtoull(optarg, NULL, 10); break;
        case 'o': out_path = optarg; break;
        case '1': one = optarg; break;
        default: usage();
        }
    }
    if (out_path && !(t.out = fopen(out_path, "w"))) {
        perror(out_path);
        return 1;
    }
    if (one) {
        struct icr_hop *hops = NULL;
        size_t n = 0;
        struct icr_addr a;
        if (optind != argc)
            usage();
        double t0 = now_s();
        r = icr_traceroute(one, &o, &hops, &n);
        double t1 = now_s();
        if (r < 0)
            return fail("icr_traceroute", r);
        if (icr_addr_parse(one, &a) == 0)
            print_route(t.out, &a, hops, n);
        fprintf(stderr, "dests=1 reached=%d elapsed_s=%.4f maxrss_kb=%ld\n",
                n > 0 && icr_addr_parse(one, &a) == 0 && icr_addr_equal(&hops[n - 1].host.address, &a),
                t1 - t0, maxrss_kb());
        icr_hops_free(hops, n);
        if (t.out != stdout)
            fclose(t.out);
        return 0;
    }

    if (optind + 1 != argc)
        usage();
    icr_targets *targets = NULL;
    if ((r = icr_targets_new(&targets)) < 0)
        return fail("icr_targets_new", r);
    FILE *f = fopen(argv[optind], "r");
    if (!f) {
        perror(argv[optind]);
        return 1;
    }
    char line[256];
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, " \t\r\n")] = 0;
        if (!line[0] || line[0] == '#')
            continue;
        if ((r = icr_targets_add(targets, line, 0)) < 0) {
            fprintf(stderr, "trace-driver: %s: ", line);
            return fail("icr_targets_add", r);
        }
    }
    fclose(f);
    uint64_t n = icr_targets_count(targets);
    if (n == 0) {
        fprintf(stderr, "trace-driver: no targets\n");
        return 1;
    }

    o.on_trace = on_trace;
    o.userdata = &t;
    icr_trace *tr = NULL;
    double t0 = now_s();
    if ((r = icr_trace_new(targets, &o, &tr)) < 0)
        return fail("icr_trace_new", r);
    r = icr_trace_run(tr);
    double t1 = now_s();
    if (r < 0 && r != ICR_ESTOPPED)
        return fail("icr_trace_run", r);
    fprintf(stderr, "dests=%llu reached=%llu elapsed_s=%.4f maxrss_kb=%ld\n",
            (unsigned long long)t.dests, (unsigned long long)t.reached, t1 - t0, maxrss_kb());
    icr_trace_free(tr);
    icr_targets_free(targets);
    if (t.out != stdout)
        fclose(t.out);
    return (uint64_t)t.dests == n ? 0 : 3;
}
