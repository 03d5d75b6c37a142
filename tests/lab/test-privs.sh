#!/bin/bash
# test-privs.sh - lab test of what the tool keeps of its privileges: once a
# job's sockets are open, every command drops all capabilities and sets
# no_new_privs (read from /proc while the job runs, every thread of it);
# a copy with `setcap cap_net_raw+ep` runs raw-socket jobs as uid 65534;
# and without any way to open ICMP sockets the one-line error names the fixes.
# Runs inside the prober namespace (icmpring-lab run --tap -- ...); prints TAP.
set -u

# shellcheck source=tests/lab/tap.sh
. "$(dirname "$0")/tap.sh"
export PATH="$PATH:/usr/sbin:/sbin"
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
lines() { wc -l <"$tmp/$1.out"; }
zero=0000000000000000

# watch NAME [--as-nobody] CMD ARGS...: run `icmpring CMD ARGS...` (or the
# binary in $BIN) in the background; 1 s after it started, copy the
# credentials of each of its threads to NAME.caps (a blank line between
# threads); then wait for it, keeping stdout, stderr and the exit code.
watch() {
    local name=$1 pid='' k t; shift
    local -a pre=()
    if [ "$1" = --as-nobody ]; then pre=(setpriv --reuid=65534 --regid=65534 --clear-groups); shift; fi
    timeout -k 5 40 "${pre[@]}" "${BIN:-$bin}" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" </dev/null &
    local tpid=$!
    # timeout's child, once it is the tool (setpriv execs it).
    for ((k = 0; k < 40; k++)); do
        pid=$(pgrep -P "$tpid" | head -1)
        [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = icmpring ] && break
        pid=''
        sleep 0.05
    done
    sleep 1
    : >"$tmp/$name.caps"
    if [ -n "$pid" ]; then
        for t in /proc/"$pid"/task/*; do
            grep -E '^(Uid|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):' "$t/status" 2>/dev/null
            echo
        done >"$tmp/$name.caps"
    fi
    wait "$tpid"
    echo $? >"$tmp/$name.rc"
}
# dropped NAME [bounding]: NAME.caps shows threads whose effective,
# permitted, inheritable and ambient sets are empty and no_new_privs is 1
# (and, with 'bounding', the bounding set empty too).
dropped() {
    local f=$tmp/$1.caps threads
    threads=$(grep -c '^NoNewPrivs:' "$f")
    [ "$threads" -ge 1 ] &&
        [ "$(grep -cE "^Cap(Inh|Prm|Eff|Amb):[[:space:]]+$zero$" "$f")" = $((threads * 4)) ] &&
        [ "$(grep -cE '^NoNewPrivs:[[:space:]]+1$' "$f")" = "$threads" ] &&
        { [ "${2:-}" != bounding ] || [ "$(grep -cE "^CapBnd:[[:space:]]+$zero$" "$f")" = "$threads" ]; }
}
diagc() { diag "$1"; sed 's/^/# /' "$tmp/$1.caps" | tr -s '\n' | head -20; }

echo "1..14"

# 1-2: sweep as root, ~5 s at 200 pps with two senders (the helper thread is
# made by the first step, so it must show the dropped sets too).
watch sw sweep --rate 200 --senders 2 -q 198.18.0.0/22
ok "$(dropped sw bounding && test "$(grep -c '^NoNewPrivs' "$tmp/sw.caps")" -ge 2; echo $?)" \
    "sweep: every thread ($(grep -c '^NoNewPrivs' "$tmp/sw.caps")) has no capability (bounding set too) and no_new_privs" || diagc sw
ok "$(test "$(rc sw)" = 0 && test "$(sort -u "$tmp/sw.out" | wc -l)" = 1022; echo $?)" \
    "sweep without privileges still finds the 1022 hosts of the /22 (got $(lines sw))" || diag sw

# 3-4: multiping, 50 probes 0.1 s apart (~5 s).
watch mp multiping -c 50 -i 0.1 198.18.0.1 2001:db8:1::1 198.19.0.1
ok "$(dropped mp bounding; echo $?)" "multiping: no capability, no_new_privs" || diagc mp
ok "$(test "$(rc mp)" = 0 && test "$(grep -c '= 50/50/0%' "$tmp/mp.out")" = 3; echo $?)" \
    "multiping: 3 hosts, 50/50 each, exit 0" || diag mp

# 5-6: traceroute to a blackhole (never reached) and to far.
watch tr traceroute -c 50 -i 0.1 --fast "${ICR_LAB_BLACKHOLE4:-203.0.113.129}" 198.19.0.1
ok "$(dropped tr bounding; echo $?)" "traceroute: no capability, no_new_privs" || diagc tr
ok "$(test "$(rc tr)" = 1 && grep -qE '^ ?[0-9]+  198\.19\.0\.1  [0-9.]+ ms' "$tmp/tr.out"; echo $?)" \
    "traceroute: 198.19.0.1 reached, the blackhole not (exit 1)" || diag tr

# 7: ping, the engine path and the classic socket (-s 16).
watch pe ping -c 30 -i 0.1 198.18.0.1
watch pc ping -s 16 -c 30 -i 0.1 198.18.0.1
ok "$(dropped pe bounding && dropped pc bounding && test "$(rc pe)" = 0 && test "$(rc pc)" = 0 &&
      grep -q '^30 packets transmitted, 30 received' "$tmp/pe.out" &&
      grep -q '^30 packets transmitted, 30 received' "$tmp/pc.out"; echo $?)" \
    "ping (engine and classic socket): no capability, no_new_privs, 30/30" || { diagc pe; diagc pc; }

# 8-12: a copy with cap_net_raw+ep runs raw-socket jobs as uid 65534.  The
# directory must be readable by that uid ($tmp is not), on a file system
# with extended attributes (file capabilities live in security.capability).
capdir=$(mktemp -d)
trap 'rm -rf "$tmp" "$capdir"' EXIT
chmod 755 "$capdir"
cp "$bin" "$capdir/icmpring"
chmod 755 "$capdir/icmpring"
why=''
if ! command -v setcap >/dev/null; then
    why="setcap not installed (libcap2-bin)"
elif ! setcap cap_net_raw+ep "$capdir/icmpring" 2>"$tmp/setcap.err"; then
    why="setcap failed: $(head -1 "$tmp/setcap.err")"
elif [ "$(awk '/^NoNewPrivs:/ {print $2}' /proc/self/status)" = 1 ]; then
    why="this shell runs with no_new_privs: file capabilities would be ignored"
fi
if [ -z "$why" ]; then
    BIN=$capdir/icmpring
    watch cs --as-nobody sweep --privileged --rate 100 198.18.1.0/24
    ok "$(grep -qE '^Uid:[[:space:]]+65534' "$tmp/cs.caps" && dropped cs; echo $?)" \
        "setcap copy as uid 65534: cap_net_raw dropped once the sweep runs, no_new_privs" || diagc cs
    ok "$(test "$(rc cs)" = 0 && test "$(sort -u "$tmp/cs.out" | wc -l)" = 254; echo $?)" \
        "setcap copy as uid 65534: sweep --privileged --rate 100 finds 254" || diag cs
    BIN=
    nobody timeout -k 5 30 "$capdir/icmpring" sweep --privileged 198.18.0.0/24 >"$tmp/cs2.out" 2>"$tmp/cs2.err"
    echo $? >"$tmp/cs2.rc"
    ok "$(test "$(rc cs2)" = 0 && test "$(sort -u "$tmp/cs2.out" | wc -l)" = 254 &&
          grep -q ' 254 hits ' "$tmp/cs2.err"; echo $?)" \
        "setcap copy as uid 65534: sweep --privileged 198.18.0.0/24: 254 found, exit 0" || diag cs2
    nobody timeout -k 5 30 "$capdir/icmpring" multiping --privileged -c 3 -i 0.05 198.18.0.1 2001:db8:1::1 \
        >"$tmp/cm.out" 2>"$tmp/cm.err"
    echo $? >"$tmp/cm.rc"
    ok "$(test "$(rc cm)" = 0 && test "$(grep -c '= 3/3/0%' "$tmp/cm.out")" = 2; echo $?)" \
        "setcap copy as uid 65534: multiping --privileged" || diag cm
    nobody timeout -k 5 30 "$capdir/icmpring" traceroute --privileged 198.19.0.1 >"$tmp/ct.out" 2>"$tmp/ct.err"
    echo $? >"$tmp/ct.rc"
    ok "$(test "$(rc ct)" = 0 && tail -1 "$tmp/ct.out" | grep -qE '^ ?[0-9]+  198\.19\.0\.1 \(198\.19\.0\.1\)  [0-9.]+ ms  [0-9.]+ ms$'; echo $?)" \
        "setcap copy as uid 65534: traceroute --privileged 198.19.0.1" || diag ct
else
    for d in "setcap: privileges dropped" "setcap: sweep --rate 100" "setcap: sweep" \
             "setcap: multiping" "setcap: traceroute"; do
        ok 0 "$d # SKIP $why"
    done
fi

# 13-14: no ICMP socket of any kind for uid 65534 (ping_group_range "1 0"
# allows no group): every command says how to fix it, exits 4.  The prober
# namespace's setting is restored right after.
saved=$(sysctl -n net.ipv4.ping_group_range | tr -s '\t ' ' ')
trap 'sysctl -qw net.ipv4.ping_group_range="$saved"; rm -rf "$tmp" "$capdir"' EXIT
if sysctl -qw net.ipv4.ping_group_range="1 0"; then
    nobody timeout -k 5 10 "$bin" sweep --unprivileged 198.18.0.1 >"$tmp/ns.out" 2>"$tmp/ns.err"
    echo $? >"$tmp/ns.rc"
    allrc=0
    for args in "multiping 198.18.0.1" "traceroute 198.19.0.1" "ping -c 1 198.18.0.1" \
                "ping -s 16 -c 1 198.18.0.1" "sweep 198.18.0.1"; do
        # shellcheck disable=SC2086 # word splitting of args is wanted
        nobody timeout -k 5 10 "$bin" $args >"$tmp/nx.out" 2>"$tmp/nx.err"
        rc=$?
        if [ $rc != 4 ] || [ "$(wc -l <"$tmp/nx.err")" != 1 ] || ! grep -q 'ping_group_range' "$tmp/nx.err" ||
           ! grep -q 'cap_net_raw' "$tmp/nx.err"; then
            allrc=1
            echo "# $args: exit $rc: $(head -1 "$tmp/nx.err")"
        fi
    done
    sysctl -qw net.ipv4.ping_group_range="$saved"
    ok "$(test "$(rc ns)" = 4 && test "$(wc -l <"$tmp/ns.err")" = 1 &&
          grep -q 'ping_group_range' "$tmp/ns.err" && grep -q 'cap_net_raw' "$tmp/ns.err"; echo $?)" \
        "sweep --unprivileged without a permitted group: exit 4, names ping_group_range and cap_net_raw" || diag ns
    ok "$allrc" "multiping, traceroute, ping (both paths), sweep (auto): the same one line, exit 4"
else
    ok 0 "ping_group_range closed # SKIP cannot set net.ipv4.ping_group_range"
    ok 0 "every command # SKIP cannot set net.ipv4.ping_group_range"
fi
now=$(sysctl -n net.ipv4.ping_group_range | tr -s '\t ' ' ')
[ "$now" = "$saved" ] || { echo "# ping_group_range left at '$now' (was '$saved')"; fails=$((fails + 1)); }

[ "$fails" -eq 0 ]
