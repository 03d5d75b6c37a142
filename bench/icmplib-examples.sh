#!/bin/bash
# icmplib-examples.sh: owns the drop-in proof with icmplib's own programs --
# the six example programs of icmplib 3.0.4 (examples/*.py in ../shared),
# copied to a temporary directory and rewritten only in their import line
# (`from icmplib import` -> `from icmpring import`, for the icmpring run)
# and their addresses (lab addresses instead of public ones), run in one lab
# against icmpring and against the real icmplib 3.0.4, their outputs
# compared with every number masked.  A script, not a test: it reads
# ../shared, which the project's tests must not depend on (the tests run our
# own examples, python/examples, instead).  Then the same for every code
# snippet of icmplib's README.md and docs/*.md (see below).
#
# usage: bench/icmplib-examples.sh          (root)
# env:   ICMPLIB_DIR        icmplib 3.0.4 (default ../shared/peers/icmplib-3.0.4
#                           beside the source tree)
#        ICMPRING_LIBRARY   the library (default build/src/libicmpring.so.0)
#        ICMPRING_LAB       the lab tool (default tools/icmpring-lab)
# Exit 0 when every example's masked output is the same for both.
set -euo pipefail

SELF=$(readlink -f "${BASH_SOURCE[0]}")
ROOT=$(dirname "$(dirname "$SELF")")
: "${ICMPLIB_DIR:=$ROOT/../shared/peers/icmplib-3.0.4}"
: "${ICMPRING_LIBRARY:=$ROOT/build/src/libicmpring.so.0}"
: "${ICMPRING_LAB:=$ROOT/tools/icmpring-lab}"
ICMPLIB_DIR=$(readlink -f "$ICMPLIB_DIR" 2>/dev/null || echo "$ICMPLIB_DIR")
ICMPRING_LIBRARY=$(readlink -f "$ICMPRING_LIBRARY")
export ICMPLIB_DIR ICMPRING_LIBRARY ROOT
readonly EXAMPLES=(ping multiping traceroute verbose_ping verbose_traceroute broadcast_ping)

die() {
	echo "icmplib-examples: $*" >&2
	exit 1
}

if [[ ${1:-} != --in-lab ]]; then
	(( EUID == 0 )) || die "must run as root (namespaces, raw sockets)"
	[[ -f $ICMPLIB_DIR/examples/ping.py ]] || die "no icmplib 3.0.4 examples at $ICMPLIB_DIR"
	[[ -f $ICMPRING_LIBRARY ]] || die "no $ICMPRING_LIBRARY: meson setup build && ninja -C build"
	exec timeout -k 10 600 "$ICMPRING_LAB" run --routers 5 -- bash "$SELF" --in-lab
fi

W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

# The address rewrites, per example (public -> lab): 198.18.0.0/16 answers
# one hop away, 198.19.0.1 six hops away, r1 rejects 203.0.113.1 with Host
# Unreachable and drops 203.0.113.129; rsp, h1 and h2 answer 192.0.2.255.
# github.com and ovh.com become literal addresses: the lab has no DNS.
rewrite() {
	local ex=$1
	case $ex in
	ping | traceroute | verbose_ping) sed -i "s/'1\.1\.1\.1'/'198.19.0.1'/" "$2" ;;
	esac
	case $ex in
	ping | verbose_ping) sed -i "s/'198\.19\.0\.1'/'198.18.0.7'/" "$2" ;;
	multiping)
		sed -i -e "s/'1\.1\.1\.1'/'198.18.0.1'/" -e "s/'8\.8\.8\.8'/'198.19.0.1'/" \
			-e "s/'10\.0\.0\.100'/'203.0.113.1'/" -e "s/'10\.0\.0\.200'/'203.0.113.129'/" \
			-e "s/'github\.com'/'localhost'/" "$2" ;;
	verbose_traceroute) sed -i "s/'ovh\.com'/'198.19.0.1'/" "$2" ;;
	broadcast_ping) sed -i "s/'255\.255\.255\.255'/'192.0.2.255'/" "$2" ;;
	esac
}

mask() {
	sed -E 's/[0-9]+(\.[0-9]+)?(e-?[0-9]+)?/N/g'
}

# Network safety: before a rewritten program runs, every string constant in
# it that is an address must lie in a lab range (or loopback), and every one
# that looks like a host name must be localhost.  A rewrite that misses an
# address (a new icmplib release, a new snippet) then stops the script
# instead of sending anywhere.
cat >"$W/guard.py" <<'PY'
import ast, ipaddress, re, sys
LAB = [ipaddress.ip_network(n) for n in ('198.18.0.0/15', '192.0.2.0/24', '198.51.100.0/24',
       '203.0.113.0/24', '2001:db8::/32', '127.0.0.0/8', '::1/128')]
NAME = re.compile(r'^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.(com|net|org|io|fr|de|eu|info|dev)$')
bad = []
for path in sys.argv[1:]:
    for node in ast.walk(ast.parse(open(path).read())):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            continue
        v = node.value.strip()
        try:
            a = ipaddress.ip_address(v)
        except ValueError:
            if NAME.match(v):
                bad.append(f'{path}: host name {v!r}')
            continue
        if not any(a in n for n in LAB):
            bad.append(f'{path}: address {v!r} outside the lab ranges')
for b in bad:
    print(f'icmplib-examples: refused to run: {b}', file=sys.stderr)
sys.exit(1 if bad else 0)
PY
guard() { /usr/bin/python3 "$W/guard.py" "$@" || exit 1; }

ip link set lo up 2>/dev/null || true
mkdir -p "$W/icmplib" "$W/icmpring"
fails=0
printf '%-20s %-8s %-8s %-8s %s\n' example icmplib icmpring lines same-shape
for ex in "${EXAMPLES[@]}"; do
	for impl in icmplib icmpring; do
		cp "$ICMPLIB_DIR/examples/$ex.py" "$W/$impl/$ex.py"
		rewrite "$ex" "$W/$impl/$ex.py"
	done
	sed -i 's/^from icmplib import/from icmpring import/' "$W/icmpring/$ex.py"
	guard "$W/icmplib/$ex.py" "$W/icmpring/$ex.py"
	# Only those lines differ between the copy and the original.
	diff "$ICMPLIB_DIR/examples/$ex.py" "$W/icmpring/$ex.py" | grep '^>' | sed 's/^/  rewritten: /' || true
	st1=0 st2=0
	PYTHONPATH=$ICMPLIB_DIR timeout -k 5 120 /usr/bin/python3 "$W/icmplib/$ex.py" \
		>"$W/$ex.icmplib" 2>&1 || st1=$?
	PYTHONPATH=$ROOT/python timeout -k 5 120 /usr/bin/python3 "$W/icmpring/$ex.py" \
		>"$W/$ex.icmpring" 2>&1 || st2=$?
	# broadcast replies arrive in any order: compare them sorted
	if [[ $ex == broadcast_ping ]]; then
		for impl in icmplib icmpring; do sort -o "$W/$ex.$impl" "$W/$ex.$impl"; done
	fi
	if [[ $st1 == 0 && $st2 == 0 ]] && diff <(mask <"$W/$ex.icmplib") <(mask <"$W/$ex.icmpring") >"$W/$ex.diff"; then
		same=yes
	else
		same=NO
		fails=$((fails + 1))
	fi
	printf '%-20s %-8s %-8s %-8s %s\n' "$ex" "exit $st1" "exit $st2" "$(wc -l <"$W/$ex.icmpring")" "$same"
	for impl in icmplib icmpring; do
		sed "s/^/    $impl| /" "$W/$ex.$impl"
	done
	[[ $same == yes ]] || sed 's/^/    diff| /' "$W/$ex.diff"
done
echo "icmplib-examples: $(( ${#EXAMPLES[@]} - fails )) of ${#EXAMPLES[@]} examples print the same shape"

# The snippets of icmplib's README.md and docs/*.md: every ```python block
# that is code (">>>" sessions, or programs starting with an import; the
# signature blocks are skipped), run as the interactive interpreter would
# (each top-level statement compiled in 'single' mode, so an expression's
# value is printed; an exception prints its class and message), rewritten
# only in `from icmplib import` and in the addresses: 1.1.1.1 -> 198.19.0.1,
# 10.0.0.5 -> 203.0.113.129 (silent), one.one.one.one -> localhost,
# ipv6.google.com -> 2001:db8:1::7 (the lab has no DNS), and the address the
# is_*_address snippets parse (2a00:1450:4007:813::200e -> 2001:db8:1::7), so
# that the guard below passes every snippet without exceptions.
cat >"$W/snippets.py" <<'PY'
import ast, os, re, sys, textwrap
src, out = sys.argv[1], sys.argv[2]
files = [os.path.join(src, 'README.md')] + sorted(
    os.path.join(src, 'docs', f) for f in os.listdir(os.path.join(src, 'docs')) if f.endswith('.md'))
subs = [("'1.1.1.1'", "'198.19.0.1'"), ("'10.0.0.5'", "'203.0.113.129'"),
        ("'one.one.one.one'", "'localhost'"), ("'ipv6.google.com'", "'2001:db8:1::7'"),
        ("'2a00:1450:4007:813::200e'", "'2001:db8:1::7'")]
n = 0
for path in files:
    text = open(path).read()
    for m in re.finditer(r'```python\n(.*?)```', text, re.S):
        block = textwrap.dedent(m.group(1))
        line = text[:m.start()].count('\n') + 1
        lines = block.splitlines()
        if any(l.startswith('>>>') for l in lines):
            code = [l[4:] if l.startswith(('>>> ', '... ')) else '' for l in lines
                    if l.startswith(('>>>', '...'))]
        elif lines and lines[0].startswith(('from icmplib', 'import')):
            code = lines
        else:
            continue
        code = '\n'.join(code) + '\n'
        for a, b in subs:
            code = code.replace(a, b)
        name = f"{os.path.basename(path)[:-3]}-{line}"
        for impl in ('icmplib', 'icmpring'):
            c = code if impl == 'icmplib' else re.sub(r'^(\s*)from icmplib import', r'\1from icmpring import', code, flags=re.M)
            open(os.path.join(out, impl, f'snip-{name}.py'), 'w').write(c)
        n += 1
print(n)
PY
cat >"$W/repl.py" <<'PY'
import ast, sys
src = open(sys.argv[1]).read()
g = {'__name__': '__main__'}
for node in ast.parse(src).body:
    try:
        exec(compile(ast.Interactive([node]), sys.argv[1], 'single'), g)
    except Exception as e:
        print(f'{type(e).__name__}: {e}')
PY
nsnip=$(/usr/bin/python3 "$W/snippets.py" "$ICMPLIB_DIR" "$W")
guard "$W"/icmplib/snip-*.py "$W"/icmpring/snip-*.py
sfails=0
for f in "$W"/icmplib/snip-*.py; do
	s=$(basename "$f" .py)
	st1=0 st2=0
	(cd "$W/icmplib" && PYTHONPATH=$ICMPLIB_DIR timeout -k 5 120 /usr/bin/python3 "$W/repl.py" "$s.py" \
		>"$W/$s.icmplib" 2>&1) || st1=$?
	(cd "$W/icmpring" && PYTHONPATH=$ROOT/python timeout -k 5 120 /usr/bin/python3 "$W/repl.py" "$s.py" \
		>"$W/$s.icmpring" 2>&1) || st2=$?
	if [[ $st1 == 0 && $st2 == 0 ]] && diff <(mask <"$W/$s.icmplib") <(mask <"$W/$s.icmpring") >"$W/$s.diff"; then
		same=yes
	else
		same=NO
		sfails=$((sfails + 1))
	fi
	printf '%-26s %-8s %-8s %-8s %s\n' "${s#snip-}" "exit $st1" "exit $st2" "$(wc -l <"$W/$s.icmpring")" "$same"
	for impl in icmplib icmpring; do
		sed "s/^/    $impl| /" "$W/$s.$impl"
	done
	[[ $same == yes ]] || sed 's/^/    diff| /' "$W/$s.diff"
done
echo "icmplib-examples: $(( nsnip - sfails )) of $nsnip README/docs snippets print the same shape"
(( fails == 0 && sfails == 0 ))
