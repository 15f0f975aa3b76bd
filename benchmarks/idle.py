#!/usr/bin/env python3
"""Measure what idle keep-alive connections and held answers cost.

Opens ``--idle`` keep-alive connections (default 2,000) that each make one
request and then stay open and silent, plus ``--held`` connections (default
200) whose request is answered by a ``never`` fault (held until the client
leaves).  Then, for ``--seconds`` (default 5), it measures the server's
threads and the CPU the whole process uses while nothing happens; then it
sends one more request on every idle connection and checks each gets its
answer; then it times ``stop()``.  Side by side: this library and the
standard library's ``ThreadingHTTPServer`` (idle connections only: it has
no held answers).  Targets of the event-driven engine: at most 16 threads,
at most 5% of one core, every idle connection answered, stop under 1 s.

Usage::

    PYTHONPATH=. python3 benchmarks/idle.py [--idle 2000] [--held 200]

Loopback only; the descriptor limit is raised to what it needs within the
hard limit; every socket and server is closed at the end.
"""
from __future__ import print_function

import argparse
import resource
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httptestserver

REQUEST = b'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n'
HELD = b'GET /never HTTP/1.1\r\nHost: localhost\r\n\r\n'
TIMEOUT = 10.0


class _Stdlib(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    disable_nagle_algorithm = True

    def do_GET(self):
        self.send_response(200)
        self.send_header('Content-Length', '2')
        self.end_headers()
        self.wfile.write(b'ok')

    def log_message(self, *args):
        pass


def read_response(sock):
    """Read one small response (head + 2-byte body); bounded by TIMEOUT."""
    data = b''
    deadline = time.time() + TIMEOUT
    while not data.endswith(b'ok') and time.time() < deadline:
        chunk = sock.recv(4096)
        if not chunk:
            raise AssertionError('the server closed the connection')
        data += chunk
    if not data.startswith(b'HTTP/1.1 200'):
        raise AssertionError('unexpected answer %r' % data[:80])


def open_idle(port, count):
    socks = []
    for _ in range(count):
        sock = socket.create_connection(('127.0.0.1', port), timeout=TIMEOUT)
        sock.sendall(REQUEST)
        read_response(sock)
        socks.append(sock)
    return socks


def open_held(port, count):
    socks = []
    for _ in range(count):
        sock = socket.create_connection(('127.0.0.1', port), timeout=TIMEOUT)
        sock.sendall(HELD)
        socks.append(sock)
    return socks


def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(name, port, thread_prefix, idle, held, seconds, stop,
            arrived=lambda count: None):
    socks = open_idle(port, idle) + open_held(port, held)
    try:
        arrived(held)  # every held request is in: the server holds them
        threads_before = len([t for t in threading.enumerate()
                              if t.name.startswith(thread_prefix)])
        started, used = time.time(), cpu()
        time.sleep(seconds)  # the measurement: nothing happens meanwhile
        share = (cpu() - used) / (time.time() - started) * 100
        answered = 0
        for sock in socks[:idle]:
            sock.sendall(REQUEST)
            read_response(sock)
            answered += 1
        began = time.time()
        stop()
        stop_ms = (time.time() - began) * 1000
    finally:
        for sock in socks:
            sock.close()
    print('%-28s %6d %5d %8d %7.1f%% %9s %8.1f' % (
        name, idle, held, threads_before, share,
        '%d/%d' % (answered, idle), stop_ms))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--idle', type=int, default=2000)
    parser.add_argument('--held', type=int, default=200)
    parser.add_argument('--seconds', type=float, default=5.0)
    args = parser.parse_args(argv)
    need = 2 * (args.idle + args.held) + 256
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        if hard != resource.RLIM_INFINITY and hard < need:
            sys.exit('needs %d descriptors; the hard limit is %d' % (need,
                                                                     hard))
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))
    print('%d idle keep-alive connections + %d held answers, %gs of '
          'silence' % (args.idle, args.held, args.seconds))
    print('%-28s %6s %5s %8s %8s %9s %8s' % (
        'server', 'idle', 'held', 'threads', 'CPU', 'answered', 'stop ms'))

    server = httptestserver.Server()
    server.route('/never', fault='never')
    server.route('/', body=b'ok')
    server.start()
    measure('httptestserver', server.port, 'httptestserver-%d' %
            server.port, args.idle, args.held, args.seconds,
            lambda: server.stop(timeout=5))

    stdlib = ThreadingHTTPServer(('127.0.0.1', 0), _Stdlib)
    stdlib.daemon_threads = True
    thread = threading.Thread(target=stdlib.serve_forever,
                              name='stdlib-serve')
    thread.daemon = True
    thread.start()

    def stop_stdlib():
        stdlib.shutdown()
        stdlib.server_close()
    measure('stdlib ThreadingHTTPServer', stdlib.server_address[1], 'Thread',
            args.idle, 0, args.seconds, stop_stdlib)
    return 0


if __name__ == '__main__':
    sys.exit(main())
