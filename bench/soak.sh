#!/bin/bash
# soak.sh: a leak soak of the library.  bench/soak-driver runs sweeps,
# multipings and traceroutes back to back in ONE process until a deadline
# (a sweep of 198.18.0.0/20, a multiping of 1,000 hosts of 198.18.16.1.. with
# count 3, a traceroute of 198.19.0.0/26 six hops away; every result checked:
# all alive, every route complete).  Every SOAK_INTERVAL seconds this script
# asks the driver to pause between two iterations (SIGUSR1; the driver
# answers "pause N" and waits for SIGUSR2), reads its VmRSS
# (/proc/PID/status) and open descriptors (/proc/PID/fd) while no job
# exists, and lets it go on.  At the end it prints the curve and fails
# (exit 1) when:
#   - the driver counted a failed check or error (or did not exit 0),
#   - RSS grew by more than SOAK_RSS_SLACK_KB over the baseline (the larger
#     of the first two samples: the first jobs warm malloc's arenas up),
#   - the descriptor count ever differs from the first sample's.
#
# usage: bench/soak.sh                       (root)
# env:   SOAK_SECONDS       how long the driver loops (default 600, 20-7200)
#        SOAK_INTERVAL      seconds between samples (default 60; 10 when
#                           SOAK_SECONDS < 300)
#        SOAK_RSS_SLACK_KB  allowed RSS growth (default 1024)
#        SOAK_DRIVER        the driver (default build/bench/soak-driver)
#        ICMPRING_LAB       the lab tool (default tools/icmpring-lab)
#
# Every packet goes to the lab (198.18/16 on rsp, 198.19/16 on far behind
# 5 routers) from inside the prober namespace; the driver stops itself at
# its deadline, this script kills it 120 s after that at the latest, and the
# whole run is under an outer timeout; the lab is deleted on every exit path
# (icmpring-lab run).
set -euo pipefail

SELF=$(readlink -f "${BASH_SOURCE[0]}")
ROOT=$(dirname "$(dirname "$SELF")")
: "${SOAK_DRIVER:=$ROOT/build/bench/soak-driver}"
: "${ICMPRING_LAB:=$ROOT/tools/icmpring-lab}"
: "${SOAK_SECONDS:=600}"
: "${SOAK_RSS_SLACK_KB:=1024}"
if [[ -z ${SOAK_INTERVAL:-} ]]; then
	if [[ $SOAK_SECONDS =~ ^[0-9]+$ ]] && (( SOAK_SECONDS < 300 )); then
		SOAK_INTERVAL=10
	else
		SOAK_INTERVAL=60
	fi
fi
export SOAK_DRIVER ICMPRING_LAB SOAK_SECONDS SOAK_INTERVAL SOAK_RSS_SLACK_KB

die() {
	echo "soak: $*" >&2
	exit 1
}

outer() {
	(( EUID == 0 )) || die "must run as root (namespaces, raw sockets)"
	[[ -x $SOAK_DRIVER ]] || die "no $SOAK_DRIVER: meson setup build && ninja -C build"
	[[ -x $ICMPRING_LAB ]] || die "no $ICMPRING_LAB"
	[[ $SOAK_SECONDS =~ ^[0-9]+$ ]] && (( SOAK_SECONDS >= 20 && SOAK_SECONDS <= 7200 )) ||
		die "SOAK_SECONDS must be 20-7200"
	[[ $SOAK_INTERVAL =~ ^[0-9]+$ ]] && (( SOAK_INTERVAL >= 1 && SOAK_INTERVAL <= 3600 )) ||
		die "SOAK_INTERVAL must be 1-3600"
	[[ $SOAK_RSS_SLACK_KB =~ ^[0-9]+$ ]] || die "SOAK_RSS_SLACK_KB must be a number"
	exec timeout -k 30 $(( SOAK_SECONDS + 300 )) "$ICMPRING_LAB" run --routers 5 -- \
		bash "$SELF" --in-lab
}

# ---- inside the lab ----------------------------------------------------------

DPID=

cleanup() {
	if [[ -n $DPID ]] && kill -0 "$DPID" 2>/dev/null; then
		kill -KILL "$DPID" 2>/dev/null || true
	fi
	rm -rf "$WORK"
}

pauses() {
	grep -c '^pause ' "$WORK/out" || true
}

# sample ELAPSED: pause the driver, read /proc, resume; appends to samples.
sample() {
	local before n i rss fds iter
	before=$(pauses)
	kill -USR1 "$DPID" 2>/dev/null || return 1
	for (( i = 0; i < 600; i++ )); do
		n=$(pauses)
		(( n > before )) && break
		kill -0 "$DPID" 2>/dev/null || return 1
		sleep 0.1
	done
	(( n > before )) || { echo "soak: the driver did not pause within 60 s" >&2; return 1; }
	rss=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$DPID/status")
	fds=$(find "/proc/$DPID/fd" -mindepth 1 -maxdepth 1 | wc -l)
	iter=$(grep '^pause ' "$WORK/out" | tail -n 1 | cut -d' ' -f2)
	if [[ ! -s $WORK/fds0 ]]; then
		ls -l "/proc/$DPID/fd" >"$WORK/fds0"
	elif [[ $fds != $(tail -n 1 "$WORK/samples" | cut -f3) ]]; then
		echo "soak: descriptors at ${1}s:" >&2
		ls -l "/proc/$DPID/fd" >&2
	fi
	kill -USR2 "$DPID" 2>/dev/null || true
	printf '%s\t%s\t%s\t%s\n' "$1" "$rss" "$fds" "$iter" >>"$WORK/samples"
	printf 'sample t=%4ss  rss=%6s kB  fds=%3s  iterations=%s\n' "$1" "$rss" "$fds" "$iter"
}

in_lab() {
	[[ -n ${ICR_LAB:-} ]] || die "--in-lab is for icmpring-lab run"
	WORK=$(mktemp -d /tmp/icr-soak.XXXXXX)
	trap cleanup EXIT
	: >"$WORK/samples"
	echo "soak: lab $ICR_LAB ($ICR_LAB_ROUTERS routers, far at hop $ICR_LAB_HOPS);" \
		"${SOAK_SECONDS}s, a sample every ${SOAK_INTERVAL}s, RSS slack ${SOAK_RSS_SLACK_KB} kB"
	"$SOAK_DRIVER" -d "$SOAK_SECONDS" -H "$ICR_LAB_HOPS" >"$WORK/out" 2>"$WORK/err" &
	DPID=$!
	local start=$SECONDS next=$SOAK_INTERVAL st=0
	while kill -0 "$DPID" 2>/dev/null; do
		if (( SECONDS - start > SOAK_SECONDS + 120 )); then
			echo "soak: the driver overran its deadline by 120 s: killed" >&2
			kill -KILL "$DPID"
			break
		fi
		if (( SECONDS - start >= next )); then
			sample $(( SECONDS - start )) || true
			next=$(( next + SOAK_INTERVAL ))
		fi
		sleep 0.5
	done
	wait "$DPID" || st=$?
	DPID=
	local fails
	fails=$(grep -c 'fail=[1-9]' "$WORK/out" || true)
	if [[ -s $WORK/err ]]; then
		echo "soak: driver stderr (first 20 lines):"
		head -n 20 "$WORK/err"
	fi
	if (( fails > 0 )); then
		echo "soak: iterations with failed checks (first 10):"
		grep 'fail=[1-9]' "$WORK/out" | head -n 10
	fi
	tail -n 1 "$WORK/out" | sed 's/^/soak: driver: /'
	echo "soak: curve (seconds, VmRSS kB, open fds, iterations done):"
	awk -F'\t' '{ printf "  %5s  %7s  %3s  %5s\n", $1, $2, $3, $4 }' "$WORK/samples"
	local verdict
	verdict=$(awk -F'\t' -v slack="$SOAK_RSS_SLACK_KB" '
		NR == 1 { fd0 = $3; base = $2 }
		NR == 2 && $2 > base { base = $2 }
		{ if ($3 != fd0) fdbad = fdbad " " $1 "s:" $3; if ($2 > max) max = $2; last = $2; n = NR }
		END {
			if (n < 3) { print "FAIL only " n " samples (need 3)"; exit }
			grow = max - base
			msg = sprintf("rss baseline %d kB, max %d kB, last %d kB (growth %d kB, slack %d); fds %d",
				base, max, last, grow, slack, fd0)
			if (fdbad != "") print "FAIL " msg "; fd count changed at" fdbad
			else if (grow > slack) print "FAIL " msg
			else print "ok " msg
		}' "$WORK/samples")
	echo "soak: $verdict"
	(( st == 0 )) || { echo "soak: FAIL: the driver exited $st"; return 1; }
	[[ $verdict == ok* ]] || return 1
	echo "soak: PASS"
}

if [[ ${1:-} == --in-lab ]]; then
	in_lab
else
	outer
fi
