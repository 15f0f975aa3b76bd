"""Conditional and range requests: what a GET's headers ask of a file.

This module owns the rules of RFC 9110 by which a request's headers pick
what is sent of one representation, given its validators (``ETag`` and
modification time) and size: the preconditions (``If-Match``,
``If-None-Match``, ``If-Modified-Since``, ``If-Unmodified-Since``: 304 or
412), a single byte range (``Range`` with ``If-Range``: 206 or 416), and
whether ``Accept-Encoding`` takes gzip.  It reads header values only: no
files, no responses, no sockets.  :mod:`httptestserver.static.mounts` imports
it.  Pure.  Every number a header holds is bounded before it is converted
(Python 3.11+ refuses ``int()`` of over 4,300 digits): a range bound of
more digits than any file size has counts as "past the end", a date with
one is unreadable.
"""
import email.utils
import re

__all__ = ['precondition', 'byte_range', 'accepts_gzip', 'etags',
           'http_date']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, List, Optional, Tuple, Union  # noqa: F401

_RANGE = re.compile(r'^bytes=\s*(\d*)\s*-\s*(\d*)\s*$', re.IGNORECASE)
#: A range bound with more significant digits than this is past any file.
_MAX_DIGITS = 18
_PAST_ANY_FILE = 10 ** _MAX_DIGITS
#: An HTTP date is at most some 40 characters, each number 4 digits.
_MAX_DATE = 64
_LONG_NUMBER = re.compile(r'\d{5}')


def etags(value):
    # type: (Optional[str]) -> List[str]
    """Return the entity tags listed in an If-None-Match/If-Match value."""
    return re.findall(r'(?:W/)?"[^"]*"|\*', value or '')


def http_date(value):
    # type: (Optional[str]) -> Optional[int]
    """Return a header date as a Unix timestamp, or None if unreadable."""
    if not value:
        return None
    value = value.strip()
    if len(value) > _MAX_DATE or _LONG_NUMBER.search(value):
        return None  # no HTTP date has it; email.utils would convert it
    parsed = email.utils.parsedate_tz(value)
    if parsed is None:
        return None
    try:
        return email.utils.mktime_tz(parsed)
    except (OverflowError, ValueError, TypeError):
        return None


def precondition(headers, etag, mtime):
    # type: (Any, str, int) -> Optional[int]
    """Return 304 or 412 as RFC 9110 section 13.2.2 orders them, or None.

    *headers* are the request's (anything with ``get(name)``); *etag* and
    *mtime* (a Unix timestamp) are the file's current validators.
    """
    if_match = headers.get('If-Match')
    if if_match is not None:
        tags = etags(if_match)
        if '*' not in tags and etag not in tags:
            return 412
    else:
        since = http_date(headers.get('If-Unmodified-Since'))
        if since is not None and mtime > since:
            return 412
    if_none = headers.get('If-None-Match')
    if if_none is not None:
        tags = [tag[2:] if tag.startswith('W/') else tag
                for tag in etags(if_none)]  # weak comparison
        return 304 if '*' in tags or etag in tags else None
    since = http_date(headers.get('If-Modified-Since'))
    if since is not None and mtime <= since:
        return 304
    return None


def byte_range(headers, etag, mtime, size):
    # type: (Any, str, int, int) -> Union[None, int, Tuple[int, int]]
    """Return (offset, length) for a satisfiable single Range, 416 for an
    unsatisfiable one, or None to send the whole file.

    Several ranges and malformed values are ignored (RFC 9110 section 14.2
    lets a server do so); so is a Range whose If-Range does not match.
    """
    value = headers.get('Range')
    if value is None:
        return None
    match = _RANGE.match(value.strip())
    if not match or match.group(1) == match.group(2) == '':
        return None
    if_range = headers.get('If-Range')
    if if_range is not None:
        if_range = if_range.strip()
        if if_range.startswith('"'):
            if if_range != etag:  # strong comparison; weak tags never match
                return None
        elif if_range.startswith('W/') or http_date(if_range) != mtime:
            return None
    first, last = match.group(1), match.group(2)
    if first == '':  # suffix: the last N bytes
        count = _bounded(last)
        if count == 0 or size == 0:
            return 416
        count = min(count, size)
        return size - count, count
    start = _bounded(first)
    end = None if last == '' else _bounded(last)
    if end is not None and end < start:
        return None  # invalid: ignored
    if start >= size:
        return 416
    end = size - 1 if end is None else min(end, size - 1)
    return start, end - start + 1


def _bounded(digits):
    # type: (str) -> int
    """Return the number *digits* says, or :data:`_PAST_ANY_FILE` when it
    has more significant digits than any file size."""
    digits = digits.lstrip('0') or '0'
    if len(digits) > _MAX_DIGITS:
        return _PAST_ANY_FILE
    return int(digits)


def accepts_gzip(value):
    # type: (Optional[str]) -> bool
    """Return True if an Accept-Encoding value accepts gzip (q > 0)."""
    if not value:
        return False
    star = None
    for item in value.split(','):
        coding, _, params = item.strip().partition(';')
        coding = coding.strip().lower()
        q = 1.0
        for param in params.split(';'):
            key, _, number = param.strip().partition('=')
            if key.strip().lower() == 'q':
                try:
                    q = float(number)
                except ValueError:
                    q = 0.0
        if coding in ('gzip', 'x-gzip'):
            return q > 0
        if coding == '*':
            star = q > 0
    return bool(star)
