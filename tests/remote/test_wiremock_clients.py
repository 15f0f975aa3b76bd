"""WireMock's own admin client, python-wiremock, against this server.

python-wiremock (PyPI ``wiremock``, Python 3.7+) is pinned in
dev-requirements.txt; where it cannot install the tests skip.  Its
resources are driven exactly as its users drive them against WireMock's
jar: mappings, requests (all, matching, unmatched, near misses), settings,
scenarios, and the ``WireMockContainer`` flow of writing mapping files then
calling ``POST /__admin/mappings/reset``.
"""
import json
import os

import pytest
import requests

import httptestserver
from httptestserver.remote.control import enable_control

from conftest import TIMEOUT

wiremock = pytest.importorskip(
    'wiremock', reason='python-wiremock needs Python 3.7+ (see '
    'dev-requirements.txt)')
from wiremock.constants import Config  # noqa: E402
from wiremock.resources.mappings import (  # noqa: E402
    HttpMethods, Mapping, MappingRequest, MappingResponse)
from wiremock.resources.mappings.resource import Mappings  # noqa: E402
from wiremock.resources.near_misses import (  # noqa: E402
    NearMissMatchPatternRequest)
from wiremock.resources.requests.resource import Requests  # noqa: E402
from wiremock.resources.scenarios.resource import Scenarios  # noqa: E402
from wiremock.resources.settings import GlobalSetting  # noqa: E402
from wiremock.resources.settings.resource import GlobalSettings  # noqa: E402


@pytest.fixture(name='root')
def fixture_root(tmpdir):
    os.mkdir(str(tmpdir.join('mappings')))
    os.mkdir(str(tmpdir.join('__files')))
    return str(tmpdir)


@pytest.fixture(name='server')
def fixture_server(root):
    with httptestserver.http_server() as server:
        enable_control(server, root=root)
        Config.base_url = server.url('/__admin')
        Config.timeout = TIMEOUT
        yield server


def get(server, path, **kws):
    return requests.get(server.url(path), timeout=TIMEOUT, **kws)


def test_mappings_resource_creates_lists_updates_and_deletes(server):
    created = Mappings.create_mapping(Mapping(
        priority=1, request=MappingRequest(method=HttpMethods.GET,
                                           url='/hello'),
        response=MappingResponse(status=200, body='hi'),
        persistent=False, metadata={'owner': 'me'}))
    assert created.id and get(server, '/hello').text == 'hi'
    listing = Mappings.retrieve_all_mappings()
    assert [m.id for m in listing.mappings] == [created.id]
    assert listing.meta.total == 1
    assert Mappings.retrieve_mapping(created.id).request.url == '/hello'
    created.response = MappingResponse(status=202, body='changed')
    Mappings.update_mapping(created)
    answer = get(server, '/hello')
    assert (answer.status_code, answer.text) == (202, 'changed')
    Mappings.delete_mapping_by_metadata({'matchesJsonPath': {
        'expression': '$.owner', 'equalTo': 'me'}})
    assert Mappings.retrieve_all_mappings().meta.total == 0
    Mappings.create_mapping(Mapping(request=MappingRequest(url='/a'),
                                    response=MappingResponse(status=204)))
    Mappings.delete_all_mappings()
    assert Mappings.retrieve_all_mappings().meta.total == 0


def test_requests_resource_reads_the_journal(server):
    Mappings.create_mapping(Mapping(
        request=MappingRequest(method=HttpMethods.POST, url_path='/users'),
        response=MappingResponse(status=201)))
    requests.post(server.url('/users?dry=1'), data=b'{"a": 1}',
                  headers={'X-A': '1'}, timeout=TIMEOUT)
    get(server, '/nothing-here')
    received = Requests.get_all_received_requests()
    assert received.meta.total == 2
    newest, oldest = received.requests
    assert newest.request.url == '/nothing-here'
    assert oldest.request.url == '/users?dry=1'
    assert oldest.request.method == 'POST'
    assert oldest.request.body == '{"a": 1}'
    assert oldest.request.headers['X-A'] == '1'
    assert oldest.request.absolute_url == server.url('/users?dry=1')
    assert oldest.response_definition.status == 201
    found = Requests.get_matching_requests(NearMissMatchPatternRequest(
        url_path='/users', method='POST'))
    assert [r.url for r in found.requests] == ['/users?dry=1']
    count = Requests.get_matching_request_count(NearMissMatchPatternRequest(
        method='GET'))
    assert count.count == 1
    unmatched = Requests.get_unmatched_requests()
    assert [r.url for r in unmatched.requests] == ['/nothing-here']
    near = Requests.get_unmatched_requests_near_misses()
    assert near.near_misses[0].request.url == '/nothing-here'
    assert 0 < near.near_misses[0].match_result.distance < 1
    Requests.reset_request_journal()
    assert Requests.get_all_received_requests().meta.total == 0
    assert Mappings.retrieve_all_mappings().meta.total == 1  # stubs stay


def test_near_misses_by_pattern_list_the_closest_requests(server):
    get(server, '/users/1')
    get(server, '/orders')
    response = requests.post(
        server.url('/__admin/near-misses/request-pattern'),
        json={'method': 'GET', 'url': '/users/2'}, timeout=TIMEOUT)
    misses = response.json()['nearMisses']
    assert response.status_code == 200
    assert misses[0]['request']['url'] == '/users/1'
    assert misses[0]['diff'][0]['field'] == 'url'
    assert misses[0]['requestPattern'] == {'method': 'GET',
                                           'url': '/users/2'}


def test_settings_fixed_delay_reads_back_and_delays_stubs(server):
    Mappings.create_mapping(Mapping(request=MappingRequest(url='/slow'),
                                    response=MappingResponse(status=200)))
    GlobalSettings.update_global_settings(GlobalSetting(fixed_delay=150))
    assert requests.get(server.url('/__admin/settings'), timeout=TIMEOUT
                        ).json() == {'settings': {'fixedDelay': 150}}
    answer = get(server, '/slow')
    assert answer.status_code == 200
    assert answer.elapsed.total_seconds() >= 0.15


def test_scenarios_move_and_reset(server):
    for state, new, body in [('Started', 'paid', 'pay'),
                             ('paid', None, 'done')]:
        mapping = {'scenarioName': 'checkout',
                   'requiredScenarioState': state,
                   'request': {'method': 'GET', 'url': '/order'},
                   'response': {'status': 200, 'body': body}}
        if new:
            mapping['newScenarioState'] = new
        assert requests.post(server.url('/__admin/mappings'), json=mapping,
                             timeout=TIMEOUT).status_code == 201
    assert [get(server, '/order').text for _ in range(3)] == [
        'pay', 'done', 'done']
    listed = requests.get(server.url('/__admin/scenarios'),
                          timeout=TIMEOUT).json()['scenarios']
    assert listed[0]['name'] == 'checkout' and listed[0]['state'] == 'paid'
    Scenarios.reset_all_scenarios()
    assert get(server, '/order').text == 'pay'
    assert requests.put(server.url('/__admin/scenarios/checkout/state'),
                        json={'state': 'Started'},
                        timeout=TIMEOUT).status_code == 200
    assert get(server, '/order').text == 'pay'
    assert requests.put(server.url('/__admin/scenarios/nope/state'),
                        json={'state': 'x'},
                        timeout=TIMEOUT).status_code == 404


def test_mapping_files_reload_on_reset_as_the_container_flow_does(
        server, root):
    """WireMockContainer writes files, then resets the mappings."""
    with open(os.path.join(root, 'mappings', 'hello.json'), 'w') as handle:
        json.dump({'request': {'method': 'GET', 'url': '/hello'},
                   'response': {'status': 200,
                                'bodyFileName': 'hello.txt'}}, handle)
    with open(os.path.join(root, '__files', 'hello.txt'), 'w') as handle:
        handle.write('from a file')
    assert get(server, '/hello').text != 'from a file'  # not loaded yet
    Mappings.reset_mappings()
    assert get(server, '/hello').text == 'from a file'
    Mappings.create_mapping(Mapping(request=MappingRequest(url='/saved'),
                                    response=MappingResponse(status=204)))
    Mappings.persist_mappings()
    saved = os.listdir(os.path.join(root, 'mappings'))
    assert len(saved) == 3  # hello.json, and both stubs saved
    Mappings.reset_mappings()
    assert get(server, '/saved').status_code == 204


def test_the_node_admin_client_wiremock_rest_client_works_unchanged(
        server):
    """WireMock's npm admin client: mappings, requests, global, scenarios."""
    import subprocess
    import sys
    if sys.version_info < (3, 5):  # pragma: no cover - subprocess.run
        pytest.skip('the Node client is driven from Python 3.5+')
    import shutil
    from _wiremock_tools import node_modules
    if shutil.which('node') is None:
        pytest.skip('node is not installed')
    modules = node_modules()
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                          'wiremock_rest_client.js')
    env = dict(os.environ, NODE_PATH=modules)
    done = subprocess.run(['node', script, server.url('/')], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=60)
    assert done.returncode == 0, done.stderr.decode('utf-8', 'replace')
    out = json.loads(done.stdout.decode('utf-8').strip().splitlines()[-1])
    assert out['all'] == [out['created']] and out['one'] == '/node'
    assert out['answer'] == [202, 'updated']
    assert out['requests'] == ['/missing', '/node']
    assert out['count'] == 2 and out['found'] == ['/node']
    assert out['unmatched'] == ['/missing'] and out['nearMisses'] == 1
    assert out['event'] == '/missing' and out['afterDelete'] == 1
    assert out['afterRemove'] == 0
    assert out['scenarios'] == [['flow', 'done']]
    assert out['afterReset'] == ['Started']
    assert out['found2'] == 0  # update dropped the metadata, as WireMock
    assert out['left'] == 0


def test_the_container_flow_works_against_the_command_line_server(root):
    """As python-wiremock's WireMockContainer does with WireMock's jar:
    start the server on a root directory, write mapping files, reset."""
    import subprocess
    import sys
    import threading
    env = dict(os.environ, PYTHONUNBUFFERED='1')
    process = subprocess.Popen(
        [sys.executable, '-m', 'httptestserver', '--stubs', root,
         '--quiet'], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        lines = []
        reader = threading.Thread(
            target=lambda: lines.append(process.stdout.readline()))
        reader.daemon = True
        reader.start()
        reader.join(TIMEOUT)
        assert lines, 'the server printed no URL within %ss' % TIMEOUT
        url = lines[0].decode('utf-8').split()[-1]
        Config.base_url = url + '__admin'
        with open(os.path.join(root, 'mappings', 'a.json'), 'w') as handle:
            handle.write('{"request": {"url": "/a"}, // WireMock allows it\n'
                         ' "response": {"status": 200, "body": "a"}}')
        Mappings.reset_mappings()
        assert requests.get(url + 'a', timeout=TIMEOUT).text == 'a'
        assert Mappings.retrieve_all_mappings().meta.total == 1
    finally:
        process.terminate()
        process.communicate(timeout=TIMEOUT)
