"""The arguments of a WebSocket endpoint, checked before it serves.

This module owns what :class:`~httptestserver.streams.websocket.WebSocket`
accepts: the script's arguments (replies, greeting, subprotocols, limits
and intervals) and how a test makes the handshake misbehave (refuse it
with a status and headers, delay the 101, add headers to it).  Pure: every
bad value raises :class:`~httptestserver.ConfigurationError` naming the
argument and the fix.  Imports errors, ``protocol.websocket`` and
``answers.responses``.
"""
import six

from ..errors import ConfigurationError
from ..answers.responses import check_delay, header_items
from ..protocol.websocket import Protocol, check_message

__all__ = ['check_arguments', 'check_handshake']

#: Headers a refusal or a 101 may not be given: the handshake's own.
HANDSHAKE_HEADERS = ('upgrade', 'connection', 'sec-websocket-accept',
                     'sec-websocket-protocol', 'sec-websocket-extensions',
                     'content-length', 'transfer-encoding')


def check_arguments(replies, greeting, subprotocols, max_message_size,
                    poll_interval, close_timeout, log_size):
    """Check the arguments of :class:`WebSocket`; return *greeting* and
    *subprotocols* as lists (a callable or None *subprotocols* as given).
    Raises :class:`~httptestserver.ConfigurationError` naming the bad one."""
    Protocol(max_message_size)  # checks it
    if replies is not None and not callable(replies) and \
            not isinstance(replies, (list, tuple)):
        raise ConfigurationError('replies must be a callable taking a '
                                 'message, or a list of replies, got %r'
                                 % (replies,))
    if isinstance(greeting, (six.text_type, bytes)):
        greeting = [greeting]
    greeting = list(greeting)
    greeting = [check_message(data, 'greeting message')
                for data in greeting]
    if subprotocols is not None and not callable(subprotocols):
        if isinstance(subprotocols, six.string_types):
            subprotocols = [subprotocols]
        subprotocols = list(subprotocols)
    for name, value in (('poll_interval', poll_interval),
                        ('close_timeout', close_timeout)):
        if isinstance(value, bool) or not isinstance(
                value, six.integer_types + (float,)) or value <= 0:
            raise ConfigurationError('%s must be a number of seconds > 0'
                                     ', got %r' % (name, value))
    if isinstance(log_size, bool) or not isinstance(
            log_size, six.integer_types) or log_size < 1:
        raise ConfigurationError('log_size must be a whole number of '
                                 'messages >= 1 (e.g. 10000), got %r'
                                 % (log_size,))
    return greeting, subprotocols


def check_handshake(status, headers, delay):
    """Check how the handshake misbehaves: *status* (None, or an int
    100-599 other than 101 to refuse with), *headers* (extra headers on the
    answer, refused or 101), *delay* (seconds before the 101, or None).
    Return ``(status, header pairs, delay)``; raises
    :class:`~httptestserver.ConfigurationError` naming the bad one."""
    if status is not None and (isinstance(status, bool) or not isinstance(
            status, six.integer_types) or not 200 <= status <= 599):
        raise ConfigurationError('handshake_status must be None or a status '
                                 '200-599 to refuse the upgrade with (e.g. '
                                 '401 or 403), got %r' % (status,))
    pairs = header_items(headers, 'handshake_headers')
    for name, _ in pairs:
        if name.lower() in HANDSHAKE_HEADERS:
            raise ConfigurationError('handshake_headers may not set %s: the '
                                     'handshake sets it' % (name,))
    return status, pairs, check_delay(delay, 'handshake_delay')
