/* sweep.c - `icmpring sweep TARGETS...`: find the live hosts of address
 * sets on the io_uring sweep engine, stream them as text, CSV or NDJSON,
 * and report progress (zmap-style status line) and a summary on stderr. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "cli.h"
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

enum sweep_format { FMT_TEXT, FMT_CSV, FMT_NDJSON };

struct sweep_conf {
    struct icr_sweep_opts opts;
    unsigned target_flags;
    bool seed_set, shard_set, shards_set, quiet;
    enum sweep_format format;
    const char *output;
    /* The entries, in argv order; they point into argv. */
    const char **targets, **files, **excludes, **exclude_files;
    size_t n_targets, n_files, n_excludes, n_exclude_files;
};

/* What the result callback writes to; also remembers whether the status
 * line is on screen, so a result printed to the same terminal erases it. */
struct sweep_out {
    FILE *f;
    enum sweep_format format;
    bool all_replies;
    bool status_shown, clear_status;
    uint64_t lines;
    int write_errno; /* the first write error (EPIPE: the reader went away) */
};

static int bad_value(const char *opt, const char *val, const char *range) {
    cli_error("sweep", "invalid value '%s' for %s (expected %s)", val, opt, range);
    return -1;
}

static int parse_args(int argc, char **argv, struct sweep_conf *c) {
    enum {
        OPT_EXCLUDE = 256, OPT_EXCLUDE_FILE, OPT_KEEP_NETBCAST, OPT_INTERVAL, OPT_COOLDOWN,
        OPT_SEED, OPT_SHARDS, OPT_SHARD, OPT_TTL, OPT_TCLASS, OPT_SIZE, OPT_BATCH, OPT_SENDERS, OPT_PRIV,
        OPT_UNPRIV, OPT_SINGLE_RECV, OPT_ALL_REPLIES, OPT_FORMAT, OPT_NO_URING,
    };
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {"rate", required_argument, NULL, 'r'},
        {"count", required_argument, NULL, 'c'},
        {"exclude", required_argument, NULL, OPT_EXCLUDE},
        {"exclude-file", required_argument, NULL, OPT_EXCLUDE_FILE},
        {"keep-netbcast", no_argument, NULL, OPT_KEEP_NETBCAST},
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

    optind = 1;
    opterr = 0;
    /* Leading ':' so a missing value is told apart from an unknown option;
     * no '+': options may follow the targets (`sweep 198.18.0.0/24 -q`). */
    while ((o = getopt_long(argc, argv, ":f:r:c:o:I:46qhV", longopts, NULL)) != -1) {
        switch (o) {
        case 'f': c->files[c->n_files++] = optarg; break;
        case OPT_EXCLUDE: c->excludes[c->n_excludes++] = optarg; break;
        case OPT_EXCLUDE_FILE: c->exclude_files[c->n_exclude_files++] = optarg; break;
        case OPT_KEEP_NETBCAST: c->target_flags |= ICR_TARGETS_KEEP_NETBCAST; break;
        case '4':
            c->target_flags = (c->target_flags & ~ICR_TARGETS_ONLY_V6) | ICR_TARGETS_ONLY_V4;
            break;
        case '6':
            c->target_flags = (c->target_flags & ~ICR_TARGETS_ONLY_V4) | ICR_TARGETS_ONLY_V6;
            break;
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
        case OPT_PRIV: so->privilege = ICR_PRIVILEGED; break;
        case OPT_UNPRIV: so->privilege = ICR_UNPRIVILEGED; break;
        case OPT_SINGLE_RECV: so->flags |= ICR_SWEEP_SINGLE_RECV; break;
        case OPT_NO_URING: so->flags |= ICR_SWEEP_NO_URING; break;
        case OPT_SENDERS:
            if (cli_parse_u64(optarg, 0, 2, &v) < 0)
                return bad_value("--senders", optarg, "0-2");
            so->senders = (uint32_t)v;
            break;
        case OPT_ALL_REPLIES: so->flags |= ICR_SWEEP_ALL_REPLIES; break;
        case OPT_FORMAT:
            if (!strcmp(optarg, "text"))
                c->format = FMT_TEXT;
            else if (!strcmp(optarg, "csv"))
                c->format = FMT_CSV;
            else if (!strcmp(optarg, "ndjson"))
                c->format = FMT_NDJSON;
            else
                return bad_value("--format", optarg, "text, csv or ndjson");
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
        case 'h': fputs(sweep_help, stdout); return 1;
        case 'V': printf("icmpring sweep %s\n", icr_version()); return 1;
        case ':':
            cli_error("sweep", "option '%s' needs a value (see --help)", argv[optind - 1]);
            return -1;
        default:
            if (optopt)
                cli_error("sweep", "unknown option -%c (see --help)", optopt);
            else
                cli_error("sweep", "unknown option '%s' (see --help)", argv[optind - 1]);
            return -1;
        }
    }
    for (int i = optind; i < argc; i++)
        c->targets[c->n_targets++] = argv[i];

    if (c->shard_set && !c->shards_set) {
        cli_error("sweep", "--shard needs --shards (see --help)");
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
    if (c->n_targets == 0 && c->n_files == 0) {
        cli_error("sweep", "no targets given (see --help)");
        return -1;
    }
    return 0;
}

/* Report a failed target entry; returns the exit code. */
static int target_error(const char *where, const char *entry, int r) {
    if (r == ICR_ENAMELOOKUP)
        cli_error("sweep", "%scannot resolve '%s': %s", where, entry, icr_strerror(r));
    else if (r == ICR_EINVAL)
        cli_error("sweep", "%sinvalid target '%s': not an address, CIDR (host bits zero), "
                  "range FIRST-LAST or host name, or too many addresses", where, entry);
    else
        cli_error("sweep", "%s'%s': %s", where, entry, icr_strerror(r));
    return cli_exit_for(r);
}

/* Add (or exclude) the entries of one file; "-" is stdin. */
static int add_file(icr_targets *t, const char *path, bool exclude, unsigned flags) {
    const bool is_stdin = !strcmp(path, "-");
    FILE *f = is_stdin ? stdin : fopen(path, "r");
    size_t line = 0;
    int r;

    if (!f) {
        /* A file the system will not give us is a system error (4), like an
         * output that cannot be created; a bad line in it is a usage one. */
        cli_error("sweep", "cannot open '%s': %s", path, strerror(errno));
        return EXIT_SYSTEM;
    }
    r = icr_targets_add_file(t, f, exclude, flags, &line);
    if (!is_stdin)
        (void)fclose(f);
    if (r >= 0)
        return 0;
    const char *name = is_stdin ? "<stdin>" : path;
    if (icr_error_is(r, ICR_ESYSTEM)) {
        cli_error("sweep", "%s: %s", name, icr_strerror(r));
        return EXIT_SYSTEM;
    }
    cli_error("sweep", "%s:%zu: %s", name, line,
              r == ICR_EINVAL ? "invalid target: not an address, CIDR (host bits zero), "
                                "range FIRST-LAST or host name"
              : r == ICR_ENAMELOOKUP ? "cannot resolve the host name"
                                     : icr_strerror(r));
    return cli_exit_for(r);
}

/* Build the set from the entries; 0 or an exit code. */
static int build_targets(const struct sweep_conf *c, icr_targets *t) {
    int r;

    for (size_t i = 0; i < c->n_targets; i++)
        if ((r = icr_targets_add(t, c->targets[i], c->target_flags)) < 0)
            return target_error("", c->targets[i], r);
    for (size_t i = 0; i < c->n_files; i++)
        if ((r = add_file(t, c->files[i], false, c->target_flags)) != 0)
            return r;
    /* Exclusions hold whatever the order, so they may come last. */
    for (size_t i = 0; i < c->n_excludes; i++)
        if ((r = icr_targets_exclude(t, c->excludes[i], c->target_flags)) < 0)
            return target_error("--exclude: ", c->excludes[i], r);
    for (size_t i = 0; i < c->n_exclude_files; i++)
        if ((r = add_file(t, c->exclude_files[i], true, c->target_flags)) != 0)
            return r;
    if (icr_targets_count(t) == 0) {
        cli_error("sweep", "no targets left to sweep (every address was excluded)");
        return EXIT_USAGE;
    }
    return 0;
}

/* A JSON string.  Addresses are plain ASCII, but a zone is an interface
 * name, which may hold almost any byte: escape what JSON requires. */
static void put_json_str(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(f, "\\u%04x", ch);
        else
            fputc(ch, f);
    }
    fputc('"', f);
}

/* A CSV field, quoted (RFC 4180) only when it must be. */
static void put_csv_str(FILE *f, const char *s) {
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void on_result(const struct icr_result *r, void *userdata) {
    struct sweep_out *o = userdata;
    char target[ICR_ADDRSTRLEN], responder[ICR_ADDRSTRLEN];

    /* text lists live hosts, once each: no error replies, no repeats. */
    if (o->format == FMT_TEXT && (r->kind != ICR_RESULT_ECHO || r->duplicate))
        return;
    if (o->write_errno)
        return; /* the output failed: the end of cmd_sweep says how */
    if (!icr_addr_format(&r->target, target, sizeof(target)))
        (void)snprintf(target, sizeof(target), "?");
    if (!icr_addr_format(&r->responder, responder, sizeof(responder)))
        (void)snprintf(responder, sizeof(responder), "?");
    if (o->clear_status && o->status_shown) {
        fputs("\r\033[K", stderr);
        o->status_shown = false;
    }

    /* The 'duplicate' column exists only with --all-replies, so the default
     * header stays the fixed one that scripts match on. */
    const char *kind = r->kind == ICR_RESULT_ECHO ? "echo" : "error";
    switch (o->format) {
    case FMT_TEXT:
        fprintf(o->f, "%s\n", target);
        break;
    case FMT_CSV:
        put_csv_str(o->f, target);
        fputc(',', o->f);
        put_csv_str(o->f, responder);
        fprintf(o->f, ",%s,%d,%d,", kind, r->type, r->code);
        if (r->rtt_ns >= 0)
            fprintf(o->f, "%.3f", (double)r->rtt_ns / 1e6);
        fputc(',', o->f);
        if (r->ttl >= 0)
            fprintf(o->f, "%d", r->ttl);
        fprintf(o->f, ",%" PRId64 ",%" PRIu32, r->sent_ns, r->probe);
        if (o->all_replies)
            fprintf(o->f, ",%d", r->duplicate ? 1 : 0);
        fputc('\n', o->f);
        break;
    case FMT_NDJSON:
        fputs("{\"target\":", o->f);
        put_json_str(o->f, target);
        fputs(",\"responder\":", o->f);
        put_json_str(o->f, responder);
        fprintf(o->f, ",\"kind\":\"%s\",\"type\":%d,\"code\":%d,\"rtt_ms\":", kind, r->type,
                r->code);
        if (r->rtt_ns >= 0)
            fprintf(o->f, "%.3f", (double)r->rtt_ns / 1e6);
        else
            fputs("null", o->f);
        if (r->ttl >= 0)
            fprintf(o->f, ",\"ttl\":%d", r->ttl);
        else
            fputs(",\"ttl\":null", o->f);
        fprintf(o->f, ",\"sent_ns\":%" PRId64 ",\"probe\":%" PRIu32, r->sent_ns, r->probe);
        if (o->all_replies)
            fprintf(o->f, ",\"duplicate\":%s", r->duplicate ? "true" : "false");
        fputs("}\n", o->f);
        break;
    }
    /* Line buffered: the line went out (or failed) with its '\n'. */
    if (ferror(o->f)) {
        o->write_errno = errno ? errno : EIO;
        return;
    }
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
    fprintf(stderr,
            "\r%s %3.0f%% (%s); send: %" PRIu64 " %s; recv: %" PRIu64 " %s; drops: %" PRIu64
            "; hitrate: %.2f%%\033[K",
            fmt_duration(el, sizeof(el), elapsed), pct, eta, st->sent,
            fmt_rate(sr, sizeof(sr), send_pps), recv, fmt_rate(rr, sizeof(rr), recv_pps),
            st->kernel_drops + st->send_errors, hitrate);
    fflush(stderr);
    o->status_shown = true;
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

/* Open the sweep, with a hint for the usual system failures. */
static int open_sweep(icr_targets *t, const struct icr_sweep_opts *so, icr_sweep **ret) {
    int r = icr_sweep_new(t, so, ret);
    if (r >= 0)
        return 0;
    if (r == ICR_ESOCKPERM)
        cli_error("sweep", "cannot open ICMP sockets: %s (raw sockets need CAP_NET_RAW, "
                  "datagram ones a gid in net.ipv4.ping_group_range)", icr_strerror(r));
    else if (r == -ENOSYS || r == -EPERM)
        cli_error("sweep", "io_uring is unavailable: %s (see kernel.io_uring_disabled)",
                  icr_strerror(r));
    else
        cli_error("sweep", "cannot start the sweep: %s", icr_strerror(r));
    return r == ICR_EINVAL ? EXIT_USAGE : r == ICR_ENOMEM ? EXIT_SYSTEM : cli_exit_for(r);
}

int cmd_sweep(int argc, char **argv) {
    struct sweep_conf c = {.opts = ICR_SWEEP_OPTS_INIT, .format = FMT_TEXT};
    struct sweep_out out = {0};
    struct icr_sweep_stats st = {.size = sizeof(st)}, prev = {.size = sizeof(prev)};
    icr_targets *targets = NULL;
    icr_sweep *s = NULL;
    bool stopped = false, abandoned = false, gone = false;
    int exit_code = EXIT_SYSTEM, r;

    /* Each list can hold at most every argument. */
    const size_t n = (size_t)argc + 1;
    c.targets = calloc(n, sizeof(char *));
    c.files = calloc(n, sizeof(char *));
    c.excludes = calloc(n, sizeof(char *));
    c.exclude_files = calloc(n, sizeof(char *));
    if (!c.targets || !c.files || !c.excludes || !c.exclude_files) {
        cli_error("sweep", "%s", icr_strerror(ICR_ENOMEM));
        goto out;
    }

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

    if ((r = icr_targets_new(&targets)) < 0) {
        cli_error("sweep", "%s", icr_strerror(r));
        goto out;
    }
    if ((exit_code = build_targets(&c, targets)) != 0)
        goto out;

    if (c.output && strcmp(c.output, "-") != 0) {
        out.f = fopen(c.output, "w");
        if (!out.f) {
            cli_error("sweep", "cannot open '%s' for writing: %s", c.output, strerror(errno));
            exit_code = EXIT_SYSTEM;
            goto out;
        }
    } else {
        out.f = stdout;
    }
    /* Line buffered: a consumer (a pipe, tail -f) sees each host as found. */
    (void)setvbuf(out.f, NULL, _IOLBF, 0);
    out.format = c.format;
    out.all_replies = (c.opts.flags & ICR_SWEEP_ALL_REPLIES) != 0;

    /* A status line only makes sense on a terminal; in a log it would be a
     * stream of \r-joined lines.  When the results go to that terminal too,
     * each result first erases the status line so the two do not mix. */
    const bool status = !c.quiet && isatty(STDERR_FILENO);
    out.clear_status = status && isatty(fileno(out.f));

    c.opts.on_result = on_result;
    c.opts.userdata = &out;
    if ((exit_code = open_sweep(targets, &c.opts, &s)) != 0)
        goto out;

    if (c.format == FMT_CSV)
        fprintf(out.f, "target,responder,kind,type,code,rtt_ms,ttl,sent_ns,probe%s\n",
                out.all_replies ? ",duplicate" : "");

    cli_catch_signals();
    int64_t last_status = cli_now_ns();
    /* 100 ms: short enough for a prompt reaction to Ctrl-C and a status
     * line on the second, long enough not to spin; the engine wakes earlier
     * whenever it has completions or a rate token. */
    for (;;) {
        r = icr_sweep_step(s, 100 * 1000000);
        if (r == -EINTR)
            r = 1; /* a signal woke the wait: cli_stop says whether to stop */
        if (r != 1)
            break;
        if (out.write_errno == EPIPE) {
            /* The reader went away (`| head -1`): nobody will read the
             * rest, so stop sending and skip the cooldown. */
            icr_sweep_stop(s);
            gone = true;
            break;
        }
        if (cli_stop) {
            cli_stop = 0;
            if (stopped) {
                /* Second signal: give up the cooldown.  Every result the
                 * engine handed over is already written. */
                abandoned = true;
                break;
            }
            icr_sweep_stop(s);
            stopped = true;
        }
        if (status) {
            const int64_t now = cli_now_ns();
            if (now - last_status >= 1000000000) {
                (void)icr_sweep_get_stats(s, &st);
                print_status(&c.opts, &st, &prev, (double)(now - last_status) / 1e9, &out);
                prev = st;
                last_status = now;
            }
        }
    }
    (void)icr_sweep_get_stats(s, &st);
    if (out.status_shown)
        fputs("\r\033[K", stderr);

    if (!gone && !out.write_errno && fflush(out.f) != 0)
        out.write_errno = errno ? errno : EIO;
    if (out.write_errno == EPIPE)
        gone = true;
    if (gone) {
        /* The reader went away: not an error of ours.  What it read is all
         * it wanted; the exit code says whether every target answered
         * before the stop (fping's 0/1), the summary says how far we got. */
        exit_code = st.hits >= st.targets ? EXIT_ALIVE : EXIT_DEAD;
    } else if (out.write_errno) {
        /* A full disk must not pass for "these are all the live hosts":
         * a lost line is a system error. */
        cli_error("sweep", "cannot write the results to '%s': %s",
                  out.f == stdout ? "<stdout>" : c.output, strerror(out.write_errno));
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
    if (out.f && out.f != stdout && fclose(out.f) != 0 && exit_code != EXIT_SYSTEM && !gone) {
        cli_error("sweep", "cannot write the results to '%s': %s", c.output, strerror(errno));
        exit_code = EXIT_SYSTEM;
    }
    free(c.targets);
    free(c.files);
    free(c.excludes);
    free(c.exclude_files);
    return exit_code;
}
