"""test_lab.py - every public function of the Python package against the
real kernel, inside the prober namespace of a lab that icmpring-lab made
for this run (the ICR_LAB_* variables name its addresses; see
tools/icmpring-lab --help).  Run through `icmpring-lab run`, which skips
(exit 77) without root or namespaces."""
import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import unittest

import icmpring
from icmpring import _jobs

ENV = os.environ
RSP4 = '198.18.0.7'
RSP6 = '2001:db8:1::7'
FAR4 = '198.19.0.1'
FAR6 = '2001:db8:2::1'
UNREACH4 = ENV.get('ICR_LAB_UNREACH4', '203.0.113.1')
UNREACH6 = ENV.get('ICR_LAB_UNREACH6', '2001:db8:e:1::1')
BLACKHOLE4 = ENV.get('ICR_LAB_BLACKHOLE4', '203.0.113.129')
BCAST4 = ENV.get('ICR_LAB_BCAST4', '192.0.2.255')
HOPS = int(ENV.get('ICR_LAB_HOPS', '6'))
ROUTERS4 = [ENV.get(f'ICR_LAB_R{k}_4') for k in range(1, HOPS)]
ROUTERS6 = [ENV.get(f'ICR_LAB_R{k}_6') for k in range(1, HOPS)]

if 'ICR_LAB' not in ENV:
    # Exit 77 (meson's SKIP), not unittest's SkipTest: that one exits 0.
    print('not inside a lab (run through icmpring-lab run)', file=sys.stderr)
    sys.exit(77)


def open_fds():
    return len(os.listdir('/proc/self/fd'))


class Ping(unittest.TestCase):
    def test_v4(self):
        h = icmpring.ping(RSP4, count=3, interval=0.05, timeout=1)
        self.assertIsInstance(h, icmpring.Host)
        self.assertEqual((h.address, h.packets_sent, h.packets_received, h.packet_loss),
                         (RSP4, 3, 3, 0.0))
        self.assertTrue(h.is_alive)
        self.assertTrue(0 < h.min_rtt <= h.avg_rtt <= h.max_rtt < 100, h.rtts)

    def test_v6(self):
        h = icmpring.ping(RSP6, count=2, interval=0.05, timeout=1)
        self.assertEqual((h.address, h.packets_received), (RSP6, 2))

    def test_unreachable_counts_as_lost(self):
        h = icmpring.ping(UNREACH4, count=2, interval=0.05, timeout=1)
        self.assertEqual((h.packets_sent, h.packets_received, h.packet_loss), (2, 0, 1.0))
        self.assertFalse(h.is_alive)

    def test_silent_host_within_timeout(self):
        t0 = time.monotonic()
        h = icmpring.ping(BLACKHOLE4, count=2, interval=0.05, timeout=0.3)
        self.assertEqual((h.packets_sent, h.packets_received), (2, 0))
        self.assertLess(time.monotonic() - t0, 5)

    def test_hostname(self):
        h = icmpring.ping('localhost', count=1, timeout=1, family=4)
        self.assertEqual((h.address, h.packets_received), ('127.0.0.1', 1))

    def test_name_lookup_error(self):
        with self.assertRaises(icmpring.NameLookupError):
            icmpring.ping('nonexistent.invalid', count=1)

    def test_payload_goes_through_a_socket(self):
        # The engine cannot send the caller's bytes or < 34 of them.
        h = icmpring.ping(RSP4, count=2, interval=0.05, timeout=1, payload=b'hello')
        self.assertEqual(h.packets_received, 2)
        before = _jobs.jobs_created
        h = icmpring.ping(RSP4, count=2, interval=0.05, timeout=1, payload_size=8)
        self.assertEqual(h.packets_received, 2)
        self.assertEqual(_jobs.jobs_created, before)

    def test_options(self):
        h = icmpring.ping(RSP4, count=2, interval=0.05, timeout=1, ttl=3, traffic_class=0x20,
                          payload_size=100, source=ENV.get('ICR_LAB_PRB4', '192.0.2.1'),
                          id=77)
        self.assertEqual(h.packets_received, 2)
        # ttl 1: rsp is one hop away, far is not
        self.assertEqual(icmpring.ping(FAR4, count=1, timeout=0.5, ttl=1).packets_received, 0)

    def test_unprivileged(self):
        h = icmpring.ping(RSP4, count=2, interval=0.05, timeout=1, privileged=False)
        self.assertEqual(h.packets_received, 2)

    def test_bad_source(self):
        with self.assertRaises(icmpring.SocketAddressError) as cm:
            icmpring.ping(RSP4, count=1, source='192.0.2.99')
        self.assertIn('192.0.2.99', str(cm.exception))

    def test_unknown_keyword(self):
        with self.assertRaises(TypeError):
            icmpring.ping(RSP4, count=1, colour='red')

    def test_count_zero(self):
        self.assertEqual(icmpring.ping(RSP4, count=0).packets_sent, 0)


class LateReplies(unittest.TestCase):
    """icmplib's `timeout` is each request's wait: a reply later than that
    is lost, whichever probe it answers (not only the last one's).  Replies
    come 300 ms late through lab-relay (icmpring-lab relay)."""
    LATE4 = '198.18.200.7'

    @classmethod
    def setUpClass(cls):
        lab, bin_ = ENV.get('ICR_LAB'), ENV.get('ICR_LAB_BIN')
        if not bin_ or not ENV.get('ICR_RELAY'):
            # Not a skip: meson sets both, and a skip would pass.
            raise RuntimeError('no icmpring-lab relay (ICR_LAB_BIN, ICR_RELAY)')
        subprocess.run([bin_, 'relay', lab, '--delay', '300', '--seconds', '120', 'on'],
                       check=True, stdout=subprocess.DEVNULL)
        cls.addClassCleanup(subprocess.run, [bin_, 'relay', lab, 'off'],
                            stdout=subprocess.DEVNULL)

    def test_ping_late_reply_is_lost(self):
        h = icmpring.ping(self.LATE4, count=3, interval=0.4, timeout=0.1)
        self.assertEqual((h.packets_sent, h.packets_received, h.rtts), (3, 0, []))
        # The relay works: with a timeout above its delay every reply counts.
        h = icmpring.ping(self.LATE4, count=2, interval=0.4, timeout=1)
        self.assertEqual(h.packets_received, 2, h.rtts)

    def test_multiping_late_reply_is_lost(self):
        hosts = icmpring.multiping([self.LATE4, '198.18.200.8'], count=2, interval=0.4,
                                   timeout=0.1)
        self.assertEqual([(h.packets_sent, h.packets_received) for h in hosts],
                         [(2, 0), (2, 0)])

    def test_traceroute_late_reply_is_lost(self):
        # icmplib waits `timeout` for each probe: none answers in time, so
        # no distance answered and the route is empty.
        hops = icmpring.traceroute(self.LATE4, count=3, interval=0.4, timeout=0.1, max_hops=2)
        self.assertEqual([(h.distance, h.rtts) for h in hops], [])
        hops = icmpring.traceroute(self.LATE4, count=2, interval=0.4, timeout=1, max_hops=2)
        self.assertEqual([(h.distance, h.packets_received) for h in hops], [(1, 2)])

    def test_async_ping_late_reply_is_lost(self):
        h = asyncio.run(icmpring.async_ping(self.LATE4, count=2, interval=0.4, timeout=0.1))
        self.assertEqual((h.packets_sent, h.packets_received), (2, 0))


class Unprivileged(unittest.TestCase):
    def test_as_nobody(self):
        # A uid without CAP_NET_RAW: privileged=True (icmplib's default) is
        # SocketPermissionError with icmplib's message, privileged=False works
        # (the lab allows ICMP datagram sockets to every group).
        prog = textwrap.dedent(f'''
            import icmpring
            try:
                icmpring.ping({RSP4!r}, count=1, timeout=1)
            except icmpring.SocketPermissionError as e:
                print('denied:', e)
            try:
                icmpring.ICMPv4Socket(privileged=False).send(icmpring.ICMPRequest({RSP4!r}, 1, 1))
                icmpring.ping({RSP4!r}, count=1, timeout=1, privileged=False)
            except icmpring.SocketPermissionError as e:
                print('denied:', e)
            h = icmpring.ping({RSP4!r}, count=2, interval=0.05, timeout=1, privileged=False)
            hs = icmpring.multiping([{RSP4!r}, {RSP6!r}], count=1, timeout=1, privileged=False)
            print('received', h.packets_received, [x.packets_received for x in hs])
        ''')
        p = subprocess.run(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups',
                            sys.executable, '-c', prog], capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.splitlines(), [
            'denied: Root privileges are required to create the socket',
            'received 2 [1, 1]'])


class Multiping(unittest.TestCase):
    def test_order_and_state(self):
        addrs = [RSP4, UNREACH4, RSP6, FAR4, BLACKHOLE4, RSP4, FAR6]
        hosts = icmpring.multiping(addrs, count=2, interval=0.02, timeout=0.5)
        self.assertEqual([h.address for h in hosts], addrs)
        self.assertEqual([h.is_alive for h in hosts], [True, False, True, True, False, True,
                                                         True])
        self.assertTrue(all(h.packets_sent == 2 for h in hosts))

    def test_many(self):
        addrs = [f'198.18.3.{i}' for i in range(1, 255)]
        before = open_fds()
        hosts = icmpring.multiping(addrs, count=2, interval=0.01, timeout=1)
        self.assertEqual(sum(h.packets_received for h in hosts), 2 * len(addrs))
        self.assertEqual(open_fds(), before)  # the job's descriptors are closed

    def test_empty(self):
        self.assertEqual(icmpring.multiping([]), [])

    def test_payload_size_outside_the_engine(self):
        hosts = icmpring.multiping([RSP4, UNREACH4], count=1, timeout=0.5, payload_size=20)
        self.assertEqual([h.is_alive for h in hosts], [True, False])


class CtrlC(unittest.TestCase):
    def test_blocking_calls_raise_keyboard_interrupt_promptly(self):
        # icmplib's blocking functions end with KeyboardInterrupt on Ctrl-C;
        # so must these, even when the signal lands in a result callback
        # (10,000 hosts: thousands of callbacks), and without waiting for
        # the silent hosts' 10 s timeout.
        prog = textwrap.dedent('''
            import icmpring, sys, time
            addrs = ['198.18.%d.%d' % (i // 250, 1 + i % 250) for i in range(10000)]
            addrs += ['203.0.113.129']
            print('start', flush=True)
            try:
                icmpring.multiping(addrs, count=1000, interval=0.001, timeout=10)
            except KeyboardInterrupt:
                print('interrupted', flush=True)
                sys.exit(3)
            print('finished', flush=True)
        ''')
        for _ in range(3):
            p = subprocess.Popen([sys.executable, '-c', prog], stdout=subprocess.PIPE,
                                 text=True)
            self.assertEqual(p.stdout.readline().strip(), 'start')
            time.sleep(1.0)
            t0 = time.monotonic()
            p.send_signal(signal.SIGINT)
            out, _ = p.communicate(timeout=30)
            self.assertEqual((p.returncode, out.strip()), (3, 'interrupted'))
            self.assertLess(time.monotonic() - t0, 5)


class Traceroute(unittest.TestCase):
    def test_v4(self):
        hops = icmpring.traceroute(FAR4, count=2, timeout=1)
        self.assertEqual([h.distance for h in hops], list(range(1, HOPS + 1)))
        self.assertEqual([h.address for h in hops], ROUTERS4 + [FAR4])
        self.assertTrue(all(isinstance(h, icmpring.Hop) for h in hops))
        self.assertTrue(all(h.packets_sent == 2 and h.packets_received == 2 for h in hops))

    def test_v6_first_hop_fast(self):
        hops = icmpring.traceroute(FAR6, timeout=1, first_hop=3, fast=True)
        self.assertEqual([h.distance for h in hops], list(range(3, HOPS + 1)))
        self.assertEqual([h.address for h in hops], ROUTERS6[2:] + [FAR6])
        self.assertTrue(all(h.packets_received >= 1 for h in hops))

    def test_one_hop(self):
        hops = icmpring.traceroute(RSP4, timeout=1)
        self.assertEqual([(h.distance, h.address) for h in hops], [(1, RSP4)])

    def test_count_zero(self):
        # icmplib sends nothing and returns no hop (no exception).
        self.assertEqual(icmpring.traceroute(RSP4, count=0, timeout=0.5), [])

    def test_unreachable_ends_at_the_router(self):
        hops = icmpring.traceroute(UNREACH4, timeout=0.5, max_hops=4)
        self.assertEqual(hops[-1].address, ROUTERS4[0])
        self.assertEqual(hops[-1].distance, 1)


class Resolve(unittest.TestCase):
    def test_resolve(self):
        self.assertEqual(icmpring.resolve('localhost', 4), ['127.0.0.1'])
        self.assertEqual(icmpring.resolve(RSP6), [RSP6])
        with self.assertRaises(icmpring.NameLookupError):
            icmpring.resolve('nonexistent.invalid')

    def test_async_resolve(self):
        self.assertEqual(asyncio.run(icmpring.async_resolve('localhost', 4)), ['127.0.0.1'])
        self.assertEqual(asyncio.run(icmpring.async_resolve(RSP4)), [RSP4])


class Sockets(unittest.TestCase):
    def test_v4_echo(self):
        with icmpring.ICMPv4Socket() as s:
            self.assertTrue(s.is_privileged)
            self.assertIsNone(s.address)
            req = icmpring.ICMPRequest(RSP4, 4321, 7)
            s.send(req)
            self.assertGreater(req.time, 1e9)
            r = s.receive(req, 1)
            self.assertIsInstance(r, icmpring.ICMPReply)
            self.assertEqual((r.source, r.id, r.sequence, r.type, r.code, r.bytes_received),
                             (RSP4, 4321, 7, 0, 0, 64))
            self.assertTrue(0 < (r.time - req.time) * 1000 < 100)
            r.raise_for_status()
        self.assertTrue(s.is_closed)
        with self.assertRaises(icmpring.SocketUnavailableError):
            s.send(req)

    def test_v6_echo_and_error(self):
        with icmpring.ICMPv6Socket() as s:
            req = icmpring.ICMPRequest(RSP6, 1, 1, payload_size=100)
            s.send(req)
            self.assertEqual(s.receive(req, 1).bytes_received, 108)
            req = icmpring.ICMPRequest(UNREACH6, 1, 2)
            s.send(req)
            r = s.receive(req, 1)
            with self.assertRaises(icmpring.ICMPv6DestinationUnreachable) as cm:
                r.raise_for_status()
            self.assertIs(cm.exception.reply, r)

    def test_time_exceeded(self):
        with icmpring.ICMPv4Socket() as s:
            req = icmpring.ICMPRequest(FAR4, 2, 1, ttl=2)
            s.send(req)
            r = s.receive(req, 1)
            self.assertEqual(r.source, ROUTERS4[1])
            with self.assertRaises(icmpring.TimeExceeded) as cm:
                r.raise_for_status()
            self.assertEqual(str(cm.exception), 'Time to live exceeded')

    def test_timeout(self):
        with icmpring.ICMPv4Socket() as s:
            req = icmpring.ICMPRequest(BLACKHOLE4, 3, 1)
            s.send(req)
            with self.assertRaises(icmpring.TimeoutExceeded) as cm:
                s.receive(req, 0.2)
            self.assertEqual(str(cm.exception), 'The timeout has been reached (0.2s)')

    def test_broadcast(self):
        with icmpring.ICMPv4Socket() as s:
            self.assertFalse(s.broadcast)
            with self.assertRaises(icmpring.SocketBroadcastError):
                s.send(icmpring.ICMPRequest(BCAST4, 5, 1))
            s.broadcast = True
            self.assertTrue(s.broadcast)
            req = icmpring.ICMPRequest(BCAST4, 5, 2)
            s.send(req)
            got = set()
            try:
                while True:
                    got.add(s.receive(req, 0.5).source)
            except icmpring.TimeoutExceeded:
                pass
            self.assertEqual(len(got), int(ENV.get('ICR_LAB_BCAST_HOSTS', '3')), got)

    def test_bad_source(self):
        with self.assertRaises(icmpring.SocketAddressError):
            icmpring.ICMPv4Socket('192.0.2.99')

    def test_unprivileged(self):
        with icmpring.ICMPv4Socket(privileged=False) as s:
            self.assertFalse(s.is_privileged)
            req = icmpring.ICMPRequest(RSP4, 9, 1)
            s.send(req)
            self.assertEqual(s.receive(req, 1).sequence, 1)

    def test_async_socket(self):
        async def main():
            with icmpring.AsyncSocket(icmpring.ICMPv4Socket()) as s:
                req = icmpring.ICMPRequest(RSP4, 11, 1)
                s.send(req)
                r = await s.receive(req, 1)
                req2 = icmpring.ICMPRequest(BLACKHOLE4, 11, 2)
                s.send(req2)
                with self.assertRaises(icmpring.TimeoutExceeded):
                    await s.receive(req2, 0.2)
                return r
        self.assertEqual(asyncio.run(main()).source, RSP4)


class Async(unittest.TestCase):
    def test_async_ping(self):
        h = asyncio.run(icmpring.async_ping(RSP4, count=2, interval=0.05, timeout=1))
        self.assertEqual((h.address, h.packets_received), (RSP4, 2))

    def test_async_multiping(self):
        hosts = asyncio.run(icmpring.async_multiping([RSP4, UNREACH4, RSP6], count=2,
                                                     interval=0.05, timeout=1))
        self.assertEqual([(h.address, h.is_alive) for h in hosts],
                         [(RSP4, True), (UNREACH4, False), (RSP6, True)])

    def test_many_tasks_share_one_job(self):
        addrs = [f'198.18.4.{i}' for i in range(1, 201)]
        seen = {}

        async def watch():
            # Sample descriptors and Python threads while the pings run.
            while True:
                seen['fds'] = max(seen.get('fds', 0), open_fds())
                seen['threads'] = max(seen.get('threads', 0), threading.active_count())
                await asyncio.sleep(0.01)

        async def main():
            w = asyncio.ensure_future(watch())
            hosts = await asyncio.gather(*(icmpring.async_ping(a, count=3, interval=0.05,
                                                               timeout=1) for a in addrs))
            w.cancel()
            return hosts

        fds, threads, jobs = open_fds(), threading.active_count(), _jobs.jobs_created
        hosts = asyncio.run(main())
        self.assertEqual(_jobs.jobs_created - jobs, 1, '200 async_ping calls, one job')
        self.assertEqual([h.address for h in hosts], addrs)
        self.assertTrue(all(h.packets_received == 3 for h in hosts))
        self.assertLess(seen['fds'] - fds, 20, seen)       # not a socket per task
        self.assertEqual(seen['threads'], threads)          # no thread per call
        self.assertEqual(open_fds(), fds)

    def test_different_options_different_jobs(self):
        async def main():
            return await asyncio.gather(
                icmpring.async_ping(RSP4, count=1, timeout=1),
                icmpring.async_ping(RSP4, count=1, timeout=1),
                icmpring.async_ping(RSP6, count=2, interval=0.05, timeout=1),
                icmpring.async_multiping([FAR4, RSP4], count=1, timeout=1))
        jobs = _jobs.jobs_created
        r = asyncio.run(main())
        self.assertEqual(_jobs.jobs_created - jobs, 2)
        self.assertEqual([r[0].packets_received, r[1].packets_received,
                          r[2].packets_received], [1, 1, 2])
        self.assertEqual([h.packets_received for h in r[3]], [1, 1])

    def test_fast_host_does_not_wait_for_a_silent_one(self):
        async def main():
            t0 = asyncio.get_running_loop().time()
            fast = asyncio.ensure_future(icmpring.async_ping(RSP4, count=1, timeout=2))
            slow = asyncio.ensure_future(icmpring.async_ping(BLACKHOLE4, count=1, timeout=2))
            h = await fast
            t_fast = asyncio.get_running_loop().time() - t0
            await slow
            t_slow = asyncio.get_running_loop().time() - t0
            return h, t_fast, t_slow
        h, t_fast, t_slow = asyncio.run(main())
        self.assertTrue(h.is_alive)
        # The silent host waits its 2 s timeout; the live one returns long before.
        self.assertGreater(t_slow, 1.9)
        self.assertLess(t_fast, t_slow - 1.0)

    def test_cancel(self):
        async def main():
            t = asyncio.ensure_future(icmpring.async_ping(BLACKHOLE4, count=1, timeout=3))
            await asyncio.sleep(0.2)
            t.cancel()
            with self.assertRaises(asyncio.CancelledError):
                await t
            return await icmpring.async_ping(RSP4, count=1, timeout=1)
        fds = open_fds()
        t0 = time.monotonic()
        self.assertTrue(asyncio.run(main()).is_alive)
        self.assertLess(time.monotonic() - t0, 2.5)
        self.assertEqual(open_fds(), fds)


class Sweep(unittest.TestCase):
    def test_sweep(self):
        s = icmpring.sweep(['198.18.5.0/24', '2001:db8:1::5:0/124'], rate=0, cooldown=0.5)
        got = list(s)
        self.assertEqual(len(got), 254 + 16)
        self.assertTrue(all(r.is_echo and r.rtt >= 0 and r.address == r.responder
                            for r in got))
        self.assertEqual(s.stats['hits'], 270)
        self.assertFalse(s.interrupted)

    def test_errors_and_exclude(self):
        got = list(icmpring.sweep([UNREACH4, '198.18.6.0/29'], exclude='198.18.6.2',
                                  rate=0, cooldown=0.5))
        echo = sorted(r.address for r in got if r.is_echo)
        self.assertEqual(echo, [f'198.18.6.{i}' for i in (1, 3, 4, 5, 6)])
        err = [r for r in got if not r.is_echo]
        self.assertEqual([(r.address, r.responder, r.type, r.code) for r in err],
                         [(UNREACH4, ROUTERS4[0], 3, 1)])

    def test_bad_entry(self):
        with self.assertRaises(icmpring.InvalidArgumentError):
            icmpring.sweep('198.18.0.0/33')

    def test_ctrl_c_stops_cleanly(self):
        # A real SIGINT to a real program: it must stop sending, report
        # every reply it got (the engine's hit count), and end normally.
        prog = textwrap.dedent('''
            import icmpring, sys
            s = icmpring.sweep('198.18.0.0/16', rate=2000, cooldown=0.5)
            n = 0
            for r in s:
                n += 1
                if n == 1:
                    print('first', flush=True)
            print('results', n, 'hits', s.stats['hits'], 'sent', s.stats['sent'],
                  'interrupted', s.interrupted, flush=True)
        ''')
        p = subprocess.Popen([sys.executable, '-c', prog], stdout=subprocess.PIPE, text=True)
        self.assertEqual(p.stdout.readline().strip(), 'first')
        time.sleep(0.5)
        t0 = time.monotonic()
        p.send_signal(signal.SIGINT)
        out, _ = p.communicate(timeout=20)
        elapsed = time.monotonic() - t0
        self.assertEqual(p.returncode, 0, out)
        f = out.split()
        n, hits, sent = int(f[1]), int(f[3]), int(f[5])
        self.assertEqual(f[7], 'True')
        self.assertEqual(n, hits)                 # nothing received was lost
        self.assertGreater(n, 0)
        self.assertLess(sent, 65534 // 2)         # it stopped long before the end (~33 s)
        self.assertLess(elapsed, 10)


if __name__ == '__main__':
    unittest.main(verbosity=2)
