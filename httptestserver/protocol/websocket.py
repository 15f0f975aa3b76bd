"""The WebSocket protocol (RFC 6455) without I/O, in one import.

This module defines nothing and keeps no rule of its own: it gathers the
opening handshake (:mod:`.websocket_handshake`), the frame format
(:mod:`.websocket_frames`) and the framing state machine with its events
(:mod:`.websocket_codec`) under the one name the sessions
(:mod:`httptestserver.streams.websocket`) and the documentation import them
by.  Each name lives in exactly one of those modules.
"""
from .websocket_codec import DEFAULT_MAX_MESSAGE_SIZE, Close, Failure, \
    Message, Ping, Pong, Protocol
from .websocket_frames import BINARY, CLOSE, CONTINUATION, GOING_AWAY, \
    INTERNAL_ERROR, INVALID_DATA, MESSAGE_TOO_BIG, NORMAL_CLOSURE, PING, \
    PONG, PROTOCOL_ERROR, TEXT, check_control_payload, check_message, \
    encode_frame
from .websocket_handshake import GUID, accept_key, handshake

__all__ = [
    # the handshake
    'handshake', 'accept_key', 'GUID',
    # the codec and its events
    'Protocol', 'Message', 'Ping', 'Pong', 'Close', 'Failure',
    'DEFAULT_MAX_MESSAGE_SIZE',
    # one frame
    'encode_frame', 'check_message', 'check_control_payload',
    'CONTINUATION', 'TEXT', 'BINARY', 'CLOSE', 'PING', 'PONG',
    'NORMAL_CLOSURE', 'GOING_AWAY', 'PROTOCOL_ERROR', 'INVALID_DATA',
    'MESSAGE_TOO_BIG', 'INTERNAL_ERROR',
]
