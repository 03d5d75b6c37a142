/* test-addr.c - unit tests of src/addr.c: the strict parser (accept and
 * reject tables), formatting, comparison, sockaddr conversion and the
 * classifiers.  Pure: the only system state used is the loopback
 * interface "lo", which every Linux network namespace has. */
#include <net/if.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "icmpring.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* An address full of a marker byte: proves out-parameters stay untouched. */
static struct icr_addr sentinel(void)
{
    struct icr_addr a;

    memset(&a, 0xa5, sizeof(a));
    return a;
}

static void assert_untouched(const struct icr_addr *a)
{
    struct icr_addr s = sentinel();

    assert_memory_equal(a, &s, sizeof(s));
}

struct v4_row {
    const char *s;
    uint8_t b[4];
};

static void test_parse_ipv4_accept(void **state)
{
    static const struct v4_row rows[] = {
        {"1.2.3.4", {1, 2, 3, 4}},
        {"255.255.255.255", {255, 255, 255, 255}},
        {"0.0.0.0", {0, 0, 0, 0}},
        {"198.51.100.1", {198, 51, 100, 1}},
        {"192.0.2.0", {192, 0, 2, 0}},
        {"203.0.113.255", {203, 0, 113, 255}},
        {"198.18.10.200", {198, 18, 10, 200}},
        {"127.0.0.1", {127, 0, 0, 1}},
        {"10.0.0.10", {10, 0, 0, 10}},
        {"100.199.249.250", {100, 199, 249, 250}},
    };

    (void)state;
    for (size_t i = 0; i < COUNT(rows); i++) {
        struct icr_addr a = sentinel();

        if (icr_addr_parse(rows[i].s, &a) != 0)
            fail_msg("\"%s\" should parse", rows[i].s);
        assert_int_equal(a.family, AF_INET);
        assert_int_equal(a.scope_id, 0);
        assert_memory_equal(&a.v4.s_addr, rows[i].b, 4);
        assert_true(icr_is_ipv4_address(rows[i].s));
        assert_false(icr_is_ipv6_address(rows[i].s));
        assert_false(icr_is_hostname(rows[i].s));
    }
}

static const char *const v4_bad[] = {
    "256.1.1.1",
    "1.256.1.1",
    "1.1.1.256",
    "999.1.1.1",
    "1.2.3",
    "1.2",
    "1",
    "1.2.3.4.5",
    "01.2.3.4",
    "1.02.3.4",
    "1.2.3.00",
    "00.0.0.0",
    " 1.2.3.4",
    "1.2.3.4 ",
    "1 .2.3.4",
    "1..3.4",
    ".1.2.3",
    "1.2.3.",
    "1.2.3.4.",
    "0x1.2.3.4",
    "1.2.3.0x4",
    "+1.2.3.4",
    "-1.2.3.4",
    "1.2.3.-4",
    "1.2.3.4a",
    "1.2.3.4/32",
    "1.2.3.4%lo",
    "1.2.3.4:80",
    "1234.1.1.1",
    "1.2.3.0004",
    "",
    ".",
    "...",
    "localhost",
    "example.com",
};

static void test_parse_ipv4_reject(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(v4_bad); i++) {
        struct icr_addr a = sentinel();

        if (icr_addr_parse(v4_bad[i], &a) != ICR_EINVAL)
            fail_msg("\"%s\" should be rejected", v4_bad[i]);
        assert_untouched(&a);
        assert_false(icr_is_ipv4_address(v4_bad[i]));
    }
}

struct v6_row {
    const char *s;
    uint8_t b[16];
};

static void test_parse_ipv6_accept(void **state)
{
    static const struct v6_row rows[] = {
        {"::", {0}},
        {"::1", {[15] = 1}},
        {"2001:db8::1", {0x20, 0x01, 0x0d, 0xb8, [15] = 1}},
        {"2001:DB8::A", {0x20, 0x01, 0x0d, 0xb8, [15] = 0x0a}},
        {"2001:db8:1:2:3:4:5:6", {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6}},
        {"2001:0db8:0000:0000:0000:0000:0000:0001", {0x20, 0x01, 0x0d, 0xb8, [15] = 1}},
        {"2001:db8::", {0x20, 0x01, 0x0d, 0xb8}},
        {"::ffff:198.51.100.1", {[10] = 0xff, [11] = 0xff, 198, 51, 100, 1}},
        {"::198.51.100.1", {[12] = 198, 51, 100, 1}},
        {"fe80::1", {0xfe, 0x80, [15] = 1}},
        {"ff02::1", {0xff, 0x02, [15] = 1}},
    };

    (void)state;
    for (size_t i = 0; i < COUNT(rows); i++) {
        struct icr_addr a = sentinel();

        if (icr_addr_parse(rows[i].s, &a) != 0)
            fail_msg("\"%s\" should parse", rows[i].s);
        assert_int_equal(a.family, AF_INET6);
        assert_int_equal(a.scope_id, 0);
        assert_memory_equal(a.bytes, rows[i].b, 16);
        assert_true(icr_is_ipv6_address(rows[i].s));
        assert_false(icr_is_ipv4_address(rows[i].s));
        assert_false(icr_is_hostname(rows[i].s));
    }
}

static void test_parse_ipv6_zone(void **state)
{
    static const uint8_t fe80_1[16] = {0xfe, 0x80, [15] = 1};
    static const uint8_t db8_1[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
    unsigned lo = if_nametoindex("lo");
    struct icr_addr a = sentinel();

    (void)state;
    assert_int_not_equal(lo, 0);

    assert_int_equal(icr_addr_parse("2001:db8::1%lo", &a), 0);
    assert_int_equal(a.family, AF_INET6);
    assert_int_equal(a.scope_id, lo);
    assert_memory_equal(a.bytes, db8_1, 16);

    a = sentinel();
    assert_int_equal(icr_addr_parse("fe80::1%1", &a), 0);
    assert_int_equal(a.family, AF_INET6);
    assert_int_equal(a.scope_id, 1);
    assert_memory_equal(a.bytes, fe80_1, 16);

    /* A number need not be an existing interface (the header says so). */
    a = sentinel();
    assert_int_equal(icr_addr_parse("fe80::1%4294967295", &a), 0);
    assert_int_equal(a.scope_id, UINT32_MAX);

    a = sentinel();
    assert_int_equal(icr_addr_parse("::ffff:198.51.100.1%lo", &a), 0);
    assert_int_equal(a.family, AF_INET6);
    assert_int_equal(a.scope_id, lo);
}

static const char *const v6_bad[] = {
    "2001:db8::1%",
    "%lo",
    ":::",
    "1:2:3:4:5:6:7:8:9",
    "1:2:3:4:5:6:7",
    "1::2::3",
    "2001:db8::g",
    "12345::1",
    ":1::",
    "::1 ",
    " ::1",
    "[::1]",
    "::ffff:198.51.100.01",
    "::ffff:198.51.100",
    "::ffff:256.1.1.1",
    "fe80::1%0",
    "fe80::1%01",
    "fe80::1%4294967296",
    "fe80::1%99999999999",
    "fe80::1%lo%lo",
    "fe80::1%l o",
    "fe80::1%lo ",
    "fe80::1%a/b",
    "fe80::1%abcdefghijklmnop",
    "2001:db8::/32",
    "2001:0db8:0000:0000:0000:0000:0000:0000:0001",
};

static void test_parse_ipv6_reject(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(v6_bad); i++) {
        struct icr_addr a = sentinel();

        if (icr_addr_parse(v6_bad[i], &a) != ICR_EINVAL)
            fail_msg("\"%s\" should be rejected", v6_bad[i]);
        assert_untouched(&a);
        if (icr_is_ipv6_address(v6_bad[i]))
            fail_msg("\"%s\" is not an IPv6 address", v6_bad[i]);
    }
}

/* The parser wants the interface to exist; the classifier checks only the
 * syntax of the zone. */
static void test_zone_existence(void **state)
{
    struct icr_addr a = sentinel();

    (void)state;
    assert_int_equal(if_nametoindex("icrnosuch0"), 0);
    assert_int_equal(icr_addr_parse("fe80::1%icrnosuch0", &a), ICR_EINVAL);
    assert_untouched(&a);
    assert_true(icr_is_ipv6_address("fe80::1%icrnosuch0"));
    assert_true(icr_is_ipv6_address("fe80::1%eth0.100"));
    assert_true(icr_is_ipv6_address("fe80::1%br_lan-2"));
    assert_true(icr_is_ipv6_address("fe80::1%abcdefghijklmno")); /* 15 characters */
    assert_true(icr_is_ipv6_address("fe80::1%7"));
    assert_false(icr_is_ipv6_address("fe80::1%"));
}

static void test_parse_args(void **state)
{
    struct icr_addr a = sentinel();

    (void)state;
    assert_int_equal(icr_addr_parse(NULL, &a), ICR_EINVAL);
    assert_untouched(&a);
    assert_int_equal(icr_addr_parse("1.2.3.4", NULL), ICR_EINVAL);
    assert_false(icr_is_ipv4_address(NULL));
    assert_false(icr_is_ipv6_address(NULL));
    assert_false(icr_is_hostname(NULL));
}

/* Parse, format, compare with the canonical text typed by hand. */
struct fmt_row {
    const char *in;
    const char *out;
};

static void test_format(void **state)
{
    static const struct fmt_row rows[] = {
        {"1.2.3.4", "1.2.3.4"},
        {"0.0.0.0", "0.0.0.0"},
        {"255.255.255.255", "255.255.255.255"},
        {"::", "::"},
        {"::1", "::1"},
        {"2001:DB8:0:0:0:0:0:1", "2001:db8::1"},
        {"2001:0db8:0000:0000:0001:0000:0000:0001", "2001:db8::1:0:0:1"},
        {"::ffff:198.51.100.1", "::ffff:198.51.100.1"},
        {"2001:db8::1%lo", "2001:db8::1%lo"},
        {"fe80::1%4000000000", "fe80::1%4000000000"},
    };
    char buf[ICR_ADDRSTRLEN];

    (void)state;
    for (size_t i = 0; i < COUNT(rows); i++) {
        struct icr_addr a, b;

        assert_int_equal(icr_addr_parse(rows[i].in, &a), 0);
        assert_ptr_equal(icr_addr_format(&a, buf, sizeof(buf)), buf);
        assert_string_equal(buf, rows[i].out);
        /* And back: the formatted text is the same address. */
        assert_int_equal(icr_addr_parse(buf, &b), 0);
        assert_true(icr_addr_equal(&a, &b));
    }
}

static void test_format_numeric_zone_names_interface(void **state)
{
    char want[ICR_ADDRSTRLEN + 8];
    char ifname[IF_NAMESIZE];
    char buf[ICR_ADDRSTRLEN];
    struct icr_addr a;

    (void)state;
    /* Index 1 is lo in a fresh namespace, but ask the system to be sure. */
    assert_non_null(if_indextoname(1, ifname));
    (void)snprintf(want, sizeof(want), "fe80::1%%%s", ifname);
    assert_int_equal(icr_addr_parse("fe80::1%1", &a), 0);
    assert_non_null(icr_addr_format(&a, buf, sizeof(buf)));
    assert_string_equal(buf, want);
}

static void test_format_limits(void **state)
{
    struct icr_addr a;
    struct icr_addr none = {.family = AF_UNSPEC};
    char buf[ICR_ADDRSTRLEN];

    (void)state;
    assert_int_equal(icr_addr_parse("198.51.100.1", &a), 0);
    /* 12 characters: 13 bytes are needed, 12 are not enough. */
    assert_null(icr_addr_format(&a, buf, 12));
    assert_ptr_equal(icr_addr_format(&a, buf, 13), buf);
    assert_string_equal(buf, "198.51.100.1");
    assert_null(icr_addr_format(&a, buf, 0));
    assert_null(icr_addr_format(&a, NULL, sizeof(buf)));
    assert_null(icr_addr_format(NULL, buf, sizeof(buf)));
    assert_null(icr_addr_format(&none, buf, sizeof(buf)));

    /* The longest form fits ICR_ADDRSTRLEN. */
    assert_int_equal(icr_addr_parse("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255%4294967295",
                                    &a),
                     0);
    assert_non_null(icr_addr_format(&a, buf, sizeof(buf)));
    assert_string_equal(buf, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff%4294967295");
}

static void test_equal(void **state)
{
    struct icr_addr a, b, c, d, e;

    (void)state;
    assert_int_equal(icr_addr_parse("198.51.100.1", &a), 0);
    assert_int_equal(icr_addr_parse("::ffff:198.51.100.1", &b), 0);
    assert_int_equal(icr_addr_parse("fe80::1", &c), 0);
    assert_int_equal(icr_addr_parse("fe80::1%lo", &d), 0);
    assert_int_equal(icr_addr_parse("198.51.100.2", &e), 0);

    assert_true(icr_addr_equal(&a, &a));
    assert_false(icr_addr_equal(&a, &b)); /* mapped is another family */
    assert_false(icr_addr_equal(&c, &d)); /* scope differs */
    assert_false(icr_addr_equal(&a, &e));
    assert_false(icr_addr_equal(&a, NULL));
    assert_false(icr_addr_equal(NULL, &a));

    /* Bytes of the union an IPv4 address does not use do not count. */
    {
        struct icr_addr x = sentinel(), y = sentinel();

        memset(y.bytes, 0x11, sizeof(y.bytes));
        x.family = y.family = AF_INET;
        x.scope_id = y.scope_id = 0;
        memcpy(x.bytes, "\xc6\x33\x64\x01", 4);
        memcpy(y.bytes, "\xc6\x33\x64\x01", 4);
        assert_true(icr_addr_equal(&x, &y));
        assert_true(icr_addr_equal(&x, &a));
    }
}

static void test_sockaddr_v4(void **state)
{
    static const uint8_t want[4] = {192, 0, 2, 33};
    struct sockaddr_storage ss;
    struct sockaddr_in sin;
    struct icr_addr a, b;

    (void)state;
    assert_int_equal(icr_addr_parse("192.0.2.33", &a), 0);
    assert_int_equal(icr_addr_to_sockaddr(&a, &ss), (int)sizeof(struct sockaddr_in));
    memcpy(&sin, &ss, sizeof(sin));
    assert_int_equal(sin.sin_family, AF_INET);
    assert_int_equal(sin.sin_port, 0);
    assert_memory_equal(&sin.sin_addr, want, 4);

    assert_int_equal(icr_addr_from_sockaddr((struct sockaddr *)&ss, sizeof(sin), &b), 0);
    assert_true(icr_addr_equal(&a, &b));

    /* Hand-built sockaddr, port ignored. */
    sin = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons(7)};
    memcpy(&sin.sin_addr, want, 4);
    b = sentinel();
    assert_int_equal(icr_addr_from_sockaddr((struct sockaddr *)&sin, sizeof(sin), &b), 0);
    assert_int_equal(b.family, AF_INET);
    assert_int_equal(b.scope_id, 0);
    assert_true(icr_addr_equal(&a, &b));
}

static void test_sockaddr_v6(void **state)
{
    static const uint8_t want[16] = {0x20, 0x01, 0x0d, 0xb8, [14] = 0xab, [15] = 0xcd};
    static const uint8_t mapped[16] = {[10] = 0xff, [11] = 0xff, 198, 51, 100, 9};
    struct sockaddr_storage ss;
    struct sockaddr_in6 sin6;
    struct icr_addr a, b;

    (void)state;
    assert_int_equal(icr_addr_parse("2001:db8::abcd%1", &a), 0);
    assert_int_equal(icr_addr_to_sockaddr(&a, &ss), (int)sizeof(struct sockaddr_in6));
    memcpy(&sin6, &ss, sizeof(sin6));
    assert_int_equal(sin6.sin6_family, AF_INET6);
    assert_int_equal(sin6.sin6_port, 0);
    assert_int_equal(sin6.sin6_scope_id, 1);
    assert_memory_equal(&sin6.sin6_addr, want, 16);
    assert_int_equal(icr_addr_from_sockaddr((struct sockaddr *)&ss, sizeof(sin6), &b), 0);
    assert_true(icr_addr_equal(&a, &b));
    assert_int_equal(b.scope_id, 1);

    /* IPv4-mapped stays IPv6. */
    sin6 = (struct sockaddr_in6){.sin6_family = AF_INET6, .sin6_scope_id = 0};
    memcpy(&sin6.sin6_addr, mapped, 16);
    b = sentinel();
    assert_int_equal(icr_addr_from_sockaddr((struct sockaddr *)&sin6, sizeof(sin6), &b), 0);
    assert_int_equal(b.family, AF_INET6);
    assert_int_equal(b.scope_id, 0);
    assert_memory_equal(b.bytes, mapped, 16);
}

static void test_sockaddr_errors(void **state)
{
    struct sockaddr_storage ss = {.ss_family = AF_UNIX};
    struct sockaddr_in sin = {.sin_family = AF_INET};
    struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6};
    struct icr_addr none = {.family = AF_UNSPEC};
    struct icr_addr a = sentinel();

    (void)state;
    assert_int_equal(icr_addr_from_sockaddr((struct sockaddr *)&ss, sizeof(ss), &a), ICR_EINVAL);
    assert_int_equal(icr_addr_from_sockaddr((struct sockaddr *)&sin, sizeof(sin) - 1, &a),
                     ICR_EINVAL);
    assert_int_equal(icr_addr_from_sockaddr((struct sockaddr *)&sin6, sizeof(sin6) - 1, &a),
                     ICR_EINVAL);
    assert_int_equal(icr_addr_from_sockaddr((struct sockaddr *)&sin, 0, &a), ICR_EINVAL);
    assert_int_equal(icr_addr_from_sockaddr(NULL, sizeof(sin), &a), ICR_EINVAL);
    assert_untouched(&a);
    assert_int_equal(icr_addr_from_sockaddr((struct sockaddr *)&sin, sizeof(sin), NULL),
                     ICR_EINVAL);

    ss = (struct sockaddr_storage){.ss_family = AF_UNIX};
    assert_int_equal(icr_addr_to_sockaddr(&none, &ss), ICR_EINVAL);
    assert_int_equal(ss.ss_family, AF_UNIX);
    assert_int_equal(icr_addr_to_sockaddr(NULL, &ss), ICR_EINVAL);
    assert_int_equal(icr_addr_to_sockaddr(&none, NULL), ICR_EINVAL);
}

static void test_hostname(void **state)
{
    static const char *const good[] = {
        "localhost",
        "a-b.example",
        "example.com.",
        "example.com",
        "a",
        "A.B.C",
        "1a",
        "a1",
        "123.example",
        "1.2.3.com",
        "0x1.2.3.4",
        "xn--bcher-kva.example",
        "host-1.sub-2.example.net",
    };
    static const char *const bad[] = {
        "",
        ".",
        "1.2.3",
        "1.2.3.4",
        "123",
        "1.2.3.4.",
        "-a.example",
        "a-.example",
        "a.-b",
        "a.b-",
        "a..b",
        ".a",
        "a.b..",
        "a_b",
        "a b",
        " a",
        "a ",
        "ex@mple.com",
        "2001:db8::1",
        "a/b",
        "h\xc3\xa9.example",
    };
    char label63[64], label64[65];
    char name253[254], name254[255], name253dot[255];

    (void)state;
    for (size_t i = 0; i < COUNT(good); i++) {
        if (!icr_is_hostname(good[i]))
            fail_msg("\"%s\" is a host name", good[i]);
    }
    for (size_t i = 0; i < COUNT(bad); i++) {
        if (icr_is_hostname(bad[i]))
            fail_msg("\"%s\" is not a host name", bad[i]);
    }

    memset(label63, 'a', 63);
    label63[63] = '\0';
    memset(label64, 'a', 64);
    label64[64] = '\0';
    assert_true(icr_is_hostname(label63));
    assert_false(icr_is_hostname(label64));

    /* 253 characters: labels of 63, 63, 63 and 61 "b"s joined by 3 dots. */
    memset(name253, 'b', 253);
    name253[63] = name253[127] = name253[191] = '.';
    name253[253] = '\0';
    assert_int_equal(strlen(name253), 253);
    assert_true(icr_is_hostname(name253));
    memcpy(name253dot, name253, 253);
    name253dot[253] = '.';
    name253dot[254] = '\0';
    assert_true(icr_is_hostname(name253dot));
    memcpy(name254, name253, 253);
    name254[253] = 'b';
    name254[254] = '\0';
    assert_false(icr_is_hostname(name254));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_ipv4_accept),
        cmocka_unit_test(test_parse_ipv4_reject),
        cmocka_unit_test(test_parse_ipv6_accept),
        cmocka_unit_test(test_parse_ipv6_zone),
        cmocka_unit_test(test_parse_ipv6_reject),
        cmocka_unit_test(test_zone_existence),
        cmocka_unit_test(test_parse_args),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_format_numeric_zone_names_interface),
        cmocka_unit_test(test_format_limits),
        cmocka_unit_test(test_equal),
        cmocka_unit_test(test_sockaddr_v4),
        cmocka_unit_test(test_sockaddr_v6),
        cmocka_unit_test(test_sockaddr_errors),
        cmocka_unit_test(test_hostname),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
