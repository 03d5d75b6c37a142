/* traceroute.c - `icmpring traceroute TARGETS...`: icmplib's traceroute()
 * on one io_uring job for any number of destinations, printed like
 * traceroute(8) (or as CSV / NDJSON, one record per hop). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "icmpring.h"

static const char traceroute_help[] =
    "Usage: icmpring traceroute [OPTIONS] TARGETS...\n"
    "Trace the route to every TARGET at once (icmplib's traceroute on one job:\n"
    "every TTL in flight together) and print each route as soon as it is known.\n"
    "A TARGET is an address, a CIDR, a range FIRST-LAST or a host name, as for\n"
    "'icmpring sweep'.\n\n"
    "                     icmpring            icmplib          traceroute(8)\n"
    "  -f FILE            targets from FILE, one a line, '#' comments ('-' = stdin)\n"
    "  -c, --count N      probes per hop      count (2)        -q (3), 1-255\n"
    "  -i, --interval S   between probes      interval (0.05)  -z, seconds\n"
    "                     to one hop\n"
    "  -W, --timeout S    wait after the      timeout (2)      -w\n"
    "                     last probe\n"
    "  --first-hop N      first TTL           first_hop (1)    -f\n"
    "  --max-hops N       last TTL, <= 255    max_hops (30)    -m\n"
    "  --fast             no more probes to   fast (False)     -\n"
    "                     a hop that answered\n"
    "  --rate PPS         probes per second,  -                -\n"
    "                     0 = unlimited (0)\n"
    "  -s, --size BYTES   payload, 34-1400    payload_size(56) packetlen\n"
    "  -Q, --tclass TC    DS / traffic class  traffic_class    -t\n"
    "  -I, --source ADDR  source address      source           -s\n"
    "  -4, -6             names: IPv4 / IPv6  family           -4, -6\n"
    "  --privileged       raw sockets only    privileged=True  -\n"
    "  --unprivileged     datagram sockets    privileged=False -\n"
    "                     (default: raw if permitted, else datagram)\n"
    "  --no-uring         sendmmsg/recvmmsg instead of io_uring (automatic where\n"
    "                     io_uring is refused)\n"
    "  --seed S           order of the (destination, TTL) probes, 1-2^64-1\n"
    "  --format FORMAT    text (default), csv (with a header line) or ndjson: one\n"
    "                     record per answered hop with target, distance and\n"
    "                     icmplib's Hop properties (address, min_rtt, avg_rtt,\n"
    "                     max_rtt, rtts, packets_sent, packets_received,\n"
    "                     packet_loss, jitter, is_alive) and error\n"
    "  -q                 no status line\n"
    "  -h, --help         this help;  -V, --version  the version\n\n"
    "Text: 'traceroute to TARGET', then ' N  ADDRESS  RTT ms ...' per answered hop\n"
    "(' *' for a probe without answer), ' N  *' for a silent distance before the\n"
    "last answered one, and traceroute's mark (!H !N !P !X ...) after the hop that\n"
    "ended the route with Destination Unreachable.  RTTs are in ms.\n"
    "Ctrl-C (or SIGTERM) stops sending, waits -W for replies on their way, writes\n"
    "every destination (those cut short marked '(partial)', or \"partial\": true)\n"
    "and exits 130; a second Ctrl-C skips the wait (unfinished routes are lost).\n\n"
    "Exit codes: 0 every destination was reached, 1 some was not, 2 name lookup\n"
    "            failed, 3 bad arguments, 4 system error (permission, socket,\n"
    "            io_uring, interface down), 130 interrupted\n";

enum tr_format { FMT_TEXT, FMT_CSV, FMT_NDJSON };

struct tr_conf {
    struct icr_trace_opts opts;
    enum tr_format format;
    bool quiet;
    unsigned target_flags;
    const char **targets, **files;
    size_t n_targets, n_files;
};

struct tr_out {
    const struct tr_conf *c;
    FILE *f;
    const char *name; /* the one target's name as given, or NULL */
    uint64_t ndone, nreached, blocks;
    bool stopped;
    bool status_shown, clear_status;
    int write_errno;
};

static int bad_value(const char *opt, const char *val, const char *range) {
    cli_error("traceroute", "invalid value '%s' for %s (expected %s)", val, opt, range);
    return -1;
}

static int parse_args(int argc, char **argv, struct tr_conf *c) {
    enum { OPT_RATE = 256, OPT_PRIV, OPT_UNPRIV, OPT_FORMAT, OPT_FIRST, OPT_MAX, OPT_FAST, OPT_SEED,
           OPT_NO_URING };
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {"count", required_argument, NULL, 'c'},
        {"interval", required_argument, NULL, 'i'},
        {"timeout", required_argument, NULL, 'W'},
        {"first-hop", required_argument, NULL, OPT_FIRST},
        {"max-hops", required_argument, NULL, OPT_MAX},
        {"fast", no_argument, NULL, OPT_FAST},
        {"rate", required_argument, NULL, OPT_RATE},
        {"size", required_argument, NULL, 's'},
        {"tclass", required_argument, NULL, 'Q'},
        {"source", required_argument, NULL, 'I'},
        {"privileged", no_argument, NULL, OPT_PRIV},
        {"unprivileged", no_argument, NULL, OPT_UNPRIV},
        {"no-uring", no_argument, NULL, OPT_NO_URING},
        {"seed", required_argument, NULL, OPT_SEED},
        {"format", required_argument, NULL, OPT_FORMAT},
        {0},
    };
    struct icr_trace_opts *o = &c->opts;
    uint64_t v;
    int opt;

    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":f:c:i:W:s:Q:I:46qhV", longopts, NULL)) != -1) {
        switch (opt) {
        case 'f': c->files[c->n_files++] = optarg; break;
        case 'c':
            if (cli_parse_u64(optarg, 1, 255, &v) < 0)
                return bad_value("-c", optarg, "1-255");
            o->count = (uint32_t)v;
            break;
        case 'i':
            if (cli_parse_double(optarg, 0, 3600, &o->interval) < 0)
                return bad_value("-i", optarg, "0-3600 seconds");
            break;
        case 'W':
            if (cli_parse_double(optarg, 0, 3600, &o->timeout) < 0)
                return bad_value("-W", optarg, "0-3600 seconds");
            break;
        case OPT_FIRST:
            if (cli_parse_u64(optarg, 1, 255, &v) < 0)
                return bad_value("--first-hop", optarg, "1-255");
            o->first_hop = (int)v;
            break;
        case OPT_MAX:
            if (cli_parse_u64(optarg, 1, 255, &v) < 0)
                return bad_value("--max-hops", optarg, "1-255");
            o->max_hops = (int)v;
            break;
        case OPT_FAST: o->fast = true; break;
        case OPT_RATE:
            if (cli_parse_u64(optarg, 0, 100000000, &o->rate) < 0)
                return bad_value("--rate", optarg, "0-100000000 probes per second");
            break;
        case 's':
            if (cli_parse_u64(optarg, 34, 1400, &v) < 0)
                return bad_value("-s", optarg, "34-1400 bytes: the first 34 carry the probe's MAC");
            o->payload_size = (size_t)v;
            break;
        case 'Q':
            if (cli_parse_u64(optarg, 0, 255, &v) < 0)
                return bad_value("-Q", optarg, "0-255");
            o->traffic_class = (int)v;
            break;
        case 'I': {
            struct icr_addr a;
            if (icr_addr_parse(optarg, &a) < 0)
                return bad_value("-I", optarg, "an IPv4 or IPv6 address of this host");
            o->source = optarg;
            break;
        }
        case '4':
            c->target_flags = (c->target_flags & ~ICR_TARGETS_ONLY_V6) | ICR_TARGETS_ONLY_V4;
            o->family = AF_INET;
            break;
        case '6':
            c->target_flags = (c->target_flags & ~ICR_TARGETS_ONLY_V4) | ICR_TARGETS_ONLY_V6;
            o->family = AF_INET6;
            break;
        case OPT_PRIV: o->privilege = ICR_PRIVILEGED; break;
        case OPT_UNPRIV: o->privilege = ICR_UNPRIVILEGED; break;
        case OPT_NO_URING: o->flags |= ICR_SWEEP_NO_URING; break;
        case OPT_SEED:
            if (cli_parse_u64(optarg, 1, UINT64_MAX, &o->seed) < 0)
                return bad_value("--seed", optarg, "1-18446744073709551615");
            break;
        case 'q': c->quiet = true; break;
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
        case 'h': fputs(traceroute_help, stdout); return 1;
        case 'V': printf("icmpring traceroute %s\n", icr_version()); return 1;
        case ':':
            cli_error("traceroute", "option '%s' needs a value (see --help)", argv[optind - 1]);
            return -1;
        default:
            if (optopt)
                cli_error("traceroute", "unknown option -%c (see --help)", optopt);
            else
                cli_error("traceroute", "unknown option '%s' (see --help)", argv[optind - 1]);
            return -1;
        }
    }
    for (int i = optind; i < argc; i++)
        c->targets[c->n_targets++] = argv[i];
    if (o->max_hops < o->first_hop) {
        cli_error("traceroute", "--max-hops %d is below --first-hop %d", o->max_hops,
                  o->first_hop);
        return -1;
    }
    if (c->n_targets == 0 && c->n_files == 0) {
        cli_error("traceroute", "no targets given (see --help)");
        return -1;
    }
    return 0;
}

static int target_error(const char *entry, int r) {
    if (r == ICR_ENAMELOOKUP)
        cli_error("traceroute", "cannot resolve '%s': %s", entry, icr_strerror(r));
    else if (r == ICR_EINVAL)
        cli_error("traceroute", "invalid target '%s': not an address, CIDR (host bits zero), "
                  "range FIRST-LAST or host name, or too many addresses", entry);
    else
        cli_error("traceroute", "'%s': %s", entry, icr_strerror(r));
    return cli_exit_for(r);
}

static int build_targets(const struct tr_conf *c, icr_targets *t) {
    int r;
    for (size_t i = 0; i < c->n_targets; i++)
        if ((r = icr_targets_add(t, c->targets[i], c->target_flags)) < 0)
            return target_error(c->targets[i], r);
    for (size_t i = 0; i < c->n_files; i++) {
        const bool is_stdin = !strcmp(c->files[i], "-");
        FILE *f = is_stdin ? stdin : fopen(c->files[i], "r");
        size_t line = 0;
        if (!f) {
            cli_error("traceroute", "cannot open '%s': %s", c->files[i], strerror(errno));
            return EXIT_SYSTEM;
        }
        r = icr_targets_add_file(t, f, false, c->target_flags, &line);
        if (!is_stdin)
            (void)fclose(f);
        if (r < 0) {
            const char *name = is_stdin ? "<stdin>" : c->files[i];
            if (icr_error_is(r, ICR_ESYSTEM)) {
                cli_error("traceroute", "%s: %s", name, icr_strerror(r));
                return EXIT_SYSTEM;
            }
            cli_error("traceroute", "%s:%zu: %s", name, line,
                      r == ICR_EINVAL ? "invalid target" : icr_strerror(r));
            return cli_exit_for(r);
        }
    }
    if (icr_targets_count(t) == 0) {
        cli_error("traceroute", "no targets given (see --help)");
        return EXIT_USAGE;
    }
    return 0;
}

/* ---- output ---------------------------------------------------------- */

static const char *hop_message(const struct icr_host *h, char *buf, size_t len) {
    const char *msg = icr_icmp_message(h->address.family, h->error_type, h->error_code);
    if (msg)
        return msg;
    (void)snprintf(buf, len, "Error type: %d, code: %d", h->error_type, h->error_code);
    return buf;
}

static void print_header(struct tr_out *o, const char *target, bool partial) {
    const struct tr_conf *c = o->c;
    if (o->blocks++ > 0)
        fputc('\n', o->f);
    if (o->name && strcmp(o->name, target) != 0)
        fprintf(o->f, "traceroute to %s (%s), %d hops max%s\n", o->name, target,
                c->opts.max_hops, partial ? " (partial)" : "");
    else
        fprintf(o->f, "traceroute to %s (%s), %d hops max%s\n", target, target,
                c->opts.max_hops, partial ? " (partial)" : "");
}

static void print_text(struct tr_out *o, const struct icr_trace_result *res, const char *target) {
    FILE *f = o->f;
    int next = o->c->opts.first_hop;
    /* One target: its header went out before the probes. */
    if (!(o->name && o->blocks == 1 && o->ndone == 0) || !res->complete)
        print_header(o, target, !res->complete);
    for (size_t k = 0; k < res->nhops; k++) {
        const struct icr_hop *hop = &res->hops[k];
        const struct icr_host *h = &hop->host;
        char addr[ICR_ADDRSTRLEN];
        for (; next < hop->distance; next++)
            fprintf(f, "%2d  *\n", next);
        next = hop->distance + 1;
        if (!icr_addr_format(&h->address, addr, sizeof(addr)))
            (void)snprintf(addr, sizeof(addr), "?");
        fprintf(f, "%2d  %s", hop->distance, addr);
        for (uint64_t p = 0; p < h->packets_received; p++)
            fprintf(f, "  %.3f ms", h->rtts[p]);
        for (uint64_t p = h->packets_received; p < h->packets_sent; p++)
            fputs("  *", f);
        if (h->error) {
            const char *flag = icr_hop_error_flag(h->address.family, h->error_type, h->error_code);
            if (*flag)
                fprintf(f, " %s", flag);
        }
        fputc('\n', f);
    }
}

static void print_record(struct tr_out *o, const struct icr_trace_result *res, const char *target,
                         const struct icr_hop *hop) {
    FILE *f = o->f;
    const struct icr_host *h = &hop->host;
    const bool json = o->c->format == FMT_NDJSON;
    char addr[ICR_ADDRSTRLEN], buf[64];
    if (!icr_addr_format(&h->address, addr, sizeof(addr)))
        (void)snprintf(addr, sizeof(addr), "?");
    const char *msg = h->error ? hop_message(h, buf, sizeof(buf)) : NULL;
    if (json) {
        fputs("{\"target\":", f);
        cli_json_str(f, target);
        fprintf(f, ",\"distance\":%d,\"address\":", hop->distance);
        cli_json_str(f, addr);
        fputs(",\"min_rtt\":", f);
    } else {
        cli_csv_str(f, target);
        fprintf(f, ",%d,", hop->distance);
        cli_csv_str(f, addr);
        fputc(',', f);
    }
    const char *sep = json ? "," : ",";
    cli_put_ms(f, h->min_rtt);
    fputs(json ? ",\"avg_rtt\":" : sep, f);
    cli_put_ms(f, h->avg_rtt);
    fputs(json ? ",\"max_rtt\":" : sep, f);
    cli_put_ms(f, h->max_rtt);
    fputs(json ? ",\"rtts\":[" : sep, f);
    for (uint64_t p = 0; p < h->packets_received; p++) {
        if (p)
            fputc(json ? ',' : ';', f);
        cli_put_ms(f, h->rtts[p]);
    }
    if (json)
        fprintf(f, "],\"packets_sent\":%" PRIu64 ",\"packets_received\":%" PRIu64
                ",\"packet_loss\":", h->packets_sent, h->packets_received);
    else
        fprintf(f, ",%" PRIu64 ",%" PRIu64 ",", h->packets_sent, h->packets_received);
    cli_put_ms(f, h->packet_loss);
    fputs(json ? ",\"jitter\":" : sep, f);
    cli_put_ms(f, h->jitter);
    if (json) {
        fprintf(f, ",\"is_alive\":%s", h->is_alive ? "true" : "false");
        if (msg) {
            fputs(",\"error\":", f);
            cli_json_str(f, msg);
        }
        if (!res->complete)
            fputs(",\"partial\":true", f);
        fputs("}\n", f);
    } else {
        fprintf(f, ",%s,", h->is_alive ? "true" : "false");
        if (msg)
            cli_csv_str(f, msg);
        fprintf(f, ",%s\n", res->complete ? "false" : "true");
    }
}

static void on_trace(const struct icr_trace_result *res, void *userdata) {
    struct tr_out *o = userdata;
    char target[ICR_ADDRSTRLEN];
    if (!icr_addr_format(&res->target, target, sizeof(target)))
        (void)snprintf(target, sizeof(target), "?");
    if (!o->write_errno) {
        if (o->clear_status && o->status_shown) {
            fputs("\r\033[K", stderr);
            o->status_shown = false;
        }
        if (o->c->format == FMT_TEXT)
            print_text(o, res, target);
        else
            for (size_t k = 0; k < res->nhops; k++)
                print_record(o, res, target, &res->hops[k]);
        if (ferror(o->f))
            o->write_errno = errno ? errno : EIO;
    }
    o->ndone++;
    if (res->reached)
        o->nreached++;
}

static int open_job(icr_targets *t, const struct icr_trace_opts *to, icr_trace **ret) {
    int r = icr_trace_new(t, to, ret);
    if (r >= 0)
        return 0;
    if (r == ICR_ESOCKPERM)
        cli_error("traceroute", "cannot open ICMP sockets: %s (raw sockets need CAP_NET_RAW, "
                  "datagram ones a gid in net.ipv4.ping_group_range)", icr_strerror(r));
    else if (r == ICR_ESOCKADDR)
        cli_error("traceroute", "-I %s: %s", to->source ? to->source : "", icr_strerror(r));
    else if (r == -ENOSYS || r == -EPERM)
        cli_error("traceroute", "io_uring is unavailable: %s (see kernel.io_uring_disabled)",
                  icr_strerror(r));
    else
        cli_error("traceroute", "cannot start: %s", icr_strerror(r));
    return r == ICR_ENOMEM ? EXIT_SYSTEM : cli_exit_for(r);
}

int cmd_traceroute(int argc, char **argv) {
    struct tr_conf c = {.opts = ICR_TRACE_OPTS_INIT, .format = FMT_TEXT};
    struct tr_out out = {.c = &c, .f = stdout};
    icr_targets *targets = NULL;
    icr_trace *t = NULL;
    bool abandoned = false;
    int exit_code = EXIT_SYSTEM, r;

    c.opts.privilege = ICR_PRIV_AUTO;
    c.targets = calloc((size_t)argc + 1, sizeof(char *));
    c.files = calloc((size_t)argc + 1, sizeof(char *));
    if (!c.targets || !c.files) {
        cli_error("traceroute", "%s", icr_strerror(ICR_ENOMEM));
        goto out;
    }
    r = parse_args(argc, argv, &c);
    if (r) {
        exit_code = r > 0 ? EXIT_ALIVE : EXIT_USAGE;
        goto out;
    }
    if ((r = icr_targets_new(&targets)) < 0) {
        cli_error("traceroute", "%s", icr_strerror(r));
        goto out;
    }
    if ((exit_code = build_targets(&c, targets)) != 0)
        goto out;
    const uint64_t ntargets = icr_targets_count(targets);
    if (ntargets == 1 && c.n_targets == 1 && c.n_files == 0)
        out.name = c.targets[0];

    (void)setvbuf(out.f, NULL, _IOLBF, 0);
    const bool status = !c.quiet && isatty(STDERR_FILENO);
    out.clear_status = status && isatty(fileno(out.f));
    c.opts.on_trace = on_trace;
    c.opts.userdata = &out;
    if ((exit_code = open_job(targets, &c.opts, &t)) != 0)
        goto out;

    if (c.format == FMT_CSV)
        fputs("target,distance,address,min_rtt,avg_rtt,max_rtt,rtts,packets_sent,"
              "packets_received,packet_loss,jitter,is_alive,error,partial\n", out.f);
    else if (c.format == FMT_TEXT && out.name) {
        /* One destination: its header before the probes, as traceroute(8). */
        struct icr_addr a;
        char as[ICR_ADDRSTRLEN];
        if (icr_targets_get(targets, 0, &a) == 0 && icr_addr_format(&a, as, sizeof(as)))
            print_header(&out, as, false);
    }

    cli_catch_signals();
    const int64_t t0 = cli_now_ns();
    int64_t last_status = t0;
    for (;;) {
        r = icr_trace_step(t, 100 * 1000000);
        if (r == -EINTR)
            r = 1;
        if (r != 1)
            break;
        if (out.write_errno == EPIPE) {
            icr_trace_stop(t);
            abandoned = true;
            break;
        }
        if (cli_stop) {
            cli_stop = 0;
            if (out.stopped) {
                abandoned = true;
                break;
            }
            out.stopped = true;
            icr_trace_stop(t);
        }
        if (status) {
            const int64_t now = cli_now_ns();
            if (now - last_status >= 1000000000) {
                fprintf(stderr, "\r%.0fs: %" PRIu64 "/%" PRIu64 " destinations done, %" PRIu64
                        " reached\033[K", (double)(now - t0) / 1e9, out.ndone, ntargets,
                        out.nreached);
                fflush(stderr);
                out.status_shown = true;
                last_status = now;
            }
        }
    }
    if (out.status_shown)
        fputs("\r\033[K", stderr);
    if (!out.write_errno && fflush(out.f) != 0)
        out.write_errno = errno ? errno : EIO;

    if (out.write_errno == EPIPE) {
        exit_code = out.nreached == ntargets ? EXIT_ALIVE : EXIT_DEAD;
    } else if (out.write_errno) {
        cli_error("traceroute", "cannot write the results: %s", strerror(out.write_errno));
        exit_code = EXIT_SYSTEM;
    } else if (r < 0 && r != ICR_ESTOPPED) {
        cli_error("traceroute", "%s", icr_strerror(r));
        exit_code = EXIT_SYSTEM;
    } else if (out.stopped || abandoned || r == ICR_ESTOPPED) {
        exit_code = EXIT_INTERRUPTED;
    } else {
        exit_code = out.nreached == ntargets ? EXIT_ALIVE : EXIT_DEAD;
    }

out:
    t = icr_trace_free(t);
    targets = icr_targets_free(targets);
    free(c.targets);
    free(c.files);
    return exit_code;
}
