#!/bin/bash
# flow-bench.sh: owns the flow-control run of issue 7 -- a 1,048,576-target
# IPv6 `icmpring multiping -c 1 --rate 0` whose replies lab-relay holds for
# 20 ms, in a freshly built lab.  It prints what the tool received, what it
# reports the kernel dropped, and what the relay says it delivered, and fails
# unless received + reported drops = delivered exactly (no reply lost
# silently).  A script, not a timed test (bench/README.md has the numbers);
# tests/lab-relay-tests.c test_flow_control_v6 is its 65,536-host twin
# under meson test.
#
# usage: bench/flow-bench.sh          (root)
# env:   ICMPRING      the CLI          (default build/tools/icmpring)
#        ICMPRING_LAB  the lab tool     (default tools/icmpring-lab)
#        ICR_RELAY     lab-relay        (default build/tests/lab-relay)
#        FLOW_N        targets, 1-1048576 (default 1048576: all of
#                      2001:db8:1::200:0/108, the relayed prefix)
#        FLOW_DELAY    the relay's reply delay in ms (default 20)
#        FLOW_AS       "root" (default) or "nobody": a setcap cap_net_raw+ep
#                      copy run as uid 65534 (SO_RCVBUF capped by rmem_max)
#        FLOW_RMEM     with FLOW_AS=nobody: net.core.rmem_max for the run
#                      (a machine-wide sysctl: saved, set, and restored on
#                      every exit path); default: left as it is
# Bounded: the tool runs under timeout(1) (300 s), the relay ends by itself
# after 360 s, and the lab is deleted on every exit path (icmpring-lab run).
set -euo pipefail

SELF=$(readlink -f "${BASH_SOURCE[0]}")
ROOT=$(dirname "$(dirname "$SELF")")
: "${ICMPRING:=$ROOT/build/tools/icmpring}"
: "${ICMPRING_LAB:=$ROOT/tools/icmpring-lab}"
: "${ICR_RELAY:=$ROOT/build/tests/lab-relay}"
: "${FLOW_N:=1048576}"
: "${FLOW_DELAY:=20}"
: "${FLOW_AS:=root}"
export ICMPRING ICMPRING_LAB ICR_RELAY FLOW_N FLOW_DELAY FLOW_AS
readonly T_RUN=300 T_RELAY=360

die() {
	echo "flow-bench: $*" >&2
	exit 1
}

if [[ ${1:-} != --inner ]]; then
	[[ $(id -u) == 0 ]] || die "needs root (network namespaces)"
	[[ -x $ICMPRING && -x $ICR_RELAY ]] || die "build first: $ICMPRING, $ICR_RELAY"
	[[ -x /usr/bin/time ]] || die "needs /usr/bin/time (apt-get install time)"
	[[ $FLOW_N =~ ^[0-9]+$ ]] && (( FLOW_N >= 1 && FLOW_N <= 1048576 )) ||
		die "FLOW_N wants 1-1048576, not '$FLOW_N'"
	[[ $FLOW_AS == root || $FLOW_AS == nobody ]] || die "FLOW_AS wants root or nobody"
	if [[ -z ${FLOW_RMEM:-} ]]; then
		exec "$ICMPRING_LAB" run --routers 1 -- bash "$SELF" --inner
	fi
	[[ $FLOW_RMEM =~ ^[0-9]+$ && $FLOW_AS == nobody ]] ||
		die "FLOW_RMEM wants a number of bytes, with FLOW_AS=nobody"
	saved=$(cat /proc/sys/net/core/rmem_max)
	trap 'sysctl -qw net.core.rmem_max="$saved"' EXIT
	trap 'exit 130' INT TERM HUP
	sysctl -qw net.core.rmem_max="$FLOW_RMEM"
	"$ICMPRING_LAB" run --routers 1 -- bash "$SELF" --inner
	exit
fi

# ---- inside the prober namespace ----------------------------------------
W=$(mktemp -d)
chmod 755 "$W"
relay_up=
cleanup() {
	[[ -n $relay_up ]] && "$ICR_LAB_BIN" relay "$ICR_LAB" off >/dev/null 2>&1
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

awk -v n="$FLOW_N" 'BEGIN { for (i = 0; i < n; i++)
	printf "2001:db8:1::%x:%x\n", 512 + int(i / 65536), i % 65536 }' >"$W/targets"
chmod 644 "$W/targets"
bin=$ICMPRING
pre=()
if [[ $FLOW_AS == nobody ]]; then
	cp "$ICMPRING" "$W/icmpring"
	chmod 755 "$W/icmpring"
	setcap cap_net_raw+ep "$W/icmpring" || die "setcap failed"
	bin=$W/icmpring
	pre=(setpriv --reuid=65534 --regid=65534 --clear-groups)
fi

"$ICR_LAB_BIN" relay "$ICR_LAB" --delay "$FLOW_DELAY" --queue 262144 --seed 1 \
	--log "$W/relay.log" --seconds "$T_RELAY" on
relay_up=1
cmd=(multiping -c 1 -i 0 -W 30 --rate 0 -f "$W/targets")
echo "flow-bench: $(date -u '+%F %T') UTC, load $(cut -d' ' -f1-3 /proc/loadavg)," \
	"rmem_max $(cat /proc/sys/net/core/rmem_max), as $FLOW_AS:" \
	"icmpring ${cmd[*]/$W\/targets/FILE} ($FLOW_N hosts, relay --delay $FLOW_DELAY)"
rc=0
"${pre[@]}" /usr/bin/time -f 'maxrss_kb=%M wall=%e' timeout -k 5 "$T_RUN" \
	"$bin" "${cmd[@]}" >"$W/out" 2>"$W/err" </dev/null || rc=$?
# What the TUN devices dropped (the relay did not read it in time), before
# 'relay off' deletes them.
tun_drops() { # NODE: dropped packets queued toward the relay
	"$ICR_LAB_BIN" exec "$ICR_LAB" "$1" -- ip -s -o link show rly |
		awk '{ for (i = 1; i <= NF; i++) if ($i == "TX:") { print $(i + 11); exit } }'
}
prb_drop=$(tun_drops prb || echo '?')
rsp_drop=$(tun_drops rsp || echo '?')
"$ICR_LAB_BIN" relay "$ICR_LAB" off
relay_up=

count() { sed -nE "s/^count $1 ([0-9]+)$/\\1/p" "$W/relay.log"; }
sent=$(sed -nE 's/^([0-9]+) probes sent of.*/\1/p' "$W/err")
replies=$(sed -nE 's/.*probes sent of [0-9]+, ([0-9]+) replies received.*/\1/p' "$W/err")
drops=$(sed -nE 's/^([0-9]+) kernel drops,.*/\1/p' "$W/err")
alive=$(grep -c ' = 1/1/0%' "$W/out" || true)
lines=$(wc -l <"$W/out")
delivered=$(count delivered)
echo "exit $rc; $(grep -E '^maxrss_kb=' "$W/err" || echo 'maxrss ?')"
echo "tool:  sent $sent, replies $replies, kernel drops $drops, hosts alive $alive, lines $lines"
echo "relay: requests $(count requests), replies $(count replies), delivered $delivered," \
	"overflow $(count overflow); TUN queue drops: prb $prb_drop (requests), rsp $rsp_drop (replies)"
sed -nE 's/^(elapsed .*)/tool:  \1/p' "$W/err"
grep -E '^icmpring multiping:' "$W/err" || true
if [[ -n $replies && -n $drops && -n $delivered ]] && (( replies + drops == delivered )) &&
	(( alive == replies )); then
	echo "flow-bench: PASS: received $replies + reported drops $drops = delivered $delivered"
else
	echo "flow-bench: FAIL: received ${replies:-?} + reported drops ${drops:-?}" \
		"!= delivered ${delivered:-?} (or alive $alive != replies)"
	sed 's/^/  stderr: /' "$W/err" | head -20
	exit 1
fi
