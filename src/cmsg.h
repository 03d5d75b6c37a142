/* cmsg.h - the control messages of a received datagram, read from bytes:
 * the walk over a control buffer and the decoder both ring backends share
 * (timestamp, TTL / hop limit, SO_RXQ_OVFL drop count).
 *
 * Pure code over a byte buffer: no socket, no ring, so the fuzz harness
 * (tests/fuzz/fuzz-cmsg.c) reaches it with any bytes.  The kernel writes
 * these buffers, but a cmsg_len is never trusted past the buffer that
 * holds it, nor a value read from a control message shorter than it. */
#ifndef ICR_CMSG_H
#define ICR_CMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ring.h"

/* One control message: its level, type and data, as far as the buffer
 * holds it (len may be shorter than cmsg_len announced). */
struct icr__cmsg {
    int level, type;
    const uint8_t *data;
    size_t len;
};

/* The control message at offset *pos of ctrl (start with *pos = 0) in
 * *ret, and *pos moved past it.  Returns false at the end: no room for a
 * header, or a cmsg_len shorter than one (glibc's CMSG_NXTHDR stops there
 * too).  ctrl need not be aligned. */
bool icr__cmsg_next(const void *ctrl, size_t ctrl_len, size_t *pos, struct icr__cmsg *ret);

/* Fold every control message of ctrl (ctrl_len bytes: msg_controllen as
 * recvmsg left it, or io_uring_recvmsg_out.controllen) into c: t_ns from
 * SCM_TIMESTAMPNS, ttl from IP_TTL / IPV6_HOPLIMIT, ovfl and has_ovfl from
 * SO_RXQ_OVFL.  Fields without their message are left as they are. */
void icr__decode_cmsgs(const void *ctrl, size_t ctrl_len, struct icr__completion *c);

/* A struct timespec's bytes as nanoseconds.  Wraps (no undefined
 * overflow) for a tv_sec no clock gives. */
int64_t icr__cmsg_ts_ns(const uint8_t *data);

#endif /* ICR_CMSG_H */
