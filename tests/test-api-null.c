/* test-api-null.c - every exported function, called with NULL, size 0, a
 * wrong `size` field or out-of-range options, returns a negative code (or
 * the documented NULL/false/0) and does not crash.  The list of exports is
 * generated from icmpring.h at build time (api-exports.h): a function with
 * no case below fails the test, so a new export cannot skip it.
 * No packet leaves: calls that would open sockets get invalid arguments
 * only, and the one valid address used is loopback (127.0.0.1). */
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "icmpring.h"

#define NEG(x) assert_true((x) < 0)

/* The size rule (icmpring.h's top comment): an input struct of a newer
 * caller, `size` 8 bytes past ours with a non-zero byte there, is refused
 * (`newer` points at it: the INIT macro's values, then that tail). */
#define NEWER_NONZERO(type, init, call)                                                      \
    do {                                                                                     \
        union {                                                                              \
            type s;                                                                          \
            unsigned char b[sizeof(type) + 8];                                               \
        } u_;                                                                                \
        memset(&u_, 0, sizeof(u_));                                                          \
        u_.s = (type)init;                                                                   \
        u_.s.size = sizeof(type) + 8;                                                        \
        u_.b[sizeof(type) + 7] = 1;                                                          \
        type *const newer = &u_.s;                                                           \
        NEG(call);                                                                           \
    } while (0)

static struct icr_addr lo4(void) {
    struct icr_addr a;
    assert_int_equal(icr_addr_parse("127.0.0.1", &a), 0);
    return a;
}

/* A set of one loopback address. */
static icr_targets *lo_targets(void) {
    icr_targets *t = NULL;
    assert_int_equal(icr_targets_new(&t), 0);
    assert_int_equal(icr_targets_add(t, "127.0.0.1", 0), 0);
    return t;
}

static void c_version(void) { assert_non_null(icr_version()); }
static void c_strerror(void) {
    assert_non_null(icr_strerror(123456));
    assert_non_null(icr_strerror(-123456));
    assert_non_null(icr_strerror(INT32_MIN));
}
static void c_error_name(void) {
    assert_string_equal(icr_error_name(123456), "ICR_UNKNOWN");
    assert_string_equal(icr_error_name(INT32_MIN), "ICR_UNKNOWN");
}
static void c_error_is(void) {
    assert_false(icr_error_is(0, ICR_ESOCKET));
    assert_false(icr_error_is(5, 5));
    assert_false(icr_error_is(INT32_MIN, ICR_ESYSTEM));
}
static void c_errno(void) {
    assert_int_equal(icr_errno(0), 0);
    assert_int_equal(icr_errno(ICR_EINVAL), 0);
    assert_int_equal(icr_errno(INT32_MIN), 0);
}
static void c_icmp_message(void) {
    assert_null(icr_icmp_message(12345, 3, 1));
    assert_null(icr_icmp_message(AF_INET, -1, -1));
    assert_non_null(icr_icmp_message(AF_INET, 3, 9999)); /* bad code of a known type */
}
static void c_addr_parse(void) {
    struct icr_addr a = {0};
    NEG(icr_addr_parse(NULL, &a));
    NEG(icr_addr_parse("127.0.0.1", NULL));
    NEG(icr_addr_parse("", &a));
}
static void c_addr_format(void) {
    char buf[ICR_ADDRSTRLEN];
    struct icr_addr a = lo4(), none = {0};
    assert_null(icr_addr_format(NULL, buf, sizeof(buf)));
    assert_null(icr_addr_format(&a, NULL, sizeof(buf)));
    assert_null(icr_addr_format(&a, buf, 0));
    assert_null(icr_addr_format(&a, buf, 3));
    assert_null(icr_addr_format(&none, buf, sizeof(buf)));
}
static void c_addr_equal(void) {
    struct icr_addr a = lo4();
    assert_false(icr_addr_equal(NULL, NULL));
    assert_false(icr_addr_equal(&a, NULL));
    assert_false(icr_addr_equal(NULL, &a));
}
static void c_addr_to_sockaddr(void) {
    struct sockaddr_storage ss;
    struct icr_addr a = lo4(), none = {0};
    NEG(icr_addr_to_sockaddr(NULL, &ss));
    NEG(icr_addr_to_sockaddr(&a, NULL));
    NEG(icr_addr_to_sockaddr(&none, &ss));
}
static void c_addr_from_sockaddr(void) {
    struct sockaddr_storage ss;
    struct icr_addr a;
    struct icr_addr l = lo4();
    int len = icr_addr_to_sockaddr(&l, &ss);
    assert_true(len > 0);
    NEG(icr_addr_from_sockaddr(NULL, (socklen_t)len, &a));
    NEG(icr_addr_from_sockaddr((struct sockaddr *)&ss, (socklen_t)len, NULL));
    NEG(icr_addr_from_sockaddr((struct sockaddr *)&ss, 0, &a));
    NEG(icr_addr_from_sockaddr((struct sockaddr *)&ss, 2, &a));
}
static void c_is_ipv4_address(void) { assert_false(icr_is_ipv4_address(NULL)); }
static void c_is_ipv6_address(void) { assert_false(icr_is_ipv6_address(NULL)); }
static void c_is_hostname(void) {
    assert_false(icr_is_hostname(NULL));
    assert_false(icr_is_hostname(""));
}
static void c_resolve(void) {
    struct icr_addr a;
    NEG(icr_resolve(NULL, AF_UNSPEC, &a, 1));
    NEG(icr_resolve("127.0.0.1", 12345, &a, 1));
    NEG(icr_resolve("127.0.0.1", AF_UNSPEC, NULL, 1));
}
static void c_socket_open(void) {
    icr_socket *s = NULL;
    struct icr_socket_opts o = ICR_SOCKET_OPTS_INIT;
    NEG(icr_socket_open(&o, NULL));
    o.size = 0;
    NEG(icr_socket_open(&o, &s));
    o.size = 1;
    NEG(icr_socket_open(&o, &s));
    o.size = sizeof(o) - 1; /* no field appended yet: the first layout is sizeof */
    NEG(icr_socket_open(&o, &s));
    NEWER_NONZERO(struct icr_socket_opts, ICR_SOCKET_OPTS_INIT, icr_socket_open(newer, &s));
    o = (struct icr_socket_opts)ICR_SOCKET_OPTS_INIT;
    o.family = 12345;
    NEG(icr_socket_open(&o, &s));
    o = (struct icr_socket_opts)ICR_SOCKET_OPTS_INIT;
    o.privilege = 7;
    NEG(icr_socket_open(&o, &s));
    o = (struct icr_socket_opts)ICR_SOCKET_OPTS_INIT;
    o.source = "not an address";
    NEG(icr_socket_open(&o, &s));
    assert_null(s);
}
static void c_socket_close(void) { assert_null(icr_socket_close(NULL)); }
static void c_socket_free(void) { assert_null(icr_socket_free(NULL)); }
static void c_socket_address(void) { assert_null(icr_socket_address(NULL)); }
static void c_socket_family(void) { NEG(icr_socket_family(NULL)); }
static void c_socket_is_privileged(void) { assert_false(icr_socket_is_privileged(NULL)); }
static void c_socket_is_closed(void) { assert_true(icr_socket_is_closed(NULL)); }
static void c_socket_fd(void) { NEG(icr_socket_fd(NULL)); }
static void c_socket_get_broadcast(void) { NEG(icr_socket_get_broadcast(NULL)); }
static void c_socket_set_broadcast(void) { NEG(icr_socket_set_broadcast(NULL, true)); }
static void c_socket_send(void) {
    struct icr_request req = ICR_REQUEST_INIT;
    req.destination = lo4();
    NEG(icr_socket_send(NULL, &req));
    NEG(icr_socket_send(NULL, NULL));
}
static void c_socket_receive(void) {
    struct icr_reply rep = ICR_REPLY_INIT;
    NEG(icr_socket_receive(NULL, NULL, 0, &rep));
    NEG(icr_socket_receive(NULL, NULL, 0, NULL));
    NEG(icr_socket_receive(NULL, NULL, NAN, &rep));
}
static void c_reply_raise_for_status(void) { NEG(icr_reply_raise_for_status(NULL)); }
static void c_host_stats(void) {
    struct icr_host h = {.size = sizeof(h)};
    NEG(icr_host_stats(NULL, NULL, 0));
    NEG(icr_host_stats(&h, NULL, 3));
}
static void c_host_free(void) { assert_null(icr_host_free(NULL)); }
static void c_hosts_free(void) {
    assert_null(icr_hosts_free(NULL, 0));
    assert_null(icr_hosts_free(NULL, 5));
}
static void c_hops_free(void) {
    assert_null(icr_hops_free(NULL, 0));
    assert_null(icr_hops_free(NULL, 5));
}
static void c_hop_error_flag(void) {
    assert_string_equal(icr_hop_error_flag(12345, 3, 1), "");
    assert_non_null(icr_hop_error_flag(AF_INET, -1, -1));
}
static void c_targets_new(void) { NEG(icr_targets_new(NULL)); }
static void c_targets_free(void) { assert_null(icr_targets_free(NULL)); }
static void c_targets_add(void) {
    icr_targets *t = lo_targets();
    NEG(icr_targets_add(NULL, "127.0.0.1", 0));
    NEG(icr_targets_add(t, NULL, 0));
    NEG(icr_targets_add(t, "", 0));
    NEG(icr_targets_add(t, "127.0.0.1", 1u << 30));
    NEG(icr_targets_add(t, "127.0.0.1", ICR_TARGETS_ONLY_V4 | ICR_TARGETS_ONLY_V6));
    NEG(icr_targets_add(t, "::/0", 0));
    icr_targets_free(t);
}
static void c_targets_exclude(void) {
    icr_targets *t = lo_targets();
    NEG(icr_targets_exclude(NULL, "127.0.0.1", 0));
    NEG(icr_targets_exclude(t, NULL, 0));
    NEG(icr_targets_exclude(t, "127.0.0.1", 1u << 30));
    icr_targets_free(t);
}
static void c_targets_add_file(void) {
    icr_targets *t = lo_targets();
    FILE *f = tmpfile();
    size_t line = 77;
    assert_non_null(f);
    NEG(icr_targets_add_file(NULL, f, false, 0, &line));
    NEG(icr_targets_add_file(t, NULL, false, 0, &line));
    NEG(icr_targets_add_file(t, f, false, 1u << 30, NULL));
    fclose(f);
    icr_targets_free(t);
}
static void c_targets_count(void) { assert_int_equal(icr_targets_count(NULL), 0); }
static void c_targets_get(void) {
    icr_targets *t = lo_targets();
    struct icr_addr a;
    NEG(icr_targets_get(NULL, 0, &a));
    NEG(icr_targets_get(t, 0, NULL));
    NEG(icr_targets_get(t, 1, &a));
    NEG(icr_targets_get(t, UINT64_MAX, &a));
    icr_targets_free(t);
}
static void c_targets_index(void) {
    icr_targets *t = lo_targets();
    struct icr_addr a = lo4(), none = {0};
    uint64_t i;
    NEG(icr_targets_index(NULL, &a, &i));
    NEG(icr_targets_index(t, NULL, &i));
    NEG(icr_targets_index(t, &a, NULL));
    NEG(icr_targets_index(t, &none, &i));
    icr_targets_free(t);
}

/* Sweep options that must each be refused. */
static void bad_sweep_opts(icr_targets *t) {
    icr_sweep *s = NULL;
    struct icr_sweep_opts o;
#define TRY(field, value)                                                                    \
    do {                                                                                     \
        o = (struct icr_sweep_opts)ICR_SWEEP_OPTS_INIT;                                      \
        o.field = value;                                                                     \
        int r_ = icr_sweep_new(t, &o, &s);                                                   \
        if (r_ >= 0) {                                                                       \
            s = icr_sweep_free(s);                                                           \
            fail_msg("icr_sweep_new accepted " #field " = " #value);                         \
        }                                                                                    \
    } while (0)
    TRY(size, 0);
    TRY(size, 1);
    TRY(size, offsetof(struct icr_sweep_opts, start_position) - 1); /* below the first layout */
    TRY(ttl, 0);
    TRY(ttl, 256);
    TRY(traffic_class, 256);
    TRY(traffic_class, -1);
    TRY(payload_size, 33);
    TRY(payload_size, 1401);
    TRY(privilege, 7);
    TRY(transport, 4);
    TRY(transport, -1);
    TRY(batch, 0);
    TRY(batch, 1025);
    TRY(shards, 0);
    TRY(shard, 1);
    TRY(senders, 3);
    TRY(interval, -1);
    TRY(interval, NAN);
    TRY(cooldown, NAN);
    TRY(cooldown, -1);
    TRY(flags, 1u << 30);
    TRY(count, UINT32_MAX);
#undef TRY
}

static void c_sweep_new(void) {
    icr_targets *t = lo_targets(), *empty = NULL;
    icr_sweep *s = NULL;
    assert_int_equal(icr_targets_new(&empty), 0);
    NEG(icr_sweep_new(NULL, NULL, &s));
    NEG(icr_sweep_new(t, NULL, NULL));
    NEG(icr_sweep_new(empty, NULL, &s));
    bad_sweep_opts(t);
    NEWER_NONZERO(struct icr_sweep_opts, ICR_SWEEP_OPTS_INIT, icr_sweep_new(t, newer, &s));
    assert_null(s);
    icr_targets_free(empty);
    icr_targets_free(t);
}
static void c_sweep_free(void) { assert_null(icr_sweep_free(NULL)); }
static void c_sweep_run(void) { NEG(icr_sweep_run(NULL)); }
static void c_sweep_step(void) { NEG(icr_sweep_step(NULL, 0)); }
static void c_sweep_get_fd(void) { NEG(icr_sweep_get_fd(NULL)); }
static void c_sweep_get_timeout_ns(void) { NEG(icr_sweep_get_timeout_ns(NULL)); }
static void c_sweep_stop(void) { icr_sweep_stop(NULL); }
static void c_sweep_get_stats(void) {
    struct icr_sweep_stats st = {.size = sizeof(st)};
    NEG(icr_sweep_get_stats(NULL, &st));
}
static void c_sweep_is_alive(void) { NEG(icr_sweep_is_alive(NULL, 0)); }
static void c_sweep_get_position(void) {
    uint64_t pos = 7;
    NEG(icr_sweep_get_position(NULL, &pos));
    assert_int_equal(pos, 7);
}
static void c_multiping_get_position(void) {
    uint64_t pos = 7;
    NEG(icr_multiping_get_position(NULL, &pos));
    assert_int_equal(pos, 7);
}
static void c_trace_get_position(void) {
    uint64_t pos = 7;
    NEG(icr_trace_get_position(NULL, &pos));
    assert_int_equal(pos, 7);
}
static void c_shard_of(void) {
    uint32_t sh = 99;
    NEG(icr_shard_of(0, 10, 1, 4, NULL));
    NEG(icr_shard_of(0, 10, 1, 0, &sh));      /* no shards */
    NEG(icr_shard_of(10, 10, 1, 4, &sh));     /* index beyond n */
    NEG(icr_shard_of(0, 0, 1, 4, &sh));       /* n 0 */
    NEG(icr_shard_of(0, ICR_TARGETS_MAX + 1, 1, 4, &sh));
    assert_int_equal(sh, 99);
    assert_int_equal(icr_shard_of(3, 10, 1, 4, &sh), 0);
    assert_true(sh < 4);
}

static void bad_multiping_opts(const struct icr_addr *a) {
    icr_multiping_job *m = NULL;
    struct icr_multiping_opts o;
#define TRY(field, value)                                                                    \
    do {                                                                                     \
        o = (struct icr_multiping_opts)ICR_MULTIPING_OPTS_INIT;                              \
        o.field = value;                                                                     \
        int r_ = icr_multiping_new(a, 1, &o, &m);                                            \
        if (r_ >= 0) {                                                                       \
            m = icr_multiping_free(m);                                                       \
            fail_msg("icr_multiping_new accepted " #field " = " #value);                     \
        }                                                                                    \
        struct icr_host *h_ = NULL;                                                          \
        const char *name_ = "127.0.0.1";                                                     \
        if (o.count != 0 && icr_multiping(&name_, 1, &o, &h_) >= 0) {                         \
            h_ = icr_hosts_free(h_, 1);                                                      \
            fail_msg("icr_multiping accepted " #field " = " #value);                         \
        }                                                                                    \
    } while (0)
    TRY(size, 0);
    TRY(size, 1);
    TRY(size, offsetof(struct icr_multiping_opts, seed) - 1); /* below the first layout */
    TRY(ttl, 0);
    TRY(ttl, 256);
    TRY(traffic_class, 256);
    TRY(payload_size, 33);
    TRY(payload_size, 1401);
    TRY(privilege, 7);
    TRY(transport, 4);
    TRY(transport, -1);
    TRY(transport, ICR_TRANSPORT_DGRAM); /* with privilege PRIVILEGED, the default */
    TRY(family, 12345);
    TRY(interval, -1);
    TRY(interval, NAN);
    TRY(timeout, NAN);
    TRY(timeout, -1);
    TRY(flags, 1u << 30);
    TRY(source, "not an address");
    TRY(shards, 0);
    TRY(shard, 1);
    TRY(shards, 2);          /* without a seed: every shard its own split */
    TRY(start_position, 1);  /* one host: nothing left after it */
#undef TRY
}

static void c_multiping_new(void) {
    struct icr_addr a = lo4(), none = {0};
    icr_multiping_job *m = NULL;
    NEG(icr_multiping_new(NULL, 1, NULL, &m));
    NEG(icr_multiping_new(&a, 0, NULL, &m));
    NEG(icr_multiping_new(&a, 1, NULL, NULL));
    NEG(icr_multiping_new(&none, 1, NULL, &m));
    bad_multiping_opts(&a);
    NEWER_NONZERO(struct icr_multiping_opts, ICR_MULTIPING_OPTS_INIT,
                  icr_multiping_new(&a, 1, newer, &m));
    assert_null(m);
}
static void c_multiping_free(void) { assert_null(icr_multiping_free(NULL)); }
static void c_multiping_run(void) { NEG(icr_multiping_run(NULL)); }
static void c_multiping_step(void) { NEG(icr_multiping_step(NULL, 0)); }
static void c_multiping_get_fd(void) { NEG(icr_multiping_get_fd(NULL)); }
static void c_multiping_get_timeout_ns(void) { NEG(icr_multiping_get_timeout_ns(NULL)); }
static void c_multiping_stop(void) { icr_multiping_stop(NULL); }
static void c_multiping_get_host(void) {
    struct icr_host h;
    NEG(icr_multiping_get_host(NULL, 0, &h));
}
static void c_multiping_get_stats(void) {
    struct icr_sweep_stats st = {.size = sizeof(st)};
    NEG(icr_multiping_get_stats(NULL, &st));
}
static void c_multiping(void) {
    struct icr_host *h = NULL;
    const char *names[] = {"127.0.0.1", NULL};
    struct icr_multiping_opts o = ICR_MULTIPING_OPTS_INIT;
    NEG(icr_multiping(NULL, 1, NULL, &h));
    NEG(icr_multiping(names, 0, NULL, &h));
    NEG(icr_multiping(names, 1, NULL, NULL));
    NEG(icr_multiping(&names[1], 1, NULL, &h)); /* a NULL name */
    o.count = 0;                                /* refused by the blocking call */
    NEG(icr_multiping(names, 1, &o, &h));
    NEWER_NONZERO(struct icr_multiping_opts, ICR_MULTIPING_OPTS_INIT,
                  icr_multiping(names, 1, newer, &h));
    assert_null(h);
}
static void c_ping(void) {
    struct icr_host *h = NULL;
    struct icr_ping_opts o = ICR_PING_OPTS_INIT;
    NEG(icr_ping(NULL, NULL, &h));
    NEG(icr_ping("127.0.0.1", NULL, NULL));
    o.size = 1;
    NEG(icr_ping("127.0.0.1", &o, &h));
    o.size = offsetof(struct icr_ping_opts, seed) - 1;
    NEG(icr_ping("127.0.0.1", &o, &h));
    o = (struct icr_ping_opts)ICR_PING_OPTS_INIT;
    o.count = 0;
    NEG(icr_ping("127.0.0.1", &o, &h));
    NEWER_NONZERO(struct icr_ping_opts, ICR_PING_OPTS_INIT, icr_ping("127.0.0.1", newer, &h));
    assert_null(h);
}

static void bad_trace_opts(icr_targets *t) {
    icr_trace *tr = NULL;
    struct icr_trace_opts o;
#define TRY(field, value)                                                                    \
    do {                                                                                     \
        o = (struct icr_trace_opts)ICR_TRACE_OPTS_INIT;                                      \
        o.field = value;                                                                     \
        int r_ = icr_trace_new(t, &o, &tr);                                                  \
        if (r_ >= 0) {                                                                       \
            tr = icr_trace_free(tr);                                                         \
            fail_msg("icr_trace_new accepted " #field " = " #value);                         \
        }                                                                                    \
        struct icr_hop *hops_ = NULL;                                                        \
        size_t n_ = 0;                                                                       \
        if (icr_traceroute("127.0.0.1", &o, &hops_, &n_) >= 0) {                            \
            hops_ = icr_hops_free(hops_, n_);                                                \
            fail_msg("icr_traceroute accepted " #field " = " #value);                        \
        }                                                                                    \
    } while (0)
    TRY(size, 0);
    TRY(size, 1);
    TRY(size, offsetof(struct icr_trace_opts, shards) - 1); /* below the first layout */
    TRY(count, 0);
    TRY(count, 256);
    TRY(first_hop, 0);
    TRY(first_hop, 256);
    TRY(max_hops, 0);
    TRY(max_hops, 256);
    TRY(traffic_class, 256);
    TRY(payload_size, 33);
    TRY(payload_size, 1401);
    TRY(privilege, 7);
    TRY(transport, 4);
    TRY(transport, -1);
    TRY(transport, ICR_TRANSPORT_DGRAM); /* with privilege PRIVILEGED, the default */
    TRY(family, 12345);
    TRY(interval, -1);
    TRY(interval, NAN);
    TRY(timeout, NAN);
    TRY(timeout, -1);
    TRY(flags, 1u << 30);
    TRY(source, "not an address");
    TRY(shards, 0);
    TRY(shard, 1);
    TRY(shards, 2);          /* without a seed: every shard its own split */
    TRY(start_position, 1);  /* one host: nothing left after it */
#undef TRY
}

static void c_trace_new(void) {
    icr_targets *t = lo_targets(), *empty = NULL;
    icr_trace *tr = NULL;
    assert_int_equal(icr_targets_new(&empty), 0);
    NEG(icr_trace_new(NULL, NULL, &tr));
    NEG(icr_trace_new(t, NULL, NULL));
    NEG(icr_trace_new(empty, NULL, &tr));
    bad_trace_opts(t);
    NEWER_NONZERO(struct icr_trace_opts, ICR_TRACE_OPTS_INIT, icr_trace_new(t, newer, &tr));
    assert_null(tr);
    struct icr_hop *hops = NULL;
    size_t n = 0;
    NEWER_NONZERO(struct icr_trace_opts, ICR_TRACE_OPTS_INIT,
                  icr_traceroute("127.0.0.1", newer, &hops, &n));
    assert_null(hops);
    icr_targets_free(empty);
    icr_targets_free(t);
}
static void c_trace_free(void) { assert_null(icr_trace_free(NULL)); }
static void c_trace_run(void) { NEG(icr_trace_run(NULL)); }
static void c_trace_step(void) { NEG(icr_trace_step(NULL, 0)); }
static void c_trace_get_fd(void) { NEG(icr_trace_get_fd(NULL)); }
static void c_trace_get_timeout_ns(void) { NEG(icr_trace_get_timeout_ns(NULL)); }
static void c_trace_stop(void) { icr_trace_stop(NULL); }
static void c_trace_get_stats(void) {
    struct icr_sweep_stats st = {.size = sizeof(st)};
    NEG(icr_trace_get_stats(NULL, &st));
}
static void c_traceroute(void) {
    struct icr_hop *hops = NULL;
    size_t n = 0;
    NEG(icr_traceroute(NULL, NULL, &hops, &n));
    NEG(icr_traceroute("127.0.0.1", NULL, NULL, &n));
    NEG(icr_traceroute("127.0.0.1", NULL, &hops, NULL));
    assert_null(hops);
}

/* ---- out-parameters left untouched on failure ---------------------------
 * Each failing call gets an out-parameter filled with a pattern; after the
 * call it must still hold the pattern byte for byte (a caller's previous
 * value, or its own initialiser, survives an error). */
#define PATTERN 0xA5
#define UNTOUCHED(var, call)                                                                   \
    do {                                                                                       \
        unsigned char want_[sizeof(var)];                                                      \
        memset(&(var), PATTERN, sizeof(var));                                                  \
        memset(want_, PATTERN, sizeof(want_));                                                 \
        int r_ = (call);                                                                       \
        if (r_ >= 0)                                                                           \
            fail_msg("%s: returned %d, want an error", #call, r_);                             \
        if (memcmp(&(var), want_, sizeof(var)) != 0)                                           \
            fail_msg("%s failed (%d) but wrote its out-parameter %s", #call, r_, #var);        \
    } while (0)

static void test_outputs_untouched_on_failure(void **state) {
    (void)state;
    struct icr_addr a;
    struct sockaddr_storage ss;
    struct sockaddr_in short_sin = {.sin_family = AF_INET};
    uint64_t idx;
    icr_targets *t = lo_targets();
    icr_sweep *sw;
    icr_trace *tr;
    icr_multiping_job *mp;
    icr_socket *so;
    struct icr_host *host;
    struct icr_hop *hops;
    size_t nhops;
    struct icr_reply rep;
    struct icr_sweep_stats st;
    struct icr_addr addrs[4];

    UNTOUCHED(a, icr_addr_parse("198.18.0.256", &a));
    UNTOUCHED(a, icr_addr_parse("2001:db8::1%", &a));
    struct icr_addr unspec = {.family = AF_UNSPEC};
    UNTOUCHED(ss, icr_addr_to_sockaddr(&unspec, &ss));
    UNTOUCHED(a, icr_addr_from_sockaddr((const struct sockaddr *)&short_sin, 4, &a));
    UNTOUCHED(addrs, icr_resolve("bad..name", AF_UNSPEC, addrs, 4));
    UNTOUCHED(addrs, icr_resolve("127.0.0.1", AF_INET6, addrs, 4));
    UNTOUCHED(a, icr_targets_get(t, 1, &a));
    UNTOUCHED(a, icr_targets_get(t, UINT64_MAX, &a));
    struct icr_addr other;
    assert_int_equal(icr_addr_parse("127.0.0.2", &other), 0);
    UNTOUCHED(idx, icr_targets_index(t, &other, &idx));

    struct icr_sweep_opts so_bad = ICR_SWEEP_OPTS_INIT;
    so_bad.senders = 3;
    UNTOUCHED(sw, icr_sweep_new(t, &so_bad, &sw));
    so_bad = (struct icr_sweep_opts)ICR_SWEEP_OPTS_INIT;
    so_bad.payload_size = 33;
    UNTOUCHED(sw, icr_sweep_new(t, &so_bad, &sw));
    struct icr_trace_opts to_bad = ICR_TRACE_OPTS_INIT;
    to_bad.size = 1;
    UNTOUCHED(tr, icr_trace_new(t, &to_bad, &tr));
    struct icr_addr lo = lo4();
    struct icr_multiping_opts mo_bad = ICR_MULTIPING_OPTS_INIT;
    mo_bad.size = 1;
    UNTOUCHED(mp, icr_multiping_new(&lo, 1, &mo_bad, &mp));
    UNTOUCHED(mp, icr_multiping_new(&lo, 0, NULL, &mp));
    struct icr_socket_opts sk_bad = {.size = 1};
    UNTOUCHED(so, icr_socket_open(&sk_bad, &so));

    struct icr_ping_opts po_bad = ICR_PING_OPTS_INIT;
    po_bad.size = 1;
    UNTOUCHED(host, icr_ping("127.0.0.1", &po_bad, &host));
    UNTOUCHED(host, icr_ping("bad..name", NULL, &host));
    const char *names[] = {"127.0.0.1"};
    UNTOUCHED(host, icr_multiping(names, 1, &mo_bad, &host));
    UNTOUCHED(hops, icr_traceroute("127.0.0.1", &to_bad, &hops, &nhops));
    UNTOUCHED(nhops, icr_traceroute("127.0.0.1", &to_bad, &hops, &nhops));
    UNTOUCHED(hops, icr_traceroute("bad..name", NULL, &hops, &nhops));

    UNTOUCHED(rep, icr_socket_receive(NULL, NULL, 0, &rep));
    UNTOUCHED(st, icr_sweep_get_stats(NULL, &st));
    UNTOUCHED(st, icr_multiping_get_stats(NULL, &st));
    UNTOUCHED(st, icr_trace_get_stats(NULL, &st));
    struct icr_host h;
    UNTOUCHED(h, icr_multiping_get_host(NULL, 0, &h));
    icr_targets_free(t);
}

struct api_case {
    const char *name;
    void (*run)(void);
};

/* One case per export; the names are checked against api-exports.h. */
#define C(n) {"icr_" #n, c_##n}
static const struct api_case cases[] = {
    C(version), C(strerror), C(error_name), C(error_is), C(errno), C(icmp_message),
    C(addr_parse), C(addr_format), C(addr_equal), C(addr_to_sockaddr), C(addr_from_sockaddr),
    C(is_ipv4_address), C(is_ipv6_address), C(is_hostname), C(resolve),
    C(socket_open), C(socket_close), C(socket_free), C(socket_address), C(socket_family),
    C(socket_is_privileged), C(socket_is_closed), C(socket_fd), C(socket_get_broadcast),
    C(socket_set_broadcast), C(socket_send), C(socket_receive), C(reply_raise_for_status),
    C(host_stats), C(host_free), C(hosts_free), C(hops_free), C(hop_error_flag),
    C(targets_new), C(targets_free), C(targets_add), C(targets_exclude), C(targets_add_file),
    C(targets_count), C(targets_get), C(targets_index),
    C(sweep_new), C(sweep_free), C(sweep_run), C(sweep_step), C(sweep_get_fd),
    C(sweep_get_timeout_ns), C(sweep_stop), C(sweep_get_stats), C(sweep_is_alive),
    C(sweep_get_position), C(multiping_get_position), C(trace_get_position), C(shard_of),
    C(multiping_new), C(multiping_free), C(multiping_run), C(multiping_step),
    C(multiping_get_fd), C(multiping_get_timeout_ns), C(multiping_stop), C(multiping_get_host),
    C(multiping_get_stats), C(multiping), C(ping),
    C(trace_new), C(trace_free), C(trace_run), C(trace_step), C(trace_get_fd),
    C(trace_get_timeout_ns), C(trace_stop), C(trace_get_stats), C(traceroute),
};
#undef C
#define N_CASES (sizeof(cases) / sizeof(cases[0]))

static const char *const exports[] = {
#define ICR_API_EXPORT(n) #n,
#include "api-exports.h"
#undef ICR_API_EXPORT
};
#define N_EXPORTS (sizeof(exports) / sizeof(exports[0]))

static const struct api_case *find_case(const char *name) {
    for (size_t i = 0; i < N_CASES; i++)
        if (!strcmp(cases[i].name, name))
            return &cases[i];
    return NULL;
}

/* Every export of the header has a case, and every case an export. */
static void test_every_export_has_a_case(void **state) {
    (void)state;
    int missing = 0;
    for (size_t i = 0; i < N_EXPORTS; i++)
        if (!find_case(exports[i])) {
            print_error("no case for the export %s\n", exports[i]);
            missing++;
        }
    for (size_t i = 0; i < N_CASES; i++) {
        bool found = false;
        for (size_t k = 0; k < N_EXPORTS; k++)
            found = found || !strcmp(exports[k], cases[i].name);
        if (!found) {
            print_error("case %s names no export\n", cases[i].name);
            missing++;
        }
    }
    assert_int_equal(missing, 0);
    assert_true(N_EXPORTS > 20);
}

static void run_case(void **state) {
    const struct api_case *c = *state;
    c->run();
}

int main(void) {
    struct CMUnitTest tests[2 + N_CASES];
    tests[0] = (struct CMUnitTest)cmocka_unit_test(test_every_export_has_a_case);
    tests[1] = (struct CMUnitTest)cmocka_unit_test(test_outputs_untouched_on_failure);
    for (size_t i = 0; i < N_CASES; i++)
        tests[2 + i] = (struct CMUnitTest){.name = cases[i].name, .test_func = run_case,
                                           .initial_state = (void *)(uintptr_t)&cases[i]};
    return _cmocka_run_group_tests("api-null", tests, 2 + N_CASES, NULL, NULL);
}
