#!/bin/bash
# test-slurm.sh - lab test of scale-out on a real job runner (issue 9,
# section 4): a one-node Slurm cluster (tests/lab/slurm.sh: Debian's
# slurm-wlm and munge, daemons started directly) runs
# tools/scale-out/icmpring-shards.sbatch - the very file the README shows -
# as `sbatch --array=0-3` jobs: a sweep of 198.18.0.0/16, a multiping of
# 2,000 hosts and a traceroute of 200 destinations, each shard inside the
# lab's prober namespace (ICMPRING="icmpring-lab exec LAB prb -- icmpring").
# `icmpring merge` joins the shards, and the result must equal a
# single-machine run of the same seed: the same live hosts, the same hop
# lists.  Then preemption: one sweep task is SIGKILLed mid-run and requeued
# (scontrol requeue); its rerun resumes from the checkpoint, and the merged
# result is complete with no duplicates.
#
# Runs in the host's namespaces (not under `icmpring-lab run`): it builds
# its own lab (icmpring-lab up) and puts the Slurm daemons into the lab's
# prober namespace with nsenter --net, so Slurm's traffic stays on that
# namespace's loopback and every probe inside the lab.  The trap stops the
# daemons by their PIDs and deletes the lab, also when a check fails.
# Without root, Slurm or a lab: "1..0 # SKIP reason".  Prints TAP.
set -u

# shellcheck source=tests/lab/tap.sh
. "$(dirname "$0")/tap.sh"
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
labtool=${ICR_LAB_TOOL:-$top/tools/icmpring-lab}
job_script=$top/tools/scale-out/icmpring-shards.sbatch
# shellcheck source=tests/lab/slurm.sh
. "$here/slurm.sh"
export PATH="$PATH:/usr/sbin:/sbin"

skip() { echo "1..0 # SKIP $*"; exit 0; }
(( EUID == 0 )) || skip "needs root (network namespaces, Slurm daemons)"
command -v jq >/dev/null || skip "jq is not installed"
[[ -x $job_script ]] || { echo "Bail out! $job_script is missing"; exit 1; }

lab=
sdir=$tmp/slurm
# shellcheck disable=SC2317  # run by the trap
cleanup() {
    slurm_down "$sdir"
    [[ -n $lab ]] && "$labtool" down "$lab" >/dev/null 2>&1
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
# munged (uid munge) must reach DIR/munge below the test's directory.
chmod 755 "$tmp"
mkdir -p "$tmp/logs"

lab=$("$labtool" up --owner $$ 2>"$tmp/lab.err") || skip "the lab cannot be built: $(head -1 "$tmp/lab.err")"
prb() { "$labtool" exec "$lab" prb -- "$@"; }
# What every array task runs: icmpring in the lab's prober namespace.
export ICMPRING="$labtool exec $lab prb -- $bin"

t0=$EPOCHREALTIME
slurm_up "$sdir" "/run/netns/$lab-prb" || skip "Slurm cannot start: $slurm_why"
up_s=$(printf %.1f "$(echo "$EPOCHREALTIME - $t0" | bc)")

echo "1..16"
ok 0 "a one-node Slurm cluster is up in the prober's namespace (node idle after $up_s s)"

# submit NAME SEED COMMAND [OPTIONS] TARGETS...: an array of 4 shards of
# the job script writing to $tmp/NAME; prints the array's job id.
submit() {
    local name=$1
    shift
    slurm "$sdir" sbatch --parsable --array=0-3 --time=5 --chdir="$tmp/logs" \
        "$job_script" "$tmp/$name" "$@"
}
# wait_job JOB SECONDS: until Slurm lists no pending or running task of JOB.
wait_job() {
    local end=$(( SECONDS + $2 )) out
    while (( SECONDS < end )); do
        if out=$(slurm "$sdir" squeue -h -j "$1" -t PD,R,CG,S 2>/dev/null) && [[ -z $out ]]; then
            return 0
        fi
        sleep 0.2
    done
    return 1
}
# states JOB: each task's "TASK STATE EXITCODE", sorted.
states() {
    slurm "$sdir" scontrol -o show job "$1" |
        sed -nE 's/.*ArrayTaskId=([0-9]+) .*JobState=([A-Z_]+) .*ExitCode=([0-9:]+).*/\1 \2 \3/p' | sort
}
merge() { # NAME FORMAT: merge $tmp/NAME/shard-*.json into $tmp/NAME.merged
    timeout -k 5 60 "$bin" merge -o "$tmp/$1.merged" --summary-json "$tmp/$1.merged.json" \
        "$tmp/$1"/shard-{0,1,2,3}.json >"$tmp/$1.merge.out" 2>"$tmp/$1.merge.err"
    echo $? >"$tmp/$1.merge.rc"
}
# The PID of the icmpring process of task TASK of array job JOB.
task_pid() {
    local p
    for p in /proc/[0-9]*; do
        [[ $(cat "$p/comm" 2>/dev/null) == icmpring ]] || continue
        if tr '\0' '\n' <"$p/environ" 2>/dev/null | grep -qx "SLURM_ARRAY_JOB_ID=$1" &&
           tr '\0' '\n' <"$p/environ" 2>/dev/null | grep -qx "SLURM_ARRAY_TASK_ID=$2"; then
            echo "${p#/proc/}"
            return 0
        fi
    done
    return 1
}
# Every address of 198.18.0.0/16 but the network and broadcast addresses.
all16() { awk 'BEGIN { for (a = 0; a < 256; a++) for (b = 0; b < 256; b++)
                         if ((a || b) && (a < 255 || b < 255)) print "198.18." a "." b }' | sort; }
all16 >"$tmp/all16"

# ---- 2-5: a sweep of 198.18.0.0/16 as 4 array tasks ------------------------
SW=(sweep --rate 20000 --cooldown 1 198.18.0.0/16)
t0=$EPOCHREALTIME
job=$(submit sweep 41 "${SW[@]}" 2>"$tmp/submit.err")
wait_job "$job" 120
sw_s=$(printf %.1f "$(echo "$EPOCHREALTIME - $t0" | bc)")
ok "$(test "$(states "$job")" = "$(printf '%s COMPLETED 0:0\n' 0 1 2 3)"; echo $?)" \
    "sweep: sbatch --array=0-3: 4 tasks COMPLETED in $sw_s s ($(states "$job" | tr '\n' ' '))" ||
    { cat "$tmp/submit.err"; tail -3 "$tmp"/sweep/shard-*.err "$tmp"/logs/*; } | sed 's/^/# /'
prb timeout -k 5 60 "$bin" "${SW[0]}" --seed 41 -q "${SW[@]:1}" -o "$tmp/sweep.single" 2>"$tmp/sweep.single.err"
merge sweep
sort "$tmp/sweep.merged" >"$tmp/sweep.msorted"
ok "$(test "$(cat "$tmp/sweep.merge.rc")" = 0 && test "$(wc -l <"$tmp/sweep.merged")" = 65534 &&
      test -z "$(uniq -d "$tmp/sweep.msorted")"; echo $?)" \
    "sweep: icmpring merge of the 4 shards: 65534 lines, no duplicate ($(head -c 200 "$tmp/sweep.merge.err"))"
ok "$(sort "$tmp/sweep.single" | cmp -s - "$tmp/sweep.msorted" && cmp -s "$tmp/all16" "$tmp/sweep.msorted"; echo $?)" \
    "sweep: the merged live hosts are the single run's (seed 41) and all of the /16 ($(wc -l <"$tmp/sweep.single") single)"
c=0
for i in 0 1 2 3; do
    grep -q "seed 41 shard $i/4" "$tmp/sweep/shard-$i.err" && jq -e ".shard == $i and .complete and .runs == 1" \
        "$tmp/sweep/shard-$i.json" >/dev/null && c=$((c + 1))
done
ok "$(test "$c" = 4; echo $?)" "sweep: each task ran its own shard once (summaries 0-3 of 4, complete, 1 run)"

# ---- 6-8: a multiping of 2,000 hosts -----------------------------------------
# 1,900 live hosts in 198.18.0.0/16, and after every 19th a dead one in
# 203.0.113.0/24 (silent, or answered by r1 with an ICMP error).
awk 'BEGIN { d = 0; for (i = 0; i < 1900; i++) { print "198.18." int(i / 250) "." (i % 250 + 1)
             if (i % 19 == 18) { d++; print (d % 2 ? "203.0.113." (128 + d) : "203.0.113." d) } } }' \
    >"$tmp/hosts"
MP=(multiping -c 2 -i 0.01 -W 1 --format ndjson -f "$tmp/hosts")
job=$(submit mping 43 "${MP[@]}" 2>"$tmp/submit.err")
wait_job "$job" 120
prb timeout -k 5 60 "$bin" "${MP[@]}" --seed 43 -q -o "$tmp/mping.single" 2>"$tmp/mping.single.err"
merge mping
ok "$(test "$(wc -l <"$tmp/hosts")" = 2000 && test "$(cat "$tmp/mping.merge.rc")" = 0 &&
      jq -r .address "$tmp/mping.merged" | cmp -s - "$tmp/hosts"; echo $?)" \
    "multiping: merge of the 4 shards: the 2,000 hosts once each, in the input order ($(head -c 200 "$tmp/mping.merge.err"))"
jq -r '"\(.address) \(.is_alive)"' "$tmp/mping.merged" >"$tmp/mping.alive"
ok "$(jq -r '"\(.address) \(.is_alive)"' "$tmp/mping.single" | cmp -s - "$tmp/mping.alive" &&
      test "$(grep -c ' true$' "$tmp/mping.alive")" = 1900; echo $?)" \
    "multiping: the same live hosts as the single run of seed 43 ($(grep -c ' true$' "$tmp/mping.alive") alive of 2000)"
ok "$(jq -e -s 'map(.shard) == [0,1,2,3] and all(.complete) and (map(.shard_targets) | add) == 2000' \
      "$tmp"/mping/shard-{0,1,2,3}.json >/dev/null; echo $?)" "multiping: 4 complete shards of 2,000 hosts"

# ---- 9-11: a traceroute of 200 destinations ----------------------------------
TR=(traceroute -c 2 -W 1 --max-hops 10 --format ndjson 198.19.0.1-198.19.0.200)
job=$(submit trace 44 "${TR[@]}" 2>"$tmp/submit.err")
wait_job "$job" 120
prb timeout -k 5 60 "$bin" "${TR[@]}" --seed 44 -q -o "$tmp/trace.single" 2>"$tmp/trace.single.err"
merge trace
hops() { jq -r '"\(.target) \(.distance) \(.address)"' "$1" | sort; }
ok "$(test "$(cat "$tmp/trace.merge.rc")" = 0; echo $?)" \
    "traceroute: merge of the 4 shards ($(head -c 200 "$tmp/trace.merge.err"))"
hops "$tmp/trace.single" >"$tmp/trace.single.hops"
hops "$tmp/trace.merged" >"$tmp/trace.merged.hops"
ok "$(cmp -s "$tmp/trace.single.hops" "$tmp/trace.merged.hops" && test "$(wc -l <"$tmp/trace.merged.hops")" -ge 1200; echo $?)" \
    "traceroute: the same hop lists as the single run of seed 44 ($(wc -l <"$tmp/trace.merged.hops") hops)"
reached=$(jq -r 'select(.distance == 6 and .address == .target) | .target' "$tmp/trace.merged" | sort -u | wc -l)
ok "$(test "$reached" = 200; echo $?)" "traceroute: all 200 destinations reached at hop 6 ($reached)"

# ---- 12-16: preemption: a task SIGKILLed mid-run, requeued, resumed -----------
# 3,000 probes/s: a shard takes about 5.5 s; a checkpoint every second.
PR=(sweep --rate 3000 --cooldown 1 --checkpoint-interval 1 198.18.0.0/16)
job=$(submit preempt 45 "${PR[@]}" 2>"$tmp/submit.err")
out1=$tmp/preempt/shard-1.out
ck1=$tmp/preempt/shard-1.ckpt
# Mid-run: 2 s in (6,000 of 16,384 probes), past two checkpoints.
pid="" lines=0
end=$(( SECONDS + 60 ))
while (( SECONDS < end )); do
    lines=$(wc -l 2>/dev/null <"$out1" || echo 0)
    if (( lines >= 6000 )) && [[ -s $ck1 ]] && pid=$(task_pid "$job" 1); then
        kill -KILL "$pid"
        break
    fi
    sleep 0.05
done
killed_at=$lines
# The task ends as FAILED by signal 9; then Slurm requeues it, as a
# preemption with --requeue would.  A requeued job waits for its begin time
# (now + 2 minutes in Slurm 22.05), so release it at once.
for (( i = 0; i < 100; i++ )); do
    [[ $(states "$job" | awk '$1 == 1 { print $2 }') == FAILED ]] && break
    sleep 0.1
done
st1=$(states "$job" | awk '$1 == 1')
ok "$(test -n "$pid" && test "$killed_at" -lt 16384 && test "$st1" = "1 FAILED 0:9" &&
      ! jq -e .complete "$tmp/preempt/shard-1.json" >/dev/null 2>&1; echo $?)" \
    "preemption: task 1 SIGKILLed mid-run (pid ${pid:-none}, $killed_at of 16384 lines out; state $st1)"
slurm "$sdir" scontrol requeue "${job}_1" 2>"$tmp/requeue.err"
for (( i = 0; i < 100; i++ )); do
    [[ $(states "$job" | awk '$1 == 1 { print $2 }') == PENDING ]] && break
    sleep 0.1
done
slurm "$sdir" scontrol update jobid="${job}_1" StartTime=now 2>>"$tmp/requeue.err"
wait_job "$job" 120
restarts=$(slurm "$sdir" scontrol -o show job "${job}_1" | sed -nE 's/.* Restarts=([0-9]+) .*/\1/p')
ok "$(test "$restarts" = 1 && test "$(states "$job" | awk '$1 == 1')" = "1 COMPLETED 0:0" &&
      grep -q "shard 1 of 4, restart 1" "$tmp/preempt/shard-1.err" &&
      jq -e '.complete and .runs == 2' "$tmp/preempt/shard-1.json" >/dev/null; echo $?)" \
    "preemption: scontrol requeue ran task 1 again (Restarts=$restarts) and it completed in its second run" ||
    { cat "$tmp/requeue.err"; states "$job"; cat "$tmp/preempt/shard-1.json"; cat "$tmp/preempt/shard-1.err"; } | sed 's/^/# /'
# The resumed run starts at the checkpoint, not at 0: it sends the rest of
# the shard plus at most one checkpoint interval and the cooldown (+0.2 s)
# of probes again: 2.2 s at 3,000/s = 6,600 (the bound x 1.5 for a loaded
# machine, where wall time and the checkpoint clock drift).
sent2=$(sed -nE 's/^16384 targets, ([0-9]+) probes sent of 16384.*/\1/p' "$tmp/preempt/shard-1.err" | tail -1)
resent=$(( killed_at + ${sent2:-16384} - 16384 ))
ok "$(grep -q '^resumed at position' "$tmp/preempt/shard-1.err" && test -n "$sent2" &&
      test "$sent2" -lt 16384 && test "$resent" -le 9900; echo $?)" \
    "preemption: the rerun resumed: sent $sent2 of 16384, about $resent sent again (bound 6,600, x 1.5)"
merge preempt
sort "$tmp/preempt.merged" >"$tmp/preempt.msorted"
ok "$(test "$(cat "$tmp/preempt.merge.rc")" = 0 && cmp -s "$tmp/all16" "$tmp/preempt.msorted" &&
      test -z "$(sort "$out1" | uniq -d)"; echo $?)" \
    "preemption: the merged result is complete (65534 hosts, the single run's set) with no duplicate ($(head -c 200 "$tmp/preempt.merge.err"))"
ok "$(test "$(sort "$out1" | wc -l)" -gt 15000 && jq -e -s 'map(.complete) == [true,true,true,true]' \
      "$tmp"/preempt/shard-{0,1,2,3}.json >/dev/null; echo $?)" \
    "preemption: every shard complete, the resumed shard's output has its $(wc -l <"$out1") hosts once"

echo "# slurm up in $up_s s; sweep array (4 tasks, 20,000 pps each) in $sw_s s"
exit $(( fails > 0 ))
