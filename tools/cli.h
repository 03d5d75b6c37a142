/* cli.h - what the subcommands of the icmpring tool share: exit codes,
 * one-line error messages, strict option parsing, the Ctrl-C flag. */
#ifndef ICR_CLI_H
#define ICR_CLI_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "icmpring.h"

/* Exit codes (fping's convention), documented in README and --help. */
enum {
    EXIT_ALIVE = 0,       /* ping: some reply; sweep: every target alive */
    EXIT_DEAD = 1,        /* ping: no reply or only errors; sweep: some target silent */
    EXIT_LOOKUP = 2,      /* a name lookup failed */
    EXIT_USAGE = 3,       /* bad arguments */
    EXIT_SYSTEM = 4,      /* system error: permission, socket, memory */
    EXIT_INTERRUPTED = 130, /* sweep stopped by SIGINT/SIGTERM, results flushed */
    /* A reader of the output that went away (EPIPE) is no error: the
     * command stops and exits 0 or 1 by what it received. */
};

#define CLI_EXIT_CODES_HELP                                                                  \
    "Exit codes: 0 success, 1 no (or not every) host answered, 2 name lookup failed,\n"      \
    "            3 bad arguments, 4 system error (permission, socket, memory, interface down)"

/* The tool's only mutable global state: set by the SIGINT/SIGTERM handler. */
extern volatile sig_atomic_t cli_stop;
extern volatile sig_atomic_t cli_stop_signal;

/* Install the SIGINT/SIGTERM handler with SA_RESTART (a write blocked on a
 * full pipe resumes; ppoll/nanosleep still return EINTR, and the engine's
 * waits are bounded, so the loops notice cli_stop promptly), and ignore
 * SIGPIPE: a closed output shows as a write error (EPIPE) instead. */
void cli_catch_signals(void);

/* ping: whether stdout can no longer be written (its reader went away);
 * if so, sets cli_stop so the loop ends as on Ctrl-C. */
bool cli_output_gone(FILE *f);

/* Print "icmpring CMD: MESSAGE" on stderr, one line. */
void cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Map a library error code to an exit code. */
int cli_exit_for(int code);

/* Strict number parsing: the whole string, in [min, max]; 0, or -1 with
 * *ret untouched.  No blanks anywhere, no '+'.
 * u64: decimal, or hexadecimal after 0x/0X; a leading zero is still
 *      decimal ("010" is 10: there is no octal); no sign; no overflow.
 * double: decimal digits with an optional fraction and exponent ("0.5",
 *      ".5", "1e-3"); a '-' only when min < 0; no nan, inf or hexadecimal
 *      floats; a value that overflows or underflows is refused. */
int cli_parse_double(const char *s, double min, double max, double *ret);
int cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *ret);

/* Option parsing: one-line messages naming cmd. */
/* "invalid value 'VAL' for OPT (expected RANGE)"; returns -1. */
int cli_bad_value(const char *cmd, const char *opt, const char *val, const char *range);

/* "OPT cannot be used with OTHER (give one of them)"; returns -1.  For
 * -4/-6 and --privileged/--unprivileged given together. */
int cli_exclusive(const char *cmd, const char *opt, const char *other);

/* A HOST operand before any lookup: 0, or EXIT_USAGE after one line when
 * it is an address of the other family than -4/-6 asked for (family:
 * AF_INET, AF_INET6 or AF_UNSPEC), or looks like an address (digits and
 * dots, a ':' or a '/') without being one or a host name. */
int cli_check_host(const char *cmd, const char *name, int family);

/* --format: text, csv or ndjson. */
enum cli_format { CLI_FMT_TEXT, CLI_FMT_CSV, CLI_FMT_NDJSON };
/* 0, or -1 after cli_bad_value's message. */
int cli_parse_format(const char *cmd, const char *s, enum cli_format *ret);

/* -h / -V: the help text, or "icmpring CMD VERSION", on stdout; return 1
 * (parse_args' "nothing more to do, exit 0"). */
/* --transport packet|raw|dgram|auto into an enum icr_transport; a bad
 * value: the message, and -1. */
int cli_parse_transport(const char *cmd, const char *s, int *ret);
/* A transport that contradicts --privileged / --unprivileged: the message
 * (as cli_exclusive) and -1; else 0. */
int cli_check_transport(const char *cmd, int transport, int privilege);
/* "packet", "raw", "dgram" (the summaries' word for stats.transport). */
const char *cli_transport_name(int transport);
/* --receive ring|socket|auto into ICR_SWEEP_RING_RECV / ICR_SWEEP_SOCKET_RECV
 * of *flags (auto: neither).  0, or -1 after a message. */
int cli_parse_receive(const char *cmd, const char *s, unsigned *flags);
/* The summary's "receive path": packet ring, multishot, one-shot or batched. */
const char *cli_receive_path(const struct icr_sweep_stats *st);
int cli_help(const char *text);
/* cli_help for a text kept in two literals (each under C99's 4095 bytes). */
int cli_help2(const char *text, const char *more);
int cli_version(const char *cmd);

/* The error tail of a getopt_long loop (optstring with a leading ':'): opt
 * is what it returned, ':' for a missing value, anything else an unknown
 * option.  Returns -1. */
int cli_getopt_error(const char *cmd, int opt, char *const *argv);

/* Nanoseconds of CLOCK_MONOTONIC. */
int64_t cli_now_ns(void);

/* Sleep up to ns; returns early on a signal. */
void cli_sleep_ns(int64_t ns);

/* Output helpers shared by sweep, multiping and traceroute. */
/* A JSON string, escaped as JSON requires (addresses are plain ASCII, but a
 * zone is an interface name, which may hold almost any byte). */
void cli_json_str(FILE *f, const char *s);
/* A CSV field, quoted (RFC 4180) only when it must be. */
void cli_csv_str(FILE *f, const char *s);
/* A number of ms as Python prints a value rounded to 3 decimals:
 * "0.031", "1.5", "0.0" (%.3f without its trailing zeros). */
void cli_put_ms(FILE *f, double v);
/* icmplib's Host properties after the address: min_rtt, avg_rtt, max_rtt,
 * rtts, packets_sent, packets_received, packet_loss, jitter, is_alive, each
 * after its separator: ',"name":' in JSON, ',' in CSV (rtts joined by ';'). */
void cli_put_host(FILE *f, const struct icr_host *h, bool json);
/* An address into buf ("?" if it cannot be written); returns buf. */
const char *cli_addr_format(const struct icr_addr *a, char *buf, size_t len);
/* icmplib's message for an ICMP error, or its generic "Error type: T, code:
 * C" (written into buf) for a type without one. */
const char *cli_icmp_message(int family, int type, int code, char *buf, size_t len);

/* Where sweep, multiping and traceroute write their results, and the
 * status line they keep on stderr while it is a terminal. */
struct cli_out {
    FILE *f;
    bool status;       /* a status line is wanted: not -q, stderr a terminal */
    bool status_shown; /* it is on screen now */
    bool clear_status; /* the results go to that terminal too: erase it first */
    int write_errno;   /* the first write error (EPIPE: the reader went away) */
};

/* Line-buffer f (a consumer, a pipe or tail -f, sees each result as it
 * comes) and decide on the status line: only on a terminal (in a log it
 * would be a stream of \r-joined lines); when the results go to that
 * terminal too, each result first erases it so the two do not mix. */
void cli_out_start(struct cli_out *o, FILE *f, bool quiet);
/* Before a result: erase the status line if it shares the terminal. */
void cli_out_clear_status(struct cli_out *o);
/* After a result: whether writing it failed (the error is kept). */
bool cli_out_failed(struct cli_out *o);
/* Redraw the status line in place (\r, the line, erase to its end). */
void cli_status(struct cli_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* At the end: erase the status line, flush f and keep its error. */
void cli_out_end(struct cli_out *o);

/* The job of sweep, multiping or traceroute, as the step loop drives it. */
struct cli_job {
    void *job;
    int (*step)(void *job, int64_t timeout_ns); /* icr_*_step */
    void (*stop)(void *job);                    /* icr_*_stop */
    void (*after_step)(void *userdata);         /* after each step, or NULL */
    /* The status line, once a second while out->status: seconds since the
     * loop began and since the last call. */
    void (*status)(void *userdata, double elapsed, double dt);
    void *userdata;
};

/* How the step loop ended. */
enum cli_end {
    CLI_END_DONE,      /* the job is done (or failed): the step's code */
    CLI_END_GONE,      /* the reader of the output went away (EPIPE): stopped */
    CLI_END_ABANDONED, /* a second Ctrl-C: the rest of the wait skipped */
};

/* Step the job until it is done.  A first SIGINT/SIGTERM sets *stopped and
 * stops the job (what is in flight still comes in); a second one, or EPIPE on
 * the output, ends the loop at once.  Returns the last step's code and says
 * in *end how the loop ended. */
int cli_run(const struct cli_job *j, struct cli_out *out, bool *stopped, enum cli_end *end);

/* The exit code of multiping and traceroute after cli_run: a failed write,
 * a failed job, an interruption, else whether every target answered (all).
 * EPIPE is no error: the exit code says what was received before it. */
int cli_run_exit(const char *cmd, const struct cli_out *out, int r, bool interrupted, bool all);

/* Once the job's sockets are open, give up what opened them, as iputils
 * ping does: every capability (effective, permitted, inheritable, ambient,
 * and the bounding set where CAP_SETPCAP allows), then PR_SET_NO_NEW_PRIVS.
 * The open raw sockets keep working; root stays uid 0 with no capability.
 * Call it before the first step (the first packet parsed), on the thread
 * that steps the job, before any other thread exists.  0 or -errno (-EPERM
 * also when the sets read back are not empty). */
int cli_drop_privileges(void);
/* cli_drop_privileges, or a one-line message naming cmd: 0 or EXIT_SYSTEM. */
int cli_privileges_dropped(const char *cmd);

/* When r is a resource limit's error (-EMFILE, -ENFILE, -ENOMEM, ICR_ENOMEM):
 * one line naming the limit and its value, e.g. "too many open files
 * (RLIMIT_NOFILE 16): WHAT: raise the limit (ulimit -n)", and true;
 * otherwise nothing and false. */
bool cli_limit_error(const char *cmd, int r, const char *what);

/* When the kernel dropped received packets (st->kernel_drops > 0: a full
 * buffer, or an ICMPv6 checksum the kernel rejected): one line on stderr,
 * also under -q, saying how many and that results may be incomplete; when
 * the receive buffer was capped (st->rcvbuf below what the engine asks
 * for), it names net.core.rmem_max, its value and the fix. */
void cli_report_drops(const char *cmd, const struct icr_sweep_stats *st);

/* After a failed icr_*_new: a one-line message (start: its beginning, as
 * "cannot start"; source_opt: the option that names a source address, for
 * ICR_ESOCKADDR, or NULL; privilege: enum icr_privilege, named for
 * ICR_ESOCKPERM) with a hint for the usual system failures.
 * Returns the exit code. */
int cli_start_error(const char *cmd, int r, const char *start, const char *source_opt,
                    const char *source, int privilege);
/* cli_start_error, but a forced --transport packet|raw that lacks
 * CAP_NET_RAW is named as such. */
int cli_start_error_t(const char *cmd, int r, const char *start, const char *source_opt,
                      const char *source, int privilege, int transport);

/* Read one host a line from path ('-' = stdin; '#' starts a comment, blank
 * lines skipped), appending strdup'ed names to *list (*n, *cap).  0, or an
 * exit code after a one-line message naming cmd. */
int cli_read_hosts(const char *cmd, const char *path, char ***list, size_t *n, size_t *cap);

/* The target arguments of sweep and traceroute (targets-cli.c): TARGETS...,
 * -f FILE, -4/-6 and, for sweep, --exclude SPEC, --exclude-file FILE and
 * --keep-netbcast (getopt_long values below), made into an icr_targets set. */
enum { CLI_OPT_EXCLUDE = 0x1000, CLI_OPT_EXCLUDE_FILE, CLI_OPT_KEEP_NETBCAST };

struct cli_targets {
    const char *cmd;         /* named in the messages */
    unsigned flags;          /* ICR_TARGETS_* */
    bool brief_line_errors;  /* a bad line of a file: traceroute's shorter message */
    /* The entries, in argv order; they point into argv. */
    const char **targets, **files, **excludes, **exclude_files;
    size_t n_targets, n_files, n_excludes, n_exclude_files;
};

/* Room for argc entries of each kind.  0, or -1 after a message. */
int cli_targets_init(struct cli_targets *ta, const char *cmd, int argc);
void cli_targets_free(struct cli_targets *ta);
/* Before cli_targets_option: -1 after a message if opt is -4 after -6 or
 * -6 after -4, else 0. */
int cli_targets_family_conflict(const struct cli_targets *ta, int opt);
/* Take opt (getopt_long's value) if it is one of the options above. */
bool cli_targets_option(struct cli_targets *ta, int opt, const char *arg);
/* The operands after getopt_long's loop (from optind) are targets. */
void cli_targets_operands(struct cli_targets *ta, int argc, char **argv);
/* 0 if some target or file was given, else -1 after "no targets given". */
int cli_targets_given(const struct cli_targets *ta);
/* A new set in *ret (the caller frees it) with every entry added, then the
 * exclusions taken out.  0, or an exit code after a one-line message; empty
 * is the message for a set left empty. */
int cli_targets_build(const struct cli_targets *ta, const char *empty, icr_targets **ret);

int cmd_ping(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_multiping(int argc, char **argv);
int cmd_traceroute(int argc, char **argv);

#endif
