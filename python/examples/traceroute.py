#!/usr/bin/python3
"""traceroute.py [ADDRESS [FIRST_HOP]] - traceroute() and its Hops, with a
line for a gap in the distances (the calls of icmplib's examples/traceroute.py)."""
import sys

import icmpring as icmplib

hops = icmplib.traceroute(sys.argv[1] if len(sys.argv) > 1 else '198.19.0.1', timeout=1,
                          fast=True, first_hop=int(sys.argv[2]) if len(sys.argv) > 2 else 1)
print(hops)
previous = 0
for hop in hops:
    if hop.distance != previous + 1:
        print('  *     Some gateways are not responding')
    print(f'  {hop.distance:<2}    {hop.address:15}    {hop.avg_rtt} ms')
    previous = hop.distance
