#!/usr/bin/python3
"""ping.py [ADDRESS] - ping() and every property of the Host it returns.
The calls of icmplib's examples/ping.py, written for icmpring: it runs
unchanged on icmplib too (only the import line differs)."""
import sys

import icmpring as icmplib

host = icmplib.ping(sys.argv[1] if len(sys.argv) > 1 else '198.18.0.7', count=10,
                    interval=0.5 if len(sys.argv) < 3 else float(sys.argv[2]), timeout=1)
for value in (host.address, host.min_rtt, host.avg_rtt, host.max_rtt, host.rtts,
              host.packets_sent, host.packets_received, host.packet_loss, host.jitter,
              host.is_alive):
    print(value)
