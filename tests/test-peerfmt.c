/* test-peerfmt.c - unit tests of tools/peerfmt.c: the lines of iputils
 * ping, traceroute(8) and fping, byte for byte.  The golden lines are
 * written by hand from those tools' output in the lab (Debian 12:
 * iputils-ping 20221126, traceroute 2.1.2, fping 5.1) and from the
 * branches of their sources (time thresholds, integer mean and mdev, loss
 * as a float).  Pure: no sockets, no network. */
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "peerfmt.h"

/* A memory stream the formatters write to; check() compares and frees. */
struct cap {
    FILE *f;
    char *buf;
    size_t len;
};

static void cap_open(struct cap *c) {
    c->buf = NULL;
    c->len = 0;
    c->f = open_memstream(&c->buf, &c->len);
    assert_non_null(c->f);
}

static void check(struct cap *c, const char *want) {
    assert_int_equal(fclose(c->f), 0);
    assert_string_equal(c->buf, want);
    free(c->buf);
}

static void test_ping_header(void **state) {
    (void)state;
    struct cap c;
    cap_open(&c);
    pf_ping_header(c.f, AF_INET, "198.18.0.7", "198.18.0.7", NULL, 56);
    check(&c, "PING 198.18.0.7 (198.18.0.7) 56(84) bytes of data.\n");
    cap_open(&c);
    pf_ping_header(c.f, AF_INET, "localhost", "127.0.0.1", NULL, 1000);
    check(&c, "PING localhost (127.0.0.1) 1000(1028) bytes of data.\n");
    cap_open(&c);
    pf_ping_header(c.f, AF_INET, "198.18.0.3", "198.18.0.3", "192.0.2.1", 56);
    check(&c, "PING 198.18.0.3 (198.18.0.3) from 192.0.2.1 : 56(84) bytes of data.\n");
    /* IPv6: no blank before "(" and no total size. */
    cap_open(&c);
    pf_ping_header(c.f, AF_INET6, "2001:db8:1::7", "2001:db8:1::7", NULL, 56);
    check(&c, "PING 2001:db8:1::7(2001:db8:1::7) 56 data bytes\n");
    cap_open(&c);
    pf_ping_header(c.f, AF_INET6, "2001:db8:1::3", "2001:db8:1::3", "2001:db8:ff00::1", 56);
    check(&c, "PING 2001:db8:1::3(2001:db8:1::3) from 2001:db8:ff00::1 : 56 data bytes\n");
}

static void reply_is(long us, const char *want_time) {
    struct cap c;
    char want[160];
    cap_open(&c);
    pf_ping_reply(c.f, 64, "198.18.0.7", 1, 64, us, false, NULL);
    (void)snprintf(want, sizeof(want), "64 bytes from 198.18.0.7: icmp_seq=1 ttl=64%s\n",
                   want_time);
    check(&c, want);
}

static void test_ping_reply_time(void **state) {
    (void)state;
    /* Each of gather_statistics()'s four branches, at both edges. */
    reply_is(38, " time=0.038 ms");
    reply_is(0, " time=0.000 ms");
    reply_is(999, " time=0.999 ms");
    reply_is(1000, " time=1.00 ms");
    reply_is(1234, " time=1.23 ms");
    reply_is(1235, " time=1.24 ms"); /* rounded here, not truncated */
    reply_is(9994, " time=9.99 ms");
    reply_is(9995, " time=10.0 ms");
    reply_is(12345, " time=12.3 ms");
    reply_is(99949, " time=99.9 ms");
    reply_is(99950, " time=100 ms");
    reply_is(1234567, " time=1235 ms");
    reply_is(-1, ""); /* no timestamp in the payload: no time */
}

static void test_ping_reply_fields(void **state) {
    (void)state;
    struct cap c;
    cap_open(&c);
    pf_ping_reply(c.f, 64, "198.18.0.7", 2, 64, 35, true, NULL);
    check(&c, "64 bytes from 198.18.0.7: icmp_seq=2 ttl=64 time=0.035 ms (DUP!)\n");
    cap_open(&c);
    pf_ping_reply(c.f, 18, "198.18.0.7", 1, 64, -1, false, NULL);
    check(&c, "18 bytes from 198.18.0.7: icmp_seq=1 ttl=64\n");
    /* iputils' sequence is 16 bits: 65536 prints as 0. */
    cap_open(&c);
    pf_ping_reply(c.f, 64, "localhost (127.0.0.1)", 65536, -1, 20, false, " (x)");
    check(&c, "64 bytes from localhost (127.0.0.1): icmp_seq=0 time=0.020 ms (x)\n");
}

static void error_is(int family, int type, int code, const char *want) {
    char buf[96];
    assert_string_equal(pf_ping_error_text(family, type, code, 0, buf, sizeof(buf)), want);
}

static void test_ping_errors(void **state) {
    (void)state;
    /* The lab's routers (seen from iputils ping). */
    error_is(AF_INET, 3, 0, "Destination Net Unreachable");
    error_is(AF_INET, 3, 1, "Destination Host Unreachable");
    error_is(AF_INET, 3, 13, "Packet filtered");
    error_is(AF_INET, 11, 0, "Time to live exceeded");
    error_is(AF_INET6, 1, 0, "Destination unreachable: No route");
    error_is(AF_INET6, 1, 1, "Destination unreachable: Administratively prohibited");
    error_is(AF_INET6, 3, 0, "Time exceeded: Hop limit");
    /* The rest of the tables, and their fallbacks. */
    error_is(AF_INET, 3, 3, "Destination Port Unreachable");
    error_is(AF_INET, 3, 4, "Frag needed and DF set (mtu = 0)");
    error_is(AF_INET, 3, 10, "Destination Host Prohibited");
    error_is(AF_INET, 3, 15, "Precedence Cutoff");
    error_is(AF_INET, 3, 16, "Dest Unreachable, Bad Code: 16");
    error_is(AF_INET, 11, 1, "Frag reassembly time exceeded");
    error_is(AF_INET, 11, 7, "Time exceeded, Bad Code: 7");
    error_is(AF_INET, 12, 0, "Parameter problem: pointer = 0");
    error_is(AF_INET, 4, 0, "Source Quench");
    error_is(AF_INET, 42, 0, "Bad ICMP type: 42");
    error_is(AF_INET6, 1, 3, "Destination unreachable: Address unreachable");
    error_is(AF_INET6, 1, 4, "Destination unreachable: Port unreachable");
    error_is(AF_INET6, 1, 9, "Destination unreachable: Unknown code 9");
    error_is(AF_INET6, 2, 0, "Packet too big: mtu=0");
    error_is(AF_INET6, 3, 1, "Time exceeded: Defragmentation failure");
    error_is(AF_INET6, 4, 1, "Parameter problem: Unknown header at 0");
    error_is(AF_INET6, 4, 5, "Parameter problem: code 5 at 0");
    error_is(AF_INET6, 200, 0, "unknown icmp type: 200");
    char buf[96];
    assert_string_equal(pf_ping_error_text(AF_INET6, 2, 0, 1280, buf, sizeof(buf)),
                        "Packet too big: mtu=1280");

    struct cap c;
    cap_open(&c);
    pf_ping_error(c.f, "198.51.100.6", 1, AF_INET, 3, 1, 0);
    check(&c, "From 198.51.100.6 icmp_seq=1 Destination Host Unreachable\n");
    /* The MTU of the result, as iputils ping printed it in the lab. */
    cap_open(&c);
    pf_ping_error(c.f, "198.51.100.6", 1, AF_INET, 3, 4, 1300);
    check(&c, "From 198.51.100.6 icmp_seq=1 Frag needed and DF set (mtu = 1300)\n");
    cap_open(&c);
    pf_ping_error(c.f, "2001:db8:ff01:1::2", 1, AF_INET6, 2, 0, 1300);
    check(&c, "From 2001:db8:ff01:1::2 icmp_seq=1 Packet too big: mtu=1300\n");
}

static struct pf_ping_stats stats_of(const long *us, size_t n) {
    struct pf_ping_stats s = PF_PING_STATS_INIT;
    for (size_t k = 0; k < n; k++)
        pf_ping_add_rtt(&s, us[k]);
    return s;
}

static void test_ping_summary(void **state) {
    (void)state;
    struct cap c;
    /* iputils' own run in the lab: 38, 59 and 35 us, 412 ms. */
    const long three[] = {38, 59, 35};
    struct pf_ping_stats s = stats_of(three, 3);
    s.ntransmitted = 3;
    s.nreceived = 3;
    cap_open(&c);
    pf_ping_summary(c.f, "198.18.0.7", &s, 412 * 1000000LL + 400000);
    check(&c, "\n--- 198.18.0.7 ping statistics ---\n"
              "3 packets transmitted, 3 received, 0% packet loss, time 412ms\n"
              "rtt min/avg/max/mdev = 0.035/0.044/0.059/0.010 ms\n");
    /* Errors only: no rtt line, but its newline stays (an empty line). */
    s = (struct pf_ping_stats)PF_PING_STATS_INIT;
    s.ntransmitted = 2;
    s.nerrors = 2;
    cap_open(&c);
    pf_ping_summary(c.f, "203.0.113.1", &s, 205600000);
    check(&c, "\n--- 203.0.113.1 ping statistics ---\n"
              "2 packets transmitted, 0 received, +2 errors, 100% packet loss, time 206ms\n\n");
    /* Loss as a float through %g; duplicates counted in the mean. */
    const long dup[] = {1000, 2000, 3000, 6000};
    s = stats_of(dup, 4);
    s.ntransmitted = 3;
    s.nreceived = 1;
    s.nrepeats = 3;
    cap_open(&c);
    pf_ping_summary(c.f, "h", &s, 0);
    check(&c, "\n--- h ping statistics ---\n"
              "3 packets transmitted, 1 received, +3 duplicates, 66.6667% packet loss, time 0ms\n"
              "rtt min/avg/max/mdev = 1.000/3.000/6.000/1.870 ms\n");
    /* Untimed (payload below 16 bytes): counts only, then an empty line. */
    s = (struct pf_ping_stats)PF_PING_STATS_INIT;
    s.timing = false;
    s.ntransmitted = 2;
    s.nreceived = 2;
    cap_open(&c);
    pf_ping_summary(c.f, "198.18.0.7", &s, 202000000);
    check(&c, "\n--- 198.18.0.7 ping statistics ---\n"
              "2 packets transmitted, 2 received, 0% packet loss, time 202ms\n\n");
    /* Nothing sent (Ctrl-C at once): no loss and no time. */
    s = (struct pf_ping_stats)PF_PING_STATS_INIT;
    cap_open(&c);
    pf_ping_summary(c.f, "x", &s, 0);
    check(&c, "\n--- x ping statistics ---\n0 packets transmitted, 0 received\n\n");
}

static void test_ping_summary_pipe_ipg(void **state) {
    (void)state;
    struct cap c;
    /* iputils -c 4 -i 0 with replies 250 ms late (lab-relay): four probes
     * in flight, 61 ms of sends; ewma = 8 x the RTT, then += rtt - ewma/8. */
    const long late[] = {250431, 250960, 250600, 250509};
    struct pf_ping_stats s = stats_of(late, 4);
    s.ntransmitted = 4;
    s.nreceived = 4;
    s.ipg = true;
    pf_ping_pipe(&s, 4);
    pf_ping_pipe(&s, 3);
    assert_int_equal(s.rtt, 2004079); /* 250.509 ms */
    cap_open(&c);
    pf_ping_summary(c.f, "198.18.200.7", &s, 60762000);
    check(&c, "\n--- 198.18.200.7 ping statistics ---\n"
              "4 packets transmitted, 4 received, 0% packet loss, time 61ms\n"
              "rtt min/avg/max/mdev = 250.431/250.625/250.960/0.202 ms, pipe 4, "
              "ipg/ewma 20.254/250.509 ms\n");
    /* Untimed (-s 8 -i 0): ipg/ewma alone on the line, ewma 0. */
    s = (struct pf_ping_stats)PF_PING_STATS_INIT;
    s.timing = false;
    s.ipg = true;
    s.ntransmitted = 2;
    s.nreceived = 2;
    cap_open(&c);
    pf_ping_summary(c.f, "198.18.0.7", &s, 60000);
    check(&c, "\n--- 198.18.0.7 ping statistics ---\n"
              "2 packets transmitted, 2 received, 0% packet loss, time 0ms\n"
              "ipg/ewma 0.060/0.000 ms\n");
    /* One probe in flight at a time: no pipe; no reply: no ipg/ewma, but
     * a pipe without an rtt line starts the line itself. */
    s = (struct pf_ping_stats)PF_PING_STATS_INIT;
    s.ipg = true;
    s.ntransmitted = 3;
    pf_ping_pipe(&s, 1);
    cap_open(&c);
    pf_ping_summary(c.f, "h", &s, 0);
    check(&c, "\n--- h ping statistics ---\n"
              "3 packets transmitted, 0 received, 100% packet loss, time 0ms\n\n");
    s.pipesize = 2;
    cap_open(&c);
    pf_ping_summary(c.f, "h", &s, 0);
    check(&c, "\n--- h ping statistics ---\n"
              "3 packets transmitted, 0 received, 100% packet loss, time 0ms\npipe 2\n");
}

static void test_trace(void **state) {
    (void)state;
    struct cap c;
    cap_open(&c);
    pf_trace_header(c.f, "198.19.0.1", "198.19.0.1", 30, 60);
    check(&c, "traceroute to 198.19.0.1 (198.19.0.1), 30 hops max, 60 byte packets\n");
    cap_open(&c);
    pf_trace_addr(c.f, "198.51.100.6", "");
    pf_trace_addr(c.f, "198.51.100.6", "r1.example");
    pf_trace_addr(c.f, "198.51.100.6", NULL);
    check(&c, " 198.51.100.6 (198.51.100.6) r1.example (198.51.100.6) 198.51.100.6");
}

static void tm_is(int64_t ns, const char *want) {
    char buf[32];
    assert_string_equal(pf_fping_tm(ns, buf, sizeof(buf)), want);
}

static void test_fping_tm(void **state) {
    (void)state;
    tm_is(41000, "0.041");
    tm_is(999000, "0.999");
    tm_is(999999, "1.000"); /* below 1 ms: 3 decimals, even when it rounds up */
    tm_is(1000000, "1.00");
    tm_is(1234000, "1.23");
    tm_is(12345000, "12.3");
    tm_is(123456000, "123");
    tm_is(-5000, "-0.005");
    tm_is(INT64_C(2000000000000), "2.000e+06");
}

static void test_fping_min_avg_max(void **state) {
    (void)state;
    char buf[64];
    /* From the RTTs, not icmplib's round(min, 3) = 1.235 ("1.24"). */
    const double r[] = {1.3, 1.23451};
    assert_string_equal(pf_fping_min_avg_max(r, 2, buf, sizeof(buf)), "1.23/1.27/1.30");
    /* The mean truncated in ns: (41 + 42 + 42) us / 3 = 41.666 us. */
    const double s[] = {0.041, 0.042, 0.042};
    assert_string_equal(pf_fping_min_avg_max(s, 3, buf, sizeof(buf)), "0.041/0.042/0.042");
    const double t[] = {12.34951};
    assert_string_equal(pf_fping_min_avg_max(t, 1, buf, sizeof(buf)), "12.3/12.3/12.3");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ping_header),  cmocka_unit_test(test_ping_reply_time),
        cmocka_unit_test(test_ping_reply_fields), cmocka_unit_test(test_ping_errors),
        cmocka_unit_test(test_ping_summary), cmocka_unit_test(test_ping_summary_pipe_ipg),
        cmocka_unit_test(test_trace),
        cmocka_unit_test(test_fping_tm), cmocka_unit_test(test_fping_min_avg_max),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
