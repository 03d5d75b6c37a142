#!/bin/bash
# packet-cpu.sh: owns the before/after measure of the AF_PACKET transport's
# CPU per probe: two icmpring builds, A and B, alternated A/B/A/B... in
# send-only sweeps (198.18.0.0/15 x 8 = 1,048,560 probes) into a sink
# namespace that drops every frame at netdev ingress, the same sink as
# bench/packet-bench.sh part A.  Prints, per run, user+sys CPU seconds (GNU
# time) divided by the probes the sink counted, then the medians and B/A.
#
# CPU per probe is the figure to trust on a shared 2-vCPU machine: rates
# swing with other people's load, CPU per probe hardly does; alternating
# the builds puts any drift on both.
#
# usage: bench/packet-cpu.sh ICMPRING_A ICMPRING_B   (root; needs nft, time)
# env:   CPU_ROUNDS   pairs of runs, 1-20 (default 5)
#        CPU_SENDERS  --senders value (default 1; 2 for both CPUs)
#        PERF_OUT     if set: record `perf record -g` of B's first run there
#        CPU_ZMAP     1: also run zmap 2.1.1 -T CPU_SENDERS as a third row (Z)
#                     each round, same probes (-P 8 over the /15), same sink
#        ARGS_A, ARGS_B  more sweep options for A's / B's runs (split on
#                     spaces), e.g. ARGS_B="--batch 512" with A = B
#
# Only 198.18.0.0/15 and 192.0.2.0/24 are addressed, only inside the two
# namespaces made here, which are deleted on every exit path; every run is
# bounded by timeout(1).
set -euo pipefail

[[ $# -eq 2 ]] || { echo "usage: $0 ICMPRING_A ICMPRING_B" >&2; exit 2; }
A=$(readlink -f "$1")
B=$(readlink -f "$2")
: "${CPU_ROUNDS:=5}"
: "${CPU_SENDERS:=1}"
[[ $CPU_ROUNDS =~ ^([1-9]|1[0-9]|20)$ ]] || { echo "CPU_ROUNDS: 1-20, not $CPU_ROUNDS" >&2; exit 2; }
[[ $CPU_SENDERS =~ ^[1-8]$ ]] || { echo "CPU_SENDERS: 1-8, not $CPU_SENDERS" >&2; exit 2; }

# shellcheck source=bench/sink-lib.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/sink-lib.sh"
NS="icrcpu$$"
WORK=$(mktemp -d)
sink_start "$NS" "$WORK" || exit 1
kmac=$SINK_MAC

sink() {
	sink_count "$NS"
}

# zmap's blocklist must exist and be empty (its default one excludes 198.18/15).
: >"$WORK/blocklist"

# run NAME BIN: one sweep; appends "NAME us_per_probe user sys probes" to $WORK/rows
run() {
	local name=$1 bin=$2 before after u s st=0 extra
	read -r -a extra <<<"$3"
	local cmd=("$bin" sweep 198.18.0.0/15 -c 8 --interval 0 --rate 0 --cooldown 0
		--transport packet --senders "$CPU_SENDERS" -o /dev/null "${extra[@]}")
	[[ $name != Z ]] || cmd=(zmap -M icmp_echoscan -r 0 -P 8 -b "$WORK/blocklist" -G "$kmac"
		-i d0 -S 192.0.2.1 --cooldown-time 0 -o /dev/null --disable-syslog
		-T "$CPU_SENDERS" 198.18.0.0/15)
	before=$(sink)
	if [[ -n ${PERF_OUT:-} && $name == B && ! -e $PERF_OUT ]]; then
		timeout -k 5 120 ip netns exec "${NS}s" perf record -q -g -o "$PERF_OUT" \
			"${cmd[@]}" >/dev/null 2>"$WORK/err" || st=$?
		before=$(sink)
	fi
	timeout -k 5 120 /usr/bin/time -f '%U %S' -o "$WORK/t" \
		ip netns exec "${NS}s" "${cmd[@]}" >/dev/null 2>"$WORK/err" || st=$?
	after=$(sink)
	# icmpring exits 1 when nothing answered, which the sink guarantees.
	(( st <= 1 )) || { echo "$name exited $st:" >&2; tail -n 5 "$WORK/err" >&2; exit 1; }
	read -r u s < <(tail -n 1 "$WORK/t")
	local n=$(( after - before ))
	(( n > 0 )) || { echo "$name: the sink counted nothing" >&2; exit 1; }
	awk -v nm="$name" -v u="$u" -v s="$s" -v n="$n" \
		'BEGIN { printf "%s %.4f %s %s %d\n", nm, (u + s) * 1e6 / n, u, s, n }' | tee -a "$WORK/rows"
}

echo "# packet-cpu: A=$A ${ARGS_A:-} B=$B ${ARGS_B:-} rounds=$CPU_ROUNDS senders=$CPU_SENDERS load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# run us_per_probe user_s sys_s probes_at_sink"
for (( r = 1; r <= CPU_ROUNDS; r++ )); do
	run A "$A" "${ARGS_A:-}"
	run B "$B" "${ARGS_B:-}"
	[[ ${CPU_ZMAP:-0} != 1 ]] || run Z zmap ""
done
med() {
	awk -v nm="$1" -v c="$2" '$1 == nm { print $c }' "$WORK/rows" | sort -g |
		awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
ma=$(med A 2) mb=$(med B 2)
echo "# medians us/probe: A $ma  B $mb  B/A $(awk -v a="$ma" -v b="$mb" 'BEGIN { printf "%.3f", b / a }')"
if [[ ${CPU_ZMAP:-0} == 1 ]]; then
	mz=$(med Z 2)
	echo "# zmap median us/probe: $mz  A/zmap $(awk -v a="$ma" -v z="$mz" 'BEGIN { printf "%.3f", a / z }')  B/zmap $(awk -v b="$mb" -v z="$mz" 'BEGIN { printf "%.3f", b / z }')"
fi
echo "# user medians: A $(med A 3) s  B $(med B 3) s;  sys medians: A $(med A 4) s  B $(med B 4) s"
echo "# load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
