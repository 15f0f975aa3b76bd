"""The client side of a child's control API: TLS to a child serving the
caller's own certificate, the token, and what a call to a stopped server
raises."""
import pytest
import requests

from httptestserver.errors import ServerStateError
from httptestserver.remote.process import ChildServer

from conftest import TIMEOUT
from _remote_helpers import gone


def test_own_certificate_and_a_control_token():
    from httptestserver import tls
    with ChildServer(scheme='https', certfile=tls.SERVER_CERT_FILE,
                     keyfile=tls.SERVER_KEY_FILE,
                     control_token='s3cret') as server:
        assert server.ca_file is None  # our own certificate: no CA printed
        server.route('/own', 'mine')
        assert requests.get(server.url('/own'), verify=tls.CA_FILE,
                            timeout=TIMEOUT).text == 'mine'
        outsider = requests.get(server.url('/__admin/mappings'),
                                verify=tls.CA_FILE, timeout=TIMEOUT)
        assert outsider.status_code == 401
        assert [e['path'] for e in server.history] == ['/own']
    assert gone(server.pid)


def test_a_call_to_a_stopped_server_raises_naming_it():
    server = ChildServer()
    server.stop()
    with pytest.raises(ServerStateError) as info:
        server.history
    assert str(info.value) == '%r was stopped; start a new one' % server
    assert 'stopped>' in str(info.value)
