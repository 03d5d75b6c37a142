/* scale.h - what sweep, multiping and traceroute share to run on many
 * machines (issue 9): the --seed/--shards/--shard options, the target-spec
 * hash, --resume checkpoints (a small text file replaced atomically by
 * write-to-temp + rename) and --summary-json.  `icmpring merge` (merge.c)
 * reads the summaries back.
 *
 * The interface, kept stable for job runners (Slurm arrays, Kubernetes
 * Indexed Jobs):
 *   --seed S --shards N --shard I   shard I of N of one seeded order; every
 *                                   shard of a run uses the same S
 *   -o FILE --resume CKPT           keep a checkpoint in CKPT (written every
 *                                   --checkpoint-interval seconds, default 5,
 *                                   and at exit); the same command again
 *                                   continues from it and appends to FILE
 *   --summary-json FILE             one JSON object for this shard at the end
 *   icmpring merge -o OUT [--summary-json OUT.json] SUMMARY...
 */
#ifndef ICR_SCALE_H
#define ICR_SCALE_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "icmpring.h"

enum {
    CLI_OPT_SEED = 0x1100,
    CLI_OPT_SHARDS,
    CLI_OPT_SHARD,
    CLI_OPT_RESUME,
    CLI_OPT_CKPT_INTERVAL,
    CLI_OPT_SUMMARY_JSON,
};

/* The getopt_long entries of the options below (sweep has its own
 * --seed/--shards/--shard and takes only the last three). */
#define CLI_SHARD_LONGOPTS                                                                   \
    {"seed", required_argument, NULL, CLI_OPT_SEED},                                         \
        {"shards", required_argument, NULL, CLI_OPT_SHARDS},                                 \
        {"shard", required_argument, NULL, CLI_OPT_SHARD}
#define CLI_RESUME_LONGOPTS                                                                  \
    {"resume", required_argument, NULL, CLI_OPT_RESUME},                                     \
        {"checkpoint-interval", required_argument, NULL, CLI_OPT_CKPT_INTERVAL},             \
        {"summary-json", required_argument, NULL, CLI_OPT_SUMMARY_JSON}

#define CLI_SCALE_HELP                                                                       \
    "Scale-out:\n"                                                                           \
    "  --resume CKPT      keep a checkpoint in CKPT (needs -o FILE); run the same\n"         \
    "                     command again to continue where it stopped or was killed\n"        \
    "  --checkpoint-interval S  seconds between checkpoints, 0.1-3600 (default 5)\n"         \
    "  --summary-json F   write this shard's summary as one JSON object to F\n"              \
    "                     (for 'icmpring merge')\n"

struct cli_scale {
    const char *cmd;
    uint64_t seed;
    uint32_t shards, shard;
    bool seed_set, shards_set, shard_set;
    const char *resume;       /* --resume CKPT, or NULL */
    double ckpt_interval;     /* seconds */
    const char *summary;      /* --summary-json FILE, or NULL */
};

void cli_scale_init(struct cli_scale *s, const char *cmd);
/* 1: opt was one of ours and is taken; 0: not ours; -1 after a message. */
int cli_scale_option(struct cli_scale *s, int opt, const char *arg);
/* After the options: the shard rules (as sweep's) when `shards` is ours,
 * and --resume needing -o FILE.  0, or -1 after a message. */
int cli_scale_check(const struct cli_scale *s, bool shards_are_ours, const char *output);
/* A random seed when none was given (so the summary and the checkpoint
 * can name it). */
uint64_t cli_random_seed(void);

/* FNV-1a over the target specification as the job sees it: the compiled
 * set (its count and its addresses; above 2^20 addresses, 65,537 of them
 * evenly spaced, both ends included), or the address list in order. */
uint64_t cli_hash_targets(icr_targets *t);
uint64_t cli_hash_addrs(const struct icr_addr *a, size_t n);

/* A checkpoint.  `opts` holds the options that change the probe set or
 * the output as "name=value" words ("count=2 format=csv"): a resume with
 * other values is refused with the name of the first that differs. */
struct cli_ckpt {
    char kind[16];
    char version[32];
    uint64_t targets_hash;
    uint64_t targets;         /* targets (hosts, destinations) of all shards */
    uint64_t seed;
    uint32_t shards, shard;
    char opts[512];
    uint64_t position;        /* the job's position to resume at */
    uint64_t pass;            /* sweep: position / targets of the shard */
    uint64_t output_bytes;    /* the output's length that matches position */
    uint64_t sent, hits, records; /* counts over every run so far, up to position */
    double elapsed;           /* seconds of every earlier run */
    uint32_t runs;            /* runs that wrote it */
    bool done;                /* the shard is complete */
};

/* Start `ck` for this run: kind, icmpring's version, the targets (their
 * hash and their count over all shards), seed, shards and shard; runs 1,
 * every other field 0 and opts empty (each CLI then adds its own with
 * cli_opts_add, in its own order: the order is part of the file). */
void cli_ckpt_start(struct cli_ckpt *ck, const char *kind, uint64_t targets_hash,
                    uint64_t targets, uint64_t seed, uint32_t shards, uint32_t shard);

/* 0 loaded, 1 no such file, or an exit code after a message. */
int cli_ckpt_load(const char *cmd, const char *path, struct cli_ckpt *ret);
/* Write to PATH.tmp, fsync, rename over PATH.  0, or -errno. */
int cli_ckpt_save(const char *path, const struct cli_ckpt *c);
/* Whether `saved` was made by the same run as `now` (kind, version,
 * targets, shards, shard, seed unless !seed_given, opts).  0, or
 * EXIT_USAGE after one line naming the first difference. */
int cli_ckpt_match(const char *cmd, const char *path, const struct cli_ckpt *saved,
                   const struct cli_ckpt *now, bool seed_given);

/* The output file of a resumed run: opened for appending after cutting
 * it to `keep` bytes (keep_all: after its last whole line instead).  Shorter
 * than `keep` (replaced or truncated by someone) is refused.  0 with
 * *ret_f, or an exit code after a message. */
int cli_resume_output(const char *cmd, const char *path, uint64_t keep, bool keep_all,
                      FILE **ret_f);
/* Where a run writes, with --resume or not.  With sc->resume naming a
 * checkpoint that exists: it must be from the same run as `ck`
 * (cli_ckpt_match; the seed compared only when seed_given), the output is
 * continued (cli_resume_output with keep_all), ck takes the saved seed,
 * runs + 1 and elapsed, *ret_saved the checkpoint and *ret_fresh false.
 * Otherwise (no --resume, or no checkpoint yet): *ret_fresh true, `output`
 * created anew ("-" or NULL: stdout), *ret_saved zeroed.  With sc->resume,
 * output is the -o FILE that cli_scale_check required.  sc->cmd names the
 * command in messages.  0 with *ret_f, or an exit code after a message (the
 * out-parameters then untouched). */
int cli_resume_begin(const struct cli_scale *sc, bool seed_given, const char *output,
                     bool keep_all, struct cli_ckpt *ck, struct cli_ckpt *ret_saved,
                     FILE **ret_f, bool *ret_fresh);
/* Flush f to the kernel and disk and say how long it is now; -1 on error. */
int64_t cli_output_sync(FILE *f);

/* One shard's summary (--summary-json) */
struct cli_summary {
    const char *kind;
    uint64_t seed;
    uint32_t shards, shard;
    uint64_t targets_hash;
    uint64_t targets;          /* of all shards */
    uint64_t shard_targets;
    const char *format;        /* text, csv, ndjson */
    const char *opts;          /* as in the checkpoint */
    const char *output;        /* the output file, NULL for stdout */
    uint64_t sent, hits, records;
    double elapsed;
    bool complete;             /* not interrupted, not failed */
    uint32_t runs;             /* 1 + resumes */
};
/* 0, or EXIT_SYSTEM after a message. */
int cli_summary_write(const char *cmd, const char *path, const struct cli_summary *s);

/* "count=2 ..." helpers for the opts string. */
void cli_opts_add(char *buf, size_t len, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

const char *cli_format_name(int format);

int cmd_merge(int argc, char **argv);

#endif
