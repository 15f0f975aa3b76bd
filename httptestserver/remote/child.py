"""The child process's life: spawn ``python -m httptestserver``, wait until
it serves, surface its error output, stop it, and never let it outlive us.

:class:`ChildProcess` starts the command-line server with the same (or a
given) interpreter and returns once the child has printed its ready banner
(read from its standard output with a deadline: no sleeping).  The child
exits when its standard input, a pipe from this process, reaches end of
file, so it dies with whatever killed the parent; and since a process the
parent forked keeps that pipe open, the child also watches its parent
(:func:`watch_parent`, which the command line runs).
:meth:`ChildProcess.kill` closes the pipe and kills by PID past a timeout.
:func:`stop_at_exit` stops what is still running when the interpreter
exits.  This module knows nothing of the control API: that is
:mod:`httptestserver.remote.process`.
"""
import atexit
import errno
import math
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
import weakref

import six

from .. import tls
from .._compat import monotonic
from ..errors import ConfigurationError, ServerStateError

__all__ = ['ChildProcess', 'server_args', 'stub_args', 'stop_at_exit',
           'forget_at_exit', 'watch_parent', 'PARENT_POLL']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, List, Optional, Tuple  # noqa: F401

_PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_READY = 'Press Ctrl-C to stop.'
#: What to stop at exit, and the PID of the process that may stop it.
_AT_EXIT = weakref.WeakKeyDictionary()  # type: Any
#: Seconds between two looks at the parent, where no signal tells of its
#: death (not Linux): the longest a child may outlive it.
PARENT_POLL = 0.5
_PR_SET_PDEATHSIG = 1  # linux/prctl.h


class ChildProcess(object):
    """A running ``python -m httptestserver --quiet --exit-with-stdin ARGS``.

    Creating one starts the child and blocks until it prints its ready
    banner or *start_timeout* seconds pass; the banner's lines are in
    :attr:`lines`, and what they announce in :attr:`url`, :attr:`ca_file`
    and :attr:`control_url` (None when not announced).
    *control_token* is handed to the child in its environment (None: none,
    whatever ours holds); *python* picks the interpreter (default: this
    one).  A child that exits first raises :class:`ConfigurationError` (exit
    status 2: a bad argument) or :class:`ServerStateError`, with its error
    output; a failed start leaves no process behind.  Not thread-safe: the
    owner serialises :meth:`kill`.
    """

    def __init__(self, args, control_token=None, start_timeout=30.0,
                 python=None):
        # type: (List[str], Optional[str], float, Optional[str]) -> None
        self.owner = os.getpid()  # a forked copy must not stop our child
        env = dict(os.environ)
        env['PYTHONUNBUFFERED'] = '1'
        if os.path.basename(_PACKAGE_PARENT) not in ('site-packages',
                                                     'dist-packages'):
            # A source checkout: let the child import this very package.
            env['PYTHONPATH'] = os.pathsep.join(
                [_PACKAGE_PARENT] + [p for p in [env.get('PYTHONPATH')] if p])
        if control_token is not None:
            env['HTTPTESTSERVER_CONTROL_TOKEN'] = control_token
        else:
            env.pop('HTTPTESTSERVER_CONTROL_TOKEN', None)
        self._stderr = tempfile.TemporaryFile()
        command = [python or sys.executable, '-m', 'httptestserver',
                   '--quiet', '--exit-with-stdin',
                   '--parent-pid', str(os.getpid())] + list(args)
        self._proc = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self._stderr, close_fds=True, env=env)  # type: Any
        _cloexec(self._proc.stdin)
        try:
            self.lines = self._read_ready(start_timeout)
            self._parse_ready(self.lines)
        except BaseException:
            self.kill()
            raise

    def _read_ready(self, timeout):
        """Read the child's banner lines up to the ready line."""
        deadline = monotonic() + timeout
        fd = self._proc.stdout.fileno()
        data = b''
        while _READY.encode('ascii') not in data:
            remaining = deadline - monotonic()
            if remaining <= 0:
                raise ServerStateError(
                    'the child server did not start within %ss; its output '
                    'was: %s%s' % (timeout, data.decode('utf-8', 'replace'),
                                   self.error_text()))
            if not _readable(fd, remaining):
                continue
            chunk = os.read(fd, 4096)
            if not chunk:
                self._wait_exit(5.0)
                code = self._proc.poll()
                text = self.error_text()
                error = ConfigurationError if code == 2 else ServerStateError
                raise error('the child server exited with status %s before '
                            'it served: %s' % (code, text.strip() or
                                               '(no error output)'))
            data += chunk
        return data.decode('utf-8').splitlines()

    def _parse_ready(self, lines):
        self.ca_file = None  # type: Optional[str]
        self.control_url = None  # type: Optional[str]
        for line in lines:
            if line.startswith('Serving on '):
                self.url = line.split(' ', 2)[2].strip()
            elif line.startswith('Trust the test CA: '):
                self.ca_file = line.split(': ', 1)[1].strip()
            elif line.startswith('Control API: '):
                self.control_url = line.split(': ', 1)[1].strip()

    @property
    def pid(self):
        # type: () -> int
        """The child's process id."""
        return self._proc.pid

    def poll(self):
        # type: () -> Optional[int]
        """The child's exit status, or None while it runs.  Never blocks."""
        return self._proc.poll()

    def error_text(self):
        # type: () -> str
        """Everything the child wrote to its standard error so far ('' once
        :meth:`kill` closed it)."""
        try:
            self._stderr.seek(0)
            return self._stderr.read().decode('utf-8', 'replace')
        except (IOError, OSError, ValueError):
            return ''

    def kill(self, timeout=5.0):
        # type: (float) -> None
        """Close the child's standard input (it exits on end of file), kill
        it by PID if it has not exited within *timeout* seconds, reap it and
        close our ends of its pipes.  Blocks until it is gone."""
        proc = self._proc
        for stream in (proc.stdin,):
            try:
                stream.close()  # the child exits on end of file
            except (IOError, OSError):
                pass
        if not self._wait_exit(timeout):
            proc.kill()
        proc.wait()
        proc.stdout.close()
        self._stderr.close()

    def _wait_exit(self, timeout):
        """Wait until the child closes its stdout (it is exiting) and reap
        it; return False if *timeout* passed first."""
        deadline = monotonic() + timeout
        fd = self._proc.stdout.fileno()
        while True:
            remaining = deadline - monotonic()
            if remaining <= 0:
                return self._proc.poll() is not None
            if _readable(fd, remaining):
                try:
                    if not os.read(fd, 4096):
                        break
                except OSError:
                    break
        # stdout is closed: the child is exiting; reap it.
        if six.PY2:  # Python 2: no timeout; the exit follows the close
            self._proc.wait()
        else:
            try:
                self._proc.wait(max(0.1, deadline - monotonic()))
            except subprocess.TimeoutExpired:
                return False
        return True


def server_args(host=None, port=None, scheme='http', certfile=None,
                keyfile=None, client_cert=None, cafile=None):
    # type: (Optional[str], Optional[int], str, Optional[str], Optional[str], Optional[str], Optional[str]) -> List[str]  # noqa: E501
    """The command-line arguments that make the child serve so (the
    arguments mean what they mean for :class:`~httptestserver.Server`).
    Raises :class:`ConfigurationError` for a scheme other than "http" or
    "https", or a TLS file given without HTTPS."""
    if scheme not in ('http', 'https'):
        raise ConfigurationError('scheme must be "http" or "https", got '
                                 '%r' % (scheme,))
    args = []  # type: List[str]
    if host is not None:
        args += ['--host', str(host)]
    if port is not None:
        args += ['--port', str(port)]
    if scheme == 'https':
        args.append('--https')
        for flag, value in (('--certfile', certfile),
                            ('--keyfile', keyfile),
                            ('--client-cert', client_cert),
                            ('--cafile', cafile)):
            if value is not None:
                args += [flag, str(value)]
    else:
        tls.refuse_without_https(certfile=certfile, keyfile=keyfile,
                                 client_cert=client_cert, cafile=cafile)
    return args


def stub_args(stubs):
    # type: (Any) -> Tuple[List[str], List[Any]]
    """Split the ``stubs`` a child is started with: the command-line
    arguments that load the stub files (a path or list of paths, made
    absolute), and the stub dicts, which the caller adds once the child
    serves."""
    args = []  # type: List[str]
    dicts = []  # type: List[Any]
    for item in ([] if stubs is None else [stubs] if isinstance(
            stubs, six.string_types) else stubs):
        if isinstance(item, six.string_types):
            args += ['--stubs', os.path.abspath(item)]
        else:
            dicts.append(item)
    return args, dicts


def stop_at_exit(owner):
    # type: (Any) -> None
    """Call ``owner.stop(timeout=2.0)`` when the interpreter exits, unless
    :func:`forget_at_exit` came first.  Holds *owner* weakly; only the
    process that called this stops it (not a forked copy)."""
    _AT_EXIT[owner] = os.getpid()


def forget_at_exit(owner):
    # type: (Any) -> None
    """Undo :func:`stop_at_exit`; harmless if not registered."""
    _AT_EXIT.pop(owner, None)


@atexit.register
def _stop_children():
    for owner, pid in list(_AT_EXIT.items()):
        if pid != os.getpid():
            continue
        try:
            owner.stop(timeout=2.0)
        except Exception:
            pass


def watch_parent(parent_pid, on_gone, interval=PARENT_POLL,
                 death_signal=True):
    # type: (int, Any, float, bool) -> None
    """In a child: call *on_gone* once process *parent_pid* is no longer
    our parent (it died; we were handed to init or a subreaper).

    On Linux the kernel signals us the moment it dies (``prctl``'s
    ``PR_SET_PDEATHSIG``, with ``SIGUSR2``, whose handler checks it was not
    merely the thread that started us that exited); elsewhere, or with
    *death_signal* False, a daemon thread looks every *interval* seconds.
    Returns at once; *on_gone* runs in the main thread (a signal handler)
    or in that thread.  Call it from the main thread.
    """
    if death_signal and _signal_on_death(parent_pid, on_gone):
        return
    stop = threading.Event()

    def look():
        while os.getppid() == parent_pid:
            stop.wait(interval)
        on_gone()
    thread = threading.Thread(target=look, name='httptestserver-parent')
    thread.daemon = True
    thread.start()


def _signal_on_death(parent_pid, on_gone):
    """Ask Linux to send SIGUSR2 when our parent dies; False if it cannot."""
    if not sys.platform.startswith('linux'):
        return False
    try:
        import ctypes
        import ctypes.util
        libc = ctypes.CDLL(ctypes.util.find_library('c') or 'libc.so.6',
                           use_errno=True)
        prctl = libc.prctl
    except (ImportError, OSError, AttributeError):
        return False

    def handler(signum, frame):
        # Sent when the thread that forked us exits, too: check the process.
        if os.getppid() != parent_pid:
            on_gone()
    try:
        previous = signal.signal(signal.SIGUSR2, handler)
    except ValueError:  # not the main thread: no handler, so poll
        return False
    if prctl(_PR_SET_PDEATHSIG, int(signal.SIGUSR2), 0, 0, 0) != 0:
        signal.signal(signal.SIGUSR2, previous)
        return False
    if os.getppid() != parent_pid:  # it died before we asked
        on_gone()
    return True


def _readable(fd, timeout):
    """Wait up to *timeout* seconds for *fd* to be readable (poll: no
    limit on descriptor numbers, unlike select)."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    try:
        return bool(poller.poll(int(math.ceil(max(0.0, timeout) * 1000))))
    except (select.error, OSError) as exc:
        # Python 2: EINTR is not retried for us.
        if exc.args and exc.args[0] == errno.EINTR:
            return False
        raise


def _cloexec(stream):
    """Keep our end of the child's stdin out of processes we start later,
    so the child sees end of file when we die.  # Python 2 (3 does it)"""
    try:
        import fcntl
        fd = stream.fileno()
        fcntl.fcntl(fd, fcntl.F_SETFD,
                    fcntl.fcntl(fd, fcntl.F_GETFD) | fcntl.FD_CLOEXEC)
    except (ImportError, IOError, OSError):
        pass
