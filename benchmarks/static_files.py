#!/usr/bin/env python
"""Measure how fast a mounted directory serves a large file, and its memory.

Run it against the checkout or an installed package::

    PYTHONPATH=/path/to/checkout python benchmarks/static_files.py
    python benchmarks/static_files.py --size-mb 256 --rounds 5

It makes a sparse file of ``--size-mb`` megabytes (default 1024) in a
temporary directory, serves it with ``serve_directory()`` and downloads it
``--rounds`` times (default 3) with a raw socket client that reads into one
reused buffer, so the client costs no memory.  The standard library's
``http.server`` serves the same file as the baseline (over HTTP only; it
reads in 64 KiB chunks too, through ``shutil.copyfileobj``).  It prints the
best MB/s of each and how much the process's peak RSS grew while ours
served: a server that read the file whole would grow by its size.

Python 2.7 and 3.6+; talks only to 127.0.0.1; removes its file at the end.
"""
from __future__ import print_function

import argparse
import os
import shutil
import socket
import sys
import tempfile
import threading
import time

try:
    import resource
except ImportError:  # not on Windows
    resource = None

try:  # Python 3
    from http.server import HTTPServer, SimpleHTTPRequestHandler
except ImportError:  # Python 2
    from BaseHTTPServer import HTTPServer
    from SimpleHTTPServer import SimpleHTTPRequestHandler

from httptestserver import Server
from httptestserver.static.mounts import serve_directory


def peak_rss_mb():
    if resource is None:
        return float('nan')
    scale = 1024.0 * 1024 if sys.platform == 'darwin' else 1024.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale


def download(port, name, size, timeout=60.0):
    """GET /name over a raw socket; return seconds taken."""
    started = time.time()
    sock = socket.create_connection(('127.0.0.1', port), timeout=timeout)
    try:
        sock.sendall(('GET /%s HTTP/1.1\r\nHost: localhost\r\n'
                      'Connection: close\r\n\r\n' % name).encode('ascii'))
        buf = bytearray(1 << 20)
        view = memoryview(buf)
        head = b''
        while b'\r\n\r\n' not in head:
            count = sock.recv_into(view)
            if not count:
                raise AssertionError('closed mid-head')
            head += bytes(buf[:count])
        received = len(head.split(b'\r\n\r\n', 1)[1])
        deadline = started + timeout
        while received < size and time.time() < deadline:
            count = sock.recv_into(view)
            if not count:
                break
            received += count
        if received != size:
            raise AssertionError('got %d of %d bytes' % (received, size))
    finally:
        sock.close()
    return time.time() - started


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def baseline_server(directory):
    # Python 2 and 3.6: no directory= argument; translate_path uses the cwd.
    class Handler(QuietHandler):
        def translate_path(self, path):
            return os.path.join(directory, path.lstrip('/'))
    server = HTTPServer(('127.0.0.1', 0), Handler)
    thread = threading.Thread(target=server.serve_forever)
    thread.daemon = True
    thread.start()
    return server, thread


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--size-mb', type=int, default=1024)
    parser.add_argument('--rounds', type=int, default=3)
    options = parser.parse_args()
    size = options.size_mb << 20
    directory = tempfile.mkdtemp(prefix='httptestserver-bench-')
    try:
        with open(os.path.join(directory, 'big.bin'), 'wb') as out:
            out.truncate(size)  # sparse: costs no disk
        before = peak_rss_mb()
        ours = []
        with Server().start() as server:
            serve_directory(server, '/', directory)
            for _ in range(options.rounds):
                ours.append(download(server.port, 'big.bin', size))
        grew = peak_rss_mb() - before
        base = []
        httpd, thread = baseline_server(directory)
        try:
            for _ in range(options.rounds):
                base.append(download(httpd.server_address[1], 'big.bin',
                                     size))
        finally:
            httpd.shutdown()
            httpd.server_close()
            thread.join(10)
        print('file: %d MB, %d rounds, Python %s' % (
            options.size_mb, options.rounds, sys.version.split()[0]))
        print('httptestserver: best %.0f MB/s; peak RSS grew %.1f MB'
              % (options.size_mb / min(ours), grew))
        print('http.server:    best %.0f MB/s'
              % (options.size_mb / min(base)))
    finally:
        shutil.rmtree(directory)


if __name__ == '__main__':
    main()
