"""JSON matching (``answers/json_matching.py``): how a match spec's ``json``
and ``json_subset`` conditions compare documents.  Pure; the conditions
through :class:`~httptestserver.answers.matchers.Matcher` are tested in
test_matchers.py.
"""
from httptestserver.answers.json_matching import json_matches


def test_json_numbers_never_equal_booleans():
    assert not json_matches(1, True)
    assert not json_matches({'a': [True]}, {'a': [1]})
    assert json_matches([{'a': 1}, {'b': 2}], [{'b': 2}, {'a': 1}],
                        ignore_order=True)
    assert not json_matches([1, 1], [1, 2], ignore_order=True)
