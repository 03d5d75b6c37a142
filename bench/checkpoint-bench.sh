#!/bin/bash
# checkpoint-bench.sh: the cost of --resume (issue 9).  The same /16 sweep
# at full speed, 20 probes per target (1,310,680 probes, a few seconds),
# interleaved in rounds: without a checkpoint, with the default checkpoint
# every 5 s, and with one every 0.1 s (50x the default rate of fsync +
# rename), plus the same for a 20,000-host multiping of 20 probes each.
# Prints each run's send rate and elapsed time, and the medians' ratios to
# the run without checkpoints.  masscan has --resume, but it saves its state
# (paused.conf) only when interrupted, and zmap has none: there is no peer
# whose periodic checkpoints could be measured side by side.
#
# usage: bench/checkpoint-bench.sh        (root)
# env:   ICMPRING      the icmpring binary (default build/tools/icmpring)
#        ICMPRING_LAB  the lab tool        (default tools/icmpring-lab)
#        BENCH_ROUNDS  interleaved rounds, 1-15 (default 5)
#
# Packets go only to the lab's responder (198.18.0.0/16) from inside the
# lab's prober namespace; every run is under timeout(1), and icmpring-lab
# run tears the lab down on every exit path.
set -euo pipefail

SELF=$(readlink -f "${BASH_SOURCE[0]}")
ROOT=$(dirname "$(dirname "$SELF")")
: "${ICMPRING:=$ROOT/build/tools/icmpring}"
: "${ICMPRING_LAB:=$ROOT/tools/icmpring-lab}"
: "${BENCH_ROUNDS:=5}"
export ICMPRING ICMPRING_LAB BENCH_ROUNDS

if [[ ${1:-} != --inside ]]; then
	[[ $(id -u) == 0 ]] || { echo "checkpoint-bench: needs root (the lab)" >&2; exit 1; }
	[[ $BENCH_ROUNDS =~ ^([1-9]|1[0-5])$ ]] || { echo "checkpoint-bench: BENCH_ROUNDS 1-15" >&2; exit 1; }
	exec timeout 1800 "$ICMPRING_LAB" run -- bash "$SELF" --inside
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
for i in $(seq 0 19999); do echo "198.18.$((i / 250)).$((i % 250 + 1))"; done >hosts

# one KIND NAME ARGS...: a run; prints "NAME rate_pps elapsed_s"
one() {
	local kind=$1 name=$2; shift 2
	rm -f out ck ck.tmp
	if [[ $kind == sweep ]]; then
		timeout 120 "$ICMPRING" sweep --rate 0 --count 20 --interval 0 --cooldown 1 --seed 7 198.18.0.0/16 -o out "$@" 2>err >/dev/null || true
		local line
		line=$(grep '^elapsed' err)
		local el=${line#elapsed }; el=${el%% s,*}
		local rate=${line#*send rate }; rate=${rate%% pps*}
		[[ $(sort -u out | wc -l) == 65534 ]] || { echo "checkpoint-bench: $name: $(sort -u out | wc -l) of 65534 targets" >&2; exit 1; }
		echo "$name $rate $el"
	else
		timeout 120 "$ICMPRING" multiping -c 20 -i 0 -W 1 -f hosts -o out "$@" 2>err >/dev/null || true
		local el
		el=$(sed -n 's/^elapsed \([0-9.]*\) s.*/\1/p' err)
		[[ $(grep -c ' = 20/' out) == 20000 ]] || { echo "checkpoint-bench: $name: not 20000 hosts" >&2; exit 1; }
		echo "$name $(awk -v e="$el" 'BEGIN{printf "%.0f", 400000 / e}') $el"
	fi
}

ping -c 1 -W 1 198.18.0.1 >/dev/null 2>&1 || true  # warm the neighbour entry
for r in $(seq 1 "$BENCH_ROUNDS"); do
	one sweep sweep-none
	one sweep sweep-ckpt-5s --resume ck
	one sweep sweep-ckpt-0.1s --resume ck --checkpoint-interval 0.1
	one multiping mp-none
	one multiping mp-ckpt-5s --resume ck
	one multiping mp-ckpt-0.1s --resume ck --checkpoint-interval 0.1
done >runs.txt
cat runs.txt
echo
echo "medians over $BENCH_ROUNDS rounds (rate in probes/s; ratio = rate / rate without checkpoint)"
for kind in sweep mp; do
	base=$(awk -v k="$kind-none" '$1 == k {print $2}' runs.txt | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
	for v in none ckpt-5s ckpt-0.1s; do
		awk -v k="$kind-$v" '$1 == k {print $2, $3}' runs.txt | sort -n |
			awk -v k="$kind-$v" -v b="$base" '{r[NR]=$1; e[NR]=$2} END{m=int((NR+1)/2); printf "%-16s rate %8s  elapsed %6s s  ratio %.3f\n", k, r[m], e[m], r[m]/b}'
	done
done
