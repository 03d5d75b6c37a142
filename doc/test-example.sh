#!/bin/bash
# test-example.sh MAN-EXAMPLE - lab test (run inside the prober of a lab by
# icmpring-lab run) of the program of libicmpring(3)'s EXAMPLE section, as
# extracted from the rendered page: it pings hosts that answer, one behind
# an unreachable route and a silent one, and stops cleanly on SIGINT, as the
# page says.
set -u
ex=$1
n=0; fails=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fails=$((fails + 1)); fi; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
out=$tmp/out err=$tmp/err
r1=${ICR_LAB_R1_4:-198.51.100.6}
echo "1..6"

# Three probes to each: two hosts answer, 203.0.113.1 lies behind r1's
# unreachable route (ICMP 3/1 from r1).
timeout -k 5 30 "$ex" 198.18.0.1 2001:db8:1::1 203.0.113.1 >"$out" 2>"$err"; rc=$?
sed 's/^/# /' "$out" "$err"
ok "$(test $rc = 1 &&
      grep -qE '^198\.18\.0\.1 \(198\.18\.0\.1\): 3/3 received, rtt min/avg/max [0-9.]+/[0-9.]+/[0-9.]+ ms, jitter [0-9.]+ ms$' "$out" &&
      grep -qE '^2001:db8:1::1 \(2001:db8:1::1\): 3/3 received, rtt min/avg/max ' "$out"; echo $?)" \
   "every reply of the live hosts, with RTTs and jitter (exit 1: one host is down)"
ok "$(grep -qxF "203.0.113.1 (203.0.113.1): 0/3 received, last error from $r1: Destination host unreachable" "$out"; echo $?)" \
   "the unreachable host: its last ICMP error, the router and icmplib's message"
ok "$(test "$(grep -c 'received' "$out")" = 3 &&
      grep -qE '^9 probes sent, 6 replies, 0 invalid, backend (io_uring|sendmmsg/recvmmsg)$' "$out"; echo $?)" \
   "one line per host and the job's counters"

timeout -k 5 30 "$ex" 198.18.0.1 198.19.0.1 >"$out" 2>"$err"; rc=$?
ok "$(test $rc = 0 && test "$(grep -c ': 3/3 received' "$out")" = 2; echo $?)" "exit 0 when every host answered"

timeout -k 5 30 "$ex" no-such-host.invalid >"$out" 2>"$err"; rc=$?
ok "$(test $rc = 2 && grep -qxF 'no-such-host.invalid: The name cannot be resolved' "$err" && test ! -s "$out"; echo $?)" \
   "a name that does not resolve: icr_strerror's sentence, exit 2"

# SIGINT as soon as the program catches it (its handler is installed right
# before icr_multiping_run, which then lasts at least timeout = 1 s): no
# sleep to guess, /proc says when.  Every host is still reported.
"$ex" 198.18.0.1 203.0.113.129 >"$out" 2>"$err" &
pid=$!
( sleep 30; kill -KILL "$pid" 2>/dev/null ) &
watchdog=$!
caught=0
for _ in $(seq 1000); do
    mask=$(awk '/^SigCgt:/ { print $2 }' "/proc/$pid/status" 2>/dev/null) || break
    [ -n "$mask" ] && (( 16#$mask & 2 )) && { caught=1; break; }   # bit 1: SIGINT
    sleep 0.01
done
kill -INT "$pid"
wait "$pid"; rc=$?
kill "$watchdog" 2>/dev/null; wait "$watchdog" 2>/dev/null
sed 's/^/# /' "$out" "$err"
ok "$(test $caught = 1 && test $rc = 1 && grep -qE '^198\.18\.0\.1 \(198\.18\.0\.1\): [1-3]/[1-3] received, rtt ' "$out" &&
      grep -qE '^203\.0\.113\.129 \(203\.0\.113\.129\): 0/[1-3] received$' "$out" &&
      grep -qE '^[0-9]+ probes sent, [1-3] replies, 0 invalid' "$out" && test ! -s "$err"; echo $?)" \
   "SIGINT during the run: stopped cleanly, every host reported (exit 1: one is down)"
exit $((fails > 0))
