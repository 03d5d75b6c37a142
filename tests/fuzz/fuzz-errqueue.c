/* fuzz-errqueue.c - a datagram socket's error-queue message
 * (icr__errqueue_decode, reply.h) from any bytes: the control buffer
 * (sock_extended_err with an offender as long as its cmsg_len says, a
 * timestamp), the probed address as msg_name, and the quoted request.
 * Layout: job (6 bytes), family, ctrl_len, namelen, ctrl, name, data. */
#include <netinet/in.h>

#include "fuzz-common.h"

/* An exact-size heap copy of n input bytes (NULL when n is 0). */
static uint8_t *take(struct fuzz_in *in, size_t n) {
    if (n > in->n)
        n = in->n;
    uint8_t *b = malloc(n ? n : 1);
    if (b && n)
        memcpy(b, in->p, n);
    in->p += n;
    in->n -= n;
    return b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    struct fuzz_in in = {data, size};
    struct icr__verify_cfg v = fuzz_cfg(&in);
    int family = fuzz_u8(&in) & 1 ? AF_INET6 : AF_INET;
    size_t ctrl_len = fuzz_u8(&in), name_want = fuzz_u8(&in) % 64;
    if (ctrl_len > in.n)
        ctrl_len = in.n;
    uint8_t *ctrl = take(&in, ctrl_len);
    size_t namelen = name_want < in.n ? name_want : in.n;
    uint8_t *name = take(&in, namelen);
    size_t len = in.n;
    uint8_t *quote = take(&in, len);
    if (ctrl && name && quote) {
        struct icr_result res;
        struct icr__probe_info info;
        int64_t t_ns;
        int verdict = icr__errqueue_decode(&v, family, ctrl, ctrl_len, name,
                                           (socklen_t)namelen, quote, len, &res, &info, &t_ns);
        fuzz_check_valid(&v, verdict, &info);
    }
    free(ctrl);
    free(name);
    free(quote);
    return 0;
}
