"""_async.py - owns the per-loop batcher behind async_ping and
async_multiping.

Every call made during one iteration of a loop is queued; at the end of
the iteration (call_soon) the calls with the same options become one
multiping job, so a thousand concurrent async_ping tasks share one job,
one set of sockets and one ring instead of a socket each.  The job is
driven by the loop itself: add_reader on the job's fd (icr_multiping_get_fd)
and a timer for icr_multiping_get_timeout_ns, each calling step(0): no
thread.  A call's future is resolved as soon as its own hosts are finished.
"""
import asyncio
import weakref

from . import _jobs
from .utils import to_addr

_batchers = weakref.WeakKeyDictionary()


class _Call:
    __slots__ = ('names', 'addrs', 'future', 'base', 'left')

    def __init__(self, names, addrs, future):
        self.names = names
        self.addrs = addrs
        self.future = future
        self.base = 0
        self.left = len(names)


class _Driver:
    """One job on one loop."""

    def __init__(self, loop, job, calls, owner):
        self.loop = loop
        self.job = job
        self.calls = calls
        self.owner = owner
        self.by_index = []
        for c in calls:
            c.base = len(self.by_index)
            self.by_index.extend([c] * len(c.names))
        job.on_host = self._on_host
        self.fd = job.fd()
        self.timer = None
        loop.add_reader(self.fd, self._kick)
        owner.drivers.add(self)
        self._kick()

    def _on_host(self, index):
        c = self.by_index[index]
        c.left -= 1
        if c.left == 0 and not c.future.done():
            c.future.set_result(self.job.hosts[c.base:c.base + len(c.names)])

    def _kick(self):
        if self.timer:
            self.timer.cancel()
            self.timer = None
        if self.job.handle is None:
            return
        if all(c.future.done() for c in self.calls):
            # Everybody has an answer or went away (cancelled): stop twice,
            # so the job ends at once with what it has.
            self.job.stop()
            self.job.stop()
        try:
            r = self.job.step(0)
        except BaseException as err:
            self._finish(err)
            return
        if r != 1:
            self._finish(None)
            return
        self.timer = self.loop.call_later(self.job.timeout_ns() / 1e9, self._kick)

    def _finish(self, err):
        self.loop.remove_reader(self.fd)
        if err is None:
            hosts = self.job.collect()
            for c in self.calls:
                if not c.future.done():
                    c.future.set_result(hosts[c.base:c.base + len(c.names)])
        else:
            for c in self.calls:
                if not c.future.done():
                    c.future.set_exception(err)
        self.job.free()
        self.owner.drivers.discard(self)


class _Batcher:
    def __init__(self, loop):
        self.loop = loop
        self.pending = {}
        self.scheduled = False
        self.drivers = set()  # running jobs (kept alive here)

    def submit(self, key, names, addrs):
        fut = self.loop.create_future()
        self.pending.setdefault(key, []).append(_Call(names, addrs, fut))
        if not self.scheduled:
            self.scheduled = True
            self.loop.call_soon(self._flush)
        return fut

    def _flush(self):
        self.scheduled = False
        pending, self.pending = self.pending, {}
        for key, calls in pending.items():
            calls = [c for c in calls if not c.future.done()]
            if not calls:
                continue
            count, interval, timeout, source, privileged, psize, ttl, tclass = key
            names = [n for c in calls for n in c.names]
            try:
                job = _jobs.Multiping(names, count=count,
                                      interval=interval, timeout=timeout, source=source,
                                      privileged=privileged, payload_size=psize, ttl=ttl,
                                      traffic_class=tclass)
            except BaseException as err:
                for c in calls:
                    c.future.set_exception(err)
                continue
            _Driver(self.loop, job, calls, self)


def submit(key, names):
    """A future for the Hosts of names (literal addresses), pinged with the
    options in key, in a job shared with the other calls of this loop
    iteration."""
    loop = asyncio.get_running_loop()
    addrs = [to_addr(n) for n in names]  # a bad address fails this call only
    b = _batchers.get(loop)
    if b is None:
        b = _batchers[loop] = _Batcher(loop)
    return b.submit(key, names, addrs)
