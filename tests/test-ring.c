/* test-ring.c - unit tests of ring.h's two backends (src/ring.c,
 * src/ring-mmsg.c) on AF_UNIX datagram socket pairs: no network.
 *
 *   test-ring uring   the io_uring backend: a restricted ring, on which an
 *                     operation the engine never uses (IORING_OP_NOP)
 *                     completes with -EACCES while sendmsg still works.
 *                     Skipped where io_uring or its restrictions (5.10) are
 *                     unavailable.
 *   test-ring mmsg    the sendmmsg/recvmmsg backend: batches, a refused
 *                     message in the middle of a batch, the pollable fd.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "icmpring.h"
#include "ring.h"

#define NMSG 300

static unsigned ring_flags; /* ICR__RING_NO_URING for the mmsg run */

struct seen {
    int sends, recvs, other;
    int send_res[NMSG + 8];
    uint64_t send_user[NMSG + 8];
    uint32_t recv_val[NMSG + 8];
};

static void collect(const struct icr__completion *c, void *ud) {
    struct seen *s = ud;
    if (c->kind == ICR__CQ_SEND && s->sends < NMSG + 8) {
        s->send_res[s->sends] = c->res;
        s->send_user[s->sends++] = c->user;
    } else if (c->kind == ICR__CQ_RECV && s->recvs < NMSG + 8) {
        uint32_t v = 0;
        assert_int_equal(c->len, sizeof(v));
        memcpy(&v, c->data, sizeof(v));
        assert_int_equal(c->ttl, -1); /* no IP_TTL cmsg on AF_UNIX */
        s->recv_val[s->recvs++] = v;
    } else {
        s->other++;
    }
}

/* Step the ring until `sends` send and `recvs` receive completions came,
 * or a second passes. */
static void pump(struct icr__ring *r, struct seen *s, int sends, int recvs) {
    for (int i = 0; i < 1000 && (s->sends < sends || s->recvs < recvs); i++) {
        int e = icr__ring_submit(r, 1000000);
        assert_true(e >= 0 || e == -EINTR);
        (void)icr__ring_reap(r, collect, s);
    }
}

struct pair {
    int tx, rx;
};

static struct pair socket_pair(void) {
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv), 0);
    /* Room for every message of a test at once. */
    int sz = 1 << 20;
    (void)setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
    (void)setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
    return (struct pair){.tx = sv[0], .rx = sv[1]};
}

struct msg {
    uint32_t v;
    struct iovec iov;
    struct msghdr mh;
};

static void fill(struct msg *m, int n) {
    for (int i = 0; i < n; i++) {
        m[i].v = (uint32_t)i * 7 + 1;
        m[i].iov = (struct iovec){.iov_base = &m[i].v, .iov_len = sizeof(m[i].v)};
        m[i].mh = (struct msghdr){.msg_iov = &m[i].iov, .msg_iovlen = 1};
    }
}

/* NMSG sends in one submit, every one delivered in order with its tag and
 * its byte count, every datagram received once. */
static void test_send_recv(void **state) {
    (void)state;
    struct icr__ring *r;
    struct pair p = socket_pair();
    static struct msg m[NMSG];
    static struct seen s;
    memset(&s, 0, sizeof(s));
    fill(m, NMSG);
    assert_int_equal(icr__ring_new(512, ring_flags, &r), 0);
    assert_int_equal(icr__ring_backend(r),
                     ring_flags & ICR__RING_NO_URING ? ICR_BACKEND_MMSG : ICR_BACKEND_URING);
    assert_int_equal(icr__ring_add_recv(r, p.rx), 0);
    for (int i = 0; i < NMSG; i++)
        assert_int_equal(icr__ring_queue_send(r, p.tx, &m[i].mh, 1000 + (uint64_t)i), 0);
    pump(r, &s, NMSG, NMSG);
    assert_int_equal(s.sends, NMSG);
    assert_int_equal(s.recvs, NMSG);
    assert_int_equal(s.other, 0);
    for (int i = 0; i < NMSG; i++) {
        assert_int_equal(s.send_res[i], sizeof(uint32_t));
        assert_int_equal(s.send_user[i], 1000 + (uint64_t)i);
        assert_int_equal(s.recv_val[i], (uint32_t)i * 7 + 1);
    }
    icr__ring_free(r);
    close(p.tx);
    close(p.rx);
}

/* A readable watch: a completion of kind ICR__CQ_READABLE whenever the fd
 * has data, its index as src; the ring does not read it (the engine's
 * packet ring is read by pktrx.c).  Multishot on io_uring: a second
 * datagram, after the first was read, signals again. */
struct rw_seen {
    int readable, other;
    unsigned src;
};

static void collect_rw(const struct icr__completion *c, void *ud) {
    struct rw_seen *s = ud;
    if (c->kind == ICR__CQ_READABLE) {
        s->readable++;
        s->src = c->src;
    } else if (c->kind != ICR__CQ_SEND) {
        s->other++;
    }
}

static void pump_rw(struct icr__ring *r, struct rw_seen *s, int want) {
    for (int i = 0; i < 200 && s->readable < want; i++) {
        int e = icr__ring_submit(r, 5000000);
        assert_true(e >= 0 || e == -EINTR);
        (void)icr__ring_reap(r, collect_rw, s);
    }
}

static void test_readwatch(void **state) {
    (void)state;
    struct icr__ring *r;
    struct pair p = socket_pair();
    struct rw_seen s = {0};
    assert_int_equal(icr__ring_new(64, ring_flags, &r), 0);
    int w = icr__ring_add_readwatch(r, p.rx);
    assert_true(w >= 0);
    /* Nothing to read: a wait ends by its timeout, with no completion. */
    assert_true(icr__ring_submit(r, 20000000) >= 0);
    (void)icr__ring_reap(r, collect_rw, &s);
    assert_int_equal(s.readable, 0);
    uint32_t v = 1, got = 0;
    assert_int_equal(send(p.tx, &v, sizeof(v), 0), (ssize_t)sizeof(v));
    pump_rw(r, &s, 1);
    assert_true(s.readable >= 1);
    assert_int_equal(s.src, (unsigned)w);
    assert_int_equal(s.other, 0);
    /* The watch read nothing: the datagram is still there. */
    assert_int_equal(recv(p.rx, &got, sizeof(got), MSG_DONTWAIT), (ssize_t)sizeof(got));
    assert_int_equal(got, 1);
    int before = s.readable;
    v = 2;
    assert_int_equal(send(p.tx, &v, sizeof(v), 0), (ssize_t)sizeof(v));
    pump_rw(r, &s, before + 1);
    assert_true(s.readable > before);
    assert_int_equal(recv(p.rx, &got, sizeof(got), MSG_DONTWAIT), (ssize_t)sizeof(got));
    assert_int_equal(got, 2);
    icr__ring_free(r);
    close(p.tx);
    close(p.rx);
}

/* A full queue says -EBUSY instead of overrunning. */
static void test_queue_full(void **state) {
    (void)state;
    struct icr__ring *r;
    struct pair p = socket_pair();
    static struct msg m[40];
    static struct seen s;
    memset(&s, 0, sizeof(s));
    fill(m, 40);
    assert_int_equal(icr__ring_new(16, ring_flags, &r), 0);
    int queued = 0;
    while (queued < 40 && icr__ring_queue_send(r, p.tx, &m[queued].mh, (uint64_t)queued) == 0)
        queued++;
    assert_true(queued >= 16 && queued < 40);
    assert_int_equal(icr__ring_queue_send(r, p.tx, &m[39].mh, 39), -EBUSY);
    pump(r, &s, queued, 0);
    assert_int_equal(s.sends, queued);
    icr__ring_free(r);
    close(p.tx);
    close(p.rx);
}

/* The fallback's partial batch: sendmmsg stops at the message the kernel
 * refuses (EFAULT: its buffer is not mapped); that one gets the errno, the
 * others before and after it are sent. */
static void test_partial_batch(void **state) {
    (void)state;
    struct icr__ring *r;
    struct pair p = socket_pair();
    struct msg m[5];
    struct seen s = {0};
    fill(m, 5);
    m[2].iov.iov_base = (void *)(uintptr_t)8; /* unmapped */
    assert_int_equal(icr__ring_new(64, ring_flags, &r), 0);
    assert_int_equal(icr__ring_add_recv(r, p.rx), 0);
    for (int i = 0; i < 5; i++)
        assert_int_equal(icr__ring_queue_send(r, p.tx, &m[i].mh, (uint64_t)i), 0);
    pump(r, &s, 5, 4);
    assert_int_equal(s.sends, 5);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(s.send_user[i], (uint64_t)i);
        assert_int_equal(s.send_res[i], i == 2 ? -EFAULT : (int)sizeof(uint32_t));
    }
    assert_int_equal(s.recvs, 4);
    assert_int_equal(s.recv_val[2], 3 * 7 + 1);
    icr__ring_free(r);
    close(p.tx);
    close(p.rx);
}

/* The pollable descriptor turns readable when a datagram waits, and
 * stops being readable once step() has taken it. */
static void test_eventfd(void **state) {
    (void)state;
    struct icr__ring *r;
    struct pair p = socket_pair();
    struct seen s = {0};
    uint32_t v = 7;
    assert_int_equal(icr__ring_new(64, ring_flags, &r), 0);
    assert_int_equal(icr__ring_add_recv(r, p.rx), 0);
    int fd = icr__ring_eventfd(r);
    assert_true(fd >= 0);
    /* Arm the receive (io_uring: submitted by the first enter). */
    assert_true(icr__ring_submit(r, 0) >= 0);
    (void)icr__ring_reap(r, collect, &s);
    icr__ring_eventfd_ack(r);
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    assert_int_equal(poll(&pfd, 1, 0), 0);
    assert_int_equal(send(p.tx, &v, sizeof(v), 0), (ssize_t)sizeof(v));
    assert_int_equal(poll(&pfd, 1, 1000), 1);
    icr__ring_eventfd_ack(r);
    pump(r, &s, 0, 1);
    assert_int_equal(s.recvs, 1);
    assert_int_equal(s.recv_val[0], 7);
    icr__ring_eventfd_ack(r); /* io_uring signals posting the CQE too */
    assert_int_equal(poll(&pfd, 1, 0), 0);
    icr__ring_free(r);
    close(p.tx);
    close(p.rx);
}

/* IORING_REGISTER_RESTRICTIONS: only SENDMSG, SEND, RECVMSG and POLL_ADD
 * run; a NOP, which the engine never queues, completes with -EACCES.  The
 * one-iovec message goes as SEND, the two-iovec one as SENDMSG: both must
 * be allowed. */
static void test_restricted(void **state) {
    (void)state;
    struct icr__ring *r;
    struct pair p = socket_pair();
    struct msg m[2];
    struct seen s = {0};
    fill(m, 2);
    /* Two halves of m[1].v: a message of two iovecs. */
    struct iovec two[2] = {{.iov_base = &m[1].v, .iov_len = 2},
                           {.iov_base = (char *)&m[1].v + 2, .iov_len = 2}};
    m[1].mh.msg_iov = two;
    m[1].mh.msg_iovlen = 2;
    assert_int_equal(icr__ring_new(64, 0, &r), 0);
    assert_true(icr__ring_restricted(r));
    assert_int_equal(icr__ring_test_queue_nop(r, 77), 0);
    assert_int_equal(icr__ring_queue_send(r, p.tx, &m[0].mh, 78), 0);
    assert_int_equal(icr__ring_queue_send(r, p.tx, &m[1].mh, 79), 0);
    pump(r, &s, 3, 0);
    assert_int_equal(s.sends, 3);
    for (int i = 0; i < 3; i++) {
        if (s.send_user[i] == 77)
            assert_int_equal(s.send_res[i], -EACCES);
        else
            assert_int_equal(s.send_res[i], sizeof(uint32_t));
    }
    assert_true(s.send_user[0] + s.send_user[1] + s.send_user[2] == 77 + 78 + 79);
    /* The eventfd is registered after the ring was enabled: allowed. */
    assert_true(icr__ring_eventfd(r) >= 0);
    icr__ring_free(r);
    close(p.tx);
    close(p.rx);
}

/* A ring with a registered send socket (icr__ring_new_fixed): sends on it
 * go as IOSQE_FIXED_FILE, which the restrictions must allow, both as SEND
 * (one iovec, no name) and as SENDMSG (two iovecs); a send on another fd
 * still names it.  Each datagram arrives once, with its bytes. */
static void test_fixed_file(void **state) {
    (void)state;
    struct icr__ring *r;
    struct pair p = socket_pair(), q = socket_pair();
    struct msg m[3];
    static struct seen s;
    s = (struct seen){0};
    fill(m, 3);
    struct iovec two[2] = {{.iov_base = &m[1].v, .iov_len = 2},
                           {.iov_base = (char *)&m[1].v + 2, .iov_len = 2}};
    m[1].mh.msg_iov = two;
    m[1].mh.msg_iovlen = 2;
    assert_int_equal(icr__ring_new_fixed(64, ring_flags, p.tx, &r), 0);
    assert_true(icr__ring_restricted(r));
    assert_true(icr__ring_add_recv(r, p.rx) >= 0);
    assert_int_equal(icr__ring_queue_send(r, p.tx, &m[0].mh, 1), 0);
    assert_int_equal(icr__ring_queue_send(r, p.tx, &m[1].mh, 2), 0);
    assert_int_equal(icr__ring_queue_send(r, q.tx, &m[2].mh, 3), 0);
    pump(r, &s, 3, 2);
    assert_int_equal(s.sends, 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(s.send_res[i], sizeof(uint32_t));
    assert_int_equal(s.recvs, 2);
    assert_int_equal(s.recv_val[0] + s.recv_val[1], m[0].v + m[1].v);
    uint32_t v = 0;
    assert_int_equal(recv(q.rx, &v, sizeof(v), MSG_DONTWAIT), sizeof(v));
    assert_int_equal(v, m[2].v);
    icr__ring_free(r);
    close(p.tx);
    close(p.rx);
    close(q.tx);
    close(q.rx);
}

int main(int argc, char **argv) {
    bool uring = argc > 1 && !strcmp(argv[1], "uring");
    if (argc < 2 || (!uring && strcmp(argv[1], "mmsg"))) {
        fprintf(stderr, "usage: test-ring uring|mmsg\n");
        return 2;
    }
    if (uring) {
        /* Decide before cmocka runs (a cmocka skip counts as a failure). */
        struct icr__ring *r;
        if (icr__ring_new(8, 0, &r) < 0 || icr__ring_backend(r) != ICR_BACKEND_URING) {
            printf("1..0 # SKIP io_uring is unavailable here\n");
            return 0;
        }
        bool restricted = icr__ring_restricted(r);
        icr__ring_free(r);
        if (!restricted) {
            printf("1..0 # SKIP this kernel refuses io_uring restrictions (5.10+)\n");
            return 0;
        }
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_send_recv),
            cmocka_unit_test(test_queue_full),
            cmocka_unit_test(test_eventfd),
            cmocka_unit_test(test_restricted),
            cmocka_unit_test(test_fixed_file),
            cmocka_unit_test(test_readwatch),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
    }
    ring_flags = ICR__RING_NO_URING;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_send_recv),
        cmocka_unit_test(test_queue_full),
        cmocka_unit_test(test_partial_batch),
        cmocka_unit_test(test_eventfd),
        cmocka_unit_test(test_readwatch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
