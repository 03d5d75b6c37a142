# tap.sh - sourced by the shell lab tests: TAP output and a way to run the
# tool and keep what it said.  Sets $bin, $tmp (removed on exit), $n, $fails.
bin=${ICMPRING:?ICMPRING must name the icmpring binary}
n=0
fails=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { # ok CONDITION-EXIT-STATUS DESCRIPTION
    n=$((n + 1))
    if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fails=$((fails + 1)); fi
    # The condition's status, so that `ok ... || diag NAME` shows a failure.
    [ "$1" -eq 0 ]
}
# run NAME ARGS... : run the tool, keep stdout/stderr/exit code.  -k: the
# tool takes SIGTERM as "stop sending, finish the cooldown", so a stuck run
# needs a KILL after it.
run() {
    local name=$1; shift
    timeout -k 5 30 "$bin" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" <"${STDIN:-/dev/null}"
    echo $? >"$tmp/$name.rc"
}
rc() { cat "$tmp/$1.rc"; }
diag() { sed 's/^/# /' "$tmp/$1.out" "$tmp/$1.err" | head -20; }
