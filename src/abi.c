/* abi.c - the extensible-struct rule of the public structs: see abi.h. */
#include "abi.h"

#include <assert.h>
#include <string.h>

/* The minima are the sizes of the layouts published before the first
 * appended field: check them against those fields' offsets. */
static_assert(ICR__ABI_MIN_SWEEP_OPTS == offsetof(struct icr_sweep_opts, start_position),
              "sweep opts: first layout");
static_assert(ICR__ABI_MIN_SWEEP_STATS == offsetof(struct icr_sweep_stats, rcvbuf),
              "sweep stats: first layout");
static_assert(ICR__ABI_MIN_MULTIPING_OPTS == offsetof(struct icr_multiping_opts, seed),
              "multiping opts: first layout");
static_assert(ICR__ABI_MIN_TRACE_OPTS == offsetof(struct icr_trace_opts, shards),
              "trace opts: first layout");
static_assert(ICR__ABI_MIN_REPLY == offsetof(struct icr_reply, mtu), "reply: first layout");
static_assert(ICR__ABI_MIN(struct icr_result, hop) == offsetof(struct icr_result, mtu),
              "result: mtu past the first layout, so r->size tells whether it is there");

static size_t size_of(const void *s) {
    size_t n;
    memcpy(&n, s, sizeof(n)); /* every struct starts with size_t size */
    return n;
}

int icr__abi_copy_in(void *ours, size_t ours_size, const void *theirs, size_t min_size) {
    if (!theirs)
        return ICR_EINVAL;
    size_t n = size_of(theirs);
    if (n < min_size)
        return ICR_EINVAL;
    /* A newer caller's fields this library does not know: only their zero
     * (their INIT macro's default, "not asked for") can be ignored. */
    for (size_t i = ours_size; i < n; i++)
        if (((const unsigned char *)theirs)[i] != 0)
            return ICR_EINVAL;
    memcpy(ours, theirs, n < ours_size ? n : ours_size);
    memcpy(ours, &ours_size, sizeof(ours_size));
    return 0;
}

int icr__abi_check_out(const void *theirs, size_t min_size) {
    if (!theirs)
        return ICR_EINVAL;
    size_t n = size_of(theirs);
    return n == 0 || n >= min_size ? 0 : ICR_EINVAL;
}

void icr__abi_copy_out(void *theirs, const void *ours, size_t ours_size) {
    size_t n = size_of(theirs);
    if (n == 0 || n > ours_size)
        n = ours_size;
    memcpy(theirs, ours, n);
    memcpy(theirs, &n, sizeof(n));
}
