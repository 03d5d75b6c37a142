/* soak-driver.c - runs the three library jobs back to back in one process
 * until a deadline, checking every result, so that bench/soak.sh can watch
 * the process's RSS and descriptors for leaks.
 *
 * One iteration:
 *   1. a sweep of SWEEP_NET (default 198.18.0.0/20: 4,094 targets), every
 *      target must answer (stats.hits == targets);
 *   2. a multiping of NHOSTS (default 1,000) consecutive addresses from
 *      MP_BASE (default 198.18.16.1), count 3: every host alive with 3 of 3;
 *   3. a traceroute of TRACE_NET (default 198.19.0.0/26: 62 destinations):
 *      every route reached and complete, HOPS hops long when -H is given.
 * A failed check counts one failure and the loop goes on; an error from
 * new/run counts one failure too.  Each iteration also builds and frees its
 * own target sets, so every allocation path of a job is walked each time.
 *
 * Sampling protocol (for soak.sh): SIGUSR1 and SIGUSR2 are blocked in every
 * thread.  Between iterations, a pending SIGUSR1 makes the driver print
 * "pause N" on stdout (flushed: N is the iteration count) and wait up to
 * 60 s for SIGUSR2, so that /proc/PID/status and /proc/PID/fd are read
 * while no job exists: the descriptor count is then phase-independent.
 *
 * Every iteration prints one line on stdout:
 *   iter=N sweep_hits=H/T mp_alive=A/N trace_ok=R/D fail=F t=SECONDS
 * and the end prints "iterations=N failures=F"; exit status 1 if F > 0.
 *
 * usage: soak-driver -d SECONDS [-H HOPS] [-r SWEEP_RATE] [-n NHOSTS]
 *                    [-s SWEEP_NET] [-b MP_BASE] [-t TRACE_NET]
 * Bench tool: it sends packets, so run it only inside a lab namespace
 * (bench/soak.sh does).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "icmpring.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(void) {
    fprintf(stderr, "usage: soak-driver -d SECONDS [-H HOPS] [-r SWEEP_RATE] [-n NHOSTS] "
                    "[-s SWEEP_NET] [-b MP_BASE] [-t TRACE_NET]\n");
    exit(2);
}

static void report(const char *what, int r) {
    fprintf(stderr, "soak-driver: %s: %s (%s)\n", what, icr_error_name(r), icr_strerror(r));
}

/* BASE + k, as a big-endian increment. */
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

/* ---- sweep ---------------------------------------------------------------- */

static int do_sweep(const char *net, uint64_t rate, uint64_t *hits, uint64_t *targets) {
    icr_targets *t = NULL;
    icr_sweep *s = NULL;
    struct icr_sweep_opts o = ICR_SWEEP_OPTS_INIT;
    struct icr_sweep_stats st = {.size = sizeof(st)};
    int r;

    *hits = *targets = 0;
    if ((r = icr_targets_new(&t)) < 0 || (r = icr_targets_add(t, net, 0)) < 0) {
        report("sweep targets", r);
        icr_targets_free(t);
        return -1;
    }
    o.rate = rate;
    o.cooldown = 1.0;
    if ((r = icr_sweep_new(t, &o, &s)) < 0) {
        report("icr_sweep_new", r);
        icr_targets_free(t);
        return -1;
    }
    r = icr_sweep_run(s);
    if (r < 0)
        report("icr_sweep_run", r);
    else if ((r = icr_sweep_get_stats(s, &st)) < 0)
        report("icr_sweep_get_stats", r);
    *hits = st.hits;
    *targets = st.targets;
    icr_sweep_free(s);
    icr_targets_free(t);
    if (r < 0)
        return -1;
    return st.targets > 0 && st.hits == st.targets ? 0 : -1;
}

/* ---- multiping ------------------------------------------------------------ */

struct mp_tally {
    size_t finished, alive_full;
};

static void mp_on_host(size_t index, const struct icr_host *h, void *userdata) {
    struct mp_tally *t = userdata;
    (void)index;
    t->finished++;
    if (h->is_alive && h->packets_sent == 3 && h->packets_received == 3)
        t->alive_full++;
}

static int do_multiping(const char *base, size_t n, size_t *alive) {
    struct icr_multiping_opts o = ICR_MULTIPING_OPTS_INIT;
    struct mp_tally t = {0};
    icr_multiping_job *m = NULL;
    struct icr_addr b;
    struct icr_addr *addrs;
    int r;

    *alive = 0;
    if (icr_addr_parse(base, &b) < 0 || !(addrs = calloc(n, sizeof(*addrs)))) {
        fprintf(stderr, "soak-driver: multiping: bad base %s or no memory\n", base);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        addrs[i] = b;
        add_offset(&addrs[i], i);
    }
    o.count = 3;
    o.interval = 0.2;
    o.timeout = 1.0;
    o.on_host = mp_on_host;
    o.userdata = &t;
    r = icr_multiping_new(addrs, n, &o, &m);
    free(addrs); /* copied by the job */
    if (r < 0) {
        report("icr_multiping_new", r);
        return -1;
    }
    r = icr_multiping_run(m);
    if (r < 0)
        report("icr_multiping_run", r);
    icr_multiping_free(m);
    *alive = t.alive_full;
    if (r < 0)
        return -1;
    return t.finished == n && t.alive_full == n ? 0 : -1;
}

/* ---- traceroute ----------------------------------------------------------- */

struct tr_tally {
    uint64_t dests, ok;
    int hops;
};

static void tr_on_trace(const struct icr_trace_result *res, void *userdata) {
    struct tr_tally *t = userdata;
    t->dests++;
    if (!res->reached || !res->complete || res->nhops == 0)
        return;
    if (t->hops > 0 &&
        (res->nhops != (size_t)t->hops || res->hops[res->nhops - 1].distance != t->hops))
        return;
    t->ok++;
}

static int do_trace(const char *net, int hops, uint64_t *ok, uint64_t *dests) {
    icr_targets *tg = NULL;
    icr_trace *tr = NULL;
    struct icr_trace_opts o = ICR_TRACE_OPTS_INIT;
    struct tr_tally t = {.hops = hops};
    uint64_t want;
    int r;

    *ok = *dests = 0;
    if ((r = icr_targets_new(&tg)) < 0 || (r = icr_targets_add(tg, net, 0)) < 0) {
        report("trace targets", r);
        icr_targets_free(tg);
        return -1;
    }
    want = icr_targets_count(tg);
    o.count = 1;
    o.timeout = 1.0;
    o.max_hops = hops > 0 ? hops + 2 : 16;
    o.on_trace = tr_on_trace;
    o.userdata = &t;
    if ((r = icr_trace_new(tg, &o, &tr)) < 0) {
        report("icr_trace_new", r);
        icr_targets_free(tg);
        return -1;
    }
    r = icr_trace_run(tr);
    if (r < 0)
        report("icr_trace_run", r);
    icr_trace_free(tr);
    icr_targets_free(tg);
    *ok = t.ok;
    *dests = t.dests;
    if (r < 0)
        return -1;
    return t.dests == want && t.ok == want ? 0 : -1;
}

/* ---- main ----------------------------------------------------------------- */

/* Between iterations: serve a pending SIGUSR1 (see the top comment). */
static void maybe_pause(const sigset_t *usr1, const sigset_t *usr2, unsigned long iter) {
    struct timespec zero = {0, 0}, minute = {60, 0};
    if (sigtimedwait(usr1, NULL, &zero) != SIGUSR1)
        return;
    printf("pause %lu\n", iter);
    fflush(stdout);
    for (;;) {
        int sig = sigtimedwait(usr2, NULL, &minute);
        if (sig == SIGUSR2)
            return;
        if (sig < 0 && errno == EINTR)
            continue;
        fprintf(stderr, "soak-driver: no SIGUSR2 within 60 s (%s), going on\n",
                sig < 0 ? strerror(errno) : "other signal");
        return;
    }
}

int main(int argc, char **argv) {
    const char *sweep_net = "198.18.0.0/20", *mp_base = "198.18.16.1",
               *trace_net = "198.19.0.0/26";
    double duration = -1;
    uint64_t rate = 10000;
    size_t nhosts = 1000;
    int hops = 0, opt;
    unsigned long iter = 0, failures = 0;
    sigset_t both, usr1, usr2;

    while ((opt = getopt(argc, argv, "d:H:r:n:s:b:t:")) != -1) {
        switch (opt) {
        case 'd': duration = strtod(optarg, NULL); break;
        case 'H': hops = atoi(optarg); break;
        case 'r': rate = strtoull(optarg, NULL, 10); break;
        case 'n': nhosts = (size_t)strtoull(optarg, NULL, 10); break;
        case 's': sweep_net = optarg; break;
        case 'b': mp_base = optarg; break;
        case 't': trace_net = optarg; break;
        default: usage();
        }
    }
    if (optind != argc || duration <= 0 || duration > 86400 || hops < 0 || hops > 250 ||
        nhosts == 0 || nhosts > 1000000)
        usage();

    /* Blocked before any job makes threads, so that every thread inherits it. */
    sigemptyset(&both);
    sigaddset(&both, SIGUSR1);
    sigaddset(&both, SIGUSR2);
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    if (sigprocmask(SIG_BLOCK, &both, NULL) < 0) {
        perror("sigprocmask");
        return 1;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);

    double t0 = now_s(), deadline = t0 + duration;
    while (now_s() < deadline) {
        uint64_t hits, targets, tok, tdests;
        size_t alive;
        maybe_pause(&usr1, &usr2, iter);
        iter++;
        if (do_sweep(sweep_net, rate, &hits, &targets) < 0)
            failures++;
        if (do_multiping(mp_base, nhosts, &alive) < 0)
            failures++;
        if (do_trace(trace_net, hops, &tok, &tdests) < 0)
            failures++;
        printf("iter=%lu sweep_hits=%llu/%llu mp_alive=%zu/%zu trace_ok=%llu/%llu fail=%lu "
               "t=%.1f\n",
               iter, (unsigned long long)hits, (unsigned long long)targets, alive, nhosts,
               (unsigned long long)tok, (unsigned long long)tdests, failures, now_s() - t0);
    }
    maybe_pause(&usr1, &usr2, iter);
    printf("iterations=%lu failures=%lu\n", iter, failures);
    return failures ? 1 : 0;
}
