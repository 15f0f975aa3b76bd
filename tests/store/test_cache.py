"""The response cache: plain responses kept per spec identity; streamed,
faulted and takeover responses and callables never kept; bounded."""
from httptestserver import Response
from httptestserver.answers.responses import make_response
from httptestserver.store.cache import ResponseCache


def test_a_plain_response_is_kept_for_its_spec():
    cache = ResponseCache()
    spec = {'status': 201, 'body': 'made once'}
    response = make_response(spec)
    cache.keep(spec, response)
    assert cache.get(spec) is response


def test_a_spec_never_kept_gets_none():
    assert ResponseCache().get({'body': 'x'}) is None


def test_responses_are_kept_by_spec_identity_not_equality():
    cache = ResponseCache()
    spec = {'body': 'same'}
    cache.keep(spec, make_response(spec))
    assert cache.get({'body': 'same'}) is None


def test_a_spec_whose_id_was_reused_is_not_mistaken_for_the_kept_one():
    cache = ResponseCache()
    spec = {'body': 'gone'}
    cache.keep(spec, make_response(spec))
    impostor = {'body': 'other'}
    # As if *spec* were freed and its id given to another object.
    cache._kept[id(impostor)] = cache._kept.pop(id(spec))
    assert cache.get(impostor) is None


def test_a_streamed_response_is_never_kept():
    cache = ResponseCache()
    spec = {'body': iter([b'a', b'b'])}
    response = make_response(spec)
    assert response.streamed
    cache.keep(spec, response)
    assert cache.get(spec) is None


def test_a_response_with_faults_is_never_kept():
    cache = ResponseCache()
    spec = {'body': 'x', 'fault': 'reset'}
    response = make_response(spec)
    assert response.faults
    cache.keep(spec, response)
    assert cache.get(spec) is None


def test_a_takeover_response_is_never_kept():
    cache = ResponseCache()
    spec = object()
    cache.keep(spec, Response(101, takeover=lambda sock, rest: None))
    assert cache.get(spec) is None


def test_the_response_of_a_callable_spec_is_never_kept():
    cache = ResponseCache()

    def spec(request):
        return 'made per request'
    cache.keep(spec, make_response(spec, {}))
    assert cache.get(spec) is None


def test_a_none_spec_is_never_kept():
    cache = ResponseCache()
    cache.keep(None, Response())
    assert cache.get(None) is None


def test_the_cache_holds_at_most_size_responses():
    cache = ResponseCache()
    cache.size = 3
    specs = [{'body': str(n)} for n in range(4)]
    for spec in specs:
        cache.keep(spec, make_response(spec))
    assert len(cache._kept) <= 3
    assert cache.get(specs[-1]) is not None


def test_clear_forgets_every_response():
    cache = ResponseCache()
    specs = [{'body': str(n)} for n in range(3)]
    for spec in specs:
        cache.keep(spec, make_response(spec))
    cache.clear()
    assert [cache.get(spec) for spec in specs] == [None, None, None]
