"""The pytest plugin, driven with pytester (``testdir`` on pytest 4.6).

Each test writes a small test module, runs pytest on it in-process with
``-p httptestserver.pytest_plugin`` (the checkout is on ``sys.path`` but not
installed with its entry point; when it is installed, the entry point has
the same name and the option is a no-op) and reads the outcome.
"""
import os
import re
import sys
import textwrap

import pytest
# The in-process runs put sys.modules back as it was after each run; clients
# the docs' examples use are imported once here, so each run reuses them
# instead of importing fresh copies that mix with stale ones.
import requests  # noqa: F401

import httptestserver
# Imported here, so ``-p`` finds it even where the package came from a
# relative sys.path entry and pytester changed the directory (Python 2).
import httptestserver.pytest_plugin  # noqa: F401
from conftest import HAS_IPV6, TIMEOUT
from test_docs import NO_RUN, python_blocks

PLUGIN = ['-p', 'httptestserver.pytest_plugin']
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(
    httptestserver.__file__)))
DOCS_PAGE = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..',
                         'docs', 'pytest.rst')
PY2 = sys.version_info[0] == 2

#: Put at the top of every generated test module.
HEADER = '''\
import socket, ssl, sys
import pytest
import httptestserver
try:
    from urllib.request import urlopen
    from urllib.error import HTTPError
except ImportError:  # Python 2
    from urllib2 import urlopen, HTTPError

TIMEOUT = %d

def get(server, path='/', **kws):
    """GET *path*; return (status, body); HTTP errors are answers too."""
    if server.scheme == 'https':
        kws['context'] = server.client_context(kws.pop('cert', False))
    try:
        response = urlopen(server.url(path), timeout=TIMEOUT, **kws)
    except HTTPError as error:
        return error.code, error.read()
    try:
        return response.getcode(), response.read()
    finally:
        response.close()

def listening(port, host='127.0.0.1'):
    sock = socket.socket(socket.AF_INET6 if ':' in host else socket.AF_INET)
    sock.settimeout(TIMEOUT)
    try:
        return sock.connect_ex((host, port)) == 0
    finally:
        sock.close()
''' % TIMEOUT


@pytest.fixture
def tester(request):
    name = 'pytester' if 'pytester' in request.fixturenames or hasattr(
        pytest, 'Pytester') else 'testdir'
    return request.getfixturevalue(name)


def run(tester, source, *args):
    """Write *source* (after HEADER) as a test module; run pytest on it."""
    tester.makepyfile(test_generated=HEADER + textwrap.dedent(source))
    return tester.runpytest(*(PLUGIN + list(args)))


def run_subprocess(tester, source, *args):
    """Like :func:`run`, in a new Python process."""
    tester.makepyfile(test_generated=HEADER + textwrap.dedent(source))
    return tester.runpytest_subprocess(*(PLUGIN + list(args)))


def outcomes(result):
    """``{'passed': 2, 'failed': 1, ...}`` with 'errors' plural everywhere."""
    counts = result.parseoutcomes()
    if 'error' in counts:  # pytest < 6
        counts['errors'] = counts.pop('error')
    return dict((k, v) for k, v in counts.items()
                if k in ('passed', 'failed', 'errors', 'skipped'))


def output(result):
    return '\n'.join(result.outlines + result.errlines)


def test_each_test_gets_its_own_started_server_stopped_after_it(tester):
    result = run(tester, '''
        seen = []

        def test_http(http_server):
            seen.append(http_server)
            http_server.route('/', body=b'hello')
            assert http_server.running and http_server.scheme == 'http'
            assert get(http_server) == (200, b'hello')

        def test_https(https_server):
            seen.append(https_server)
            https_server.route('/', body=b'secure')
            assert https_server.scheme == 'https'
            assert get(https_server) == (200, b'secure')

        def test_the_servers_were_stopped_and_were_different():
            first, second = seen
            assert first.port != second.port
            assert not first.running and not second.running
            assert not listening(first.port) and not listening(second.port)
    ''')
    assert outcomes(result) == {'passed': 3}


def test_a_handler_error_fails_the_test_that_caused_it_with_its_traceback(
        tester):
    result = run(tester, '''
        def broken_route(request):
            raise ValueError('boom from the handler')

        def test_the_handler_breaks(http_server):
            http_server.route('/', broken_route)
            assert get(http_server)[0] == 500  # the test itself passes

        def test_a_later_test_is_not_blamed(http_server):
            http_server.route('/', body=b'ok')
            assert get(http_server) == (200, b'ok')
    ''', '-rf')
    assert outcomes(result) == {'passed': 1, 'failed': 1}
    text = output(result)
    assert 'FAILED test_generated.py::test_the_handler_breaks' in text
    assert 'HandlerError' in text
    assert 'boom from the handler' in text
    assert 'broken_route' in text  # the server-side traceback
    assert 'ERROR at teardown' not in text  # a failure, not an error


def test_a_handler_error_reads_in_under_30_lines_with_its_traceback_once(
        tester):
    result = run(tester, '''
        def broken_route(request):
            raise ValueError('boom from the handler')

        def test_the_handler_breaks(http_server):
            http_server.route('/users', broken_route)
            status = get(http_server, '/users')[0]
            assert status == 500
    ''')
    assert outcomes(result) == {'failed': 1}
    text = output(result)
    end = text.find('short test summary')  # none on pytest 4.6
    report = text[text.index('_ test_the_handler_breaks _'):
                  end if end >= 0 else len(text)]
    assert len(report.splitlines()) < 30, report
    assert report.count("raise ValueError('boom from the handler')") == 1
    assert 'GET /users HTTP/1.1 (route ANY /users)' in report
    assert 'sent by the test at' in report
    # where the test sent it: the innermost line of the test's own code
    assert 'response = urlopen(server.url(path), timeout=TIMEOUT' in report
    for hidden in ('pytest_plugin.py', 'verification.py', 'exchange.py",',
                   'handler.py"'):
        assert hidden not in report, hidden
    assert 'its traceback is in the test report' in report


def test_an_unexpected_request_fails_the_test(tester):
    result = run(tester, '''
        def test_asks_for_the_wrong_path(http_server):
            http_server.route('/expected', body=b'ok')
            assert get(http_server, '/other')[0] == 500
    ''')
    assert outcomes(result) == {'failed': 1}
    text = output(result)
    assert 'VerificationError' in text
    assert 'GET /other' in text and 'matched no route' in text


def test_an_unused_expectation_fails_the_test(tester):
    result = run(tester, '''
        def test_forgets_a_call(http_server):
            http_server.expect('/called', 'ok')
            http_server.expect('/forgotten', method='DELETE')
            assert get(http_server, '/called') == (200, b'ok')

        def test_accepts_a_stray_request(http_server):
            http_server.expect('/called', 'ok')
            get(http_server, '/called')
            get(http_server, '/stray')
            assert len(http_server.forget_unexpected()) == 1
    ''')
    assert outcomes(result) == {'failed': 1, 'passed': 1}
    text = output(result)
    assert 'DELETE /forgotten (0 used, expected at least 1)' in text
    assert '/called (' not in text


def test_errors_the_test_claims_with_check_do_not_fail_it(tester):
    result = run(tester, '''
        def test_claims(http_server):
            http_server.route('/somewhere', body=b'here')
            get(http_server, '/nowhere')
            with pytest.raises(httptestserver.VerificationError):
                http_server.check()
    ''')
    assert outcomes(result) == {'passed': 1}


def test_a_test_failing_on_its_own_keeps_its_failure_and_shows_the_server(
        tester):
    result = run(tester, '''
        def broken(request):
            raise KeyError('server-side detail')

        def test_fails(http_server):
            http_server.route('/', broken)
            status = get(http_server)[0]
            assert status == 200, 'the client saw %d' % status
    ''')
    assert outcomes(result) == {'failed': 1}
    text = output(result)
    assert 'the client saw 500' in text
    assert 'httptestserver errors' in text and 'server-side detail' in text


def test_a_request_after_the_test_body_fails_at_teardown(tester):
    result = run(tester, '''
        @pytest.fixture
        def late_request(http_server):
            yield
            get(http_server, '/late')

        def test_body(late_request, http_server):
            http_server.route('/early', body=b'in time')
    ''')
    assert outcomes(result) == {'passed': 1, 'errors': 1}
    assert 'GET /late' in output(result)


def test_the_marker_configures_https_with_client_certificates(tester):
    result = run(tester, '''
        @pytest.mark.http_server(https=True, client_cert='required')
        def test_mutual_tls(http_server):
            assert http_server.scheme == 'https'
            assert http_server.ssl_context.verify_mode == ssl.CERT_REQUIRED
            http_server.route('/', body=b'you are known')
            assert get(http_server, cert=True) == (200, b'you are known')

        @pytest.mark.http_server(client_cert='optional')
        def test_the_https_fixture_takes_the_marker_too(https_server):
            assert https_server.ssl_context.verify_mode == ssl.CERT_OPTIONAL
    ''')
    assert outcomes(result) == {'passed': 2}


def test_the_marker_takes_a_directory_and_the_child_process_mode(tester,
                                                                 tmpdir):
    tmpdir.join('page.txt').write('from a file\n')
    # In a process of its own: pytest 4.6's in-process runs (Python 2)
    # cannot import a submodule first imported inside the run.
    result = run_subprocess(tester, '''
        import os

        @pytest.mark.http_server(directory=%r)
        def test_a_directory(http_server):
            assert get(http_server, '/page.txt') == (200, b'from a file\\n')

        @pytest.mark.http_server(process=True)
        def test_a_child_process(http_server):
            assert type(http_server).__name__ == 'ChildServer'
            assert http_server.pid != os.getpid()
            http_server.route('/', body=b'from the child')
            assert get(http_server) == (200, b'from the child')

        def test_a_failing_child_fails_its_test(http_server_factory):
            child = http_server_factory(process=True, https=True)
            child.route('/known', body=b'ok')
            assert get(child, '/unknown')[0] == 500
    ''' % str(tmpdir))
    assert outcomes(result) == {'passed': 2, 'failed': 1}
    assert 'GET /unknown' in output(result)


def test_the_closest_marker_wins_and_handler_classes_are_options(tester):
    result = run(tester, '''
        class Teapot(httptestserver.Handler):
            def do_GET(self):
                self.send_response(418)
                self.send_header('Content-Length', '0')
                self.end_headers()

        @pytest.mark.http_server(https=True, handler=Teapot)
        class TestGroup(object):
            def test_from_the_class(self, http_server):
                assert http_server.scheme == 'https'
                assert get(http_server)[0] == 418

            @pytest.mark.http_server(https=False)
            def test_overridden(self, http_server):
                assert http_server.scheme == 'http'
                assert get(http_server)[0] == 418
    ''')
    assert outcomes(result) == {'passed': 2}


@pytest.mark.skipif(not HAS_IPV6, reason='this machine has no IPv6 loopback')
def test_the_marker_serves_ipv6(tester):
    result = run(tester, '''
        @pytest.mark.http_server(host='::1')
        def test_v6(http_server):
            assert http_server.url().startswith('http://[::1]:')
            http_server.route('/', body=b'v6')
            assert get(http_server) == (200, b'v6')
    ''')
    assert outcomes(result) == {'passed': 1}


def test_the_fixtures_take_indirect_parameters(tester):
    result = run(tester, '''
        @pytest.mark.parametrize('http_server', [{}, {'https': True}],
                                 indirect=True, ids=['http', 'https'])
        def test_both(http_server):
            http_server.route('/', body=b'either')
            assert get(http_server) == (200, b'either')
    ''', '-v')
    assert outcomes(result) == {'passed': 2}
    assert 'test_both[https] PASSED' in output(result)


def test_bad_options_are_errors_that_name_the_option(tester):
    result = run(tester, '''
        @pytest.mark.http_server(colour='blue')
        def test_unknown(http_server):
            pass

        @pytest.mark.http_server(https=False)
        def test_contradiction(https_server):
            pass
    ''')
    assert outcomes(result) == {'errors': 2}
    text = output(result)
    assert 'unknown server option(s) colour' in text
    assert 'the https_server fixture serves HTTPS' in text


def test_the_factory_starts_several_servers_and_stops_them_all(tester):
    result = run(tester, '''
        made = []

        def test_two_servers(http_server_factory):
            api = http_server_factory()
            auth = http_server_factory(https=True, client_cert='optional')
            made.extend([api, auth])
            api.route('/', body=b'api')
            auth.route('/', body=b'auth')
            assert get(api) == (200, b'api')
            assert get(auth, cert=True) == (200, b'auth')

        def test_they_were_stopped():
            assert len(made) == 2
            assert not any(server.running for server in made)
    ''')
    assert outcomes(result) == {'passed': 2}


def test_a_shared_server_lives_for_its_scope_and_is_reset_per_test(tester):
    tester.makeconftest('''
        from httptestserver.pytest_plugin import shared_server
        session_server = shared_server('session')
    ''')
    tester.makepyfile(test_other='''
        def test_same_session_server(session_server, request):
            import test_generated
            assert session_server is test_generated.seen[0]
    ''')
    result = run(tester, '''
        from httptestserver.pytest_plugin import shared_server

        module_server = shared_server('module', https=True)
        seen = []

        def test_first(session_server, module_server):
            seen.extend([session_server, module_server])
            module_server.route('/', body=b'first')
            assert get(module_server) == (200, b'first')

        def test_second_sees_a_reset_server(session_server, module_server):
            assert session_server is seen[0] and module_server is seen[1]
            assert module_server.history == [] and module_server.routes == []
            assert get(module_server) != (200, b'first')  # route gone

        def test_an_unexpected_request_fails_only_this_test(module_server):
            module_server.route('/expected')
            get(module_server, '/unexpected')

        def test_and_the_next_test_is_clean(module_server):
            module_server.route('/', body=b'ok')
            assert get(module_server) == (200, b'ok')
    ''', 'test_generated.py', 'test_other.py')
    assert outcomes(result) == {'passed': 4, 'failed': 1}
    assert 'test_an_unexpected_request_fails_only_this_test' in \
        output(result)


def test_a_shared_server_stops_after_its_module(tester):
    tester.makepyfile(test_later='''
        import test_generated

        def test_it_stopped():
            assert not test_generated.seen[0].running
    ''')
    result = run(tester, '''
        from httptestserver.pytest_plugin import shared_server

        api = shared_server('module')
        seen = []

        def test_uses(api):
            seen.append(api)
            assert api.running
    ''', 'test_generated.py', 'test_later.py')
    assert outcomes(result) == {'passed': 2}


def test_a_class_scoped_shared_server_is_one_per_class(tester):
    result = run(tester, '''
        from httptestserver.pytest_plugin import shared_server

        per_class = shared_server('class')
        seen = {}

        class TestOne(object):
            def test_a(self, per_class):
                seen.setdefault('one', set()).add(per_class)

            def test_b(self, per_class):
                seen.setdefault('one', set()).add(per_class)

        class TestTwo(object):
            def test_c(self, per_class):
                seen.setdefault('two', set()).add(per_class)

        def test_check():
            (one,), (two,) = seen['one'], seen['two']
            assert one is not two
            assert not one.running and not two.running
    ''')
    assert outcomes(result) == {'passed': 4}


def test_unittest_testcases_use_the_fixtures_and_the_mixins_still_work(
        tester):
    result = run(tester, '''
        import unittest

        class WithFixture(unittest.TestCase):
            @pytest.fixture(autouse=True)
            def _server(self, http_server):
                self.server = http_server

            def test_ok(self):
                self.server.route('/', body=b'hi')
                self.assertEqual(get(self.server), (200, b'hi'))

            def test_unexpected_request_fails(self):
                self.server.route('/expected')
                get(self.server, '/surprise')

        class WithMixin(httptestserver.HttpServerTest, unittest.TestCase):
            def test_mixin(self):
                self.server.route('/', body=b'mixin')
                self.assertEqual(get(self.server), (200, b'mixin'))
    ''', '-rf')
    assert outcomes(result) == {'passed': 2, 'failed': 1}
    assert 'WithFixture::test_unexpected_request_fails' in output(result)


def test_the_plugin_named_twice_is_loaded_once(tester):
    tester.makeconftest('pytest_plugins = ["httptestserver.pytest_plugin"]')
    result = run(tester, '''
        def test_it(http_server):
            assert http_server.running
    ''', '-p', 'httptestserver.pytest_plugin')
    assert outcomes(result) == {'passed': 1}


def test_the_entry_point_names_the_plugin_module():
    try:
        from configparser import ConfigParser
    except ImportError:  # Python 2
        from ConfigParser import ConfigParser
    setup_cfg = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                             '..', 'setup.cfg')
    if not os.path.exists(setup_cfg):
        pytest.skip('no setup.cfg beside tests/')
    parser = ConfigParser()
    parser.read(setup_cfg)
    entries = parser.get('options.entry_points', 'pytest11').split('\n')
    entries = [e.strip() for e in entries if e.strip()]
    # The same name as the module: -p and pytest_plugins then dedupe.
    assert entries == ['httptestserver.pytest_plugin = '
                       'httptestserver.pytest_plugin']


def _xdist():
    try:
        import xdist  # noqa: F401
        return True
    except ImportError:
        return False


@pytest.mark.skipif(not _xdist(), reason='pytest-xdist is not installed')
def test_under_xdist_each_worker_has_its_own_servers(tester):
    # The workers are new processes, whose sys.path xdist 2.x sets up
    # without PYTHONPATH: a conftest shows them the package and the plugin.
    tester.makeconftest('''
        import sys
        sys.path.insert(0, %r)
        pytest_plugins = ["httptestserver.pytest_plugin"]
    ''' % ROOT)
    tester.makepyfile(test_generated=HEADER + textwrap.dedent('''
        import os

        @pytest.mark.parametrize('n', range(6))
        def test_many(http_server, n):
            http_server.route('/', body=os.environ['PYTEST_XDIST_WORKER'])
            status, body = get(http_server)
            assert status == 200 and body.startswith(b'gw')

        def test_an_error_on_a_worker_fails_there(http_server):
            http_server.route('/expected')
            get(http_server, '/unexpected')
    '''))
    result = tester.runpytest('-n', '2', '-p', 'no:cacheprovider')
    assert outcomes(result) == {'passed': 6, 'failed': 1}
    # xdist 2+ says "2 workers [7 items]", 1.x "gw0 [7] / gw1 [7]".
    assert re.search(r'2 workers|gw0 \[7\] / gw1', output(result))
    assert 'matched no route' in output(result)


def _doc_test_modules():
    if not os.path.exists(DOCS_PAGE):
        return [pytest.param(None, marks=pytest.mark.skip(
            reason='no docs/ beside tests/'))]
    with open(DOCS_PAGE) as page:
        text = page.read()
    blocks = [b for b in python_blocks(text, DOCS_PAGE)
              if b.marker == NO_RUN and 'test module' in b.code.split('\n')[0]]
    return [pytest.param(b, id='line%d' % b.line) for b in blocks]


for _client in ('httpx', 'aiohttp', 'anyio'):
    try:
        __import__(_client)
    except (ImportError, SyntaxError):
        pass


def _needs(code):
    """The reason the docs example *code* cannot run here, or None."""
    if PY2 and 'async def' in code:
        return 'async examples need Python 3'
    for module in ('httpx', 'aiohttp', 'anyio', 'xdist'):
        if 'import %s' % module in code or 'mark.%s' % module in code:
            try:
                __import__(module)
            except ImportError:
                return '%s is not installed' % module
    return None


@pytest.mark.parametrize('block', _doc_test_modules())
def test_the_docs_pytest_examples_pass_under_pytest(tester, block,
                                                    monkeypatch):
    reason = _needs(block.code)
    if reason:
        pytest.skip(reason)
    conftest, _, module = block.code.partition('# --- test module ---\n')
    if module:
        tester.makeconftest(conftest)
    else:
        module = conftest
    tester.makepyfile(test_example=module)
    # In a new process, with this checkout first on its path: an in-process
    # run puts sys.modules back afterwards, dropping the parts of httpx's
    # stack these examples imported lazily (httpcore's backends), and a
    # later httpx test then met exceptions of a fresh httpcore that httpx
    # no longer recognised (an httpcore.ReadTimeout escaping a client).
    monkeypatch.setenv('PYTHONPATH', os.pathsep.join(
        [ROOT] + [p for p in [os.environ.get('PYTHONPATH')] if p]))
    result = tester.runpytest_subprocess(*(PLUGIN + ['-p',
                                                     'no:cacheprovider']))
    counts = outcomes(result)
    assert counts.get('passed') and set(counts) == {'passed'}, \
        output(result)


def test_the_docs_page_has_pytest_examples():
    if not os.path.exists(DOCS_PAGE):
        pytest.skip('no docs/ beside tests/')
    assert len(_doc_test_modules()) >= 5


def test_shared_server_rejects_a_bad_scope_or_option_when_defined():
    from httptestserver.pytest_plugin import shared_server
    with pytest.raises(httptestserver.ConfigurationError) as info:
        shared_server('function')
    assert "'function'" in str(info.value) and 'module' in str(info.value)
    with pytest.raises(httptestserver.ConfigurationError) as info:
        shared_server('module', htps=True)
    assert 'htps' in str(info.value)
