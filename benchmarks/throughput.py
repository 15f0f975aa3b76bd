#!/usr/bin/env python3
"""Measure requests per second, latency and memory per record, side by side.

Runs this library's server, the standard library's ``ThreadingHTTPServer``
and pytest-httpserver (when it is installed) in this process, one after the
other, and points a load generator that is not Python at each: ``wrk``
(``apt-get install wrk`` on Debian/Ubuntu, ``brew install wrk`` on macOS).
Every server answers ``GET /`` with the same 2-byte body, over keep-alive
connections, at each concurrency (``--connections``, default 1, 16 and 64)
for ``--duration`` seconds (default 5), over HTTP and, with ``--https``,
over HTTPS too.  Printed per row: requests per second, p50 and p99 latency
(wrk's), the ratio to the stdlib server in the same run, socket errors, and
for this library whether every request wrk completed is in the history
exactly once (wrk counts completed responses; the history may hold a few
more, requests whose answers wrk cut off at the end).

``--memory N`` then records N keep-alive GETs (default 100,000) and prints
the bytes kept per recorded request (``tracemalloc``, after a collection).

Usage::

    PYTHONPATH=. python3 benchmarks/throughput.py
    PYTHONPATH=. python3 benchmarks/throughput.py --connections 64 --https
    PYTHONPATH=. python3 benchmarks/throughput.py --memory 100000 --no-load

The machine is shared and noisy: read the ratios, not the absolute numbers.
Loopback only; every server is stopped, every wrk run is bounded in time.
"""
from __future__ import print_function

import argparse
import gc
import http.client
import re
import shutil
import ssl
import subprocess
import sys
import threading
import time
import tracemalloc
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httptestserver

BODY = b'ok'


class _StdlibHandler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    # Its head and body go out in two writes: without this, Nagle's
    # algorithm and the client's delayed ACK hold each response ~40 ms.
    disable_nagle_algorithm = True

    def do_GET(self):
        self.send_response(200)
        self.send_header('Content-Length', str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, *args):
        pass


class Ours(object):
    name = 'httptestserver'

    def __init__(self, https):
        self.server = httptestserver.Server(
            scheme='https' if https else 'http').start()
        self.server.data['response_content'] = BODY
        self.url = self.server.url('/')

    def recorded(self):
        return len(self.server.history)

    def stop(self):
        self.server.stop()


class Stdlib(object):
    name = 'stdlib ThreadingHTTPServer'

    def __init__(self, https):
        self.server = ThreadingHTTPServer(('127.0.0.1', 0), _StdlibHandler)
        self.server.daemon_threads = True
        if https:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(httptestserver.SERVER_CERT_FILE)
            self.server.socket = context.wrap_socket(self.server.socket,
                                                     server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={'poll_interval': 0.05})
        self.thread.daemon = True
        self.thread.start()
        self.url = '%s://127.0.0.1:%d/' % ('https' if https else 'http',
                                           self.server.server_address[1])

    def recorded(self):
        return None

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


class PytestHttpserver(object):
    name = 'pytest-httpserver'

    def __init__(self, https):
        import logging
        from pytest_httpserver import HTTPServer
        logging.getLogger('werkzeug').setLevel(logging.ERROR)
        context = None
        if https:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(httptestserver.SERVER_CERT_FILE)
        self.server = HTTPServer(ssl_context=context)
        self.server.expect_request('/').respond_with_data(BODY)
        self.server.start()
        self.url = self.server.url_for('/')

    def recorded(self):
        return len(self.server.log)

    def stop(self):
        self.server.clear()
        self.server.stop()


def servers():
    kinds = [Ours, Stdlib]
    try:
        import pytest_httpserver  # noqa: F401
        kinds.append(PytestHttpserver)
    except ImportError:
        print('(pytest-httpserver not installed: pip install '
              'pytest-httpserver to compare with it)')
    return kinds


_UNITS = {'us': 1e-3, 'ms': 1.0, 's': 1000.0}


def _ms(text):
    match = re.match(r'([\d.]+)(us|ms|s)$', text)
    return float(match.group(1)) * _UNITS[match.group(2)] if match else None


def run_wrk(url, connections, duration):
    """Return (requests/s, p50 ms, p99 ms, completed, socket errors)."""
    threads = min(connections, 2)
    out = subprocess.run(
        ['wrk', '-t%d' % threads, '-c%d' % connections, '-d%ds' % duration,
         '--latency', url], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        universal_newlines=True, timeout=duration + 30).stdout
    rps = float(re.search(r'Requests/sec:\s+([\d.]+)', out).group(1))
    p50 = _ms(re.search(r'\s50%\s+(\S+)', out).group(1))
    p99 = _ms(re.search(r'\s99%\s+(\S+)', out).group(1))
    completed = int(re.search(r'(\d+) requests in', out).group(1))
    errors = 0
    match = re.search(r'Socket errors: connect (\d+), read (\d+), write '
                      r'(\d+), timeout (\d+)', out)
    if match:
        errors = sum(int(n) for n in match.groups())
    errors += int((re.search(r'Non-2xx or 3xx responses: (\d+)', out) or
                   re.match('()', '')).group(1) or 0)
    return rps, p50, p99, completed, errors


def load(args):
    for https in ([False, True] if args.https else [False]):
        print('\n%s, %ds per row' % ('HTTPS' if https else 'HTTP',
                                     args.duration))
        print('%-28s %5s %10s %8s %8s %7s %6s %s' % (
            'server', 'conns', 'req/s', 'p50 ms', 'p99 ms', 'x stdlib',
            'errors', 'recorded'))
        for connections in args.connections:
            rows = []
            for kind in servers():
                server = kind(https)
                try:
                    before = server.recorded()
                    rps, p50, p99, completed, errors = run_wrk(
                        server.url, connections, args.duration)
                    recorded = server.recorded()
                finally:
                    server.stop()
                if recorded is not None:
                    recorded = '%d of %d' % (recorded - (before or 0),
                                             completed)
                rows.append((kind.name, rps, p50, p99, errors, recorded))
            base = [r for r in rows if r[0].startswith('stdlib')][0][1]
            for name, rps, p50, p99, errors, recorded in rows:
                print('%-28s %5d %10.0f %8.3f %8.3f %7.2f %6d %s' % (
                    name, connections, rps, p50, p99, rps / base, errors,
                    recorded or '-'))


def memory(count):
    server = httptestserver.Server().start()
    server.data['response_content'] = BODY
    try:
        connection = http.client.HTTPConnection(server.host, server.port,
                                                timeout=10)
        connection.request('GET', '/')  # warm up: imports, caches
        connection.getresponse().read()
        server.reset()
        server.data['response_content'] = BODY
        gc.collect()
        tracemalloc.start()
        start = tracemalloc.get_traced_memory()[0]
        began = time.time()
        for _ in range(count):
            connection.request('GET', '/')
            connection.getresponse().read()
        took = time.time() - began
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - start
        tracemalloc.stop()
        connection.close()
        assert len(server.history) == count
        tracked = len(gc.get_objects())
    finally:
        server.stop()
    print('\nmemory: %d keep-alive GETs recorded in %.1fs; %d bytes kept '
          'per recorded request; %d objects tracked by the collector'
          % (count, took, kept // count, tracked))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--connections', type=int, nargs='+',
                        default=[1, 16, 64])
    parser.add_argument('--duration', type=int, default=5)
    parser.add_argument('--https', action='store_true')
    parser.add_argument('--memory', type=int, default=100000, metavar='N')
    parser.add_argument('--no-load', action='store_true',
                        help='skip the wrk runs (memory only)')
    args = parser.parse_args(argv)
    if not args.no_load:
        if shutil.which('wrk') is None:
            sys.exit('wrk is not installed (apt-get install wrk); '
                     'use --no-load for the memory figure alone')
        load(args)
    if args.memory:
        memory(args.memory)
    return 0


if __name__ == '__main__':
    sys.exit(main())
