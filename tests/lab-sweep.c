/* lab-sweep.c - lab tests of the io_uring engine and the sweep job against
 * the real kernel, inside the prober namespace of an icmpring-lab lab:
 * hits, both receive paths, IPv6, forged and replayed replies, duplicates,
 * loss, rate, stop, embedding through get_fd/step, ICMP errors and size. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "icmpring.h"
#include "lab-util.h"

struct collect {
    uint64_t results, echo, error, dup;
    uint8_t *seen;     /* one byte per target index */
    uint8_t *probes;   /* per target: bit p set when probe p's reply came */
    uint64_t n;
    uint64_t outside;  /* results whose target is not where the index says */
    uint64_t bad_rtt;
    int last_type, last_code;
    struct icr_addr last_responder;
};

static void on_result(const struct icr_result *r, void *ud) {
    struct collect *c = ud;
    struct icr_addr a;
    c->results++;
    if (r->duplicate)
        c->dup++;
    else if (r->kind == ICR_RESULT_ECHO)
        c->echo++;
    else
        c->error++;
    c->last_type = r->type;
    c->last_code = r->code;
    c->last_responder = r->responder;
    if (r->index < c->n) {
        c->seen[r->index]++;
        if (r->kind == ICR_RESULT_ECHO && r->probe < 8)
            c->probes[r->index] |= (uint8_t)(1u << r->probe);
    }
    if (r->index >= c->n || icr_targets_get(NULL, 0, &a) != ICR_EINVAL)
        c->outside++;
    if (r->kind == ICR_RESULT_ECHO && (r->rtt_ns <= 0 || r->rtt_ns > 5000000000LL))
        c->bad_rtt++;
}

static icr_targets *targets(const char *first, ...) {
    icr_targets *t = NULL;
    va_list ap;
    assert_int_equal(icr_targets_new(&t), 0);
    va_start(ap, first);
    for (const char *s = first; s; s = va_arg(ap, const char *))
        assert_int_equal(icr_targets_add(t, s, 0), 0);
    va_end(ap);
    return t;
}

static void collect_init(struct collect *c, icr_targets *t) {
    *c = (struct collect){.n = icr_targets_count(t)};
    c->seen = calloc(c->n, 1);
    c->probes = calloc(c->n, 1);
    assert_non_null(c->seen);
    assert_non_null(c->probes);
}

/* Run a sweep to completion; returns run()'s code. */
static int sweep(icr_targets *t, struct icr_sweep_opts *o, struct collect *c,
                 struct icr_sweep_stats *st) {
    icr_sweep *s = NULL;
    o->on_result = on_result;
    o->userdata = c;
    assert_int_equal(icr_sweep_new(t, o, &s), 0);
    int r = icr_sweep_run(s);
    st->size = sizeof(*st);
    assert_int_equal(icr_sweep_get_stats(s, st), 0);
    /* Every reported echo result has its bit set in the matcher. */
    for (uint64_t i = 0; i < c->n; i++)
        if (c->seen[i])
            assert_true(icr_sweep_is_alive(s, i) == 1 || c->error);
    icr_sweep_free(s);
    return r;
}

/* Run a sweep and, once its first probes are out, run `cmd` to completion
 * (the sweep waits meanwhile: what arrives queues in its socket), then
 * finish the sweep.  Deterministic, whatever the machine's load. */
static int sweep_around(icr_targets *t, struct icr_sweep_opts *o, struct collect *c,
                        struct icr_sweep_stats *st, const char *cmd) {
    icr_sweep *s = NULL;
    int r;
    o->on_result = on_result;
    o->userdata = c;
    assert_int_equal(icr_sweep_new(t, o, &s), 0);
    st->size = sizeof(*st);
    do {
        r = icr_sweep_step(s, 10000000);
        assert_int_equal(icr_sweep_get_stats(s, st), 0);
    } while (r == 1 && st->sent < 10);
    assert_int_equal(r, 1);
    if (system(cmd) != 0)
        fail_msg("lab command failed: %s", cmd);
    while ((r = icr_sweep_step(s, 50000000)) == 1)
        ;
    assert_int_equal(icr_sweep_get_stats(s, st), 0);
    icr_sweep_free(s);
    return r;
}

/* ICR_TEST_SINGLE_RECV=1 runs every sweep here on the one-shot receive
 * path (meson runs this file twice, once per path). */
static unsigned path_flags(void) {
    const char *e = getenv("ICR_TEST_SINGLE_RECV");
    return e && *e == '1' ? ICR_SWEEP_SINGLE_RECV : 0;
}

static struct icr_sweep_opts quick_opts(void) {
    struct icr_sweep_opts o = ICR_SWEEP_OPTS_INIT;
    o.rate = 0;
    o.cooldown = 0.5;
    o.flags = path_flags();
    return o;
}

static void expect_all(const struct collect *c, const struct icr_sweep_stats *st) {
    assert_int_equal(c->echo, c->n);
    assert_int_equal(st->hits, c->n);
    assert_int_equal(c->outside, 0);
    assert_int_equal(c->bad_rtt, 0);
    for (uint64_t i = 0; i < c->n; i++)
        assert_int_equal(c->seen[i], 1);
    assert_int_equal(st->invalid, 0);
    assert_true(st->done);
}

static void run_basic(unsigned flags, bool want_multishot) {
    icr_targets *t = targets("198.18.0.0/24", NULL);
    struct collect c;
    struct icr_sweep_stats st;
    struct icr_sweep_opts o = quick_opts();
    o.flags = flags;
    o.ttl = 3; /* enough for the responder one hop away */
    collect_init(&c, t);
    assert_int_equal(c.n, 254);
    assert_int_equal(sweep(t, &o, &c, &st), 0);
    expect_all(&c, &st);
    assert_int_equal(st.sent, 254);
    assert_int_equal(st.multishot, want_multishot);
    free(c.seen);
    free(c.probes);
    icr_targets_free(t);
}

static void test_basic_multishot(void **state) {
    (void)state;
    run_basic(0, true);
}

static void test_basic_single_recv(void **state) {
    (void)state;
    run_basic(ICR_SWEEP_SINGLE_RECV, false);
}

static void test_two_senders(void **state) {
    (void)state;
    /* The helper thread and the stepping thread share one pass: every
     * target probed exactly once between them, every reply matched. */
    icr_targets *t = targets("198.18.32.0/20", "2001:db8:1::5:0/116", NULL);
    struct collect c;
    struct icr_sweep_stats st;
    struct icr_sweep_opts o = quick_opts();
    o.senders = 2;
    /* With chosen sources: the helper's sockets must use them too. */
    assert_int_equal(icr_addr_parse(getenv("ICR_LAB_PRB4"), &o.source4), 0);
    assert_int_equal(icr_addr_parse(getenv("ICR_LAB_PRB6"), &o.source6), 0);
    collect_init(&c, t);
    assert_int_equal(sweep(t, &o, &c, &st), 0);
    assert_int_equal(st.senders, 2);
    assert_int_equal(st.sent, c.n);
    assert_int_equal(st.duplicates, 0);
    expect_all(&c, &st);
    free(c.seen);
    free(c.probes);
    /* Three passes: each target gets exactly three probes, numbered 0-2.
     * Duplicates are per (target, probe): the first reply to each probe is
     * news, so nothing here is a duplicate. */
    collect_init(&c, t);
    o.count = 3;
    o.interval = 0.05;
    o.flags |= ICR_SWEEP_ALL_REPLIES;
    assert_int_equal(sweep(t, &o, &c, &st), 0);
    assert_int_equal(st.senders, 2);
    assert_int_equal(st.sent, 3 * c.n);
    assert_int_equal(st.replies, 3 * c.n);
    assert_int_equal(st.hits, c.n);
    assert_int_equal(c.echo, 3 * c.n);
    assert_int_equal(c.dup, 0);
    assert_int_equal(st.duplicates, 0);
    assert_int_equal(c.outside, 0);
    assert_int_equal(st.invalid, 0);
    for (uint64_t i = 0; i < c.n; i++)
        assert_int_equal(c.probes[i], 7); /* probes 0, 1 and 2, each once */
    free(c.seen);
    free(c.probes);
    icr_targets_free(t);
}

static void test_ipv6_and_mixed(void **state) {
    (void)state;
    icr_targets *t = targets("2001:db8:1::/120", "198.19.3.0/28", "2001:db8:2::/124", NULL);
    struct collect c;
    struct icr_sweep_stats st;
    struct icr_sweep_opts o = quick_opts();
    collect_init(&c, t);
    assert_int_equal(c.n, 256 + 14 + 16);
    assert_int_equal(sweep(t, &o, &c, &st), 0);
    expect_all(&c, &st);
    free(c.seen);
    free(c.probes);
    icr_targets_free(t);
}

static void test_hop_limit_v6(void **state) {
    (void)state;
    /* The hop limit travels with each IPv6 message: 2 dies at r2, whose
     * Time Exceeded quotes the probe; 64 reaches the far responder. */
    icr_targets *t = targets("2001:db8:2::1-2001:db8:2::4", NULL);
    struct collect c;
    struct icr_sweep_stats st;
    struct icr_sweep_opts o = quick_opts();
    o.ttl = 2;
    collect_init(&c, t);
    assert_int_equal(sweep(t, &o, &c, &st), 0);
    assert_int_equal(st.hits, 0);
    assert_int_equal(c.error, 4);
    assert_int_equal(c.last_type, 3); /* ICMPv6 Time Exceeded */
    struct icr_addr r2;
    assert_int_equal(icr_addr_parse(getenv("ICR_LAB_R2_6"), &r2), 0);
    assert_true(icr_addr_equal(&c.last_responder, &r2));
    free(c.seen);
    free(c.probes);
    collect_init(&c, t);
    o.ttl = 64;
    assert_int_equal(sweep(t, &o, &c, &st), 0);
    assert_int_equal(st.hits, 4);
    free(c.seen);
    free(c.probes);
    icr_targets_free(t);
}

static void unprivileged_child(void) {
    /* As uid/gid 65534: no raw sockets, so ICMP datagram sockets; the
     * kernel owns the id, the MAC lives in sequence and payload. */
    icr_targets *t = NULL;
    icr_sweep *s = NULL;
    struct icr_sweep_opts o = quick_opts();
    struct icr_sweep_stats st = {.size = sizeof(st)};
    if (icr_targets_new(&t) < 0 || icr_targets_add(t, "198.18.10.0/24", 0) < 0 ||
        icr_targets_add(t, "2001:db8:1::a:0/120", 0) < 0)
        _exit(10);
    o.privilege = ICR_PRIVILEGED;
    if (icr_sweep_new(t, &o, &s) != ICR_ESOCKPERM)
        _exit(11);
    o.privilege = ICR_PRIV_AUTO;
    if (icr_sweep_new(t, &o, &s) < 0)
        _exit(12);
    if (icr_sweep_run(s) != 0 || icr_sweep_get_stats(s, &st) < 0)
        _exit(13);
    if (st.hits != 254 + 256 || st.invalid != 0)
        _exit(14);
    icr_sweep_free(s);
    icr_targets_free(t);
    /* Errors come through the datagram sockets' error queues. */
    if (icr_targets_new(&t) < 0 || icr_targets_add(t, "203.0.113.1-203.0.113.4", 0) < 0 ||
        icr_targets_add(t, "2001:db8:e:1::1-2001:db8:e:1::4", 0) < 0)
        _exit(15);
    if (icr_sweep_new(t, &o, &s) < 0 || icr_sweep_run(s) != 0 || icr_sweep_get_stats(s, &st) < 0)
        _exit(16);
    if (st.errors != 8 || st.hits != 0 || st.invalid != 0)
        _exit(17);
    icr_sweep_free(s);
    icr_targets_free(t);
    _exit(0);
}

static void test_unprivileged(void **state) {
    (void)state;
    lab_as_nobody(unprivileged_child);
}

static void test_count_and_all_replies(void **state) {
    (void)state;
    /* Three probes each, spaced by the interval; with ALL_REPLIES every
     * probe's first reply is reported, and none is a duplicate (they are
     * per probe, not per target). */
    icr_targets *t = targets("198.18.1.0/28", NULL);
    struct collect c;
    struct icr_sweep_stats st;
    struct icr_sweep_opts o = quick_opts();
    o.count = 3;
    o.interval = 0.1;
    o.flags |= ICR_SWEEP_ALL_REPLIES;
    collect_init(&c, t);
    assert_int_equal(sweep(t, &o, &c, &st), 0);
    assert_int_equal(st.sent, 14 * 3);
    assert_int_equal(st.hits, 14);
    assert_int_equal(st.replies, 42);
    assert_int_equal(c.echo, 42);
    assert_int_equal(c.dup, 0);
    assert_int_equal(st.duplicates, 0);
    assert_true(st.elapsed_ns >= 200000000); /* two intervals at least */
    free(c.seen);
    free(c.probes);
    icr_targets_free(t);
}

static void lab(const char *fmt, ...) {
    char cmd[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    int r = system(cmd);
    if (r != 0)
        fail_msg("lab command failed (%d): %s", r, cmd);
}

static void test_errors(void **state) {
    (void)state;
    /* An unreachable prefix: errors from r1, no hit.  Four targets only:
     * Linux sends route errors (ip_error) through a per-peer token bucket
     * of net.ipv4.route.error_burst = 5 tokens, refilled one per second,
     * a host-wide sysctl the lab must not touch. */
    icr_targets *t = targets("203.0.113.1-203.0.113.4", NULL);
    struct collect c;
    struct icr_sweep_stats st;
    struct icr_sweep_opts o = quick_opts();
    collect_init(&c, t);
    assert_int_equal(sweep(t, &o, &c, &st), 0);
    assert_int_equal(st.hits, 0);
    assert_int_equal(c.error, 4);
    assert_int_equal(st.errors, 4);
    assert_int_equal(c.last_type, 3);
    assert_int_equal(c.last_code, 1);
    struct icr_addr r1;
    assert_int_equal(icr_addr_parse(getenv("ICR_LAB_R1_4"), &r1), 0);
    assert_true(icr_addr_equal(&c.last_responder, &r1));
    free(c.seen);
    free(c.probes);
    icr_targets_free(t);
}

static void test_forged(void **state) {
    (void)state;
    /* Forged Echo Replies from the responder's namespace: random id,
     * sequence and MACs, from probed-but-silent targets, from probed live
     * targets, and from never-probed addresses.  None may be reported. */
    icr_targets *t = targets("198.18.5.0/24", "203.0.113.128/27", NULL);
    struct collect c;
    struct icr_sweep_stats st;
    struct icr_sweep_opts o = quick_opts();
    char cmd[1024];
    o.rate = 300;
    snprintf(cmd, sizeof(cmd), "'%s' exec '%s' rsp -- '%s' forge %s 3000 203.0.113 198.18.5 "
             "198.18.9 >/dev/null",
             getenv("ICR_LAB_BIN"), getenv("ICR_LAB"), getenv("ICR_FORGE"), getenv("ICR_LAB_PRB4"));
    collect_init(&c, t);
    assert_int_equal(sweep_around(t, &o, &c, &st, cmd), 0);
    assert_int_equal(st.hits, 254);
    assert_int_equal(c.echo, 254);
    for (uint64_t i = 254; i < c.n; i++) /* the silent 203.0.113.x targets */
        assert_int_equal(c.seen[i], 0);
    assert_int_equal(c.outside, 0);
    /* All 3000 were sent while the sweep listened; a few may be lost to a
     * full buffer, none may be taken for a reply. */
    assert_true(st.invalid >= 2900);
    assert_int_equal(st.duplicates, 0);
    free(c.seen);
    free(c.probes);
    icr_targets_free(t);
}

static void test_replayed(void **state) {
    (void)state;
    /* Record the requests of one sweep at the responder, then replay their
     * replies during a second sweep of the same targets (another key). */
    icr_targets *t = targets("198.18.6.0/24", NULL);
    struct collect c;
    struct icr_sweep_stats st;
    struct icr_sweep_opts o = quick_opts();
    char file[] = "/tmp/icr-replay-XXXXXX", ready[64], cmd[1024];
    int fd = mkstemp(file);
    assert_true(fd >= 0);
    close(fd);
    snprintf(ready, sizeof(ready), "%s.ready", file);
    lab("'%s' exec '%s' rsp -- '%s' record %s 254 20 >/dev/null 2>&1 &", getenv("ICR_LAB_BIN"),
        getenv("ICR_LAB"), getenv("ICR_FORGE"), file);
    for (int i = 0; i < 200 && access(ready, F_OK) != 0; i++) /* the recorder listens */
        usleep(50000);
    assert_int_equal(access(ready, F_OK), 0);
    collect_init(&c, t);
    o.rate = 2000;
    assert_int_equal(sweep(t, &o, &c, &st), 0);
    assert_int_equal(st.hits, 254);
    free(c.seen);
    free(c.probes);
    for (int i = 0; i < 200 && access(ready, F_OK) == 0; i++) /* it removes it when done */
        usleep(50000);
    assert_int_not_equal(access(ready, F_OK), 0);

    collect_init(&c, t);
    o.rate = 300;
    snprintf(cmd, sizeof(cmd), "'%s' exec '%s' rsp -- '%s' replay %s %s >/dev/null",
             getenv("ICR_LAB_BIN"), getenv("ICR_LAB"), getenv("ICR_FORGE"), file,
             getenv("ICR_LAB_PRB4"));
    assert_int_equal(sweep_around(t, &o, &c, &st, cmd), 0);
    assert_int_equal(st.hits, 254);
    assert_int_equal(c.echo, 254);
    assert_true(st.invalid >= 250);     /* the replays */
    assert_int_equal(st.duplicates, 0); /* none taken for a second reply */
    unlink(file);
    free(c.seen);
    free(c.probes);
    icr_targets_free(t);
}

static void test_duplicated(void **state) {
    (void)state;
    icr_targets *t = targets("198.18.7.0/24", NULL);
    struct collect c;
    struct icr_sweep_stats st;
    struct icr_sweep_opts o = quick_opts();
    lab("'%s' dup '%s' on", getenv("ICR_LAB_BIN"), getenv("ICR_LAB"));
    collect_init(&c, t);
    int r = sweep(t, &o, &c, &st);
    lab("'%s' dup '%s' off", getenv("ICR_LAB_BIN"), getenv("ICR_LAB"));
    assert_int_equal(r, 0);
    expect_all(&c, &st);          /* each host reported once */
    assert_true(st.duplicates >= 250); /* and the copies were seen */
    free(c.seen);
    free(c.probes);
    icr_targets_free(t);
}

static void test_loss(void **state) {
    (void)state;
    /* 20% of replies dropped, three probes: a host is missed only if all
     * three replies are lost (0.8%); we ask for 99%.  A /16, because on a
     * /20 (4094 hosts, 33 +- 6 expected misses) 99% fails by chance one
     * run in a dozen; here the margin is over five standard deviations. */
    icr_targets *t = targets("198.18.0.0/16", NULL);
    struct collect c;
    struct icr_sweep_stats st;
    struct icr_sweep_opts o = quick_opts();
    o.count = 3;
    o.interval = 0.2;
    lab("'%s' loss '%s' 20", getenv("ICR_LAB_BIN"), getenv("ICR_LAB"));
    collect_init(&c, t);
    int r = sweep(t, &o, &c, &st);
    lab("'%s' loss '%s' 0", getenv("ICR_LAB_BIN"), getenv("ICR_LAB"));
    assert_int_equal(r, 0);
    print_message("# loss 20%%, count 3: %llu of %llu found, %llu replies\n",
                  (unsigned long long)st.hits, (unsigned long long)c.n,
                  (unsigned long long)st.replies);
    assert_true(st.hits * 100 >= c.n * 99);
    assert_true(st.hits < c.n || st.replies < 3 * c.n); /* the loss did happen */
    assert_true(st.replies < 3 * c.n * 9 / 10);
    free(c.seen);
    free(c.probes);
    icr_targets_free(t);
}

static int64_t mono_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void test_rate(void **state) {
    (void)state;
    /* 1000 pps held over 3 s, within 5%. */
    icr_targets *t = targets("198.18.0.0/16", NULL);
    struct icr_sweep_opts o = ICR_SWEEP_OPTS_INIT;
    struct icr_sweep_stats st = {.size = sizeof(st)};
    icr_sweep *s = NULL;
    o.flags = path_flags();
    o.rate = 1000;
    o.cooldown = 0.2;
    assert_int_equal(icr_sweep_new(t, &o, &s), 0);
    int64_t start = mono_ns();
    uint64_t at1 = 0;
    while (mono_ns() - start < 3000000000LL) {
        assert_int_equal(icr_sweep_step(s, 10000000), 1);
        if (!at1 && mono_ns() - start >= 1000000000LL) {
            assert_int_equal(icr_sweep_get_stats(s, &st), 0);
            at1 = st.sent;
        }
    }
    assert_int_equal(icr_sweep_get_stats(s, &st), 0);
    print_message("# rate 1000: %llu sent in 3 s, %llu in the first second\n",
                  (unsigned long long)st.sent, (unsigned long long)at1);
    assert_true(st.sent >= 2850 && st.sent <= 3150);
    assert_true(at1 >= 950 && at1 <= 1050 + 128);
    icr_sweep_stop(s);
    int r;
    while ((r = icr_sweep_step(s, 10000000)) == 1)
        ;
    assert_int_equal(r, ICR_ESTOPPED);
    icr_sweep_free(s);
    icr_targets_free(t);
}

static void *stopper(void *arg) {
    usleep(300000);
    icr_sweep_stop(arg);
    return NULL;
}

static void test_stop_from_thread(void **state) {
    (void)state;
    icr_targets *t = targets("198.18.0.0/16", NULL);
    struct collect c;
    struct icr_sweep_opts o = ICR_SWEEP_OPTS_INIT;
    struct icr_sweep_stats st = {.size = sizeof(st)};
    icr_sweep *s = NULL;
    pthread_t th;
    o.flags = path_flags();
    o.rate = 2000;
    o.cooldown = 0.3;
    collect_init(&c, t);
    o.on_result = on_result;
    o.userdata = &c;
    assert_int_equal(icr_sweep_new(t, &o, &s), 0);
    assert_int_equal(pthread_create(&th, NULL, stopper, s), 0);
    assert_int_equal(icr_sweep_run(s), ICR_ESTOPPED);
    pthread_join(th, NULL);
    assert_int_equal(icr_sweep_get_stats(s, &st), 0);
    assert_true(st.sent > 100 && st.sent < 5000);
    /* Everything sent before the stop was answered and reported. */
    assert_int_equal(c.echo, st.sent);
    assert_int_equal(st.hits, st.sent);
    icr_sweep_free(s);
    free(c.seen);
    free(c.probes);
    icr_targets_free(t);
}

static void test_embedded_loop(void **state) {
    (void)state;
    /* A caller's own loop: poll the fd with the engine's timeout, then
     * step(0), as an epoll or libuv user would. */
    icr_targets *t = targets("198.18.8.0/24", NULL);
    struct collect c;
    struct icr_sweep_opts o = quick_opts();
    struct icr_sweep_stats st = {.size = sizeof(st)};
    icr_sweep *s = NULL;
    o.rate = 2000;
    collect_init(&c, t);
    o.on_result = on_result;
    o.userdata = &c;
    assert_int_equal(icr_sweep_new(t, &o, &s), 0);
    int fd = icr_sweep_get_fd(s);
    assert_true(fd >= 0);
    int r, polls = 0;
    while ((r = icr_sweep_step(s, 0)) == 1) {
        int64_t to = icr_sweep_get_timeout_ns(s);
        struct pollfd p = {.fd = fd, .events = POLLIN};
        (void)poll(&p, 1, (int)((to + 999999) / 1000000));
        polls++;
        assert_true(polls < 100000);
    }
    assert_int_equal(r, 0);
    assert_int_equal(icr_sweep_get_stats(s, &st), 0);
    expect_all(&c, &st);
    icr_sweep_free(s);
    free(c.seen);
    free(c.probes);
    icr_targets_free(t);
}

static void big_sweep(const char *spec1, const char *spec2, uint64_t want_n) {
    icr_targets *t = targets(spec1, spec2, NULL);
    struct collect c;
    struct icr_sweep_stats st;
    struct icr_sweep_opts o = quick_opts();
    o.cooldown = 1;
    collect_init(&c, t);
    assert_int_equal(c.n, want_n);
    int64_t t0 = mono_ns();
    assert_int_equal(sweep(t, &o, &c, &st), 0);
    print_message("# %s%s%s: %llu/%llu found in %.2f s (send %.2f s), drops %llu, send errors "
                  "%llu\n",
                  spec1, spec2 ? " + " : "", spec2 ? spec2 : "", (unsigned long long)st.hits,
                  (unsigned long long)c.n, (double)(mono_ns() - t0) / 1e9,
                  (double)st.send_ns / 1e9, (unsigned long long)st.kernel_drops,
                  (unsigned long long)st.send_errors);
    assert_true(st.hits * 1000 >= c.n * 999);
    assert_int_equal(c.outside, 0);
    assert_int_equal(st.invalid, 0);
    free(c.seen);
    free(c.probes);
    icr_targets_free(t);
}

static void test_size_v4(void **state) {
    (void)state;
    /* 198.18.0.0/15: both lab responders; a /15 drops only its own network
     * and broadcast address. */
    big_sweep("198.18.0.0/15", NULL, 131070);
}

static void test_size_v6(void **state) {
    (void)state;
    big_sweep("2001:db8:1::/108", NULL, 1048576);
}

int main(void) {
    if (geteuid() != 0 || !getenv("ICR_LAB") || !getenv("ICR_FORGE")) {
        printf("1..0 # SKIP needs root inside an icmpring-lab namespace\n");
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic_multishot),
        cmocka_unit_test(test_basic_single_recv),
        cmocka_unit_test(test_two_senders),
        cmocka_unit_test(test_ipv6_and_mixed),
        cmocka_unit_test(test_hop_limit_v6),
        cmocka_unit_test(test_unprivileged),
        cmocka_unit_test(test_count_and_all_replies),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_forged),
        cmocka_unit_test(test_replayed),
        cmocka_unit_test(test_duplicated),
        cmocka_unit_test(test_loss),
        cmocka_unit_test(test_rate),
        cmocka_unit_test(test_stop_from_thread),
        cmocka_unit_test(test_embedded_loop),
        cmocka_unit_test(test_size_v4),
        cmocka_unit_test(test_size_v6),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
