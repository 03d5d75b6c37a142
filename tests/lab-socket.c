/* lab-socket.c - lab tests of the socket layer (icmplib's ICMPv4Socket /
 * ICMPv6Socket) against the real kernel.  Runs inside the prober namespace
 * of a lab made by tools/icmpring-lab (see tests/meson.build), which also
 * tells us the lab's addresses through ICR_LAB_* variables. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <linux/icmp.h> /* ICMP_FILTER (no glibc twin) */
#include <netinet/icmp6.h>

#include "icmpring.h"
#include "lab-util.h"

static const char *lab_env(const char *name, const char *fallback) {
    const char *v = getenv(name);
    return v && *v ? v : fallback;
}

static struct icr_addr addr(const char *s) {
    struct icr_addr a;
    assert_int_equal(icr_addr_parse(s, &a), 0);
    return a;
}

static icr_socket *open_sock(int family, int privilege) {
    struct icr_socket_opts o = ICR_SOCKET_OPTS_INIT;
    icr_socket *s = NULL;
    o.family = family;
    o.privilege = privilege;
    assert_int_equal(icr_socket_open(&o, &s), 0);
    assert_non_null(s);
    return s;
}

static struct icr_request request(const char *dst, uint16_t id, uint16_t seq) {
    struct icr_request r = ICR_REQUEST_INIT;
    r.destination = addr(dst);
    r.id = id;
    r.sequence = seq;
    return r;
}

/* Send one request and wait for its reply; returns the receive code. */
static int ping_once(icr_socket *s, struct icr_request *req, double timeout, struct icr_reply *rep) {
    assert_int_equal(icr_socket_send(s, req), 0);
    *rep = (struct icr_reply)ICR_REPLY_INIT;
    return icr_socket_receive(s, req, timeout, rep);
}

static void check_echo(icr_socket *s, const char *dst, int ttl_expected) {
    struct icr_request req = request(dst, 0x4242, 7);
    struct icr_reply rep;
    assert_int_equal(ping_once(s, &req, 2, &rep), 0);
    assert_int_equal(icr_reply_raise_for_status(&rep), 0);
    assert_true(icr_addr_equal(&rep.source, &req.destination));
    assert_int_equal(rep.id, req.id); /* on a datagram socket send() wrote the real id back */
    assert_int_equal(rep.sequence, 7);
    assert_int_equal(rep.bytes_received, 64);
    assert_true(rep.payload_matches);
    assert_int_equal(rep.ttl, ttl_expected);
    assert_true(req.time_ns > 0);
    /* A veth round trip: more than nothing, far less than a second. */
    assert_true(rep.time_ns > req.time_ns);
    assert_true(rep.time_ns - req.time_ns < 500000000);
}

static void test_echo_v4(void **state) {
    (void)state;
    icr_socket *s = open_sock(AF_INET, ICR_PRIVILEGED);
    assert_true(icr_socket_is_privileged(s));
    check_echo(s, "198.18.0.7", 64);
    check_echo(s, "198.18.200.3", 64);
    /* The far responder is 1 + routers hops away: each router takes one. */
    check_echo(s, "198.19.0.9", 64 - atoi(lab_env("ICR_LAB_ROUTERS", "5")));
    s = icr_socket_free(s);
    assert_null(s);
}

static void test_echo_v6(void **state) {
    (void)state;
    icr_socket *s = open_sock(AF_INET6, ICR_PRIVILEGED);
    check_echo(s, "2001:db8:1::5", 64);
    check_echo(s, "2001:db8:1::abcd", 64);
    check_echo(s, "2001:db8:2::9", 64 - atoi(lab_env("ICR_LAB_ROUTERS", "5")));
    icr_socket_free(s);
}

static void test_big_payload(void **state) {
    (void)state;
    /* icmplib reads 1024 bytes and silently cuts anything larger. */
    icr_socket *s = open_sock(AF_INET, ICR_PRIVILEGED);
    static uint8_t payload[3000];
    for (size_t i = 0; i < sizeof(payload); i++)
        payload[i] = (uint8_t)(i * 7);
    struct icr_request req = request("198.18.0.8", 99, 1);
    req.payload = payload;
    req.payload_size = sizeof(payload);
    struct icr_reply rep;
    assert_int_equal(ping_once(s, &req, 2, &rep), 0);
    assert_int_equal(rep.bytes_received, 8 + sizeof(payload));
    assert_true(rep.payload_matches);
    icr_socket_free(s);
}

static void check_error(int family, const char *dst, int ttl, int want_status, int want_type,
                        int want_code, const char *want_from) {
    icr_socket *s = open_sock(family, ICR_PRIVILEGED);
    struct icr_request req = request(dst, 0x1111, 3);
    req.ttl = ttl;
    struct icr_reply rep;
    assert_int_equal(ping_once(s, &req, 2, &rep), 0);
    assert_int_equal(icr_reply_raise_for_status(&rep), want_status);
    assert_int_equal(rep.type, want_type);
    assert_int_equal(rep.code, want_code);
    /* Errors are matched through the packet they quote. */
    assert_int_equal(rep.id, 0x1111);
    assert_int_equal(rep.sequence, 3);
    struct icr_addr from = addr(want_from);
    assert_true(icr_addr_equal(&rep.source, &from));
    assert_non_null(icr_icmp_message(rep.family, rep.type, rep.code));
    icr_socket_free(s);
}

static void test_unreachable(void **state) {
    (void)state;
    const char *r1 = lab_env("ICR_LAB_R1_4", "198.51.100.2");
    const char *r1v6 = lab_env("ICR_LAB_R1_6", "2001:db8:ff01:1::2");
    /* Linux answers an `unreachable` route with Host Unreachable (code 1)
     * and a `prohibit` route with Communication Administratively
     * Prohibited (code 13) (net/ipv4/route.c ip_error); IPv6: no route (0)
     * and administratively prohibited (1) (net/ipv6/route.c). */
    check_error(AF_INET, "203.0.113.1", 64, ICR_EUNREACH, 3, 1, r1);
    check_error(AF_INET, "203.0.113.65", 64, ICR_EUNREACH, 3, 13, r1);
    check_error(AF_INET6, "2001:db8:e:1::1", 64, ICR_EUNREACH, 1, 0, r1v6);
    check_error(AF_INET6, "2001:db8:e:2::1", 64, ICR_EUNREACH, 1, 1, r1v6);
    assert_string_equal(icr_icmp_message(AF_INET, 3, 1), "Destination host unreachable");
}

static void test_time_exceeded(void **state) {
    (void)state;
    check_error(AF_INET, "198.19.0.1", 1, ICR_ETIMEEXCEEDED, 11, 0,
                lab_env("ICR_LAB_R1_4", "198.51.100.2"));
    check_error(AF_INET6, "2001:db8:2::1", 1, ICR_ETIMEEXCEEDED, 3, 0,
                lab_env("ICR_LAB_R1_6", "2001:db8:ff01:1::2"));
    /* TTL 2 dies at the second router. */
    check_error(AF_INET, "198.19.0.1", 2, ICR_ETIMEEXCEEDED, 11, 0,
                lab_env("ICR_LAB_R2_4", "198.51.100.6"));
}

static void test_timeout(void **state) {
    (void)state;
    /* A blackhole route: nothing comes back, ever. */
    icr_socket *s = open_sock(AF_INET, ICR_PRIVILEGED);
    struct icr_request req = request("203.0.113.129", 5, 5);
    struct icr_reply rep;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    assert_int_equal(ping_once(s, &req, 0.3, &rep), ICR_ETIMEOUT);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double took = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    assert_true(took >= 0.29 && took < 1.0);
    assert_true(icr_error_is(ICR_ETIMEOUT, ICR_ESOCKET));
    icr_socket_free(s);
}

static void test_broadcast(void **state) {
    (void)state;
    const char *bcast = lab_env("ICR_LAB_BCAST4", "192.0.2.255");
    icr_socket *s = open_sock(AF_INET, ICR_PRIVILEGED);
    assert_int_equal(icr_socket_get_broadcast(s), 0);
    struct icr_request req = request(bcast, 77, 1);
    assert_int_equal(icr_socket_send(s, &req), ICR_ESOCKBROADCAST);

    assert_int_equal(icr_socket_set_broadcast(s, true), 0);
    assert_int_equal(icr_socket_get_broadcast(s), 1);
    assert_int_equal(icr_socket_send(s, &req), 0);
    /* rsp, h1 and h2 share the prober's LAN and answer broadcasts. */
    int replies = 0;
    struct icr_reply rep = ICR_REPLY_INIT;
    while (icr_socket_receive(s, &req, 0.5, &rep) == 0) {
        assert_int_equal(icr_reply_raise_for_status(&rep), 0);
        replies++;
    }
    assert_int_equal(replies, atoi(lab_env("ICR_LAB_BCAST_HOSTS", "3")));
    icr_socket_free(s);

    icr_socket *s6 = open_sock(AF_INET6, ICR_PRIVILEGED);
    assert_int_equal(icr_socket_get_broadcast(s6), ICR_EINVAL);
    icr_socket_free(s6);
}

static void test_two_sockets(void **state) {
    (void)state;
    /* Raw sockets each see every ICMP packet: matching on id, sequence and
     * address is what keeps their replies apart. */
    icr_socket *a = open_sock(AF_INET, ICR_PRIVILEGED);
    icr_socket *b = open_sock(AF_INET, ICR_PRIVILEGED);
    for (uint16_t seq = 1; seq <= 20; seq++) {
        struct icr_request ra = request("198.18.0.10", 1000, seq);
        struct icr_request rb = request("198.18.0.10", 2000, seq);
        assert_int_equal(icr_socket_send(a, &ra), 0);
        assert_int_equal(icr_socket_send(b, &rb), 0);
        struct icr_reply pa = ICR_REPLY_INIT, pb = ICR_REPLY_INIT;
        /* b asks first, although a's reply was queued on b too. */
        assert_int_equal(icr_socket_receive(b, &rb, 2, &pb), 0);
        assert_int_equal(icr_socket_receive(a, &ra, 2, &pa), 0);
        assert_int_equal(pa.id, 1000);
        assert_int_equal(pb.id, 2000);
        assert_int_equal(pa.sequence, seq);
        assert_int_equal(pb.sequence, seq);
    }
    /* Same id and sequence to two destinations: the address decides.  The
     * reply from .11 comes first and is passed over (as in icmplib, a
     * receive consumes what it skips); icmplib would return it for r2. */
    struct icr_request r1 = request("198.18.0.11", 3000, 1);
    struct icr_request r2 = request("198.18.0.12", 3000, 1);
    assert_int_equal(icr_socket_send(a, &r1), 0);
    usleep(20000);
    assert_int_equal(icr_socket_send(a, &r2), 0);
    struct icr_reply p = ICR_REPLY_INIT;
    assert_int_equal(icr_socket_receive(a, &r2, 2, &p), 0);
    assert_true(icr_addr_equal(&p.source, &r2.destination));
    icr_socket_free(a);
    icr_socket_free(b);
}

static void test_source_and_close(void **state) {
    (void)state;
    struct icr_socket_opts o = ICR_SOCKET_OPTS_INIT;
    icr_socket *s = NULL;
    o.source = lab_env("ICR_LAB_PRB4", "192.0.2.1");
    assert_int_equal(icr_socket_open(&o, &s), 0);
    assert_string_equal(icr_socket_address(s), o.source);
    check_echo(s, "198.18.1.1", 64);
    assert_false(icr_socket_is_closed(s));
    assert_ptr_equal(icr_socket_close(s), s);
    assert_true(icr_socket_is_closed(s));
    struct icr_request req = request("198.18.1.1", 1, 1);
    struct icr_reply rep = ICR_REPLY_INIT;
    assert_int_equal(icr_socket_send(s, &req), ICR_ESOCKUNAVAIL);
    assert_int_equal(icr_socket_receive(s, NULL, 0.1, &rep), ICR_ESOCKUNAVAIL);
    s = icr_socket_free(s);

    /* An address that is not ours, and one that is not an address. */
    o.source = "203.0.113.77";
    assert_int_equal(icr_socket_open(&o, &s), ICR_ESOCKADDR);
    o.source = "not-an-address";
    assert_int_equal(icr_socket_open(&o, &s), ICR_ESOCKADDR);
    assert_null(s);
    assert_null(icr_socket_free(NULL));
    assert_null(icr_socket_close(NULL));
}

#define CHILD_CHECK(cond)                                                                    \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            fprintf(stderr, "child: %s:%d: %s\n", __FILE__, __LINE__, #cond);               \
            _exit(1);                                                                        \
        }                                                                                    \
    } while (0)

static void unprivileged_body(void) {
    struct icr_socket_opts o = ICR_SOCKET_OPTS_INIT;
    icr_socket *s = NULL;

    CHILD_CHECK(icr_socket_open(&o, &s) == ICR_ESOCKPERM); /* raw refused */
    o.privilege = ICR_PRIV_AUTO;                           /* falls back */
    CHILD_CHECK(icr_socket_open(&o, &s) == 0);
    CHILD_CHECK(!icr_socket_is_privileged(s));

    for (int i = 0; i < 2; i++) {
        struct icr_request req = ICR_REQUEST_INIT;
        CHILD_CHECK(icr_addr_parse(i ? "198.19.0.5" : "198.18.0.5", &req.destination) == 0);
        req.id = 0x7777; /* the kernel chooses another */
        req.sequence = (uint16_t)(9 + i);
        CHILD_CHECK(icr_socket_send(s, &req) == 0);
        struct icr_reply rep = ICR_REPLY_INIT;
        CHILD_CHECK(icr_socket_receive(s, &req, 2, &rep) == 0);
        CHILD_CHECK(icr_reply_raise_for_status(&rep) == 0);
        CHILD_CHECK(rep.id == req.id);
        CHILD_CHECK(rep.sequence == 9 + i);
        CHILD_CHECK(rep.payload_matches);
        CHILD_CHECK(rep.ttl > 0);
        CHILD_CHECK(rep.time_ns > req.time_ns);
    }
    /* ICMP errors reach a ping socket only through its error queue. */
    struct icr_request req = ICR_REQUEST_INIT;
    CHILD_CHECK(icr_addr_parse("198.19.0.6", &req.destination) == 0);
    req.sequence = 21;
    req.ttl = 1;
    CHILD_CHECK(icr_socket_send(s, &req) == 0);
    struct icr_reply rep = ICR_REPLY_INIT;
    CHILD_CHECK(icr_socket_receive(s, &req, 2, &rep) == 0);
    CHILD_CHECK(icr_reply_raise_for_status(&rep) == ICR_ETIMEEXCEEDED);
    CHILD_CHECK(rep.sequence == 21);
    icr_socket_free(s);

    o.family = AF_INET6;
    o.privilege = ICR_UNPRIVILEGED;
    CHILD_CHECK(icr_socket_open(&o, &s) == 0);
    req = (struct icr_request)ICR_REQUEST_INIT;
    CHILD_CHECK(icr_addr_parse("2001:db8:1::77", &req.destination) == 0);
    req.sequence = 4;
    CHILD_CHECK(icr_socket_send(s, &req) == 0);
    rep = (struct icr_reply)ICR_REPLY_INIT;
    CHILD_CHECK(icr_socket_receive(s, &req, 2, &rep) == 0);
    CHILD_CHECK(icr_reply_raise_for_status(&rep) == 0);
    CHILD_CHECK(rep.sequence == 4 && rep.payload_matches && rep.ttl == 64);
    icr_socket_free(s);
}

static void test_unprivileged(void **state) {
    (void)state;
    lab_as_nobody(unprivileged_body);
}

/* A zero-initialised reply (size 0) is "the current struct": receive
 * fills it and sets size, rather than refusing it with ICR_EINVAL. */
static void test_zero_initialised_reply(void **state) {
    (void)state;
    icr_socket *s = open_sock(AF_INET, ICR_PRIVILEGED);
    struct icr_request req = request("198.18.0.7", 0x5151, 3);
    struct icr_reply rep = {0};
    assert_int_equal(icr_socket_send(s, &req), 0);
    assert_int_equal(icr_socket_receive(s, &req, 2, &rep), 0);
    assert_int_equal(rep.size, sizeof(struct icr_reply));
    assert_int_equal(icr_reply_raise_for_status(&rep), 0);
    assert_int_equal(rep.sequence, 3);
    assert_true(rep.payload_matches);
    /* A size that is set but too small is still a caller's mistake. */
    rep = (struct icr_reply){.size = 1};
    assert_int_equal(icr_socket_receive(s, &req, 0.1, &rep), ICR_EINVAL);
    icr_socket_free(s);
}

/* The raw sockets' ICMP filters pass Echo Reply and the errors that say
 * something about a probe, and block the rest: Redirect and Source
 * Quench are about routes, not probes, and must not count as errors. */
static void test_icmp_filters(void **state) {
    (void)state;
    icr_socket *s = open_sock(AF_INET, ICR_PRIVILEGED);
    struct icmp_filter f4;
    socklen_t len = sizeof(f4);
    assert_int_equal(getsockopt(icr_socket_fd(s), SOL_RAW, ICMP_FILTER, &f4, &len), 0);
    /* Bits set = types blocked (raw(7)). */
    for (int t = 0; t < 32; t++) {
        const bool pass = t == 0 || t == 3 || t == 11 || t == 12;
        if (pass != !(f4.data & (1u << t)))
            fail_msg("ICMPv4 type %d: expected %s", t, pass ? "passed" : "blocked");
    }
    icr_socket_free(s);

    s = open_sock(AF_INET6, ICR_PRIVILEGED);
    struct icmp6_filter f6;
    len = sizeof(f6);
    assert_int_equal(getsockopt(icr_socket_fd(s), IPPROTO_ICMPV6, ICMP6_FILTER, &f6, &len), 0);
    for (int t = 0; t < 256; t++) {
        const bool pass = t == 1 || t == 2 || t == 3 || t == 4 || t == 129;
        if (pass != ICMP6_FILTER_WILLPASS(t, &f6))
            fail_msg("ICMPv6 type %d: expected %s", t, pass ? "passed" : "blocked");
    }
    icr_socket_free(s);
}

int main(void) {
    if (geteuid() != 0 || !getenv("ICR_LAB")) {
        /* meson counts cmocka's skip() as a failure under TAP; decide here. */
        printf("1..0 # SKIP needs root inside an icmpring-lab namespace\n");
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_echo_v4),      cmocka_unit_test(test_echo_v6),
        cmocka_unit_test(test_big_payload),  cmocka_unit_test(test_unreachable),
        cmocka_unit_test(test_time_exceeded), cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_broadcast),    cmocka_unit_test(test_two_sockets),
        cmocka_unit_test(test_source_and_close), cmocka_unit_test(test_unprivileged),
        cmocka_unit_test(test_zero_initialised_reply), cmocka_unit_test(test_icmp_filters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
