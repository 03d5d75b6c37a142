#!/bin/bash
# test-bad-input.sh - lab test: a table of bad input for every subcommand
# (ping, sweep, multiping, traceroute).  For each row: exactly one line on
# stderr, naming the bad value and what would be accepted, the documented
# exit code (README: 2 name lookup, 3 bad arguments, 4 system error), and
# nothing on stdout.  Runs inside the prober namespace (icmpring-lab run
# --tap -- ...), in a private mount namespace of its own (tmpfs mounts, and
# a resolv.conf naming only loopback, so a name lookup sends nothing beyond
# this host); prints TAP.  Every probe that may leave goes to 198.18.0.1,
# the lab's responder.
set -u

if [ -z "${ICR_BAD_INPUT_UNSHARED:-}" ]; then
    if ! command -v unshare >/dev/null; then
        echo "1..0 # SKIP unshare(1) is not installed"
        exit 0
    fi
    ICR_BAD_INPUT_UNSHARED=1 exec unshare --mount --propagation private bash "$0" "$@"
fi

# shellcheck source=tests/lab/tap.sh
. "$(dirname "$0")/tap.sh"

# Name lookups ask loopback only (nothing listens there: they fail at once).
echo "nameserver 127.0.0.1" >"$tmp/resolv.conf"
mount --bind "$tmp/resolv.conf" /etc/resolv.conf

: >"$tmp/empty"
printf '# only a comment\n\n' >"$tmp/comments"
mkdir "$tmp/dir" "$tmp/ro" "$tmp/full"
mount -t tmpfs -o ro,size=64k tmpfs "$tmp/ro"
mount -t tmpfs -o size=64k tmpfs "$tmp/full"
chmod 755 "$tmp"   # uid 65534 must reach the binary's arguments

V=198.18.0.1   # the valid target of every row
E=$tmp/empty C=$tmp/comments D=$tmp/dir
nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)

# The table: NAME | exit code | the bad value (must appear in the line) |
# a word of what is accepted (must appear too) | the arguments.
# A NAME starting with "nobody-" runs as uid/gid 65534.
rows=(
# ping
"p-addr|3|198.18.0.300|address|ping -c 1 198.18.0.300"
"p-cidr|3|198.18.0.1/24|address|ping -c 1 198.18.0.1/24"
"p-count|3|abc|1-4294967294|ping -c abc $V"
"p-count-neg|3|-1|1-4294967294|ping -c -1 $V"
"p-count-0|3|0|1-4294967294|ping -c 0 $V"
"p-ttl|3|256|1-255|ping -c 1 -t 256 $V"
"p-size|3|65508|0-65507|ping -c 1 -s 65508 $V"
"p-timeout-nan|3|nan|seconds|ping -c 1 -W nan $V"
"p-interval-inf|3|inf|seconds|ping -c 1 -i inf $V"
"p-tclass|3|0x100|0-255|ping -c 1 -Q 0x100 $V"
"p-priv|3|--unprivileged|--privileged|ping -c 1 --privileged --unprivileged $V"
"p-46|3|-6|-4|ping -c 1 -4 -6 $V"
"p-4-v6|3|2001:db8:1::1|IPv4|ping -c 1 -4 2001:db8:1::1"
"p-6-v4|3|$V|IPv6|ping -c 1 -6 $V"
"p-source|3|198.18.0.300|address|ping -c 1 -I 198.18.0.300 $V"
"p-unknown|2|no-such-host.invalid|resolve|ping -c 1 no-such-host.invalid"
"p-option|3|--bogus|--help|ping --bogus $V"
"nobody-p|4|--privileged|CAP_NET_RAW|ping -c 1 --privileged $V"
"p-transport|3|--privileged|--transport dgram|ping -c 1 --transport dgram --privileged $V"
# sweep
"s-hostbits|3|198.18.0.1/24|host bits zero|sweep -q 198.18.0.1/24"
"s-reversed|3|198.18.0.9-198.18.0.1|FIRST-LAST|sweep -q 198.18.0.9-198.18.0.1"
"s-v6-all|3|::/0|too many|sweep -q ::/0"
"s-addr|3|198.18.0.256|address|sweep -q 198.18.0.256"
"s-prefix|3|198.18.0.0/33|CIDR|sweep -q 198.18.0.0/33"
"s-rate|3|-1|0-100000000|sweep -q --rate -1 $V"
"s-rate-float|3|1e3|0-100000000|sweep -q --rate 1e3 $V"
"s-count|3|0|1-1000|sweep -q -c 0 $V"
"s-interval|3|nan|0-3600|sweep -q --interval nan $V"
"s-size|3|33|34-1400|sweep -q --size 33 $V"
"s-format|3|xml|ndjson|sweep -q --format xml $V"
"s-shards|3|--shards 2|--shard I|sweep -q --shards 2 $V"
"s-shard-range|3|2|0-1|sweep -q --shards 2 --shard 2 --seed 1 $V"
"s-shard-alone|3|--shard 1|--shards|sweep -q --shard 1 $V"
"s-seed|3|0|1-18446744073709551615|sweep -q --seed 0 $V"
"s-priv|3|--unprivileged|--privileged|sweep -q --privileged --unprivileged $V"
"s-46|3|-6|-4|sweep -q -4 -6 $V"
"s-4-v6|3|2001:db8:1::/120|IPv4|sweep -q -4 2001:db8:1::/120"
"s-exclude|3|198.18.0.1/24|host bits zero|sweep -q --exclude 198.18.0.1/24 198.18.0.0/24"
"s-nofile|4|/nonexistent|No such file|sweep -q -f /nonexistent"
"s-empty|3|$E|no targets|sweep -q -f $E"
"s-comments|3|$C|no targets|sweep -q -f $C"
"s-dir|4|$D|directory|sweep -q -f $D"
"s-out-proc|4|/proc/version|cannot write|sweep -q -o /proc/version $V"
"s-out-ro|4|$tmp/ro/out|Read-only|sweep -q -o $tmp/ro/out $V"
"s-unknown|2|no-such-host.invalid|resolve|sweep -q no-such-host.invalid"
"s-missing|3|--ttl|needs a value|sweep -q $V --ttl"
"nobody-s|4|--privileged|CAP_NET_RAW|sweep -q --privileged $V"
"s-transport|3|bogus|packet, raw, dgram|sweep -q --transport bogus $V"
"s-receive|3|--receive|ring, socket or auto|sweep -q --receive rings $V"
"m-receive|3|--receive|ring, socket or auto|multiping -q --receive none $V"
"s-transport-unpriv|3|--unprivileged|--transport packet|sweep -q --transport packet --unprivileged $V"
"nobody-s-packet|4|--transport packet|CAP_NET_RAW|sweep -q --transport packet $V"
# multiping
"m-addr|3|198.18.0.300|address|multiping -q $V 198.18.0.300"
"m-count|3|0|1-100000|multiping -q -c 0 $V"
"m-count-big|3|100001|1-100000|multiping -q -c 100001 $V"
"m-timeout|3|inf|0-3600|multiping -q -W inf $V"
"m-size|3|33|34-1400|multiping -q -s 33 $V"
"m-rate|3|abc|0-100000000|multiping -q --rate abc $V"
"m-priv|3|--unprivileged|--privileged|multiping -q --privileged --unprivileged $V"
"m-46|3|-6|-4|multiping -q -4 -6 $V"
"m-4-v6|3|2001:db8:1::1|IPv4|multiping -q -4 2001:db8:1::1"
"m-nofile|4|/nonexistent|No such file|multiping -q -f /nonexistent"
"m-empty|3|$E|no hosts|multiping -q -f $E"
"m-dir|4|$D|directory|multiping -q -f $D"
"m-unknown|2|no-such-host.invalid|resolve|multiping -q $V no-such-host.invalid"
"nobody-m|4|--privileged|CAP_NET_RAW|multiping -q --privileged $V"
"m-transport-priv|3|--privileged|--transport dgram|multiping -q --transport dgram --privileged $V"
"nobody-m-raw|4|--transport raw|CAP_NET_RAW|multiping -q --transport raw $V"
# traceroute
"t-hostbits|3|198.18.0.1/24|host bits zero|traceroute -q 198.18.0.1/24"
"t-reversed|3|198.18.0.9-198.18.0.1|FIRST-LAST|traceroute -q 198.18.0.9-198.18.0.1"
"t-v6-all|3|::/0|too many|traceroute -q ::/0"
"t-hops|3|--max-hops 5|--first-hop 10|traceroute -q --first-hop 10 --max-hops 5 $V"
"t-maxhops|3|0|1-255|traceroute -q --max-hops 0 $V"
"t-count|3|256|1-255|traceroute -q -c 256 $V"
"t-interval|3|-0.5|0-3600|traceroute -q -i -0.5 $V"
"t-seed|3|0|1-18446744073709551615|traceroute -q --seed 0 $V"
"t-priv|3|--unprivileged|--privileged|traceroute -q --privileged --unprivileged $V"
"t-46|3|-6|-4|traceroute -q -4 -6 $V"
"t-6-v4|3|$V|IPv6|traceroute -q -6 $V"
"t-nofile|4|/nonexistent|No such file|traceroute -q -f /nonexistent"
"t-empty|3|$E|no targets|traceroute -q -f $E"
"t-dir|4|$D|directory|traceroute -q -f $D"
"t-unknown|2|no-such-host.invalid|resolve|traceroute -q no-such-host.invalid"
"nobody-t|4|--privileged|CAP_NET_RAW|traceroute -q --privileged $V"
"t-transport|3|x|packet, raw, dgram|traceroute -q --transport x $V"
)

echo "1..$(( ${#rows[@]} + 3 ))"

for row in "${rows[@]}"; do
    IFS='|' read -r name code value hint args <<<"$row"
    prefix=()
    case $name in nobody-*) prefix=("${nobody[@]}") ;; esac
    # shellcheck disable=SC2086 # the arguments are words
    "${prefix[@]}" timeout -k 5 30 "$bin" $args >"$tmp/$name.out" 2>"$tmp/$name.err" </dev/null
    got=$?
    lines=$(wc -l <"$tmp/$name.err")
    why=
    [ "$got" = "$code" ] || why+=" exit $got, not $code;"
    [ "$lines" = 1 ] || why+=" $lines lines on stderr;"
    grep -qF -- "$value" "$tmp/$name.err" || why+=" '$value' not named;"
    grep -qF -- "$hint" "$tmp/$name.err" || why+=" '$hint' not said;"
    [ -s "$tmp/$name.out" ] && why+=" output on stdout;"
    if ok "$([ -z "$why" ]; echo $?)" "$name: icmpring $args -> exit $code, one line"; then :; else
        echo "#$why"; diag "$name"
    fi
done

# The disk fills up during a sweep: what fits is kept (whole lines), one
# error line, exit 4.
run full sweep -q --rate 0 --cooldown 0.5 -o "$tmp/full/out" 198.18.0.0/16
why=
[ "$(rc full)" = 4 ] || why+=" exit $(rc full);"
[ "$(wc -l <"$tmp/full.err")" = 1 ] || why+=" $(wc -l <"$tmp/full.err") lines on stderr;"
grep -qF "$tmp/full/out" "$tmp/full.err" && grep -qF "No space left" "$tmp/full.err" || why+=" message;"
[ -s "$tmp/full.out" ] && why+=" output on stdout;"
ok "$([ -z "$why" ]; echo $?)" "disk full: exit 4, one line naming the file and ENOSPC" || { echo "#$why"; diag full; }
size=$(stat -c %s "$tmp/full/out")
ok "$([ "$size" -gt 32768 ]; echo $?)" "disk full: what fits is kept ($size bytes)"
bad=$(grep -cvE '^198\.18\.[0-9]+\.[0-9]+$' "$tmp/full/out")
ok "$([ "$bad" = 0 ] && [ "$(tail -c 1 "$tmp/full/out" | od -An -c | tr -d ' ')" = '\n' ]; echo $?)" \
   "disk full: the file holds whole lines only ($bad bad)"
umount "$tmp/full" "$tmp/ro"
umount /etc/resolv.conf
exit $((fails > 0))
