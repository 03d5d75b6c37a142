/* sweep.c - `icmpring sweep TARGETS...`: find the live hosts of address
 * sets on the io_uring sweep engine, stream them as text, CSV or NDJSON,
 * and report progress (zmap-style status line) and a summary on stderr. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <stdio_ext.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "cli-parse.h"
#include "icmpring.h"

static const char sweep_help[] =
    "Usage: icmpring sweep [OPTIONS] TARGETS...\n"
    "Send ICMP Echo Requests to every address of TARGETS and print the live ones\n"
    "as they answer.  A TARGET is an address, a CIDR (198.18.0.0/24,\n"
    "2001:db8::/120), a range FIRST-LAST or a host name (every address of it).\n\n"
    "Targets:\n"
    "  -f FILE            read targets from FILE, one a line, '#' comments\n"
    "                     ('-' = standard input; repeatable)\n"
    "  --exclude SPEC     leave out the addresses of SPEC (repeatable)\n"
    "  --exclude-file F   leave out every entry of F (repeatable)\n"
    "  --keep-netbcast    keep the network and broadcast addresses of IPv4\n"
    "                     CIDRs /30 and wider (dropped by default, as fping -g)\n"
    "  -4, -6             host names: use their IPv4 / IPv6 addresses only\n"
    "Probing:\n"
    "  -r, --rate PPS     probes per second, 0 = as fast as possible (default 10000)\n"
    "  -c, --count N      probes per target, 1-1000 (default 1)\n"
    "  --interval SECONDS between two probes to one target (default 1)\n"
    "  --cooldown SECONDS wait for late replies after the last probe (default 2)\n"
    "  --seed S           seed of the random target order, 1-2^64-1 (default random;\n"
    "                     the summary shows the one used)\n"
    "  --shards N --shard I  probe only shard I (0..N-1) of N; every shard must\n"
    "                     use the same --seed; together they cover each target once\n"
    "  --ttl TTL          IPv4 TTL / IPv6 hop limit, 1-255 (default 64)\n"
    "  --tclass TCLASS    DS field / traffic class, 0-255 (default 0)\n"
    "  --size BYTES       payload size, 34-1400 (default 56)\n"
    "  --batch N          sends queued per io_uring_enter, 1-1024 (default 128)\n"
    "  --senders N        sending threads: 0 = choose (default), 1 or 2\n"
    "  -I, --source ADDR  source address (one IPv4 and/or one IPv6; must be local)\n"
    "  --privileged       raw sockets only (needs CAP_NET_RAW)\n"
    "  --unprivileged     ICMP datagram sockets only (net.ipv4.ping_group_range)\n"
    "                     (default: raw if permitted, else datagram)\n"
    "  --single-recv      one-shot receives instead of multishot (for tests)\n"
    "  --no-uring         sendmmsg/recvmmsg instead of io_uring (automatic where\n"
    "                     io_uring is refused, e.g. by a container's seccomp profile)\n"
    "  --all-replies      report every reply, duplicates too (csv/ndjson get a\n"
    "                     'duplicate' field)\n"
    "Output:\n"
    "  -o FILE            write results to FILE (default: standard output)\n"
    "  --format FORMAT    text: the live addresses, one a line (default)\n"
    "                     csv: target,responder,kind,type,code,rtt_ms,ttl,sent_ns,probe\n"
    "                     ndjson: one JSON object a line with the same fields;\n"
    "                     csv and ndjson include ICMP error replies (kind error)\n"
    "  -q                 no status line, no summary\n"
    "  -h, --help         this help;  -V, --version  the version\n\n"
    "Results are written line by line as they arrive.  While stderr is a terminal\n"
    "a status line is refreshed every second; the summary goes to stderr at the end.\n"
    "Ctrl-C (or SIGTERM) stops sending, waits the cooldown for replies still on\n"
    "their way, writes them and the summary, and exits 130; a second Ctrl-C skips\n"
    "the rest of the cooldown (what was received is still written).\n"
    "If the reader of the output goes away (EPIPE, e.g. '| head -1'), sending\n"
    "stops, the summary still goes to stderr, and the exit code is 0 or 1 by the\n"
    "targets that answered before the stop.\n\n"
    "Exit codes: 0 every target answered, 1 some target did not, 2 name lookup\n"
    "            failed, 3 bad arguments, 4 system error (permission, io_uring,\n"
    "            a file cannot be opened or written, the interface went down),\n"
    "            130 interrupted\n";

struct sweep_conf {
    struct icr_sweep_opts opts;
    struct cli_targets ta;
    bool seed_set, shard_set, shards_set, quiet;
    enum cli_format format;
    const char *output;
};

/* What the result callback writes to; also remembers whether the status
 * line is on screen, so a result printed to the same terminal erases it. */
struct sweep_out {
    struct cli_out w;
    enum cli_format format;
    bool all_replies;
    uint64_t lines;
};

static int bad_value(const char *opt, const char *val, const char *range) {
    return cli_bad_value("sweep", opt, val, range);
}

static int parse_args(int argc, char **argv, struct sweep_conf *c) {
    enum {
        OPT_INTERVAL = 256, OPT_COOLDOWN,
        OPT_SEED, OPT_SHARDS, OPT_SHARD, OPT_TTL, OPT_TCLASS, OPT_SIZE, OPT_BATCH, OPT_SENDERS, OPT_PRIV,
        OPT_UNPRIV, OPT_SINGLE_RECV, OPT_ALL_REPLIES, OPT_FORMAT, OPT_NO_URING,
    };
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {"rate", required_argument, NULL, 'r'},
        {"count", required_argument, NULL, 'c'},
        {"exclude", required_argument, NULL, CLI_OPT_EXCLUDE},
        {"exclude-file", required_argument, NULL, CLI_OPT_EXCLUDE_FILE},
        {"keep-netbcast", no_argument, NULL, CLI_OPT_KEEP_NETBCAST},
        {"interval", required_argument, NULL, OPT_INTERVAL},
        {"cooldown", required_argument, NULL, OPT_COOLDOWN},
        {"seed", required_argument, NULL, OPT_SEED},
        {"shards", required_argument, NULL, OPT_SHARDS},
        {"shard", required_argument, NULL, OPT_SHARD},
        {"ttl", required_argument, NULL, OPT_TTL},
        {"tclass", required_argument, NULL, OPT_TCLASS},
        {"size", required_argument, NULL, OPT_SIZE},
        {"batch", required_argument, NULL, OPT_BATCH},
        {"senders", required_argument, NULL, OPT_SENDERS},
        {"source", required_argument, NULL, 'I'},
        {"privileged", no_argument, NULL, OPT_PRIV},
        {"unprivileged", no_argument, NULL, OPT_UNPRIV},
        {"single-recv", no_argument, NULL, OPT_SINGLE_RECV},
        {"no-uring", no_argument, NULL, OPT_NO_URING},
        {"all-replies", no_argument, NULL, OPT_ALL_REPLIES},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"output", required_argument, NULL, 'o'},
        {0},
    };
    struct icr_sweep_opts *so = &c->opts;
    uint64_t v;
    int o;

    /* 0, not 1: glibc then starts afresh.  With 1 it goes on inside the
     * option cluster where the last parse stopped ("-hV" after -h): a
     * second parse in one process (the fuzz harness) read freed memory. */
    optind = 0;
    opterr = 0;
    /* Leading ':' so a missing value is told apart from an unknown option;
     * no '+': options may follow the targets (`sweep 198.18.0.0/24 -q`). */
    while ((o = getopt_long(argc, argv, ":f:r:c:o:I:46qhV", longopts, NULL)) != -1) {
        if (cli_targets_family_conflict(&c->ta, o) < 0)
            return -1;
        if (cli_targets_option(&c->ta, o, optarg))
            continue; /* -f, -4, -6, --exclude, --exclude-file, --keep-netbcast */
        switch (o) {
        case 'r':
            /* 0 is the engine's "unlimited"; the cap only catches typos. */
            if (cli_parse_u64(optarg, 0, 100000000, &so->rate) < 0)
                return bad_value("--rate", optarg, "0-100000000 probes per second");
            break;
        case 'c':
            if (cli_parse_u64(optarg, 1, 1000, &v) < 0)
                return bad_value("--count", optarg, "1-1000");
            so->count = (uint32_t)v;
            break;
        case OPT_INTERVAL:
            if (cli_parse_double(optarg, 0, 3600, &so->interval) < 0)
                return bad_value("--interval", optarg, "0-3600 seconds");
            break;
        case OPT_COOLDOWN:
            if (cli_parse_double(optarg, 0, 3600, &so->cooldown) < 0)
                return bad_value("--cooldown", optarg, "0-3600 seconds");
            break;
        case OPT_SEED:
            /* 0 means "random" to the library: refuse it rather than
             * silently sweep in an order nobody can reproduce. */
            if (cli_parse_u64(optarg, 1, UINT64_MAX, &so->seed) < 0)
                return bad_value("--seed", optarg, "1-18446744073709551615");
            c->seed_set = true;
            break;
        case OPT_SHARDS:
            if (cli_parse_u64(optarg, 1, UINT32_MAX, &v) < 0)
                return bad_value("--shards", optarg, "1-4294967295");
            so->shards = (uint32_t)v;
            c->shards_set = true;
            break;
        case OPT_SHARD:
            if (cli_parse_u64(optarg, 0, UINT32_MAX - 1, &v) < 0)
                return bad_value("--shard", optarg, "0 to --shards minus 1");
            so->shard = (uint32_t)v;
            c->shard_set = true;
            break;
        case OPT_TTL:
            if (cli_parse_u64(optarg, 1, 255, &v) < 0)
                return bad_value("--ttl", optarg, "1-255");
            so->ttl = (int)v;
            break;
        case OPT_TCLASS:
            if (cli_parse_u64(optarg, 0, 255, &v) < 0)
                return bad_value("--tclass", optarg, "0-255");
            so->traffic_class = (int)v;
            break;
        case OPT_SIZE:
            if (cli_parse_u64(optarg, 34, 1400, &v) < 0)
                return bad_value("--size", optarg, "34-1400 bytes");
            so->payload_size = (size_t)v;
            break;
        case OPT_BATCH:
            if (cli_parse_u64(optarg, 1, 1024, &v) < 0)
                return bad_value("--batch", optarg, "1-1024");
            so->batch = (uint32_t)v;
            break;
        case OPT_PRIV:
            if (so->privilege == ICR_UNPRIVILEGED)
                return cli_exclusive("sweep", "--privileged", "--unprivileged");
            so->privilege = ICR_PRIVILEGED;
            break;
        case OPT_UNPRIV:
            if (so->privilege == ICR_PRIVILEGED)
                return cli_exclusive("sweep", "--unprivileged", "--privileged");
            so->privilege = ICR_UNPRIVILEGED;
            break;
        case OPT_SINGLE_RECV: so->flags |= ICR_SWEEP_SINGLE_RECV; break;
        case OPT_NO_URING: so->flags |= ICR_SWEEP_NO_URING; break;
        case OPT_SENDERS:
            if (cli_parse_u64(optarg, 0, 2, &v) < 0)
                return bad_value("--senders", optarg, "0-2");
            so->senders = (uint32_t)v;
            break;
        case OPT_ALL_REPLIES: so->flags |= ICR_SWEEP_ALL_REPLIES; break;
        case OPT_FORMAT:
            if (cli_parse_format("sweep", optarg, &c->format) < 0)
                return -1;
            break;
        case 'o': c->output = optarg; break;
        case 'q': c->quiet = true; break;
        case 'I': {
            struct icr_addr a;
            if (icr_addr_parse(optarg, &a) < 0)
                return bad_value("--source", optarg, "an IPv4 or IPv6 address of this host");
            if (a.family == AF_INET)
                so->source4 = a;
            else
                so->source6 = a;
            break;
        }
        case 'h': return cli_help(sweep_help);
        case 'V': return cli_version("sweep");
        default: return cli_getopt_error("sweep", o, argv);
        }
    }
    cli_targets_operands(&c->ta, argc, argv);

    if (c->shard_set && !c->shards_set) {
        cli_error("sweep", "--shard %" PRIu32 " needs --shards N (N > %" PRIu32 ") and --seed S",
                  so->shard, so->shard);
        return -1;
    }
    if (so->shard >= so->shards) {
        cli_error("sweep", "--shard %" PRIu32 " is out of range: --shards %" PRIu32
                  " allows 0-%" PRIu32, so->shard, so->shards, so->shards - 1);
        return -1;
    }
    /* Each shard draws its part of one random order; with different seeds
     * the shards would overlap and leave holes (zmap refuses this too). */
    if (so->shards > 1 && (!c->shard_set || !c->seed_set)) {
        cli_error("sweep", "--shards %" PRIu32 " needs --shard I and the same --seed S on "
                  "every shard", so->shards);
        return -1;
    }
    return cli_targets_given(&c->ta);
}

static void on_result(const struct icr_result *r, void *userdata) {
    struct sweep_out *o = userdata;
    char target[ICR_ADDRSTRLEN], responder[ICR_ADDRSTRLEN];

    /* text lists live hosts, once each: no error replies, no repeats. */
    if (o->format == CLI_FMT_TEXT && (r->kind != ICR_RESULT_ECHO || r->duplicate))
        return;
    if (o->w.write_errno)
        return; /* the output failed: the end of cmd_sweep says how */
    cli_addr_format(&r->target, target, sizeof(target));
    cli_addr_format(&r->responder, responder, sizeof(responder));
    cli_out_clear_status(&o->w);

    /* The 'duplicate' column exists only with --all-replies, so the default
     * header stays the fixed one that scripts match on. */
    const char *kind = r->kind == ICR_RESULT_ECHO ? "echo" : "error";
    switch (o->format) {
    case CLI_FMT_TEXT:
        fprintf(o->w.f, "%s\n", target);
        break;
    case CLI_FMT_CSV:
        cli_csv_str(o->w.f, target);
        fputc(',', o->w.f);
        cli_csv_str(o->w.f, responder);
        fprintf(o->w.f, ",%s,%d,%d,", kind, r->type, r->code);
        if (r->rtt_ns >= 0)
            fprintf(o->w.f, "%.3f", (double)r->rtt_ns / 1e6);
        fputc(',', o->w.f);
        if (r->ttl >= 0)
            fprintf(o->w.f, "%d", r->ttl);
        fprintf(o->w.f, ",%" PRId64 ",%" PRIu32, r->sent_ns, r->probe);
        if (o->all_replies)
            fprintf(o->w.f, ",%d", r->duplicate ? 1 : 0);
        fputc('\n', o->w.f);
        break;
    case CLI_FMT_NDJSON:
        fputs("{\"target\":", o->w.f);
        cli_json_str(o->w.f, target);
        fputs(",\"responder\":", o->w.f);
        cli_json_str(o->w.f, responder);
        fprintf(o->w.f, ",\"kind\":\"%s\",\"type\":%d,\"code\":%d,\"rtt_ms\":", kind, r->type,
                r->code);
        if (r->rtt_ns >= 0)
            fprintf(o->w.f, "%.3f", (double)r->rtt_ns / 1e6);
        else
            fputs("null", o->w.f);
        if (r->ttl >= 0)
            fprintf(o->w.f, ",\"ttl\":%d", r->ttl);
        else
            fputs(",\"ttl\":null", o->w.f);
        fprintf(o->w.f, ",\"sent_ns\":%" PRId64 ",\"probe\":%" PRIu32, r->sent_ns, r->probe);
        if (o->all_replies)
            fprintf(o->w.f, ",\"duplicate\":%s", r->duplicate ? "true" : "false");
        fputs("}\n", o->w.f);
        break;
    }
    if (cli_out_failed(&o->w))
        return;
    /* Counted so a test (or a reader of the summary) can check that every
     * hit became a line, interrupted or not. */
    o->lines++;
}

/* "1.23 K" style rates, as zmap prints them. */
static const char *fmt_rate(char *buf, size_t len, double v) {
    if (v >= 1e6)
        (void)snprintf(buf, len, "%.2f Mp/s", v / 1e6);
    else if (v >= 1e3)
        (void)snprintf(buf, len, "%.2f Kp/s", v / 1e3);
    else
        (void)snprintf(buf, len, "%.0f p/s", v);
    return buf;
}

static const char *fmt_duration(char *buf, size_t len, double s) {
    uint64_t t = s > 0 ? (uint64_t)(s + 0.5) : 0;
    if (t >= 3600)
        (void)snprintf(buf, len, "%" PRIu64 ":%02u:%02u", t / 3600, (unsigned)(t / 60 % 60),
                       (unsigned)(t % 60));
    else
        (void)snprintf(buf, len, "%u:%02u", (unsigned)(t / 60), (unsigned)(t % 60));
    return buf;
}

/* The zmap-style progress line, redrawn in place (\r, erase to end). */
static void print_status(const struct icr_sweep_opts *so, const struct icr_sweep_stats *st,
                         const struct icr_sweep_stats *prev, double dt, struct sweep_out *o) {
    char el[32], eta[32], sr[32], rr[32];
    const double elapsed = (double)st->elapsed_ns / 1e9;
    const double pct = st->planned ? 100.0 * (double)st->sent / (double)st->planned : 100.0;
    const double send_pps = dt > 0 ? (double)(st->sent - prev->sent) / dt : 0;
    const uint64_t recv = st->replies + st->errors, recv_prev = prev->replies + prev->errors;
    const double recv_pps = dt > 0 ? (double)(recv - recv_prev) / dt : 0;
    /* Probes go out in rounds (probe 0 to every target, then probe 1...),
     * so the targets probed so far are at most `sent`. */
    const uint64_t probed = st->sent < st->targets ? st->sent : st->targets;
    const double hitrate = probed ? 100.0 * (double)st->hits / (double)probed : 0;

    if (st->sending_done) {
        (void)snprintf(eta, sizeof(eta), "cooldown");
    } else if (st->sent > 0 && st->send_ns > 0) {
        /* The average rate so far predicts the rest; the cooldown follows. */
        double left = (double)(st->planned - st->sent) * ((double)st->send_ns / 1e9) /
                      (double)st->sent;
        char d[32];
        (void)snprintf(eta, sizeof(eta), "%s left", fmt_duration(d, sizeof(d), left + so->cooldown));
    } else {
        (void)snprintf(eta, sizeof(eta), "starting");
    }
    cli_status(&o->w,
               "%s %3.0f%% (%s); send: %" PRIu64 " %s; recv: %" PRIu64 " %s; drops: %" PRIu64
               "; hitrate: %.2f%%",
               fmt_duration(el, sizeof(el), elapsed), pct, eta, st->sent,
               fmt_rate(sr, sizeof(sr), send_pps), recv, fmt_rate(rr, sizeof(rr), recv_pps),
               st->kernel_drops + st->send_errors, hitrate);
}

static void print_summary(const struct sweep_conf *c, const struct icr_sweep_stats *st,
                          bool interrupted, bool abandoned, bool gone) {
    const double elapsed = (double)st->elapsed_ns / 1e9;
    const double send_s = (double)(st->send_ns > 0 ? st->send_ns : st->elapsed_ns) / 1e9;
    const double hit_pct = st->targets ? 100.0 * (double)st->hits / (double)st->targets : 0;

    fprintf(stderr,
            "--- sweep summary ---\n"
            "%" PRIu64 " targets, %" PRIu64 " probes sent of %" PRIu64 ", %" PRIu64
            " hits (%.2f%%)\n",
            st->targets, st->sent, st->planned, st->hits, hit_pct);
    fprintf(stderr,
            "%" PRIu64 " replies, %" PRIu64 " duplicates, %" PRIu64 " ICMP errors, %" PRIu64
            " invalid (dropped: MAC did not verify)\n",
            st->replies, st->duplicates, st->errors, st->invalid);
    fprintf(stderr, "%" PRIu64 " kernel drops, %" PRIu64 " send errors\n", st->kernel_drops,
            st->send_errors);
    fprintf(stderr,
            "elapsed %.3f s, send rate %.0f pps, %" PRIu32 " sender%s, receive path %s, backend %s, seed %" PRIu64
            " shard %" PRIu32 "/%" PRIu32 "\n",
            elapsed, send_s > 0 ? (double)st->sent / send_s : 0.0, st->senders,
            st->senders == 1 ? "" : "s",
            st->backend == ICR_BACKEND_MMSG ? "batched" : st->multishot ? "multishot" : "one-shot",
            st->backend == ICR_BACKEND_MMSG ? "sendmmsg/recvmmsg" : "io_uring", c->opts.seed,
            c->opts.shard,
            c->opts.shards);
    if (interrupted)
        fprintf(stderr, "interrupted: sending stopped after %" PRIu64 " of %" PRIu64
                " probes%s\n", st->sent, st->planned,
                abandoned ? "; cooldown cut short by a second signal" : "");
    if (gone)
        fprintf(stderr, "output closed by its reader: sending stopped after %" PRIu64 " of %" PRIu64
                " probes, %" PRIu64 " hits written\n", st->sent, st->planned, st->hits);
    fflush(stderr);
}

/* After a failed write to the -o file (a full disk): drop what stdio still
 * holds and cut the file after its last whole line, so that what was kept
 * is whole results only, never half a line. */
static void trim_partial_line(FILE *f, const char *path) {
    struct stat sb;
    char buf[4096];
    const int fd = fileno(f);
    __fpurge(f);
    if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode))
        return;
    const int rfd = open(path, O_RDONLY | O_CLOEXEC); /* f is write-only */
    if (rfd < 0)
        return;
    off_t end = sb.st_size;
    while (end > 0) {
        const size_t n = end < (off_t)sizeof(buf) ? (size_t)end : sizeof(buf);
        if (pread(rfd, buf, n, end - (off_t)n) != (ssize_t)n)
            break;
        size_t k = n;
        while (k > 0 && buf[k - 1] != '\n')
            k--;
        /* Best effort: a failed truncate leaves the partial line, which
         * is all this can do.  (An if, not a (void) cast: glibc's
         * _FORTIFY_SOURCE marks ftruncate warn_unused_result, and GCC
         * warns through the cast, e.g. under Debian's build flags.) */
        if (k > 0) {
            if (ftruncate(fd, end - (off_t)n + (off_t)k) != 0) {
            }
            break;
        }
        end -= (off_t)n;
        if (end == 0 && ftruncate(fd, 0) != 0) {
        }
    }
    (void)close(rfd);
}

/* Open the sweep, with a hint for the usual system failures; then, its
 * sockets open, drop every privilege before the first packet is parsed. */
static int open_sweep(icr_targets *t, const struct icr_sweep_opts *so, icr_sweep **ret) {
    int r = icr_sweep_new(t, so, ret);
    if (r < 0)
        return cli_start_error("sweep", r, "cannot start the sweep", NULL, NULL, so->privilege);
    return cli_privileges_dropped("sweep");
}

/* The status line's state: the stats of the last one give the rates. */
struct sweep_status {
    icr_sweep *s;
    const struct icr_sweep_opts *so;
    struct sweep_out *out;
    struct icr_sweep_stats prev;
};

static void on_status(void *userdata, double elapsed, double dt) {
    struct sweep_status *x = userdata;
    struct icr_sweep_stats st = {.size = sizeof(st)};
    (void)icr_sweep_get_stats(x->s, &st);
    print_status(x->so, &st, &x->prev, dt, x->out);
    x->prev = st;
}

static int sweep_step(void *s, int64_t timeout_ns) { return icr_sweep_step(s, timeout_ns); }
static void sweep_stop(void *s) { icr_sweep_stop(s); }

int cli_sweep_parse_only(int argc, char **argv) {
    struct sweep_conf c = {.opts = ICR_SWEEP_OPTS_INIT, .format = CLI_FMT_TEXT};
    int r = -1;
    if (cli_targets_init(&c.ta, "sweep", argc) == 0)
        r = parse_args(argc, argv, &c);
    cli_targets_free(&c.ta);
    return r;
}

int cmd_sweep(int argc, char **argv) {
    struct sweep_conf c = {.opts = ICR_SWEEP_OPTS_INIT, .format = CLI_FMT_TEXT};
    struct sweep_out out = {0};
    struct icr_sweep_stats st = {.size = sizeof(st)};
    icr_targets *targets = NULL;
    icr_sweep *s = NULL;
    bool stopped = false, abandoned = false, gone = false;
    int exit_code = EXIT_SYSTEM, r;

    if (cli_targets_init(&c.ta, "sweep", argc) < 0)
        goto out;

    r = parse_args(argc, argv, &c);
    if (r) {
        exit_code = r > 0 ? EXIT_ALIVE : EXIT_USAGE;
        goto out;
    }
    if (!c.seed_set) {
        /* Pick the seed here rather than let the library do it, so the
         * summary can show it and a sweep can be repeated in the same order. */
        uint64_t seed = 0;
        if (getrandom(&seed, sizeof(seed), 0) != (ssize_t)sizeof(seed))
            seed = (uint64_t)cli_now_ns() ^ ((uint64_t)getpid() << 32);
        c.opts.seed = seed ? seed : 1;
    }

    exit_code = cli_targets_build(&c.ta, "no targets left to sweep (every address was excluded)",
                                  &targets);
    if (exit_code != 0)
        goto out;

    FILE *f = stdout;
    if (c.output && strcmp(c.output, "-") != 0 && !(f = fopen(c.output, "w"))) {
        cli_error("sweep", "cannot open '%s' for writing: %s", c.output, strerror(errno));
        exit_code = EXIT_SYSTEM;
        goto out;
    }
    cli_out_start(&out.w, f, c.quiet);
    out.format = c.format;
    out.all_replies = (c.opts.flags & ICR_SWEEP_ALL_REPLIES) != 0;

    c.opts.on_result = on_result;
    c.opts.userdata = &out;
    if ((exit_code = open_sweep(targets, &c.opts, &s)) != 0)
        goto out;

    if (c.format == CLI_FMT_CSV)
        fprintf(out.w.f, "target,responder,kind,type,code,rtt_ms,ttl,sent_ns,probe%s\n",
                out.all_replies ? ",duplicate" : "");

    /* EPIPE stops the sending and skips the cooldown (gone); a second
     * signal gives up the cooldown (abandoned). */
    struct sweep_status ss = {.s = s, .so = &c.opts, .out = &out,
                              .prev = {.size = sizeof(struct icr_sweep_stats)}};
    const struct cli_job job = {.job = s, .step = sweep_step, .stop = sweep_stop,
                                .status = on_status, .userdata = &ss};
    enum cli_end end;
    r = cli_run(&job, &out.w, &stopped, &end);
    gone = end == CLI_END_GONE;
    abandoned = end == CLI_END_ABANDONED;
    (void)icr_sweep_get_stats(s, &st);
    /* gone: write_errno is EPIPE already */
    cli_out_end(&out.w);
    if (out.w.write_errno == EPIPE)
        gone = true;
    if (gone) {
        /* The reader went away: not an error of ours.  What it read is all
         * it wanted; the exit code says whether every target answered
         * before the stop (fping's 0/1), the summary says how far we got. */
        exit_code = st.hits >= st.targets ? EXIT_ALIVE : EXIT_DEAD;
    } else if (out.w.write_errno) {
        /* A full disk must not pass for "these are all the live hosts":
         * a lost line is a system error. */
        cli_error("sweep", "cannot write the results to '%s': %s",
                  out.w.f == stdout ? "<stdout>" : c.output, strerror(out.w.write_errno));
        if (out.w.f != stdout)
            trim_partial_line(out.w.f, c.output);
        exit_code = EXIT_SYSTEM;
    } else if (r < 0 && r != ICR_ESTOPPED) {
        cli_error("sweep", "the sweep failed: %s", icr_strerror(r));
        exit_code = cli_exit_for(r) == EXIT_USAGE ? EXIT_SYSTEM : cli_exit_for(r);
    } else if (stopped || abandoned || r == ICR_ESTOPPED) {
        exit_code = EXIT_INTERRUPTED;
    } else {
        /* fping's convention: 0 only if every target (of this shard) answered. */
        exit_code = st.hits >= st.targets ? EXIT_ALIVE : EXIT_DEAD;
    }
    if (!c.quiet)
        print_summary(&c, &st, exit_code == EXIT_INTERRUPTED, abandoned, gone);

out:
    s = icr_sweep_free(s);
    targets = icr_targets_free(targets);
    if (out.w.f && out.w.f != stdout && fclose(out.w.f) != 0 && exit_code != EXIT_SYSTEM && !gone) {
        cli_error("sweep", "cannot write the results to '%s': %s", c.output, strerror(errno));
        exit_code = EXIT_SYSTEM;
    }
    cli_targets_free(&c.ta);
    return exit_code;
}
