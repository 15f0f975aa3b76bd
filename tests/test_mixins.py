"""The mixins under unittest, pytest plain classes and nose-style names."""
import socket
import textwrap
import unittest

import requests

import httptestserver
from httptestserver import HttpsServerTest, HttpServerTest

TIMEOUT = 10


def run_case(case_class):
    """Run a TestCase class with unittest; return (result, the class)."""
    suite = unittest.TestLoader().loadTestsFromTestCase(case_class)
    result = unittest.TestResult()
    suite.run(result)
    return result


def is_listening(port):
    sock = socket.socket()
    sock.settimeout(TIMEOUT)
    try:
        return sock.connect_ex(('127.0.0.1', port)) == 0
    finally:
        sock.close()


def test_unittest_testcase_gets_one_server_for_the_class():
    seen = []

    class Case(HttpServerTest, unittest.TestCase):
        def test_one(self):
            seen.append(self.server)
            assert requests.get(self.default_url, timeout=TIMEOUT).ok

        def test_two(self):
            seen.append(self.server)

    result = run_case(Case)
    assert result.wasSuccessful(), result.errors + result.failures
    assert seen[0] is seen[1]
    assert not seen[0].running  # stopped after the class
    assert not is_listening(seen[0].port)


def test_https_mixin_defaults_to_verify_false_and_can_verify_the_test_ca():
    class Case(HttpsServerTest, unittest.TestCase):
        options = {'verify': httptestserver.CA_FILE}

        def test_verified(self):
            assert self.default_url.startswith('https://')
            assert requests.get(self.default_url, timeout=TIMEOUT,
                                **self.options).ok

    assert HttpsServerTest.options == {'verify': False}
    assert HttpServerTest.options == {}
    result = run_case(Case)
    assert result.wasSuccessful(), result.errors + result.failures


def test_each_test_starts_from_a_reset_server():
    class Case(HttpServerTest, unittest.TestCase):
        def test_a_sets_things(self):
            self.server.data['response_status'] = 418
            self.server.route('/r', status=201)
            requests.get(self.url('/x'), timeout=TIMEOUT)

        def test_b_sees_none_of_them(self):
            assert self.server.history == []
            assert self.server.routes == []
            assert requests.get(self.default_url, timeout=TIMEOUT
                                ).status_code == 200

    result = run_case(Case)
    assert result.wasSuccessful(), result.errors + result.failures


def test_a_server_side_failure_fails_the_test_that_caused_it():
    class Boom(httptestserver.Handler):
        def handle_request(self):
            raise ValueError('broken handler')

    class Case(HttpServerTest, unittest.TestCase):
        server_options = {'handler': Boom}

        def test_a_hits_the_broken_handler(self):
            assert requests.get(self.default_url, timeout=TIMEOUT
                                ).status_code == 500

        def test_b_is_innocent(self):
            pass

    result = run_case(Case)
    assert len(result.errors) == 1
    failed, text = result.errors[0]
    assert 'test_a_hits_the_broken_handler' in failed.id()
    assert 'HandlerError' in text and 'broken handler' in text


def test_unexpected_requests_fail_the_test_at_teardown():
    class Case(HttpServerTest, unittest.TestCase):
        def test_hits_an_unrouted_path(self):
            self.server.route('/known', body=b'ok')
            assert requests.get(self.url('/unknown'),
                                timeout=TIMEOUT).status_code == 500

    result = run_case(Case)
    # Python 2.7's unittest reports any tearDown exception as an error.
    problems = result.failures + result.errors
    assert len(problems) == 1
    assert 'VerificationError' in problems[0][1]
    assert 'GET /unknown' in problems[0][1]


def test_a_teardown_failure_report_leaves_out_the_library_frames():
    class Case(HttpServerTest, unittest.TestCase):
        def test_forgets_a_call(self):
            self.server.expect('/expected', 'ok')

    result = run_case(Case)
    # Python 2.7's unittest reports any tearDown exception as an error.
    [(_, text)] = result.failures + result.errors
    assert 'VerificationError' in text and 'ANY /expected' in text
    for module in ('mixins.py', 'checks.py', 'verification.py'):
        assert module not in text


def test_a_failing_setupclass_leaves_nothing_running():
    started = []

    class Base(object):
        @classmethod
        def setUpClass(cls):
            started.append(cls.server)
            raise RuntimeError('fixture failed')

    class Case(HttpServerTest, Base, unittest.TestCase):
        def test_never_runs(self):
            pass

    result = run_case(Case)
    assert result.errors and 'fixture failed' in result.errors[0][1]
    assert started and not started[0].running
    assert not is_listening(started[0].port)


def test_nose_style_setupclass_names_work():
    class Case(HttpServerTest):
        pass

    Case.setupClass()
    try:
        assert Case.server.running
        assert requests.get(Case.default_url, timeout=TIMEOUT).ok
    finally:
        Case.teardownClass()
    assert not Case.server.running


def test_setup_class_twice_starts_one_server():
    class Case(HttpServerTest):
        pass

    Case.setup_class()
    first = Case.server
    try:
        Case.setUpClass()
        assert Case.server is first
    finally:
        Case.tearDownClass()


def test_subclasses_get_their_own_server():
    class Parent(HttpServerTest):
        pass

    class Child(Parent):
        pass

    Parent.setup_class()
    try:
        Child.setup_class()
        try:
            assert Child.server is not Parent.server
        finally:
            Child.teardown_class()
        assert Parent.server.running
    finally:
        Parent.teardown_class()


PLAIN_CLASS_MODULE = textwrap.dedent('''
    import requests
    from httptestserver import HttpsServerTest

    class TestApplication(HttpsServerTest):
        def test_sends_headers(self):
            requests.get(self.default_url, headers={'key': 'value'},
                         timeout=10, **self.options)
            assert self.server.data['headers']['key'] == 'value'

        def test_starts_clean(self):
            assert self.server.history == []

        def test_server_failure_fails_here(self):
            self.server.route(self.default_path, lambda request: 1 / 0)
            requests.get(self.default_url, timeout=10, **self.options)
''')


def test_pytest_plain_classes_run_the_seed_style(testdir):
    testdir.makepyfile(test_plain=PLAIN_CLASS_MODULE)
    result = testdir.runpytest_subprocess('-p', 'no:cacheprovider', '-v')
    result.stdout.fnmatch_lines([
        '*test_sends_headers PASSED*',
        '*test_starts_clean PASSED*',
        '*test_server_failure_fails_here*ERROR*',
    ])
    result.stdout.fnmatch_lines(['*ZeroDivisionError*'])


UNITTEST_UNDER_PYTEST = textwrap.dedent('''
    import unittest
    import requests
    from httptestserver import HttpServerTest

    class TestCaseStyle(HttpServerTest, unittest.TestCase):
        def test_one(self):
            self.assertTrue(requests.get(self.default_url, timeout=10).ok)
            self.assertEqual(len(self.server.history), 1)

        def test_two(self):
            self.assertEqual(self.server.history, [])
''')


def test_unittest_classes_under_pytest_reset_once_per_test(testdir):
    testdir.makepyfile(test_tc=UNITTEST_UNDER_PYTEST)
    result = testdir.runpytest_subprocess('-p', 'no:cacheprovider')
    result.assert_outcomes(passed=2)
