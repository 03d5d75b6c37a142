/* abi.h - the extensible-struct rule of the public structs (internal).
 *
 * Every public struct with a `size` field may grow at its end.  A caller
 * built against an older header passes a smaller size, one built against
 * a newer header a larger one; see the top comment of icmpring.h for the
 * rule these helpers implement (the kernel's copy_struct_from_user).
 */
#ifndef ICR_ABI_H
#define ICR_ABI_H

#include <stdalign.h>
#include <stddef.h>

#include "icmpring.h"

/* The size of a struct's first published layout, whose last field is
 * `last`: the end of that field rounded up to the struct's alignment,
 * which is what sizeof gave then.  It stays put when fields are appended. */
#define ICR__ABI_MIN(type, last)                                                             \
    ((offsetof(type, last) + sizeof(((type *)0)->last) + alignof(type) - 1) /                \
     alignof(type) * alignof(type))

/* The first layouts (the header of 0.1.0 as of commit d593093).  They
 * never change: a field appended later leaves its struct's minimum here. */
#define ICR__ABI_MIN_SOCKET_OPTS ICR__ABI_MIN(struct icr_socket_opts, privilege)
#define ICR__ABI_MIN_REQUEST ICR__ABI_MIN(struct icr_request, time_ns)
#define ICR__ABI_MIN_REPLY ICR__ABI_MIN(struct icr_reply, payload_matches)
#define ICR__ABI_MIN_HOST ICR__ABI_MIN(struct icr_host, error_source)
#define ICR__ABI_MIN_SWEEP_OPTS ICR__ABI_MIN(struct icr_sweep_opts, source6)
#define ICR__ABI_MIN_SWEEP_STATS ICR__ABI_MIN(struct icr_sweep_stats, backend)
#define ICR__ABI_MIN_MULTIPING_OPTS ICR__ABI_MIN(struct icr_multiping_opts, userdata)
#define ICR__ABI_MIN_TRACE_OPTS ICR__ABI_MIN(struct icr_trace_opts, userdata)

/* Copy an input struct in.  `ours` (ours_size bytes, a size_t `size`
 * first) holds the INIT macro's values; `theirs` is the caller's struct,
 * whose own `size` field says how long it is.  Bytes up to min(their
 * size, ours_size) are copied over the defaults; past ours_size, the
 * caller's bytes must all be zero.  ours->size is set to ours_size.
 * Returns 0, or ICR_EINVAL (theirs NULL, a size below min_size, non-zero
 * bytes past ours) with `ours` unspecified. */
int icr__abi_copy_in(void *ours, size_t ours_size, const void *theirs, size_t min_size);

/* Whether the caller's output struct (its `size` field at `theirs`) can be
 * written: size 0 (a zero-initialised struct, taken as the current one)
 * or at least min_size.  Returns 0 or ICR_EINVAL. */
int icr__abi_check_out(const void *theirs, size_t min_size);

/* Write an output struct: min(their size, ours_size) bytes of `ours` (size
 * 0 counting as ours_size), never a byte past the caller's size, and that
 * count into the caller's `size`.  Call icr__abi_check_out first. */
void icr__abi_copy_out(void *theirs, const void *ours, size_t ours_size);

#endif
