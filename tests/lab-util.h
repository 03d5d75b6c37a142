/* lab-util.h - what the C lab tests share: running a piece of a test as an
 * unprivileged user.  Header-only; include it after <cmocka.h>. */
#ifndef ICR_LAB_UTIL_H
#define ICR_LAB_UTIL_H

#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

/* Run fn in a child that has dropped root (uid/gid 65534) and require that
 * it exits 0.  The prober namespace sets ping_group_range wide open, so
 * ICMP datagram sockets work there for any gid.  fn reports a failure by
 * exiting non-zero (cmocka's assertions are the parent's). */
static inline void lab_as_nobody(void (*fn)(void)) {
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (setgid(65534) < 0 || setuid(65534) < 0)
            _exit(99);
        fn();
        _exit(0);
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

#endif /* ICR_LAB_UTIL_H */
