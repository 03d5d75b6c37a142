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
#include "cli-parse.h"
#include "icmpring.h"
#include "peerfmt.h"
#include "scale.h"

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
    "  --transport T      how probes leave: packet, raw, dgram or auto (default:\n"
    "                     packet if permitted, else dgram; see icmpring-sweep)\n"
    "  --no-uring         sendmmsg/recvmmsg instead of io_uring (automatic where\n"
    "                     io_uring is refused)\n"
    ; /* split: C99 guarantees string literals of 4095 bytes only */
static const char traceroute_help_more[] =
    "  --seed S           order of the (destination, TTL) probes, 1-2^64-1\n"
    "  --shards N --shard I  trace only shard I (0..N-1) of N of the destinations;\n"
    "                     every shard must use the same --seed\n"
    "  -o FILE            write the routes to FILE (default: standard output;\n"
    "                     with --resume, in target order)\n"
    CLI_SCALE_HELP
    "  --format FORMAT    text (default), csv (with a header line) or ndjson: one\n"
    "                     record per answered hop with target, distance and\n"
    "                     icmplib's Hop properties (address, min_rtt, avg_rtt,\n"
    "                     max_rtt, rtts, packets_sent, packets_received,\n"
    "                     packet_loss, jitter, is_alive) and error\n"
    "  -n                 numeric: no reverse lookup of   -n\n"
    "                     the hops (one target, text)\n"
    "  -q                 no status line\n"
    "  -h, --help         this help;  -V, --version  the version\n\n"
    "Text, one TARGET: traceroute(8)'s layout ('traceroute -I'): 'traceroute to\n"
    "HOST (ADDRESS), 30 hops max, 84 byte packets' (IP + ICMP header + payload),\n"
    "then per distance ' N  NAME (ADDRESS)  RTT ms  RTT ms' (' N  ADDRESS ...' with\n"
    "-n), ' *' for a probe without answer (in probe order), ' N  * *' for\n"
    "a silent distance, up to the destination, or to --max-hops when it was not\n"
    "reached, and traceroute's mark (!H !N !P !X ...) after each time of the hop\n"
    "that ended the route with Destination Unreachable.\n"
    "Text, several targets: per destination 'traceroute to TARGET (ADDRESS), N hops\n"
    "max', then ' N  ADDRESS  RTT ms ...' per answered hop, ' N  *' for a silent\n"
    "distance before the last answered one, and the mark after the hop that ended\n"
    "the route.  RTTs are in ms.\n"
    "Ctrl-C (or SIGTERM) stops sending, waits -W for replies on their way, writes\n"
    "every destination (those cut short marked '(partial)', or \"partial\": true)\n"
    "and exits 130; a second Ctrl-C skips the wait (unfinished routes still written).\n\n"
    "Exit codes: 0 every destination was reached, 1 some was not, 2 name lookup\n"
    "            failed, 3 bad arguments, 4 system error (permission, socket,\n"
    "            io_uring, interface down), 130 interrupted\n";

struct tr_conf {
    struct icr_trace_opts opts;
    enum cli_format format;
    bool quiet;
    bool numeric; /* -n */
    struct cli_targets ta;
    struct cli_scale sc;
    const char *output;
};

/* A route rendered but held back until the ones before it are written
 * (--resume: the output is then a prefix of the shard's destinations, in
 * index order, which is what a checkpoint's position can name). */
struct tr_slot {
    char *text;
    size_t len;
    bool complete, reached;
};

struct tr_out {
    const struct tr_conf *c;
    struct cli_out w;
    const char *name; /* the one target's name as given, or NULL */
    uint64_t ntargets, ndone, nreached, blocks;
    bool stopped;
    /* Sharding and resume. */
    bool ordered;             /* hold routes back to write them in index order */
    uint8_t *mine;            /* per target index: this run traces it */
    uint64_t *local;          /* per target index: its place among this run's */
    struct tr_slot *slots;    /* per place: a route waiting for its turn */
    uint64_t nmine, next;     /* this run's destinations; the first not written */
    uint64_t base_pos, base_reached; /* done by earlier runs */
    uint64_t written, written_reached; /* whole routes written by this run */
    bool partial_seen;
    int64_t good_bytes;
    uint64_t sent;            /* probes this run sent */
    /* One target in text: each probe's RTT in ms by [distance][probe]
     * (on_probe), so that its line keeps traceroute(8)'s probe order; a
     * negative value: no reply.  NULL: the hop's RTTs in arrival order. */
    double *probe_ms;
};

/* The slot of (distance, probe) in o->probe_ms. */
static double *probe_slot(const struct tr_out *o, int distance, uint32_t probe) {
    if (!o->probe_ms || distance < 0 || distance > o->c->opts.max_hops ||
        probe >= o->c->opts.count)
        return NULL;
    return &o->probe_ms[(size_t)distance * o->c->opts.count + probe];
}

static void on_probe(const struct icr_result *r, void *userdata) {
    double *slot = probe_slot(userdata, r->hop, r->probe);
    if (slot && !r->duplicate && r->rtt_ns >= 0)
        *slot = (double)r->rtt_ns / 1e6;
}

static int bad_value(const char *opt, const char *val, const char *range) {
    return cli_bad_value("traceroute", opt, val, range);
}

static int parse_args(int argc, char **argv, struct tr_conf *c) {
    enum { OPT_RATE = 256, OPT_PRIV, OPT_UNPRIV, OPT_FORMAT, OPT_FIRST, OPT_MAX, OPT_FAST,
           OPT_NO_URING, OPT_TRANSPORT };
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
        {"transport", required_argument, NULL, OPT_TRANSPORT},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"output", required_argument, NULL, 'o'},
        CLI_SHARD_LONGOPTS,
        CLI_RESUME_LONGOPTS,
        {0},
    };
    struct icr_trace_opts *o = &c->opts;
    uint64_t v;
    int opt;

    /* 0, not 1: glibc then starts afresh.  With 1 it goes on inside the
     * option cluster where the last parse stopped ("-hV" after -h): a
     * second parse in one process (the fuzz harness) read freed memory. */
    optind = 0;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":f:c:i:W:s:Q:I:o:46nqhV", longopts, NULL)) != -1) {
        switch (opt) {
        case 'f': cli_targets_option(&c->ta, opt, optarg); break;
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
        case '6':
            if (cli_targets_family_conflict(&c->ta, opt) < 0)
                return -1;
            cli_targets_option(&c->ta, opt, optarg);
            o->family = opt == '4' ? AF_INET : AF_INET6;
            break;
        case OPT_PRIV:
            if (o->privilege == ICR_UNPRIVILEGED)
                return cli_exclusive("traceroute", "--privileged", "--unprivileged");
            o->privilege = ICR_PRIVILEGED;
            break;
        case OPT_UNPRIV:
            if (o->privilege == ICR_PRIVILEGED)
                return cli_exclusive("traceroute", "--unprivileged", "--privileged");
            o->privilege = ICR_UNPRIVILEGED;
            break;
        case OPT_NO_URING: o->flags |= ICR_SWEEP_NO_URING; break;
        case OPT_TRANSPORT:
            if (cli_parse_transport("traceroute", optarg, &o->transport) < 0)
                return -1;
            break;
        case 'q': c->quiet = true; break;
        case 'n': c->numeric = true; break;
        case OPT_FORMAT:
            if (cli_parse_format("traceroute", optarg, &c->format) < 0)
                return -1;
            break;
        case 'o': c->output = optarg; break;
        case 'h': return cli_help2(traceroute_help, traceroute_help_more);
        case 'V': return cli_version("traceroute");
        default: {
            int k = cli_scale_option(&c->sc, opt, optarg);
            if (k < 0)
                return -1;
            if (k == 0)
                return cli_getopt_error("traceroute", opt, argv);
            break;
        }
        }
    }
    cli_targets_operands(&c->ta, argc, argv);
    if (cli_scale_check(&c->sc, true, c->output) < 0)
        return -1;
    o->seed = c->sc.seed;
    o->shards = c->sc.shards;
    o->shard = c->sc.shard;
    if (cli_check_transport("traceroute", o->transport, o->privilege) < 0)
        return -1;
    if (o->max_hops < o->first_hop) {
        cli_error("traceroute", "--max-hops %d is below --first-hop %d", o->max_hops,
                  o->first_hop);
        return -1;
    }
    return cli_targets_given(&c->ta);
}

/* ---- output ---------------------------------------------------------- */

static void print_header(struct tr_out *o, const char *target, bool partial) {
    const struct tr_conf *c = o->c;
    if (o->name && o->blocks == 0) {
        /* One destination: traceroute(8)'s header, with the size of our
         * probes (IP header, ICMP header, payload). */
        o->blocks++;
        struct icr_addr a;
        const size_t iphdr = icr_addr_parse(target, &a) == 0 && a.family == AF_INET6 ? 40 : 20;
        pf_trace_header(o->w.f, o->name, target, c->opts.max_hops,
                        iphdr + 8 + c->opts.payload_size);
        return;
    }
    if (o->blocks++ > 0)
        fputc('\n', o->w.f);
    fprintf(o->w.f, "traceroute to %s (%s), %d hops max%s\n", target, target, c->opts.max_hops,
            partial ? " (partial)" : "");
}

/* One destination, in traceroute(8)'s layout (see the help text). */
static void print_traceroute8(struct tr_out *o, const struct icr_trace_result *res) {
    FILE *f = o->w.f;
    const struct tr_conf *c = o->c;
    const uint32_t count = c->opts.count;
    int last = c->opts.max_hops;
    if (res->nhops) {
        const struct icr_hop *end = &res->hops[res->nhops - 1];
        /* Reached, ended by a Destination Unreachable (traceroute stops
         * there too), or cut short: nothing after the last answered hop. */
        if (res->reached || !res->complete ||
            (end->host.error &&
             *icr_hop_error_flag(end->host.address.family, end->host.error_type,
                                 end->host.error_code)))
            last = end->distance;
    } else if (!res->complete)
        last = c->opts.first_hop - 1;
    size_t k = 0;
    for (int d = c->opts.first_hop; d <= last; d++) {
        fprintf(f, "%2d ", d);
        while (k < res->nhops && res->hops[k].distance < d)
            k++;
        if (k == res->nhops || res->hops[k].distance != d) {
            for (uint32_t p = 0; p < count; p++)
                fputs(" *", f);
            fputc('\n', f);
            continue;
        }
        const struct icr_host *h = &res->hops[k].host;
        char addr[ICR_ADDRSTRLEN], name[1025];
        cli_addr_format(&h->address, addr, sizeof(addr));
        const char *flag =
            h->error ? icr_hop_error_flag(h->address.family, h->error_type, h->error_code) : "";
        /* traceroute(8) prints the probes in turn: ' *' for a lost one,
         * the address before the first answer (" 6  * far  0.1 ms  0.1 ms"),
         * when every reply of the hop is in the table. */
        uint64_t known = 0;
        for (uint32_t p = 0; p < h->packets_sent && p < count; p++) {
            const double *ms = probe_slot(o, d, p);
            known += ms && *ms >= 0;
        }
        if (known && known == h->packets_received && h->packets_sent <= count) {
            bool named = false;
            for (uint32_t p = 0; p < h->packets_sent; p++) {
                const double *slot = probe_slot(o, d, p);
                const double ms = slot ? *slot : -1;
                if (ms < 0) {
                    fputs(" *", f);
                    continue;
                }
                if (!named)
                    pf_trace_addr(f, addr,
                                  c->numeric ? NULL
                                             : pf_reverse_name(&h->address, name, sizeof(name)));
                named = true;
                fprintf(f, "  %.3f ms%s%s", ms, *flag ? " " : "", flag);
            }
            fputc('\n', f);
            continue;
        }
        pf_trace_addr(f, addr, c->numeric ? NULL : pf_reverse_name(&h->address, name, sizeof(name)));
        for (uint64_t p = 0; p < h->packets_received; p++)
            fprintf(f, "  %.3f ms%s%s", h->rtts[p], *flag ? " " : "", flag);
        for (uint64_t p = h->packets_received; p < h->packets_sent; p++)
            fputs(" *", f);
        fputc('\n', f);
    }
    if (!res->complete)
        fputs("(partial)\n", f);
}

static void print_text(struct tr_out *o, const struct icr_trace_result *res, const char *target) {
    FILE *f = o->w.f;
    if (o->name) {
        if (o->blocks == 0)
            print_header(o, target, false);
        print_traceroute8(o, res);
        return;
    }
    int next = o->c->opts.first_hop;
    print_header(o, target, !res->complete);
    for (size_t k = 0; k < res->nhops; k++) {
        const struct icr_hop *hop = &res->hops[k];
        const struct icr_host *h = &hop->host;
        char addr[ICR_ADDRSTRLEN];
        for (; next < hop->distance; next++)
            fprintf(f, "%2d  *\n", next);
        next = hop->distance + 1;
        fprintf(f, "%2d  %s", hop->distance, cli_addr_format(&h->address, addr, sizeof(addr)));
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
    FILE *f = o->w.f;
    const struct icr_host *h = &hop->host;
    const bool json = o->c->format == CLI_FMT_NDJSON;
    char addr[ICR_ADDRSTRLEN], buf[64];
    cli_addr_format(&h->address, addr, sizeof(addr));
    const char *msg = h->error ? cli_icmp_message(h->address.family, h->error_type,
                                                  h->error_code, buf, sizeof(buf))
                               : NULL;
    if (json) {
        fputs("{\"target\":", f);
        cli_json_str(f, target);
        fprintf(f, ",\"distance\":%d,\"address\":", hop->distance);
        cli_json_str(f, addr);
    } else {
        cli_csv_str(f, target);
        fprintf(f, ",%d,", hop->distance);
        cli_csv_str(f, addr);
    }
    cli_put_host(f, h, json);
    if (json) {
        if (msg) {
            fputs(",\"error\":", f);
            cli_json_str(f, msg);
        }
        if (!res->complete)
            fputs(",\"partial\":true", f);
        fputs("}\n", f);
    } else {
        fputc(',', f);
        if (msg)
            cli_csv_str(f, msg);
        fprintf(f, ",%s\n", res->complete ? "false" : "true");
    }
}

static void render(struct tr_out *o, const struct icr_trace_result *res, const char *target) {
    if (o->c->format == CLI_FMT_TEXT)
        print_text(o, res, target);
    else
        for (size_t k = 0; k < res->nhops; k++)
            print_record(o, res, target, &res->hops[k]);
}

/* A route is written: count it (whole ones only make the position). */
static void account(struct tr_out *o, bool complete, bool reached) {
    if (!complete && !o->partial_seen) {
        o->partial_seen = true;
        o->good_bytes = -2; /* set by the caller before the route was written */
    }
    if (complete && !o->partial_seen) {
        o->written++;
        o->written_reached += reached;
    }
}

/* Write the held-back routes whose predecessors are written. */
static void flush_ordered(struct tr_out *o) {
    while (o->next < o->nmine && o->slots[o->next].text) {
        struct tr_slot *sl = &o->slots[o->next];
        if (!o->w.write_errno) {
            cli_out_clear_status(&o->w);
            if (!sl->complete && !o->partial_seen) {
                (void)fflush(o->w.f);
                o->good_bytes = ftello(o->w.f);
            }
            /* Text routes are blocks with a blank line between them. */
            if (o->c->format == CLI_FMT_TEXT && o->blocks++ > 0)
                fputc('\n', o->w.f);
            fwrite(sl->text, 1, sl->len, o->w.f);
            (void)cli_out_failed(&o->w);
            int64_t gb = o->good_bytes;
            account(o, sl->complete, sl->reached);
            if (o->good_bytes == -2)
                o->good_bytes = gb;
        }
        free(sl->text);
        sl->text = NULL;
        o->next++;
    }
}

static void on_trace(const struct icr_trace_result *res, void *userdata) {
    struct tr_out *o = userdata;
    char target[ICR_ADDRSTRLEN];
    cli_addr_format(&res->target, target, sizeof(target));
    if (o->ordered) {
        o->ndone++;
        o->nreached += res->reached;
        if (res->index >= o->ntargets || !o->mine[res->index])
            return;
        struct tr_slot *sl = &o->slots[o->local[res->index]];
        if (sl->text)
            return;
        /* Render into memory with this struct's printers: no separator
         * (flush_ordered writes it), never the early single-target header. */
        struct tr_out tmp = *o;
        FILE *mem = open_memstream(&sl->text, &sl->len);
        if (!mem)
            return; /* out of memory: output stops before this route */
        tmp.w.f = mem;
        tmp.w.status = false;
        tmp.blocks = 0;
        tmp.ndone = 1;
        render(&tmp, res, target);
        if (fclose(mem) != 0) {
            free(sl->text);
            sl->text = NULL;
            return;
        }
        sl->complete = res->complete;
        sl->reached = res->reached;
        return; /* written in order by the loop (after_step) */
    }
    if (!o->w.write_errno) {
        cli_out_clear_status(&o->w);
        render(o, res, target);
        (void)cli_out_failed(&o->w);
    }
    /* After the route: print_text's one-target header test reads ndone. */
    o->ndone++;
    o->nreached += res->reached;
    account(o, res->complete, res->reached);
    if (o->good_bytes == -2)
        o->good_bytes = -1;
}

static int open_job(icr_targets *t, const struct icr_trace_opts *to, icr_trace **ret) {
    int r = icr_trace_new(t, to, ret);
    if (r < 0)
        return cli_start_error_t("traceroute", r, "cannot start", "-I", to->source, to->privilege,
                                 to->transport);
    /* The sockets are open: nothing after this needs a privilege. */
    return cli_privileges_dropped("traceroute");
}

static void on_status(void *userdata, double elapsed, double dt) {
    struct tr_out *o = userdata;
    cli_status(&o->w, "%.0fs: %" PRIu64 "/%" PRIu64 " destinations done, %" PRIu64 " reached",
               elapsed, o->ndone, o->nmine, o->nreached);
}

/* --resume: the checkpoint as the output stands. */
struct tr_resume {
    struct tr_out *out;
    struct cli_ckpt ck;
    const char *path;
    int64_t t0, last;
    double interval;
};

static int save_ckpt(struct tr_resume *rs, bool final) {
    struct tr_out *o = rs->out;
    int64_t end = cli_output_sync(o->w.f);
    int64_t bytes = o->partial_seen ? o->good_bytes : end;
    if (bytes < 0)
        return -EIO;
    rs->ck.position = o->base_pos + o->written;
    rs->ck.output_bytes = (uint64_t)bytes;
    rs->ck.hits = o->base_reached + o->written_reached;
    rs->ck.records = rs->ck.position;
    rs->ck.done = final && o->written == o->nmine;
    int64_t now = cli_now_ns();
    double el = rs->ck.elapsed;
    rs->ck.elapsed += (double)(now - rs->t0) / 1e9;
    int r = cli_ckpt_save(rs->path, &rs->ck);
    rs->ck.elapsed = el;
    rs->last = now;
    return r;
}

static void after_step(void *userdata) {
    struct tr_resume *rs = userdata;
    if (rs->out->ordered)
        flush_ordered(rs->out);
    if (rs->path && cli_now_ns() - rs->last >= (int64_t)(rs->interval * 1e9))
        (void)save_ckpt(rs, false);
}

static int trace_step(void *t, int64_t timeout_ns) { return icr_trace_step(t, timeout_ns); }
static void trace_stop(void *t) { icr_trace_stop(t); }

int cli_traceroute_parse_only(int argc, char **argv) {
    struct tr_conf c = {.opts = ICR_TRACE_OPTS_INIT, .format = CLI_FMT_TEXT};
    int r = -1;
    c.opts.privilege = ICR_PRIV_AUTO;
    c.ta.brief_line_errors = true;
    cli_scale_init(&c.sc, "traceroute");
    if (cli_targets_init(&c.ta, "traceroute", argc) == 0)
        r = parse_args(argc, argv, &c);
    cli_targets_free(&c.ta);
    return r;
}

int cmd_traceroute(int argc, char **argv) {
    struct tr_conf c = {.opts = ICR_TRACE_OPTS_INIT, .format = CLI_FMT_TEXT};
    struct tr_out out = {.c = &c};
    icr_targets *targets = NULL;
    icr_trace *t = NULL;
    int exit_code = EXIT_SYSTEM, r;
    FILE *f = stdout;      /* the output */
    bool fresh = true;     /* a new output, not a resumed one */
    struct cli_ckpt saved; /* what --resume continues */

    c.opts.privilege = ICR_PRIV_AUTO;
    c.ta.brief_line_errors = true;
    cli_scale_init(&c.sc, "traceroute");
    if (cli_targets_init(&c.ta, "traceroute", argc) < 0)
        goto out;
    r = parse_args(argc, argv, &c);
    if (r) {
        exit_code = r > 0 ? EXIT_ALIVE : EXIT_USAGE;
        goto out;
    }
    if ((exit_code = cli_targets_build(&c.ta, "no targets given (see --help)", &targets)) != 0)
        goto out;
    const uint64_t ntargets = out.ntargets = icr_targets_count(targets);
    if (ntargets == 1 && c.ta.n_targets == 1 && c.ta.n_files == 0)
        out.name = c.ta.targets[0];

    /* The seed splits the destinations and orders the probes: draw one
     * here when none was given, so the summary and the checkpoint name it. */
    if (!c.opts.seed)
        c.opts.seed = cli_random_seed();
    out.ordered = c.sc.resume != NULL;
    out.good_bytes = -1;
    out.mine = calloc(ntargets, 1);
    out.local = calloc(ntargets, sizeof(*out.local));
    if (!out.mine || !out.local) {
        cli_error("traceroute", "%s", icr_strerror(ICR_ENOMEM));
        goto out;
    }
    struct tr_resume rs = {.out = &out, .path = c.sc.resume, .interval = c.sc.ckpt_interval,
                           .t0 = cli_now_ns()};
    rs.last = rs.t0;
    struct cli_ckpt *ck = &rs.ck;
    cli_ckpt_start(ck, "traceroute", cli_hash_targets(targets), ntargets, c.opts.seed,
                   c.opts.shards, c.opts.shard);
    cli_opts_add(ck->opts, sizeof(ck->opts), "count", "%" PRIu32, c.opts.count);
    cli_opts_add(ck->opts, sizeof(ck->opts), "first-hop", "%d", c.opts.first_hop);
    cli_opts_add(ck->opts, sizeof(ck->opts), "max-hops", "%d", c.opts.max_hops);
    cli_opts_add(ck->opts, sizeof(ck->opts), "fast", "%d", c.opts.fast);
    cli_opts_add(ck->opts, sizeof(ck->opts), "format", "%s", cli_format_name((int)c.format));

    if ((exit_code = cli_resume_begin(&c.sc, c.sc.seed_set, c.output, false, ck, &saved, &f,
                                      &fresh)) != 0)
        goto out;
    if (!fresh) {
        c.opts.seed = ck->seed;
        out.base_pos = saved.position;
        out.base_reached = saved.hits;
        /* A text file that holds routes already: the next one after a
         * blank line. */
        out.blocks = saved.output_bytes > 0;
    }
    uint64_t shard_n = 0;
    for (uint64_t i = 0; i < ntargets; i++) {
        uint32_t sh = 0;
        if (c.opts.shards > 1 && icr_shard_of(i, ntargets, c.opts.seed, c.opts.shards, &sh) < 0)
            goto out;
        if (sh != c.opts.shard)
            continue;
        if (shard_n++ < out.base_pos)
            continue; /* in the output already */
        out.mine[i] = 1;
        out.local[i] = out.nmine++;
    }
    if (shard_n == 0) {
        cli_error("traceroute", "shard %" PRIu32 " of %" PRIu32 " has no destinations (%" PRIu64
                  " in all)", c.opts.shard, c.opts.shards, ntargets);
        exit_code = EXIT_USAGE;
        goto out;
    }
    c.opts.start_position = out.base_pos;
    /* Resumable: routes in blocks of 32 destinations, so they end (and the
     * position moves) in index order instead of all at the very end. */
    if (out.ordered)
        c.opts.window = 32;
    if (out.ordered && !(out.slots = calloc(out.nmine ? out.nmine : 1, sizeof(*out.slots)))) {
        cli_error("traceroute", "%s", icr_strerror(ICR_ENOMEM));
        goto out;
    }
    if (out.ordered || c.opts.shards > 1)
        out.name = NULL; /* the early one-target header needs the route first */

    cli_out_start(&out.w, f, c.quiet);
    if (out.nmine == 0) {
        exit_code = out.base_reached == shard_n ? EXIT_ALIVE : EXIT_DEAD;
        goto finish; /* complete before this run */
    }
    if (out.name && c.format == CLI_FMT_TEXT) {
        const size_t n = ((size_t)c.opts.max_hops + 1) * c.opts.count;
        out.probe_ms = malloc(n * sizeof(double));
        for (size_t k = 0; out.probe_ms && k < n; k++)
            out.probe_ms[k] = -1;
        /* Without the table (no memory) the hops print in arrival order. */
        if (out.probe_ms)
            c.opts.on_result = on_probe;
    }
    c.opts.on_trace = on_trace;
    c.opts.userdata = &out;
    if ((exit_code = open_job(targets, &c.opts, &t)) != 0)
        goto out;

    if (c.format == CLI_FMT_CSV && fresh)
        fputs("target,distance,address,min_rtt,avg_rtt,max_rtt,rtts,packets_sent,"
              "packets_received,packet_loss,jitter,is_alive,error,partial\n", out.w.f);
    else if (c.format == CLI_FMT_TEXT && out.name) {
        /* One destination: its header before the probes, as traceroute(8). */
        struct icr_addr a;
        char as[ICR_ADDRSTRLEN];
        if (icr_targets_get(targets, 0, &a) == 0 && icr_addr_format(&a, as, sizeof(as)))
            print_header(&out, as, false);
    }

    if (rs.path && save_ckpt(&rs, false) < 0) {
        cli_error("traceroute", "cannot write the checkpoint '%s': %s", rs.path, strerror(errno));
        exit_code = EXIT_SYSTEM;
        goto out;
    }
    const struct cli_job job = {.job = t, .step = trace_step, .stop = trace_stop,
                                .after_step = after_step, .status = on_status, .userdata = &rs};
    enum cli_end end;
    r = cli_run(&job, &out.w, &out.stopped, &end);
    struct icr_sweep_stats st = {.size = sizeof(st)};
    (void)icr_trace_get_stats(t, &st);
    out.sent = st.sent;
    if (out.ordered)
        flush_ordered(&out);
    const bool interrupted = out.stopped || end != CLI_END_DONE;
    if (rs.path && save_ckpt(&rs, !interrupted && r >= 0 && !out.w.write_errno) < 0)
        cli_error("traceroute", "cannot write the checkpoint '%s': %s", rs.path, strerror(errno));
    cli_out_end(&out.w);
    cli_report_drops("traceroute", &st);
    exit_code = cli_run_exit("traceroute", &out.w, r, interrupted,
                             out.base_reached + out.written_reached == shard_n);
finish:
    if (c.sc.summary) {
        const struct cli_summary sum = {
            .kind = "traceroute", .seed = c.opts.seed, .shards = c.opts.shards,
            .shard = c.opts.shard, .targets_hash = ck->targets_hash, .targets = ntargets,
            .shard_targets = shard_n, .format = cli_format_name((int)c.format), .opts = ck->opts,
            .output = f == stdout ? NULL : c.output, .sent = out.sent,
            .hits = out.base_reached + out.written_reached, .records = out.base_pos + out.written,
            .elapsed = ck->elapsed + (double)(cli_now_ns() - rs.t0) / 1e9,
            .complete = out.base_pos + out.written == shard_n, .runs = ck->runs};
        int sr = cli_summary_write("traceroute", c.sc.summary, &sum);
        if (sr && exit_code != EXIT_INTERRUPTED)
            exit_code = sr;
    }

out:
    t = icr_trace_free(t);
    if (out.slots)
        for (uint64_t k = 0; k < out.nmine; k++)
            free(out.slots[k].text);
    free(out.slots);
    free(out.mine);
    free(out.local);
    if (out.w.f && out.w.f != stdout && fclose(out.w.f) != 0 && exit_code == EXIT_ALIVE) {
        cli_error("traceroute", "cannot write the routes to '%s': %s", c.output, strerror(errno));
        exit_code = EXIT_SYSTEM;
    }
    free(out.probe_ms);
    targets = icr_targets_free(targets);
    cli_targets_free(&c.ta);
    return exit_code;
}
