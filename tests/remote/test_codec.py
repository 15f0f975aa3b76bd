"""The JSON form of values and history entries: bytes as base64, headers as
pairs, and back."""
import base64
import json

import requests

from httptestserver.headers import Headers
from httptestserver.remote.codec import data_to_json, entry_from_json, \
    entry_to_json, from_json, to_json

from conftest import TIMEOUT
from _remote_helpers import admin, call
from _remote_helpers import fixture_server  # noqa: F401


def test_recorded_requests_carry_text_and_base64_bodies(server):
    requests.post(server.url('/bin'), data=b'\x00\xff', timeout=TIMEOUT)
    requests.post(server.url('/text?q=1'), data=u'h\xe9'.encode('utf-8'),
                  timeout=TIMEOUT, headers={'X-A': '1'})
    status, found = call('GET', admin(server, 'requests?format=entries'))
    assert status == 200 and found['meta']['total'] == 2
    binary, text = found['requests']
    assert binary['body'] is None and base64.b64decode(
        binary['body_base64']) == b'\x00\xff'
    assert text['body'] == u'h\xe9' and text['query'] == {'q': ['1']}
    assert ['X-A', '1'] in text['headers']


def test_values_cross_as_json_and_bytes_come_back():
    value = {'raw': b'\x00\xff', 'text': u'caf\xe9', 'pair': (1, 2),
             'headers': Headers([('A', '1'), ('A', '2')]), 'none': None}
    data = json.loads(json.dumps(to_json(value)))
    assert data['raw'] == {'$base64': 'AP8='}
    assert data['headers'] == [['A', '1'], ['A', '2']]
    assert data['pair'] == [1, 2]
    back = from_json(data)
    assert back['raw'] == b'\x00\xff' and back['text'] == u'caf\xe9'
    assert to_json(object()).startswith('<object object')


def test_an_entry_comes_back_with_bytes_and_headers():
    entry = {'method': 'POST', 'path': '/x', 'body': b'\x00\xff',
             'headers': Headers([('X-A', '1')]), 'response_content': None,
             'client_address': ('127.0.0.1', 5)}
    data = json.loads(json.dumps(entry_to_json(entry)))
    assert data['body'] is None and data['body_base64'] == 'AP8='
    assert data['response_content_base64'] is None
    back = entry_from_json(data)
    assert back['body'] == b'\x00\xff' and back['response_content'] is None
    assert isinstance(back['headers'], Headers)
    assert back['headers']['x-a'] == '1'
    assert back['client_address'] == ('127.0.0.1', 5)
    assert base64.b64decode(data['body_base64']) == entry['body']


def test_data_to_json_keeps_plain_data_and_leaves_out_the_rest():
    data = {'body': b'\xff', 'headers': Headers([('A', '1')]), 'n': (1, 2),
            'thing': object(), 'nested': {'ok': 1, 'bad': object()},
            'close_connection': False}
    assert data_to_json(data, ['close_connection']) == {
        'body': {'$base64': '/w=='}, 'headers': [['A', '1']], 'n': [1, 2]}
