/* ring-mmsg.c - the ring.h backend for where io_uring is refused (Docker's
 * default seccomp profile, Kubernetes' RuntimeDefault, gVisor,
 * kernel.io_uring_disabled, kernels before 5.1): sends are collected and
 * flushed with sendmmsg, receive sockets are drained with recvmmsg, and an
 * epoll set over the sockets says which to drain and lets callers poll.
 * Still one syscall per batch, never one per packet, and the same decoded
 * completions the io_uring backend delivers (send results, datagrams with
 * their timestamps, TTLs and drop counts, error-queue signals).
 *
 * The differences the engine sees: sends complete synchronously inside
 * submit (their completions come at the next reap), and a wait is a ppoll
 * on the epoll fd.  Not thread-safe: one thread drives a ring.
 */
#include "ring-backend.h"
#include "cmsg.h"

#include <assert.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "icmpring.h"

/* Datagrams per recvmmsg call, and calls per socket per reap: up to 1024
 * replies are handled before the sender gets its turn again; what is left
 * keeps the socket readable (epoll is level-triggered) for the next reap. */
#define RBATCH 64u
#define RROUNDS 16u
/* sendmmsg takes at most UIO_MAXIOV (1024) messages a call. */
#define SBATCH 1024u

struct rslot {
    struct sockaddr_in6 name;
    union {
        char buf[ICR__RING_CTRL_LEN];
        size_t align; /* cmsg alignment */
    } ctrl;
    uint8_t data[ICR__RING_BUFSZ];
};

struct rsrc {
    int fd;
    struct mmsghdr mm[RBATCH];
    struct iovec iov[RBATCH];
    struct rslot *slots; /* RBATCH of them */
};

/* One epoll registration per descriptor: a datagram socket is both a
 * receive source and an error watch, and epoll takes an fd only once. */
struct watch {
    int fd;
    int recv; /* index in src[], -1 if none */
    int pw[2]; /* its poll watch index per kind (ERRQUEUE, READABLE), -1 if none */
    uint32_t events;
};

struct done {
    uint64_t user;
    int res;
};

struct mmsg {
    struct icr__ring base; /* first: the handle ring.h hands out */
    int epfd;
    unsigned cap;          /* sends queued + completions not yet reaped */
    struct mmsghdr *sq;    /* queued sends: copies of the callers' msghdrs */
    int *sq_fd;
    uint64_t *sq_user;
    unsigned sq_n;
    struct done *cq;       /* finished sends, handed out by reap */
    unsigned cq_head, cq_n;
    struct rsrc src[ICR__RING_MAX_RECV];
    unsigned nsrc;
    struct watch w[2 * ICR__RING_MAX_RECV];
    unsigned nw;
    unsigned npw[2];          /* poll watches per kind */
};

static struct mmsg *M(struct icr__ring *r) {
    return (struct mmsg *)r;
}

static void mmsg_free(struct icr__ring *base) {
    struct mmsg *m = M(base);
    if (m->epfd >= 0)
        close(m->epfd);
    for (unsigned i = 0; i < m->nsrc; i++)
        free(m->src[i].slots);
    free(m->sq);
    free(m->sq_fd);
    free(m->sq_user);
    free(m->cq);
    free(m);
}

static int mmsg_fd(const struct icr__ring *base) {
    return ((const struct mmsg *)base)->epfd;
}

/* The epoll fd itself: readable while any watched socket has a datagram
 * or an error queued, which is exactly when step() has work besides what
 * get_timeout_ns already tells (send results are never waited for). */
static int mmsg_eventfd(struct icr__ring *base) {
    return M(base)->epfd;
}

static void mmsg_eventfd_ack(struct icr__ring *base) {
    (void)base; /* level-triggered: nothing to re-arm */
}

static bool mmsg_multishot(const struct icr__ring *base) {
    (void)base;
    return false;
}

/* Add `events` for fd to the epoll set.  Returns the watch's index in
 * m->w, or a negative errno.  (It returned the watch through a pointer
 * before: gcc -O3 saw that pointer unset on the path where -errno is not
 * negative, and -Werror=maybe-uninitialized failed the release build.) */
static int watch_add(struct mmsg *m, int fd, uint32_t events) {
    struct watch *w = NULL;
    for (unsigned i = 0; i < m->nw; i++)
        if (m->w[i].fd == fd)
            w = &m->w[i];
    bool fresh = !w;
    if (fresh) {
        if (m->nw >= sizeof(m->w) / sizeof(m->w[0]))
            return -ENOSPC;
        w = &m->w[m->nw];
        *w = (struct watch){.fd = fd, .recv = -1, .pw = {-1, -1}};
    }
    struct epoll_event ev = {.events = w->events | events, .data.u32 = (uint32_t)(w - m->w)};
    if (epoll_ctl(m->epfd, fresh ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &ev) < 0)
        return -errno;
    w->events |= events;
    if (fresh)
        m->nw++;
    return (int)(w - m->w);
}

static int mmsg_add_recv(struct icr__ring *base, int fd) {
    struct mmsg *m = M(base);
    if (m->nsrc >= ICR__RING_MAX_RECV)
        return -ENOSPC;
    struct rsrc *s = &m->src[m->nsrc];
    s->fd = fd;
    s->slots = calloc(RBATCH, sizeof(*s->slots));
    if (!s->slots)
        return ICR_ENOMEM;
    for (unsigned k = 0; k < RBATCH; k++) {
        s->iov[k] = (struct iovec){.iov_base = s->slots[k].data, .iov_len = ICR__RING_BUFSZ};
        s->mm[k].msg_hdr = (struct msghdr){
            .msg_name = &s->slots[k].name,
            .msg_iov = &s->iov[k],
            .msg_iovlen = 1,
            .msg_control = s->slots[k].ctrl.buf,
        };
    }
    int e = watch_add(m, fd, EPOLLIN);
    if (e < 0) {
        free(s->slots);
        s->slots = NULL;
        return e;
    }
    m->w[e].recv = (int)m->nsrc;
    return (int)m->nsrc++;
}

/* Poll watches, by completion kind: the events epoll waits for and the
 * completion each gives (the caller then reads the fd itself).
 * EPOLLERR: an ICMP error queued on a datagram socket with IP_RECVERR
 * (datagram_poll reports it while sk_err is set or the queue is not
 * empty; the engine reads the queue dry when told).  EPOLLIN: the packet
 * ring has a block ready. */
static const struct {
    uint32_t events;
    int kind;
} pw_kind[2] = {{EPOLLERR, ICR__CQ_ERRQUEUE}, {EPOLLIN, ICR__CQ_READABLE}};

static int add_pollwatch(struct mmsg *m, unsigned k, int fd) {
    if (m->npw[k] >= ICR__RING_MAX_RECV)
        return -ENOSPC;
    int e = watch_add(m, fd, pw_kind[k].events);
    if (e < 0)
        return e;
    m->w[e].pw[k] = (int)m->npw[k];
    return (int)m->npw[k]++;
}

static int mmsg_add_errwatch(struct icr__ring *base, int fd) {
    return add_pollwatch(M(base), 0, fd);
}

static int mmsg_add_readwatch(struct icr__ring *base, int fd) {
    return add_pollwatch(M(base), 1, fd);
}

static int mmsg_queue_send(struct icr__ring *base, int fd, const struct msghdr *mh,
                           uint64_t user) {
    struct mmsg *m = M(base);
    /* Bounded like a submission queue, counting the results not yet
     * reaped, so that neither array can overflow. */
    if (m->sq_n + (m->cq_n - m->cq_head) >= m->cap)
        return -EBUSY;
    m->sq[m->sq_n] = (struct mmsghdr){.msg_hdr = *mh};
    m->sq_fd[m->sq_n] = fd;
    m->sq_user[m->sq_n] = user;
    m->sq_n++;
    return 0;
}

static void complete(struct mmsg *m, uint64_t user, int res) {
    assert(m->cq_n < m->cap);
    m->cq[m->cq_n++] = (struct done){.user = user, .res = res};
}

/* Send what is queued: runs of messages to one socket, up to SBATCH per
 * sendmmsg.  sendmmsg returns how many went; when it stops early, the next
 * message is the one the kernel refused, and a call starting at it returns
 * that refusal (-1 and its errno), which becomes its result; the rest are
 * sent by the following calls.  The sockets are blocking, as a send under
 * io_uring waits for buffer space too; EAGAIN (a socket made non-blocking)
 * leaves the rest queued for the next submit.  Returns how many were
 * handled. */
static int flush(struct mmsg *m) {
    unsigned i = 0;
    while (i < m->sq_n) {
        int fd = m->sq_fd[i];
        unsigned run = 1;
        while (i + run < m->sq_n && run < SBATCH && m->sq_fd[i + run] == fd)
            run++;
        int n = sendmmsg(fd, &m->sq[i], run, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            complete(m, m->sq_user[i], -errno);
            i++;
            continue;
        }
        for (int k = 0; k < n; k++)
            complete(m, m->sq_user[i + (unsigned)k], (int)m->sq[i + (unsigned)k].msg_len);
        i += (unsigned)n;
    }
    if (i > 0 && i < m->sq_n) {
        memmove(m->sq, m->sq + i, (m->sq_n - i) * sizeof(*m->sq));
        memmove(m->sq_fd, m->sq_fd + i, (m->sq_n - i) * sizeof(*m->sq_fd));
        memmove(m->sq_user, m->sq_user + i, (m->sq_n - i) * sizeof(*m->sq_user));
    }
    m->sq_n -= i;
    return (int)i;
}

static int mmsg_submit(struct icr__ring *base, int64_t timeout_ns) {
    struct mmsg *m = M(base);
    int done = flush(m);
    /* Results to hand out or sends still queued: no waiting. */
    if (timeout_ns <= 0 || m->cq_n > m->cq_head || m->sq_n)
        return done;
    /* ppoll on the epoll fd for its nanosecond timeout (epoll_wait counts
     * milliseconds; epoll_pwait2 needs 5.11); the events themselves are
     * read by reap.  With nothing watched (a helper that only sends) this
     * is a plain sleep. */
    struct pollfd p = {.fd = m->epfd, .events = POLLIN};
    struct timespec ts = {.tv_sec = timeout_ns / 1000000000, .tv_nsec = timeout_ns % 1000000000};
    if (ppoll(&p, 1, &ts, NULL) < 0 && errno == EINTR)
        return -EINTR;
    return done;
}

/* Read up to RROUNDS batches of datagrams from source i and hand each to
 * cb, decoded as the io_uring backend does.  Returns how many. */
static int drain(struct mmsg *m, unsigned i, icr__ring_cb cb, void *ud) {
    struct rsrc *s = &m->src[i];
    int total = 0;
    for (unsigned round = 0; round < RROUNDS; round++) {
        for (unsigned k = 0; k < RBATCH; k++) {
            s->mm[k].msg_hdr.msg_namelen = sizeof(s->slots[k].name);
            s->mm[k].msg_hdr.msg_controllen = sizeof(s->slots[k].ctrl.buf);
            s->mm[k].msg_hdr.msg_flags = 0;
        }
        int n = recvmmsg(s->fd, s->mm, RBATCH, MSG_DONTWAIT, NULL);
        if (n < 0) {
            /* EAGAIN: dry.  Another errno is a pending socket error
             * (sk_err) that this call consumed, as a failed one-shot
             * recvmsg does under io_uring: read on. */
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            continue;
        }
        for (int k = 0; k < n; k++) {
            struct msghdr *mh = &s->mm[k].msg_hdr;
            struct icr__completion c = {
                .kind = ICR__CQ_RECV,
                .src = i,
                .data = s->slots[k].data,
                .len = s->mm[k].msg_len,
                .truncated = mh->msg_flags & MSG_TRUNC,
                .name = (const struct sockaddr *)&s->slots[k].name,
                .namelen = mh->msg_namelen,
                .ttl = -1,
            };
            icr__decode_cmsgs(mh->msg_control, mh->msg_controllen, &c);
            cb(&c, ud);
        }
        total += n;
        if ((unsigned)n < RBATCH)
            break;
    }
    return total;
}

static int mmsg_reap(struct icr__ring *base, icr__ring_cb cb, void *ud) {
    struct mmsg *m = M(base);
    int total = 0;
    /* Send results first: a callback may queue a send again (sq, not cq),
     * and the head moves before the call so the bound stays right. */
    while (m->cq_head < m->cq_n) {
        struct done d = m->cq[m->cq_head++];
        struct icr__completion c = {.kind = ICR__CQ_SEND, .res = d.res, .user = d.user};
        cb(&c, ud);
        total++;
    }
    m->cq_head = m->cq_n = 0;
    if (m->nw == 0)
        return total;
    struct epoll_event ev[2 * ICR__RING_MAX_RECV];
    int n = epoll_wait(m->epfd, ev, (int)m->nw, 0);
    for (int k = 0; k < n; k++) {
        const struct watch *w = &m->w[ev[k].data.u32];
        for (unsigned p = 0; p < 2; p++) {
            if (!(ev[k].events & pw_kind[p].events) || w->pw[p] < 0)
                continue;
            struct icr__completion c = {.kind = pw_kind[p].kind, .res = (int)pw_kind[p].events,
                                        .src = (unsigned)w->pw[p]};
            cb(&c, ud);
            total++;
        }
        /* EPOLLERR on a socket without an error watch is a pending socket
         * error: the receive consumes it, so it cannot keep epoll busy. */
        if ((ev[k].events & (EPOLLIN | EPOLLERR)) && w->recv >= 0)
            total += drain(m, (unsigned)w->recv, cb, ud);
    }
    return total;
}

static const struct icr__ring_ops mmsg_ops = {
    .backend = ICR_BACKEND_MMSG,
    .free = mmsg_free,
    .fd = mmsg_fd,
    .eventfd = mmsg_eventfd,
    .eventfd_ack = mmsg_eventfd_ack,
    .multishot = mmsg_multishot,
    .add_recv = mmsg_add_recv,
    .add_errwatch = mmsg_add_errwatch,
    .add_readwatch = mmsg_add_readwatch,
    .queue_send = mmsg_queue_send,
    .submit = mmsg_submit,
    .reap = mmsg_reap,
};

int icr__ring_mmsg_new(unsigned sq_entries, struct icr__ring **ret_ring) {
    struct mmsg *m = calloc(1, sizeof(*m));
    if (!m)
        return ICR_ENOMEM;
    m->base.ops = &mmsg_ops;
    m->cap = sq_entries;
    m->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (m->epfd < 0) {
        int e = -errno;
        free(m);
        return e;
    }
    m->sq = calloc(sq_entries, sizeof(*m->sq));
    m->sq_fd = calloc(sq_entries, sizeof(*m->sq_fd));
    m->sq_user = calloc(sq_entries, sizeof(*m->sq_user));
    m->cq = calloc(sq_entries, sizeof(*m->cq));
    if (!m->sq || !m->sq_fd || !m->sq_user || !m->cq) {
        mmsg_free(&m->base);
        return ICR_ENOMEM;
    }
    *ret_ring = &m->base;
    return 0;
}
