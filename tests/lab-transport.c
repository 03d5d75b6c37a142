/* lab-transport.c - lab tests of the AF_PACKET transport (issue 10): the
 * same answers as the raw path, frames counted as such, next hops behind
 * two interfaces, a neighbour not resolved at the start, a router MAC that
 * changes mid-sweep, and the routes the transport must leave to the IP
 * stack (blackhole, unreachable, prohibit, loopback, local).
 * Runs inside the prober namespace of its own lab (icmpring-lab run --tap);
 * every sweep is small, and bounded by its count and cooldown. */
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "icmpring.h"
#include "lab-util.h"

/* What a sweep found: which targets answered an echo, and which erred. */
struct seen {
    uint8_t echo[4096], error[4096];
};

static void on_result(const struct icr_result *r, void *ud) {
    struct seen *s = ud;
    if (r->index < sizeof(s->echo)) {
        if (r->kind == ICR_RESULT_ECHO)
            s->echo[r->index] = 1;
        else
            s->error[r->index] = 1;
    }
}

static icr_targets *targets(const char *const *list) {
    icr_targets *t = NULL;
    assert_int_equal(icr_targets_new(&t), 0);
    for (; *list; list++)
        assert_int_equal(icr_targets_add(t, *list, 0), 0);
    return t;
}

/* Sweep `list` with options o (its callback set here); stats and what
 * answered in *st, *seen. */
static int run_sweep(const char *const *list, struct icr_sweep_opts o,
                     struct icr_sweep_stats *st, struct seen *seen) {
    icr_targets *t = targets(list);
    icr_sweep *s = NULL;
    o.on_result = on_result;
    o.userdata = seen;
    memset(seen, 0, sizeof(*seen));
    assert_int_equal(icr_sweep_new(t, &o, &s), 0);
    int r = icr_sweep_run(s);
    *st = (struct icr_sweep_stats){.size = sizeof(*st)};
    assert_int_equal(icr_sweep_get_stats(s, st), 0);
    icr_sweep_free(s);
    icr_targets_free(t);
    return r;
}

/* Sweep `list` on `transport`. */
static int sweep(const char *const *list, int transport, uint64_t rate, double cooldown,
                 struct icr_sweep_stats *st, struct seen *seen) {
    struct icr_sweep_opts o = ICR_SWEEP_OPTS_INIT;
    o.rate = rate;
    o.cooldown = cooldown;
    o.transport = transport;
    return run_sweep(list, o, st, seen);
}

static const char *bin(void) {
    return getenv("ICR_LAB_BIN");
}

static const char *name(void) {
    return getenv("ICR_LAB");
}

/* Targets behind both of the prober's interfaces: 198.18/16 and
 * 2001:db8:1::/64 via rsp on the LAN, 198.19/16 and 2001:db8:2::/64 via r1. */
static const char *const two_ifaces[] = {
    "198.18.20.0/24", "2001:db8:1::14:0/120", "198.19.20.0/24", "2001:db8:2::14:0/120", NULL,
};
#define TWO_IFACES_N (254 + 256 + 254 + 256)

/* Packet and raw give the same answers; every probe leaves as a frame on
 * the packet transport and none on the raw one. */
static void test_same_as_raw_two_interfaces(void **state) {
    (void)state;
    struct icr_sweep_stats p, r;
    static struct seen sp, sr;
    assert_int_equal(sweep(two_ifaces, ICR_TRANSPORT_PACKET, 0, 0.5, &p, &sp), 0);
    assert_int_equal(sweep(two_ifaces, ICR_TRANSPORT_RAW, 0, 0.5, &r, &sr), 0);
    assert_int_equal(p.transport, ICR_TRANSPORT_PACKET);
    assert_int_equal(r.transport, ICR_TRANSPORT_RAW);
    assert_int_equal(p.hits, TWO_IFACES_N);
    assert_int_equal(r.hits, TWO_IFACES_N);
    assert_int_equal(p.sent, TWO_IFACES_N);
    assert_int_equal(p.invalid, 0);
    assert_int_equal(p.send_errors, 0);
    /* The neighbours may be unresolved at the start (a fresh lab): the
     * first probes then go through the stack, which resolves them. */
    assert_true(p.link_sent >= TWO_IFACES_N - 64);
    assert_int_equal(r.link_sent, 0);
    assert_memory_equal(sp.echo, sr.echo, sizeof(sp.echo));
    /* Once resolved, everything leaves as frames. */
    assert_int_equal(sweep(two_ifaces, ICR_TRANSPORT_PACKET, 0, 0.5, &p, &sp), 0);
    assert_int_equal(p.hits, TWO_IFACES_N);
    assert_int_equal(p.link_sent, TWO_IFACES_N);
}

/* The automatic choice as root is the packet transport. */
static void test_auto_is_packet(void **state) {
    (void)state;
    struct icr_sweep_stats st;
    static struct seen s;
    const char *const list[] = {"198.18.21.0/28", NULL};
    assert_int_equal(sweep(list, ICR_TRANSPORT_AUTO, 0, 0.5, &st, &s), 0);
    assert_int_equal(st.transport, ICR_TRANSPORT_PACKET);
    assert_int_equal(st.hits, 14);
}

/* No neighbour entry at the start: the first probes through the stack
 * trigger ARP / ND, the rest leave as frames once it is resolved, and
 * every target answers. */
static void test_unresolved_neighbour(void **state) {
    (void)state;
    struct icr_sweep_stats st;
    static struct seen s;
    const char *const list[] = {"198.18.22.0/23", "2001:db8:1::16:0/119", NULL};
    lab("ip neigh flush all && ip -6 neigh flush all");
    /* 1020 probes at 20 kpps: ~50 ms, far longer than a veth ARP. */
    assert_int_equal(sweep(list, ICR_TRANSPORT_PACKET, 20000, 0.5, &st, &s), 0);
    assert_int_equal(st.hits, 510 + 512);
    assert_int_equal(st.sent, 510 + 512);
    assert_true(st.link_sent > 0);
    assert_true(st.link_sent < st.sent); /* some went through the stack */
}

/* The responder's MAC changes between two passes of a sweep, announced
 * as routers do on a failover (gratuitous ARP, unsolicited NA: arp_notify
 * and ndisc_notify): the second pass must reach the new MAC. */
static void test_router_mac_changes(void **state) {
    (void)state;
    const char *const list[] = {"198.18.24.0/24", "2001:db8:1::18:0/120", NULL};
    icr_targets *t = targets(list);
    icr_sweep *s = NULL;
    struct icr_sweep_opts o = ICR_SWEEP_OPTS_INIT;
    o.rate = 0;
    o.count = 2;
    /* Below the transport's 1 s re-read of a neighbour, so that only the
     * change notification can make pass 1 reach the new MAC. */
    o.interval = 0.9;
    o.cooldown = 0.5;
    o.transport = ICR_TRANSPORT_PACKET;
    o.flags = ICR_SWEEP_ALL_REPLIES;
    lab("'%s' exec '%s' rsp -- sh -c 'sysctl -qw net.ipv4.conf.lan.arp_notify=1 "
        "net.ipv6.conf.lan.ndisc_notify=1; ip link show lan' "
        "| sed -n 's/.*link\\/ether \\([0-9a-f:]*\\).*/\\1/p' > /tmp/icr-lab-transport-mac.%d",
        bin(), name(), (int)getpid());
    /* Fresh REACHABLE entries (not DELAY, PROBE or STALE, which the
     * transport re-reads sooner), so the test depends on the notification. */
    lab("mac=$(cat /tmp/icr-lab-transport-mac.%d) && "
        "ip neigh replace %s lladdr $mac dev lan nud reachable && "
        "ip -6 neigh replace %s lladdr $mac dev lan nud reachable",
        (int)getpid(), getenv("ICR_LAB_RSP4"), getenv("ICR_LAB_RSP6"));
    assert_int_equal(icr_sweep_new(t, &o, &s), 0);
    bool changed = false;
    int r;
    int64_t t0 = mono_ns();
    while ((r = icr_sweep_step(s, 20000000)) == 1) {
        /* Pass 0 is out at once; change the MAC well before pass 1. */
        if (!changed && mono_ns() - t0 > 200000000) {
            lab("'%s' exec '%s' rsp -- ip link set dev lan address 02:00:5e:10:00:42", bin(),
                name());
            changed = true;
            /* Done before pass 1 opens, or this would test nothing. */
            assert_true(mono_ns() - t0 < 850000000);
        }
        assert_true(mono_ns() - t0 < 10000000000LL);
    }
    assert_int_equal(r, 0);
    assert_true(changed);
    struct icr_sweep_stats st = {.size = sizeof(st)};
    assert_int_equal(icr_sweep_get_stats(s, &st), 0);
    icr_sweep_free(s);
    icr_targets_free(t);
    /* Put the old MAC back (the announcement updates the prober again). */
    lab("mac=$(cat /tmp/icr-lab-transport-mac.%d) && rm -f /tmp/icr-lab-transport-mac.%d && "
        "'%s' exec '%s' rsp -- ip link set dev lan address \"$mac\"",
        (int)getpid(), (int)getpid(), bin(), name());
    print_message("# replies %llu, frames %llu\n", (unsigned long long)st.replies,
                  (unsigned long long)st.link_sent);
    /* Both passes answered in full: 2 x 510 replies. */
    assert_int_equal(st.hits, 254 + 256);
    assert_int_equal(st.replies, 2 * (254 + 256));
    assert_int_equal(st.invalid, 0);
    /* The second pass left as frames (to the new MAC). */
    assert_true(st.link_sent >= 254 + 256);
}

/* A packet sweep at rate 0 with these flags, payload and count. */
static int sweep_count(const char *const *list, unsigned flags, size_t payload, uint32_t count,
                       struct icr_sweep_stats *st, struct seen *seen) {
    struct icr_sweep_opts o = ICR_SWEEP_OPTS_INIT;
    o.rate = 0;
    o.cooldown = 1;
    o.transport = ICR_TRANSPORT_PACKET;
    o.flags = flags;
    o.payload_size = payload;
    o.count = count;
    return run_sweep(list, o, st, seen);
}

static int sweep_flags(const char *const *list, unsigned flags, size_t payload,
                       struct icr_sweep_stats *st, struct seen *seen) {
    return sweep_count(list, flags, payload, 1, st, seen);
}

/* The packet ring receives (ICR_RECEIVE_RING): echo replies from both
 * interfaces and both families, and ICMP errors (203.0.113.0/26 is
 * unreachable at r1, 2001:db8:e:1::/64 too), give the same answers as the
 * ICMP sockets (ICR_SWEEP_SOCKET_RECV), and only the ring counts packets.
 * By default only jobs of 50,000 probes or more use it; large probes (IPv4
 * over 576 bytes) keep the sockets: their replies may come fragmented,
 * which the ring does not reassemble. */
static void test_receive_ring(void **state) {
    (void)state;
    static const char *const list[] = {
        "198.18.21.0/24", "2001:db8:1::15:0/120", "198.19.21.0/24", "2001:db8:2::15:0/120",
        "203.0.113.0/28", "2001:db8:e:1::/124", NULL,
    };
    static struct seen ring, sock;
    struct icr_sweep_stats a, b;
    assert_int_equal(sweep_flags(list, ICR_SWEEP_RING_RECV, 56, &a, &ring), 0);
    /* SOCKET_RECV wins over RING_RECV. */
    assert_int_equal(sweep_flags(list, ICR_SWEEP_SOCKET_RECV | ICR_SWEEP_RING_RECV, 56, &b, &sock),
                     0);
    print_message("# ring: receive %d, %llu packets, %llu replies, %llu errors; sockets: receive "
                  "%d, %llu replies, %llu errors\n",
                  a.receive, (unsigned long long)a.ring_received, (unsigned long long)a.replies,
                  (unsigned long long)a.errors, b.receive, (unsigned long long)b.replies,
                  (unsigned long long)b.errors);
    assert_int_equal(a.receive, ICR_RECEIVE_RING);
    assert_int_equal(b.receive, ICR_RECEIVE_SOCKET);
    assert_int_equal(b.ring_received, 0);
    /* Every echo target answered, every unreachable one erred, on both. */
    assert_int_equal(a.hits, 254 + 256 + 254 + 256);
    assert_int_equal(b.hits, a.hits);
    assert_int_equal(a.errors, 14 + 16);
    assert_int_equal(b.errors, a.errors);
    assert_int_equal(a.invalid, 0);
    assert_int_equal(a.kernel_drops, 0);
    assert_true(a.ring_received >= a.replies + a.errors);
    assert_memory_equal(ring.echo, sock.echo, sizeof(ring.echo));
    assert_memory_equal(ring.error, sock.error, sizeof(ring.error));

    /* One-shot receives are a socket path: asked for, the sockets receive. */
    assert_int_equal(sweep_flags(list, ICR_SWEEP_SINGLE_RECV | ICR_SWEEP_RING_RECV, 56, &b, &sock),
                     0);
    assert_int_equal(b.receive, ICR_RECEIVE_SOCKET);
    assert_int_equal(b.hits, a.hits);
    /* 600-byte probes: IPv4 over 576 bytes, so the sockets receive. */
    static const char *const v4[] = {"198.18.22.0/28", NULL};
    assert_int_equal(sweep_flags(v4, ICR_SWEEP_RING_RECV, 600, &b, &sock), 0);
    assert_int_equal(b.receive, ICR_RECEIVE_SOCKET);
    assert_int_equal(b.hits, 14);
    /* Unasked: the sockets for a small job (14 probes), the ring from
     * 50,000 probes on (here 65,536: 16,384 targets x 4). */
    assert_int_equal(sweep_flags(v4, 0, 56, &b, &sock), 0);
    assert_int_equal(b.receive, ICR_RECEIVE_SOCKET);
    static const char *const big[] = {"2001:db8:1::1:0/114", NULL};
    assert_int_equal(sweep_count(big, 0, 56, 4, &b, &sock), 0);
    print_message("# unasked, 65,536 probes: receive %d, %llu packets, %llu hits\n", b.receive,
                  (unsigned long long)b.ring_received, (unsigned long long)b.hits);
    assert_int_equal(b.receive, ICR_RECEIVE_RING);
    assert_int_equal(b.hits, 16384);
    assert_true(b.ring_received >= b.replies);
}

/* Routes the transport must leave to the IP stack, made in the prober for
 * this test: the answers (echo from loopback and our own address; refusals
 * and silence from unreachable, prohibit and blackhole routes) are the
 * same as on the raw path, and none of those probes is a frame. */
static void test_fallback_routes(void **state) {
    (void)state;
    lab("ip route add blackhole 198.18.40.0/28 && ip route add unreachable 198.18.41.0/28 && "
        "ip route add prohibit 198.18.42.0/28 && ip -6 route add blackhole 2001:db8:1::40:0/124 && "
        "ip -6 route add unreachable 2001:db8:1::41:0/124");
    const char *const odd[] = {"198.18.40.0/28", "198.18.41.0/28", "198.18.42.0/28",
                               "2001:db8:1::40:0/124", "2001:db8:1::41:0/124",
                               "127.0.0.1", "192.0.2.1", "::1", "2001:db8:ff00::1", NULL};
    struct icr_sweep_stats p, r;
    static struct seen sp, sr;
    int rp = sweep(odd, ICR_TRANSPORT_PACKET, 0, 0.5, &p, &sp);
    int rr = sweep(odd, ICR_TRANSPORT_RAW, 0, 0.5, &r, &sr);
    /* Mixed with live ones: the routed targets still get their frames. */
    const char *const mixed[] = {"198.18.40.0/28", "198.18.41.0/28", "127.0.0.1",
                                 "198.18.43.0/28", NULL};
    struct icr_sweep_stats m;
    static struct seen sm;
    int rm = sweep(mixed, ICR_TRANSPORT_PACKET, 0, 0.5, &m, &sm);
    lab_quiet("ip route del 198.18.40.0/28; ip route del 198.18.41.0/28; "
              "ip route del 198.18.42.0/28; ip -6 route del 2001:db8:1::40:0/124; "
              "ip -6 route del 2001:db8:1::41:0/124");
    assert_int_equal(rp, rr);
    assert_int_equal(p.link_sent, 0);
    assert_int_equal(p.hits, 4); /* 127.0.0.1, 192.0.2.1, ::1, 2001:db8:ff00::1 */
    assert_int_equal(r.hits, 4);
    assert_int_equal(p.sent, r.sent);
    assert_int_equal(p.send_errors, r.send_errors);
    assert_int_equal(p.errors, r.errors);
    assert_memory_equal(sp.echo, sr.echo, sizeof(sp.echo));
    assert_memory_equal(sp.error, sr.error, sizeof(sp.error));
    assert_int_equal(rm, 0);
    assert_int_equal(m.hits, 1 + 14);
    /* 14 frames, but for one through the stack if the LAN neighbour has
     * gone stale by now (the kernel is then made to confirm it). */
    assert_true(m.link_sent >= 13 && m.link_sent <= 14);
}

/* A big unlimited sweep runs two senders: the helper has its own packet
 * socket and next-hop table. */
static void test_two_senders(void **state) {
    (void)state;
    struct icr_sweep_stats st;
    static struct seen s;
    const char *const list[] = {"198.18.128.0/17", NULL};
    assert_int_equal(sweep(list, ICR_TRANSPORT_PACKET, 0, 1.0, &st, &s), 0);
    assert_int_equal(st.senders, 2);
    assert_int_equal(st.sent, 32766);
    /* All frames, but for a probe or two through the stack to confirm a
     * stale neighbour (one per sender). */
    assert_true(st.link_sent + 2 >= st.sent);
    assert_int_equal(st.invalid, 0);
    /* Replies the receive socket dropped under load are counted, not lost. */
    assert_true(st.hits + st.kernel_drops >= 32766);
}

/* Multiping and traceroute on both transports: the same answers. */
static void test_multiping_trace_same(void **state) {
    (void)state;
    const char *const hosts[] = {"192.0.2.2", "198.19.0.1", "2001:db8:ff00::3", "2001:db8:2::1",
                                 "127.0.0.1"};
    for (int tr = ICR_TRANSPORT_PACKET; tr <= ICR_TRANSPORT_RAW; tr++) {
        struct icr_multiping_opts o = ICR_MULTIPING_OPTS_INIT;
        o.count = 3;
        o.interval = 0.01;
        o.transport = tr;
        struct icr_host *h = NULL;
        assert_int_equal(icr_multiping(hosts, 5, &o, &h), 0);
        for (int i = 0; i < 5; i++)
            assert_int_equal(h[i].packets_received, 3);
        icr_hosts_free(h, 5);
        struct icr_trace_opts to = ICR_TRACE_OPTS_INIT;
        to.transport = tr;
        to.count = 1;
        struct icr_hop *hops = NULL;
        size_t n = 0;
        assert_int_equal(icr_traceroute("198.19.0.1", &to, &hops, &n), 0);
        assert_int_equal(n, (size_t)atoi(getenv("ICR_LAB_HOPS")));
        char a[ICR_ADDRSTRLEN];
        icr_addr_format(&hops[0].host.address, a, sizeof(a));
        assert_string_equal(a, getenv("ICR_LAB_R1_4"));
        icr_hops_free(hops, n);
        assert_int_equal(icr_traceroute("2001:db8:2::1", &to, &hops, &n), 0);
        assert_int_equal(n, (size_t)atoi(getenv("ICR_LAB_HOPS")));
        icr_hops_free(hops, n);
    }
}

/* ---- frames on the wire ------------------------------------------------- */

/* One's complement sum, folded and complemented. */
static uint16_t csum16(const uint8_t *p, size_t n, uint32_t s) {
    for (size_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1)
        s += (uint32_t)p[n - 1] << 8;
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

/* What the responder received: per destination (last byte), the ICMP
 * checksums of the Echo Requests, and whether every checksum verified. */
struct capture {
    uint16_t csum[2][256][4]; /* [v6][last byte][probe] */
    uint8_t n[2][256];
    uint32_t bad;
};

/* In a child inside the responder's namespace: a packet socket on its
 * LAN records the Echo Requests to 198.18.25.x and 2001:db8:1::19:x for
 * `seconds`, then writes the capture to fd. */
static void capture_child(int fd, double seconds) {
    char path[256];
    snprintf(path, sizeof(path), "/run/netns/%s-rsp", name());
    int ns = open(path, O_RDONLY | O_CLOEXEC);
    if (ns < 0 || setns(ns, CLONE_NEWNET) < 0)
        _exit(10);
    int s = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
    struct sockaddr_ll ll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
                             .sll_ifindex = (int)if_nametoindex("lan")};
    if (s < 0 || !ll.sll_ifindex || bind(s, (struct sockaddr *)&ll, sizeof(ll)) < 0)
        _exit(11);
    struct timeval tv = {.tv_usec = 100000};
    (void)setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    static struct capture c;
    if (write(fd, "r", 1) != 1) /* listening */
        _exit(12);
    int64_t end = mono_ns() + (int64_t)(seconds * 1e9);
    while (mono_ns() < end) {
        uint8_t b[2048];
        ssize_t n = recv(s, b, sizeof(b), 0);
        if (n < 14 + 40 + 8)
            continue;
        const uint8_t *ip = b + 14;
        if (b[12] == 0x08 && b[13] == 0x00 && ip[9] == 1 && ip[20] == 8 && ip[16] == 198 &&
            ip[17] == 18 && ip[18] == 25) {
            size_t tot = (size_t)(ip[2] << 8 | ip[3]);
            if (csum16(ip, 20, 0) != 0 || csum16(ip + 20, tot - 20, 0) != 0)
                c.bad++;
            uint8_t k = ip[19];
            if (c.n[0][k] < 4)
                c.csum[0][k][c.n[0][k]++] = (uint16_t)(ip[22] << 8 | ip[23]);
        } else if (b[12] == 0x86 && b[13] == 0xdd && ip[6] == 58 && ip[40] == 128 &&
                   ip[24] == 0x20 && ip[25] == 0x01 && ip[36] == 0 && ip[37] == 0x19) {
            size_t plen = (size_t)(ip[4] << 8 | ip[5]);
            /* Pseudo-header: source, destination, length, next header. */
            uint32_t sum = 0;
            for (int i = 8; i < 40; i += 2)
                sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
            sum += (uint32_t)plen + 58;
            if (csum16(ip + 40, plen, sum) != 0)
                c.bad++;
            uint8_t k = ip[39];
            if (c.n[1][k] < 4)
                c.csum[1][k][c.n[1][k]++] = (uint16_t)(ip[42] << 8 | ip[43]);
        }
    }
    const uint8_t *p = (const uint8_t *)&c;
    for (size_t off = 0; off < sizeof(c);) {
        ssize_t w = write(fd, p + off, sizeof(c) - off);
        if (w <= 0)
            _exit(13);
        off += (size_t)w;
    }
    _exit(0);
}

/* Frames as the responder sees them: IPv4 header and ICMP checksums
 * valid, the ICMPv6 checksum valid over the pseudo-header, and every probe
 * to one destination with the same ICMP checksum (Paris) over the three
 * passes of a sweep, each probe with its own number, MAC and send time. */
static void test_frames_checksums_paris(void **state) {
    (void)state;
    int p[2];
    assert_int_equal(pipe(p), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        capture_child(p[1], 3.0);
    }
    close(p[1]);
    char ready;
    assert_int_equal(read(p[0], &ready, 1), 1);
    const char *const list[] = {"198.18.25.0/28", "2001:db8:1::19:0/124", NULL};
    icr_targets *t = targets(list);
    icr_sweep *s = NULL;
    struct icr_sweep_opts o = ICR_SWEEP_OPTS_INIT;
    o.rate = 0;
    o.count = 3;
    o.interval = 0.05;
    o.cooldown = 0.3;
    o.transport = ICR_TRANSPORT_PACKET;
    o.traffic_class = 0x28;
    assert_int_equal(icr_sweep_new(t, &o, &s), 0);
    assert_int_equal(icr_sweep_run(s), 0);
    struct icr_sweep_stats st = {.size = sizeof(st)};
    assert_int_equal(icr_sweep_get_stats(s, &st), 0);
    icr_sweep_free(s);
    icr_targets_free(t);
    static struct capture c;
    uint8_t *cp = (uint8_t *)&c;
    size_t got = 0;
    ssize_t r;
    while (got < sizeof(c) && (r = read(p[0], cp + got, sizeof(c) - got)) > 0)
        got += (size_t)r;
    close(p[0]);
    int wst = 0;
    assert_int_equal(waitpid(pid, &wst, 0), pid);
    assert_true(WIFEXITED(wst) && WEXITSTATUS(wst) == 0);
    assert_int_equal(got, sizeof(c));
    assert_int_equal(st.hits, 14 + 16);
    /* Frames, but for a probe per family through the stack if the
     * neighbour has gone stale (its checksum must agree all the same). */
    assert_true(st.link_sent + 2 >= st.sent && st.link_sent > 0);
    assert_int_equal(c.bad, 0);
    unsigned seen = 0;
    for (int v6 = 0; v6 < 2; v6++)
        for (int k = 0; k < 256; k++) {
            if (!c.n[v6][k])
                continue;
            seen++;
            assert_int_equal(c.n[v6][k], 3);
            assert_int_equal(c.csum[v6][k][1], c.csum[v6][k][0]);
            assert_int_equal(c.csum[v6][k][2], c.csum[v6][k][0]);
        }
    assert_int_equal(seen, 14 + 16);
}

/* A prober whose LAN interface is a bridge port (a host with a bridge for
 * its VMs): the bridge takes the port's MAC and the addresses, so each
 * reply arrives on the port as PACKET_HOST and again on the bridge.  A
 * packet ring bound to ETH_P_ALL saw every reply twice (both rounds of the
 * kernel's receive); bound to ETH_P_IP / ETH_P_IPV6 it sees each once, as
 * the IP stack does.  Last in the list: it rebuilds the prober's LAN side
 * and puts it back. */
#define PRB_LAN "ip addr add 192.0.2.1/24 dev %s && ip -6 addr add 2001:db8:ff00::1/64 dev %s nodad && " \
                "ip route replace 198.18.0.0/16 via 192.0.2.2 && " \
                "ip -6 route replace 2001:db8:1::/64 via 2001:db8:ff00::2"
static void test_ring_bridged_prober(void **state) {
    (void)state;
    lab("mac=$(cat /sys/class/net/lan/address) && ip link add brt type bridge forward_delay 0 && "
        "ip link set brt address $mac && ip addr flush dev lan && ip -6 addr flush dev lan && "
        "ip link set lan master brt && ip link set brt up && " PRB_LAN,
        "brt", "brt");
    static const char *const list[] = {"198.18.25.0/24", "2001:db8:1::19:0/120", NULL};
    static struct seen ring;
    struct icr_sweep_stats a;
    int r = sweep_flags(list, ICR_SWEEP_RING_RECV, 56, &a, &ring);
    lab("ip link set lan nomaster && ip link del brt && ip link set lan up && " PRB_LAN, "lan", "lan");
    print_message("# bridged prober: receive %d, %llu ring packets, %llu replies, %llu duplicates, "
                  "%llu hits\n",
                  a.receive, (unsigned long long)a.ring_received, (unsigned long long)a.replies,
                  (unsigned long long)a.duplicates, (unsigned long long)a.hits);
    assert_int_equal(r, 0);
    assert_int_equal(a.receive, ICR_RECEIVE_RING);
    assert_int_equal(a.hits, 254 + 256);
    assert_int_equal(a.replies, 254 + 256);
    assert_int_equal(a.duplicates, 0);
    assert_int_equal(a.ring_received, 254 + 256);
}

int main(void) {
    if (!getenv("ICR_LAB") || !getenv("ICR_LAB_BIN")) {
        printf("1..0 # SKIP not inside icmpring-lab run\n");
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_as_raw_two_interfaces),
        cmocka_unit_test(test_auto_is_packet),
        cmocka_unit_test(test_unresolved_neighbour),
        cmocka_unit_test(test_router_mac_changes),
        cmocka_unit_test(test_fallback_routes),
        cmocka_unit_test(test_two_senders),
        cmocka_unit_test(test_multiping_trace_same),
        cmocka_unit_test(test_frames_checksums_paris),
        cmocka_unit_test(test_receive_ring),
        cmocka_unit_test(test_ring_bridged_prober),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
