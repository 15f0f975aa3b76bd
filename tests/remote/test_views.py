"""A child's routes and data dict as the ChildServer hands them out: each
read and write is a call to the child."""
import pytest
import requests

from httptestserver.errors import ConfigurationError

from conftest import TIMEOUT
from _remote_helpers import fixture_child, fixture_shared  # noqa: F401


def test_data_settings_and_fields_read_and_write_across(child):
    child.data['response_status'] = 418
    child.data.update(response_content=b'\x00tea', response_headers={
        'X-Tea': 'yes'})
    assert child.response_data['response_status'] == 418
    answer = requests.get(child.url('/pot?x=1'), timeout=TIMEOUT)
    assert answer.status_code == 418 and answer.content == b'\x00tea'
    assert child.data['path'] == '/pot?x=1'
    assert child.data['headers']['Host'] == child.url('/')[7:-1]
    del child.data['response_status']
    assert 'response_status' not in child.data
    with pytest.raises(ConfigurationError) as info:
        child.data['response_status'] = 'teapot'
    assert 'response_status' in str(info.value)


def test_routes_can_be_listed_and_removed(child):
    route = child.route('/gone', 200)
    assert [r.id for r in child.routes] == [route.id]
    child.remove_route(route)
    child.remove_route(route)  # harmless
    assert child.routes == []
