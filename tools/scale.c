/* scale.c - sharding options, target-spec hashes, --resume checkpoints and
 * --summary-json for sweep, multiping and traceroute (see scale.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "scale.h"

void cli_scale_init(struct cli_scale *s, const char *cmd) {
    *s = (struct cli_scale){.cmd = cmd, .shards = 1, .shard = 0, .ckpt_interval = 5.0};
}

int cli_scale_option(struct cli_scale *s, int opt, const char *arg) {
    uint64_t v;
    switch (opt) {
    case CLI_OPT_SEED:
        /* 0 means "random" to the library: refuse it rather than run in
         * an order (and a split) nobody can reproduce. */
        if (cli_parse_u64(arg, 1, UINT64_MAX, &s->seed) < 0)
            return cli_bad_value(s->cmd, "--seed", arg, "1-18446744073709551615");
        s->seed_set = true;
        return 1;
    case CLI_OPT_SHARDS:
        if (cli_parse_u64(arg, 1, UINT32_MAX, &v) < 0)
            return cli_bad_value(s->cmd, "--shards", arg, "1-4294967295");
        s->shards = (uint32_t)v;
        s->shards_set = true;
        return 1;
    case CLI_OPT_SHARD:
        if (cli_parse_u64(arg, 0, UINT32_MAX - 1, &v) < 0)
            return cli_bad_value(s->cmd, "--shard", arg, "0 to --shards minus 1");
        s->shard = (uint32_t)v;
        s->shard_set = true;
        return 1;
    case CLI_OPT_RESUME:
        if (!*arg)
            return cli_bad_value(s->cmd, "--resume", arg, "a file name");
        s->resume = arg;
        return 1;
    case CLI_OPT_CKPT_INTERVAL:
        if (cli_parse_double(arg, 0.1, 3600, &s->ckpt_interval) < 0)
            return cli_bad_value(s->cmd, "--checkpoint-interval", arg, "0.1-3600 seconds");
        return 1;
    case CLI_OPT_SUMMARY_JSON:
        if (!*arg)
            return cli_bad_value(s->cmd, "--summary-json", arg, "a file name");
        s->summary = arg;
        return 1;
    default:
        return 0;
    }
}

int cli_scale_check(const struct cli_scale *s, bool shards_are_ours, const char *output) {
    if (shards_are_ours) {
        if (s->shard_set && !s->shards_set) {
            cli_error(s->cmd, "--shard %" PRIu32 " needs --shards N (N > %" PRIu32 ") and --seed S",
                      s->shard, s->shard);
            return -1;
        }
        if (s->shard >= s->shards) {
            cli_error(s->cmd, "--shard %" PRIu32 " is out of range: --shards %" PRIu32
                      " allows 0-%" PRIu32, s->shard, s->shards, s->shards - 1);
            return -1;
        }
        /* With different seeds the shards would overlap and leave holes. */
        if (s->shards > 1 && (!s->shard_set || !s->seed_set)) {
            cli_error(s->cmd, "--shards %" PRIu32 " needs --shard I and the same --seed S on "
                      "every shard", s->shards);
            return -1;
        }
    }
    if (s->resume && (!output || !strcmp(output, "-"))) {
        cli_error(s->cmd, "--resume needs -o FILE: a resumed run appends to the output it "
                  "continues");
        return -1;
    }
    if (s->resume && output && !strcmp(s->resume, output)) {
        cli_error(s->cmd, "--resume '%s' names the output file (give the checkpoint its own file)",
                  s->resume);
        return -1;
    }
    return 0;
}

uint64_t cli_random_seed(void) {
    uint64_t seed = 0;
    if (getrandom(&seed, sizeof(seed), 0) != (ssize_t)sizeof(seed))
        seed = (uint64_t)cli_now_ns() ^ ((uint64_t)getpid() << 32);
    return seed ? seed : 1;
}

/* ---- hashes ------------------------------------------------------------ */

#define FNV_OFFSET UINT64_C(0xcbf29ce484222325)
#define FNV_PRIME UINT64_C(0x100000001b3)

static uint64_t fnv(uint64_t h, const void *p, size_t n) {
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= FNV_PRIME;
    }
    return h;
}

static uint64_t fnv_addr(uint64_t h, const struct icr_addr *a) {
    uint8_t fam = a->family == AF_INET6 ? 6 : 4;
    h = fnv(h, &fam, 1);
    h = fnv(h, a->bytes, fam == 6 ? 16 : 4);
    return fnv(h, &a->scope_id, sizeof(a->scope_id));
}

uint64_t cli_hash_targets(icr_targets *t) {
    uint64_t n = icr_targets_count(t), h = fnv(FNV_OFFSET, &n, sizeof(n));
    /* Every address up to 2^20 (a few ms); above, evenly spaced samples:
     * the set's intervals are not public, and 2^48 addresses cannot be
     * read.  Two sets of one count that agree on every sample are taken
     * as one. */
    const uint64_t full = (uint64_t)1 << 20, samples = 65536;
    for (uint64_t k = 0; n && k <= (n <= full ? n - 1 : samples); k++) {
        uint64_t i = n <= full ? k : (n - 1) * k / samples /* < 2^48 * 2^16 */;
        struct icr_addr a;
        if (icr_targets_get(t, i, &a) == 0)
            h = fnv_addr(h, &a);
    }
    return h;
}

uint64_t cli_hash_addrs(const struct icr_addr *a, size_t n) {
    uint64_t nn = n, h = fnv(FNV_OFFSET, &nn, sizeof(nn));
    for (size_t i = 0; i < n; i++)
        h = fnv_addr(h, &a[i]);
    return h;
}

void cli_opts_add(char *buf, size_t len, const char *name, const char *fmt, ...) {
    size_t used = strlen(buf);
    if (used + 2 >= len)
        return;
    int k = snprintf(buf + used, len - used, "%s%s=", used ? " " : "", name);
    if (k < 0 || (size_t)k >= len - used)
        return;
    used += (size_t)k;
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(buf + used, len - used, fmt, ap);
    va_end(ap);
}

const char *cli_format_name(int format) {
    return format == CLI_FMT_CSV ? "csv" : format == CLI_FMT_NDJSON ? "ndjson" : "text";
}

/* ---- checkpoints ------------------------------------------------------- */

void cli_ckpt_start(struct cli_ckpt *ck, const char *kind, uint64_t targets_hash,
                    uint64_t targets, uint64_t seed, uint32_t shards, uint32_t shard) {
    *ck = (struct cli_ckpt){.targets_hash = targets_hash, .targets = targets, .seed = seed,
                            .shards = shards, .shard = shard, .runs = 1};
    (void)snprintf(ck->kind, sizeof(ck->kind), "%s", kind);
    (void)snprintf(ck->version, sizeof(ck->version), "%s", icr_version());
}

int cli_ckpt_load(const char *cmd, const char *path, struct cli_ckpt *ret) {
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT)
            return 1;
        cli_error(cmd, "cannot read the checkpoint '%s': %s", path, strerror(errno));
        return EXIT_SYSTEM;
    }
    struct cli_ckpt c = {0};
    char line[1024];
    bool magic = false;
    unsigned seen = 0;
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = 0;
        char *val = strchr(line, ' ');
        if (!magic) {
            magic = !strcmp(line, "icmpring-checkpoint 1");
            if (!magic)
                break;
            continue;
        }
        if (!val)
            continue;
        *val++ = 0;
#define U64(k, field)                                                                        \
    else if (!strcmp(line, k)) { c.field = strtoull(val, NULL, 0); seen++; }
        if (!strcmp(line, "kind"))
            (void)snprintf(c.kind, sizeof(c.kind), "%s", val), seen++;
        else if (!strcmp(line, "version"))
            (void)snprintf(c.version, sizeof(c.version), "%s", val), seen++;
        else if (!strcmp(line, "opts"))
            (void)snprintf(c.opts, sizeof(c.opts), "%s", val);
        else if (!strcmp(line, "elapsed"))
            c.elapsed = strtod(val, NULL);
        else if (!strcmp(line, "shards"))
            c.shards = (uint32_t)strtoul(val, NULL, 10), seen++;
        else if (!strcmp(line, "shard"))
            c.shard = (uint32_t)strtoul(val, NULL, 10), seen++;
        else if (!strcmp(line, "runs"))
            c.runs = (uint32_t)strtoul(val, NULL, 10);
        else if (!strcmp(line, "done"))
            c.done = strtoul(val, NULL, 10) != 0;
        else if (!strcmp(line, "targets_hash")) { c.targets_hash = strtoull(val, NULL, 16); seen++; }
        U64("targets", targets)
        U64("seed", seed)
        U64("position", position)
        U64("pass", pass)
        U64("output_bytes", output_bytes)
        U64("sent", sent)
        U64("hits", hits)
        U64("records", records)
#undef U64
    }
    fclose(f);
    if (!magic || seen < 10) {
        cli_error(cmd, "'%s' is not an icmpring checkpoint (or an incomplete one): delete it "
                  "to start over", path);
        return EXIT_USAGE;
    }
    *ret = c;
    return 0;
}

int cli_ckpt_save(const char *path, const struct cli_ckpt *c) {
    char tmp[4096];
    if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
        return -ENAMETOOLONG;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    FILE *f = fdopen(fd, "w");
    if (!f) {
        int e = errno;
        close(fd);
        return -e;
    }
    fprintf(f,
            "icmpring-checkpoint 1\nkind %s\nversion %s\ntargets_hash %016" PRIx64
            "\ntargets %" PRIu64 "\nseed %" PRIu64 "\nshards %" PRIu32 "\nshard %" PRIu32
            "\nopts %s\nposition %" PRIu64 "\npass %" PRIu64 "\noutput_bytes %" PRIu64
            "\nsent %" PRIu64 "\nhits %" PRIu64 "\nrecords %" PRIu64 "\nelapsed %.6f\nruns %" PRIu32
            "\ndone %d\n",
            c->kind, c->version, c->targets_hash, c->targets, c->seed, c->shards, c->shard,
            c->opts, c->position, c->pass, c->output_bytes, c->sent, c->hits, c->records,
            c->elapsed, c->runs, c->done ? 1 : 0);
    /* The checkpoint must never name more than the disk holds: its data
     * first, then the rename that makes it the checkpoint. */
    int r = 0;
    if (fflush(f) != 0 || fsync(fd) != 0)
        r = -errno;
    if (fclose(f) != 0 && !r)
        r = -errno;
    if (!r && rename(tmp, path) != 0)
        r = -errno;
    if (r)
        (void)unlink(tmp);
    return r;
}

/* The value of `name` in an opts string ("" when absent). */
static void opt_value(const char *opts, const char *name, char *buf, size_t len) {
    size_t nl = strlen(name);
    buf[0] = 0;
    for (const char *p = opts; p && *p;) {
        const char *end = strchr(p, ' ');
        size_t wl = end ? (size_t)(end - p) : strlen(p);
        if (wl > nl && !strncmp(p, name, nl) && p[nl] == '=') {
            size_t vl = wl - nl - 1 < len - 1 ? wl - nl - 1 : len - 1;
            memcpy(buf, p + nl + 1, vl);
            buf[vl] = 0;
            return;
        }
        p = end ? end + 1 : NULL;
    }
}

/* Every name of a's words, checked against b.  Returns the first name
 * whose value differs (into name), or false. */
static bool first_diff(const char *a, const char *b, char *name, size_t len) {
    for (const char *p = a; p && *p;) {
        const char *end = strchr(p, ' ');
        const char *eq = strchr(p, '=');
        if (!eq || (end && eq > end))
            break;
        size_t nl = (size_t)(eq - p) < len - 1 ? (size_t)(eq - p) : len - 1;
        memcpy(name, p, nl);
        name[nl] = 0;
        char va[128], vb[128];
        opt_value(a, name, va, sizeof(va));
        opt_value(b, name, vb, sizeof(vb));
        if (strcmp(va, vb) != 0)
            return true;
        p = end ? end + 1 : NULL;
    }
    return false;
}

int cli_ckpt_match(const char *cmd, const char *path, const struct cli_ckpt *s,
                   const struct cli_ckpt *n, bool seed_given) {
    char name[64], va[128], vb[128];
#define REFUSE(...)                                                                          \
    do {                                                                                     \
        char what_[512];                                                                     \
        (void)snprintf(what_, sizeof(what_), __VA_ARGS__);                                   \
        cli_error(cmd, "checkpoint '%s' is from another run: %s (delete it to start over)",  \
                  path, what_);                                                              \
        return EXIT_USAGE;                                                                   \
    } while (0)
    if (strcmp(s->kind, n->kind))
        REFUSE("it is a %s checkpoint", s->kind);
    if (strcmp(s->version, n->version))
        REFUSE("icmpring %s wrote it, this is %s", s->version, n->version);
    if (s->targets != n->targets)
        REFUSE("the targets differ (%" PRIu64 " there, %" PRIu64 " here)", s->targets, n->targets);
    if (s->targets_hash != n->targets_hash)
        REFUSE("the targets differ (target-spec hash %016" PRIx64 " there, %016" PRIx64 " here)",
               s->targets_hash, n->targets_hash);
    if (s->shards != n->shards)
        REFUSE("--shards was %" PRIu32 " there, %" PRIu32 " here", s->shards, n->shards);
    if (s->shard != n->shard)
        REFUSE("--shard was %" PRIu32 " there, %" PRIu32 " here", s->shard, n->shard);
    if (seed_given && s->seed != n->seed)
        REFUSE("--seed was %" PRIu64 " there, %" PRIu64 " here", s->seed, n->seed);
    if (first_diff(s->opts, n->opts, name, sizeof(name)) ||
        first_diff(n->opts, s->opts, name, sizeof(name))) {
        opt_value(s->opts, name, va, sizeof(va));
        opt_value(n->opts, name, vb, sizeof(vb));
        REFUSE("--%s was %s there, %s here", name, *va ? va : "(not given)",
               *vb ? vb : "(not given)");
    }
#undef REFUSE
    return 0;
}

/* ---- the output of a resumed run --------------------------------------- */

int cli_resume_output(const char *cmd, const char *path, uint64_t keep, bool keep_all,
                      FILE **ret_f) {
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) < 0) {
        cli_error(cmd, "cannot open '%s' to continue it: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return EXIT_SYSTEM;
    }
    if ((uint64_t)sb.st_size < keep) {
        cli_error(cmd, "'%s' holds %jd bytes, the checkpoint says %" PRIu64 " were written: it "
                  "was replaced or cut (delete the checkpoint to start over)", path,
                  (intmax_t)sb.st_size, keep);
        close(fd);
        return EXIT_USAGE;
    }
    uint64_t end = keep;
    if (keep_all) {
        /* Keep every whole line: a SIGKILL may have cut the last one. */
        char buf[4096];
        end = (uint64_t)sb.st_size;
        while (end > 0) {
            size_t n = end < sizeof(buf) ? (size_t)end : sizeof(buf);
            if (pread(fd, buf, n, (off_t)(end - n)) != (ssize_t)n)
                break;
            size_t k = n;
            while (k > 0 && buf[k - 1] != '\n')
                k--;
            end = end - n + k;
            if (k > 0)
                break;
        }
    }
    if (ftruncate(fd, (off_t)end) < 0 || lseek(fd, 0, SEEK_END) < 0) {
        cli_error(cmd, "cannot cut '%s' to what the checkpoint covers: %s", path, strerror(errno));
        close(fd);
        return EXIT_SYSTEM;
    }
    FILE *f = fdopen(fd, "a");
    if (!f) {
        cli_error(cmd, "cannot open '%s': %s", path, strerror(errno));
        close(fd);
        return EXIT_SYSTEM;
    }
    *ret_f = f;
    return 0;
}

int cli_resume_begin(const struct cli_scale *sc, bool seed_given, const char *output,
                     bool keep_all, struct cli_ckpt *ck, struct cli_ckpt *ret_saved,
                     FILE **ret_f, bool *ret_fresh) {
    struct cli_ckpt saved = {0};
    FILE *f = stdout;
    int r = 1;
    if (sc->resume) {
        r = cli_ckpt_load(sc->cmd, sc->resume, &saved);
        if (r > 1)
            return r;
        if (r == 0 && (r = cli_ckpt_match(sc->cmd, sc->resume, &saved, ck, seed_given)) != 0)
            return r;
    }
    if (r == 0) {
        int e = cli_resume_output(sc->cmd, output, saved.output_bytes, keep_all, &f);
        if (e != 0)
            return e;
        ck->seed = saved.seed; /* the run's seed, given or drawn */
        ck->runs = saved.runs + 1;
        ck->elapsed = saved.elapsed;
    } else if (output && strcmp(output, "-") != 0 && !(f = fopen(output, "w"))) {
        cli_error(sc->cmd, "cannot open '%s' for writing: %s", output, strerror(errno));
        return EXIT_SYSTEM;
    }
    *ret_saved = saved;
    *ret_f = f;
    *ret_fresh = r != 0;
    return 0;
}

int64_t cli_output_sync(FILE *f) {
    if (fflush(f) != 0)
        return -1;
    /* A data sync so that a checkpoint never names bytes the disk lost
     * (a SIGKILL alone would not need it: the page cache survives). */
    (void)fdatasync(fileno(f));
    off_t end = lseek(fileno(f), 0, SEEK_END);
    return end < 0 ? -1 : (int64_t)end;
}

/* ---- --summary-json ---------------------------------------------------- */

int cli_summary_write(const char *cmd, const char *path, const struct cli_summary *s) {
    char tmp[4096], real[4096];
    if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
        cli_error(cmd, "--summary-json '%s': the name is too long", path);
        return EXIT_SYSTEM;
    }
    FILE *f = fopen(tmp, "w");
    if (!f) {
        cli_error(cmd, "cannot write the summary '%s': %s", tmp, strerror(errno));
        return EXIT_SYSTEM;
    }
    fprintf(f, "{\"kind\":\"%s\",\"icmpring_version\":", s->kind);
    cli_json_str(f, icr_version());
    fprintf(f, ",\"seed\":%" PRIu64 ",\"shard\":%" PRIu32 ",\"shards\":%" PRIu32
            ",\"targets_hash\":\"%016" PRIx64 "\",\"targets\":%" PRIu64
            ",\"shard_targets\":%" PRIu64 ",\"format\":\"%s\",\"opts\":",
            s->seed, s->shard, s->shards, s->targets_hash, s->targets, s->shard_targets,
            s->format);
    cli_json_str(f, s->opts ? s->opts : "");
    fputs(",\"output\":", f);
    if (s->output)
        cli_json_str(f, realpath(s->output, real) ? real : s->output);
    else
        fputs("null", f);
    fprintf(f, ",\"sent\":%" PRIu64 ",\"hits\":%" PRIu64 ",\"records\":%" PRIu64
            ",\"elapsed_s\":%.3f,\"complete\":%s,\"runs\":%" PRIu32 "}\n",
            s->sent, s->hits, s->records, s->elapsed, s->complete ? "true" : "false", s->runs);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad || rename(tmp, path) != 0) {
        cli_error(cmd, "cannot write the summary '%s': %s", path, strerror(errno ? errno : EIO));
        (void)unlink(tmp);
        return EXIT_SYSTEM;
    }
    return 0;
}
