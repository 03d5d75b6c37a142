/* no-uring.c - run a program the way Docker's default seccomp profile (and
 * Kubernetes' RuntimeDefault) would: io_uring_setup, io_uring_enter and
 * io_uring_register fail with EPERM, everything else is allowed.
 *
 *   no-uring PROGRAM [ARG...]
 *
 * A hand-written classic BPF filter (no libseccomp), installed with
 * PR_SET_NO_NEW_PRIVS + PR_SET_SECCOMP and inherited by everything the
 * program starts.  Sets ICR_TEST_NO_URING=1 so tests know which backend to
 * expect.  ICR_NO_URING_ERRNO=N (1-4095) makes the calls fail with errno N
 * instead of EPERM: ENOMEM (12) is how a kernel before 5.12 refuses a ring
 * beyond RLIMIT_MEMLOCK, an error the library reports instead of falling
 * back.  On an architecture it has no audit number for, it prints a TAP
 * skip instead of running the program unfiltered (a pass would be a lie).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#if defined(__x86_64__)
#define ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define ARCH AUDIT_ARCH_AARCH64
#elif defined(__riscv) && __riscv_xlen == 64
#define ARCH AUDIT_ARCH_RISCV64
#endif

/* io_uring's syscall numbers are the same on every architecture (the
 * generic table and x86_64 agree: 425-427); the headers may be older. */
#ifndef __NR_io_uring_setup
#define __NR_io_uring_setup 425
#define __NR_io_uring_enter 426
#define __NR_io_uring_register 427
#endif

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: no-uring PROGRAM [ARG...]\n");
        return 2;
    }
#ifndef ARCH
    printf("1..0 # SKIP no-uring: no seccomp audit arch for this CPU\n");
    return 0;
#else
    int err = EPERM;
    const char *e = getenv("ICR_NO_URING_ERRNO");
    if (e && *e) {
        char *end;
        long v = strtol(e, &end, 10);
        if (*end || v < 1 || v > 4095) {
            fprintf(stderr, "no-uring: ICR_NO_URING_ERRNO must be 1-4095\n");
            return 2;
        }
        err = (int)v;
    }
    struct sock_filter prog[] = {
        /* A syscall of another ABI (e.g. x32, i386) is not what we filter:
         * refuse it outright rather than misread its number. */
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 3, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_enter, 2, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_register, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ((unsigned)err & SECCOMP_RET_DATA)),
    };
    struct sock_fprog fprog = {.len = sizeof(prog) / sizeof(prog[0]), .filter = prog};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
        fprintf(stderr, "no-uring: PR_SET_NO_NEW_PRIVS: %s\n", strerror(errno));
        return 1;
    }
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog, 0, 0) < 0) {
        fprintf(stderr, "no-uring: PR_SET_SECCOMP: %s\n", strerror(errno));
        return 1;
    }
    /* Check that the filter bites before trusting a test run under it. */
    if (syscall(__NR_io_uring_setup, 1, NULL) != -1 || errno != err) {
        fprintf(stderr, "no-uring: io_uring_setup was not refused with errno %d\n", err);
        return 1;
    }
    if (setenv("ICR_TEST_NO_URING", "1", 1) < 0)
        return 1;
    execvp(argv[1], argv + 1);
    fprintf(stderr, "no-uring: %s: %s\n", argv[1], strerror(errno));
    return 127;
#endif
}
