"""Tests for httptestserver.protocol.websocket_handshake: the opening
handshake, checked on recorded request dicts without sockets."""
import base64

import pytest

from httptestserver.protocol.websocket_handshake import accept_key, handshake

from conftest import WEBSOCKET_KEY as KEY, upgrade_request


# -- the handshake ---------------------------------------------------------
def test_accept_key_matches_the_rfc_example():
    assert accept_key(KEY) == 's3pPLMBiTxaQ9kYGzzhZRbK+xOo='


def test_a_good_upgrade_gets_101_with_the_accept_key():
    status, headers, subprotocol = handshake(upgrade_request())
    assert status == 101
    assert dict(headers)['Sec-WebSocket-Accept'] == \
        's3pPLMBiTxaQ9kYGzzhZRbK+xOo='
    assert subprotocol is None


@pytest.mark.parametrize('headers', [{'Upgrade': None}, {'Upgrade': 'h2c'}])
def test_a_request_that_is_no_upgrade_gets_426(headers):
    status, answer, reason = handshake(upgrade_request(**headers))
    assert status == 426
    assert ('Sec-WebSocket-Version', '13') in answer
    assert 'Upgrade: websocket' in reason


def test_another_websocket_version_gets_426_naming_13():
    status, answer, _ = handshake(upgrade_request(
        **{'Sec-WebSocket-Version': '8'}))
    assert (status, dict(answer)['Sec-WebSocket-Version']) == (426, '13')


@pytest.mark.parametrize('change', [
    {'method': 'POST'}, {'request_version': 'HTTP/1.0'}])
def test_an_upgrade_that_is_not_a_get_on_http_1_1_gets_400(change):
    request = upgrade_request()
    request.update(change)
    assert handshake(request)[0] == 400


@pytest.mark.parametrize('headers', [
    {'Connection': 'keep-alive'},
    {'Sec-WebSocket-Key': None},
    {'Sec-WebSocket-Key': 'not base64!'},
    {'Sec-WebSocket-Key': base64.b64encode(b'short').decode('ascii')},
])
def test_a_malformed_upgrade_gets_400(headers):
    status, _, reason = handshake(upgrade_request(**headers))
    assert status == 400, reason


def test_the_subprotocol_chosen_is_the_servers_first_the_client_offered():
    request = upgrade_request(**{'Sec-WebSocket-Protocol': 'b, a'})
    status, headers, chosen = handshake(request, ['a', 'b'])
    assert chosen == 'a'
    assert ('Sec-WebSocket-Protocol', 'a') in headers
    assert handshake(request, ['c'])[2] is None
    assert handshake(request, lambda offered: offered[-1])[2] == 'a'
