#!/bin/bash
# multiping-bench.sh: owns the multiping benchmark -- icmpring's multiping
# job (through bench/mp-driver) side by side with icmplib 3.0.4's
# multiping(), fping -C and oping over the same 10,000 hosts in one freshly
# built lab, then a 1,000,000-host IPv6 multiping by icmpring alone for its
# peak RSS.  A script, not a timed test: the numbers are noisy on a shared
# 2-vCPU VM and only mean something compared within one run (bench/README.md).
#
# usage: bench/multiping-bench.sh        (root; installs missing peers with apt)
# env:   MP_DRIVER     the driver binary  (default build/bench/mp-driver)
#        ICMPRING      the CLI, run as "icmpring-cli" (default build/tools/icmpring)
#        ICMPRING_LAB  the lab tool       (default tools/icmpring-lab)
#        ICMPLIB_DIR   icmplib 3.0.4      (default ../shared/peers/icmplib-3.0.4
#                                          beside the source tree)
#        BENCH_ROUNDS  interleaved rounds, 1-9 (default 3; medians reported)
#        BENCH_MEM     1 = also the 1,000,000-host memory run (default 1)
#        BENCH_ICMPLIB 1 = include icmplib (default 1; ~26 s a run)
#
# Targets (all in the lab): 4,950 addresses of 198.18.0.0/16 (rsp, 1 hop),
# 4,950 of 198.19.0.0/16 (far, behind the 5 routers: 6 hops) and 100 that
# r1 rejects with Destination Unreachable (203.0.113.1-.62 host unreachable,
# 203.0.113.193-.230 net unreachable), one unreachable every 100th line.
# The memory run probes 2001:db8:1::0 .. 2001:db8:1::f:423f (rsp's IPv6 net).
# Every tool runs under timeout(1) inside the prober namespace; the lab is
# deleted on every exit path (icmpring-lab run, plus the trap below).
set -euo pipefail

SELF=$(readlink -f "${BASH_SOURCE[0]}")
ROOT=$(dirname "$(dirname "$SELF")")
: "${MP_DRIVER:=$ROOT/build/bench/mp-driver}"
: "${ICMPRING:=$ROOT/build/tools/icmpring}"
: "${ICMPRING_LAB:=$ROOT/tools/icmpring-lab}"
: "${ICMPLIB_DIR:=$(dirname "$0")/../../shared/peers/icmplib-3.0.4}"
: "${BENCH_ROUNDS:=3}"
: "${BENCH_MEM:=1}"
: "${BENCH_ICMPLIB:=1}"
ICMPLIB_DIR=$(readlink -f "$ICMPLIB_DIR" 2>/dev/null || echo "$ICMPLIB_DIR")
export MP_DRIVER ICMPRING ICMPRING_LAB ICMPLIB_DIR BENCH_ROUNDS BENCH_MEM BENCH_ICMPLIB

readonly COUNT=3 INTERVAL=0.01 TIMEOUT=2
readonly NHOSTS=10000
readonly MEM_BASE=2001:db8:1:: MEM_N=1000000
# Per-run bounds: icmplib takes ~26 s, the others a few seconds; the
# memory run ~30 s at 100 kpps.
readonly T_RUN=120 T_MEM=300

die() {
	echo "multiping-bench: $*" >&2
	exit 1
}

install_peers() {
	local -a want=()
	command -v fping >/dev/null || want+=(fping)
	command -v oping >/dev/null || want+=(oping)
	[[ -x /usr/bin/time ]] || want+=(time)
	if (( ${#want[@]} > 0 )); then
		echo "multiping-bench: installing ${want[*]}" >&2
		DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y "${want[@]}" >&2 ||
			die "apt-get install ${want[*]} failed"
	fi
}

outer() {
	(( EUID == 0 )) || die "must run as root (namespaces, raw sockets)"
	[[ -x $MP_DRIVER ]] || die "no $MP_DRIVER: meson setup build --buildtype=release && ninja -C build"
	[[ -x $ICMPRING ]] || die "no $ICMPRING: meson setup build --buildtype=release && ninja -C build"
	[[ -x $ICMPRING_LAB ]] || die "no $ICMPRING_LAB"
	[[ $BENCH_ROUNDS =~ ^[1-9]$ ]] || die "BENCH_ROUNDS must be 1-9"
	if [[ $BENCH_ICMPLIB == 1 ]]; then
		[[ -f $ICMPLIB_DIR/icmplib/multiping.py ]] || die "no icmplib 3.0.4 at $ICMPLIB_DIR"
	fi
	install_peers
	# 5 routers: far (198.19/16) is hop 6.  The outer timeout bounds the
	# whole run; icmpring-lab run turns TERM into a teardown.
	exec timeout -k 30 1800 "$ICMPRING_LAB" run --routers 5 -- bash "$SELF" --in-lab
}

# ---- inside the lab ----------------------------------------------------------

write_targets() {
	awk -v n="$NHOSTS" 'BEGIN {
		j = 0; u = 0
		for (i = 0; i < n; i++) {
			if (i % 100 == 99) {
				if (u < 62) printf "203.0.113.%d\n", 1 + u
				else printf "203.0.113.%d\n", 193 + u - 62
				u++
			} else {
				k = int(j / 2) + 1
				printf "198.%d.%d.%d\n", (j % 2) ? 19 : 18, int(k / 256), k % 256
				j++
			}
		}
	}' >"$WORK/targets"
	[[ $(wc -l <"$WORK/targets") == "$NHOSTS" ]] || die "target list"
	grep -c '^203\.0\.113\.' "$WORK/targets" | grep -qx 100 || die "target list (unreachable)"
}

write_icmplib() {
	cat >"$WORK/multiping.py" <<'PY'
import sys, time
import icmplib
from icmplib import multiping
addrs = [l.strip() for l in open(sys.argv[1]) if l.strip()]
count, interval, timeout = int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
t0 = time.monotonic()
hosts = multiping(addrs, count=count, interval=interval, timeout=timeout,
                  concurrent_tasks=50, privileged=True)
t1 = time.monotonic()
print(f"icmplib {icmplib.__version__} multiping_s {t1 - t0:.3f}", file=sys.stderr)
sys.stdout.write("".join(h.address + "\n" for h in hosts if h.is_alive))
PY
}

TIMEFMT='%e %U %S %M'

# row TOOL ROUND ALIVE_FILE STATUS: appends "tool round wall user sys rss alive status"
row() {
	local tool=$1 r=$2 af=$3 st=$4 e u s m alive
	read -r e u s m < <(tail -n 1 "$WORK/t")
	alive=$(sort -u "$af" | grep -c . || true)
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$tool" "$r" "$e" "$u" "$s" "$m" "$alive" "$st" \
		>>"$WORK/rows.tsv"
	printf 'round %s %-12s wall %7.2f s  cpu %6.2f+%5.2f s  rss %6.1f MB  alive %5s  exit %s\n' \
		"$r" "$tool" "$e" "$u" "$s" "$(awk -v m="$m" 'BEGIN { print m / 1024 }')" "$alive" "$st"
	sort -u "$af" >"$WORK/alive.$tool.$r"
}

run_icmpring() {
	local r=$1 st=0
	timeout -k 5 "$T_RUN" /usr/bin/time -f "$TIMEFMT" -o "$WORK/t" \
		"$MP_DRIVER" -c "$COUNT" -i "$INTERVAL" -W "$TIMEOUT" -a "$WORK/icmpring.$r" \
		"$WORK/targets" >"$WORK/icmpring.$r.out" 2>"$WORK/icmpring.$r.err" || st=$?
	[[ -f $WORK/icmpring.$r ]] || : >"$WORK/icmpring.$r"
	row icmpring "$r" "$WORK/icmpring.$r" "$st"
	sed 's/^/  driver: /' "$WORK/icmpring.$r.out"
	(( st == 0 )) || sed 's/^/  icmpring: /' "$WORK/icmpring.$r.err" >&2
}

run_icmpring_cli() {
	local r=$1 st=0
	# -C: "addr : rtt rtt rtt" per host, '-' for a lost probe (as fping -C);
	# -q: no status line.  Exit 1: some host did not answer.
	timeout -k 5 "$T_RUN" /usr/bin/time -f "$TIMEFMT" -o "$WORK/t" \
		"$ICMPRING" multiping -q -C -c "$COUNT" -i "$INTERVAL" -W "$TIMEOUT" -f "$WORK/targets" \
		>"$WORK/cli.$r.out" 2>"$WORK/cli.$r.err" || st=$?
	awk '$2 == ":" { for (i = 3; i <= NF; i++) if ($i != "-") { print $1; next } }' \
		"$WORK/cli.$r.out" >"$WORK/cli.$r"
	row icmpring-cli "$r" "$WORK/cli.$r" "$st"
	(( st == 0 || st == 1 )) || tail -n 5 "$WORK/cli.$r.err" | sed 's/^/  icmpring-cli: /' >&2
}

run_icmplib() {
	local r=$1 st=0
	PYTHONPATH=$ICMPLIB_DIR timeout -k 5 "$T_RUN" /usr/bin/time -f "$TIMEFMT" -o "$WORK/t" \
		/usr/bin/python3 "$WORK/multiping.py" "$WORK/targets" "$COUNT" "$INTERVAL" "$TIMEOUT" \
		>"$WORK/icmplib.$r" 2>"$WORK/icmplib.$r.err" || st=$?
	row icmplib "$r" "$WORK/icmplib.$r" "$st"
	grep '^icmplib ' "$WORK/icmplib.$r.err" | sed 's/^/  /' || true
	(( st == 0 )) || tail -n 5 "$WORK/icmplib.$r.err" | sed 's/^/  icmplib: /' >&2
}

run_fping() {
	local r=$1 st=0
	# -C 3 -p 10 -i 0 as asked; -q keeps only the -C summary (stderr):
	# "addr : rtt rtt rtt" with "-" for a lost probe.  In count mode fping's
	# timeout defaults to the period (10 ms).  Exit 1: some host is down.
	timeout -k 5 "$T_RUN" /usr/bin/time -f "$TIMEFMT" -o "$WORK/t" \
		fping -C "$COUNT" -p 10 -i 0 -q -f "$WORK/targets" \
		>"$WORK/fping.$r.out" 2>"$WORK/fping.$r.err" || st=$?
	awk '$2 == ":" { for (i = 3; i <= NF; i++) if ($i != "-") { print $1; next } }' \
		"$WORK/fping.$r.err" >"$WORK/fping.$r"
	row fping "$r" "$WORK/fping.$r" "$st"
	(( st == 0 || st == 1 )) || tail -n 5 "$WORK/fping.$r.err" | sed 's/^/  fping: /' >&2
}

run_oping() {
	local r=$1 st=0
	# oping's per-host summary: "--- ADDR ping statistics ---" then
	# "3 packets transmitted, N received, ...".  Its -w (wait for replies
	# per round) stays at the default 1.0 s.
	timeout -k 5 "$T_RUN" /usr/bin/time -f "$TIMEFMT" -o "$WORK/t" \
		oping -c "$COUNT" -i "$INTERVAL" -f "$WORK/targets" \
		>"$WORK/oping.$r.out" 2>"$WORK/oping.$r.err" || st=$?
	awk '/^--- .* ping statistics ---$/ { h = $2; next }
		h != "" && / packets transmitted, / { if ($4 + 0 > 0) print h; h = "" }' \
		"$WORK/oping.$r.out" >"$WORK/oping.$r"
	row oping "$r" "$WORK/oping.$r" "$st"
	(( st == 0 || st == 1 )) || tail -n 5 "$WORK/oping.$r.err" | sed 's/^/  oping: /' >&2
}

median() {
	awk -F'\t' -v t="$1" -v c="$2" '$1 == t { print $c }' "$WORK/rows.tsv" |
		sort -g | awk '{ v[NR] = $1 } END {
			if (NR == 0) { print 0; exit }
			print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

report() {
	local tool r d
	local -a tools=(icmpring icmpring-cli)
	[[ $BENCH_ICMPLIB == 1 ]] && tools+=(icmplib)
	tools+=(fping oping)
	echo
	echo "== multiping of $NHOSTS hosts (9,900 live, 100 unreachable), count $COUNT," \
		"interval $INTERVAL, timeout $TIMEOUT: median of $BENCH_ROUNDS interleaved runs =="
	printf '%-12s %8s %7s %7s %8s %6s\n' tool wall_s user_s sys_s rss_MB alive
	for tool in "${tools[@]}"; do
		awk -v t="$tool" -v w="$(median "$tool" 3)" -v u="$(median "$tool" 4)" \
			-v s="$(median "$tool" 5)" -v m="$(median "$tool" 6)" -v a="$(median "$tool" 7)" \
			'BEGIN { printf "%-12s %8.2f %7.2f %7.2f %8.1f %6d\n", t, w, u, s, m / 1024, a }'
	done
	echo
	echo "Wall-time ratios, peer / icmpring (medians; goals: icmplib >= 50x, fping >= 4x):"
	echo "                 vs the driver   vs the CLI"
	local wi wc
	wi=$(median icmpring 3) wc=$(median icmpring-cli 3)
	for tool in "${tools[@]:2}"; do
		awk -v t="$tool" -v w="$(median "$tool" 3)" -v i="$wi" -v c="$wc" \
			'BEGIN { printf "  %-12s %10.1fx %11.1fx\n", t, (i > 0) ? w / i : 0, (c > 0) ? w / c : 0 }'
	done
	echo
	echo "Alive sets: size of the symmetric difference with icmpring's, same round:"
	for (( r = 1; r <= BENCH_ROUNDS; r++ )); do
		printf '  round %s:' "$r"
		for tool in "${tools[@]:1}"; do
			d=$(comm -3 "$WORK/alive.icmpring.$r" "$WORK/alive.$tool.$r" | wc -l)
			printf '  %s %s' "$tool" "$d"
		done
		printf '  (icmpring-cli vs fping: %s)' \
			"$(comm -3 "$WORK/alive.icmpring-cli.$r" "$WORK/alive.fping.$r" | wc -l)"
		echo
	done
	echo "  icmpring alive set identical across rounds: $(
		for (( r = 2; r <= BENCH_ROUNDS; r++ )); do
			cmp -s "$WORK/alive.icmpring.1" "$WORK/alive.icmpring.$r" || { echo no; exit; }
		done; echo yes)"
	echo "  expected alive set (the 9,900 live lines) vs icmpring round 1:" \
		"$(grep -v '^203\.0\.113\.' "$WORK/targets" | sort -u | comm -3 - "$WORK/alive.icmpring.1" | wc -l)"
	echo
	echo "Every run (tool round wall_s user_s sys_s rss_kB alive exit):"
	sed 's/^/  /' "$WORK/rows.tsv"
}

mem_run() {
	local st=0 e m
	echo
	echo "== memory: icmpring multiping of $MEM_N IPv6 hosts from $MEM_BASE, count $COUNT," \
		"interval $INTERVAL, timeout $TIMEOUT =="
	timeout -k 5 "$T_MEM" /usr/bin/time -f '%e %M' -o "$WORK/tm" \
		"$MP_DRIVER" -c "$COUNT" -i "$INTERVAL" -W "$TIMEOUT" -g "$MEM_BASE" "$MEM_N" \
		>"$WORK/mem.out" 2>"$WORK/mem.err" || st=$?
	read -r e m < <(tail -n 1 "$WORK/tm")
	sed 's/^/  driver: /' "$WORK/mem.out"
	(( st == 0 )) || sed 's/^/  mem: /' "$WORK/mem.err" >&2
	# Goal: peak RSS < 96 bytes/host + 16 MB (MB = 2^20 here, the stricter
	# reading would be 10^6; both are printed).
	awk -v n="$MEM_N" -v m="$m" -v e="$e" -v st="$st" \
		-v inp="$(sed -n 's/.*rss_input_kb=\([0-9]*\).*/\1/p' "$WORK/mem.out")" 'BEGIN {
		b = m * 1024
		printf "  wall %.1f s  peak RSS (GNU time) %d kB = %.1f MiB  exit %d\n", e, m, b / 1048576, st
		printf "  whole process: %.1f bytes/host; (peak - 16 MiB) / hosts = %.1f bytes/host (goal < 96: %s)\n",
			b / n, (b - 16 * 1048576) / n, ((b - 16 * 1048576) / n < 96) ? "met" : "NOT met"
		printf "  (peak - 16 MB) / hosts with MB = 10^6: %.1f bytes/host\n", (b - 16e6) / n
		if (inp > 0)
			printf "  the job alone (peak - RSS with the input array built, %d kB): %.1f bytes/host\n",
				inp, (m - inp) * 1024 / n
	}'
	# The same hosts through the CLI (a file of 1,000,000 lines; output
	# counted, not kept), for its own footprint: names, input-order output.
	awk -v n="$MEM_N" 'BEGIN { for (k = 0; k < n; k++)
		printf "2001:db8:1::%x:%x\n", int(k / 65536), k % 65536 }' >"$WORK/mem.targets"
	st=0
	set +o pipefail
	local lines
	lines=$( { timeout -k 5 "$T_MEM" /usr/bin/time -f '%e %M' -o "$WORK/tc" \
		"$ICMPRING" multiping -q -c "$COUNT" -i "$INTERVAL" -W "$TIMEOUT" -f "$WORK/mem.targets" \
		2>"$WORK/memcli.err"; echo $? >"$WORK/memcli.rc"; } | grep -c ' xmt/rcv/%loss = 3/3/0%')
	set -o pipefail
	st=$(<"$WORK/memcli.rc")
	read -r e m < <(tail -n 1 "$WORK/tc")
	awk -v n="$MEM_N" -v m="$m" -v e="$e" -v st="$st" -v l="$lines" 'BEGIN {
		printf "  CLI (icmpring multiping -q -f FILE): wall %.1f s  peak RSS %d kB = %.1f MiB" \
			"  = %.1f bytes/host; %d hosts 3/3 answered; exit %d\n", e, m, m / 1024, m * 1024 / n, l, st }'
	rm -f "$WORK/mem.targets"
}

in_lab() {
	[[ -n ${ICR_LAB:-} ]] || die "--in-lab is for icmpring-lab run"
	WORK=$(mktemp -d /tmp/multiping-bench.XXXXXX)
	trap 'rm -rf "$WORK"' EXIT
	: >"$WORK/rows.tsv"
	write_targets
	write_icmplib
	echo "multiping-bench: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, kernel $(uname -r)," \
		"lab $ICR_LAB ($ICR_LAB_ROUTERS routers, far at hop $ICR_LAB_HOPS)"
	echo "  load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "  $(fping -v 2>&1 | head -n 1); oping $(dpkg-query -W -f '${Version}' oping 2>/dev/null || echo '?')"
	# Warm up every path once (neighbours, routes) so no tool pays for it.
	ping -c 1 -W 1 198.18.0.1 >/dev/null 2>&1 || true
	ping -c 1 -W 1 198.19.0.1 >/dev/null 2>&1 || true
	ping -6 -c 1 -W 1 2001:db8:1::1 >/dev/null 2>&1 || true

	local r
	for (( r = 1; r <= BENCH_ROUNDS; r++ )); do
		run_icmpring "$r"
		run_icmpring_cli "$r"
		[[ $BENCH_ICMPLIB == 1 ]] && run_icmplib "$r"
		run_fping "$r"
		run_oping "$r"
	done
	report
	[[ $BENCH_MEM == 1 ]] && mem_run
	echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
}

if [[ ${1:-} == --in-lab ]]; then
	in_lab
else
	outer
fi
