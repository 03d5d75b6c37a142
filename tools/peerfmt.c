/* peerfmt.c - iputils ping's, traceroute(8)'s and fping's output lines
 * (see peerfmt.h).  The formats, thresholds and integer arithmetic follow
 * iputils 20221126 (ping/ping_common.c gather_statistics() and finish(),
 * ping/ping.c pr_icmph(), ping/ping6_common.c print_icmp()), traceroute
 * 2.1.2 (print_header, print_addr, print_probe) and fping 5.1
 * (sprint_tm, print_per_system_stats): facts of their public sources,
 * written anew here. */
#include "peerfmt.h"

#include <math.h>
#include <netinet/in.h>
#include <netdb.h>
#include <sys/socket.h>

#include "icmpring.h"

void pf_ping_add_rtt(struct pf_ping_stats *s, long rtt_us) {
    s->tsum += (double)rtt_us;
    s->tsum2 += (double)((long long)rtt_us * (long long)rtt_us);
    if (rtt_us < s->tmin)
        s->tmin = rtt_us;
    if (rtt_us > s->tmax)
        s->tmax = rtt_us;
    /* iputils' ewma: 8 x the RTT, each new one weighing 1/8. */
    if (!s->rtt)
        s->rtt = rtt_us * 8;
    else
        s->rtt += rtt_us - s->rtt / 8;
}

void pf_ping_pipe(struct pf_ping_stats *s, long in_flight) {
    if (in_flight > s->pipesize)
        s->pipesize = in_flight;
}

void pf_ping_header(FILE *f, int family, const char *host, const char *addr, const char *source,
                    size_t datalen) {
    /* IPv4 puts a blank between the name and "(addr)", IPv6 does not; the
     * device part of "from SRC DEV: " is empty for an address (-I ADDR). */
    if (family == AF_INET6)
        fprintf(f, "PING %s(%s) ", host, addr);
    else
        fprintf(f, "PING %s (%s) ", host, addr);
    if (source)
        fprintf(f, "from %s : ", source);
    if (family == AF_INET6)
        fprintf(f, "%zu data bytes\n", datalen);
    else /* + ICMP header 8 + IPv4 header 20 (no IP options) */
        fprintf(f, "%zu(%zu) bytes of data.\n", datalen, datalen + 8 + 20);
}

void pf_ping_reply(FILE *f, size_t bytes, const char *from, uint64_t seq, int ttl, long rtt_us,
                   bool dup_mark, const char *suffix) {
    /* The sequence is the ICMP header's 16 bits: iputils prints 65535,
     * then 0. */
    fprintf(f, "%zu bytes from %s: icmp_seq=%u", bytes, from, (unsigned)(uint16_t)seq);
    if (ttl >= 0)
        fprintf(f, " ttl=%d", ttl);
    /* Fewer decimals as the time grows, rounded (not truncated) there. */
    if (rtt_us >= 100000 - 50)
        fprintf(f, " time=%ld ms", (rtt_us + 500) / 1000);
    else if (rtt_us >= 10000 - 5)
        fprintf(f, " time=%ld.%01ld ms", (rtt_us + 50) / 1000, ((rtt_us + 50) % 1000) / 100);
    else if (rtt_us >= 1000)
        fprintf(f, " time=%ld.%02ld ms", (rtt_us + 5) / 1000, ((rtt_us + 5) % 1000) / 10);
    else if (rtt_us >= 0)
        fprintf(f, " time=%ld.%03ld ms", rtt_us / 1000, rtt_us % 1000);
    if (dup_mark)
        fputs(" (DUP!)", f);
    if (suffix)
        fputs(suffix, f);
    fputc('\n', f);
}

static const char *v4_unreach[16] = {
    "Destination Net Unreachable",
    "Destination Host Unreachable",
    "Destination Protocol Unreachable",
    "Destination Port Unreachable",
    NULL, /* 4: "Frag needed and DF set (mtu = N)" */
    "Source Route Failed",
    "Destination Net Unknown",
    "Destination Host Unknown",
    "Source Host Isolated",
    "Destination Net Prohibited",
    "Destination Host Prohibited",
    "Destination Net Unreachable for Type of Service",
    "Destination Host Unreachable for Type of Service",
    "Packet filtered",
    "Precedence Violation",
    "Precedence Cutoff",
};

static const char *v4_text(int type, int code, uint32_t info, char *buf, size_t len) {
    switch (type) {
    case 0: return "Echo Reply";
    case 3:
        if (code == 4)
            (void)snprintf(buf, len, "Frag needed and DF set (mtu = %u)", info);
        else if (code >= 0 && code < 16)
            return v4_unreach[code];
        else
            (void)snprintf(buf, len, "Dest Unreachable, Bad Code: %d", code);
        return buf;
    case 4: return "Source Quench";
    case 5:
        /* iputils adds "(New nexthop: GATEWAY)", which an error result
         * does not carry; the engine never reports redirects anyway. */
        switch (code) {
        case 0: return "Redirect Network";
        case 1: return "Redirect Host";
        case 2: return "Redirect Type of Service and Network";
        case 3: return "Redirect Type of Service and Host";
        default: (void)snprintf(buf, len, "Redirect, Bad Code: %d", code); return buf;
        }
    case 8: return "Echo Request";
    case 11:
        if (code == 0)
            return "Time to live exceeded";
        if (code == 1)
            return "Frag reassembly time exceeded";
        (void)snprintf(buf, len, "Time exceeded, Bad Code: %d", code);
        return buf;
    case 12: (void)snprintf(buf, len, "Parameter problem: pointer = %u", info); return buf;
    case 13: return "Timestamp";
    case 14: return "Timestamp Reply";
    case 15: return "Information Request";
    case 16: return "Information Reply";
    case 17: return "Address Mask Request";
    case 18: return "Address Mask Reply";
    default: (void)snprintf(buf, len, "Bad ICMP type: %d", type); return buf;
    }
}

static const char *v6_text(int type, int code, uint32_t info, char *buf, size_t len) {
    static const char *unreach[] = {"No route", "Administratively prohibited",
                                     "Beyond scope of source address", "Address unreachable",
                                     "Port unreachable"};
    switch (type) {
    case 1:
        if (code >= 0 && code < 5)
            (void)snprintf(buf, len, "Destination unreachable: %s", unreach[code]);
        else
            (void)snprintf(buf, len, "Destination unreachable: Unknown code %d", code);
        return buf;
    case 2:
        if (code)
            (void)snprintf(buf, len, "Packet too big: mtu=%u, code=%d", info, code);
        else
            (void)snprintf(buf, len, "Packet too big: mtu=%u", info);
        return buf;
    case 3:
        if (code == 0)
            return "Time exceeded: Hop limit";
        if (code == 1)
            return "Time exceeded: Defragmentation failure";
        (void)snprintf(buf, len, "Time exceeded: code %d", code);
        return buf;
    case 4: {
        static const char *what[] = {"Wrong header field ", "Unknown header ", "Unknown option "};
        if (code >= 0 && code < 3)
            (void)snprintf(buf, len, "Parameter problem: %sat %u", what[code], info);
        else
            (void)snprintf(buf, len, "Parameter problem: code %d at %u", code, info);
        return buf;
    }
    case 128: return "Echo request";
    case 129: return "Echo reply";
    case 130: return "MLD Query";
    case 131: return "MLD Report";
    case 132: return "MLD Reduction";
    default: (void)snprintf(buf, len, "unknown icmp type: %u", (unsigned)type); return buf;
    }
}

const char *pf_ping_error_text(int family, int type, int code, uint32_t info, char *buf,
                               size_t len) {
    return family == AF_INET6 ? v6_text(type, code, info, buf, len)
                              : v4_text(type, code, info, buf, len);
}

void pf_ping_error(FILE *f, const char *from, uint64_t seq, int family, int type, int code,
                   uint32_t info) {
    char buf[96];
    fprintf(f, "From %s icmp_seq=%u %s\n", from, (unsigned)(uint16_t)seq,
            pf_ping_error_text(family, type, code, info, buf, sizeof(buf)));
}

/* iputils' integer square root (Newton's method on long long). */
static long llsqrt(long long a) {
    long long prev = LLONG_MAX, x = a;
    if (x > 0) {
        while (x < prev) {
            prev = x;
            x = (x + (a / x)) / 2;
        }
    }
    return (long)x;
}

void pf_ping_summary(FILE *f, const char *host, const struct pf_ping_stats *s, int64_t time_ns) {
    fprintf(f, "\n--- %s ping statistics ---\n", host);
    fprintf(f, "%ld packets transmitted, %ld received", s->ntransmitted, s->nreceived);
    if (s->nrepeats)
        fprintf(f, ", +%ld duplicates", s->nrepeats);
    if (s->nerrors)
        fprintf(f, ", +%ld errors", s->nerrors);
    if (s->ntransmitted) {
        /* A float, then %g: 1 of 3 lost is "33.3333%". */
        float loss = (float)(((long long)(s->ntransmitted - s->nreceived) * 100.0) /
                             (double)s->ntransmitted);
        fprintf(f, ", %g%% packet loss", (double)loss);
        fprintf(f, ", time %ldms", (long)((time_ns < 0 ? 0 : time_ns) + 500000) / 1000000);
    }
    fputc('\n', f);
    const char *comma = "";
    if (s->nreceived && s->timing) {
        /* Duplicates' times are in the sums, so they count in the mean. */
        long total = s->nreceived + s->nrepeats;
        long tmavg = (long)(s->tsum / (double)total);
        long long tmvar;
        /* iputils' order of operations, kept for its rounding. */
        if (s->tsum < INT_MAX)
            tmvar = (long long)((s->tsum2 - ((s->tsum * s->tsum) / (double)total)) /
                                (double)total);
        else
            tmvar = (long long)((s->tsum2 / (double)total) - (double)(tmavg * tmavg));
        long tmdev = llsqrt(tmvar);
        fprintf(f, "rtt min/avg/max/mdev = %ld.%03ld/%lu.%03ld/%ld.%03ld/%ld.%03ld ms",
                s->tmin / 1000, s->tmin % 1000, (unsigned long)(tmavg / 1000), tmavg % 1000,
                s->tmax / 1000, s->tmax % 1000, tmdev / 1000, tmdev % 1000);
        comma = ", ";
    }
    if (s->pipesize > 1) {
        fprintf(f, "%spipe %ld", comma, s->pipesize);
        comma = ", ";
    }
    if (s->nreceived && s->ipg && s->ntransmitted > 1) {
        /* The mean gap between sends, in whole microseconds. */
        const long ipg = (long)((time_ns < 0 ? 0 : time_ns) / 1000 / (s->ntransmitted - 1));
        fprintf(f, "%sipg/ewma %ld.%03ld/%ld.%03ld ms", comma, ipg / 1000, ipg % 1000,
                s->rtt / 8000, (s->rtt / 8) % 1000);
    }
    fputc('\n', f);
}

void pf_trace_header(FILE *f, const char *host, const char *addr, int max_hops,
                     size_t packet_len) {
    fprintf(f, "traceroute to %s (%s), %d hops max, %zu byte packets\n", host, addr, max_hops,
            packet_len);
}

void pf_trace_addr(FILE *f, const char *addr, const char *name) {
    if (name)
        fprintf(f, " %s (%s)", *name ? name : addr, addr);
    else
        fprintf(f, " %s", addr);
}

const char *pf_fping_tm(int64_t ns, char *buf, size_t len) {
    double t = (double)ns / 1e6;
    if (t < 0.0)
        (void)snprintf(buf, len, "%.2g", t);
    else if (t < 1.0)
        (void)snprintf(buf, len, "%.3f", t);
    else if (t < 10.0)
        (void)snprintf(buf, len, "%.2f", t);
    else if (t < 100.0)
        (void)snprintf(buf, len, "%.1f", t);
    else if (t < 1000000.0)
        (void)snprintf(buf, len, "%.0f", t);
    else
        (void)snprintf(buf, len, "%.3e", t);
    return buf;
}

const char *pf_fping_min_avg_max(const double *rtts_ms, size_t n, char *buf, size_t len) {
    int64_t mn = INT64_MAX, mx = INT64_MIN, sum = 0;
    char a[24], b[24], c[24];
    for (size_t k = 0; k < n; k++) {
        const int64_t ns = llround(rtts_ms[k] * 1e6);
        mn = ns < mn ? ns : mn;
        mx = ns > mx ? ns : mx;
        sum += ns;
    }
    (void)snprintf(buf, len, "%s/%s/%s", pf_fping_tm(mn, a, sizeof(a)),
                   pf_fping_tm(n ? sum / (int64_t)n : 0, b, sizeof(b)),
                   pf_fping_tm(mx, c, sizeof(c)));
    return buf;
}

const char *pf_reverse_name(const struct icr_addr *a, char *buf, size_t len) {
    struct sockaddr_storage ss;
    buf[0] = '\0';
    if (icr_addr_to_sockaddr(a, &ss) < 0)
        return buf;
    const socklen_t sl = ss.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                   : sizeof(struct sockaddr_in);
    if (getnameinfo((const struct sockaddr *)&ss, sl, buf, (socklen_t)len, NULL, 0, 0) != 0)
        buf[0] = '\0';
    return buf;
}
