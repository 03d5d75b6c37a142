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
		[[ $(wc -l <out) == 65534 && $(sort -u out | wc -l) == 65534 ]] || { echo "checkpoint-bench: $name: $(wc -l <out) lines, not the 65534 targets once each" >&2; exit 1; }
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
echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
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
# The load moves between rounds on a shared machine: the three variants of a
# round ran back to back, so each round's ratios are the comparison, and the
# table gives their medians (and the medians of the raw numbers).
echo "rounds: $BENCH_ROUNDS; ratio = rate / rate without checkpoint in the same round"
awk '{
	split($1, p, "-"); kind = p[1]; var = substr($1, length(kind) + 2)
	if (var == "none") base[kind] = $2
	else { n[$1]++; r[$1, n[$1]] = $2 / base[kind] }
	rate[$1, ++m[$1]] = $2; el[$1, m[$1]] = $3
} function med(arr, key, cnt,   i, j, t, v) {
	for (i = 1; i <= cnt; i++) v[i] = arr[key, i]
	for (i = 1; i <= cnt; i++) for (j = i + 1; j <= cnt; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
	return v[int((cnt + 1) / 2)]
} END {
	split("sweep-none sweep-ckpt-5s sweep-ckpt-0.1s mp-none mp-ckpt-5s mp-ckpt-0.1s", names, " ")
	for (k = 1; k <= 6; k++) {
		x = names[k]
		printf "%-16s median rate %8.0f  median elapsed %7.3f s", x, med(rate, x, m[x]), med(el, x, m[x])
		if (n[x]) printf "  median ratio %.3f (min %.3f, max %.3f)", med(r, x, n[x]), minr(x), maxr(x)
		printf "\n"
	}
} function minr(x,   i, v) { v = 1e9; for (i = 1; i <= n[x]; i++) if (r[x, i] < v) v = r[x, i]; return v }
  function maxr(x,   i, v) { v = 0; for (i = 1; i <= n[x]; i++) if (r[x, i] > v) v = r[x, i]; return v }' runs.txt
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
