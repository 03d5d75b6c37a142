#!/bin/bash
# build-debs.sh: builds icmpring's Debian packages on this machine (Debian
# 12, as root), checks them with lintian, installs them, runs the INSTALLED
# /usr/bin/icmpring in a lab (a sweep that must find every host, and the
# same as an unprivileged user through the cap_net_raw that the postinst
# set), then removes the packages again.
#
#   bash tools/build-debs.sh [OUTDIR]
#
# dpkg-buildpackage runs the unit suite, so a failing unit test stops it;
# DEB_BUILD_OPTIONS=nocheck builds and checks the rest, and reports the
# suite as a failed check.
#
# The build happens in a copy of the tree under /tmp (the repository gets no
# build products); the .deb, .changes, .buildinfo files and the build and
# lintian logs are kept in OUTDIR (default /tmp/icmpring-debs, emptied first).
# apt-get installs the build dependencies, lintian and the lab's tools; those
# stay installed, as with tests/ci.sh.  The icmpring packages themselves are
# purged at the end, also on failure, so no /usr/bin/icmpring or
# libicmpring.so.0 is left to shadow a build tree.  The script refuses to run
# when they are installed already (it would replace and then remove them).
#
# Every packet goes inside the lab that 'icmpring-lab run' builds and always
# deletes (198.18.0.0/15 and 2001:db8::/32 only).  Exit 0 when every check
# passed, 1 when one failed, 2 on bad usage or a machine that cannot run it.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"
export DEBIAN_FRONTEND=noninteractive

usage() { echo "usage: bash tools/build-debs.sh [OUTDIR]  (as root, on Debian 12)"; }
case ${1:-} in -h|--help) usage; exit 0 ;; esac
[ $# -le 1 ] || { usage >&2; exit 2; }

SRC=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-/tmp/icmpring-debs}
PKGS=(libicmpring0 libicmpring-dev icmpring python3-icmpring)
MA=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)

die() { echo "build-debs: $*" >&2; exit 2; }
[ "$(id -u)" = 0 ] || die "needs root (apt-get, dpkg -i, the lab)"
[ -f "$SRC/debian/control" ] || die "no debian/ in $SRC"
case $OUT in /|"$SRC"|"$SRC"/*) die "OUTDIR '$OUT' must be outside the source tree and not /" ;; esac
# OUTDIR is emptied first: only when it is new, empty, or made by this script.
if [ -d "$OUT" ] && [ -n "$(ls -A "$OUT")" ] && [ ! -e "$OUT/.icmpring-debs" ]; then
    die "OUTDIR '$OUT' is not empty and not made by build-debs.sh: give a new directory"
fi
for p in "${PKGS[@]}"; do
    if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok'; then
        die "$p is installed already: remove it first (this script installs and then purges it)"
    fi
done
for f in /usr/bin/icmpring /usr/bin/icmpring-lab "/usr/lib/$MA/libicmpring.so.0"; do
    [ ! -e "$f" ] || die "$f exists (not from a package): move it away first"
done

pass=0 fail=0
ok() {  # ok STATUS DESCRIPTION: one line per check
    if [ "$1" = 0 ]; then pass=$((pass + 1)); echo "ok: $2"
    else fail=$((fail + 1)); echo "FAILED: $2"; fi
}

apt-get update -q >/dev/null
# Build: the Build-Depends of debian/control (apt-get build-dep reads them
# from the directory).  Checks: lintian; gcc and pkg-config for the -dev
# package; the lab: iproute2 nftables procps iputils-ping; setpriv
# (util-linux) for the unprivileged run; setcap/getcap (libcap2-bin).
apt-get build-dep -y -q "$SRC" >/dev/null
apt-get install -y -q --no-install-recommends dpkg-dev lintian gcc libc6-dev pkg-config \
    iproute2 nftables procps iputils-ping util-linux libcap2-bin python3 >/dev/null

WORK=$(mktemp -d /tmp/icmpring-deb.XXXXXX)
installed=0
cleanup() {
    if [ $installed = 1 ]; then
        dpkg --purge "${PKGS[@]}" >/dev/null 2>&1 || echo "build-debs: could not purge ${PKGS[*]}" >&2
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The tree as it is (tracked files and new ones git does not ignore, with
# their uncommitted changes), without the build directories.
VERSION=$(dpkg-parsechangelog -l "$SRC/debian/changelog" -S Version)
TREE=$WORK/icmpring-${VERSION%%-*}
mkdir -p "$TREE"
git -C "$SRC" ls-files -z --cached --others --exclude-standard |
    (cd "$SRC" && tar --null -T - -cf -) | tar -xf - -C "$TREE"
rm -rf "$OUT"
mkdir -p "$OUT"
: >"$OUT/.icmpring-debs"  # marks OUTDIR as ours: a later run may empty it

echo "build-debs: dpkg-buildpackage -us -uc -b in $TREE (log: $OUT/build.log)"
if ! (cd "$TREE" && dpkg-buildpackage -us -uc -b) >"$OUT/build.log" 2>&1; then
    tail -n 40 "$OUT/build.log"
    echo "build-debs: dpkg-buildpackage FAILED (log: $OUT/build.log)"
    exit 1
fi
for f in "$WORK"/*.deb "$WORK"/*.changes "$WORK"/*.buildinfo; do mv "$f" "$OUT/"; done
ok 0 "dpkg-buildpackage -us -uc -b: $(cd "$OUT" && echo *.deb)"

# The project builds clean with -Werror; the package build adds Debian's
# hardening flags (_FORTIFY_SOURCE=2, -fstack-protector-strong ...), which
# can bring warnings of their own.
warn=$(grep -cE '^[^ ]+:[0-9]+:[0-9]+: warning:' "$OUT/build.log" || true)
ok "$([ "$warn" = 0 ]; echo $?)" "no compiler warnings under dpkg-buildflags ($warn)"
[ "$warn" = 0 ] || grep -E '^[^ ]+:[0-9]+:[0-9]+: warning:' "$OUT/build.log" | sort -u | head -n 20
# debian/libicmpring0.symbols: an export that disappears fails the build
# (once its version is released); a new one only warns, so say so here
# (the file needs its line).
if grep -q 'dpkg-gensymbols: warning: some new symbols appeared' "$OUT/build.log"; then
    echo "note: new exports missing from debian/libicmpring0.symbols (add them with the version that adds them):"
    grep -E '^\+ ' "$OUT/build.log" | sed 's/^/    /'
fi
# No test may skip: the Build-Depends install what every unit test needs.
# DEB_BUILD_OPTIONS=nocheck (to look at the packages while a unit test
# fails) leaves the suite out, and this check fails: it is not a pass.
ok "$(! [[ " ${DEB_BUILD_OPTIONS:-} " == *" nocheck "* ]] &&
      grep -qE '^Ok: +[1-9]' "$OUT/build.log" && grep -qE '^Fail: +0' "$OUT/build.log" &&
      grep -qE '^Skipped: +0' "$OUT/build.log" && ! grep -qE '^ok [0-9]+ .*# SKIP' "$OUT/build.log"; echo $?)" \
    "the unit suite ran in the build: $(grep -E '^(Ok|Fail|Skipped):' "$OUT/build.log" | tr -s ' ' | paste -sd, - |
                                         grep . || echo 'not run (DEB_BUILD_OPTIONS=nocheck?)')"

# lintian over the .changes: no errors; warnings are listed (README.md,
# "Debian packages", says which remain and why).
CHANGES=$(echo "$OUT"/*.changes)
lrc=0
lintian --fail-on error --display-info "$CHANGES" >"$OUT/lintian.log" 2>&1 || lrc=$?
ok "$lrc" "lintian --fail-on error: $(grep -c '^E:' "$OUT/lintian.log" || true) errors, $(grep -c '^W:' "$OUT/lintian.log" || true) warnings, $(grep -c '^I:' "$OUT/lintian.log" || true) info (log: $OUT/lintian.log)"
grep -E '^[EW]:' "$OUT/lintian.log" | sed 's/^/    /' || true

# Install.  The packages' dependencies (liburing2, python3, libcap2-bin)
# were installed above as build dependencies or checking tools, so dpkg -i
# needs nothing from apt and the purge leaves nothing behind.
debs=()
for p in "${PKGS[@]}"; do
    for f in "$OUT/${p}_"*.deb; do
        [ -e "$f" ] && debs+=("$f")
    done
done
installed=1
if ! dpkg -i "${debs[@]}" >"$OUT/install.log" 2>&1; then
    cat "$OUT/install.log"
    ok 1 "dpkg -i ${PKGS[*]}"
    exit 1
fi
ok 0 "dpkg -i ${PKGS[*]}"
grep -i 'setcap\|icmpring:' "$OUT/install.log" | sed 's/^/    /' || true
ok "$(dpkg -S /usr/bin/icmpring | grep -q '^icmpring:'; echo $?)" "/usr/bin/icmpring belongs to the package icmpring"
ok "$(/usr/bin/icmpring --version | grep -qx "icmpring ${VERSION%%-*}"; echo $?)" \
    "/usr/bin/icmpring --version: $(/usr/bin/icmpring --version)"
caps=$(getcap /usr/bin/icmpring 2>&1 || true)
ok "$(echo "$caps" | grep -q 'cap_net_raw[=+]ep'; echo $?)" "postinst set cap_net_raw: $caps"
# The postinst's fallbacks: without setcap, and with a setcap that fails
# (a file system without extended attributes), it says so and succeeds.
mkdir -p "$WORK/fake"
printf '#!/bin/sh\necho "Failed to set capabilities on file: Operation not supported" >&2\nexit 1\n' \
    >"$WORK/fake/setcap"
chmod 755 "$WORK/fake/setcap"
for how in missing failing; do
    path=/usr/bin:/bin
    [ $how = failing ] && path=$WORK/fake:$path
    prc=0
    msg=$(env PATH="$path" sh /var/lib/dpkg/info/icmpring.postinst configure 2>&1) || prc=$?
    ok "$([ $prc = 0 ] && echo "$msg" | grep -q '^icmpring: setcap .*raw sockets are for root only'; echo $?)" \
        "postinst with setcap $how: exit $prc, $(echo "$msg" | grep '^icmpring:')"
done

# libicmpring-dev: a program found through pkg-config, linked against the
# installed libicmpring.so.0 (no network: version and error strings).
cat >"$WORK/t.c" <<'C'
#include <icmpring.h>
#include <stdio.h>
int main(void) {
    printf("%s %s\n", icr_version(), icr_strerror(ICR_ETIMEOUT));
    return 0;
}
C
# shellcheck disable=SC2046 # pkg-config's words are meant to split
if cc "$WORK/t.c" -o "$WORK/t" $(pkg-config --cflags --libs icmpring) 2>"$WORK/cc.err" &&
   "$WORK/t" >"$WORK/t.out"; then
    lib=$(ldd "$WORK/t" | awk '/libicmpring/ {print $3}')
    ok "$([ "$(readlink -f "$lib")" = "$(readlink -f "/usr/lib/$MA/libicmpring.so.0")" ] &&
          dpkg -S "/usr/lib/$MA/libicmpring.so.0" | grep -q '^libicmpring0:'; echo $?)" \
        "pkg-config build against libicmpring-dev runs on $lib: $(cat "$WORK/t.out")"
else
    cat "$WORK/cc.err"
    ok 1 "pkg-config build against libicmpring-dev"
fi

# Man pages and bash completion, where the tree installs them (branch doc).
for m in icmpring icmpring-lab; do
    ok "$(man -w "$m" 2>/dev/null | grep -q "^/usr/share/man/man1/$m.1"; echo $?)" "man -w $m: $(man -w "$m" 2>&1)"
done
ok "$(man -w 3 libicmpring 2>/dev/null | grep -q '^/usr/share/man/man3/libicmpring.3'; echo $?)" \
    "man -w 3 libicmpring: $(man -w 3 libicmpring 2>&1)"
for c in icmpring icmpring-lab; do
    spec=$(bash -c ". /usr/share/bash-completion/completions/$c && complete -p $c" 2>&1 || true)
    ok "$(echo "$spec" | grep -q "^complete -F .* $c\$"; echo $?)" \
        "bash completion /usr/share/bash-completion/completions/$c: $spec"
done

ok "$(head -n 1 /usr/share/zsh/vendor-completions/_icmpring 2>/dev/null | grep -q '^#compdef icmpring'; echo $?)" \
    "zsh completion /usr/share/zsh/vendor-completions/_icmpring: $(head -n 1 /usr/share/zsh/vendor-completions/_icmpring 2>&1)"

# python3-icmpring: Debian's python3, with no PYTHONPATH and no
# ICMPRING_LIBRARY, imports the installed package, which loads the
# installed libicmpring.so.0 through the loader.
py=$(cd / && env -u PYTHONPATH -u ICMPRING_LIBRARY /usr/bin/python3 -c '
import icmpring
v = icmpring.library_version()  # loads the library (the import does not)
lib = [l.split()[-1] for l in open("/proc/self/maps") if "libicmpring" in l][0]
print(icmpring.__file__, v, lib)' 2>&1 || true)
read -r pyfile pyver pylib <<<"$py" || true
ok "$([ "$pyfile" = /usr/lib/python3/dist-packages/icmpring/__init__.py ] && [ "$pyver" = "${VERSION%%-*}" ] &&
      [ "$(readlink -f "$pylib")" = "$(readlink -f "/usr/lib/$MA/libicmpring.so.0")" ]; echo $?)" \
    "python3 imports the installed icmpring: $py"

# The lab, from the installed icmpring-lab; inside it, the installed
# icmpring.  Every host of 198.18.0.0/22 (1022: network and broadcast left
# out) and of 2001:db8:1::1-2001:db8:1::100 (256) answers there.
cat >"$WORK/in-lab.sh" <<'LAB'
set -u
W=$1
echo "$ICR_LAB" >"$W/lab.name"
python3 - >"$W/want" <<'PY'
import ipaddress
n4 = ipaddress.ip_network("198.18.0.0/22")
a6 = ipaddress.ip_address("2001:db8:1::1")
for a in list(n4.hosts()) + [a6 + i for i in range(256)]:
    print(a)
PY
sort -o "$W/want" "$W/want"
timeout -k 5 60 /usr/bin/icmpring sweep 198.18.0.0/22 2001:db8:1::1-2001:db8:1::100 >"$W/root.out" 2>"$W/root.err"
echo $? >"$W/root.rc"
# As uid 65534: raw sockets only through the file capability (--privileged
# refuses the datagram-socket fallback).  Without CAP_NET_ADMIN the receive
# buffer is capped by net.core.rmem_max (about 270 replies by default): at
# the default 10,000 pps a loaded machine dropped 276 replies in one run, so
# this sweep goes at 1,000 pps and probes each address twice.
timeout -k 5 60 setpriv --reuid=65534 --regid=65534 --clear-groups \
    /usr/bin/icmpring sweep --privileged --rate 1000 --count 2 \
    198.18.0.0/22 2001:db8:1::1-2001:db8:1::100 \
    >"$W/nobody.out" 2>"$W/nobody.err"
echo $? >"$W/nobody.rc"
# The installed Python package: icmplib's multiping, and sweep().
cd / && timeout -k 5 60 env -u PYTHONPATH -u ICMPRING_LIBRARY /usr/bin/python3 -c '
import icmpring as icmplib
hosts = icmplib.multiping(["198.18.0.1", "2001:db8:1::1", "198.18.3.254"], count=2, interval=0.01)
print(" ".join("%s:%d/%d" % (h.address, h.packets_received, h.packets_sent) for h in hosts))
found = {r.address for r in icmplib.sweep("198.18.1.0/24", cooldown=1)}
print("sweep", len(found))
' >"$W/py.out" 2>&1
echo $? >"$W/py.rc"
LAB
chmod 755 "$WORK"
if /usr/bin/icmpring-lab run -- bash "$WORK/in-lab.sh" "$WORK" >"$OUT/lab.log" 2>&1; then
    for who in root nobody; do
        # Each live address once (text output: one line per target, also
        # with --count 2).
        sort "$WORK/$who.out" >"$WORK/$who.sorted"
        ok "$([ "$(cat "$WORK/$who.rc")" = 0 ] && cmp -s "$WORK/$who.sorted" "$WORK/want" &&
              grep -qE '^1278 targets, [0-9]+ probes sent of [0-9]+, 1278 hits' "$WORK/$who.err"; echo $?)" \
            "lab, as $who: /usr/bin/icmpring sweep$([ $who = nobody ] && echo ' --privileged --rate 1000 --count 2') 198.18.0.0/22 2001:db8:1::1-2001:db8:1::100 found $(sort -u "$WORK/$who.out" | wc -l) of 1278, exit $(cat "$WORK/$who.rc")"
        [ "$(cat "$WORK/$who.rc")" = 0 ] || sed 's/^/    /' "$WORK/$who.err"
    done
    sed -n 's/^/    /; /elapsed/p' "$WORK/root.err"
    ok "$([ "$(cat "$WORK/py.rc")" = 0 ] &&
          grep -qx '198.18.0.1:2/2 2001:db8:1::1:2/2 198.18.3.254:2/2' "$WORK/py.out" &&
          grep -qx 'sweep 254' "$WORK/py.out"; echo $?)" \
        "lab, python3-icmpring: multiping of 3 hosts 2/2 each, sweep() of 198.18.1.0/24 found 254: $(tr '\n' ' ' <"$WORK/py.out")"
else
    cat "$OUT/lab.log"
    ok 1 "icmpring-lab run (the lab could not be built: see $OUT/lab.log)"
fi

lab=$(cat "$WORK/lab.name" 2>/dev/null || true)
ok "$([ -n "$lab" ] && ! ip netns list | grep -q "^$lab-"; echo $?)" "the lab '$lab' was deleted after the run"

# Remove the packages again (the EXIT trap does it on failure too).
dpkg --purge "${PKGS[@]}" >/dev/null
installed=0
left=$(dpkg-query -W -f='${Package} ${Status}\n' "${PKGS[@]}" 2>/dev/null | grep -c 'installed$' || true)
ok "$([ "$left" = 0 ] && [ ! -e /usr/bin/icmpring ] && [ ! -e "/usr/lib/$MA/libicmpring.so.0" ]; echo $?)" \
    "purged again: no /usr/bin/icmpring, no libicmpring.so.0"

echo "build-debs: $pass passed, $fail failed; packages in $OUT"
[ $fail = 0 ]
