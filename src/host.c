/* host.c - owns icmplib's Host and Hop in C: the derived statistics of a
 * host (min/avg/max RTT, packet loss, jitter, is_alive) computed exactly as
 * icmplib 3.0.4's models.py does, Python's round() included; freeing the
 * hosts and hops the blocking calls return; and traceroute(8)'s marks for
 * the errors that end a route.
 *
 * Pure: no sockets, no allocation, no mutable state; every function is
 * thread-safe and every string returned is static. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "icmpring.h"

/* Python's round(x, ndigits) for a float, exactly.  CPython's
 * float.__round__ (double_round in Objects/floatobject.c) asks dtoa for
 * the exact binary value of x rounded to ndigits decimals, half to even,
 * and reads the decimal string back with strtod.  glibc's printf also
 * converts the exact binary value, correctly rounded in the current
 * rounding mode (to nearest, ties to even), so "%.*f" then strtod() gives
 * the same double.  The sign is kept as Python keeps it: round(-0.0001, 3)
 * is -0.0 in Python, and so it is here.  The buffer is on the stack: the
 * longest "%.3f" of a finite double is a sign, 309 digits, a point and 3
 * decimals.  Both calls use LC_NUMERIC, so a locale with a decimal comma
 * round-trips too. */
static double py_round(double x, int ndigits)
{
    char buf[330];

    if (!isfinite(x) || x == 0.0)
        return x; /* Python returns inf, nan and +-0.0 unchanged */
    if (snprintf(buf, sizeof(buf), "%.*f", ndigits, x) >= (int)sizeof(buf))
        return x; /* cannot happen for ndigits <= 3 */
    return strtod(buf, NULL);
}

ICR_EXPORT int icr_host_stats(struct icr_host *h, const double *rtts, size_t nrtts)
{
    if (h == NULL || (rtts == NULL && nrtts > 0))
        return ICR_EINVAL;

    h->packets_received = nrtts;
    h->is_alive = nrtts > 0;

    if (nrtts == 0) {
        h->min_rtt = h->avg_rtt = h->max_rtt = 0.0;
    } else {
        /* min() and max() keep the first of equal items and compare with
         * '<' / '>' only: min([0.0, -0.0]) is 0.0, min([nan, 1.0]) is nan
         * and min([1.0, nan]) is 1.0; fmin() would differ. */
        double mn = rtts[0], mx = rtts[0];
        /* sum(): Python <= 3.11 adds left to right from the int 0, which
         * is what this loop does (0 + x is x, and 0 + -0.0 is 0.0).
         * Python 3.12 made sum() of floats compensated (Neumaier), so on
         * 3.12+ icmplib can differ in the last bit, and then rarely after
         * round(): sum([1e16, 1.0, -1e16]) is 0.0 on 3.11 and 1.0 on 3.12.
         * We follow Debian 12's python3 (3.11), the reference the tests
         * were computed with. */
        double sum = 0.0;

        for (size_t i = 0; i < nrtts; i++) {
            if (rtts[i] < mn)
                mn = rtts[i];
            if (rtts[i] > mx)
                mx = rtts[i];
            sum += rtts[i];
        }
        h->min_rtt = py_round(mn, 3);
        h->max_rtt = py_round(mx, 3);
        /* len() is an int: converted exactly below 2^53 items. */
        h->avg_rtt = py_round(sum / (double)nrtts, 3);
    }

    /* round(1 - len(rtts) / packets_sent, 2); 0.0 when nothing was sent.
     * Python's int / int is correctly rounded for any size; converting
     * each count to double first is exact below 2^53, far beyond any
     * count of packets.  No clamping: more RTTs than packets sent gives a
     * negative loss, as in icmplib. */
    if (h->packets_sent == 0)
        h->packet_loss = 0.0;
    else
        h->packet_loss = py_round(1.0 - (double)nrtts / (double)h->packets_sent, 2);

    /* sum_deltas = 0.0; sum_deltas += abs(rtts[i] - rtts[i + 1]) in a
     * plain loop (no sum(), so no compensation on any Python version);
     * round(sum_deltas / num_deltas, 3); 0.0 below 2 RTTs. */
    if (nrtts < 2) {
        h->jitter = 0.0;
    } else {
        double sum_deltas = 0.0;

        for (size_t i = 0; i + 1 < nrtts; i++)
            sum_deltas += fabs(rtts[i] - rtts[i + 1]);
        h->jitter = py_round(sum_deltas / (double)(nrtts - 1), 3);
    }
    return 0;
}

ICR_EXPORT struct icr_host *icr_host_free(struct icr_host *h)
{
    if (h != NULL) {
        free(h->rtts);
        free(h);
    }
    return NULL;
}

ICR_EXPORT struct icr_host *icr_hosts_free(struct icr_host *hosts, size_t n)
{
    if (hosts != NULL) {
        for (size_t i = 0; i < n; i++)
            free(hosts[i].rtts);
        free(hosts);
    }
    return NULL;
}

ICR_EXPORT struct icr_hop *icr_hops_free(struct icr_hop *hops, size_t n)
{
    if (hops != NULL) {
        for (size_t i = 0; i < n; i++)
            free(hops[i].host.rtts);
        free(hops);
    }
    return NULL;
}

/* "!<code>" for every ICMP code: traceroute prints the code it has no
 * letter for this way.  A const table, so nothing is formatted at run
 * time and the strings are static. */
static const char *const code_marks[256] = {
    "!<0>", "!<1>", "!<2>", "!<3>", "!<4>", "!<5>", "!<6>", "!<7>", "!<8>",
    "!<9>", "!<10>", "!<11>", "!<12>", "!<13>", "!<14>", "!<15>", "!<16>", "!<17>",
    "!<18>", "!<19>", "!<20>", "!<21>", "!<22>", "!<23>", "!<24>", "!<25>", "!<26>",
    "!<27>", "!<28>", "!<29>", "!<30>", "!<31>", "!<32>", "!<33>", "!<34>", "!<35>",
    "!<36>", "!<37>", "!<38>", "!<39>", "!<40>", "!<41>", "!<42>", "!<43>", "!<44>",
    "!<45>", "!<46>", "!<47>", "!<48>", "!<49>", "!<50>", "!<51>", "!<52>", "!<53>",
    "!<54>", "!<55>", "!<56>", "!<57>", "!<58>", "!<59>", "!<60>", "!<61>", "!<62>",
    "!<63>", "!<64>", "!<65>", "!<66>", "!<67>", "!<68>", "!<69>", "!<70>", "!<71>",
    "!<72>", "!<73>", "!<74>", "!<75>", "!<76>", "!<77>", "!<78>", "!<79>", "!<80>",
    "!<81>", "!<82>", "!<83>", "!<84>", "!<85>", "!<86>", "!<87>", "!<88>", "!<89>",
    "!<90>", "!<91>", "!<92>", "!<93>", "!<94>", "!<95>", "!<96>", "!<97>", "!<98>",
    "!<99>", "!<100>", "!<101>", "!<102>", "!<103>", "!<104>", "!<105>", "!<106>", "!<107>",
    "!<108>", "!<109>", "!<110>", "!<111>", "!<112>", "!<113>", "!<114>", "!<115>", "!<116>",
    "!<117>", "!<118>", "!<119>", "!<120>", "!<121>", "!<122>", "!<123>", "!<124>", "!<125>",
    "!<126>", "!<127>", "!<128>", "!<129>", "!<130>", "!<131>", "!<132>", "!<133>", "!<134>",
    "!<135>", "!<136>", "!<137>", "!<138>", "!<139>", "!<140>", "!<141>", "!<142>", "!<143>",
    "!<144>", "!<145>", "!<146>", "!<147>", "!<148>", "!<149>", "!<150>", "!<151>", "!<152>",
    "!<153>", "!<154>", "!<155>", "!<156>", "!<157>", "!<158>", "!<159>", "!<160>", "!<161>",
    "!<162>", "!<163>", "!<164>", "!<165>", "!<166>", "!<167>", "!<168>", "!<169>", "!<170>",
    "!<171>", "!<172>", "!<173>", "!<174>", "!<175>", "!<176>", "!<177>", "!<178>", "!<179>",
    "!<180>", "!<181>", "!<182>", "!<183>", "!<184>", "!<185>", "!<186>", "!<187>", "!<188>",
    "!<189>", "!<190>", "!<191>", "!<192>", "!<193>", "!<194>", "!<195>", "!<196>", "!<197>",
    "!<198>", "!<199>", "!<200>", "!<201>", "!<202>", "!<203>", "!<204>", "!<205>", "!<206>",
    "!<207>", "!<208>", "!<209>", "!<210>", "!<211>", "!<212>", "!<213>", "!<214>", "!<215>",
    "!<216>", "!<217>", "!<218>", "!<219>", "!<220>", "!<221>", "!<222>", "!<223>", "!<224>",
    "!<225>", "!<226>", "!<227>", "!<228>", "!<229>", "!<230>", "!<231>", "!<232>", "!<233>",
    "!<234>", "!<235>", "!<236>", "!<237>", "!<238>", "!<239>", "!<240>", "!<241>", "!<242>",
    "!<243>", "!<244>", "!<245>", "!<246>", "!<247>", "!<248>", "!<249>", "!<250>", "!<251>",
    "!<252>", "!<253>", "!<254>", "!<255>",
};

/* The marks follow the Linux traceroute(8) of Dmitry Butskoy (traceroute
 * 2.1, Debian's "traceroute" package), parse_icmp_res() in traceroute.c,
 * whose man page lists "!H, !N, or !P (host, network or protocol
 * unreachable), !S (source route failed), !F (fragmentation needed), !X
 * (communication administratively prohibited), !V (host precedence
 * violation), !C (precedence cutoff in effect), or !<num> (ICMP
 * unreachable code <num>)".  Differences, all because only the type and
 * code are given here:
 *  - Fragmentation needed (v4 code 4) is "!F"; traceroute prints "!F-<mtu>"
 *    (the MTU from the message), as does classic LBL traceroute -F.
 *  - Packet Too Big (ICMPv6 type 2), Parameter Problem and every other
 *    type but Destination Unreachable give "" (traceroute prints
 *    "!F-<mtu>" and "!<type-code>"): they are not route-ending
 *    unreachables in icmplib's traceroute.
 *  - Time Exceeded gives "" for every code (traceroute marks codes other
 *    than "in transit" with "!<type-code>").
 * Codes outside 0..255 and families other than AF_INET/AF_INET6: "". */
static const char *unreach4_mark(int code)
{
    switch (code) {
    case 0:  /* network unreachable */
    case 6:  /* destination network unknown */
    case 8:  /* source host isolated */
    case 11: /* network unreachable for TOS */
        return "!N";
    case 1:  /* host unreachable */
    case 7:  /* destination host unknown */
    case 12: /* host unreachable for TOS */
        return "!H";
    case 2: /* protocol unreachable */
        return "!P";
    case 3: /* port unreachable: the destination was reached, no mark */
        return "";
    case 4: /* fragmentation needed and DF set */
        return "!F";
    case 5: /* source route failed */
        return "!S";
    case 9:  /* network administratively prohibited */
    case 10: /* host administratively prohibited */
    case 13: /* communication administratively prohibited (filtered) */
        return "!X";
    case 14: /* host precedence violation */
        return "!V";
    case 15: /* precedence cutoff in effect */
        return "!C";
    default:
        return code_marks[code];
    }
}

static const char *unreach6_mark(int code)
{
    switch (code) {
    case 0: /* no route to destination */
        return "!N";
    case 1: /* communication administratively prohibited */
        return "!X";
    case 2: /* beyond scope of source address: traceroute groups it with 3 */
    case 3: /* address unreachable */
        return "!H";
    case 4: /* port unreachable: the destination was reached, no mark */
        return "";
    default:
        /* 5 (source address failed ingress/egress policy) and 6 (reject
         * route to destination), RFC 4443, have no letter in traceroute:
         * "!<5>" and "!<6>", like any other code. */
        return code_marks[code];
    }
}

ICR_EXPORT const char *icr_hop_error_flag(int family, int type, int code)
{
    if (code < 0 || code > 255)
        return "";
    if (family == AF_INET && type == 3)
        return unreach4_mark(code);
    if (family == AF_INET6 && type == 1)
        return unreach6_mark(code);
    return "";
}
