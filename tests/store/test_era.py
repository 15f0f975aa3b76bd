"""Eras: a pause cut short when the era ends, and ``on_end`` callbacks."""
import threading

from conftest import TIMEOUT
from httptestserver.store.era import Era


def test_pause_waits_and_returns_true_while_the_era_goes_on():
    assert Era(1).pause(0.01) is True


def test_pause_returns_false_at_once_when_the_era_has_ended():
    era = Era(1)
    era.end()
    assert era.pause(TIMEOUT) is False


def test_end_from_another_thread_cuts_a_pause_short():
    era = Era(1)
    results = []
    thread = threading.Thread(target=lambda: results.append(
        era.pause(TIMEOUT * 10)))
    thread.start()
    era.end()
    thread.join(TIMEOUT)
    assert not thread.is_alive()
    assert results == [False]


def test_on_end_callback_is_called_once_when_the_era_ends():
    era = Era(1)
    calls = []
    era.on_end(lambda: calls.append('ended'))
    assert calls == []
    era.end()
    assert calls == ['ended']
    era.end()
    assert calls == ['ended']


def test_on_end_calls_at_once_when_the_era_has_already_ended():
    era = Era(1)
    era.end()
    calls = []
    cancel = era.on_end(lambda: calls.append('ended'))
    assert calls == ['ended']
    cancel()  # harmless
    assert calls == ['ended']


def test_the_cancel_returned_by_on_end_prevents_the_call():
    era = Era(1)
    calls = []
    cancel = era.on_end(lambda: calls.append('cancelled'))
    era.on_end(lambda: calls.append('kept'))
    cancel()
    cancel()
    era.end()
    assert calls == ['kept']


def test_on_end_callbacks_run_in_the_order_registered():
    era = Era(1)
    calls = []
    for name in 'abc':
        era.on_end(lambda name=name: calls.append(name))
    era.end()
    assert calls == ['a', 'b', 'c']


def test_on_end_callbacks_run_in_the_thread_that_ends_the_era():
    era = Era(1)
    threads = []
    era.on_end(lambda: threads.append(threading.current_thread()))
    ender = threading.Thread(target=era.end)
    ender.start()
    ender.join(TIMEOUT)
    assert threads == [ender]


def test_end_is_idempotent_and_sets_ended():
    era = Era(3)
    assert not era.ended.is_set()
    era.end()
    era.end()
    assert era.ended.is_set()


def test_repr_names_the_era_and_whether_it_ended():
    era = Era(7)
    assert repr(era) == '<Era 7>'
    era.end()
    assert repr(era) == '<Era 7 ended>'
