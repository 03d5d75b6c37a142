/* merge.c - `icmpring merge SUMMARY...`: put the shards of one run back
 * together, and refuse when they are not one run's complete set.
 *
 * Each shard's --summary-json names its output; merge checks that every
 * shard 0..N-1 is there exactly once, complete, with one seed, one
 * target-spec hash, one icmpring version, one kind, format and options,
 * and that each output holds what its summary says.  Then:
 *  - sweep: the results of every shard, each target once, in target order
 *    (the set's index order: IPv4 first, by address);
 *  - multiping: the hosts in global input order (icr_shard_of tells which
 *    shard holds input host i; each shard's output is in input order);
 *  - traceroute: the routes in target order.
 * One combined summary (--summary-json) sums the counts. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "icmpring.h"
#include "scale.h"

static const char merge_help[] =
    "Usage: icmpring merge [-o FILE] [--summary-json FILE] [--format FORMAT] SUMMARY...\n"
    "Merge the shards of one sweep, multiping or traceroute run: each SUMMARY is a\n"
    "shard's --summary-json file, which names its output (-o).  Every shard 0..N-1\n"
    "must be given once and be complete, all with the same seed, targets, options,\n"
    "format and icmpring version; otherwise nothing is written and one line names\n"
    "the problem.\n\n"
    "  -o FILE            the merged output (default: standard output)\n"
    "  --summary-json F   the combined summary, one JSON object\n"
    "  --format FORMAT    text, csv or ndjson: must be the shards' format (the\n"
    "                     default); a merge does not convert\n"
    "  -h, --help         this help;  -V, --version  the version\n\n"
    "sweep: every target once, in target order; multiping: the hosts in input\n"
    "order; traceroute: the routes in target order.  An output found neither at\n"
    "the path its summary names nor beside the summary is an error.\n\n"
    "Exit codes: 0 merged, 3 the shards do not make one complete run (or bad\n"
    "            arguments), 4 a file cannot be read or written\n";

/* ---- one summary --------------------------------------------------------- */

struct shard_sum {
    const char *path;
    char kind[16], version[32], format[16], hash[32], opts[512], output[4096];
    uint64_t seed, shard, shards, targets, shard_targets, sent, hits, records, runs;
    double elapsed;
    bool complete, has_output;
    /* the output, read */
    char *text;
    size_t len;
    char **lines;
    size_t nlines;
};

/* A JSON string value (our own writer's: \" \\ \n \t \uXXXX escapes). */
static const char *json_string(const char *p, char *buf, size_t len) {
    size_t k = 0;
    if (*p++ != '"')
        return NULL;
    while (*p && *p != '"') {
        char ch = *p++;
        if (ch == '\\') {
            ch = *p++;
            if (ch == 'n')
                ch = '\n';
            else if (ch == 't')
                ch = '\t';
            else if (ch == 'u') {
                unsigned v = 0;
                if (sscanf(p, "%4x", &v) != 1)
                    return NULL;
                p += 4;
                ch = (char)(v < 0x80 ? v : '?');
            } else if (!ch)
                return NULL;
        }
        if (k + 1 < len)
            buf[k++] = ch;
    }
    if (*p != '"')
        return NULL;
    buf[k] = 0;
    return p + 1;
}

/* Copy, cut to what fits (the fields compared are short). */
static void copy_str(char *dst, size_t len, const char *src) {
    size_t n = strlen(src);
    if (n >= len)
        n = len - 1;
    memcpy(dst, src, n);
    dst[n] = 0;
}

/* The flat object that cli_summary_write writes. 0, or -1. */
static int parse_summary(const char *text, struct shard_sum *s) {
    const char *p = text;
    unsigned need = 0;
    while (*p == ' ' || *p == '\n')
        p++;
    if (*p++ != '{')
        return -1;
    for (;;) {
        char key[64], sval[4096];
        while (*p == ' ' || *p == ',' || *p == '\n')
            p++;
        if (*p == '}')
            break;
        if (!(p = json_string(p, key, sizeof(key))) || *p++ != ':')
            return -1;
        bool is_str = *p == '"';
        double num = 0;
        if (is_str) {
            if (!(p = json_string(p, sval, sizeof(sval))))
                return -1;
        } else {
            char *end;
            if (!strncmp(p, "true", 4)) {
                num = 1;
                p += 4;
            } else if (!strncmp(p, "false", 5)) {
                p += 5;
            } else if (!strncmp(p, "null", 4)) {
                p += 4;
                num = -1;
            } else {
                num = strtod(p, &end);
                if (end == p)
                    return -1;
                /* exact for 64-bit integers: reread as one */
                if (!memchr(p, '.', (size_t)(end - p)) && *p != '-') {
                    uint64_t u = strtoull(p, NULL, 10);
                    if (!strcmp(key, "seed"))
                        s->seed = u;
                }
                p = end;
            }
        }
#define STR(k, field)                                                                        \
    if (!strcmp(key, k) && is_str) {                                                         \
        copy_str(s->field, sizeof(s->field), sval);                                          \
        need++;                                                                              \
    }
#define NUM(k, field)                                                                        \
    if (!strcmp(key, k) && !is_str) {                                                        \
        s->field = (uint64_t)num;                                                            \
        need++;                                                                              \
    }
        STR("kind", kind)
        STR("icmpring_version", version)
        STR("format", format)
        STR("targets_hash", hash)
        STR("opts", opts)
        NUM("shard", shard)
        NUM("shards", shards)
        NUM("targets", targets)
        NUM("shard_targets", shard_targets)
        NUM("sent", sent)
        NUM("hits", hits)
        NUM("records", records)
        NUM("runs", runs)
#undef STR
#undef NUM
        if (!strcmp(key, "seed"))
            need++;
        if (!strcmp(key, "output") && is_str) {
            (void)snprintf(s->output, sizeof(s->output), "%s", sval);
            s->has_output = true;
        }
        if (!strcmp(key, "elapsed_s"))
            s->elapsed = num;
        if (!strcmp(key, "complete")) {
            s->complete = num == 1;
            need++;
        }
    }
    return need >= 15 ? 0 : -1;
}

static char *read_all(const char *path, size_t *ret_len) {
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    char chunk[65536];
    size_t n;
    if (!mem) {
        fclose(f);
        return NULL;
    }
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        fwrite(chunk, 1, n, mem);
    bool bad = ferror(f);
    fclose(f);
    if (fclose(mem) != 0 || bad) {
        free(buf);
        return NULL;
    }
    *ret_len = len;
    return buf;
}

/* Split s->text into lines (in place); a last line without '\n' is one
 * a kill cut: refused by the caller. */
static int split_lines(struct shard_sum *s) {
    size_t cap = 0;
    for (size_t i = 0; i < s->len; i++)
        cap += s->text[i] == '\n';
    s->lines = calloc(cap + 1, sizeof(char *));
    if (!s->lines)
        return -1;
    char *p = s->text, *end = s->text + s->len;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            return 1;
        *nl = 0;
        s->lines[s->nlines++] = p;
        p = nl + 1;
    }
    return 0;
}

/* ---- keys ---------------------------------------------------------------- */

/* The target address a record names, into *a; for a sweep's csv/ndjson
 * record also whether it is an error and its probe number. */
static bool record_target(const char *line, const char *format, struct icr_addr *a,
                          bool *ret_error, uint32_t *ret_probe) {
    char buf[ICR_ADDRSTRLEN + 2];
    const char *p = line, *end;
    *ret_error = false;
    *ret_probe = 0;
    if (!strcmp(format, "csv")) {
        const char *c = strrchr(line, ',');
        *ret_probe = c ? (uint32_t)strtoul(c + 1, NULL, 10) : 0;
    } else if (!strcmp(format, "ndjson")) {
        const char *c = strstr(line, "\"probe\":");
        *ret_probe = c ? (uint32_t)strtoul(c + 8, NULL, 10) : 0;
    }
    if (!strcmp(format, "ndjson")) {
        const char *t = strstr(line, "\"target\":\"");
        if (!t)
            t = strstr(line, "\"address\":\"");
        if (!t)
            return false;
        p = strchr(t, ':') + 2;
        end = strchr(p, '"');
        *ret_error = strstr(line, "\"kind\":\"error\"") != NULL;
    } else if (!strcmp(format, "csv")) {
        if (*p == '"')
            p++;
        end = p + strcspn(p, "\",");
        *ret_error = strstr(end, ",error,") != NULL;
    } else {
        /* sweep text: the line; traceroute text: "traceroute to N (ADDR), ..." */
        if (!strncmp(line, "traceroute to ", 14)) {
            p = strchr(line, '(');
            if (!p)
                return false;
            p++;
            end = strchr(p, ')');
        } else {
            end = p + strlen(p);
        }
    }
    if (!end || end <= p || (size_t)(end - p) >= sizeof(buf))
        return false;
    memcpy(buf, p, (size_t)(end - p));
    buf[end - p] = 0;
    return icr_addr_parse(buf, a) == 0;
}

static int addr_order(const struct icr_addr *a, const struct icr_addr *b) {
    if (a->family != b->family)
        return a->family == AF_INET ? -1 : 1;
    int c = memcmp(a->bytes, b->bytes, a->family == AF_INET ? 4 : 16);
    if (c)
        return c;
    return a->scope_id < b->scope_id ? -1 : a->scope_id > b->scope_id;
}

/* A unit of output: one sweep record, or one route (its lines). */
struct unit {
    struct icr_addr addr;
    bool error;
    uint32_t probe;  /* sweep csv/ndjson: which probe the record answers */
    char **lines;
    size_t nlines;
    size_t order;  /* shard * 2^32 + place: ties keep shard order */
};

static int unit_cmp(const void *x, const void *y) {
    const struct unit *a = x, *b = y;
    int c = addr_order(&a->addr, &b->addr);
    if (c)
        return c;
    if (a->error != b->error)
        return a->error ? 1 : -1;
    if (a->probe != b->probe)
        return a->probe < b->probe ? -1 : 1;
    return a->order < b->order ? -1 : a->order > b->order;
}

/* ---- the command ---------------------------------------------------------- */

static int refuse(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int refuse(const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    cli_error("merge", "%s", msg);
    return EXIT_USAGE;
}

/* The output a summary names: its path, or the same name beside the
 * summary (a run's files moved together to another machine). */
static char *find_output(const struct shard_sum *s, size_t *ret_len, char *used, size_t ulen) {
    char *t = read_all(s->output, ret_len);
    (void)snprintf(used, ulen, "%s", s->output);
    if (t)
        return t;
    const char *base = strrchr(s->output, '/');
    base = base ? base + 1 : s->output;
    const char *slash = strrchr(s->path, '/');
    int dl = slash ? (int)(slash - s->path + 1) : 0;
    (void)snprintf(used, ulen, "%.*s%s", dl, s->path, base);
    return read_all(used, ret_len);
}

static void free_shards(struct shard_sum *sh, size_t n) {
    for (size_t i = 0; i < n; i++) {
        free(sh[i].text);
        free(sh[i].lines);
    }
    free(sh);
}

/* Text multiping lines are "NAME<pad> : ...", padded to the widest name
 * of their shard: pad them to the widest of all. */
static void put_mp_text(FILE *f, const char *line, size_t width) {
    const char *sep = strstr(line, " : ");
    if (!sep) {
        fprintf(f, "%s\n", line);
        return;
    }
    size_t nl = (size_t)(sep - line);
    while (nl > 0 && line[nl - 1] == ' ')
        nl--;
    fprintf(f, "%-*.*s%s\n", (int)width, (int)nl, line, sep);
}

/* Write the merged output: to standard output, or to FILE through a
 * temporary file beside it and rename(2), so that FILE is either the whole
 * merge or untouched.  Returns 0 or EXIT_SYSTEM (after one line). */
static int publish(const char *output, const char *mem, size_t len) {
    if (!output || !strcmp(output, "-")) {
        if (fwrite(mem, 1, len, stdout) != len || fflush(stdout) != 0) {
            cli_error("merge", "cannot write to standard output: %s", strerror(errno));
            return EXIT_SYSTEM;
        }
        return 0;
    }
    char tmp[4200];
    if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", output, (long)getpid()) >= (int)sizeof(tmp)) {
        cli_error("merge", "output name too long: '%.60s...'", output);
        return EXIT_SYSTEM;
    }
    FILE *f = fopen(tmp, "w");
    if (!f) {
        cli_error("merge", "cannot open '%s' for writing: %s", output, strerror(errno));
        return EXIT_SYSTEM;
    }
    bool bad = fwrite(mem, 1, len, f) != len;
    bad = fclose(f) != 0 || bad;
    if (bad || rename(tmp, output) != 0) {
        cli_error("merge", "cannot write '%s': %s", output, strerror(errno));
        (void)unlink(tmp);
        return EXIT_SYSTEM;
    }
    return 0;
}

int cmd_merge(int argc, char **argv) {
    enum { OPT_SUMMARY = 256, OPT_FORMAT };
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {"output", required_argument, NULL, 'o'},
        {"summary-json", required_argument, NULL, OPT_SUMMARY},
        {"format", required_argument, NULL, OPT_FORMAT},
        {0},
    };
    const char *output = NULL, *summary = NULL;
    enum cli_format want = CLI_FMT_TEXT;
    bool want_set = false;
    int o;
    optind = 0;
    opterr = 0;
    while ((o = getopt_long(argc, argv, ":o:hV", longopts, NULL)) != -1) {
        switch (o) {
        case 'o': output = optarg; break;
        case OPT_SUMMARY: summary = optarg; break;
        case OPT_FORMAT:
            if (cli_parse_format("merge", optarg, &want) < 0)
                return EXIT_USAGE;
            want_set = true;
            break;
        case 'h': return cli_help(merge_help) > 0 ? EXIT_ALIVE : EXIT_USAGE;
        case 'V': return cli_version("merge") > 0 ? EXIT_ALIVE : EXIT_USAGE;
        default: cli_getopt_error("merge", o, argv); return EXIT_USAGE;
        }
    }
    const size_t n = (size_t)(argc - optind);
    if (n == 0) {
        cli_error("merge", "no summaries given (each shard's --summary-json file; see --help)");
        return EXIT_USAGE;
    }
    struct shard_sum *sh = calloc(n, sizeof(*sh));
    struct unit *units = NULL;
    size_t nunits = 0;
    FILE *out = NULL; /* the merged output, in memory (mem, mem_len) */
    char *mem = NULL;
    size_t mem_len = 0;
    int rc = EXIT_SYSTEM;
    if (!sh) {
        cli_error("merge", "%s", icr_strerror(ICR_ENOMEM));
        return EXIT_SYSTEM;
    }

    /* Read and check every summary against the first. */
    for (size_t i = 0; i < n; i++) {
        struct shard_sum *s = &sh[i];
        size_t len;
        s->path = argv[optind + (int)i];
        char *text = read_all(s->path, &len);
        if (!text) {
            cli_error("merge", "cannot read the summary '%s': %s", s->path, strerror(errno));
            goto done;
        }
        int pr = parse_summary(text, s);
        free(text);
        if (pr < 0) {
            rc = refuse("'%s' is not an icmpring --summary-json file", s->path);
            goto done;
        }
        const struct shard_sum *f0 = &sh[0];
        rc = EXIT_USAGE;
        if (strcmp(s->kind, f0->kind))
            rc = refuse("'%s' is a %s shard, '%s' a %s one", f0->path, f0->kind, s->path, s->kind);
        else if (strcmp(s->version, f0->version))
            rc = refuse("the icmpring versions differ: %s ('%s'), %s ('%s')", f0->version,
                        f0->path, s->version, s->path);
        else if (s->seed != f0->seed)
            rc = refuse("the seeds differ: %" PRIu64 " ('%s'), %" PRIu64 " ('%s')", f0->seed,
                        f0->path, s->seed, s->path);
        else if (strcmp(s->hash, f0->hash) || s->targets != f0->targets)
            rc = refuse("the targets differ: target-spec hash %s ('%s'), %s ('%s')", f0->hash,
                        f0->path, s->hash, s->path);
        else if (s->shards != f0->shards)
            rc = refuse("the shard counts differ: --shards %" PRIu64 " ('%s'), %" PRIu64 " ('%s')",
                        f0->shards, f0->path, s->shards, s->path);
        else if (strcmp(s->format, f0->format))
            rc = refuse("the formats differ: %s ('%s'), %s ('%s')", f0->format, f0->path,
                        s->format, s->path);
        else if (strcmp(s->opts, f0->opts))
            rc = refuse("the options differ: '%s' ('%s'), '%s' ('%s')", f0->opts, f0->path,
                        s->opts, s->path);
        else if (s->shard >= s->shards)
            rc = refuse("'%s' names shard %" PRIu64 " of %" PRIu64, s->path, s->shard, s->shards);
        else
            rc = 0;
        if (rc)
            goto done;
        for (size_t k = 0; k < i; k++)
            if (sh[k].shard == s->shard) {
                rc = refuse("shard %" PRIu64 " is given twice ('%s', '%s')", s->shard, sh[k].path,
                            s->path);
                goto done;
            }
    }
    const uint64_t nshards = sh[0].shards;
    for (uint64_t k = 0; k < nshards; k++) {
        bool found = false;
        for (size_t i = 0; i < n && !found; i++)
            found = sh[i].shard == k;
        if (!found) {
            rc = refuse("shard %" PRIu64 " of %" PRIu64 " is missing (%zu summar%s given)", k,
                        nshards, n, n == 1 ? "y" : "ies");
            goto done;
        }
    }
    for (size_t i = 0; i < n; i++)
        if (!sh[i].complete) {
            rc = refuse("shard %" PRIu64 " ('%s') did not complete (interrupted or failed): run "
                        "it again (with --resume) first", sh[i].shard, sh[i].path);
            goto done;
        }
    const char *format = sh[0].format, *kind = sh[0].kind;
    if (want_set && strcmp(cli_format_name((int)want), format)) {
        rc = refuse("--format %s: the shards are %s, and merge does not convert (give --format "
                    "%s or leave it out)", cli_format_name((int)want), format, format);
        goto done;
    }
    const bool csv = !strcmp(format, "csv"), text = !strcmp(format, "text");

    /* Read the outputs, each in shard order. */
    size_t total_lines = 0;
    const char *header = NULL;
    for (size_t i = 0; i < n; i++) {
        struct shard_sum *s = &sh[i];
        char used[8192];
        if (!s->has_output) {
            rc = refuse("shard %" PRIu64 " ('%s') wrote to standard output: merge needs each "
                        "shard's -o FILE", s->shard, s->path);
            goto done;
        }
        if (!(s->text = find_output(s, &s->len, used, sizeof(used)))) {
            cli_error("merge", "cannot read shard %" PRIu64 "'s output '%s': %s", s->shard,
                      s->output, strerror(errno));
            rc = EXIT_SYSTEM;
            goto done;
        }
        int sl = split_lines(s);
        if (sl < 0) {
            cli_error("merge", "%s", icr_strerror(ICR_ENOMEM));
            goto done;
        }
        if (sl > 0) {
            rc = refuse("shard %" PRIu64 "'s output '%s' ends in a cut line (a killed run): run "
                        "it again with --resume first", s->shard, used);
            goto done;
        }
        if (csv) {
            if (s->nlines == 0) {
                rc = refuse("shard %" PRIu64 "'s output '%s' has no csv header", s->shard, used);
                goto done;
            }
            if (header && strcmp(header, s->lines[0])) {
                rc = refuse("the csv headers differ ('%s')", used);
                goto done;
            }
            header = s->lines[0];
        }
        /* What the output holds must be what its summary counted. */
        uint64_t records = s->nlines - (csv ? 1 : 0);
        if (strcmp(kind, "traceroute") != 0 && records != s->records) {
            rc = refuse("shard %" PRIu64 "'s output '%s' holds %" PRIu64 " records, its summary "
                        "%" PRIu64 ": not the output of that run", s->shard, used, records,
                        s->records);
            goto done;
        }
        total_lines += s->nlines;
    }
    if (!(units = calloc(total_lines + 1, sizeof(*units)))) {
        cli_error("merge", "%s", icr_strerror(ICR_ENOMEM));
        goto done;
    }
    /* The merged output is built in memory and published only when the
     * whole merge succeeded: some refusals (a line that names no target, a
     * shard holding more routes than destinations) are found only while
     * merging, and they must leave neither a partial file nor partial
     * standard output behind. */
    if (!(out = open_memstream(&mem, &mem_len))) {
        cli_error("merge", "%s", icr_strerror(ICR_ENOMEM));
        goto done;
    }
    FILE *f = out;
    if (header)
        fprintf(f, "%s\n", header);
    uint64_t merged = 0;

    if (!strcmp(kind, "multiping")) {
        /* Global input order: host i is the next record of its shard. */
        size_t *next = calloc(nshards, sizeof(*next));
        struct shard_sum **by = calloc(nshards, sizeof(*by));
        size_t width = 0;
        if (!next || !by) {
            free(next);
            free(by);
            cli_error("merge", "%s", icr_strerror(ICR_ENOMEM));
            goto done;
        }
        for (size_t i = 0; i < n; i++) {
            by[sh[i].shard] = &sh[i];
            next[sh[i].shard] = csv ? 1 : 0;
            for (size_t k = 0; text && k < sh[i].nlines; k++) {
                const char *sep = strstr(sh[i].lines[k], " : ");
                size_t w = sep ? (size_t)(sep - sh[i].lines[k]) : 0;
                while (w > 0 && sh[i].lines[k][w - 1] == ' ')
                    w--;
                if (w > width)
                    width = w;
            }
        }
        rc = 0;
        for (uint64_t i = 0; i < sh[0].targets && !rc; i++) {
            uint32_t s = 0;
            if (nshards > 1 && icr_shard_of(i, sh[0].targets, sh[0].seed, (uint32_t)nshards, &s) < 0)
                rc = refuse("cannot split %" PRIu64 " hosts", sh[0].targets);
            else if (next[s] >= by[s]->nlines)
                rc = refuse("shard %" PRIu32 " ('%s') holds fewer hosts than its part of the "
                            "input", s, by[s]->path);
            else if (text)
                put_mp_text(f, by[s]->lines[next[s]++], width);
            else
                fprintf(f, "%s\n", by[s]->lines[next[s]++]);
            merged++;
        }
        for (uint64_t s = 0; s < nshards && !rc; s++)
            if (next[s] != by[s]->nlines)
                rc = refuse("shard %" PRIu64 " ('%s') holds more hosts than its part of the input",
                            s, by[s]->path);
        free(next);
        free(by);
        if (rc)
            goto done;
    } else {
        /* sweep: one unit per record; traceroute: one per route. */
        const bool trace = !strcmp(kind, "traceroute");
        for (size_t i = 0; i < n; i++) {
            struct shard_sum *s = &sh[i];
            uint64_t routes = 0;
            for (size_t k = csv ? 1 : 0; k < s->nlines; k++) {
                const char *line = s->lines[k];
                struct icr_addr a;
                bool err;
                uint32_t probe;
                if (trace && text && !*line)
                    continue; /* the blank line between routes */
                bool starts = !trace || (text ? !strncmp(line, "traceroute to ", 14) : true);
                if (trace && text && !starts) {
                    if (nunits == 0 || units[nunits - 1].order >> 32 != i) {
                        rc = refuse("'%s' is not traceroute text output", s->output);
                        goto done;
                    }
                    units[nunits - 1].nlines++;
                    continue;
                }
                if (!record_target(line, format, &a, &err, &probe)) {
                    rc = refuse("shard %" PRIu64 "'s output has a line that names no target: '%.60s'",
                                s->shard, line);
                    goto done;
                }
                if (trace && !text && nunits && units[nunits - 1].order >> 32 == i &&
                    addr_order(&units[nunits - 1].addr, &a) == 0) {
                    units[nunits - 1].nlines++; /* another hop of the same route */
                    continue;
                }
                units[nunits++] = (struct unit){.addr = a, .error = !trace && err,
                                                .probe = trace ? 0 : probe,
                                                .lines = &s->lines[k], .nlines = 1,
                                                .order = (i << 32) | k};
                routes++;
            }
            if (trace && routes > s->shard_targets) {
                rc = refuse("shard %" PRIu64 "'s output holds %" PRIu64 " routes, more than its %"
                            PRIu64 " destinations", s->shard, routes, s->shard_targets);
                goto done;
            }
        }
        qsort(units, nunits, sizeof(*units), unit_cmp);
        bool first = true;
        for (size_t u = 0; u < nunits; u++) {
            /* Shards are disjoint: a target in two of them is a defect;
             * within one, a resumed sweep never writes one twice either,
             * but a merge stays safe: the first record of a key wins. */
            if (u > 0 && !unit_cmp(&(struct unit){.addr = units[u].addr, .error = units[u].error,
                                                  .probe = units[u].probe},
                                   &(struct unit){.addr = units[u - 1].addr,
                                                  .error = units[u - 1].error,
                                                  .probe = units[u - 1].probe}))
                continue;
            if (trace && u > 0 && !addr_order(&units[u].addr, &units[u - 1].addr))
                continue;
            if (trace && text && !first)
                fputc('\n', f);
            first = false;
            for (size_t k = 0; k < units[u].nlines; k++) {
                const char *line = units[u].lines[k];
                if (trace && text && !*line)
                    continue;
                fprintf(f, "%s\n", line);
            }
            merged++;
        }
    }
    if (fflush(f) != 0 || ferror(f)) {
        cli_error("merge", "%s", icr_strerror(ICR_ENOMEM));
        rc = EXIT_SYSTEM;
        goto done;
    }
    if ((rc = publish(output, mem, mem_len)) != 0)
        goto done;

    if (summary) {
        struct cli_summary all = {
            .kind = kind, .seed = sh[0].seed, .shards = (uint32_t)nshards, .shard = 0,
            .targets = sh[0].targets, .shard_targets = sh[0].targets, .format = format,
            .opts = sh[0].opts, .output = output && strcmp(output, "-") ? output : NULL,
            .records = merged,
            .complete = true, .runs = 0};
        all.targets_hash = strtoull(sh[0].hash, NULL, 16);
        for (size_t i = 0; i < n; i++) {
            all.sent += sh[i].sent;
            all.hits += sh[i].hits;
            all.runs += (uint32_t)sh[i].runs;
            if (sh[i].elapsed > all.elapsed)
                all.elapsed = sh[i].elapsed; /* the shards ran side by side */
        }
        if ((rc = cli_summary_write("merge", summary, &all)) != 0)
            goto done;
    }
    rc = EXIT_ALIVE;
done:
    if (out)
        (void)fclose(out);
    free(mem);
    free(units);
    free_shards(sh, n);
    return rc;
}
