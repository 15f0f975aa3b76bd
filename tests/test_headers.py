"""Headers: case-insensitive, ordered, multi-valued."""
import pytest

from httptestserver import Headers


def test_names_are_case_insensitive():
    headers = Headers([('Content-Type', 'text/plain')])
    assert headers['content-type'] == 'text/plain'
    assert 'CONTENT-TYPE' in headers
    assert u'content-type' in headers  # unicode names on Python 2 too


def test_repeated_fields_keep_every_value_in_order():
    headers = Headers([('Accept', 'a'), ('X', '1'), ('accept', 'b')])
    assert headers.get_all('ACCEPT') == ['a', 'b']
    assert headers['Accept'] == 'a, b'
    assert list(headers) == ['Accept', 'X']
    assert len(headers) == 2
    assert headers.items_all() == [('Accept', 'a'), ('X', '1'),
                                   ('accept', 'b')]


def test_setting_replaces_every_value_and_add_appends():
    headers = Headers([('A', '1'), ('a', '2')])
    headers['A'] = '3'
    headers.add('a', '4')
    assert headers.get_all('a') == ['3', '4']


def test_delete_and_missing_names():
    headers = Headers({'A': '1'})
    del headers['a']
    assert 'A' not in headers
    assert headers.get('A') is None
    assert headers.get_all('A', []) == []
    with pytest.raises(KeyError):
        headers['A']
    with pytest.raises(KeyError):
        del headers['A']


def test_equality_with_mappings_ignores_case():
    assert Headers([('Content-Type', 'x')]) == {'content-type': 'x'}
    assert Headers([('A', '1'), ('A', '2')]) == {'a': '1, 2'}
    assert Headers([('A', '1')]) != {'A': '2'}
    assert Headers() != 'not a mapping'


def test_copy_is_independent():
    original = Headers([('A', '1')])
    copy = original.copy()
    copy.add('A', '2')
    assert original.get_all('A') == ['1']


def test_headers_are_unhashable_like_dicts():
    with pytest.raises(TypeError):
        hash(Headers())
