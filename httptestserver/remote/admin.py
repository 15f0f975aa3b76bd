"""WireMock's own admin endpoints, and its shapes of the request journal.

WireMock's clients read ``GET /__admin/requests`` as *serve events*
(``{"id", "request": {...}, "responseDefinition", "wasMatched"}``) and
``requests/find`` as *logged requests*; :func:`serve_event` and
:func:`logged_request` give a history entry those shapes.
:func:`near_misses` ranks stubs by how close they come to a request (or
requests to a pattern), with a per-field diff.  :class:`WireMockEndpoints`
holds the endpoints only WireMock has (mappings reset, save, import
options and metadata, requests by id and removal, near misses, settings,
scenarios); it is a base of
:class:`~httptestserver.remote.endpoints.Endpoints`, which routes to them.
The per-field diff here is a small adapter: a fuller near-miss module can
replace :func:`near_misses` without changing the endpoints.
No sockets or threads of its own; thread-safe as the control API is.
"""
import base64
import json as jsonlib
import time
import uuid

import six

from ..answers.conditions import Body
from ..answers.matchers import Matcher
from ..headers import Headers
from .wiremock import parse_mappings, save_stubs, to_stub, to_wiremock

__all__ = ['serve_event', 'logged_request', 'near_misses', 'entry_id',
           'WireMockEndpoints', 'ClientError', 'read_body', 'first_value',
           'MAX_WAIT', 'MAX_DEPTH']

#: The longest a wait may block, in seconds.
MAX_WAIT = 300.0
#: The deepest a control request's JSON may nest.
MAX_DEPTH = 100

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Dict, List  # noqa: F401


def entry_id(entry, index):
    """A stable id for the *index*-th entry of the history."""
    key = '%r/%d' % (entry.get('time'), index)
    return str(uuid.uuid5(uuid.NAMESPACE_URL, key))


def _text(value):
    if isinstance(value, bytes):
        return value.decode('utf-8', 'replace')
    return value


def logged_request(entry):
    # type: (Dict[str, Any]) -> Dict[str, Any]
    """Return a history *entry* as WireMock's ``LoggedRequest``."""
    headers = {}  # type: Dict[str, Any]
    items = entry.get('headers')  # type: Any
    for name, value in (items.items_all() if hasattr(items, 'items_all')
                        else items or []):
        name, value = _text(name), _text(value)
        if name in headers:
            old = headers[name]
            headers[name] = (old if isinstance(old, list) else [old]) + [
                value]
        else:
            headers[name] = value
    body = entry.get('body') or b''
    when = entry.get('time') or 0.0
    query = entry.get('query') or {}
    client = entry.get('client_address') or ('',)
    return {
        'url': _text(entry.get('path') or ''),
        'absoluteUrl': _text(entry.get('url') or ''),
        'method': _text(entry.get('method') or ''),
        'clientIp': _text(client[0]),
        'headers': headers,
        'cookies': dict((_text(k), _text(v)) for k, v in (
            entry.get('cookies') or {}).items()),
        'queryParams': dict((_text(k), {'key': _text(k), 'values': [
            _text(v) for v in values]}) for k, values in query.items()),
        'body': body.decode('utf-8', 'replace'),
        'bodyAsBase64': base64.b64encode(body).decode('ascii'),
        'browserProxyRequest': False,
        'loggedDate': int(when * 1000),
        'loggedDateString': time.strftime('%Y-%m-%dT%H:%M:%S.', time.gmtime(
            when)) + '%03dZ' % (int(when * 1000) % 1000),
        'scheme': _text(entry.get('scheme') or 'http'),
        'protocol': _text(entry.get('request_version') or 'HTTP/1.1'),
    }


def serve_event(entry, index):
    # type: (Dict[str, Any], int) -> Dict[str, Any]
    """Return the *index*-th history *entry* as WireMock's serve event."""
    status = entry.get('response_status')
    matched = not entry.get('unexpected')
    content = entry.get('response_content')
    response = {'status': status}
    if content is not None:
        response['body'] = content.decode('utf-8', 'replace')
    return {'id': entry_id(entry, index), 'request': logged_request(entry),
            'responseDefinition': dict(response,
                                       fromConfiguredStub=matched),
            'response': response, 'wasMatched': matched}


def _diff(matcher, request):
    """The fields of *request* that *matcher* rejects, one row each."""
    rows = []
    checks = [('method', {'method': matcher.spec.get('method')})]
    for key in ('path', 'url', 'path_prefix', 'path_pattern',
                'url_pattern'):
        checks.append(('url', {key: matcher.spec.get(key)}))
    for key in ('query', 'headers', 'cookies'):
        for name, cond in (matcher.spec.get(key) or {}).items():
            checks.append(('%s %s' % (key, name), {key: {name: cond}}))
    for key in ('body', 'json', 'json_subset'):
        if matcher.spec.get(key) is not None:
            part = {key: matcher.spec[key]}
            if 'ignore_array_order' in matcher.spec:
                part['ignore_array_order'] = matcher.spec[
                    'ignore_array_order']
            checks.append(('body', part))
    for label, part in checks:
        part = dict((k, v) for k, v in part.items() if v is not None)
        if not part:
            continue
        reason = Matcher(part, untrusted=True).explain(request)
        if reason is not None:
            rows.append({'field': label, 'reason': reason})
    return rows


def near_misses(pairs, limit=5, key='stubMapping'):
    # type: (List[Any], int, str) -> List[Dict[str, Any]]
    """Rank ``(entry, stub)`` *pairs* by how many fields differ (fewest
    first; exact matches are left out); return WireMock's near-miss shape
    -- the logged ``request``, the stub under *key* (``stubMapping``, or
    ``requestPattern`` for a pattern: its ``request`` part) and a
    ``matchResult`` ``distance`` -- with our per-field ``diff``."""
    found = []
    for entry, stub in pairs:
        rows = _diff(Matcher(stub['match'], untrusted=True), entry)
        if rows:
            found.append((len(rows), entry, stub, rows))
    found.sort(key=lambda item: item[0])
    result = []
    for count, entry, stub, rows in found[:limit]:
        mapping = to_wiremock(stub)
        result.append({
            'request': logged_request(entry),
            key: mapping if key == 'stubMapping' else mapping['request'],
            'matchResult': {'distance': round(count / (count + 1.0), 3)},
            'diff': rows})
    return result


class ClientError(Exception):
    """A control request the caller got wrong: answered with *status*, the
    message as ``{"error": ...}`` and *headers*."""

    def __init__(self, status, message, headers=()):
        Exception.__init__(self, message)
        self.status = status
        self.headers = list(headers)


def first_value(request, name):
    values = (request.get('query') or {}).get(name) or []
    return values[0] if values else None


def read_body(request, default=None):
    body = request.get('body') or b''
    if not body.strip():
        if default is not None:
            return default
        raise ClientError(400, 'this endpoint needs a JSON body')
    deep = ClientError(400, 'the body is JSON nested deeper than %d levels; '
                       'flatten it' % MAX_DEPTH)
    try:
        document = jsonlib.loads(body.decode('utf-8'))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ClientError(400, 'the body is not JSON: %s' % exc)
    except RuntimeError:  # RecursionError (Python 2: RuntimeError)
        raise deep
    todo = [(document, 1)]
    while todo:  # no recursion: the depth is what is in question
        value, depth = todo.pop()
        if isinstance(value, (dict, list)):
            if depth > MAX_DEPTH:
                raise deep
            todo.extend((item, depth + 1) for item in (
                value.values() if isinstance(value, dict) else value))
    return document


def metadata_matches(pattern, metadata):
    """True if *metadata* holds *pattern* (WireMock's ``matchesJsonPath``
    and ``equalToJson`` by metadata: ``{"matchesJsonPath": {"expression":
    "$.a", "equalTo": "x"}}`` or ``{"equalToJson": {...}}``)."""
    if not isinstance(pattern, dict):
        raise ClientError(400, 'give a metadata pattern like '
                          '{"matchesJsonPath": "$.owner"}')
    spec = parse_mappings({'request': {'bodyPatterns': [pattern]}},
                          'metadata pattern')[0]['match']['body'][0]
    spec = dict(spec)
    if 'json' in spec:  # WireMock: the pattern is a subset of the metadata
        spec = {'json_subset': spec['json'], 'placeholders': True}
    document = jsonlib.dumps(metadata).encode('utf-8')
    return Body('metadata', spec).test({'body': document})


def entry_from_logged(logged):
    """Return a recorded-request dict from WireMock's LoggedRequest shape
    (``near-misses/request``)."""
    url = logged.get('url') or '/'
    path, _, query_string = url.partition('?')
    query = {}
    for part in query_string.split('&') if query_string else []:
        name, _, value = part.partition('=')
        query.setdefault(name, []).append(value)
    pairs = []
    for name, value in (logged.get('headers') or {}).items():
        for item in value if isinstance(value, list) else [value]:
            pairs.append((name, item))
    body = (logged.get('body') or '').encode('utf-8')
    return {'method': logged.get('method') or 'GET', 'path': url,
            'url_path': path, 'query': query, 'headers': Headers(pairs),
            'cookies': logged.get('cookies') or {}, 'body': body}


class WireMockEndpoints(object):
    """The endpoints only WireMock has; a mixin of the control API (see
    :class:`~httptestserver.remote.endpoints.Endpoints`)."""

    def _event(self, event_id):
        for index, entry in enumerate(self.server.history):
            if entry_id(entry, index) == event_id:
                return index, entry
        raise ClientError(404, 'no request with id %s' % event_id)

    def _get_request(self, request, event_id):
        return 200, serve_event(*reversed(self._event(event_id)))

    def _delete_request(self, request, event_id):
        index, entry = self._event(event_id)
        self.server.store.remove_history(lambda e: e == entry)
        return 200, {}

    def _remove_requests(self, request):
        matcher = Matcher(to_stub({'request': read_body(request)},
                                  'request pattern')['match'],
                          untrusted=True)
        removed = [logged_request(e) for e in self.server.history
                   if matcher.matches(e)]
        self.server.store.remove_history(matcher.matches)
        return 200, {'requests': removed,
                     'meta': {'total': len(removed)}}

    def _remove_requests_by_metadata(self, request):
        raise ClientError(422, 'requests/remove-by-metadata is not '
                          'supported: the history does not keep the stub '
                          'each request matched; use requests/remove with '
                          'a request pattern')

    def _import_mappings(self, request):
        body = read_body(request)
        options = body.get('importOptions') if isinstance(body, dict) \
            else None
        options = {} if options is None else options
        if not isinstance(options, dict) or set(options) - set(
                ['duplicatePolicy', 'deleteAllNotInImport']) or \
                options.get('duplicatePolicy', 'OVERWRITE') not in (
                    'OVERWRITE', 'IGNORE'):
            raise ClientError(422, 'importOptions takes duplicatePolicy '
                              '(OVERWRITE or IGNORE) and deleteAllNotInImport'
                              ', got %r' % (options,))
        if isinstance(body, dict):
            body = dict((k, v) for k, v in body.items()
                        if k != 'importOptions')
        stubs = parse_mappings(body, 'import')
        ids = set(s['id'] for s in self.stubs())
        if options.get('deleteAllNotInImport'):
            new = set(s['id'] for s in stubs)
            for stub_id in ids - new:
                self.remove_stub(stub_id)
        added = []
        for stub in stubs:
            if stub['id'] in ids and options.get(
                    'duplicatePolicy') == 'IGNORE':
                continue
            added.append(to_wiremock(self.add_stub(stub, replace=True)))
        return 200, {'mappings': added}

    def _put_mapping(self, request, stub_id):
        if not any(s['id'] == stub_id for s in self.stubs()):
            raise ClientError(404, 'no stub with id %s' % stub_id)
        mapping = read_body(request)
        if not isinstance(mapping, dict):
            raise ClientError(400, 'give a stub mapping object')
        mapping = dict(mapping, id=stub_id)
        mapping.pop('uuid', None)
        self.check_persistent(mapping)
        return 200, to_wiremock(self.persist(mapping, self.add_stub(
            mapping, replace=True)))

    def _reset_mappings(self, request):
        self.reset(history=False)
        return 200, {}

    def _save_mappings(self, request):
        if self.root is None:
            raise ClientError(422, 'this server has no stubs directory to '
                              'save to; start it with --stubs DIR')
        save_stubs(self.root, self.stubs())
        return 200, {}

    def _by_metadata(self, request):
        pattern = read_body(request)
        return [s for s in self.stubs()
                if metadata_matches(pattern, s.get('metadata') or {})]

    def _remove_by_metadata(self, request):
        for stub in self._by_metadata(request):
            self.remove_stub(stub['id'])
        return 200, {}

    def _find_by_metadata(self, request):
        found = [to_wiremock(s) for s in self._by_metadata(request)]
        return 200, {'mappings': found, 'meta': {'total': len(found)}}

    def _unmatched_near_misses(self, request):
        stubs = self.stubs()
        pairs = [(e, s) for e in self.server.unexpected for s in stubs]
        return 200, {'nearMisses': near_misses(pairs)}

    def _near_request(self, request):
        body = read_body(request)
        if not isinstance(body, dict):
            raise ClientError(400, 'give a logged request object')
        entry = entry_from_logged(body)
        return 200, {'nearMisses': near_misses(
            [(entry, s) for s in self.stubs()])}

    def _near_pattern(self, request):
        stub = to_stub({'request': read_body(request)}, 'request pattern')
        return 200, {'nearMisses': near_misses(
            [(e, stub) for e in self.server.history],
            key='requestPattern')}

    # -- WireMock settings and scenarios -------------------------------------
    def _get_settings(self, request):
        return 200, {'settings': dict(self.settings)}

    def _set_settings(self, request):
        body = read_body(request)
        if isinstance(body, dict) and isinstance(body.get('settings'), dict):
            body = body['settings']  # GET's shape, posted back
        if not isinstance(body, dict) or set(body) - set(['fixedDelay']):
            raise ClientError(422, 'the supported setting is fixedDelay '
                              '(milliseconds); got %r' % (body,))
        delay = body.get('fixedDelay')
        if delay is not None and (isinstance(delay, bool) or not isinstance(
                delay, six.integer_types + (float,)) or
                not 0 <= delay <= MAX_WAIT * 1000):
            raise ClientError(422, 'fixedDelay must be milliseconds from 0 '
                              'to %d, got %r' % (MAX_WAIT * 1000, delay))
        self.apply_settings(dict((k, v) for k, v in body.items()
                                 if v is not None))
        return 200, {'settings': dict(self.settings)}

    def _scenarios(self, request):
        return 200, {'scenarios': self.scenarios.describe()}

    def _reset_scenarios(self, request):
        self.scenarios.reset()
        return 200, {}

    def _set_scenario(self, request, name):
        body = read_body(request, {})
        state = body.get('state') if isinstance(body, dict) else None
        if body and not isinstance(state, six.string_types):
            raise ClientError(400, 'give {"state": "name"}')
        if state is None:
            self.scenarios.reset(name)
            known = name in [s['name'] for s in self.scenarios.describe()]
        else:
            known = self.scenarios.set_state(name, state)
        if not known:
            raise ClientError(404, 'no scenario %r' % name)
        return 200, {}
