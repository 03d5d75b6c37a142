"""icmpring - icmplib 3.0's API on icmpring's io_uring engine.

A drop-in for icmplib: `import icmpring as icmplib` and the same calls
(ping, multiping, traceroute, resolve, async_ping, async_multiping,
async_resolve, ICMPv4Socket, ICMPv6Socket, ICMPRequest, ICMPReply, Host,
Hop, is_hostname, is_ipv4_address, is_ipv6_address and the exception
classes) return the same types and raise the same exceptions.  Beyond
icmplib: sweep(), a generator of results over address ranges.

Pure Python over libicmpring.so.0 (ctypes): the library is found through
the loader's path, or $ICMPRING_LIBRARY for an uninstalled build.
"""
from .exceptions import *  # noqa: F401,F403
from .exceptions import __all__ as _exc_all
from .models import ICMPRequest, ICMPReply, Host, Hop
from .sockets import ICMPv4Socket, ICMPv6Socket, AsyncSocket
from .functions import ping, multiping, traceroute, async_ping, async_multiping
from .utils import PID, is_hostname, is_ipv4_address, is_ipv6_address, resolve, async_resolve
from .sweep import sweep, Sweep, SweepResult

__version__ = '0.1.0'

__all__ = ['ping', 'multiping', 'traceroute', 'resolve', 'async_ping', 'async_multiping',
           'async_resolve', 'Host', 'Hop', 'ICMPv4Socket', 'ICMPv6Socket', 'AsyncSocket',
           'ICMPRequest', 'ICMPReply', 'is_hostname', 'is_ipv4_address', 'is_ipv6_address',
           'PID', 'sweep', 'Sweep', 'SweepResult'] + _exc_all


def library_version():
    """The version of the libicmpring loaded (icr_version)."""
    from . import _lib
    return _lib.lib().icr_version().decode()
