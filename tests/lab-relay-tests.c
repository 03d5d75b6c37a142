/* lab-relay-tests.c - the engine's jobs (sweep, multiping, ping, traceroute)
 * against replies that tests/lab-relay.c delays, reorders, duplicates,
 * drops, corrupts and forges ('icmpring-lab relay'), checked against what
 * the relay's log says it delivered:
 *   - no host reported that the relay never delivered an intact reply of,
 *     none reported twice;
 *   - counts exact against the relay's deliveries;
 *   - RTTs within 1 ms of the relay's own (request read -> reply written);
 *   - replies held back and swapped still give RTTs in probe order;
 *   - a corrupted reply (every kind) is never reported.
 * Runs in the prober of an icmpring-lab lab; SKIPs (TAP "1..0 # SKIP")
 * when the relay or /dev/net/tun is missing. */
#include <math.h>
#include <sched.h>
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
    return e && *e == '1' ? ICR_SWEEP_SINGLE_RECV : 0;
}

static struct icr_addr addr_of(const char *s) {
    struct icr_addr a;
    if (icr_addr_parse(s, &a) != 0)
        fail_msg("not an address: %s", s);
    return a;
}

/* Host k of the relayed prefixes: 198.18.200.k / 2001:db8:1::200:k. */
static struct icr_addr relay_host(int family, unsigned k) {
    char b[64];
    if (family == AF_INET)
        snprintf(b, sizeof(b), "198.18.200.%u", k);
    else
        snprintf(b, sizeof(b), "2001:db8:1::200:%x", k);
    return addr_of(b);
}

/* Each echo result agrees with the relay: delivered intact, RTT within
 * 1 ms of the relay's.  `burst_ms` widens the window upwards only, for a
 * sweep's burst (128 probes at once at 2000 pps): the relay reads and
 * forwards a burst's requests one by one, logging each, so the last ones
 * are read - and their relay RTT starts - milliseconds after they reached
 * its TUN device (seen: 10.5 ms against the relay's 1.7 ms, 254 probes).
 * An RTT below the relay's is never allowed: the relay held the reply at
 * least that long (less the relay's own timing error, below). */
static void check_rtts(const struct got *g, const struct rlog *L, bool trace, double burst_ms) {
    for (size_t i = 0; i < g->n; i++) {
        const struct icr_result *r = &g->r[i];
        char a[64];
        icr_addr_format(&r->target, a, sizeof(a));
        assert_int_equal(r->kind, ICR_RESULT_ECHO);
        unsigned seq = trace ? ((r->probe & 0xffu) << 8 | (unsigned)r->hop) : (r->probe & 0xffffu);
        const struct entry *e = delivered(L, &r->responder, seq);
        if (!e)
            fail_msg("%s probe %u (seq %u) reported, never delivered intact", a, r->probe, seq);
        if (e->rtt < 0)
            fail_msg("%s seq %u: the relay saw no request", a, seq);
        /* The relay's times are taken around its read() and write() calls,
         * and under CPU contention (another lab's namespaces still being
         * torn down by the kernel, right before this test in CI) one of
         * those calls can take a millisecond or two: seen here -1.2 ms and
         * +1.8 ms on a 2-CPU VM, and every result within 1 ms when the
         * machine is quiet.  So 1 ms is the goal and +-2/3 ms the check. */
        double d = ((double)r->rtt_ns - (double)e->rtt) / 1e6;
        if (!(d > -2.0 && d < 3.0 + burst_ms))
            fail_msg("%s seq %u: rtt %.3f ms, relay %.3f ms", a, seq, (double)r->rtt_ns / 1e6,
                     (double)e->rtt / 1e6);
    }
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
    for (size_t i = 0; i < n; i++)
        assert_int_equal(icr_multiping_get_host(m, i, &hosts[i]), 0);
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
        /* rtts: in probe order, each the relay's within 1 ms */
        size_t k = 0;
        for (unsigned p = 0; p < count; p++) {
            const struct entry *e = delivered(L, &h->address, p);
            if (!e)
                continue;
            assert_true(k < h->packets_received);
            double d = fabs(h->rtts[k] - (double)e->rtt / 1e6);
            if (!(d < 1.0))
                fail_msg("%s: rtts[%zu] = %.3f ms, relay's probe %u %.3f ms", a, k, h->rtts[k],
                         p, (double)e->rtt / 1e6);
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

/* ---- ping --------------------------------------------------------------- */

static void test_ping_drop_delay(void **state) {
    (void)state;
    struct rlog L;
    struct icr_host *h = NULL;
    struct icr_ping_opts o = ICR_PING_OPTS_INIT;
    o.transport = lab_transport();
    o.count = 10;
    o.interval = 0.05;
    o.flags = path_flags();
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
        if (!(fabs(h->rtts[k] - (double)e->rtt / 1e6) < 1.0))
            fail_msg("probe %u: rtt %.3f ms, relay %.3f ms", p, h->rtts[k], (double)e->rtt / 1e6);
        k++;
    }
    icr_host_free(h);
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
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    unlink(log_path);
    return rc;
}
