/* test-cli.c - unit tests of the icmpring tool's shared option parsers
 * (tools/cli.c): cli_parse_u64 takes decimal or 0x hexadecimal only, the
 * whole string, no blanks, no sign, no octal (a leading zero is still
 * decimal: "010" is 10), no overflow; cli_parse_double takes a plain
 * decimal number (optional fraction and exponent), no blanks, no sign where
 * the range has no negative values, no nan/inf, no hexadecimal floats.
 * Pure: no sockets, no network. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cli.h"

/* A value the parsers must leave untouched when they refuse. */
#define U_SENTINEL UINT64_C(0xdeadbeef)
#define D_SENTINEL 12345.0

static void expect_u64(const char *s, uint64_t min, uint64_t max, uint64_t want) {
    uint64_t v = U_SENTINEL;
    if (cli_parse_u64(s, min, max, &v) != 0)
        fail_msg("cli_parse_u64(\"%s\") refused, expected %llu", s, (unsigned long long)want);
    if (v != want)
        fail_msg("cli_parse_u64(\"%s\") = %llu, expected %llu", s, (unsigned long long)v,
                 (unsigned long long)want);
}

static void refuse_u64(const char *s, uint64_t min, uint64_t max) {
    uint64_t v = U_SENTINEL;
    if (cli_parse_u64(s, min, max, &v) != -1)
        fail_msg("cli_parse_u64(\"%s\") accepted (%llu), expected a refusal", s ? s : "(null)",
                 (unsigned long long)v);
    assert_true(v == U_SENTINEL);
}

static void expect_double(const char *s, double min, double max, double want) {
    double v = D_SENTINEL;
    if (cli_parse_double(s, min, max, &v) != 0)
        fail_msg("cli_parse_double(\"%s\") refused, expected %g", s, want);
    if (v != want)
        fail_msg("cli_parse_double(\"%s\") = %g, expected %g", s, v, want);
}

static void refuse_double(const char *s, double min, double max) {
    double v = D_SENTINEL;
    if (cli_parse_double(s, min, max, &v) != -1)
        fail_msg("cli_parse_double(\"%s\") accepted (%g), expected a refusal", s ? s : "(null)",
                 v);
    assert_true(v == D_SENTINEL);
}

static void test_u64_decimal(void **state) {
    (void)state;
    expect_u64("0", 0, 255, 0);
    expect_u64("7", 0, 255, 7);
    expect_u64("255", 0, 255, 255);
    expect_u64("18446744073709551615", 0, UINT64_MAX, UINT64_MAX);
    expect_u64("4294967294", 1, UINT32_MAX - 1, UINT32_MAX - 1);
}

static void test_u64_hex(void **state) {
    (void)state;
    expect_u64("0x10", 0, 255, 16);
    expect_u64("0XfF", 0, 255, 255);
    expect_u64("0x0", 0, 255, 0);
    expect_u64("0xffffffffffffffff", 0, UINT64_MAX, UINT64_MAX);
    refuse_u64("0x", 0, 255);
    refuse_u64("0xg", 0, 255);
    refuse_u64("0x-1", 0, 255);
    refuse_u64("0x 1", 0, 255);
    refuse_u64("0x10000000000000000", 0, UINT64_MAX);
    refuse_u64("x10", 0, 255);
}

/* A leading zero is decimal, as --help says ("decimal or 0x"): no octal. */
static void test_u64_no_octal(void **state) {
    (void)state;
    expect_u64("010", 0, 255, 10);
    expect_u64("08", 0, 255, 8);
    expect_u64("00", 0, 255, 0);
    expect_u64("0255", 0, 255, 255);
}

static void test_u64_blanks_and_signs(void **state) {
    (void)state;
    refuse_u64("\t-1", 0, UINT64_MAX); /* strtoull: 2^64-1 */
    refuse_u64(" -1", 0, UINT64_MAX);
    refuse_u64("\n1", 0, UINT64_MAX);
    refuse_u64("\v1", 0, UINT64_MAX);
    refuse_u64("\f1", 0, UINT64_MAX);
    refuse_u64("\r1", 0, UINT64_MAX);
    refuse_u64(" 1", 0, UINT64_MAX);
    refuse_u64("1 ", 0, UINT64_MAX);
    refuse_u64("1\n", 0, UINT64_MAX);
    refuse_u64("-1", 0, UINT64_MAX);
    refuse_u64("+1", 0, UINT64_MAX);
    refuse_u64("-0", 0, UINT64_MAX);
    refuse_u64("--1", 0, UINT64_MAX);
}

static void test_u64_garbage(void **state) {
    (void)state;
    refuse_u64(NULL, 0, 255);
    refuse_u64("", 0, 255);
    refuse_u64("abc", 0, 255);
    refuse_u64("1a", 0, 255);
    refuse_u64("1.0", 0, 255);
    refuse_u64("1e3", 0, 255);
    refuse_u64("٣", 0, 255); /* a non-ASCII digit */
}

static void test_u64_range_and_overflow(void **state) {
    (void)state;
    refuse_u64("256", 0, 255);
    refuse_u64("0", 1, 255);
    refuse_u64("18446744073709551616", 0, UINT64_MAX);
    refuse_u64("99999999999999999999", 0, UINT64_MAX);
    refuse_u64("184467440737095516150", 0, UINT64_MAX);
    refuse_u64("4294967296", 0, UINT32_MAX);
}

static void test_double_accepts(void **state) {
    (void)state;
    expect_double("0", 0, 3600, 0.0);
    expect_double("1", 0, 3600, 1.0);
    expect_double("0.5", 0, 3600, 0.5);
    expect_double(".5", 0, 3600, 0.5);
    expect_double("2.", 0, 3600, 2.0);
    expect_double("1e2", 0, 3600, 100.0);
    expect_double("1E-1", 0, 3600, 0.1);
    expect_double("1e+2", 0, 3600, 100.0);
    expect_double("010", 0, 3600, 10.0);
    expect_double("3600", 0, 3600, 3600.0);
    expect_double("0.001", 0.001, 3600, 0.001);
    /* A range with negative values takes a minus sign. */
    expect_double("-1.5", -10, 10, -1.5);
}

static void test_double_refuses(void **state) {
    (void)state;
    refuse_double(NULL, 0, 3600);
    refuse_double("", 0, 3600);
    refuse_double(" 1", 0, 3600);
    refuse_double("\t1", 0, 3600);
    refuse_double("\n1", 0, 3600);
    refuse_double("1 ", 0, 3600);
    refuse_double("+1", 0, 3600);
    refuse_double("-1", 0, 3600);
    refuse_double("-0", 0, 3600);
    refuse_double("nan", 0, 3600);
    refuse_double("NaN", 0, 3600);
    refuse_double("inf", 0, 3600);
    refuse_double("infinity", 0, 3600);
    refuse_double("-inf", -INFINITY, INFINITY);
    refuse_double("nan", -INFINITY, INFINITY);
    refuse_double("0x10", 0, 3600);
    refuse_double("0x1p3", 0, 3600);
    refuse_double(".", 0, 3600);
    refuse_double("e1", 0, 3600);
    refuse_double("1e", 0, 3600);
    refuse_double("1e999", 0, INFINITY);
    refuse_double("1e-999", 0, 3600);
    refuse_double("1,5", 0, 3600);
    refuse_double("abc", 0, 3600);
    refuse_double("3600.5", 0, 3600);
    refuse_double("0.0009", 0.001, 3600);
    refuse_double("--1", -10, 10);
}

/* --transport: the four words, anything else refused (stderr names it);
 * a forced transport against --privileged / --unprivileged is refused. */
static void test_transport(void **state) {
    (void)state;
    int t = -1;
    assert_int_equal(cli_parse_transport("t", "packet", &t), 0);
    assert_int_equal(t, ICR_TRANSPORT_PACKET);
    assert_int_equal(cli_parse_transport("t", "raw", &t), 0);
    assert_int_equal(t, ICR_TRANSPORT_RAW);
    assert_int_equal(cli_parse_transport("t", "dgram", &t), 0);
    assert_int_equal(t, ICR_TRANSPORT_DGRAM);
    assert_int_equal(cli_parse_transport("t", "auto", &t), 0);
    assert_int_equal(t, ICR_TRANSPORT_AUTO);
    t = 42;
    assert_int_equal(cli_parse_transport("t", "PACKET", &t), -1);
    assert_int_equal(cli_parse_transport("t", "", &t), -1);
    assert_int_equal(t, 42);
    assert_int_equal(cli_check_transport("t", ICR_TRANSPORT_DGRAM, ICR_PRIVILEGED), -1);
    assert_int_equal(cli_check_transport("t", ICR_TRANSPORT_RAW, ICR_UNPRIVILEGED), -1);
    assert_int_equal(cli_check_transport("t", ICR_TRANSPORT_PACKET, ICR_UNPRIVILEGED), -1);
    assert_int_equal(cli_check_transport("t", ICR_TRANSPORT_PACKET, ICR_PRIVILEGED), 0);
    assert_int_equal(cli_check_transport("t", ICR_TRANSPORT_DGRAM, ICR_UNPRIVILEGED), 0);
    assert_int_equal(cli_check_transport("t", ICR_TRANSPORT_AUTO, ICR_UNPRIVILEGED), 0);
    assert_string_equal(cli_transport_name(ICR_TRANSPORT_PACKET), "packet");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_u64_decimal),
        cmocka_unit_test(test_u64_hex),
        cmocka_unit_test(test_u64_no_octal),
        cmocka_unit_test(test_u64_blanks_and_signs),
        cmocka_unit_test(test_u64_garbage),
        cmocka_unit_test(test_u64_range_and_overflow),
        cmocka_unit_test(test_double_accepts),
        cmocka_unit_test(test_double_refuses),
        cmocka_unit_test(test_transport),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
