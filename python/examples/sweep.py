#!/usr/bin/python3
"""sweep.py [RANGE...] - icmpring's sweep() (beyond icmplib): live hosts
stream out as they answer; Ctrl-C stops sending and still prints the
replies that arrive during the cooldown."""
import sys

import icmpring

s = icmpring.sweep(sys.argv[1:] or ['198.18.0.0/24'], rate=0, cooldown=1)
for r in s:
    if r.is_echo:
        print(f'{r.address} {r.rtt:.3f} ms')
print(f"{s.stats['hits']} of {s.stats['targets']} alive"
      + (' (interrupted)' if s.interrupted else ''), file=sys.stderr)
