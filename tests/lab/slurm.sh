# shellcheck shell=bash
# slurm.sh - sourced by tests/lab/test-slurm.sh and bench/slurm-bench.sh:
# a real one-node Slurm cluster (Debian's slurm-wlm and munge) with its
# daemons started directly (there is no systemd), everything in one
# directory, and every daemon inside one network namespace.
#
#   slurm_up DIR NETNS   start munged, slurmctld and slurmd; config, key,
#                        state, logs and pid files live in DIR; the daemons
#                        (and so every job) run in network namespace NETNS
#                        (a /run/netns/NAME path: the lab's prober), so
#                        Slurm's own traffic stays on that namespace's
#                        loopback.  Exports SLURM_CONF.  On failure returns
#                        1 with a one-line reason in $slurm_why.
#   slurm DIR CMD...     run a Slurm client command (sbatch, squeue, ...)
#                        in the cluster's namespace
#   slurm_down DIR       cancel what is left, stop the daemons by the PIDs
#                        in their pid files (TERM, then KILL after 10 s),
#                        and remove a stale /run/slurmctld.pid or
#                        /run/slurmd.pid (a Debian default-config leftover
#                        breaks a later package removal).  Idempotent.
#
# Measured here (Debian 12, 2 vCPU, 2026-12-01, load average 7-12 from
# other tests): from installed packages the cluster is up (node idle) in
# 0.1-1.2 s; apt-get install of slurm-wlm and munge took 3.8 s.  Debian's
# init scripts (/etc/init.d/slurmctld, slurmd, munge) are not used: the
# daemons here have their own config, pid files and sockets in DIR.
#
# Choices, each needed on this machine:
# - munged runs as the munge user (it refuses a key that root owns), with
#   its socket, key, pid and seed files in DIR/munge (mode 0711: clients
#   need to reach the socket); Slurm finds it through AuthInfo=socket=.
# - proctrack/linuxproc, task/none, no accounting: no cgroup setup, no
#   slurmdbd.  slurmd still initialises its cgroup plugin, so it must see
#   the host's /sys/fs/cgroup: the daemons enter NETNS with nsenter --net
#   only (ip netns exec would remount /sys without the cgroup mounts).
# - one node named icr1 at 127.0.0.1 with the machine's CPUs, SlurmUser
#   root, MailProg /bin/true, JobRequeue=1.

# shellcheck disable=SC2034  # read by the caller
slurm_why=

# The PID in a pid file, if that process still runs the program named.
slurm__pid() { # FILE COMM
    local pid
    pid=$(cat "$1" 2>/dev/null) || return 1
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    [[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$2" ]] || return 1
    echo "$pid"
}

slurm() {
    local dir=$1
    shift
    SLURM_CONF=$dir/slurm.conf nsenter --net="$(cat "$dir/netns")" -- "$@"
}

# A pid file in /run whose process is gone (or is not that daemon).
slurm__stale_run_pids() {
    local f
    for f in /run/slurmctld.pid /run/slurmd.pid; do
        [[ -e $f ]] || continue
        slurm__pid "$f" "$(basename "$f" .pid)" >/dev/null || rm -f "$f"
    done
}

slurm_up() {
    local dir=$1 netns=$2 host i t
    slurm_why=
    for t in munged slurmctld slurmd sbatch squeue scontrol sinfo nsenter runuser; do
        if ! command -v "$t" >/dev/null && ! [[ -x /usr/sbin/$t ]]; then
            slurm_why="$t is not installed (apt-get install slurm-wlm munge)"
            return 1
        fi
    done
    id munge >/dev/null 2>&1 || { slurm_why="there is no munge user (apt-get install munge)"; return 1; }
    [[ -e $netns ]] || { slurm_why="no network namespace $netns"; return 1; }
    slurm__stale_run_pids
    mkdir -p "$dir/munge" "$dir/ctld" "$dir/slurmd" || { slurm_why="cannot create $dir"; return 1; }
    chmod 755 "$dir"
    echo "$netns" >"$dir/netns"
    chown munge:munge "$dir/munge"
    chmod 711 "$dir/munge"
    head -c 1024 /dev/urandom >"$dir/munge/munge.key"
    chown munge:munge "$dir/munge/munge.key"
    chmod 400 "$dir/munge/munge.key"
    if ! nsenter --net="$netns" -- runuser -u munge -- /usr/sbin/munged \
            --socket="$dir/munge/munge.socket" --key-file="$dir/munge/munge.key" \
            --pid-file="$dir/munge/munged.pid" --seed-file="$dir/munge/munged.seed" \
            --log-file="$dir/munge/munged.log" </dev/null >"$dir/munged.err" 2>&1; then
        slurm_why="munged did not start: $(head -c 300 "$dir/munged.err" | tr '\n' ' ')"
        return 1
    fi
    host=$(hostname -s)
    cat >"$dir/slurm.conf" <<EOF
# A one-node cluster for icmpring's tests (tests/lab/slurm.sh).
ClusterName=icmpring
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
CredType=cred/munge
StateSaveLocation=$dir/ctld
SlurmdSpoolDir=$dir/slurmd
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
MailProg=/bin/true
JobRequeue=1
KillWait=5
NodeName=icr1 NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=lab Nodes=icr1 Default=YES MaxTime=30 State=UP
EOF
    if ! SLURM_CONF=$dir/slurm.conf nsenter --net="$netns" -- /usr/sbin/slurmctld </dev/null >"$dir/slurmctld.err" 2>&1; then
        slurm_why="slurmctld did not start: $(head -c 300 "$dir/slurmctld.err" | tr '\n' ' ')"
        return 1
    fi
    if ! SLURM_CONF=$dir/slurm.conf nsenter --net="$netns" -- /usr/sbin/slurmd -N icr1 </dev/null >"$dir/slurmd.err" 2>&1; then
        slurm_why="slurmd did not start: $(head -c 300 "$dir/slurmd.err" | tr '\n' ' ')"
        return 1
    fi
    export SLURM_CONF=$dir/slurm.conf
    for (( i = 0; i < 300; i++ )); do
        [[ $(slurm "$dir" sinfo -h -o %t 2>/dev/null) == idle ]] && return 0
        if (( i > 20 )) && ! slurm__pid "$dir/slurmd.pid" slurmd >/dev/null; then
            slurm_why="slurmd exited: $(grep -m1 error: "$dir/slurmd.log" 2>/dev/null)"
            return 1
        fi
        sleep 0.1
    done
    slurm_why="the node did not become idle in 30 s: $(slurm "$dir" sinfo -h -o '%t %E' 2>&1 | head -1)"
    return 1
}

slurm_down() {
    local dir=$1 i f comm pid pids=()
    [[ -d $dir ]] || return 0
    if [[ -e $dir/slurm.conf ]] && slurm__pid "$dir/slurmctld.pid" slurmctld >/dev/null; then
        slurm "$dir" scancel --full --quiet --user=root 2>/dev/null
        for (( i = 0; i < 50; i++ )); do
            [[ -z $(slurm "$dir" squeue -h -t PD,R,CG,S 2>/dev/null) ]] && break
            sleep 0.1
        done
    fi
    for f in slurmd:slurmd.pid slurmctld:slurmctld.pid munged:munge/munged.pid; do
        comm=${f%%:*}
        if pid=$(slurm__pid "$dir/${f#*:}" "$comm"); then
            kill -TERM "$pid" 2>/dev/null && pids+=("$pid:$comm")
        fi
    done
    for f in "${pids[@]}"; do
        pid=${f%%:*} comm=${f#*:}
        for (( i = 0; i < 100; i++ )); do
            [[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$comm" ]] || break
            sleep 0.1
        done
        [[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$comm" ]] && kill -KILL "$pid" 2>/dev/null
    done
    slurm__stale_run_pids
    return 0
}
