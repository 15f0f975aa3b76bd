"""``python -m httptestserver``: serve until Ctrl-C, printing the URL.

Options: ``--https``, ``--host``, ``--port``, ``--client-cert``, ``--quiet``.
Each request is logged to stderr.  Prints the URL (and, for HTTPS, the CA
file a client should trust) on stdout as soon as the port is bound.
"""
import argparse
import logging
import signal
import sys
import threading

from .server import Server

__all__ = ['main']


def main(argv=None):
    """Run the command line; return the exit status."""
    parser = argparse.ArgumentParser(
        prog='python -m httptestserver',
        description='Run an httptestserver until Ctrl-C and print its URL.')
    parser.add_argument('--host', default='127.0.0.1',
                        help='address to listen on (default: 127.0.0.1)')
    parser.add_argument('--port', type=int, default=0,
                        help='port to listen on (default: a free one)')
    parser.add_argument('--https', action='store_true',
                        help='serve HTTPS with the bundled test certificate')
    parser.add_argument('--certfile', help='your own certificate (HTTPS)')
    parser.add_argument('--keyfile', help='its key, if not in certfile')
    parser.add_argument('--client-cert', choices=('optional', 'required'),
                        help='ask HTTPS clients for a certificate')
    parser.add_argument('--quiet', action='store_true',
                        help='do not log each request')
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO,
                        format='%(asctime)s %(message)s', stream=sys.stderr)
    kws = {}
    if args.https or args.certfile or args.client_cert:
        kws = dict(scheme='https', certfile=args.certfile,
                   keyfile=args.keyfile, client_cert=args.client_cert)
    try:
        server = Server(args.host, args.port, **kws)
    except Exception as exc:
        parser.exit(2, 'error: %s\n' % exc)
    done = threading.Event()
    # Our own handlers: a shell starts background jobs with SIGINT ignored,
    # and a KeyboardInterrupt could land inside stop().
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: done.set())
    with server:
        sys.stdout.write('Serving on %s\n' % server.url('/'))
        if server.ca_file:
            sys.stdout.write('Trust the test CA: %s\n' % server.ca_file)
        sys.stdout.write('Press Ctrl-C to stop.\n')
        sys.stdout.flush()
        while not done.is_set():
            # Python 2: a wait without timeout ignores signals.
            done.wait(0.5)
    sys.stdout.write('Stopped.\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
