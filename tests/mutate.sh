#!/bin/bash
# mutate.sh - mutation score of the test suites: each mutant below is one
# small, meaningful defect in the engine, a ring backend, the sockets, a job
# or the CLI.  The mutants are applied ONE AT A TIME to a copy of the
# committed tree (git archive HEAD into a temporary directory: the working
# tree is never touched), built, and run against the suites CI runs for
# that area (meson test, the same tests and environment; the lab tests in
# their own namespaces).  A mutant is killed when one of its suites fails;
# the suites of a mutant run in order and the first failure is recorded.
#
#   tests/mutate.sh            all mutants (as root, for the lab suites)
#   tests/mutate.sh NAME...    only these
#   MUTATE_DIR=/tmp/x          where the copy and its build go (default: mktemp)
#
# Prints one line per mutant, "killed by TEST" or "SURVIVED", then
# "score K/N".  Exit 0 only when every mutant was killed.
set -u
export PATH="$PATH:/usr/sbin:/sbin"
src=$(cd "$(dirname "$0")/.." && pwd)
work=${MUTATE_DIR:-$(mktemp -d /tmp/icr-mutate.XXXXXX)}
mkdir -p "$work/tree"
git -C "$src" archive HEAD | tar -x -C "$work/tree"
cd "$work/tree" || exit 2
meson setup build >/dev/null || { echo "meson setup failed"; exit 2; }
ninja -C build >/dev/null || { echo "the unmutated tree does not build"; exit 2; }

# "@@ NAME FILE TESTS..." (the tests run in order), then the lines of the
# exact text to replace (it must occur once in FILE), then as many lines of
# its replacement.
mutants() {
cat <<'EOF'
@@ sweep-dedup-dropped src/sweep.c lab-sweep
        hit = !test_and_set(s->alive, r->index);
        hit = (test_and_set(s->alive, r->index), true);
@@ probe-mac-flipped src/probe.c probe lab-sweep
    if ((check_id && (uint16_t)h != id) || get_be64(pl) != payload_mac(k, h, index, t))
    if ((check_id && (uint16_t)h != id) || get_be64(pl) == payload_mac(k, h, index, t))
@@ untag-hop-off-by-one src/probe.c probe lab-trace
        *ret_hop = (uint8_t)tag;
        *ret_hop = (uint8_t)(tag + 1);
@@ engine-rate-skipped src/engine.c lab-sweep
    want = icr__rl_take(&t->rl, now, want);
    (void)icr__rl_take(&t->rl, now, want);
@@ cli-result-lost-on-sigint tools/sweep.c lab-sweep-cli
    if (o->w.write_errno)
        return; /* the output failed: the end of cmd_sweep says how */
    if (o->w.write_errno || cli_stop_signal)
        return; /* the output failed: the end of cmd_sweep says how */
@@ multiping-host-finished-early src/multiping.c lab-multiping
    if (m->o.count && h->resolved >= m->o.count && !h->finished)
    if (m->o.count && h->resolved + 1 >= m->o.count && !h->finished)
@@ trace-not-stopping-at-destination src/trace.c lab-trace
                d->flags |= D_REACHED;
                lower_limit(d, hop);
                d->flags |= D_REACHED;
                (void)hop;
@@ mmsg-partial-batch-lost src/ring-mmsg.c ring-mmsg lab-sweep-no-uring
        i += (unsigned)n;
        i += run;
@@ socket-receive-id-ignored src/socket.c lab-socket
        return in->id == req->id && in->seq == req->sequence &&
        return in->seq == req->sequence &&
@@ eventfd-never-signalled src/ring.c ring-uring lab-sweep
    int e = io_uring_register_eventfd(&r->ring, fd);
    int e = 0;
@@ stats-wrong-counter src/engine.c lab-sweep
        .replies = atomic_load_explicit(&e->c.replies, memory_order_relaxed),
        .replies = atomic_load_explicit(&e->c.hits, memory_order_relaxed),
@@ quote8-any-id src/probe.c probe lab-trace
        if ((check_id && (uint16_t)h != id) || (has_ip_id && (uint16_t)(h >> 16) != ip_id))
        if ((has_ip_id && (uint16_t)(h >> 16) != ip_id))
@@ result-index-wrong-target src/engine.c lab-sweep
    res->index = info->index;
    res->index = info->index ^ 1;
@@ ipv6-traffic-class-not-sent src/engine.c lab-sweep
                     e->cfg.traffic_class);
                     0);
@@ rx-timestamp-user-space src/ring.c lab-sweep
        memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
        c->t_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
        clock_gettime(CLOCK_REALTIME, &ts);
        c->t_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
@@ cooldown-never-ends-early src/sweep.c lab-sweep
    return s->answered >= s->per_pass * s->o.count;
    return false;
@@ send-error-not-counted src/engine.c lab-sweep
    count(&e->c.send_errors);
    atomic_store_explicit(&e->last_send_error, -c->res, memory_order_relaxed);
    (void)0;
    atomic_store_explicit(&e->last_send_error, -c->res, memory_order_relaxed);
EOF
}

# The mutants as records: name, file, tests, old, new (old/new may span
# lines: a mutant's old text is every line up to the half of its body).
mutants >"$work/mutants.txt"
python3 - "$work/mutants.json" "$work/mutants.txt" <<'PY'
import json, sys
lines = open(sys.argv[2]).read().split("\n")
out, i = [], 0
while i < len(lines):
    if not lines[i].strip():
        i += 1; continue
    assert lines[i].startswith("@@ "), lines[i]
    name, path, *tests = lines[i][3:].split()
    j = i + 1
    while j < len(lines) and lines[j].strip() and not lines[j].startswith("@@ "):
        j += 1
    body = lines[i + 1:j]
    assert len(body) % 2 == 0, name
    h = len(body) // 2
    out.append(dict(name=name, file=path, tests=tests,
                    old="\n".join(body[:h]) + "\n", new="\n".join(body[h:]) + "\n"))
    i = j
json.dump(out, open(sys.argv[1], "w"))
PY

want=" $* "
killed=0; total=0; table=""
count=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$work/mutants.json")
for ((k = 0; k < count; k++)); do
    eval "$(python3 - "$work/mutants.json" "$k" <<'PY'
import json, shlex, sys
m = json.load(open(sys.argv[1]))[int(sys.argv[2])]
print(f"name={shlex.quote(m['name'])} file={shlex.quote(m['file'])} tests={shlex.quote(' '.join(m['tests']))}")
PY
)"
    [ $# -gt 0 ] && [[ $want != *" $name "* ]] && continue
    total=$((total + 1))
    cp "$file" "$work/orig"
    if ! python3 - "$work/mutants.json" "$k" "$file" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))[int(sys.argv[2])]
s = open(sys.argv[3]).read()
if s.count(m["old"]) != 1:
    sys.exit(f"{m['name']}: the text to mutate occurs {s.count(m['old'])} times in {sys.argv[3]}")
open(sys.argv[3], "w").write(s.replace(m["old"], m["new"]))
PY
    then
        echo "$name: NOT APPLIED"; table+="| $name | $file | not applied | |"$'\n'; continue
    fi
    by=""
    if ! ninja -C build >"$work/$name.build.log" 2>&1; then
        by="(does not build)"
    else
        for t in $tests; do
            # Half the suites' timeouts: a mutant that hangs is killed by it.
            if ! meson test -C build --no-rebuild --timeout-multiplier 0.5 "$t" \
                    >"$work/$name.$t.log" 2>&1; then
                by=$t
                break
            fi
        done
    fi
    cp "$work/orig" "$file"
    if [ -n "$by" ] && [ "$by" != "(does not build)" ]; then
        killed=$((killed + 1))
        why=$(grep -m1 -E '^not ok' "build/meson-logs/testlog.txt" | cut -c1-100)
        echo "$name: killed by $by${why:+ ($why)}"
        table+="| $name | $file | killed | $by${why:+: ${why//|/\\|}} |"$'\n'
    else
        echo "$name: SURVIVED $by (ran: $tests)"
        table+="| $name | $file | SURVIVED $by | $tests |"$'\n'
    fi
done
ninja -C build >/dev/null 2>&1
echo "score $killed/$total"
printf '%s' "$table" >"$work/table.md"
echo "table: $work/table.md"
[ "$killed" = "$total" ]
