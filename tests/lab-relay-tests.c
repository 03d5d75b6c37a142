/* lab-relay-tests.c - the engine's jobs (sweep, multiping, ping, traceroute)
 * against replies that tests/lab-relay.c delays, reorders, duplicates,
 * drops, corrupts and forges ('icmpring-lab relay'), checked against what
 * the relay's log says it delivered:
 *   - no host reported that the relay never delivered an intact reply of,
 *     none reported twice;
 *   - counts exact against the relay's deliveries;
 *   - RTTs within 1 ms of the relay's own (request read -> reply written),
 *     never below it, and above it by more only while the machine was
 *     measurably stalled (see "stalls");
 *   - replies held back and swapped still give RTTs in probe order;
 *   - a corrupted reply (every kind) is never reported.
 * Runs in the prober of an icmpring-lab lab; SKIPs (TAP "1..0 # SKIP")
 * when the relay or /dev/net/tun is missing. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "icmpring.h"
#include "lab-util.h"

/* ---- the relay's log -------------------------------------------------- */

enum { L_REQ, L_REP, L_BAD, L_DROP, L_FORGE };

struct entry {
    int what;
    struct icr_addr addr;
    unsigned id, seq;
    int64_t t, rtt;
    char kind[16];
};

struct rlog {
    struct entry *e;
    size_t n;
    uint64_t count_bad, count_forge, count_drop, count_reorder, count_dup, count_delivered;
};

static char log_path[] = "/tmp/icr-relay-log-XXXXXX";

static void relay_on(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void relay_on(const char *fmt, ...) {
    char opts[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(opts, sizeof(opts), fmt, ap);
    va_end(ap);
    lab("'%s' relay '%s' --log '%s' --seconds 60 %s on", getenv("ICR_LAB_BIN"),
        getenv("ICR_LAB"), log_path, opts);
}

static uint64_t count_of(const char *line, const char *name) {
    size_t n = strlen(name);
    if (strncmp(line, "count ", 6) || strncmp(line + 6, name, n) || line[6 + n] != ' ')
        return 0;
    return strtoull(line + 7 + n, NULL, 10);
}

/* Stop the relay (its log is then complete) and read the log. */
static void relay_off(struct rlog *L) {
    lab("'%s' relay '%s' off", getenv("ICR_LAB_BIN"), getenv("ICR_LAB"));
    *L = (struct rlog){0};
    FILE *f = fopen(log_path, "r");
    assert_non_null(f);
    char line[512];
    size_t cap = 0;
    bool ended = false;
    while (fgets(line, sizeof(line), f)) {
        char w[16], a[64], k[16] = "";
        unsigned id = 0, seq = 0;
        long long t = 0, rtt = -1;
        struct entry e = {0};
        if (!strncmp(line, "count ", 6)) {
            L->count_bad += count_of(line, "bad");
            L->count_forge += count_of(line, "forge");
            L->count_drop += count_of(line, "drop");
            L->count_reorder += count_of(line, "reorder");
            L->count_dup += count_of(line, "dup");
            L->count_delivered += count_of(line, "delivered");
            continue;
        }
        if (!strncmp(line, "# lab-relay end", 15))
            ended = true;
        if (sscanf(line, "%15s", w) != 1 || w[0] == '#')
            continue;
        if (!strcmp(w, "bad")) {
            if (sscanf(line, "bad %15s %63s %u %u %lld", k, a, &id, &seq, &t) != 5)
                fail_msg("bad log line: %s", line);
            e.what = L_BAD;
        } else if (!strcmp(w, "drop")) {
            if (sscanf(line, "drop %63s %u %u", a, &id, &seq) != 3)
                fail_msg("bad log line: %s", line);
            e.what = L_DROP;
        } else {
            if (sscanf(line, "%15s %63s %u %u %lld %lld", w, a, &id, &seq, &t, &rtt) < 5)
                fail_msg("bad log line: %s", line);
            e.what = !strcmp(w, "req") ? L_REQ : !strcmp(w, "rep") ? L_REP : L_FORGE;
        }
        if (icr_addr_parse(a, &e.addr) != 0)
            fail_msg("bad address in log: %s", line);
        e.id = id;
        e.seq = seq;
        e.t = t;
        e.rtt = rtt;
        snprintf(e.kind, sizeof(e.kind), "%s", k);
        if (L->n == cap) {
            cap = cap ? 2 * cap : 256;
            L->e = realloc(L->e, cap * sizeof(*L->e));
            assert_non_null(L->e);
        }
        L->e[L->n++] = e;
    }
    fclose(f);
    assert_true(ended);
}

static void rlog_free(struct rlog *L) {
    free(L->e);
    *L = (struct rlog){0};
}

/* The first intact delivery of (addr, seq), or NULL. */
static const struct entry *delivered(const struct rlog *L, const struct icr_addr *a,
                                     unsigned seq) {
    for (size_t i = 0; i < L->n; i++)
        if (L->e[i].what == L_REP && L->e[i].seq == seq && icr_addr_equal(&L->e[i].addr, a))
            return &L->e[i];
    return NULL;
}

/* Intact deliveries from a: distinct sequences (unique) and all (lines). */
static size_t delivered_from(const struct rlog *L, const struct icr_addr *a, size_t *lines) {
    size_t u = 0, all = 0;
    for (size_t i = 0; i < L->n; i++) {
        if (L->e[i].what != L_REP || !icr_addr_equal(&L->e[i].addr, a))
            continue;
        all++;
        if (delivered(L, a, L->e[i].seq) == &L->e[i])
            u++;
    }
    if (lines)
        *lines = all;
    return u;
}

static size_t count_what(const struct rlog *L, int what) {
    size_t k = 0;
    for (size_t i = 0; i < L->n; i++)
        k += L->e[i].what == what;
    return k;
}

/* ---- stalls ------------------------------------------------------------ */

/* On a shared 2-vCPU VM a packet can wait milliseconds for a CPU however
 * the relay and the prober are scheduled (seen: a reply 19 ms late, while
 * other labs flooded softirq work; a vCPU can also be preempted by the
 * host).  No RTT check can hold its 1 ms there, so the test measures those
 * stalls: one SCHED_FIFO 60 thread per CPU (above the relay's 50 and the
 * prober's 40) sleeps 250 us in a loop and records every wake-up more than
 * 200 us late as a stall [due, woken] (CLOCK_REALTIME, the library's clock;
 * 500 us left an RTT 1.018 ms above the relay's with 0.000 ms of stalls).
 * An RTT above the relay's by more than 1 ms passes only when stalls that
 * overlap its exchange add up to the excess; below the relay's it never
 * passes (the relay's times lie inside the prober's, see lab-relay.c). */
/* The goal is 1 ms.  Under ASan/UBSan (CI runs every suite once more in
 * such a build) the library's own path from stamping a probe to handing it
 * to the kernel is several times slower: seen 1.28 ms over with no stall,
 * in 1 of 12 sanitizer runs, never in a plain build. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define RTT_SLACK_MS 3.0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define RTT_SLACK_MS 3.0
#endif
#endif
#ifndef RTT_SLACK_MS
#define RTT_SLACK_MS 1.0
#endif
#define STALL_CPUS 2
#define STALL_MAX 65536
#define STALL_TICK_NS 250000
#define STALL_LATE_NS 200000

struct stall {
    int64_t from, to;
};

static struct stall stalls[STALL_CPUS][STALL_MAX];
static atomic_size_t nstalls[STALL_CPUS];
static atomic_bool stall_stop;
static pthread_t stall_thr[STALL_CPUS];
static int stall_running;

static void *stall_main(void *arg) {
    int cpu = (int)(intptr_t)arg;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    (void)pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
    struct sched_param sp = {.sched_priority = 60};
    (void)pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
    int64_t prev = real_ns();
    while (!atomic_load(&stall_stop)) {
        struct timespec ts = {.tv_sec = 0, .tv_nsec = STALL_TICK_NS};
        nanosleep(&ts, NULL);
        int64_t now = real_ns();
        if (now - prev > STALL_TICK_NS + STALL_LATE_NS) {
            size_t k = atomic_load(&nstalls[cpu]);
            if (k < STALL_MAX) {
                stalls[cpu][k] = (struct stall){.from = prev + STALL_TICK_NS, .to = now};
                atomic_store(&nstalls[cpu], k + 1);
            }
        }
        prev = now;
    }
    return NULL;
}

static void stalls_start(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    for (int c = 0; c < STALL_CPUS && c < n; c++)
        if (pthread_create(&stall_thr[c], NULL, stall_main, (void *)(intptr_t)c) == 0)
            stall_running = c + 1;
}

static void stalls_stop(void) {
    atomic_store(&stall_stop, true);
    for (int c = 0; c < stall_running; c++)
        pthread_join(stall_thr[c], NULL);
}

/* Milliseconds of stall, over all CPUs, inside [from, to]. */
static double stalled_ms(int64_t from, int64_t to) {
    int64_t sum = 0;
    for (int c = 0; c < STALL_CPUS; c++) {
        size_t n = atomic_load(&nstalls[c]);
        for (size_t i = 0; i < n; i++) {
            int64_t a = stalls[c][i].from > from ? stalls[c][i].from : from;
            int64_t b = stalls[c][i].to < to ? stalls[c][i].to : to;
            if (b > a)
                sum += b - a;
        }
    }
    return (double)sum / 1e6;
}

/* Whether the library's RTT agrees with the relay's for a probe sent at
 * sent_ns (CLOCK_REALTIME): not below it by more than 0.25 ms (clock
 * reading granularity; it cannot be below), not above it by more than
 * RTT_SLACK_MS (1 ms) + extra_ms, unless measured stalls during the
 * exchange cover the excess.  On disagreement, says why in why. */
static bool rtt_agrees(double lib_ms, double relay_ms, int64_t sent_ns, double extra_ms, char *why,
                       size_t n) {
    double d = lib_ms - relay_ms;
    if (d < -0.25) {
        snprintf(why, n, "rtt %.3f ms below the relay's %.3f ms", lib_ms, relay_ms);
        return false;
    }
    double over = d - (RTT_SLACK_MS + extra_ms);
    if (over <= 0)
        return true;
    double st = stalled_ms(sent_ns, sent_ns + (int64_t)(lib_ms * 1e6));
    if (st >= over) {
        print_message("# rtt %.3f ms, relay %.3f ms: %.3f ms over, excused by %.3f ms of "
                      "measured stalls\n", lib_ms, relay_ms, over, st);
        return true;
    }
    snprintf(why, n, "rtt %.3f ms, relay %.3f ms: %.3f ms over %.0f ms%s, stalls %.3f ms", lib_ms,
             relay_ms, over, RTT_SLACK_MS, extra_ms > 0 ? " + burst" : "", st);
    return false;
}

/* ---- results as the library reports them ------------------------------ */

#define MAXR 8192

struct got {
    size_t n;
    struct icr_result r[MAXR];
};

static void on_result(const struct icr_result *r, void *u) {
    struct got *g = u;
    if (g->n < MAXR)
        g->r[g->n++] = *r;
}

static struct got *got_new(void) {
    struct got *g = calloc(1, sizeof(*g));
    assert_non_null(g);
    return g;
}

static unsigned path_flags(void) {
    const char *e = getenv("ICR_TEST_SINGLE_RECV");
    /* Not single-recv: the packet ring receives, whatever the job's size
     * (with the packet transport; nothing to do on the others). */
    return e && *e == '1' ? ICR_SWEEP_SINGLE_RECV : ICR_SWEEP_RING_RECV;
}

static struct icr_addr addr_of(const char *s) {
    struct icr_addr a;
    if (icr_addr_parse(s, &a) != 0)
        fail_msg("not an address: %s", s);
    return a;
}

/* Host k of the relayed prefixes: 198.18.200.k / 2001:db8:1::200:k (k in hex). */
static struct icr_addr relay_host(int family, unsigned k) {
    char b[64];
    if (family == AF_INET)
        snprintf(b, sizeof(b), "198.18.200.%u", k);
    else
        snprintf(b, sizeof(b), "2001:db8:1::200:%x", k);
    return addr_of(b);
}

/* For a result the relay's log cannot account for: what the log says of
 * its responder and sequence (seen once, in 2026-12: "reported, never
 * delivered intact" in test_multiping_late_replies, not reproduced since;
 * this is what would tell its cause). */
static void explain(const struct rlog *L, const struct icr_result *r, unsigned seq) {
    static const char *const names[] = {"req", "rep", "bad", "drop", "forge"};
    char a[64], t[64];
    icr_addr_format(&r->responder, a, sizeof(a));
    icr_addr_format(&r->target, t, sizeof(t));
    print_message("# result: target %s responder %s index %llu probe %u hop %u seq %u "
                  "sent_ns %lld rtt_ns %lld duplicate %d\n",
                  t, a, (unsigned long long)r->index, r->probe, (unsigned)r->hop, seq,
                  (long long)r->sent_ns, (long long)r->rtt_ns, (int)r->duplicate);
    size_t shown = 0;
    for (size_t i = 0; i < L->n && shown < 40; i++) {
        const struct entry *e = &L->e[i];
        if (!icr_addr_equal(&e->addr, &r->responder) && !icr_addr_equal(&e->addr, &r->target))
            continue;
        print_message("# log: %s %s id %u seq %u t %lld rtt %lld\n", names[e->what], e->kind,
                      e->id, e->seq, (long long)e->t, (long long)e->rtt);
        shown++;
    }
    print_message("# log: %zu entries; delivered %llu bad %llu forge %llu drop %llu dup %llu\n",
                  L->n, (unsigned long long)L->count_delivered, (unsigned long long)L->count_bad,
                  (unsigned long long)L->count_forge, (unsigned long long)L->count_drop,
                  (unsigned long long)L->count_dup);
}

/* Each echo result agrees with the relay: delivered intact, RTT as
 * rtt_agrees says.  `burst_ms` widens the window upwards only, for a
 * sweep's burst (128 probes at once at 2000 pps): the relay reads and
 * forwards a burst's requests one by one, logging each, so the last ones
 * are read - and their relay RTT starts - milliseconds after they reached
 * its TUN device (seen: 10.5 ms against the relay's 1.7 ms, 254 probes). */
static void check_rtts(const struct got *g, const struct rlog *L, bool trace, double burst_ms) {
    for (size_t i = 0; i < g->n; i++) {
        const struct icr_result *r = &g->r[i];
        char a[64], why[160];
        icr_addr_format(&r->target, a, sizeof(a));
        assert_int_equal(r->kind, ICR_RESULT_ECHO);
        unsigned seq = trace ? ((r->probe & 0xffu) << 8 | (unsigned)r->hop) : (r->probe & 0xffffu);
        const struct entry *e = delivered(L, &r->responder, seq);
        if (!e) {
            explain(L, r, seq);
            fail_msg("%s probe %u (seq %u) reported, never delivered intact", a, r->probe, seq);
            return; /* not reached; cmocka's _fail() is not declared noreturn, so
                       gcc -O3 warned of e->rtt below as a NULL dereference */
        }
        if (e->rtt < 0)
            fail_msg("%s seq %u: the relay saw no request", a, seq);
        if (!rtt_agrees((double)r->rtt_ns / 1e6, (double)e->rtt / 1e6, r->sent_ns, burst_ms, why,
                        sizeof(why)))
            fail_msg("%s seq %u: %s", a, seq, why);
    }
}

/* The result of (index, probe) in g, or NULL. */
static const struct icr_result *result_of(const struct got *g, uint64_t index, uint32_t probe) {
    for (size_t i = 0; i < g->n; i++)
        if (g->r[i].index == index && g->r[i].probe == probe)
            return &g->r[i];
    return NULL;
}

/* ---- sweep ------------------------------------------------------------ */

static void sweep_faults(int family) {
    struct rlog L;
    struct got *g = got_new();
    icr_targets *t = NULL;
    assert_int_equal(icr_targets_new(&t), 0);
    assert_int_equal(icr_targets_add(t, family == AF_INET ? "198.18.200.0/24"
                                                          : "2001:db8:1::200:0/120", 0), 0);
    relay_on("--seed 7 --drop 0.25 --dup 0.2 --corrupt 0.25 --forge 0.3 --reorder 0.1 "
             "--delay 5 --jitter 5");
    struct icr_sweep_opts o = ICR_SWEEP_OPTS_INIT;
    o.transport = lab_transport();
    o.rate = 2000;
    o.cooldown = 1.0;
    o.flags = path_flags();
    o.on_result = on_result;
    o.userdata = g;
    icr_sweep *s = NULL;
    assert_int_equal(icr_sweep_new(t, &o, &s), 0);
    assert_int_equal(icr_sweep_run(s), 0);
    struct icr_sweep_stats st = {.size = sizeof(st)};
    assert_int_equal(icr_sweep_get_stats(s, &st), 0);
    icr_sweep_free(s);
    relay_off(&L);

    uint8_t seen[256] = {0};
    size_t alive = 0, rep_lines = 0, lines;
    for (unsigned k = 0; k < 256; k++) {
        struct icr_addr a = relay_host(family, k);
        alive += delivered_from(&L, &a, &lines) > 0;
        rep_lines += lines;
    }
    for (size_t i = 0; i < g->n; i++) {
        const struct icr_result *r = &g->r[i];
        assert_true(r->index < 256);
        assert_true(icr_addr_equal(&r->target, &r->responder));
        if (seen[r->index]++)
            fail_msg("target %llu reported twice", (unsigned long long)r->index);
    }
    check_rtts(g, &L, false, 25.0);
    print_message("# sweep v%d: alive %zu reported %zu replies %llu (relay %zu) dup %llu "
                  "invalid %llu (relay bad %llu forge %llu drop %llu reorder %llu)\n",
                  family == AF_INET ? 4 : 6, alive, g->n, (unsigned long long)st.replies,
                  rep_lines, (unsigned long long)st.duplicates, (unsigned long long)st.invalid,
                  (unsigned long long)L.count_bad, (unsigned long long)L.count_forge,
                  (unsigned long long)L.count_drop, (unsigned long long)L.count_reorder);
    /* the faults happened */
    assert_true(L.count_bad > 0 && L.count_forge > 0 && L.count_drop > 0 && L.count_dup > 0);
    assert_int_equal(count_what(&L, L_REQ), icr_targets_count(t));
    assert_int_equal(g->n, alive);
    assert_int_equal(st.hits, alive);
    assert_int_equal(st.replies, rep_lines);
    assert_int_equal(st.duplicates, rep_lines - alive);
    assert_int_equal(st.errors, 0);
    assert_true(st.invalid <= L.count_bad + L.count_forge);
    rlog_free(&L);
    icr_targets_free(t);
    free(g);
}

static void test_sweep_faults_v4(void **state) {
    (void)state;
    sweep_faults(AF_INET);
}

static void test_sweep_faults_v6(void **state) {
    (void)state;
    sweep_faults(AF_INET6);
}

/* ---- multiping -------------------------------------------------------- */

/* Multiping hosts 1..nper of each family through the relay; checks counts
 * and RTTs against the relay; returns the results (caller frees). */
static struct got *multiping(const char *relay_opts, size_t nper, uint32_t count,
                             double interval, double timeout, struct rlog *L,
                             struct icr_host *hosts, struct icr_sweep_stats *st) {
    struct got *g = got_new();
    struct icr_addr addrs[16];
    size_t n = 0;
    assert_true(2 * nper <= 16);
    for (size_t k = 1; k <= nper; k++) {
        addrs[n++] = relay_host(AF_INET, (unsigned)(10 + k));
        addrs[n++] = relay_host(AF_INET6, (unsigned)(10 + k));
    }
    relay_on("%s", relay_opts);
    struct icr_multiping_opts o = ICR_MULTIPING_OPTS_INIT;
    o.transport = lab_transport();
    o.count = count;
    o.interval = interval;
    o.timeout = timeout;
    o.flags = path_flags();
    o.on_result = on_result;
    o.userdata = g;
    icr_multiping_job *m = NULL;
    assert_int_equal(icr_multiping_new(addrs, n, &o, &m), 0);
    assert_int_equal(icr_multiping_run(m), 0);
    *st = (struct icr_sweep_stats){.size = sizeof(*st)};
    assert_int_equal(icr_multiping_get_stats(m, st), 0);
    for (size_t i = 0; i < n; i++) {
        hosts[i].size = sizeof(hosts[i]); /* the size rule: ours, or 0 */
        assert_int_equal(icr_multiping_get_host(m, i, &hosts[i]), 0);
    }
    icr_multiping_free(m);
    relay_off(L);

    check_rtts(g, L, false, 0.0);
    for (size_t i = 0; i < n; i++) {
        const struct icr_host *h = &hosts[i];
        char a[64];
        icr_addr_format(&h->address, a, sizeof(a));
        size_t want = delivered_from(L, &h->address, NULL);
        if (h->packets_received != want)
            fail_msg("%s: received %llu, relay delivered %zu intact", a,
                     (unsigned long long)h->packets_received, want);
        assert_int_equal(h->packets_sent, count);
        assert_int_equal(h->error, 0);
        assert_true(h->is_alive == (want > 0));
        /* rtts: in probe order, each agreeing with the relay's */
        size_t k = 0;
        for (unsigned p = 0; p < count; p++) {
            const struct entry *e = delivered(L, &h->address, p);
            if (!e)
                continue;
            assert_true(k < h->packets_received);
            const struct icr_result *r = result_of(g, i, p);
            char why[160];
            if (!r)
                fail_msg("%s: probe %u delivered, no result for it", a, p);
            if (!rtt_agrees(h->rtts[k], (double)e->rtt / 1e6, r ? r->sent_ns : 0, 0.0, why, sizeof(why)))
                fail_msg("%s: rtts[%zu] (probe %u): %s", a, k, p, why);
            k++;
        }
    }
    assert_int_equal(st->errors, 0);
    return g;
}

static void free_hosts(struct icr_host *hosts, size_t n) {
    for (size_t i = 0; i < n; i++)
        free(hosts[i].rtts);
}

static void test_multiping_delay(void **state) {
    (void)state;
    struct rlog L;
    struct icr_host hosts[8];
    struct icr_sweep_stats st;
    struct got *g = multiping("--seed 11 --delay 50 --jitter 20", 4, 5, 0.05, 2.0, &L, hosts, &st);
    assert_int_equal(g->n, 8 * 5);
    for (size_t i = 0; i < g->n; i++) {
        double ms = (double)g->r[i].rtt_ns / 1e6;
        assert_true(ms > 29.0 && ms < 72.0);
    }
    for (size_t i = 0; i < 8; i++)
        assert_int_equal(hosts[i].packets_received, 5);
    free_hosts(hosts, 8);
    rlog_free(&L);
    free(g);
}

/* Replies 1.35-1.95 s late, timeout 2 s: every one is still caught. */
static void test_multiping_late_replies(void **state) {
    (void)state;
    struct rlog L;
    struct icr_host hosts[8];
    struct icr_sweep_stats st;
    struct got *g = multiping("--seed 12 --delay 1650 --jitter 300", 4, 2, 0.1, 2.0, &L, hosts, &st);
    assert_int_equal(g->n, 8 * 2);
    for (size_t i = 0; i < g->n; i++)
        assert_true(g->r[i].rtt_ns > 1300000000 && g->r[i].rtt_ns < 2000000000);
    free_hosts(hosts, 8);
    rlog_free(&L);
    free(g);
}

static void test_multiping_reorder(void **state) {
    (void)state;
    struct rlog L;
    struct icr_host hosts[4];
    struct icr_sweep_stats st;
    struct got *g = multiping("--seed 13 --reorder 0.5 --delay 2", 2, 30, 0.01, 1.0, &L, hosts,
                              &st);
    assert_true(L.count_reorder > 0);
    /* the library got replies in another order than it sent the probes */
    size_t inversions = 0;
    for (size_t i = 0; i + 1 < g->n; i++)
        inversions += g->r[i + 1].sent_ns < g->r[i].sent_ns;
    print_message("# reorder: relay held %llu, %zu inversions seen\n",
                  (unsigned long long)L.count_reorder, inversions);
    assert_true(inversions > 0);
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(hosts[i].packets_received, 30);
    free_hosts(hosts, 4);
    rlog_free(&L);
    free(g);
}

/* Mixed faults: counts exact, forgeries and corruption never reported. */
static void test_multiping_mixed(void **state) {
    (void)state;
    struct rlog L;
    struct icr_host hosts[8];
    struct icr_sweep_stats st;
    struct got *g = multiping("--seed 14 --drop 0.2 --dup 0.2 --corrupt 0.3 --forge 0.3 "
                              "--reorder 0.2 --delay 10 --jitter 5",
                              4, 10, 0.02, 1.0, &L, hosts, &st);
    assert_true(L.count_bad > 0 && L.count_forge > 0 && L.count_drop > 0);
    assert_true(st.invalid <= L.count_bad + L.count_forge);
    free_hosts(hosts, 8);
    rlog_free(&L);
    free(g);
}

/* One corruption kind on every reply: nothing is reported, ever. */
static void corrupt_all(const char *kind) {
    struct rlog L;
    struct icr_host hosts[4];
    struct icr_sweep_stats st;
    char opts[128];
    snprintf(opts, sizeof(opts), "--seed 15 --corrupt 1 --kinds %s", kind);
    struct got *g = multiping(opts, 2, 8, 0.02, 0.5, &L, hosts, &st);
    print_message("# corrupt %s: relay bad %llu, invalid %llu, reported %zu\n", kind,
                  (unsigned long long)L.count_bad, (unsigned long long)st.invalid, g->n);
    assert_int_equal(L.count_bad, 4 * 8);
    assert_int_equal(g->n, 0);
    assert_int_equal(st.replies, 0);
    assert_int_equal(st.errors, 0);
    for (size_t i = 0; i < 4; i++)
        assert_false(hosts[i].is_alive);
    free_hosts(hosts, 4);
    rlog_free(&L);
    free(g);
}

#define CORRUPT_TEST(k)                                                                      \
    static void test_corrupt_##k(void **state) {                                             \
        (void)state;                                                                         \
        corrupt_all(#k);                                                                     \
    }
CORRUPT_TEST(flip)
CORRUPT_TEST(csum)
CORRUPT_TEST(trunc)
CORRUPT_TEST(iplen)
CORRUPT_TEST(quote)
CORRUPT_TEST(shortquote)

/* ---- flow control ------------------------------------------------------- */

/* Issue 7's flow control, bounded: a multiping of 65,536 IPv6 hosts
 * (2001:db8:1::200:0/112, inside the relayed /108) at rate 0, one probe
 * each, every reply held 20 ms by the relay.  Whatever the kernel does with
 * the burst, no reply is lost silently: the replies received plus the
 * drops the library reports equal what the relay delivered, exactly, and
 * every host reported alive had a reply delivered.  (Requests the prober's
 * TUN queue drops before the relay reads them get no reply: they are in
 * neither count.)  bench/flow-bench.sh runs the 1,048,576-host version. */
#define FLOW_N 65536u

static void flow_control_v6(bool stall) {
    struct icr_addr *addrs = calloc(FLOW_N, sizeof(*addrs));
    struct icr_host *hosts = calloc(FLOW_N, sizeof(*hosts));
    uint8_t *dlv = calloc(FLOW_N, 1);
    assert_non_null(addrs);
    assert_non_null(hosts);
    assert_non_null(dlv);
    for (unsigned k = 0; k < FLOW_N; k++)
        addrs[k] = relay_host(AF_INET6, k);
    /* Stalled: replies 3 s late, so that every one comes during the stall
     * whenever sending took under 3 s (0.3-0.5 s here; more under
     * ThreadSanitizer or load). */
    relay_on(stall ? "--seed 21 --delay 3000 --queue 262144" : "--seed 21 --delay 20 --queue 262144");
    struct icr_multiping_opts o = ICR_MULTIPING_OPTS_INIT;
    o.count = 1;
    o.rate = 0;
    o.timeout = 5.0;
    o.flags = path_flags();
    icr_multiping_job *m = NULL;
    assert_int_equal(icr_multiping_new(addrs, FLOW_N, &o, &m), 0);
    struct icr_sweep_stats st = {.size = sizeof(st)};
    int64_t send_ns = 0;
    if (stall) {
        /* Every probe out, then no reading for 4 s while the replies come
         * back (3 s after their requests): more than the packet ring's 8 MiB
         * hold, so the kernel must drop some, and every drop must be
         * counted.  (The sockets' 64 MiB buffer may hold them all.) */
        int r;
        int64_t t0 = mono_ns();
        do {
            r = icr_multiping_step(m, 10000000);
            assert_int_equal(icr_multiping_get_stats(m, &st), 0);
            assert_true(mono_ns() - t0 < 10000000000LL);
        } while (r == 1 && !st.sending_done);
        assert_int_equal(r, 1);
        send_ns = st.send_ns;
        struct timespec ts = {.tv_sec = 4};
        nanosleep(&ts, NULL);
    }
    assert_int_equal(icr_multiping_run(m), 0);
    assert_int_equal(icr_multiping_get_stats(m, &st), 0);
    uint64_t received = 0, alive = 0;
    for (unsigned k = 0; k < FLOW_N; k++) {
        hosts[k].size = sizeof(hosts[k]); /* the size rule: ours, or 0 */
        assert_int_equal(icr_multiping_get_host(m, k, &hosts[k]), 0);
        received += hosts[k].packets_received;
        alive += hosts[k].is_alive;
    }
    icr_multiping_free(m);
    struct rlog L;
    relay_off(&L);
    /* The relay's deliveries per host (2001:db8:1::200:k: the last two
     * bytes are k). */
    uint64_t lines = 0;
    const struct icr_addr base = relay_host(AF_INET6, 0);
    for (size_t i = 0; i < L.n; i++) {
        const struct entry *e = &L.e[i];
        if (e->what != L_REP)
            continue;
        lines++;
        if (memcmp(e->addr.v6.s6_addr, base.v6.s6_addr, 14) != 0)
            fail_msg("a delivery from outside the hosts probed");
        unsigned k = (unsigned)e->addr.v6.s6_addr[14] << 8 | e->addr.v6.s6_addr[15];
        dlv[k]++;
    }
    print_message("# flow v6%s: %u hosts, sent %llu, relay requests %zu delivered %llu; received "
                  "%llu, kernel drops %llu, alive %llu, rcvbuf %llu, receive %d, %.2f s\n",
                  stall ? " (reader stalled 4 s)" : "", FLOW_N, (unsigned long long)st.sent, count_what(&L, L_REQ),
                  (unsigned long long)L.count_delivered, (unsigned long long)received,
                  (unsigned long long)st.kernel_drops, (unsigned long long)alive,
                  (unsigned long long)st.rcvbuf, st.receive, (double)st.elapsed_ns / 1e9);
    assert_int_equal(lines, L.count_delivered);
    assert_int_equal(st.sent, FLOW_N);
    assert_int_equal(st.replies, received);
    assert_int_equal(st.invalid, 0);
    assert_int_equal(received + st.kernel_drops, L.count_delivered);
    for (unsigned k = 0; k < FLOW_N; k++) {
        if (hosts[k].is_alive && !dlv[k])
            fail_msg("host %u reported alive, the relay delivered no reply", k);
        assert_true(hosts[k].packets_received <= dlv[k]);
        free(hosts[k].rtts);
    }
    /* Not vacuous: most of the burst made it through the relay, and a
     * stalled reader lost some of it. */
    assert_true(L.count_delivered > FLOW_N / 2);
    /* Sent in under 3 s: every reply came while nobody read, 65,536 of
     * them against the ring's ~43,000 places.  (Slower, some came while
     * the job still read: the balance above is all that can be asked.) */
    if (stall && st.receive == ICR_RECEIVE_RING && send_ns < 3000000000LL)
        assert_true(st.kernel_drops > 0);
    if (stall)
        print_message("# sending took %.2f s\n", (double)send_ns / 1e9);
    rlog_free(&L);
    free(dlv);
    free(hosts);
    free(addrs);
}

static void test_flow_control_v6(void **state) {
    (void)state;
    flow_control_v6(false);
}

static void test_flow_control_stall_v6(void **state) {
    (void)state;
    flow_control_v6(true);
}

/* ---- ping --------------------------------------------------------------- */

static void test_ping_drop_delay(void **state) {
    (void)state;
    struct rlog L;
    struct icr_host *h = NULL;
    struct got *g = got_new();
    struct icr_ping_opts o = ICR_PING_OPTS_INIT;
    o.transport = lab_transport();
    o.count = 10;
    o.interval = 0.05;
    o.flags = path_flags();
    o.on_result = on_result;
    o.userdata = g;
    relay_on("--seed 16 --drop 0.3 --delay 50 --jitter 20 --corrupt 0.2");
    assert_int_equal(icr_ping("198.18.200.77", &o, &h), 0);
    relay_off(&L);
    size_t want = delivered_from(&L, &h->address, NULL);
    print_message("# ping: received %llu, relay delivered %zu\n",
                  (unsigned long long)h->packets_received, want);
    assert_true(L.count_drop > 0);
    assert_int_equal(h->packets_received, want);
    size_t k = 0;
    for (unsigned p = 0; p < 10; p++) {
        const struct entry *e = delivered(&L, &h->address, p);
        if (!e)
            continue;
        print_message("# probe %u: rtt %.3f ms, relay %.3f ms\n", p, h->rtts[k],
                      (double)e->rtt / 1e6);
        const struct icr_result *r = result_of(g, 0, p);
        char why[160];
        if (!r)
            fail_msg("probe %u delivered, no result for it", p);
        if (!rtt_agrees(h->rtts[k], (double)e->rtt / 1e6, r ? r->sent_ns : 0, 0.0, why, sizeof(why)))
            fail_msg("probe %u: %s", p, why);
        k++;
    }
    icr_host_free(h);
    free(g);
    rlog_free(&L);
}

/* ---- traceroute ---------------------------------------------------------- */

static struct got *g_trace_got;
static struct icr_trace_result g_tr;
static struct icr_hop g_hops[32];

static void on_trace(const struct icr_trace_result *r, void *u) {
    (void)u;
    g_tr = *r;
    for (size_t i = 0; i < r->nhops && i < 32; i++) {
        g_hops[i] = r->hops[i];
        g_hops[i].host.rtts = NULL;
    }
}

static void trace_through(int family, const char *relay_opts) {
    struct rlog L;
    icr_targets *t = NULL;
    struct icr_addr dst = relay_host(family, 99);
    char a[64];
    icr_addr_format(&dst, a, sizeof(a));
    assert_int_equal(icr_targets_new(&t), 0);
    assert_int_equal(icr_targets_add(t, a, 0), 0);
    g_trace_got = got_new();
    memset(&g_tr, 0, sizeof(g_tr));
    relay_on("%s", relay_opts);
    struct icr_trace_opts o = ICR_TRACE_OPTS_INIT;
    o.transport = lab_transport();
    o.count = 3;
    o.max_hops = 4;
    o.flags = path_flags();
    o.on_trace = on_trace;
    o.on_result = on_result;
    o.userdata = g_trace_got;
    icr_trace *tr = NULL;
    assert_int_equal(icr_trace_new(t, &o, &tr), 0);
    assert_int_equal(icr_trace_run(tr), 0);
    struct icr_sweep_stats st = {.size = sizeof(st)};
    assert_int_equal(icr_trace_get_stats(tr, &st), 0);
    icr_trace_free(tr);
    relay_off(&L);
    /* The relay forwards without decrementing the TTL: rsp is hop 1. */
    check_rtts(g_trace_got, &L, true, 0.0);
    assert_int_equal(st.errors, 0);
    if (g_trace_got->n > 0) {
        assert_true(g_tr.reached);
        assert_int_equal(g_tr.nhops, 1);
        assert_int_equal(g_hops[0].distance, 1);
        assert_true(icr_addr_equal(&g_hops[0].host.address, &dst));
        assert_int_equal(g_hops[0].host.error, 0);
    }
    size_t hop1 = 0;
    for (unsigned p = 0; p < 3; p++)
        hop1 += delivered(&L, &dst, (p << 8) | 1u) != NULL;
    size_t reported1 = 0;
    for (size_t i = 0; i < g_trace_got->n; i++)
        reported1 += g_trace_got->r[i].hop == 1;
    print_message("# trace v%d: hop 1 delivered %zu, reported %zu, invalid %llu\n",
                  family == AF_INET ? 4 : 6, hop1, reported1, (unsigned long long)st.invalid);
    assert_int_equal(reported1, hop1);
    if (hop1 > 0)
        assert_int_equal(g_hops[0].host.packets_received, hop1);
    rlog_free(&L);
    icr_targets_free(t);
    free(g_trace_got);
}

static void test_trace_delay_v4(void **state) {
    (void)state;
    trace_through(AF_INET, "--seed 17 --delay 50 --jitter 20");
}

static void test_trace_delay_v6(void **state) {
    (void)state;
    trace_through(AF_INET6, "--seed 18 --delay 50 --jitter 20");
}

static void test_trace_corrupt(void **state) {
    (void)state;
    trace_through(AF_INET, "--seed 19 --corrupt 0.5 --forge 0.5 --delay 5");
    trace_through(AF_INET6, "--seed 20 --corrupt 0.5 --forge 0.5 --delay 5");
}

int main(void) {
    const char *relay = getenv("ICR_RELAY");
    if (!getenv("ICR_LAB") || !getenv("ICR_LAB_BIN")) {
        printf("1..0 # SKIP not started by 'icmpring-lab run'\n");
        return 0;
    }
    if (!relay || access(relay, X_OK) != 0) {
        printf("1..0 # SKIP lab-relay is not built (ICR_RELAY)\n");
        return 0;
    }
    if (access("/dev/net/tun", R_OK | W_OK) != 0) {
        printf("1..0 # SKIP no /dev/net/tun\n");
        return 0;
    }
    int fd = mkstemp(log_path);
    if (fd < 0) {
        printf("1..0 # SKIP cannot create a log file in /tmp\n");
        return 0;
    }
    close(fd);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sweep_faults_v4),
        cmocka_unit_test(test_sweep_faults_v6),
        cmocka_unit_test(test_multiping_delay),
        cmocka_unit_test(test_multiping_late_replies),
        cmocka_unit_test(test_multiping_reorder),
        cmocka_unit_test(test_multiping_mixed),
        cmocka_unit_test(test_corrupt_flip),
        cmocka_unit_test(test_corrupt_csum),
        cmocka_unit_test(test_corrupt_trunc),
        cmocka_unit_test(test_corrupt_iplen),
        cmocka_unit_test(test_corrupt_quote),
        cmocka_unit_test(test_corrupt_shortquote),
        cmocka_unit_test(test_ping_drop_delay),
        cmocka_unit_test(test_flow_control_v6),
        cmocka_unit_test(test_flow_control_stall_v6),
        cmocka_unit_test(test_trace_delay_v4),
        cmocka_unit_test(test_trace_delay_v6),
        cmocka_unit_test(test_trace_corrupt),
    };
    /* The RTTs are compared with the relay's to 1 ms: on a loaded machine
     * the prober's send time must not wait for a CPU either (best effort;
     * the relay itself runs at priority 50). */
    struct sched_param sp = {.sched_priority = 40};
    if (sched_setscheduler(0, SCHED_FIFO, &sp) < 0)
        printf("# no SCHED_FIFO for the prober: RTT checks may be noisy\n");
    if (getenv("ICR_TEST_FILTER"))
        cmocka_set_test_filter(getenv("ICR_TEST_FILTER"));
    stalls_start();
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    stalls_stop();
    size_t ns = 0;
    int64_t longest = 0;
    for (int c = 0; c < STALL_CPUS; c++) {
        ns += atomic_load(&nstalls[c]);
        for (size_t i = 0; i < atomic_load(&nstalls[c]); i++)
            if (stalls[c][i].to - stalls[c][i].from > longest)
                longest = stalls[c][i].to - stalls[c][i].from;
    }
    printf("# %zu stalls over 0.2 ms measured during the run, the longest %.3f ms\n", ns,
           (double)longest / 1e6);
    unlink(log_path);
    return rc;
}
