#!/bin/bash
# sweep-bench.sh: owns the sweep benchmark -- icmpring sweep side by side
# with zmap, fping and python3-icmplib's multiping over the same /16 in one
# freshly built lab, plus an IPv6 /104 sweep by icmpring alone.  A script,
# not a timed test: the numbers are noisy on a 2-vCPU VM and only mean
# something compared within one run (see bench/README.md).
#
# usage: bench/sweep-bench.sh            (root; installs missing peers with apt)
# env:   ICMPRING      the icmpring binary   (default build-bench/tools/icmpring)
#        ICMPRING_LAB  the lab tool          (default tools/icmpring-lab)
#        BENCH_ROUNDS  interleaved rounds, 1-9 (default 3; the table shows medians)
#        BENCH_V6      1 = also sweep BENCH_V6_NET with icmpring (default 1)
#        BENCH_V6_NET  default 2001:db8:1::/104 (16,777,216 addresses)
#        BENCH_ICMPLIB 1 = include python3-icmplib multiping (default 1)
#        BENCH_ICMPLIB_NET default 198.18.0.0/16 (the same targets as the others)
#        ICMPRING_BEFORE  another icmpring binary (e.g. an older commit's
#                      build) swept in the same rounds as "icmpring-b", right
#                      after icmpring; unset = no such row
#
# Every packet goes to the lab's responder (198.18.0.0/16, 2001:db8:1::/64)
# from inside the lab's prober namespace; every tool runs under timeout(1),
# and icmpring-lab run tears the lab down on every exit path.
set -euo pipefail

SELF=$(readlink -f "${BASH_SOURCE[0]}")
ROOT=$(dirname "$(dirname "$SELF")")
: "${ICMPRING:=$ROOT/build-bench/tools/icmpring}"
: "${ICMPRING_LAB:=$ROOT/tools/icmpring-lab}"
: "${BENCH_ROUNDS:=3}"
: "${BENCH_V6:=1}"
: "${BENCH_V6_NET:=2001:db8:1::/104}"
: "${BENCH_ICMPLIB:=1}"
: "${BENCH_ICMPLIB_NET:=198.18.0.0/16}"
: "${ICMPRING_BEFORE:=}"
export ICMPRING ICMPRING_BEFORE ICMPRING_LAB BENCH_ROUNDS BENCH_V6 BENCH_V6_NET BENCH_ICMPLIB BENCH_ICMPLIB_NET

readonly NET4=198.18.0.0/16
readonly SRC4=192.0.2.1
readonly COOLDOWN=1
# Per-tool bound; a /16 takes 1-10 s here, the /104 about 3-4 minutes.
readonly T_SWEEP=120
readonly T_V6=900

die() {
	echo "sweep-bench: $*" >&2
	exit 1
}

# Only these prefixes may ever be probed (the lab's responder nets).
check_net() {
	case $1 in
	198.18.*/1[6-9] | 198.18.*/2[0-9] | 198.18.*/3[0-2]) ;;
	2001:db8:1::/*)
		local len=${1##*/}
		if ! [[ $len =~ ^[0-9]{2,3}$ ]] || (( 10#$len < 64 || 10#$len > 128 )); then
			die "$1: only 2001:db8:1::/64 or narrower"
		fi
		;;
	*) die "$1: only prefixes inside 198.18.0.0/16 or 2001:db8:1::/64" ;;
	esac
}

# ---- outside the lab: prerequisites, then re-enter in the prober ----------

install_peers() {
	local -a want=()
	command -v zmap >/dev/null || want+=(zmap)
	command -v fping >/dev/null || want+=(fping)
	[[ -x /usr/bin/time ]] || want+=(time)
	if [[ $BENCH_ICMPLIB == 1 ]] &&
		! /usr/bin/python3 -c 'import icmplib' 2>/dev/null; then
		want+=(python3-icmplib)
	fi
	if (( ${#want[@]} > 0 )); then
		echo "sweep-bench: installing ${want[*]}" >&2
		DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y "${want[@]}" >&2 ||
			die "apt-get install ${want[*]} failed"
	fi
}

outer() {
	(( EUID == 0 )) || die "must run as root (namespaces, raw sockets)"
	[[ -x $ICMPRING ]] || die "no $ICMPRING: meson setup build-bench --buildtype=release && ninja -C build-bench"
	[[ -x $ICMPRING_LAB ]] || die "no $ICMPRING_LAB"
	[[ -z $ICMPRING_BEFORE || -x $ICMPRING_BEFORE ]] || die "no $ICMPRING_BEFORE"
	[[ $BENCH_ROUNDS =~ ^[1-9]$ ]] || die "BENCH_ROUNDS must be 1-9"
	check_net "$BENCH_V6_NET"
	check_net "$BENCH_ICMPLIB_NET"
	install_peers
	# One lab for everything; the outer timeout bounds the whole run
	# (icmpring-lab run turns TERM into a teardown).
	exec timeout -k 30 3600 "$ICMPRING_LAB" run --routers 1 -- bash "$SELF" --in-lab
}

# ---- inside the lab ----------------------------------------------------------

# The responder's MAC as the prober sees it: zmap writes Ethernet frames
# itself and needs it (-G).  The lab warms every neighbour up, so the entry
# is there; asking rsp's namespace is the fallback.  (Not /sys/class/net:
# under nsenter that is the sysfs of whichever namespace mounted it.)
responder_mac() {
	local mac
	mac=$(ip neigh show to "$ICR_LAB_RSP4" dev lan | awk '$2 == "lladdr" { print $3; exit }')
	if [[ -z $mac ]]; then
		mac=$(ip -n "$ICR_LAB-rsp" -br link show dev lan | awk '{ print $3 }')
	fi
	[[ $mac =~ ^([0-9a-f]{2}:){5}[0-9a-f]{2}$ ]] || die "cannot find the responder's MAC"
	echo "$mac"
}

# Unique IPv4 addresses of 198.18.0.0/16 in FILE (one address a line).
count_hits4() {
	grep -E '^198\.18\.[0-9]{1,3}\.[0-9]{1,3}$' "$1" | sort -u | wc -l
}

# row TOOL ROUND WALL PPS HITS TARGETS TIMEFILE STATUS: one line of rows.tsv.
# TIMEFILE holds GNU time's "%e %U %S %M" as its last line.
row() {
	local tool=$1 round=$2 pps=$3 hits=$4 targets=$5 tf=$6 status=$7
	local e u s m
	read -r e u s m < <(tail -n 1 "$tf")
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
		"$tool" "$round" "$e" "$pps" "$hits" "$targets" "$u" "$s" "$m" "$status" \
		>>"$WORK/rows.tsv"
	printf 'round %s %-10s wall %6.2f s  send %8.0f pps  hits %6s/%s  cpu %5.2f+%4.2f s  rss %6.1f MB  exit %s\n' \
		"$round" "$tool" "$e" "$pps" "$hits" "$targets" "$u" "$s" \
		"$(awk -v m="$m" 'BEGIN { print m / 1024 }')" "$status"
}

# GNU time writes its own line; "Command exited with non-zero status N"
# comes before it, hence tail -n 1 above.
TIMEFMT='%e %U %S %M'

# run_icmpring ROUND [NAME BINARY]: NAME defaults to icmpring, BINARY to $ICMPRING
run_icmpring() {
	local r=$1 name=${2:-icmpring} bin=${3:-$ICMPRING} st=0 pps
	# No -q: the summary (stderr) is where icmpring reports its send rate.
	timeout -k 5 "$T_SWEEP" /usr/bin/time -f "$TIMEFMT" -o "$WORK/t" \
		"$bin" sweep --rate 0 --cooldown "$COOLDOWN" "$NET4" \
		-o "$WORK/$name.$r" 2>"$WORK/$name.$r.err" || st=$?
	pps=$(sed -n 's/.*send rate \([0-9.]*\) pps.*/\1/p' "$WORK/$name.$r.err" | tail -n 1)
	row "$name" "$r" "${pps:-0}" "$(count_hits4 "$WORK/$name.$r")" 65534 "$WORK/t" "$st"
	(( st == 0 )) || sed "s/^/  $name: /" "$WORK/$name.$r.err" >&2
}

run_zmap() {
	local r=$1 st=0 pps
	# -r 0: no rate limit in zmap 2.1.1 (metadata "rate": 0).  zmap sends
	# raw frames through its own packet socket, so it needs the next hop's
	# MAC (-G) and an explicit source; its built-in blocklist excludes all
	# of 198.18/15, so -b names our own (see blocklist below).
	timeout -k 5 "$T_SWEEP" /usr/bin/time -f "$TIMEFMT" -o "$WORK/t" \
		zmap -M icmp_echoscan -r 0 -b "$WORK/blocklist" -G "$RSP_MAC" \
		-i lan -S "$SRC4" --cooldown-time "$COOLDOWN" \
		-o "$WORK/zmap.$r" -m "$WORK/zmap.$r.json" "$NET4" \
		2>"$WORK/zmap.$r.err" || st=$?
	# The last status line: "send: 65534 done (71.4 Kp/s avg)"; the
	# metadata's send times have one-second resolution, too coarse here.
	pps=$(sed -n 's/.*send: [0-9]* done (\([0-9.]*\) \([KMG]*\)p\/s avg).*/\1 \2/p' \
		"$WORK/zmap.$r.err" | tail -n 1 |
		awk '{ f = 1; if ($2 == "K") f = 1e3; else if ($2 == "M") f = 1e6; else if ($2 == "G") f = 1e9; print $1 * f }')
	row zmap "$r" "${pps:-0}" "$(count_hits4 "$WORK/zmap.$r")" 65534 "$WORK/t" "$st"
	(( st == 0 )) || sed 's/^/  zmap: /' "$WORK/zmap.$r.err" >&2
}

run_fping() {
	local r=$1 st=0 wall
	# -g expands the CIDR without network and broadcast (65,534 targets,
	# under fping's 65,535 cap); -i 0 no gap between probes; -r 0 no
	# retries; -t 1000 waits as long as the others' 1 s cooldown (fping
	# exits as soon as every target has answered, so it costs nothing when
	# none is lost).  Exit 1 only means some target did not answer.
	timeout -k 5 "$T_SWEEP" /usr/bin/time -f "$TIMEFMT" -o "$WORK/t" \
		fping -g "$NET4" -i 0 -r 0 -t $(( COOLDOWN * 1000 )) -q -a \
		>"$WORK/fping.$r" 2>"$WORK/fping.$r.err" || st=$?
	# fping prints no rate: probes / wall time, which includes its wait
	# for the last replies.
	read -r wall _ < <(tail -n 1 "$WORK/t")
	row fping "$r" "$(awk -v w="$wall" 'BEGIN { print (w > 0) ? 65534 / w : 0 }')" \
		"$(count_hits4 "$WORK/fping.$r")" 65534 "$WORK/t" "$st"
	(( st == 0 || st == 1 )) || sed 's/^/  fping: /' "$WORK/fping.$r.err" >&2
}

run_icmplib() {
	local r=$1 st=0 pps targets
	timeout -k 5 "$T_SWEEP" /usr/bin/time -f "$TIMEFMT" -o "$WORK/t" \
		/usr/bin/python3 "$WORK/multiping.py" "$BENCH_ICMPLIB_NET" "$COOLDOWN" \
		>"$WORK/icmplib.$r" 2>"$WORK/icmplib.$r.err" || st=$?
	pps=$(sed -n 's/^send_pps \([0-9.]*\)$/\1/p' "$WORK/icmplib.$r.err")
	targets=$(sed -n 's/^targets \([0-9]*\)$/\1/p' "$WORK/icmplib.$r.err")
	row icmplib "$r" "${pps:-0}" "$(count_hits4 "$WORK/icmplib.$r")" "${targets:-0}" "$WORK/t" "$st"
	(( st == 0 )) || sed 's/^/  icmplib: /' "$WORK/icmplib.$r.err" >&2
}

# multiping() of Debian's icmplib 2.1.1 sends every request from one
# thread (sleep(interval) after each), then collects the replies that a
# reader thread buffered.  Its send phase is timed by wrapping that sleep:
# from the first call to the last.
write_multiping() {
	cat >"$WORK/multiping.py" <<'PY'
import ipaddress, sys, time
from icmplib import multiping
# The package re-exports ping(), hiding the submodule's name.
P = sys.modules['icmplib.ping']

net = ipaddress.ip_network(sys.argv[1])
timeout = float(sys.argv[2])
addrs = [str(a) for a in net.hosts()]
marks = []
_sleep = P.sleep
def timed_sleep(s):
    marks.append(time.monotonic())
    _sleep(s)
P.sleep = timed_sleep
hosts = multiping(addrs, count=1, interval=0, timeout=timeout, privileged=True)
send = marks[-1] - marks[0] if len(marks) > 1 else 0.0
print(f"targets {len(addrs)}", file=sys.stderr)
print(f"send_pps {len(addrs) / send if send > 0 else 0:.0f}", file=sys.stderr)
sys.stdout.write("".join(h.address + "\n" for h in hosts if h.is_alive))
PY
}

# median of column C for TOOL from rows.tsv
median() {
	awk -F'\t' -v t="$1" -v c="$2" '$1 == t { print $c }' "$WORK/rows.tsv" |
		sort -g | awk '{ v[NR] = $1 } END {
			if (NR == 0) { print 0; exit }
			print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

report() {
	local tool wall pps hits tg u s m cpu
	local -a tools=(icmpring)
	[[ -n $ICMPRING_BEFORE ]] && tools+=(icmpring-b)
	tools+=(zmap fping)
	[[ $BENCH_ICMPLIB == 1 ]] && tools+=(icmplib)
	echo
	echo "== IPv4 sweep of $NET4 (65,534 targets), median of $BENCH_ROUNDS interleaved runs =="
	printf '%-10s %8s %10s %7s %8s %7s %7s %11s %8s\n' \
		tool wall_s send_pps hits hits_% user_s sys_s cpu_us/probe rss_MB
	: >"$WORK/medians"
	for tool in "${tools[@]}"; do
		wall=$(median "$tool" 3) pps=$(median "$tool" 4) hits=$(median "$tool" 5)
		tg=$(median "$tool" 6) u=$(median "$tool" 7) s=$(median "$tool" 8)
		m=$(median "$tool" 9)
		# CPU per probe from each run's own user+sys, then the median.
		cpu=$(awk -F'\t' -v t="$tool" '$1 == t && $6 > 0 { print ($7 + $8) / $6 * 1e6 }' \
			"$WORK/rows.tsv" | sort -g |
			awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
		printf '%s %s %s %s %s %s %s\n' "$tool" "$wall" "$pps" "$cpu" "$m" "$hits" "$tg" >>"$WORK/medians"
		awk -v t="$tool" -v w="$wall" -v p="$pps" -v h="$hits" -v g="$tg" -v u="$u" \
			-v s="$s" -v c="$cpu" -v m="$m" 'BEGIN {
			printf "%-10s %8.2f %10.0f %7d %8.2f %7.2f %7.2f %11.2f %8.1f\n",
				t, w, p, h, (g > 0) ? 100 * h / g : 0, u, s, c, m / 1024 }'
	done
	echo
	echo "Ratios against icmpring (medians; >1 means the peer is higher):"
	awk 'NR == 1 { w = $2; p = $3; c = $4; m = $5; next }
		{ printf "  %-10s send rate %5.2fx   wall %5.2fx   CPU per probe %5.2fx   peak RSS %5.2fx\n",
			$1 "/icmpring", (p > 0) ? $3 / p : 0, (w > 0) ? $2 / w : 0,
			(c > 0) ? $4 / c : 0, (m > 0) ? $5 / m : 0 }' "$WORK/medians"
	echo
	echo "Every run (tool round wall_s send_pps hits targets user_s sys_s rss_kB exit):"
	sed 's/^/  /' "$WORK/rows.tsv"
}

# sweep_v6 [NAME BINARY]: NAME defaults to icmpring, BINARY to $ICMPRING
sweep_v6() {
	local name=${1:-icmpring} bin=${2:-$ICMPRING}
	local st=0 pps hits lines e u s m
	echo
	echo "== IPv6 sweep of $BENCH_V6_NET by $name alone =="
	# Written to a pipe, not a file: 16.7M lines would be ~400 MB.  The
	# line count is checked against the summary's hit count.
	set +o pipefail
	lines=$( { timeout -k 5 "$T_V6" /usr/bin/time -f "$TIMEFMT" -o "$WORK/t6" \
		"$bin" sweep --rate 0 --cooldown "$COOLDOWN" "$BENCH_V6_NET" \
		2>"$WORK/v6.err"; echo $? >"$WORK/v6.rc"; } | wc -l)
	set -o pipefail
	st=$(<"$WORK/v6.rc")
	pps=$(sed -n 's/.*send rate \([0-9.]*\) pps.*/\1/p' "$WORK/v6.err" | tail -n 1)
	hits=$(sed -n 's/.* probes sent of [0-9]*, \([0-9]*\) hits.*/\1/p' "$WORK/v6.err" | tail -n 1)
	read -r e u s m < <(tail -n 1 "$WORK/t6")
	sed 's/^/  /' "$WORK/v6.err"
	awk -v n="${BENCH_V6_NET##*/}" -v e="$e" -v p="${pps:-0}" -v h="${hits:-0}" \
		-v l="$lines" -v u="$u" -v s="$s" -v m="$m" -v st="$st" 'BEGIN {
		t = 2 ^ (128 - n)
		printf "targets %d  wall %.1f s  send %.0f pps  hits %d (%.3f%%), %d lines out\n",
			t, e, p, h, 100 * h / t, l
		printf "user %.2f s  sys %.2f s  cpu %.2f us/probe  peak RSS %.1f MB (target <= 32 MB: %s)  exit %d\n",
			u, s, (u + s) / t * 1e6, m / 1024, (m <= 32768) ? "met" : "MISSED", st }'
}

in_lab() {
	[[ -n ${ICR_LAB:-} ]] || die "--in-lab is for icmpring-lab run"
	WORK=$(mktemp -d /tmp/sweep-bench.XXXXXX)
	trap 'rm -rf "$WORK"' EXIT
	RSP_MAC=$(responder_mac)
	# zmap's blocklist: everything outside is excluded by the target
	# argument already; these two make zmap's target set the same 65,534
	# addresses as fping -g and icmpring (which drop network/broadcast).
	printf '198.18.0.0/32\n198.18.255.255/32\n' >"$WORK/blocklist"
	: >"$WORK/rows.tsv"
	write_multiping

	echo "sweep-bench: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, kernel $(uname -r), lab $ICR_LAB" \
		"(responder MAC $RSP_MAC)"
	# The machine may be shared: the load says how quiet it was.
	echo "  load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "  icmpring $("$ICMPRING" --version 2>&1 | head -n 1)"
	[[ -n $ICMPRING_BEFORE ]] && echo "  icmpring-b: $ICMPRING_BEFORE"
	echo "  $(zmap --version 2>&1 | head -n 1); $(fping -v 2>&1 | head -n 1)"
	[[ $BENCH_ICMPLIB == 1 ]] &&
		echo "  python3-icmplib $(dpkg-query -W -f '${Version}' python3-icmplib 2>/dev/null || echo '?')"

	# Interleaved, so a slow spell of the VM hits every tool alike.
	local r
	for (( r = 1; r <= BENCH_ROUNDS; r++ )); do
		run_icmpring "$r"
		[[ -n $ICMPRING_BEFORE ]] && run_icmpring "$r" icmpring-b "$ICMPRING_BEFORE"
		run_zmap "$r"
		run_fping "$r"
		[[ $BENCH_ICMPLIB == 1 ]] && run_icmplib "$r"
	done
	report
	if [[ $BENCH_V6 == 1 ]]; then
		sweep_v6
		[[ -n $ICMPRING_BEFORE ]] && sweep_v6 icmpring-b "$ICMPRING_BEFORE"
	fi
	echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
}

if [[ ${1:-} == --in-lab ]]; then
	in_lab
else
	outer
fi
