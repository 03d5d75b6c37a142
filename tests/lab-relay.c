/* lab-relay.c - a fault-injecting relay between two TUN devices, for the
 * lab tests (icmpring-lab relay; never elsewhere: it writes raw packets).
 *
 *   lab-relay --a IF[@NETNS] --b IF[@NETNS] [options]
 *
 * A is the prober's side, B the responder's.  The relay attaches to the
 * TUN device IF (made beforehand, e.g. by `ip tuntap add`) in network
 * namespace NETNS (a path such as /run/netns/x; default: the caller's),
 * then returns to the caller's namespace.  IP packets read from A (the
 * requests) go to B, delayed by --req-delay; packets read from B (the
 * replies) go to A through the faults below.  Only Echo Replies (ICMP type
 * 0 / ICMPv6 129) get faults; everything else passes (with the delay).
 *
 *   --delay MS --jitter MS   reply delay: MS + uniform(-jitter, +jitter),
 *                            at least 0, at most 10000 ms
 *   --req-delay MS           fixed delay of the requests (0)
 *   --queue N                packets held at once (4096, at most 2^21); more
 *                            are dropped and counted as "overflow"
 *   --reorder P              a reply is held back and sent right after the
 *                            next one (an adjacent swap), or alone after
 *                            200 ms if no other reply comes
 *   --dup P                  the reply is delivered twice
 *   --drop P                 the reply is not delivered
 *   --corrupt P              the reply is replaced by a corrupted one, of a
 *                            kind picked uniformly among --kinds:
 *      flip       one bit of the ICMP id/sequence or of payload bytes 0-31
 *                 (icmpring's MAC, send time, index, probe, hop, magic),
 *                 checksum recomputed
 *      csum       the ICMP checksum field changed, nothing else
 *      trunc      cut inside the first 40 ICMP bytes, lengths and checksum
 *                 made consistent (a short reply that verifies)
 *      iplen      the IPv4 total length / IPv6 payload length wrong (longer:
 *                 the kernel drops it; shorter: cut inside the first 40
 *                 ICMP bytes), the ICMP checksum left as it was
 *      quote      an ICMP error (v4: 3/1, v6: 1/3) from the replier quoting
 *                 its request with one bit of the quoted ICMP id flipped
 *      shortquote the same error quoting the IP header and only 4 ICMP bytes
 *                 (--kinds a,b,... ; default all)
 *   --forge P                after the reply, also a forged Echo Reply from
 *                            a random host of the replier's /24 (IPv6: the
 *                            last byte random), random id and sequence, a
 *                            payload with icmpring's magic, a valid checksum
 *   --seed N                 random seed (default: from the clock)
 *   --log FILE               what was done (below); written as it goes
 *   --ready FILE             created once both devices are attached
 *   --seconds S              run at most S seconds (60, at most 3600);
 *                            SIGTERM/SIGINT end it earlier
 *
 * Log lines (times: CLOCK_MONOTONIC ns just before the write() that put the
 * packet on its device -- the kernel delivers it inside that call, and the
 * call may return milliseconds later on a busy machine (softirq work, a
 * preempted vCPU: seen 4.8 ms), so a time taken after it would make the
 * relay's RTT longer than the one the prober measures; a request's time,
 * for RTT_NS, is just after the read() that took it from A, which is after
 * the prober sent it.  So a prober's RTT is never below the relay's):
 *   req DST ID SEQ T              a request passed to B
 *   rep SRC ID SEQ T RTT_NS       an intact Echo Reply delivered to A; RTT_NS
 *                                 is T minus its request's time (-1: unknown);
 *                                 a duplicate gives a second line
 *   bad KIND SRC ID SEQ T         a corrupted reply delivered instead
 *   drop SRC ID SEQ               a reply not delivered (--drop or overflow)
 *   forge SRC ID SEQ T            a forged reply delivered
 *   count ACTION N                at the end, per action: requests, replies,
 *                                 delivered, dup, drop, reorder, overflow,
 *                                 forge, bad, bad-KIND, other
 * The relay runs at SCHED_FIFO priority 50 where it may (its timestamps are
 * what the tests compare RTTs with).
 * The queue costs O(1) per packet when the delays are fixed: each direction
 * is a FIFO, which is sorted by due time as long as every packet is due no
 * earlier than the one queued before it; a packet due earlier than that
 * (jitter, a held reply let go) goes to a binary heap instead (O(log n)).
 * The log is written through a 256 KiB buffer (one write() per 256 KiB,
 * not per line): it is complete once the relay has ended ("# lab-relay end").
 * Every loop is bounded by the packet counts and by --seconds.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define MAXPKT 2048
#define NKINDS 6
#define REQ_SLOTS (1u << 20) /* requests remembered (hashed; a collision forgets one) */
#define QUEUE_MAX (1u << 21)
#define REORDER_WAIT_NS 200000000LL

static const char *const kind_names[NKINDS] = {"flip", "csum", "trunc", "iplen", "quote",
                                               "shortquote"};

struct pkt {
    int64_t due;
    uint64_t order;
    int to;                 /* 0: write to A, 1: write to B */
    int what;               /* 0 other, 1 request, 2 intact reply, 3 bad, 4 forge */
    int kind;               /* for bad */
    int64_t req_ns;         /* for an intact reply: its request's time, or -1 */
    uint8_t osrc[16];       /* for bad: the reply's source, id and sequence */
    uint16_t oid, oseq;
    uint16_t len;
    uint8_t data[MAXPKT];
};

struct req_slot {
    uint8_t addr[16];
    uint16_t id, seq;
    bool used;
    int64_t t;
    uint16_t hlen;          /* stored request header bytes */
    uint8_t hdr[48];        /* the IP header and 8 ICMP bytes (for quotes) */
};

static volatile sig_atomic_t stop;
/* Packets in slots of a pool; free slots on a stack (the most recently
 * freed first, so a long queue that is rarely full touches few pages). */
static struct pkt *pool;
static uint32_t *free_slots;
static size_t qcap, nfree;
static uint64_t qorder;
/* Queued slots: fifo[to] per direction (a ring), heap for the rest. */
struct fifo {
    uint32_t *s;
    size_t head, len;
};
static struct fifo fifo[2];
static uint32_t *heap;
static size_t heap_len;
static struct req_slot *reqs;
static FILE *log_fp;
static uint64_t rng_state;

enum { C_REQ, C_REP, C_DELIV, C_DUP, C_DROP, C_REORDER, C_OVERFLOW, C_FORGE, C_BAD, C_OTHER,
       C_N };
static const char *const count_names[C_N] = {"requests", "replies", "delivered", "dup", "drop",
                                             "reorder", "overflow", "forge", "bad", "other"};
static uint64_t counts[C_N], kind_counts[NKINDS];

static void on_signal(int sig) {
    (void)sig;
    stop = 1;
}

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* splitmix64 */
static uint64_t rnd(void) {
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double rnd01(void) {
    return (double)(rnd() >> 11) / 9007199254740992.0;
}

static bool chance(double p) {
    return p > 0 && rnd01() < p;
}

static uint32_t rnd_below(uint32_t n) {
    return n ? (uint32_t)(rnd() % n) : 0;
}

/* ---- checksums ------------------------------------------------------------ */

static uint32_t sum16(uint32_t s, const uint8_t *p, size_t n) {
    for (size_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)p[i] << 8 | p[i + 1];
    if (n & 1)
        s += (uint32_t)p[n - 1] << 8;
    return s;
}

static uint16_t fold(uint32_t s) {
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

static void put16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p) {
    return (uint16_t)(p[0] << 8 | p[1]);
}

/* ---- packets -------------------------------------------------------------- */

/* Where the ICMP message of an IPv4 (proto 1) or IPv6 (next header 58)
 * packet starts; 0 if it is not one. */
static size_t icmp_off(const uint8_t *p, size_t len) {
    if (len >= 28 && (p[0] >> 4) == 4 && p[9] == IPPROTO_ICMP && (size_t)(p[0] & 15) * 4 >= 20 &&
        (size_t)(p[0] & 15) * 4 + 8 <= len)
        return (size_t)(p[0] & 15) * 4;
    if (len >= 48 && (p[0] >> 4) == 6 && p[6] == IPPROTO_ICMPV6)
        return 40;
    return 0;
}

static bool is_v6(const uint8_t *p) {
    return (p[0] >> 4) == 6;
}

/* Fix the IPv4 header checksum / nothing for IPv6. */
static void fix_ip(uint8_t *p) {
    if (is_v6(p))
        return;
    size_t ihl = (size_t)(p[0] & 15) * 4;
    p[10] = p[11] = 0;
    put16(p + 10, fold(sum16(0, p, ihl)));
}

/* Set the ICMP checksum of the message at p+off, len bytes of ICMP. */
static void fix_icmp(uint8_t *p, size_t off, size_t ilen) {
    uint8_t *icmp = p + off;
    icmp[2] = icmp[3] = 0;
    uint32_t s = 0;
    if (is_v6(p)) {
        uint8_t ph[8] = {0, 0, (uint8_t)(ilen >> 8), (uint8_t)ilen, 0, 0, 0, IPPROTO_ICMPV6};
        s = sum16(s, p + 8, 32);
        s = sum16(s, ph, 8);
    }
    put16(icmp + 2, fold(sum16(s, icmp, ilen)));
}

/* Set the IP length fields for a packet of total length len. */
static void set_len(uint8_t *p, size_t len) {
    if (is_v6(p))
        put16(p + 4, (uint16_t)(len - 40));
    else
        put16(p + 2, (uint16_t)len);
    fix_ip(p);
}

static const char *addr_str(const uint8_t *a, bool v6, char *buf, size_t n) {
    return inet_ntop(v6 ? AF_INET6 : AF_INET, a, buf, (socklen_t)n) ? buf : "?";
}

/* The address the packet comes from / goes to. */
static const uint8_t *src_of(const uint8_t *p) {
    return is_v6(p) ? p + 8 : p + 12;
}

static const uint8_t *dst_of(const uint8_t *p) {
    return is_v6(p) ? p + 24 : p + 16;
}

static size_t req_index(const uint8_t *addr, bool v6, uint16_t id, uint16_t seq) {
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < (v6 ? 16u : 4u); i++)
        h = (h ^ addr[i]) * 1099511628211ULL;
    h = (h ^ id) * 1099511628211ULL;
    h = (h ^ seq) * 1099511628211ULL;
    return (size_t)(h % REQ_SLOTS);
}

static struct req_slot *req_find(const uint8_t *addr, bool v6, uint16_t id, uint16_t seq) {
    struct req_slot *r = &reqs[req_index(addr, v6, id, seq)];
    if (r->used && r->id == id && r->seq == seq && !memcmp(r->addr, addr, v6 ? 16 : 4))
        return r;
    return NULL;
}

/* ---- queue ---------------------------------------------------------------- */

static int64_t reply_delay_ns;
static int64_t jitter_ns;
static int64_t req_delay_ns;

static int64_t pick_delay(void) {
    int64_t d = reply_delay_ns;
    if (jitter_ns > 0)
        d += (int64_t)(rnd01() * (double)(2 * jitter_ns)) - jitter_ns;
    return d < 0 ? 0 : d;
}

/* Whether slot a is due before slot b (ties: in the order queued). */
static bool before(uint32_t a, uint32_t b) {
    return pool[a].due < pool[b].due || (pool[a].due == pool[b].due && pool[a].order < pool[b].order);
}

static void heap_push(uint32_t x) {
    size_t i = heap_len++;
    while (i > 0 && before(x, heap[(i - 1) / 2])) {
        heap[i] = heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    heap[i] = x;
}

static void heap_pop(void) {
    uint32_t x = heap[--heap_len];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= heap_len)
            break;
        if (c + 1 < heap_len && before(heap[c + 1], heap[c]))
            c++;
        if (!before(heap[c], x))
            break;
        heap[i] = heap[c];
        i = c;
    }
    if (heap_len)
        heap[i] = x;
}

static uint32_t fifo_at(const struct fifo *f, size_t k) {
    return f->s[(f->head + k) % qcap];
}

/* Queue slot x (its due and order set): O(1) when it is due no earlier
 * than the last packet of its direction's FIFO. */
static void push(uint32_t x) {
    struct fifo *f = &fifo[pool[x].to];
    if (f->len == 0 || !before(x, fifo_at(f, f->len - 1))) {
        f->s[(f->head + f->len) % qcap] = x;
        f->len++;
    } else {
        heap_push(x);
    }
}

/* The queued slot due first, or -1; *where: 0/1 a FIFO, 2 the heap. */
static int64_t first(int *where) {
    int64_t best = -1;
    for (int k = 0; k < 2; k++)
        if (fifo[k].len && (best < 0 || before(fifo_at(&fifo[k], 0), (uint32_t)best))) {
            best = fifo_at(&fifo[k], 0);
            *where = k;
        }
    if (heap_len && (best < 0 || before(heap[0], (uint32_t)best))) {
        best = heap[0];
        *where = 2;
    }
    return best;
}

static void pop_first(int where) {
    if (where == 2) {
        heap_pop();
        return;
    }
    fifo[where].head = (fifo[where].head + 1) % qcap;
    fifo[where].len--;
}

static void slot_free(uint32_t x) {
    free_slots[nfree++] = x;
}

/* A slot holding a copy of data, not queued yet (NULL: the pool is full,
 * counted as overflow). */
static struct pkt *slot_new(const uint8_t *data, size_t len, int to, int64_t due) {
    if (nfree == 0 || len > MAXPKT) {
        counts[C_OVERFLOW]++;
        return NULL;
    }
    struct pkt *q = &pool[free_slots[--nfree]];
    q->due = due;
    q->order = qorder++;
    q->to = to;
    q->what = 0;
    q->kind = 0;
    q->req_ns = -1;
    q->len = (uint16_t)len;
    memcpy(q->data, data, len);
    return q;
}

static uint32_t slot_of(const struct pkt *q) {
    return (uint32_t)(q - pool);
}

static struct pkt *enqueue(const uint8_t *data, size_t len, int to, int64_t due) {
    struct pkt *q = slot_new(data, len, to, due);
    if (q)
        push(slot_of(q));
    return q;
}

static void log_delivery(const struct pkt *q, int64_t t) {
    char a[INET6_ADDRSTRLEN];
    const uint8_t *p = q->data;
    size_t off = icmp_off(p, q->len);
    bool v6 = is_v6(p);
    uint16_t id = 0, seq = 0;
    if (off && q->len >= off + 8) {
        id = get16(p + off + 4);
        seq = get16(p + off + 6);
    }
    switch (q->what) {
    case 1:
        fprintf(log_fp, "req %s %u %u %lld\n", addr_str(dst_of(p), v6, a, sizeof(a)), id, seq,
                (long long)t);
        break;
    case 2:
        counts[C_DELIV]++;
        fprintf(log_fp, "rep %s %u %u %lld %lld\n", addr_str(src_of(p), v6, a, sizeof(a)), id,
                seq, (long long)t, q->req_ns >= 0 ? (long long)(t - q->req_ns) : -1LL);
        break;
    case 3:
        fprintf(log_fp, "bad %s %s %u %u %lld\n", kind_names[q->kind],
                addr_str(q->osrc, v6, a, sizeof(a)), q->oid, q->oseq, (long long)t);
        break;
    case 4:
        fprintf(log_fp, "forge %s %u %u %lld\n", addr_str(src_of(p), v6, a, sizeof(a)), id, seq,
                (long long)t);
        break;
    default:
        break;
    }
}

/* Write every packet that is due, earliest first (ties: in queue order). */
static void flush_due(const int fds[2]) {
    for (size_t guard = 0; guard < qcap + 1; guard++) {
        int where = 0;
        int64_t x = first(&where);
        if (x < 0)
            return;
        struct pkt *q = &pool[x];
        if (q->due > now_ns())
            return;
        pop_first(where);
        int64_t tw = now_ns(); /* before: see the log's times above */
        ssize_t w = write(fds[q->to], q->data, q->len);
        if (w == (ssize_t)q->len || q->what == 3) /* a bad one may be refused */
            log_delivery(q, tw);
        slot_free((uint32_t)x);
    }
}

/* ---- faults --------------------------------------------------------------- */

static unsigned kinds_mask = (1u << NKINDS) - 1;

/* Build in out the ICMP error the replier sends about its request r. */
static size_t make_error(const uint8_t *reply, const struct req_slot *r, bool shortq,
                         uint8_t *out) {
    bool v6 = is_v6(reply);
    size_t ihl = v6 ? 40 : 20;
    size_t qlen_ = shortq ? r->hlen - 4 : r->hlen;
    size_t len = ihl + 8 + qlen_;
    memset(out, 0, ihl + 8);
    if (v6) {
        out[0] = 0x60;
        out[6] = IPPROTO_ICMPV6;
        out[7] = 64;
        memcpy(out + 8, reply + 8, 32); /* same addresses as the reply */
        out[40] = 1;                    /* Destination Unreachable */
        out[41] = 3;                    /* address unreachable */
    } else {
        out[0] = 0x45;
        out[8] = 64;
        out[9] = IPPROTO_ICMP;
        memcpy(out + 12, reply + 12, 8);
        out[20] = 3; /* Destination Unreachable */
        out[21] = 1; /* host unreachable */
    }
    memcpy(out + ihl + 8, r->hdr, qlen_);
    if (!shortq)
        out[ihl + 8 + (r->hlen - 8) + 4 + rnd_below(2)] ^= (uint8_t)(1u << rnd_below(8));
    set_len(out, len);
    fix_icmp(out, ihl, len - ihl);
    return len;
}

/* Corrupt the reply in q->data (ICMP at off) with a kind from the mask. */
static void corrupt(struct pkt *q, size_t off) {
    uint8_t *p = q->data;
    size_t ilen = q->len - off;
    int avail[NKINDS], n = 0;
    const struct req_slot *r =
        req_find(src_of(p), is_v6(p), get16(p + off + 4), get16(p + off + 6));
    for (int k = 0; k < NKINDS; k++)
        if ((kinds_mask >> k & 1) && (k < 4 || r))
            avail[n++] = k;
    if (n == 0) { /* only error kinds asked and no request known: a flip */
        avail[n++] = 0;
    }
    int kind = avail[rnd_below((uint32_t)n)];
    memcpy(q->osrc, src_of(p), is_v6(p) ? 16 : 4);
    q->oid = get16(p + off + 4);
    q->oseq = get16(p + off + 6);
    size_t span = ilen < 40 ? ilen : 40;
    switch (kind) {
    case 0: { /* flip: bytes 4 .. 39 */
        size_t b = 4 + rnd_below((uint32_t)(span - 4));
        p[off + b] ^= (uint8_t)(1u << rnd_below(8));
        fix_icmp(p, off, ilen);
        break;
    }
    case 1: { /* csum */
        uint16_t x = (uint16_t)(1 + rnd_below(0xffff));
        put16(p + off + 2, get16(p + off + 2) ^ x);
        break;
    }
    case 2: { /* trunc: keep 1 .. span-1 ICMP bytes */
        size_t keep = 1 + rnd_below((uint32_t)(span - 1));
        q->len = (uint16_t)(off + keep);
        set_len(p, q->len);
        if (keep >= 4)
            fix_icmp(p, off, keep);
        break;
    }
    case 3: { /* iplen */
        if (rnd_below(2)) {
            set_len(p, q->len + 1 + rnd_below(200));
        } else {
            size_t keep = 1 + rnd_below((uint32_t)(span - 1));
            set_len(p, off + keep);
        }
        break;
    }
    default: { /* quote, shortquote */
        uint8_t out[MAXPKT];
        size_t len = make_error(p, r, kind == 5, out);
        memcpy(p, out, len);
        q->len = (uint16_t)len;
        break;
    }
    }
    q->what = 3;
    q->kind = kind;
    counts[C_BAD]++;
    kind_counts[kind]++;
}

/* A forged Echo Reply from a neighbour of the replier, like lab-forge's,
 * in a slot not queued yet (NULL: no room). */
static struct pkt *forge(const uint8_t *reply, size_t off, int64_t due) {
    uint8_t f[40 + 8 + 56];
    bool v6 = is_v6(reply);
    size_t ihl = v6 ? 40 : 20;
    memcpy(f, reply, ihl);
    if (!v6) {
        f[0] = 0x45;
        memcpy(f + 12, reply + 12, 8);
        f[15] = (uint8_t)(1 + rnd_below(254));
    } else {
        f[23] = (uint8_t)(1 + rnd_below(254));
    }
    (void)off;
    uint8_t *icmp = f + ihl;
    for (size_t i = 0; i < 8 + 56; i++)
        icmp[i] = (uint8_t)rnd();
    icmp[0] = v6 ? 129 : 0;
    icmp[1] = 0;
    memcpy(icmp + 8 + 29, "ic2", 3);
    set_len(f, ihl + 8 + 56);
    fix_icmp(f, ihl, 8 + 56);
    struct pkt *q = slot_new(f, ihl + 8 + 56, 0, due);
    if (q) {
        q->what = 4;
        counts[C_FORGE]++;
    }
    return q;
}

struct cfg {
    double reorder, dup, drop, corrupt, forge;
};

static uint32_t held; /* a slot, not queued while held */
static bool have_held;
static int64_t held_since;

static void log_drop(const uint8_t *p, size_t off) {
    char a[INET6_ADDRSTRLEN];
    fprintf(log_fp, "drop %s %u %u\n", addr_str(src_of(p), is_v6(p), a, sizeof(a)),
            get16(p + off + 4), get16(p + off + 6));
}

/* A packet read from B. */
static void from_b(const struct cfg *c, const uint8_t *p, size_t len) {
    int64_t t = now_ns();
    size_t off = icmp_off(p, len);
    if (!off || p[off] != (is_v6(p) ? 129 : 0)) {
        counts[C_OTHER]++;
        enqueue(p, len, 0, t + reply_delay_ns);
        return;
    }
    counts[C_REP]++;
    if (chance(c->drop)) {
        counts[C_DROP]++;
        log_drop(p, off);
        return;
    }
    int64_t due = t + pick_delay();
    struct pkt *q = slot_new(p, len, 0, due);
    if (!q) {
        log_drop(p, off);
        return;
    }
    q->what = 2;
    const struct req_slot *r =
        req_find(src_of(p), is_v6(p), get16(p + off + 4), get16(p + off + 6));
    q->req_ns = r ? r->t : -1;
    if (chance(c->corrupt))
        corrupt(q, off);
    struct pkt *d = NULL;
    if (q->what == 2 && chance(c->dup)) {
        d = slot_new(q->data, q->len, 0, due + 1);
        if (d) {
            d->what = 2;
            d->req_ns = q->req_ns;
            counts[C_DUP]++;
        }
    }
    /* Queued in this order: the reply, its duplicate, a forgery. */
    bool forged = chance(c->forge);
    struct pkt *fq = forged ? forge(p, off, due) : NULL;
    /* Reordering: the held reply goes right after this one. */
    if (have_held) {
        push(slot_of(q));
        if (d)
            push(slot_of(d));
        if (fq)
            push(slot_of(fq));
        pool[held].due = due;
        pool[held].order = qorder++;
        push(held);
        have_held = false;
    } else if (chance(c->reorder) && !d && !forged) {
        /* hold back q (not when a duplicate or a forgery comes with it:
         * then no reordering this time) */
        held = slot_of(q);
        have_held = true;
        held_since = t;
        counts[C_REORDER]++;
    } else {
        push(slot_of(q));
        if (d)
            push(slot_of(d));
        if (fq)
            push(slot_of(fq));
    }
}

static void from_a(const uint8_t *p, size_t len) {
    int64_t t = now_ns();
    size_t off = icmp_off(p, len);
    struct pkt *q = enqueue(p, len, 1, t + req_delay_ns);
    if (!q || !off || p[off] != (is_v6(p) ? 128 : 8))
        return;
    counts[C_REQ]++;
    q->what = 1;
    bool v6 = is_v6(p);
    uint16_t id = get16(p + off + 4), seq = get16(p + off + 6);
    struct req_slot *r = &reqs[req_index(dst_of(p), v6, id, seq)];
    memset(r, 0, sizeof(*r));
    memcpy(r->addr, dst_of(p), v6 ? 16 : 4);
    r->id = id;
    r->seq = seq;
    r->used = true;
    r->t = t;
    r->hlen = (uint16_t)(off + 8 <= sizeof(r->hdr) ? off + 8 : 0);
    memcpy(r->hdr, p, r->hlen);
    if (!r->hlen)
        r->used = false;
}

/* ---- setup ---------------------------------------------------------------- */

static int open_tun(const char *spec) {
    char name[IFNAMSIZ + 1];
    const char *at = strchr(spec, '@');
    size_t n = at ? (size_t)(at - spec) : strlen(spec);
    if (n == 0 || n >= IFNAMSIZ)
        return -1;
    memcpy(name, spec, n);
    name[n] = 0;
    int home = -1;
    if (at) {
        home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        int ns = open(at + 1, O_RDONLY | O_CLOEXEC);
        if (home < 0 || ns < 0 || setns(ns, CLONE_NEWNET) < 0) {
            perror("lab-relay: setns");
            return -1;
        }
        close(ns);
    }
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
    memcpy(ifr.ifr_name, name, n + 1);
    if (fd < 0 || ioctl(fd, TUNSETIFF, &ifr) < 0) {
        fprintf(stderr, "lab-relay: tun %s: %s\n", name, strerror(errno));
        fd = -1;
    }
    if (at) {
        if (setns(home, CLONE_NEWNET) < 0) {
            perror("lab-relay: setns back");
            return -1;
        }
        close(home);
    }
    return fd;
}

static double num_arg(const char *opt, const char *v, double lo, double hi) {
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (errno || end == v || *end || !(d >= lo && d <= hi)) {
        fprintf(stderr, "lab-relay: %s wants a number in [%g, %g], not '%s'\n", opt, lo, hi, v);
        exit(2);
    }
    return d;
}

static unsigned parse_kinds(const char *s) {
    unsigned m = 0;
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", s);
    for (char *sv = NULL, *tok = strtok_r(buf, ",", &sv); tok; tok = strtok_r(NULL, ",", &sv)) {
        int k;
        for (k = 0; k < NKINDS && strcmp(tok, kind_names[k]); k++)
            ;
        if (k == NKINDS) {
            fprintf(stderr, "lab-relay: unknown corruption kind '%s'\n", tok);
            exit(2);
        }
        m |= 1u << k;
    }
    if (!m)
        exit(2);
    return m;
}

int main(int argc, char **argv) {
    const char *a_spec = NULL, *b_spec = NULL, *log_path = NULL, *ready = NULL;
    struct cfg c = {0};
    double seconds = 60;
    size_t qmax = 4096;
    uint64_t seed = (uint64_t)now_ns();
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        if (i + 1 >= argc) {
            fprintf(stderr, "lab-relay: %s needs a value (see the header of lab-relay.c)\n", o);
            return 2;
        }
        const char *v = argv[++i];
        if (!strcmp(o, "--a"))
            a_spec = v;
        else if (!strcmp(o, "--b"))
            b_spec = v;
        else if (!strcmp(o, "--log"))
            log_path = v;
        else if (!strcmp(o, "--ready"))
            ready = v;
        else if (!strcmp(o, "--delay"))
            reply_delay_ns = (int64_t)(num_arg(o, v, 0, 10000) * 1e6);
        else if (!strcmp(o, "--jitter"))
            jitter_ns = (int64_t)(num_arg(o, v, 0, 10000) * 1e6);
        else if (!strcmp(o, "--req-delay"))
            req_delay_ns = (int64_t)(num_arg(o, v, 0, 10000) * 1e6);
        else if (!strcmp(o, "--queue"))
            qmax = (size_t)num_arg(o, v, 1, QUEUE_MAX);
        else if (!strcmp(o, "--reorder"))
            c.reorder = num_arg(o, v, 0, 1);
        else if (!strcmp(o, "--dup"))
            c.dup = num_arg(o, v, 0, 1);
        else if (!strcmp(o, "--drop"))
            c.drop = num_arg(o, v, 0, 1);
        else if (!strcmp(o, "--corrupt"))
            c.corrupt = num_arg(o, v, 0, 1);
        else if (!strcmp(o, "--forge"))
            c.forge = num_arg(o, v, 0, 1);
        else if (!strcmp(o, "--kinds"))
            kinds_mask = parse_kinds(v);
        else if (!strcmp(o, "--seed"))
            seed = (uint64_t)num_arg(o, v, 0, 9e15);
        else if (!strcmp(o, "--seconds"))
            seconds = num_arg(o, v, 0.1, 3600);
        else {
            fprintf(stderr, "lab-relay: unknown option '%s'\n", o);
            return 2;
        }
    }
    if (!a_spec || !b_spec) {
        fprintf(stderr, "usage: lab-relay --a IF[@NETNS] --b IF[@NETNS] [--delay MS] "
                        "[--jitter MS] [--req-delay MS] [--queue N] [--reorder P] [--dup P] "
                        "[--drop P] [--corrupt P] [--kinds K,...] [--forge P] [--seed N] "
                        "[--log FILE] [--ready FILE] [--seconds S]\n");
        return 2;
    }
    rng_state = seed;
    qcap = qmax;
    pool = calloc(qcap, sizeof(*pool));
    free_slots = calloc(qcap, sizeof(*free_slots));
    heap = calloc(qcap, sizeof(*heap));
    fifo[0].s = calloc(qcap, sizeof(uint32_t));
    fifo[1].s = calloc(qcap, sizeof(uint32_t));
    reqs = calloc(REQ_SLOTS, sizeof(*reqs));
    log_fp = log_path ? fopen(log_path, "w") : fopen("/dev/null", "w");
    if (!pool || !free_slots || !heap || !fifo[0].s || !fifo[1].s || !reqs || !log_fp) {
        perror("lab-relay");
        return 2;
    }
    for (size_t i = 0; i < qcap; i++)
        free_slots[i] = (uint32_t)(qcap - 1 - i); /* slot 0 first */
    nfree = qcap;
    setvbuf(log_fp, NULL, _IOFBF, 256 << 10);
    int fds[2] = {open_tun(a_spec), open_tun(b_spec)};
    if (fds[0] < 0 || fds[1] < 0)
        return 1;
    /* Real-time priority, so the times in the log are when packets moved,
     * not when a loaded machine got round to scheduling us (best effort). */
    struct sched_param sp = {.sched_priority = 50};
    if (sched_setscheduler(0, SCHED_FIFO, &sp) < 0)
        fprintf(log_fp, "# no SCHED_FIFO: %s\n", strerror(errno));
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    fprintf(log_fp, "# lab-relay seed %llu delay %lld jitter %lld reorder %g dup %g drop %g "
                  "corrupt %g forge %g\n",
            (unsigned long long)seed, (long long)reply_delay_ns, (long long)jitter_ns, c.reorder,
            c.dup, c.drop, c.corrupt, c.forge);
    if (ready) {
        FILE *rf = fopen(ready, "w");
        if (!rf)
            return 2;
        fclose(rf);
    }
    int64_t end = now_ns() + (int64_t)(seconds * 1e9);
    while (!stop) {
        int64_t t = now_ns();
        if (t >= end)
            break;
        if (have_held && t - held_since >= REORDER_WAIT_NS) {
            pool[held].due = t;
            pool[held].order = qorder++;
            push(held);
            have_held = false;
        }
        int64_t wake = end;
        int where;
        int64_t x = first(&where);
        if (x >= 0 && pool[x].due < wake)
            wake = pool[x].due;
        if (have_held && held_since + REORDER_WAIT_NS < wake)
            wake = held_since + REORDER_WAIT_NS;
        int64_t ms = (wake - t + 999999) / 1000000;
        if (ms > 100)
            ms = 100;
        struct pollfd pf[2] = {{.fd = fds[0], .events = POLLIN}, {.fd = fds[1], .events = POLLIN}};
        /* Sub-millisecond waits: poll(0) would spin; this sleeps briefly. */
        int pr = poll(pf, 2, ms < 0 ? 0 : (int)ms);
        if (pr < 0 && errno != EINTR)
            break;
        for (int side = 0; side < 2 && pr > 0; side++) {
            if (!(pf[side].revents & POLLIN))
                continue;
            for (int k = 0; k < 256; k++) {
                uint8_t buf[MAXPKT];
                ssize_t n = read(fds[side], buf, sizeof(buf));
                if (n <= 0)
                    break;
                if (side == 0)
                    from_a(buf, (size_t)n);
                else
                    from_b(&c, buf, (size_t)n);
            }
        }
        flush_due(fds);
    }
    for (int k = 0; k < C_N; k++)
        fprintf(log_fp, "count %s %llu\n", count_names[k], (unsigned long long)counts[k]);
    for (int k = 0; k < NKINDS; k++)
        fprintf(log_fp, "count bad-%s %llu\n", kind_names[k], (unsigned long long)kind_counts[k]);
    fprintf(log_fp, "# lab-relay end\n");
    fclose(log_fp);
    return 0;
}
