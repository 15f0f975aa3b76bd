"""The one exception family, as docs/verification.rst promises it."""
import pytest

import httptestserver
from httptestserver import errors
from httptestserver.errors import HandlerError, HttpTestServerError


@pytest.mark.parametrize('name', errors.__all__)
def test_every_error_is_an_httptestservererror(name):
    assert issubclass(getattr(errors, name), HttpTestServerError)
    assert issubclass(getattr(errors, name), Exception)


@pytest.mark.parametrize('name', errors.__all__)
def test_every_error_is_exported_by_the_package(name):
    assert getattr(httptestserver, name) is getattr(errors, name)
    assert name in httptestserver.__all__


@pytest.mark.parametrize('name', ['VerificationError', 'WaitTimeout'])
def test_verification_errors_are_assertion_errors(name):
    # Test runners report them as failures, not errors.
    assert issubclass(getattr(errors, name), AssertionError)


def test_wait_timeout_is_a_verification_error():
    assert issubclass(errors.WaitTimeout, errors.VerificationError)


def test_a_certificate_error_is_a_configuration_error():
    assert issubclass(errors.CertificateError, errors.ConfigurationError)


def test_a_configuration_error_is_a_value_error():
    assert issubclass(errors.ConfigurationError, ValueError)


def test_a_server_state_error_is_a_runtime_error():
    assert issubclass(errors.ServerStateError, RuntimeError)


def test_handler_error_is_not_an_assertion_error():
    assert not issubclass(HandlerError, AssertionError)


def test_handler_error_keeps_its_message_and_errors():
    failure = ('GET / HTTP/1.1', ValueError('boom'), 'Traceback ...')
    error = HandlerError('1 error in the server', (failure,))
    assert str(error) == '1 error in the server'
    assert error.errors == [failure]


def test_handler_error_without_errors_has_an_empty_list():
    assert HandlerError('message').errors == []


def test_catching_httptestservererror_catches_the_whole_family():
    for name in errors.__all__:
        with pytest.raises(HttpTestServerError):
            raise getattr(errors, name)('message')
