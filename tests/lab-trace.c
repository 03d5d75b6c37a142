/* lab-trace.c - the traceroute job against the lab's chain of 5 routers
 * (icmpring-lab --help): the route to the far responder, IPv4 and IPv6,
 * the errors that end a route, first_hop/max_hops, fast, many destinations
 * at once, unprivileged mode, silence and stop.  Runs inside the prober. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pthread.h>
#include <unistd.h>

#include <cmocka.h>

#include "icmpring.h"
#include "lab-util.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct icr_trace_opts opts(void) {
    struct icr_trace_opts o = ICR_TRACE_OPTS_INIT;
    o.transport = lab_transport();
    if (getenv("ICR_TEST_SINGLE_RECV"))
        o.flags |= ICR_SWEEP_SINGLE_RECV;
    return o;
}

/* The router at distance k (1..5) as the prober sees it: the far side of
 * link k (icmpring-lab --help). */
static void router(int family, int k, char *buf, size_t len) {
    if (family == AF_INET)
        snprintf(buf, len, "198.51.100.%d", 4 * k + 2);
    else
        snprintf(buf, len, "2001:db8:ff01:%d::2", k);
}

static void expect_hop(const struct icr_hop *h, int distance, const char *addr, uint64_t sent) {
    char buf[ICR_ADDRSTRLEN];
    assert_int_equal(h->distance, distance);
    assert_string_equal(icr_addr_format(&h->host.address, buf, sizeof(buf)), addr);
    assert_int_equal(h->host.packets_sent, sent);
    assert_int_equal(h->host.packets_received, sent);
    assert_true(h->host.is_alive);
    assert_true(h->host.min_rtt > 0 && h->host.min_rtt <= h->host.avg_rtt &&
                h->host.avg_rtt <= h->host.max_rtt);
    assert_non_null(h->host.rtts);
}

/* The whole route: routers 1-5, then the destination at 6. */
static void expect_route(const struct icr_hop *hops, size_t n, int family, const char *dst,
                         int first, uint64_t sent) {
    char r[ICR_ADDRSTRLEN];
    assert_int_equal(n, (size_t)(7 - first));
    for (int k = first; k <= 5; k++) {
        router(family, k, r, sizeof(r));
        expect_hop(&hops[k - first], k, r, sent);
        assert_int_equal(hops[k - first].host.error, 0);
    }
    expect_hop(&hops[n - 1], 6, dst, sent);
    assert_int_equal(hops[n - 1].host.error, 0);
}

static void trace_one(const char *dst, int family) {
    struct icr_trace_opts o = opts();
    struct icr_hop *hops = NULL;
    size_t n = 0;
    double t0 = now_s();
    assert_int_equal(icr_traceroute(dst, &o, &hops, &n), 0);
    double dt = now_s() - t0;
    print_message("# %s: %zu hops in %.3f s\n", dst, n, dt);
    expect_route(hops, n, family, dst, 1, 2);
    /* Two passes 50 ms apart, every probe answered: no timeout is waited
     * (icmplib's traceroute takes ~0.5 s here). */
    assert_true(dt < 1.0);
    icr_hops_free(hops, n);
}

static void test_route_v4(void **state) {
    (void)state;
    trace_one("198.19.0.1", AF_INET);
}

static void test_route_v6(void **state) {
    (void)state;
    trace_one("2001:db8:2::1", AF_INET6);
}

/* An error from a router ends the route there, with its mark, quickly. */
static void unreachable(const char *dst, int err, const char *flag) {
    struct icr_trace_opts o = opts();
    struct icr_hop *hops = NULL;
    size_t n = 0;
    char r[ICR_ADDRSTRLEN];
    double t0 = now_s();
    assert_int_equal(icr_traceroute(dst, &o, &hops, &n), 0);
    double dt = now_s() - t0;
    print_message("# %s: %zu hops in %.3f s, %s\n", dst, n, dt,
                  n ? icr_hop_error_flag(hops[0].host.address.family, hops[0].host.error_type,
                                         hops[0].host.error_code)
                    : "-");
    assert_int_equal(n, 1);
    router(strchr(dst, ':') ? AF_INET6 : AF_INET, 1, r, sizeof(r));
    expect_hop(&hops[0], 1, r, 2);
    assert_int_equal(hops[0].host.error, err);
    assert_string_equal(icr_addr_format(&hops[0].host.error_source, r, sizeof(r)),
                        icr_addr_format(&hops[0].host.address, (char[ICR_ADDRSTRLEN]){0},
                                        ICR_ADDRSTRLEN));
    assert_string_equal(icr_hop_error_flag(hops[0].host.address.family, hops[0].host.error_type,
                                           hops[0].host.error_code),
                        flag);
    assert_true(dt < 1.0);
    icr_hops_free(hops, n);
}

static void test_unreachable(void **state) {
    (void)state;
    unreachable("203.0.113.200", ICR_EUNREACH, "!N");
    unreachable("203.0.113.1", ICR_EUNREACH, "!H");
    unreachable("203.0.113.70", ICR_EUNREACH, "!X");
    unreachable("2001:db8:e:1::1", ICR_EUNREACH, "!N");
    unreachable("2001:db8:e:2::1", ICR_EUNREACH, "!X");
}

static void test_first_and_max_hops(void **state) {
    (void)state;
    struct icr_trace_opts o = opts();
    struct icr_hop *hops = NULL;
    size_t n = 0;
    char r[ICR_ADDRSTRLEN];
    o.first_hop = 3;
    assert_int_equal(icr_traceroute("198.19.0.1", &o, &hops, &n), 0);
    expect_route(hops, n, AF_INET, "198.19.0.1", 3, 2);
    icr_hops_free(hops, n);

    o = opts();
    o.max_hops = 3;
    o.timeout = 0.5;
    assert_int_equal(icr_traceroute("198.19.0.1", &o, &hops, &n), 0);
    assert_int_equal(n, 3);
    for (int k = 1; k <= 3; k++) {
        router(AF_INET, k, r, sizeof(r));
        expect_hop(&hops[k - 1], k, r, 2);
    }
    icr_hops_free(hops, n);

    /* Out of range. */
    o = opts();
    o.first_hop = 0;
    assert_int_equal(icr_traceroute("198.19.0.1", &o, &hops, &n), ICR_EINVAL);
    o = opts();
    o.first_hop = 10;
    o.max_hops = 9;
    assert_int_equal(icr_traceroute("198.19.0.1", &o, &hops, &n), ICR_EINVAL);
    o = opts();
    o.count = 256;
    assert_int_equal(icr_traceroute("198.19.0.1", &o, &hops, &n), ICR_EINVAL);
    assert_int_equal(icr_traceroute("nohost.invalid", NULL, &hops, &n), ICR_ENAMELOOKUP);
}

static uint64_t probes_sent(const struct icr_hop *hops, size_t n) {
    uint64_t s = 0;
    for (size_t i = 0; i < n; i++)
        s += hops[i].host.packets_sent;
    return s;
}

static void test_fast(void **state) {
    (void)state;
    struct icr_trace_opts o = opts();
    struct icr_hop *hops = NULL;
    size_t n = 0;
    /* Passes 200 ms apart: every hop has answered long before the next. */
    o.count = 3;
    o.interval = 0.2;
    assert_int_equal(icr_traceroute("198.19.0.1", &o, &hops, &n), 0);
    uint64_t slow = probes_sent(hops, n);
    icr_hops_free(hops, n);
    o.fast = true;
    assert_int_equal(icr_traceroute("198.19.0.1", &o, &hops, &n), 0);
    uint64_t fast = probes_sent(hops, n);
    print_message("# count 3: %llu probes, with fast %llu\n", (unsigned long long)slow,
                  (unsigned long long)fast);
    assert_int_equal(slow, 18);
    assert_int_equal(fast, 6);
    expect_route(hops, n, AF_INET, "198.19.0.1", 1, 1);
    icr_hops_free(hops, n);
}

/* Many destinations at once: every route complete and identical. */
struct many {
    uint64_t n, calls, good;
    uint8_t *seen;
};

static void on_trace(const struct icr_trace_result *r, void *ud) {
    struct many *m = ud;
    char a[ICR_ADDRSTRLEN], b[ICR_ADDRSTRLEN];
    m->calls++;
    if (r->index >= m->n || m->seen[r->index]++)
        return;
    if (!r->reached || !r->complete || r->nhops != 6)
        return;
    for (int k = 1; k <= 5; k++) {
        router(r->target.family, k, a, sizeof(a));
        if (r->hops[k - 1].distance != k ||
            strcmp(icr_addr_format(&r->hops[k - 1].host.address, b, sizeof(b)), a) != 0)
            return;
    }
    if (r->hops[5].distance != 6 || !icr_addr_equal(&r->hops[5].host.address, &r->target))
        return;
    m->good++;
}

static void test_many_destinations(void **state) {
    (void)state;
    icr_targets *t = NULL;
    icr_trace *tr = NULL;
    struct icr_trace_opts o = opts();
    assert_int_equal(icr_targets_new(&t), 0);
    /* 766 destinations x 30 distances: big enough for the engine's second
     * sender thread at rate 0, so the TSan run covers the job's atomics. */
    assert_int_equal(icr_targets_add(t, "198.19.0.0/23", 0), 0);
    assert_int_equal(icr_targets_add(t, "2001:db8:2::100/120", 0), 0);
    struct many m = {.n = icr_targets_count(t)};
    m.seen = calloc(m.n, 1);
    assert_non_null(m.seen);
    o.count = 1;
    o.on_trace = on_trace;
    o.userdata = &m;
    o.seed = 7;
    assert_int_equal(icr_trace_new(t, &o, &tr), 0);
    double t0 = now_s();
    assert_int_equal(icr_trace_run(tr), 0);
    struct icr_sweep_stats st = {0};
    assert_int_equal(icr_trace_get_stats(tr, &st), 0);
    print_message("# %llu destinations: %llu routes, %llu complete and identical, %.3f s, "
                  "%llu probes, %u senders\n",
                  (unsigned long long)m.n, (unsigned long long)m.calls,
                  (unsigned long long)m.good, now_s() - t0, (unsigned long long)st.sent,
                  st.senders);
    assert_int_equal(m.n, 510 + 256);
    assert_int_equal(st.senders, 2);
    /* Under tests/no-uring both senders run on sendmmsg/recvmmsg. */
    const char *nu = getenv("ICR_TEST_NO_URING");
    assert_int_equal(st.backend, nu && *nu == '1' ? ICR_BACKEND_MMSG : ICR_BACKEND_URING);
    /* Stop at the destination: in a random order over every (destination,
     * distance) pair at full speed many probes beyond a destination leave
     * before it answers, but not those claimed after: far fewer than all
     * 30 distances go out (6,881 of 22,980 here), and never fewer than 6. */
    assert_true(st.sent >= 6 * m.n && st.sent < 30 * m.n * 3 / 4);
    assert_int_equal(m.calls, m.n);
    assert_int_equal(m.good, m.n);
    icr_trace_free(tr);
    icr_targets_free(t);
    free(m.seen);
}

static void unprivileged_child(void) {
    struct icr_trace_opts o = opts();
    struct icr_hop *hops = NULL;
    size_t n = 0;
    char r[ICR_ADDRSTRLEN], b[ICR_ADDRSTRLEN];
    o.privilege = ICR_UNPRIVILEGED;
    o.transport = ICR_TRANSPORT_AUTO; /* datagram sockets, whatever the suite forces */
    const char *dst[2] = {"198.19.0.1", "2001:db8:2::1"};
    for (int f = 0; f < 2; f++) {
        if (icr_traceroute(dst[f], &o, &hops, &n) != 0)
            _exit(10 + f);
        if (n != 6)
            _exit(20 + f);
        for (int k = 1; k <= 5; k++) {
            router(f ? AF_INET6 : AF_INET, k, r, sizeof(r));
            if (hops[k - 1].distance != k ||
                strcmp(icr_addr_format(&hops[k - 1].host.address, b, sizeof(b)), r) != 0)
                _exit(30 + f);
        }
        if (strcmp(icr_addr_format(&hops[5].host.address, b, sizeof(b)), dst[f]) != 0)
            _exit(40 + f);
        icr_hops_free(hops, n);
    }
    /* A raw socket is refused, with icmplib's error. */
    o.privilege = ICR_PRIVILEGED;
    if (icr_traceroute(dst[0], &o, &hops, &n) != ICR_ESOCKPERM)
        _exit(50);
}

static void test_unprivileged(void **state) {
    (void)state;
    lab_as_nobody(unprivileged_child);
}

/* A silent route (blackholed at r1): nothing answers, the job waits the
 * timeout after the last probe and returns no hop, as icmplib does. */
static void test_silent(void **state) {
    (void)state;
    struct icr_trace_opts o = opts();
    struct icr_hop *hops = NULL;
    size_t n = 99;
    o.count = 1;
    o.max_hops = 4;
    o.timeout = 0.5;
    double t0 = now_s();
    assert_int_equal(icr_traceroute("203.0.113.130", &o, &hops, &n), 0);
    double dt = now_s() - t0;
    print_message("# silent: %zu hops in %.3f s\n", n, dt);
    assert_int_equal(n, 0);
    assert_true(dt >= 0.45 && dt < 2.0);
    icr_hops_free(hops, n);
}

static void *stopper(void *arg) {
    usleep(300000);
    icr_trace_stop(arg);
    return NULL;
}

struct partial {
    int calls, complete;
};

static void on_partial(const struct icr_trace_result *r, void *ud) {
    struct partial *p = ud;
    p->calls++;
    p->complete += r->complete;
}

static void *double_stopper(void *arg) {
    usleep(300000);
    icr_trace_stop(arg);
    usleep(100000);
    icr_trace_stop(arg);
    return NULL;
}

static void run_stopped(bool twice) {
    icr_targets *t = NULL;
    icr_trace *tr = NULL;
    struct icr_trace_opts o = opts();
    struct partial p = {0};
    pthread_t th;
    assert_int_equal(icr_targets_new(&t), 0);
    assert_int_equal(icr_targets_add(t, "203.0.113.128/30", ICR_TARGETS_KEEP_NETBCAST), 0);
    o.count = 50;
    o.interval = 0.1; /* 5 s of probes */
    o.timeout = twice ? 10 : 0.2;
    o.on_trace = on_partial;
    o.userdata = &p;
    assert_int_equal(icr_trace_new(t, &o, &tr), 0);
    double t0 = now_s();
    assert_int_equal(pthread_create(&th, NULL, twice ? double_stopper : stopper, tr), 0);
    assert_int_equal(icr_trace_run(tr), ICR_ESTOPPED);
    double dt = now_s() - t0;
    pthread_join(th, NULL);
    print_message("# stopped%s after %.3f s: %d routes, %d complete\n", twice ? " twice" : "", dt,
                  p.calls, p.complete);
    /* Twice: the 10 s timeout is cut; every route still handed over. */
    assert_true(dt < 2.0);
    assert_int_equal(p.calls, 4);
    assert_int_equal(p.complete, 0);
    icr_trace_free(tr);
    icr_targets_free(t);
}

static void test_stop(void **state) {
    (void)state;
    run_stopped(false);
    run_stopped(true);
}

/* Routers that quote only the IP header and 8 ICMP bytes (RFC 792): the hop
 * and probe number come from the tag in the sequence, checked by the MAC
 * bits in the id and the IPv4 id; the RTT from the engine's table of send
 * times.  The lab's forger answers each request of TTL t from
 * 198.51.100.(100 + t) while the responder itself stays silent. */
static void test_short_quotes(void **state) {
    (void)state;
    struct icr_trace_opts o = opts();
    struct icr_hop *hops = NULL;
    size_t n = 0;
    char file[] = "/tmp/icr-quote8-XXXXXX", want[32], b[ICR_ADDRSTRLEN];
    o.max_hops = 3;
    o.interval = 0.1;
    o.timeout = 3;
    lab("'%s' loss '%s' 100", getenv("ICR_LAB_BIN"), getenv("ICR_LAB"));
    lab_quote8_start(file, 6, 5, 11, 0, "198.51.100");
    double t0 = now_s();
    int r = icr_traceroute("198.18.5.9", &o, &hops, &n);
    double dt = now_s() - t0;
    lab_quiet("'%s' loss '%s' 0", getenv("ICR_LAB_BIN"), getenv("ICR_LAB"));
    unlink(file);
    assert_int_equal(r, 0);
    print_message("# 8-byte quotes: %zu hops in %.3f s\n", n, dt);
    assert_int_equal(n, 3);
    for (int k = 1; k <= 3; k++) {
        snprintf(want, sizeof(want), "198.51.100.%d", 100 + k);
        assert_int_equal(hops[k - 1].distance, k);
        assert_string_equal(icr_addr_format(&hops[k - 1].host.address, b, sizeof(b)), want);
        assert_int_equal(hops[k - 1].host.packets_received, 2);
        assert_true(hops[k - 1].host.min_rtt > 0); /* the send time was kept */
    }
    assert_true(dt < 2.5); /* every probe answered: the timeout is not waited */
    icr_hops_free(hops, n);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_route_v4),
        cmocka_unit_test(test_route_v6),
        cmocka_unit_test(test_unreachable),
        cmocka_unit_test(test_first_and_max_hops),
        cmocka_unit_test(test_fast),
        cmocka_unit_test(test_many_destinations),
        cmocka_unit_test(test_unprivileged),
        cmocka_unit_test(test_silent),
        cmocka_unit_test(test_stop),
        cmocka_unit_test(test_short_quotes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
