"""utils.py - owns the address helpers (is_hostname, is_ipv4_address,
is_ipv6_address, resolve, async_resolve, PID) and the mapping of the C
library's error codes onto the exception classes (check()).
"""
import os
import re
import threading

from . import _lib
from .exceptions import (ICMPSocketError, InvalidArgumentError, NameLookupError,
                         SocketAddressError, SocketBroadcastError, SocketPermissionError,
                         SocketUnavailableError, TimeoutExceeded)

__all__ = ['PID', 'is_hostname', 'is_ipv4_address', 'is_ipv6_address', 'resolve',
           'async_resolve']

PID = os.getpid()

# icmplib's classifiers are loose patterns, and programs branch on them
# ("if is_hostname(a): a = resolve(a)[0]"), so these keep icmplib's answers
# (is_ipv4_address('999.1.1.1') is True, as there) instead of the C
# library's strict icr_is_* (which icmpring itself uses to parse).
_HOSTNAME = re.compile(r'(?:[A-Za-z0-9-]+|(?:[A-Za-z0-9_-]+\.)+[A-Za-z]+)\Z')
_IPV4 = re.compile(r'(?:[0-9]{1,3}\.){3}[0-9]{1,3}\Z')

def is_hostname(name):
    """Whether name looks like a host name or FQDN (icmplib's pattern)."""
    return _HOSTNAME.match(name) is not None

def is_ipv4_address(address):
    """Whether address looks like dotted-quad IPv4 (icmplib's pattern)."""
    return _IPV4.match(address) is not None

def is_ipv6_address(address):
    """Whether address looks like IPv6: it has a colon (icmplib's test)."""
    return ':' in address

_id_lock = threading.Lock()
_last_id = PID

def unique_identifier():
    """PID+1, PID+2, ... modulo 65536 (icmplib's request identifiers)."""
    global _last_id
    with _id_lock:
        _last_id = (_last_id + 1) & 0xffff
        return _last_id

def check(code, *, name=None, address=None, privileged=True, timeout=None):
    """Return code if it is >= 0, else raise the exception icmplib raises
    for that failure.  The keywords fill the exceptions' arguments."""
    if code >= 0:
        return code
    if code == _lib.ENAMELOOKUP:
        raise NameLookupError(name)
    if code == _lib.ESOCKADDR:
        raise SocketAddressError(address)
    if code == _lib.ESOCKPERM:
        raise SocketPermissionError(privileged)
    if code == _lib.ESOCKUNAVAIL:
        raise SocketUnavailableError()
    if code == _lib.ESOCKBROADCAST:
        raise SocketBroadcastError()
    if code == _lib.ETIMEOUT:
        raise TimeoutExceeded(timeout)
    if code == _lib.ENOMEM:
        raise MemoryError(_lib.strerror(code))
    if code == _lib.EINVAL:
        raise InvalidArgumentError(_lib.strerror(code))
    # ESOCKET, ESYSTEM, EIFDOWN, negative errnos: icmplib wraps every other
    # OSError of its socket in ICMPSocketError(str(err)).
    raise ICMPSocketError(_lib.strerror(code))

def family_of(family):
    """icmplib's family argument (None, 4, 6) as an address family."""
    if family is None:
        return _lib.AF_UNSPEC
    if family == 4:
        return _lib.AF_INET
    if family == 6:
        return _lib.AF_INET6
    raise InvalidArgumentError(f'family must be None, 4 or 6, not {family!r}')

def _resolve_one(name, af):
    lib = _lib.lib()
    size = 16
    while True:
        addrs = (_lib.icr_addr * size)()
        n = lib.icr_resolve(name.encode(), af, addrs, size)
        if n < 0:
            return n, []
        if n <= size:
            return n, [_lib.addr_str(addrs[i]) for i in range(n)]
        size = n

def resolve(name, family=None):
    """The addresses of name, a list of strings, as icmplib's resolve():
    family None looks up IPv4 first and IPv6 only when there is no IPv4
    address.  Raises NameLookupError.  (icmpring returns a literal address
    as it is and removes duplicates.)"""
    af = family_of(family)
    if af == _lib.AF_UNSPEC:
        code, out = _resolve_one(name, _lib.AF_INET)
        if code == _lib.ENAMELOOKUP:
            code, out = _resolve_one(name, _lib.AF_INET6)
    else:
        code, out = _resolve_one(name, af)
    check(code, name=name)
    return out

async def async_resolve(name, family=None):
    """resolve() without blocking the running loop: a literal address is
    answered at once; a name is looked up by getaddrinfo on the loop's
    default executor (as asyncio's loop.getaddrinfo, which icmplib uses)."""
    af = family_of(family)
    if _lib.addr_parse(name) is not None and af in (_lib.AF_UNSPEC,
                                                     _lib.addr_parse(name).family):
        return [_lib.addr_str(_lib.addr_parse(name))]
    import asyncio
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, resolve, name, family)

def to_addr(address, family=None):
    """An icr_addr for a literal address or host name (first address)."""
    a = _lib.addr_parse(address)
    if a is None:
        a = _lib.addr_parse(resolve(address, family)[0])
    return a

def rtt_list(ptr, n):
    return [ptr[i] for i in range(n)] if n else []

