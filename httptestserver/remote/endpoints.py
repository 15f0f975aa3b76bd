"""The control API's endpoints: which method on which path does what.

:class:`Endpoints` holds the route table under the prefix and one method per
endpoint; each turns a recorded request dict into ``(status, JSON
document)`` and raises :class:`ClientError` for a request the caller got
wrong (a 4xx).  It is the base of
:class:`~httptestserver.remote.control.ControlAPI`, which authorises a
request before it gets here and turns the document into a response.  The
endpoints reach the server only through its public API and the control
API's own methods; sockets and threads stay with the server.
"""
import calendar
import re
import threading
import time

import six

from ..errors import ConfigurationError, HandlerError, VerificationError
from ..answers.matchers import MATCH_KEYS, Matcher
from ..store.store import HANDLER_KEYS
from ..store.verification import check_count
from .admin import MAX_WAIT, ClientError, WireMockEndpoints, \
    first_value, logged_request, read_body, serve_event
from .codec import data_to_json, entry_to_json, from_json
from .specs import RouteEndpoints
from .stubs import check_wait, response_spec
from .wiremock import REQUEST_KEYS, from_wiremock, to_wiremock

__all__ = ['Endpoints', 'ClientError', 'request_matcher', 'MAX_WAIT']


#: What the index lists, in the order of the route table.
INDEX = ['GET|POST|DELETE mappings', 'POST mappings/import',
         'POST mappings/reset', 'POST mappings/save',
         'POST mappings/remove-by-metadata', 'POST mappings/find-by-metadata',
         'GET|PUT|DELETE mappings/{id}', 'GET|POST routes',
         'GET|DELETE routes/{id}', 'GET|DELETE requests',
         'POST requests/reset', 'GET requests/unmatched',
         'GET|DELETE requests/{id}', 'POST requests/remove',
         'GET requests/unmatched/near-misses', 'POST requests/count',
         'POST requests/find', 'POST requests/wait',
         'POST near-misses/request', 'POST near-misses/request-pattern',
         'GET|POST settings', 'GET scenarios', 'POST scenarios/reset',
         'PUT scenarios/{name}/state', 'GET errors', 'POST check',
         'GET|POST|DELETE data', 'DELETE data/{key}',
         'GET|POST|DELETE unmatched', 'POST reset', 'POST shutdown']
#: The query parameter value that asks for our history entries instead of
#: WireMock's shapes: ``GET requests?format=entries``.
ENTRIES = 'entries'


def request_matcher(spec, field='match'):
    """Return a :class:`Matcher` from our match spec or a WireMock request
    pattern (``{"urlPath": ..., "headers": {"X": {"equalTo": ...}}}``)."""
    if spec is None:
        return Matcher({})
    try:
        return Matcher(spec, field, untrusted=True)
    except ConfigurationError as first:
        if not isinstance(spec, dict) or set(spec) <= set(MATCH_KEYS) and \
                not _wiremock_shaped(spec):
            raise
        try:
            return Matcher(from_wiremock({'request': spec}, field)['match'],
                           field, untrusted=True)
        except ConfigurationError as second:
            if set(spec) <= set(REQUEST_KEYS):
                raise second  # WireMock's form: its error says more
            raise first


def _wiremock_shaped(spec):
    for key in ('headers', 'cookies'):
        conds = spec.get(key)
        if not isinstance(conds, dict):  # any JSON: Matcher's error stands
            continue
        for cond in conds.values():
            if isinstance(cond, dict) and set(cond) & set(
                    ['equalTo', 'absent', 'caseInsensitive']):
                return True
    return False


class Endpoints(RouteEndpoints, WireMockEndpoints):
    """The endpoints of :class:`~httptestserver.remote.control.ControlAPI`.

    A mixin: it relies on the control API's ``server``, ``prefix``,
    :meth:`url`, stub methods (``stubs``, ``add_stub``, ``remove_stub``),
    ``reset`` and ``close``, and on the state it keeps for the endpoints
    (``_unmatched_response``, ``_closed``, ``_on_shutdown``).  Thread-safe
    as those are.
    """

    def _dispatch(self, request):
        """Route *request* to its endpoint; return ``(status, document)``."""
        rest = request['url_path'][len(self.prefix):].strip('/')
        parts = rest.split('/') if rest else []
        method = request.get('method')
        routes = [
            ([], {'GET': self._index}),
            (['mappings'], {'GET': self._list_mappings,
                            'POST': self._add_mapping,
                            'DELETE': self._remove_mappings}),
            (['mappings', 'import'], {'POST': self._import_mappings}),
            (['mappings', 'reset'], {'POST': self._reset_mappings}),
            (['mappings', 'save'], {'POST': self._save_mappings}),
            (['mappings', 'remove-by-metadata'], {
                'POST': self._remove_by_metadata}),
            (['mappings', 'find-by-metadata'], {
                'POST': self._find_by_metadata}),
            (['mappings', '*'], {'GET': self._get_mapping,
                                 'PUT': self._put_mapping,
                                 'DELETE': self._remove_mapping}),
            (['requests'], {'GET': self._list_requests,
                            'DELETE': self._clear_requests}),
            (['requests', 'reset'], {'POST': self._clear_requests}),
            (['requests', 'unmatched'], {'GET': self._unmatched}),
            (['requests', 'unmatched', 'near-misses'], {
                'GET': self._unmatched_near_misses}),
            (['near-misses', 'request'], {'POST': self._near_request}),
            (['near-misses', 'request-pattern'], {
                'POST': self._near_pattern}),
            (['settings'], {'GET': self._get_settings,
                            'POST': self._set_settings,
                            'PUT': self._set_settings}),
            (['scenarios'], {'GET': self._scenarios}),
            (['scenarios', 'reset'], {'POST': self._reset_scenarios}),
            (['scenarios', '*', 'state'], {'PUT': self._set_scenario}),
            (['requests', 'count'], {'POST': self._count}),
            (['requests', 'find'], {'POST': self._find}),
            (['requests', 'wait'], {'POST': self._wait}),
            (['errors'], {'GET': self._errors}),
            (['check'], {'POST': self._check}),
            (['data'], {'GET': self._get_data, 'POST': self._set_data,
                        'DELETE': self._clear_data}),
            (['data', '*'], {'DELETE': self._del_data}),
            (['unmatched'], {'GET': self._get_unmatched,
                             'POST': self._set_unmatched,
                             'DELETE': self._clear_unmatched}),
            (['reset'], {'POST': self._reset}),
            (['shutdown'], {'POST': self._shutdown}),
            (['requests', 'remove'], {'POST': self._remove_requests}),
            (['requests', 'remove-by-metadata'], {
                'POST': self._remove_requests_by_metadata}),
            (['requests', '*'], {'GET': self._get_request,
                                 'DELETE': self._delete_request}),
        ] + self.route_endpoints()
        for pattern, methods in routes:
            if len(pattern) == len(parts) and all(
                    p == '*' or p == q for p, q in zip(pattern, parts)):
                handler = methods.get(method)
                if handler is None:
                    allowed = ', '.join(sorted(methods))
                    raise ClientError(405, '%s %s takes %s' % (
                        method, request['url_path'], allowed),
                        [('Allow', allowed)])
                return handler(request, *[q for p, q in zip(pattern, parts)
                                          if p == '*'])
        raise ClientError(404, 'no control endpoint %s; see GET %s/'
                          % (request['url_path'], self.prefix))

    def read_body(self, request):
        """Return a request's JSON body, or raise :class:`ClientError`."""
        return read_body(request)

    def _index(self, request):
        return 200, {'url': self.server.url('/'), 'control': self.url(),
                     'endpoints': list(INDEX)}

    # -- mappings -----------------------------------------------------------
    def _list_mappings(self, request):
        mappings = [to_wiremock(s) for s in self.stubs()]
        return 200, {'mappings': mappings, 'meta': {'total': len(mappings)}}

    def _add_mapping(self, request):
        mapping = read_body(request)
        self.check_persistent(mapping)
        return 201, to_wiremock(self.persist(mapping, self.add_stub(
            mapping)))

    def _remove_mappings(self, request):
        removed = 0
        for stub in self.stubs():
            removed += self.remove_stub(stub['id'])
        return 200, {'removed': removed}

    def _get_mapping(self, request, stub_id):
        for stub in self.stubs():
            if stub['id'] == stub_id:
                return 200, to_wiremock(stub)
        raise ClientError(404, 'no stub with id %s' % stub_id)

    def _remove_mapping(self, request, stub_id):
        if not self.remove_stub(stub_id):
            raise ClientError(404, 'no stub with id %s' % stub_id)
        return 200, {'removed': 1}

    # -- requests -----------------------------------------------------------
    def _list_requests(self, request):
        history = list(self.server.history)
        if _ours(request):
            entries = [entry_to_json(e) for e in history]
            return 200, {'requests': entries,
                         'meta': {'total': len(entries)}}
        since = _since(first_value(request, 'since'))
        events = [serve_event(e, i) for i, e in enumerate(history)
                  if since is None or (e.get('time') or 0) >= since][::-1]
        limit = first_value(request, 'limit')
        if limit is not None:
            if not limit.isdigit():
                raise ClientError(400, 'limit must be a whole number, got '
                                  '%r' % (limit,))
            events = events[:int(limit)]
        return 200, {'requests': events, 'meta': {'total': len(history)},
                     'requestJournalDisabled': False}

    def _clear_requests(self, request):
        self.server.store.clear_history()
        return 200, {}

    def _unmatched(self, request):
        entries = list(self.server.unexpected)
        if _ours(request):
            found = [entry_to_json(e) for e in entries]
        else:
            found = [logged_request(e) for e in entries]
        return 200, {'requests': found, 'meta': {'total': len(found)}}

    def _matching(self, request):
        matcher = request_matcher(read_body(request, {}))
        return [e for e in self.server.history if matcher.matches(e)]

    def _count(self, request):
        return 200, {'count': len(self._matching(request))}

    def _find(self, request):
        shape = entry_to_json if _ours(request) else logged_request
        return 200, {'requests': [shape(e) for e in self._matching(request)]}

    def _wait(self, request):
        body = read_body(request, {})
        if not isinstance(body, dict) or set(body) - set(['count', 'match',
                                                          'timeout']):
            raise ClientError(400, 'a wait takes {"count": N, "match": '
                              '{...}, "timeout": seconds}')
        count, timeout = body.get('count', 1), body.get('timeout', 5.0)
        try:
            check_count(count)
        except ConfigurationError as exc:
            raise ClientError(400, str(exc))
        if isinstance(timeout, bool) or not isinstance(
                timeout, six.integer_types + (float,)) or \
                not 0 <= timeout <= MAX_WAIT:
            raise ClientError(400, 'timeout must be seconds from 0 to %d, '
                              'got %r' % (MAX_WAIT, timeout))
        matcher = request_matcher(body.get('match'))
        # Like Server.wait, and ended by close() so a stop is not held up.
        ok, found = self.server.store.wait(count, matcher.matches, timeout,
                                           cancelled=lambda: self._closed)
        document = {'ok': ok, 'count': len(found),
                    'requests': [entry_to_json(e) for e in found]}
        return (200 if ok else 408), document

    # -- failures -----------------------------------------------------------
    def _errors(self, request):
        return 200, {'errors': [_error_json(e) for e in self.server.errors]}

    def _check(self, request):
        try:
            self.server.check()
        except HandlerError as exc:
            return 200, {'ok': False, 'error': 'HandlerError',
                         'message': str(exc),
                         'errors': [_error_json(e) for e in exc.errors]}
        except VerificationError as exc:
            return 200, {'ok': False, 'error': 'VerificationError',
                         'message': str(exc)}
        return 200, {'ok': True}

    # -- settings -----------------------------------------------------------
    def _data(self):
        # The request's fields and the test's keys: no handler objects.
        return data_to_json(self.server.data.copy(), HANDLER_KEYS)

    def _get_data(self, request):
        return 200, self._data()

    def _set_data(self, request):
        body = read_body(request)
        if not isinstance(body, dict):
            raise ClientError(400, 'give a JSON object of key -> value, '
                              'e.g. {"response_status": 404}')
        for key, value in body.items():
            setting = 'delay' if key == 'response_timeout' else key[9:]
            if key.startswith('response_') and value is not None:
                check_wait("data['%s']" % key, setting, value)
        try:
            data = from_json(body)
        except ValueError as exc:
            raise ClientError(400, 'data: %s' % (exc,))
        self.server.data.update(data)
        return 200, self._data()

    def _clear_data(self, request):
        self.server.data.clear()
        return 200, {}

    def _del_data(self, request, key):
        self.server.data.pop(key, None)
        return 200, self._data()

    def _get_unmatched(self, request):
        return 200, {'response': self._unmatched_response}

    def _set_unmatched(self, request):
        body = read_body(request)
        self.server.unmatched_response = response_spec({'response': body})
        self._unmatched_response = body
        return 200, {'response': body}

    def _clear_unmatched(self, request):
        self.server.unmatched_response = None
        self._unmatched_response = None
        return 200, {'response': None}

    # -- life ---------------------------------------------------------------
    def _reset(self, request):
        self.reset()
        return 200, {'ok': True}

    def _shutdown(self, request):
        self.close()
        thread = threading.Thread(target=self._on_shutdown,
                                  name='httptestserver-shutdown')
        thread.daemon = True
        thread.start()
        return 200, {'ok': True}


def _since(text):
    """Return the epoch seconds of WireMock's ``since`` parameter (ISO 8601
    in UTC, ``2024-01-31T10:00:00Z``, with or without milliseconds), None
    when absent; a 400 when it is not such a time."""
    if text is None:
        return None
    found = re.match(r'^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z$', text)
    if found is None:
        raise ClientError(400, 'since must be a UTC time like '
                          '2024-01-31T10:00:00Z, got %r' % (text,))
    seconds = calendar.timegm(time.strptime(found.group(1),
                                            '%Y-%m-%dT%H:%M:%S'))
    return seconds + float(found.group(2) or 0)


def _ours(request):
    return first_value(request, 'format') == ENTRIES


def _error_json(error):
    line, exc, text = error
    return {'request': line, 'error': repr(exc), 'traceback': text}
