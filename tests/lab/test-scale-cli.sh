#!/bin/bash
# test-scale-cli.sh - lab test of scale-out in the CLI (issue 9): shards of
# sweep, multiping and traceroute against a single run of the same seed,
# `icmpring merge` and its refusals, --resume after SIGKILL and SIGTERM,
# and the refusal of a checkpoint from another run.  Runs inside the prober
# namespace (icmpring-lab run --tap -- ...); prints TAP.
set -u

# shellcheck source=tests/lab/tap.sh
. "$(dirname "$0")/tap.sh"
cd "$tmp" || exit 1

echo "1..33"

# Shards in the background, killed by SIGKILL after $1 s; the rest of the
# arguments are the command.  Leaves the exit code in $tmp/$name.rc.
kill_after() {
    local secs=$1 name=$2; shift 2
    "$bin" "$@" >"$name.out" 2>"$name.err" &
    local pid=$!
    sleep "$secs"
    kill -KILL "$pid" 2>/dev/null
    wait "$pid"
    echo $? >"$name.rc"
}
ckpt() { sed -n "s/^$2 //p" "$1"; }  # ckpt FILE KEY

# ---- 1-4: sweep: 4 shards = one run of the same seed --------------------
S="--rate 0 --cooldown 1 --seed 41 198.18.0.0/18"
run sw_full sweep -q $S -o sw_full.txt
for i in 0 1 2 3; do
    run sw$i sweep -q $S --shards 4 --shard $i -o sw$i.txt --summary-json sw$i.json --resume sw$i.ckpt
done
cat sw0.txt sw1.txt sw2.txt sw3.txt | sort >sw_union
sort sw_full.txt >sw_fullsorted
ok "$(test "$(wc -l <sw_full.txt)" = 16382 && cmp -s sw_union sw_fullsorted; echo $?)" \
    "sweep: the union of 4 shards is the single run ($(wc -l <sw_union) of $(wc -l <sw_full.txt) lines)"
ok "$(test -z "$(sort sw_union | uniq -d)" && test "$(wc -l <sw1.txt)" -gt 3500 &&
      test "$(wc -l <sw1.txt)" -lt 4700; echo $?)" "sweep: no target in two shards, about a quarter each"
run swm merge -o sw_merged.txt --summary-json sw_merged.json sw2.json sw0.json sw3.json sw1.json
ok "$(test "$(rc swm)" = 0 && sort -V sw_full.txt | cmp -s - sw_merged.txt; echo $?)" \
    "merge (sweep): one output, every target once, in target order" || diag swm
ok "$(jq -e '.kind == "sweep" and .shards == 4 and .seed == 41 and .hits == 16382 and
      .records == 16382 and .complete and (.icmpring_version | length > 0) and
      (.targets_hash | test("^[0-9a-f]{16}$"))' sw_merged.json >/dev/null &&
      jq -e -s 'map(.shard) | sort == [0,1,2,3]' sw0.json sw1.json sw2.json sw3.json >/dev/null; echo $?)" \
    "merge (sweep): combined summary; shard summaries name seed, shard, shards, hash, counts"

# ---- 5-10: merge refuses what is not one complete run --------------------
run mmiss merge -o x sw0.json sw1.json sw3.json
ok "$(test "$(rc mmiss)" = 3 && grep -q "shard 2 of 4 is missing" mmiss.err && test ! -s x; echo $?)" \
    "merge: a missing shard is refused, named ($(head -c 80 mmiss.err))"
run mdup merge -o x sw0.json sw1.json sw2.json sw3.json sw1.json
ok "$(test "$(rc mdup)" = 3 && grep -q "shard 1 is given twice" mdup.err; echo $?)" \
    "merge: a repeated shard is refused, named"
run swb sweep -q --rate 0 --cooldown 1 --seed 42 198.18.0.0/18 --shards 4 --shard 2 -o swb.txt --summary-json swb.json
run mseed merge -o x sw0.json sw1.json swb.json sw3.json
ok "$(test "$(rc mseed)" = 3 && grep -q "the seeds differ: 41 .*42" mseed.err; echo $?)" \
    "merge: different seeds are refused, named"
run swc sweep -q --rate 0 --cooldown 1 --seed 41 198.18.0.0/19 --shards 4 --shard 2 -o swc.txt --summary-json swc.json
run mtgt merge -o x sw0.json sw1.json swc.json sw3.json
ok "$(test "$(rc mtgt)" = 3 && grep -q "the targets differ: target-spec hash" mtgt.err; echo $?)" \
    "merge: different targets are refused, named"
sed 's/"icmpring_version":"[^"]*"/"icmpring_version":"0.0.1"/' sw2.json >swv.json
run mver merge -o x sw0.json sw1.json swv.json sw3.json
ok "$(test "$(rc mver)" = 3 && grep -q "the icmpring versions differ" mver.err; echo $?)" \
    "merge: different icmpring versions are refused, named"
# An interrupted shard (SIGTERM: cooldown, summary, exit 130) is not complete.
"$bin" sweep -q --rate 5000 --cooldown 0.5 --seed 41 198.18.0.0/18 --shards 4 --shard 2 \
    -o swi.txt --summary-json swi.json & p=$!; sleep 0.4; kill -TERM $p; wait $p; swi_rc=$?
run mint merge -o x sw0.json sw1.json swi.json sw3.json
ok "$(test "$swi_rc" = 130 && jq -e '.complete == false' swi.json >/dev/null &&
      test "$(rc mint)" = 3 && grep -q "shard 2 .* did not complete" mint.err; echo $?)" \
    "merge: an interrupted shard is refused (shard rc $swi_rc)"

# ---- 11-14: multiping: shards in input order; merge restores the order --
for i in $(seq 0 599); do
    if [ $((i % 40)) = 39 ]; then echo "2001:db8:1::$((i + 1000))"
    elif [ $((i % 97)) = 96 ]; then echo "203.0.113.$((i % 50 + 129))"   # silent
    else echo "198.18.$((i / 250 + 30)).$((i % 250 + 1))"; fi
done >hosts
M="-c 1 -i 0 -W 0.5 -f hosts --format csv --seed 43"
run mp_full multiping -q $M -o mp_full.csv
for i in 0 1 2; do run mp$i multiping -q $M --shards 3 --shard $i -o mp$i.csv --summary-json mp$i.json; done
order_ok=0
for i in 0 1 2; do
    tail -n +2 mp$i.csv | cut -d, -f1 >mp$i.addrs
    grep -nxFf mp$i.addrs hosts | cut -d: -f1 >mp$i.idx
    sort -n mp$i.idx | cmp -s - mp$i.idx || order_ok=1
done
ok "$order_ok" "multiping: each shard's output is in input order"
cat mp0.addrs mp1.addrs mp2.addrs | sort >mp_union
ok "$(tail -n +2 mp_full.csv | cut -d, -f1 | sort | cmp -s - mp_union && test -z "$(uniq -d mp_union)" &&
      test "$(wc -l <mp_union)" = 600; echo $?)" "multiping: the union of 3 shards is the 600 hosts, no overlap"
run mpm merge -o mp_merged.csv --summary-json mp_merged.json mp1.json mp2.json mp0.json
ok "$(test "$(rc mpm)" = 0 && cut -d, -f1,6,7,10 mp_full.csv | cmp -s - <(cut -d, -f1,6,7,10 mp_merged.csv); echo $?)" \
    "merge (multiping): global input order and the same sent/received/alive per host" || diag mpm
ok "$(jq -e '.kind == "multiping" and .records == 600 and .hits == '"$(grep -c ',true,' mp_full.csv)"'' \
      mp_merged.json >/dev/null; echo $?)" "merge (multiping): combined summary counts"

# ---- 15-16: traceroute: shards of the destinations; merged hop lists ------
T="-c 1 -W 0.5 --max-hops 10 --format csv --seed 44 198.19.0.1-198.19.0.40 198.18.40.1-198.18.40.20"
run tr_full traceroute -q $T -o tr_full.csv
for i in 0 1; do run tr$i traceroute -q $T --shards 2 --shard $i -o tr$i.csv --summary-json tr$i.json; done
ok "$(tail -qn +2 tr0.csv | cut -d, -f1 | sort -u >t0; tail -qn +2 tr1.csv | cut -d, -f1 | sort -u >t1;
      test -z "$(comm -12 t0 t1)" && test "$(cat t0 t1 | wc -l)" = 60; echo $?)" \
    "traceroute: 2 shards split the 60 destinations, no overlap"
run trm merge -o tr_merged.csv tr0.json tr1.json
ok "$(test "$(rc trm)" = 0 && tail -n +2 tr_full.csv | cut -d, -f1-3 | sort >a &&
      tail -n +2 tr_merged.csv | cut -d, -f1-3 | sort >b && cmp -s a b &&
      test "$(wc -l <a)" -gt 200; echo $?)" "merge (traceroute): the same hop lists as the single run ($(wc -l <a) hops)" || diag trm

# ---- 17-20: sweep: SIGKILL mid-run, the same command again ---------------
K="--rate 10000 --cooldown 1 --seed 45 198.18.0.0/16 -o k.txt --resume k.ckpt --checkpoint-interval 0.5"
run k_full sweep -q --rate 0 --cooldown 1 --seed 45 198.18.0.0/16 -o k_full.txt
kill_after 3 k1 sweep -q $K
pos=$(ckpt k.ckpt position)
cp k.txt k1.lines
ok "$(test "$(cat k1.rc)" = 137 && test "${pos:-0}" -gt 5000 && test "$pos" -lt 65534 &&
      test "$(wc -l <k.txt)" -gt "$pos"; echo $?)" \
    "sweep --resume: killed (rc $(cat k1.rc)) with a checkpoint at position $pos, $(wc -l <k.txt) lines written"
run k2 sweep $K --summary-json k.json
ok "$(test "$(rc k2)" = 0 && sort k.txt | cmp -s - <(sort k_full.txt); echo $?)" \
    "sweep --resume: the rerun completes the set of the single run" || diag k2
ok "$(test -z "$(sort k.txt | uniq -d)" && test "$(wc -l <k.txt)" = 65534; echo $?)" "sweep --resume: no target written twice"
lines_at_kill=$(wc -l <k1.lines)
resent=$((lines_at_kill - pos))
sent2=$(sed -nE 's/^[0-9]+ targets, ([0-9]+) probes sent of.*/\1/p' k2.err)
ok "$(grep -q "resumed at position $pos" k2.err && jq -e '.runs == 2 and .complete and .hits == 65534' k.json >/dev/null &&
      test "$sent2" = $((65534 - pos)) && test "$resent" -ge 0 && test "$resent" -le 22000; echo $?)" \
    "sweep --resume: the rerun sent the $sent2 probes after position $pos; $resent answered probes were sent again (bound 22000: 0.5 s interval + 1.2 s lag at 10 kpps + 0.5 s slack)"

# ---- 21: sweep: SIGTERM (cooldown, final checkpoint), again: nothing twice --
rm -f t.txt t.ckpt
"$bin" sweep -q --rate 10000 --cooldown 0.5 --seed 45 198.18.0.0/16 -o t.txt --resume t.ckpt & p=$!
sleep 1.5; kill -TERM $p; wait $p; t_rc=$?
tpos=$(ckpt t.ckpt position); tlines=$(wc -l <t.txt)
run t2 sweep --rate 0 --cooldown 0.5 --seed 45 198.18.0.0/16 -o t.txt --resume t.ckpt
tsent=$(sed -nE 's/^[0-9]+ targets, ([0-9]+) probes sent of.*/\1/p' t2.err)
ok "$(test "$t_rc" = 130 && test "$tpos" = "$tlines" && test "$tsent" = $((65534 - tpos)) &&
      test "$(sort -u t.txt | wc -l)" = 65534 && test "$(wc -l <t.txt)" = 65534; echo $?)" \
    "sweep --resume after SIGTERM: checkpoint at the stop ($tpos = $tlines lines), nothing sent twice, complete" || diag t2

# ---- 22-23: multiping: SIGKILL mid-run, again ------------------------------
for i in $(seq 0 1999); do echo "198.18.$((i / 250 + 50)).$((i % 250 + 1))"; done >hosts2
P="-c 1 -W 0.5 --rate 1000 -f hosts2 --seed 46 --shards 2 --shard 1 -o p.txt --resume p.ckpt --checkpoint-interval 0.3"
run p_full multiping -q -c 1 -W 0.5 -f hosts2 --seed 46 --shards 2 --shard 1 -o p_full.txt
kill_after 0.7 p1 multiping -q $P
ppos=$(ckpt p.ckpt position)
run p2 multiping -q $P
ok "$(test "$(cat p1.rc)" = 137 && test "${ppos:-0}" -gt 0 && test "$ppos" -lt 1000 && test "$(rc p2)" = 0; echo $?)" \
    "multiping --resume: killed at position $ppos of 1000, the rerun exits 0" || diag p2
ok "$(awk '{print $1}' p.txt | cmp -s - <(awk '{print $1}' p_full.txt) && test -z "$(awk '{print $1}' p.txt | sort | uniq -d)" &&
      test "$(grep -c ' = 1/1/0%' p.txt)" = 1000; echo $?)" \
    "multiping --resume: every host of the shard once, in input order, all alive"

# ---- 24-25: traceroute: SIGKILL mid-run, again -----------------------------
R="-c 1 -W 0.5 --max-hops 8 --rate 300 --seed 47 198.19.1.1-198.19.1.100 198.18.60.1-198.18.60.100 -o r.txt --resume r.ckpt --checkpoint-interval 0.3"
run r_full traceroute -q -c 1 -W 0.5 --max-hops 8 --seed 47 198.19.1.1-198.19.1.100 198.18.60.1-198.18.60.100 -o r_full.txt
kill_after 2 r1 traceroute -q $R
rpos=$(ckpt r.ckpt position)
run r2 traceroute -q $R
ok "$(test "$(cat r1.rc)" = 137 && test "${rpos:-0}" -gt 0 && test "$rpos" -lt 200 && test "$(rc r2)" = 0; echo $?)" \
    "traceroute --resume: killed at position $rpos of 200, the rerun exits 0" || diag r2
# One line per route (hops joined, RTTs left out), sorted: routes are
# written as they end without --resume, in target order with it.
blocks() { sed -E 's/  [0-9.]+ ms//g' "$1" | awk 'BEGIN{RS="";FS="\n"} {l=$1; for(i=2;i<=NF;i++) l=l "|" $i; print l}' | sort; }
ok "$(test "$(grep -c '^traceroute to' r.txt)" = 200 && test -z "$(grep '^traceroute to' r.txt | sort | uniq -d)" &&
      blocks r.txt | cmp -s - <(blocks r_full.txt); echo $?)" \
    "traceroute --resume: 200 routes once each, hop lists as the single run"

# ---- 26-28: refusals of --resume ---------------------------------------------
run mm multiping -q -c 2 -W 0.5 --rate 1000 -f hosts2 --seed 46 --shards 2 --shard 1 -o p.txt --resume p.ckpt
ok "$(test "$(rc mm)" = 3 && grep -q "checkpoint 'p.ckpt' is from another run: --count was 1 there, 2 here" mm.err &&
      test "$(wc -l <mm.err)" = 1; echo $?)" "a checkpoint of other options is refused in one line naming them" || diag mm
run mt traceroute -q -c 1 -W 0.5 --max-hops 8 --seed 47 198.19.1.1-198.19.1.99 -o r.txt --resume r.ckpt
ok "$(test "$(rc mt)" = 3 && grep -q "the targets differ" mt.err; echo $?)" "a checkpoint of other targets is refused" || diag mt
run mo sweep -q 198.18.0.0/24 --resume x.ckpt
ok "$(test "$(rc mo)" = 3 && grep -q -- "--resume needs -o FILE" mo.err; echo $?)" "--resume without -o is refused"

# ---- 29: text lists each live target once, also with --count above 1 (it
# wrote one line per probe: a resumed run, which writes no target twice,
# would have disagreed with a fresh one).
run c3 sweep -q --count 3 --interval 0.1 --cooldown 0.5 198.18.0.0/29
ok "$(test "$(rc c3)" = 0 && test "$(wc -l <c3.out)" = 6 && test "$(sort -u c3.out | wc -l)" = 6; echo $?)" \
    "sweep --count 3: text names each of the 6 live targets once ($(wc -l <c3.out) lines)" || diag c3

# ---- 30-31: csv with --count 2: a record per (target, probe), kept so by
# a resume after SIGKILL and by merge.
C="--format csv --count 2 --interval 0 --rate 2000 --cooldown 0.5 --seed 48 198.18.64.0/20"
kill_after 2 c1 sweep -q $C -o c.csv --resume c.ckpt --checkpoint-interval 0.3
run c2 sweep -q $C -o c.csv --resume c.ckpt --summary-json c.json
ok "$(test "$(cat c1.rc)" = 137 && test "$(rc c2)" = 0 && test "$(wc -l <c.csv)" = $((2 * 4094 + 1)) &&
      test -z "$(tail -n +2 c.csv | awk -F, '{print $1, $NF}' | sort | uniq -d)" &&
      test "$(tail -n +2 c.csv | cut -d, -f1 | sort -u | wc -l)" = 4094; echo $?)" \
    "sweep --format csv --count 2 --resume after SIGKILL: each (target, probe) once ($(wc -l <c.csv) lines)" || diag c2
for i in 0 1; do run cs$i sweep -q --format csv --count 2 --interval 0 --rate 0 --cooldown 0.5 --seed 48 \
    198.18.64.0/20 --shards 2 --shard $i -o cs$i.csv --summary-json cs$i.json; done
run cm merge -o cm.csv cs0.json cs1.json
ok "$(test "$(rc cm)" = 0 && test "$(wc -l <cm.csv)" = $((2 * 4094 + 1)) &&
      tail -n +2 cm.csv | awk -F, '{print $1, $NF}' | cmp -s - <(tail -n +2 c.csv | awk -F, '{print $1, $NF}' | sort -V -k1,1 -k2,2n); echo $?)" \
    "merge (sweep csv, --count 2): both probes of every target, in target order" || diag cm

# ---- 32: multiping: SIGTERM writes the hosts cut short as (partial); the
# checkpoint stops before them, and the rerun probes them again.
Q="-c 1 -W 0.3 --rate 1000 -f hosts2 --seed 46 --shards 2 --shard 0 -o q.txt --resume q.ckpt"
"$bin" multiping -q $Q & p=$!; sleep 0.6; kill -TERM $p; wait $p; q_rc=$?
qpart=$(grep -c '(partial)' q.txt)
qpos=$(ckpt q.ckpt position)
run q2 multiping -q $Q
ok "$(test "$q_rc" = 130 && test "$qpart" -gt 0 && test "${qpos:-0}" -gt 0 && test "$(rc q2)" = 0 &&
      test "$(grep -c '(partial)' q.txt)" = 0 && test "$(wc -l <q.txt)" = 1000 &&
      test "$(grep -c ' = 1/1/0%' q.txt)" = 1000; echo $?)" \
    "multiping --resume after SIGTERM: $qpart hosts (partial) at the stop, checkpoint at $qpos; the rerun leaves 1000 whole hosts" || diag q2

# ---- 33: a refusal found only while merging (a line that names no target)
# leaves no output file and nothing on standard output.  The summaries name
# their outputs by absolute path: corrupt sw2.txt itself, then put it back.
cp sw2.txt sw2.bak
sed -i '1s/.*/not-an-address/' sw2.txt
run mbad merge -o mbad.txt sw0.json sw1.json sw2.json sw3.json
run mbad2 merge sw0.json sw1.json sw2.json sw3.json
mv sw2.bak sw2.txt
ok "$(test "$(rc mbad)" = 3 && test "$(rc mbad2)" = 3 && test -z "$(ls | grep '^mbad\.txt')" &&
      test ! -s mbad.out && test ! -s mbad2.out && grep -q 'names no target' mbad.err &&
      test "$(wc -l <mbad.err)" = 1; echo $?)" \
    "merge: a refusal found while merging leaves no file and no standard output ($(cat mbad.err))" || diag mbad

[ "$fails" = 0 ]
