"""The command line, ``python -m httptestserver``: serve until Ctrl-C.

Options: ``--https``, ``--host``, ``--port``, ``--client-cert``, ``--cafile``,
``--stubs DIR_OR_FILE`` (WireMock mapping files), ``--directory DIR``,
``--port-file FILE``, ``--control-token``, ``--no-control``,
``--exit-with-stdin`` and ``--parent-pid PID`` (for a parent process),
``--history-limit N`` and ``--history-bytes SIZE`` (the last N requests
are kept, default 1000, and at most SIZE bytes of their bodies, default
64M, so a long-running server's memory stays flat), ``--quiet``.  Each
request is logged to stderr.  As soon as the port is bound it prints on
stdout the URL, (for HTTPS) the CA file a client should trust, the control
API base, and
``Press Ctrl-C to stop.``, having written the port file first.  Exits with
status 0 on ``SIGTERM``, Ctrl-C, ``POST /__admin/shutdown`` or, with
``--exit-with-stdin``, when its standard input reaches end of file (the
parent process is gone); with status 2 on a bad argument.
"""
import argparse
import binascii
import logging
import os
import signal
import sys
import threading

from .remote.child import watch_parent
from .remote.control import TOKEN_HEADER, ControlAPI, enable_control, \
    is_loopback
from .errors import ConfigurationError
from .server import Server
from .remote.wiremock import load_stubs

__all__ = ['main']

TOKEN_ENV = 'HTTPTESTSERVER_CONTROL_TOKEN'
#: Requests the command line keeps in its history by default.
HISTORY_LIMIT = 1000
#: Bytes of request bodies it keeps by default: with the heads of
#: HISTORY_LIMIT requests, a long-running server stays under ~100 MB.
HISTORY_BYTES = '64M'
_UNITS = {'': 1, 'K': 1 << 10, 'M': 1 << 20, 'G': 1 << 30}


def _size(text):
    """Parse ``65536``, ``64K``, ``64M`` or ``1G`` into bytes."""
    number, unit = text.strip(), ''
    if number[-1:].upper() in _UNITS:
        number, unit = number[:-1], number[-1:].upper()
    if not number.isdigit():
        raise argparse.ArgumentTypeError(
            'give a number of bytes, with K, M or G if you like (64M), or 0 '
            'for no limit; got %r' % (text,))
    return int(number) * _UNITS[unit]


def _parser():
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
    parser.add_argument('--cafile', help='CA that signs client certificates'
                        ' (default: the test CA)')
    parser.add_argument('--stubs', action='append', default=[],
                        metavar='DIR_OR_FILE',
                        help='serve the stubs in this JSON file or directory'
                             ' (WireMock mappings; may be repeated)')
    parser.add_argument('--directory', metavar='DIR',
                        help='serve the files of DIR at / (after any stub)')
    parser.add_argument('--history-limit', type=int, default=HISTORY_LIMIT,
                        metavar='N',
                        help='keep only the last N requests in the history '
                             '(default: %(default)s; 0 for no limit), and at '
                             'most --history-bytes of their bodies, so a '
                             'long-running server does not grow')
    parser.add_argument('--history-bytes', type=_size, default=HISTORY_BYTES,
                        metavar='SIZE',
                        help='keep at most SIZE bytes of request bodies in '
                             'the history (default: %(default)s; K, M, G '
                             'suffixes; 0 for no limit): past it the oldest '
                             'bodies are let go, their entries saying '
                             'body_dropped')
    parser.add_argument('--port-file', metavar='FILE',
                        help='write the bound port to FILE once listening')
    parser.add_argument('--no-control', action='store_true',
                        help='turn the /__admin control API off')
    parser.add_argument('--control-token', metavar='TOKEN',
                        help='require TOKEN in the %s header of control '
                             'requests (default: $%s; one is made up when '
                             '--host is not loopback)' % (TOKEN_HEADER,
                                                          TOKEN_ENV))
    parser.add_argument('--exit-with-stdin', action='store_true',
                        help='exit when standard input reaches end of file '
                             '(used by a parent process)')
    parser.add_argument('--parent-pid', type=int, metavar='PID',
                        help='exit when process PID, our parent, exits '
                             '(used by a parent process)')
    parser.add_argument('--quiet', action='store_true',
                        help='do not log each request')
    return parser


def main(argv=None):
    """Run the command line; return the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO,
                        format='%(asctime)s %(message)s', stream=sys.stderr)
    kws = {}
    if args.https or args.certfile or args.client_cert:
        kws = dict(scheme='https', certfile=args.certfile,
                   keyfile=args.keyfile, client_cert=args.client_cert,
                   cafile=args.cafile)
    token = args.control_token or os.environ.get(TOKEN_ENV) or None
    made_up = False
    if not args.no_control and token is None and not is_loopback(args.host):
        token = binascii.hexlify(os.urandom(16)).decode('ascii')
        made_up = True
    done = threading.Event()
    try:
        stubs = []
        # The first directory is the root: reloaded by mappings/reset,
        # written by mappings/save, its __files serve bodyFileName.
        root = next((p for p in args.stubs if os.path.isdir(p)), None)
        for path in args.stubs:
            if path != root:
                stubs.extend(load_stubs(path))
        count = len(stubs)
        if root is not None:  # a bad file: refuse to start
            count += len(load_stubs(root))
        if args.history_limit < 0:
            raise ConfigurationError('--history-limit must be 0 (no limit) '
                                     'or more, got %d' % args.history_limit)
        server = Server(args.host, args.port, directory=args.directory, **kws)
        server.store.history_limit = args.history_limit or None
        server.store.records.body_limit = args.history_bytes or None
    except ConfigurationError as exc:
        parser.exit(2, 'error: %s\n' % exc)
    except Exception as exc:
        parser.exit(2, 'error: %s\n' % exc)
    control = None
    try:
        if not args.no_control:
            control = enable_control(server, token=token, stubs=stubs,
                                     on_shutdown=done.set, root=root)
        elif stubs or root:  # the stubs still serve; nothing answers /__admin
            ControlAPI(server, token='not-served', stubs=stubs, root=root)
    except ConfigurationError as exc:
        server.stop()
        parser.exit(2, 'error: %s\n' % exc)
    # Our own handlers: a shell starts background jobs with SIGINT ignored,
    # and a KeyboardInterrupt could land inside stop().
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: done.set())
    if args.exit_with_stdin:
        _watch_stdin(done)
    if args.parent_pid is not None:  # a forked copy may hold our stdin
        watch_parent(args.parent_pid, done.set)
    # No check() at the end: unmatched requests are the client's business
    # and were logged; a traceback at exit would only confuse a script.
    server.start()
    try:
        if args.port_file:  # before the banner: whoever reads it finds it
            try:
                _write_port(args.port_file, server.port)
            except (IOError, OSError) as exc:
                parser.exit(2, 'error: cannot write --port-file %s: %s\n'
                            % (args.port_file, exc))
        sys.stdout.write('Serving on %s\n' % server.url('/'))
        if server.ca_file:
            sys.stdout.write('Trust the test CA: %s\n' % server.ca_file)
        if control is not None:
            sys.stdout.write('Control API: %s\n' % control.url())
            if made_up:
                sys.stdout.write('Control token: %s\n' % token)
        if count:
            sys.stdout.write('Stubs: %d\n' % count)
        sys.stdout.write('Press Ctrl-C to stop.\n')
        sys.stdout.flush()
        while not done.is_set():
            # Python 2: a wait without timeout ignores signals.
            done.wait(0.5)
        if control is not None:
            control.close()  # answer pending waits, so stop is quick
    finally:
        server.stop()
        if args.port_file:
            _remove(args.port_file)
    try:
        sys.stdout.write('Stopped.\n')
        sys.stdout.flush()
    except (IOError, OSError):  # nobody reads our output any more
        pass
    return 0


def _write_port(path, port):
    """Write *port* to *path* atomically: a reader sees all of it or none."""
    temporary = '%s.%d.tmp' % (path, os.getpid())
    with open(temporary, 'w') as handle:
        handle.write('%d\n' % port)
    os.rename(temporary, path)


def _remove(path):
    try:
        os.remove(path)
    except OSError:
        pass


def _watch_stdin(done):
    """Set *done* when standard input reaches end of file: the parent that
    holds the other end of the pipe has exited, however it died."""
    def watch():
        try:
            while os.read(0, 4096):
                pass
        except OSError:
            pass
        done.set()
    thread = threading.Thread(target=watch, name='httptestserver-stdin')
    thread.daemon = True
    thread.start()
