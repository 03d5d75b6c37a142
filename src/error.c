/* error.c - owns the error vocabulary: the text and name of every return
 * code, the icmplib exception families, and the sentences icmplib gives
 * for ICMP error messages (Destination Unreachable, Time Exceeded, ...).
 *
 * Everything here is generated from, or keyed by, static const tables, so
 * every function is thread-safe and returns static strings. */
#include <string.h>

#include "icmpring.h"

/* Negative errno values live in -4095..-1: the same range the kernel uses
 * for its -errno returns (MAX_ERRNO in include/linux/err.h), and far from
 * our own codes at -5001 and below. */
#define ICR__ERRNO_MIN (-4095)

static bool is_negative_errno(int code)
{
    return code >= ICR__ERRNO_MIN && code <= -1;
}

/* The system's description of an errno, never NULL.
 * strerrordesc_np (glibc >= 2.32) returns static, untranslated strings and
 * is thread-safe; strerror() may write a shared buffer for unknown values
 * and strerror_r() would need a buffer we cannot return.  Elsewhere we
 * fall back to a generic sentence rather than risk a data race. */
static const char *system_text(int err)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
    const char *s = strerrordesc_np(err);
    return s != NULL ? s : "Unknown error";
#else
    (void)err;
    return "System error";
#endif
}

ICR_EXPORT const char *icr_strerror(int code)
{
    if (code == 0)
        return "Success";
    if (is_negative_errno(code))
        return system_text(-code);

    /* Generated from the map so a new code cannot lack its message. */
    switch (code) {
#define ICR__XX(name, value, cls, msg)                                                       \
    case ICR_##name:                                                                         \
        return msg;
        ICR_ERRNO_MAP(ICR__XX)
#undef ICR__XX
    default:
        return "Unknown error";
    }
}

ICR_EXPORT const char *icr_error_name(int code)
{
    if (code == 0)
        return "ICR_OK"; /* as icr_strerror(0) says "Success" */
    if (is_negative_errno(code))
        return "ICR_ESYSTEM";

    switch (code) {
#define ICR__XX(name, value, cls, msg)                                                       \
    case ICR_##name:                                                                         \
        return "ICR_" #name;
        ICR_ERRNO_MAP(ICR__XX)
#undef ICR__XX
    default:
        return "ICR_UNKNOWN";
    }
}

ICR_EXPORT bool icr_error_is(int code, int family)
{
    if (code >= 0)
        return false;

    switch (family) {
    case ICR_ESOCKET:
        /* icmplib's ICMPSocketError is the base of every socket exception
         * and of TimeoutExceeded; a raw OSError from the socket layer is
         * what Python code catching ICMPSocketError would also want to see,
         * so system errors belong here too. */
        return code == ICR_ESOCKET || code == ICR_ESOCKADDR || code == ICR_ESOCKPERM ||
               code == ICR_ESOCKUNAVAIL || code == ICR_ESOCKBROADCAST ||
               code == ICR_ETIMEOUT || code == ICR_ESYSTEM || is_negative_errno(code);
    case ICR_EICMP:
        return code == ICR_EICMP || code == ICR_EUNREACH || code == ICR_ETIMEEXCEEDED;
    case ICR_ESYSTEM:
        return code == ICR_ESYSTEM || is_negative_errno(code);
    default:
        return code == family;
    }
}

ICR_EXPORT int icr_errno(int code)
{
    return is_negative_errno(code) ? -code : 0;
}

/* ------------------------------------------------------------------------
 * ICMP error messages
 *
 * The wording is icmplib's (exceptions.py), so programs ported from Python
 * print the same lines; only its misspelling "prohibed" is corrected.
 * ------------------------------------------------------------------------ */

/* ICMPv4 Destination Unreachable codes, RFC 792 and RFC 1812 §5.2.7.1. */
static const char *const v4_unreach[] = {
    [0] = "Destination network unreachable",
    [1] = "Destination host unreachable",
    [2] = "Destination protocol unreachable",
    [3] = "Destination port unreachable",
    [4] = "Fragmentation needed and DF set",
    [5] = "Source route failed",
    [6] = "Destination network unknown",
    [7] = "Destination host unknown",
    [8] = "Source host isolated",
    [9] = "Destination network prohibited",
    [10] = "Destination host prohibited",
    [11] = "Destination network unreachable for ToS",
    [12] = "Destination host unreachable for ToS",
    [13] = "Packet filtered",
    [14] = "Precedence violation",
    [15] = "Precedence cutoff",
};

/* ICMPv6 Destination Unreachable codes, RFC 4443 §3.1. */
static const char *const v6_unreach[] = {
    [0] = "No route to destination",
    [1] = "Communication with destination administratively prohibited",
    [2] = "Beyond scope of source address",
    [3] = "Address unreachable",
    [4] = "Port unreachable",
    [5] = "Source address failed ingress/egress policy",
    [6] = "Reject route to destination",
};

static const char *const v4_time_exceeded[] = {
    [0] = "Time to live exceeded",
    [1] = "Fragment reassembly time exceeded",
};

static const char *const v6_time_exceeded[] = {
    [0] = "Hop limit exceeded",
    [1] = "Fragment reassembly time exceeded",
};

#define ICR__COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* table[code], or `bad` when the code has no entry. */
static const char *lookup(const char *const *table, size_t n, int code, const char *bad)
{
    if (code < 0 || (size_t)code >= n || table[code] == NULL)
        return bad;
    return table[code];
}

static const char unreach_bad[] = "Destination unreachable, bad code";
static const char time_bad[] = "Time exceeded, bad code";

/* Type numbers are spelled out rather than taken from <netinet/ip_icmp.h>
 * and <netinet/icmp6.h>: those headers need more feature macros and this
 * file needs nothing else from them.  RFC 792 / RFC 4443 fix the values. */
static const char *icmp4_message(int type, int code)
{
    switch (type) {
    case 3:
        return lookup(v4_unreach, ICR__COUNT(v4_unreach), code, unreach_bad);
    case 11:
        return lookup(v4_time_exceeded, ICR__COUNT(v4_time_exceeded), code, time_bad);
    default:
        /* No table: Echo Reply (0), Echo Request (8), and the other error
         * types (Source Quench, Redirect, Parameter Problem), which icmplib
         * words only as "Error type: T, code: C".  The caller does that. */
        return NULL;
    }
}

static const char *icmp6_message(int type, int code)
{
    switch (type) {
    case 1:
        return lookup(v6_unreach, ICR__COUNT(v6_unreach), code, unreach_bad);
    case 3:
        return lookup(v6_time_exceeded, ICR__COUNT(v6_time_exceeded), code, time_bad);
    default:
        /* No table: Echo Request (128), Echo Reply (129), ND and MLD, and
         * the other error types (Packet Too Big, Parameter Problem). */
        return NULL;
    }
}

ICR_EXPORT const char *icr_icmp_message(int family, int type, int code)
{
    switch (family) {
    case AF_INET:
        return icmp4_message(type, code);
    case AF_INET6:
        return icmp6_message(type, code);
    default:
        return NULL;
    }
}
