#!/bin/bash
# test-rmem.sh - lab test of the tool under a tiny net.core.rmem_max, run
# as a user that is not root through a `setcap cap_net_raw+ep` copy (root
# would get its 32 MiB through SO_RCVBUFFORCE and never see the limit).
#
# net.core.rmem_max is one value for the whole machine on this kernel (a
# child namespace shows it read-only), so the test sets it in the initial
# network namespace (entered through the lab runner, an ancestor), and puts the saved value back in an EXIT trap, also when a check
# fails or the test is killed with INT/TERM.  Registered with is_parallel
# false; the value is low for a few seconds only.
#
# With rmem_max 4096 the kernel grants a receive buffer of 8192 bytes, a
# handful of replies.  The engine keeps running: at rate 0 most replies do
# not fit and the kernel drops them.  The contract checked here: either the
# job works (every host found, stderr empty under -q), or stderr is exactly
# ONE line that names net.core.rmem_max and its value, and counts the
# drops, and nothing is lost silently: found + reported drops = what came
# back, exactly (every lab address answers; through lab-relay, what its log
# says it delivered).
# Runs inside the prober namespace (icmpring-lab run --tap -- ...); prints TAP.
set -u

# shellcheck source=tests/lab/tap.sh
. "$(dirname "$0")/tap.sh"
export PATH="$PATH:/usr/sbin:/sbin"

echo "1..8"

capdir=$(mktemp -d)
old=$(cat /proc/sys/net/core/rmem_max)
# The namespace where the value can be written: the nearest ancestor in
# another network namespace than ours (icmpring-lab run, in the host's).
host_ns=''
self_ns=$(readlink /proc/self/ns/net)
p=$PPID
while [[ $p =~ ^[0-9]+$ && $p -gt 1 ]]; do
    if [ "$(readlink "/proc/$p/ns/net" 2>/dev/null)" != "$self_ns" ]; then
        host_ns=/proc/$p/ns/net
        break
    fi
    p=$(awk '{print $4}' "/proc/$p/stat" 2>/dev/null)
done
set_rmem() { nsenter --net="${host_ns:-/proc/1/ns/net}" -- sysctl -qw "net.core.rmem_max=$1"; }
restore() {
    if [ -n "${lowered:-}" ]; then
        set_rmem "$old" || echo "# could not restore net.core.rmem_max=$old" >&2
    fi
    if [ -n "${relay_up:-}" ]; then
        "$ICR_LAB_BIN" relay "$ICR_LAB" off >/dev/null 2>&1
    fi
    rm -rf "$tmp" "$capdir"
}
trap restore EXIT
trap 'exit 130' INT TERM HUP

chmod 755 "$capdir"
cp "$bin" "$capdir/icmpring"
chmod 755 "$capdir/icmpring"
why=''
if [ "$(id -u)" != 0 ]; then
    why="not root"
elif ! command -v setcap >/dev/null; then
    why="setcap not installed (libcap2-bin)"
elif ! setcap cap_net_raw+ep "$capdir/icmpring" 2>"$tmp/setcap.err"; then
    why="setcap failed: $(head -1 "$tmp/setcap.err")"
elif [ "$(awk '/^NoNewPrivs:/ {print $2}' /proc/self/status)" = 1 ]; then
    why="this shell runs with no_new_privs: file capabilities would be ignored"
elif [[ -z ${ICR_RELAY:-} || ! -x ${ICR_RELAY:-} || ! -c /dev/net/tun ]]; then
    why="no lab-relay (ICR_RELAY) or no /dev/net/tun"
elif ! [[ $old =~ ^[0-9]+$ ]] || ! set_rmem "$old" 2>"$tmp/sysctl.err"; then
    why="cannot set net.core.rmem_max from ${host_ns:-/proc/1/ns/net}: $(head -1 "$tmp/sysctl.err")"
fi
if [ -n "$why" ]; then
    for i in 1 2 3 4 5 6 7 8; do ok 0 "rmem check $i # SKIP $why"; done
    exit 0
fi

# Host lists: 4096 of IPv4 and 4096 of IPv6 that rsp answers directly, and
# 4096 of IPv6 that go through the relay (2001:db8:1::200:0/116).
for ((i = 0; i < 4096; i++)); do
    printf '198.18.%d.%d\n' $((10 + i / 250)) $((1 + i % 250))
    printf '2001:db8:1::5:%x\n' "$i"
done >"$capdir/direct"
for ((i = 0; i < 4096; i++)); do printf '2001:db8:1::200:%x\n' "$i"; done >"$capdir/relayed"
chmod 644 "$capdir/direct" "$capdir/relayed"

nobody() { # nobody NAME ARGS...: the setcap copy as uid 65534
    local name=$1; shift
    setpriv --reuid=65534 --regid=65534 --clear-groups \
        timeout -k 5 60 "$capdir/icmpring" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" </dev/null
    echo $? >"$tmp/$name.rc"
}
# drops NAME: the count in the one-line report, or nothing
drops() { sed -nE 's/^icmpring [a-z]+: the kernel dropped ([0-9]+) received packets.*/\1/p' "$tmp/$1.err"; }
# verdict NAME FOUND TOTAL: "works" (rc 0, all found, stderr empty) or
# "line" (rc 1, one stderr line naming net.core.rmem_max (4096) and the
# 8192-byte buffer, FOUND + drops = TOTAL); anything else fails.
verdict() {
    local name=$1 found=$2 total=$3 d
    if [ "$(rc "$name")" = 0 ] && [ "$found" = "$total" ] && [ ! -s "$tmp/$name.err" ]; then
        echo works; return 0
    fi
    d=$(drops "$name")
    if [ "$(rc "$name")" = 1 ] && [ "$(wc -l <"$tmp/$name.err")" = 1 ] &&
        grep -q 'the receive buffer is 8192 bytes, capped by net.core.rmem_max (4096)' "$tmp/$name.err" &&
        [ -n "$d" ] && [ $((found + d)) = "$total" ]; then
        echo "line: $found found + $d drops = $total"; return 0
    fi
    echo "neither: rc $(rc "$name"), $found found of $total, drops '${d}'"
    return 1
}

# Every run forces --transport raw: the packet transport's replies come in
# on its packet ring (no socket receive buffer), and this is about the ICMP
# sockets' buffer, which the raw and datagram transports receive on.
lowered=1
set_rmem 4096
ok "$(test "$(cat /proc/sys/net/core/rmem_max)" = 4096; echo $?)" \
    "net.core.rmem_max set to 4096 (was $old)"

# 2: sweep of the /16 at rate 0 (two senders, ~400 kpps).
nobody sw sweep --privileged --transport raw -q -r 0 --cooldown 1 198.18.0.0/16
v=$(verdict sw "$(sort -u "$tmp/sw.out" | wc -l)" 65534)
ok $? "sweep 198.18.0.0/16 -r 0 as uid 65534: $v" || diag sw

# 3: multiping of 8192 hosts, one probe each, rate 0.
nobody mp multiping --privileged --transport raw -q -c 1 -W 1 -f "$capdir/direct"
v=$(verdict mp "$(grep -c ' = 1/1/0%' "$tmp/mp.out")" 8192)
ok $? "multiping 8192 hosts -c 1 as uid 65534: $v" || diag mp
ok "$(test "$(wc -l <"$tmp/mp.out")" = 8192; echo $?)" \
    "multiping: a line for every host, found or not" || diag mp

# 5-6: through lab-relay (replies held 20 ms): found + drops = delivered.
rlog=$tmp/relay.log
"$ICR_LAB_BIN" relay "$ICR_LAB" --delay 20 --queue 65536 --seed 3 --log "$rlog" --seconds 60 on &&
    relay_up=1
nobody rl multiping --privileged --transport raw -q -c 1 -W 2 -f "$capdir/relayed"
"$ICR_LAB_BIN" relay "$ICR_LAB" off && relay_up=
delivered=$(sed -nE 's/^count delivered ([0-9]+)$/\1/p' "$rlog")
found=$(grep -c ' = 1/1/0%' "$tmp/rl.out")
v=$(verdict rl "$found" "${delivered:-none}")
ok $? "multiping 4096 relayed hosts (20 ms) as uid 65534: $v, relay delivered ${delivered:-?}" ||
    diag rl
ok "$(test "${delivered:-0}" -gt 2048 && grep -q '^# lab-relay end' "$rlog"; echo $?)" \
    "relay: its log is complete and most replies were delivered (${delivered:-?} of 4096)"

# 7: traceroute of 62 destinations 6 hops away (Time Exceeded from every
# router at once): it works, or the line; a route's hops cannot be counted
# against the drops, so the check is the line itself, exit 0 or 1 (not every
# route reached), and a header for every destination on stdout.
nobody tr traceroute --privileged --transport raw -c 2 -W 1 --max-hops 8 198.19.0.0/26
d=$(drops tr)
if [ "$(rc tr)" = 0 ] && [ ! -s "$tmp/tr.err" ]; then
    v=works
elif [[ $(rc tr) =~ ^[01]$ ]] && [ "$(wc -l <"$tmp/tr.err")" = 1 ] && [ "${d:-0}" -gt 0 ] &&
    grep -q 'the receive buffer is 8192 bytes, capped by net.core.rmem_max (4096)' "$tmp/tr.err"; then
    v="line: $d drops, exit $(rc tr)"
else
    v="neither: rc $(rc tr), drops '${d}'"
fi
[[ $v != neither* ]] && [ "$(grep -c '^traceroute to 198\.19\.0\.' "$tmp/tr.out")" = 62 ]
ok $? "traceroute 198.19.0.0/26 as uid 65534: $v; 62 routes printed" || diag tr

# 8: the value is back.
set_rmem "$old"
ok "$(test "$(cat /proc/sys/net/core/rmem_max)" = "$old"; echo $?)" \
    "net.core.rmem_max restored to $old"
lowered=

[ "$fails" -eq 0 ]
