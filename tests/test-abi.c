/* test-abi.c - the extensible-struct rule of the public structs (the top
 * comment of icmpring.h), per struct family, through the public API:
 *  - an "old" caller: an input struct of the first published layout's size
 *    (built with offsetof: the offset of the first field appended since),
 *    followed by garbage the library must not read: accepted, and the
 *    missing fields take the INIT macro's values;
 *  - a "new" caller: sizeof + 8 zero bytes accepted, a non-zero byte there
 *    refused with ICR_EINVAL, and a size below the old layout refused;
 *  - output structs: written up to the caller's size and never past it
 *    (guard bytes), `size` set to what was written, 0 meaning ours.
 * Jobs are created and freed, never run: no packet leaves for them.  The
 * one test that sends (a socket's request and reply) does so on loopback
 * inside a network namespace of its own (unshare), and is skipped where
 * that namespace cannot be made (not root). */
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "icmpring.h"

#define GUARD 0xA5
#define EXTRA 8

/* The first published layouts (include/icmpring.h as of commit d593093):
 * computed here from the first appended field, independently of src/abi.h. */
#define OLD_SWEEP_OPTS offsetof(struct icr_sweep_opts, start_position)
#define OLD_SWEEP_STATS offsetof(struct icr_sweep_stats, rcvbuf)
#define OLD_MULTIPING_OPTS offsetof(struct icr_multiping_opts, seed)
#define OLD_TRACE_OPTS offsetof(struct icr_trace_opts, shards)
#define OLD_REPLY offsetof(struct icr_reply, mtu)

static bool private_netns; /* main() made one: loopback may carry packets */

/* A caller's buffer: its struct, then EXTRA bytes, then guard bytes. */
#define BUF(type) union { type s; unsigned char b[sizeof(type) + EXTRA + 32]; }

/* `bytes` of an INIT-initialised struct, the rest of the buffer `fill`. */
static void layout(void *buf, size_t bufsize, const void *init, size_t initsize, size_t bytes,
                   int fill) {
    memset(buf, fill, bufsize);
    memcpy(buf, init, bytes < initsize ? bytes : initsize);
    memcpy(buf, &bytes, sizeof(bytes));
}

static bool all(const unsigned char *p, size_t n, int v) {
    for (size_t i = 0; i < n; i++)
        if (p[i] != v)
            return false;
    return true;
}

static icr_targets *lo_targets(void) {
    icr_targets *t = NULL;
    assert_int_equal(icr_targets_new(&t), 0);
    assert_int_equal(icr_targets_add(t, "127.0.0.1", 0), 0);
    return t;
}

/* A job's privilege that this process can open: raw as root, else the
 * datagram sockets (skipped where ping_group_range refuses them too). */
static int privilege(void) { return geteuid() == 0 ? ICR_PRIVILEGED : ICR_UNPRIVILEGED; }

static void skip_on_perm(int r) {
    if (r == ICR_ESOCKPERM) {
        print_message("no ICMP socket permitted here: skipped\n");
        skip();
    }
}

/* Output stats: old size, size 0, a larger size, one below the old one. */
static void check_stats(int (*get)(const void *, struct icr_sweep_stats *), const void *job,
                        uint64_t targets) {
    BUF(struct icr_sweep_stats) u;
    const struct icr_sweep_stats zero = {0};

    layout(&u, sizeof(u), &zero, sizeof(zero), OLD_SWEEP_STATS, GUARD);
    assert_int_equal(get(job, &u.s), 0);
    assert_int_equal(u.s.size, OLD_SWEEP_STATS);
    assert_int_equal(u.s.targets, targets);
    assert_true(all(u.b + OLD_SWEEP_STATS, sizeof(u) - OLD_SWEEP_STATS, GUARD));

    layout(&u, sizeof(u), &zero, sizeof(zero), 0, GUARD);
    assert_int_equal(get(job, &u.s), 0);
    assert_int_equal(u.s.size, sizeof(struct icr_sweep_stats));
    assert_int_equal(u.s.targets, targets);
    assert_true(all(u.b + sizeof(u.s), sizeof(u) - sizeof(u.s), GUARD));

    layout(&u, sizeof(u), &zero, sizeof(zero), sizeof(u.s) + EXTRA, GUARD);
    assert_int_equal(get(job, &u.s), 0);
    assert_int_equal(u.s.size, sizeof(struct icr_sweep_stats));
    assert_int_equal(u.s.targets, targets);
    assert_true(all(u.b + sizeof(u.s), sizeof(u) - sizeof(u.s), GUARD));

    memset(&u, GUARD, sizeof(u));
    u.s.size = OLD_SWEEP_STATS - 1;
    assert_int_equal(get(job, &u.s), ICR_EINVAL);
    assert_int_equal(u.s.size, OLD_SWEEP_STATS - 1);
    assert_true(all(u.b + sizeof(size_t), sizeof(u) - sizeof(size_t), GUARD));
}

static int sweep_stats(const void *j, struct icr_sweep_stats *st) { return icr_sweep_get_stats(j, st); }
static int mp_stats(const void *j, struct icr_sweep_stats *st) { return icr_multiping_get_stats(j, st); }
static int trace_stats(const void *j, struct icr_sweep_stats *st) { return icr_trace_get_stats(j, st); }

static void test_sweep(void **state) {
    (void)state;
    const struct icr_sweep_opts init = ICR_SWEEP_OPTS_INIT;
    BUF(struct icr_sweep_opts) u;
    icr_targets *t = lo_targets();
    icr_sweep *s = NULL;
    uint64_t pos = 99;

    /* Old: start_position (past the old size) reads as its default 0, not
     * as the guard bytes that follow the caller's struct. */
    layout(&u, sizeof(u), &init, sizeof(init), OLD_SWEEP_OPTS, GUARD);
    u.s.privilege = privilege();
    int r = icr_sweep_new(t, &u.s, &s);
    skip_on_perm(r);
    assert_int_equal(r, 0);
    assert_int_equal(icr_sweep_get_position(s, &pos), 0);
    assert_int_equal(pos, 0);
    assert_true(all(u.b + OLD_SWEEP_OPTS, sizeof(u) - OLD_SWEEP_OPTS, GUARD));
    check_stats(sweep_stats, s, 1);
    /* Exactly the old size on the heap: under ASan, a read or write past
     * it fails the test. */
    void *old_st = malloc(OLD_SWEEP_STATS);
    const size_t old_size = OLD_SWEEP_STATS;
    assert_non_null(old_st);
    memcpy(old_st, &old_size, sizeof(old_size));
    assert_int_equal(icr_sweep_get_stats(s, old_st), 0);
    free(old_st);
    s = icr_sweep_free(s);
    void *old = malloc(OLD_SWEEP_OPTS);
    assert_non_null(old);
    memcpy(old, &u, OLD_SWEEP_OPTS);
    assert_int_equal(icr_sweep_new(t, old, &s), 0);
    free(old);
    s = icr_sweep_free(s);

    /* New: zero extra bytes are fine, a non-zero one is not. */
    layout(&u, sizeof(u), &init, sizeof(init), sizeof(init) + EXTRA, 0);
    u.s.privilege = privilege();
    u.s.start_position = 0;
    assert_int_equal(icr_sweep_new(t, &u.s, &s), 0);
    s = icr_sweep_free(s);
    u.b[sizeof(init) + EXTRA - 1] = 1;
    assert_int_equal(icr_sweep_new(t, &u.s, &s), ICR_EINVAL);
    assert_null(s);

    /* Below the old layout. */
    layout(&u, sizeof(u), &init, sizeof(init), OLD_SWEEP_OPTS - 1, 0);
    u.s.privilege = privilege();
    assert_int_equal(icr_sweep_new(t, &u.s, &s), ICR_EINVAL);
    assert_null(s);
    icr_targets_free(t);
}

static void test_multiping(void **state) {
    (void)state;
    const struct icr_multiping_opts init = ICR_MULTIPING_OPTS_INIT;
    BUF(struct icr_multiping_opts) u;
    struct icr_addr a[2];
    icr_multiping_job *m = NULL;
    uint64_t pos = 99;
    assert_int_equal(icr_addr_parse("127.0.0.1", &a[0]), 0);
    a[1] = a[0];

    /* Old: shards/shard/seed/start_position from the INIT macro (guard
     * bytes as shards would be refused: shards > 1 without a seed). */
    layout(&u, sizeof(u), &init, sizeof(init), OLD_MULTIPING_OPTS, GUARD);
    u.s.privilege = privilege();
    int r = icr_multiping_new(a, 2, &u.s, &m);
    skip_on_perm(r);
    assert_int_equal(r, 0);
    assert_int_equal(icr_multiping_get_position(m, &pos), 0);
    assert_int_equal(pos, 0);
    check_stats(mp_stats, m, 2);
    icr_multiping_job *m2 = NULL;
    void *old = malloc(OLD_MULTIPING_OPTS); /* exact: see test_sweep */
    assert_non_null(old);
    memcpy(old, &u, OLD_MULTIPING_OPTS);
    assert_int_equal(icr_multiping_new(a, 2, old, &m2), 0);
    free(old);
    m2 = icr_multiping_free(m2);

    /* Hosts the caller allocates: written up to its size, never past it. */
    BUF(struct icr_host) h;
    memset(&h, GUARD, sizeof(h));
    h.s.size = sizeof(h.s) + EXTRA;
    assert_int_equal(icr_multiping_get_host(m, 1, &h.s), 0);
    assert_int_equal(h.s.size, sizeof(struct icr_host));
    assert_true(icr_addr_equal(&h.s.address, &a[1]));
    assert_int_equal(h.s.packets_sent, 0);
    assert_true(all(h.b + sizeof(h.s), sizeof(h) - sizeof(h.s), GUARD));
    free(h.s.rtts);
    memset(&h, GUARD, sizeof(h));
    h.s.size = 0;
    assert_int_equal(icr_multiping_get_host(m, 0, &h.s), 0);
    assert_int_equal(h.s.size, sizeof(struct icr_host));
    assert_true(all(h.b + sizeof(h.s), sizeof(h) - sizeof(h.s), GUARD));
    free(h.s.rtts);
    memset(&h, GUARD, sizeof(h));
    h.s.size = sizeof(h.s) - 1;
    assert_int_equal(icr_multiping_get_host(m, 0, &h.s), ICR_EINVAL);
    assert_true(all(h.b + sizeof(size_t), sizeof(h) - sizeof(size_t), GUARD));
    m = icr_multiping_free(m);

    /* New: zero extra bytes are fine, a non-zero one is not. */
    layout(&u, sizeof(u), &init, sizeof(init), sizeof(init) + EXTRA, 0);
    u.s.privilege = privilege();
    u.s.shards = 1;
    assert_int_equal(icr_multiping_new(a, 2, &u.s, &m), 0);
    m = icr_multiping_free(m);
    u.b[sizeof(init)] = 1;
    assert_int_equal(icr_multiping_new(a, 2, &u.s, &m), ICR_EINVAL);
    assert_null(m);
    /* The blocking calls check before resolving or probing anything. */
    struct icr_host *hosts = NULL;
    const char *name = "127.0.0.1";
    assert_int_equal(icr_multiping(&name, 1, &u.s, &hosts), ICR_EINVAL);
    assert_int_equal(icr_ping(name, &u.s, &hosts), ICR_EINVAL);
    assert_null(hosts);

    layout(&u, sizeof(u), &init, sizeof(init), OLD_MULTIPING_OPTS - 1, 0);
    u.s.privilege = privilege();
    assert_int_equal(icr_multiping_new(a, 2, &u.s, &m), ICR_EINVAL);
    assert_int_equal(icr_ping(name, &u.s, &hosts), ICR_EINVAL);
    assert_null(m);
}

static void test_trace(void **state) {
    (void)state;
    const struct icr_trace_opts init = ICR_TRACE_OPTS_INIT;
    BUF(struct icr_trace_opts) u;
    icr_targets *t = lo_targets();
    icr_trace *tr = NULL;
    uint64_t pos = 99;

    layout(&u, sizeof(u), &init, sizeof(init), OLD_TRACE_OPTS, GUARD);
    u.s.privilege = privilege();
    int r = icr_trace_new(t, &u.s, &tr);
    skip_on_perm(r);
    assert_int_equal(r, 0);
    assert_int_equal(icr_trace_get_position(tr, &pos), 0);
    assert_int_equal(pos, 0);
    check_stats(trace_stats, tr, 30);
    tr = icr_trace_free(tr);
    void *old = malloc(OLD_TRACE_OPTS); /* exact: see test_sweep */
    assert_non_null(old);
    memcpy(old, &u, OLD_TRACE_OPTS);
    assert_int_equal(icr_trace_new(t, old, &tr), 0);
    free(old);
    tr = icr_trace_free(tr);

    layout(&u, sizeof(u), &init, sizeof(init), sizeof(init) + EXTRA, 0);
    u.s.privilege = privilege();
    u.s.shards = 1;
    assert_int_equal(icr_trace_new(t, &u.s, &tr), 0);
    tr = icr_trace_free(tr);
    u.b[sizeof(init) + 3] = 1;
    assert_int_equal(icr_trace_new(t, &u.s, &tr), ICR_EINVAL);
    struct icr_hop *hops = NULL;
    size_t n = 0;
    assert_int_equal(icr_traceroute("127.0.0.1", &u.s, &hops, &n), ICR_EINVAL);

    layout(&u, sizeof(u), &init, sizeof(init), OLD_TRACE_OPTS - 1, 0);
    u.s.privilege = privilege();
    assert_int_equal(icr_trace_new(t, &u.s, &tr), ICR_EINVAL);
    assert_int_equal(icr_traceroute("127.0.0.1", &u.s, &hops, &n), ICR_EINVAL);
    assert_null(tr);
    assert_null(hops);
    icr_targets_free(t);
}

/* Sockets, requests and replies: socket opts and requests have had no
 * field appended, so their old layout is sizeof; replies gained mtu. */
static void test_socket(void **state) {
    (void)state;
    const struct icr_socket_opts init = ICR_SOCKET_OPTS_INIT;
    BUF(struct icr_socket_opts) u;
    icr_socket *so = NULL;

    layout(&u, sizeof(u), &init, sizeof(init), sizeof(init) + EXTRA, 0);
    u.s.privilege = privilege();
    int r = icr_socket_open(&u.s, &so);
    skip_on_perm(r);
    assert_int_equal(r, 0);
    so = icr_socket_free(so);
    u.b[sizeof(init) + EXTRA - 1] = 1;
    assert_int_equal(icr_socket_open(&u.s, &so), ICR_EINVAL);
    layout(&u, sizeof(u), &init, sizeof(init), sizeof(init) - 1, 0);
    u.s.privilege = privilege();
    assert_int_equal(icr_socket_open(&u.s, &so), ICR_EINVAL);
    assert_null(so);

    layout(&u, sizeof(u), &init, sizeof(init), sizeof(init), 0);
    u.s.privilege = privilege();
    assert_int_equal(icr_socket_open(&u.s, &so), 0);

    /* Checks that need no packet: a receive that times out at once. */
    const struct icr_request rinit = ICR_REQUEST_INIT;
    const struct icr_reply pinit = ICR_REPLY_INIT;
    BUF(struct icr_request) q;
    BUF(struct icr_reply) p;
    layout(&q, sizeof(q), &rinit, sizeof(rinit), sizeof(rinit) + EXTRA, 0);
    assert_int_equal(icr_addr_parse("127.0.0.1", &q.s.destination), 0);
    layout(&p, sizeof(p), &pinit, sizeof(pinit), sizeof(pinit) + EXTRA, GUARD);
    assert_int_equal(icr_socket_receive(so, &q.s, 0, &p.s), ICR_ETIMEOUT);
    q.b[sizeof(rinit)] = 1;
    assert_int_equal(icr_socket_receive(so, &q.s, 0, &p.s), ICR_EINVAL);
    assert_int_equal(icr_socket_send(so, &q.s), ICR_EINVAL);
    q.b[sizeof(rinit)] = 0;
    q.s.size = sizeof(rinit) - 1;
    assert_int_equal(icr_socket_receive(so, &q.s, 0, &p.s), ICR_EINVAL);
    assert_int_equal(icr_socket_send(so, &q.s), ICR_EINVAL);
    q.s.size = sizeof(rinit) + EXTRA;
    p.s.size = OLD_REPLY - 1;
    assert_int_equal(icr_socket_receive(so, &q.s, 0, &p.s), ICR_EINVAL);
    assert_int_equal(icr_socket_receive(so, NULL, 0, &p.s), ICR_EINVAL);
    p.s.size = OLD_REPLY;
    assert_int_equal(icr_socket_receive(so, &q.s, 0, &p.s), ICR_ETIMEOUT);

    if (!private_netns) {
        icr_socket_free(so);
        print_message("no network namespace of our own (not root): send/receive skipped\n");
        skip();
    }
    /* A request of a newer caller (zero tail) is sent; its reply lands in a
     * newer caller's reply struct, written up to our size only. */
    q.s.time_ns = 0;
    q.s.sequence = 7;
    assert_int_equal(icr_socket_send(so, &q.s), 0);
    assert_true(q.s.time_ns > 0);
    assert_true(all(q.b + sizeof(rinit), EXTRA, 0));
    layout(&p, sizeof(p), &pinit, sizeof(pinit), sizeof(pinit) + EXTRA, GUARD);
    assert_int_equal(icr_socket_receive(so, &q.s, 2.0, &p.s), 0);
    assert_int_equal(p.s.size, sizeof(struct icr_reply));
    assert_int_equal(p.s.sequence, 7);
    assert_true(p.s.payload_matches);
    assert_true(all(p.b + sizeof(pinit), sizeof(p) - sizeof(pinit), GUARD));

    /* An old caller's reply (before mtu): nothing written past it. */
    q.s.sequence = 8;
    assert_int_equal(icr_socket_send(so, &q.s), 0);
    layout(&p, sizeof(p), &pinit, sizeof(pinit), OLD_REPLY, GUARD);
    assert_int_equal(icr_socket_receive(so, &q.s, 2.0, &p.s), 0);
    assert_int_equal(p.s.size, OLD_REPLY);
    assert_int_equal(p.s.sequence, 8);
    assert_true(p.s.payload_matches);
    assert_true(all(p.b + OLD_REPLY, sizeof(p) - OLD_REPLY, GUARD));
    icr_socket_free(so);
}

/* A network namespace of this process's own with loopback up: packets to
 * 127.0.0.1 then never leave it, and it goes away with the process. */
static bool own_netns(void) {
    if (unshare(CLONE_NEWNET) < 0)
        return false;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq ifr = {0};
    strcpy(ifr.ifr_name, "lo");
    bool ok = fd >= 0 && ioctl(fd, SIOCGIFFLAGS, &ifr) == 0;
    ifr.ifr_flags |= IFF_UP;
    ok = ok && ioctl(fd, SIOCSIFFLAGS, &ifr) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

int main(void) {
    private_netns = own_netns();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sweep),
        cmocka_unit_test(test_multiping),
        cmocka_unit_test(test_trace),
        cmocka_unit_test(test_socket),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
