"""exceptions.py - owns icmpring's exception classes: icmplib 3.0's
hierarchy, constructor arguments, messages and properties, so that code
written against icmplib catches the same classes and reads the same text.
Pure Python: importable without the C library.

ICMPLibError
 +-- NameLookupError(name)
 +-- ICMPSocketError(message)
 |    +-- SocketAddressError(address)
 |    +-- SocketPermissionError(privileged)
 |    +-- SocketUnavailableError()
 |    +-- SocketBroadcastError()
 |    +-- TimeoutExceeded(timeout)
 |    +-- InvalidArgumentError(message)       (icmpring only; also a ValueError)
 +-- ICMPError(message, reply)                .reply
      +-- DestinationUnreachable(reply)       .reply .code .message
      |    +-- ICMPv4DestinationUnreachable / ICMPv6DestinationUnreachable
      +-- TimeExceeded(reply)
           +-- ICMPv4TimeExceeded / ICMPv6TimeExceeded
"""

__all__ = ['ICMPLibError', 'NameLookupError', 'ICMPSocketError', 'SocketAddressError',
           'SocketPermissionError', 'SocketUnavailableError', 'SocketBroadcastError',
           'TimeoutExceeded', 'ICMPError', 'DestinationUnreachable',
           'ICMPv4DestinationUnreachable', 'ICMPv6DestinationUnreachable', 'TimeExceeded',
           'ICMPv4TimeExceeded', 'ICMPv6TimeExceeded', 'InvalidArgumentError']


class ICMPLibError(Exception):
    """The root of every exception this package raises."""

    @property
    def message(self):
        """The exception's text (str(err))."""
        return str(self)


class NameLookupError(ICMPLibError):
    """A host name or FQDN does not resolve."""

    def __init__(self, name):
        self.name = name
        super().__init__(f"The name '{name}' cannot be resolved")


class ICMPSocketError(ICMPLibError):
    """A socket-level failure; the subclasses name the known ones."""


class SocketAddressError(ICMPSocketError):
    """The source address cannot be bound."""

    def __init__(self, address):
        self.address = address
        super().__init__(f'The requested address ({address}) cannot be assigned to the socket')


class SocketPermissionError(ICMPSocketError):
    """Not allowed to open the ICMP socket (raw: CAP_NET_RAW; datagram:
    net.ipv4.ping_group_range)."""

    def __init__(self, privileged):
        self.privileged = privileged
        if privileged:
            text = 'Root privileges are required to create the socket'
        else:
            text = ('A prior configuration of your OS is required to use ICMP sockets '
                    'without root privileges. Read more on '
                    'https://github.com/ValentinBELYN/icmplib')
        super().__init__(text)


class SocketUnavailableError(ICMPSocketError):
    """The socket was closed."""

    def __init__(self):
        super().__init__('The socket can no longer be used after its closure')


class SocketBroadcastError(ICMPSocketError):
    """A broadcast destination while the socket's broadcast is off."""

    def __init__(self):
        super().__init__("Broadcast is not allowed: please use the 'broadcast' "
                         "property to allow it")


class TimeoutExceeded(ICMPSocketError):
    """Nothing came back in time."""

    def __init__(self, timeout):
        self.timeout = timeout
        super().__init__(f'The timeout has been reached ({timeout}s)')


class InvalidArgumentError(ICMPSocketError, ValueError):
    """icmpring only: the C library refused an argument (ICR_EINVAL).  Both
    `except ICMPLibError` and `except ValueError` catch it; icmplib has no
    such check and fails later, as an ICMPSocketError from the socket."""


class ICMPError(ICMPLibError):
    """An ICMP error message came back; `reply` is the ICMPReply."""

    def __init__(self, message, reply):
        super().__init__(message)
        self._reply = reply

    @property
    def reply(self):
        return self._reply

    @property
    def code(self):
        """The ICMP code of the reply (None without a reply)."""
        return getattr(self._reply, 'code', None)


class DestinationUnreachable(ICMPError):
    """ICMP Destination Unreachable; the message comes from the code."""
    _CODES = {}

    def __init__(self, reply):
        text = self._CODES.get(reply.code, f'Destination unreachable, bad code: {reply.code}')
        super().__init__(text, reply)


# The sentences are icmplib's, misspellings included ("prohibed"): programs
# compare them.
class ICMPv4DestinationUnreachable(DestinationUnreachable):
    _CODES = dict(enumerate([
        'Destination network unreachable', 'Destination host unreachable',
        'Destination protocol unreachable', 'Destination port unreachable',
        'Fragmentation needed and DF set', 'Source route failed',
        'Destination network unknown', 'Destination host unknown', 'Source host isolated',
        'Destination network prohibed', 'Destination host prohibed',
        'Destination network unreachable for ToS', 'Destination host unreachable for ToS',
        'Packet filtered', 'Precedence violation', 'Precedence cutoff']))


class ICMPv6DestinationUnreachable(DestinationUnreachable):
    _CODES = dict(enumerate([
        'No route to destination',
        'Communication with destination administratively prohibited',
        'Beyond scope of source address', 'Address unreachable', 'Port unreachable',
        'Source address failed ingress/egress policy', 'Reject route to destination']))


class TimeExceeded(ICMPError):
    """ICMP Time Exceeded; the message comes from the code."""
    _CODES = {}

    def __init__(self, reply):
        text = self._CODES.get(reply.code, f'Time exceeded, bad code: {reply.code}')
        super().__init__(text, reply)


class ICMPv4TimeExceeded(TimeExceeded):
    _CODES = {0: 'Time to live exceeded', 1: 'Fragment reassembly time exceeded'}


class ICMPv6TimeExceeded(TimeExceeded):
    _CODES = {0: 'Hop limit exceeded', 1: 'Fragment reassembly time exceeded'}
