/* cli.c - shared helpers of the icmpring tool (see cli.h). */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/capability.h> /* the capset ABI: no libcap for three syscalls */

#include "icmpring.h"

volatile sig_atomic_t cli_stop;
volatile sig_atomic_t cli_stop_signal;

static void on_signal(int sig) {
    cli_stop = 1;
    cli_stop_signal = sig;
}

void cli_catch_signals(void) {
    /* SA_RESTART: a write() blocked on a full pipe goes on after Ctrl-C
     * instead of failing with EINTR and losing a result line.  The waits
     * that must notice the signal still wake: ppoll and nanosleep return
     * EINTR whatever SA_RESTART says (signal(7)), and the engine's waits
     * are bounded (100 ms) with cli_stop checked after each. */
    struct sigaction sa = {.sa_handler = on_signal, .sa_flags = SA_RESTART};
    sigemptyset(&sa.sa_mask);
    (void)sigaction(SIGINT, &sa, NULL);
    (void)sigaction(SIGTERM, &sa, NULL);
    /* A reader that went away (`| head -1`) is seen as EPIPE on the write,
     * and each command decides what it means; death by SIGPIPE would lose
     * the summary and the exit code. */
    struct sigaction ign = {.sa_handler = SIG_IGN};
    sigemptyset(&ign.sa_mask);
    (void)sigaction(SIGPIPE, &ign, NULL);
}

bool cli_output_gone(FILE *f) {
    if (!ferror(f))
        return false;
    /* Nobody reads it any more: stop as on Ctrl-C. */
    cli_stop = 1;
    return true;
}

void cli_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    fflush(stdout);
    fprintf(stderr, "icmpring%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_exit_for(int code) {
    if (code >= 0)
        return EXIT_ALIVE;
    if (code == ICR_ENAMELOOKUP)
        return EXIT_LOOKUP;
    if (code == ICR_EINVAL || code == ICR_ESOCKADDR || code == ICR_ESOCKBROADCAST)
        return EXIT_USAGE;
    if (code == ICR_ETIMEOUT || icr_error_is(code, ICR_EICMP))
        return EXIT_DEAD;
    return EXIT_SYSTEM;
}

int cli_parse_double(const char *s, double min, double max, double *ret) {
    char *end;
    if (!s || !*s)
        return -1;
    /* A plain decimal number: digits, '.', an exponent, and a minus sign
     * only where the range has negative values.  strtod alone would also
     * take leading blanks, a '+', "nan", "inf" and hexadecimal floats. */
    const char *p = s;
    if (*p == '-' && min < 0)
        p++;
    if (!((*p >= '0' && *p <= '9') || *p == '.'))
        return -1;
    for (const char *q = p; *q; q++)
        if (!((*q >= '0' && *q <= '9') || *q == '.' || *q == 'e' || *q == 'E' || *q == '+' ||
              *q == '-'))
            return -1;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v) || v < min || v > max)
        return -1;
    *ret = v;
    return 0;
}

int cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *ret) {
    /* Decimal, or hexadecimal after 0x: the whole string, no blanks, no
     * sign (strtoull takes " -1" as 2^64-1), and no octal: a leading zero
     * is still decimal ("010" is 10). */
    unsigned base = 10;
    uint64_t v = 0;
    if (!s || !*s)
        return -1;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
        if (!*s)
            return -1;
    }
    for (; *s; s++) {
        unsigned d;
        if (*s >= '0' && *s <= '9')
            d = (unsigned)(*s - '0');
        else if (base == 16 && *s >= 'a' && *s <= 'f')
            d = (unsigned)(*s - 'a' + 10);
        else if (base == 16 && *s >= 'A' && *s <= 'F')
            d = (unsigned)(*s - 'A' + 10);
        else
            return -1;
        if (v > (UINT64_MAX - d) / base)
            return -1; /* overflow */
        v = v * base + d;
    }
    if (v < min || v > max)
        return -1;
    *ret = v;
    return 0;
}

int cli_bad_value(const char *cmd, const char *opt, const char *val, const char *range) {
    cli_error(cmd, "invalid value '%s' for %s (expected %s)", val, opt, range);
    return -1;
}

int cli_exclusive(const char *cmd, const char *opt, const char *other) {
    cli_error(cmd, "%s cannot be used with %s (give one of them)", opt, other);
    return -1;
}

int cli_check_host(const char *cmd, const char *name, int family) {
    if (icr_is_ipv4_address(name) || icr_is_ipv6_address(name)) {
        const bool v4 = icr_is_ipv4_address(name);
        if (family == AF_UNSPEC || family == (v4 ? AF_INET : AF_INET6))
            return 0;
        cli_error(cmd, "'%s' is an %s address, but %s asks for %s only", name,
                  v4 ? "IPv4" : "IPv6", v4 ? "-6" : "-4", v4 ? "IPv6" : "IPv4");
        return EXIT_USAGE;
    }
    if (!icr_is_hostname(name) && (strspn(name, "0123456789.") == strlen(name) ||
                                   strpbrk(name, ":/"))) {
        cli_error(cmd, "invalid host '%s': expected an IPv4 or IPv6 address or a host name",
                  name);
        return EXIT_USAGE;
    }
    return 0;
}

int cli_parse_format(const char *cmd, const char *s, enum cli_format *ret) {
    if (!strcmp(s, "text"))
        *ret = CLI_FMT_TEXT;
    else if (!strcmp(s, "csv"))
        *ret = CLI_FMT_CSV;
    else if (!strcmp(s, "ndjson"))
        *ret = CLI_FMT_NDJSON;
    else
        return cli_bad_value(cmd, "--format", s, "text, csv or ndjson");
    return 0;
}

int cli_parse_transport(const char *cmd, const char *s, int *ret) {
    if (!strcmp(s, "packet"))
        *ret = ICR_TRANSPORT_PACKET;
    else if (!strcmp(s, "raw"))
        *ret = ICR_TRANSPORT_RAW;
    else if (!strcmp(s, "dgram"))
        *ret = ICR_TRANSPORT_DGRAM;
    else if (!strcmp(s, "auto"))
        *ret = ICR_TRANSPORT_AUTO;
    else
        return cli_bad_value(cmd, "--transport", s, "packet, raw, dgram or auto");
    return 0;
}

int cli_parse_receive(const char *cmd, const char *s, unsigned *flags) {
    unsigned f = *flags & ~(ICR_SWEEP_RING_RECV | ICR_SWEEP_SOCKET_RECV);
    if (!strcmp(s, "ring"))
        f |= ICR_SWEEP_RING_RECV;
    else if (!strcmp(s, "socket"))
        f |= ICR_SWEEP_SOCKET_RECV;
    else if (strcmp(s, "auto") != 0)
        return cli_bad_value(cmd, "--receive", s, "ring, socket or auto");
    *flags = f;
    return 0;
}

int cli_check_transport(const char *cmd, int transport, int privilege) {
    if (transport == ICR_TRANSPORT_DGRAM && privilege == ICR_PRIVILEGED)
        return cli_exclusive(cmd, "--transport dgram", "--privileged");
    if ((transport == ICR_TRANSPORT_PACKET || transport == ICR_TRANSPORT_RAW) &&
        privilege == ICR_UNPRIVILEGED)
        return cli_exclusive(cmd, transport == ICR_TRANSPORT_RAW ? "--transport raw"
                                                                 : "--transport packet",
                             "--unprivileged");
    return 0;
}

const char *cli_transport_name(int transport) {
    switch (transport) {
    case ICR_TRANSPORT_PACKET: return "packet";
    case ICR_TRANSPORT_RAW: return "raw";
    case ICR_TRANSPORT_DGRAM: return "dgram";
    default: return "auto";
    }
}

const char *cli_receive_path(const struct icr_sweep_stats *st) {
    if (st->receive == ICR_RECEIVE_RING)
        return "packet ring";
    return st->backend == ICR_BACKEND_MMSG ? "batched" : st->multishot ? "multishot" : "one-shot";
}

int cli_help(const char *text) {
    fputs(text, stdout);
    return 1;
}

int cli_help2(const char *text, const char *more) {
    fputs(text, stdout);
    fputs(more, stdout);
    return 1;
}

int cli_version(const char *cmd) {
    printf("icmpring %s %s\n", cmd, icr_version());
    return 1;
}

int cli_getopt_error(const char *cmd, int opt, char *const *argv) {
    if (opt == ':')
        cli_error(cmd, "option '%s' needs a value (see --help)", argv[optind - 1]);
    else if (optopt)
        cli_error(cmd, "unknown option -%c (see --help)", optopt);
    else
        cli_error(cmd, "unknown option '%s' (see --help)", argv[optind - 1]);
    return -1;
}

int64_t cli_now_ns(void) {
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void cli_sleep_ns(int64_t ns) {
    if (ns <= 0)
        return;
    struct timespec ts = {.tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000};
    (void)nanosleep(&ts, NULL); /* EINTR: the caller checks cli_stop */
}

void cli_json_str(FILE *f, const char *s) {
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

void cli_csv_str(FILE *f, const char *s) {
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

void cli_put_ms(FILE *f, double v) {
    char buf[64];
    (void)snprintf(buf, sizeof(buf), "%.3f", v);
    size_t len = strlen(buf);
    while (len > 0 && buf[len - 1] == '0' && len >= 2 && buf[len - 2] != '.')
        buf[--len] = '\0';
    fputs(buf, f);
}

void cli_out_start(struct cli_out *o, FILE *f, bool quiet) {
    o->f = f;
    (void)setvbuf(f, NULL, _IOLBF, 0);
    o->status = !quiet && isatty(STDERR_FILENO);
    o->clear_status = o->status && isatty(fileno(f));
}

void cli_out_clear_status(struct cli_out *o) {
    if (o->clear_status && o->status_shown) {
        fputs("\r\033[K", stderr);
        o->status_shown = false;
    }
}

bool cli_out_failed(struct cli_out *o) {
    /* Line buffered: the line went out (or failed) with its '\n'. */
    if (!ferror(o->f))
        return false;
    o->write_errno = errno ? errno : EIO;
    return true;
}

void cli_status(struct cli_out *o, const char *fmt, ...) {
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    /* One fprintf: stderr is unbuffered, so the line goes out in one write. */
    fprintf(stderr, "\r%s\033[K", line);
    fflush(stderr);
    o->status_shown = true;
}

void cli_out_end(struct cli_out *o) {
    if (o->status_shown)
        fputs("\r\033[K", stderr);
    if (!o->write_errno && fflush(o->f) != 0)
        o->write_errno = errno ? errno : EIO;
}

int cli_run(const struct cli_job *j, struct cli_out *out, bool *stopped, enum cli_end *end) {
    int r;

    cli_catch_signals();
    const int64_t t0 = cli_now_ns();
    int64_t last_status = t0;
    *end = CLI_END_DONE;
    /* 100 ms: short enough for a prompt reaction to Ctrl-C and a status
     * line on the second, long enough not to spin; the engine wakes earlier
     * whenever it has completions or a rate token. */
    for (;;) {
        r = j->step(j->job, 100 * 1000000);
        if (r == -EINTR)
            r = 1; /* a signal woke the wait: cli_stop says whether to stop */
        if (j->after_step)
            j->after_step(j->userdata);
        if (r != 1)
            break;
        if (out->write_errno == EPIPE) {
            /* The reader went away (`| head -1`): nobody will read the
             * rest, so stop sending and skip the wait for replies. */
            j->stop(j->job);
            *end = CLI_END_GONE;
            break;
        }
        if (cli_stop) {
            cli_stop = 0;
            /* First signal: stop sending, wait for replies on their way.
             * Second: stop again, which ends that wait at once; the job
             * still hands over everything it has (hosts, routes) before
             * step() returns. */
            if (*stopped)
                *end = CLI_END_ABANDONED;
            *stopped = true;
            j->stop(j->job);
        }
        if (out->status) {
            const int64_t now = cli_now_ns();
            if (now - last_status >= 1000000000) {
                j->status(j->userdata, (double)(now - t0) / 1e9,
                          (double)(now - last_status) / 1e9);
                last_status = now;
            }
        }
    }
    return r;
}

int cli_run_exit(const char *cmd, const struct cli_out *out, int r, bool interrupted, bool all) {
    if (out->write_errno == EPIPE)
        return all ? EXIT_ALIVE : EXIT_DEAD;
    if (out->write_errno) {
        cli_error(cmd, "cannot write the results: %s", strerror(out->write_errno));
        return EXIT_SYSTEM;
    }
    if (r < 0 && r != ICR_ESTOPPED) {
        if (!cli_limit_error(cmd, r, "the job stopped"))
            cli_error(cmd, "%s", icr_strerror(r));
        return EXIT_SYSTEM;
    }
    if (interrupted || r == ICR_ESTOPPED)
        return EXIT_INTERRUPTED;
    return all ? EXIT_ALIVE : EXIT_DEAD;
}

int cli_drop_privileges(void) {
    /* The bounding set first: dropping from it needs CAP_SETPCAP, which the
     * capset below takes away.  Without CAP_SETPCAP (a binary with only
     * cap_net_raw+ep) EPERM on the first capability: leave the set as it is;
     * no_new_privs already keeps an execve from gaining anything.  EINVAL
     * from PR_CAPBSET_READ: past the last capability this kernel knows. */
    for (unsigned long cap = 0;; cap++) {
        int in = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
        if (in < 0)
            break;
        if (in && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
            if (errno == EPERM)
                break;
            return -errno;
        }
    }
    /* Ambient capabilities (Linux 4.3; EINVAL before, when there are none). */
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        return -errno;
    /* Effective, permitted and inheritable, on the calling thread: the
     * engine's helper sender is created by the first step, so it inherits
     * the empty sets.  Lowering one's own sets needs no privilege. */
    struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {{0}};
    if (syscall(SYS_capset, &hdr, data) < 0)
        return -errno;
    /* Linux 3.5: execve can no longer raise privileges (set-user-ID, file
     * capabilities, root's full sets); inherited by every thread after it. */
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return -errno;
    /* Trust, but read back: a security filter (seccomp) could have made a
     * call above "succeed" without doing anything. */
    if (syscall(SYS_capget, &hdr, data) < 0)
        return -errno;
    for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
        if (data[i].effective || data[i].permitted || data[i].inheritable)
            return -EPERM;
    if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
        return -EPERM;
    return 0;
}

int cli_privileges_dropped(const char *cmd) {
    int r = cli_drop_privileges();
    if (r == 0)
        return 0;
    /* The sockets are open and would work, but the promise of running
     * without privileges is not kept: refuse rather than run with them. */
    cli_error(cmd, "cannot drop privileges: %s", strerror(-r));
    return EXIT_SYSTEM;
}

/* "16", "unlimited", or "?" for a resource's soft limit. */
static const char *rlimit_text(int resource, char *buf, size_t n) {
    struct rlimit rl;
    if (getrlimit(resource, &rl) < 0)
        return "?";
    if (rl.rlim_cur == RLIM_INFINITY)
        return "unlimited";
    snprintf(buf, n, "%llu", (unsigned long long)rl.rlim_cur);
    return buf;
}

static bool rlimit_finite(int resource) {
    struct rlimit rl;
    return getrlimit(resource, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY;
}

void cli_report_drops(const char *cmd, const struct icr_sweep_stats *st) {
    if (!st || st->kernel_drops == 0)
        return;
    /* The engine asks for 32 MiB; the kernel doubles what it grants. */
    if (st->rcvbuf > 0 && st->rcvbuf < (64u << 20)) {
        char rmem[32] = "?";
        FILE *f = fopen("/proc/sys/net/core/rmem_max", "re");
        if (f) {
            if (!fgets(rmem, sizeof(rmem), f))
                snprintf(rmem, sizeof(rmem), "?");
            rmem[strcspn(rmem, "\n")] = 0;
            fclose(f);
        }
        cli_error(cmd,
                  "the kernel dropped %" PRIu64 " received packets, results may be incomplete: "
                  "the receive buffer is %" PRIu64 " bytes, capped by net.core.rmem_max (%s) "
                  "without CAP_NET_ADMIN: raise it (sysctl -w net.core.rmem_max=33554432) "
                  "or lower the rate (--rate)",
                  st->kernel_drops, st->rcvbuf, rmem);
    } else {
        cli_error(cmd,
                  "the kernel dropped %" PRIu64 " received packets (a full receive buffer, "
                  "or bad checksums), results may be incomplete: lower the rate (--rate)",
                  st->kernel_drops);
    }
}

bool cli_limit_error(const char *cmd, int r, const char *what) {
    char b1[32], b2[32], b3[32];
    if (r == -EMFILE) {
        cli_error(cmd, "too many open files (RLIMIT_NOFILE %s): %s: raise the limit (ulimit -n)",
                  rlimit_text(RLIMIT_NOFILE, b1, sizeof(b1)), what);
        return true;
    }
    if (r == -ENFILE) {
        cli_error(cmd, "too many open files in the system (fs.file-max): %s", what);
        return true;
    }
    if (r != -ENOMEM && r != ICR_ENOMEM)
        return false;
    /* io_uring rings are locked memory before Linux 5.12 (memcg since);
     * name every finite limit that can make an allocation fail. */
    if (rlimit_finite(RLIMIT_MEMLOCK) || rlimit_finite(RLIMIT_AS) || rlimit_finite(RLIMIT_DATA))
        cli_error(cmd, "out of memory (RLIMIT_MEMLOCK %s bytes, RLIMIT_AS %s, RLIMIT_DATA %s): "
                  "%s: raise the limit (ulimit -l, ulimit -v, ulimit -d)",
                  rlimit_text(RLIMIT_MEMLOCK, b1, sizeof(b1)),
                  rlimit_text(RLIMIT_AS, b2, sizeof(b2)),
                  rlimit_text(RLIMIT_DATA, b3, sizeof(b3)), what);
    else
        cli_error(cmd, "out of memory: %s", what);
    return true;
}

int cli_start_error(const char *cmd, int r, const char *start, const char *source_opt,
                    const char *source, int privilege) {
    /* Raw sockets need CAP_NET_RAW (EPERM); datagram ones a gid inside
     * net.ipv4.ping_group_range (EACCES): name the option asked for, and
     * every fix. */
    if (r == ICR_ESOCKPERM && privilege == ICR_PRIVILEGED)
        cli_error(cmd, "--privileged: no permission for raw ICMP sockets (they need CAP_NET_RAW): "
                  "run as root or give the binary cap_net_raw (setcap cap_net_raw+ep)");
    else if (r == ICR_ESOCKPERM && privilege == ICR_UNPRIVILEGED)
        cli_error(cmd, "--unprivileged: no permission for ICMP datagram sockets: allow your "
                  "group in net.ipv4.ping_group_range, or use raw sockets (root or "
                  "setcap cap_net_raw+ep)");
    else if (r == ICR_ESOCKPERM)
        cli_error(cmd, "no permission for ICMP sockets: run as root, give the binary "
                  "cap_net_raw (setcap cap_net_raw+ep), or allow your group in "
                  "net.ipv4.ping_group_range");
    else if (r == ICR_ESOCKADDR && source_opt)
        cli_error(cmd, "%s %s: %s", source_opt, source ? source : "", icr_strerror(r));
    else if (cli_limit_error(cmd, r, start))
        ;
    else
        cli_error(cmd, "%s: %s", start, icr_strerror(r));
    return r == ICR_ENOMEM ? EXIT_SYSTEM : cli_exit_for(r);
}

int cli_start_error_t(const char *cmd, int r, const char *start, const char *source_opt,
                      const char *source, int privilege, int transport) {
    /* A forced packet or raw transport: name that option, not the
     * privilege mode, which it overrides. */
    if (r == ICR_ESOCKPERM && (transport == ICR_TRANSPORT_PACKET || transport == ICR_TRANSPORT_RAW)) {
        cli_error(cmd, "--transport %s: no permission for %s (they need CAP_NET_RAW): run as "
                  "root or give the binary cap_net_raw (setcap cap_net_raw+ep)",
                  cli_transport_name(transport),
                  transport == ICR_TRANSPORT_PACKET ? "packet and raw sockets" : "raw ICMP sockets");
        return cli_exit_for(r);
    }
    return cli_start_error(cmd, r, start, source_opt, source, privilege);
}

void cli_put_host(FILE *f, const struct icr_host *h, bool json) {
    const char sep = json ? ',' : ';';
    fputs(json ? ",\"min_rtt\":" : ",", f);
    cli_put_ms(f, h->min_rtt);
    fputs(json ? ",\"avg_rtt\":" : ",", f);
    cli_put_ms(f, h->avg_rtt);
    fputs(json ? ",\"max_rtt\":" : ",", f);
    cli_put_ms(f, h->max_rtt);
    fputs(json ? ",\"rtts\":[" : ",", f);
    for (uint64_t k = 0; k < h->packets_received; k++) {
        if (k)
            fputc(sep, f);
        cli_put_ms(f, h->rtts[k]);
    }
    if (json)
        fprintf(f, "],\"packets_sent\":%" PRIu64 ",\"packets_received\":%" PRIu64
                ",\"packet_loss\":", h->packets_sent, h->packets_received);
    else
        fprintf(f, ",%" PRIu64 ",%" PRIu64 ",", h->packets_sent, h->packets_received);
    cli_put_ms(f, h->packet_loss);
    fputs(json ? ",\"jitter\":" : ",", f);
    cli_put_ms(f, h->jitter);
    fprintf(f, json ? ",\"is_alive\":%s" : ",%s", h->is_alive ? "true" : "false");
}

const char *cli_addr_format(const struct icr_addr *a, char *buf, size_t len) {
    if (!icr_addr_format(a, buf, len))
        (void)snprintf(buf, len, "?");
    return buf;
}

const char *cli_icmp_message(int family, int type, int code, char *buf, size_t len) {
    const char *msg = icr_icmp_message(family, type, code);
    if (msg)
        return msg;
    (void)snprintf(buf, len, "Error type: %d, code: %d", type, code);
    return buf;
}

int cli_read_hosts(const char *cmd, const char *path, char ***list, size_t *n, size_t *cap) {
    const bool is_stdin = !strcmp(path, "-");
    FILE *f = is_stdin ? stdin : fopen(path, "r");
    char *line = NULL;
    size_t len = 0;
    int ret = 0;

    if (!f) {
        cli_error(cmd, "cannot open '%s': %s", path, strerror(errno));
        return EXIT_SYSTEM;
    }
    while (getline(&line, &len, f) >= 0) {
        char *s = line, *e = strchr(line, '#');
        if (e)
            *e = '\0';
        while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
            s++;
        e = s + strlen(s);
        while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
            *--e = '\0';
        if (!*s)
            continue;
        if (*n == *cap) {
            size_t c = *cap ? *cap * 2 : 16;
            char **l = realloc(*list, c * sizeof(char *));
            if (!l) {
                ret = EXIT_SYSTEM;
                break;
            }
            *list = l;
            *cap = c;
        }
        if (!((*list)[*n] = strdup(s))) {
            ret = EXIT_SYSTEM;
            break;
        }
        (*n)++;
    }
    if (ret)
        cli_error(cmd, "%s", icr_strerror(ICR_ENOMEM));
    else if (ferror(f)) {
        cli_error(cmd, "%s: %s", is_stdin ? "<stdin>" : path, strerror(errno));
        ret = EXIT_SYSTEM;
    }
    free(line);
    if (!is_stdin)
        (void)fclose(f);
    return ret;
}
