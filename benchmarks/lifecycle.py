#!/usr/bin/env python
"""Measure how fast an httptestserver starts and stops, against the stdlib.

Run it against the checkout or an installed package::

    PYTHONPATH=/path/to/checkout python benchmarks/lifecycle.py
    python benchmarks/lifecycle.py --cycles 500 --json
    python benchmarks/lifecycle.py --check     # exit 1 if a ratio target fails

Over ``--cycles`` cycles (default 200) it measures, in milliseconds:

start -> first response
    from just before the server is created to the moment a client holds the
    whole response to ``GET / HTTP/1.1`` with ``Connection: close`` (a raw
    ``socket`` client, the cheapest there is, the same for every server; the
    response is complete when its ``Content-Length`` bytes of body arrived).
stop -> port free
    from just before ``Server.stop()`` (baseline: ``shutdown()``,
    ``server_close()`` and joining its thread) to the moment a new socket
    with ``SO_REUSEADDR`` can ``bind`` the same port (a retry loop bounded
    in attempts and time; the number of attempts is reported too).

for ``Server()`` over HTTP, ``Server(scheme='https')`` (the client's
``SSLContext`` is made once, before the cycles; the server's is made inside
``Server()``, so it is timed), and a baseline: the stdlib's
``ThreadingHTTPServer`` (Python 3.7+; ``ThreadingMixIn`` + ``HTTPServer``
before, daemon threads like the former) with a trivial handler, run by
``serve_forever()`` in a thread.  ``--baseline-https`` adds the baseline over
HTTPS (its listening socket wrapped by an ``SSLContext``, the usual recipe).

The baseline keeps ``serve_forever``'s default ``poll_interval=0.5``: that is
what makes its stop slow (``shutdown()`` waits for the loop to notice a flag
it checks every half second), and it is the comparison this script exists
for.  Each baseline stop costs nearly the whole 0.5 s, because the request
has just woken the loop, which went back to a fresh half-second wait.  So
the baseline runs ``--baseline-cycles`` cycles (default: ``min(cycles,
40)``), spread evenly among ours and alternating which goes first, so
machine noise hits both alike; the default run takes about 20 s (40 s with
``--baseline-https``).  A few warm-up cycles (``--warmup``, not counted) run
first.

Targets: our median stop <= 5 ms and start -> first response <= 3 ms; the
stop at least 50x faster than the baseline's, and the start no more than
2x slower than the baseline's (``start speed-up >= 0.5``).  The script
prints whether each held; with ``--check`` it exits 1 when a *ratio* target
fails (ratios, not absolute times, since machines are noisy), otherwise 0
(2 if a cycle went wrong: a bad answer, a port never freed).  HTTPS has no
absolute target; with ``--baseline-https`` its start ratio must hold too.
``--json`` prints the results as one JSON object instead of the table.

Everything talks to 127.0.0.1 only, every loop is bounded in count and in
time, and every server is stopped in a ``finally``.

Latest figures, 2026-11-21: a Linux x86_64 VM with 2 CPUs shared with other
work (load average 1.5-3.5), OpenSSL 3.0.19, httptestserver 0.2.0.dev0,
``--baseline-https --check``: 200 cycles, 40 of the baseline.  Milliseconds,
median / p90; see benchmarks/README.rst for the whole tables::

                start -> first response              stop -> port free
    Python      ours http  stdlib http  ours https   ours http   stdlib http
    3.11.7      0.54/4.04  0.74/3.43    3.15/5.85    0.11/0.19   500.6/500.9
    2.7.18      0.52/4.07  0.74/3.57    3.02/5.85    0.12/1.18   500.7/501.8
    3.13.0      0.51/3.91  0.83/3.34    3.22/5.88    0.15/0.19   500.6/500.8

    speed-ups (stdlib median / ours): stop 4504x, 4175x, 3365x;
    start 1.36x, 1.41x, 1.65x; https start 1.18x, 1.06x, 1.01x.

The p90 of the starts is the machine's noise (the baseline shows the same);
the medians are steady from run to run.
"""
from __future__ import division, print_function

import argparse
import errno
import json
import os
import platform
import socket
import ssl
import sys
import threading
from collections import OrderedDict  # Python 2: dicts lose order
from timeit import default_timer as clock  # Python 2: time.time on Linux

try:
    from http.server import BaseHTTPRequestHandler, HTTPServer
    from socketserver import ThreadingMixIn
except ImportError:  # Python 2
    from BaseHTTPServer import BaseHTTPRequestHandler, HTTPServer
    from SocketServer import ThreadingMixIn

try:
    import httptestserver
except ImportError as _error:
    sys.exit('cannot import httptestserver (%s); install it, or run with '
             'PYTHONPATH=/path/to/the/checkout' % (_error,))

HOST = '127.0.0.1'
#: Seconds any single socket operation, join or wait may take.
TIMEOUT = 5.0
#: Bounds on the bind retry loop after a stop.
BIND_ATTEMPTS = 100000
#: The largest response the client accepts.
MAX_RESPONSE = 1 << 20

#: The targets; see the module docstring and evaluate().
STOP_TARGET_MS = 5.0
START_TARGET_MS = 3.0
STOP_RATIO_TARGET = 50.0
START_RATIO_TARGET = 0.5


class BenchmarkError(Exception):
    """A cycle did not behave: wrong answer, port never freed, stuck thread."""


# -- the baseline ------------------------------------------------------------

class _BaselineHandler(BaseHTTPRequestHandler):
    """Answer every GET with an empty 200, silently."""

    def do_GET(self):
        self.send_response(200)
        self.send_header('Content-Length', '0')
        self.end_headers()

    def log_message(self, *args):
        pass


try:
    from http.server import ThreadingHTTPServer as _BaselineServer
except ImportError:  # Python 2, 3.6: no ThreadingHTTPServer
    class _BaselineServer(ThreadingMixIn, HTTPServer):
        daemon_threads = True


def _baseline_ssl_context():
    protocol = getattr(ssl, 'PROTOCOL_TLS_SERVER', None)
    if protocol is None:  # Python 2, 3.5
        protocol = ssl.PROTOCOL_SSLv23
    context = ssl.SSLContext(protocol)
    context.load_cert_chain(httptestserver.SERVER_CERT_FILE,
                            httptestserver.SERVER_KEY_FILE)
    return context


class Baseline(object):
    """The stdlib recipe, behind the same start/stop calls as ours."""

    def __init__(self, scheme='http'):
        self.server = _BaselineServer((HOST, 0), _BaselineHandler)
        if scheme == 'https':
            self.server.socket = _baseline_ssl_context().wrap_socket(
                self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = None

    def start(self):
        # Default poll_interval=0.5, on purpose: see the module docstring.
        self.thread = threading.Thread(target=self.server.serve_forever)
        self.thread.daemon = True
        self.thread.start()
        return self

    def stop(self):
        # shutdown() waits forever unless serve_forever() runs (or will run);
        # it will once the thread was started.
        if self.thread is not None:
            self.server.shutdown()
        self.server.server_close()
        if self.thread is not None:
            self.thread.join(TIMEOUT)
            if self.thread.is_alive():
                raise BenchmarkError('the baseline thread did not end within '
                                     '%.0fs of shutdown()' % TIMEOUT)


def make_ours(scheme):
    return httptestserver.Server(scheme=scheme)


def make_baseline(scheme):
    return Baseline(scheme)


# -- the client and the port probe -------------------------------------------

def get(port, client_context=None):
    """GET / and return the whole response; raise unless it is a 200.

    The response is complete when its ``Content-Length`` bytes of body
    arrived (or, without one, at the close).  Bounded: ``TIMEOUT`` seconds
    per socket operation and in all, ``MAX_RESPONSE`` bytes.
    """
    deadline = clock() + TIMEOUT
    sock = socket.create_connection((HOST, port), TIMEOUT)
    try:
        if client_context is not None:
            sock = client_context.wrap_socket(sock, server_hostname=HOST)
        sock.sendall(b'GET / HTTP/1.1\r\nHost: 127.0.0.1:' +
                     str(port).encode('ascii') +
                     b'\r\nConnection: close\r\n\r\n')
        data = b''
        head_end = -1
        length = None
        while True:
            if head_end < 0:
                head_end = data.find(b'\r\n\r\n')
                if head_end >= 0:
                    length = _content_length(data[:head_end])
            if length is not None and len(data) >= head_end + 4 + length:
                break
            if len(data) > MAX_RESPONSE or clock() > deadline:
                raise BenchmarkError('no complete response from port %d '
                                     'within %d bytes and %.0fs' %
                                     (port, MAX_RESPONSE, TIMEOUT))
            chunk = sock.recv(65536)
            if not chunk:
                if head_end < 0 or length is not None:
                    raise BenchmarkError('port %d closed the connection '
                                         'mid-response: %r' % (port, data))
                break
            data += chunk
    finally:
        sock.close()
    if not data.startswith((b'HTTP/1.1 200 ', b'HTTP/1.0 200 ')):
        raise BenchmarkError('expected a 200 from port %d, got %r'
                             % (port, data[:200]))
    return data


def _content_length(head):
    for line in head.split(b'\r\n')[1:]:
        name, _, value = line.partition(b':')
        if name.strip().lower() == b'content-length':
            return int(value.strip())
    return None


def wait_port_free(port):
    """Bind *port* with SO_REUSEADDR; return (clock time, attempts).

    Retries while the port is in use, at most ``BIND_ATTEMPTS`` times and
    ``TIMEOUT`` seconds, then raises :class:`BenchmarkError`.
    """
    started = clock()
    attempt = 0
    while attempt < BIND_ATTEMPTS:  # not range(): a list on Python 2
        attempt += 1
        probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((HOST, port))
            return clock(), attempt
        except socket.error as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
        finally:
            probe.close()
        if clock() - started > TIMEOUT:
            break
    raise BenchmarkError('port %d still in use after stop: %d bind attempts '
                         'in %.1fs' % (port, attempt, clock() - started))


# -- one cycle ---------------------------------------------------------------

def cycle(make, scheme, client_context):
    """Create, start, GET, stop; return (start ms, stop ms, bind attempts)."""
    t0 = clock()
    server = make(scheme)
    stopping = False
    try:
        server.start()
        get(server.port, client_context)
        t1 = clock()
        stopping = True
        t2 = clock()
        server.stop()
        t3, attempts = wait_port_free(server.port)
    finally:
        if not stopping:
            server.stop()
    return (t1 - t0) * 1000.0, (t3 - t2) * 1000.0, attempts


class Series(object):
    """The samples of one server kind (ours/baseline, http/https)."""

    def __init__(self, name, make, scheme):
        self.name, self.make, self.scheme = name, make, scheme
        self.start, self.stop, self.attempts = [], [], []

    def run(self, client_context, record=True):
        """Run one cycle; keep its figures if *record*."""
        if self.scheme != 'https':
            client_context = None
        start, stop, attempts = cycle(self.make, self.scheme, client_context)
        if record:
            self.start.append(start)
            self.stop.append(stop)
            self.attempts.append(attempts)

    def summary(self):
        return OrderedDict([
            ('cycles', len(self.start)),
            ('start_ms', stats(self.start)),
            ('stop_ms', stats(self.stop)),
            ('port_free_at_first_bind',
             sum(1 for a in self.attempts if a == 1)),
            ('max_bind_attempts', max(self.attempts) if self.attempts
             else None),
        ])


def stats(samples):
    """Median, p90, min and max of *samples* (linear interpolation)."""
    if not samples:
        return None
    ordered = sorted(samples)

    def percentile(p):
        rank = (len(ordered) - 1) * p / 100.0
        low = int(rank)
        high = min(low + 1, len(ordered) - 1)
        return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)

    return OrderedDict([('median', percentile(50)), ('p90', percentile(90)),
                        ('min', ordered[0]), ('max', ordered[-1])])


def spread(count, total):
    """The *count* indexes out of range(*total*) spread evenly."""
    return set((i * total) // count for i in range(count)) if count else set()


def run(cycles, baseline_cycles, warmup, baseline_https):
    client_context = httptestserver.client_context()
    ours = [Series('httptestserver http', make_ours, 'http'),
            Series('httptestserver https', make_ours, 'https')]
    baseline = [Series('stdlib http', make_baseline, 'http')]
    if baseline_https:
        baseline.append(Series('stdlib https', make_baseline, 'https'))
    for series in ours * warmup + baseline * min(warmup, 1):
        series.run(client_context, record=False)
    baseline_at = spread(baseline_cycles, cycles)
    started = clock()
    for i in range(cycles):
        batch = list(ours) + (list(baseline) if i in baseline_at else [])
        if i % 2:
            batch.reverse()
        for series in batch:
            series.run(client_context)
    return ours + baseline, clock() - started


# -- targets and report ------------------------------------------------------

def evaluate(results):
    ours, base = results['httptestserver http'], results['stdlib http']
    ratios = OrderedDict([
        ('stop', base['stop_ms']['median'] / ours['stop_ms']['median']),
        ('start', base['start_ms']['median'] / ours['start_ms']['median']),
    ])
    if 'stdlib https' in results:
        ratios['start_https'] = (
            results['stdlib https']['start_ms']['median'] /
            results['httptestserver https']['start_ms']['median'])
    targets = [
        # name, value, comparison, target, checked by --check
        ('stop speed-up (stdlib median / ours)', ratios['stop'], '>=',
         STOP_RATIO_TARGET, True),
        ('start speed-up (stdlib median / ours)', ratios['start'], '>=',
         START_RATIO_TARGET, True),
        ('our stop median, ms', ours['stop_ms']['median'], '<=',
         STOP_TARGET_MS, False),
        ('our start -> first response median, ms',
         ours['start_ms']['median'], '<=', START_TARGET_MS, False),
    ]
    if 'start_https' in ratios:
        targets.insert(2, ('https start speed-up (stdlib median / ours)',
                           ratios['start_https'], '>=', START_RATIO_TARGET,
                           True))
    rows = []
    for name, value, op, target, checked in targets:
        ok = value >= target if op == '>=' else value <= target
        rows.append(OrderedDict([('name', name), ('value', value),
                                 ('op', op), ('target', target), ('ok', ok),
                                 ('checked', checked)]))
    return ratios, rows


def environment():
    return OrderedDict([
        ('python', platform.python_version()),
        ('implementation', platform.python_implementation()),
        ('executable', sys.executable),
        ('platform', platform.platform()),
        ('cpus', _cpu_count()),
        ('openssl', getattr(ssl, 'OPENSSL_VERSION', None)),
        ('httptestserver', getattr(httptestserver, '__version__', None)),
        ('httptestserver_path', os.path.dirname(
            os.path.abspath(httptestserver.__file__))),
    ])


def _cpu_count():
    try:
        import multiprocessing
        return multiprocessing.cpu_count()
    except (ImportError, NotImplementedError):
        return None


def print_table(report):
    env = report['environment']
    print('httptestserver %s from %s' % (env['httptestserver'],
                                         env['httptestserver_path']))
    print('%s %s on %s, %s CPUs, %s' % (
        env['implementation'], env['python'], env['platform'], env['cpus'],
        env['openssl']))
    print('%d cycles of ours (http and https), %d of the stdlib baseline '
          '(--baseline-cycles: each baseline stop costs ~0.5 s), '
          'interleaved; %d warm-up cycles; %.1f s' % (
              report['cycles'], report['baseline_cycles'], report['warmup'],
              report['seconds']))
    print()
    print('%-28s %8s %8s %8s %8s' % ('ms', 'median', 'p90', 'min', 'max'))
    for phase, key in (('start -> first response', 'start_ms'),
                       ('stop -> port free', 'stop_ms')):
        print(phase)
        for name, result in report['results'].items():
            s = result[key]
            print('  %-26s %8.2f %8.2f %8.2f %8.2f' % (
                name, s['median'], s['p90'], s['min'], s['max']))
    print()
    for name, result in report['results'].items():
        print('%s: port free at the first bind after stop in %d of %d '
              'cycles (at most %d attempt(s))' % (
                  name, result['port_free_at_first_bind'], result['cycles'],
                  result['max_bind_attempts']))
    print()
    for row in report['targets']:
        print('%-46s %9.2f  target %s %g: %s%s' % (
            row['name'], row['value'], row['op'], row['target'],
            'ok' if row['ok'] else 'MISSED',
            '' if row['checked'] else ' (not checked: absolute)'))


def main(argv=None):
    parser = argparse.ArgumentParser(
        description='Time start -> first response and stop -> port free of '
                    'httptestserver.Server against the stdlib http.server.')
    parser.add_argument('--cycles', type=int, default=200,
                        help='cycles of ours, http and https (default 200)')
    parser.add_argument('--baseline-cycles', type=int, default=None,
                        help='cycles of the stdlib baseline, spread among '
                             'ours (default: min(cycles, 40); each costs '
                             '~0.5 s)')
    parser.add_argument('--baseline-https', action='store_true',
                        help='also time the baseline over HTTPS')
    parser.add_argument('--warmup', type=int, default=3,
                        help='uncounted cycles first (default 3; baseline: '
                             'at most 1)')
    parser.add_argument('--json', action='store_true',
                        help='print the results as JSON')
    parser.add_argument('--check', action='store_true',
                        help='exit 1 if a ratio target fails')
    args = parser.parse_args(argv)
    if args.cycles < 1:
        parser.error('--cycles must be at least 1')
    baseline_cycles = args.baseline_cycles
    if baseline_cycles is None:
        baseline_cycles = min(args.cycles, 40)
    if not 1 <= baseline_cycles <= args.cycles:
        parser.error('--baseline-cycles must be from 1 to --cycles')
    if args.warmup < 0:
        parser.error('--warmup cannot be negative')

    try:
        series, seconds = run(args.cycles, baseline_cycles, args.warmup,
                              args.baseline_https)
    except (BenchmarkError, socket.error) as exc:
        print('benchmark failed: %s' % (exc,), file=sys.stderr)
        return 2
    results = OrderedDict()
    for s in series:
        results[s.name] = s.summary()
    ratios, targets = evaluate(results)
    report = OrderedDict([
        ('environment', environment()),
        ('cycles', args.cycles),
        ('baseline_cycles', baseline_cycles),
        ('warmup', args.warmup),
        ('seconds', seconds),
        ('results', results),
        ('ratios', ratios),
        ('targets', targets),
        ('ok', all(t['ok'] for t in targets if t['checked'])),
    ])
    if args.json:
        print(json.dumps(report, indent=2, separators=(',', ': ')))
    else:
        print_table(report)
    if args.check and not report['ok']:
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
