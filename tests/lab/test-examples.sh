#!/bin/bash
# test-examples.sh - lab test of the C twins of icmplib's README examples
# (tools/examples): each runs against the lab and prints what icmplib's would.
set -u
ex=${ICR_EXAMPLES_DIR:?ICR_EXAMPLES_DIR must name the examples directory}
n=0; fails=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fails=$((fails + 1)); fi; }
out=$(mktemp); trap 'rm -f "$out"' EXIT
echo "1..7"

timeout 10 "$ex/single-ping" 198.18.0.1 >"$out"; rc=$?
ok "$(test $rc = 0 && grep -qE '^[0-9]+\.[0-9]{3} ms$' "$out"; echo $?)" "single-ping prints the RTT"
timeout 10 "$ex/single-ping" 203.0.113.1 >"$out"; rc=$?
ok "$(test $rc = 1 && grep -qx 'Destination host unreachable' "$out"; echo $?)" "single-ping prints the ICMP error"

timeout 20 "$ex/verbose-ping" 198.18.0.2 4 0.05 1 >"$out"
ok "$(test "$(grep -cE '^64 bytes from 198\.18\.0\.2: icmp_seq=[0-3] time=' "$out")" = 4 && grep -qx 'Completed.' "$out"; echo $?)" "verbose-ping: 4 replies and 'Completed.'"
timeout 20 "$ex/verbose-ping" 203.0.113.130 2 0.05 0.2 >"$out"
ok "$(test "$(grep -c '^Request timeout for icmp_seq' "$out")" = 2; echo $?)" "verbose-ping: timeouts reported"
timeout 20 "$ex/verbose-ping" 2001:db8:1::2 2 0.05 1 >"$out"
ok "$(test "$(grep -c 'bytes from 2001:db8:1::2' "$out")" = 2; echo $?)" "verbose-ping over IPv6"

timeout 20 "$ex/broadcast-ping" "${ICR_LAB_BCAST4:-192.0.2.255}" 2 0.5 >"$out"
want=$((2 * ${ICR_LAB_BCAST_HOSTS:-3}))
ok "$(test "$(grep -c 'bytes from 192\.0\.2\.' "$out")" = "$want"; echo $?)" "broadcast-ping collects every host's reply ($want)"
sed 's/^/# /' "$out"

timeout 20 "$ex/sweep-example" 198.18.4.0/28 2001:db8:1::4:0/124 >"$out"; rc=$?
ok "$(test $rc = 0 && test "$(grep -cE '^(198\.18\.4\.|2001:db8:1::4:)[0-9a-f]+ [0-9]+\.[0-9]{3} ms$' "$out")" = 30 &&
      grep -qx '30 of 30 alive' "$out"; echo $?)" "sweep-example streams 30 live hosts and its count"
[ $fails -eq 0 ]
