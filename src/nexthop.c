/* nexthop.c - the AF_PACKET transport's next hops from rtnetlink (see
 * nexthop.h for what is cached and when it is forgotten). */
#include "nexthop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <net/if.h> /* IFF_* (before the linux headers, which would redefine them) */
#include <netinet/in.h>

#include <linux/fib_rules.h>
#include <linux/if_arp.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <sys/time.h>

#define NH_CAP 4096u         /* table slots (a power of two) */
#define NH_MAX_USED 3072u    /* beyond this the table is emptied and refilled */
#define NH_MAX_ONLINK 1024u  /* per-destination entries of on-link routes */
#define NH_RECHECK_NS 1000000000LL   /* re-read a usable neighbour every second */
#define NH_RESOLVE_MIN_NS 1000000LL  /* first re-read of an unresolved one: 1 ms */
#define NH_RESOLVE_MAX_NS 200000000LL

enum kind { K_RAW = 0, K_LINK = 1, K_RESOLVE = 2 };

struct entry {
    bool used;
    uint8_t family_idx;      /* 0 IPv4, 1 IPv6 */
    uint8_t len;             /* the block: prefix/len */
    uint8_t prefix[16];
    uint8_t kind;            /* enum kind */
    bool onlink;
    int ifindex;
    uint32_t mtu;
    struct icr_addr src, via; /* via: the neighbour (gateway, or the target on-link) */
    uint8_t dmac[6], smac[6];
    int64_t next_check;      /* re-read the neighbour at (monotonic ns); 0: now */
    int64_t backoff;
};

struct fam {
    bool loaded;             /* routes and rules read since the last change */
    bool policy;             /* rules beyond the defaults: everything raw */
    struct icr__nh_route *routes;
    size_t nroutes, caproutes;
    uint8_t lens[129];       /* block lengths present, longest first */
    unsigned nlens;
};

struct icr__nh {
    int fd;                  /* queries */
    int mon;                 /* change notifications */
    uint32_t seq;
    struct entry *tab;       /* NH_CAP slots */
    unsigned used, onlink;
    struct fam fam[2];
    struct entry *last[2];   /* the last block hit, per family */
    uint8_t buf[32768];
};

static unsigned fidx(int family) {
    return family == AF_INET6;
}

static unsigned fbits(unsigned fi) {
    return fi ? 128 : 32;
}

/* ---- pure helpers ------------------------------------------------------ */

unsigned icr__nh_common_bits(const uint8_t *a, const uint8_t *b, size_t bytes) {
    for (size_t i = 0; i < bytes; i++) {
        uint8_t x = a[i] ^ b[i];
        if (x)
            return (unsigned)(i * 8 + (unsigned)__builtin_clz((unsigned)x) - 24);
    }
    return (unsigned)(bytes * 8);
}

unsigned icr__nh_block_len(const uint8_t *dst, unsigned bits, unsigned route_len,
                           const struct icr__nh_route *routes, size_t n) {
    unsigned l = route_len;
    for (size_t i = 0; i < n; i++) {
        if (routes[i].len <= route_len)
            continue; /* less specific: contains dst's route or is disjoint from it */
        unsigned c = icr__nh_common_bits(dst, routes[i].prefix, bits / 8);
        if (c >= routes[i].len)
            return bits; /* contains dst: another table's, the kernel's lookup skipped it */
        if (c + 1 > l)
            l = c + 1;
    }
    return l;
}

static bool in_block(const uint8_t *a, const uint8_t *prefix, unsigned len) {
    unsigned full = len / 8, rest = len % 8;
    if (memcmp(a, prefix, full) != 0)
        return false;
    return rest == 0 || ((a[full] ^ prefix[full]) & (uint8_t)(0xff00u >> rest)) == 0;
}

static void mask(uint8_t *out, const uint8_t *a, unsigned len, unsigned bits) {
    memset(out, 0, 16);
    memcpy(out, a, len / 8);
    if (len % 8 && len < bits)
        out[len / 8] = a[len / 8] & (uint8_t)(0xff00u >> (len % 8));
}

static uint32_t hash_block(unsigned fi, unsigned len, const uint8_t *prefix) {
    uint32_t h = 2166136261u ^ (fi * 131 + len);
    for (unsigned i = 0; i < 16; i++)
        h = (h ^ prefix[i]) * 16777619u;
    return h ^ (h >> 15);
}

/* ---- rtnetlink --------------------------------------------------------- */

static void put_attr(struct nlmsghdr *n, unsigned short type, const void *data, size_t len) {
    struct rtattr *a = (struct rtattr *)((char *)n + NLMSG_ALIGN(n->nlmsg_len));
    a->rta_type = type;
    a->rta_len = (unsigned short)RTA_LENGTH(len);
    memcpy(RTA_DATA(a), data, len);
    n->nlmsg_len = NLMSG_ALIGN(n->nlmsg_len) + RTA_ALIGN(a->rta_len);
}

typedef int (*nl_cb)(const struct nlmsghdr *h, void *ud);

/* Send a request and hand each answer to cb until the ack or the dump's
 * end.  Returns 0, or the kernel's negative errno. */
static int nl_talk(struct icr__nh *nh, struct nlmsghdr *req, nl_cb cb, void *ud) {
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    req->nlmsg_seq = ++nh->seq;
    req->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
    if (sendto(nh->fd, req, req->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
        return -errno;
    for (;;) {
        ssize_t n = recv(nh->fd, nh->buf, sizeof(nh->buf), 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        for (struct nlmsghdr *h = (struct nlmsghdr *)nh->buf; NLMSG_OK(h, (size_t)n);
             h = NLMSG_NEXT(h, n)) {
            if (h->nlmsg_seq != nh->seq)
                continue; /* a late answer to an earlier request */
            if (h->nlmsg_type == NLMSG_DONE)
                return 0;
            if (h->nlmsg_type == NLMSG_ERROR) {
                const struct nlmsgerr *e = NLMSG_DATA(h);
                return e->error; /* 0: the ack */
            }
            if (cb && cb(h, ud) < 0)
                return -EPROTO;
        }
    }
}

struct route_info {
    bool ok;
    uint8_t type, dst_len;
    bool has_gw, multipath, encap;
    int oif;
    struct icr_addr gw, prefsrc;
};

static void addr_from(struct icr_addr *a, int family, const void *data, size_t len) {
    if ((family == AF_INET && len == 4) || (family == AF_INET6 && len == 16)) {
        *a = (struct icr_addr){.family = (sa_family_t)family};
        memcpy(a->bytes, data, len);
    }
}

static int route_cb(const struct nlmsghdr *h, void *ud) {
    struct route_info *ri = ud;
    if (h->nlmsg_type != RTM_NEWROUTE)
        return 0;
    const struct rtmsg *rm = NLMSG_DATA(h);
    int len = (int)RTM_PAYLOAD(h);
    *ri = (struct route_info){.ok = true, .type = rm->rtm_type, .dst_len = rm->rtm_dst_len};
    for (const struct rtattr *a = RTM_RTA(rm); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
        size_t alen = RTA_PAYLOAD(a);
        switch (a->rta_type) {
        case RTA_OIF:
            if (alen == 4)
                memcpy(&ri->oif, RTA_DATA(a), 4);
            break;
        case RTA_GATEWAY:
            addr_from(&ri->gw, rm->rtm_family, RTA_DATA(a), alen);
            ri->has_gw = ri->gw.family != AF_UNSPEC;
            break;
        case RTA_VIA:
            ri->multipath = true; /* a gateway of another family: leave it to the stack */
            break;
        case RTA_PREFSRC:
            addr_from(&ri->prefsrc, rm->rtm_family, RTA_DATA(a), alen);
            break;
        case RTA_MULTIPATH:
            ri->multipath = true;
            break;
        case RTA_ENCAP:
        case RTA_ENCAP_TYPE:
            ri->encap = true;
            break;
        default:
            break;
        }
    }
    return 0;
}

static int get_route(struct icr__nh *nh, const struct icr_addr *dst, bool fib_match,
                     struct route_info *ret) {
    struct {
        struct nlmsghdr n;
        struct rtmsg r;
        char attrs[64];
    } req = {
        .n = {.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg)), .nlmsg_type = RTM_GETROUTE},
        .r = {.rtm_family = (unsigned char)dst->family,
              .rtm_dst_len = dst->family == AF_INET ? 32 : 128,
              .rtm_flags = fib_match ? RTM_F_FIB_MATCH : 0},
    };
    put_attr(&req.n, RTA_DST, dst->bytes, dst->family == AF_INET ? 4 : 16);
    *ret = (struct route_info){0};
    int r = nl_talk(nh, &req.n, route_cb, ret);
    return r < 0 ? r : ret->ok ? 0 : -ENOENT;
}

struct dump_ud {
    struct fam *f;
    int family;
};

static int dump_cb(const struct nlmsghdr *h, void *ud) {
    struct dump_ud *d = ud;
    if (h->nlmsg_type != RTM_NEWROUTE)
        return 0;
    const struct rtmsg *rm = NLMSG_DATA(h);
    if (rm->rtm_family != d->family)
        return 0;
    struct icr__nh_route rt = {.len = rm->rtm_dst_len};
    int len = (int)RTM_PAYLOAD(h);
    for (const struct rtattr *a = RTM_RTA(rm); RTA_OK(a, len); a = RTA_NEXT(a, len))
        if (a->rta_type == RTA_DST && RTA_PAYLOAD(a) <= 16)
            memcpy(rt.prefix, RTA_DATA(a), RTA_PAYLOAD(a));
    struct fam *f = d->f;
    if (f->nroutes == f->caproutes) {
        size_t cap = f->caproutes ? 2 * f->caproutes : 64;
        struct icr__nh_route *p = realloc(f->routes, cap * sizeof(*p));
        if (!p)
            return -1;
        f->routes = p;
        f->caproutes = cap;
    }
    f->routes[f->nroutes++] = rt;
    return 0;
}

/* Rules: the kernel's defaults are local, main and default (IPv6: local
 * and main) with no selector.  Anything more (ip rule add ...) can send a
 * destination through a table that a plain RTM_GETROUTE does not see
 * (source-, mark- or interface-based), so that family stays raw. */
struct rules_ud {
    bool policy;
};

static int rules_cb(const struct nlmsghdr *h, void *ud) {
    struct rules_ud *d = ud;
    if (h->nlmsg_type != RTM_NEWRULE)
        return 0;
    const struct rtmsg *rm = NLMSG_DATA(h); /* struct fib_rule_hdr has the same layout */
    unsigned table = rm->rtm_table;
    int len = (int)RTM_PAYLOAD(h);
    for (const struct rtattr *a = RTM_RTA(rm); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
        switch (a->rta_type) {
        case FRA_TABLE:
            if (RTA_PAYLOAD(a) == 4)
                memcpy(&table, RTA_DATA(a), 4);
            break;
        case FRA_PRIORITY:
        case FRA_PROTOCOL:
            break;
        case FRA_SUPPRESS_PREFIXLEN:
        case FRA_SUPPRESS_IFGROUP: {
            /* Some kernels send them unset (-1) on every rule. */
            uint32_t v = 0;
            if (RTA_PAYLOAD(a) == 4)
                memcpy(&v, RTA_DATA(a), 4);
            if (v != UINT32_MAX)
                d->policy = true;
            break;
        }
        default: /* a selector (src, dst, iif, oif, fwmark, uid, ports, ...) */
            d->policy = true;
        }
    }
    if (rm->rtm_src_len || rm->rtm_dst_len || rm->rtm_tos ||
        (table != RT_TABLE_LOCAL && table != RT_TABLE_MAIN && table != RT_TABLE_DEFAULT) ||
        rm->rtm_type != FR_ACT_TO_TBL)
        d->policy = true;
    return 0;
}

static int load_family(struct icr__nh *nh, unsigned fi) {
    struct fam *f = &nh->fam[fi];
    int family = fi ? AF_INET6 : AF_INET;
    struct {
        struct nlmsghdr n;
        struct rtmsg r;
    } req = {
        .n = {.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg)), .nlmsg_type = RTM_GETROUTE,
              .nlmsg_flags = NLM_F_DUMP},
        .r = {.rtm_family = (unsigned char)family},
    };
    f->nroutes = 0;
    struct dump_ud d = {.f = f, .family = family};
    int r = nl_talk(nh, &req.n, dump_cb, &d);
    if (r < 0)
        return r;
    struct rules_ud ru = {0};
    req.n = (struct nlmsghdr){.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg)),
                              .nlmsg_type = RTM_GETRULE, .nlmsg_flags = NLM_F_DUMP};
    req.r = (struct rtmsg){.rtm_family = (unsigned char)family};
    r = nl_talk(nh, &req.n, rules_cb, &ru);
    if (r < 0)
        ru.policy = true; /* cannot tell */
    f->policy = ru.policy;
    f->loaded = true;
    return 0;
}

struct link_info {
    bool ok;
    unsigned short type;
    unsigned flags;
    uint32_t mtu;
    uint8_t mac[6];
    bool has_mac;
};

static int link_cb(const struct nlmsghdr *h, void *ud) {
    struct link_info *li = ud;
    if (h->nlmsg_type != RTM_NEWLINK)
        return 0;
    const struct ifinfomsg *ifi = NLMSG_DATA(h);
    int len = (int)IFLA_PAYLOAD(h);
    *li = (struct link_info){.ok = true, .type = ifi->ifi_type, .flags = ifi->ifi_flags};
    for (const struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
        if (a->rta_type == IFLA_ADDRESS && RTA_PAYLOAD(a) == 6) {
            memcpy(li->mac, RTA_DATA(a), 6);
            li->has_mac = true;
        } else if (a->rta_type == IFLA_MTU && RTA_PAYLOAD(a) == 4) {
            memcpy(&li->mtu, RTA_DATA(a), 4);
        }
    }
    return 0;
}

static int get_link(struct icr__nh *nh, int ifindex, struct link_info *ret) {
    struct {
        struct nlmsghdr n;
        struct ifinfomsg i;
        char attrs[16];
    } req = {
        .n = {.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg)), .nlmsg_type = RTM_GETLINK},
        .i = {.ifi_family = AF_UNSPEC, .ifi_index = ifindex},
    };
    /* Without IFLA_EXT_MASK the kernel adds no per-VF data: the answer is small. */
    *ret = (struct link_info){0};
    int r = nl_talk(nh, &req.n, link_cb, ret);
    return r < 0 ? r : ret->ok ? 0 : -ENOENT;
}

struct neigh_info {
    bool ok;
    uint16_t state;
    uint8_t mac[6];
    bool has_mac;
};

static int neigh_cb(const struct nlmsghdr *h, void *ud) {
    struct neigh_info *ni = ud;
    if (h->nlmsg_type != RTM_NEWNEIGH)
        return 0;
    const struct ndmsg *nd = NLMSG_DATA(h);
    int len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*nd)));
    *ni = (struct neigh_info){.ok = true, .state = nd->ndm_state};
    for (const struct rtattr *a = (const struct rtattr *)((const char *)nd + NLMSG_ALIGN(sizeof(*nd)));
         RTA_OK(a, len); a = RTA_NEXT(a, len)) {
        if (a->rta_type == NDA_LLADDR && RTA_PAYLOAD(a) == 6) {
            memcpy(ni->mac, RTA_DATA(a), 6);
            ni->has_mac = true;
        }
    }
    return 0;
}

/* RTM_GETNEIGH for one entry (neigh_get, Linux 4.20).  -ENOENT: none. */
static int get_neigh(struct icr__nh *nh, const struct icr_addr *a, int ifindex,
                     struct neigh_info *ret) {
    struct {
        struct nlmsghdr n;
        struct ndmsg nd;
        char attrs[32];
    } req = {
        .n = {.nlmsg_len = NLMSG_LENGTH(sizeof(struct ndmsg)), .nlmsg_type = RTM_GETNEIGH},
        .nd = {.ndm_family = (uint8_t)a->family, .ndm_ifindex = ifindex},
    };
    put_attr(&req.n, NDA_DST, a->bytes, a->family == AF_INET ? 4 : 16);
    *ret = (struct neigh_info){0};
    int r = nl_talk(nh, &req.n, neigh_cb, ret);
    return r < 0 ? r : ret->ok ? 0 : -ENOENT;
}

/* ---- the table ------------------------------------------------------------ */

static void forget_all(struct icr__nh *nh) {
    memset(nh->tab, 0, NH_CAP * sizeof(*nh->tab));
    nh->used = nh->onlink = 0;
    for (unsigned i = 0; i < 2; i++) {
        nh->fam[i].loaded = false;
        nh->fam[i].nlens = 0;
        nh->last[i] = NULL;
    }
}

static struct entry *find(struct icr__nh *nh, unsigned fi, const uint8_t *a) {
    struct entry *e = nh->last[fi];
    if (e && e->used && in_block(a, e->prefix, e->len))
        return e;
    const struct fam *f = &nh->fam[fi];
    for (unsigned i = 0; i < f->nlens; i++) {
        uint8_t key[16];
        mask(key, a, f->lens[i], fbits(fi));
        for (uint32_t h = hash_block(fi, f->lens[i], key);; h++) {
            e = &nh->tab[h & (NH_CAP - 1)];
            if (!e->used)
                break;
            if (e->family_idx == fi && e->len == f->lens[i] && !memcmp(e->prefix, key, 16))
                return nh->last[fi] = e;
        }
    }
    return NULL;
}

static struct entry *insert(struct icr__nh *nh, unsigned fi, const uint8_t *a, unsigned len) {
    if (nh->used >= NH_MAX_USED)
        forget_all(nh); /* rare: refill from the kernel; routes are re-read */
    uint8_t key[16];
    mask(key, a, len, fbits(fi));
    struct entry *e;
    for (uint32_t h = hash_block(fi, len, key);; h++) {
        e = &nh->tab[h & (NH_CAP - 1)];
        if (!e->used)
            break;
        if (e->family_idx == fi && e->len == len && !memcmp(e->prefix, key, 16))
            return e; /* already there (cannot happen: find ran first) */
    }
    *e = (struct entry){.used = true, .family_idx = (uint8_t)fi, .len = (uint8_t)len};
    memcpy(e->prefix, key, 16);
    nh->used++;
    struct fam *f = &nh->fam[fi];
    unsigned i = 0;
    while (i < f->nlens && f->lens[i] > len)
        i++;
    if (i == f->nlens || f->lens[i] != len) {
        memmove(f->lens + i + 1, f->lens + i, f->nlens - i);
        f->lens[i] = (uint8_t)len;
        f->nlens++;
    }
    return e;
}

/* Read the entry's neighbour again.  Returns whether this probe should go
 * through the IP stack to make the kernel (re)resolve or confirm it. */
static bool refresh(struct icr__nh *nh, struct entry *e, int64_t now) {
    struct neigh_info ni;
    int r = get_neigh(nh, &e->via, e->ifindex, &ni);
    const uint16_t usable = NUD_REACHABLE | NUD_PERMANENT | NUD_STALE | NUD_DELAY | NUD_PROBE;
    if (r == 0 && (ni.state & usable) && ni.has_mac) {
        memcpy(e->dmac, ni.mac, 6);
        e->kind = K_LINK;
        e->backoff = 0;
        /* DELAY / PROBE: the kernel is checking it right now; look soon. */
        e->next_check = now + ((ni.state & (NUD_DELAY | NUD_PROBE)) ? NH_RECHECK_NS / 10
                                                                      : NH_RECHECK_NS);
        /* STALE: nobody has confirmed it for a while (our frames bypass
         * the stack, so they never do): one probe through the stack moves
         * it to DELAY and the kernel verifies it. */
        return (ni.state & NUD_STALE) != 0;
    }
    /* None, incomplete or failed: the stack's send of this probe starts
     * (or waits for) resolution; look again after a back-off. */
    e->kind = K_RESOLVE;
    e->backoff = e->backoff ? e->backoff * 2 : NH_RESOLVE_MIN_NS;
    if (e->backoff > NH_RESOLVE_MAX_NS)
        e->backoff = NH_RESOLVE_MAX_NS;
    e->next_check = now + e->backoff;
    return true;
}

/* A new block for a: ask the kernel.  NULL only when out of memory or
 * rtnetlink fails (the caller sends raw). */
static struct entry *resolve(struct icr__nh *nh, unsigned fi, const struct icr_addr *a) {
    struct fam *f = &nh->fam[fi];
    unsigned bits = fbits(fi);
    if (!f->loaded && load_family(nh, fi) < 0)
        return NULL;
    struct route_info ri;
    int r = get_route(nh, a, true, &ri);
    unsigned route_len = r == 0 ? ri.dst_len : 0;
    unsigned len = icr__nh_block_len(a->bytes, bits, route_len, f->routes, f->nroutes);
    bool raw = f->policy || r < 0 || ri.type != RTN_UNICAST || ri.multipath || ri.encap ||
               ri.oif <= 0 || (fi && IN6_IS_ADDR_LINKLOCAL(&a->v6));
    bool onlink = !raw && !ri.has_gw;
    if (onlink && nh->onlink >= NH_MAX_ONLINK)
        raw = true; /* a big on-link range: one neighbour each, the stack does it better */
    struct link_info li = {0};
    if (!raw && (get_link(nh, ri.oif, &li) < 0 || li.type != ARPHRD_ETHER || !li.has_mac ||
                 !(li.flags & IFF_UP) || (li.flags & (IFF_NOARP | IFF_LOOPBACK))))
        raw = true;
    /* The source the kernel would pick for a itself (a plain lookup's
     * RTA_PREFSRC); it is the same over the block but for IPv6's
     * longest-match rule (RFC 6724 rule 8), where the first address asked
     * decides for the block. */
    struct route_info src;
    if (!raw && (get_route(nh, a, false, &src) < 0 || src.prefsrc.family != a->family ||
                 src.oif != ri.oif || src.type != RTN_UNICAST))
        raw = true;
    struct entry *e = insert(nh, fi, a->bytes, raw || !onlink ? len : bits);
    if (raw) {
        e->kind = K_RAW;
        return e;
    }
    if (onlink)
        nh->onlink++;
    e->onlink = onlink;
    e->ifindex = ri.oif;
    e->mtu = li.mtu;
    e->src = src.prefsrc;
    e->via = onlink ? *a : ri.gw;
    memcpy(e->smac, li.mac, 6);
    e->kind = K_RESOLVE; /* until the neighbour is read, at the first lookup */
    e->next_check = 0;
    return e;
}

bool icr__nh_lookup(struct icr__nh *nh, const struct icr_addr *dst, size_t ip_len, int64_t now_ns,
                    struct icr__nh_hop *ret) {
    if (dst->family != AF_INET && dst->family != AF_INET6)
        return false;
    unsigned fi = fidx(dst->family);
    struct entry *e = find(nh, fi, dst->bytes);
    if (!e && !(e = resolve(nh, fi, dst)))
        return false;
    if (e->kind == K_RAW)
        return false;
    bool via_stack = false;
    if (now_ns >= e->next_check)
        via_stack = refresh(nh, e, now_ns);
    if (e->kind != K_LINK || via_stack || ip_len > e->mtu)
        return false;
    ret->ifindex = e->ifindex;
    memcpy(ret->dst_mac, e->dmac, 6);
    memcpy(ret->src_mac, e->smac, 6);
    ret->src = e->src;
    return true;
}

bool icr__nh_cached(struct icr__nh *nh, const struct icr_addr *dst, int64_t now_ns) {
    if (dst->family != AF_INET && dst->family != AF_INET6)
        return true;
    struct entry *e = find(nh, fidx(dst->family), dst->bytes);
    return e && (e->kind == K_RAW || now_ns < e->next_check);
}

/* A neighbour changed: re-read the entries that use it at their next
 * lookup. */
static void neigh_changed(struct icr__nh *nh, const struct nlmsghdr *h) {
    const struct ndmsg *nd = NLMSG_DATA(h);
    int len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*nd)));
    struct icr_addr a = {.family = AF_UNSPEC};
    for (const struct rtattr *at = (const struct rtattr *)((const char *)nd + NLMSG_ALIGN(sizeof(*nd)));
         RTA_OK(at, len); at = RTA_NEXT(at, len))
        if (at->rta_type == NDA_DST)
            addr_from(&a, nd->ndm_family, RTA_DATA(at), RTA_PAYLOAD(at));
    if (a.family == AF_UNSPEC)
        return;
    size_t n = a.family == AF_INET ? 4 : 16;
    for (unsigned i = 0; i < NH_CAP; i++) {
        struct entry *e = &nh->tab[i];
        if (e->used && e->kind != K_RAW && e->ifindex == nd->ndm_ifindex &&
            e->via.family == a.family && !memcmp(e->via.bytes, a.bytes, n))
            e->next_check = 0;
    }
}

void icr__nh_poll(struct icr__nh *nh) {
    for (;;) {
        ssize_t n = recv(nh->mon, nh->buf, sizeof(nh->buf), MSG_DONTWAIT);
        if (n < 0) {
            if (errno == ENOBUFS)
                forget_all(nh); /* notifications were lost: trust nothing */
            if (errno == EINTR || errno == ENOBUFS)
                continue;
            return; /* EAGAIN: nothing more */
        }
        for (struct nlmsghdr *h = (struct nlmsghdr *)nh->buf; NLMSG_OK(h, (size_t)n);
             h = NLMSG_NEXT(h, n)) {
            if (h->nlmsg_type == RTM_NEWNEIGH || h->nlmsg_type == RTM_DELNEIGH)
                neigh_changed(nh, h);
            else
                forget_all(nh); /* routes, addresses, rules or links changed */
        }
    }
}

void icr__nh_failed(struct icr__nh *nh) {
    forget_all(nh);
}

int icr__nh_new(struct icr__nh **ret) {
    struct icr__nh *nh = calloc(1, sizeof(*nh));
    int r;
    if (!nh)
        return ICR_ENOMEM;
    nh->fd = nh->mon = -1;
    nh->tab = calloc(NH_CAP, sizeof(*nh->tab));
    if (!nh->tab) {
        r = ICR_ENOMEM;
        goto fail;
    }
    nh->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    nh->mon = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
    if (nh->fd < 0 || nh->mon < 0) {
        r = -errno;
        goto fail;
    }
    struct sockaddr_nl groups = {
        .nl_family = AF_NETLINK,
        .nl_groups = RTMGRP_LINK | RTMGRP_NEIGH | RTMGRP_IPV4_IFADDR | RTMGRP_IPV4_ROUTE |
                     RTMGRP_IPV6_IFADDR | RTMGRP_IPV6_ROUTE | (1u << (RTNLGRP_IPV4_RULE - 1)) |
                     (1u << (RTNLGRP_IPV6_RULE - 1)),
    };
    if (bind(nh->mon, (struct sockaddr *)&groups, sizeof(groups)) < 0) {
        r = -errno;
        goto fail;
    }
    int sz = 1 << 20;
    (void)setsockopt(nh->mon, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
    /* The kernel answers every query at once; should it ever not, a
     * sender waits a second at most and sends that probe the raw way. */
    struct timeval tv = {.tv_sec = 1};
    (void)setsockopt(nh->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    *ret = nh;
    return 0;
fail:
    icr__nh_free(nh);
    return r;
}

struct icr__nh *icr__nh_free(struct icr__nh *nh) {
    if (!nh)
        return NULL;
    if (nh->fd >= 0)
        close(nh->fd);
    if (nh->mon >= 0)
        close(nh->mon);
    for (unsigned i = 0; i < 2; i++)
        free(nh->fam[i].routes);
    free(nh->tab);
    free(nh);
    return NULL;
}
