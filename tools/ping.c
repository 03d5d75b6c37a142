/* ping.c - `icmpring ping HOST`: iputils ping(8)'s output, line for line
 * (tools/peerfmt.c), on top of icmplib's ping. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli-parse.h"
#include "icmpring.h"
#include "peerfmt.h"

static const char ping_help[] =
    "Usage: icmpring ping [OPTIONS] HOST\n"
    "Send ICMP Echo Requests to HOST and print each reply, in iputils ping(8)'s\n"
    "format: its header, reply, error and summary lines, byte for byte.\n\n"
    "  -c COUNT         stop after COUNT requests, 1-4294967294 (default: until Ctrl-C)\n"
    "  -i SECONDS       wait between requests (default 1; 0 = back to back)\n"
    "  -W SECONDS       how long to wait for each reply (default 2)\n"
    "  -s BYTES         payload size, 0-65507 (default 56)\n"
    "  -t TTL           IPv4 TTL / IPv6 hop limit, 1-255 (default 64)\n"
    "  -Q TCLASS        DS field / traffic class, 0-255 (decimal or 0x..)\n"
    "  -I ADDRESS       source address\n"
    "  -b               allow pinging a broadcast address (IPv4)\n"
    "  -4, -6           resolve HOST to IPv4 / IPv6 only\n"
    "  --privileged     raw socket only (needs CAP_NET_RAW)\n"
    "  --unprivileged   ICMP datagram socket only (net.ipv4.ping_group_range)\n"
    "                   (default: raw if permitted, else datagram)\n"
    "  --transport T    how probes leave: packet, raw, dgram or auto (default:\n"
    "                   packet if permitted, else dgram; see icmpring-sweep)\n"
    "  --no-uring       sendmmsg/recvmmsg instead of io_uring (automatic where\n"
    "                   io_uring is refused)\n"
    "  -n               numeric output: no reverse lookup of the responders\n"
    "                   (only done, as by ping(8), when HOST is a name)\n"
    "  -q               print only the header and the summary\n"
    "  --jitter         one more line after the summary: 'jitter = J ms'\n"
    "  -h, --help       this help;  -V, --version  the version\n\n"
    "If the reader of the output goes away (EPIPE, e.g. '| head -1'), ping stops as\n"
    "on Ctrl-C and exits 0 or 1 by the replies received.\n"
    "Error replies are printed as 'From ROUTER icmp_seq=N MESSAGE', in ping(8)'s\n"
    "words ('Destination Host Unreachable', 'Time exceeded: Hop limit', ...).\n"
    "With -c N, ping stops once N requests have their answer, as ping(8) does.\n"
    "Probes run on the io_uring engine (sent on schedule, replies matched by a\n"
    "keyed MAC) as a multiping job of one host.  The engine cannot carry payloads\n"
    "outside 34-1400 bytes (the MAC takes 34) nor broadcast replies (-b): those use\n"
    "a classic socket, one request at a time.\n"
    "--jitter: icmplib's jitter, the mean absolute difference of consecutive RTTs.\n"
    "icmp_seq is printed modulo 65536, as ping(8) prints its 16-bit sequence.\n\n"
    CLI_EXIT_CODES_HELP
    "\n";

struct ping_conf {
    uint64_t count; /* 0 = unlimited */
    double interval, timeout;
    uint64_t size, ttl, tclass;
    const char *source;
    int family;
    int privilege;
    bool quiet;
    bool broadcast;
    bool no_uring;
    bool numeric; /* -n, or HOST is an address: no reverse lookups */
    bool jitter;  /* --jitter */
    int transport; /* enum icr_transport */
    const char *host;
    const char *display; /* iputils' hostname: HOST, or its canonical name */
};

/* What the CLI counts beyond icmplib's Host: iputils' statistics
 * (duplicates, errors, its microsecond sums), refused sends; the classic
 * path also keeps its RTTs here (for icmplib's jitter). */
struct ping_stats {
    struct pf_ping_stats pf;
    uint64_t send_failures;
    double *rtts;
    size_t nrtts, cap;
    struct icr_addr last_from; /* the reverse lookup cache, as iputils keeps one */
    char last_name[ICR_ADDRSTRLEN + NI_MAXHOST + 4];
};

static void add_rtt(struct ping_stats *st, double ms) {
    if (st->nrtts == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 64;
        double *r = realloc(st->rtts, cap * sizeof(double));
        if (!r)
            return; /* out of memory: this RTT is lost to the statistics */
        st->rtts = r;
        st->cap = cap;
    }
    st->rtts[st->nrtts++] = ms;
}

/* A responder as iputils' pr_addr prints it: the address, or "NAME
 * (ADDRESS)" when HOST was a name (and not -n). */
static const char *pr_addr(const struct ping_conf *c, struct ping_stats *st,
                           const struct icr_addr *a) {
    char addr[ICR_ADDRSTRLEN], name[NI_MAXHOST];
    if (st->last_name[0] && icr_addr_equal(a, &st->last_from))
        return st->last_name;
    cli_addr_format(a, addr, sizeof(addr));
    if (c->numeric || !*pf_reverse_name(a, name, sizeof(name)))
        (void)snprintf(st->last_name, sizeof(st->last_name), "%s", addr);
    else
        (void)snprintf(st->last_name, sizeof(st->last_name), "%s (%s)", name, addr);
    st->last_from = *a;
    return st->last_name;
}

/* The round trip as iputils measures it: whole microseconds. */
static long rtt_us_of_ns(int64_t ns) { return ns < 0 ? 0 : (long)(ns / 1000); }

static int parse_args(int argc, char **argv, struct ping_conf *c) {
    enum { OPT_PRIV = 256, OPT_UNPRIV, OPT_NO_URING, OPT_JITTER, OPT_TRANSPORT };
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {"privileged", no_argument, NULL, OPT_PRIV},
        {"unprivileged", no_argument, NULL, OPT_UNPRIV},
        {"no-uring", no_argument, NULL, OPT_NO_URING},
        {"jitter", no_argument, NULL, OPT_JITTER},
        {"transport", required_argument, NULL, OPT_TRANSPORT},
        {0},
    };
    int o;
    /* 0, not 1: glibc then starts afresh.  With 1 it goes on inside the
     * option cluster where the last parse stopped ("-hV" after -h): a
     * second parse in one process (the fuzz harness) read freed memory. */
    optind = 0;
    opterr = 0;
    /* Options may follow HOST, as ping(8)'s (GNU getopt permutes). */
    while ((o = getopt_long(argc, argv, "c:i:W:s:t:Q:I:46bnqhV", longopts, NULL)) != -1) {
        switch (o) {
        case 'c':
            /* The engine counts probes in 32 bits and keeps UINT32_MAX out
             * (icr_sweep_new: ICR_EINVAL), so refuse it here as a bad
             * argument rather than fail later as a system error. */
            if (cli_parse_u64(optarg, 1, UINT32_MAX - 1, &c->count) < 0) {
                cli_error("ping", "invalid value '%s' for -c (expected 1-%" PRIu32 ")", optarg,
                          (uint32_t)(UINT32_MAX - 1));
                return -1;
            }
            break;
        case 'i':
            if (cli_parse_double(optarg, 0, 3600, &c->interval) < 0)
                return cli_bad_value("ping", "-i", optarg, "0-3600 seconds");
            break;
        case 'W':
            if (cli_parse_double(optarg, 0.001, 3600, &c->timeout) < 0)
                return cli_bad_value("ping", "-W", optarg, "0.001-3600 seconds");
            break;
        case 's':
            if (cli_parse_u64(optarg, 0, 65507, &c->size) < 0)
                return cli_bad_value("ping", "-s", optarg, "0-65507 bytes");
            break;
        case 't':
            if (cli_parse_u64(optarg, 1, 255, &c->ttl) < 0)
                return cli_bad_value("ping", "-t", optarg, "1-255");
            break;
        case 'Q':
            if (cli_parse_u64(optarg, 0, 255, &c->tclass) < 0)
                return cli_bad_value("ping", "-Q", optarg, "0-255, decimal or 0x..");
            break;
        case 'I': c->source = optarg; break;
        case '4':
            if (c->family == AF_INET6)
                return cli_exclusive("ping", "-4", "-6");
            c->family = AF_INET;
            break;
        case '6':
            if (c->family == AF_INET)
                return cli_exclusive("ping", "-6", "-4");
            c->family = AF_INET6;
            break;
        case 'q': c->quiet = true; break;
        case 'n': c->numeric = true; break;
        case OPT_JITTER: c->jitter = true; break;
        case 'b': c->broadcast = true; break;
        case OPT_PRIV:
            if (c->privilege == ICR_UNPRIVILEGED)
                return cli_exclusive("ping", "--privileged", "--unprivileged");
            c->privilege = ICR_PRIVILEGED;
            break;
        case OPT_UNPRIV:
            if (c->privilege == ICR_PRIVILEGED)
                return cli_exclusive("ping", "--unprivileged", "--privileged");
            c->privilege = ICR_UNPRIVILEGED;
            break;
        case OPT_NO_URING: c->no_uring = true; break;
        case OPT_TRANSPORT:
            if (cli_parse_transport("ping", optarg, &c->transport) < 0)
                return -1;
            break;
        case 'h': return cli_help(ping_help);
        case 'V': return cli_version("ping");
        case ':':
            cli_error("ping", "option -%c needs a value (see --help)", optopt);
            return -1;
        default: return cli_getopt_error("ping", o, argv);
        }
    }
    if (cli_check_transport("ping", c->transport, c->privilege) < 0)
        return -1;
    if (optind != argc - 1) {
        cli_error("ping", optind >= argc ? "missing HOST (see --help)"
                                         : "exactly one HOST expected (see --help)");
        return -1;
    }
    c->host = argv[optind];
    return 0;
}

/* ping(8) first connect()s a UDP socket to the destination (which sends
 * nothing) to learn its source address, and stops there, before its
 * header, when there is no route.  The same check here: the negative
 * errno of a destination without a route (ENETUNREACH, EHOSTUNREACH) or
 * of a broadcast address (EACCES: the socket has no SO_BROADCAST), or 0
 * (any other failure is left to the probes, as before). */
static int no_route(const struct icr_addr *dest) {
    struct sockaddr_storage ss;
    int r = 0;
    if (icr_addr_to_sockaddr(dest, &ss) < 0)
        return 0;
    int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    /* Any port: UDP connect() only picks a route and a source. */
    if (ss.ss_family == AF_INET6)
        ((struct sockaddr_in6 *)&ss)->sin6_port = htons(1025);
    else
        ((struct sockaddr_in *)&ss)->sin_port = htons(1025);
    if (connect(fd, (const struct sockaddr *)&ss,
                ss.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                         : sizeof(struct sockaddr_in)) < 0 &&
        (errno == ENETUNREACH || errno == EHOSTUNREACH || errno == EACCES))
        r = -errno;
    (void)close(fd);
    return r;
}

/* iputils' summary, exactly (peerfmt.c), from iputils' own counts; then,
 * with --jitter, icmplib's jitter of the Host on a line of its own, so
 * that every iputils line stays as a parser of ping(8) expects it. */
static void print_summary(const struct ping_conf *c, const struct icr_host *h,
                          const struct ping_stats *st, int64_t time_ns) {
    pf_ping_summary(stdout, c->display, &st->pf, time_ns);
    if (c->jitter && h->packets_received)
        printf("jitter = %.3f ms\n", h->jitter);
    fflush(stdout);
}

/* "PING ..." as iputils prints it for the same options. */
static void print_header(const struct ping_conf *c, const struct icr_addr *dest,
                         const char *addr_s) {
    char src[ICR_ADDRSTRLEN];
    struct icr_addr sa;
    const char *source = NULL;
    if (c->source)
        source = icr_addr_parse(c->source, &sa) == 0 ? cli_addr_format(&sa, src, sizeof(src))
                                                     : c->source;
    pf_ping_header(stdout, dest->family, c->display, addr_s, source, (size_t)c->size);
    fflush(stdout);
}

/* ---- the engine path ------------------------------------------------------
 * A ping is a multiping job of one host (icmplib's ping): probes leave on
 * their schedule whether or not the last reply came (as ping(8) does),
 * each reply is matched by the engine's MAC, late replies still count, and
 * the statistics are the icr_host the job produces. */

struct engine_ctx {
    const struct ping_conf *c;
    struct ping_stats *st;
    const icr_multiping_job *m; /* for the probes sent so far (iputils' pipe) */
};

static void on_engine_result(const struct icr_result *r, void *userdata) {
    struct engine_ctx *x = userdata;
    struct pf_ping_stats *pf = &x->st->pf;
    const uint64_t seq = (uint64_t)r->probe + 1;
    /* ping(8) -c N stops reading once N probes have their answer: what
     * comes after (a late duplicate of the last reply) is not shown. */
    if (x->c->count && (uint64_t)(pf->nreceived + pf->nerrors) >= x->c->count)
        return;
    if (r->kind == ICR_RESULT_ECHO) {
        /* A duplicate's time counts in iputils' sums too. */
        const long us = rtt_us_of_ns(r->rtt_ns);
        struct icr_sweep_stats js = {0};
        if (r->duplicate)
            pf->nrepeats++;
        else
            pf->nreceived++;
        pf_ping_add_rtt(pf, us);
        /* Probes in flight, this one included: sent so far minus its
         * sequence (probe + 1), plus one. */
        if (icr_multiping_get_stats(x->m, &js) == 0 && js.sent > r->probe)
            pf_ping_pipe(pf, (long)(js.sent - r->probe));
        if (!x->c->quiet)
            pf_ping_reply(stdout, r->bytes_received, pr_addr(x->c, x->st, &r->responder), seq,
                          r->ttl, us, r->duplicate, NULL);
    } else {
        pf->nerrors++;
        if (!x->c->quiet)
            pf_ping_error(stdout, pr_addr(x->c, x->st, &r->responder), seq, r->target.family,
                          r->type, r->code, r->mtu);
    }
    fflush(stdout);
    (void)cli_output_gone(stdout);
}

/* Returns an exit code; fills *h (its rtts to free) when it returns one
 * that comes with a summary (*have_host). */
static int ping_engine(const struct ping_conf *c, const struct icr_addr *dest, const char *addr_s,
                       struct ping_stats *st, struct icr_host *h, bool *have_host,
                       int64_t *send_ns) {
    struct engine_ctx x = {.c = c, .st = st};
    struct icr_ping_opts o = ICR_PING_OPTS_INIT;
    icr_multiping_job *m = NULL;
    int r, exit_code = EXIT_SYSTEM;

    o.count = (uint32_t)c->count; /* 0: until Ctrl-C */
    o.interval = c->interval;
    o.timeout = c->timeout;       /* how long the last probe waits */
    o.ttl = (int)c->ttl;
    o.traffic_class = (int)c->tclass;
    o.payload_size = c->size;
    o.privilege = c->privilege;
    o.source = c->source;
    o.flags = ICR_SWEEP_ALL_REPLIES | (c->no_uring ? ICR_SWEEP_NO_URING : 0);
    o.transport = c->transport;
    o.on_result = on_engine_result;
    o.userdata = &x;
    r = icr_multiping_new(dest, 1, &o, &m);
    x.m = m;
    if (r < 0) {
        if (r == ICR_ESOCKPERM)
            (void)cli_start_error_t("ping", r, "cannot start", NULL, NULL, c->privilege,
                                    c->transport);
        else if (r == ICR_ESOCKADDR)
            cli_error("ping", "cannot use source address '%s': %s", c->source ? c->source : "",
                      icr_strerror(r));
        else if (!cli_limit_error("ping", r, "cannot start"))
            cli_error("ping", "cannot start: %s", icr_strerror(r));
        /* parse_args keeps every option in the engine's ranges; should one
         * slip through, it is still a bad argument, not a system error. */
        exit_code = r == ICR_EINVAL || r == ICR_ESOCKADDR ? EXIT_USAGE : EXIT_SYSTEM;
        goto out;
    }
    /* The sockets are open: nothing after this needs a privilege. */
    if (cli_privileges_dropped("ping") != 0)
        goto out; /* EXIT_SYSTEM */
    print_header(c, dest, addr_s);
    cli_catch_signals();
    /* Ctrl-C ends at once, with what came so far, as ping(8) does; the job
     * itself ends as soon as every probe has its answer (or error). */
    struct icr_sweep_stats jst = {0};
    while (!cli_stop) {
        r = icr_multiping_step(m, 100000000);
        if (r == -EINTR)
            continue;
        if (r != 1)
            break;
        /* The kernel refused the first probe before anything left (a
         * broadcast destination without SO_BROADCAST: EACCES; no route:
         * ENETUNREACH): say so at once, as ping(8) does, rather than wait
         * -W for nothing. */
        if (icr_multiping_get_stats(m, &jst) == 0 && jst.sent == 0 && jst.send_errors &&
            jst.last_send_error) {
            r = -jst.last_send_error;
            break;
        }
    }
    if ((r = r == 1 ? 0 : r) == -EACCES) {
        /* The kernel refuses a broadcast destination without SO_BROADCAST. */
        cli_error("ping", "%s (use -b to ping a broadcast address)",
                  icr_strerror(ICR_ESOCKBROADCAST));
        exit_code = EXIT_USAGE;
        goto out;
    }
    int hr = icr_multiping_get_host(m, 0, h);
    if (hr < 0) {
        cli_error("ping", "%s", icr_strerror(hr));
        goto out;
    }
    if (h->packets_sent == 0 && c->count && !cli_stop && (r >= 0 || icr_error_is(r, ICR_ESYSTEM))) {
        /* The kernel refused every probe: its last reason. */
        (void)icr_multiping_get_stats(m, &jst);
        r = jst.last_send_error ? -jst.last_send_error : 0;
        *have_host = true;
        cli_error("ping", "cannot send to %s%s%s", addr_s, r < 0 ? ": " : "",
                  r < 0 ? icr_strerror(r) : "");
        exit_code = EXIT_SYSTEM;
        goto out;
    }
    *have_host = true;
    /* iputils' "time": from the start to the last probe sent. */
    if (icr_multiping_get_stats(m, &jst) == 0) {
        *send_ns = jst.send_ns;
        /* Stopped (Ctrl-C) while still sending, the send phase runs on to
         * now; the last probe left on the schedule, (sent - 1) intervals
         * after the first. */
        if (!jst.sending_done && jst.sent > 0) {
            const int64_t last = (int64_t)((double)(jst.sent - 1) * c->interval * 1e9);
            if (last < *send_ns)
                *send_ns = last;
        }
    }
    if (r == ICR_EIFDOWN) {
        /* The interface (or the path) went away under the ping: a system
         * error whatever came before it (README: exit 4), as for sweep. */
        cli_error("ping", "%s", icr_strerror(r));
        exit_code = EXIT_SYSTEM;
        goto out;
    }
    if (r < 0 && r != ICR_ESTOPPED) {
        /* A system error: the kernel refused every probe from the start
         * (e.g. -ENETUNREACH): one line with its reason. */
        cli_error("ping", "%s", icr_strerror(r));
        exit_code = EXIT_SYSTEM;
        goto out;
    }
    exit_code = h->packets_received ? EXIT_ALIVE : EXIT_DEAD;
out:
    icr_multiping_free(m);
    return exit_code;
}

/* ping's defaults, before its options. */
#define PING_CONF_INIT                                                                       \
    {                                                                                        \
        .interval = 1, .timeout = 2, .size = 56, .ttl = 64, .family = AF_UNSPEC,             \
        .privilege = ICR_PRIV_AUTO,                                                          \
    }

int cli_ping_parse_only(int argc, char **argv) {
    struct ping_conf c = PING_CONF_INIT;
    return parse_args(argc, argv, &c);
}

int cmd_ping(int argc, char **argv) {
    struct ping_conf c = PING_CONF_INIT;
    struct ping_stats st = {.pf = PF_PING_STATS_INIT};
    char addr_s[ICR_ADDRSTRLEN], canon[NI_MAXHOST];
    struct icr_addr dest;
    icr_socket *sock = NULL;
    int r;

    r = parse_args(argc, argv, &c);
    if (r)
        return r > 0 ? EXIT_ALIVE : EXIT_USAGE;

    if ((r = cli_check_host("ping", c.host, c.family)) != 0)
        return r;
    r = icr_resolve(c.host, c.family, &dest, 1);
    if (r < 0) {
        cli_error("ping", "cannot resolve '%s': %s", c.host, icr_strerror(r));
        return cli_exit_for(r);
    }
    /* iputils' names: an address as given is "numeric" (no reverse
     * lookups); an IPv4 name is shown as its canonical name, an IPv6 one
     * as given. */
    c.display = c.host;
    if (icr_addr_parse(c.host, &(struct icr_addr){0}) == 0 || strchr(c.host, ':'))
        c.numeric = true;
    else if (dest.family == AF_INET) {
        struct addrinfo hints = {.ai_family = AF_INET, .ai_flags = AI_CANONNAME}, *ai = NULL;
        if (getaddrinfo(c.host, NULL, &hints, &ai) == 0 && ai && ai->ai_canonname) {
            (void)snprintf(canon, sizeof(canon), "%s", ai->ai_canonname);
            c.display = canon;
        }
        if (ai)
            freeaddrinfo(ai);
    }
    /* No route: one line and exit 4 before anything is printed on stdout
     * (ping(8): "connect: Network is unreachable", nothing on stdout). */
    r = no_route(&dest);
    if (r == -EACCES && !c.broadcast) {
        /* A broadcast address without -b: refused before the header, as
         * ping(8) does ("Do you want to ping broadcast? Then -b."). */
        cli_error("ping", "%s (use -b to ping a broadcast address)",
                  icr_strerror(ICR_ESOCKBROADCAST));
        return EXIT_USAGE;
    }
    if (!c.source && r < 0 && r != -EACCES) {
        icr_addr_format(&dest, addr_s, sizeof(addr_s));
        cli_error("ping", "cannot send to %s: %s", addr_s, icr_strerror(r));
        return EXIT_SYSTEM;
    }
    /* Below 16 bytes the payload holds no timestamp for ping(8): no times. */
    st.pf.timing = c.size >= 16;
    /* iputils adds "ipg/ewma" to the summary when the interval is 0. */
    st.pf.ipg = c.interval == 0;

    /* The engine carries a 34-byte MAC in a payload of up to 1400 bytes and
     * matches replies to the probed address: other sizes and broadcast go
     * through the classic socket (icmplib's own model). */
    if (c.size >= 34 && c.size <= 1400 && !c.broadcast) {
        const int64_t t0 = cli_now_ns();
        struct icr_host h = {0};
        bool have_host = false;
        int64_t send_ns = -1;
        icr_addr_format(&dest, addr_s, sizeof(addr_s));
        int code = ping_engine(&c, &dest, addr_s, &st, &h, &have_host, &send_ns);
        st.pf.ntransmitted = (long)h.packets_sent;
        if (have_host)
            print_summary(&c, &h, &st, send_ns >= 0 ? send_ns : cli_now_ns() - t0);
        free(h.rtts);
        return code;
    }

    struct icr_socket_opts so = ICR_SOCKET_OPTS_INIT;
    so.family = dest.family;
    so.source = c.source;
    so.privilege = c.privilege;
    r = icr_socket_open(&so, &sock);
    if (r == ICR_ESOCKPERM)
        return cli_start_error("ping", r, "cannot open an ICMP socket", NULL, NULL, c.privilege);
    if (r < 0) {
        cli_error("ping", "cannot open an ICMP socket%s%s: %s", c.source ? " from " : "",
                  c.source ? c.source : "", icr_strerror(r));
        return r == ICR_ESOCKADDR ? EXIT_USAGE : EXIT_SYSTEM;
    }

    if (c.broadcast && (r = icr_socket_set_broadcast(sock, true)) < 0) {
        cli_error("ping", "-b: %s", icr_strerror(r));
        sock = icr_socket_free(sock);
        return EXIT_USAGE;
    }
    /* The socket is open (SO_BROADCAST needs no privilege either): the
     * sends, TTL and traffic class changes and receives that follow don't. */
    if (cli_privileges_dropped("ping") != 0) {
        sock = icr_socket_free(sock);
        return EXIT_SYSTEM;
    }

    icr_addr_format(&dest, addr_s, sizeof(addr_s));
    print_header(&c, &dest, addr_s);

    cli_catch_signals();
    const uint16_t id = (uint16_t)(getpid() ^ (cli_now_ns() >> 10));
    const int64_t start = cli_now_ns();
    int64_t last_send = start;
    int exit_code = EXIT_DEAD;

    for (uint64_t seq = 1; !cli_stop && (c.count == 0 || seq <= c.count); seq++) {
        struct icr_request req = ICR_REQUEST_INIT;
        req.destination = dest;
        req.id = id;
        req.sequence = (uint16_t)seq;
        req.payload_size = c.size;
        req.ttl = (int)c.ttl;
        req.traffic_class = (int)c.tclass;

        const int64_t t_send = last_send = cli_now_ns();
        r = icr_socket_send(sock, &req);
        st.pf.ntransmitted++;
        if (r == ICR_ESOCKBROADCAST || r == ICR_EINVAL) {
            cli_error("ping", "%s%s", icr_strerror(r),
                      r == ICR_ESOCKBROADCAST ? " (use -b to ping a broadcast address)" : "");
            exit_code = EXIT_USAGE;
            goto out;
        }
        if (r < 0) {
            /* ping(8) says "ping: sendmsg: REASON" on stderr. */
            st.send_failures++;
            cli_error("ping", "sendmsg: %s", icr_strerror(r));
        }
        /* One reply per request; with -b every host of the segment answers,
         * so keep listening until the timeout and count the extra ones as
         * duplicates, as ping(8) -b does. */
        bool got = false;
        const int64_t t_deadline = t_send + (int64_t)(c.timeout * 1e9);
        while (r >= 0 && !cli_stop) {
            struct icr_reply rep = ICR_REPLY_INIT;
            double left = (double)(t_deadline - cli_now_ns()) / 1e9;
            if (left <= 0)
                break;
            r = icr_socket_receive(sock, &req, left, &rep);
            if (r == -EINTR) {
                r = 0;
                continue; /* cli_stop says whether it was ours to end */
            }
            if (r < 0)
                break;    /* timeout: no line, as ping(8) without -O */
            const char *from_s = pr_addr(&c, &st, &rep.source);
            if (icr_reply_raise_for_status(&rep) == 0) {
                const int64_t ns = rep.time_ns - req.time_ns;
                const long us = rtt_us_of_ns(ns);
                if (got)
                    st.pf.nrepeats++;
                else {
                    st.pf.nreceived++;
                    add_rtt(&st, (double)ns / 1e6);
                }
                if (st.pf.timing)
                    pf_ping_add_rtt(&st.pf, us);
                /* ping(8) -b does not mark the other hosts' replies
                 * (DUP!); a payload that came back changed is our own
                 * mark (ping(8) dumps the bytes instead). */
                if (!c.quiet)
                    pf_ping_reply(stdout, rep.bytes_received, from_s, seq, rep.ttl,
                                  st.pf.timing ? us : -1, got && !c.broadcast,
                                  rep.payload_matches ? NULL : " (payload differs)");
                got = true;
            } else {
                st.pf.nerrors++;
                if (!c.quiet)
                    pf_ping_error(stdout, from_s, seq, rep.family, rep.type, rep.code, rep.mtu);
                got = true;
            }
            fflush(stdout);
            /* ping(8) -c N stops once N probes are answered: with -b, the
             * last probe's first reply ends it. */
            if (cli_output_gone(stdout) || !c.broadcast ||
                (c.count && (uint64_t)(st.pf.nreceived + st.pf.nerrors) >= c.count))
                break;
        }
        if (c.count && seq == c.count)
            break;
        cli_sleep_ns(t_send + (int64_t)(c.interval * 1e9) - cli_now_ns());
    }
    exit_code = st.nrtts                                                ? EXIT_ALIVE
                : st.send_failures == (uint64_t)st.pf.ntransmitted ? EXIT_SYSTEM
                                                                    : EXIT_DEAD;

out:;
    /* The same icmplib Host as the engine path, from this path's RTTs. */
    struct icr_host h = {.size = sizeof(h), .packets_sent = (uint64_t)st.pf.ntransmitted};
    (void)icr_host_stats(&h, st.rtts, st.nrtts);
    h.rtts = st.rtts;
    print_summary(&c, &h, &st, last_send - start);
    free(st.rtts);
    sock = icr_socket_free(sock);
    return exit_code;
}
