#!/bin/bash
# test-multiping-cli.sh - lab test of `icmpring multiping`: fping-style lines
# in input order, -C lists, csv/ndjson, exit codes, one-line errors, SIGINT.
# Runs inside the prober namespace (icmpring-lab run --tap -- ...); prints TAP.
set -u

# shellcheck source=tests/lab/tap.sh
. "$(dirname "$0")/tap.sh"
r1=${ICR_LAB_R1_4:-198.51.100.6}
r1_6=${ICR_LAB_R1_6:-2001:db8:ff01:1::2}
unr=${ICR_LAB_UNREACH4:-203.0.113.1}
sil=${ICR_LAB_BLACKHOLE4:-203.0.113.129}
unr6=${ICR_LAB_UNREACH6:-2001:db8:e:1::1}

echo "1..23"

# A time as fping prints it: 3 decimals below 1 ms, 2 below 10, 1 below 100.
t='[0-9]+(\.[0-9]{1,3})?'

# 1-3: a mix of live (IPv4, IPv6, far), unreachable and silent hosts: one
# line each, in input order, padded like fping; exit 1.
run mix multiping -c 3 -i 0.02 -W 0.5 198.18.0.1 2001:db8:1::5 "$unr" "$sil" 198.19.0.1 "$unr6"
ok "$(test "$(rc mix)" = 1; echo $?)" "mixed hosts: exit 1 (got $(rc mix))"
cut -d: -f1 "$tmp/mix.out" | sed 's/ *$//' >"$tmp/mix.order"
printf '%s\n' 198.18.0.1 2001 "$unr" "$sil" 198.19.0.1 2001 >"$tmp/mix.want"
# (IPv6 names hold ':', so compare the lines themselves)
want=$(printf '%-15s : xmt/rcv/%%loss = 3/0/100%%\n' "$unr" "$sil")
c=$(grep -cE '^(198\.18\.0\.1     |2001:db8:1::5  |198\.19\.0\.1     ) : xmt/rcv/%loss = 3/3/0%, min/avg/max = '"$t/$t/$t"'$' "$tmp/mix.out")
ok "$(test "$c" = 3 && grep -qxF "$(echo "$want" | head -1)" "$tmp/mix.out" &&
      grep -qxF "$(echo "$want" | tail -1)" "$tmp/mix.out" &&
      grep -qxF "$(printf '%-15s : xmt/rcv/%%loss = 3/0/100%%' "$unr6")" "$tmp/mix.out"; echo $?)" \
    "mixed hosts: exact fping -c lines (live $c/3)" || diag mix
awk '{print $1}' "$tmp/mix.out" | tr '\n' ' ' >"$tmp/mix.order"
ok "$(test "$(cat "$tmp/mix.order")" = "198.18.0.1 2001:db8:1::5 $unr $sil 198.19.0.1 $unr6 "; echo $?)" \
    "mixed hosts: input order ($(cat "$tmp/mix.order"))"

# 3b: --receive ring: the same answers through the packet ring (the
# summary names it; errors from r1 come through it too).
run rring multiping --receive ring -c 3 -i 0.02 -W 0.5 198.18.0.1 2001:db8:1::5 "$unr" 198.19.0.1 "$unr6"
c=$(grep -cE '^(198\.18\.0\.1     |2001:db8:1::5  |198\.19\.0\.1     ) : xmt/rcv/%loss = 3/3/0%' "$tmp/rring.out")
ok "$(test "$(rc rring)" = 1 && test "$c" = 3 && grep -q '3 ICMP errors\|6 ICMP errors' "$tmp/rring.err" &&
      grep -q 'receive path packet ring' "$tmp/rring.err"; echo $?)" \
    "--receive ring: live hosts 3/3, errors counted, receive path packet ring (live $c/3)" || diag rring

# 4: all alive, back to back: exit 0.
run live multiping -c 3 -i 0 198.18.0.1 198.18.0.2 2001:db8:1::1 2001:db8:1::2 198.19.0.9
ok "$(test "$(rc live)" = 0 && test "$(grep -c '= 3/3/0%' "$tmp/live.out")" = 5; echo $?)" "all alive: exit 0, 5 lines" || diag live

# 5-7: ndjson through jq.
run nd multiping --format ndjson -c 3 -i 0.02 -W 0.5 198.18.0.3 "$unr" "$sil" 2001:db8:1::3
ok "$(jq -e -s 'length == 4' "$tmp/nd.out" >/dev/null; echo $?)" "ndjson: 4 objects, jq parses them" || diag nd
ok "$(jq -e -s '[.[] | [.address, .packets_sent, .packets_received, .is_alive, (.rtts|length)]] ==
      [["198.18.0.3",3,3,true,3], ["'"$unr"'",3,0,false,0], ["'"$sil"'",3,0,false,0], ["2001:db8:1::3",3,3,true,3]]' \
      "$tmp/nd.out" >/dev/null; echo $?)" "ndjson: addresses, packets_sent/received, is_alive, rtts in input order"
ok "$(jq -e -s '.[1].error == "Destination host unreachable" and .[1].error_source == "'"$r1"'" and
      (.[0] | has("error") | not) and .[1].packet_loss == 1 and .[0].packet_loss == 0 and
      (.[0].min_rtt <= .[0].avg_rtt and .[0].avg_rtt <= .[0].max_rtt) and (.[0].jitter >= 0)' \
      "$tmp/nd.out" >/dev/null; echo $?)" "ndjson: error and error_source of the unreachable host, stats"

# 8: csv: header and one row per host.
run csv multiping --format csv -c 2 -i 0.02 -W 0.5 198.18.0.4 "$unr6"
ok "$(test "$(head -1 "$tmp/csv.out")" = "address,min_rtt,avg_rtt,max_rtt,rtts,packets_sent,packets_received,packet_loss,jitter,is_alive,error,error_source,partial" &&
      test "$(wc -l <"$tmp/csv.out")" = 3 &&
      grep -qE '^198\.18\.0\.4,[0-9.]+,[0-9.]+,[0-9.]+,[0-9.]+;[0-9.]+,2,2,0\.0,[0-9.]+,true,,,false$' "$tmp/csv.out" &&
      grep -qxF "$unr6,0.0,0.0,0.0,,2,0,1.0,0.0,false,No route to destination,$r1_6,false" "$tmp/csv.out"; echo $?)" \
    "csv: header and rows" || diag csv

# 9: -C: every probe, '-' for the lost ones.
run cc multiping -C -c 3 -i 0.02 -W 0.3 198.18.0.5 "$sil"
ok "$(grep -qE '^198\.18\.0\.5    : '"$t $t $t"'$' "$tmp/cc.out" &&
      grep -qxF "$sil : - - -" "$tmp/cc.out" && test "$(rc cc)" = 1; echo $?)" "-C: per-probe RTT lists" || diag cc

# 10: -f file and stdin, '#' comments.
printf '# hosts\n198.18.0.6\n\n  2001:db8:1::6  # v6\n' >"$tmp/hosts"
STDIN="$tmp/hosts" run ff multiping -c 1 -f - 198.18.0.7
ok "$(test "$(rc ff)" = 0 && test "$(awk '{print $1}' "$tmp/ff.out" | tr '\n' ' ')" = "198.18.0.7 198.18.0.6 2001:db8:1::6 "; echo $?)" \
    "-f - reads hosts from stdin after the arguments" || diag ff

# 11-12: a name that does not resolve: exit 2, one line, nothing sent.
run unk multiping 198.18.0.1 no-such-host.invalid
ok "$(test "$(rc unk)" = 2; echo $?)" "unknown host: exit 2"
ok "$(test "$(wc -l <"$tmp/unk.err")" = 1 && test ! -s "$tmp/unk.out" &&
      grep -qxF "icmpring multiping: cannot resolve 'no-such-host.invalid': The name cannot be resolved" "$tmp/unk.err"; echo $?)" \
    "unknown host: one-line message" || diag unk

# 13: bad arguments: exit 3 and one line each.
bad=0
for args in "-c 0 198.18.0.1" "-c abc 198.18.0.1" "-s 20 198.18.0.1" "-s 1401 198.18.0.1" \
            "-t 0 198.18.0.1" "-Q 256 198.18.0.1" "-i -1 198.18.0.1" "-W x 198.18.0.1" \
            "--rate -5 198.18.0.1" "--format xml 198.18.0.1" "--bogus 198.18.0.1" "" \
            "-I bad 198.18.0.1" "-I 203.0.113.77 198.18.0.1" "-c"; do
    # shellcheck disable=SC2086
    run bad multiping $args
    if [ "$(rc bad)" != 3 ] || [ "$(wc -l <"$tmp/bad.err")" != 1 ]; then
        bad=$((bad + 1)); echo "# 'multiping $args' -> exit $(rc bad)"; diag bad
    fi
done
ok $bad "bad arguments give exit 3 and one line"
run s20 multiping -s 20 198.18.0.1
ok "$(grep -qxF "icmpring multiping: invalid value '20' for -s (expected 34-1400 bytes: the first 34 carry the probe's MAC)" "$tmp/s20.err"; echo $?)" \
    "-s 20: the message names the range"

# 15: SIGINT: exit 130, every host written, the ones cut short marked.
timeout -k 5 20 "$bin" multiping -c 1000 -i 0.01 -W 0.3 198.18.0.8 "$sil" 2001:db8:1::8 >"$tmp/int.out" 2>"$tmp/int.err" &
pid=$!
sleep 0.5
kill -INT $pid
wait $pid
rc=$?
ok "$(test $rc = 130 && test "$(wc -l <"$tmp/int.out")" = 3 && test "$(grep -c ' (partial)$' "$tmp/int.out")" = 3 &&
      test "$(awk '{print $1}' "$tmp/int.out" | tr '\n' ' ')" = "198.18.0.8 $sil 2001:db8:1::8 "; echo $?)" \
    "SIGINT: exit 130 (got $rc), every host written and marked partial" || diag int

# 15b: SIGTERM is taken as Ctrl-C: exit 130, every host written, marked.
timeout -k 5 20 "$bin" multiping -c 1000 -i 0.01 -W 0.3 198.18.0.8 "$sil" >"$tmp/term.out" 2>"$tmp/term.err" &
pid=$!
sleep 0.5
kill -TERM $pid
wait $pid
rc=$?
ok "$(test $rc = 130 && test "$(wc -l <"$tmp/term.out")" = 2 && test "$(grep -c ' (partial)$' "$tmp/term.out")" = 2; echo $?)" \
    "SIGTERM: exit 130 (got $rc), every host written and marked partial" || diag term

# 15c: -s 1400, the largest payload: every reply comes back.
run s1400 multiping -c 3 -i 0.02 -s 1400 198.18.0.10 2001:db8:1::10
ok "$(test "$(rc s1400)" = 0 && test "$(grep -c '= 3/3/0%' "$tmp/s1400.out")" = 2; echo $?)" \
    "-s 1400: 3/3 for both hosts" || diag s1400

# 15d: the default interval is -i 0.01 (fping's pace), not icmplib's 0.5 s:
# three probes to a live host take well under a second.
t0=$(date +%s%N)
run dflt multiping -q -c 3 198.18.0.9
took=$(( ($(date +%s%N) - t0) / 1000000 ))
ok "$(test "$(rc dflt)" = 0 && test $took -lt 700; echo $?)" "default interval 0.01: -c 3 in ${took} ms" || diag dflt

# 16: --help and --version.
run help multiping --help
run ver multiping --version
ok "$(test "$(rc help)" = 0 && grep -q 'Exit codes' "$tmp/help.out" && test "$(rc ver)" = 0 &&
      grep -qE '^icmpring multiping [0-9]+\.[0-9]+\.[0-9]+$' "$tmp/ver.out"; echo $?)" "--help and --version"

# 17: unprivileged (datagram sockets) as uid 65534.
setpriv --reuid=65534 --regid=65534 --clear-groups timeout 10 "$bin" multiping -c 2 -i 0.02 198.18.0.9 2001:db8:1::9 >"$tmp/np.out" 2>&1
ok "$(test $? = 0 && test "$(grep -c '= 2/2/0%' "$tmp/np.out")" = 2; echo $?)" "unprivileged multiping works" || sed 's/^/# /' "$tmp/np.out"

# 18: the summary on stderr: hosts, alive, probes, replies, kernel drops.
timeout -k 5 20 "$bin" multiping -c 2 -i 0.02 -W 1 198.18.0.10 2001:db8:1::10 "$sil" >"$tmp/sum.out" 2>"$tmp/sum.err"
ok "$(test $? = 1 && grep -qxF -- '--- multiping summary ---' "$tmp/sum.err" &&
      grep -qx '3 hosts, 2 alive (66.67%)' "$tmp/sum.err" &&
      grep -qE '^6 probes sent of 6, 4 replies received, 0 duplicates, 0 ICMP errors, 0 invalid' "$tmp/sum.err" &&
      grep -qE '^0 kernel drops, 0 send errors$' "$tmp/sum.err" && test "$(wc -l <"$tmp/sum.out")" = 3; echo $?)" \
    "summary on stderr: hosts, alive, probes, replies, kernel drops" || diag sum

# 19: -q: no summary.
timeout -k 5 20 "$bin" multiping -q -c 1 198.18.0.10 >"$tmp/sumq.out" 2>"$tmp/sumq.err"
ok "$(test $? = 0 && test ! -s "$tmp/sumq.err" && test "$(wc -l <"$tmp/sumq.out")" = 1; echo $?)" \
    "-q: no summary" || diag sumq

[ $fails -eq 0 ]
