/* lab-scale.c - lab tests of sharding and resume positions in the library
 * (issue 9), against the real kernel inside an icmpring-lab prober:
 *  - multiping and traceroute shards: every host / destination in exactly
 *    the shard icr_shard_of names, union = everything, no overlap;
 *  - start_position skips exactly the shard's first hosts / destinations,
 *    and get_position ends at the shard's size;
 *  - a traceroute in windows of destinations covers the same ones;
 *  - a sweep started at a position sends only what comes after it, and its
 *    position ends at the shard's probe count. */
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

static struct icr_addr addr_of(const char *s) {
    struct icr_addr a;
    if (icr_addr_parse(s, &a) != 0)
        fail_msg("not an address: %s", s);
    return a;
}

/* ---- multiping ---------------------------------------------------------- */

enum { MP_N = 400, SHARDS = 3 };

struct mp_seen {
    unsigned calls[MP_N];
    bool alive[MP_N];
};

static void mp_on_host(size_t index, const struct icr_host *h, void *ud) {
    struct mp_seen *s = ud;
    assert_true(index < MP_N);
    s->calls[index]++;
    s->alive[index] = h->is_alive;
}

static struct icr_addr *mp_hosts(void) {
    struct icr_addr *a = calloc(MP_N, sizeof(*a));
    char buf[64];
    assert_non_null(a);
    for (int i = 0; i < MP_N; i++) {
        if (i % 50 == 49) /* some IPv6 among them */
            snprintf(buf, sizeof(buf), "2001:db8:1::%x", 0x100 + i);
        else
            snprintf(buf, sizeof(buf), "198.18.%d.%d", 20 + i / 200, 1 + i % 200);
        a[i] = addr_of(buf);
    }
    return a;
}

static struct icr_multiping_opts mp_opts(struct mp_seen *s, uint32_t shard) {
    struct icr_multiping_opts o = ICR_MULTIPING_OPTS_INIT;
    o.count = 1;
    o.interval = 0;
    o.timeout = 1;
    o.seed = 77;
    o.shards = SHARDS;
    o.shard = shard;
    o.on_host = mp_on_host;
    o.userdata = s;
    return o;
}

static void test_multiping_shards(void **state) {
    (void)state;
    struct icr_addr *a = mp_hosts();
    uint32_t owner[MP_N];
    unsigned got[MP_N] = {0};
    for (size_t i = 0; i < MP_N; i++)
        assert_int_equal(icr_shard_of(i, MP_N, 77, SHARDS, &owner[i]), 0);
    for (uint32_t sh = 0; sh < SHARDS; sh++) {
        struct mp_seen s = {0};
        struct icr_multiping_opts o = mp_opts(&s, sh);
        icr_multiping_job *m = NULL;
        uint64_t mine = 0, pos = 99999;
        for (size_t i = 0; i < MP_N; i++)
            mine += owner[i] == sh;
        assert_int_equal(icr_multiping_new(a, MP_N, &o, &m), 0);
        assert_int_equal(icr_multiping_get_position(m, &pos), 0);
        assert_int_equal(pos, 0);
        assert_int_equal(icr_multiping_run(m), 0);
        assert_int_equal(icr_multiping_get_position(m, &pos), 0);
        assert_int_equal(pos, mine); /* every host of the shard finished */
        struct icr_sweep_stats st = {.size = sizeof(st)};
        assert_int_equal(icr_multiping_get_stats(m, &st), 0);
        assert_int_equal(st.targets, mine);
        assert_int_equal(st.sent, mine);
        for (size_t i = 0; i < MP_N; i++) {
            if (owner[i] == sh) {
                assert_int_equal(s.calls[i], 1);
                assert_true(s.alive[i]);
            } else {
                assert_int_equal(s.calls[i], 0); /* another shard's host */
                struct icr_host h;
                h.size = sizeof(h); /* the size rule: ours, or 0 */
                assert_int_equal(icr_multiping_get_host(m, i, &h), 0);
                assert_int_equal(h.packets_sent, 0);
                free(h.rtts);
            }
            got[i] += s.calls[i];
        }
        icr_multiping_free(m);
    }
    for (size_t i = 0; i < MP_N; i++)
        assert_int_equal(got[i], 1); /* union: everything; no overlap */
    free(a);
}

static void test_multiping_start_position(void **state) {
    (void)state;
    struct icr_addr *a = mp_hosts();
    struct mp_seen s = {0};
    struct icr_multiping_opts o = mp_opts(&s, 1);
    size_t order[MP_N], mine = 0;
    for (size_t i = 0; i < MP_N; i++) {
        uint32_t sh;
        assert_int_equal(icr_shard_of(i, MP_N, 77, SHARDS, &sh), 0);
        if (sh == 1)
            order[mine++] = i;
    }
    o.start_position = 10;
    icr_multiping_job *m = NULL;
    uint64_t pos = 0;
    assert_int_equal(icr_multiping_new(a, MP_N, &o, &m), 0);
    assert_int_equal(icr_multiping_get_position(m, &pos), 0);
    assert_int_equal(pos, 10);
    assert_int_equal(icr_multiping_run(m), 0);
    assert_int_equal(icr_multiping_get_position(m, &pos), 0);
    assert_int_equal(pos, mine);
    for (size_t k = 0; k < mine; k++)
        assert_int_equal(s.calls[order[k]], k < 10 ? 0 : 1);
    struct icr_sweep_stats st = {.size = sizeof(st)};
    assert_int_equal(icr_multiping_get_stats(m, &st), 0);
    assert_int_equal(st.sent, mine - 10);
    icr_multiping_free(m);
    /* Nothing left after the last host: refused, nothing sent. */
    o.start_position = mine;
    assert_int_equal(icr_multiping_new(a, MP_N, &o, &m), ICR_EINVAL);
    free(a);
}

/* ---- traceroute ---------------------------------------------------------- */

struct tr_seen {
    unsigned calls[64];
    bool reached[64];
};

static void tr_on_trace(const struct icr_trace_result *r, void *ud) {
    struct tr_seen *s = ud;
    assert_true(r->index < 64);
    s->calls[r->index]++;
    s->reached[r->index] = r->reached;
}

static void test_trace_shards_and_position(void **state) {
    (void)state;
    icr_targets *t = NULL;
    assert_int_equal(icr_targets_new(&t), 0);
    /* 30 near and 8 far destinations (5 routers away), 38 in all */
    assert_int_equal(icr_targets_add(t, "198.18.7.1-198.18.7.30", 0), 0);
    assert_int_equal(icr_targets_add(t, "198.19.0.1-198.19.0.8", 0), 0);
    const uint64_t n = icr_targets_count(t);
    assert_int_equal(n, 38);
    unsigned got[64] = {0};
    for (uint32_t sh = 0; sh < 2; sh++) {
        /* 0: from the start; 1: resumed at 7; 2: resumed, in windows of 4 */
        for (int resume = 0; resume < 3; resume++) {
            struct tr_seen s = {0};
            struct icr_trace_opts o = ICR_TRACE_OPTS_INIT;
            o.count = 1;
            o.max_hops = 8;
            o.timeout = 1;
            o.seed = 5;
            o.shards = 2;
            o.shard = sh;
            o.on_trace = tr_on_trace;
            o.userdata = &s;
            size_t order[64], mine = 0;
            for (uint64_t i = 0; i < n; i++) {
                uint32_t owner;
                assert_int_equal(icr_shard_of(i, n, 5, 2, &owner), 0);
                if (owner == sh)
                    order[mine++] = i;
            }
            o.start_position = resume ? 7 : 0;
            o.window = resume == 2 ? 4 : 0;
            icr_trace *tr = NULL;
            uint64_t pos = 0;
            assert_int_equal(icr_trace_new(t, &o, &tr), 0);
            assert_int_equal(icr_trace_get_position(tr, &pos), 0);
            assert_int_equal(pos, o.start_position);
            assert_int_equal(icr_trace_run(tr), 0);
            assert_int_equal(icr_trace_get_position(tr, &pos), 0);
            assert_int_equal(pos, mine);
            for (size_t k = 0; k < mine; k++) {
                assert_int_equal(s.calls[order[k]], k < o.start_position ? 0 : 1);
                if (k >= o.start_position)
                    assert_true(s.reached[order[k]]);
            }
            for (uint64_t i = 0; i < n; i++)
                if (!resume)
                    got[i] += s.calls[i];
            icr_trace_free(tr);
        }
    }
    for (uint64_t i = 0; i < n; i++)
        assert_int_equal(got[i], 1);
    icr_targets_free(t);
}

/* ---- sweep ---------------------------------------------------------------- */

struct sw_seen {
    uint8_t hit[4096];
    uint64_t hits;
};

static void sw_on_result(const struct icr_result *r, void *ud) {
    struct sw_seen *s = ud;
    if (r->kind == ICR_RESULT_ECHO && !r->duplicate && r->index < 4096 && !s->hit[r->index]++)
        s->hits++;
}

static void test_sweep_start_position(void **state) {
    (void)state;
    icr_targets *t = NULL;
    assert_int_equal(icr_targets_new(&t), 0);
    assert_int_equal(icr_targets_add(t, "198.18.16.0/20", 0), 0); /* 4094 */
    struct sw_seen all = {0}, rest = {0};
    struct icr_sweep_opts o = ICR_SWEEP_OPTS_INIT;
    o.rate = 0;
    o.cooldown = 1;
    o.seed = 99;
    o.shards = 2;
    o.shard = 1;
    o.on_result = sw_on_result;
    icr_sweep *s = NULL;
    uint64_t pos = 1;

    o.userdata = &all;
    assert_int_equal(icr_sweep_new(t, &o, &s), 0);
    assert_int_equal(icr_sweep_get_position(s, &pos), 0);
    assert_int_equal(pos, 0);
    assert_int_equal(icr_sweep_run(s), 0);
    struct icr_sweep_stats st = {.size = sizeof(st)};
    assert_int_equal(icr_sweep_get_stats(s, &st), 0);
    const uint64_t per = st.targets;
    assert_int_equal(per, 2047);
    assert_int_equal(icr_sweep_get_position(s, &pos), 0);
    assert_int_equal(pos, per);
    assert_int_equal(all.hits, per);
    icr_sweep_free(s);

    /* From position 1000: the other 1047, each one of the shard's. */
    o.userdata = &rest;
    o.start_position = 1000;
    assert_int_equal(icr_sweep_new(t, &o, &s), 0);
    assert_int_equal(icr_sweep_get_position(s, &pos), 0);
    assert_int_equal(pos, 1000);
    assert_int_equal(icr_sweep_run(s), 0);
    assert_int_equal(icr_sweep_get_stats(s, &st), 0);
    assert_int_equal(st.sent, per - 1000);
    assert_int_equal(rest.hits, per - 1000);
    for (size_t i = 0; i < 4096; i++)
        if (rest.hit[i])
            assert_true(all.hit[i]);
    assert_int_equal(icr_sweep_get_position(s, &pos), 0);
    assert_int_equal(pos, per);
    icr_sweep_free(s);

    /* At the end: nothing to send. */
    struct sw_seen none = {0};
    o.userdata = &none;
    o.start_position = per;
    o.cooldown = 0;
    assert_int_equal(icr_sweep_new(t, &o, &s), 0);
    assert_int_equal(icr_sweep_run(s), 0);
    assert_int_equal(icr_sweep_get_stats(s, &st), 0);
    assert_int_equal(st.sent, 0);
    assert_int_equal(none.hits, 0);
    icr_sweep_free(s);
    icr_targets_free(t);
}

int main(void) {
    if (geteuid() != 0 || !getenv("ICR_LAB")) {
        printf("1..0 # SKIP needs root inside an icmpring-lab namespace\n");
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_multiping_shards),
        cmocka_unit_test(test_multiping_start_position),
        cmocka_unit_test(test_trace_shards_and_position),
        cmocka_unit_test(test_sweep_start_position),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
