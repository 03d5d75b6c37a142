#!/bin/bash
# ci.sh - the README's test command: on a fresh Debian 12 machine (as root)
# install what the build and the tests need, build with -Werror, run every
# suite (unit and lab), then every suite again under ASan+UBSan, and
# check that the installed library works through pkg-config.
# Ends with one line "N passed, N failed, N skipped".
set -euo pipefail
# ip, nft and sysctl live in the sbin directories, which a non-login
# root environment may leave out of PATH.
export PATH="$PATH:/usr/sbin:/sbin"
cd "$(dirname "$0")/.."

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# build: gcc meson ninja pkg-config liburing cmocka; lab: iproute2 nftables
# iputils-ping (warm-up, RTT cross-check) util-linux (setpriv) bsdutils
# (script: the status-line test) procps (sysctl, pgrep) libcap2-bin (setcap:
# the cap_net_raw test); fuzz: clang (Debian 12: clang 14, with libFuzzer);
# traceroute fping: lab-peer-output diffs the CLI's text against theirs;
# man pages: scdoc (builds them), groff-base and man-db (their render tests);
# zsh (the zsh completion's test);
# scale-out: slurm-wlm munge (lab-slurm: a one-node Slurm cluster runs the
# shards) python3-yaml (k8s-manifest: the Indexed Job example is checked)
apt-get install -y -q --no-install-recommends \
    gcc libc6-dev meson ninja-build pkg-config liburing-dev libcmocka-dev \
    iproute2 nftables iputils-ping util-linux bsdutils procps libcap2-bin python3 jq clang \
    traceroute fping scdoc groff-base man-db zsh slurm-wlm munge python3-yaml

rm -rf build-ci build-asan build-tsan build-fuzz
# -Dman=enabled: a missing scdoc fails here instead of leaving the man tests out.
meson setup build-ci --werror --buildtype=debugoptimized -Dman=enabled
# Build every target (with -Werror), not only what the tests depend on.
ninja -C build-ci
status=0
meson test -C build-ci --print-errorlogs || status=1

meson setup build-asan --werror -Db_sanitize=address,undefined -Db_lundef=false -Dexamples=false
ninja -C build-asan
# Unit and lab suites again under the sanitizers: the lab suites are where
# the engine (ring.c, sweep.c) and the sockets run for real.
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    meson test -C build-asan --print-errorlogs || status=1

# ThreadSanitizer over the engine suite: the tests that run a second
# sender thread, stop a job from another thread and read its stats from one
# (the helper thread and the cross-thread contracts are what TSan checks).
meson setup build-tsan --werror -Db_sanitize=thread -Db_lundef=false -Dexamples=false
ninja -C build-tsan tests/lab-sweep tests/lab-trace tests/lab-multiping tests/lab-transport tests/lab-forge
TSAN_OPTIONS=halt_on_error=1:exitcode=66 \
    meson test -C build-tsan --print-errorlogs lab-sweep lab-trace lab-multiping lab-transport || status=1

# The fuzz harnesses (tests/fuzz), built with clang's libFuzzer, ASan and
# UBSan, each run for 15 s from its seed corpus (bytes only, no packet):
# a crash fails CI, and its input belongs in tests/fuzz/regress/HARNESS/
# (the unit suite replays those in every build above).  bench/fuzz.sh runs
# them for 10 million executions each.  About 2.5 minutes in all.
fuzz_ok=1
if CC=clang meson setup build-fuzz --werror -Dfuzz=true -Dtests=false -Dexamples=false \
       >/dev/null && ninja -C build-fuzz >/dev/null; then
    for h in packet probe cmsg reply errqueue targets addr cli; do
        mkdir -p "build-fuzz/corpus/$h"
        if build-fuzz/tests/fuzz/fuzz-$h -max_total_time=15 -rss_limit_mb=2048 -close_fd_mask=3 \
               -artifact_prefix="build-fuzz/crash-$h-" "build-fuzz/corpus/$h" "tests/fuzz/corpus/$h" \
               >"build-fuzz/fuzz-$h.log" 2>&1; then
            echo "fuzz: $h: $(sed -n 's/^#\([0-9]*\).*DONE.*/\1/p' "build-fuzz/fuzz-$h.log") runs, no crash"
        else
            echo "fuzz: $h: CRASH (input in build-fuzz/crash-$h-*)"
            tail -n 40 "build-fuzz/fuzz-$h.log"
            fuzz_ok=0
        fi
    done
else
    echo "fuzz: the clang build of the harnesses FAILED"
    fuzz_ok=0
fi
[ $fuzz_ok = 1 ] || status=1

# The installed library, found through pkg-config, builds and runs a program.
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
meson install -C build-ci --destdir "$dest" >/dev/null
pcdir=$(dirname "$(find "$dest" -name icmpring.pc | head -n 1)")
cat >"$dest/t.c" <<'C'
#include <icmpring.h>
#include <stdio.h>
int main(void) {
    struct icr_host h = {.size = sizeof(h), .packets_sent = 3};
    const double rtts[] = {1.0, 3.0, 2.0};
    if (icr_host_stats(&h, rtts, 3) != 0 || h.jitter != 1.5 || h.packet_loss != 0.0)
        return 1;
    printf("%s %s\n", icr_version(), icr_strerror(ICR_ETIMEOUT));
    return 0;
}
C
if PKG_CONFIG_PATH=$pcdir PKG_CONFIG_SYSROOT_DIR=$dest \
       cc "$dest/t.c" -o "$dest/t" $(PKG_CONFIG_PATH=$pcdir PKG_CONFIG_SYSROOT_DIR=$dest pkg-config --cflags --libs icmpring) &&
   LD_LIBRARY_PATH=$(dirname "$(find "$dest" -name 'libicmpring.so' | head -n 1)") "$dest/t"; then
    echo "install: pkg-config build of the installed library: OK"
    install_ok=1
else
    echo "install: pkg-config build of the installed library: FAILED"
    install_ok=0; status=1
fi
# The installed Python package, found by Debian's python3 on its own path
# (its dist-packages under the prefix), loads the installed library.
pyinit=$(find "$dest" -path '*/icmpring/__init__.py' | head -n 1)
pydir=$(dirname "$(dirname "$pyinit")")
if [ -n "$pyinit" ] && env -u ICMPRING_LIBRARY PYTHONPATH="$pydir" \
       LD_LIBRARY_PATH=$(dirname "$(find "$dest" -name 'libicmpring.so.0' | head -n 1)") \
       /usr/bin/python3 -c 'import icmpring; assert icmpring.library_version() == "0.1.0"' &&
   /usr/bin/python3 -c 'import sys; sys.exit(sys.argv[1] not in sys.path)' "${pydir#"$dest"}"; then
    echo "install: Python package in ${pydir#"$dest"}: OK"
else
    echo "install: Python package: FAILED"
    install_ok=0; status=1
fi

# As root, CI has what the lab needs (it installs it above), so a lab test
# that skips - all of it, or some of its checks ("ok N # SKIP") - means a
# missing tool or kernel feature: a failure here, named, never a quiet pass.
# (Outside users without root still get SKIP.)
python3 - "$install_ok" "$fuzz_ok" "$(id -u)" build-ci/meson-logs/testlog.json \
    build-asan/meson-logs/testlog.json build-tsan/meson-logs/testlog.json <<'PY' || status=1
import json, re, sys
p = f = s = 0
skipped = []
for path in sys.argv[4:]:
    for line in open(path):
        t = json.loads(line)
        r = t["result"]
        inner = re.findall(r"^ok \d+ .*# SKIP(.*)$", t.get("stdout") or "", re.M)
        if r == "OK" and inner:
            # A passing test whose TAP stream skipped some of its checks.
            s += 1
            skipped.append(f"{path.split('/')[0]}/{t['name']}: {len(inner)} check(s) skipped:{inner[0]}")
        elif r == "OK": p += 1
        elif r == "SKIP":
            s += 1
            why = re.search(r"# SKIP (.*)", t.get("stdout") or "")
            skipped.append(f"{path.split('/')[0]}/{t['name']}: {why.group(1) if why else 'no reason given'}")
        else: f += 1
for ok in sys.argv[1:3]:  # the install check, the fuzz run
    p += int(ok); f += 1 - int(ok)
if skipped and sys.argv[3] == "0":
    for w in skipped:
        print(f"SKIP as root: {w}")
    f += s
    s = 0
print(f"{p} passed, {f} failed, {s} skipped")
sys.exit(1 if f else 0)
PY
exit $status
