#!/bin/bash
# test-sweep-cli.sh - lab test of `icmpring sweep`: text/CSV/NDJSON output,
# target syntax (CIDR, ranges, files, exclusions), shards, ICMP errors,
# SIGINT, the summary and status line, exit codes and one-line errors.
# Runs inside the prober namespace (icmpring-lab run --tap -- ...); prints TAP.
# Every sweep is small (at most 512 targets), rate-limited by the engine
# (10000 pps default) and bounded by `timeout`.
set -u

# shellcheck source=tests/lab/tap.sh
. "$(dirname "$0")/tap.sh"
r1=${ICR_LAB_R1_4:-198.51.100.2}
lines() { wc -l <"$tmp/$1.out"; }
# The hosts 1..254 of 198.18.X.0/24, sorted as `sort` does.
hosts24() { for i in $(seq 1 254); do echo "198.18.$1.$i"; done | sort; }
# The "N hits" figure of a summary.
hits() { sed -nE 's/.* ([0-9]+) hits \(.*/\1/p' "$tmp/$1.err"; }

# Under tests/no-uring (io_uring refused, as in a container) every sweep
# runs on sendmmsg/recvmmsg and its summary says so.
if [ "${ICR_TEST_NO_URING:-}" = 1 ]; then
    backend="backend sendmmsg/recvmmsg"
else
    backend="backend io_uring"
fi
echo "1..44"

# 1-3: a /24 in text: every host once, exit 0, a summary on stderr.
run t24 sweep 198.18.0.0/24
ok "$(test "$(rc t24)" = 0; echo $?)" "sweep 198.18.0.0/24 exits 0" || diag t24
sort "$tmp/t24.out" >"$tmp/t24.sorted"
hosts24 0 >"$tmp/want0"
ok "$(cmp -s "$tmp/t24.sorted" "$tmp/want0"; echo $?)" "text: the 254 hosts, once each (got $(lines t24) lines)"
ok "$(test "$(hits t24)" = 254 && grep -q '^254 targets, 254 probes sent' "$tmp/t24.err" &&
      grep -qE 'receive path (packet ring|multishot|one-shot|batched), backend ' "$tmp/t24.err" &&
      grep -q "$backend" "$tmp/t24.err"; echo $?)" "summary: 254 targets, 254 hits, receive path, $backend" || diag t24

# 4-5: some silent targets: exit 1, still the 254 live ones.
run part sweep --cooldown 1 198.18.1.0/24 203.0.113.128/28
ok "$(test "$(rc part)" = 1; echo $?)" "a silent range makes the exit code 1"
ok "$(test "$(lines part)" = 254 && test "$(hits part)" = 254 &&
      grep -q '^268 targets' "$tmp/part.err"; echo $?)" "254 live of 268 targets" || diag part

# 6-7: CSV: the header, then one row per live host.
run csv sweep --format csv --cooldown 0.5 198.18.2.0/24
head -1 "$tmp/csv.out" | grep -qx 'target,responder,kind,type,code,rtt_ms,ttl,sent_ns,probe'
ok $? "csv: header line"
c=$(grep -cE '^198\.18\.2\.([0-9]+),198\.18\.2\.\1,echo,0,0,[0-9]+\.[0-9]{3},64,[0-9]{19},0$' "$tmp/csv.out")
ok "$(test "$c" = 254 && test "$(lines csv)" = 255; echo $?)" "csv: 254 echo rows in format (got $c)" || diag csv

# 8-9: NDJSON parses with jq and carries every field with its type.
run nd sweep --format ndjson --cooldown 0.5 198.18.3.0/28
ok "$(jq -e . "$tmp/nd.out" >/dev/null 2>&1 && test "$(lines nd)" = 14; echo $?)" "ndjson: 14 lines, each valid JSON" || diag nd
c=$(jq -c 'select((.target|type)=="string") | select(.responder==.target) | select(.kind=="echo")
      | select(.type==0 and .code==0) | select((.rtt_ms|type)=="number") | select(.ttl==64)
      | select((.sent_ns|type)=="number" and .sent_ns > 0) | select(.probe==0)' "$tmp/nd.out" | wc -l)
ok "$(test "$c" = 14; echo $?)" "ndjson: every object has target,responder,kind,type,code,rtt_ms,ttl,sent_ns,probe ($c)"

# 10-11: exclusions, from the command line and from a file.
run ex sweep --cooldown 0.5 --exclude 198.18.4.0/25 --exclude 198.18.4.200 198.18.4.0/24
ok "$(test "$(lines ex)" = 126 && ! grep -qE '^198\.18\.4\.([0-9]|[1-9][0-9]|1[01][0-9]|12[0-7]|200)$' "$tmp/ex.out"; echo $?)" \
    "--exclude removes a /25 and one address (126 left, got $(lines ex))" || diag ex
printf '# not these\n198.18.4.0/26\n\n198.18.4.128-198.18.4.254  # nor these\n' >"$tmp/exfile"
run exf sweep --cooldown 0.5 --exclude-file "$tmp/exfile" 198.18.4.0/24
ok "$(test "$(lines exf)" = 64 && test "$(sort -t. -k4n "$tmp/exf.out" | head -1)" = 198.18.4.64; echo $?)" \
    "--exclude-file (64 left, got $(lines exf))" || diag exf

# 12-13: targets from a file with comments, and from stdin.
printf '# lab hosts\n198.18.5.1\n\n  198.18.5.10-198.18.5.19   # a range\n2001:db8:1::5\n' >"$tmp/tfile"
run tf sweep --cooldown 0.5 -f "$tmp/tfile"
ok "$(test "$(rc tf)" = 0 && test "$(lines tf)" = 12 && grep -qx '2001:db8:1::5' "$tmp/tf.out"; echo $?)" "-f FILE with comments: 12 hosts" || diag tf
printf '198.18.5.0/28\n# comment\n' >"$tmp/stdin"
STDIN=$tmp/stdin run tin sweep --cooldown 0.5 -f -
ok "$(test "$(rc tin)" = 0 && test "$(lines tin)" = 14; echo $?)" "-f - reads stdin (14 hosts)" || diag tin

# 14-15: three shards with one seed: a partition of the /24.
for i in 0 1 2; do run "sh$i" sweep --cooldown 0.5 --seed 7 --shards 3 --shard "$i" 198.18.6.0/24; done
cat "$tmp/sh0.out" "$tmp/sh1.out" "$tmp/sh2.out" | sort >"$tmp/shards"
ok "$(test -z "$(uniq -d "$tmp/shards")" && test "$(lines sh0)" -gt 0 && test "$(lines sh1)" -gt 0 &&
      test "$(lines sh2)" -gt 0; echo $?)" "shards do not overlap ($(lines sh0)+$(lines sh1)+$(lines sh2))"
ok "$(cmp -s "$tmp/shards" <(hosts24 6); echo $?)" "the union of the shards is the /24"

# 16: IPv6 (no network/broadcast addresses to drop).
run v6 sweep --cooldown 0.5 2001:db8:1::/120
ok "$(test "$(rc v6)" = 0 && test "$(sort -u "$tmp/v6.out" | grep -c '^2001:db8:1::')" = 256; echo $?)" "IPv6 /120: 256 hosts" || diag v6

# 17-18: Destination Unreachable from r1 shows as kind error type 3.  Only
# 4 targets: r1's kernel limits its "unreachable" errors per destination
# (ip_error(): burst of 5, then 1/s; net.ipv4.route.error_cost/_burst are
# not per network namespace, so the lab cannot lift them).
run unr sweep --format csv --cooldown 1 203.0.113.1-203.0.113.4
c=$(grep -cE "^203\.0\.113\.[1-4],$r1,error,3,1,[0-9.]*,[0-9]*,[0-9]+,0$" "$tmp/unr.out")
ok "$(test "$c" = 4 && test "$(rc unr)" = 1; echo $?)" "unreachable range: 4 csv rows 'error,3,1' from $r1, exit 1 (got $c)" || diag unr
run unrt sweep --cooldown 1 203.0.113.0/28
ok "$(test "$(rc unrt)" = 1 && test "$(lines unrt)" = 0; echo $?)" "unreachable range: exit 1, nothing in text"

# 19: the far responder's replies carry the TTL left after the routers.
run far sweep --format csv --cooldown 1 198.19.0.0/29
ok "$(test "$(grep -c ",echo,0,0,[0-9.]*,$((64 - ${ICR_LAB_ROUTERS:-5})),[0-9]*,0$" "$tmp/far.out")" = 6; echo $?)" \
    "far range: 6 replies with TTL $((64 - ${ICR_LAB_ROUTERS:-5}))" || diag far

# 20: bad arguments: exit 3 and one line each.
printf '198.18.0.1\n198.18.0.0/33\n' >"$tmp/badfile"
bad=0
for args in "198.18.0.0/33" "198.18.0.1/16" "198.18.0.4-198.18.0.3" "--rate -1 198.18.0.1" \
            "--count 0 198.18.0.1" "--count 1001 198.18.0.1" "--shard 3 --shards 3 198.18.0.1" \
            "--shard 1 198.18.0.1" "--shards 2 --shard 1 198.18.0.1" "--format xml 198.18.0.1" \
            "--size 33 198.18.0.1" "--ttl 0 198.18.0.1" "--batch 2000 198.18.0.1" "--bogus 198.18.0.1" \
            "-z 198.18.0.1" "--rate" "" "--exclude 198.18.0.1 198.18.0.1" "--exclude 1.2.3 198.18.0.1" \
            "-f $tmp/badfile"; do
    # shellcheck disable=SC2086
    run bad sweep $args
    if [ "$(rc bad)" != 3 ] || [ "$(wc -l <"$tmp/bad.err")" != 1 ] || [ -s "$tmp/bad.out" ]; then
        bad=$((bad + 1)); echo "# 'sweep $args' -> exit $(rc bad)"; diag bad
    fi
done
ok $bad "bad arguments give exit 3 and one line on stderr"

# 21: the messages name what is wrong.
run m1 sweep 198.18.0.0/33
run m2 sweep -f "$tmp/badfile"
run m3 sweep --shard 1 198.18.0.1
ok "$(grep -q "'198.18.0.0/33'" "$tmp/m1.err" && grep -q "^icmpring sweep: $tmp/badfile:2: " "$tmp/m2.err" &&
      grep -q -- '--shards' "$tmp/m3.err"; echo $?)" "messages name the entry, FILE:LINE and the option" || { diag m1; diag m2; diag m3; }

# 22: unknown host: exit 2, one line.
run unk sweep no-such-host.invalid
ok "$(test "$(rc unk)" = 2 && test "$(wc -l <"$tmp/unk.err")" = 1 && grep -q "no-such-host.invalid" "$tmp/unk.err"; echo $?)" \
    "unknown host: exit 2 and one line" || diag unk

# 23: the one-shot receive path finds the same hosts.
run one sweep --single-recv --cooldown 0.5 198.18.7.0/24
if [ "${ICR_TEST_NO_URING:-}" = 1 ]; then path="receive path batched"; else path="receive path one-shot"; fi
ok "$(test "$(rc one)" = 0 && cmp -s <(sort "$tmp/one.out") <(hosts24 7) && grep -q "$path" "$tmp/one.err"; echo $?)" \
    "--single-recv: the same 254 hosts, $path" || diag one

# 23b: --no-uring: the same hosts on the sendmmsg/recvmmsg backend.
run nou sweep --no-uring --cooldown 0.5 198.18.9.0/24
ok "$(test "$(rc nou)" = 0 && cmp -s <(sort "$tmp/nou.out") <(hosts24 9) &&
      grep -qE 'receive path (packet ring|batched), backend sendmmsg/recvmmsg' "$tmp/nou.err"; echo $?)" \
    "--no-uring: the same 254 hosts, backend sendmmsg/recvmmsg" || diag nou

# 23c-23d: --receive picks where replies come in on the packet transport:
# the ring even for 254 probes, the sockets whatever the size.
if [ "${ICR_TEST_NO_URING:-}" = 1 ]; then sockpath="receive path batched"; else sockpath="receive path multishot"; fi
run rring sweep --receive ring --cooldown 0.5 198.18.11.0/24
ok "$(test "$(rc rring)" = 0 && cmp -s <(sort "$tmp/rring.out") <(hosts24 11) &&
      grep -q 'receive path packet ring' "$tmp/rring.err"; echo $?)" \
    "--receive ring: the same 254 hosts, receive path packet ring" || diag rring
run rsock sweep --receive socket --cooldown 0.5 198.18.12.0/24
ok "$(test "$(rc rsock)" = 0 && cmp -s <(sort "$tmp/rsock.out") <(hosts24 12) &&
      grep -q "$sockpath" "$tmp/rsock.err"; echo $?)" \
    "--receive socket: the same 254 hosts, $sockpath" || diag rsock

# 24-25: SIGINT in a slow sweep: exit 130, every line written, summary agrees.
# The signal is sent once the first line is out (not at a fixed instant: a
# loaded machine may not have started, or finished, by then); at 20 pps the
# /24 takes 12.7 s to send, so the sweep is surely mid-way.
timeout -k 5 30 "$bin" sweep --rate 20 --cooldown 0.5 198.18.8.0/24 >"$tmp/int.out" 2>"$tmp/int.err" &
pid=$!
for _ in $(seq 1 200); do [ -s "$tmp/int.out" ] && break; sleep 0.05; done
kill -INT $pid
wait $pid
irc=$?
ok "$(test $irc = 130 && grep -q '^interrupted' "$tmp/int.err"; echo $?)" "SIGINT: exit 130 (got $irc)" || diag int
ok "$(test "$(lines int)" -gt 0 && test "$(lines int)" -lt 254 && test "$(lines int)" = "$(hits int)" &&
      ! grep -vqE '^198\.18\.8\.([1-9][0-9]?|1[0-9][0-9]|2[0-4][0-9]|25[0-4])$' "$tmp/int.out"; echo $?)" \
    "SIGINT: $(lines int) valid lines = the summary's hits ($(hits int))" || diag int

# 25b: SIGTERM is taken as Ctrl-C: exit 130, every hit written.
timeout -k 5 30 "$bin" sweep --rate 20 --cooldown 0.5 198.18.8.0/24 >"$tmp/term.out" 2>"$tmp/term.err" &
pid=$!
for _ in $(seq 1 200); do [ -s "$tmp/term.out" ] && break; sleep 0.05; done
kill -TERM $pid
wait $pid
trc=$?
ok "$(test $trc = 130 && grep -q '^interrupted' "$tmp/term.err" && test "$(lines term)" -gt 0 &&
      test "$(lines term)" = "$(hits term)"; echo $?)" "SIGTERM: exit 130 (got $trc), $(lines term) lines = hits" || diag term

# 25c: --keep-netbcast keeps the network and broadcast addresses of a
# prefix (4 targets in a /30, where 2 are swept without it).
run knb sweep --cooldown 0.5 --keep-netbcast 198.18.13.0/30
run nknb sweep --cooldown 0.5 198.18.13.0/30
ok "$(grep -q '^4 targets, 4 probes sent' "$tmp/knb.err" && grep -q '^2 targets, 2 probes sent' "$tmp/nknb.err" &&
      test "$(rc nknb)" = 0 && test "$(sort "$tmp/nknb.out" | tr '\n' ' ')" = '198.18.13.1 198.18.13.2 ' &&
      grep -qx 198.18.13.1 "$tmp/knb.out" && grep -qx 198.18.13.2 "$tmp/knb.out"; echo $?)" \
    "--keep-netbcast: 4 targets in a /30 (2 without)" || { diag knb; diag nknb; }

# 25d: the number of senders: at --rate 0 a big sweep (>= 16384 probes)
# takes two where there are 2 CPUs; --senders 1 is honoured.
want_senders=2; [ "$(nproc)" -ge 2 ] || want_senders=1
run sen2 sweep -q --rate 0 --cooldown 0.5 -o "$tmp/sen2.file" 198.18.0.0/17
run sen1 sweep --rate 0 --senders 1 --cooldown 0.5 -o "$tmp/sen1.file" 198.18.0.0/17
run senq sweep --rate 0 --cooldown 0.5 -o "$tmp/senq.file" 198.18.0.0/17
ok "$(test "$(rc sen1)" = 0 && test "$(rc senq)" = 0 && grep -qE ', 1 sender, ' "$tmp/sen1.err" &&
      grep -qE ", $want_senders senders?, " "$tmp/senq.err" && test "$(wc -l <"$tmp/sen1.file")" = 32766 &&
      test "$(wc -l <"$tmp/senq.file")" = 32766; echo $?)" \
    "--rate 0 on 32766 targets: $want_senders senders; --senders 1: 1 sender" || { diag sen1; diag senq; }

# 25e: payload sizes 34, 1000 and 1400: every host answers.
bad=0
for sz in 34 1000 1400; do
    run "sz$sz" sweep --size "$sz" --cooldown 0.5 198.18.13.16/28 2001:db8:1::d:10/124
    if [ "$(rc "sz$sz")" != 0 ] || [ "$(lines "sz$sz")" != 30 ]; then
        bad=$((bad + 1)); echo "# --size $sz: exit $(rc "sz$sz"), $(lines "sz$sz") lines"; diag "sz$sz"
    fi
done
ok $bad "--size 34, 1000, 1400: all 30 hosts each"

# 26: -o FILE, -q (nothing on stderr), and an output that cannot be opened.
run of sweep -q --cooldown 0.5 -o "$tmp/of.file" 198.18.9.0/28
run ofbad sweep --cooldown 0.5 -o "$tmp/no/such/dir" 198.18.9.0/28
ok "$(test "$(rc of)" = 0 && test ! -s "$tmp/of.out" && test ! -s "$tmp/of.err" &&
      test "$(wc -l <"$tmp/of.file")" = 14 && test "$(rc ofbad)" = 4 && test "$(wc -l <"$tmp/ofbad.err")" = 1; echo $?)" \
    "-o FILE and -q; an unwritable output exits 4" || { diag of; diag ofbad; }

# 27: --count 2 --all-replies: both probes of each target are reported.
run all sweep --format csv --count 2 --interval 0.2 --cooldown 0.5 --all-replies 198.18.10.0/29
c0=$(grep -c ',0,[01]$' "$tmp/all.out"); c1=$(grep -c ',1,[01]$' "$tmp/all.out")
ok "$(test "$c0" = 6 && test "$c1" = 6 && head -1 "$tmp/all.out" | grep -q ',duplicate$'; echo $?)" \
    "--count 2 --all-replies: probes 0 and 1 of 6 targets ($c0/$c1)" || diag all

# 28: unprivileged (ICMP datagram sockets) as uid 65534; --privileged refused.
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
nobody timeout -k 5 30 "$bin" sweep --cooldown 0.5 198.18.11.0/24 >"$tmp/np.out" 2>"$tmp/np.err"
nrc=$?
nobody timeout -k 5 30 "$bin" sweep --privileged 198.18.11.0/24 >"$tmp/npp.out" 2>"$tmp/npp.err"
prc=$?
ok "$(test $nrc = 0 && test "$(lines np)" = 254 && test $prc = 4 && test "$(wc -l <"$tmp/npp.err")" = 1; echo $?)" \
    "unprivileged sweep finds 254; --privileged without CAP_NET_RAW exits 4" || { diag np; diag npp; }

# 29: on a terminal, the status line is drawn (script(1) gives stderr a
# tty).  script is in bsdutils (essential on Debian; tests/ci.sh installs
# it): missing, the test fails rather than skips.
if command -v script >/dev/null; then
    timeout -k 5 30 script -qfec "$bin sweep --rate 300 --cooldown 0.5 -o $tmp/tty.file 198.18.12.0/23" /dev/null \
        >"$tmp/tty.out" 2>&1
    ok "$(tr '\r' '\n' <"$tmp/tty.out" | grep -qE '^0:0[0-9] +[0-9]+% \(.*\); send: [0-9]+ .*recv: .*drops: [0-9]+; hitrate: [0-9.]+%' &&
          grep -q '^510 targets' "$tmp/tty.out" && test "$(wc -l <"$tmp/tty.file")" = 510; echo $?)" \
        "status line on a terminal, then the summary" || sed 's/^/# /' "$tmp/tty.out" | cat -v
else
    ok 1 "status line: script(1) not installed (install bsdutils)"
fi

# 30: --help and --version.
run help sweep --help
run ver sweep --version
ok "$(test "$(rc help)" = 0 && grep -q 'Exit codes' "$tmp/help.out" && grep -q '130 interrupted' "$tmp/help.out" &&
      test "$(rc ver)" = 0 && grep -qE '^icmpring sweep [0-9]+\.[0-9]+\.[0-9]+$' "$tmp/ver.out"; echo $?)" "--help and --version"

# 31: SIGINT in the middle of a full-speed sweep with two sender threads
# (2001:db8:1::/104 would take minutes; it is stopped after 0.5 s).
timeout -k 5 30 "$bin" sweep --rate 0 --senders 2 --cooldown 0.5 2001:db8:1::/104 \
    -o "$tmp/int2.out" >/dev/null 2>"$tmp/int2.err" &
pid=$!
sleep 0.5
kill -INT $pid
wait $pid
rc=$?
hits=$(sed -n 's/^.* probes sent of [0-9]*, \([0-9]*\) hits.*$/\1/p' "$tmp/int2.err")
ok "$(test $rc = 130 && grep -q ' 2 senders' "$tmp/int2.err" && test -n "$hits" && test "$hits" -gt 1000 &&
      test "$(wc -l <"$tmp/int2.out")" = "$hits"; echo $?)" \
    "SIGINT with two senders: exit 130, all $hits hits written" || sed 's/^/# /' "$tmp/int2.err"

# 32-33: a source address per family; one that is not this host's is refused.
run src sweep -q --rate 0 -I "${ICR_LAB_PRB4:-192.0.2.1}" -I "${ICR_LAB_PRB6:-2001:db8:ff00::1}" \
    198.18.9.0/24 2001:db8:1::9:0/120
ok "$(test "$(rc src)" = 0 && test "$(lines src)" = 510; echo $?)" "-I for IPv4 and IPv6: all 510 found" || diag src
run srcbad sweep -q -I 203.0.113.77 198.18.9.0/24
ok "$(test "$(rc srcbad)" = 3 && test "$(wc -l <"$tmp/srcbad.err")" = 1 &&
      grep -q 'cannot be assigned' "$tmp/srcbad.err"; echo $?)" "-I with an address that is not ours: exit 3, one line" || diag srcbad

# 34: SIGINT while stdout is a full pipe (a reader that does not read yet):
# the write blocked in the pipe must go on after the handler (SA_RESTART),
# not fail with EINTR and lose a line.  Once drained: exit 130, every hit.
mkfifo "$tmp/fifo"
timeout -k 5 40 "$bin" sweep --format ndjson --cooldown 0.5 198.18.0.0/16 >"$tmp/fifo" 2>"$tmp/fp.err" &
pid=$!
exec 3<"$tmp/fifo"
sleep 1.5 # 64 KiB of NDJSON is a few hundred lines: the sweep is blocked in write()
kill -INT $pid
sleep 0.5
cat <&3 >"$tmp/fp.out"
exec 3<&-
wait $pid
rc=$?
c=$(jq -c 'select(.kind=="echo")' "$tmp/fp.out" 2>/dev/null | wc -l)
ok "$(test $rc = 130 && test "$(lines fp)" -gt 300 && test "$c" = "$(lines fp)" && test "$c" = "$(hits fp)" &&
      grep -q '^interrupted' "$tmp/fp.err"; echo $?)" \
    "SIGINT with stdout a full pipe: exit 130 (got $rc), all $(hits fp) hits written ($c)" || sed 's/^/# /' "$tmp/fp.err"

# 35: the reader goes away (| head -1): no death by SIGPIPE (141); the sweep
# stops, the summary is on stderr and the exit code follows the results
# (1: not every target answered before the stop).
timeout -k 5 30 "$bin" sweep --format ndjson --rate 2000 --cooldown 0.5 198.18.0.0/20 2>"$tmp/hd.err" |
    head -1 >"$tmp/hd.out"
rc=${PIPESTATUS[0]}
ok "$(test "$rc" = 1 && test "$(lines hd)" = 1 && grep -q '^--- sweep summary ---$' "$tmp/hd.err" &&
      grep -q '^output closed by its reader' "$tmp/hd.err"; echo $?)" \
    "sweep | head -1: exit 1 (got $rc, not 141), summary on stderr" || sed 's/^/# /' "$tmp/hd.err"

# 36-37 (last: they take the lab's LAN down): the interface goes down in the
# middle of a sweep.  Exit 4 with one line naming the reason, and every
# reply that came before is written.
timeout -k 5 30 "$bin" sweep --rate 2000 --cooldown 0.5 198.18.0.0/16 -o "$tmp/down.out" \
    >"$tmp/down.stdout" 2>"$tmp/down.err" &
pid=$!
sleep 0.6
ip link set "${ICR_LAB_IF_LAN:-lan}" down
wait $pid
rc=$?
hits=$(sed -n 's/^.* probes sent of [0-9]*, \([0-9]*\) hits.*$/\1/p' "$tmp/down.err")
ok "$(test $rc = 4 && grep -q '^icmpring sweep: the sweep failed: The network interface went down$' "$tmp/down.err" &&
      test -n "$hits" && test "$hits" -gt 0 && test "$(wc -l <"$tmp/down.out")" = "$hits"; echo $?)" \
    "interface down mid-sweep: exit 4, one line, the $hits hits before it written" || sed 's/^/# /' "$tmp/down.err"
timeout -k 5 10 "$bin" ping -c 2 -i 0.1 198.18.0.1 >"$tmp/pdown.out" 2>"$tmp/pdown.err"
rc=$?
ok "$(test $rc = 4 && test "$(wc -l <"$tmp/pdown.err")" = 1 && grep -q 'Network is unreachable' "$tmp/pdown.err"; echo $?)" \
    "ping with the interface down: exit 4 and one line" || sed 's/^/# /' "$tmp/pdown.err"

[ $fails -eq 0 ]
