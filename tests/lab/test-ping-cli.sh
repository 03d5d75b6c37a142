#!/bin/bash
# test-ping-cli.sh - lab test of `icmpring ping`: output lines, summary,
# error replies, exit codes and one-line errors for bad input.
# Runs inside the prober namespace (icmpring-lab run --tap -- ...); prints TAP.
set -u

# shellcheck source=tests/lab/tap.sh
. "$(dirname "$0")/tap.sh"
r1=${ICR_LAB_R1_4:-198.51.100.2}

echo "1..31"

# 1-4: 20 replies at 50 ms intervals, with the summary, in iputils ping's
# format (lab-peer-output diffs it against iputils ping itself); the time
# has 3 decimals below 1 ms, 2 below 10 ms... as iputils prints it.
run p20 ping -c 20 -i 0.05 --jitter 198.18.0.7
ok "$(test "$(rc p20)" = 0 && test "$(head -1 "$tmp/p20.out")" = "PING 198.18.0.7 (198.18.0.7) 56(84) bytes of data."; echo $?)" \
   "ping -c 20 exits 0, iputils' header"
c=$(grep -cE '^64 bytes from 198\.18\.0\.7: icmp_seq=[0-9]+ ttl=64 time=[0-9]+(\.[0-9]{1,3})? ms$' "$tmp/p20.out")
ok "$(test "$c" = 20; echo $?)" "20 reply lines in ping(8) format (got $c)" || diag p20
grep -qE '^20 packets transmitted, 20 received, 0% packet loss, time [0-9]+ms$' "$tmp/p20.out"
ok $? "summary counts 20/20"
ok "$(grep -qE '^rtt min/avg/max/mdev = [0-9]+\.[0-9]{3}/[0-9]+\.[0-9]{3}/[0-9]+\.[0-9]{3}/[0-9]+\.[0-9]{3} ms$' "$tmp/p20.out" &&
      tail -1 "$tmp/p20.out" | grep -qE '^jitter = [0-9]+\.[0-9]{3} ms$'; echo $?)" "rtt line, then --jitter's line" || diag p20

# 5-6: IPv6 and the far responder (TTL reduced by the routers).
run p6 ping -6 -c 3 -i 0.05 2001:db8:1::1
ok "$(test "$(rc p6)" = 0 && test "$(grep -c 'bytes from 2001:db8:1::1' "$tmp/p6.out")" = 3; echo $?)" "IPv6 ping gets 3 replies"
run far ping -c 2 -i 0.05 198.19.0.1
ok "$(test "$(rc far)" = 0 && grep -q "ttl=$((64 - ${ICR_LAB_ROUTERS:-5}))" "$tmp/far.out"; echo $?)" "far responder's TTL shows the router hops"

# 7-8: Destination Unreachable from r1.
run unr ping -c 1 -W 1 203.0.113.1
ok "$(test "$(rc unr)" = 1; echo $?)" "unreachable: exit 1"
grep -q "^From $r1 icmp_seq=1 Destination Host Unreachable$" "$tmp/unr.out"
ok $? "unreachable: 'From $r1 icmp_seq=1 Destination Host Unreachable'" || diag unr

# 9-10: TTL exceeded at the first router.
run ttl ping -c 1 -t 1 -W 1 198.19.0.1
ok "$(test "$(rc ttl)" = 1; echo $?)" "ttl 1: exit 1"
grep -q "^From $r1 icmp_seq=1 Time to live exceeded$" "$tmp/ttl.out"
ok $? "ttl 1: 'Time to live exceeded' from $r1" || diag ttl

# 11-12: silence, then 100% loss and exit 1.
run sil ping -c 2 -i 0.05 -W 0.2 203.0.113.129
ok "$(test "$(rc sil)" = 1; echo $?)" "silent prefix: exit 1"
grep -q '^2 packets transmitted, 0 received, 100% packet loss' "$tmp/sil.out"
ok $? "silent prefix: 100% loss"

# 13-14: unknown host: exit 2, one line on stderr.
run unk ping -c 1 no-such-host.invalid
ok "$(test "$(rc unk)" = 2; echo $?)" "unknown host: exit 2"
ok "$(test "$(wc -l <"$tmp/unk.err")" = 1 && grep -q "cannot resolve 'no-such-host.invalid'" "$tmp/unk.err"; echo $?)" "unknown host: one-line message"

# 15-19: bad arguments: exit 3 and a one-line message each.
bad=0
for args in "-c 0 198.18.0.1" "-t 256 198.18.0.1" "-s 65508 198.18.0.1" "-i abc 198.18.0.1" \
            "-W -1 198.18.0.1" "-Q 300 198.18.0.1" "--bogus 198.18.0.1" "" "198.18.0.1 198.18.0.2" \
            "-I 203.0.113.77 198.18.0.1" "-I bad 198.18.0.1" "-c 4294967295 198.18.0.1" \
            "-c 4294967296 198.18.0.1" "-c 99999999999999999999 198.18.0.1"; do
    # shellcheck disable=SC2086
    run bad ping $args
    if [ "$(rc bad)" != 3 ] || [ "$(wc -l <"$tmp/bad.err")" != 1 ]; then
        bad=$((bad + 1)); echo "# 'ping $args' -> exit $(rc bad)"; diag bad
    fi
done
ok $bad "bad arguments give exit 3 and one line"
# Refused before anything leaves: said at once, not after -W (10 s here).
t0=$(date +%s%N)
run bc ping -c 3 -W 10 192.0.2.255
t1=$(date +%s%N)
ok "$(test "$(rc bc)" = 3 && grep -q -- '-b' "$tmp/bc.err" && test $(( (t1 - t0) / 1000000 )) -lt 2000; echo $?)" \
   "broadcast without -b refused at once (exit 3, $(( (t1 - t0) / 1000000 )) ms)" || diag bc
# No route (the prober has none to 2001:db8:f::/48): said at once, exit 4.
t0=$(date +%s%N)
run nr ping -c 3 -W 10 2001:db8:f::1
t1=$(date +%s%N)
ok "$(test "$(rc nr)" = 4 && grep -q 'cannot send to 2001:db8:f::1: Network is unreachable' "$tmp/nr.err" &&
      test "$(wc -l <"$tmp/nr.err")" = 1 && test $(( (t1 - t0) / 1000000 )) -lt 2000; echo $?)" \
   "no route: one line, exit 4, at once ($(( (t1 - t0) / 1000000 )) ms)" || diag nr
# -b: every host of the LAN answers the first probe (the others' replies
# counted as duplicates); as ping(8) -c 2, the second probe's first reply
# ends the run.
run bcb ping -b -c 2 -i 0.2 -W 0.5 "${ICR_LAB_BCAST4:-192.0.2.255}"
ok "$(test "$(rc bcb)" = 0 &&
      test "$(grep -o 'bytes from [0-9.]*' "$tmp/bcb.out" | sort -u | wc -l)" = "${ICR_LAB_BCAST_HOSTS:-3}" &&
      test "$(grep -c 'bytes from' "$tmp/bcb.out")" = $(( ${ICR_LAB_BCAST_HOSTS:-3} + 1 )) &&
      grep -q "^2 packets transmitted, 2 received, +$(( ${ICR_LAB_BCAST_HOSTS:-3} - 1 )) duplicates, 0% packet loss" "$tmp/bcb.out"; echo $?)" \
   "ping -b gets a reply from every host of the LAN" || diag bcb
run help ping --help
ok "$(test "$(rc help)" = 0 && grep -q 'Exit codes' "$tmp/help.out"; echo $?)" "ping --help"
run ver --version
ok "$(test "$(rc ver)" = 0 && grep -qE '^icmpring [0-9]+\.[0-9]+\.[0-9]+$' "$tmp/ver.out"; echo $?)" "--version"

# 20-21: unprivileged (an ICMP datagram socket) as uid 65534.
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
nobody timeout -k 5 10 "$bin" ping -c 2 -i 0.05 198.18.0.3 >"$tmp/np.out" 2>&1
ok "$(test $? = 0 && test "$(grep -c 'bytes from 198.18.0.3' "$tmp/np.out")" = 2; echo $?)" "unprivileged ping works (auto falls back)"
nobody timeout -k 5 10 "$bin" ping --privileged -c 1 198.18.0.3 >"$tmp/npp.out" 2>&1
ok "$(test $? = 4; echo $?)" "--privileged without CAP_NET_RAW: exit 4"

# 22-23: SIGINT prints the summary and keeps the exit code of what was received.
timeout -k 5 20 "$bin" ping -i 0.05 198.18.0.4 >"$tmp/int.out" 2>&1 &
pid=$!
sleep 0.6
kill -INT $pid
wait $pid
ok "$(test $? = 0; echo $?)" "SIGINT: exit 0 after replies"
grep -qE '^[0-9]+ packets transmitted, [0-9]+ received' "$tmp/int.out"
ok $? "SIGINT: summary printed"

# 24: large payloads come back whole (icmplib truncates at 1024 bytes).
run big ping -c 1 -s 3000 198.18.0.9
ok "$(test "$(rc big)" = 0 && grep -q '^3008 bytes from 198.18.0.9' "$tmp/big.out"; echo $?)" "3000-byte payload comes back whole" || diag big
# 24b: -s 1400, the engine's largest payload, on the engine path (-c 3).
run s1400 ping -c 3 -i 0.05 -s 1400 198.18.0.9
ok "$(test "$(rc s1400)" = 0 && test "$(grep -c '^1408 bytes from 198.18.0.9: ' "$tmp/s1400.out")" = 3 &&
      grep -q '^3 packets transmitted, 3 received' "$tmp/s1400.out"; echo $?)" "-s 1400: 3 replies of 1408 bytes" || diag s1400

# 25: probes leave on schedule, not after each reply's timeout (the engine
# path): 5 probes 0.1 s apart to a silent host end after ~0.4 s + -W 1.
start=$(date +%s%N)
run sched ping -c 5 -i 0.1 -W 1 203.0.113.130
took=$(( ($(date +%s%N) - start) / 1000000 ))
ok "$(test "$(rc sched)" = 1 && test "$took" -lt 3000 && grep -q '^5 packets transmitted, 0 received' "$tmp/sched.out"; echo $?)" "probes keep their schedule while replies are missing (${took} ms)"

# 26: a chosen source address (the classic socket path).
run src ping -c 2 -i 0.05 -I "${ICR_LAB_PRB4:-192.0.2.1}" 198.18.0.3
ok "$(test "$(rc src)" = 0 && test "$(grep -c 'bytes from 198.18.0.3' "$tmp/src.out")" = 2; echo $?)" "-I source works"

# 27: without privilege, ICMP errors reach the datagram socket's error queue
# only; the engine reads it.
nobody timeout -k 5 10 "$bin" ping -c 2 -i 0.05 -t 1 198.19.0.1 >"$tmp/nttl.out" 2>&1
rc=$?
ok "$(test $rc = 1 && test "$(grep -c "^From $r1 icmp_seq=[12] Time to live exceeded$" "$tmp/nttl.out")" = 2; echo $?)" \
    "unprivileged: Time Exceeded from $r1 for each probe" || sed 's/^/# /' "$tmp/nttl.out"

# 28: a count beyond what the engine takes is a bad argument (it was a
# system error, exit 4, from the engine's ICR_EINVAL) with one line naming
# the range.
run cmax ping -c 4294967295 198.18.0.1
ok "$(test "$(rc cmax)" = 3 && test "$(wc -l <"$tmp/cmax.err")" = 1 && test ! -s "$tmp/cmax.out" &&
      grep -q "^icmpring ping: invalid value '4294967295' for -c (expected 1-4294967294)$" "$tmp/cmax.err"; echo $?)" \
    "-c 4294967295: exit 3, one line naming the range" || diag cmax

# 29 (last: it takes the lab's LAN down): the interface goes down in the
# middle of a ping (the engine reports ICR_EIFDOWN).  README promises exit
# 4: one line naming the reason on stderr, and the replies that came before
# and the summary are still written.
timeout -k 5 20 "$bin" ping -c 5000 -i 0.002 -W 0.5 198.18.0.1 >"$tmp/down.out" 2>"$tmp/down.err" &
pid=$!
sleep 0.6
ip link set "${ICR_LAB_IF_LAN:-lan}" down
wait $pid
rc=$?
c=$(grep -c '^64 bytes from 198\.18\.0\.1: ' "$tmp/down.out")
ok "$(test $rc = 4 && test "$(wc -l <"$tmp/down.err")" = 1 &&
      grep -q 'The network interface went down' "$tmp/down.err" && test "$c" -gt 0 &&
      grep -qE "^[0-9]+ packets transmitted, $c received" "$tmp/down.out"; echo $?)" \
    "interface down mid-ping: exit 4 (got $rc), one line, the $c replies before it and the summary" ||
    sed 's/^/# /' "$tmp/down.err"

[ $fails -eq 0 ]
