#!/bin/bash
# rate-cpu.sh: owns issue 10's "CPU per probe at most 0.6x zmap's at the
# same rate": icmpring's AF_PACKET sweep and zmap 2.1.1 send the same
# probes (198.18.0.0/15 x 4 = 524,288) into a sink namespace that drops
# every frame at netdev ingress (the sink of packet-bench.sh part A), at
# the same send rate: zmap runs at -r R (its rate counts targets, so with
# -P 4 it sends about 4R probes a second), its real send rate is measured
# on the wire, and icmpring then runs with --rate set to that measured
# rate.  Both rates are printed, so a mismatch shows.  CPU per probe is
# user + sys (GNU time) / probes the sink counted.  Rounds alternate the
# tools; medians are shown.
#
# usage: bench/rate-cpu.sh            (root; needs zmap, nft, time)
# env:   ICMPRING     default build-bench/tools/icmpring
#        PKT_SENDER   default build-bench/bench/pkt-sender (its --watch
#                     mode measures the send rate, as in packet-bench.sh)
#        RATE_ROUNDS  rounds, 1-9 (default 3)
#        ZMAP_RATES   zmap -r values (default "25000 62500 125000 250000":
#                     about 100k, 250k, 500k and 1M probes a second)
#        SENDERS      sender counts to run (default "1 2": --senders N and
#                     zmap -T N)
#
# Only 198.18.0.0/15 and 192.0.2.0/24 are addressed, only inside the two
# namespaces made here, which are deleted on every exit path; every run is
# bounded by timeout(1).
set -euo pipefail

SELF=$(readlink -f "${BASH_SOURCE[0]}")
ROOT=$(dirname "$(dirname "$SELF")")
: "${ICMPRING:=$ROOT/build-bench/tools/icmpring}"
: "${PKT_SENDER:=$ROOT/build-bench/bench/pkt-sender}"
: "${RATE_ROUNDS:=3}"
: "${ZMAP_RATES:=25000 62500 125000 250000}"
: "${SENDERS:=1 2}"
die() { echo "rate-cpu: $*" >&2; exit 1; }
(( EUID == 0 )) || die "must run as root (namespaces, packet sockets)"
[[ -x $ICMPRING ]] || die "no $ICMPRING: meson setup build-bench --buildtype=release && ninja -C build-bench"
[[ -x $PKT_SENDER ]] || die "no $PKT_SENDER"
[[ $RATE_ROUNDS =~ ^[1-9]$ ]] || die "RATE_ROUNDS must be 1-9"
for r in $ZMAP_RATES; do [[ $r =~ ^[1-9][0-9]{3,6}$ ]] || die "ZMAP_RATES: 1000-9999999 each, not $r"; done
for n in $SENDERS; do [[ $n =~ ^[12]$ ]] || die "SENDERS: 1 or 2 each, not $n"; done
command -v zmap >/dev/null && [[ -x /usr/bin/time ]] && command -v nft >/dev/null ||
	die "needs zmap, time and nftables (apt-get install zmap time nftables)"

# shellcheck source=bench/sink-lib.sh
. "$ROOT/bench/sink-lib.sh"
NS="icrrc$$"
WORK=$(mktemp -d)
sink_start "$NS" "$WORK" || die "no sink"
kmac=$SINK_MAC
sink() {
	sink_count "$NS"
}
# zmap's blocklist must exist and be empty (its default one excludes 198.18/15).
: >"$WORK/blocklist"

# run TOOL ROUND SENDERS ZRATE CMD...: one run, watched; appends
# "TOOL SENDERS ZRATE ROUND pps us_per_probe" to $WORK/rows and sets LAST_PPS.
LAST_PPS=0
run() {
	local tool=$1 round=$2 n=$3 zr=$4 before after u s st=0
	shift 4
	before=$(sink)
	ip netns exec "${NS}s" "$PKT_SENDER" --watch d0 150 >"$WORK/watch" &
	sleep 0.2
	timeout -k 5 150 /usr/bin/time -f '%U %S' -o "$WORK/t" \
		ip netns exec "${NS}s" "$@" >/dev/null 2>"$WORK/err" || st=$?
	wait
	after=$(sink)
	# icmpring exits 1 when nothing answered, which the sink guarantees.
	(( st <= 1 )) || { echo "$tool exited $st:" >&2; tail -n 5 "$WORK/err" >&2; exit 1; }
	read -r u s < <(tail -n 1 "$WORK/t")
	local probes=$(( after - before ))
	(( probes > 0 )) || die "$tool: the sink counted nothing"
	LAST_PPS=$(sed -n 's/.*: \([0-9]*\) pps$/\1/p' "$WORK/watch")
	[[ -n $LAST_PPS ]] || die "$tool: no rate watched"
	awk -v t="$tool" -v n="$n" -v z="$zr" -v r="$round" -v p="$LAST_PPS" -v u="$u" -v s="$s" -v k="$probes" \
		'BEGIN { printf "%s %s %s %s %s %.4f\n", t, n, z, r, p, (u + s) * 1e6 / k }' | tee -a "$WORK/rows"
}

echo "# rate-cpu $(date -u +%Y-%m-%dT%H:%MZ) $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# $ICMPRING: $("$ICMPRING" --version 2>/dev/null | head -n 1)"
echo "# row: tool senders zmap_-r round send_pps cpu_us_per_probe"
for (( round = 1; round <= RATE_ROUNDS; round++ )); do
	for zr in $ZMAP_RATES; do
		for n in $SENDERS; do
			run zmap "$round" "$n" "$zr" zmap -M icmp_echoscan -r "$zr" -P 4 -b "$WORK/blocklist" \
				-G "$kmac" -i d0 -S 192.0.2.1 --cooldown-time 0 -o /dev/null --disable-syslog \
				-T "$n" 198.18.0.0/15
			run icmpring "$round" "$n" "$zr" "$ICMPRING" sweep 198.18.0.0/15 -c 4 --interval 0 \
				--rate "$LAST_PPS" --cooldown 0 --transport packet --senders "$n" -o /dev/null -q
		done
	done
done

med() { # TOOL SENDERS ZRATE COLUMN
	awk -v t="$1" -v n="$2" -v z="$3" -v c="$4" '$1 == t && $2 == n && $3 == z { print $c }' "$WORK/rows" |
		sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
echo
echo "medians of $RATE_ROUNDS: send rate (pps, watched on the wire) and CPU per probe (us)"
printf '%-8s %-9s %12s %12s %10s %10s %8s\n' senders "zmap -r" "zmap pps" "icmpring pps" "zmap cpu" "icr cpu" "icr/zmap"
for n in $SENDERS; do
	for zr in $ZMAP_RATES; do
		zp=$(med zmap "$n" "$zr" 5) ip=$(med icmpring "$n" "$zr" 5)
		zc=$(med zmap "$n" "$zr" 6) ic=$(med icmpring "$n" "$zr" 6)
		awk -v n="$n" -v zr="$zr" -v zp="$zp" -v ip="$ip" -v zc="$zc" -v ic="$ic" 'BEGIN {
			printf "%-8s %-9s %12.0f %12.0f %10.3f %10.3f %8.2f\n", n, zr, zp, ip, zc, ic, ic / zc }'
	done
done
echo "goal: CPU per probe at most 0.6x zmap's at the same rate"
echo "# load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
