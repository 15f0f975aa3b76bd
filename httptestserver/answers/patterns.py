"""Regular expressions from stubs: refuse those that backtrack for ever.

A stub's patterns (``path_pattern``, ``url_pattern``, ``matches``) come from
files and the control API -- untrusted input -- and Python's backtracking
engine runs them holding the GIL, so one request can freeze the process.
:func:`check_pattern` reads the parsed pattern (never runs it) and refuses
the shapes that take exponential time: inside a repeat, a choice the next
character cannot decide -- a repeated or optional part followed by what it
could match itself (``(a+)+``, ``(\\w+\\s?)+`` are refused,
``(?:[^/]+/)*`` is not), or alternatives that can match the same text
(``(a|a)+``, ``(a|b|ab)+``).  It is conservative:
it may refuse a pattern that is in fact fast; the message says how to
rewrite it.  :func:`capped` bounds what a pattern is matched against
(:data:`MAX_SUBJECT`).  Pure: no I/O, thread-safe.
"""
import re
import sys

import six

from ..errors import ConfigurationError

try:  # Python 3.11+: sre_parse is deprecated in favour of re._parser
    from re import _parser as sre_parse  # type: ignore
except ImportError:  # Python 2.7 to 3.10
    import sre_parse  # type: ignore

__all__ = ['compile_pattern', 'check_pattern', 'capped', 'MAX_SUBJECT']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Callable, List, Tuple  # noqa: F401

#: The longest text (characters; bytes for a body) a stub's pattern is
#: matched against: longer text does not match.  It bounds the work of the
#: patterns :func:`check_pattern` lets through.
MAX_SUBJECT = 8192

_REPEATS = ('MAX_REPEAT', 'MIN_REPEAT', 'POSSESSIVE_REPEAT')
_ONE_CHAR = ('LITERAL', 'NOT_LITERAL', 'ANY', 'IN')
_NESTED = ('inside a repeat, where one repeated part ends and the next '
           'begins is ambiguous (like (a+)+, (\\w+\\s?)+ or (a?a)+), so one '
           'request can make matching take exponential time and freeze the '
           'server; end each repeated part at a character it cannot match, '
           'e.g. (?:[^/]+/)* or (?:\\w+\\s)*')
_OVERLAP = ('under a repeat, two of its alternatives can match the same text '
            '(like (a|a)+ or (a|b|ab)+), so one request can make matching '
            'take exponential time and freeze the server; make the '
            'alternatives start with different characters')
# Code points a character class is probed at, besides its own bounds.
_PROBES = frozenset(list(range(256)) + [
    0x130, 0x131, 0x17F, 0x3B1, 0x410, 0x660, 0x2028, 0x212A, 0x3000, 0x4E00,
    0xFF10, 0xFFFF])


class _Unsafe(Exception):
    pass


def compile_pattern(field, pattern, untrusted=False):
    # type: (str, Any, bool) -> Callable[[Any], Any]
    """Return a function that tells whether a text matches *pattern* whole.

    *untrusted* (a stub's pattern) checks it with :func:`check_pattern`
    and caps what it is matched against (:func:`capped`).  Raises
    :class:`ConfigurationError` naming *field* for a pattern that is not
    text or does not compile (or is refused).
    """
    def fail(why):
        raise ConfigurationError('%s: %r is not usable; %s'
                                 % (field, pattern, why))
    if not isinstance(pattern, six.string_types):
        fail('give a regular expression as a string')
    try:
        compiled = re.compile(pattern, re.DOTALL)
    except re.error as exc:
        fail('it is not a valid regular expression (%s)' % exc)
    except RuntimeError:  # RecursionError (Python 2: RuntimeError)
        fail('it nests too deep; flatten it')
    except (OverflowError, ValueError, AssertionError) as exc:
        # A repeat count past re's limit ({4294967296}); Python 3.6 says
        # ValueError and 2.7 AssertionError (over 100 groups).
        fail('re cannot compile it (%s)' % (exc,))
    match = getattr(compiled, 'fullmatch', None)
    if match is None:  # Python 2: no fullmatch
        match = re.compile('(?:%s)\\Z' % pattern, re.DOTALL).match
    if untrusted:
        check_pattern(field, pattern)
        return capped(match)
    return match


def check_pattern(field, pattern):
    # type: (str, str) -> str
    """Return *pattern* if its matching time stays bounded, else raise
    :class:`ConfigurationError` naming *field*, the pattern and why.

    *pattern* must compile (check that first).  Pure, thread-safe; quick
    (it reads the pattern once, probing character classes at a few hundred
    code points).
    """
    try:
        parsed = sre_parse.parse(pattern, re.DOTALL)
        state = getattr(parsed, 'state', None) or parsed.pattern
        fold = bool(state.flags & re.IGNORECASE) or \
            _local_ignore_case(parsed)
        _Check(fold).walk(parsed)
    except (_Unsafe, RuntimeError) as exc:  # 3: RecursionError
        why = exc.args[0] if isinstance(exc, _Unsafe) else \
            'it nests too deep to be checked; flatten it'
        shown = pattern if len(pattern) <= 200 else pattern[:200] + '...'
        raise ConfigurationError('%s: %r is not usable; %s'
                                 % (field, shown, why))
    return pattern


def capped(match):
    # type: (Callable[[Any], Any]) -> Callable[[Any], bool]
    """Wrap a compiled pattern's *match* so that text longer than
    :data:`MAX_SUBJECT` does not match (it is not even looked at)."""
    def bounded(text):
        return len(text) <= MAX_SUBJECT and bool(match(text))
    return bounded


# -- the parsed pattern -----------------------------------------------------
def _name(op):
    return str(op).upper()  # Python 2: the opcodes are lower-case strings


def _inner(av):
    return av[-1]  # Python 2: (group, p); 3: (group, add, del, p)


def _local_ignore_case(parsed):
    for op, av in _nodes(parsed):
        if _name(op) == 'SUBPATTERN' and len(av) == 4 and \
                av[1] & re.IGNORECASE:
            return True
    return False


def _nodes(items):
    """Every (op, av) of *items*, at any depth."""
    for op, av in items:
        yield op, av
        for child in _children(op, av):
            for node in _nodes(child):
                yield node


def _children(op, av):
    name = _name(op)
    if name in _REPEATS:
        return [av[2]]
    if name in ('SUBPATTERN', 'ATOMIC_GROUP'):
        return [av if name == 'ATOMIC_GROUP' else _inner(av)]
    if name in ('ASSERT', 'ASSERT_NOT'):
        return [av[1]]
    if name == 'BRANCH':
        return list(av[1])
    if name == 'GROUPREF_EXISTS':
        return [av[1], av[2] or []]
    return []


def _flatten(items):
    """*items* with the groups that are not repeated spliced in."""
    result = []  # type: List[Any]
    for op, av in items:
        if _name(op) == 'SUBPATTERN':
            result.extend(_flatten(_inner(av)))
        else:
            result.append((op, av))
    return result


# -- sets of characters ------------------------------------------------------
class _Chars(object):
    """A set of characters: a membership test on code points, the code
    points where it may change (probed to tell whether two sets meet), and,
    for a few literal characters, the set itself (*exact*)."""

    def __init__(self, test, points=(), exact=None):
        self.test = test
        self.points = frozenset(points)
        self.exact = exact

    def __or__(self, other):
        exact = None
        if self.exact is not None and other.exact is not None:
            exact = self.exact | other.exact
        return _Chars(lambda c: self.test(c) or other.test(c),
                      self.points | other.points, exact)

    def meets(self, other):
        """True if a character is in both sets."""
        if self.exact is not None and other.exact is not None:
            return not self.exact.isdisjoint(other.exact)
        if self.exact is not None or other.exact is not None:
            exact, test = (self.exact, other.test) if self.exact is not \
                None else (other.exact, self.test)
            return any(test(c) for c in exact)
        for point in self.points | other.points | _PROBES:
            if 0 <= point <= sys.maxunicode and self.test(point) and \
                    other.test(point):
                return True
        return False


_NOTHING = _Chars(lambda c: False, (), frozenset())
_ANYTHING = _Chars(lambda c: True)
_CATEGORIES = dict((name, re.compile(regex, re.UNICODE)) for name, regex in (
    ('DIGIT', r'\d'), ('NOT_DIGIT', r'\D'), ('SPACE', r'\s'),
    ('NOT_SPACE', r'\S'), ('WORD', r'\w'), ('NOT_WORD', r'\W'),
    ('LINEBREAK', r'\n'), ('NOT_LINEBREAK', r'[^\n]')))


def _category(av):
    name = _name(av)
    for prefix in ('CATEGORY_UNI_', 'CATEGORY_LOC_', 'CATEGORY_'):
        if name.startswith(prefix):
            regex = _CATEGORIES.get(name[len(prefix):])
            if regex is not None:
                return _Chars(lambda c: bool(regex.match(six.unichr(c))))
    return _ANYTHING


def _one_char(op, av):
    """The characters one single-character item matches."""
    name = _name(op)
    if name == 'LITERAL':
        return _Chars(lambda c: c == av, [av], frozenset([av]))
    if name == 'NOT_LITERAL':
        return _Chars(lambda c: c != av, [av - 1, av, av + 1])
    if name == 'RANGE':
        low, high = av
        return _Chars(lambda c: low <= c <= high,
                      [low - 1, low, high, high + 1])
    if name == 'CATEGORY':
        return _category(av)
    if name == 'IN':
        negate = bool(av) and _name(av[0][0]) == 'NEGATE'
        chars = _NOTHING
        for item in av[1 if negate else 0:]:
            chars = chars | _one_char(*item)
        if negate:
            inside = chars
            return _Chars(lambda c: not inside.test(c), inside.points)
        return chars
    return _ANYTHING  # ANY, and anything unknown: conservative


def _folded(chars):
    """*chars* ignoring case."""
    def variants(c):
        text = six.unichr(c)
        return set([c] + [ord(t) for t in (text.lower(), text.upper())
                          if len(t) == 1])
    if chars.exact is not None:
        exact = frozenset(v for c in chars.exact for v in variants(c))
        return _Chars(lambda c: c in exact, exact, exact)
    points = set()
    for point in chars.points | _PROBES:
        if 0 <= point <= sys.maxunicode:
            points.update(variants(point))
    return _Chars(lambda c: any(chars.test(v) for v in variants(c)), points)


# -- the check ---------------------------------------------------------------
class _Check(object):
    """One check of one parsed pattern; *fold* when it ignores case.

    Inside a loop (a repeat of more than once), every choice -- where a
    repeat stops, which alternative is taken -- must be decided by the next
    character: what the choice can still match must not meet what can
    follow it (in the loop, the next iteration follows the body).  Loops
    outside any loop are checked with what their body starts with as what
    follows; the text after a loop does not make matching exponential.
    """

    def __init__(self, fold):
        self.fold = fold

    def walk(self, items):
        """Check every loop of *items* that is inside no loop."""
        for op, av in items:
            if _name(op) in _REPEATS and av[1] > 1:
                start, _ = self.first(av[2])
                self.sequence(_flatten(av[2]), start)
            else:
                for child in _children(op, av):
                    self.walk(child)

    def sequence(self, items, after):
        """Check *items*, inside a loop, followed by characters *after*."""
        for index, (op, av) in enumerate(items):
            following, empty = self.first(items[index + 1:])
            self.item(op, av, following | after if empty else following)

    def item(self, op, av, after):
        name = _name(op)
        if name in _REPEATS:
            low, high, body = av
            run, empty = self.first(body)
            # A choice of how often to repeat: the next character must
            # decide it, and a body matching nothing would make two ways.
            if low < high and (empty or run.meets(after)):
                raise _Unsafe(_NESTED)
            self.sequence(_flatten(body), run | after if high > 1 else after)
        elif name in ('BRANCH', 'GROUPREF_EXISTS'):
            branches = _children(op, av)
            self.alternatives(branches, after)
            for branch in branches:
                self.sequence(_flatten(branch), after)
        elif name in ('SUBPATTERN', 'ATOMIC_GROUP'):
            self.sequence(_flatten(_children(op, av)[0]), after)
        elif name in ('ASSERT', 'ASSERT_NOT'):
            self.walk(av[1])  # a lookaround matches on its own

    def alternatives(self, branches, after):
        """Refuse alternatives two of which can match the same text (an
        alternative that can match nothing starts with what follows)."""
        seen = []  # type: List[Tuple[Any, bool, Any]]
        for branch in branches:
            first, empty = self.first(branch)
            if empty:
                first = first | after
            simple = self.simple(branch)
            for other_first, other_empty, other_simple in seen:
                if empty and other_empty:
                    raise _Unsafe(_OVERLAP)
                if not first.meets(other_first):
                    continue
                if simple is not None and other_simple is not None and \
                        len(simple) == len(other_simple) and not all(
                            a.meets(b) for a, b in zip(simple, other_simple)):
                    continue  # as wide as each other, never the same text
                raise _Unsafe(_OVERLAP)
            seen.append((first, empty, simple))

    def simple(self, items):
        """The sets of a run of single characters, or None."""
        if not all(_name(op) in _ONE_CHAR for op, _ in items):
            return None
        return [self.chars(op, av) for op, av in items]

    def chars(self, op, av):
        chars = _one_char(op, av)
        return _folded(chars) if self.fold else chars

    def first(self, items):
        """``(characters a match of items can start with, may be empty)``."""
        chars = _NOTHING
        for op, av in items:
            start, empty = self.first_of(op, av)
            chars = chars | start
            if not empty:
                return chars, False
        return chars, True

    def first_of(self, op, av):
        name = _name(op)
        if name in _ONE_CHAR:
            return self.chars(op, av), False
        if name in _REPEATS:
            start, empty = self.first(av[2])
            return start, empty or av[0] == 0
        if name in ('SUBPATTERN', 'ATOMIC_GROUP', 'BRANCH',
                    'GROUPREF_EXISTS'):
            chars, empty = _NOTHING, False
            for child in _children(op, av):
                start, child_empty = self.first(child)
                chars, empty = chars | start, empty or child_empty
            return chars, empty
        if name in ('AT', 'ASSERT', 'ASSERT_NOT'):
            return _NOTHING, True  # zero width
        return _ANYTHING, True  # a back reference: anything, maybe nothing
