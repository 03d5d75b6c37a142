/* peerfmt.h - the output lines of the tools whose format parsers already
 * read: iputils ping (Debian 12's iputils-ping 20221126), traceroute(8)
 * (Debian's traceroute 2.1.2) and fping 5.1.  Pure formatting: the lines,
 * the rounding and the integer arithmetic of those tools, facts taken from
 * their public sources and checked against their output in the lab
 * (tests/lab/test-peer-output.sh); none of their code is copied.
 * tests/test-peerfmt.c holds golden lines for every branch. */
#ifndef ICR_PEERFMT_H
#define ICR_PEERFMT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- iputils ping ------------------------------------------------------
 * Its statistics, kept as it keeps them: round trips in whole
 * microseconds, their sum and sum of squares in doubles, duplicates'
 * times counted in (they pass through the same path in iputils). */
struct pf_ping_stats {
    long ntransmitted, nreceived, nrepeats, nerrors;
    long tmin, tmax;    /* microseconds */
    double tsum, tsum2; /* microseconds, microseconds^2 */
    bool timing;        /* the payload holds a timestamp (>= 16 bytes): times shown */
    long pipesize;      /* the most probes in flight when a reply came (pf_ping_pipe) */
    long rtt;           /* iputils' moving average of the round trip: 8 x us */
    bool ipg;           /* interval 0: the summary ends with "ipg/ewma G/E ms" */
};
#define PF_PING_STATS_INIT {.tmin = LONG_MAX, .timing = true}

/* One echo reply's round trip, `dup` or not, into the statistics (the
 * caller counts nreceived and nrepeats itself). */
void pf_ping_add_rtt(struct pf_ping_stats *s, long rtt_us);

/* An echo reply (duplicate or not) came while `in_flight` probes, its own
 * included, were out: sent so far minus its sequence, plus one.  The
 * summary says ", pipe N" once that was more than one, as iputils. */
void pf_ping_pipe(struct pf_ping_stats *s, long in_flight);

/* "PING host (addr) 56(84) bytes of data." (IPv4) or
 * "PING host(addr) 56 data bytes" (IPv6); with a source address
 * "from SRC : " before the sizes, as iputils prints for -I ADDR. */
void pf_ping_header(FILE *f, int family, const char *host, const char *addr, const char *source,
                    size_t datalen);

/* "64 bytes from ADDR: icmp_seq=N ttl=T time=0.041 ms (DUP!)" and its
 * newline.  rtt_us < 0: no time (payloads below 16 bytes); ttl < 0: no
 * ttl (unknown); `dup_mark` false for broadcast duplicates, which
 * iputils does not mark.  `seq` is printed as iputils does, modulo 2^16.
 * `suffix` (or NULL) goes before the newline. */
void pf_ping_reply(FILE *f, size_t bytes, const char *from, uint64_t seq, int ttl, long rtt_us,
                   bool dup_mark, const char *suffix);

/* iputils' sentence for an ICMP error (pr_icmph for IPv4, print_icmp for
 * IPv6), e.g. "Destination Host Unreachable", "Time exceeded: Hop limit".
 * `info` is the MTU / pointer the sentence shows for the types that carry
 * one (0 when unknown).  Returns buf. */
const char *pf_ping_error_text(int family, int type, int code, uint32_t info, char *buf,
                               size_t len);

/* "From ROUTER icmp_seq=N SENTENCE" and its newline; `info` as for
 * pf_ping_error_text (the MTU of a result or reply, struct icr_result.mtu). */
void pf_ping_error(FILE *f, const char *from, uint64_t seq, int family, int type, int code,
                   uint32_t info);

/* The summary iputils' finish() prints: a blank line, "--- host ping
 * statistics ---", the counts line (+N duplicates, +N errors, loss as
 * %g of a float, "time Nms"), then "rtt min/avg/max/mdev = ..." when a
 * reply was timed, ", pipe N" and (s->ipg, more than one probe sent)
 * ", ipg/ewma G/E ms" - the mean gap between sends over time_ns and the
 * moving average of the RTT -, then a newline (alone when that line has
 * nothing). */
void pf_ping_summary(FILE *f, const char *host, const struct pf_ping_stats *s, int64_t time_ns);

/* ---- traceroute(8) ------------------------------------------------------ */

/* "traceroute to HOST (ADDR), 30 hops max, 60 byte packets" and its
 * newline. */
void pf_trace_header(FILE *f, const char *host, const char *addr, int max_hops,
                     size_t packet_len);

/* " ADDR" (numeric) or " NAME (ADDR)", traceroute's print_addr: NAME is
 * the reverse lookup, or ADDR itself when there is none. */
void pf_trace_addr(FILE *f, const char *addr, const char *name);

/* ---- fping ---------------------------------------------------------------- */

/* fping's sprint_tm: a round trip in ns as ms with 3, 2, 1 or 0 decimals
 * by its size (0.041, 1.23, 12.3, 123).  Returns buf (>= 16 bytes). */
const char *pf_fping_tm(int64_t ns, char *buf, size_t len);

/* fping's "MIN/AVG/MAX" of a host's RTTs, given in ms (the library's
 * unit): each back in whole ns, the mean truncated in ns, each through
 * pf_fping_tm - from the RTTs themselves, not from icmplib's min/max
 * rounded to 3 decimals (1.23451 ms is fping's "1.23", its round(.., 3)
 * 1.235 would print "1.24").  n > 0.  Returns buf (>= 48 bytes). */
const char *pf_fping_min_avg_max(const double *rtts_ms, size_t n, char *buf, size_t len);

/* ---- names ------------------------------------------------------------------ */

/* The reverse lookup iputils ping and traceroute print beside an address:
 * getnameinfo() without NI_NAMEREQD, so an address without a name gives
 * its numeric form ("198.51.100.6 (198.51.100.6)").  Fills buf (empty
 * when the lookup fails outright) and returns it.  Not pure: it asks the
 * resolver (files, then DNS). */
struct icr_addr;
const char *pf_reverse_name(const struct icr_addr *a, char *buf, size_t len);

#endif
