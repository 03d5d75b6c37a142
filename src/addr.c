/* addr.c - owns struct icr_addr: parsing and formatting literal addresses
 * (IPv6 zones included), comparing them, converting them to and from
 * sockaddrs, and the strict classifiers icr_is_ipv4_address,
 * icr_is_ipv6_address and icr_is_hostname.
 *
 * Parsing is deliberately stricter than inet_aton/getaddrinfo: "01.2.3.4",
 * "1.2.3" or "0x7f.1" are octal/short/hex forms that inet_aton silently
 * turns into other addresses, and a sweep tool that pings 1.2.0.3 when the
 * user typed 1.2.3 is worse than one that says no. */
#include <arpa/inet.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "icmpring.h"

/* ------------------------------------------------------------------------
 * Parsing
 * ------------------------------------------------------------------------ */

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alnum(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Exactly four dot-separated decimal parts 0-255, no leading zeros, nothing
 * else (no blanks, signs, hex).  We do not use inet_pton(AF_INET) because
 * its acceptance of leading zeros is not consistent across libcs. */
static bool parse_ipv4(const char *s, struct in_addr *ret)
{
    uint8_t b[4];

    for (int part = 0; part < 4; part++) {
        unsigned v = 0;
        int digits = 0;

        if (part > 0) {
            if (*s != '.')
                return false;
            s++;
        }
        /* "0" alone is fine, "01" is an octal trap. */
        if (s[0] == '0' && is_digit(s[1]))
            return false;
        while (is_digit(*s) && digits < 3) {
            v = v * 10 + (unsigned)(*s - '0');
            s++;
            digits++;
        }
        if (digits == 0 || v > 255)
            return false;
        b[part] = (uint8_t)v;
    }
    if (*s != '\0')
        return false;

    memcpy(&ret->s_addr, b, sizeof(b));
    return true;
}

/* The longest interface name Linux allows, without its NUL. */
#define ZONE_NAME_MAX (IF_NAMESIZE - 1)

/* Check the syntax of an IPv6 zone (the part after '%').  A zone of digits
 * is an interface index (1..UINT32_MAX, no leading zero); anything else must
 * look like an interface name, [A-Za-z0-9._-]{1,15}.  The kernel allows
 * more exotic names, but those cannot be typed safely on a command line
 * and getaddrinfo users never see them in practice.
 * *ret_number gets the index for a numeric zone, 0 for a name. */
static bool zone_syntax(const char *z, uint32_t *ret_number)
{
    size_t n = strlen(z);
    size_t ndigits = strspn(z, "0123456789");

    if (n == 0)
        return false;

    if (ndigits == n) {
        uint64_t v = 0;

        /* Index 0 means "no zone"; a leading zero is as ambiguous here as
         * in a dotted quad.  10 digits bound the value before overflow. */
        if (z[0] == '0' || n > 10)
            return false;
        for (size_t i = 0; i < n; i++)
            v = v * 10 + (uint64_t)(z[i] - '0');
        if (v > UINT32_MAX)
            return false;
        *ret_number = (uint32_t)v;
        return true;
    }

    if (n > ZONE_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!is_alnum(z[i]) && z[i] != '.' && z[i] != '_' && z[i] != '-')
            return false;
    }
    *ret_number = 0;
    return true;
}

/* IPv6 with an optional %zone.  With `need_iface`, a named zone must be an
 * existing interface (parse); without, syntax alone decides (classifier). */
static bool parse_ipv6(const char *s, bool need_iface, struct in6_addr *ret, uint32_t *ret_scope)
{
    char buf[INET6_ADDRSTRLEN];
    const char *pct = strchr(s, '%');
    size_t alen = pct != NULL ? (size_t)(pct - s) : strlen(s);
    struct in6_addr a;
    uint32_t scope = 0;

    if (alen == 0 || alen >= sizeof(buf))
        return false;
    memcpy(buf, s, alen);
    buf[alen] = '\0';
    /* glibc's inet_pton6 is strict already: one "::", at most 8 groups of
     * 1-4 hex digits, an embedded IPv4 only at the end and without leading
     * zeros, no blanks. */
    if (inet_pton(AF_INET6, buf, &a) != 1)
        return false;

    if (pct != NULL) {
        const char *zone = pct + 1;

        if (!zone_syntax(zone, &scope))
            return false;
        if (scope == 0 && need_iface) {
            scope = if_nametoindex(zone);
            if (scope == 0)
                return false;
        }
    }

    *ret = a;
    *ret_scope = scope;
    return true;
}

ICR_EXPORT int icr_addr_parse(const char *s, struct icr_addr *ret_addr)
{
    struct icr_addr a = {.family = AF_UNSPEC};

    if (s == NULL || ret_addr == NULL)
        return ICR_EINVAL;

    if (parse_ipv4(s, &a.v4)) {
        a.family = AF_INET;
    } else if (parse_ipv6(s, true, &a.v6, &a.scope_id)) {
        a.family = AF_INET6;
    } else {
        return ICR_EINVAL;
    }

    *ret_addr = a;
    return 0;
}

ICR_EXPORT bool icr_is_ipv4_address(const char *s)
{
    struct in_addr a;

    return s != NULL && parse_ipv4(s, &a);
}

ICR_EXPORT bool icr_is_ipv6_address(const char *s)
{
    struct in6_addr a;
    uint32_t scope;

    return s != NULL && parse_ipv6(s, false, &a, &scope);
}

/* RFC 1123 §2.1 host names (RFC 952 relaxed to allow a leading digit). */
ICR_EXPORT bool icr_is_hostname(const char *s)
{
    size_t n;
    size_t label = 0;
    bool has_non_digit = false;
    char prev = '.';

    if (s == NULL)
        return false;
    n = strlen(s);
    /* One trailing dot marks the name as absolute; it is not counted in the
     * 253-character limit (255 octets on the wire minus length bytes). */
    if (n > 0 && s[n - 1] == '.')
        n--;
    if (n == 0 || n > 253)
        return false;

    for (size_t i = 0; i < n; i++) {
        char c = s[i];

        if (c == '.') {
            /* Empty labels ("a..b", ".a") and labels ending in '-'. */
            if (label == 0 || prev == '-')
                return false;
            label = 0;
        } else if (is_alnum(c) || c == '-') {
            if (label == 0 && c == '-')
                return false;
            if (++label > 63)
                return false;
            if (!is_digit(c))
                has_non_digit = true;
        } else {
            return false;
        }
        prev = c;
    }
    /* The last label: empty ("a.b.." after the one allowed dot) or ending
     * in a hyphen. */
    if (label == 0 || prev == '-')
        return false;

    /* "1.2.3" or "127" are what inet_aton reads as addresses; a name made
     * only of digits and dots would be taken for one by every resolver. */
    return has_non_digit;
}

/* ------------------------------------------------------------------------
 * Formatting, comparison, sockaddrs
 * ------------------------------------------------------------------------ */

ICR_EXPORT char *icr_addr_format(const struct icr_addr *a, char *buf, size_t len)
{
    char tmp[ICR_ADDRSTRLEN];
    int n;

    if (a == NULL || buf == NULL)
        return NULL;

    if (a->family == AF_INET) {
        if (inet_ntop(AF_INET, &a->v4, tmp, sizeof(tmp)) == NULL)
            return NULL;
    } else if (a->family == AF_INET6) {
        char addr[INET6_ADDRSTRLEN];
        char ifname[IF_NAMESIZE];

        if (inet_ntop(AF_INET6, &a->v6, addr, sizeof(addr)) == NULL)
            return NULL;
        if (a->scope_id == 0) {
            n = snprintf(tmp, sizeof(tmp), "%s", addr);
        } else if (if_indextoname(a->scope_id, ifname) != NULL) {
            /* A name reads better and survives index renumbering between
             * boots; the number is the fallback for a vanished interface. */
            n = snprintf(tmp, sizeof(tmp), "%s%%%s", addr, ifname);
        } else {
            n = snprintf(tmp, sizeof(tmp), "%s%%%lu", addr, (unsigned long)a->scope_id);
        }
        if (n < 0 || (size_t)n >= sizeof(tmp))
            return NULL;
    } else {
        return NULL;
    }

    if (strlen(tmp) >= len)
        return NULL;
    memcpy(buf, tmp, strlen(tmp) + 1);
    return buf;
}

ICR_EXPORT bool icr_addr_equal(const struct icr_addr *a, const struct icr_addr *b)
{
    if (a == NULL || b == NULL)
        return false;
    if (a->family != b->family || a->scope_id != b->scope_id)
        return false;

    /* Only the bytes the family uses: the rest of the union may hold
     * anything a caller left there. */
    switch (a->family) {
    case AF_INET:
        return memcmp(&a->v4, &b->v4, sizeof(a->v4)) == 0;
    case AF_INET6:
        return memcmp(&a->v6, &b->v6, sizeof(a->v6)) == 0;
    default:
        return true;
    }
}

ICR_EXPORT int icr_addr_to_sockaddr(const struct icr_addr *a, struct sockaddr_storage *ret_ss)
{
    struct sockaddr_storage ss = {.ss_family = AF_UNSPEC};

    if (a == NULL || ret_ss == NULL)
        return ICR_EINVAL;

    if (a->family == AF_INET) {
        struct sockaddr_in sin = {
            .sin_family = AF_INET,
            .sin_addr = a->v4,
        };
        memcpy(&ss, &sin, sizeof(sin));
        *ret_ss = ss;
        return (int)sizeof(sin);
    }
    if (a->family == AF_INET6) {
        struct sockaddr_in6 sin6 = {
            .sin6_family = AF_INET6,
            .sin6_addr = a->v6,
            .sin6_scope_id = a->scope_id,
        };
        memcpy(&ss, &sin6, sizeof(sin6));
        *ret_ss = ss;
        return (int)sizeof(sin6);
    }
    return ICR_EINVAL;
}

ICR_EXPORT int icr_addr_from_sockaddr(const struct sockaddr *sa, socklen_t len,
                                      struct icr_addr *ret_addr)
{
    struct icr_addr a = {.family = AF_UNSPEC};

    if (sa == NULL || ret_addr == NULL || len < (socklen_t)sizeof(sa_family_t))
        return ICR_EINVAL;

    /* Copies, not casts: a caller's buffer need not be aligned for the
     * larger structs (recvmsg control data, packed buffers). */
    if (sa->sa_family == AF_INET) {
        struct sockaddr_in sin;

        if (len < (socklen_t)sizeof(sin))
            return ICR_EINVAL;
        memcpy(&sin, sa, sizeof(sin));
        a.family = AF_INET;
        a.v4 = sin.sin_addr;
    } else if (sa->sa_family == AF_INET6) {
        struct sockaddr_in6 sin6;

        if (len < (socklen_t)sizeof(sin6))
            return ICR_EINVAL;
        memcpy(&sin6, sa, sizeof(sin6));
        /* An IPv4-mapped address (::ffff:a.b.c.d) stays IPv6: it is what a
         * dual-stack socket saw, and the caller must talk to it in IPv6. */
        a.family = AF_INET6;
        a.v6 = sin6.sin6_addr;
        a.scope_id = sin6.sin6_scope_id;
    } else {
        return ICR_EINVAL;
    }

    *ret_addr = a;
    return 0;
}
