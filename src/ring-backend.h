/* ring-backend.h - what the two implementations of ring.h share: the const
 * vtable each fills, and the common head of their handles
 * (the cmsg decoder they share is cmsg.h).
 * Seen only by ring.c (the dispatch and the io_uring backend) and
 * ring-mmsg.c (sendmmsg/recvmmsg with epoll, for where io_uring is blocked).
 */
#ifndef ICR_RING_BACKEND_H
#define ICR_RING_BACKEND_H

#include "ring.h"

struct icr__ring_ops {
    int backend; /* ICR_BACKEND_* */
    void (*free)(struct icr__ring *r);
    int (*fd)(const struct icr__ring *r);
    int (*eventfd)(struct icr__ring *r);
    void (*eventfd_ack)(struct icr__ring *r);
    bool (*multishot)(const struct icr__ring *r);
    int (*add_recv)(struct icr__ring *r, int fd);
    int (*add_errwatch)(struct icr__ring *r, int fd);
    int (*add_readwatch)(struct icr__ring *r, int fd);
    int (*queue_send)(struct icr__ring *r, int fd, const struct msghdr *mh, uint64_t user);
    int (*submit)(struct icr__ring *r, int64_t timeout_ns);
    int (*reap)(struct icr__ring *r, icr__ring_cb cb, void *userdata);
};

/* The first member of each backend's handle. */
struct icr__ring {
    const struct icr__ring_ops *ops;
};

/* Room for SO_TIMESTAMPNS, IP_TTL/IPV6_HOPLIMIT and SO_RXQ_OVFL. */
#define ICR__RING_CTRL_LEN                                                                   \
    (CMSG_SPACE(sizeof(struct timespec)) + CMSG_SPACE(sizeof(int)) +                       \
     CMSG_SPACE(sizeof(uint32_t)) + 32)

/* Receive sockets / error watches per ring. */
#define ICR__RING_MAX_RECV 4u

/* The fallback backend (ring-mmsg.c).  Returns 0 or ICR_ENOMEM / -errno. */
int icr__ring_mmsg_new(unsigned sq_entries, struct icr__ring **ret_ring);

#endif /* ICR_RING_BACKEND_H */
