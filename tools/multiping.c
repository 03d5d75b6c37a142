/* multiping.c - `icmpring multiping HOSTS...`: icmplib's multiping() on one
 * io_uring job, printed as fping -c / -C summaries (or CSV / NDJSON), one
 * line per host in input order. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli-parse.h"
#include "icmpring.h"
#include "peerfmt.h"
#include "scale.h"

static const char multiping_help[] =
    "Usage: icmpring multiping [OPTIONS] HOSTS...\n"
    "Ping every HOST at once (icmplib's multiping) and print one summary line per\n"
    "host, in the order given, like fping -c (or fping -C with -C).\n"
    "A HOST is an address or a host name (its first address).\n\n"
    "  -f FILE            read hosts from FILE, one a line, '#' comments\n"
    "                     ('-' = standard input; repeatable)\n"
    "  -c, --count N      probes per host, 1-100000 (default 2; icmplib count)\n"
    "  -i, --interval S   seconds between two probes to one host, 0 = back to back\n"
    "                     (default 0.01; icmplib interval)\n"
    "  -W, --timeout S    wait for replies after the last probe (default 2;\n"
    "                     icmplib timeout)\n"
    "  --rate PPS         probes per second over all hosts, 0 = unlimited (default 0)\n"
    "  -s, --size BYTES   payload size, 34-1400 (default 56; icmplib payload_size)\n"
    "  -t, --ttl TTL      IPv4 TTL / IPv6 hop limit, 1-255 (default 64)\n"
    "  -Q, --tclass TC    DS field / traffic class, 0-255 (default 0)\n"
    "  -I, --source ADDR  source address (icmplib source)\n"
    "  -4, -6             resolve host names to IPv4 / IPv6 only (icmplib family)\n"
    "  --privileged       raw sockets only (needs CAP_NET_RAW)\n"
    "  --unprivileged     ICMP datagram sockets only (net.ipv4.ping_group_range)\n"
    "                     (default: raw if permitted, else datagram)\n"
    "  --transport T      how probes leave: packet, raw, dgram or auto (default:\n"
    "                     packet if permitted, else dgram; see icmpring-sweep)\n"
    "  --receive R        where replies come in with the packet transport: ring,\n"
    "                     socket or auto (default: the ring from 50,000 probes on)\n"
    "  --no-uring         sendmmsg/recvmmsg instead of io_uring (automatic where\n"
    "                     io_uring is refused)\n"
    "  -C, --all-rtts     list every probe's RTT ('-' for a lost one), like fping -C\n"
    "  --format FORMAT    text (default), csv (with a header line) or ndjson (one\n"
    "                     object per host with icmplib's Host properties: address,\n"
    "                     min_rtt, avg_rtt, max_rtt, rtts, packets_sent,\n"
    "                     packets_received, packet_loss, jitter, is_alive; plus\n"
    "                     error and error_source when an ICMP error came back)\n"
    "  -o FILE            write the hosts to FILE (default: standard output)\n"
    "  --seed S --shards N --shard I  ping only shard I (0..N-1) of N: the hosts\n"
    "                     whose place in the order seeded by S falls to I; every\n"
    "                     shard must use the same S (lines stay in input order)\n"
    CLI_SCALE_HELP
    "  -q                 no status line and no summary\n"
    "  -h, --help         this help;  -V, --version  the version\n\n"
    "Text:  198.18.0.1 : xmt/rcv/%loss = 3/3/0%, min/avg/max = 0.031/0.040/0.052\n"
    "  -C:  198.18.0.1 : 0.031 0.040 -\n"
    "RTTs are in ms, as fping prints them (3 decimals below 1 ms, 2 below 10, 1\n"
    "below 100).  Each line is written as soon as the hosts before it are done.\n"
    "While stderr is a terminal a status line is refreshed every second.\n"
    "At the end a summary goes to stderr (not with -q): hosts, alive, probes sent\n"
    "and replies received, kernel drops (replies lost to a full socket buffer),\n"
    "invalid replies.\n"
    "Ctrl-C (or SIGTERM) stops sending, waits -W for replies on their way, writes\n"
    "every host (those cut short marked '(partial)', or \"partial\": true) and\n"
    "exits 130; a second Ctrl-C skips the wait.\n\n"
    "Exit codes: 0 every host answered, 1 some host did not, 2 name lookup failed,\n"
    "            3 bad arguments, 4 system error (permission, socket, io_uring,\n"
    "            interface down), 130 interrupted\n";

struct mp_conf {
    struct icr_multiping_opts opts;
    enum cli_format format;
    bool all_rtts, quiet;
    char **names; /* the hosts, in input order (strdup'ed) */
    bool parse_only; /* cli_multiping_parse_only: -f names a file, never read */
    size_t n, cap;
    struct cli_scale sc;
    const char *output;
};

/* A finished host until it is printed (then freed): hosts are printed in
 * input order as soon as their predecessors are, so few wait at a time. */
struct mp_slot {
    struct icr_host h; /* rtts owned */
    bool partial;
};

struct mp_out {
    const struct mp_conf *c;
    struct cli_out w;
    struct mp_slot **slots; /* per host: finished and not yet printed, else NULL */
    double *probe_ms; /* -C only: n x count RTTs of each probe, NAN if none */
    size_t next;      /* the first host not printed */
    size_t width;     /* of the widest name (text) */
    size_t ndone, nalive;
    bool stopped;
    /* Sharding and resume: which hosts this run prints, and what the
     * output holds in a form a checkpoint can name. */
    uint8_t *mine;    /* per host: 1 if this run probes and prints it */
    uint64_t nmine;   /* hosts of this run */
    uint64_t base_pos, base_alive, base_sent; /* done by earlier runs */
    uint64_t printed, printed_alive, printed_sent; /* whole hosts printed by this run */
    bool partial_seen; /* a partial host was printed: the position stops there */
    int64_t good_bytes; /* the output's length after the last whole host, -1: now */
};

static int bad_value(const char *opt, const char *val, const char *range) {
    return cli_bad_value("multiping", opt, val, range);
}

static int add_name(struct mp_conf *c, const char *name) {
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        char **l = realloc(c->names, cap * sizeof(char *));
        if (!l)
            return -1;
        c->names = l;
        c->cap = cap;
    }
    if (!(c->names[c->n] = strdup(name)))
        return -1;
    c->n++;
    return 0;
}

/* 0, 1 (help/version printed) or an exit code > 1... as negative: -EXIT. */
static int parse_args(int argc, char **argv, struct mp_conf *c) {
    enum { OPT_RATE = 256, OPT_PRIV, OPT_UNPRIV, OPT_FORMAT, OPT_NO_URING, OPT_TRANSPORT,
           OPT_RECEIVE };
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {"count", required_argument, NULL, 'c'},
        {"interval", required_argument, NULL, 'i'},
        {"timeout", required_argument, NULL, 'W'},
        {"rate", required_argument, NULL, OPT_RATE},
        {"size", required_argument, NULL, 's'},
        {"ttl", required_argument, NULL, 't'},
        {"tclass", required_argument, NULL, 'Q'},
        {"source", required_argument, NULL, 'I'},
        {"privileged", no_argument, NULL, OPT_PRIV},
        {"unprivileged", no_argument, NULL, OPT_UNPRIV},
        {"no-uring", no_argument, NULL, OPT_NO_URING},
        {"transport", required_argument, NULL, OPT_TRANSPORT},
        {"receive", required_argument, NULL, OPT_RECEIVE},
        {"all-rtts", no_argument, NULL, 'C'},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"output", required_argument, NULL, 'o'},
        CLI_SHARD_LONGOPTS,
        CLI_RESUME_LONGOPTS,
        {0},
    };
    struct icr_multiping_opts *o = &c->opts;
    uint64_t v;
    int opt, r;
    /* The CLI's interval is fping's pace (-i 0.01, as --help says), not
     * icmplib's multiping() default of 0.5 s that ICR_MULTIPING_OPTS_INIT
     * holds. */
    o->interval = 0.01;
    /* Files are read after the options so that an option error is reported
     * before stdin is consumed; remember them in order. */
    const char **files = calloc((size_t)argc + 1, sizeof(char *));
    size_t nfiles = 0;
    if (!files) {
        cli_error("multiping", "%s", icr_strerror(ICR_ENOMEM));
        return -EXIT_SYSTEM;
    }

    /* 0, not 1: glibc then starts afresh.  With 1 it goes on inside the
     * option cluster where the last parse stopped ("-hV" after -h): a
     * second parse in one process (the fuzz harness) read freed memory. */
    optind = 0;
    opterr = 0;
    r = 0;
    while (r == 0 && (opt = getopt_long(argc, argv, ":f:c:i:W:s:t:Q:I:o:46CqhV", longopts,
                                        NULL)) != -1) {
        switch (opt) {
        case 'f': files[nfiles++] = optarg; break;
        case 'c':
            if (cli_parse_u64(optarg, 1, 100000, &v) < 0)
                r = bad_value("-c", optarg, "1-100000");
            o->count = (uint32_t)v;
            break;
        case 'i':
            if (cli_parse_double(optarg, 0, 3600, &o->interval) < 0)
                r = bad_value("-i", optarg, "0-3600 seconds");
            break;
        case 'W':
            if (cli_parse_double(optarg, 0, 3600, &o->timeout) < 0)
                r = bad_value("-W", optarg, "0-3600 seconds");
            break;
        case OPT_RATE:
            if (cli_parse_u64(optarg, 0, 100000000, &o->rate) < 0)
                r = bad_value("--rate", optarg, "0-100000000 probes per second");
            break;
        case 's':
            if (cli_parse_u64(optarg, 34, 1400, &v) < 0)
                r = bad_value("-s", optarg, "34-1400 bytes: the first 34 carry the probe's MAC");
            o->payload_size = (size_t)v;
            break;
        case 't':
            if (cli_parse_u64(optarg, 1, 255, &v) < 0)
                r = bad_value("-t", optarg, "1-255");
            o->ttl = (int)v;
            break;
        case 'Q':
            if (cli_parse_u64(optarg, 0, 255, &v) < 0)
                r = bad_value("-Q", optarg, "0-255");
            o->traffic_class = (int)v;
            break;
        case 'I': {
            struct icr_addr a;
            if (icr_addr_parse(optarg, &a) < 0)
                r = bad_value("-I", optarg, "an IPv4 or IPv6 address of this host");
            o->source = optarg;
            break;
        }
        case '4':
            r = o->family == AF_INET6 ? cli_exclusive("multiping", "-4", "-6") : 0;
            o->family = AF_INET;
            break;
        case '6':
            r = o->family == AF_INET ? cli_exclusive("multiping", "-6", "-4") : 0;
            o->family = AF_INET6;
            break;
        case OPT_PRIV:
            r = o->privilege == ICR_UNPRIVILEGED
                    ? cli_exclusive("multiping", "--privileged", "--unprivileged") : 0;
            o->privilege = ICR_PRIVILEGED;
            break;
        case OPT_UNPRIV:
            r = o->privilege == ICR_PRIVILEGED
                    ? cli_exclusive("multiping", "--unprivileged", "--privileged") : 0;
            o->privilege = ICR_UNPRIVILEGED;
            break;
        case OPT_NO_URING: o->flags |= ICR_SWEEP_NO_URING; break;
        case OPT_TRANSPORT:
            r = cli_parse_transport("multiping", optarg, &o->transport);
            break;
        case OPT_RECEIVE:
            r = cli_parse_receive("multiping", optarg, &o->flags);
            break;
        case 'C': c->all_rtts = true; break;
        case 'q': c->quiet = true; break;
        case OPT_FORMAT:
            r = cli_parse_format("multiping", optarg, &c->format);
            break;
        case 'o': c->output = optarg; break;
        case 'h': r = cli_help(multiping_help); break;
        case 'V': r = cli_version("multiping"); break;
        default: {
            int k = cli_scale_option(&c->sc, opt, optarg);
            r = k > 0 ? 0 : k < 0 ? -1 : cli_getopt_error("multiping", opt, argv);
            break;
        }
        }
    }
    if (!r && cli_scale_check(&c->sc, true, c->output) < 0)
        r = -1;
    if (!r)
        r = cli_check_transport("multiping", o->transport, o->privilege);
    if (r) {
        free(files);
        return r > 0 ? 1 : -EXIT_USAGE;
    }
    for (int i = optind; i < argc; i++)
        if (add_name(c, argv[i]) < 0) {
            cli_error("multiping", "%s", icr_strerror(ICR_ENOMEM));
            free(files);
            return -EXIT_SYSTEM;
        }
    for (size_t i = 0; i < nfiles && !c->parse_only; i++)
        if ((r = cli_read_hosts("multiping", files[i], &c->names, &c->n, &c->cap)) != 0) {
            free(files);
            return -r;
        }
    if (c->n == 0) {
        if (nfiles == 1)
            cli_error("multiping", "no hosts in '%s' (expected one address or host name a line)",
                      files[0]);
        else
            cli_error("multiping", nfiles ? "no hosts in the given files"
                                          : "no hosts given (see --help)");
        free(files);
        return -EXIT_USAGE;
    }
    free(files);
    return 0;
}

/* ---- output ---------------------------------------------------------- */

static void put_error_fields(FILE *f, const struct icr_host *h, bool json) {
    char src[ICR_ADDRSTRLEN], generic[64];
    const char *msg = cli_icmp_message(h->address.family, h->error_type, h->error_code, generic,
                                       sizeof(generic));
    cli_addr_format(&h->error_source, src, sizeof(src));
    if (json) {
        fputs(",\"error\":", f);
        cli_json_str(f, msg);
        fputs(",\"error_source\":", f);
        cli_json_str(f, src);
    } else {
        fputc(',', f);
        cli_csv_str(f, msg);
        fputc(',', f);
        cli_csv_str(f, src);
    }
}

/* An RTT in ms (the library's unit) back to ns, fping's unit. */
static int64_t ns_of_ms(double ms) { return llround(ms * 1e6); }

/* The text lines are fping's -c / -C summary lines, byte for byte
 * (peerfmt.c's pf_fping_tm for the times), on stdout rather than fping's
 * stderr, so that they can be piped. */
static void print_host(struct mp_out *o, size_t i) {
    const struct mp_conf *c = o->c;
    const struct mp_slot *s = o->slots[i];
    const struct icr_host *h = &s->h;
    FILE *f = o->w.f;
    char addr[ICR_ADDRSTRLEN], tm[32];

    if (o->w.write_errno)
        return;
    if (s->partial && !o->partial_seen) {
        /* A resumed run starts again at this host: the checkpoint names
         * the output up to here. */
        o->partial_seen = true;
        (void)fflush(f);
        o->good_bytes = ftello(f);
    }
    if (!s->partial) {
        o->printed++;
        o->printed_alive += h->is_alive;
        o->printed_sent += h->packets_sent;
    }
    cli_addr_format(&h->address, addr, sizeof(addr));
    cli_out_clear_status(&o->w);
    switch (c->format) {
    case CLI_FMT_TEXT:
        fprintf(f, "%-*s :", (int)o->width, c->names[i]);
        if (c->all_rtts) {
            /* Every probe of a finished host; only the probes sent when a
             * stop cut it short. */
            uint64_t upto = s->partial ? h->packets_sent : c->opts.count;
            for (uint64_t p = 0; p < upto && p < c->opts.count; p++) {
                double ms = o->probe_ms[i * c->opts.count + p];
                if (isnan(ms))
                    fputs(" -", f);
                else
                    fprintf(f, " %s", pf_fping_tm(ns_of_ms(ms), tm, sizeof(tm)));
            }
        } else {
            /* received > sent (the library no longer reports it) is 0 %, not 2^32 - x %. */
            unsigned loss = h->packets_sent > h->packets_received
                                ? (unsigned)((h->packets_sent - h->packets_received) * 100 /
                                             h->packets_sent)
                                : 0;
            fprintf(f, " xmt/rcv/%%loss = %" PRIu64 "/%" PRIu64 "/%u%%", h->packets_sent,
                    h->packets_received, loss);
            if (h->packets_received) {
                /* fping's figures, from the RTTs (not icmplib's rounded
                 * min/max): whole ns, the mean truncated. */
                char mam[80];
                fprintf(f, ", min/avg/max = %s",
                        pf_fping_min_avg_max(h->rtts, h->packets_received, mam, sizeof(mam)));
            }
        }
        fputs(s->partial ? " (partial)\n" : "\n", f);
        break;
    case CLI_FMT_CSV:
        cli_csv_str(f, addr);
        cli_put_host(f, h, false);
        if (h->error)
            put_error_fields(f, h, false);
        else
            fputs(",,", f);
        fprintf(f, ",%s\n", s->partial ? "true" : "false");
        break;
    case CLI_FMT_NDJSON:
        fputs("{\"address\":", f);
        cli_json_str(f, addr);
        cli_put_host(f, h, true);
        if (h->error)
            put_error_fields(f, h, true);
        if (s->partial)
            fputs(",\"partial\":true", f);
        fputs("}\n", f);
        break;
    }
    (void)cli_out_failed(&o->w);
}

/* Print every finished host whose predecessors are all printed. */
static void flush_ready(struct mp_out *o) {
    for (;;) {
        while (o->next < o->c->n && !o->mine[o->next])
            o->next++; /* another shard's, or printed by an earlier run */
        if (o->next >= o->c->n || !o->slots[o->next])
            break;
        print_host(o, o->next);
        free(o->slots[o->next]->h.rtts);
        free(o->slots[o->next]);
        o->slots[o->next++] = NULL;
    }
}

static void keep_host(struct mp_out *o, size_t index, const struct icr_host *h, bool partial) {
    if (index < o->next || o->slots[index])
        return; /* printed already, or kept */
    struct mp_slot *s = malloc(sizeof(*s));
    if (!s)
        return; /* out of memory (150 bytes): output stops before this host */
    o->slots[index] = s;
    s->h = *h;
    s->h.rtts = NULL;
    if (h->packets_received && h->rtts) {
        s->h.rtts = malloc(h->packets_received * sizeof(double));
        if (s->h.rtts)
            memcpy(s->h.rtts, h->rtts, h->packets_received * sizeof(double));
        else
            s->h.packets_received = 0; /* out of memory: the counts stay, the list goes */
    }
    s->partial = partial;
    o->ndone++;
    if (h->is_alive)
        o->nalive++;
}

static void on_host(size_t index, const struct icr_host *h, void *userdata) {
    struct mp_out *o = userdata;
    /* Cut short: the stop came before all of its probes had left. */
    keep_host(o, index, h, o->stopped && h->packets_sent < o->c->opts.count);
    /* Printed by the loop after this step (in input order). */
}

static void on_result(const struct icr_result *r, void *userdata) {
    struct mp_out *o = userdata;
    const uint32_t count = o->c->opts.count;
    if (!o->probe_ms || r->kind != ICR_RESULT_ECHO || r->duplicate || r->index >= o->c->n ||
        r->probe >= count)
        return;
    o->probe_ms[r->index * count + r->probe] = r->rtt_ns >= 0 ? (double)r->rtt_ns / 1e6 : 0.0;
}

static void on_status(void *userdata, double elapsed, double dt) {
    struct mp_out *o = userdata;
    cli_status(&o->w, "%.0fs: %zu/%" PRIu64 " hosts done, %zu alive", elapsed, o->ndone,
               o->nmine, o->nalive);
}

/* --resume: the checkpoint as the output stands (hosts are printed in
 * input order, so the position is the number of whole hosts printed). */
struct mp_resume {
    struct mp_out *out;
    struct cli_ckpt ck;       /* identity filled in; counts set on save */
    const char *path;
    int64_t t0, last;
    double interval;
};

static int save_ckpt(struct mp_resume *rs, bool final) {
    struct mp_out *o = rs->out;
    int64_t bytes = o->partial_seen ? o->good_bytes : cli_output_sync(o->w.f);
    if (o->partial_seen)
        (void)cli_output_sync(o->w.f);
    if (bytes < 0)
        return -EIO;
    rs->ck.position = o->base_pos + o->printed;
    rs->ck.output_bytes = (uint64_t)bytes;
    rs->ck.hits = o->base_alive + o->printed_alive;
    rs->ck.sent = o->base_sent + o->printed_sent;
    rs->ck.records = rs->ck.position;
    rs->ck.done = final && o->printed == o->nmine;
    int64_t now = cli_now_ns();
    double el = rs->ck.elapsed;
    rs->ck.elapsed += (double)(now - rs->t0) / 1e9;
    int r = cli_ckpt_save(rs->path, &rs->ck);
    rs->ck.elapsed = el;
    rs->last = now;
    return r;
}

static void after_step(void *userdata) {
    struct mp_resume *rs = userdata;
    flush_ready(rs->out);
    if (rs->path && cli_now_ns() - rs->last >= (int64_t)(rs->interval * 1e9))
        (void)save_ckpt(rs, false);
}

/* The job's counters on stderr, as the sweep's summary: what the per-host
 * lines cannot say (kernel drops: replies lost to a full receive buffer). */
static void print_summary(const struct mp_out *o, const icr_multiping_job *m) {
    struct icr_sweep_stats st = {.size = sizeof(st)};
    if (icr_multiping_get_stats(m, &st) < 0)
        return;
    fprintf(stderr,
            "--- multiping summary ---\n"
            "%zu hosts, %zu alive (%.2f%%)\n"
            "%" PRIu64 " probes sent of %" PRIu64 ", %" PRIu64 " replies received, %" PRIu64
            " duplicates, %" PRIu64 " ICMP errors, %" PRIu64
            " invalid (dropped: MAC did not verify)\n"
            "%" PRIu64 " kernel drops, %" PRIu64 " send errors\n"
            "elapsed %.3f s, backend %s, receive path %s\n"
            "transport %s, %" PRIu64 " probes as link-layer frames\n",
            (size_t)o->nmine, o->nalive, o->nmine ? 100.0 * (double)o->nalive / (double)o->nmine : 0.0,
            st.sent, st.planned, st.replies, st.duplicates, st.errors, st.invalid,
            st.kernel_drops, st.send_errors, (double)st.elapsed_ns / 1e9,
            st.backend == ICR_BACKEND_MMSG ? "sendmmsg/recvmmsg" : "io_uring",
            cli_receive_path(&st),
            cli_transport_name(st.transport), st.link_sent);
}

static int open_job(const struct icr_addr *addrs, size_t n, const struct icr_multiping_opts *mo,
                    icr_multiping_job **ret) {
    int r = icr_multiping_new(addrs, n, mo, ret);
    if (r < 0)
        return cli_start_error_t("multiping", r, "cannot start", "-I", mo->source, mo->privilege,
                                 mo->transport);
    /* The sockets are open: nothing after this needs a privilege. */
    return cli_privileges_dropped("multiping");
}

static int mp_step(void *m, int64_t timeout_ns) { return icr_multiping_step(m, timeout_ns); }
static void mp_stop(void *m) { icr_multiping_stop(m); }

int cli_multiping_parse_only(int argc, char **argv) {
    struct mp_conf c = {.opts = ICR_MULTIPING_OPTS_INIT, .format = CLI_FMT_TEXT,
                        .parse_only = true};
    cli_scale_init(&c.sc, "multiping");
    c.opts.privilege = ICR_PRIV_AUTO;
    int r = parse_args(argc, argv, &c);
    for (size_t i = 0; i < c.n; i++)
        free(c.names[i]);
    free(c.names);
    return r;
}

int cmd_multiping(int argc, char **argv) {
    struct mp_conf c = {.opts = ICR_MULTIPING_OPTS_INIT, .format = CLI_FMT_TEXT};
    struct mp_out out = {.c = &c};
    struct icr_addr *addrs = NULL;
    icr_multiping_job *m = NULL;
    int exit_code = EXIT_SYSTEM, r;
    FILE *f = stdout;      /* the output */
    bool fresh = true;     /* a new output, not a resumed one */
    struct cli_ckpt saved; /* what --resume continues */
    cli_scale_init(&c.sc, "multiping");

    c.opts.privilege = ICR_PRIV_AUTO;
    r = parse_args(argc, argv, &c);
    if (r) {
        exit_code = r > 0 ? EXIT_ALIVE : -r;
        goto out;
    }

    addrs = calloc(c.n, sizeof(*addrs));
    out.slots = calloc(c.n, sizeof(*out.slots));
    out.mine = calloc(c.n, 1);
    if (!addrs || !out.slots || !out.mine ||
        (c.all_rtts && (c.n > SIZE_MAX / sizeof(double) / c.opts.count ||
                        !(out.probe_ms = malloc(c.n * c.opts.count * sizeof(double)))))) {
        cli_error("multiping", "%s", icr_strerror(ICR_ENOMEM));
        goto out;
    }
    for (size_t k = 0; out.probe_ms && k < c.n * c.opts.count; k++)
        out.probe_ms[k] = NAN;
    for (size_t i = 0; i < c.n; i++) {
        size_t w = strlen(c.names[i]);
        if (w > out.width)
            out.width = w;
        if ((exit_code = cli_check_host("multiping", c.names[i], c.opts.family)) != 0)
            goto out;
        exit_code = EXIT_SYSTEM;
        r = icr_resolve(c.names[i], c.opts.family, &addrs[i], 1);
        if (r < 0) {
            if (r == ICR_ENAMELOOKUP)
                cli_error("multiping", "cannot resolve '%s': %s", c.names[i], icr_strerror(r));
            else
                cli_error("multiping", "invalid host '%s': %s", c.names[i], icr_strerror(r));
            exit_code = r == ICR_EINVAL ? EXIT_USAGE : cli_exit_for(r);
            goto out;
        }
    }

    /* Sharding: the hosts of this shard, in input order. */
    c.opts.seed = c.sc.seed_set ? c.sc.seed : cli_random_seed();
    c.opts.shards = c.sc.shards;
    c.opts.shard = c.sc.shard;
    uint64_t shard_n = 0;
    for (size_t i = 0; i < c.n; i++) {
        uint32_t sh = 0;
        if (c.opts.shards > 1 && icr_shard_of(i, c.n, c.opts.seed, c.opts.shards, &sh) < 0)
            goto out;
        out.mine[i] = sh == c.opts.shard;
        shard_n += out.mine[i];
    }
    if (shard_n == 0) {
        cli_error("multiping", "shard %" PRIu32 " of %" PRIu32 " has no hosts (%zu hosts in all)",
                  c.opts.shard, c.opts.shards, c.n);
        exit_code = EXIT_USAGE;
        goto out;
    }

    struct mp_resume rs = {.out = &out, .path = c.sc.resume, .interval = c.sc.ckpt_interval,
                           .t0 = cli_now_ns()};
    rs.last = rs.t0;
    struct cli_ckpt *ck = &rs.ck;
    cli_ckpt_start(ck, "multiping", cli_hash_addrs(addrs, c.n), c.n, c.opts.seed,
                   c.opts.shards, c.opts.shard);
    cli_opts_add(ck->opts, sizeof(ck->opts), "count", "%" PRIu32, c.opts.count);
    cli_opts_add(ck->opts, sizeof(ck->opts), "format", "%s", cli_format_name((int)c.format));
    cli_opts_add(ck->opts, sizeof(ck->opts), "all-rtts", "%d", c.all_rtts);
    out.good_bytes = -1;

    if ((exit_code = cli_resume_begin(&c.sc, c.sc.seed_set, c.output, false, ck, &saved, &f,
                                      &fresh)) != 0)
        goto out;
    if (!fresh) {
        out.base_pos = saved.position;
        out.base_alive = saved.hits;
        out.base_sent = saved.sent;
        /* The seed decides the split: recompute it with the saved one. */
        c.opts.seed = ck->seed;
        for (size_t i = 0; i < c.n; i++) {
            uint32_t sh = 0;
            if (c.opts.shards > 1 && icr_shard_of(i, c.n, c.opts.seed, c.opts.shards, &sh) < 0)
                goto out;
            out.mine[i] = sh == c.opts.shard;
        }
    }
    /* Hosts before the resume position are in the output already. */
    for (size_t i = 0, k = 0; i < c.n; i++)
        if (out.mine[i] && k++ < out.base_pos)
            out.mine[i] = 0;
    out.nmine = shard_n - out.base_pos;
    c.opts.start_position = out.base_pos;

    cli_out_start(&out.w, f, c.quiet);
    if (out.nmine == 0) {
        /* The checkpoint says this shard is complete: nothing to send. */
        exit_code = EXIT_ALIVE;
        goto finish;
    }
    c.opts.on_host = on_host;
    c.opts.on_result = on_result;
    c.opts.userdata = &out;
    if ((exit_code = open_job(addrs, c.n, &c.opts, &m)) != 0)
        goto out;
    free(addrs); /* the job keeps its own copy */
    addrs = NULL;

    if (c.format == CLI_FMT_CSV && fresh)
        fputs("address,min_rtt,avg_rtt,max_rtt,rtts,packets_sent,packets_received,"
              "packet_loss,jitter,is_alive,error,error_source,partial\n", out.w.f);
    if (rs.path && save_ckpt(&rs, false) < 0) {
        cli_error("multiping", "cannot write the checkpoint '%s': %s", rs.path, strerror(errno));
        exit_code = EXIT_SYSTEM;
        goto out;
    }

    /* Each step prints the hosts that are ready (after_step). */
    const struct cli_job job = {.job = m, .step = mp_step, .stop = mp_stop,
                                .after_step = after_step, .status = on_status, .userdata = &rs};
    enum cli_end end;
    r = cli_run(&job, &out.w, &out.stopped, &end);
    /* EPIPE or a second signal: nobody reads the rest, or the wait is cut. */
    const bool abandoned = end != CLI_END_DONE;
    if (abandoned) {
        /* The job did not finish them: take each host as it stands. */
        for (size_t i = 0; i < c.n; i++) {
            struct icr_host h = {.size = sizeof(h)};
            if (i < out.next || !out.mine[i] || out.slots[i] ||
                icr_multiping_get_host(m, i, &h) < 0)
                continue;
            keep_host(&out, i, &h, true);
            free(h.rtts);
        }
        flush_ready(&out);
    }
    flush_ready(&out);
    const bool interrupted = out.stopped || abandoned;
    if (rs.path && save_ckpt(&rs, !interrupted && r >= 0 && !out.w.write_errno) < 0)
        cli_error("multiping", "cannot write the checkpoint '%s': %s", rs.path, strerror(errno));
    cli_out_end(&out.w);
    if (!c.quiet && out.w.write_errno != EPIPE)
        print_summary(&out, m);
    {
        struct icr_sweep_stats st = {.size = sizeof(st)};
        if (icr_multiping_get_stats(m, &st) == 0)
            cli_report_drops("multiping", &st);
    }
    exit_code = cli_run_exit("multiping", &out.w, r, interrupted,
                             out.base_alive + out.printed_alive == shard_n);
finish:
    if (c.sc.summary) {
        const struct cli_summary sum = {
            .kind = "multiping", .seed = c.opts.seed, .shards = c.opts.shards,
            .shard = c.opts.shard, .targets_hash = ck->targets_hash, .targets = c.n,
            .shard_targets = shard_n, .format = cli_format_name((int)c.format), .opts = ck->opts,
            .output = f == stdout ? NULL : c.output, .sent = out.base_sent + out.printed_sent,
            .hits = out.base_alive + out.printed_alive, .records = out.base_pos + out.printed,
            .elapsed = ck->elapsed + (double)(cli_now_ns() - rs.t0) / 1e9,
            .complete = out.base_pos + out.printed == shard_n, .runs = ck->runs};
        int sr = cli_summary_write("multiping", c.sc.summary, &sum);
        if (sr && exit_code != EXIT_INTERRUPTED)
            exit_code = sr;
    }
    if (m == NULL && exit_code == EXIT_ALIVE && out.base_alive != shard_n)
        exit_code = EXIT_DEAD; /* complete before this run: its hosts' verdict */

out:
    m = icr_multiping_free(m);
    if (out.slots)
        for (size_t i = 0; i < c.n; i++)
            if (out.slots[i]) {
                free(out.slots[i]->h.rtts);
                free(out.slots[i]);
            }
    free(out.slots);
    free(out.mine);
    if (out.w.f && out.w.f != stdout && fclose(out.w.f) != 0 && exit_code == EXIT_ALIVE) {
        cli_error("multiping", "cannot write the hosts to '%s': %s", c.output, strerror(errno));
        exit_code = EXIT_SYSTEM;
    }
    free(out.probe_ms);
    free(addrs);
    for (size_t i = 0; i < c.n; i++)
        free(c.names[i]);
    free(c.names);
    return exit_code;
}
