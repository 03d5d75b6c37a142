#!/bin/bash
# test-lab.sh: owns the self-test of tools/icmpring-lab.  Runs inside the
# prober of a lab (icmpring-lab run --tap -- tests/lab/test-lab.sh) and
# checks, with iputils ping and packet counters, that the lab behaves as
# its --help promises: reachability, the router errors, broadcast, loss,
# duplication, and that down/run/gc leave no namespace behind.  Prints TAP.
# Every sender is bounded in count and in time (ping -c/-w/-W, timeout).
# The sh -c scripts below are single-quoted on purpose: CMD expands them.
# shellcheck disable=SC2016
set -u

if [[ -z ${ICR_LAB:-} || -z ${ICR_LAB_BIN:-} ]]; then
	echo "1..0 # SKIP not started by 'icmpring-lab run'"
	exit 0
fi

LAB=$ICR_LAB_BIN
N=$ICR_LAB_ROUTERS
T=0
FAILED=0
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

ok() {
	T=$(( T + 1 ))
	echo "ok $T - $1"
}

not_ok() {
	T=$(( T + 1 ))
	FAILED=$(( FAILED + 1 ))
	echo "not ok $T - $1"
	shift
	local line
	# What was seen, as TAP diagnostics.
	for line in "$@"; do
		printf '%s\n' "$line" | sed 's/^/# /'
	done
}

# COND; result DESCRIPTION [WHAT-WAS-SEEN]: one test point from COND's status.
result() {
	local rc=$?
	if (( rc == 0 )); then ok "$1"; else not_ok "$1" "${2:-}"; fi
}

has() { grep -qE -- "$2" <<<"$1"; }

# ping with no name lookups (nothing may leave the lab) and a hard deadline.
p() { timeout 30 ping -n "$@" 2>&1; }

# Number of echo replies ping got (the "N received" of the summary).
received() { sed -nE 's/.* ([0-9]+) received.*/\1/p' <<<"$1"; }
loss_pct() { sed -nE 's/.* ([0-9.]+)% packet loss.*/\1/p' <<<"$1"; }

lab_nss() { ip netns list | awk -v n="$1-" 'index($1, n) == 1 { print $1 }'; }

# ---- reachability --------------------------------------------------------

for dst in 198.18.3.4 198.19.0.9 2001:db8:1::5 2001:db8:2::9 \
	"$ICR_LAB_RSP4" "$ICR_LAB_H1_6" "$ICR_LAB_FAR4" "$ICR_LAB_FAR6"; do
	out=$(p -c 2 -i 0.2 -W 1 "$dst")
	[ "$(received "$out")" = 2 ]
	result "ping $dst answers" "$out"
done

out=$("$LAB" exec "$ICR_LAB" rsp -- ip -o addr show dev lan 2>&1)
has "$out" "inet 192\.0\.2\.2/24"
result "exec runs in the node's namespace" "$out"

# ---- hop limits ----------------------------------------------------------

out=$(p -c 1 -W 1 -t 1 198.19.0.1)
has "$out" "^From $ICR_LAB_R1_4 .*Time to live exceeded"
result "TTL 1 toward far: Time to live exceeded from r1 ($ICR_LAB_R1_4)" "$out"
last_r4=ICR_LAB_R${N}_4
out=$(p -c 1 -W 1 -t "$N" 198.19.0.1)
has "$out" "^From ${!last_r4} .*Time to live exceeded"
result "TTL $N: Time to live exceeded from r$N (${!last_r4})" "$out"
out=$(p -c 1 -W 1 -t $(( N + 1 )) 198.19.0.1)
[ "$(received "$out")" = 1 ]
result "TTL $(( N + 1 )) reaches far" "$out"
out=$(p -c 1 -W 1 -t 1 2001:db8:2::9)
has "$out" "^From $ICR_LAB_R1_6 .*Time exceeded: Hop limit"
result "hop limit 1 toward far: Time exceeded from r1 ($ICR_LAB_R1_6)" "$out"

# ---- router errors -------------------------------------------------------

out=$(p -c 1 -W 1 "$ICR_LAB_UNREACH4")
has "$out" "^From $ICR_LAB_R1_4 .*Destination Host Unreachable"
result "unreachable route: Destination Host Unreachable (3/1) from r1" "$out"
out=$(p -c 1 -W 1 "$ICR_LAB_PROHIBIT4")
has "$out" "^From $ICR_LAB_R1_4 .*Packet filtered"
result "prohibit route: Packet filtered (3/13) from r1" "$out"
out=$(p -c 1 -W 1 "$ICR_LAB_NOROUTE4")
has "$out" "^From $ICR_LAB_R1_4 .*Destination Net Unreachable"
result "no route: Destination Net Unreachable (3/0) from r1" "$out"
out=$(p -c 1 -W 1 "$ICR_LAB_BLACKHOLE4")
[ "$(received "$out")" = 0 ] && ! has "$out" "^From "
result "blackhole route: silence" "$out"
out=$(p -c 1 -W 1 "$ICR_LAB_UNREACH6")
has "$out" "^From $ICR_LAB_R1_6 .*Destination unreachable: No route"
result "v6 unreachable route: No route (1/0) from r1" "$out"
out=$(p -c 1 -W 1 "$ICR_LAB_PROHIBIT6")
has "$out" "^From $ICR_LAB_R1_6 .*Administratively prohibited"
result "v6 prohibit route: Administratively prohibited (1/1) from r1" "$out"
out=$(p -c 1 -W 1 "$ICR_LAB_BLACKHOLE6")
[ "$(received "$out")" = 0 ] && ! has "$out" "^From "
result "v6 blackhole route: silence" "$out"

# ---- broadcast -----------------------------------------------------------

# No -c: two requests, then every reply until the 1 s deadline.
out=$(p -b -i 0.5 -w 1 "$ICR_LAB_BCAST4")
who=$(sed -nE 's/^[0-9]+ bytes from ([0-9.]+):.*/\1/p' <<<"$out" | sort -u | tr '\n' ' ')
[ "$who" = "192.0.2.2 192.0.2.3 192.0.2.4 " ]
result "broadcast ping: replies from rsp, h1, h2 exactly" "$out"

# ---- the prober's sysctls ------------------------------------------------

out=$(sysctl -n net.ipv4.ping_group_range net.ipv4.icmp_ratelimit net.ipv6.icmp.ratelimit 2>&1 | tr -s '\t ' ' ' | tr '\n' '|')
[ "$out" = "0 2147483647|0|0|" ]
result "prober: ping_group_range open, ICMP rate limits off" "$out"

# ---- loss ----------------------------------------------------------------

out=$("$LAB" loss "$ICR_LAB" 50 2>&1)
result "loss 50 succeeds" "$out"
out=$(p -q -f -c 200 -W 1 198.18.3.4)
pct=$(loss_pct "$out")
[ -n "$pct" ] && (( ${pct%.*} >= 30 && ${pct%.*} <= 70 ))
result "loss 50: a 200-ping flood loses 30-70% (got ${pct:-?}%)" "$out"
out=$(p -q -f -c 200 -W 1 2001:db8:2::9)
pct=$(loss_pct "$out")
[ -n "$pct" ] && (( ${pct%.*} >= 30 && ${pct%.*} <= 70 ))
result "loss 50 also on far, v6 (got ${pct:-?}%)" "$out"
out=$("$LAB" loss "$ICR_LAB" 100 4 2>&1)
result "loss 100 4 succeeds" "$out"
out=$(p -q -c 5 -i 0.05 -W 1 198.18.3.4)
out6=$(p -q -c 5 -i 0.05 -W 1 2001:db8:1::5)
[ "$(received "$out")" = 0 ] && [ "$(received "$out6")" = 5 ]
result "loss 100 4: v4 replies all lost, v6 untouched" "$out$out6"
out=$("$LAB" loss "$ICR_LAB" 0 2>&1)
result "loss 0 succeeds" "$out"
out=$(p -q -f -c 100 -W 1 198.18.3.4)
[ "$(received "$out")" = 100 ]
result "loss 0: no loss left" "$out"

# ---- duplicates ----------------------------------------------------------

# An input counter in the prober per responder proves "exactly two copies"
# without trusting ping's own accounting.
nft -f - <<EOF
table inet icrtest {
	chain in {
		type filter hook input priority 0; policy accept;
		ip saddr 198.18.3.4 icmp type echo-reply counter
		ip saddr 198.19.0.9 icmp type echo-reply counter
		ip6 saddr 2001:db8:1::5 icmpv6 type echo-reply counter
		ip6 saddr 2001:db8:2::9 icmpv6 type echo-reply counter
	}
}
EOF
out=$("$LAB" dup "$ICR_LAB" on 2>&1)
result "dup on succeeds" "$out"
out=
for dst in 198.18.3.4 198.19.0.9 2001:db8:1::5 2001:db8:2::9; do
	out+=$(p -c 10 -i 0.05 -W 1 "$dst")$'\n'
done
sleep 0.3
counts=$(nft list table inet icrtest | sed -nE 's/.*counter packets ([0-9]+).*/\1/p' | tr '\n' ' ')
[ "$counts" = "20 20 20 20 " ]
result "dup on: exactly 20 replies arrive for 10 pings, per responder" "$out$counts"
has "$out" "DUP!"
result "dup on: ping prints DUP!" "$out"
out=$("$LAB" dup "$ICR_LAB" off 2>&1)
result "dup off succeeds" "$out"
out=$(p -c 10 -i 0.05 -W 1 198.18.3.4; p -c 10 -i 0.05 -W 1 2001:db8:2::9)
! has "$out" "DUP!|duplicates"
result "dup off: no duplicates" "$out"
nft delete table inet icrtest 2>/dev/null

# ---- relay ---------------------------------------------------------------

if [[ -n ${ICR_RELAY:-} && -x ${ICR_RELAY:-} && -c /dev/net/tun ]]; then
	rlog=$TMP/relay.log
	out=$("$LAB" relay "$ICR_LAB" --delay 100 --log "$rlog" --seconds 30 on 2>&1)
	result "relay on succeeds" "$out"
	out=$(p -c 3 -i 0.2 -W 2 198.18.200.9; p -c 3 -i 0.2 -W 2 2001:db8:1::200:9)
	rtts=$(sed -nE 's/.*time=([0-9.]+) ms.*/\1/p' <<<"$out" | tr '\n' ' ')
	awk -v r="$rtts" 'BEGIN { n = split(r, a, " "); if (n != 6) exit 1
		for (i = 1; i <= n; i++) if (a[i] < 100 || a[i] > 150) exit 1 }'
	result "relay --delay 100: 6 replies, each 100-150 ms late" "$out"
	out=$(p -c 2 -i 0.2 -W 1 198.18.3.4)
	awk -v r="$(sed -nE 's/.*time=([0-9.]+) ms.*/\1/p' <<<"$out" | tr '\n' ' ')" \
		'BEGIN { n = split(r, a, " "); if (n != 2) exit 1
		for (i = 1; i <= n; i++) if (a[i] > 50) exit 1 }'
	result "relay: the rest of 198.18/16 is not delayed" "$out"
	out=$("$LAB" relay "$ICR_LAB" off 2>&1)
	result "relay off succeeds" "$out"
	[ "$(grep -c '^rep ' "$rlog")" = 6 ] && [ "$(grep -c '^req ' "$rlog")" = 6 ] &&
		grep -q '^count delivered 6$' "$rlog" && grep -q '^# lab-relay end' "$rlog"
	result "relay log: 6 requests, 6 replies delivered, complete after off" "$(cat "$rlog")"
	relays=$(for pid in $(ip netns pids "$ICR_LAB-prb"); do
		[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = lab-relay ] && echo "$pid"
	done)
	[ -z "$relays" ] && ! ip link show rly >/dev/null 2>&1 &&
		[ -z "$("$LAB" exec "$ICR_LAB" rsp -- ip rule list pref 100)" ]
	result "relay off: no relay process, device or rule left" "$(ip link; echo "$relays")"
	out=$(p -c 2 -i 0.2 -W 1 198.18.200.9)
	[ "$(received "$out")" = 2 ]
	result "relay off: the prefix answers directly again" "$out"
	out=$("$LAB" relay "$ICR_LAB" --drop 1 --log "$rlog" on 2>&1 &&
		p -c 3 -i 0.1 -W 1 198.18.200.9; "$LAB" relay "$ICR_LAB" off 2>&1)
	[ "$(received "$out")" = 0 ] && grep -q '^count drop 3$' "$rlog"
	result "relay --drop 1: no reply, 3 drops logged" "$out$(cat "$rlog")"
	out=$("$LAB" relay "$ICR_LAB" --bogus 1 on 2>&1)
	[ $? = 2 ]
	result "relay: an unknown option is a usage error" "$out"
else
	ok "# SKIP relay: no lab-relay (ICR_RELAY) or no /dev/net/tun"
fi

# ---- up / down / run / gc ------------------------------------------------

out=$("$LAB" up --routers 2 2>&1)
name=$(tail -n 1 <<<"$out")
nss=$(lab_nss "$name" | sort | tr '\n' ' ')
want=$(printf '%s\n' "$name"-{far,h1,h2,prb,r1,r2,rsp,sw} | sort | tr '\n' ' ')
[ "$nss" = "$want" ]
result "up --routers 2 makes the 8 namespaces" "$out $nss"
out=$("$LAB" exec "$name" prb -- ping -n -c 1 -W 1 198.19.0.1 2>&1)
[ "$(received "$out")" = 1 ]
result "the second lab works on its own" "$out"
"$LAB" down "$name"
rc=$?
[ $rc = 0 ] && [ -z "$(lab_nss "$name")" ]
result "down removes every namespace" "$(ip netns list)"
"$LAB" down "$name"
result "down again is not an error"

out=$("$LAB" run --routers 1 -- sh -c 'echo "$ICR_LAB"; exit 3' 2>&1)
rc=$?
name=$(tail -n 1 <<<"$out")
[ $rc = 3 ] && [ -n "$name" ] && [ -z "$(lab_nss "$name")" ]
result "run returns CMD's status (3) and removes the lab" "$out rc=$rc"

out=$("$LAB" run --routers 1 -- sh -c 'echo "$ICR_LAB"; kill -9 $$' 2>&1)
rc=$?
name=$(tail -n 1 <<<"$out")
[ $rc = 137 ] && [ -n "$name" ] && [ -z "$(lab_nss "$name")" ]
result "run with CMD killed: status 137, lab removed" "$out rc=$rc"

# Kill the run itself while CMD sleeps: the lab and CMD must both go.
"$LAB" run --routers 1 -- sh -c 'echo "$ICR_LAB $$" >"$0"; exec sleep 60' \
	"$TMP/run" >/dev/null 2>&1 &
runpid=$!
for (( i = 0; i < 100; i++ )); do
	[[ -s $TMP/run ]] && break
	sleep 0.05
done
read -r name cmdpid <"$TMP/run" 2>/dev/null || name='' cmdpid=''
kill -TERM "$runpid" 2>/dev/null
wait "$runpid"
rc=$?
[ -n "$name" ] && [ -z "$(lab_nss "$name")" ] && ! kill -0 "$cmdpid" 2>/dev/null
result "run killed by TERM: lab and CMD removed (status $rc)" \
	"name=$name cmd=$cmdpid $(ip netns list)"

# gc: the owner of this lab is a shell that exits at once.
name=$(sh -c '"$0" up --routers 1; true' "$LAB" 2>/dev/null)
before=$(lab_nss "$name" | wc -l)
listed=$("$LAB" list 2>&1 | grep "^$name ")
has "$listed" "^$name routers=1 .*kind=up orphaned"
result "list shows the orphaned lab" "$listed"
# Only this lab: a plain gc would also clear other people's orphans.
out=$("$LAB" gc "$name" 2>&1)
[ -n "$name" ] && [ "$before" = 7 ] && [ -z "$(lab_nss "$name")" ]
result "gc deletes a lab whose owner died" "$out"
name=$("$LAB" up --routers 1 2>/dev/null)
"$LAB" gc "$name" >/dev/null 2>&1
[ -n "$name" ] && [ -n "$(lab_nss "$name")" ]
result "gc keeps a lab whose owner lives" "$(ip netns list)"
"$LAB" down "$name"

# ---- usage and skipping --------------------------------------------------

"$LAB" --help >/dev/null 2>&1
rc1=$?
"$LAB" up --routers 17 >/dev/null 2>&1
rc2=$?
"$LAB" frobnicate >/dev/null 2>&1
rc3=$?
[ "$rc1 $rc2 $rc3" = "0 2 2" ]
result "--help exits 0, bad usage exits 2" "$rc1 $rc2 $rc3"

# As an unprivileged user 'run' must skip, never fail.
cp "$LAB" "$TMP/lab" && chmod 755 "$TMP" "$TMP/lab"
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$TMP/lab" run --tap -- true 2>&1)
rc=$?
[ $rc = 0 ] && has "$out" "^1\.\.0 # SKIP"
result "run --tap without root: prints a skip plan (1..0), status 0" "$out rc=$rc"
setpriv --reuid=65534 --regid=65534 --clear-groups "$TMP/lab" run -- true >/dev/null 2>&1
rc=$?
[ $rc = 77 ]
result "run without root: status 77" "rc=$rc"

echo "1..$T"
exit $(( FAILED > 0 ))
