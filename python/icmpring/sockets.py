"""sockets.py - owns ICMPv4Socket, ICMPv6Socket and AsyncSocket: icmplib's
classic one-request-at-a-time sockets, on the C library's icr_socket.

Where icmpring differs from icmplib (on purpose):
 - receive() matches an Echo Reply by id, sequence *and* source address
   (any source when broadcast is on), and an ICMP error by the request it
   quotes; icmplib matches id and sequence only.
 - ICMPReply.time is the kernel's receive timestamp, ICMPRequest.time the
   send time taken just before sendmsg, both in epoch seconds.
 - `sock` is a socket.socket over a duplicate of the descriptor (for
   select/poll), not the object that sends.
"""
import ctypes
import socket
import time

from . import _lib
from .exceptions import SocketUnavailableError, TimeoutExceeded
from .models import ICMPReply
from .utils import check, to_addr

__all__ = ['ICMPv4Socket', 'ICMPv6Socket', 'AsyncSocket']


class ICMPSocket:
    """Base class of ICMPv4Socket and ICMPv6Socket."""
    _FAMILY = None
    _IP_VERSION = None

    def __init__(self, address=None, privileged=True):
        self._handle = None
        self._address = address
        self._privileged = bool(privileged)
        self._blocking = True
        self._pysock = None
        opts = _lib._new(_lib.icr_socket_opts, family=self._FAMILY,
                         source=address.encode() if address else None,
                         privilege=_lib.ICR_PRIVILEGED if privileged else _lib.ICR_UNPRIVILEGED)
        h = ctypes.c_void_p()
        check(_lib.lib().icr_socket_open(ctypes.byref(opts), ctypes.byref(h)),
              address=address, privileged=self._privileged)
        self._handle = h

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown: the library may be gone
            pass

    def _h(self):
        if self._handle is None:
            raise SocketUnavailableError()
        return self._handle

    def send(self, request):
        """Send request (an ICMPRequest) and set request.time (and its id,
        on an unprivileged socket, to the kernel's).  Raises
        SocketBroadcastError, SocketUnavailableError, ICMPSocketError."""
        h = self._h()
        dst = _lib.addr_parse(request.destination)
        if dst is None:
            dst = to_addr(request.destination, self._IP_VERSION)
        payload = request._payload
        buf = ctypes.create_string_buffer(bytes(payload), len(payload)) if payload else None
        req = _lib._new(_lib.icr_request, destination=dst, id=request.id,
                        sequence=request.sequence,
                        payload=ctypes.cast(buf, ctypes.c_void_p) if buf else None,
                        payload_size=len(payload) if payload else request.payload_size,
                        ttl=request.ttl, traffic_class=request.traffic_class)
        check(_lib.lib().icr_socket_send(h, ctypes.byref(req)))
        request._time = req.time_ns / 1e9
        request._id = req.id
        return None

    def _request_struct(self, request):
        if request is None:
            return None
        dst = _lib.addr_parse(request.destination) or to_addr(request.destination,
                                                              self._IP_VERSION)
        return _lib._new(_lib.icr_request, destination=dst, id=request.id,
                         sequence=request.sequence, payload_size=request.payload_size,
                         ttl=request.ttl, traffic_class=request.traffic_class)

    def _receive_once(self, req, timeout):
        rep = _lib._new(_lib.icr_reply)
        r = _lib.lib().icr_socket_receive(self._h(), ctypes.byref(req) if req else None,
                                          float(timeout), ctypes.byref(rep))
        return r, rep

    def _reply(self, rep):
        return ICMPReply(source=_lib.addr_str(rep.source),
                         family=6 if rep.family == _lib.AF_INET6 else 4,
                         id=rep.id, sequence=rep.sequence, type=rep.type, code=rep.code,
                         bytes_received=rep.bytes_received, time=rep.time_ns / 1e9)

    def receive(self, request=None, timeout=2):
        """The next reply to request (any reply with None), waiting up to
        timeout seconds.  An ICMP error message is returned, not raised:
        call raise_for_status().  Raises TimeoutExceeded,
        SocketUnavailableError, ICMPSocketError."""
        self._h()
        req = self._request_struct(request)
        deadline = time.monotonic() + timeout
        while True:
            left = max(0.0, deadline - time.monotonic())
            r, rep = self._receive_once(req, left)
            if r == -4:  # -EINTR: a signal; Python runs its handler now
                continue
            if r == _lib.ETIMEOUT:
                raise TimeoutExceeded(timeout)
            check(r, timeout=timeout)
            return self._reply(rep)

    def close(self):
        """Close the socket; it cannot be used afterwards."""
        if self._handle is not None:
            _lib.lib().icr_socket_free(self._handle)
            self._handle = None
        if self._pysock is not None:
            self._pysock.close()
            self._pysock = None

    def fileno(self):
        return _lib.lib().icr_socket_fd(self._h())

    @property
    def sock(self):
        """A socket.socket over a duplicate of the descriptor, None once
        closed."""
        if self._handle is None:
            return None
        if self._pysock is None:
            self._pysock = socket.socket(fileno=_dup(self.fileno()))
        return self._pysock

    @property
    def blocking(self):
        """Kept for icmplib's AsyncSocket; receive() always takes a timeout."""
        return self._blocking

    @blocking.setter
    def blocking(self, enable):
        self._blocking = bool(enable)

    @property
    def address(self):
        return self._address

    @property
    def is_privileged(self):
        return self._privileged

    @property
    def is_closed(self):
        return self._handle is None


def _dup(fd):
    import os
    return os.dup(fd)


class ICMPv4Socket(ICMPSocket):
    """ICMPv4Socket(address=None, privileged=True): an ICMP socket for
    IPv4.  Raises SocketPermissionError, SocketAddressError, ICMPSocketError."""
    _FAMILY = socket.AF_INET
    _IP_VERSION = 4

    @property
    def broadcast(self):
        """Whether broadcast destinations are allowed (False by default)."""
        return bool(check(_lib.lib().icr_socket_get_broadcast(self._h())))

    @broadcast.setter
    def broadcast(self, enable):
        check(_lib.lib().icr_socket_set_broadcast(self._h(), bool(enable)))


class ICMPv6Socket(ICMPSocket):
    """ICMPv6Socket(address=None, privileged=True): an ICMP socket for IPv6."""
    _FAMILY = socket.AF_INET6
    _IP_VERSION = 6


class AsyncSocket:
    """Wraps an ICMPv4Socket/ICMPv6Socket so that receive() is a coroutine
    that waits on the running loop (loop.add_reader), as icmplib's does.
    Other attributes are the wrapped socket's."""
    __slots__ = ('_icmp_sock',)

    def __init__(self, icmp_sock):
        self._icmp_sock = icmp_sock
        self._icmp_sock.blocking = False

    def __getattr__(self, name):
        if not self._icmp_sock:
            raise SocketUnavailableError()
        return getattr(self._icmp_sock, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    async def receive(self, request=None, timeout=2):
        """As ICMPSocket.receive, without blocking the loop."""
        s = self._icmp_sock
        if not s or s.is_closed:
            raise SocketUnavailableError()
        import asyncio  # here: importing it costs every program ~30 ms
        loop = asyncio.get_running_loop()
        req = s._request_struct(request)
        fd = s.fileno()
        deadline = loop.time() + timeout
        while True:
            left = deadline - loop.time()
            if left <= 0:
                raise TimeoutExceeded(timeout)
            ready = loop.create_future()
            loop.add_reader(fd, lambda: ready.done() or ready.set_result(None))
            try:
                await asyncio.wait_for(ready, left)
            except asyncio.TimeoutError:
                raise TimeoutExceeded(timeout) from None
            finally:
                loop.remove_reader(fd)
            # Readable: one short wait reads what is there (a packet that is
            # not the reply costs at most this long on the loop's thread).
            r, rep = s._receive_once(req, 0.0005)
            if r in (_lib.ETIMEOUT, -4):
                continue
            check(r, timeout=timeout)
            return s._reply(rep)

    def detach(self):
        """Hand back the wrapped socket; the wrapper is unusable afterwards."""
        sock, self._icmp_sock = self._icmp_sock, None
        return sock

    def close(self):
        if self._icmp_sock:
            self.detach().close()

    @property
    def is_closed(self):
        return self._icmp_sock is None


