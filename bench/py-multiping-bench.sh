#!/bin/bash
# py-multiping-bench.sh: owns the Python benchmark -- the CLI benchmark's
# multiping workload (bench/multiping-bench.sh: 10,000 hosts, count 3,
# interval 0.01, timeout 2) run through Python's multiping() twice in one
# lab: with icmpring (python/icmpring over this build's libicmpring.so.0,
# `import icmpring as icmplib`) and with the real icmplib 3.0.4
# (../shared/peers), the same program otherwise, rounds interleaved.  The
# goal: icmpring at least 50x faster.  A script, not a timed test.
#
# usage: bench/py-multiping-bench.sh      (root)
# env:   ICMPRING_LIBRARY  the library (default build/src/libicmpring.so.0;
#                          use a release build for numbers worth keeping)
#        ICMPRING_LAB      the lab tool (default tools/icmpring-lab)
#        ICMPLIB_DIR       icmplib 3.0.4 (default ../shared/peers/icmplib-3.0.4)
#        BENCH_ROUNDS      interleaved rounds, 1-9 (default 3; medians reported)
#        MP_DRIVER         bench/mp-driver of the same build, run as a third row
#                          (the C job alone, for the Python layer's share);
#                          default: beside the library, skipped if absent
#
# Targets: the file multiping-bench.sh writes (4,950 of 198.18/16 one hop
# away, 4,950 of 198.19/16 six hops away, 100 that r1 rejects with
# Destination Unreachable); 9,900 are alive.  Two times per run: the wall
# time of the whole process (interpreter start and import included, GNU
# time) and multiping()'s own time (time.monotonic around the call).
set -euo pipefail

SELF=$(readlink -f "${BASH_SOURCE[0]}")
ROOT=$(dirname "$(dirname "$SELF")")
: "${ICMPRING_LIBRARY:=$ROOT/build/src/libicmpring.so.0}"
: "${ICMPRING_LAB:=$ROOT/tools/icmpring-lab}"
: "${ICMPLIB_DIR:=$ROOT/../shared/peers/icmplib-3.0.4}"
: "${BENCH_ROUNDS:=3}"
: "${MP_DRIVER:=$(dirname "$(dirname "$(readlink -f "$ICMPRING_LIBRARY")")")/bench/mp-driver}"
ICMPLIB_DIR=$(readlink -f "$ICMPLIB_DIR" 2>/dev/null || echo "$ICMPLIB_DIR")
ICMPRING_LIBRARY=$(readlink -f "$ICMPRING_LIBRARY")
export ICMPRING_LIBRARY ICMPLIB_DIR BENCH_ROUNDS ROOT MP_DRIVER

readonly COUNT=3 INTERVAL=0.01 TIMEOUT=2 NHOSTS=10000 T_RUN=120

die() {
	echo "py-multiping-bench: $*" >&2
	exit 1
}

if [[ ${1:-} != --in-lab ]]; then
	(( EUID == 0 )) || die "must run as root (namespaces, raw sockets)"
	[[ $BENCH_ROUNDS =~ ^[1-9]$ ]] || die "BENCH_ROUNDS must be 1-9"
	[[ -f $ICMPLIB_DIR/icmplib/multiping.py ]] || die "no icmplib 3.0.4 at $ICMPLIB_DIR"
	[[ -f $ICMPRING_LIBRARY ]] || die "no $ICMPRING_LIBRARY"
	[[ -x /usr/bin/time ]] || DEBIAN_FRONTEND=noninteractive apt-get install -y time >&2
	exec timeout -k 30 1200 "$ICMPRING_LAB" run --routers 5 -- bash "$SELF" --in-lab
fi

W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

# The same target list as multiping-bench.sh's write_targets.
awk -v n="$NHOSTS" 'BEGIN {
	j = 0; u = 0
	for (i = 0; i < n; i++) {
		if (i % 100 == 99) {
			if (u < 62) printf "203.0.113.%d\n", 1 + u
			else printf "203.0.113.%d\n", 193 + u - 62
			u++
		} else {
			k = int(j / 2) + 1
			printf "198.%d.%d.%d\n", (j % 2) ? 19 : 18, int(k / 256), k % 256
			j++
		}
	}
}' >"$W/targets"

# One program for both: only the import line differs (IMPL).
cat >"$W/mp.py" <<'PY'
import os, sys, time
if os.environ['IMPL'] == 'icmpring':
    import icmpring as icmplib
else:
    import icmplib
addrs = [l.strip() for l in open(sys.argv[1]) if l.strip()]
count, interval, timeout = int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
t0 = time.monotonic()
hosts = icmplib.multiping(addrs, count=count, interval=interval, timeout=timeout,
                          concurrent_tasks=50, privileged=True)
t1 = time.monotonic()
print(f"call_s {t1 - t0:.3f}", file=sys.stderr)
sys.stdout.write("".join(h.address + "\n" for h in hosts if h.is_alive))
PY

run() { # run IMPL ROUND
	local impl=$1 r=$2 st=0 pp=$ROOT/python
	[[ $impl == icmplib ]] && pp=$ICMPLIB_DIR
	if [[ $impl == driver ]]; then
		timeout -k 5 "$T_RUN" /usr/bin/time -f '%e %M' -o "$W/t" \
			"$MP_DRIVER" -c "$COUNT" -i "$INTERVAL" -W "$TIMEOUT" -a "$W/alive.$impl.$r" \
			"$W/targets" >"$W/err.$impl.$r" 2>&1 || st=$?
	else
		IMPL=$impl PYTHONPATH=$pp timeout -k 5 "$T_RUN" /usr/bin/time -f '%e %M' -o "$W/t" \
			/usr/bin/python3 "$W/mp.py" "$W/targets" "$COUNT" "$INTERVAL" "$TIMEOUT" \
			>"$W/alive.$impl.$r" 2>"$W/err.$impl.$r" || st=$?
	fi
	local e m c
	read -r e m < <(tail -n 1 "$W/t")
	c=$(sed -n -e 's/^call_s //p' -e 's/.* run_s=\([0-9.]*\).*/\1/p' "$W/err.$impl.$r")
	sort -o "$W/alive.$impl.$r" "$W/alive.$impl.$r"
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$impl" "$r" "$e" "${c:-0}" "$m" \
		"$(wc -l <"$W/alive.$impl.$r")" "$st" >>"$W/rows.tsv"
	printf 'round %s %-9s wall %7.2f s  multiping() %7.3f s  rss %6.1f MB  alive %5s  exit %s\n' \
		"$r" "$impl" "$e" "${c:-0}" "$(awk -v m="$m" 'BEGIN { print m / 1024 }')" \
		"$(wc -l <"$W/alive.$impl.$r")" "$st"
	(( st == 0 )) || tail -n 5 "$W/err.$impl.$r" | sed "s/^/  $impl: /" >&2
}

median() { # median IMPL COLUMN
	awk -F'\t' -v t="$1" -v c="$2" '$1 == t { print $c }' "$W/rows.tsv" | sort -g |
		awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

echo "py-multiping-bench: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, kernel $(uname -r)," \
	"$(/usr/bin/python3 --version), lab $ICR_LAB"
echo "  library: $ICMPRING_LIBRARY"
echo "  load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
: >"$W/rows.tsv"
# Warm up the paths (neighbours) once.
IMPL=icmpring PYTHONPATH=$ROOT/python /usr/bin/python3 -c \
	'import icmpring; icmpring.multiping(["198.18.0.1", "198.19.0.1", "203.0.113.1"], count=1, timeout=1)'
for (( r = 1; r <= BENCH_ROUNDS; r++ )); do
	if (( r % 2 )); then run icmpring "$r"; run icmplib "$r"; else run icmplib "$r"; run icmpring "$r"; fi
	[[ -x $MP_DRIVER ]] && run driver "$r"
done
echo "  load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "== Python multiping() of $NHOSTS hosts, count $COUNT, interval $INTERVAL, timeout $TIMEOUT:" \
	"median of $BENCH_ROUNDS =="
printf '%-9s %8s %13s %8s %6s\n' impl wall_s multiping_s rss_MB alive
impls=(icmpring icmplib)
[[ -x $MP_DRIVER ]] && impls+=(driver)
for impl in "${impls[@]}"; do
	awk -v t="$impl" -v w="$(median "$impl" 3)" -v c="$(median "$impl" 4)" -v m="$(median "$impl" 5)" \
		-v a="$(median "$impl" 6)" 'BEGIN { printf "%-9s %8.2f %13.3f %8.1f %6d\n", t, w, c, m / 1024, a }'
done
awk -v a="$(median icmplib 3)" -v b="$(median icmpring 3)" -v c="$(median icmplib 4)" \
	-v d="$(median icmpring 4)" 'BEGIN {
	printf "\nicmplib / icmpring: %.1fx (whole process), %.1fx (the multiping() call); goal >= 50x: %s\n",
		a / b, c / d, (a / b >= 50) ? "met" : "NOT met" }'
echo "Alive sets, symmetric difference icmpring vs icmplib per round:" \
	"$(for (( r = 1; r <= BENCH_ROUNDS; r++ )); do comm -3 "$W/alive.icmpring.$r" "$W/alive.icmplib.$r" | wc -l; done | tr '\n' ' ')"
[[ -x $MP_DRIVER ]] && awk -v a="$(median icmpring 3)" -v b="$(median driver 3)" \
	'BEGIN { printf "Python icmpring / the C job alone (mp-driver, whole process): %.2fx\n", a / b }'
echo "(driver: its multiping_s column is its run_s, icr_multiping_run alone)"
echo "Every run (impl round wall_s call_s rss_kB alive exit):"
sed 's/^/  /' "$W/rows.tsv"
