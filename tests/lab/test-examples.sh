#!/bin/bash
# test-examples.sh - lab test of the C twins of icmplib's README examples
# (tools/examples): each runs against the lab and prints what icmplib's would.
set -u
ex=${ICR_EXAMPLES_DIR:?ICR_EXAMPLES_DIR must name the examples directory}
n=0; fails=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fails=$((fails + 1)); fi; }
out=$(mktemp); trap 'rm -f "$out"' EXIT
echo "1..13"

timeout 10 "$ex/single-ping" 198.18.0.1 >"$out"; rc=$?
ok "$(test $rc = 0 && grep -qE '^[0-9]+\.[0-9]{3} ms$' "$out"; echo $?)" "single-ping prints the RTT"
timeout 10 "$ex/single-ping" 203.0.113.1 >"$out"; rc=$?
ok "$(test $rc = 1 && grep -qx 'Destination host unreachable' "$out"; echo $?)" "single-ping prints the ICMP error"

timeout 20 "$ex/verbose-ping" 198.18.0.2 4 0.05 1 >"$out"; rc=$?
ok "$(test $rc = 0 && test "$(grep -cE '^64 bytes from 198\.18\.0\.2: icmp_seq=[0-3] time=' "$out")" = 4 && grep -qx 'Completed.' "$out"; echo $?)" "verbose-ping: 4 replies and 'Completed.'"
timeout 20 "$ex/verbose-ping" 203.0.113.130 2 0.05 0.2 >"$out"; rc=$?
ok "$(test $rc = 0 && test "$(grep -c '^Request timeout for icmp_seq' "$out")" = 2; echo $?)" "verbose-ping: timeouts reported"
timeout 20 "$ex/verbose-ping" 2001:db8:1::2 2 0.05 1 >"$out"; rc=$?
ok "$(test $rc = 0 && test "$(grep -c 'bytes from 2001:db8:1::2' "$out")" = 2; echo $?)" "verbose-ping over IPv6"

timeout 20 "$ex/broadcast-ping" "${ICR_LAB_BCAST4:-192.0.2.255}" 2 0.5 >"$out"; rc=$?
want=$((2 * ${ICR_LAB_BCAST_HOSTS:-3}))
ok "$(test $rc = 0 && test "$(grep -c 'bytes from 192\.0\.2\.' "$out")" = "$want"; echo $?)" "broadcast-ping collects every host's reply ($want)"
sed 's/^/# /' "$out"

timeout 20 "$ex/sweep-example" 198.18.4.0/28 2001:db8:1::4:0/124 >"$out"; rc=$?
ok "$(test $rc = 0 && test "$(grep -cE '^(198\.18\.4\.|2001:db8:1::4:)[0-9a-f]+ [0-9]+\.[0-9]{3} ms$' "$out")" = 30 &&
      grep -qx '30 of 30 alive' "$out"; echo $?)" "sweep-example streams 30 live hosts and its count"

# The README's ping / multiping / traceroute, on lab addresses.
timeout 20 "$ex/ping-example" 198.18.0.7 >"$out"; rc=$?
ok "$(test $rc = 0 && test "$(sed -n 1p "$out")" = '  198.18.0.7' &&
      grep -qx '  Packets sent:     10' "$out" && grep -qx '  Packets received: 10' "$out" &&
      grep -qx '  Packet loss:      0.0%' "$out" &&
      grep -qE '^  Round-trip times: [0-9]+\.[0-9]{1,3} ms / [0-9]+\.[0-9]{1,3} ms / [0-9]+\.[0-9]{1,3} ms$' "$out" &&
      grep -qE '^  Jitter:           [0-9]+\.[0-9]{1,3} ms$' "$out" &&
      test "$(grep -cx -- '-\{60\}' "$out")" = 2 && test "$(wc -l <"$out")" = 8; echo $?)" \
   "ping-example prints the host as icmplib's Host does"
sed 's/^/# /' "$out"
timeout 20 "$ex/ping-example" 203.0.113.129 >"$out"; rc=$?
ok "$(test $rc = 1 && grep -qx '  Packets received: 0' "$out" && grep -qx '  Packet loss:      100.0%' "$out" &&
      grep -qx '  Round-trip times: 0.0 ms / 0.0 ms / 0.0 ms' "$out"; echo $?)" "ping-example: a silent host is down"

timeout 20 "$ex/multiping-example" >"$out"; rc=$?
ok "$(test $rc = 0 && test "$(cat "$out")" = "$(printf '%s\n' '198.18.0.7 is up!' '198.19.0.1 is up!' '2001:db8:1::7 is up!')"; echo $?)" \
   "multiping-example: the default lab hosts are up"
timeout 20 "$ex/multiping-example" 198.18.0.7 203.0.113.1 2001:db8:e:3::1 198.19.0.1 198.18.0.7 >"$out"; rc=$?
ok "$(test $rc = 0 && test "$(cat "$out")" = "$(printf '%s\n' '198.18.0.7 is up!' '203.0.113.1 is down!' \
      '2001:db8:e:3::1 is down!' '198.19.0.1 is up!' '198.18.0.7 is up!')"; echo $?)" \
   "multiping-example: up and down, in input order"

# traceroute: routers 1-5 are the far side of links 1-5, the destination is hop 6.
route4=$(printf '%s\n' 198.51.100.6 198.51.100.10 198.51.100.14 198.51.100.18 198.51.100.22 198.19.0.1)
timeout 20 "$ex/traceroute-example" 198.19.0.1 >"$out"; rc=$?
ok "$(test $rc = 0 && test "$(sed -n 1p "$out")" = 'Distance/TTL    Address                 Average round-trip time' &&
      test "$(wc -l <"$out")" = 7 && ! grep -q 'Some gateways' "$out" &&
      test "$(awk 'NR > 1 {print $1}' "$out" | tr '\n' ' ')" = '1 2 3 4 5 6 ' &&
      test "$(awk 'NR > 1 {print $2}' "$out")" = "$route4" &&
      test "$(grep -cE '^[1-6] +[0-9.]+ +[0-9]+\.[0-9]{1,3} ms$' "$out")" = 6; echo $?)" \
   "traceroute-example 198.19.0.1: 6 hops, distances 1-6, the last is 198.19.0.1"
sed 's/^/# /' "$out"
timeout 20 "$ex/traceroute-example" 2001:db8:2::1 3 >"$out"; rc=$?
ok "$(test $rc = 0 && test "$(sed -n 2p "$out")" = '*               Some gateways are not responding' &&
      test "$(wc -l <"$out")" = 6 &&
      test "$(awk 'NR > 2 {print $1 " " $2}' "$out" | tr '\n' ',')" = \
           '3 2001:db8:ff01:3::2,4 2001:db8:ff01:4::2,5 2001:db8:ff01:5::2,6 2001:db8:2::1,'; echo $?)" \
   "traceroute-example over IPv6 from hop 3: the gap line, then hops 3-6"
[ $fails -eq 0 ]
