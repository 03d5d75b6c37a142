"""test_models.py - Host and Hop give icmplib 3.0.4's numbers (models.py
there: min/avg/max round(x, 3), packet_loss round(1 - received/sent, 2),
jitter round(mean |r[i] - r[i+1]|, 3), 0.0 when undefined), print as
icmplib prints them, and agree with the C library's icr_host_stats."""
import ctypes
import random
import unittest

import icmpring
from icmpring import _lib


class HostFormulas(unittest.TestCase):
    def test_worked_example(self):
        # By hand from icmplib's formulas: the sum 33.6912 / 3 = 11.2304;
        # the deltas 2.4444 and 1.5678 average 2.0061.
        h = icmpring.Host('198.18.0.7', 4, [10.1234, 12.5678, 11.0])
        self.assertEqual((h.min_rtt, h.avg_rtt, h.max_rtt), (10.123, 11.23, 12.568))
        self.assertEqual(h.packets_received, 3)
        self.assertEqual(h.packet_loss, 0.25)
        self.assertEqual(h.jitter, 2.006)
        self.assertTrue(h.is_alive)
        self.assertEqual(h.rtts, [10.1234, 12.5678, 11.0])
        self.assertEqual(h.address, '198.18.0.7')
        self.assertEqual(repr(h), '<Host [198.18.0.7]>')

    def test_nothing_received(self):
        h = icmpring.Host('203.0.113.1', 3, [])
        self.assertEqual((h.min_rtt, h.avg_rtt, h.max_rtt, h.jitter), (0.0, 0.0, 0.0, 0.0))
        self.assertEqual(h.packet_loss, 1.0)
        self.assertFalse(h.is_alive)

    def test_nothing_sent(self):
        self.assertEqual(icmpring.Host('x', 0, []).packet_loss, 0.0)

    def test_one_rtt_has_no_jitter(self):
        self.assertEqual(icmpring.Host('x', 1, [5.0]).jitter, 0.0)

    def test_loss_rounding(self):
        # 1 - 1/3 = 0.666.. -> 0.67; 1 - 2/3 = 0.333.. -> 0.33
        self.assertEqual(icmpring.Host('x', 3, [1.0]).packet_loss, 0.67)
        self.assertEqual(icmpring.Host('x', 3, [1.0, 2.0]).packet_loss, 0.33)

    def test_str(self):
        h = icmpring.Host('198.18.0.7', 2, [1.0, 2.0])
        self.assertEqual(str(h), '\n'.join([
            '  198.18.0.7', '-' * 60,
            '  Packets sent:     2',
            '  Packets received: 2',
            '  Packet loss:      0.0%',
            '  Round-trip times: 1.0 ms / 1.5 ms / 2.0 ms',
            '  Jitter:           1.0 ms', '-' * 60]))

    def test_hop(self):
        hop = icmpring.Hop('198.51.100.6', 2, [0.5, 0.25], 1)
        self.assertIsInstance(hop, icmpring.Host)
        self.assertEqual(hop.distance, 1)
        self.assertEqual(repr(hop), '<Hop 1 [198.51.100.6]>')
        self.assertTrue(str(hop).startswith('  #1  198.51.100.6\n' + '-' * 60))
        self.assertEqual(str(hop).splitlines()[1:], str(icmpring.Host(
            '198.51.100.6', 2, [0.5, 0.25])).splitlines()[1:])
        self.assertTrue(str(icmpring.Hop('a', 1, [], 12)).startswith('  #12 a\n'))
        self.assertEqual(hop.jitter, 0.25)

    def test_same_as_the_c_library(self):
        # icr_host_stats claims Python's round() exactly: check many lists.
        rnd = random.Random(8)
        lib = _lib.lib()
        for _ in range(2000):
            n = rnd.randint(0, 8)
            rtts = [rnd.choice([rnd.uniform(0, 5), round(rnd.uniform(0, 5), 4),
                                rnd.randint(0, 2000) / 2000]) for _ in range(n)]
            sent = n + rnd.randint(0, 3)
            h = icmpring.Host('x', sent, rtts)
            c = _lib._new(_lib.icr_host, packets_sent=sent)
            arr = (ctypes.c_double * max(n, 1))(*rtts)
            self.assertEqual(lib.icr_host_stats(ctypes.byref(c), arr, n), 0)
            self.assertEqual((h.min_rtt, h.avg_rtt, h.max_rtt, h.packet_loss, h.jitter,
                              h.is_alive, h.packets_received),
                             (c.min_rtt, c.avg_rtt, c.max_rtt, c.packet_loss, c.jitter,
                              c.is_alive, c.packets_received), rtts)


class Requests(unittest.TestCase):
    def test_request(self):
        r = icmpring.ICMPRequest('198.18.0.1', 0x12345, 0x10002)
        self.assertEqual((r.id, r.sequence, r.payload_size, r.ttl, r.traffic_class, r.time),
                         (0x2345, 2, 56, 64, 0, 0))
        self.assertEqual(len(r.payload), 56)
        self.assertTrue(r.payload.isalnum())
        self.assertEqual(icmpring.ICMPRequest('a', 1, 1, payload=b'xyz').payload_size, 3)
        self.assertEqual(repr(r), '<ICMPRequest [198.18.0.1]>')


if __name__ == '__main__':
    unittest.main()
