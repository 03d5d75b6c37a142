"""_jobs.py - owns the engine jobs as Python objects: a multiping job
(ping, multiping and the async batcher stand on it), a traceroute job,
and how a blocking caller drives one (step in slices, so that Ctrl-C is
seen within 50 ms and stops the job before KeyboardInterrupt goes on).
"""
import ctypes
import signal
import threading

from . import _lib
from .models import Host, Hop
from .utils import check, to_addr

# Longest single wait inside the C library while a blocking call runs:
# Python runs signal handlers only between two calls into C.
SLICE_NS = 50_000_000

# How many engine jobs this process created (tests count them).
jobs_created = 0

MIN_PAYLOAD, MAX_PAYLOAD = 34, 1400


def host_from_c(h, address=None, timeout=None):
    """A Host from a struct icr_host (copied: the C memory may go away).
    With `timeout` (seconds), RTTs above it are dropped: icmplib waits
    `timeout` for each request's reply, whereas the job counts a late reply
    to any probe but the last (it waits `timeout` after the last probe only)."""
    n = h.packets_received
    rtts = h.rtts[:n] if n else []
    if timeout is not None:
        limit = timeout * 1000
        rtts = [r for r in rtts if r <= limit]
    return Host(address or _lib.addr_str(h.address), h.packets_sent, rtts)


def hop_from_c(hop, timeout=None):
    """A Hop from a struct icr_hop; with `timeout`, None when every RTT is
    above it (icmplib records no hop for a distance whose probes all timed
    out), otherwise the RTTs within it (as host_from_c)."""
    h = hop.host
    n = h.packets_received
    rtts = h.rtts[:n] if n else []
    if timeout is not None:
        limit = timeout * 1000
        kept = [r for r in rtts if r <= limit]
        if rtts and not kept:
            return None
        rtts = kept
    return Hop(_lib.addr_str(h.address), h.packets_sent, rtts, hop.distance)


def _is_done(code):
    return code in (0, _lib.ESTOPPED, _lib.EIFDOWN)


class Job:
    """The step/fd/timeout/stop protocol shared by the job kinds."""
    _step = _fd = _timeout = _stop = _free = None

    def __init__(self):
        self.handle = None
        self.finished = False

    def step(self, timeout_ns=0):
        r = getattr(_lib.lib(), self._step)(self.handle, int(timeout_ns))
        if r != 1:
            self.finished = True
            if not _is_done(r):
                check(r)
        return r

    def fd(self):
        return check(getattr(_lib.lib(), self._fd)(self.handle))

    def timeout_ns(self):
        return max(0, getattr(_lib.lib(), self._timeout)(self.handle))

    def stop(self):
        if self.handle:
            getattr(_lib.lib(), self._stop)(self.handle)

    def free(self):
        if self.handle:
            getattr(_lib.lib(), self._free)(self.handle)
            self.handle = None

    def __del__(self):
        try:
            self.free()
        except Exception:
            pass

    def run(self):
        """Step to the end; Ctrl-C stops the job twice (nothing more is
        waited for), frees it and raises KeyboardInterrupt, as icmplib's
        blocking functions do.  In the main thread, with Python's default
        SIGINT handler in place, a handler of its own does the stopping:
        a KeyboardInterrupt raised inside a result callback would be
        swallowed by ctypes and the call would go on to the end."""
        interrupted = []

        def on_sigint(signum, frame):
            interrupted.append(signum)
            self.stop()
            self.stop()
        old = None
        if (threading.current_thread() is threading.main_thread() and
                signal.getsignal(signal.SIGINT) is signal.default_int_handler):
            old = signal.signal(signal.SIGINT, on_sigint)
        try:
            while self.step(min(self.timeout_ns(), SLICE_NS) or 0) == 1:
                pass
        except BaseException:
            self.stop()
            self.stop()
            self.free()
            raise
        finally:
            if old is not None:
                signal.signal(signal.SIGINT, old)
        if interrupted:
            self.free()
            raise KeyboardInterrupt


class Multiping(Job):
    """One multiping job over literal addresses (names); hosts[i] is filled
    (a Host) as host i is finished; on_host(i), if given, is called after."""
    _step, _fd, _timeout = 'icr_multiping_step', 'icr_multiping_get_fd', \
        'icr_multiping_get_timeout_ns'
    _stop, _free = 'icr_multiping_stop', 'icr_multiping_free'

    def __init__(self, names, count=2, interval=0.5, timeout=2, source=None,
                 privileged=True, payload_size=56, ttl=64, traffic_class=0, on_host=None):
        global jobs_created
        super().__init__()
        n = len(names)
        self.names = names
        self.hosts = [None] * n
        self.on_host = on_host
        self.timeout = float(timeout)
        arr = _lib.addr_array(names, to_addr)
        self._cb = _lib.HOST_CB(self._host_cb)  # kept alive with the job
        opts = _lib._new(_lib.icr_multiping_opts, count=count, interval=float(interval),
                         timeout=float(timeout), rate=0, id=-1, family=_lib.AF_UNSPEC,
                         source=source.encode() if source else None,
                         privilege=_lib.ICR_PRIVILEGED if privileged else _lib.ICR_UNPRIVILEGED,
                         payload_size=payload_size, ttl=ttl, traffic_class=traffic_class,
                         flags=0, on_host=self._cb)
        h = ctypes.c_void_p()
        check(_lib.lib().icr_multiping_new(arr, n, ctypes.byref(opts), ctypes.byref(h)),
              address=source, privileged=bool(privileged))
        self.handle = h
        jobs_created += 1

    def _host_cb(self, index, hp, userdata):
        name = self.names[index] if self.names else None
        self.hosts[index] = host_from_c(hp.contents, name, self.timeout)
        if self.on_host:
            self.on_host(index)

    def collect(self):
        """Every host, fetching those whose callback did not run (a
        callback cut short by an exception) from the job."""
        for i, h in enumerate(self.hosts):
            if h is None and self.handle:
                c = _lib._new(_lib.icr_host)
                check(_lib.lib().icr_multiping_get_host(self.handle, i, ctypes.byref(c)))
                try:
                    self.hosts[i] = host_from_c(c, self.names[i] if self.names else None,
                                                self.timeout)
                finally:
                    _lib.libc_free(ctypes.cast(c.rtts, ctypes.c_void_p))
        return self.hosts


class Trace(Job):
    """One traceroute job to one literal address; hops once finished."""
    _step, _fd, _timeout = 'icr_trace_step', 'icr_trace_get_fd', 'icr_trace_get_timeout_ns'
    _stop, _free = 'icr_trace_stop', 'icr_trace_free'

    def __init__(self, address, count=2, interval=0.05, timeout=2, first_hop=1, max_hops=30,
                 fast=False, source=None, privileged=True, payload_size=56,
                 traffic_class=0):
        global jobs_created
        super().__init__()
        self.hops = None
        self.timeout = float(timeout)
        lib = _lib.lib()
        t = ctypes.c_void_p()
        check(lib.icr_targets_new(ctypes.byref(t)))
        self._targets = t
        check(lib.icr_targets_add(t, address.encode(), _lib.ICR_TARGETS_NO_LOOKUP))
        self._cb = _lib.TRACE_CB(self._trace_cb)
        opts = _lib._new(_lib.icr_trace_opts, count=count, interval=float(interval),
                         timeout=float(timeout), first_hop=first_hop, max_hops=max_hops,
                         fast=bool(fast), rate=0, id=-1, family=_lib.AF_UNSPEC,
                         source=source.encode() if source else None,
                         privilege=_lib.ICR_PRIVILEGED if privileged else _lib.ICR_UNPRIVILEGED,
                         payload_size=payload_size, traffic_class=traffic_class, seed=0,
                         flags=0, on_trace=self._cb)
        h = ctypes.c_void_p()
        check(lib.icr_trace_new(t, ctypes.byref(opts), ctypes.byref(h)), address=source,
              privileged=bool(privileged))
        self.handle = h
        jobs_created += 1

    def _trace_cb(self, rp, userdata):
        r = rp.contents
        hops = (hop_from_c(r.hops[i], self.timeout) for i in range(r.nhops))
        self.hops = [h for h in hops if h is not None]

    def free(self):
        super().free()
        if getattr(self, '_targets', None):
            _lib.lib().icr_targets_free(self._targets)
            self._targets = None
