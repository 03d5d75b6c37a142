"""test_examples.py - the example programs of python/examples (our own
programs making the calls of icmplib 3.0.4's examples, through
`import icmpring as icmplib`) run in the lab and print what icmplib's
print, line by line, with only the numbers free."""
import os
import re
import subprocess
import sys
import unittest

EXAMPLES = os.environ.get('ICR_PY_EXAMPLES', os.path.join(
    os.path.dirname(__file__), '..', '..', 'python', 'examples'))
ENV = os.environ
if 'ICR_LAB' not in ENV:
    # Exit 77 (meson's SKIP), not unittest's SkipTest: that one exits 0.
    print('not inside a lab (run through icmpring-lab run)', file=sys.stderr)
    sys.exit(77)
HOPS = int(ENV.get('ICR_LAB_HOPS', '6'))
R4 = [ENV[f'ICR_LAB_R{k}_4'] for k in range(1, HOPS)]
R6 = [ENV[f'ICR_LAB_R{k}_6'] for k in range(1, HOPS)]
NUM = r'[0-9]+(?:\.[0-9]+)?(?:e-?[0-9]+)?'


def run(*args):
    p = subprocess.run([sys.executable, os.path.join(EXAMPLES, args[0]), *args[1:]],
                       capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout.splitlines()


class Examples(unittest.TestCase):
    def lines(self, got, patterns):
        self.assertEqual(len(got), len(patterns), got)
        for line, pat in zip(got, patterns):
            self.assertRegex(line, '^' + pat + r'\Z')

    def test_ping(self):
        rc, out = run('ping.py', '198.18.0.7', '0.05')
        self.assertEqual(rc, 0)
        self.lines(out, [re.escape('198.18.0.7'), NUM, NUM, NUM,
                         r'\[' + ', '.join([NUM] * 10) + r'\]', '10', '10', r'0\.0', NUM,
                         'True'])
        mn, avg, mx = map(float, out[1:4])
        self.assertTrue(mn <= avg <= mx)

    def test_multiping(self):
        rc, out = run('multiping.py')
        self.assertEqual(rc, 0)
        self.assertEqual(out, ["['198.18.0.1', '198.19.0.1', '2001:db8:1::1', '127.0.0.1']",
                               "['203.0.113.1', '203.0.113.129']"])

    def test_traceroute(self):
        rc, out = run('traceroute.py', '198.19.0.1')
        self.assertEqual(rc, 0)
        dests = R4 + ['198.19.0.1']
        self.assertEqual(out[0], '[' + ', '.join(f'<Hop {i} [{a}]>'
                                                 for i, a in enumerate(dests, 1)) + ']')
        self.lines(out[1:], [f'  {i:<2}    {re.escape(f"{a:15}")}    {NUM} ms'
                             for i, a in enumerate(dests, 1)])

    def test_traceroute_gap(self):
        rc, out = run('traceroute.py', '2001:db8:2::1', '3')
        self.assertEqual(rc, 0)
        dests = list(enumerate(R6 + ['2001:db8:2::1'], 1))[2:]
        self.lines(out[1:], ['  \\*     Some gateways are not responding'] +
                   [f'  {i:<2}    {re.escape(f"{a:15}")}    {NUM} ms' for i, a in dests])

    def test_verbose_ping(self):
        rc, out = run('verbose_ping.py', '198.18.0.7', '3', '0.05', '1')
        self.assertEqual(rc, 0)
        self.lines(out, ['PING 198.18.0.7: 56 data bytes', ''] +
                   [f'  64 bytes from 198\\.18\\.0\\.7: icmp_seq={i} time={NUM} ms'
                    for i in range(3)] + ['', 'Completed.'])

    def test_verbose_ping_v6_error_and_timeout(self):
        rc, out = run('verbose_ping.py', '2001:db8:1::7', '2', '0.05', '1')
        self.lines(out[2:4], [f'  64 bytes from 2001:db8:1::7: icmp_seq={i} time={NUM} ms'
                              for i in range(2)])
        rc, out = run('verbose_ping.py', '203.0.113.1', '2', '0.05', '0.5')
        self.lines(out[2:4], [f'  {NUM} bytes from {re.escape(R4[0])}: '
                              'Destination host unreachable'] * 2)
        rc, out = run('verbose_ping.py', '203.0.113.129', '2', '0.05', '0.2')
        self.lines(out, ['PING 203.0.113.129: 56 data bytes', '',
                         '  Request timeout for icmp_seq 0', '  Request timeout for icmp_seq 1',
                         '', 'Completed.'])

    def test_verbose_traceroute(self):
        rc, out = run('verbose_traceroute.py', '198.19.0.1')
        self.assertEqual(rc, 0)
        dests = R4 + ['198.19.0.1']
        self.lines(out, ['Traceroute to 198\\.19\\.0\\.1 \\(198\\.19\\.0\\.1\\): 56 data bytes, '
                         '30 hops max', ''] +
                   [f'  {i:<2}    {re.escape(f"{a:15}")}    \\S+ +{NUM} ms'
                    for i, a in enumerate(dests, 1)] + ['', 'Completed.'])
        rc, out = run('verbose_traceroute.py', '203.0.113.129', '2')
        self.lines(out[2:4], ['  1     \\* \\* \\*', '  2     \\* \\* \\*'])

    def test_broadcast_ping(self):
        rc, out = run('broadcast_ping.py', ENV.get('ICR_LAB_BCAST4', '192.0.2.255'), '2', '0.5')
        self.assertEqual(rc, 0)
        n = int(ENV.get('ICR_LAB_BCAST_HOSTS', '3'))
        self.assertEqual(out[:2], [f"PING {ENV.get('ICR_LAB_BCAST4', '192.0.2.255')}: "
                                   '56 data bytes', ''])
        self.assertEqual(out[-2:], ['', 'Completed.'])
        self.lines(out[2:-2], [f'  64 bytes from 192\\.0\\.2\\.[0-9]+: icmp_seq=[01] time={NUM} ms']
                   * (2 * n))

    def test_sweep(self):
        p = subprocess.run([sys.executable, os.path.join(EXAMPLES, 'sweep.py'),
                            '198.18.7.0/28'], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0)
        self.assertEqual(sorted(line.split()[0] for line in p.stdout.splitlines()),
                         sorted(f'198.18.7.{i}' for i in range(1, 15)))
        self.assertEqual(p.stderr, '14 of 14 alive\n')


if __name__ == '__main__':
    unittest.main(verbosity=2)
