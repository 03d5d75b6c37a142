#!/bin/bash
# trace-bench.sh: owns the traceroute benchmark, in one freshly built lab
# with 5 routers (far's 198.19.0.0/16 is hop 6):
#  (a) 10,000 destinations 198.19.0.1 .. 198.19.39.16, one probe per hop:
#      scamper (icmp-paris, -q 1, at its 10,000 pps cap) against icmpring's
#      traceroute job (bench/trace-driver, count 1); wall times and every
#      destination's hop list compared;
#  (b) one destination, 198.19.0.1: icmplib 3.0.4 traceroute() and
#      traceroute(8) -I against icmpring's icr_traceroute (icmplib's
#      defaults: count 2, interval 0.05, timeout 2); wall times and hops.
# A script, not a timed test: noisy on a shared 2-vCPU VM, compare only
# within one run (bench/README.md).
#
# usage: bench/trace-bench.sh            (root; installs missing peers with apt)
# env:   TRACE_DRIVER  the driver binary (default build/bench/trace-driver)
#        ICMPRING      the CLI, run as "icmpring-cli" (default build/tools/icmpring)
#        ICMPRING_LAB  the lab tool      (default tools/icmpring-lab)
#        ICMPLIB_DIR   icmplib 3.0.4     (default ../shared/peers/icmplib-3.0.4
#                                         beside the source tree)
#        BENCH_ROUNDS  interleaved rounds of (a), 1-9 (default 3)
#        BENCH_ROUNDS1 interleaved rounds of (b), 1-9 (default 5)
#
# Every packet goes to the lab (198.19.0.0/16 behind r1..r5) from inside
# the prober namespace; every tool runs under timeout(1) and the lab is
# deleted on every exit path (icmpring-lab run).
set -euo pipefail

SELF=$(readlink -f "${BASH_SOURCE[0]}")
ROOT=$(dirname "$(dirname "$SELF")")
: "${TRACE_DRIVER:=$ROOT/build/bench/trace-driver}"
: "${ICMPRING:=$ROOT/build/tools/icmpring}"
: "${ICMPRING_LAB:=$ROOT/tools/icmpring-lab}"
: "${ICMPLIB_DIR:=$(dirname "$0")/../../shared/peers/icmplib-3.0.4}"
: "${BENCH_ROUNDS:=3}"
: "${BENCH_ROUNDS1:=5}"
ICMPLIB_DIR=$(readlink -f "$ICMPLIB_DIR" 2>/dev/null || echo "$ICMPLIB_DIR")
export TRACE_DRIVER ICMPRING ICMPRING_LAB ICMPLIB_DIR BENCH_ROUNDS BENCH_ROUNDS1

readonly NDEST=10000 ONE=198.19.0.1
readonly T_RUN=120

die() {
	echo "trace-bench: $*" >&2
	exit 1
}

install_peers() {
	local -a want=()
	command -v scamper >/dev/null || want+=(scamper)
	command -v traceroute >/dev/null || [[ -x /usr/sbin/traceroute ]] || want+=(traceroute)
	[[ -x /usr/bin/time ]] || want+=(time)
	if (( ${#want[@]} > 0 )); then
		echo "trace-bench: installing ${want[*]}" >&2
		DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y "${want[@]}" >&2 ||
			die "apt-get install ${want[*]} failed"
	fi
}

outer() {
	(( EUID == 0 )) || die "must run as root (namespaces, raw sockets)"
	[[ -x $TRACE_DRIVER ]] || die "no $TRACE_DRIVER: meson setup build --buildtype=release && ninja -C build"
	[[ -x $ICMPRING ]] || die "no $ICMPRING: meson setup build --buildtype=release && ninja -C build"
	[[ -x $ICMPRING_LAB ]] || die "no $ICMPRING_LAB"
	[[ $BENCH_ROUNDS =~ ^[1-9]$ && $BENCH_ROUNDS1 =~ ^[1-9]$ ]] || die "BENCH_ROUNDS* must be 1-9"
	[[ -f $ICMPLIB_DIR/icmplib/traceroute.py ]] || die "no icmplib 3.0.4 at $ICMPLIB_DIR"
	install_peers
	exec timeout -k 30 1800 "$ICMPRING_LAB" run --routers 5 -- bash "$SELF" --in-lab
}

# ---- inside the lab ----------------------------------------------------------

TIMEFMT='%e %U %S %M'
export PATH="$PATH:/usr/sbin:/sbin"

# scamper's JSON traces as "DST DIST:ADDR ..." lines (answered hops only).
scamper_routes() {
	/usr/bin/python3 -c '
import json, sys
for line in open(sys.argv[1]):
    o = json.loads(line)
    if o.get("type") != "trace":
        continue
    hops = {}
    for h in o.get("hops", []):
        hops.setdefault(h["probe_ttl"], h["addr"])
    print(" ".join([o["dst"]] + [f"{d}:{hops[d]}" for d in sorted(hops)]))
' "$1"
}

# row TOOL ROUND EXTRA STATUS -> rows.tsv "tool round wall user sys rss extra status"
row() {
	local e u s m
	read -r e u s m < <(tail -n 1 "$WORK/t")
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$e" "$u" "$s" "$m" "$3" "$4" >>"$WORK/rows.tsv"
	printf 'round %s %-13s wall %7.4f s  cpu %5.2f+%5.2f s  rss %6.1f MB  %s  exit %s\n' \
		"$2" "$1" "$e" "$u" "$s" "$(awk -v m="$m" 'BEGIN { print m / 1024 }')" "$3" "$4"
}

# ICMP counters: r1's Time Exceeded sent, the prober's received; a run's
# difference says whether a missing hop was lost on the wire or in the tool.
# Also the prober's Echo Requests sent (IcmpMsgOutType8): the probes.
counters() {
	printf 'r1_out_te=%s prb_in_te=%s prb_out_echo=%s' \
		"$(ip netns exec "$ICR_LAB-r1" nstat -asz IcmpOutTimeExcds | awk '$1 == "IcmpOutTimeExcds" { print $2 }')" \
		"$(nstat -asz IcmpInTimeExcds | awk '$1 == "IcmpInTimeExcds" { print $2 }')" \
		"$(nstat -asz IcmpMsgOutType8 | awk '$1 == "IcmpMsgOutType8" { v = $2 } END { print v + 0 }')"
}

# counters_delta BEFORE AFTER
counters_delta() {
	awk -v a="$1" -v b="$2" 'BEGIN { split(a, x, /[ =]/); split(b, y, /[ =]/)
		printf "%d probes sent; r1 sent %d Time Exceeded, the prober received %d",
			y[6] - x[6], y[2] - x[2], y[4] - x[4] }'
}

run_icmpring_many() {
	local r=$1 st=0
	local c0
	c0=$(counters)
	timeout -k 5 "$T_RUN" /usr/bin/time -f "$TIMEFMT" -o "$WORK/t" \
		"$TRACE_DRIVER" -c 1 -o "$WORK/icmpring.$r.routes" "$WORK/dests" \
		2>"$WORK/icmpring.$r.err" || st=$?
	echo "  icmpring round $r: $(counters_delta "$c0" "$(counters)")"
	sort "$WORK/icmpring.$r.routes" >"$WORK/icmpring.$r.sorted"
	row icmpring "$r" "$(grep -o 'elapsed_s=[0-9.]*' "$WORK/icmpring.$r.err" || echo elapsed_s=?)" "$st"
	(( st == 0 )) || sed 's/^/  icmpring: /' "$WORK/icmpring.$r.err" >&2
}

# The CLI's ndjson (one record per answered hop) as "DST DIST:ADDR ..." lines.
cli_routes() {
	/usr/bin/python3 -c '
import json, sys
routes = {}
for line in open(sys.argv[1]):
    o = json.loads(line)
    routes.setdefault(o["target"], {}).setdefault(o["distance"], o["address"])
for dst, hops in routes.items():
    print(" ".join([dst] + [f"{d}:{hops[d]}" for d in sorted(hops)]))
' "$1"
}

run_cli_many() {
	local r=$1 st=0
	timeout -k 5 "$T_RUN" /usr/bin/time -f "$TIMEFMT" -o "$WORK/t" \
		"$ICMPRING" traceroute -q -c 1 --format ndjson -f "$WORK/dests" \
		>"$WORK/cli.$r.ndjson" 2>"$WORK/cli.$r.err" || st=$?
	cli_routes "$WORK/cli.$r.ndjson" | sort >"$WORK/cli.$r.sorted"
	row icmpring-cli "$r" "routes=$(wc -l <"$WORK/cli.$r.sorted")" "$st"
	(( st == 0 )) || tail -n 5 "$WORK/cli.$r.err" | sed 's/^/  icmpring-cli: /' >&2
}

run_scamper_many() {
	local r=$1 st=0
	local c0
	c0=$(counters)
	timeout -k 5 "$T_RUN" /usr/bin/time -f "$TIMEFMT" -o "$WORK/t" \
		scamper -O json -o "$WORK/scamper.$r.json" -p 10000 \
		-c 'trace -P icmp-paris -q 1' -f "$WORK/dests" \
		>"$WORK/scamper.$r.out" 2>"$WORK/scamper.$r.err" || st=$?
	echo "  scamper round $r: $(counters_delta "$c0" "$(counters)")"
	scamper_routes "$WORK/scamper.$r.json" | sort >"$WORK/scamper.$r.sorted"
	row scamper "$r" "traces=$(wc -l <"$WORK/scamper.$r.sorted")" "$st"
	(( st == 0 )) || tail -n 5 "$WORK/scamper.$r.err" | sed 's/^/  scamper: /' >&2
}

write_icmplib() {
	cat >"$WORK/traceroute.py" <<'PY'
import sys, time
import icmplib
from icmplib import traceroute
t0 = time.monotonic()
hops = traceroute(sys.argv[1])    # icmplib's defaults: count 2, interval 0.05, timeout 2
t1 = time.monotonic()
print(f"call_s={t1 - t0:.4f}", file=sys.stderr)
print(" ".join([sys.argv[1]] + [f"{h.distance}:{h.address}" for h in hops]))
PY
}

# GNU time's %e has 10 ms steps and traceroute(8) takes less: replace it
# with bash's clock, taken around the same command (time(1) included).
precise_wall() {
	local e rest
	read -r e rest < <(tail -n 1 "$WORK/t")
	awk -v a="$1" -v b="$2" -v r="$rest" 'BEGIN { printf "%.4f %s\n", b - a, r }' >"$WORK/t"
}

run_icmpring_one() {
	# $2: a name suffix and extra driver options (icmplib's defaults when none)
	local r=$1 tag=${2:-} st=0 t0
	shift 2 || shift
	t0=$EPOCHREALTIME
	timeout -k 5 30 /usr/bin/time -f "$TIMEFMT" -o "$WORK/t" \
		"$TRACE_DRIVER" "$@" -1 "$ONE" -o "$WORK/one.icmpring$tag.$r" \
		2>"$WORK/one.icmpring$tag.$r.err" || st=$?
	precise_wall "$t0" "$EPOCHREALTIME"
	row "icmpring1$tag" "$r" "call_s=$(sed -n 's/.*elapsed_s=\([0-9.]*\).*/\1/p' \
		"$WORK/one.icmpring$tag.$r.err")" "$st"
	(( st == 0 )) || sed 's/^/  icmpring: /' "$WORK/one.icmpring$tag.$r.err" >&2
}

run_icmplib_one() {
	local r=$1 st=0 t0=$EPOCHREALTIME
	PYTHONPATH=$ICMPLIB_DIR timeout -k 5 30 /usr/bin/time -f "$TIMEFMT" -o "$WORK/t" \
		/usr/bin/python3 "$WORK/traceroute.py" "$ONE" \
		>"$WORK/one.icmplib.$r" 2>"$WORK/one.icmplib.$r.err" || st=$?
	precise_wall "$t0" "$EPOCHREALTIME"
	row icmplib1 "$r" "$(grep -o 'call_s=[0-9.]*' "$WORK/one.icmplib.$r.err" || echo call_s=?)" "$st"
	(( st == 0 )) || tail -n 5 "$WORK/one.icmplib.$r.err" | sed 's/^/  icmplib: /' >&2
}

run_cli_one() {
	local r=$1 st=0 t0=$EPOCHREALTIME
	timeout -k 5 30 /usr/bin/time -f "$TIMEFMT" -o "$WORK/t" \
		"$ICMPRING" traceroute -q -n "$ONE" >"$WORK/one.cli.$r.out" 2>"$WORK/one.cli.$r.err" || st=$?
	precise_wall "$t0" "$EPOCHREALTIME"
	awk -v d="$ONE" '$1 ~ /^[0-9]+$/ && $2 != "*" { s = s " " $1 ":" $2 } END { print d s }' \
		"$WORK/one.cli.$r.out" >"$WORK/one.cli.$r"
	row icmpring-cli1 "$r" "-" "$st"
}

run_traceroute_one() {
	local r=$1 st=0 t0=$EPOCHREALTIME
	timeout -k 5 60 /usr/bin/time -f "$TIMEFMT" -o "$WORK/t" \
		traceroute -I -n "$ONE" >"$WORK/one.traceroute.$r.out" 2>"$WORK/one.traceroute.$r.err" || st=$?
	precise_wall "$t0" "$EPOCHREALTIME"
	# " 1  198.51.100.6  0.024 ms ..." -> "198.19.0.1 1:198.51.100.6 ..."
	awk -v d="$ONE" 'NR > 1 && $2 != "*" { s = s " " $1 ":" $2 } END { print d s }' \
		"$WORK/one.traceroute.$r.out" >"$WORK/one.traceroute.$r"
	row traceroute "$r" "-" "$st"
}

median() {
	awk -F'\t' -v t="$1" -v c="$2" '$1 == t { print $c }' "$WORK/rows.tsv" |
		sort -g | awk '{ v[NR] = $1 } END {
			if (NR == 0) { print 0; exit }
			print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# median of the number after KEY= in column 7
median_kv() {
	awk -F'\t' -v t="$1" -v k="$2" '$1 == t { n = split($7, a, "="); if (a[1] == k) print a[2] }' \
		"$WORK/rows.tsv" | sort -g | awk '{ v[NR] = $1 } END {
			if (NR == 0) { print 0; exit }
			print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

report() {
	local r wi ws d
	echo
	echo "== (a) $NDEST destinations in 198.19.0.0/16 (hop 6), 1 probe per hop:" \
		"median of $BENCH_ROUNDS interleaved runs =="
	wi=$(median icmpring 3) ws=$(median scamper 3)
	awk -v wi="$wi" -v ws="$ws" -v ei="$(median_kv icmpring elapsed_s)" \
		-v ri="$(median icmpring 6)" -v rs="$(median scamper 6)" \
		-v wc="$(median icmpring-cli 3)" -v rc="$(median icmpring-cli 6)" 'BEGIN {
		printf "  icmpring (driver) wall %.3f s (job %.3f s)  rss %.1f MB\n", wi, ei, ri / 1024
		printf "  icmpring-cli      wall %.3f s                  rss %.1f MB\n", wc, rc / 1024
		printf "  scamper           wall %.3f s                  rss %.1f MB\n", ws, rs / 1024
		printf "  wall ratio scamper / icmpring: %.1fx driver, %.1fx CLI (goal >= 10x: %s, %s)\n",
			ws / wi, ws / wc, (ws / wi >= 10) ? "met" : "NOT met", (ws / wc >= 10) ? "met" : "NOT met" }'
	echo "  hop lists (every destination, \"DST DIST:ADDR ...\"), lines differing between icmpring and scamper:"
	for (( r = 1; r <= BENCH_ROUNDS; r++ )); do
		d=$(comm -3 "$WORK/icmpring.$r.sorted" "$WORK/scamper.$r.sorted" | wc -l)
		printf '    round %s: %s (icmpring %s routes, scamper %s); icmpring-cli vs scamper: %s, vs the driver: %s\n' \
			"$r" "$d" "$(wc -l <"$WORK/icmpring.$r.sorted")" "$(wc -l <"$WORK/scamper.$r.sorted")" \
			"$(comm -3 "$WORK/cli.$r.sorted" "$WORK/scamper.$r.sorted" | wc -l)" \
			"$(comm -3 "$WORK/cli.$r.sorted" "$WORK/icmpring.$r.sorted" | wc -l)"
		if (( d > 0 )); then
			{ comm -3 "$WORK/icmpring.$r.sorted" "$WORK/scamper.$r.sorted" || true; } |
				sed -n 's/^/      /; 1,6p'
			echo "      scamper's routes without hop N: $(comm -13 "$WORK/icmpring.$r.sorted" \
				"$WORK/scamper.$r.sorted" | awk '{ for (h = 1; h <= 6; h++) {
					if (index($0, " " h ":") == 0) miss[h]++ } } END { for (h in miss) printf "%s: %d; ", h, miss[h] }')"
		fi
	done
	echo "  routes by number of hops (icmpring round 1): $(awk '{ print NF - 1 }' \
		"$WORK/icmpring.1.sorted" | sort -n | uniq -c | awk '{ printf "%s hops: %s; ", $2, $1 }')"

	echo
	echo "== (b) one destination, $ONE: median of $BENCH_ROUNDS1 interleaved runs =="
	local ci cl
	ci=$(median_kv icmpring1 call_s) cl=$(median_kv icmplib1 call_s)
	awk -v ci="$ci" -v cl="$cl" -v wi="$(median icmpring1 3)" -v wl="$(median icmplib1 3)" \
		-v wt="$(median traceroute 3)" -v c3="$(median_kv icmpring1_q3 call_s)" \
		-v w3="$(median icmpring1_q3 3)" -v wc="$(median icmpring-cli1 3)" 'BEGIN {
		printf "  icmpring icr_traceroute   call %.4f s  process wall %.3f s\n", ci, wi
		printf "  icmplib traceroute()      call %.4f s  process wall %.3f s\n", cl, wl
		printf "  icmpring traceroute (CLI)                 process wall %.4f s\n", wc
		printf "  traceroute -I -n                        process wall %.4f s\n", wt
		printf "  icmpring -c 3 -i 0        call %.4f s  process wall %.4f s\n", c3, w3
		printf "  ratio icmplib / icmpring: call %.1fx (goal >= 5x: %s), process wall %.1fx\n",
			cl / ci, (cl / ci >= 5) ? "met" : "NOT met", wl / wi
		printf "  ratio icmplib process wall / CLI process wall: %.1fx\n", wl / wc
		printf "  ratio traceroute / icmpring, process wall: %.2fx (icmplib defaults), %.2fx (-c 3 -i 0)\n",
			wt / wi, wt / w3 }'
	echo "  hops:"
	for (( r = 1; r <= BENCH_ROUNDS1; r++ )); do
		printf '    round %s: icmplib %s, traceroute %s, icmpring -c 3 -i 0 %s, CLI %s\n' "$r" \
			"$(cmp -s "$WORK/one.icmpring.$r" "$WORK/one.icmplib.$r" && echo same || echo DIFFERENT)" \
			"$(cmp -s "$WORK/one.icmpring.$r" "$WORK/one.traceroute.$r" && echo same || echo DIFFERENT)" \
			"$(cmp -s "$WORK/one.icmpring.$r" "$WORK/one.icmpring_q3.$r" && echo same || echo DIFFERENT)" \
			"$(cmp -s "$WORK/one.icmpring.$r" "$WORK/one.cli.$r" && echo same || echo DIFFERENT)"
	done
	echo "    icmpring:   $(cat "$WORK/one.icmpring.1")"
	echo "    icmplib:    $(cat "$WORK/one.icmplib.1")"
	echo "    traceroute: $(cat "$WORK/one.traceroute.1")"
	echo
	echo "Every run (tool round wall_s user_s sys_s rss_kB extra exit):"
	sed 's/^/  /' "$WORK/rows.tsv"
}

in_lab() {
	[[ -n ${ICR_LAB:-} ]] || die "--in-lab is for icmpring-lab run"
	WORK=$(mktemp -d /tmp/trace-bench.XXXXXX)
	trap 'rm -rf "$WORK"' EXIT
	: >"$WORK/rows.tsv"
	awk -v n="$NDEST" 'BEGIN { for (k = 1; k <= n; k++) printf "198.19.%d.%d\n", int(k / 256), k % 256 }' \
		>"$WORK/dests"
	write_icmplib
	echo "trace-bench: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, kernel $(uname -r)," \
		"lab $ICR_LAB ($ICR_LAB_ROUTERS routers, far at hop $ICR_LAB_HOPS)"
	echo "  load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "  $(scamper -v 2>&1 | head -n 1); $(traceroute -V 2>&1 | head -n 1)"
	ping -c 1 -W 1 "$ONE" >/dev/null 2>&1 || true

	local r
	for (( r = 1; r <= BENCH_ROUNDS; r++ )); do
		run_icmpring_many "$r"
		run_cli_many "$r"
		run_scamper_many "$r"
	done
	for (( r = 1; r <= BENCH_ROUNDS1; r++ )); do
		run_icmpring_one "$r"
		run_cli_one "$r"
		run_icmplib_one "$r"
		run_traceroute_one "$r"
		# traceroute(8)'s own shape: 3 probes per hop, all at once.
		run_icmpring_one "$r" _q3 -c 3 -i 0
	done
	report
	echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
}

if [[ ${1:-} == --in-lab ]]; then
	in_lab
else
	outer
fi
