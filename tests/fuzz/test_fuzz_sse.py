# -*- coding: utf-8 -*-
"""Fuzzing Server-Sent Events resumption (streams/sse.py): the
``Last-Event-ID`` a reconnecting client sends.

Given any list of events, :class:`EventStream` either refuses it now with
:class:`ConfigurationError` or streams it; and whatever ``Last-Event-ID``
header arrives (none, any text, several, the id of one of the events) the
stream sends the events after the first event with that id, or all of them
when none has it, records the header, and ends complete.  Nothing raises.
"""
import pytest

hypothesis = pytest.importorskip('hypothesis')

import six  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from httptestserver.errors import ConfigurationError  # noqa: E402
from httptestserver.headers import Headers  # noqa: E402
from httptestserver.streams.sse import EventStream, event_bytes  # noqa: E402

from _fuzzing import fuzz_settings, known_bug  # noqa: E402

given = hypothesis.given

BUGS = []  # a json value json.dumps refuses is a ConfigurationError now
# Python 2 compares a non-ASCII id with the header bytes, warns and finds
# no match: the non-ASCII id bug below.
pytestmark = pytest.mark.filterwarnings(
    'ignore:Unicode equal comparison failed:UnicodeWarning')

#: Event ids as a server sends them back in Last-Event-ID.  Only ASCII ids
#: while the bug below stands (the property test leaves the other ids to
#: it): the client sends the id as UTF-8, the server reads header bytes as
#: latin-1 (Python 3) or keeps them (Python 2), and a non-ASCII id never
#: matches.
ASCII = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126),
                max_size=8)

ID = st.one_of(st.none(), st.integers(-5, 10 ** 20), ASCII,
               st.floats(allow_nan=False, allow_infinity=False),
               ASCII.map(lambda t: t.encode('ascii')),
               st.sampled_from([u'a\nb', u'\x00', b'\xff', True, [1]]))
#: Events that stream, with ids to resume after.
GOOD = st.builds(dict, data=st.text(max_size=10),
                 id=st.one_of(ASCII, st.integers(0, 100), st.none()))
EVENT = st.one_of(
    GOOD, GOOD, GOOD, GOOD, GOOD, GOOD, GOOD, GOOD, st.text(max_size=10),
    st.dictionaries(
        st.sampled_from(['data', 'json', 'event', 'id', 'retry', 'comment',
                         'delay', 'colour']),
        st.one_of(ID, st.integers(-1, 5000), st.text(max_size=10),
                  st.floats(0, 0.01), st.none()),
        max_size=4),
    st.builds(dict, data=st.text(max_size=10), id=ID))


def wire(text):
    """The id text as it arrives: UTF-8 bytes, received as latin-1 text on
    Python 3 and kept as bytes on Python 2."""
    data = text.encode('utf-8')
    return data.decode('latin-1') if six.PY3 else data


def id_text(value):
    """The text an event id is sent as."""
    if isinstance(value, bytes):
        return value.decode('utf-8')
    if isinstance(value, six.text_type):
        return value
    return u'%s' % (value,)


def expected_events(events, last_id):
    if last_id is not None:
        for index, event in enumerate(events):
            if isinstance(event, dict) and event.get('id') is not None and \
                    wire(id_text(event['id'])) == last_id:
                return events[index + 1:]
    return events


@fuzz_settings()
@given(st.lists(EVENT, max_size=6), st.data())
def test_a_stream_resumes_after_the_last_event_id_whatever_it_is(events,
                                                                 data):
    waits = []
    try:
        stream = EventStream(events, pause=lambda seconds: waits.append(
            seconds))
    except ConfigurationError:
        hypothesis.event('events refused')
        return
    except TypeError:
        if not known_bug(BUGS):
            raise
        return
    texts = [id_text(e['id']) for e in events
             if isinstance(e, dict) and e.get('id') is not None]
    if any(not all(c < u'\x80' for c in text) for text in texts):
        hypothesis.event('known bug: a non-ASCII id')
        return
    ids = [wire(text) for text in texts]
    known = st.sampled_from(ids) if ids else st.nothing()
    value = st.one_of(known, known, known, st.text(max_size=8).map(wire),
                      st.binary(max_size=8).map(lambda b: b.decode(
                          'latin-1') if six.PY3 else b))
    values = [data.draw(value) for _ in
              range(data.draw(st.sampled_from([0, 1, 1, 1, 1, 2])))]
    request = {'headers': Headers([('Last-Event-ID', value)
                                   for value in values])}
    last_id = request['headers'].get('Last-Event-ID')
    response = stream(request)
    body = b''.join(response.body)
    sent = expected_events(events, last_id)
    hypothesis.event('resumed after an id' if sent != events else
                     'every event sent')
    assert body == b''.join(event_bytes(e) for e in sent)
    record = stream.streams[0]
    assert record.last_event_id == last_id
    assert record.sent == sent and record.ended == 'complete'
    assert len(waits) <= len(sent)


def test_a_json_event_that_is_not_json_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match='json'):
        EventStream([{'json': set([1])}])


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    'streams/sse.py EventStream: the Last-Event-ID header is compared '
    'with the event ids as received (latin-1 text on Python 3), while '
    'clients send the id as UTF-8 (WHATWG HTML 9.2): an event id u"\\xe9" '
    'comes back as "\\xc3\\xa9", matches no event, and the stream replays '
    'every event; StreamRecord.last_event_id holds the mojibake'))
def test_a_non_ascii_event_id_sent_back_as_utf8_resumes_after_it():
    stream = EventStream([{'id': u'\xe9', 'data': 'a'},
                          {'id': u'b', 'data': 'b'}])
    response = stream({'headers': Headers([('Last-Event-ID',
                                            wire(u'\xe9'))])})
    assert b''.join(response.body) == b'id: b\ndata: b\n\n'
    assert stream.last_event_ids == [u'\xe9' if six.PY3 else
                                     u'\xe9'.encode('utf-8')]
