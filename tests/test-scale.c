/* test-scale.c - unit tests of the scale-out helpers of the icmpring tool
 * (tools/scale.c): a checkpoint survives save and load, one from another
 * run is refused in one line naming the first difference, a checkpoint
 * file that is not one is refused, the output of a resumed run is cut to
 * what the checkpoint covers (or after its last whole line), the shard
 * options follow sweep's rules, and the target-spec hash tells sets apart;
 * cli_ckpt_start and cli_resume_begin, the start every CLI shares.
 * Files only, in a temporary directory: no sockets, no network. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli.h"
#include "scale.h"

static char dir[] = "/tmp/icr-test-scale-XXXXXX";

static const char *path(const char *name) {
    static char buf[4][256];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof(buf[k]), "%s/%s", dir, name);
    return buf[k];
}

static struct cli_ckpt sample(void) {
    struct cli_ckpt c = {.targets_hash = UINT64_C(0xfedcba9876543210), .targets = 65534,
                         .seed = UINT64_MAX, .shards = 4, .shard = 3, .position = 12345,
                         .pass = 1, .output_bytes = 999, .sent = 12000, .hits = 11000,
                         .records = 11001, .elapsed = 1.5, .runs = 2, .done = true};
    snprintf(c.kind, sizeof(c.kind), "sweep");
    snprintf(c.version, sizeof(c.version), "0.1.0");
    cli_opts_add(c.opts, sizeof(c.opts), "count", "%d", 2);
    cli_opts_add(c.opts, sizeof(c.opts), "format", "%s", "csv");
    return c;
}

static void test_roundtrip(void **state) {
    (void)state;
    struct cli_ckpt c = sample(), d;
    assert_string_equal(c.opts, "count=2 format=csv");
    assert_int_equal(cli_ckpt_save(path("ck"), &c), 0);
    struct stat sb;
    assert_int_equal(stat(path("ck.tmp"), &sb), -1); /* renamed, not left */
    assert_int_equal(cli_ckpt_load("t", path("ck"), &d), 0);
    assert_string_equal(d.kind, "sweep");
    assert_string_equal(d.version, "0.1.0");
    assert_string_equal(d.opts, c.opts);
    assert_true(d.targets_hash == c.targets_hash && d.targets == c.targets && d.seed == c.seed);
    assert_true(d.shards == 4 && d.shard == 3 && d.position == 12345 && d.pass == 1);
    assert_true(d.output_bytes == 999 && d.sent == 12000 && d.hits == 11000 && d.records == 11001);
    assert_true(d.runs == 2 && d.done && d.elapsed > 1.49 && d.elapsed < 1.51);
    assert_int_equal(cli_ckpt_match("t", "ck", &c, &d, true), 0);
    assert_int_equal(cli_ckpt_load("t", path("none"), &d), 1);
}

static void test_mismatch(void **state) {
    (void)state;
    struct cli_ckpt a = sample(), b = sample();
    b.seed = 5;
    assert_int_equal(cli_ckpt_match("t", "ck", &a, &b, true), EXIT_USAGE);
    assert_int_equal(cli_ckpt_match("t", "ck", &a, &b, false), 0); /* the saved seed is taken */
    b = sample();
    b.targets_hash ^= 1;
    assert_int_equal(cli_ckpt_match("t", "ck", &a, &b, true), EXIT_USAGE);
    b = sample();
    b.shard = 2;
    assert_int_equal(cli_ckpt_match("t", "ck", &a, &b, true), EXIT_USAGE);
    b = sample();
    snprintf(b.kind, sizeof(b.kind), "multiping");
    assert_int_equal(cli_ckpt_match("t", "ck", &a, &b, true), EXIT_USAGE);
    b = sample();
    snprintf(b.version, sizeof(b.version), "0.2.0");
    assert_int_equal(cli_ckpt_match("t", "ck", &a, &b, true), EXIT_USAGE);
    b = sample();
    b.opts[0] = 0;
    cli_opts_add(b.opts, sizeof(b.opts), "count", "%d", 3);
    cli_opts_add(b.opts, sizeof(b.opts), "format", "%s", "csv");
    assert_int_equal(cli_ckpt_match("t", "ck", &a, &b, true), EXIT_USAGE);
    b.opts[0] = 0;
    cli_opts_add(b.opts, sizeof(b.opts), "count", "%d", 2);
    assert_int_equal(cli_ckpt_match("t", "ck", &a, &b, true), EXIT_USAGE); /* format missing */
    /* The position and counts are progress, not identity. */
    b = sample();
    b.position = 1;
    b.sent = 2;
    assert_int_equal(cli_ckpt_match("t", "ck", &a, &b, true), 0);
}

static void test_not_a_checkpoint(void **state) {
    (void)state;
    struct cli_ckpt d;
    FILE *f = fopen(path("junk"), "w");
    assert_non_null(f);
    fputs("hello\nposition 5\n", f);
    fclose(f);
    assert_int_equal(cli_ckpt_load("t", path("junk"), &d), EXIT_USAGE);
    f = fopen(path("half"), "w"); /* the magic line, but cut short */
    fputs("icmpring-checkpoint 1\nkind sweep\n", f);
    fclose(f);
    assert_int_equal(cli_ckpt_load("t", path("half"), &d), EXIT_USAGE);
}

static size_t file_size(const char *p) {
    struct stat sb;
    assert_int_equal(stat(p, &sb), 0);
    return (size_t)sb.st_size;
}

static void test_resume_output(void **state) {
    (void)state;
    FILE *f = fopen(path("out"), "w"), *g = NULL;
    fputs("198.18.0.1\n198.18.0.2\n198.18.0.3\n198.18", f); /* a kill cut the last */
    fclose(f);
    /* Exactly the checkpoint's length (multiping, traceroute) */
    assert_int_equal(cli_resume_output("t", path("out"), 22, false, &g), 0);
    fputs("X\n", g);
    fclose(g);
    assert_int_equal(file_size(path("out")), 24);
    /* After the last whole line (sweep), never below the checkpoint */
    f = fopen(path("out"), "a");
    fputs("198.18.0.9", f);
    fclose(f);
    assert_int_equal(cli_resume_output("t", path("out"), 11, true, &g), 0);
    fclose(g);
    assert_int_equal(file_size(path("out")), 24);
    /* Shorter than the checkpoint says: replaced, refused, untouched */
    assert_int_equal(cli_resume_output("t", path("out"), 100, false, &g), EXIT_USAGE);
    assert_int_equal(file_size(path("out")), 24);
}

/* The checkpoint each CLI starts from: the run's identity, nothing else. */
static void test_ckpt_start(void **state) {
    (void)state;
    struct cli_ckpt c = sample(); /* every field set: start must clear them */
    cli_ckpt_start(&c, "traceroute", UINT64_C(0x0123456789abcdef), 70000, 42, 3, 1);
    assert_string_equal(c.kind, "traceroute");
    assert_string_equal(c.version, icr_version());
    assert_true(c.targets_hash == UINT64_C(0x0123456789abcdef) && c.targets == 70000);
    assert_true(c.seed == 42 && c.shards == 3 && c.shard == 1 && c.runs == 1);
    assert_string_equal(c.opts, "");
    assert_true(c.position == 0 && c.pass == 0 && c.output_bytes == 0 && c.sent == 0);
    assert_true(c.hits == 0 && c.records == 0 && c.elapsed == 0 && !c.done);
}

static void write_file(const char *p, const char *text) {
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

/* Where a run writes: stdout, a new file, or the output a checkpoint
 * continues (cut to what it covers), and the saved seed, runs, elapsed. */
static void test_resume_begin(void **state) {
    (void)state;
    struct cli_scale sc;
    cli_scale_init(&sc, "t");
    struct cli_ckpt ck, saved;
    FILE *f = NULL;
    bool fresh = false;
    cli_ckpt_start(&ck, "multiping", 7, 10, 99, 1, 0);
    /* No -o: stdout */
    assert_int_equal(cli_resume_begin(&sc, false, NULL, false, &ck, &saved, &f, &fresh), 0);
    assert_true(f == stdout && fresh && saved.runs == 0 && ck.runs == 1);
    fresh = false;
    assert_int_equal(cli_resume_begin(&sc, false, "-", false, &ck, &saved, &f, &fresh), 0);
    assert_true(f == stdout && fresh);
    /* -o FILE without --resume: created anew (an old file is emptied) */
    write_file(path("rout"), "old\n");
    fresh = false;
    assert_int_equal(cli_resume_begin(&sc, false, path("rout"), false, &ck, &saved, &f, &fresh),
                     0);
    assert_true(f != stdout && fresh);
    fclose(f);
    assert_int_equal(file_size(path("rout")), 0);
    /* --resume with no checkpoint yet: the same */
    sc.resume = path("rck");
    write_file(path("rout"), "old\n");
    fresh = false;
    assert_int_equal(cli_resume_begin(&sc, false, path("rout"), false, &ck, &saved, &f, &fresh),
                     0);
    assert_true(f != stdout && fresh && ck.seed == 99 && ck.runs == 1);
    fclose(f);
    assert_int_equal(file_size(path("rout")), 0);
    /* A checkpoint of this run: the output continues at its length; ck
     * takes its seed (none given here), runs + 1 and elapsed. */
    struct cli_ckpt old = {.kind = "multiping", .targets_hash = 7, .targets = 10, .seed = 1234,
                           .shards = 1, .shard = 0, .runs = 2, .elapsed = 3.25, .position = 5,
                           .hits = 4, .output_bytes = 4};
    (void)snprintf(old.version, sizeof(old.version), "%s", icr_version());
    assert_int_equal(cli_ckpt_save(path("rck"), &old), 0);
    write_file(path("rout"), "old\ncut");
    assert_int_equal(cli_resume_begin(&sc, false, path("rout"), false, &ck, &saved, &f, &fresh),
                     0);
    assert_true(f != stdout && !fresh);
    assert_true(ck.seed == 1234 && ck.runs == 3 && ck.elapsed > 3.24 && ck.elapsed < 3.26);
    assert_true(saved.position == 5 && saved.hits == 4 && saved.seed == 1234);
    fputs("new\n", f);
    fclose(f);
    assert_int_equal(file_size(path("rout")), 8);
    /* A --seed that differs from the saved one is refused, the
     * out-parameters untouched */
    cli_ckpt_start(&ck, "multiping", 7, 10, 99, 1, 0);
    f = NULL;
    fresh = true;
    assert_int_equal(cli_resume_begin(&sc, true, path("rout"), false, &ck, &saved, &f, &fresh),
                     EXIT_USAGE);
    assert_true(f == NULL && fresh && ck.seed == 99 && ck.runs == 1);
    /* Another kind of run: refused */
    cli_ckpt_start(&ck, "sweep", 7, 10, 99, 1, 0);
    assert_int_equal(cli_resume_begin(&sc, false, path("rout"), false, &ck, &saved, &f, &fresh),
                     EXIT_USAGE);
    assert_null(f);
    /* An output shorter than the checkpoint says: refused */
    cli_ckpt_start(&ck, "multiping", 7, 10, 99, 1, 0);
    write_file(path("rout"), "ol");
    assert_int_equal(cli_resume_begin(&sc, false, path("rout"), false, &ck, &saved, &f, &fresh),
                     EXIT_USAGE);
    assert_null(f);
    /* An output that cannot be created */
    sc.resume = NULL;
    assert_int_equal(cli_resume_begin(&sc, false, path("no/such/dir"), false, &ck, &saved, &f,
                                      &fresh),
                     EXIT_SYSTEM);
    assert_null(f);
}

static void test_shard_options(void **state) {
    (void)state;
    struct cli_scale s;
    cli_scale_init(&s, "t");
    assert_int_equal(cli_scale_option(&s, CLI_OPT_SHARDS, "4"), 1);
    assert_int_equal(cli_scale_option(&s, CLI_OPT_SHARD, "3"), 1);
    assert_int_equal(cli_scale_check(&s, true, NULL), -1); /* no seed */
    assert_int_equal(cli_scale_option(&s, CLI_OPT_SEED, "0"), -1);
    assert_int_equal(cli_scale_option(&s, CLI_OPT_SEED, "9"), 1);
    assert_int_equal(cli_scale_check(&s, true, NULL), 0);
    assert_int_equal(cli_scale_option(&s, CLI_OPT_SHARD, "4"), 1);
    assert_int_equal(cli_scale_check(&s, true, NULL), -1); /* out of range */
    cli_scale_init(&s, "t");
    assert_int_equal(cli_scale_option(&s, CLI_OPT_RESUME, "ck"), 1);
    assert_int_equal(cli_scale_check(&s, true, NULL), -1);   /* needs -o */
    assert_int_equal(cli_scale_check(&s, true, "-"), -1);
    assert_int_equal(cli_scale_check(&s, true, "ck"), -1);   /* the same file */
    assert_int_equal(cli_scale_check(&s, true, "out"), 0);
    assert_int_equal(cli_scale_option(&s, CLI_OPT_CKPT_INTERVAL, "0.01"), -1);
    assert_int_equal(cli_scale_option(&s, CLI_OPT_CKPT_INTERVAL, "0.5"), 1);
    assert_true(s.ckpt_interval == 0.5);
    assert_int_equal(cli_scale_option(&s, 'x', "1"), 0);
}

static void test_hash(void **state) {
    (void)state;
    icr_targets *a = NULL, *b = NULL, *c = NULL;
    assert_int_equal(icr_targets_new(&a), 0);
    assert_int_equal(icr_targets_new(&b), 0);
    assert_int_equal(icr_targets_new(&c), 0);
    assert_int_equal(icr_targets_add(a, "198.18.0.0/24", ICR_TARGETS_NO_LOOKUP), 0);
    /* The same set written another way: the same hash */
    assert_int_equal(icr_targets_add(b, "198.18.0.1-198.18.0.254", ICR_TARGETS_NO_LOOKUP), 0);
    /* Same count, other addresses: another hash */
    assert_int_equal(icr_targets_add(c, "198.18.1.0/24", ICR_TARGETS_NO_LOOKUP), 0);
    assert_true(cli_hash_targets(a) == cli_hash_targets(b));
    assert_true(cli_hash_targets(a) != cli_hash_targets(c));
    struct icr_addr x[2];
    assert_int_equal(icr_addr_parse("198.18.0.1", &x[0]), 0);
    assert_int_equal(icr_addr_parse("198.18.0.2", &x[1]), 0);
    uint64_t h12 = cli_hash_addrs(x, 2);
    struct icr_addr y[2] = {x[1], x[0]};
    assert_true(h12 != cli_hash_addrs(y, 2)); /* input order matters to a multiping */
    icr_targets_free(a);
    icr_targets_free(b);
    icr_targets_free(c);
}

static void test_summary_json(void **state) {
    (void)state;
    const struct cli_summary s = {.kind = "multiping", .seed = 7, .shards = 3, .shard = 1,
                                  .targets_hash = 0xabc, .targets = 10, .shard_targets = 3,
                                  .format = "text", .opts = "count=1", .output = NULL,
                                  .sent = 3, .hits = 2, .records = 3, .elapsed = 0.25,
                                  .complete = true, .runs = 1};
    assert_int_equal(cli_summary_write("t", path("s.json"), &s), 0);
    char buf[1024] = {0};
    FILE *f = fopen(path("s.json"), "r");
    assert_non_null(f);
    assert_true(fread(buf, 1, sizeof(buf) - 1, f) > 0);
    fclose(f);
    assert_non_null(strstr(buf, "\"kind\":\"multiping\""));
    assert_non_null(strstr(buf, "\"seed\":7,\"shard\":1,\"shards\":3"));
    assert_non_null(strstr(buf, "\"targets_hash\":\"0000000000000abc\""));
    assert_non_null(strstr(buf, "\"complete\":true"));
    assert_non_null(strstr(buf, "\"output\":null"));
    assert_non_null(strstr(buf, "\"icmpring_version\":\""));
}

static int setup(void **state) {
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    const char *names[] = {"ck", "junk", "half", "out", "s.json", "rck", "rout"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        (void)unlink(path(names[i]));
    return rmdir(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),       cmocka_unit_test(test_mismatch),
        cmocka_unit_test(test_not_a_checkpoint), cmocka_unit_test(test_resume_output),
        cmocka_unit_test(test_shard_options),   cmocka_unit_test(test_hash),
        cmocka_unit_test(test_summary_json),
        cmocka_unit_test(test_ckpt_start),      cmocka_unit_test(test_resume_begin),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
