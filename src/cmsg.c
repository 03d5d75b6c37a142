/* cmsg.c - control messages of received datagrams, from bytes (cmsg.h).
 * Used by both ring backends (ring.c, ring-mmsg.c) and by the error-queue
 * decoder (reply.c). */
#include "cmsg.h"

#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <netinet/in.h>

bool icr__cmsg_next(const void *ctrl, size_t ctrl_len, size_t *pos, struct icr__cmsg *ret) {
    const uint8_t *b = ctrl;
    size_t p = *pos;
    struct cmsghdr h;

    if (!b || p > ctrl_len || ctrl_len - p < sizeof(h))
        return false;
    /* A copy, not a cast: the bytes may come unaligned (fuzzing, packed
     * buffers); the kernel's are aligned. */
    memcpy(&h, b + p, sizeof(h));
    if (h.cmsg_len < CMSG_LEN(0))
        return false;
    size_t room = ctrl_len - p;
    /* MSG_CTRUNC leaves cmsg_len at what fitted (put_cmsg); anything
     * longer than the buffer is cut to it, and is the last one. */
    size_t len = h.cmsg_len < room ? (size_t)h.cmsg_len : room;
    ret->level = h.cmsg_level;
    ret->type = h.cmsg_type;
    ret->data = b + p + CMSG_LEN(0);
    ret->len = len - CMSG_LEN(0);
    *pos = len == room ? ctrl_len : p + CMSG_ALIGN(len);
    return true;
}

int64_t icr__cmsg_ts_ns(const uint8_t *data) {
    struct timespec ts;
    memcpy(&ts, data, sizeof(ts));
    /* Unsigned arithmetic: a forged tv_sec must not be signed overflow. */
    return (int64_t)((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec);
}

void icr__decode_cmsgs(const void *ctrl, size_t ctrl_len, struct icr__completion *c) {
    struct icr__cmsg cm;
    for (size_t pos = 0; icr__cmsg_next(ctrl, ctrl_len, &pos, &cm);) {
        if (cm.level == SOL_SOCKET && cm.type == SCM_TIMESTAMPNS) {
            if (cm.len >= sizeof(struct timespec))
                c->t_ns = icr__cmsg_ts_ns(cm.data);
        } else if (cm.level == SOL_SOCKET && cm.type == SO_RXQ_OVFL) {
            if (cm.len >= sizeof(c->ovfl)) {
                memcpy(&c->ovfl, cm.data, sizeof(c->ovfl));
                c->has_ovfl = true;
            }
        } else if ((cm.level == IPPROTO_IP && cm.type == IP_TTL) ||
                   (cm.level == IPPROTO_IPV6 && cm.type == IPV6_HOPLIMIT)) {
            int v;
            if (cm.len >= sizeof(v)) {
                memcpy(&v, cm.data, sizeof(v));
                c->ttl = v;
            }
        }
    }
}
