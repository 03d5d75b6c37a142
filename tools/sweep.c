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
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "cli-parse.h"
#include "icmpring.h"
#include "scale.h"

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
    "  --transport T      how probes leave: packet (Ethernet frames on AF_PACKET to\n"
    "                     the kernel's next hop), raw (raw IP sockets), dgram (ICMP\n"
    "                     datagram sockets) or auto (default: packet if permitted,\n"
    "                     else dgram; targets packet cannot reach go raw)\n"
    "  --receive R        where replies come in with the packet transport: ring (a\n"
    "                     TPACKET_V3 ring), socket (the ICMP sockets) or auto\n"
    "                     (default: the ring from 50,000 probes on)\n"
    "  --single-recv      one-shot receives on the ICMP sockets (for tests)\n"
    "  --no-uring         sendmmsg/recvmmsg instead of io_uring (automatic where\n"
    "                     io_uring is refused, e.g. by a container's seccomp profile)\n"
    "  --all-replies      report every reply, duplicates too (csv/ndjson get a\n"
    "                     'duplicate' field)\n"
    ; /* split: C99 guarantees string literals of 4095 bytes only */
static const char sweep_help_output[] =
    "Output:\n"
    "  -o FILE            write results to FILE (default: standard output)\n"
    "  --format FORMAT    text: the live addresses, one a line (default)\n"
    "                     csv: target,responder,kind,type,code,rtt_ms,ttl,sent_ns,probe\n"
    "                     ndjson: one JSON object a line with the same fields;\n"
    "                     csv and ndjson include ICMP error replies (kind error)\n"
    CLI_SCALE_HELP
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
    struct cli_scale sc;  /* --resume, --checkpoint-interval, --summary-json */
};

/* What the result callback writes to; also remembers whether the status
 * line is on screen, so a result printed to the same terminal erases it. */
struct sweep_out {
    struct cli_out w;
    enum cli_format format;
    bool all_replies;
    uint64_t lines;
    /* A resumed sweep: what the output holds already, by target index
     * (mmap'ed bitmaps), so a probe sent again writes nothing twice. */
    icr_targets *targets;
    uint64_t *had_target; /* n bits: a live line names the target; or NULL */
    uint64_t *had_probe;  /* csv/ndjson, count > 1: n * count bits, (target, probe) */
    uint64_t *had_error;  /* n bits: an error line names the target */
    size_t target_bytes, probe_bytes, error_bytes;
    uint32_t count;
    uint64_t skipped;     /* results the output held already */
    uint64_t base_hits;   /* distinct live targets in the output before this run */
    uint64_t base_lines;
    uint64_t new_hits;    /* live targets this run wrote */
};

static int bad_value(const char *opt, const char *val, const char *range) {
    return cli_bad_value("sweep", opt, val, range);
}

static int parse_args(int argc, char **argv, struct sweep_conf *c) {
    enum {
        OPT_INTERVAL = 256, OPT_COOLDOWN,
        OPT_SEED, OPT_SHARDS, OPT_SHARD, OPT_TTL, OPT_TCLASS, OPT_SIZE, OPT_BATCH, OPT_SENDERS, OPT_PRIV,
        OPT_UNPRIV, OPT_SINGLE_RECV, OPT_ALL_REPLIES, OPT_FORMAT, OPT_NO_URING, OPT_TRANSPORT,
        OPT_RECEIVE,
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
        {"transport", required_argument, NULL, OPT_TRANSPORT},
        {"receive", required_argument, NULL, OPT_RECEIVE},
        {"all-replies", no_argument, NULL, OPT_ALL_REPLIES},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"output", required_argument, NULL, 'o'},
        CLI_RESUME_LONGOPTS,
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
        case OPT_RECEIVE:
            if (cli_parse_receive("sweep", optarg, &so->flags) < 0)
                return -1;
            break;
        case OPT_NO_URING: so->flags |= ICR_SWEEP_NO_URING; break;
        case OPT_TRANSPORT:
            if (cli_parse_transport("sweep", optarg, &so->transport) < 0)
                return -1;
            break;
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
        case 'h': return cli_help2(sweep_help, sweep_help_output);
        case 'V': return cli_version("sweep");
        default: {
            int k = cli_scale_option(&c->sc, o, optarg);
            if (k < 0)
                return -1;
            if (k == 0)
                return cli_getopt_error("sweep", o, argv);
            break;
        }
        }
    }
    cli_targets_operands(&c->ta, argc, argv);
    if (cli_scale_check(&c->sc, false, c->output) < 0)
        return -1;
    if (c->sc.resume && (so->flags & ICR_SWEEP_ALL_REPLIES)) {
        cli_error("sweep", "--resume cannot be used with --all-replies (a reply to a probe sent "
                  "again could not be told from a repeat)");
        return -1;
    }
    if (cli_check_transport("sweep", so->transport, so->privilege) < 0)
        return -1;

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

/* Bitmaps over target indexes (or (target, probe) keys). */
static bool test_bit(const uint64_t *m, uint64_t i) { return (m[i >> 6] >> (i & 63)) & 1; }
/* Set bit i; whether it was set already. */
static bool set_bit(uint64_t *m, uint64_t i) {
    const bool was = test_bit(m, i);
    m[i >> 6] |= (uint64_t)1 << (i & 63);
    return was;
}

static void on_result(const struct icr_result *r, void *userdata) {
    struct sweep_out *o = userdata;
    char target[ICR_ADDRSTRLEN], responder[ICR_ADDRSTRLEN];

    /* text lists live hosts, once each: no error replies, no repeats. */
    if (o->format == CLI_FMT_TEXT && (r->kind != ICR_RESULT_ECHO || r->duplicate))
        return;
    /* Resumed: a probe sent again by this run whose answer the output
     * holds from the run before.  Text with --count above 1: the answer to
     * a later probe of a target already written (the library reports each
     * probe's first reply as news when it can tell probes apart). */
    if (o->had_target && !r->duplicate) {
        if (r->kind == ICR_RESULT_ECHO) {
            const bool known = test_bit(o->had_target, r->index);
            if (o->had_probe ? set_bit(o->had_probe, r->index * o->count + r->probe) : known) {
                o->skipped++;
                return;
            }
            if (!known) {
                (void)set_bit(o->had_target, r->index);
                o->new_hits++;
            }
        } else if (o->had_error && set_bit(o->had_error, r->index)) {
            o->skipped++;
            return;
        }
    }
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
    /* eta holds a duration of d[32] and " left" (gcc -O3's
     * -Wformat-truncation counted 37 bytes into 32). */
    char el[32], eta[32 + sizeof(" left")], sr[32], rr[32];
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
    fprintf(stderr, "transport %s, %" PRIu64 " probes as link-layer frames\n",
            cli_transport_name(st->transport), st->link_sent);
    fprintf(stderr,
            "elapsed %.3f s, send rate %.0f pps, %" PRIu32 " sender%s, receive path %s, backend %s, seed %" PRIu64
            " shard %" PRIu32 "/%" PRIu32 "\n",
            elapsed, send_s > 0 ? (double)st->sent / send_s : 0.0, st->senders,
            st->senders == 1 ? "" : "s",
            cli_receive_path(st),
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

/* ---- resume ------------------------------------------------------------ */

/* The target a line of our own output names (text: the line; csv: the
 * first field; ndjson: "target"), whether it is an error line, and its
 * probe number (csv: the last field; ndjson: "probe"; text: 0). */
static bool line_target(const char *line, enum cli_format fmt, char *buf, size_t len,
                        bool *ret_error, uint32_t *ret_probe) {
    const char *p = line, *end;
    *ret_error = false;
    *ret_probe = 0;
    if (fmt == CLI_FMT_CSV) {
        const char *c = strrchr(line, ',');
        *ret_probe = c ? (uint32_t)strtoul(c + 1, NULL, 10) : 0;
    } else if (fmt == CLI_FMT_NDJSON) {
        const char *c = strstr(line, "\"probe\":");
        *ret_probe = c ? (uint32_t)strtoul(c + 8, NULL, 10) : 0;
    }
    if (fmt == CLI_FMT_TEXT) {
        end = p + strcspn(p, "\n");
    } else if (fmt == CLI_FMT_CSV) {
        if (*p == '"')
            p++;
        end = p + strcspn(p, "\",\n");
        *ret_error = strstr(end, ",error,") != NULL;
    } else {
        if (strncmp(p, "{\"target\":\"", 11) != 0)
            return false;
        p += 11;
        end = strchr(p, '"');
        if (!end)
            return false;
        *ret_error = strstr(end, "\"kind\":\"error\"") != NULL;
    }
    size_t n = (size_t)(end - p);
    if (n == 0 || n >= len)
        return false;
    memcpy(buf, p, n);
    buf[n] = 0;
    return true;
}

static uint64_t *map_bits(uint64_t n, size_t *ret_bytes) {
    size_t bytes = (size_t)((n + 63) / 64) * 8;
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    *ret_bytes = bytes;
    return p == MAP_FAILED ? NULL : p;
}

/* Read what the output of the earlier runs holds (after its last whole
 * line): which targets are written already, how many live ones. */
static int load_written(struct sweep_out *o, const char *path) {
    uint64_t n = icr_targets_count(o->targets);
    o->had_target = map_bits(n, &o->target_bytes);
    o->had_error = map_bits(n, &o->error_bytes);
    if (o->format != CLI_FMT_TEXT && o->count > 1)
        o->had_probe = map_bits(n * o->count, &o->probe_bytes);
    if (!o->had_target || !o->had_error || (o->format != CLI_FMT_TEXT && o->count > 1 &&
                                            !o->had_probe)) {
        cli_error("sweep", "%s", icr_strerror(ICR_ENOMEM));
        return EXIT_SYSTEM;
    }
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char *line = NULL, addr[ICR_ADDRSTRLEN];
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) > 0) {
        bool err;
        struct icr_addr a;
        uint64_t i;
        uint32_t probe;
        if (line[len - 1] != '\n')
            break; /* cut by the kill: cli_resume_output drops it */
        if (!line_target(line, o->format, addr, sizeof(addr), &err, &probe) ||
            icr_addr_parse(addr, &a) < 0 || icr_targets_index(o->targets, &a, &i) < 0)
            continue; /* the csv header */
        o->base_lines++;
        if (err) {
            (void)set_bit(o->had_error, i);
            continue;
        }
        if (o->had_probe && probe < o->count)
            (void)set_bit(o->had_probe, i * o->count + probe);
        if (!set_bit(o->had_target, i))
            o->base_hits++;
    }
    free(line);
    fclose(f);
    return 0;
}

/* Positions sampled as the sweep goes, so a checkpoint can name one that
 * every reply has had `cooldown` seconds to come back for. */
struct sample {
    int64_t t;
    uint64_t pos, sent;
};

struct sweep_resume {
    icr_sweep *s;
    struct sweep_out *out;
    const char *path;
    struct cli_ckpt ck;       /* identity; counts set on save */
    uint64_t per_pass;        /* targets of the shard */
    uint64_t base_pos, base_sent;
    struct sample *ring;
    size_t cap, head, len;
    int64_t t0, last_sample, last_save, lag_ns, sample_ns, interval_ns;
};

static void take_sample(struct sweep_resume *rs, int64_t now) {
    struct icr_sweep_stats st = {.size = sizeof(st)};
    uint64_t pos = rs->base_pos;
    (void)icr_sweep_get_stats(rs->s, &st);
    (void)icr_sweep_get_position(rs->s, &pos);
    rs->ring[rs->head] = (struct sample){.t = now, .pos = pos, .sent = rs->base_sent + st.sent};
    rs->head = (rs->head + 1) % rs->cap;
    if (rs->len < rs->cap)
        rs->len++;
    rs->last_sample = now;
}

/* The newest sample at least lag_ns old: its position is safe. */
static struct sample safe_sample(const struct sweep_resume *rs, int64_t now) {
    struct sample best = {.pos = rs->base_pos, .sent = rs->base_sent};
    for (size_t k = 0; k < rs->len; k++) {
        const struct sample *x = &rs->ring[(rs->head + rs->cap - 1 - k) % rs->cap];
        if (now - x->t >= rs->lag_ns)
            return *x;
    }
    return best;
}

static int save_sweep_ckpt(struct sweep_resume *rs, struct sample at, bool done) {
    int64_t bytes = cli_output_sync(rs->out->w.f);
    if (bytes < 0)
        return -EIO;
    rs->ck.position = at.pos;
    rs->ck.pass = rs->per_pass ? at.pos / rs->per_pass : 0;
    rs->ck.sent = at.sent;
    rs->ck.output_bytes = (uint64_t)bytes;
    rs->ck.hits = rs->out->base_hits;  /* recounted from the output on resume */
    rs->ck.records = rs->out->base_lines + rs->out->lines;
    rs->ck.done = done;
    int64_t now = cli_now_ns();
    double el = rs->ck.elapsed;
    rs->ck.elapsed += (double)(now - rs->t0) / 1e9;
    int r = cli_ckpt_save(rs->path, &rs->ck);
    rs->ck.elapsed = el;
    rs->last_save = now;
    return r;
}


/* Open the sweep, with a hint for the usual system failures; then, its
 * sockets open, drop every privilege before the first packet is parsed. */
static int open_sweep(icr_targets *t, const struct icr_sweep_opts *so, icr_sweep **ret) {
    int r = icr_sweep_new(t, so, ret);
    if (r < 0)
        return cli_start_error_t("sweep", r, "cannot start the sweep", NULL, NULL, so->privilege,
                                 so->transport);
    return cli_privileges_dropped("sweep");
}

/* The status line's state: the stats of the last one give the rates. */
struct sweep_status {
    icr_sweep *s;
    const struct icr_sweep_opts *so;
    struct sweep_out *out;
    struct icr_sweep_stats prev;
};

/* What the step loop's callbacks share. */
struct sweep_run {
    struct sweep_status ss;
    struct sweep_resume rs;
};

static void on_status(void *userdata, double elapsed, double dt) {
    struct sweep_status *x = &((struct sweep_run *)userdata)->ss;
    struct icr_sweep_stats st = {.size = sizeof(st)};
    (void)icr_sweep_get_stats(x->s, &st);
    print_status(x->so, &st, &x->prev, dt, x->out);
    x->prev = st;
}

static void sweep_after_step(void *userdata) {
    struct sweep_resume *rs = &((struct sweep_run *)userdata)->rs;
    if (!rs->path)
        return;
    int64_t now = cli_now_ns();
    if (now - rs->last_sample >= rs->sample_ns)
        take_sample(rs, now);
    if (now - rs->last_save >= rs->interval_ns)
        (void)save_sweep_ckpt(rs, safe_sample(rs, now), false);
}

static int sweep_step(void *s, int64_t timeout_ns) { return icr_sweep_step(s, timeout_ns); }
static void sweep_stop(void *s) { icr_sweep_stop(s); }

/* Live targets over every run: what the output names (counted here when
 * this run keeps the bitmaps), else the sweep's own count. */
static uint64_t hits_total(const struct sweep_out *o, const struct icr_sweep_stats *st) {
    return o->had_target ? o->base_hits + o->new_hits : st->hits;
}

int cli_sweep_parse_only(int argc, char **argv) {
    struct sweep_conf c = {.opts = ICR_SWEEP_OPTS_INIT, .format = CLI_FMT_TEXT};
    int r = -1;
    cli_scale_init(&c.sc, "sweep");
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
    struct sweep_run run = {0};
    FILE *f = stdout;      /* the output */
    bool fresh = true, complete_before = false;
    struct cli_ckpt saved; /* what --resume continues */
    struct sweep_resume *rs = &run.rs;

    cli_scale_init(&c.sc, "sweep");
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

    /* This run's identity, for --resume and --summary-json. */
    const uint64_t ntargets = icr_targets_count(targets);
    const uint64_t shard_n =
        ntargets / c.opts.shards + (c.opts.shard < ntargets % c.opts.shards ? 1 : 0);
    const int64_t t_start = cli_now_ns();
    struct cli_ckpt *ck = &rs->ck;
    cli_ckpt_start(ck, "sweep", cli_hash_targets(targets), ntargets, c.opts.seed,
                   c.opts.shards, c.opts.shard);
    cli_opts_add(ck->opts, sizeof(ck->opts), "count", "%" PRIu32, c.opts.count);
    cli_opts_add(ck->opts, sizeof(ck->opts), "format", "%s", cli_format_name((int)c.format));
    out.format = c.format;
    out.targets = targets;
    out.count = c.opts.count;

    /* A resumed output keeps every whole line (results that came after the
     * checkpoint too); what it holds is not written again. */
    if ((exit_code = cli_resume_begin(&c.sc, c.seed_set, c.output, true, ck, &saved, &f,
                                      &fresh)) != 0)
        goto out;
    if (!fresh) {
        complete_before = saved.done;
        c.opts.seed = ck->seed;
        rs->base_pos = saved.position;
        rs->base_sent = saved.sent;
        if ((exit_code = load_written(&out, c.output)) != 0)
            goto out;
    }
    cli_out_start(&out.w, f, c.quiet);
    out.all_replies = (c.opts.flags & ICR_SWEEP_ALL_REPLIES) != 0;
    /* text names each live target once, whatever --count says. */
    if (!out.had_target && c.format == CLI_FMT_TEXT && c.opts.count != 1 &&
        !(out.had_target = map_bits(ntargets, &out.target_bytes))) {
        cli_error("sweep", "%s", icr_strerror(ICR_ENOMEM));
        goto out;
    }
    if (complete_before) {
        exit_code = out.base_hits >= shard_n ? EXIT_ALIVE : EXIT_DEAD;
        st.targets = shard_n;
        goto finish; /* the checkpoint says this shard is complete */
    }

    c.opts.on_result = on_result;
    c.opts.userdata = &out;
    c.opts.start_position = rs->base_pos;
    if ((exit_code = open_sweep(targets, &c.opts, &s)) != 0)
        goto out;

    if (c.format == CLI_FMT_CSV && fresh)
        fprintf(out.w.f, "target,responder,kind,type,code,rtt_ms,ttl,sent_ns,probe%s\n",
                out.all_replies ? ",duplicate" : "");
    if (c.sc.resume) {
        rs->s = s;
        rs->out = &out;
        rs->path = c.sc.resume;
        rs->per_pass = shard_n;
        rs->t0 = rs->last_save = rs->last_sample = t_start;
        /* A checkpoint names a position every reply has had the cooldown
         * (plus a margin for the loop's 100 ms wake-ups) to come back for. */
        rs->lag_ns = (int64_t)((c.opts.cooldown + 0.2) * 1e9);
        rs->sample_ns = 100000000;
        rs->interval_ns = (int64_t)(c.sc.ckpt_interval * 1e9);
        rs->cap = (size_t)((c.opts.cooldown + 0.2) * 10) + 16;
        if (!(rs->ring = calloc(rs->cap, sizeof(*rs->ring)))) {
            cli_error("sweep", "%s", icr_strerror(ICR_ENOMEM));
            goto out;
        }
        take_sample(rs, t_start);
        if (save_sweep_ckpt(rs, safe_sample(rs, t_start), false) < 0) {
            cli_error("sweep", "cannot write the checkpoint '%s': %s", rs->path, strerror(errno));
            exit_code = EXIT_SYSTEM;
            goto out;
        }
    }

    /* EPIPE stops the sending and skips the cooldown (gone); a second
     * signal gives up the cooldown (abandoned). */
    run.ss = (struct sweep_status){.s = s, .so = &c.opts, .out = &out,
                                   .prev = {.size = sizeof(struct icr_sweep_stats)}};
    const struct cli_job job = {.job = s, .step = sweep_step, .stop = sweep_stop,
                                .after_step = sweep_after_step, .status = on_status,
                                .userdata = &run};
    enum cli_end end;
    r = cli_run(&job, &out.w, &stopped, &end);
    gone = end == CLI_END_GONE;
    abandoned = end == CLI_END_ABANDONED;
    (void)icr_sweep_get_stats(s, &st);
    if (rs->path) {
        /* The cooldown ran to its end (done, or one Ctrl-C): every probe
         * handed out has had its replies, so the position now is safe.
         * Cut short (a second signal, EPIPE, a failure): the sampled one. */
        int64_t now = cli_now_ns();
        struct sample at = safe_sample(rs, now);
        const bool full_wait = !abandoned && !gone && (r == 0 || r == ICR_ESTOPPED);
        if (full_wait) {
            at.sent = rs->base_sent + st.sent;
            (void)icr_sweep_get_position(s, &at.pos);
        }
        if (save_sweep_ckpt(rs, at, full_wait && r == 0 && !out.w.write_errno) < 0)
            cli_error("sweep", "cannot write the checkpoint '%s': %s", rs->path, strerror(errno));
    }
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
        /* fping's convention: 0 only if every target (of this shard) answered
         * (over every run of a resumed sweep). */
        exit_code = hits_total(&out, &st) >= shard_n ? EXIT_ALIVE : EXIT_DEAD;
    }
    if (!c.quiet) {
        print_summary(&c, &st, exit_code == EXIT_INTERRUPTED, abandoned, gone);
        if (ck->runs > 1)
            fprintf(stderr, "resumed at position %" PRIu64 " (run %" PRIu32 "): %" PRIu64
                    " results were in the output already; %" PRIu64 " of %" PRIu64
                    " targets alive over all runs\n", rs->base_pos, ck->runs, out.skipped,
                    hits_total(&out, &st), shard_n);
    }
    cli_report_drops("sweep", &st);
finish:
    if (c.sc.summary) {
        const struct cli_summary sum = {
            .kind = "sweep", .seed = c.opts.seed, .shards = c.opts.shards,
            .shard = c.opts.shard, .targets_hash = ck->targets_hash, .targets = ntargets,
            .shard_targets = shard_n, .format = cli_format_name((int)c.format), .opts = ck->opts,
            .output = f == stdout ? NULL : c.output, .sent = rs->base_sent + st.sent,
            .hits = hits_total(&out, &st), .records = out.base_lines + out.lines,
            .elapsed = ck->elapsed + (double)(cli_now_ns() - t_start) / 1e9,
            /* Every probe sent and its cooldown waited: not stopped, not
             * cut by a gone reader, a failed write or a failed job. */
            .complete = complete_before || (s && !stopped && !abandoned && !gone &&
                                            r == 0 && !out.w.write_errno),
            .runs = ck->runs};
        int sr = cli_summary_write("sweep", c.sc.summary, &sum);
        if (sr && exit_code != EXIT_INTERRUPTED)
            exit_code = sr;
    }

out:
    s = icr_sweep_free(s);
    free(rs->ring);
    if (out.had_target)
        munmap(out.had_target, out.target_bytes);
    if (out.had_probe)
        munmap(out.had_probe, out.probe_bytes);
    if (out.had_error)
        munmap(out.had_error, out.error_bytes);
    targets = icr_targets_free(targets);
    if (out.w.f && out.w.f != stdout && fclose(out.w.f) != 0 && exit_code != EXIT_SYSTEM && !gone) {
        cli_error("sweep", "cannot write the results to '%s': %s", c.output, strerror(errno));
        exit_code = EXIT_SYSTEM;
    }
    cli_targets_free(&c.ta);
    return exit_code;
}
