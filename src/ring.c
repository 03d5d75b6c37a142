/* ring.c - owns io_uring: ring setup with kernel-version fallbacks and
 * restrictions, the provided-buffer ring, multishot/one-shot recvmsg,
 * batched sendmsg, and the decoding of completions for the jobs.  Also the
 * dispatch of ring.h to the chosen backend (this one, or ring-mmsg.c where
 * io_uring is blocked).  The only file that includes <liburing.h>
 * (liburing 2.3: no io_uring_setup_buf_ring, so the buffer ring is mmap'ed
 * and registered here by hand).
 */
#include "ring.h"
#include "ring-backend.h"
#include "cmsg.h"

#include <assert.h>
#include <errno.h>
#include <liburing.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>
#include <time.h>

#include "icmpring.h"

/* Provided buffers for multishot receives: 4096 x 2 KiB = 8 MiB of address
 * space, touched only as replies arrive.  A burst larger than this ends
 * the multishot with ENOBUFS; we re-arm, and the socket's own buffer
 * (SO_RCVBUFFORCE, set by the job) holds what waits meanwhile. */
#define NBUFS 4096u
#define BGID 7
/* One-shot fallback: receives kept in flight per socket. */
#define NSINGLE 64u
#define MAX_RECV ICR__RING_MAX_RECV

#define KIND_SHIFT 56
#define UD(kind, v) (((uint64_t)(kind) << KIND_SHIFT) | (uint64_t)(v))

#define CTRL_LEN ICR__RING_CTRL_LEN

struct single_slot {
    struct msghdr mh;
    struct iovec iov;
    struct sockaddr_in6 name;
    union {
        char buf[CTRL_LEN];
        size_t align; /* cmsg alignment (struct cmsghdr has a flexible array) */
    } ctrl;
    uint8_t data[ICR__RING_BUFSZ];
};

struct recv_src {
    int fd;
    struct single_slot *slots; /* one-shot path only */
};

struct uring {
    struct icr__ring base;    /* first: the handle ring.h hands out */
    struct io_uring ring;
    bool ring_ok;             /* io_uring_queue_init succeeded */
    bool restricted;          /* IORING_REGISTER_RESTRICTIONS took */
    bool multishot;
    bool buf_ring_registered;
    int fixed_fd;                 /* the send socket registered as file 0, -1 if none */
    struct io_uring_buf_ring *br; /* NBUFS entries, page aligned */
    size_t br_size;
    uint8_t *bufs;                /* NBUFS * ICR__RING_BUFSZ */
    unsigned br_added;            /* buffers returned since the last advance */
    struct msghdr tmpl;           /* multishot template: name + control sizes */
    struct recv_src src[MAX_RECV];
    unsigned nsrc;
    /* Poll watches, per kind (WATCH_OF: ICR__CQ_ERRQUEUE, ICR__CQ_READABLE):
     * their fds. */
    struct {
        int fd[MAX_RECV];
        unsigned n;
    } watch[2];
    int evfd;                     /* registered eventfd, -1 if none */
};

/* Ring flags from best to plainest.  SINGLE_ISSUER|DEFER_TASKRUN (6.1) runs
 * completion work only when we enter the ring, on our own CPU time, instead
 * of interrupting the sender; COOP_TASKRUN (5.19) avoids IPIs; older kernels
 * refuse unknown flags with EINVAL, so we step down.  Each is tried first
 * with IORING_SETUP_R_DISABLED (5.10), so that restrictions can be
 * registered before the ring runs anything; *ret_disabled says whether it
 * took. */
static int ring_init(struct io_uring *ring, unsigned entries, bool *ret_disabled) {
    static const unsigned tries[] = {
        IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
        IORING_SETUP_COOP_TASKRUN,
        0,
    };
    int r = -EINVAL;
    for (size_t i = 0; i < 2 * sizeof(tries) / sizeof(tries[0]); i++) {
        bool disabled = i % 2 == 0;
        struct io_uring_params p = {
            .flags = tries[i / 2] | IORING_SETUP_CQSIZE | (disabled ? IORING_SETUP_R_DISABLED : 0),
            /* Replies outnumber sends in bursts (duplicates, errors); a
             * deep CQ keeps the kernel from buffering overflowed CQEs. */
            .cq_entries = entries * 8,
        };
        r = io_uring_queue_init_params(entries, ring, &p);
        if (r != -EINVAL) {
            *ret_disabled = disabled;
            return r;
        }
    }
    return r;
}

/* io_uring_register(2) for the operations liburing 2.3 declares but its
 * shared library does not export (io_uring_register_restrictions and
 * io_uring_enable_rings are missing from its liburing.map; 2.4 has them).
 * 2.3's wrapper returns -errno; errno is checked too in case a build of it
 * goes through libc's syscall(), which returns -1. */
static int ring_register(struct io_uring *ring, unsigned op, const void *arg, unsigned nr) {
    errno = 0;
    int r = io_uring_register((unsigned)ring->ring_fd, op, arg, nr);
    return r == -1 && errno ? -errno : r;
}

/* Why restrict: an io_uring can open, read and write files, connect
 * sockets and more, all without the syscalls a seccomp filter or an audit
 * rule would see.  The engine needs only SENDMSG, SEND (nameless
 * messages, uring_queue_send), RECVMSG (with
 * IOSQE_BUFFER_SELECT for the provided buffers; IOSQE_FIXED_FILE names the
 * one send socket registered at setup) and POLL_ADD (the error
 * watch), so anything else a bug or a corrupted SQE might ask for fails
 * with -EACCES (IORING_REGISTER_RESTRICTIONS, 5.10).  Register operations
 * are unrestricted until the ring is enabled (the buffer ring is registered
 * before), and the eventfd is registered later, on a caller's get_fd, so
 * IORING_REGISTER_EVENTFD stays allowed.  Kernels without EXT_ARG (before
 * 5.11) make liburing wait with an IORING_OP_TIMEOUT SQE: allowed there.
 * Returns whether the restrictions took; a kernel refusing them (or a
 * seccomp filter refusing io_uring_register) leaves the ring unrestricted,
 * which is how it ran before. */
static bool restrict_ring(struct io_uring *ring) {
    struct io_uring_restriction res[8];
    unsigned n = 0;
    static const uint8_t ops[] = {IORING_OP_SENDMSG, IORING_OP_SEND, IORING_OP_RECVMSG,
                                  IORING_OP_POLL_ADD};
    for (size_t i = 0; i < sizeof(ops); i++)
        res[n++] = (struct io_uring_restriction){.opcode = IORING_RESTRICTION_SQE_OP,
                                                 .sqe_op = ops[i]};
    if (!(ring->features & IORING_FEAT_EXT_ARG))
        res[n++] = (struct io_uring_restriction){.opcode = IORING_RESTRICTION_SQE_OP,
                                                 .sqe_op = IORING_OP_TIMEOUT};
    res[n++] = (struct io_uring_restriction){.opcode = IORING_RESTRICTION_SQE_FLAGS_ALLOWED,
                                             .sqe_flags = IOSQE_BUFFER_SELECT | IOSQE_FIXED_FILE};
    res[n++] = (struct io_uring_restriction){.opcode = IORING_RESTRICTION_REGISTER_OP,
                                             .register_op = IORING_REGISTER_EVENTFD};
    return ring_register(ring, IORING_REGISTER_RESTRICTIONS, res, n) == 0;
}

/* An SQE for (re)arming a receive or a watch.  These must not fail: a
 * full submission queue is flushed to make room (the ring has room for a
 * whole batch of sends plus these few). */
static struct io_uring_sqe *sqe_for_rearm(struct uring *r) {
    struct io_uring_sqe *sqe = io_uring_get_sqe(&r->ring);
    if (!sqe) {
        (void)io_uring_submit(&r->ring);
        sqe = io_uring_get_sqe(&r->ring);
    }
    assert(sqe);
    return sqe;
}

static void arm_multishot(struct uring *r, unsigned i) {
    struct io_uring_sqe *sqe = sqe_for_rearm(r);
    io_uring_prep_recvmsg_multishot(sqe, r->src[i].fd, &r->tmpl, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = BGID;
    io_uring_sqe_set_data64(sqe, UD(ICR__CQ_RECV, i));
}

static void arm_single(struct uring *r, unsigned i, unsigned slot) {
    struct single_slot *s = &r->src[i].slots[slot];
    s->iov = (struct iovec){.iov_base = s->data, .iov_len = sizeof(s->data)};
    s->mh = (struct msghdr){
        .msg_name = &s->name,
        .msg_namelen = sizeof(s->name),
        .msg_iov = &s->iov,
        .msg_iovlen = 1,
        .msg_control = s->ctrl.buf,
        .msg_controllen = sizeof(s->ctrl.buf),
    };
    struct io_uring_sqe *sqe = sqe_for_rearm(r);
    io_uring_prep_recvmsg(sqe, r->src[i].fd, &s->mh, 0);
    /* Bit 55 marks the one-shot path; the slot rides in the low bits. */
    io_uring_sqe_set_data64(sqe, UD(ICR__CQ_RECV, (1ull << 55) | (uint64_t)i << 16 | slot));
}

static int start_single(struct uring *r, unsigned i) {
    if (!r->src[i].slots) {
        r->src[i].slots = calloc(NSINGLE, sizeof(struct single_slot));
        if (!r->src[i].slots)
            return ICR_ENOMEM;
    }
    for (unsigned k = 0; k < NSINGLE; k++)
        arm_single(r, i, k);
    return 0;
}

static const struct icr__ring_ops uring_ops;
static void uring_free(struct icr__ring *base);

static int uring_new(unsigned sq_entries, bool single_recv, int fixed_fd,
                     struct icr__ring **ret_ring) {
    struct uring *r = calloc(1, sizeof(*r));
    bool disabled = false;
    int e;
    if (!r)
        return ICR_ENOMEM;
    r->base.ops = &uring_ops;
    r->evfd = -1;
    r->fixed_fd = -1;
    e = ring_init(&r->ring, sq_entries, &disabled);
    if (e < 0) {
        free(r);
        return e;
    }
    r->ring_ok = true;
    /* Why a registered file: every SQE on a plain fd takes and drops a
     * reference to its file (fget/fput, ~2 % of a packet sender's CPU per
     * frame, perf); IOSQE_FIXED_FILE (5.1) looks file 0 up in the ring's
     * table instead.  Registered here, before the ring is enabled, because
     * the restrictions allow no file registration later.  Not fatal: the
     * sends then name the fd as before. */
    if (fixed_fd >= 0 && io_uring_register_files(&r->ring, &fixed_fd, 1) == 0)
        r->fixed_fd = fixed_fd;
    r->tmpl = (struct msghdr){
        /* The kernel lays out header, name, control, payload back to back
         * in the provided buffer: a name size that is a multiple of 8 keeps
         * the cmsg headers after it aligned (sockaddr_in6 is 28 bytes). */
        .msg_namelen = (sizeof(struct sockaddr_in6) + 7) & ~(size_t)7,
        .msg_controllen = CTRL_LEN,
    };
    r->multishot = !single_recv;
    if (r->multishot) {
        r->br_size = NBUFS * sizeof(struct io_uring_buf);
        void *m = mmap(NULL, r->br_size, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
        r->bufs = malloc((size_t)NBUFS * ICR__RING_BUFSZ);
        if (m == MAP_FAILED || !r->bufs) {
            if (m != MAP_FAILED)
                munmap(m, r->br_size);
            r->br = NULL;
            uring_free(&r->base);
            return ICR_ENOMEM;
        }
        r->br = m;
        struct io_uring_buf_reg reg = {
            .ring_addr = (uintptr_t)r->br,
            .ring_entries = NBUFS,
            .bgid = BGID,
        };
        /* Provided-buffer rings came with 5.19; without them there is no
         * multishot recvmsg either (6.0), so fall back as a whole. */
        if (io_uring_register_buf_ring(&r->ring, &reg, 0) == 0) {
            r->buf_ring_registered = true;
            io_uring_buf_ring_init(r->br);
            int mask = io_uring_buf_ring_mask(NBUFS);
            for (unsigned b = 0; b < NBUFS; b++)
                io_uring_buf_ring_add(r->br, r->bufs + (size_t)b * ICR__RING_BUFSZ,
                                      ICR__RING_BUFSZ, (unsigned short)b, mask, (int)b);
            io_uring_buf_ring_advance(r->br, NBUFS);
        } else {
            r->multishot = false;
        }
    }
    if (disabled) {
        r->restricted = restrict_ring(&r->ring);
        if ((e = ring_register(&r->ring, IORING_REGISTER_ENABLE_RINGS, NULL, 0)) < 0) {
            uring_free(&r->base);
            return e;
        }
    }
    /* A seccomp filter may allow io_uring_setup and still refuse
     * io_uring_enter: find out now, with an enter that does nothing, not
     * at the first submit. */
    if ((e = io_uring_enter((unsigned)r->ring.ring_fd, 0, 0, 0, NULL)) < 0) {
        uring_free(&r->base);
        return e;
    }
    *ret_ring = &r->base;
    return 0;
}

static void uring_free(struct icr__ring *base) {
    struct uring *r = (struct uring *)base;
    if (r->ring_ok)
        io_uring_queue_exit(&r->ring);
    if (r->evfd >= 0)
        close(r->evfd);
    if (r->br)
        munmap(r->br, r->br_size);
    free(r->bufs);
    for (unsigned i = 0; i < r->nsrc; i++)
        free(r->src[i].slots);
    free(r);
}

static int uring_fd(const struct icr__ring *base) {
    return ((const struct uring *)base)->ring.ring_fd;
}

/* Why an eventfd: with IORING_SETUP_DEFER_TASKRUN (6.1) completions wait
 * as task work that runs only inside io_uring_enter(GETEVENTS), so the ring
 * fd never turns readable for a caller blocked in poll/epoll (measured: a
 * caller blocked 2.5 s was not woken by replies at 1 s).  A registered
 * eventfd is signalled when that work is queued (io_req_local_work_add),
 * which is what an event loop needs. */
static int uring_eventfd(struct icr__ring *base) {
    struct uring *r = (struct uring *)base;
    if (r->evfd >= 0)
        return r->evfd;
    int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd < 0)
        return -errno;
    int e = io_uring_register_eventfd(&r->ring, fd);
    if (e < 0) {
        close(fd);
        return e;
    }
    r->evfd = fd;
    return fd;
}

static void uring_eventfd_ack(struct icr__ring *base) {
    struct uring *r = (struct uring *)base;
    uint64_t v;
    if (r->evfd >= 0)
        (void)!read(r->evfd, &v, sizeof(v));
}

static bool uring_multishot(const struct icr__ring *base) {
    return ((const struct uring *)base)->multishot;
}

static int uring_add_recv(struct icr__ring *base, int fd) {
    struct uring *r = (struct uring *)base;
    if (r->nsrc >= MAX_RECV)
        return -ENOSPC;
    unsigned i = r->nsrc++;
    r->src[i] = (struct recv_src){.fd = fd};
    if (r->multishot) {
        arm_multishot(r, i);
        return (int)i;
    }
    int e = start_single(r, i);
    return e < 0 ? e : (int)i;
}

/* The watch table of a completion kind (ICR__CQ_ERRQUEUE or
 * ICR__CQ_READABLE), and the poll events each kind waits for. */
#define WATCH_OF(kind) ((kind) - ICR__CQ_ERRQUEUE)
static const unsigned watch_events[2] = {POLLERR, POLLIN};

/* A multishot poll (5.13): one SQE per watched fd for the whole job.
 * POLLERR: an ICMP error is rare, so reading the queue with plain recvmsg
 * calls when it fires costs nothing on the per-packet path.  POLLIN: the
 * packet ring has a block ready, read by its owner (pktrx.c). */
static void arm_watch(struct uring *r, unsigned kind, unsigned i) {
    struct io_uring_sqe *sqe = sqe_for_rearm(r);
    io_uring_prep_poll_multishot(sqe, r->watch[WATCH_OF(kind)].fd[i],
                                 watch_events[WATCH_OF(kind)]);
    io_uring_sqe_set_data64(sqe, UD(kind, i));
}

static int add_watch(struct uring *r, unsigned kind, int fd) {
    unsigned w = WATCH_OF(kind);
    if (r->watch[w].n >= MAX_RECV)
        return -ENOSPC;
    unsigned i = r->watch[w].n++;
    r->watch[w].fd[i] = fd;
    arm_watch(r, kind, i);
    return (int)i;
}

static int uring_add_errwatch(struct icr__ring *base, int fd) {
    return add_watch((struct uring *)base, ICR__CQ_ERRQUEUE, fd);
}

static int uring_add_readwatch(struct icr__ring *base, int fd) {
    return add_watch((struct uring *)base, ICR__CQ_READABLE, fd);
}

static int uring_queue_send(struct icr__ring *base, int fd, const struct msghdr *mh,
                            uint64_t user) {
    struct uring *r = (struct uring *)base;
    assert(user < (1ull << KIND_SHIFT));
    struct io_uring_sqe *sqe = io_uring_get_sqe(&r->ring);
    if (!sqe)
        return -EBUSY;
    /* A message with no name, no control data and one buffer goes as
     * IORING_OP_SEND (5.6): the kernel then copies neither a msghdr nor an
     * iovec from us, which SENDMSG does per message (perf: io_msg_copy_hdr
     * and copy_iovec_from_user, ~4 % of a packet sender's CPU).  The
     * engine's frames on a bound AF_PACKET socket are such messages. */
    bool fixed = fd == r->fixed_fd;
    if (fixed)
        fd = 0; /* the index in the ring's file table */
    if (!mh->msg_name && !mh->msg_controllen && mh->msg_iovlen == 1)
        io_uring_prep_send(sqe, fd, mh->msg_iov[0].iov_base, mh->msg_iov[0].iov_len, 0);
    else
        io_uring_prep_sendmsg(sqe, fd, mh, 0);
    if (fixed)
        sqe->flags |= IOSQE_FIXED_FILE;
    io_uring_sqe_set_data64(sqe, UD(ICR__CQ_SEND, user));
    return 0;
}

static int uring_submit(struct icr__ring *base, int64_t timeout_ns) {
    struct uring *r = (struct uring *)base;
    if (timeout_ns <= 0)
        /* With DEFER_TASKRUN completions are only posted when we enter with
         * GETEVENTS: submit_and_get_events does both in one syscall. */
        return io_uring_submit_and_get_events(&r->ring);
    if (io_uring_cq_ready(&r->ring))
        return io_uring_submit(&r->ring);
    struct __kernel_timespec ts = {.tv_sec = timeout_ns / 1000000000,
                                   .tv_nsec = timeout_ns % 1000000000};
    struct io_uring_cqe *cqe;
    int e = io_uring_submit_and_wait_timeout(&r->ring, &cqe, 1, &ts, NULL);
    return e == -ETIME ? 0 : e;
}

/* A multishot receive completion: the datagram sits in provided buffer
 * `bid`, behind an io_uring_recvmsg_out header, its name and control. */
static void handle_multishot(struct uring *r, struct io_uring_cqe *cqe, icr__ring_cb cb,
                             void *ud) {
    unsigned i = (unsigned)(cqe->user_data & 0xffff);
    bool more = cqe->flags & IORING_CQE_F_MORE;

    if (cqe->res >= 0 && (cqe->flags & IORING_CQE_F_BUFFER)) {
        unsigned bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
        uint8_t *buf = r->bufs + (size_t)bid * ICR__RING_BUFSZ;
        struct io_uring_recvmsg_out *out = io_uring_recvmsg_validate(buf, cqe->res, &r->tmpl);
        if (out) {
            struct icr__completion c = {
                .kind = ICR__CQ_RECV,
                .src = i,
                .data = io_uring_recvmsg_payload(out, &r->tmpl),
                .len = io_uring_recvmsg_payload_length(out, cqe->res, &r->tmpl),
                .truncated = out->flags & MSG_TRUNC,
                .name = io_uring_recvmsg_name(out),
                .namelen = out->namelen,
                .ttl = -1,
            };
            /* The control data follows the name in the buffer (as
             * io_uring_recvmsg_cmsg_firsthdr finds it), controllen long. */
            icr__decode_cmsgs((const uint8_t *)io_uring_recvmsg_name(out) + r->tmpl.msg_namelen,
                              out->controllen, &c);
            cb(&c, ud);
        }
        io_uring_buf_ring_add(r->br, buf, ICR__RING_BUFSZ, (unsigned short)bid,
                              io_uring_buf_ring_mask(NBUFS), (int)r->br_added++);
    } else if (cqe->res == -EINVAL && !more) {
        /* Kernels before 6.0 know no multishot recvmsg: go one-shot, once
         * and for all sources. */
        if (r->multishot) {
            r->multishot = false;
            for (unsigned k = 0; k < r->nsrc; k++)
                if (start_single(r, k) < 0)
                    return;
        }
        return;
    }
    /* Without F_MORE the multishot has ended (ENOBUFS when every buffer
     * was in use, or any error): arm it again. */
    if (!more && r->multishot)
        arm_multishot(r, i);
}

static void handle_single(struct uring *r, struct io_uring_cqe *cqe, icr__ring_cb cb,
                          void *ud) {
    unsigned i = (unsigned)((cqe->user_data >> 16) & 0xff), slot = cqe->user_data & 0xffff;
    struct single_slot *s = &r->src[i].slots[slot];
    if (cqe->res >= 0) {
        struct icr__completion c = {
            .kind = ICR__CQ_RECV,
            .src = i,
            .data = s->data,
            .len = (size_t)cqe->res,
            .truncated = s->mh.msg_flags & MSG_TRUNC,
            .name = (const struct sockaddr *)&s->name,
            .namelen = s->mh.msg_namelen,
            .ttl = -1,
        };
        icr__decode_cmsgs(s->mh.msg_control, s->mh.msg_controllen, &c);
        cb(&c, ud);
    }
    arm_single(r, i, slot);
}

static int uring_reap(struct icr__ring *base, icr__ring_cb cb, void *ud) {
    struct uring *r = (struct uring *)base;
    struct io_uring_cqe *cqes[256];
    int total = 0;
    for (;;) {
        unsigned n = io_uring_peek_batch_cqe(&r->ring, cqes, 256);
        if (n == 0)
            break;
        for (unsigned k = 0; k < n; k++) {
            struct io_uring_cqe *cqe = cqes[k];
            unsigned kind = (unsigned)(cqe->user_data >> KIND_SHIFT);
            if (kind == ICR__CQ_ERRQUEUE || kind == ICR__CQ_READABLE) {
                unsigned i = (unsigned)(cqe->user_data & 0xff);
                struct icr__completion c = {.kind = (int)kind, .res = cqe->res, .src = i};
                cb(&c, ud);
                if (!(cqe->flags & IORING_CQE_F_MORE))
                    arm_watch(r, kind, i);
            } else if (kind == ICR__CQ_SEND) {
                struct icr__completion c = {
                    .kind = ICR__CQ_SEND,
                    .res = cqe->res,
                    .user = cqe->user_data & ((1ull << KIND_SHIFT) - 1),
                };
                cb(&c, ud);
            } else if (cqe->user_data & (1ull << 55)) {
                handle_single(r, cqe, cb, ud);
            } else {
                handle_multishot(r, cqe, cb, ud);
            }
        }
        io_uring_cq_advance(&r->ring, n);
        total += (int)n;
    }
    if (r->br_added) {
        io_uring_buf_ring_advance(r->br, (int)r->br_added);
        r->br_added = 0;
    }
    return total;
}

static const struct icr__ring_ops uring_ops = {
    .backend = ICR_BACKEND_URING,
    .free = uring_free,
    .fd = uring_fd,
    .eventfd = uring_eventfd,
    .eventfd_ack = uring_eventfd_ack,
    .multishot = uring_multishot,
    .add_recv = uring_add_recv,
    .add_errwatch = uring_add_errwatch,
    .add_readwatch = uring_add_readwatch,
    .queue_send = uring_queue_send,
    .submit = uring_submit,
    .reap = uring_reap,
};

/* ---- ring.h: the choice and the dispatch ---------------------------------- */

/* Why these errors mean "use the fallback": ENOSYS is a kernel without
 * io_uring (or one built without it), or a seccomp filter that answers so
 * (gVisor); EPERM is Docker's default seccomp profile, Kubernetes'
 * RuntimeDefault, or kernel.io_uring_disabled=2 (6.6; =1 for a process
 * outside io_uring_group); EACCES is an LSM (SELinux io_uring class);
 * EINVAL after every setup flag set was tried is a kernel too old for the
 * plainest ring we ask for.  Anything else (ENOMEM, EMFILE) is a real
 * failure the caller should hear about. */
static bool uring_blocked(int e) {
    return e == -ENOSYS || e == -EPERM || e == -EACCES || e == -EINVAL;
}

int icr__ring_new(unsigned sq_entries, unsigned flags, struct icr__ring **ret_ring) {
    return icr__ring_new_fixed(sq_entries, flags, -1, ret_ring);
}

int icr__ring_new_fixed(unsigned sq_entries, unsigned flags, int send_fd,
                        struct icr__ring **ret_ring) {
    if (!(flags & ICR__RING_NO_URING)) {
        int e = uring_new(sq_entries, flags & ICR__RING_SINGLE_RECV, send_fd, ret_ring);
        if (e >= 0 || !uring_blocked(e))
            return e;
    }
    return icr__ring_mmsg_new(sq_entries, ret_ring);
}

struct icr__ring *icr__ring_free(struct icr__ring *r) {
    if (r)
        r->ops->free(r);
    return NULL;
}

int icr__ring_backend(const struct icr__ring *r) {
    return r->ops->backend;
}

int icr__ring_fd(const struct icr__ring *r) {
    return r->ops->fd(r);
}

int icr__ring_eventfd(struct icr__ring *r) {
    return r->ops->eventfd(r);
}

void icr__ring_eventfd_ack(struct icr__ring *r) {
    r->ops->eventfd_ack(r);
}

bool icr__ring_multishot(const struct icr__ring *r) {
    return r->ops->multishot(r);
}

int icr__ring_add_recv(struct icr__ring *r, int fd) {
    return r->ops->add_recv(r, fd);
}

int icr__ring_add_errwatch(struct icr__ring *r, int fd) {
    return r->ops->add_errwatch(r, fd);
}

int icr__ring_add_readwatch(struct icr__ring *r, int fd) {
    return r->ops->add_readwatch(r, fd);
}

int icr__ring_queue_send(struct icr__ring *r, int fd, const struct msghdr *mh, uint64_t user) {
    return r->ops->queue_send(r, fd, mh, user);
}

int icr__ring_submit(struct icr__ring *r, int64_t timeout_ns) {
    return r->ops->submit(r, timeout_ns);
}

int icr__ring_reap(struct icr__ring *r, icr__ring_cb cb, void *userdata) {
    return r->ops->reap(r, cb, userdata);
}

bool icr__ring_restricted(const struct icr__ring *r) {
    return r->ops == &uring_ops && ((const struct uring *)r)->restricted;
}

int icr__ring_test_queue_nop(struct icr__ring *r, uint64_t user) {
    if (r->ops != &uring_ops)
        return -ENOTSUP;
    struct uring *u = (struct uring *)r;
    assert(user < (1ull << KIND_SHIFT));
    struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);
    if (!sqe)
        return -EBUSY;
    io_uring_prep_nop(sqe);
    io_uring_sqe_set_data64(sqe, UD(ICR__CQ_SEND, user));
    return 0;
}
