"""models.py - owns ICMPRequest, ICMPReply, Host and Hop: icmplib 3.0's
result objects with the same constructors, properties, repr/str and
formulas (pure Python, so a Host built by hand computes what icmplib's does;
tests/python/test_models.py checks them against the C library's
icr_host_stats too).
"""
from .exceptions import (ICMPError, ICMPv4DestinationUnreachable, ICMPv4TimeExceeded,
                         ICMPv6DestinationUnreachable, ICMPv6TimeExceeded)

__all__ = ['ICMPRequest', 'ICMPReply', 'Host', 'Hop']

_PAYLOAD_ALPHABET = b'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ1234567890'


def random_byte_message(size):
    """size random letters and digits (icmplib's default payload)."""
    import random
    return bytes(random.choices(_PAYLOAD_ALPHABET, k=size))


class ICMPRequest:
    """An Echo Request to send with ICMPv4Socket/ICMPv6Socket.send()."""
    __slots__ = ('_destination', '_id', '_sequence', '_payload', '_payload_size', '_ttl',
                 '_traffic_class', '_time')

    def __init__(self, destination, id, sequence, payload=None, payload_size=56, ttl=64,
                 traffic_class=0):
        self._destination = destination
        self._id = id & 0xffff
        self._sequence = sequence & 0xffff
        self._payload = payload
        self._payload_size = len(payload) if payload else payload_size
        self._ttl = ttl
        self._traffic_class = traffic_class
        self._time = 0

    def __repr__(self):
        return f'<ICMPRequest [{self._destination}]>'

    destination = property(lambda self: self._destination)
    id = property(lambda self: self._id)
    sequence = property(lambda self: self._sequence)
    payload_size = property(lambda self: self._payload_size)
    ttl = property(lambda self: self._ttl)
    traffic_class = property(lambda self: self._traffic_class)
    time = property(lambda self: self._time, doc='send time (epoch seconds), 0 before send')

    @property
    def payload(self):
        """The payload given, or a fresh random one of payload_size bytes."""
        return self._payload or random_byte_message(self._payload_size)


class ICMPReply:
    """A reply read by ICMPv4Socket/ICMPv6Socket.receive()."""
    __slots__ = ('_source', '_family', '_id', '_sequence', '_type', '_code',
                 '_bytes_received', '_time')

    def __init__(self, source, family, id, sequence, type, code, bytes_received, time):
        self._source = source
        self._family = family
        self._id = id
        self._sequence = sequence
        self._type = type
        self._code = code
        self._bytes_received = bytes_received
        self._time = time

    def __repr__(self):
        return f'<ICMPReply [{self._source}]>'

    source = property(lambda self: self._source)
    family = property(lambda self: self._family)
    id = property(lambda self: self._id)
    sequence = property(lambda self: self._sequence)
    type = property(lambda self: self._type)
    code = property(lambda self: self._code)
    bytes_received = property(lambda self: self._bytes_received)
    time = property(lambda self: self._time)

    def raise_for_status(self):
        """Nothing for an Echo Reply; otherwise raise the ICMPError subclass
        for the type (Destination Unreachable, Time Exceeded) or ICMPError
        itself ('Error type: T, code: C')."""
        v6 = self._family == 6
        table = {1: ICMPv6DestinationUnreachable, 3: ICMPv6TimeExceeded} if v6 else \
            {3: ICMPv4DestinationUnreachable, 11: ICMPv4TimeExceeded}
        if self._type in table:
            raise table[self._type](self)
        if self._type != (129 if v6 else 0):
            raise ICMPError(f'Error type: {self._type}, code: {self._code}', self)


class Host:
    """A pinged host: its address, packets sent and RTTs (ms); everything
    else is derived, rounded with Python's round() as icmplib does."""
    __slots__ = ('_address', '_packets_sent', '_rtts')

    def __init__(self, address, packets_sent, rtts):
        self._address = address
        self._packets_sent = packets_sent
        self._rtts = rtts

    def __repr__(self):
        return f'<Host [{self._address}]>'

    def __str__(self):
        rule = '-' * 60
        return (f'  {self._address}\n{rule}\n'
                f'  Packets sent:     {self._packets_sent}\n'
                f'  Packets received: {self.packets_received}\n'
                f'  Packet loss:      {self.packet_loss * 100}%\n'
                f'  Round-trip times: {self.min_rtt} ms / {self.avg_rtt} ms / '
                f'{self.max_rtt} ms\n'
                f'  Jitter:           {self.jitter} ms\n{rule}')

    address = property(lambda self: self._address)
    rtts = property(lambda self: self._rtts)
    packets_sent = property(lambda self: self._packets_sent)

    @property
    def packets_received(self):
        return len(self._rtts)

    @property
    def min_rtt(self):
        return round(min(self._rtts), 3) if self._rtts else 0.0

    @property
    def avg_rtt(self):
        return round(sum(self._rtts) / len(self._rtts), 3) if self._rtts else 0.0

    @property
    def max_rtt(self):
        return round(max(self._rtts), 3) if self._rtts else 0.0

    @property
    def packet_loss(self):
        """Lost fraction 0..1, round(.., 2); 0.0 when nothing was sent."""
        if not self._packets_sent:
            return 0.0
        return round(1 - len(self._rtts) / self._packets_sent, 2)

    @property
    def jitter(self):
        """Mean absolute difference of consecutive RTTs, round(.., 3);
        0.0 below two RTTs.  The differences are summed left to right from
        0.0, as icmplib does, so that the float result is the same."""
        r = self._rtts
        if len(r) < 2:
            return 0.0
        total = 0.0
        for a, b in zip(r, r[1:]):
            total += abs(a - b)
        return round(total / (len(r) - 1), 3)

    @property
    def is_alive(self):
        return len(self._rtts) > 0


class Hop(Host):
    """A Host at a distance (TTL) on a route, from traceroute()."""
    __slots__ = ('_distance',)

    def __init__(self, address, packets_sent, rtts, distance):
        super().__init__(address, packets_sent, rtts)
        self._distance = distance

    def __repr__(self):
        return f'<Hop {self._distance} [{self._address}]>'

    def __str__(self):
        return f'  #{self._distance:<2} ' + super().__str__()[2:]

    distance = property(lambda self: self._distance)
