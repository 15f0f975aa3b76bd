"""The event loop: timers, calls from other threads, socket readiness, and
a callback that fails.  Each loop runs in a thread joined with a timeout."""
import errno
import logging
import socket
import ssl
import threading

import pytest

from conftest import TIMEOUT
from httptestserver.serving.loop import READ, WRITE, Loop, would_block


@pytest.fixture
def errors():
    return []


@pytest.fixture
def loop(errors):
    """A loop running in its own thread; stopped, joined and closed after
    the test."""
    loop = Loop(on_error=errors.append)
    thread = threading.Thread(target=loop.run, name='test-loop')
    thread.daemon = True
    thread.start()
    try:
        yield loop
    finally:
        loop.stop()
        thread.join(TIMEOUT)
        assert not thread.is_alive(), 'the loop did not stop'
        loop.close()


@pytest.fixture
def pair():
    a, b = socket.socketpair()
    a.setblocking(False)
    b.settimeout(TIMEOUT)
    try:
        yield a, b
    finally:
        a.close()
        b.close()


def in_loop(loop, function, *args):
    """Run ``function(*args)`` in the loop's thread; return its result."""
    done = threading.Event()
    result = []

    def call():
        try:
            result.append(function(*args))
        finally:
            done.set()
    assert loop.call_soon_threadsafe(call)
    assert done.wait(TIMEOUT), 'the loop did not run the call'
    return result[0]


class Collector(object):
    """Values appended from the loop, waited for with a deadline."""

    def __init__(self):
        self.items = []
        self.changed = threading.Condition()

    def add(self, item):
        with self.changed:
            self.items.append(item)
            self.changed.notify_all()

    def callback(self, item):
        return lambda *args: self.add(item)

    def wait_len(self, count):
        from httptestserver._compat import wait_for
        with self.changed:
            assert wait_for(self.changed,
                            lambda: len(self.items) >= count, TIMEOUT), \
                'saw only %r' % (self.items,)
            return list(self.items)


def test_call_later_runs_timers_in_order_of_their_due_time(loop):
    seen = Collector()

    def schedule():
        loop.call_later(0.03, seen.callback('late'))
        loop.call_later(0.0, seen.callback('now'))
        loop.call_later(0.01, seen.callback('soon'))
    in_loop(loop, schedule)
    assert seen.wait_len(3) == ['now', 'soon', 'late']


def test_timers_due_at_the_same_time_run_in_the_order_scheduled(loop):
    seen = Collector()

    def schedule():
        for name in 'abcde':
            loop.call_later(0.0, seen.callback(name))
    in_loop(loop, schedule)
    assert seen.wait_len(5) == list('abcde')


def test_a_cancelled_timer_never_runs(loop):
    seen = Collector()

    def schedule():
        loop.call_later(0.0, seen.callback('cancelled')).cancel()
        loop.call_later(0.01, seen.callback('kept'))
    in_loop(loop, schedule)
    assert seen.wait_len(1) == ['kept']
    in_loop(loop, lambda: None)
    assert seen.items == ['kept']


def test_cancelling_a_timer_twice_is_harmless(loop):
    timer = in_loop(loop, loop.call_later, 60, lambda: None)
    timer.cancel()
    timer.cancel()
    assert timer.cancelled


def test_call_soon_threadsafe_wakes_a_run_blocked_without_timers(loop):
    called = threading.Event()
    assert loop.call_soon_threadsafe(called.set)
    assert called.wait(TIMEOUT)


def test_call_soon_threadsafe_passes_arguments_and_runs_in_the_loop(loop):
    seen = Collector()
    loop.call_soon_threadsafe(
        lambda a, b: seen.add((a, b, loop.in_loop())), 1, 'two')
    assert seen.wait_len(1) == [(1, 'two', True)]
    assert not loop.in_loop()


def test_call_soon_runs_at_the_next_turn(loop):
    seen = Collector()
    in_loop(loop, loop.call_soon, seen.add, 'next turn')
    assert seen.wait_len(1) == ['next turn']


def test_a_readable_socket_calls_its_callback_with_read(loop, pair):
    a, b = pair
    seen = Collector()
    in_loop(loop, loop.add, a.fileno(), READ, seen.add)
    b.sendall(b'x')
    flags = seen.wait_len(1)[0]
    assert flags & READ
    in_loop(loop, loop.remove, a.fileno())


def test_a_writable_socket_calls_its_callback_with_write(loop, pair):
    a, b = pair
    seen = Collector()

    def once(flags):
        loop.remove(a.fileno())
        seen.add(flags)
    in_loop(loop, loop.add, a.fileno(), WRITE, once)
    assert seen.wait_len(1)[0] & WRITE


def test_modify_changes_the_readiness_waited_for(loop, pair):
    a, b = pair
    seen = Collector()

    def record(flags):
        seen.add(flags)
        loop.modify(a.fileno(), 0)  # once is enough
    in_loop(loop, loop.add, a.fileno(), 0, record)
    in_loop(loop, loop.modify, a.fileno(), WRITE)
    assert seen.wait_len(1)[0] & WRITE
    in_loop(loop, loop.remove, a.fileno())


def test_a_removed_socket_calls_its_callback_no_more(loop, pair):
    a, b = pair
    seen = Collector()
    in_loop(loop, loop.add, a.fileno(), READ, seen.add)
    in_loop(loop, loop.remove, a.fileno())
    b.sendall(b'x')
    in_loop(loop, lambda: None)  # a full turn with the byte pending
    in_loop(loop, lambda: None)
    assert seen.items == []


def test_removing_an_unregistered_fd_is_harmless(loop, pair):
    a, b = pair
    in_loop(loop, loop.remove, a.fileno())
    in_loop(loop, loop.add, a.fileno(), READ, lambda flags: None)
    in_loop(loop, loop.remove, a.fileno())
    in_loop(loop, loop.remove, a.fileno())


def test_a_callback_that_raises_is_logged_and_passed_to_on_error(
        loop, errors, caplog):
    seen = Collector()

    def fail():
        raise ValueError('boom')
    with caplog.at_level(logging.ERROR, logger='httptestserver'):
        loop.call_soon_threadsafe(fail)
        loop.call_soon_threadsafe(seen.add, 'after')
        assert seen.wait_len(1) == ['after']
    where, exc, text = errors[0]
    assert where == 'event loop'
    assert isinstance(exc, ValueError)
    assert 'boom' in text and 'Traceback' in text
    assert any('boom' in record.getMessage() for record in caplog.records)


def test_a_timer_that_raises_does_not_stop_the_loop(loop, errors):
    seen = Collector()

    def fail():
        raise KeyError('timer')

    def schedule():
        loop.call_later(0.0, fail)
        loop.call_later(0.01, seen.callback('later timer'))
    in_loop(loop, schedule)
    assert seen.wait_len(1) == ['later timer']
    assert isinstance(errors[0][1], KeyError)


def test_stop_from_another_thread_makes_run_return():
    loop = Loop()
    thread = threading.Thread(target=loop.run)
    thread.daemon = True
    thread.start()
    try:
        in_loop(loop, lambda: None)  # it runs
        loop.stop()
        thread.join(TIMEOUT)
        assert not thread.is_alive()
    finally:
        loop.stop()
        thread.join(TIMEOUT)
        loop.close()


def test_call_soon_threadsafe_after_close_returns_false():
    loop = Loop()
    loop.close()
    called = []
    assert loop.call_soon_threadsafe(called.append, 1) is False
    assert called == []


def test_close_and_stop_after_close_are_harmless():
    loop = Loop()
    loop.close()
    loop.close()
    loop.stop()


@pytest.mark.parametrize('code', [errno.EAGAIN, errno.EWOULDBLOCK,
                                  errno.EINTR])
def test_would_block_is_true_for_try_again_errors(code):
    assert would_block(socket.error(code, 'again'))


def test_would_block_is_false_for_other_errors():
    assert not would_block(socket.error(errno.ECONNRESET, 'reset'))
    assert not would_block(ValueError('no errno'))


@pytest.mark.skipif(not hasattr(ssl, 'SSLWantReadError'),
                    reason='no SSLWantReadError on this Python')
def test_would_block_is_true_when_tls_wants_to_read_or_write():
    assert would_block(ssl.SSLWantReadError())
    assert would_block(ssl.SSLWantWriteError())


def test_would_block_is_true_for_an_ssl_error_saying_want_read():
    assert would_block(ssl.SSLError(ssl.SSL_ERROR_WANT_READ, 'want read'))
    assert would_block(ssl.SSLError(ssl.SSL_ERROR_WANT_WRITE, 'want write'))
    assert not would_block(ssl.SSLError(ssl.SSL_ERROR_SSL, 'bad record'))


def test_a_nonblocking_recv_with_nothing_to_read_would_block(pair):
    a, b = pair
    with pytest.raises(socket.error) as info:
        a.recv(1)
    assert would_block(info.value)
