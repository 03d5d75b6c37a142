/* test-resolve.c - unit tests of src/resolve.c: literals without lookup,
 * family filtering and order, deduplication, the max/count contract,
 * argument errors and names that cannot resolve.
 *
 * Offline by design: the only name looked up that exists is "localhost"
 * (answered by /etc/hosts through nss "files").  Names that must fail are
 * either refused before any lookup ("bad..name", loose numerics) or are
 * absolute names under .invalid (RFC 6761) looked up with a one-second,
 * single-attempt resolver (RES_OPTIONS, set in main), so a machine with a
 * dead DNS server costs one second, not glibc's default 5 s x 2 attempts
 * per search domain (20 s measured here with a silent server).
 * "localhost" is asked only as AF_INET and AF_UNSPEC: both are answered
 * from /etc/hosts, whereas AF_INET6 goes on to DNS (twice, with the search
 * list) on machines whose /etc/hosts has no ::1 line, like this one.  IPv6
 * filtering is covered by the literals instead.
 *
 * The ordering (IPv4 first, RFC 6724 order kept within each family,
 * duplicates dropped) is checked on an answer this file controls, whatever
 * /etc/hosts holds: getaddrinfo() and freeaddrinfo() are interposed (the
 * executable's definitions win over libc's for resolve.c, linked in) and
 * answer the name FAKE_NAME with a fixed IPv6-first list; every other name
 * goes to libc's. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* RTLD_NEXT */
#endif
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <netdb.h>
#include <net/if.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "icmpring.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define MAXA 16

static struct icr_addr sentinel(void)
{
    struct icr_addr a;

    memset(&a, 0x5a, sizeof(a));
    return a;
}

static void fill_sentinel(struct icr_addr *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        v[i] = sentinel();
}

static bool is_sentinel(const struct icr_addr *a)
{
    struct icr_addr s = sentinel();

    return memcmp(a, &s, sizeof(s)) == 0;
}

static bool is_loopback_v4(const struct icr_addr *a)
{
    static const uint8_t lo[4] = {127, 0, 0, 1};

    return a->family == AF_INET && memcmp(a->bytes, lo, 4) == 0;
}

/* ---- the interposed resolver ------------------------------------------- */

#define FAKE_NAME "icr-order.test"
/* The answer, in the order a resolver sorting by RFC 6724 might give it:
 * IPv6 first, the families interleaved, one address twice. */
static const char *const fake_answer[] = {
    "2001:db8::1", "192.0.2.1", "2001:db8::2", "198.51.100.1", "192.0.2.1", "2001:db8::1",
};
static int fake_lookups, fake_frees;

struct fake_ai {
    struct addrinfo ai;
    struct sockaddr_storage ss;
};

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                struct addrinfo **res);
void freeaddrinfo(struct addrinfo *res);

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                struct addrinfo **res)
{
    if (node == NULL || strcmp(node, FAKE_NAME) != 0 ||
        (hints && (hints->ai_flags & AI_NUMERICHOST))) {
        int (*real)(const char *, const char *, const struct addrinfo *, struct addrinfo **);
        *(void **)&real = dlsym(RTLD_NEXT, "getaddrinfo");
        return real(node, service, hints, res);
    }
    int fam = hints ? hints->ai_family : AF_UNSPEC;
    struct addrinfo *head = NULL, **tail = &head;
    fake_lookups++;
    for (size_t i = 0; i < COUNT(fake_answer); i++) {
        struct fake_ai *f = calloc(1, sizeof(*f));
        int af = strchr(fake_answer[i], ':') ? AF_INET6 : AF_INET;
        assert_non_null(f);
        if (fam != AF_UNSPEC && fam != af) {
            free(f);
            continue;
        }
        if (af == AF_INET) {
            struct sockaddr_in *sin = (struct sockaddr_in *)&f->ss;
            sin->sin_family = AF_INET;
            assert_int_equal(inet_pton(AF_INET, fake_answer[i], &sin->sin_addr), 1);
            f->ai.ai_addrlen = sizeof(*sin);
        } else {
            struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&f->ss;
            sin6->sin6_family = AF_INET6;
            assert_int_equal(inet_pton(AF_INET6, fake_answer[i], &sin6->sin6_addr), 1);
            f->ai.ai_addrlen = sizeof(*sin6);
        }
        f->ai.ai_family = af;
        f->ai.ai_socktype = SOCK_DGRAM;
        f->ai.ai_addr = (struct sockaddr *)&f->ss;
        f->ai.ai_canonname = (char *)FAKE_NAME; /* marks the list as ours */
        *tail = &f->ai;
        tail = &f->ai.ai_next;
    }
    if (head == NULL)
        return EAI_NONAME;
    *res = head;
    return 0;
}

void freeaddrinfo(struct addrinfo *res)
{
    if (res && res->ai_canonname == (char *)FAKE_NAME) {
        fake_frees++;
        while (res) {
            struct addrinfo *next = res->ai_next;
            free(res); /* ai is the first member of struct fake_ai */
            res = next;
        }
        return;
    }
    void (*real)(struct addrinfo *);
    *(void **)&real = dlsym(RTLD_NEXT, "freeaddrinfo");
    real(res);
}

static void assert_addr(const struct icr_addr *a, const char *want)
{
    struct icr_addr w;

    assert_int_equal(icr_addr_parse(want, &w), 0);
    if (!icr_addr_equal(a, &w))
        fail_msg("want %s", want);
}

/* IPv4 first, then IPv6, each in the resolver's order, each address once:
 * the order does not depend on /etc/hosts. */
static void test_order_controlled(void **state)
{
    struct icr_addr v[MAXA];

    (void)state;
    fake_lookups = fake_frees = 0;
    fill_sentinel(v, MAXA);
    assert_int_equal(icr_resolve(FAKE_NAME, AF_UNSPEC, v, MAXA), 4);
    assert_addr(&v[0], "192.0.2.1");
    assert_addr(&v[1], "198.51.100.1");
    assert_addr(&v[2], "2001:db8::1");
    assert_addr(&v[3], "2001:db8::2");
    assert_true(is_sentinel(&v[4]));

    fill_sentinel(v, MAXA);
    assert_int_equal(icr_resolve(FAKE_NAME, AF_INET, v, MAXA), 2);
    assert_addr(&v[0], "192.0.2.1");
    assert_addr(&v[1], "198.51.100.1");
    assert_true(is_sentinel(&v[2]));

    fill_sentinel(v, MAXA);
    assert_int_equal(icr_resolve(FAKE_NAME, AF_INET6, v, MAXA), 2);
    assert_addr(&v[0], "2001:db8::1");
    assert_addr(&v[1], "2001:db8::2");
    assert_true(is_sentinel(&v[2]));

    /* max below the count: the first ones in that order, the total returned. */
    fill_sentinel(v, MAXA);
    assert_int_equal(icr_resolve(FAKE_NAME, AF_UNSPEC, v, 3), 4);
    assert_addr(&v[0], "192.0.2.1");
    assert_addr(&v[1], "198.51.100.1");
    assert_addr(&v[2], "2001:db8::1");
    assert_true(is_sentinel(&v[3]));

    /* Every lookup went through the fake and was freed. */
    assert_int_equal(fake_lookups, 4);
    assert_int_equal(fake_frees, 4);
}

static void assert_no_duplicates(const struct icr_addr *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < i; j++)
            assert_false(icr_addr_equal(&v[i], &v[j]));
    }
}

static void test_literal_v4(void **state)
{
    static const uint8_t want[4] = {198, 51, 100, 7};
    struct icr_addr v[MAXA];

    (void)state;
    fill_sentinel(v, MAXA);
    assert_int_equal(icr_resolve("198.51.100.7", AF_UNSPEC, v, MAXA), 1);
    assert_int_equal(v[0].family, AF_INET);
    assert_int_equal(v[0].scope_id, 0);
    assert_memory_equal(v[0].bytes, want, 4);
    assert_true(is_sentinel(&v[1]));

    fill_sentinel(v, MAXA);
    assert_int_equal(icr_resolve("198.51.100.7", AF_INET, v, MAXA), 1);
    assert_memory_equal(v[0].bytes, want, 4);

    /* A literal of the other family is not converted. */
    fill_sentinel(v, MAXA);
    assert_int_equal(icr_resolve("198.51.100.7", AF_INET6, v, MAXA), ICR_ENAMELOOKUP);
    assert_true(is_sentinel(&v[0]));
}

static void test_literal_v6(void **state)
{
    static const uint8_t db8[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x42};
    static const uint8_t fe80[16] = {0xfe, 0x80, [15] = 1};
    struct icr_addr v[MAXA];

    (void)state;
    fill_sentinel(v, MAXA);
    assert_int_equal(icr_resolve("2001:db8::42", AF_UNSPEC, v, MAXA), 1);
    assert_int_equal(v[0].family, AF_INET6);
    assert_memory_equal(v[0].bytes, db8, 16);
    assert_true(is_sentinel(&v[1]));

    fill_sentinel(v, MAXA);
    assert_int_equal(icr_resolve("2001:db8::42", AF_INET6, v, MAXA), 1);
    assert_memory_equal(v[0].bytes, db8, 16);

    fill_sentinel(v, MAXA);
    assert_int_equal(icr_resolve("2001:db8::42", AF_INET, v, MAXA), ICR_ENAMELOOKUP);
    assert_true(is_sentinel(&v[0]));

    /* The zone survives. */
    fill_sentinel(v, MAXA);
    assert_int_equal(icr_resolve("fe80::1%lo", AF_UNSPEC, v, MAXA), 1);
    assert_int_equal(v[0].family, AF_INET6);
    assert_int_equal(v[0].scope_id, if_nametoindex("lo"));
    assert_memory_equal(v[0].bytes, fe80, 16);

    /* IPv4-mapped is IPv6 text, hence IPv6. */
    assert_int_equal(icr_resolve("::ffff:198.51.100.1", AF_INET, v, MAXA), ICR_ENAMELOOKUP);
    assert_int_equal(icr_resolve("::ffff:198.51.100.1", AF_INET6, v, MAXA), 1);
}

static void test_literal_count_only(void **state)
{
    struct icr_addr v[1] = {sentinel()};

    (void)state;
    /* max 0: nothing stored, the total still comes back. */
    assert_int_equal(icr_resolve("192.0.2.1", AF_UNSPEC, NULL, 0), 1);
    assert_int_equal(icr_resolve("2001:db8::1", AF_UNSPEC, v, 0), 1);
    assert_true(is_sentinel(&v[0]));
}

static void test_localhost_v4(void **state)
{
    struct icr_addr v[MAXA];
    bool found = false;
    int n;

    (void)state;
    fill_sentinel(v, MAXA);
    n = icr_resolve("localhost", AF_INET, v, MAXA);
    assert_in_range(n, 1, MAXA);
    for (int i = 0; i < n; i++) {
        assert_int_equal(v[i].family, AF_INET);
        found = found || is_loopback_v4(&v[i]);
    }
    assert_true(found);
    /* getaddrinfo without a socket type would give 127.0.0.1 three times
     * (stream, datagram, raw). */
    assert_no_duplicates(v, (size_t)n);
    if (n < MAXA)
        assert_true(is_sentinel(&v[n]));
}

static void test_localhost_unspec_order(void **state)
{
    struct icr_addr v[MAXA];
    bool seen_v6 = false;
    int n;

    (void)state;
    fill_sentinel(v, MAXA);
    n = icr_resolve("localhost", AF_UNSPEC, v, MAXA);
    assert_in_range(n, 1, MAXA);
    /* IPv4 first: once an IPv6 address shows up, no IPv4 follows. */
    for (int i = 0; i < n; i++) {
        assert_true(v[i].family == AF_INET || v[i].family == AF_INET6);
        if (v[i].family == AF_INET6)
            seen_v6 = true;
        else
            assert_false(seen_v6);
    }
    assert_true(is_loopback_v4(&v[0]));
    assert_no_duplicates(v, (size_t)n);
}

static void test_max_smaller_than_count(void **state)
{
    struct icr_addr all[MAXA];
    struct icr_addr v[2];
    int total;

    (void)state;
    total = icr_resolve("localhost", AF_UNSPEC, all, MAXA);
    assert_in_range(total, 1, MAXA);

    /* max 0 and max 1 report the same total as a large max. */
    assert_int_equal(icr_resolve("localhost", AF_UNSPEC, NULL, 0), total);

    fill_sentinel(v, 2);
    assert_int_equal(icr_resolve("localhost", AF_UNSPEC, v, 1), total);
    assert_true(icr_addr_equal(&v[0], &all[0]));
    assert_true(is_sentinel(&v[1]));
}

static void test_bad_arguments(void **state)
{
    struct icr_addr v[1] = {sentinel()};

    (void)state;
    assert_int_equal(icr_resolve(NULL, AF_UNSPEC, v, 1), ICR_EINVAL);
    assert_int_equal(icr_resolve("192.0.2.1", AF_UNIX, v, 1), ICR_EINVAL);
    assert_int_equal(icr_resolve("192.0.2.1", -1, v, 1), ICR_EINVAL);
    assert_int_equal(icr_resolve("192.0.2.1", AF_UNSPEC, NULL, 1), ICR_EINVAL);
    assert_true(is_sentinel(&v[0]));
}

/* Refused before any lookup: empty, malformed, or numeric forms that
 * getaddrinfo would read as some other address (inet_aton's octal, hex and
 * short forms), and broken IPv6 literals. */
static void test_names_that_cannot_resolve(void **state)
{
    static const char *const names[] = {
        "",
        "bad..name",
        "01.2.3.4",
        "1.2.3",
        "127.1",
        "0x7f.0.0.1",
        "2130706433",
        ":::",
        "1:2:3:4:5:6:7:8:9",
        "fe80::1%icrnosuch0",
        "2001:db8::1%",
    };
    struct icr_addr v[MAXA];

    (void)state;
    for (size_t i = 0; i < COUNT(names); i++) {
        fill_sentinel(v, MAXA);
        if (icr_resolve(names[i], AF_UNSPEC, v, MAXA) != ICR_ENAMELOOKUP)
            fail_msg("\"%s\" should not resolve", names[i]);
        assert_true(is_sentinel(&v[0]));
    }
}

/* A syntactically fine name that does not exist anywhere: .invalid is
 * reserved (RFC 6761 §6.4); the trailing dot skips the search list. */
static void test_unknown_name(void **state)
{
    struct icr_addr v[MAXA];
    int rc;

    (void)state;
    fill_sentinel(v, MAXA);
    rc = icr_resolve("icmpring-test.invalid.", AF_UNSPEC, v, MAXA);
    /* ENAMELOOKUP normally; a negative errno if the resolver itself broke
     * (EAI_SYSTEM), never an address. */
    assert_true(rc == ICR_ENAMELOOKUP || icr_error_is(rc, ICR_ESYSTEM));
    assert_true(is_sentinel(&v[0]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_literal_v4),
        cmocka_unit_test(test_literal_v6),
        cmocka_unit_test(test_literal_count_only),
        cmocka_unit_test(test_localhost_v4),
        cmocka_unit_test(test_localhost_unspec_order),
        cmocka_unit_test(test_order_controlled),
        cmocka_unit_test(test_max_smaller_than_count),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_names_that_cannot_resolve),
        cmocka_unit_test(test_unknown_name),
    };

    /* Before the first lookup: glibc reads RES_OPTIONS when it first
     * initialises the resolver.  One try, one second, per query. */
    if (setenv("RES_OPTIONS", "timeout:1 attempts:1", 1) != 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
