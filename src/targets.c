/* targets.c - owns icr_targets: the sets of IPv4/IPv6 addresses a sweep
 * visits, their entry syntax (address, CIDR, range, host name, files of
 * them) and the mapping between an index 0..count-1 and an address.
 *
 * A set is kept as closed intervals [lo, hi] of addresses read as unsigned
 * 128-bit integers (IPv4 in the low 32 bits), per family, one list of
 * included and one of excluded intervals.  The first query after a change
 * "compiles" it: sort and merge both lists, subtract the excludes, and
 * build prefix sums of the interval sizes.  get() is then a binary search
 * over the prefix sums and index() one over the intervals, both O(log R)
 * for R intervals.  Memory is O(entries), never O(addresses): a /104 is
 * one interval of 32 bytes.
 *
 * Compiling never allocates: every append reserves room for the worst case
 * of the compiled form first (subtracting E excludes from I includes gives
 * at most I + E intervals).  So compiling cannot fail, and count() - which
 * has no error channel - always tells the truth.
 *
 * The ICR_TARGETS_MAX limit is enforced when an entry is added, never when
 * compiling, so a set that exists is always a set that can be swept:
 * icr_targets_add() refuses an entry if the set with it (includes minus the
 * excludes known at that moment) would exceed the limit.  Excludes added
 * later only shrink the set.  The exact check costs a compile, so it runs
 * only when a cheap upper bound (last exact count + the raw sizes of the
 * entries added since) says the limit might be crossed. */
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "icmpring.h"

/* __extension__: ISO C has no 128-bit integers and -Wpedantic says so; GCC
 * and Clang on every 64-bit target we build for have them. */
__extension__ typedef unsigned __int128 icr__u128;

/* Longest entry accepted.  The longest legitimate one is a host name (253
 * characters + a trailing dot); a range of two full IPv6 forms is 91. */
#define SPEC_MAX 300

/* Longest line of a target file, not counting its comment. */
#define LINE_MAX_LEN 1024

/* Addresses a host name may resolve to that we read in one go. */
#define RESOLVE_FIRST 16

/* Any count above this is "too many" to every check below; kept well
 * above 2 * ICR_TARGETS_MAX so that subtracting an exact count of at most
 * ICR_TARGETS_MAX from a saturated value still reads as too many. */
#define SAT_CAP ((icr__u128)1 << 60)

#define ALL_FLAGS                                                                            \
    (ICR_TARGETS_KEEP_NETBCAST | ICR_TARGETS_ONLY_V4 | ICR_TARGETS_ONLY_V6 |                 \
     ICR_TARGETS_NO_LOOKUP)

enum { FAM_V4 = 0, FAM_V6 = 1, FAM_N = 2 };

struct interval {
    icr__u128 lo, hi;
};

struct ivlist {
    struct interval *v;
    size_t n, cap;
};

/* One parsed entry: a single interval, or the addresses of a host name. */
struct entry {
    struct interval *iv;
    int *fam;
    size_t n;
    struct interval one_iv;
    int one_fam;
    struct icr_addr first[RESOLVE_FIRST];
    struct icr_addr *addrs; /* heap, only for names with many addresses */
};

struct icr_targets {
    struct ivlist incl[FAM_N];
    struct ivlist excl[FAM_N];

    /* The compiled form: IPv4 intervals [0, n_v4), IPv6 [n_v4, n), and
     * start[i] = index of the first address of interval i, start[n] =
     * total.  Capacity `cap` is reserved by appends (see the top). */
    struct interval *iv;
    uint64_t *start;
    size_t cap;
    size_t n, n_v4;
    uint64_t total;

    /* An upper bound of the exact count: the last compiled total plus the
     * raw sizes of the entries added since (saturating at SAT_CAP). */
    icr__u128 bound;
    bool dirty;
};

/* ------------------------------------------------------------------------
 * 128-bit helpers
 * ------------------------------------------------------------------------ */

static icr__u128 addr_to_u128(const struct icr_addr *a)
{
    icr__u128 v = 0;

    if (a->family == AF_INET)
        return (icr__u128)ntohl(a->v4.s_addr);
    for (int i = 0; i < 16; i++)
        v = (v << 8) | a->bytes[i];
    return v;
}

static void u128_to_addr(icr__u128 v, int fam, struct icr_addr *ret)
{
    *ret = (struct icr_addr){ .family = fam == FAM_V4 ? AF_INET : AF_INET6 };
    if (fam == FAM_V4) {
        ret->v4.s_addr = htonl((uint32_t)v);
        return;
    }
    for (int i = 15; i >= 0; i--) {
        ret->bytes[i] = (uint8_t)v;
        v >>= 8;
    }
}

/* Number of addresses in [lo, hi], saturated at SAT_CAP: ::/0 has 2^128,
 * one more than a u128 holds. */
static icr__u128 span(icr__u128 lo, icr__u128 hi)
{
    assert(lo <= hi);
    return hi - lo >= SAT_CAP ? SAT_CAP : hi - lo + 1;
}

static icr__u128 sat_add(icr__u128 a, icr__u128 b)
{
    /* Both operands are <= SAT_CAP, so the sum cannot wrap. */
    return a + b >= SAT_CAP ? SAT_CAP : a + b;
}

/* ------------------------------------------------------------------------
 * Storage
 * ------------------------------------------------------------------------ */

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    size_t c = *cap ? *cap : 4;
    void *q;

    if (need <= *cap)
        return 0;
    while (c < need) {
        if (c > SIZE_MAX / 2 / elem)
            return ICR_ENOMEM;
        c *= 2;
    }
    q = realloc(*p, c * elem);
    if (q == NULL)
        return ICR_ENOMEM;
    *p = q;
    *cap = c;
    return 0;
}

/* Make room for an entry of e->n intervals in the include or exclude lists
 * and in the compiled form, before anything is changed: a failure leaves
 * the set as it was. */
static int reserve(icr_targets *t, const struct entry *e, bool exclude)
{
    struct ivlist *lists = exclude ? t->excl : t->incl;
    size_t per_fam[FAM_N] = { 0, 0 };
    size_t all = e->n;
    size_t cap;
    int r;

    for (size_t i = 0; i < e->n; i++)
        per_fam[e->fam[i]]++;
    for (int f = 0; f < FAM_N; f++) {
        r = grow((void **)&lists[f].v, &lists[f].cap, lists[f].n + per_fam[f],
                 sizeof(struct interval));
        if (r < 0)
            return r;
        all += t->incl[f].n + t->excl[f].n;
    }
    /* start[] has one more slot than iv[]: start[n] is the total.  Both
     * arrays share `cap`, so grow a copy and commit it after both. */
    cap = t->cap;
    r = grow((void **)&t->iv, &cap, all, sizeof(struct interval));
    if (r < 0)
        return r;
    if (cap != t->cap) {
        uint64_t *s = realloc(t->start, (cap + 1) * sizeof(uint64_t));

        if (s == NULL)
            return ICR_ENOMEM; /* iv[] is larger than needed: harmless */
        t->start = s;
        t->cap = cap;
    }
    return 0;
}

static int cmp_interval(const void *pa, const void *pb)
{
    const struct interval *a = pa, *b = pb;

    if (a->lo != b->lo)
        return a->lo < b->lo ? -1 : 1;
    if (a->hi != b->hi)
        return a->hi < b->hi ? -1 : 1;
    return 0;
}

/* Sort and merge overlapping or adjacent intervals, in place.  Normalising
 * the input lists themselves (not a copy) keeps later compiles and limit
 * checks proportional to the distinct intervals, not to the entries ever
 * given (a file may name the same block many times). */
static void normalize(struct ivlist *l)
{
    size_t w = 0;

    if (l->n == 0)
        return;
    qsort(l->v, l->n, sizeof(l->v[0]), cmp_interval);
    for (size_t i = 1; i < l->n; i++) {
        struct interval *cur = &l->v[w];

        /* v.lo >= cur.lo from the sort; "- 1" cannot wrap once v.lo > cur.hi. */
        if (l->v[i].lo <= cur->hi || l->v[i].lo - 1 == cur->hi) {
            if (l->v[i].hi > cur->hi)
                cur->hi = l->v[i].hi;
        } else {
            l->v[++w] = l->v[i];
        }
    }
    l->n = w + 1;
}

/* out[] = incl - excl, both sorted and merged; returns intervals written. */
static size_t subtract(const struct ivlist *in, const struct ivlist *ex, struct interval *out)
{
    size_t w = 0, j = 0;

    for (size_t i = 0; i < in->n; i++) {
        icr__u128 cur = in->v[i].lo, hi = in->v[i].hi;
        bool alive = true;

        while (j < ex->n && ex->v[j].hi < cur)
            j++;
        /* An exclude that reaches past hi stays at j for the next include. */
        for (; j < ex->n && ex->v[j].lo <= hi; j++) {
            if (ex->v[j].lo > cur)
                out[w++] = (struct interval){ .lo = cur, .hi = ex->v[j].lo - 1 };
            if (ex->v[j].hi >= hi) {
                alive = false;
                break;
            }
            cur = ex->v[j].hi + 1;
        }
        if (alive)
            out[w++] = (struct interval){ .lo = cur, .hi = hi };
    }
    return w;
}

static void compile(icr_targets *t)
{
    icr__u128 total = 0;

    if (!t->dirty)
        return;
    t->n = 0;
    for (int f = 0; f < FAM_N; f++) {
        normalize(&t->incl[f]);
        normalize(&t->excl[f]);
        assert(t->n + t->incl[f].n + t->excl[f].n <= t->cap);
        t->n += subtract(&t->incl[f], &t->excl[f], t->iv + t->n);
        if (f == FAM_V4)
            t->n_v4 = t->n;
    }
    for (size_t i = 0; i < t->n; i++) {
        t->start[i] = (uint64_t)total;
        total = sat_add(total, span(t->iv[i].lo, t->iv[i].hi));
    }
    /* add() keeps every set within the limit (see the top of the file). */
    assert(total <= ICR_TARGETS_MAX);
    if (t->start != NULL)
        t->start[t->n] = (uint64_t)total;
    t->total = (uint64_t)total;
    t->bound = total;
    t->dirty = false;
}

/* First compiled interval of family f whose hi >= x (n if none). */
static size_t first_reaching(const icr_targets *t, int f, icr__u128 x)
{
    size_t lo = f == FAM_V4 ? 0 : t->n_v4, hi = f == FAM_V4 ? t->n_v4 : t->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (t->iv[mid].hi < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* How many addresses of [lo, hi] are neither in the compiled set nor
 * excluded: what adding the interval would really add.  The set must be
 * compiled (excludes then sorted and merged).  Saturates at SAT_CAP. */
static icr__u128 growth(const icr_targets *t, int f, icr__u128 lo, icr__u128 hi)
{
    const struct ivlist *ex = &t->excl[f];
    size_t end = f == FAM_V4 ? t->n_v4 : t->n;
    icr__u128 cur = lo, fresh = 0, present = 0;
    size_t a = 0, b = ex->n;
    bool covered = false;

    /* |[lo,hi] - excl| by walking the gaps between the excludes. */
    while (a < b) {
        size_t mid = a + (b - a) / 2;

        if (ex->v[mid].hi < lo)
            a = mid + 1;
        else
            b = mid;
    }
    for (; a < ex->n && ex->v[a].lo <= hi; a++) {
        if (ex->v[a].lo > cur)
            fresh = sat_add(fresh, span(cur, ex->v[a].lo - 1));
        if (ex->v[a].hi >= hi) {
            covered = true;
            break;
        }
        cur = ex->v[a].hi + 1;
    }
    if (!covered)
        fresh = sat_add(fresh, span(cur, hi));

    /* Minus what is already in: the compiled set holds no excluded address,
     * so this overlap lies entirely inside `fresh`.  It is exact (<= MAX). */
    for (size_t i = first_reaching(t, f, lo); i < end && t->iv[i].lo <= hi; i++) {
        icr__u128 l = t->iv[i].lo > lo ? t->iv[i].lo : lo;
        icr__u128 h = t->iv[i].hi < hi ? t->iv[i].hi : hi;

        present += h - l + 1;
    }
    return fresh >= SAT_CAP ? SAT_CAP : fresh - present;
}

/* ------------------------------------------------------------------------
 * Parsing entries
 * ------------------------------------------------------------------------ */

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static int fam_of(const struct icr_addr *a)
{
    return a->family == AF_INET ? FAM_V4 : FAM_V6;
}

static void entry_one(struct entry *e, int fam, icr__u128 lo, icr__u128 hi)
{
    e->one_iv = (struct interval){ .lo = lo, .hi = hi };
    e->one_fam = fam;
    e->iv = &e->one_iv;
    e->fam = &e->one_fam;
    e->n = 1;
}

static void entry_release(struct entry *e)
{
    if (e->iv != &e->one_iv)
        free(e->iv);
    if (e->fam != &e->one_fam)
        free(e->fam);
    free(e->addrs);
    *e = (struct entry){ .n = 0 };
}

/* A literal address without a zone.  Zones are refused everywhere in a
 * target: an interval of fe80::/64 "on eth0" would need a zone per
 * interval for one rare case, and index() could not tell fe80::1%eth0
 * from fe80::1%eth1 anyway. */
static int parse_literal(const char *s, struct icr_addr *ret)
{
    if (strchr(s, '%') != NULL)
        return ICR_EINVAL;
    return icr_addr_parse(s, ret) < 0 ? ICR_EINVAL : 0;
}

/* "ADDR/LEN".  Host bits must be zero: "198.18.0.1/16" is far more often
 * a typo (for .0.0/16, or for one host) than a way to say "the /16 around
 * it", and sweeping 65534 addresses because of one is costly; ipcalc and
 * Python's ipaddress (strict=True) refuse it for the same reason. */
static int parse_cidr(char *s, char *slash, bool exclude, unsigned flags, struct entry *e)
{
    struct icr_addr a;
    const char *p = slash + 1;
    unsigned len = 0, bits;
    icr__u128 lo, hi, host;

    *slash = '\0';
    if (parse_literal(s, &a) < 0)
        return ICR_EINVAL;
    /* 1-3 digits, no sign, no leading zero: "/024" is not silently 24. */
    if (p[0] == '\0' || (p[0] == '0' && p[1] != '\0') || strlen(p) > 3)
        return ICR_EINVAL;
    for (; *p != '\0'; p++) {
        if (*p < '0' || *p > '9')
            return ICR_EINVAL;
        len = len * 10 + (unsigned)(*p - '0');
    }
    bits = a.family == AF_INET ? 32 : 128;
    if (len > bits)
        return ICR_EINVAL;
    lo = addr_to_u128(&a);
    /* Shifting a u128 by 128 is undefined: /0 of IPv6 is all ones. */
    host = bits - len == 128 ? ~(icr__u128)0 : (((icr__u128)1 << (bits - len)) - 1);
    if ((lo & host) != 0)
        return ICR_EINVAL;
    hi = lo | host;
    /* fping -g: the network and broadcast addresses of an IPv4 subnet are
     * not hosts, and a broadcast address answers from many hosts at once.
     * /31 (RFC 3021 point-to-point) and /32 have neither.  Excludes keep
     * them: "exclude 198.18.0.0/24" means the whole block, including a .0
     * or .255 that a range or KEEP_NETBCAST entry brought in. */
    if (a.family == AF_INET && len <= 30 && !exclude && !(flags & ICR_TARGETS_KEEP_NETBCAST)) {
        lo++;
        hi--;
    }
    entry_one(e, fam_of(&a), lo, hi);
    return 0;
}

/* A host name: every address icr_resolve() gives.  ONLY_V4/ONLY_V6 apply
 * here only, as the header documents: a literal is taken as typed.
 * Addresses with a zone (link-local ones from some resolvers) are skipped
 * for the reason given at parse_literal; a name left with none fails as a
 * lookup would. */
static int parse_name(const char *s, unsigned flags, struct entry *e)
{
    int family = AF_UNSPEC;
    struct icr_addr *list = e->first;
    size_t n, k = 0;
    int r;

    if (flags & ICR_TARGETS_NO_LOOKUP)
        return ICR_EINVAL;
    if (!icr_is_hostname(s))
        return ICR_EINVAL;
    if (flags & ICR_TARGETS_ONLY_V4)
        family = AF_INET;
    else if (flags & ICR_TARGETS_ONLY_V6)
        family = AF_INET6;
    r = icr_resolve(s, family, e->first, RESOLVE_FIRST);
    if (r < 0)
        return r;
    n = (size_t)r;
    if (n > RESOLVE_FIRST) {
        /* Rare (round-robin names): ask again with room for all; the answer
         * may have changed in between, so take what fits. */
        e->addrs = calloc(n, sizeof(*e->addrs));
        if (e->addrs == NULL)
            return ICR_ENOMEM;
        r = icr_resolve(s, family, e->addrs, n);
        if (r < 0)
            return r;
        n = (size_t)r < n ? (size_t)r : n;
        list = e->addrs;
    }
    e->iv = calloc(n, sizeof(*e->iv));
    e->fam = calloc(n, sizeof(*e->fam));
    if (e->iv == NULL || e->fam == NULL)
        return ICR_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        /* Belt and braces: the flags promise one family whatever the
         * resolver does with a literal-looking answer. */
        if (list[i].scope_id != 0 || (family != AF_UNSPEC && list[i].family != family))
            continue;
        e->iv[k].lo = e->iv[k].hi = addr_to_u128(&list[i]);
        e->fam[k++] = fam_of(&list[i]);
    }
    e->n = k;
    return k > 0 ? 0 : ICR_ENAMELOOKUP;
}

/* Turn one entry into intervals.  Order matters: CIDR ('/'), then a
 * literal, then a range (the part before the first '-' is an address:
 * names like "10-0-0-1.example" do not start with one), then a name. */
static int parse_entry(const char *spec, bool exclude, unsigned flags, struct entry *e)
{
    char buf[SPEC_MAX + 1];
    struct icr_addr a, b;
    const char *end;
    char *p;
    size_t len;

    while (is_blank(*spec))
        spec++;
    end = spec + strlen(spec);
    while (end > spec && is_blank(end[-1]))
        end--;
    len = (size_t)(end - spec);
    if (len == 0 || len > SPEC_MAX)
        return ICR_EINVAL;
    memcpy(buf, spec, len);
    buf[len] = '\0';

    p = strchr(buf, '/');
    if (p != NULL)
        return parse_cidr(buf, p, exclude, flags, e);
    if (parse_literal(buf, &a) == 0) {
        entry_one(e, fam_of(&a), addr_to_u128(&a), addr_to_u128(&a));
        return 0;
    }
    p = strchr(buf, '-');
    if (p != NULL) {
        *p = '\0';
        if (parse_literal(buf, &a) == 0) {
            if (parse_literal(p + 1, &b) < 0 || a.family != b.family ||
                addr_to_u128(&a) > addr_to_u128(&b))
                return ICR_EINVAL;
            entry_one(e, fam_of(&a), addr_to_u128(&a), addr_to_u128(&b));
            return 0;
        }
        *p = '-';
    }
    return parse_name(buf, flags, e);
}

static int check_flags(unsigned flags)
{
    if (flags & ~(unsigned)ALL_FLAGS)
        return ICR_EINVAL;
    if ((flags & ICR_TARGETS_ONLY_V4) && (flags & ICR_TARGETS_ONLY_V6))
        return ICR_EINVAL;
    return 0;
}

/* Parse, check the limit, append.  Nothing changes unless all succeed. */
static int add_entry(icr_targets *t, const char *spec, bool exclude, unsigned flags)
{
    struct entry e = { .n = 0 };
    struct ivlist *lists = exclude ? t->excl : t->incl;
    icr__u128 raw = 0, bound;
    int r;

    r = parse_entry(spec, exclude, flags, &e);
    if (r < 0)
        goto out;
    r = reserve(t, &e, exclude);
    if (r < 0)
        goto out;

    if (!exclude) {
        for (size_t i = 0; i < e.n; i++)
            raw = sat_add(raw, span(e.iv[i].lo, e.iv[i].hi));
        bound = sat_add(t->bound, raw);
        if (bound > ICR_TARGETS_MAX) {
            /* Maybe too many: count exactly.  A name's addresses are
             * distinct (icr_resolve removes duplicates), so their growths
             * add up. */
            compile(t);
            bound = t->total;
            for (size_t i = 0; i < e.n; i++)
                bound = sat_add(bound, growth(t, e.fam[i], e.iv[i].lo, e.iv[i].hi));
            if (bound > ICR_TARGETS_MAX) {
                r = ICR_EINVAL;
                goto out;
            }
        }
        t->bound = bound;
    }
    for (size_t i = 0; i < e.n; i++) {
        struct ivlist *l = &lists[e.fam[i]];

        assert(l->n < l->cap);
        l->v[l->n++] = e.iv[i];
    }
    if (e.n > 0)
        t->dirty = true;
    r = 0;
out:
    entry_release(&e);
    return r;
}

/* ------------------------------------------------------------------------
 * Public API
 * ------------------------------------------------------------------------ */

ICR_EXPORT int icr_targets_new(icr_targets **ret_targets)
{
    icr_targets *t;

    if (ret_targets == NULL)
        return ICR_EINVAL;
    t = calloc(1, sizeof(*t));
    if (t == NULL)
        return ICR_ENOMEM;
    *ret_targets = t;
    return 0;
}

ICR_EXPORT icr_targets *icr_targets_free(icr_targets *t)
{
    if (t == NULL)
        return NULL;
    for (int f = 0; f < FAM_N; f++) {
        free(t->incl[f].v);
        free(t->excl[f].v);
    }
    free(t->iv);
    free(t->start);
    free(t);
    return NULL;
}

ICR_EXPORT int icr_targets_add(icr_targets *t, const char *spec, unsigned flags)
{
    if (t == NULL || spec == NULL || check_flags(flags) < 0)
        return ICR_EINVAL;
    return add_entry(t, spec, false, flags);
}

ICR_EXPORT int icr_targets_exclude(icr_targets *t, const char *spec, unsigned flags)
{
    if (t == NULL || spec == NULL || check_flags(flags) < 0)
        return ICR_EINVAL;
    return add_entry(t, spec, true, flags);
}

/* Read one line into buf (size bytes), without the '\n' and without any
 * comment: from a '#' on, characters are dropped, so a comment may be of
 * any length.  Returns 1 for a line, 0 at end of file, ICR_EINVAL for a
 * line whose entry part does not fit or that holds a NUL byte (a binary
 * file given by mistake), or a negative errno on a read error.  Byte by
 * byte rather than getline(): a gigabyte-long line is refused without
 * allocating a gigabyte. */
static int read_line(FILE *f, char *buf, size_t size)
{
    size_t len = 0;
    bool comment = false, bad = false, any = false;

    for (;;) {
        int c = getc(f);

        if (c == EOF) {
            if (ferror(f))
                return errno > 0 ? -errno : -EIO;
            if (!any)
                return 0;
            break;
        }
        any = true;
        if (c == '\n')
            break;
        if (c == '\0')
            bad = true;
        if (c == '#')
            comment = true;
        if (comment || bad)
            continue;
        if (len + 1 >= size) {
            /* Keep reading to the end of the line (the caller reports its
             * number), but the entry is refused. */
            bad = true;
            continue;
        }
        buf[len++] = (char)c;
    }
    buf[len] = '\0';
    return bad ? ICR_EINVAL : 1;
}

/* *ret_line is set only when a line fails (read error included): bad
 * arguments have no line to point at, and leave it untouched. */
ICR_EXPORT int icr_targets_add_file(icr_targets *t, FILE *f, bool exclude, unsigned flags,
                                    size_t *ret_line)
{
    char line[LINE_MAX_LEN + 1];
    size_t lineno = 0;
    int r;

    if (t == NULL || f == NULL || check_flags(flags) < 0)
        return ICR_EINVAL;

    for (;;) {
        const char *s = line;

        errno = 0;
        r = read_line(f, line, sizeof(line));
        if (r == 0)
            return 0;
        lineno++;
        if (r < 0)
            break;
        /* Blank and comment-only lines; "\r" of CRLF files is a blank. */
        while (is_blank(*s))
            s++;
        if (*s == '\0')
            continue;
        r = add_entry(t, s, exclude, flags);
        if (r < 0)
            break;
    }
    if (ret_line != NULL)
        *ret_line = lineno;
    return r;
}

ICR_EXPORT uint64_t icr_targets_count(icr_targets *t)
{
    if (t == NULL)
        return 0;
    compile(t);
    return t->total;
}

ICR_EXPORT int icr_targets_get(icr_targets *t, uint64_t index, struct icr_addr *ret_addr)
{
    const uint64_t *start;
    size_t lo = 0, n;

    if (t == NULL || ret_addr == NULL)
        return ICR_EINVAL;
    compile(t);
    if (index >= t->total)
        return ICR_EINVAL;
    /* Last interval whose start <= index.  The loop shape (halve n, move
     * lo forward) compiles to conditional moves: this runs once per probe. */
    start = t->start;
    n = t->n;
    while (n > 1) {
        size_t half = n / 2;

        lo = start[lo + half] <= index ? lo + half : lo;
        n -= half;
    }
    u128_to_addr(t->iv[lo].lo + (index - start[lo]), lo < t->n_v4 ? FAM_V4 : FAM_V6,
                 ret_addr);
    return 0;
}

/* The zone (scope_id) of `a` is ignored: sets hold no zones, while a reply
 * from a link-local address comes with the receiving interface's. */
ICR_EXPORT int icr_targets_index(icr_targets *t, const struct icr_addr *a, uint64_t *ret_index)
{
    icr__u128 x;
    size_t i, end;
    int f;

    if (t == NULL || a == NULL || ret_index == NULL)
        return ICR_EINVAL;
    if (a->family != AF_INET && a->family != AF_INET6)
        return ICR_EINVAL;
    compile(t);
    f = fam_of(a);
    x = addr_to_u128(a);
    i = first_reaching(t, f, x);
    end = f == FAM_V4 ? t->n_v4 : t->n;
    if (i == end || t->iv[i].lo > x)
        return ICR_EINVAL;
    *ret_index = t->start[i] + (uint64_t)(x - t->iv[i].lo);
    return 0;
}
