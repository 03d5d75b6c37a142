#!/bin/bash
# test-traceroute-cli.sh - lab test of `icmpring traceroute`: the route over
# IPv4 and IPv6, error marks, first/max hops, ndjson/csv, many destinations,
# exit codes.  Runs inside the prober namespace; prints TAP.
set -u

# shellcheck source=tests/lab/tap.sh
. "$(dirname "$0")/tap.sh"
R=${ICR_LAB_ROUTERS:-5}
hops=$((R + 1))

echo "1..16"

# hop_re N ADDR: one traceroute(8) line with 2 RTTs (one target: the
# reverse lookup beside the address, the address itself in the lab).
hop_re() {
    local a; a=$(echo "$2" | sed 's/\./\\./g')
    printf '^ ?%d  %s \\(%s\\)  [0-9]+\\.[0-9]{3} ms  [0-9]+\\.[0-9]{3} ms$' "$1" "$a" "$a"
}
check_route() { # check_route NAME FAMILY(4|6) DEST FIRST LAST
    local name=$1 fam=$2 dest=$3 first=$4 last=$5 k bad=0 addr var
    for ((k = first; k <= last; k++)); do
        if [ "$k" -le "$R" ]; then var="ICR_LAB_R${k}_$fam"; addr=${!var}; else addr=$dest; fi
        sed -n "$((k - first + 2))p" "$tmp/$name.out" | grep -qE "$(hop_re "$k" "$addr")" || bad=1
    done
    [ $bad = 0 ] && [ "$(wc -l <"$tmp/$name.out")" = $((last - first + 2)) ]
}

# 1-2: IPv4: header, the routers, then the destination; exit 0.
run t4 traceroute 198.19.0.1
ok "$(test "$(rc t4)" = 0 && test "$(head -1 "$tmp/t4.out")" = "traceroute to 198.19.0.1 (198.19.0.1), 30 hops max, 84 byte packets"; echo $?)" "IPv4: exit 0 and traceroute(8)'s header"
ok "$(check_route t4 4 198.19.0.1 1 $hops; echo $?)" "IPv4: $hops lines, the $R routers then 198.19.0.1" || diag t4

# 3: IPv6.
run t6 traceroute 2001:db8:2::1
ok "$(test "$(rc t6)" = 0 && check_route t6 6 2001:db8:2::1 1 $hops; echo $?)" "IPv6: the $R routers then 2001:db8:2::1" || diag t6

# 4-5: unreachable destinations end with traceroute's mark, quickly.
start=$(date +%s%N)
run un traceroute "${ICR_LAB_UNREACH4:-203.0.113.1}"
took=$(( ($(date +%s%N) - start) / 1000000 ))
ok "$(test "$(rc un)" = 1 && tail -1 "$tmp/un.out" | grep -qE "^ 1  $ICR_LAB_R1_4 \($ICR_LAB_R1_4\)  [0-9.]+ ms !H  [0-9.]+ ms !H$" && test $took -lt 1500; echo $?)" \
    "unreachable: ends with !H from r1, exit 1, in ${took} ms" || diag un
run marks traceroute -q "${ICR_LAB_PROHIBIT4:-203.0.113.65}" "${ICR_LAB_UNREACH6:-2001:db8:e:1::1}"
ok "$(grep -qE ' !X$' "$tmp/marks.out" && grep -qE "^ 1  $ICR_LAB_R1_6  .* !N$" "$tmp/marks.out" && test "$(rc marks)" = 1; echo $?)" \
    "prohibited gives !X, IPv6 no route !N" || diag marks

# 6: --first-hop 3 starts at 3.
run fh traceroute --first-hop 3 198.19.0.1
ok "$(test "$(rc fh)" = 0 && check_route fh 4 198.19.0.1 3 $hops; echo $?)" "--first-hop 3 starts at 3" || diag fh

# 7: --max-hops 3 stops at 3, destination not reached: exit 1.
run mh traceroute --max-hops 3 -W 0.5 198.19.0.1
ok "$(test "$(rc mh)" = 1 && check_route mh 4 198.19.0.1 1 3 &&
      head -1 "$tmp/mh.out" | grep -q ', 3 hops max, 84 byte packets$'; echo $?)" "--max-hops 3 stops at 3, exit 1" || diag mh

# 8: ndjson through jq.
run nd traceroute --format ndjson 198.19.0.1
ok "$(jq -e -s --arg r1 "$ICR_LAB_R1_4" 'length == '$hops' and ([.[].distance] == [range(1; '$((hops + 1))')]) and
      .[0].address == $r1 and .[-1].address == "198.19.0.1" and all(.[]; .target == "198.19.0.1" and
      .packets_sent == 2 and .packets_received == 2 and (.rtts | length) == 2 and .is_alive and
      .packet_loss == 0 and (has("error") | not))' "$tmp/nd.out" >/dev/null; echo $?)" "ndjson: one object per hop" || diag nd

# 9: ndjson error field.
run nde traceroute --format ndjson "${ICR_LAB_UNREACH4:-203.0.113.1}"
ok "$(jq -e -s '.[-1].error == "Destination host unreachable"' "$tmp/nde.out" >/dev/null; echo $?)" "ndjson: the error message of the last hop" || diag nde

# 10: csv.
run csv traceroute --format csv -c 1 2001:db8:2::1
ok "$(test "$(head -1 "$tmp/csv.out")" = "target,distance,address,min_rtt,avg_rtt,max_rtt,rtts,packets_sent,packets_received,packet_loss,jitter,is_alive,error,partial" &&
      test "$(wc -l <"$tmp/csv.out")" = $((hops + 1)) &&
      grep -qE "^2001:db8:2::1,1,$ICR_LAB_R1_6,[0-9.]+,[0-9.]+,[0-9.]+,[0-9.]+,1,1,0\\.0,0\\.0,true,,false$" "$tmp/csv.out"; echo $?)" "csv: header and one row per hop" || diag csv

# 11: a /28 of destinations: 14 blocks, identical hop lists.
run many traceroute -q 198.19.0.0/28
n_hdr=$(grep -c '^traceroute to 198\.19\.0\.' "$tmp/many.out")
n_paths=$(awk '/^traceroute/{if (p) print p; p=""; next} NF{p=p" "$2} END{print p}' "$tmp/many.out" |
          sed -E 's/ 198\.19\.0\.[0-9]+$//' | sort -u | wc -l)
ok "$(test "$(rc many)" = 0 && test "$n_hdr" = 14 && test "$n_paths" = 1; echo $?)" \
    "/28: 14 destinations, one router list ($n_hdr headers, $n_paths lists)" || diag many

# 12: bad arguments: exit 3 and one line.
bad=0
for args in "-c 0 198.19.0.1" "-c abc 198.19.0.1" "-s 20 198.19.0.1" "--max-hops 256 198.19.0.1" \
            "--first-hop 5 --max-hops 3 198.19.0.1" "--first-hop 0 198.19.0.1" "--format xml 198.19.0.1" \
            "--bogus 198.19.0.1" "" "198.19.0.1/33" "--seed 0 198.19.0.1"; do
    # shellcheck disable=SC2086
    run bad traceroute $args
    if [ "$(rc bad)" != 3 ] || [ "$(wc -l <"$tmp/bad.err")" != 1 ]; then
        bad=$((bad + 1)); echo "# 'traceroute $args' -> exit $(rc bad)"; diag bad
    fi
done
run unk traceroute no-such-host.invalid
ok "$(test $bad = 0 && test "$(rc unk)" = 2 && test "$(wc -l <"$tmp/unk.err")" = 1; echo $?)" "bad arguments: exit 3; unknown name: exit 2; one line each"

# 13: SIGINT: exit 130; the finished route is written whole, the one cut
# short (a blackholed destination: no hop ever answers) is marked partial.
sil=${ICR_LAB_BLACKHOLE4:-203.0.113.130}
timeout -k 5 20 "$bin" traceroute --fast -c 100 -i 0.1 -W 0.3 198.19.0.1 "$sil" >"$tmp/int.out" 2>"$tmp/int.err" &
pid=$!
sleep 0.6
kill -INT $pid
wait $pid
rc=$?
ok "$(test $rc = 130 && grep -qxF "traceroute to 198.19.0.1 (198.19.0.1), 30 hops max" "$tmp/int.out" &&
      grep -qE "^ $hops  198\.19\.0\.1  " "$tmp/int.out" &&
      grep -qE "^traceroute to $sil .*\(partial\)" "$tmp/int.out"; echo $?)" \
    "SIGINT: exit 130 (got $rc), the finished route whole, the cut one marked partial" || diag int

# 13b: SIGTERM is taken as Ctrl-C: exit 130, the cut route marked partial.
timeout -k 5 20 "$bin" traceroute --fast -c 100 -i 0.1 -W 0.3 "$sil" >"$tmp/term.out" 2>"$tmp/term.err" &
pid=$!
sleep 0.5
kill -TERM $pid
wait $pid
rc=$?
ok "$(test $rc = 130 && grep -qE "^traceroute to $sil " "$tmp/term.out" && grep -q '(partial)' "$tmp/term.out"; echo $?)" \
    "SIGTERM: exit 130 (got $rc), the cut route marked partial" || diag term

# 14: Ctrl-C twice: the 10 s wait for replies is cut, and the route cut
# short is still written, marked.  (The tool itself, not timeout(1), gets
# the signals; -c/-i bound it to 10 s of probes.)
start=$(date +%s%N)
"$bin" traceroute --fast -c 100 -i 0.1 -W 10 198.19.0.1 "$sil" >"$tmp/int2.out" 2>"$tmp/int2.err" &
pid=$!
sleep 0.5
kill -INT $pid
sleep 0.2
kill -INT $pid
wait $pid
rc=$?
took=$(( ($(date +%s%N) - start) / 1000000 ))
ok "$(test $rc = 130 && test $took -lt 3000 && grep -qE "^ $hops  198\.19\.0\.1  " "$tmp/int2.out" &&
      grep -qE "^traceroute to $sil .*\(partial\)" "$tmp/int2.out"; echo $?)" \
    "Ctrl-C twice: exit 130 (got $rc) in $took ms, the cut route still written and marked" || diag int2

# 15: --help and --version.
run help traceroute --help
run ver traceroute --version
ok "$(test "$(rc help)" = 0 && grep -q 'max_hops' "$tmp/help.out" && grep -q 'Exit codes' "$tmp/help.out" &&
      grep -qE '^icmpring traceroute [0-9]+\.[0-9]+\.[0-9]+$' "$tmp/ver.out"; echo $?)" "--help and --version"

[ $fails -eq 0 ]
