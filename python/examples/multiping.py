#!/usr/bin/python3
"""multiping.py [ADDRESS...] - multiping() over addresses and a host name,
then the alive and dead lists (the calls of icmplib's examples/multiping.py)."""
import sys

import icmpring as icmplib

addresses = sys.argv[1:] or ['198.18.0.1', '198.19.0.1', '203.0.113.1', '203.0.113.129',
                             '2001:db8:1::1', 'localhost']
hosts = icmplib.multiping(addresses, count=2, timeout=1)
alive = [h.address for h in hosts if h.is_alive]
dead = [h.address for h in hosts if not h.is_alive]
print(alive)
print(dead)
