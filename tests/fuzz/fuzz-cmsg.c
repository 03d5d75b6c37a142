/* fuzz-cmsg.c - the shared cmsg decoder (cmsg.h) on any control buffer:
 * cmsg_len shorter than a header, longer than the buffer, values cut
 * short.  The buffer is an exact-size heap copy, aligned as the kernel's
 * are, so ASan reports any read past it. */
#include <stdlib.h>

#include "cmsg.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint8_t *ctrl = malloc(size ? size : 1);
    if (!ctrl)
        return 0;
    if (size)
        memcpy(ctrl, data, size);
    struct icr__completion c = {.kind = ICR__CQ_RECV, .ttl = -1};
    icr__decode_cmsgs(ctrl, size, &c);
    /* The walk alone, too: every message lies inside the buffer. */
    struct icr__cmsg cm;
    for (size_t pos = 0; icr__cmsg_next(ctrl, size, &pos, &cm);)
        if (cm.data < ctrl || cm.data + cm.len > ctrl + size)
            abort();
    free(ctrl);
    return 0;
}
