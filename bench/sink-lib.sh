# sink-lib.sh: owns the send-only sink of the AF_PACKET benchmarks
# (packet-bench.sh part A, packet-cpu.sh, rate-cpu.sh); sourced, not run.
#
# sink_up NS: namespaces NSs (the sender: d0 192.0.2.1/24, 198.18.0.0/15
# routed via 192.0.2.2) and NSk (the sink: d1 192.0.2.2/24, an nftables
# netdev ingress chain that counts and drops every frame, so that only the
# sender's cost counts), joined by a veth pair.  The sink answers nothing,
# ARP included, so the sender gets a permanent neighbour entry.  Sets
# SINK_MAC to d1's MAC.  Returns 1 (after a message) when the sink's MAC
# cannot be read.
# sink_down NS: deletes both namespaces (safe to call twice, or before up).
# sink_count NS: the frames the sink has dropped so far.
# sink_start NS WORK: for a script that owns the sink for its whole run:
# an EXIT trap that deletes the namespaces and the directory WORK (INT and
# TERM exit 130 through it), then sink_up NS.
#
# Only 192.0.2.0/24 and 198.18.0.0/15 are addressed, only in these two
# namespaces; the caller deletes them on every exit path (an EXIT trap).

SINK_MAC=""

sink_up() {
	local ns=$1
	ip netns add "${ns}s"
	ip netns add "${ns}k"
	ip link add d0 netns "${ns}s" type veth peer name d1 netns "${ns}k"
	local S=(ip -n "${ns}s") K=(ip -n "${ns}k")
	"${S[@]}" link set lo up
	"${K[@]}" link set lo up
	"${S[@]}" addr add 192.0.2.1/24 dev d0
	"${K[@]}" addr add 192.0.2.2/24 dev d1
	"${S[@]}" link set d0 txqueuelen 10000 up
	"${K[@]}" link set d1 up
	"${S[@]}" route add 198.18.0.0/15 via 192.0.2.2
	SINK_MAC=$("${K[@]}" -br link show dev d1 | awk '{ print $3 }')
	if [[ ! $SINK_MAC =~ ^([0-9a-f]{2}:){5}[0-9a-f]{2}$ ]]; then
		echo "sink-lib: no MAC on the sink's d1" >&2
		return 1
	fi
	"${S[@]}" neigh replace 192.0.2.2 lladdr "$SINK_MAC" dev d0 nud permanent
	printf 'table netdev sink {\n\tchain in {\n\t\ttype filter hook ingress device d1 priority -500; counter drop\n\t}\n}\n' |
		ip netns exec "${ns}k" nft -f -
}

sink_start() {
	SINK_NS=$1 SINK_WORK=$2
	trap 'sink_down "$SINK_NS"; rm -rf "$SINK_WORK"' EXIT
	trap 'exit 130' INT TERM
	sink_up "$1"
}

sink_down() {
	ip netns del "${1}s" 2>/dev/null || true
	ip netns del "${1}k" 2>/dev/null || true
}

sink_count() {
	ip netns exec "${1}k" nft list table netdev sink |
		sed -n 's/.*counter packets \([0-9]*\) .*/\1/p' | head -n 1
}
