"""Patterns from stubs: the shapes that backtrack for ever are refused by
reading the pattern, never by running it; the rest pass, and what they are
matched against is capped."""
import re
import time

import pytest
import six

from httptestserver.answers.patterns import MAX_SUBJECT, capped, \
    check_pattern, compile_pattern
from httptestserver.errors import ConfigurationError

#: Patterns whose matching time explodes on a subject of a few dozen
#: characters (each was timed on CPython), and their neighbours.
MALICIOUS = [
    r'/(a+)+b', r'(a*)*b', r'(a+)*b', r'(a+){2,}b', r'(?:a+)+', r'(.*)+x',
    r'(.+)+x', r'(?:x+)*y', r'((ab)*)+c', r'(\s*\S*)*x', r'(a+a)+b',
    r'(x+x+)+y', r'(?:a+b?)+c', r'(?:\d+\.?)+x', r'(\w+\s?)+$',
    r'(?:(?:a+)?)+b', r'(\d+|\w+)+!', r'(?:a+|b)+c',
    r'^(([a-z])+.)+[A-Z]([a-z])+$', r'([a-zA-Z0-9]+)*@',
    r'(?:[a-z]+-?)*[a-z]+@', r'(a{1,10}){1,10}b', r'(.*a){12}',
    r'(a|a)+b', r'(a|aa)+b', r'(a|a?)+b', r'(a|b|ab)+c', r'(.|\s)*x',
    r'(?:x(?:y|y))+z', r'(?i)(Ab|ab)+c', r'(?:ab|cd|abcd)+e',
    r'(?:(?:a|b)+)+', r'(?:(?:(?:b)?)?[^b])*', r'(?:(?:a*)?b)+',
]

#: Patterns of everyday stubs, which must keep loading.
BENIGN = [
    r'/users/[0-9]+', r'/api/v[12]/.*', r'/(foo|bar)/x', r'.*\.json',
    r'/items\?page=\d+', r'/(?:[^/]+/)*file', r'/files/.+', r'(?:/[\w-]+)+',
    r'\d{1,3}(?:\.\d{1,3}){3}',
    r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}',
    r'(\w+\.)+\w+', r'Bearer .+', r'(?i)application/json.*',
    r'(?:GET|POST|PUT)', r'(?:foo|far)+x', r'(a+b+)+c', r'/(en|fr|de)/.*',
    r'[^?]*\?.*', r'(?:ab)+', r'(?:a|b)+', r'(?:\d{2}:){2}\d{2}',
    r'\s*\{.*\}\s*', r'(?:x|y|z)*', r'(a|ab)+c', r'(?:[^/]*/)*',
    r'/api/.*/items/.*', r'(?:ab|cd)+', r'(?:/a|/b)+', r'^/health$',
    r'(?=.*x)/.*', r'/users/(?P<id>\d+)/(?P=id)', r'(?:\w+=\w+&)*\w+=\w+',
    r'(?:[a-z]{2}-)?[A-Z]{2}', r'(?:(?:ab)?c)+', r'.{0,100}', r'x{3,}',
]


@pytest.mark.parametrize('pattern', MALICIOUS)
def test_patterns_that_backtrack_for_ever_are_refused_by_name(pattern):
    with pytest.raises(ConfigurationError) as info:
        check_pattern('match.path_pattern', pattern)
    message = str(info.value)
    assert message.startswith('match.path_pattern: %r' % (pattern,))
    assert 'exponential' in message or 'polynomial' in message


@pytest.mark.parametrize('pattern', BENIGN)
def test_everyday_patterns_pass(pattern):
    re.compile(pattern)
    assert check_pattern('match.path_pattern', pattern) == pattern


def test_the_check_is_quick_even_for_long_patterns():
    started = time.time()
    many = u'|'.join(six.unichr(0x4E00 + i) + u'x' for i in range(300))
    check_pattern('p', u'(?:%s)+' % many + u'(?:[a-z]{2}[0-9]-?)*' * 200)
    assert time.time() - started < 2.0


def test_a_capped_pattern_does_not_match_longer_text_and_never_raises():
    match = capped(re.compile('.*').match)
    assert match('x' * MAX_SUBJECT)
    assert not match('x' * (MAX_SUBJECT + 1))
    assert not match(b'x' * (MAX_SUBJECT + 1))


@pytest.mark.parametrize('depth', [150, 5000])
def test_a_pattern_nested_too_deep_is_refused_not_a_crash(depth):
    with pytest.raises(ConfigurationError) as info:
        compile_pattern('p', '(?:' * depth + 'a+' + ')+' * depth,
                        untrusted=True)
    assert 'nest' in str(info.value) or 'exponential' in str(info.value)
