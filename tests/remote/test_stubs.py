"""Our stub format: stub checks and the route keywords of a response."""
import pytest

from httptestserver.errors import ConfigurationError
from httptestserver.remote.stubs import normalise_stub, response_spec


def test_normalise_stub_checks_the_response_and_gives_an_id():
    stub = normalise_stub({'match': {'path': '/x'},
                           'response': {'status': 201, 'json': [1]}})
    assert stub['id']
    with pytest.raises(ConfigurationError) as info:
        normalise_stub({'response': {'status': 1000}})
    assert 'stub.response.status' in str(info.value)
    with pytest.raises(ConfigurationError) as info:
        normalise_stub({'response': {'body': 'a', 'json': 1}})
    assert 'one of body, body_base64, json, json_body and body_file' in str(
        info.value)
    with pytest.raises(ConfigurationError) as info:
        normalise_stub({'response': {'fault': 'BOOM'}})
    assert 'CONNECTION_RESET_BY_PEER' in str(info.value)


def test_response_spec_gives_route_keywords():
    assert response_spec({'response': {'body_base64': 'AP8='}}) == {
        'status': 200, 'headers': [], 'body': b'\x00\xff'}
    spec = response_spec({'response': {
        'status': 201, 'json': {'a': 1}, 'headers': {'X': ['1', '2']},
        'delay': 0.5}})
    assert spec == {'status': 201, 'json': {'a': 1}, 'delay': 0.5,
                    'headers': [('X', '1'), ('X', '2')]}


def test_every_wiremock_fault_names_a_fault_of_the_server():
    from httptestserver.answers import faults
    from httptestserver.remote import stubs
    for name in stubs.FAULTS:
        spec = stubs.response_spec({'response': {'fault': name}})
        assert faults.check_fault(spec['fault'], 'fault') == spec['fault']
    assert stubs.response_spec({'response': {
        'fault': 'RANDOM_DATA_THEN_CLOSE'}})['fault'] == 'garbage'


def test_a_stub_response_takes_every_fault_and_delay_setting():
    response = {'fault': 'headers_only', 'delay': {'lognormal': {
        'median': 0.1, 'sigma': 0.5, 'cap': 1.0}}, 'body_delay': 0.1,
        'chunk_delay': 0.01, 'dribble': {'chunks': 2, 'duration': 0.1},
        'bandwidth': 500, 'chaos': {'delay': 0.1, 'probability': 0.5}}
    stub = normalise_stub({'response': response})
    spec = response_spec(stub)
    for key, value in response.items():
        assert spec[key] == value
    for bad, field in [({'dribble': {'chunks': 0, 'duration': 1}}, 'dribble'),
                       ({'bandwidth': -1}, 'bandwidth'),
                       ({'chaos': {'probability': 2}}, 'chaos'),
                       ({'fault': 'handshake_reset'}, 'fault'),
                       ({'delay': -1}, 'delay')]:
        with pytest.raises(ConfigurationError) as info:
            normalise_stub({'response': bad})
        assert 'stub.response.' + field in str(info.value)
