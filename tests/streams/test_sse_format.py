"""The ``text/event-stream`` format (``streams/sse_format.py``): one event,
given as fields, a dict or text, to the bytes a client reads.  The routes
that send such events are tested in test_sse.py.
"""
import pytest

from httptestserver.errors import ConfigurationError
from httptestserver.streams.sse_format import event_bytes, event_delay, \
    format_event


def test_multi_line_data_is_one_data_field_per_line():
    assert format_event(data=u'a\nb\r\nc\rd') == \
        b'data: a\ndata: b\ndata: c\ndata: d\n\n'


def test_all_fields_in_order_end_with_a_blank_line():
    assert format_event(data=u'\u20ac', event='price', id=7, retry=1500,
                        comment='heartbeat') == (
        u': heartbeat\nevent: price\nid: 7\nretry: 1500\ndata: \u20ac\n\n'
        .encode('utf-8'))


def test_json_data_and_a_comment_only_event():
    assert format_event(json={'a': [1]}) == b'data: {"a": [1]}\n\n'
    assert format_event(comment='') == b':\n\n'


@pytest.mark.parametrize('kwargs, word', [
    ({'id': 'a\nb'}, 'id'), ({'event': 'x\ry'}, 'event'),
    ({'id': 'a\0b'}, 'NUL'), ({'retry': -1}, 'retry'),
    ({'retry': 1.5}, 'retry'),
    ({}, 'at least one'), ({'data': 'x', 'json': 1}, 'both'),
    ({'data': b'\xff'}, 'UTF-8'),
])
def test_what_the_format_cannot_carry_is_a_configuration_error(kwargs, word):
    with pytest.raises(ConfigurationError, match=word):
        format_event(**kwargs)


def test_an_event_is_a_dict_of_fields_or_its_data_as_text():
    assert event_bytes({'event': 'e', 'data': 'x', 'delay': 2}) == \
        b'event: e\ndata: x\n\n'
    assert event_bytes(u'x') == event_bytes(b'x') == b'data: x\n\n'
    assert event_delay({'data': 'x', 'delay': 2}, 'event 0') == 2.0
    assert event_delay(u'x', 'event 0') is None
    with pytest.raises(ConfigurationError, match="'colour'"):
        event_bytes({'data': 'x', 'colour': 1})
