/* ring.h - the engine's I/O mechanics: batched sends, and receives decoded
 * into plain completions, behind one interface with two backends:
 *  - io_uring (ring.c): batched SENDMSG submissions, receives by multishot
 *    recvmsg over a provided-buffer ring, or one-shot recvmsg as its own
 *    fallback, on a ring restricted to the operations the engine uses;
 *  - sendmmsg/recvmmsg with epoll (ring-mmsg.c), for where io_uring is
 *    blocked (container seccomp profiles, gVisor, kernel.io_uring_disabled,
 *    old kernels): still one syscall per batch, not per packet.
 * icr__ring_new picks one (ICR__RING_NO_URING forces the second) and the
 * calls below dispatch through the handle's const vtable.
 *
 * ring.c is the only file that includes <liburing.h>; jobs (sweep.c, ...)
 * see only this header.  Not thread-safe: one thread drives a ring.
 */
#ifndef ICR_RING_H
#define ICR_RING_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct icr__ring;

enum { ICR__CQ_SEND = 1, ICR__CQ_RECV = 2, ICR__CQ_ERRQUEUE = 3, ICR__CQ_READABLE = 4 };

/* The largest datagram a receive buffer holds (IP header with options,
 * ICMP, the sweep's payload or an error's quote of up to 1280 bytes). */
#define ICR__RING_BUFSZ 2048

/* One completion, decoded.  Pointers are valid during the callback only. */
struct icr__completion {
    int kind;                   /* ICR__CQ_SEND or ICR__CQ_RECV */
    int res;                    /* send: bytes sent or -errno; recv: -errno on error */
    uint64_t user;              /* send: the caller's tag */
    unsigned src;               /* recv: the receive's index (icr__ring_add_recv);
                                   errqueue: the watch's (icr__ring_add_errwatch) */
    const uint8_t *data;        /* recv: the datagram */
    size_t len;
    bool truncated;             /* recv: MSG_TRUNC */
    const struct sockaddr *name; /* recv: the peer */
    socklen_t namelen;
    int64_t t_ns;               /* recv: SO_TIMESTAMPNS, CLOCK_REALTIME; 0 if none */
    int ttl;                    /* recv: IP_TTL / IPV6_HOPLIMIT cmsg, -1 if none */
    bool has_ovfl;              /* recv: an SO_RXQ_OVFL count came with it */
    uint32_t ovfl;              /* recv: the socket's cumulative drop count */
};

typedef void (*icr__ring_cb)(const struct icr__completion *c, void *userdata);

/* icr__ring_new flags. */
#define ICR__RING_SINGLE_RECV (1u << 0) /* io_uring: one-shot recvmsg, not multishot */
#define ICR__RING_NO_URING (1u << 1)    /* the sendmmsg/recvmmsg backend, always */

/* A ring with room for sq_entries queued sends.  ICR__RING_SINGLE_RECV
 * forces the one-shot receive path (tests; kernels without multishot
 * recvmsg switch to it by themselves).  When io_uring cannot be set up
 * (ENOSYS, EPERM, EACCES, or every setup flag set refused) the
 * sendmmsg/recvmmsg backend is used instead.  Returns 0 or a negative
 * errno / ICR_ENOMEM. */
int icr__ring_new(unsigned sq_entries, unsigned flags, struct icr__ring **ret_ring);

/* Same, and send_fd (>= 0; -1 for none) is the socket most sends go to:
 * io_uring registers it, so queueing a send on it skips the per-message
 * file lookup.  Sends to other fds work as on icr__ring_new's rings. */
int icr__ring_new_fixed(unsigned sq_entries, unsigned flags, int send_fd,
                        struct icr__ring **ret_ring);

struct icr__ring *icr__ring_free(struct icr__ring *r);

/* Which backend runs: ICR_BACKEND_URING or ICR_BACKEND_MMSG. */
int icr__ring_backend(const struct icr__ring *r);

/* The ring's descriptor (io_uring: the ring fd; the fallback: its epoll fd). */
int icr__ring_fd(const struct icr__ring *r);

/* A descriptor that turns readable (POLLIN) when step() has work; the ring
 * owns it.  io_uring: an eventfd (non-blocking) that the ring signals
 * whenever a completion is posted or deferred, made and registered on
 * first call; readable for pollers even under DEFER_TASKRUN, where the ring
 * fd is not.  The fallback: its epoll fd over the receive sockets and error
 * watches (level-triggered: readable while anything waits).  Returns the fd
 * or a negative errno. */
int icr__ring_eventfd(struct icr__ring *r);

/* Re-arm icr__ring_eventfd's descriptor before waiting on it again (reads
 * the eventfd's count; nothing for the fallback). */
void icr__ring_eventfd_ack(struct icr__ring *r);

/* Whether receives use multishot recvmsg (false after a fallback, and for
 * the sendmmsg/recvmmsg backend). */
bool icr__ring_multishot(const struct icr__ring *r);

/* Start receiving on fd, forever, re-arming as needed.  Returns the
 * receive's index (>= 0), or a negative errno. */
int icr__ring_add_recv(struct icr__ring *r, int fd);

/* Watch fd's error queue: a completion of kind ICR__CQ_ERRQUEUE, src = the
 * returned index, comes whenever the socket signals POLLERR (an ICMP error
 * queued on a datagram socket with IP_RECVERR); the caller then reads the
 * queue itself with MSG_ERRQUEUE.  Returns the index, or a negative errno. */
int icr__ring_add_errwatch(struct icr__ring *r, int fd);

/* Watch fd for POLLIN: a completion of kind ICR__CQ_READABLE, src = the
 * returned index, comes whenever it becomes readable (the packet ring of
 * pktrx.h: a block is ready); the caller then reads it itself.  Returns
 * the index, or a negative errno. */
int icr__ring_add_readwatch(struct icr__ring *r, int fd);

/* Queue one sendmsg (on io_uring, a message without name or control data
 * in one iovec goes as a plain send, which copies less); *mh and what it
 * points to must stay valid until the
 * completion with `user` (< 2^56) arrives.  Returns 0, or -EBUSY when the
 * submission queue is full (submit, then retry). */
int icr__ring_queue_send(struct icr__ring *r, int fd, const struct msghdr *mh, uint64_t user);

/* Submit what is queued; then wait until a completion is available or
 * timeout_ns passes (timeout_ns 0: do not wait).  Returns >= 0, or a
 * negative errno (-EINTR when a signal came). */
int icr__ring_submit(struct icr__ring *r, int64_t timeout_ns);

/* Hand every available completion to cb; recycles receive buffers and
 * re-arms receives.  Returns how many completions were handled. */
int icr__ring_reap(struct icr__ring *r, icr__ring_cb cb, void *userdata);

/* ---- for tests only ---- */

/* Whether the io_uring backend runs on a restricted ring (only SENDMSG,
 * RECVMSG and POLL_ADD allowed).  False for the fallback. */
bool icr__ring_restricted(const struct icr__ring *r);

/* Queue an IORING_OP_NOP (an operation the restrictions refuse) whose
 * completion comes as kind ICR__CQ_SEND with `user`.  -ENOTSUP for the
 * fallback. */
int icr__ring_test_queue_nop(struct icr__ring *r, uint64_t user);

#endif /* ICR_RING_H */
