/* test-error.c - unit tests of src/error.c: messages and names of every
 * code, the icmplib families, negative errno handling, and icmplib's
 * sentences for ICMP error messages.  Pure: no sockets, no network. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "icmpring.h"

/* The map is the contract: the test walks it to be sure no code was
 * forgotten, and checks the strings against hand-written copies below. */
struct code_row {
    int code;
    const char *name;
    const char *msg;
};

static const struct code_row all_codes[] = {
#define ICR__XX(name, value, cls, msg) {ICR_##name, "ICR_" #name, msg},
    ICR_ERRNO_MAP(ICR__XX)
#undef ICR__XX
};

#define N_CODES (sizeof(all_codes) / sizeof(all_codes[0]))

static void test_every_code_has_text_and_name(void **state)
{
    (void)state;
    assert_int_equal(N_CODES, 15);
    for (size_t i = 0; i < N_CODES; i++) {
        const char *m = icr_strerror(all_codes[i].code);
        const char *n = icr_error_name(all_codes[i].code);

        assert_non_null(m);
        assert_true(strlen(m) > 0);
        assert_string_equal(m, all_codes[i].msg);
        assert_string_equal(n, all_codes[i].name);
        assert_string_not_equal(m, "Unknown error");
        for (size_t j = 0; j < i; j++) {
            assert_int_not_equal(all_codes[i].code, all_codes[j].code);
            assert_string_not_equal(m, icr_strerror(all_codes[j].code));
            assert_string_not_equal(n, icr_error_name(all_codes[j].code));
        }
    }
}

/* Values and texts typed by hand: renumbering or rewording is an API break. */
static void test_known_values(void **state)
{
    (void)state;
    assert_int_equal(ICR_EINVAL, -5001);
    assert_int_equal(ICR_ETIMEOUT, -5008);
    assert_int_equal(ICR_ESTOPPED, -5015);
    assert_string_equal(icr_strerror(ICR_ETIMEOUT), "The timeout has been reached");
    assert_string_equal(icr_strerror(ICR_ESOCKPERM),
                        "Root privileges are required to create the socket");
    assert_string_equal(icr_strerror(ICR_EUNREACH), "Destination unreachable");
    assert_string_equal(icr_error_name(ICR_ETIMEOUT), "ICR_ETIMEOUT");
    assert_string_equal(icr_error_name(ICR_ENAMELOOKUP), "ICR_ENAMELOOKUP");
    assert_string_equal(icr_error_name(ICR_ESYSTEM), "ICR_ESYSTEM");
}

static void test_success_and_unknown(void **state)
{
    static const int unknown[] = {1, 5, 1000, -4096, -5000, -5016, -9999, INT32_MIN};

    (void)state;
    assert_string_equal(icr_strerror(0), "Success");
    /* 0 is success, not an unknown code: its name agrees with its text. */
    assert_string_equal(icr_error_name(0), "ICR_OK");
    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
        assert_string_equal(icr_strerror(unknown[i]), "Unknown error");
        assert_string_equal(icr_error_name(unknown[i]), "ICR_UNKNOWN");
        assert_int_equal(icr_errno(unknown[i]), 0);
    }
}

static void test_system_errors(void **state)
{
    (void)state;
    /* glibc's untranslated descriptions. */
    assert_string_equal(icr_strerror(-EPERM), "Operation not permitted");
    assert_string_equal(icr_strerror(-ENOENT), "No such file or directory");
    assert_string_equal(icr_strerror(-EHOSTUNREACH), "No route to host");
    assert_string_equal(icr_error_name(-EPERM), "ICR_ESYSTEM");
    assert_string_equal(icr_error_name(-4095), "ICR_ESYSTEM");
    /* An errno with no description still gets a sentence. */
    assert_non_null(icr_strerror(-4000));
    assert_true(strlen(icr_strerror(-4000)) > 0);

    assert_int_equal(icr_errno(-EPERM), EPERM);
    assert_int_equal(icr_errno(-1), 1);
    assert_int_equal(icr_errno(-4095), 4095);
    assert_int_equal(icr_errno(-4096), 0);
    assert_int_equal(icr_errno(0), 0);
    assert_int_equal(icr_errno(ICR_ETIMEOUT), 0);
    assert_int_equal(icr_errno(ICR_ESYSTEM), 0);
    /* Round trip: errno -> code -> errno. */
    for (int e = 1; e <= 4095; e++)
        assert_int_equal(icr_errno(-e), e);
}

struct family_row {
    int code;
    int family;
    bool expected;
};

static void test_families(void **state)
{
    static const struct family_row rows[] = {
        /* ICMPSocketError and its subclasses, TimeoutExceeded included. */
        {ICR_ESOCKET, ICR_ESOCKET, true},
        {ICR_ESOCKADDR, ICR_ESOCKET, true},
        {ICR_ESOCKPERM, ICR_ESOCKET, true},
        {ICR_ESOCKUNAVAIL, ICR_ESOCKET, true},
        {ICR_ESOCKBROADCAST, ICR_ESOCKET, true},
        {ICR_ETIMEOUT, ICR_ESOCKET, true},
        {ICR_ESYSTEM, ICR_ESOCKET, true},
        {-EPERM, ICR_ESOCKET, true},
        {-4095, ICR_ESOCKET, true},
        {ICR_EICMP, ICR_ESOCKET, false},
        {ICR_EUNREACH, ICR_ESOCKET, false},
        {ICR_ENAMELOOKUP, ICR_ESOCKET, false},
        {ICR_EINVAL, ICR_ESOCKET, false},
        {ICR_ENOMEM, ICR_ESOCKET, false},
        {ICR_ESTOPPED, ICR_ESOCKET, false},
        {-4096, ICR_ESOCKET, false},
        /* ICMPError. */
        {ICR_EICMP, ICR_EICMP, true},
        {ICR_EUNREACH, ICR_EICMP, true},
        {ICR_ETIMEEXCEEDED, ICR_EICMP, true},
        {ICR_ETIMEOUT, ICR_EICMP, false},
        {ICR_ESOCKET, ICR_EICMP, false},
        {-EPERM, ICR_EICMP, false},
        /* System errors. */
        {-EPERM, ICR_ESYSTEM, true},
        {-1, ICR_ESYSTEM, true},
        {ICR_ESYSTEM, ICR_ESYSTEM, true},
        {ICR_ESOCKET, ICR_ESYSTEM, false},
        {ICR_ETIMEOUT, ICR_ESYSTEM, false},
        /* Leaves match only themselves. */
        {ICR_EUNREACH, ICR_EUNREACH, true},
        {ICR_EICMP, ICR_EUNREACH, false},
        {ICR_ETIMEEXCEEDED, ICR_EUNREACH, false},
        {ICR_ETIMEOUT, ICR_ETIMEOUT, true},
        {ICR_ESOCKET, ICR_ETIMEOUT, false},
        {ICR_ENAMELOOKUP, ICR_ENAMELOOKUP, true},
        {ICR_EINVAL, ICR_ENAMELOOKUP, false},
        {ICR_ESOCKPERM, ICR_ESOCKADDR, false},
        /* Success and positive values belong to no family. */
        {0, ICR_ESOCKET, false},
        {0, ICR_ESYSTEM, false},
        {0, 0, false},
        {1, 1, false},
        {5, ICR_EICMP, false},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        if (icr_error_is(rows[i].code, rows[i].family) != rows[i].expected)
            fail_msg("icr_error_is(%d, %d) should be %d", rows[i].code, rows[i].family,
                     rows[i].expected);
    }
    /* Every code is in its own family. */
    for (size_t i = 0; i < N_CODES; i++)
        assert_true(icr_error_is(all_codes[i].code, all_codes[i].code));
}

/* icmplib's strings (exceptions.py), typed by hand, "prohibed" corrected. */
static const char *const v4_unreach[16] = {
    "Destination network unreachable",
    "Destination host unreachable",
    "Destination protocol unreachable",
    "Destination port unreachable",
    "Fragmentation needed and DF set",
    "Source route failed",
    "Destination network unknown",
    "Destination host unknown",
    "Source host isolated",
    "Destination network prohibited",
    "Destination host prohibited",
    "Destination network unreachable for ToS",
    "Destination host unreachable for ToS",
    "Packet filtered",
    "Precedence violation",
    "Precedence cutoff",
};

static const char *const v6_unreach[7] = {
    "No route to destination",
    "Communication with destination administratively prohibited",
    "Beyond scope of source address",
    "Address unreachable",
    "Port unreachable",
    "Source address failed ingress/egress policy",
    "Reject route to destination",
};

static void test_icmp_unreachable(void **state)
{
    (void)state;
    for (int c = 0; c < 16; c++)
        assert_string_equal(icr_icmp_message(AF_INET, 3, c), v4_unreach[c]);
    for (int c = 0; c < 7; c++)
        assert_string_equal(icr_icmp_message(AF_INET6, 1, c), v6_unreach[c]);

    assert_string_equal(icr_icmp_message(AF_INET, 3, 16), "Destination unreachable, bad code");
    assert_string_equal(icr_icmp_message(AF_INET, 3, 255), "Destination unreachable, bad code");
    assert_string_equal(icr_icmp_message(AF_INET, 3, -1), "Destination unreachable, bad code");
    assert_string_equal(icr_icmp_message(AF_INET6, 1, 7), "Destination unreachable, bad code");
    assert_string_equal(icr_icmp_message(AF_INET6, 1, 200), "Destination unreachable, bad code");
}

static void test_icmp_time_exceeded(void **state)
{
    (void)state;
    assert_string_equal(icr_icmp_message(AF_INET, 11, 0), "Time to live exceeded");
    assert_string_equal(icr_icmp_message(AF_INET, 11, 1), "Fragment reassembly time exceeded");
    assert_string_equal(icr_icmp_message(AF_INET6, 3, 0), "Hop limit exceeded");
    assert_string_equal(icr_icmp_message(AF_INET6, 3, 1), "Fragment reassembly time exceeded");
    assert_string_equal(icr_icmp_message(AF_INET, 11, 2), "Time exceeded, bad code");
    assert_string_equal(icr_icmp_message(AF_INET6, 3, 2), "Time exceeded, bad code");
    assert_string_equal(icr_icmp_message(AF_INET6, 3, -5), "Time exceeded, bad code");
}

static void test_icmp_other_types(void **state)
{
    (void)state;
    /* Only Destination Unreachable and Time Exceeded have a table (the
     * header's contract): every other type, error or not, gives NULL and
     * the caller words it (icmplib: "Error type: T, code: C"). */
    assert_null(icr_icmp_message(AF_INET, 12, 0));  /* Parameter Problem */
    assert_null(icr_icmp_message(AF_INET, 4, 0));   /* Source Quench */
    assert_null(icr_icmp_message(AF_INET, 5, 1));   /* Redirect */
    assert_null(icr_icmp_message(AF_INET6, 2, 0));  /* Packet Too Big */
    assert_null(icr_icmp_message(AF_INET6, 4, 1));  /* Parameter Problem */
    assert_null(icr_icmp_message(AF_INET6, 137, 0)); /* Redirect */

    /* Echo and unknown types have no message. */
    assert_null(icr_icmp_message(AF_INET, 0, 0));
    assert_null(icr_icmp_message(AF_INET, 8, 0));
    assert_null(icr_icmp_message(AF_INET, 99, 0));
    assert_null(icr_icmp_message(AF_INET, -1, 0));
    assert_null(icr_icmp_message(AF_INET6, 128, 0));
    assert_null(icr_icmp_message(AF_INET6, 129, 0));
    assert_null(icr_icmp_message(AF_INET6, 135, 0));
    /* The type numbers differ between the families: v4 type 1 and v6
     * type 11 mean nothing. */
    assert_null(icr_icmp_message(AF_INET, 1, 0));
    assert_null(icr_icmp_message(AF_INET6, 11, 0));
    assert_null(icr_icmp_message(AF_UNSPEC, 3, 0));
    assert_null(icr_icmp_message(AF_UNIX, 3, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_code_has_text_and_name),
        cmocka_unit_test(test_known_values),
        cmocka_unit_test(test_success_and_unknown),
        cmocka_unit_test(test_system_errors),
        cmocka_unit_test(test_families),
        cmocka_unit_test(test_icmp_unreachable),
        cmocka_unit_test(test_icmp_time_exceeded),
        cmocka_unit_test(test_icmp_other_types),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
