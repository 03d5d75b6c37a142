/* lab-util.h - what the C lab tests share: running a piece of a test as an
 * unprivileged user, and lab commands.  Header-only; include it after <cmocka.h>. */
#ifndef ICR_LAB_UTIL_H
#define ICR_LAB_UTIL_H

#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

/* Clocks, in ns: CLOCK_MONOTONIC for elapsed times, CLOCK_REALTIME for the
 * library's send and receive times. */
static inline int64_t mono_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline int64_t real_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The transport the engine's lab suites run on: ICR_TEST_TRANSPORT=packet,
 * raw or dgram (meson runs each suite once more per forced transport);
 * unset, the library's automatic choice (AF_PACKET as root).  Tests that
 * drop privileges set ICR_TRANSPORT_AUTO themselves. */
static inline int lab_transport(void) {
    const char *e = getenv("ICR_TEST_TRANSPORT");
    if (!e || !*e)
        return 0; /* ICR_TRANSPORT_AUTO */
    if (e[0] == 'p')
        return 1; /* ICR_TRANSPORT_PACKET */
    if (e[0] == 'r')
        return 2; /* ICR_TRANSPORT_RAW */
    return 3;     /* ICR_TRANSPORT_DGRAM */
}

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

/* Run a shell command built like printf (an icmpring-lab call: loss, dup,
 * exec NODE ...); a failure fails the test. */
static inline void lab(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void lab(const char *fmt, ...) {
    char cmd[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    int r = system(cmd);
    if (r != 0)
        fail_msg("lab command failed (%d): %s", r, cmd);
}

/* The same for cleanup: a failure is only reported. */
static inline void lab_quiet(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void lab_quiet(const char *fmt, ...) {
    char cmd[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    if (system(cmd) != 0)
        print_message("# cleanup command failed: %s\n", cmd);
}

/* In the responder: record up to `count` Echo Requests within `seconds`,
 * then answer each with an ICMP error type/code that quotes only the IP
 * header and 8 ICMP bytes (lab-forge quote8, from prefix24.(100 + TTL)).
 * Returns once the recorder listens; `file` is a mkstemp() template, kept
 * for lab_quote8_wait.  The responder must not answer meanwhile (loss 100). */
static inline void lab_quote8_start(char *file, long count, double seconds, int type, int code,
                                    const char *prefix24) {
    char ready[256];
    int fd = mkstemp(file);
    assert_true(fd >= 0);
    close(fd);
    snprintf(ready, sizeof(ready), "%s.ready", file);
    lab("'%s' exec '%s' rsp -- sh -c \"'%s' record %s %ld %g && '%s' quote8 %s %s %d %d %s\" "
        ">/dev/null 2>&1 &",
        getenv("ICR_LAB_BIN"), getenv("ICR_LAB"), getenv("ICR_FORGE"), file, count, seconds,
        getenv("ICR_FORGE"), file, getenv("ICR_LAB_PRB4"), type, code, prefix24);
    for (int i = 0; i < 200 && access(ready, F_OK) != 0; i++)
        usleep(50000);
    assert_int_equal(access(ready, F_OK), 0);
}

#endif /* ICR_LAB_UTIL_H */
