#!/usr/bin/env python3
"""Measure the Python work per request in the event loop, without sockets.

Throughput at many connections is bounded by what the one loop thread does
per request, so this times exactly that: a request head fed to a
connection of a running server (its loop thread idle), read, recorded and
answered into a socket stand-in that takes every byte, in this thread.  The
baseline is the standard library's ``BaseHTTPRequestHandler`` answering
the same head from a ``BytesIO`` with a fixed 2-byte body (its
``handle_one_request``, logging off).  Printed: CPU microseconds per request
(the lowest of ``--repeat`` runs of ``--requests`` each, process time, so
that other processes on a shared machine count less), the ratio to the
baseline, and Python calls per request for ours (``sys.setprofile``).

Usage::

    PYTHONPATH=. python3 benchmarks/per_request.py
    PYTHONPATH=. python3 benchmarks/per_request.py --requests 50000

Loopback only (the server is started, never connected to); it is stopped.
"""
from __future__ import print_function

import argparse
import io
import sys
import time
from http.server import BaseHTTPRequestHandler

import httptestserver
from httptestserver.serving.channel import Channel

HEAD = (b'GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: wrk\r\n'
        b'Accept: */*\r\n\r\n')


class _Sink(object):
    """A non-blocking socket that takes every byte at once."""

    def fileno(self):
        return -1

    def send(self, data):
        return len(data)

    def recv(self, size):
        return b''


class _StdlibHandler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def do_GET(self):
        self.send_response(200)
        self.send_header('Content-Length', '2')
        self.end_headers()
        self.wfile.write(b'ok')

    def log_message(self, *args):
        pass


def ours(kind, count):
    """Return (a function serving *count* requests, the server)."""
    server = httptestserver.Server().start()
    if kind == 'data':
        server.data['response_content'] = b'ok'
    else:  # a route among a few
        server.route('/other', body=b'no')
        server.route('/', body=b'ok')
    channel = Channel(server.engine, _Sink(), ('127.0.0.1', 5555))
    conn = channel.conn

    def run():
        for _ in range(count):
            conn.receive_data(HEAD)
            channel.process()
        server.store.reset()  # keep memory flat between runs
        if kind != 'data':
            server.route('/other', body=b'no')
            server.route('/', body=b'ok')
        else:
            server.data['response_content'] = b'ok'
    return run, server


def stdlib(count):
    handler = _StdlibHandler.__new__(_StdlibHandler)
    handler.client_address = ('127.0.0.1', 5555)
    handler.server = handler.request = None

    def run():
        handler.rfile = io.BytesIO(HEAD * count)
        handler.wfile = io.BytesIO()
        for _ in range(count):
            handler.handle_one_request()
    return run


def best_of(run, count, repeat):
    best = None
    for _ in range(repeat):
        started = time.process_time()
        run()
        spent = (time.process_time() - started) / count * 1e6
        best = spent if best is None else min(best, spent)
    return best


def calls_per_request(run, count):
    calls = [0]

    def profile(frame, event, arg):
        if event == 'call':
            calls[0] += 1
    sys.setprofile(profile)
    try:
        run()
    finally:
        sys.setprofile(None)
    return calls[0] / float(count)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--requests', type=int, default=20000)
    parser.add_argument('--repeat', type=int, default=5)
    args = parser.parse_args()
    count, repeat = args.requests, args.repeat
    baseline = best_of(stdlib(count), count, repeat)
    print('%-36s %8s %9s %13s' % ('answer', 'us/req', 'x stdlib',
                                  'py calls/req'))
    print('%-36s %8.1f %9.2f %13s' % ('stdlib BaseHTTPRequestHandler',
                                      baseline, 1.0, '-'))
    for kind, label in (('data', "httptestserver, data['response_*']"),
                        ('route', 'httptestserver, second of two routes')):
        run, server = ours(kind, count)
        small, other = ours(kind, 1000)
        try:
            run()  # warm up: the memo, the caches
            spent = best_of(run, count, repeat)
            small()
            calls = calls_per_request(small, 1000)
        finally:
            server.stop()
            other.stop()
        print('%-36s %8.1f %9.2f %13.0f' % (label, spent, spent / baseline,
                                            calls))


if __name__ == '__main__':
    main()
