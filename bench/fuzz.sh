#!/bin/bash
# fuzz.sh - run every libFuzzer harness of tests/fuzz for RUNS executions
# (default 10 million) one after another, one job each (-jobs=1: the
# machine's CPUs are shared), and print per harness the executions done,
# the wall time and whether it crashed.  Bytes only: no packet is sent.
#
#   CC=clang meson setup build-fuzz -Dfuzz=true -Dtests=false
#   ninja -C build-fuzz && bench/fuzz.sh [BUILD_DIR] [HARNESS...]
#
# Env: RUNS (10000000), MAX_TIME (seconds per harness, 0 = no limit).
# The seed corpus is copied to a scratch directory per harness, so the
# checked-in corpus does not grow; a crashing input is left in
# $OUT/HARNESS/ (OUT: a temporary directory, printed) to become a
# regression input in tests/fuzz/regress/HARNESS/.
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-fuzz}
shift || true
harnesses=("$@")
[ ${#harnesses[@]} -eq 0 ] && harnesses=(packet probe cmsg reply errqueue targets addr cli)
runs=${RUNS:-10000000}
max_time=${MAX_TIME:-0}
out=${OUT:-$(mktemp -d /tmp/icmpring-fuzz.XXXXXX)}
mkdir -p "$out" && out=$(cd "$out" && pwd)
echo "fuzz: $runs runs per harness, logs and crashes in $out, $(date -u '+%Y-%m-%d %H:%M UTC')"
printf '%-10s %12s %10s %10s  %s\n' harness execs seconds execs/s result
status=0
for h in "${harnesses[@]}"; do
    exe=$build/tests/fuzz/fuzz-$h
    [ -x "$exe" ] || { echo "fuzz: $exe missing (build with -Dfuzz=true)" >&2; exit 2; }
    mkdir -p "$out/$h/corpus"
    cp tests/fuzz/corpus/"$h"/* "$out/$h/corpus/" 2>/dev/null
    t0=$(date +%s.%N)
    # -close_fd_mask=3: what a harness prints (the CLI's --help and error
    # lines: 550 MB for 10M runs) goes nowhere; libFuzzer keeps a copy of
    # stderr for its own lines and the sanitizers' reports.
    # -jobs=1 runs one worker process, whose log (fuzz-0.log) goes to the
    # current directory: the scratch one.
    exe=$(realpath "$exe")
    (cd "$out/$h" && "$exe" -runs="$runs" -max_total_time="$max_time" -rss_limit_mb=2048 -jobs=1 \
        -close_fd_mask=3 -print_final_stats=1 -artifact_prefix="$out/$h/" \
        corpus >"$out/$h.log" 2>&1)
    rc=$?
    t1=$(date +%s.%N)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$h/fuzz-0.log" "$out/$h.log" |
        tail -n 1)
    secs=$(echo "$t1 - $t0" | bc)
    result=ok
    if [ $rc -ne 0 ]; then
        result="CRASH (exit $rc, see $out/$h.log)"
        status=1
    fi
    printf '%-10s %12s %10.1f %10.0f  %s\n' "$h" "${execs:-?}" "$secs" \
        "$(echo "${execs:-0} / $secs" | bc)" "$result"
done
exit $status
