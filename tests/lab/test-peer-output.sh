#!/bin/bash
# test-peer-output.sh - lab test: icmpring's text output against the real
# tools on the same lab targets, with only the measured numbers masked:
# `icmpring ping` against iputils ping (every line: header, replies, errors,
# summary), `icmpring traceroute` (one target) against `traceroute -I`, and
# the -c / -C summary lines of `icmpring multiping` against fping's.
# Normal replies, loss (an address nobody answers), Destination Unreachable
# and TTL exceeded, IPv6, -q, -c, -s, -I, a host name, duplicates, no
# privilege, no route; fping's precision on replies 3 ms late (lab-relay);
# probes larger than a link's MTU (Frag needed / Packet too big, mtu = N).
# Runs inside the prober namespace (icmpring-lab run --tap -- ...); prints TAP.
# The peers come from Debian (iputils-ping, traceroute, fping: tests/ci.sh
# installs them); without one of them the test is skipped, never passed.
set -u

# shellcheck source=tests/lab/tap.sh
. "$(dirname "$0")/tap.sh"
R=${ICR_LAB_ROUTERS:-5}
unr=${ICR_LAB_UNREACH4:-203.0.113.1}
pro=${ICR_LAB_PROHIBIT4:-203.0.113.65}
sil=${ICR_LAB_BLACKHOLE4:-203.0.113.129}
unr6=${ICR_LAB_UNREACH6:-2001:db8:e:1::1}

for peer in ping traceroute fping; do
    if ! command -v "$peer" >/dev/null; then
        echo "1..0 # SKIP $peer is not installed (Debian: apt-get install iputils-ping traceroute fping)"
        exit 0
    fi
done
if ! ping -V 2>/dev/null | grep -q iputils; then
    echo "1..0 # SKIP ping is not iputils ping"
    exit 0
fi

echo "1..42"

# Only what is measured is masked: round-trip times, ping's elapsed time
# and rtt line, and the packet size in traceroute's header (its probes are
# 60 bytes, ours carry at least 34 bytes of payload for the MAC).
mask_ping() {
    sed -E -e 's/ time=[0-9]+(\.[0-9]+)? ms/ time=T ms/' \
        -e 's/, time [0-9]+ms$/, time Tms/' \
        -e 's#^rtt min/avg/max/mdev = [0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+ ms#rtt min/avg/max/mdev = T/T/T/T ms#' \
        -e 's#(^|, )ipg/ewma [0-9]+\.[0-9]{3}/[0-9]+\.[0-9]{3} ms$#\1ipg/ewma T/T ms#'
}
mask_trace() {
    sed -E -e 's/  [0-9]+\.[0-9]{3} ms/  T ms/g' -e 's/, [0-9]+ byte packets$/, N byte packets/'
}
mask_fping() { # -c: min/avg/max; -C: every time (not the host, which holds ':' for IPv6)
    awk 'BEGIN { FS = OFS = " : " }
         { if ($2 ~ /xmt/) sub(/min\/avg\/max = [0-9.\/]+$/, "min/avg/max = T/T/T", $2)
           else gsub(/[0-9]+(\.[0-9]+)?(e[+-][0-9]+)?/, "T", $2)
           print }'
}

# same NAME MASK PEER-CMD -- OURS-ARGS: run both, keep both exit codes,
# compare the masked stdout.  Prints the diff as TAP diagnostics.
same() {
    local name=$1 mask=$2; shift 2
    local peer=()
    while [ "$1" != -- ]; do peer+=("$1"); shift; done
    shift
    timeout -k 5 60 "${peer[@]}" >"$tmp/$name.peer" 2>"$tmp/$name.peer.err" </dev/null
    echo $? >"$tmp/$name.peer.rc"
    run "$name" "$@"
    "$mask" <"$tmp/$name.peer" >"$tmp/$name.peer.m"
    "$mask" <"$tmp/$name.out" >"$tmp/$name.out.m"
    diff -u "$tmp/$name.peer.m" "$tmp/$name.out.m" >"$tmp/$name.diff"
}
why() { # the diff, or the raw outputs when they are the same once masked
    if [ -s "$tmp/$1.diff" ]; then sed 's/^/# /' "$tmp/$1.diff" | head -40
    else sed 's/^/# peer: /' "$tmp/$1.peer" | head -20; sed 's/^/# ours: /' "$tmp/$1.out" "$tmp/$1.err" | head -20; fi
}
nonempty() { test -s "$tmp/$1.peer" && test -s "$tmp/$1.out"; }

# ---- ping (iputils) ------------------------------------------------------
# 1-14: each case compares every line, and the exit codes (0: a reply, 1:
# none), except where our exit codes differ on purpose (none here).
ping_case() { # ping_case NAME DESCRIPTION ARGS...
    local name=$1 desc=$2; shift 2
    same "$name" mask_ping ping "$@" -- ping "$@"
    ok "$(nonempty "$name" && test ! -s "$tmp/$name.diff" &&
          test "$(cat "$tmp/$name.peer.rc")" = "$(rc "$name")"; echo $?)" \
       "ping $desc: the same lines as iputils ping (exit $(rc "$name"))" || why "$name"
}
ping_case p_live "replies (-c 3)" -c 3 -i 0.2 198.18.0.7
ping_case p_c1 "-c 1" -c 1 198.18.0.7
ping_case p_far "through the routers (ttl)" -c 2 -i 0.2 198.19.0.1
ping_case p_q "-q" -q -c 3 -i 0.2 198.18.0.7
ping_case p_loss "loss: nobody answers" -c 2 -i 0.2 -W 1 "$sil"
ping_case p_unr "Destination Host Unreachable" -c 2 -i 0.2 -W 1 "$unr"
ping_case p_pro "Packet filtered" -c 2 -i 0.2 -W 1 "$pro"
ping_case p_ttl "Time to live exceeded (-t 1)" -c 2 -i 0.2 -W 1 -t 1 198.19.0.1
ping_case p_qerr "-q with errors" -q -c 2 -i 0.2 -W 1 "$unr"
ping_case p_v6 "IPv6 replies" -c 3 -i 0.2 2001:db8:1::7
ping_case p_v6unr "IPv6 no route" -c 2 -i 0.2 -W 1 "$unr6"
ping_case p_v6ttl "IPv6 Time exceeded: Hop limit" -c 2 -i 0.2 -W 1 -t 1 2001:db8:2::1
ping_case p_s "-s 1000" -c 2 -i 0.2 -s 1000 198.18.0.7
ping_case p_s10 "-s 10 (no times)" -c 2 -i 0.2 -s 10 198.18.0.7
# 15-16: a source address, and a host name (reverse lookups of the replies).
ping_case p_src "-I ADDRESS" -c 2 -i 0.2 -I "${ICR_LAB_PRB4:-192.0.2.1}" 198.18.0.3
ping_case p_name "a host name (localhost)" -4 -c 2 -i 0.2 localhost

# 17: without privilege (ICMP datagram sockets, uid 65534), replies and
# Time Exceeded (which reaches such a socket through its error queue only).
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
bad=0
for args in "-c 2 -i 0.2 198.18.0.3" "-c 2 -i 0.2 -W 1 -t 1 198.19.0.1"; do
    # shellcheck disable=SC2086
    nobody timeout -k 5 30 ping $args 2>&1 | mask_ping >"$tmp/np.peer"
    # shellcheck disable=SC2086
    nobody timeout -k 5 30 "$bin" ping $args 2>&1 | mask_ping >"$tmp/np.out"
    if ! test -s "$tmp/np.peer" || ! diff -u "$tmp/np.peer" "$tmp/np.out" >"$tmp/np.diff"; then
        bad=1; sed 's/^/# /' "$tmp/np.diff" "$tmp/np.peer" | head -20
    fi
done
ok $bad "ping without privilege (datagram sockets): the same lines as iputils ping"

# 18: no route to the destination (the prober has none to 2001:db8:f::/48): ping(8) prints nothing on stdout (its
# "ping: connect: Network is unreachable" goes to stderr, exit 2); ours
# neither (one line on stderr, exit 4).
same p_noroute mask_ping ping -c 2 -W 1 2001:db8:f::1 -- ping -c 2 -W 1 2001:db8:f::1
ok "$(test ! -s "$tmp/p_noroute.out" && test ! -s "$tmp/p_noroute.peer" && test "$(rc p_noroute)" = 4 &&
      test "$(cat "$tmp/p_noroute.peer.rc")" = 2; echo $?)" "ping without a route: nothing on stdout, as ping(8)" || why p_noroute

# 19: every reply twice (icmpring-lab dup): "(DUP!)" and "+N duplicates",
# the duplicates' times in the mean and mdev, as iputils counts them.
if "${ICR_LAB_BIN:-false}" dup "${ICR_LAB:-}" on >"$tmp/dup.log" 2>&1; then
    ping_case p_dup "duplicates" -c 3 -i 0.2 198.18.0.9
    "$ICR_LAB_BIN" dup "$ICR_LAB" off >/dev/null 2>&1
    grep -q ' (DUP!)$' "$tmp/p_dup.out" || echo "# (no duplicate arrived: the case compared nothing new)"
else
    ok 1 "icmpring-lab dup did not start: $(head -1 "$tmp/dup.log")"
fi

# 20: --jitter adds one line after the summary and changes no other.
run jit ping --jitter -c 3 -i 0.1 198.18.0.7
run nojit ping -c 3 -i 0.1 198.18.0.7
ok "$(test "$(rc jit)" = 0 && grep -qE '^jitter = [0-9]+\.[0-9]{3} ms$' "$tmp/jit.out" &&
      test "$(tail -1 "$tmp/jit.out" | cut -d' ' -f1)" = jitter &&
      diff <(head -n -1 "$tmp/jit.out" | mask_ping) <(mask_ping <"$tmp/nojit.out") >/dev/null; echo $?)" \
   "--jitter: one more line, after the summary" || diag jit

# ---- traceroute -I -----------------------------------------------------------
# 21-28: `icmpring traceroute -c 3` (3 probes per hop, traceroute's -q
# default) against `traceroute -I`.  Exit codes differ on purpose
# (icmpring: 1 when the destination was not reached), so only lines.
# traceroute -w 2,0,0: wait 2 s for every probe.  Its default (5,3,10)
# gives up on a probe after 3 times the hop's first RTT, here 3 x 2 us,
# which a loaded machine misses: '*' for replies that did come.
tr_case() { # tr_case NAME DESCRIPTION "PEER-ARGS" "OUR-ARGS"
    local name=$1 desc=$2 peer=$3 ours=$4
    # shellcheck disable=SC2086
    same "$name" mask_trace traceroute -I -w 2,0,0 $peer -- traceroute -q -c 3 $ours
    ok "$(nonempty "$name" && test ! -s "$tmp/$name.diff"; echo $?)" \
       "traceroute $desc: the same lines as traceroute -I" || why "$name"
}
tr_case t4 "IPv4 through $R routers" "198.19.0.1" "198.19.0.1"
tr_case t6 "IPv6 through $R routers" "2001:db8:2::1" "2001:db8:2::1"
tr_case tn "-n" "-n 198.19.0.1" "-n 198.19.0.1"
tr_case tunr "!H" "$unr" "$unr"
tr_case tpro "!X" "$pro" "$pro"
tr_case tv6unr "IPv6 !N" "$unr6" "$unr6"
tr_case tsil "silence up to the max hops" "-m 3 -w 0.5,0,0 $sil" "--max-hops 3 -W 0.5 $sil"
# (first hop: traceroute -f 3, ours --first-hop 3)
tr_case tfh "-f 3" "-f 3 198.19.0.1" "--first-hop 3 198.19.0.1"

# ---- fping -c / -C summaries -----------------------------------------------
# 29-30: fping -q prints only its summary, on stderr; ours goes to stdout.
# The same hosts (live, far, IPv6, unreachable, silent) in the same order.
hosts=(198.18.0.7 198.19.0.1 2001:db8:1::7 "$unr" "$sil" 198.18.0.8)
fp_case() { # fp_case NAME DESCRIPTION PEER-OPTION OUR-OPTION
    local name=$1 desc=$2
    timeout -k 5 60 fping -q "$3" 3 -p 20 -t 500 "${hosts[@]}" >/dev/null 2>"$tmp/$name.peer.all"
    grep ' : ' "$tmp/$name.peer.all" >"$tmp/$name.peer"
    # shellcheck disable=SC2086
    run "$name" multiping -q $4 -c 3 -i 0.02 -W 0.5 "${hosts[@]}"
    mask_fping <"$tmp/$name.peer" >"$tmp/$name.peer.m"
    mask_fping <"$tmp/$name.out" >"$tmp/$name.out.m"
    diff -u "$tmp/$name.peer.m" "$tmp/$name.out.m" >"$tmp/$name.diff"
    ok "$(test "$(wc -l <"$tmp/$name.out")" = ${#hosts[@]} && test ! -s "$tmp/$name.diff"; echo $?)" \
       "multiping $desc: the same lines as fping $3" || why "$name"
}
fp_case f_c "-c" -c ""
fp_case f_cc "-C" -C -C

# 31-33: replies 3 ms late (through lab-relay), where fping prints 2
# decimals: the same lines once masked, and each of our times has the
# precision fping's sprint_tm gives its value (3, 2, 1 or 0 decimals).
precise() { # every time in FILE formatted as sprint_tm formats its value
    awk 'BEGIN { FS = " : " }
         { s = $2; if (s ~ /xmt/) { if (!sub(/.*min\/avg\/max = /, "", s)) next; gsub("/", " ", s) }
           n = split(s, t, " ")
           for (i = 1; i <= n; i++) {
               if (t[i] == "-") continue
               v = t[i] + 0
               f = v < 1 ? "%.3f" : v < 10 ? "%.2f" : v < 100 ? "%.1f" : "%.0f"
               if (sprintf(f, v) != t[i]) { print "# not as fping formats it: " t[i] > "/dev/stderr"; bad = 1 }
               seen++
           } }
         END { exit bad || !seen }' "$1"
}
if "${ICR_LAB_BIN:-false}" relay "${ICR_LAB:-}" --delay 3 --seconds 60 on >"$tmp/relay.log" 2>&1; then
    hosts=(198.18.200.7 2001:db8:1::200:7 198.18.200.8)
    fp_case f_cd "-c, replies 3 ms late" -c ""
    fp_case f_ccd "-C, replies 3 ms late" -C -C
    "$ICR_LAB_BIN" relay "$ICR_LAB" off >/dev/null 2>&1
    ok "$(grep -qE 'min/avg/max = [0-9]\.[0-9]{2}/' "$tmp/f_cd.peer" && precise "$tmp/f_cd.out" &&
          precise "$tmp/f_ccd.out"; echo $?)" "multiping: times >= 1 ms with fping's precision" ||
        sed 's/^/# /' "$tmp/f_cd.peer" "$tmp/f_cd.out" "$tmp/f_ccd.out"
else
    for k in 1 2 3; do ok 1 "lab-relay did not start (ICR_RELAY): $(head -1 "$tmp/relay.log")"; done
fi

# ---- ping: the rest of iputils' rtt line -------------------------------------
# 34: replies later than the interval (300 ms through lab-relay, -i 0.2):
# iputils ends its rtt line with ", pipe 2" (the most probes in flight when
# a reply came); the sends are 100 ms either side of each reply.
if "${ICR_LAB_BIN:-false}" relay "${ICR_LAB:-}" --delay 300 --seconds 60 on >"$tmp/relay2.log" 2>&1; then
    ping_case p_pipe "replies later than the interval (pipe 2)" -c 3 -i 0.2 198.18.200.7
    "$ICR_LAB_BIN" relay "$ICR_LAB" off >/dev/null 2>&1
else
    ok 1 "lab-relay did not start (ICR_RELAY): $(head -1 "$tmp/relay2.log")"
fi
# 35: -i 0: iputils adds ", ipg/ewma G/E ms" (the mean gap between sends
# and its moving average of the RTT), on the engine path and, alone on
# the line for payloads without times, on the socket path (-s 8).  How
# many probes are in flight with -i 0 depends on the sender (pipe), so the
# lines are checked for the form iputils gives them, not diffed.
ipg='ipg/ewma [0-9]+\.[0-9]{3}/[0-9]+\.[0-9]{3} ms$'
run ipg ping -c 3 -i 0 198.18.0.7
run ipg8 ping -c 2 -i 0 -s 8 198.18.0.7
ok "$(test "$(rc ipg)" = 0 && test "$(rc ipg8)" = 0 &&
      tail -1 "$tmp/ipg.out" | grep -qE "^rtt min/avg/max/mdev = [0-9./]+ ms(, pipe [0-9]+)?, $ipg" &&
      tail -1 "$tmp/ipg8.out" | grep -qE "^$ipg"; echo $?)" \
   "ping -i 0: iputils' ', ipg/ewma G/E ms' on the rtt line (and alone without times)" ||
    { diag ipg; diag ipg8; }
# 36: Ctrl-C: iputils' "time" runs from the first probe to the last one sent
# (not to the Ctrl-C).  -i 0.5, SIGINT after 0.9 s: the last probe left
# ~0.4 s before it; allow 250 ms over the schedule.
timeout -s INT -k 5 0.9 "$bin" ping -i 0.5 198.18.0.7 >"$tmp/int.out" 2>"$tmp/int.err"
sent=$(sed -nE 's/^([0-9]+) packets transmitted.*/\1/p' "$tmp/int.out")
ms=$(sed -nE 's/.*, time ([0-9]+)ms$/\1/p' "$tmp/int.out")
ok "$(test -n "$sent" && test -n "$ms" && test "$sent" -ge 1 &&
      test "$ms" -le $(( (sent - 1) * 500 + 250 )); echo $?)" \
   "ping stopped by SIGINT: time up to the last probe sent ($sent sent, ${ms}ms)" || diag int

# ---- traceroute: probes in their order ---------------------------------------
# 37: the first probe of the last hop lost: traceroute(8) prints each probe
# in turn, ' *' for a lost one and the address before the first answer
# (" 6  * far  T ms  T ms").  far (distance d = R + 1) drops the Echo Reply
# with ICMP sequence 3(d - 1) + 1 (traceroute -I's first probe to TTL d: 3
# per hop, from 1) and d (ours: the clear tag is probe << 8 | TTL, so probe
# 0 at TTL d; the other number is probe 0 at a TTL beyond the destination).
d=$((R + 1))
if printf 'table inet icr_lost0 {\n chain out {\n type filter hook output priority 0;\n icmp type echo-reply icmp sequence { %d, %d } drop\n }\n}\n' "$d" $((3 * (d - 1) + 1)) |
    "${ICR_LAB_BIN:-false}" exec "${ICR_LAB:-}" far -- nft -f - 2>"$tmp/lost0.log"; then
    tr_case t_lost0 "the first probe lost ('*' before the address)" "198.19.0.1" "198.19.0.1"
    "$ICR_LAB_BIN" exec "$ICR_LAB" far -- nft delete table inet icr_lost0 >/dev/null 2>&1
else
    ok 1 "nft in far failed: $(head -1 "$tmp/lost0.log")"
fi

# ---- ping: the command line as ping(8) takes it ------------------------------
# 38: options after HOST (ping(8)'s getopt permutes: 'ping HOST -c 2').
ping_case p_after "options after HOST" 198.18.0.7 -c 2 -i 0.2
# 39: a broadcast address without -b: ping(8) refuses it before its header
# (its UDP connect() gets EACCES), nothing on stdout, exit 2; ours neither
# (one line on stderr, exit 3: a bad argument).
bc=${ICR_LAB_BCAST4:-192.0.2.255}
same p_bcast mask_ping ping -c 2 -W 1 "$bc" -- ping -c 2 -W 1 "$bc"
ok "$(test ! -s "$tmp/p_bcast.out" && test ! -s "$tmp/p_bcast.peer" && test "$(rc p_bcast)" = 3 &&
      test "$(cat "$tmp/p_bcast.peer.rc")" = 2 && grep -q -- '-b' "$tmp/p_bcast.err"; echo $?)" \
   "ping a broadcast address without -b: nothing on stdout, as ping(8)" || why p_bcast

# ---- ping: a link with a smaller MTU -----------------------------------------
# 40-42: the link r1 -> r2 (far with one router) gets MTU 1300 on both ends
# and -s 1400 crosses it.  iputils' probes carry DF: r1 answers the first
# with "Frag needed and DF set (mtu = 1300)" (IPv6: "Packet too big:
# mtu=1300"), and once the prober knows the path MTU the next ones leave
# fragmented and are answered (IPv6: far's reply to the second is too big
# for r2's link back, so far learns the MTU and answers the third).  Each
# run starts with no path MTU known, in prb and far: both caches flushed.
mtu_next=far
[ "$R" -ge 2 ] && mtu_next=r2
mtu_link() {
    "${ICR_LAB_BIN:-false}" exec "${ICR_LAB:-}" r1 -- ip link set "$mtu_next" mtu "$1" &&
        "$ICR_LAB_BIN" exec "$ICR_LAB" "$mtu_next" -- ip link set r1 mtu "$1"
}
mtu_flush() {
    local node
    for node in prb far; do
        "$ICR_LAB_BIN" exec "$ICR_LAB" "$node" -- ip route flush cache &&
            "$ICR_LAB_BIN" exec "$ICR_LAB" "$node" -- ip -6 route flush cache || return 1
    done
}
# mtu_case NAME DESCRIPTION PREFIX ARGS...: as ping_case, the caches
# flushed before each of the two runs; PREFIX: a command to run both under.
mtu_case() {
    local name=$1 desc=$2 pre=$3; shift 3
    # shellcheck disable=SC2086
    mtu_flush && timeout -k 5 60 $pre ping "$@" >"$tmp/$name.peer" 2>"$tmp/$name.peer.err" </dev/null
    echo $? >"$tmp/$name.peer.rc"
    # shellcheck disable=SC2086
    mtu_flush && timeout -k 5 60 $pre "$bin" ping "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" </dev/null
    echo $? >"$tmp/$name.rc"
    mask_ping <"$tmp/$name.peer" >"$tmp/$name.peer.m"
    mask_ping <"$tmp/$name.out" >"$tmp/$name.out.m"
    diff -u "$tmp/$name.peer.m" "$tmp/$name.out.m" >"$tmp/$name.diff"
    ok "$(nonempty "$name" && test ! -s "$tmp/$name.diff" && grep -q 'mtu' "$tmp/$name.out" &&
          test "$(cat "$tmp/$name.peer.rc")" = "$(rc "$name")"; echo $?)" \
       "ping $desc: the same lines as iputils ping (exit $(rc "$name"))" || why "$name"
}
if mtu_link 1300 >"$tmp/mtu.log" 2>&1; then
    mtu_case p_mtu4 "-s 1400 over a 1300-byte link: Frag needed (mtu = 1300)" "" \
        -c 3 -i 0.2 -W 1 -s 1400 198.19.0.41
    mtu_case p_mtu6 "IPv6 -s 1400 over a 1300-byte link: Packet too big: mtu=1300" "" \
        -c 3 -i 0.2 -W 1 -s 1400 2001:db8:2::41
    mtu_case p_mtu4np "without privilege, -s 1400 over a 1300-byte link" \
        "setpriv --reuid=65534 --regid=65534 --clear-groups" -c 3 -i 0.2 -W 1 -s 1400 198.19.0.42
    mtu_link 1500 >/dev/null 2>&1
    mtu_flush >/dev/null 2>&1
else
    for k in 1 2 3; do ok 1 "the link's MTU could not be set: $(head -1 "$tmp/mtu.log")"; done
fi

[ $fails -eq 0 ]
