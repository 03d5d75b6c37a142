#!/bin/bash
# demo.sh - the README's demo: on a fresh Debian 12 machine (as root)
# install what icmpring needs, build it, create the project's own network lab
# (namespaces only: no packet leaves this machine), sweep 198.18.0.0/16 in it,
# ping, traceroute and multiping a few hosts, and tear the lab down.
set -euo pipefail
# ip, nft and sysctl live in the sbin directories, which a non-login
# root environment may leave out of PATH.
export PATH="$PATH:/usr/sbin:/sbin"
cd "$(dirname "$0")/.."

export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends \
    gcc libc6-dev meson ninja-build pkg-config liburing-dev \
    iproute2 nftables iputils-ping util-linux procps >/dev/null

meson setup build-demo --buildtype=release -Dtests=false -Dexamples=false >/dev/null
ninja -C build-demo >/dev/null
bin=$PWD/build-demo/tools/icmpring

echo "== icmpring $("$bin" --version | cut -d' ' -f2): sweeping 198.18.0.0/16 inside a lab"
# 'run' builds a fresh lab, runs the command in its prober namespace and
# always deletes the lab again.
tools/icmpring-lab run -- bash -c "
    '$bin' sweep --rate 0 --cooldown 1 198.18.0.0/16 -o /tmp/icmpring-demo.txt
    echo \"== \$(wc -l < /tmp/icmpring-demo.txt) live addresses written to /tmp/icmpring-demo.txt; the first five:\"
    head -n 5 /tmp/icmpring-demo.txt
    echo '== a ping through the router chain, in the lines of iputils ping (TTL shows the hops):'
    '$bin' ping -c 3 -i 0.2 198.19.0.1
    echo '== a traceroute of that chain, in the layout of traceroute(8) (every TTL in flight at once):'
    '$bin' traceroute 198.19.0.1
    echo '== and a multiping of live, far, IPv6 and unreachable hosts (fping -c lines):'
    '$bin' multiping -c 3 198.18.0.7 198.19.0.1 2001:db8:1::7 203.0.113.1 || true
"
