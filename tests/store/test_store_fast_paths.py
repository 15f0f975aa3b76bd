"""The store's fast paths under real clients (``store/store.py``,
``records.py``): waiters are notified only while someone waits, and the
test's own ``data`` keys are made hashable once per data version.

A wake-up lost between a request being recorded and a ``wait()`` starting
would not fail a wait (it looks again at its deadline) but make it last
its whole timeout: each wait here must return long before it.
"""
import threading

import requests

import httptestserver
from httptestserver._compat import monotonic

from conftest import TIMEOUT

#: Far below TIMEOUT: a wait that lasts this long missed its wake-up.
PROMPT = TIMEOUT / 4.0


def _timed_wait(server, path, count):
    started = monotonic()
    found = server.wait(count, path=path, timeout=TIMEOUT)
    return found, monotonic() - started


def test_waits_started_as_requests_arrive_wake_promptly():
    """Rounds of several waiters, each in its thread, racing the requests
    they wait for: each request is sent the moment its waiter is told to
    start, from a keep-alive session."""
    rounds, waiters = 25, 4
    with httptestserver.Server() as server, requests.Session() as session:
        for round_ in range(rounds):
            go = threading.Event()
            results = {}

            def waiter(index):
                go.wait(TIMEOUT)
                results[index] = _timed_wait(
                    server, '/r%d/%d' % (round_, index), 1)

            threads = [threading.Thread(target=waiter, args=(i,))
                       for i in range(waiters)]
            for thread in threads:
                thread.start()
            go.set()
            for index in range(waiters):
                session.get(server.url('/r%d/%d' % (round_, index)),
                            timeout=TIMEOUT)
            for thread in threads:
                thread.join(TIMEOUT * 2)
                assert not thread.is_alive()
            assert sorted(results) == list(range(waiters))
            for index, (found, took) in results.items():
                assert [e['path'] for e in found] == \
                    ['/r%d/%d' % (round_, index)]
                assert took < PROMPT, (round_, index, took)


def test_a_wait_counts_requests_recorded_from_many_connections_at_once():
    clients, each = 6, 5
    with httptestserver.Server() as server:
        go = threading.Event()
        failures = []

        def client():
            go.wait(TIMEOUT)
            try:
                with requests.Session() as session:
                    for _ in range(each):
                        session.get(server.url('/many'), timeout=TIMEOUT)
            except Exception as exc:  # reported by the test thread
                failures.append(exc)

        threads = [threading.Thread(target=client) for _ in range(clients)]
        for thread in threads:
            thread.start()
        go.set()
        found, took = _timed_wait(server, '/many', clients * each)
        for thread in threads:
            thread.join(TIMEOUT * 2)
        assert not failures
        assert len(found) == clients * each and took < PROMPT
        assert len(server.history) == clients * each


def test_history_keeps_the_data_keys_as_each_request_found_them():
    """Every way of changing ``server.data`` between requests shows in the
    next entry, and only there."""
    with httptestserver.Server() as server, requests.Session() as session:
        def get():
            session.get(server.url('/'), timeout=TIMEOUT)

        server.data['a'] = 1
        get()
        server.data['a'] = 2
        get()
        server.data.update(b=(1, 2))
        get()
        del server.data['a']
        get()
        server.data.pop('b')
        get()
        server.data.setdefault('c', 'x')
        get()
        server.data['c'] = 'x'  # the same value again
        get()
        server.data['d'] = {'k': [1]}
        get()
        server.data['d'] = {'k': [2]}  # equal shape, new value
        get()
        users = [dict((k, e[k]) for k in 'abcd' if k in e)
                 for e in server.history]
    assert users == [
        {'a': 1}, {'a': 2}, {'a': 2, 'b': (1, 2)}, {'b': (1, 2)}, {},
        {'c': 'x'}, {'c': 'x'}, {'c': 'x', 'd': {'k': [1]}},
        {'c': 'x', 'd': {'k': [2]}}]


# Once a bug (fixed): Store.record uses the user-data key cached at the last
# data version (records.user_key, made in _derive); a value changed in place
# (data[k].append) does not bump the version, so the next entries share the
# record of the old value (before 851f3bc each record froze data anew)


def test_a_data_value_changed_in_place_shows_in_the_next_entry():
    with httptestserver.Server() as server, requests.Session() as session:
        server.data['seen'] = []
        session.get(server.url('/a'), timeout=TIMEOUT)
        server.data['seen'].append('x')
        session.get(server.url('/b'), timeout=TIMEOUT)
        assert [e['seen'] for e in server.history] == [[], ['x']]
