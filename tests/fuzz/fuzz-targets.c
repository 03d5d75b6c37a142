/* fuzz-targets.c - the target parser (icr_targets_add, _exclude, _add_file)
 * on any bytes: the input's first byte picks flags, the rest is split at
 * NUL bytes into entries for add and exclude, and read whole as a file
 * through fmemopen (comments, long lines, NUL bytes).  Host names are
 * refused (ICR_TARGETS_NO_LOOKUP): no DNS. */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"
#include "icmpring.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    struct fuzz_in in = {data, size};
    uint8_t f = fuzz_u8(&in);
    unsigned flags = ICR_TARGETS_NO_LOOKUP | (f & 1 ? ICR_TARGETS_KEEP_NETBCAST : 0);
    icr_targets *t;
    if (icr_targets_new(&t) < 0)
        return 0;

    /* Entries: NUL-terminated copies of each NUL-separated piece. */
    char *s = malloc(in.n + 1);
    if (!s)
        goto out;
    memcpy(s, in.p, in.n);
    s[in.n] = '\0';
    unsigned k = 0;
    for (char *e = s; e <= s + in.n; e += strlen(e) + 1, k++)
        (void)(k % 3 == 2 ? icr_targets_exclude(t, e, flags) : icr_targets_add(t, e, flags));
    free(s);

    if (in.n) {
        FILE *fp = fmemopen((void *)in.p, in.n, "r");
        if (fp) {
            size_t line = 0;
            (void)icr_targets_add_file(t, fp, f & 2, flags, &line);
            fclose(fp);
        }
    }
    uint64_t n = icr_targets_count(t);
    if (n) {
        /* The first and last address, and their indexes back. */
        struct icr_addr a;
        uint64_t idx;
        if (icr_targets_get(t, 0, &a) == 0 && icr_targets_index(t, &a, &idx) == 0 && idx != 0)
            abort();
        if (icr_targets_get(t, n - 1, &a) == 0 && icr_targets_index(t, &a, &idx) == 0 &&
            idx != n - 1)
            abort();
    }
out:
    icr_targets_free(t);
    return 0;
}
