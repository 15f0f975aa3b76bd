"""What ``six`` lacks: native strings, path strings, and waits on a
Condition with a deadline."""
import threading

import pytest

from httptestserver._compat import PY2, fspath, monotonic, native_str, \
    wait_for

try:
    import pathlib
except ImportError:  # Python 2
    pathlib = None

try:
    import py
except ImportError:
    py = None


def test_native_str_returns_a_native_str_unchanged():
    assert native_str('text') == 'text'
    assert type(native_str('text')) is str


def test_native_str_turns_text_into_the_native_str():
    value = native_str(u'caf\xe9')
    assert type(value) is str
    assert value == (b'caf\xc3\xa9' if PY2 else u'caf\xe9')


def test_native_str_turns_other_objects_into_their_str():
    assert native_str(404) == '404'
    assert native_str(None) == 'None'


def test_fspath_returns_a_str_path_unchanged():
    assert fspath('/tmp/file') == '/tmp/file'


def test_fspath_returns_bytes_as_os_fsdecode_does():
    value = fspath(b'/tmp/file')
    assert value == ('/tmp/file' if not PY2 else b'/tmp/file')
    assert type(value) is str


@pytest.mark.skipif(pathlib is None, reason='no pathlib on Python 2')
def test_fspath_turns_a_pathlib_path_into_its_string(tmp_path):
    assert fspath(tmp_path / 'file') == str(tmp_path / 'file')


@pytest.mark.skipif(py is None, reason='py.path is not installed')
def test_fspath_turns_a_py_path_into_its_string(tmpdir):
    assert fspath(tmpdir.join('file')) == str(tmpdir.join('file'))


def test_fspath_uses_the_fspath_method_of_any_object():
    class PathLike(object):
        def __fspath__(self):
            return '/from/fspath'
    assert fspath(PathLike()) == '/from/fspath'


@pytest.mark.parametrize('value', [None, 42, ['/tmp'], object()])
def test_fspath_returns_none_for_other_objects(value):
    assert fspath(value) is None


def test_wait_for_returns_at_once_when_the_predicate_is_true():
    condition = threading.Condition()
    with condition:
        start = monotonic()
        assert wait_for(condition, lambda: 'yes', 60) == 'yes'
        assert monotonic() - start < 30


def test_wait_for_returns_false_after_the_timeout():
    condition = threading.Condition()
    with condition:
        start = monotonic()
        assert wait_for(condition, lambda: False, 0.05) is False
        assert monotonic() - start >= 0.04


def test_wait_for_with_a_zero_timeout_checks_once():
    condition = threading.Condition()
    calls = []
    with condition:
        assert wait_for(condition, lambda: calls.append(1), 0) is None
    assert calls == [1]


def test_wait_for_wakes_when_another_thread_makes_the_predicate_true():
    condition = threading.Condition()
    state = []

    def make_true():
        with condition:
            state.append(True)
            condition.notify_all()
    thread = threading.Thread(target=make_true)
    with condition:
        thread.start()
        assert wait_for(condition, lambda: bool(state), 60) is True
    thread.join(10)
