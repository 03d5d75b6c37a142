#!/usr/bin/python3
"""verbose_ping.py [ADDRESS [COUNT [INTERVAL [TIMEOUT]]]] - a ping(8)-like
loop on ICMPv4Socket/ICMPv6Socket with ICMPRequest, ICMPReply and
raise_for_status (the calls of icmplib's examples/verbose_ping.py)."""
import sys
import time

import icmpring as icmplib


def verbose_ping(address, count=4, interval=1.0, timeout=2.0, ident=icmplib.PID):
    print(f'PING {address}: 56 data bytes\n')
    sock = icmplib.ICMPv6Socket() if icmplib.is_ipv6_address(address) else icmplib.ICMPv4Socket()
    for seq in range(count):
        request = icmplib.ICMPRequest(destination=address, id=ident, sequence=seq)
        try:
            sock.send(request)
            reply = sock.receive(request, timeout)
            print(f'  {reply.bytes_received} bytes from {reply.source}: ', end='')
            reply.raise_for_status()
            rtt = (reply.time - request.time) * 1000
            print(f'icmp_seq={seq} time={round(rtt, 3)} ms')
            if seq < count - 1:
                time.sleep(interval)
        except icmplib.TimeoutExceeded:
            print(f'  Request timeout for icmp_seq {seq}')
        except icmplib.ICMPError as err:
            print(err)
        except icmplib.ICMPLibError:
            print('  An error has occurred.')
    print('\nCompleted.')


args = sys.argv[1:]
verbose_ping(args[0] if args else '198.18.0.7', *(f(a) for f, a in zip((int, float, float),
                                                                          args[1:])))
