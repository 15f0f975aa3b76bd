"""The worker pool: a slow task never holds another, idle threads end,
and a task that fails is logged while its worker goes on."""
import logging
import threading

import pytest

from conftest import TIMEOUT
from httptestserver._compat import wait_for
from httptestserver.serving.workers import Workers


@pytest.fixture
def workers():
    pool = Workers('test', idle_timeout=TIMEOUT)
    try:
        yield pool
    finally:
        pool.close()


class IdleSignal(object):
    """Swapped in for a pool's condition: tells when a worker waits idle.

    ``wait`` is entered with the pool's lock held and the worker counted as
    idle, so a task submitted after :meth:`wait_idle` goes to that worker.
    """

    def __init__(self, pool):
        self._condition = pool._wake
        self.idle = threading.Event()
        pool._wake = self

    def wait(self, timeout=None):
        self.idle.set()
        return self._condition.wait(timeout)

    def notify(self, n=1):
        self.idle.clear()
        self._condition.notify(n)

    def notify_all(self):
        self._condition.notify_all()

    def wait_idle(self):
        assert self.idle.wait(TIMEOUT), 'no worker became idle'


def join_all(pool, threads):
    for thread in threads:
        thread.join(TIMEOUT)
        assert not thread.is_alive(), 'worker %s did not end' % thread.name


def submit_recording(pool, task):
    """Submit *task*; return (event set once it ran, [worker thread])."""
    done = threading.Event()
    ran_in = []

    def run():
        ran_in.append(threading.current_thread())
        try:
            task()
        finally:
            done.set()
    pool.submit(run)
    return done, ran_in


def test_submit_runs_the_task_in_a_worker_thread(workers):
    done, ran_in = submit_recording(workers, lambda: None)
    assert done.wait(TIMEOUT)
    assert ran_in[0] is not threading.current_thread()
    assert ran_in[0].name == 'test-worker'
    assert ran_in[0].daemon


def test_a_slow_task_never_holds_another(workers):
    release = threading.Event()
    try:
        slow, _ = submit_recording(workers, lambda: release.wait(TIMEOUT))
        quick, _ = submit_recording(workers, lambda: None)
        assert quick.wait(TIMEOUT), 'the second task waited for the first'
        assert not slow.is_set()
    finally:
        release.set()
    assert slow.wait(TIMEOUT)


def test_tasks_blocked_on_each_other_all_run_concurrently(workers):
    count = 5
    barrier = threading.Condition()
    arrived = []

    def meet():
        with barrier:
            arrived.append(1)
            barrier.notify_all()
            assert wait_for(barrier, lambda: len(arrived) == count, TIMEOUT)
    events = [submit_recording(workers, meet)[0] for _ in range(count)]
    for event in events:
        assert event.wait(TIMEOUT)
    assert len(arrived) == count


def test_an_idle_worker_takes_the_next_task(workers):
    signal = IdleSignal(workers)
    first, ran_first = submit_recording(workers, lambda: None)
    assert first.wait(TIMEOUT)
    signal.wait_idle()
    second, ran_second = submit_recording(workers, lambda: None)
    assert second.wait(TIMEOUT)
    assert ran_second[0] is ran_first[0]
    assert len(workers) == 1


def test_idle_threads_end_after_idle_timeout():
    pool = Workers('idle', idle_timeout=0.05)
    try:
        done, ran_in = submit_recording(pool, lambda: None)
        assert done.wait(TIMEOUT)
        join_all(pool, ran_in)
        assert len(pool) == 0
        assert not pool.is_worker(ran_in[0])
    finally:
        pool.close()


def test_close_ends_idle_workers_at_once(workers):
    done, ran_in = submit_recording(workers, lambda: None)
    assert done.wait(TIMEOUT)
    workers.close()
    join_all(workers, ran_in)  # idle_timeout is TIMEOUT: close woke it
    assert len(workers) == 0


def test_is_worker_tells_a_worker_thread_from_others(workers):
    answers = []
    asked = threading.Event()
    release = threading.Event()

    def ask():
        answers.append(workers.is_worker())
        asked.set()
        release.wait(TIMEOUT)
    try:
        done, ran_in = submit_recording(workers, ask)
        assert asked.wait(TIMEOUT)
        assert workers.is_worker(ran_in[0])
        assert not workers.is_worker()
        assert not workers.is_worker(threading.current_thread())
    finally:
        release.set()
    assert done.wait(TIMEOUT)
    assert answers == [True]
    assert len(ran_in) == 1


def test_submit_after_close_raises_runtime_error(workers):
    workers.close()
    with pytest.raises(RuntimeError) as info:
        workers.submit(lambda: None)
    assert 'test' in str(info.value) and 'closed' in str(info.value)


def test_close_twice_is_harmless(workers):
    workers.close()
    workers.close()


def test_a_task_that_raises_is_logged_and_the_worker_goes_on(
        workers, caplog):
    def fail():
        raise ValueError('task failed')
    signal = IdleSignal(workers)
    with caplog.at_level(logging.ERROR, logger='httptestserver'):
        failed, ran_failed = submit_recording(workers, fail)
        assert failed.wait(TIMEOUT)
        signal.wait_idle()
        after, ran_after = submit_recording(workers, lambda: None)
        assert after.wait(TIMEOUT)
    assert ran_after[0] is ran_failed[0]
    messages = [record.getMessage() for record in caplog.records]
    assert 'test: a worker task failed' in messages
    assert any(record.exc_info and record.exc_info[0] is ValueError
               for record in caplog.records)
