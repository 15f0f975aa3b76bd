"""The same mappings, the same requests: WireMock 3.13's jar and this server
answer alike.

Both servers get the same mappings through the same admin call (``POST
/__admin/mappings``, in the same order) and the same ``__files``; then the
same requests, in the same order (scenarios move), and every answer's
status, body and Content-Type must be equal.  A catch-all of the lowest
priority answers what nothing else matches, because the unmatched answers
differ by design (WireMock: a 404 with its diff report; here an
explaining 500, see the stubs docs).  Skips, saying why, where Java or npm
(which brings the jar) is missing.
"""
import base64
import os
import sys

import pytest
import requests

import httptestserver
from httptestserver.remote.control import enable_control

from conftest import TIMEOUT

if sys.version_info < (3, 5):  # subprocess.run, shutil.which
    pytest.skip('the WireMock jar is driven from Python 3.5+',
                allow_module_level=True)

from _wiremock_tools import WireMockProcess  # noqa: E402


def j(**kws):
    return kws


def stub(request, response=None, **top):
    mapping = {'request': request, 'response': response or {
        'status': 200, 'body': 'hit %s' % (request.get('url') or request.get(
            'urlPath') or request.get('urlPattern') or
            request.get('urlPathPattern'))}}
    mapping.update(top)
    return mapping


def q(url, **kws):  # the query-parameter mappings share a shape
    return stub({'urlPath': url, 'queryParameters': kws})


def h(url, **kws):
    return stub({'urlPath': url, 'headers': dict(
        (k.replace('_', '-'), v) for k, v in kws.items())})


def body(url, *patterns):
    return stub({'method': 'POST', 'urlPath': url,
                 'bodyPatterns': list(patterns)})


TEMPLATE = ('{{request.path}}|{{request.pathSegments.[1]}}|'
            '{{request.query.q}}|{{request.headers.X-A}}|{{request.body}}|'
            "{{jsonPath request.body '$.a.b'}}|{{request.method}}")
MAPPINGS = [
    stub({'url': '/u/exact'}),
    stub({'url': '/u/q?a=1'}),
    stub({'method': 'GET', 'urlPath': '/p/path'}),
    stub({'urlPattern': '/re/[0-9]+\\?k=.*'}),
    stub({'urlPathPattern': '/pp/[a-z]+'}),
    stub({'method': 'POST', 'url': '/meth'}),
    stub({'method': 'ANY', 'url': '/any'}),
    q('/q/eq', a={'equalTo': '1'}),
    q('/q/contains', a={'contains': 'bc'}),
    q('/q/matches', a={'matches': '[0-9]{3}'}),
    q('/q/nomatch', a={'doesNotMatch': 'ab.*'}),
    q('/q/absent', a={'absent': True}),
    q('/q/exactly', a={'hasExactly': [{'equalTo': '1'},
                                      {'equalTo': '2'}]}),
    q('/q/includes', a={'includes': [{'equalTo': '2'}]}),
    h('/h/ci', X_A={'equalTo': 'Yes', 'caseInsensitive': True}),
    h('/h/nocontain', X_A={'doesNotContain': 'bad'}),
    h('/h/and', X_A={'and': [{'contains': 'a'}, {'contains': 'z'}]}),
    h('/h/or', X_A={'or': [{'equalTo': 'one'}, {'equalTo': 'two'}]}),
    h('/h/absent', X_A={'absent': True}),
    h('/h/ctype', Content_Type={'equalTo': 'application/json'}),
    stub({'urlPath': '/c/eq', 'cookies': {'s': {'equalTo': 'abc'}}}),
    stub({'urlPath': '/c/re', 'cookies': {'s': {'matches': 'a.c'}}}),
    stub({'urlPath': '/auth', 'basicAuthCredentials': {
        'username': 'ada', 'password': 's3cret'}}),
    body('/b/eq', {'equalTo': 'hello'}),
    body('/b/contains', {'contains': 'ell'}),
    body('/b/matches', {'matches': 'h.*o'}),
    body('/b/nocontain', {'doesNotContain': 'x'}),
    body('/b/json', {'equalToJson': '{"a": 1, "b": [1, 2]}'}),
    body('/b/order', {'equalToJson': {'b': [1, 2]},
                      'ignoreArrayOrder': True}),
    body('/b/extra', {'equalToJson': {'a': {'b': [1]}},
                      'ignoreExtraElements': True}),
    body('/b/ph', {'equalToJson': {'id': '${json-unit.any-string}',
                                   'n': '${json-unit.any-number}',
                                   'code': '${json-unit.regex}[A-Z]{2}',
                                   'x': '${json-unit.ignore}'}}),
    body('/b/path', {'matchesJsonPath': '$.a.b'}),
    body('/b/filter', {'matchesJsonPath': '$.items[?(@.id == 2)]'}),
    body('/b/pathval', {'matchesJsonPath': {'expression': '$.a.b',
                                            'equalTo': 'x'}}),
    body('/b/andor', {'or': [{'contains': 'cat'}, {'contains': 'dog'}]}),
    body('/b/binary', {'binaryEqualTo': base64.b64encode(
        b'\x00\x01').decode('ascii')}),
    stub({'method': 'POST', 'urlPath': '/multi', 'multipartPatterns': [
        {'matchingType': 'ANY', 'headers': {'Content-Disposition': {
            'contains': 'name="doc"'}}, 'bodyPatterns': [
            {'equalTo': 'hello'}]}]}),
    stub({'method': 'POST', 'urlPath': '/multiall', 'multipartPatterns': [
        {'matchingType': 'ALL', 'bodyPatterns': [{'contains': 'x'}]}]}),
    stub({'urlPath': '/prio'}, {'status': 200, 'body': 'five'}),
    stub({'urlPath': '/prio'}, {'status': 200, 'body': 'one'}, priority=1),
    stub({'urlPath': '/prio'}, {'status': 200, 'body': 'nine'}, priority=9),
    stub({'urlPath': '/newest'}, {'status': 200, 'body': 'old'}),
    stub({'urlPath': '/newest'}, {'status': 200, 'body': 'new'}),
    stub({'urlPath': '/file'}, {'status': 200, 'bodyFileName': 'f.txt'}),
    stub({'urlPath': '/resp'}, {'status': 418, 'body': 'teapot',
                                'headers': {'X-B': 'b'}}),
    stub({'urlPath': '/jsonbody'}, {'status': 200,
                                    'jsonBody': {'a': [1, {'b': None}]}}),
    stub({'urlPath': '/b64'}, {'status': 200, 'base64Body':
                               base64.b64encode(b'bin').decode('ascii')}),
    stub({'urlPathPattern': '/tpl/.*'}, {
        'status': 200, 'body': TEMPLATE,
        'transformers': ['response-template']}),
    stub({'url': '/sc'}, {'status': 200, 'body': 'start'},
         scenarioName='s', requiredScenarioState='Started',
         newScenarioState='two'),
    stub({'url': '/sc'}, {'status': 200, 'body': 'second'},
         scenarioName='s', requiredScenarioState='two',
         newScenarioState='three'),
    stub({'url': '/sc'}, {'status': 200, 'body': 'third'},
         scenarioName='s', requiredScenarioState='three'),
    stub({'urlPath': '/delay'}, {
        'status': 200, 'body': 'late', 'fixedDelayMilliseconds': 5}),
    stub({'urlPath': '/dist'}, {'status': 200, 'body': 'spread',
                                'delayDistribution': {
                                    'type': 'uniform', 'lower': 1,
                                    'upper': 5}}),
    stub({'urlPath': '/dribble'}, {'status': 200, 'body': 'drip drop',
                                   'chunkedDribbleDelay': {
                                       'numberOfChunks': 3,
                                       'totalDuration': 20}}),
    stub({'urlPath': '/meta'}, {'status': 200, 'body': 'tagged'},
         metadata={'team': 'a'}),
    stub({'urlPattern': '.*'}, {'status': 404, 'body': 'catch-all'},
         priority=10),
]

# (method, url, keywords for requests)
REQUESTS = [
    ('GET', '/u/exact', {}), ('GET', '/u/exact?x=1', {}),
    ('GET', '/u/q?a=1', {}), ('GET', '/u/q?a=2', {}),
    ('GET', '/p/path?x=1', {}), ('GET', '/p/path/', {}),
    ('POST', '/p/path', {}),
    ('GET', '/re/12?k=v', {}), ('GET', '/re/ab?k=v', {}),
    ('GET', '/pp/abc?z=1', {}), ('GET', '/pp/123', {}),
    ('POST', '/meth', {}), ('GET', '/meth', {}),
    ('PUT', '/any', {}), ('DELETE', '/any', {}),
    ('GET', '/q/eq?a=1', {}), ('GET', '/q/eq?a=2', {}), ('GET', '/q/eq', {}),
    ('GET', '/q/contains?a=abcd', {}), ('GET', '/q/contains?a=ab', {}),
    ('GET', '/q/matches?a=123', {}), ('GET', '/q/matches?a=1234', {}),
    ('GET', '/q/nomatch?a=xyz', {}), ('GET', '/q/nomatch?a=abc', {}),
    ('GET', '/q/nomatch', {}),
    ('GET', '/q/absent', {}), ('GET', '/q/absent?a=1', {}),
    ('GET', '/q/exactly?a=2&a=1', {}), ('GET', '/q/exactly?a=1', {}),
    ('GET', '/q/exactly?a=1&a=2&a=3', {}),
    ('GET', '/q/includes?a=1&a=2', {}), ('GET', '/q/includes?a=1', {}),
    ('GET', '/h/ci', j(headers={'X-A': 'YES'})),
    ('GET', '/h/ci', j(headers={'X-A': 'no'})),
    ('GET', '/h/nocontain', j(headers={'X-A': 'good'})),
    ('GET', '/h/nocontain', j(headers={'X-A': 'very bad'})),
    ('GET', '/h/nocontain', {}),
    ('GET', '/h/and', j(headers={'X-A': 'a-z'})),
    ('GET', '/h/and', j(headers={'X-A': 'a'})),
    ('GET', '/h/or', j(headers={'X-A': 'two'})),
    ('GET', '/h/or', j(headers={'X-A': 'three'})),
    ('GET', '/h/absent', {}), ('GET', '/h/absent', j(headers={'X-A': ''})),
    ('POST', '/h/ctype', j(headers={'Content-Type': 'application/json'},
                           data=b'{}')),
    ('POST', '/h/ctype', j(headers={'Content-Type': 'Application/JSON'},
                           data=b'{}')),
    ('POST', '/h/ctype', j(headers={'Content-Type': 'text/plain'},
                           data=b'{}')),
    ('GET', '/c/eq', j(cookies={'s': 'abc'})),
    ('GET', '/c/eq', j(cookies={'s': 'abd'})),
    ('GET', '/c/re', j(cookies={'s': 'axc'})), ('GET', '/c/re', {}),
    ('GET', '/auth', j(auth=('ada', 's3cret'))),
    ('GET', '/auth', j(auth=('ada', 'wrong'))), ('GET', '/auth', {}),
    ('POST', '/b/eq', j(data=b'hello')), ('POST', '/b/eq', j(data=b'hell')),
    ('POST', '/b/contains', j(data=b'hello')),
    ('POST', '/b/contains', j(data=b'help')),
    ('POST', '/b/matches', j(data=b'hello')),
    ('POST', '/b/matches', j(data=b'hellO!')),
    ('POST', '/b/nocontain', j(data=b'abc')),
    ('POST', '/b/nocontain', j(data=b'xyz')),
    ('POST', '/b/json', j(json={'b': [1, 2], 'a': 1})),
    ('POST', '/b/json', j(json={'a': 1, 'b': [2, 1]})),
    ('POST', '/b/json', j(json={'a': 1.0, 'b': [1, 2]})),
    ('POST', '/b/order', j(json={'b': [2, 1]})),
    ('POST', '/b/order', j(json={'b': [2, 3]})),
    ('POST', '/b/extra', j(json={'a': {'b': [1, 2], 'c': 0}, 'd': 1})),
    ('POST', '/b/extra', j(json={'a': {'b': [2]}})),
    ('POST', '/b/ph', j(json={'id': 'u', 'n': 4, 'code': 'AB', 'x': []})),
    ('POST', '/b/ph', j(json={'id': 7, 'n': 4, 'code': 'AB', 'x': 1})),
    ('POST', '/b/ph', j(json={'id': 'u', 'n': 4, 'code': 'ABC', 'x': 1})),
    ('POST', '/b/ph', j(json={'id': 'u', 'n': 4, 'code': 'AB'})),
    ('POST', '/b/path', j(json={'a': {'b': 1}})),
    ('POST', '/b/path', j(json={'a': {'c': 1}})),
    ('POST', '/b/filter', j(json={'items': [{'id': 1}, {'id': 2}]})),
    ('POST', '/b/filter', j(json={'items': [{'id': 1}]})),
    ('POST', '/b/pathval', j(json={'a': {'b': 'x'}})),
    ('POST', '/b/pathval', j(json={'a': {'b': 'y'}})),
    ('POST', '/b/andor', j(data=b'hotdog')),
    ('POST', '/b/andor', j(data=b'bird')),
    ('POST', '/b/binary', j(data=b'\x00\x01')),
    ('POST', '/b/binary', j(data=b'\x00\x02')),
    ('POST', '/multi', j(files={'doc': ('d.txt', b'hello'),
                                'other': ('o.txt', b'x')})),
    ('POST', '/multi', j(files={'doc': ('d.txt', b'bye')})),
    ('POST', '/multi', j(data=b'hello')),
    ('POST', '/multiall', j(files={'a': ('a', b'xa'), 'b': ('b', b'bx')})),
    ('POST', '/multiall', j(files={'a': ('a', b'xa'), 'b': ('b', b'b')})),
    ('GET', '/prio', {}), ('GET', '/newest', {}), ('GET', '/file', {}),
    ('GET', '/resp', {}), ('GET', '/jsonbody', {}), ('GET', '/b64', {}),
    ('POST', '/tpl/seg?q=1', j(headers={'X-A': 'h'},
                               data=b'{"a": {"b": "deep"}}')),
    ('GET', '/tpl/other', {}),
    ('GET', '/sc', {}), ('GET', '/sc', {}), ('GET', '/sc', {}),
    ('GET', '/sc', {}),
    ('GET', '/delay', {}), ('GET', '/dist', {}), ('GET', '/dribble', {}),
    ('GET', '/meta', {}), ('GET', '/nowhere', {}),
]


def answers(base):
    """Send every request to *base*; return the status, body and
    Content-Type of each answer."""
    result = []
    with requests.Session() as session:
        for method, url, kws in REQUESTS:
            reply = session.request(method, base + url, timeout=TIMEOUT,
                                    **kws)
            result.append((reply.status_code, reply.content,
                           reply.headers.get('Content-Type')))
    return result


def load(base):
    for mapping in MAPPINGS:
        reply = requests.post(base + '/__admin/mappings', json=mapping,
                              timeout=TIMEOUT)
        assert reply.status_code == 201, (mapping, reply.text)


def test_the_same_mappings_answer_the_same_requests_alike(tmpdir):
    assert len(MAPPINGS) >= 35 and len(REQUESTS) >= 95
    root = str(tmpdir)
    os.mkdir(os.path.join(root, 'mappings'))
    os.mkdir(os.path.join(root, '__files'))
    with open(os.path.join(root, '__files', 'f.txt'), 'wb') as handle:
        handle.write(b'from the file')
    with WireMockProcess(root) as wiremock:
        load(wiremock.url)
        theirs = answers(wiremock.url)
    with httptestserver.http_server() as server:
        enable_control(server, root=root)
        load(server.url('').rstrip('/'))
        ours = answers(server.url('').rstrip('/'))
    differences = [(REQUESTS[i][:2], t, o) for i, (t, o) in enumerate(
        zip(theirs, ours)) if t != o]
    assert differences == [], differences
    # not a vacuous comparison: both hit and missed stubs were exercised
    statuses = set(answer[0] for answer in ours)
    assert 200 in statuses and 404 in statuses and 418 in statuses
