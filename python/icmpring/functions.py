"""functions.py - owns icmplib's high-level functions on the engine:
ping, multiping, traceroute (blocking) and async_ping, async_multiping
(on the running asyncio loop, see _async.py).

Where icmpring differs from icmplib (on purpose):
 - ping() and multiping() run one engine job: probes leave on schedule
   (every `interval`) whether or not the previous reply is back, as
   ping(8) does, and every host is probed at once; icmplib waits for each
   reply (up to `timeout`) before the next request of a host and runs at
   most `concurrent_tasks` hosts at a time.  `concurrent_tasks` and `id`
   are accepted and ignored: the engine matches replies with a keyed MAC
   in id/sequence/payload, not with one identifier per task.
 - The engine's probes carry that MAC in their first 34 bytes, so the
   engine cannot send a caller's `payload` or fewer than 34 (more than
   1400) bytes: ping() and multiping() then go through ICMPv4Socket /
   ICMPv6Socket, one request at a time, as icmplib does.  traceroute()
   sends a `payload`'s size, not its bytes, and refuses sizes outside
   34-1400 (InvalidArgumentError).
 - Ctrl-C during a blocking call stops its job at once and raises
   KeyboardInterrupt, as icmplib's calls do.
 - traceroute() probes every TTL at once (one job) and stops at the
   destination's distance; the Hops it returns are icmplib's (answered
   distances only, RTTs of Time Exceeded replies included).
"""
import time

from . import _jobs
from .exceptions import ICMPLibError
from .models import Host, ICMPRequest
from .sockets import AsyncSocket, ICMPv4Socket, ICMPv6Socket
from .utils import (async_resolve, family_of, is_hostname, is_ipv6_address, resolve,
                    unique_identifier)

__all__ = ['ping', 'multiping', 'traceroute', 'async_ping', 'async_multiping']

_REQUEST_KWARGS = ('payload', 'payload_size', 'ttl', 'traffic_class')


def _kwargs(kwargs, allowed=_REQUEST_KWARGS):
    """icmplib passes **kwargs on to ICMPRequest; an unknown one is a
    TypeError there, and here."""
    for k in kwargs:
        if k not in allowed:
            raise TypeError(f"unexpected keyword argument '{k}'")
    return (kwargs.get('payload'), kwargs.get('payload_size', 56), kwargs.get('ttl', 64),
            kwargs.get('traffic_class', 0))


def _engine_can(payload, payload_size):
    return not payload and _jobs.MIN_PAYLOAD <= payload_size <= _jobs.MAX_PAYLOAD


def _literal(address, family):
    """address as a literal (the first address of a name), as icmplib."""
    if is_hostname(address):
        return resolve(address, family)[0]
    family_of(family)  # validates it
    return address


def _socket_class(address):
    return ICMPv6Socket if is_ipv6_address(address) else ICMPv4Socket


def _classic_ping(address, count, interval, timeout, source, privileged, payload,
                  payload_size, ttl, traffic_class, id):
    """One request at a time on an ICMP socket (icmplib's own way)."""
    ident = id or unique_identifier()
    sent, rtts = 0, []
    with _socket_class(address)(source, privileged) as sock:
        for seq in range(count):
            if seq:
                time.sleep(interval)
            req = ICMPRequest(address, ident, seq, payload=payload, payload_size=payload_size,
                              ttl=ttl, traffic_class=traffic_class)
            try:
                sock.send(req)
                sent += 1
                reply = sock.receive(req, timeout)
                reply.raise_for_status()
                rtts.append((reply.time - req.time) * 1000)
            except ICMPLibError:
                pass
    return Host(address, sent, rtts)


async def _classic_async_ping(address, count, interval, timeout, source, privileged,
                              payload, payload_size, ttl, traffic_class, id):
    import asyncio
    ident = id or unique_identifier()
    sent, rtts = 0, []
    with AsyncSocket(_socket_class(address)(source, privileged)) as sock:
        for seq in range(count):
            if seq:
                await asyncio.sleep(interval)
            req = ICMPRequest(address, ident, seq, payload=payload, payload_size=payload_size,
                              ttl=ttl, traffic_class=traffic_class)
            try:
                sock.send(req)
                sent += 1
                reply = await sock.receive(req, timeout)
                reply.raise_for_status()
                rtts.append((reply.time - req.time) * 1000)
            except ICMPLibError:
                pass
    return Host(address, sent, rtts)


def ping(address, count=4, interval=1, timeout=2, id=None, source=None, family=None,
         privileged=True, **kwargs):
    """Send `count` Echo Requests to address (literal, host name or FQDN),
    `interval` seconds apart, wait up to `timeout` seconds for the replies,
    and return a Host.  kwargs: payload, payload_size (56), ttl (64),
    traffic_class (0).  Raises NameLookupError, SocketPermissionError,
    SocketAddressError, ICMPSocketError."""
    payload, payload_size, ttl, tclass = _kwargs(kwargs)
    address = _literal(address, family)
    if count <= 0:
        return Host(address, 0, [])
    if not _engine_can(payload, payload_size):
        return _classic_ping(address, count, interval, timeout, source, privileged, payload,
                             payload_size, ttl, tclass, id)
    job = _jobs.Multiping([address], count=count, interval=interval,
                          timeout=timeout, source=source, privileged=privileged,
                          payload_size=payload_size, ttl=ttl, traffic_class=tclass)
    try:
        job.run()
        return job.collect()[0]
    finally:
        job.free()


def multiping(addresses, count=2, interval=0.5, timeout=2, concurrent_tasks=50, source=None,
              family=None, privileged=True, **kwargs):
    """ping() every address at once, in one engine job; returns a list of
    Host in the order of addresses.  Raises as ping()."""
    payload, payload_size, ttl, tclass = _kwargs(kwargs)
    family_of(family)
    names = [resolve(a, family)[0] if is_hostname(a) else a for a in addresses]
    if not names:
        return []
    if count <= 0:
        return [Host(a, 0, []) for a in names]
    if not _engine_can(payload, payload_size):
        import asyncio
        return asyncio.run(async_multiping(addresses, count, interval, timeout,
                                           concurrent_tasks, source, family, privileged,
                                           **kwargs))
    job = _jobs.Multiping(names, count=count,
                          interval=interval, timeout=timeout, source=source,
                          privileged=privileged, payload_size=payload_size, ttl=ttl,
                          traffic_class=tclass)
    try:
        job.run()
        return job.collect()
    finally:
        job.free()


def traceroute(address, count=2, interval=0.05, timeout=2, first_hop=1, max_hops=30,
               fast=False, id=None, source=None, family=None, **kwargs):
    """The route to address: a list of Hop sorted by distance, the
    distances that answered only.  kwargs: payload (its size is used),
    payload_size (56, 34-1400), traffic_class (0); `privileged` (icmpring
    only, default True).  Raises as ping()."""
    privileged = kwargs.pop('privileged', True)
    payload, payload_size, _, tclass = _kwargs(kwargs, ('payload', 'payload_size',
                                                        'traffic_class'))
    if payload:
        payload_size = len(payload)  # the engine's probes carry their own bytes
    address = _literal(address, family)
    if first_hop > max_hops or count <= 0:
        return []  # icmplib: no probe, so no hop (the job refuses count 0)
    job = _jobs.Trace(address, count=count, interval=interval, timeout=timeout,
                      first_hop=first_hop, max_hops=max_hops, fast=fast, source=source,
                      privileged=privileged, payload_size=payload_size, traffic_class=tclass)
    try:
        job.run()
        return job.hops or []
    finally:
        job.free()


def _key(count, interval, timeout, source, privileged, payload_size, ttl, tclass):
    """The options that must agree for two calls to share a job (with one
    probe per host the interval plays no part)."""
    return (count, 0.0 if count == 1 else float(interval), float(timeout), source,
            bool(privileged), payload_size, ttl, tclass)


async def async_ping(address, count=4, interval=1, timeout=2, id=None, source=None,
                     family=None, privileged=True, **kwargs):
    """ping() without blocking the running loop.  Calls made in the same
    loop iteration with the same options share one engine job (one set of
    sockets), driven by the loop (add_reader on its fd, a timer)."""
    payload, payload_size, ttl, tclass = _kwargs(kwargs)
    if is_hostname(address):
        address = (await async_resolve(address, family))[0]
    if count <= 0:
        return Host(address, 0, [])
    if not _engine_can(payload, payload_size):
        return await _classic_async_ping(address, count, interval, timeout, source,
                                         privileged, payload, payload_size, ttl, tclass, id)
    key = _key(count, interval, timeout, source, privileged, payload_size, ttl, tclass)
    from . import _async
    hosts = await _async.submit(key, [address])
    return hosts[0]


async def async_multiping(addresses, count=2, interval=0.5, timeout=2, concurrent_tasks=50,
                          source=None, family=None, privileged=True, **kwargs):
    """multiping() without blocking the running loop (see async_ping)."""
    payload, payload_size, ttl, tclass = _kwargs(kwargs)
    names = []
    for a in addresses:
        names.append((await async_resolve(a, family))[0] if is_hostname(a) else a)
    if not names:
        return []
    if count <= 0:
        return [Host(a, 0, []) for a in names]
    import asyncio
    if not _engine_can(payload, payload_size):
        sem = asyncio.Semaphore(max(1, concurrent_tasks))

        async def one(a):
            async with sem:
                return await _classic_async_ping(a, count, interval, timeout, source,
                                                 privileged, payload, payload_size, ttl,
                                                 tclass, None)
        return list(await asyncio.gather(*(one(a) for a in names)))
    key = _key(count, interval, timeout, source, privileged, payload_size, ttl, tclass)
    from . import _async
    return await _async.submit(key, names)


