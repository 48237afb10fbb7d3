#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The README's first command: installs what is missing, builds, and runs
# edge-dataplane on conf/demo.ini over a veth pair -- no NIC needed.
#
#   root ns                          namespace epdemo-client
#   epdemo0 (kernel 10.250.0.1/24) <--veth--> epdemo1 10.250.0.2/24
#     + edge-dataplane, xdp mode,              fd00:250::2/64
#       owns 10.250.0.10 and fd00:250::10
#
# It shows the dataplane answering ARP, ND and ping for the addresses it
# owns, going silent while it is stopped (SIGSTOP: the kernel does not
# have these addresses, so nobody else answers), answering again after
# SIGCONT, and its counters; then it removes everything it made, also
# when interrupted with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/../.."

NS=epdemo-client
DEV=epdemo0
PEER=epdemo1
VIP4=10.250.0.10
VIP6=fd00:250::10
PREFIX=epdemo
LOG=$(mktemp /tmp/epdemo.XXXXXX.log)
DP_PID=

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

cleanup() {
	trap - EXIT INT TERM
	if [[ -n $DP_PID ]] && kill -0 "$DP_PID" 2>/dev/null; then
		kill -CONT "$DP_PID" 2>/dev/null || true
		kill -TERM "$DP_PID" 2>/dev/null || true
		wait "$DP_PID" 2>/dev/null || true
	fi
	ip netns del "$NS" 2>/dev/null || true
	ip link del "$DEV" 2>/dev/null || true
	rm -rf "$LOG" "/var/run/dpdk/$PREFIX"
}

if [[ $(id -u) -ne 0 ]]; then
	echo "demo: needs root for network namespaces and XDP (sudo $0)" >&2
	exit 1
fi
bash .ci/deps
[[ -f build/build.ninja ]] || meson setup build
ninja -C build
DP=build/dataplane/edge-dataplane

# A previous run that was killed hard may have left its topology.
ip netns del "$NS" 2>/dev/null || true
ip link del "$DEV" 2>/dev/null || true
trap cleanup EXIT
trap 'echo; echo "demo: interrupted, cleaning up"; exit 130' INT TERM

say "topology: veth $DEV <-> $PEER (in namespace $NS)"
ip netns add "$NS"
ip link add "$DEV" type veth peer name "$PEER" netns "$NS"
ip addr add 10.250.0.1/24 dev "$DEV"
ip link set "$DEV" up
ip netns exec "$NS" ip link set lo up
ip netns exec "$NS" ip addr add 10.250.0.2/24 dev "$PEER"
ip netns exec "$NS" ip addr add fd00:250::2/64 dev "$PEER" nodad
ip netns exec "$NS" ip link set "$PEER" up
# The sender must hand over complete checksums (DESIGN.md: Checksums).
ip netns exec "$NS" ethtool -K "$PEER" tx off >/dev/null

say "starting edge-dataplane --profile conf/demo.ini"
"$DP" --profile conf/demo.ini >"$LOG" 2>&1 &
DP_PID=$!
sock=/var/run/dpdk/$PREFIX/dpdk_telemetry.v2
for _ in $(seq 100); do
	[[ -S $sock ]] && grep -q "running:" "$LOG" && break
	kill -0 "$DP_PID" 2>/dev/null || { cat "$LOG"; echo "demo: dataplane exited" >&2; exit 1; }
	sleep 0.1
done
grep -q "running:" "$LOG" || { cat "$LOG"; echo "demo: dataplane did not start" >&2; exit 1; }
grep "edgeplane:" "$LOG" | sed 's/^/  /'

in_ns() { ip netns exec "$NS" "$@"; }

say "ARP: who has $VIP4? (answered by the dataplane, not the kernel)"
in_ns arping -c 3 -w 5 -I "$PEER" "$VIP4"
say "ping $VIP4"
in_ns ping -c 4 -i 0.2 -W 2 "$VIP4"
say "ping $VIP6 (neighbour discovery, then ICMPv6 echo)"
in_ns ping -6 -c 3 -i 0.2 -W 2 "$VIP6"

say "SIGSTOP the dataplane: $VIP4 goes silent"
kill -STOP "$DP_PID"
if in_ns ping -c 2 -i 0.2 -W 1 "$VIP4" >/dev/null; then
	echo "demo: unexpected: $VIP4 answered while the dataplane was stopped" >&2
	exit 1
fi
echo "  no answer while stopped, as expected"

say "SIGCONT: answered again"
kill -CONT "$DP_PID"
for _ in $(seq 10); do
	in_ns ping -c 1 -W 1 "$VIP4" >/dev/null && break
done
in_ns ping -c 2 -i 0.2 -W 2 "$VIP4"

say "counters: dpdk-telemetry.py -f $PREFIX (non-zero values)"
printf '/edgeplane/stats\n/edgeplane/port,demo\n/edgeplane/neigh\n/edgeplane/neigh_table\n' |
	dpdk-telemetry.py -f "$PREFIX" | python3 -c '
import json, sys
for line in sys.stdin:
    if not line.startswith("{"):
        continue
    for cmd, val in json.loads(line).items():
        items = val.items() if isinstance(val, dict) else enumerate(val)
        for k, v in items:
            if v not in (0, ""):
                print(f"  {cmd:22} {k!s:16} {v}")
'

say "stopping (SIGTERM): the dataplane prints its counters and detaches its XDP program"
kill -TERM "$DP_PID"
wait "$DP_PID"
DP_PID=
sed -n '/edge-dataplane counters/,$p' "$LOG"
if ip -d link show dev "$DEV" | grep -q "prog/xdp"; then
	echo "demo: $DEV still carries an XDP program" >&2
	exit 1
fi
echo "  $DEV carries no XDP program"
say "demo finished; cleaning up"
