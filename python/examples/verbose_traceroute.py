#!/usr/bin/python3
"""verbose_traceroute.py [ADDRESS [MAX_HOPS]] - a traceroute(8)-like loop
on ICMPv4Socket/ICMPv6Socket, TTL by TTL, catching TimeExceeded (the calls
of icmplib's examples/verbose_traceroute.py)."""
import socket
import sys
import time

import icmpring as icmplib


def verbose_traceroute(address, count=2, interval=0.05, timeout=2.0, ident=icmplib.PID,
                       max_hops=30):
    ip = icmplib.resolve(address)[0] if icmplib.is_hostname(address) else address
    print(f'Traceroute to {address} ({ip}): 56 data bytes, {max_hops} hops max\n')
    sock = icmplib.ICMPv6Socket() if icmplib.is_ipv6_address(ip) else icmplib.ICMPv4Socket()
    ttl, reached = 1, False
    while not reached and ttl <= max_hops:
        for seq in range(count):
            request = icmplib.ICMPRequest(destination=ip, id=ident, sequence=seq, ttl=ttl)
            try:
                sock.send(request)
                reply = sock.receive(request, timeout)
                name = socket.getfqdn(reply.source)
                print(f'  {ttl:<2}    {reply.source:15}    {name:40}    ', end='')
                reply.raise_for_status()
                print(round((reply.time - request.time) * 1000, 2), 'ms')
                reached = True
                break
            except icmplib.TimeExceeded as err:
                reply = err.reply
                print(round((reply.time - request.time) * 1000, 2), 'ms')
                time.sleep(interval)
                break
            except icmplib.TimeoutExceeded:
                if seq >= count - 1:
                    print(f'  {ttl:<2}    * * *')
            except icmplib.ICMPLibError:
                pass
        ttl += 1
    print('\nCompleted.')


verbose_traceroute(sys.argv[1] if len(sys.argv) > 1 else '198.19.0.1', timeout=1,
                   max_hops=int(sys.argv[2]) if len(sys.argv) > 2 else 30)
