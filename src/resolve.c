/* resolve.c - owns icr_resolve(): names and literals to addresses, icmplib's
 * resolve() with every address instead of only the first.
 *
 * Literals never reach the resolver (no lookup, no delay, no DNS traffic).
 * Names go through one getaddrinfo() call; the answer is reordered IPv4
 * first and deduplicated here, with no allocation. */
#include <errno.h>
#include <netdb.h>
#include <string.h>

#include "icmpring.h"

/* Map a getaddrinfo() failure to our codes.  Everything that means "no
 * answer" (EAI_NONAME, EAI_NODATA, EAI_AGAIN, EAI_FAIL, EAI_ADDRFAMILY) is
 * icmplib's NameLookupError; only resource failures keep their identity. */
static int map_gai_error(int rc, int saved_errno)
{
    switch (rc) {
    case EAI_MEMORY:
        return ICR_ENOMEM;
    case EAI_SYSTEM:
        /* A system error with no errno to keep is still a failed lookup. */
        if (saved_errno > 0 && saved_errno <= 4095)
            return -saved_errno;
        return ICR_ENAMELOOKUP;
    default:
        return ICR_ENAMELOOKUP;
    }
}

/* Whether an earlier entry of `list` (before `upto`) has the same address. */
static bool seen_before(const struct addrinfo *list, const struct addrinfo *upto,
                        const struct icr_addr *a)
{
    for (const struct addrinfo *p = list; p != upto; p = p->ai_next) {
        struct icr_addr b;

        if (icr_addr_from_sockaddr(p->ai_addr, p->ai_addrlen, &b) == 0 &&
            icr_addr_equal(a, &b))
            return true;
    }
    return false;
}

/* Store the distinct addresses of `fam` from `list` at addrs[*n...] (while
 * *n < max) and count them all in *n. */
static void collect(const struct addrinfo *list, int fam, struct icr_addr *addrs, size_t max,
                    size_t *n)
{
    for (const struct addrinfo *p = list; p != NULL; p = p->ai_next) {
        struct icr_addr a;

        if (p->ai_family != fam || p->ai_addr == NULL)
            continue;
        if (icr_addr_from_sockaddr(p->ai_addr, p->ai_addrlen, &a) != 0)
            continue;
        /* SOCK_DGRAM in the hints already avoids one entry per socket
         * type, but /etc/hosts and DNS may still list an address twice. */
        if (seen_before(list, p, &a))
            continue;
        if (*n < max)
            addrs[*n] = a;
        (*n)++;
    }
}

/* A literal: stored as is if its family fits. */
static int literal(const struct icr_addr *a, int family, struct icr_addr *addrs, size_t max)
{
    if (family != AF_UNSPEC && family != a->family)
        return ICR_ENAMELOOKUP;
    if (max > 0)
        addrs[0] = *a;
    return 1;
}

/* Whether getaddrinfo would read `name` as a number although icr_addr_parse
 * refused it ("01.2.3.4", "1.2.3", "0x7f.1", an IPv6 literal with an unknown
 * zone).  inet_aton's octal and short forms name an address other than the
 * one the user most likely meant, so icr_resolve refuses instead of
 * guessing.  AI_NUMERICHOST never touches the network. */
static bool loose_numeric(const char *name)
{
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC,
        .ai_socktype = SOCK_DGRAM,
        .ai_flags = AI_NUMERICHOST,
    };
    struct addrinfo *res = NULL;

    if (getaddrinfo(name, NULL, &hints, &res) != 0)
        return false;
    freeaddrinfo(res);
    return true;
}

ICR_EXPORT int icr_resolve(const char *name, int family, struct icr_addr *addrs, size_t max)
{
    struct addrinfo hints = {
        .ai_family = family,
        /* One entry per address instead of one per socket type. */
        .ai_socktype = SOCK_DGRAM,
        /* No AI_ADDRCONFIG: it hides IPv6 answers on hosts whose only IPv6
         * address is on lo, e.g. a fresh network namespace in the lab. */
        .ai_flags = 0,
    };
    struct addrinfo *res = NULL;
    struct icr_addr lit;
    size_t n = 0;
    int rc;

    if (name == NULL || (addrs == NULL && max > 0))
        return ICR_EINVAL;
    if (family != AF_UNSPEC && family != AF_INET && family != AF_INET6)
        return ICR_EINVAL;

    if (icr_addr_parse(name, &lit) == 0)
        return literal(&lit, family, addrs, max);

    if (name[0] == '\0')
        return ICR_ENAMELOOKUP;

    if (loose_numeric(name))
        return ICR_ENAMELOOKUP;
    /* A colon cannot appear in a host name: this is a malformed IPv6
     * literal, and asking DNS about it would only cost a timeout. */
    if (strchr(name, ':') != NULL)
        return ICR_ENAMELOOKUP;

    /* One call for both families: glibc sends the A and AAAA queries in
     * parallel, so a slow resolver costs one timeout, not two. */
    errno = 0;
    rc = getaddrinfo(name, NULL, &hints, &res);
    if (rc != 0)
        return map_gai_error(rc, errno);

    /* getaddrinfo orders by RFC 6724, which may put IPv6 first; icmplib
     * tries A before AAAA, so do we, keeping RFC 6724 order within each. */
    if (family == AF_UNSPEC || family == AF_INET)
        collect(res, AF_INET, addrs, max, &n);
    if (family == AF_UNSPEC || family == AF_INET6)
        collect(res, AF_INET6, addrs, max, &n);
    freeaddrinfo(res);

    if (n == 0)
        return ICR_ENAMELOOKUP;
    /* More addresses than INT_MAX cannot come out of one lookup. */
    return (int)n;
}
