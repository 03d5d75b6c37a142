/* sweep.c - the library's sweep API in a few lines: find the live hosts of
 * a range, streaming each as it answers, then print the counters.
 * Usage: sweep TARGET... (addresses, CIDRs, ranges A-B, host names) */
#include <inttypes.h>
#include <stdio.h>

#include "icmpring.h"

static void on_result(const struct icr_result *r, void *userdata) {
    char addr[ICR_ADDRSTRLEN];
    (void)userdata;
    if (r->kind == ICR_RESULT_ECHO)
        printf("%s %.3f ms\n", icr_addr_format(&r->target, addr, sizeof(addr)),
               (double)r->rtt_ns / 1e6);
}

int main(int argc, char **argv) {
    struct icr_sweep_opts opts = ICR_SWEEP_OPTS_INIT; /* 10000 pps, 1 probe, 2 s cooldown */
    struct icr_sweep_stats st = {.size = sizeof(st)};
    icr_targets *targets = NULL;
    icr_sweep *sweep = NULL;
    int r;

    if (argc < 2) {
        fprintf(stderr, "usage: sweep TARGET...\n");
        return 3;
    }
    if ((r = icr_targets_new(&targets)) < 0)
        goto fail;
    for (int i = 1; i < argc; i++)
        if ((r = icr_targets_add(targets, argv[i], 0)) < 0)
            goto fail;

    opts.cooldown = 1;
    opts.on_result = on_result;
    if ((r = icr_sweep_new(targets, &opts, &sweep)) < 0 || (r = icr_sweep_run(sweep)) < 0)
        goto fail;

    icr_sweep_get_stats(sweep, &st);
    printf("%" PRIu64 " of %" PRIu64 " alive\n", st.hits, st.targets);
    icr_sweep_free(sweep);
    icr_targets_free(targets);
    return st.hits == st.targets ? 0 : 1;

fail:
    fprintf(stderr, "sweep: %s\n", icr_strerror(r));
    icr_sweep_free(sweep);
    icr_targets_free(targets);
    return 4;
}
