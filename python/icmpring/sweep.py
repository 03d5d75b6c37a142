"""sweep.py - owns sweep(): the engine's sweep of address ranges as a
generator of results (beyond icmplib, whose users asked for streaming).

    for r in icmpring.sweep('198.18.0.0/16', rate=0):
        print(r.address, r.rtt)

Ctrl-C ends it cleanly: the first SIGINT stops sending, the replies that
arrive during the cooldown are still yielded, then the loop ends normally
with `interrupted` set on the Sweep (a second Ctrl-C also cuts the cooldown
short).  This works by a SIGINT handler of its own while the generator
runs in the main thread with Python's default handler in place; elsewhere
a KeyboardInterrupt raised inside the loop does the same.
"""
import collections
import ctypes
import signal
import threading

from . import _lib
from ._jobs import SLICE_NS
from .utils import check, family_of

__all__ = ['sweep', 'Sweep', 'SweepResult']

SweepResult = collections.namedtuple('SweepResult', [
    'address',         # the probed address (str)
    'responder',       # who answered: the address, or the router of an ICMP error
    'is_echo',         # True: an Echo Reply; False: an ICMP error message about a probe
    'type', 'code',    # ICMP type and code of the reply
    'rtt',             # round-trip time in ms (float), None if unknown
    'ttl',             # the reply's TTL / hop limit, None if unknown
    'probe',           # which probe of the address (0 .. count-1)
    'index',           # the address's index in the target set
    'duplicate',       # a repeat (all_replies=True only)
    'bytes_received',  # bytes of the ICMP message
])


class Sweep:
    """An iterable sweep; see sweep()."""

    def __init__(self, targets, exclude, rate, count, interval, cooldown, seed, shards,
                 shard, ttl, traffic_class, payload_size, privileged, all_replies, family,
                 source):
        lib = _lib.lib()
        self.interrupted = False
        self.stats = None
        self._results = collections.deque()
        self._handle = None
        t = ctypes.c_void_p()
        check(lib.icr_targets_new(ctypes.byref(t)))
        self._targets = t
        if isinstance(targets, str):
            targets = [targets]
        if isinstance(exclude, str):
            exclude = [exclude]
        af = family_of(family)
        tflags = {_lib.AF_INET: 1 << 1, _lib.AF_INET6: 1 << 2}.get(af, 0)
        for spec in targets:
            check(lib.icr_targets_add(t, spec.encode(), tflags), name=spec)
        for spec in exclude or ():
            check(lib.icr_targets_exclude(t, spec.encode(), tflags), name=spec)
        self._cb = _lib.RESULT_CB(self._on_result)
        priv = {True: _lib.ICR_PRIVILEGED, False: _lib.ICR_UNPRIVILEGED,
                None: _lib.ICR_PRIV_AUTO}[privileged]
        opts = _lib._new(_lib.icr_sweep_opts, rate=rate, count=count, interval=float(interval),
                         cooldown=float(cooldown), seed=seed, shards=shards, shard=shard,
                         ttl=ttl, traffic_class=traffic_class, payload_size=payload_size,
                         privilege=priv, flags=_lib.ICR_SWEEP_ALL_REPLIES if all_replies else 0,
                         batch=128, on_result=self._cb, senders=0)
        for s in ([source] if isinstance(source, str) else source or []):
            a = _lib.addr_parse(s)
            if a is None:
                check(_lib.EINVAL)
            if a.family == _lib.AF_INET:
                opts.source4 = a
            else:
                opts.source6 = a
        h = ctypes.c_void_p()
        check(lib.icr_sweep_new(t, ctypes.byref(opts), ctypes.byref(h)),
              address=source, privileged=privileged is not False)
        self._handle = h

    def _on_result(self, rp, userdata):
        r = rp.contents
        self._results.append(SweepResult(
            _lib.addr_str(r.target), _lib.addr_str(r.responder), r.kind == 0, r.type, r.code,
            r.rtt_ns / 1e6 if r.rtt_ns >= 0 else None, r.ttl if r.ttl >= 0 else None,
            r.probe, r.index, r.duplicate, r.bytes_received))

    def stop(self):
        """Stop sending (a second call also ends the cooldown).  Safe from
        a signal handler or another thread."""
        if self._handle:
            _lib.lib().icr_sweep_stop(self._handle)

    def _interrupt(self, signum=None, frame=None):
        self.interrupted = True
        self.stop()

    def _read_stats(self):
        st = _lib._new(_lib.icr_sweep_stats)
        if self._handle and _lib.lib().icr_sweep_get_stats(self._handle, ctypes.byref(st)) == 0:
            self.stats = {k: getattr(st, k) for k, _ in st._fields_ if k != 'size'}

    def __iter__(self):
        lib = _lib.lib()
        old = None
        if (threading.current_thread() is threading.main_thread() and
                signal.getsignal(signal.SIGINT) is signal.default_int_handler):
            old = signal.signal(signal.SIGINT, self._interrupt)
        try:
            while self._handle:
                try:
                    wait = min(max(0, lib.icr_sweep_get_timeout_ns(self._handle)), SLICE_NS)
                    r = lib.icr_sweep_step(self._handle, wait)
                    while self._results:
                        yield self._results.popleft()
                except KeyboardInterrupt:
                    self._interrupt()
                    continue
                if r != 1:
                    self._read_stats()
                    if r not in (0, _lib.ESTOPPED, _lib.EIFDOWN):
                        check(r)
                    break
            while self._results:
                yield self._results.popleft()
        finally:
            if old is not None:
                signal.signal(signal.SIGINT, old)
            self.close()

    def close(self):
        """Free the sweep (what was not yet yielded is dropped)."""
        lib = _lib.lib()
        if self._handle:
            if self.stats is None:
                self._read_stats()
            lib.icr_sweep_free(self._handle)
            self._handle = None
        if self._targets:
            lib.icr_targets_free(self._targets)
            self._targets = None

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


def sweep(targets, exclude=(), rate=10000, count=1, interval=1.0, cooldown=2.0, seed=0,
          shards=1, shard=0, ttl=64, traffic_class=0, payload_size=56, privileged=None,
          all_replies=False, family=None, source=None):
    """Probe every address of targets (one entry or a list: addresses,
    CIDRs, FIRST-LAST ranges, host names) minus exclude, at `rate` probes
    per second (0 = as fast as possible), `count` probes per address
    `interval` s apart, then wait `cooldown` s for late replies.  Returns a
    Sweep: iterate it for SweepResult tuples as replies arrive; afterwards
    its `stats` dict holds the engine's counters and `interrupted` whether
    Ctrl-C (or stop()) ended it.  privileged: None tries a raw socket, then
    a datagram one.  Raises NameLookupError, SocketPermissionError,
    InvalidArgumentError (a malformed entry, a bad option)."""
    return Sweep(targets, exclude, rate, count, interval, cooldown, seed, shards, shard, ttl,
                 traffic_class, payload_size, privileged, all_replies, family, source)
