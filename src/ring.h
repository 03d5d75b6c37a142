/* ring.h - the io_uring engine's mechanics: one ring, batched SENDMSG
 * submissions, and receives (multishot recvmsg over a provided-buffer ring,
 * or one-shot recvmsg as the fallback) decoded into plain completions.
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

enum { ICR__CQ_SEND = 1, ICR__CQ_RECV = 2, ICR__CQ_ERRQUEUE = 3 };

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

/* A ring with room for sq_entries queued sends.  single_recv forces the
 * one-shot receive path (tests; kernels without multishot recvmsg switch to
 * it by themselves).  Returns 0 or a negative errno / ICR_ENOMEM. */
int icr__ring_new(unsigned sq_entries, bool single_recv, struct icr__ring **ret_ring);

struct icr__ring *icr__ring_free(struct icr__ring *r);

/* The ring's descriptor (pollable for completions). */
int icr__ring_fd(const struct icr__ring *r);

/* An eventfd (non-blocking) that the ring signals whenever a completion is
 * posted or deferred, made and registered on first call; the ring owns it.
 * Readable for pollers even under DEFER_TASKRUN, where the ring fd is not.
 * Returns the fd or a negative errno. */
int icr__ring_eventfd(struct icr__ring *r);

/* Whether receives use multishot recvmsg (false after a fallback). */
bool icr__ring_multishot(const struct icr__ring *r);

/* Start receiving on fd, forever, re-arming as needed.  Returns the
 * receive's index (>= 0), or a negative errno. */
int icr__ring_add_recv(struct icr__ring *r, int fd);

/* Watch fd's error queue: a completion of kind ICR__CQ_ERRQUEUE, src = the
 * returned index, comes whenever the socket signals POLLERR (an ICMP error
 * queued on a datagram socket with IP_RECVERR); the caller then reads the
 * queue itself with MSG_ERRQUEUE.  Returns the index, or a negative errno. */
int icr__ring_add_errwatch(struct icr__ring *r, int fd);

/* Queue one sendmsg; *mh and what it points to must stay valid until the
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

#endif /* ICR_RING_H */
