#!/usr/bin/python3
"""broadcast_ping.py [ADDRESS [COUNT [TIMEOUT]]] - Echo Requests to a
broadcast address on an ICMPv4Socket with `broadcast = True`, every reply
collected until TimeoutExceeded (the calls of icmplib's
examples/broadcast_ping.py)."""
import sys

import icmpring as icmplib


def broadcast_ping(address, count=4, timeout=1.0, ident=icmplib.PID):
    print(f'PING {address}: 56 data bytes\n')
    sock = icmplib.ICMPv4Socket()
    sock.broadcast = True
    for seq in range(count):
        request = icmplib.ICMPRequest(destination=address, id=ident, sequence=seq)
        try:
            sock.send(request)
            while True:
                reply = sock.receive(request, timeout)
                rtt = (reply.time - request.time) * 1000
                print(f'  {reply.bytes_received} bytes from {reply.source}: '
                      f'icmp_seq={seq} time={round(rtt, 3)} ms')
        except icmplib.TimeoutExceeded:
            pass
        except icmplib.ICMPLibError:
            print('  An error has occurred.')
    print('\nCompleted.')


args = sys.argv[1:]
broadcast_ping(args[0] if args else '192.0.2.255',
               *(f(a) for f, a in zip((int, float), args[1:])))
