#!/bin/bash
# test-limits.sh - lab test of the tool under small resource limits: for
# sweep, multiping, traceroute and ping, each run either works (exit 0, its
# output) or fails with exit 4 and ONE line on stderr naming the limit and
# its value ("too many open files (RLIMIT_NOFILE 16): ...").
#   RLIMIT_NOFILE 16  works-or-line (a job needs 5-7 descriptors; measured)
#   RLIMIT_NOFILE 4   the line (one free descriptor is never enough)
#   RLIMIT_MEMLOCK 0  works-or-line (since Linux 5.12 io_uring memory is
#                     charged to the memory cgroup, not to RLIMIT_MEMLOCK,
#                     so on such kernels it works, on io_uring)
#   RLIMIT_MEMLOCK 0 with io_uring_setup failing ENOMEM (tests/no-uring with
#                     ICR_NO_URING_ERRNO=12: what a kernel before 5.12 does
#                     past the limit): the line
# Runs inside the prober namespace (icmpring-lab run --tap -- ...); prints TAP.
set -u

# shellcheck source=tests/lab/tap.sh
. "$(dirname "$0")/tap.sh"
export PATH="$PATH:/usr/sbin:/sbin"

declare -A CMD=(
    [sweep]="sweep -q --cooldown 1 198.18.0.0/28 2001:db8:1::/124"
    [multiping]="multiping -q -c 2 -i 0.05 -W 1 198.18.0.1 2001:db8:1::2"
    [traceroute]="traceroute -c 1 -W 1 198.19.0.1"
    [ping]="ping -c 2 -i 0.1 -W 1 198.18.0.1"
)
ORDER=(sweep multiping traceroute ping)

# limited NAME PRE... -- CMD: run `PRE... icmpring CMD...`, keeping output.
limited() {
    local name=$1; shift
    local -a pre=()
    while [ "$1" != -- ]; do pre+=("$1"); shift; done
    shift
    # shellcheck disable=SC2086 # CMD is a list of words
    timeout -k 5 30 "${pre[@]}" "$bin" $1 >"$tmp/$name.out" 2>"$tmp/$name.err" </dev/null
    echo $? >"$tmp/$name.rc"
}
# works NAME: exit 0 with output
works() { [ "$(rc "$1")" = 0 ] && [ -s "$tmp/$1.out" ]; }
# one_line NAME REGEX: exit 4, stdout empty, exactly one stderr line matching REGEX
one_line() {
    [ "$(rc "$1")" = 4 ] && [ ! -s "$tmp/$1.out" ] &&
        [ "$(wc -l <"$tmp/$1.err")" = 1 ] && grep -Eq "$2" "$tmp/$1.err"
}
how() { if works "$1"; then echo works; else echo "one line: $(cat "$tmp/$1.err")"; fi; }

echo "1..16"

# 1-4: RLIMIT_NOFILE 16.
for c in "${ORDER[@]}"; do
    limited "nofile16-$c" prlimit --nofile=16 -- "${CMD[$c]}"
    works "nofile16-$c" || one_line "nofile16-$c" '^icmpring [a-z]+: too many open files \(RLIMIT_NOFILE 16\): '
    ok $? "$c under RLIMIT_NOFILE 16: $(how "nofile16-$c")" || diag "nofile16-$c"
done

# 5-8: RLIMIT_NOFILE 4: stdin, stdout, stderr and one more.
for c in "${ORDER[@]}"; do
    limited "nofile4-$c" prlimit --nofile=4 -- "${CMD[$c]}"
    one_line "nofile4-$c" "^icmpring $c: too many open files \\(RLIMIT_NOFILE 4\\): .*ulimit -n"
    ok $? "$c under RLIMIT_NOFILE 4: one line naming the limit" || diag "nofile4-$c"
done

# 9-12: RLIMIT_MEMLOCK 0.
for c in "${ORDER[@]}"; do
    limited "memlock0-$c" prlimit --memlock=0 -- "${CMD[$c]}"
    works "memlock0-$c" || one_line "memlock0-$c" '^icmpring [a-z]+: out of memory \(RLIMIT_MEMLOCK 0 bytes'
    ok $? "$c under RLIMIT_MEMLOCK 0: $(how "memlock0-$c")" || diag "memlock0-$c"
done

# 13-16: RLIMIT_MEMLOCK 0 on a kernel that charges rings to it (io_uring_setup
# fails with ENOMEM, as before Linux 5.12): not a reason to fall back, so
# the line, naming the limit.
for c in "${ORDER[@]}"; do
    ICR_NO_URING_ERRNO=12 limited "enomem-$c" prlimit --memlock=0 "${ICR_NO_URING:?the test needs ICR_NO_URING (tests/no-uring)}" -- "${CMD[$c]}"
    one_line "enomem-$c" "^icmpring $c: out of memory \\(RLIMIT_MEMLOCK 0 bytes.*ulimit -l"
    ok $? "$c under RLIMIT_MEMLOCK 0, io_uring_setup ENOMEM: one line naming the limit" ||
        diag "enomem-$c"
done

# A tiny net.core.rmem_max: tests/lab/test-rmem.sh (lab-rmem, not parallel:
# on Linux 6.x the prober namespace shows the host's value read-only, so
# that test sets it in the initial namespace and restores it; as root the
# library forces 32 MiB receive buffers past rmem_max, so it runs a setcap
# copy as uid 65534).

[ "$fails" -eq 0 ]
