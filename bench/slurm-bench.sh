#!/bin/bash
# shellcheck disable=SC2034  # the result arrays are read through col (local -n)
# slurm-bench.sh: owns the scale-out benchmark -- the same sweep of
# 198.18.0.0/16 run as one process, and as a Slurm job array of 1, 2 and 4
# tasks (tools/scale-out/icmpring-shards.sbatch, on the one-node cluster of
# tests/lab/slurm.sh, the one lab-slurm uses), then merged.  On a 2-CPU
# machine no speed-up is expected: what it shows is the overhead of the job
# runner (scheduling, task start, a second wave when there are more tasks
# than CPUs) and of the merge.  A script, not a timed test (bench/README.md).
#
# usage: bench/slurm-bench.sh     (root; installs slurm-wlm and munge with apt if missing)
# env:   ICMPRING      the icmpring binary (default build-bench/tools/icmpring)
#        ICMPRING_LAB  the lab tool        (default tools/icmpring-lab)
#        BENCH_ROUNDS  interleaved rounds, 1-9 (default 3; the table shows medians)
#        BENCH_RATE    --rate of every sweep (default 0, as fast as possible)
#
# Wall time: from just before the start (the process, or sbatch) until the
# last task has left squeue (polled every 50 ms), then the merge on its own.
# Every probe goes to the lab's responder from the lab's prober namespace;
# every run is under timeout(1); the trap stops the Slurm daemons by their
# PIDs and deletes the lab on every exit path.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"

SELF=$(readlink -f "${BASH_SOURCE[0]}")
ROOT=$(dirname "$(dirname "$SELF")")
: "${ICMPRING:=$ROOT/build-bench/tools/icmpring}"
: "${ICMPRING_LAB:=$ROOT/tools/icmpring-lab}"
: "${BENCH_ROUNDS:=3}"
: "${BENCH_RATE:=0}"
readonly NET4=198.18.0.0/16 SEED=42 COOLDOWN=1
JOB_SCRIPT=$ROOT/tools/scale-out/icmpring-shards.sbatch

die() { echo "slurm-bench: $*" >&2; exit 1; }
(( EUID == 0 )) || die "needs root (network namespaces, Slurm daemons)"
[[ $BENCH_ROUNDS =~ ^[1-9]$ ]] || die "BENCH_ROUNDS must be 1-9"
[[ $BENCH_RATE =~ ^[0-9]+$ ]] || die "BENCH_RATE must be a whole number"
if [[ ! -x $ICMPRING ]]; then
    (cd "$ROOT" && { [[ -d build-bench ]] || meson setup build-bench --buildtype=release >/dev/null; } &&
        ninja -C build-bench tools/icmpring >/dev/null) || die "cannot build $ICMPRING"
fi
install_s=-
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    t0=$EPOCHREALTIME
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends slurm-wlm munge >/dev/null
    install_s=$(printf %.1f "$(echo "$EPOCHREALTIME - $t0" | bc)")
fi
command -v jq >/dev/null || die "jq is not installed"
# shellcheck source=tests/lab/slurm.sh
. "$ROOT/tests/lab/slurm.sh"

tmp=$(mktemp -d)
chmod 755 "$tmp"
lab=
cleanup() {
    slurm_down "$tmp/slurm"
    [[ -n $lab ]] && "$ICMPRING_LAB" down "$lab" >/dev/null 2>&1
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
lab=$("$ICMPRING_LAB" up --owner $$)
export ICMPRING_TASK="$ICMPRING_LAB exec $lab prb -- $ICMPRING"
t0=$EPOCHREALTIME
slurm_up "$tmp/slurm" "/run/netns/$lab-prb" || die "Slurm cannot start: $slurm_why"
up_s=$(printf %.2f "$(echo "$EPOCHREALTIME - $t0" | bc)")
mkdir -p "$tmp/logs"

secs() { printf %.2f "$(echo "$EPOCHREALTIME - $1" | bc)"; }
declare -A wall merge_s shard_max shard_sum
# one MODE ROUND: MODE "process" or a number of array tasks.
one() {
    local mode=$1 r=$2 out=$tmp/r$2-$1 t job end
    if [[ $mode == process ]]; then
        t=$EPOCHREALTIME
        "$ICMPRING_LAB" exec "$lab" prb -- timeout -k 5 120 "$ICMPRING" sweep --rate "$BENCH_RATE" \
            --cooldown $COOLDOWN --seed $SEED -q -o "$out.txt" $NET4 || true
        wall[$mode,$r]=$(secs "$t")
        [[ $(wc -l <"$out.txt") == 65534 ]] || echo "slurm-bench: $mode round $r: $(wc -l <"$out.txt") hits" >&2
        return
    fi
    t=$EPOCHREALTIME
    job=$(ICMPRING=$ICMPRING_TASK slurm "$tmp/slurm" sbatch --parsable --array=0-$(( mode - 1 )) --time=5 \
        --chdir="$tmp/logs" "$JOB_SCRIPT" "$out" $SEED sweep --rate "$BENCH_RATE" --cooldown $COOLDOWN $NET4)
    end=$(( SECONDS + 180 ))
    while (( SECONDS < end )); do
        local q
        q=$(slurm "$tmp/slurm" squeue -h -j "$job" -t PD,R,CG,S 2>/dev/null) && [[ -z $q ]] && break
        sleep 0.05
    done
    wall[$mode,$r]=$(secs "$t")
    t=$EPOCHREALTIME
    timeout -k 5 60 "$ICMPRING" merge -o "$out.txt" "$out"/shard-*.json ||
        echo "slurm-bench: $mode tasks round $r: the merge failed" >&2
    merge_s[$mode,$r]=$(secs "$t")
    [[ $(wc -l <"$out.txt") == 65534 ]] || echo "slurm-bench: $mode tasks round $r: $(wc -l <"$out.txt") hits" >&2
    shard_max[$mode,$r]=$(jq -s 'map(.elapsed_s) | max | . * 1000 | round / 1000' "$out"/shard-*.json)
    shard_sum[$mode,$r]=$(jq -s 'map(.elapsed_s) | add | . * 1000 | round / 1000' "$out"/shard-*.json)
}
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
col() { # ARRAY MODE
    local -n a=$1
    local r v=()
    for (( r = 1; r <= BENCH_ROUNDS; r++ )); do v+=("${a[$2,$r]:--}"); done
    median "${v[@]}"
}

modes=(process 1 2 4)
load0=$(cut -d' ' -f1-3 /proc/loadavg)
for (( r = 1; r <= BENCH_ROUNDS; r++ )); do
    for m in "${modes[@]}"; do one "$m" "$r"; done
done

echo "slurm-bench: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, $(uname -r), $(slurmctld -V)," \
     "load average before: $load0, after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "slurm-wlm and munge installed in: ${install_s} s (- = already installed); cluster up (node idle) in $up_s s"
echo "sweep $NET4 --rate $BENCH_RATE --cooldown $COOLDOWN --seed $SEED, median of $BENCH_ROUNDS interleaved rounds"
echo
echo "| run | wall (s) | slowest shard's elapsed (s) | sum of shards' elapsed (s) | merge (s) |"
echo "|---|---|---|---|---|"
for m in "${modes[@]}"; do
    if [[ $m == process ]]; then
        echo "| one process, no Slurm | $(col wall "$m") | - | - | - |"
    else
        echo "| Slurm array of $m task(s) | $(col wall "$m") | $(col shard_max "$m") | $(col shard_sum "$m") | $(col merge_s "$m") |"
    fi
done
echo
echo "rounds (wall s): $(for m in "${modes[@]}"; do echo -n "$m:"; for (( r = 1; r <= BENCH_ROUNDS; r++ )); do echo -n " ${wall[$m,$r]}"; done; echo -n "; "; done)"
